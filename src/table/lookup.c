/*
 * lookup.c — lock-free lookups (single and batched) and the blind TTL
 * refresh on a hit.
 *
 * Code paths: tables with a TTL run lookup_impl (and batch_impl); tables
 * without one run the leaner lookup_once / batch_nottl, which validate
 * exactly the same way with the reads arranged for speed (see their
 * comments and docs/table.md "Layout").
 *
 * Protocol (concurrent mode): per-bucket version counters, seqlock style.
 * A lookup reads the version of its primary bucket, probes it (tags, key,
 * value), and re-checks the version; on a miss it does the same for the
 * secondary bucket and then re-checks BOTH versions. Why it is
 * linearizable:
 *  - hit in bucket B: B's version was the same even value v before and
 *    after the reads, so no writer changed B in between and the key/value
 *    read were B's contents at every instant of that interval: linearize
 *    the lookup at the final version load.
 *  - miss: B1 was unchanged from its first version load to the final
 *    check, B2 from its first version load (later) to the final check; so
 *    both were unchanged together over [load of v2, final check]. A key can
 *    only be in B1 or B2, and every writer that moves a key between them
 *    changes both versions, so the key was absent at every instant of that
 *    interval: linearize there.
 * Progress: lock-free for the table as a whole (a retry happens only
 * because a writer completed or is completing a change to the key's
 * buckets); a reader never blocks a writer.
 *
 * Why not LB-NIC's read-key / read-value / re-check-key scheme: it relies on
 * values being immutable while a key sits in a slot. This table supports
 * in-place update and delete-then-reinsert of the same key with a new
 * value, where re-checking the key cannot detect a value torn by an update
 * (same key before and after). Versions detect any change.
 */
#include "table_impl.h"

/*
 * Blind TTL refresh of the entry a validated read found at (b, s) with
 * version v, whose stored expiry (read inside the validated section) was
 * old_exp. The store takes no lock (LB-NIC §3.2). Then the version is
 * re-loaded: store and load are seq_cst, a Dekker pair with the writers'
 * seq_cst odd-version store and expiry loads (tb_write_mark): if the
 * version did not change, any writer that later copies or examines this
 * entry's expiry sees our store. If it changed, the store may have hit a
 * moved or removed entry (a harmless, spurious refresh of whatever is in
 * that slot now) and we return false so the caller refreshes again by key.
 * Wait-free.
 */
static bool tb_refresh(struct l7_table *t, uint64_t b, uint32_t s, uint32_t v,
                       uint64_t old_exp, l7_time_ns now_ns, bool conc)
{
	uint64_t exp = now_ns + t->ttl_ns;
	if (old_exp + t->ttl_slack_ns >= exp)
		return true; /* approximate: already within ttl/16 of exact */
	tb_st_exp(&tb_slot(t, b, s)[t->exp_word], exp, conc);
	if (!conc)
		return true;
	return __atomic_load_n(&t->buckets[b].version, __ATOMIC_SEQ_CST) == v;
}

/* One validated probe of bucket b. Returns 1 hit, 0 miss (both validated
 * when conc: *vout holds the version the result is valid for), -1 retry. */
static inline __attribute__((always_inline)) int
probe(struct l7_table *t, struct tb_shape g, uint64_t b, uint16_t tag, const uint64_t *kw,
      uint64_t *value_out, int *slot_out, uint32_t *vout, uint64_t *exp_out, bool conc)
{
	const struct tb_bucket *bk = &t->buckets[b];
	uint32_t v = 0;
	if (conc) {
		v = tb_read_begin(bk);
		if (v & 1u)
			return -1;
	}
	int s = tb_find_g(t, g, b, tag, kw, conc);
	if (s >= 0) {
		const uint64_t *slot = tb_slot_g(t, g, b, (uint32_t)s);
		if (value_out)
			tb_read_value_g(g, slot, value_out, conc);
		if (t->ttl_ns)
			*exp_out = tb_ld_exp(&slot[g.key_words + g.value_words], conc);
		if (conc && !tb_read_valid(bk, v))
			return -1;
	}
	*slot_out = s;
	*vout = v;
	return s >= 0;
}

static inline __attribute__((always_inline)) int
lookup_impl(struct l7_table *t, struct tb_shape g, const uint64_t *kw, uint64_t h,
            void *value_out, l7_time_ns now_ns, bool conc)
{
	uint64_t b1 = h & t->bucket_mask;
	uint16_t tag = tb_tag(h);
	uint64_t b2 = tb_alt(t, b1, tag);
	/* start the secondary header's miss now, in parallel with the primary's:
	 * at high load a third of the keys live there, and misses need both */
	__builtin_prefetch(&t->buckets[b2], 0, 3);
	bool hit_done = false; /* a hit was linearized; only its refresh is left */
	uint64_t vtmp[TB_VALUE_WORDS_MAX];
	uint64_t *vdst = value_out ? vtmp : NULL; /* caller's buffer only on a hit */
	for (;;) {
		int s;
		uint32_t v1, v2 = 0;
		uint64_t exp = 0;
		int r = probe(t, g, b1, tag, kw, vdst, &s, &v1, &exp, conc);
		if (r < 0)
			goto retry;
		uint64_t hb = b1;
		uint32_t hv = v1;
		if (r == 0 && b2 != b1) {
			r = probe(t, g, b2, tag, kw, vdst, &s, &v2, &exp, conc);
			if (r < 0)
				goto retry;
			hb = b2;
			hv = v2;
		}
		if (r == 0) {
			/* miss: both buckets unchanged since their first version load */
			if (conc && b2 != b1 && !tb_read_valid(&t->buckets[b2], v2))
				goto retry;
			if (conc && !tb_read_valid(&t->buckets[b1], v1))
				goto retry;
			/* after a linearized hit the entry was removed meanwhile: the
			 * lookup still hit (at its earlier linearization point) */
			return hit_done ? 0 : L7_ENOENT;
		}
		if (t->ttl_ns && !tb_refresh(t, hb, (uint32_t)s, hv, exp, now_ns, conc)) {
			/* the bucket changed under the blind store: redo the refresh
			 * against the entry's current position (value already out) */
			if (vdst)
				tb_value_out_g(g, value_out, vtmp);
			hit_done = true;
			vdst = NULL;
			tb_count(&t->ctr.lookup_retries, 1, conc);
			continue;
		}
		if (vdst)
			tb_value_out_g(g, value_out, vtmp);
		return 0;
retry:
		tb_count(&t->ctr.lookup_retries, 1, conc);
		ck_pr_stall();
	}
}

int tb_lookup_hashed(struct l7_table *t, const uint64_t *kw, uint64_t h,
                     void *value_out, l7_time_ns now_ns)
{
	if (t->conc)
		return lookup_impl(t, t->sh, kw, h, value_out, now_ns, true);
	return lookup_impl(t, t->sh, kw, h, value_out, now_ns, false);
}

/*
 * Lookup in a table without TTLs: the hot path, kept lean (no expiry, no
 * refresh, no bookkeeping of a linearized hit). Same protocol as
 * lookup_impl, with one difference in where the odd-version check sits:
 * the probe starts without waiting for the version load, and a version
 * that was odd at read_begin fails validation (tb_read_ok) like a changed
 * one. That keeps the version load off the critical path of the probe.
 */
TB_INLINE bool tb_read_ok(const struct tb_bucket *b, uint32_t v)
{
	return ((__atomic_load_n(&b->version, __ATOMIC_RELAXED) ^ v) | (v & 1u)) == 0;
}

/* Probe the tag candidates m of bucket b for kw; on a key match copy the
 * value words to vw and return true. Reads are validated by the caller. */
TB_INLINE bool probe_cands(struct tb_view v, struct tb_shape g, uint64_t b, uint32_t m,
                           const uint64_t *kw, uint64_t *vw, bool conc)
{
	while (m) {
		uint32_t s = (uint32_t)__builtin_ctz(m) >> 1;
		const uint64_t *slot = tb_vslot(v, g, b, s);
		if (tb_key_eq_g(g, slot, kw, conc)) {
			tb_read_value_g(g, slot, vw, conc);
			return true;
		}
		m &= ~(3u << (2u * s));
	}
	return false;
}

/* One validated attempt: 1 hit (value words in vw), 0 miss, -1 retry. */
TB_INLINE int attempt_nottl(struct tb_view v, struct tb_shape g, const uint64_t *kw, uint64_t h,
                            uint64_t *vw, bool conc)
{
	uint64_t b1 = h & v.bucket_mask;
	uint16_t tag = tb_tag(h);
	uint64_t b2 = tb_alt_m(v.bucket_mask, b1, tag);
	const struct tb_bucket *k1 = &v.buckets[b1], *k2 = &v.buckets[b2];
	/* the secondary header's miss in parallel with the primary's */
	__builtin_prefetch(k2, 0, 3);
	uint32_t v1 = conc ? tb_read_begin(k1) : 0;
	if (probe_cands(v, g, b1, tb_vmatch(v, g, b1, tag, conc), kw, vw, conc))
		return !conc || tb_read_ok(k1, v1) ? 1 : -1;
	if (b2 != b1) {
		uint32_t v2 = conc ? tb_read_begin(k2) : 0;
		bool hit = probe_cands(v, g, b2, tb_vmatch(v, g, b2, tag, conc), kw, vw, conc);
		if (conc && !tb_read_ok(k2, v2))
			return -1;
		if (hit)
			return 1;
	}
	return !conc || tb_read_ok(k1, v1) ? 0 : -1;
}

TB_INLINE int lookup_nottl(struct l7_table *t, struct tb_shape g, const uint64_t *kw, uint64_t h,
                           void *value_out, bool conc)
{
	struct tb_view v = tb_view_of(t);
	uint64_t vw[TB_VALUE_WORDS_MAX];
	int r;
	while ((r = attempt_nottl(v, g, kw, h, vw, conc)) < 0) {
		tb_count(&t->ctr.lookup_retries, 1, conc);
		ck_pr_stall();
	}
	if (r && value_out)
		tb_value_out_g(g, value_out, vw);
	return r ? 0 : L7_ENOENT;
}

/* The retry loop, out of line: a contended or torn read is rare, and
 * keeping the loop out of the fast path keeps that path free of the
 * register saves the loop would need. */
static __attribute__((noinline)) int lookup_retry(struct l7_table *t, const uint64_t *kw,
                                                  uint64_t h, void *value_out)
{
	tb_count(&t->ctr.lookup_retries, 1, t->conc);
	if (t->conc)
		return lookup_nottl(t, t->sh, kw, h, value_out, true);
	return lookup_nottl(t, t->sh, kw, h, value_out, false);
}

/* The same from the caller's key: the single lookup's key words then never
 * have their address taken, so they stay in registers (a stack copy made
 * with one 16-byte load of a key the caller just wrote with two 8-byte
 * stores defeats store forwarding: measured 2-3x slower lookups). */
static __attribute__((noinline)) int lookup_retry_key(struct l7_table *t, const void *key,
                                                      void *value_out)
{
	uint64_t kw[TB_KEY_WORDS_MAX];
	tb_key_words(t, key, kw);
	return lookup_retry(t, kw, tb_hash(t, kw), value_out);
}

/* The full lookup from the caller's key, out of line, for what the
 * branch-free first attempt below does not settle. */
static __attribute__((noinline)) int lookup_slow_key(struct l7_table *t, const void *key,
                                                     void *value_out)
{
	uint64_t kw[TB_KEY_WORDS_MAX];
	tb_key_words(t, key, kw);
	if (t->conc)
		return lookup_nottl(t, t->sh, kw, tb_hash(t, kw), value_out, true);
	return lookup_nottl(t, t->sh, kw, tb_hash(t, kw), value_out, false);
}

/*
 * First attempt of a single lookup, straight-line: load both versions,
 * match both buckets' tags (both headers are needed for a miss anyway, and
 * the second load overlaps the first), take the first candidate — primary
 * bucket first; 13 % of the keys of a 90 %-full 8-slot table live in their
 * secondary, measured with 16-byte random keys — and compare its key. A
 * hit on it is validated against the version of the bucket it was found
 * in (loaded before that bucket's tags, as in attempt_nottl). No candidate
 * in either bucket is a miss once both versions validate. Everything else
 * — the first candidate is a tag collision, a version changed — goes to
 * the full probe loop (out of line), which redoes the whole validated
 * lookup. Compared with probing the primary and then the secondary, this
 * measured 8-15 % faster in cache (same-core A/B runs).
 */
enum { FAST_HIT = 1, FAST_MISS = 0, FAST_FULL = -1, FAST_RETRY = -2 };

/* The attempt described above on hashed key words: FAST_HIT (value words
 * in vw), FAST_MISS, FAST_FULL (a collision or a candidate that is not
 * the key: run the full lookup) or FAST_RETRY (a version changed). */
TB_INLINE int attempt_fast_b(struct tb_view v, struct tb_shape g, const uint64_t *kw, uint64_t b1,
                             uint64_t b2, uint16_t tag, uint64_t *vw, bool conc)
{
	const struct tb_bucket *k1 = &v.buckets[b1], *k2 = &v.buckets[b2];
	uint32_t v1 = conc ? tb_read_begin(k1) : 0, v2 = conc ? tb_read_begin(k2) : 0;
	uint32_t m1 = tb_vmatch(v, g, b1, tag, conc), m2 = tb_vmatch(v, g, b2, tag, conc);
	if ((m1 | m2) == 0) {
		if (conc && !(tb_read_ok(k1, v1) && tb_read_ok(k2, v2)))
			return FAST_RETRY;
		return FAST_MISS;
	}
	/* primary first. GCC compiles this to a branch (taken for the 13 %
	 * of keys in their secondary); selecting with masks instead measured
	 * no faster and costs ~10 instructions more per lookup */
	bool first = m1 != 0;
	uint64_t b = first ? b1 : b2;
	uint32_t m = first ? m1 : m2;
	uint32_t vb = first ? v1 : v2;
	const uint64_t *slot = tb_vslot(v, g, b, (uint32_t)__builtin_ctz(m) >> 1);
	if (!tb_key_eq_g(g, slot, kw, conc))
		return FAST_FULL;
	tb_read_value_g(g, slot, vw, conc);
	if (conc && !tb_read_ok(&v.buckets[b], vb))
		return FAST_RETRY;
	return FAST_HIT;
}

TB_INLINE int attempt_fast(struct tb_view v, struct tb_shape g, const uint64_t *kw, uint64_t h,
                           uint64_t *vw, bool conc)
{
	uint64_t b1 = h & v.bucket_mask;
	uint16_t tag = tb_tag(h);
	return attempt_fast_b(v, g, kw, b1, tb_alt_m(v.bucket_mask, b1, tag), tag, vw, conc);
}

TB_INLINE int lookup_once(struct l7_table *t, struct tb_shape g, const void *key,
                          void *value_out, bool conc)
{
	const struct tb_view v = tb_view_of(t);
	uint64_t kw[TB_KEY_WORDS_MAX], vw[TB_VALUE_WORDS_MAX];
	tb_key_words_g(g, key, kw);
	uint64_t h = tb_hash_g(t, g, kw);
	if (v.prefetch_slot_lines) {
		/* out-of-cache table: fetch the primary's slots together with the
		 * headers instead of after the tag match (87 % of the keys live
		 * there), so a hit waits for one miss instead of two in a row */
		const char *sl = (const char *)tb_vslot(v, g, h & v.bucket_mask, 0);
		for (uint32_t i = 0; i < v.prefetch_slot_lines; i++)
			__builtin_prefetch(sl + 64u * i, 0, 3);
	}
	switch (attempt_fast(v, g, kw, h, vw, conc)) {
	case FAST_HIT:
		if (value_out)
			tb_value_out_g(g, value_out, vw);
		return 0;
	case FAST_MISS:
		return L7_ENOENT;
	case FAST_FULL:
		return lookup_slow_key(t, key, value_out);
	default:
		return lookup_retry_key(t, key, value_out);
	}
}

static inline __attribute__((always_inline)) int
lookup_key(struct l7_table *t, struct tb_shape g, const void *key, void *value_out,
           l7_time_ns now_ns, bool conc)
{
	uint64_t kw[TB_KEY_WORDS_MAX];
	if (!t->ttl_ns)
		return lookup_once(t, g, key, value_out, conc);
	tb_key_words_g(g, key, kw);
	return lookup_impl(t, g, kw, tb_hash_g(t, g, kw), value_out, now_ns, conc);
}

/* Constant shapes of the common geometries (16-byte keys such as an IPv4
 * 5-tuple padded or a pair of ids, 8-byte values): the compiler unrolls
 * every key, value and tag loop for them. t->kind says which applies. */
#define SHAPE_16_8(spb) ((struct tb_shape){ 16, 2, 8, 1, (spb) / 4u, (spb), 3 })

/* One out-of-line function per specialised kind and one generic: each is
 * small and needs no stack realignment or spills of the others' paths;
 * l7_table_lookup tail-calls the table's. */
#define TB_LOOKUP_FN(name, shape, conc)                                               \
	static __attribute__((noinline)) int name(struct l7_table *t, const void *key, \
	                                          void *value_out)                   \
	{                                                                             \
		return lookup_once(t, shape, key, value_out, conc);                    \
	}
TB_LOOKUP_FN(lookup_16_8_s8_conc, SHAPE_16_8(8), true)
TB_LOOKUP_FN(lookup_16_8_s8_st, SHAPE_16_8(8), false)
TB_LOOKUP_FN(lookup_16_8_s4_conc, SHAPE_16_8(4), true)
TB_LOOKUP_FN(lookup_16_8_s4_st, SHAPE_16_8(4), false)

static __attribute__((noinline)) int lookup_generic(struct l7_table *t, const void *key,
                                                    void *value_out, l7_time_ns now_ns)
{
	if (t->conc)
		return lookup_key(t, t->sh, key, value_out, now_ns, true);
	return lookup_key(t, t->sh, key, value_out, now_ns, false);
}

int l7_table_lookup(struct l7_table *t, const void *key, void *value_out,
                    l7_time_ns now_ns)
{
	if (!t || !key)
		return L7_EINVAL;
	switch (t->kind) {
	case TB_KIND_16_8_S8_CONC:
		return lookup_16_8_s8_conc(t, key, value_out);
	case TB_KIND_16_8_S8_ST:
		return lookup_16_8_s8_st(t, key, value_out);
	case TB_KIND_16_8_S4_CONC:
		return lookup_16_8_s4_conc(t, key, value_out);
	case TB_KIND_16_8_S4_ST:
		return lookup_16_8_s4_st(t, key, value_out);
	default:
		return lookup_generic(t, key, value_out, now_ns);
	}
}

int l7_table_touch(struct l7_table *t, const void *key, l7_time_ns now_ns)
{
	return l7_table_lookup(t, key, NULL, now_ns);
}

/*
 * Batched lookup of tables WITH a TTL (tables without one use batch_nottl
 * below), software-pipelined so the cache misses of different keys
 * overlap instead of queueing one after another. Each key goes through
 * three stages, TB_BATCH_AHEAD keys apart:
 *  A. copy and hash the key, prefetch both candidate bucket headers;
 *  B. read the headers' tags and prefetch the slots whose tag matches;
 *  C. run the ordinary validated lookup, which now hits the cache.
 * Keeping a fixed distance (rather than prefetching the whole batch at once)
 * keeps the number of outstanding misses near what the core can track.
 * Stage B reads are only hints: stage C re-reads everything under the
 * version protocol, so the result per key is exactly l7_table_lookup's.
 */
#ifndef TB_BATCH_AHEAD
#define TB_BATCH_AHEAD 6u
#endif

/* Stage B: prefetch the slot lines the tags point at (primary bucket; the
 * secondary only when the primary has no candidate). */
static inline __attribute__((always_inline)) void
stage_b(const struct l7_table *t, struct tb_shape g, uint64_t b1, uint64_t b2, uint16_t tag,
        bool conc)
{
	uint64_t b = b1;
	uint32_t m = tb_match_slots(t, g, b1, tag, conc);
	if (!m) {
		b = b2;
		m = tb_match_slots(t, g, b2, tag, conc);
	}
	if (m) {
		/* a slot may straddle two cache lines: fetch both ends */
		const uint64_t *sl = tb_slot_g(t, g, b, (uint32_t)__builtin_ctz(m) >> 1);
		__builtin_prefetch(sl, 0, 3);
		__builtin_prefetch(sl + g.slot_words - 1, 0, 3);
	}
}

static inline __attribute__((always_inline)) unsigned
batch_impl(struct l7_table *t, struct tb_shape g, const void *const *keys, unsigned n,
           void *values_out, uint64_t *hit_mask, l7_time_ns now_ns, bool conc)
{
	uint64_t kw[L7_TABLE_BATCH_MAX][TB_KEY_WORDS_MAX];
	uint64_t hs[L7_TABLE_BATCH_MAX], b2s[L7_TABLE_BATCH_MAX];
	uint64_t mask = 0;
	unsigned hits = 0;
	char *vo = values_out;
	for (unsigned i = 0; i < n + 2 * TB_BATCH_AHEAD; i++) {
		if (i < n) {
			tb_key_words_g(g, keys[i], kw[i]);
			uint64_t h = tb_hash_g(t, g, kw[i]);
			uint64_t b1 = h & t->bucket_mask;
			hs[i] = h;
			b2s[i] = tb_alt(t, b1, tb_tag(h));
			__builtin_prefetch(&t->buckets[b1], 0, 3);
			__builtin_prefetch(&t->buckets[b2s[i]], 0, 3);
		}
		if (i >= TB_BATCH_AHEAD && i - TB_BATCH_AHEAD < n) {
			unsigned k = i - TB_BATCH_AHEAD;
			stage_b(t, g, hs[k] & t->bucket_mask, b2s[k], tb_tag(hs[k]), conc);
		}
		if (i >= 2 * TB_BATCH_AHEAD) {
			unsigned k = i - 2 * TB_BATCH_AHEAD;
			void *out = vo ? vo + (size_t)k * g.value_bytes : NULL;
			if (lookup_impl(t, g, kw[k], hs[k], out, now_ns, conc) == 0) {
				mask |= 1ull << k;
				hits++;
			}
		}
	}
	*hit_mask = mask;
	return hits;
}

/*
 * Batched lookup without TTLs. Each key's work is done once and carried
 * from stage to stage; every stage runs over a whole group of keys (see
 * TB_BATCH_GROUP) before the next starts, so the group's cache misses
 * overlap:
 *  A.  copy and hash the key, prefetch the primary bucket's header;
 *  B.  load the primary's version, match its tags (SIMD), and prefetch the
 *      first candidate's slot — or, when the primary has no candidate, the
 *      secondary's header (most keys live in their primary bucket, so most
 *      keys cost two lines, not three);
 *  B2. for those keys, load the secondary's version, match its tags and
 *      prefetch its candidate's slot;
 *  C.  compare keys, read the value, validate the versions loaded before.
 * Each version is loaded before its bucket's tags and validated after the
 * slot reads, so a stage-C result is exactly a validated attempt_nottl
 * whose reads happened to be spread over the stages (a hit validates its
 * bucket; a miss validates both, after loading both: the interval argument
 * of lookup_impl does not care which version was loaded first). A key whose
 * validation fails — a writer touched a bucket in between — is redone by
 * the ordinary lookup.
 */
struct bstate {
	uint64_t kw[TB_KEY_WORDS_MAX];
	uint64_t h, b2;
	uint32_t v1, v2, m1, m2;
	bool have2; /* v2/m2 loaded */
};

TB_INLINE void nt_stage_a(struct tb_view v, const struct l7_table *t, struct tb_shape g,
                          const void *key, struct bstate *st)
{
	tb_key_words_g(g, key, st->kw);
	uint64_t h = tb_hash_g(t, g, st->kw);
	uint64_t b1 = h & v.bucket_mask;
	st->h = h;
	st->b2 = tb_alt_m(v.bucket_mask, b1, tb_tag(h));
	__builtin_prefetch(&v.buckets[b1], 0, 3);
}

TB_INLINE void prefetch_slot(struct tb_view v, struct tb_shape g, uint64_t b, uint32_t m)
{
	/* a slot may straddle two cache lines: fetch both ends */
	const uint64_t *sl = tb_vslot(v, g, b, (uint32_t)__builtin_ctz(m) >> 1);
	__builtin_prefetch(sl, 0, 3);
	__builtin_prefetch(sl + g.slot_words - 1, 0, 3);
}

TB_INLINE void load2(struct tb_view v, struct tb_shape g, struct bstate *st, bool conc)
{
	st->v2 = conc ? tb_read_begin(&v.buckets[st->b2]) : 0;
	st->m2 = tb_vmatch(v, g, st->b2, tb_tag(st->h), conc);
	st->have2 = true;
}

TB_INLINE void nt_stage_b(struct tb_view v, struct tb_shape g, struct bstate *st, bool conc)
{
	uint64_t b1 = st->h & v.bucket_mask;
	st->v1 = conc ? tb_read_begin(&v.buckets[b1]) : 0;
	st->m1 = tb_vmatch(v, g, b1, tb_tag(st->h), conc);
	st->have2 = false;
	if (st->m1)
		prefetch_slot(v, g, b1, st->m1);
	else if (st->b2 != b1)
		__builtin_prefetch(&v.buckets[st->b2], 0, 3);
}

/* Stage B2: for keys with no candidate in their primary bucket, the
 * secondary's header has arrived: match it and prefetch its slot. */
TB_INLINE void nt_stage_b2(struct tb_view v, struct tb_shape g, struct bstate *st, bool conc)
{
	if (st->m1 || st->b2 == (st->h & v.bucket_mask))
		return;
	load2(v, g, st, conc);
	if (st->m2)
		prefetch_slot(v, g, st->b2, st->m2);
}

/* Returns 1 hit, 0 miss (validated), -1 when the reads must be redone. */
TB_INLINE int nt_stage_c(struct tb_view v, struct tb_shape g, struct bstate *st, uint64_t *vw,
                         bool conc)
{
	uint64_t b1 = st->h & v.bucket_mask;
	const struct tb_bucket *k1 = &v.buckets[b1], *k2 = &v.buckets[st->b2];
	if (probe_cands(v, g, b1, st->m1, st->kw, vw, conc))
		return !conc || tb_read_ok(k1, st->v1) ? 1 : -1;
	if (st->b2 != b1) {
		if (!st->have2)
			load2(v, g, st, conc);
		if (probe_cands(v, g, st->b2, st->m2, st->kw, vw, conc))
			return !conc || tb_read_ok(k2, st->v2) ? 1 : -1;
		if (conc && !tb_read_ok(k2, st->v2))
			return -1;
	}
	return !conc || tb_read_ok(k1, st->v1) ? 0 : -1;
}

TB_INLINE uint64_t finish_key(struct l7_table *t, struct tb_view v, struct tb_shape g,
                              struct bstate *st, char *vo, unsigned k, bool conc)
{
	uint64_t vw[TB_VALUE_WORDS_MAX];
	int r = nt_stage_c(v, g, st, vw, conc);
	if (__builtin_expect(r < 0, 0))
		return lookup_retry(t, st->kw, st->h, vo ? vo + (size_t)k * g.value_bytes : NULL) == 0;
	if (r && vo)
		tb_value_out_g(g, vo + (size_t)k * g.value_bytes, vw);
	return (uint64_t)r;
}

/* Keys per group: each stage runs over a whole group before the next
 * stage starts, so a group's misses are all in flight together (the
 * structure of rte_hash's bulk lookup). Measured on this VM at 2^24 slots
 * (docs/table.md): whole batches of 32 beat groups of 8 or 16 and a
 * rolling pipeline with a fixed distance, whose fill and drain cover most
 * of a 32-key batch. */
#ifndef TB_BATCH_GROUP
#define TB_BATCH_GROUP L7_TABLE_BATCH_MAX
#endif

/*
 * Batch for tables that fit in cache: the staged pipeline's bookkeeping
 * costs more than the L2/L3 latency it hides there. Hash every key and
 * prefetch both its headers, then run the single lookup's branch-free
 * attempt on each key (headers in L1 by then; the slot loads of
 * consecutive keys are independent, so the core overlaps them).
 *
 * In cache the cost is instructions (both this and rte_hash's bulk lookup
 * retire ~3-4 per cycle here, so the time ratio follows the instruction
 * ratio), so the per-key bookkeeping is kept minimal: the NULL-key check
 * rides in the hashing loop (that loop has no side effects but prefetches,
 * so bailing out of it leaves nothing half done), values go straight to
 * the caller's array (or a scratch slot when it passed NULL, so there is
 * no per-key NULL test), a hit sets its mask bit with one instruction, and the slow paths
 * rehash from the caller's key instead of the hash being kept per key.
 * Returns false (nothing looked up) if a key is NULL. The per-key state is
 * one array of structs (one base register, not one per field: the loop
 * otherwise spilled the field arrays' bases to the stack).
 */
struct ckey {
	uint64_t kw[TB_KEY_WORDS_MAX];
	uint64_t b1, b2;
	uint64_t tag;
};

/* The probing pass of batch_cached. step is value_bytes, or 0 when the
 * caller wants no values (every value then lands in one scratch slot):
 * always a constant in the inlined copies, so the loop keeps no stride in
 * a register and tests no NULL per key. */
TB_INLINE uint64_t cached_probe(struct l7_table *t, struct tb_view v, struct tb_shape g,
                                const struct ckey *st, const void *const *keys, unsigned n,
                                void *values_out, size_t step, bool conc)
{
	char *out = values_out;
	uint64_t mask = 0;
	for (unsigned i = 0; i < n; i++, out += step) {
		uint64_t vw[TB_VALUE_WORDS_MAX];
		int r = attempt_fast_b(v, g, st[i].kw, st[i].b1, st[i].b2, st[i].tag, vw, conc);
		if (__builtin_expect(r == FAST_HIT, 1)) {
			tb_value_out_g(g, out, vw);
			mask |= 1ull << i;
		} else if (r == FAST_FULL) {
			mask |= (uint64_t)(lookup_slow_key(t, keys[i], out) == 0) << i;
		} else if (r == FAST_RETRY) {
			mask |= (uint64_t)(lookup_retry_key(t, keys[i], out) == 0) << i;
		}
	}
	return mask;
}

static inline __attribute__((always_inline)) bool
batch_cached(struct l7_table *t, struct tb_shape g, const void *const *keys, unsigned n,
             void *values_out, uint64_t *hit_mask, bool conc)
{
	const struct tb_view v = tb_view_of(t);
	struct ckey st[L7_TABLE_BATCH_MAX];
	uint64_t scratch[TB_VALUE_WORDS_MAX];
	for (unsigned i = 0; i < n; i++) {
		const void *key = keys[i];
		if (__builtin_expect(!key, 0))
			return false;
		tb_key_words_g(g, key, st[i].kw);
		uint64_t h = tb_hash_g(t, g, st[i].kw);
		uint64_t b1 = h & v.bucket_mask;
		uint16_t tag = tb_tag(h);
		uint64_t b2 = tb_alt_m(v.bucket_mask, b1, tag);
		st[i].b1 = b1;
		st[i].b2 = b2;
		st[i].tag = tag;
		__builtin_prefetch(&v.buckets[b1], 0, 3);
		__builtin_prefetch(&v.buckets[b2], 0, 3);
	}
	if (values_out)
		*hit_mask = cached_probe(t, v, g, st, keys, n, values_out, g.value_bytes, conc);
	else
		*hit_mask = cached_probe(t, v, g, st, keys, n, scratch, 0, conc);
	return true;
}

static inline __attribute__((always_inline)) unsigned
batch_nottl(struct l7_table *t, struct tb_shape g, const void *const *keys, unsigned n,
            void *values_out, uint64_t *hit_mask, bool conc)
{
	if (!t->prefetch_slot_lines) {
		if (!batch_cached(t, g, keys, n, values_out, hit_mask, conc)) {
			*hit_mask = 0;
			return 0;
		}
		return (unsigned)__builtin_popcountll(*hit_mask);
	}
	for (unsigned i = 0; i < n; i++)
		if (!keys[i]) {
			*hit_mask = 0;
			return 0;
		}
	const struct tb_view v = tb_view_of(t);
	struct bstate st[L7_TABLE_BATCH_MAX];
	uint64_t mask = 0;
	char *vo = values_out;
	for (unsigned base = 0; base < n; base += TB_BATCH_GROUP) {
		unsigned end = n - base > TB_BATCH_GROUP ? base + TB_BATCH_GROUP : n;
		for (unsigned i = base; i < end; i++)
			nt_stage_a(v, t, g, keys[i], &st[i]);
		for (unsigned i = base; i < end; i++)
			nt_stage_b(v, g, &st[i], conc);
		for (unsigned i = base; i < end; i++)
			nt_stage_b2(v, g, &st[i], conc);
		for (unsigned i = base; i < end; i++)
			mask |= finish_key(t, v, g, &st[i], vo, i, conc) << i;
	}
	*hit_mask = mask;
	return (unsigned)__builtin_popcountll(mask);
}

/* One out-of-line batch function per specialised kind and one generic
 * (as for the single lookup): inlined into one dispatcher, the paths'
 * register needs added up and the in-cache loop kept its array bases and
 * counters on the stack (~10 spill loads and stores per key). */
#define TB_BATCH_FN(name, shape, conc)                                                   \
	static __attribute__((noinline)) unsigned name(struct l7_table *t,                 \
	                                               const void *const *keys, unsigned n, \
	                                               void *values_out, uint64_t *hit_mask) \
	{                                                                                  \
		return batch_nottl(t, shape, keys, n, values_out, hit_mask, conc);          \
	}
TB_BATCH_FN(batch_16_8_s8_conc, SHAPE_16_8(8), true)
TB_BATCH_FN(batch_16_8_s8_st, SHAPE_16_8(8), false)
TB_BATCH_FN(batch_16_8_s4_conc, SHAPE_16_8(4), true)
TB_BATCH_FN(batch_16_8_s4_st, SHAPE_16_8(4), false)

static __attribute__((noinline)) unsigned batch_generic(struct l7_table *t,
                                                        const void *const *keys, unsigned n,
                                                        void *values_out, uint64_t *hit_mask)
{
	if (t->conc)
		return batch_nottl(t, t->sh, keys, n, values_out, hit_mask, true);
	return batch_nottl(t, t->sh, keys, n, values_out, hit_mask, false);
}

unsigned l7_table_lookup_batch(struct l7_table *t, const void *const *keys,
                               unsigned n, void *values_out,
                               uint64_t *hit_mask, l7_time_ns now_ns)
{
	uint64_t ignored;
	if (!hit_mask)
		hit_mask = &ignored;
	if (!t || !keys || n > L7_TABLE_BATCH_MAX) {
		*hit_mask = 0;
		return 0;
	}
	/* tables without TTL check for NULL keys in their first pass */
	switch (t->kind) {
	case TB_KIND_16_8_S8_CONC:
		return batch_16_8_s8_conc(t, keys, n, values_out, hit_mask);
	case TB_KIND_16_8_S8_ST:
		return batch_16_8_s8_st(t, keys, n, values_out, hit_mask);
	case TB_KIND_16_8_S4_CONC:
		return batch_16_8_s4_conc(t, keys, n, values_out, hit_mask);
	case TB_KIND_16_8_S4_ST:
		return batch_16_8_s4_st(t, keys, n, values_out, hit_mask);
	default:
		break;
	}
	if (!t->ttl_ns)
		return batch_generic(t, keys, n, values_out, hit_mask);
	for (unsigned i = 0; i < n; i++)
		if (!keys[i]) {
			*hit_mask = 0;
			return 0;
		}
	if (t->conc)
		return batch_impl(t, t->sh, keys, n, values_out, hit_mask, now_ns, true);
	return batch_impl(t, t->sh, keys, n, values_out, hit_mask, now_ns, false);
}
