/*
 * splice_int.h — private to src/splice: the connection record, the engine
 * object, the flow-key table and the packet-building helpers shared by
 * engine.c, table.c and emit.c.
 *
 * Invariants: a connection is reachable from at most two table keys
 * (client->VIP and back-end->leg source of the current leg), each tagged
 * with its direction; every such key belongs to a connection whose state is
 * not FREE. Old legs closing after a re-splice (or after their connection
 * was dropped for a reused tuple) live in their own
 * create-time pool (struct old_leg) and own their keys (DIR_OLD), so they
 * outlive both later re-splices and the connection itself; an old leg's
 * `conn` is its owner while the owner lives, UINT32_MAX after.
 */
#ifndef L7SPLICE_SPLICE_INT_H
#define L7SPLICE_SPLICE_INT_H

#include "l7splice/splice.h"

enum dir { DIR_C2S = 0, DIR_S2C = 1, DIR_OLD = 2 };

/* conn.flags */
#define CF_HEAD 0x0001         /* client bytes at >= head_seq go to the buffer */
#define CF_FIN_PENDING 0x0002  /* client FIN right after the buffered bytes */
#define CF_REQ_END 0x0004      /* req_end_seq is valid */
#define CF_ROUTE_WAIT 0x0008   /* route said WAIT: resume() re-runs it */
#define CF_RESPLICE_WAIT 0x0010 /* new back-end chosen, waiting for the client
				 * to ACK the previous response */
#define CF_C_FIN 0x0020        /* client FIN relayed; c_fin_end valid */
#define CF_S_FIN 0x0040        /* server FIN relayed; s_fin_end valid */
#define CF_LEG 0x0080          /* a server leg exists (skey in table) */
#define CF_POINTS_WAIT 0x0200  /* routed, but the live insertion points or
				* their bytes are full: hold the head until
				* earlier points retire, then route again */

struct conn {
	uint8_t state; /* enum l7_splice_state */
	uint16_t flags;
	uint32_t next_free;
	struct l7_flow_key ckey, skey;
	struct l7_splice_record rec;
	struct l7_syn_opts copts; /* what the client negotiated with us */
	uint8_t l_ws;             /* our shift toward the client (0 if off) */
	uint8_t syn_tries;
	uint16_t leg_mss;         /* segment size on the server leg */

	/* client leg, client sequence space */
	uint32_t c_isn, l_isn;
	uint32_t c_nxt;   /* highest client seq + len seen */
	uint32_t c_acked; /* highest ACK from the client */
	uint16_t c_win;   /* last raw client window */
	uint32_t l_nxt;   /* highest seq + len sent toward the client */
	uint32_t ts_from_client, ts_to_client;

	/* shallow buffer: an index into the engine's head-buffer pool, held
	 * exactly while head_len > 0 (UINT32_MAX: none) */
	uint32_t head_buf;
	uint32_t head_seq, head_len;
	uint64_t head_stream_off;
	uint32_t req_index;
	uint32_t req_end_seq;

	/* inserted bytes */
	uint8_t *arena;
	uint32_t arena_used;

	/* server leg, server sequence space */
	uint32_t leg_isn, b_isn, b_nxt, b_ts_recent;
	uint32_t b_win_bytes; /* the back-end's last receive window, in bytes */

	/* close */
	uint32_t c_fin_end; /* client space, after the FIN */
	uint32_t s_fin_end; /* client-leg space, after the server FIN */

	/* old legs still closing after re-splices: a list through
	 * old_leg.next_of_conn, so retire() can disown them */
	uint32_t old_head; /* UINT32_MAX: none */

	l7_time_ns last_ns, timer_ns;
};

/*
 * A server leg closed after a re-splice (RFC 9293 §3.6 close, played by
 * us): our FIN is retransmitted until the back-end ACKs it; the back-end's
 * FIN is ACKed (again for every retransmission); once both FINs are done
 * the entry lingers linger_ns (TIME-WAIT's job), so a retransmitted FIN
 * whose ACK was lost is ACKed, not reset. Forgotten at deadline_ns.
 */
struct old_leg {
	struct l7_flow_key key;  /* back-end -> leg source */
	uint8_t in_use;
	uint8_t fin_acked;       /* the back-end ACKed our FIN */
	uint8_t peer_fin;        /* the back-end's FIN arrived (and was ACKed) */
	uint8_t has_ts;          /* timestamps on this leg */
	uint8_t tries;           /* FIN retransmissions so far */
	uint16_t win;            /* window we announce */
	uint32_t conn;           /* owner, UINT32_MAX once it retired */
	uint32_t next_of_conn;   /* owner's list; also the free list */
	uint32_t fin_seq;        /* our FIN's sequence number */
	uint32_t rcv_nxt;        /* the back-end's next sequence number */
	uint32_t ts_val, ts_ecr; /* TS option on our segments */
	l7_time_ns rtx_ns;       /* next FIN retransmission */
	l7_time_ns deadline_ns;  /* forget it then */
};

struct slot {
	uint32_t hash;
	uint32_t val; /* conn index << 2 | dir; SLOT_EMPTY if free */
};
#define SLOT_EMPTY 0xffffffffu

struct l7_splice {
	struct l7_splice_cfg cfg;
	struct conn *conns;
	uint32_t free_head; /* UINT32_MAX when none */
	uint32_t active;
	uint8_t *bufs, *arenas;
	/* Head-buffer pool (max_heads buffers of buf_bytes): a LIFO stack of
	 * returned indices, and below it the never-used ones [head_hwm,
	 * n_heads), so only as many buffers as were ever held at once are
	 * touched (resident); the stack's entries are touched the same way. */
	uint32_t *head_free;
	uint32_t n_heads, head_free_n, head_hwm;
	struct old_leg *olds;
	uint32_t n_olds, old_free, old_hand; /* pool size, free list, eviction hand */
	uint32_t olds_in_use, olds_hwm; /* tick scans [0, olds_hwm) only when
					 * some are in use (LIFO reuse keeps
					 * the used indices low) */
	struct slot *slots;
	uint32_t slot_mask;
	uint8_t *scratch;
	size_t scratch_cap;
	struct l7_splice_stats st;
};

/* table.c */
uint32_t splice_key_hash(const struct l7_flow_key *k);
/* conn index << 2 | dir, or SLOT_EMPTY */
uint32_t splice_table_find(const struct l7_splice *s, const struct l7_flow_key *k, uint32_t h);
int splice_table_insert(struct l7_splice *s, const struct l7_flow_key *k, uint32_t val);
void splice_table_remove(struct l7_splice *s, const struct l7_flow_key *k);
const struct l7_flow_key *splice_conn_key(const struct l7_splice *s, uint32_t val);

/* xlate.c: the public xlate functions, also reporting the TSval/TSecr
 * found (before translation) so the engine needs no second option walk.
 * c2s returns 1 if a TS option was seen, 0 if not, or a negative error. */
int splice_xlate_c2s_ts(const struct l7_splice_record *r, struct l7_pkt *p,
			uint8_t *frame, uint32_t *ts_seen);
int splice_xlate_s2c_ts(struct l7_splice_record *r, struct l7_pkt *p, uint8_t *frame,
			int *retx_point, uint32_t *ts_seen, int *has_ts);

/* oldleg.c */
/* Start closing an old leg from template t (key, fin_seq, rcv_nxt, win,
 * has_ts, ts_val, ts_ecr): our FIN goes out now. */
void splice_old_open(struct l7_splice *s, uint32_t conn, const struct old_leg *t,
		     l7_time_ns now);
/* A leg that was already closing when its connection was dropped for a
 * reused tuple (engine.c): t carries fin_acked, peer_fin and rcv_nxt as
 * they stand; our FIN goes out again if unacknowledged, else an ACK of the
 * back-end's FIN if send_ack; then the usual retransmission or linger. */
void splice_old_adopt(struct l7_splice *s, uint32_t conn, const struct old_leg *t,
		      int send_ack, l7_time_ns now);
/* The connection retires: its old legs keep closing on their own. */
void splice_old_disown(struct l7_splice *s, uint32_t *old_head);
/* A new leg needs key k: drop an old leg holding it (1) or nothing (0). */
int splice_old_take_over(struct l7_splice *s, const struct l7_flow_key *k);
int splice_old_pkt(struct l7_splice *s, uint32_t idx, const struct l7_pkt *p, l7_time_ns now);
void splice_old_tick(struct l7_splice *s, l7_time_ns now);

/* emit.c */
struct seg {
	const struct l7_addr *src, *dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t flags, win;
	const uint8_t *opts;
	size_t opts_len;
	const uint8_t *data;
	size_t len;
};
int splice_emit_built(struct l7_splice *s, uint32_t conn_id, enum l7_splice_side side,
		      const struct seg *g);
void splice_emit_frame(struct l7_splice *s, uint32_t conn_id, enum l7_splice_side side,
		       const struct l7_pkt *p);
/* Options: NOP NOP TS(val, ecr); returns 12. */
size_t splice_ts_opts(uint8_t *o, uint32_t val, uint32_t ecr);
uint32_t splice_ts_now(const struct l7_splice *s, l7_time_ns now);

#endif
