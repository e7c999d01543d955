/*
 * bench_sim_events.c — the bare event queue and the engine's run loop on the
 * classic hold model (Jones, "An empirical comparison of priority-queue and
 * event-set implementations", CACM 29(4), 1986): PENDING events are queued,
 * then each step removes the earliest event at time t and queues one at
 * t + Exp(mean 1 us), so the queue size stays PENDING.
 *
 * Measured in the same run, with the same RNG stream and sampler:
 *   - our evq (push/pop) vs ns-3's schedulers used directly (Insert /
 *     RemoveNext), ns3::MapScheduler being ns-3's default;
 *   - our engine (handler reschedules itself) vs ns3::Simulator::Schedule
 *     with a self-rescheduling callback.
 * The ns-3 side runs as a separate program (bench/peer_ns3_hold.cc), found at
 * argv[1], else $BUILD/bench/peer_ns3_hold, else next to this binary.
 *
 * Rates are events per second of this thread's CPU time (per core), on both
 * sides, so that other processes on a shared machine do not skew the ratio.
 *
 * Environment: L7_BENCH_PENDING (default 1000000), L7_BENCH_OPS (ours,
 * default 10000000), L7_BENCH_PEER_OPS (ns-3, default 500000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/evq.h"
#include "engine/rng.h"

#define MEAN_NS 1000.0
#define SEED 1

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtoull(v, NULL, 10) : dflt;
}

static double bench_evq(uint64_t pending, uint64_t ops)
{
	struct l7sim_evq q;
	struct l7sim_rng r;
	if (l7sim_evq_init(&q, (uint32_t)pending + 1))
		return 0;
	l7sim_rng_init(&r, SEED, 1);
	for (uint64_t i = 0; i < pending; i++)
		l7sim_evq_push(&q, (uint64_t)l7sim_rng_exp(&r, MEAN_NS), 0, NULL, i, NULL);
	struct l7sim_event ev;
	uint64_t t0 = cpu_ns();
	for (uint64_t i = 0; i < ops; i++) {
		l7sim_evq_pop(&q, &ev);
		l7sim_evq_push(&q, ev.time_ns + (uint64_t)l7sim_rng_exp(&r, MEAN_NS), 0, NULL,
			       ev.arg, NULL);
	}
	uint64_t t1 = cpu_ns();
	l7sim_evq_fini(&q);
	return (double)ops / ((double)(t1 - t0) / 1e9);
}

static struct l7sim_rng g_rng;

static void hold_handler(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	l7sim_engine_after(e, (uint64_t)l7sim_rng_exp(&g_rng, MEAN_NS), 0, obj, arg, NULL);
}

static double bench_engine(uint64_t pending, uint64_t ops)
{
	struct l7sim_engine_config cfg = { .max_events = (uint32_t)pending + 1 };
	struct l7sim_engine *e;
	if (l7sim_engine_create(&cfg, &e))
		return 0;
	l7sim_engine_on(e, 0, hold_handler);
	l7sim_rng_init(&g_rng, SEED, 1);
	for (uint64_t i = 0; i < pending; i++)
		l7sim_engine_at(e, (uint64_t)l7sim_rng_exp(&g_rng, MEAN_NS), 0, NULL, i, NULL);
	uint64_t t0 = cpu_ns();
	l7sim_engine_run(e, UINT64_MAX, ops);
	uint64_t t1 = cpu_ns();
	l7sim_engine_destroy(e);
	return (double)ops / ((double)(t1 - t0) / 1e9);
}

/* The same hold model, plus an idle timer per "connection" (arg % CONNS)
 * re-armed 1 ms ahead at every event, as a connection's idle timeout is:
 * the cost of the timing wheel on the event path. No ns-3 counterpart. */
#define CONNS 100000
static struct l7sim_timer g_idle[CONNS];
static uint64_t g_idle_fired;

static void idle_fired(void *ctx, struct l7sim_timer *t)
{
	(void)ctx;
	(void)t;
	g_idle_fired++;
}

static void hold_timer_handler(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	l7sim_engine_timer_arm(e, &g_idle[arg % CONNS], l7sim_engine_now(e) + 1000000);
	l7sim_engine_after(e, (uint64_t)l7sim_rng_exp(&g_rng, MEAN_NS), 0, obj, arg, NULL);
}

static double bench_engine_timers(uint64_t pending, uint64_t ops)
{
	struct l7sim_engine_config cfg = { .max_events = (uint32_t)pending + 1 };
	struct l7sim_engine *e;
	if (l7sim_engine_create(&cfg, &e))
		return 0;
	l7sim_engine_on(e, 0, hold_timer_handler);
	for (uint32_t i = 0; i < CONNS; i++)
		l7sim_timer_init(&g_idle[i], idle_fired);
	l7sim_rng_init(&g_rng, SEED, 1);
	for (uint64_t i = 0; i < pending; i++)
		l7sim_engine_at(e, (uint64_t)l7sim_rng_exp(&g_rng, MEAN_NS), 0, NULL, i, NULL);
	uint64_t t0 = cpu_ns();
	l7sim_engine_run(e, UINT64_MAX, ops);
	uint64_t t1 = cpu_ns();
	l7sim_engine_destroy(e);
	return (double)ops / ((double)(t1 - t0) / 1e9);
}

struct peer_result {
	double map_bare, map_sim, heap_bare, heap_sim;
	int ok;
};

static void find_peer(char *path, size_t size, int argc, char **argv)
{
	const char *b = getenv("BUILD");
	path[0] = 0;
	if (argc > 1) {
		snprintf(path, size, "%s", argv[1]);
		return;
	}
	if (b && *b) {
		snprintf(path, size, "%s/bench/peer_ns3_hold", b);
		if (access(path, X_OK) == 0)
			return;
	}
	const char *slash = strrchr(argv[0], '/');
	if (slash)
		snprintf(path, size, "%.*s/peer_ns3_hold", (int)(slash - argv[0]), argv[0]);
	else
		snprintf(path, size, "./peer_ns3_hold");
}

static struct peer_result run_peer(const char *path, uint64_t pending, uint64_t ops)
{
	struct peer_result p = { 0, 0, 0, 0, 0 };
	char cmd[4200], line[256], sched[64], mode[16];
	double v;
	if (access(path, X_OK) != 0)
		return p;
	snprintf(cmd, sizeof(cmd), "'%s' %llu %llu %d", path, (unsigned long long)pending,
		 (unsigned long long)ops, SEED);
	FILE *f = popen(cmd, "r");
	if (!f)
		return p;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %15s %lf", sched, mode, &v) != 3)
			continue;
		int map = !strcmp(sched, "ns3::MapScheduler");
		int bare = !strcmp(mode, "bare");
		if (map)
			*(bare ? &p.map_bare : &p.map_sim) = v;
		else
			*(bare ? &p.heap_bare : &p.heap_sim) = v;
	}
	p.ok = pclose(f) == 0 && p.map_bare > 0 && p.map_sim > 0;
	return p;
}

static void line(const char *metric, double value, const char *peer, double peer_value)
{
	if (peer && peer_value > 0)
		printf("{\"bench\":\"sim_events\",\"metric\":\"%s\",\"value\":%.0f,\"unit\":\"events/s\","
		       "\"peer\":\"%s\",\"peer_value\":%.0f,\"ratio\":%.2f}\n",
		       metric, value, peer, peer_value, value / peer_value);
	else
		printf("{\"bench\":\"sim_events\",\"metric\":\"%s\",\"value\":%.0f,\"unit\":\"events/s\"}\n",
		       metric, value);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	uint64_t pending = env_u64("L7_BENCH_PENDING", 1000000);
	uint64_t ops = env_u64("L7_BENCH_OPS", 10000000);
	uint64_t peer_ops = env_u64("L7_BENCH_PEER_OPS", 500000);
	if (pending == 0 || pending >= L7SIM_EVQ_MAX_CAPACITY || ops == 0) {
		fprintf(stderr, "bench_sim_events: bad L7_BENCH_PENDING/L7_BENCH_OPS\n");
		return 2;
	}
	char peer_path[4096];
	find_peer(peer_path, sizeof(peer_path), argc, argv);

	double evq = bench_evq(pending, ops);
	double eng = bench_engine(pending, ops);
	double eng_timers = bench_engine_timers(pending, ops);
	struct peer_result p = run_peer(peer_path, pending, peer_ops);
	if (!p.ok) {
		line("hold_bare_evq", evq, NULL, 0);
		line("hold_engine", eng, NULL, 0);
		line("hold_engine_idle_timers", eng_timers, NULL, 0);
		printf("{\"bench\":\"sim_events\",\"skipped\":\"ns-3 peer not available at %s "
		       "(needs libns3-dev; built by bench/bench_sim_events.mk)\"}\n", peer_path);
		return 0;
	}
	line("hold_bare_evq", evq, "ns3::MapScheduler", p.map_bare);
	line("hold_bare_evq_vs_heap", evq, "ns3::HeapScheduler", p.heap_bare);
	line("hold_engine", eng, "ns3::Simulator+MapScheduler", p.map_sim);
	line("hold_engine_vs_heap", eng, "ns3::Simulator+HeapScheduler", p.heap_sim);
	line("hold_engine_idle_timers", eng_timers, NULL, 0);
	return 0;
}
