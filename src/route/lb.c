/*
 * lb.c — the load-balancing policies of a cluster: smooth weighted round
 * robin, least request (power of choices), weighted random, ring hash and
 * Maglev. Table builds run on the control path (endpoint updates) in memory
 * sized at cluster creation; picks run on the data path and never allocate.
 *
 * Invariant: ring and Maglev tables depend only on the set of eligible
 * endpoints (their stable ids and weights), not on insertion order or slots,
 * so two front-ends with the same set agree on every key.
 *
 * - Smooth WRR is nginx's algorithm (ngx_http_upstream_round_robin.c, "smooth
 *   weighted round-robin balancing", nginx 1.7.2 changelog): each pick adds
 *   every weight to its current value, takes the largest (first on ties) and
 *   subtracts the total from it. Weights 5,1,1 give a a b a c a a.
 * - Least request samples choice_count endpoints with replacement and keeps
 *   the one with the fewest requests in flight (Mitzenmacher, "The power of
 *   two choices in randomized load balancing", IEEE TPDS 2001; Envoy's
 *   LEAST_REQUEST with choice_count, default 2).
 * - Ring hash is ketama-style consistent hashing (Karger et al., STOC'97;
 *   libketama): an endpoint of weight w owns round(V * w / w_avg) points
 *   (V = ring_vnodes, ketama's 160), so with equal weights its points do not
 *   depend on how many other endpoints there are and removing one endpoint
 *   moves only that endpoint's keys. A key goes to the first point at or
 *   after its hash, wrapping.
 * - Maglev follows Eisenbud et al., NSDI'16, §3.4: offset = h1(id) mod M,
 *   skip = h2(id) mod (M-1) + 1, endpoint i's preference list is
 *   (offset + j*skip) mod M, and endpoints take turns claiming their next
 *   unclaimed preference until the M entries are full. Weights give
 *   turns in proportion (an endpoint claims when its credit reaches the
 *   largest weight), as the paper suggests for weighted backends.
 */
#include <stdlib.h>
#include <string.h>

#include "route_internal.h"

#define RING_SEED 0x72696e67ull   /* "ring" */
#define MAGLEV_SEED1 0x6d61676c31ull
#define MAGLEV_SEED2 0x6d61676c32ull

bool l7r_is_prime(uint32_t n)
{
	if (n < 2)
		return false;
	for (uint32_t d = 2; (uint64_t)d * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

/* ---------------------------------------------------------------- WRR */

uint32_t l7r_wrr_pick(struct l7_cluster *c)
{
	struct l7r_ep *best = NULL;
	uint32_t best_slot = L7_NONE;
	for (uint32_t i = 0; i < c->n_elig; i++) {
		struct l7r_ep *e = &c->eps[c->elig[i]];
		e->current += e->weight;
		if (!best || e->current > best->current) {
			best = e;
			best_slot = c->elig[i];
		}
	}
	best->current -= (int64_t)c->total_weight;
	return best_slot;
}

/* ---------------------------------------------------------------- LR */

uint32_t l7r_lr_pick(struct l7_cluster *c)
{
	uint32_t best = L7_NONE;
	for (uint32_t k = 0; k < c->choice_count; k++) {
		uint32_t s = c->elig[l7_route_rng_next(&c->rng) % c->n_elig];
		if (best == L7_NONE || c->eps[s].in_flight < c->eps[best].in_flight)
			best = s;
	}
	return best;
}

/* ---------------------------------------------------------------- random */

uint32_t l7r_random_pick(struct l7_cluster *c)
{
	uint64_t x = l7_route_rng_next(&c->rng) % c->total_weight;
	uint32_t lo = 0, hi = c->n_elig - 1; /* first i with cum[i] > x */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (c->cum[mid] > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return c->elig[lo];
}

/* ---------------------------------------------------------------- ring */

static int cmp_point(const void *a, const void *b, void *ctx)
{
	const struct l7r_ring_point *x = a, *y = b;
	const struct l7_cluster *c = ctx;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	uint64_t ix = c->eps[x->slot].id, iy = c->eps[y->slot].id;
	return ix < iy ? -1 : (ix > iy);
}

static uint64_t point_hash(uint64_t id, uint32_t j)
{
	unsigned char b[12];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(id >> (8 * i));
	for (int i = 0; i < 4; i++)
		b[8 + i] = (unsigned char)(j >> (8 * i));
	return l7_route_hash(b, sizeof b, RING_SEED);
}

int l7r_ring_build(struct l7_cluster *c)
{
	c->ring_n = 0;
	for (uint32_t i = 0; i < c->n_elig; i++) {
		const struct l7r_ep *e = &c->eps[c->elig[i]];
		/* round(V * w / w_avg) = round(V * w * n / total), at least one */
		uint64_t pts = ((uint64_t)c->ring_vnodes * e->weight * c->n_elig * 2 +
				c->total_weight) / (2 * c->total_weight);
		if (pts == 0)
			pts = 1;
		for (uint32_t j = 0; j < pts && c->ring_n < c->ring_cap; j++) {
			c->ring[c->ring_n].hash = point_hash(e->id, j);
			c->ring[c->ring_n].slot = c->elig[i];
			c->ring_n++;
		}
	}
	qsort_r(c->ring, c->ring_n, sizeof *c->ring, cmp_point, c);
	return 0;
}

uint32_t l7r_ring_pick(const struct l7_cluster *c, uint64_t hash)
{
	uint32_t lo = 0, hi = c->ring_n; /* first point with hash >= key */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (c->ring[mid].hash < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	return c->ring[lo == c->ring_n ? 0 : lo].slot;
}

/* ---------------------------------------------------------------- Maglev */

static int cmp_slot_by_id(const void *a, const void *b, void *ctx)
{
	const struct l7_cluster *c = ctx;
	uint64_t x = c->eps[*(const uint32_t *)a].id, y = c->eps[*(const uint32_t *)b].id;
	return x < y ? -1 : (x > y);
}

int l7r_maglev_build(struct l7_cluster *c)
{
	const uint32_t m = c->m, n = c->n_elig;
	/* m_work holds, per endpoint sorted by id: slot, skip, and the entry
	 * its preference list is at (offset + j*skip mod M, advanced by one
	 * addition and a conditional subtraction instead of a division) */
	uint32_t *w = c->m_work;
	for (uint32_t i = 0; i < m; i++)
		c->mtable[i] = L7_NONE;
	if (n == 0)
		return 0;
	uint32_t wmax = 0;
	for (uint32_t i = 0; i < n; i++)
		if (c->eps[c->elig[i]].weight > wmax)
			wmax = c->eps[c->elig[i]].weight;
	/* population order is by stable id, not by insertion (see top) */
	uint32_t *ids = c->m_work + 4 * (size_t)c->cap; /* fifth column */
	memcpy(ids, c->elig, n * sizeof *ids);
	qsort_r(ids, n, sizeof *ids, cmp_slot_by_id, c);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t id = c->eps[ids[i]].id;
		w[4 * i] = ids[i];
		w[4 * i + 1] = (uint32_t)(l7r_mix64(id ^ MAGLEV_SEED2) % (m - 1)) + 1; /* skip */
		w[4 * i + 2] = (uint32_t)(l7r_mix64(id ^ MAGLEV_SEED1) % m);         /* offset */
		c->m_credit[i] = 0;
	}
	uint32_t filled = 0;
	while (filled < m) {
		for (uint32_t i = 0; i < n && filled < m; i++) {
			uint32_t slot = w[4 * i];
			c->m_credit[i] += c->eps[slot].weight;
			if (c->m_credit[i] < wmax)
				continue;
			c->m_credit[i] -= wmax;
			uint32_t e = w[4 * i + 2], skip = w[4 * i + 1];
			while (c->mtable[e] != L7_NONE)
				e = e >= m - skip ? e - (m - skip) : e + skip;
			c->mtable[e] = slot;
			w[4 * i + 2] = e >= m - skip ? e - (m - skip) : e + skip;
			filled++;
		}
	}
	return 0;
}

uint32_t l7r_maglev_pick(const struct l7_cluster *c, uint64_t hash)
{
	return c->mtable[hash % c->m];
}
