/*
 * strmap.c — a build-once, read-many map from strings to small integers
 * (domains to virtual hosts, exact paths to route lists).
 *
 * Open addressing with linear probing at load factor <= 1/2; each slot keeps
 * the full 64-bit hash so most probes compare one integer and no bytes.
 * Invariant: keys are never removed (the router is rebuilt, not edited), so
 * no tombstones are needed and a probe ends at the first empty slot.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "route_internal.h"

#define STRMAP_SEED 0x6c37726f757465ull /* "l7route" */

static uint64_t key_hash(const struct l7r_strmap *m, const char *key, size_t len)
{
	return l7r_hash_words(key, len, m->ci) ^ STRMAP_SEED;
}

int l7r_strmap_init(struct l7r_strmap *m, size_t expected, bool ci)
{
	size_t cap = 8;
	while (cap < expected * 2 + 2)
		cap <<= 1;
	if (cap > (1u << 30))
		return L7_ENOMEM;
	m->slots = calloc(cap, sizeof *m->slots);
	if (!m->slots)
		return L7_ENOMEM;
	m->mask = (uint32_t)(cap - 1);
	m->count = 0;
	m->ci = ci;
	return 0;
}

void l7r_strmap_free(struct l7r_strmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof *m);
}

static bool key_equal(const struct l7r_strmap *m, const struct l7r_strmap_slot *s,
		      const char *key, size_t len)
{
	if (s->key_len != len)
		return false;
	if (!m->ci)
		return memcmp(s->key, key, len) == 0;
	return l7r_equal_lower(s->key, key, len); /* ci keys are stored lowered */
}

uint32_t l7r_strmap_get(const struct l7r_strmap *m, const char *key, size_t len)
{
	if (!m->slots || m->count == 0)
		return L7_NONE;
	uint64_t h = key_hash(m, key, len);
	for (uint32_t i = (uint32_t)h & m->mask;; i = (i + 1) & m->mask) {
		const struct l7r_strmap_slot *s = &m->slots[i];
		if (!s->key)
			return L7_NONE;
		if (s->hash == h && key_equal(m, s, key, len))
			return s->value;
	}
}

int l7r_strmap_put(struct l7r_strmap *m, const char *key, size_t len, uint32_t value)
{
	if (!m->slots || (size_t)(m->count + 1) * 2 > (size_t)m->mask + 1)
		return L7_EFULL; /* sized by init; the loader counts first */
	uint64_t h = key_hash(m, key, len);
	for (uint32_t i = (uint32_t)h & m->mask;; i = (i + 1) & m->mask) {
		struct l7r_strmap_slot *s = &m->slots[i];
		if (!s->key) {
			s->hash = h;
			s->key = key;
			s->key_len = (uint32_t)len;
			s->value = value;
			m->count++;
			return 0;
		}
		if (s->hash == h && key_equal(m, s, key, len))
			return L7_EEXIST;
	}
}
