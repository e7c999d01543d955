/*
 * server.c — the back-end server model of server.h.
 *
 * A connection object is freed only when the endpoint has reported CLOSED
 * and no worker or queue refers to it any more (`dead` marks the first
 * half), so a service-done event never sees freed memory.
 *
 * Request framing (server.h): `complete` counts requests in the workload's
 * numbering (the leg starts at `first`); a connection in F_RAW mode counts
 * by the workload's byte counts from raw_pos, the original c2s stream
 * offset it has reached. A head buffer is held only while a head arrives
 * in pieces, and is returned when the head completes or the leg dies.
 *
 * Oracle (server.h): a streaming comparison that does not depend on the
 * framing above (so byte-count legs are checked alike). exp_pos is the
 * captured client-stream offset the next received byte should equal. Where
 * a received byte differs, the bytes from there on may be one of the
 * allowed insertions (ins_mask: the candidates whose first ins_len bytes
 * they matched so far); a candidate matched to its end is an insertion,
 * and when none is left, the bytes held (a known candidate prefix) are
 * compared with the capture like any others. A mismatching byte advances
 * exp_pos by one: the capture is assumed to continue one for one.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/server.h"

void l7sim_server_config_defaults(struct l7sim_server_config *c)
{
	memset(c, 0, sizeof(*c));
	c->name = "server";
	c->max_conns = 4096;
	c->workers = 8;
	c->service_fixed_ns = 20000;
}

static struct l7sim_server *srv_of(struct l7sim_tcpep *ep)
{
	return ((struct l7sim_srv_conn *)ep)->srv;
}

enum { F_HEAD = 0, F_BODY, F_RAW };

static void release_hbuf(struct l7sim_srv_conn *c)
{
	if (c->hbuf)
		l7sim_pool_put(&c->srv->heads, c->hbuf);
	c->hbuf = NULL;
	c->hlen = 0;
}

static void maybe_free(struct l7sim_srv_conn *c)
{
	if (c->dead && !c->in_service && !c->queued) {
		release_hbuf(c);
		l7sim_pool_put(&c->srv->conns, c);
	}
}

static const struct l7sim_wl_conn *wconn_of(const struct l7sim_srv_conn *c)
{
	return c->wconn == UINT32_MAX ? NULL : &c->srv->wl->conns[c->wconn];
}

static void maybe_close(struct l7sim_srv_conn *c)
{
	const struct l7sim_wl_conn *w = wconn_of(c);
	if (c->dead || c->in_service || c->queued)
		return;
	int all = !w || c->served >= w->n_req;
	int closes_first = w && (w->flags & L7SIM_WL_SERVER_CLOSES);
	/* after the client's FIN nothing more can complete: answer what came
	 * (a leg a front-end closed after a re-splice ends here too) */
	int answered = !w || c->served >= c->complete;
	if ((c->peer_fin && answered) || (all && closes_first && w->n_req))
		l7sim_tcpep_shutdown(&c->ep);
}

static uint64_t service_ns(const struct l7sim_server *s, uint64_t bytes)
{
	return s->cfg.service_fixed_ns + s->cfg.service_ns_per_kib * bytes / 1024;
}

static void start_service(struct l7sim_srv_conn *c)
{
	struct l7sim_server *s = c->srv;
	const struct l7sim_wl_msg *r = &wconn_of(c)->resp[c->served];
	uint64_t ns = service_ns(s, r->len);
	c->in_service = 1;
	s->busy++;
	s->st.busy_ns += ns;
	if (l7sim_engine_after(s->eng, ns, L7SIM_EV_SRV_DONE, c, 0, NULL)) {
		/* no event slot: serve now rather than never */
		c->in_service = 0;
		s->busy--;
	}
}

static void enqueue(struct l7sim_srv_conn *c)
{
	struct l7sim_server *s = c->srv;
	c->queued = 1;
	c->qnext = NULL;
	if (s->q_tail)
		s->q_tail->qnext = c;
	else
		s->q_head = c;
	s->q_tail = c;
	s->qlen++;
	s->st.queued++;
	if (s->qlen > s->st.queue_peak)
		s->st.queue_peak = s->qlen;
}

static void write_response(struct l7sim_srv_conn *c);

/* Request(s) ready on c: serve one now or queue. */
static void schedule(struct l7sim_srv_conn *c)
{
	struct l7sim_server *s = c->srv;
	if (c->dead || c->in_service || c->queued || c->served >= c->complete)
		return;
	if (s->busy < s->cfg.workers) {
		start_service(c);
		if (!c->in_service)
			write_response(c);
	} else {
		enqueue(c);
	}
}

static void next_from_queue(struct l7sim_server *s)
{
	while (s->busy < s->cfg.workers && s->q_head) {
		struct l7sim_srv_conn *c = s->q_head;
		s->q_head = c->qnext;
		if (!s->q_head)
			s->q_tail = NULL;
		s->qlen--;
		c->queued = 0;
		if (c->dead) {
			maybe_free(c);
			continue;
		}
		schedule(c);
	}
}

static void write_response(struct l7sim_srv_conn *c)
{
	struct l7sim_server *s = c->srv;
	const struct l7sim_wl_msg *r = &wconn_of(c)->resp[c->served];
	uint64_t end = r->off + r->len;
	end = end > c->s2c_base ? end - c->s2c_base : 0;
	if (end > c->written) {
		l7sim_tcpep_write(&c->ep, end - c->written);
		s->st.resp_bytes += end - c->written;
		c->written = end;
	}
	c->served++;
	s->st.requests++;
}

static void srv_done(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	struct l7sim_srv_conn *c = obj;
	struct l7sim_server *s = c->srv;
	(void)e;
	(void)arg;
	c->in_service = 0;
	s->busy--;
	if (c->dead) {
		maybe_free(c);
	} else {
		write_response(c);
		schedule(c);
		maybe_close(c);
	}
	next_from_queue(s);
}

int l7sim_server_register_events(struct l7sim_engine *e);
int l7sim_server_register_events(struct l7sim_engine *e)
{
	return l7sim_engine_on(e, L7SIM_EV_SRV_DONE, srv_done);
}

/* ------------------------------------------------------------ tcp ops */

static void s_fill(void *user, struct l7sim_tcpep *ep, uint64_t off, uint8_t *dst, uint32_t len)
{
	struct l7sim_srv_conn *c = (struct l7sim_srv_conn *)ep;
	(void)user;
	if (c->wconn == UINT32_MAX)
		memset(dst, 0, len);
	else
		l7sim_wl_read(c->srv->wl, c->wconn, 1, c->s2c_base + off, dst, len);
}

/* ------------------------------------------------------------ oracle */

enum { INS_LINE = 0, INS_APPEND, INS_FIRST, INS_FORMS }; /* x 2 addresses */
#define INS_TEXT_MAX 96

static void oracle_bad(struct l7sim_srv_conn *c, uint64_t n)
{
	if (!n)
		return;
	c->srv->st.oracle.mismatch_bytes += n;
	if (!c->oracle_bad)
		c->srv->st.oracle.legs_mismatch++;
	c->oracle_bad = 1;
}

/* The text of an address as an inserting load balancer writes it. */
static void addr_text(const uint8_t a[16], char *out, size_t len)
{
	static const uint8_t v4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (!memcmp(a, v4, 12))
		snprintf(out, len, "%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
	else if (!inet_ntop(AF_INET6, a, out, (socklen_t)len))
		out[0] = 0;
}

/* Candidate k (form k % INS_FORMS of address k / INS_FORMS: the leg's
 * peer, then the captured client) into t; its length, 0 if none. */
static size_t ins_text(const struct l7sim_srv_conn *c, const struct l7sim_wl_conn *w,
		       unsigned k, char t[INS_TEXT_MAX])
{
	char a[64];
	addr_text(k / INS_FORMS ? w->key.src : c->ep.raddr.b, a, sizeof(a));
	if (!a[0])
		return 0;
	static const char *const fmt[INS_FORMS] = { "X-Forwarded-For: %s\r\n", ", %s", "%s" };
	int n = snprintf(t, INS_TEXT_MAX, fmt[k % INS_FORMS], a);
	return n > 0 && n < INS_TEXT_MAX ? (size_t)n : 0;
}

static int ieq_prefix(const uint8_t *b, size_t blen, const char *lit)
{
	size_t n = strlen(lit);
	if (blen < n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t x = b[i], y = (uint8_t)lit[i];
		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y + 32);
		if (x != y)
			return 0;
	}
	return 1;
}

/* Which insertion forms may start at exp_pos (server.h): a line where a
 * line starts in both streams; an append at the end of a captured
 * X-Forwarded-For line's value (", ADDR", or ADDR when it is empty). */
static unsigned ins_forms(struct l7sim_srv_conn *c, const struct l7sim_wl_conn *w)
{
	struct l7sim_server *s = c->srv;
	uint64_t back = c->exp_pos < sizeof(s->scratch) ? c->exp_pos : sizeof(s->scratch);
	uint64_t avail = w->c2s_len > c->exp_pos - back ? w->c2s_len - (c->exp_pos - back) : 0;
	if (back > avail)
		back = avail;
	if (!back)
		return 0;
	l7sim_wl_read(s->wl, c->wconn, 0, c->exp_pos - back, s->scratch, (uint32_t)back);
	const uint8_t *end = s->scratch + back; /* exp_pos */
	if (c->last_rx == '\n' && end[-1] == '\n')
		return 1u << INS_LINE;
	const uint8_t *ls = end;
	while (ls > s->scratch && ls[-1] != '\n')
		ls--;
	if (!ieq_prefix(ls, (size_t)(end - ls), "X-Forwarded-For:"))
		return 0;
	for (const uint8_t *v = ls + 16; v < end; v++)
		if (*v != ' ' && *v != '\t')
			return 1u << INS_APPEND;
	return 1u << INS_FIRST;
}

static void oracle_raw(struct l7sim_srv_conn *c, const struct l7sim_wl_conn *w,
		       const uint8_t *d, size_t len);

/* The candidates ran out: the held bytes are ordinary received bytes. */
static void ins_give_up(struct l7sim_srv_conn *c, const struct l7sim_wl_conn *w)
{
	char t[INS_TEXT_MAX];
	unsigned k = 0;
	while (!(c->ins_mask & (1u << k)))
		k++;
	size_t n = ins_text(c, w, k, t), held = c->ins_len;
	c->ins_mask = 0;
	c->ins_len = 0;
	/* compared one for one; a held byte never starts a new candidate,
	 * so this cannot recurse */
	for (size_t i = 0; i < held && i < n; i++) {
		struct l7sim_server *s = c->srv;
		uint8_t cap = 0;
		int have = c->exp_pos < w->c2s_len;
		if (have)
			l7sim_wl_read(s->wl, c->wconn, 0, c->exp_pos, &cap, 1);
		s->st.oracle.checked_bytes++;
		oracle_bad(c, !have || cap != (uint8_t)t[i]);
		c->exp_pos++;
		c->last_rx = (uint8_t)t[i];
	}
}

/* One byte while candidates are open. 1: consumed, 0: give up first. */
static int ins_step(struct l7sim_srv_conn *c, const struct l7sim_wl_conn *w, uint8_t b)
{
	char t[INS_TEXT_MAX];
	unsigned keep = 0, done = 0;
	for (unsigned k = 0; k < 2 * INS_FORMS; k++) {
		if (!(c->ins_mask & (1u << k)))
			continue;
		size_t n = ins_text(c, w, k, t);
		if (c->ins_len < n && (uint8_t)t[c->ins_len] == b) {
			keep |= 1u << k;
			if (c->ins_len + 1u == n)
				done = 1;
		}
	}
	if (!keep)
		return 0;
	c->ins_len++;
	c->ins_mask = (uint8_t)keep;
	c->last_rx = b;
	if (done) {
		c->srv->st.oracle.inserted_bytes += c->ins_len;
		c->ins_mask = 0;
		c->ins_len = 0;
	}
	return 1;
}

/* Every received byte of a leg of a known workload connection. */
static void oracle_raw(struct l7sim_srv_conn *c, const struct l7sim_wl_conn *w,
		       const uint8_t *d, size_t len)
{
	struct l7sim_server *s = c->srv;
	size_t i = 0;
	while (i < len) {
		if (c->ins_mask) {
			if (ins_step(c, w, d[i]))
				i++;
			else
				ins_give_up(c, w);
			continue;
		}
		/* the common case: a run equal to the capture */
		size_t n = len - i < sizeof(s->scratch) ? len - i : sizeof(s->scratch);
		uint64_t avail = c->exp_pos < w->c2s_len ? w->c2s_len - c->exp_pos : 0;
		size_t m = avail < n ? (size_t)avail : n, k = 0;
		l7sim_wl_read(s->wl, c->wconn, 0, c->exp_pos, s->scratch, (uint32_t)m);
		while (k < m && s->scratch[k] == d[i + k])
			k++;
		if (k) {
			s->st.oracle.checked_bytes += k;
			c->exp_pos += k;
			c->last_rx = d[i + k - 1];
			i += k;
			continue;
		}
		/* d[i] differs from the capture (or lies beyond it) */
		unsigned forms = ins_forms(c, w), mask = 0;
		char t[INS_TEXT_MAX];
		for (unsigned f = 0; f < 2 * INS_FORMS; f++)
			if ((forms & (1u << (f % INS_FORMS))) && ins_text(c, w, f, t) &&
			    (uint8_t)t[0] == d[i])
				mask |= 1u << f;
		if (mask) {
			c->ins_mask = (uint8_t)mask;
			c->ins_len = 0;
			continue;
		}
		s->st.oracle.checked_bytes++;
		oracle_bad(c, 1);
		c->exp_pos++;
		c->last_rx = d[i++];
	}
	if (c->exp_pos >= w->c2s_len && !c->ins_mask)
		s->whole_map[c->wconn / 8] |= (uint8_t)(1u << (c->wconn % 8));
}

/* The leg closed: held bytes are settled; did it end where a request
 * ends? */
static void oracle_close(struct l7sim_srv_conn *c, const struct l7sim_wl_conn *w)
{
	struct l7sim_server_oracle *o = &c->srv->st.oracle;
	if (!w)
		return;
	if (c->ins_mask)
		ins_give_up(c, w);
	if (c->exp_pos >= w->c2s_len) {
		o->legs_whole++;
		return;
	}
	for (uint32_t k = 0; k < w->n_req; k++)
		if (w->req[k].off == c->exp_pos)
			return;
	o->legs_cut++;
}

/* Byte-count framing from here on (see server.h). */
static void to_raw(struct l7sim_srv_conn *c, uint64_t pos)
{
	release_hbuf(c);
	c->mode = F_RAW;
	c->raw_pos = pos;
	c->srv->st.unframed++;
}

static void count_raw(struct l7sim_srv_conn *c, const struct l7sim_wl_conn *w)
{
	while (c->complete < w->n_req &&
	       c->raw_pos >= w->req[c->complete].off + w->req[c->complete].len)
		c->complete++;
}

static void request_done(struct l7sim_srv_conn *c, const struct l7sim_wl_conn *w)
{
	if (c->complete < w->n_req)
		c->complete++;
	c->mode = F_HEAD;
}

/* A request head is complete in buf: start its body, or finish it. */
static void head_done(struct l7sim_srv_conn *c, const struct l7sim_wl_conn *w,
		      const struct l7_http_request *req, const uint8_t *buf)
{
	struct l7sim_server *s = c->srv;
	s->st.heads_parsed++;
	if (l7_http_find_header(&req->head, buf, "X-Forwarded-For", 15, 0) >= 0)
		s->st.heads_xff++;
	uint32_t idx = c->complete;
	if (req->head.upgrade) {
		/* the bytes after it need not be HTTP */
		request_done(c, w);
		to_raw(c, idx + 1 < w->n_req ? w->req[idx + 1].off : w->c2s_len);
		return;
	}
	l7_http_body_init(&c->body, &req->head, L7_HTTP_LENIENT_ALL);
	if (req->head.framing == L7_HTTP_BODY_NONE || req->head.framing == L7_HTTP_BODY_CLOSE ||
	    (req->head.framing == L7_HTTP_BODY_LENGTH && req->head.content_length == 0))
		request_done(c, w);
	else
		c->mode = F_BODY;
}

/* Feed head bytes; returns how many of d[0..len) were used. */
static size_t take_head(struct l7sim_srv_conn *c, const struct l7sim_wl_conn *w,
			const uint8_t *d, size_t len)
{
	struct l7_http_parser hp;
	struct l7_http_request req;
	const uint8_t *buf = d;
	size_t blen = len, old = c->hlen;
	if (c->hbuf) {
		size_t n = len < L7SIM_SRV_HEAD_BYTES - old ? len : L7SIM_SRV_HEAD_BYTES - old;
		memcpy(c->hbuf + old, d, n);
		c->hlen += (uint32_t)n;
		buf = c->hbuf;
		blen = c->hlen;
	}
	l7_http_parser_init(&hp, L7_HTTP_LENIENT_ALL, L7SIM_SRV_HEAD_BYTES);
	int rc = l7_http_parse_request(&hp, &req, buf, blen);
	if (rc == 0) {
		size_t used = req.head.head_bytes - old;
		head_done(c, w, &req, buf);
		release_hbuf(c);
		return used;
	}
	uint64_t pos = w->req[c->complete].off + old + len;
	if (rc == L7_EAGAIN && blen < L7SIM_SRV_HEAD_BYTES) {
		if (!c->hbuf) {
			c->hbuf = l7sim_pool_get(&c->srv->heads);
			if (!c->hbuf) {
				c->srv->st.head_buf_full++;
				to_raw(c, pos);
				return len;
			}
			memcpy(c->hbuf, d, len);
			c->hlen = (uint32_t)len;
		}
		return len;
	}
	to_raw(c, pos); /* not HTTP, or a head too large */
	return len;
}

static void s_data(void *user, struct l7sim_tcpep *ep, const uint8_t *d, uint32_t len,
		   l7_time_ns now)
{
	struct l7sim_srv_conn *c = (struct l7sim_srv_conn *)ep;
	const struct l7sim_wl_conn *w = wconn_of(c);
	(void)user;
	(void)now;
	c->rx_bytes += len;
	c->srv->st.rx_bytes += len;
	if (!w) {
		c->srv->st.oracle.unchecked_bytes += len;
		return;
	}
	oracle_raw(c, w, d, len);
	size_t left = len;
	while (left && c->complete < w->n_req) {
		size_t used = left;
		if (c->mode == F_RAW) {
			c->raw_pos += left;
			count_raw(c, w);
		} else if (c->mode == F_HEAD) {
			used = take_head(c, w, d, left);
		} else {
			struct l7_http_span pl;
			int rc = l7_http_body_feed(&c->body, d, left, &used, &pl);
			if (rc == 0)
				request_done(c, w);
			else if (rc != L7_EAGAIN)
				to_raw(c, w->req[c->complete].off + w->req[c->complete].len);
			else if (!used)
				break;
		}
		d += used;
		left -= used;
	}
	schedule(c);
}

static void s_event(void *user, struct l7sim_tcpep *ep, enum l7sim_tcp_event ev, l7_time_ns now)
{
	struct l7sim_srv_conn *c = (struct l7sim_srv_conn *)ep;
	struct l7sim_server *s = srv_of(ep);
	const struct l7sim_wl_conn *w = wconn_of(c);
	(void)user;
	(void)now;
	switch (ev) {
	case L7SIM_TCP_EV_ESTABLISHED:
		if (w && w->greet_len && c->first == 0) {
			l7sim_tcpep_write(&c->ep, w->greet_len);
			c->written = w->greet_len;
		}
		break;
	case L7SIM_TCP_EV_PEER_FIN:
		c->peer_fin = 1;
		maybe_close(c);
		break;
	case L7SIM_TCP_EV_CLOSED:
		oracle_close(c, w);
		l7sim_tcp_demux_del(&s->demux, &c->ep);
		s->st.closed++;
		c->dead = 1;
		maybe_free(c);
		break;
	default:
		break;
	}
}

static const struct l7sim_tcp_ops srv_ops = { s_fill, s_data, s_event };

/* ------------------------------------------------------------ host */

/* Where a new leg starts in the workload connection's streams. */
static void leg_start(struct l7sim_srv_conn *c, uint32_t first)
{
	const struct l7sim_wl_conn *w = wconn_of(c);
	c->hbuf = NULL;
	c->hlen = 0;
	c->mode = F_HEAD;
	c->first = 0;
	c->s2c_base = 0;
	c->raw_pos = 0;
	c->exp_pos = 0;
	c->oracle_bad = c->ins_mask = c->last_rx = 0;
	c->ins_len = 0;
	if (!w) {
		c->srv->st.oracle.legs_unchecked++;
		return;
	}
	c->srv->st.oracle.legs_checked++;
	if (first > w->n_req)
		first = w->n_req;
	c->first = c->complete = c->served = first;
	if (first) {
		c->srv->st.late_legs++;
		c->s2c_base = first < w->n_req ? w->resp[first].off : w->s2c_len;
		c->raw_pos = first < w->n_req ? w->req[first].off : w->c2s_len;
	}
	c->exp_pos = c->raw_pos;
	if (!(w->flags & L7SIM_WL_HTTP_FRAMED)) {
		c->mode = F_RAW;
		c->srv->st.bytecount_legs++;
	}
}

static void srv_rx(struct l7sim_node *self, struct l7sim_pkt *p, l7_time_ns now)
{
	struct l7sim_server *s = (struct l7sim_server *)self;
	struct l7_pkt v;
	(void)now;
	if (l7_pkt_parse(&v, p->data, p->len, s->env.cfg->linktype) != 0 ||
	    v.proto != L7_IPPROTO_TCP) {
		l7sim_pkt_free(s->env.pool, p);
		return;
	}
	struct l7sim_tcpep *ep = l7sim_tcp_demux_find(&s->demux, &v);
	if (ep && l7sim_tcpep_syn_reuses(ep, &v)) {
		l7sim_tcpep_forget(ep); /* its CLOSED event frees it */
		ep = NULL;
	}
	if (ep) {
		l7sim_tcpep_input(ep, p, &v);
		return;
	}
	if ((v.tcp_flags & (L7_TCP_SYN | L7_TCP_ACK | L7_TCP_RST)) == L7_TCP_SYN) {
		struct l7sim_srv_conn *c = l7sim_pool_get(&s->conns);
		if (c) {
			uint64_t id = p->conn_id & 0xffffffffu;
			uint32_t first = p->first_req; /* accept frees p */
			if (l7sim_tcpep_accept(&c->ep, &s->env, s, p, &v) == 0) {
				c->srv = s;
				c->qnext = NULL;
				c->complete = c->served = 0;
				c->rx_bytes = c->written = 0;
				c->in_service = c->queued = c->peer_fin = c->dead = 0;
				c->wconn = (id && id <= s->wl->n_conns) ? (uint32_t)(id - 1) : UINT32_MAX;
				if (c->wconn == UINT32_MAX)
					s->st.unknown_conn++;
				leg_start(c, first);
				l7sim_tcp_demux_add(&s->demux, &c->ep);
				s->st.accepted++;
			} else {
				l7sim_pool_put(&s->conns, c);
			}
			return;
		}
		s->st.refused++;
	}
	if (!(v.tcp_flags & L7_TCP_RST) && l7sim_tcp_send_rst_for(&s->env, &v, p->conn_id) == 0)
		s->st.rst_sent++;
	l7sim_pkt_free(s->env.pool, p);
}

/* Live servers, for l7sim_server_oracle_sum (server.h: not thread-safe). */
static struct l7sim_server *live_servers;

static void register_server(struct l7sim_server *s)
{
	s->reg_prev = NULL;
	s->reg_next = live_servers;
	if (live_servers)
		live_servers->reg_prev = s;
	live_servers = s;
	s->registered = 1;
}

static void unregister_server(struct l7sim_server *s)
{
	if (!s->registered)
		return;
	if (s->reg_prev)
		s->reg_prev->reg_next = s->reg_next;
	else
		live_servers = s->reg_next;
	if (s->reg_next)
		s->reg_next->reg_prev = s->reg_prev;
	s->registered = 0;
}

/* Why connection i of wl reached no back-end whole (server.h conns_*). */
static void classify_conn(const struct l7sim_workload *wl, const struct l7_router *router,
			  uint32_t i, uint8_t *buf, struct l7sim_server_oracle *out)
{
	const struct l7sim_wl_conn *w = &wl->conns[i];
	if (!w->c2s_len) {
		out->conns_empty++;
		return;
	}
	uint32_t n = w->c2s_len < L7SIM_SRV_HEAD_BYTES ? (uint32_t)w->c2s_len : L7SIM_SRV_HEAD_BYTES;
	struct l7_http_parser hp;
	struct l7_http_request req;
	l7sim_wl_read(wl, i, 0, 0, buf, n);
	l7_http_parser_init(&hp, L7_HTTP_LENIENT_ALL, L7SIM_SRV_HEAD_BYTES);
	int rc = l7_http_parse_request(&hp, &req, buf, n);
	struct l7_route_header hdrs[L7_HTTP_MAX_HEADERS];
	struct l7_route_request rr;
	struct l7_route_match mt;
	if (rc == L7_EAGAIN)
		out->conns_no_head++;
	else if (rc < 0)
		out->conns_not_http++;
	else if (router && (l7_route_request_from_http(&req, (const char *)buf, hdrs,
							L7_HTTP_MAX_HEADERS, &rr) < 0 ||
			    l7_router_lookup(router, &rr, 0, &mt) < 0))
		out->conns_no_route++;
	else
		out->conns_lost++;
}

void l7sim_server_oracle_sum(const struct l7sim_engine *eng, const struct l7_router *router,
			     struct l7sim_server_oracle *out)
{
	const struct l7sim_workload *wl = NULL;
	memset(out, 0, sizeof(*out));
	for (const struct l7sim_server *s = live_servers; s && !wl; s = s->reg_next)
		if (s->eng == eng)
			wl = s->wl;
	uint8_t *map = wl ? calloc(wl->n_conns / 8 + 1, 1) : NULL;
	uint8_t *buf = map ? malloc(L7SIM_SRV_HEAD_BYTES) : NULL;
	for (const struct l7sim_server *s = live_servers; s; s = s->reg_next) {
		const struct l7sim_server_oracle *o = &s->st.oracle;
		if (s->eng != eng)
			continue;
		for (uint32_t i = 0; map && s->wl == wl && i < wl->n_conns / 8 + 1; i++)
			map[i] |= s->whole_map[i];
		out->legs_checked += o->legs_checked;
		out->legs_unchecked += o->legs_unchecked;
		out->legs_mismatch += o->legs_mismatch;
		out->legs_whole += o->legs_whole;
		out->legs_cut += o->legs_cut;
		out->checked_bytes += o->checked_bytes;
		out->mismatch_bytes += o->mismatch_bytes;
		out->inserted_bytes += o->inserted_bytes;
		out->unchecked_bytes += o->unchecked_bytes;
	}
	for (uint32_t i = 0; buf && i < wl->n_conns; i++) {
		if (map[i / 8] & (1u << (i % 8)))
			out->conns_whole++;
		else
			classify_conn(wl, router, i, buf, out);
	}
	free(buf);
	free(map);
}

int l7sim_server_init(struct l7sim_server *s, const struct l7sim_server_config *cfg,
		      struct l7sim_engine *eng, struct l7sim_pktpool *pool,
		      const struct l7sim_tcp_cfg *tcp, struct l7sim_node *out,
		      const struct l7sim_workload *wl)
{
	memset(s, 0, sizeof(*s));
	if (!cfg || !cfg->max_conns || !cfg->workers || !wl)
		return L7_EINVAL;
	s->node.rx = srv_rx;
	s->eng = eng;
	s->wl = wl;
	s->cfg = *cfg;
	l7sim_tcp_env_init(&s->env, eng, pool, tcp, &srv_ops, out, cfg->seed,
			   cfg->name ? cfg->name : "server");
	uint32_t b = 1;
	while (b < cfg->max_conns && b < (1u << 30))
		b <<= 1;
	/* the server side of the wire: swap the MACs the env chose */
	uint8_t mac[6];
	memcpy(mac, s->env.eth_src, 6);
	memcpy(s->env.eth_src, s->env.eth_dst, 6);
	memcpy(s->env.eth_dst, mac, 6);
	int rc = l7sim_tcp_demux_init(&s->demux, b);
	if (rc)
		return rc;
	rc = l7sim_pool_init(&s->conns, sizeof(struct l7sim_srv_conn), cfg->max_conns);
	if (rc) {
		l7sim_tcp_demux_fini(&s->demux);
		return rc;
	}
	uint32_t nh = cfg->max_conns < L7SIM_SRV_HEAD_BUFS ? cfg->max_conns : L7SIM_SRV_HEAD_BUFS;
	rc = l7sim_pool_init(&s->heads, L7SIM_SRV_HEAD_BYTES, nh);
	if (rc == 0) {
		s->whole_map = calloc(wl->n_conns / 8 + 1, 1);
		if (!s->whole_map) {
			l7sim_pool_fini(&s->heads);
			rc = L7_ENOMEM;
		}
	}
	if (rc) {
		l7sim_pool_fini(&s->conns);
		l7sim_tcp_demux_fini(&s->demux);
		return rc;
	}
	register_server(s);
	return 0;
}

void l7sim_server_fini(struct l7sim_server *s)
{
	unregister_server(s);
	free(s->whole_map);
	s->whole_map = NULL;
	l7sim_pool_fini(&s->heads);
	l7sim_pool_fini(&s->conns);
	l7sim_tcp_demux_fini(&s->demux);
}
