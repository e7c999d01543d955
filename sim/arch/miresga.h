/*
 * miresga.h — parameters of the Miresga and switch-only architectures
 * (sim/arch/miresga.c, sim/arch/switch_only.c), which share one model: a
 * switch running the library's Miresga program (pipeline.h) with its
 * control channel, front-end servers running the library's splice engine,
 * and back-end agents translating with l7_splice_xlate_*().
 *
 * Each parameter is a configuration key miresga.* (sim/config.h,
 * docs/config.md "Simulator configuration", same defaults and sources);
 * l7sim_miresga_params_default() turns a configuration into these. A
 * test may still point l7sim_miresga_override at its own values, which
 * then win over the configuration.
 *
 * Invariant: the defaults are taken from published sources (Miresga's
 * public code, docs/pipeline.md), never fitted.
 */
#ifndef L7SIM_ARCH_MIRESGA_H
#define L7SIM_ARCH_MIRESGA_H

#include <stdint.h>

#include "arch/arch.h"

struct l7sim_miresga_params {
	uint32_t frontends;           /* FE servers (CRC8 buckets spread over them) [1] */
	uint32_t table_entries;       /* offload table [143,360: l7lb_switch.p4:234] */
	uint64_t tick_ns;             /* entry-controller tick [100 us: main.cpp:134] */
	uint32_t batch_adds;          /* adds per tick [40: entry_controller.hpp:18] */
	uint32_t batch_dels;          /* deletes per tick [40] */
	double ctl_entries_per_s;     /* switch driver rate [100,000: pipeline.md] */
	uint64_t ctl_batch_fixed_ns;  /* per batch [20 us] */
	uint64_t ctl_latency_ns;      /* FE -> switch driver [50 us] */
	uint64_t pass_latency_ns;     /* one pipeline pass [1 us] */
	uint64_t handoff_ns;          /* FE -> agent record delivery [0: in band] */
	uint32_t agent_records;       /* per back-end [102,400: ingress_xdp.c:17] */
	uint64_t offload_min_bytes;   /* object-size threshold when the route says
				       * nothing; 0 = route hints only [0] */
	uint64_t fe_setup_ns;         /* FE: open a back-end leg [= relay_pkt_ns x 2] */
	double fe_relay_byte_ns;      /* FE: per payload byte (in-place rewrite,
				       * no copy) [0] */
	uint64_t fe_relay_pkt_ns;     /* FE: per packet in and out
				       * [= frontend.relay_pkt_ns] */
	uint8_t xff;                  /* FE inserts X-Forwarded-For into every
				       * request [0: Miresga's public code
				       * inserts nothing] */
	uint8_t resplice;             /* FE re-splices a keep-alive connection
				       * when the router picks another back-end
				       * (not once offloaded) [1] */
};

/* cfg NULL: the sourced defaults below (the "auto" costs 0); otherwise
 * the configuration's miresga.* keys, "auto" derived from frontend.*. */
void l7sim_miresga_params_default(struct l7sim_miresga_params *p,
				  const struct l7sim_config *cfg);

/* Non-NULL: the next runs use these instead of the defaults. */
extern const struct l7sim_miresga_params *l7sim_miresga_override;

/* Build either architecture; switch_only != 0 makes every connection wait
 * for its switch entry before its data flows. */
int l7sim_mrg_create(struct l7sim_world *w, void **state, char *err, size_t errlen,
		     int switch_only);
void l7sim_mrg_report(void *state, const struct l7sim_world *w, struct l7sim_summary *s);
void l7sim_mrg_destroy(void *state);

extern const struct l7sim_arch l7sim_arch_miresga;
extern const struct l7sim_arch l7sim_arch_switch_only;

#endif
