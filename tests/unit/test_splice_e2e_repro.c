/*
 * test_splice_e2e_repro.c — minimal reproductions of splice-engine
 * behaviours found by the end-to-end test (tests/e2e, examples/splice-lb;
 * described in docs/e2e.md and reported to the splice owner). Each case
 * asserts what RFC 9293 asks for. The SYN_SENT case was fixed in the
 * engine (d7e60ff, which added its own regression test); the old-leg FIN
 * case still fails, so the program is opt-in: without L7_SPLICE_REPRO=1 it
 * skips (exit 77) and does not turn `make check` red while the fix is
 * pending. Remove the gate once both pass.
 *
 * The harness (packet builders, route/emit callbacks) is the one of
 * tests/unit/test_splice.c, duplicated so this file stands alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "l7splice/splice.h"

#define CLIENT_IP 0x0a000001u
#define VIP_IP 0x0a00010au
#define BE1_IP 0x0a000201u
#define BE2_IP 0x0a000202u
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

static void setup_engine(struct h *h, int stateful)
{
	memset(&h->cfg, 0, sizeof(h->cfg));
	h->cfg.max_conns = 8;
	h->cfg.buf_bytes = 4096;
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

/* ------------------------------------------------------------ repros */

/*
 * After a re-splice, back-end 1 closes its old leg with a FIN; the engine
 * ACKs it. That ACK is lost on the wire, so back-end 1 (LAST-ACK)
 * retransmits the FIN: it must be ACKed again, not answered with a RST.
 */
static void old_leg_fin_retransmission_is_acked(void **state)
{
	struct h *h = *state;
	h->request_bytes = UINT64_MAX;
	setup_engine(h, 0);
	establish(h, 1);
	uint8_t o[40];
	size_t n = ts_opt(o, 9001, 502);
	from_server(h, BE1_IP, B_ISN + 1, h->c_isn + 28, L7_TCP_ACK | L7_TCP_PSH, o, n,
		    "0123456789");
	h->backend_ip = BE2_IP;
	n = ts_opt(o, 510, h->out[0].o.ts_val);
	from_client(h, h->c_isn + 28, h->l_isn + 1, L7_TCP_ACK | L7_TCP_PSH, o, n, REQ);
	from_client(h, h->c_isn + 55, h->l_isn + 11, L7_TCP_ACK, o, n, NULL);
	backend_synack(h, BE2_IP, 0x5000, h->c_isn + 27, 1460, 1);
	/* back-end 1's FIN on the old leg, ACKed */
	n = ts_opt(o, 9002, 510);
	from_server(h, BE1_IP, B_ISN + 11, h->c_isn + 29, L7_TCP_FIN | L7_TCP_ACK, o, n, NULL);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_ack, B_ISN + 12);
	/* the same FIN again, 200 ms later */
	h->now += 200000000ull;
	n = ts_opt(o, 9202, 510);
	from_server(h, BE1_IP, B_ISN + 11, h->c_isn + 29, L7_TCP_FIN | L7_TCP_ACK, o, n, NULL);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].p.tcp_flags & L7_TCP_RST, 0);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_ACK);
	assert_int_equal(h->out[0].p.tcp_ack, B_ISN + 12);
}

/*
 * The back-end still holds the server-leg tuple (TIME-WAIT) and answers our
 * SYN with a bare ACK for its old connection. RFC 9293 §3.10.7.3 (SYN-SENT):
 * an unacceptable ACK is answered with <SEQ=SEG.ACK><CTL=RST>, which also
 * clears the stale TIME-WAIT so the next SYN retransmission succeeds.
 */
static void syn_sent_unacceptable_ack_gets_rst(void **state)
{
	struct h *h = *state;
	setup_engine(h, 0);
	client_handshake(h, 1);
	send_request(h, 1);
	uint8_t o[40];
	size_t n = ts_opt(o, 77777, 12345);
	from_server(h, h->backend_ip, 0x30000000u, 0xdeadbeefu, L7_TCP_ACK, o, n, NULL);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->out[0].side, L7_SPLICE_TO_SERVER);
	assert_int_equal(h->out[0].p.tcp_flags, L7_TCP_RST);
	assert_int_equal(h->out[0].p.tcp_seq, 0xdeadbeefu);
	assert_int_equal(l7_splice_conn_state(h->s, h->conn), L7_SPLICE_SYN_SENT);
}

int main(void)
{
	const char *on = getenv("L7_SPLICE_REPRO");
	if (!on || strcmp(on, "1") != 0) {
		printf("test_splice_e2e_repro: skipped: engine repros from the e2e test "
		       "(set L7_SPLICE_REPRO=1 to run)\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(old_leg_fin_retransmission_is_acked, setup, teardown),
		cmocka_unit_test_setup_teardown(syn_sent_unacceptable_ack_gets_rst, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
