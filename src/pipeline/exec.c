/*
 * exec.c — compiling the program for the packet path (pl_exec_prepare:
 * operand space, compact step records, decision tables) and running one
 * packet at a time (l7_pipeline_process): the control flow of steps and
 * tables and the action primitives. The parser and deparser are in pass.h
 * (inline here and in the burst executor, burst.c).
 *
 * Speed: actions and steps are compiled once into forms whose operands are
 * plain indices into one operand space (PHV, action parameters,
 * immediates), so a primitive is a load, an operation and a store.
 *
 * Invariants: no allocation; every PHV value is masked to its field width;
 * each register array gets at most one read-modify-write per pass (a second
 * is refused, counted and reported as L7_ERMW); metadata is zero at the
 * start of every pass; a recirculated pass re-parses the deparsed frame and
 * arrives on L7_PL_PORT_RECIRC.
 */
#include <stdlib.h>
#include <string.h>

#include "pl_internal.h"
#include "pass.h"

/* ------------------------------------------------------------ prepare */

static uint16_t const_index(struct l7_pipeline *pl, uint64_t v, int *err)
{
	for (unsigned i = 0; i < pl->n_consts; i++)
		if (pl->phv[PL_R_CONST + i] == v)
			return (uint16_t)(PL_R_CONST + i);
	if (pl->n_consts >= PL_MAX_CONSTS) {
		*err = L7_EFULL;
		return PL_R_NONE;
	}
	pl->phv[PL_R_CONST + pl->n_consts] = v;
	return (uint16_t)(PL_R_CONST + pl->n_consts++);
}

static uint16_t operand_index(struct l7_pipeline *pl, struct l7_pl_operand o, int *err)
{
	switch (o.src) {
	case L7_PL_SRC_PARAM: return (uint16_t)(PL_R_PARAM + o.v);
	case L7_PL_SRC_FIELD: return (uint16_t)o.v;
	default: return const_index(pl, o.v, err);
	}
}

static void compile_cond(const struct l7_pl_cond *in, struct pl_ccond *out)
{
	memset(out, 0, sizeof(*out));
	out->field = (uint16_t)in->field;
	out->value = in->value;
	switch (in->cmp) {
	case L7_PL_CMP_EQ: out->mask = ~0ull; break;
	case L7_PL_CMP_NE: out->mask = ~0ull; out->neg = 1; break;
	/* any-of: (x & m) == 0 is false; none-of: (x & m) == 0 is true */
	case L7_PL_CMP_ANY: out->mask = in->value; out->value = 0; out->neg = 1; break;
	case L7_PL_CMP_NONE: out->mask = in->value; out->value = 0; break;
	case L7_PL_CMP_LT: out->kind = PL_CK_LT; break;
	case L7_PL_CMP_GE: out->kind = PL_CK_GE; break;
	case L7_PL_CMP_HIT: out->kind = PL_CK_HIT; break;
	default: out->kind = PL_CK_MISS; break;
	}
}

/* ------------------------------------------------------------ chains */

static unsigned popcount64(uint64_t v)
{
	unsigned n = 0;
	for (; v; v &= v - 1)
		n++;
	return n;
}

/* Spread the low bits of r over the set bits of m (the inverse of the
 * software pext in pl_chain_index). */
static uint64_t scatter_bits(uint64_t r, uint64_t m)
{
	uint64_t v = 0;
	unsigned k = 0;
	for (; m; m &= m - 1, k++)
		if ((r >> k) & 1)
			v |= m & -m;
	return v;
}

/* Add step i's tests to the chain's field list; 0 if it cannot join. */
static int chain_take(const struct l7_pipeline *pl, struct pl_chain *ch, unsigned i)
{
	const struct pl_cstep *c = &pl->cstep[i];
	struct pl_chain t = *ch;
	for (unsigned k = 0; k < c->n_cond; k++) {
		const struct pl_ccond *cd = &c->cond[k];
		if (cd->kind != PL_CK_MASKED)
			return 0;
		uint64_t m = cd->mask & pl->fmask[cd->field];
		if (!m)
			continue; /* tests no bit: always true or always false */
		unsigned f = 0;
		while (f < t.n_fields && t.field[f] != cd->field)
			f++;
		if (f == t.n_fields) {
			if (t.n_fields == PL_CHAIN_FIELDS)
				return 0;
			t.field[t.n_fields++] = cd->field;
			t.mask[f] = 0;
		}
		t.mask[f] |= m;
	}
	unsigned bits = 0;
	for (unsigned f = 0; f < t.n_fields; f++)
		bits += popcount64(t.mask[f]);
	if (bits > PL_CHAIN_BITS)
		return 0;
	*ch = t;
	return 1;
}

/* The first step of [a, end) whose conditions hold for these field values. */
static uint16_t chain_first(const struct l7_pipeline *pl, const struct pl_chain *ch, unsigned a,
			    const uint64_t *val)
{
	for (unsigned i = a; i < ch->end; i++) {
		const struct pl_cstep *c = &pl->cstep[i];
		unsigned k = 0;
		for (; k < c->n_cond; k++) {
			const struct pl_ccond *cd = &c->cond[k];
			uint64_t v = 0;
			for (unsigned f = 0; f < ch->n_fields; f++)
				if (ch->field[f] == cd->field)
					v = val[f];
			if (((v & cd->mask) == cd->value) == cd->neg)
				break;
		}
		if (k == c->n_cond)
			return (uint16_t)i;
	}
	return ch->end;
}

/*
 * With every mask contiguous the index is an OR of one term per field, so
 * the fields may be reordered: those tested whole (shift 0, every bit of
 * the field; PHV values are always within their width) go first and their
 * term is just x << oshift (n_whole of them).
 */
static void whole_fields_first(const struct l7_pipeline *pl, struct pl_chain *ch)
{
	struct pl_chain t = *ch;
	unsigned n = 0;
	for (int pass = 0; pass < 2; pass++)
		for (unsigned f = 0; f < ch->n_fields; f++) {
			int whole = ch->shift[f] == 0 && ch->low[f] == pl->fmask[ch->field[f]];
			if (whole != (pass == 0))
				continue;
			t.field[n] = ch->field[f];
			t.mask[n] = ch->mask[f];
			t.shift[n] = ch->shift[f];
			t.bits[n] = ch->bits[f];
			t.contig[n] = ch->contig[f];
			t.oshift[n] = ch->oshift[f];
			t.low[n] = ch->low[f];
			n++;
			if (pass == 0)
				t.n_whole = (uint8_t)n;
		}
	*ch = t;
}

/* Find chains of at least three steps and build their tables. */
static int build_chains(struct l7_pipeline *pl)
{
	pl->n_chains = 0;
	for (unsigned i = 0; i < pl->n_steps; i++)
		pl->cstep[i].chain = -1;
	unsigned a = 0;
	while (a < pl->n_steps) {
		struct pl_chain ch;
		memset(&ch, 0, sizeof(ch));
		unsigned b = a;
		/* the longest run of steps that can join, then cut it to the
		 * longest prefix [a, b) whose taken steps all leave it: a step
		 * jumping to m < b forces b = m (it stays inside, being < m) */
		while (b < pl->n_steps && chain_take(pl, &ch, b))
			b++;
		for (;;) {
			unsigned m = b;
			for (unsigned i = a; i < b; i++)
				if (pl->cstep[i].next < m)
					m = pl->cstep[i].next;
			if (m >= b)
				break;
			b = m;
		}
		if (b - a < 3 || pl->n_chains >= L7_PL_MAX_STEPS / 3) {
			a++;
			continue;
		}
		/* recompute the field list for exactly [a, b) */
		memset(&ch, 0, sizeof(ch));
		for (unsigned i = a; i < b; i++)
			chain_take(pl, &ch, i);
		ch.end = (uint16_t)b;
		unsigned total = 0;
		ch.all_contig = 1;
		for (unsigned f = 0; f < ch.n_fields; f++) {
			uint64_t m = ch.mask[f];
			ch.bits[f] = (uint8_t)popcount64(m);
			ch.shift[f] = (uint8_t)__builtin_ctzll(m);
			ch.contig[f] = ((m >> ch.shift[f]) & ((m >> ch.shift[f]) + 1)) == 0;
			ch.low[f] = m >> ch.shift[f];
			ch.all_contig &= ch.contig[f];
			total += ch.bits[f];
		}
		/* field 0 takes the most significant bits of the index */
		for (unsigned f = ch.n_fields, used = 0; f-- > 0;) {
			ch.oshift[f] = (uint8_t)used;
			used += ch.bits[f];
		}
		ch.table = malloc(sizeof(uint16_t) << total);
		if (!ch.table)
			return L7_ENOMEM;
		for (uint32_t idx = 0; idx < (1u << total); idx++) {
			uint64_t val[PL_CHAIN_FIELDS];
			unsigned used = 0;
			for (unsigned f = ch.n_fields; f-- > 0;) {
				uint64_t r = (idx >> used) & ((1u << ch.bits[f]) - 1);
				val[f] = scatter_bits(r, ch.mask[f]);
				used += ch.bits[f];
			}
			ch.table[idx] = chain_first(pl, &ch, a, val);
		}
		if (ch.all_contig)
			whole_fields_first(pl, &ch);
		pl->cstep[a].chain = (int16_t)pl->n_chains;
		pl->chains[pl->n_chains++] = ch;
		a = b;
	}
	return 0;
}

/* The compact step records the packet path runs (struct pl_hop). */
static void build_hops(struct l7_pipeline *pl)
{
	for (unsigned i = 0; i < pl->n_steps; i++) {
		const struct pl_cstep *c = &pl->cstep[i];
		struct pl_hop *h = &pl->hop[i];
		memset(h, 0, sizeof(*h));
		if (c->chain >= 0) {
			h->test = PL_HT_CHAIN;
			h->chain = c->chain;
		} else if (c->n_cond == 1 && c->cond[0].kind == PL_CK_MASKED) {
			h->test = PL_HT_MASKED;
			h->field = c->cond[0].field;
			h->mask = c->cond[0].mask;
			h->value = c->cond[0].value;
			h->neg = c->cond[0].neg;
		} else {
			h->test = PL_HT_SLOW;
		}
		h->next = c->next;
		h->fail = c->fail_next;
		if (c->table >= 0) {
			const struct pl_table *t = &pl->table[c->table];
			h->body = t->big ? PL_HB_BIG : PL_HB_TABLE;
			h->lk = t->direct ? PL_LK_DIRECT
				: (t->kind == PL_EXACT && !t->ct) ? PL_LK_EXACT : PL_LK_GEN;
			h->obj = c->table;
			h->key_n = c->key_n;
			memcpy(h->key_field, c->key_field, sizeof(h->key_field));
			memcpy(h->key_shift, c->key_shift, sizeof(h->key_shift));
		} else if (c->action >= 0) {
			h->body = PL_HB_ACTION;
			h->obj = c->action;
			h->params = c->params;
		}
	}
}

/* Compile actions and steps for the packet path (called by compile). */
int pl_exec_prepare(struct l7_pipeline *pl)
{
	int err = 0;
	pl->n_consts = 0;
	for (unsigned i = 0; i < pl->n_fields; i++)
		pl->fmask[i] = pl->field[i].mask;
	for (unsigned i = 0; i < pl->n_actions; i++) {
		struct pl_action *a = &pl->action[i];
		for (unsigned k = 0; k < a->n_prims; k++) {
			const struct l7_pl_prim *p = &a->prims[k];
			struct pl_uop *u = &a->uop[k];
			memset(u, 0, sizeof(*u));
			u->op = p->op;
			u->alg = p->alg;
			u->rmw = p->rmw;
			u->want_new = p->want_new;
			u->dst = p->dst >= 0 ? (uint16_t)p->dst : PL_R_NONE;
			u->a = operand_index(pl, p->a, &err);
			u->b = p->op == L7_PL_OP_HASH ? PL_R_NONE : operand_index(pl, p->b, &err);
			u->key = p->b.v;
			u->obj = p->obj;
			u->n_src = p->n_src;
			memcpy(u->src, p->src, sizeof(u->src));
			for (unsigned j = 0; j < p->n_src && j < L7_PL_MAX_SRC; j++)
				u->src_bytes[j] = (uint8_t)((pl->field[p->src[j]].width + 7u) / 8u);
		}
		/* SET and FORWARD only: every primitive is x[dst] = x[a] & dmask,
		 * a FORWARD writing its port to PL_R_EGRESS, which the action
		 * hands to the pass once at the end (the action cannot DROP, so
		 * only the last FORWARD's port matters, as in sequence) */
		a->all_set = 1;
		a->fwd = 0;
		for (unsigned k = 0; k < a->n_prims; k++) {
			struct pl_uop *u = &a->uop[k];
			if (u->op == L7_PL_OP_FORWARD)
				a->fwd = 1;
			else if (u->op != L7_PL_OP_SET || u->dst == PL_R_NONE)
				a->all_set = 0;
		}
		for (unsigned k = 0; a->all_set && k < a->n_prims; k++) {
			struct pl_uop *u = &a->uop[k];
			if (u->op == L7_PL_OP_FORWARD) {
				u->dst = PL_R_EGRESS;
				u->dmask = 0x1ff;
			} else {
				u->dmask = pl->fmask[u->dst];
			}
		}
	}
	for (unsigned i = 0; i < pl->n_steps; i++) {
		const struct l7_pl_step *s = &pl->step[i].s;
		struct pl_cstep *c = &pl->cstep[i];
		memset(c, 0, sizeof(*c));
		c->n_cond = (uint8_t)(s->n_cond ? s->n_cond : 1);
		for (unsigned k = 0; k < s->n_cond; k++)
			compile_cond(&s->cond[k], &c->cond[k]);
		c->table = (int16_t)s->table;
		c->action = (int16_t)s->action;
		c->next = (uint16_t)(s->goto_step == -1 ? (int)i + 1
				     : s->goto_step == L7_PL_STEP_END ? (int)pl->n_steps
				     : s->goto_step);
		if (c->next > pl->n_steps)
			c->next = (uint16_t)pl->n_steps;
		memcpy(c->params, s->params, sizeof(c->params));
		if (s->table >= 0) {
			const struct pl_table *t = &pl->table[s->table];
			c->key_n = (uint8_t)t->def.n_keys;
			for (unsigned k = 0; k < t->def.n_keys; k++) {
				c->key_field[k] = (uint16_t)t->def.key_field[k];
				c->key_shift[k] = t->key_shift[k];
			}
		}
	}
	for (unsigned i = 0; i < pl->n_steps; i++) {
		struct pl_cstep *c = &pl->cstep[i];
		unsigned j = i + 1;
		const struct pl_ccond *c0 = &c->cond[0];
		if (c0->kind != PL_CK_HIT && c0->kind != PL_CK_MISS)
			while (j < pl->n_steps && memcmp(&pl->cstep[j].cond[0], c0, sizeof(*c0)) == 0)
				j++;
		c->fail_next = (uint16_t)j;
	}
	for (unsigned i = 0; i < pl->n_chains; i++)
		free(pl->chains[i].table);
	int rc = build_chains(pl);
	if (rc < 0)
		return rc;
	/* big exact tables are the ones worth prefetching in a burst */
	for (unsigned i = 0; i < pl->n_tables; i++)
		pl->table[i].big = pl->table[i].ct != NULL;
	build_hops(pl);
	pl->burst_ok = 1;
	for (unsigned i = 0; i < pl->n_actions; i++)
		for (unsigned k = 0; k < pl->action[i].n_prims; k++) {
			uint8_t op = pl->action[i].prims[k].op;
			if (op == L7_PL_OP_REG || op == L7_PL_OP_CMS || op == L7_PL_OP_BLOOM ||
			    op == L7_PL_OP_DIGEST)
				pl->burst_ok = 0;
		}
	rc = pl_burst_prepare(pl);
	if (rc < 0)
		return rc;
	return err;
}

/* ------------------------------------------------------------ actions */

static size_t pack_src(const uint64_t *x, const struct pl_uop *u, uint8_t *buf)
{
	size_t len = 0;
	for (unsigned i = 0; i < u->n_src; i++) {
		uint64_t v = x[u->src[i]];
		for (unsigned k = u->src_bytes[i]; k-- > 0;)
			buf[len++] = (uint8_t)(v >> (8 * k));
	}
	return len;
}

uint64_t pl_hash_fields(const struct l7_pipeline *pl, const struct pl_uop *u, const uint64_t *x)
{
	uint8_t buf[L7_PL_MAX_SRC * 8];
	if (u->alg == L7_PL_HASH_IDENTITY) {
		uint64_t v = 0;
		for (unsigned i = 0; i < u->n_src; i++) {
			unsigned w = pl->field[u->src[i]].width;
			v = (w == 64 ? 0 : v << w) | x[u->src[i]];
		}
		return v;
	}
	if (u->alg == L7_PL_HASH_CRC8)
		return pl_crc8_fields(pl->crc8, u, x);
	size_t n = pack_src(x, u, buf);
	switch (u->alg) {
	case L7_PL_HASH_CRC16: return pl_crc16(pl, buf, n);
	case L7_PL_HASH_CRC32: return pl_crc32_row(pl, 0, buf, n);
	default: return pl_keyed64(u->key, buf, n);
	}
}

static void note_rmw(struct l7_pipeline *pl, struct l7_pl_result *res)
{
	pl->st.rmw_violations++;
	if (res->err == 0)
		res->err = L7_ERMW;
}

/* Returns 1 and the value for dst, 0 if the access was refused. */
static int reg_rmw(struct l7_pipeline *pl, const struct pl_uop *u, uint64_t *out,
		   struct l7_pl_result *res)
{
	const uint64_t *x = pl->phv;
	struct pl_register *r = &pl->reg[u->obj];
	if (r->last_pass == pl->pass_id) {
		note_rmw(pl, res);
		return 0;
	}
	r->last_pass = pl->pass_id;
	uint32_t i = (uint32_t)(x[u->a] % r->size);
	uint64_t b = x[u->b] & r->max;
	uint64_t old = pl_reg_get(r, i), nw = old;
	switch (u->rmw) {
	case L7_PL_RMW_WRITE: nw = b; break;
	case L7_PL_RMW_ADD: nw = (old + b) & r->max; break;
	case L7_PL_RMW_SADD: nw = (r->max - old < b) ? r->max : old + b; break;
	case L7_PL_RMW_MAX: nw = old > b ? old : b; break;
	case L7_PL_RMW_OR: nw = old | b; break;
	default: break;
	}
	if (nw != old)
		pl_reg_set(r, i, nw);
	*out = u->want_new ? nw : old;
	return 1;
}

/* The rarely used primitives, out of the hot loop (kept out of line so the
 * common action stays a small leaf). */
__attribute__((noinline)) static int run_slow(struct l7_pipeline *pl, struct pl_pass *ps, const struct pl_uop *u,
		    l7_time_ns now_ns, struct l7_pl_result *res, uint64_t *v)
{
	uint64_t *x = pl->phv;
	uint8_t buf[L7_PL_MAX_SRC * 8];
	int err = 0;
	switch (u->op) {
	case L7_PL_OP_HASH:
		*v = pl_hash_fields(pl, u, x);
		return 1;
	case L7_PL_OP_REG:
		return reg_rmw(pl, u, v, res);
	case L7_PL_OP_CMS:
		pl_cms_update(pl, &pl->sketch[u->obj], buf, pack_src(x, u, buf), x[u->b], v, &err);
		if (err)
			note_rmw(pl, res);
		return 1;
	case L7_PL_OP_BLOOM:
		pl_bloom_op(pl, &pl->bloom[u->obj], buf, pack_src(x, u, buf),
			    u->rmw == L7_PL_BLOOM_INSERT, v, &err);
		if (err)
			note_rmw(pl, res);
		return 1;
	case L7_PL_OP_DROP: ps->drop = 1; return 0;
	case L7_PL_OP_TO_CPU: ps->to_cpu = 1; return 0;
	case L7_PL_OP_RECIRCULATE: ps->recirc = 1; return 0;
	case L7_PL_OP_MIRROR:
		if (res->n_mirror < L7_PL_MAX_MIRRORS)
			res->mirror_port[res->n_mirror++] = (uint16_t)(x[u->a] & 0x1ff);
		return 0;
	case L7_PL_OP_DIGEST: {
		uint64_t d[L7_PL_MAX_SRC];
		for (unsigned k = 0; k < u->n_src; k++)
			d[k] = x[u->src[k]];
		l7_time_ns done;
		pl->st.digests++;
		res->n_digests++;
		if (pl_cpu_enqueue(pl, now_ns + pl->cfg.pass_latency_ns, L7_PL_EV_DIGEST, u->obj, d,
				   u->n_src, &done) < 0)
			pl->st.digests_lost++;
		return 0;
	}
	case L7_PL_OP_TCP_OPTS: ps->opts_blob = u->obj; return 0;
	default: return 0;
	}
}

static inline __attribute__((always_inline)) void
run_action(struct l7_pipeline *pl, struct pl_pass *ps, int aid, const uint64_t *params,
	   l7_time_ns now_ns, struct l7_pl_result *res)
{
	const struct pl_action *a = &pl->action[aid];
	uint64_t *x = pl->phv;
	/* every parameter array holds L7_PL_MAX_PARAMS values, and an action
	 * reads only its own n_params (checked at declaration): one fixed copy */
	memcpy(&x[PL_R_PARAM], params, sizeof(uint64_t) * L7_PL_MAX_PARAMS);
	if (a->all_set) {
		for (unsigned i = 0; i < a->n_prims; i++) {
			const struct pl_uop *u = &a->uop[i];
			x[u->dst] = x[u->a] & u->dmask;
		}
		if (a->fwd) {
			ps->egress = (uint16_t)x[PL_R_EGRESS];
			ps->egress_set = 1;
			ps->drop = 0;
		}
		return;
	}
	for (unsigned i = 0; i < a->n_prims; i++) {
		const struct pl_uop *u = &a->uop[i];
		uint64_t v;
		switch (u->op) {
		case L7_PL_OP_SET: v = x[u->a]; break;
		case L7_PL_OP_ADD: v = x[u->a] + x[u->b]; break;
		case L7_PL_OP_SUB: v = x[u->a] - x[u->b]; break;
		case L7_PL_OP_AND: v = x[u->a] & x[u->b]; break;
		case L7_PL_OP_OR: v = x[u->a] | x[u->b]; break;
		case L7_PL_OP_XOR: v = x[u->a] ^ x[u->b]; break;
		case L7_PL_OP_HASH:
			v = u->alg == L7_PL_HASH_CRC8 ? pl_crc8_fields(pl->crc8, u, x)
						      : pl_hash_fields(pl, u, x);
			break;
		case L7_PL_OP_FORWARD:
			ps->egress = (uint16_t)(x[u->a] & 0x1ff);
			ps->egress_set = 1;
			ps->drop = 0;
			continue;
		default:
			if (!run_slow(pl, ps, u, now_ns, res, &v))
				continue;
			break;
		}
		if (u->dst != PL_R_NONE)
			x[u->dst] = v & pl->fmask[u->dst];
	}
}

/* ------------------------------------------------------------ control flow */

/* Run the action of entry i (or the default on PL_NIL) of table tid.
 * Inline: as a call its register saves cost more than its bookkeeping. */
static inline __attribute__((always_inline)) void apply_found(struct l7_pipeline *pl, struct pl_pass *ps, int tid, uint32_t i,
			l7_time_ns now_ns, struct l7_pl_result *res)
{
	struct pl_table *t = &pl->table[tid];
	ps->applied |= 1ull << tid;
	if (i != PL_NIL) {
		struct pl_entry *e = &t->e[i];
		ps->hit |= 1ull << tid;
		pl->st.table_hits[tid]++;
		if (!e->hit)
			e->hit = 1;
		if (t->def.idle_timeout_ns) {
			t->ec[i].last_hit_ns = now_ns;
			t->ec[i].notified = 0;
		}
		run_action(pl, ps, e->action, e->params, now_ns, res);
		return;
	}
	pl->st.table_misses[tid]++;
	if (t->def.default_action >= 0)
		run_action(pl, ps, t->def.default_action, t->def.default_params, now_ns, res);
}

/* Run the steps of one pass (one packet in pl->phv; bursts: burst.c). */
static void run_steps(struct l7_pipeline *pl, struct pl_pass *ps, l7_time_ns now_ns,
		      struct l7_pl_result *res)
{
	unsigned i = 0;
	const uint64_t *x = pl->phv;
	unsigned n = pl->n_steps;
	while (i < n) {
		const struct pl_hop *h = &pl->hop[i];
		if (h->test == PL_HT_MASKED) {
			if (((x[h->field] & h->mask) == h->value) == h->neg) {
				/* the following steps whose first test is the same
				 * would fail it too: skip them at once */
				i = h->fail;
				continue;
			}
		} else if (h->test == PL_HT_CHAIN) {
			/* a decision table picks the taken step of the chain */
			const struct pl_chain *ch = &pl->chains[h->chain];
			unsigned t = ch->table[pl_chain_index(ch, x)];
			i = t;
			if (t >= ch->end)
				continue;
			h = &pl->hop[t];
		} else {
			const struct pl_cstep *s = &pl->cstep[i];
			if (!pl_cond_holds(x, ps, &s->cond[0])) {
				i = s->fail_next;
				continue;
			}
			unsigned c = 1;
			while (c < s->n_cond && pl_cond_holds(x, ps, &s->cond[c]))
				c++;
			if (c < s->n_cond) {
				i++;
				continue;
			}
		}
		switch (h->body) {
		case PL_HB_BIG:
		case PL_HB_TABLE:
			apply_found(pl, ps, h->obj, pl_hop_lookup(&pl->table[h->obj], h, pl_hop_key(x, h)),
				    now_ns, res);
			break;
		case PL_HB_ACTION:
			run_action(pl, ps, h->obj, h->params, now_ns, res);
			break;
		default:
			break;
		}
		i = h->next;
	}
}

/* ------------------------------------------------------------ process */

/* The remaining passes of a packet after the first (recirculation). */
void pl_more_passes(struct l7_pipeline *pl, struct pl_pass *ps, uint8_t *frame, uint32_t *len,
		    uint32_t cap, l7_time_ns now_ns, struct l7_pl_result *res)
{
	do {
		pl_pass_begin(pl, ps, pl->phv, frame, *len, L7_PL_PORT_RECIRC, res);
		run_steps(pl, ps, now_ns, res);
	} while (pl_pass_end(pl, ps, pl->phv, frame, len, cap, res));
}

int l7_pipeline_process(struct l7_pipeline *pl, uint8_t *frame, uint32_t len,
			uint32_t cap, uint16_t ingress_port, l7_time_ns now_ns,
			struct l7_pl_result *res)
{
	if (!pl || !frame || !res || cap < len)
		return L7_EINVAL;
	if (!pl->compiled)
		return L7_ESTATE;
	memset(res, 0, sizeof(*res));
	pl->st.packets++;
	struct pl_pass ps;
	pl_pass_begin(pl, &ps, pl->phv, frame, len, ingress_port, res);
	run_steps(pl, &ps, now_ns, res);
	if (pl_pass_end(pl, &ps, pl->phv, frame, &len, cap, res))
		pl_more_passes(pl, &ps, frame, &len, cap, now_ns, res);
	pl_finish(pl, &ps, len, ingress_port, now_ns, res);
	return 0;
}
