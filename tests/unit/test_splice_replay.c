/*
 * test_splice_replay.c — the replay oracle, first version (ARCHITECTURE.md
 * §5): every connection of every capture in $L7_SHARED_DATA/pcaps with a
 * complete handshake and a client that speaks first is replayed through the
 * engine as if the captured server were the VIP. The client's captured
 * packets go in as captured; a scripted back-end with another ISN, window
 * scale, timestamp clock and MSS replays the captured server packets; every
 * request gets an inserted header after its request line.
 *
 * Checked: (1) every packet the engine sends toward the client from a
 * back-end packet has the captured server packet's seq, ack, flags and
 * payload; our SYN-ACK has the captured ISN; (2) every byte the back-end
 * receives equals the client's captured stream with exactly the insertion,
 * and it receives all of it. The summary line gives the counts; the goal is
 * zero mismatches. With L7_SPLICE_REPLAY_OUT=dir it also writes per capture
 * the client leg, the server leg and the replayed original as raw-IP pcaps
 * for tests/golden/splice_replay.sh to run through tshark.
 *
 * A second pass feeds every packet of every capture, malformed/ included,
 * to engines in both modes with a back-end that never answers: nothing may
 * crash (run under ASan/valgrind) and errors are counted.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "l7splice/pcap.h"
#include "l7splice/splice.h"

#define MAX_STREAM (4u << 20)
#define INS "X-Splice: 1\r\n"
#define INS_LEN 13u
#define B_WS 9
#define MAX_INS 256

struct cpkt {
	uint8_t *frame;
	uint32_t len, linktype;
	l7_time_ns ts;
	struct l7_pkt p;
	int conn; /* -1: not part of a replayed connection */
	int c2s;
};

struct rconn {
	struct l7_flow_key ckey; /* client -> server */
	uint32_t c_isn, s_isn;
	int syn, synack, bad, first_c2s, first_s2c, closed_tuple;
	int c_ws, s_ws; /* shifts in the captured SYN / SYN-ACK, -1 if none */
	uint8_t *cstream, *chave;
	uint32_t clen;
	/* replay */
	int qualified, leg_up, retired, raw, force;
	int ack_held;              /* the last back-end packet's ACK was capped */
	uint32_t rcv_nxt;          /* back-end: contiguous bytes received */
	int n_ins;                 /* insertions made, at client offsets: */
	uint32_t ins_offs[MAX_INS];
	uint32_t leg_isn, b_isn;
	int b_ts, b_sack, b_ws;
	/* re-splice mode: the current leg */
	int leg_no, cur_be, fin_seen;
	uint32_t vbase;  /* virtual-stream offset of the leg's first byte */
	uint32_t leg_s0; /* captured server offset the leg's first byte maps to */
	uint32_t s_sent; /* captured server bytes replayed so far */
	int be_req, be_choice; /* back-end decided for request be_req - 1 */
	uint8_t *shave;
	uint32_t smax;
};

struct file {
	struct cpkt *pk;
	size_t n, cap;
	struct rconn *cs;
	size_t nc, ccap;
};

struct out {
	enum l7_splice_side side;
	uint8_t frame[70000];
	size_t len;
	uint32_t l3_off;
	int built;
};

static struct out outs[64];
static int n_outs;
static struct rconn *cur;
static uint64_t n_files, n_conns, n_skipped, n_cmp, n_mis, n_supp, n_bytes, n_bmis,
	n_cover_mis, n_extra, n_synack_ok, n_inserts, n_preroute, n_held;
static struct l7_pcap_writer w_client, w_server, w_orig;
static int writing;
static const char *cur_name;
/* 0: one back-end per connection; 1: every keep-alive request goes to the
 * other of two back-ends, so the engine re-splices. */
static int resplice_mode;
static uint64_t n_oldleg, n_resplices;
static const struct cpkt *cur_cpkt; /* the client packet being fed */
static struct l7_splice *g_s;

static void emit_cb(void *user, const struct l7_splice_out *o)
{
	(void)user;
	if (n_outs >= 64)
		return;
	struct out *x = &outs[n_outs++];
	x->side = o->side;
	x->len = o->len < sizeof(x->frame) ? o->len : sizeof(x->frame);
	memcpy(x->frame, o->frame, x->len);
	x->l3_off = o->l3_off;
	x->built = o->built;
}

static void write_raw(struct l7_pcap_writer *w, l7_time_ns ts, const uint8_t *f, size_t len,
		      uint32_t l3_off)
{
	if (writing && len > l3_off)
		l7_pcap_write(w, ts, f + l3_off, (uint32_t)(len - l3_off), (uint32_t)(len - l3_off));
}

/* The back-end of a connection: one address per family, and a port
 * derived from the captured server's address and port, so that two
 * client connections from the same client port (active FTP data) do not
 * share a server-leg tuple in transparent mode. */
static void backend_of(const struct rconn *c, int idx, struct l7_addr *a, uint16_t *port)
{
	struct l7_addr dst;
	memcpy(dst.b, c->ckey.dst, 16);
	if (l7_addr_is_v4(&dst)) {
		*a = l7_addr_from_v4(0x0a630001u + (uint32_t)idx); /* 10.99.0.1, .2 */
	} else {
		uint8_t v6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
		v6[15] = (uint8_t)(1 + idx);
		*a = l7_addr_from_v6(v6);
	}
	uint32_t h = l7_flow_key_dport(&c->ckey);
	for (int i = 0; i < 16; i++)
		h = h * 31 + c->ckey.dst[i];
	*port = (uint16_t)(1024 + h % 64000);
}

/* Case-insensitive search for `pat` in h[0..n). */
static long find_ci(const uint8_t *h, size_t n, const char *pat)
{
	size_t m = strlen(pat);
	for (size_t i = 0; i + m <= n; i++) {
		size_t j = 0;
		while (j < m && (h[i + j] | 0x20) == (pat[j] | 0x20))
			j++;
		if (j == m)
			return (long)i;
	}
	return -1;
}

/*
 * Route like a keep-alive HTTP front-end: wait for a complete head, insert
 * a header after the request line of EVERY request, and tell the engine
 * where the request ends (head + Content-Length) so the next one is
 * inspected again. Not HTTP, chunked bodies or junk: relay the rest.
 */
static enum l7_splice_verdict route_cb(void *user, const struct l7_splice_head *h,
				       struct l7_splice_route *r)
{
	(void)user;
	struct rconn *c = cur;
	/* Re-splice mode: move to the other back-end when this request starts
	 * a fresh client packet whose ACK covers every server byte so far (the
	 * previous response is complete, nothing pipelined behind it); decide
	 * once per request (the engine may ask again). */
	int be = c->cur_be;
	if (resplice_mode && !c->raw && h->request_index > 0) {
		if (c->be_req == (int)h->request_index + 1) {
			be = c->be_choice;
		} else {
			const struct cpkt *q = cur_cpkt;
			int fresh = q && q->conn >= 0 &&
				    q->p.tcp_seq - (c->c_isn + 1) == (uint32_t)h->stream_off &&
				    q->p.tcp_ack - (c->s_isn + 1) == c->s_sent;
			be = fresh ? !c->cur_be : c->cur_be;
			c->be_req = (int)h->request_index + 1;
			c->be_choice = be;
		}
	}
	backend_of(c, be, &r->backend, &r->backend_port);
	if (c->raw || h->bytes[0] < 'A' || h->bytes[0] > 'Z') {
		c->raw = 1;
		return L7_SPLICE_ROUTE_GO;
	}
	long end = find_ci(h->bytes, h->len, "\r\n\r\n");
	if (end < 0 && (c->force || h->fin || h->len > 60000)) {
		c->raw = 1; /* the server answered an incomplete head: relay */
		return L7_SPLICE_ROUTE_GO;
	}
	if (end < 0)
		return L7_SPLICE_ROUTE_WAIT; /* resumed when the server speaks */
	size_t head_len = (size_t)end + 4;
	uint64_t body = 0;
	long cl = find_ci(h->bytes, head_len, "\r\ncontent-length:");
	if (find_ci(h->bytes, head_len, "\r\ntransfer-encoding:") >= 0) {
		c->raw = 1; /* chunked: stop inspecting */
	} else if (cl >= 0) {
		size_t i = (size_t)cl + 17;
		while (i < head_len && h->bytes[i] == ' ')
			i++;
		while (i < head_len && h->bytes[i] >= '0' && h->bytes[i] <= '9')
			body = body * 10 + (uint64_t)(h->bytes[i++] - '0');
	}
	long crlf = find_ci(h->bytes, head_len, "\r\n");
	uint32_t at = (uint32_t)(h->stream_off + (uint64_t)crlf + 2);
	/* Deep pipelining: skip the header rather than make the engine hold
	 * the request until earlier insertion points retire (that wait is
	 * tested in test_splice.c; here the captured server's ACKs would then
	 * run ahead of what the scripted back-end has). */
	struct l7_splice_record rec;
	int live = g_s && l7_splice_export(g_s, h->conn_id, &rec) == 0 ? rec.n_points : 0;
	if (c->n_ins < MAX_INS && crlf >= 0 && live < L7_SPLICE_MAX_POINTS) {
		r->n_inserts = 1;
		r->inserts[0].stream_off = h->stream_off + (uint64_t)crlf + 2;
		r->inserts[0].data = (const uint8_t *)INS;
		r->inserts[0].len = INS_LEN;
		/* The engine may ask again for the same head (it waited for
		 * insertion points to retire): record each insertion once. */
		if (c->n_ins == 0 || c->ins_offs[c->n_ins - 1] != at)
			c->ins_offs[c->n_ins++] = at;
	}
	r->request_bytes = c->raw ? 0 : head_len + body;
	return L7_SPLICE_ROUTE_GO;
}

/* Server-stream offset of client-stream offset a (inserted bytes before
 * or at a count: they were sent just before byte a). */
static uint32_t c2s_off(const struct rconn *c, uint32_t a)
{
	uint32_t shift = 0;
	for (int k = 0; k < c->n_ins && (int32_t)(a - c->ins_offs[k]) >= 0; k++)
		shift += INS_LEN;
	return a + shift;
}

static uint32_t isn_cb(void *user, const struct l7_flow_key *k, uint32_t cisn)
{
	(void)user;
	(void)k;
	(void)cisn;
	return cur ? cur->s_isn : 1;
}

/* ------------------------------------------------------------ loading */

static int load_file(const char *path, struct file *f)
{
	struct l7_pcap_reader r;
	memset(f, 0, sizeof(*f));
	if (l7_pcap_open(&r, path) < 0)
		return -1;
	struct l7_pcap_rec rec;
	int rc;
	while ((rc = l7_pcap_next(&r, &rec)) == 1 || rc == 0) {
		if (rc == 0)
			break;
		if (f->n == f->cap) {
			f->cap = f->cap ? 2 * f->cap : 1024;
			f->pk = realloc(f->pk, f->cap * sizeof(*f->pk));
		}
		struct cpkt *c = &f->pk[f->n++];
		c->frame = malloc(rec.caplen ? rec.caplen : 1);
		memcpy(c->frame, rec.data, rec.caplen);
		c->len = rec.caplen;
		c->linktype = rec.linktype;
		c->ts = rec.ts_ns;
		c->conn = -1;
	}
	l7_pcap_close(&r);
	return 0;
}

static void free_file(struct file *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->pk[i].frame);
	for (size_t i = 0; i < f->nc; i++) {
		free(f->cs[i].cstream);
		free(f->cs[i].chave);
		free(f->cs[i].shave);
	}
	free(f->pk);
	free(f->cs);
}

static int key_eq(const struct l7_flow_key *a, const struct l7_flow_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* Group packets into connection lives and build each client stream. */
static void classify(struct file *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct cpkt *q = &f->pk[i];
		if (l7_pkt_parse(&q->p, q->frame, q->len, q->linktype) < 0 ||
		    q->p.proto != L7_IPPROTO_TCP || (q->p.flags & L7_PKT_F_FRAG))
			continue;
		struct l7_flow_key k, rk;
		l7_flow_key_from_pkt(&k, &q->p);
		rk = k;
		l7_flow_key_reverse(&rk);
		int ci = -1, c2s = 0;
		for (size_t j = f->nc; j-- > 0;) {
			if (key_eq(&f->cs[j].ckey, &k)) { ci = (int)j; c2s = 1; break; }
			if (key_eq(&f->cs[j].ckey, &rk)) { ci = (int)j; c2s = 0; break; }
		}
		uint16_t fl = q->p.tcp_flags;
		int is_syn = (fl & (L7_TCP_SYN | L7_TCP_ACK)) == L7_TCP_SYN;
		if (is_syn && (ci < 0 || !c2s || f->cs[ci].c_isn != q->p.tcp_seq)) {
			if (f->nc == f->ccap) {
				f->ccap = f->ccap ? 2 * f->ccap : 64;
				f->cs = realloc(f->cs, f->ccap * sizeof(*f->cs));
			}
			if (ci >= 0)
				f->cs[ci].closed_tuple = 1; /* a later life on the tuple */
			struct rconn *c = &f->cs[f->nc];
			memset(c, 0, sizeof(*c));
			c->ckey = k;
			c->c_isn = q->p.tcp_seq;
			c->syn = 1;
			c->c_ws = -1;
			c->s_ws = -1;
			size_t ol;
			const uint8_t *o = l7_pkt_tcp_opts(&q->p, &ol);
			uint8_t ws;
			if (l7_tcpopt_get_ws(o, ol, &ws) == 1)
				c->c_ws = ws > 14 ? 14 : ws;
			ci = (int)f->nc++;
			c2s = 1;
		}
		if (ci < 0)
			continue;
		struct rconn *c = &f->cs[ci];
		q->conn = ci;
		q->c2s = c2s;
		if (!c2s && (fl & (L7_TCP_SYN | L7_TCP_ACK)) == (L7_TCP_SYN | L7_TCP_ACK)) {
			if (q->p.tcp_ack == c->c_isn + 1 && !c->synack) {
				c->synack = 1;
				c->s_isn = q->p.tcp_seq;
				size_t ol;
				const uint8_t *o = l7_pkt_tcp_opts(&q->p, &ol);
				uint8_t ws;
				if (l7_tcpopt_get_ws(o, ol, &ws) == 1)
					c->s_ws = ws > 14 ? 14 : ws;
			}
			continue;
		}
		if (q->p.payload_len == 0)
			continue;
		if (q->p.payload_caplen < q->p.payload_len)
			c->bad = 1;
		if (c2s && !c->first_s2c)
			c->first_c2s = 1;
		if (!c2s && !c->first_c2s)
			c->first_s2c = 1;
		if (c2s && !c->bad) {
			uint32_t off = q->p.tcp_seq - (c->c_isn + 1);
			if (off >= MAX_STREAM || off + q->p.payload_len > MAX_STREAM) {
				c->bad = 1;
				continue;
			}
			if (!c->cstream) {
				c->cstream = calloc(1, MAX_STREAM);
				c->chave = calloc(1, MAX_STREAM);
			}
			for (uint32_t b = 0; b < q->p.payload_len; b++) {
				uint8_t v = l7_pkt_payload(&q->p)[b];
				if (!c->chave[off + b]) {
					c->chave[off + b] = 1;
					c->cstream[off + b] = v;
				} else if (c->cstream[off + b] != v) {
					/* Conflicting retransmission: which copy the
					 * back-end keeps is its business, not ours. */
					c->bad = 1;
				}
			}
			if (off + q->p.payload_len > c->clen)
				c->clen = off + q->p.payload_len;
		}
	}
	for (size_t j = 0; j < f->nc; j++) {
		struct rconn *c = &f->cs[j];
		c->qualified = c->syn && c->synack && c->first_c2s && !c->bad && !c->closed_tuple;
		if (c->qualified)
			for (uint32_t b = 0; b < c->clen; b++)
				if (!c->chave[b])
					c->qualified = 0; /* capture lost client bytes */
	}
}

/* ------------------------------------------------------------ checking */

/* Expected byte at server-stream offset o. */
static int expect_byte(const struct rconn *c, uint32_t o, uint8_t *b)
{
	uint32_t shift = 0;
	for (int k = 0; k < c->n_ins; k++) {
		uint32_t pos = c->ins_offs[k] + shift;
		if (o < pos)
			break;
		if (o < pos + INS_LEN) {
			*b = (uint8_t)INS[o - pos];
			return 1;
		}
		shift += INS_LEN;
	}
	o -= shift;
	if (o >= c->clen)
		return 0;
	*b = c->cstream[o];
	return 1;
}

static void check_to_server(struct rconn *c, const struct out *x, l7_time_ns ts)
{
	struct l7_pkt p;
	write_raw(&w_server, ts, x->frame, x->len, x->l3_off);
	if (l7_pkt_parse(&p, x->frame, (uint32_t)x->len,
			 x->built ? L7_LINKTYPE_RAW : 0) < 0 &&
	    l7_pkt_parse(&p, x->frame + x->l3_off, (uint32_t)(x->len - x->l3_off),
			 L7_LINKTYPE_RAW) < 0) {
		n_bmis++;
		return;
	}
	if (p.tcp_flags & L7_TCP_SYN) {
		struct l7_addr a1;
		uint16_t port;
		backend_of(c, 1, &a1, &port);
		c->cur_be = memcmp(&p.dst, &a1, sizeof(a1)) == 0;
		c->leg_no++;
		c->leg_isn = p.tcp_seq;
		c->vbase = c2s_off(c, c->leg_isn - c->c_isn);
		c->leg_s0 = c->s_sent;
		c->fin_seen = 0;
		size_t ol;
		const uint8_t *o = l7_pkt_tcp_opts(&p, &ol);
		struct l7_tcp_opts t;
		l7_tcp_opts_parse(o, ol, &t);
		c->b_ts = (t.has & L7_TCPO_HAS_TS) != 0;
		c->b_sack = (t.has & L7_TCPO_HAS_SACK_PERM) != 0;
		c->b_ws = (t.has & L7_TCPO_HAS_WS) != 0;
		return;
	}
	struct l7_addr cur_a;
	uint16_t cur_port;
	backend_of(c, c->cur_be, &cur_a, &cur_port);
	if (memcmp(&p.dst, &cur_a, sizeof(cur_a)) != 0) {
		n_oldleg++; /* closing a leg after a re-splice */
		return;
	}
	/* Offsets in the virtual stream: the client's bytes with every
	 * insertion of every leg. */
	uint32_t o = p.tcp_seq - (c->leg_isn + 1) + c->vbase;
	if (p.tcp_flags & L7_TCP_FIN)
		c->fin_seen = 1;
	if (p.payload_len == 0)
		return;
	for (uint32_t i = 0; i < p.payload_len; i++) {
		uint8_t want;
		n_bytes++;
		if (!expect_byte(c, o + i, &want) || want != l7_pkt_payload(&p)[i]) {
			if (n_bmis < 5)
				fprintf(stderr, "replay: %s: server byte %u mismatch\n",
					cur_name, o + i);
			n_bmis++;
			continue;
		}
		if (o + i < c->clen + (uint32_t)c->n_ins * INS_LEN)
			c->shave[o + i] = 1;
	}
	uint32_t lim = c->clen + (uint32_t)c->n_ins * INS_LEN;
	while (c->rcv_nxt < lim && c->shave[c->rcv_nxt])
		c->rcv_nxt++;
}

static int parse_out(const struct out *x, struct l7_pkt *p)
{
	return l7_pkt_parse(p, x->frame + x->l3_off, (uint32_t)(x->len - x->l3_off),
			    L7_LINKTYPE_RAW);
}

static void handle_outs(struct rconn *c, const struct cpkt *from_client, l7_time_ns ts,
			const struct cpkt *server_src);

/* The scripted back-end answers a SYN. */
static void feed_backend(struct l7_splice *s, struct rconn *c, uint8_t *frame, size_t len,
			 l7_time_ns ts, const struct cpkt *src)
{
	write_raw(&w_server, ts, frame, len, 0);
	n_outs = 0;
	l7_splice_input(s, frame, len, L7_LINKTYPE_RAW, ts);
	handle_outs(c, NULL, ts, src);
}

static void synack_from_backend(struct l7_splice *s, struct rconn *c, l7_time_ns ts)
{
	struct l7_tcp_opts t = { 0 };
	t.has = L7_TCPO_HAS_MSS;
	t.mss = 1380;
	if (c->b_ws) {
		t.has |= L7_TCPO_HAS_WS;
		t.wscale = B_WS;
	}
	if (c->b_sack)
		t.has |= L7_TCPO_HAS_SACK_PERM;
	if (c->b_ts) {
		t.has |= L7_TCPO_HAS_TS;
		t.ts_val = 777777;
	}
	uint8_t opts[40];
	int ol = l7_tcp_opts_encode(&t, opts, sizeof(opts));
	struct l7_flow_key *k = &c->ckey;
	struct l7_tcp_build b = { 0 };
	b.linktype = L7_LINKTYPE_RAW;
	struct l7_addr csrc;
	memcpy(csrc.b, k->src, 16);
	b.ip_version = l7_addr_is_v4(&csrc) ? 4 : 6;
	b.ttl = 64;
	struct l7_splice_route rr = { 0 };
	struct l7_splice_head hh = { 0 };
	hh.request_index = 1;
	backend_of(c, c->cur_be, &rr.backend, &rr.backend_port);
	(void)hh;
	b.src = rr.backend;
	memcpy(b.dst.b, k->src, 16);
	b.sport = rr.backend_port;
	b.dport = l7_flow_key_sport(k);
	c->b_isn = (c->s_isn ^ 0x5a5a5a5au) + ((uint32_t)c->leg_no << 20);
	b.seq = c->b_isn;
	b.ack = c->leg_isn + 1;
	b.flags = L7_TCP_SYN | L7_TCP_ACK;
	b.window = 65535;
	b.opts = opts;
	b.opts_len = ol > 0 ? (size_t)ol : 0;
	uint8_t frame[256];
	size_t len;
	assert_int_equal(l7_pkt_build_tcp(frame, sizeof(frame), &b, &len), 0);
	c->leg_up = 1;
	feed_backend(s, c, frame, len, ts, NULL);
}


static void handle_outs(struct rconn *c, const struct cpkt *from_client, l7_time_ns ts,
			const struct cpkt *server_src)
{
	int n = n_outs, need_synack = 0;
	struct out local[8];
	int nl = 0;
	int relayed_to_client = 0;
	for (int i = 0; i < n; i++) {
		struct out *x = &outs[i];
		if (x->side == L7_SPLICE_TO_SERVER) {
			struct l7_pkt p;
			if (parse_out(x, &p) == 0 && (p.tcp_flags & L7_TCP_SYN))
				need_synack = 1;
			check_to_server(c, x, ts);
			continue;
		}
		write_raw(&w_client, ts, x->frame, x->len, x->l3_off);
		struct l7_pkt p;
		if (parse_out(x, &p) < 0) {
			n_mis++;
			continue;
		}
		if (from_client && (p.tcp_flags & L7_TCP_SYN)) {
			n_cmp++;
			if (p.tcp_seq == c->s_isn && p.tcp_ack == c->c_isn + 1)
				n_synack_ok++;
			else
				n_mis++;
			continue;
		}
		if (server_src && !relayed_to_client) {
			const struct l7_pkt *q = &server_src->p;
			relayed_to_client = 1;
			n_cmp++;
			if (c->ack_held)
				n_held++;
			if (p.tcp_seq != q->tcp_seq || (!c->ack_held && p.tcp_ack != q->tcp_ack) ||
			    (p.tcp_flags & 0x3f) != (q->tcp_flags & 0x3f) ||
			    p.payload_len != q->payload_len ||
			    memcmp(l7_pkt_payload(&p), l7_pkt_payload(q), p.payload_len) != 0) {
				if (n_mis < 10)
					fprintf(stderr,
						"replay: %s: to-client mismatch seq %u/%u ack %u/%u "
						"flags %x/%x len %u/%u\n", cur_name,
						p.tcp_seq, q->tcp_seq, p.tcp_ack, q->tcp_ack,
						p.tcp_flags, q->tcp_flags, p.payload_len,
						q->payload_len);
				n_mis++;
			}
			continue;
		}
		n_extra++;
		if (n_extra < 5)
			fprintf(stderr, "replay: %s: extra packet to client flags %x seq %u\n",
				cur_name, p.tcp_flags, p.tcp_seq);
	}
	(void)local;
	(void)nl;
	if (server_src && !relayed_to_client)
		n_supp++;
	if (need_synack)
		synack_from_backend(g_s, c, ts);
}

/* Build the back-end's version of a captured server packet. */
static size_t backend_pkt(const struct rconn *c, const struct cpkt *q, uint8_t *frame,
			  size_t cap)
{
	const struct l7_pkt *p = &q->p;
	struct l7_tcp_build b = { 0 };
	b.linktype = L7_LINKTYPE_RAW;
	b.ip_version = p->ip_version;
	b.ttl = 64;
	struct l7_splice_route rr = { 0 };
	struct l7_splice_head hh = { 0 };
	hh.request_index = 1;
	(void)hh;
	backend_of(c, c->cur_be, &rr.backend, &rr.backend_port);
	b.src = rr.backend;
	b.dst = p->dst;
	b.sport = rr.backend_port;
	b.dport = p->dport;
	uint32_t x = p->tcp_seq - (c->s_isn + 1);
	if ((int32_t)(x - c->leg_s0) < 0 && (p->payload_len || (p->tcp_flags & L7_TCP_FIN)))
		return 0; /* bytes of a response served by a closed leg */
	b.seq = x - c->leg_s0 + (c->b_isn + 1);
	uint32_t aoff = c2s_off(c, p->tcp_ack - (c->c_isn + 1));
	/* A back-end never ACKs bytes it has not received: the engine may
	 * still hold them (a keep-alive head waiting to be complete). */
	((struct rconn *)c)->ack_held = 0;
	if ((p->tcp_flags & L7_TCP_ACK) && (int32_t)(aoff - (c->rcv_nxt + (uint32_t)c->fin_seen)) > 0 &&
	    !(p->tcp_flags & L7_TCP_RST)) {
		aoff = c->rcv_nxt;
		((struct rconn *)c)->ack_held = 1;
	}
	b.ack = (p->tcp_flags & L7_TCP_ACK) ? c->leg_isn + 1 + (aoff - c->vbase) : 0;
	b.flags = p->tcp_flags;
	uint32_t real = (uint32_t)p->tcp_window << (c->c_ws >= 0 && c->s_ws >= 0 ? c->s_ws : 0);
	uint32_t w = real >> (c->b_ws ? B_WS : 0);
	b.window = (uint16_t)(w > 65535 ? 65535 : (w == 0 && real ? 1 : w));
	size_t ol;
	const uint8_t *o = l7_pkt_tcp_opts(p, &ol);
	struct l7_tcp_opts t, bo = { 0 };
	uint8_t opts[40];
	if (l7_tcp_opts_parse(o, ol, &t) == 0) {
		if (c->b_ts && (t.has & L7_TCPO_HAS_TS)) {
			bo.has |= L7_TCPO_HAS_TS;
			bo.ts_val = t.ts_val + 1000000;
			bo.ts_ecr = t.ts_ecr;
		}
		if (c->b_sack && (t.has & L7_TCPO_HAS_SACK) && !c->ack_held) {
			bo.has |= L7_TCPO_HAS_SACK;
			bo.n_sack = t.n_sack;
			for (int i = 0; i < t.n_sack; i++) {
				uint32_t e[2] = { t.sack[i].left, t.sack[i].right };
				for (int j = 0; j < 2; j++) {
					uint32_t off = c2s_off(c, e[j] - (c->c_isn + 1));
					e[j] = c->leg_isn + 1 + (off - c->vbase);
				}
				bo.sack[i].left = e[0];
				bo.sack[i].right = e[1];
			}
		}
	}
	int n = bo.has ? l7_tcp_opts_encode(&bo, opts, sizeof(opts)) : 0;
	b.opts = opts;
	b.opts_len = n > 0 ? (size_t)n : 0;
	b.payload = l7_pkt_payload(p);
	b.payload_len = p->payload_len;
	size_t len = 0;
	if (l7_pkt_build_tcp(frame, cap, &b, &len) < 0)
		return 0;
	return len;
}

static void open_writers(const char *dir, const char *name)
{
	char path[1024];
	writing = 0;
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s.client.pcap", dir, name);
	if (l7_pcap_writer_open(&w_client, path, L7_LINKTYPE_RAW, 65535) < 0)
		return;
	snprintf(path, sizeof(path), "%s/%s.server.pcap", dir, name);
	l7_pcap_writer_open(&w_server, path, L7_LINKTYPE_RAW, 65535);
	snprintf(path, sizeof(path), "%s/%s.orig.pcap", dir, name);
	l7_pcap_writer_open(&w_orig, path, L7_LINKTYPE_RAW, 65535);
	writing = 1;
}

static void close_writers(void)
{
	if (!writing)
		return;
	l7_pcap_writer_close(&w_client);
	l7_pcap_writer_close(&w_server);
	l7_pcap_writer_close(&w_orig);
	writing = 0;
}

static void replay_file(struct file *f, const char *name)
{
	classify(f);
	cur_name = name;
	int any = 0;
	for (size_t j = 0; j < f->nc; j++) {
		if (f->cs[j].qualified) {
			any = 1;
			f->cs[j].shave = calloc(1, f->cs[j].clen + MAX_INS * INS_LEN + 1);
			n_conns++;
		} else {
			n_skipped++;
		}
	}
	if (!any)
		return;
	n_files++;
	struct l7_splice_cfg cfg = { 0 };
	cfg.max_conns = (uint32_t)f->nc + 1;
	cfg.buf_bytes = 65536;
	cfg.ins_bytes = 4096;
	cfg.stateful = 1;
	cfg.isn_fn = isn_cb;
	cfg.route = route_cb;
	cfg.emit = emit_cb;
	cfg.idle_ns = 3600ull * 1000000000ull;
	cfg.linger_ns = 60ull * 1000000000ull;
	struct l7_splice *s = l7_splice_create(&cfg, NULL);
	assert_non_null(s);
	g_s = s;
	open_writers(resplice_mode ? NULL : getenv("L7_SPLICE_REPLAY_OUT"), name);
	static uint8_t frame[70000];
	for (size_t i = 0; i < f->n; i++) {
		struct cpkt *q = &f->pk[i];
		if (q->conn < 0 || !f->cs[q->conn].qualified)
			continue;
		struct rconn *c = &f->cs[q->conn];
		cur = c;
		write_raw(&w_orig, q->ts, q->frame, q->len, q->p.l3_off);
		if (q->c2s) {
			int is_syn = (q->p.tcp_flags & L7_TCP_SYN) != 0;
			if (c->retired || (!is_syn && l7_splice_find(s, &c->ckey) < 0)) {
				c->retired = 1; /* after the engine closed it */
				continue;
			}
			write_raw(&w_client, q->ts, q->frame, q->len, q->p.l3_off);
			memcpy(frame, q->frame, q->len);
			n_outs = 0;
			cur_cpkt = q;
			l7_splice_input(s, frame, q->len, q->linktype, q->ts);
			cur_cpkt = NULL;
			handle_outs(c, q, q->ts, NULL);
		} else {
			if ((q->p.tcp_flags & L7_TCP_SYN) || c->retired)
				continue;
			if (!c->leg_up) {
				/* The server answered before our route saw a
				 * complete head (HTTP/0.9, odd methods): route now. */
				int id = l7_splice_find(s, &c->ckey);
				c->force = 1;
				if (id >= 0) {
					n_outs = 0;
					l7_splice_resume(s, (uint32_t)id, q->ts);
					handle_outs(c, NULL, q->ts, NULL);
				}
				if (!c->leg_up) {
					n_preroute++;
					continue;
				}
			}
			if (l7_splice_find(s, &c->ckey) < 0) {
				c->retired = 1; /* the client reset it */
				continue;
			}
			size_t len = backend_pkt(c, q, frame, sizeof(frame));
			if (!len) {
				n_oldleg++;
				continue;
			}
			feed_backend(s, c, frame, len, q->ts, q);
			uint32_t xe = q->p.tcp_seq - (c->s_isn + 1) + q->p.payload_len;
			if ((int32_t)(xe - c->s_sent) > 0)
				c->s_sent = xe;
		}
	}
	for (size_t j = 0; j < f->nc; j++) {
		struct rconn *c = &f->cs[j];
		if (!c->qualified)
			continue;
		uint32_t want = c->clen + (uint32_t)c->n_ins * INS_LEN;
		n_inserts += (uint64_t)c->n_ins;
		for (uint32_t b = 0; b < want; b++)
			if (!c->shave[b]) {
				n_cover_mis++;
				if (n_cover_mis < 5)
					fprintf(stderr, "replay: %s conn %zu: server never got byte %u of %u\n",
						name, j, b, want);
				break;
			}
	}
	close_writers();
	n_resplices += l7_splice_stats(s)->resplices;
	if (getenv("L7_SPLICE_REPLAY_DEBUG")) {
		const struct l7_splice_stats *st = l7_splice_stats(s);
		fprintf(stderr, "%s: head_too_big %llu route_rejected %llu insert_full %llu "
			"route_bad %llu dropped_state %llu gap %llu bad_opts %llu\n", name,
			(unsigned long long)st->head_too_big, (unsigned long long)st->route_rejected,
			(unsigned long long)st->insert_full, (unsigned long long)st->route_bad,
			(unsigned long long)st->dropped_state, (unsigned long long)st->dropped_gap,
			(unsigned long long)st->bad_options);
	}
	l7_splice_destroy(s);
	g_s = NULL;
	cur = NULL;
}

/* ------------------------------------------------------------ robustness */

static enum l7_splice_verdict go_cb(void *user, const struct l7_splice_head *h,
				    struct l7_splice_route *r)
{
	(void)user;
	(void)h;
	struct l7_addr src;
	static const uint8_t v6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	memcpy(src.b, h->client_key->src, 16);
	r->backend = l7_addr_is_v4(&src) ? l7_addr_from_v4(0x0a630001) : l7_addr_from_v6(v6);
	r->backend_port = 8080;
	return L7_SPLICE_ROUTE_GO;
}

static void sink(void *user, const struct l7_splice_out *o)
{
	uint64_t *n = user;
	*n += o->len;
}

static uint64_t robust_pkts, robust_errs;

static void robustness(const struct file *f)
{
	static uint8_t frame[70000];
	uint64_t sunk = 0;
	for (int stateful = 0; stateful < 2; stateful++) {
		struct l7_splice_cfg cfg = { 0 };
		cfg.max_conns = 64;
		cfg.buf_bytes = 2048;
		cfg.stateful = (uint8_t)stateful;
		cfg.route = go_cb;
		cfg.emit = sink;
		cfg.user = &sunk;
		struct l7_splice *s = l7_splice_create(&cfg, NULL);
		assert_non_null(s);
		for (size_t i = 0; i < f->n; i++) {
			const struct cpkt *q = &f->pk[i];
			size_t len = q->len < sizeof(frame) ? q->len : sizeof(frame);
			memcpy(frame, q->frame, len);
			robust_pkts++;
			if (l7_splice_input(s, frame, len, q->linktype, q->ts) < 0)
				robust_errs++;
			if ((i & 63) == 0)
				l7_splice_tick(s, q->ts);
		}
		l7_splice_destroy(s);
	}
}

/* ------------------------------------------------------------ driver */

static int is_capture(const char *n)
{
	size_t l = strlen(n);
	return (l > 5 && strcmp(n + l - 5, ".pcap") == 0) ||
	       (l > 7 && strcmp(n + l - 7, ".pcapng") == 0);
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_dir(const char *dir, int oracle, int robust)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	char *names[256];
	int nn = 0;
	struct dirent *e;
	while ((e = readdir(d)) && nn < 256)
		if (is_capture(e->d_name))
			names[nn++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)nn, sizeof(names[0]), cmpstr);
	for (int i = 0; i < nn; i++) {
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		struct file f;
		if (load_file(path, &f) == 0) {
			if (robust)
				robustness(&f);
			if (oracle)
				replay_file(&f, names[i]);
			free_file(&f);
		}
		free(names[i]);
	}
}

static void reset_counts(void)
{
	n_files = n_conns = n_skipped = n_cmp = n_mis = n_supp = n_bytes = n_bmis = 0;
	n_cover_mis = n_extra = n_synack_ok = n_inserts = n_preroute = n_held = 0;
	n_oldleg = n_resplices = 0;
}

static void replay_all_captures(void **state)
{
	(void)state;
	const char *data = getenv("L7_SHARED_DATA");
	char dir[2048];
	for (int mode = 0; mode < 2; mode++) {
		resplice_mode = mode;
		reset_counts();
		snprintf(dir, sizeof(dir), "%s/pcaps", data);
		run_dir(dir, 1, !mode);
		snprintf(dir, sizeof(dir), "%s/pcaps/reassembly", data);
		run_dir(dir, 1, !mode);
		if (!mode) {
			snprintf(dir, sizeof(dir), "%s/pcaps/malformed", data);
			run_dir(dir, 0, 1);
		}
		printf("replay%s: files %llu, connections checked %llu (skipped %llu: no handshake, "
		       "server first, lost, snapped or conflicting client bytes), to-client packets "
		       "compared %llu (SYN-ACK ISN ok %llu; %llu server packets before routing not "
		       "replayed; %llu ACKs capped to what the back-end had), mismatches %llu, "
		       "suppressed ACKs %llu, extra to-client %llu, headers inserted %llu, "
		       "re-splices %llu (old-leg packets %llu), back-end bytes checked %llu, byte "
		       "mismatches %llu, incomplete streams %llu",
		       mode ? " (re-splicing each request that follows a complete response)" : "",
		       (unsigned long long)n_files, (unsigned long long)n_conns,
		       (unsigned long long)n_skipped, (unsigned long long)n_cmp,
		       (unsigned long long)n_synack_ok, (unsigned long long)n_preroute,
		       (unsigned long long)n_held, (unsigned long long)n_mis,
		       (unsigned long long)n_supp, (unsigned long long)n_extra,
		       (unsigned long long)n_inserts, (unsigned long long)n_resplices,
		       (unsigned long long)n_oldleg, (unsigned long long)n_bytes,
		       (unsigned long long)n_bmis, (unsigned long long)n_cover_mis);
		if (!mode)
			printf("; robustness: %llu packets, %llu rejected",
			       (unsigned long long)robust_pkts, (unsigned long long)robust_errs);
		printf("\n");
		assert_true(n_conns > 0);
		assert_true(n_cmp > 0);
		if (mode)
			assert_true(n_resplices > 0);
		assert_int_equal(n_mis, 0);
		assert_int_equal(n_bmis, 0);
		assert_int_equal(n_cover_mis, 0);
		assert_int_equal(n_extra, 0);
	}
}

int main(void)
{
	const char *data = getenv("L7_SHARED_DATA");
	char dir[2048];
	snprintf(dir, sizeof(dir), "%s/pcaps", data ? data : "");
	DIR *d = data ? opendir(dir) : NULL;
	if (!d) {
		printf("test_splice_replay: L7_SHARED_DATA/pcaps not found, skipping\n");
		return 77;
	}
	closedir(d);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replay_all_captures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
