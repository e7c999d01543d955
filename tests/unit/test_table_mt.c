/*
 * test_table_mt.c — the connection table under real concurrency (built and
 * run under ThreadSanitizer by make check):
 *  - readers and writers (2 and 4 threads) on a ~90 % full table of 4-slot
 *    buckets, so inserts need cuckoo moves: readers never see a torn or
 *    wrong value (values are derived from keys and a generation and carry a
 *    check word), keys that never change are always found even while
 *    moved, and afterwards every key is present exactly as its writer left
 *    it, once;
 *  - writers racing on the same keys: each key is inserted and deleted
 *    exactly once;
 *  - TTL refresh and the expiry sweep racing with writers: every key ends
 *    up exactly once in {deleted, expired, still present}.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "l7splice/conntable.h"
/* white-box: to run small tables on the out-of-cache lookup paths */
#include "../../src/table/table_impl.h"

#define SLOTS 4096u
#define STABLE 2000u
#define WRITER_BASE 100000u

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t check_word(uint64_t id, uint64_t gen)
{
	uint64_t s = id * 0x9e3779b97f4a7c15ull ^ gen;
	return rng_next(&s);
}

struct key {
	uint64_t id, salt;
};

struct val {
	uint64_t id, gen, check;
};

static struct key key_of(uint64_t id)
{
	struct key k = { id, id * 0xff51afd7ed558ccdull + 1 };
	return k;
}

static struct val val_of(uint64_t id, uint64_t gen)
{
	struct val v = { id, gen, check_word(id, gen) };
	return v;
}

/* A torn value (words from two different writes) fails this. */
static bool val_ok(const struct val *v, uint64_t id)
{
	return v->id == id && v->check == check_word(id, v->gen);
}

/* The hot test's 64-byte values: a wider value makes a torn read (a
 * reader seeing words of two different writes) more likely to be caught. */
struct hval {
	uint64_t id, gen, w[5], check;
};

static struct hval hval_of(uint64_t id, uint64_t gen)
{
	struct hval v = { id, gen, { 0 }, check_word(id, gen) };
	for (unsigned i = 0; i < 5; i++)
		v.w[i] = check_word(id + i + 1, gen);
	return v;
}

static bool hval_ok(const struct hval *v, uint64_t id)
{
	if (v->id != id || v->check != check_word(id, v->gen))
		return false;
	for (unsigned i = 0; i < 5; i++)
		if (v->w[i] != check_word(id + i + 1, v->gen))
			return false;
	return true;
}

static struct l7_table *make(uint32_t spb, l7_time_ns ttl)
{
	struct l7_table_config cfg;
	l7_table_config_init(&cfg, sizeof(struct key), sizeof(struct val), SLOTS);
	cfg.slots_per_bucket = spb;
	cfg.seed = 7;
	cfg.ttl_ns = ttl;
	struct l7_table *t = NULL;
	assert_int_equal(l7_table_create(&cfg, &t), 0);
	return t;
}

/* ------------------------------------------------ readers and writers */
struct rw_shared {
	struct l7_table *t;
	unsigned writers, pool; /* ids per writer */
	int writers_left;       /* atomic */
	uint64_t bad;           /* atomic: reader-detected errors */
};

struct rw_writer {
	struct rw_shared *sh;
	unsigned index;
	uint64_t *gen;     /* per pool id: generation, or UINT64_MAX if absent */
	uint64_t inserts, moves_seen;
};

struct rw_reader {
	struct rw_shared *sh;
	unsigned index;
	uint64_t hits, stable_checked;
};

static void *rw_writer_main(void *arg)
{
	struct rw_writer *w = arg;
	struct rw_shared *sh = w->sh;
	uint64_t s = 1000 + w->index;
	for (unsigned i = 0; i < sh->pool; i++)
		w->gen[i] = UINT64_MAX;
	for (unsigned op = 0; op < 150000; op++) {
		unsigned i = (unsigned)(rng_next(&s) % sh->pool);
		uint64_t id = WRITER_BASE * (w->index + 1) + i;
		struct key k = key_of(id);
		if (w->gen[i] == UINT64_MAX) {
			struct val v = val_of(id, op);
			int rc = l7_table_insert(sh->t, &k, &v, 0);
			if (rc == 0) {
				w->gen[i] = op;
				w->inserts++;
			} else if (rc != L7_ETABLEFULL) {
				__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
			}
		} else if (rng_next(&s) % 4 == 0) {
			struct val got;
			int rc = l7_table_delete(sh->t, &k, &got);
			if (rc != 0 || !val_ok(&got, id) || got.gen != w->gen[i])
				__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
			w->gen[i] = UINT64_MAX;
		} else {
			struct val v = val_of(id, op);
			if (l7_table_update(sh->t, &k, &v, 0) != 0)
				__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
			w->gen[i] = op;
		}
	}
	__atomic_fetch_sub(&sh->writers_left, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *rw_reader_main(void *arg)
{
	struct rw_reader *r = arg;
	struct rw_shared *sh = r->sh;
	uint64_t s = 77 + r->index;
	while (__atomic_load_n(&sh->writers_left, __ATOMIC_ACQUIRE) > 0) {
		uint64_t x = rng_next(&s);
		struct val got;
		if (x & 1) { /* a stable key: must always be there, unchanged */
			uint64_t id = (x >> 8) % STABLE;
			struct key k = key_of(id);
			if (l7_table_lookup(sh->t, &k, &got, 0) != 0 || !val_ok(&got, id) ||
			    got.gen != 0)
				__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
			r->stable_checked++;
		} else if (x & 2) { /* a churned key: any value must be whole */
			unsigned wi = (unsigned)((x >> 8) % sh->writers);
			uint64_t id = WRITER_BASE * (wi + 1) + (x >> 20) % sh->pool;
			struct key k = key_of(id);
			if (l7_table_lookup(sh->t, &k, &got, 0) == 0) {
				r->hits++;
				if (!val_ok(&got, id))
					__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
			}
		} else { /* a batch of 16 stable keys */
			struct key ks[16];
			const void *kp[16];
			struct val vs[16];
			uint64_t mask;
			for (unsigned i = 0; i < 16; i++) {
				ks[i] = key_of((x >> 8) % (STABLE - 16) + i);
				kp[i] = &ks[i];
			}
			unsigned h = l7_table_lookup_batch(sh->t, kp, 16, vs, &mask, 0);
			bool ok = h == 16 && mask == 0xffff;
			for (unsigned i = 0; i < 16 && ok; i++)
				ok = val_ok(&vs[i], ks[i].id) && vs[i].gen == 0;
			if (!ok)
				__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
			r->stable_checked += 16;
		}
	}
	return NULL;
}

static void readers_and_writers(unsigned nthreads)
{
	struct rw_shared sh = { 0 };
	sh.t = make(4, 0);
	/* 4 threads: the lookup paths l7_table_create picks for tables of
	 * 64 MB or more (slot prefetch, staged batch); 2 threads: the others */
	if (nthreads == 4)
		sh.t->prefetch_slot_lines = 1;
	sh.writers = nthreads / 2;
	/* stable keys + all pools = 92 % of the slots */
	sh.pool = (unsigned)((SLOTS * 94 / 100 - STABLE) / sh.writers);
	sh.writers_left = (int)sh.writers;
	for (uint64_t id = 0; id < STABLE; id++) {
		struct key k = key_of(id);
		struct val v = val_of(id, 0);
		assert_int_equal(l7_table_insert(sh.t, &k, &v, 0), 0);
	}
	struct l7_table_stats before;
	l7_table_stats(sh.t, &before);

	pthread_t th[8];
	struct rw_writer w[4];
	struct rw_reader r[4];
	unsigned nr = nthreads - sh.writers;
	for (unsigned i = 0; i < sh.writers; i++) {
		w[i] = (struct rw_writer){ &sh, i, calloc(sh.pool, sizeof(uint64_t)), 0, 0 };
		assert_non_null(w[i].gen);
		assert_int_equal(pthread_create(&th[i], NULL, rw_writer_main, &w[i]), 0);
	}
	for (unsigned i = 0; i < nr; i++) {
		r[i] = (struct rw_reader){ &sh, i, 0, 0 };
		assert_int_equal(pthread_create(&th[sh.writers + i], NULL, rw_reader_main, &r[i]), 0);
	}
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(sh.bad, 0);

	/* the final table is exactly what the writers believe, each key once */
	uint64_t expected = STABLE;
	for (unsigned i = 0; i < sh.writers; i++)
		for (unsigned j = 0; j < sh.pool; j++)
			expected += w[i].gen[j] != UINT64_MAX;
	uint64_t cursor = 0, n = 0, stable_seen = 0;
	struct key k;
	struct val v;
	uint8_t *seen = calloc(STABLE + sh.writers * sh.pool, 1);
	assert_non_null(seen);
	while (l7_table_next(sh.t, &cursor, &k, &v, NULL) == 0) {
		assert_true(val_ok(&v, k.id));
		assert_int_equal(k.salt, key_of(k.id).salt);
		uint64_t slot;
		if (k.id < STABLE) {
			assert_int_equal(v.gen, 0);
			slot = k.id;
			stable_seen++;
		} else {
			uint64_t wi = k.id / WRITER_BASE - 1, j = k.id % WRITER_BASE;
			assert_true(wi < sh.writers && j < sh.pool);
			assert_int_equal(v.gen, w[wi].gen[j]);
			slot = STABLE + wi * sh.pool + j;
		}
		assert_false(seen[slot]);
		seen[slot] = 1;
		n++;
	}
	assert_int_equal(stable_seen, STABLE);
	assert_int_equal(n, expected);
	assert_int_equal(l7_table_count(sh.t), expected);

	struct l7_table_stats st;
	l7_table_stats(sh.t, &st);
	print_message("%u threads: %llu moves, %llu insert retries, %llu lookup retries\n",
	              nthreads, (unsigned long long)st.cuckoo_moves,
	              (unsigned long long)st.insert_retries,
	              (unsigned long long)st.lookup_retries);
	/* the workload really did move entries around under the readers */
	assert_true(st.cuckoo_moves > before.cuckoo_moves + 1000);
	uint64_t stable_checked = 0;
	for (unsigned i = 0; i < nr; i++)
		stable_checked += r[i].stable_checked;
	assert_true(stable_checked > 0);
	for (unsigned i = 0; i < sh.writers; i++)
		free(w[i].gen);
	free(seen);
	l7_table_destroy(sh.t);
}

static void rw_2_threads(void **state)
{
	(void)state;
	readers_and_writers(2);
}

static void rw_4_threads(void **state)
{
	(void)state;
	readers_and_writers(4);
}

/* ------------------------------------------------ a small, hot table
 * 4 buckets of 4 slots: 10 stable keys, 2 keys whose values are rewritten
 * all the time, and 3 churned keys whose inserts at ~94 % load need cuckoo
 * paths through the stable keys; 64-byte values. Readers therefore race with moves and
 * in-place updates of exactly the keys they read. */
#define HOT_SLOTS 16u
#define HOT_STABLE 10u
#define HOT_UPDATED 2u
#define HOT_CHURN 3u

struct hot_shared {
	struct l7_table *t;
	int writers_left; /* atomic */
	uint64_t bad;     /* atomic */
	uint64_t reads;   /* atomic */
};

struct hot_writer {
	struct hot_shared *sh;
	unsigned index, nwriters;
};

static void *hot_writer_main(void *arg)
{
	struct hot_writer *w = arg;
	struct hot_shared *sh = w->sh;
	uint64_t s = 31 + w->index;
	uint8_t present[HOT_CHURN] = { 0 };
	uint64_t cur[HOT_CHURN] = { 0 };
	for (unsigned op = 0; op < 200000; op++) {
		uint64_t x = rng_next(&s);
		if (x & 1) {
			/* writers share the updated keys: updates race each other */
			uint64_t id = HOT_STABLE + (x >> 8) % HOT_UPDATED;
			struct key k = key_of(id);
			struct hval v = hval_of(id, op);
			if (l7_table_update(sh->t, &k, &v, 0) != 0)
				__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
			continue;
		}
		/* churned keys are split between the writers */
		unsigned i = (unsigned)((x >> 8) % HOT_CHURN);
		if (i % w->nwriters != w->index)
			continue;
		/* a fresh key for every insert: its buckets are unrelated to the
		 * slot the last delete freed, so it needs a cuckoo path */
		uint64_t id = present[i] ? cur[i] : 1000 + (uint64_t)op * HOT_CHURN + i;
		struct key k = key_of(id);
		if (!present[i]) {
			cur[i] = id;
			struct hval v = hval_of(id, 0);
			int rc = l7_table_insert(sh->t, &k, &v, 0);
			if (rc == 0)
				present[i] = 1;
			else if (rc != L7_ETABLEFULL)
				__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
		} else {
			if (l7_table_delete(sh->t, &k, NULL) != 0)
				__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
			present[i] = 0;
		}
	}
	__atomic_fetch_sub(&sh->writers_left, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *hot_reader_main(void *arg)
{
	struct hot_shared *sh = arg;
	uint64_t n = 0;
	while (__atomic_load_n(&sh->writers_left, __ATOMIC_ACQUIRE) > 0) {
		for (uint64_t id = 0; id < HOT_STABLE + HOT_UPDATED; id++) {
			struct key k = key_of(id);
			struct hval v;
			if (l7_table_lookup(sh->t, &k, &v, 0) != 0 || !hval_ok(&v, id) ||
			    (id < HOT_STABLE && v.gen != 0))
				__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
		}
		n += HOT_STABLE + HOT_UPDATED;
	}
	__atomic_fetch_add(&sh->reads, n, __ATOMIC_RELAXED);
	return NULL;
}

static void hot_table(unsigned nthreads)
{
	struct hot_shared sh = { 0 };
	struct l7_table_config cfg;
	l7_table_config_init(&cfg, sizeof(struct key), sizeof(struct hval), HOT_SLOTS);
	cfg.slots_per_bucket = 4;
	cfg.seed = 3;
	assert_int_equal(l7_table_create(&cfg, &sh.t), 0);
	assert_int_equal(l7_table_slots(sh.t), HOT_SLOTS);
	for (uint64_t id = 0; id < HOT_STABLE + HOT_UPDATED; id++) {
		struct key k = key_of(id);
		struct hval v = hval_of(id, 0);
		assert_int_equal(l7_table_insert(sh.t, &k, &v, 0), 0);
	}
	unsigned nw = nthreads / 2;
	sh.writers_left = (int)nw;
	pthread_t th[4];
	struct hot_writer w[2];
	for (unsigned i = 0; i < nw; i++) {
		w[i] = (struct hot_writer){ &sh, i, nw };
		assert_int_equal(pthread_create(&th[i], NULL, hot_writer_main, &w[i]), 0);
	}
	for (unsigned i = nw; i < nthreads; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hot_reader_main, &sh), 0);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(sh.bad, 0);
	assert_true(sh.reads > 0);
	struct l7_table_stats st;
	l7_table_stats(sh.t, &st);
	print_message("hot %u threads: %llu moves, %llu reads, %llu lookup retries\n",
	              nthreads, (unsigned long long)st.cuckoo_moves,
	              (unsigned long long)sh.reads, (unsigned long long)st.lookup_retries);
	assert_true(st.cuckoo_moves > 1000);
	/* the stable and updated keys are all still there, once */
	uint64_t cursor = 0, n = 0;
	struct key k;
	struct hval v;
	uint64_t seen = 0;
	while (l7_table_next(sh.t, &cursor, &k, &v, NULL) == 0) {
		assert_true(hval_ok(&v, k.id));
		if (k.id < HOT_STABLE + HOT_UPDATED) {
			assert_false((seen >> k.id) & 1u);
			seen |= 1ull << k.id;
		}
		n++;
	}
	assert_int_equal(seen, (1ull << (HOT_STABLE + HOT_UPDATED)) - 1);
	assert_int_equal(n, l7_table_count(sh.t));
	l7_table_destroy(sh.t);
}

static void hot_2_threads(void **state)
{
	(void)state;
	hot_table(2);
}

static void hot_4_threads(void **state)
{
	(void)state;
	hot_table(4);
}

/* ------------------------------------------------ same-key writers */
#define SAME_KEYS 3700u /* ~90 % of SLOTS: inserts need cuckoo paths */

struct same_arg {
	struct l7_table *t;
	unsigned index;
	uint32_t *ins_ok, *del_ok; /* per key, atomic */
	uint64_t bad;
};

static void *same_main(void *arg)
{
	struct same_arg *a = arg;
	uint32_t order[SAME_KEYS];
	uint64_t s = 5 + a->index;
	for (uint32_t i = 0; i < SAME_KEYS; i++)
		order[i] = i;
	for (uint32_t i = SAME_KEYS - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rng_next(&s) % (i + 1));
		uint32_t x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
	for (uint32_t i = 0; i < SAME_KEYS; i++) {
		struct key k = key_of(order[i]);
		struct val v = val_of(order[i], 1);
		int rc = l7_table_insert(a->t, &k, &v, 0);
		if (rc == 0)
			__atomic_fetch_add(&a->ins_ok[order[i]], 1, __ATOMIC_RELAXED);
		else if (rc != L7_EEXIST)
			a->bad++;
	}
	for (uint32_t i = 0; i < SAME_KEYS; i++) {
		struct key k = key_of(order[SAME_KEYS - 1 - i]);
		struct val v;
		int rc = l7_table_delete(a->t, &k, &v);
		if (rc == 0) {
			__atomic_fetch_add(&a->del_ok[k.id], 1, __ATOMIC_RELAXED);
			if (!val_ok(&v, k.id))
				a->bad++;
		} else if (rc != L7_ENOENT) {
			a->bad++;
		}
	}
	return NULL;
}

static void same_keys(unsigned nthreads)
{
	struct l7_table *t = make(4, 0);
	uint32_t *ins = calloc(SAME_KEYS, sizeof(uint32_t));
	uint32_t *del = calloc(SAME_KEYS, sizeof(uint32_t));
	assert_non_null(ins);
	assert_non_null(del);
	pthread_t th[4];
	struct same_arg a[4];
	for (unsigned i = 0; i < nthreads; i++) {
		a[i] = (struct same_arg){ t, i, ins, del, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, same_main, &a[i]), 0);
	}
	for (unsigned i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(a[i].bad, 0);
	}
	/* A key deleted by one thread may be re-inserted by a slower one, so
	 * per key: inserts == deletes >= 1, and the table ends empty. */
	for (uint32_t i = 0; i < SAME_KEYS; i++) {
		assert_true(ins[i] >= 1);
		assert_int_equal(ins[i], del[i]);
	}
	assert_int_equal(l7_table_count(t), 0);
	uint64_t cursor = 0;
	assert_int_equal(l7_table_next(t, &cursor, NULL, NULL, NULL), L7_ENOENT);
	struct l7_table_stats st;
	l7_table_stats(t, &st);
	assert_true(st.cuckoo_moves > 0);
	free(ins);
	free(del);
	l7_table_destroy(t);
}

static void same_keys_2_threads(void **state)
{
	(void)state;
	same_keys(2);
}

static void same_keys_4_threads(void **state)
{
	(void)state;
	same_keys(4);
}

/* ------------------------------------------------ TTL vs sweep vs writers */
#define TTL_KEYS 20000u

struct ttl_shared {
	struct l7_table *t;
	uint64_t clock;          /* atomic logical time */
	int writer_done;         /* atomic */
	uint8_t fate[TTL_KEYS];  /* 1 deleted (writer), 2 expired (sweeper) */
	uint64_t inserted;       /* ids [0, inserted) were inserted; atomic */
	uint64_t bad;            /* atomic */
};

static void *ttl_writer(void *arg)
{
	struct ttl_shared *sh = arg;
	uint64_t s = 3;
	for (uint64_t id = 0; id < TTL_KEYS; id++) {
		struct key k = key_of(id);
		struct val v = val_of(id, 0);
		l7_time_ns now = __atomic_load_n(&sh->clock, __ATOMIC_RELAXED);
		int rc;
		while ((rc = l7_table_insert(sh->t, &k, &v, now)) == L7_ETABLEFULL ||
		       rc == L7_EFULL)
			now = __atomic_load_n(&sh->clock, __ATOMIC_RELAXED); /* wait for the sweeper */
		if (rc != 0)
			__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&sh->inserted, id + 1, __ATOMIC_RELEASE);
		if (id >= 8 && rng_next(&s) % 3 == 0) {
			uint64_t victim = id - 1 - rng_next(&s) % 8;
			struct key vk = key_of(victim);
			struct val got;
			if (l7_table_delete(sh->t, &vk, &got) == 0) {
				if (!val_ok(&got, victim) || sh->fate[victim] != 0)
					__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
				sh->fate[victim] = 1; /* only this thread writes 1s */
			}
		}
	}
	__atomic_store_n(&sh->writer_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

struct expired_list {
	uint64_t ids[TTL_KEYS];
	size_t n;
};

static void *ttl_sweeper(void *arg)
{
	struct ttl_shared *sh = arg;
	static struct expired_list el; /* one sweeper thread */
	struct key ks[8];
	struct val vs[8];
	el.n = 0;
	bool final = false;
	for (;;) {
		int done = __atomic_load_n(&sh->writer_done, __ATOMIC_ACQUIRE);
		l7_time_ns now;
		uint32_t budget = 16;
		if (done) {
			/* writers and readers are finished: jump far past every
			 * expiry and sweep everything that is left */
			now = __atomic_load_n(&sh->clock, __ATOMIC_RELAXED) + 1000000;
			budget = SLOTS;
		} else {
			now = __atomic_add_fetch(&sh->clock, 1, __ATOMIC_RELAXED);
		}
		size_t n = l7_table_expire(sh->t, now, budget, ks, vs, 8);
		for (size_t i = 0; i < n; i++) {
			if (!val_ok(&vs[i], ks[i].id) || ks[i].id >= TTL_KEYS)
				__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
			else
				el.ids[el.n++] = ks[i].id;
		}
		if (final && n == 0)
			break;
		final = done;
	}
	return &el;
}

static void *ttl_reader(void *arg)
{
	struct ttl_shared *sh = arg;
	uint64_t s = 9;
	while (!__atomic_load_n(&sh->writer_done, __ATOMIC_ACQUIRE)) {
		uint64_t n = __atomic_load_n(&sh->inserted, __ATOMIC_ACQUIRE);
		if (n == 0)
			continue;
		uint64_t id = n - 1 - rng_next(&s) % (n < 64 ? n : 64);
		struct key k = key_of(id);
		struct val v;
		l7_time_ns now = __atomic_load_n(&sh->clock, __ATOMIC_RELAXED);
		if (l7_table_lookup(sh->t, &k, &v, now) == 0 && !val_ok(&v, id))
			__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void ttl_races(unsigned nthreads)
{
	static struct ttl_shared sh;
	memset(&sh, 0, sizeof(sh));
	sh.t = make(4, 2000);
	pthread_t th[4];
	assert_int_equal(pthread_create(&th[0], NULL, ttl_writer, &sh), 0);
	assert_int_equal(pthread_create(&th[1], NULL, ttl_sweeper, &sh), 0);
	for (unsigned i = 2; i < nthreads; i++)
		assert_int_equal(pthread_create(&th[i], NULL, ttl_reader, &sh), 0);
	void *ret = NULL;
	pthread_join(th[0], NULL);
	pthread_join(th[1], &ret);
	for (unsigned i = 2; i < nthreads; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(sh.bad, 0);
	const struct expired_list *el = ret;
	for (size_t i = 0; i < el->n; i++) {
		assert_int_equal(sh.fate[el->ids[i]], 0); /* not deleted, not expired twice */
		sh.fate[el->ids[i]] = 2;
	}
	/* after the final sweeps at a time far past every expiry, nothing is
	 * left and every key met exactly one fate */
	assert_int_equal(l7_table_count(sh.t), 0);
	for (uint32_t id = 0; id < TTL_KEYS; id++)
		assert_true(sh.fate[id] == 1 || sh.fate[id] == 2);
	l7_table_destroy(sh.t);
}

static void ttl_2_threads(void **state)
{
	(void)state;
	ttl_races(2);
}

static void ttl_4_threads(void **state)
{
	(void)state;
	ttl_races(4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rw_2_threads),
		cmocka_unit_test(rw_4_threads),
		cmocka_unit_test(hot_2_threads),
		cmocka_unit_test(hot_4_threads),
		cmocka_unit_test(same_keys_2_threads),
		cmocka_unit_test(same_keys_4_threads),
		cmocka_unit_test(ttl_2_threads),
		cmocka_unit_test(ttl_4_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
