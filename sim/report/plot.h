/*
 * plot.h — gnuplot output: for a plot NAME, a data file NAME.dat and a
 * script NAME.gp in a directory; `gnuplot NAME.gp` (run from that directory)
 * renders NAME.svg. l7sim renders them itself when gnuplot is installed;
 * the files are useful either way.
 *
 * Invariants: the text written depends only on the arguments; titles and
 * labels are escaped for gnuplot double-quoted strings; NAME must be a
 * plain file name ([A-Za-z0-9_.-]).
 */
#ifndef L7SIM_REPORT_PLOT_H
#define L7SIM_REPORT_PLOT_H

#include <stdint.h>
#include <stdio.h>

#include "report/series.h"

/* Line plot of some columns of a series against time (s). */
int l7sim_plot_series(const char *dir, const char *name, const char *title,
		      const char *ylabel, const struct l7sim_series *s,
		      const uint32_t *cols, uint32_t ncols);

/* Bar chart: one bar per label (e.g. architectures) for one metric. */
int l7sim_plot_bars(const char *dir, const char *name, const char *title,
		    const char *ylabel, const char *const *labels, const double *values,
		    uint32_t n);

/* The script text alone, to a stream (used by the functions above). */
int l7sim_plot_write_series_gp(FILE *f, const char *name, const char *title,
			       const char *ylabel, const struct l7sim_series *s,
			       const uint32_t *cols, uint32_t ncols);
int l7sim_plot_write_bars_gp(FILE *f, const char *name, const char *title, const char *ylabel);

#endif
