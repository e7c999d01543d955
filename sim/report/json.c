/*
 * json.c — JSON building blocks of json.h.
 *
 * Latencies are integers in nanoseconds on purpose: integers print the same
 * everywhere, so summaries can be compared byte for byte between runs.
 */
#include <math.h>

#include "l7splice/common.h"
#include "report/json.h"

static int set_u64(json_t *o, const char *k, uint64_t v)
{
	/* json_int_t is long long: values above 2^63 are clamped (9.2e18 ns
	 * is 292 years, no simulated latency gets there). */
	json_int_t x = v > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v;
	return json_object_set_new(o, k, json_integer(x));
}

json_t *l7sim_json_hist(const struct l7sim_hist *h)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	int rc = set_u64(o, "count", h->count);
	if (h->count) {
		static const struct { const char *key; double p; } pcts[] = {
			{ "p50_ns", 50.0 }, { "p90_ns", 90.0 }, { "p99_ns", 99.0 }, { "p99_9_ns", 99.9 },
		};
		rc |= set_u64(o, "min_ns", h->min);
		rc |= set_u64(o, "mean_ns", (uint64_t)llround(l7sim_hist_mean(h)));
		for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
			rc |= set_u64(o, pcts[i].key, l7sim_hist_percentile(h, pcts[i].p));
		rc |= set_u64(o, "max_ns", h->max);
	}
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *l7sim_json_counters(const struct l7sim_counters *c)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	for (uint32_t i = 0; i < c->n; i++) {
		if (set_u64(o, c->names[i], c->v[i])) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

int l7sim_json_write(const json_t *root, FILE *f)
{
	if (json_dumpf(root, f, L7SIM_JSON_FLAGS) != 0 || fputc('\n', f) == EOF)
		return L7_EIO;
	return ferror(f) ? L7_EIO : 0;
}

int l7sim_json_write_file(const json_t *root, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return L7_EIO;
	int rc = l7sim_json_write(root, f);
	if (fclose(f) != 0)
		rc = L7_EIO;
	return rc;
}
