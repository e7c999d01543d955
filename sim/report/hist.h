/*
 * hist.h — latency histograms with bounded relative error: a log-linear
 * bucket layout in the spirit of HdrHistogram (Gil Tene): values below
 * 2^(B+1) get exact unit buckets; above, every power-of-two range
 * [2^k, 2^(k+1)) is cut into 2^B equal buckets. B = sub_bits.
 *
 * Error bound: a bucket of width w = 2^s starts at lo >= 2^(B+s), and a
 * percentile is reported as the bucket's midpoint lo + w/2 (clamped to the
 * exact min and max recorded; the first and last ranks return the exact
 * min and max), so |reported - true| <= w/2 and the relative error is at
 * most 2^-(B+1): 0.39 % for the default B = 7. Percentiles use
 * the nearest-rank definition: the value of rank ceil(p/100 * count).
 *
 * Memory: (65 - B) * 2^B counters (58 KB for B = 7), allocated at init;
 * recording never allocates and is O(1).
 */
#ifndef L7SIM_REPORT_HIST_H
#define L7SIM_REPORT_HIST_H

#include <stdint.h>

#define L7SIM_HIST_SUB_BITS 7

struct l7sim_hist {
	uint64_t *counts;
	uint32_t nbuckets;
	unsigned sub_bits;
	uint64_t count;
	uint64_t min;
	uint64_t max;
	double sum;
};

/* sub_bits in 1..16 (0 = L7SIM_HIST_SUB_BITS). */
int l7sim_hist_init(struct l7sim_hist *h, unsigned sub_bits);
void l7sim_hist_fini(struct l7sim_hist *h);
void l7sim_hist_reset(struct l7sim_hist *h);

void l7sim_hist_record_n(struct l7sim_hist *h, uint64_t value, uint64_t n);
static inline void l7sim_hist_record(struct l7sim_hist *h, uint64_t value)
{
	l7sim_hist_record_n(h, value, 1);
}

/* Add src's counts to dst; L7_EINVAL if their sub_bits differ. */
int l7sim_hist_merge(struct l7sim_hist *dst, const struct l7sim_hist *src);

/* The nearest rank (1-based) of percentile p among count values. */
uint64_t l7sim_hist_rank(double p, uint64_t count);

/* Nearest-rank percentile, p in [0, 100]; 0 for an empty histogram. */
uint64_t l7sim_hist_percentile(const struct l7sim_hist *h, double p);
double l7sim_hist_mean(const struct l7sim_hist *h);

/* The bound on |reported - exact| / exact for this layout: 2^-(B+1). */
double l7sim_hist_max_rel_error(const struct l7sim_hist *h);

/* Bucket of a value and the [lo, lo + width) range of a bucket. */
uint32_t l7sim_hist_bucket(unsigned sub_bits, uint64_t value);
void l7sim_hist_bucket_range(unsigned sub_bits, uint32_t idx, uint64_t *lo, uint64_t *width);

#endif
