/*
 * expire.c — the incremental expiry sweep: bounded work per call, expired
 * entries handed back to the caller (who may, e.g., release the
 * connection's resources or report it).
 *
 * Invariant: the sweep cursor (t->sweep_bucket) is owned by the one thread
 * allowed to sweep at a time; every bucket is visited once per
 * nbuckets/max_buckets calls, so an entry is removed at most that many
 * calls after it expires.
 *
 * Concurrency: a bucket is first scanned without a lock (relaxed reads of
 * tags and expiry words); only if something looks expired is the bucket
 * locked and rescanned inside a write section. Removing an entry of bucket B
 * needs only B's lock: any other writer that could move or change that
 * entry holds B's lock too. The write section's seq_cst fence pairs with a
 * reader's blind refresh (lookup.c): either the reader's new expiry is seen
 * here and the entry survives, or the reader notices the version change and
 * refreshes again by key.
 */
#include "table_impl.h"

static inline __attribute__((always_inline)) bool
looks_expired(const struct l7_table *t, uint64_t b, l7_time_ns now_ns, bool conc)
{
	for (uint32_t s = 0; s < t->spb; s++)
		if (tb_get_tag(t, b, s) != 0 &&
		    tb_ld(&tb_slot(t, b, s)[t->exp_word], conc) <= now_ns)
			return true;
	return false;
}

/* Remove the expired entries of bucket b (under its lock), copying them out
 * from index *n on; stops at max_out. Returns true if the bucket is done. */
static inline __attribute__((always_inline)) bool
sweep_bucket(struct l7_table *t, uint64_t b, l7_time_ns now_ns, char *keys_out,
             char *values_out, size_t max_out, size_t *n, bool conc)
{
	struct tb_bucket *bk = &t->buckets[b];
	bool done = true;
	if (conc) {
		tb_lock(bk);
		tb_write_mark(t, bk);
	}
	for (uint32_t s = 0; s < t->spb; s++) {
		if (tb_get_tag(t, b, s) == 0)
			continue;
		const uint64_t *slot = tb_slot(t, b, s);
		if (tb_ld_exp(&slot[t->exp_word], conc) > now_ns)
			continue;
		if (*n == max_out) {
			done = false;
			break;
		}
		uint64_t kw[TB_KEY_WORDS_MAX];
		for (uint32_t i = 0; i < t->key_words; i++)
			kw[i] = tb_ld(&slot[i], conc);
		memcpy(keys_out + *n * t->key_bytes, kw, t->key_bytes);
		if (values_out && t->value_bytes)
			tb_copy_value(t, slot, values_out + *n * t->value_bytes, conc);
		tb_set_tag(t, b, s, 0, conc);
		(*n)++;
		if (conc)
			__atomic_fetch_sub(&t->count, 1, __ATOMIC_RELAXED);
		else
			t->count--;
		tb_count(&t->ctr.expired, 1, conc);
	}
	if (conc) {
		tb_write_end(bk);
		tb_unlock(bk);
	}
	return done;
}

static inline __attribute__((always_inline)) size_t
expire_impl(struct l7_table *t, l7_time_ns now_ns, uint32_t max_buckets,
            void *keys_out, void *values_out, size_t max_out, bool conc)
{
	size_t n = 0;
	uint64_t b = t->sweep_bucket;
	for (uint32_t i = 0; i < max_buckets && n < max_out; i++) {
		if (looks_expired(t, b, now_ns, conc) &&
		    !sweep_bucket(t, b, now_ns, keys_out, values_out, max_out, &n, conc))
			break; /* output full: resume in this bucket next call */
		b = (b + 1) & t->bucket_mask;
	}
	t->sweep_bucket = b;
	return n;
}

size_t l7_table_expire(struct l7_table *t, l7_time_ns now_ns,
                       uint32_t max_buckets, void *keys_out, void *values_out,
                       size_t max_out)
{
	if (!t || t->ttl_ns == 0 || !keys_out || max_out == 0)
		return 0;
	if (t->conc)
		return expire_impl(t, now_ns, max_buckets, keys_out, values_out, max_out, true);
	return expire_impl(t, now_ns, max_buckets, keys_out, values_out, max_out, false);
}
