/*
 * engine.c — the run loop of engine.h.
 *
 * Each iteration compares the earliest queued event with the wheel's next
 * tick that has work and takes the earlier (the wheel on a tie), so timers
 * and events interleave in time order. The wheel is advanced lazily, only
 * when it has work, so a run without timers pays nothing for it.
 *
 * Invariant: now_ns only grows; it is set to the time of the work being done
 * before that work's callback runs.
 */
#include <stdlib.h>

#include "engine/engine.h"

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

int l7sim_engine_create(const struct l7sim_engine_config *cfg, struct l7sim_engine **out)
{
	*out = NULL;
	if (!cfg || cfg->max_events == 0)
		return L7_EINVAL;
	struct l7sim_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return L7_ENOMEM;
	int rc = l7sim_evq_init(&e->q, cfg->max_events);
	if (rc) {
		free(e);
		return rc;
	}
	l7sim_wheel_init(&e->wheel, cfg->timer_tick_ns ? cfg->timer_tick_ns : L7SIM_DEFAULT_TICK_NS,
			 cfg->start_ns);
	e->max_hint = UINT64_MAX / e->wheel.tick_ns;
	e->now_ns = cfg->start_ns;
	e->trace_hash = cfg->trace_hash;
	e->hash = 0x243f6a8885a308d3ULL;
	e->progress_fn = cfg->progress_fn;
	e->progress_ctx = cfg->progress_ctx;
	e->progress_every = cfg->progress_fn ? cfg->progress_every : 0;
	e->progress_left = e->progress_every;
	*out = e;
	return 0;
}

void l7sim_engine_destroy(struct l7sim_engine *e)
{
	if (!e)
		return;
	l7sim_evq_fini(&e->q);
	free(e);
}

int l7sim_engine_on(struct l7sim_engine *e, uint16_t type, l7sim_handler_fn fn)
{
	if (type >= L7SIM_MAX_EVENT_TYPES || !fn)
		return L7_EINVAL;
	e->handler[type] = fn;
	return 0;
}

int l7sim_engine_cancel(struct l7sim_engine *e, l7sim_ev_handle h)
{
	return l7sim_evq_cancel(&e->q, h);
}

void l7sim_engine_timer_arm(struct l7sim_engine *e, struct l7sim_timer *t,
			    l7_time_ns deadline_ns)
{
	/* The wheel may lag behind now (it advances only when it has work), so
	 * clamp here: a timer must never fire before the current time. */
	l7sim_wheel_arm(&e->wheel, t, deadline_ns > e->now_ns ? deadline_ns : e->now_ns);
}

int l7sim_engine_timer_cancel(struct l7sim_engine *e, struct l7sim_timer *t)
{
	return l7sim_wheel_cancel(&e->wheel, t);
}

void l7sim_engine_stop(struct l7sim_engine *e)
{
	e->stop = 1;
}

static void progress(struct l7sim_engine *e)
{
	if (e->progress_every && --e->progress_left == 0) {
		e->progress_left = e->progress_every;
		e->progress_fn(e, e->progress_ctx);
	}
}

/* Fire the wheel's work at tick x (time tx). */
static uint64_t run_wheel(struct l7sim_engine *e, uint64_t x, l7_time_ns tx)
{
	/* A cascade-only tick can lie behind now (the wheel lags); fires
	 * cannot, because arming clamps deadlines to now. */
	if (tx > e->now_ns)
		e->now_ns = tx;
	uint64_t before = e->wheel.fired;
	l7sim_wheel_advance(&e->wheel, x, e);
	uint64_t n = e->wheel.fired - before;
	if (e->trace_hash && n)
		e->hash = mix64(e->hash ^ tx) + n;
	e->timers_fired += n;
	return n;
}

int l7sim_engine_run(struct l7sim_engine *e, l7_time_ns until_ns, uint64_t max_events)
{
	uint64_t done = 0;
	e->stop = 0;
	for (;;) {
		if (e->stop)
			return L7SIM_RUN_STOPPED;
		if (max_events && done >= max_events)
			return L7SIM_RUN_MAX_EVENTS;
		/* Queue events strictly before the wheel's next tick go first;
		 * the wheel wins ties. The wheel's hint is a lower bound of its
		 * next tick, so events before it are safe without a search. */
		uint64_t x = 0;
		l7_time_ns tx = 0, bound = until_ns;
		int wheel_due = 0;
		if (e->wheel.armed && e->wheel.hint <= e->max_hint) {
			x = e->wheel.hint;
			tx = x * e->wheel.tick_ns;
			if (tx <= until_ns) {
				wheel_due = 1;
				bound = tx - 1;
			}
		}
		struct l7sim_event ev;
		if (!(wheel_due && tx == 0) && l7sim_evq_pop_until(&e->q, bound, &ev)) {
			e->now_ns = ev.time_ns;
			if (e->trace_hash)
				e->hash = mix64(e->hash ^ ev.time_ns) ^
					  mix64(((uint64_t)ev.type << 48) ^ ev.arg);
			e->events_fired++;
			done++;
			e->handler[ev.type](e, ev.obj, ev.arg);
			progress(e);
			continue;
		}
		if (wheel_due) {
			uint64_t exact;
			if (l7sim_wheel_next_tick(&e->wheel, &exact) && exact != x) {
				/* The hint was low (a timer moved or left): raise it
				 * and let earlier queue events go first. */
				e->wheel.hint = exact;
				continue;
			}
			uint64_t n = run_wheel(e, x, tx);
			done += n;
			for (uint64_t i = 0; i < n; i++)
				progress(e);
			continue;
		}
		if (l7sim_evq_pending(&e->q) == 0 && e->wheel.armed == 0)
			return L7SIM_RUN_EMPTY;
		/* The queue's reference key may have moved up to until_ns. */
		if (until_ns > e->now_ns)
			e->now_ns = until_ns;
		return L7SIM_RUN_UNTIL;
	}
}

void l7sim_engine_get_stats(const struct l7sim_engine *e, struct l7sim_engine_stats *s)
{
	s->now_ns = e->now_ns;
	s->events_fired = e->events_fired;
	s->timers_fired = e->timers_fired;
	s->events_scheduled = e->q.pushed;
	s->events_cancelled = e->q.cancelled;
	s->schedule_full = e->q.full;
	s->events_pending = l7sim_evq_pending(&e->q);
	s->events_peak_pending = e->q.peak_pending;
	s->timers_armed = e->wheel.armed;
	s->trace_hash = e->hash;
}
