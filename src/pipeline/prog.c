/*
 * prog.c — declaring a switch program: fields (the PHV), actions built from
 * primitives, tables, registers, sketches, Bloom filters and control-flow
 * steps; and the direct (start-up) entry API.
 *
 * Invariants: declarations are only accepted before compile (L7_ESTATE
 * after); every reference (field, action, register, table) is checked when
 * declared, so the packet path never validates ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_internal.h"

static const struct {
	const char *name;
	uint8_t width;
} builtin[L7_PL_F__BUILTIN_COUNT] = {
	[L7_PL_F_INGRESS_PORT] = { "ig.port", 9 },
	[L7_PL_F_PKT_LEN] = { "pkt.len", 16 },
	[L7_PL_F_ETH_VALID] = { "eth.valid", 1 },
	[L7_PL_F_ETH_DST] = { "eth.dst", 48 },
	[L7_PL_F_ETH_SRC] = { "eth.src", 48 },
	[L7_PL_F_ETH_TYPE] = { "eth.type", 16 },
	[L7_PL_F_IPV4_VALID] = { "ipv4.valid", 1 },
	[L7_PL_F_IPV4_IHL] = { "ipv4.ihl", 4 },
	[L7_PL_F_IPV4_TOTAL_LEN] = { "ipv4.total_len", 16 },
	[L7_PL_F_IPV4_TTL] = { "ipv4.ttl", 8 },
	[L7_PL_F_IPV4_PROTO] = { "ipv4.proto", 8 },
	[L7_PL_F_IPV4_SRC] = { "ipv4.src", 32 },
	[L7_PL_F_IPV4_DST] = { "ipv4.dst", 32 },
	[L7_PL_F_TCP_VALID] = { "tcp.valid", 1 },
	[L7_PL_F_UDP_VALID] = { "udp.valid", 1 },
	[L7_PL_F_L4_SPORT] = { "l4.sport", 16 },
	[L7_PL_F_L4_DPORT] = { "l4.dport", 16 },
	[L7_PL_F_TCP_SEQ] = { "tcp.seq", 32 },
	[L7_PL_F_TCP_ACK] = { "tcp.ack", 32 },
	[L7_PL_F_TCP_DOFF] = { "tcp.doff", 4 },
	[L7_PL_F_TCP_FLAGS] = { "tcp.flags", 9 },
	[L7_PL_F_TCP_WINDOW] = { "tcp.window", 16 },
	[L7_PL_F_PAYLOAD_LEN] = { "payload.len", 16 },
};

void l7_pl_budget_default(struct l7_pl_budget *b)
{
	b->stages = 12;
	b->sram_blocks_per_stage = 80;
	b->sram_block_words = 1024;
	b->sram_word_bits = 128;
	b->tcam_blocks_per_stage = 24;
	b->tcam_block_entries = 512;
	b->tcam_block_bits = 44;
	b->salus_per_stage = 4;
	b->tables_per_stage = 16;
	b->vliw_per_stage = 32;
	b->hash_bits_per_stage = 416;
	b->exact_xbar_bytes_per_stage = 128;
	b->tcam_xbar_bytes_per_stage = 66;
	b->phv_bits = 4096;
}

void l7_pl_config_default(struct l7_pl_config *c)
{
	memset(c, 0, sizeof(*c));
	l7_pl_budget_default(&c->budget);
	c->pass_latency_ns = 1000;
	c->max_passes = 4;
	c->ctl_entries_per_s = 100000.0;
	c->ctl_batch_fixed_ns = 20000;
	c->ctl_latency_ns = 50000;
	c->ctl_batch_max = 256;
	c->ctl_queue_cap = 65536;
	c->ctl_commit_per_entry = 0;
	c->ctl_read_per_entry_ns = 100;
	c->cpu_pps = 100000.0;
	c->cpu_queue_cap = 1024;
	c->aging_sweep_ns = 100000000;
	c->event_queue_cap = 65536;
}

static int budget_ok(const struct l7_pl_budget *b)
{
	return b->stages > 0 && b->stages <= 64 && b->sram_block_words > 0 &&
	       b->sram_word_bits > 0 && b->tcam_block_entries > 0 && b->tcam_block_bits > 0;
}

int l7_pipeline_create(const struct l7_pl_config *cfg, struct l7_pipeline **out)
{
	if (!cfg || !out || !budget_ok(&cfg->budget) || !(cfg->ctl_entries_per_s > 0) ||
	    !(cfg->cpu_pps > 0) || cfg->max_passes == 0 || cfg->ctl_batch_max == 0 ||
	    cfg->ctl_batch_max > 256 || cfg->ctl_queue_cap == 0 || cfg->event_queue_cap == 0 ||
	    cfg->aging_sweep_ns == 0)
		return L7_EINVAL;
	struct l7_pipeline *pl = calloc(1, sizeof(*pl));
	if (!pl)
		return L7_ENOMEM;
	pl->cfg = *cfg;
	for (unsigned i = 0; i < L7_PL_F__BUILTIN_COUNT; i++) {
		strcpy(pl->field[i].name, builtin[i].name);
		pl->field[i].width = builtin[i].width;
		pl->field[i].mask = (1ull << builtin[i].width) - 1;
	}
	pl->n_fields = L7_PL_F__BUILTIN_COUNT;
	pl_hash_init(pl);
	*out = pl;
	return 0;
}

void l7_pipeline_destroy(struct l7_pipeline *pl)
{
	if (!pl)
		return;
	for (unsigned i = 0; i < pl->n_tables; i++)
		pl_table_free(&pl->table[i]);
	for (unsigned i = 0; i < pl->n_regs; i++) {
		free(pl->reg[i].cells);
		free(pl->reg[i].bits);
	}
	for (unsigned i = 0; i < pl->n_sketches; i++)
		free(pl->sketch[i].top);
	free(pl->used);
	free(pl->burst);
	for (unsigned i = 0; i < pl->n_chains; i++)
		free(pl->chains[i].table);
	free(pl->pend);
	free(pl->cpu);
	free(pl->ev);
	free(pl);
}

/* Copy a name, cut to L7_PL_NAME_MAX - 1 bytes. */
static void name_copy(char *dst, const char *src)
{
	size_t n = strlen(src);
	if (n > L7_PL_NAME_MAX - 1)
		n = L7_PL_NAME_MAX - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

static int name_ok(const char *n)
{
	return n && n[0] && strlen(n) < L7_PL_NAME_MAX;
}

int l7_pipeline_field_id(const struct l7_pipeline *pl, const char *name)
{
	if (!pl || !name)
		return L7_EINVAL;
	for (unsigned i = 0; i < pl->n_fields; i++)
		if (strcmp(pl->field[i].name, name) == 0)
			return (int)i;
	return L7_ENOENT;
}

int l7_pipeline_field_add(struct l7_pipeline *pl, const char *name, unsigned width_bits)
{
	if (!pl || !name_ok(name) || width_bits == 0 || width_bits > 64)
		return L7_EINVAL;
	if (pl->compiled)
		return L7_ESTATE;
	if (l7_pipeline_field_id(pl, name) >= 0)
		return L7_EEXIST;
	if (pl->n_fields >= L7_PL_MAX_FIELDS)
		return L7_EFULL;
	struct pl_field *f = &pl->field[pl->n_fields];
	strcpy(f->name, name);
	f->width = (uint8_t)width_bits;
	f->mask = width_bits == 64 ? ~0ull : (1ull << width_bits) - 1;
	return (int)pl->n_fields++;
}

/* ------------------------------------------------------------ primitives */

static struct l7_pl_prim prim0(enum l7_pl_op op)
{
	struct l7_pl_prim p;
	memset(&p, 0, sizeof(p));
	p.op = (uint8_t)op;
	p.dst = -1;
	return p;
}

static void prim_srcs(struct l7_pl_prim *p, const int *src, unsigned n)
{
	p->n_src = (uint8_t)(n > L7_PL_MAX_SRC ? L7_PL_MAX_SRC + 1 : n);
	for (unsigned i = 0; i < n && i < L7_PL_MAX_SRC; i++)
		p->src[i] = (int16_t)src[i];
}

struct l7_pl_prim l7_pl_p_set(int dst, struct l7_pl_operand a)
{
	struct l7_pl_prim p = prim0(L7_PL_OP_SET);
	p.dst = (int16_t)dst;
	p.a = a;
	return p;
}

struct l7_pl_prim l7_pl_p_alu(enum l7_pl_op op, int dst, struct l7_pl_operand a,
			      struct l7_pl_operand b)
{
	struct l7_pl_prim p = prim0(op);
	p.dst = (int16_t)dst;
	p.a = a;
	p.b = b;
	return p;
}

struct l7_pl_prim l7_pl_p_hash(int dst, enum l7_pl_hash_alg alg, const int *src,
			       unsigned n_src, uint64_t key)
{
	struct l7_pl_prim p = prim0(L7_PL_OP_HASH);
	p.dst = (int16_t)dst;
	p.alg = (uint8_t)alg;
	p.b = l7_pl_imm(key);
	prim_srcs(&p, src, n_src);
	return p;
}

struct l7_pl_prim l7_pl_p_reg(int reg, enum l7_pl_rmw rmw, struct l7_pl_operand index,
			      struct l7_pl_operand operand, int dst, int want_new)
{
	struct l7_pl_prim p = prim0(L7_PL_OP_REG);
	p.obj = (uint16_t)reg;
	p.rmw = (uint8_t)rmw;
	p.a = index;
	p.b = operand;
	p.dst = (int16_t)dst;
	p.want_new = (uint8_t)(want_new != 0);
	return p;
}

struct l7_pl_prim l7_pl_p_cms(int sketch, const int *src, unsigned n_src,
			      struct l7_pl_operand inc, int dst)
{
	struct l7_pl_prim p = prim0(L7_PL_OP_CMS);
	p.obj = (uint16_t)sketch;
	p.b = inc;
	p.dst = (int16_t)dst;
	prim_srcs(&p, src, n_src);
	return p;
}

struct l7_pl_prim l7_pl_p_bloom(int bloom, enum l7_pl_rmw rmw, const int *src,
				unsigned n_src, int dst)
{
	struct l7_pl_prim p = prim0(L7_PL_OP_BLOOM);
	p.obj = (uint16_t)bloom;
	p.rmw = (uint8_t)rmw;
	p.dst = (int16_t)dst;
	prim_srcs(&p, src, n_src);
	return p;
}

struct l7_pl_prim l7_pl_p_forward(struct l7_pl_operand port)
{
	struct l7_pl_prim p = prim0(L7_PL_OP_FORWARD);
	p.a = port;
	return p;
}

struct l7_pl_prim l7_pl_p_drop(void) { return prim0(L7_PL_OP_DROP); }
struct l7_pl_prim l7_pl_p_to_cpu(void) { return prim0(L7_PL_OP_TO_CPU); }
struct l7_pl_prim l7_pl_p_recirculate(void) { return prim0(L7_PL_OP_RECIRCULATE); }

struct l7_pl_prim l7_pl_p_mirror(struct l7_pl_operand port)
{
	struct l7_pl_prim p = prim0(L7_PL_OP_MIRROR);
	p.a = port;
	return p;
}

struct l7_pl_prim l7_pl_p_digest(int digest_id, const int *src, unsigned n_src)
{
	struct l7_pl_prim p = prim0(L7_PL_OP_DIGEST);
	p.obj = (uint16_t)digest_id;
	prim_srcs(&p, src, n_src);
	return p;
}

struct l7_pl_prim l7_pl_p_tcp_opts(int blob)
{
	struct l7_pl_prim p = prim0(L7_PL_OP_TCP_OPTS);
	p.obj = (uint16_t)blob;
	return p;
}

/* ------------------------------------------------------------ actions */

static int field_ok(const struct l7_pipeline *pl, int f)
{
	return f >= 0 && (unsigned)f < pl->n_fields;
}

static int operand_ok(const struct l7_pipeline *pl, struct l7_pl_operand o, unsigned n_params)
{
	switch (o.src) {
	case L7_PL_SRC_IMM: return 1;
	case L7_PL_SRC_PARAM: return o.v < n_params;
	case L7_PL_SRC_FIELD: return o.v < pl->n_fields;
	default: return 0;
	}
}

static int srcs_ok(const struct l7_pipeline *pl, const struct l7_pl_prim *p, int need)
{
	if (p->n_src > L7_PL_MAX_SRC || (need && p->n_src == 0))
		return 0;
	for (unsigned i = 0; i < p->n_src; i++)
		if (!field_ok(pl, p->src[i]))
			return 0;
	return 1;
}

static int prim_ok(const struct l7_pipeline *pl, const struct l7_pl_prim *p, unsigned np)
{
	int dst_ok = p->dst == -1 || field_ok(pl, p->dst);
	if (!dst_ok || !operand_ok(pl, p->a, np) || !operand_ok(pl, p->b, np))
		return 0;
	switch (p->op) {
	case L7_PL_OP_SET:
		return p->dst >= 0;
	case L7_PL_OP_ADD: case L7_PL_OP_SUB: case L7_PL_OP_AND:
	case L7_PL_OP_OR: case L7_PL_OP_XOR:
		return p->dst >= 0;
	case L7_PL_OP_HASH:
		return p->dst >= 0 && p->alg >= L7_PL_HASH_CRC8 &&
		       p->alg <= L7_PL_HASH_IDENTITY && srcs_ok(pl, p, 1);
	case L7_PL_OP_REG:
		return p->obj < pl->n_regs && p->rmw >= L7_PL_RMW_READ && p->rmw <= L7_PL_RMW_OR;
	case L7_PL_OP_CMS:
		return p->obj < pl->n_sketches && srcs_ok(pl, p, 1);
	case L7_PL_OP_BLOOM:
		return p->obj < pl->n_blooms && srcs_ok(pl, p, 1) &&
		       (p->rmw == L7_PL_BLOOM_QUERY || p->rmw == L7_PL_BLOOM_INSERT);
	case L7_PL_OP_DIGEST:
		return srcs_ok(pl, p, 0);
	case L7_PL_OP_TCP_OPTS:
		return p->obj < pl->n_blobs;
	case L7_PL_OP_FORWARD: case L7_PL_OP_DROP: case L7_PL_OP_TO_CPU:
	case L7_PL_OP_MIRROR: case L7_PL_OP_RECIRCULATE:
		return 1;
	default:
		return 0;
	}
}

int l7_pipeline_action_add(struct l7_pipeline *pl, const char *name,
			   unsigned n_params, const uint8_t *param_bits,
			   const struct l7_pl_prim *prims, unsigned n_prims)
{
	if (!pl || !name_ok(name) || n_params > L7_PL_MAX_PARAMS ||
	    (n_params && !param_bits) || n_prims > L7_PL_MAX_PRIMS || (n_prims && !prims))
		return L7_EINVAL;
	if (pl->compiled)
		return L7_ESTATE;
	if (pl->n_actions >= L7_PL_MAX_ACTIONS)
		return L7_EFULL;
	for (unsigned i = 0; i < pl->n_actions; i++)
		if (strcmp(pl->action[i].name, name) == 0)
			return L7_EEXIST;
	for (unsigned i = 0; i < n_params; i++)
		if (param_bits[i] == 0 || param_bits[i] > 64)
			return L7_EINVAL;
	for (unsigned i = 0; i < n_prims; i++)
		if (!prim_ok(pl, &prims[i], n_params))
			return L7_EINVAL;
	struct pl_action *a = &pl->action[pl->n_actions];
	strcpy(a->name, name);
	a->n_params = (uint8_t)n_params;
	for (unsigned i = 0; i < n_params; i++)
		a->param_bits[i] = param_bits[i];
	a->n_prims = (uint8_t)n_prims;
	for (unsigned i = 0; i < n_prims; i++)
		a->prims[i] = prims[i];
	return (int)pl->n_actions++;
}

int l7_pipeline_action_id(const struct l7_pipeline *pl, const char *name)
{
	if (!pl || !name)
		return L7_EINVAL;
	for (unsigned i = 0; i < pl->n_actions; i++)
		if (strcmp(pl->action[i].name, name) == 0)
			return (int)i;
	return L7_ENOENT;
}

int l7_pipeline_blob_add(struct l7_pipeline *pl, const uint8_t *bytes, size_t len)
{
	if (!pl || (len && !bytes) || len > L7_TCP_OPT_MAX)
		return L7_EINVAL;
	if (pl->compiled)
		return L7_ESTATE;
	if (pl->n_blobs >= 8)
		return L7_EFULL;
	memcpy(pl->blob[pl->n_blobs], bytes, len);
	pl->blob_len[pl->n_blobs] = (uint8_t)len;
	return (int)pl->n_blobs++;
}

/* ------------------------------------------------------------ tables */

static int action_bits(const struct l7_pipeline *pl, const struct l7_pl_table_def *d)
{
	unsigned maxb = 0, n = d->n_actions + (d->default_action >= 0);
	for (unsigned i = 0; i < d->n_actions; i++) {
		const struct pl_action *a = &pl->action[d->actions[i]];
		unsigned b = 0;
		for (unsigned k = 0; k < a->n_params; k++)
			b += a->param_bits[k];
		if (b > maxb)
			maxb = b;
	}
	unsigned instr = 0; /* bits to select among the table's actions */
	while ((1u << instr) < n)
		instr++;
	return (int)(maxb + instr);
}

int l7_pipeline_table_add(struct l7_pipeline *pl, const struct l7_pl_table_def *d)
{
	if (!pl || !d || !name_ok(d->name) || d->n_keys > L7_PL_MAX_KEY_FIELDS ||
	    d->size == 0 || d->n_actions > L7_PL_MAX_TABLE_ACTIONS)
		return L7_EINVAL;
	if (pl->compiled)
		return L7_ESTATE;
	if (pl->n_tables >= L7_PL_MAX_TABLES)
		return L7_EFULL;
	if (l7_pipeline_table_id(pl, d->name) >= 0)
		return L7_EEXIST;
	unsigned bits = 0, n_lpm = 0, n_tern = 0, n_range = 0;
	for (unsigned i = 0; i < d->n_keys; i++) {
		if (!field_ok(pl, d->key_field[i]))
			return L7_EINVAL;
		bits += pl->field[d->key_field[i]].width;
		switch (d->key_kind[i]) {
		case L7_PL_MATCH_EXACT: break;
		case L7_PL_MATCH_LPM: n_lpm++; break;
		case L7_PL_MATCH_TERNARY: n_tern++; break;
		case L7_PL_MATCH_RANGE: n_range++; break;
		default: return L7_EINVAL;
		}
	}
	if (bits > L7_PL_MAX_KEY_BITS || n_lpm > 1 || (n_range && (n_tern || n_lpm)))
		return L7_EINVAL;
	for (unsigned i = 0; i < d->n_actions; i++)
		if (d->actions[i] < 0 || (unsigned)d->actions[i] >= pl->n_actions)
			return L7_EINVAL;
	if (d->default_action >= (int)pl->n_actions)
		return L7_EINVAL;
	struct pl_table *t = &pl->table[pl->n_tables];
	memset(t, 0, sizeof(*t));
	strcpy(t->name, d->name);
	t->def = *d;
	t->def.name = t->name;
	t->kind = n_range ? PL_RANGE : n_tern ? PL_TERNARY : n_lpm ? PL_LPM : PL_EXACT;
	/* first key field in the most significant bits */
	unsigned shift = bits;
	for (unsigned i = 0; i < d->n_keys; i++) {
		unsigned w = pl->field[d->key_field[i]].width;
		shift -= w;
		t->key_shift[i] = (uint8_t)shift;
		t->key_width[i] = (uint8_t)w;
		t->key_bytes = (uint8_t)(t->key_bytes + (w + 7) / 8);
		if (d->key_kind[i] == L7_PL_MATCH_LPM)
			t->lpm_field = (uint8_t)i;
	}
	t->key_bits = (uint8_t)bits;
	t->action_bits = (uint16_t)action_bits(pl, d);
	t->step = -1;
	t->first_stage = t->last_stage = -1;
	return (int)pl->n_tables++;
}

int l7_pipeline_table_id(const struct l7_pipeline *pl, const char *name)
{
	if (!pl || !name)
		return L7_EINVAL;
	for (unsigned i = 0; i < pl->n_tables; i++)
		if (strcmp(pl->table[i].name, name) == 0)
			return (int)i;
	return L7_ENOENT;
}

/* ------------------------------------------------------------ state */

static int reg_declare(struct l7_pipeline *pl, const char *name, uint32_t size, unsigned w)
{
	if (pl->n_regs >= L7_PL_MAX_REGISTERS)
		return L7_EFULL;
	struct pl_register *r = &pl->reg[pl->n_regs];
	memset(r, 0, sizeof(*r));
	name_copy(r->name, name);
	r->size = size;
	r->width = (uint8_t)w;
	r->max = w == 64 ? ~0ull : (1ull << w) - 1;
	r->last_pass = ~0ull;
	r->stage = -1;
	return (int)pl->n_regs++;
}

int l7_pipeline_register_add(struct l7_pipeline *pl, const char *name,
			     uint32_t size, unsigned width_bits)
{
	if (!pl || !name_ok(name) || size == 0 || width_bits == 0 || width_bits > 64)
		return L7_EINVAL;
	if (pl->compiled)
		return L7_ESTATE;
	for (unsigned i = 0; i < pl->n_regs; i++)
		if (strcmp(pl->reg[i].name, name) == 0)
			return L7_EEXIST;
	return reg_declare(pl, name, size, width_bits);
}

static int rows_declare(struct l7_pipeline *pl, const char *name, unsigned rows,
			uint32_t size, unsigned w, int *reg)
{
	if (pl->n_regs + rows > L7_PL_MAX_REGISTERS)
		return L7_EFULL;
	for (unsigned r = 0; r < rows; r++) {
		char rn[L7_PL_NAME_MAX + 8];
		snprintf(rn, sizeof(rn), "%.*s.row%u", L7_PL_NAME_MAX - 8, name, r);
		reg[r] = reg_declare(pl, rn, size, w);
	}
	return 0;
}

int l7_pipeline_sketch_add(struct l7_pipeline *pl, const char *name, unsigned rows,
			   uint32_t width, unsigned counter_bits, unsigned top_n)
{
	if (!pl || !name_ok(name) || rows == 0 || rows > L7_PL_MAX_CMS_ROWS || width == 0 ||
	    counter_bits < 2 || counter_bits > 64 || top_n > 4096)
		return L7_EINVAL;
	if (pl->compiled)
		return L7_ESTATE;
	if (pl->n_sketches >= L7_PL_MAX_SKETCHES)
		return L7_EFULL;
	struct pl_sketch *s = &pl->sketch[pl->n_sketches];
	memset(s, 0, sizeof(*s));
	int rc = rows_declare(pl, name, rows, width, counter_bits, s->reg);
	if (rc < 0)
		return rc;
	strcpy(s->name, name);
	s->rows = (uint8_t)rows;
	s->width = width;
	s->top_n = top_n;
	return (int)pl->n_sketches++;
}

int l7_pipeline_bloom_add(struct l7_pipeline *pl, const char *name, unsigned rows,
			  uint32_t bits)
{
	if (!pl || !name_ok(name) || rows == 0 || rows > L7_PL_MAX_CMS_ROWS || bits == 0)
		return L7_EINVAL;
	if (pl->compiled)
		return L7_ESTATE;
	if (pl->n_blooms >= L7_PL_MAX_BLOOMS)
		return L7_EFULL;
	struct pl_bloom *b = &pl->bloom[pl->n_blooms];
	memset(b, 0, sizeof(*b));
	int rc = rows_declare(pl, name, rows, bits, 1, b->reg);
	if (rc < 0)
		return rc;
	strcpy(b->name, name);
	b->rows = (uint8_t)rows;
	b->bits = bits;
	return (int)pl->n_blooms++;
}

int l7_pipeline_sketch_row_reg(const struct l7_pipeline *pl, int sketch, unsigned row)
{
	if (!pl || sketch < 0 || (unsigned)sketch >= pl->n_sketches ||
	    row >= pl->sketch[sketch].rows)
		return L7_EINVAL;
	return pl->sketch[sketch].reg[row];
}

int l7_pipeline_bloom_row_reg(const struct l7_pipeline *pl, int bloom, unsigned row)
{
	if (!pl || bloom < 0 || (unsigned)bloom >= pl->n_blooms || row >= pl->bloom[bloom].rows)
		return L7_EINVAL;
	return pl->bloom[bloom].reg[row];
}

/* ------------------------------------------------------------ steps */

static int cond_ok(const struct l7_pipeline *pl, const struct l7_pl_cond *c)
{
	if (c->cmp == L7_PL_CMP_HIT || c->cmp == L7_PL_CMP_MISS)
		return c->field >= 0 && (unsigned)c->field < pl->n_tables &&
		       pl->table[c->field].step >= 0;
	return c->cmp >= L7_PL_CMP_EQ && c->cmp <= L7_PL_CMP_NONE && field_ok(pl, c->field);
}

int l7_pipeline_step_add(struct l7_pipeline *pl, const struct l7_pl_step *s)
{
	if (!pl || !s || s->n_cond > L7_PL_MAX_COND)
		return L7_EINVAL;
	if (pl->compiled)
		return L7_ESTATE;
	if (pl->n_steps >= L7_PL_MAX_STEPS)
		return L7_EFULL;
	unsigned idx = pl->n_steps;
	int has_t = s->table >= 0, has_a = s->action >= 0;
	if (has_t && has_a)
		return L7_EINVAL;
	if (has_t && ((unsigned)s->table >= pl->n_tables || pl->table[s->table].step >= 0))
		return L7_EINVAL; /* unknown, or a table applied twice */
	if (has_a && (unsigned)s->action >= pl->n_actions)
		return L7_EINVAL;
	if (s->goto_step != -1 && s->goto_step != L7_PL_STEP_END &&
	    (s->goto_step <= (int)idx || s->goto_step > L7_PL_MAX_STEPS))
		return L7_EINVAL;
	for (unsigned i = 0; i < s->n_cond; i++)
		if (!cond_ok(pl, &s->cond[i]))
			return L7_EINVAL;
	struct pl_step *st = &pl->step[idx];
	memset(st, 0, sizeof(*st));
	st->s = *s;
	const char *lbl = s->label ? s->label
			  : has_t ? pl->table[s->table].name
			  : has_a ? pl->action[s->action].name : "cond";
	name_copy(st->label, lbl);
	st->s.label = st->label;
	st->first_stage = st->last_stage = -1;
	if (has_t)
		pl->table[s->table].step = (int)idx;
	return (int)pl->n_steps++;
}

/* ------------------------------------------------------------ entries */

int pl_entry_convert(const struct pl_table *t, const struct l7_pl_entry *in,
		     struct pl_entry *out, uint64_t *lo, uint64_t *hi)
{
	memset(out, 0, sizeof(*out));
	uint64_t key = 0, mask = 0;
	int32_t prio = 0;
	for (unsigned f = 0; f < t->def.n_keys; f++) {
		unsigned w = t->key_width[f], sh = t->key_shift[f];
		uint64_t fm = w == 64 ? ~0ull : (1ull << w) - 1;
		uint64_t m = fm;
		uint64_t v = in->value[f];
		if (v & ~fm)
			return L7_ERANGE;
		switch (t->def.key_kind[f]) {
		case L7_PL_MATCH_TERNARY:
			m = in->mask[f] & fm;
			break;
		case L7_PL_MATCH_LPM:
			if (in->prefix_len > w)
				return L7_ERANGE;
			m = in->prefix_len == 0 ? 0 : (fm << (w - in->prefix_len)) & fm;
			prio = in->prefix_len;
			break;
		case L7_PL_MATCH_RANGE:
			if (in->hi[f] & ~fm || in->hi[f] < v)
				return L7_ERANGE;
			break;
		default:
			break;
		}
		if (lo && hi) {
			lo[f] = v;
			hi[f] = t->def.key_kind[f] == L7_PL_MATCH_RANGE ? in->hi[f] : v;
		}
		key |= (v & m) << sh;
		mask |= m << sh;
	}
	if (t->kind == PL_TERNARY || t->kind == PL_RANGE)
		prio = in->priority;
	out->key = key;
	out->mask = mask;
	out->prio = prio;
	return 0;
}

static int action_allowed(const struct pl_table *t, int a)
{
	for (unsigned i = 0; i < t->def.n_actions; i++)
		if (t->def.actions[i] == a)
			return 1;
	return 0;
}

/* Apply one table operation now (start-up API and the channel's apply). */
int pl_entry_apply(struct l7_pipeline *pl, int table, uint8_t op,
		   const struct l7_pl_entry *e, l7_time_ns now_ns)
{
	struct pl_table *t = &pl->table[table];
	struct pl_entry ne;
	uint64_t lo[L7_PL_MAX_KEY_FIELDS] = { 0 }, hi[L7_PL_MAX_KEY_FIELDS] = { 0 };
	int rc = pl_entry_convert(t, e, &ne, lo, hi);
	if (rc < 0)
		return rc;
	if (op != L7_PL_REQ_DELETE) {
		if (!action_allowed(t, e->action))
			return L7_EINVAL;
		ne.action = (uint16_t)e->action;
		memcpy(ne.params, e->params, sizeof(ne.params));
	}
	uint32_t idx;
	switch (op) {
	case L7_PL_REQ_ADD:
		return pl_table_insert(t, &ne, lo, hi, now_ns, &idx);
	case L7_PL_REQ_MODIFY:
		rc = pl_table_find(t, ne.key & ne.mask, ne.mask, ne.prio, lo, hi, &idx);
		if (rc < 0)
			return rc;
		t->e[idx].action = ne.action;
		memcpy(t->e[idx].params, ne.params, sizeof(ne.params));
		return 0;
	case L7_PL_REQ_DELETE:
		rc = pl_table_find(t, ne.key & ne.mask, ne.mask, ne.prio, lo, hi, &idx);
		if (rc < 0)
			return rc;
		return pl_table_remove(t, idx);
	default:
		return L7_EINVAL;
	}
}

static int table_ok(const struct l7_pipeline *pl, int table)
{
	return pl && table >= 0 && (unsigned)table < pl->n_tables;
}

int l7_pipeline_entry_add(struct l7_pipeline *pl, int table, const struct l7_pl_entry *e,
			  l7_time_ns now_ns)
{
	if (!table_ok(pl, table) || !e)
		return L7_EINVAL;
	if (!pl->compiled)
		return L7_ESTATE;
	struct pl_table *t = &pl->table[table];
	if (t->reserved >= t->cap)
		return L7_EFULL;
	int rc = pl_entry_apply(pl, table, L7_PL_REQ_ADD, e, now_ns);
	if (rc == 0)
		t->reserved++;
	return rc;
}

int l7_pipeline_entry_modify(struct l7_pipeline *pl, int table, const struct l7_pl_entry *e)
{
	if (!table_ok(pl, table) || !e)
		return L7_EINVAL;
	if (!pl->compiled)
		return L7_ESTATE;
	return pl_entry_apply(pl, table, L7_PL_REQ_MODIFY, e, 0);
}

int l7_pipeline_entry_delete(struct l7_pipeline *pl, int table, const struct l7_pl_entry *e)
{
	if (!table_ok(pl, table) || !e)
		return L7_EINVAL;
	if (!pl->compiled)
		return L7_ESTATE;
	int rc = pl_entry_apply(pl, table, L7_PL_REQ_DELETE, e, 0);
	if (rc == 0)
		pl->table[table].reserved--;
	return rc;
}

static uint64_t key_from_values(const struct pl_table *t, const uint64_t *v)
{
	uint64_t key = 0;
	for (unsigned f = 0; f < t->def.n_keys; f++) {
		uint64_t fm = t->key_width[f] == 64 ? ~0ull : (1ull << t->key_width[f]) - 1;
		key |= (v[f] & fm) << t->key_shift[f];
	}
	return key;
}

int l7_pipeline_entry_lookup(const struct l7_pipeline *pl, int table,
			     const uint64_t key_values[], struct l7_pl_entry *out)
{
	if (!table_ok(pl, table) || !key_values)
		return L7_EINVAL;
	if (!pl->compiled)
		return L7_ESTATE;
	const struct pl_table *t = &pl->table[table];
	uint32_t i = pl_table_lookup(t, key_from_values(t, key_values));
	if (i == PL_NIL)
		return 0;
	if (out) {
		memset(out, 0, sizeof(*out));
		out->action = t->e[i].action;
		out->priority = t->e[i].prio;
		memcpy(out->params, t->e[i].params, sizeof(out->params));
		pl_table_key_values(t, i, out->value);
	}
	return 1;
}

int l7_pipeline_entry_hit(const struct l7_pipeline *pl, int table, const uint64_t key_values[])
{
	if (!table_ok(pl, table) || !key_values || !pl->compiled)
		return L7_EINVAL;
	const struct pl_table *t = &pl->table[table];
	uint32_t i = pl_table_lookup(t, key_from_values(t, key_values));
	return i == PL_NIL ? L7_ENOENT : t->e[i].hit;
}

uint32_t l7_pipeline_table_count(const struct l7_pipeline *pl, int table)
{
	if (!table_ok(pl, table) || !pl->compiled)
		return 0;
	return pl->table[table].count;
}

void l7_pipeline_stats(const struct l7_pipeline *pl, struct l7_pl_stats *out)
{
	if (pl && out)
		*out = pl->st;
}
