/*
 * conntable.h — the connection table: a bucketized cuckoo hash table with
 * fixed-size keys and values, lock-free lookups and fine-grained locked
 * writers (LB-NIC, APSys'21, §3.2; Li et al., EuroSys'14 for the BFS cuckoo
 * path). Used by the front-end, the agent and, in single-threaded mode, the
 * switch model's exact-match tables.
 *
 * Pointers: a NULL table, key, value (when value_bytes > 0) or cursor is
 * L7_EINVAL (batch: 0 hits); output pointers documented "may be NULL" may.
 *
 * Invariants:
 *  - key size, value size and capacity are fixed at create time; all memory
 *    comes from one allocation in l7_table_create(); no operation allocates.
 *  - a key is stored at most once, in one of its two candidate buckets.
 *  - in L7_TABLE_CONCURRENT mode every function below except
 *    l7_table_create/destroy/clear may be called from any number of threads
 *    at once (see "Threads" below); in L7_TABLE_SINGLE_THREADED mode the
 *    caller serialises all calls and the table uses no atomic instructions.
 *
 * Threads (concurrent mode): lookups, batched lookups, touch and iteration
 * never take a lock (optimistic reads validated by per-bucket version
 * counters; see docs/table.md). Any number of writers (insert, update,
 * upsert, delete) may run at the same time: each step locks at most two
 * buckets. l7_table_expire() may run concurrently with all of the above but
 * only one thread at a time may call it (it owns the sweep cursor).
 *
 * Time: the table never reads a clock. Calls that create or refresh an
 * entry take now_ns; with ttl_ns > 0 an entry expires at now_ns + ttl_ns of
 * its last insert, update or lookup hit ("blind" refresh, LB-NIC §3.2).
 * Expired entries stay visible until l7_table_expire() removes them.
 */
#ifndef L7SPLICE_CONNTABLE_H
#define L7SPLICE_CONNTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l7splice/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest key: an IPv6 5-tuple is 16 + 16 + 2 + 2 + 1 = 37 bytes. */
#define L7_TABLE_KEY_MAX_BYTES 40u
/* Largest value. */
#define L7_TABLE_VALUE_MAX_BYTES 64u
/* Most keys one l7_table_lookup_batch() call takes (one hit_mask word). */
#define L7_TABLE_BATCH_MAX 64u
/* Deepest cuckoo path the insert search may use (moves per insert). */
#define L7_TABLE_DEPTH_MAX 8u
/* Default cuckoo path bound when the config leaves it 0. */
#define L7_TABLE_DEPTH_DEFAULT 5u

enum l7_table_mode {
	L7_TABLE_CONCURRENT = 0,      /* lock-free readers, striped-lock writers */
	L7_TABLE_SINGLE_THREADED = 1, /* one thread at a time; no atomics */
};

struct l7_table_config {
	uint32_t key_bytes;        /* 1 .. L7_TABLE_KEY_MAX_BYTES */
	uint32_t value_bytes;      /* 0 .. L7_TABLE_VALUE_MAX_BYTES (0: a set) */
	uint64_t capacity;         /* most entries; > 0. Slots are rounded up to
	                              a power-of-two number of buckets >= this */
	uint32_t slots_per_bucket; /* 4 or 8 */
	enum l7_table_mode mode;
	uint64_t seed;             /* hash seed (no hidden randomness) */
	l7_time_ns ttl_ns;         /* idle lifetime; 0: entries never expire and
	                              no expiry time is stored */
	uint32_t max_depth;        /* cuckoo path bound, 1 .. L7_TABLE_DEPTH_MAX;
	                              0 means L7_TABLE_DEPTH_DEFAULT */
};

struct l7_table;

/*
 * Counters. Writers keep them with relaxed atomic adds (concurrent mode), so
 * a snapshot taken while writers run is approximate but each counter is
 * monotonic. Lookup hits/misses are not counted: that would put a shared
 * write on the lock-free read path.
 */
struct l7_table_stats {
	uint64_t entries;          /* current number of entries */
	uint64_t capacity;         /* config capacity (most entries) */
	uint64_t slots;            /* buckets * slots_per_bucket */
	double load_factor;        /* entries / slots */
	uint64_t memory_bytes;     /* the one allocation */
	uint64_t inserts;          /* successful inserts (incl. upsert inserts) */
	uint64_t updates;          /* successful updates (incl. upsert updates) */
	uint64_t deletes;          /* successful deletes (not expiries) */
	uint64_t expired;          /* entries removed by l7_table_expire() */
	uint64_t cuckoo_moves;     /* entries displaced to their other bucket */
	uint64_t failed_inserts;   /* L7_ETABLEFULL: no path within max_depth */
	uint64_t full_rejects;     /* L7_EFULL: entries == capacity */
	uint64_t insert_retries;   /* stale cuckoo plans searched again */
	uint64_t lookup_retries;   /* optimistic reads that saw a version change */
	/* depth_hist[d]: inserts that needed a cuckoo path of d moves (0: a free
	 * slot in one of the two candidate buckets). */
	uint64_t depth_hist[L7_TABLE_DEPTH_MAX + 1];
};

/* Fill cfg with defaults: 8 slots/bucket, concurrent, seed 0, no TTL. */
void l7_table_config_init(struct l7_table_config *cfg, uint32_t key_bytes,
                          uint32_t value_bytes, uint64_t capacity);

/* Bytes l7_table_create() would allocate for cfg; 0 if cfg is invalid. */
size_t l7_table_memory_bytes(const struct l7_table_config *cfg);

/* Create a table; L7_EINVAL on a bad config, L7_ENOMEM if allocation fails. */
int l7_table_create(const struct l7_table_config *cfg, struct l7_table **out);
/* Free the table. No other call may be running. NULL is a no-op. */
void l7_table_destroy(struct l7_table *t);
/* Remove every entry (stats kept). No other call may be running. */
void l7_table_clear(struct l7_table *t);

/*
 * Copy the value of key into value_out (may be NULL: membership test).
 * 0 on a hit, L7_ENOENT on a miss. With ttl_ns > 0 a hit refreshes the
 * entry's expiry to now_ns + ttl_ns (approximately: see docs/table.md).
 * Lock-free (obstruction-free: retries only while a writer changes one of
 * the key's two buckets).
 */
int l7_table_lookup(struct l7_table *t, const void *key, void *value_out,
                    l7_time_ns now_ns);

/*
 * Look up n <= L7_TABLE_BATCH_MAX keys at once: hashes all and prefetches
 * their buckets before probing, so cache misses overlap. values_out holds n
 * values of value_bytes each (may be NULL); bit i of *hit_mask is set iff
 * keys[i] was found. Returns the number of hits (n > L7_TABLE_BATCH_MAX
 * returns 0 with *hit_mask 0). Same semantics per key as l7_table_lookup().
 */
unsigned l7_table_lookup_batch(struct l7_table *t, const void *const *keys,
                               unsigned n, void *values_out,
                               uint64_t *hit_mask, l7_time_ns now_ns);

/*
 * Insert a new key. 0 on success; L7_EEXIST if present (table unchanged);
 * L7_EFULL when entries == capacity; L7_ETABLEFULL when no cuckoo path of
 * at most max_depth moves frees a slot (table unchanged apart from
 * displaced entries, which stay findable).
 */
int l7_table_insert(struct l7_table *t, const void *key, const void *value,
                    l7_time_ns now_ns);

/* Replace the value of an existing key (refreshes its expiry).
 * 0, or L7_ENOENT if absent. */
int l7_table_update(struct l7_table *t, const void *key, const void *value,
                    l7_time_ns now_ns);

/* Insert or update. 0 on success, *inserted (may be NULL) says which;
 * the insert errors of l7_table_insert() otherwise. */
int l7_table_upsert(struct l7_table *t, const void *key, const void *value,
                    l7_time_ns now_ns, bool *inserted);

/* Remove key, copying its value to value_out (may be NULL) first.
 * 0, or L7_ENOENT if absent. */
int l7_table_delete(struct l7_table *t, const void *key, void *value_out);

/* Refresh key's expiry to now_ns + ttl_ns without reading the value.
 * 0, L7_ENOENT if absent. Lock-free like lookup. */
int l7_table_touch(struct l7_table *t, const void *key, l7_time_ns now_ns);

/*
 * Incremental expiry sweep: examine at most max_buckets buckets, starting
 * where the previous call stopped (wrapping around), and remove entries
 * whose expiry time is <= now_ns. Each removed entry's key is copied to
 * keys_out (max_out * key_bytes) and its value to values_out (max_out *
 * value_bytes; may be NULL). Stops early when max_out entries were
 * returned; the next call resumes in the same bucket. Returns the number
 * removed.
 * Bounded work: O(max_buckets * slots_per_bucket). Tables with ttl_ns == 0
 * return 0. One sweeping thread at a time (concurrent with everything else).
 */
size_t l7_table_expire(struct l7_table *t, l7_time_ns now_ns,
                       uint32_t max_buckets, void *keys_out, void *values_out,
                       size_t max_out);

/*
 * Control-plane iteration in slot order (deterministic for a given seed and
 * operation sequence). Start with *cursor = 0; each call returns the next
 * entry (0) or L7_ENOENT at the end. key_out (key_bytes), value_out and
 * expire_ns_out may be NULL. In concurrent mode it is weakly consistent:
 * an entry present during the whole walk is returned once, unless a
 * cuckoo move carries it across the cursor (it may then be missed or seen
 * twice); each returned key/value pair is consistent.
 */
int l7_table_next(struct l7_table *t, uint64_t *cursor, void *key_out,
                  void *value_out, l7_time_ns *expire_ns_out);

/* Snapshot of the counters. */
void l7_table_stats(const struct l7_table *t, struct l7_table_stats *out);

/* Current number of entries. */
uint64_t l7_table_count(const struct l7_table *t);
/* Geometry, fixed at create time. */
uint64_t l7_table_slots(const struct l7_table *t);
uint32_t l7_table_key_bytes(const struct l7_table *t);
uint32_t l7_table_value_bytes(const struct l7_table *t);

#ifdef __cplusplus
}
#endif
#endif
