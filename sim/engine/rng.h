/*
 * rng.h — per-component random number streams and the samplers l7sim uses.
 *
 * A stream is xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom
 * number generators", ACM TOMS 47(4), 2021) whose 256-bit state is filled by
 * splitmix64 (Steele, Lea & Flood, OOPSLA 2014) from a key that mixes the
 * run's global seed with the component's 64-bit id. A stream depends only on
 * (global seed, component id): creating components in another order, or
 * adding one, never shifts anybody else's stream (docs/engine.md).
 *
 * Invariants: no global state; the same (seed, id) and the same sequence of
 * calls give bit-identical results on every run and platform with IEEE-754
 * doubles and a correctly rounded libm log/exp/pow (glibc).
 */
#ifndef L7SIM_ENGINE_RNG_H
#define L7SIM_ENGINE_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct l7sim_rng {
	uint64_t s[4];
};

/* One step of splitmix64 on *state; also the seeding mixer. */
uint64_t l7sim_splitmix64(uint64_t *state);

/* A stable 64-bit component id from a name ("frontend/3"): FNV-1a 64. */
uint64_t l7sim_rng_id(const char *name);

/* Seed the stream of component `id` under the run's `global_seed`. */
void l7sim_rng_init(struct l7sim_rng *r, uint64_t global_seed, uint64_t id);

/* Next raw 64-bit output of xoshiro256**. */
static inline uint64_t l7sim_rng_next(struct l7sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t x = s[1] * 5;
	uint64_t result = ((x << 7) | (x >> 57)) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return result;
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double l7sim_rng_u01(struct l7sim_rng *r)
{
	return (double)(l7sim_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n) without modulo bias; n == 0 returns 0. */
uint64_t l7sim_rng_below(struct l7sim_rng *r, uint64_t n);

/* Uniform integer in [lo, hi] (inclusive); lo > hi returns lo. */
uint64_t l7sim_rng_range(struct l7sim_rng *r, uint64_t lo, uint64_t hi);

/* Exponential with the given mean (inversion: -mean * ln(1 - U)). */
double l7sim_rng_exp(struct l7sim_rng *r, double mean);

/* Standard normal (Marsaglia polar method; the second variate is dropped). */
double l7sim_rng_normal(struct l7sim_rng *r);

/* Lognormal: exp(mu + sigma * N(0,1)); mu, sigma of the underlying normal. */
double l7sim_rng_lognormal(struct l7sim_rng *r, double mu, double sigma);

/* Pareto type I with scale xm > 0 and shape alpha > 0 (inversion). */
double l7sim_rng_pareto(struct l7sim_rng *r, double xm, double alpha);

/*
 * Zipf on {1..n} with P(k) proportional to k^-s, s > 0, by rejection-inversion
 * (Hörmann & Derflinger, "Rejection-inversion to generate variates from
 * monotone discrete distributions", ACM TOMACS 6(3), 1996): O(1) memory and
 * O(1) expected time for any n; s == 1 is handled through expm1/log1p forms.
 */
struct l7sim_zipf {
	uint64_t n;
	double s;
	double h_x1;   /* H(1.5) - 1 */
	double h_n;    /* H(n + 0.5) */
	double s_cut;  /* acceptance shortcut: 2 - Hinv(H(2.5) - 2^-s) */
};

/* Returns 0, or L7_EINVAL (as a negative int) when n == 0 or s <= 0. */
int l7sim_zipf_init(struct l7sim_zipf *z, uint64_t n, double s);
uint64_t l7sim_zipf_sample(const struct l7sim_zipf *z, struct l7sim_rng *r);

#ifdef __cplusplus
}
#endif
#endif
