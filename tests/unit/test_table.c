/*
 * test_table.c — the cuckoo connection table, single-threaded behaviour:
 * a model-based test (10^6 seeded random operations against a plain
 * reference map, identical results), load-factor tests for 4- and 8-slot
 * buckets with random 5-tuple keys, and exact API semantics (errors, TTL,
 * sweep, batch, iteration, stats). Concurrency is in test_table_mt.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "l7splice/conntable.h"
/* the hash and tag, to build keys whose tags collide (white-box test of
 * the lookup's collision path) */
#include "../../src/table/table_impl.h"

/* ------------------------------------------------------------ helpers */
/* Make a (small) table take the lookup code paths of tables too big for
 * the cache: what l7_table_create picks for tables of 64 MB or more. */
static void force_big_table_paths(struct l7_table *t)
{
	t->prefetch_slot_lines = 1;
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Key bytes of key number id: distinct ids give distinct keys. */
static void make_key(uint32_t key_bytes, uint64_t id, uint8_t *key)
{
	uint64_t s = id * 0x2545f4914f6cdd1dull + 7;
	for (uint32_t i = 0; i < key_bytes; i++)
		key[i] = (uint8_t)rng_next(&s);
	memcpy(key, &id, key_bytes < 4 ? key_bytes : 4); /* keep ids distinct */
}

static void make_value(uint32_t value_bytes, uint64_t seed, uint8_t *v)
{
	for (uint32_t i = 0; i < value_bytes; i++)
		v[i] = (uint8_t)rng_next(&seed);
}

/* Random IPv6 (37-byte) or IPv4 (13-byte) 5-tuple. */
static void random_tuple(uint64_t *s, uint32_t key_bytes, uint8_t *key)
{
	uint32_t addr = key_bytes == 37 ? 16 : 4;
	for (uint32_t i = 0; i < 2 * addr + 4; i++)
		key[i] = (uint8_t)rng_next(s);
	key[2 * addr + 4] = 6; /* TCP */
}

static struct l7_table *make_table(uint32_t kb, uint32_t vb, uint64_t cap,
                                   uint32_t spb, enum l7_table_mode mode,
                                   l7_time_ns ttl)
{
	struct l7_table_config cfg;
	l7_table_config_init(&cfg, kb, vb, cap);
	cfg.slots_per_bucket = spb;
	cfg.mode = mode;
	cfg.ttl_ns = ttl;
	cfg.seed = 42;
	struct l7_table *t = NULL;
	assert_int_equal(l7_table_create(&cfg, &t), 0);
	assert_non_null(t);
	return t;
}

/* ------------------------------------------------------------ model test */
struct model_entry {
	uint8_t present;
	uint8_t value[64];
	l7_time_ns exp;
};

struct model_cfg {
	uint32_t key_bytes, value_bytes, spb, universe;
	uint64_t capacity;
	enum l7_table_mode mode;
	l7_time_ns ttl;
	uint32_t ops;
	uint64_t seed;
};

/* The table's documented refresh rule: a hit moves the expiry to now + ttl
 * unless it is already within ttl/16 of that. */
static void model_refresh(struct model_entry *e, l7_time_ns now, l7_time_ns ttl)
{
	if (ttl && e->exp + ttl / 16 < now + ttl)
		e->exp = now + ttl;
}

static void model_check_full(struct l7_table *t, const struct model_cfg *mc,
                             const struct model_entry *m, uint64_t model_count)
{
	uint8_t key[64], val[64], want[64];
	uint8_t *seen = calloc(mc->universe, 1);
	uint64_t cursor = 0, n = 0;
	l7_time_ns exp;
	assert_non_null(seen);
	while (l7_table_next(t, &cursor, key, val, &exp) == 0) {
		uint32_t id = 0;
		memcpy(&id, key, mc->key_bytes < 4 ? mc->key_bytes : 4);
		assert_true(id < mc->universe);
		make_key(mc->key_bytes, id, want);
		assert_memory_equal(key, want, mc->key_bytes);
		assert_true(m[id].present);
		assert_false(seen[id]); /* no duplicates */
		seen[id] = 1;
		if (mc->value_bytes)
			assert_memory_equal(val, m[id].value, mc->value_bytes);
		if (mc->ttl)
			assert_int_equal(exp, m[id].exp);
		n++;
	}
	assert_int_equal(n, model_count);
	assert_int_equal(l7_table_count(t), model_count);
	free(seen);
}

static void run_model(const struct model_cfg *mc)
{
	struct l7_table *t = make_table(mc->key_bytes, mc->value_bytes, mc->capacity,
	                                mc->spb, mc->mode, mc->ttl);
	/* odd seeds: run this small table on the lookup paths meant for
	 * out-of-cache tables (slot prefetch, staged batch), so the model
	 * checks both */
	if (mc->seed & 1)
		force_big_table_paths(t);
	struct model_entry *m = calloc(mc->universe, sizeof(*m));
	assert_non_null(m);
	uint64_t s = mc->seed, count = 0, tablefull = 0;
	uint64_t slots = l7_table_slots(t);
	uint8_t key[64], val[64], got[64];
	l7_time_ns now = 1000;
	size_t sweep_cap = mc->universe;
	uint8_t *sk = malloc(sweep_cap * mc->key_bytes + 1);
	uint8_t *sv = malloc(sweep_cap * (mc->value_bytes + 1));
	assert_non_null(sk);
	assert_non_null(sv);

	for (uint32_t op = 0; op < mc->ops; op++) {
		uint64_t r = rng_next(&s);
		uint32_t id = (uint32_t)(r >> 32) % mc->universe;
		uint32_t kind = (uint32_t)(r & 0xff);
		struct model_entry *e = &m[id];
		now += r >> 60; /* 0..15 ns per op */
		make_key(mc->key_bytes, id, key);
		make_value(mc->value_bytes, r ^ 0x5555, val);
		if (kind < 70) { /* insert */
			int rc = l7_table_insert(t, key, val, now);
			if (e->present) {
				assert_int_equal(rc, L7_EEXIST);
			} else if (count == mc->capacity) {
				assert_int_equal(rc, L7_EFULL);
			} else if (rc == L7_ETABLEFULL) {
				/* only allowed near the documented load limit */
				assert_true(count * 100 >= slots * 90);
				tablefull++;
			} else {
				assert_int_equal(rc, 0);
				e->present = 1;
				memcpy(e->value, val, mc->value_bytes);
				e->exp = now + mc->ttl;
				count++;
			}
		} else if (kind < 90) { /* upsert */
			bool ins = false;
			int rc = l7_table_upsert(t, key, val, now, &ins);
			if (e->present) {
				assert_int_equal(rc, 0);
				assert_false(ins);
			} else if (count == mc->capacity) {
				assert_int_equal(rc, L7_EFULL);
				continue;
			} else if (rc == L7_ETABLEFULL) {
				assert_true(count * 100 >= slots * 90);
				continue;
			} else {
				assert_int_equal(rc, 0);
				assert_true(ins);
				count++;
			}
			e->present = 1;
			memcpy(e->value, val, mc->value_bytes);
			e->exp = now + mc->ttl;
		} else if (kind < 110) { /* update */
			int rc = l7_table_update(t, key, val, now);
			assert_int_equal(rc, e->present ? 0 : L7_ENOENT);
			if (e->present) {
				memcpy(e->value, val, mc->value_bytes);
				e->exp = now + mc->ttl;
			}
		} else if (kind < 160) { /* delete */
			memset(got, 0xee, sizeof(got));
			int rc = l7_table_delete(t, key, got);
			assert_int_equal(rc, e->present ? 0 : L7_ENOENT);
			if (e->present) {
				if (mc->value_bytes)
					assert_memory_equal(got, e->value, mc->value_bytes);
				e->present = 0;
				count--;
			}
		} else if (kind < 250) { /* lookup (some as touch) */
			int rc = (kind & 7) == 0 ? l7_table_touch(t, key, now)
			                         : l7_table_lookup(t, key, got, now);
			assert_int_equal(rc, e->present ? 0 : L7_ENOENT);
			if (e->present) {
				if ((kind & 7) != 0 && mc->value_bytes)
					assert_memory_equal(got, e->value, mc->value_bytes);
				model_refresh(e, now, mc->ttl);
			}
		} else if (kind < 252) { /* batch lookup of 16 random ids */
			uint8_t keys[16][64];
			const void *kp[16];
			uint8_t vals[16 * 64];
			uint64_t mask = 0, want = 0;
			unsigned wanth = 0;
			uint32_t ids[16];
			for (unsigned i = 0; i < 16; i++) {
				ids[i] = (uint32_t)(rng_next(&s) % mc->universe);
				make_key(mc->key_bytes, ids[i], keys[i]);
				kp[i] = keys[i];
			}
			/* expected hits computed before the batch: refreshes inside
			 * the batch do not change membership */
			for (unsigned i = 0; i < 16; i++)
				if (m[ids[i]].present) {
					want |= 1ull << i;
					wanth++;
				}
			unsigned hits = l7_table_lookup_batch(t, kp, 16, vals, &mask, now);
			assert_int_equal(hits, wanth);
			assert_int_equal(mask, want);
			for (unsigned i = 0; i < 16; i++)
				if (m[ids[i]].present) {
					if (mc->value_bytes)
						assert_memory_equal(vals + i * mc->value_bytes,
						                    m[ids[i]].value, mc->value_bytes);
					model_refresh(&m[ids[i]], now, mc->ttl);
				}
		} else if (mc->ttl) { /* full expiry sweep */
			size_t n = l7_table_expire(t, now, UINT32_MAX > l7_table_slots(t) ?
			                           (uint32_t)l7_table_slots(t) : UINT32_MAX,
			                           sk, sv, sweep_cap);
			size_t want = 0;
			for (uint32_t i = 0; i < mc->universe; i++)
				if (m[i].present && m[i].exp <= now)
					want++;
			assert_int_equal(n, want);
			for (size_t j = 0; j < n; j++) {
				uint32_t xid = 0;
				memcpy(&xid, sk + j * mc->key_bytes, mc->key_bytes < 4 ? mc->key_bytes : 4);
				assert_true(xid < mc->universe);
				assert_true(m[xid].present);
				assert_true(m[xid].exp <= now);
				if (mc->value_bytes)
					assert_memory_equal(sv + j * mc->value_bytes, m[xid].value,
					                    mc->value_bytes);
				m[xid].present = 0;
				count--;
			}
		}
		if (op % 100000 == 99999)
			model_check_full(t, mc, m, count);
	}
	model_check_full(t, mc, m, count);
	struct l7_table_stats st;
	l7_table_stats(t, &st);
	assert_int_equal(st.entries, count);
	assert_int_equal(st.failed_inserts, tablefull);
	uint64_t hist = 0;
	for (unsigned d = 0; d <= L7_TABLE_DEPTH_MAX; d++)
		hist += st.depth_hist[d];
	assert_int_equal(hist, st.inserts);
	free(sk);
	free(sv);
	free(m);
	l7_table_destroy(t);
}

/* 4 x 250 000 = 10^6 operations over four configurations, plus 10^5 on
 * the specialised 16/8 geometry with 4-slot buckets. */
static void model_8slot_concurrent_mode(void **state)
{
	(void)state;
	/* universe > slots: the table runs full, so cuckoo paths and
	 * ETABLEFULL/EFULL both happen */
	struct model_cfg mc = { 16, 8, 8, 4300, 4096, L7_TABLE_CONCURRENT, 0, 250000, 1 };
	run_model(&mc);
}

static void model_4slot_single_ttl(void **state)
{
	(void)state;
	struct model_cfg mc = { 37, 24, 4, 2200, 2048, L7_TABLE_SINGLE_THREADED, 20000, 250000, 2 };
	run_model(&mc);
}

static void model_8slot_ttl_capacity_limit(void **state)
{
	(void)state;
	/* capacity 1500 < 2048 slots: EFULL at exactly 1500 entries */
	struct model_cfg mc = { 13, 64, 8, 1800, 1500, L7_TABLE_CONCURRENT, 30000, 250000, 3 };
	run_model(&mc);
}

static void model_4slot_16_8_single(void **state)
{
	(void)state;
	/* the specialised 16-byte-key / 8-byte-value lookup, 4-slot buckets */
	struct model_cfg mc = { 16, 8, 4, 1100, 1024, L7_TABLE_SINGLE_THREADED, 0, 100000, 5 };
	run_model(&mc);
}

static void model_4slot_set_odd_sizes(void **state)
{
	(void)state;
	struct model_cfg mc = { 5, 0, 4, 1100, 1024, L7_TABLE_SINGLE_THREADED, 0, 250000, 4 };
	run_model(&mc);
}

/* ------------------------------------------------------------ load factor */
static void fill_until_failure(uint32_t spb, uint32_t key_bytes, double min_load,
                               uint64_t seed)
{
	const uint64_t slots = 1u << 16;
	struct l7_table *t = make_table(key_bytes, 8, slots, spb, L7_TABLE_SINGLE_THREADED, 0);
	assert_int_equal(l7_table_slots(t), slots);
	uint64_t s = seed, n = 0;
	uint8_t key[40];
	for (;;) {
		random_tuple(&s, key_bytes, key);
		uint64_t v = n;
		int rc = l7_table_insert(t, key, &v, 0);
		if (rc == L7_EEXIST)
			continue; /* a repeated random tuple */
		if (rc != 0) {
			assert_int_equal(rc, L7_ETABLEFULL);
			break;
		}
		n++;
	}
	double load = (double)n / (double)slots;
	print_message("spb=%u key=%u: first failed insert at load %.4f\n", spb, key_bytes, load);
	assert_true(load >= min_load);
	/* every key inserted before the failure is still there, with its value */
	s = seed;
	for (uint64_t i = 0; i < n;) {
		random_tuple(&s, key_bytes, key);
		uint64_t v = UINT64_MAX;
		assert_int_equal(l7_table_lookup(t, key, &v, 0), 0);
		if (v == i) /* a repeated tuple keeps its first value */
			i++;
	}
	struct l7_table_stats st;
	l7_table_stats(t, &st);
	assert_int_equal(st.entries, n);
	assert_true(st.cuckoo_moves > 0);
	assert_int_equal(st.failed_inserts, 1);
	assert_true(st.load_factor >= min_load);
	l7_table_destroy(t);
}

static void load_8slot_ipv6(void **state)
{
	(void)state;
	fill_until_failure(8, 37, 0.95, 11);
}

static void load_8slot_ipv4(void **state)
{
	(void)state;
	fill_until_failure(8, 13, 0.95, 12);
}

static void load_4slot_ipv6(void **state)
{
	(void)state;
	fill_until_failure(4, 37, 0.93, 13);
}

static void load_4slot_ipv4(void **state)
{
	(void)state;
	fill_until_failure(4, 13, 0.93, 14);
}

/* ------------------------------------------------------------ API details */
static void config_is_validated(void **state)
{
	(void)state;
	struct l7_table_config cfg;
	struct l7_table *t = (struct l7_table *)&cfg;
	l7_table_config_init(&cfg, 16, 8, 100);
	cfg.slots_per_bucket = 6;
	assert_int_equal(l7_table_create(&cfg, &t), L7_EINVAL);
	assert_null(t);
	assert_int_equal(l7_table_memory_bytes(&cfg), 0);
	l7_table_config_init(&cfg, 41, 8, 100);
	assert_int_equal(l7_table_create(&cfg, &t), L7_EINVAL);
	l7_table_config_init(&cfg, 0, 8, 100);
	assert_int_equal(l7_table_create(&cfg, &t), L7_EINVAL);
	l7_table_config_init(&cfg, 16, 65, 100);
	assert_int_equal(l7_table_create(&cfg, &t), L7_EINVAL);
	l7_table_config_init(&cfg, 16, 8, 0);
	assert_int_equal(l7_table_create(&cfg, &t), L7_EINVAL);
	l7_table_config_init(&cfg, 16, 8, 100);
	cfg.max_depth = L7_TABLE_DEPTH_MAX + 1;
	assert_int_equal(l7_table_create(&cfg, &t), L7_EINVAL);
	cfg.max_depth = 0;
	cfg.mode = (enum l7_table_mode)7;
	assert_int_equal(l7_table_create(&cfg, &t), L7_EINVAL);
	assert_int_equal(l7_table_create(NULL, &t), L7_EINVAL);

	l7_table_config_init(&cfg, 37, 64, 1000);
	assert_int_equal(l7_table_create(&cfg, &t), 0);
	/* 1000 entries / 8 per bucket -> 125 -> 128 buckets */
	assert_int_equal(l7_table_slots(t), 1024);
	assert_int_equal(l7_table_key_bytes(t), 37);
	assert_int_equal(l7_table_value_bytes(t), 64);
	struct l7_table_stats st;
	l7_table_stats(t, &st);
	assert_int_equal(st.memory_bytes, l7_table_memory_bytes(&cfg));
	assert_int_equal(st.capacity, 1000);
	assert_true(st.memory_bytes >= 1024u * (40 + 64));
	l7_table_destroy(t);
	l7_table_destroy(NULL);
}

static void basic_operations(void **state)
{
	(void)state;
	for (int mode = 0; mode < 2; mode++) {
		struct l7_table *t = make_table(16, 16, 64, 4, (enum l7_table_mode)mode, 0);
		uint8_t k[16] = "0123456789abcde", v[16] = "value-one......", got[16];
		uint8_t v2[16] = "value-two......";
		assert_int_equal(l7_table_lookup(t, k, got, 0), L7_ENOENT);
		assert_int_equal(l7_table_update(t, k, v, 0), L7_ENOENT);
		assert_int_equal(l7_table_delete(t, k, NULL), L7_ENOENT);
		assert_int_equal(l7_table_insert(t, k, v, 0), 0);
		assert_int_equal(l7_table_insert(t, k, v2, 0), L7_EEXIST);
		assert_int_equal(l7_table_lookup(t, k, got, 0), 0);
		assert_memory_equal(got, v, 16);
		assert_int_equal(l7_table_lookup(t, k, NULL, 0), 0);
		assert_int_equal(l7_table_update(t, k, v2, 0), 0);
		assert_int_equal(l7_table_lookup(t, k, got, 0), 0);
		assert_memory_equal(got, v2, 16);
		bool ins = true;
		assert_int_equal(l7_table_upsert(t, k, v, 0, &ins), 0);
		assert_false(ins);
		assert_int_equal(l7_table_count(t), 1);
		memset(got, 0, sizeof(got));
		assert_int_equal(l7_table_delete(t, k, got), 0);
		assert_memory_equal(got, v, 16);
		assert_int_equal(l7_table_count(t), 0);
		assert_int_equal(l7_table_upsert(t, k, v2, 0, &ins), 0);
		assert_true(ins);
		/* a miss leaves the caller's buffer alone */
		uint8_t other[16] = "another-key....";
		memset(got, 0x77, sizeof(got));
		assert_int_equal(l7_table_lookup(t, other, got, 0), L7_ENOENT);
		assert_int_equal(got[0], 0x77);
		assert_int_equal(l7_table_insert(NULL, k, v, 0), L7_EINVAL);
		assert_int_equal(l7_table_insert(t, k, NULL, 0), L7_EINVAL);
		assert_int_equal(l7_table_lookup(t, NULL, got, 0), L7_EINVAL);
		assert_int_equal(l7_table_lookup(NULL, k, got, 0), L7_EINVAL);
		assert_int_equal(l7_table_delete(t, NULL, NULL), L7_EINVAL);
		assert_int_equal(l7_table_update(t, NULL, v, 0), L7_EINVAL);
		assert_int_equal(l7_table_next(t, NULL, NULL, NULL, NULL), L7_EINVAL);
		const void *nullkeys[2] = { k, NULL };
		uint64_t hm = 7;
		assert_int_equal(l7_table_lookup_batch(t, nullkeys, 2, NULL, &hm, 0), 0);
		assert_int_equal(hm, 0);
		struct l7_table_stats st;
		l7_table_stats(t, &st);
		assert_int_equal(st.inserts, 2);
		assert_int_equal(st.updates, 2);
		assert_int_equal(st.deletes, 1);
		assert_int_equal(st.entries, 1);
		l7_table_clear(t);
		assert_int_equal(l7_table_count(t), 0);
		assert_int_equal(l7_table_lookup(t, k, got, 0), L7_ENOENT);
		l7_table_destroy(t);
	}
}

static void capacity_is_exact(void **state)
{
	(void)state;
	/* 10 entries asked: 2 buckets of 8 = 16 slots, but only 10 entries */
	struct l7_table *t = make_table(8, 8, 10, 8, L7_TABLE_SINGLE_THREADED, 0);
	assert_int_equal(l7_table_slots(t), 16);
	uint8_t key[8];
	uint64_t v = 1;
	for (uint64_t i = 0; i < 10; i++) {
		make_key(8, i, key);
		assert_int_equal(l7_table_insert(t, key, &v, 0), 0);
	}
	make_key(8, 10, key);
	assert_int_equal(l7_table_insert(t, key, &v, 0), L7_EFULL);
	assert_int_equal(l7_table_upsert(t, key, &v, 0, NULL), L7_EFULL);
	make_key(8, 3, key);
	assert_int_equal(l7_table_upsert(t, key, &v, 0, NULL), 0); /* update ok */
	struct l7_table_stats st;
	l7_table_stats(t, &st);
	assert_int_equal(st.full_rejects, 2);
	assert_int_equal(st.entries, 10);
	l7_table_destroy(t);
}

static void ttl_refresh_and_bounded_sweep(void **state)
{
	(void)state;
	const l7_time_ns ttl = 1600;
	struct l7_table *t = make_table(16, 8, 256, 8, L7_TABLE_CONCURRENT, ttl);
	uint8_t key[16];
	uint64_t v;
	for (uint64_t i = 0; i < 100; i++) {
		make_key(16, i, key);
		v = i;
		assert_int_equal(l7_table_insert(t, key, &v, 1000), 0); /* exp 2600 */
	}
	/* a hit 50 ns later is within ttl/16 = 100 ns: no rewrite */
	make_key(16, 0, key);
	assert_int_equal(l7_table_lookup(t, key, &v, 1050), 0);
	uint64_t cur = 0;
	l7_time_ns exp = 0;
	uint8_t k2[16];
	for (;;) {
		assert_int_equal(l7_table_next(t, &cur, k2, NULL, &exp), 0);
		if (memcmp(k2, key, 16) == 0)
			break;
	}
	assert_int_equal(exp, 2600);
	/* keys 0..49 are hit at 2000: expiry 3600 */
	for (uint64_t i = 0; i < 50; i++) {
		make_key(16, i, key);
		assert_int_equal(i % 2 ? l7_table_lookup(t, key, &v, 2000)
		                       : l7_table_touch(t, key, 2000), 0);
	}
	/* at 2600 keys 50..99 expire; sweep with a bounded budget */
	uint8_t keys[100 * 16];
	uint64_t vals[100];
	size_t total = 0;
	uint32_t calls = 0;
	while (total < 50 && calls < 64) {
		size_t n = l7_table_expire(t, 2600, 4, keys + total * 16, vals + total, 7);
		assert_true(n <= 7);
		total += n;
		calls++;
	}
	assert_int_equal(total, 50);
	/* 32 buckets, 4 per call: at least 8 calls; bounded output: >= 8 too */
	assert_true(calls >= 8);
	for (size_t i = 0; i < total; i++) {
		uint64_t id = 0;
		memcpy(&id, keys + i * 16, 4);
		assert_true(id >= 50 && id < 100);
		assert_int_equal(vals[i], id);
		make_key(16, id, key);
		assert_memory_equal(keys + i * 16, key, 16);
	}
	assert_int_equal(l7_table_count(t), 50);
	/* nothing else expired until 3600 */
	assert_int_equal(l7_table_expire(t, 3599, 1000, keys, NULL, 100), 0);
	assert_int_equal(l7_table_expire(t, 3600, 1000, keys, NULL, 100), 50);
	assert_int_equal(l7_table_count(t), 0);
	struct l7_table_stats st;
	l7_table_stats(t, &st);
	assert_int_equal(st.expired, 100);
	l7_table_destroy(t);

	/* tables without TTL never expire anything */
	t = make_table(16, 8, 256, 8, L7_TABLE_CONCURRENT, 0);
	make_key(16, 1, key);
	assert_int_equal(l7_table_insert(t, key, &v, 5), 0);
	assert_int_equal(l7_table_expire(t, UINT64_MAX, 1000, keys, NULL, 100), 0);
	assert_int_equal(l7_table_count(t), 1);
	l7_table_destroy(t);
}

static void sweep_budget_is_bounded(void **state)
{
	(void)state;
	struct l7_table *t = make_table(8, 8, 1024, 8, L7_TABLE_SINGLE_THREADED, 10);
	uint8_t key[8], keys[1024 * 8];
	uint64_t v = 0;
	for (uint64_t i = 0; i < 800; i++) {
		make_key(8, i, key);
		assert_int_equal(l7_table_insert(t, key, &v, 0), 0);
	}
	/* one bucket per call: at most 8 entries, and a full pass takes
	 * exactly nbuckets calls */
	uint64_t nb = l7_table_slots(t) / 8, total = 0;
	for (uint64_t c = 0; c < nb; c++) {
		size_t n = l7_table_expire(t, 100, 1, keys, NULL, 1024);
		assert_true(n <= 8);
		total += n;
	}
	assert_int_equal(total, 800);
	l7_table_destroy(t);
}

static void batch_matches_single_in(bool big_paths, uint32_t key_bytes, uint32_t spb,
                                    enum l7_table_mode mode)
{
	struct l7_table *t = make_table(key_bytes, 8, 4096, spb, mode, 0);
	if (big_paths)
		force_big_table_paths(t);
	uint8_t keys[64][16];
	const void *kp[64];
	uint64_t s = 5, vals[64], mask = 0;
	for (unsigned i = 0; i < 64; i++) {
		random_tuple(&s, key_bytes, keys[i]);
		kp[i] = keys[i];
		if (i % 3) {
			uint64_t v = i * 1000u;
			assert_int_equal(l7_table_insert(t, keys[i], &v, 0), 0);
		}
	}
	unsigned hits = l7_table_lookup_batch(t, kp, 64, vals, &mask, 0);
	unsigned want = 0;
	for (unsigned i = 0; i < 64; i++) {
		bool hit = (mask >> i) & 1u;
		assert_int_equal(hit, (i % 3) != 0);
		if (hit) {
			want++;
			assert_int_equal(vals[i], i * 1000u);
		}
	}
	assert_int_equal(hits, want);
	assert_int_equal(l7_table_lookup_batch(t, kp, 65, vals, &mask, 0), 0);
	assert_int_equal(mask, 0);
	/* without values: the same per-key mask */
	assert_int_equal(l7_table_lookup_batch(t, kp, 10, NULL, &mask, 0), 6);
	assert_int_equal(mask, 0x1b6u); /* i % 3 != 0 for i < 10 */
	/* a batch of 33 (not a whole mask word): mask bits line up */
	assert_int_equal(l7_table_lookup_batch(t, kp + 1, 33, vals, &mask, 0), 22);
	for (unsigned i = 0; i < 33; i++) {
		assert_int_equal((mask >> i) & 1u, ((i + 1) % 3) != 0);
		if ((i + 1) % 3)
			assert_int_equal(vals[i], (i + 1) * 1000u);
	}
	mask = 7;
	assert_int_equal(l7_table_lookup_batch(t, kp, 0, vals, &mask, 0), 0);
	assert_int_equal(mask, 0);
	/* a NULL key after hits: nothing found, mask 0 */
	kp[5] = NULL;
	mask = 7;
	assert_int_equal(l7_table_lookup_batch(t, kp, 10, vals, &mask, 0), 0);
	assert_int_equal(mask, 0);
	l7_table_destroy(t);
}

static void batch_matches_single(void **state)
{
	(void)state;
	/* the generic shape and the specialised 16-byte-key ones, both paths */
	for (int big = 0; big < 2; big++) {
		batch_matches_single_in(big, 13, 8, L7_TABLE_CONCURRENT);
		batch_matches_single_in(big, 16, 8, L7_TABLE_CONCURRENT);
		batch_matches_single_in(big, 16, 4, L7_TABLE_CONCURRENT);
		batch_matches_single_in(big, 16, 8, L7_TABLE_SINGLE_THREADED);
		batch_matches_single_in(big, 16, 4, L7_TABLE_SINGLE_THREADED);
	}
}

/* Two keys with the same primary bucket and tag: the second one's lookup
 * first meets the first one's slot (the lowest candidate) and must fall
 * back to the full probe; a third key with that cell, absent, is a miss
 * that has a candidate. None of this is a retry. */
static void tag_collision_in(uint32_t key_bytes, uint32_t spb, enum l7_table_mode mode,
                             bool big_paths)
{
	struct l7_table *t = make_table(key_bytes, 8, 16, spb, mode, 0);
	if (big_paths)
		force_big_table_paths(t);
	enum { N = 6000 };
	static uint64_t cell[N];
	uint8_t key[3][L7_TABLE_KEY_MAX_BYTES];
	uint64_t found[3], nf = 0;
	for (uint64_t i = 0; i < N && nf < 3; i++) {
		uint64_t kw[TB_KEY_WORDS_MAX];
		make_key(key_bytes, i, key[0]);
		tb_key_words(t, key[0], kw);
		uint64_t h = tb_hash(t, kw);
		cell[i] = (h & t->bucket_mask) << 16 | tb_tag(h);
		/* first pair, then a third key in the same cell as the pair */
		for (uint64_t j = 0; j < i && nf < 3; j++)
			if (cell[j] == cell[i] && (nf == 0 || cell[j] == cell[found[0]])) {
				if (nf == 0)
					found[nf++] = j;
				found[nf++] = i;
				break;
			}
	}
	assert_true(nf >= 2);
	for (unsigned k = 0; k < nf; k++)
		make_key(key_bytes, found[k], key[k]);
	uint64_t v = 0, one = 1, two = 2;
	assert_int_equal(l7_table_insert(t, key[0], &one, 0), 0);
	assert_int_equal(l7_table_lookup(t, key[1], &v, 0), L7_ENOENT);
	assert_int_equal(l7_table_insert(t, key[1], &two, 0), 0);
	assert_int_equal(l7_table_lookup(t, key[0], &v, 0), 0);
	assert_int_equal(v, 1);
	assert_int_equal(l7_table_lookup(t, key[1], &v, 0), 0);
	assert_int_equal(v, 2);
	if (nf == 3)
		assert_int_equal(l7_table_lookup(t, key[2], &v, 0), L7_ENOENT);
	const void *kp[3] = { key[0], key[1], key[nf == 3 ? 2 : 0] };
	uint64_t vals[3] = { 0 }, mask = 0;
	unsigned hits = l7_table_lookup_batch(t, kp, 3, vals, &mask, 0);
	assert_int_equal(hits, nf == 3 ? 2 : 3);
	assert_int_equal(mask, nf == 3 ? 3 : 7);
	assert_int_equal(vals[0], 1);
	assert_int_equal(vals[1], 2);
	struct l7_table_stats st;
	l7_table_stats(t, &st);
	assert_int_equal(st.lookup_retries, 0);
	l7_table_destroy(t);
}

static void tag_collisions_take_the_full_probe(void **state)
{
	(void)state;
	for (int big = 0; big < 2; big++) {
		tag_collision_in(16, 8, L7_TABLE_CONCURRENT, big);
		tag_collision_in(16, 8, L7_TABLE_SINGLE_THREADED, big);
		tag_collision_in(16, 4, L7_TABLE_CONCURRENT, big);
		tag_collision_in(13, 8, L7_TABLE_CONCURRENT, big);
	}
}

static void iteration_is_deterministic(void **state)
{
	(void)state;
	struct l7_table *a = make_table(16, 8, 512, 4, L7_TABLE_SINGLE_THREADED, 0);
	struct l7_table *b = make_table(16, 8, 512, 4, L7_TABLE_CONCURRENT, 0);
	uint8_t key[16], ka[16], kb[16];
	for (uint64_t i = 0; i < 450; i++) {
		make_key(16, i, key);
		assert_int_equal(l7_table_insert(a, key, &i, 0), 0);
		assert_int_equal(l7_table_insert(b, key, &i, 0), 0);
	}
	uint64_t ca = 0, cb = 0, va, vb, n = 0;
	int ra, rb;
	while ((ra = l7_table_next(a, &ca, ka, &va, NULL)) == 0) {
		rb = l7_table_next(b, &cb, kb, &vb, NULL);
		assert_int_equal(rb, 0);
		assert_memory_equal(ka, kb, 16);
		assert_int_equal(va, vb);
		assert_int_equal(ca, cb);
		n++;
	}
	assert_int_equal(ra, L7_ENOENT);
	assert_int_equal(l7_table_next(b, &cb, kb, &vb, NULL), L7_ENOENT);
	assert_int_equal(n, 450);
	l7_table_destroy(a);
	l7_table_destroy(b);
}

static void depth_bound_is_respected(void **state)
{
	(void)state;
	/* max_depth 1: a full table fails earlier than with the default */
	struct l7_table_config cfg;
	l7_table_config_init(&cfg, 16, 8, 1u << 12);
	cfg.slots_per_bucket = 4;
	cfg.max_depth = 1;
	cfg.mode = L7_TABLE_SINGLE_THREADED;
	struct l7_table *t;
	assert_int_equal(l7_table_create(&cfg, &t), 0);
	uint8_t key[16];
	uint64_t v = 0, n = 0;
	while (l7_table_insert(t, (make_key(16, n, key), key), &v, 0) == 0)
		n++;
	struct l7_table_stats st;
	l7_table_stats(t, &st);
	for (unsigned d = 2; d <= L7_TABLE_DEPTH_MAX; d++)
		assert_int_equal(st.depth_hist[d], 0);
	assert_true(st.depth_hist[1] > 0);
	assert_int_equal(st.depth_hist[0] + st.depth_hist[1], n);
	assert_true(n < (uint64_t)(0.93 * 4096));
	l7_table_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_is_validated),
		cmocka_unit_test(basic_operations),
		cmocka_unit_test(capacity_is_exact),
		cmocka_unit_test(ttl_refresh_and_bounded_sweep),
		cmocka_unit_test(sweep_budget_is_bounded),
		cmocka_unit_test(batch_matches_single),
		cmocka_unit_test(tag_collisions_take_the_full_probe),
		cmocka_unit_test(iteration_is_deterministic),
		cmocka_unit_test(depth_bound_is_respected),
		cmocka_unit_test(load_8slot_ipv6),
		cmocka_unit_test(load_8slot_ipv4),
		cmocka_unit_test(load_4slot_ipv6),
		cmocka_unit_test(load_4slot_ipv4),
		cmocka_unit_test(model_8slot_concurrent_mode),
		cmocka_unit_test(model_4slot_single_ttl),
		cmocka_unit_test(model_8slot_ttl_capacity_limit),
		cmocka_unit_test(model_4slot_16_8_single),
		cmocka_unit_test(model_4slot_set_odd_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
