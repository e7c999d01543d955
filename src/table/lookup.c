/*
 * lookup.c — lock-free lookups (single and batched) and the blind TTL
 * refresh on a hit.
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

static inline __attribute__((always_inline)) int
lookup_key(struct l7_table *t, struct tb_shape g, const void *key, void *value_out,
           l7_time_ns now_ns, bool conc)
{
	uint64_t kw[TB_KEY_WORDS_MAX];
	tb_key_words_g(g, key, kw);
	return lookup_impl(t, g, kw, tb_hash_g(t, g, kw), value_out, now_ns, conc);
}

/* Constant shapes of the common geometries (16-byte keys such as an IPv4
 * 5-tuple padded or a pair of ids, 8-byte values): the compiler unrolls
 * every key, value and tag loop for them. */
#define SHAPE_16_8(spb) ((struct tb_shape){ 16, 2, 8, 1, (spb) / 4u, (spb), 3 })

static inline bool is_16_8(const struct l7_table *t)
{
	return t->key_bytes == 16 && t->value_bytes == 8 && t->ttl_ns == 0;
}

int l7_table_lookup(struct l7_table *t, const void *key, void *value_out,
                    l7_time_ns now_ns)
{
	if (!t || !key)
		return L7_EINVAL;
	if (t->conc) {
		if (is_16_8(t))
			return t->spb == 8 ? lookup_key(t, SHAPE_16_8(8), key, value_out, now_ns, true)
			                   : lookup_key(t, SHAPE_16_8(4), key, value_out, now_ns, true);
		return lookup_key(t, t->sh, key, value_out, now_ns, true);
	}
	if (is_16_8(t))
		return t->spb == 8 ? lookup_key(t, SHAPE_16_8(8), key, value_out, now_ns, false)
		                   : lookup_key(t, SHAPE_16_8(4), key, value_out, now_ns, false);
	return lookup_key(t, t->sh, key, value_out, now_ns, false);
}

int l7_table_touch(struct l7_table *t, const void *key, l7_time_ns now_ns)
{
	return l7_table_lookup(t, key, NULL, now_ns);
}

/*
 * Batched lookup, software-pipelined so the cache misses of different keys
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
	for (unsigned i = 0; i < n; i++)
		if (!keys[i]) {
			*hit_mask = 0;
			return 0;
		}
	if (t->conc) {
		if (is_16_8(t) && t->spb == 8)
			return batch_impl(t, SHAPE_16_8(8), keys, n, values_out, hit_mask, now_ns, true);
		return batch_impl(t, t->sh, keys, n, values_out, hit_mask, now_ns, true);
	}
	if (is_16_8(t) && t->spb == 8)
		return batch_impl(t, SHAPE_16_8(8), keys, n, values_out, hit_mask, now_ns, false);
	return batch_impl(t, t->sh, keys, n, values_out, hit_mask, now_ns, false);
}
