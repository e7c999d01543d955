/*
 * oldleg.c — server legs closed after a re-splice (the client connection
 * moved on to another back-end), and legs of a connection dropped because
 * the client opened a new one on its tuple (engine.c, "Reused tuples" in
 * docs/splice.md; adopted mid-close). We play the closing TCP end of such
 * a leg (RFC 9293 §3.6): our FIN is retransmitted from l7_splice_tick()
 * until the back-end ACKs it; every FIN of the back-end is ACKed,
 * retransmissions too; once both FINs are done the entry lingers
 * linger_ns, like TIME-WAIT, so that a retransmitted FIN (our ACK was
 * lost) gets an ACK and not a RST.
 *
 * Why a pool of its own: a keep-alive client alternating back-ends re-
 * splices faster than a FIN handshake completes, and the client connection
 * may close while its old legs are still closing; old legs therefore live
 * independently of their connection (the e2e test saw stray RSTs when they
 * did not). The pool is allocated at create time; when it is full the
 * eviction hand drops one (counted), never a malloc.
 *
 * Invariants: a leg in use has exactly one table key (index << 2 |
 * DIR_OLD); o->conn, when not UINT32_MAX, is a live connection whose
 * old_head list contains o; we never answer anything on an old leg with a
 * RST.
 */
#include <string.h>

#include "splice_int.h"

static uint32_t old_index(const struct l7_splice *s, const struct old_leg *o)
{
	return (uint32_t)(o - s->olds);
}

/* Send on an old leg: our FIN (fin = 1) or an ACK after it. */
static void old_send(struct l7_splice *s, const struct old_leg *o, int fin)
{
	struct l7_addr src, dst;
	memcpy(src.b, o->key.dst, 16);
	memcpy(dst.b, o->key.src, 16);
	uint8_t opts[12];
	struct seg g = { &src, &dst, l7_flow_key_dport(&o->key), l7_flow_key_sport(&o->key),
			 fin ? o->fin_seq : o->fin_seq + 1, o->rcv_nxt,
			 (uint16_t)(L7_TCP_ACK | (fin ? L7_TCP_FIN : 0)), o->win,
			 NULL, 0, NULL, 0 };
	if (o->has_ts) {
		g.opts = opts;
		g.opts_len = splice_ts_opts(opts, o->ts_val, o->ts_ecr);
	}
	splice_emit_built(s, o->conn, L7_SPLICE_TO_SERVER, &g);
}

static void unlink_from_conn(struct l7_splice *s, struct old_leg *o)
{
	if (o->conn == UINT32_MAX)
		return;
	uint32_t me = old_index(s, o);
	uint32_t *link = &s->conns[o->conn].old_head;
	while (*link != UINT32_MAX && *link != me)
		link = &s->olds[*link].next_of_conn;
	if (*link == me)
		*link = o->next_of_conn;
	o->conn = UINT32_MAX;
}

static void old_free(struct l7_splice *s, struct old_leg *o)
{
	splice_table_remove(s, &o->key);
	unlink_from_conn(s, o);
	o->in_use = 0;
	o->next_of_conn = s->old_free;
	s->old_free = old_index(s, o);
	s->olds_in_use--;
}

static struct old_leg *old_alloc(struct l7_splice *s)
{
	if (s->old_free == UINT32_MAX) {
		/* Full: a clock hand picks the victim (O(1), deterministic). */
		struct old_leg *v = &s->olds[s->old_hand];
		s->old_hand = s->old_hand + 1 < s->n_olds ? s->old_hand + 1 : 0;
		old_free(s, v);
		s->st.old_legs_evicted++;
	}
	struct old_leg *o = &s->olds[s->old_free];
	s->old_free = o->next_of_conn;
	s->olds_in_use++;
	if (old_index(s, o) >= s->olds_hwm)
		s->olds_hwm = old_index(s, o) + 1;
	return o;
}

/* Put t into the pool and send what the leg still owes: our FIN while it
 * is unacknowledged, else an ACK of the back-end's FIN when send_ack. */
static void old_begin(struct l7_splice *s, uint32_t conn, const struct old_leg *t,
		      int send_ack, l7_time_ns now)
{
	struct old_leg *o = old_alloc(s);
	*o = *t;
	o->in_use = 1;
	o->tries = 0;
	o->rtx_ns = now + s->cfg.syn_rto_ns;
	/* Room for every retransmission (rto, 2 rto, ... doubling) and as
	 * long again for the back-end's answer to the last one; a leg whose
	 * FINs are both done only lingers (TIME-WAIT). */
	if (o->fin_acked && o->peer_fin)
		o->deadline_ns = now + s->cfg.linger_ns;
	else
		o->deadline_ns = now + s->cfg.syn_rto_ns * ((2ull << s->cfg.syn_retries) - 1);
	o->conn = conn;
	o->next_of_conn = s->conns[conn].old_head;
	s->conns[conn].old_head = old_index(s, o);
	int fin = !o->fin_acked;
	/* The caller removed the current leg's key (same tuple) just before,
	 * and a new leg takes over any old leg with its tuple, so this key is
	 * free; if it were not, the leg still closes, just without state. */
	if (splice_table_insert(s, &o->key, old_index(s, o) << 2 | DIR_OLD) < 0) {
		if (fin || send_ack)
			old_send(s, o, fin);
		unlink_from_conn(s, o);
		o->in_use = 0;
		o->next_of_conn = s->old_free;
		s->old_free = old_index(s, o);
		s->olds_in_use--;
		return;
	}
	if (fin || send_ack)
		old_send(s, o, fin);
}

void splice_old_open(struct l7_splice *s, uint32_t conn, const struct old_leg *t,
		     l7_time_ns now)
{
	struct old_leg c = *t;
	c.fin_acked = 0;
	c.peer_fin = 0;
	old_begin(s, conn, &c, 0, now);
	s->st.old_legs++;
}

void splice_old_adopt(struct l7_splice *s, uint32_t conn, const struct old_leg *t,
		      int send_ack, l7_time_ns now)
{
	old_begin(s, conn, t, send_ack, now);
}

void splice_old_disown(struct l7_splice *s, uint32_t *old_head)
{
	for (uint32_t i = *old_head; i != UINT32_MAX;) {
		struct old_leg *o = &s->olds[i];
		i = o->next_of_conn;
		o->conn = UINT32_MAX;
		o->next_of_conn = UINT32_MAX;
	}
	*old_head = UINT32_MAX;
}

int splice_old_take_over(struct l7_splice *s, const struct l7_flow_key *k)
{
	uint32_t v = splice_table_find(s, k, splice_key_hash(k));
	if (v == SLOT_EMPTY || (v & 3) != DIR_OLD)
		return 0;
	old_free(s, &s->olds[v >> 2]);
	s->st.old_legs_reused++;
	return 1;
}

static int old_rst_acceptable(const struct old_leg *o, uint32_t seq)
{
	/* RFC 5961 §3 in spirit: only a RST inside what we would accept. */
	return l7_seq_between(seq, o->rcv_nxt - 1, o->rcv_nxt + 65535);
}

int splice_old_pkt(struct l7_splice *s, uint32_t idx, const struct l7_pkt *p, l7_time_ns now)
{
	struct old_leg *o = &s->olds[idx];
	uint16_t f = p->tcp_flags;
	if (f & L7_TCP_RST) {
		if (!old_rst_acceptable(o, p->tcp_seq)) {
			s->st.old_leg_strays++;
			return L7_SPLICE_IN_DROPPED;
		}
		old_free(s, o); /* the back-end aborted: nothing left to close */
		return L7_SPLICE_IN_CONSUMED;
	}
	if ((f & L7_TCP_SYN) || !(f & L7_TCP_ACK)) {
		s->st.old_leg_strays++;
		return L7_SPLICE_IN_DROPPED;
	}
	int news = 0;
	if (!o->fin_acked && p->tcp_ack == o->fin_seq + 1) {
		o->fin_acked = 1;
		news = 1;
	}
	if (o->has_ts) {
		size_t olen;
		uint32_t tsv, tse;
		const uint8_t *opts = l7_pkt_tcp_opts(p, &olen);
		if (l7_tcpopt_get_ts(opts, olen, &tsv, &tse) == 1 && l7_seq_after(tsv, o->ts_ecr))
			o->ts_ecr = tsv;
	}
	if (f & L7_TCP_FIN) {
		uint32_t fin_end = p->tcp_seq + p->payload_len + 1;
		if (!o->peer_fin || fin_end == o->rcv_nxt) {
			/* Its FIN, first or retransmitted (our ACK was lost). */
			o->peer_fin = 1;
			o->rcv_nxt = fin_end;
			old_send(s, o, 0);
			s->st.old_fin_acks++;
			news = 1;
		}
	}
	if (o->fin_acked && o->peer_fin && news)
		o->deadline_ns = now + s->cfg.linger_ns; /* TIME-WAIT */
	if (!news) {
		s->st.old_leg_strays++;
		return L7_SPLICE_IN_DROPPED;
	}
	return L7_SPLICE_IN_CONSUMED;
}

void splice_old_tick(struct l7_splice *s, l7_time_ns now)
{
	if (!s->olds_in_use)
		return;
	for (uint32_t i = 0; i < s->olds_hwm; i++) {
		struct old_leg *o = &s->olds[i];
		if (!o->in_use)
			continue;
		if (now >= o->deadline_ns) {
			if (!o->fin_acked || !o->peer_fin)
				s->st.old_leg_timeouts++;
			old_free(s, o);
			continue;
		}
		if (!o->fin_acked && now >= o->rtx_ns && o->tries < s->cfg.syn_retries) {
			old_send(s, o, 1);
			o->tries++;
			o->rtx_ns = now + (s->cfg.syn_rto_ns << o->tries);
			s->st.old_fin_retransmits++;
		}
	}
}
