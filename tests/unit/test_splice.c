/*
 * test_splice.c — the splicing engine, packet by packet: every state
 * transition, the four LB-NIC ACK cases, SACK/TS/window/MSS translation,
 * ISN wraparound, retransmission across an insertion point, re-splicing,
 * half-close, RST both ways, cookies and stray packets, and that an agent
 * holding only the exported record translates exactly like the engine.
 *
 * The harness plays client and back-end by hand: it builds raw IPv4 frames,
 * feeds them to l7_splice_input(), and inspects every emitted frame.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "l7splice/splice.h"

#define CLIENT_IP 0x0a000001u
#define VIP_IP 0x0a00010au
#define BE1_IP 0x0a000201u
#define BE2_IP 0x0a000202u
#define BE3_IP 0x0a000203u
#define CPORT 40000
#define VPORT 80
#define BPORT 8080
#define MAXOUT 64

struct outpkt {
	enum l7_splice_side side;
	uint8_t frame[4096];
	size_t len;
	struct l7_pkt p;
	struct l7_tcp_opts o;
};

struct h {
	struct l7_splice *s;
	struct l7_splice_cfg cfg;
	struct outpkt out[MAXOUT];
	int n_out;
	/* route behaviour */
	uint32_t backend_ip;
	int n_ins;
	struct l7_splice_insert ins[2];
	uint8_t ins_data[2][64];
	uint64_t request_bytes;  /* UINT64_MAX: use the head length */
	int wait;
	int routes;
	uint32_t isn;            /* stateful ISN override (0 = cookie) */
	l7_time_ns now;
	uint32_t c_isn;
	uint32_t l_isn; /* from the SYN-ACK */
	uint32_t conn;
	uint32_t max_heads;      /* cfg.max_heads (0 = the default) */
};

static struct h *H;

static void emit_cb(void *user, const struct l7_splice_out *o)
{
	struct h *h = user;
	assert_true(h->n_out < MAXOUT);
	struct outpkt *op = &h->out[h->n_out++];
	op->side = o->side;
	assert_true(o->len <= sizeof(op->frame));
	memcpy(op->frame, o->frame, o->len);
	op->len = o->len;
	assert_int_equal(l7_pkt_parse(&op->p, op->frame, (uint32_t)op->len, o->linktype), 0);
	/* Every frame the engine sends has right checksums. */
	assert_int_equal(l7_pkt_csum_verify(&op->p), 0);
	size_t olen;
	const uint8_t *opts = l7_pkt_tcp_opts(&op->p, &olen);
	assert_int_equal(l7_tcp_opts_parse(opts, olen, &op->o), 0);
}

static enum l7_splice_verdict route_cb(void *user, const struct l7_splice_head *hd,
				       struct l7_splice_route *r)
{
	struct h *h = user;
	h->routes++;
	h->conn = hd->conn_id;
	/* Route once the head is complete (the engine does not parse HTTP). */
	int complete = 0;
	size_t head_len = 0;
	for (size_t i = 0; i + 4 <= hd->len; i++)
		if (memcmp(hd->bytes + i, "\r\n\r\n", 4) == 0) {
			complete = 1;
			head_len = i + 4;
			break;
		}
	if (!complete)
		return L7_SPLICE_ROUTE_MORE;
	if (h->wait)
		return L7_SPLICE_ROUTE_WAIT;
	r->backend = l7_addr_from_v4(h->backend_ip);
	r->backend_port = BPORT;
	r->request_bytes = h->request_bytes == UINT64_MAX ? head_len : h->request_bytes;
	r->n_inserts = (uint8_t)h->n_ins;
	for (int i = 0; i < h->n_ins; i++) {
		r->inserts[i] = h->ins[i];
		r->inserts[i].stream_off += hd->stream_off;
	}
	return L7_SPLICE_ROUTE_GO;
}

static uint32_t isn_cb(void *user, const struct l7_flow_key *k, uint32_t cisn)
{
	(void)k;
	(void)cisn;
	return ((struct h *)user)->isn;
}

static void setup_engine_cfg(struct h *h, int stateful, uint32_t max_old_legs)
{
	memset(&h->cfg, 0, sizeof(h->cfg));
	h->cfg.max_conns = 8;
	h->cfg.max_old_legs = max_old_legs;
	h->cfg.buf_bytes = 4096;
	h->cfg.max_heads = h->max_heads;
	h->cfg.stateful = (uint8_t)stateful;
	for (int i = 0; i < 16; i++)
		h->cfg.cookie.secret[i] = (uint8_t)(0xa0 + i);
	h->cfg.cookie.period_ns = 1000000000ull;
	h->cfg.route = route_cb;
	h->cfg.emit = emit_cb;
	h->cfg.user = h;
	if (h->isn)
		h->cfg.isn_fn = isn_cb;
	int err = 1;
	h->s = l7_splice_create(&h->cfg, &err);
	assert_non_null(h->s);
	assert_int_equal(err, 0);
}

static void setup_engine(struct h *h, int stateful)
{
	setup_engine_cfg(h, stateful, 0);
}

static int setup(void **state)
{
	struct h *h = calloc(1, sizeof(*h));
	h->backend_ip = BE1_IP;
	h->request_bytes = 0;
	h->now = 1000ull * 1000000000ull;
	h->c_isn = 0x1000;
	H = h;
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct h *h = *state;
	l7_splice_destroy(h->s);
	free(h);
	return 0;
}

/* ------------------------------------------------------------ packets */

struct pk {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t flags, win;
	const uint8_t *opts;
	size_t olen;
	const char *data;
	size_t len;
};

static int feed(struct h *h, const struct pk *k)
{
	struct l7_tcp_build b = { 0 };
	b.linktype = L7_LINKTYPE_RAW;
	b.ip_version = 4;
	b.ttl = 64;
	b.src = l7_addr_from_v4(k->src);
	b.dst = l7_addr_from_v4(k->dst);
	b.sport = k->sport;
	b.dport = k->dport;
	b.seq = k->seq;
	b.ack = k->ack;
	b.flags = k->flags;
	b.window = k->win ? k->win : 1000;
	b.opts = k->opts;
	b.opts_len = k->olen;
	b.payload = (const uint8_t *)k->data;
	b.payload_len = k->data ? (k->len ? k->len : strlen(k->data)) : 0;
	uint8_t frame[4096];
	size_t n = 0;
	assert_int_equal(l7_pkt_build_tcp(frame, sizeof(frame), &b, &n), 0);
	h->n_out = 0;
	return l7_splice_input(h->s, frame, n, L7_LINKTYPE_RAW, h->now);
}

static int from_client(struct h *h, uint32_t seq, uint32_t ack, uint16_t flags,
		       const uint8_t *opts, size_t olen, const char *data)
{
	struct pk k = { CLIENT_IP, VIP_IP, CPORT, VPORT, seq, ack, flags, 0, opts, olen, data, 0 };
	return feed(h, &k);
}

static int from_server(struct h *h, uint32_t ip, uint32_t seq, uint32_t ack, uint16_t flags,
		       const uint8_t *opts, size_t olen, const char *data)
{
	struct pk k = { ip, CLIENT_IP, BPORT, CPORT, seq, ack, flags, 0, opts, olen, data, 0 };
	return feed(h, &k);
}

static const uint8_t *payload(const struct outpkt *o)
{
	return o->p.data + o->p.payload_off;
}

/* Linux-like SYN options: MSS, SACK-perm, TS, NOP, WS. */
static size_t syn_opts(uint8_t *o, uint16_t mss, uint32_t tsval, int ws)
{
	struct l7_tcp_opts t = { 0 };
	t.has = L7_TCPO_HAS_MSS | L7_TCPO_HAS_SACK_PERM | L7_TCPO_HAS_TS;
	t.mss = mss;
	t.ts_val = tsval;
	if (ws >= 0) {
		t.has |= L7_TCPO_HAS_WS;
		t.wscale = (uint8_t)ws;
	}
	int n = l7_tcp_opts_encode(&t, o, 40);
	assert_true(n > 0);
	return (size_t)n;
}

static size_t ts_opt(uint8_t *o, uint32_t val, uint32_t ecr)
{
	struct l7_tcp_opts t = { 0 };
	t.has = L7_TCPO_HAS_TS;
	t.ts_val = val;
	t.ts_ecr = ecr;
	return (size_t)l7_tcp_opts_encode(&t, o, 40);
}

#define REQ "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
#define REQ_LEN 27u
static const char req[] = REQ;

/* Client handshake with TS (tsval 500) and WS 2; returns our ISN. */
static void client_handshake(struct h *h, int with_ts)
{
	uint8_t o[40];
	size_t n = with_ts ? syn_opts(o, 1400, 500, 2) : 0;
	if (!with_ts) {
		struct l7_tcp_opts t = { .has = L7_TCPO_HAS_MSS | L7_TCPO_HAS_WS |
						L7_TCPO_HAS_SACK_PERM, .mss = 1400, .wscale = 2 };
		n = (size_t)l7_tcp_opts_encode(&t, o, 40);
	}
	assert_int_equal(from_client(h, h->c_isn, 0, L7_TCP_SYN, o, n, NULL), L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 1);
	struct outpkt *sa = &h->out[0];
	assert_int_equal(sa->side, L7_SPLICE_TO_CLIENT);
	assert_int_equal(sa->p.tcp_flags, L7_TCP_SYN | L7_TCP_ACK);
	assert_int_equal(sa->p.tcp_ack, h->c_isn + 1);
	assert_true(sa->o.has & L7_TCPO_HAS_MSS);
	assert_int_equal(sa->o.mss, 1460);
	h->l_isn = sa->p.tcp_seq;
	uint8_t a[40];
	size_t an = with_ts ? ts_opt(a, 501, sa->o.ts_val) : 0;
	if (with_ts) {
		assert_true(sa->o.has & L7_TCPO_HAS_WS);
		assert_true(sa->o.has & L7_TCPO_HAS_SACK_PERM);
		assert_int_equal(sa->o.ts_ecr, 500);
	}
	int rc = from_client(h, h->c_isn + 1, h->l_isn + 1, L7_TCP_ACK, a, an, NULL);
	assert_int_equal(rc, L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 0);
	struct l7_flow_key k;
	struct l7_addr c = l7_addr_from_v4(CLIENT_IP), v = l7_addr_from_v4(VIP_IP);
	l7_flow_key_make(&k, &c, CPORT, &v, VPORT, L7_IPPROTO_TCP);
	int id = l7_splice_find(h->s, &k);
	assert_true(id >= 0);
	h->conn = (uint32_t)id;
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_FRONT_ESTABLISHED);
}

/* Send the request; expect a SYN to the back-end. */
static void send_request(struct h *h, int with_ts)
{
	uint8_t a[40];
	size_t an = with_ts ? ts_opt(a, 502, 0) : 0;
	assert_int_equal(from_client(h, h->c_isn + 1, h->l_isn + 1, L7_TCP_ACK | L7_TCP_PSH, a,
				     an, REQ),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 1);
	struct outpkt *syn = &h->out[0];
	assert_int_equal(syn->side, L7_SPLICE_TO_SERVER);
	assert_int_equal(syn->p.tcp_flags, L7_TCP_SYN);
	assert_int_equal(syn->p.tcp_seq, h->c_isn); /* client bytes keep their numbers */
	assert_int_equal(l7_addr_v4(&syn->p.dst), h->backend_ip);
	assert_int_equal(l7_addr_v4(&syn->p.src), CLIENT_IP); /* transparent */
	assert_int_equal(syn->p.dport, BPORT);
	assert_int_equal(syn->o.mss, 1400); /* min(client 1400, ours 1460) */
	assert_true(syn->o.has & L7_TCPO_HAS_WS);
	assert_int_equal(syn->o.wscale, 2); /* the client's own shift */
	assert_true(syn->o.has & L7_TCPO_HAS_SACK_PERM);
	if (with_ts) {
		assert_true(syn->o.has & L7_TCPO_HAS_TS);
		assert_int_equal(syn->o.ts_val, 502);
	}
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_SYN_SENT);
}

#define B_ISN 0x70000000u

/* Back-end SYN-ACK (ws 9, TS 9000, MSS mss); returns the flushed packets. */
static void backend_synack(struct h *h, uint32_t ip, uint32_t b_isn, uint32_t syn_isn,
			   uint16_t mss, int with_ts)
{
	struct l7_tcp_opts t = { 0 };
	t.has = L7_TCPO_HAS_MSS | L7_TCPO_HAS_WS | L7_TCPO_HAS_SACK_PERM;
	t.mss = mss;
	t.wscale = 9;
	if (with_ts) {
		t.has |= L7_TCPO_HAS_TS;
		t.ts_val = 9000;
		t.ts_ecr = 502;
	}
	uint8_t o[40];
	int n = l7_tcp_opts_encode(&t, o, 40);
	assert_int_equal(from_server(h, ip, b_isn, syn_isn + 1, L7_TCP_SYN | L7_TCP_ACK, o,
				     (size_t)n, NULL),
			 L7_SPLICE_IN_CONSUMED);
}

/* Full setup to ESTABLISHED with the request flushed. */
static void establish(struct h *h, int with_ts)
{
	client_handshake(h, with_ts);
	send_request(h, with_ts);
	backend_synack(h, h->backend_ip, B_ISN, h->c_isn, 1460, with_ts);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_ESTABLISHED);
}

/* ------------------------------------------------------------ tests */

static void cookie_handshake_to_established(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	establish(h, 1);
	/* The head went out with the back-end's ISN acked, the client's seq. */
	assert_int_equal(h->n_out, 1);
	struct outpkt *d = &h->out[0];
	assert_int_equal(d->side, L7_SPLICE_TO_SERVER);
	assert_int_equal(d->p.tcp_seq, h->c_isn + 1);
	assert_int_equal(d->p.tcp_ack, B_ISN + 1);
	assert_int_equal(d->p.payload_len, REQ_LEN);
	assert_memory_equal(payload(d), REQ, REQ_LEN);
	assert_true(d->o.has & L7_TCPO_HAS_TS);
	assert_int_equal(d->o.ts_val, 502);
	assert_int_equal(d->o.ts_ecr, 9000);
	/* Back-end ACK + response -> client, in the client's numbers. */
	uint8_t o[40];
	size_t on = ts_opt(o, 9005, 502);
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 1, h->c_isn + 1 + REQ_LEN,
				     L7_TCP_ACK | L7_TCP_PSH, o, on, "HTTP/1.1 200 OK\r\n\r\n"),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->n_out, 1);
	struct outpkt *r = &h->out[0];
	assert_int_equal(r->side, L7_SPLICE_TO_CLIENT);
	assert_int_equal(l7_addr_v4(&r->p.src), VIP_IP);
	assert_int_equal(r->p.sport, VPORT);
	assert_int_equal(r->p.tcp_seq, h->l_isn + 1);
	assert_int_equal(r->p.tcp_ack, h->c_isn + 1 + REQ_LEN);
	/* TSval continues our clock, never below what the client saw. */
	assert_true(r->o.ts_val >= (uint32_t)(h->now / 1000000) - 64);
	assert_int_equal(r->o.ts_ecr, 502);
	const struct l7_splice_stats *st = l7_splice_stats(h->s);
	assert_int_equal(st->cookie_ok, 1);
	assert_int_equal(st->legs_opened, 1);
}

static void stateful_handshake_and_syn_retransmit(void **state)
{
	struct h *h = *state;
	setup_engine(h, 1);
	uint8_t o[40];
	size_t n = syn_opts(o, 1460, 500, 2);
	assert_int_equal(from_client(h, h->c_isn, 0, L7_TCP_SYN, o, n, NULL), L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 1);
	uint32_t isn = h->out[0].p.tcp_seq;
	struct l7_flow_key k;
	struct l7_addr c = l7_addr_from_v4(CLIENT_IP), v = l7_addr_from_v4(VIP_IP);
	l7_flow_key_make(&k, &c, CPORT, &v, VPORT, L7_IPPROTO_TCP);
	int id = l7_splice_find(h->s, &k);
	assert_true(id >= 0);
	assert_int_equal(l7_splice_conn_state(h->s, (uint32_t)id), L7_SPLICE_SYN_RCVD);
	/* A retransmitted SYN gets the same SYN-ACK. */
	assert_int_equal(from_client(h, h->c_isn, 0, L7_TCP_SYN, o, n, NULL), L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_seq, isn);
	/* A wrong ACK does not complete it; the right one does. */
	uint8_t a[40];
	size_t an = ts_opt(a, 501, h->out[0].o.ts_val);
	assert_int_equal(from_client(h, h->c_isn + 1, isn + 7, L7_TCP_ACK, a, an, NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(l7_splice_conn_state(h->s, (uint32_t)id), L7_SPLICE_SYN_RCVD);
	assert_int_equal(from_client(h, h->c_isn + 1, isn + 1, L7_TCP_ACK, a, an, NULL),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(l7_splice_conn_state(h->s, (uint32_t)id), L7_SPLICE_FRONT_ESTABLISHED);
}

static void cookie_forged_and_stale_acks_reset(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	uint8_t o[40];
	size_t n = syn_opts(o, 1460, 500, 2);
	from_client(h, h->c_isn, 0, L7_TCP_SYN, o, n, NULL);
	uint32_t cookie = h->out[0].p.tcp_seq;
	/* Forged: RST with seq = the ACK's ack (RFC 9293 §3.10.7.1). */
	assert_int_equal(from_client(h, h->c_isn + 1, cookie + 2, L7_TCP_ACK, NULL, 0, NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_RST);
	assert_int_equal(h->out[0].p.tcp_seq, cookie + 2);
	assert_int_equal(l7_splice_stats(h->s)->cookie_bad, 1);
	/* Stale: ten periods later. */
	h->now += 10ull * 1000000000ull;
	assert_int_equal(from_client(h, h->c_isn + 1, cookie + 1, L7_TCP_ACK, NULL, 0, NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(l7_splice_stats(h->s)->cookie_stale, 1);
	assert_int_equal(l7_splice_active(h->s), 0);
	/* A stray RST is never answered. */
	assert_int_equal(from_client(h, 5, 0, L7_TCP_RST, NULL, 0, NULL), L7_SPLICE_IN_DROPPED);
	assert_int_equal(h->n_out, 0);
}

static void cookie_without_ts_offers_no_ws_sack(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	client_handshake(h, 0);
	/* SYN-ACK had neither WS nor SACK-perm nor TS: nothing to remember. */

	assert_int_equal(from_client(h, h->c_isn + 1, h->l_isn + 1, L7_TCP_ACK, NULL, 0, REQ),
			 L7_SPLICE_IN_CONSUMED);
	struct outpkt *syn = &h->out[0];
	assert_int_equal(syn->p.tcp_flags, L7_TCP_SYN);
	assert_false(syn->o.has & L7_TCPO_HAS_WS);
	assert_false(syn->o.has & L7_TCPO_HAS_SACK_PERM);
	assert_false(syn->o.has & L7_TCPO_HAS_TS);
	assert_int_equal(syn->o.mss, 1400); /* the cookie's MSS class */
}


/* Configure one insertion "X-F: 1\r\n" after the request line. */
static void one_insert(struct h *h)
{
	memcpy(h->ins_data[0], "X-F: 1\r\n", 8);
	h->ins[0].stream_off = 16;
	h->ins[0].data = h->ins_data[0];
	h->ins[0].len = 8;
	h->n_ins = 1;
}

static void record_four_ack_cases(void **state)
{
	(void)state;
	/* LB-NIC Figure 3: insertions at sender offsets 100 and 1000, 100
	 * bytes each, so at receiver offsets 100 and 1100. */
	struct l7_splice_record r;
	memset(&r, 0, sizeof(r));
	r.n_points = 2;
	r.points[0] = (struct l7_splice_point){ .cseq = 100, .sseq = 100, .len = 100 };
	r.points[1] = (struct l7_splice_point){ .cseq = 1000, .sseq = 1100, .len = 100 };
	enum l7_splice_ack_case c;
	int pt;
	assert_int_equal(l7_splice_map_ack(&r, 50, &c, &pt), 50);
	assert_int_equal(c, L7_SPLICE_ACK_BETWEEN);
	assert_int_equal(l7_splice_map_ack(&r, 100, &c, &pt), 100);
	assert_int_equal(c, L7_SPLICE_ACK_BEFORE_POINT);
	assert_int_equal(pt, 0);
	assert_int_equal(l7_splice_map_ack(&r, 150, &c, &pt), 100);
	assert_int_equal(c, L7_SPLICE_ACK_AFTER_POINT);
	assert_int_equal(l7_splice_map_ack(&r, 200, &c, &pt), 100);
	assert_int_equal(c, L7_SPLICE_ACK_AFTER_POINT);
	assert_int_equal(pt, 0);
	assert_int_equal(l7_splice_map_ack(&r, 700, &c, &pt), 600);
	assert_int_equal(c, L7_SPLICE_ACK_BETWEEN);
	assert_int_equal(l7_splice_map_ack(&r, 1100, &c, &pt), 1000);
	assert_int_equal(c, L7_SPLICE_ACK_BEFORE_POINT);
	assert_int_equal(pt, 1);
	assert_int_equal(l7_splice_map_ack(&r, 1200, &c, &pt), 1000);
	assert_int_equal(c, L7_SPLICE_ACK_AFTER_POINT);
	assert_int_equal(pt, 1);
	assert_int_equal(l7_splice_map_ack(&r, 1500, &c, &pt), 1300);
	assert_int_equal(c, L7_SPLICE_ACK_BEYOND);
	assert_int_equal(l7_splice_map_seq(&r, 50), 50);
	assert_int_equal(l7_splice_map_seq(&r, 100), 200);
	assert_int_equal(l7_splice_map_seq(&r, 999), 1099);
	assert_int_equal(l7_splice_map_seq(&r, 1000), 1200);
	assert_int_equal(l7_splice_map_seq(&r, 1300), 1500);
	/* The same across 2^32. */
	for (int i = 0; i < 2; i++) {
		r.points[i].cseq -= 600;
		r.points[i].sseq -= 600;
	}
	assert_int_equal(l7_splice_map_ack(&r, 1500 - 600, &c, &pt), 1300 - 600);
	assert_int_equal(l7_splice_map_ack(&r, (uint32_t)-400, &c, &pt), (uint32_t)-500);
	assert_int_equal(c, L7_SPLICE_ACK_AFTER_POINT);
	assert_int_equal(l7_splice_map_seq(&r, 400), 600);
}

/* ------------------------------------------------ prepared records */

static size_t rec_frame(uint8_t *f, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
			uint32_t seq, uint32_t ack, const uint8_t *o, size_t olen)
{
	struct l7_tcp_build b = { 0 };
	b.linktype = L7_LINKTYPE_RAW;
	b.ip_version = 4;
	b.ttl = 64;
	b.src = l7_addr_from_v4(src);
	b.dst = l7_addr_from_v4(dst);
	b.sport = sport;
	b.dport = dport;
	b.seq = seq;
	b.ack = ack;
	b.flags = L7_TCP_ACK | L7_TCP_PSH;
	b.window = 500;
	b.opts = o;
	b.opts_len = olen;
	b.payload = (const uint8_t *)"data";
	b.payload_len = 4;
	size_t n = 0;
	assert_int_equal(l7_pkt_build_tcp(f, 256, &b, &n), 0);
	return n;
}

/* Translate one frame with the record prepared and with the same record
 * unprepared (the general path): same result, byte-identical frames,
 * views and record updates, and checksums that verify. */
static void xlate_prepared_and_not(const struct l7_splice_record *r, int s2c, const uint8_t *f,
				   size_t len)
{
	struct l7_splice_record a = *r, b = *r;
	l7_splice_record_prepare(&a);
	assert_int_equal(a.v4_ready, 1);
	b.v4_ready = 0;
	uint8_t fa[256], fb[256];
	memcpy(fa, f, len);
	memcpy(fb, f, len);
	struct l7_pkt pa, pb;
	memset(&pa, 0, sizeof(pa));
	memset(&pb, 0, sizeof(pb));
	assert_int_equal(l7_pkt_parse(&pa, fa, (uint32_t)len, L7_LINKTYPE_RAW), 0);
	assert_int_equal(l7_pkt_parse(&pb, fb, (uint32_t)len, L7_LINKTYPE_RAW), 0);
	int ra = s2c ? l7_splice_xlate_s2c(&a, &pa, fa, NULL) : l7_splice_xlate_c2s(&a, &pa, fa);
	int rb = s2c ? l7_splice_xlate_s2c(&b, &pb, fb, NULL) : l7_splice_xlate_c2s(&b, &pb, fb);
	assert_int_equal(ra, rb);
	assert_int_equal(ra, L7_SPLICE_XLATE_OK);
	assert_memory_equal(fa, fb, len);
	assert_ptr_equal(pa.data, fa);
	pb.data = fa; /* the only field that may differ: it points at the frame */
	assert_memory_equal(&pa, &pb, sizeof(pa));
	assert_int_equal(a.last_s_ack, b.last_s_ack);
	assert_int_equal(a.last_c_ack, b.last_c_ack);
	assert_int_equal(a.has_last, b.has_last);
	assert_memory_equal(fa + 12, s2c ? r->vip.b + 12 : r->leg_src.b + 12, 4);
	assert_memory_equal(fa + 16, s2c ? r->client.b + 12 : r->backend.b + 12, 4);
	assert_int_equal(l7_pkt_parse(&pa, fa, (uint32_t)len, L7_LINKTYPE_RAW), 0);
	assert_int_equal(l7_pkt_csum_verify(&pa), 0);
}

static void prepared_record_translates_like_unprepared(void **state)
{
	(void)state;
	struct l7_splice_record r;
	memset(&r, 0, sizeof(r));
	r.client = l7_addr_from_v4(CLIENT_IP);
	r.client_port = CPORT;
	r.vip = l7_addr_from_v4(VIP_IP);
	r.vip_port = VPORT;
	r.backend = l7_addr_from_v4(BE1_IP);
	r.backend_port = BPORT;
	r.s2c_delta = 0x12345678;
	r.ts_delta = 0x9abcdef0u;
	r.flags = L7_SPLICE_REC_TS;
	r.win_c2s_in = r.win_c2s_out = 2;
	r.win_s2c_in = 9;
	r.win_s2c_out = 7;
	/* Option lists: none, TS, TS + SACK with 1..3 blocks, SACK alone. */
	uint8_t opts[6][40];
	size_t olen[6] = { 0 };
	for (int k = 1; k < 6; k++) {
		uint8_t *o = opts[k];
		size_t n = k < 5 ? ts_opt(o, 0xfffffff0u, 0x00000010u) : 0;
		int nblk = k == 1 ? 0 : k < 5 ? k - 1 : 2;
		if (nblk) {
			o[n++] = 1;
			o[n++] = 1;
			o[n++] = 5;
			o[n++] = (uint8_t)(2 + 8 * nblk);
			for (int i = 0; i < nblk; i++) {
				l7_put_be32(o + n, 0xffffff00u + 300u * (uint32_t)i);
				l7_put_be32(o + n + 4, 0xffffff00u + 300u * (uint32_t)i + 200);
				n += 8;
			}
		}
		olen[k] = n;
	}
	/* SNAT, transparent (leg source = client), and a back-end on the
	 * VIP's port (the port sum covers one changed port). */
	for (int mode = 0; mode < 3; mode++) {
		r.leg_src = mode == 1 ? r.client : l7_addr_from_v4(0x0a000307u);
		r.leg_src_port = mode == 1 ? CPORT : 50123;
		r.backend_port = mode == 2 ? VPORT : BPORT;
		for (int k = 0; k < 6; k++) {
			uint8_t f[256];
			size_t n = rec_frame(f, CLIENT_IP, VIP_IP, CPORT, VPORT, 0xfffffff0u,
					     0x00000123u, opts[k], olen[k]);
			xlate_prepared_and_not(&r, 0, f, n);
			n = rec_frame(f, BE1_IP, l7_addr_v4(&r.leg_src), r.backend_port,
				      r.leg_src_port, 0x7fffff00u, 0xfffffff5u, opts[k], olen[k]);
			xlate_prepared_and_not(&r, 1, f, n);
			/* A packet with other endpoints than the record's (a
			 * caller's mistake) takes the general path: still the
			 * same bytes. */
			n = rec_frame(f, CLIENT_IP + 7, VIP_IP, CPORT, VPORT, 1, 2, opts[k], olen[k]);
			xlate_prepared_and_not(&r, 0, f, n);
			n = rec_frame(f, BE1_IP, l7_addr_v4(&r.leg_src), r.backend_port, 1, 3, 4,
				      opts[k], olen[k]);
			xlate_prepared_and_not(&r, 1, f, n);
		}
	}
	/* IPv6 records need no preparation and are never marked ready. */
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	r.client = l7_addr_from_v6(v6);
	l7_splice_record_prepare(&r);
	assert_int_equal(r.v4_ready, 0);
}

static void insertion_flush_and_ack_cases(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	one_insert(h);
	establish(h, 1);
	/* Flushed as: 16 bytes, the 8 inserted bytes, 11 bytes. */
	assert_int_equal(h->n_out, 3);
	assert_int_equal(h->out[0].p.tcp_seq, h->c_isn + 1);
	assert_int_equal(h->out[0].p.payload_len, 16);
	assert_int_equal(h->out[1].p.tcp_seq, h->c_isn + 17);
	assert_int_equal(h->out[1].p.payload_len, 8);
	assert_memory_equal(payload(&h->out[1]), "X-F: 1\r\n", 8);
	assert_int_equal(h->out[2].p.tcp_seq, h->c_isn + 25);
	assert_int_equal(h->out[2].p.payload_len, 11);
	assert_memory_equal(payload(&h->out[2]), req + 16, 11);
	uint32_t sp = h->c_isn + 17; /* the point on the server leg */
	/* Case 3: exactly before the point; the second duplicate makes the
	 * engine resend the inserted bytes (relaying the ACK too). */
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 1, sp, L7_TCP_ACK, NULL, 0, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->out[0].p.tcp_ack, h->c_isn + 17);
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 1, sp, L7_TCP_ACK, NULL, 0, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 1, sp, L7_TCP_ACK, NULL, 0, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->n_out, 2);
	assert_int_equal(h->out[0].side, L7_SPLICE_TO_CLIENT);
	assert_int_equal(h->out[1].side, L7_SPLICE_TO_SERVER);
	assert_int_equal(h->out[1].p.tcp_seq, sp);
	assert_memory_equal(payload(&h->out[1]), "X-F: 1\r\n", 8);
	assert_int_equal(l7_splice_stats(h->s)->point_retransmits, 1);
	/* Case 4: exactly after the point: a pure ACK would be a false
	 * duplicate at the client, so it is suppressed. */
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 1, sp + 8, L7_TCP_ACK, NULL, 0, NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(l7_splice_stats(h->s)->acks_suppressed, 1);
	/* Case 1: beyond every point: shifted by the inserted length. */
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 1, h->c_isn + 1 + REQ_LEN + 8,
				     L7_TCP_ACK, NULL, 0, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->out[0].p.tcp_ack, h->c_isn + 1 + REQ_LEN);
	/* Case 2 (between points) on a live engine: a second request with
	 * its own point is covered by record_four_ack_cases. */
}

static void retransmission_straddling_point_is_split(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	one_insert(h);
	establish(h, 1);
	/* The client resends its whole request (say the back-end's ACK was
	 * lost): it straddles the point, so it goes out in three pieces. */
	uint8_t a[40];
	size_t an = ts_opt(a, 503, 9000);
	assert_int_equal(from_client(h, h->c_isn + 1, h->l_isn + 1, L7_TCP_ACK | L7_TCP_PSH, a,
				     an, REQ),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 3);
	assert_int_equal(h->out[0].p.tcp_seq, h->c_isn + 1);
	assert_int_equal(h->out[0].p.payload_len, 16);
	assert_int_equal(h->out[1].p.tcp_seq, h->c_isn + 17);
	assert_memory_equal(payload(&h->out[1]), "X-F: 1\r\n", 8);
	assert_int_equal(h->out[2].p.tcp_seq, h->c_isn + 25);
	assert_memory_equal(payload(&h->out[2]), req + 16, 11);
	for (int i = 0; i < 3; i++)
		assert_int_equal(h->out[i].p.tcp_ack, B_ISN + 1);
	/* A retransmission of only the part after the point: one packet,
	 * shifted by the insertion, translated in place. */
	assert_int_equal(from_client(h, h->c_isn + 17, h->l_isn + 1, L7_TCP_ACK, a, an, req + 16),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_seq, h->c_isn + 25);
	assert_int_equal(h->out[0].p.payload_len, 11);
	assert_int_equal(l7_splice_stats(h->s)->c2s_split, 2);
}

/* Build SACK option bytes: optional TS first, then one block. */
static size_t sack_opts(uint8_t *o, int with_ts, uint32_t left, uint32_t right)
{
	size_t n = 0;
	if (with_ts) {
		const uint8_t ts[12] = { 1, 1, 8, 10, 0, 0, 0x01, 0xf7, 0, 0, 0x23, 0x28 };
		memcpy(o, ts, 12); /* TSval 503, TSecr 9000 */
		n = 12;
	}
	o[n++] = 1;
	o[n++] = 1;
	o[n++] = 5;
	o[n++] = 10;
	l7_put_be32(o + n, left);
	l7_put_be32(o + n + 4, right);
	return n + 8;
}

static void sack_translated_with_and_without_ts(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	establish(h, 1);
	struct l7_splice_record r;
	assert_int_equal(l7_splice_export(h->s, h->conn, &r), 0);
	uint32_t l1 = h->l_isn + 1;
	for (int with_ts = 0; with_ts < 2; with_ts++) {
		uint8_t o[40];
		size_t n = sack_opts(o, with_ts, l1 + 1000, l1 + 2000);
		assert_int_equal(from_client(h, h->c_isn + 1 + REQ_LEN, l1, L7_TCP_ACK, o, n, NULL),
				 L7_SPLICE_IN_RELAYED);
		struct outpkt *x = &h->out[0];
		assert_int_equal(x->side, L7_SPLICE_TO_SERVER);
		assert_int_equal(x->p.tcp_ack, B_ISN + 1);
		assert_int_equal(x->o.n_sack, 1);
		assert_int_equal(x->o.sack[0].left, B_ISN + 1 + 1000);
		assert_int_equal(x->o.sack[0].right, B_ISN + 1 + 2000);
		if (with_ts) {
			assert_int_equal(x->o.ts_val, 503);   /* client TSval passes */
			/* TSecr 9000 echoes a client-leg value; minus ts_delta. */
			assert_int_equal(x->o.ts_ecr, 9000u - r.ts_delta);
		}
	}
}

static void ts_translated_both_ways(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	establish(h, 1);
	struct l7_splice_record r;
	assert_int_equal(l7_splice_export(h->s, h->conn, &r), 0);
	assert_true(r.flags & L7_SPLICE_REC_TS);
	/* Back-end TSval 9100 -> client sees 9100 + ts_delta. */
	uint8_t o[40];
	size_t n = ts_opt(o, 9100, 503);
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 1, h->c_isn + 1 + REQ_LEN, L7_TCP_ACK, o,
				     n, "hello"),
			 L7_SPLICE_IN_RELAYED);
	uint32_t seen = h->out[0].o.ts_val;
	assert_int_equal(seen, 9100 + r.ts_delta);
	assert_int_equal(h->out[0].o.ts_ecr, 503);
	/* The client echoes it; the back-end gets its own value back. */
	n = ts_opt(o, 504, seen);
	assert_int_equal(from_client(h, h->c_isn + 1 + REQ_LEN, h->l_isn + 6, L7_TCP_ACK, o, n,
				     NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->out[0].o.ts_val, 504);
	assert_int_equal(h->out[0].o.ts_ecr, 9100);
	assert_int_equal(h->out[0].p.tcp_ack, B_ISN + 6);
}

static void window_scale_mismatch(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	establish(h, 1);
	struct l7_splice_record r;
	assert_int_equal(l7_splice_export(h->s, h->conn, &r), 0);
	/* Client shift 2 on both legs (we sent it in our SYN); back-end 9
	 * toward us, ours 7 toward the client. */
	assert_int_equal(r.win_c2s_in, 2);
	assert_int_equal(r.win_c2s_out, 2);
	assert_int_equal(r.win_s2c_in, 9);
	assert_int_equal(r.win_s2c_out, 7);
	struct pk k = { BE1_IP, CLIENT_IP, BPORT, CPORT, B_ISN + 1, h->c_isn + 28, L7_TCP_ACK,
			100, NULL, 0, NULL, 0 };
	feed(h, &k);
	assert_int_equal(h->out[0].p.tcp_window, 400); /* 100 << 9 >> 7 */
	struct pk c = { CLIENT_IP, VIP_IP, CPORT, VPORT, h->c_isn + 28, h->l_isn + 1, L7_TCP_ACK,
			777, NULL, 0, NULL, 0 };
	feed(h, &c);
	assert_int_equal(h->out[0].p.tcp_window, 777);
	/* A window that would round to zero stays open. */
	k.win = 1;
	k.ack = h->c_isn + 28;
	k.seq = B_ISN + 1;
	k.data = "x";
	feed(h, &k);
	assert_int_equal(h->out[0].p.tcp_window, 4);
}

static void window_scale_backend_refuses(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	client_handshake(h, 1);
	send_request(h, 1);
	/* SYN-ACK without WS: no scaling on the server leg at all. */
	struct l7_tcp_opts t = { .has = L7_TCPO_HAS_MSS | L7_TCPO_HAS_TS, .mss = 1460,
				 .ts_val = 9000, .ts_ecr = 502 };
	uint8_t o[40];
	int n = l7_tcp_opts_encode(&t, o, 40);
	from_server(h, BE1_IP, B_ISN, h->c_isn + 1, L7_TCP_SYN | L7_TCP_ACK, o, (size_t)n, NULL);
	struct l7_splice_record r;
	assert_int_equal(l7_splice_export(h->s, h->conn, &r), 0);
	assert_int_equal(r.win_c2s_in, 2);
	assert_int_equal(r.win_c2s_out, 0);
	assert_int_equal(r.win_s2c_in, 0);
	assert_int_equal(r.win_s2c_out, 7);
	/* And SACK was refused: client SACK blocks are NOPed out. */
	assert_true(r.flags & L7_SPLICE_REC_STRIP_SACK);
	uint8_t so[40];
	size_t sn = sack_opts(so, 0, h->l_isn + 10, h->l_isn + 20);
	struct pk c = { CLIENT_IP, VIP_IP, CPORT, VPORT, h->c_isn + 28, h->l_isn + 1, L7_TCP_ACK,
			1000, so, sn, NULL, 0 };
	feed(h, &c);
	assert_int_equal(h->out[0].p.tcp_window, 4000);
	assert_int_equal(h->out[0].o.n_sack, 0);
	assert_false(h->out[0].o.has & L7_TCPO_HAS_SACK);
}

static void mss_clamped_on_server_leg(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	client_handshake(h, 1);
	static char big[2600];
	memset(big, 0, sizeof(big));
	strcpy(big, "GET / HTTP/1.1\r\nX: ");
	size_t off = strlen(big);
	memset(big + off, 'a', 2500);
	strcpy(big + off + 2500, "\r\n\r\n");
	size_t total = strlen(big);
	uint8_t a[40];
	size_t an = ts_opt(a, 502, 0);
	/* Two segments (client MSS 1400). */
	assert_int_equal(from_client(h, h->c_isn + 1, h->l_isn + 1, L7_TCP_ACK, a, an,
				     "GET / HTTP/1.1\r\nX: "),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 0);
	struct pk k = { CLIENT_IP, VIP_IP, CPORT, VPORT, h->c_isn + 1 + (uint32_t)off,
			h->l_isn + 1, L7_TCP_ACK, 0, a, an, big + off, total - off };
	assert_int_equal(feed(h, &k), L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].o.mss, 1400);
	/* The back-end says 1000: the head goes in 1000-byte segments. */
	backend_synack(h, BE1_IP, B_ISN, h->c_isn, 1000, 1);
	assert_int_equal(h->n_out, 3);
	size_t sum = 0;
	for (int i = 0; i < 3; i++) {
		assert_true(h->out[i].p.payload_len <= 1000);
		assert_int_equal(h->out[i].p.tcp_seq, h->c_isn + 1 + (uint32_t)sum);
		assert_memory_equal(payload(&h->out[i]), big + sum, h->out[i].p.payload_len);
		sum += h->out[i].p.payload_len;
	}
	assert_int_equal(sum, total);
}

static void isn_wraparound(void **state)
{
	struct h *h = *state;
	h->isn = 0xfffffff8u;
	h->c_isn = 0xfffffff0u;
	setup_engine(h, 1);
	one_insert(h);
	uint8_t o[40];
	size_t n = syn_opts(o, 1400, 500, 2);
	from_client(h, h->c_isn, 0, L7_TCP_SYN, o, n, NULL);
	h->l_isn = h->out[0].p.tcp_seq;
	assert_int_equal(h->l_isn, 0xfffffff8u);
	uint8_t a[40];
	size_t an = ts_opt(a, 501, h->out[0].o.ts_val);
	from_client(h, h->c_isn + 1, h->l_isn + 1, L7_TCP_ACK, a, an, NULL);
	h->conn = 0;
	send_request(h, 0);
	backend_synack(h, BE1_IP, 0xfffffffdu, h->c_isn, 1460, 1);
	assert_int_equal(h->n_out, 3);
	assert_int_equal(h->out[1].p.tcp_seq, h->c_isn + 17); /* = 1, past 2^32 */
	assert_int_equal(h->out[1].p.tcp_seq, 1u);
	assert_int_equal(h->out[2].p.tcp_seq, 9u);
	/* Response: back-end seq 0xfffffffe -> client seq 0xfffffff9. */
	size_t tn = ts_opt(o, 9001, 502);
	from_server(h, BE1_IP, 0xfffffffeu, h->c_isn + 1 + REQ_LEN + 8, L7_TCP_ACK, o, tn,
		    "0123456789");
	assert_int_equal(h->out[0].p.tcp_seq, 0xfffffff9u);
	assert_int_equal(h->out[0].p.tcp_ack, h->c_isn + 1 + REQ_LEN); /* = 0x0c */
	assert_int_equal(h->out[0].p.tcp_ack, 0x0cu);
	/* Client ACKs across the wrap. */
	tn = ts_opt(o, 505, h->out[0].o.ts_val);
	from_client(h, 0x0c, 0xfffffff9u + 10, L7_TCP_ACK, o, tn, NULL);
	assert_int_equal(h->out[0].p.tcp_ack, 0xfffffffeu + 10);
	assert_int_equal(h->out[0].p.tcp_seq, 0x0cu + 8);
}

static void resplice_to_new_backend(void **state)
{
	struct h *h = *state;
	h->request_bytes = UINT64_MAX; /* request = head: keep-alive inspection */
	setup_engine(h, 0);
	establish(h, 1);
	uint8_t o[40];
	size_t n = ts_opt(o, 9001, 502);
	from_server(h, BE1_IP, B_ISN + 1, h->c_isn + 28, L7_TCP_ACK | L7_TCP_PSH, o, n,
		    "0123456789");
	assert_int_equal(h->out[0].p.tcp_seq, h->l_isn + 1);
	/* Second request for another back-end, before the client ACKed the
	 * response: the engine must wait. */
	h->backend_ip = BE2_IP;
	n = ts_opt(o, 510, h->out[0].o.ts_val);
	assert_int_equal(from_client(h, h->c_isn + 28, h->l_isn + 1, L7_TCP_ACK | L7_TCP_PSH, o,
				     n, REQ),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 0);
	/* The client ACKs the response: the ACK goes to back-end 1, then its
	 * leg is closed with a FIN and a SYN goes to back-end 2, aligned
	 * with the client's position. */
	assert_int_equal(from_client(h, h->c_isn + 55, h->l_isn + 11, L7_TCP_ACK, o, n, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->n_out, 3);
	assert_int_equal(h->out[0].p.tcp_ack, B_ISN + 11);
	assert_int_equal(h->out[1].p.tcp_flags, L7_TCP_FIN | L7_TCP_ACK);
	assert_int_equal(l7_addr_v4(&h->out[1].p.dst), BE1_IP);
	assert_int_equal(h->out[1].p.tcp_seq, h->c_isn + 28);
	assert_int_equal(h->out[1].p.tcp_ack, B_ISN + 11);
	assert_int_equal(h->out[2].p.tcp_flags, L7_TCP_SYN);
	assert_int_equal(l7_addr_v4(&h->out[2].p.dst), BE2_IP);
	assert_int_equal(h->out[2].p.tcp_seq, h->c_isn + 27);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_SYN_SENT);
	/* Back-end 2 answers; the second request is flushed. */
	backend_synack(h, BE2_IP, 0x5000, h->c_isn + 27, 1460, 1);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_seq, h->c_isn + 28);
	assert_int_equal(h->out[0].p.tcp_ack, 0x5001);
	assert_memory_equal(payload(&h->out[0]), REQ, REQ_LEN);
	/* Its response lands right after the first one at the client. */
	n = ts_opt(o, 9500, 510);
	from_server(h, BE2_IP, 0x5001, h->c_isn + 55, L7_TCP_ACK, o, n, "abc");
	assert_int_equal(h->out[0].p.tcp_seq, h->l_isn + 11);
	assert_int_equal(h->out[0].p.tcp_ack, h->c_isn + 55);
	assert_int_equal(l7_addr_v4(&h->out[0].p.src), VIP_IP);
	/* TSvals toward the client never go backwards across back-ends. */
	assert_true(!l7_seq_before(h->out[0].o.ts_val, 9001));
	/* Back-end 1 finishes its close; we ACK its FIN. */
	n = ts_opt(o, 9002, 510);
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 11, h->c_isn + 29,
				     L7_TCP_FIN | L7_TCP_ACK, o, n, NULL),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_ACK);
	assert_int_equal(h->out[0].p.tcp_ack, B_ISN + 12);
	assert_int_equal(h->out[0].p.tcp_seq, h->c_isn + 29);
	assert_int_equal(l7_splice_stats(h->s)->resplices, 1);
	/* Later packets from back-end 1 are strays now. */
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 12, h->c_isn + 29, L7_TCP_ACK, NULL, 0,
				     NULL),
			 L7_SPLICE_IN_DROPPED);
}

static void same_backend_keepalive_with_second_insert(void **state)
{
	struct h *h = *state;
	h->request_bytes = UINT64_MAX;
	setup_engine(h, 0);
	one_insert(h);
	establish(h, 1);
	/* Back-end ACKs everything; second request on the same leg gets its
	 * own insertion: client offsets shift by 16 total on the server. */
	from_server(h, BE1_IP, B_ISN + 1, h->c_isn + 1 + REQ_LEN + 8, L7_TCP_ACK, NULL, 0, "ok");
	uint8_t o[40];
	size_t n = ts_opt(o, 511, 9000);
	from_client(h, h->c_isn + 28, h->l_isn + 3, L7_TCP_ACK, o, n, REQ);
	assert_int_equal(h->n_out, 3);
	assert_int_equal(h->out[0].p.tcp_seq, h->c_isn + 28 + 8);
	assert_int_equal(h->out[1].p.tcp_seq, h->c_isn + 28 + 8 + 16);
	assert_memory_equal(payload(&h->out[1]), "X-F: 1\r\n", 8);
	assert_int_equal(h->out[2].p.tcp_seq, h->c_isn + 28 + 16 + 16);
	/* Case 2 live: an ACK between the two points. */
	from_server(h, BE1_IP, B_ISN + 3, h->c_isn + 28 + 8 + 10, L7_TCP_ACK, NULL, 0, NULL);
	assert_int_equal(h->out[0].p.tcp_ack, h->c_isn + 28 + 10);
	/* Beyond both. */
	from_server(h, BE1_IP, B_ISN + 3, h->c_isn + 55 + 16, L7_TCP_ACK, NULL, 0, NULL);
	assert_int_equal(h->out[0].p.tcp_ack, h->c_isn + 55);
}

static void half_close_then_full_close(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	establish(h, 0 + 1);
	uint8_t o[40];
	size_t n = ts_opt(o, 520, 9000);
	uint32_t cend = h->c_isn + 28;
	/* Client half-closes. */
	assert_int_equal(from_client(h, cend, h->l_isn + 1, L7_TCP_FIN | L7_TCP_ACK, o, n, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_FIN | L7_TCP_ACK);
	assert_int_equal(h->out[0].p.tcp_seq, cend);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_CLOSING);
	/* The back-end keeps sending, and ACKs the FIN. */
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 1, cend + 1, L7_TCP_ACK, NULL, 0, "data"),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->out[0].p.tcp_seq, h->l_isn + 1);
	assert_int_equal(h->out[0].p.tcp_ack, cend + 1);
	/* Client ACKs the data (still allowed after its FIN). */
	from_client(h, cend + 1, h->l_isn + 5, L7_TCP_ACK, o, n, NULL);
	assert_int_equal(h->out[0].p.tcp_ack, B_ISN + 5);
	/* Back-end FIN, client's last ACK: the entry is retired. */
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 5, cend + 1, L7_TCP_FIN | L7_TCP_ACK, NULL,
				     0, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->out[0].p.tcp_seq, h->l_isn + 5);
	assert_int_equal(l7_splice_active(h->s), 1);
	from_client(h, cend + 1, h->l_isn + 6, L7_TCP_ACK, o, n, NULL);
	assert_int_equal(h->out[0].p.tcp_ack, B_ISN + 6);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_CLOSED);
	/* Lingering: a retransmitted FIN is still translated... */
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 5, cend + 1, L7_TCP_FIN | L7_TCP_ACK, NULL,
				     0, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->out[0].p.tcp_seq, h->l_isn + 5);
	/* ...and the entry goes after linger_ns (default 2 s). */
	l7_splice_tick(h->s, h->now + 1999999999ull);
	assert_int_equal(l7_splice_active(h->s), 1);
	l7_splice_tick(h->s, h->now + 2000000000ull);
	assert_int_equal(l7_splice_active(h->s), 0);
	assert_int_equal(l7_splice_stats(h->s)->conn_retired, 1);
}

static void rst_from_client_and_from_server(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	establish(h, 1);
	assert_int_equal(from_client(h, h->c_isn + 28, h->l_isn + 1, L7_TCP_RST | L7_TCP_ACK, NULL,
				     0, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->out[0].side, L7_SPLICE_TO_SERVER);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_RST | L7_TCP_ACK);
	assert_int_equal(h->out[0].p.tcp_seq, h->c_isn + 28);
	assert_int_equal(h->out[0].p.tcp_ack, B_ISN + 1);
	assert_int_equal(l7_splice_active(h->s), 0);
	/* Again, the back-end resets this time. */
	h->c_isn += 1000;
	struct l7_flow_key k;
	(void)k;
	establish(h, 1);
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 1, 0, L7_TCP_RST, NULL, 0, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->out[0].side, L7_SPLICE_TO_CLIENT);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_RST);
	assert_int_equal(h->out[0].p.tcp_seq, h->l_isn + 1);
	assert_int_equal(l7_splice_active(h->s), 0);
	assert_int_equal(l7_splice_stats(h->s)->rst_relayed, 2);
}

static void head_too_big_resets(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	client_handshake(h, 1);
	static char seg[1400];
	memset(seg, 'a', sizeof(seg));
	uint8_t a[40];
	size_t an = ts_opt(a, 502, 0);
	for (uint32_t i = 0; i < 2; i++) {
		struct pk k = { CLIENT_IP, VIP_IP, CPORT, VPORT, h->c_isn + 1 + i * 1400,
				h->l_isn + 1, L7_TCP_ACK, 0, a, an, seg, 1400 };
		assert_int_equal(feed(h, &k), L7_SPLICE_IN_CONSUMED);
		assert_int_equal(h->n_out, 0);
	}
	struct pk k = { CLIENT_IP, VIP_IP, CPORT, VPORT, h->c_isn + 1 + 2800, h->l_isn + 1,
			L7_TCP_ACK, 0, a, an, seg, 1400 };
	feed(h, &k);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_RST | L7_TCP_ACK);
	assert_int_equal(h->out[0].p.tcp_seq, h->l_isn + 1);
	assert_int_equal(l7_splice_stats(h->s)->head_too_big, 1);
	assert_int_equal(l7_splice_active(h->s), 0);
}

static void out_of_order_head_segment_dropped(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	client_handshake(h, 1);
	uint8_t a[40];
	size_t an = ts_opt(a, 502, 0);
	/* Second half first: dropped (the client resends it). */
	from_client(h, h->c_isn + 1 + 10, h->l_isn + 1, L7_TCP_ACK, a, an, req + 10);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(l7_splice_stats(h->s)->dropped_gap, 1);
	from_client(h, h->c_isn + 1, h->l_isn + 1, L7_TCP_ACK, a, an, "GET / HTTP");
	assert_int_equal(h->n_out, 0);
	/* Overlapping resend completes the head. */
	from_client(h, h->c_isn + 1 + 5, h->l_isn + 1, L7_TCP_ACK, a, an, req + 5);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_SYN);
}

static void agent_record_translates_like_engine(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	one_insert(h);
	establish(h, 1);
	struct l7_splice_record rec, rec0;
	assert_int_equal(l7_splice_export(h->s, h->conn, &rec), 0);
	assert_int_equal(rec.v4_ready, 1); /* exported records come prepared */
	rec0 = rec;
	/* The same back-end packet through the engine and through an agent
	 * holding only the record must leave byte-identical. */
	uint8_t o[40];
	size_t n = ts_opt(o, 9100, 503);
	struct l7_tcp_build b = { 0 };
	b.linktype = L7_LINKTYPE_RAW;
	b.ip_version = 4;
	b.ttl = 64;
	b.src = l7_addr_from_v4(BE1_IP);
	b.dst = l7_addr_from_v4(CLIENT_IP);
	b.sport = BPORT;
	b.dport = CPORT;
	b.seq = B_ISN + 1;
	b.ack = h->c_isn + 1 + REQ_LEN + 8;
	b.flags = L7_TCP_ACK;
	b.window = 300;
	b.opts = o;
	b.opts_len = n;
	b.payload = (const uint8_t *)"resp";
	b.payload_len = 4;
	uint8_t f1[256], f2[256];
	size_t len = 0;
	assert_int_equal(l7_pkt_build_tcp(f1, sizeof(f1), &b, &len), 0);
	memcpy(f2, f1, len);
	h->n_out = 0;
	assert_int_equal(l7_splice_input(h->s, f1, len, L7_LINKTYPE_RAW, h->now),
			 L7_SPLICE_IN_RELAYED);
	struct l7_pkt p;
	assert_int_equal(l7_pkt_parse(&p, f2, (uint32_t)len, L7_LINKTYPE_RAW), 0);
	assert_int_equal(l7_splice_xlate_s2c(&rec, &p, f2, NULL), L7_SPLICE_XLATE_OK);
	assert_int_equal(h->out[0].len, len);
	assert_memory_equal(h->out[0].frame, f2, len);
	/* Client direction too. */
	n = ts_opt(o, 600, 9100 + rec.ts_delta);
	b.src = l7_addr_from_v4(CLIENT_IP);
	b.dst = l7_addr_from_v4(VIP_IP);
	b.sport = CPORT;
	b.dport = VPORT;
	b.seq = h->c_isn + 28;
	b.ack = h->l_isn + 5;
	b.payload = NULL;
	b.payload_len = 0;
	assert_int_equal(l7_pkt_build_tcp(f1, sizeof(f1), &b, &len), 0);
	memcpy(f2, f1, len);
	h->n_out = 0;
	assert_int_equal(l7_splice_input(h->s, f1, len, L7_LINKTYPE_RAW, h->now),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(l7_pkt_parse(&p, f2, (uint32_t)len, L7_LINKTYPE_RAW), 0);
	assert_int_equal(l7_splice_xlate_c2s(&rec, &p, f2), L7_SPLICE_XLATE_OK);
	assert_memory_equal(h->out[0].frame, f2, len);
	assert_int_equal(p.tcp_seq, h->c_isn + 28 + 8);
	assert_int_equal(l7_addr_v4(&p.dst), BE1_IP);
	/* A client segment straddling the point cannot be done by an agent. */
	b.seq = h->c_isn + 10;
	b.payload = (const uint8_t *)"0123456789";
	b.payload_len = 10;
	assert_int_equal(l7_pkt_build_tcp(f2, sizeof(f2), &b, &len), 0);
	assert_int_equal(l7_pkt_parse(&p, f2, (uint32_t)len, L7_LINKTYPE_RAW), 0);
	/* (with the record as it was before the ACK retired the point) */
	assert_int_equal(l7_splice_xlate_c2s(&rec0, &p, f2), L7_ERANGE);
}

static void timers_syn_retransmit_and_idle(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	client_handshake(h, 1);
	send_request(h, 1);
	h->n_out = 0;
	l7_splice_tick(h->s, h->now + 500000000ull);
	assert_int_equal(h->n_out, 0);
	l7_splice_tick(h->s, h->now + 1000000000ull);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_SYN);
	assert_int_equal(h->out[0].p.tcp_seq, h->c_isn);
	/* After syn_retries (3) the client is reset. */
	h->n_out = 0;
	l7_splice_tick(h->s, h->now + 3000000000ull);
	l7_splice_tick(h->s, h->now + 7000000000ull);
	assert_int_equal(h->n_out, 2);
	assert_int_equal(l7_splice_stats(h->s)->syn_retransmits, 3);
	h->n_out = 0;
	l7_splice_tick(h->s, h->now + 15000000000ull);
	assert_int_equal(l7_splice_stats(h->s)->syn_failed, 1);
	assert_int_equal(h->n_out, 2); /* RST to client and to the back-end */
	assert_int_equal(l7_splice_active(h->s), 0);
	/* Idle timeout of an established connection. */
	h->c_isn += 5000;
	establish(h, 1);
	h->n_out = 0;
	l7_splice_tick(h->s, h->now + 299ull * 1000000000ull);
	assert_int_equal(l7_splice_active(h->s), 1);
	l7_splice_tick(h->s, h->now + 300ull * 1000000000ull);
	assert_int_equal(l7_splice_active(h->s), 0);
	assert_int_equal(h->n_out, 2);
	assert_int_equal(l7_splice_stats(h->s)->conn_idle_timeout, 1);
}

static void route_reject_and_wait_resume(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	h->wait = 1;
	client_handshake(h, 1);
	uint8_t a[40];
	size_t an = ts_opt(a, 502, 0);
	from_client(h, h->c_isn + 1, h->l_isn + 1, L7_TCP_ACK, a, an, REQ);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_FRONT_ESTABLISHED);
	h->wait = 0;
	h->n_out = 0;
	assert_int_equal(l7_splice_resume(h->s, h->conn, h->now), 0);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_SYN);
	assert_int_equal(l7_splice_resume(h->s, h->conn, h->now), L7_ESTATE);
	assert_int_equal(l7_splice_resume(h->s, 7, h->now), L7_ENOENT);
	/* The client gives up (RST in SYN_SENT): the back-end is reset too. */
	from_client(h, h->c_isn + 28, h->l_isn + 1, L7_TCP_RST, NULL, 0, NULL);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].side, L7_SPLICE_TO_SERVER);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_RST);
	assert_int_equal(h->out[0].p.tcp_seq, h->c_isn + 1);
	assert_int_equal(l7_splice_active(h->s), 0);
	/* A client FIN before a complete head: rejected with a RST. */
	h->c_isn += 100;
	client_handshake(h, 1);
	from_client(h, h->c_isn + 1, h->l_isn + 1, L7_TCP_ACK | L7_TCP_FIN, a, an, "GET /");
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_RST | L7_TCP_ACK);
	assert_int_equal(l7_splice_stats(h->s)->route_rejected, 1);
}

static void pool_exhaustion_is_counted(void **state)
{
	struct h *h = *state;
	setup_engine(h, 1); /* stateful: state at SYN time, cookies when full */
	uint8_t o[40];
	size_t n = syn_opts(o, 1460, 500, 2);
	for (uint16_t i = 0; i < 9; i++) {
		struct pk k = { CLIENT_IP, VIP_IP, (uint16_t)(1000 + i), VPORT, 77, 0, L7_TCP_SYN,
				0, o, n, NULL, 0 };
		assert_int_equal(feed(h, &k), L7_SPLICE_IN_CONSUMED);
		assert_int_equal(h->n_out, 1); /* a SYN-ACK each time */
	}
	/* The ninth got a stateless cookie SYN-ACK (the pool was full). */
	assert_int_equal(l7_splice_active(h->s), 8);
	assert_int_equal(l7_splice_stats(h->s)->conn_pool_full, 1);
	uint32_t cookie = h->out[0].p.tcp_seq;
	uint8_t a[40];
	size_t an = ts_opt(a, 501, h->out[0].o.ts_val);
	struct pk ack = { CLIENT_IP, VIP_IP, 1008, VPORT, 78, cookie + 1, L7_TCP_ACK, 0, a, an,
			  NULL, 0 };
	/* Its ACK validates, but there is still no room: counted, reset. */
	assert_int_equal(feed(h, &ack), L7_SPLICE_IN_DROPPED);
	assert_int_equal(l7_splice_stats(h->s)->cookie_ok, 1);
	assert_int_equal(l7_splice_stats(h->s)->conn_pool_full, 2);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_RST);
	/* Malformed input is an error, never a crash. */
	uint8_t junk[30] = { 0x45, 0, 0, 30, 0, 0, 0, 0, 64, 6 };
	assert_true(l7_splice_input(h->s, junk, sizeof(junk), L7_LINKTYPE_RAW, h->now) < 0);
	struct pk bad = { CLIENT_IP, VIP_IP, 5, VPORT, 1, 0, L7_TCP_SYN, 0,
			  (const uint8_t *)"\x02\x09\x05\xb4", 4, NULL, 0 };
	assert_int_equal(feed(h, &bad), L7_SPLICE_IN_DROPPED);
	assert_int_equal(l7_splice_stats(h->s)->bad_options, 1);
}

static void keepalive_probe_between_requests_relayed(void **state)
{
	struct h *h = *state;
	h->request_bytes = UINT64_MAX;
	setup_engine(h, 0);
	establish(h, 1);
	/* Between requests the engine buffers the next head, but a TCP
	 * keep-alive probe (seq - 1, no data) must still reach the back-end
	 * (found by the tshark check of the replay). */
	uint8_t o[40];
	size_t n = ts_opt(o, 530, 9000);
	assert_int_equal(from_client(h, h->c_isn + 27, h->l_isn + 1, L7_TCP_ACK, o, n, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->out[0].side, L7_SPLICE_TO_SERVER);
	assert_int_equal(h->out[0].p.tcp_seq, h->c_isn + 27);
	assert_int_equal(h->out[0].p.tcp_ack, B_ISN + 1);
}

static void deep_pipeline_waits_for_points(void **state)
{
	struct h *h = *state;
	h->request_bytes = UINT64_MAX;
	setup_engine(h, 0);
	one_insert(h);
	establish(h, 1);
	/* Eight more pipelined requests in one segment: the first seven fit
	 * next to the live point, the eighth waits until the back-end's ACK
	 * retires points, then goes out with its own insertion. */
	static char pipe[9 * REQ_LEN + 1];
	for (int i = 0; i < 8; i++)
		memcpy(pipe + i * REQ_LEN, REQ, REQ_LEN);
	uint8_t o[40];
	size_t n = ts_opt(o, 531, 9000);
	struct pk k = { CLIENT_IP, VIP_IP, CPORT, VPORT, h->c_isn + 28, h->l_isn + 1, L7_TCP_ACK,
			0, o, n, pipe, 8 * REQ_LEN };
	assert_int_equal(feed(h, &k), L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 7 * 3); /* 7 requests, each split in 3 */
	assert_int_equal(l7_splice_stats(h->s)->points_waits, 1);
	struct l7_splice_record r;
	assert_int_equal(l7_splice_export(h->s, h->conn, &r), 0);
	assert_int_equal(r.n_points, L7_SPLICE_MAX_POINTS);
	/* The back-end ACKs everything it got: points retire, the eighth
	 * request follows, shifted by all eight earlier insertions. */
	uint32_t got = h->c_isn + 28 + 7 * REQ_LEN + 8 * 8;
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 1, got, L7_TCP_ACK, NULL, 0, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->n_out, 1 + 3);
	assert_int_equal(h->out[0].side, L7_SPLICE_TO_CLIENT);
	assert_int_equal(h->out[0].p.tcp_ack, h->c_isn + 28 + 7 * REQ_LEN);
	assert_int_equal(h->out[1].side, L7_SPLICE_TO_SERVER);
	assert_int_equal(h->out[1].p.tcp_seq, got);
	assert_memory_equal(payload(&h->out[2]), "X-F: 1\r\n", 8);
	assert_int_equal(h->out[3].p.tcp_seq, got + 16 + 8);
}

static void blind_rst_outside_window_ignored(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	establish(h, 1);
	/* Far outside either receiver's window: dropped, state kept. */
	assert_int_equal(from_client(h, h->c_isn + 28 + 0x40000000u, 0, L7_TCP_RST, NULL, 0, NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 0x40000000u, 0, L7_TCP_RST, NULL, 0, NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(l7_splice_stats(h->s)->rst_ignored, 2);
	assert_int_equal(l7_splice_active(h->s), 1);
	/* In the window (not necessarily exact): relayed, the receiver judges. */
	assert_int_equal(from_client(h, h->c_isn + 28 + 100, 0, L7_TCP_RST, NULL, 0, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->out[0].p.tcp_seq, h->c_isn + 28 + 100);
	assert_int_equal(l7_splice_active(h->s), 0);
}

/*
 * (From the e2e test, tests/e2e.) The back-end still holds the server-leg
 * tuple (TIME-WAIT) and answers our SYN with a bare ACK for its old
 * connection. RFC 9293 §3.10.7.3 (SYN-SENT): an unacceptable ACK is
 * answered with <SEQ=SEG.ACK><CTL=RST>, which also clears the stale
 * TIME-WAIT so the next SYN retransmission succeeds.
 */
static void syn_sent_unacceptable_ack_gets_rst(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	client_handshake(h, 1);
	send_request(h, 1);
	uint8_t o[40];
	size_t n = ts_opt(o, 77777, 12345);
	assert_int_equal(from_server(h, h->backend_ip, 0x30000000u, 0xdeadbeefu, L7_TCP_ACK, o,
				     n, NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].side, L7_SPLICE_TO_SERVER);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_RST);
	assert_int_equal(h->out[0].p.tcp_seq, 0xdeadbeefu);
	assert_int_equal(l7_addr_v4(&h->out[0].p.dst), h->backend_ip);
	assert_int_equal(h->out[0].p.dport, BPORT);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_SYN_SENT);
	assert_int_equal(l7_splice_stats(h->s)->syn_sent_bad_ack, 1);
	/* A retransmitted FIN of the stale connection: the same answer. */
	assert_int_equal(from_server(h, h->backend_ip, 0x30000000u, 0xdeadbeefu,
				     L7_TCP_FIN | L7_TCP_ACK, o, n, NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_RST);
	assert_int_equal(h->out[0].p.tcp_seq, 0xdeadbeefu);
	/* An acceptable bare ACK (no SYN) and a RST with a wrong ACK are
	 * dropped without an answer (a RST is never answered). */
	assert_int_equal(from_server(h, h->backend_ip, 0x30000000u, h->c_isn + 1, L7_TCP_ACK, o,
				     n, NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(from_server(h, h->backend_ip, 0x30000000u, 0xdeadbeefu,
				     L7_TCP_RST | L7_TCP_ACK, NULL, 0, NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(l7_splice_stats(h->s)->syn_sent_bad_ack, 2);
	/* Still waiting for the SYN timer: it retransmits, the back-end
	 * (its stale socket now reset) answers, the request is flushed. */
	h->n_out = 0;
	l7_splice_tick(h->s, h->now + 1000000000ull);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_SYN);
	assert_int_equal(h->out[0].p.tcp_seq, h->c_isn);
	backend_synack(h, h->backend_ip, B_ISN, h->c_isn, 1460, 1);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_ESTABLISHED);
	assert_int_equal(h->n_out, 1);
	assert_memory_equal(payload(&h->out[0]), REQ, REQ_LEN);
}

/* ------------------------------------------------------------ old legs */

/*
 * One re-splice, as in resplice_to_new_backend: back-end old_ip answers
 * the request that ends at client seq creq with `resp` (its seq b_next,
 * landing at client-leg seq lpos); the next request goes to new_ip; the
 * client ACKs the response, so the old leg gets our FIN (seq creq) and the
 * new one a SYN (seq creq - 1), whose SYN-ACK (ISN new_b) flushes the
 * request.
 */
static void resplice_step(struct h *h, uint32_t old_ip, uint32_t b_next, uint32_t creq,
			  uint32_t lpos, const char *resp, uint32_t new_ip, uint32_t new_b)
{
	uint8_t o[40];
	uint32_t rlen = (uint32_t)strlen(resp);
	size_t n = ts_opt(o, 9001, 502);
	assert_int_equal(from_server(h, old_ip, b_next, creq, L7_TCP_ACK | L7_TCP_PSH, o, n, resp),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->out[0].p.tcp_seq, lpos);
	h->backend_ip = new_ip;
	n = ts_opt(o, 510, 9001);
	assert_int_equal(from_client(h, creq, lpos, L7_TCP_ACK | L7_TCP_PSH, o, n, REQ),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(from_client(h, creq + REQ_LEN, lpos + rlen, L7_TCP_ACK, o, n, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->n_out, 3);
	assert_int_equal(h->out[1].p.tcp_flags, L7_TCP_FIN | L7_TCP_ACK);
	assert_int_equal(l7_addr_v4(&h->out[1].p.dst), old_ip);
	assert_int_equal(h->out[1].p.tcp_seq, creq);
	assert_int_equal(h->out[1].p.tcp_ack, b_next + rlen);
	assert_int_equal(h->out[2].p.tcp_flags, L7_TCP_SYN);
	assert_int_equal(l7_addr_v4(&h->out[2].p.dst), new_ip);
	assert_int_equal(h->out[2].p.tcp_seq, creq - 1);
	backend_synack(h, new_ip, new_b, creq - 1, 1460, 1);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_seq, creq);
	assert_memory_equal(payload(&h->out[0]), REQ, REQ_LEN);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_ESTABLISHED);
}

/* The back-end's FIN on an old leg: expect our ACK (seq after our FIN). */
static void expect_old_fin_acked(struct h *h, uint32_t ip, uint32_t fin_seq, uint32_t our_fin)
{
	uint8_t o[40];
	size_t n = ts_opt(o, 9100, 510);
	assert_int_equal(from_server(h, ip, fin_seq, our_fin + 1, L7_TCP_FIN | L7_TCP_ACK, o, n,
				     NULL),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].side, L7_SPLICE_TO_SERVER);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_ACK);
	assert_int_equal(l7_addr_v4(&h->out[0].p.dst), ip);
	assert_int_equal(h->out[0].p.dport, BPORT);
	assert_int_equal(h->out[0].p.tcp_seq, our_fin + 1);
	assert_int_equal(h->out[0].p.tcp_ack, fin_seq + 1);
	/* Timestamps stay on for the leg (RFC 7323 §3.2), echoing its TSval. */
	assert_true(h->out[0].o.has & L7_TCPO_HAS_TS);
	assert_int_equal(h->out[0].o.ts_ecr, 9100);
}

/*
 * 2(b), from the e2e test: back-end 1 closes its old leg with a FIN; the
 * engine ACKs it; that ACK is lost, so back-end 1 (LAST-ACK) retransmits the
 * FIN: it must be ACKed again, not answered with a RST, for linger_ns after
 * the last FIN. Also 2(e): packets on the old leg that need no answer are
 * counted as old_leg_strays, never as cookie_bad, and get no RST.
 */
static void old_leg_fin_retransmission_is_acked(void **state)
{
	struct h *h = *state;
	h->request_bytes = UINT64_MAX;
	setup_engine(h, 0);
	establish(h, 1);
	uint32_t c = h->c_isn;
	resplice_step(h, BE1_IP, B_ISN + 1, c + 28, h->l_isn + 1, "0123456789", BE2_IP, 0x5000);
	expect_old_fin_acked(h, BE1_IP, B_ISN + 11, c + 28);
	/* The same FIN again, 200 ms later: ACKed again. */
	h->now += 200000000ull;
	expect_old_fin_acked(h, BE1_IP, B_ISN + 11, c + 28);
	const struct l7_splice_stats *st = l7_splice_stats(h->s);
	assert_int_equal(st->old_fin_acks, 2);
	/* A duplicate pure ACK and stray data: dropped, no answer, counted
	 * as old-leg strays (not as bad cookies). */
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 12, c + 29, L7_TCP_ACK, NULL, 0, NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 12, c + 29, L7_TCP_ACK, NULL, 0, "late"),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(st->old_leg_strays, 2);
	assert_int_equal(st->cookie_bad, 0);
	assert_int_equal(st->stray_rst, 0);
	/* Lingering lasts linger_ns (2 s) after the last FIN, then the entry
	 * is gone (a FIN after that is a stranger's). */
	l7_splice_tick(h->s, h->now + 1999999999ull);
	expect_old_fin_acked(h, BE1_IP, B_ISN + 11, c + 28);
	l7_splice_tick(h->s, h->now + 2000000000ull);
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 11, c + 29, L7_TCP_FIN | L7_TCP_ACK,
				     NULL, 0, NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(st->cookie_bad, 1);
	assert_int_equal(st->old_leg_timeouts, 0); /* it closed cleanly */
	/* The connection itself was never disturbed. */
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_ESTABLISHED);
	assert_int_equal(st->old_legs, 1);
}

/*
 * 2(a): a second re-splice while the first old leg is still closing (A, B,
 * C back-to-back): both old legs stay known, and each back-end's FIN is
 * ACKed rather than reset.
 */
static void second_resplice_keeps_first_old_leg(void **state)
{
	struct h *h = *state;
	h->request_bytes = UINT64_MAX;
	setup_engine(h, 0);
	establish(h, 1);
	uint32_t c = h->c_isn, l = h->l_isn;
	resplice_step(h, BE1_IP, B_ISN + 1, c + 28, l + 1, "0123456789", BE2_IP, 0x5000);
	resplice_step(h, BE2_IP, 0x5001, c + 55, l + 11, "abc", BE3_IP, 0x6000);
	const struct l7_splice_stats *st = l7_splice_stats(h->s);
	assert_int_equal(st->resplices, 2);
	assert_int_equal(st->old_legs, 2);
	/* Back-end 1's FIN first, then back-end 2's. */
	expect_old_fin_acked(h, BE1_IP, B_ISN + 11, c + 28);
	expect_old_fin_acked(h, BE2_IP, 0x5004, c + 55);
	assert_int_equal(st->stray_rst, 0);
	assert_int_equal(st->cookie_bad, 0);
	assert_int_equal(st->old_legs_evicted, 0);
	/* The current leg to back-end 3 relays as usual. */
	uint8_t o[40];
	size_t n = ts_opt(o, 9600, 510);
	assert_int_equal(from_server(h, BE3_IP, 0x6001, c + 82, L7_TCP_ACK, o, n, "xy"),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->out[0].p.tcp_seq, l + 14);
}

/* 2(a), the pool limit: with room for one old leg, the second evicts the
 * first (counted); the evicted leg's FIN then finds nobody. */
static void old_leg_pool_full_evicts(void **state)
{
	struct h *h = *state;
	h->request_bytes = UINT64_MAX;
	setup_engine_cfg(h, 0, 1);
	establish(h, 1);
	uint32_t c = h->c_isn, l = h->l_isn;
	resplice_step(h, BE1_IP, B_ISN + 1, c + 28, l + 1, "0123456789", BE2_IP, 0x5000);
	resplice_step(h, BE2_IP, 0x5001, c + 55, l + 11, "abc", BE3_IP, 0x6000);
	const struct l7_splice_stats *st = l7_splice_stats(h->s);
	assert_int_equal(st->old_legs_evicted, 1);
	expect_old_fin_acked(h, BE2_IP, 0x5004, c + 55);
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 11, c + 29, L7_TCP_FIN | L7_TCP_ACK,
				     NULL, 0, NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(st->old_fin_acks, 1);
}

/*
 * 2(c): our FIN on the old leg is retransmitted from l7_splice_tick (after
 * syn_rto_ns, then doubling) until the back-end ACKs it; without an answer
 * it gives up after syn_retries and forgets the leg at the deadline.
 */
static void old_leg_fin_retransmitted_until_acked(void **state)
{
	struct h *h = *state;
	h->request_bytes = UINT64_MAX;
	setup_engine(h, 0);
	establish(h, 1);
	uint32_t c = h->c_isn, l = h->l_isn;
	resplice_step(h, BE1_IP, B_ISN + 1, c + 28, l + 1, "0123456789", BE2_IP, 0x5000);
	l7_time_ns t0 = h->now;
	const struct l7_splice_stats *st = l7_splice_stats(h->s);
	h->n_out = 0;
	l7_splice_tick(h->s, t0 + 999999999ull);
	assert_int_equal(h->n_out, 0);
	l7_splice_tick(h->s, t0 + 1000000000ull);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].side, L7_SPLICE_TO_SERVER);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_FIN | L7_TCP_ACK);
	assert_int_equal(l7_addr_v4(&h->out[0].p.dst), BE1_IP);
	assert_int_equal(h->out[0].p.tcp_seq, c + 28);
	assert_int_equal(h->out[0].p.tcp_ack, B_ISN + 11);
	h->n_out = 0;
	l7_splice_tick(h->s, t0 + 2900000000ull); /* next one 2 s after the first */
	assert_int_equal(h->n_out, 0);
	l7_splice_tick(h->s, t0 + 3000000000ull);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_FIN | L7_TCP_ACK);
	assert_int_equal(st->old_fin_retransmits, 2);
	/* The back-end ACKs our FIN: no more retransmissions. */
	uint8_t o[40];
	size_t n = ts_opt(o, 9050, 510);
	h->now = t0 + 3100000000ull;
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 11, c + 29, L7_TCP_ACK, o, n, NULL),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 0);
	h->n_out = 0;
	l7_splice_tick(h->s, t0 + 7000000000ull);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(st->old_fin_retransmits, 2);
	/* Its FIN, later (FIN-WAIT-2): ACKed; then it lingers. */
	h->now = t0 + 8000000000ull;
	expect_old_fin_acked(h, BE1_IP, B_ISN + 11, c + 28);
	assert_int_equal(st->old_leg_timeouts, 0);

	/* The next re-splice's old back-end (2) never answers: our FIN goes
	 * out 1 + syn_retries (3) times, and the leg is forgotten at the
	 * deadline (15 rto), counted as a timeout. */
	resplice_step(h, BE2_IP, 0x5001, c + 55, l + 11, "abc", BE3_IP, 0x6000);
	t0 = h->now;
	uint64_t before = st->old_fin_retransmits;
	int fins = 0;
	for (uint64_t ms = 100; ms <= 16000; ms += 100) {
		h->n_out = 0;
		l7_splice_tick(h->s, t0 + ms * 1000000ull);
		for (int i = 0; i < h->n_out; i++) {
			assert_int_equal(l7_addr_v4(&h->out[i].p.dst), BE2_IP);
			assert_int_equal(h->out[i].p.tcp_flags, L7_TCP_FIN | L7_TCP_ACK);
			assert_int_equal(h->out[i].p.tcp_seq, c + 55);
			fins++;
		}
		if (ms == 14900)
			assert_int_equal(st->old_leg_timeouts, 0);
	}
	assert_int_equal(fins, 3);
	assert_int_equal(st->old_fin_retransmits - before, 3);
	assert_int_equal(st->old_leg_timeouts, 1);
}

/*
 * 2(d): the client connection ends (here: the client resets it) while the
 * old leg is still closing: the old leg keeps closing on its own — its FIN
 * is ACKed, not reset, and our FIN is still retransmitted.
 */
static void old_leg_outlives_client_connection(void **state)
{
	struct h *h = *state;
	h->request_bytes = UINT64_MAX;
	setup_engine(h, 0);
	establish(h, 1);
	uint32_t c = h->c_isn, l = h->l_isn;
	resplice_step(h, BE1_IP, B_ISN + 1, c + 28, l + 1, "0123456789", BE2_IP, 0x5000);
	assert_int_equal(from_client(h, c + 55, l + 11, L7_TCP_RST, NULL, 0, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(l7_splice_active(h->s), 0);
	/* The freed slot is reused by a new client connection meanwhile. */
	h->c_isn += 5000;
	h->backend_ip = BE3_IP;
	client_handshake(h, 1);
	assert_int_equal(l7_splice_active(h->s), 1);
	/* The old leg's FIN timer still runs... */
	h->n_out = 0;
	l7_splice_tick(h->s, h->now + 1000000000ull);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_FIN | L7_TCP_ACK);
	assert_int_equal(l7_addr_v4(&h->out[0].p.dst), BE1_IP);
	/* ...and back-end 1's FIN is ACKed, not reset. */
	h->now += 1100000000ull;
	expect_old_fin_acked(h, BE1_IP, B_ISN + 11, c + 28);
	const struct l7_splice_stats *st = l7_splice_stats(h->s);
	assert_int_equal(st->stray_rst, 0);
	assert_int_equal(st->cookie_bad, 0);
	/* The new connection is unaffected. */
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_FRONT_ESTABLISHED);
	/* It lingers linger_ns, then goes. */
	l7_splice_tick(h->s, h->now + 2000000000ull);
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 11, c + 29, L7_TCP_FIN | L7_TCP_ACK,
				     NULL, 0, NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(st->cookie_bad, 1);
}

/*
 * A, B, A with one source tuple (transparent mode): the new leg to A takes
 * over the tuple of A's old leg still closing; if A still holds the old
 * socket it answers the SYN with an ACK for it, which SYN_SENT resets, and
 * the SYN retransmission then succeeds.
 */
static void new_leg_takes_over_old_leg_tuple(void **state)
{
	struct h *h = *state;
	h->request_bytes = UINT64_MAX;
	setup_engine(h, 0);
	establish(h, 1);
	uint32_t c = h->c_isn, l = h->l_isn;
	resplice_step(h, BE1_IP, B_ISN + 1, c + 28, l + 1, "0123456789", BE2_IP, 0x5000);
	uint8_t o[40];
	size_t n = ts_opt(o, 9001, 502);
	assert_int_equal(from_server(h, BE2_IP, 0x5001, c + 55, L7_TCP_ACK | L7_TCP_PSH, o, n,
				     "abc"),
			 L7_SPLICE_IN_RELAYED);
	h->backend_ip = BE1_IP;
	n = ts_opt(o, 510, 9001);
	from_client(h, c + 55, l + 11, L7_TCP_ACK | L7_TCP_PSH, o, n, REQ);
	assert_int_equal(from_client(h, c + 82, l + 14, L7_TCP_ACK, o, n, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->n_out, 3);
	assert_int_equal(h->out[2].p.tcp_flags, L7_TCP_SYN);
	assert_int_equal(l7_addr_v4(&h->out[2].p.dst), BE1_IP);
	const struct l7_splice_stats *st = l7_splice_stats(h->s);
	assert_int_equal(st->old_legs_reused, 1);
	assert_int_equal(st->route_bad, 0);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_SYN_SENT);
	/* Back-end 1, still in LAST-ACK, retransmits its FIN of the old
	 * connection: our SYN_SENT leg resets it (RFC 9293 §3.10.7.3). */
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 11, c + 29, L7_TCP_FIN | L7_TCP_ACK, o, n,
				     NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_RST);
	assert_int_equal(h->out[0].p.tcp_seq, c + 29);
	h->n_out = 0;
	l7_splice_tick(h->s, h->now + 1000000000ull);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_SYN);
	backend_synack(h, BE1_IP, 0x8000, c + 54, 1460, 1);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_ESTABLISHED);
	assert_int_equal(h->out[0].p.tcp_seq, c + 55);
}

/* ------------------------------------------------------------ reused tuples */

static struct l7_flow_key client_key(void)
{
	struct l7_flow_key k;
	struct l7_addr c = l7_addr_from_v4(CLIENT_IP), v = l7_addr_from_v4(VIP_IP);
	l7_flow_key_make(&k, &c, CPORT, &v, VPORT, L7_IPPROTO_TCP);
	return k;
}

/* SYN options without timestamps (MSS 1400, WS 2, SACK-permitted) or with
 * TSval tsval. */
static size_t reuse_syn_opts(uint8_t *o, int with_ts, uint32_t tsval)
{
	if (with_ts)
		return syn_opts(o, 1400, tsval, 2);
	struct l7_tcp_opts t = { .has = L7_TCPO_HAS_MSS | L7_TCPO_HAS_WS | L7_TCPO_HAS_SACK_PERM,
				 .mss = 1400, .wscale = 2 };
	return (size_t)l7_tcp_opts_encode(&t, o, 40);
}

/* send_request() for any option set (a cookie without timestamps keeps
 * no window scale): the request goes out as a SYN from the client's ISN. */
static void reuse_request(struct h *h)
{
	assert_int_equal(from_client(h, h->c_isn + 1, h->l_isn + 1, L7_TCP_ACK | L7_TCP_PSH, NULL,
				     0, REQ),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].side, L7_SPLICE_TO_SERVER);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_SYN);
	assert_int_equal(h->out[0].p.tcp_seq, h->c_isn);
	assert_int_equal(l7_addr_v4(&h->out[0].p.dst), h->backend_ip);
	assert_int_equal(l7_addr_v4(&h->out[0].p.src), CLIENT_IP);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_SYN_SENT);
}

/* establish() without timestamps, in either mode. */
static void reuse_establish(struct h *h)
{
	client_handshake(h, 0);
	reuse_request(h);
	backend_synack(h, h->backend_ip, B_ISN, h->c_isn, 1460, 0);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_ESTABLISHED);
}

/*
 * From establish(): the client's FIN (client TSval 520), the back-end's FIN
 * (ACKing the client's), the client's last ACK: CLOSED, lingering. Returns
 * the client's next sequence number after its FIN (c_isn + 29).
 */
static uint32_t close_fin_fin(struct h *h, int with_ts)
{
	uint8_t o[40];
	size_t n = with_ts ? ts_opt(o, 520, 9000) : 0;
	uint32_t cend = h->c_isn + 1 + REQ_LEN;
	assert_int_equal(from_client(h, cend, h->l_isn + 1, L7_TCP_FIN | L7_TCP_ACK, o, n, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 1, cend + 1, L7_TCP_FIN | L7_TCP_ACK,
				     NULL, 0, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->out[0].p.tcp_seq, h->l_isn + 1);
	assert_int_equal(from_client(h, cend + 1, h->l_isn + 2, L7_TCP_ACK, o, n, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_CLOSED);
	return cend + 1;
}

/*
 * The tcp-reuse bug (replay oracle, GET /tcp-reuse in
 * tcp_arkime_tcp-reassembly-synthetic.pcap): a new SYN 1 ms after the old
 * connection on the same tuple closed with FIN/FIN was handled with the old
 * state. RFC 6191 §2: a SYN whose ISN lies beyond the old connection's last
 * sequence number (here without timestamps, though the old connection used
 * them) drops the old state and starts a new connection with new numbers.
 */
static void reused_tuple_new_syn_after_fin_fin(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	establish(h, 1);
	uint32_t old_l = h->l_isn;
	uint32_t fin_end = close_fin_fin(h, 1);
	h->c_isn = fin_end + 1999; /* the capture's gap: 20041 -> 22000 */
	client_handshake(h, 0);    /* SYN answered (one packet), ACK completes */
	struct l7_flow_key k = client_key();
	assert_int_equal(h->l_isn, l7_syncookie_make(&h->cfg.cookie, &k, h->c_isn, 1400, h->now));
	assert_int_not_equal(h->l_isn, old_l);
	const struct l7_splice_stats *st = l7_splice_stats(h->s);
	assert_int_equal(st->conn_reused, 1);
	assert_int_equal(st->reuse_refused, 0);
	assert_int_equal(st->reuse_legs_closing, 0); /* the old leg had closed */
	assert_int_equal(st->conn_retired, 1);
	assert_int_equal(st->cookie_ok, 2);
	assert_int_equal(l7_splice_active(h->s), 1);
	/* The new connection opens its own leg, from the client's new ISN,
	 * taking over the old leg's tuple (transparent mode). */
	reuse_request(h);
	assert_int_equal(st->old_legs_reused, 1);
	backend_synack(h, BE1_IP, 0x50000000u, h->c_isn, 1460, 0);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_seq, h->c_isn + 1);
	assert_int_equal(h->out[0].p.tcp_ack, 0x50000001u);
	assert_memory_equal(payload(&h->out[0]), REQ, REQ_LEN);
	assert_int_equal(from_server(h, BE1_IP, 0x50000001u, h->c_isn + 1 + REQ_LEN,
				     L7_TCP_ACK | L7_TCP_PSH, NULL, 0, "HTTP/1.1 200 OK\r\n\r\n"),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->out[0].side, L7_SPLICE_TO_CLIENT);
	assert_int_equal(h->out[0].p.tcp_seq, h->l_isn + 1);
	assert_int_equal(h->out[0].p.tcp_ack, h->c_isn + 1 + REQ_LEN);
	assert_int_equal(st->legs_opened, 2);
}

/*
 * Miresga's placement: the switch answers SYNs statelessly, so the engine
 * holding the old connection sees only the client's ACK carrying the new
 * cookie. A valid cookie proves the SYN; the same RFC 6191 rule applies to
 * its ISN (ack's seq - 1). A wrong cookie is the old connection's business.
 */
static void reused_tuple_cookie_ack_without_syn(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	reuse_establish(h);
	uint32_t fin_end = close_fin_fin(h, 0);
	struct l7_flow_key k = client_key();
	const struct l7_splice_stats *st = l7_splice_stats(h->s);
	/* A cookie for an ISN inside the old connection: refused, dropped. */
	uint32_t low = h->c_isn + 5;
	uint32_t ck = l7_syncookie_make(&h->cfg.cookie, &k, low, 1400, h->now);
	assert_int_equal(from_client(h, low + 1, ck + 1, L7_TCP_ACK, NULL, 0, NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(st->reuse_refused, 1);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_CLOSED);
	/* A wrong cookie: not a new connection (the old one relays it). */
	uint32_t nisn = fin_end + 1999;
	ck = l7_syncookie_make(&h->cfg.cookie, &k, nisn, 1400, h->now);
	from_client(h, nisn + 1, ck + 2, L7_TCP_ACK, NULL, 0, NULL);
	assert_int_equal(st->conn_reused, 0);
	assert_int_equal(st->reuse_refused, 1);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_CLOSED);
	/* The right one: a new connection with the cookie's numbers. */
	assert_int_equal(from_client(h, nisn + 1, ck + 1, L7_TCP_ACK, NULL, 0, NULL),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(st->conn_reused, 1);
	assert_int_equal(st->conn_retired, 1);
	int id = l7_splice_find(h->s, &k);
	assert_true(id >= 0);
	h->conn = (uint32_t)id;
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_FRONT_ESTABLISHED);
	assert_int_equal(from_client(h, nisn + 1, ck + 1, L7_TCP_ACK | L7_TCP_PSH, NULL, 0, REQ),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_SYN);
	assert_int_equal(h->out[0].p.tcp_seq, nisn);
	assert_int_equal(h->out[0].o.mss, 1400); /* the cookie's MSS class */
	backend_synack(h, BE1_IP, 0x60000000u, nisn, 1460, 0);
	assert_int_equal(h->out[0].p.tcp_seq, nisn + 1);
	assert_int_equal(from_server(h, BE1_IP, 0x60000001u, nisn + 1 + REQ_LEN,
				     L7_TCP_ACK | L7_TCP_PSH, NULL, 0, "HTTP/1.1 200 OK\r\n\r\n"),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->out[0].p.tcp_seq, ck + 1);
	assert_int_equal(h->out[0].p.tcp_ack, nisn + 1 + REQ_LEN);
}

/*
 * Which SYNs start a new incarnation (stateful mode, timestamps on): the
 * old connection's own SYN retransmitted is not one; an ISN at or before
 * the old FIN with an equal TSval is refused, as is any ISN with an older
 * TSval (PAWS); a newer TSval is accepted whatever the ISN.
 */
static void reused_tuple_syn_rules(void **state)
{
	struct h *h = *state;
	setup_engine(h, 1);
	establish(h, 1);
	uint32_t old_isn = h->c_isn;
	uint32_t fin_end = close_fin_fin(h, 1); /* last client TSval: 520 */
	const struct l7_splice_stats *st = l7_splice_stats(h->s);
	uint8_t o[40];
	size_t n = reuse_syn_opts(o, 1, 500);
	uint64_t dropped = st->dropped_state;
	assert_int_equal(from_client(h, old_isn, 0, L7_TCP_SYN, o, n, NULL), L7_SPLICE_IN_DROPPED);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(st->dropped_state, dropped + 1);
	assert_int_equal(st->reuse_refused, 0);
	n = reuse_syn_opts(o, 1, 520);
	assert_int_equal(from_client(h, fin_end - 1, 0, L7_TCP_SYN, o, n, NULL),
			 L7_SPLICE_IN_DROPPED);
	n = reuse_syn_opts(o, 1, 400);
	assert_int_equal(from_client(h, fin_end + 100000, 0, L7_TCP_SYN, o, n, NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(st->reuse_refused, 2);
	assert_int_equal(st->conn_reused, 0);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_CLOSED);
	/* Newer TSval, ISN inside the old connection: accepted. */
	n = reuse_syn_opts(o, 1, 521);
	assert_int_equal(from_client(h, old_isn + 5, 0, L7_TCP_SYN, o, n, NULL),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_SYN | L7_TCP_ACK);
	assert_int_equal(h->out[0].p.tcp_ack, old_isn + 6);
	assert_int_equal(h->out[0].o.ts_ecr, 521);
	assert_int_equal(st->conn_reused, 1);
	struct l7_flow_key k = client_key();
	int id = l7_splice_find(h->s, &k);
	assert_true(id >= 0);
	assert_int_equal(l7_splice_conn_state(h->s, (uint32_t)id), L7_SPLICE_SYN_RCVD);
	/* Its own retransmitted SYN is answered by the new connection. */
	uint32_t isn = h->out[0].p.tcp_seq;
	assert_int_equal(from_client(h, old_isn + 5, 0, L7_TCP_SYN, o, n, NULL),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->out[0].p.tcp_seq, isn);
	assert_int_equal(st->conn_reused, 1);
}

/* ISNs near 2^32: the old stream wraps (FIN at 0x0c); an ISN numerically
 * larger but before it mod 2^32 is refused, the first one beyond is not. */
static void reused_tuple_isn_wraparound(void **state)
{
	struct h *h = *state;
	h->c_isn = 0xfffffff0u;
	setup_engine(h, 0);
	reuse_establish(h);
	uint32_t fin_end = close_fin_fin(h, 0);
	assert_int_equal(fin_end, 0x0du);
	uint8_t o[40];
	size_t n = reuse_syn_opts(o, 0, 0);
	assert_int_equal(from_client(h, 0xfffffff8u, 0, L7_TCP_SYN, o, n, NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(from_client(h, 0x0cu, 0, L7_TCP_SYN, o, n, NULL), L7_SPLICE_IN_DROPPED);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(l7_splice_stats(h->s)->reuse_refused, 2);
	h->c_isn = 0x0du;
	client_handshake(h, 0);
	assert_int_equal(l7_splice_stats(h->s)->conn_reused, 1);
	reuse_request(h);
	/* And a new connection from just below 2^32 after an old one that
	 * ended just below it too. */
	backend_synack(h, BE1_IP, B_ISN, h->c_isn, 1460, 0);
	uint32_t fin2 = close_fin_fin(h, 0);
	assert_int_equal(fin2, 0x0du + 29);
	h->c_isn = 0xfffffff0u; /* before 0x2a mod 2^32: refused */
	assert_int_equal(from_client(h, h->c_isn, 0, L7_TCP_SYN, o, n, NULL),
			 L7_SPLICE_IN_DROPPED);
	/* Half the space away from the old FIN (0x29) is the limit: one
	 * further lies before it mod 2^32. */
	assert_int_equal(from_client(h, 0x29u + 0x80000001u, 0, L7_TCP_SYN, o, n, NULL),
			 L7_SPLICE_IN_DROPPED);
	assert_int_equal(l7_splice_stats(h->s)->reuse_refused, 4);
	h->c_isn = 0x29u + 0x80000000u; /* the farthest ISN still after 0x29 */
	client_handshake(h, 0);
	assert_int_equal(l7_splice_stats(h->s)->conn_reused, 2);
}

/*
 * The old leg had not finished closing when the new SYN came (the
 * back-end's FIN did not ACK the client's, and the client never ACKed the
 * back-end's FIN): the old-leg pool resends the client's FIN, ACKing the
 * back-end's, until the back-end ACKs it, ACKs its retransmitted FIN, and
 * forgets the leg after linger_ns.
 */
static void reused_tuple_leg_still_closing(void **state)
{
	struct h *h = *state;
	setup_engine(h, 1);
	establish(h, 1);
	uint8_t o[40];
	size_t n = ts_opt(o, 520, 9000);
	uint32_t cend = h->c_isn + 1 + REQ_LEN;
	from_client(h, cend, h->l_isn + 1, L7_TCP_FIN | L7_TCP_ACK, o, n, NULL);
	size_t bn = ts_opt(o, 9010, 520);
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 1, cend, L7_TCP_FIN | L7_TCP_ACK, o, bn,
				     NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_CLOSING);
	uint32_t nisn = cend + 5000;
	n = reuse_syn_opts(o, 0, 0);
	assert_int_equal(from_client(h, nisn, 0, L7_TCP_SYN, o, n, NULL), L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 2);
	struct outpkt *fin = &h->out[0];
	assert_int_equal(fin->side, L7_SPLICE_TO_SERVER);
	assert_int_equal(l7_addr_v4(&fin->p.dst), BE1_IP);
	assert_int_equal(l7_addr_v4(&fin->p.src), CLIENT_IP);
	assert_int_equal(fin->p.tcp_flags, L7_TCP_FIN | L7_TCP_ACK);
	assert_int_equal(fin->p.tcp_seq, cend);
	assert_int_equal(fin->p.tcp_ack, B_ISN + 2);
	assert_true(fin->o.has & L7_TCPO_HAS_TS);
	assert_int_equal(fin->o.ts_val, 520);
	assert_int_equal(fin->o.ts_ecr, 9010);
	assert_int_equal(h->out[1].side, L7_SPLICE_TO_CLIENT);
	assert_int_equal(h->out[1].p.tcp_flags, L7_TCP_SYN | L7_TCP_ACK);
	assert_int_equal(h->out[1].p.tcp_ack, nisn + 1);
	const struct l7_splice_stats *st = l7_splice_stats(h->s);
	assert_int_equal(st->conn_reused, 1);
	assert_int_equal(st->reuse_legs_closing, 1);
	assert_int_equal(st->old_legs, 0); /* not a re-splice */
	/* The back-end ACKs the FIN; its FIN retransmitted is ACKed again. */
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 2, cend + 1, L7_TCP_ACK, o, bn, NULL),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 1, cend + 1, L7_TCP_FIN | L7_TCP_ACK, o,
				     bn, NULL),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_ACK);
	assert_int_equal(h->out[0].p.tcp_seq, cend + 1);
	assert_int_equal(h->out[0].p.tcp_ack, B_ISN + 2);
	h->n_out = 0;
	l7_splice_tick(h->s, h->now + 2000000000ull);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(st->old_leg_timeouts, 0);
	assert_int_equal(st->old_fin_acks, 1);
	/* Forgotten: a late packet on the leg is now a stray. */
	uint64_t strays = st->old_leg_strays;
	from_server(h, BE1_IP, B_ISN + 2, cend + 1, L7_TCP_ACK, NULL, 0, NULL);
	assert_int_equal(st->old_leg_strays, strays);
	assert_int_equal(st->stray_rst, 1);
}

/* As above, but the back-end had ACKed the client's FIN and only the
 * client's last ACK is missing: the pool sends that ACK, then lingers. */
static void reused_tuple_leg_last_ack_missing(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	reuse_establish(h);
	uint32_t cend = h->c_isn + 1 + REQ_LEN;
	from_client(h, cend, h->l_isn + 1, L7_TCP_FIN | L7_TCP_ACK, NULL, 0, NULL);
	from_server(h, BE1_IP, B_ISN + 1, cend + 1, L7_TCP_FIN | L7_TCP_ACK, NULL, 0, NULL);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_CLOSING);
	uint8_t o[40];
	size_t n = reuse_syn_opts(o, 0, 0);
	assert_int_equal(from_client(h, cend + 7000, 0, L7_TCP_SYN, o, n, NULL),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 2);
	assert_int_equal(h->out[0].side, L7_SPLICE_TO_SERVER);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_ACK);
	assert_int_equal(h->out[0].p.tcp_seq, cend + 1);
	assert_int_equal(h->out[0].p.tcp_ack, B_ISN + 2);
	assert_int_equal(h->out[1].p.tcp_flags, L7_TCP_SYN | L7_TCP_ACK);
	assert_int_equal(l7_splice_stats(h->s)->reuse_legs_closing, 1);
	assert_int_equal(l7_splice_active(h->s), 0); /* cookie mode: no state */
	/* Lingering: the back-end's retransmitted FIN is ACKed, not reset. */
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 1, cend + 1, L7_TCP_FIN | L7_TCP_ACK, NULL,
				     0, NULL),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_ACK);
	assert_int_equal(h->out[0].p.tcp_ack, B_ISN + 2);
	assert_int_equal(l7_splice_stats(h->s)->stray_rst, 0);
}

/* A SYN on a connection that has not seen both FINs keeps the old
 * behaviour: dropped (counted), the connection unchanged; likewise a
 * cookie ACK. */
static void syn_on_open_connection_is_dropped(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	reuse_establish(h);
	struct l7_flow_key k = client_key();
	const struct l7_splice_stats *st = l7_splice_stats(h->s);
	uint8_t o[40];
	size_t n = reuse_syn_opts(o, 0, 0);
	uint32_t nisn = h->c_isn + 100000;
	uint64_t dropped = st->dropped_state;
	assert_int_equal(from_client(h, nisn, 0, L7_TCP_SYN, o, n, NULL), L7_SPLICE_IN_DROPPED);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(st->dropped_state, dropped + 1);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_ESTABLISHED);
	/* Half-closed by the client only (the back-end may still send). */
	uint32_t cend = h->c_isn + 1 + REQ_LEN;
	from_client(h, cend, h->l_isn + 1, L7_TCP_FIN | L7_TCP_ACK, NULL, 0, NULL);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_CLOSING);
	assert_int_equal(from_client(h, nisn, 0, L7_TCP_SYN, o, n, NULL), L7_SPLICE_IN_DROPPED);
	uint32_t ck = l7_syncookie_make(&h->cfg.cookie, &k, nisn, 1400, h->now);
	from_client(h, nisn + 1, ck + 1, L7_TCP_ACK, NULL, 0, NULL);
	assert_int_equal(st->conn_reused, 0);
	assert_int_equal(st->reuse_refused, 0);
	assert_int_equal(st->dropped_state, dropped + 2);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_CLOSING);
}

/* A client FIN sent with its last request while the engine awaits the next
 * head: the client's last ACK closes the connection (it used to stay
 * CLOSING until the idle timeout reset both legs). */
static void fin_with_request_then_last_ack_closes(void **state)
{
	struct h *h = *state;
	h->request_bytes = UINT64_MAX;
	setup_engine(h, 0);
	client_handshake(h, 0);
	uint32_t cend = h->c_isn + 1 + REQ_LEN;
	assert_int_equal(from_client(h, h->c_isn + 1, h->l_isn + 1,
				     L7_TCP_ACK | L7_TCP_PSH | L7_TCP_FIN, NULL, 0, REQ),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_SYN);
	backend_synack(h, BE1_IP, B_ISN, h->c_isn, 1460, 0);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_ACK | L7_TCP_PSH | L7_TCP_FIN);
	assert_int_equal(from_server(h, BE1_IP, B_ISN + 1, cend + 1,
				     L7_TCP_ACK | L7_TCP_PSH | L7_TCP_FIN, NULL, 0, "resp"),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_CLOSING);
	assert_int_equal(from_client(h, cend + 1, h->l_isn + 6, L7_TCP_ACK, NULL, 0, NULL),
			 L7_SPLICE_IN_RELAYED);
	assert_int_equal(h->out[0].p.tcp_ack, B_ISN + 6);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_CLOSED);
	h->n_out = 0;
	l7_splice_tick(h->s, h->now + 2000000000ull);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(l7_splice_active(h->s), 0);
	assert_int_equal(l7_splice_stats(h->s)->conn_idle_timeout, 0);
}

/* ------------------------------------------------------------ head-buffer pool */

/* A stateful connection from CLIENT_IP:port without options: handshake,
 * then `head` (c_isn 0x5000): returns the SYN-ACK's ISN; the caller checks
 * what the request did. */
static uint32_t hp_open(struct h *h, uint16_t port, const char *head)
{
	struct pk syn = { CLIENT_IP, VIP_IP, port, VPORT, 0x5000, 0, L7_TCP_SYN, 0, NULL, 0,
			  NULL, 0 };
	assert_int_equal(feed(h, &syn), L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_SYN | L7_TCP_ACK);
	uint32_t isn = h->out[0].p.tcp_seq;
	struct pk ack = { CLIENT_IP, VIP_IP, port, VPORT, 0x5001, isn + 1, L7_TCP_ACK, 0, NULL,
			  0, NULL, 0 };
	assert_int_equal(feed(h, &ack), L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 0);
	struct pk data = { CLIENT_IP, VIP_IP, port, VPORT, 0x5001, isn + 1,
			  L7_TCP_ACK | L7_TCP_PSH, 0, NULL, 0, head, 0 };
	assert_int_equal(feed(h, &data), L7_SPLICE_IN_CONSUMED);
	return isn;
}

/* The back-end's SYN-ACK for the leg of CLIENT_IP:port; expects the head
 * (REQ) to go out in one segment. */
static void hp_backend_up(struct h *h, uint16_t port)
{
	struct pk sa = { BE1_IP, CLIENT_IP, BPORT, port, B_ISN, 0x5001,
			 L7_TCP_SYN | L7_TCP_ACK, 0, NULL, 0, NULL, 0 };
	assert_int_equal(feed(h, &sa), L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].side, L7_SPLICE_TO_SERVER);
	assert_int_equal(h->out[0].p.dport, BPORT);
	assert_int_equal(h->out[0].p.sport, port);
	assert_int_equal(h->out[0].p.tcp_seq, 0x5001);
	assert_int_equal(h->out[0].p.payload_len, REQ_LEN);
	assert_memory_equal(payload(&h->out[0]), REQ, REQ_LEN);
}

static void hp_expect_syn_to_backend(struct h *h, uint16_t port)
{
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].side, L7_SPLICE_TO_SERVER);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_SYN);
	assert_int_equal(h->out[0].p.sport, port);
	assert_int_equal(h->out[0].p.tcp_seq, 0x5000);
}

static void head_buffer_returned_after_routing(void **state)
{
	struct h *h = *state;
	h->max_heads = 1;
	setup_engine(h, 1);
	/* Five connections one after another, all still open at the end: one
	 * head buffer serves them all because each gives it back once its
	 * head has been forwarded. */
	for (uint16_t i = 0; i < 5; i++) {
		uint16_t port = (uint16_t)(41000 + i);
		hp_open(h, port, REQ);
		hp_expect_syn_to_backend(h, port);
		hp_backend_up(h, port);
		assert_int_equal(l7_splice_active(h->s), i + 1u);
	}
	const struct l7_splice_stats *st = l7_splice_stats(h->s);
	assert_int_equal(st->head_pool_full, 0);
	assert_int_equal(st->legs_opened, 5);
	assert_int_equal(st->rst_client, 0);
}

static void head_pool_exhaustion_resets(void **state)
{
	struct h *h = *state;
	h->max_heads = 1;
	setup_engine(h, 1);
	/* A's head is buffered until its back-end answers (SYN_SENT). */
	hp_open(h, 41000, REQ);
	hp_expect_syn_to_backend(h, 41000);
	/* B's head finds no buffer: B is reset (client side only, it has no
	 * server leg), counted; A is untouched. */
	uint32_t b_isn = hp_open(h, 41001, REQ);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].side, L7_SPLICE_TO_CLIENT);
	assert_int_equal(h->out[0].p.dport, 41001);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_RST | L7_TCP_ACK);
	assert_int_equal(h->out[0].p.tcp_seq, b_isn + 1);
	assert_int_equal(h->out[0].p.tcp_ack, 0x5001 + REQ_LEN); /* c_nxt: as head_too_big */
	const struct l7_splice_stats *st = l7_splice_stats(h->s);
	assert_int_equal(st->head_pool_full, 1);
	assert_int_equal(st->rst_client, 1);
	assert_int_equal(st->rst_server, 0);
	assert_int_equal(l7_splice_active(h->s), 1);
	/* A completes and gives the buffer back: the next connection works. */
	hp_backend_up(h, 41000);
	hp_open(h, 41002, REQ);
	hp_expect_syn_to_backend(h, 41002);
	hp_backend_up(h, 41002);
	assert_int_equal(st->head_pool_full, 1);
	assert_int_equal(l7_splice_active(h->s), 2);
	/* A connection reset while holding the buffer gives it back too. */
	hp_open(h, 41003, "GET / HT"); /* incomplete: held */
	assert_int_equal(h->n_out, 0);
	struct pk rst = { CLIENT_IP, VIP_IP, 41003, VPORT, 0x5009, 0, L7_TCP_RST, 0, NULL, 0,
			  NULL, 0 };
	feed(h, &rst);
	assert_int_equal(l7_splice_active(h->s), 2);
	hp_open(h, 41004, REQ);
	hp_expect_syn_to_backend(h, 41004);
	assert_int_equal(st->head_pool_full, 1);
}

static void keepalive_second_head_takes_buffer_again(void **state)
{
	struct h *h = *state;
	h->request_bytes = UINT64_MAX; /* request = head: the next head follows */
	h->max_heads = 1;
	setup_engine(h, 0);
	establish(h, 1); /* CPORT, head forwarded: buffer back in the pool */
	uint32_t a = h->conn;
	hp_open(h, 41000, REQ); /* so another connection can take it */
	hp_expect_syn_to_backend(h, 41000);
	hp_backend_up(h, 41000);
	/* A's second request arrives in two parts: the first part is held
	 * in the (only) buffer ... */
	uint8_t o[40];
	size_t n = ts_opt(o, 511, 9000);
	assert_int_equal(from_client(h, h->c_isn + 28, h->l_isn + 1, L7_TCP_ACK, o, n,
				     "GET / HT"),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 0);
	/* ... so a new connection's head is refused meanwhile ... */
	hp_open(h, 41001, REQ);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_RST | L7_TCP_ACK);
	assert_int_equal(l7_splice_stats(h->s)->head_pool_full, 1);
	/* ... until the head completes and goes to A's back-end. */
	assert_int_equal(from_client(h, h->c_isn + 36, h->l_isn + 1, L7_TCP_ACK, o, n,
				     "TP/1.1\r\nHost: a\r\n\r\n"),
			 L7_SPLICE_IN_CONSUMED);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].side, L7_SPLICE_TO_SERVER);
	assert_int_equal(h->out[0].p.sport, CPORT);
	assert_int_equal(h->out[0].p.tcp_seq, h->c_isn + 28);
	assert_int_equal(h->out[0].p.payload_len, REQ_LEN);
	assert_memory_equal(payload(&h->out[0]), REQ, REQ_LEN);
	assert_int_equal(l7_splice_conn_state(h->s, a), L7_SPLICE_ESTABLISHED);
	hp_open(h, 41002, REQ);
	hp_expect_syn_to_backend(h, 41002);
	assert_int_equal(l7_splice_stats(h->s)->head_pool_full, 1);
}

static void head_pool_default_and_bounds(void **state)
{
	struct h *h = *state;
	setup_engine(h, 1); /* max_heads 0: one per connection */
	for (uint16_t i = 0; i < 8; i++) {
		hp_open(h, (uint16_t)(41000 + i), "GET / HT"); /* all held at once */
		assert_int_equal(h->n_out, 0);
	}
	assert_int_equal(l7_splice_active(h->s), 8);
	assert_int_equal(l7_splice_stats(h->s)->head_pool_full, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(cookie_handshake_to_established, setup, teardown),
		cmocka_unit_test_setup_teardown(stateful_handshake_and_syn_retransmit, setup, teardown),
		cmocka_unit_test_setup_teardown(cookie_forged_and_stale_acks_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(cookie_without_ts_offers_no_ws_sack, setup, teardown),
		cmocka_unit_test(record_four_ack_cases),
		cmocka_unit_test(prepared_record_translates_like_unprepared),
		cmocka_unit_test_setup_teardown(insertion_flush_and_ack_cases, setup, teardown),
		cmocka_unit_test_setup_teardown(retransmission_straddling_point_is_split, setup, teardown),
		cmocka_unit_test_setup_teardown(sack_translated_with_and_without_ts, setup, teardown),
		cmocka_unit_test_setup_teardown(ts_translated_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(window_scale_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(window_scale_backend_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(mss_clamped_on_server_leg, setup, teardown),
		cmocka_unit_test_setup_teardown(isn_wraparound, setup, teardown),
		cmocka_unit_test_setup_teardown(resplice_to_new_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(same_backend_keepalive_with_second_insert, setup, teardown),
		cmocka_unit_test_setup_teardown(half_close_then_full_close, setup, teardown),
		cmocka_unit_test_setup_teardown(rst_from_client_and_from_server, setup, teardown),
		cmocka_unit_test_setup_teardown(head_too_big_resets, setup, teardown),
		cmocka_unit_test_setup_teardown(out_of_order_head_segment_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(agent_record_translates_like_engine, setup, teardown),
		cmocka_unit_test_setup_teardown(timers_syn_retransmit_and_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(route_reject_and_wait_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(pool_exhaustion_is_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(keepalive_probe_between_requests_relayed, setup, teardown),
		cmocka_unit_test_setup_teardown(deep_pipeline_waits_for_points, setup, teardown),
		cmocka_unit_test_setup_teardown(blind_rst_outside_window_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(syn_sent_unacceptable_ack_gets_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(old_leg_fin_retransmission_is_acked, setup, teardown),
		cmocka_unit_test_setup_teardown(second_resplice_keeps_first_old_leg, setup, teardown),
		cmocka_unit_test_setup_teardown(old_leg_pool_full_evicts, setup, teardown),
		cmocka_unit_test_setup_teardown(old_leg_fin_retransmitted_until_acked, setup, teardown),
		cmocka_unit_test_setup_teardown(old_leg_outlives_client_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(new_leg_takes_over_old_leg_tuple, setup, teardown),
		cmocka_unit_test_setup_teardown(reused_tuple_new_syn_after_fin_fin, setup, teardown),
		cmocka_unit_test_setup_teardown(reused_tuple_cookie_ack_without_syn, setup, teardown),
		cmocka_unit_test_setup_teardown(reused_tuple_syn_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(reused_tuple_isn_wraparound, setup, teardown),
		cmocka_unit_test_setup_teardown(reused_tuple_leg_still_closing, setup, teardown),
		cmocka_unit_test_setup_teardown(reused_tuple_leg_last_ack_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(syn_on_open_connection_is_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(fin_with_request_then_last_ack_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(head_buffer_returned_after_routing, setup, teardown),
		cmocka_unit_test_setup_teardown(head_pool_exhaustion_resets, setup, teardown),
		cmocka_unit_test_setup_teardown(keepalive_second_head_takes_buffer_again, setup, teardown),
		cmocka_unit_test_setup_teardown(head_pool_default_and_bounds, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
