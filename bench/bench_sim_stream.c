/*
 * bench_sim_stream.c — does trace replay run in constant memory (issue 7:
 * "a trace far larger than memory streams in constant memory")?
 *
 * Two synthetic traces from the project's generator (workload/synth.h,
 * default object mix, 3 requests per connection) are written to $TMPDIR
 * (else /tmp): a small one of L7_BENCH_STREAM_CONNS connections (default
 * 640, about 150 MB) and a large one of ten times as many (about 1.5 GB;
 * sized so that the whole benchmark, mostly disk writes, stays within
 * about a minute).
 * Each is loaded the way `l7sim run` loads a trace (spilling closed
 * connections beyond --trace-mem's default to a temporary file) and
 * replayed through the software architecture with the default
 * configuration, each in a child process, so that its peak RSS
 * (wait4's ru_maxrss) is that run's alone. The traces are deleted
 * afterwards.
 *
 * Lines: peak RSS of each size; rss_ratio_large_over_small (goal: about 1
 * while the traces differ tenfold); the payload the reader held at once
 * (stats.peak_held_bytes) for each size. The peer is the former import,
 * which held the whole payload: measured on the small trace only (the
 * large one is above its 1 GiB limit, so it refused it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "l7splice/pcap.h"
#include "arch/arch.h"
#include "arch/runner.h"
#include "cmd_run.h"
#include "config.h"
#include "workload/synth.h"
#include "workload/trace.h"

#define BENCH "sim_stream"

/* What a child reports to the parent through a pipe. */
struct result {
	int ok;
	uint64_t requests, mismatch_bytes, conns;
	uint64_t peak_held_bytes, peak_live_conns, spilled_bytes;
	double wall_s;
};

static double wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int emit(void *user, l7_time_ns ts, const uint8_t *frame, size_t len)
{
	return l7_pcap_write(user, ts, frame, (uint32_t)len, 0);
}

static int gen_trace(const char *path, uint32_t conns)
{
	struct l7sim_synth_config sc;
	struct l7sim_synth_counts cnt;
	struct l7_pcap_writer w;
	char err[256];
	l7sim_synth_defaults(&sc);
	sc.connections = conns;
	if (l7_pcap_writer_open(&w, path, sc.linktype, 0) ||
	    l7sim_synth_run(&sc, emit, &w, &cnt, err, sizeof(err)) || l7_pcap_writer_close(&w)) {
		fprintf(stderr, "bench_sim_stream: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

static uint64_t counter(const struct l7sim_run_out *o, const char *name)
{
	int i = l7sim_counters_find(&o->counters, name);
	return i >= 0 ? o->counters.v[i] : 0;
}

/* The child: load (streaming or not) and replay; results to fd. */
static int child(const char *path, int spill, int fd)
{
	struct result r;
	struct l7sim_workload wl;
	struct l7sim_trace_stats st;
	struct l7sim_trace_opts o = { .spill = spill, .mem_bytes = L7SIM_TRACE_MEM_DEFAULT };
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	char err[512];
	memset(&r, 0, sizeof(r));
	double t0 = wall_s();
	if (l7sim_trace_load(&wl, path, &o, &st, err, sizeof(err))) {
		fprintf(stderr, "bench_sim_stream: %s\n", err);
		return 1;
	}
	l7sim_config_defaults(&cfg);
	if (l7sim_run(&cfg, &wl, l7sim_arch_find("software"), NULL, &out, err, sizeof(err))) {
		fprintf(stderr, "bench_sim_stream: software: %s\n", err);
		return 1;
	}
	r.ok = l7sim_trace_spill_errors(&wl) == 0;
	r.wall_s = wall_s() - t0;
	r.requests = out.summary.requests;
	r.mismatch_bytes = counter(&out, "client_resp_mismatch_bytes");
	r.conns = wl.n_conns;
	r.peak_held_bytes = st.peak_held_bytes;
	r.peak_live_conns = st.peak_live_conns;
	r.spilled_bytes = st.spilled_bytes;
	l7sim_run_out_fini(&out);
	l7sim_config_fini(&cfg);
	l7sim_wl_free(&wl);
	return write(fd, &r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 1;
}

/* Run the child; its result and peak RSS in KiB. */
static int measure(const char *path, int spill, struct result *r, long *rss_kib)
{
	int p[2];
	if (pipe(p))
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		_exit(child(path, spill, p[1]));
	}
	close(p[1]);
	memset(r, 0, sizeof(*r));
	ssize_t n = read(p[0], r, sizeof(*r));
	close(p[0]);
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) ||
	    n != (ssize_t)sizeof(*r) || !r->ok)
		return -1;
	*rss_kib = ru.ru_maxrss;
	return 0;
}

static void line(const char *metric, double v, const char *unit)
{
	printf("{\"bench\":\"" BENCH "\",\"metric\":\"%s\",\"value\":%.3f,\"unit\":\"%s\"}\n",
	       metric, v, unit);
}

static void line_peer(const char *metric, double v, const char *unit, const char *peer,
		      double pv)
{
	printf("{\"bench\":\"" BENCH "\",\"metric\":\"%s\",\"value\":%.3f,\"unit\":\"%s\","
	       "\"peer\":\"%s\",\"peer_value\":%.3f,\"ratio\":%.3f}\n",
	       metric, v, unit, peer, pv, pv > 0 ? v / pv : 0.0);
}

int main(void)
{
	const char *env = getenv("L7_BENCH_STREAM_CONNS");
	const char *tmp = getenv("TMPDIR");
	uint32_t small = env ? (uint32_t)atoi(env) : 640;
	char path[2][4096];
	struct result r[2], peer;
	long rss[2], peer_rss = 0;
	struct stat sb;
	uint64_t bytes[2];
	int rc = 0;
	if (!small)
		small = 640;
	if (!tmp || !*tmp)
		tmp = "/tmp";
	for (int i = 0; i < 2 && !rc; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/bench_sim_stream_%d_XXXXXX", tmp, i);
		int fd = mkstemp(path[i]);
		if (fd < 0) {
			printf("{\"bench\":\"" BENCH "\",\"skipped\":\"cannot create a file in %s\"}\n",
			       tmp);
			return 0;
		}
		close(fd);
		rc = gen_trace(path[i], i ? 10 * small : small);
		if (!rc && stat(path[i], &sb) == 0)
			bytes[i] = (uint64_t)sb.st_size;
		if (!rc && (rc = measure(path[i], 1, &r[i], &rss[i])) != 0)
			fprintf(stderr, "bench_sim_stream: replay of %s failed\n", path[i]);
		if (!rc && i == 0 && measure(path[0], 0, &peer, &peer_rss) != 0)
			peer_rss = 0; /* the peer refusing is not our failure */
		unlink(path[i]);
	}
	if (rc)
		return 1;
	line("trace_bytes_small", (double)bytes[0], "bytes");
	line("trace_bytes_large", (double)bytes[1], "bytes");
	if (peer_rss)
		line_peer("peak_rss_small", (double)rss[0], "KiB", "in-memory import", (double)peer_rss);
	else
		line("peak_rss_small", (double)rss[0], "KiB");
	line("peak_rss_large", (double)rss[1], "KiB");
	line("rss_ratio_large_over_small", (double)rss[1] / (double)rss[0], "x");
	line("trace_size_ratio", (double)bytes[1] / (double)bytes[0], "x");
	line("peak_held_payload_small", (double)r[0].peak_held_bytes, "bytes");
	line("peak_held_payload_large", (double)r[1].peak_held_bytes, "bytes");
	line("peak_open_conns_large", (double)r[1].peak_live_conns, "connections");
	line("spilled_bytes_large", (double)r[1].spilled_bytes, "bytes");
	line("requests_large", (double)r[1].requests, "requests");
	line("mismatch_bytes_large", (double)r[1].mismatch_bytes, "bytes");
	line("load_and_replay_wall_s_large", r[1].wall_s, "s");
	return 0;
}
