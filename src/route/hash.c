/*
 * hash.c — the router's hash and random stream: FNV-1a over the bytes with
 * the murmur3 64-bit finaliser on top, and splitmix64.
 *
 * Why these: FNV-1a alone has weak low bits for short keys (hosts, paths),
 * and Maglev and ring hash take the value modulo a table size, so every
 * output is passed through the fmix64 avalanche (Appleby, MurmurHash3).
 * splitmix64 (Steele, Lea, Flood, OOPSLA'14) is a tiny stream with a 64-bit
 * state whose outputs are well mixed even for adjacent seeds.
 * Invariant: results depend only on the bytes and the seed (no per-process
 * randomisation), so tables built on two machines agree.
 */
#include <stdio.h>
#include <string.h>

#include "route_internal.h"

#define FNV64_BASIS 0xcbf29ce484222325ull
#define FNV64_PRIME 0x100000001b3ull

uint64_t l7r_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

uint64_t l7_route_hash(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = FNV64_BASIS ^ l7r_mix64(seed);
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV64_PRIME;
	}
	return l7r_mix64(h ^ len);
}

/* Eight bytes at a time, from memory of any alignment. */
static uint64_t load64(const char *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof w);
	return w;
}

/* ASCII upper case to lower case in all eight bytes at once: a byte gets
 * 0x20 added iff it lies in 'A'..'Z' (the classic SWAR range test on the
 * low seven bits, masked by the byte's own high bit). */
static uint64_t lower64(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t low7 = w & ~high;
	uint64_t ge_a = low7 + ones * (0x80 - 'A');
	uint64_t gt_z = low7 + ones * (0x7f - 'Z');
	return w | (((ge_a ^ gt_z) & ~w & high) >> 2);
}

uint64_t l7r_hash_words(const char *s, size_t len, bool ci)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t h = len * k, w;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		w = load64(s + i);
		h = (h ^ (ci ? lower64(w) : w)) * k;
		h ^= h >> 29;
	}
	if (i < len) {
		w = 0;
		memcpy(&w, s + i, len - i);
		h = (h ^ (ci ? lower64(w) : w)) * k;
	}
	return l7r_mix64(h);
}

bool l7r_equal_ci(const char *a, const char *b, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		if (lower64(load64(a + i)) != lower64(load64(b + i)))
			return false;
	if (i < n) {
		uint64_t x = 0, y = 0;
		memcpy(&x, a + i, n - i);
		memcpy(&y, b + i, n - i);
		return lower64(x) == lower64(y);
	}
	return true;
}

bool l7r_equal_lower(const char *lower, const char *b, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		if (load64(lower + i) != lower64(load64(b + i)))
			return false;
	if (i < n) {
		uint64_t x = 0, y = 0;
		memcpy(&x, lower + i, n - i);
		memcpy(&y, b + i, n - i);
		return x == lower64(y);
	}
	return true;
}

uint64_t l7_endpoint_id(const char *address, uint16_t port)
{
	char buf[L7_ENDPOINT_ADDR_MAX + 8];
	int n = snprintf(buf, sizeof buf, "%s:%u", address ? address : "", (unsigned)port);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof buf)
		n = (int)sizeof buf - 1;
	return l7_route_hash(buf, (size_t)n, 0);
}

int l7_endpoint_cookie_value(uint64_t id, char *buf, size_t buf_len)
{
	static const char hex[] = "0123456789abcdef";
	if (!buf || buf_len < 17)
		return L7_ENOSPC;
	for (int i = 0; i < 16; i++)
		buf[i] = hex[(id >> (60 - 4 * i)) & 0xf];
	buf[16] = '\0';
	return 0;
}

void l7_route_rng_seed(struct l7_route_rng *rng, uint64_t seed)
{
	rng->state = seed;
}

uint64_t l7_route_rng_next(struct l7_route_rng *rng)
{
	uint64_t z = (rng->state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
