/*
 * clock.c — wall-clock reads and the progress line of clock.h.
 */
#include <stdio.h>
#include <time.h>

#include "engine/clock.h"

uint64_t l7sim_wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int l7sim_progress_format(char *buf, size_t size, const struct l7sim_engine_stats *s,
			  l7_time_ns start_ns, l7_time_ns end_ns, uint64_t wall_now_ns,
			  struct l7sim_progress_state *last)
{
	uint64_t dispatched = s->events_fired + s->timers_fired;
	if (last->wall_start_ns == 0) {
		last->wall_start_ns = last->wall_last_ns = wall_now_ns;
		last->dispatched_last = 0;
	}
	double dt_s = (double)(wall_now_ns - last->wall_last_ns) / 1e9;
	double rate = dt_s > 0 ? (double)(dispatched - last->dispatched_last) / dt_s : 0.0;
	double sim_s = (double)(s->now_ns - start_ns) / 1e9;
	last->wall_last_ns = wall_now_ns;
	last->dispatched_last = dispatched;
	if (end_ns > start_ns && s->now_ns >= start_ns) {
		double frac = (double)(s->now_ns - start_ns) / (double)(end_ns - start_ns);
		double wall_s = (double)(wall_now_ns - last->wall_start_ns) / 1e9;
		double eta_s = frac > 0 ? wall_s * (1.0 - frac) / frac : 0.0;
		return snprintf(buf, size, "sim %.6f s (%.1f%%), %.2f M events/s, ETA %.0f s",
				sim_s, 100.0 * frac, rate / 1e6, eta_s);
	}
	return snprintf(buf, size, "sim %.6f s, %.2f M events/s", sim_s, rate / 1e6);
}
