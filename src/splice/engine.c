/*
 * engine.c — the splicing engine's state machine (LB-NIC §3.1, Miresga §2):
 * client handshake (SYN cookie or stateful), shallow buffer and route
 * callback, server-leg open, relaying through the translation record,
 * splitting at insertion points, re-splicing keep-alive connections, FIN /
 * RST handling, a new connection on a closing connection's tuple (RFC 6191),
 * timers.
 *
 * Sequence-space layout (docs/splice.md): the server leg's ISN is the
 * client's sequence number just before the request head, so client bytes
 * keep their numbers on both legs (c2s_delta = 0) except for inserted
 * bytes; the back-end's bytes are shifted by s2c_delta so that they land
 * exactly where the client expects our next byte.
 *
 * Invariants: nothing here allocates (pools come from create.c); a
 * connection holds a head buffer exactly while head_len > 0; the
 * engine never ACKs client bytes itself — the back-end does, through
 * translation — so the endpoints keep owning reliability and the engine
 * owns only the inserted bytes; every emitted frame has correct checksums.
 */
#include <string.h>

#include "splice_int.h"

static uint32_t conn_id(const struct l7_splice *s, const struct conn *c)
{
	return (uint32_t)(c - s->conns);
}

static int has_leg_up(const struct conn *c)
{
	return (c->flags & CF_LEG) && (c->state == L7_SPLICE_ESTABLISHED ||
				       c->state == L7_SPLICE_CLOSING ||
				       c->state == L7_SPLICE_CLOSED);
}

/* Server-space sequence number after the last client byte (or FIN) sent
 * on the current leg: buffered head bytes have not been sent. */
static uint32_t leg_next_seq(const struct conn *c)
{
	uint32_t end = (c->flags & CF_HEAD) ? c->head_seq : c->c_nxt;
	return l7_splice_map_seq(&c->rec, end);
}

static uint16_t rescale(uint32_t w, uint8_t in, uint8_t out)
{
	uint32_t v = (w << in) >> out;
	if (v == 0 && w != 0)
		v = 1; /* as in xlate.c: no false zero windows */
	return v > 65535 ? 65535 : (uint16_t)v;
}

/* ------------------------------------------------------------ head buffers */

/* A connection holds a head buffer only while it has head bytes buffered
 * (head_len > 0): between the first byte of a request head and the moment
 * that head is forwarded. Idle routed connections hold none, so
 * max_heads can be far below max_conns (docs/splice.md "Memory"). */

static uint8_t *head_bytes(const struct l7_splice *s, const struct conn *c)
{
	return s->bufs + (size_t)c->head_buf * s->cfg.buf_bytes;
}

/* Take a buffer for c if it has none: 0, or L7_EFULL (counted). LIFO, so
 * the most recently used (still resident) buffer is reused first. */
static int head_take(struct l7_splice *s, struct conn *c)
{
	if (c->head_buf != UINT32_MAX)
		return 0;
	if (s->head_free_n)
		c->head_buf = s->head_free[--s->head_free_n];
	else if (s->head_hwm < s->n_heads)
		c->head_buf = s->head_hwm++;
	else {
		s->st.head_pool_full++;
		return L7_EFULL;
	}
	return 0;
}

static void head_give_back(struct l7_splice *s, struct conn *c)
{
	if (c->head_buf == UINT32_MAX)
		return;
	s->head_free[s->head_free_n++] = c->head_buf;
	c->head_buf = UINT32_MAX;
}

/* ------------------------------------------------------------ lifecycle */

static void retire(struct l7_splice *s, struct conn *c)
{
	head_give_back(s, c);
	splice_table_remove(s, &c->ckey);
	if (c->flags & CF_LEG)
		splice_table_remove(s, &c->skey);
	/* Old legs still closing keep closing (or lingering) without us:
	 * dropping their keys would turn the back-end's FIN into a stray. */
	splice_old_disown(s, &c->old_head);
	c->state = L7_SPLICE_FREE;
	c->flags = 0;
	c->next_free = s->free_head;
	s->free_head = conn_id(s, c);
	s->active--;
	s->st.conn_retired++;
}

static struct conn *conn_alloc(struct l7_splice *s, const struct l7_flow_key *ckey,
			       l7_time_ns now)
{
	if (s->free_head == UINT32_MAX) {
		s->st.conn_pool_full++;
		return NULL;
	}
	uint32_t i = s->free_head;
	struct conn *c = &s->conns[i];
	s->free_head = c->next_free;
	uint8_t *arena = c->arena;
	memset(c, 0, sizeof(*c));
	c->head_buf = UINT32_MAX; /* taken at the first head byte */
	c->arena = arena;
	c->old_head = UINT32_MAX;
	c->ckey = *ckey;
	c->last_ns = now;
	if (splice_table_insert(s, ckey, i << 2 | DIR_C2S) < 0) {
		c->next_free = s->free_head;
		s->free_head = i;
		return NULL;
	}
	s->active++;
	s->st.conn_created++;
	return c;
}

/* ------------------------------------------------------------ building */

/* A client-leg packet from the VIP. */
static int to_client(struct l7_splice *s, struct conn *c, uint32_t seq, uint32_t ack,
		     uint16_t flags, const uint8_t *data, size_t len)
{
	uint8_t opts[12];
	struct seg g = { &c->rec.vip, &c->rec.client, c->rec.vip_port, c->rec.client_port,
			 seq, ack, flags, 0, NULL, 0, data, len };
	g.win = (uint16_t)(s->cfg.window >> c->l_ws);
	if (c->copts.ts_ok && !(flags & L7_TCP_RST)) {
		g.opts = opts;
		g.opts_len = splice_ts_opts(opts, c->ts_to_client, c->ts_from_client);
	}
	return splice_emit_built(s, conn_id(s, c), L7_SPLICE_TO_CLIENT, &g);
}

/* A server-leg packet carrying client-space stream bytes (already mapped
 * sequence number `sseq`). */
static int to_server(struct l7_splice *s, struct conn *c, uint32_t sseq, uint16_t flags,
		     const uint8_t *data, size_t len)
{
	uint8_t opts[12];
	struct seg g = { &c->rec.leg_src, &c->rec.backend, c->rec.leg_src_port,
			 c->rec.backend_port, sseq, c->c_acked - c->rec.s2c_delta,
			 flags | L7_TCP_ACK, 0, NULL, 0, data, len };
	g.win = rescale(c->c_win, c->rec.win_c2s_in, c->rec.win_c2s_out);
	if (c->rec.flags & L7_SPLICE_REC_TS) {
		g.opts = opts;
		g.opts_len = splice_ts_opts(opts, c->ts_from_client, c->b_ts_recent);
	}
	return splice_emit_built(s, conn_id(s, c), L7_SPLICE_TO_SERVER, &g);
}

/* Send client stream bytes [seq, seq+len) to the server, split at the
 * insertion points that fall inside (and, with `edges`, at the ends), in
 * segments of at most leg_mss, the inserted bytes as their own segments. */
static void send_stream(struct l7_splice *s, struct conn *c, uint32_t seq,
			const uint8_t *data, uint32_t len, int edges, int fin)
{
	uint32_t end = seq + len;
	uint32_t pos = seq;
	for (unsigned i = 0; i <= c->rec.n_points; i++) {
		const struct l7_splice_point *pt = i < c->rec.n_points ? &c->rec.points[i] : NULL;
		uint32_t stop = end;
		if (pt) {
			int inside = edges ? l7_seq_between(pt->cseq, seq, end)
					   : (l7_seq_after(pt->cseq, seq) &&
					      l7_seq_before(pt->cseq, end));
			if (!inside)
				continue;
			stop = pt->cseq;
		}
		while (l7_seq_before(pos, stop)) {
			uint32_t n = stop - pos;
			if (n > c->leg_mss)
				n = c->leg_mss;
			int last = !pt && pos + n == end;
			to_server(s, c, l7_splice_map_seq(&c->rec, pos),
				  (last ? L7_TCP_PSH : 0) | (last && fin ? L7_TCP_FIN : 0),
				  data + (pos - seq), n);
			pos += n;
		}
		if (pt) {
			to_server(s, c, pt->sseq, L7_TCP_PSH, c->arena + pt->arena_off, pt->len);
			s->st.c2s_split++;
		}
	}
	if (fin && len == 0)
		to_server(s, c, l7_splice_map_seq(&c->rec, end), L7_TCP_FIN, NULL, 0);
}

static void rst_client(struct l7_splice *s, struct conn *c)
{
	to_client(s, c, c->l_nxt, c->c_nxt, L7_TCP_RST | L7_TCP_ACK, NULL, 0);
	s->st.rst_client++;
}

static void rst_server(struct l7_splice *s, struct conn *c)
{
	if (!(c->flags & CF_LEG))
		return;
	uint32_t seq = c->state == L7_SPLICE_SYN_SENT ? c->leg_isn + 1 : leg_next_seq(c);
	struct seg g = { &c->rec.leg_src, &c->rec.backend, c->rec.leg_src_port,
			 c->rec.backend_port, seq, 0, L7_TCP_RST, 0, NULL, 0, NULL, 0 };
	splice_emit_built(s, conn_id(s, c), L7_SPLICE_TO_SERVER, &g);
	s->st.rst_server++;
}

/* Reset both legs and forget the connection (head too big, rejected
 * route, pool exhaustion on a later request, timeouts). */
static void reset_conn(struct l7_splice *s, struct conn *c)
{
	rst_client(s, c);
	rst_server(s, c);
	retire(s, c);
}

/* ------------------------------------------------------------ server leg */

static void send_syn(struct l7_splice *s, struct conn *c)
{
	uint8_t opts[20];
	struct l7_tcp_opts o = { 0 };
	o.has = L7_TCPO_HAS_MSS;
	o.mss = c->leg_mss;
	if (c->copts.ws_ok) {
		/* The client's own shift: the back-end then reads the client's
		 * windows exactly as the client meant them. */
		o.has |= L7_TCPO_HAS_WS;
		o.wscale = c->copts.wscale;
	}
	if (c->copts.sack_ok)
		o.has |= L7_TCPO_HAS_SACK_PERM;
	if (c->copts.ts_ok) {
		o.has |= L7_TCPO_HAS_TS;
		o.ts_val = c->ts_from_client;
		o.ts_ecr = 0;
	}
	int olen = l7_tcp_opts_encode(&o, opts, sizeof(opts));
	struct seg g = { &c->rec.leg_src, &c->rec.backend, c->rec.leg_src_port,
			 c->rec.backend_port, c->leg_isn, 0, L7_TCP_SYN,
			 rescale(c->c_win, c->copts.ws_ok ? c->copts.wscale : 0, 0),
			 opts, olen > 0 ? (size_t)olen : 0, NULL, 0 };
	splice_emit_built(s, conn_id(s, c), L7_SPLICE_TO_SERVER, &g);
}

/* Copy the route's insertions into points after the live ones: 0, or
 * L7_EINVAL (bad insertion, counted) or L7_EFULL (no room now; nothing
 * added, not counted: the caller decides whether to wait). */
static int add_points(struct l7_splice *s, struct conn *c, const struct l7_splice_route *r)
{
	uint32_t need = 0;
	for (unsigned i = 0; i < r->n_inserts; i++)
		need += r->inserts[i].len;
	if (c->rec.n_points + r->n_inserts > L7_SPLICE_MAX_POINTS ||
	    c->arena_used + need > s->cfg.ins_bytes)
		return L7_EFULL;
	uint32_t cum = 0;
	for (unsigned i = 0; i < c->rec.n_points; i++)
		cum += c->rec.points[i].len;
	uint64_t prev = c->head_stream_off;
	for (unsigned i = 0; i < r->n_inserts; i++) {
		const struct l7_splice_insert *in = &r->inserts[i];
		if (in->stream_off < prev || in->stream_off > c->head_stream_off + c->head_len ||
		    in->len == 0 || in->len > 65535 || (in->len && !in->data)) {
			s->st.route_bad++;
			return L7_EINVAL;
		}
		prev = in->stream_off;
		struct l7_splice_point *pt = &c->rec.points[c->rec.n_points++];
		memset(pt, 0, sizeof(*pt));
		pt->cseq = c->head_seq + (uint32_t)(in->stream_off - c->head_stream_off);
		pt->sseq = pt->cseq + c->rec.c2s_delta + cum;
		pt->len = (uint16_t)in->len;
		pt->arena_off = (uint16_t)c->arena_used;
		memcpy(c->arena + c->arena_used, in->data, in->len);
		c->arena_used += in->len;
		cum += in->len;
	}
	return 0;
}

static int same_backend(const struct conn *c, const struct l7_splice_route *r)
{
	return memcmp(&c->rec.backend, &r->backend, sizeof(r->backend)) == 0 &&
	       c->rec.backend_port == r->backend_port;
}

static int open_leg(struct l7_splice *s, struct conn *c, const struct l7_splice_route *r,
		    l7_time_ns now)
{
	if (l7_addr_is_v4(&r->backend) != l7_addr_is_v4(&c->rec.client) || !r->backend_port ||
	    (r->snat && (l7_addr_is_v4(&r->leg_src) != l7_addr_is_v4(&c->rec.client) ||
			 !r->leg_src_port))) {
		s->st.route_bad++;
		return L7_EINVAL;
	}
	c->rec.backend = r->backend;
	c->rec.backend_port = r->backend_port;
	c->rec.leg_src = r->snat ? r->leg_src : c->rec.client;
	c->rec.leg_src_port = r->snat ? r->leg_src_port : c->rec.client_port;
	l7_splice_record_prepare(&c->rec); /* the leg's endpoint checksum sums */
	l7_flow_key_make(&c->skey, &c->rec.backend, c->rec.backend_port, &c->rec.leg_src,
			 c->rec.leg_src_port, L7_IPPROTO_TCP);
	/* Same tuple as an old leg still closing (A, B, A with one source):
	 * the new leg wins; if the back-end still holds the old socket it
	 * answers our SYN with an ACK, which SYN_SENT resets. */
	splice_old_take_over(s, &c->skey);
	if (splice_table_insert(s, &c->skey, conn_id(s, c) << 2 | DIR_S2C) < 0) {
		s->st.route_bad++;
		return L7_EEXIST;
	}
	c->flags |= CF_LEG;
	/* Client bytes keep their numbers: our ISN is the byte before the head. */
	c->leg_isn = c->head_seq - 1;
	c->rec.c2s_delta = 0;
	c->rec.n_points = 0;
	c->rec.has_last = 0;
	c->rec.flags = 0;
	c->arena_used = 0;
	uint16_t cmss = c->copts.mss ? c->copts.mss : 536;
	c->leg_mss = cmss < s->cfg.mss ? cmss : s->cfg.mss;
	int rc = add_points(s, c, r);
	if (rc == L7_EFULL)
		s->st.insert_full++;
	if (rc < 0)
		return rc;
	c->state = L7_SPLICE_SYN_SENT;
	c->syn_tries = 1;
	c->timer_ns = now + s->cfg.syn_rto_ns;
	send_syn(s, c);
	s->st.legs_opened++;
	return 0;
}

/* Close the current leg with a FIN after a re-splice decision; the leg
 * moves to the old-leg pool (oldleg.c), which finishes the close on its
 * own, even after this connection is gone. */
static void close_old_leg(struct l7_splice *s, struct conn *c, l7_time_ns now)
{
	splice_table_remove(s, &c->skey);
	c->flags &= (uint16_t)~CF_LEG;
	struct old_leg t;
	memset(&t, 0, sizeof(t));
	t.key = c->skey;
	t.fin_seq = leg_next_seq(c);
	t.rcv_nxt = c->b_nxt;
	t.win = rescale(c->c_win, c->rec.win_c2s_in, c->rec.win_c2s_out);
	t.has_ts = (c->rec.flags & L7_SPLICE_REC_TS) != 0;
	t.ts_val = c->ts_from_client;
	t.ts_ecr = c->b_ts_recent;
	splice_old_open(s, conn_id(s, c), &t, now);
}

/* ------------------------------------------------------------ the head */

static void try_route(struct l7_splice *s, struct conn *c, l7_time_ns now);

/* Send the buffered bytes of the routed request (up to its end, if known)
 * to the server, then keep whatever follows as the next head. */
static void flush_head(struct l7_splice *s, struct conn *c, l7_time_ns now)
{
	uint32_t n = c->head_len;
	if ((c->flags & CF_REQ_END) && l7_seq_before(c->req_end_seq, c->head_seq + n))
		n = c->req_end_seq - c->head_seq;
	int fin = (c->flags & CF_FIN_PENDING) && n == c->head_len;
	send_stream(s, c, c->head_seq, head_bytes(s, c), n, 1, fin);
	if (fin) {
		c->flags = (uint16_t)((c->flags & ~CF_FIN_PENDING) | CF_C_FIN);
		c->c_fin_end = c->head_seq + n + 1;
		c->state = L7_SPLICE_CLOSING;
		s->st.fins_relayed++;
	}
	memmove(head_bytes(s, c), head_bytes(s, c) + n, c->head_len - n);
	c->head_len -= n;
	if (c->head_len == 0)
		head_give_back(s, c); /* forwarded: the next head takes one again */
	c->head_seq += n;
	c->head_stream_off += n;
	c->req_index++;
	/* The next head starts where the request ends (if known). */
	if ((c->flags & CF_REQ_END) && c->req_end_seq == c->head_seq)
		c->flags = (uint16_t)((c->flags & ~CF_REQ_END) | CF_HEAD);
	else
		c->flags &= (uint16_t)~CF_HEAD;
	if ((c->flags & CF_HEAD) && (c->head_len || (c->flags & CF_FIN_PENDING)))
		try_route(s, c, now);
}

static void route_go(struct l7_splice *s, struct conn *c, const struct l7_splice_route *r,
		     l7_time_ns now)
{
	if (r->request_bytes) {
		c->req_end_seq = c->head_seq + (uint32_t)r->request_bytes;
		c->flags |= CF_REQ_END;
	} else {
		c->flags &= (uint16_t)~CF_REQ_END;
	}
	if (has_leg_up(c) && same_backend(c, r)) {
		int rc = add_points(s, c, r);
		if (rc == L7_EFULL && c->rec.n_points > 0) {
			/* Deep pipelining: wait for earlier points to retire
			 * (the back-end's ACKs do that), then route again. */
			c->flags |= CF_POINTS_WAIT;
			s->st.points_waits++;
			return;
		}
		if (rc < 0) {
			if (rc == L7_EFULL)
				s->st.insert_full++;
			reset_conn(s, c);
			return;
		}
		flush_head(s, c, now);
		return;
	}
	if (has_leg_up(c)) {
		/* Re-splice only once the client has everything the old
		 * back-end sent (the caller vouched the response is complete). */
		if (c->c_acked != c->l_nxt || (c->flags & (CF_S_FIN | CF_C_FIN))) {
			c->flags |= CF_RESPLICE_WAIT;
			return;
		}
		close_old_leg(s, c, now);
		s->st.resplices++;
	}
	c->flags &= (uint16_t)~CF_RESPLICE_WAIT;
	if (open_leg(s, c, r, now) < 0)
		reset_conn(s, c);
}

static void try_route(struct l7_splice *s, struct conn *c, l7_time_ns now)
{
	if (!(c->flags & CF_HEAD) || c->state == L7_SPLICE_SYN_SENT)
		return;
	c->flags &= (uint16_t)~(CF_ROUTE_WAIT | CF_RESPLICE_WAIT | CF_POINTS_WAIT);
	if (c->head_len == 0) {
		if (!(c->flags & CF_FIN_PENDING))
			return;
		if (!has_leg_up(c)) { /* closed before sending a request */
			reset_conn(s, c);
			return;
		}
		/* A keep-alive connection closed between requests. */
		c->flags = (uint16_t)(c->flags & ~(CF_FIN_PENDING | CF_HEAD)) | CF_C_FIN;
		c->c_fin_end = c->head_seq + 1;
		to_server(s, c, l7_splice_map_seq(&c->rec, c->head_seq), L7_TCP_FIN, NULL, 0);
		c->state = L7_SPLICE_CLOSING;
		s->st.fins_relayed++;
		return;
	}
	struct l7_splice_head h = { 0 };
	h.conn_id = conn_id(s, c);
	h.client_key = &c->ckey;
	h.bytes = head_bytes(s, c);
	h.len = c->head_len;
	h.stream_off = c->head_stream_off;
	h.request_index = c->req_index;
	h.fin = (c->flags & CF_FIN_PENDING) != 0;
	h.has_backend = has_leg_up(c);
	h.backend = c->rec.backend;
	h.backend_port = c->rec.backend_port;
	struct l7_splice_route r;
	memset(&r, 0, sizeof(r));
	enum l7_splice_verdict v = s->cfg.route(s->cfg.user, &h, &r);
	switch (v) {
	case L7_SPLICE_ROUTE_GO:
		if (r.n_inserts > L7_SPLICE_MAX_INSERTS) {
			s->st.route_bad++;
			reset_conn(s, c);
			return;
		}
		route_go(s, c, &r, now);
		return;
	case L7_SPLICE_ROUTE_WAIT:
		c->flags |= CF_ROUTE_WAIT;
		return;
	case L7_SPLICE_ROUTE_MORE:
		if (c->head_len >= s->cfg.buf_bytes) {
			s->st.head_too_big++;
			reset_conn(s, c);
		} else if (c->flags & CF_FIN_PENDING) {
			s->st.route_rejected++;
			reset_conn(s, c);
		}
		return;
	default:
		s->st.route_rejected++;
		reset_conn(s, c);
		return;
	}
}

/* Take in-order client bytes into the shallow buffer. Returns 1 if new
 * bytes were added, 0 if none, -1 if the connection was reset. */
static int buffer_take(struct l7_splice *s, struct conn *c, uint32_t seq,
		       const uint8_t *data, uint32_t len)
{
	uint32_t expect = c->head_seq + c->head_len;
	if (l7_seq_after(seq, expect)) {
		s->st.dropped_gap++; /* out of order: the client will resend */
		return 0;
	}
	uint32_t skip = expect - seq;
	if (skip >= len)
		return 0;
	uint32_t n = len - skip;
	if (c->head_len + n > s->cfg.buf_bytes) {
		s->st.head_too_big++;
		reset_conn(s, c);
		return -1;
	}
	if (head_take(s, c) < 0) {
		/* Like every other pool running out mid-connection (head too
		 * big, insertion space): reset both ways, counted. */
		reset_conn(s, c);
		return -1;
	}
	memcpy(head_bytes(s, c) + c->head_len, data + skip, n);
	c->head_len += n;
	return 1;
}

/* ------------------------------------------------------------ close */

static void check_closed(struct l7_splice *s, struct conn *c, l7_time_ns now)
{
	if ((c->flags & (CF_C_FIN | CF_S_FIN)) != (CF_C_FIN | CF_S_FIN) ||
	    c->state == L7_SPLICE_CLOSED)
		return;
	if (!c->rec.has_last || l7_seq_before(c->c_acked, c->s_fin_end) ||
	    l7_seq_before(c->rec.last_s_ack, l7_splice_map_seq(&c->rec, c->c_fin_end)))
		return;
	c->state = L7_SPLICE_CLOSED;
	c->timer_ns = now + s->cfg.linger_ns;
}

/* ------------------------------------------------------------ client side */

static void send_synack(struct l7_splice *s, const struct l7_pkt *p,
			const struct l7_syn_opts *o, uint32_t isn, uint32_t ts_val,
			int stateful, uint32_t cid)
{
	struct l7_tcp_opts t = { 0 };
	t.has = L7_TCPO_HAS_MSS;
	t.mss = s->cfg.mss;
	/* Without timestamps a cookie cannot remember WS/SACK: offer neither
	 * (stateful mode remembers everything). */
	int rich = stateful || o->ts_ok;
	if (rich && o->ws_ok && !s->cfg.no_wscale) {
		t.has |= L7_TCPO_HAS_WS;
		t.wscale = s->cfg.wscale;
	}
	if (rich && o->sack_ok)
		t.has |= L7_TCPO_HAS_SACK_PERM;
	if (o->ts_ok) {
		t.has |= L7_TCPO_HAS_TS;
		t.ts_val = ts_val;
		t.ts_ecr = o->ts_val;
	}
	uint8_t opts[40];
	int olen = l7_tcp_opts_encode(&t, opts, sizeof(opts));
	struct seg g = { &p->dst, &p->src, p->dport, p->sport, isn, p->tcp_seq + 1,
			 L7_TCP_SYN | L7_TCP_ACK,
			 (uint16_t)(s->cfg.window > 65535 ? 65535 : s->cfg.window),
			 opts, olen > 0 ? (size_t)olen : 0, NULL, 0 };
	splice_emit_built(s, cid, L7_SPLICE_TO_CLIENT, &g);
	s->st.synack_sent++;
}

static void init_client_leg(struct l7_splice *s, struct conn *c, const struct l7_pkt *p)
{
	c->rec.client = p->src;
	c->rec.client_port = p->sport;
	c->rec.vip = p->dst;
	c->rec.vip_port = p->dport;
	c->rec.v4_ready = 0; /* until open_leg() knows the server leg */
	if (s->cfg.no_wscale)
		c->copts.ws_ok = 0;
	c->l_ws = c->copts.ws_ok ? s->cfg.wscale : 0;
	c->head_seq = c->c_isn + 1;
	c->c_nxt = c->c_isn + 1;
	c->l_nxt = c->l_isn + 1;
	c->c_acked = c->l_isn + 1;
	c->flags |= CF_HEAD;
}

static int client_syn(struct l7_splice *s, const struct l7_pkt *p, l7_time_ns now,
		      const struct l7_flow_key *k)
{
	size_t olen;
	const uint8_t *opts = l7_pkt_tcp_opts(p, &olen);
	struct l7_syn_opts o;
	if (l7_syn_opts_parse(opts, olen, p->tcp_flags, &o) < 0) {
		s->st.bad_options++;
		return L7_SPLICE_IN_DROPPED;
	}
	s->st.syn_received++;
	uint32_t isn = l7_syncookie_make(&s->cfg.cookie, k, p->tcp_seq, o.mss, now);
	struct conn *c = s->cfg.stateful ? conn_alloc(s, k, now) : NULL;
	if (!c) {
		/* Cookie mode, or stateful mode with the pool exhausted: answer
		 * statelessly (as Linux falls back to syncookies under a flood). */
		if (s->cfg.no_wscale)
			o.ws_ok = 0;
		uint32_t ts = l7_tscookie_encode(splice_ts_now(s, now), &o);
		send_synack(s, p, &o, isn, ts, 0, UINT32_MAX);
		return L7_SPLICE_IN_CONSUMED;
	}
	if (s->cfg.isn_fn)
		isn = s->cfg.isn_fn(s->cfg.user, k, p->tcp_seq);
	c->copts = o;
	c->c_isn = p->tcp_seq;
	c->l_isn = isn;
	c->ts_from_client = o.ts_val;
	c->ts_to_client = splice_ts_now(s, now);
	init_client_leg(s, c, p);
	c->state = L7_SPLICE_SYN_RCVD;
	send_synack(s, p, &c->copts, isn, c->ts_to_client, 1, conn_id(s, c));
	return L7_SPLICE_IN_CONSUMED;
}

static int stray(struct l7_splice *s, const struct l7_pkt *p)
{
	if ((p->tcp_flags & L7_TCP_RST) || s->cfg.stray == L7_SPLICE_STRAY_DROP) {
		s->st.stray_drop++;
		return L7_SPLICE_IN_DROPPED;
	}
	/* RFC 9293 §3.10.7.1: <SEQ=SEG.ACK><CTL=RST> if the segment had an
	 * ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
	uint32_t seglen = p->payload_len + !!(p->tcp_flags & L7_TCP_SYN) +
			  !!(p->tcp_flags & L7_TCP_FIN);
	struct seg g = { &p->dst, &p->src, p->dport, p->sport, 0, 0, 0, 0, NULL, 0, NULL, 0 };
	if (p->tcp_flags & L7_TCP_ACK) {
		g.seq = p->tcp_ack;
		g.flags = L7_TCP_RST;
	} else {
		g.ack = p->tcp_seq + seglen;
		g.flags = L7_TCP_RST | L7_TCP_ACK;
	}
	splice_emit_built(s, UINT32_MAX, L7_SPLICE_TO_CLIENT, &g);
	s->st.stray_rst++;
	return L7_SPLICE_IN_DROPPED;
}

static int client_pkt(struct l7_splice *s, struct conn *c, struct l7_pkt *p,
		      uint8_t *frame, l7_time_ns now);

/* A packet for no known connection. */
static int no_conn(struct l7_splice *s, struct l7_pkt *p, uint8_t *frame, l7_time_ns now,
		   const struct l7_flow_key *k)
{
	uint16_t f = p->tcp_flags;
	if (f & L7_TCP_RST)
		return stray(s, p);
	if ((f & (L7_TCP_SYN | L7_TCP_ACK)) == L7_TCP_SYN)
		return client_syn(s, p, now, k);
	if ((f & (L7_TCP_SYN | L7_TCP_ACK)) != L7_TCP_ACK)
		return stray(s, p);
	uint16_t mss = 0;
	int rc = l7_syncookie_check(&s->cfg.cookie, k, p->tcp_seq - 1, p->tcp_ack - 1, now, &mss);
	if (rc == L7_ESTALECOOKIE) {
		s->st.cookie_stale++;
		return stray(s, p);
	}
	if (rc < 0) {
		s->st.cookie_bad++;
		return stray(s, p);
	}
	s->st.cookie_ok++;
	struct conn *c = conn_alloc(s, k, now);
	if (!c)
		return stray(s, p);
	size_t olen;
	const uint8_t *opts = l7_pkt_tcp_opts(p, &olen);
	uint32_t tsv, tse;
	if (l7_tcpopt_get_ts(opts, olen, &tsv, &tse) == 1) {
		l7_tscookie_decode(tse, &c->copts);
		c->copts.ts_val = tsv;
		c->ts_from_client = tsv;
		c->ts_to_client = tse;
	}
	c->copts.mss = mss;
	c->c_isn = p->tcp_seq - 1;
	c->l_isn = p->tcp_ack - 1;
	init_client_leg(s, c, p);
	c->state = L7_SPLICE_FRONT_ESTABLISHED;
	return client_pkt(s, c, p, frame, now);
}

/* Remember the client's latest TSval (we echo it on built packets and put
 * it in the SYN of a new leg). */
static void note_client_ts(struct conn *c, uint32_t tsv)
{
	if (!l7_seq_before(tsv, c->ts_from_client))
		c->ts_from_client = tsv;
}

static void read_client_ts(struct conn *c, const struct l7_pkt *p)
{
	if (!c->copts.ts_ok)
		return;
	size_t olen;
	uint32_t tsv, tse;
	const uint8_t *o = l7_pkt_tcp_opts(p, &olen);
	if (l7_tcpopt_get_ts(o, olen, &tsv, &tse) == 1)
		note_client_ts(c, tsv);
}

/* Relay a client packet in place; split it when it straddles a point. */
static int relay_c2s(struct l7_splice *s, struct conn *c, struct l7_pkt *p, uint8_t *frame)
{
	uint32_t seq = p->tcp_seq, len = p->payload_len;
	uint32_t ts[2];
	int rc = splice_xlate_c2s_ts(&c->rec, p, frame, ts);
	if (rc == 1) {
		note_client_ts(c, ts[0]);
		rc = 0;
	}
	if (rc == L7_ERANGE) {
		read_client_ts(c, p);
		if (p->payload_caplen < len) {
			s->st.bad_packet++;
			return L7_SPLICE_IN_DROPPED;
		}
		send_stream(s, c, seq, l7_pkt_payload(p), len, 0,
			    (p->tcp_flags & L7_TCP_FIN) != 0);
		s->st.c2s_relayed++;
		return L7_SPLICE_IN_CONSUMED;
	}
	if (rc < 0) {
		s->st.bad_options++;
		return L7_SPLICE_IN_DROPPED;
	}
	splice_emit_frame(s, conn_id(s, c), L7_SPLICE_TO_SERVER, p);
	s->st.c2s_relayed++;
	return L7_SPLICE_IN_RELAYED;
}

static void note_client_fin(struct l7_splice *s, struct conn *c, uint32_t end)
{
	if (c->flags & CF_C_FIN)
		return;
	c->flags |= CF_C_FIN;
	c->c_fin_end = end + 1;
	c->state = L7_SPLICE_CLOSING;
	s->st.fins_relayed++;
}

static uint32_t win_or_64k(uint32_t w)
{
	return w > 65535 ? w : 65535;
}

/* RFC 5961 §3 in spirit: a RST only ends our state if its sequence number
 * lies between what the receiver has acknowledged and the right edge of
 * its window, so a blind RST cannot tear down a spliced connection. (The
 * endpoint still applies its own exact-match / challenge-ACK rule.) */
static int client_rst_in_window(const struct conn *c, uint32_t seq)
{
	uint32_t lo = c->rec.has_last ? c->rec.last_c_ack : c->c_isn + 1;
	return l7_seq_between(seq, lo, c->c_nxt + win_or_64k(c->b_win_bytes));
}

static int server_rst_in_window(const struct conn *c, uint32_t seq)
{
	uint32_t cwin = (uint32_t)c->c_win << (c->copts.ws_ok ? c->copts.wscale : 0);
	return l7_seq_between(seq, c->c_acked - c->rec.s2c_delta, c->b_nxt + win_or_64k(cwin));
}

/* ------------------------------------------------------------ reused tuples */

/* Both FINs seen: from the client's side the connection is over (it is in
 * TIME-WAIT or CLOSED), so it may open a new incarnation on the tuple. */
static int closing_both_ways(const struct conn *c)
{
	return (c->flags & (CF_C_FIN | CF_S_FIN)) == (CF_C_FIN | CF_S_FIN);
}

/*
 * RFC 6191 §2 (RFC 1122 §4.2.2.13 without timestamps): a new incarnation is
 * accepted when its TSval is newer than the last one of the old connection;
 * an older TSval is refused (PAWS); without timestamps on either
 * incarnation, or with an equal TSval, its ISN must be beyond the last
 * sequence number of the old connection (its FIN: c_nxt - 1), so no old
 * duplicate can fall into the new sequence space. Wraparound-safe.
 */
static int reuse_acceptable(const struct conn *c, uint32_t isn, int has_ts, uint32_t tsval)
{
	if (c->copts.ts_ok && has_ts && tsval != c->ts_from_client)
		return l7_seq_after(tsval, c->ts_from_client);
	return l7_seq_after(isn, c->c_nxt - 1);
}

/* Hand the server leg of a connection dropped for a reused tuple to the
 * old-leg pool as it stands: it resends the client's FIN until the
 * back-end ACKs it, ACKs the back-end's FIN if the client had not, then
 * lingers; a new leg on the same tuple takes it over (open_leg). */
static void reuse_close_leg(struct l7_splice *s, struct conn *c, l7_time_ns now)
{
	struct old_leg t;
	memset(&t, 0, sizeof(t));
	t.key = c->skey;
	t.fin_seq = l7_splice_map_seq(&c->rec, c->c_fin_end - 1);
	t.fin_acked = c->rec.has_last && !l7_seq_before(c->rec.last_s_ack, t.fin_seq + 1);
	t.peer_fin = 1;
	t.rcv_nxt = c->b_nxt;
	t.win = rescale(c->c_win, c->rec.win_c2s_in, c->rec.win_c2s_out);
	t.has_ts = (c->rec.flags & L7_SPLICE_REC_TS) != 0;
	t.ts_val = c->ts_from_client;
	t.ts_ecr = c->b_ts_recent;
	int client_acked_fin = !l7_seq_before(c->c_acked, c->s_fin_end);
	if (!t.fin_acked || !client_acked_fin)
		s->st.reuse_legs_closing++;
	splice_table_remove(s, &c->skey);
	c->flags &= (uint16_t)~CF_LEG;
	splice_old_adopt(s, conn_id(s, c), &t, !client_acked_fin, now);
}

/*
 * A client SYN, or an ACK carrying a valid cookie for a SYN answered
 * elsewhere (Miresga: the switch answers SYNs statelessly, so the
 * front-end sees only the ACK), on the tuple of a connection that has
 * seen both FINs. Returns -1 if the packet belongs to the old connection
 * (go on as before), else the packet's result: refused (dropped, counted)
 * or a new connection started after the old state was dropped.
 */
static int try_reuse(struct l7_splice *s, struct conn *c, struct l7_pkt *p, uint8_t *frame,
		     l7_time_ns now)
{
	uint16_t f = p->tcp_flags & (L7_TCP_SYN | L7_TCP_ACK | L7_TCP_RST);
	uint32_t isn;
	size_t olen;
	const uint8_t *opts = l7_pkt_tcp_opts(p, &olen);
	if (f != L7_TCP_SYN && f != L7_TCP_ACK)
		return -1;
	if (l7_tcpopt_validate(opts, olen) < 0)
		return -1;
	if (f == L7_TCP_SYN) {
		if (p->tcp_seq == c->c_isn)
			return -1; /* the old connection's own SYN, retransmitted */
		isn = p->tcp_seq;
	} else {
		uint16_t mss;
		if (l7_syncookie_check(&s->cfg.cookie, &c->ckey, p->tcp_seq - 1, p->tcp_ack - 1,
				       now, &mss) < 0)
			return -1;
		isn = p->tcp_seq - 1;
	}
	uint32_t tsv = 0, tse;
	int has_ts = l7_tcpopt_get_ts(opts, olen, &tsv, &tse) == 1;
	if (!reuse_acceptable(c, isn, has_ts, tsv)) {
		s->st.reuse_refused++;
		return L7_SPLICE_IN_DROPPED;
	}
	struct l7_flow_key k = c->ckey;
	if (has_leg_up(c))
		reuse_close_leg(s, c, now);
	else
		rst_server(s, c);
	retire(s, c);
	s->st.conn_reused++;
	if (f == L7_TCP_SYN)
		return client_syn(s, p, now, &k);
	return no_conn(s, p, frame, now, &k);
}

static int client_pkt(struct l7_splice *s, struct conn *c, struct l7_pkt *p,
		      uint8_t *frame, l7_time_ns now)
{
	uint16_t f = p->tcp_flags;
	uint32_t seq = p->tcp_seq, len = p->payload_len;
	if ((f & L7_TCP_RST) && c->state != L7_SPLICE_SYN_RCVD && !client_rst_in_window(c, seq)) {
		s->st.rst_ignored++;
		return L7_SPLICE_IN_DROPPED;
	}
	if (closing_both_ways(c)) {
		int rc = try_reuse(s, c, p, frame, now);
		if (rc >= 0)
			return rc;
	}
	if (f & L7_TCP_RST) {
		if (has_leg_up(c) && relay_c2s(s, c, p, frame) == L7_SPLICE_IN_RELAYED)
			s->st.rst_relayed++;
		else
			rst_server(s, c);
		retire(s, c);
		return L7_SPLICE_IN_RELAYED;
	}
	if (f & L7_TCP_SYN) {
		if (c->state == L7_SPLICE_SYN_RCVD && !(f & L7_TCP_ACK) && seq == c->c_isn) {
			send_synack(s, p, &c->copts, c->l_isn, c->ts_to_client, 1, conn_id(s, c));
			return L7_SPLICE_IN_CONSUMED;
		}
		s->st.dropped_state++;
		return L7_SPLICE_IN_DROPPED;
	}
	if (!(f & L7_TCP_ACK)) {
		s->st.dropped_state++;
		return L7_SPLICE_IN_DROPPED;
	}
	if (c->state == L7_SPLICE_SYN_RCVD) {
		if (p->tcp_ack != c->l_isn + 1) {
			s->st.dropped_state++;
			return L7_SPLICE_IN_DROPPED;
		}
		c->state = L7_SPLICE_FRONT_ESTABLISHED;
	}
	/* What the client tells us about itself (TSval: read here unless the
	 * packet is relayed, where translation reports it). */
	int relay_path = has_leg_up(c) && !(c->flags & (CF_HEAD | CF_REQ_END));
	if (!relay_path)
		read_client_ts(c, p);
	int acked_more = l7_seq_after(p->tcp_ack, c->c_acked);
	if (acked_more)
		c->c_acked = p->tcp_ack;
	c->c_win = p->tcp_window;
	uint32_t end = seq + len;
	if (len && l7_seq_after(end, c->c_nxt))
		c->c_nxt = end;
	if ((f & L7_TCP_FIN) && l7_seq_after(end + 1, c->c_nxt))
		c->c_nxt = end + 1;

	/* The request boundary of a keep-alive connection was reached. */
	if ((c->flags & CF_REQ_END) && !(c->flags & CF_HEAD) &&
	    !l7_seq_before(c->head_seq + c->head_len, c->req_end_seq)) {
		c->flags = (uint16_t)((c->flags & ~CF_REQ_END) | CF_HEAD);
		c->head_seq = c->req_end_seq;
	}
	if ((c->flags & CF_REQ_END) && !(c->flags & CF_HEAD) && len &&
	    l7_seq_after(end, c->req_end_seq)) {
		/* Straddles the end of the current request: relay the front,
		 * buffer the rest as the next head. */
		uint32_t front = l7_seq_after(c->req_end_seq, seq) ? c->req_end_seq - seq : 0;
		if (front && has_leg_up(c))
			send_stream(s, c, seq, l7_pkt_payload(p), front, 0, 0);
		c->head_stream_off += c->req_end_seq - c->head_seq;
		c->head_seq = c->req_end_seq;
		c->head_len = 0;
		head_give_back(s, c); /* none held here (!CF_HEAD): kept exact */
		c->flags = (uint16_t)((c->flags & ~CF_REQ_END) | CF_HEAD);
	}

	if (c->flags & CF_HEAD) {
		int had_fin_before = (c->flags & CF_FIN_PENDING) != 0;
		if (len == 0 && !(f & L7_TCP_FIN)) {
			/* A pure ACK: the back-end still needs it (keep-alive). */
			int rc = L7_SPLICE_IN_CONSUMED;
			if (has_leg_up(c)) /* also keep-alive probes (seq - 1) */
				rc = relay_c2s(s, c, p, frame);
			if ((c->flags & CF_RESPLICE_WAIT) && acked_more)
				try_route(s, c, now);
			/* The last ACK of a connection whose FIN came with its
			 * last request (the next head was being awaited). */
			check_closed(s, c, now);
			return rc;
		}
		if (len && l7_seq_before(seq, c->head_seq) && has_leg_up(c)) {
			/* Retransmitted bytes of the previous request. */
			if (!l7_seq_after(end, c->head_seq))
				return relay_c2s(s, c, p, frame);
			uint32_t front = c->head_seq - seq;
			send_stream(s, c, seq, l7_pkt_payload(p), front, 0, 0);
		}
		if (p->payload_caplen < len) {
			s->st.bad_packet++;
			return L7_SPLICE_IN_DROPPED;
		}
		int took = len ? buffer_take(s, c, seq, l7_pkt_payload(p), len) : 0;
		if (took < 0)
			return L7_SPLICE_IN_CONSUMED;
		if ((f & L7_TCP_FIN) && end == c->head_seq + c->head_len && !had_fin_before)
			c->flags |= CF_FIN_PENDING;
		if (took > 0 || (c->flags & CF_FIN_PENDING && !had_fin_before) ||
		    (c->flags & CF_RESPLICE_WAIT && acked_more))
			try_route(s, c, now);
		/* Bytes still held: the back-end still needs the ACK they carried. */
		if (c->state != L7_SPLICE_FREE && has_leg_up(c) && (c->flags & CF_HEAD) &&
		    c->head_len && acked_more && len)
			to_server(s, c, leg_next_seq(c), 0, NULL, 0);
		return L7_SPLICE_IN_CONSUMED;
	}
	if (!has_leg_up(c)) {
		s->st.dropped_state++;
		return L7_SPLICE_IN_DROPPED;
	}
	int rc = relay_c2s(s, c, p, frame);
	if (f & L7_TCP_FIN)
		note_client_fin(s, c, end);
	check_closed(s, c, now);
	return rc;
}

/* ------------------------------------------------------------ server side */

static void leg_established(struct l7_splice *s, struct conn *c, const struct l7_pkt *p,
			    l7_time_ns now)
{
	size_t olen;
	const uint8_t *opts = l7_pkt_tcp_opts(p, &olen);
	struct l7_tcp_opts o;
	if (l7_tcp_opts_parse(opts, olen, &o) < 0)
		memset(&o, 0, sizeof(o));
	c->b_isn = p->tcp_seq;
	c->b_nxt = p->tcp_seq + 1;
	c->b_win_bytes = p->tcp_window; /* a SYN's window is never scaled */
	if ((o.has & L7_TCPO_HAS_MSS) && o.mss && o.mss < c->leg_mss)
		c->leg_mss = o.mss;
	if (c->leg_mss < 64)
		c->leg_mss = 64;
	/* Map the back-end's first byte onto our next byte toward the client. */
	c->rec.s2c_delta = c->l_nxt - (c->b_isn + 1);
	c->rec.flags = 0;
	if (c->copts.ts_ok && (o.has & L7_TCPO_HAS_TS)) {
		uint32_t base = l7_seq_max(splice_ts_now(s, now), c->ts_to_client);
		c->rec.flags |= L7_SPLICE_REC_TS;
		c->rec.ts_delta = base - o.ts_val;
		c->b_ts_recent = o.ts_val;
	} else if (c->copts.ts_ok) {
		c->rec.flags |= L7_SPLICE_REC_STRIP_TS;
	}
	if (c->copts.sack_ok && !(o.has & L7_TCPO_HAS_SACK_PERM))
		c->rec.flags |= L7_SPLICE_REC_STRIP_SACK;
	/* Window shifts (RFC 7323 §2.2: scaling is on only if both SYNs
	 * carried WS). Client leg: the client uses copts.wscale, we use l_ws.
	 * Server leg: we sent the client's shift, the back-end its own. */
	int srv_ws = c->copts.ws_ok && (o.has & L7_TCPO_HAS_WS);
	uint8_t b_ws = srv_ws ? (o.wscale > 14 ? 14 : o.wscale) : 0;
	c->rec.win_c2s_in = c->copts.ws_ok ? c->copts.wscale : 0;
	c->rec.win_c2s_out = srv_ws ? c->copts.wscale : 0;
	c->rec.win_s2c_in = b_ws;
	c->rec.win_s2c_out = c->l_ws;
	c->rec.has_last = 0;
	c->state = L7_SPLICE_ESTABLISHED;
	flush_head(s, c, now);
}

static int server_pkt(struct l7_splice *s, struct conn *c, struct l7_pkt *p,
		      uint8_t *frame, l7_time_ns now)
{
	uint16_t f = p->tcp_flags;
	if (c->state == L7_SPLICE_SYN_SENT) {
		if ((f & (L7_TCP_ACK | L7_TCP_RST)) == L7_TCP_ACK && p->tcp_ack != c->leg_isn + 1) {
			/* RFC 9293 §3.10.7.3 (SYN-SENT): an unacceptable ACK,
			 * with or without SYN (e.g. a back-end still holding
			 * the tuple in TIME-WAIT or LAST-ACK answers our SYN
			 * with an ACK for its old connection), gets
			 * <SEQ=SEG.ACK><CTL=RST>; that also clears the stale
			 * socket, so the SYN timer's retransmission succeeds. */
			struct seg g = { &c->rec.leg_src, &c->rec.backend,
					 c->rec.leg_src_port, c->rec.backend_port,
					 p->tcp_ack, 0, L7_TCP_RST, 0, NULL, 0, NULL, 0 };
			splice_emit_built(s, conn_id(s, c), L7_SPLICE_TO_SERVER, &g);
			s->st.syn_sent_bad_ack++;
			s->st.dropped_state++;
			return L7_SPLICE_IN_DROPPED;
		}
		if ((f & (L7_TCP_SYN | L7_TCP_ACK | L7_TCP_RST)) == (L7_TCP_SYN | L7_TCP_ACK)) {
			leg_established(s, c, p, now);
			return L7_SPLICE_IN_CONSUMED;
		}
		if ((f & L7_TCP_RST) && (f & L7_TCP_ACK) && p->tcp_ack == c->leg_isn + 1) {
			/* Back-end refused: tell the client. */
			s->st.syn_failed++;
			rst_client(s, c);
			retire(s, c);
			return L7_SPLICE_IN_CONSUMED;
		}
		s->st.dropped_state++;
		return L7_SPLICE_IN_DROPPED;
	}
	if (!has_leg_up(c)) {
		s->st.dropped_state++;
		return L7_SPLICE_IN_DROPPED;
	}
	if ((f & L7_TCP_RST) && !server_rst_in_window(c, p->tcp_seq)) {
		s->st.rst_ignored++;
		return L7_SPLICE_IN_DROPPED;
	}
	if (f & L7_TCP_SYN) {
		/* Retransmitted SYN-ACK: our first segment was lost; ACK again
		 * and let the client's retransmission carry the bytes. */
		if ((f & L7_TCP_ACK) && p->tcp_seq == c->b_isn)
			to_server(s, c, c->leg_isn + 1, 0, NULL, 0);
		s->st.dropped_state++;
		return L7_SPLICE_IN_DROPPED;
	}
	uint32_t seq = p->tcp_seq, len = p->payload_len;
	uint32_t ts[2] = { 0, 0 };
	int has_ts = 0;
	int pt = -1;
	int rc = splice_xlate_s2c_ts(&c->rec, p, frame, &pt, ts, &has_ts);
	if (rc < 0) {
		s->st.bad_options++;
		return L7_SPLICE_IN_DROPPED;
	}
	if (rc == L7_SPLICE_XLATE_SUPPRESS) {
		s->st.acks_suppressed++;
		return L7_SPLICE_IN_DROPPED;
	}
	if (has_ts && (c->rec.flags & L7_SPLICE_REC_TS)) {
		c->b_ts_recent = ts[0];
		c->ts_to_client = l7_seq_max(c->ts_to_client, ts[0] + c->rec.ts_delta);
	}
	if (f & L7_TCP_RST) {
		splice_emit_frame(s, conn_id(s, c), L7_SPLICE_TO_CLIENT, p);
		s->st.rst_relayed++;
		retire(s, c);
		return L7_SPLICE_IN_RELAYED;
	}
	splice_emit_frame(s, conn_id(s, c), L7_SPLICE_TO_CLIENT, p);
	s->st.s2c_relayed++;
	if (rc == L7_SPLICE_XLATE_RETX && pt >= 0) {
		const struct l7_splice_point *ip = &c->rec.points[pt];
		to_server(s, c, ip->sseq, L7_TCP_PSH, c->arena + ip->arena_off, ip->len);
		s->st.point_retransmits++;
	}
	c->b_win_bytes = (uint32_t)p->tcp_window << c->rec.win_s2c_out; /* as sent on */
	uint32_t send_end = seq + len + !!(f & L7_TCP_FIN);
	if (l7_seq_after(send_end, c->b_nxt))
		c->b_nxt = send_end;
	if (l7_seq_after(send_end + c->rec.s2c_delta, c->l_nxt))
		c->l_nxt = send_end + c->rec.s2c_delta;
	if ((f & L7_TCP_FIN) && !(c->flags & CF_S_FIN)) {
		c->flags |= CF_S_FIN;
		c->s_fin_end = send_end + c->rec.s2c_delta;
		c->state = c->state == L7_SPLICE_ESTABLISHED ? L7_SPLICE_CLOSING : c->state;
		s->st.fins_relayed++;
	}
	if (c->rec.n_points == 0)
		c->arena_used = 0;
	if ((c->flags & CF_POINTS_WAIT) && c->rec.n_points < L7_SPLICE_MAX_POINTS)
		try_route(s, c, now); /* a held pipelined request may fit now */
	else
		check_closed(s, c, now);
	return L7_SPLICE_IN_RELAYED;
}

/* ------------------------------------------------------------ entry points */

int l7_splice_input(struct l7_splice *s, uint8_t *frame, size_t len, uint32_t linktype,
		    l7_time_ns now)
{
	s->st.packets++;
	struct l7_pkt p;
	if (len > UINT32_MAX)
		return L7_EINVAL;
	int rc = l7_pkt_parse(&p, frame, (uint32_t)len, linktype);
	if (rc == L7_EUNSUPPORTED) {
		s->st.not_tcp++;
		return L7_SPLICE_IN_NOT_TCP;
	}
	if (rc < 0) {
		s->st.bad_packet++;
		return rc;
	}
	if (p.proto != L7_IPPROTO_TCP || (p.flags & L7_PKT_F_FRAG)) {
		s->st.not_tcp++;
		return L7_SPLICE_IN_NOT_TCP;
	}
	struct l7_flow_key k;
	l7_flow_key_from_pkt(&k, &p);
	uint32_t v = splice_table_find(s, &k, splice_key_hash(&k));
	if (v != SLOT_EMPTY && (v & 3) == DIR_OLD) {
		size_t olen;
		const uint8_t *opts = l7_pkt_tcp_opts(&p, &olen);
		if (l7_tcpopt_validate(opts, olen) < 0) {
			s->st.bad_options++;
			return L7_SPLICE_IN_DROPPED;
		}
		return splice_old_pkt(s, v >> 2, &p, now);
	}
	struct conn *c = v == SLOT_EMPTY ? NULL : &s->conns[v >> 2];
	/* Relayed packets have their options checked by the translation's own
	 * walk; everything else is checked here, once. */
	if (!c || !has_leg_up(c) || (c->flags & CF_HEAD)) {
		size_t olen;
		const uint8_t *opts = l7_pkt_tcp_opts(&p, &olen);
		if (l7_tcpopt_validate(opts, olen) < 0) {
			s->st.bad_options++;
			return L7_SPLICE_IN_DROPPED;
		}
	}
	if (!c)
		return no_conn(s, &p, frame, now, &k);
	c->last_ns = now;
	if ((v & 3) == DIR_C2S)
		return client_pkt(s, c, &p, frame, now);
	return server_pkt(s, c, &p, frame, now);
}

void l7_splice_tick(struct l7_splice *s, l7_time_ns now)
{
	for (uint32_t i = 0; i < s->cfg.max_conns; i++) {
		struct conn *c = &s->conns[i];
		if (c->state == L7_SPLICE_FREE)
			continue;
		if (c->state == L7_SPLICE_CLOSED) {
			if (now >= c->timer_ns)
				retire(s, c);
			continue;
		}
		if (now > c->last_ns && now - c->last_ns >= s->cfg.idle_ns) {
			s->st.conn_idle_timeout++;
			if (c->state == L7_SPLICE_SYN_RCVD)
				retire(s, c);
			else
				reset_conn(s, c);
			continue;
		}
		if (c->state == L7_SPLICE_SYN_SENT && now >= c->timer_ns) {
			if (c->syn_tries > s->cfg.syn_retries) {
				s->st.syn_failed++;
				reset_conn(s, c);
				continue;
			}
			send_syn(s, c);
			s->st.syn_retransmits++;
			c->timer_ns = now + (s->cfg.syn_rto_ns << c->syn_tries);
			c->syn_tries++;
		}
	}
	splice_old_tick(s, now);
}

int l7_splice_resume(struct l7_splice *s, uint32_t id, l7_time_ns now)
{
	if (id >= s->cfg.max_conns || s->conns[id].state == L7_SPLICE_FREE)
		return L7_ENOENT;
	struct conn *c = &s->conns[id];
	if (!(c->flags & (CF_ROUTE_WAIT | CF_RESPLICE_WAIT)))
		return L7_ESTATE;
	try_route(s, c, now);
	return 0;
}

int l7_splice_export(const struct l7_splice *s, uint32_t id, struct l7_splice_record *rec)
{
	if (id >= s->cfg.max_conns || s->conns[id].state == L7_SPLICE_FREE)
		return L7_ENOENT;
	const struct conn *c = &s->conns[id];
	if (!has_leg_up(c))
		return L7_ESTATE;
	*rec = c->rec;
	return 0;
}

enum l7_splice_state l7_splice_conn_state(const struct l7_splice *s, uint32_t id)
{
	if (id >= s->cfg.max_conns)
		return L7_SPLICE_FREE;
	return (enum l7_splice_state)s->conns[id].state;
}

int l7_splice_find(const struct l7_splice *s, const struct l7_flow_key *k)
{
	uint32_t v = splice_table_find(s, k, splice_key_hash(k));
	if (v == SLOT_EMPTY || (v & 3) != DIR_C2S)
		return L7_ENOENT;
	return (int)(v >> 2);
}

uint32_t l7_splice_active(const struct l7_splice *s)
{
	return s->active;
}

const struct l7_splice_stats *l7_splice_stats(const struct l7_splice *s)
{
	return &s->st;
}
