/*
 * clock.h — the only wall-clock reads in l7sim, for progress lines and
 * benchmarks. Simulated time is l7sim_engine_now(); nothing that decides a
 * simulation result may call these (that would break determinism).
 */
#ifndef L7SIM_ENGINE_CLOCK_H
#define L7SIM_ENGINE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t l7sim_wall_ns(void);

/*
 * One progress line (no newline) into buf: simulated time, percent of
 * end_ns when end_ns > start_ns, dispatch rate since the previous call and
 * ETA. `last` keeps the previous sample between calls (zero it first).
 * Returns what snprintf returns.
 */
struct l7sim_progress_state {
	uint64_t wall_start_ns;
	uint64_t wall_last_ns;
	uint64_t dispatched_last;
};

int l7sim_progress_format(char *buf, size_t size, const struct l7sim_engine_stats *s,
			  l7_time_ns start_ns, l7_time_ns end_ns, uint64_t wall_now_ns,
			  struct l7sim_progress_state *last);

#endif
