/*
 * tcpopt.c — a validating TCP option iterator (RFC 9293 §3.2) and helpers
 * that decode and encode MSS, window scale, SACK-permitted, SACK (RFC 2018)
 * and timestamps (RFC 7323).
 *
 * Invariants: the iterator never reads at or beyond opts + len — a kind
 * byte whose length byte is missing, a length < 2, a length running past the
 * area, or a wrong length for a kind we understand is L7_EBADOPT, and the
 * iterator then stays in that error state. EOL ends the list; what follows
 * it is padding and is not examined.
 */
#include "l7splice/packet.h"

/* The one length a known kind must have, 0 = variable/unknown. */
static int fixed_len(uint8_t kind)
{
	switch (kind) {
	case L7_TCPOPT_MSS: return 4;
	case L7_TCPOPT_WS: return 3;
	case L7_TCPOPT_SACK_PERM: return 2;
	case L7_TCPOPT_TS: return 10;
	default: return 0;
	}
}

void l7_tcpopt_iter_init(struct l7_tcpopt_iter *it, const uint8_t *opts, size_t len)
{
	it->opts = opts;
	/* Real option areas are <= 40 bytes; clamp so pos/len fit 16 bits. */
	it->len = (uint16_t)(len > 0xfffe ? 0xfffe : len);
	it->pos = 0;
}

/* pos == 0xffff marks the error state. */
#define ITER_BAD 0xffff

int l7_tcpopt_next(struct l7_tcpopt_iter *it, struct l7_tcpopt *o)
{
	uint32_t pos = it->pos, rem, len;
	uint8_t kind;

	if (pos == ITER_BAD)
		return L7_EBADOPT;
	if (pos >= it->len)
		return 0;
	kind = it->opts[pos];
	if (kind == L7_TCPOPT_EOL) {
		it->pos = it->len;
		return 0;
	}
	o->kind = kind;
	o->off = (uint16_t)pos;
	if (kind == L7_TCPOPT_NOP) {
		o->len = 1;
		o->data = NULL;
		it->pos = (uint16_t)(pos + 1);
		return 1;
	}
	rem = it->len - pos;
	if (rem < 2)
		goto bad;
	len = it->opts[pos + 1];
	if (len < 2 || len > rem)
		goto bad;
	if (fixed_len(kind) && len != (uint32_t)fixed_len(kind))
		goto bad;
	if (kind == L7_TCPOPT_SACK && (len < 10 || (len - 2) % 8 != 0 || len > 34))
		goto bad;
	o->len = (uint8_t)len;
	o->data = it->opts + pos + 2;
	it->pos = (uint16_t)(pos + len);
	return 1;
bad:
	it->pos = ITER_BAD;
	return L7_EBADOPT;
}

int l7_tcpopt_validate(const uint8_t *opts, size_t len)
{
	struct l7_tcpopt_iter it;
	struct l7_tcpopt o;
	int rc;

	l7_tcpopt_iter_init(&it, opts, len);
	while ((rc = l7_tcpopt_next(&it, &o)) > 0)
		;
	return rc;
}

int l7_tcpopt_find(const uint8_t *opts, size_t len, uint8_t kind, struct l7_tcpopt *o)
{
	struct l7_tcpopt_iter it;
	int rc;

	struct l7_tcpopt cur;
	int found = 0;

	/* Walk to the end even after a match: an area with a bad option is
	 * rejected as a whole, whichever option the caller asked for. */
	l7_tcpopt_iter_init(&it, opts, len);
	while ((rc = l7_tcpopt_next(&it, &cur)) > 0) {
		if (!found && cur.kind == kind) {
			*o = cur;
			found = 1;
		}
	}
	return rc < 0 ? rc : found;
}

int l7_tcp_opts_parse(const uint8_t *opts, size_t len, struct l7_tcp_opts *out)
{
	struct l7_tcpopt_iter it;
	struct l7_tcpopt o;
	int rc;

	out->has = 0;
	out->n_sack = 0;
	l7_tcpopt_iter_init(&it, opts, len);
	while ((rc = l7_tcpopt_next(&it, &o)) > 0) {
		switch (o.kind) {
		case L7_TCPOPT_MSS:
			out->mss = l7_get_be16(o.data);
			out->has |= L7_TCPO_HAS_MSS;
			break;
		case L7_TCPOPT_WS:
			out->wscale = o.data[0];
			out->has |= L7_TCPO_HAS_WS;
			break;
		case L7_TCPOPT_SACK_PERM:
			out->has |= L7_TCPO_HAS_SACK_PERM;
			break;
		case L7_TCPOPT_SACK:
			out->n_sack = (uint8_t)((o.len - 2) / 8);
			for (int i = 0; i < out->n_sack; i++) {
				out->sack[i].left = l7_get_be32(o.data + 8 * i);
				out->sack[i].right = l7_get_be32(o.data + 8 * i + 4);
			}
			out->has |= L7_TCPO_HAS_SACK;
			break;
		case L7_TCPOPT_TS:
			out->ts_val = l7_get_be32(o.data);
			out->ts_ecr = l7_get_be32(o.data + 4);
			out->has |= L7_TCPO_HAS_TS;
			break;
		default:
			break;
		}
	}
	return rc;
}

int l7_tcpopt_get_mss(const uint8_t *opts, size_t len, uint16_t *mss)
{
	struct l7_tcpopt o;
	int rc = l7_tcpopt_find(opts, len, L7_TCPOPT_MSS, &o);

	if (rc == 1)
		*mss = l7_get_be16(o.data);
	return rc;
}

int l7_tcpopt_get_ws(const uint8_t *opts, size_t len, uint8_t *shift)
{
	struct l7_tcpopt o;
	int rc = l7_tcpopt_find(opts, len, L7_TCPOPT_WS, &o);

	if (rc == 1)
		*shift = o.data[0];
	return rc;
}

int l7_tcpopt_has_sack_perm(const uint8_t *opts, size_t len)
{
	struct l7_tcpopt o;

	return l7_tcpopt_find(opts, len, L7_TCPOPT_SACK_PERM, &o);
}

int l7_tcpopt_get_ts(const uint8_t *opts, size_t len, uint32_t *ts_val, uint32_t *ts_ecr)
{
	struct l7_tcpopt o;
	int rc = l7_tcpopt_find(opts, len, L7_TCPOPT_TS, &o);

	if (rc == 1) {
		*ts_val = l7_get_be32(o.data);
		*ts_ecr = l7_get_be32(o.data + 4);
	}
	return rc;
}

int l7_tcpopt_get_sack(const uint8_t *opts, size_t len, struct l7_sack_block blocks[4])
{
	struct l7_tcpopt o;
	int rc = l7_tcpopt_find(opts, len, L7_TCPOPT_SACK, &o);
	int n;

	if (rc != 1)
		return rc;
	n = (o.len - 2) / 8;
	for (int i = 0; i < n; i++) {
		blocks[i].left = l7_get_be32(o.data + 8 * i);
		blocks[i].right = l7_get_be32(o.data + 8 * i + 4);
	}
	return n;
}

int l7_tcp_opts_encode(const struct l7_tcp_opts *o, uint8_t *out, size_t cap)
{
	uint8_t buf[64];
	size_t n = 0, padded;

	/* Order as Linux sends a SYN: MSS, SACK-permitted+TS, WS; 4-aligned
	 * with NOPs so that the TS values land on 32-bit boundaries. */
	if (o->has & L7_TCPO_HAS_MSS) {
		buf[n++] = L7_TCPOPT_MSS;
		buf[n++] = 4;
		l7_put_be16(buf + n, o->mss);
		n += 2;
	}
	if ((o->has & L7_TCPO_HAS_SACK_PERM) && (o->has & L7_TCPO_HAS_TS)) {
		buf[n++] = L7_TCPOPT_SACK_PERM;
		buf[n++] = 2;
	} else if (o->has & L7_TCPO_HAS_SACK_PERM) {
		buf[n++] = L7_TCPOPT_NOP;
		buf[n++] = L7_TCPOPT_NOP;
		buf[n++] = L7_TCPOPT_SACK_PERM;
		buf[n++] = 2;
	} else if (o->has & L7_TCPO_HAS_TS) {
		buf[n++] = L7_TCPOPT_NOP;
		buf[n++] = L7_TCPOPT_NOP;
	}
	if (o->has & L7_TCPO_HAS_TS) {
		buf[n++] = L7_TCPOPT_TS;
		buf[n++] = 10;
		l7_put_be32(buf + n, o->ts_val);
		l7_put_be32(buf + n + 4, o->ts_ecr);
		n += 8;
	}
	if (o->has & L7_TCPO_HAS_WS) {
		buf[n++] = L7_TCPOPT_NOP;
		buf[n++] = L7_TCPOPT_WS;
		buf[n++] = 3;
		buf[n++] = o->wscale;
	}
	if ((o->has & L7_TCPO_HAS_SACK) && o->n_sack) {
		if (o->n_sack > 4)
			return L7_ERANGE;
		buf[n++] = L7_TCPOPT_NOP;
		buf[n++] = L7_TCPOPT_NOP;
		buf[n++] = L7_TCPOPT_SACK;
		buf[n++] = (uint8_t)(2 + 8 * o->n_sack);
		for (int i = 0; i < o->n_sack; i++) {
			l7_put_be32(buf + n, o->sack[i].left);
			l7_put_be32(buf + n + 4, o->sack[i].right);
			n += 8;
		}
	}
	padded = (n + 3) & ~(size_t)3;
	while (n < padded)
		buf[n++] = L7_TCPOPT_EOL;
	if (n > L7_TCP_OPT_MAX)
		return L7_ERANGE;
	if (n > cap)
		return L7_ENOSPC;
	memcpy(out, buf, n);
	return (int)n;
}
