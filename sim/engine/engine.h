/*
 * engine.h — l7sim's discrete-event engine: the simulated clock, the event
 * queue (evq.h), the timing wheel (wheel.h) and the run loop that dispatches
 * each event to the handler registered for its type.
 *
 * Ordering guarantees (docs/engine.md): events run in (time_ns, schedule
 * order); a timer due at tick time T runs before queued events at time >= T;
 * the clock never goes backwards; scheduling into the past is refused.
 *
 * Determinism: the engine reads no clock and no randomness; given the same
 * sequence of schedule/arm/cancel calls (which a deterministic model makes
 * from the same inputs and seeds) it fires the same events in the same order
 * at the same times. With trace_hash on, every fired event's (time, type,
 * arg) is folded into a 64-bit hash, so two runs can be compared cheaply.
 */
#ifndef L7SIM_ENGINE_ENGINE_H
#define L7SIM_ENGINE_ENGINE_H

#include <stdint.h>

#include "l7splice/common.h"
#include "engine/evq.h"
#include "engine/wheel.h"

#define L7SIM_MAX_EVENT_TYPES 256
#define L7SIM_DEFAULT_TICK_NS 1000u        /* timing-wheel tick: 1 us */

struct l7sim_engine;

typedef void (*l7sim_handler_fn)(struct l7sim_engine *e, void *obj, uint64_t arg);
typedef void (*l7sim_progress_fn)(const struct l7sim_engine *e, void *ctx);

struct l7sim_engine_config {
	uint32_t max_events;        /* pending-event capacity (pool size) */
	l7_time_ns start_ns;        /* the clock's initial value */
	uint64_t timer_tick_ns;     /* wheel resolution; 0 = L7SIM_DEFAULT_TICK_NS */
	uint64_t progress_every;    /* call progress_fn every N dispatches; 0 = never */
	l7sim_progress_fn progress_fn;
	void *progress_ctx;
	int trace_hash;             /* fold fired events into stats.trace_hash */
};

struct l7sim_engine_stats {
	l7_time_ns now_ns;
	uint64_t events_fired;      /* queue events dispatched */
	uint64_t timers_fired;
	uint64_t events_scheduled;
	uint64_t events_cancelled;
	uint64_t schedule_full;     /* schedules refused: event pool exhausted */
	uint32_t events_pending;
	uint32_t events_peak_pending;
	uint64_t timers_armed;
	uint64_t trace_hash;
};

enum l7sim_run_result {
	L7SIM_RUN_EMPTY = 0,        /* nothing left to do */
	L7SIM_RUN_UNTIL = 1,        /* next work is after until_ns; now == until_ns */
	L7SIM_RUN_MAX_EVENTS = 2,   /* dispatched max_events this call */
	L7SIM_RUN_STOPPED = 3,      /* a handler called l7sim_engine_stop() */
};

struct l7sim_engine {
	l7_time_ns now_ns;
	struct l7sim_evq q;
	struct l7sim_wheel wheel;
	l7sim_handler_fn handler[L7SIM_MAX_EVENT_TYPES];
	int stop;
	int trace_hash;
	uint64_t hash;
	uint64_t events_fired;
	uint64_t timers_fired;
	uint64_t progress_every;
	uint64_t progress_left;
	l7sim_progress_fn progress_fn;
	void *progress_ctx;
	uint64_t max_hint;          /* UINT64_MAX / tick_ns: hints above overflow */
};

/* Allocates the engine and its event pool. */
int l7sim_engine_create(const struct l7sim_engine_config *cfg, struct l7sim_engine **out);
void l7sim_engine_destroy(struct l7sim_engine *e);

/* Register fn for events of `type` (< L7SIM_MAX_EVENT_TYPES). */
int l7sim_engine_on(struct l7sim_engine *e, uint16_t type, l7sim_handler_fn fn);

static inline l7_time_ns l7sim_engine_now(const struct l7sim_engine *e)
{
	return e->now_ns;
}

/* Schedule an event of a registered type at absolute time t_ns >= now.
 * L7_EINVAL for a past time or an unregistered type, L7_EFULL when the
 * pool is exhausted (counted in stats.schedule_full). */
static inline int l7sim_engine_at(struct l7sim_engine *e, l7_time_ns t_ns, uint16_t type,
				  void *obj, uint64_t arg, l7sim_ev_handle *h)
{
	/* inline: every simulated hop schedules through here */
	if (t_ns < e->now_ns || type >= L7SIM_MAX_EVENT_TYPES || !e->handler[type])
		return L7_EINVAL;
	return l7sim_evq_push(&e->q, t_ns, type, obj, arg, h);
}

static inline int l7sim_engine_after(struct l7sim_engine *e, uint64_t delay_ns, uint16_t type,
				     void *obj, uint64_t arg, l7sim_ev_handle *h)
{
	if (delay_ns > UINT64_MAX - e->now_ns)
		return L7_ERANGE;
	return l7sim_engine_at(e, e->now_ns + delay_ns, type, obj, arg, h);
}
/* 0, or L7_ENOENT when the event already fired or was cancelled. */
int l7sim_engine_cancel(struct l7sim_engine *e, l7sim_ev_handle h);

/* Timers (wheel.h): fn(ctx, timer) gets the engine as ctx. The deadline is
 * max(deadline_ns, now); the timer fires within one tick after it. */
void l7sim_engine_timer_arm(struct l7sim_engine *e, struct l7sim_timer *t,
			    l7_time_ns deadline_ns);
int l7sim_engine_timer_cancel(struct l7sim_engine *e, struct l7sim_timer *t);

/* Run until nothing is left, the next work is after until_ns, max_events
 * dispatches happened (0 = no limit), or a handler stops the loop. Returns
 * an enum l7sim_run_result (>= 0). */
int l7sim_engine_run(struct l7sim_engine *e, l7_time_ns until_ns, uint64_t max_events);
void l7sim_engine_stop(struct l7sim_engine *e);

void l7sim_engine_get_stats(const struct l7sim_engine *e, struct l7sim_engine_stats *s);

#endif
