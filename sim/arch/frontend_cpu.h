/*
 * frontend_cpu.h — the front-end server's CPU as a set of FIFO servers:
 * N cores, each packet steered to a core by a symmetric hash of its
 * 4-tuple (RSS with a symmetric key, so both directions of one TCP leg
 * meet on one core), a per-core queue limit, and run-to-completion
 * service whose time is the sum of the costs the architecture charges
 * while it handles the packet.
 *
 * How a packet is served: when its core becomes free at time s, the
 * architecture's `process` callback runs at s (the library's parser,
 * router, TCP state all act then) and calls l7sim_fe_cpu_charge() for the
 * work it did; packets it emits through l7sim_fe_cpu_emit() are held and
 * leave when the service ends, at s + the charged time. The core then takes
 * the next packet. Packets emitted outside any service (a retransmission or
 * delayed-ACK timer) leave at once and cost nothing: timer work is not
 * charged (docs/models.md).
 *
 * Every packet costs relay_pkt_ns on the way in plus relay_byte_ns per
 * payload byte (the copy in and out of the proxy), and relay_pkt_ns per
 * packet emitted; the rest (parse + route, setup, teardown) is charged by
 * the architecture.
 *
 * Invariants: deterministic (the RSS hash is seeded from the run seed, no
 * clock); no allocation after init; a packet refused because its core's
 * queue is full is freed and counted in `queue_drops`.
 */
#ifndef L7SIM_ARCH_FRONTEND_CPU_H
#define L7SIM_ARCH_FRONTEND_CPU_H

#include <stdint.h>

#include "l7splice/packet.h"
#include "engine/engine.h"
#include "net/node.h"
#include "net/pktbuf.h"
#include "report/series.h"

/* Engine event types 48..63 belong to sim/arch (node.h lists the others). */
#define L7SIM_EV_ARCH_FIRST 48
#define L7SIM_EV_FE_CORE_DONE 48   /* obj = struct l7sim_fe_core */
#define L7SIM_EV_ARCH_LAST 63

#define L7SIM_FE_MAX_OUTS 65536

struct l7sim_fe_cpu;

/* Handle one packet (parsed view v of p->data); takes p. */
typedef void (*l7sim_fe_process_fn)(void *ctx, struct l7sim_pkt *p, const struct l7_pkt *v);

struct l7sim_fe_cpu_config {
	uint32_t cores;
	uint32_t queue_packets;     /* per core, the one in service excluded */
	uint64_t relay_pkt_ns;
	double relay_byte_ns;
	uint32_t linktype;
	uint64_t seed;              /* RSS hash key */
};

struct l7sim_fe_core {
	struct l7sim_fe_cpu *cpu;
	struct l7sim_pkt *q_head, *q_tail;  /* waiting, FIFO */
	struct l7sim_pkt *held_head, *held_tail; /* emitted by the current service */
	uint32_t qlen;
	uint32_t busy;
	uint64_t busy_ns;
	uint64_t served;
	uint64_t queue_drops;
	uint64_t qlen_peak;
};

struct l7sim_fe_cpu_stats {
	uint64_t packets_in, packets_out, bytes_in;
	uint64_t queue_drops, parse_drops;
	uint64_t busy_ns;           /* summed over cores */
	uint64_t services;          /* services begun */
	uint64_t unscheduled;       /* services ended at once: no event slot */
	l7_time_ns first_start_ns;  /* first service began */
	l7_time_ns last_end_ns;     /* latest service end */
};

/* A remembered flow -> core choice (a pure function of the flow key and
 * the seed, so remembering it changes nothing but the time to get it). */
struct l7sim_fe_rss_memo {
	struct l7_flow_key key;     /* canonical */
	uint8_t valid;
	uint16_t core;
};
#define L7SIM_FE_RSS_MEMO 1024      /* entries, direct-mapped */

struct l7sim_fe_cpu {
	struct l7sim_node in;       /* first: frames for the front-end */
	struct l7sim_engine *eng;
	struct l7sim_pktpool *pool;
	struct l7sim_fe_cpu_config cfg;
	struct l7sim_fe_core *core;
	struct l7sim_fe_core *cur;  /* core in service right now, or NULL */
	uint64_t charge_ns;         /* charged to the current service */
	struct l7sim_node **outs;   /* emit destinations */
	uint32_t n_outs, cap_outs;
	l7sim_fe_process_fn process;
	void *ctx;
	/* optional: busy time per bin (series column), -1 = none */
	struct l7sim_series *series;
	int series_col;
	struct l7sim_fe_cpu_stats st;
	struct l7sim_fe_rss_memo *memo; /* L7SIM_FE_RSS_MEMO entries, cores > 1 */
};

/* Register the core-done handler (once per engine). */
int l7sim_fe_cpu_register(struct l7sim_engine *e);

int l7sim_fe_cpu_init(struct l7sim_fe_cpu *cpu, const struct l7sim_fe_cpu_config *cfg,
		      struct l7sim_engine *eng, struct l7sim_pktpool *pool, uint32_t max_outs,
		      l7sim_fe_process_fn process, void *ctx);
void l7sim_fe_cpu_fini(struct l7sim_fe_cpu *cpu);

/* Add a destination for emitted packets: its index, or L7_EFULL. */
int l7sim_fe_cpu_add_out(struct l7sim_fe_cpu *cpu, struct l7sim_node *dst);

/* Charge ns of CPU to the packet in service (no-op outside a service). */
void l7sim_fe_cpu_charge(struct l7sim_fe_cpu *cpu, uint64_t ns);

/* Send p to destination `out`: held until the current service ends, or
 * at once when called outside a service. */
void l7sim_fe_cpu_emit(struct l7sim_fe_cpu *cpu, uint32_t out, struct l7sim_pkt *p);

/* The core a parsed packet goes to. */
uint32_t l7sim_fe_cpu_core_of(const struct l7sim_fe_cpu *cpu, const struct l7_pkt *v);

/*
 * Front-end CPU utilisation, the one definition every architecture reports
 * (summary frontend_cpu_util): busy ns / (cores x active span), the span
 * running from the first service's start to the last service's end over
 * every front-end counted. Each core serves one packet at a time inside
 * that span, so the value is <= 1 by construction; connection setup and
 * teardown work is inside the span (the summary's duration, first request
 * to last response, would leave teardown out and let the ratio exceed 1).
 * A front-end that served nothing adds its cores and no span. 0 when no
 * service ran.
 */
struct l7sim_fe_util {
	uint64_t busy_ns;
	uint64_t cores;
	l7_time_ns first_start_ns, last_end_ns;
	int any;
};
/* Start with a zeroed struct; add each front-end once. */
void l7sim_fe_util_add(struct l7sim_fe_util *u, const struct l7sim_fe_cpu *cpu);
double l7sim_fe_util_value(const struct l7sim_fe_util *u);
/* One front-end: l7sim_fe_util_add() + _value() on it alone. */
double l7sim_fe_cpu_util_active(const struct l7sim_fe_cpu *cpu);

#endif
