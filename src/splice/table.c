/*
 * table.c — the engine's fixed-capacity flow table: open addressing with
 * linear probing and backward-shift deletion (no tombstones, so probe
 * lengths never grow with churn), keyed by the packet layer's 37-byte
 * directional flow key. Sized at create time to 4 slots per possible key
 * (two per connection, one per old leg), so it can never fill up.
 *
 * Invariant: keys live in the connections (ckey/skey) and in the old-leg
 * pool; a slot stores the key's hash and "index << 2 | direction" (a
 * connection index, or an old-leg index for DIR_OLD). Lookups compare the
 * hash, then the full key. Single-threaded by design (one engine per core,
 * like LB-NIC's per-core state); the concurrent cuckoo table is src/table.
 */
#include <string.h>

#include "splice_int.h"

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v * 0x9e3779b97f4a7c15ull;
	h = (h << 29 | h >> 35) * 0xbf58476d1ce4e5b9ull;
	return h;
}

uint32_t splice_key_hash(const struct l7_flow_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	/* The IPv4-mapped prefix is constant; the last 8 bytes of each address
	 * carry the IPv4 address, and for IPv6 all four words are mixed. */
	uint64_t h = 0x243f6a8885a308d3ull;
	h = mix(h, load64(b));
	h = mix(h, load64(b + 8));
	h = mix(h, load64(b + 16));
	h = mix(h, load64(b + 24));
	uint64_t tail = (uint64_t)b[32] | (uint64_t)b[33] << 8 | (uint64_t)b[34] << 16 |
			(uint64_t)b[35] << 24 | (uint64_t)b[36] << 32;
	h = mix(h, tail);
	h ^= h >> 31;
	return (uint32_t)h ^ (uint32_t)(h >> 32);
}

const struct l7_flow_key *splice_conn_key(const struct l7_splice *s, uint32_t val)
{
	if ((val & 3) == DIR_OLD)
		return &s->olds[val >> 2].key;
	const struct conn *c = &s->conns[val >> 2];
	return (val & 3) == DIR_C2S ? &c->ckey : &c->skey;
}

uint32_t splice_table_find(const struct l7_splice *s, const struct l7_flow_key *k, uint32_t h)
{
	for (uint32_t i = h & s->slot_mask;; i = (i + 1) & s->slot_mask) {
		const struct slot *sl = &s->slots[i];
		if (sl->val == SLOT_EMPTY)
			return SLOT_EMPTY;
		if (sl->hash == h && memcmp(splice_conn_key(s, sl->val), k, sizeof(*k)) == 0)
			return sl->val;
	}
}

int splice_table_insert(struct l7_splice *s, const struct l7_flow_key *k, uint32_t val)
{
	uint32_t h = splice_key_hash(k);
	if (splice_table_find(s, k, h) != SLOT_EMPTY)
		return L7_EEXIST;
	uint32_t i = h & s->slot_mask;
	while (s->slots[i].val != SLOT_EMPTY)
		i = (i + 1) & s->slot_mask;
	s->slots[i].hash = h;
	s->slots[i].val = val;
	return 0;
}

void splice_table_remove(struct l7_splice *s, const struct l7_flow_key *k)
{
	uint32_t h = splice_key_hash(k), i;
	for (i = h & s->slot_mask;; i = (i + 1) & s->slot_mask) {
		if (s->slots[i].val == SLOT_EMPTY)
			return;
		if (s->slots[i].hash == h &&
		    memcmp(splice_conn_key(s, s->slots[i].val), k, sizeof(*k)) == 0)
			break;
	}
	/* Backward shift: pull later entries of the probe run into the hole
	 * when their home slot does not lie cyclically in (hole, j]. */
	uint32_t hole = i;
	for (uint32_t j = (hole + 1) & s->slot_mask; s->slots[j].val != SLOT_EMPTY;
	     j = (j + 1) & s->slot_mask) {
		uint32_t home = s->slots[j].hash & s->slot_mask;
		uint32_t d_home = (j - home) & s->slot_mask;
		uint32_t d_hole = (j - hole) & s->slot_mask;
		if (d_home >= d_hole) {
			s->slots[hole] = s->slots[j];
			hole = j;
		}
	}
	s->slots[hole].val = SLOT_EMPTY;
}
