/*
 * runner.h — one simulated run: workload + configuration + architecture ->
 * results. `run`, `compare`, `sweep` and the tests all go through here, so
 * they build the same world the same way.
 *
 * The shared world: an engine starting at t = 0, a packet pool, the client
 * host (sim/models/client.h) replaying the workload, and a link pair
 * between the clients and whatever the architecture puts at lb_in.
 *
 * Invariant: the result is a pure function of (workload, config,
 * architecture): no clock is read except for the progress line, which
 * goes to stderr only.
 */
#ifndef L7SIM_ARCH_RUNNER_H
#define L7SIM_ARCH_RUNNER_H

#include <stddef.h>

#include "arch/arch.h"
#include "engine/engine.h"
#include "models/client.h"
#include "models/metrics.h"
#include "report/series.h"
#include "report/summary.h"

struct l7sim_run_opts {
	const char *pcap_dir;   /* non-NULL: DIR/ARCH-client.pcap, DIR/ARCH-backend.pcap */
	int progress;           /* progress line on stderr */
};

struct l7sim_run_out {
	char arch[L7SIM_ARCH_NAME_MAX];
	struct l7sim_latency_hist lat;
	struct l7sim_hist insert_delay;   /* copy of the architecture's, if any */
	struct l7sim_series series;       /* enum l7sim_std_col */
	struct l7sim_counters counters;   /* the architecture's, then the clients' */
	struct l7sim_summary summary;     /* points into lat, insert_delay, counters */
	struct l7sim_engine_stats eng;
	struct l7sim_client_stats cli;
	l7_time_ns end_ns;                /* simulated time when the run stopped */
	uint64_t frames_emitted;          /* frames any node put into the network
					   * (offered to a first link), counted
					   * once however many hops they cross */
	uint64_t link_deliveries;         /* frames links delivered (hops) */
};

/* The column table of the standard series (enum l7sim_std_col order). */
extern const struct l7sim_col l7sim_std_cols[L7SIM_STD_COLS];

/*
 * Run architecture a. On failure returns a negative l7_err with one line in
 * err ("what"); L7_ECONFIG for a configuration the architecture refuses
 * (e.g. a bad router endpoint), L7_EUNSUPPORTED when the architecture is not
 * implemented. out must be released with l7sim_run_out_fini() when 0.
 */
int l7sim_run(const struct l7sim_config *cfg, const struct l7sim_workload *wl,
	      const struct l7sim_arch *a, const struct l7sim_run_opts *opts,
	      struct l7sim_run_out *out, char *err, size_t errlen);
void l7sim_run_out_fini(struct l7sim_run_out *out);

/* The router of a configuration (cfg->router or the built-in routes). */
int l7sim_build_router(const struct l7sim_config *cfg, struct l7_router **out, char *err,
		       size_t errlen);

#endif
