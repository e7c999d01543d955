/*
 * software.c — the software L7 load balancer: a full proxy (HAProxy /
 * NGINX style) on the front-end CPU. Both TCP connections are terminated
 * on the front-end, every byte is received on one leg and sent on the
 * other, and every request head is parsed by the library's HTTP parser and
 * routed by the library's router (route.h). The model adds only time: the
 * front-end CPU (arch/frontend_cpu.h) charges each packet, each relayed
 * byte, each request head parsed and routed, each connection set up and
 * torn down (costs and their sources: docs/models.md "Software LB").
 *
 * Topology: clients <-> [front-end CPU] <-> one link pair per back-end
 * server (sim/models/server.h). The front-end's TCP legs are the
 * simulator's TCP endpoints (sim/net/tcpep.h): a full proxy runs a TCP
 * stack on both sides, which is what that model is.
 *
 * Relaying: the proxy forwards a client byte only once the head of the
 * request it belongs to has been parsed and routed (body bytes as they
 * come, framed by the library's body parser; a connection whose bytes are
 * not HTTP becomes a tunnel to the first cluster's pick). The bytes a leg
 * sends are read back from the workload by stream offset (the endpoints
 * never copy streams; what is forwarded is exactly what was received,
 * because this proxy inserts nothing), so a retransmission re-reads them.
 *
 * Simplifications (docs/models.md): one back-end connection per client
 * connection, opened at the first request and kept (later requests are
 * parsed and routed, and counted in `reroutes` when the router would have
 * picked another cluster, but they go on the same back-end connection);
 * responses are relayed without being parsed; a request the router cannot
 * route on a fresh connection resets it (a real proxy would answer 404 or
 * 503); timer-driven segments (delayed ACKs, retransmissions) cost no CPU.
 *
 * Invariants: a connection is freed only after both legs reported CLOSED
 * (or the back-end leg was never opened); every endpoint pick is released
 * exactly once, at free; no allocation after create.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l7splice/http.h"
#include "l7splice/route.h"
#include "arch/arch.h"
#include "arch/frontend_cpu.h"
#include "engine/pool.h"
#include "engine/rng.h"
#include "models/server.h"

#define SW_EV_KILL 49      /* obj = struct sw_conn: reset both legs */
#define FE_ADDR_V4 0x0afffe01u /* 10.255.254.1: the front-end's back-end side */

enum { M_HEAD = 0, M_BODY, M_TUNNEL };
enum { B_NONE = 0, B_CONNECTING, B_EST, B_CLOSED };

struct sw;

struct sw_out {
	struct l7sim_node node;  /* first */
	struct sw *sw;
	uint32_t out;
};

struct sw_srv {
	struct l7sim_server srv;
	struct l7sim_link to_fe, from_fe;
	struct l7sim_tcp_env env_b;  /* the front-end's endpoints toward this server */
	struct sw_out out;
	struct l7_addr addr;
	uint16_t port;
	uint16_t next_port;
	uint64_t ep_id;              /* route.h endpoint id */
};

struct head_buf {
	struct l7_http_parser p;
	struct l7_http_request req;
	uint32_t len;
	uint8_t bytes[];
};

struct sw_conn {
	struct l7sim_tcpep c;        /* client leg */
	struct l7sim_tcpep b;        /* back-end leg */
	struct sw *sw;
	struct head_buf *hb;
	struct l7_http_body body;
	struct l7_cluster *cluster;
	struct l7_endpoint_pick pick;
	uint64_t conn_id;
	uint64_t c_rx, released, b_written;
	uint32_t wconn, srv;
	uint8_t mode, b_state, c_closed, c_fin, torn, b_shut, picked, killing;
};

struct sw_stats {
	uint64_t conns, conns_refused, requests, http_errors, no_route, reroutes;
	uint64_t head_pool_full, port_exhausted, stray, killed;
	uint64_t bytes_c2s, bytes_s2c;
};

struct sw {
	struct l7sim_world *w;
	struct l7sim_fe_cpu cpu;
	struct l7sim_tcp_env env_c;
	struct sw_out out_c;
	struct l7sim_tcp_demux demux_c, demux_b;
	struct l7sim_pool conns, heads;
	struct sw_srv *srv;
	uint32_t n_srv;
	struct l7_addr fe_addr;
	struct l7sim_rng rng;
	struct l7sim_server_config scfg;
	const struct l7sim_config *cfg;
	struct sw_stats st;
	struct l7sim_counters ctr;
};

/* ------------------------------------------------------------ helpers */

static int is_c(const struct sw_conn *k, const struct l7sim_tcpep *ep)
{
	return ep == &k->c;
}

static void out_rx(struct l7sim_node *self, struct l7sim_pkt *p, l7_time_ns now)
{
	struct sw_out *o = (struct sw_out *)self;
	(void)now;
	l7sim_fe_cpu_emit(&o->sw->cpu, o->out, p);
}

static void conn_maybe_free(struct sw_conn *k)
{
	struct sw *s = k->sw;
	if (!k->c_closed || (k->b_state != B_NONE && k->b_state != B_CLOSED) || k->killing)
		return;
	if (k->picked)
		(void)l7_cluster_release(k->cluster, &k->pick);
	if (k->hb)
		l7sim_pool_put(&s->heads, k->hb);
	k->hb = NULL;
	l7sim_pool_put(&s->conns, k);
}

/* Reset both legs, from outside their callbacks (an event at now). */
static void conn_kill_later(struct sw_conn *k)
{
	if (k->killing)
		return;
	k->killing = 1;
	k->sw->st.killed++;
	if (l7sim_engine_after(k->sw->w->eng, 0, SW_EV_KILL, k, 0, NULL) < 0)
		k->killing = 0; /* no event slot: the peers' timers end it */
}

static void ev_kill(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	struct sw_conn *k = obj;
	(void)e;
	(void)arg;
	k->killing = 0;
	/* each abort reports CLOSED at once, and the last CLOSED frees k:
	 * touch k only while a leg is still open */
	int b_open = k->b_state == B_CONNECTING || k->b_state == B_EST;
	if (!k->c_closed) {
		if (b_open)
			l7sim_tcpep_abort(&k->b);
		l7sim_tcpep_abort(&k->c);   /* frees k */
	} else if (b_open) {
		l7sim_tcpep_abort(&k->b);   /* frees k */
	} else {
		conn_maybe_free(k);
	}
}

static int srv_of_pick(const struct sw *s, const struct l7_endpoint_pick *p)
{
	for (uint32_t i = 0; i < s->n_srv; i++)
		if (s->srv[i].ep_id == p->id)
			return (int)i;
	return -1;
}

/* Open the back-end leg to server i from a free local port. */
static int open_backend(struct sw_conn *k, uint32_t i)
{
	struct sw *s = k->sw;
	struct sw_srv *v = &s->srv[i];
	struct l7_pkt probe;
	memset(&probe, 0, sizeof(probe));
	probe.src = v->addr;
	probe.dst = s->fe_addr;
	probe.sport = v->port;
	for (uint32_t tries = 0; tries < 64512; tries++) {
		uint16_t port = v->next_port;
		v->next_port = v->next_port == 65535 ? 1024 : (uint16_t)(v->next_port + 1);
		probe.dport = port;
		if (l7sim_tcp_demux_find(&s->demux_b, &probe))
			continue;
		if (l7sim_tcpep_connect(&k->b, &v->env_b, k, &s->fe_addr, port, &v->addr, v->port,
					k->conn_id) < 0)
			return L7_EFULL;
		l7sim_tcp_demux_add(&s->demux_b, &k->b);
		k->srv = i;
		k->b_state = B_CONNECTING;
		return 0;
	}
	s->st.port_exhausted++;
	return L7_EFULL;
}

/* Send what the client leg released and the back-end leg has not had. */
static void forward(struct sw_conn *k)
{
	if (k->b_state != B_EST)
		return;
	if (k->released > k->b_written) {
		uint64_t n = k->released - k->b_written;
		if (l7sim_tcpep_write(&k->b, n) == 0) {
			k->b_written += n;
			k->sw->st.bytes_c2s += n;
		}
	}
	if (k->c_fin && k->b_written == k->c_rx && !k->b_shut) {
		k->b_shut = 1;
		(void)l7sim_tcpep_shutdown(&k->b);
	}
}

static void charge(struct sw *s, uint64_t ns)
{
	l7sim_fe_cpu_charge(&s->cpu, ns);
}

static void teardown_once(struct sw_conn *k)
{
	if (!k->torn) {
		k->torn = 1;
		charge(k->sw, k->sw->cfg->frontend.teardown_ns);
	}
}

/* Tunnel a connection the parser gave up on to the first cluster's pick. */
static void tunnel(struct sw_conn *k)
{
	struct sw *s = k->sw;
	k->mode = M_TUNNEL;
	k->released = k->c_rx;
	if (k->b_state != B_NONE || k->killing)
		return;
	struct l7_cluster *cl = l7_router_cluster_count(s->w->router) ?
				l7_router_cluster_at(s->w->router, 0) : NULL;
	struct l7_lb_input in;
	memset(&in, 0, sizeof(in));
	in.has_hash = 1;
	in.hash = k->conn_id;
	int i;
	if (!cl || l7_cluster_pick(cl, &in, &k->pick) < 0 || (i = srv_of_pick(s, &k->pick)) < 0) {
		conn_kill_later(k);
		return;
	}
	k->cluster = cl;
	k->picked = 1;
	if (open_backend(k, (uint32_t)i) < 0)
		conn_kill_later(k);
}

/* A complete request head in k->hb: parse cost, route, first pick. */
static void on_head(struct sw_conn *k)
{
	struct sw *s = k->sw;
	struct head_buf *hb = k->hb;
	struct l7_route_header hdrs[L7_HTTP_MAX_HEADERS];
	struct l7_route_request rr;
	struct l7_route_match m;
	charge(s, s->cfg->frontend.parse_route_ns);
	s->st.requests++;
	k->released += hb->req.head.head_bytes;
	if (l7_route_request_from_http(&hb->req, (const char *)hb->bytes, hdrs,
				       L7_HTTP_MAX_HEADERS, &rr) < 0 ||
	    l7_router_lookup(s->w->router, &rr, l7sim_rng_next(&s->rng), &m) < 0) {
		s->st.no_route++;
		if (k->b_state == B_NONE)
			conn_kill_later(k);
		return;
	}
	if (k->b_state != B_NONE) {
		if (m.cluster != k->cluster)
			s->st.reroutes++;
		return;
	}
	struct l7_lb_input in;
	memset(&in, 0, sizeof(in));
	in.req = &rr;
	const struct l7_addr *src = &k->c.raddr;
	if (l7_addr_is_v4(src)) {
		in.src_addr = src->b + 12;
		in.src_addr_len = 4;
	} else {
		in.src_addr = src->b;
		in.src_addr_len = 16;
	}
	int i;
	if (l7_cluster_pick(m.cluster, &in, &k->pick) < 0) {
		s->st.no_route++;
		conn_kill_later(k);
		return;
	}
	k->cluster = m.cluster;
	k->picked = 1;
	i = srv_of_pick(s, &k->pick);
	if (i < 0 || open_backend(k, (uint32_t)i) < 0)
		conn_kill_later(k);
}

static void client_bytes(struct sw_conn *k, const uint8_t *d, uint32_t n)
{
	struct sw *s = k->sw;
	uint32_t cap = s->cfg->frontend.max_head_bytes;
	k->c_rx += n;
	while (n && !k->killing) {
		if (k->mode == M_TUNNEL) {
			k->released = k->c_rx;
			break;
		}
		if (k->mode == M_BODY) {
			size_t used = 0;
			struct l7_http_span pl;
			int rc = l7_http_body_feed(&k->body, d, n, &used, &pl);
			k->released += used;
			d += used;
			n -= (uint32_t)used;
			if (rc == 0)
				k->mode = M_HEAD;
			else if (rc != L7_EAGAIN) {
				s->st.http_errors++;
				tunnel(k);
			} else if (!used)
				break;
			continue;
		}
		/* M_HEAD */
		if (!k->hb) {
			k->hb = l7sim_pool_get(&s->heads);
			if (!k->hb) {
				s->st.head_pool_full++;
				conn_kill_later(k);
				break;
			}
			l7_http_parser_init(&k->hb->p, L7_HTTP_LENIENT_ALL, cap);
			k->hb->len = 0;
		}
		struct head_buf *hb = k->hb;
		uint32_t before = hb->len;
		uint32_t take = n < cap - hb->len ? n : cap - hb->len;
		memcpy(hb->bytes + hb->len, d, take);
		hb->len += take;
		int rc = l7_http_parse_request(&hb->p, &hb->req, hb->bytes, hb->len);
		if (rc == L7_EAGAIN && hb->len < cap) {
			d += take;
			n -= take;
			continue;
		}
		if (rc < 0) {
			/* not HTTP (or a head too large): forward it unparsed */
			s->st.http_errors++;
			l7sim_pool_put(&s->heads, hb);
			k->hb = NULL;
			tunnel(k);
			break;
		}
		uint32_t used = hb->req.head.head_bytes - before;
		d += used;
		n -= used;
		on_head(k);
		if (hb->req.head.framing != L7_HTTP_BODY_NONE) {
			l7_http_body_init(&k->body, &hb->req.head, L7_HTTP_LENIENT_ALL);
			k->mode = M_BODY;
		}
		l7sim_pool_put(&s->heads, hb);
		k->hb = NULL;
	}
	forward(k);
}

/* ------------------------------------------------------------ tcp ops */

static void sw_fill(void *user, struct l7sim_tcpep *ep, uint64_t off, uint8_t *dst,
		    uint32_t len)
{
	struct sw_conn *k = user;
	const struct l7sim_workload *wl = k->sw->w->wl;
	if (k->wconn >= wl->n_conns) {
		memset(dst, 0, len);
		return;
	}
	/* the client leg sends the server's stream, the back-end leg the client's */
	l7sim_wl_read(wl, k->wconn, is_c(k, ep) ? 1 : 0, off, dst, len);
}

static void sw_data(void *user, struct l7sim_tcpep *ep, const uint8_t *data, uint32_t len,
		    l7_time_ns now)
{
	struct sw_conn *k = user;
	(void)now;
	if (is_c(k, ep)) {
		client_bytes(k, data, len);
		return;
	}
	if (!k->c_closed && l7sim_tcpep_write(&k->c, len) == 0)
		k->sw->st.bytes_s2c += len;
}

static void sw_event(void *user, struct l7sim_tcpep *ep, enum l7sim_tcp_event ev,
		     l7_time_ns now)
{
	struct sw_conn *k = user;
	struct sw *s = k->sw;
	(void)now;
	if (is_c(k, ep)) {
		switch (ev) {
		case L7SIM_TCP_EV_PEER_FIN:
			k->c_fin = 1;
			teardown_once(k);
			if (k->b_state == B_NONE) {
				if (!k->killing)
					(void)l7sim_tcpep_shutdown(&k->c);
			} else {
				k->released = k->c_rx;
				forward(k);
			}
			break;
		case L7SIM_TCP_EV_RESET:
		case L7SIM_TCP_EV_ABORTED:
			if (k->b_state == B_CONNECTING || k->b_state == B_EST)
				l7sim_tcpep_abort(&k->b);
			break;
		case L7SIM_TCP_EV_CLOSED:
			l7sim_tcp_demux_del(&s->demux_c, &k->c);
			k->c_closed = 1;
			conn_maybe_free(k);
			break;
		default:
			break;
		}
		return;
	}
	switch (ev) {
	case L7SIM_TCP_EV_ESTABLISHED:
		k->b_state = B_EST;
		forward(k);
		break;
	case L7SIM_TCP_EV_PEER_FIN:
		teardown_once(k);
		if (!k->c_closed)
			(void)l7sim_tcpep_shutdown(&k->c);
		break;
	case L7SIM_TCP_EV_RESET:
	case L7SIM_TCP_EV_ABORTED:
		if (!k->c_closed)
			l7sim_tcpep_abort(&k->c);
		break;
	case L7SIM_TCP_EV_CLOSED:
		l7sim_tcp_demux_del(&s->demux_b, &k->b);
		k->b_state = B_CLOSED;
		conn_maybe_free(k);
		break;
	default:
		break;
	}
}

static const struct l7sim_tcp_ops sw_ops = { sw_fill, sw_data, sw_event };

/* ------------------------------------------------------------ packets */

static void accept_conn(struct sw *s, struct l7sim_pkt *p, const struct l7_pkt *v)
{
	struct sw_conn *k = l7sim_pool_get(&s->conns);
	if (!k) {
		s->st.conns_refused++;
		(void)l7sim_tcp_send_rst_for(&s->env_c, v, p->conn_id);
		l7sim_pkt_free(s->w->pool, p);
		return;
	}
	memset(k, 0, sizeof(*k));
	k->sw = s;
	k->conn_id = p->conn_id;
	uint64_t id = p->conn_id & 0xffffffffu;
	k->wconn = id && id <= s->w->wl->n_conns ? (uint32_t)(id - 1) : UINT32_MAX;
	charge(s, s->cfg->frontend.conn_setup_ns);
	if (l7sim_tcpep_accept(&k->c, &s->env_c, k, p, v) < 0) {
		l7sim_pool_put(&s->conns, k);
		return;
	}
	l7sim_tcp_demux_add(&s->demux_c, &k->c);
	s->st.conns++;
}

static void sw_process(void *ctx, struct l7sim_pkt *p, const struct l7_pkt *v)
{
	struct sw *s = ctx;
	struct l7sim_tcpep *ep;
	int to_fe = !memcmp(v->dst.b, s->fe_addr.b, 16);
	ep = l7sim_tcp_demux_find(to_fe ? &s->demux_b : &s->demux_c, v);
	if (ep) {
		l7sim_tcpep_input(ep, p, v);
		return;
	}
	if (!to_fe && (v->tcp_flags & (L7_TCP_SYN | L7_TCP_ACK | L7_TCP_RST)) == L7_TCP_SYN) {
		accept_conn(s, p, v);
		return;
	}
	s->st.stray++;
	(void)l7sim_tcp_send_rst_for(to_fe ? &s->srv[0].env_b : &s->env_c, v, p->conn_id);
	l7sim_pkt_free(s->w->pool, p);
}

/* ------------------------------------------------------------ build */

static int add_server(struct sw *s, const struct l7_endpoint_info *e, char *err, size_t errlen)
{
	struct l7_addr a;
	for (uint32_t i = 0; i < s->n_srv; i++)
		if (s->srv[i].ep_id == e->id)
			return 0;
	if (l7sim_parse_addr(e->address, &a) < 0) {
		snprintf(err, errlen, "router: endpoint \"%s\" is not an IP address", e->address);
		return L7_ECONFIG;
	}
	struct sw_srv *v = &s->srv[s->n_srv++];
	v->addr = a;
	v->port = e->port;
	v->next_port = 1024;
	v->ep_id = e->id;
	return 0;
}

static int build_server(struct sw *s, uint32_t i, char *err, size_t errlen)
{
	struct l7sim_world *w = s->w;
	struct sw_srv *v = &s->srv[i];
	struct l7sim_link_config lc;
	char name[48];
	int rc;
	v->out.node.rx = out_rx;
	v->out.sw = s;
	rc = l7sim_fe_cpu_add_out(&s->cpu, &v->from_fe.in);
	if (rc < 0)
		goto fail;
	v->out.out = (uint32_t)rc;
	snprintf(name, sizeof(name), "software/fe-b/%u", i);
	l7sim_tcp_env_init(&v->env_b, w->eng, w->pool, w->tcp, &sw_ops, &v->out.node, w->seed, name);
	snprintf(name, sizeof(name), "server/%u", i);
	s->scfg.name = name;
	rc = l7sim_server_init(&v->srv, &s->scfg, w->eng, w->pool, w->tcp, &v->to_fe.in, w->wl);
	if (rc < 0)
		goto fail;
	l7sim_link_config_from(&lc, &s->cfg->net.server, NULL, (uint16_t)(100 + 2 * i), w->seed);
	snprintf(name, sizeof(name), "link/fe-s/%u", i);
	lc.name = name;
	rc = l7sim_link_init(&v->from_fe, &lc, w->eng, w->pool, &v->srv.node);
	if (rc < 0)
		goto fail;
	l7sim_link_config_from(&lc, &s->cfg->net.server, NULL, (uint16_t)(101 + 2 * i), w->seed);
	snprintf(name, sizeof(name), "link/s-fe/%u", i);
	lc.name = name;
	rc = l7sim_link_init(&v->to_fe, &lc, w->eng, w->pool, &s->cpu.in);
	if (rc < 0)
		goto fail;
	if (w->backend_tap) {
		(void)l7sim_link_add_tap(&v->from_fe, L7SIM_TAP_ENQUEUE, l7sim_pcap_tap_write,
					 w->backend_tap);
		(void)l7sim_link_add_tap(&v->to_fe, L7SIM_TAP_DELIVER, l7sim_pcap_tap_write,
					 w->backend_tap);
	}
	return 0;
fail:
	snprintf(err, errlen, "back-end %u: %s", i, l7_strerror(rc));
	return rc;
}

static void sw_destroy(void *state);

static int sw_create(struct l7sim_world *w, void **state, char *err, size_t errlen)
{
	const struct l7sim_config *cfg = w->cfg;
	struct sw *s = calloc(1, sizeof(*s));
	int rc;
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return L7_ENOMEM;
	}
	*state = s;
	s->w = w;
	s->cfg = cfg;
	s->fe_addr = l7_addr_from_v4(FE_ADDR_V4);
	l7sim_rng_init(&s->rng, w->seed, l7sim_rng_id("software/router"));
	if ((rc = l7sim_engine_on(w->eng, SW_EV_KILL, ev_kill)) < 0 ||
	    (rc = l7sim_fe_cpu_register(w->eng)) < 0)
		goto fail;

	/* back-ends: every endpoint of every cluster, once */
	size_t total = l7sim_router_endpoints(w->router);
	if (!total) {
		snprintf(err, errlen, "router: no endpoints");
		rc = L7_ECONFIG;
		goto fail_quiet;
	}
	s->srv = calloc(total, sizeof(*s->srv));
	if (!s->srv) {
		rc = L7_ENOMEM;
		goto fail;
	}
	for (size_t c = 0; c < l7_router_cluster_count(w->router); c++) {
		struct l7_cluster *cl = l7_router_cluster_at(w->router, c);
		for (size_t j = 0; j < l7_cluster_endpoint_count(cl); j++) {
			struct l7_endpoint_info e;
			if ((rc = l7_cluster_endpoint_at(cl, j, &e)) < 0)
				goto fail;
			if ((rc = add_server(s, &e, err, errlen)) < 0)
				goto fail_quiet;
		}
	}

	struct l7sim_fe_cpu_config cc = {
		.cores = cfg->frontend.cores,
		.queue_packets = cfg->frontend.queue_packets,
		.relay_pkt_ns = cfg->frontend.relay_pkt_ns,
		.relay_byte_ns = cfg->frontend.relay_byte_ns,
		.linktype = w->tcp->linktype,
		.seed = w->seed,
	};
	if ((rc = l7sim_fe_cpu_init(&s->cpu, &cc, w->eng, w->pool, s->n_srv + 1, sw_process, s)) < 0)
		goto fail;
	s->cpu.series = w->series;
	s->cpu.series_col = L7SIM_COL_FE_BUSY_CORES;

	s->out_c.node.rx = out_rx;
	s->out_c.sw = s;
	s->out_c.out = (uint32_t)l7sim_fe_cpu_add_out(&s->cpu, w->to_clients);
	l7sim_tcp_env_init(&s->env_c, w->eng, w->pool, w->tcp, &sw_ops, &s->out_c.node, w->seed,
			   "software/fe-c");
	/* the server side of the client wire: swap the MACs the env chose */
	uint8_t mac[6];
	memcpy(mac, s->env_c.eth_src, 6);
	memcpy(s->env_c.eth_src, s->env_c.eth_dst, 6);
	memcpy(s->env_c.eth_dst, mac, 6);

	uint32_t b = 1;
	while (b < cfg->frontend.max_conns && b < (1u << 24))
		b <<= 1;
	if ((rc = l7sim_tcp_demux_init(&s->demux_c, b)) < 0 ||
	    (rc = l7sim_tcp_demux_init(&s->demux_b, b)) < 0 ||
	    (rc = l7sim_pool_init(&s->conns, sizeof(struct sw_conn), cfg->frontend.max_conns)) < 0 ||
	    (rc = l7sim_pool_init(&s->heads, offsetof(struct head_buf, bytes) +
				  cfg->frontend.max_head_bytes, cfg->frontend.head_buffers)) < 0)
		goto fail;

	l7sim_server_config_from(&s->scfg, cfg, w->seed);
	for (uint32_t i = 0; i < s->n_srv; i++)
		if ((rc = build_server(s, i, err, errlen)) < 0)
			goto fail_quiet;
	w->lb_in = &s->cpu.in;
	return 0;
fail:
	snprintf(err, errlen, "%s", l7_strerror(rc));
fail_quiet:
	sw_destroy(s);
	*state = NULL;
	return rc;
}

static const char *const ctr_names[] = {
	"conns", "conns_refused", "requests_parsed", "http_errors", "no_route", "reroutes",
	"head_pool_full", "port_exhausted", "stray_segments", "conns_reset",
	"cpu_queue_drops", "cpu_queue_peak", "server_queue_peak", "fe_packets_in",
	"fe_packets_out", "fe_cpu_busy_ns",
};

static void sw_report(void *state, const struct l7sim_world *w, struct l7sim_summary *out)
{
	struct sw *s = state;
	(void)w;
	uint64_t link_drops = 0, srv_queue_peak = 0, qpeak = 0;
	for (uint32_t i = 0; i < s->n_srv; i++) {
		link_drops += s->srv[i].from_fe.st.queue_drops + s->srv[i].from_fe.st.loss_drops;
		link_drops += s->srv[i].to_fe.st.queue_drops + s->srv[i].to_fe.st.loss_drops;
		if (s->srv[i].srv.st.queue_peak > srv_queue_peak)
			srv_queue_peak = s->srv[i].srv.st.queue_peak;
	}
	for (uint32_t i = 0; i < s->cpu.cfg.cores; i++)
		if (s->cpu.core[i].qlen_peak > qpeak)
			qpeak = s->cpu.core[i].qlen_peak;
	out->frontend_cpu_util = l7sim_fe_cpu_util_active(&s->cpu);
	out->fast_path_bytes = 0;
	out->total_bytes = s->st.bytes_c2s + s->st.bytes_s2c;
	out->drops += s->cpu.st.queue_drops + s->cpu.st.parse_drops + link_drops;
	if (!s->ctr.names) {
		if (l7sim_counters_init(&s->ctr, sizeof(ctr_names) / sizeof(ctr_names[0])) < 0)
			return;
		for (size_t i = 0; i < sizeof(ctr_names) / sizeof(ctr_names[0]); i++)
			(void)l7sim_counters_add(&s->ctr, ctr_names[i]);
	}
	const uint64_t v[] = {
		s->st.conns, s->st.conns_refused, s->st.requests, s->st.http_errors,
		s->st.no_route, s->st.reroutes, s->st.head_pool_full, s->st.port_exhausted,
		s->st.stray, s->st.killed, s->cpu.st.queue_drops, qpeak, srv_queue_peak,
		s->cpu.st.packets_in, s->cpu.st.packets_out, s->cpu.st.busy_ns,
	};
	for (uint32_t i = 0; i < s->ctr.n; i++)
		s->ctr.v[i] = v[i];
	out->extra = &s->ctr;
}

static void sw_destroy(void *state)
{
	struct sw *s = state;
	if (!s)
		return;
	l7sim_fe_cpu_fini(&s->cpu);
	if (s->srv) {
		for (uint32_t i = 0; i < s->n_srv; i++) {
			if (s->srv[i].from_fe.eng)
				l7sim_link_fini(&s->srv[i].from_fe);
			if (s->srv[i].to_fe.eng)
				l7sim_link_fini(&s->srv[i].to_fe);
			if (s->srv[i].srv.eng)
				l7sim_server_fini(&s->srv[i].srv);
		}
	}
	free(s->srv);
	l7sim_pool_fini(&s->conns);
	l7sim_pool_fini(&s->heads);
	l7sim_tcp_demux_fini(&s->demux_c);
	l7sim_tcp_demux_fini(&s->demux_b);
	if (s->ctr.names)
		l7sim_counters_fini(&s->ctr);
	free(s);
}

const struct l7sim_arch l7sim_arch_software = {
	"software",
	"full proxy on the front-end CPU (HAProxy/NGINX): both connections terminated",
	sw_create, sw_report, sw_destroy,
};
