/*
 * server.h — the back-end server model: a host with a TCP endpoint per
 * connection (sim/net/tcpep.h), a pool of `workers` that serve requests one
 * at a time each, and responses taken from the workload.
 *
 * Behaviour: a connection is matched to its workload connection by the
 * packet metadata conn_id (simulation bookkeeping that survives tuple
 * rewriting by load balancers: low 32 bits = workload index + 1). The
 * server frames requests by the workload's byte counts (it does not parse
 * HTTP: that is the front-end's job, done by the library there); when
 * request k is complete and a worker is free, the worker is busy for
 * service_fixed_ns + service_ns_per_kib * response KiB, then the response
 * bytes are written. Requests wait FIFO (per connection, connections in
 * arrival order) when all workers are busy. Greeting bytes (server speaks
 * first) are written at once on establishment. The server closes after its
 * last response when the capture's server closed first, otherwise when the
 * client's FIN has come and every response is written.
 *
 * Memory per connection: sizeof(struct l7sim_srv_conn) (tcpep + ~40 B).
 */
#ifndef L7SIM_MODELS_SERVER_H
#define L7SIM_MODELS_SERVER_H

#include <stdint.h>

#include "engine/engine.h"
#include "engine/pool.h"
#include "models/workload.h"
#include "net/node.h"
#include "net/tcpep.h"

#define L7SIM_EV_SRV_DONE 32       /* obj = struct l7sim_srv_conn */

struct l7sim_server_config {
	const char *name;             /* RNG stream name ["server"] */
	uint64_t seed;
	uint32_t max_conns;           /* concurrent connections [4096] */
	uint32_t workers;             /* requests in service at once [8] */
	uint64_t service_fixed_ns;    /* per request [20 us] */
	uint64_t service_ns_per_kib;  /* per KiB of response [0] */
};

struct l7sim_server_stats {
	uint64_t accepted, refused, rst_sent;
	uint64_t unknown_conn;        /* conn_id not in the workload */
	uint64_t requests, resp_bytes;
	uint64_t queued, queue_peak;
	uint64_t busy_ns;             /* summed over workers */
	uint64_t closed;
};

struct l7sim_server;

struct l7sim_srv_conn {
	struct l7sim_tcpep ep;        /* first: the endpoint's callbacks cast back */
	struct l7sim_server *srv;
	struct l7sim_srv_conn *qnext;
	uint32_t wconn;               /* workload index, UINT32_MAX if unknown */
	uint32_t complete;            /* requests fully received */
	uint32_t served;              /* responses written */
	uint64_t rx_bytes, written;
	uint8_t in_service, queued, peer_fin, dead;
};

struct l7sim_server {
	struct l7sim_node node;       /* first: frames for the server arrive here */
	struct l7sim_engine *eng;
	const struct l7sim_workload *wl;
	struct l7sim_server_config cfg;
	struct l7sim_tcp_env env;
	struct l7sim_tcp_demux demux;
	struct l7sim_pool conns;
	struct l7sim_srv_conn *q_head, *q_tail;
	uint32_t busy, qlen;
	struct l7sim_server_stats st;
};

void l7sim_server_config_defaults(struct l7sim_server_config *c);

/* Register the models' event types (once per engine). */
int l7sim_models_register(struct l7sim_engine *e);

/* Segments leave through `out`; tcp configures the endpoints. */
int l7sim_server_init(struct l7sim_server *s, const struct l7sim_server_config *cfg,
		      struct l7sim_engine *eng, struct l7sim_pktpool *pool,
		      const struct l7sim_tcp_cfg *tcp, struct l7sim_node *out,
		      const struct l7sim_workload *wl);
void l7sim_server_fini(struct l7sim_server *s);

#endif
