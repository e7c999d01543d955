/*
 * switch_only.c — the prior switch-centric L7 load balancer Miresga is
 * compared with: every connection's splice state lives in the switch, so
 * a connection's data cannot flow until its switch entry is installed
 * through the control channel. The model is Miresga's (miresga.c) with
 * every connection offloaded and the front-end standing for the switch's
 * control-plane CPU, which does the handshake and the first request with
 * the splice engine and then holds the connection's data until the entry
 * is visible (docs/models.md "Switch-only" lists the assumptions).
 *
 * Invariant: the same program, channel, agents and costs as miresga; the
 * only difference is the switch_only flag.
 */
#include "arch/miresga.h"

static int so_create(struct l7sim_world *w, void **state, char *err, size_t errlen)
{
	return l7sim_mrg_create(w, state, err, errlen, 1);
}

const struct l7sim_arch l7sim_arch_switch_only = {
	"switch-only", "every connection spliced in the switch: insertion rate and table size bind",
	so_create, l7sim_mrg_report, l7sim_mrg_destroy,
};
