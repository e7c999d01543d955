/*
 * link.h — a unidirectional link: a FIFO transmit queue with a byte limit in
 * front of a serialiser of `bandwidth_bps`, then `prop_delay_ns` of wire,
 * delivering to a destination node. Optional seeded impairments (loss,
 * duplication, reordering) stand in for tc netem, which this machine lacks.
 *
 * Timing (exact, in integer ns): a frame offered at time t starts
 * serialising at s = max(t, end of the previous frame) and ends at
 * e = s + ser, where ser = floor((8 * len * 1e9 + carry) / bandwidth) and
 * the remainder is carried to the next back-to-back frame (reset when the
 * link goes idle), so k back-to-back frames end exactly floor(8 * bytes *
 * 1e9 / bandwidth) ns after the first started. It is delivered at e +
 * prop_delay_ns (+ reorder_delay_ns for a frame picked for reordering).
 * bandwidth_bps 0 means infinitely fast (ser = 0, no queue).
 *
 * Queue: the frames waiting to start (the one on the wire does not count)
 * may hold at most queue_limit_bytes; a frame that would exceed it is
 * tail-dropped and counted. 0 means unlimited.
 *
 * Impairments, each drawn from the link's own RNG stream (seed, name) in
 * this order at the moment a frame is offered: drop_fn (a deterministic
 * test hook), loss (dropped before the queue, like netem), duplication (a
 * copy is queued right after the frame), reordering (the frame is held
 * back by reorder_delay_ns after its serialisation, so later frames
 * overtake it).
 *
 * Taps see every frame at ENQUEUE (as offered, before any drop: what a
 * capture on the sender's interface sees) or at DELIVER (what the receiver
 * gets). Both happen at the current simulated time, so a tap's timestamps
 * never go backwards and several taps may share one pcap writer.
 */
#ifndef L7SIM_NET_LINK_H
#define L7SIM_NET_LINK_H

#include <stdint.h>

#include "l7splice/common.h"
#include "l7splice/pcap.h"
#include "engine/engine.h"
#include "engine/rng.h"
#include "net/node.h"
#include "net/pktbuf.h"

enum l7sim_tap_point {
	L7SIM_TAP_ENQUEUE = 0,
	L7SIM_TAP_DELIVER = 1,
};

typedef void (*l7sim_tap_fn)(void *ctx, l7_time_ns ts_ns, const struct l7sim_pkt *p);
/* Return 1 to drop this frame (counted as loss). */
typedef int (*l7sim_drop_fn)(void *ctx, const struct l7sim_pkt *p, l7_time_ns now_ns);

#define L7SIM_LINK_MAX_TAPS 2

struct l7sim_link_config {
	const char *name;            /* names the RNG stream; may be NULL */
	uint16_t id;                 /* stamped into pkt->last_link */
	uint64_t bandwidth_bps;      /* bit/s; 0 = infinite */
	uint64_t prop_delay_ns;
	uint64_t queue_limit_bytes;  /* 0 = unlimited */
	double loss_prob;            /* 0..1 */
	double dup_prob;             /* 0..1 */
	double reorder_prob;         /* 0..1 */
	uint64_t reorder_delay_ns;   /* extra delay of a reordered frame */
	uint64_t seed;               /* run seed for the impairment stream */
};

struct l7sim_link_stats {
	uint64_t offered;            /* frames offered to the link */
	uint64_t offered_bytes;
	uint64_t sent;               /* frames serialised */
	uint64_t sent_bytes;
	uint64_t delivered;
	uint64_t queue_drops;        /* tail drops */
	uint64_t queue_drop_bytes;
	uint64_t loss_drops;         /* loss_prob and drop_fn */
	uint64_t dups;               /* copies made */
	uint64_t dup_fail;           /* copy wanted, pool empty */
	uint64_t reordered;
	uint64_t backlog_peak_bytes;
	uint64_t busy_ns;            /* total serialisation time */
	uint64_t deliver_fail;       /* delivery event could not be scheduled */
};

struct l7sim_link_wait {
	l7_time_ns start_ns;
	uint32_t len;
};

struct l7sim_link {
	struct l7sim_node in;        /* first member: send frames here */
	struct l7sim_engine *eng;
	struct l7sim_pktpool *pool;
	struct l7sim_node *dst;
	struct l7sim_link_config cfg;
	struct l7sim_rng rng;
	l7_time_ns busy_until_ns;    /* end of the last frame's serialisation */
	uint64_t carry;              /* serialisation remainder (bit-ns) */
	struct l7sim_link_wait *wait; /* ring of frames not yet started */
	uint32_t wait_cap, wait_head, wait_n;
	uint64_t backlog_bytes;
	uint32_t n_taps;
	struct {
		l7sim_tap_fn fn;
		void *ctx;
		enum l7sim_tap_point at;
	} tap[L7SIM_LINK_MAX_TAPS];
	l7sim_drop_fn drop_fn;
	void *drop_ctx;
	struct l7sim_link_stats st;
};

/* Register the handlers of sim/net's event types with the engine (once
 * per engine, before any link is used). */
int l7sim_net_register(struct l7sim_engine *e);

/* The waiting-frame ring is sized from queue_limit_bytes (one entry per 54
 * bytes, the smallest TCP/IPv4/Ethernet frame). L7_EINVAL, L7_ENOMEM. */
int l7sim_link_init(struct l7sim_link *l, const struct l7sim_link_config *cfg,
		    struct l7sim_engine *eng, struct l7sim_pktpool *pool,
		    struct l7sim_node *dst);
void l7sim_link_fini(struct l7sim_link *l);

/* Offer a frame at the engine's current time (the link takes it). */
void l7sim_link_send(struct l7sim_link *l, struct l7sim_pkt *p);

/* Serialisation of len bytes on an idle link (no carry), in ns. */
uint64_t l7sim_link_ser_ns(const struct l7sim_link *l, uint32_t len);

/* L7_EFULL beyond L7SIM_LINK_MAX_TAPS. */
int l7sim_link_add_tap(struct l7sim_link *l, enum l7sim_tap_point at, l7sim_tap_fn fn,
		       void *ctx);
void l7sim_link_set_drop_fn(struct l7sim_link *l, l7sim_drop_fn fn, void *ctx);

/*
 * A tap that writes frames to a nanosecond pcap file through the pcap
 * module's writer; write errors are counted (the first one is kept in the
 * writer's error text).
 */
struct l7sim_pcap_tap {
	struct l7_pcap_writer w;
	uint64_t frames;
	uint64_t errors;
};

int l7sim_pcap_tap_open(struct l7sim_pcap_tap *t, const char *path, uint32_t linktype);
void l7sim_pcap_tap_write(void *ctx, l7_time_ns ts_ns, const struct l7sim_pkt *p);
/* 0, or L7_EIO if any write failed. */
int l7sim_pcap_tap_close(struct l7sim_pcap_tap *t);

#endif
