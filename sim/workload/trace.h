/*
 * trace.h — import a pcap as a replay workload (sim/models/workload.h)
 * through the pcap module's connection extraction (conn.h).
 *
 * Per connection it keeps: the start time, the client tuple, the options of
 * the client's SYN, the client and server byte streams (each byte once, in
 * order, as conn.h delivers them) and their cut into requests and the
 * responses answering them. The cut uses the library's strict HTTP parser
 * (with every leniency flag: captures are what they are) for requests
 * (head + framed body) and responses (interim 1xx grouped with the final
 * response that follows); a connection the parser cannot frame falls back
 * to bursts: each maximal run of client bytes is a request, the server
 * bytes up to the next client run its response.
 *
 * Memory (first version): the whole payload of the trace is held, plus
 * about 64 bytes per connection and 40 per message; max_bytes (default
 * 1 GiB) bounds it and a larger trace is refused with L7_EFULL. Streaming
 * very large traces is future work (docs/models.md).
 */
#ifndef L7SIM_WORKLOAD_TRACE_H
#define L7SIM_WORKLOAD_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "l7splice/common.h"
#include "models/workload.h"

struct l7sim_trace_opts {
	uint64_t max_bytes;          /* payload bytes held [1 GiB] */
	uint32_t max_conns;          /* concurrent connections in the tracker [65536] */
	int keep_empty;              /* keep connections without client bytes [0] */
};

struct l7sim_trace_stats {
	uint64_t packets, not_tcp, bad_packets;
	uint64_t conns_seen, conns_kept;
	uint64_t requests, http_framed_conns, burst_framed_conns;
	uint64_t gap_bytes;
};

/*
 * Load `path` into *wl. 0, or a negative l7_err with a one-line reason in
 * err ("FILE: ..."): L7_EIO / L7_EPCAPFMT / L7_EPCAPTRUNC from the reader,
 * L7_EFULL above max_bytes, L7_ENOMEM. opts may be NULL.
 */
int l7sim_trace_load(struct l7sim_workload *wl, const char *path,
		     const struct l7sim_trace_opts *opts, struct l7sim_trace_stats *st,
		     char *err, size_t errlen);

#endif
