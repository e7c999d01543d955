/*
 * splice_int.h — private to src/splice: the connection record, the engine
 * object, the flow-key table and the packet-building helpers shared by
 * engine.c, table.c and emit.c.
 *
 * Invariants: a connection is reachable from at most three table keys
 * (client->VIP, back-end->leg source of the current leg, and of a closing
 * old leg), each tagged with its direction; every key in the table belongs
 * to a connection whose state is not FREE.
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
#define CF_OLD 0x0100          /* an old leg is closing (okey in table) */
#define CF_POINTS_WAIT 0x0200  /* routed, but the live insertion points or
				* their bytes are full: hold the head until
				* earlier points retire, then route again */

struct conn {
	uint8_t state; /* enum l7_splice_state */
	uint16_t flags;
	uint32_t next_free;
	struct l7_flow_key ckey, skey, okey;
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

	/* shallow buffer */
	uint8_t *buf;
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

	/* old leg being closed after a re-splice */
	uint32_t old_seq, old_ack;
	l7_time_ns old_deadline_ns;

	l7_time_ns last_ns, timer_ns;
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
