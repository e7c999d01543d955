/*
 * test_sim_trace.c — trace import (sim/workload/trace) and the client and
 * server models (sim/models) over links: the smoke capture's request and
 * response are cut exactly as tshark shows them; replaying every capture of
 * the shared data set (clients x2, with and without loss) delivers exactly
 * the captured server bytes to every client; worker queueing; the
 * closed-loop generator's responses frame as HTTP; a replay's client-side
 * capture is clean under tshark's TCP analysis. Streaming import (spill):
 * the same workload as the in-memory import on every capture and the same
 * replay; its high-water marks of open connections and held payload equal
 * what the generator's own frames imply and stay flat while a generated
 * trace grows 10x and 100x; an error late in a streamed trace names the
 * packet and leaves nothing behind; no spill directory: memory.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/engine.h"
#include "l7splice/http.h"
#include "l7splice/pcap.h"
#include "models/client.h"
#include "models/metrics.h"
#include "models/server.h"
#include "net/link.h"
#include "workload/synth.h"
#include "workload/trace.h"

static const char *data_dir(void)
{
	return getenv("L7_SHARED_DATA");
}

static void pcap_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/pcaps/%s", data_dir(), name);
}

/* ------------------------------------------------------------ bed */

struct syn_rec {
	int n;
	uint32_t seq;
	struct l7_tcp_opts o;
};

static void syn_tap(void *ctx, l7_time_ns ts, const struct l7sim_pkt *p)
{
	struct syn_rec *r = ctx;
	struct l7_pkt v;
	size_t ol;
	(void)ts;
	assert_int_equal(l7_pkt_parse(&v, p->data, p->len, L7_LINKTYPE_ETHERNET), 0);
	if (!(v.tcp_flags & L7_TCP_SYN))
		return;
	r->n++;
	r->seq = v.tcp_seq;
	const uint8_t *o = l7_pkt_tcp_opts(&v, &ol);
	assert_int_equal(l7_tcp_opts_parse(o, ol, &r->o), 0);
}


struct bed {
	struct l7sim_engine *eng;
	struct l7sim_pktpool pool;
	struct l7sim_tcp_cfg tcp;
	struct l7sim_client cli;
	struct l7sim_server srv;
	struct l7sim_link c2s, s2c;
	struct l7sim_latency_hist lat;
};

struct bed_opts {
	double loss;
	uint32_t multiply;
	uint32_t workers;
	uint64_t service_ns;
	uint64_t prop_ns;
	double speedup;
	struct l7sim_pcap_tap *tap;
	struct syn_rec *syn_tap;
	const struct l7sim_workload *srv_wl; /* the server's workload, if not wl */
};

static void bed_run(struct bed *b, const struct l7sim_workload *wl, const struct bed_opts *o)
{
	memset(b, 0, sizeof(*b));
	struct l7sim_engine_config ec = { .max_events = 1 << 16, .start_ns = 1000000000ULL };
	assert_int_equal(l7sim_engine_create(&ec, &b->eng), 0);
	assert_int_equal(l7sim_net_register(b->eng), 0);
	assert_int_equal(l7sim_models_register(b->eng), 0);
	assert_int_equal(l7sim_pktpool_init(&b->pool, 1 << 12), 0);
	l7sim_tcp_cfg_defaults(&b->tcp);
	b->tcp.rcv_buf_bytes = 4u << 20;
	struct l7sim_link_config lc = { .bandwidth_bps = 10000000000ULL,
					.prop_delay_ns = o->prop_ns ? o->prop_ns : 20000,
					.loss_prob = o->loss, .seed = 77 };
	lc.name = "c2s";
	assert_int_equal(l7sim_link_init(&b->c2s, &lc, b->eng, &b->pool, &b->srv.node), 0);
	lc.name = "s2c";
	assert_int_equal(l7sim_link_init(&b->s2c, &lc, b->eng, &b->pool, &b->cli.node), 0);
	struct l7sim_server_config sc;
	l7sim_server_config_defaults(&sc);
	if (o->workers)
		sc.workers = o->workers;
	sc.service_fixed_ns = o->service_ns;
	sc.service_ns_per_kib = 100;
	sc.max_conns = 1024; /* small pools: 80+ beds per run, also under ASan */
	assert_int_equal(l7sim_server_init(&b->srv, &sc, b->eng, &b->pool, &b->tcp, &b->s2c.in,
					   o->srv_wl ? o->srv_wl : wl), 0);
	struct l7sim_client_config cc;
	l7sim_client_config_defaults(&cc);
	cc.multiply = o->multiply ? o->multiply : 1;
	cc.speedup = o->speedup > 0 ? o->speedup : 1.0;
	cc.max_conns = 1024;
	assert_int_equal(l7sim_latency_hist_init(&b->lat), 0);
	struct l7sim_metrics_sink sink = { l7sim_latency_hist_record, &b->lat };
	assert_int_equal(l7sim_client_init(&b->cli, &cc, b->eng, &b->pool, &b->tcp, &b->c2s.in, wl,
					   &sink), 0);
	if (o->tap) {
		l7sim_link_add_tap(&b->c2s, L7SIM_TAP_ENQUEUE, l7sim_pcap_tap_write, o->tap);
		l7sim_link_add_tap(&b->s2c, L7SIM_TAP_DELIVER, l7sim_pcap_tap_write, o->tap);
	}
	if (o->syn_tap)
		l7sim_link_add_tap(&b->c2s, L7SIM_TAP_ENQUEUE, syn_tap, o->syn_tap);
	assert_int_equal(l7sim_client_start(&b->cli), 0);
	assert_int_equal(l7sim_engine_run(b->eng, UINT64_MAX, 0), L7SIM_RUN_EMPTY);
}

static void bed_fini(struct bed *b)
{
	assert_int_equal(l7sim_pktpool_in_use(&b->pool), 0);
	assert_int_equal(b->cli.active, 0);
	l7sim_client_fini(&b->cli);
	l7sim_server_fini(&b->srv);
	l7sim_link_fini(&b->c2s);
	l7sim_link_fini(&b->s2c);
	l7sim_latency_hist_fini(&b->lat);
	l7sim_pktpool_fini(&b->pool);
	l7sim_engine_destroy(b->eng);
}

static uint64_t total_s2c(const struct l7sim_workload *wl)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < wl->n_conns; i++)
		n += wl->conns[i].s2c_len;
	return n;
}

/* ------------------------------------------------------------ import */

static void smoke_import_exact(void **state)
{
	(void)state;
	char p[1024], err[512];
	pcap_path(p, sizeof(p), "smoke_zeek_http_get.pcap");
	struct l7sim_workload wl;
	struct l7sim_trace_stats st;
	assert_int_equal(l7sim_trace_load(&wl, p, NULL, &st, err, sizeof(err)), 0);
	assert_int_equal(st.packets, 14);
	assert_int_equal(wl.n_conns, 1);
	const struct l7sim_wl_conn *w = &wl.conns[0];
	/* tshark: client Seq 1 -> 137, server Seq 1 -> 5008 */
	assert_int_equal(w->c2s_len, 136);
	assert_int_equal(w->s2c_len, 5007);
	assert_int_equal(w->n_req, 1);
	assert_int_equal(w->req[0].off, 0);
	assert_int_equal(w->req[0].len, 136);
	assert_int_equal(w->req[0].t_ns, 70183000); /* frame 4 at 0.070183 */
	assert_int_equal(w->req[0].wait_resp, 0);
	assert_int_equal(w->resp[0].off, 0);
	assert_int_equal(w->resp[0].len, 5007);
	assert_int_equal(w->greet_len, 0);
	assert_true(w->flags & L7SIM_WL_HTTP_FRAMED);
	assert_true(w->flags & L7SIM_WL_SYN_SEEN);
	assert_false(w->flags & L7SIM_WL_SERVER_CLOSES); /* the client's FIN came first */
	assert_int_equal(w->syn.mss, 1460);
	assert_int_equal(w->syn.wscale, 4);
	assert_true(w->syn.sack_ok && w->syn.ts_ok && w->syn.ws_ok);
	assert_int_equal(l7_flow_key_sport(&w->key), 59856);
	assert_int_equal(l7_flow_key_dport(&w->key), 80);
	assert_memory_equal(w->c2s, "GET /download/CHANGES.bro-aux.txt HTTP/1.1\r\n", 44);
	assert_memory_equal(w->s2c, "HTTP/1.1 200 OK\r\n", 17);
	assert_int_equal(wl.duration_ns, 211628000);
	assert_int_equal(wl.bytes_held, 136 + 5007);
	l7sim_wl_free(&wl);

	/* keep-alive without pipelining (tshark: each GET after the previous
	 * response): every request waits for all earlier responses */
	pcap_path(p, sizeof(p), "ka_zeek_pipelined-requests.pcap");
	assert_int_equal(l7sim_trace_load(&wl, p, NULL, &st, err, sizeof(err)), 0);
	assert_true(wl.n_conns >= 1);
	uint32_t reqs = 0;
	for (uint32_t i = 0; i < wl.n_conns; i++)
		for (uint32_t k = 0; k < wl.conns[i].n_req; k++, reqs++)
			assert_int_equal(wl.conns[i].req[k].wait_resp, k);
	assert_int_equal(reqs, 5);
	assert_int_equal(st.requests, reqs);
	l7sim_wl_free(&wl);

	/* real pipelining (tshark: 8 GETs in frame 4 before any response):
	 * those requests do not wait; waits never decrease */
	pcap_path(p, sizeof(p), "ka_suricata_http-protocol-nodup.pcap");
	assert_int_equal(l7sim_trace_load(&wl, p, NULL, &st, err, sizeof(err)), 0);
	assert_int_equal(wl.n_conns, 1);
	assert_int_equal(wl.conns[0].n_req, 40);
	for (uint32_t k = 0; k < 7; k++) {
		assert_int_equal(wl.conns[0].req[k].wait_resp, 0);
		assert_int_equal(wl.conns[0].req[k].t_ns, 54872000);
	}
	for (uint32_t k = 1; k < 40; k++) {
		assert_true(wl.conns[0].req[k].wait_resp <= k);
		assert_true(wl.conns[0].req[k].wait_resp >= wl.conns[0].req[k - 1].wait_resp);
		assert_int_equal(wl.conns[0].resp[k].off,
				 wl.conns[0].resp[k - 1].off + wl.conns[0].resp[k - 1].len);
	}
	assert_int_equal(wl.conns[0].resp[39].off + wl.conns[0].resp[39].len, wl.conns[0].s2c_len);
	l7sim_wl_free(&wl);

	/* errors are one line naming the file */
	assert_int_equal(l7sim_trace_load(&wl, "/nonexistent.pcap", NULL, NULL, err, sizeof(err)),
			 L7_EIO);
	assert_non_null(strstr(err, "/nonexistent.pcap"));
	struct l7sim_trace_opts to = { .max_bytes = 1000 };
	pcap_path(p, sizeof(p), "smoke_zeek_http_get.pcap");
	assert_int_equal(l7sim_trace_load(&wl, p, &to, NULL, err, sizeof(err)), L7_EFULL);
	assert_non_null(strstr(err, "max_bytes"));
}

/* ------------------------------------------------------------ replay */


static void smoke_replay_delivers_captured_bytes(void **state)
{
	(void)state;
	char p[1024], err[512];
	pcap_path(p, sizeof(p), "smoke_zeek_http_get.pcap");
	struct l7sim_workload wl;
	assert_int_equal(l7sim_trace_load(&wl, p, NULL, NULL, err, sizeof(err)), 0);
	/* the captured SYN, read independently of the import */
	struct l7_pcap_reader rd;
	struct l7_pcap_rec rec;
	struct l7_pkt v;
	struct l7_tcp_opts cap;
	size_t ol;
	assert_int_equal(l7_pcap_open(&rd, p), 0);
	assert_int_equal(l7_pcap_next(&rd, &rec), 1);
	assert_int_equal(l7_pkt_parse(&v, rec.data, rec.caplen, rec.linktype), 0);
	assert_int_equal(v.tcp_flags, L7_TCP_SYN);
	const uint8_t *co = l7_pkt_tcp_opts(&v, &ol);
	assert_int_equal(l7_tcp_opts_parse(co, ol, &cap), 0);
	uint32_t cap_isn = v.tcp_seq;
	l7_pcap_close(&rd);

	struct bed *b = calloc(1, sizeof(*b));
	struct syn_rec sr = { 0 };
	struct bed_opts o = { .service_ns = 100000, .prop_ns = 35000000, .syn_tap = &sr };
	bed_run(b, &wl, &o);
	/* the replayed client SYN carries the captured ISN and options */
	assert_int_equal(sr.n, 1);
	assert_int_equal(sr.seq, cap_isn);
	assert_int_equal(sr.o.has, cap.has);
	assert_int_equal(sr.o.mss, cap.mss);
	assert_int_equal(sr.o.wscale, cap.wscale);
	assert_int_equal(b->cli.st.conns_started, 1);
	assert_int_equal(b->cli.st.conns_done, 1);
	assert_int_equal(b->cli.st.resp_bytes, 5007);
	assert_int_equal(b->cli.st.resp_mismatch_bytes, 0);
	assert_int_equal(b->cli.st.responses_done, 1);
	assert_int_equal(b->cli.st.incomplete, 0);
	assert_int_equal(b->srv.st.requests, 1);
	assert_int_equal(b->srv.st.resp_bytes, 5007);
	assert_int_equal(b->srv.st.unknown_conn, 0);
	assert_int_equal(b->lat.requests, 1);
	/* the request goes out 70.183 ms after the SYN; the latency is one
	 * round trip (70 ms) + service (100 us + 100 ns/KiB) + serialisation,
	 * and a bit of the initial window: between 70.1 and 71 ms */
	uint64_t lat = l7sim_hist_percentile(&b->lat.latency_ns, 100);
	assert_in_range(lat, 70100000, 71000000);
	assert_true(l7sim_hist_percentile(&b->lat.ttfb_ns, 100) <= lat);
	assert_int_equal(b->lat.first_sent_ns, 1000000000ULL + 70183000ULL);
	bed_fini(b);
	free(b);
	l7sim_wl_free(&wl);
}

/* The client's check can fail: a server whose copy of the response differs
 * in 3 bytes makes the client count exactly 3 mismatching bytes. */
static void replay_detects_wrong_bytes(void **state)
{
	(void)state;
	char p[1024], err[512];
	pcap_path(p, sizeof(p), "smoke_zeek_http_get.pcap");
	struct l7sim_workload wl;
	assert_int_equal(l7sim_trace_load(&wl, p, NULL, NULL, err, sizeof(err)), 0);
	struct l7sim_workload bad = wl;
	bad.conns = malloc(sizeof(*bad.conns));
	uint8_t *s2c = malloc(wl.conns[0].s2c_len);
	assert_non_null(bad.conns);
	assert_non_null(s2c);
	bad.conns[0] = wl.conns[0];
	memcpy(s2c, wl.conns[0].s2c, wl.conns[0].s2c_len);
	s2c[0] ^= 1;
	s2c[1500] ^= 0x80;
	s2c[5006] ^= 0xff;
	bad.conns[0].s2c = s2c;
	struct bed *b = calloc(1, sizeof(*b));
	struct bed_opts o = { .service_ns = 1000, .srv_wl = &bad };
	bed_run(b, &wl, &o);
	assert_int_equal(b->cli.st.resp_bytes, 5007);
	assert_int_equal(b->cli.st.resp_mismatch_bytes, 3);
	bed_fini(b);
	free(b);
	free(s2c);
	free(bad.conns);
	l7sim_wl_free(&wl);
}

static int is_capture(const char *n)
{
	size_t l = strlen(n);
	return (l > 5 && strcmp(n + l - 5, ".pcap") == 0) ||
	       (l > 7 && strcmp(n + l - 7, ".pcapng") == 0);
}

/* Every capture (malformed/ excluded): each client gets exactly the
 * captured server stream, also at 2 % loss and with two instances. */
static void replay_all_captures(void **state)
{
	(void)state;
	char dir[1024], p[1400], err[512];
	pcap_path(dir, sizeof(dir), "");
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	uint32_t files = 0, conns = 0;
	uint64_t bytes = 0;
	char names[128][256];
	uint32_t nn = 0;
	while ((de = readdir(d)) && nn < 128)
		if (is_capture(de->d_name))
			snprintf(names[nn++], sizeof(names[0]), "%s", de->d_name);
	closedir(d);
	for (uint32_t f = 0; f < nn; f++) {
		size_t dl = strlen(dir), nl = strlen(names[f]);
		assert_true(dl + nl < sizeof(p));
		memcpy(p, dir, dl);
		memcpy(p + dl, names[f], nl + 1);
		struct l7sim_workload wl;
		struct l7sim_trace_stats st;
		int rc = l7sim_trace_load(&wl, p, NULL, &st, err, sizeof(err));
		if (rc) {
			print_message("%s: %s\n", names[f], err);
			fail();
		}
		files++;
		for (int lossy = 0; lossy < 2; lossy++) {
			struct bed *b = calloc(1, sizeof(*b));
			struct bed_opts o = { .service_ns = 50000, .multiply = 2,
					      .loss = lossy ? 0.02 : 0, .speedup = 100 };
			bed_run(b, &wl, &o);
			if (b->cli.st.resp_mismatch_bytes || b->cli.st.incomplete ||
			    b->cli.st.conns_done != b->cli.st.conns_started)
				print_message("%s loss %d: mismatch %llu, bytes %llu of %llu, "
					      "incomplete %llu, done %llu of %u\n", names[f], lossy,
					      (unsigned long long)b->cli.st.resp_mismatch_bytes,
					      (unsigned long long)b->cli.st.resp_bytes,
					      (unsigned long long)(2 * total_s2c(&wl)),
					      (unsigned long long)b->cli.st.incomplete,
					      (unsigned long long)b->cli.st.conns_done, 2 * wl.n_conns);
			assert_int_equal(b->cli.st.resp_mismatch_bytes, 0);
			/* a capture may reuse a tuple within its TIME_WAIT once
			 * sped up: that start is skipped and counted */
			assert_int_equal(b->cli.st.conns_started + b->cli.st.tuple_clash,
					 2ull * wl.n_conns);
			assert_int_equal(b->cli.st.conns_done, b->cli.st.conns_started);
			if (!b->cli.st.tuple_clash)
				assert_int_equal(b->cli.st.resp_bytes, 2 * total_s2c(&wl));
			assert_int_equal(b->cli.st.incomplete, 0);
			assert_int_equal(b->srv.st.unknown_conn, 0);
			if (!lossy) {
				conns += wl.n_conns;
				bytes += total_s2c(&wl);
			}
			bed_fini(b);
			free(b);
		}
		l7sim_wl_free(&wl);
	}
	print_message("replayed %u captures, %u connections, %llu server bytes\n", files, conns,
		      (unsigned long long)bytes);
	assert_true(files >= 30);
	assert_true(conns >= 200);
}

/* Malformed captures and packets: an error with a one-line reason naming
 * the file, or a workload that replays byte-exact; never a crash (this
 * test also runs under ASan+UBSan). */
static void malformed_captures(void **state)
{
	(void)state;
	char dir[1024], p[1200], err[512];
	pcap_path(dir, sizeof(dir), "malformed/");
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	uint32_t n = 0, refused = 0;
	while ((de = readdir(d))) {
		if (!is_capture(de->d_name))
			continue;
		size_t dl = strlen(dir), nl = strlen(de->d_name);
		assert_true(dl + nl < sizeof(p));
		memcpy(p, dir, dl);
		memcpy(p + dl, de->d_name, nl + 1);
		struct l7sim_workload wl;
		int rc = l7sim_trace_load(&wl, p, NULL, NULL, err, sizeof(err));
		n++;
		if (rc) {
			assert_true(rc < 0);
			assert_non_null(strstr(err, de->d_name));
			assert_null(strchr(err, '\n'));
			assert_int_equal(wl.n_conns, 0);
			refused++;
			continue;
		}
		struct bed *b = calloc(1, sizeof(*b));
		struct bed_opts o = { .service_ns = 1000, .speedup = 1000 };
		bed_run(b, &wl, &o);
		assert_int_equal(b->cli.st.resp_mismatch_bytes, 0);
		assert_int_equal(b->cli.st.conns_done, b->cli.st.conns_started);
		bed_fini(b);
		free(b);
		l7sim_wl_free(&wl);
	}
	closedir(d);
	assert_int_equal(n, 11);
	assert_true(refused >= 2); /* at least the empty file and the bad version */
}

/* ------------------------------------------------------------ closed loop */

static void closed_loop_and_workers(void **state)
{
	(void)state;
	static const uint32_t sizes[] = { 1024, 10240, 102400 };
	static const uint32_t weights[] = { 5, 3, 2 };
	struct l7sim_closed_loop_config cc = { .seed = 5, .n_conns = 20, .n_req = 5, .n_sizes = 3,
					       .sizes = sizes, .weights = weights,
					       .stagger_ns = 0,
					       .server_addr = l7_addr_from_v4(0x0a000001),
					       .server_port = 80 };
	struct l7sim_workload wl;
	assert_int_equal(l7sim_wl_closed_loop(&wl, &cc), 0);
	/* the generated server stream of every connection frames as HTTP
	 * responses of the announced sizes */
	for (uint32_t i = 0; i < wl.n_conns; i++) {
		const struct l7sim_wl_conn *w = &wl.conns[i];
		for (uint32_t k = 0; k < w->n_req; k++) {
			static uint8_t buf[200000];
			assert_true(w->resp[k].len <= sizeof(buf));
			l7sim_wl_read(&wl, i, 1, w->resp[k].off, buf, (uint32_t)w->resp[k].len);
			struct l7_http_parser ps;
			static struct l7_http_response r;
			l7_http_parser_init_response(&ps, 0, 0, L7_HTTP_GET);
			assert_int_equal(l7_http_parse_response(&ps, &r, buf, w->resp[k].len), 0);
			assert_int_equal(r.status, 200);
			assert_int_equal(r.head.content_length, w->resp[k].len - r.head.head_bytes);
			struct l7_http_parser pq;
			static struct l7_http_request q;
			l7_http_parser_init(&pq, 0, 0);
			assert_int_equal(l7_http_parse_request(&pq, &q, w->c2s + w->req[k].off,
							       w->req[k].len), 0);
			assert_int_equal(q.head.head_bytes, w->req[k].len);
		}
	}
	/* one worker, 1 ms per request: 100 requests take >= 100 ms of
	 * service, and every byte arrives */
	struct bed *b = calloc(1, sizeof(*b));
	struct bed_opts o = { .service_ns = 1000000, .workers = 1 };
	bed_run(b, &wl, &o);
	assert_int_equal(b->cli.st.responses_done, 100);
	assert_int_equal(b->cli.st.resp_mismatch_bytes, 0);
	assert_int_equal(b->cli.st.resp_bytes, total_s2c(&wl));
	assert_int_equal(b->lat.requests, 100);
	uint64_t want_busy = 0;
	for (uint32_t i = 0; i < wl.n_conns; i++)
		for (uint32_t k = 0; k < wl.conns[i].n_req; k++)
			want_busy += 1000000 + 100 * wl.conns[i].resp[k].len / 1024;
	assert_int_equal(b->srv.st.busy_ns, want_busy);
	assert_int_equal(b->srv.st.queue_peak, 19); /* 20 arrive together, 1 served */
	assert_true(b->lat.last_done_ns - b->lat.first_sent_ns >= want_busy);
	/* the last of the first 20 requests waited for the 19 before it */
	assert_true(l7sim_hist_percentile(&b->lat.latency_ns, 100) >= 19000000);
	bed_fini(b);
	free(b);

	/* 8 workers: the same work finishes much sooner */
	b = calloc(1, sizeof(*b));
	o.workers = 8;
	bed_run(b, &wl, &o);
	assert_int_equal(b->cli.st.responses_done, 100);
	assert_true(b->lat.last_done_ns - b->lat.first_sent_ns < want_busy / 4);
	bed_fini(b);
	free(b);
	l7sim_wl_free(&wl);
}

/* ------------------------------------------------------------ tshark */

static unsigned long tshark_count(const char *path, const char *filter)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "tshark -n -r %s -Y '%s' 2>/dev/null | wc -l", path, filter);
	FILE *f = popen(cmd, "r");
	unsigned long n = 999999;
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lu", &n), 1);
	pclose(f);
	return n;
}

/* The client-side capture of a replay: no analysis flags at all without
 * loss; at 2 % loss only the loss-caused ones (and some of those). */
static void replay_capture_is_tshark_clean(void **state)
{
	(void)state;
	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		print_message("tshark not installed: skipping\n");
		skip();
	}
	char p[1024], err[512];
	pcap_path(p, sizeof(p), "real_pcpp_example.pcap");
	struct l7sim_workload wl;
	assert_int_equal(l7sim_trace_load(&wl, p, NULL, NULL, err, sizeof(err)), 0);
	for (int lossy = 0; lossy < 2; lossy++) {
		char out[] = "/tmp/test_sim_trace_XXXXXX";
		int fd = mkstemp(out);
		assert_true(fd >= 0);
		close(fd);
		struct l7sim_pcap_tap tap;
		assert_int_equal(l7sim_pcap_tap_open(&tap, out, L7_LINKTYPE_ETHERNET), 0);
		struct bed *b = calloc(1, sizeof(*b));
		struct bed_opts o = { .service_ns = 50000, .tap = &tap, .speedup = 10,
				      .loss = lossy ? 0.02 : 0 };
		bed_run(b, &wl, &o);
		assert_int_equal(l7sim_pcap_tap_close(&tap), 0);
		assert_int_equal(b->cli.st.resp_mismatch_bytes, 0);
		bed_fini(b);
		free(b);
		assert_int_equal(tshark_count(out, "tcp.analysis.flags && "
					      "!tcp.analysis.window_update && "
					      "!tcp.analysis.retransmission && "
					      "!tcp.analysis.fast_retransmission && "
					      "!tcp.analysis.duplicate_ack && "
					      "!tcp.analysis.lost_segment"), 0);
		unsigned long flagged = tshark_count(out, "tcp.analysis.flags");
		if (lossy)
			assert_true(flagged > 0);
		else
			assert_int_equal(flagged, 0);
		unlink(out);
	}
	l7sim_wl_free(&wl);
}


/* ------------------------------------------------------------ streaming */

/* The generator's frames, watched the way conn.h sees them (no loss, no
 * reordering in a synthetic trace): a connection is open from its SYN to
 * the frame carrying its second FIN, and holds the payload delivered so
 * far. The peaks are what the streaming reader must report. */
#define WATCH_MAX 4096
struct watch {
	struct l7_pcap_writer *w;
	uint32_t n;                       /* open now */
	struct { struct l7_flow_key k; uint64_t bytes; int fins; } open[WATCH_MAX];
	uint64_t bytes, total, peak_bytes, peak_conns, frames;
};

static int watch_emit(void *user, l7_time_ns ts, const uint8_t *frame, size_t len)
{
	struct watch *x = user;
	struct l7_pkt v;
	struct l7_flow_key k;
	x->frames++;
	assert_int_equal(l7_pkt_parse(&v, frame, len, L7_LINKTYPE_ETHERNET), 0);
	l7_flow_key_from_pkt(&k, &v);
	if ((v.tcp_flags & (L7_TCP_SYN | L7_TCP_ACK)) == L7_TCP_SYN) {
		assert_true(x->n < WATCH_MAX);
		x->open[x->n].k = k;
		x->open[x->n].bytes = 0;
		x->open[x->n].fins = 0;
		x->n++;
		if (x->n > x->peak_conns)
			x->peak_conns = x->n;
	} else {
		/* server frames carry the reversed tuple: match either way */
		struct l7_flow_key r;
		l7_flow_key_make(&r, (const struct l7_addr *)k.dst, l7_flow_key_dport(&k),
				 (const struct l7_addr *)k.src, l7_flow_key_sport(&k), k.proto);
		uint32_t i = 0;
		while (i < x->n && memcmp(&x->open[i].k, &k, sizeof(k)) &&
		       memcmp(&x->open[i].k, &r, sizeof(r)))
			i++;
		if (i < x->n) {
			x->open[i].bytes += v.payload_len;
			x->bytes += v.payload_len;
			x->total += v.payload_len;
			if (x->bytes > x->peak_bytes)
				x->peak_bytes = x->bytes;
			if ((v.tcp_flags & L7_TCP_FIN) && ++x->open[i].fins == 2) {
				x->bytes -= x->open[i].bytes;
				x->open[i] = x->open[--x->n];
			}
		}
	}
	return l7_pcap_write(x->w, ts, frame, (uint32_t)len, 0);
}

/* A generated trace of n connections with small objects (so that even
 * the long one stays a few MB) in a temporary file. */
static void gen_trace(char *path, size_t cap, uint32_t n, struct watch *x)
{
	struct l7sim_synth_config sc;
	struct l7sim_synth_counts cnt;
	struct l7_pcap_writer w;
	char err[256];
	const char *tmp = getenv("TMPDIR");
	snprintf(path, cap, "%s/test_sim_trace_gen_XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	l7sim_synth_defaults(&sc);
	sc.seed = 11;
	sc.connections = n;
	sc.requests_per_conn = 2;
	assert_int_equal(l7sim_synth_parse_mix(&sc, "1k:3,8k:1", err, sizeof(err)), 0);
	memset(x, 0, sizeof(*x));
	x->w = &w;
	assert_int_equal(l7_pcap_writer_open(&w, path, sc.linktype, 0), 0);
	assert_int_equal(l7sim_synth_run(&sc, watch_emit, x, &cnt, err, sizeof(err)), 0);
	assert_int_equal(l7_pcap_writer_close(&w), 0);
	assert_int_equal(x->frames, cnt.packets);
	assert_int_equal(x->n, 0); /* every connection closed */
}

/* The high-water marks of the streaming reader are exactly the trace's
 * own (open connections, their payload), and they do not grow with the
 * trace: 40, 400 and 4000 connections of the same generator. */
static void stream_memory_bounded(void **state)
{
	(void)state;
	static struct watch x;
	char path[4096], err[512];
	uint64_t peak_bytes[3], peak_conns[3], total[3];
	const uint32_t n[3] = { 40, 400, 4000 };
	for (int i = 0; i < 3; i++) {
		gen_trace(path, sizeof(path), n[i], &x);
		struct l7sim_workload wl;
		struct l7sim_trace_stats st;
		struct l7sim_trace_opts o = { .spill = 1, .mem_bytes = 0 };
		assert_int_equal(l7sim_trace_load(&wl, path, &o, &st, err, sizeof(err)), 0);
		unlink(path);
		assert_int_equal(wl.n_conns, n[i]);
		assert_int_equal(st.peak_live_conns, x.peak_conns);
		assert_int_equal(st.peak_live_bytes, x.peak_bytes);
		/* mem_bytes 0: a closed connection's bytes leave memory at once */
		assert_int_equal(st.peak_held_bytes, x.peak_bytes);
		assert_int_equal(st.spilled_conns, n[i]);
		assert_int_equal(st.spilled_bytes, x.total);
		assert_int_equal(wl.bytes_held, 0);
		assert_int_equal(st.live_conns, 0);
		peak_bytes[i] = st.peak_live_bytes;
		peak_conns[i] = st.peak_live_conns;
		total[i] = st.spilled_bytes;
		print_message("%u connections: %llu bytes, at most %llu open holding %llu bytes\n",
			      n[i], (unsigned long long)total[i], (unsigned long long)peak_conns[i],
			      (unsigned long long)peak_bytes[i]);
		l7sim_wl_free(&wl);
	}
	/* the trace grew 100x; what is held at once is the trace's own
	 * concurrency (asserted exactly above), which for arrivals at a
	 * constant rate grows only like the log of the length (6, 8, 11) */
	assert_true(total[2] > 90 * total[0]);
	assert_true(peak_conns[2] < 2 * peak_conns[0]);
	assert_true(peak_bytes[2] < 3 * peak_bytes[0]);
	assert_true(peak_bytes[2] * 100 < total[2]);
}

static void assert_same_workload(const struct l7sim_workload *a, const struct l7sim_workload *b)
{
	static uint8_t x[65536], y[65536];
	assert_int_equal(a->n_conns, b->n_conns);
	assert_int_equal(a->duration_ns, b->duration_ns);
	for (uint32_t i = 0; i < a->n_conns; i++) {
		const struct l7sim_wl_conn *p = &a->conns[i], *q = &b->conns[i];
		assert_int_equal(p->start_ns, q->start_ns);
		assert_memory_equal(&p->key, &q->key, sizeof(p->key));
		assert_memory_equal(&p->syn, &q->syn, sizeof(p->syn));
		assert_int_equal(p->client_isn, q->client_isn);
		assert_int_equal(p->flags & ~(uint32_t)L7SIM_WL_SPILLED,
				 q->flags & ~(uint32_t)L7SIM_WL_SPILLED);
		assert_int_equal(p->n_req, q->n_req);
		assert_int_equal(p->greet_len, q->greet_len);
		assert_int_equal(p->c2s_len, q->c2s_len);
		assert_int_equal(p->s2c_len, q->s2c_len);
		if (p->n_req) {
			assert_memory_equal(p->req, q->req, p->n_req * sizeof(*p->req));
			assert_memory_equal(p->resp, q->resp, p->n_req * sizeof(*p->resp));
		}
		for (int d = 0; d < 2; d++) {
			uint64_t len = d ? p->s2c_len : p->c2s_len;
			/* odd chunk sizes cross the spill's cache blocks */
			for (uint64_t off = 0; off < len + 10; off += 4093) {
				l7sim_wl_read(a, i, d, off, x, 4093);
				l7sim_wl_read(b, i, d, off, y, 4093);
				assert_memory_equal(x, y, 4093);
			}
		}
	}
}

/* Every shared capture: the streamed workload (everything spilled, a
 * tiny cache so blocks are evicted and read again) equals the in-memory
 * one, and a budget between spills some connections and keeps others. */
static void stream_same_workload(void **state)
{
	(void)state;
	char dir[1024], p[1400], err[512];
	pcap_path(dir, sizeof(dir), "");
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	uint32_t n = 0, mixed = 0;
	while ((de = readdir(d))) {
		if (!is_capture(de->d_name))
			continue;
		size_t dl = strlen(dir), nl = strlen(de->d_name);
		assert_true(dl + nl < sizeof(p));
		memcpy(p, dir, dl);
		memcpy(p + dl, de->d_name, nl + 1);
		struct l7sim_workload a, b, c;
		struct l7sim_trace_stats sa, sb, sc;
		struct l7sim_trace_opts all = { .spill = 1, .mem_bytes = 0, .cache_bytes = 1 };
		int ra = l7sim_trace_load(&a, p, NULL, &sa, err, sizeof(err));
		int rb = l7sim_trace_load(&b, p, &all, &sb, err, sizeof(err));
		assert_int_equal(ra, rb);
		if (ra)
			continue;
		n++;
		assert_same_workload(&a, &b);
		assert_int_equal(sb.spilled_conns, b.n_conns);
		assert_int_equal(b.bytes_held, 0);
		assert_int_equal(sa.peak_live_conns, sb.peak_live_conns);
		/* half the payload in memory, the rest spilled */
		uint64_t total = 0;
		for (uint32_t i = 0; i < a.n_conns; i++)
			total += a.conns[i].c2s_len + a.conns[i].s2c_len;
		struct l7sim_trace_opts half = { .spill = 1, .mem_bytes = total / 2 };
		assert_int_equal(l7sim_trace_load(&c, p, &half, &sc, err, sizeof(err)), 0);
		assert_same_workload(&a, &c);
		assert_int_equal(c.bytes_held + sc.spilled_bytes, a.bytes_held);
		assert_true(c.bytes_held <= total / 2);
		if (sc.spilled_conns && sc.spilled_conns < c.n_conns)
			mixed++;
		assert_int_equal(l7sim_trace_spill_errors(&b), 0);
		l7sim_wl_free(&a);
		l7sim_wl_free(&b);
		l7sim_wl_free(&c);
	}
	closedir(d);
	assert_true(n >= 20);
	assert_true(mixed >= 5);
}

/* The same replay from a streamed workload as from memory: every client
 * and server counter and the latency histogram. */
static void stream_same_replay(void **state)
{
	(void)state;
	static struct watch x;
	char path[4096], err[512];
	gen_trace(path, sizeof(path), 60, &x);
	struct l7sim_workload a, b;
	struct l7sim_trace_opts all = { .spill = 1, .mem_bytes = 0, .cache_bytes = 1 };
	assert_int_equal(l7sim_trace_load(&a, path, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(l7sim_trace_load(&b, path, &all, NULL, err, sizeof(err)), 0);
	unlink(path); /* the spill is its own file */
	struct bed *ba = calloc(1, sizeof(*ba)), *bb = calloc(1, sizeof(*bb));
	struct bed_opts o = { .service_ns = 20000 };
	bed_run(ba, &a, &o);
	bed_run(bb, &b, &o);
	assert_int_equal(ba->cli.st.resp_mismatch_bytes, 0);
	assert_int_equal(ba->cli.st.conns_done, 60);
	assert_memory_equal(&ba->cli.st, &bb->cli.st, sizeof(ba->cli.st));
	assert_memory_equal(&ba->srv.st, &bb->srv.st, sizeof(ba->srv.st));
	assert_int_equal(ba->lat.requests, bb->lat.requests);
	assert_int_equal(l7sim_hist_percentile(&ba->lat.latency_ns, 99),
			 l7sim_hist_percentile(&bb->lat.latency_ns, 99));
	assert_int_equal(l7sim_trace_spill_errors(&b), 0);
	bed_fini(ba);
	bed_fini(bb);
	free(ba);
	free(bb);
	l7sim_wl_free(&a);
	l7sim_wl_free(&b);
}

/* A trace cut inside its last record: the error comes after most of the
 * file was streamed (and spilled), names the file and the packet, and
 * nothing of the trace is kept. */
static void stream_late_error(void **state)
{
	(void)state;
	static struct watch x;
	char path[4096], err[512], want[4200];
	gen_trace(path, sizeof(path), 100, &x);
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long size = ftell(f);
	fclose(f);
	assert_int_equal(truncate(path, size - 5), 0);
	struct l7sim_workload wl;
	struct l7sim_trace_stats st;
	struct l7sim_trace_opts o = { .spill = 1, .mem_bytes = 0 };
	assert_int_equal(l7sim_trace_load(&wl, path, &o, &st, err, sizeof(err)), L7_EPCAPTRUNC);
	unlink(path);
	snprintf(want, sizeof(want), "%s: packet %llu: file ends inside the record", path,
		 (unsigned long long)x.frames);
	assert_memory_equal(err, want, strlen(want));
	assert_null(strchr(err, '\n'));
	assert_int_equal(st.packets, x.frames - 1);
	assert_true(st.spilled_conns >= 99); /* it was found late */
	assert_int_equal(wl.n_conns, 0);
	assert_null(wl.conns);
	assert_null(wl.gen);
}

/* No spill directory: the import keeps the bytes in memory, and max_bytes
 * still bounds them (its error says why nothing was spilled). */
static void stream_without_spill_dir(void **state)
{
	(void)state;
	char p[1024], err[512];
	pcap_path(p, sizeof(p), "smoke_zeek_http_get.pcap");
	struct l7sim_workload wl;
	struct l7sim_trace_stats st;
	struct l7sim_trace_opts o = { .spill = 1, .spill_dir = "/nonexistent-dir" };
	assert_int_equal(l7sim_trace_load(&wl, p, &o, &st, err, sizeof(err)), 0);
	assert_int_equal(st.spilled_conns, 0);
	assert_int_equal(wl.bytes_held, 136 + 5007);
	assert_memory_equal(wl.conns[0].s2c, "HTTP/1.1 200 OK\r\n", 17);
	l7sim_wl_free(&wl);
	o.max_bytes = 1000;
	assert_int_equal(l7sim_trace_load(&wl, p, &o, &st, err, sizeof(err)), L7_EFULL);
	assert_non_null(strstr(err, "smoke_zeek_http_get.pcap: "));
	assert_non_null(strstr(err, "max_bytes"));
	/* the connection never closed before the limit: no spill was tried */
	assert_null(strstr(err, "/nonexistent-dir"));
}

int main(void)
{
	if (!data_dir() || access(data_dir(), R_OK) != 0) {
		printf("test_sim_trace: L7_SHARED_DATA not set or missing: skipped\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(smoke_import_exact),
		cmocka_unit_test(smoke_replay_delivers_captured_bytes),
		cmocka_unit_test(replay_detects_wrong_bytes),
		cmocka_unit_test(replay_all_captures),
		cmocka_unit_test(malformed_captures),
		cmocka_unit_test(closed_loop_and_workers),
		cmocka_unit_test(replay_capture_is_tshark_clean),
		cmocka_unit_test(stream_memory_bounded),
		cmocka_unit_test(stream_same_workload),
		cmocka_unit_test(stream_same_replay),
		cmocka_unit_test(stream_late_error),
		cmocka_unit_test(stream_without_spill_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
