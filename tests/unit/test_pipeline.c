/*
 * test_pipeline.c — the switch model's match kinds (LPM, ternary with
 * priority and ties, range, exact), action primitives, the one-RMW rule,
 * the compile step (fits / does not fit, with the exact message), the
 * control channel's timing and capacity, the CPU path, and aging.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "l7splice/packet.h"
#include "l7splice/pipeline.h"

/* ------------------------------------------------------------ helpers */

static struct l7_pipeline *mk(const struct l7_pl_config *cfg)
{
	struct l7_pl_config c;
	if (!cfg) {
		l7_pl_config_default(&c);
		cfg = &c;
	}
	struct l7_pipeline *pl = NULL;
	assert_int_equal(l7_pipeline_create(cfg, &pl), 0);
	return pl;
}

static int tbl(struct l7_pipeline *pl, const char *name, unsigned nk, const int *kf,
	       const uint8_t *kk, uint32_t size, int action)
{
	struct l7_pl_table_def d;
	memset(&d, 0, sizeof(d));
	d.name = name;
	d.n_keys = nk;
	for (unsigned i = 0; i < nk; i++) {
		d.key_field[i] = kf[i];
		d.key_kind[i] = kk[i];
	}
	d.size = size;
	d.n_actions = 1;
	d.actions[0] = action;
	d.default_action = -1;
	int t = l7_pipeline_table_add(pl, &d);
	assert_true(t >= 0);
	return t;
}

static int step(struct l7_pipeline *pl, int table, int action)
{
	struct l7_pl_step s;
	memset(&s, 0, sizeof(s));
	s.table = table;
	s.action = action;
	s.goto_step = -1;
	int r = l7_pipeline_step_add(pl, &s);
	assert_true(r >= 0);
	return r;
}

/* An action with one 16-bit parameter and no body: lookups identify the
 * matching entry by its parameter. */
static int tag_action(struct l7_pipeline *pl)
{
	static const uint8_t bits[] = { 16 };
	int a = l7_pipeline_action_add(pl, "tag", 1, bits, NULL, 0);
	assert_true(a >= 0);
	return a;
}

static void compile_ok(struct l7_pipeline *pl)
{
	char err[256];
	int rc = l7_pipeline_compile(pl, err, sizeof(err));
	if (rc)
		fprintf(stderr, "compile: %s\n", err);
	assert_int_equal(rc, 0);
}

static struct l7_pl_entry ent(uint64_t v0, uint64_t v1, int action, uint64_t tag)
{
	struct l7_pl_entry e;
	memset(&e, 0, sizeof(e));
	e.value[0] = v0;
	e.value[1] = v1;
	e.action = action;
	e.params[0] = tag;
	return e;
}

/* Tag of the entry a key hits, or -1 on a miss. */
static long look(struct l7_pipeline *pl, int t, uint64_t v0, uint64_t v1)
{
	uint64_t k[L7_PL_MAX_KEY_FIELDS] = { v0, v1, 0, 0 };
	struct l7_pl_entry out;
	int rc = l7_pipeline_entry_lookup(pl, t, k, &out);
	assert_true(rc == 0 || rc == 1);
	return rc == 1 ? (long)out.params[0] : -1;
}

static uint32_t frame(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		      uint16_t flags, const char *payload)
{
	struct l7_tcp_build b;
	memset(&b, 0, sizeof(b));
	b.linktype = L7_LINKTYPE_ETHERNET;
	b.eth_src[5] = 1;
	b.eth_dst[5] = 2;
	b.ip_version = 4;
	b.ttl = 64;
	b.src = l7_addr_from_v4(src);
	b.dst = l7_addr_from_v4(dst);
	b.sport = sport;
	b.dport = dport;
	b.seq = 1000;
	b.ack = 2000;
	b.flags = flags;
	b.window = 512;
	b.payload = (const uint8_t *)payload;
	b.payload_len = payload ? strlen(payload) : 0;
	size_t len = 0;
	assert_int_equal(l7_pkt_build_tcp(buf, 256, &b, &len), 0);
	return (uint32_t)len;
}

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* ------------------------------------------------------------ match kinds */

static void lpm_longest_prefix_wins(void **state)
{
	(void)state;
	struct l7_pipeline *pl = mk(NULL);
	int a = tag_action(pl);
	const int kf[] = { L7_PL_F_IPV4_DST };
	const uint8_t kk[] = { L7_PL_MATCH_LPM };
	int t = tbl(pl, "routes", 1, kf, kk, 64, a);
	step(pl, t, -1);
	compile_ok(pl);
	struct { uint32_t p; uint8_t len; long tag; } r[] = {
		{ 0, 0, 100 }, { IP(10, 0, 0, 0), 8, 8 }, { IP(10, 1, 0, 0), 16, 16 },
		{ IP(10, 1, 2, 0), 24, 24 }, { IP(10, 1, 2, 3), 32, 32 },
	};
	/* install longest first, so install order cannot be what decides */
	for (int i = 4; i >= 0; i--) {
		struct l7_pl_entry e = ent(r[i].p, 0, a, (uint64_t)r[i].tag);
		e.prefix_len = r[i].len;
		assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
	}
	assert_int_equal(look(pl, t, IP(10, 1, 2, 3), 0), 32);
	assert_int_equal(look(pl, t, IP(10, 1, 2, 4), 0), 24);
	assert_int_equal(look(pl, t, IP(10, 1, 3, 3), 0), 16);
	assert_int_equal(look(pl, t, IP(10, 2, 0, 0), 0), 8);
	assert_int_equal(look(pl, t, IP(11, 0, 0, 0), 0), 100);
	/* value bits beyond the prefix are ignored; the same prefix twice exists */
	struct l7_pl_entry dup = ent(IP(10, 1, 2, 99), 0, a, 7);
	dup.prefix_len = 24;
	assert_int_equal(l7_pipeline_entry_add(pl, t, &dup, 0), L7_EEXIST);
	/* delete the /24: its addresses fall back to the /16 */
	struct l7_pl_entry d24 = ent(IP(10, 1, 2, 0), 0, a, 0);
	d24.prefix_len = 24;
	assert_int_equal(l7_pipeline_entry_delete(pl, t, &d24), 0);
	assert_int_equal(look(pl, t, IP(10, 1, 2, 4), 0), 16);
	assert_int_equal(look(pl, t, IP(10, 1, 2, 3), 0), 32);
	assert_int_equal(l7_pipeline_entry_delete(pl, t, &d24), L7_ENOENT);
	d24.prefix_len = 33;
	assert_int_equal(l7_pipeline_entry_add(pl, t, &d24, 0), L7_ERANGE);
	l7_pipeline_destroy(pl);
}

static void ternary_priority_and_tie_rules(void **state)
{
	(void)state;
	struct l7_pipeline *pl = mk(NULL);
	int a = tag_action(pl);
	int f = l7_pipeline_field_add(pl, "k", 16);
	const int kf[] = { f };
	const uint8_t kk[] = { L7_PL_MATCH_TERNARY };
	int t = tbl(pl, "acl", 1, kf, kk, 64, a);
	step(pl, t, -1);
	compile_ok(pl);
	struct l7_pl_entry e;
	/* a broad entry with high priority beats a specific one with low */
	e = ent(0x1200, 0, a, 1); e.mask[0] = 0xff00; e.priority = 10;
	assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
	e = ent(0x1234, 0, a, 2); e.mask[0] = 0xffff; e.priority = 5;
	assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
	assert_int_equal(look(pl, t, 0x1234, 0), 1);
	assert_int_equal(look(pl, t, 0x12ff, 0), 1);
	assert_int_equal(look(pl, t, 0x1334, 0), -1);
	/* equal priority: the entry installed first wins (both orders) */
	e = ent(0x0030, 0, a, 3); e.mask[0] = 0x00f0; e.priority = 7;
	assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
	e = ent(0x0005, 0, a, 4); e.mask[0] = 0x000f; e.priority = 7;
	assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
	assert_int_equal(look(pl, t, 0x0035, 0), 3);
	/* same key and mask, different priorities: both kept, best wins */
	e = ent(0x0035, 0, a, 5); e.mask[0] = 0xffff; e.priority = 7;
	assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
	assert_int_equal(look(pl, t, 0x0035, 0), 3); /* tie at 7: #3 is older */
	e = ent(0x0035, 0, a, 6); e.mask[0] = 0xffff; e.priority = 8;
	assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
	assert_int_equal(look(pl, t, 0x0035, 0), 6);
	e.params[0] = 66;
	assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), L7_EEXIST);
	assert_int_equal(l7_pipeline_entry_modify(pl, t, &e), 0);
	assert_int_equal(look(pl, t, 0x0035, 0), 66);
	/* deleting the winner exposes the next one in order */
	assert_int_equal(l7_pipeline_entry_delete(pl, t, &e), 0);
	assert_int_equal(look(pl, t, 0x0035, 0), 3);
	e = ent(0x0030, 0, a, 0); e.mask[0] = 0x00f0; e.priority = 7;
	assert_int_equal(l7_pipeline_entry_delete(pl, t, &e), 0);
	assert_int_equal(look(pl, t, 0x0035, 0), 4); /* #4 older than #5 */
	/* a zero mask matches everything */
	e = ent(0, 0, a, 9); e.mask[0] = 0; e.priority = -1;
	assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
	assert_int_equal(look(pl, t, 0xbeef, 0), 9);
	l7_pipeline_destroy(pl);
}

static void range_bounds_are_inclusive(void **state)
{
	(void)state;
	struct l7_pipeline *pl = mk(NULL);
	int a = tag_action(pl);
	const int kf[] = { L7_PL_F_L4_DPORT, L7_PL_F_IPV4_PROTO };
	const uint8_t kk[] = { L7_PL_MATCH_RANGE, L7_PL_MATCH_EXACT };
	int t = tbl(pl, "ports", 2, kf, kk, 16, a);
	step(pl, t, -1);
	compile_ok(pl);
	struct l7_pl_entry e = ent(10, 6, a, 1);
	e.hi[0] = 20;
	e.priority = 1;
	assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
	e = ent(15, 6, a, 2);
	e.hi[0] = 30;
	e.priority = 2;
	assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
	assert_int_equal(look(pl, t, 9, 6), -1);
	assert_int_equal(look(pl, t, 10, 6), 1);  /* low bound included */
	assert_int_equal(look(pl, t, 14, 6), 1);
	assert_int_equal(look(pl, t, 15, 6), 2);  /* overlap: higher priority */
	assert_int_equal(look(pl, t, 20, 6), 2);
	assert_int_equal(look(pl, t, 30, 6), 2);  /* high bound included */
	assert_int_equal(look(pl, t, 31, 6), -1);
	assert_int_equal(look(pl, t, 15, 17), -1); /* exact field must match */
	e = ent(5, 6, a, 3);
	e.hi[0] = 4; /* hi < lo */
	assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), L7_ERANGE);
	e = ent(15, 6, a, 0);
	e.hi[0] = 30;
	e.priority = 2;
	assert_int_equal(l7_pipeline_entry_delete(pl, t, &e), 0);
	assert_int_equal(look(pl, t, 15, 6), 1);
	assert_int_equal(look(pl, t, 25, 6), -1);
	l7_pipeline_destroy(pl);
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Tuple-space ternary lookups against a linear reference under random
 * adds and deletes (few distinct masks, many priorities and ties). */
static void ternary_reference_run(int random_masks);

static void ternary_matches_a_linear_reference(void **state)
{
	(void)state;
	ternary_reference_run(0);
}

/* Many distinct masks (one group per entry at worst). */
static void ternary_many_masks_match_a_linear_reference(void **state)
{
	(void)state;
	ternary_reference_run(1);
}

static void ternary_reference_run(int random_masks)
{
	struct l7_pipeline *pl = mk(NULL);
	int a = tag_action(pl);
	int f = l7_pipeline_field_add(pl, "k", 32);
	const int kf[] = { f };
	const uint8_t kk[] = { L7_PL_MATCH_TERNARY };
	enum { N = 600 };
	int t = tbl(pl, "acl", 1, kf, kk, N, a);
	step(pl, t, -1);
	compile_ok(pl);
	static const uint64_t masks[] = { 0xffffffff, 0xffff0000, 0xff00ff00, 0x0000ffff,
					  0xf0f0f0f0, 0 };
	struct { uint64_t v, m; int32_t prio; int used; uint32_t order; } ref[N];
	memset(ref, 0, sizeof(ref));
	uint64_t s = 42;
	uint32_t order = 0;
	for (int round = 0; round < 4000; round++) {
		unsigned i = (unsigned)(rng_next(&s) % N);
		struct l7_pl_entry e = ent(0, 0, a, i);
		if (!ref[i].used) {
			ref[i].m = random_masks ? rng_next(&s) & 0xfffffff3 : masks[rng_next(&s) % 6];
			ref[i].v = rng_next(&s) & ref[i].m & 0xf0f0f0f3; /* collisions */
			ref[i].prio = (int32_t)(rng_next(&s) % 8);
			e.value[0] = ref[i].v;
			e.mask[0] = ref[i].m;
			e.priority = ref[i].prio;
			int rc = l7_pipeline_entry_add(pl, t, &e, 0);
			int dup = 0;
			for (unsigned j = 0; j < N; j++)
				if (ref[j].used && ref[j].v == ref[i].v && ref[j].m == ref[i].m &&
				    ref[j].prio == ref[i].prio)
					dup = 1;
			assert_int_equal(rc, dup ? L7_EEXIST : 0);
			if (!dup) {
				ref[i].used = 1;
				ref[i].order = order++;
			}
		} else {
			e.value[0] = ref[i].v;
			e.mask[0] = ref[i].m;
			e.priority = ref[i].prio;
			assert_int_equal(l7_pipeline_entry_delete(pl, t, &e), 0);
			ref[i].used = 0;
		}
		uint64_t k = rng_next(&s) & 0xf0f0f0f3;
		long best = -1;
		for (unsigned j = 0; j < N; j++)
			if (ref[j].used && (k & ref[j].m) == ref[j].v &&
			    (best < 0 || ref[j].prio > ref[best].prio ||
			     (ref[j].prio == ref[best].prio && ref[j].order < ref[best].order)))
				best = j;
		assert_int_equal(look(pl, t, k, 0), best);
	}
	l7_pipeline_destroy(pl);
}

/* Small exact tables use the one-group index, big ones (>= 16384) the
 * connection table: the same behaviour either way. */
static void exact_capacity_run(uint32_t size)
{
	struct l7_pipeline *pl = mk(NULL);
	int a = tag_action(pl);
	const int kf[] = { L7_PL_F_IPV4_SRC, L7_PL_F_L4_SPORT };
	const uint8_t kk[] = { L7_PL_MATCH_EXACT, L7_PL_MATCH_EXACT };
	int t = tbl(pl, "conn", 2, kf, kk, size, a);
	step(pl, t, -1);
	compile_ok(pl);
	for (uint32_t i = 0; i < size; i++) {
		struct l7_pl_entry e = ent(i * 2654435761u, i & 0xffff, a, i);
		assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
	}
	struct l7_pl_entry x = ent(1, 1, a, 5);
	assert_int_equal(l7_pipeline_entry_add(pl, t, &x, 0), L7_EFULL);
	for (uint32_t i = 0; i < size; i += 2) {
		struct l7_pl_entry e = ent(i * 2654435761u, i & 0xffff, a, 0);
		assert_int_equal(l7_pipeline_entry_delete(pl, t, &e), 0);
	}
	assert_int_equal(l7_pipeline_table_count(pl, t), size / 2);
	for (uint32_t i = 0; i < size; i++)
		assert_int_equal(look(pl, t, (uint32_t)(i * 2654435761u), i & 0xffff),
				 (i & 1) ? (long)i : -1);
	assert_int_equal(l7_pipeline_entry_add(pl, t, &x, 0), 0);
	assert_int_equal(look(pl, t, 1, 1), 5);
	/* a value wider than its field is refused */
	x.value[1] = 0x10000;
	assert_int_equal(l7_pipeline_entry_add(pl, t, &x, 0), L7_ERANGE);
	l7_pipeline_destroy(pl);
}

static void exact_capacity_and_reuse(void **state)
{
	(void)state;
	exact_capacity_run(1000);
	exact_capacity_run(20000);
}

/* An exact table with a key of at most 16 bits is a direct index (key ->
 * entry); under random adds, modifies and deletes its lookups, through the
 * entry API and through packets, agree with a plain array of what is
 * installed. */
static void small_exact_direct_index_matches_a_reference(void **state)
{
	(void)state;
	struct l7_pipeline *pl = mk(NULL);
	static const uint8_t b9[] = { 9 };
	const struct l7_pl_prim fwd[] = { l7_pl_p_forward(l7_pl_param(0)) };
	int a = l7_pipeline_action_add(pl, "fwd", 1, b9, fwd, 1);
	const int kf[] = { L7_PL_F_L4_DPORT };
	const uint8_t kk[] = { L7_PL_MATCH_EXACT };
	int t = tbl(pl, "by_port", 1, kf, kk, 64, a);
	step(pl, t, -1);
	compile_ok(pl);
	enum { NPORT = 96 };
	int ref[NPORT]; /* egress port installed for dport 1000 + i, -1 none */
	for (unsigned i = 0; i < NPORT; i++)
		ref[i] = -1;
	unsigned installed = 0;
	uint64_t seed = 7;
	uint8_t buf[256];
	struct l7_pl_result r;
	for (unsigned round = 0; round < 3000; round++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		unsigned i = (unsigned)(seed >> 33) % NPORT, op = (unsigned)(seed >> 20) % 3;
		struct l7_pl_entry e;
		memset(&e, 0, sizeof(e));
		e.value[0] = 1000 + i;
		e.action = a;
		e.params[0] = 1 + (seed >> 40) % 500;
		if (op == 0) {
			int rc = l7_pipeline_entry_add(pl, t, &e, 0);
			if (ref[i] >= 0) {
				assert_int_equal(rc, L7_EEXIST);
			} else if (installed == 64) {
				assert_int_equal(rc, L7_EFULL);
			} else {
				assert_int_equal(rc, 0);
				ref[i] = (int)e.params[0];
				installed++;
			}
		} else if (op == 1) {
			int rc = l7_pipeline_entry_modify(pl, t, &e);
			assert_int_equal(rc, ref[i] >= 0 ? 0 : L7_ENOENT);
			if (ref[i] >= 0)
				ref[i] = (int)e.params[0];
		} else {
			int rc = l7_pipeline_entry_delete(pl, t, &e);
			assert_int_equal(rc, ref[i] >= 0 ? 0 : L7_ENOENT);
			if (ref[i] >= 0)
				installed--;
			ref[i] = -1;
		}
		/* check a few keys, including the one just changed */
		for (unsigned k = 0; k < 3; k++) {
			unsigned j = k == 0 ? i : (unsigned)(seed >> (10 + 7 * k)) % NPORT;
			uint64_t kv[1] = { 1000 + j };
			struct l7_pl_entry out;
			int hit = l7_pipeline_entry_lookup(pl, t, kv, &out);
			assert_int_equal(hit, ref[j] >= 0);
			if (hit)
				assert_int_equal(out.params[0], (uint64_t)ref[j]);
			uint32_t len = frame(buf, 1, 2, 3, (uint16_t)(1000 + j), L7_TCP_ACK, NULL);
			assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 0, 0, &r), 0);
			assert_int_equal(r.dropped, ref[j] < 0);
			if (ref[j] >= 0)
				assert_int_equal(r.egress_port, ref[j]);
		}
	}
	l7_pipeline_destroy(pl);
}

/* ------------------------------------------------------------ primitives */

/* Observe metadata through a digest: advance past the CPU path and poll. */
static void digest_values(struct l7_pipeline *pl, uint64_t *out, unsigned n)
{
	assert_true(l7_pipeline_advance(pl, UINT64_MAX / 2) >= 1);
	struct l7_pl_event ev;
	int got = 0;
	while (l7_pipeline_poll(pl, &ev) == 1)
		if (ev.kind == L7_PL_EV_DIGEST) {
			memcpy(out, ev.data, n * sizeof(uint64_t));
			got = 1;
		}
	assert_true(got);
}

static void alu_primitives_and_header_rewrite(void **state)
{
	(void)state;
	struct l7_pipeline *pl = mk(NULL);
	int m8 = l7_pipeline_field_add(pl, "m8", 8);
	int m16 = l7_pipeline_field_add(pl, "m16", 16);
	int m32 = l7_pipeline_field_add(pl, "m32", 32);
	int mx = l7_pipeline_field_add(pl, "mx", 16);
	const struct l7_pl_prim body[] = {
		l7_pl_p_set(m8, l7_pl_imm(0x1ff)),                    /* truncated: 0xff */
		l7_pl_p_alu(L7_PL_OP_ADD, m8, l7_pl_fld(m8), l7_pl_imm(2)), /* wraps: 1 */
		l7_pl_p_alu(L7_PL_OP_SUB, m16, l7_pl_imm(3), l7_pl_imm(5)), /* 0xfffe */
		l7_pl_p_alu(L7_PL_OP_AND, mx, l7_pl_fld(m16), l7_pl_param(0)),
		l7_pl_p_alu(L7_PL_OP_OR, m32, l7_pl_fld(L7_PL_F_IPV4_SRC), l7_pl_imm(0xff)),
		l7_pl_p_alu(L7_PL_OP_XOR, L7_PL_F_L4_SPORT, l7_pl_fld(L7_PL_F_L4_SPORT),
			    l7_pl_imm(0x0f0f)),
		l7_pl_p_set(L7_PL_F_IPV4_TTL, l7_pl_imm(9)),
		l7_pl_p_set(L7_PL_F_IPV4_DST, l7_pl_fld(m32)),
		l7_pl_p_alu(L7_PL_OP_ADD, L7_PL_F_TCP_SEQ, l7_pl_fld(L7_PL_F_TCP_SEQ), l7_pl_imm(5)),
		l7_pl_p_set(L7_PL_F_TCP_WINDOW, l7_pl_imm(1234)),
		l7_pl_p_set(L7_PL_F_ETH_DST, l7_pl_imm(0x0a0b0c0d0e0full)),
		l7_pl_p_forward(l7_pl_imm(17)),
		l7_pl_p_mirror(l7_pl_imm(30)),
		l7_pl_p_digest(1, (const int[]){ m8, m16, mx, m32 }, 4),
	};
	static const uint8_t bits[] = { 16 };
	int a = l7_pipeline_action_add(pl, "alu", 1, bits, body, sizeof(body) / sizeof(body[0]));
	assert_true(a >= 0);
	struct l7_pl_step s;
	memset(&s, 0, sizeof(s));
	s.table = -1;
	s.action = a;
	s.params[0] = 0x0ff0;
	s.goto_step = -1;
	assert_int_equal(l7_pipeline_step_add(pl, &s), 0);
	compile_ok(pl);
	uint8_t buf[256];
	uint32_t len = frame(buf, IP(10, 0, 0, 1), 0x1234, IP(10, 0, 0, 2), 80, L7_TCP_ACK, "hi");
	struct l7_pl_result r;
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 3, 100, &r), 0);
	assert_int_equal(r.err, 0);
	assert_false(r.dropped);
	assert_int_equal(r.egress_port, 17);
	assert_int_equal(r.n_mirror, 1);
	assert_int_equal(r.mirror_port[0], 30);
	assert_int_equal(r.n_digests, 1);
	struct l7_pkt p;
	assert_int_equal(l7_pkt_parse(&p, buf, r.frame_len, L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(l7_pkt_csum_verify(&p), 0); /* incremental updates right */
	assert_int_equal(p.ttl, 9);
	assert_int_equal(l7_addr_v4(&p.dst), IP(10, 0, 0, 0xff));
	assert_int_equal(p.sport, 0x1234 ^ 0x0f0f);
	assert_int_equal(p.tcp_seq, 1005);
	assert_int_equal(p.tcp_window, 1234);
	assert_memory_equal(buf, "\x0a\x0b\x0c\x0d\x0e\x0f", 6);
	uint64_t v[4];
	digest_values(pl, v, 4);
	assert_int_equal(v[0], 1);
	assert_int_equal(v[1], 0xfffe);
	assert_int_equal(v[2], 0x0ff0);
	assert_int_equal(v[3], IP(10, 0, 0, 0xff));
	l7_pipeline_destroy(pl);
}

static void hash_units_give_catalogue_check_values(void **state)
{
	(void)state;
	struct l7_pipeline *pl = mk(NULL);
	int c[9], h8 = l7_pipeline_field_add(pl, "h8", 8);
	int h16 = l7_pipeline_field_add(pl, "h16", 16), h32 = l7_pipeline_field_add(pl, "h32", 32);
	int hk = l7_pipeline_field_add(pl, "hk", 32), hk2 = l7_pipeline_field_add(pl, "hk2", 32);
	int hi = l7_pipeline_field_add(pl, "hi", 24);
	struct l7_pl_prim body[16];
	for (int i = 0; i < 9; i++) {
		char n[16];
		snprintf(n, sizeof(n), "c%d", i);
		c[i] = l7_pipeline_field_add(pl, n, 8);
		body[i] = l7_pl_p_set(c[i], l7_pl_imm((uint64_t)('1' + i)));
	}
	/* "123456789" as nine 8-bit fields; hash input is big-endian bytes */
	int src6[6] = { c[0], c[1], c[2], c[3], c[4], c[5] };
	body[9] = l7_pl_p_hash(h8, L7_PL_HASH_CRC8, src6, 6, 0);
	body[10] = l7_pl_p_hash(hk, L7_PL_HASH_KEYED, src6, 6, 1);
	body[11] = l7_pl_p_hash(hk2, L7_PL_HASH_KEYED, src6, 6, 2);
	body[12] = l7_pl_p_hash(hi, L7_PL_HASH_IDENTITY, src6, 3, 0);
	body[13] = l7_pl_p_digest(1, (const int[]){ h8, hk, hk2, hi }, 4);
	int a = l7_pipeline_action_add(pl, "h", 0, NULL, body, 14);
	assert_true(a >= 0);
	/* CRC16/CRC32 over all nine bytes: three fields of 24 bits each */
	int w[3] = { l7_pipeline_field_add(pl, "w0", 24), l7_pipeline_field_add(pl, "w1", 24),
		     l7_pipeline_field_add(pl, "w2", 24) };
	const struct l7_pl_prim b2[] = {
		l7_pl_p_set(w[0], l7_pl_imm(0x313233)), l7_pl_p_set(w[1], l7_pl_imm(0x343536)),
		l7_pl_p_set(w[2], l7_pl_imm(0x373839)),
		l7_pl_p_hash(h16, L7_PL_HASH_CRC16, w, 3, 0),
		l7_pl_p_hash(h32, L7_PL_HASH_CRC32, w, 3, 0),
		l7_pl_p_digest(2, (const int[]){ h16, h32 }, 2),
	};
	int a2 = l7_pipeline_action_add(pl, "h2", 0, NULL, b2, 6);
	assert_true(a2 >= 0);
	step(pl, -1, a);
	step(pl, -1, a2);
	compile_ok(pl);
	uint8_t buf[256];
	uint32_t len = frame(buf, 1, 2, 3, 4, L7_TCP_ACK, NULL);
	struct l7_pl_result r;
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 0, 0, &r), 0);
	assert_int_equal(l7_pipeline_advance(pl, 1000000000), 2);
	struct l7_pl_event ev;
	assert_int_equal(l7_pipeline_poll(pl, &ev), 1);
	assert_int_equal(ev.id, 1);
	/* CRC-8 of "123456" (poly 0x07): computed bitwise here as the oracle */
	uint8_t crc = 0;
	for (int i = 0; i < 6; i++) {
		crc ^= (uint8_t)('1' + i);
		for (int k = 0; k < 8; k++)
			crc = (uint8_t)((crc & 0x80) ? (crc << 1) ^ 7 : crc << 1);
	}
	assert_int_equal(ev.data[0], crc);
	assert_int_not_equal(ev.data[1], ev.data[2]); /* the key changes the hash */
	assert_int_equal(ev.data[3], 0x313233);
	assert_int_equal(l7_pipeline_poll(pl, &ev), 1);
	assert_int_equal(ev.id, 2);
	assert_int_equal(ev.data[0], 0xfee8);     /* CRC-16/UMTS check value */
	assert_int_equal(ev.data[1], 0xcbf43926); /* CRC-32 check value */
	l7_pipeline_destroy(pl);
}

static void drop_cpu_recirculate_and_default_action(void **state)
{
	(void)state;
	struct l7_pipeline *pl = mk(NULL);
	const struct l7_pl_prim fwd[] = { l7_pl_p_forward(l7_pl_param(0)) };
	static const uint8_t b9[] = { 9 };
	int a_fwd = l7_pipeline_action_add(pl, "fwd", 1, b9, fwd, 1);
	const struct l7_pl_prim drop[] = { l7_pl_p_drop() };
	int a_drop = l7_pipeline_action_add(pl, "drop", 0, NULL, drop, 1);
	const struct l7_pl_prim cpu[] = { l7_pl_p_to_cpu() };
	int a_cpu = l7_pipeline_action_add(pl, "cpu", 0, NULL, cpu, 1);
	const struct l7_pl_prim rec[] = { l7_pl_p_recirculate() };
	int a_rec = l7_pipeline_action_add(pl, "rec", 0, NULL, rec, 1);
	struct l7_pl_table_def d;
	memset(&d, 0, sizeof(d));
	d.name = "by_dport";
	d.n_keys = 1;
	d.key_field[0] = L7_PL_F_L4_DPORT;
	d.key_kind[0] = L7_PL_MATCH_EXACT;
	d.size = 16;
	d.n_actions = 4;
	d.actions[0] = a_fwd;
	d.actions[1] = a_drop;
	d.actions[2] = a_cpu;
	d.actions[3] = a_rec;
	d.default_action = a_fwd;
	d.default_params[0] = 99;
	int t = l7_pipeline_table_add(pl, &d);
	/* on a recirculated pass (ingress port 68), forward to 5 and stop */
	struct l7_pl_step s;
	memset(&s, 0, sizeof(s));
	s.n_cond = 1;
	s.cond[0].cmp = L7_PL_CMP_EQ;
	s.cond[0].field = L7_PL_F_INGRESS_PORT;
	s.cond[0].value = L7_PL_PORT_RECIRC;
	s.table = -1;
	s.action = a_fwd;
	s.params[0] = 5;
	s.goto_step = L7_PL_STEP_END;
	assert_int_equal(l7_pipeline_step_add(pl, &s), 0);
	step(pl, t, -1);
	compile_ok(pl);
	struct l7_pl_entry e = ent(1, 0, a_drop, 0);
	assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
	e = ent(2, 0, a_cpu, 0);
	assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
	e = ent(3, 0, a_rec, 0);
	assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
	e = ent(4, 0, a_fwd, 44);
	assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
	uint8_t buf[256];
	struct l7_pl_result r;
	uint32_t len = frame(buf, 1, 1, 2, 1, L7_TCP_ACK, NULL);
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 0, 0, &r), 0);
	assert_true(r.dropped);
	len = frame(buf, 1, 1, 2, 2, L7_TCP_ACK, NULL);
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 0, 0, &r), 0);
	assert_true(r.to_cpu);
	assert_int_equal(r.egress_port, L7_PL_PORT_CPU);
	len = frame(buf, 1, 1, 2, 3, L7_TCP_ACK, NULL);
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 0, 0, &r), 0);
	assert_int_equal(r.passes, 2);
	assert_int_equal(r.latency_ns, 2000); /* a recirculation adds a pass */
	assert_int_equal(r.egress_port, 5);
	len = frame(buf, 1, 1, 2, 4, L7_TCP_ACK, NULL);
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 0, 0, &r), 0);
	assert_int_equal(r.egress_port, 44);
	assert_int_equal(r.tables_hit, 1ull << t);
	len = frame(buf, 1, 1, 2, 9, L7_TCP_ACK, NULL);
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 0, 0, &r), 0);
	assert_int_equal(r.egress_port, 99); /* default action with its params */
	assert_int_equal(r.tables_hit, 0);
	assert_int_equal(r.tables_applied, 1ull << t);
	struct l7_pl_stats st;
	l7_pipeline_stats(pl, &st);
	assert_int_equal(st.packets, 5);
	assert_int_equal(st.recirculations, 1);
	assert_int_equal(st.table_hits[t], 4);
	assert_int_equal(st.table_misses[t], 1);
	l7_pipeline_destroy(pl);
}

static void recirculation_is_bounded(void **state)
{
	(void)state;
	struct l7_pipeline *pl = mk(NULL);
	const struct l7_pl_prim rec[] = { l7_pl_p_forward(l7_pl_imm(1)), l7_pl_p_recirculate() };
	int a = l7_pipeline_action_add(pl, "loop", 0, NULL, rec, 2);
	step(pl, -1, a);
	compile_ok(pl);
	uint8_t buf[256];
	struct l7_pl_result r;
	uint32_t len = frame(buf, 1, 1, 2, 3, L7_TCP_ACK, NULL);
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 0, 0, &r), 0);
	assert_int_equal(r.passes, 4); /* max_passes */
	assert_true(r.dropped);
	struct l7_pl_stats st;
	l7_pipeline_stats(pl, &st);
	assert_int_equal(st.recirc_limit, 1);
	l7_pipeline_destroy(pl);
}

/* An if / else-if chain (compiled into a decision table) picks the first
 * branch whose conditions hold, for every combination of the tested bits,
 * including a non-contiguous mask. */
static void if_else_chain_picks_the_first_true_branch(void **state)
{
	(void)state;
	struct l7_pipeline *pl = mk(NULL);
	int fa = l7_pipeline_field_add(pl, "a", 4), fb = l7_pipeline_field_add(pl, "b", 3);
	int out = l7_pipeline_field_add(pl, "out", 9);
	const struct l7_pl_prim load[] = {
		l7_pl_p_alu(L7_PL_OP_AND, fa, l7_pl_fld(L7_PL_F_TCP_WINDOW), l7_pl_imm(0xf)),
		l7_pl_p_alu(L7_PL_OP_AND, fb, l7_pl_fld(L7_PL_F_L4_SPORT), l7_pl_imm(0x7)),
	};
	static const uint8_t b9[] = { 9 };
	const struct l7_pl_prim setout[] = { l7_pl_p_set(out, l7_pl_param(0)) };
	const struct l7_pl_prim fwd[] = { l7_pl_p_forward(l7_pl_fld(out)) };
	int a_load = l7_pipeline_action_add(pl, "load", 0, NULL, load, 2);
	int a_set = l7_pipeline_action_add(pl, "setout", 1, b9, setout, 1);
	int a_fwd = l7_pipeline_action_add(pl, "fwd", 0, NULL, fwd, 1);
	step(pl, -1, a_load); /* step 0 */
	struct { unsigned n; struct l7_pl_cond c[2]; } br[4] = {
		{ 1, { { L7_PL_CMP_EQ, (int16_t)fb, 3 } } },
		{ 2, { { L7_PL_CMP_ANY, (int16_t)fa, 0x9 }, { L7_PL_CMP_EQ, (int16_t)fb, 2 } } },
		{ 2, { { L7_PL_CMP_NE, (int16_t)fb, 5 }, { L7_PL_CMP_NONE, (int16_t)fa, 0x1 } } },
		{ 0, { { 0, 0, 0 } } },
	};
	for (int k = 0; k < 4; k++) {
		struct l7_pl_step s;
		memset(&s, 0, sizeof(s));
		s.n_cond = br[k].n;
		memcpy(s.cond, br[k].c, sizeof(br[k].c));
		s.table = -1;
		s.action = a_set;
		s.params[0] = (uint64_t)(k + 1);
		s.goto_step = 5;
		assert_int_equal(l7_pipeline_step_add(pl, &s), k + 1);
	}
	step(pl, -1, a_fwd); /* step 5 */
	compile_ok(pl);
	uint8_t buf[256];
	struct l7_pl_result r;
	for (unsigned a = 0; a < 16; a++)
		for (unsigned b = 0; b < 8; b++) {
			struct l7_tcp_build tb;
			memset(&tb, 0, sizeof(tb));
			tb.linktype = L7_LINKTYPE_ETHERNET;
			tb.ip_version = 4;
			tb.ttl = 64;
			tb.src = l7_addr_from_v4(1);
			tb.dst = l7_addr_from_v4(2);
			tb.sport = (uint16_t)(0x100 | b);
			tb.dport = 80;
			tb.flags = L7_TCP_ACK;
			tb.window = (uint16_t)(0x40 | a);
			size_t len;
			assert_int_equal(l7_pkt_build_tcp(buf, sizeof(buf), &tb, &len), 0);
			assert_int_equal(l7_pipeline_process(pl, buf, (uint32_t)len, sizeof(buf), 0, 0,
							     &r), 0);
			unsigned want = b == 3 ? 1 : ((a & 9) && b == 2) ? 2 : (b != 5 && !(a & 1)) ? 3 : 4;
			assert_int_equal(r.egress_port, want);
		}
	l7_pipeline_destroy(pl);
}

/* ------------------------------------------------------------ fast paths */

/*
 * One program declared two ways: "fast" lets the compiler use every
 * specialised path (an if / else-if decision table, single-test step
 * records, SET/FORWARD-only actions, a direct-indexed exact table); "slow"
 * declares the same behaviour so that none applies (an extra condition that
 * always holds, a no-op ALU primitive on a scratch field, a key widened by
 * a field every packet has at the same value). The fast program run as a
 * burst (the step-major executor) and one by one, and the slow one one by
 * one, must give identical results and byte-identical frames.
 */
static struct l7_pipeline *diff_prog(int slow, int *t_out)
{
	struct l7_pipeline *pl = mk(NULL);
	int fa = l7_pipeline_field_add(pl, "md.a", 4), fb = l7_pipeline_field_add(pl, "md.b", 1);
	int fk = l7_pipeline_field_add(pl, "md.k", 12), fz = l7_pipeline_field_add(pl, "md.zero", 8);
	const struct l7_pl_prim load[] = {
		l7_pl_p_alu(L7_PL_OP_AND, fa, l7_pl_fld(L7_PL_F_TCP_WINDOW), l7_pl_imm(0xf)),
		l7_pl_p_alu(L7_PL_OP_AND, fb, l7_pl_fld(L7_PL_F_L4_SPORT), l7_pl_imm(1)),
		l7_pl_p_alu(L7_PL_OP_AND, fk, l7_pl_fld(L7_PL_F_L4_DPORT), l7_pl_imm(0x3f)),
	};
	static const uint8_t bsel[] = { 9, 48, 32 };
	/* the slow twin adds a no-op ADD on a scratch field: not SET-only */
	const struct l7_pl_prim sel[] = {
		l7_pl_p_set(L7_PL_F_ETH_DST, l7_pl_param(1)),
		l7_pl_p_forward(l7_pl_param(0)),
		l7_pl_p_set(L7_PL_F_IPV4_DST, l7_pl_param(2)),
		l7_pl_p_set(L7_PL_F_L4_DPORT, l7_pl_imm(8080)),
		l7_pl_p_set(L7_PL_F_ETH_SRC, l7_pl_fld(L7_PL_F_ETH_DST)),
		l7_pl_p_alu(L7_PL_OP_ADD, fz, l7_pl_fld(fz), l7_pl_imm(0)),
	};
	static const uint8_t bseq[] = { 32, 8 };
	const struct l7_pl_prim seq[] = {
		l7_pl_p_set(L7_PL_F_TCP_SEQ, l7_pl_param(0)),
		l7_pl_p_set(L7_PL_F_IPV4_TTL, l7_pl_param(1)),
		l7_pl_p_forward(l7_pl_imm(77)),
	};
	const struct l7_pl_prim win[] = { l7_pl_p_set(L7_PL_F_TCP_WINDOW, l7_pl_imm(777)) };
	int a_load = l7_pipeline_action_add(pl, "load", 0, NULL, load, 3);
	int a_sel = l7_pipeline_action_add(pl, "sel", 3, bsel, sel, slow ? 6 : 5);
	int a_seq = l7_pipeline_action_add(pl, "seq", 2, bseq, seq, 3);
	int a_win = l7_pipeline_action_add(pl, "win", 0, NULL, win, 1);
	assert_true(a_load >= 0 && a_sel >= 0 && a_seq >= 0 && a_win >= 0);
	step(pl, -1, a_load); /* step 0 */
	/* steps 1..4: first true branch wins (a decision table when fast) */
	const struct l7_pl_cond always = { L7_PL_CMP_NE, (int16_t)fz, 1 };
	struct { unsigned n; struct l7_pl_cond c[2]; } br[4] = {
		{ 1, { { L7_PL_CMP_EQ, (int16_t)fa, 3 } } },
		{ 2, { { L7_PL_CMP_ANY, (int16_t)fa, 0xc }, { L7_PL_CMP_EQ, (int16_t)fb, 1 } } },
		{ 1, { { L7_PL_CMP_NONE, (int16_t)fa, 0x3 } } },
		{ 0, { { 0, 0, 0 } } },
	};
	for (int k = 0; k < 4; k++) {
		struct l7_pl_step s;
		memset(&s, 0, sizeof(s));
		s.n_cond = br[k].n;
		memcpy(s.cond, br[k].c, sizeof(br[k].c));
		if (slow) /* a test no decision table takes: >= is not a masked test */
			s.cond[s.n_cond++] = (struct l7_pl_cond){ L7_PL_CMP_GE, (int16_t)fz, 0 };
		s.table = -1;
		s.action = a_sel;
		s.params[0] = (uint64_t)(10 + k);
		s.params[1] = 0x020000000000ull + (uint64_t)k;
		s.params[2] = 0x0a000000u + (uint32_t)k;
		s.goto_step = 5;
		assert_int_equal(l7_pipeline_step_add(pl, &s), k + 1);
	}
	/* step 5: exact table on md.k (direct index when fast; the slow twin
	 * widens the key with ipv4.proto, 6 on every packet here) */
	struct l7_pl_table_def d;
	memset(&d, 0, sizeof(d));
	d.name = "by_k";
	d.n_keys = slow ? 2 : 1;
	d.key_field[0] = fk;
	d.key_field[1] = L7_PL_F_IPV4_PROTO;
	d.key_kind[0] = d.key_kind[1] = L7_PL_MATCH_EXACT;
	d.size = 64;
	d.n_actions = 1;
	d.actions[0] = a_seq;
	d.default_action = -1;
	int t = l7_pipeline_table_add(pl, &d);
	assert_true(t >= 0);
	struct l7_pl_step s5;
	memset(&s5, 0, sizeof(s5));
	s5.table = t;
	s5.action = -1;
	s5.goto_step = -1;
	s5.n_cond = 1;
	s5.cond[0] = (struct l7_pl_cond){ L7_PL_CMP_NONE, L7_PL_F_TCP_FLAGS, L7_TCP_RST };
	if (slow)
		s5.cond[s5.n_cond++] = always;
	assert_int_equal(l7_pipeline_step_add(pl, &s5), 5);
	/* step 6: a single masked test with an action body */
	struct l7_pl_step s6;
	memset(&s6, 0, sizeof(s6));
	s6.table = -1;
	s6.action = a_win;
	s6.goto_step = -1;
	s6.n_cond = 1;
	s6.cond[0] = (struct l7_pl_cond){ L7_PL_CMP_ANY, L7_PL_F_TCP_FLAGS, L7_TCP_SYN };
	if (slow)
		s6.cond[s6.n_cond++] = always;
	assert_int_equal(l7_pipeline_step_add(pl, &s6), 6);
	compile_ok(pl);
	for (unsigned k = 0; k < 64; k += 3) {
		struct l7_pl_entry e;
		memset(&e, 0, sizeof(e));
		e.value[0] = k;
		e.value[1] = 6;
		e.action = a_seq;
		e.params[0] = 0x10000u * k + 5;
		e.params[1] = 100 + k;
		assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
	}
	*t_out = t;
	return pl;
}

static void fast_paths_match_the_general_interpreter(void **state)
{
	(void)state;
	int t_fast, t_slow;
	struct l7_pipeline *fast = diff_prog(0, &t_fast), *slow = diff_prog(1, &t_slow);
	struct l7_pipeline *fast1 = diff_prog(0, &t_fast); /* fast paths, one by one */
	assert_int_equal(t_fast, t_slow);
	enum { B = 16 };
	static uint8_t bufs[B][256], ref[B][256], one[B][256];
	uint8_t *bp[B];
	uint32_t lens[B], caps[B];
	uint16_t ports[B];
	struct l7_pl_result rf[B], rs;
	uint64_t seed = 42;
	unsigned hits = 0, branch_seen = 0;
	for (unsigned round = 0; round < 200; round++) {
		for (unsigned k = 0; k < B; k++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			uint64_t r = seed >> 11;
			struct l7_tcp_build tb;
			memset(&tb, 0, sizeof(tb));
			tb.linktype = L7_LINKTYPE_ETHERNET;
			tb.eth_src[5] = (uint8_t)r;
			tb.ip_version = 4;
			tb.ttl = (uint8_t)(1 + (r >> 8) % 200);
			tb.src = l7_addr_from_v4((uint32_t)(r >> 3));
			tb.dst = l7_addr_from_v4((uint32_t)(r >> 17));
			tb.sport = (uint16_t)(r >> 5);
			tb.dport = (uint16_t)(r >> 21);
			tb.seq = (uint32_t)(r >> 9);
			tb.ack = (uint32_t)(r >> 1);
			static const uint16_t fl[] = { L7_TCP_ACK, L7_TCP_SYN, L7_TCP_ACK | L7_TCP_PSH,
						       L7_TCP_RST, L7_TCP_FIN | L7_TCP_ACK };
			tb.flags = fl[(r >> 30) % 5];
			tb.window = (uint16_t)(r >> 33);
			tb.payload = (const uint8_t *)"abc";
			tb.payload_len = (r >> 40) % 4;
			size_t len;
			assert_int_equal(l7_pkt_build_tcp(bufs[k], 256, &tb, &len), 0);
			memcpy(ref[k], bufs[k], len);
			memcpy(one[k], bufs[k], len);
			bp[k] = bufs[k];
			lens[k] = (uint32_t)len;
			caps[k] = 256;
			ports[k] = (uint16_t)(r % 8);
		}
		/* fast: as a burst; slow: one by one */
		assert_int_equal(l7_pipeline_process_burst(fast, bp, lens, caps, ports, B, round, rf), 0);
		for (unsigned k = 0; k < B; k++) {
			assert_int_equal(l7_pipeline_process(slow, ref[k], lens[k], 256, ports[k], round, &rs),
					 0);
			struct l7_pl_result r1;
			assert_int_equal(l7_pipeline_process(fast1, one[k], lens[k], 256, ports[k], round,
							     &r1), 0);
			assert_memory_equal(&r1, &rs, sizeof(rs));
			assert_memory_equal(one[k], ref[k], rs.frame_len);
			assert_int_equal(rf[k].dropped, rs.dropped);
			assert_int_equal(rf[k].egress_port, rs.egress_port);
			assert_int_equal(rf[k].to_cpu, rs.to_cpu);
			assert_int_equal(rf[k].passes, rs.passes);
			assert_int_equal(rf[k].tables_applied, rs.tables_applied);
			assert_int_equal(rf[k].tables_hit, rs.tables_hit);
			assert_int_equal(rf[k].latency_ns, rs.latency_ns);
			assert_int_equal(rf[k].err, rs.err);
			assert_int_equal(rf[k].frame_len, rs.frame_len);
			assert_memory_equal(bufs[k], ref[k], rs.frame_len);
			hits += (unsigned)(rs.tables_hit != 0);
			if (!rs.dropped && rs.egress_port >= 10 && rs.egress_port <= 13)
				branch_seen |= 1u << (rs.egress_port - 10);
		}
	}
	/* the stream exercised table hits and misses and every branch */
	assert_true(hits > 100 && hits < 200 * B - 100);
	assert_int_equal(branch_seen, 0xf);
	l7_pipeline_destroy(fast);
	l7_pipeline_destroy(fast1);
	l7_pipeline_destroy(slow);
}

/*
 * The burst executor runs the program step by step over the whole burst;
 * every kind of step, test, table and primitive a burst program may hold
 * must give what one-by-one processing gives: ternary, LPM, range, direct
 * and hashed exact tables with actions chosen per entry and defaults;
 * HIT/MISS/LT/GE conditions; ADD/XOR/HASH into fields; MIRROR, DROP,
 * TO_CPU, RECIRCULATE and options rewrites; jumps past other steps.
 */
static struct l7_pl_cond cd(int cmp, int field, uint64_t value)
{
	struct l7_pl_cond c = { (uint8_t)cmp, (int16_t)field, value };
	return c;
}

static void mstep(struct l7_pipeline *pl, int table, int action, int go, unsigned nc,
		  struct l7_pl_cond c0, struct l7_pl_cond c1)
{
	struct l7_pl_step s;
	memset(&s, 0, sizeof(s));
	s.table = table;
	s.action = action;
	s.goto_step = go;
	s.n_cond = nc;
	s.cond[0] = c0;
	s.cond[1] = c1;
	assert_true(l7_pipeline_step_add(pl, &s) >= 0);
}

static struct l7_pipeline *mixed_prog(int *tt, int *tl, int *tr, int *te, int *td, int *a_ids)
{
	struct l7_pipeline *pl = mk(NULL);
	int fa = l7_pipeline_field_add(pl, "md.a", 8), fb = l7_pipeline_field_add(pl, "md.b", 16);
	int fh = l7_pipeline_field_add(pl, "md.h", 16), fc = l7_pipeline_field_add(pl, "md.c", 8);
	static const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 1, 1, 1, 0 };
	int blob = l7_pipeline_blob_add(pl, opts, sizeof(opts));
	assert_true(blob >= 0);
	const int hsrc[] = { L7_PL_F_IPV4_SRC, L7_PL_F_L4_SPORT };
	static const uint8_t b1[] = { 8 }, b2[] = { 9, 16 };
	const struct l7_pl_prim mark[] = {
		l7_pl_p_set(fa, l7_pl_param(0)),
		l7_pl_p_alu(L7_PL_OP_ADD, fb, l7_pl_fld(L7_PL_F_L4_SPORT), l7_pl_param(0)),
	};
	const struct l7_pl_prim other[] = {
		l7_pl_p_alu(L7_PL_OP_XOR, fa, l7_pl_fld(L7_PL_F_IPV4_TTL), l7_pl_param(0)),
		l7_pl_p_hash(fh, L7_PL_HASH_CRC16, hsrc, 2, 0),
	};
	const struct l7_pl_prim fwd[] = {
		l7_pl_p_forward(l7_pl_param(0)),
		l7_pl_p_mirror(l7_pl_imm(7)),
		l7_pl_p_set(L7_PL_F_TCP_WINDOW, l7_pl_param(1)),
	};
	const struct l7_pl_prim drop[] = { l7_pl_p_drop() };
	const struct l7_pl_prim cpu[] = { l7_pl_p_to_cpu(), l7_pl_p_set(fc, l7_pl_imm(3)) };
	const struct l7_pl_prim recirc[] = {
		l7_pl_p_recirculate(), l7_pl_p_set(L7_PL_F_IPV4_TTL, l7_pl_fld(fa)),
	};
	const struct l7_pl_prim hsh[] = {
		l7_pl_p_hash(fc, L7_PL_HASH_CRC8, hsrc, 2, 0),
		l7_pl_p_set(L7_PL_F_TCP_SEQ, l7_pl_fld(fh)),
		l7_pl_p_forward(l7_pl_fld(fc)),
	};
	const struct l7_pl_prim optsp[] = { l7_pl_p_tcp_opts(blob), l7_pl_p_set(L7_PL_F_L4_DPORT, l7_pl_imm(8443)) };
	int a_mark = l7_pipeline_action_add(pl, "mark", 1, b1, mark, 2);
	int a_other = l7_pipeline_action_add(pl, "other", 1, b1, other, 2);
	int a_fwd = l7_pipeline_action_add(pl, "fwd", 2, b2, fwd, 3);
	int a_drop = l7_pipeline_action_add(pl, "drop", 0, NULL, drop, 1);
	int a_cpu = l7_pipeline_action_add(pl, "cpu", 0, NULL, cpu, 2);
	int a_rec = l7_pipeline_action_add(pl, "recirc", 0, NULL, recirc, 2);
	int a_hsh = l7_pipeline_action_add(pl, "hsh", 0, NULL, hsh, 3);
	int a_opts = l7_pipeline_action_add(pl, "opts", 0, NULL, optsp, 2);
	assert_true(a_mark >= 0 && a_other >= 0 && a_fwd >= 0 && a_drop >= 0 && a_cpu >= 0 &&
		    a_rec >= 0 && a_hsh >= 0 && a_opts >= 0);
	a_ids[0] = a_mark;
	a_ids[1] = a_other;
	a_ids[2] = a_fwd;
	/* ternary on the source address, two actions, a default */
	struct l7_pl_table_def d;
	memset(&d, 0, sizeof(d));
	d.name = "tern";
	d.n_keys = 1;
	d.key_field[0] = L7_PL_F_IPV4_SRC;
	d.key_kind[0] = L7_PL_MATCH_TERNARY;
	d.size = 64;
	d.n_actions = 2;
	d.actions[0] = a_mark;
	d.actions[1] = a_other;
	d.default_action = a_other;
	d.default_params[0] = 0x5a;
	*tt = l7_pipeline_table_add(pl, &d);
	/* LPM on the destination */
	memset(&d, 0, sizeof(d));
	d.name = "lpm";
	d.n_keys = 1;
	d.key_field[0] = L7_PL_F_IPV4_DST;
	d.key_kind[0] = L7_PL_MATCH_LPM;
	d.size = 64;
	d.n_actions = 1;
	d.actions[0] = a_fwd;
	d.default_action = -1;
	*tl = l7_pipeline_table_add(pl, &d);
	/* range on the destination port */
	memset(&d, 0, sizeof(d));
	d.name = "rng";
	d.n_keys = 1;
	d.key_field[0] = L7_PL_F_L4_DPORT;
	d.key_kind[0] = L7_PL_MATCH_RANGE;
	d.size = 16;
	d.n_actions = 1;
	d.actions[0] = a_mark;
	d.default_action = -1;
	*tr = l7_pipeline_table_add(pl, &d);
	/* hashed exact on (md.a, tcp.flags) and direct exact on ipv4.ttl */
	memset(&d, 0, sizeof(d));
	d.name = "ex";
	d.n_keys = 2;
	d.key_field[0] = fa;
	d.key_field[1] = L7_PL_F_TCP_FLAGS;
	d.key_kind[0] = d.key_kind[1] = L7_PL_MATCH_EXACT;
	d.size = 256;
	d.n_actions = 1;
	d.actions[0] = a_fwd;
	d.default_action = -1;
	*te = l7_pipeline_table_add(pl, &d);
	memset(&d, 0, sizeof(d));
	d.name = "dir";
	d.n_keys = 1;
	d.key_field[0] = L7_PL_F_IPV4_TTL;
	d.key_kind[0] = L7_PL_MATCH_EXACT;
	d.size = 256;
	d.n_actions = 1;
	d.actions[0] = a_fwd;
	d.default_action = a_fwd;
	d.default_params[0] = 9;
	d.default_params[1] = 99;
	*td = l7_pipeline_table_add(pl, &d);
	assert_true(*tt >= 0 && *tl >= 0 && *tr >= 0 && *te >= 0 && *td >= 0);
	const struct l7_pl_cond no = { 0, 0, 0 };
	mstep(pl, *tt, -1, -1, 0, no, no);                                      /* 0 */
	mstep(pl, *tr, -1, -1, 1, cd(L7_PL_CMP_HIT, *tt, 0), no);              /* 1 */
	mstep(pl, *tl, -1, -1, 1, cd(L7_PL_CMP_LT, fa, 0x80), no);             /* 2 */
	mstep(pl, -1, a_hsh, 6, 1, cd(L7_PL_CMP_MISS, *tl, 0), no);            /* 3 */
	mstep(pl, *te, -1, -1, 1, cd(L7_PL_CMP_GE, L7_PL_F_TCP_WINDOW, 0x4000), no); /* 4 */
	mstep(pl, *td, -1, -1, 0, no, no);                                      /* 5 */
	/* 6..9: an else-if chain (a decision table) on flags and md.a bits */
	mstep(pl, -1, a_drop, L7_PL_STEP_END, 2, cd(L7_PL_CMP_ANY, L7_PL_F_TCP_FLAGS, L7_TCP_RST),
	      cd(L7_PL_CMP_ANY, fa, 1));                                        /* 6 */
	mstep(pl, -1, a_cpu, L7_PL_STEP_END, 1, cd(L7_PL_CMP_ANY, L7_PL_F_TCP_FLAGS, L7_TCP_FIN),
	      no);                                                              /* 7 */
	mstep(pl, -1, a_rec, 10, 2, cd(L7_PL_CMP_NE, L7_PL_F_INGRESS_PORT, L7_PL_PORT_RECIRC),
	      cd(L7_PL_CMP_EQ, fa, 0x5a));                                      /* 8 */
	mstep(pl, -1, a_opts, 10, 1, cd(L7_PL_CMP_ANY, L7_PL_F_TCP_FLAGS, L7_TCP_SYN), no); /* 9 */
	mstep(pl, -1, a_other, -1, 1, cd(L7_PL_CMP_NONE, fb, 3), no);          /* 10 */
	compile_ok(pl);
	return pl;
}

static void mixed_install(struct l7_pipeline *pl, int tt, int tl, int tr, int te, int td,
			  const int *a)
{
	struct l7_pl_entry e;
	for (unsigned k = 0; k < 8; k++) {
		memset(&e, 0, sizeof(e));
		e.value[0] = (uint32_t)k << 29;
		e.mask[0] = 0xe0000000u;
		e.priority = (int)k;
		e.action = a[k & 1];
		e.params[0] = (k & 1) || k % 4 == 2 ? 0x5a : 0x10 * k;
		assert_int_equal(l7_pipeline_entry_add(pl, tt, &e, 0), 0);
		memset(&e, 0, sizeof(e));
		e.value[0] = (uint32_t)k << 28;
		e.prefix_len = (uint8_t)(k % 3 ? 4 : 3);
		e.action = a[2];
		e.params[0] = 20 + k;
		e.params[1] = 1000 + k;
		l7_pipeline_entry_add(pl, tl, &e, 0); /* some prefixes coincide: EEXIST */
		memset(&e, 0, sizeof(e));
		e.value[0] = 4096u * k;
		e.hi[0] = 4096u * k + 2047;
		e.priority = (int)k;
		e.action = a[0];
		e.params[0] = 0x80 + k;
		assert_int_equal(l7_pipeline_entry_add(pl, tr, &e, 0), 0);
	}
	for (unsigned k = 0; k < 256; k += 5) {
		memset(&e, 0, sizeof(e));
		e.value[0] = k;
		e.value[1] = L7_TCP_ACK;
		e.action = a[2];
		e.params[0] = 40 + k % 7;
		e.params[1] = k;
		assert_int_equal(l7_pipeline_entry_add(pl, te, &e, 0), 0);
		memset(&e, 0, sizeof(e));
		e.value[0] = k;
		e.action = a[2];
		e.params[0] = 60 + k % 9;
		e.params[1] = 2 * k;
		assert_int_equal(l7_pipeline_entry_add(pl, td, &e, 0), 0);
	}
}

static void burst_executor_matches_one_by_one(void **state)
{
	(void)state;
	int tt, tl, tr, te, td, a[3];
	struct l7_pipeline *pb = mixed_prog(&tt, &tl, &tr, &te, &td, a);
	struct l7_pipeline *p1 = mixed_prog(&tt, &tl, &tr, &te, &td, a);
	mixed_install(pb, tt, tl, tr, te, td, a);
	mixed_install(p1, tt, tl, tr, te, td, a);
	enum { B = 45 }; /* a full burst of 32 and a partial one */
	static uint8_t fb[B][256], f1[B][256];
	uint8_t *bp[B];
	uint32_t lens[B], caps[B];
	uint16_t ports[B];
	struct l7_pl_result rb[B], r1;
	uint64_t seed = 7;
	unsigned seen_drop = 0, seen_cpu = 0, seen_recirc = 0, seen_mirror = 0, seen_opts = 0;
	for (unsigned round = 0; round < 120; round++) {
		for (unsigned k = 0; k < B; k++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			uint64_t r = seed >> 7;
			struct l7_tcp_build tb;
			memset(&tb, 0, sizeof(tb));
			tb.linktype = L7_LINKTYPE_ETHERNET;
			tb.ip_version = 4;
			tb.ttl = (uint8_t)(r >> 3);
			tb.src = l7_addr_from_v4((uint32_t)(r * 2654435761u));
			tb.dst = l7_addr_from_v4((uint32_t)((r >> 11) * 40503u << 16));
			tb.sport = (uint16_t)(r >> 13);
			tb.dport = (uint16_t)(r >> 29);
			tb.seq = (uint32_t)(r >> 5);
			tb.ack = (uint32_t)r;
			static const uint16_t fl[] = { L7_TCP_ACK, L7_TCP_SYN, L7_TCP_ACK | L7_TCP_PSH,
						       L7_TCP_RST, L7_TCP_FIN | L7_TCP_ACK, L7_TCP_ACK };
			tb.flags = fl[(r >> 40) % 6];
			tb.window = (uint16_t)(r >> 41);
			tb.payload = (const uint8_t *)"xyz";
			tb.payload_len = (r >> 50) % 4;
			size_t len;
			assert_int_equal(l7_pkt_build_tcp(fb[k], 256, &tb, &len), 0);
			if ((r >> 55) % 16 == 0) /* now and then a frame the fast parser leaves */
				fb[k][23] = 17;
			memcpy(f1[k], fb[k], len);
			bp[k] = fb[k];
			lens[k] = (uint32_t)len;
			caps[k] = 256;
			ports[k] = (uint16_t)(r % 9);
		}
		assert_int_equal(l7_pipeline_process_burst(pb, bp, lens, caps, ports, B, round * 1000, rb), 0);
		for (unsigned k = 0; k < B; k++) {
			assert_int_equal(l7_pipeline_process(p1, f1[k], lens[k], 256, ports[k], round * 1000,
							     &r1), 0);
			assert_memory_equal(&rb[k], &r1, sizeof(r1));
			assert_memory_equal(fb[k], f1[k], r1.frame_len);
			seen_drop += r1.dropped && !r1.to_cpu;
			seen_cpu += r1.to_cpu;
			seen_recirc += r1.passes > 1;
			seen_mirror += r1.n_mirror > 0;
			seen_opts += r1.frame_len != lens[k];
		}
	}
	struct l7_pl_stats sb, s1;
	l7_pipeline_stats(pb, &sb);
	l7_pipeline_stats(p1, &s1);
	assert_memory_equal(&sb, &s1, sizeof(sb));
	/* the stream reached every kind of outcome */
	assert_true(seen_drop > 50 && seen_cpu > 50 && seen_recirc > 50 && seen_mirror > 50 &&
		    seen_opts > 50);
	l7_pipeline_destroy(pb);
	l7_pipeline_destroy(p1);
}

/* A program may set eth.valid on a frame too short for an Ethernet header;
 * the deparser must still write nothing outside the frame (ASan checks the
 * exact-size buffers), one by one and in a burst. */
static void short_frame_with_eth_valid_set_is_not_written(void **state)
{
	(void)state;
	struct l7_pipeline *pl = mk(NULL);
	const struct l7_pl_prim body[] = {
		l7_pl_p_set(L7_PL_F_ETH_VALID, l7_pl_imm(1)),
		l7_pl_p_set(L7_PL_F_ETH_DST, l7_pl_imm(0x0a0b0c0d0e0full)),
		l7_pl_p_set(L7_PL_F_ETH_SRC, l7_pl_imm(0x010203040506ull)),
		l7_pl_p_forward(l7_pl_imm(3)),
	};
	int a = l7_pipeline_action_add(pl, "mac", 0, NULL, body, 4);
	assert_true(a >= 0);
	step(pl, -1, a);
	compile_ok(pl);
	for (uint32_t len = 0; len < 14; len++) {
		uint8_t *f = malloc(len ? len : 1);
		assert_non_null(f);
		memset(f, 0x55, len ? len : 1);
		struct l7_pl_result r;
		assert_int_equal(l7_pipeline_process(pl, f, len, len, 0, 0, &r), 0);
		assert_int_equal(r.egress_port, 3);
		assert_int_equal(r.frame_len, len);
		for (uint32_t i = 0; i < len; i++)
			assert_int_equal(f[i], 0x55);
		uint8_t *fp[1] = { f };
		uint16_t port = 0;
		assert_int_equal(l7_pipeline_process_burst(pl, fp, &len, &len, &port, 1, 0, &r), 0);
		for (uint32_t i = 0; i < len; i++)
			assert_int_equal(f[i], 0x55);
		free(f);
	}
	l7_pipeline_destroy(pl);
}

/* ------------------------------------------------------------ registers */

static void one_rmw_per_register_per_pass(void **state)
{
	(void)state;
	struct l7_pipeline *pl = mk(NULL);
	int r0 = l7_pipeline_register_add(pl, "r0", 16, 32);
	int r1 = l7_pipeline_register_add(pl, "r1", 16, 8);
	int out = l7_pipeline_field_add(pl, "out", 32);
	int out2 = l7_pipeline_field_add(pl, "out2", 32);
	const struct l7_pl_prim twice[] = {
		l7_pl_p_reg(r0, L7_PL_RMW_ADD, l7_pl_imm(3), l7_pl_imm(10), out, 1),
		l7_pl_p_reg(r1, L7_PL_RMW_SADD, l7_pl_imm(3), l7_pl_imm(200), -1, 0), /* other array: fine */
		l7_pl_p_reg(r0, L7_PL_RMW_ADD, l7_pl_imm(3), l7_pl_imm(10), out2, 1), /* refused */
		l7_pl_p_forward(l7_pl_imm(1)),
	};
	int a = l7_pipeline_action_add(pl, "twice", 0, NULL, twice, 4);
	assert_true(a >= 0);
	step(pl, -1, a);
	compile_ok(pl);
	uint8_t buf[256];
	struct l7_pl_result r;
	uint32_t len = frame(buf, 1, 1, 2, 3, L7_TCP_ACK, NULL);
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 0, 0, &r), 0);
	assert_int_equal(r.err, L7_ERMW);
	assert_false(r.dropped); /* the packet still goes on */
	uint64_t v;
	assert_int_equal(l7_pipeline_register_get(pl, r0, 3, &v), 0);
	assert_int_equal(v, 10); /* only the first access took effect */
	assert_int_equal(l7_pipeline_register_get(pl, r1, 3, &v), 0);
	assert_int_equal(v, 200);
	/* the next packet gets its own access; SADD saturates at 255 */
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 0, 0, &r), 0);
	assert_int_equal(l7_pipeline_register_get(pl, r0, 3, &v), 0);
	assert_int_equal(v, 20);
	assert_int_equal(l7_pipeline_register_get(pl, r1, 3, &v), 0);
	assert_int_equal(v, 255);
	struct l7_pl_stats st;
	l7_pipeline_stats(pl, &st);
	assert_int_equal(st.rmw_violations, 2);
	l7_pipeline_destroy(pl);
}

static void register_ops_and_recirculated_pass_gets_a_new_access(void **state)
{
	(void)state;
	struct l7_pipeline *pl = mk(NULL);
	int rg = l7_pipeline_register_add(pl, "cnt", 4, 16);
	int old = l7_pipeline_field_add(pl, "old", 16);
	/* first pass: MAX with 7 then recirculate; second pass: OR with 0x100 */
	const struct l7_pl_prim p1[] = {
		l7_pl_p_reg(rg, L7_PL_RMW_MAX, l7_pl_imm(1), l7_pl_imm(7), old, 0),
		l7_pl_p_recirculate(),
	};
	const struct l7_pl_prim p2[] = {
		l7_pl_p_reg(rg, L7_PL_RMW_OR, l7_pl_imm(1), l7_pl_imm(0x100), old, 0),
		l7_pl_p_digest(3, (const int[]){ old }, 1),
		l7_pl_p_forward(l7_pl_imm(2)),
	};
	int a1 = l7_pipeline_action_add(pl, "p1", 0, NULL, p1, 2);
	int a2 = l7_pipeline_action_add(pl, "p2", 0, NULL, p2, 3);
	struct l7_pl_step s;
	memset(&s, 0, sizeof(s));
	s.n_cond = 1;
	s.cond[0].cmp = L7_PL_CMP_NE;
	s.cond[0].field = L7_PL_F_INGRESS_PORT;
	s.cond[0].value = L7_PL_PORT_RECIRC;
	s.table = -1;
	s.action = a1;
	s.goto_step = L7_PL_STEP_END;
	assert_int_equal(l7_pipeline_step_add(pl, &s), 0);
	step(pl, -1, a2);
	compile_ok(pl);
	uint8_t buf[256];
	struct l7_pl_result r;
	uint32_t len = frame(buf, 1, 1, 2, 3, L7_TCP_ACK, NULL);
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 0, 0, &r), 0);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.passes, 2);
	uint64_t v;
	assert_int_equal(l7_pipeline_register_get(pl, rg, 1, &v), 0);
	assert_int_equal(v, 0x107);
	uint64_t d;
	digest_values(pl, &d, 1);
	assert_int_equal(d, 7); /* old value seen by the second pass */
	/* WRITE and READ; a write wider than the cell is truncated */
	assert_int_equal(l7_pipeline_register_set(pl, rg, 2, 0x10000), L7_ERANGE);
	assert_int_equal(l7_pipeline_register_set(pl, rg, 4, 1), L7_EINVAL);
	l7_pipeline_destroy(pl);
}

/* ------------------------------------------------------------ compile */

static void compile_fits_with_exact_usage(void **state)
{
	(void)state;
	struct l7_pipeline *pl = mk(NULL);
	int a = tag_action(pl);
	const int kf[] = { L7_PL_F_IPV4_DST };
	const uint8_t kk[] = { L7_PL_MATCH_EXACT };
	int t = tbl(pl, "hosts", 1, kf, kk, 4096, a);
	step(pl, t, -1);
	compile_ok(pl);
	/* 32 key + 16 data + 4 bits = 52: two entries per 128-bit word, 2048
	 * words = 2 blocks of 1024 words */
	char buf[1024];
	assert_true(l7_pipeline_usage(pl, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "SRAM                        2        960     0.21%"));
	assert_non_null(strstr(buf, "Stages                      1         12     8.33%"));
	assert_non_null(strstr(buf, "Match Crossbar              4       2328     0.17%"));
	/* 2 ways x (10 + 0) hash bits */
	assert_non_null(strstr(buf, "Hash Bits                  20       4992     0.40%"));
	assert_int_equal(l7_pipeline_compile(pl, NULL, 0), L7_ESTATE);
	/* a small buffer is truncated, snprintf-style */
	char small[16];
	int n = l7_pipeline_usage(pl, small, sizeof(small));
	assert_true(n > 16);
	assert_int_equal(strlen(small), 15);
	l7_pipeline_destroy(pl);
}

static void expect_nofit(struct l7_pipeline *pl, const char *msg)
{
	char err[256];
	assert_int_equal(l7_pipeline_compile(pl, err, sizeof(err)), L7_ENOFIT);
	assert_string_equal(err, msg);
	l7_pipeline_destroy(pl);
}

static void compile_does_not_fit_with_the_exact_message(void **state)
{
	(void)state;
	/* SRAM: 1,000,000 x (64 + 16 + 4) bits, one per word = 977 blocks */
	struct l7_pipeline *pl = mk(NULL);
	int a = tag_action(pl);
	int k64 = l7_pipeline_field_add(pl, "k64", 64);
	const uint8_t ex[] = { L7_PL_MATCH_EXACT }, te[] = { L7_PL_MATCH_TERNARY };
	step(pl, tbl(pl, "huge", 1, &k64, ex, 1000000, a), -1);
	expect_nofit(pl, "table \"huge\": SRAM blocks: needs 977, 960 free in stages 0-11");

	/* a big table fits by spilling over several stages */
	pl = mk(NULL);
	a = tag_action(pl);
	k64 = l7_pipeline_field_add(pl, "k64", 64);
	int t = tbl(pl, "big", 1, &k64, ex, 200000, a);
	step(pl, t, -1);
	compile_ok(pl);
	unsigned f0, f1;
	assert_int_equal(l7_pipeline_table_stages(pl, t, &f0, &f1), 0);
	assert_int_equal(f0, 0);
	assert_int_equal(f1, 2); /* 196 blocks over 80 + 80 + 36 */
	l7_pipeline_destroy(pl);

	/* TCAM: 200,000 x 32-bit ternary = 391 blocks of 512 entries */
	pl = mk(NULL);
	a = tag_action(pl);
	int k32 = l7_pipeline_field_add(pl, "k32", 32);
	step(pl, tbl(pl, "acl", 1, &k32, te, 200000, a), -1);
	expect_nofit(pl, "table \"acl\": TCAM blocks: needs 391, 288 free in stages 0-11");

	/* stages: a chain of 13 dependent steps */
	pl = mk(NULL);
	int x = l7_pipeline_field_add(pl, "x", 32);
	for (int i = 0; i < 13; i++) {
		char n[16];
		snprintf(n, sizeof(n), "inc%d", i);
		const struct l7_pl_prim inc[] = {
			l7_pl_p_alu(L7_PL_OP_ADD, x, l7_pl_fld(x), l7_pl_imm(1)),
		};
		step(pl, -1, l7_pipeline_action_add(pl, n, 0, NULL, inc, 1));
	}
	expect_nofit(pl, "action \"inc12\": stages: needs stage 12 (dependency chain), budget "
			 "has 12 stages");

	/* stateful ALUs: five register arrays in one action */
	pl = mk(NULL);
	struct l7_pl_prim five[5];
	for (int i = 0; i < 5; i++) {
		char n[16];
		snprintf(n, sizeof(n), "r%d", i);
		int rg = l7_pipeline_register_add(pl, n, 1024, 32);
		five[i] = l7_pl_p_reg(rg, L7_PL_RMW_ADD, l7_pl_imm(0), l7_pl_imm(1), -1, 0);
	}
	step(pl, -1, l7_pipeline_action_add(pl, "five", 0, NULL, five, 5));
	expect_nofit(pl, "action \"five\": Stateful ALUs: needs 5 per stage, at most 4 free in "
			 "stages 0-11");

	/* PHV: 382 built-in bits + 60 x 64 = 4222 > 4096 */
	pl = mk(NULL);
	for (int i = 0; i < 60; i++) {
		char n[16];
		snprintf(n, sizeof(n), "f%d", i);
		assert_true(l7_pipeline_field_add(pl, n, 64) >= 0);
	}
	expect_nofit(pl, "PHV: PHV bits: needs 4222, budget 4096");

	/* a register array lives in one stage */
	pl = mk(NULL);
	int rg = l7_pipeline_register_add(pl, "shared", 64, 32);
	int v = l7_pipeline_field_add(pl, "v", 32);
	const struct l7_pl_prim w1[] = { l7_pl_p_reg(rg, L7_PL_RMW_READ, l7_pl_imm(0), l7_pl_imm(0),
						     v, 0) };
	const struct l7_pl_prim w2[] = { l7_pl_p_reg(rg, L7_PL_RMW_WRITE, l7_pl_fld(v),
						     l7_pl_imm(1), -1, 0) };
	step(pl, -1, l7_pipeline_action_add(pl, "rd", 0, NULL, w1, 1));
	step(pl, -1, l7_pipeline_action_add(pl, "wr", 0, NULL, w2, 1));
	expect_nofit(pl, "register \"shared\": used in stages 0 and 1 (one stage per register "
			 "array)");
}

static void declarations_are_checked(void **state)
{
	(void)state;
	struct l7_pipeline *pl = mk(NULL);
	assert_int_equal(l7_pipeline_field_add(pl, "ipv4.src", 8), L7_EEXIST);
	assert_int_equal(l7_pipeline_field_add(pl, "w", 65), L7_EINVAL);
	assert_int_equal(l7_pipeline_field_id(pl, "tcp.flags"), L7_PL_F_TCP_FLAGS);
	const struct l7_pl_prim bad[] = { l7_pl_p_set(999, l7_pl_imm(1)) };
	assert_int_equal(l7_pipeline_action_add(pl, "bad", 0, NULL, bad, 1), L7_EINVAL);
	const struct l7_pl_prim badp[] = { l7_pl_p_set(L7_PL_F_IPV4_TTL, l7_pl_param(1)) };
	static const uint8_t b8[] = { 8 };
	assert_int_equal(l7_pipeline_action_add(pl, "badp", 1, b8, badp, 1), L7_EINVAL);
	int a = tag_action(pl);
	struct l7_pl_table_def d;
	memset(&d, 0, sizeof(d));
	d.name = "two_lpm";
	d.n_keys = 2;
	d.key_field[0] = L7_PL_F_IPV4_SRC;
	d.key_field[1] = L7_PL_F_IPV4_DST;
	d.key_kind[0] = d.key_kind[1] = L7_PL_MATCH_LPM;
	d.size = 4;
	d.n_actions = 1;
	d.actions[0] = a;
	d.default_action = -1;
	assert_int_equal(l7_pipeline_table_add(pl, &d), L7_EINVAL);
	d.key_kind[1] = L7_PL_MATCH_EXACT;
	d.key_field[1] = l7_pipeline_field_add(pl, "wide", 40); /* 72 bits > 64 */
	assert_int_equal(l7_pipeline_table_add(pl, &d), L7_EINVAL);
	struct l7_pl_step s;
	memset(&s, 0, sizeof(s));
	s.table = -1;
	s.action = a;
	s.goto_step = 0; /* backwards */
	assert_int_equal(l7_pipeline_step_add(pl, &s), L7_EINVAL);
	struct l7_pl_entry e = ent(1, 0, a, 0);
	assert_int_equal(l7_pipeline_entry_add(pl, 0, &e, 0), L7_EINVAL); /* no table 0 */
	uint8_t buf[64] = { 0 };
	struct l7_pl_result r;
	assert_int_equal(l7_pipeline_process(pl, buf, 60, 64, 0, 0, &r), L7_ESTATE);
	l7_pipeline_destroy(pl);
}

/* ------------------------------------------------------------ channel */

static struct l7_pipeline *chan_prog(const struct l7_pl_config *c, int *t, int *a, uint32_t size)
{
	struct l7_pipeline *pl = mk(c);
	*a = tag_action(pl);
	const int kf[] = { L7_PL_F_IPV4_DST };
	const uint8_t kk[] = { L7_PL_MATCH_EXACT };
	*t = tbl(pl, "oft", 1, kf, kk, size, *a);
	step(pl, *t, -1);
	compile_ok(pl);
	return pl;
}

static struct l7_pl_req add_req(int t, int a, uint64_t key, uint64_t cookie)
{
	struct l7_pl_req q;
	memset(&q, 0, sizeof(q));
	q.op = L7_PL_REQ_ADD;
	q.table = t;
	q.entry = ent(key, 0, a, key);
	q.cookie = cookie;
	return q;
}

static void channel_batches_become_visible_at_computed_times(void **state)
{
	(void)state;
	struct l7_pl_config c;
	l7_pl_config_default(&c);
	c.ctl_entries_per_s = 1000.0;    /* 1 ms per entry */
	c.ctl_batch_fixed_ns = 5000;
	c.ctl_latency_ns = 20000;
	int t, a;
	struct l7_pipeline *pl = chan_prog(&c, &t, &a, 100);
	struct l7_pl_req q[10];
	for (int i = 0; i < 10; i++)
		q[i] = add_req(t, a, 100 + (uint64_t)i, (uint64_t)i);
	int st[10];
	l7_time_ns vis;
	assert_int_equal(l7_pipeline_submit(pl, q, 10, 0, st, &vis), 0);
	const l7_time_ns end1 = 20000 + 5000 + 10 * 1000000ull;
	assert_int_equal(vis, end1);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(st[i], 0);
		assert_int_equal(l7_pipeline_req_visible_ns(pl, (unsigned)i), end1);
	}
	assert_int_equal(l7_pipeline_next_due_ns(pl), end1);
	/* a second batch queued while the first is in service starts after it */
	struct l7_pl_req q2[3] = { add_req(t, a, 200, 20), add_req(t, a, 201, 21),
				   add_req(t, a, 202, 22) };
	assert_int_equal(l7_pipeline_submit(pl, q2, 3, 1000, st, &vis), 0);
	const l7_time_ns end2 = end1 + 5000 + 3 * 1000000ull;
	assert_int_equal(vis, end2);
	assert_int_equal(l7_pipeline_advance(pl, end1 - 1), 0);
	assert_int_equal(look(pl, t, 100, 0), -1);
	assert_int_equal(l7_pipeline_advance(pl, end1), 10);
	assert_int_equal(look(pl, t, 109, 0), 109);
	assert_int_equal(look(pl, t, 200, 0), -1);
	struct l7_pl_event ev;
	for (int i = 0; i < 10; i++) {
		assert_int_equal(l7_pipeline_poll(pl, &ev), 1);
		assert_int_equal(ev.kind, L7_PL_EV_APPLIED);
		assert_int_equal(ev.status, 0);
		assert_int_equal(ev.time_ns, end1);
		assert_int_equal(ev.cookie, (uint64_t)i);
	}
	assert_int_equal(l7_pipeline_poll(pl, &ev), 0);
	assert_int_equal(l7_pipeline_advance(pl, end2), 3);
	assert_int_equal(look(pl, t, 202, 0), 202);
	/* an idle channel: the next batch waits only for latency + fixed cost */
	const l7_time_ns t3 = 100000000;
	struct l7_pl_req one = add_req(t, a, 300, 30);
	assert_int_equal(l7_pipeline_submit(pl, &one, 1, t3, st, &vis), 0);
	assert_int_equal(vis, t3 + 20000 + 5000 + 1000000);
	/* a register read takes channel time too, after that batch */
	l7_time_ns done;
	assert_int_equal(l7_pipeline_register_read(pl, -1, 0, 0, NULL, t3, &done), L7_EINVAL);
	/* a duplicate add is applied as an error event */
	struct l7_pl_req dup = add_req(t, a, 300, 31);
	assert_int_equal(l7_pipeline_submit(pl, &dup, 1, t3, st, &vis), 0);
	assert_int_equal(vis, t3 + 20000 + 5000 + 1000000 + 5000 + 1000000);
	while (l7_pipeline_poll(pl, &ev) == 1)
		;
	assert_int_equal(l7_pipeline_advance(pl, vis), 2);
	assert_int_equal(l7_pipeline_poll(pl, &ev), 1);
	assert_int_equal(ev.status, 0);
	assert_int_equal(l7_pipeline_poll(pl, &ev), 1);
	assert_int_equal(ev.status, L7_EEXIST);
	assert_int_equal(ev.cookie, 31);
	assert_int_equal(l7_pipeline_table_count(pl, t), 14);
	l7_pipeline_destroy(pl);
}

static void channel_per_entry_commit_and_rate(void **state)
{
	(void)state;
	struct l7_pl_config c;
	l7_pl_config_default(&c);
	c.ctl_entries_per_s = 3000.0; /* 333,333.3 ns -> 333,334 ns per entry */
	c.ctl_batch_fixed_ns = 0;
	c.ctl_latency_ns = 0;
	c.ctl_commit_per_entry = 1;
	int t, a;
	struct l7_pipeline *pl = chan_prog(&c, &t, &a, 100);
	enum { N = 50 };
	struct l7_pl_req q[N];
	for (int i = 0; i < N; i++)
		q[i] = add_req(t, a, 1000 + (uint64_t)i, 0);
	l7_time_ns vis;
	assert_int_equal(l7_pipeline_submit(pl, q, N, 0, NULL, &vis), 0);
	assert_int_equal(vis, N * 333334ull);
	for (int i = 0; i < N; i++) {
		l7_time_ns ti = (l7_time_ns)(i + 1) * 333334ull;
		assert_int_equal(l7_pipeline_req_visible_ns(pl, (unsigned)i), ti);
		l7_pipeline_advance(pl, ti - 1);
		assert_int_equal(look(pl, t, 1000 + (uint64_t)i, 0), -1);
		l7_pipeline_advance(pl, ti);
		assert_int_equal(look(pl, t, 1000 + (uint64_t)i, 0), 1000 + i);
	}
	/* N entries at rate R: the last is visible N/R seconds after submit */
	assert_true(vis >= (l7_time_ns)(N / 3000.0 * 1e9));
	l7_pipeline_destroy(pl);
}

static void channel_capacity_full_tables_and_queue(void **state)
{
	(void)state;
	struct l7_pl_config c;
	l7_pl_config_default(&c);
	c.ctl_queue_cap = 8;
	c.ctl_entries_per_s = 1e6;
	c.ctl_batch_fixed_ns = 0;
	c.ctl_latency_ns = 0;
	int t, a;
	struct l7_pipeline *pl = chan_prog(&c, &t, &a, 4);
	struct l7_pl_req q[6];
	for (int i = 0; i < 6; i++)
		q[i] = add_req(t, a, 10 + (uint64_t)i, 0);
	int st[6];
	l7_time_ns vis;
	/* capacity 4 counts queued adds: the 5th and 6th are rejected at once */
	assert_int_equal(l7_pipeline_submit(pl, q, 6, 0, st, &vis), 0);
	assert_int_equal(st[3], 0);
	assert_int_equal(st[4], L7_EFULL);
	assert_int_equal(st[5], L7_EFULL);
	assert_int_equal(vis, 4 * 1000); /* rejected requests take no time */
	assert_int_equal(l7_pipeline_req_visible_ns(pl, 5), 0);
	/* a delete frees room only once applied */
	struct l7_pl_req del = q[0];
	del.op = L7_PL_REQ_DELETE;
	assert_int_equal(l7_pipeline_submit(pl, &del, 1, 0, st, &vis), 0);
	assert_int_equal(l7_pipeline_submit(pl, &q[4], 1, 0, st, &vis), 0);
	assert_int_equal(st[0], L7_EFULL);
	l7_pipeline_advance(pl, 1000000);
	assert_int_equal(l7_pipeline_table_count(pl, t), 3);
	assert_int_equal(l7_pipeline_submit(pl, &q[4], 1, 2000000, st, &vis), 0);
	assert_int_equal(st[0], 0);
	/* the queue holds 8 requests: a batch that does not fit is refused whole */
	struct l7_pl_req mods[9];
	for (int i = 0; i < 9; i++) {
		mods[i] = q[1];
		mods[i].op = L7_PL_REQ_MODIFY;
	}
	assert_int_equal(l7_pipeline_submit(pl, mods, 9, 2000000, st, &vis), L7_ECHANNELFULL);
	struct l7_pl_stats s;
	l7_pipeline_stats(pl, &s);
	assert_int_equal(s.ctl_channel_full, 1);
	assert_int_equal(s.ctl_rejected_full, 3);
	l7_pipeline_destroy(pl);
}

static void cpu_path_is_rate_limited(void **state)
{
	(void)state;
	struct l7_pl_config c;
	l7_pl_config_default(&c);
	c.cpu_pps = 1e6; /* 1 us each */
	c.cpu_queue_cap = 2;
	c.pass_latency_ns = 500;
	c.ctl_latency_ns = 0;
	c.ctl_batch_fixed_ns = 1000;
	c.ctl_read_per_entry_ns = 10;
	struct l7_pipeline *pl = mk(&c);
	const struct l7_pl_prim cpu[] = { l7_pl_p_to_cpu() };
	step(pl, -1, l7_pipeline_action_add(pl, "cpu", 0, NULL, cpu, 1));
	int rg = l7_pipeline_register_add(pl, "stats", 100, 32);
	(void)rg;
	compile_ok(pl);
	uint8_t buf[256];
	struct l7_pl_result r;
	uint32_t len = frame(buf, 1, 1, 2, 3, L7_TCP_ACK, NULL);
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 4, 0, &r), 0);
	assert_int_equal(r.cpu_arrive_ns, 1500);
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 4, 0, &r), 0);
	assert_int_equal(r.cpu_arrive_ns, 2500);
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 4, 0, &r), 0);
	assert_true(r.cpu_lost);
	assert_int_equal(l7_pipeline_next_due_ns(pl), 1500);
	assert_int_equal(l7_pipeline_advance(pl, 2500), 2);
	struct l7_pl_event ev;
	assert_int_equal(l7_pipeline_poll(pl, &ev), 1);
	assert_int_equal(ev.kind, L7_PL_EV_CPU_PKT);
	assert_int_equal(ev.time_ns, 1500);
	assert_int_equal(ev.id, 4);
	/* room again after delivery */
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 4, 3000, &r), 0);
	assert_false(r.cpu_lost);
	assert_int_equal(r.cpu_arrive_ns, 4500);
	/* a register read of 100 cells costs fixed + 100 x 10 ns */
	uint64_t vals[100];
	l7_time_ns done;
	assert_int_equal(l7_pipeline_register_read(pl, rg, 0, 100, vals, 10000, &done), 0);
	assert_int_equal(done, 10000 + 1000 + 1000);
	assert_int_equal(l7_pipeline_register_read(pl, rg, 0, 100, vals, 10000, &done), 0);
	assert_int_equal(done, 12000 + 1000 + 1000); /* queued behind the first */
	assert_int_equal(l7_pipeline_register_read(pl, rg, 50, 51, vals, 0, &done), L7_EINVAL);
	struct l7_pl_stats s;
	l7_pipeline_stats(pl, &s);
	assert_int_equal(s.cpu_lost, 1);
	assert_int_equal(s.to_cpu, 4);
	l7_pipeline_destroy(pl);
}

/* ------------------------------------------------------------ aging */

static void aging_notifies_idle_entries(void **state)
{
	(void)state;
	struct l7_pl_config c;
	l7_pl_config_default(&c);
	c.aging_sweep_ns = 100000; /* 100 us */
	struct l7_pipeline *pl = mk(&c);
	int a = tag_action(pl);
	const struct l7_pl_prim fwd[] = { l7_pl_p_forward(l7_pl_imm(1)) };
	int af = l7_pipeline_action_add(pl, "fwd", 0, NULL, fwd, 1);
	struct l7_pl_table_def d;
	memset(&d, 0, sizeof(d));
	d.name = "sessions";
	d.n_keys = 1;
	d.key_field[0] = L7_PL_F_IPV4_SRC;
	d.key_kind[0] = L7_PL_MATCH_EXACT;
	d.size = 8;
	d.n_actions = 2;
	d.actions[0] = a;
	d.actions[1] = af;
	d.default_action = -1;
	d.idle_timeout_ns = 1000000; /* 1 ms */
	int t = l7_pipeline_table_add(pl, &d);
	d.name = "auto";
	d.key_field[0] = L7_PL_F_IPV4_DST;
	d.age_delete = 1;
	int t2 = l7_pipeline_table_add(pl, &d);
	step(pl, t, -1);
	step(pl, t2, -1);
	compile_ok(pl);
	struct l7_pl_entry e = ent(7, 0, af, 0);
	assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
	e = ent(8, 0, af, 0);
	assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
	e = ent(9, 0, af, 0);
	assert_int_equal(l7_pipeline_entry_add(pl, t2, &e, 0), 0);
	uint8_t buf[256];
	struct l7_pl_result r;
	uint32_t len = frame(buf, 7, 1, 2, 3, L7_TCP_ACK, NULL);
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 0, 500000, &r), 0);
	uint64_t k7[4] = { 7, 0, 0, 0 }, k8[4] = { 8, 0, 0, 0 }, k9[4] = { 9, 0, 0, 0 };
	assert_int_equal(l7_pipeline_entry_hit(pl, t, k7), 1);
	assert_int_equal(l7_pipeline_entry_hit(pl, t, k8), 0);
	assert_int_equal(l7_pipeline_next_due_ns(pl), 100000);
	assert_int_equal(l7_pipeline_advance(pl, 600000), 0);
	assert_int_equal(l7_pipeline_entry_hit(pl, t, k7), 0); /* sweeps clear hit bits */
	/* key 8 (idle since 0) and key 9 are due at the 1 ms sweep */
	assert_int_equal(l7_pipeline_advance(pl, 999999), 0);
	assert_int_equal(l7_pipeline_advance(pl, 1000000), 2);
	struct l7_pl_event ev;
	assert_int_equal(l7_pipeline_poll(pl, &ev), 1);
	assert_int_equal(ev.kind, L7_PL_EV_AGED);
	assert_int_equal(ev.table, t);
	assert_int_equal(ev.key_values[0], 8);
	assert_int_equal(ev.time_ns, 1000000);
	assert_int_equal(l7_pipeline_poll(pl, &ev), 1);
	assert_int_equal(ev.table, t2);
	assert_int_equal(ev.key_values[0], 9);
	assert_int_equal(l7_pipeline_entry_hit(pl, t2, k9), L7_ENOENT); /* deleted */
	assert_int_equal(l7_pipeline_table_count(pl, t), 2); /* notify only */
	/* key 7 (hit at 0.5 ms) at the first sweep >= 1.5 ms; once only */
	assert_int_equal(l7_pipeline_advance(pl, 1400000), 0);
	assert_int_equal(l7_pipeline_advance(pl, 1500000), 1);
	assert_int_equal(l7_pipeline_poll(pl, &ev), 1);
	assert_int_equal(ev.key_values[0], 7);
	assert_int_equal(ev.time_ns, 1500000);
	assert_int_equal(l7_pipeline_advance(pl, 5000000), 0);
	/* a hit re-arms: hit at 5.05 ms -> notified at the 6.1 ms sweep */
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 0, 5050000, &r), 0);
	assert_int_equal(l7_pipeline_advance(pl, 6000000), 0);
	assert_int_equal(l7_pipeline_advance(pl, 6100000), 1);
	assert_int_equal(l7_pipeline_poll(pl, &ev), 1);
	assert_int_equal(ev.time_ns, 6100000);
	struct l7_pl_stats s;
	l7_pipeline_stats(pl, &s);
	assert_int_equal(s.aged, 4);
	l7_pipeline_destroy(pl);
}

/* ------------------------------------------------------------ parser */

static struct l7_pipeline *dump_prog(void)
{
	struct l7_pipeline *pl = mk(NULL);
	static const int d1[] = { L7_PL_F_ETH_TYPE, L7_PL_F_IPV4_IHL, L7_PL_F_IPV4_TOTAL_LEN,
				  L7_PL_F_IPV4_TTL, L7_PL_F_IPV4_PROTO, L7_PL_F_IPV4_SRC };
	static const int d2[] = { L7_PL_F_IPV4_DST, L7_PL_F_L4_SPORT, L7_PL_F_L4_DPORT,
				  L7_PL_F_TCP_SEQ, L7_PL_F_TCP_ACK, L7_PL_F_TCP_DOFF };
	static const int d3[] = { L7_PL_F_TCP_FLAGS, L7_PL_F_TCP_WINDOW, L7_PL_F_PAYLOAD_LEN,
				  L7_PL_F_TCP_VALID, L7_PL_F_UDP_VALID, L7_PL_F_IPV4_VALID };
	const struct l7_pl_prim body[] = {
		l7_pl_p_digest(1, d1, 6), l7_pl_p_digest(2, d2, 6), l7_pl_p_digest(3, d3, 6),
		l7_pl_p_set(L7_PL_F_IPV4_DST, l7_pl_imm(IP(192, 0, 2, 1))),
		l7_pl_p_forward(l7_pl_imm(1)),
	};
	step(pl, -1, l7_pipeline_action_add(pl, "dump", 0, NULL, body, 5));
	compile_ok(pl);
	return pl;
}

/* Run a frame and compare what the parser stage saw with the packet
 * layer's own parse of the same bytes (the inline fast path and the
 * fallback must agree with it). */
static void check_parse(uint8_t *f, uint32_t len, int expect_ipv4_l4)
{
	struct l7_pkt p;
	int rc = l7_pkt_parse(&p, f, len, L7_LINKTYPE_ETHERNET);
	struct l7_pipeline *pl = dump_prog();
	struct l7_pl_result r;
	assert_int_equal(l7_pipeline_process(pl, f, len, 256, 0, 0, &r), 0);
	assert_int_equal(l7_pipeline_advance(pl, UINT64_MAX / 2), 3);
	uint64_t v[3][6];
	struct l7_pl_event ev;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(l7_pipeline_poll(pl, &ev), 1);
		memcpy(v[i], ev.data, sizeof(v[i]));
	}
	int l4 = rc == 0 && p.ip_version == 4 && (p.proto == 6 || p.proto == 17);
	assert_int_equal(l4, expect_ipv4_l4);
	assert_int_equal(v[2][5], (p.layers & L7_PKT_L3) && p.ip_version == 4);
	if (l4) {
		assert_int_equal(v[0][0], p.ethertype);
		assert_int_equal(v[0][1], p.l3_hdr_len / 4);
		assert_int_equal(v[0][2], p.ip_len);
		assert_int_equal(v[0][3], p.ttl);
		assert_int_equal(v[0][4], p.proto);
		assert_int_equal(v[0][5], l7_addr_v4(&p.src));
		assert_int_equal(v[1][0], l7_addr_v4(&p.dst));
		assert_int_equal(v[1][1], p.sport);
		assert_int_equal(v[1][2], p.dport);
		assert_int_equal(v[2][2], p.payload_len);
		assert_int_equal(v[2][3], p.proto == 6);
		assert_int_equal(v[2][4], p.proto == 17);
		if (p.proto == 6) {
			assert_int_equal(v[1][3], p.tcp_seq);
			assert_int_equal(v[1][4], p.tcp_ack);
			assert_int_equal(v[1][5], p.tcp_hdr_len / 4);
			assert_int_equal(v[2][0], p.tcp_flags);
			assert_int_equal(v[2][1], p.tcp_window);
		}
		/* the rewrite of ipv4.dst kept both checksums right */
		struct l7_pkt q;
		assert_int_equal(l7_pkt_parse(&q, f, r.frame_len, L7_LINKTYPE_ETHERNET), 0);
		assert_int_equal(l7_addr_v4(&q.dst), IP(192, 0, 2, 1));
		assert_int_equal(l7_pkt_csum_verify(&q) & (L7_CSUM_IP_BAD | L7_CSUM_L4_BAD), 0);
	}
	l7_pipeline_destroy(pl);
}

static void parser_agrees_with_the_packet_layer(void **state)
{
	(void)state;
	uint8_t f[256];
	uint32_t len;
	/* plain TCP with payload */
	len = frame(f, IP(10, 0, 0, 1), 1111, IP(10, 0, 0, 2), 80, L7_TCP_ACK | L7_TCP_PSH, "abc");
	check_parse(f, len, 1);
	/* an 802.1Q tag */
	len = frame(f, IP(10, 0, 0, 1), 1111, IP(10, 0, 0, 2), 80, L7_TCP_ACK, "vlan");
	memmove(f + 16, f + 12, len - 12);
	memcpy(f + 12, "\x81\x00\x00\x05", 4);
	check_parse(f, len + 4, 1);
	/* IPv4 options (IHL 7) */
	len = frame(f, IP(10, 0, 0, 1), 1111, IP(10, 0, 0, 2), 80, L7_TCP_ACK, "opt");
	memmove(f + 14 + 28, f + 14 + 20, len - 34);
	memcpy(f + 34, "\x01\x01\x01\x01\x01\x01\x01\x00", 8);
	f[14] = 0x47;
	uint32_t tot = ((uint32_t)f[16] << 8 | f[17]) + 8;
	f[16] = (uint8_t)(tot >> 8);
	f[17] = (uint8_t)tot;
	f[24] = f[25] = 0;
	uint16_t c = l7_csum_ipv4_hdr(f + 14, 28);
	f[24] = (uint8_t)(c >> 8);
	f[25] = (uint8_t)c;
	check_parse(f, len + 8, 1);
	/* Ethernet padding after the IP packet */
	len = frame(f, IP(10, 0, 0, 1), 1111, IP(10, 0, 0, 2), 80, L7_TCP_ACK, NULL);
	memset(f + len, 0, 6);
	check_parse(f, len + 6, 1);
	/* UDP goes through the full parser */
	static const uint8_t udp[] = {
		0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00,
		0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x04, 0xd2, 0x00, 0x35, 0, 12, 0, 0, 'a', 'b', 'c', 'd' };
	memcpy(f, udp, sizeof(udp));
	c = l7_csum_ipv4_hdr(f + 14, 20);
	f[24] = (uint8_t)(c >> 8);
	f[25] = (uint8_t)c;
	check_parse(f, sizeof(udp), 1);
	/* a truncated TCP header, a bad IHL, a non-first fragment: no L4
	 * (IPv4 still valid for the first and the last) */
	len = frame(f, IP(10, 0, 0, 1), 1111, IP(10, 0, 0, 2), 80, L7_TCP_ACK, NULL);
	check_parse(f, 14 + 20 + 10, 0);
	f[14] = 0x44;
	check_parse(f, len, 0);
	len = frame(f, IP(10, 0, 0, 1), 1111, IP(10, 0, 0, 2), 80, L7_TCP_ACK, "frag");
	f[20] = 0x00;
	f[21] = 0x10; /* fragment offset 128 bytes */
	check_parse(f, len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lpm_longest_prefix_wins),
		cmocka_unit_test(ternary_priority_and_tie_rules),
		cmocka_unit_test(range_bounds_are_inclusive),
		cmocka_unit_test(ternary_matches_a_linear_reference),
		cmocka_unit_test(ternary_many_masks_match_a_linear_reference),
		cmocka_unit_test(exact_capacity_and_reuse),
		cmocka_unit_test(small_exact_direct_index_matches_a_reference),
		cmocka_unit_test(alu_primitives_and_header_rewrite),
		cmocka_unit_test(hash_units_give_catalogue_check_values),
		cmocka_unit_test(drop_cpu_recirculate_and_default_action),
		cmocka_unit_test(recirculation_is_bounded),
		cmocka_unit_test(if_else_chain_picks_the_first_true_branch),
		cmocka_unit_test(fast_paths_match_the_general_interpreter),
		cmocka_unit_test(burst_executor_matches_one_by_one),
		cmocka_unit_test(short_frame_with_eth_valid_set_is_not_written),
		cmocka_unit_test(one_rmw_per_register_per_pass),
		cmocka_unit_test(register_ops_and_recirculated_pass_gets_a_new_access),
		cmocka_unit_test(compile_fits_with_exact_usage),
		cmocka_unit_test(compile_does_not_fit_with_the_exact_message),
		cmocka_unit_test(declarations_are_checked),
		cmocka_unit_test(channel_batches_become_visible_at_computed_times),
		cmocka_unit_test(channel_per_entry_commit_and_rate),
		cmocka_unit_test(channel_capacity_full_tables_and_queue),
		cmocka_unit_test(cpu_path_is_rate_limited),
		cmocka_unit_test(aging_notifies_idle_entries),
		cmocka_unit_test(parser_agrees_with_the_packet_layer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
