/*
 * pl_internal.h — the private state of the switch model, shared by the
 * files of src/pipeline/ only (not installed).
 *
 * Invariants: every array here is sized at create or compile time; after
 * compile nothing grows. Table entries live in a per-table pool; lookups go
 * through a tuple-space index (one group per distinct mask) so exact, LPM
 * and ternary tables share one structure (match.c). Field values in the
 * PHV are always masked to their declared width.
 */
#ifndef L7_PIPELINE_INTERNAL_H
#define L7_PIPELINE_INTERNAL_H

#include <stdint.h>

#include "l7splice/pipeline.h"
#include "l7splice/packet.h"

struct l7_table;

#define PL_NIL 0xffffffffu
#define PL_CT_MIN 16384u /* exact tables this big live in a conntable */
#define PL_DIRECT_BITS 16 /* exact tables with keys this narrow: direct index */
#define PL_OP_CLEAR 100 /* internal channel op: register clear */

/*
 * A step as the packet path reads it (compiled from pl_cstep): one compact
 * record with the common test (a single masked condition, or a decision
 * table) and the body (which table, with its key layout, or which action)
 * resolved, so a step visit is one test and one dispatch. Steps with
 * several conditions or non-masked ones take the general path (PL_HT_SLOW,
 * which reads the full pl_cstep).
 */
enum { PL_HT_MASKED = 0, PL_HT_CHAIN, PL_HT_SLOW };
enum { PL_HB_NONE = 0, PL_HB_TABLE, PL_HB_BIG, PL_HB_ACTION };
/* How a PL_HB_TABLE body looks its key up, resolved at compile. */
enum { PL_LK_GEN = 0, PL_LK_DIRECT, PL_LK_EXACT };
struct pl_hop {
	uint8_t test, body, neg, key_n;
	uint8_t lk;          /* PL_HB_TABLE: PL_LK_* */
	uint16_t field;      /* PL_HT_MASKED: ((x[field] & mask) == value) != neg */
	uint16_t next;       /* step after a taken step */
	uint16_t fail;       /* step after a failed test */
	int16_t obj;         /* table or action of the body */
	int16_t chain;       /* PL_HT_CHAIN: its decision table */
	uint8_t key_shift[4];
	uint16_t key_field[4];
	uint64_t mask, value;
	const uint64_t *params; /* PL_HB_ACTION: the step's parameters */
};

/* Bit set over field ids, for dependency analysis. */
struct pl_fset {
	uint64_t w[L7_PL_MAX_FIELDS / 64];
};

struct pl_field {
	char name[L7_PL_NAME_MAX];
	uint8_t width;
	uint64_t mask;
};

/*
 * The operand space of the packet path: PHV fields at [0, n_fields), the
 * running action's parameters at PL_R_PARAM, the program's immediates at
 * PL_R_CONST (written once at compile). A compiled primitive names every
 * operand by its index here, so executing one is a load, an op and a store.
 */
#define PL_R_PARAM L7_PL_MAX_FIELDS
#define PL_R_CONST (PL_R_PARAM + L7_PL_MAX_PARAMS)
#define PL_MAX_CONSTS 1024
#define PL_R_EGRESS (PL_R_CONST + PL_MAX_CONSTS) /* FORWARD's port in a SET-only action */
#define PL_R_NONE 0xffff

/* A primitive compiled against the operand space. */
struct pl_uop {
	uint8_t op, alg, rmw, want_new;
	uint16_t dst, a, b, obj;
	uint8_t n_src;
	int16_t src[L7_PL_MAX_SRC];
	uint8_t src_bytes[L7_PL_MAX_SRC]; /* bytes each source takes in a hash */
	uint64_t key;        /* keyed hash */
	uint64_t dmask;      /* width mask of dst (0x1ff for PL_R_EGRESS) */
};

/*
 * A primitive as the burst executor runs it over a list of packets
 * (burst.c): the operand kind is resolved at compile, so each kind is one
 * tight loop over the packets. PL_VK_GEN runs the general per-packet form
 * of uop[k].
 */
enum {
	PL_VK_SET_F = 0, /* x[dst] = x[a] & c */
	PL_VK_SET_P,     /* x[dst] = param[a] & c */
	PL_VK_SET_C,     /* x[dst] = c (masked at compile) */
	PL_VK_FWD_F,     /* egress = x[a] & 0x1ff */
	PL_VK_FWD_P,     /* egress = param[a] & 0x1ff */
	PL_VK_FWD_C,     /* egress = c */
	PL_VK_CRC8,      /* x[dst] = CRC8 over uop[k]'s sources */
	PL_VK_GEN,
};
struct pl_vop {
	uint8_t kind, k;
	uint16_t dst, a;
	uint64_t c;
};

struct pl_action {
	char name[L7_PL_NAME_MAX];
	uint8_t n_params;
	uint8_t param_bits[L7_PL_MAX_PARAMS];
	uint8_t n_prims;
	uint8_t all_set;     /* only SET and FORWARD: the tight loop */
	uint8_t fwd;         /* all_set with a FORWARD: its port is in PL_R_EGRESS */
	struct l7_pl_prim prims[L7_PL_MAX_PRIMS];
	struct pl_uop uop[L7_PL_MAX_PRIMS];
	struct pl_vop vop[L7_PL_MAX_PRIMS];
};

/*
 * A condition compiled for the packet path: kind 0 is the common masked
 * test ((x[field] & mask) == value) != neg, which covers ==, !=, any-of and
 * none-of; the others are <, >=, hit and miss. A step without conditions
 * gets one that always holds (mask 0, value 0), so the loop never asks.
 */
enum { PL_CK_MASKED = 0, PL_CK_LT, PL_CK_GE, PL_CK_HIT, PL_CK_MISS };

struct pl_ccond {
	uint8_t kind;
	uint8_t neg;
	uint16_t field;
	uint64_t mask, value;
};

/* A control-flow step compiled for the packet path. */
struct pl_cstep {
	uint8_t n_cond;      /* >= 1 (see pl_ccond) */
	int16_t table, action;
	uint16_t next;       /* step index after a taken step (n_steps = end) */
	uint16_t fail_next;  /* step index when cond[0] fails */
	int16_t chain;       /* decision table starting here, -1 none */
	uint8_t key_n;       /* the applied table's key, resolved at compile */
	uint16_t key_field[L7_PL_MAX_KEY_FIELDS];
	uint8_t key_shift[L7_PL_MAX_KEY_FIELDS];
	struct pl_ccond cond[L7_PL_MAX_COND];
	uint64_t params[L7_PL_MAX_PARAMS];
};

/* One installed entry: the fields a lookup touches, in one 64-byte line.
 * Key and mask are the concatenated key fields. */
struct pl_entry {
	uint64_t key, mask;
	uint64_t params[L7_PL_MAX_PARAMS];
	int32_t prio;
	uint32_t next;       /* chain of entries with the same masked key */
	uint32_t group;
	uint16_t action;
	uint8_t used;
	uint8_t hit;         /* hit bit since the last sweep */
};

/* The rest of an entry, kept apart so lookups stay in one cache line. */
struct pl_ecold {
	l7_time_ns last_hit_ns;
	uint32_t seq;        /* install order: ties between equal priorities */
	uint8_t notified;    /* aging notification sent, not re-armed */
};

/* One distinct mask of a tuple-space index. */
struct pl_group {
	uint64_t mask;
	int32_t max_prio;
	uint32_t n;
};

/* grp_order's groups with what a lookup reads of them, in probe order. */
struct pl_gord {
	uint64_t mask;
	uint64_t seed;       /* the group's term of slot_hash, precomputed */
	uint32_t g;
	int32_t max_prio;
};

struct pl_slot {
	uint64_t mkey;
	uint32_t group;
	uint32_t head;       /* entry index + 1; 0 = empty slot */
};

enum pl_kind { PL_EXACT = 1, PL_LPM, PL_TERNARY, PL_RANGE };

struct pl_table {
	char name[L7_PL_NAME_MAX];
	struct l7_pl_table_def def;
	uint8_t kind;                 /* enum pl_kind */
	uint8_t key_shift[L7_PL_MAX_KEY_FIELDS];
	uint8_t key_width[L7_PL_MAX_KEY_FIELDS];
	uint8_t lpm_field;            /* index of the LPM key field */
	uint8_t key_bits;
	uint8_t key_bytes;            /* crossbar bytes */
	uint8_t big;                  /* exact and large: prefetched in bursts */
	uint16_t action_bits;         /* widest action data + instruction bits */
	int step;                     /* the step applying it, -1 none */
	/* runtime (allocated at compile) */
	struct pl_entry *e;
	struct pl_ecold *ec;
	struct l7_table *ct;          /* EXACT: key -> entry index (conntable) */
	uint32_t cap, count, reserved, n_free;
	uint32_t *free_list;
	uint32_t seq;
	struct pl_slot *slot;
	uint32_t slot_mask;
	uint32_t *direct;             /* small-key EXACT: key -> entry index + 1 */
	struct pl_group *grp;
	uint32_t n_grp;
	uint32_t *grp_order;          /* active groups, max_prio descending */
	struct pl_gord *gord;         /* the same, packed for lookups */
	uint32_t n_order;
	uint64_t (*rlo)[L7_PL_MAX_KEY_FIELDS]; /* RANGE: per entry bounds */
	uint64_t (*rhi)[L7_PL_MAX_KEY_FIELDS];
	uint32_t *rorder;             /* RANGE: entries by priority */
	uint32_t n_rorder;
	/* placement */
	int16_t first_stage, last_stage;
};

struct pl_register {
	char name[L7_PL_NAME_MAX];
	uint32_t size;
	uint8_t width;
	uint64_t max;
	uint64_t *cells;              /* width > 1 */
	uint64_t *bits;               /* width == 1: bitmap */
	uint64_t last_pass;           /* pass id of the last RMW */
	int16_t stage;
};

struct pl_topn_slot {
	uint64_t key, est;
};

struct pl_sketch {
	char name[L7_PL_NAME_MAX];
	uint8_t rows;
	uint32_t width;
	int reg[L7_PL_MAX_CMS_ROWS];
	uint32_t top_n, n_top;
	struct pl_topn_slot *top;
	uint64_t top_min;             /* smallest estimate when full */
};

struct pl_bloom {
	char name[L7_PL_NAME_MAX];
	uint8_t rows;
	uint32_t bits;
	int reg[L7_PL_MAX_CMS_ROWS];
};

struct pl_step {
	struct l7_pl_step s;
	char label[L7_PL_NAME_MAX];
	int16_t first_stage, last_stage;
};

/*
 * An if / else-if chain of steps [start, end) compiled into a decision
 * table: every condition in it is a masked test on a few bits, and every
 * taken step leaves the chain, so the first step whose conditions hold is a
 * function of those bits alone. The bits are gathered field by field into
 * an index; table[index] is that step, or `end` when none holds.
 */
#define PL_CHAIN_FIELDS 8
#define PL_CHAIN_BITS 10
struct pl_chain {
	uint16_t end;
	uint8_t n_fields;
	uint16_t field[PL_CHAIN_FIELDS];
	uint64_t mask[PL_CHAIN_FIELDS];  /* bits tested, within the field */
	uint8_t shift[PL_CHAIN_FIELDS];  /* contiguous masks: (x >> shift) */
	uint8_t bits[PL_CHAIN_FIELDS];
	uint8_t contig[PL_CHAIN_FIELDS];
	uint8_t all_contig;              /* every mask contiguous: the fast index */
	uint8_t n_whole;                 /* all_contig: fields [0, n_whole) are
					  * tested whole (term x << oshift) */
	uint8_t oshift[PL_CHAIN_FIELDS]; /* where field f's bits go in the index */
	uint64_t low[PL_CHAIN_FIELDS];   /* (1 << bits) - 1 */
	uint16_t *table;
};

/* The state of one pass of one packet besides its PHV (exec.c, burst.c). */
struct pl_pass {
	uint64_t orig[L7_PL_F__BUILTIN_COUNT];
	struct l7_pkt pkt;    /* l3_off/l4_off always; the rest after a full parse */
	int parsed;           /* 1: IPv4 TCP/UDP, offsets valid for deparse */
	int egress_set, drop, to_cpu, recirc, opts_blob;
	uint16_t egress;
	uint64_t applied, hit;
};

/* A queued channel item (table request or register clear). */
struct pl_pending {
	struct l7_pl_req req;
	l7_time_ns visible_ns;
};

/* A CPU-path item (digest or CPU-port packet) waiting to reach the CPU. */
struct pl_cpu_item {
	l7_time_ns done_ns;
	uint8_t kind;
	int id;
	uint64_t data[L7_PL_MAX_SRC];
};

/* Resources, in the order the usage table prints them. */
enum pl_res {
	PL_R_XBAR, PL_R_SRAM, PL_R_TCAM, PL_R_VLIW, PL_R_HASH, PL_R_SALU,
	PL_R_TABLES, PL_R__STAGE_COUNT, /* per-stage ones above */
};

struct l7_pipeline {
	struct l7_pl_config cfg;
	int compiled;
	/* program */
	struct pl_field field[L7_PL_MAX_FIELDS];
	unsigned n_fields;
	struct pl_action action[L7_PL_MAX_ACTIONS];
	unsigned n_actions;
	struct pl_table table[L7_PL_MAX_TABLES];
	unsigned n_tables;
	struct pl_step step[L7_PL_MAX_STEPS];
	unsigned n_steps;
	struct pl_register reg[L7_PL_MAX_REGISTERS];
	unsigned n_regs;
	struct pl_sketch sketch[L7_PL_MAX_SKETCHES];
	unsigned n_sketches;
	struct pl_bloom bloom[L7_PL_MAX_BLOOMS];
	unsigned n_blooms;
	uint8_t blob[8][L7_TCP_OPT_MAX];
	uint8_t blob_len[8];
	unsigned n_blobs;
	/* hash units */
	uint8_t crc8[256];
	uint16_t crc16[256];
	uint32_t crc32[L7_PL_MAX_CMS_ROWS][256]; /* row 0 = IEEE CRC-32 */
	/* compile results: used[stage][res] */
	uint32_t (*used)[PL_R__STAGE_COUNT];
	uint32_t phv_used;
	unsigned stages_used;
	/* runtime */
	uint64_t pass_id;
	uint64_t phv[PL_R_EGRESS + 1]; /* operand space, see above */
	uint64_t fmask[L7_PL_MAX_FIELDS];
	unsigned n_consts;
	struct pl_cstep cstep[L7_PL_MAX_STEPS];
	struct pl_hop hop[L7_PL_MAX_STEPS];
	struct pl_chain chains[L7_PL_MAX_STEPS / 3];
	unsigned n_chains;
	int burst_ok;                  /* no state shared between packets */
	void *burst;                   /* the burst executor's workspace (burst.c) */
	struct l7_pl_stats st;
	/* control channel */
	struct pl_pending *pend;
	uint32_t pend_head, pend_n;
	l7_time_ns ctl_free_ns;
	l7_time_ns last_visible[256];  /* per-request times of the last batch */
	unsigned last_batch_n;
	struct pl_cpu_item *cpu;
	uint32_t cpu_head, cpu_n;
	l7_time_ns cpu_free_ns;
	struct l7_pl_event *ev;
	uint32_t ev_head, ev_n;
	l7_time_ns last_sweep_ns;      /* last aging boundary processed */
	int has_aging;
};

/* hash.c */
void pl_hash_init(struct l7_pipeline *pl);
uint32_t pl_crc8(const struct l7_pipeline *pl, const uint8_t *b, size_t n);
uint32_t pl_crc16(const struct l7_pipeline *pl, const uint8_t *b, size_t n);
uint32_t pl_crc32_row(const struct l7_pipeline *pl, unsigned row, const uint8_t *b, size_t n);
uint64_t pl_keyed64(uint64_t key, const uint8_t *b, size_t n);
/* Concatenate fields' values in network order (ceil(width/8) bytes each). */
size_t pl_pack_fields(const struct l7_pipeline *pl, const int16_t *src, unsigned n,
		      const uint64_t *values, uint8_t *out);

/* match.c */
void *pl_alloc_big(size_t bytes);
void pl_free_big(void *p);
int pl_table_alloc(struct pl_table *t);
void pl_table_free(struct pl_table *t);
int pl_table_insert(struct pl_table *t, const struct pl_entry *ne,
		    const uint64_t *lo, const uint64_t *hi, l7_time_ns now_ns, uint32_t *idx_out);
int pl_table_find(const struct pl_table *t, uint64_t key, uint64_t mask, int32_t prio,
		  const uint64_t *lo, const uint64_t *hi, uint32_t *idx_out);
int pl_table_remove(struct pl_table *t, uint32_t idx);
/* Exact tables, n <= 64 keys at once (the table prefetches for all). */
void pl_exact_lookup_batch(const struct pl_table *t, const uint64_t *keys, unsigned n,
			   uint32_t *idx_out);
/* Best matching entry index for a packet key, PL_NIL on a miss. */
uint32_t pl_table_lookup(const struct pl_table *t, uint64_t key);
/* The tuple-space index's slot hash (match.c): a group's seed is its
 * number times a constant, so an exact table's one group (0) has seed 0. */
static inline uint64_t pl_group_seed(uint32_t group)
{
	return (uint64_t)group * 0x9e3779b97f4a7c15ull;
}

static inline uint32_t pl_slot_hash_seeded(uint64_t mkey, uint64_t seed)
{
	uint64_t h = (mkey ^ seed) * 0xff51afd7ed558ccdull;
	return (uint32_t)(h >> 32 ^ h);
}

/* A small exact table (one group, every key bit): one linear probe. */
static inline uint32_t pl_exact_probe(const struct pl_table *t, uint64_t key)
{
	for (uint32_t i = pl_slot_hash_seeded(key, 0) & t->slot_mask;; i = (i + 1) & t->slot_mask) {
		const struct pl_slot *sl = &t->slot[i];
		if (sl->mkey == key && sl->head)
			return sl->head - 1;
		if (sl->head == 0)
			return PL_NIL;
	}
}

void pl_table_key_values(const struct pl_table *t, uint32_t idx, uint64_t *vals);

/* prog.c */
int pl_entry_convert(const struct pl_table *t, const struct l7_pl_entry *in,
		     struct pl_entry *out, uint64_t *lo, uint64_t *hi);
int pl_entry_apply(struct l7_pipeline *pl, int table, uint8_t op,
		   const struct l7_pl_entry *e, l7_time_ns now_ns);

/* exec.c (the parser, deparser and pass bookkeeping: pass.h) */
int pl_exec_prepare(struct l7_pipeline *pl);
void pl_more_passes(struct l7_pipeline *pl, struct pl_pass *ps, uint8_t *frame, uint32_t *len,
		    uint32_t cap, l7_time_ns now_ns, struct l7_pl_result *res);
/* A HASH primitive's value over the fields of PHV x. */
uint64_t pl_hash_fields(const struct l7_pipeline *pl, const struct pl_uop *u, const uint64_t *x);

/* burst.c */
int pl_burst_prepare(struct l7_pipeline *pl);

/* A decision table's index for PHV x (see struct pl_chain). */
static inline uint32_t pl_chain_index(const struct pl_chain *ch, const uint64_t *x)
{
	uint32_t idx = 0;
	if (ch->all_contig) {
		/* the same index as below, each field's bits placed at once */
		unsigned f = 0;
		for (; f < ch->n_whole; f++)
			idx |= (uint32_t)x[ch->field[f]] << ch->oshift[f];
		for (; f < ch->n_fields; f++)
			idx |= (uint32_t)((x[ch->field[f]] >> ch->shift[f]) & ch->low[f]) << ch->oshift[f];
		return idx;
	}
	for (unsigned f = 0; f < ch->n_fields; f++) {
		uint64_t v = x[ch->field[f]] & ch->mask[f];
		if (ch->contig[f]) {
			v >>= ch->shift[f];
		} else {
			uint64_t r = 0, m = ch->mask[f]; /* a software pext */
			for (unsigned k = 0; m; m &= m - 1, k++)
				if (v & m & -m)
					r |= 1ull << k;
			v = r;
		}
		idx = (idx << ch->bits[f]) | (uint32_t)v;
	}
	return idx;
}

/* CRC8 (table tab) over the fields of a HASH primitive as they would be
 * packed (ceil(width/8) bytes each, network order), fed straight from the
 * PHV, one table step per byte, unrolled by the field's byte count. */
static inline uint32_t pl_crc8_fields(const uint8_t *tab, const struct pl_uop *u, const uint64_t *x)
{
	uint32_t c = 0;
	for (unsigned i = 0; i < u->n_src; i++) {
		uint64_t v = x[u->src[i]];
		switch (u->src_bytes[i]) {
		case 8: c = tab[c ^ (uint8_t)(v >> 56)]; /* fall through */
		case 7: c = tab[c ^ (uint8_t)(v >> 48)]; /* fall through */
		case 6: c = tab[c ^ (uint8_t)(v >> 40)]; /* fall through */
		case 5: c = tab[c ^ (uint8_t)(v >> 32)]; /* fall through */
		case 4: c = tab[c ^ (uint8_t)(v >> 24)]; /* fall through */
		case 3: c = tab[c ^ (uint8_t)(v >> 16)]; /* fall through */
		case 2: c = tab[c ^ (uint8_t)(v >> 8)]; /* fall through */
		case 1: c = tab[c ^ (uint8_t)v]; /* fall through */
		default: break;
		}
	}
	return c;
}

/* A compiled condition on PHV x and the pass's hit/applied bits. */
static inline int pl_cond_holds(const uint64_t *x, const struct pl_pass *ps, const struct pl_ccond *c)
{
	if (__builtin_expect(c->kind == PL_CK_MASKED, 1))
		return ((x[c->field] & c->mask) == c->value) ^ c->neg;
	switch (c->kind) {
	case PL_CK_LT: return x[c->field] < c->value;
	case PL_CK_GE: return x[c->field] >= c->value;
	case PL_CK_HIT: return (ps->hit >> c->field) & 1;
	default: return ((ps->applied & ~ps->hit) >> c->field) & 1;
	}
}

/* The key of the table a step applies: fields concatenated, first field in
 * the most significant bits (the common one- and two-field keys unrolled). */
static inline uint64_t pl_hop_key(const uint64_t *x, const struct pl_hop *h)
{
	switch (h->key_n) {
	case 0: return 0;
	case 1: return x[h->key_field[0]] << h->key_shift[0];
	case 2: return x[h->key_field[0]] << h->key_shift[0] | x[h->key_field[1]] << h->key_shift[1];
	default: break;
	}
	uint64_t key = 0;
	for (unsigned k = 0; k < h->key_n; k++)
		key |= x[h->key_field[k]] << h->key_shift[k];
	return key;
}

/* The lookup of the table step h applies, by the kind resolved at compile. */
static inline uint32_t pl_hop_lookup(const struct pl_table *t, const struct pl_hop *h, uint64_t key)
{
	if (h->lk == PL_LK_DIRECT)
		return t->direct[key] - 1; /* 0 (empty) becomes PL_NIL */
	if (h->lk == PL_LK_EXACT)
		return pl_exact_probe(t, key);
	return pl_table_lookup(t, key);
}

/* channel.c */
void pl_event_push(struct l7_pipeline *pl, const struct l7_pl_event *ev);
int pl_cpu_enqueue(struct l7_pipeline *pl, l7_time_ns at_ns, uint8_t kind, int id,
		   const uint64_t *data, unsigned n, l7_time_ns *done_ns);

/* sketch.c */
void pl_cms_update(struct l7_pipeline *pl, struct pl_sketch *s, const uint8_t *b,
		   size_t n, uint64_t inc, uint64_t *min_out, int *rmw_err);
void pl_bloom_op(struct l7_pipeline *pl, struct pl_bloom *bf, const uint8_t *b,
		 size_t n, int insert, uint64_t *present_out, int *rmw_err);
uint64_t pl_reg_get(const struct pl_register *r, uint32_t i);
void pl_reg_set(struct pl_register *r, uint32_t i, uint64_t v);
int pl_reg_alloc(struct pl_register *r);
uint64_t pl_key_prefix64(const uint8_t *b, size_t n);
int pl_sketch_topn_copy(struct l7_pipeline *pl, int sketch, struct l7_pl_topn *out, unsigned n);

static inline void pl_fset_add(struct pl_fset *s, int f)
{
	if (f >= 0 && f < L7_PL_MAX_FIELDS)
		s->w[f / 64] |= 1ull << (f % 64);
}

static inline int pl_fset_meets(const struct pl_fset *a, const struct pl_fset *b)
{
	for (unsigned i = 0; i < L7_PL_MAX_FIELDS / 64; i++)
		if (a->w[i] & b->w[i])
			return 1;
	return 0;
}

#endif
