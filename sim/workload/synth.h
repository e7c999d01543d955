/*
 * synth.h — the synthetic HTTP/1.1 workload generator: a config struct in,
 * Ethernet (or raw IP) frames with timestamps out through a callback.
 *
 * What it models (first version, issue 2): clients open TCP connections to
 * one server (handshake with MSS, SACK-permitted, timestamps and window
 * scale), send GET requests one at a time on a keep-alive connection, the
 * server answers each with a Content-Length response cut into MSS-sized
 * segments, the client ACKs every second segment and the last, and closes
 * with FIN after its last request. Connections overlap in time: they start
 * at exponentially distributed intervals and run concurrently; frames come
 * out in timestamp order (a heap over the live connections).
 *
 * Invariants: the output depends only on the config (seed included): no
 * clock, no global state, so the same config gives the same frames. Every
 * frame is a valid TCP/IP packet with correct checksums (built by the
 * library's l7_pkt_build_tcp()); sequence and acknowledgement numbers are
 * consistent, so tshark's TCP analysis finds nothing to flag.
 */
#ifndef L7SIM_WORKLOAD_SYNTH_H
#define L7SIM_WORKLOAD_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "l7splice/common.h"

#define L7SIM_SYNTH_MAX_OBJECTS 16

/* One entry of the request mix: GET /obj/<bytes> answered by `bytes`
 * bytes of body, chosen with probability weight / sum of weights. */
struct l7sim_synth_object {
	uint32_t bytes;
	uint32_t weight;
};

struct l7sim_synth_config {
	uint64_t seed;
	uint32_t connections;         /* connections to generate */
	uint32_t requests_per_conn;   /* GETs per keep-alive connection (>= 1) */
	uint32_t n_objects;
	struct l7sim_synth_object objects[L7SIM_SYNTH_MAX_OBJECTS];
	uint16_t mss;                 /* announced and used; payload per segment
				       * is mss - 12 (timestamp option) */
	uint8_t wscale;               /* window scale shift announced by both */
	uint32_t linktype;            /* L7_LINKTYPE_ETHERNET or L7_LINKTYPE_RAW */
	l7_time_ns start_ns;          /* timestamp of the first SYN */
	l7_time_ns rtt_ns;            /* client <-> server round trip */
	l7_time_ns interarrival_ns;   /* mean gap between connection starts */
	l7_time_ns think_ns;          /* client pause before its next request */
	l7_time_ns server_ns;         /* server time from request to first byte */
	uint64_t link_bps;            /* serialisation rate spacing the segments */
};

/* Totals of one run. */
struct l7sim_synth_counts {
	uint64_t packets;
	uint64_t bytes;        /* frame bytes */
	uint64_t connections;
	uint64_t requests;
	uint64_t body_bytes;   /* response body bytes */
	l7_time_ns last_ns;    /* timestamp of the last frame */
};

/* Receives each frame; `frame` is valid during the call only. A non-zero
 * return stops the run and is returned by l7sim_synth_run(). */
typedef int (*l7sim_synth_emit_fn)(void *user, l7_time_ns ts_ns, const uint8_t *frame,
				   size_t len);

/* Fill the defaults: seed 1, 10 connections, 3 requests each, mix
 * "1k:50,10k:30,100k:15,1m:5", MSS 1460, wscale 7, Ethernet, start
 * 2023-11-14T22:13:20Z, RTT 2 ms, interarrival 5 ms, think 1 ms, server
 * 200 us, 1 Gbit/s. */
void l7sim_synth_defaults(struct l7sim_synth_config *c);

/*
 * Parse a mix "SIZE[:WEIGHT],..." (SIZE a count of bytes with an optional
 * k/m suffix, powers of 1024, at most 4m; WEIGHT default 1) into c->objects. Returns 0
 * or L7_EINVAL with a one-line reason in err.
 */
int l7sim_synth_parse_mix(struct l7sim_synth_config *c, const char *mix, char *err,
			  size_t errlen);

/* Generate everything. 0, L7_EINVAL (bad config: reason in err if given),
 * L7_ENOMEM, or the emit callback's non-zero return. */
int l7sim_synth_run(const struct l7sim_synth_config *c, l7sim_synth_emit_fn emit, void *user,
		    struct l7sim_synth_counts *out, char *err, size_t errlen);

#endif
