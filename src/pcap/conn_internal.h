/*
 * conn_internal.h — private structures shared by conn.c (the table) and
 * conn_stream.c (per-direction reassembly) and chunk_pool.c.
 *
 * Invariants: a half's out-of-order list is sorted by sequence number,
 * its nodes do not overlap, and every node starts strictly after next_seq
 * (anything at or before next_seq has been delivered or dropped).
 */
#ifndef L7_PCAP_CONN_INTERNAL_H
#define L7_PCAP_CONN_INTERNAL_H

#include <stdint.h>

#include "l7splice/conn.h"

#define L7_NIL UINT32_MAX

/* Chunks of the shared buffer pool: a power of two so that a history ring
 * can index by seq & (CHUNK - 1); 2 KiB holds one full-MSS segment. */
#define L7_CHUNK_BYTES 2048u

struct l7_chunk {
	uint32_t seq;  /* first sequence number held */
	uint32_t len;  /* bytes held, <= L7_CHUNK_BYTES */
	uint32_t next; /* next node of the list, or L7_NIL */
};

/* A free list of fixed chunks carved from one allocation. */
struct l7_pool {
	struct l7_chunk *nodes;
	uint8_t *data;      /* n * L7_CHUNK_BYTES */
	uint32_t n;
	uint32_t n_free;
	uint32_t free_head;
};

int l7_pool_init(struct l7_pool *pl, uint32_t bytes);
void l7_pool_fini(struct l7_pool *pl);
uint32_t l7_pool_get(struct l7_pool *pl); /* L7_NIL when empty */
void l7_pool_put(struct l7_pool *pl, uint32_t i);
static inline uint8_t *l7_pool_bytes(const struct l7_pool *pl, uint32_t i)
{
	return pl->data + (size_t)i * L7_CHUNK_BYTES;
}

/* One direction's reassembly state. */
struct l7_half {
	uint32_t next_seq;  /* next sequence number to deliver */
	uint32_t fin_seq;   /* sequence number of the FIN, if fin_seen */
	uint32_t isn;       /* the SYN's sequence number, if isn_known */
	uint32_t ooo_head;  /* sorted out-of-order list, or L7_NIL */
	uint32_t ooo_bytes; /* bytes held in that list */
	uint32_t hist;      /* chunk of the history ring, or L7_NIL */
	uint32_t hist_len;  /* history covers [next_seq - hist_len, next_seq) */
	uint8_t base_known; /* next_seq is meaningful */
	uint8_t isn_known;
	uint8_t fin_seen;
	uint8_t done;       /* the FIN was reached in order */
};

struct centry {
	struct l7_conn c;         /* the consumer's view */
	struct l7_half h[2];      /* by enum l7_conn_dir */
	struct l7_flow_key canon; /* lookup key (l7_flow_key_canon order) */
	uint32_t hnext;           /* hash chain, or free list when !in_use */
	uint32_t lprev, lnext;    /* open or closed LRU list */
	uint32_t bucket;
	uint8_t in_use;
	uint8_t closed;
	uint8_t client_is_first; /* the client is canon's src endpoint */
};

struct lru {
	uint32_t head, tail; /* head = least recently used */
};

struct l7_conn_tracker {
	struct l7_conn_config cfg;
	struct l7_conn_counts counts;
	struct centry *ents;
	uint32_t *buckets;
	uint32_t bucket_mask;
	uint32_t free_head;
	struct lru open_lru, closed_lru;
	struct l7_pool pool;
	uint64_t next_id;
};

/* conn_stream.c */
void l7_stream_init(struct centry *e);
/* Account one TCP packet of direction dir: returns 0, 1 when both FINs
 * have now been reached in order, 2 on a RST. */
int l7_stream_segment(struct l7_conn_tracker *t, struct centry *e, enum l7_conn_dir dir,
		      const struct l7_pkt *p, l7_time_ns now);
/* Deliver everything buffered in dir, holes as gaps (before a close). */
void l7_stream_flush(struct l7_conn_tracker *t, struct centry *e, enum l7_conn_dir dir,
		     l7_time_ns now);
/* Return every chunk of the connection to the pool. */
void l7_stream_release(struct l7_conn_tracker *t, struct centry *e);

#endif
