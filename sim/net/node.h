/*
 * node.h — the one interface every simulated network element implements:
 * "take this packet at this time". Links, hosts (client and server models),
 * and later switches, front-ends and agents are all nodes, so any of them
 * can sit at the end of a link.
 *
 * Ownership: rx() takes the packet; the node must forward it (to a link's
 * input node, which takes it) or free it to the pool it came from.
 *
 * Engine event types (engine.h allows 256): 16..31 belong to sim/net,
 * 32..47 to sim/models. Other owners should pick outside these ranges.
 */
#ifndef L7SIM_NET_NODE_H
#define L7SIM_NET_NODE_H

#include "l7splice/common.h"
#include "net/pktbuf.h"

#define L7SIM_EV_NET_FIRST 16
#define L7SIM_EV_LINK_DELIVER 16   /* obj = pkt, arg = (uintptr_t)link */
#define L7SIM_EV_NET_LAST 31
#define L7SIM_EV_MODELS_FIRST 32
#define L7SIM_EV_MODELS_LAST 47

struct l7sim_node;
typedef void (*l7sim_node_rx_fn)(struct l7sim_node *self, struct l7sim_pkt *p,
				 l7_time_ns now_ns);

struct l7sim_node {
	l7sim_node_rx_fn rx;
};

static inline void l7sim_node_send(struct l7sim_node *n, struct l7sim_pkt *p,
				   l7_time_ns now_ns)
{
	n->rx(n, p, now_ns);
}

#endif
