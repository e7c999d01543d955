/*
 * metrics.h — the sink the client model reports each finished request to,
 * and a stock sink that records latencies into sim/report histograms.
 *
 * Latency is request sent (the client wrote its first byte into TCP) to the
 * last response byte delivered in order; first-byte latency stops at the
 * first response byte. Any other consumer (time series, per-class sinks)
 * implements the same one-function interface.
 */
#ifndef L7SIM_MODELS_METRICS_H
#define L7SIM_MODELS_METRICS_H

#include <stdint.h>

#include "l7splice/common.h"
#include "report/hist.h"

struct l7sim_req_sample {
	uint64_t conn_id;
	uint32_t req;              /* index within the connection */
	uint64_t req_bytes, resp_bytes;
	l7_time_ns sent_ns, first_byte_ns, last_byte_ns;
};

struct l7sim_metrics_sink {
	void (*request)(void *ctx, const struct l7sim_req_sample *s);
	void *ctx;
};

struct l7sim_latency_hist {
	struct l7sim_hist latency_ns;   /* sent -> last byte */
	struct l7sim_hist ttfb_ns;      /* sent -> first byte */
	uint64_t requests;
	uint64_t resp_bytes;
	l7_time_ns first_sent_ns, last_done_ns;
};

int l7sim_latency_hist_init(struct l7sim_latency_hist *h);
void l7sim_latency_hist_fini(struct l7sim_latency_hist *h);
/* The sink function; ctx is a struct l7sim_latency_hist. */
void l7sim_latency_hist_record(void *ctx, const struct l7sim_req_sample *s);

#endif
