/*
 * evq.c — the radix-heap event queue of evq.h.
 *
 * Multi-digit radix heap: keys are compared with last_ns in digits of
 * L7SIM_EVQ_DIGIT_BITS bits. Bucket 0 holds events at exactly last_ns; an
 * event whose time first differs from last_ns in digit L (counting from the
 * low end) goes to bucket 1 + L * DIGITS + (its digit L). Since keys are >=
 * last_ns, that digit is larger than last_ns's, so bucket number order is key
 * order between buckets. A pop takes from bucket 0; when it is empty, the
 * lowest non-empty bucket is redistributed around its minimum, which becomes
 * the new last_ns: every entry lands in a strictly lower bucket, so an event
 * moves at most LEVELS times, and in practice about
 * log(spread of pending times) / DIGIT_BITS times. Of radix 2, 4, 8, 16,
 * 64 and 256 on the hold benchmark here, 64 and 256 were fastest; 64 needs
 * a third of 256's fixed bucket overhead (docs/engine.md).
 *
 * Why it beats a heap here: both push and the redistribution loop append to
 * a few bucket tails and read one bucket sequentially, so the hardware
 * prefetcher hides memory latency that a heap's sift-down (one dependent
 * cache miss per level, half the comparisons mispredicted) cannot.
 *
 * FIFO among equal times: equal keys always sit in the same bucket; a bucket
 * is only appended to, either by push (in push order) or by the
 * redistribution of a higher bucket, which happens only while all lower
 * buckets are empty and scans its source in order. So equal-time events
 * leave in push order.
 *
 * Memory: a fixed pool of chunks. Entries (live + tombstones) are at most
 * 1.5 * capacity + 64 because cancel purges tombstones at capacity / 2;
 * every bucket wastes at most two partial chunks; a redistribution needs at
 * most one fresh chunk per target bucket beyond the ones it frees, so push
 * keeps CHUNK_RESERVE chunks free for it.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/evq.h"

#define SLOT_MASK ((uint64_t)L7SIM_EVQ_MAX_CAPACITY)
#define CHUNK_RESERVE (L7SIM_EVQ_BUCKETS + 1)

static inline unsigned bucket_of(l7_time_ns t, l7_time_ns last)
{
	uint64_t d = t ^ last;
	if (!d)
		return 0;
	unsigned level = (63u - (unsigned)__builtin_clzll(d)) / L7SIM_EVQ_DIGIT_BITS;
	unsigned digit = (unsigned)(t >> (level * L7SIM_EVQ_DIGIT_BITS)) & (L7SIM_EVQ_DIGITS - 1);
	return 1 + level * L7SIM_EVQ_DIGITS + digit;
}

static inline void map_set(struct l7sim_evq *q, unsigned i)
{
	q->nonempty[(i - 1) >> 6] |= 1ULL << ((i - 1) & 63);
}

static inline void map_clear(struct l7sim_evq *q, unsigned i)
{
	q->nonempty[(i - 1) >> 6] &= ~(1ULL << ((i - 1) & 63));
}

/* Lowest non-empty bucket >= 1, or 0 if none. */
static inline unsigned map_first(const struct l7sim_evq *q)
{
	for (unsigned w = 0; w < L7SIM_EVQ_MAP_WORDS; w++)
		if (q->nonempty[w])
			return 1 + w * 64 + (unsigned)__builtin_ctzll(q->nonempty[w]);
	return 0;
}

static inline int ent_live(const struct l7sim_evq *q, const struct l7sim_evq_ent *x)
{
	return x->seqslot == 0 ||
	       q->slot_seq[x->seqslot & SLOT_MASK] == x->seqslot >> L7SIM_EVQ_SLOT_BITS;
}

/* Released chunks first, then never-used ones in order: init touches no
 * chunk, so a queue sized for the worst case costs page faults only for
 * the chunks a run actually fills. */
static inline struct l7sim_evq_chunk *chunk_get(struct l7sim_evq *q)
{
	struct l7sim_evq_chunk *c = q->free_chunks;
	if (c)
		q->free_chunks = c->next;
	else
		c = &q->chunk_mem[q->fresh_chunk++];
	q->nfree_chunks--;
	c->next = NULL;
	c->n = 0;
	return c;
}

static inline void chunk_put(struct l7sim_evq *q, struct l7sim_evq_chunk *c)
{
	c->next = q->free_chunks;
	q->free_chunks = c;
	q->nfree_chunks++;
}

static inline void append(struct l7sim_evq *q, unsigned i, const struct l7sim_evq_ent *x)
{
	struct l7sim_evq_bucket *b = &q->b[i];
	struct l7sim_evq_chunk *t = b->tail;
	if (!t && !b->has_one) {
		/* empty bucket: the entry goes in the bucket itself */
		b->one = *x;
		b->has_one = 1;
		b->min_ns = x->time_ns;
		if (i)
			map_set(q, i);
		return;
	}
	if (x->time_ns < b->min_ns)
		b->min_ns = x->time_ns;
	if (!t) {
		t = b->head = b->tail = chunk_get(q);
		b->head_i = 0;
	} else if (t->n == L7SIM_EVQ_CHUNK) {
		t->next = chunk_get(q);
		t = b->tail = t->next;
	}
	t->e[t->n++] = *x;
}

/* Empty bucket i: its first entry goes to *one (*has_one says whether
 * there was one), the rest is returned as a chunk list starting at entry
 * *first, for re-appending. */
static struct l7sim_evq_chunk *detach(struct l7sim_evq *q, unsigned i, uint32_t *first,
				      struct l7sim_evq_ent *one, uint32_t *has_one)
{
	struct l7sim_evq_bucket *b = &q->b[i];
	struct l7sim_evq_chunk *c = b->head;
	*has_one = b->has_one;
	if (b->has_one)
		*one = b->one;
	*first = b->head_i;
	b->has_one = 0;
	b->head = b->tail = NULL;
	b->head_i = 0;
	if (i)
		map_clear(q, i);
	return c;
}

/* Re-append the live entries of a detached bucket (its first entry one,
 * when has_one, then the list c from entry k), each to bucket_of() or to
 * `bucket`, and free the list's chunks as they are consumed (so at most
 * one extra chunk per target bucket is ever needed). Tombstones are
 * dropped. */
static void reappend(struct l7sim_evq *q, const struct l7sim_evq_ent *one, uint32_t has_one,
		     struct l7sim_evq_chunk *c, uint32_t k, int fixed_bucket, unsigned bucket)
{
	if (has_one) {
		if (ent_live(q, one))
			append(q, fixed_bucket ? bucket : bucket_of(one->time_ns, q->last_ns), one);
		else
			q->tombstones--;
	}
	while (c) {
		for (; k < c->n; k++) {
			const struct l7sim_evq_ent *x = &c->e[k];
			if (!ent_live(q, x)) {
				q->tombstones--;
				continue;
			}
			append(q, fixed_bucket ? bucket : bucket_of(x->time_ns, q->last_ns), x);
		}
		struct l7sim_evq_chunk *next = c->next;
		chunk_put(q, c);
		c = next;
		k = 0;
	}
}

/* Purge every tombstone, keeping each bucket's order. */
static void compact(struct l7sim_evq *q)
{
	for (unsigned i = 0; i < L7SIM_EVQ_BUCKETS; i++) {
		if (!q->b[i].head && !q->b[i].has_one)
			continue;
		uint32_t first, has_one;
		struct l7sim_evq_ent one;
		struct l7sim_evq_chunk *c = detach(q, i, &first, &one, &has_one);
		reappend(q, &one, has_one, c, first, 1, i);
	}
}

int l7sim_evq_init(struct l7sim_evq *q, uint32_t capacity)
{
	memset(q, 0, sizeof(*q));
	if (capacity == 0 || capacity > L7SIM_EVQ_MAX_CAPACITY)
		return L7_EINVAL;
	q->capacity = capacity;
	uint64_t max_entries = (uint64_t)capacity + capacity / 2 + 64;
	uint64_t nchunks = max_entries / L7SIM_EVQ_CHUNK + 1 + 2 * L7SIM_EVQ_BUCKETS + CHUNK_RESERVE;
	q->chunk_mem = malloc(nchunks * sizeof(*q->chunk_mem));
	q->slot_seq = calloc(capacity, sizeof(*q->slot_seq));
	q->free_slots = malloc((size_t)capacity * sizeof(*q->free_slots));
	if (!q->chunk_mem || !q->slot_seq || !q->free_slots || nchunks > UINT32_MAX) {
		l7sim_evq_fini(q);
		return L7_ENOMEM;
	}
	q->nchunks = (uint32_t)nchunks;
	q->nfree_chunks = (uint32_t)nchunks;
	/* Released slots are reused LIFO, else slots 0, 1, 2, ... in order:
	 * deterministic, and nothing is written here. */
	q->nfree_slots = 0;
	q->fresh_slot = 0;
	q->next_seq = 1;
	return 0;
}

void l7sim_evq_fini(struct l7sim_evq *q)
{
	free(q->chunk_mem);
	free(q->slot_seq);
	free(q->free_slots);
	memset(q, 0, sizeof(*q));
}

int l7sim_evq_push(struct l7sim_evq *q, l7_time_ns t, uint16_t type, void *obj,
		   uint64_t arg, l7sim_ev_handle *h)
{
	if (t < q->last_ns)
		return L7_EINVAL;
	if (q->live == q->capacity) {
		q->full++;
		return L7_EFULL;
	}
	if (q->nfree_chunks < CHUNK_RESERVE + 1) {
		compact(q); /* cannot be reached by the sizing above; kept as a guard */
		if (q->nfree_chunks < CHUNK_RESERVE + 1) {
			q->full++;
			return L7_EFULL;
		}
	}
	struct l7sim_evq_ent x = { t, arg, obj, 0, type };
	if (h) {
		if (q->next_seq >= L7SIM_EVQ_SEQ_LIMIT)
			return L7_ERANGE;
		uint32_t slot = q->nfree_slots ? q->free_slots[--q->nfree_slots] : q->fresh_slot++;
		uint64_t seq = q->next_seq++;
		q->slot_seq[slot] = seq;
		x.seqslot = seq << L7SIM_EVQ_SLOT_BITS | slot;
		*h = x.seqslot;
	}
	append(q, bucket_of(t, q->last_ns), &x);
	q->pushed++;
	if (++q->live > q->peak_pending)
		q->peak_pending = q->live;
	return 0;
}

/* Only tombstones are left: drop them all and restart empty, with the
 * reference key back where it was when the caller's pop began (a failed pop
 * must not move it past the caller's clock). */
static void reset_if_dead(struct l7sim_evq *q, l7_time_ns keep_last_ns)
{
	if (q->live != 0)
		return;
	for (unsigned i = 0; i < L7SIM_EVQ_BUCKETS; i++) {
		uint32_t first, has_one;
		struct l7sim_evq_ent one;
		struct l7sim_evq_chunk *c = detach(q, i, &first, &one, &has_one);
		while (c) {
			struct l7sim_evq_chunk *next = c->next;
			chunk_put(q, c);
			c = next;
		}
	}
	q->tombstones = 0;
	q->last_ns = keep_last_ns;
}

/* Hand entry x out as *ev (1), or drop it as a tombstone (0). */
static inline int take(struct l7sim_evq *q, const struct l7sim_evq_ent *x,
		       struct l7sim_event *ev)
{
	if (x->seqslot) {
		uint32_t slot = (uint32_t)(x->seqslot & SLOT_MASK);
		if (q->slot_seq[slot] != x->seqslot >> L7SIM_EVQ_SLOT_BITS) {
			q->tombstones--;
			return 0;
		}
		q->slot_seq[slot] = 0;
		q->free_slots[q->nfree_slots++] = slot;
	}
	ev->time_ns = x->time_ns;
	ev->obj = x->obj;
	ev->arg = x->arg;
	ev->type = x->type;
	q->live--;
	q->popped++;
	return 1;
}

int l7sim_evq_pop_until(struct l7sim_evq *q, l7_time_ns bound_ns, struct l7sim_event *ev)
{
	struct l7sim_evq_bucket *b0 = &q->b[0];
	l7_time_ns last_before = q->last_ns;
	for (;;) {
		/* bucket 0 (every entry at last_ns): its own entry first */
		if (b0->has_one) {
			if (b0->one.time_ns > bound_ns) {
				reset_if_dead(q, last_before);
				return 0;
			}
			b0->has_one = 0;
			if (take(q, &b0->one, ev))
				return 1;
			continue;
		}
		while (b0->head) {
			struct l7sim_evq_chunk *c = b0->head;
			if (b0->head_i == c->n) {
				b0->head = c->next;
				b0->head_i = 0;
				if (!b0->head)
					b0->tail = NULL;
				chunk_put(q, c);
				continue;
			}
			const struct l7sim_evq_ent *x = &c->e[b0->head_i];
			if (x->time_ns > bound_ns) {
				reset_if_dead(q, last_before);
				return 0;
			}
			b0->head_i++;
			if (take(q, x, ev))
				return 1;
		}
		unsigned i = map_first(q);
		if (!i) {
			reset_if_dead(q, last_before);
			return 0;
		}
		if (q->b[i].min_ns > bound_ns) {
			reset_if_dead(q, last_before);
			return 0;
		}
		q->last_ns = q->b[i].min_ns;
		uint32_t first, has_one;
		struct l7sim_evq_ent one;
		struct l7sim_evq_chunk *c = detach(q, i, &first, &one, &has_one);
		if (!c) {
			/* One entry (the usual case: most buckets hold one event
			 * when they come up): it is the minimum and bucket 0 is
			 * empty, so it would be moved there and popped next. Take
			 * it directly instead; same order. */
			if (has_one && take(q, &one, ev))
				return 1;
			continue;
		}
		reappend(q, &one, has_one, c, first, 0, 0);
	}
}

int l7sim_evq_cancel(struct l7sim_evq *q, l7sim_ev_handle h)
{
	uint64_t slot = h & SLOT_MASK;
	uint64_t seq = h >> L7SIM_EVQ_SLOT_BITS;
	if (seq == 0 || slot >= q->capacity || q->slot_seq[slot] != seq)
		return L7_ENOENT;
	q->slot_seq[slot] = 0;
	q->free_slots[q->nfree_slots++] = (uint32_t)slot;
	q->live--;
	q->tombstones++;
	q->cancelled++;
	if (q->tombstones >= 64 && 2 * q->tombstones >= q->capacity)
		compact(q);
	return 0;
}
