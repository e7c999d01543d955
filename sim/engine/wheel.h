/*
 * wheel.h — a hierarchical timing wheel (Varghese & Lauck, "Hashed and
 * hierarchical timing wheels", SOSP 1987) for the many timers that are armed,
 * re-armed and cancelled far more often than they fire: idle timeouts,
 * retransmission timers, aging.
 *
 * Granularity: time is cut into ticks of tick_ns. A timer armed for deadline
 * D expires at tick e = max(ceil(D / tick_ns), cur + 1), i.e. at time
 * e * tick_ns: never before D, at most one tick after max(D, the time of the
 * wheel's last processed tick + 1 tick). Cascading keeps that precision at
 * every level.
 *
 * Layout: L7SIM_WHEEL_LEVELS levels of 256 slots; a timer lives at the level
 * of the highest 8-bit digit in which e differs from the current tick, in the
 * slot of e's digit there; when the current tick enters that slot, the slot's
 * timers cascade to lower levels. Timers whose tick differs from the current
 * one above the top level (more than 2^40 ticks ahead, or across a 2^40
 * boundary) wait on an overflow list re-examined at every 2^40-tick boundary.
 * Per-level occupancy bitmaps let the wheel jump over empty ticks, so cost
 * does not depend on tick_ns.
 *
 * Invariants: arm, re-arm and cancel are O(1); the wheel never allocates
 * (timers are embedded in the caller's objects); within one tick, timers fire
 * in the order they entered that tick's slot (arm order, cascades keeping
 * their order) — deterministic for the same sequence of calls.
 */
#ifndef L7SIM_ENGINE_WHEEL_H
#define L7SIM_ENGINE_WHEEL_H

#include <stdint.h>

#include "l7splice/common.h"

#define L7SIM_WHEEL_BITS 8
#define L7SIM_WHEEL_SLOTS (1u << L7SIM_WHEEL_BITS)
#define L7SIM_WHEEL_LEVELS 5

struct l7sim_timer;
struct l7sim_wheel;

/* Called when the timer expires; the timer is already disarmed and may be
 * re-armed from the callback. */
typedef void (*l7sim_timer_fn)(void *ctx, struct l7sim_timer *t);

struct l7sim_tlist {
	struct l7sim_tlist *next, *prev;
};

struct l7sim_timer {
	struct l7sim_tlist link;     /* first member: a node converts to its timer */
	uint64_t expire_tick;
	l7sim_timer_fn fn;
	uint32_t where;              /* slot index, or one of the WHERE_ values */
};

struct l7sim_wheel {
	uint64_t tick_ns;
	uint64_t cur;                /* last processed tick */
	uint64_t hint;               /* <= the next tick with work; UINT64_MAX if none */
	uint64_t armed;              /* timers armed now */
	uint64_t fired;
	struct l7sim_tlist slot[L7SIM_WHEEL_LEVELS][L7SIM_WHEEL_SLOTS];
	uint64_t bits[L7SIM_WHEEL_LEVELS][L7SIM_WHEEL_SLOTS / 64];
	struct l7sim_tlist overflow;
	struct l7sim_tlist firing;   /* the tick being fired */
};

/* tick_ns > 0; the wheel starts at tick floor(start_ns / tick_ns). */
int l7sim_wheel_init(struct l7sim_wheel *w, uint64_t tick_ns, l7_time_ns start_ns);

void l7sim_timer_init(struct l7sim_timer *t, l7sim_timer_fn fn);
static inline int l7sim_timer_armed(const struct l7sim_timer *t)
{
	return t->link.next != 0;
}

/* Arm or re-arm t for deadline_ns (see granularity above). */
void l7sim_wheel_arm(struct l7sim_wheel *w, struct l7sim_timer *t, l7_time_ns deadline_ns);
/* Disarm; 0, or L7_ENOENT if it was not armed. */
int l7sim_wheel_cancel(struct l7sim_wheel *w, struct l7sim_timer *t);

/* The next tick (> cur) at which the wheel has work (a fire or a cascade):
 * 1 and *tick, or 0 when no timer is armed. w->hint is a cheap lower bound
 * of it (lowered by every arm, exact after every advance), so a caller can
 * skip this search while its events come before the hint. */
int l7sim_wheel_next_tick(const struct l7sim_wheel *w, uint64_t *tick);

/* Process every tick up to and including `tick`, calling fn(ctx, timer) for
 * each expiring timer with w->cur set to its tick; timers armed by the
 * callbacks are honoured in the same call. Returns the number fired. */
uint64_t l7sim_wheel_advance(struct l7sim_wheel *w, uint64_t tick, void *ctx);

#endif
