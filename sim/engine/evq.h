/*
 * evq.h — the pending-event set: a radix heap (Ahuja, Mehlhorn, Orlin &
 * Tarjan, "Faster algorithms for the shortest path problem", JACM 37(2),
 * 1990) of events, with the event bodies inline and handle-based lazy cancel.
 *
 * A radix heap is a monotone priority queue: it only accepts keys >= the
 * last key removed. A discrete-event simulation satisfies that by
 * construction (nothing is scheduled before "now"), and in exchange push is
 * O(1) and each event is moved O(log of the spread of pending times / digit
 * bits) times, all sequential memory traffic (docs/engine.md has the
 * measurements against the 4-ary heap this replaced).
 *
 * Ordering: events come out by time_ns, and events with equal time_ns in the
 * order they were pushed (every bucket is FIFO and equal keys always share a
 * bucket). Cancel is O(1): the event's slot is released at once and its entry
 * becomes a tombstone that is dropped when reached; tombstones are also
 * purged in O(n) when they reach half the capacity.
 *
 * Invariants: at most `capacity` live events (push beyond returns L7_EFULL
 * and counts it); no allocation after init; push with time_ns < the last
 * popped time returns L7_EINVAL; a handle is the event's unique (seq, slot)
 * pair and is never reused, so cancelling a fired or cancelled event returns
 * L7_ENOENT.
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
#define L7SIM_EVQ_CHUNK 32           /* entries per storage chunk */
#ifndef L7SIM_EVQ_DIGIT_BITS
#define L7SIM_EVQ_DIGIT_BITS 6       /* radix 64: see evq.c */
#endif
#define L7SIM_EVQ_DIGITS (1u << L7SIM_EVQ_DIGIT_BITS)
#define L7SIM_EVQ_LEVELS ((64 + L7SIM_EVQ_DIGIT_BITS - 1) / L7SIM_EVQ_DIGIT_BITS)
/* bucket 0: key == last; 1 + level * DIGITS + digit otherwise */
#define L7SIM_EVQ_BUCKETS (1 + L7SIM_EVQ_LEVELS * L7SIM_EVQ_DIGITS)
#define L7SIM_EVQ_MAP_WORDS ((L7SIM_EVQ_BUCKETS - 1 + 63) / 64)

/* 0 is never a valid handle. */
typedef uint64_t l7sim_ev_handle;
#define L7SIM_EV_NONE ((l7sim_ev_handle)0)

struct l7sim_event {
	l7_time_ns time_ns;
	void *obj;
	uint64_t arg;
	uint16_t type;
};

struct l7sim_evq_ent {
	l7_time_ns time_ns;
	uint64_t arg;
	void *obj;
	uint64_t seqslot;            /* seq << SLOT_BITS | slot; 0 = no handle */
	uint16_t type;
};

struct l7sim_evq_chunk {
	struct l7sim_evq_chunk *next;
	uint32_t n;                  /* entries written */
	struct l7sim_evq_ent e[L7SIM_EVQ_CHUNK];
};

/* A bucket's entries in order: `one` (when has_one), then the chunk list
 * from head_i. Most buckets hold a single event when they come up, so the
 * first entry lives in the bucket itself and costs no chunk. */
struct l7sim_evq_bucket {
	struct l7sim_evq_chunk *head, *tail;
	uint32_t head_i;             /* next entry to read in head */
	uint32_t has_one;
	l7_time_ns min_ns;           /* <= every key in the bucket */
	struct l7sim_evq_ent one;
};

struct l7sim_evq {
	struct l7sim_evq_bucket b[L7SIM_EVQ_BUCKETS];
	uint64_t nonempty[L7SIM_EVQ_MAP_WORDS]; /* bit i-1 set: bucket i >= 1 non-empty */
	l7_time_ns last_ns;          /* the radix heap's reference key */
	struct l7sim_evq_chunk *chunk_mem, *free_chunks;
	uint32_t nfree_chunks;       /* on free_chunks + never used */
	uint32_t fresh_chunk;        /* chunk_mem[fresh_chunk..] never used */
	uint32_t nchunks;
	uint64_t *slot_seq;          /* seq of the live handled event in a slot; 0 = free */
	uint32_t *free_slots;        /* stack of released slot indices */
	uint32_t nfree_slots;
	uint32_t fresh_slot;         /* slots [fresh_slot, capacity) never used */
	uint32_t capacity;
	uint32_t live;               /* live (not cancelled) pending events */
	uint32_t tombstones;
	uint64_t next_seq;
	/* counters */
	uint64_t pushed;
	uint64_t popped;
	uint64_t cancelled;
	uint64_t full;               /* pushes refused: capacity reached */
	uint32_t peak_pending;
};

int l7sim_evq_init(struct l7sim_evq *q, uint32_t capacity);
void l7sim_evq_fini(struct l7sim_evq *q);

/* Queue an event at t >= the last popped time. With h non-NULL the event is
 * cancellable and *h receives its handle. L7_EFULL when full, L7_EINVAL for
 * a time in the past, L7_ERANGE when 2^40 handles have been issued. */
int l7sim_evq_push(struct l7sim_evq *q, l7_time_ns t, uint16_t type, void *obj,
		   uint64_t arg, l7sim_ev_handle *h);

/* Remove the earliest live event if its time is <= bound_ns: 1 and *ev, or
 * 0 (nothing at or before bound_ns). After a 0, the caller's clock must move
 * to >= bound_ns before it pushes again (the engine does), because the
 * queue's reference key may have advanced up to bound_ns. */
int l7sim_evq_pop_until(struct l7sim_evq *q, l7_time_ns bound_ns, struct l7sim_event *ev);

static inline int l7sim_evq_pop(struct l7sim_evq *q, struct l7sim_event *ev)
{
	return l7sim_evq_pop_until(q, UINT64_MAX, ev);
}

/* Cancel a pending event: 0, or L7_ENOENT if it already fired, was
 * cancelled, or the handle is not one of this queue's. */
int l7sim_evq_cancel(struct l7sim_evq *q, l7sim_ev_handle h);

/* Live (not cancelled) pending events. */
static inline uint32_t l7sim_evq_pending(const struct l7sim_evq *q)
{
	return q->live;
}

#ifdef __cplusplus
}
#endif
#endif
