/*
 * workload.h — what the client and server models read a workload through:
 * per connection, the client's byte stream cut into requests and the
 * server's byte stream cut into the responses that answer them. Trace
 * import (sim/workload/trace.h) and the closed-loop generator
 * (sim/models/client.h) both produce this form.
 *
 * Invariants: req[k] and resp[k] are contiguous, ascending ranges of the
 * c2s and s2c streams; resp[k] answers req[k] (its length may be 0); the
 * server sends [0, greet_len) of s2c right after accepting; wait_resp of a
 * request is <= k (the client sends it only when responses 0..wait_resp-1
 * are complete — pipelined captures keep their pipelining).
 */
#ifndef L7SIM_MODELS_WORKLOAD_H
#define L7SIM_MODELS_WORKLOAD_H

#include <stdint.h>

#include "l7splice/common.h"
#include "l7splice/packet.h"
#include "l7splice/tcp.h"

struct l7sim_wl_msg {
	uint64_t off;         /* first byte in its direction's stream */
	uint64_t len;
	l7_time_ns t_ns;      /* capture time of its first byte, from connection start */
	uint32_t wait_resp;   /* requests: responses that must be complete first */
};

/* Bits of struct l7sim_wl_conn.flags. */
#define L7SIM_WL_SYN_SEEN 0x01        /* syn holds the client SYN's options */
#define L7SIM_WL_SERVER_CLOSES 0x02   /* the server's FIN came first */
#define L7SIM_WL_GAP 0x04             /* the capture missed bytes (streams shorter) */
#define L7SIM_WL_HTTP_FRAMED 0x08     /* cut by the HTTP parser (else by bursts) */
#define L7SIM_WL_RST 0x10             /* the capture ended with a RST */
#define L7SIM_WL_SPILLED 0x20         /* streams live in the workload's spill file
				       * at spill_off (c2s, then s2c); c2s/s2c NULL */

struct l7sim_wl_conn {
	l7_time_ns start_ns;        /* first packet, from the workload's start */
	struct l7_flow_key key;     /* src = client, dst = server */
	struct l7_syn_opts syn;     /* options of the client's SYN */
	uint32_t client_isn;        /* sequence number of the client's SYN */
	uint32_t flags;             /* L7SIM_WL_* */
	uint32_t n_req;
	struct l7sim_wl_msg *req;
	struct l7sim_wl_msg *resp;  /* n_req entries */
	uint64_t greet_len;
	uint64_t c2s_len, s2c_len;
	uint8_t *c2s, *s2c;         /* stream bytes; NULL: the workload's fill() */
	uint64_t spill_off;         /* L7SIM_WL_SPILLED: where c2s starts in the spill */
};

struct l7sim_workload;
/* Bytes [off, off + len) of connection `conn`'s stream `dir` (0 = c2s). */
typedef void (*l7sim_wl_fill_fn)(const struct l7sim_workload *wl, uint32_t conn, int dir,
				 uint64_t off, uint8_t *dst, uint32_t len);

struct l7sim_workload {
	uint32_t n_conns;
	struct l7sim_wl_conn *conns;
	l7sim_wl_fill_fn fill;      /* for streams stored as NULL */
	void *gen;                  /* the generator's (or the spill's) state */
	/* frees what gen holds besides its own block (files, caches); NULL:
	 * free(gen) is enough */
	void (*gen_release)(void *gen);
	l7_time_ns duration_ns;     /* last packet of the trace, from its start */
	uint64_t bytes_held;        /* stream bytes in memory (not those spilled) */
};

/* Copy stream bytes (stored or generated). */
void l7sim_wl_read(const struct l7sim_workload *wl, uint32_t conn, int dir, uint64_t off,
		   uint8_t *dst, uint32_t len);

/* Free everything a workload owns (trace or generated). */
void l7sim_wl_free(struct l7sim_workload *wl);

#endif
