/*
 * table_impl.h — private to src/table: the memory layout of the cuckoo
 * connection table and the synchronisation primitives every table file uses.
 *
 * Layout (one allocation, 64-byte aligned):
 *   struct l7_table | bucket headers[nbuckets] | slots[nbuckets * spb]
 * A bucket header (32 bytes, two per cache line) holds the bucket's writer
 * lock, its version counter and one 16-bit tag per slot (0 = empty slot).
 * A slot is slot_words 64-bit words: the key (zero-padded to whole words),
 * the value (zero-padded), then the expiry time when ttl_ns > 0.
 *
 * Invariants:
 *  - a slot is occupied iff its tag is non-zero; an entry with tag T in
 *    bucket B has its other candidate bucket tb_alt(B, T), so any entry with
 *    the same tag may be moved along the same cuckoo edge;
 *  - a bucket's version is odd exactly while a writer changes its tags or
 *    slots; writers hold the bucket's lock while it is odd;
 *  - in concurrent mode every access to shared table words is an atomic
 *    operation (relaxed unless stated), so the code is data-race free in the
 *    C11 sense and ThreadSanitizer checks it as written.
 *
 * Memory-ordering choice: the shared words are accessed through the
 * compiler's __atomic builtins — the C11 memory model operations that
 * <stdatomic.h> expands to — rather than ck_pr loads and fences, because
 * ck_pr is inline assembly that ThreadSanitizer cannot see (it would report
 * the plain accesses the fences order as races, or miss real ones), and no
 * standalone fences are used at all, because TSan does not model them
 * either (GCC rejects atomic_thread_fence under -fsanitize=thread): the
 * ordering is carried by acquire loads and release stores of the data
 * words themselves. The builtins work on plain uint64_t objects, so the
 * single-threaded mode uses ordinary loads and stores on the same layout.
 * On x86-64 an acquire load or release store is the same MOV that
 * ck_pr_load_64/ck_pr_store_64 emit.
 * Writer locks are Concurrency Kit ck_spinlock_fas (test-and-set with
 * ck_pr_stall backoff); under TSan each lock/unlock is annotated with
 * __tsan_acquire/__tsan_release so TSan knows the lock orders the writers.
 */
#ifndef L7_TABLE_IMPL_H
#define L7_TABLE_IMPL_H

#include <ck_pr.h>
#include <ck_spinlock.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "l7splice/conntable.h"

#define TB_INLINE static inline __attribute__((always_inline))
#define TB_KEY_WORDS_MAX (L7_TABLE_KEY_MAX_BYTES / 8u)
#define TB_VALUE_WORDS_MAX (L7_TABLE_VALUE_MAX_BYTES / 8u)
#define TB_SLOT_WORDS_MAX (TB_KEY_WORDS_MAX + TB_VALUE_WORDS_MAX + 1u)
/* BFS queue size: enough for a full 2-level fan-out of 8-slot buckets and
 * most of level 3; libcuckoo bounds its search similarly (a few hundred). */
#define TB_BFS_NODES 512u
/* Give up an insert after this many stale plans (only under heavy writer
 * contention on the same buckets). */
#define TB_PUT_ATTEMPTS 64u

#if defined(__SANITIZE_THREAD__)
#define TB_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TB_TSAN 1
#endif
#endif

#ifdef TB_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define tb_tsan_acquire(p) __tsan_acquire((void *)(p))
#define tb_tsan_release(p) __tsan_release((void *)(p))
#else
#define tb_tsan_acquire(p) ((void)0)
#define tb_tsan_release(p) ((void)0)
#endif

__extension__ typedef unsigned __int128 tb_u128;

struct tb_bucket {
	ck_spinlock_fas_t lock; /* writers only; readers never touch it */
	uint32_t version;       /* odd while a writer changes the bucket */
	uint64_t tags[2];       /* 16-bit tag per slot, 4 per word; 0 = empty */
	uint64_t pad;           /* 32 bytes: two headers per cache line */
};

/* The geometry the hot paths loop over. Passed BY VALUE to always-inline
 * helpers: lookups for common geometries pass a constant shape, so the
 * compiler unrolls the key/value/tag loops; other callers pass t->sh. */
struct tb_shape {
	uint32_t key_bytes, key_words, value_bytes, value_words;
	uint32_t tag_words, spb, slot_words;
};

/* Which specialised lookup code serves a table (set at create): the
 * constant 16-byte-key / 8-byte-value shapes when there is no TTL, else
 * the generic code. */
enum tb_kind {
	TB_KIND_GENERIC = 0,
	TB_KIND_16_8_S8_CONC,
	TB_KIND_16_8_S8_ST,
	TB_KIND_16_8_S4_CONC,
	TB_KIND_16_8_S4_ST,
};

struct tb_counters {
	uint64_t inserts, updates, deletes, expired;
	uint64_t cuckoo_moves, failed_inserts, full_rejects;
	uint64_t insert_retries, lookup_retries;
	uint64_t depth_hist[L7_TABLE_DEPTH_MAX + 1];
};

struct l7_table {
	/* read-only after create: shares no line with writer-updated words */
	struct tb_bucket *buckets;
	uint64_t *slots;
	uint64_t bucket_mask;
	uint64_t nbuckets;
	uint64_t capacity;
	uint64_t hash_k0, hash_k1, hash_k2;
	l7_time_ns ttl_ns;
	l7_time_ns ttl_slack_ns; /* a hit rewrites the expiry only if it would
	                            move by more than this (ttl/16) */
	size_t memory_bytes;
	void *mem;               /* the one allocation (free this) */
	uint32_t spb;            /* slots per bucket: 4 or 8 */
	uint32_t tag_words;      /* spb / 4 */
	uint32_t key_bytes, value_bytes;
	uint32_t key_words, value_words, slot_words;
	uint32_t exp_word;       /* index of the expiry word in a slot */
	uint32_t max_depth;
	bool conc;               /* concurrent mode */
	uint8_t kind;            /* enum tb_kind */
	uint32_t prefetch_slot_lines; /* a single lookup prefetches this many
	                                 lines of its primary bucket's slots
	                                 with the headers; 0 for tables that
	                                 fit in cache (conntable.c) */
	struct tb_shape sh;      /* the same geometry, for the *_g helpers */

	/* written by writers: own cache lines, away from the read-only part */
	uint64_t count __attribute__((aligned(64)));
	uint64_t sweep_bucket __attribute__((aligned(64)));
	struct tb_counters ctr __attribute__((aligned(64)));
};

/* ---------------------------------------------------------------- atomics
 * Slot, tag and expiry words. In concurrent mode every load is an acquire
 * load and every store a release store. Progress: wait-free. Ordering: this
 * is what makes the version protocol work WITHOUT standalone fences (which
 * ThreadSanitizer does not model, and GCC refuses under -fsanitize=thread):
 *  - a writer's release store of a slot word orders its earlier store of
 *    the odd version before it; a reader whose acquire load reads that
 *    word therefore sees the odd version (or a later one) when it re-loads
 *    the version, and rejects the read;
 *  - a reader's acquire loads keep its final version load after them.
 * On x86-64 (TSO) acquire loads and release stores are plain MOVs, the
 * same instructions as ck_pr_load_64/ck_pr_store_64: the ordering is free. */
TB_INLINE uint64_t tb_ld(const uint64_t *p, bool conc)
{
	return conc ? __atomic_load_n(p, __ATOMIC_ACQUIRE) : *p;
}

TB_INLINE void tb_st(uint64_t *p, uint64_t v, bool conc)
{
	if (conc)
		__atomic_store_n(p, v, __ATOMIC_RELEASE);
	else
		*p = v;
}

/* Expiry words take part in a Dekker-style handshake between a reader's
 * blind refresh and writers that copy or examine the expiry (see
 * tb_write_mark): sequentially consistent loads and stores. On x86-64 the
 * load is a MOV, the store an XCHG. */
TB_INLINE uint64_t tb_ld_exp(const uint64_t *p, bool conc)
{
	return conc ? __atomic_load_n(p, __ATOMIC_SEQ_CST) : *p;
}

TB_INLINE void tb_st_exp(uint64_t *p, uint64_t v, bool conc)
{
	if (conc)
		__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
	else
		*p = v;
}

/* Counter bump. Wait-free; relaxed (counters order nothing). */
TB_INLINE void tb_count(uint64_t *p, uint64_t n, bool conc)
{
	if (conc)
		__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
	else
		*p += n;
}

/* ---------------------------------------------------------------- readers
 * tb_read_begin: returns the bucket's version; an odd value means a writer
 * is inside and the caller must retry. Acquire: pairs with the release
 * store in tb_write_end, so after reading an even v every slot write of the
 * section that produced v is visible. Wait-free. */
TB_INLINE uint32_t tb_read_begin(const struct tb_bucket *b)
{
	return __atomic_load_n(&b->version, __ATOMIC_ACQUIRE);
}

/* tb_read_valid: true iff no writer entered the bucket since
 * tb_read_begin returned v. The slot loads in between were acquire loads,
 * so this load cannot be performed before them, and if any of them saw a
 * store made inside a write section, this load sees that section's odd
 * version or a later one (the seqlock argument of Boehm, "Can seqlocks get
 * along with programming language memory models?", MSPC 2012, with
 * acquire/release data accesses instead of fences). Wait-free. */
TB_INLINE bool tb_read_valid(const struct tb_bucket *b, uint32_t v)
{
	return __atomic_load_n(&b->version, __ATOMIC_RELAXED) == v;
}

/* ---------------------------------------------------------------- writers
 * tb_lock/tb_unlock: ck_spinlock_fas (test-and-set; lock is an atomic swap
 * followed by ck_pr_fence_lock = acquire; unlock is ck_pr_fence_unlock =
 * release then a store). Progress: blocking, deadlock-free because every
 * writer takes at most two bucket locks, in increasing bucket order. */
TB_INLINE void tb_lock(struct tb_bucket *b)
{
	ck_spinlock_fas_lock(&b->lock);
	tb_tsan_acquire(&b->lock);
}

TB_INLINE void tb_unlock(struct tb_bucket *b)
{
	tb_tsan_release(&b->lock);
	ck_spinlock_fas_unlock(&b->lock);
}

TB_INLINE void tb_lock2(struct l7_table *t, uint64_t a, uint64_t b)
{
	if (a == b) {
		tb_lock(&t->buckets[a]);
	} else {
		tb_lock(&t->buckets[a < b ? a : b]);
		tb_lock(&t->buckets[a < b ? b : a]);
	}
}

TB_INLINE void tb_unlock2(struct l7_table *t, uint64_t a, uint64_t b)
{
	tb_unlock(&t->buckets[a]);
	if (a != b)
		tb_unlock(&t->buckets[b]);
}

/* tb_write_mark: make the bucket's version odd before changing its slots
 * (caller holds its lock, so no other writer changes the version). The
 * slot stores that follow are release stores, which order this store
 * before them for any reader that sees them. With TTLs the store is
 * seq_cst: it pairs with the reader's seq_cst expiry store and version
 * re-load in tb_refresh (lookup.c) and this writer's seq_cst expiry loads
 * (tb_ld_exp), a Dekker pair — either the reader sees the odd version and
 * refreshes again, or this writer's expiry loads see the reader's store. */
TB_INLINE void tb_write_mark(const struct l7_table *t, struct tb_bucket *b)
{
	uint32_t v = __atomic_load_n(&b->version, __ATOMIC_RELAXED);
	if (t->ttl_ns)
		__atomic_store_n(&b->version, v + 1u, __ATOMIC_SEQ_CST);
	else
		__atomic_store_n(&b->version, v + 1u, __ATOMIC_RELAXED);
}

/* tb_write_end: version back to even. Release: every slot write of the
 * section is visible to a reader whose tb_read_begin (acquire) sees it. */
TB_INLINE void tb_write_end(struct tb_bucket *b)
{
	uint32_t v = __atomic_load_n(&b->version, __ATOMIC_RELAXED);
	__atomic_store_n(&b->version, v + 1u, __ATOMIC_RELEASE);
}

/* ---------------------------------------------------------------- hashing */
TB_INLINE uint64_t tb_mix(uint64_t a, uint64_t b)
{
	tb_u128 p = (tb_u128)a * b;
	return (uint64_t)p ^ (uint64_t)(p >> 64);
}

TB_INLINE uint16_t tb_tag(uint64_t h)
{
	uint16_t tag = (uint16_t)(h >> 48);
	return tag ? tag : 1u;
}

/* The other candidate bucket of an entry with this tag in bucket b
 * (partial-key cuckoo hashing, Fan et al. NSDI'13): an involution,
 * tb_alt(tb_alt(b, tag), tag) == b, computable from the tag alone. */
TB_INLINE uint64_t tb_alt_m(uint64_t bucket_mask, uint64_t b, uint16_t tag)
{
	return (b ^ ((uint64_t)tag * 0xc6a4a7935bd1e995ull >> 17)) & bucket_mask;
}

TB_INLINE uint64_t tb_alt(const struct l7_table *t, uint64_t b, uint16_t tag)
{
	return tb_alt_m(t->bucket_mask, b, tag);
}

/* Copy a caller key into words; the last word is zero-padded. Words past
 * key_words are never read. No library call: keys are copied per lookup. */
TB_INLINE void tb_key_words_g(struct tb_shape g, const void *key, uint64_t *kw)
{
	const unsigned char *p = key;
	uint32_t full = g.key_bytes / 8u, rem = g.key_bytes % 8u;
	for (uint32_t i = 0; i < full; i++)
		memcpy(&kw[i], p + 8u * i, 8);
	if (rem) {
		unsigned char *d = (unsigned char *)&kw[full];
		kw[full] = 0;
		for (uint32_t j = 0; j < rem; j++)
			d[j] = p[8u * full + j];
	}
}

TB_INLINE void tb_key_words(const struct l7_table *t, const void *key, uint64_t *kw)
{
	tb_key_words_g(t->sh, key, kw);
}

/* Seeded hash of a zero-padded key: one 64x64->128 multiply per 16 bytes,
 * folded, then one finishing multiply. Low bits pick the bucket, the top 16
 * bits make the tag, so the two are independent. */
TB_INLINE uint64_t tb_hash_g(const struct l7_table *t, struct tb_shape g, const uint64_t *kw)
{
	uint64_t h = t->hash_k0;
	uint32_t i = 0;
	for (; i + 1 < g.key_words; i += 2)
		h = tb_mix(kw[i] ^ h, kw[i + 1] ^ t->hash_k1);
	if (i < g.key_words)
		h = tb_mix(kw[i] ^ h, t->hash_k1 ^ 0x9e3779b97f4a7c15ull);
	return tb_mix(h ^ t->hash_k2, 0xd6e8feb86659fd93ull);
}

TB_INLINE uint64_t tb_hash(const struct l7_table *t, const uint64_t *kw)
{
	return tb_hash_g(t, t->sh, kw);
}

/* Copy value_bytes from padded words to the caller's unpadded buffer. */
TB_INLINE void tb_value_out_g(struct tb_shape g, void *out, const uint64_t *vw)
{
	unsigned char *d = out;
	uint32_t full = g.value_bytes / 8u, rem = g.value_bytes % 8u;
	for (uint32_t i = 0; i < full; i++)
		memcpy(d + 8u * i, &vw[i], 8);
	for (uint32_t j = 0; j < rem; j++)
		d[8u * full + j] = ((const unsigned char *)&vw[full])[j];
}

/* ---------------------------------------------------------------- slots */
/* The table's read-only addressing words, copied into a local by the hot
 * lookup paths: a local whose address never escapes is not reloaded after
 * each acquire load, as t->slots and t->buckets would be. */
struct tb_view {
	struct tb_bucket *buckets;
	uint64_t *slots;
	uint64_t bucket_mask;
	uint32_t prefetch_slot_lines;
};

TB_INLINE struct tb_view tb_view_of(const struct l7_table *t)
{
	return (struct tb_view){ t->buckets, t->slots, t->bucket_mask, t->prefetch_slot_lines };
}

TB_INLINE uint64_t *tb_vslot(struct tb_view v, struct tb_shape g, uint64_t b, uint32_t s)
{
	return v.slots + (b * g.spb + s) * g.slot_words;
}

TB_INLINE uint64_t *tb_slot_g(const struct l7_table *t, struct tb_shape g, uint64_t b, uint32_t s)
{
	return t->slots + (b * g.spb + s) * g.slot_words;
}

TB_INLINE uint64_t *tb_slot(const struct l7_table *t, uint64_t b, uint32_t s)
{
	return tb_slot_g(t, t->sh, b, s);
}

/* Bit 15 of each 16-bit lane of the result is set iff that lane of w equals
 * tag (exact per lane: no borrow crosses lanes). */
TB_INLINE uint64_t tb_match16(uint64_t w, uint16_t tag)
{
	const uint64_t low15 = 0x7fff7fff7fff7fffull;
	uint64_t x = w ^ (0x0001000100010001ull * tag);
	uint64_t y = (x & low15) + low15;
	return ~(y | x | low15);
}

TB_INLINE uint32_t tb_lane(uint64_t m)
{
	return (uint32_t)__builtin_ctzll(m) >> 4;
}

TB_INLINE uint16_t tb_get_tag(const struct l7_table *t, uint64_t b, uint32_t s)
{
	uint64_t w = tb_ld(&t->buckets[b].tags[s >> 2], t->conc);
	return (uint16_t)(w >> ((s & 3u) * 16u));
}

/* Set a slot's tag. Caller holds the bucket lock (only it writes tags). */
TB_INLINE void tb_set_tag(struct l7_table *t, uint64_t b, uint32_t s, uint16_t tag, bool conc)
{
	uint64_t *p = &t->buckets[b].tags[s >> 2];
	uint32_t sh = (s & 3u) * 16u;
	uint64_t w = tb_ld(p, conc);
	w = (w & ~(0xffffull << sh)) | ((uint64_t)tag << sh);
	tb_st(p, w, conc);
}

TB_INLINE bool tb_key_eq_g(struct tb_shape g, const uint64_t *slot, const uint64_t *kw, bool conc)
{
	uint64_t diff = 0;
	for (uint32_t i = 0; i < g.key_words; i++)
		diff |= tb_ld(&slot[i], conc) ^ kw[i];
	return diff == 0;
}

/* Bit 2s of the result is set iff slot s of bucket b holds tag (bit 2s+1
 * is set with it). 8-slot buckets compare all eight 16-bit tags in one SSE2
 * instruction; otherwise SWAR per 64-bit word. The tag words are read with
 * tb_ld (atomic in concurrent mode) before being combined. */
TB_INLINE uint32_t tb_vmatch(struct tb_view v, struct tb_shape g, uint64_t b, uint16_t tag,
                             bool conc)
{
	const struct tb_bucket *bk = &v.buckets[b];
#ifdef __SSE2__
	if (g.tag_words == 2) {
		__m128i w = _mm_set_epi64x((long long)tb_ld(&bk->tags[1], conc),
		                           (long long)tb_ld(&bk->tags[0], conc));
		__m128i eq = _mm_cmpeq_epi16(w, _mm_set1_epi16((short)tag));
		return (uint32_t)_mm_movemask_epi8(eq);
	}
#endif
	uint32_t r = 0;
	for (uint32_t j = 0; j < g.tag_words; j++) {
		uint64_t m = tb_match16(tb_ld(&bk->tags[j], conc), tag);
		while (m) {
			r |= 3u << (2u * (j * 4u + tb_lane(m)));
			m &= m - 1;
		}
	}
	return r;
}

TB_INLINE uint32_t tb_match_slots(const struct l7_table *t, struct tb_shape g, uint64_t b,
                                  uint16_t tag, bool conc)
{
	return tb_vmatch(tb_view_of(t), g, b, tag, conc);
}

/* Slot index of key (tag-filtered) in bucket b, or -1. Readers call it
 * inside a version-validated section; writers under the bucket lock. */
TB_INLINE int tb_find_g(const struct l7_table *t, struct tb_shape g, uint64_t b, uint16_t tag,
                        const uint64_t *kw, bool conc)
{
	uint32_t m = tb_match_slots(t, g, b, tag, conc);
	while (m) {
		uint32_t s = (uint32_t)__builtin_ctz(m) >> 1;
		if (tb_key_eq_g(g, tb_slot_g(t, g, b, s), kw, conc))
			return (int)s;
		m &= ~(3u << (2u * s));
	}
	return -1;
}

TB_INLINE int tb_find(const struct l7_table *t, uint64_t b, uint16_t tag, const uint64_t *kw, bool conc)
{
	return tb_find_g(t, t->sh, b, tag, kw, conc);
}

/* First empty slot of bucket b, or -1. */
TB_INLINE int tb_free_slot(const struct l7_table *t, uint64_t b, bool conc)
{
	const struct tb_bucket *bk = &t->buckets[b];
	for (uint32_t j = 0; j < t->tag_words; j++) {
		uint64_t m = tb_match16(tb_ld(&bk->tags[j], conc), 0);
		if (m)
			return (int)(j * 4u + tb_lane(m));
	}
	return -1;
}

/* Read a slot's value words (still padded) into tmp. */
TB_INLINE void tb_read_value_g(struct tb_shape g, const uint64_t *slot, uint64_t *tmp, bool conc)
{
	const uint64_t *v = slot + g.key_words;
	for (uint32_t i = 0; i < g.value_words; i++)
		tmp[i] = tb_ld(&v[i], conc);
}

/* Copy a slot's value words out to the caller's (unpadded) buffer. */
TB_INLINE void tb_copy_value(const struct l7_table *t, const uint64_t *slot, void *out, bool conc)
{
	uint64_t tmp[TB_VALUE_WORDS_MAX];
	tb_read_value_g(t->sh, slot, tmp, conc);
	tb_value_out_g(t->sh, out, tmp);
}

/* Functions shared between the table's files. */
int tb_lookup_hashed(struct l7_table *t, const uint64_t *kw, uint64_t h,
                     void *value_out, l7_time_ns now_ns);

#endif
