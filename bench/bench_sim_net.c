/*
 * bench_sim_net.c — cost of the simulator's network substrate, in simulated
 * frames per second of this thread's CPU time:
 *
 *   tcp_bulk   one sim/net/tcpep sender and receiver across two links
 *              (1 Gbit/s, 50 us each way), a bulk transfer; every frame is
 *              built with l7_pkt_build_tcp and parsed with l7_pkt_parse.
 *              Peer, same run: ns-3's TCP (BulkSend -> PacketSink over a
 *              point-to-point link with the same rate, delay, segment size
 *              and delayed-ACK count), bench/peer_ns3_tcp.cc, found at
 *              $BUILD/bench/peer_ns3_tcp or next to this binary.
 *   link_only  frames through one link into a sink (no TCP): the floor.
 *   replay     trace replay of real_pcpp_example.pcap with clients x50
 *              (client and server models over links), when L7_SHARED_DATA
 *              is set.
 *
 * Environment: L7_BENCH_BYTES (ours, default 100000000), L7_BENCH_PEER_BYTES
 * (ns-3, default 30000000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "models/client.h"
#include "models/server.h"
#include "net/link.h"
#include "net/tcpep.h"
#include "workload/trace.h"

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

static void line(const char *bench, const char *metric, double value, const char *unit,
		 const char *peer, double peer_value)
{
	if (peer && peer_value > 0)
		printf("{\"bench\":\"%s\",\"metric\":\"%s\",\"value\":%.0f,\"unit\":\"%s\","
		       "\"peer\":\"%s\",\"peer_value\":%.0f,\"ratio\":%.2f}\n",
		       bench, metric, value, unit, peer, peer_value, value / peer_value);
	else
		printf("{\"bench\":\"%s\",\"metric\":\"%s\",\"value\":%.0f,\"unit\":\"%s\"}\n", bench,
		       metric, value, unit);
}

/* ------------------------------------------------------------ tcp bulk */

struct host {
	struct l7sim_node node;
	struct l7sim_tcp_env env;
	struct l7sim_tcpep ep;
	int has_ep;
	uint64_t rx;
};

static void h_fill(void *u, struct l7sim_tcpep *ep, uint64_t off, uint8_t *dst, uint32_t len)
{
	(void)u;
	(void)ep;
	for (uint32_t i = 0; i < len; i++)
		dst[i] = (uint8_t)(off + i);
}
static void h_data(void *u, struct l7sim_tcpep *ep, const uint8_t *d, uint32_t len, l7_time_ns n)
{
	struct host *h = u;
	(void)ep;
	(void)d;
	(void)n;
	h->rx += len;
}
static void h_event(void *u, struct l7sim_tcpep *ep, enum l7sim_tcp_event ev, l7_time_ns n)
{
	(void)u;
	(void)ep;
	(void)ev;
	(void)n;
}
static const struct l7sim_tcp_ops ops = { h_fill, h_data, h_event };

static void h_rx(struct l7sim_node *self, struct l7sim_pkt *p, l7_time_ns now)
{
	struct host *h = (struct host *)self;
	struct l7_pkt v;
	(void)now;
	if (l7_pkt_parse(&v, p->data, p->len, L7_LINKTYPE_ETHERNET) != 0) {
		l7sim_pkt_free(h->env.pool, p);
		return;
	}
	if (!h->has_ep && (v.tcp_flags & L7_TCP_SYN)) {
		l7sim_tcpep_accept(&h->ep, &h->env, h, p, &v);
		h->has_ep = 1;
		return;
	}
	l7sim_tcpep_input(&h->ep, p, &v);
}

static int tcp_bulk(uint64_t bytes, double *fps, uint64_t *frames_out)
{
	static struct host a, b;
	struct l7sim_engine *eng;
	struct l7sim_pktpool pool;
	struct l7sim_tcp_cfg cfg;
	struct l7sim_link ab, ba;
	struct l7sim_engine_config ec = { .max_events = 1 << 16 };
	if (l7sim_engine_create(&ec, &eng) || l7sim_net_register(eng) ||
	    l7sim_pktpool_init(&pool, 1 << 13))
		return -1;
	l7sim_tcp_cfg_defaults(&cfg);
	cfg.rcv_buf_bytes = 4u << 20;
	struct l7sim_link_config lc = { .bandwidth_bps = 1000000000ULL, .prop_delay_ns = 50000 };
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.node.rx = b.node.rx = h_rx;
	lc.name = "ab";
	l7sim_link_init(&ab, &lc, eng, &pool, &b.node);
	lc.name = "ba";
	l7sim_link_init(&ba, &lc, eng, &pool, &a.node);
	l7sim_tcp_env_init(&a.env, eng, &pool, &cfg, &ops, &ab.in, 1, "a");
	l7sim_tcp_env_init(&b.env, eng, &pool, &cfg, &ops, &ba.in, 1, "b");
	struct l7_addr ia = l7_addr_from_v4(0x0a000001), ib = l7_addr_from_v4(0x0a000002);
	uint64_t t0 = cpu_ns();
	l7sim_tcpep_connect(&a.ep, &a.env, &a, &ia, 40000, &ib, 80, 1);
	a.has_ep = 1;
	l7sim_tcpep_write(&a.ep, bytes);
	l7sim_tcpep_shutdown(&a.ep);
	l7sim_engine_run(eng, UINT64_MAX, 0);
	uint64_t t1 = cpu_ns();
	uint64_t frames = ab.st.delivered + ba.st.delivered;
	int ok = b.rx == bytes;
	*fps = (double)frames * 1e9 / (double)(t1 - t0);
	*frames_out = frames;
	l7sim_link_fini(&ab);
	l7sim_link_fini(&ba);
	l7sim_pktpool_fini(&pool);
	l7sim_engine_destroy(eng);
	return ok ? 0 : -1;
}

/* ------------------------------------------------------------ link only */

struct sink {
	struct l7sim_node node;
	struct l7sim_pktpool *pool;
	uint64_t n;
};
static void sink_rx(struct l7sim_node *self, struct l7sim_pkt *p, l7_time_ns now)
{
	struct sink *s = (struct sink *)self;
	(void)now;
	s->n++;
	l7sim_pkt_free(s->pool, p);
}
struct src {
	struct l7sim_link *l;
	struct l7sim_pktpool *pool;
	uint64_t left;
};
static void src_ev(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	struct src *s = obj;
	(void)arg;
	for (int i = 0; i < 16 && s->left; i++, s->left--) {
		struct l7sim_pkt *p = l7sim_pkt_alloc(s->pool, l7sim_engine_now(e), 0);
		if (!p)
			break;
		p->len = 1514;
		l7sim_link_send(s->l, p);
	}
	if (s->left)
		l7sim_engine_after(e, 16 * 1214, 200, s, 0, NULL);
}

static double link_only(uint64_t frames)
{
	struct l7sim_engine *eng;
	struct l7sim_pktpool pool;
	struct l7sim_link l;
	struct sink k = { .node.rx = sink_rx };
	struct l7sim_engine_config ec = { .max_events = 1 << 16 };
	if (l7sim_engine_create(&ec, &eng) || l7sim_net_register(eng) ||
	    l7sim_pktpool_init(&pool, 1 << 12))
		return 0;
	l7sim_engine_on(eng, 200, src_ev);
	k.pool = &pool;
	struct l7sim_link_config lc = { .bandwidth_bps = 10000000000ULL, .prop_delay_ns = 5000,
					.queue_limit_bytes = 1 << 20, .loss_prob = 0.001 };
	l7sim_link_init(&l, &lc, eng, &pool, &k.node);
	struct src s = { &l, &pool, frames };
	l7sim_engine_at(eng, 0, 200, &s, 0, NULL);
	uint64_t t0 = cpu_ns();
	l7sim_engine_run(eng, UINT64_MAX, 0);
	uint64_t t1 = cpu_ns();
	double r = (double)l.st.offered * 1e9 / (double)(t1 - t0);
	l7sim_link_fini(&l);
	l7sim_pktpool_fini(&pool);
	l7sim_engine_destroy(eng);
	return r;
}

/* ------------------------------------------------------------ replay */

static int replay(const char *path, uint32_t mult, double *fps, uint64_t *frames_out)
{
	struct l7sim_workload wl;
	char err[512];
	if (l7sim_trace_load(&wl, path, NULL, NULL, err, sizeof(err)))
		return -1;
	struct l7sim_engine *eng;
	static struct l7sim_pktpool pool;
	static struct l7sim_client cli;
	static struct l7sim_server srv;
	static struct l7sim_link c2s, s2c;
	struct l7sim_tcp_cfg tcp;
	struct l7sim_engine_config ec = { .max_events = 1 << 18, .start_ns = 1 };
	if (l7sim_engine_create(&ec, &eng) || l7sim_net_register(eng) ||
	    l7sim_models_register(eng) || l7sim_pktpool_init(&pool, 1 << 15))
		return -1;
	l7sim_tcp_cfg_defaults(&tcp);
	struct l7sim_link_config lc = { .bandwidth_bps = 10000000000ULL, .prop_delay_ns = 20000 };
	lc.name = "c2s";
	l7sim_link_init(&c2s, &lc, eng, &pool, &srv.node);
	lc.name = "s2c";
	l7sim_link_init(&s2c, &lc, eng, &pool, &cli.node);
	struct l7sim_server_config sc;
	l7sim_server_config_defaults(&sc);
	sc.max_conns = 1 << 16;
	l7sim_server_init(&srv, &sc, eng, &pool, &tcp, &s2c.in, &wl);
	struct l7sim_client_config cc;
	l7sim_client_config_defaults(&cc);
	cc.multiply = mult;
	l7sim_client_init(&cli, &cc, eng, &pool, &tcp, &c2s.in, &wl, NULL);
	l7sim_client_start(&cli);
	uint64_t t0 = cpu_ns();
	l7sim_engine_run(eng, UINT64_MAX, 0);
	uint64_t t1 = cpu_ns();
	uint64_t frames = c2s.st.delivered + s2c.st.delivered;
	*fps = (double)frames * 1e9 / (double)(t1 - t0);
	*frames_out = frames;
	int ok = cli.st.resp_mismatch_bytes == 0 && cli.st.conns_done == cli.st.conns_started;
	l7sim_client_fini(&cli);
	l7sim_server_fini(&srv);
	l7sim_link_fini(&c2s);
	l7sim_link_fini(&s2c);
	l7sim_pktpool_fini(&pool);
	l7sim_engine_destroy(eng);
	l7sim_wl_free(&wl);
	return ok ? 0 : -1;
}

/* ------------------------------------------------------------ peer */

static void find_peer(char *path, size_t size, char **argv)
{
	const char *b = getenv("BUILD");
	if (b) {
		snprintf(path, size, "%s/bench/peer_ns3_tcp", b);
		if (access(path, X_OK) == 0)
			return;
	}
	const char *slash = strrchr(argv[0], '/');
	if (slash)
		snprintf(path, size, "%.*s/peer_ns3_tcp", (int)(slash - argv[0]), argv[0]);
	else
		snprintf(path, size, "./peer_ns3_tcp");
}

static double run_peer(const char *path, uint64_t bytes)
{
	char cmd[4200];
	if (access(path, X_OK) != 0)
		return 0;
	snprintf(cmd, sizeof(cmd), "%s %llu", path, (unsigned long long)bytes);
	FILE *f = popen(cmd, "r");
	if (!f)
		return 0;
	unsigned long long frames = 0, got = 0;
	double secs = 0;
	int n = fscanf(f, "%llu %llu %lf", &frames, &got, &secs);
	pclose(f);
	if (n != 3 || got != bytes || secs <= 0)
		return 0;
	return (double)frames / secs;
}

int main(int argc, char **argv)
{
	(void)argc;
	uint64_t bytes = env_u64("L7_BENCH_BYTES", 100000000ULL);
	uint64_t peer_bytes = env_u64("L7_BENCH_PEER_BYTES", 30000000ULL);
	double fps = 0;
	uint64_t frames = 0;
	if (tcp_bulk(bytes, &fps, &frames)) {
		printf("{\"bench\":\"sim_net\",\"error\":\"tcp_bulk delivered the wrong byte count\"}\n");
		return 1;
	}
	char peer_path[4096];
	find_peer(peer_path, sizeof(peer_path), argv);
	double peer = run_peer(peer_path, peer_bytes);
	if (peer > 0)
		line("sim_net_tcp_bulk", "frames_per_cpu_s", fps, "frames/s",
		     "ns-3 TCP BulkSend over PointToPoint", peer);
	else {
		line("sim_net_tcp_bulk", "frames_per_cpu_s", fps, "frames/s", NULL, 0);
		printf("{\"bench\":\"sim_net_tcp_bulk\",\"skipped\":\"ns-3 peer not available at %s "
		       "(needs libns3-dev; built by bench/bench_sim_net.mk)\"}\n", peer_path);
	}
	line("sim_net_link_only", "frames_per_cpu_s", link_only(5000000), "frames/s", NULL, 0);
	const char *data = getenv("L7_SHARED_DATA");
	if (data) {
		char p[4096];
		snprintf(p, sizeof(p), "%s/pcaps/real_pcpp_example.pcap", data);
		if (replay(p, 50, &fps, &frames) == 0)
			line("sim_net_replay_x50", "frames_per_cpu_s", fps, "frames/s", NULL, 0);
		else
			printf("{\"bench\":\"sim_net_replay_x50\",\"error\":\"replay failed\"}\n");
	} else {
		printf("{\"bench\":\"sim_net_replay_x50\",\"skipped\":\"L7_SHARED_DATA not set\"}\n");
	}
	return 0;
}
