/*
 * peer_ns3_hold.cc — the ns-3 side of bench_sim_events: the hold model on
 * ns-3 3.37's schedulers, with the same RNG stream and exponential sampler
 * as our side (sim/engine/rng.c is linked in), so both queues see the same
 * key sequence.
 *
 *   peer_ns3_hold PENDING OPS SEED
 *
 * prints one line per measurement: "<scheduler> <mode> <events_per_s>",
 * mode "bare" (Scheduler::Insert / RemoveNext directly, like our bare evq)
 * or "sim" (Simulator::Schedule with a callback that reschedules itself,
 * like our engine's run loop). Built by bench/bench_sim_events.mk.
 */
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "ns3/heap-scheduler.h"
#include "ns3/map-scheduler.h"
#include "ns3/nstime.h"
#include "ns3/object-factory.h"
#include "ns3/simulator.h"

extern "C" {
#include "engine/rng.h"
}

using namespace ns3;

static uint64_t wall_ns()
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* per-core rate, as our side */
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static const double MEAN_NS = 1000.0;

class NopEvent : public EventImpl {
      protected:
	void Notify() override {}
};

static double bare(const std::string &type, uint64_t pending, uint64_t ops, uint64_t seed)
{
	ObjectFactory f;
	f.SetTypeId(type);
	Ptr<Scheduler> s = f.Create<Scheduler>();
	NopEvent *impl = new NopEvent();
	struct l7sim_rng r;
	l7sim_rng_init(&r, seed, 1);
	uint32_t uid = 0;
	for (uint64_t i = 0; i < pending; i++) {
		Scheduler::Event ev;
		ev.impl = impl;
		ev.key.m_ts = (uint64_t)l7sim_rng_exp(&r, MEAN_NS);
		ev.key.m_uid = uid++;
		ev.key.m_context = 0;
		s->Insert(ev);
	}
	uint64_t t0 = wall_ns();
	for (uint64_t i = 0; i < ops; i++) {
		Scheduler::Event ev = s->RemoveNext();
		ev.key.m_ts += (uint64_t)l7sim_rng_exp(&r, MEAN_NS);
		ev.key.m_uid = uid++;
		s->Insert(ev);
	}
	uint64_t t1 = wall_ns();
	while (!s->IsEmpty())
		s->RemoveNext();
	impl->Unref();
	return (double)ops / ((double)(t1 - t0) / 1e9);
}

static struct l7sim_rng g_rng;
static uint64_t g_left;

static void hold_event()
{
	if (--g_left == 0) {
		Simulator::Stop();
		return;
	}
	Simulator::Schedule(NanoSeconds((uint64_t)l7sim_rng_exp(&g_rng, MEAN_NS)), &hold_event);
}

static double sim(const std::string &type, uint64_t pending, uint64_t ops, uint64_t seed)
{
	ObjectFactory f;
	f.SetTypeId(type);
	Simulator::SetScheduler(f);
	l7sim_rng_init(&g_rng, seed, 1);
	for (uint64_t i = 0; i < pending; i++)
		Simulator::Schedule(NanoSeconds((uint64_t)l7sim_rng_exp(&g_rng, MEAN_NS)), &hold_event);
	g_left = ops;
	uint64_t t0 = wall_ns();
	Simulator::Run();
	uint64_t t1 = wall_ns();
	Simulator::Destroy();
	return (double)ops / ((double)(t1 - t0) / 1e9);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: peer_ns3_hold PENDING OPS SEED\n");
		return 2;
	}
	uint64_t pending = strtoull(argv[1], 0, 10);
	uint64_t ops = strtoull(argv[2], 0, 10);
	uint64_t seed = strtoull(argv[3], 0, 10);
	const char *types[] = { "ns3::MapScheduler", "ns3::HeapScheduler" };
	for (const char *t : types) {
		printf("%s bare %.0f\n", t, bare(t, pending, ops, seed));
		fflush(stdout);
		printf("%s sim %.0f\n", t, sim(t, pending, ops, seed));
		fflush(stdout);
	}
	return 0;
}
