/*
 * evq.h — the pending-event set: a 4-ary min-heap of (time_ns, seq) keys with
 * the event bodies in a fixed slot array, and handle-based lazy cancel.
 *
 * Ordering: events come out by time_ns, and events with equal time_ns in the
 * order they were pushed (seq is a per-queue insertion counter). Cancel is
 * O(1): the slot is freed at once and its heap key becomes a tombstone that
 * pop() recognises (the slot's seq no longer matches) and discards; when
 * tombstones reach half the heap, or the heap array is full, the heap is
 * rebuilt without them in O(n).
 *
 * Invariants: capacity (live events) is fixed at create (at most
 * L7SIM_EVQ_MAX_CAPACITY); push on a full queue returns L7_EFULL and counts
 * it; a handle is the event's unique (seq, slot) pair and is never reused, so
 * cancelling a fired or cancelled event returns L7_ENOENT.
 */
#ifndef L7SIM_ENGINE_EVQ_H
#define L7SIM_ENGINE_EVQ_H

#include <stdint.h>

#include "l7splice/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define L7SIM_EVQ_SLOT_BITS 24
#define L7SIM_EVQ_MAX_CAPACITY ((1u << L7SIM_EVQ_SLOT_BITS) - 1)
#define L7SIM_EVQ_SEQ_LIMIT (1ULL << (64 - L7SIM_EVQ_SLOT_BITS))

/* 0 is never a valid handle. */
typedef uint64_t l7sim_ev_handle;
#define L7SIM_EV_NONE ((l7sim_ev_handle)0)

struct l7sim_event {
	l7_time_ns time_ns;
	void *obj;
	uint64_t arg;
	uint16_t type;
};

/* Heap key: the heap holds only these 16 bytes, so four siblings share one
 * 64-byte cache line. seqslot = seq << SLOT_BITS | slot index. */
struct l7sim_evq_key {
	l7_time_ns time_ns;
	uint64_t seqslot;
};

struct l7sim_evq_slot {
	uint64_t arg;
	void *obj;
	uint64_t seq;                /* seq of the pending event here; 0 = free */
	uint16_t type;
};

struct l7sim_evq {
	struct l7sim_evq_key *heap;  /* heap[0] is the minimum */
	void *heap_mem;
	uint32_t heap_cap;           /* 2 * capacity: room for tombstones */
	struct l7sim_evq_slot *slots;
	uint32_t *free_slots;        /* stack of free slot indices */
	uint32_t n;                  /* keys in the heap, tombstones and hole included */
	uint32_t nfree;
	uint32_t capacity;
	uint32_t tombstones;
	int hole;                    /* heap[0] was popped and not yet refilled */
	uint64_t next_seq;
	/* counters */
	uint64_t pushed;
	uint64_t popped;
	uint64_t cancelled;
	uint64_t full;               /* pushes refused because every slot was busy */
	uint32_t peak_pending;
};

int l7sim_evq_init(struct l7sim_evq *q, uint32_t capacity);
void l7sim_evq_fini(struct l7sim_evq *q);

/* Queue an event; *h (if h) receives its handle. L7_EFULL when full,
 * L7_ERANGE when the 2^40 insertion counter is exhausted. */
int l7sim_evq_push(struct l7sim_evq *q, l7_time_ns t, uint16_t type, void *obj,
		   uint64_t arg, l7sim_ev_handle *h);

/* Remove the earliest live event into *ev: 1 if one was removed, 0 if empty. */
int l7sim_evq_pop(struct l7sim_evq *q, struct l7sim_event *ev);

/* Time of the earliest live event: 1 and *t if any, 0 if empty. */
int l7sim_evq_peek(struct l7sim_evq *q, l7_time_ns *t);

/* Cancel a pending event: 0, or L7_ENOENT if it already fired, was
 * cancelled, or the handle is not one of this queue's. */
int l7sim_evq_cancel(struct l7sim_evq *q, l7sim_ev_handle h);

/* Live (not cancelled) pending events. */
static inline uint32_t l7sim_evq_pending(const struct l7sim_evq *q)
{
	return q->capacity - q->nfree;
}

#ifdef __cplusplus
}
#endif
#endif
