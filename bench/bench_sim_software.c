/*
 * bench_sim_software.c — how fast l7sim simulates the software L7 load
 * balancer end to end (trace import excluded): the default synthetic trace
 * of `l7sim gen` scaled up (L7_BENCH_CONNS connections, default 400, 10
 * requests each, the default object mix), replayed through run's code path
 * (runner + software architecture + clients + servers + TCP), measured in
 * thread CPU time so other jobs on the machine do not skew it.
 *
 * Metrics: front-end packets simulated per CPU second (each packet the
 * modelled front-end received or sent), engine events per second, and
 * simulated requests per second. No peer: no packaged simulator models an
 * L7 proxy; bench_sim_events compares the engine with ns-3.
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

int main(void)
{
	const char *env = getenv("L7_BENCH_CONNS");
	char path[] = "/tmp/bench_sim_software_XXXXXX";
	char err[512];
	struct l7sim_synth_config sc;
	struct l7sim_synth_counts cnt;
	struct l7_pcap_writer w;
	int fd = mkstemp(path);
	if (fd < 0)
		return 1;
	close(fd);
	l7sim_synth_defaults(&sc);
	sc.connections = env ? (uint32_t)atoi(env) : 400;
	sc.requests_per_conn = 10;
	if (l7_pcap_writer_open(&w, path, sc.linktype, 0) ||
	    l7sim_synth_run(&sc, emit, &w, &cnt, err, sizeof(err)) || l7_pcap_writer_close(&w)) {
		fprintf(stderr, "bench_sim_software: cannot write %s\n", path);
		unlink(path);
		return 1;
	}
	struct l7sim_workload wl;
	struct l7sim_trace_stats ts;
	int rc = l7sim_trace_load(&wl, path, NULL, &ts, err, sizeof(err));
	unlink(path);
	if (rc) {
		fprintf(stderr, "bench_sim_software: %s\n", err);
		return 1;
	}
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	l7sim_config_defaults(&cfg);
	double t0 = cpu_s();
	rc = l7sim_run(&cfg, &wl, l7sim_arch_find("software"), NULL, &out, err, sizeof(err));
	double dt = cpu_s() - t0;
	if (rc) {
		fprintf(stderr, "bench_sim_software: %s\n", err);
		l7sim_wl_free(&wl);
		return 1;
	}
	double pkts = (double)(counter(&out, "fe_packets_in") + counter(&out, "fe_packets_out"));
	double events = (double)(out.eng.events_fired + out.eng.timers_fired);
	printf("{\"bench\":\"sim_software\",\"metric\":\"fe_packets_per_cpu_s\",\"value\":%.0f,"
	       "\"unit\":\"packets/s\"}\n", pkts / dt);
	printf("{\"bench\":\"sim_software\",\"metric\":\"events_per_cpu_s\",\"value\":%.0f,"
	       "\"unit\":\"events/s\"}\n", events / dt);
	printf("{\"bench\":\"sim_software\",\"metric\":\"requests_per_cpu_s\",\"value\":%.0f,"
	       "\"unit\":\"requests/s\"}\n", (double)out.summary.requests / dt);
	printf("{\"bench\":\"sim_software\",\"metric\":\"mismatch_bytes\",\"value\":%llu,"
	       "\"unit\":\"bytes\"}\n", (unsigned long long)counter(&out, "client_resp_mismatch_bytes"));
	l7sim_run_out_fini(&out);
	l7sim_wl_free(&wl);
	return 0;
}
