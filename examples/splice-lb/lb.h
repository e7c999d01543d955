/*
 * lb.h — shared state of splice-lb, a user-space L7 load balancer built only
 * on libl7splice's public API (docs/e2e.md, README "Examples").
 *
 * main.c owns the process side (options, the TUN device, the poll loop,
 * injected loss/duplication/reordering, the pcap, statistics); balance.c owns
 * the per-connection L7 side (HTTP parse, route, X-Forwarded-For, SNAT
 * ports, response tracking so a keep-alive connection is re-spliced only
 * once the previous response is complete).
 *
 * Invariant: the engine is never re-entered from its own callbacks; work a
 * callback discovers (a connection to resume) is queued and done by the loop
 * after l7_splice_input()/l7_splice_tick() return.
 */
#ifndef SPLICE_LB_H
#define SPLICE_LB_H

#include <stdint.h>

#include <l7splice.h>

struct lb_conn; /* balance.c */

struct lb {
	/* configuration */
	struct l7_addr vip;
	uint16_t vip_port;
	struct l7_addr snat;       /* server-leg source address */
	uint32_t max_conns;
	struct l7_router *router;
	uint64_t seed;
	/* engine */
	struct l7_splice *eng;
	/* per engine connection id */
	struct lb_conn *conns;
	/* SNAT ports: owner connection id + 1 of each port's current leg */
	uint32_t *port_owner;
	uint32_t next_port;
	uint32_t port_lo, port_hi; /* SNAT port range */
	l7_time_ns *port_used_ns;  /* when each port last started a leg */
	l7_time_ns now_ns;         /* time of the packet being processed */
	/* deferred l7_splice_resume() calls */
	uint32_t *resume_q;
	uint32_t n_resume;
	/* the client packet being fed (the route callback reads its ACK) */
	int cur_valid;
	struct l7_flow_key cur_key;
	uint32_t cur_ack;
	struct l7_route_rng rng;
	/* counters */
	uint64_t requests, responses, bad_requests, no_route, no_endpoint;
	uint64_t waits, resumes, track_fallbacks, ports_exhausted, ports_reused_early;
};

int lb_init(struct lb *lb);
void lb_fini(struct lb *lb);
/* The engine's route callback. */
enum l7_splice_verdict lb_route(void *user, const struct l7_splice_head *h,
				struct l7_splice_route *r);
/* Look at a packet going to the client (response tracking). */
void lb_saw_to_client(struct lb *lb, uint32_t conn_id, const uint8_t *frame,
		      uint32_t len);
/* Release state of connections the engine has retired; returns how many
 * connections still hold balancer state. */
uint32_t lb_sweep(struct lb *lb);
/* Run the queued resumes. */
void lb_run_resumes(struct lb *lb, l7_time_ns now);

#endif
