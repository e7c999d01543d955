/*
 * bench_sim_memory.c — memory per active connection in l7sim's Miresga
 * architecture, shown with L7_BENCH_MEM_CONNS (default 10^6) connections
 * open at once.
 *
 * Workload: the generated closed loop (models/client.h) with one
 * connection every microsecond, each sending a first GET for a 64-byte
 * object and then thinking for 1000 s before its second request, so every
 * connection is established, has been routed by the front-end and spliced
 * to a back-end, and then sits idle. The run stops (sim.end_ns) 20 ms
 * after the last connection opened: all of them are open at once then.
 * Capacities that would otherwise refuse connections (client, front-end,
 * back-end max_conns, pending events) are raised to fit; since every pool
 * is touched only as it is used (engine/pool.h), unused capacity costs no
 * resident memory.
 *
 * Measure: the process's peak resident set (getrusage ru_maxrss) after the
 * run minus its resident set before it (the workload itself excluded),
 * divided by the connections open at the end. That includes everything the
 * run touches for them: client and server endpoints, the front-end's
 * splice state and per-connection records, pending events, demux tables,
 * and the packet buffers in flight (not per connection, but counted). No
 * payload is buffered at the measuring point (every response was
 * delivered), so the figure is state only. Also printed: sizeof the
 * per-connection structures whose definitions are visible here (bytes,
 * JSON lines with metric sizeof_*), and the goal (512 B) as the peer value.
 * The private ones (the splice engine's struct conn, Miresga's front-end
 * record) and a per-connection breakdown are in docs/engine.md ("Memory
 * per active connection"). About 40 s and 5 GB at 10^6 here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "l7splice/pipeline.h"
#include "l7splice/splice.h"
#include "arch/arch.h"
#include "arch/runner.h"
#include "config.h"
#include "engine/evq.h"
#include "models/client.h"
#include "models/server.h"
#include "net/pktbuf.h"
#include "net/tcpep.h"

#define GOAL_BYTES 512

static double rss_now_bytes(void)
{
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &res) != 2)
		res = -1;
	fclose(f);
	return res < 0 ? -1 : (double)res * (double)sysconf(_SC_PAGESIZE);
}

static double rss_peak_bytes(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss * 1024.0; /* kilobytes on Linux */
}

static void size_line(const char *what, size_t bytes)
{
	printf("{\"bench\":\"sim_memory\",\"metric\":\"sizeof_%s\",\"value\":%zu,"
	       "\"unit\":\"bytes\"}\n", what, bytes);
}

static int set(struct l7sim_config *cfg, const char *key, unsigned long long v)
{
	char num[32], err[256];
	snprintf(num, sizeof(num), "%llu", v);
	if (l7sim_config_set(cfg, key, num, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_sim_memory: %s\n", err);
		return -1;
	}
	return 0;
}

int main(void)
{
	const char *env = getenv("L7_BENCH_MEM_CONNS");
	uint32_t n = env ? (uint32_t)strtoul(env, NULL, 10) : 1000000u;
	const uint64_t stagger_ns = 1000;
	uint32_t sizes[1] = { 64 }, weights[1] = { 1 };
	struct l7sim_closed_loop_config c;
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	char err[512];
	if (!n)
		n = 1;

	size_line("client_conn", sizeof(struct l7sim_cli_conn));
	size_line("server_conn", sizeof(struct l7sim_srv_conn));
	size_line("tcpep", sizeof(struct l7sim_tcpep));
	size_line("splice_record", sizeof(struct l7_splice_record));
	size_line("switch_entry", sizeof(struct l7_pl_entry));
	size_line("event", sizeof(struct l7sim_evq_ent));
	size_line("event_chunk_per_event",
		  sizeof(struct l7sim_evq_chunk) / L7SIM_EVQ_CHUNK);
	size_line("packet_buffer", sizeof(struct l7sim_pkt));

	memset(&c, 0, sizeof(c));
	c.seed = 1;
	c.n_conns = n;
	c.n_req = 2;
	c.n_sizes = 1;
	c.sizes = sizes;
	c.weights = weights;
	c.stagger_ns = stagger_ns;
	c.server_addr = l7_addr_from_v4(0x0a00010au); /* 10.0.1.10 */
	c.server_port = 80;
	if (l7sim_wl_closed_loop(&wl, &c) < 0) {
		fprintf(stderr, "bench_sim_memory: cannot generate the workload\n");
		return 1;
	}
	l7sim_config_defaults(&cfg);
	if (set(&cfg, "workload.max_conns", (unsigned long long)n + 1024) ||
	    set(&cfg, "workload.think_ns", 1000000000000ULL) ||
	    set(&cfg, "frontend.max_conns", (unsigned long long)n + 1024) ||
	    set(&cfg, "backend.max_conns", (unsigned long long)n + 1024) ||
	    set(&cfg, "sim.max_events", 2ULL * n + 65536) ||
	    set(&cfg, "sim.end_ns", (unsigned long long)n * stagger_ns + 20000000ULL)) {
		l7sim_wl_free(&wl);
		return 1;
	}

	double before = rss_now_bytes();
	double peak_before = rss_peak_bytes();
	int rc = l7sim_run(&cfg, &wl, l7sim_arch_find("miresga"), NULL, &out, err, sizeof(err));
	double peak = rss_peak_bytes();
	if (rc) {
		fprintf(stderr, "bench_sim_memory: miresga: %s\n", err);
		l7sim_config_fini(&cfg);
		l7sim_wl_free(&wl);
		return 1;
	}
	uint64_t open = out.cli.conns_started - out.cli.conns_done - out.cli.conns_failed;
	double base = before > peak_before ? before : peak_before;
	double per = open ? (peak - base) / (double)open : 0;
	printf("{\"bench\":\"sim_memory\",\"metric\":\"open_connections\",\"value\":%llu,"
	       "\"unit\":\"connections\"}\n", (unsigned long long)open);
	printf("{\"bench\":\"sim_memory\",\"metric\":\"rss_delta\",\"value\":%.0f,"
	       "\"unit\":\"bytes\"}\n", peak - base);
	printf("{\"bench\":\"sim_memory\",\"metric\":\"bytes_per_connection\",\"value\":%.1f,"
	       "\"unit\":\"bytes\",\"peer\":\"goal\",\"peer_value\":%d,\"ratio\":%.3f}\n", per,
	       GOAL_BYTES, per / GOAL_BYTES);
	if (before > peak_before + 1e6)
		fprintf(stderr, "bench_sim_memory: resident set shrank before the run?\n");
	l7sim_run_out_fini(&out);
	l7sim_config_fini(&cfg);
	l7sim_wl_free(&wl);
	return 0;
}
