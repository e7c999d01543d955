/*
 * test_sim_arch_switchonly.c — the switch-only architecture (every
 * connection's splice state in the switch; its data waits for the entry):
 *  - byte-exact delivery, one entry added and deleted per connection, and
 *    data really held until the entry was visible; the closes complete at
 *    the front-end (the run ends within the engine's linger);
 *  - throughput bound by the insertion rate: with a channel of R entries/s
 *    (no batch cost) and N connections of one small request each, every
 *    connection's add must be applied before its response can flow, and
 *    the channel applies at most one entry per 1/R, so the N adds span at
 *    least (N - 1)/R: completion rate <= R * N / (N - 1). Deletes share the
 *    channel, so in steady state the rate approaches R / 2; the test
 *    checks it is at least 0.4 R (the bound, not something else, binds);
 *  - Miresga on the same workload, whose small objects are not offloaded,
 *    is not bound by the channel and completes several times faster;
 *  - X-Forwarded-For on: offloaded at once, so exactly the first request
 *    of each connection carries it (the back-ends receive the clients'
 *    bytes plus one field line per connection), keep-alive requests stay
 *    on their back-end (no re-splice), responses byte-exact;
 *  - a client FIN right after the request, before the back-end leg is up
 *    (real captures): the connection is closing, so it is never offloaded
 *    and nothing waits for an entry; the request reaches the back-end
 *    whole and the run ends in well under a second (it used to hold the
 *    request and the ACK of the back-end's SYN-ACK forever, until both
 *    sides reset ~342 s later: issue #7);
 *  - X-Forwarded-For with 2 % loss (a real capture): an inserted segment
 *    that is lost is resent by the front-end's engine, because the
 *    agent sends the back-end's packets to the front-end, not straight to
 *    the client, until they acknowledge every inserted byte (issue #7).
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
#include "workload/trace.h"

#include "test_sim_arch_util.h"

static int make_wl(struct l7sim_workload *wl, uint32_t conns, uint32_t reqs, uint32_t size)
{
	uint32_t sizes[1] = { size }, weights[1] = { 1 };
	struct l7sim_closed_loop_config c;
	memset(&c, 0, sizeof(c));
	c.seed = 9;
	c.n_conns = conns;
	c.n_req = reqs;
	c.n_sizes = 1;
	c.sizes = sizes;
	c.weights = weights;
	c.stagger_ns = 100;
	c.server_addr = l7_addr_from_v4(0x0a000001u);
	c.server_port = 80;
	return l7sim_wl_closed_loop(wl, &c);
}

static void base_config(struct l7sim_config *c)
{
	char err[256];
	l7sim_config_defaults(c);
	const char *kv[][2] = {
		{ "sim.packets", "32768" }, { "sim.max_events", "262144" },
		{ "frontend.max_conns", "2048" }, { "frontend.cores", "8" },
		{ "backend.count", "4" },
	};
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		assert_int_equal(l7sim_config_set(c, kv[i][0], kv[i][1], err, sizeof(err)), 0);
}

static void exact_and_held(void **state)
{
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	(void)state;
	assert_int_equal(make_wl(&wl, 16, 3, 30000), 0);
	base_config(&cfg);
	run(&cfg, &wl, "switch-only", &out);
	assert_int_equal(out.summary.requests, 48);
	assert_int_equal(counter(&out, "client_resp_mismatch_bytes"), 0);
	assert_int_equal(counter(&out, "client_conns_done"), 16);
	assert_int_equal(out.summary.client_bytes, resp_bytes(&wl));
	assert_int_equal(counter(&out, "offloaded"), 16);
	assert_int_equal(counter(&out, "entry_adds"), 16);
	assert_int_equal(counter(&out, "entry_deletes"), 16);
	assert_true(counter(&out, "held_packets") >= 16);
	/* the data waited, so nothing of the responses went the slow way
	 * except what the agent could not yet translate: here none */
	assert_int_equal(out.summary.fast_path_bytes + counter(&out, "fe_s2c_bytes"),
			 resp_bytes(&wl) + counter(&out, "server_retrans_bytes"));
	assert_true(out.summary.fast_path_bytes > resp_bytes(&wl) / 2);
	assert_true(out.summary.insert_delay->count == 16);
	/* every close completed at the front-end's engine although the
	 * clients' last ACKs met live entries: the run ends within its linger
	 * (2 s) and a splice tick (250 ms), not at its idle timeout (300 s) */
	assert_true(out.end_ns < out.summary.duration_ns + 2500000000ull);
	assert_true(counter(&out, "agent_to_fe") > 0);
	l7sim_run_out_fini(&out);
	l7sim_config_fini(&cfg);
	l7sim_wl_free(&wl);
}

static void xff_first_request_only(void **state)
{
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	struct l7sim_miresga_params prm;
	(void)state;
	assert_int_equal(make_wl(&wl, 16, 3, 30000), 0);
	base_config(&cfg);
	l7sim_miresga_params_default(&prm, &cfg);
	prm.xff = 1;
	l7sim_miresga_override = &prm;
	run(&cfg, &wl, "switch-only", &out);
	l7sim_miresga_override = NULL;
	uint64_t expect = 0;
	for (uint32_t i = 0; i < wl.n_conns; i++) {
		const uint8_t *ip = wl.conns[i].key.src + 12;
		char line[64];
		expect += wl.conns[i].c2s_len +
			  (uint64_t)snprintf(line, sizeof(line), "X-Forwarded-For: %u.%u.%u.%u\r\n",
					     ip[0], ip[1], ip[2], ip[3]);
	}
	assert_int_equal(out.summary.requests, 48);
	assert_int_equal(counter(&out, "client_resp_mismatch_bytes"), 0);
	assert_int_equal(counter(&out, "client_conns_done"), 16);
	assert_int_equal(out.summary.client_bytes, resp_bytes(&wl));
	assert_int_equal(counter(&out, "xff_inserted"), 16);
	assert_int_equal(counter(&out, "xff_skipped_offloaded"), 32);
	assert_int_equal(counter(&out, "server_heads_parsed"), 48);
	assert_int_equal(counter(&out, "server_heads_xff"), 16);
	assert_int_equal(counter(&out, "server_rx_bytes"), expect);
	assert_int_equal(counter(&out, "splice_resplices"), 0);
	assert_int_equal(counter(&out, "server_late_legs"), 0);
	l7sim_run_out_fini(&out);
	l7sim_config_fini(&cfg);
	l7sim_wl_free(&wl);
}

static void insertion_rate_binds(void **state)
{
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out so, mr;
	struct l7sim_miresga_params prm;
	const uint32_t n = 300;
	const double rate = 20000.0; /* entries/s: 50 us per entry */
	(void)state;
	assert_int_equal(make_wl(&wl, n, 1, 1000), 0);
	base_config(&cfg);
	l7sim_miresga_params_default(&prm, &cfg);
	prm.ctl_entries_per_s = rate;
	prm.ctl_batch_fixed_ns = 0;
	l7sim_miresga_override = &prm;
	run(&cfg, &wl, "switch-only", &so);
	run(&cfg, &wl, "miresga", &mr);
	l7sim_miresga_override = NULL;
	assert_int_equal(so.summary.requests, n);
	assert_int_equal(mr.summary.requests, n);
	assert_int_equal(counter(&so, "client_resp_mismatch_bytes"), 0);
	assert_int_equal(counter(&mr, "client_resp_mismatch_bytes"), 0);
	assert_int_equal(counter(&so, "entry_adds"), n);
	double conn_rate = (double)n * 1e9 / (double)so.summary.duration_ns;
	assert_true(conn_rate <= rate * n / (n - 1) * 1.0001);
	assert_true(conn_rate >= 0.4 * rate);
	assert_true(so.summary.insert_backlog_peak > 40);
	double mr_rate = (double)n * 1e9 / (double)mr.summary.duration_ns;
	if (getenv("MRG_DUMP"))
		fprintf(stderr, "switch-only %.0f conn/s (R = %.0f), miresga %.0f conn/s, "
			"backlog peak %llu\n", conn_rate, rate, mr_rate,
			(unsigned long long)so.summary.insert_backlog_peak);
	assert_true(mr_rate > 3 * conn_rate);
	assert_int_equal(counter(&mr, "entry_adds"), 0);
	l7sim_run_out_fini(&so);
	l7sim_run_out_fini(&mr);
	l7sim_config_fini(&cfg);
	l7sim_wl_free(&wl);
}

/* Connection 0 of the first capture (request, then FIN, no response)
 * and GET /wrap (connection 10) of the second send their FIN right after
 * the request. */
static void client_fin_before_leg(void **state)
{
	static const struct {
		const char *pcap;
		uint32_t conns, offloaded;
	} cases[] = {
		{ "tcp_tcpdump_ipv4_tcp_http_xml_tso.pcap", 1, 0 },
		/* GET /wrap and GET /tcp-reuse close before their legs are up */
		{ "tcp_arkime_tcp-reassembly-synthetic.pcap", 11, 9 },
	};
	const char *dir = getenv("L7_SHARED_DATA");
	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char path[1024], err[256];
		struct l7sim_workload wl;
		struct l7sim_config cfg;
		struct l7sim_run_out out;
		snprintf(path, sizeof(path), "%s/pcaps/%s", dir ? dir : "", cases[k].pcap);
		if (!dir || access(path, R_OK) != 0) {
			fprintf(stderr, "client_fin_before_leg: %s absent (set L7_SHARED_DATA): "
				"skipped\n", path);
			skip();
		}
		assert_int_equal(l7sim_trace_load(&wl, path, NULL, NULL, err, sizeof(err)), 0);
		assert_int_equal(wl.n_conns, cases[k].conns);
		base_config(&cfg);
		run(&cfg, &wl, "switch-only", &out);
		assert_int_equal(counter(&out, "server_conns_lost"), 0);
		assert_int_equal(counter(&out, "server_conns_whole"), cases[k].conns);
		assert_int_equal(counter(&out, "client_resp_mismatch_bytes"), 0);
		assert_int_equal(counter(&out, "client_incomplete"), 0);
		assert_int_equal(counter(&out, "client_conns_done"), cases[k].conns);
		/* a connection closing before its leg is up stays on the
		 * control CPU's path: no entry, nothing held */
		assert_int_equal(counter(&out, "offloaded"), cases[k].offloaded);
		assert_int_equal(counter(&out, "entry_adds"), cases[k].offloaded);
		if (!cases[k].offloaded)
			assert_int_equal(counter(&out, "held_packets"), 0);
		l7sim_run_out_fini(&out);
		l7sim_config_fini(&cfg);
		l7sim_wl_free(&wl);
	}
}

/* real_suricata_http-range-multiflows.pcap, seed 1, 2 % loss both ways:
 * connection 9's 28-byte X-Forwarded-For segment is lost after its entry
 * is live; the back-end's duplicate ACKs used to go straight to the
 * client, so it was never resent and the request never completed. */
static void xff_lost_insert_resent(void **state)
{
	const char *dir = getenv("L7_SHARED_DATA");
	char path[1024], err[256];
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	(void)state;
	snprintf(path, sizeof(path), "%s/pcaps/real_suricata_http-range-multiflows.pcap",
		 dir ? dir : "");
	if (!dir || access(path, R_OK) != 0) {
		fprintf(stderr, "xff_lost_insert_resent: %s absent (set L7_SHARED_DATA): skipped\n",
			path);
		skip();
	}
	assert_int_equal(l7sim_trace_load(&wl, path, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(wl.n_conns, 41);
	base_config(&cfg);
	const char *kv[][2] = {
		{ "seed", "1" }, { "miresga.xff", "1" },
		{ "net.client.loss", "0.02" }, { "net.server.loss", "0.02" },
	};
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		assert_int_equal(l7sim_config_set(&cfg, kv[i][0], kv[i][1], err, sizeof(err)), 0);
	run(&cfg, &wl, "switch-only", &out);
	assert_int_equal(counter(&out, "server_conns_lost"), 0);
	assert_int_equal(counter(&out, "server_conns_whole"), 41);
	assert_int_equal(counter(&out, "server_req_mismatch_bytes"), 0);
	assert_int_equal(counter(&out, "client_resp_mismatch_bytes"), 0);
	assert_int_equal(counter(&out, "client_incomplete"), 0);
	assert_int_equal(counter(&out, "xff_inserted"), counter(&out, "server_heads_xff"));
	/* the lost insertion was resent by the engine, and the agent sent
	 * the back-end's packets to the front-end while it was missing */
	assert_true(counter(&out, "splice_point_retransmits") >= 1);
	assert_true(counter(&out, "agent_to_fe") >= 1);
	l7sim_run_out_fini(&out);
	l7sim_config_fini(&cfg);
	l7sim_wl_free(&wl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exact_and_held),
		cmocka_unit_test(insertion_rate_binds),
		cmocka_unit_test(xff_first_request_only),
		cmocka_unit_test(client_fin_before_leg),
		cmocka_unit_test(xff_lost_insert_resent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
