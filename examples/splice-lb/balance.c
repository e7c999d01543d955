/*
 * balance.c — the L7 half of splice-lb: for each request head the engine
 * buffers, parse it strictly (l7_http_parse_request), route it
 * (l7_router_lookup + l7_cluster_pick), add X-Forwarded-For
 * (l7_http_rewrite_xff, whose insertion edits become l7_splice_insert
 * entries) and tell the engine where the request ends (head + body from the
 * parser's framing) so the next head on a keep-alive connection is routed
 * again.
 *
 * Re-splicing needs the previous response to be complete (splice.h: the
 * caller vouches for it with ROUTE_WAIT + l7_splice_resume). We track each
 * response from the packets going to the client: the response head is
 * collected into a small per-connection window (segments may arrive out of
 * order; a byte map says which bytes are present), parsed with the response
 * parser, and its end computed from Content-Length; the response is complete
 * once a segment reaching that end has gone out (the engine then still waits
 * for the client to ACK it). Responses whose end cannot be computed this way
 * (chunked, close-delimited, upgrades, heads larger than the window) switch
 * the connection to a fallback: a new request head from a client that does
 * not pipeline means the previous response is complete.
 *
 * Invariants: a route decision is cached per head (stream offset), so the
 * engine may ask again for the same head (MORE, WAIT, waiting for ACKs) and
 * gets the same back-end, the same SNAT port, and no second pick; cluster
 * picks are released exactly once (response complete or connection gone).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb.h"

#define HEADCAP 2048  /* response-head window per connection */
#define MAX_OUT 16    /* requests routed whose responses are not complete */
/* A SNAT port is not reused sooner than this: a back-end that closed first
 * holds TIME-WAIT on the port pair for 60 s (Linux TCP_TIMEWAIT_LEN). */
#define PORT_QUIET_NS (120ull * 1000000000ull)

struct out_req {
	uint64_t stream_off;
	uint8_t method;
	uint8_t has_pick;
	struct l7_cluster *cluster;
	struct l7_endpoint_pick pick;
};

struct lb_conn {
	uint8_t used;
	struct l7_flow_key key;
	/* cached decision for the head at dec_off */
	uint8_t decided;
	uint64_t dec_off;
	struct l7_addr be;
	uint16_t be_port;
	uint16_t leg_port;   /* SNAT port of the decided/current leg */
	uint16_t cur_port;   /* port of the leg that is up */
	struct l7_cluster *cl;
	struct l7_endpoint_pick pick;
	uint8_t has_pick;
	uint8_t waiting;     /* last verdict was WAIT */
	/* routed requests whose responses are not complete, oldest first */
	uint8_t n_out;
	uint64_t last_pushed;
	uint8_t pushed_any;
	struct out_req out[MAX_OUT];
	/* response tracker (client-leg sequence space) */
	uint8_t start_known;
	uint8_t fallback;
	uint8_t head_done;
	uint8_t end_known;
	uint32_t start;      /* first byte of the current response */
	uint32_t end;        /* one past its last byte, when end_known */
	uint32_t max_end;    /* highest sequence end seen going out */
	uint32_t wbase;      /* sequence number of hbuf[0]: the current
			      * response's start until its head is parsed,
			      * then its end (collecting the next head while
			      * the body flows: responses may share segments) */
	uint32_t contig;     /* bytes present from wbase */
	uint8_t hbuf[HEADCAP];
	uint8_t hmap[HEADCAP];
};

static int seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

int lb_init(struct lb *lb)
{
	lb->conns = calloc(lb->max_conns, sizeof(*lb->conns));
	lb->port_owner = calloc(65536, sizeof(*lb->port_owner));
	lb->port_used_ns = calloc(65536, sizeof(*lb->port_used_ns));
	lb->resume_q = calloc(lb->max_conns, sizeof(*lb->resume_q));
	if (!lb->conns || !lb->port_owner || !lb->resume_q || !lb->port_used_ns)
		return L7_ENOMEM;
	lb->next_port = lb->port_lo;
	l7_route_rng_seed(&lb->rng, lb->seed);
	return 0;
}

void lb_fini(struct lb *lb)
{
	free(lb->conns);
	free(lb->port_owner);
	free(lb->port_used_ns);
	free(lb->resume_q);
}

/* ------------------------------------------------------------ state */

static void release_out(struct out_req *o)
{
	if (o->has_pick)
		l7_cluster_release(o->cluster, &o->pick);
	o->has_pick = 0;
}

static void free_port(struct lb *lb, uint32_t id, uint16_t port)
{
	if (port && lb->port_owner[port] == id + 1)
		lb->port_owner[port] = 0;
}

static void conn_clear(struct lb *lb, uint32_t id)
{
	struct lb_conn *c = &lb->conns[id];
	if (!c->used)
		return;
	for (unsigned i = 0; i < c->n_out; i++)
		release_out(&c->out[i]);
	if (c->decided && c->has_pick)
		l7_cluster_release(c->cl, &c->pick);
	free_port(lb, id, c->cur_port);
	free_port(lb, id, c->leg_port);
	memset(c, 0, offsetof(struct lb_conn, hbuf));
	memset(c->hmap, 0, sizeof(c->hmap));
}

/* A SNAT port no live leg uses and no leg used in the last PORT_QUIET_NS,
 * in turn through --ports. When every port is that recent (more than
 * range / 120 s new legs per second), the least bad choice is a port free
 * of live legs: counted as ports_reused_early. */
static int port_free(struct lb *lb, uint32_t p)
{
	uint32_t o = lb->port_owner[p];
	return !o || l7_splice_conn_state(lb->eng, o - 1) == L7_SPLICE_FREE;
}

static uint16_t alloc_port(struct lb *lb, uint32_t id)
{
	uint32_t range = lb->port_hi - lb->port_lo + 1;
	uint32_t fallback = 0;
	for (uint32_t tries = 0; tries < range; tries++) {
		uint32_t p = lb->next_port++;
		if (lb->next_port > lb->port_hi)
			lb->next_port = lb->port_lo;
		if (!port_free(lb, p))
			continue;
		l7_time_ns used = lb->port_used_ns[p];
		if (used && lb->now_ns - used < PORT_QUIET_NS) {
			if (!fallback)
				fallback = p;
			continue;
		}
		lb->port_owner[p] = id + 1;
		lb->port_used_ns[p] = lb->now_ns ? lb->now_ns : 1;
		return (uint16_t)p;
	}
	if (fallback) {
		lb->ports_reused_early++;
		lb->port_owner[fallback] = id + 1;
		lb->port_used_ns[fallback] = lb->now_ns ? lb->now_ns : 1;
		return (uint16_t)fallback;
	}
	lb->ports_exhausted++;
	return 0;
}

uint32_t lb_sweep(struct lb *lb)
{
	uint32_t live = 0;
	for (uint32_t i = 0; i < lb->max_conns; i++) {
		if (!lb->conns[i].used)
			continue;
		if (l7_splice_conn_state(lb->eng, i) == L7_SPLICE_FREE)
			conn_clear(lb, i);
		else
			live++;
	}
	return live;
}

void lb_run_resumes(struct lb *lb, l7_time_ns now)
{
	while (lb->n_resume) {
		uint32_t id = lb->resume_q[--lb->n_resume];
		if (l7_splice_resume(lb->eng, id, now) == 0)
			lb->resumes++;
	}
}

static void queue_resume(struct lb *lb, uint32_t id)
{
	struct lb_conn *c = &lb->conns[id];
	if (!c->waiting)
		return;
	c->waiting = 0;
	if (lb->n_resume < lb->max_conns)
		lb->resume_q[lb->n_resume++] = id;
}

/* ------------------------------------------------------------ responses */

static void track_reset(struct lb_conn *c, uint32_t start)
{
	c->start_known = 1;
	c->start = start;
	c->wbase = start;
	c->max_end = start;
	c->head_done = 0;
	c->end_known = 0;
	c->contig = 0;
	memset(c->hmap, 0, sizeof(c->hmap));
}

/* Move the window forward by n bytes, keeping what lies beyond. */
static void window_shift(struct lb_conn *c, uint32_t n)
{
	if (n < HEADCAP) {
		memmove(c->hbuf, c->hbuf + n, HEADCAP - n);
		memmove(c->hmap, c->hmap + n, HEADCAP - n);
		memset(c->hmap + HEADCAP - n, 0, n);
	} else {
		memset(c->hmap, 0, sizeof(c->hmap));
	}
	c->wbase += n;
	c->contig = 0;
	while (c->contig < HEADCAP && c->hmap[c->contig])
		c->contig++;
}

static void fall_back(struct lb *lb, struct lb_conn *c)
{
	if (!c->fallback)
		lb->track_fallbacks++;
	c->fallback = 1;
	c->start_known = 0;
}

/* Pop completed responses; queue a resume when none is left. */
static void track_check(struct lb *lb, uint32_t id)
{
	struct lb_conn *c = &lb->conns[id];
	static struct l7_http_response resp;
	while (c->n_out && c->start_known && !c->fallback) {
		if (!c->head_done) {
			if (c->contig == 0)
				return;
			struct l7_http_parser p;
			l7_http_parser_init_response(&p, 0, HEADCAP,
						     (enum l7_http_method)c->out[0].method);
			int rc = l7_http_parse_response(&p, &resp, c->hbuf, c->contig);
			if (rc == L7_EAGAIN && c->contig < HEADCAP)
				return;
			if (rc != 0) {
				fall_back(lb, c);
				return;
			}
			if (resp.status >= 100 && resp.status < 200 && resp.status != 101) {
				window_shift(c, resp.head.head_bytes); /* interim */
				c->start += resp.head.head_bytes;
				continue;
			}
			if (resp.head.upgrade) {
				fall_back(lb, c);
				return;
			}
			if (resp.head.framing == L7_HTTP_BODY_NONE) {
				c->end = c->start + resp.head.head_bytes;
			} else if (resp.head.framing == L7_HTTP_BODY_LENGTH) {
				c->end = c->start + resp.head.head_bytes +
					 (uint32_t)resp.head.content_length;
			} else {
				fall_back(lb, c);
				return;
			}
			c->head_done = 1;
			c->end_known = 1;
			window_shift(c, c->end - c->wbase);
		}
		if (seq_before(c->max_end, c->end))
			return;
		release_out(&c->out[0]);
		memmove(&c->out[0], &c->out[1], (size_t)(c->n_out - 1) * sizeof(c->out[0]));
		c->n_out--;
		lb->responses++;
		c->start = c->end;
		c->head_done = 0;
		c->end_known = 0;
	}
	if (c->n_out == 0 || c->n_out < MAX_OUT)
		queue_resume(lb, id);
}

void lb_saw_to_client(struct lb *lb, uint32_t id, const uint8_t *frame, uint32_t len)
{
	if (id >= lb->max_conns)
		return;
	struct lb_conn *c = &lb->conns[id];
	if (!c->used || !c->start_known || c->fallback || c->n_out == 0)
		return;
	struct l7_pkt p;
	if (l7_pkt_parse(&p, frame, len, L7_LINKTYPE_RAW) != 0 || p.proto != L7_IPPROTO_TCP ||
	    p.payload_len == 0 || (p.tcp_flags & (L7_TCP_RST | L7_TCP_SYN)))
		return;
	uint32_t seq = p.tcp_seq, end = p.tcp_seq + p.payload_len;
	if (seq_before(c->max_end, end))
		c->max_end = end;
	/* copy the part that falls inside the head window */
	const uint8_t *pl = l7_pkt_payload(&p);
	uint32_t first = seq_before(seq, c->wbase) ? c->wbase - seq : 0;
	for (uint32_t i = first; i < p.payload_caplen; i++) {
		uint32_t off = seq + i - c->wbase;
		if (off >= HEADCAP)
			break;
		c->hbuf[off] = pl[i];
		c->hmap[off] = 1;
	}
	while (c->contig < HEADCAP && c->hmap[c->contig])
		c->contig++;
	track_check(lb, id);
}

/* ------------------------------------------------------------ requests */

static int endpoint_addr(struct l7_cluster *cl, const struct l7_endpoint_pick *pk,
			 struct l7_addr *a, uint16_t *port)
{
	struct l7_endpoint_info info;
	if (l7_cluster_endpoint_info(cl, pk->id, &info) < 0)
		return -1;
	struct in_addr v4;
	struct in6_addr v6;
	if (inet_pton(AF_INET, info.address, &v4) == 1)
		*a = l7_addr_from_v4(ntohl(v4.s_addr));
	else if (inet_pton(AF_INET6, info.address, &v6) == 1)
		*a = l7_addr_from_v6(v6.s6_addr);
	else
		return -1;
	*port = info.port;
	return 0;
}

static void addr_str(const uint8_t *b16, char *out, size_t cap)
{
	struct l7_addr a;
	memcpy(a.b, b16, 16);
	if (l7_addr_is_v4(&a)) {
		struct in_addr v4 = { htonl(l7_addr_v4(&a)) };
		inet_ntop(AF_INET, &v4, out, (socklen_t)cap);
	} else {
		inet_ntop(AF_INET6, a.b, out, (socklen_t)cap);
	}
}

/* Bytes of the request from its first byte (head + body), or 0 when the
 * end is unknown (the engine then relays the rest of the connection). */
static uint64_t request_length(const struct l7_http_request *req, const uint8_t *buf,
			       size_t len)
{
	const struct l7_http_head *hd = &req->head;
	if (hd->upgrade)
		return 0;
	switch (hd->framing) {
	case L7_HTTP_BODY_NONE:
		return hd->head_bytes;
	case L7_HTTP_BODY_LENGTH:
		return hd->head_bytes + hd->content_length;
	case L7_HTTP_BODY_CHUNKED: {
		/* Known only if the whole chunked body is already buffered. */
		struct l7_http_body b;
		l7_http_body_init(&b, hd, 0);
		size_t pos = hd->head_bytes;
		while (pos < len) {
			size_t used = 0;
			struct l7_http_span pl;
			int rc = l7_http_body_feed(&b, buf + pos, len - pos, &used, &pl);
			pos += used;
			if (rc == 0)
				return pos;
			if (rc != L7_EAGAIN || used == 0)
				return 0;
		}
		return 0;
	}
	default:
		return 0;
	}
}

static void conn_start(struct lb *lb, uint32_t id, const struct l7_splice_head *h)
{
	conn_clear(lb, id);
	struct lb_conn *c = &lb->conns[id];
	c->used = 1;
	c->key = *h->client_key;
}

static int cur_packet_is(const struct lb *lb, const struct l7_splice_head *h)
{
	return lb->cur_valid && memcmp(&lb->cur_key, h->client_key, sizeof(lb->cur_key)) == 0;
}

enum l7_splice_verdict lb_route(void *user, const struct l7_splice_head *h,
				struct l7_splice_route *r)
{
	struct lb *lb = user;
	uint32_t id = h->conn_id;
	if (id >= lb->max_conns)
		return L7_SPLICE_ROUTE_REJECT;
	struct lb_conn *c = &lb->conns[id];
	if (!c->used || memcmp(&c->key, h->client_key, sizeof(c->key)) != 0 ||
	    (h->request_index == 0 && !h->has_backend && c->pushed_any &&
	     h->stream_off != c->last_pushed))
		conn_start(lb, id, h);

	static struct l7_http_request req;
	struct l7_http_parser p;
	l7_http_parser_init(&p, 0, 0);
	int rc = l7_http_parse_request(&p, &req, h->bytes, h->len);
	if (rc == L7_EAGAIN)
		return h->fin ? L7_SPLICE_ROUTE_REJECT : L7_SPLICE_ROUTE_MORE;
	if (rc != 0) {
		lb->bad_requests++;
		return L7_SPLICE_ROUTE_REJECT;
	}
	uint64_t req_bytes = request_length(&req, h->bytes, h->len);

	int fresh = !(c->pushed_any && c->last_pushed == h->stream_off);
	if (fresh && c->fallback && c->n_out) {
		/* Fallback: a client that does not pipeline sends the next
		 * head only after the whole previous response. */
		for (unsigned i = 0; i < c->n_out; i++)
			release_out(&c->out[i]);
		lb->responses += c->n_out;
		c->n_out = 0;
	}
	if (!(c->decided && c->dec_off == h->stream_off)) {
		if (c->decided && c->has_pick)
			l7_cluster_release(c->cl, &c->pick);
		c->decided = 0;
		static struct l7_route_header hdrs[L7_HTTP_MAX_HEADERS];
		struct l7_route_request rr;
		if (l7_route_request_from_http(&req, (const char *)h->bytes, hdrs,
					       L7_HTTP_MAX_HEADERS, &rr) < 0) {
			lb->bad_requests++;
			return L7_SPLICE_ROUTE_REJECT;
		}
		struct l7_route_match m;
		if (l7_router_lookup(lb->router, &rr, l7_route_rng_next(&lb->rng), &m) < 0) {
			lb->no_route++;
			return L7_SPLICE_ROUTE_REJECT;
		}
		struct l7_lb_input in = { .req = &rr, .src_addr = h->client_key->src + 12,
					  .src_addr_len = 4 };
		if (!l7_addr_is_v4((const struct l7_addr *)h->client_key->src)) {
			in.src_addr = h->client_key->src;
			in.src_addr_len = 16;
		}
		if (l7_cluster_pick(m.cluster, &in, &c->pick) < 0) {
			lb->no_endpoint++;
			return L7_SPLICE_ROUTE_REJECT;
		}
		c->cl = m.cluster;
		c->has_pick = 1;
		if (endpoint_addr(c->cl, &c->pick, &c->be, &c->be_port) < 0) {
			l7_cluster_release(c->cl, &c->pick);
			c->has_pick = 0;
			lb->no_endpoint++;
			return L7_SPLICE_ROUTE_REJECT;
		}
		c->decided = 1;
		c->dec_off = h->stream_off;
		int same = h->has_backend && c->cur_port &&
			   memcmp(&h->backend, &c->be, sizeof(c->be)) == 0 &&
			   h->backend_port == c->be_port;
		if (same) {
			c->leg_port = c->cur_port;
		} else {
			c->leg_port = alloc_port(lb, id);
			if (!c->leg_port)
				return L7_SPLICE_ROUTE_REJECT;
		}
	}
	int same = h->has_backend && memcmp(&h->backend, &c->be, sizeof(c->be)) == 0 &&
		   h->backend_port == c->be_port;
	/* Another back-end: only once every earlier response is complete.
	 * Asked again for a head already routed (the engine waits for the
	 * client's ACKs), its own entry is the last one and does not count. */
	unsigned earlier = c->n_out - (fresh ? 0u : 1u);
	if ((!same && h->has_backend && earlier > 0) || (fresh && c->n_out >= MAX_OUT)) {
		if (!c->waiting)
			lb->waits++;
		c->waiting = 1;
		return L7_SPLICE_ROUTE_WAIT;
	}
	c->waiting = 0;

	/* X-Forwarded-For with the client's address. */
	static struct l7_http_rewrite rw;
	char client[64];
	addr_str(h->client_key->src, client, sizeof(client));
	l7_http_rewrite_init(&rw, h->stream_off);
	if (l7_http_rewrite_xff(&rw, &req.head, h->bytes, client) < 0)
		return L7_SPLICE_ROUTE_REJECT;
	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < rw.n_edits; i++) {
		const struct l7_http_edit *e = &rw.edits[i];
		if (e->del_len || r->n_inserts == L7_SPLICE_MAX_INSERTS)
			return L7_SPLICE_ROUTE_REJECT;
		struct l7_splice_insert *in = &r->inserts[r->n_inserts++];
		in->stream_off = rw.stream_base + e->off;
		in->data = rw.store + e->ins_off;
		in->len = e->ins_len;
	}
	r->backend = c->be;
	r->backend_port = c->be_port;
	r->snat = 1;
	r->leg_src = lb->snat;
	r->leg_src_port = c->leg_port;
	r->request_bytes = req_bytes;

	if (fresh) {
		/* The response to this request starts where the previous one
		 * ends; for the first (or after a fallback) it starts at what
		 * the client acknowledges now: nothing of ours is unacknowledged
		 * when a client that does not pipeline sends a head. */
		if (c->n_out == 0 && (!c->start_known || c->fallback) && cur_packet_is(lb, h)) {
			c->fallback = 0;
			track_reset(c, lb->cur_ack);
		}
		struct out_req *o = &c->out[c->n_out++];
		o->stream_off = h->stream_off;
		o->method = (uint8_t)req.method;
		o->cluster = c->cl;
		o->pick = c->pick;
		o->has_pick = c->has_pick;
		c->has_pick = 0; /* owned by the out entry now */
		c->pushed_any = 1;
		c->last_pushed = h->stream_off;
		lb->requests++;
		if (req_bytes == 0)
			fall_back(lb, c); /* the rest of the connection is relayed */
	}
	if (c->cur_port != c->leg_port) {
		free_port(lb, id, c->cur_port);
		c->cur_port = c->leg_port;
	}
	return L7_SPLICE_ROUTE_GO;
}
