/*
 * json.h — pieces of l7sim's JSON summary (jansson): a histogram as an
 * object of integer nanoseconds, a counter set as an object, and one writer
 * with fixed formatting so that the same run gives the same bytes.
 *
 * Format: two-space indentation, keys in insertion order, reals with up to
 * 10 significant digits, a trailing newline.
 */
#ifndef L7SIM_REPORT_JSON_H
#define L7SIM_REPORT_JSON_H

#include <stdio.h>

#include <jansson.h>

#include "report/hist.h"
#include "report/series.h"

#define L7SIM_JSON_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))

/* {"count":N,"min_ns":..,"mean_ns":..,"p50_ns":..,"p90_ns":..,"p99_ns":..,
 *  "p99_9_ns":..,"max_ns":..} — all integers (mean rounded to the nearest
 * ns); an empty histogram gives {"count":0}. NULL if out of memory. */
json_t *l7sim_json_hist(const struct l7sim_hist *h);

/* {"name":value,...} in registration order. */
json_t *l7sim_json_counters(const struct l7sim_counters *c);

/* Write root with L7SIM_JSON_FLAGS and a newline: 0 or L7_EIO. */
int l7sim_json_write(const json_t *root, FILE *f);
int l7sim_json_write_file(const json_t *root, const char *path);

#endif
