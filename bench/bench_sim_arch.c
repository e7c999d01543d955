/*
 * bench_sim_arch.c — how fast l7sim simulates whole architectures end to
 * end (trace import excluded): the default synthetic trace of `l7sim gen`
 * (default seed and object mix) scaled up to L7_BENCH_CONNS connections
 * (default 400) of 10 requests each, replayed with the default
 * configuration through run's code path (runner + architecture + clients +
 * servers + TCP) for the software L7 load balancer and for Miresga, in the
 * same process, measured in thread CPU time so other jobs on the machine
 * do not skew it (L7_BENCH_ARCH=software or miresga runs one of them
 * only, for profiling). Each architecture runs L7_BENCH_REPEAT times (default
 * 3); the fastest run counts (the simulation is deterministic, so every
 * repeat does exactly the same work and only the noise differs).
 *
 * The headline metric, sim_packets_per_cpu_s, counts *simulated packets*
 * conservatively: a frame that some node (client, server, switch answering
 * a SYN, front-end, agent) emits into the simulated network, counted once
 * however many links it then crosses — the frames offered to their first
 * link (struct l7sim_pktpool.emitted). A frame a switch or agent forwards,
 * even rewritten in place, is the same packet; a frame a front-end builds
 * from a received one is a new packet. link_hops_per_cpu_s counts link
 * deliveries (each hop once) as a second, larger figure.
 *
 * The software lines keep the metric names of the former
 * bench_sim_software (fe_packets_per_cpu_s: packets the modelled front-end
 * received plus sent; events_per_cpu_s; requests_per_cpu_s;
 * mismatch_bytes) so their history stays comparable. No peer: no packaged
 * simulator models an L7 proxy; bench_sim_events compares the engine with
 * ns-3 and bench_sim_miresga compares the architectures' results.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "l7splice/pcap.h"
#include "arch/arch.h"
#include "arch/runner.h"
#include "config.h"
#include "workload/synth.h"
#include "workload/trace.h"

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int emit(void *user, l7_time_ns ts, const uint8_t *frame, size_t len)
{
	return l7_pcap_write(user, ts, frame, (uint32_t)len, 0);
}

static uint64_t counter(const struct l7sim_run_out *o, const char *name)
{
	int i = l7sim_counters_find(&o->counters, name);
	return i >= 0 ? o->counters.v[i] : 0;
}

static void line(const char *bench, const char *metric, double v, const char *unit)
{
	printf("{\"bench\":\"%s\",\"metric\":\"%s\",\"value\":%.0f,\"unit\":\"%s\"}\n", bench,
	       metric, v, unit);
}

/* Run arch `repeat` times; report the fastest. */
static int bench_arch(const struct l7sim_workload *wl, const char *arch, const char *bench,
		      unsigned repeat)
{
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	char err[512];
	double best = 0;
	l7sim_config_defaults(&cfg);
	for (unsigned r = 0; r < repeat; r++) {
		double t0 = cpu_s();
		int rc = l7sim_run(&cfg, wl, l7sim_arch_find(arch), NULL, &out, err, sizeof(err));
		double dt = cpu_s() - t0;
		if (rc) {
			fprintf(stderr, "bench_sim_arch: %s: %s\n", arch, err);
			l7sim_config_fini(&cfg);
			return 1;
		}
		if (r == 0 || dt < best)
			best = dt;
		if (r + 1 < repeat)
			l7sim_run_out_fini(&out);
	}
	double fe = (double)(counter(&out, "fe_packets_in") + counter(&out, "fe_packets_out"));
	double events = (double)(out.eng.events_fired + out.eng.timers_fired);
	line(bench, "sim_packets_per_cpu_s", (double)out.frames_emitted / best, "packets/s");
	line(bench, "link_hops_per_cpu_s", (double)out.link_deliveries / best, "hops/s");
	if (fe > 0)
		line(bench, "fe_packets_per_cpu_s", fe / best, "packets/s");
	line(bench, "events_per_cpu_s", events / best, "events/s");
	line(bench, "requests_per_cpu_s", (double)out.summary.requests / best, "requests/s");
	line(bench, "sim_packets", (double)out.frames_emitted, "packets");
	line(bench, "mismatch_bytes", (double)counter(&out, "client_resp_mismatch_bytes"), "bytes");
	l7sim_run_out_fini(&out);
	l7sim_config_fini(&cfg);
	return 0;
}

int main(void)
{
	const char *env = getenv("L7_BENCH_CONNS");
	const char *rep = getenv("L7_BENCH_REPEAT");
	unsigned repeat = rep ? (unsigned)atoi(rep) : 3;
	char path[] = "/tmp/bench_sim_arch_XXXXXX";
	char err[512];
	struct l7sim_synth_config sc;
	struct l7sim_synth_counts cnt;
	struct l7_pcap_writer w;
	int fd = mkstemp(path);
	if (fd < 0)
		return 1;
	close(fd);
	if (!repeat)
		repeat = 1;
	l7sim_synth_defaults(&sc);
	sc.connections = env ? (uint32_t)atoi(env) : 400;
	sc.requests_per_conn = 10;
	if (l7_pcap_writer_open(&w, path, sc.linktype, 0) ||
	    l7sim_synth_run(&sc, emit, &w, &cnt, err, sizeof(err)) || l7_pcap_writer_close(&w)) {
		fprintf(stderr, "bench_sim_arch: cannot write %s\n", path);
		unlink(path);
		return 1;
	}
	struct l7sim_workload wl;
	struct l7sim_trace_stats ts;
	int rc = l7sim_trace_load(&wl, path, NULL, &ts, err, sizeof(err));
	unlink(path);
	if (rc) {
		fprintf(stderr, "bench_sim_arch: %s\n", err);
		return 1;
	}
	/* L7_BENCH_ARCH=NAME runs one of them only (for profiling) */
	const char *only = getenv("L7_BENCH_ARCH");
	rc = 0;
	if (!only || !strcmp(only, "software"))
		rc = bench_arch(&wl, "software", "sim_software", repeat);
	if (!rc && (!only || !strcmp(only, "miresga")))
		rc = bench_arch(&wl, "miresga", "sim_miresga", repeat);
	l7sim_wl_free(&wl);
	return rc;
}
