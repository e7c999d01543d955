/*
 * compile.c — the resource model: check the PHV, place every control-flow
 * step into pipeline stages respecting dependencies and per-stage budgets,
 * split big tables over consecutive stages, then allocate the runtime state.
 * Also prints the usage table (CLIP Table II form) and the stage layout.
 *
 * Dependencies (after the RMT/Tofino rules, simplified): a step must sit in
 * a later stage than an earlier step that writes a field it reads (match,
 * action or condition dependency) or writes (ordering), unless the earlier
 * step, when taken, jumps past it (branches of one if/else chain are
 * mutually exclusive). A HIT/MISS condition needs the table's stage or
 * later. A register array lives in exactly one stage; every step using it
 * must be placed there.
 *
 * Invariant: on success used[s][r] <= budget for every stage s and
 * resource r, and every table/register has a stage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_internal.h"

static const char *res_name[PL_R__STAGE_COUNT] = {
	"Match Crossbar bytes", "SRAM blocks", "TCAM blocks", "VLIW instructions",
	"Hash bits", "Stateful ALUs", "Logical tables",
};

static uint32_t div_up(uint64_t a, uint64_t b)
{
	return (uint32_t)((a + b - 1) / b);
}

static unsigned log2_up(uint64_t n)
{
	unsigned b = 0;
	while ((1ull << b) < n && b < 63)
		b++;
	return b;
}

static uint32_t per_stage_cap(const struct l7_pl_budget *b, int r)
{
	switch (r) {
	case PL_R_XBAR: return b->exact_xbar_bytes_per_stage + b->tcam_xbar_bytes_per_stage;
	case PL_R_SRAM: return b->sram_blocks_per_stage;
	case PL_R_TCAM: return b->tcam_blocks_per_stage;
	case PL_R_VLIW: return b->vliw_per_stage;
	case PL_R_HASH: return b->hash_bits_per_stage;
	case PL_R_SALU: return b->salus_per_stage;
	default: return b->tables_per_stage;
	}
}

/* What one step needs: fixed per-stage costs, splittable memory, and the
 * register memory that must sit in its first stage. */
struct need {
	uint32_t fixed[PL_R__STAGE_COUNT];
	uint32_t mem;        /* blocks of mem_res, splittable */
	int mem_res;         /* PL_R_SRAM or PL_R_TCAM */
	uint32_t mem_sram2;  /* TCAM tables: action-data SRAM, with the TCAM */
	uint32_t reg_sram;
	uint64_t regs;       /* bit r: register r used */
	struct pl_fset reads, writes;
	struct pl_fset cond_reads; /* fields its condition reads */
};

static void step_actions(const struct l7_pipeline *pl, const struct pl_step *st,
			 int *acts, unsigned *n)
{
	*n = 0;
	if (st->s.table >= 0) {
		const struct l7_pl_table_def *d = &pl->table[st->s.table].def;
		for (unsigned i = 0; i < d->n_actions; i++)
			acts[(*n)++] = d->actions[i];
		if (d->default_action >= 0) {
			unsigned k = 0;
			while (k < *n && acts[k] != d->default_action)
				k++;
			if (k == *n)
				acts[(*n)++] = d->default_action;
		}
	} else if (st->s.action >= 0) {
		acts[(*n)++] = st->s.action;
	}
}

static void operand_read(struct need *nd, struct l7_pl_operand o)
{
	if (o.src == L7_PL_SRC_FIELD)
		pl_fset_add(&nd->reads, (int)o.v);
}

static void action_needs(const struct l7_pipeline *pl, const struct pl_action *a, struct need *nd)
{
	for (unsigned i = 0; i < a->n_prims; i++) {
		const struct l7_pl_prim *p = &a->prims[i];
		operand_read(nd, p->a);
		operand_read(nd, p->b);
		for (unsigned k = 0; k < p->n_src; k++)
			pl_fset_add(&nd->reads, p->src[k]);
		if (p->dst >= 0)
			pl_fset_add(&nd->writes, p->dst);
		switch (p->op) {
		case L7_PL_OP_HASH:
			nd->fixed[PL_R_HASH] += pl->field[p->dst].width;
			break;
		case L7_PL_OP_REG:
			nd->regs |= 1ull << p->obj;
			nd->fixed[PL_R_HASH] += log2_up(pl->reg[p->obj].size);
			break;
		case L7_PL_OP_CMS: {
			const struct pl_sketch *s = &pl->sketch[p->obj];
			for (unsigned r = 0; r < s->rows; r++)
				nd->regs |= 1ull << s->reg[r];
			nd->fixed[PL_R_HASH] += s->rows * log2_up(s->width);
			break;
		}
		case L7_PL_OP_BLOOM: {
			const struct pl_bloom *b = &pl->bloom[p->obj];
			for (unsigned r = 0; r < b->rows; r++)
				nd->regs |= 1ull << b->reg[r];
			nd->fixed[PL_R_HASH] += b->rows * log2_up(b->bits);
			break;
		}
		default:
			break;
		}
	}
}

static void table_memory(const struct l7_pipeline *pl, const struct pl_table *t, struct need *nd)
{
	const struct l7_pl_budget *b = &pl->cfg.budget;
	uint64_t block_bits = (uint64_t)b->sram_block_words * b->sram_word_bits;
	nd->fixed[PL_R_XBAR] = t->key_bytes;
	if (t->kind == PL_EXACT) {
		/* key + action data + 4 bits of valid/version per entry,
		 * packed into 128-bit words (several entries per word) */
		uint32_t eb = (uint32_t)t->key_bits + t->action_bits + 4u;
		uint64_t words;
		if (eb <= b->sram_word_bits)
			words = div_up(t->def.size, b->sram_word_bits / eb);
		else
			words = (uint64_t)t->def.size * div_up(eb, b->sram_word_bits);
		nd->mem = div_up(words, b->sram_block_words);
		nd->mem_res = PL_R_SRAM;
		/* one hash of 10 bits (row in a block) per way, up to 4 ways,
		 * plus bits to pick the block within a way */
		uint32_t ways = nd->mem < 4 ? nd->mem : 4;
		nd->fixed[PL_R_HASH] += ways * (10 + log2_up(div_up(nd->mem, ways)));
	} else {
		uint32_t wide = div_up(t->key_bits ? t->key_bits : 1, b->tcam_block_bits);
		nd->mem = wide * div_up(t->def.size, b->tcam_block_entries);
		nd->mem_res = PL_R_TCAM;
		if (t->action_bits)
			nd->mem_sram2 = div_up((uint64_t)t->def.size * t->action_bits, block_bits);
	}
}

static void step_needs(const struct l7_pipeline *pl, const struct pl_step *st, struct need *nd)
{
	memset(nd, 0, sizeof(*nd));
	int acts[L7_PL_MAX_TABLE_ACTIONS + 1];
	unsigned na;
	step_actions(pl, st, acts, &na);
	for (unsigned i = 0; i < na; i++)
		action_needs(pl, &pl->action[acts[i]], nd);
	nd->fixed[PL_R_VLIW] = na;
	nd->fixed[PL_R_TABLES] = 1;
	for (unsigned i = 0; i < st->s.n_cond; i++) {
		const struct l7_pl_cond *c = &st->s.cond[i];
		if (c->cmp != L7_PL_CMP_HIT && c->cmp != L7_PL_CMP_MISS) {
			pl_fset_add(&nd->reads, c->field);
			pl_fset_add(&nd->cond_reads, c->field);
		}
	}
	if (st->s.table >= 0) {
		const struct pl_table *t = &pl->table[st->s.table];
		for (unsigned k = 0; k < t->def.n_keys; k++)
			pl_fset_add(&nd->reads, t->def.key_field[k]);
		table_memory(pl, t, nd);
	}
	const struct l7_pl_budget *b = &pl->cfg.budget;
	uint64_t block_bits = (uint64_t)b->sram_block_words * b->sram_word_bits;
	for (unsigned r = 0; r < pl->n_regs; r++) {
		if (!(nd->regs & (1ull << r)) || pl->reg[r].stage >= 0)
			continue;
		nd->fixed[PL_R_SALU]++;
		nd->reg_sram += div_up((uint64_t)pl->reg[r].size * pl->reg[r].width, block_bits);
	}
}

static uint32_t freecap(const struct l7_pipeline *pl, unsigned s, int r)
{
	uint32_t cap = per_stage_cap(&pl->cfg.budget, r);
	return cap > pl->used[s][r] ? cap - pl->used[s][r] : 0;
}

static int fixed_fits(const struct l7_pipeline *pl, unsigned s, const struct need *nd)
{
	for (int r = 0; r < PL_R__STAGE_COUNT; r++)
		if (nd->fixed[r] > freecap(pl, s, r))
			return 0;
	return 1;
}

/* Try to place starting at stage s0; on success commit and set *last. */
static int try_place(struct l7_pipeline *pl, unsigned s0, const struct need *nd, unsigned *last)
{
	unsigned S = pl->cfg.budget.stages;
	uint32_t take[64] = { 0 }, take2[64] = { 0 };
	uint32_t left = nd->mem, left2 = nd->mem_sram2;
	unsigned s = s0;
	for (;; s++) {
		if (s >= S || !fixed_fits(pl, s, nd))
			return 0;
		uint32_t reg = s == s0 ? nd->reg_sram : 0;
		uint32_t fs = freecap(pl, s, PL_R_SRAM);
		if (reg > fs)
			return 0;
		fs -= reg;
		if (nd->mem_res == PL_R_TCAM) {
			uint32_t ft = freecap(pl, s, PL_R_TCAM);
			take[s] = left < ft ? left : ft;
			take2[s] = left2 < fs ? left2 : fs;
			if (s == s0 && left > 0 && take[s] == 0)
				return 0;
			left -= take[s];
			left2 -= take2[s];
		} else {
			take[s] = left < fs ? left : fs;
			if (s == s0 && left > 0 && take[s] == 0)
				return 0;
			left -= take[s];
		}
		if (left == 0 && left2 == 0)
			break;
	}
	for (unsigned k = s0; k <= s; k++) {
		for (int r = 0; r < PL_R__STAGE_COUNT; r++)
			pl->used[k][r] += nd->fixed[r];
		if (nd->mem_res == PL_R_TCAM) {
			pl->used[k][PL_R_TCAM] += take[k];
			pl->used[k][PL_R_SRAM] += take2[k];
		} else {
			pl->used[k][PL_R_SRAM] += take[k];
		}
	}
	pl->used[s0][PL_R_SRAM] += nd->reg_sram;
	*last = s;
	return 1;
}

static int fail(char *err, size_t len, const char *fmt, const char *what, const char *name,
		const char *res, uint32_t need, uint32_t have, unsigned a, unsigned b)
{
	if (err && len)
		snprintf(err, len, fmt, what, name, res, need, have, a, b);
	return L7_ENOFIT;
}

/* Explain why a step could not be placed from stage e on. */
static int diagnose(const struct l7_pipeline *pl, const struct pl_step *st, const struct need *nd,
		    unsigned e, char *err, size_t len)
{
	unsigned S = pl->cfg.budget.stages;
	const char *what = st->s.table >= 0 ? "table" : "action";
	if (e >= S) {
		if (err && len)
			snprintf(err, len, "%s \"%s\": stages: needs stage %u (dependency chain), "
				 "budget has %u stages", what, st->label, e, S);
		return L7_ENOFIT;
	}
	uint32_t freemem = 0;
	for (unsigned s = e; s < S; s++)
		freemem += freecap(pl, s, nd->mem_res ? nd->mem_res : PL_R_SRAM);
	if (nd->mem > freemem)
		return fail(err, len, "%s \"%s\": %s: needs %u, %u free in stages %u-%u", what,
			    st->label, res_name[nd->mem_res], nd->mem, freemem, e, S - 1);
	for (int r = 0; r < PL_R__STAGE_COUNT; r++) {
		uint32_t best = 0;
		for (unsigned s = e; s < S; s++)
			if (freecap(pl, s, r) > best)
				best = freecap(pl, s, r);
		uint32_t want = nd->fixed[r] + (r == PL_R_SRAM ? nd->reg_sram : 0);
		if (want > best)
			return fail(err, len, "%s \"%s\": %s: needs %u per stage, at most %u free "
				    "in stages %u-%u", what, st->label, res_name[r], want, best, e, S - 1);
	}
	return fail(err, len, "%s \"%s\": %s: needs %u across consecutive stages, %u free in "
		    "stages %u-%u (fragmented)", what, st->label, res_name[nd->mem_res], nd->mem,
		    freemem, e, S - 1);
}

static int exclusive(const struct pl_step *p, unsigned p_idx, unsigned c_idx)
{
	(void)p_idx;
	return p->s.goto_step == L7_PL_STEP_END || (p->s.goto_step >= 0 &&
						    (unsigned)p->s.goto_step > c_idx);
}

static int place_step(struct l7_pipeline *pl, unsigned c, struct need *all, char *err, size_t len)
{
	struct pl_step *st = &pl->step[c];
	struct need *nd = &all[c];
	step_needs(pl, st, nd);
	unsigned e = 0;
	/* a step reached only when an earlier branch's condition failed also
	 * depends on what that condition reads (control dependency) */
	struct pl_fset eff = nd->reads;
	for (unsigned p = 0; p < c; p++)
		if (exclusive(&pl->step[p], p, c))
			for (unsigned w = 0; w < L7_PL_MAX_FIELDS / 64; w++)
				eff.w[w] |= all[p].cond_reads.w[w];
	for (unsigned p = 0; p < c; p++) {
		if (exclusive(&pl->step[p], p, c) || pl->step[p].last_stage < 0)
			continue;
		if (pl_fset_meets(&all[p].writes, &eff) ||
		    pl_fset_meets(&all[p].writes, &nd->writes))
			if ((unsigned)pl->step[p].last_stage + 1 > e)
				e = (unsigned)pl->step[p].last_stage + 1;
	}
	for (unsigned i = 0; i < st->s.n_cond; i++) {
		const struct l7_pl_cond *cd = &st->s.cond[i];
		if (cd->cmp == L7_PL_CMP_HIT || cd->cmp == L7_PL_CMP_MISS) {
			int ls = pl->table[cd->field].last_stage;
			if (ls >= 0 && (unsigned)ls > e)
				e = (unsigned)ls;
		}
	}
	/* a register already placed pins this step's first stage */
	int pin = -1;
	for (unsigned r = 0; r < pl->n_regs; r++) {
		if (!(nd->regs & (1ull << r)) || pl->reg[r].stage < 0)
			continue;
		if (pin >= 0 && pin != pl->reg[r].stage) {
			if (err && len)
				snprintf(err, len, "register \"%s\": used in stages %d and %d (one "
					 "stage per register array)", pl->reg[r].name, pin,
					 pl->reg[r].stage);
			return L7_ENOFIT;
		}
		pin = pl->reg[r].stage;
	}
	if (pin >= 0 && (unsigned)pin < e) {
		for (unsigned r = 0; r < pl->n_regs; r++)
			if ((nd->regs & (1ull << r)) && pl->reg[r].stage == pin) {
				if (err && len)
					snprintf(err, len, "register \"%s\": used in stages %d and %u (one "
						 "stage per register array)", pl->reg[r].name, pin, e);
				break;
			}
		return L7_ENOFIT;
	}
	unsigned S = pl->cfg.budget.stages, last = 0;
	for (unsigned s = pin >= 0 ? (unsigned)pin : e; s < S; s++) {
		if (try_place(pl, s, nd, &last)) {
			st->first_stage = (int16_t)s;
			st->last_stage = (int16_t)last;
			for (unsigned r = 0; r < pl->n_regs; r++)
				if ((nd->regs & (1ull << r)) && pl->reg[r].stage < 0)
					pl->reg[r].stage = (int16_t)s;
			if (st->s.table >= 0) {
				pl->table[st->s.table].first_stage = (int16_t)s;
				pl->table[st->s.table].last_stage = (int16_t)last;
			}
			return 0;
		}
		if (pin >= 0)
			break;
	}
	return diagnose(pl, st, nd, pin >= 0 ? (unsigned)pin : e, err, len);
}

static int alloc_runtime(struct l7_pipeline *pl)
{
	for (unsigned i = 0; i < pl->n_tables; i++)
		if (pl_table_alloc(&pl->table[i]) < 0)
			return L7_ENOMEM;
	for (unsigned i = 0; i < pl->n_regs; i++)
		if (pl_reg_alloc(&pl->reg[i]) < 0)
			return L7_ENOMEM;
	for (unsigned i = 0; i < pl->n_sketches; i++)
		if (pl->sketch[i].top_n) {
			pl->sketch[i].top = calloc(pl->sketch[i].top_n, sizeof(struct pl_topn_slot));
			if (!pl->sketch[i].top)
				return L7_ENOMEM;
		}
	pl->pend = calloc(pl->cfg.ctl_queue_cap, sizeof(*pl->pend));
	pl->cpu = calloc(pl->cfg.cpu_queue_cap ? pl->cfg.cpu_queue_cap : 1, sizeof(*pl->cpu));
	pl->ev = calloc(pl->cfg.event_queue_cap, sizeof(*pl->ev));
	if (!pl->pend || !pl->cpu || !pl->ev)
		return L7_ENOMEM;
	for (unsigned i = 0; i < pl->n_tables; i++)
		if (pl->table[i].def.idle_timeout_ns)
			pl->has_aging = 1;
	return 0;
}

int l7_pipeline_compile(struct l7_pipeline *pl, char *err, size_t err_len)
{
	if (!pl)
		return L7_EINVAL;
	if (err && err_len)
		err[0] = 0;
	if (pl->compiled)
		return L7_ESTATE;
	uint32_t phv = 0;
	for (unsigned i = 0; i < pl->n_fields; i++)
		phv += pl->field[i].width;
	pl->phv_used = phv;
	if (phv > pl->cfg.budget.phv_bits) {
		if (err && err_len)
			snprintf(err, err_len, "PHV: PHV bits: needs %u, budget %u", phv,
				 pl->cfg.budget.phv_bits);
		return L7_ENOFIT;
	}
	free(pl->used);
	pl->used = calloc(pl->cfg.budget.stages, sizeof(*pl->used));
	struct need *all = calloc(pl->n_steps ? pl->n_steps : 1, sizeof(*all));
	if (!pl->used || !all) {
		free(all);
		return L7_ENOMEM;
	}
	for (unsigned r = 0; r < pl->n_regs; r++)
		pl->reg[r].stage = -1;
	int rc = 0;
	for (unsigned c = 0; c < pl->n_steps && rc == 0; c++)
		rc = place_step(pl, c, all, err, err_len);
	free(all);
	if (rc == 0) {
		/* a table no step applies still occupies memory: it is an error
		 * in P4 terms too (unused tables are removed), so reject */
		for (unsigned i = 0; i < pl->n_tables; i++)
			if (pl->table[i].step < 0) {
				if (err && err_len)
					snprintf(err, err_len, "table \"%s\": not applied by any step",
						 pl->table[i].name);
				rc = L7_EINVAL;
				break;
			}
	}
	if (rc < 0) {
		for (unsigned i = 0; i < pl->n_steps; i++)
			pl->step[i].first_stage = pl->step[i].last_stage = -1;
		for (unsigned i = 0; i < pl->n_tables; i++)
			pl->table[i].first_stage = pl->table[i].last_stage = -1;
		memset(pl->used, 0, pl->cfg.budget.stages * sizeof(*pl->used));
		return rc;
	}
	pl->stages_used = 0;
	for (unsigned i = 0; i < pl->n_steps; i++)
		if ((unsigned)pl->step[i].last_stage + 1 > pl->stages_used)
			pl->stages_used = (unsigned)pl->step[i].last_stage + 1;
	rc = alloc_runtime(pl);
	if (rc == 0)
		rc = pl_exec_prepare(pl);
	if (rc < 0)
		return rc;
	pl->compiled = 1;
	return 0;
}

/* ------------------------------------------------------------ reports */

static void totals(const struct l7_pipeline *pl, int r, uint32_t *used, uint32_t *total)
{
	*used = 0;
	for (unsigned s = 0; s < pl->cfg.budget.stages; s++)
		*used += pl->used[s][r];
	*total = per_stage_cap(&pl->cfg.budget, r) * pl->cfg.budget.stages;
}

/* Append n bytes of line at *off, snprintf-style: copy what fits, keep the
 * buffer NUL-terminated, count everything. */
static void append(char *buf, size_t len, size_t *off, const char *line, int n)
{
	if (n < 0)
		return;
	if (*off + 1 < len) {
		size_t room = len - 1 - *off, k = (size_t)n < room ? (size_t)n : room;
		memcpy(buf + *off, line, k);
		buf[*off + k] = 0;
	}
	*off += (size_t)n;
}

static const char *usage_name[PL_R__STAGE_COUNT] = {
	"Match Crossbar", "SRAM", "TCAM", "VLIW Instruction", "Hash Bits",
	"Stateful ALUs", "Logical Tables",
};

static double pct(uint32_t used, uint32_t total)
{
	return total ? 100.0 * used / total : 0.0;
}

double l7_pipeline_usage_pct(const struct l7_pipeline *pl, const char *resource)
{
	if (!pl || !pl->compiled || !resource)
		return -1.0;
	uint32_t u, t;
	for (int r = 0; r < PL_R__STAGE_COUNT; r++)
		if (strcmp(resource, usage_name[r]) == 0) {
			totals(pl, r, &u, &t);
			return pct(u, t);
		}
	if (strcmp(resource, "PHV") == 0)
		return pct(pl->phv_used, pl->cfg.budget.phv_bits);
	if (strcmp(resource, "Stages") == 0)
		return pct(pl->stages_used, pl->cfg.budget.stages);
	return -1.0;
}

int l7_pipeline_usage(const struct l7_pipeline *pl, char *buf, size_t len)
{
	if (!pl || (!buf && len))
		return L7_EINVAL;
	if (!pl->compiled)
		return L7_ESTATE;
	size_t off = 0;
	char line[128];
	if (len)
		buf[0] = 0;
	int n = snprintf(line, sizeof(line), "%-18s %10s %10s %9s\n", "Resource", "Used", "Total",
			 "Percent");
	for (int r = 0; r <= PL_R__STAGE_COUNT + 2; r++) {
		if (r > 0) {
			uint32_t u, t;
			const char *nm;
			if (r - 1 < PL_R__STAGE_COUNT) {
				totals(pl, r - 1, &u, &t);
				nm = usage_name[r - 1];
			} else if (r - 1 == PL_R__STAGE_COUNT) {
				u = pl->phv_used;
				t = pl->cfg.budget.phv_bits;
				nm = "PHV";
			} else {
				u = pl->stages_used;
				t = pl->cfg.budget.stages;
				nm = "Stages";
			}
			n = snprintf(line, sizeof(line), "%-18s %10u %10u %8.2f%%\n", nm, u, t,
				     pct(u, t));
		}
		append(buf, len, &off, line, n);
	}
	return (int)off;
}

int l7_pipeline_layout(const struct l7_pipeline *pl, char *buf, size_t len)
{
	if (!pl || (!buf && len))
		return L7_EINVAL;
	if (!pl->compiled)
		return L7_ESTATE;
	size_t off = 0;
	char line[1024];
	if (len)
		buf[0] = 0;
	for (unsigned s = 0; s < pl->stages_used; s++) {
		int n = snprintf(line, sizeof(line), "stage %2u:", s);
		for (unsigned i = 0; i < pl->n_steps && n < (int)sizeof(line) - 64; i++)
			if (pl->step[i].first_stage <= (int)s && pl->step[i].last_stage >= (int)s)
				n += snprintf(line + n, sizeof(line) - (size_t)n, " %s", pl->step[i].label);
		for (unsigned r = 0; r < pl->n_regs && n < (int)sizeof(line) - 64; r++)
			if (pl->reg[r].stage == (int)s)
				n += snprintf(line + n, sizeof(line) - (size_t)n, " [reg %s]",
					      pl->reg[r].name);
		n += snprintf(line + n, sizeof(line) - (size_t)n, "\n");
		append(buf, len, &off, line, n);
	}
	return (int)off;
}

int l7_pipeline_table_stages(const struct l7_pipeline *pl, int table, unsigned *first,
			     unsigned *last)
{
	if (!pl || table < 0 || (unsigned)table >= pl->n_tables || !first || !last)
		return L7_EINVAL;
	if (!pl->compiled)
		return L7_ESTATE;
	*first = (unsigned)pl->table[table].first_stage;
	*last = (unsigned)pl->table[table].last_stage;
	return 0;
}
