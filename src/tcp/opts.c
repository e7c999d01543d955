/*
 * opts.c — in-place rewriting of raw TCP option bytes for a splicing agent:
 * every SACK block edge (wherever the SACK sits in the list), TSval/TSecr
 * offsets, MSS clamping and stripping options, each with an RFC 1624
 * incremental checksum update.
 *
 * Invariants: the whole option list is covered (a SACK after a timestamp or
 * after any number of NOPs is found): either walked, or, for the two fixed
 * layouts the fast paths recognise, by construction; a malformed list (bad length, option
 * running past the area) stops the walk with L7_EBADOPT and never reads
 * outside `len` bytes; the checksum always matches the bytes as left.
 */
#include <string.h>

#include "l7splice/tcp.h"

/* Write a 32-bit value at `off` (from the checksummed area's start) and
 * account its change in *acc. */
static void put32_at(uint8_t *base, size_t off, uint32_t v, uint32_t *acc)
{
	uint32_t old = l7_get_be32(base + off);
	*acc = l7_csum_acc32(*acc, old, v, (int)(off & 1));
	l7_put_be32(base + off, v);
}

static void nop_out(uint8_t *base, size_t off, size_t n, uint32_t *acc)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t pos = (off + i) & 1 ? 0 : 8;
		*acc += (((uint32_t)base[off + i] << pos) ^ 0xffff) +
			((uint32_t)L7_TCPOPT_NOP << pos);
		base[off + i] = L7_TCPOPT_NOP;
	}
}

/* Rewrite one SACK option's blocks; 1 if a block became empty (then the
 * option is NOPed out: an empty or inverted block would confuse the peer). */
static int edit_sack(uint8_t *base, size_t off, size_t olen,
		     const struct l7_tcpopt_edit *e, uint32_t *acc)
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
			nop_out(base, off, olen, acc);
			return 1;
		}
	for (size_t i = 0; i < nblk * 2; i++)
		put32_at(base, off + 2 + 4 * i, edges[i], acc);
	return 0;
}

/* The four bytes NOP NOP kind len as one big-endian word, to recognise the
 * common layouts with one comparison. */
#define LAYOUT_NOP_NOP(kind, len) \
	((uint32_t)L7_TCPOPT_NOP << 24 | (uint32_t)L7_TCPOPT_NOP << 16 | (uint32_t)(kind) << 8 | \
	 (uint32_t)(len))

/*
 * NOP NOP SACK filling the rest of the area after NOP NOP TS (opts[12..]),
 * shifted by a constant: the layout of nearly every segment that carries
 * SACK blocks (Linux, Windows and macOS all pad SACK with two NOPs after
 * the 12-byte timestamp). The caller checked the layout and that the edges
 * start at an even offset, so each edge is two aligned checksum words.
 * Same result as the general walk; 1 if a block became empty (the option
 * is then NOPed out).
 */
static int edit_sack_tail(uint8_t *base, size_t off, size_t olen, uint32_t delta,
			  uint32_t *acc)
{
	uint8_t *edge = base + off + 2;
	size_t nblk = (olen - 2) / 8;
	/* A constant shift keeps the order of two edges, but check the
	 * shifted values as the general path does. */
	for (size_t i = 0; i < nblk; i++)
		if (!l7_seq_after(l7_get_be32(edge + 8 * i + 4) + delta,
				  l7_get_be32(edge + 8 * i) + delta)) {
			nop_out(base, off, olen, acc);
			return 1;
		}
	uint32_t sum = *acc;
	for (size_t i = 0; i < nblk * 2; i++) {
		uint32_t v = l7_get_be32(edge + 4 * i);
		sum = l7_csum_acc32(sum, v, v + delta, 0);
		l7_put_be32(edge + 4 * i, v + delta);
	}
	*acc = sum;
	return 0;
}

int l7_tcpopt_edit(uint8_t *opts, size_t len, size_t opts_off,
		   const struct l7_tcpopt_edit *e, uint16_t *csum)
{
	uint32_t acc = 0;
	int rc = l7_tcpopt_edit_acc(opts, len, opts_off, e, &acc);
	*csum = l7_csum_acc_apply(*csum, acc);
	return rc;
}

int l7_tcpopt_edit_acc(uint8_t *opts, size_t len, size_t opts_off,
		       const struct l7_tcpopt_edit *e, uint32_t *acc)
{
	uint8_t *base = opts - opts_off;
	int done = 0;
	size_t i = 0;
	/* Fast path: the list starts the way nearly every segment with
	 * timestamps does (NOP NOP TS, RFC 7323 Appendix A) and nothing is to
	 * be stripped: edit the TS inline; then either the rest is exactly
	 * NOP NOP SACK (edited without a walk) or it is walked. */
	if (len >= 12 && !e->strip && l7_get_be32(opts) == LAYOUT_NOP_NOP(L7_TCPOPT_TS, 10)) {
		size_t off = opts_off + 4;
		uint32_t v = l7_get_be32(opts + 4), r = l7_get_be32(opts + 8);
		if (e->tsval_delta)
			put32_at(base, off, v + e->tsval_delta, acc);
		if (e->tsecr_delta)
			put32_at(base, off + 4, r + e->tsecr_delta, acc);
		if (e->ts_seen) {
			e->ts_seen[0] = v;
			e->ts_seen[1] = r;
		}
		done = L7_TCPOPT_EDIT_TS;
		i = 12;
		if (len >= 24 && (len - 16) % 8 == 0 && !e->sack_map && (opts_off & 1) == 0 &&
		    l7_get_be32(opts + 12) == LAYOUT_NOP_NOP(L7_TCPOPT_SACK, len - 14)) {
			if (!e->sack_delta)
				return done;
			done |= L7_TCPOPT_EDIT_SACK;
			if (edit_sack_tail(base, opts_off + 14, len - 14, e->sack_delta, acc))
				done |= L7_TCPOPT_EDIT_SACK_DROPPED;
			return done;
		}
	}
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
			nop_out(base, off, olen, acc);
			done |= L7_TCPOPT_EDIT_STRIP;
		} else if (kind == L7_TCPOPT_SACK) {
			if (olen < 10 || (olen - 2) % 8 != 0)
				return L7_EBADOPT;
			if (e->sack_map || e->sack_delta) {
				if (edit_sack(base, off, olen, e, acc))
					done |= L7_TCPOPT_EDIT_SACK_DROPPED;
				done |= L7_TCPOPT_EDIT_SACK;
			}
		} else if (kind == L7_TCPOPT_TS) {
			if (olen != 10)
				return L7_EBADOPT;
			uint32_t v = l7_get_be32(base + off + 2), r = l7_get_be32(base + off + 6);
			if (e->tsval_delta)
				put32_at(base, off + 2, v + e->tsval_delta, acc);
			if (e->tsecr_delta)
				put32_at(base, off + 6, r + e->tsecr_delta, acc);
			if (e->ts_seen) {
				e->ts_seen[0] = v;
				e->ts_seen[1] = r;
			}
			done |= L7_TCPOPT_EDIT_TS;
		} else if (kind == L7_TCPOPT_MSS) {
			if (olen != 4)
				return L7_EBADOPT;
			uint16_t mss = l7_get_be16(base + off + 2);
			if (e->mss_clamp && mss > e->mss_clamp) {
				uint32_t pos = (off + 2) & 1;
				if (!pos) {
					*acc = l7_csum_acc16(*acc, mss, e->mss_clamp);
				} else {
					*acc += ((uint32_t)(mss >> 8) ^ 0xffff) +
						((uint32_t)((mss & 0xff) << 8) ^ 0xffff) +
						(uint32_t)(e->mss_clamp >> 8) +
						(uint32_t)((e->mss_clamp & 0xff) << 8);
				}
				l7_put_be16(base + off + 2, e->mss_clamp);
				done |= L7_TCPOPT_EDIT_MSS;
			}
		}
		i += olen;
	}
	return done;
}
