/*
 * series.c — time-series binning, counters and the CSV / gnuplot-data
 * writers of series.h.
 */
#include <stdlib.h>
#include <string.h>

#include "report/series.h"

static int name_ok(const char *n)
{
	if (!n || !*n)
		return 0;
	for (const char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.'))
			return 0;
	return 1;
}

int l7sim_series_init(struct l7sim_series *s, l7_time_ns start_ns, uint64_t bin_ns,
		      const struct l7sim_col *cols, uint32_t ncols, uint32_t max_bins)
{
	memset(s, 0, sizeof(*s));
	if (bin_ns == 0 || ncols == 0 || !cols)
		return L7_EINVAL;
	for (uint32_t i = 0; i < ncols; i++)
		if (!name_ok(cols[i].name) || cols[i].kind > L7SIM_COL_LAST)
			return L7_EINVAL;
	s->start_ns = start_ns;
	s->bin_ns = bin_ns;
	s->cols = cols;
	s->ncols = ncols;
	s->max_bins = max_bins;
	return 0;
}

void l7sim_series_fini(struct l7sim_series *s)
{
	free(s->v);
	free(s->set);
	s->v = NULL;
	s->set = NULL;
	s->nbins = s->cap_bins = 0;
}

/* Make bins [0, n) exist. */
static int ensure_bins(struct l7sim_series *s, uint64_t n)
{
	if (s->max_bins && n > s->max_bins)
		return L7_ERANGE;
	if (n > UINT32_MAX)
		return L7_ERANGE;
	if (n > s->cap_bins) {
		uint64_t cap = s->cap_bins ? s->cap_bins : 64;
		while (cap < n)
			cap *= 2;
		if (s->max_bins && cap > s->max_bins)
			cap = s->max_bins;
		uint64_t *v = realloc(s->v, cap * s->ncols * sizeof(*v));
		if (!v)
			return L7_ENOMEM;
		s->v = v;
		uint8_t *set = realloc(s->set, cap * s->ncols);
		if (!set)
			return L7_ENOMEM;
		s->set = set;
		memset(s->v + (size_t)s->cap_bins * s->ncols, 0,
		       (cap - s->cap_bins) * s->ncols * sizeof(*v));
		memset(s->set + (size_t)s->cap_bins * s->ncols, 0, (cap - s->cap_bins) * s->ncols);
		s->cap_bins = (uint32_t)cap;
	}
	if (n > s->nbins)
		s->nbins = (uint32_t)n;
	return 0;
}

int l7sim_series_add(struct l7sim_series *s, l7_time_ns t_ns, uint32_t col, uint64_t value)
{
	if (col >= s->ncols)
		return L7_EINVAL;
	if (t_ns < s->start_ns) {
		s->dropped++;
		return L7_ERANGE;
	}
	uint64_t bin = (t_ns - s->start_ns) / s->bin_ns;
	int rc = ensure_bins(s, bin + 1);
	if (rc) {
		s->dropped++;
		return rc;
	}
	size_t i = (size_t)bin * s->ncols + col;
	switch (s->cols[col].kind) {
	case L7SIM_COL_MAX:
		if (value > s->v[i])
			s->v[i] = value;
		break;
	case L7SIM_COL_LAST:
		s->v[i] = value;
		s->set[i] = 1;
		break;
	default:
		s->v[i] += value;
		break;
	}
	return 0;
}

int l7sim_series_extend(struct l7sim_series *s, l7_time_ns end_ns)
{
	if (end_ns < s->start_ns)
		return 0;
	return ensure_bins(s, (end_ns - s->start_ns) / s->bin_ns + 1);
}

static int write_rows(const struct l7sim_series *s, FILE *f, char sep)
{
	double bin_s = (double)s->bin_ns / 1e9;
	uint64_t *last = calloc(s->ncols, sizeof(*last));
	if (!last)
		return L7_ENOMEM;
	for (uint32_t b = 0; b < s->nbins; b++) {
		double t_s = (double)(s->start_ns + (uint64_t)b * s->bin_ns) / 1e9;
		fprintf(f, "%.6f", t_s);
		for (uint32_t c = 0; c < s->ncols; c++) {
			size_t i = (size_t)b * s->ncols + c;
			uint64_t v = s->v[i];
			fputc(sep, f);
			switch (s->cols[c].kind) {
			case L7SIM_COL_RATE:
				fprintf(f, "%.3f", (double)v / bin_s);
				break;
			case L7SIM_COL_FRACTION:
				fprintf(f, "%.6f", (double)v / (double)s->bin_ns);
				break;
			case L7SIM_COL_LAST:
				if (s->set[i])
					last[c] = v;
				fprintf(f, "%llu", (unsigned long long)last[c]);
				break;
			default:
				fprintf(f, "%llu", (unsigned long long)v);
				break;
			}
		}
		fputc('\n', f);
	}
	free(last);
	return ferror(f) ? L7_EIO : 0;
}

int l7sim_series_write_csv(const struct l7sim_series *s, FILE *f)
{
	fputs("time_s", f);
	for (uint32_t c = 0; c < s->ncols; c++)
		fprintf(f, ",%s", s->cols[c].name);
	fputc('\n', f);
	return write_rows(s, f, ',');
}

int l7sim_series_write_dat(const struct l7sim_series *s, FILE *f)
{
	fputs("# time_s", f);
	for (uint32_t c = 0; c < s->ncols; c++)
		fprintf(f, " %s", s->cols[c].name);
	fputc('\n', f);
	return write_rows(s, f, ' ');
}

int l7sim_counters_init(struct l7sim_counters *c, uint32_t cap)
{
	memset(c, 0, sizeof(*c));
	if (cap == 0)
		return L7_EINVAL;
	c->names = calloc(cap, sizeof(*c->names));
	c->v = calloc(cap, sizeof(*c->v));
	if (!c->names || !c->v) {
		l7sim_counters_fini(c);
		return L7_ENOMEM;
	}
	c->cap = cap;
	return 0;
}

void l7sim_counters_fini(struct l7sim_counters *c)
{
	free(c->names);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

int l7sim_counters_find(const struct l7sim_counters *c, const char *name)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (!strcmp(c->names[i], name))
			return (int)i;
	return L7_ENOENT;
}

int l7sim_counters_add(struct l7sim_counters *c, const char *name)
{
	if (!name_ok(name))
		return L7_EINVAL;
	if (l7sim_counters_find(c, name) >= 0)
		return L7_EEXIST;
	if (c->n == c->cap)
		return L7_EFULL;
	c->names[c->n] = name;
	c->v[c->n] = 0;
	return (int)c->n++;
}
