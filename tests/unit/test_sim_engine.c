/*
 * test_sim_engine.c — l7sim's event queue, timing wheel, object pool and run
 * loop: ordering (ties by insertion), cancel, wheel granularity, re-arm,
 * level wraparound and overflow, pool exhaustion, and byte-identical
 * determinism of a randomized scenario.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/clock.h"
#include "engine/engine.h"
#include "engine/evq.h"
#include "engine/pool.h"
#include "engine/rng.h"
#include "engine/wheel.h"

/* ------------------------------------------------------------ evq */

struct ref_ev {
	uint64_t t;
	uint64_t idx;
};

static int ref_cmp(const void *a, const void *b)
{
	const struct ref_ev *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void evq_orders_by_time_then_insertion(void **state)
{
	(void)state;
	enum { N = 20000 };
	struct l7sim_evq q;
	struct l7sim_rng r;
	struct ref_ev *ref = malloc(N * sizeof(*ref));
	assert_non_null(ref);
	assert_int_equal(l7sim_evq_init(&q, N), 0);
	l7sim_rng_init(&r, 1, 1);
	for (uint64_t i = 0; i < N; i++) {
		/* few distinct times: many ties */
		ref[i].t = l7sim_rng_below(&r, 500);
		ref[i].idx = i;
		assert_int_equal(l7sim_evq_push(&q, ref[i].t, 3, NULL, i, NULL), 0);
	}
	qsort(ref, N, sizeof(*ref), ref_cmp);
	struct l7sim_event ev;
	for (uint64_t i = 0; i < N; i++) {
		assert_int_equal(l7sim_evq_pop(&q, &ev), 1);
		assert_int_equal(ev.time_ns, ref[i].t);
		assert_int_equal(ev.arg, ref[i].idx);
		assert_int_equal(ev.type, 3);
	}
	assert_int_equal(l7sim_evq_pop(&q, &ev), 0);
	assert_int_equal(q.pushed, N);
	assert_int_equal(q.popped, N);
	l7sim_evq_fini(&q);
	free(ref);
}

static void evq_equal_times_fifo(void **state)
{
	(void)state;
	struct l7sim_evq q;
	assert_int_equal(l7sim_evq_init(&q, 300), 0);
	for (uint64_t i = 0; i < 300; i++)
		assert_int_equal(l7sim_evq_push(&q, 42, 0, NULL, i, NULL), 0);
	struct l7sim_event ev;
	for (uint64_t i = 0; i < 300; i++) {
		assert_int_equal(l7sim_evq_pop(&q, &ev), 1);
		assert_int_equal(ev.arg, i);
	}
	l7sim_evq_fini(&q);
}

/* Random interleaving of push / pop / cancel against a brute-force model;
 * wide = 1 spreads times over up to 2^40 ns so that every radix level and
 * digit is used, wide = 0 makes ties common. */
static void evq_random_ops(int wide, uint64_t seed)
{
	enum { CAP = 512, OPS = 60000 };
	struct l7sim_evq q;
	struct l7sim_rng r;
	struct { uint64_t t, seq; l7sim_ev_handle h; int live; } m[CAP];
	int nm = 0;
	uint64_t seq = 0, now = 0;
	assert_int_equal(l7sim_evq_init(&q, CAP), 0);
	l7sim_rng_init(&r, seed, 7);
	for (int op = 0; op < OPS; op++) {
		uint64_t c = l7sim_rng_below(&r, 10);
		if (c < 5) {
			l7sim_ev_handle h;
			uint64_t t = now + (wide ? l7sim_rng_next(&r) >> (24 + l7sim_rng_below(&r, 40))
						 : l7sim_rng_below(&r, 50));
			int rc = l7sim_evq_push(&q, t, 1, NULL, seq, &h);
			if (nm == CAP) {
				assert_int_equal(rc, L7_EFULL);
				continue;
			}
			assert_int_equal(rc, 0);
			assert_int_not_equal(h, L7SIM_EV_NONE);
			m[nm].t = t;
			m[nm].seq = seq++;
			m[nm].h = h;
			m[nm].live = 1;
			nm++;
		} else if (c < 7 && nm > 0) {
			int k = (int)l7sim_rng_below(&r, (uint64_t)nm);
			assert_int_equal(l7sim_evq_cancel(&q, m[k].h), 0);
			assert_int_equal(l7sim_evq_cancel(&q, m[k].h), L7_ENOENT);
			m[k] = m[--nm];
		} else {
			struct l7sim_event ev;
			int best = -1;
			for (int k = 0; k < nm; k++)
				if (best < 0 || m[k].t < m[best].t ||
				    (m[k].t == m[best].t && m[k].seq < m[best].seq))
					best = k;
			int got = l7sim_evq_pop(&q, &ev);
			if (best < 0) {
				assert_int_equal(got, 0);
				continue;
			}
			assert_int_equal(got, 1);
			assert_int_equal(ev.time_ns, m[best].t);
			assert_int_equal(ev.arg, m[best].seq);
			now = ev.time_ns;
			assert_int_equal(l7sim_evq_cancel(&q, m[best].h), L7_ENOENT);
			m[best] = m[--nm];
		}
		assert_int_equal(l7sim_evq_pending(&q), (uint32_t)nm);
	}
	l7sim_evq_fini(&q);
}

static void evq_random_ops_match_model(void **state)
{
	(void)state;
	evq_random_ops(0, 7);
	evq_random_ops(1, 8);
	evq_random_ops(1, 9);
}

static void evq_cancel_cases(void **state)
{
	(void)state;
	struct l7sim_evq q;
	l7sim_ev_handle a, b, c;
	struct l7sim_event ev;
	assert_int_equal(l7sim_evq_init(&q, 4), 0);
	assert_int_equal(l7sim_evq_push(&q, 10, 0, NULL, 1, &a), 0);
	assert_int_equal(l7sim_evq_push(&q, 20, 0, NULL, 2, &b), 0);
	assert_int_equal(l7sim_evq_push(&q, 30, 0, NULL, 3, &c), 0);
	/* before fire */
	assert_int_equal(l7sim_evq_cancel(&q, b), 0);
	/* double cancel */
	assert_int_equal(l7sim_evq_cancel(&q, b), L7_ENOENT);
	assert_int_equal(l7sim_evq_pending(&q), 2);
	assert_int_equal(l7sim_evq_pop(&q, &ev), 1);
	assert_int_equal(ev.arg, 1);
	/* after fire */
	assert_int_equal(l7sim_evq_cancel(&q, a), L7_ENOENT);
	/* b's slot is reused by d: b's handle must stay dead and its
	 * tombstone must not resurrect d early */
	l7sim_ev_handle d;
	assert_int_equal(l7sim_evq_push(&q, 40, 0, NULL, 4, &d), 0);
	assert_int_not_equal(d, b);
	assert_int_equal(l7sim_evq_cancel(&q, b), L7_ENOENT);
	/* nothing at or before 29; the next is 30 */
	assert_int_equal(l7sim_evq_pop_until(&q, 29, &ev), 0);
	assert_int_equal(l7sim_evq_pop_until(&q, 30, &ev), 1);
	assert_int_equal(ev.arg, 3);
	assert_int_equal(l7sim_evq_pop(&q, &ev), 1);
	assert_int_equal(ev.arg, 4);
	assert_int_equal(ev.time_ns, 40);
	assert_int_equal(l7sim_evq_pop(&q, &ev), 0);
	/* the queue is monotone: nothing before the last pop */
	assert_int_equal(l7sim_evq_push(&q, 39, 0, NULL, 5, NULL), L7_EINVAL);
	/* a queue holding only tombstones must not move its reference key */
	l7sim_ev_handle e5;
	assert_int_equal(l7sim_evq_push(&q, 1000, 0, NULL, 5, &e5), 0);
	assert_int_equal(l7sim_evq_cancel(&q, e5), 0);
	assert_int_equal(l7sim_evq_pop(&q, &ev), 0);
	assert_int_equal(l7sim_evq_push(&q, 41, 0, NULL, 6, NULL), 0);
	assert_int_equal(l7sim_evq_pop(&q, &ev), 1);
	assert_int_equal(ev.arg, 6);
	/* junk handles */
	assert_int_equal(l7sim_evq_cancel(&q, L7SIM_EV_NONE), L7_ENOENT);
	assert_int_equal(l7sim_evq_cancel(&q, ~0ULL), L7_ENOENT);
	assert_int_equal(q.cancelled, 2);
	l7sim_evq_fini(&q);
}

static void evq_mass_cancel_compacts(void **state)
{
	(void)state;
	enum { N = 10000 };
	struct l7sim_evq q;
	static l7sim_ev_handle h[N];
	assert_int_equal(l7sim_evq_init(&q, N), 0);
	for (uint64_t i = 0; i < N; i++)
		assert_int_equal(l7sim_evq_push(&q, (i * 7919) % N, 0, NULL, i, &h[i]), 0);
	/* cancel all but every 10th */
	for (uint64_t i = 0; i < N; i++)
		if (i % 10)
			assert_int_equal(l7sim_evq_cancel(&q, h[i]), 0);
	/* tombstones were purged along the way */
	assert_true(q.tombstones < N / 2);
	assert_int_equal(l7sim_evq_pending(&q), N / 10);
	struct l7sim_event ev;
	uint64_t last = 0, count = 0;
	while (l7sim_evq_pop(&q, &ev)) {
		assert_int_equal(ev.arg % 10, 0);
		assert_true(ev.time_ns >= last);
		last = ev.time_ns;
		count++;
	}
	assert_int_equal(count, N / 10);
	l7sim_evq_fini(&q);
}

static void evq_full_is_counted(void **state)
{
	(void)state;
	struct l7sim_evq q;
	struct l7sim_event ev;
	assert_int_equal(l7sim_evq_init(&q, 2), 0);
	assert_int_equal(l7sim_evq_push(&q, 1, 0, NULL, 0, NULL), 0);
	assert_int_equal(l7sim_evq_push(&q, 2, 0, NULL, 0, NULL), 0);
	assert_int_equal(l7sim_evq_push(&q, 3, 0, NULL, 0, NULL), L7_EFULL);
	assert_int_equal(l7sim_evq_push(&q, 3, 0, NULL, 0, NULL), L7_EFULL);
	assert_int_equal(q.full, 2);
	assert_int_equal(l7sim_evq_pop(&q, &ev), 1);
	assert_int_equal(l7sim_evq_push(&q, 3, 0, NULL, 0, NULL), 0);
	assert_int_equal(q.peak_pending, 2);
	l7sim_evq_fini(&q);
	assert_int_equal(l7sim_evq_init(&q, 0), L7_EINVAL);
	assert_int_equal(l7sim_evq_init(&q, L7SIM_EVQ_MAX_CAPACITY + 1), L7_EINVAL);
}

/* ------------------------------------------------------------ pool */

static void pool_exhaustion_counted(void **state)
{
	(void)state;
	struct l7sim_pool p;
	assert_int_equal(l7sim_pool_init(&p, 24, 3), 0);
	void *a = l7sim_pool_get(&p), *b = l7sim_pool_get(&p), *c = l7sim_pool_get(&p);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_ptr_not_equal(a, b);
	assert_int_equal(l7sim_pool_index(&p, a), 0);
	assert_int_equal(l7sim_pool_index(&p, c), 2);
	assert_ptr_equal(l7sim_pool_at(&p, 1), b);
	assert_null(l7sim_pool_at(&p, 3));
	assert_null(l7sim_pool_get(&p));
	assert_null(l7sim_pool_get(&p));
	assert_int_equal(p.exhausted, 2);
	assert_int_equal(p.in_use, 3);
	l7sim_pool_put(&p, b);
	assert_ptr_equal(l7sim_pool_get(&p), b); /* LIFO */
	memset(a, 0xab, 24);                      /* objects are usable */
	l7sim_pool_put(&p, a);
	assert_int_equal(p.in_use, 2);
	assert_int_equal(p.peak_in_use, 3);
	l7sim_pool_fini(&p);
	/* the hand-out order of a free list initially 0, 1, 2, ...: returned
	 * objects first (LIFO), then never-used ones in index order */
	assert_int_equal(l7sim_pool_init(&p, 24, 5), 0);
	a = l7sim_pool_get(&p);
	b = l7sim_pool_get(&p);
	l7sim_pool_put(&p, a);
	assert_ptr_equal(l7sim_pool_get(&p), a);
	c = l7sim_pool_get(&p);
	assert_int_equal(l7sim_pool_index(&p, c), 2);
	l7sim_pool_put(&p, b);
	l7sim_pool_put(&p, c);
	assert_ptr_equal(l7sim_pool_get(&p), c);
	assert_ptr_equal(l7sim_pool_get(&p), b);
	assert_int_equal(l7sim_pool_index(&p, l7sim_pool_get(&p)), 3);
	assert_int_equal(l7sim_pool_index(&p, l7sim_pool_get(&p)), 4);
	assert_null(l7sim_pool_get(&p));
	assert_int_equal(p.exhausted, 1);
	l7sim_pool_fini(&p);
	assert_int_equal(l7sim_pool_init(&p, 0, 3), L7_EINVAL);
	assert_int_equal(l7sim_pool_init(&p, 8, 0), L7_EINVAL);
}

/* ------------------------------------------------------------ wheel */

struct fire_log {
	struct l7sim_wheel *w;
	uint64_t tick[4096];
	struct l7sim_timer *who[4096];
	int n;
};

struct ttimer {
	struct l7sim_timer t;    /* first member */
	uint64_t deadline;
	uint64_t fired_tick;
	int fires;
	int periodic;            /* re-arm every `periodic` ticks, while > 0 */
	int rearms_left;
};

static void log_fire(void *ctx, struct l7sim_timer *t)
{
	struct fire_log *log = ctx;
	struct ttimer *tt = (struct ttimer *)(void *)t;
	assert_false(l7sim_timer_armed(t));
	tt->fired_tick = log->w->cur;
	tt->fires++;
	if (log->n < 4096) {
		log->tick[log->n] = log->w->cur;
		log->who[log->n] = t;
		log->n++;
	}
	if (tt->periodic && tt->rearms_left-- > 0)
		l7sim_wheel_arm(log->w, t, (log->w->cur + (uint64_t)tt->periodic) * log->w->tick_ns);
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

static void wheel_fires_within_one_tick(void **state)
{
	(void)state;
	enum { N = 2000 };
	static struct l7sim_wheel w;
	static struct fire_log log;
	static struct ttimer t[N];
	struct l7sim_rng r;
	const uint64_t tick = 1000;
	memset(&log, 0, sizeof(log));
	log.w = &w;
	assert_int_equal(l7sim_wheel_init(&w, tick, 0), 0);
	l7sim_rng_init(&r, 3, 3);
	for (int i = 0; i < N; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		l7sim_timer_init(&t[i].t, log_fire);
		/* deadlines from 1 ns to ~1 s: every level is used */
		int shift = (int)l7sim_rng_below(&r, 30);
		t[i].deadline = 1 + l7sim_rng_below(&r, 1ULL << shift);
		l7sim_wheel_arm(&w, &t[i].t, t[i].deadline);
	}
	assert_int_equal(w.armed, N);
	/* advance in uneven steps and check nothing fires early or late */
	uint64_t target = 0;
	while (w.armed) {
		target += 1 + l7sim_rng_below(&r, 1ULL << l7sim_rng_below(&r, 22));
		l7sim_wheel_advance(&w, target, &log);
		for (int i = 0; i < N; i++) {
			uint64_t due = ceil_div(t[i].deadline, tick);
			if (due <= target) {
				assert_int_equal(t[i].fires, 1);
				assert_int_equal(t[i].fired_tick, due);
			} else {
				assert_int_equal(t[i].fires, 0);
			}
		}
	}
	for (int i = 1; i < log.n; i++)
		assert_true(log.tick[i] >= log.tick[i - 1]);
	assert_int_equal(w.fired, N);
}

static void wheel_rearm_and_cancel(void **state)
{
	(void)state;
	static struct l7sim_wheel w;
	static struct fire_log log;
	struct ttimer a, b, c;
	memset(&log, 0, sizeof(log));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	log.w = &w;
	assert_int_equal(l7sim_wheel_init(&w, 10, 0), 0);
	l7sim_timer_init(&a.t, log_fire);
	l7sim_timer_init(&b.t, log_fire);
	l7sim_timer_init(&c.t, log_fire);
	l7sim_wheel_arm(&w, &a.t, 50);
	l7sim_wheel_arm(&w, &a.t, 90000);   /* re-arm later: moves levels */
	l7sim_wheel_arm(&w, &b.t, 70000);
	l7sim_wheel_arm(&w, &b.t, 35);      /* re-arm earlier */
	l7sim_wheel_arm(&w, &c.t, 60);
	assert_int_equal(w.armed, 3);
	assert_int_equal(l7sim_wheel_cancel(&w, &c.t), 0);
	assert_int_equal(l7sim_wheel_cancel(&w, &c.t), L7_ENOENT);
	assert_false(l7sim_timer_armed(&c.t));
	assert_int_equal(w.armed, 2);
	uint64_t next;
	assert_int_equal(l7sim_wheel_next_tick(&w, &next), 1);
	assert_int_equal(next, 4);          /* ceil(35 / 10) */
	l7sim_wheel_advance(&w, 8999, &log);
	assert_int_equal(log.n, 1);
	assert_ptr_equal(log.who[0], &b.t);
	assert_int_equal(log.tick[0], 4);
	assert_int_equal(a.fires, 0);
	l7sim_wheel_advance(&w, 9000, &log);
	assert_int_equal(a.fires, 1);
	assert_int_equal(a.fired_tick, 9000);
	assert_int_equal(c.fires, 0);
	assert_int_equal(l7sim_wheel_next_tick(&w, &next), 0);
	/* a deadline already past fires on the next tick, not in the past */
	l7sim_wheel_arm(&w, &c.t, 5);
	assert_int_equal(c.t.expire_tick, 9001);
	l7sim_wheel_advance(&w, 9001, &log);
	assert_int_equal(c.fires, 1);
	/* periodic re-arm from the callback */
	a.periodic = 3;
	a.rearms_left = 4;
	a.fires = 0;
	l7sim_wheel_arm(&w, &a.t, 9002 * 10);
	l7sim_wheel_advance(&w, 100000, &log);
	assert_int_equal(a.fires, 5);
	assert_int_equal(a.fired_tick, 9002 + 4 * 3);
	assert_int_equal(w.armed, 0);
}

/* Deadlines on both sides of every level boundary and across the 2^40
 * overflow boundary fire exactly on their tick, in order. */
static void wheel_level_wraparound(void **state)
{
	(void)state;
	static const uint64_t base[] = { 0, 250, 65530, (1ULL << 24) - 3, (1ULL << 32) - 2,
					 (1ULL << 40) - 7, (1ULL << 48) - 1 };
	static const uint64_t offs[] = { 1, 5, 6, 7, 8, 255, 256, 257, 65535, 65536, 65537,
					 (1ULL << 24), (1ULL << 24) + 1, (1ULL << 32) - 1,
					 (1ULL << 32) + 3, (1ULL << 40) - 1, (1ULL << 40),
					 (1ULL << 40) + 9, (1ULL << 42) + 1 };
	enum { NO = sizeof(offs) / sizeof(offs[0]) };
	for (size_t b = 0; b < sizeof(base) / sizeof(base[0]); b++) {
		static struct l7sim_wheel w;
		static struct fire_log log;
		struct ttimer t[NO];
		memset(&log, 0, sizeof(log));
		log.w = &w;
		assert_int_equal(l7sim_wheel_init(&w, 1, base[b]), 0);
		for (size_t i = 0; i < NO; i++) {
			memset(&t[i], 0, sizeof(t[i]));
			l7sim_timer_init(&t[i].t, log_fire);
			l7sim_wheel_arm(&w, &t[i].t, base[b] + offs[i]);
		}
		uint64_t end = base[b] + offs[NO - 1];
		/* in two halves, to also stop in the middle of the range */
		l7sim_wheel_advance(&w, base[b] + (1ULL << 40), &log);
		l7sim_wheel_advance(&w, end, &log);
		assert_int_equal(log.n, NO);
		for (size_t i = 0; i < NO; i++) {
			assert_int_equal(t[i].fires, 1);
			assert_int_equal(t[i].fired_tick, base[b] + offs[i]);
			assert_ptr_equal(log.who[i], &t[i].t);
		}
		assert_int_equal(w.cur, end);
	}
}

/* ------------------------------------------------------------ engine */

enum { EV_A = 1, EV_B = 2, EV_STOP = 3 };

struct rec {
	uint64_t t[64];
	uint64_t what[64];
	int n;
};

static struct rec g_rec;

static void rec_handler(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	(void)obj;
	if (g_rec.n < 64) {
		g_rec.t[g_rec.n] = l7sim_engine_now(e);
		g_rec.what[g_rec.n++] = arg;
	}
}

static void rec_timer(void *ctx, struct l7sim_timer *t)
{
	(void)t;
	struct l7sim_engine *e = ctx;
	if (g_rec.n < 64) {
		g_rec.t[g_rec.n] = l7sim_engine_now(e);
		g_rec.what[g_rec.n++] = 1000;
	}
}

static void stop_handler(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	(void)obj;
	(void)arg;
	l7sim_engine_stop(e);
}

static void engine_interleaves_events_and_timers(void **state)
{
	(void)state;
	struct l7sim_engine_config cfg = { .max_events = 16, .start_ns = 100, .timer_tick_ns = 10 };
	struct l7sim_engine *e;
	struct l7sim_timer tm;
	memset(&g_rec, 0, sizeof(g_rec));
	assert_int_equal(l7sim_engine_create(&cfg, &e), 0);
	assert_int_equal(l7sim_engine_on(e, EV_A, rec_handler), 0);
	assert_int_equal(l7sim_engine_on(e, EV_STOP, stop_handler), 0);
	/* unregistered type, past time */
	assert_int_equal(l7sim_engine_at(e, 200, EV_B, NULL, 0, NULL), L7_EINVAL);
	assert_int_equal(l7sim_engine_at(e, 99, EV_A, NULL, 0, NULL), L7_EINVAL);
	assert_int_equal(l7sim_engine_on(e, L7SIM_MAX_EVENT_TYPES, rec_handler), L7_EINVAL);
	assert_int_equal(l7sim_engine_at(e, 150, EV_A, NULL, 1, NULL), 0);
	assert_int_equal(l7sim_engine_at(e, 150, EV_A, NULL, 2, NULL), 0);
	assert_int_equal(l7sim_engine_after(e, 20, EV_A, NULL, 3, NULL), 0);   /* t=120 */
	l7sim_timer_init(&tm, rec_timer);
	l7sim_engine_timer_arm(e, &tm, 145);  /* tick 15 -> fires at 150, before events at 150 */
	assert_int_equal(l7sim_engine_run(e, 149, 0), L7SIM_RUN_UNTIL);
	assert_int_equal(l7sim_engine_now(e), 149);
	assert_int_equal(g_rec.n, 1);
	assert_int_equal(l7sim_engine_run(e, UINT64_MAX, 0), L7SIM_RUN_EMPTY);
	assert_int_equal(g_rec.n, 4);
	static const uint64_t want_t[] = { 120, 150, 150, 150 };
	static const uint64_t want_w[] = { 3, 1000, 1, 2 };
	for (int i = 0; i < 4; i++) {
		assert_int_equal(g_rec.t[i], want_t[i]);
		assert_int_equal(g_rec.what[i], want_w[i]);
	}
	/* a timer armed for the past fires no earlier than now */
	l7sim_engine_timer_arm(e, &tm, 10);
	assert_int_equal(l7sim_engine_run(e, UINT64_MAX, 0), L7SIM_RUN_EMPTY);
	assert_int_equal(g_rec.t[4], 160);
	/* engine-level cancel of an event and of a timer */
	l7sim_ev_handle hc;
	struct l7sim_timer tm2;
	l7sim_timer_init(&tm2, rec_timer);
	assert_int_equal(l7sim_engine_at(e, 170, EV_A, NULL, 99, &hc), 0);
	l7sim_engine_timer_arm(e, &tm2, 175);
	assert_int_equal(l7sim_engine_cancel(e, hc), 0);
	assert_int_equal(l7sim_engine_cancel(e, hc), L7_ENOENT);
	assert_int_equal(l7sim_engine_timer_cancel(e, &tm2), 0);
	assert_int_equal(l7sim_engine_timer_cancel(e, &tm2), L7_ENOENT);
	assert_int_equal(l7sim_engine_run(e, UINT64_MAX, 0), L7SIM_RUN_EMPTY);
	assert_int_equal(g_rec.n, 5);
	/* stop and max_events */
	assert_int_equal(l7sim_engine_at(e, 200, EV_A, NULL, 5, NULL), 0);
	assert_int_equal(l7sim_engine_at(e, 300, EV_STOP, NULL, 0, NULL), 0);
	assert_int_equal(l7sim_engine_at(e, 400, EV_A, NULL, 6, NULL), 0);
	assert_int_equal(l7sim_engine_at(e, 500, EV_A, NULL, 7, NULL), 0);
	assert_int_equal(l7sim_engine_run(e, UINT64_MAX, 0), L7SIM_RUN_STOPPED);
	assert_int_equal(l7sim_engine_now(e), 300);
	assert_int_equal(l7sim_engine_run(e, UINT64_MAX, 1), L7SIM_RUN_MAX_EVENTS);
	assert_int_equal(l7sim_engine_now(e), 400);
	struct l7sim_engine_stats s;
	l7sim_engine_get_stats(e, &s);
	assert_int_equal(s.events_fired, 6);
	assert_int_equal(s.timers_fired, 2);
	assert_int_equal(s.events_pending, 1);
	assert_int_equal(s.events_cancelled, 1);
	assert_int_equal(s.timers_armed, 0);
	l7sim_engine_destroy(e);
}

/* A randomized closed system: "packets" hop between components, each with
 * its own RNG stream; some events are cancelled, idle timers re-armed. */
struct scen {
	struct l7sim_engine *e;
	struct l7sim_rng rng[8];
	struct l7sim_timer idle[8];
	l7sim_ev_handle last[8];
	uint64_t timeouts;
};

static struct scen *g_scen;

static void scen_hop(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	struct scen *sc = obj;
	unsigned comp = (unsigned)(arg % 8);
	struct l7sim_rng *r = &sc->rng[comp];
	unsigned next = (unsigned)l7sim_rng_below(r, 8);
	uint64_t delay = (uint64_t)l7sim_rng_exp(r, 5000.0);
	l7sim_ev_handle h;
	if (l7sim_engine_after(e, delay, EV_A, sc, (arg & ~7ULL) + 8 + next, &h) == 0) {
		if (l7sim_rng_below(r, 10) == 0 && sc->last[comp] != L7SIM_EV_NONE)
			l7sim_engine_cancel(e, sc->last[comp]);
		sc->last[comp] = h;
	}
	/* occasionally fork a second packet, keeping the population small */
	struct l7sim_engine_stats s;
	l7sim_engine_get_stats(e, &s);
	if (s.events_pending < 12 && l7sim_rng_below(r, 5) == 0)
		l7sim_engine_after(e, delay / 2, EV_A, sc, (arg & ~7ULL) + 16 + next, NULL);
	l7sim_engine_timer_arm(e, &sc->idle[comp], l7sim_engine_now(e) + 2000);
}

static void scen_timeout(void *ctx, struct l7sim_timer *t)
{
	(void)ctx;
	(void)t;
	g_scen->timeouts++;
}

static void run_scenario(uint64_t seed, struct l7sim_engine_stats *out)
{
	struct l7sim_engine_config cfg = { .max_events = 4096, .timer_tick_ns = 1000,
					   .trace_hash = 1 };
	struct scen *sc = calloc(1, sizeof(*sc));
	assert_non_null(sc);
	g_scen = sc;
	assert_int_equal(l7sim_engine_create(&cfg, &sc->e), 0);
	assert_int_equal(l7sim_engine_on(sc->e, EV_A, scen_hop), 0);
	/* create components in reverse order: streams depend only on ids */
	for (int i = 7; i >= 0; i--) {
		l7sim_rng_init(&sc->rng[i], seed, (uint64_t)i);
		l7sim_timer_init(&sc->idle[i], scen_timeout);
	}
	for (uint64_t i = 0; i < 8; i++)
		assert_int_equal(l7sim_engine_at(sc->e, i * 10, EV_A, sc, i, NULL), 0);
	assert_int_equal(l7sim_engine_run(sc->e, 20000000, 0), L7SIM_RUN_UNTIL);
	l7sim_engine_get_stats(sc->e, out);
	assert_int_equal(out->timers_fired, sc->timeouts);
	l7sim_engine_destroy(sc->e);
	free(sc);
}

static void engine_runs_are_byte_identical(void **state)
{
	(void)state;
	struct l7sim_engine_stats a, b, c;
	run_scenario(12345, &a);
	run_scenario(12345, &b);
	run_scenario(12346, &c);
	assert_true(a.events_fired > 10000);
	assert_true(a.events_cancelled > 0);
	assert_true(a.timers_fired > 0);
	assert_int_equal(a.trace_hash, b.trace_hash);
	assert_int_equal(a.events_fired, b.events_fired);
	assert_int_equal(a.timers_fired, b.timers_fired);
	assert_int_equal(a.events_cancelled, b.events_cancelled);
	assert_int_equal(a.schedule_full, b.schedule_full);
	assert_int_equal(a.now_ns, b.now_ns);
	assert_int_not_equal(a.trace_hash, c.trace_hash);
}

static uint64_t g_progress_calls;

static void count_progress(const struct l7sim_engine *e, void *ctx)
{
	(void)ctx;
	g_progress_calls++;
	assert_int_equal(e->events_fired % 10, 0);
}

static void nop_handler(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	(void)e; (void)obj; (void)arg;
}

static void engine_progress_and_full_pool(void **state)
{
	(void)state;
	struct l7sim_engine_config cfg = { .max_events = 50, .progress_every = 10,
					   .progress_fn = count_progress };
	struct l7sim_engine *e;
	assert_int_equal(l7sim_engine_create(&cfg, &e), 0);
	assert_int_equal(l7sim_engine_on(e, EV_A, nop_handler), 0);
	int refused = 0;
	for (uint64_t i = 0; i < 60; i++)
		if (l7sim_engine_at(e, i, EV_A, NULL, i, NULL) == L7_EFULL)
			refused++;
	assert_int_equal(refused, 10);
	g_progress_calls = 0;
	assert_int_equal(l7sim_engine_run(e, UINT64_MAX, 0), L7SIM_RUN_EMPTY);
	assert_int_equal(g_progress_calls, 5);
	struct l7sim_engine_stats s;
	l7sim_engine_get_stats(e, &s);
	assert_int_equal(s.schedule_full, 10);
	assert_int_equal(s.events_fired, 50);
	assert_int_equal(s.events_peak_pending, 50);
	l7sim_engine_destroy(e);
	cfg.max_events = 0;
	assert_int_equal(l7sim_engine_create(&cfg, &e), L7_EINVAL);
}

static void progress_line_format(void **state)
{
	(void)state;
	struct l7sim_progress_state ps;
	struct l7sim_engine_stats s;
	char buf[128];
	memset(&ps, 0, sizeof(ps));
	memset(&s, 0, sizeof(s));
	s.now_ns = 1500000000;
	s.events_fired = 500000;
	l7sim_progress_format(buf, sizeof(buf), &s, 0, 4000000000ULL, 7000000000ULL, &ps);
	assert_string_equal(buf, "sim 1.500000 s (37.5%), 0.00 M events/s, ETA 0 s");
	s.now_ns = 2000000000;
	s.events_fired = 2000000;
	s.timers_fired = 500000;
	l7sim_progress_format(buf, sizeof(buf), &s, 0, 4000000000ULL, 8000000000ULL, &ps);
	/* 2 M more dispatches in 1 s of wall time; half done after 1 s: 1 s left */
	assert_string_equal(buf, "sim 2.000000 s (50.0%), 2.00 M events/s, ETA 1 s");
	l7sim_progress_format(buf, sizeof(buf), &s, 0, 0, 9000000000ULL, &ps);
	assert_string_equal(buf, "sim 2.000000 s, 0.00 M events/s");
	assert_true(l7sim_wall_ns() > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(evq_orders_by_time_then_insertion),
		cmocka_unit_test(evq_equal_times_fifo),
		cmocka_unit_test(evq_random_ops_match_model),
		cmocka_unit_test(evq_cancel_cases),
		cmocka_unit_test(evq_mass_cancel_compacts),
		cmocka_unit_test(evq_full_is_counted),
		cmocka_unit_test(pool_exhaustion_counted),
		cmocka_unit_test(wheel_fires_within_one_tick),
		cmocka_unit_test(wheel_rearm_and_cancel),
		cmocka_unit_test(wheel_level_wraparound),
		cmocka_unit_test(engine_interleaves_events_and_timers),
		cmocka_unit_test(engine_runs_are_byte_identical),
		cmocka_unit_test(engine_progress_and_full_pool),
		cmocka_unit_test(progress_line_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
