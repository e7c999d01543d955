/*
 * csum.c — Internet checksums (RFC 1071), pseudo-headers, RFC 1624
 * incremental updates, and verification of a parsed packet.
 *
 * Invariant: every value crossing the API is the numeric value of the
 * big-endian 16-bit field. Internally l7_csum_partial() sums native-order
 * words (the ones'-complement sum is byte-order independent, RFC 1071 §2(B))
 * and swaps once at the end, which keeps the loop to plain 32-bit adds.
 */
#include "l7splice/packet.h"

static uint32_t fold32(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint32_t l7_csum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *b = data;
	uint64_t s = 0;
	uint32_t w;
	uint16_t h;

	/* 16-bit words into 32-bit partial sums, in blocks short enough that a
	 * 32-bit sum cannot overflow (65535 * 32768 < 2^31); compilers
	 * vectorise this shape well (widening adds). */
	while (len >= 2) {
		size_t words = len / 2 > 32768 ? 32768 : len / 2;
		uint32_t blk = 0;

		for (size_t i = 0; i < words; i++) {
			memcpy(&h, b + 2 * i, 2);
			blk += h;
		}
		s += blk;
		b += 2 * words;
		len -= 2 * words;
	}
	if (len) {
		/* An odd last byte is the high byte of a zero-padded BE word. */
		uint8_t pad[2] = { b[0], 0 };

		memcpy(&h, pad, 2);
		s += h;
	}
	w = fold32(s);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	w = (uint32_t)(((w & 0xff) << 8) | (w >> 8));
#endif
	return fold32((uint64_t)sum + w);
}

uint16_t l7_csum_fold(uint32_t sum)
{
	return (uint16_t)~fold32(sum);
}

uint32_t l7_csum_pseudo_v4(const struct l7_addr *src, const struct l7_addr *dst,
			   uint8_t proto, uint32_t l4_len)
{
	uint64_t s = 0;

	s += l7_get_be16(src->b + 12) + l7_get_be16(src->b + 14);
	s += l7_get_be16(dst->b + 12) + l7_get_be16(dst->b + 14);
	s += proto;
	s += l4_len & 0xffff;
	return fold32(s);
}

uint32_t l7_csum_pseudo_v6(const struct l7_addr *src, const struct l7_addr *dst,
			   uint8_t proto, uint32_t l4_len)
{
	uint64_t s = 0;

	for (int i = 0; i < 16; i += 2)
		s += l7_get_be16(src->b + i) + l7_get_be16(dst->b + i);
	s += l4_len >> 16;
	s += l4_len & 0xffff;
	s += proto;
	return fold32(s);
}

uint16_t l7_csum_ipv4_hdr(const uint8_t *ip, size_t hlen)
{
	uint32_t s = l7_csum_partial(ip, hlen, 0);

	/* Take the stored checksum back out: s - c == s + ~c. */
	s += (uint16_t)~l7_get_be16(ip + 10);
	return l7_csum_fold(s);
}

/* Sum of pseudo-header and the L4 segment with its checksum field zeroed. */
static uint32_t l4_sum(const struct l7_pkt *p, uint32_t l4_len, uint32_t csum_at)
{
	const uint8_t *l4 = p->data + p->l4_off;
	uint32_t s;

	if (p->ip_version == 4)
		s = l7_csum_pseudo_v4(&p->src, &p->dst, p->proto, l4_len);
	else
		s = l7_csum_pseudo_v6(&p->src, &p->dst, p->proto, l4_len);
	s = l7_csum_partial(l4, l4_len, s);
	s += (uint16_t)~l7_get_be16(l4 + csum_at);
	return s;
}

/* L4 length and checksum offset, or a negative code if not computable. */
static int l4_geometry(const struct l7_pkt *p, uint32_t *l4_len, uint32_t *csum_at)
{
	if ((p->layers & (L7_PKT_L3 | L7_PKT_L4)) != (L7_PKT_L3 | L7_PKT_L4))
		return L7_EINVAL;
	if (p->proto == L7_IPPROTO_TCP)
		*csum_at = 16;
	else if (p->proto == L7_IPPROTO_UDP)
		*csum_at = 6;
	else
		return L7_EINVAL;
	if (p->payload_caplen < p->payload_len)
		return L7_ETRUNCATED;
	*l4_len = p->payload_off - p->l4_off + p->payload_len;
	return 0;
}

int l7_csum_l4(const struct l7_pkt *p)
{
	uint32_t len, at;
	int rc = l4_geometry(p, &len, &at);
	uint16_t c;

	if (rc)
		return rc;
	c = l7_csum_fold(l4_sum(p, len, at));
	if (p->proto == L7_IPPROTO_UDP && c == 0)
		c = 0xffff; /* RFC 768: 0 means "no checksum" */
	return c;
}

uint16_t l7_csum_update16(uint16_t csum, uint16_t old_w, uint16_t new_w)
{
	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). */
	uint32_t s = (uint16_t)~csum;

	s += (uint16_t)~old_w;
	s += new_w;
	return l7_csum_fold(s);
}

uint16_t l7_csum_update32(uint16_t csum, uint32_t old_w, uint32_t new_w)
{
	uint32_t s = (uint16_t)~csum;

	s += (uint16_t)~(old_w >> 16);
	s += (uint16_t)~old_w;
	s += new_w >> 16;
	s += new_w & 0xffff;
	return l7_csum_fold(s);
}

uint16_t l7_csum_update_bytes(uint16_t csum, const uint8_t *old_b,
			      const uint8_t *new_b, size_t len)
{
	uint64_t s = (uint16_t)~csum;

	for (size_t i = 0; i + 1 < len; i += 2) {
		s += (uint16_t)~l7_get_be16(old_b + i);
		s += l7_get_be16(new_b + i);
	}
	if (len & 1) { /* a last odd byte is the high half of its word */
		s += (uint16_t)~(old_b[len - 1] << 8);
		s += (uint16_t)(new_b[len - 1] << 8);
	}
	return l7_csum_fold(fold32(s));
}

/* Widen the span to whole 16-bit words of the checksummed area, so a field
 * at an odd offset (a TCP option) updates the right halves of its words. */
void l7_csum_replace(uint8_t *base, size_t off, const uint8_t *val, size_t n,
		     uint16_t *csum)
{
	while (n > 32) { /* keep each span within old[] */
		l7_csum_replace(base, off, val, 32, csum);
		off += 32;
		val += 32;
		n -= 32;
	}
	size_t start = off & ~(size_t)1;
	size_t end = (off + n + 1) & ~(size_t)1;
	uint8_t old[40];
	memcpy(old, base + start, end - start);
	memcpy(base + off, val, n);
	*csum = l7_csum_update_bytes(*csum, old, base + start, end - start);
}

int l7_pkt_csum_verify(const struct l7_pkt *p)
{
	int res = 0;
	uint32_t len, at;

	if (!(p->layers & L7_PKT_L3))
		return L7_EINVAL;
	if (p->ip_version == 4 &&
	    l7_csum_fold(l7_csum_partial(p->data + p->l3_off, p->l3_hdr_len, 0)) != 0)
		res |= L7_CSUM_IP_BAD;
	if (l4_geometry(p, &len, &at) != 0 ||
	    (p->flags & (L7_PKT_F_TSO | L7_PKT_F_FRAG))) {
		return res | L7_CSUM_L4_SKIPPED;
	}
	if (p->proto == L7_IPPROTO_UDP && l7_get_be16(p->data + p->l4_off + 6) == 0) {
		if (p->ip_version == 4)
			return res | L7_CSUM_L4_SKIPPED;
		return res | L7_CSUM_L4_BAD; /* mandatory over IPv6 (RFC 8200 §8.1) */
	}
	if (l7_csum_fold(l7_csum_partial(p->data + p->l4_off, len,
					 p->ip_version == 4 ?
					 l7_csum_pseudo_v4(&p->src, &p->dst, p->proto, len) :
					 l7_csum_pseudo_v6(&p->src, &p->dst, p->proto, len))) != 0)
		res |= L7_CSUM_L4_BAD;
	return res;
}
