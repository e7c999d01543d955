/*
 * pipeline.h — a software model of a programmable (Tofino-class) switch:
 * a match-action pipeline declared through this C API, registers with the
 * one-read-modify-write-per-array-per-pass rule, count-min sketches and
 * Bloom filters built on registers, a resource budget with a compile step
 * that places tables in stages, and a time-explicit control channel with a
 * finite insertion rate, batching, latency, aging and a rate-limited CPU
 * path (docs/pipeline.md).
 *
 * Life cycle: l7_pipeline_create() -> declare fields, actions, tables,
 * registers, sketches, Bloom filters and control-flow steps ->
 * l7_pipeline_compile() (placement against the budget; allocates every
 * table, register and queue; nothing is allocated afterwards) ->
 * install static entries (l7_pipeline_entry_add) and/or submit control
 * channel batches -> l7_pipeline_process() per packet, with
 * l7_pipeline_advance() to apply what the channel has made due.
 *
 * Invariants a caller can rely on:
 *  - the library never reads a clock: every time is an l7_time_ns argument;
 *  - l7_pipeline_process() never allocates; running out of a fixed queue is
 *    a counted result (struct l7_pl_stats), never a hidden growth;
 *  - results are deterministic: same program, same entries, same packets
 *    and times give byte-identical frames and identical results;
 *  - a table entry submitted through the channel is invisible to packets
 *    processed before its visible_ns and visible to those at or after it
 *    (once l7_pipeline_advance(now >= visible_ns) has run).
 *
 * Threading: a pipeline is single-threaded (one switch pipe per object).
 */
#ifndef L7SPLICE_PIPELINE_H
#define L7SPLICE_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "l7splice/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- limits */

#define L7_PL_MAX_FIELDS 256      /* built-in + declared fields */
#define L7_PL_MAX_TABLES 64       /* tables_hit is a 64-bit mask */
#define L7_PL_MAX_ACTIONS 128
#define L7_PL_MAX_STEPS 128
#define L7_PL_MAX_REGISTERS 64
#define L7_PL_MAX_SKETCHES 8
#define L7_PL_MAX_BLOOMS 8
#define L7_PL_MAX_KEY_FIELDS 4    /* key fields per table */
#define L7_PL_MAX_KEY_BITS 64     /* total key width per table */
#define L7_PL_MAX_TABLE_ACTIONS 8 /* actions a table may use */
#define L7_PL_MAX_PARAMS 4        /* action parameters (action data) */
#define L7_PL_MAX_PRIMS 16        /* primitives per action */
#define L7_PL_MAX_SRC 6           /* hash / digest / sketch input fields */
#define L7_PL_MAX_COND 3          /* terms (ANDed) in a step condition */
#define L7_PL_MAX_MIRRORS 4       /* mirror copies per packet */
#define L7_PL_MAX_CMS_ROWS 6      /* one CRC-32 polynomial per row */
#define L7_PL_NAME_MAX 40

/* Port numbers are 9 bits as on Tofino; 192 is Tofino-1's CPU PCIe port
 * (the value Miresga's program uses). */
#define L7_PL_PORT_CPU 192
/* Ingress port a recirculated pass arrives on (Tofino-1 pipe 0's
 * recirculation port), so a program can tell passes apart. */
#define L7_PL_PORT_RECIRC 68

/* ------------------------------------------------------------- fields */

/*
 * Built-in fields: filled by the parser stage from the frame (valid bits say
 * which headers were present), written back by the deparser when an action
 * changed them. Every other field is declared metadata, zero at the start of
 * each pass. Header fields are in host order; MACs are 48-bit integers.
 */
enum l7_pl_builtin_field {
	L7_PL_F_INGRESS_PORT = 0, /* 9 bits, read-only in effect */
	L7_PL_F_PKT_LEN,          /* 16: frame length in bytes */
	L7_PL_F_ETH_VALID,        /* 1 */
	L7_PL_F_ETH_DST,          /* 48 */
	L7_PL_F_ETH_SRC,          /* 48 */
	L7_PL_F_ETH_TYPE,         /* 16: after VLAN tags */
	L7_PL_F_IPV4_VALID,       /* 1 */
	L7_PL_F_IPV4_IHL,         /* 4 */
	L7_PL_F_IPV4_TOTAL_LEN,   /* 16 */
	L7_PL_F_IPV4_TTL,         /* 8 */
	L7_PL_F_IPV4_PROTO,       /* 8 */
	L7_PL_F_IPV4_SRC,         /* 32 */
	L7_PL_F_IPV4_DST,         /* 32 */
	L7_PL_F_TCP_VALID,        /* 1 */
	L7_PL_F_UDP_VALID,        /* 1 */
	L7_PL_F_L4_SPORT,         /* 16: TCP or UDP */
	L7_PL_F_L4_DPORT,         /* 16 */
	L7_PL_F_TCP_SEQ,          /* 32 */
	L7_PL_F_TCP_ACK,          /* 32 */
	L7_PL_F_TCP_DOFF,         /* 4: data offset in 32-bit words */
	L7_PL_F_TCP_FLAGS,        /* 9: L7_TCP_* bits of packet.h */
	L7_PL_F_TCP_WINDOW,       /* 16 */
	L7_PL_F_PAYLOAD_LEN,      /* 16: L4 payload bytes (from IP length) */
	L7_PL_F__BUILTIN_COUNT
};

/* ------------------------------------------------------------- budget */

/*
 * The resource budget of one pipe. l7_pl_budget_default() fills the
 * Tofino-1-like defaults documented in docs/pipeline.md (12 stages, 80 SRAM
 * blocks of 1024 x 128 bits and 24 TCAM blocks of 512 x 44 bits per stage,
 * 4 stateful ALUs, 16 logical tables, 32 VLIW instructions, 416 hash bits,
 * 128 + 66 crossbar bytes per stage, 4096 PHV bits).
 */
struct l7_pl_budget {
	uint32_t stages;
	uint32_t sram_blocks_per_stage;
	uint32_t sram_block_words;       /* words per block */
	uint32_t sram_word_bits;         /* bits per word */
	uint32_t tcam_blocks_per_stage;
	uint32_t tcam_block_entries;
	uint32_t tcam_block_bits;        /* key bits per TCAM word */
	uint32_t salus_per_stage;        /* stateful ALUs (register arrays) */
	uint32_t tables_per_stage;       /* logical table IDs */
	uint32_t vliw_per_stage;         /* action instructions */
	uint32_t hash_bits_per_stage;
	uint32_t exact_xbar_bytes_per_stage;
	uint32_t tcam_xbar_bytes_per_stage;
	uint32_t phv_bits;
};

void l7_pl_budget_default(struct l7_pl_budget *b);

/* ------------------------------------------------------------- config */

/*
 * Control-channel and timing parameters (all times in ns, rates per
 * second). The defaults (l7_pl_config_default) are assumptions, not
 * measurements; docs/pipeline.md says where each comes from.
 *
 * Table-update timing (one server, FIFO, one batch at a time):
 *   arrive   = now_ns + ctl_latency_ns
 *   start    = max(arrive, end of the previous batch)
 *   end      = start + ctl_batch_fixed_ns + n * ceil(1e9 / ctl_entries_per_s)
 *   visible  = end                        (ctl_commit_per_entry == 0)
 *   visible_i= start + ctl_batch_fixed_ns + (i+1) * per_entry
 *                                          (ctl_commit_per_entry == 1)
 * Register reads use the same server with ctl_read_per_entry_ns per word.
 * Digests and CPU-port packets use a separate server of cpu_pps.
 */
struct l7_pl_config {
	struct l7_pl_budget budget;
	l7_time_ns pass_latency_ns;       /* one trip through the pipe */
	uint32_t max_passes;              /* 1 + recirculations allowed */
	double ctl_entries_per_s;         /* table adds/modifies/deletes */
	l7_time_ns ctl_batch_fixed_ns;    /* per batch (begin/commit) */
	l7_time_ns ctl_latency_ns;        /* controller -> switch driver */
	uint32_t ctl_batch_max;           /* entries per batch */
	uint32_t ctl_queue_cap;           /* requests waiting or in service */
	int ctl_commit_per_entry;         /* 0: whole batch at end (hw_sync) */
	l7_time_ns ctl_read_per_entry_ns; /* register / counter read cost */
	double cpu_pps;                   /* digest + CPU-port packet rate */
	uint32_t cpu_queue_cap;           /* items waiting for the CPU path */
	l7_time_ns aging_sweep_ns;        /* idle-timeout hardware sweep */
	uint32_t event_queue_cap;         /* control-plane notifications */
};

void l7_pl_config_default(struct l7_pl_config *c);

/* ------------------------------------------------------------- objects */

struct l7_pipeline;

/* Create an empty program with its config (copied). L7_EINVAL on a bad
 * config (zero stages, rate <= 0, ...), L7_ENOMEM. */
int l7_pipeline_create(const struct l7_pl_config *cfg, struct l7_pipeline **out);
void l7_pipeline_destroy(struct l7_pipeline *pl);

/* Declare a metadata field of 1..64 bits; returns its id (>= 0) or
 * L7_EINVAL / L7_EEXIST (name taken) / L7_EFULL / L7_ESTATE (compiled). */
int l7_pipeline_field_add(struct l7_pipeline *pl, const char *name, unsigned width_bits);
/* Id of a field (built-in names: "ig.port", "eth.dst", "ipv4.src",
 * "l4.sport", "tcp.flags", ...; see docs), or L7_ENOENT. */
int l7_pipeline_field_id(const struct l7_pipeline *pl, const char *name);

/* ------------------------------------------------------------- actions */

/* Where an operand comes from. */
enum l7_pl_src {
	L7_PL_SRC_IMM = 0,   /* the immediate value */
	L7_PL_SRC_PARAM,     /* action parameter (entry's action data) */
	L7_PL_SRC_FIELD,     /* a PHV field */
};

struct l7_pl_operand {
	uint8_t src;  /* enum l7_pl_src */
	uint64_t v;   /* immediate, parameter index, or field id */
};

static inline struct l7_pl_operand l7_pl_imm(uint64_t v)
{
	struct l7_pl_operand o = { L7_PL_SRC_IMM, v };
	return o;
}
static inline struct l7_pl_operand l7_pl_param(unsigned i)
{
	struct l7_pl_operand o = { L7_PL_SRC_PARAM, i };
	return o;
}
static inline struct l7_pl_operand l7_pl_fld(int field)
{
	struct l7_pl_operand o = { L7_PL_SRC_FIELD, (uint64_t)field };
	return o;
}

enum l7_pl_op {
	L7_PL_OP_SET = 1,     /* dst = a (copy when a is a field) */
	L7_PL_OP_ADD,         /* dst = a + b (mod 2^width) */
	L7_PL_OP_SUB,         /* dst = a - b (mod 2^width) */
	L7_PL_OP_AND,         /* dst = a & b */
	L7_PL_OP_OR,          /* dst = a | b */
	L7_PL_OP_XOR,         /* dst = a ^ b */
	L7_PL_OP_HASH,        /* dst = hash(alg, srcs) truncated to dst width */
	L7_PL_OP_REG,         /* register RMW: obj, index a, operand b, rmw */
	L7_PL_OP_CMS,         /* count-min update by b on key srcs; dst = min */
	L7_PL_OP_BLOOM,       /* Bloom filter: obj, srcs, rmw (BLOOM_*), dst */
	L7_PL_OP_FORWARD,     /* unicast to port a */
	L7_PL_OP_DROP,
	L7_PL_OP_TO_CPU,      /* send to the CPU port (rate-limited channel) */
	L7_PL_OP_MIRROR,      /* copy to port a (egress mirror) */
	L7_PL_OP_RECIRCULATE, /* one more pass after this one */
	L7_PL_OP_DIGEST,      /* digest obj with srcs' values to the CPU */
	L7_PL_OP_TCP_OPTS,    /* replace TCP options with blob obj */
};

enum l7_pl_hash_alg {
	L7_PL_HASH_CRC8 = 1,  /* poly 0x07, init 0, no reflection */
	L7_PL_HASH_CRC16,     /* poly 0x8005, init 0, no reflection */
	L7_PL_HASH_CRC32,     /* IEEE 802.3: reflected 0x04C11DB7, ~init, ~out */
	L7_PL_HASH_KEYED,     /* 64-bit keyed mix, key = b.v (see docs) */
	L7_PL_HASH_IDENTITY,  /* concatenated source bits */
};

/* Register read-modify-write operations (one per array per pass). The old
 * value goes to dst when want_new == 0, else the new value. */
enum l7_pl_rmw {
	L7_PL_RMW_READ = 1,
	L7_PL_RMW_WRITE,      /* cell = b */
	L7_PL_RMW_ADD,        /* cell = cell + b, wrapping */
	L7_PL_RMW_SADD,       /* cell = min(cell + b, max) saturating */
	L7_PL_RMW_MAX,        /* cell = max(cell, b) */
	L7_PL_RMW_OR,         /* cell |= b */
	/* Bloom filter ops */
	L7_PL_BLOOM_QUERY,    /* dst = 1 if every row's bit is set */
	L7_PL_BLOOM_INSERT,   /* set every row's bit; dst = was present */
};

/*
 * One primitive. Build with the l7_pl_p_* helpers below (plain structs, so a
 * program is a table of primitives the caller can also write by hand).
 */
struct l7_pl_prim {
	uint8_t op;          /* enum l7_pl_op */
	uint8_t alg;         /* enum l7_pl_hash_alg for HASH */
	uint8_t rmw;         /* enum l7_pl_rmw for REG / BLOOM */
	uint8_t want_new;    /* REG: dst receives the new (1) or old (0) value */
	int16_t dst;         /* destination field, -1 for none */
	uint16_t obj;        /* register / sketch / bloom / digest / blob id */
	struct l7_pl_operand a, b;
	uint8_t n_src;
	int16_t src[L7_PL_MAX_SRC];
};

struct l7_pl_prim l7_pl_p_set(int dst, struct l7_pl_operand a);
struct l7_pl_prim l7_pl_p_alu(enum l7_pl_op op, int dst, struct l7_pl_operand a,
			      struct l7_pl_operand b);
struct l7_pl_prim l7_pl_p_hash(int dst, enum l7_pl_hash_alg alg, const int *src,
			       unsigned n_src, uint64_t key);
struct l7_pl_prim l7_pl_p_reg(int reg, enum l7_pl_rmw rmw, struct l7_pl_operand index,
			      struct l7_pl_operand operand, int dst, int want_new);
struct l7_pl_prim l7_pl_p_cms(int sketch, const int *src, unsigned n_src,
			      struct l7_pl_operand inc, int dst);
struct l7_pl_prim l7_pl_p_bloom(int bloom, enum l7_pl_rmw rmw, const int *src,
				unsigned n_src, int dst);
struct l7_pl_prim l7_pl_p_forward(struct l7_pl_operand port);
struct l7_pl_prim l7_pl_p_drop(void);
struct l7_pl_prim l7_pl_p_to_cpu(void);
struct l7_pl_prim l7_pl_p_mirror(struct l7_pl_operand port);
struct l7_pl_prim l7_pl_p_recirculate(void);
struct l7_pl_prim l7_pl_p_digest(int digest_id, const int *src, unsigned n_src);
struct l7_pl_prim l7_pl_p_tcp_opts(int blob);

/*
 * Declare an action of n_params parameters whose widths (bits, 1..64) are
 * param_bits[] (they size the action data in SRAM) and whose body is prims[]
 * executed in order (P4 sequential semantics). Returns the action id or
 * L7_EINVAL (bad field/object reference, too many prims) / L7_EFULL.
 */
int l7_pipeline_action_add(struct l7_pipeline *pl, const char *name,
			   unsigned n_params, const uint8_t *param_bits,
			   const struct l7_pl_prim *prims, unsigned n_prims);

/* Id of an action by name, or L7_ENOENT. */
int l7_pipeline_action_id(const struct l7_pipeline *pl, const char *name);

/* Store a TCP options blob (<= 40 bytes) for L7_PL_OP_TCP_OPTS; id or error. */
int l7_pipeline_blob_add(struct l7_pipeline *pl, const uint8_t *bytes, size_t len);

/* ------------------------------------------------------------- tables */

enum l7_pl_match_kind {
	L7_PL_MATCH_EXACT = 1,
	L7_PL_MATCH_LPM,      /* at most one per table */
	L7_PL_MATCH_TERNARY,
	L7_PL_MATCH_RANGE,    /* bounds inclusive */
};

struct l7_pl_table_def {
	const char *name;
	unsigned n_keys;
	int key_field[L7_PL_MAX_KEY_FIELDS];
	uint8_t key_kind[L7_PL_MAX_KEY_FIELDS];   /* enum l7_pl_match_kind */
	uint32_t size;                            /* entries (capacity) */
	unsigned n_actions;                       /* actions entries may use */
	int actions[L7_PL_MAX_TABLE_ACTIONS];
	int default_action;                       /* -1: no-op on miss */
	uint64_t default_params[L7_PL_MAX_PARAMS];
	l7_time_ns idle_timeout_ns;               /* 0: no aging */
	int age_delete;                           /* 1: delete on notification */
};

/* Declare a table; returns its id (0..63) or L7_EINVAL (key wider than 64
 * bits, two LPM keys, unknown field/action) / L7_EFULL / L7_ESTATE. */
int l7_pipeline_table_add(struct l7_pipeline *pl, const struct l7_pl_table_def *def);
int l7_pipeline_table_id(const struct l7_pipeline *pl, const char *name);

/*
 * A table entry. Per key field i: value[i]; mask[i] for TERNARY (bits that
 * must match); prefix_len for the LPM field; hi[i] for RANGE (value[i] is
 * the low bound, both inclusive; EXACT fields of a range table use value).
 * priority orders TERNARY and RANGE entries: the larger value wins; among
 * equal priorities the entry installed first wins (P4Runtime's convention
 * for the number; the tie rule is this model's, see docs).
 */
struct l7_pl_entry {
	uint64_t value[L7_PL_MAX_KEY_FIELDS];
	uint64_t mask[L7_PL_MAX_KEY_FIELDS];
	uint64_t hi[L7_PL_MAX_KEY_FIELDS];
	uint8_t prefix_len;
	int32_t priority;
	int action;
	uint64_t params[L7_PL_MAX_PARAMS];
};

/* Install / replace / remove an entry immediately (start-up configuration,
 * tests). 0, L7_EFULL (table at capacity), L7_EEXIST, L7_ENOENT, L7_EINVAL,
 * L7_ESTATE (not compiled). `now_ns` starts the entry's idle timer. */
int l7_pipeline_entry_add(struct l7_pipeline *pl, int table, const struct l7_pl_entry *e,
			  l7_time_ns now_ns);
int l7_pipeline_entry_modify(struct l7_pipeline *pl, int table, const struct l7_pl_entry *e);
int l7_pipeline_entry_delete(struct l7_pipeline *pl, int table, const struct l7_pl_entry *e);
/* Look up the entry a packet with these key values would hit, without
 * touching hit state: 1 hit (action/params filled into *out), 0 miss. */
int l7_pipeline_entry_lookup(const struct l7_pipeline *pl, int table,
			     const uint64_t key_values[], struct l7_pl_entry *out);
/* Entries installed now (queued adds not counted; capacity checks count
 * installed + queued adds). */
uint32_t l7_pipeline_table_count(const struct l7_pipeline *pl, int table);

/* ------------------------------------------------------------- state */

/* A register array of `size` cells of width_bits (1..64). */
int l7_pipeline_register_add(struct l7_pipeline *pl, const char *name,
			     uint32_t size, unsigned width_bits);
/*
 * A count-min sketch: `rows` register arrays (<= L7_PL_MAX_CMS_ROWS) of
 * `width` saturating counters of counter_bits, row r indexed by a CRC-32 of
 * its own polynomial (docs list them). top_n > 0 keeps the top_n keys by
 * estimate for l7_pipeline_sketch_topn() (CLIP's report to the control plane).
 */
int l7_pipeline_sketch_add(struct l7_pipeline *pl, const char *name, unsigned rows,
			   uint32_t width, unsigned counter_bits, unsigned top_n);
/* A Bloom filter: `rows` one-bit register arrays of `bits` each, one
 * hash polynomial per row (same list as the sketch). */
int l7_pipeline_bloom_add(struct l7_pipeline *pl, const char *name, unsigned rows,
			  uint32_t bits);

/* Direct (zero-cost) register access for tests and set-up. */
int l7_pipeline_register_get(const struct l7_pipeline *pl, int reg, uint32_t index,
			     uint64_t *value);
int l7_pipeline_register_set(struct l7_pipeline *pl, int reg, uint32_t index, uint64_t value);
/* Register id of a sketch row or a Bloom filter row. */
int l7_pipeline_sketch_row_reg(const struct l7_pipeline *pl, int sketch, unsigned row);
int l7_pipeline_bloom_row_reg(const struct l7_pipeline *pl, int bloom, unsigned row);

/* Point query of a sketch (min over rows) for a key given as field values
 * in the order of the primitive's srcs; no side effects. */
uint64_t l7_pipeline_sketch_query(const struct l7_pipeline *pl, int sketch,
				  const int *src, const uint64_t *values, unsigned n);
/* Membership test of a Bloom filter, no side effects. */
int l7_pipeline_bloom_query(const struct l7_pipeline *pl, int bloom,
			    const int *src, const uint64_t *values, unsigned n);

/* One reported heavy key: the sketch key packed as the hash input bytes'
 * first 8 bytes big-endian (for a <= 64-bit key: the concatenated fields). */
struct l7_pl_topn {
	uint64_t key;
	uint64_t estimate;
};

/* ------------------------------------------------------------- control flow */

enum l7_pl_cmp {
	L7_PL_CMP_EQ = 1, L7_PL_CMP_NE, L7_PL_CMP_LT, L7_PL_CMP_GE,
	L7_PL_CMP_ANY,   /* (field & value) != 0 */
	L7_PL_CMP_NONE,  /* (field & value) == 0 */
	L7_PL_CMP_HIT,   /* table `field` hit in this pass */
	L7_PL_CMP_MISS,  /* table `field` applied and missed in this pass */
};

struct l7_pl_cond {
	uint8_t cmp;      /* enum l7_pl_cmp */
	int16_t field;    /* field id (table id for HIT/MISS) */
	uint64_t value;
};

/*
 * A control-flow step: if every cond holds, apply `table` (>= 0) or run
 * `action` (>= 0, a keyless table with `params`), then continue at step
 * `goto_step` (-1: the next step; L7_PL_STEP_END: end of the pass). If the
 * condition fails, continue at the next step. This flat form expresses
 * P4's if/else-if chains (each branch jumps past the rest).
 */
#define L7_PL_STEP_END 0x7fff
struct l7_pl_step {
	unsigned n_cond;
	struct l7_pl_cond cond[L7_PL_MAX_COND];
	int table;
	int action;
	uint64_t params[L7_PL_MAX_PARAMS];
	int goto_step;
	const char *label;  /* used in placement output for keyless steps */
};

/* Append a step; returns its index or an error. A goto may point forward
 * only (a pipeline has no loops; recirculation is the only way back). */
int l7_pipeline_step_add(struct l7_pipeline *pl, const struct l7_pl_step *s);

/* ------------------------------------------------------------- compile */

/*
 * Place the program on the budget (docs/pipeline.md "Resource model"):
 * PHV check, then every step in control order into the earliest stage its
 * dependencies allow that has room, large tables split over stages. On
 * success allocates the runtime state and returns 0. On L7_ENOFIT writes one
 * line into err (NUL-terminated, truncated to err_len), e.g.
 *   table "big": SRAM blocks: needs 1200, 960 free in stages 0-11
 * naming the table (or "PHV", or a register) and the exhausted resource.
 * L7_ESTATE if already compiled, L7_ENOMEM.
 */
int l7_pipeline_compile(struct l7_pipeline *pl, char *err, size_t err_len);

/* The resource usage table (CLIP Table II form): one line per resource with
 * used, total and percent. Returns the length written (snprintf-like: a
 * value >= len means truncated) or L7_ESTATE before compile. */
int l7_pipeline_usage(const struct l7_pipeline *pl, char *buf, size_t len);
/* Stage assignment, one line per stage listing its tables/registers. */
int l7_pipeline_layout(const struct l7_pipeline *pl, char *buf, size_t len);
/* Percent of the budget used for one resource by name ("SRAM", "TCAM",
 * "Hash Bits", "Stateful ALUs", "PHV", "Stages", ...); -1.0 if unknown. */
double l7_pipeline_usage_pct(const struct l7_pipeline *pl, const char *resource);
/* First and last stage a table (or keyless step's action) was placed in. */
int l7_pipeline_table_stages(const struct l7_pipeline *pl, int table,
			     unsigned *first, unsigned *last);

/* ------------------------------------------------------------- packets */

/* What happened to one packet. */
struct l7_pl_result {
	uint8_t dropped;      /* no unicast copy leaves */
	uint8_t to_cpu;       /* delivered (or lost) on the CPU path */
	uint8_t cpu_lost;     /* CPU path queue was full */
	uint8_t n_mirror;
	uint16_t egress_port; /* valid when !dropped && !to_cpu */
	uint16_t mirror_port[L7_PL_MAX_MIRRORS];
	uint8_t passes;       /* 1 + recirculations */
	uint8_t n_digests;
	uint64_t tables_applied; /* bit t: table t was applied (any pass) */
	uint64_t tables_hit;     /* bit t: table t hit (any pass) */
	l7_time_ns latency_ns;   /* passes * pass_latency_ns */
	l7_time_ns cpu_arrive_ns; /* when the CPU has it (to_cpu, !cpu_lost) */
	uint32_t frame_len;      /* bytes of the rewritten frame */
	int err;                 /* 0, L7_ERMW (second RMW refused), or a
				  * deparse error (frame_cap too small) */
};

/*
 * Run one frame (Ethernet, caplen = len bytes, writable, cap bytes of room
 * for a longer rewrite) arriving on ingress_port at now_ns. Header fields
 * the program changed are written back with IPv4 and TCP/UDP checksums kept
 * right (RFC 1624 incremental; in full after an options rewrite). A packet
 * that is not IPv4/TCP/UDP is still run with those valid bits 0. Returns 0
 * (the outcome is in *res), or L7_EINVAL / L7_ESTATE (not compiled).
 */
int l7_pipeline_process(struct l7_pipeline *pl, uint8_t *frame, uint32_t len,
			uint32_t cap, uint16_t ingress_port, l7_time_ns now_ns,
			struct l7_pl_result *res);

/*
 * Process n frames arriving at the same now_ns, with the same results as n
 * calls of l7_pipeline_process() in order. When the program keeps no state
 * between packets (no registers, sketches, Bloom filters or digests) the
 * packets are interleaved in groups of L7_PL_MAX_BURST so that the big
 * exact tables' memory is fetched for all of them at once; otherwise they
 * are simply processed one by one.
 */
#define L7_PL_MAX_BURST 32
int l7_pipeline_process_burst(struct l7_pipeline *pl, uint8_t *const frames[],
			      const uint32_t lens[], const uint32_t caps[],
			      const uint16_t ports[], unsigned n, l7_time_ns now_ns,
			      struct l7_pl_result res[]);

/* ------------------------------------------------------------- control channel */

enum l7_pl_req_op { L7_PL_REQ_ADD = 1, L7_PL_REQ_MODIFY, L7_PL_REQ_DELETE };

struct l7_pl_req {
	uint8_t op;         /* enum l7_pl_req_op */
	int table;
	struct l7_pl_entry entry;
	uint64_t cookie;    /* echoed in the completion event */
};

/*
 * Submit one batch of n requests at now_ns (timing: struct l7_pl_config).
 * Adds beyond the table's capacity (installed + already queued adds) are
 * rejected at once: status[i] = L7_EFULL (status may be NULL); such requests
 * take no channel time. Returns 0 and the time the batch is visible in
 * *visible_ns (per-entry times with l7_pipeline_req_visible_ns when
 * ctl_commit_per_entry), L7_ECHANNELFULL if the queue cannot take the
 * batch (nothing queued), L7_EINVAL.
 */
int l7_pipeline_submit(struct l7_pipeline *pl, const struct l7_pl_req *reqs, unsigned n,
		       l7_time_ns now_ns, int *status, l7_time_ns *visible_ns);
/* Visible time of the i-th request of the last submitted batch. */
l7_time_ns l7_pipeline_req_visible_ns(const struct l7_pipeline *pl, unsigned i);

/*
 * Read `count` cells of a register starting at `index` through the channel:
 * values are copied now (a snapshot at now_ns) and the read completes at
 * *done_ns; it occupies the same server as table updates. Also used for a
 * sketch's rows or a Bloom row (via *_row_reg).
 */
int l7_pipeline_register_read(struct l7_pipeline *pl, int reg, uint32_t index,
			      uint32_t count, uint64_t *values, l7_time_ns now_ns,
			      l7_time_ns *done_ns);
/* Clear a register through the channel (count cells, e.g. CLIP's Bloom
 * filter reset); cleared at *done_ns when advance reaches it. */
int l7_pipeline_register_clear(struct l7_pipeline *pl, int reg, l7_time_ns now_ns,
			       l7_time_ns *done_ns);
/* Top-N keys of a sketch, largest estimate first (ties: smaller key first);
 * costs one channel read of n entries. Returns the number written. */
int l7_pipeline_sketch_topn(struct l7_pipeline *pl, int sketch, struct l7_pl_topn *out,
			    unsigned n, l7_time_ns now_ns, l7_time_ns *done_ns);

/* Control-plane notifications, delivered in time order by l7_pipeline_poll. */
enum l7_pl_event_kind {
	L7_PL_EV_APPLIED = 1, /* a request was applied (status says how) */
	L7_PL_EV_AGED,        /* an entry was idle for its timeout */
	L7_PL_EV_DIGEST,      /* a digest reached the CPU */
	L7_PL_EV_CPU_PKT,     /* a CPU-port packet reached the CPU */
	L7_PL_EV_CLEARED,     /* a register clear completed */
};

struct l7_pl_event {
	uint8_t kind;
	int status;          /* APPLIED: 0 or L7_EEXIST / L7_ENOENT / ... */
	int table;           /* APPLIED, AGED */
	int id;              /* DIGEST: digest id; CLEARED: register */
	l7_time_ns time_ns;
	uint64_t cookie;     /* APPLIED: the request's cookie */
	uint64_t key_values[L7_PL_MAX_KEY_FIELDS]; /* AGED / APPLIED: key */
	uint64_t data[L7_PL_MAX_SRC];              /* DIGEST field values */
};

/*
 * Apply everything due at or before now_ns: batches whose visible time has
 * come (in order), register clears, aging sweeps at multiples of
 * aging_sweep_ns, CPU-path deliveries. Generated events wait for
 * l7_pipeline_poll. Returns the number of events produced.
 */
int l7_pipeline_advance(struct l7_pipeline *pl, l7_time_ns now_ns);
/* The earliest time something is due (for the simulator's event queue);
 * UINT64_MAX when nothing is pending. */
l7_time_ns l7_pipeline_next_due_ns(const struct l7_pipeline *pl);
/* Pop the oldest event: 1 and *ev filled, 0 when none. */
int l7_pipeline_poll(struct l7_pipeline *pl, struct l7_pl_event *ev);

/* Hit bit of an entry (set by a packet hit, cleared by each aging sweep). */
int l7_pipeline_entry_hit(const struct l7_pipeline *pl, int table,
			  const uint64_t key_values[]);

/* ------------------------------------------------------------- counters */

struct l7_pl_stats {
	uint64_t packets, passes, drops, to_cpu, cpu_lost, mirrors, recirculations;
	uint64_t rmw_violations;   /* second RMW of an array in one pass */
	uint64_t recirc_limit;     /* dropped: max_passes exceeded */
	uint64_t deparse_errors;
	uint64_t digests, digests_lost;
	uint64_t ctl_batches, ctl_requests, ctl_rejected_full, ctl_channel_full;
	uint64_t ctl_apply_errors, aged, events_lost;
	uint64_t table_hits[L7_PL_MAX_TABLES], table_misses[L7_PL_MAX_TABLES];
};

void l7_pipeline_stats(const struct l7_pipeline *pl, struct l7_pl_stats *out);

/* ------------------------------------------------------------- Miresga */

/*
 * Options of the reference Miresga switch program (prog_miresga.c; tables
 * and control flow after the public Miresga data plane, see
 * docs/pipeline.md). Ports are switch port numbers.
 */
struct l7_pl_miresga_opts {
	uint32_t vip;            /* 10.0.1.10 in Miresga */
	uint16_t vport;          /* 80 */
	uint32_t switch_ip;      /* 10.0.1.254: control endpoint */
	uint16_t switch_port;    /* 12345 */
	uint32_t offload_size;   /* 143360 */
	int isn_keyed;           /* 1: ISN = keyed hash (isn_key); 0: CRC32 as
				  * Miresga's code does */
	uint64_t isn_key;
	uint64_t synack_src_mac; /* ab:ab:ab:cd:cd:cd */
	uint32_t n_vips;         /* 0 or 1: the one VIP above, compiled into
				  * the egress rewrite, as Miresga's code. >= 2
				  * (at most 255): vip_lookup_table holds n_vips
				  * + 1 entries (the caller adds the other VIPs
				  * with a_vip_hit) and the back-end -> client
				  * rewrite takes the VIP from
				  * d_index_to_vip_table, so a d_index names a
				  * (back-end, VIP) pair: install a t_d_vip
				  * entry for every d_index used (on a miss the
				  * source is left unrewritten). > 255:
				  * L7_EINVAL from the build */
};

void l7_pl_miresga_opts_default(struct l7_pl_miresga_opts *o);

/* Table and field ids of the built program, for installing entries. */
struct l7_pl_miresga {
	int t_payload, t_vip, t_dip, t_oft, t_route, t_d_port, t_lb_port, t_d_ip;
	int a_set_port, a_dip_hit, a_oft_hit, a_set_dst_ip_port;
	int t_d_vip, a_vip_hit, a_set_src_ip_port; /* t_d_vip: -1 unless n_vips >= 2 */
	int f_direction, f_cip, f_cport, f_hash, f_index, f_flags;
};

/*
 * Declare Miresga's switch program into an empty pipeline (before compile).
 * Entry formats (params):
 *   t_dip     key (be_ip, be_port)   action a_dip_hit, no params
 *   t_oft     key (client ip, port)  action a_oft_hit  (d_index)
 *   t_route   key dst ip /len (LPM)  action a_set_port (port, src_mac, dst_mac)
 *   t_d_port  key d_index            action a_set_port (port, src_mac, dst_mac)
 *   t_lb_port key crc8 bucket        action a_set_port (port, src_mac, dst_mac)
 *   t_d_ip    key d_index            action a_set_dst_ip_port (ip, port)
 *   t_vip     key (vip, vport)       action a_vip_hit, no params (n_vips >= 2)
 *   t_d_vip   key d_index            action a_set_src_ip_port (vip, vport)
 *                                    (n_vips >= 2)
 * The VIP and payload tables get their constant entries from
 * l7_pl_miresga_install_const() after compile.
 */
int l7_pipeline_prog_miresga(struct l7_pipeline *pl, const struct l7_pl_miresga_opts *o,
			     struct l7_pl_miresga *ids);
int l7_pl_miresga_install_const(struct l7_pipeline *pl, const struct l7_pl_miresga_opts *o,
				const struct l7_pl_miresga *ids);

#ifdef __cplusplus
}
#endif
#endif
