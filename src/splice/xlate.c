/*
 * xlate.c — per-packet translation of a spliced connection from a
 * self-contained struct l7_splice_record: the part a back-end agent or a
 * switch action runs, and the front-end engine's own fast path.
 *
 * Sequence spaces (docs/splice.md): client->server bytes keep the client's
 * numbers plus c2s_delta (0 by construction, plus retired insertions) plus
 * the bytes inserted before them; server->client bytes get s2c_delta added.
 * ACKs from the server are mapped back through the insertion points with
 * LB-NIC's four cases (§3.1.3).
 *
 * An IPv4 flow's address/port rewrite is constant, so a prepared record
 * (l7_splice_record_prepare) carries its checksum sums and the per-packet
 * work is a compare and a few stores; the result is byte-identical to the
 * general rewrite, which runs for anything else.
 *
 * Invariants: every comparison goes through l7_seq_*(); checksums are only
 * updated incrementally (RFC 1624), so a packet whose payload was not fully
 * captured still leaves with a correct checksum; a pure ACK that would be a
 * false duplicate at the client is never relayed.
 */
#include <string.h>

#include "splice_int.h"

uint32_t l7_splice_map_seq(const struct l7_splice_record *r, uint32_t c_seq)
{
	uint32_t shift = 0;
	for (unsigned i = 0; i < r->n_points; i++) {
		if (l7_seq_after(r->points[i].cseq, c_seq))
			break;
		shift += r->points[i].len;
	}
	return c_seq + r->c2s_delta + shift;
}

uint32_t l7_splice_map_ack(const struct l7_splice_record *r, uint32_t s_ack,
			   enum l7_splice_ack_case *ack_case, int *point)
{
	uint32_t shift = 0;
	*point = -1;
	for (unsigned i = 0; i < r->n_points; i++) {
		const struct l7_splice_point *pt = &r->points[i];
		uint32_t end = pt->sseq + pt->len;
		if (l7_seq_before(s_ack, pt->sseq)) {
			*ack_case = L7_SPLICE_ACK_BETWEEN;
			return s_ack - r->c2s_delta - shift;
		}
		if (s_ack == pt->sseq) {
			*ack_case = L7_SPLICE_ACK_BEFORE_POINT;
			*point = (int)i;
			return s_ack - r->c2s_delta - shift;
		}
		if (!l7_seq_after(s_ack, end)) {
			/* Inside or right after the inserted bytes: the client
			 * has never sent them, so its view stops at cseq. */
			*ack_case = L7_SPLICE_ACK_AFTER_POINT;
			*point = (int)i;
			return pt->cseq;
		}
		shift += pt->len;
	}
	*ack_case = r->n_points ? L7_SPLICE_ACK_BEYOND : L7_SPLICE_ACK_NOPOINT;
	return s_ack - r->c2s_delta - shift;
}

static uint16_t rescale(uint16_t w, uint8_t in, uint8_t out)
{
	if (in == out)
		return w;
	uint32_t v = ((uint32_t)w << in) >> out;
	/* Round down (never offer more than the peer did), except that a
	 * non-zero window never becomes a false zero window. */
	if (v == 0 && w != 0)
		v = 1;
	return v > 65535 ? 65535 : (uint16_t)v;
}

/* Write seq, ack and window into the TCP header, accounting the changes. */
static inline void put_seq_ack_win(struct l7_pkt *p, uint8_t *tcp, uint32_t seq,
				   uint32_t ack, uint16_t win, uint32_t *acc)
{
	if (seq != p->tcp_seq) {
		*acc = l7_csum_acc32(*acc, p->tcp_seq, seq, 0);
		l7_put_be32(tcp + 4, seq);
		p->tcp_seq = seq;
	}
	if (ack != p->tcp_ack) {
		*acc = l7_csum_acc32(*acc, p->tcp_ack, ack, 0);
		l7_put_be32(tcp + 8, ack);
		p->tcp_ack = ack;
	}
	if (win != p->tcp_window) {
		*acc = l7_csum_acc16(*acc, p->tcp_window, win);
		l7_put_be16(tcp + 14, win);
		p->tcp_window = win;
	}
}

static int check_view(const struct l7_pkt *p, const uint8_t *frame)
{
	if (frame != p->data || !(p->layers & L7_PKT_L4) || p->proto != L7_IPPROTO_TCP)
		return L7_EINVAL;
	return 0;
}

/* Rewrite the endpoints to src:sport -> dst:dport. Address changes are
 * part of the TCP pseudo-header (*acc) and, for IPv4, of the IP header
 * checksum, which gets one update for both addresses. */
static int set_endpoints(struct l7_pkt *p, uint8_t *frame, const struct l7_addr *src,
			 uint16_t sport, const struct l7_addr *dst, uint16_t dport,
			 uint32_t *acc)
{
	uint8_t *ip = frame + p->l3_off, *tcp = frame + p->l4_off;
	int v4 = p->ip_version == 4;
	if (l7_addr_is_v4(src) != v4 || l7_addr_is_v4(dst) != v4)
		return L7_EINVAL;
	if (v4) {
		uint32_t os = l7_get_be32(ip + 12), od = l7_get_be32(ip + 16);
		uint32_t ns = l7_addr_v4(src), nd = l7_addr_v4(dst);
		if (os != ns || od != nd) {
			uint32_t d = l7_csum_acc32(l7_csum_acc32(0, os, ns, 0), od, nd, 0);
			*acc += d;
			l7_put_be16(ip + 10, l7_csum_acc_apply(l7_get_be16(ip + 10), d));
			l7_put_be32(ip + 12, ns);
			l7_put_be32(ip + 16, nd);
			p->src = *src;
			p->dst = *dst;
		}
	} else {
		const struct l7_addr *na[2] = { src, dst };
		struct l7_addr *va[2] = { &p->src, &p->dst };
		for (int k = 0; k < 2; k++) {
			if (memcmp(na[k]->b, va[k]->b, 16) == 0)
				continue;
			uint8_t *f = ip + 8 + 16 * k;
			for (int i = 0; i < 16; i += 2)
				*acc = l7_csum_acc16(*acc, l7_get_be16(f + i),
						     l7_get_be16(na[k]->b + i));
			memcpy(f, na[k]->b, 16);
			*va[k] = *na[k];
		}
	}
	if (sport != p->sport || dport != p->dport) {
		*acc = l7_csum_acc16(l7_csum_acc16(*acc, p->sport, sport), p->dport, dport);
		l7_put_be16(tcp, sport);
		l7_put_be16(tcp + 2, dport);
		p->sport = sport;
		p->dport = dport;
	}
	return 0;
}

/* The sums of rewriting src:sport -> dst:dport to nsrc:nsport ->
 * ndst:ndport, exactly as set_endpoints() accumulates them (0 for a part
 * that does not change, which set_endpoints() skips). */
static void endpoint_sums(const struct l7_addr *src, uint16_t sport, const struct l7_addr *dst,
			  uint16_t dport, const struct l7_addr *nsrc, uint16_t nsport,
			  const struct l7_addr *ndst, uint16_t ndport, uint32_t *addr_sum,
			  uint32_t *port_sum)
{
	uint32_t os = l7_addr_v4(src), od = l7_addr_v4(dst);
	uint32_t ns = l7_addr_v4(nsrc), nd = l7_addr_v4(ndst);
	*addr_sum = os != ns || od != nd
		? l7_csum_acc32(l7_csum_acc32(0, os, ns, 0), od, nd, 0) : 0;
	*port_sum = sport != nsport || dport != ndport
		? l7_csum_acc16(l7_csum_acc16(0, sport, nsport), dport, ndport) : 0;
}

void l7_splice_record_prepare(struct l7_splice_record *r)
{
	r->v4_ready = 0;
	r->v4_addr_c2s = r->v4_port_c2s = r->v4_addr_s2c = r->v4_port_s2c = 0;
	if (!l7_addr_is_v4(&r->client) || !l7_addr_is_v4(&r->vip) ||
	    !l7_addr_is_v4(&r->leg_src) || !l7_addr_is_v4(&r->backend))
		return;
	endpoint_sums(&r->client, r->client_port, &r->vip, r->vip_port, &r->leg_src,
		      r->leg_src_port, &r->backend, r->backend_port, &r->v4_addr_c2s,
		      &r->v4_port_c2s);
	endpoint_sums(&r->backend, r->backend_port, &r->leg_src, r->leg_src_port, &r->vip,
		      r->vip_port, &r->client, r->client_port, &r->v4_addr_s2c,
		      &r->v4_port_s2c);
	r->v4_ready = 1;
}

/* set_endpoints() for a prepared record: when the packet carries exactly
 * the endpoints the sums were computed from (src:sport -> dst:dport), add
 * the precomputed sums instead of recomputing them, and write the new
 * endpoints unconditionally (an unchanged part has sum 0 and rewrites the
 * same bytes). 1 if done, 0 if the caller must take the general path. */
static inline int set_endpoints_ready(struct l7_pkt *p, uint8_t *frame,
				      const struct l7_addr *src, uint16_t sport,
				      const struct l7_addr *dst, uint16_t dport,
				      const struct l7_addr *nsrc, uint16_t nsport,
				      const struct l7_addr *ndst, uint16_t ndport,
				      uint32_t addr_sum, uint32_t port_sum, uint32_t *acc)
{
	uint8_t *ip = frame + p->l3_off, *tcp = frame + p->l4_off;
	if (p->ip_version != 4 || p->sport != sport || p->dport != dport ||
	    memcmp(ip + 12, src->b + 12, 4) != 0 || memcmp(ip + 16, dst->b + 12, 4) != 0)
		return 0;
	*acc += addr_sum + port_sum;
	l7_put_be16(ip + 10, l7_csum_acc_apply(l7_get_be16(ip + 10), addr_sum));
	memcpy(ip + 12, nsrc->b + 12, 4);
	memcpy(ip + 16, ndst->b + 12, 4);
	l7_put_be16(tcp, nsport);
	l7_put_be16(tcp + 2, ndport);
	p->src = *nsrc;
	p->dst = *ndst;
	p->sport = nsport;
	p->dport = ndport;
	return 1;
}

/* The client->server translation; inlined into both entry points (the
 * engine's, which wants the TS option, and the agent's), since a call
 * costs a noticeable share of a ~30 ns budget. */
static inline int xlate_c2s(const struct l7_splice_record *r, struct l7_pkt *p,
			    uint8_t *frame, uint32_t *ts_seen)
{
	int rc = check_view(p, frame);
	if (rc < 0)
		return rc;
	uint32_t seq = p->tcp_seq;
	for (unsigned i = 0; i < r->n_points; i++)
		if (l7_seq_after(r->points[i].cseq, seq) &&
		    l7_seq_before(r->points[i].cseq, seq + p->payload_len))
			return L7_ERANGE;
	uint8_t *tcp = frame + p->l4_off;
	uint32_t acc = 0;
	int erc = 0;
	if (p->tcp_hdr_len > L7_TCP_HDR_MIN) {
		struct l7_tcpopt_edit e = { 0 };
		e.sack_delta = 0 - r->s2c_delta;
		if (r->flags & L7_SPLICE_REC_TS)
			e.tsecr_delta = 0 - r->ts_delta;
		if (r->flags & L7_SPLICE_REC_STRIP_TS)
			e.strip |= 1u << L7_TCPOPT_TS;
		if (r->flags & L7_SPLICE_REC_STRIP_SACK)
			e.strip |= 1u << L7_TCPOPT_SACK;
		e.ts_seen = ts_seen;
		erc = l7_tcpopt_edit_acc(tcp + L7_TCP_HDR_MIN, p->tcp_hdr_len - L7_TCP_HDR_MIN,
					 L7_TCP_HDR_MIN, &e, &acc);
		if (erc < 0) {
			l7_put_be16(tcp + 16, l7_csum_acc_apply(l7_get_be16(tcp + 16), acc));
			return erc;
		}
	}
	uint32_t ack = (p->tcp_flags & L7_TCP_ACK) ? p->tcp_ack - r->s2c_delta : p->tcp_ack;
	uint16_t win = (p->tcp_flags & L7_TCP_SYN) ? p->tcp_window
			: rescale(p->tcp_window, r->win_c2s_in, r->win_c2s_out);
	put_seq_ack_win(p, tcp, r->n_points ? l7_splice_map_seq(r, seq) : seq + r->c2s_delta, ack,
			win, &acc);
	if (r->v4_ready && set_endpoints_ready(p, frame, &r->client, r->client_port, &r->vip,
					       r->vip_port, &r->leg_src, r->leg_src_port,
					       &r->backend, r->backend_port, r->v4_addr_c2s,
					       r->v4_port_c2s, &acc))
		rc = 0;
	else
		rc = set_endpoints(p, frame, &r->leg_src, r->leg_src_port, &r->backend,
				   r->backend_port, &acc);
	l7_put_be16(tcp + 16, l7_csum_acc_apply(l7_get_be16(tcp + 16), acc));
	if (rc < 0)
		return rc;
	return (erc & L7_TCPOPT_EDIT_TS) ? 1 : 0;
}

int splice_xlate_c2s_ts(const struct l7_splice_record *r, struct l7_pkt *p,
			uint8_t *frame, uint32_t *ts_seen)
{
	return xlate_c2s(r, p, frame, ts_seen);
}

int l7_splice_xlate_c2s(const struct l7_splice_record *r, struct l7_pkt *p,
			uint8_t *frame)
{
	int rc = xlate_c2s(r, p, frame, NULL);
	return rc < 0 ? rc : L7_SPLICE_XLATE_OK;
}

static uint32_t sack_map(const void *ctx, uint32_t edge, int is_right)
{
	enum l7_splice_ack_case c;
	int pt;
	(void)is_right;
	const struct l7_splice_record *r = ctx;
	return l7_splice_map_ack(r, edge, &c, &pt);
}

/* Fold insertion points both sides are past into c2s_delta: the client has
 * been told everything before cseq is delivered (so it never retransmits
 * below it) and the server has the inserted bytes. */
static void retire_points(struct l7_splice_record *r)
{
	unsigned n = 0;
	while (n < r->n_points) {
		const struct l7_splice_point *pt = &r->points[n];
		if (l7_seq_before(r->last_s_ack, pt->sseq + pt->len) ||
		    l7_seq_before(r->last_c_ack, pt->cseq))
			break;
		r->c2s_delta += pt->len;
		n++;
	}
	if (n) {
		memmove(r->points, r->points + n, (r->n_points - n) * sizeof(r->points[0]));
		r->n_points = (uint8_t)(r->n_points - n);
	}
}

/* The server->client translation, inlined into both entry points like
 * xlate_c2s(). */
static inline int xlate_s2c(struct l7_splice_record *r, struct l7_pkt *p, uint8_t *frame,
			    int *retx_point, uint32_t *ts_seen, int *has_ts)
{
	int rc = check_view(p, frame);
	if (rc < 0)
		return rc;
	int result = L7_SPLICE_XLATE_OK;
	uint32_t ack = p->tcp_ack;
	if (p->tcp_flags & L7_TCP_ACK) {
		enum l7_splice_ack_case c;
		int pt;
		uint32_t s_ack = p->tcp_ack;
		if (r->n_points) {
			ack = l7_splice_map_ack(r, s_ack, &c, &pt);
		} else { /* what map_ack answers without points, without the call */
			ack = s_ack - r->c2s_delta;
			c = L7_SPLICE_ACK_NOPOINT;
			pt = -1;
		}
		int pure = p->payload_len == 0 &&
			   !(p->tcp_flags & (L7_TCP_SYN | L7_TCP_FIN | L7_TCP_RST));
		if (pure && r->has_last && c == L7_SPLICE_ACK_AFTER_POINT &&
		    s_ack != r->last_s_ack && ack == r->last_c_ack) {
			r->last_s_ack = l7_seq_max(r->last_s_ack, s_ack);
			retire_points(r);
			return L7_SPLICE_XLATE_SUPPRESS;
		}
		if (pure && r->has_last && c == L7_SPLICE_ACK_BEFORE_POINT &&
		    s_ack == r->last_s_ack) {
			/* LB-NIC: repeated duplicate ACKs right before the
			 * inserted bytes mean they were lost; only we have them. */
			if (++r->points[pt].dup_acks >= 2) {
				r->points[pt].dup_acks = 0;
				result = L7_SPLICE_XLATE_RETX;
				if (retx_point)
					*retx_point = pt;
			}
		}
		if (!r->has_last) {
			r->last_s_ack = s_ack;
			r->last_c_ack = ack;
			r->has_last = 1;
		} else {
			r->last_s_ack = l7_seq_max(r->last_s_ack, s_ack);
			r->last_c_ack = l7_seq_max(r->last_c_ack, ack);
		}
	}
	uint8_t *tcp = frame + p->l4_off;
	uint32_t acc = 0;
	if (p->tcp_hdr_len > L7_TCP_HDR_MIN) {
		struct l7_tcpopt_edit e = { 0 };
		if (r->n_points) {
			e.sack_map = sack_map;
			e.sack_ctx = r;
		} else {
			e.sack_delta = 0 - r->c2s_delta;
		}
		if (r->flags & L7_SPLICE_REC_TS)
			e.tsval_delta = r->ts_delta;
		e.ts_seen = ts_seen;
		int erc = l7_tcpopt_edit_acc(tcp + L7_TCP_HDR_MIN,
					     p->tcp_hdr_len - L7_TCP_HDR_MIN, L7_TCP_HDR_MIN, &e,
					     &acc);
		if (erc < 0) {
			l7_put_be16(tcp + 16, l7_csum_acc_apply(l7_get_be16(tcp + 16), acc));
			return erc;
		}
		if (has_ts)
			*has_ts = (erc & L7_TCPOPT_EDIT_TS) != 0;
	}
	uint16_t win = (p->tcp_flags & L7_TCP_SYN) ? p->tcp_window
			: rescale(p->tcp_window, r->win_s2c_in, r->win_s2c_out);
	put_seq_ack_win(p, tcp, p->tcp_seq + r->s2c_delta, ack, win, &acc);
	if (r->n_points)
		retire_points(r);
	if (r->v4_ready && set_endpoints_ready(p, frame, &r->backend, r->backend_port,
					       &r->leg_src, r->leg_src_port, &r->vip, r->vip_port,
					       &r->client, r->client_port, r->v4_addr_s2c,
					       r->v4_port_s2c, &acc))
		rc = 0;
	else
		rc = set_endpoints(p, frame, &r->vip, r->vip_port, &r->client, r->client_port,
				   &acc);
	l7_put_be16(tcp + 16, l7_csum_acc_apply(l7_get_be16(tcp + 16), acc));
	return rc < 0 ? rc : result;
}

int splice_xlate_s2c_ts(struct l7_splice_record *r, struct l7_pkt *p, uint8_t *frame,
			int *retx_point, uint32_t *ts_seen, int *has_ts)
{
	return xlate_s2c(r, p, frame, retx_point, ts_seen, has_ts);
}

int l7_splice_xlate_s2c(struct l7_splice_record *r, struct l7_pkt *p,
			uint8_t *frame, int *retx_point)
{
	return xlate_s2c(r, p, frame, retx_point, NULL, NULL);
}
