/*
 * opts.c — in-place rewriting of raw TCP option bytes for a splicing agent:
 * every SACK block edge (wherever the SACK sits in the list), TSval/TSecr
 * offsets, MSS clamping and stripping options, each with an RFC 1624
 * incremental checksum update.
 *
 * Invariants: the whole option list is walked (a SACK after a timestamp or
 * after any number of NOPs is found); a malformed list (bad length, option
 * running past the area) stops the walk with L7_EBADOPT and never reads
 * outside `len` bytes; the checksum always matches the bytes as left.
 */
#include <string.h>

#include "l7splice/tcp.h"

void l7_csum_replace(uint8_t *base, size_t off, const uint8_t *val, size_t n,
		     uint16_t *csum)
{
	/* Widen the span to whole 16-bit words of the checksummed area, so an
	 * option at an odd offset updates the right halves of its words. */
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

static void put32_at(uint8_t *base, size_t off, uint32_t v, uint16_t *csum)
{
	uint8_t b[4];
	l7_put_be32(b, v);
	l7_csum_replace(base, off, b, 4, csum);
}

static void nop_out(uint8_t *base, size_t off, size_t n, uint16_t *csum)
{
	uint8_t nops[40];
	memset(nops, L7_TCPOPT_NOP, sizeof(nops));
	l7_csum_replace(base, off, nops, n, csum);
}

/* Rewrite one SACK option's blocks; 1 if a block became empty (then the
 * option is NOPed out: an empty or inverted block would confuse the peer). */
static int edit_sack(uint8_t *base, size_t off, size_t olen,
		     const struct l7_tcpopt_edit *e, uint16_t *csum)
{
	size_t nblk = (olen - 2) / 8;
	uint32_t edges[8];
	for (size_t i = 0; i < nblk * 2; i++) {
		uint32_t v = l7_get_be32(base + off + 2 + 4 * i);
		edges[i] = e->sack_map ? e->sack_map(e->sack_ctx, v, (int)(i & 1))
				       : v + e->sack_delta;
	}
	for (size_t i = 0; i < nblk; i++)
		if (!l7_seq_after(edges[2 * i + 1], edges[2 * i])) {
			nop_out(base, off, olen, csum);
			return 1;
		}
	for (size_t i = 0; i < nblk * 2; i++)
		put32_at(base, off + 2 + 4 * i, edges[i], csum);
	return 0;
}

int l7_tcpopt_edit(uint8_t *opts, size_t len, size_t opts_off,
		   const struct l7_tcpopt_edit *e, uint16_t *csum)
{
	uint8_t *base = opts - opts_off;
	int done = 0;
	size_t i = 0;
	while (i < len) {
		uint8_t kind = opts[i];
		if (kind == L7_TCPOPT_EOL)
			break;
		if (kind == L7_TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return L7_EBADOPT;
		size_t olen = opts[i + 1];
		if (olen < 2 || i + olen > len)
			return L7_EBADOPT;
		size_t off = opts_off + i;
		if (kind < 32 && (e->strip >> kind) & 1) {
			nop_out(base, off, olen, csum);
			done |= L7_TCPOPT_EDIT_STRIP;
		} else if (kind == L7_TCPOPT_SACK) {
			if (olen < 10 || (olen - 2) % 8 != 0)
				return L7_EBADOPT;
			if (e->sack_map || e->sack_delta) {
				if (edit_sack(base, off, olen, e, csum))
					done |= L7_TCPOPT_EDIT_SACK_DROPPED;
				done |= L7_TCPOPT_EDIT_SACK;
			}
		} else if (kind == L7_TCPOPT_TS) {
			if (olen != 10)
				return L7_EBADOPT;
			if (e->tsval_delta)
				put32_at(base, off + 2, l7_get_be32(base + off + 2) + e->tsval_delta, csum);
			if (e->tsecr_delta)
				put32_at(base, off + 6, l7_get_be32(base + off + 6) + e->tsecr_delta, csum);
			done |= L7_TCPOPT_EDIT_TS;
		} else if (kind == L7_TCPOPT_MSS) {
			if (olen != 4)
				return L7_EBADOPT;
			uint16_t mss = l7_get_be16(base + off + 2);
			if (e->mss_clamp && mss > e->mss_clamp) {
				uint8_t b[2];
				l7_put_be16(b, e->mss_clamp);
				l7_csum_replace(base, off + 2, b, 2, csum);
				done |= L7_TCPOPT_EDIT_MSS;
			}
		}
		i += olen;
	}
	return done;
}
