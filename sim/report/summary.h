/*
 * summary.h — the per-architecture result of one l7sim run, as the JSON
 * summary (`--json FILE`) and the readable table on stdout (`run`,
 * `compare`). The models fill a struct l7sim_summary; this file fixes the
 * output schema and format in one place.
 *
 * Invariants: every derived figure (rates, shares) is computed here from the
 * raw counts, so JSON and table never disagree; output depends only on the
 * struct (no clock, C-locale number formats).
 */
#ifndef L7SIM_REPORT_SUMMARY_H
#define L7SIM_REPORT_SUMMARY_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "l7splice/common.h"
#include "report/hist.h"
#include "report/series.h"

struct l7sim_summary {
	const char *arch;                    /* "software", "miresga", ... */
	l7_time_ns duration_ns;              /* simulated time measured over */
	uint64_t requests;                   /* completed requests */
	uint64_t client_bytes;               /* bytes delivered to clients */
	const struct l7sim_hist *latency;    /* request -> last response byte, ns */
	const struct l7sim_hist *first_byte; /* request -> first response byte, ns */
	double frontend_cpu_util;            /* busy / (cores * active span), 0..1 (frontend_cpu.h) */
	uint64_t table_peak_entries;         /* switch connection/offload table */
	uint64_t table_capacity;
	uint64_t insert_backlog_peak;        /* control-channel queue, entries */
	const struct l7sim_hist *insert_delay; /* queue -> installed, ns */
	uint64_t fast_path_bytes;            /* bytes that bypassed the front-end CPU */
	uint64_t total_bytes;                /* all payload bytes through the LB */
	uint64_t drops;
	const struct l7sim_counters *extra;  /* optional model counters */
};

double l7sim_summary_rps(const struct l7sim_summary *s);
double l7sim_summary_gbps(const struct l7sim_summary *s);
double l7sim_summary_fast_share(const struct l7sim_summary *s);

/* The JSON object of one architecture (schema in docs/engine.md); NULL if
 * out of memory. Missing histograms become {"count": 0}. */
json_t *l7sim_summary_json(const struct l7sim_summary *s);

/* A fixed-width table, one row per summary, with a header line. */
int l7sim_summary_table(FILE *f, const struct l7sim_summary *const *s, uint32_t n);

#endif
