/*
 * summary.c — JSON object and text table of summary.h.
 */
#include <math.h>

#include "report/json.h"
#include "report/summary.h"

double l7sim_summary_rps(const struct l7sim_summary *s)
{
	return s->duration_ns ? (double)s->requests * 1e9 / (double)s->duration_ns : 0.0;
}

double l7sim_summary_gbps(const struct l7sim_summary *s)
{
	/* bits per ns = Gbit/s */
	return s->duration_ns ? (double)s->client_bytes * 8.0 / (double)s->duration_ns : 0.0;
}

double l7sim_summary_fast_share(const struct l7sim_summary *s)
{
	return s->total_bytes ? (double)s->fast_path_bytes / (double)s->total_bytes : 0.0;
}

static json_t *hist_or_empty(const struct l7sim_hist *h)
{
	if (h)
		return l7sim_json_hist(h);
	json_t *o = json_object();
	if (o && json_object_set_new(o, "count", json_integer(0))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *u64(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v);
}

json_t *l7sim_summary_json(const struct l7sim_summary *s)
{
	json_t *o = json_object(), *table = json_object(), *ins = json_object();
	int rc = !o || !table || !ins;
	if (!rc) {
		rc |= json_object_set_new(o, "arch", json_string(s->arch ? s->arch : ""));
		rc |= json_object_set_new(o, "duration_s", json_real((double)s->duration_ns / 1e9));
		rc |= json_object_set_new(o, "requests", u64(s->requests));
		rc |= json_object_set_new(o, "throughput_rps", json_real(l7sim_summary_rps(s)));
		rc |= json_object_set_new(o, "throughput_gbps", json_real(l7sim_summary_gbps(s)));
		rc |= json_object_set_new(o, "latency", hist_or_empty(s->latency));
		rc |= json_object_set_new(o, "first_byte_latency", hist_or_empty(s->first_byte));
		rc |= json_object_set_new(o, "frontend_cpu_util", json_real(s->frontend_cpu_util));
		rc |= json_object_set_new(table, "peak_entries", u64(s->table_peak_entries));
		rc |= json_object_set_new(table, "capacity", u64(s->table_capacity));
		rc |= json_object_set_new(o, "switch_table", table);
		table = NULL;
		rc |= json_object_set_new(ins, "backlog_peak", u64(s->insert_backlog_peak));
		rc |= json_object_set_new(ins, "delay", hist_or_empty(s->insert_delay));
		rc |= json_object_set_new(o, "insertion", ins);
		ins = NULL;
		rc |= json_object_set_new(o, "fast_path_bytes", u64(s->fast_path_bytes));
		rc |= json_object_set_new(o, "total_bytes", u64(s->total_bytes));
		rc |= json_object_set_new(o, "fast_path_share",
					  json_real(l7sim_summary_fast_share(s)));
		rc |= json_object_set_new(o, "drops", u64(s->drops));
		if (s->extra)
			rc |= json_object_set_new(o, "counters", l7sim_json_counters(s->extra));
	}
	json_decref(table);
	json_decref(ins);
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static double pct_us(const struct l7sim_hist *h, double p)
{
	return h && h->count ? (double)l7sim_hist_percentile(h, p) / 1e3 : 0.0;
}

int l7sim_summary_table(FILE *f, const struct l7sim_summary *const *s, uint32_t n)
{
	fprintf(f, "%-12s %12s %9s %10s %10s %10s %7s %7s %10s\n", "arch", "req/s", "Gbit/s",
		"p50 us", "p99 us", "p99.9 us", "FE cpu", "fast %", "drops");
	for (uint32_t i = 0; i < n; i++) {
		const struct l7sim_summary *x = s[i];
		fprintf(f, "%-12s %12.1f %9.3f %10.1f %10.1f %10.1f %6.1f%% %6.1f%% %10llu\n",
			x->arch ? x->arch : "", l7sim_summary_rps(x), l7sim_summary_gbps(x),
			pct_us(x->latency, 50), pct_us(x->latency, 99), pct_us(x->latency, 99.9),
			100.0 * x->frontend_cpu_util, 100.0 * l7sim_summary_fast_share(x),
			(unsigned long long)x->drops);
	}
	return ferror(f) ? L7_EIO : 0;
}
