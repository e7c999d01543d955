/*
 * test_sim_arch_util.h — helpers shared by the Miresga and switch-only
 * architecture tests (test_sim_arch_miresga.c, test_sim_arch_switchonly.c):
 * read a named run counter (it must exist), run one architecture and fail
 * the test on an error, and sum a workload's captured response bytes.
 *
 * Include after <cmocka.h> and the sim headers; everything is static.
 */
#ifndef TEST_SIM_ARCH_UTIL_H
#define TEST_SIM_ARCH_UTIL_H

#include <stdint.h>
#include <stdio.h>

#include "arch/arch.h"
#include "arch/runner.h"
#include "config.h"
#include "models/workload.h"

static uint64_t counter(const struct l7sim_run_out *o, const char *name)
{
	int i = l7sim_counters_find(&o->counters, name);
	assert_true(i >= 0);
	return o->counters.v[i];
}

static void run(const struct l7sim_config *cfg, const struct l7sim_workload *wl,
		const char *arch, struct l7sim_run_out *out)
{
	char err[256] = "";
	int rc = l7sim_run(cfg, wl, l7sim_arch_find(arch), NULL, out, err, sizeof(err));
	if (rc)
		fprintf(stderr, "run: %s\n", err);
	assert_int_equal(rc, 0);
}

static uint64_t resp_bytes(const struct l7sim_workload *wl)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < wl->n_conns; i++)
		n += wl->conns[i].s2c_len;
	return n;
}

#endif
