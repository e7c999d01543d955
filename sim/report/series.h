/*
 * series.h — named counters and time series binned by simulated time, and
 * their text outputs (CSV, gnuplot data).
 *
 * A series has fixed columns, each with a kind that says how samples in one
 * bin combine and how the bin is printed:
 *   SUM       integer sum of the samples                 ("%llu")
 *   RATE      sum per second of bin                      ("%.3f")
 *   FRACTION  sum / bin_ns (e.g. busy ns -> utilisation) ("%.6f")
 *   MAX       largest sample in the bin (0 if none)      ("%llu")
 *   LAST      last sample, carried into empty bins       ("%llu")
 * Bin i covers [start_ns + i * bin_ns, start_ns + (i+1) * bin_ns) and is
 * printed with its start time in seconds ("%.6f").
 *
 * Invariants: output is a pure function of the samples (no clock, no
 * locale: numbers use the C locale's '.'); storage grows by doubling up to
 * max_bins (0 = no limit), so a run costs O(log bins) allocations; samples
 * past max_bins or before start_ns are counted in `dropped`, not stored.
 */
#ifndef L7SIM_REPORT_SERIES_H
#define L7SIM_REPORT_SERIES_H

#include <stdint.h>
#include <stdio.h>

#include "l7splice/common.h"

enum l7sim_col_kind {
	L7SIM_COL_SUM,
	L7SIM_COL_RATE,
	L7SIM_COL_FRACTION,
	L7SIM_COL_MAX,
	L7SIM_COL_LAST,
};

struct l7sim_col {
	const char *name;            /* [A-Za-z0-9_.] only: safe in CSV and gnuplot */
	enum l7sim_col_kind kind;
};

struct l7sim_series {
	l7_time_ns start_ns;
	uint64_t bin_ns;
	uint32_t ncols;
	const struct l7sim_col *cols;
	uint64_t *v;                 /* nbins x ncols */
	uint8_t *set;                /* LAST columns: sample seen in this bin */
	uint32_t nbins;              /* bins in use */
	uint32_t cap_bins;
	uint32_t max_bins;
	uint64_t dropped;
};

/* cols must outlive the series. */
int l7sim_series_init(struct l7sim_series *s, l7_time_ns start_ns, uint64_t bin_ns,
		      const struct l7sim_col *cols, uint32_t ncols, uint32_t max_bins);
void l7sim_series_fini(struct l7sim_series *s);

/* Add a sample to column col at time t_ns. L7_ERANGE (counted) when t_ns is
 * before start or past max_bins, L7_EINVAL for a bad column. */
int l7sim_series_add(struct l7sim_series *s, l7_time_ns t_ns, uint32_t col, uint64_t value);

/* Make sure bins up to the one holding end_ns exist (trailing empty bins). */
int l7sim_series_extend(struct l7sim_series *s, l7_time_ns end_ns);

/* CSV: a "time_s,<names>" header and one row per bin. 0 or L7_EIO. */
int l7sim_series_write_csv(const struct l7sim_series *s, FILE *f);
/* Same rows, space-separated, header as a '#' comment (gnuplot data). */
int l7sim_series_write_dat(const struct l7sim_series *s, FILE *f);

/* A fixed set of named 64-bit counters, in registration order. */
struct l7sim_counters {
	const char **names;
	uint64_t *v;
	uint32_t n;
	uint32_t cap;
};

int l7sim_counters_init(struct l7sim_counters *c, uint32_t cap);
void l7sim_counters_fini(struct l7sim_counters *c);
/* Register a counter (name must outlive c): its index, or L7_EFULL /
 * L7_EEXIST / L7_EINVAL. */
int l7sim_counters_add(struct l7sim_counters *c, const char *name);
static inline void l7sim_counters_inc(struct l7sim_counters *c, uint32_t idx, uint64_t delta)
{
	c->v[idx] += delta;
}
/* Index of a name, or L7_ENOENT. */
int l7sim_counters_find(const struct l7sim_counters *c, const char *name);

#endif
