/*
 * tcpep.c — the TCP endpoint model of tcpep.h.
 *
 * Layout of the send side: the stream is [0, end_off) plus, after
 * shutdown, one FIN at offset end_off. una_off <= nxt_off <= max_off <=
 * end_off + 1 are 64-bit offsets (never wrap); a sequence number is
 * iss + 1 + offset mod 2^32. Incoming ACK numbers are mapped to offsets only
 * after l7_seq_between() placed them inside [snd_una, snd_max].
 *
 * Reordering (docs/models.md "Reordering"): the receiver reports a
 * segment it already has in a D-SACK block (RFC 2883) on the ACK that
 * answers it; the sender counts the segments it retransmits during a fast
 * recovery and the segments D-SACKs report inside that recovery; each
 * such D-SACK raises its duplicate-ACK threshold to the reordering it
 * shows (Linux's tp->reordering), and with cfg undo, once every
 * retransmission has been reported, it undoes the recovery (cwnd and
 * ssthresh back to their values before it, RFC 3708 §3 / Linux's
 * tcp_try_undo_dsack). An ACK carrying only a D-SACK is no duplicate ACK.
 *
 * Invariants: the endpoint owns exactly the packets on its ooo list (sorted
 * by sequence, each with its sequence, payload offset, length and FIN bit
 * in the buffer's aux fields); the timer is armed iff one of rto_at,
 * delack_at, tw_at is set; after the CLOSED event nothing touches the
 * endpoint again.
 */
#include <stdlib.h>
#include <string.h>

#include "l7splice/tcp.h"
#include "net/tcpep.h"

#define F_SACK 0x01
#define F_TS 0x02
#define F_WS 0x04
#define F_FIN_Q 0x08    /* shutdown called: FIN at end_off */
#define F_RTT 0x10      /* a segment is being timed */
#define F_RECOV 0x20    /* in fast recovery */
#define F_DONE 0x40     /* CLOSED reported */
#define F_UNDO 0x80     /* the last fast recovery may still be undone */

#define AUX_LEN(a) ((a) & 0xffffu)
#define AUX_OFF(a) (((a) >> 16) & 0x7fffu)
#define AUX_FIN(a) ((a) >> 31)

void l7sim_tcp_cfg_defaults(struct l7sim_tcp_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->mss = 1460;
	c->wscale = 7;
	c->sack = 1;
	c->ts = 1;
	c->delack = 1;
	c->ack_every = 2;
	c->max_retries = 12;
	c->dsack = 1;
	c->undo = 0;
	c->max_reordering = 300;
	c->rcv_buf_bytes = 1u << 20;
	c->init_cwnd_segs = 10;
	c->rto_init_ns = 1000000000ULL;
	c->rto_min_ns = 200000000ULL;
	c->rto_max_ns = 60000000000ULL;
	c->delack_ns = 40000000ULL;
	c->time_wait_ns = 1000000000ULL;
	c->ts_hz = 1000;
	c->linktype = L7_LINKTYPE_ETHERNET;
	c->ttl = 64;
}

void l7sim_tcp_env_init(struct l7sim_tcp_env *env, struct l7sim_engine *eng,
			struct l7sim_pktpool *pool, const struct l7sim_tcp_cfg *cfg,
			const struct l7sim_tcp_ops *ops, struct l7sim_node *out,
			uint64_t seed, const char *name)
{
	static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	memset(env, 0, offsetof(struct l7sim_tcp_env, scratch));
	env->eng = eng;
	env->pool = pool;
	env->cfg = cfg;
	env->ops = ops;
	env->out = out;
	memcpy(env->eth_src, mac_a, 6);
	memcpy(env->eth_dst, mac_b, 6);
	char id[96];
	size_t n = 0;
	const char *pre = "tcp/";
	while (pre[n]) {
		id[n] = pre[n];
		n++;
	}
	for (size_t i = 0; name && name[i] && n + 1 < sizeof(id); i++)
		id[n++] = name[i];
	id[n] = 0;
	l7sim_rng_init(&env->rng, seed, l7sim_rng_id(id));
	env->fixed_isn = -1;
}

const char *l7sim_tcp_state_name(int state)
{
	static const char *names[] = { "CLOSED", "SYN_SENT", "SYN_RCVD", "ESTABLISHED",
				       "FIN_WAIT_1", "FIN_WAIT_2", "CLOSING", "TIME_WAIT",
				       "CLOSE_WAIT", "LAST_ACK" };
	return state >= 0 && state <= L7SIM_TCP_LAST_ACK ? names[state] : "?";
}

/* ------------------------------------------------------------ helpers */

static inline l7_time_ns now_of(const struct l7sim_tcpep *ep)
{
	return l7sim_engine_now(ep->env->eng);
}

static inline uint32_t seq_of(const struct l7sim_tcpep *ep, uint64_t off)
{
	return ep->iss + 1u + (uint32_t)off;
}

static inline uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t rto_now(const struct l7sim_tcpep *ep)
{
	uint64_t r = ep->rto_ns;
	const uint64_t max = ep->env->cfg->rto_max_ns;
	for (uint8_t i = 0; i < ep->backoff && r < max; i++)
		r *= 2;
	return r < max ? r : max;
}

static void rtt_sample(struct l7sim_tcpep *ep, uint64_t r)
{
	const struct l7sim_tcp_cfg *c = ep->env->cfg;
	if (ep->srtt_ns == 0) {
		ep->srtt_ns = r ? r : 1;
		ep->rttvar_ns = r / 2;
	} else {
		uint64_t diff = ep->srtt_ns > r ? ep->srtt_ns - r : r - ep->srtt_ns;
		ep->rttvar_ns = (3 * ep->rttvar_ns + diff) / 4;
		ep->srtt_ns = (7 * ep->srtt_ns + r) / 8;
	}
	uint64_t g = ep->env->eng->wheel.tick_ns;
	uint64_t k = 4 * ep->rttvar_ns > g ? 4 * ep->rttvar_ns : g;
	uint64_t rto = ep->srtt_ns + k;
	if (rto < c->rto_min_ns)
		rto = c->rto_min_ns;
	if (rto > c->rto_max_ns)
		rto = c->rto_max_ns;
	ep->rto_ns = rto;
}

static void timer_fire(void *ctx, struct l7sim_timer *t);

static void rearm(struct l7sim_tcpep *ep)
{
	l7_time_ns d = 0;
	if (ep->rto_at)
		d = ep->rto_at;
	if (ep->delack_at && (!d || ep->delack_at < d))
		d = ep->delack_at;
	if (ep->tw_at && (!d || ep->tw_at < d))
		d = ep->tw_at;
	if (d)
		l7sim_engine_timer_arm(ep->env->eng, &ep->timer, d);
	else if (l7sim_timer_armed(&ep->timer))
		l7sim_engine_timer_cancel(ep->env->eng, &ep->timer);
}

static void free_ooo(struct l7sim_tcpep *ep)
{
	while (ep->ooo) {
		struct l7sim_pkt *q = ep->ooo;
		ep->ooo = q->next;
		l7sim_pkt_free(ep->env->pool, q);
	}
	ep->ooo_bytes = 0;
}

/* The last thing that happens to an endpoint. */
static void finish(struct l7sim_tcpep *ep)
{
	if (ep->flags & F_DONE)
		return;
	ep->flags |= F_DONE;
	ep->state = L7SIM_TCP_CLOSED;
	ep->rto_at = ep->delack_at = ep->tw_at = 0;
	if (l7sim_timer_armed(&ep->timer))
		l7sim_engine_timer_cancel(ep->env->eng, &ep->timer);
	free_ooo(ep);
	ep->env->st.closed++;
	ep->env->ops->on_event(ep->user, ep, L7SIM_TCP_EV_CLOSED, now_of(ep));
}

static void notify(struct l7sim_tcpep *ep, enum l7sim_tcp_event ev)
{
	ep->env->ops->on_event(ep->user, ep, ev, now_of(ep));
}

/* Up to `max` SACK blocks from the held segments, the block holding the
 * most recently received segment first (RFC 2018 §4). */
static uint8_t sack_blocks(const struct l7sim_tcpep *ep, struct l7_sack_block *out, uint8_t max)
{
	struct l7_sack_block all[8];
	uint8_t n = 0, first = 0;
	for (const struct l7sim_pkt *q = ep->ooo; q; q = q->next) {
		uint32_t s = q->aux_seq, e = s + AUX_LEN(q->aux) + AUX_FIN(q->aux);
		if (n && l7_seq_between(s, all[n - 1].left, all[n - 1].right)) {
			all[n - 1].right = l7_seq_max(all[n - 1].right, e);
		} else if (n < 8) {
			all[n].left = s;
			all[n].right = e;
			n++;
		} else {
			break;
		}
		if (l7_seq_between(ep->last_ooo_seq, all[n - 1].left, all[n - 1].right - 1))
			first = (uint8_t)(n - 1);
	}
	uint8_t k = 0;
	if (n == 0 || max == 0)
		return 0;
	out[k++] = all[first];
	for (uint8_t i = 0; i < n && k < max; i++)
		if (i != first)
			out[k++] = all[i];
	return k;
}

/* Build and send one segment. A missing buffer is counted and treated as a
 * segment lost on the wire: the caller goes on, retransmission recovers. */
static int send_seg(struct l7sim_tcpep *ep, uint32_t seq, uint16_t flags, uint64_t off,
		    uint32_t len)
{
	struct l7sim_tcp_env *env = ep->env;
	const struct l7sim_tcp_cfg *c = env->cfg;
	l7_time_ns now = now_of(ep);
	struct l7_tcp_opts o;
	memset(&o, 0, sizeof(o));
	if (flags & L7_TCP_SYN) {
		o.has |= L7_TCPO_HAS_MSS;
		o.mss = ep->my_mss;
		if (ep->flags & F_WS) {
			o.has |= L7_TCPO_HAS_WS;
			o.wscale = ep->my_ws;
		}
		if (ep->flags & F_SACK)
			o.has |= L7_TCPO_HAS_SACK_PERM;
	}
	if (ep->flags & F_TS) {
		o.has |= L7_TCPO_HAS_TS;
		o.ts_val = (uint32_t)(now / (1000000000ULL / c->ts_hz)) + ep->ts_off;
		o.ts_ecr = (flags & L7_TCP_ACK) ? ep->ts_recent : 0;
	}
	if ((ep->flags & F_SACK) && !(flags & L7_TCP_SYN)) {
		uint8_t max = (ep->flags & F_TS) ? 3 : 4, k = 0;
		if (env->dsack_pending) {
			o.sack[k++] = env->dsack; /* first, RFC 2883 §4 */
			env->st.dsacks_out++;
		}
		if (ep->ooo)
			k = (uint8_t)(k + sack_blocks(ep, o.sack + k, (uint8_t)(max - k)));
		o.n_sack = k;
		if (k)
			o.has |= L7_TCPO_HAS_SACK;
	}
	env->dsack_pending = 0;
	uint8_t optbuf[L7_TCP_OPT_MAX];
	int olen = l7_tcp_opts_encode(&o, optbuf, sizeof(optbuf));
	if (olen < 0) {
		env->st.build_fail++;
		return olen;
	}
	uint32_t win;
	if (flags & L7_TCP_SYN)
		win = c->rcv_buf_bytes;
	else
		win = c->rcv_buf_bytes >> ep->rcv_ws;
	if (win > 65535)
		win = 65535;
	if (len)
		env->ops->fill(ep->user, ep, off, env->scratch, len);
	struct l7_tcp_build b;
	memset(&b, 0, sizeof(b));
	b.linktype = c->linktype;
	memcpy(b.eth_src, env->eth_src, 6);
	memcpy(b.eth_dst, env->eth_dst, 6);
	b.ip_version = l7_addr_is_v4(&ep->laddr) ? 4 : 6;
	b.ttl = c->ttl;
	b.df = 1;
	b.src = ep->laddr;
	b.dst = ep->raddr;
	b.sport = ep->lport;
	b.dport = ep->rport;
	b.seq = seq;
	b.ack = (flags & L7_TCP_ACK) ? ep->rcv_nxt : 0;
	b.flags = flags;
	b.window = (uint16_t)win;
	b.opts = optbuf;
	b.opts_len = (size_t)olen;
	b.payload = env->scratch;
	b.payload_len = len;
	if (flags & L7_TCP_ACK) {
		ep->unacked_segs = 0;
		ep->delack_at = 0;
	}
	env->st.segs_out++;
	env->st.data_bytes_out += len;
	if (!len && !(flags & (L7_TCP_SYN | L7_TCP_FIN | L7_TCP_RST)))
		env->st.acks_out++;
	struct l7sim_pkt *p = l7sim_pkt_alloc(env->pool, now, ep->conn_id);
	if (!p) {
		env->st.pool_fail++;
		return L7_EFULL;
	}
	size_t flen = 0;
	int rc = l7_pkt_build_tcp(p->data, sizeof(p->data), &b, &flen);
	if (rc) {
		env->st.build_fail++;
		l7sim_pkt_free(env->pool, p);
		return rc;
	}
	p->len = (uint32_t)flen;
	env->out->rx(env->out, p, now);
	return 0;
}

static void send_ack(struct l7sim_tcpep *ep)
{
	send_seg(ep, seq_of(ep, ep->nxt_off), L7_TCP_ACK, 0, 0);
}

/* An ACK whose first SACK block reports [seq, seq + len), a segment we
 * already had (RFC 2883); a plain ACK when D-SACK is off or not possible. */
static void send_ack_dsack(struct l7sim_tcpep *ep, uint32_t seq, uint32_t len)
{
	if ((ep->flags & F_SACK) && ep->env->cfg->dsack && len) {
		ep->env->dsack.left = seq;
		ep->env->dsack.right = seq + len;
		ep->env->dsack_pending = 1;
	}
	send_ack(ep);
}

static void send_syn(struct l7sim_tcpep *ep)
{
	uint16_t fl = L7_TCP_SYN;
	if (ep->state == L7SIM_TCP_SYN_RCVD)
		fl |= L7_TCP_ACK;
	ep->rtt_t0 = now_of(ep);
	send_seg(ep, ep->iss, fl, 0, 0);
}

/* Send at most maxlen bytes at offset off again (data and/or FIN). */
static void retransmit_n(struct l7sim_tcpep *ep, uint64_t off, uint64_t maxlen)
{
	uint64_t lim = min64(ep->max_off, ep->end_off);
	uint32_t len = off < lim ? (uint32_t)min64(min64(lim - off, ep->smss), maxlen) : 0;
	int fin = (ep->flags & F_FIN_Q) && off + len == ep->end_off && ep->max_off > ep->end_off;
	if (!len && !fin)
		return;
	if ((ep->flags & F_UNDO) && ep->undo_retrans < UINT16_MAX)
		ep->undo_retrans++;
	ep->env->st.retrans_segs++;
	ep->env->st.retrans_bytes += len;
	send_seg(ep, seq_of(ep, off), (uint16_t)(L7_TCP_ACK | (fin ? L7_TCP_FIN : 0) |
						 (len && off + len == ep->end_off ? L7_TCP_PSH : 0)),
		 off, len);
}

static void retransmit(struct l7sim_tcpep *ep, uint64_t off)
{
	retransmit_n(ep, off, UINT64_MAX);
}

/* ------------------------------------------------------------ SACK */

/* Offset of a sequence number inside [snd_una, snd_max]. */
static uint64_t off_of(const struct l7sim_tcpep *ep, uint32_t seq)
{
	return ep->una_off + (uint32_t)(seq - seq_of(ep, ep->una_off));
}

/* Fold the peer's SACK blocks into the scoreboard: ranges inside
 * (snd_una, snd_max], sorted by sequence, merged, the lowest 3 kept (they
 * matter first for recovery); ranges at or below snd_una are dropped. */
static void sb_update(struct l7sim_tcpep *ep, const struct l7_tcp_opts *o)
{
	const uint32_t una = seq_of(ep, ep->una_off), max = seq_of(ep, ep->max_off);
	struct l7_sack_block all[3 + 4];
	uint32_t n = 0;
	for (uint32_t i = 0; i < ep->n_sacked; i++)
		all[n++] = ep->sacked[i];
	if (o && (o->has & L7_TCPO_HAS_SACK))
		for (uint32_t i = 0; i < o->n_sack && i < 4; i++)
			all[n++] = o->sack[i];
	uint32_t k = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct l7_sack_block b = all[i];
		if (!l7_seq_before(b.left, b.right) || !l7_seq_between(b.left, una, max) ||
		    !l7_seq_between(b.right, una, max) || !l7_seq_after(b.right, una))
			continue;
		all[k++] = b;
	}
	/* insertion sort by left edge (k <= 7) */
	for (uint32_t i = 1; i < k; i++) {
		struct l7_sack_block b = all[i];
		uint32_t j = i;
		while (j > 0 && l7_seq_before(b.left, all[j - 1].left)) {
			all[j] = all[j - 1];
			j--;
		}
		all[j] = b;
	}
	ep->n_sacked = 0;
	for (uint32_t i = 0; i < k; i++) {
		struct l7_sack_block b = all[i];
		if (ep->n_sacked &&
		    !l7_seq_after(b.left, ep->sacked[ep->n_sacked - 1].right)) {
			ep->sacked[ep->n_sacked - 1].right =
				l7_seq_max(ep->sacked[ep->n_sacked - 1].right, b.right);
		} else if (ep->n_sacked < 3) {
			ep->sacked[ep->n_sacked++] = b;
		}
	}
}

/* The first hole at or after offset `from` that lies below the highest
 * SACKed byte: 1 and [*off, *off + *len), or 0. */
static int next_hole(const struct l7sim_tcpep *ep, uint64_t from, uint64_t *off, uint64_t *len)
{
	uint64_t at = from > ep->una_off ? from : ep->una_off;
	for (uint32_t i = 0; i < ep->n_sacked; i++) {
		uint64_t l = off_of(ep, ep->sacked[i].left), r = off_of(ep, ep->sacked[i].right);
		if (at < l) {
			*off = at;
			*len = l - at;
			return 1;
		}
		if (at < r)
			at = r;
	}
	return 0;
}

/* Retransmit the next hole the scoreboard shows (one segment). */
static void sack_rexmit_one(struct l7sim_tcpep *ep)
{
	uint64_t off, len;
	if (!(ep->flags & F_SACK) || !ep->env->cfg->sack_recovery ||
	    !next_hole(ep, ep->rxt_off, &off, &len))
		return;
	retransmit_n(ep, off, len);
	ep->rxt_off = off + min64(len, ep->smss);
	ep->env->st.sack_rexmits++;
}

static int can_send_data(const struct l7sim_tcpep *ep)
{
	switch (ep->state) {
	case L7SIM_TCP_ESTABLISHED:
	case L7SIM_TCP_CLOSE_WAIT:
	case L7SIM_TCP_FIN_WAIT_1:
	case L7SIM_TCP_CLOSING:
	case L7SIM_TCP_LAST_ACK:
		return 1;
	default:
		return 0;
	}
}

/* Send what the congestion and peer windows allow, from nxt_off. */
static void output(struct l7sim_tcpep *ep)
{
	if (!can_send_data(ep))
		return;
	const uint64_t top = ep->end_off + ((ep->flags & F_FIN_Q) ? 1 : 0);
	while (ep->nxt_off < top) {
		if ((ep->flags & F_RECOV) && ep->nxt_off >= ep->max_off)
			break; /* no new data in fast recovery (tcpep.h) */
		uint64_t wnd = min64(ep->cwnd, ep->snd_wnd);
		uint64_t flight = ep->nxt_off - ep->una_off;
		uint64_t room = wnd > flight ? wnd - flight : 0;
		uint64_t avail = ep->end_off > ep->nxt_off ? ep->end_off - ep->nxt_off : 0;
		uint32_t len = (uint32_t)min64(min64(avail, ep->smss), room);
		int fin = (ep->flags & F_FIN_Q) && ep->nxt_off + len == ep->end_off;
		if (len == 0 && (!fin || avail))
			break;
		if (len < ep->smss && len < avail && flight > 0)
			break; /* wait for room for a full segment (SWS avoidance) */
		int retrans = ep->nxt_off < ep->max_off;
		if (retrans) {
			ep->env->st.retrans_segs++;
			ep->env->st.retrans_bytes += len;
		} else if (!(ep->flags & F_RTT) && len) {
			ep->flags |= F_RTT;
			ep->rtt_off = ep->nxt_off + len;
			ep->rtt_t0 = now_of(ep);
		}
		uint16_t fl = L7_TCP_ACK;
		if (fin)
			fl |= L7_TCP_FIN;
		if (len && ep->nxt_off + len == ep->end_off)
			fl |= L7_TCP_PSH;
		send_seg(ep, seq_of(ep, ep->nxt_off), fl, ep->nxt_off, len);
		ep->nxt_off += len + (uint64_t)fin;
		if (ep->nxt_off > ep->max_off)
			ep->max_off = ep->nxt_off;
		if (!ep->rto_at)
			ep->rto_at = now_of(ep) + rto_now(ep);
	}
}

static void set_smss(struct l7sim_tcpep *ep)
{
	uint16_t m = ep->my_mss < ep->peer_mss ? ep->my_mss : ep->peer_mss;
	if (ep->flags & F_TS)
		m = (uint16_t)(m - 12); /* as Linux: the TS option takes payload room */
	ep->smss = m;
}

static void established(struct l7sim_tcpep *ep)
{
	const struct l7sim_tcp_cfg *c = ep->env->cfg;
	ep->state = L7SIM_TCP_ESTABLISHED;
	ep->una_off = ep->nxt_off = ep->max_off = 0;
	ep->cwnd = c->init_cwnd_segs * ep->smss;
	ep->ssthresh = UINT32_MAX;
	ep->retries = 0;
	ep->rto_at = 0;
	if (!ep->backoff)
		rtt_sample(ep, now_of(ep) - ep->rtt_t0);
	ep->backoff = 0;
	if (ep->flags & F_FIN_Q)
		ep->state = L7SIM_TCP_FIN_WAIT_1;
}

/* ------------------------------------------------------------ open */

static void ep_base(struct l7sim_tcpep *ep, struct l7sim_tcp_env *env, void *user)
{
	memset(ep, 0, sizeof(*ep));
	l7sim_timer_init(&ep->timer, timer_fire);
	ep->env = env;
	ep->user = user;
	ep->rto_ns = env->cfg->rto_init_ns;
	ep->iss = env->fixed_isn >= 0 ? (uint32_t)env->fixed_isn
				      : (uint32_t)l7sim_rng_next(&env->rng);
	ep->ts_off = (uint32_t)l7sim_rng_next(&env->rng);
	ep->snd_wnd = 65535;
	ep->peer_mss = 536;
	ep->my_mss = env->cfg->mss;
	ep->my_ws = env->cfg->wscale == L7SIM_TCP_NO_WS ? 0 : env->cfg->wscale;
	ep->reordering = 3; /* RFC 5681's dupthresh, Linux's tcp_reordering */
	env->st.opened++;
}

int l7sim_tcpep_connect(struct l7sim_tcpep *ep, struct l7sim_tcp_env *env, void *user,
			const struct l7_addr *laddr, uint16_t lport,
			const struct l7_addr *raddr, uint16_t rport, uint64_t conn_id)
{
	return l7sim_tcpep_connect_offer(ep, env, user, laddr, lport, raddr, rport, conn_id, NULL);
}

int l7sim_tcpep_connect_offer(struct l7sim_tcpep *ep, struct l7sim_tcp_env *env, void *user,
			      const struct l7_addr *laddr, uint16_t lport,
			      const struct l7_addr *raddr, uint16_t rport, uint64_t conn_id,
			      const struct l7sim_tcp_offer *offer)
{
	if (l7_addr_is_v4(laddr) != l7_addr_is_v4(raddr))
		return L7_EINVAL;
	ep_base(ep, env, user);
	const struct l7sim_tcp_cfg *c = env->cfg;
	ep->laddr = *laddr;
	ep->raddr = *raddr;
	ep->lport = lport;
	ep->rport = rport;
	ep->conn_id = conn_id;
	if (offer) {
		if (offer->mss && offer->mss < ep->my_mss)
			ep->my_mss = offer->mss;
		if (offer->ws_ok) {
			ep->flags |= F_WS;
			ep->my_ws = offer->wscale > 14 ? 14 : offer->wscale;
		}
		if (offer->sack_ok)
			ep->flags |= F_SACK;
		if (offer->ts_ok)
			ep->flags |= F_TS;
		if (offer->isn_set)
			ep->iss = offer->isn;
	} else {
		if (c->wscale != L7SIM_TCP_NO_WS)
			ep->flags |= F_WS;
		if (c->sack)
			ep->flags |= F_SACK;
		if (c->ts)
			ep->flags |= F_TS;
	}
	ep->state = L7SIM_TCP_SYN_SENT;
	send_syn(ep);
	ep->rto_at = now_of(ep) + rto_now(ep);
	rearm(ep);
	return 0;
}

int l7sim_tcpep_accept(struct l7sim_tcpep *ep, struct l7sim_tcp_env *env, void *user,
		       struct l7sim_pkt *p, const struct l7_pkt *v)
{
	if (v->proto != L7_IPPROTO_TCP || (v->tcp_flags & (L7_TCP_SYN | L7_TCP_ACK | L7_TCP_RST)) != L7_TCP_SYN) {
		l7sim_pkt_free(env->pool, p);
		return L7_EINVAL;
	}
	ep_base(ep, env, user);
	const struct l7sim_tcp_cfg *c = env->cfg;
	struct l7_tcp_opts o;
	size_t ol;
	const uint8_t *opts = l7_pkt_tcp_opts(v, &ol);
	if (l7_tcp_opts_parse(opts, ol, &o))
		o.has = 0;
	ep->laddr = v->dst;
	ep->raddr = v->src;
	ep->lport = v->dport;
	ep->rport = v->sport;
	ep->conn_id = p->conn_id;
	ep->irs = v->tcp_seq;
	ep->rcv_nxt = v->tcp_seq + 1;
	if (c->wscale != L7SIM_TCP_NO_WS && (o.has & L7_TCPO_HAS_WS)) {
		ep->flags |= F_WS;
		ep->snd_ws = o.wscale > 14 ? 14 : o.wscale;
		ep->rcv_ws = ep->my_ws;
	}
	if (c->sack && (o.has & L7_TCPO_HAS_SACK_PERM))
		ep->flags |= F_SACK;
	if (c->ts && (o.has & L7_TCPO_HAS_TS)) {
		ep->flags |= F_TS;
		ep->ts_recent = o.ts_val;
	}
	if (o.has & L7_TCPO_HAS_MSS)
		ep->peer_mss = o.mss;
	ep->snd_wnd = v->tcp_window;
	set_smss(ep);
	l7sim_pkt_free(env->pool, p);
	ep->state = L7SIM_TCP_SYN_RCVD;
	send_syn(ep);
	ep->rto_at = now_of(ep) + rto_now(ep);
	rearm(ep);
	return 0;
}

/* ------------------------------------------------------------ input */

static void peer_fin(struct l7sim_tcpep *ep)
{
	switch (ep->state) {
	case L7SIM_TCP_ESTABLISHED:
		ep->state = L7SIM_TCP_CLOSE_WAIT;
		break;
	case L7SIM_TCP_FIN_WAIT_1:
		ep->state = L7SIM_TCP_CLOSING;
		break;
	case L7SIM_TCP_FIN_WAIT_2:
		ep->state = L7SIM_TCP_TIME_WAIT;
		ep->tw_at = now_of(ep) + ep->env->cfg->time_wait_ns;
		break;
	default:
		return;
	}
	notify(ep, L7SIM_TCP_EV_PEER_FIN);
}

/* Deliver the part of segment [seq, seq + len) (+FIN) at or after rcv_nxt;
 * the segment starts at or before rcv_nxt. */
static void deliver(struct l7sim_tcpep *ep, uint32_t seq, const uint8_t *data, uint32_t len,
		    int fin)
{
	uint32_t skip = ep->rcv_nxt - seq;
	if (skip < len) {
		uint32_t n = len - skip;
		ep->rcv_nxt += n;
		ep->rcv_bytes += n;
		ep->env->ops->on_data(ep->user, ep, data + skip, n, now_of(ep));
	}
	if (fin && ep->rcv_nxt == seq + len && ep->state != L7SIM_TCP_CLOSED) {
		ep->rcv_nxt++;
		peer_fin(ep);
	}
}

/* Keep an out-of-order segment; 1 if it was a copy of one already held
 * (freed). */
static int hold(struct l7sim_tcpep *ep, struct l7sim_pkt *p, uint32_t seq, uint32_t off,
		uint32_t len, int fin)
{
	p->aux_seq = seq;
	p->aux = len | (off << 16) | ((uint32_t)fin << 31);
	struct l7sim_pkt **pp = &ep->ooo;
	while (*pp && l7_seq_before((*pp)->aux_seq, seq))
		pp = &(*pp)->next;
	if (*pp && (*pp)->aux_seq == seq && AUX_LEN((*pp)->aux) >= len) {
		l7sim_pkt_free(ep->env->pool, p); /* a copy we already hold */
		/* its block goes right after the D-SACK block (RFC 2883 §4) */
		ep->last_ooo_seq = seq;
		return 1;
	}
	p->next = *pp;
	*pp = p;
	ep->ooo_bytes += len;
	ep->last_ooo_seq = seq;
	ep->env->st.ooo_segs_in++;
	return 0;
}

static void drain(struct l7sim_tcpep *ep)
{
	while (ep->ooo && !l7_seq_after(ep->ooo->aux_seq, ep->rcv_nxt)) {
		struct l7sim_pkt *q = ep->ooo;
		ep->ooo = q->next;
		ep->ooo_bytes -= AUX_LEN(q->aux);
		deliver(ep, q->aux_seq, q->data + AUX_OFF(q->aux), AUX_LEN(q->aux), (int)AUX_FIN(q->aux));
		l7sim_pkt_free(ep->env->pool, q);
	}
}

/* ------------------------------------------------------------ D-SACK, undo */

/* RFC 2883 §4: the first SACK block reports a duplicate when it lies
 * below the cumulative ACK or inside the second block. 1 and *d if so. */
static int dsack_of(const struct l7_tcp_opts *o, uint32_t ack, struct l7_sack_block *d)
{
	if (!(o->has & L7_TCPO_HAS_SACK) || !o->n_sack)
		return 0;
	const struct l7_sack_block b = o->sack[0];
	if (!l7_seq_before(b.left, b.right))
		return 0;
	if (!l7_seq_before(b.left, ack) &&
	    !(o->n_sack > 1 && !l7_seq_before(b.left, o->sack[1].left) &&
	      !l7_seq_after(b.right, o->sack[1].right)))
		return 0;
	*d = b;
	return 1;
}

/* Every retransmission of the last fast recovery reached a receiver that
 * already had the data: the recovery was spurious. Put the window back as
 * it was before it (Linux tcp_undo_cwnd_reduction: cwnd = max(cwnd,
 * prior), ssthresh = max(ssthresh, prior)) and leave recovery. */
static void undo_recovery(struct l7sim_tcpep *ep)
{
	if (ep->cwnd < ep->prior_cwnd)
		ep->cwnd = ep->prior_cwnd;
	if (ep->ssthresh < ep->prior_ssthresh)
		ep->ssthresh = ep->prior_ssthresh;
	ep->flags &= (uint8_t)~(F_RECOV | F_UNDO);
	ep->env->st.undos++;
}

/* A D-SACK block d with cumulative ACK ack (o: the whole option). When it
 * reports a retransmission of the last fast recovery (inside [undo_marker,
 * recovery point]): the original was only late, so dupthresh grows to how
 * far the receiver had got past it (the highest SACKed or ACKed sequence
 * minus d's left edge, in segments, capped at max_reordering; Linux
 * tcp_check_sack_reordering), and once every retransmission of that
 * recovery is reported, the recovery is undone. */
static void on_dsack(struct l7sim_tcpep *ep, const struct l7_tcp_opts *o,
		     const struct l7_sack_block *d, uint32_t ack)
{
	struct l7sim_tcp_env *env = ep->env;
	env->st.dsacks_in++;
	if (!(ep->flags & F_UNDO) || l7_seq_before(d->left, ep->undo_marker) ||
	    l7_seq_after(d->right, seq_of(ep, ep->recover_off)))
		return;
	const uint32_t mss = ep->smss ? ep->smss : 1u; /* a peer may announce MSS 0 */
	uint32_t fack = ack;
	for (uint32_t i = 1; i < o->n_sack; i++)
		if (l7_seq_after(o->sack[i].right, fack))
			fack = o->sack[i].right;
	uint32_t reord = l7_seq_after(fack, d->left) ? (fack - d->left + mss - 1u) / mss : 0;
	if (reord > env->cfg->max_reordering)
		reord = env->cfg->max_reordering;
	if (reord > ep->reordering) {
		ep->reordering = (uint16_t)reord;
		env->st.reorder_raised++;
	}
	uint32_t segs = (d->right - d->left + mss - 1u) / mss;
	ep->undo_retrans = (uint16_t)(segs >= ep->undo_retrans ? 0 : ep->undo_retrans - segs);
	if (!ep->undo_retrans) {
		if (env->cfg->undo)
			undo_recovery(ep);
		else
			ep->flags &= (uint8_t)~F_UNDO; /* this recovery is over */
	}
}

/* 1 if the segment must be dropped (acks something never sent). */
static int process_ack(struct l7sim_tcpep *ep, const struct l7_pkt *v, uint32_t len,
		       const struct l7_tcp_opts *o)
{
	struct l7sim_tcp_env *env = ep->env;
	const uint32_t snd_una = seq_of(ep, ep->una_off), snd_max = seq_of(ep, ep->max_off);
	const uint32_t ack = v->tcp_ack;
	const uint32_t wnd = (uint32_t)v->tcp_window << ep->snd_ws;
	const l7_time_ns now = now_of(ep);
	if (l7_seq_after(ack, snd_max)) {
		send_ack(ep);
		return 1;
	}
	struct l7_sack_block d;
	int dsack_only = 0;
	if ((ep->flags & F_SACK) && dsack_of(o, ack, &d)) {
		on_dsack(ep, o, &d, ack);
		/* reports nothing but a duplicate: not a duplicate ACK (RFC
		 * 6675 §2 wants newly SACKed data), or a spurious
		 * retransmission's answer would count toward the next one */
		dsack_only = o->n_sack == 1;
	}
	if (l7_seq_after(ack, snd_una)) {
		uint64_t ack_off = ep->una_off + (uint32_t)(ack - snd_una);
		uint64_t acked = ack_off - ep->una_off;
		ep->una_off = ack_off;
		if (ep->nxt_off < ack_off)
			ep->nxt_off = ack_off;
		ep->dupacks = 0;
		ep->retries = 0;
		ep->backoff = 0;
		if ((ep->flags & F_SACK) && env->cfg->sack_recovery)
			sb_update(ep, o);
		if ((ep->flags & F_RTT) && ack_off >= ep->rtt_off) {
			ep->flags &= (uint8_t)~F_RTT;
			rtt_sample(ep, now - ep->rtt_t0);
		}
		if (ep->flags & F_RECOV) {
			if (ack_off >= ep->recover_off) {
				uint64_t flight = ep->max_off - ep->una_off;
				/* RFC 6582 §3.2 step 3, option (1):
				 * min(ssthresh, max(FlightSize, SMSS) + SMSS),
				 * so never below 2 SMSS: a lone segment would
				 * wait for the peer's delayed ACK */
				ep->cwnd = (uint32_t)min64(ep->ssthresh,
							   (flight > ep->smss ? flight : ep->smss) + ep->smss);
				ep->flags &= (uint8_t)~F_RECOV;
			} else {
				env->st.partial_acks++;
				if (!(ep->flags & F_SACK) || !env->cfg->sack_recovery ||
				    ep->una_off >= ep->rxt_off) {
					retransmit(ep, ep->una_off);
					ep->rxt_off = ep->una_off + ep->smss;
				} else {
					sack_rexmit_one(ep);
				}
				ep->cwnd = (ep->cwnd > acked ? ep->cwnd - (uint32_t)acked : 0) + ep->smss;
			}
		} else if (ep->cwnd < ep->ssthresh) {
			ep->cwnd += (uint32_t)min64(acked, 2u * ep->smss);
		} else {
			ep->ca_acc += (uint32_t)acked;
			if (ep->ca_acc >= ep->cwnd) {
				ep->ca_acc -= ep->cwnd;
				ep->cwnd += ep->smss;
			}
		}
		ep->rto_at = ep->una_off < ep->max_off ? now + rto_now(ep) : 0;
		ep->snd_wnd = wnd;
		if ((ep->flags & F_FIN_Q) && ep->una_off == ep->end_off + 1) {
			switch (ep->state) {
			case L7SIM_TCP_FIN_WAIT_1:
				ep->state = L7SIM_TCP_FIN_WAIT_2;
				break;
			case L7SIM_TCP_CLOSING:
				ep->state = L7SIM_TCP_TIME_WAIT;
				ep->tw_at = now + env->cfg->time_wait_ns;
				break;
			case L7SIM_TCP_LAST_ACK:
				finish(ep);
				return 1;
			default:
				break;
			}
		}
	} else if (ack == snd_una) {
		if (len == 0 && !(v->tcp_flags & L7_TCP_FIN) && wnd == ep->snd_wnd &&
		    ep->una_off != ep->max_off && !dsack_only) {
			env->st.dupacks_in++;
			ep->dupacks++;
			if ((ep->flags & F_SACK) && env->cfg->sack_recovery)
				sb_update(ep, o);
			if (ep->flags & F_RECOV) {
				ep->cwnd += ep->smss;
				sack_rexmit_one(ep);
			} else if (ep->dupacks == ep->reordering && ep->una_off >= ep->recover_off) {
				uint64_t flight = ep->max_off - ep->una_off;
				uint64_t half = flight / 2;
				/* what an undo would restore (RFC 3708, Linux) */
				ep->prior_cwnd = ep->cwnd;
				ep->prior_ssthresh = ep->ssthresh;
				ep->undo_marker = snd_una;
				ep->undo_retrans = 0;
				/* follow this recovery's retransmissions when a
				 * D-SACK can tell us something: for undo, or to
				 * raise dupthresh */
				ep->flags &= (uint8_t)~F_UNDO;
				if ((ep->flags & F_SACK) && (env->cfg->undo || env->cfg->max_reordering > 3))
					ep->flags |= F_UNDO;
				ep->ssthresh = (uint32_t)(half > 2u * ep->smss ? half : 2u * ep->smss);
				ep->recover_off = ep->max_off;
				ep->flags |= F_RECOV;
				ep->flags &= (uint8_t)~F_RTT;
				ep->cwnd = ep->ssthresh + 3u * ep->smss;
				env->st.fast_retrans++;
				retransmit(ep, ep->una_off);
				ep->rxt_off = ep->una_off + ep->smss;
				ep->rto_at = now + rto_now(ep);
			}
		}
		ep->snd_wnd = wnd;
	}
	return 0;
}

static void process_data(struct l7sim_tcpep *ep, struct l7sim_pkt *p, const struct l7_pkt *v)
{
	const struct l7sim_tcp_cfg *c = ep->env->cfg;
	const uint32_t seq = v->tcp_seq, len = v->payload_caplen;
	const int fin = (v->tcp_flags & L7_TCP_FIN) != 0;
	if (!len && !fin) {
		l7sim_pkt_free(ep->env->pool, p);
		return;
	}
	if (ep->state == L7SIM_TCP_TIME_WAIT || ep->state == L7SIM_TCP_CLOSE_WAIT ||
	    ep->state == L7SIM_TCP_CLOSING || ep->state == L7SIM_TCP_LAST_ACK) {
		/* the peer's FIN is in: whatever comes now is a retransmission */
		ep->env->st.old_segs_in++;
		l7sim_pkt_free(ep->env->pool, p);
		send_ack_dsack(ep, seq, l7_seq_after(seq + len, ep->rcv_nxt) ? 0 : len);
		return;
	}
	const uint32_t end = seq + len + (uint32_t)fin;
	if (!l7_seq_after(end, ep->rcv_nxt)) {
		ep->env->st.old_segs_in++;
		l7sim_pkt_free(ep->env->pool, p);
		send_ack_dsack(ep, seq, len);
		return;
	}
	if (l7_seq_after(seq, ep->rcv_nxt)) {
		int dup = 0;
		if (l7_seq_after(end, ep->rcv_nxt + c->rcv_buf_bytes))
			l7sim_pkt_free(ep->env->pool, p); /* beyond our window */
		else
			dup = hold(ep, p, seq, v->payload_off, len, fin);
		send_ack_dsack(ep, seq, dup ? len : 0);
		return;
	}
	int had_ooo = ep->ooo != NULL;
	ep->unacked_segs++;
	deliver(ep, seq, l7_pkt_payload(v), len, fin);
	l7sim_pkt_free(ep->env->pool, p);
	drain(ep);
	if (ep->state == L7SIM_TCP_CLOSED || ep->unacked_segs == 0)
		return; /* an outgoing segment already carried the ACK */
	if (had_ooo || fin || !c->delack || ep->unacked_segs >= c->ack_every ||
	    ep->state != L7SIM_TCP_ESTABLISHED) {
		send_ack(ep);
	} else if (!ep->delack_at) {
		ep->delack_at = now_of(ep) + c->delack_ns;
	}
}

void l7sim_tcpep_input(struct l7sim_tcpep *ep, struct l7sim_pkt *p, const struct l7_pkt *v)
{
	struct l7sim_tcp_env *env = ep->env;
	const uint16_t fl = v->tcp_flags;
	env->st.segs_in++;
	if (ep->state == L7SIM_TCP_CLOSED) {
		l7sim_pkt_free(env->pool, p);
		return;
	}
	if (fl & L7_TCP_RST) {
		int ok;
		if (ep->state == L7SIM_TCP_SYN_SENT)
			ok = (fl & L7_TCP_ACK) && v->tcp_ack == ep->iss + 1;
		else
			ok = l7_seq_between(v->tcp_seq, ep->rcv_nxt, ep->rcv_nxt + env->cfg->rcv_buf_bytes);
		l7sim_pkt_free(env->pool, p);
		if (ok) {
			env->st.rst_in++;
			notify(ep, L7SIM_TCP_EV_RESET);
			finish(ep);
		}
		return;
	}
	struct l7_tcp_opts o;
	size_t ol;
	const uint8_t *opts = l7_pkt_tcp_opts(v, &ol);
	if (l7_tcp_opts_parse(opts, ol, &o))
		o.has = 0;
	if (ep->state == L7SIM_TCP_SYN_SENT) {
		if ((fl & (L7_TCP_SYN | L7_TCP_ACK)) == (L7_TCP_SYN | L7_TCP_ACK) &&
		    v->tcp_ack == ep->iss + 1) {
			ep->irs = v->tcp_seq;
			ep->rcv_nxt = v->tcp_seq + 1;
			if (!(o.has & L7_TCPO_HAS_WS))
				ep->flags &= (uint8_t)~F_WS;
			if (!(o.has & L7_TCPO_HAS_SACK_PERM))
				ep->flags &= (uint8_t)~F_SACK;
			if (!(o.has & L7_TCPO_HAS_TS))
				ep->flags &= (uint8_t)~F_TS;
			if (ep->flags & F_WS) {
				ep->snd_ws = o.wscale > 14 ? 14 : o.wscale;
				ep->rcv_ws = ep->my_ws;
			}
			if (ep->flags & F_TS)
				ep->ts_recent = o.ts_val;
			if (o.has & L7_TCPO_HAS_MSS)
				ep->peer_mss = o.mss;
			set_smss(ep);
			ep->snd_wnd = v->tcp_window;
			established(ep);
			send_ack(ep);
			notify(ep, L7SIM_TCP_EV_ESTABLISHED);
			output(ep);
			rearm(ep);
		}
		l7sim_pkt_free(env->pool, p);
		return;
	}
	if (ep->state == L7SIM_TCP_SYN_RCVD) {
		if ((fl & L7_TCP_SYN) && !(fl & L7_TCP_ACK) && v->tcp_seq == ep->irs) {
			send_syn(ep); /* our SYN-ACK was lost */
			l7sim_pkt_free(env->pool, p);
			return;
		}
		if (!(fl & L7_TCP_ACK) || v->tcp_ack != ep->iss + 1) {
			l7sim_pkt_free(env->pool, p);
			return;
		}
		established(ep);
		notify(ep, L7SIM_TCP_EV_ESTABLISHED);
	}
	if (fl & L7_TCP_SYN) {
		/* a retransmitted SYN-ACK: our ACK was lost */
		send_ack(ep);
		l7sim_pkt_free(env->pool, p);
		rearm(ep);
		return;
	}
	if (!(fl & L7_TCP_ACK)) {
		l7sim_pkt_free(env->pool, p);
		return;
	}
	if ((ep->flags & F_TS) && (o.has & L7_TCPO_HAS_TS) && !l7_seq_after(v->tcp_seq, ep->rcv_nxt))
		ep->ts_recent = o.ts_val;
	if (process_ack(ep, v, v->payload_caplen, &o)) {
		if (!(ep->flags & F_DONE)) {
			l7sim_pkt_free(env->pool, p);
			rearm(ep);
		} else {
			l7sim_pkt_free(env->pool, p);
		}
		return;
	}
	process_data(ep, p, v);
	if (ep->flags & F_DONE)
		return;
	output(ep);
	rearm(ep);
}

/* ------------------------------------------------------------ timers */

static void abort_ep(struct l7sim_tcpep *ep, enum l7sim_tcp_event ev)
{
	send_seg(ep, seq_of(ep, ep->nxt_off), L7_TCP_RST | L7_TCP_ACK, 0, 0);
	ep->env->st.rst_out++;
	if (ev == L7SIM_TCP_EV_ABORTED) {
		ep->env->st.aborted++;
		notify(ep, ev);
	}
	finish(ep);
}

static void on_rto(struct l7sim_tcpep *ep)
{
	struct l7sim_tcp_env *env = ep->env;
	if (++ep->retries > env->cfg->max_retries) {
		abort_ep(ep, L7SIM_TCP_EV_ABORTED);
		return;
	}
	if (ep->backoff < 30)
		ep->backoff++;
	if (ep->state == L7SIM_TCP_SYN_SENT || ep->state == L7SIM_TCP_SYN_RCVD) {
		env->st.syn_retrans++;
		send_syn(ep);
		ep->rto_at = now_of(ep) + rto_now(ep);
		return;
	}
	if (ep->una_off >= ep->max_off) {
		ep->retries = 0;
		return;
	}
	env->st.rto_fires++;
	uint64_t flight = ep->max_off - ep->una_off;
	uint64_t half = flight / 2;
	ep->ssthresh = (uint32_t)(half > 2u * ep->smss ? half : 2u * ep->smss);
	ep->cwnd = ep->smss;
	ep->ca_acc = 0;
	ep->flags &= (uint8_t)~(F_RECOV | F_RTT | F_UNDO); /* no undo of an RTO */
	ep->recover_off = ep->max_off;
	ep->dupacks = 0;
	ep->n_sacked = 0; /* go-back-N: forget what the peer said it holds */
	ep->nxt_off = ep->una_off;
	ep->rto_at = 0;
	output(ep);
	ep->rto_at = now_of(ep) + rto_now(ep);
}

static void timer_fire(void *ctx, struct l7sim_timer *t)
{
	struct l7sim_tcpep *ep = (struct l7sim_tcpep *)t;
	l7_time_ns now = l7sim_engine_now((struct l7sim_engine *)ctx);
	if (ep->tw_at && now >= ep->tw_at) {
		finish(ep);
		return;
	}
	if (ep->delack_at && now >= ep->delack_at) {
		ep->env->st.delayed_acks++;
		send_ack(ep);
	}
	if (ep->rto_at && now >= ep->rto_at) {
		ep->rto_at = 0;
		on_rto(ep);
		if (ep->flags & F_DONE)
			return;
	}
	rearm(ep);
}

/* ------------------------------------------------------------ app calls */

int l7sim_tcpep_write(struct l7sim_tcpep *ep, uint64_t nbytes)
{
	if ((ep->flags & F_FIN_Q) || ep->state == L7SIM_TCP_CLOSED ||
	    (ep->state > L7SIM_TCP_ESTABLISHED && ep->state != L7SIM_TCP_CLOSE_WAIT))
		return L7_ESTATE;
	ep->end_off += nbytes;
	output(ep);
	rearm(ep);
	return 0;
}

int l7sim_tcpep_shutdown(struct l7sim_tcpep *ep)
{
	if (ep->flags & F_FIN_Q)
		return 0;
	switch (ep->state) {
	case L7SIM_TCP_ESTABLISHED:
		ep->state = L7SIM_TCP_FIN_WAIT_1;
		break;
	case L7SIM_TCP_CLOSE_WAIT:
		ep->state = L7SIM_TCP_LAST_ACK;
		break;
	case L7SIM_TCP_SYN_SENT:
	case L7SIM_TCP_SYN_RCVD:
		break; /* FIN_WAIT_1 once established */
	default:
		return L7_ESTATE;
	}
	ep->flags |= F_FIN_Q;
	output(ep);
	rearm(ep);
	return 0;
}

int l7sim_tcpep_syn_reuses(const struct l7sim_tcpep *ep, const struct l7_pkt *v)
{
	return ep->state == L7SIM_TCP_TIME_WAIT &&
	       (v->tcp_flags & (L7_TCP_SYN | L7_TCP_ACK | L7_TCP_RST)) == L7_TCP_SYN &&
	       l7_seq_after(v->tcp_seq, ep->rcv_nxt);
}

void l7sim_tcpep_forget(struct l7sim_tcpep *ep)
{
	finish(ep);
}

void l7sim_tcpep_abort(struct l7sim_tcpep *ep)
{
	if (ep->flags & F_DONE)
		return;
	abort_ep(ep, L7SIM_TCP_EV_CLOSED);
}

/* ------------------------------------------------------------ demux, RST */

static uint32_t demux_hash(const struct l7_addr *ra, uint16_t rport, uint16_t lport)
{
	uint64_t h = 1469598103934665603ULL;
	for (int i = 0; i < 16; i++)
		h = (h ^ ra->b[i]) * 1099511628211ULL;
	h = (h ^ rport) * 1099511628211ULL;
	h = (h ^ lport) * 1099511628211ULL;
	return (uint32_t)(h ^ (h >> 32));
}

int l7sim_tcp_demux_init(struct l7sim_tcp_demux *d, uint32_t buckets_pow2)
{
	if (buckets_pow2 == 0 || (buckets_pow2 & (buckets_pow2 - 1)))
		return L7_EINVAL;
	d->bucket = calloc(buckets_pow2, sizeof(*d->bucket));
	if (!d->bucket)
		return L7_ENOMEM;
	d->mask = buckets_pow2 - 1;
	d->n = 0;
	return 0;
}

void l7sim_tcp_demux_fini(struct l7sim_tcp_demux *d)
{
	free(d->bucket);
	d->bucket = NULL;
}

void l7sim_tcp_demux_add(struct l7sim_tcp_demux *d, struct l7sim_tcpep *ep)
{
	uint32_t b = demux_hash(&ep->raddr, ep->rport, ep->lport) & d->mask;
	ep->hnext = d->bucket[b];
	d->bucket[b] = ep;
	d->n++;
}

void l7sim_tcp_demux_del(struct l7sim_tcp_demux *d, struct l7sim_tcpep *ep)
{
	uint32_t b = demux_hash(&ep->raddr, ep->rport, ep->lport) & d->mask;
	for (struct l7sim_tcpep **pp = &d->bucket[b]; *pp; pp = &(*pp)->hnext)
		if (*pp == ep) {
			*pp = ep->hnext;
			d->n--;
			return;
		}
}

struct l7sim_tcpep *l7sim_tcp_demux_find(const struct l7sim_tcp_demux *d,
					 const struct l7_pkt *v)
{
	uint32_t b = demux_hash(&v->src, v->sport, v->dport) & d->mask;
	for (struct l7sim_tcpep *ep = d->bucket[b]; ep; ep = ep->hnext)
		if (ep->rport == v->sport && ep->lport == v->dport &&
		    memcmp(ep->raddr.b, v->src.b, 16) == 0 && memcmp(ep->laddr.b, v->dst.b, 16) == 0)
			return ep;
	return NULL;
}

int l7sim_tcp_send_rst_for(struct l7sim_tcp_env *env, const struct l7_pkt *v, uint64_t conn_id)
{
	if (v->tcp_flags & L7_TCP_RST)
		return 0;
	struct l7_tcp_build b;
	memset(&b, 0, sizeof(b));
	b.linktype = env->cfg->linktype;
	memcpy(b.eth_src, env->eth_src, 6);
	memcpy(b.eth_dst, env->eth_dst, 6);
	b.ip_version = v->ip_version;
	b.ttl = env->cfg->ttl;
	b.src = v->dst;
	b.dst = v->src;
	b.sport = v->dport;
	b.dport = v->sport;
	if (v->tcp_flags & L7_TCP_ACK) {
		b.seq = v->tcp_ack;
		b.flags = L7_TCP_RST;
	} else {
		b.ack = v->tcp_seq + v->payload_len + ((v->tcp_flags & L7_TCP_SYN) ? 1u : 0u) +
			((v->tcp_flags & L7_TCP_FIN) ? 1u : 0u);
		b.flags = L7_TCP_RST | L7_TCP_ACK;
	}
	l7_time_ns now = l7sim_engine_now(env->eng);
	struct l7sim_pkt *p = l7sim_pkt_alloc(env->pool, now, conn_id);
	if (!p) {
		env->st.pool_fail++;
		return L7_EFULL;
	}
	size_t flen;
	int rc = l7_pkt_build_tcp(p->data, sizeof(p->data), &b, &flen);
	if (rc) {
		l7sim_pkt_free(env->pool, p);
		return rc;
	}
	p->len = (uint32_t)flen;
	env->st.rst_out++;
	env->out->rx(env->out, p, now);
	return 0;
}
