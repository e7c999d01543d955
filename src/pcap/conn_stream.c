/*
 * conn_stream.c — per-direction TCP reassembly for the connection tracker:
 * turns segments in capture order into in-order bytes, each delivered once.
 *
 * Design (docs/pcap.md, "Connection rules"):
 *  - next_seq is the next byte to deliver. A segment entirely before it is a
 *    retransmission; one straddling it is trimmed; one ahead of it is copied
 *    into the out-of-order list (pool chunks, sorted, non-overlapping).
 *  - First copy wins: where a new segment overlaps bytes already buffered
 *    or (with keep_history) recently delivered, the old bytes stay and
 *    differing bytes are counted as conflicts. Recently delivered bytes are
 *    the last 2 KiB per direction, kept in a ring indexed by seq & 2047
 *    (only while the pool is at least half free, so history never starves
 *    reassembly).
 *  - A hole is skipped (gap event) when the peer ACKs past it while data
 *    after it is buffered (the capture lost it), when the per-direction cap
 *    or the pool is exhausted, and on close; a segment captured short of
 *    its length (snaplen) is delivered and its missing tail is a gap at once.
 *  - Every sequence comparison goes through seq_lt()/seq_leq(): serial
 *    number arithmetic modulo 2^32 (RFC 1982), so wraparound is free.
 *
 * Invariant (conn_internal.h): list nodes start strictly after next_seq
 * between calls; ooo_bytes is the sum of node lengths.
 */
#include <string.h>

#include "conn_internal.h"

static inline int seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline int seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? a : b;
}

static uint64_t count_diff(const uint8_t *a, const uint8_t *b, uint32_t len)
{
	uint64_t n = 0;
	if (!memcmp(a, b, len))
		return 0;
	for (uint32_t i = 0; i < len; i++)
		n += a[i] != b[i];
	return n;
}

void l7_stream_init(struct centry *e)
{
	for (int d = 0; d < 2; d++) {
		e->h[d].ooo_head = L7_NIL;
		e->h[d].hist = L7_NIL;
	}
}

/* ------------------------------------------------------------ history */

static void hist_append(struct l7_conn_tracker *t, struct l7_half *h, uint32_t seq,
			const uint8_t *data, uint32_t len)
{
	if (!t->cfg.keep_history)
		return;
	if (h->hist == L7_NIL) {
		if (t->pool.n_free * 2 <= t->pool.n)
			return;
		h->hist = l7_pool_get(&t->pool);
		h->hist_len = 0;
	}
	uint8_t *ring = l7_pool_bytes(&t->pool, h->hist);
	uint32_t total = len;
	if (len > L7_CHUNK_BYTES) {
		data += len - L7_CHUNK_BYTES;
		seq += len - L7_CHUNK_BYTES;
		len = L7_CHUNK_BYTES;
	}
	uint32_t pos = seq & (L7_CHUNK_BYTES - 1);
	uint32_t first = len < L7_CHUNK_BYTES - pos ? len : L7_CHUNK_BYTES - pos;
	memcpy(ring + pos, data, first);
	memcpy(ring, data + first, len - first);
	h->hist_len = h->hist_len + total > L7_CHUNK_BYTES ? L7_CHUNK_BYTES : h->hist_len + total;
}

/* Differing bytes between [seq, seq+len) (all before next_seq) and the
 * history ring, over the part the ring still covers. */
static uint64_t hist_conflicts(const struct l7_conn_tracker *t, const struct l7_half *h,
			       uint32_t seq, const uint8_t *data, uint32_t len)
{
	if (h->hist == L7_NIL || h->hist_len == 0 || len == 0)
		return 0;
	const uint8_t *ring = l7_pool_bytes(&t->pool, h->hist);
	uint32_t lo = h->next_seq - h->hist_len;
	uint32_t a = seq_lt(seq, lo) ? lo : seq;
	uint32_t end = seq_min(seq + len, h->next_seq);
	uint64_t n = 0;
	for (uint32_t x = a; seq_lt(x, end); x++)
		n += ring[x & (L7_CHUNK_BYTES - 1)] != data[x - seq];
	return n;
}

/* ------------------------------------------------------------ events */

static void deliver(struct l7_conn_tracker *t, struct centry *e, enum l7_conn_dir dir,
		    const uint8_t *data, uint32_t len, l7_time_ns now)
{
	struct l7_half *h = &e->h[dir];
	if (len == 0)
		return;
	hist_append(t, h, h->next_seq, data, len);
	h->next_seq += len;
	e->c.dir[dir].bytes += len;
	if (t->cfg.cb.on_data)
		t->cfg.cb.on_data(t->cfg.user, &e->c, dir, data, len, now);
}

static void gap(struct l7_conn_tracker *t, struct centry *e, enum l7_conn_dir dir,
		uint32_t len, l7_time_ns now)
{
	struct l7_half *h = &e->h[dir];
	if (len == 0)
		return;
	h->next_seq += len;
	h->hist_len = 0; /* the ring's bytes are no longer just before next_seq */
	e->c.dir[dir].gaps++;
	e->c.dir[dir].gap_bytes += len;
	if (t->cfg.cb.on_gap)
		t->cfg.cb.on_gap(t->cfg.user, &e->c, dir, len, now);
}

/* ------------------------------------------------------------ the list */

static void pop_head(struct l7_conn_tracker *t, struct l7_half *h)
{
	uint32_t i = h->ooo_head;
	h->ooo_head = t->pool.nodes[i].next;
	h->ooo_bytes -= t->pool.nodes[i].len;
	l7_pool_put(&t->pool, i);
}

/* Deliver list nodes that now touch next_seq. */
static void drain(struct l7_conn_tracker *t, struct centry *e, enum l7_conn_dir dir,
		  l7_time_ns now)
{
	struct l7_half *h = &e->h[dir];
	while (h->ooo_head != L7_NIL) {
		const struct l7_chunk *n = &t->pool.nodes[h->ooo_head];
		if (seq_lt(h->next_seq, n->seq))
			break;
		uint32_t end = n->seq + n->len;
		if (seq_lt(h->next_seq, end)) {
			uint32_t off = h->next_seq - n->seq;
			deliver(t, e, dir, l7_pool_bytes(&t->pool, h->ooo_head) + off,
				n->len - off, now);
		}
		pop_head(t, h);
	}
}

/* Skip the hole before the first buffered node, then deliver what follows. */
static void skip_first_hole(struct l7_conn_tracker *t, struct centry *e,
			    enum l7_conn_dir dir, l7_time_ns now)
{
	struct l7_half *h = &e->h[dir];
	if (h->ooo_head == L7_NIL)
		return;
	uint32_t first = t->pool.nodes[h->ooo_head].seq;
	if (seq_lt(h->next_seq, first))
		gap(t, e, dir, first - h->next_seq, now);
	drain(t, e, dir, now);
}

/*
 * The peer acknowledged past a hole of direction dir that has data buffered
 * after it: the endpoint got those bytes but the capture did not (tshark's
 * "ACKed unseen segment"), and they will not be retransmitted. Skip the
 * hole now instead of waiting for the cap or the close. Only holes with
 * buffered data after them are skipped, so an ACK captured ahead of the
 * data it acknowledges (capture reordering) loses nothing.
 */
static void skip_acked_holes(struct l7_conn_tracker *t, struct centry *e,
			     enum l7_conn_dir dir, uint32_t ack, l7_time_ns now)
{
	struct l7_half *h = &e->h[dir];
	while (h->ooo_head != L7_NIL && seq_leq(t->pool.nodes[h->ooo_head].seq, ack) &&
	       seq_lt(h->next_seq, t->pool.nodes[h->ooo_head].seq))
		skip_first_hole(t, e, dir, now);
}

/*
 * Copy [s, s+n) into the list around the nodes already there (they win;
 * differing bytes are conflicts). 0, or -1 when the cap or the pool does not
 * allow it (then a prefix may be stored: the list stays valid).
 */
static int store(struct l7_conn_tracker *t, struct centry *e, enum l7_conn_dir dir,
		 uint32_t s, const uint8_t *data, uint32_t n)
{
	struct l7_half *h = &e->h[dir];
	struct l7_chunk *nodes = t->pool.nodes;
	uint32_t end = s + n, cur = s, prev = L7_NIL, node = h->ooo_head;

	if ((uint64_t)h->ooo_bytes + n > t->cfg.ooo_max_bytes)
		return -1;
	while (seq_lt(cur, end)) {
		while (node != L7_NIL && seq_leq(nodes[node].seq + nodes[node].len, cur)) {
			prev = node;
			node = nodes[node].next;
		}
		if (node != L7_NIL && seq_leq(nodes[node].seq, cur)) {
			uint32_t ov_end = seq_min(end, nodes[node].seq + nodes[node].len);
			e->c.dir[dir].conflict_bytes +=
				count_diff(l7_pool_bytes(&t->pool, node) + (cur - nodes[node].seq),
					   data + (cur - s), ov_end - cur);
			cur = ov_end;
			continue;
		}
		uint32_t lim = node != L7_NIL ? seq_min(end, nodes[node].seq) : end;
		while (seq_lt(cur, lim)) {
			uint32_t k = l7_pool_get(&t->pool);
			if (k == L7_NIL) {
				t->counts.ooo_pool_full++;
				return -1;
			}
			uint32_t piece = lim - cur < L7_CHUNK_BYTES ? lim - cur : L7_CHUNK_BYTES;
			nodes[k].seq = cur;
			nodes[k].len = piece;
			nodes[k].next = node;
			memcpy(l7_pool_bytes(&t->pool, k), data + (cur - s), piece);
			if (prev == L7_NIL)
				h->ooo_head = k;
			else
				nodes[prev].next = k;
			prev = k;
			cur += piece;
			h->ooo_bytes += piece;
		}
	}
	return 0;
}

/*
 * Bytes that start exactly at next_seq: deliver them, except where a
 * buffered node already holds the same positions (first copy wins).
 */
static void deliver_in_order(struct l7_conn_tracker *t, struct centry *e,
			     enum l7_conn_dir dir, const uint8_t *data, uint32_t n,
			     l7_time_ns now)
{
	struct l7_half *h = &e->h[dir];
	while (n > 0) {
		if (h->ooo_head == L7_NIL) {
			deliver(t, e, dir, data, n, now);
			return;
		}
		const struct l7_chunk *nd = &t->pool.nodes[h->ooo_head];
		uint32_t before = nd->seq - h->next_seq; /* > 0 by the list invariant */
		if (before >= n) {
			deliver(t, e, dir, data, n, now);
			return;
		}
		deliver(t, e, dir, data, before, now);
		data += before;
		n -= before;
		uint32_t ov = n < nd->len ? n : nd->len;
		e->c.dir[dir].conflict_bytes +=
			count_diff(l7_pool_bytes(&t->pool, h->ooo_head), data, ov);
		deliver(t, e, dir, l7_pool_bytes(&t->pool, h->ooo_head), nd->len, now);
		pop_head(t, h);
		data += ov;
		n -= ov;
	}
}

/* One segment's payload: `n` captured bytes of `full` at sequence s. */
static void data_segment(struct l7_conn_tracker *t, struct centry *e, enum l7_conn_dir dir,
			 uint32_t s, const uint8_t *data, uint32_t n, uint32_t full,
			 l7_time_ns now)
{
	struct l7_half *h = &e->h[dir];
	struct l7_conn_dir_stats *st = &e->c.dir[dir];
	int first_try = 1;

	for (;;) {
		uint32_t end = s + n;
		if (n == 0) {
			/* nothing captured: only an in-order one tells us the gap */
			if (s == h->next_seq)
				gap(t, e, dir, full, now);
			drain(t, e, dir, now);
			return;
		}
		if (seq_leq(end, h->next_seq)) {
			st->conflict_bytes += hist_conflicts(t, h, s, data, n);
			if (first_try)
				st->retrans_segs++;
			return;
		}
		if (seq_lt(s, h->next_seq)) {
			uint32_t k = h->next_seq - s;
			st->conflict_bytes += hist_conflicts(t, h, s, data, k);
			if (first_try)
				st->overlap_segs++;
			data += k;
			n -= k;
			full -= k;
			s = h->next_seq;
		}
		if (s == h->next_seq) {
			deliver_in_order(t, e, dir, data, n, now);
			if (full > n)
				gap(t, e, dir, full - n, now);
			drain(t, e, dir, now);
			return;
		}
		if (first_try)
			st->ooo_segs++;
		first_try = 0;
		if (store(t, e, dir, s, data, n) == 0)
			return;
		/* No room: give up on the oldest hole and look again. */
		if (h->ooo_head != L7_NIL && seq_lt(t->pool.nodes[h->ooo_head].seq, s))
			skip_first_hole(t, e, dir, now);
		else
			gap(t, e, dir, s - h->next_seq, now);
	}
}

/* ------------------------------------------------------------ segments */

static void note_syn(struct centry *e, enum l7_conn_dir dir, const struct l7_pkt *p)
{
	struct l7_half *h = &e->h[dir];
	struct l7_conn_dir_stats *st = &e->c.dir[dir];
	uint32_t seq = p->tcp_seq;

	uint32_t before = e->c.flags;

	if (!(p->tcp_flags & L7_TCP_ACK) && dir == L7_CONN_C2S)
		e->c.flags |= L7_CONN_F_SYN;
	if ((p->tcp_flags & L7_TCP_ACK) && dir == L7_CONN_S2C) {
		e->c.flags |= L7_CONN_F_SYNACK;
		/* The SYN-ACK names the client's ISN (ack - 1) even when the SYN
		 * was not captured or comes later (handshake reordering). */
		struct l7_half *c = &e->h[L7_CONN_C2S];
		if (!c->isn_known && !(before & L7_CONN_F_SYN)) {
			c->isn_known = 1;
			c->isn = p->tcp_ack - 1;
		}
	}
	st->segments++;
	if (h->isn_known && h->isn == seq) {
		/* the same SYN again; a first SYN after its SYN-ACK is not */
		if (before & (dir == L7_CONN_C2S ? L7_CONN_F_SYN : L7_CONN_F_SYNACK))
			st->retrans_segs++;
		return;
	}
	/* A first SYN, or a new ISN before any byte flowed (a fresh attempt). */
	if (!h->isn_known || (st->bytes == 0 && h->ooo_head == L7_NIL)) {
		h->isn_known = 1;
		h->isn = seq;
		h->next_seq = seq + 1;
		h->base_known = 1;
	}
}

static void note_fin(struct centry *e, enum l7_conn_dir dir, uint32_t fin_seq, uint32_t full)
{
	struct l7_half *h = &e->h[dir];
	struct l7_conn_dir_stats *st = &e->c.dir[dir];

	if (full == 0) {
		if (h->fin_seen && h->fin_seq == fin_seq)
			st->retrans_segs++;
		st->segments++;
	}
	if (!h->fin_seen) {
		h->fin_seen = 1;
		h->fin_seq = fin_seq;
	}
	e->c.flags |= dir == L7_CONN_C2S ? L7_CONN_F_FIN_C : L7_CONN_F_FIN_S;
}

int l7_stream_segment(struct l7_conn_tracker *t, struct centry *e, enum l7_conn_dir dir,
		      const struct l7_pkt *p, l7_time_ns now)
{
	struct l7_half *h = &e->h[dir], *o = &e->h[!dir];
	struct l7_conn_dir_stats *st = &e->c.dir[dir];
	uint16_t f = p->tcp_flags;
	uint32_t data_seq = p->tcp_seq;
	uint32_t full = p->payload_len;
	uint32_t n = p->payload_caplen < full ? p->payload_caplen : full;

	st->packets++;
	if (f & L7_TCP_RST) {
		e->c.flags |= L7_CONN_F_RST;
		return 2;
	}
	if (f & L7_TCP_SYN) {
		note_syn(e, dir, p);
		data_seq++;
	}
	/* Picked up mid-stream: an ACK tells where the peer's bytes resume,
	 * and any segment tells where the sender's do. */
	if ((f & L7_TCP_ACK) && !o->base_known) {
		o->next_seq = p->tcp_ack;
		o->base_known = 1;
	}
	if (!h->base_known) {
		h->next_seq = data_seq;
		h->base_known = 1;
	}
	if ((f & L7_TCP_ACK) && o->ooo_head != L7_NIL)
		skip_acked_holes(t, e, (enum l7_conn_dir)!dir, p->tcp_ack, now);
	if (full > 0) {
		if (!(f & L7_TCP_SYN))
			st->segments++;
		st->payload_bytes += full;
		data_segment(t, e, dir, data_seq, l7_pkt_payload(p), n, full, now);
	}
	if (f & L7_TCP_FIN)
		note_fin(e, dir, data_seq + full, full);
	if (h->fin_seen && !h->done && seq_leq(h->fin_seq, h->next_seq))
		h->done = 1;
	return h->done && o->done ? 1 : 0;
}

void l7_stream_flush(struct l7_conn_tracker *t, struct centry *e, enum l7_conn_dir dir,
		     l7_time_ns now)
{
	struct l7_half *h = &e->h[dir];
	while (h->ooo_head != L7_NIL)
		skip_first_hole(t, e, dir, now);
	if (h->fin_seen && seq_lt(h->next_seq, h->fin_seq))
		gap(t, e, dir, h->fin_seq - h->next_seq, now);
}

void l7_stream_release(struct l7_conn_tracker *t, struct centry *e)
{
	for (int d = 0; d < 2; d++) {
		struct l7_half *h = &e->h[d];
		while (h->ooo_head != L7_NIL)
			pop_head(t, h);
		if (h->hist != L7_NIL) {
			l7_pool_put(&t->pool, h->hist);
			h->hist = L7_NIL;
		}
		h->hist_len = 0;
	}
}
