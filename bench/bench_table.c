/*
 * bench_table.c — the connection table against DPDK rte_hash (lock-free
 * readers) and Concurrency Kit ck_ht, same workload, same run.
 *
 * Flags and output follow libcuckoo's universal benchmark
 * (tests/universal-benchmark): --reads --inserts --erases --updates
 * --upserts (percentages summing to 100), --initial-capacity (log2 of the
 * table size), --prefill (% of capacity filled before timing), --total-ops
 * (timed operations, % of capacity), --num-threads, --seed; each table
 * prints one JSON line with total_ops, time_elapsed, throughput and
 * max_rss_change, then one project-format line per peer with the ratio.
 * Extensions: --batch N (reads as batched lookups of N keys: our
 * l7_table_lookup_batch, rte_hash_lookup_bulk_data; ck_ht has none and
 * runs single lookups), --rounds R (repeat the timed mix R times, erasing
 * the keys each round inserted in between, untimed, so small tables can be
 * timed for long at a steady fill), --tables ours,rte_hash,ck_ht.
 *
 * With no arguments it runs the default matrix (make bench): 100 % reads
 * and 90/10 read/insert at 90 % prefill, 2^16 and 2^24 slots, 1 and 2
 * threads, 16-byte keys, 8-byte values; batched lookups at 2^24 and 2^16.
 *
 * Fairness notes: every table gets the same keys in the same order (one
 * per-thread RNG picks key numbers; a read computes its 16-byte key from
 * its number into a local buffer, two multiplies, paid alike by all), the
 * same batch sizes where a peer has a bulk API (rte_hash_lookup_bulk_data;
 * ck_ht has none, so its "batched" rows run single lookups), and a
 * non-inlined library call per operation. Reads always target present
 * keys (all hits, verified). All tables of a row set are live at once and
 * each row's repeats run round-robin over them, so machine noise hits all
 * alike; each keeps its best run. ck_ht is single-writer: with 2 threads
 * its writers share a ck_spinlock (its readers stay lock-free). ck_ht
 * stores pointers to its keys (the benchmark's key array), so its lookups
 * read the stored key from there: its real cost, and the reason reads do
 * not pass it the array element itself (the stored copy would then already
 * be in cache). ck_ht grows itself (it keeps load <= 50 %); it is created
 * with the same initial size as the others and grows during the untimed
 * prefill. rte_hash runs without hugepages here (see ../shared/PEERS.md);
 * our table asks for transparent huge pages. max_rss_change is the RSS
 * growth over creating and prefilling that table.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ck_ht.h>
#include <ck_spinlock.h>
#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include "l7splice/conntable.h"

/* ------------------------------------------------------------ workload */
struct bkey {
	uint64_t a, b;
};

enum op { OP_READ, OP_INSERT, OP_ERASE, OP_UPDATE, OP_UPSERT };
enum impl { IMPL_OURS, IMPL_RTE, IMPL_CKHT, IMPL_N };
static const char *impl_name[IMPL_N] = { "l7_table", "rte_hash", "ck_ht" };

struct args {
	unsigned reads, inserts, erases, updates, upserts;
	unsigned cap_log2, prefill, total_ops_pct, threads, batch, rounds, repeat;
	uint64_t seed;
	bool use[IMPL_N];
};

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Key number i: word a is i times an odd constant (a bijection, so
 * distinct i give distinct keys), word b a cheap mix of a. Lookups compute
 * their key from its number into a local buffer, as a packet's parsed
 * 5-tuple would be: the benchmark reads no key array on the read path (a
 * random 16-byte read from a 2^24-key array is itself a cache and TLB miss
 * that used to dominate every table's time), and no table finds the query
 * key already cached at the address its stored copy lives at. Two
 * multiplies: the benchmark's own work stays small next to a lookup. */
static inline __attribute__((always_inline)) void key_of(uint64_t i, struct bkey *k)
{
	uint64_t a = i * 0x9e3779b97f4a7c15ull;
	k->a = a;
	k->b = (a ^ (a >> 29)) * 0xbf58476d1ce4e5b9ull;
}

static uint64_t key_salt(uint64_t seed)
{
	return seed ^ 0xabcdef;
}

/* Uniform index in [0, n) without a division (Lemire's multiply-shift). */
static inline uint64_t pick(uint64_t *rng, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)xorshift(rng) * n) >> 64);
}

static uint64_t value_of(const struct bkey *k)
{
	return (k->a ^ 0x5bd1e995u) | 1u; /* never 0: rte_hash data pointer */
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Resident set: current and peak (kB), from /proc/self/status. */
static long proc_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t n = strlen(field);
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0)
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/* ------------------------------------------------------------ ck_ht glue */
static void *ck_malloc_cb(size_t n)
{
	return malloc(n);
}

/* Maps ck_ht retires while readers may still use them (defer = true) are
 * kept until the table is destroyed: safe reclamation for a benchmark. */
static void *retired[64];
static unsigned n_retired;

static void ck_free_cb(void *p, size_t n, bool defer)
{
	(void)n;
	if (defer && n_retired < 64)
		retired[n_retired++] = p;
	else
		free(p);
}

static void *ck_realloc_cb(void *p, size_t o, size_t n, bool d)
{
	(void)o;
	(void)d;
	return realloc(p, n);
}

static struct ck_malloc ck_alloc = { ck_malloc_cb, ck_realloc_cb, ck_free_cb };

struct ckht {
	ck_ht_t ht;
	ck_spinlock_t wlock; /* ck_ht is single-writer */
};

/* ------------------------------------------------------------ tables */
struct table {
	enum impl impl;
	struct l7_table *ours;
	struct rte_hash *rte;
	struct ckht *ck;
};

static int rte_ok = -1; /* EAL initialised? */
static unsigned rte_seq;

static int table_create(struct table *t, enum impl impl, uint64_t cap, uint64_t seed)
{
	memset(t, 0, sizeof(*t));
	t->impl = impl;
	if (impl == IMPL_OURS) {
		struct l7_table_config cfg;
		l7_table_config_init(&cfg, sizeof(struct bkey), 8, cap);
		cfg.slots_per_bucket = 8;
		cfg.seed = seed;
		return l7_table_create(&cfg, &t->ours);
	}
	if (impl == IMPL_RTE) {
		char name[32];
		snprintf(name, sizeof(name), "bench%u", rte_seq++);
		struct rte_hash_parameters p = { 0 };
		p.name = name;
		p.entries = (uint32_t)cap;
		p.key_len = sizeof(struct bkey);
		p.hash_func = rte_hash_crc;
		p.hash_func_init_val = (uint32_t)seed;
		p.socket_id = 0;
		p.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
		               RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD;
		t->rte = rte_hash_create(&p);
		return t->rte ? 0 : -1;
	}
	t->ck = calloc(1, sizeof(*t->ck));
	if (!t->ck)
		return -1;
	ck_spinlock_init(&t->ck->wlock);
	if (!ck_ht_init(&t->ck->ht, CK_HT_MODE_BYTESTRING, NULL, &ck_alloc, cap, seed))
		return -1;
	return 0;
}

static void table_destroy(struct table *t)
{
	if (t->ours)
		l7_table_destroy(t->ours);
	if (t->rte)
		rte_hash_free(t->rte);
	if (t->ck) {
		ck_ht_destroy(&t->ck->ht);
		free(t->ck);
		for (unsigned i = 0; i < n_retired; i++)
			free(retired[i]);
		n_retired = 0;
	}
}

/* One operation, dispatched on a compile-time constant impl after
 * inlining, so the timed loops call the library directly. */
static inline __attribute__((always_inline)) bool
t_lookup(struct table *t, enum impl impl, const struct bkey *k, uint64_t *v)
{
	if (impl == IMPL_OURS)
		return l7_table_lookup(t->ours, k, v, 0) == 0;
	if (impl == IMPL_RTE) {
		void *d;
		if (rte_hash_lookup_data(t->rte, k, &d) < 0)
			return false;
		*v = (uint64_t)(uintptr_t)d;
		return true;
	}
	ck_ht_entry_t e;
	ck_ht_hash_t h;
	ck_ht_hash(&h, &t->ck->ht, k, sizeof(*k));
	ck_ht_entry_key_set(&e, k, sizeof(*k));
	if (!ck_ht_get_spmc(&t->ck->ht, h, &e))
		return false;
	*v = (uint64_t)(uintptr_t)ck_ht_entry_value(&e);
	return true;
}

static inline __attribute__((always_inline)) unsigned
t_lookup_batch(struct table *t, enum impl impl, const struct bkey **ks, unsigned n, uint64_t *vals)
{
	uint64_t mask = 0;
	if (impl == IMPL_OURS)
		return l7_table_lookup_batch(t->ours, (const void *const *)ks, n, vals, &mask, 0);
	if (impl == IMPL_RTE) {
		/* its data pointers land in vals directly (same size here): no
		 * copy loop that only rte_hash would pay */
		_Static_assert(sizeof(void *) == sizeof(uint64_t), "64-bit pointers");
		int hits = rte_hash_lookup_bulk_data(t->rte, (const void **)ks, n, &mask,
		                                     (void **)vals);
		return hits < 0 ? 0 : (unsigned)hits;
	}
	unsigned hits = 0;
	for (unsigned i = 0; i < n; i++)
		hits += t_lookup(t, impl, ks[i], &vals[i]);
	return hits;
}

/* ck_ht writes: the entry points at the caller's key (our key array). */
static bool ck_write(struct ckht *c, const struct bkey *k, uint64_t v, int how)
{
	ck_ht_entry_t e;
	ck_ht_hash_t h;
	bool ok;
	ck_ht_hash(&h, &c->ht, k, sizeof(*k));
	ck_ht_entry_set(&e, h, k, sizeof(*k), (void *)(uintptr_t)v);
	ck_spinlock_lock(&c->wlock);
	if (how == 0) {
		ok = ck_ht_put_spmc(&c->ht, h, &e);
	} else if (how == 1) {
		ok = ck_ht_set_spmc(&c->ht, h, &e);
	} else {
		ck_ht_entry_key_set(&e, k, sizeof(*k));
		ok = ck_ht_remove_spmc(&c->ht, h, &e);
	}
	ck_spinlock_unlock(&c->wlock);
	return ok;
}

static inline __attribute__((always_inline)) bool
t_insert(struct table *t, enum impl impl, const struct bkey *k, uint64_t v)
{
	if (impl == IMPL_OURS)
		return l7_table_insert(t->ours, k, &v, 0) == 0;
	if (impl == IMPL_RTE)
		return rte_hash_add_key_data(t->rte, k, (void *)(uintptr_t)v) == 0;
	return ck_write(t->ck, k, v, 0);
}

static inline __attribute__((always_inline)) bool
t_upsert(struct table *t, enum impl impl, const struct bkey *k, uint64_t v)
{
	if (impl == IMPL_OURS)
		return l7_table_upsert(t->ours, k, &v, 0, NULL) == 0;
	if (impl == IMPL_RTE) /* rte_hash_add_key_data updates an existing key */
		return rte_hash_add_key_data(t->rte, k, (void *)(uintptr_t)v) == 0;
	return ck_write(t->ck, k, v, 1);
}

static inline __attribute__((always_inline)) bool
t_update(struct table *t, enum impl impl, const struct bkey *k, uint64_t v)
{
	if (impl == IMPL_OURS)
		return l7_table_update(t->ours, k, &v, 0) == 0;
	if (impl == IMPL_RTE) {
		if (rte_hash_lookup(t->rte, k) < 0)
			return false;
		return rte_hash_add_key_data(t->rte, k, (void *)(uintptr_t)v) == 0;
	}
	uint64_t old;
	if (!t_lookup(t, impl, k, &old))
		return false;
	return ck_write(t->ck, k, v, 1);
}

static inline __attribute__((always_inline)) bool
t_erase(struct table *t, enum impl impl, const struct bkey *k)
{
	if (impl == IMPL_OURS)
		return l7_table_delete(t->ours, k, NULL) == 0;
	if (impl == IMPL_RTE) {
		int32_t pos = rte_hash_del_key(t->rte, k);
		if (pos < 0)
			return false;
		/* lock-free mode does not recycle the slot by itself; no reader
		 * can hold it in this benchmark's erase patterns for long, and
		 * the timed mixes never reuse erased keys */
		rte_hash_free_key_with_position(t->rte, pos);
		return true;
	}
	return ck_write(t->ck, k, 0, 2);
}

/* ------------------------------------------------------------ threads */
struct shared {
	struct table *t;
	const struct args *a;
	const struct bkey *keys;
	uint64_t salt;          /* keys[i] is key_of(i ^ salt) */
	uint64_t prefill_n;     /* keys[0, prefill_n) are in the table */
	uint64_t ins_base;      /* first insert key; thread i uses its stripe */
	uint64_t ins_per_thread;
	uint64_t ops_per_thread;
	enum op mix[100];
	pthread_barrier_t start;
};

struct worker {
	struct shared *sh;
	unsigned index;
	uint64_t inserted, ins_used, erased, failures, hits, reads;
	double t_start, t_end; /* each worker times itself: main may be descheduled */
	uint64_t checksum;
};

static inline __attribute__((always_inline)) void
run_mix(struct worker *w, enum impl impl)
{
	struct shared *sh = w->sh;
	struct table *t = sh->t;
	const struct bkey *keys = sh->keys;
	uint64_t rng = 0x9e3779b97f4a7c15ull * (w->index + 1) + sh->a->seed;
	uint64_t ins_next = sh->ins_base + w->index * sh->ins_per_thread + w->ins_used;
	uint64_t erase_next = w->index + w->erased * sh->a->threads;
	uint64_t n = sh->ops_per_thread, v = 0, sum = 0, prefill_n = sh->prefill_n;
	uint64_t salt = sh->salt;
	unsigned batch = sh->a->batch, mi = 0;
	uint64_t hits = 0, reads = 0; /* locals: no memory update per op */
	struct bkey qk[64];
	const struct bkey *bk[64];
	uint64_t bv[64];
	for (unsigned j = 0; j < 64; j++)
		bk[j] = &qk[j];
	for (uint64_t i = 0; i < n; i++) {
		enum op op = sh->mix[mi];
		const struct bkey *k;
		mi = mi == 99 ? 0 : mi + 1;
		switch (op) {
		case OP_READ:
			if (batch > 1) {
				for (unsigned j = 0; j < batch; j++)
					key_of(pick(&rng, prefill_n) ^ salt, &qk[j]);
				hits += t_lookup_batch(t, impl, bk, batch, bv);
				reads += batch;
				sum += bv[0];
				break;
			}
			key_of(pick(&rng, prefill_n) ^ salt, &qk[0]);
			hits += t_lookup(t, impl, &qk[0], &v);
			reads++;
			sum += v;
			break;
		/* writes take their keys from the array: ck_ht stores a pointer
		 * to the key, so it must outlive the call (sequential reads) */
		case OP_INSERT:
			k = &keys[ins_next++];
			if (t_insert(t, impl, k, value_of(k)))
				w->inserted++;
			else
				w->failures++;
			break;
		case OP_ERASE:
			k = &keys[erase_next % prefill_n];
			erase_next += sh->a->threads;
			w->erased++;
			if (!t_erase(t, impl, k))
				w->failures++;
			break;
		case OP_UPDATE:
			k = &keys[pick(&rng, prefill_n)];
			t_update(t, impl, k, value_of(k));
			break;
		case OP_UPSERT:
			if (xorshift(&rng) & 1)
				k = &keys[pick(&rng, prefill_n)];
			else
				k = &keys[ins_next++];
			if (!t_upsert(t, impl, k, value_of(k)))
				w->failures++;
			break;
		}
	}
	w->ins_used = ins_next - (sh->ins_base + w->index * sh->ins_per_thread);
	w->checksum += sum;
	w->hits += hits;
	w->reads += reads;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	if (rte_ok == 1)
		rte_thread_register(); /* rte_hash's multi-writer caches need an lcore id */
	pthread_barrier_wait(&w->sh->start);
	w->t_start = now_s();
	switch (w->sh->t->impl) {
	case IMPL_OURS:
		run_mix(w, IMPL_OURS);
		break;
	case IMPL_RTE:
		run_mix(w, IMPL_RTE);
		break;
	default:
		run_mix(w, IMPL_CKHT);
		break;
	}
	w->t_end = now_s();
	pthread_barrier_wait(&w->sh->start);
	if (rte_ok == 1)
		rte_thread_unregister();
	return NULL;
}

/* ------------------------------------------------------------ one run */
struct result {
	uint64_t total_ops;
	double seconds;
	double throughput;
	long rss_change_bytes;
	uint64_t failures;
	bool ok;
};

static void prefill(struct table *t, const struct bkey *keys, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		bool ok;
		switch (t->impl) {
		case IMPL_OURS:
			ok = t_insert(t, IMPL_OURS, &keys[i], value_of(&keys[i]));
			break;
		case IMPL_RTE:
			ok = t_insert(t, IMPL_RTE, &keys[i], value_of(&keys[i]));
			break;
		default:
			ok = t_insert(t, IMPL_CKHT, &keys[i], value_of(&keys[i]));
			break;
		}
		if (!ok) {
			fprintf(stderr, "bench_table: %s prefill failed at %" PRIu64 "\n",
			        impl_name[t->impl], i);
			return;
		}
	}
}

/* Remove what the timed rounds inserted (untimed), back to the prefill. */
static void undo_inserts(struct table *t, struct shared *sh, struct worker *w, unsigned nthreads)
{
	for (unsigned i = 0; i < nthreads; i++) {
		uint64_t base = sh->ins_base + i * sh->ins_per_thread;
		for (uint64_t j = 0; j < w[i].ins_used; j++) {
			const struct bkey *k = &sh->keys[base + j];
			switch (t->impl) {
			case IMPL_OURS:
				t_erase(t, IMPL_OURS, k);
				break;
			case IMPL_RTE:
				t_erase(t, IMPL_RTE, k);
				break;
			default:
				t_erase(t, IMPL_CKHT, k);
				break;
			}
		}
		w[i].inserted = w[i].ins_used = 0;
	}
}

/* Run the args' mix on a table already prefilled with keys[0, prefill_n). */
static struct result run_timed(struct table *t, const struct args *a, const struct bkey *keys,
                               uint64_t prefill_n, uint64_t ins_base, uint64_t ins_per_thread)
{
	struct result r = { 0 };
	uint64_t cap = 1ull << a->cap_log2;
	uint64_t total = cap * a->total_ops_pct / 100;
	struct shared sh;
	memset(&sh, 0, sizeof(sh));
	sh.t = t;
	sh.a = a;
	sh.keys = keys;
	sh.salt = key_salt(a->seed);
	sh.prefill_n = prefill_n;
	sh.ins_base = ins_base;
	sh.ins_per_thread = ins_per_thread;
	sh.ops_per_thread = total / a->threads;
	if (a->batch > 1) /* a batched read counts as batch operations */
		sh.ops_per_thread = sh.ops_per_thread / a->batch;
	unsigned m = 0;
	unsigned pct[5] = { a->reads, a->inserts, a->erases, a->updates, a->upserts };
	for (unsigned o = 0; o < 5; o++)
		for (unsigned i = 0; i < pct[o]; i++)
			sh.mix[m++] = (enum op)o;
	uint64_t s = a->seed;
	for (unsigned i = 99; i > 0; i--) { /* shuffle, seeded */
		unsigned j = (unsigned)(splitmix(&s) % (i + 1));
		enum op x = sh.mix[i];
		sh.mix[i] = sh.mix[j];
		sh.mix[j] = x;
	}
	struct worker w[16];
	pthread_t th[16];
	memset(w, 0, sizeof(w));
	double elapsed = 0;
	uint64_t ops = 0, hits = 0, reads = 0;
	for (unsigned round = 0; round < a->rounds; round++) {
		pthread_barrier_init(&sh.start, NULL, a->threads + 1);
		for (unsigned i = 0; i < a->threads; i++) {
			w[i].sh = &sh;
			w[i].index = i;
			pthread_create(&th[i], NULL, worker_main, &w[i]);
		}
		pthread_barrier_wait(&sh.start);
		pthread_barrier_wait(&sh.start);
		for (unsigned i = 0; i < a->threads; i++)
			pthread_join(th[i], NULL);
		double t0 = w[0].t_start, t1 = w[0].t_end;
		for (unsigned i = 1; i < a->threads; i++) {
			t0 = w[i].t_start < t0 ? w[i].t_start : t0;
			t1 = w[i].t_end > t1 ? w[i].t_end : t1;
		}
		elapsed += t1 - t0;
		pthread_barrier_destroy(&sh.start);
		for (unsigned i = 0; i < a->threads; i++) {
			r.failures += w[i].failures;
			hits += w[i].hits;
			reads += w[i].reads;
			w[i].failures = w[i].hits = w[i].reads = 0;
		}
		ops += sh.ops_per_thread * a->threads * (a->batch > 1 ? a->batch : 1);
		if (a->rounds > 1)
			undo_inserts(t, &sh, w, a->threads);
	}
	r.total_ops = ops;
	r.seconds = elapsed;
	r.throughput = (double)ops / elapsed;
	/* reads target present keys: every one must hit unless erases ran */
	r.ok = a->erases > 0 || hits == reads;
	if (!r.ok)
		fprintf(stderr, "bench_table: %s: %" PRIu64 " of %" PRIu64 " reads missed\n",
		        impl_name[t->impl], reads - hits, reads);
	return r;
}

static void print_libcuckoo(const struct args *a, enum impl impl, const struct result *r)
{
	printf("{\"bench\":\"table\",\"args\":\"--reads %u --inserts %u --erases %u --updates %u "
	       "--upserts %u --initial-capacity %u --prefill %u --total-ops %u --num-threads %u "
	       "--seed %" PRIu64 " --batch %u --rounds %u --repeat %u\",\"key\":\"16B\",\"value\":\"8B\","
	       "\"table\":\"%s\",\"output\":{"
	       "\"total_ops\":{\"name\":\"Total Operations\",\"units\":\"count\",\"value\":%" PRIu64 "},"
	       "\"time_elapsed\":{\"name\":\"Time Elapsed\",\"units\":\"seconds\",\"value\":%.4f},"
	       "\"throughput\":{\"name\":\"Throughput\",\"units\":\"count/seconds\",\"value\":%.4f},"
	       "\"max_rss_change\":{\"name\":\"Change in Maximum RSS\",\"units\":\"bytes\",\"value\":%ld}},"
	       "\"failed_ops\":%" PRIu64 ",\"verified\":%s}\n",
	       a->reads, a->inserts, a->erases, a->updates, a->upserts, a->cap_log2, a->prefill,
	       a->total_ops_pct, a->threads, a->seed, a->batch, a->rounds, a->repeat, impl_name[impl],
	       r->total_ops, r->seconds, r->throughput, r->rss_change_bytes, r->failures,
	       r->ok ? "true" : "false");
}

static void print_ratios(const char *metric, const struct result *res, const bool *have)
{
	for (unsigned p = IMPL_RTE; p < IMPL_N; p++) {
		if (!have[IMPL_OURS] || !have[p])
			continue;
		printf("{\"bench\":\"table\",\"metric\":\"%s\",\"value\":%.0f,\"unit\":\"ops/s\","
		       "\"peer\":\"%s\",\"peer_value\":%.0f,\"ratio\":%.3f}\n",
		       metric, res[IMPL_OURS].throughput, impl_name[p], res[p].throughput,
		       res[IMPL_OURS].throughput / res[p].throughput);
	}
	fflush(stdout);
}

/* ------------------------------------------------------------ keys */
/* keys[i] = key number i ^ salt. The array is what writes and ck_ht's
 * stored key pointers use; reads recompute the same key from its number. */
static struct bkey *gen_keys(uint64_t n, uint64_t seed)
{
	struct bkey *k = malloc(n * sizeof(*k));
	uint64_t s = key_salt(seed);
	if (!k)
		return NULL;
	for (uint64_t i = 0; i < n; i++)
		key_of(i ^ s, &k[i]);
	return k;
}

/* Key budget of a mix: prefill + every insert/upsert any round may do. */
static uint64_t ins_per_thread_of(const struct args *a)
{
	uint64_t cap = 1ull << a->cap_log2;
	uint64_t total = cap * a->total_ops_pct / 100;
	return total * (a->inserts + a->upserts) / 100 / a->threads + 1;
}

/* ------------------------------------------------------------ entry points */
struct row {
	const char *metric;
	struct args a;
};

/* Untimed: remove the keys a timed run inserted, back to the prefill. */
static void restore_prefill(struct table *t, const struct bkey *keys, uint64_t from, uint64_t to)
{
	for (uint64_t j = from; j < to; j++) {
		switch (t->impl) {
		case IMPL_OURS:
			t_erase(t, IMPL_OURS, &keys[j]);
			break;
		case IMPL_RTE:
			t_erase(t, IMPL_RTE, &keys[j]);
			break;
		default:
			t_erase(t, IMPL_CKHT, &keys[j]);
			break;
		}
	}
}

/*
 * Run rows that share a capacity and prefill. Every table is created and
 * prefilled first (all live at once), then each row runs its repeats
 * round-robin over the tables (ours, rte_hash, ck_ht, ours, ...), so the
 * noise of this shared machine hits all tables alike instead of whichever
 * happened to run in a busy second; each table keeps its best run.
 */
static int run_rows(const struct row *rows, unsigned nrows, const bool *use)
{
	const struct args *a0 = &rows[0].a;
	uint64_t cap = 1ull << a0->cap_log2;
	uint64_t prefill_n = cap * a0->prefill / 100;
	uint64_t ins_max = 0;
	for (unsigned i = 0; i < nrows; i++) {
		uint64_t x = ins_per_thread_of(&rows[i].a) * rows[i].a.threads;
		if (x > ins_max)
			ins_max = x;
	}
	struct bkey *keys = gen_keys(prefill_n + ins_max + 64, a0->seed);
	if (!keys)
		return 1;
	struct result res[16][IMPL_N];
	struct table tabs[IMPL_N];
	long rss[IMPL_N] = { 0 };
	bool have[IMPL_N] = { false };
	memset(res, 0, sizeof(res));
	memset(tabs, 0, sizeof(tabs));
	for (unsigned impl = 0; impl < IMPL_N; impl++) {
		if (!use[impl] || (impl == IMPL_RTE && rte_ok != 1))
			continue;
		long rss0 = proc_kb("VmRSS:");
		if (table_create(&tabs[impl], (enum impl)impl, cap, a0->seed) != 0) {
			printf("{\"bench\":\"table\",\"table\":\"%s\",\"skipped\":\"create failed\"}\n",
			       impl_name[impl]);
			table_destroy(&tabs[impl]);
			continue;
		}
		prefill(&tabs[impl], keys, prefill_n);
		rss[impl] = (proc_kb("VmRSS:") - rss0) * 1024;
		have[impl] = true;
	}
	for (unsigned i = 0; i < nrows; i++) {
		const struct args *a = &rows[i].a;
		/* best of --repeat runs: a run that lost its CPU for a while
		 * measures the scheduler, not the table */
		for (unsigned rep = 0; rep < a->repeat; rep++) {
			for (unsigned impl = 0; impl < IMPL_N; impl++) {
				if (!have[impl])
					continue;
				struct result x = run_timed(&tabs[impl], a, keys, prefill_n, prefill_n,
				                            ins_per_thread_of(a));
				if (rep == 0 || x.throughput > res[i][impl].throughput)
					res[i][impl] = x;
				/* erased prefill keys are not restored, so rows with
				 * erases should come last */
				if (a->rounds <= 1 && (a->inserts || a->upserts || a->erases))
					restore_prefill(&tabs[impl], keys, prefill_n, prefill_n + ins_max);
			}
		}
		for (unsigned impl = 0; impl < IMPL_N; impl++) {
			if (!have[impl])
				continue;
			res[i][impl].rss_change_bytes = rss[impl];
			print_libcuckoo(a, (enum impl)impl, &res[i][impl]);
		}
		fflush(stdout);
	}
	for (unsigned impl = 0; impl < IMPL_N; impl++)
		if (have[impl])
			table_destroy(&tabs[impl]);
	for (unsigned i = 0; i < nrows; i++)
		print_ratios(rows[i].metric, res[i], have);
	/* goals stated per core (docs/table.md) */
	for (unsigned i = 0; i < nrows; i++)
		if (have[IMPL_OURS])
			printf("{\"bench\":\"table\",\"metric\":\"%s_per_core\",\"value\":%.0f,\"unit\":\"ops/s\"}\n",
			       rows[i].metric, res[i][IMPL_OURS].throughput / rows[i].a.threads);
	fflush(stdout);
	free(keys);
	return 0;
}

static struct args defaults(void)
{
	struct args a;
	memset(&a, 0, sizeof(a));
	a.reads = 100;
	a.cap_log2 = 16;
	a.prefill = 90;
	a.total_ops_pct = 100;
	a.threads = 1;
	a.batch = 1;
	a.rounds = 1;
	a.repeat = 1;
	a.seed = 1;
	for (unsigned i = 0; i < IMPL_N; i++)
		a.use[i] = true;
	return a;
}

static struct args mk(unsigned cap_log2, unsigned reads, unsigned inserts, unsigned total_pct,
                      unsigned threads, unsigned batch, unsigned rounds, unsigned repeat)
{
	struct args a = defaults();
	a.cap_log2 = cap_log2;
	a.reads = reads;
	a.inserts = inserts;
	a.total_ops_pct = total_pct;
	a.threads = threads;
	a.batch = batch;
	a.rounds = rounds;
	a.repeat = repeat;
	return a;
}

static int run_matrix(const bool *use)
{
	/* 2^16 slots (in cache): 90/10 in rounds of 50 % of the capacity
	 * (fill 90 % -> 95 %), erased between rounds; best of 9 (runs are
	 * ~50 ms: more repeats make the best-of robust to a shared machine's
	 * scheduling noise, for every table alike) */
	const struct row small[] = {
		{ "reads100_2^16_t1", mk(16, 100, 0, 3000, 1, 1, 1, 9) },
		{ "reads100_2^16_t2", mk(16, 100, 0, 3000, 2, 1, 1, 9) },
		{ "batch32_reads_2^16_t1", mk(16, 100, 0, 3000, 1, 32, 1, 9) },
		{ "read90_insert10_2^16_t1", mk(16, 90, 10, 50, 1, 1, 20, 9) },
		{ "read90_insert10_2^16_t2", mk(16, 90, 10, 50, 2, 1, 20, 9) },
	};
	/* 2^24 slots (out of cache): one prefill per table (the slow part),
	 * then ~1.7 M operations per run, best of 5 */
	const struct row big[] = {
		{ "reads100_2^24_t1", mk(24, 100, 0, 10, 1, 1, 1, 5) },
		{ "reads100_2^24_t2", mk(24, 100, 0, 10, 2, 1, 1, 5) },
		{ "batch32_reads_2^24_t1", mk(24, 100, 0, 10, 1, 32, 1, 5) },
		{ "read90_insert10_2^24_t1", mk(24, 90, 10, 10, 1, 1, 1, 5) },
		{ "read90_insert10_2^24_t2", mk(24, 90, 10, 10, 2, 1, 1, 5) },
	};
	int rc = run_rows(small, sizeof(small) / sizeof(small[0]), use);
	rc |= run_rows(big, sizeof(big) / sizeof(big[0]), use);
	return rc;
}

static int parse(int argc, char **argv, struct args *a)
{
	*a = defaults();
	a->reads = 0;
	for (int i = 1; i < argc; i++) {
		const char *f = argv[i];
		if (i + 1 >= argc)
			return -1;
		const char *v = argv[++i];
		unsigned long x = strtoul(v, NULL, 10);
		if (!strcmp(f, "--reads"))
			a->reads = (unsigned)x;
		else if (!strcmp(f, "--inserts"))
			a->inserts = (unsigned)x;
		else if (!strcmp(f, "--erases"))
			a->erases = (unsigned)x;
		else if (!strcmp(f, "--updates"))
			a->updates = (unsigned)x;
		else if (!strcmp(f, "--upserts"))
			a->upserts = (unsigned)x;
		else if (!strcmp(f, "--initial-capacity"))
			a->cap_log2 = (unsigned)x;
		else if (!strcmp(f, "--prefill"))
			a->prefill = (unsigned)x;
		else if (!strcmp(f, "--total-ops"))
			a->total_ops_pct = (unsigned)x;
		else if (!strcmp(f, "--num-threads"))
			a->threads = (unsigned)x;
		else if (!strcmp(f, "--seed"))
			a->seed = x;
		else if (!strcmp(f, "--batch"))
			a->batch = (unsigned)x;
		else if (!strcmp(f, "--rounds"))
			a->rounds = (unsigned)x;
		else if (!strcmp(f, "--repeat"))
			a->repeat = (unsigned)x;
		else if (!strcmp(f, "--tables")) {
			for (unsigned j = 0; j < IMPL_N; j++)
				a->use[j] = strstr(v, j == 0 ? "ours" : impl_name[j]) != NULL;
		} else
			return -1;
	}
	if (a->reads + a->inserts + a->erases + a->updates + a->upserts != 100 ||
	    a->prefill > 100 || a->threads < 1 || a->threads > 16 || a->batch < 1 ||
	    a->batch > 64 || a->cap_log2 < 4 || a->cap_log2 > 30 || a->rounds < 1 ||
	    a->repeat < 1)
		return -1;
	return 0;
}

static void init_dpdk(void)
{
	/* ../shared/PEERS.md's "--log-level=0" is rejected by DPDK 22.11
	 * (levels are 1..8); 1 keeps EAL quiet. --no-shconf and a per-process
	 * file prefix: concurrent benchmark processes do not collide. */
	char prefix[48];
	snprintf(prefix, sizeof(prefix), "--file-prefix=bench_table_%ld", (long)getpid());
	char *eal[] = { "bench_table", "--no-huge", "--no-pci", "-m", "1024",
	                "--log-level=1", "--no-telemetry", "--no-shconf", prefix, NULL };
	rte_ok = rte_eal_init(9, eal) >= 0;
	if (!rte_ok)
		printf("{\"bench\":\"table\",\"peer\":\"rte_hash\",\"skipped\":\"rte_eal_init failed\"}\n");
}

int main(int argc, char **argv)
{
	struct args a;
	int rc;
	if (argc > 1 && parse(argc, argv, &a) != 0) {
		fprintf(stderr, "usage: bench_table [--reads P --inserts P --erases P --updates P "
		        "--upserts P (sum 100)] [--initial-capacity LOG2] [--prefill P] "
		        "[--total-ops P] [--num-threads N] [--seed S] [--batch N] [--rounds R] [--repeat N] "
		        "[--tables ours,rte_hash,ck_ht]\n");
		return 2;
	}
	init_dpdk();
	if (argc > 1) {
		struct row r = { "custom", a };
		char metric[128];
		snprintf(metric, sizeof(metric), "r%u_i%u_e%u_u%u_up%u_2^%u_t%u_b%u", a.reads,
		         a.inserts, a.erases, a.updates, a.upserts, a.cap_log2, a.threads, a.batch);
		r.metric = metric;
		rc = run_rows(&r, 1, a.use);
	} else {
		bool use[IMPL_N] = { true, true, true };
		rc = run_matrix(use);
	}
	if (rte_ok == 1) {
		char dir[80];
		rte_eal_cleanup();
		/* EAL leaves its (empty, with --no-shconf) runtime directory */
		snprintf(dir, sizeof(dir), "/var/run/dpdk/bench_table_%ld", (long)getpid());
		(void)rmdir(dir);
	}
	return rc;
}
