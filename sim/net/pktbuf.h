/*
 * pktbuf.h — the simulator's packet buffers: a fixed pool of frames, each a
 * real Ethernet/IP/TCP frame (built with the packet layer) plus the
 * simulation-only metadata that travels with it.
 *
 * Why a pool: ARCHITECTURE.md §2 forbids malloc on the per-packet path; a
 * run sizes the pool up front and running out is a counted drop
 * (alloc_fail), exactly like a NIC ring overflowing.
 *
 * Invariants: a pktbuf has exactly one owner at a time (a link in flight, a
 * node, an endpoint's out-of-order queue); whoever holds it last frees it.
 * `data` holds `len` bytes of frame; metadata never changes frame bytes.
 */
#ifndef L7SIM_NET_PKTBUF_H
#define L7SIM_NET_PKTBUF_H

#include <stdint.h>

#include "l7splice/common.h"
#include "engine/pool.h"

/* Frame capacity: Ethernet + IPv6 + TCP with 40 option bytes + a 1500-byte
 * MTU payload fits with room to spare (14 + 40 + 60 + 1500 = 1614). */
#define L7SIM_PKT_DATA_BYTES 2048

struct l7sim_pkt {
	struct l7sim_pkt *next;   /* free for the current owner's lists */
	l7_time_ns created_ns;    /* when the frame was first built */
	uint64_t conn_id;         /* workload connection id (simulation
				   * metadata: lets a server find the trace
				   * connection behind a rewritten tuple) */
	uint32_t len;             /* frame bytes in data */
	uint16_t hops;            /* links crossed so far */
	uint16_t last_link;       /* id of the last link crossed */
	uint32_t aux;             /* owner scratch (e.g. payload length held) */
	uint32_t aux_seq;         /* owner scratch (e.g. first sequence number) */
	uint32_t first_req;       /* model plumbing, not protocol: on a SYN
				   * toward a back-end, the index (in the
				   * client's original stream) of the first
				   * request this leg carries; 0 for a leg
				   * opened at connection start. Front-ends
				   * that re-splice set it; servers read it. */
	uint8_t data[L7SIM_PKT_DATA_BYTES];
};

struct l7sim_pktpool {
	struct l7sim_pool pool;
	uint64_t allocs;
	uint64_t frees;
	uint64_t alloc_fail;      /* get() found the pool empty: a drop */
	/* Counted by link.c here, so every link of a run adds to one total: */
	uint64_t emitted;         /* frames offered to their first link (hops
				   * 0): what nodes put into the network, each
				   * once however many hops it then crosses */
	uint64_t deliveries;      /* frames links handed to their destination
				   * (link hops) */
};

/* Allocate `capacity` buffers (about 2.1 KB each). L7_EINVAL, L7_ENOMEM. */
int l7sim_pktpool_init(struct l7sim_pktpool *pp, uint32_t capacity);
void l7sim_pktpool_fini(struct l7sim_pktpool *pp);

/* A buffer with len 0, hops 0 and the given metadata, or NULL (counted). */
struct l7sim_pkt *l7sim_pkt_alloc(struct l7sim_pktpool *pp, l7_time_ns now_ns,
				  uint64_t conn_id);
void l7sim_pkt_free(struct l7sim_pktpool *pp, struct l7sim_pkt *p);
/* A copy of p (frame and metadata), or NULL (counted). */
struct l7sim_pkt *l7sim_pkt_clone(struct l7sim_pktpool *pp, const struct l7sim_pkt *p);

static inline uint32_t l7sim_pktpool_in_use(const struct l7sim_pktpool *pp)
{
	return pp->pool.in_use;
}

#endif
