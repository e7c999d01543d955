/*
 * client.h — the client model: one host that opens the workload's
 * connections through TCP endpoints (sim/net/tcpep.h) and sends each
 * connection's requests, recording per-request latency into a metrics sink.
 *
 * Trace replay (open loop): connection i starts at start_ns + its captured
 * start / speedup, to the captured server address and port, from the
 * captured client tuple; with multiply = N each connection is opened N
 * times, instance j > 0 from a distinct client address (100.64.0.0/10 for
 * IPv4, fd00::/16 for IPv6, derived from j and the original address; a
 * tuple that is still in use is skipped and counted). Request k is written
 * at max(start + its captured offset / speedup, the time responses
 * 0..wait_resp-1 completed + think_ns).
 *
 * Closed loop (wrk-like): a generated workload (l7sim_wl_closed_loop())
 * has every request wait for the previous response; think_ns spaces them.
 *
 * With trace_syn, a connection whose capture has the client's SYN offers
 * the same MSS (clamped to the host's), window scale, SACK-permitted and
 * timestamps, with the captured ISN, so the client side of a replay
 * looks like the capture.
 *
 * Every received byte is compared with the workload's server stream
 * (resp_mismatch_bytes counts differences): the replay oracle's client-side
 * check. The client closes after the last response, or after the server's
 * FIN when the capture's server closed first.
 *
 * At most max_conns application connections are open at once, as a
 * closed-loop load generator's (wrk, ab -c N) count: from the SYN until the
 * client has closed its side AND seen the server's FIN (both FINs
 * exchanged), or until CLOSED if that comes first. TIME_WAIT, and the wait
 * for the ACK of a FIN, belong to the kernel, not to the application: such
 * an endpoint lingers (it still answers a retransmitted FIN) in a TIME_WAIT
 * allowance of max_conns further endpoints, sized at init. When a start
 * finds the allowance full, the oldest lingering endpoint is forgotten
 * early (tw_forgotten; Linux bounds TIME_WAIT sockets too, with
 * net.ipv4.tcp_max_tw_buckets, ip-sysctl.rst, though it drops the newest:
 * docs/models.md §5). A connection due while all
 * max_conns slots are taken waits for a free one, in workload order
 * (queued, counted with its summed wait); it then starts at the time the
 * slot frees, and its requests' captured offsets count from that actual
 * start.
 *
 * A start whose client tuple is still used by an earlier connection of
 * this client does not give up: if that endpoint is already in TIME_WAIT
 * it is forgotten and the new SYN goes out (a SYN reusing a TIME_WAIT tuple
 * is legal, RFC 6191); otherwise the new connection takes its slot and
 * waits (tuple_waits, summed in tuple_wait_ns) until the old endpoint has
 * reached TIME_WAIT (seen when both FINs are exchanged) or CLOSED, then
 * starts, its captured offsets counting from that start. Other starts go
 * on meanwhile. tuple_clash counts only a start that cannot wait (the
 * same tuple has a waiter already).
 *
 * conn_id of every packet: instance << 32 | (workload index + 1).
 */
#ifndef L7SIM_MODELS_CLIENT_H
#define L7SIM_MODELS_CLIENT_H

#include <stdint.h>

#include "engine/engine.h"
#include "engine/pool.h"
#include "models/metrics.h"
#include "models/workload.h"
#include "net/node.h"
#include "net/tcpep.h"

#define L7SIM_EV_CLI_START 33      /* obj = client */
#define L7SIM_EV_CLI_SEND 34       /* obj = struct l7sim_cli_conn */
#define L7SIM_EV_CLI_RETRY 35      /* obj = struct l7sim_cli_conn waiting for its tuple */

#define L7SIM_CLI_SENT_RING 4      /* outstanding requests timed per connection */

struct l7sim_client_config {
	const char *name;              /* RNG stream name ["client"] */
	uint64_t seed;
	uint32_t max_conns;            /* application connections open at once
					* (SYN sent to both FINs exchanged, or
					* CLOSED) [65536]; starts beyond it wait,
					* in workload order, for a free slot
					* (queued). Up to max_conns more endpoints
					* may linger in TIME_WAIT. */
	uint32_t multiply;             /* instances of each connection [1] */
	double speedup;                /* [1.0] */
	uint64_t think_ns;             /* [0] */
	l7_time_ns start_ns;           /* simulated time of workload t = 0 [engine now] */
	int verify;                    /* compare received bytes [1] */
	int trace_syn;                 /* offer each connection's captured SYN
					* options and ISN when known [1] */
};

struct l7sim_client_stats {
	uint64_t conns_started, conns_done, conns_failed, tuple_clash;
	uint64_t queued;               /* starts that waited for a free slot */
	uint64_t queue_wait_ns;        /* summed wait of those starts */
	uint64_t requests_sent, responses_done, resp_bytes;
	uint64_t resp_mismatch_bytes;
	uint64_t resets, aborts, incomplete;
	uint64_t untimed;              /* responses whose send time fell out of the ring */
	uint64_t tw_forgotten;         /* lingering endpoints forgotten early: the
					* TIME_WAIT allowance was full */
	uint64_t tuple_waits;          /* starts that waited for their tuple */
	uint64_t tuple_wait_ns;        /* summed wait of those starts */
	uint64_t tw_reused;            /* starts that forgot a TIME_WAIT endpoint
					* on their own tuple */
};

struct l7sim_client;

struct l7sim_cli_conn {
	struct l7sim_tcpep ep;         /* first */
	struct l7sim_client *cli;
	uint32_t wconn, inst;
	uint32_t next_send, resp_done;
	uint64_t rx_bytes, written;
	l7_time_ns t0_ns;              /* actual start (while tuple_wait: when due) */
	l7_time_ns first_ns, last_resp_ns;
	/* no request is timed before the connection starts or after both FINs,
	 * so the send-time ring and the list links share memory (the object
	 * stays 448 bytes) */
	union {
		l7_time_ns sent_ns[L7SIM_CLI_SENT_RING]; /* while open */
		struct {                 /* while released or tuple_wait */
			struct l7sim_cli_conn *lprev, *lnext;
		};
	};
	l7sim_ev_handle send_ev;
	uint8_t send_pending, peer_fin, shut, reset;
	uint8_t released;              /* lingering: no longer counts against max_conns */
	uint8_t tuple_wait;            /* not connected yet: its tuple is busy */
	uint8_t retry_pending;         /* a CLI_RETRY event is due */
};

/* A list of connections through lprev/lnext, oldest first. */
struct l7sim_cli_list {
	struct l7sim_cli_conn *head, *tail;
	uint32_t n;
};

struct l7sim_client {
	struct l7sim_node node;        /* first: frames for the client arrive here */
	struct l7sim_engine *eng;
	const struct l7sim_workload *wl;
	struct l7sim_client_config cfg;
	struct l7sim_tcp_env env;
	struct l7sim_tcp_demux demux;
	struct l7sim_pool conns;
	struct l7sim_metrics_sink sink;
	uint32_t next_conn, next_inst; /* start cursor */
	uint32_t active;               /* application connections (<= max_conns) */
	struct l7sim_cli_list lingering; /* released endpoints, oldest first */
	struct l7sim_cli_list waiting;   /* tuple_wait starts (rare: scanned) */
	uint8_t stalled;               /* the start cursor waits for a slot */
	uint8_t resume_pending;        /* a CLI_START is due for the stalled cursor */
	struct l7sim_client_stats st;
	uint8_t scratch[L7SIM_PKT_DATA_BYTES];
};

void l7sim_client_config_defaults(struct l7sim_client_config *c);

/* sink may be NULL (no latency recording). Nothing starts before
 * l7sim_client_start(). */
int l7sim_client_init(struct l7sim_client *c, const struct l7sim_client_config *cfg,
		      struct l7sim_engine *eng, struct l7sim_pktpool *pool,
		      const struct l7sim_tcp_cfg *tcp, struct l7sim_node *out,
		      const struct l7sim_workload *wl, const struct l7sim_metrics_sink *sink);
/* Schedule the first connection start. */
int l7sim_client_start(struct l7sim_client *c);
void l7sim_client_fini(struct l7sim_client *c);

/*
 * A generated closed-loop workload: n_conns connections of n_req requests
 * each, "GET /obj/<size> HTTP/1.1" answered by "HTTP/1.1 200 OK" with a
 * Content-Length body of <size> bytes, size drawn from the (size, weight)
 * mix with the stream (seed, "closed-loop"); connections start stagger_ns
 * apart from 10.1.0.0/16 to server_addr:server_port. Bodies are generated
 * on demand (not stored).
 */
struct l7sim_closed_loop_config {
	uint64_t seed;
	uint32_t n_conns, n_req;
	uint32_t n_sizes;
	const uint32_t *sizes, *weights;
	l7_time_ns stagger_ns;
	struct l7_addr server_addr;
	uint16_t server_port;
};
int l7sim_wl_closed_loop(struct l7sim_workload *wl, const struct l7sim_closed_loop_config *c);

/* Register sim/models' event types (server and client) once per engine. */
int l7sim_models_register(struct l7sim_engine *e);

#endif
