/*
 * server.h — the back-end server model: a host with a TCP endpoint per
 * connection (sim/net/tcpep.h), a pool of `workers` that serve requests one
 * at a time each, and responses taken from the workload.
 *
 * Behaviour: a connection is matched to its workload connection by the
 * packet metadata conn_id (simulation bookkeeping that survives tuple
 * rewriting by load balancers: low 32 bits = workload index + 1). The
 * leg's SYN also carries pkt->first_req (model plumbing, not protocol):
 * the index in the client's original stream of the first request this leg
 * carries, so a leg a front-end opened mid-connection (a re-splice) is
 * served the responses of the requests it actually gets. The server frames
 * requests with the library's HTTP parser (request head, then the body by
 * its framing), never by byte counts, so bytes a load balancer inserted
 * (X-Forwarded-For) or removed do not change which response is served:
 * the n-th complete request on a leg is request first_req + n of the
 * workload connection. Connections the workload did not cut with the HTTP
 * parser (L7SIM_WL_HTTP_FRAMED unset), and requests the parser rejects or
 * whose head outgrows the head buffers (counted in `unframed`), are
 * framed by the workload's byte counts from there on instead.
 * When request k is complete and a worker is free, the worker is busy for
 * service_fixed_ns + service_ns_per_kib * response KiB, then the response
 * bytes are written. Requests wait FIFO (per connection, connections in
 * arrival order) when all workers are busy. Greeting bytes (server speaks
 * first) are written at once on establishment of a leg starting at
 * request 0. The server closes after its last response when the capture's
 * server closed first, otherwise when the client's FIN has come and every
 * request received has been answered.
 *
 * Back-end side of the replay oracle (ARCHITECTURE.md §5): every byte a
 * leg receives is compared with the captured client stream of its
 * workload connection, from the offset of the leg's first request on.
 * The received stream must be the captured one with only these
 * insertions (what l7_http_rewrite_xff() produces; the only rewrite an
 * architecture makes today), each starting where the two streams first
 * differ: a whole line "X-Forwarded-For: ADDR\r\n" where a line starts in
 * both streams, or ", ADDR" (ADDR alone after an empty value) at the end of
 * a captured X-Forwarded-For value, where ADDR is the text of the leg's
 * peer address (transparent legs) or of the captured client's address.
 * The comparison does not use the server's request framing, so legs
 * framed by byte counts are checked the same way. The server learns
 * nothing from the load balancer: the expectation is the capture and the
 * rule above. Results go to st.oracle; l7sim_server_oracle_sum() adds up
 * every live server of an engine (the run's counters).
 *
 * Memory per connection: sizeof(struct l7sim_srv_conn) (tcpep + ~160 B);
 * plus, per server, L7SIM_SRV_HEAD_BUFS buffers of L7SIM_SRV_HEAD_BYTES for
 * request heads that span segments (taken while such a head arrives) and
 * one L7SIM_SRV_HEAD_BYTES scratch buffer for the oracle's captured bytes.
 */
#ifndef L7SIM_MODELS_SERVER_H
#define L7SIM_MODELS_SERVER_H

#include <stdint.h>

#include "l7splice/http.h"
#include "l7splice/route.h"
#include "engine/engine.h"
#include "engine/pool.h"
#include "models/workload.h"
#include "net/node.h"
#include "net/tcpep.h"

#define L7SIM_EV_SRV_DONE 32       /* obj = struct l7sim_srv_conn */

#define L7SIM_SRV_HEAD_BYTES 16384u /* longest request head parsed */
#define L7SIM_SRV_HEAD_BUFS 128u    /* heads arriving in pieces at once, max */

struct l7sim_server_config {
	const char *name;             /* RNG stream name ["server"] */
	uint64_t seed;
	uint32_t max_conns;           /* concurrent connections [4096] */
	uint32_t workers;             /* requests in service at once [8] */
	uint64_t service_fixed_ns;    /* per request [20 us] */
	uint64_t service_ns_per_kib;  /* per KiB of response [0] */
};

/* The back-end side of the replay oracle (above), per server or summed. */
struct l7sim_server_oracle {
	uint64_t legs_checked;        /* legs of a known workload connection */
	uint64_t legs_unchecked;      /* legs of an unknown conn_id: nothing to
				       * compare with */
	uint64_t legs_mismatch;       /* checked legs with >= 1 bad byte */
	uint64_t legs_whole;          /* closed having received up to the end
				       * of the captured client stream */
	uint64_t legs_cut;            /* closed inside a request (not at a
				       * request boundary nor the end) */
	uint64_t checked_bytes;       /* received bytes compared with the capture */
	uint64_t mismatch_bytes;      /* ... that differ (or are unexplained) */
	uint64_t inserted_bytes;      /* received bytes accepted as insertions */
	uint64_t unchecked_bytes;     /* bytes of unchecked legs */
	/* Per workload connection (l7sim_server_oracle_sum only; with
	 * --clients xN a connection counts once, whole if any instance was): */
	uint64_t conns_whole;         /* some leg received up to the end of
				       * its captured client stream */
	uint64_t conns_no_head;       /* not whole, and the captured client
				       * stream never completes a request head
				       * (an L7 balancer cannot route it) */
	uint64_t conns_not_http;      /* not whole, and the library's parser
				       * rejects its first request head */
	uint64_t conns_no_route;      /* not whole, and the run's router has
				       * no route for its first request */
	uint64_t conns_empty;         /* no client bytes in the capture */
	uint64_t conns_lost;          /* not whole for none of these reasons:
				       * bytes a back-end should have had */
};

struct l7sim_server_stats {
	uint64_t accepted, refused, rst_sent;
	uint64_t unknown_conn;        /* conn_id not in the workload */
	uint64_t requests, resp_bytes;
	uint64_t rx_bytes;            /* request-stream bytes received */
	uint64_t heads_parsed;        /* request heads framed by the parser */
	uint64_t heads_xff;           /* ... of which carry X-Forwarded-For */
	uint64_t unframed;            /* fell back to byte counts (see above) */
	uint64_t head_buf_full;       /* ... of which: no head buffer free */
	uint64_t late_legs;           /* legs starting after request 0 */
	uint64_t bytecount_legs;      /* legs of connections the workload did
				       * not cut with the HTTP parser */
	uint64_t queued, queue_peak;
	uint64_t busy_ns;             /* summed over workers */
	uint64_t closed;
	struct l7sim_server_oracle oracle;
};

struct l7sim_server;

struct l7sim_srv_conn {
	struct l7sim_tcpep ep;        /* first: the endpoint's callbacks cast back */
	struct l7sim_server *srv;
	struct l7sim_srv_conn *qnext;
	uint32_t wconn;               /* workload index, UINT32_MAX if unknown */
	uint32_t first;               /* workload index of the leg's first request */
	uint32_t complete;            /* requests fully received (workload index) */
	uint32_t served;              /* responses written (workload index) */
	uint64_t rx_bytes, written;   /* leg bytes */
	uint64_t s2c_base;            /* s2c stream offset of the leg's byte 0 */
	uint64_t raw_pos;             /* byte-count framing: c2s stream offset */
	uint8_t *hbuf;                /* head arriving in pieces, or NULL */
	uint32_t hlen;
	struct l7_http_body body;     /* framing of the current request body */
	uint64_t exp_pos;             /* oracle: c2s offset of the next byte expected */
	uint8_t mode;                 /* head, body or byte counts */
	uint8_t in_service, queued, peer_fin, dead;
	uint8_t oracle_bad;           /* oracle: a byte differed on this leg */
	uint8_t last_rx;              /* oracle: the last byte received */
	uint8_t ins_mask;             /* oracle: insertion candidates open */
	uint8_t ins_len;              /* oracle: their bytes matched so far */
};

struct l7sim_server {
	struct l7sim_node node;       /* first: frames for the server arrive here */
	struct l7sim_engine *eng;
	const struct l7sim_workload *wl;
	struct l7sim_server_config cfg;
	struct l7sim_tcp_env env;
	struct l7sim_tcp_demux demux;
	struct l7sim_pool conns;
	struct l7sim_pool heads;      /* L7SIM_SRV_HEAD_BYTES each */
	struct l7sim_srv_conn *q_head, *q_tail;
	uint32_t busy, qlen;
	struct l7sim_server_stats st;
	struct l7sim_server *reg_prev, *reg_next; /* live servers (oracle sum) */
	uint8_t *whole_map;           /* oracle: bit per workload connection
				       * some leg of this server got whole */
	uint8_t registered;
	uint8_t scratch[L7SIM_SRV_HEAD_BYTES];    /* oracle: captured bytes */
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

/*
 * Sum st.oracle over every server of engine eng that is initialised and
 * not yet finalised (the runner calls it after the run, before the
 * architecture destroys its servers), and classify every connection of
 * their workload (conns_*: whole on some server, or why not; router may be
 * NULL: then conns_no_route stays 0). Servers join a process-wide list in
 * l7sim_server_init and leave it in l7sim_server_fini, so every successful
 * init must be paired with a fini; not thread-safe (runs are
 * single-threaded).
 */
void l7sim_server_oracle_sum(const struct l7sim_engine *eng, const struct l7_router *router,
			     struct l7sim_server_oracle *out);

#endif
