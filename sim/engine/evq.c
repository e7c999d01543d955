/*
 * evq.c — the 4-ary heap event queue of evq.h.
 *
 * Why a 4-ary heap of 16-byte keys: the four children of a node fill exactly
 * one 64-byte cache line (the array is offset so sibling groups are aligned),
 * and the heap is half as deep as a binary one, so a pop touches about
 * log4(n) lines. Removal uses the bottom-up variant (Wegener 1993): the hole
 * walks down the min-child path to a leaf with 3 comparisons per level, then
 * the displaced key climbs back up (usually 0-2 steps), because the moved key
 * almost always belongs near the bottom.
 *
 * Why pop() leaves a hole at the root: in a simulation the handler of the
 * event just popped usually schedules a new event; push() then drops the new
 * key into the hole and sifts it down once, instead of paying for a sift-down
 * (refilling the root) plus a sift-up (the new key).
 *
 * Invariant: every key in heap[0..n) is >= its parent, except heap[0] when
 * hole is set (it is garbage then). Keys are unique (seq is), so the order
 * is total and the same inputs always give the same pops.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/evq.h"

#define SLOT_MASK ((uint64_t)L7SIM_EVQ_MAX_CAPACITY)

static inline int key_less(const struct l7sim_evq_key *a, const struct l7sim_evq_key *b)
{
	return a->time_ns < b->time_ns ||
	       (a->time_ns == b->time_ns && a->seqslot < b->seqslot);
}

static inline uint32_t min_child(const struct l7sim_evq_key *h, uint32_t c, uint32_t n)
{
	uint32_t m = c;
	if (c + 3 < n) {
		uint32_t a = key_less(&h[c + 1], &h[c]) ? c + 1 : c;
		uint32_t b = key_less(&h[c + 3], &h[c + 2]) ? c + 3 : c + 2;
		return key_less(&h[b], &h[a]) ? b : a;
	}
	for (uint32_t j = c + 1; j < n; j++)
		if (key_less(&h[j], &h[m]))
			m = j;
	return m;
}

/* Put x into the hole at index top of a heap of n keys whose subtrees below
 * top are valid heaps. */
static void place_from(struct l7sim_evq_key *h, uint32_t n, uint32_t top,
		       struct l7sim_evq_key x)
{
	uint32_t i = top;
	for (;;) {
		uint32_t c = 4 * i + 1;
		if (c >= n)
			break;
		uint32_t m = min_child(h, c, n);
		h[i] = h[m];
		i = m;
	}
	while (i > top) {
		uint32_t p = (i - 1) / 4;
		if (!key_less(&x, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = x;
}

static void fill_hole(struct l7sim_evq *q)
{
	if (!q->hole)
		return;
	q->hole = 0;
	q->n--;
	if (q->n > 0)
		place_from(q->heap, q->n, 0, q->heap[q->n]);
}

static inline int key_live(const struct l7sim_evq *q, const struct l7sim_evq_key *k)
{
	return q->slots[k->seqslot & SLOT_MASK].seq == k->seqslot >> L7SIM_EVQ_SLOT_BITS;
}

/* Drop every tombstone and re-heapify (Floyd's bottom-up build, O(n)). */
static void compact(struct l7sim_evq *q)
{
	fill_hole(q);
	uint32_t j = 0;
	for (uint32_t i = 0; i < q->n; i++)
		if (key_live(q, &q->heap[i]))
			q->heap[j++] = q->heap[i];
	q->n = j;
	q->tombstones = 0;
	if (j < 2)
		return;
	for (uint32_t i = (j - 2) / 4 + 1; i-- > 0;)
		place_from(q->heap, j, i, q->heap[i]);
}

int l7sim_evq_init(struct l7sim_evq *q, uint32_t capacity)
{
	memset(q, 0, sizeof(*q));
	if (capacity == 0 || capacity > L7SIM_EVQ_MAX_CAPACITY)
		return L7_EINVAL;
	q->capacity = capacity;
	q->heap_cap = 2 * capacity;
	/* 3 spare keys in front so that children 4i+1..4i+4 start on a
	 * 64-byte boundary: heap[4i+1] is at offset 16 * (4i + 4). */
	size_t bytes = ((size_t)q->heap_cap + 4) * sizeof(struct l7sim_evq_key);
	bytes = (bytes + 63) / 64 * 64;
	q->heap_mem = aligned_alloc(64, bytes);
	q->slots = calloc(capacity, sizeof(*q->slots));
	q->free_slots = malloc((size_t)capacity * sizeof(*q->free_slots));
	if (!q->heap_mem || !q->slots || !q->free_slots) {
		l7sim_evq_fini(q);
		return L7_ENOMEM;
	}
	q->heap = (struct l7sim_evq_key *)q->heap_mem + 3;
	/* Stack order hands out slot 0 first: deterministic and cache-warm. */
	for (uint32_t i = 0; i < capacity; i++)
		q->free_slots[i] = capacity - 1 - i;
	q->nfree = capacity;
	q->next_seq = 1;
	return 0;
}

void l7sim_evq_fini(struct l7sim_evq *q)
{
	free(q->heap_mem);
	free(q->slots);
	free(q->free_slots);
	memset(q, 0, sizeof(*q));
}

int l7sim_evq_push(struct l7sim_evq *q, l7_time_ns t, uint16_t type, void *obj,
		   uint64_t arg, l7sim_ev_handle *h)
{
	if (q->nfree == 0) {
		q->full++;
		return L7_EFULL;
	}
	if (q->next_seq >= L7SIM_EVQ_SEQ_LIMIT)
		return L7_ERANGE;
	uint32_t slot = q->free_slots[--q->nfree];
	uint64_t seq = q->next_seq++;
	struct l7sim_evq_slot *s = &q->slots[slot];
	s->arg = arg;
	s->obj = obj;
	s->seq = seq;
	s->type = type;
	struct l7sim_evq_key x = { t, seq << L7SIM_EVQ_SLOT_BITS | slot };
	if (h)
		*h = x.seqslot;
	q->pushed++;
	uint32_t live = q->capacity - q->nfree;
	if (live > q->peak_pending)
		q->peak_pending = live;
	if (q->hole) {
		q->hole = 0;
		place_from(q->heap, q->n, 0, x);
		return 0;
	}
	if (q->n == q->heap_cap)
		compact(q); /* live < capacity here, so this frees >= capacity keys */
	struct l7sim_evq_key *hp = q->heap;
	uint32_t i = q->n++;
	while (i > 0) {
		uint32_t p = (i - 1) / 4;
		if (!key_less(&x, &hp[p]))
			break;
		hp[i] = hp[p];
		i = p;
	}
	hp[i] = x;
	return 0;
}

int l7sim_evq_peek(struct l7sim_evq *q, l7_time_ns *t)
{
	for (;;) {
		fill_hole(q);
		if (q->n == 0)
			return 0;
		if (key_live(q, &q->heap[0])) {
			*t = q->heap[0].time_ns;
			return 1;
		}
		q->hole = 1;
		q->tombstones--;
	}
}

int l7sim_evq_pop(struct l7sim_evq *q, struct l7sim_event *ev)
{
	for (;;) {
		fill_hole(q);
		if (q->n == 0)
			return 0;
		struct l7sim_evq_key k = q->heap[0];
		q->hole = 1;
		uint32_t slot = (uint32_t)(k.seqslot & SLOT_MASK);
		struct l7sim_evq_slot *s = &q->slots[slot];
		if (s->seq != k.seqslot >> L7SIM_EVQ_SLOT_BITS) {
			q->tombstones--;
			continue;
		}
		ev->time_ns = k.time_ns;
		ev->obj = s->obj;
		ev->arg = s->arg;
		ev->type = s->type;
		s->seq = 0;
		q->free_slots[q->nfree++] = slot;
		q->popped++;
		return 1;
	}
}

int l7sim_evq_cancel(struct l7sim_evq *q, l7sim_ev_handle h)
{
	uint64_t slot = h & SLOT_MASK;
	uint64_t seq = h >> L7SIM_EVQ_SLOT_BITS;
	if (seq == 0 || slot >= q->capacity || q->slots[slot].seq != seq)
		return L7_ENOENT;
	q->slots[slot].seq = 0;
	q->free_slots[q->nfree++] = (uint32_t)slot;
	q->tombstones++;
	q->cancelled++;
	if (q->tombstones >= 64 && 2 * q->tombstones >= q->n)
		compact(q);
	return 0;
}
