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
 * The pcap is read once, incrementally; a connection's bytes are held
 * from its first packet until conn.h closes it, then cut. With `spill`,
 * closed connections beyond `mem_bytes` of payload go to an unlinked
 * temporary file (spill_dir, else $TMPDIR, else /tmp) and are read back
 * during the run through the workload's fill() and a block cache
 * (`cache_bytes`, allocated when the import ends), so the payload in memory is bounded by the connections
 * open at once in the capture plus mem_bytes plus the cache, whatever the
 * trace's length; each connection keeps 136 bytes of metadata plus 64
 * per request. Without `spill` the whole payload is held (the first
 * version). Either way max_bytes (default 1 GiB) bounds the payload in
 * memory and a larger one is refused with L7_EFULL.
 *
 * A bad record anywhere in the file fails the whole load: the workload is
 * complete before a run starts, so nothing is ever simulated from part of
 * a trace.
 */
#ifndef L7SIM_WORKLOAD_TRACE_H
#define L7SIM_WORKLOAD_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "l7splice/common.h"
#include "models/workload.h"

struct l7sim_trace_opts {
	uint64_t max_bytes;          /* payload bytes held in memory [1 GiB] */
	uint32_t max_conns;          /* concurrent connections in the tracker [65536] */
	int keep_empty;              /* keep connections without client bytes [0] */
	int spill;                   /* spill closed connections beyond mem_bytes [0] */
	uint64_t mem_bytes;          /* with spill: closed connections' payload kept in
				      * memory [0: spill every one] */
	uint64_t cache_bytes;        /* with spill: read cache [4 MiB], at least 64 KiB
				      * per connection open at once in the capture,
				      * at most 64 MiB */
	const char *spill_dir;       /* with spill: [NULL: $TMPDIR, else /tmp] */
};

struct l7sim_trace_stats {
	uint64_t packets, not_tcp, bad_packets;
	uint64_t conns_seen, conns_kept;
	uint64_t requests, http_framed_conns, burst_framed_conns;
	uint64_t gap_bytes;
	/* memory while reading (high-water marks) */
	uint64_t live_conns;         /* connections open in the capture now */
	uint64_t peak_live_conns;
	uint64_t peak_live_bytes;    /* payload of the open connections */
	uint64_t peak_held_bytes;    /* all payload in memory (open + closed kept) */
	uint64_t spilled_conns, spilled_bytes;
	int spill_failed;            /* the error is the spill file's (exit 1, not 2) */
};

/*
 * Load `path` into *wl. 0, or a negative l7_err with a one-line reason in
 * err ("FILE: ..."): L7_EIO / L7_EPCAPFMT / L7_EPCAPTRUNC from the reader
 * (the text names the packet), L7_EIO with st->spill_failed when the
 * spill file cannot be written, L7_EFULL above max_bytes, L7_ENOMEM.
 * opts may be NULL. A spill file that cannot be created is not an error:
 * the bytes stay in memory (bounded by max_bytes).
 */
int l7sim_trace_load(struct l7sim_workload *wl, const char *path,
		     const struct l7sim_trace_opts *opts, struct l7sim_trace_stats *st,
		     char *err, size_t errlen);

/* Spill blocks that could not be read back during runs (their bytes read
 * as zeros); 0 for a workload without a spill. A run that saw any is not
 * to be trusted. */
uint64_t l7sim_trace_spill_errors(const struct l7sim_workload *wl);

#endif
