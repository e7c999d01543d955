/*
 * test_sim_arch.c — the architecture framework (registry, runner) and the
 * software L7 load balancer end to end on closed-loop workloads:
 *  - a core's queue limit drops packets (counted) and TCP recovers;
 *  - saturated throughput is exactly what the front-end CPU model allows:
 *    1 core and C ns per request head gives 1e9 / C requests/s (within
 *    1 %), and a per-byte cost bounds relayed bytes/s the same way;
 *  - every response byte reaches the clients intact (the client model
 *    compares them with the workload);
 *  - the real router decides: a configuration whose routes match nothing
 *    resets every connection and completes no request;
 *  - determinism: the same workload, configuration and seed give
 *    byte-identical JSON summaries and CSV series; another seed (with
 *    loss) gives different ones;
 *  - unimplemented architectures are refused with a clear error;
 *  - front-end CPU utilisation on hand-computed schedules: busy ns /
 *    (cores x first service start to last service end), never above 1
 *    even when most work falls after the request window;
 *  - workload.max_conns bounds connections open at once: 40 connections
 *    due together with max_conns 8 all complete byte-exact, the ones that
 *    found no free slot are counted as queued, none as failed, and none
 *    waits for a TIME_WAIT (a slot frees once both FINs are exchanged);
 *  - the back-end side of the replay oracle (models/server.h): a server
 *    fed by a scripted TCP client counts exactly the bytes that differ
 *    from the capture, accepts the X-Forwarded-For insertions a balancer
 *    may make (a line, an append) and nothing else, and reports a leg cut
 *    inside a request; through the software proxy every byte is compared
 *    and every connection is whole, or skipped when the router has no
 *    route for it;
 *  - the client model alone (client <-> server, one link each way):
 *    with max_conns 1, N connections due together run back to back,
 *    each exactly 6 one-way delays (SYN, SYN-ACK, request, response,
 *    FIN, FIN), not one TIME_WAIT each; the lingering endpoints beyond
 *    the TIME_WAIT allowance (max_conns) are forgotten early and counted;
 *    a connection due while an earlier one still holds its tuple waits
 *    for it (counted, exact wait; until TIME_WAIT when the client closed
 *    first, until CLOSED when the server did) instead of being skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/arch.h"
#include "arch/frontend_cpu.h"
#include "arch/runner.h"
#include "config.h"
#include "models/client.h"
#include "models/server.h"
#include "models/workload.h"
#include "net/link.h"
#include "report/json.h"

/*
 * A closed-loop workload with both streams stored (so relaying costs a
 * memcpy, not generation): conns connections of reqs keep-alive GETs, each
 * answered by a Content-Length response of `size` body bytes; request k
 * waits for responses 0..k-1.
 */
static int make_wl_bad(struct l7sim_workload *wl, uint32_t conns, uint32_t reqs, uint32_t size,
		       uint32_t bad)
{
	memset(wl, 0, sizeof(*wl));
	wl->conns = calloc(conns, sizeof(*wl->conns));
	assert_non_null(wl->conns);
	wl->n_conns = conns;
	for (uint32_t i = 0; i < conns; i++) {
		struct l7sim_wl_conn *w = &wl->conns[i];
		struct l7_addr ca = l7_addr_from_v4(0x0a010000u + i + 1);
		struct l7_addr sa = l7_addr_from_v4(0x0a000001u);
		char req[128], head[128];
		int rl = snprintf(req, sizeof(req), "GET /%s/%u HTTP/1.1\r\nHost: vip\r\n\r\n",
				  i < bad ? "bad" : "obj", size);
		int hl = snprintf(head, sizeof(head),
				  "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n\r\n", size);
		l7_flow_key_make(&w->key, &ca, (uint16_t)(20000 + i), &sa, 80, L7_IPPROTO_TCP);
		w->start_ns = (l7_time_ns)i * 100 + (i < bad ? 0 : 1000000);
		w->flags = L7SIM_WL_HTTP_FRAMED;
		w->n_req = reqs;
		w->req = calloc(reqs, sizeof(*w->req));
		w->resp = calloc(reqs, sizeof(*w->resp));
		w->c2s_len = (uint64_t)reqs * (uint64_t)rl;
		w->s2c_len = (uint64_t)reqs * ((uint64_t)hl + size);
		w->c2s = malloc(w->c2s_len);
		w->s2c = malloc(w->s2c_len);
		assert_true(w->req && w->resp && w->c2s && w->s2c);
		for (uint32_t k = 0; k < reqs; k++) {
			uint64_t so = (uint64_t)k * ((uint64_t)hl + size);
			w->req[k].off = (uint64_t)k * (uint64_t)rl;
			w->req[k].len = (uint64_t)rl;
			w->req[k].wait_resp = k;
			w->resp[k].off = so;
			w->resp[k].len = (uint64_t)hl + size;
			memcpy(w->c2s + w->req[k].off, req, (size_t)rl);
			memcpy(w->s2c + so, head, (size_t)hl);
			for (uint32_t b = 0; b < size; b++)
				w->s2c[so + (uint64_t)hl + b] = (uint8_t)('a' + (i + k + b) % 26);
		}
		wl->bytes_held += w->c2s_len + w->s2c_len;
	}
	wl->duration_ns = (l7_time_ns)conns * 100 + 1000000;
	return 0;
}

static int make_wl(struct l7sim_workload *wl, uint32_t conns, uint32_t reqs, uint32_t size)
{
	return make_wl_bad(wl, conns, reqs, size, 0);
}

/* Only the cost under test: everything else free and instant. */
static void bare_config(struct l7sim_config *c)
{
	char err[128];
	l7sim_config_defaults(c);
	const char *kv[][2] = {
		{ "frontend.cores", "1" }, { "frontend.relay_pkt_ns", "0" },
		{ "frontend.relay_byte_ns", "0" }, { "frontend.parse_route_ns", "0" },
		{ "frontend.conn_setup_ns", "0" }, { "frontend.teardown_ns", "0" },
		{ "backend.service_fixed_ns", "0" }, { "net.client.bandwidth_gbps", "0" },
		{ "net.server.bandwidth_gbps", "0" }, { "net.client.delay_ns", "1000" },
		{ "net.server.delay_ns", "1000" }, { "sim.packets", "8192" },
		{ "sim.max_events", "65536" },
	};
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		assert_int_equal(l7sim_config_set(c, kv[i][0], kv[i][1], err, sizeof(err)), 0);
}

static int counter(const struct l7sim_run_out *o, const char *name)
{
	int i = l7sim_counters_find(&o->counters, name);
	assert_true(i >= 0);
	return (int)o->counters.v[i];
}

static void run_software(const struct l7sim_config *cfg, const struct l7sim_workload *wl,
			 struct l7sim_run_out *out)
{
	char err[256] = "";
	int rc = l7sim_run(cfg, wl, l7sim_arch_find("software"), NULL, out, err, sizeof(err));
	if (rc)
		fprintf(stderr, "run: %s\n", err);
	assert_int_equal(rc, 0);
}

static void cpu_bound_per_request(void **state)
{
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	char err[128];
	(void)state;
	assert_int_equal(make_wl(&wl, 32, 100, 200), 0);
	bare_config(&cfg);
	const uint64_t cost_ns = 20000;
	assert_int_equal(l7sim_config_set(&cfg, "frontend.parse_route_ns", "20000", err,
					  sizeof(err)), 0);
	run_software(&cfg, &wl, &out);
	assert_int_equal(out.summary.requests, 3200);
	assert_int_equal(counter(&out, "requests_parsed"), 3200);
	assert_int_equal(counter(&out, "client_resp_mismatch_bytes"), 0);
	assert_int_equal(counter(&out, "client_conns_done"), 32);
	double want = 1e9 / (double)cost_ns;
	double got = l7sim_summary_rps(&out.summary);
	assert_true(got <= want * 1.0001);
	assert_true(got > want * 0.99);
	assert_true(out.summary.frontend_cpu_util > 0.99);
	assert_true(out.summary.frontend_cpu_util <= 1.0);
	/* latency: 32 requests queue for one core, so about 32 x C each */
	uint64_t p50 = l7sim_hist_percentile(out.summary.latency, 50);
	assert_true(p50 > 31 * cost_ns && p50 < 33 * cost_ns);
	l7sim_run_out_fini(&out);
	l7sim_wl_free(&wl);
}

static void cpu_bound_per_byte(void **state)
{
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	char err[128];
	(void)state;
	assert_int_equal(make_wl(&wl, 32, 20, 100000), 0);
	bare_config(&cfg);
	/* 2 ns per byte: 500 MB/s of relayed payload at most */
	assert_int_equal(l7sim_config_set(&cfg, "frontend.relay_byte_ns", "2", err, sizeof(err)),
			 0);
	run_software(&cfg, &wl, &out);
	assert_int_equal(out.summary.requests, 640);
	assert_int_equal(counter(&out, "client_resp_mismatch_bytes"), 0);
	double bytes_per_s = (double)out.summary.total_bytes * 1e9 /
			     (double)out.summary.duration_ns;
	assert_true(bytes_per_s <= 5e8 * 1.0001);
	assert_true(bytes_per_s > 5e8 * 0.97);
	l7sim_run_out_fini(&out);
	l7sim_wl_free(&wl);
}

static void cpu_queue_limit(void **state)
{
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	char err[128];
	(void)state;
	/* 16 connections burst 100 KB responses into one slow core with room
	 * for 8 waiting packets: the core's queue overflows, the drops are
	 * counted, and TCP still delivers every byte */
	assert_int_equal(make_wl(&wl, 16, 2, 100000), 0);
	bare_config(&cfg);
	const char *kv[][2] = {
		{ "frontend.queue_packets", "8" }, { "frontend.relay_pkt_ns", "10000" },
		{ "tcp.rto_min_ns", "5000000" },
	};
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		assert_int_equal(l7sim_config_set(&cfg, kv[i][0], kv[i][1], err, sizeof(err)), 0);
	run_software(&cfg, &wl, &out);
	int drops = counter(&out, "cpu_queue_drops");
	assert_true(drops > 0);
	assert_int_equal(counter(&out, "cpu_queue_peak"), 8);
	/* links are infinitely fast and lossless: every drop is the CPU's */
	assert_int_equal(out.summary.drops, (uint64_t)drops);
	assert_int_equal(out.summary.requests, 32);
	assert_int_equal(counter(&out, "client_resp_mismatch_bytes"), 0);
	assert_int_equal(counter(&out, "client_conns_done"), 16);
	l7sim_run_out_fini(&out);
	l7sim_wl_free(&wl);
}

static void router_decides(void **state)
{
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	char err[256];
	(void)state;
	assert_int_equal(make_wl(&wl, 4, 3, 100), 0);
	bare_config(&cfg);
	/* only /api/ is routed; the workload asks for /obj/... */
	assert_int_equal(l7sim_config_load_string(&cfg,
		"{\"router\": {\"virtual_hosts\": [{\"name\": \"a\", \"domains\": [\"*\"],"
		" \"routes\": [{\"match\": {\"prefix\": \"/api/\"}, \"route\": {\"cluster\": \"c\"}}]}],"
		" \"clusters\": [{\"name\": \"c\", \"endpoints\": [{\"address\": \"10.9.0.1\","
		" \"port\": 81}]}]}}", "cfg.json", err, sizeof(err)), 0);
	run_software(&cfg, &wl, &out);
	assert_int_equal(out.summary.requests, 0);
	assert_int_equal(counter(&out, "requests_parsed"), 4);
	assert_int_equal(counter(&out, "no_route"), 4);
	assert_int_equal(counter(&out, "conns_reset"), 4);
	assert_int_equal(counter(&out, "client_resets"), 4);
	l7sim_run_out_fini(&out);
	l7sim_config_fini(&cfg);

	/* the same with /obj/ routed: everything completes */
	bare_config(&cfg);
	assert_int_equal(l7sim_config_load_string(&cfg,
		"{\"router\": {\"virtual_hosts\": [{\"name\": \"a\", \"domains\": [\"*\"],"
		" \"routes\": [{\"match\": {\"prefix\": \"/obj/\"}, \"route\": {\"cluster\": \"c\"}}]}],"
		" \"clusters\": [{\"name\": \"c\", \"endpoints\": [{\"address\": \"10.9.0.1\","
		" \"port\": 81}]}]}}", "cfg.json", err, sizeof(err)), 0);
	run_software(&cfg, &wl, &out);
	assert_int_equal(out.summary.requests, 12);
	assert_int_equal(counter(&out, "no_route"), 0);
	l7sim_run_out_fini(&out);

	/* 6 connections reset for /bad/, then 10 concurrent good ones: a reset
	 * connection must give its slot back exactly once, or two good ones
	 * would share one */
	struct l7sim_workload wl2;
	assert_int_equal(make_wl_bad(&wl2, 16, 3, 100, 6), 0);
	run_software(&cfg, &wl2, &out);
	assert_int_equal(counter(&out, "conns"), 16);
	assert_int_equal(counter(&out, "conns_reset"), 6);
	assert_int_equal(counter(&out, "conns_refused"), 0);
	assert_int_equal(out.summary.requests, 30);
	assert_int_equal(counter(&out, "client_conns_done"), 16);
	assert_int_equal(counter(&out, "client_resp_mismatch_bytes"), 0);
	l7sim_run_out_fini(&out);
	l7sim_wl_free(&wl2);
	l7sim_config_fini(&cfg);

	/* an endpoint the simulator cannot place is a configuration error */
	bare_config(&cfg);
	assert_int_equal(l7sim_config_load_string(&cfg,
		"{\"router\": {\"virtual_hosts\": [{\"name\": \"a\", \"domains\": [\"*\"],"
		" \"routes\": [{\"match\": {\"prefix\": \"/\"}, \"route\": {\"cluster\": \"c\"}}]}],"
		" \"clusters\": [{\"name\": \"c\", \"endpoints\": [{\"address\": \"backend.local\","
		" \"port\": 81}]}]}}", "cfg.json", err, sizeof(err)), 0);
	assert_int_equal(l7sim_run(&cfg, &wl, l7sim_arch_find("software"), NULL, &out, err,
				   sizeof(err)), L7_ECONFIG);
	assert_string_equal(err, "router: endpoint \"backend.local\" is not an IP address");
	l7sim_config_fini(&cfg);
	l7sim_wl_free(&wl);
}

/* The JSON summary and the CSV series of one run, as text. */
static char *run_text(const struct l7sim_config *cfg, const struct l7sim_workload *wl)
{
	struct l7sim_run_out out;
	char *buf = NULL;
	size_t len = 0;
	run_software(cfg, wl, &out);
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
	assert_int_equal(make_wl(&wl, 20, 5, 30000), 0);
	l7sim_config_defaults(&cfg);
	/* loss and several cores exercise the RNG streams and RSS */
	assert_int_equal(l7sim_config_set(&cfg, "net.client.loss", "0.02", err, sizeof(err)), 0);
	assert_int_equal(l7sim_config_set(&cfg, "frontend.cores", "4", err, sizeof(err)), 0);
	assert_int_equal(l7sim_config_set(&cfg, "tcp.rto_min_ns", "1000000", err, sizeof(err)), 0);
	assert_int_equal(l7sim_config_set(&cfg, "sim.packets", "8192", err, sizeof(err)), 0);
	assert_int_equal(l7sim_config_set(&cfg, "output.bin_ns", "1000000", err, sizeof(err)), 0);
	char *a = run_text(&cfg, &wl);
	char *b = run_text(&cfg, &wl);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "\"requests\": 100,"));
	assert_int_equal(l7sim_config_set(&cfg, "seed", "2", err, sizeof(err)), 0);
	char *c = run_text(&cfg, &wl);
	assert_string_not_equal(a, c);
	free(a);
	free(b);
	free(c);
	l7sim_wl_free(&wl);
}

static void registry(void **state)
{
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	char err[256];
	(void)state;
	assert_true(l7sim_arch_count() >= 3);
	assert_string_equal(l7sim_arch_at(0)->name, "software");
	assert_non_null(l7sim_arch_find("software")->create);
	assert_non_null(l7sim_arch_find("miresga"));
	assert_non_null(l7sim_arch_find("switch-only"));
	assert_null(l7sim_arch_find("nope"));
	assert_null(l7sim_arch_at(l7sim_arch_count()));
	const struct l7sim_arch *m = l7sim_arch_find("miresga");
	if (!m->create) {
		assert_int_equal(make_wl(&wl, 1, 1, 100), 0);
		l7sim_config_defaults(&cfg);
		assert_int_equal(l7sim_run(&cfg, &wl, m, NULL, &out, err, sizeof(err)),
				 L7_EUNSUPPORTED);
		assert_string_equal(err, "architecture 'miresga' is not implemented yet");
		l7sim_wl_free(&wl);
	}
	/* the built-in routes name backend.count endpoints */
	char buf[4096];
	l7sim_config_defaults(&cfg);
	assert_int_equal(l7sim_config_set(&cfg, "backend.count", "300", err, sizeof(err)), 0);
	struct l7_router *r;
	assert_int_equal(l7sim_build_router(&cfg, &r, err, sizeof(err)), 0);
	assert_int_equal(l7_cluster_endpoint_count(l7_router_cluster(r, "backends")), 300);
	struct l7_endpoint_info e;
	assert_int_equal(l7_cluster_endpoint_at(l7_router_cluster(r, "backends"), 299, &e), 0);
	assert_string_equal(e.address, "10.2.1.44");
	l7_router_destroy(r);
	assert_int_equal(l7sim_default_routes(&cfg, buf, 64), L7_ENOSPC);
}

/* The front-end CPU alone: packets injected at chosen times, each service
 * charged the cost carried in its conn_id. */
#define EV_INJECT (L7SIM_EV_ARCH_LAST)

struct cpu_fix {
	struct l7sim_engine *eng;
	struct l7sim_pktpool pool;
	struct l7sim_fe_cpu cpu;
};

static void cpu_process(void *ctx, struct l7sim_pkt *p, const struct l7_pkt *v)
{
	struct cpu_fix *f = ctx;
	(void)v;
	l7sim_fe_cpu_charge(&f->cpu, p->conn_id);
	l7sim_pkt_free(&f->pool, p);
}

static size_t frame(uint8_t *buf, size_t cap, uint16_t sport)
{
	struct l7_tcp_build b;
	size_t len = 0;
	memset(&b, 0, sizeof(b));
	b.linktype = L7_LINKTYPE_ETHERNET;
	b.ip_version = 4;
	b.ttl = 64;
	b.src = l7_addr_from_v4(0x0a010001u);
	b.dst = l7_addr_from_v4(0x0a000001u);
	b.sport = sport;
	b.dport = 80;
	b.flags = L7_TCP_ACK;
	b.window = 1000;
	assert_int_equal(l7_pkt_build_tcp(buf, cap, &b, &len), 0);
	return len;
}

static uint32_t core_of_port(const struct l7sim_fe_cpu *cpu, uint16_t sport)
{
	uint8_t buf[256];
	struct l7_pkt v;
	size_t len = frame(buf, sizeof(buf), sport);
	assert_int_equal(l7_pkt_parse(&v, buf, len, L7_LINKTYPE_ETHERNET), 0);
	return l7sim_fe_cpu_core_of(cpu, &v);
}

/* arg: cost_ns << 16 | source port */
static void cpu_inject(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	struct cpu_fix *f = obj;
	struct l7sim_pkt *p = l7sim_pkt_alloc(&f->pool, l7sim_engine_now(e), arg >> 16);
	assert_non_null(p);
	p->len = (uint32_t)frame(p->data, sizeof(p->data), (uint16_t)(arg & 0xffff));
	l7sim_node_send(&f->cpu.in, p, l7sim_engine_now(e));
}

static void cpu_fix_init(struct cpu_fix *f, uint32_t cores)
{
	struct l7sim_engine_config ec = { .max_events = 1024, .start_ns = 0 };
	struct l7sim_fe_cpu_config cc = { .cores = cores, .queue_packets = 16,
					  .linktype = L7_LINKTYPE_ETHERNET, .seed = 1 };
	memset(f, 0, sizeof(*f));
	assert_int_equal(l7sim_engine_create(&ec, &f->eng), 0);
	assert_int_equal(l7sim_fe_cpu_register(f->eng), 0);
	assert_int_equal(l7sim_engine_on(f->eng, EV_INJECT, cpu_inject), 0);
	assert_int_equal(l7sim_pktpool_init(&f->pool, 64), 0);
	assert_int_equal(l7sim_fe_cpu_init(&f->cpu, &cc, f->eng, &f->pool, 1, cpu_process, f),
			 0);
}

static void cpu_fix_fini(struct cpu_fix *f)
{
	l7sim_fe_cpu_fini(&f->cpu);
	l7sim_pktpool_fini(&f->pool);
	l7sim_engine_destroy(f->eng);
}

static void inject(struct cpu_fix *f, l7_time_ns t, uint64_t cost_ns, uint16_t sport)
{
	assert_int_equal(l7sim_engine_at(f->eng, t, EV_INJECT, f, cost_ns << 16 | sport, NULL), 0);
}

static void fe_cpu_util_schedules(void **state)
{
	struct cpu_fix f;
	(void)state;
	/* one core: 1000 (100 ns), 1050 (queued: 1100..1200), 5000 (300 ns:
	 * the "teardown" long after the request window 1000..1200, where
	 * busy / window was 500 / 200 = 2.5) */
	cpu_fix_init(&f, 1);
	inject(&f, 1000, 100, 1);
	inject(&f, 1050, 100, 1);
	inject(&f, 5000, 300, 1);
	assert_int_equal(l7sim_engine_run(f.eng, UINT64_MAX, 0), L7SIM_RUN_EMPTY);
	assert_int_equal(f.cpu.st.busy_ns, 500);
	assert_int_equal(f.cpu.st.first_start_ns, 1000);
	assert_int_equal(f.cpu.st.last_end_ns, 5300);
	assert_true(l7sim_fe_cpu_util_active(&f.cpu) == 500.0 / 4300.0);
	cpu_fix_fini(&f);

	/* two cores, one packet on each at t = 0 costing 1000 ns: both busy
	 * for the whole span, exactly 1 (the first service starting at
	 * t = 0 must open the span) */
	cpu_fix_init(&f, 2);
	uint16_t pa = 1, pb = 2;
	while (pb < 200 && core_of_port(&f.cpu, pb) == core_of_port(&f.cpu, pa))
		pb++;
	assert_true(pb < 200);
	inject(&f, 0, 1000, pa);
	inject(&f, 0, 1000, pb);
	assert_int_equal(l7sim_engine_run(f.eng, UINT64_MAX, 0), L7SIM_RUN_EMPTY);
	assert_int_equal(f.cpu.st.busy_ns, 2000);
	assert_true(l7sim_fe_cpu_util_active(&f.cpu) == 1.0);
	/* a second front-end that served nothing adds its cores, no span */
	struct cpu_fix g;
	cpu_fix_init(&g, 2);
	struct l7sim_fe_util u;
	memset(&u, 0, sizeof(u));
	l7sim_fe_util_add(&u, &f.cpu);
	l7sim_fe_util_add(&u, &g.cpu);
	assert_true(l7sim_fe_util_value(&u) == 0.5);
	cpu_fix_fini(&g);
	cpu_fix_fini(&f);
}

/* All 40 connections start within 3.9 us; each holds its slot until both
 * FINs are exchanged (not through its 1 s TIME_WAIT), so with 8 slots 32
 * of them must wait, each for less than a TIME_WAIT. */
static void max_conns_is_a_pool(void **state)
{
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	char err[128];
	(void)state;
	assert_int_equal(make_wl(&wl, 40, 3, 1000), 0);
	bare_config(&cfg);
	assert_int_equal(l7sim_config_set(&cfg, "workload.max_conns", "8", err, sizeof(err)), 0);
	run_software(&cfg, &wl, &out);
	assert_int_equal(out.summary.requests, 120);
	assert_int_equal(out.summary.client_bytes, wl.conns[0].s2c_len * 40);
	assert_int_equal(counter(&out, "client_conns_started"), 40);
	assert_int_equal(counter(&out, "client_conns_done"), 40);
	assert_int_equal(counter(&out, "client_conns_failed"), 0);
	assert_int_equal(counter(&out, "client_incomplete"), 0);
	assert_int_equal(counter(&out, "client_resp_mismatch_bytes"), 0);
	assert_int_equal(counter(&out, "client_conns_queued"), 32);
	int i = l7sim_counters_find(&out.counters, "client_queue_wait_ns");
	assert_true(i >= 0);
	/* 32 waits, all > 0; together less than one TIME_WAIT (1 s) */
	assert_true(out.counters.v[i] >= 32);
	assert_true(out.counters.v[i] < 1000000000ull);
	l7sim_run_out_fini(&out);

	/* without the cap nothing waits */
	bare_config(&cfg);
	run_software(&cfg, &wl, &out);
	assert_int_equal(out.summary.requests, 120);
	assert_int_equal(counter(&out, "client_conns_queued"), 0);
	l7sim_run_out_fini(&out);
	l7sim_wl_free(&wl);
}

/* ------------------------------------------------ server-side oracle */

/* The capture: two requests (the first with its own X-Forwarded-For), each
 * answered by an empty 200. */
static const char ORC_REQ1[] = "GET /a HTTP/1.1\r\nHost: vip\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n";
static const char ORC_REQ2[] = "POST /b HTTP/1.1\r\nHost: vip\r\nContent-Length: 5\r\n\r\nhello";
static const char ORC_RESP[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

static void orc_wl(struct l7sim_workload *wl)
{
	size_t l1 = strlen(ORC_REQ1), l2 = strlen(ORC_REQ2), lr = strlen(ORC_RESP);
	memset(wl, 0, sizeof(*wl));
	wl->n_conns = 1;
	wl->conns = calloc(1, sizeof(*wl->conns));
	assert_non_null(wl->conns);
	struct l7sim_wl_conn *w = wl->conns;
	struct l7_addr ca = l7_addr_from_v4(0x0a010001u), sa = l7_addr_from_v4(0x0a000001u);
	l7_flow_key_make(&w->key, &ca, 20000, &sa, 80, L7_IPPROTO_TCP);
	w->flags = L7SIM_WL_HTTP_FRAMED;
	w->n_req = 2;
	w->req = calloc(2, sizeof(*w->req));
	w->resp = calloc(2, sizeof(*w->resp));
	w->c2s_len = l1 + l2;
	w->s2c_len = 2 * lr;
	w->c2s = malloc(w->c2s_len);
	w->s2c = malloc(w->s2c_len);
	assert_true(w->req && w->resp && w->c2s && w->s2c);
	memcpy(w->c2s, ORC_REQ1, l1);
	memcpy(w->c2s + l1, ORC_REQ2, l2);
	memcpy(w->s2c, ORC_RESP, lr);
	memcpy(w->s2c + lr, ORC_RESP, lr);
	w->req[0].len = l1;
	w->req[1].off = l1;
	w->req[1].len = l2;
	w->req[1].wait_resp = 1;
	w->resp[0].len = lr;
	w->resp[1].off = lr;
	w->resp[1].len = lr;
}

/* A client host with one endpoint that sends `bytes` and then a FIN: what
 * a load balancer would have delivered to the back-end. */
struct orc_cli {
	struct l7sim_node node; /* first */
	struct l7sim_tcp_env env;
	struct l7sim_tcpep ep;
	const char *bytes;
	size_t len;
};

static void orc_fill(void *user, struct l7sim_tcpep *ep, uint64_t off, uint8_t *dst,
		     uint32_t len)
{
	struct orc_cli *c = user;
	(void)ep;
	memcpy(dst, c->bytes + off, len);
}

static void orc_data(void *user, struct l7sim_tcpep *ep, const uint8_t *d, uint32_t len,
		     l7_time_ns now)
{
	(void)user, (void)ep, (void)d, (void)len, (void)now;
}

static void orc_event(void *user, struct l7sim_tcpep *ep, enum l7sim_tcp_event ev,
		      l7_time_ns now)
{
	struct orc_cli *c = user;
	(void)now;
	if (ev == L7SIM_TCP_EV_ESTABLISHED) {
		assert_int_equal(l7sim_tcpep_write(ep, c->len), 0);
		assert_int_equal(l7sim_tcpep_shutdown(ep), 0);
	}
}

static const struct l7sim_tcp_ops orc_ops = { orc_fill, orc_data, orc_event };

static void orc_rx(struct l7sim_node *self, struct l7sim_pkt *p, l7_time_ns now)
{
	struct orc_cli *c = (struct orc_cli *)self;
	struct l7_pkt v;
	(void)now;
	assert_int_equal(l7_pkt_parse(&v, p->data, p->len, c->env.cfg->linktype), 0);
	l7sim_tcpep_input(&c->ep, p, &v);
}

/* Deliver `bytes` to a server replaying orc_wl(); its oracle sums. */
static void orc_run(const char *bytes, struct l7sim_server_oracle *o)
{
	struct l7sim_workload wl;
	struct l7sim_engine *eng;
	struct l7sim_pktpool pool;
	struct l7sim_tcp_cfg tcp;
	struct l7sim_link c2s, s2c;
	static struct l7sim_server srv; /* large (scratch buffer) */
	struct orc_cli cli;
	orc_wl(&wl);
	struct l7sim_engine_config ec = { .max_events = 4096 };
	assert_int_equal(l7sim_engine_create(&ec, &eng), 0);
	assert_int_equal(l7sim_net_register(eng), 0);
	assert_int_equal(l7sim_models_register(eng), 0);
	assert_int_equal(l7sim_pktpool_init(&pool, 256), 0);
	l7sim_tcp_cfg_defaults(&tcp);
	struct l7sim_link_config lc = { .prop_delay_ns = 1000, .seed = 1, .name = "c2s" };
	assert_int_equal(l7sim_link_init(&c2s, &lc, eng, &pool, &srv.node), 0);
	lc.name = "s2c";
	assert_int_equal(l7sim_link_init(&s2c, &lc, eng, &pool, &cli.node), 0);
	struct l7sim_server_config sc;
	l7sim_server_config_defaults(&sc);
	sc.max_conns = 4;
	assert_int_equal(l7sim_server_init(&srv, &sc, eng, &pool, &tcp, &s2c.in, &wl), 0);
	memset(&cli, 0, sizeof(cli));
	cli.node.rx = orc_rx;
	cli.bytes = bytes;
	cli.len = strlen(bytes);
	l7sim_tcp_env_init(&cli.env, eng, &pool, &tcp, &orc_ops, &c2s.in, 1, "orc");
	struct l7_addr ca = l7_addr_from_v4(0x0a010001u), sa = l7_addr_from_v4(0x0a000001u);
	assert_int_equal(l7sim_tcpep_connect(&cli.ep, &cli.env, &cli, &ca, 20000, &sa, 80, 1), 0);
	assert_int_equal(l7sim_engine_run(eng, UINT64_MAX, 0), L7SIM_RUN_EMPTY);
	assert_int_equal(srv.st.accepted, 1);
	assert_int_equal(srv.st.closed, 1);
	l7sim_server_oracle_sum(eng, NULL, o);
	l7sim_server_fini(&srv);
	/* a finalised server is no longer summed */
	struct l7sim_server_oracle none;
	l7sim_server_oracle_sum(eng, NULL, &none);
	assert_int_equal(none.legs_checked, 0);
	l7sim_link_fini(&c2s);
	l7sim_link_fini(&s2c);
	assert_int_equal(l7sim_pktpool_in_use(&pool), 0);
	l7sim_pktpool_fini(&pool);
	l7sim_engine_destroy(eng);
	l7sim_wl_free(&wl);
}

static void server_oracle_bytes(void **state)
{
	struct l7sim_server_oracle o;
	char buf[512];
	uint64_t total = strlen(ORC_REQ1) + strlen(ORC_REQ2);
	(void)state;

	/* the capture itself */
	snprintf(buf, sizeof(buf), "%s%s", ORC_REQ1, ORC_REQ2);
	orc_run(buf, &o);
	assert_int_equal(o.legs_checked, 1);
	assert_int_equal(o.checked_bytes, total);
	assert_int_equal(o.mismatch_bytes, 0);
	assert_int_equal(o.inserted_bytes, 0);
	assert_int_equal(o.legs_mismatch, 0);
	assert_int_equal(o.legs_whole, 1);
	assert_int_equal(o.legs_cut, 0);
	assert_int_equal(o.conns_whole, 1);
	assert_int_equal(o.conns_lost, 0);

	/* what l7_http_rewrite_xff() makes of it for client 10.1.0.1: appended
	 * to the existing value, a new line before the end of the second head */
	snprintf(buf, sizeof(buf),
		 "GET /a HTTP/1.1\r\nHost: vip\r\nX-Forwarded-For: 1.2.3.4, 10.1.0.1\r\n\r\n"
		 "POST /b HTTP/1.1\r\nHost: vip\r\nContent-Length: 5\r\n"
		 "X-Forwarded-For: 10.1.0.1\r\n\r\nhello");
	orc_run(buf, &o);
	assert_int_equal(o.checked_bytes, total);
	assert_int_equal(o.inserted_bytes, strlen(", 10.1.0.1") + strlen("X-Forwarded-For: 10.1.0.1\r\n"));
	assert_int_equal(o.mismatch_bytes, 0);
	assert_int_equal(o.legs_mismatch, 0);
	assert_int_equal(o.conns_whole, 1);

	/* one changed body byte: exactly one byte differs */
	snprintf(buf, sizeof(buf), "%s%s", ORC_REQ1, ORC_REQ2);
	buf[strlen(buf) - 1] = 'O';
	orc_run(buf, &o);
	assert_int_equal(o.checked_bytes, total);
	assert_int_equal(o.mismatch_bytes, 1);
	assert_int_equal(o.legs_mismatch, 1);
	assert_int_equal(o.inserted_bytes, 0);

	/* an insertion naming an address that is neither the peer nor the
	 * captured client is not an allowed insertion */
	snprintf(buf, sizeof(buf),
		 "%sPOST /b HTTP/1.1\r\nHost: vip\r\nContent-Length: 5\r\n"
		 "X-Forwarded-For: 10.9.9.9\r\n\r\nhello", ORC_REQ1);
	orc_run(buf, &o);
	assert_int_equal(o.inserted_bytes, 0);
	assert_int_equal(o.legs_mismatch, 1);
	assert_true(o.mismatch_bytes >= 20); /* the line is 26 bytes */

	/* nor is any other header line */
	snprintf(buf, sizeof(buf),
		 "%sPOST /b HTTP/1.1\r\nHost: vip\r\nContent-Length: 5\r\n"
		 "X-Real-IP: 10.1.0.1\r\n\r\nhello", ORC_REQ1);
	orc_run(buf, &o);
	assert_int_equal(o.inserted_bytes, 0);
	assert_int_equal(o.legs_mismatch, 1);

	/* the leg ends 10 bytes into the second request: cut, and the
	 * connection never reached a back-end whole */
	snprintf(buf, sizeof(buf), "%s%.10s", ORC_REQ1, ORC_REQ2);
	orc_run(buf, &o);
	assert_int_equal(o.checked_bytes, strlen(ORC_REQ1) + 10);
	assert_int_equal(o.mismatch_bytes, 0);
	assert_int_equal(o.legs_whole, 0);
	assert_int_equal(o.legs_cut, 1);
	assert_int_equal(o.conns_whole, 0);
	assert_int_equal(o.conns_lost, 1);

	/* ends exactly after the first request: not cut, still not whole */
	orc_run(ORC_REQ1, &o);
	assert_int_equal(o.legs_cut, 0);
	assert_int_equal(o.conns_lost, 1);
}

/* Through the software proxy: every request byte reaches a back-end as
 * captured; connections the router refuses are skipped as such. */
static void server_oracle_software(void **state)
{
	struct l7sim_workload wl;
	struct l7sim_config cfg;
	struct l7sim_run_out out;
	char err[256];
	(void)state;
	assert_int_equal(make_wl_bad(&wl, 6, 3, 100, 2), 0);
	bare_config(&cfg);
	assert_int_equal(l7sim_config_load_string(&cfg,
		"{\"router\": {\"virtual_hosts\": [{\"name\": \"a\", \"domains\": [\"*\"],"
		" \"routes\": [{\"match\": {\"prefix\": \"/obj/\"}, \"route\": {\"cluster\": \"c\"}}]}],"
		" \"clusters\": [{\"name\": \"c\", \"endpoints\": [{\"address\": \"10.9.0.1\","
		" \"port\": 81}]}]}}", "cfg.json", err, sizeof(err)), 0);
	run_software(&cfg, &wl, &out);
	uint64_t good = 0;
	for (uint32_t i = 2; i < 6; i++)
		good += wl.conns[i].c2s_len;
	assert_int_equal(counter(&out, "server_req_checked_bytes"), good);
	assert_int_equal(counter(&out, "server_req_mismatch_bytes"), 0);
	assert_int_equal(counter(&out, "server_req_inserted_bytes"), 0);
	assert_int_equal(counter(&out, "server_legs_checked"), 4);
	assert_int_equal(counter(&out, "server_legs_whole"), 4);
	assert_int_equal(counter(&out, "server_conns_whole"), 4);
	assert_int_equal(counter(&out, "server_conns_no_route"), 2);
	assert_int_equal(counter(&out, "server_conns_lost"), 0);
	l7sim_run_out_fini(&out);
	l7sim_config_fini(&cfg);
	l7sim_wl_free(&wl);
}

/* ------------------------------------------------ client model alone */

#define CB_DELAY_NS 10000ull

struct cbed {
	struct l7sim_engine *eng;
	struct l7sim_pktpool pool;
	struct l7sim_tcp_cfg tcp;
	struct l7sim_client cli;
	struct l7sim_server srv;
	struct l7sim_link c2s, s2c;
	uint64_t done;
	l7_time_ns first_sent_ns, last_done_ns;
};

static void cbed_sample(void *ctx, const struct l7sim_req_sample *r)
{
	struct cbed *b = ctx;
	if (!b->done || r->sent_ns < b->first_sent_ns)
		b->first_sent_ns = r->sent_ns;
	if (r->last_byte_ns > b->last_done_ns)
		b->last_done_ns = r->last_byte_ns;
	b->done++;
}

/* Client and server joined by two infinitely fast links of CB_DELAY_NS;
 * the server answers at once. Runs until nothing is left. */
static void cbed_run(struct cbed *b, const struct l7sim_workload *wl, uint32_t max_conns)
{
	memset(b, 0, sizeof(*b));
	struct l7sim_engine_config ec = { .max_events = 1 << 12, .start_ns = 1000000000ull };
	assert_int_equal(l7sim_engine_create(&ec, &b->eng), 0);
	assert_int_equal(l7sim_net_register(b->eng), 0);
	assert_int_equal(l7sim_models_register(b->eng), 0);
	assert_int_equal(l7sim_pktpool_init(&b->pool, 1 << 10), 0);
	l7sim_tcp_cfg_defaults(&b->tcp);
	struct l7sim_link_config lc = { .bandwidth_bps = 0, .prop_delay_ns = CB_DELAY_NS,
					.seed = 5 };
	lc.name = "c2s";
	assert_int_equal(l7sim_link_init(&b->c2s, &lc, b->eng, &b->pool, &b->srv.node), 0);
	lc.name = "s2c";
	assert_int_equal(l7sim_link_init(&b->s2c, &lc, b->eng, &b->pool, &b->cli.node), 0);
	struct l7sim_server_config sc;
	l7sim_server_config_defaults(&sc);
	sc.service_fixed_ns = 0;
	sc.service_ns_per_kib = 0;
	sc.max_conns = 64;
	assert_int_equal(l7sim_server_init(&b->srv, &sc, b->eng, &b->pool, &b->tcp, &b->s2c.in,
					   wl), 0);
	struct l7sim_client_config cc;
	l7sim_client_config_defaults(&cc);
	cc.max_conns = max_conns;
	struct l7sim_metrics_sink sink = { cbed_sample, b };
	assert_int_equal(l7sim_client_init(&b->cli, &cc, b->eng, &b->pool, &b->tcp, &b->c2s.in,
					   wl, &sink), 0);
	assert_int_equal(l7sim_client_start(&b->cli), 0);
	assert_int_equal(l7sim_engine_run(b->eng, UINT64_MAX, 0), L7SIM_RUN_EMPTY);
}

static void cbed_fini(struct cbed *b)
{
	assert_int_equal(l7sim_pktpool_in_use(&b->pool), 0);
	assert_int_equal(b->cli.active, 0);
	assert_int_equal(b->cli.lingering.n, 0);
	assert_int_equal(b->cli.waiting.n, 0);
	l7sim_client_fini(&b->cli);
	l7sim_server_fini(&b->srv);
	l7sim_link_fini(&b->c2s);
	l7sim_link_fini(&b->s2c);
	l7sim_pktpool_fini(&b->pool);
	l7sim_engine_destroy(b->eng);
}

/* max_conns 1, 20 one-request connections due within 1.9 us: each runs
 * SYN, SYN-ACK, request, response, client FIN, server FIN (the server
 * closes on the client's FIN, its FIN carries the ACK) = 6 one-way
 * delays, and the next one starts the instant the server's FIN arrives.
 * Before the fix every connection also held the slot through its 1 s
 * TIME_WAIT. Pool: 1 slot + 1 TIME_WAIT endpoint, so starts 3..20 each
 * forget the oldest lingering endpoint. */
static void client_slot_free_at_fins(void **state)
{
	struct l7sim_workload wl;
	struct cbed b;
	(void)state;
	const uint32_t n = 20;
	assert_int_equal(make_wl(&wl, n, 1, 100), 0);
	cbed_run(&b, &wl, 1);
	const struct l7sim_client_stats *st = &b.cli.st;
	assert_int_equal(b.done, n);
	assert_int_equal(st->conns_started, n);
	assert_int_equal(st->conns_done, n);
	assert_int_equal(st->incomplete, 0);
	assert_int_equal(st->resp_mismatch_bytes, 0);
	assert_int_equal(st->queued, n - 1);
	assert_int_equal(st->tw_forgotten, n - 2);
	assert_int_equal(st->tuple_clash, 0);
	assert_int_equal(st->tuple_waits, 0);
	/* connection k (0-based) starts at 6 k delays after the first (the
	 * wait of connection k is 6 k delays minus its 100 ns x k stagger) */
	uint64_t want_wait = 0;
	for (uint64_t k = 1; k < n; k++)
		want_wait += 6 * k * CB_DELAY_NS - 100 * k;
	assert_int_equal(st->queue_wait_ns, want_wait);
	/* the last response arrives 4 delays after the last start */
	assert_int_equal(b.last_done_ns - b.first_sent_ns,
			 6 * (n - 1) * CB_DELAY_NS + 4 * CB_DELAY_NS - 2 * CB_DELAY_NS);
	cbed_fini(&b);
	l7sim_wl_free(&wl);
}

/* Connection 1 reuses connection 0's client tuple and is due 1 us after
 * it, while 0 is still open: it waits until 0 has exchanged both FINs
 * (6 delays after 0 started; 0 is in TIME_WAIT then and is forgotten,
 * RFC 6191) and then runs whole. Before the fix it was skipped
 * (tuple_clash 1, its request never sent). A third connection on the
 * same tuple while 1 waits cannot wait too: skipped, counted. */
static void client_waits_for_tuple(void **state)
{
	struct l7sim_workload wl;
	struct cbed b;
	(void)state;
	assert_int_equal(make_wl(&wl, 3, 1, 100), 0);
	wl.conns[1].key = wl.conns[0].key;
	wl.conns[2].key = wl.conns[0].key;
	wl.conns[0].start_ns = 1000000;
	wl.conns[1].start_ns = 1001000;
	wl.conns[2].start_ns = 1002000;
	cbed_run(&b, &wl, 8);
	const struct l7sim_client_stats *st = &b.cli.st;
	assert_int_equal(st->tuple_waits, 1);
	assert_int_equal(st->tuple_wait_ns, 6 * CB_DELAY_NS - 1000);
	assert_int_equal(st->tw_reused, 1);
	assert_int_equal(st->tuple_clash, 1);
	assert_int_equal(st->conns_started, 2);
	assert_int_equal(st->conns_done, 2);
	assert_int_equal(st->responses_done, 2);
	assert_int_equal(b.done, 2);
	assert_int_equal(st->incomplete, 0);
	assert_int_equal(st->resp_mismatch_bytes, 0);
	assert_int_equal(st->resets, 0);
	assert_int_equal(st->queued, 0);
	assert_int_equal(st->tw_forgotten, 0);
	/* the second connection's response: 4 delays after its start */
	assert_int_equal(b.last_done_ns - b.first_sent_ns, 6 * CB_DELAY_NS + 2 * CB_DELAY_NS);
	cbed_fini(&b);

	/* without the third connection nothing is skipped */
	wl.n_conns = 2;
	cbed_run(&b, &wl, 8);
	assert_int_equal(b.cli.st.tuple_clash, 0);
	assert_int_equal(b.cli.st.tuple_waits, 1);
	assert_int_equal(b.cli.st.responses_done, 2);
	cbed_fini(&b);

	/* the server closes first: the old endpoint is in LAST_ACK, not
	 * TIME_WAIT, when both FINs are out, so the waiter starts at its
	 * CLOSED, when the server's ACK of the client's FIN arrives 2 delays
	 * later (6 delays after the old one started). The server's endpoint
	 * is in TIME_WAIT then and takes the new SYN (its ISN, from the
	 * client's seed 0 stream, is above the old one: RFC 6191) */
	wl.conns[0].flags |= L7SIM_WL_SERVER_CLOSES;
	wl.conns[1].flags |= L7SIM_WL_SERVER_CLOSES;
	cbed_run(&b, &wl, 8);
	st = &b.cli.st;
	assert_int_equal(st->tuple_waits, 1);
	assert_int_equal(st->tuple_wait_ns, 6 * CB_DELAY_NS - 1000);
	assert_int_equal(st->tw_reused, 0);
	assert_int_equal(st->tuple_clash, 0);
	assert_int_equal(st->responses_done, 2);
	assert_int_equal(st->incomplete, 0);
	assert_int_equal(st->resets, 0);
	assert_int_equal(st->resp_mismatch_bytes, 0);
	cbed_fini(&b);
	wl.n_conns = 3;
	l7sim_wl_free(&wl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cpu_bound_per_request),
		cmocka_unit_test(cpu_bound_per_byte),
		cmocka_unit_test(cpu_queue_limit),
		cmocka_unit_test(router_decides),
		cmocka_unit_test(deterministic),
		cmocka_unit_test(registry),
		cmocka_unit_test(fe_cpu_util_schedules),
		cmocka_unit_test(max_conns_is_a_pool),
		cmocka_unit_test(server_oracle_bytes),
		cmocka_unit_test(server_oracle_software),
		cmocka_unit_test(client_slot_free_at_fins),
		cmocka_unit_test(client_waits_for_tuple),
	};
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
