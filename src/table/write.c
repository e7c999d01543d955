/*
 * write.c — insert, upsert, update and delete; the breadth-first cuckoo
 * path search and the path's moves.
 *
 * Writer protocol (concurrent mode; any number of writer threads):
 *  - an operation on key K locks K's two candidate buckets B1, B2 (in
 *    increasing index order; the same bucket once). Holding both, K's
 *    presence is stable: K can only be in B1 or B2, and moving or removing
 *    it needs one of those locks. So "exists?" and "free slot?" are
 *    answered authoritatively and a key is never stored twice.
 *  - every change to a bucket's tags or slots happens between
 *    tb_write_mark and tb_write_end on that bucket, so lock-free readers
 *    detect it (lookup.c).
 *  - when both buckets are full, the cuckoo path is searched breadth-first
 *    WITHOUT locks (reads may be stale), then executed from its end
 *    backwards: each move locks just its source and destination buckets
 *    and re-validates (destination slot still empty, source slot still
 *    holds an entry with the planned tag — any entry with that tag in that
 *    bucket has the same other bucket, so it may move). A failed
 *    validation abandons the rest of the plan and the insert starts over
 *    (counted in insert_retries). Each move is atomic for readers: the
 *    entry is written to its destination and cleared from its source while
 *    both versions are odd, so a reader sees it in exactly one place.
 *  - progress: blocking (spin locks) but deadlock-free: at most two locks,
 *    always in bucket order, never held across the search.
 */
#include "table_impl.h"

enum put_mode { PUT_INSERT, PUT_UPSERT };

struct bfs_node {
	uint32_t bucket;
	int16_t parent; /* index in the queue, -1 for a root */
	uint8_t slot;   /* slot in the parent bucket whose entry moves here */
	uint8_t depth;
	uint16_t tag;   /* tag of that entry when the plan was made */
};

struct move {
	uint64_t src, dst;
	uint32_t src_slot, dst_slot;
	uint16_t tag;
};

/* Write a whole entry into slot (b, s). Caller holds b's lock inside a
 * write section of b. The tag is written last, though readers do not rely
 * on it (they validate versions). */
static inline __attribute__((always_inline)) void
put_slot(struct l7_table *t, uint64_t b, uint32_t s, const uint64_t *kw,
         const uint64_t *vw, uint16_t tag, l7_time_ns now_ns, bool conc)
{
	uint64_t *slot = tb_slot(t, b, s);
	for (uint32_t i = 0; i < t->key_words; i++)
		tb_st(&slot[i], kw[i], conc);
	for (uint32_t i = 0; i < t->value_words; i++)
		tb_st(&slot[t->key_words + i], vw[i], conc);
	if (t->ttl_ns)
		tb_st_exp(&slot[t->exp_word], now_ns + t->ttl_ns, conc);
	tb_set_tag(t, b, s, tag, conc);
}

/* Overwrite the value (and expiry) of slot (b, s); same locking as put_slot. */
static inline __attribute__((always_inline)) void
set_value(struct l7_table *t, uint64_t b, uint32_t s, const uint64_t *vw,
          l7_time_ns now_ns, bool conc)
{
	uint64_t *slot = tb_slot(t, b, s);
	for (uint32_t i = 0; i < t->value_words; i++)
		tb_st(&slot[t->key_words + i], vw[i], conc);
	if (t->ttl_ns)
		tb_st_exp(&slot[t->exp_word], now_ns + t->ttl_ns, conc);
}

static inline __attribute__((always_inline)) void
section_begin(struct l7_table *t, uint64_t b, bool conc)
{
	if (conc)
		tb_write_mark(t, &t->buckets[b]);
}

static inline __attribute__((always_inline)) void
section_end(struct l7_table *t, uint64_t b, bool conc)
{
	if (conc)
		tb_write_end(&t->buckets[b]);
}

static inline __attribute__((always_inline)) void
lock2(struct l7_table *t, uint64_t a, uint64_t b, bool conc)
{
	if (conc)
		tb_lock2(t, a, b);
}

static inline __attribute__((always_inline)) void
unlock2(struct l7_table *t, uint64_t a, uint64_t b, bool conc)
{
	if (conc)
		tb_unlock2(t, a, b);
}

/*
 * Breadth-first search from b1 and b2 for the nearest bucket with an empty
 * slot, following each entry's cuckoo edge (bucket -> tb_alt(bucket, tag)).
 * Lock-free reads; the plan is re-validated move by move. Fills moves[] in
 * execution order (from the free slot backwards) and returns their number,
 * or -1 when no path of at most max_depth moves exists within the node
 * budget. Slots are expanded starting at a rotating offset so concurrent
 * inserters do not all pick the same victims.
 */
static int bfs(struct l7_table *t, uint64_t b1, uint64_t b2, uint32_t rot,
               struct move *moves)
{
	struct bfs_node q[TB_BFS_NODES];
	uint32_t head = 0, tail = 0;
	q[tail++] = (struct bfs_node){ (uint32_t)b1, -1, 0, 0, 0 };
	if (b2 != b1)
		q[tail++] = (struct bfs_node){ (uint32_t)b2, -1, 0, 0, 0 };
	for (; head < tail; head++) {
		struct bfs_node n = q[head];
		int f = tb_free_slot(t, n.bucket, t->conc);
		if (f >= 0) {
			/* unwind: node i's entry moves from its parent into node i */
			int k = 0;
			uint32_t dst_slot = (uint32_t)f;
			for (int i = (int)head; q[i].parent >= 0; i = q[i].parent) {
				const struct bfs_node *p = &q[q[i].parent];
				moves[k++] = (struct move){ p->bucket, q[i].bucket, q[i].slot,
				                            dst_slot, q[i].tag };
				dst_slot = q[i].slot;
			}
			return k;
		}
		if (n.depth >= t->max_depth)
			continue;
		for (uint32_t j = 0; j < t->spb && tail < TB_BFS_NODES; j++) {
			uint32_t s = (j + rot) & (t->spb - 1u);
			uint16_t tag = tb_get_tag(t, n.bucket, s);
			if (tag == 0)
				continue; /* freed meanwhile; the next visit finds it */
			uint64_t c = tb_alt(t, n.bucket, tag);
			if (c == n.bucket)
				continue; /* an entry whose two buckets coincide cannot move */
			q[tail++] = (struct bfs_node){ (uint32_t)c, (int16_t)head, (uint8_t)s,
			                               (uint8_t)(n.depth + 1), tag };
		}
	}
	return -1;
}

/* Execute one planned move under the two bucket locks, re-validating it.
 * Returns false if the plan went stale. */
static inline __attribute__((always_inline)) bool
do_move(struct l7_table *t, const struct move *m, bool conc)
{
	lock2(t, m->src, m->dst, conc);
	if (tb_get_tag(t, m->dst, m->dst_slot) != 0 ||
	    tb_get_tag(t, m->src, m->src_slot) != m->tag) {
		unlock2(t, m->src, m->dst, conc);
		return false;
	}
	if (conc) {
		tb_write_mark(t, &t->buckets[m->src]);
		tb_write_mark(t, &t->buckets[m->dst]);
	}
	uint64_t *from = tb_slot(t, m->src, m->src_slot);
	uint64_t *to = tb_slot(t, m->dst, m->dst_slot);
	for (uint32_t i = 0; i < t->exp_word; i++)
		tb_st(&to[i], tb_ld(&from[i], conc), conc);
	if (t->ttl_ns) /* seq_cst: sees any blind refresh not flagged to its reader */
		tb_st_exp(&to[t->exp_word], tb_ld_exp(&from[t->exp_word], conc), conc);
	tb_set_tag(t, m->dst, m->dst_slot, m->tag, conc);
	tb_set_tag(t, m->src, m->src_slot, 0, conc);
	if (conc) {
		tb_write_end(&t->buckets[m->src]);
		if (m->dst != m->src)
			tb_write_end(&t->buckets[m->dst]);
	}
	unlock2(t, m->src, m->dst, conc);
	tb_count(&t->ctr.cuckoo_moves, 1, conc);
	return true;
}

/* Reserve one entry of capacity; false when the table holds capacity. */
static inline __attribute__((always_inline)) bool
reserve(struct l7_table *t, bool conc)
{
	if (!conc) {
		if (t->count >= t->capacity)
			return false;
		t->count++;
		return true;
	}
	if (__atomic_fetch_add(&t->count, 1, __ATOMIC_RELAXED) >= t->capacity) {
		__atomic_fetch_sub(&t->count, 1, __ATOMIC_RELAXED);
		return false;
	}
	return true;
}

static inline __attribute__((always_inline)) int
put_impl(struct l7_table *t, const uint64_t *kw, const uint64_t *vw,
         l7_time_ns now_ns, enum put_mode mode, bool *inserted, bool conc)
{
	uint64_t h = tb_hash(t, kw);
	uint64_t b1 = h & t->bucket_mask;
	uint16_t tag = tb_tag(h);
	uint64_t b2 = tb_alt(t, b1, tag);
	uint32_t depth = 0;
	struct move moves[L7_TABLE_DEPTH_MAX];

	/* both headers' misses in parallel, before the (serialising) lock
	 * swaps would take them one after the other */
	__builtin_prefetch(&t->buckets[b1], 1, 3);
	__builtin_prefetch(&t->buckets[b2], 1, 3);

	for (uint32_t attempt = 0; attempt < TB_PUT_ATTEMPTS; attempt++) {
		lock2(t, b1, b2, conc);
		uint64_t b = b1;
		int s = tb_find(t, b1, tag, kw, conc);
		if (s < 0 && b2 != b1) {
			b = b2;
			s = tb_find(t, b2, tag, kw, conc);
		}
		if (s >= 0) {
			if (mode == PUT_INSERT) {
				unlock2(t, b1, b2, conc);
				return L7_EEXIST;
			}
			section_begin(t, b, conc);
			set_value(t, b, (uint32_t)s, vw, now_ns, conc);
			section_end(t, b, conc);
			unlock2(t, b1, b2, conc);
			tb_count(&t->ctr.updates, 1, conc);
			if (inserted)
				*inserted = false;
			return 0;
		}
		b = b1;
		s = tb_free_slot(t, b1, conc);
		if (s < 0 && b2 != b1) {
			b = b2;
			s = tb_free_slot(t, b2, conc);
		}
		if (s >= 0) {
			if (!reserve(t, conc)) {
				unlock2(t, b1, b2, conc);
				tb_count(&t->ctr.full_rejects, 1, conc);
				return L7_EFULL;
			}
			section_begin(t, b, conc);
			put_slot(t, b, (uint32_t)s, kw, vw, tag, now_ns, conc);
			section_end(t, b, conc);
			unlock2(t, b1, b2, conc);
			tb_count(&t->ctr.inserts, 1, conc);
			tb_count(&t->ctr.depth_hist[depth], 1, conc);
			if (inserted)
				*inserted = true;
			return 0;
		}
		unlock2(t, b1, b2, conc);

		/* Both buckets full. Do not displace entries for nothing. */
		if (tb_ld(&t->count, conc) >= t->capacity) {
			tb_count(&t->ctr.full_rejects, 1, conc);
			return L7_EFULL;
		}
		int k = bfs(t, b1, b2, (uint32_t)(h >> 32) + attempt, moves);
		if (k < 0) {
			tb_count(&t->ctr.failed_inserts, 1, conc);
			return L7_ETABLEFULL;
		}
		int i = 0;
		while (i < k && do_move(t, &moves[i], conc))
			i++;
		if (i < k)
			tb_count(&t->ctr.insert_retries, 1, conc);
		else
			depth = (uint32_t)k;
		/* loop: lock b1/b2 again and take the freed slot, or re-plan */
	}
	tb_count(&t->ctr.failed_inserts, 1, conc);
	return L7_ETABLEFULL;
}

static void value_words(const struct l7_table *t, const void *value, uint64_t *vw)
{
	memset(vw, 0, TB_VALUE_WORDS_MAX * 8u);
	if (t->value_bytes)
		memcpy(vw, value, t->value_bytes);
}

static int put(struct l7_table *t, const void *key, const void *value,
               l7_time_ns now_ns, enum put_mode mode, bool *inserted)
{
	uint64_t kw[TB_KEY_WORDS_MAX], vw[TB_VALUE_WORDS_MAX];
	if (!t || !key || (!value && t->value_bytes))
		return L7_EINVAL;
	tb_key_words(t, key, kw);
	value_words(t, value, vw);
	if (t->conc)
		return put_impl(t, kw, vw, now_ns, mode, inserted, true);
	return put_impl(t, kw, vw, now_ns, mode, inserted, false);
}

int l7_table_insert(struct l7_table *t, const void *key, const void *value,
                    l7_time_ns now_ns)
{
	return put(t, key, value, now_ns, PUT_INSERT, NULL);
}

int l7_table_upsert(struct l7_table *t, const void *key, const void *value,
                    l7_time_ns now_ns, bool *inserted)
{
	return put(t, key, value, now_ns, PUT_UPSERT, inserted);
}

/* Find key under both bucket locks; returns the slot or -1, and the bucket. */
static inline __attribute__((always_inline)) int
locked_find(struct l7_table *t, const uint64_t *kw, uint64_t b1, uint64_t b2,
            uint16_t tag, uint64_t *bout, bool conc)
{
	int s = tb_find(t, b1, tag, kw, conc);
	*bout = b1;
	if (s < 0 && b2 != b1) {
		s = tb_find(t, b2, tag, kw, conc);
		*bout = b2;
	}
	return s;
}

static inline __attribute__((always_inline)) int
update_impl(struct l7_table *t, const uint64_t *kw, const uint64_t *vw,
            l7_time_ns now_ns, bool conc)
{
	uint64_t h = tb_hash(t, kw), b;
	uint64_t b1 = h & t->bucket_mask;
	uint16_t tag = tb_tag(h);
	uint64_t b2 = tb_alt(t, b1, tag);
	lock2(t, b1, b2, conc);
	int s = locked_find(t, kw, b1, b2, tag, &b, conc);
	if (s >= 0) {
		section_begin(t, b, conc);
		set_value(t, b, (uint32_t)s, vw, now_ns, conc);
		section_end(t, b, conc);
	}
	unlock2(t, b1, b2, conc);
	if (s < 0)
		return L7_ENOENT;
	tb_count(&t->ctr.updates, 1, conc);
	return 0;
}

int l7_table_update(struct l7_table *t, const void *key, const void *value,
                    l7_time_ns now_ns)
{
	uint64_t kw[TB_KEY_WORDS_MAX], vw[TB_VALUE_WORDS_MAX];
	if (!t || !key || (!value && t->value_bytes))
		return L7_EINVAL;
	tb_key_words(t, key, kw);
	value_words(t, value, vw);
	if (t->conc)
		return update_impl(t, kw, vw, now_ns, true);
	return update_impl(t, kw, vw, now_ns, false);
}

static inline __attribute__((always_inline)) int
delete_impl(struct l7_table *t, const uint64_t *kw, void *value_out, bool conc)
{
	uint64_t h = tb_hash(t, kw), b;
	uint64_t b1 = h & t->bucket_mask;
	uint16_t tag = tb_tag(h);
	uint64_t b2 = tb_alt(t, b1, tag);
	lock2(t, b1, b2, conc);
	int s = locked_find(t, kw, b1, b2, tag, &b, conc);
	if (s >= 0) {
		if (value_out && t->value_bytes)
			tb_copy_value(t, tb_slot(t, b, (uint32_t)s), value_out, conc);
		section_begin(t, b, conc);
		tb_set_tag(t, b, (uint32_t)s, 0, conc);
		section_end(t, b, conc);
		if (conc)
			__atomic_fetch_sub(&t->count, 1, __ATOMIC_RELAXED);
		else
			t->count--;
	}
	unlock2(t, b1, b2, conc);
	if (s < 0)
		return L7_ENOENT;
	tb_count(&t->ctr.deletes, 1, conc);
	return 0;
}

int l7_table_delete(struct l7_table *t, const void *key, void *value_out)
{
	uint64_t kw[TB_KEY_WORDS_MAX];
	if (!t || !key)
		return L7_EINVAL;
	tb_key_words(t, key, kw);
	if (t->conc)
		return delete_impl(t, kw, value_out, true);
	return delete_impl(t, kw, value_out, false);
}
