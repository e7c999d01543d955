/*
 * test_sim_arch_miresga.c — the Miresga architecture end to end (switch
 * running the library's Miresga program, front-ends running the splice
 * engine, back-end agents translating with exported records):
 *  - every response byte reaches the clients intact (the client model
 *    compares each byte with what the server sent) with and without
 *    offload, on a synthetic workload and on a real capture;
 *  - offload happens exactly for routes marked offload: fast-path bytes
 *    > 0 only then, and fast-path + front-end-relayed response bytes add
 *    up to every response byte;
 *  - 1 MB responses that switch from the front-end path to the fast path
 *    mid-response (reordering, spurious retransmissions) finish without
 *    any request waiting for the client's delayed ACK;
 *  - the front-end CPU does less work than the software LB's on the same
 *    workload;
 *  - determinism: same seed, identical JSON summary;
 *  - X-Forwarded-For on: the back-ends receive exactly the clients' bytes
 *    plus one X-Forwarded-For field per request (their HTTP parser sees
 *    it in every head), and the clients still get every response byte
 *    exactly; offloaded ("always": at the first request), only the first
 *    request of each connection gets it (docs/models.md "Miresga");
 *  - keep-alive re-splice: a route config sending the two object sizes to
 *    different back-ends re-splices connections mid-stream, and the
 *    responses stay byte-exact (the new leg's server serves from the
 *    leg's first request on); with re-splicing off nothing moves;
 *  - several VIPs: a workload whose connections go to two server
 *    address:port pairs runs on Miresga and switch-only (each pair is a
 *    VIP of the switch, served by the same back-ends): every connection
 *    whole at a back-end, every byte exact both ways, offloaded responses
 *    leaving the switch from their own VIP; an IPv6 server address is
 *    still refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch/arch.h"
#include "arch/miresga.h"
#include "arch/runner.h"
#include "config.h"
#include "models/client.h"
#include "report/json.h"
#include "workload/trace.h"

#include "test_sim_arch_util.h"

static int make_wl(struct l7sim_workload *wl, uint32_t conns, uint32_t reqs, uint32_t size)
{
	uint32_t sizes[2] = { size, size / 8 + 1 }, weights[2] = { 1, 1 };
	struct l7sim_closed_loop_config c;
	memset(&c, 0, sizeof(c));
	c.seed = 5;
	c.n_conns = conns;
	c.n_req = reqs;
	c.n_sizes = 2;
	c.sizes = sizes;
	c.weights = weights;
	c.stagger_ns = 1000;
	c.server_addr = l7_addr_from_v4(0x0a000001u);
	c.server_port = 80;
	return l7sim_wl_closed_loop(wl, &c);
}

static void base_config(struct l7sim_config *c, const char *offload)
{
	char err[256], json[1024];
	l7sim_config_defaults(c);
	assert_int_equal(l7sim_config_set(c, "sim.packets", "16384", err, sizeof(err)), 0);
	assert_int_equal(l7sim_config_set(c, "sim.max_events", "131072", err, sizeof(err)), 0);
	assert_int_equal(l7sim_config_set(c, "frontend.max_conns", "1024", err, sizeof(err)), 0);
	snprintf(json, sizeof(json),
		 "{\"router\": {\"virtual_hosts\": [{\"name\": \"a\", \"domains\": [\"*\"],"
		 " \"routes\": [{\"match\": {\"prefix\": \"/\"}, \"route\": {\"cluster\": \"c\"}%s}]}],"
		 " \"clusters\": [{\"name\": \"c\", \"endpoints\": [{\"address\": \"10.9.0.1\","
		 " \"port\": 80}, {\"address\": \"10.9.0.2\", \"port\": 80}]}]}}",
		 offload);
	assert_int_equal(l7sim_config_load_string(c, json, "cfg.json", err, sizeof(err)), 0);
}

static void dump(const struct l7sim_run_out *o)
{
	for (uint32_t i = 0; i < o->counters.n; i++)
		fprintf(stderr, "  %s=%llu\n", o->counters.names[i],
			(unsigned long long)o->counters.v[i]);
	fprintf(stderr, "  requests=%llu fast=%llu total=%llu util=%f table_peak=%llu\n",
		(unsigned long long)o->summary.requests,
		(unsigned long long)o->summary.fast_path_bytes,
		(unsigned long long)o->summary.total_bytes, o->summary.frontend_cpu_util,
		(unsigned long long)o->summary.table_peak_entries);
}

static void exact_no_offload(void **state)
{
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	(void)state;
	assert_int_equal(make_wl(&wl, 8, 4, 20000), 0);
	base_config(&cfg, "");
	run(&cfg, &wl, "miresga", &out);
	if (getenv("MRG_DUMP"))
		dump(&out);
	assert_int_equal(out.summary.requests, 32);
	assert_int_equal(counter(&out, "client_resp_mismatch_bytes"), 0);
	assert_int_equal(counter(&out, "client_conns_done"), 8);
	assert_int_equal(out.summary.client_bytes, resp_bytes(&wl));
	assert_int_equal(out.summary.fast_path_bytes, 0);
	assert_int_equal(counter(&out, "offloaded"), 0);
	assert_int_equal(counter(&out, "syn_answered"), 8);
	assert_int_equal(counter(&out, "fe_s2c_bytes"), resp_bytes(&wl));
	l7sim_run_out_fini(&out);
	l7sim_config_fini(&cfg);
	l7sim_wl_free(&wl);
}

static void exact_offload(void **state)
{
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	(void)state;
	assert_int_equal(make_wl(&wl, 8, 4, 200000), 0);
	base_config(&cfg, ", \"offload\": \"always\"");
	run(&cfg, &wl, "miresga", &out);
	if (getenv("MRG_DUMP"))
		dump(&out);
	assert_int_equal(out.summary.requests, 32);
	assert_int_equal(counter(&out, "client_resp_mismatch_bytes"), 0);
	assert_int_equal(counter(&out, "client_conns_done"), 8);
	assert_int_equal(out.summary.client_bytes, resp_bytes(&wl));
	assert_int_equal(counter(&out, "offloaded"), 8);
	assert_int_equal(counter(&out, "entry_adds"), 8);
	assert_int_equal(counter(&out, "entry_deletes"), 8);
	assert_true(out.summary.fast_path_bytes > 0);
	/* every byte the servers sent went one way or the other, once: the
	 * response bytes plus what the servers retransmitted (the switch from
	 * the front-end path to the fast path reorders segments, and the
	 * client's duplicate ACKs make the server retransmit) */
	assert_int_equal(out.summary.fast_path_bytes + counter(&out, "fe_s2c_bytes"),
			 resp_bytes(&wl) + counter(&out, "server_retrans_bytes"));
	/* the bytes the front-end relayed are those before installation:
	 * far fewer than the fast path's on 200 kB objects */
	assert_true(out.summary.fast_path_bytes > 2 * counter(&out, "fe_s2c_bytes"));
	assert_true(out.summary.table_peak_entries >= 1);
	assert_true(out.summary.table_peak_entries <= 8);
	/* the front-end's engine saw every close complete (the last ACKs
	 * would take the entries): the run ends within its linger (2 s) and
	 * a splice tick (250 ms) of the last packet, not at its idle timeout
	 * (300 s, then RSTs to both sides) */
	assert_true(out.end_ns < out.summary.duration_ns + 2500000000ull);
	assert_true(counter(&out, "agent_to_fe") > 0);
	l7sim_run_out_fini(&out);
	l7sim_config_fini(&cfg);
	l7sim_wl_free(&wl);
}

/* The tcp.dsack key reaches the endpoints (sim/config.c -> runner): the
 * path switch reorders segments and the clients' D-SACKs let the servers
 * raise their duplicate-ACK threshold; without D-SACK they cannot, so
 * they retransmit more. Bytes stay exact either way. */
static void tcp_dsack_key(void **state)
{
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out on, off;
	char err[256];
	(void)state;
	assert_int_equal(make_wl(&wl, 8, 4, 200000), 0);
	base_config(&cfg, ", \"offload\": \"always\"");
	assert_int_equal(cfg.tcp.dsack, 1);
	run(&cfg, &wl, "miresga", &on);
	assert_int_equal(l7sim_config_set(&cfg, "tcp.dsack", "0", err, sizeof(err)), 0);
	run(&cfg, &wl, "miresga", &off);
	assert_int_equal(counter(&on, "client_resp_mismatch_bytes"), 0);
	assert_int_equal(counter(&off, "client_resp_mismatch_bytes"), 0);
	assert_true(counter(&on, "server_retrans_bytes") > 0);
	assert_true(counter(&off, "server_retrans_bytes") > counter(&on, "server_retrans_bytes"));
	assert_int_not_equal(l7sim_config_set(&cfg, "tcp.dsack", "2", err, sizeof(err)), 0);
	l7sim_run_out_fini(&on);
	l7sim_run_out_fini(&off);
	l7sim_config_fini(&cfg);
	l7sim_wl_free(&wl);
}

/* 1 MB responses offloaded at the back-end SYN-ACK: the entry becomes
 * visible mid-response, the client sees the paths' segments out of order
 * and the server retransmits spuriously, yet no request waits for the
 * client's delayed ACK (docs/validation.md: a recovery that ended with a
 * one-segment window did, 40 ms per offloaded transfer). */
static void offload_path_switch_no_stall(void **state)
{
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	(void)state;
	assert_int_equal(make_wl(&wl, 8, 2, 1 << 20), 0);
	base_config(&cfg, ", \"offload\": \"always\"");
	run(&cfg, &wl, "miresga", &out);
	if (getenv("MRG_DUMP"))
		dump(&out);
	assert_int_equal(out.summary.requests, 16);
	assert_int_equal(counter(&out, "client_resp_mismatch_bytes"), 0);
	assert_int_equal(out.summary.client_bytes, resp_bytes(&wl));
	assert_int_equal(counter(&out, "offloaded"), 8);
	/* the path switch happened: reordering made the server retransmit */
	assert_true(counter(&out, "server_retrans_bytes") > 0);
	assert_true(counter(&out, "fe_s2c_bytes") > 0);
	/* and cost no delayed-ACK wait */
	assert_true(l7sim_hist_percentile(out.summary.latency, 100) < cfg.tcp.delack_ns);
	l7sim_run_out_fini(&out);
	l7sim_config_fini(&cfg);
	l7sim_wl_free(&wl);
}

/* Only the front-end CPU costs matter here: same workload, same costs. */
static void fe_cpu_below_software(void **state)
{
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out sw, mr;
	(void)state;
	assert_int_equal(make_wl(&wl, 8, 4, 100000), 0);
	base_config(&cfg, ", \"offload\": {\"min_response_bytes\": 50000}");
	run(&cfg, &wl, "software", &sw);
	run(&cfg, &wl, "miresga", &mr);
	if (getenv("MRG_DUMP"))
		dump(&mr);
	assert_int_equal(counter(&mr, "client_resp_mismatch_bytes"), 0);
	assert_int_equal(mr.summary.requests, 32);
	assert_int_equal(sw.summary.requests, 32);
	/* the 100 kB responses are offloaded, the 12.5 kB ones not */
	assert_true(counter(&mr, "offloaded") > 0);
	assert_true(counter(&mr, "offloaded") <= 8);
	assert_true(mr.summary.fast_path_bytes > 0);
	double busy_sw = (double)counter(&sw, "fe_cpu_busy_ns");
	double busy_mr = (double)counter(&mr, "fe_cpu_busy_ns");
	assert_true(busy_mr > 0);
	assert_true(busy_mr < busy_sw / 2);
	/* utilisation over the active span: a fraction of the cores */
	assert_true(mr.summary.frontend_cpu_util > 0);
	assert_true(mr.summary.frontend_cpu_util <= 1.0);
	assert_true(sw.summary.frontend_cpu_util > 0);
	assert_true(sw.summary.frontend_cpu_util <= 1.0);
	l7sim_run_out_fini(&sw);
	l7sim_run_out_fini(&mr);
	l7sim_config_fini(&cfg);
	l7sim_wl_free(&wl);
}

static char *summary_text(const struct l7sim_config *cfg, const struct l7sim_workload *wl)
{
	struct l7sim_run_out out;
	char *buf = NULL;
	size_t len = 0;
	run(cfg, wl, "miresga", &out);
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	json_t *j = l7sim_summary_json(&out.summary);
	assert_non_null(j);
	assert_int_equal(l7sim_json_write(j, f), 0);
	assert_int_equal(l7sim_series_write_csv(&out.series, f), 0);
	json_decref(j);
	fclose(f);
	l7sim_run_out_fini(&out);
	return buf;
}

static void deterministic(void **state)
{
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	char err[128];
	(void)state;
	assert_int_equal(make_wl(&wl, 6, 3, 60000), 0);
	base_config(&cfg, ", \"offload\": \"always\"");
	char *a = summary_text(&cfg, &wl);
	char *b = summary_text(&cfg, &wl);
	assert_string_equal(a, b);
	assert_int_equal(l7sim_config_set(&cfg, "seed", "99", err, sizeof(err)), 0);
	assert_int_equal(l7sim_config_set(&cfg, "net.server.loss", "0.01", err, sizeof(err)), 0);
	char *c = summary_text(&cfg, &wl);
	assert_string_not_equal(a, c);
	free(a);
	free(b);
	free(c);
	l7sim_config_fini(&cfg);
	l7sim_wl_free(&wl);
}

/* Bytes an X-Forwarded-For field for conn's client adds to each request. */
static uint64_t xff_bytes(const struct l7sim_workload *wl, uint32_t conn)
{
	const uint8_t *ip = wl->conns[conn].key.src + 12;
	char line[64];
	return (uint64_t)snprintf(line, sizeof(line), "X-Forwarded-For: %u.%u.%u.%u\r\n", ip[0],
				  ip[1], ip[2], ip[3]);
}

static void xff_exact(void **state)
{
	struct l7sim_miresga_params prm;
	(void)state;
	for (int off = 0; off < 2; off++) {
		struct l7sim_workload wl;
		struct l7sim_config cfg;
		struct l7sim_run_out out;
		assert_int_equal(make_wl(&wl, 8, 4, off ? 200000 : 20000), 0);
		base_config(&cfg, off ? ", \"offload\": \"always\"" : "");
		l7sim_miresga_params_default(&prm, &cfg);
		assert_int_equal(prm.xff, 0); /* default off, as Miresga's code */
		prm.xff = 1;
		l7sim_miresga_override = &prm;
		run(&cfg, &wl, "miresga", &out);
		l7sim_miresga_override = NULL;
		if (getenv("MRG_DUMP"))
			dump(&out);
		uint64_t c2s = 0, added = 0, nreq = 0;
		for (uint32_t i = 0; i < wl.n_conns; i++) {
			c2s += wl.conns[i].c2s_len;
			added += (off ? 1 : wl.conns[i].n_req) * xff_bytes(&wl, i);
			nreq += wl.conns[i].n_req;
		}
		assert_int_equal(nreq, 32);
		assert_int_equal(out.summary.requests, 32);
		uint64_t with = off ? 8 : 32;
		assert_int_equal(counter(&out, "xff_inserted"), with);
		assert_int_equal(counter(&out, "xff_skipped_offloaded"), 32 - with);
		assert_int_equal(counter(&out, "xff_failed"), 0);
		assert_int_equal(counter(&out, "server_heads_parsed"), 32);
		assert_int_equal(counter(&out, "server_heads_xff"), with);
		assert_int_equal(counter(&out, "server_unframed"), 0);
		assert_int_equal(counter(&out, "server_requests"), 32);
		/* leg retransmissions would be received twice: none expected here */
		assert_int_equal(counter(&out, "server_rx_bytes"), c2s + added);
		assert_int_equal(counter(&out, "client_resp_mismatch_bytes"), 0);
		assert_int_equal(counter(&out, "client_conns_done"), 8);
		assert_int_equal(out.summary.client_bytes, resp_bytes(&wl));
		assert_int_equal(counter(&out, "offloaded"), off ? 8 : 0);
		l7sim_run_out_fini(&out);
		l7sim_config_fini(&cfg);
		l7sim_wl_free(&wl);
	}
}

/* Two clusters: the 20000-byte objects on 10.9.0.1, the others on
 * 10.9.0.2, so a keep-alive connection moves whenever the size changes. */
static void split_config(struct l7sim_config *c, const char *big_offload)
{
	char err[256], json[1024];
	snprintf(json, sizeof(json),
		 "{\"router\": {\"virtual_hosts\": [{\"name\": \"a\", \"domains\": [\"*\"],"
		 " \"routes\": [{\"match\": {\"prefix\": \"/obj/20000\"}, \"route\": {\"cluster\":"
		 " \"big\"}%s}, {\"match\": {\"prefix\": \"/\"}, \"route\": {\"cluster\": \"small\"}}]}],"
		 " \"clusters\": [{\"name\": \"big\", \"endpoints\": [{\"address\": \"10.9.0.1\","
		 " \"port\": 80}]}, {\"name\": \"small\", \"endpoints\": [{\"address\": \"10.9.0.2\","
		 " \"port\": 80}]}]}}",
		 big_offload);
	l7sim_config_defaults(c);
	assert_int_equal(l7sim_config_set(c, "sim.packets", "16384", err, sizeof(err)), 0);
	assert_int_equal(l7sim_config_set(c, "sim.max_events", "131072", err, sizeof(err)), 0);
	assert_int_equal(l7sim_config_set(c, "frontend.max_conns", "1024", err, sizeof(err)), 0);
	assert_int_equal(l7sim_config_load_string(c, json, "cfg.json", err, sizeof(err)), 0);
}

/* Size changes between consecutive requests of the generated workload:
 * each is one back-end change. */
static uint64_t size_changes(const struct l7sim_workload *wl)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < wl->n_conns; i++)
		for (uint32_t k = 1; k < wl->conns[i].n_req; k++)
			n += wl->conns[i].resp[k].len != wl->conns[i].resp[k - 1].len;
	return n;
}

/* Pipelined, and the big objects' responses offload by size: a route
 * waiting to re-splice must go on (keeping its back-end) when the
 * connection is offloaded while it waits, or the connection would stall. */
static void resplice_wait_then_offload(void **state)
{
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	(void)state;
	assert_int_equal(make_wl(&wl, 8, 6, 20000), 0);
	for (uint32_t i = 0; i < wl.n_conns; i++)
		for (uint32_t k = 1; k < wl.conns[i].n_req; k++)
			wl.conns[i].req[k].wait_resp = k - 1;
	split_config(&cfg, ", \"offload\": {\"min_response_bytes\": 10000}");
	run(&cfg, &wl, "miresga", &out);
	if (getenv("MRG_DUMP"))
		dump(&out);
	assert_int_equal(out.summary.requests, 48);
	assert_int_equal(counter(&out, "client_resp_mismatch_bytes"), 0);
	assert_int_equal(counter(&out, "client_conns_done"), 8);
	assert_int_equal(out.summary.client_bytes, resp_bytes(&wl));
	assert_int_equal(counter(&out, "server_requests"), 48);
	/* each connection with a big response is offloaded at the first one,
	 * also after a re-splice (the old leg's FIN closes only that leg) */
	uint64_t with_big = 0;
	for (uint32_t i = 0; i < wl.n_conns; i++) {
		int big = 0;
		for (uint32_t k = 0; k < wl.conns[i].n_req; k++)
			big |= wl.conns[i].resp[k].len > 10000;
		with_big += (uint64_t)big;
	}
	assert_true(with_big > 0);
	assert_int_equal(counter(&out, "offloaded"), with_big);
	assert_int_equal(counter(&out, "entry_adds"), with_big);
	/* some heads waited, some moved, some stayed because their connection
	 * was to be offloaded by then; a head kept on its back-end makes the
	 * next size change no move, so moves + kept <= size changes */
	assert_true(counter(&out, "resplice_waits") > 0);
	assert_true(counter(&out, "resplice_routes") > 0);
	assert_true(counter(&out, "kept_backend") > 0);
	assert_true(counter(&out, "resplice_routes") + counter(&out, "kept_backend") <=
		    size_changes(&wl));
	assert_int_equal(counter(&out, "splice_resplices"), counter(&out, "resplice_routes"));
	assert_int_equal(counter(&out, "server_late_legs"), counter(&out, "resplice_routes"));
	l7sim_run_out_fini(&out);
	l7sim_config_fini(&cfg);
	l7sim_wl_free(&wl);
}

static void resplice_exact(void **state)
{
	struct l7sim_miresga_params prm;
	(void)state;
	for (int xff = 0; xff < 4; xff++) {
		struct l7sim_workload wl;
		struct l7sim_config cfg;
		struct l7sim_run_out out;
		assert_int_equal(make_wl(&wl, 8, 6, 20000), 0);
		if (xff == 3) {
			/* run 3: pipelined, request k goes out while response k-1
			 * is still coming, so the route must wait for it */
			for (uint32_t i = 0; i < wl.n_conns; i++)
				for (uint32_t k = 1; k < wl.conns[i].n_req; k++)
					wl.conns[i].req[k].wait_resp = k - 1;
		}
		split_config(&cfg, "");
		l7sim_miresga_params_default(&prm, &cfg);
		assert_int_equal(prm.resplice, 1);
		prm.xff = xff == 1;
		prm.resplice = xff != 2; /* run 2: re-splicing off */
		l7sim_miresga_override = &prm;
		run(&cfg, &wl, "miresga", &out);
		l7sim_miresga_override = NULL;
		if (getenv("MRG_DUMP"))
			dump(&out);
		uint64_t moves = size_changes(&wl);
		assert_true(moves > 0);
		assert_int_equal(out.summary.requests, 48);
		assert_int_equal(counter(&out, "client_resp_mismatch_bytes"), 0);
		assert_int_equal(counter(&out, "client_conns_done"), 8);
		assert_int_equal(out.summary.client_bytes, resp_bytes(&wl));
		assert_int_equal(counter(&out, "server_requests"), 48);
		if (xff == 2) {
			assert_int_equal(counter(&out, "splice_resplices"), 0);
			assert_int_equal(counter(&out, "kept_backend"), moves);
		} else {
			/* every change of size is a new leg, opened at that request */
			assert_int_equal(counter(&out, "splice_resplices"), moves);
			assert_int_equal(counter(&out, "resplice_routes"), moves);
			assert_int_equal(counter(&out, "server_late_legs"), moves);
			assert_int_equal(counter(&out, "kept_backend"), 0);
			assert_int_equal(counter(&out, "server_heads_xff"), xff == 1 ? 48 : 0);
			assert_int_equal(counter(&out, "requests_parsed"), 48);
			assert_int_equal(counter(&out, "resplice_gave_up"), 0);
			assert_int_equal(counter(&out, "server_bytecount_legs"), 0);
			if (xff == 3)
				assert_true(counter(&out, "resplice_waits") > 0);
			else
				assert_int_equal(counter(&out, "resplice_waits"), 0);
		}
		l7sim_run_out_fini(&out);
		l7sim_config_fini(&cfg);
		l7sim_wl_free(&wl);
	}
}

/* The real capture: one GET; offloaded or not, the client gets the
 * captured response bytes exactly. */
static void smoke_pcap(void **state)
{
	const char *dir = getenv("L7_SHARED_DATA");
	char path[1024], err[256];
	(void)state;
	snprintf(path, sizeof(path), "%s/pcaps/smoke_zeek_http_get.pcap", dir ? dir : "");
	if (!dir || access(path, R_OK) != 0) {
		/* only this case needs the shared captures; the others still count */
		fprintf(stderr, "smoke_pcap: %s absent (set L7_SHARED_DATA): skipped\n", path);
		skip();
	}
	for (int off = 0; off < 2; off++) {
		struct l7sim_workload wl;
		struct l7sim_config cfg;
		struct l7sim_run_out out;
		assert_int_equal(l7sim_trace_load(&wl, path, NULL, NULL, err, sizeof(err)), 0);
		base_config(&cfg, off ? ", \"offload\": \"always\"" : "");
		run(&cfg, &wl, "miresga", &out);
		if (getenv("MRG_DUMP"))
			dump(&out);
		assert_int_equal(out.summary.requests, 1);
		assert_int_equal(counter(&out, "client_resp_mismatch_bytes"), 0);
		assert_int_equal(counter(&out, "client_conns_done"), 1);
		assert_int_equal(out.summary.client_bytes, resp_bytes(&wl));
		assert_int_equal(counter(&out, "offloaded"), (uint64_t)off);
		assert_int_equal(out.summary.fast_path_bytes + counter(&out, "fe_s2c_bytes"),
				 resp_bytes(&wl) + counter(&out, "server_retrans_bytes"));
		l7sim_run_out_fini(&out);
		l7sim_config_fini(&cfg);
		l7sim_wl_free(&wl);
	}
}

/* Odd connections go to a second VIP (10.0.0.2:8080); the even ones keep
 * 10.0.0.1:80. */
static void second_vip(struct l7sim_workload *wl)
{
	for (uint32_t i = 1; i < wl->n_conns; i += 2) {
		struct l7_addr a = l7_addr_from_v4(0x0a000002u);
		memcpy(wl->conns[i].key.dst, a.b, 16);
		l7_put_be16(wl->conns[i].key.dport, 8080);
	}
}

static void two_vips_exact(void **state)
{
	static const char *const arch[] = { "miresga", "miresga", "switch-only" };
	static const char *const offl[] = { "", ", \"offload\": \"always\"", "" };
	(void)state;
	for (unsigned k = 0; k < 3; k++) {
		struct l7sim_workload wl;
		struct l7sim_config cfg;
		struct l7sim_run_out out;
		assert_int_equal(make_wl(&wl, 8, 3, 100000), 0);
		second_vip(&wl);
		uint64_t c2s = 0;
		for (uint32_t i = 0; i < wl.n_conns; i++)
			c2s += wl.conns[i].c2s_len;
		base_config(&cfg, offl[k]);
		run(&cfg, &wl, arch[k], &out);
		if (getenv("MRG_DUMP"))
			dump(&out);
		int off = k > 0; /* switch-only offloads every connection */
		assert_int_equal(out.summary.requests, 24);
		assert_int_equal(counter(&out, "syn_answered"), 8);
		assert_int_equal(counter(&out, "client_conns_done"), 8);
		assert_int_equal(counter(&out, "client_resp_mismatch_bytes"), 0);
		assert_int_equal(counter(&out, "client_incomplete"), 0);
		assert_int_equal(out.summary.client_bytes, resp_bytes(&wl));
		assert_int_equal(counter(&out, "server_conns_whole"), 8);
		assert_int_equal(counter(&out, "server_conns_lost"), 0);
		assert_int_equal(counter(&out, "server_req_checked_bytes"), c2s);
		assert_int_equal(counter(&out, "server_req_mismatch_bytes"), 0);
		assert_int_equal(counter(&out, "server_legs_mismatch"), 0);
		assert_int_equal(counter(&out, "offloaded"), off ? 8 : 0);
		assert_int_equal(counter(&out, "entry_adds"), off ? 8 : 0);
		assert_int_equal(counter(&out, "entry_deletes"), off ? 8 : 0);
		assert_int_equal(counter(&out, "switch_pipeline_drops"), 0);
		assert_int_equal(out.summary.fast_path_bytes + counter(&out, "fe_s2c_bytes"),
				 resp_bytes(&wl) + counter(&out, "server_retrans_bytes"));
		if (off)
			assert_true(out.summary.fast_path_bytes > resp_bytes(&wl) / 2);
		else
			assert_int_equal(out.summary.fast_path_bytes, 0);
		l7sim_run_out_fini(&out);
		l7sim_config_fini(&cfg);
		l7sim_wl_free(&wl);
	}
}

/* The switch program is IPv4: one IPv6 server address refuses the run. */
static void ipv6_vip_refused(void **state)
{
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	char err[256] = "";
	(void)state;
	assert_int_equal(make_wl(&wl, 4, 1, 1000), 0);
	second_vip(&wl);
	memset(wl.conns[3].key.dst, 0, 16);
	wl.conns[3].key.dst[0] = 0x20;
	wl.conns[3].key.dst[15] = 1;
	base_config(&cfg, "");
	memset(&out, 0, sizeof(out));
	assert_int_equal(l7sim_run(&cfg, &wl, l7sim_arch_find("miresga"), NULL, &out, err,
				   sizeof(err)), L7_ECONFIG);
	assert_string_equal(err, "workload: IPv6 server address; the switch program is IPv4");
	l7sim_config_fini(&cfg);
	l7sim_wl_free(&wl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exact_no_offload),
		cmocka_unit_test(exact_offload),
		cmocka_unit_test(tcp_dsack_key),
		cmocka_unit_test(offload_path_switch_no_stall),
		cmocka_unit_test(fe_cpu_below_software),
		cmocka_unit_test(deterministic),
		cmocka_unit_test(smoke_pcap),
		cmocka_unit_test(xff_exact),
		cmocka_unit_test(resplice_exact),
		cmocka_unit_test(resplice_wait_then_offload),
		cmocka_unit_test(two_vips_exact),
		cmocka_unit_test(ipv6_vip_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
