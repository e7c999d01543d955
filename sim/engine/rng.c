/*
 * rng.c — stream seeding and the non-inline samplers of rng.h.
 *
 * Invariant: every sampler consumes a deterministic number of raw outputs
 * for a given sequence of raw outputs (rejection loops included), so two
 * runs with the same seed take identical paths.
 */
#include <math.h>

#include "l7splice/common.h"
#include "engine/rng.h"

uint64_t l7sim_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t l7sim_rng_id(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return h;
}

void l7sim_rng_init(struct l7sim_rng *r, uint64_t global_seed, uint64_t id)
{
	/* Hash seed and id separately, then combine, so (seed, id) and
	 * (id, seed) give different streams and nearby ids are unrelated. */
	uint64_t a = global_seed, b = id ^ 0x6a09e667f3bcc909ULL;
	uint64_t key = l7sim_splitmix64(&a) ^ (l7sim_splitmix64(&b) * 0x9e3779b97f4a7c15ULL);
	for (int i = 0; i < 4; i++)
		r->s[i] = l7sim_splitmix64(&key);
	/* xoshiro's all-zero state is a fixed point; splitmix64 is a bijection
	 * of a counter, so four consecutive zeros cannot occur, but be explicit. */
	if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
		r->s[0] = 1;
}

uint64_t l7sim_rng_below(struct l7sim_rng *r, uint64_t n)
{
	if (n == 0)
		return 0;
	/* Reject the top (2^64 mod n) values so every residue is equally likely. */
	uint64_t threshold = (0 - n) % n;
	for (;;) {
		uint64_t x = l7sim_rng_next(r);
		if (x >= threshold)
			return x % n;
	}
}

uint64_t l7sim_rng_range(struct l7sim_rng *r, uint64_t lo, uint64_t hi)
{
	if (lo >= hi)
		return lo;
	uint64_t span = hi - lo;
	if (span == UINT64_MAX)
		return l7sim_rng_next(r);
	return lo + l7sim_rng_below(r, span + 1);
}

double l7sim_rng_exp(struct l7sim_rng *r, double mean)
{
	/* 1 - U is in (0, 1], so the log is finite. */
	return -mean * log1p(-l7sim_rng_u01(r));
}

double l7sim_rng_normal(struct l7sim_rng *r)
{
	for (;;) {
		double u = 2.0 * l7sim_rng_u01(r) - 1.0;
		double v = 2.0 * l7sim_rng_u01(r) - 1.0;
		double q = u * u + v * v;
		if (q > 0.0 && q < 1.0)
			return u * sqrt(-2.0 * log(q) / q);
	}
}

double l7sim_rng_lognormal(struct l7sim_rng *r, double mu, double sigma)
{
	return exp(mu + sigma * l7sim_rng_normal(r));
}

double l7sim_rng_pareto(struct l7sim_rng *r, double xm, double alpha)
{
	return xm * pow(1.0 - l7sim_rng_u01(r), -1.0 / alpha);
}

/* log1p(x)/x and expm1(x)/x, continuous at 0, keep H and Hinv accurate as
 * the exponent 1 - s approaches 0 (s near 1). */
static double log1p_over_x(double x)
{
	if (fabs(x) > 1e-8)
		return log1p(x) / x;
	return 1.0 - x * (0.5 - x / 3.0);
}

static double expm1_over_x(double x)
{
	if (fabs(x) > 1e-8)
		return expm1(x) / x;
	return 1.0 + x * (0.5 + x / 6.0);
}

/* H(x) = integral of t^-s from 1 to x = (x^(1-s) - 1) / (1 - s). */
static double zipf_H(double s, double x)
{
	double lx = log(x);
	return lx * expm1_over_x((1.0 - s) * lx);
}

/* Inverse of H. */
static double zipf_Hinv(double s, double y)
{
	double t = y * (1.0 - s);
	if (t < -1.0)
		t = -1.0; /* rounding guard: 1 + t must stay >= 0 */
	return exp(y * log1p_over_x(t));
}

int l7sim_zipf_init(struct l7sim_zipf *z, uint64_t n, double s)
{
	if (n == 0 || !(s > 0.0))
		return L7_EINVAL;
	z->n = n;
	z->s = s;
	z->h_x1 = zipf_H(s, 1.5) - 1.0;
	z->h_n = zipf_H(s, (double)n + 0.5);
	z->s_cut = 2.0 - zipf_Hinv(s, zipf_H(s, 2.5) - exp(-s * log(2.0)));
	return 0;
}

uint64_t l7sim_zipf_sample(const struct l7sim_zipf *z, struct l7sim_rng *r)
{
	for (;;) {
		/* U uniform on (H(n+0.5), H(1.5) - h(1)]: invert the hat. */
		double u = z->h_n + l7sim_rng_u01(r) * (z->h_x1 - z->h_n);
		double x = zipf_Hinv(z->s, u);
		double kd = floor(x + 0.5);
		uint64_t k;
		if (kd < 1.0)
			k = 1;
		else if (kd > (double)z->n)
			k = z->n;
		else
			k = (uint64_t)kd;
		/* Accept if x is close enough to k (cheap test), else compare U
		 * with the area of the hat left of k - 0.5 minus h(k). */
		if ((double)k - x <= z->s_cut ||
		    u >= zipf_H(z->s, (double)k + 0.5) - exp(-z->s * log((double)k)))
			return k;
	}
}
