/*
 * hist.c — the log-linear histogram of hist.h.
 *
 * Index of value v: s = max(0, msb(v) - B), idx = s * 2^B + (v >> s). For
 * s = 0 that is v itself (exact buckets 0 .. 2^(B+1) - 1); for s >= 1 the
 * top B+1 bits of v, (v >> s) in [2^B, 2^(B+1)), continue the numbering
 * without gaps, so the index is monotone in v.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "l7splice/common.h"
#include "report/hist.h"

uint32_t l7sim_hist_bucket(unsigned sub_bits, uint64_t value)
{
	unsigned msb = value ? 63u - (unsigned)__builtin_clzll(value) : 0u;
	unsigned s = msb > sub_bits ? msb - sub_bits : 0u;
	return (uint32_t)(((uint64_t)s << sub_bits) + (value >> s));
}

void l7sim_hist_bucket_range(unsigned sub_bits, uint32_t idx, uint64_t *lo, uint64_t *width)
{
	uint64_t exact = 2ULL << sub_bits;
	if (idx < exact) {
		*lo = idx;
		*width = 1;
		return;
	}
	unsigned s = (unsigned)(idx >> sub_bits) - 1;
	uint64_t top = idx - ((uint64_t)s << sub_bits);
	*lo = top << s;
	*width = 1ULL << s;
}

int l7sim_hist_init(struct l7sim_hist *h, unsigned sub_bits)
{
	memset(h, 0, sizeof(*h));
	if (sub_bits == 0)
		sub_bits = L7SIM_HIST_SUB_BITS;
	if (sub_bits > 16)
		return L7_EINVAL;
	h->sub_bits = sub_bits;
	h->nbuckets = (65u - sub_bits) << sub_bits;
	h->counts = calloc(h->nbuckets, sizeof(*h->counts));
	if (!h->counts)
		return L7_ENOMEM;
	h->min = UINT64_MAX;
	return 0;
}

void l7sim_hist_fini(struct l7sim_hist *h)
{
	free(h->counts);
	h->counts = NULL;
}

void l7sim_hist_reset(struct l7sim_hist *h)
{
	memset(h->counts, 0, h->nbuckets * sizeof(*h->counts));
	h->count = 0;
	h->min = UINT64_MAX;
	h->max = 0;
	h->sum = 0;
}

void l7sim_hist_record_n(struct l7sim_hist *h, uint64_t value, uint64_t n)
{
	if (n == 0)
		return;
	h->counts[l7sim_hist_bucket(h->sub_bits, value)] += n;
	h->count += n;
	h->sum += (double)value * (double)n;
	if (value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
}

int l7sim_hist_merge(struct l7sim_hist *dst, const struct l7sim_hist *src)
{
	if (dst->sub_bits != src->sub_bits)
		return L7_EINVAL;
	for (uint32_t i = 0; i < dst->nbuckets; i++)
		dst->counts[i] += src->counts[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	return 0;
}

uint64_t l7sim_hist_rank(double p, uint64_t count)
{
	if (count == 0)
		return 0;
	double r = p / 100.0 * (double)count;
	/* 99.9 / 100 * 1000 is 999.0000000000001 in binary: snap values that
	 * are integers up to rounding, so ceil does not skip a rank. */
	double nearest = floor(r + 0.5);
	if (fabs(r - nearest) <= 1e-9 * (nearest > 1 ? nearest : 1))
		r = nearest;
	r = ceil(r);
	if (r < 1)
		return 1;
	if (r >= (double)count)
		return count;
	return (uint64_t)r;
}

uint64_t l7sim_hist_percentile(const struct l7sim_hist *h, double p)
{
	if (h->count == 0)
		return 0;
	if (p < 0)
		p = 0;
	if (p > 100)
		p = 100;
	uint64_t rank = l7sim_hist_rank(p, h->count);
	/* The extreme ranks are known exactly. */
	if (rank == 1)
		return h->min;
	if (rank == h->count)
		return h->max;
	uint64_t seen = 0;
	for (uint32_t i = 0; i < h->nbuckets; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			uint64_t lo, w;
			l7sim_hist_bucket_range(h->sub_bits, i, &lo, &w);
			uint64_t v = lo + w / 2;
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max;
}

double l7sim_hist_mean(const struct l7sim_hist *h)
{
	return h->count ? h->sum / (double)h->count : 0.0;
}

double l7sim_hist_max_rel_error(const struct l7sim_hist *h)
{
	return ldexp(1.0, -(int)h->sub_bits - 1);
}
