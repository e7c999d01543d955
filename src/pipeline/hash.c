/*
 * hash.c — the switch's hash units: CRC8, CRC16, CRC32 (IEEE) and five more
 * CRC-32 polynomials for sketch/Bloom rows, plus a keyed 64-bit mix.
 *
 * Invariants: the CRCs give the catalogue check values for "123456789"
 * (CRC-8 0xF4, CRC-16/ARC-style poly 0x8005 unreflected "BUYPASS" 0xFEE8,
 * CRC-32 0xCBF43926), so a model result can be compared with a P4 target
 * that names the same algorithm. Inputs are fields packed big-endian, in
 * whole bytes, the way a hash over a P4 field list sees them.
 */
#include "pl_internal.h"

/* Row polynomials (normal form). Row 0 is IEEE 802.3 CRC-32; the others
 * are CRC-32C (Castagnoli), CRC-32K (Koopman), CRC-32Q, CRC-32D and
 * CRC-32/XFER — distinct generators give the rows different index maps. */
static const uint32_t row_poly[L7_PL_MAX_CMS_ROWS] = {
	0x04C11DB7u, 0x1EDC6F41u, 0x741B8CD7u, 0x814141ABu, 0xA833982Bu, 0x000000AFu,
};

static uint32_t reflect32(uint32_t v)
{
	uint32_t r = 0;
	for (int i = 0; i < 32; i++)
		if (v & (1u << i))
			r |= 1u << (31 - i);
	return r;
}

void pl_hash_init(struct l7_pipeline *pl)
{
	for (unsigned i = 0; i < 256; i++) {
		uint8_t c8 = (uint8_t)i;
		for (int k = 0; k < 8; k++)
			c8 = (uint8_t)((c8 & 0x80) ? (c8 << 1) ^ 0x07 : c8 << 1);
		pl->crc8[i] = c8;
		uint16_t c16 = (uint16_t)(i << 8);
		for (int k = 0; k < 8; k++)
			c16 = (uint16_t)((c16 & 0x8000) ? (c16 << 1) ^ 0x8005 : c16 << 1);
		pl->crc16[i] = c16;
		for (unsigned r = 0; r < L7_PL_MAX_CMS_ROWS; r++) {
			uint32_t rp = reflect32(row_poly[r]);
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = (c & 1) ? (c >> 1) ^ rp : c >> 1;
			pl->crc32[r][i] = c;
		}
	}
}

uint32_t pl_crc8(const struct l7_pipeline *pl, const uint8_t *b, size_t n)
{
	uint8_t c = 0;
	for (size_t i = 0; i < n; i++)
		c = pl->crc8[c ^ b[i]];
	return c;
}

uint32_t pl_crc16(const struct l7_pipeline *pl, const uint8_t *b, size_t n)
{
	uint16_t c = 0;
	for (size_t i = 0; i < n; i++)
		c = (uint16_t)((c << 8) ^ pl->crc16[((c >> 8) ^ b[i]) & 0xff]);
	return c;
}

uint32_t pl_crc32_row(const struct l7_pipeline *pl, unsigned row, const uint8_t *b, size_t n)
{
	const uint32_t *t = pl->crc32[row];
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++)
		c = (c >> 8) ^ t[(c ^ b[i]) & 0xff];
	return c ^ 0xffffffffu;
}

/* A keyed mix: 8-byte words xored into a state seeded by the key and
 * stirred with multiply/xorshift rounds. Not cryptographic: it models a
 * switch hash unit seeded with a secret (Tofino's hash units take a
 * configurable seed), not the tcp module's SYN-cookie MAC. */
static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

uint64_t pl_keyed64(uint64_t key, const uint8_t *b, size_t n)
{
	uint64_t h = mix64(key ^ 0x6a09e667f3bcc908ull) ^ (uint64_t)n;
	size_t i = 0;
	while (i < n) {
		uint64_t w = 0;
		for (unsigned k = 0; k < 8 && i < n; k++, i++)
			w |= (uint64_t)b[i] << (8 * k);
		h = mix64(h ^ w) + key;
	}
	return mix64(h ^ key);
}

size_t pl_pack_fields(const struct l7_pipeline *pl, const int16_t *src, unsigned n,
		      const uint64_t *values, uint8_t *out)
{
	size_t len = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned bytes = (pl->field[src[i]].width + 7u) / 8u;
		uint64_t v = values[i];
		for (unsigned k = bytes; k-- > 0;)
			out[len++] = (uint8_t)(v >> (8 * k));
	}
	return len;
}

uint64_t pl_key_prefix64(const uint8_t *b, size_t n)
{
	uint64_t k = 0;
	for (size_t i = 0; i < n && i < 8; i++)
		k = k << 8 | b[i];
	return k;
}
