/*
 * test_tcp.c — sequence arithmetic across 2^32, SYN cookies (good, stale,
 * forged, wrong tuple, MSS classes), the timestamp cookie, SipHash against
 * the reference vector, and option rewriting (SACK anywhere in the list, TS
 * offsets, MSS clamp, strip) with the checksum re-verified in full.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "l7splice/tcp.h"

static void seq_compare_wraps(void **state)
{
	(void)state;
	assert_true(l7_seq_before(0xfffffff0u, 0x10u));
	assert_true(l7_seq_after(0x10u, 0xfffffff0u));
	assert_false(l7_seq_before(5, 5));
	assert_false(l7_seq_after(5, 5));
	assert_true(l7_seq_before(1, 2));
	assert_true(l7_seq_between(0x2u, 0xfffffffeu, 0x5u));
	assert_true(l7_seq_between(0xfffffffeu, 0xfffffffeu, 0x5u));
	assert_true(l7_seq_between(0x5u, 0xfffffffeu, 0x5u));
	assert_false(l7_seq_between(0x6u, 0xfffffffeu, 0x5u));
	assert_false(l7_seq_between(0xfffffffdu, 0xfffffffeu, 0x5u));
	assert_int_equal(l7_seq_max(0xffffff00u, 0x10u), 0x10u);
	assert_int_equal(l7_seq_min(0xffffff00u, 0x10u), 0xffffff00u);
}

static void siphash_reference_vector(void **state)
{
	(void)state;
	/* Aumasson & Bernstein, SipHash paper appendix A: key 00..0f,
	 * message 00..0e, output 0xa129ca6149be45e5. */
	uint8_t key[16], msg[15];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	assert_true(l7_siphash24(key, msg, 15) == 0xa129ca6149be45e5ull);
	/* Empty message vector from the reference test table. */
	assert_true(l7_siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ull);
}

static struct l7_flow_key test_key(uint16_t sport)
{
	struct l7_flow_key k;
	struct l7_addr c = l7_addr_from_v4(0x0a000001), v = l7_addr_from_v4(0x0a00010a);
	l7_flow_key_make(&k, &c, sport, &v, 80, L7_IPPROTO_TCP);
	return k;
}

static const struct l7_syncookie_key ckey = {
	.secret = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 },
	.period_ns = 1000000000ull, /* 1 s steps */
	.max_age = 2,
};

static void cookie_good_roundtrip(void **state)
{
	(void)state;
	struct l7_flow_key k = test_key(40000);
	l7_time_ns t0 = 100ull * 1000000000ull + 5;
	uint32_t c = l7_syncookie_make(&ckey, &k, 0xfffffff0u, 1460, t0);
	uint16_t mss = 0;
	assert_int_equal(l7_syncookie_check(&ckey, &k, 0xfffffff0u, c, t0, &mss), 0);
	assert_int_equal(mss, 1460);
	/* Still good two periods later (max_age = 2). */
	assert_int_equal(l7_syncookie_check(&ckey, &k, 0xfffffff0u, c,
					    t0 + 2000000000ull, &mss), 0);
	/* Deterministic: same inputs, same cookie. */
	assert_int_equal(c, l7_syncookie_make(&ckey, &k, 0xfffffff0u, 1460, t0));
	/* MSS classes: the largest class not above the client's MSS. */
	c = l7_syncookie_make(&ckey, &k, 7, 1400, t0);
	assert_int_equal(l7_syncookie_check(&ckey, &k, 7, c, t0, &mss), 0);
	assert_int_equal(mss, 1400);
	c = l7_syncookie_make(&ckey, &k, 7, 1439, t0);
	assert_int_equal(l7_syncookie_check(&ckey, &k, 7, c, t0, &mss), 0);
	assert_int_equal(mss, 1400);
	c = l7_syncookie_make(&ckey, &k, 7, 100, t0);
	assert_int_equal(l7_syncookie_check(&ckey, &k, 7, c, t0, &mss), 0);
	assert_int_equal(mss, 536);
	c = l7_syncookie_make(&ckey, &k, 7, 9000, t0);
	assert_int_equal(l7_syncookie_check(&ckey, &k, 7, c, t0, &mss), 0);
	assert_int_equal(mss, 8960);
}

static void cookie_stale(void **state)
{
	(void)state;
	struct l7_flow_key k = test_key(40001);
	l7_time_ns t0 = 50ull * 1000000000ull;
	uint32_t c = l7_syncookie_make(&ckey, &k, 1000, 1460, t0);
	assert_int_equal(l7_syncookie_check(&ckey, &k, 1000, c, t0 + 3000000000ull, NULL),
			 L7_ESTALECOOKIE);
	assert_int_equal(l7_syncookie_check(&ckey, &k, 1000, c, t0 + 10000000000ull, NULL),
			 L7_ESTALECOOKIE);
}

static void cookie_forged(void **state)
{
	(void)state;
	struct l7_flow_key k = test_key(40002), other = test_key(40003);
	l7_time_ns t0 = 77ull * 1000000000ull;
	uint32_t c = l7_syncookie_make(&ckey, &k, 1000, 1460, t0);
	/* Any single flipped bit, another tuple, another client ISN, another
	 * secret: all rejected as forged. */
	for (int b = 0; b < 32; b++) {
		int rc = l7_syncookie_check(&ckey, &k, 1000, c ^ (1u << b), t0, NULL);
		assert_true(rc == L7_EBADCOOKIE || rc == L7_ESTALECOOKIE);
		if (b < 24)
			assert_int_equal(rc, L7_EBADCOOKIE);
	}
	assert_int_equal(l7_syncookie_check(&ckey, &other, 1000, c, t0, NULL), L7_EBADCOOKIE);
	assert_int_equal(l7_syncookie_check(&ckey, &k, 1001, c, t0, NULL), L7_EBADCOOKIE);
	struct l7_syncookie_key k2 = ckey;
	k2.secret[0] ^= 1;
	assert_int_equal(l7_syncookie_check(&k2, &k, 1000, c, t0, NULL), L7_EBADCOOKIE);
	/* A cookie "from the future" (counter bits ahead of now) is forged. */
	assert_int_equal(l7_syncookie_check(&ckey, &k, 1000, c, t0 - 1000000000ull, NULL),
			 L7_EBADCOOKIE);
}

static void tscookie_roundtrip(void **state)
{
	(void)state;
	struct l7_syn_opts o = { .ws_ok = 1, .wscale = 9, .sack_ok = 1, .ecn_ok = 0 }, d;
	uint32_t ts = l7_tscookie_encode(123456, &o);
	assert_true(ts <= 123456u);
	assert_true(123456u - ts < 64);
	memset(&d, 0, sizeof(d));
	l7_tscookie_decode(ts, &d);
	assert_int_equal(d.ws_ok, 1);
	assert_int_equal(d.wscale, 9);
	assert_int_equal(d.sack_ok, 1);
	assert_int_equal(d.ecn_ok, 0);
	assert_int_equal(d.ts_ok, 1);
	struct l7_syn_opts none = { .ws_ok = 0, .sack_ok = 0, .ecn_ok = 1 };
	ts = l7_tscookie_encode(64 * 1000 + 3, &none);
	l7_tscookie_decode(ts, &d);
	assert_int_equal(d.ws_ok, 0);
	assert_int_equal(d.sack_ok, 0);
	assert_int_equal(d.ecn_ok, 1);
	/* A shift above 14 is clamped (RFC 7323 §2.3). */
	struct l7_syn_opts big = { .ws_ok = 1, .wscale = 15 };
	l7_tscookie_decode(l7_tscookie_encode(1000, &big), &d);
	assert_int_equal(d.wscale, 14);
}

static void syn_opts_parse_linux_syn(void **state)
{
	(void)state;
	/* Linux SYN: MSS 1460, SACK-perm, TS, NOP, WS 7. */
	const uint8_t opts[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 100, 0, 0, 0, 0,
				   1, 3, 3, 7 };
	struct l7_syn_opts o;
	assert_int_equal(l7_syn_opts_parse(opts, 20, L7_TCP_SYN | L7_TCP_ECE | L7_TCP_CWR, &o), 0);
	assert_int_equal(o.mss, 1460);
	assert_int_equal(o.sack_ok, 1);
	assert_int_equal(o.ts_ok, 1);
	assert_int_equal(o.ts_val, 100);
	assert_int_equal(o.ws_ok, 1);
	assert_int_equal(o.wscale, 7);
	assert_int_equal(o.ecn_ok, 1);
	const uint8_t bad[4] = { 2, 5, 0, 0 };
	assert_int_equal(l7_syn_opts_parse(bad, 4, L7_TCP_SYN, &o), L7_EBADOPT);
}

/* ------------------------------------------------------ option editing */

/* Build a TCP/IPv4 packet with the given options; return its length. */
static size_t build(uint8_t *buf, size_t cap, const uint8_t *opts, size_t olen)
{
	struct l7_tcp_build b;
	memset(&b, 0, sizeof(b));
	b.linktype = L7_LINKTYPE_RAW;
	b.ip_version = 4;
	b.ttl = 64;
	b.src = l7_addr_from_v4(0x0a000001);
	b.dst = l7_addr_from_v4(0x0a000002);
	b.sport = 1234;
	b.dport = 80;
	b.seq = 1;
	b.ack = 2;
	b.flags = L7_TCP_ACK;
	b.window = 1000;
	b.opts = opts;
	b.opts_len = olen;
	static const uint8_t pl[7] = "payload";
	b.payload = pl;
	b.payload_len = sizeof(pl);
	size_t n = 0;
	assert_int_equal(l7_pkt_build_tcp(buf, cap, &b, &n), 0);
	return n;
}

/* Edit a built packet's options in place and check the checksum in full. */
static int edit_and_verify(uint8_t *buf, size_t n, const struct l7_tcpopt_edit *e)
{
	struct l7_pkt p;
	assert_int_equal(l7_pkt_parse(&p, buf, (uint32_t)n, L7_LINKTYPE_RAW), 0);
	uint8_t *tcp = buf + p.l4_off;
	uint16_t csum = l7_get_be16(tcp + 16);
	int rc = l7_tcpopt_edit(tcp + 20, p.tcp_hdr_len - 20u, 20, e, &csum);
	l7_put_be16(tcp + 16, csum);
	assert_int_equal(l7_pkt_parse(&p, buf, (uint32_t)n, L7_LINKTYPE_RAW), 0);
	assert_int_equal(l7_pkt_csum_verify(&p), 0);
	return rc;
}

static void sack_first_rewritten(void **state)
{
	(void)state;
	const uint8_t opts[20] = { 1, 1, 5, 18, 0, 0, 0, 10, 0, 0, 0, 20,
				   0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0x10 };
	uint8_t buf[128];
	size_t n = build(buf, sizeof(buf), opts, sizeof(opts));
	struct l7_tcpopt_edit e = { .sack_delta = 0x100 };
	int rc = edit_and_verify(buf, n, &e);
	assert_int_equal(rc, L7_TCPOPT_EDIT_SACK);
	struct l7_sack_block blk[4];
	assert_int_equal(l7_tcpopt_get_sack(buf + 40, 20, blk), 2);
	assert_int_equal(blk[0].left, 0x10a);
	assert_int_equal(blk[0].right, 0x114);
	assert_int_equal(blk[1].left, 0xf0u);   /* wrapped past 2^32 */
	assert_int_equal(blk[1].right, 0x110u);
}

static void sack_after_ts_rewritten(void **state)
{
	(void)state;
	/* NOP NOP TS, NOP NOP SACK(1 block): the usual Linux layout. */
	const uint8_t opts[24] = { 1, 1, 8, 10, 0, 0, 1, 0, 0, 0, 2, 0,
				   1, 1, 5, 10, 0, 0, 0, 10, 0, 0, 0, 20 };
	uint8_t buf[128];
	size_t n = build(buf, sizeof(buf), opts, sizeof(opts));
	struct l7_tcpopt_edit e = { .sack_delta = (uint32_t)-5, .tsval_delta = 3,
				    .tsecr_delta = (uint32_t)-0x100 };
	int rc = edit_and_verify(buf, n, &e);
	assert_int_equal(rc, L7_TCPOPT_EDIT_SACK | L7_TCPOPT_EDIT_TS);
	struct l7_sack_block blk[4];
	assert_int_equal(l7_tcpopt_get_sack(buf + 40, 24, blk), 1);
	assert_int_equal(blk[0].left, 5);
	assert_int_equal(blk[0].right, 15);
	uint32_t v, ecr;
	assert_int_equal(l7_tcpopt_get_ts(buf + 40, 24, &v, &ecr), 1);
	assert_int_equal(v, 0x103);
	assert_int_equal(ecr, 0x100);
}

static void sack_odd_alignment(void **state)
{
	(void)state;
	/* One NOP then SACK: the edges sit at odd offsets. */
	const uint8_t opts[12] = { 1, 5, 10, 0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x99, 0 };
	uint8_t buf[128];
	size_t n = build(buf, sizeof(buf), opts, sizeof(opts));
	struct l7_tcpopt_edit e = { .sack_delta = 0x01010101 };
	assert_int_equal(edit_and_verify(buf, n, &e), L7_TCPOPT_EDIT_SACK);
	struct l7_sack_block blk[4];
	assert_int_equal(l7_tcpopt_get_sack(buf + 40, 12, blk), 1);
	assert_int_equal(blk[0].left, 0x13355779u);
	assert_int_equal(blk[0].right, 0x1335579au);
}

static uint32_t collapse_map(const void *ctx, uint32_t edge, int is_right)
{
	(void)ctx;
	(void)is_right;
	return edge < 100 ? 50 : edge; /* block [10,20) collapses to [50,50) */
}

static void sack_empty_block_dropped(void **state)
{
	(void)state;
	const uint8_t opts[12] = { 1, 1, 5, 10, 0, 0, 0, 10, 0, 0, 0, 20 };
	uint8_t buf[128];
	size_t n = build(buf, sizeof(buf), opts, sizeof(opts));
	struct l7_tcpopt_edit e = { .sack_map = collapse_map };
	int rc = edit_and_verify(buf, n, &e);
	assert_int_equal(rc, L7_TCPOPT_EDIT_SACK | L7_TCPOPT_EDIT_SACK_DROPPED);
	struct l7_sack_block blk[4];
	assert_int_equal(l7_tcpopt_get_sack(buf + 40, 12, blk), 0);
}

static void mss_clamp_and_strip(void **state)
{
	(void)state;
	const uint8_t opts[12] = { 2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7, 0, 0 };
	uint8_t buf[128];
	size_t n = build(buf, sizeof(buf), opts, sizeof(opts));
	struct l7_tcpopt_edit e = { .mss_clamp = 1400, .strip = 1u << L7_TCPOPT_SACK_PERM };
	int rc = edit_and_verify(buf, n, &e);
	assert_int_equal(rc, L7_TCPOPT_EDIT_MSS | L7_TCPOPT_EDIT_STRIP);
	uint16_t mss;
	assert_int_equal(l7_tcpopt_get_mss(buf + 40, 12, &mss), 1);
	assert_int_equal(mss, 1400);
	assert_int_equal(l7_tcpopt_has_sack_perm(buf + 40, 12), 0);
	uint8_t ws;
	assert_int_equal(l7_tcpopt_get_ws(buf + 40, 12, &ws), 1);
	assert_int_equal(ws, 7);
	/* A smaller MSS is left alone. */
	struct l7_tcpopt_edit e2 = { .mss_clamp = 1460 };
	assert_int_equal(edit_and_verify(buf, n, &e2), 0);
}

static void bad_options_rejected(void **state)
{
	(void)state;
	uint16_t csum = 0x1234;
	struct l7_tcpopt_edit e = { .sack_delta = 1 };
	uint8_t a[8] = { 1, 5, 9, 0, 0, 0, 0, 0 };   /* SACK len 9 */
	assert_int_equal(l7_tcpopt_edit(a, 8, 20, &e, &csum), L7_EBADOPT);
	uint8_t b[4] = { 1, 1, 1, 2 };                /* kind 2 without length */
	assert_int_equal(l7_tcpopt_edit(b, 4, 20, &e, &csum), L7_EBADOPT);
	uint8_t c[4] = { 8, 40, 0, 0 };               /* runs past the area */
	assert_int_equal(l7_tcpopt_edit(c, 4, 20, &e, &csum), L7_EBADOPT);
	uint8_t d[4] = { 30, 0, 0, 0 };               /* length 0 */
	assert_int_equal(l7_tcpopt_edit(d, 4, 20, &e, &csum), L7_EBADOPT);
	uint8_t ok[4] = { 0, 5, 1, 1 };               /* EOL: rest is padding */
	assert_int_equal(l7_tcpopt_edit(ok, 4, 20, &e, &csum), 0);
	assert_int_equal(csum, 0x1234);
}

static void mss_clamp_at_odd_offset(void **state)
{
	(void)state;
	/* NOP, MSS 1460, NOP NOP NOP: the MSS value straddles two words. */
	const uint8_t opts[8] = { 1, 2, 4, 0x05, 0xb4, 1, 1, 1 };
	uint8_t buf[128];
	size_t n = build(buf, sizeof(buf), opts, sizeof(opts));
	struct l7_tcpopt_edit e = { .mss_clamp = 1220 };
	assert_int_equal(edit_and_verify(buf, n, &e), L7_TCPOPT_EDIT_MSS);
	uint16_t mss;
	assert_int_equal(l7_tcpopt_get_mss(buf + 40, 8, &mss), 1);
	assert_int_equal(mss, 1220);
	/* Stripping at an odd offset keeps the checksum right too. */
	struct l7_tcpopt_edit e2 = { .strip = 1u << L7_TCPOPT_MSS };
	assert_int_equal(edit_and_verify(buf, n, &e2), L7_TCPOPT_EDIT_STRIP);
	assert_int_equal(l7_tcpopt_get_mss(buf + 40, 8, &mss), 0);
}

static uint32_t add_map(const void *ctx, uint32_t edge, int is_right)
{
	(void)is_right;
	return edge + *(const uint32_t *)ctx;
}

/* NOP NOP TS, NOP NOP SACK(nblk blocks) with the given left edges, each
 * block 100 bytes long unless `inverted` names one to make empty. */
static size_t ts_sack_layout(uint8_t *o, size_t nblk, uint32_t left0, int inverted)
{
	const uint8_t ts[12] = { 1, 1, 8, 10, 0x12, 0x34, 0x56, 0x78, 0xff, 0xff, 0xff, 0xf0 };
	memcpy(o, ts, 12);
	o[12] = 1;
	o[13] = 1;
	o[14] = 5;
	o[15] = (uint8_t)(2 + 8 * nblk);
	for (size_t i = 0; i < nblk; i++) {
		uint32_t left = left0 + 1000u * (uint32_t)i;
		l7_put_be32(o + 16 + 8 * i, left);
		l7_put_be32(o + 20 + 8 * i, (int)i == inverted ? left : left + 100);
	}
	return 16 + 8 * nblk;
}

static void sack_after_ts_fast_path_matches_walk(void **state)
{
	(void)state;
	/* The fixed-layout path (NOP NOP TS NOP NOP SACK filling the area)
	 * must leave exactly the bytes the general walk leaves: the walk is
	 * forced with a mapping callback that adds the same delta. Left edges
	 * near 2^32 so some edges wrap. */
	const uint32_t deltas[3] = { 0x100, (uint32_t)-0x12345, 0x80000001u };
	for (size_t nblk = 1; nblk <= 3; nblk++)
		for (int inverted = -1; inverted < (int)nblk; inverted++)
			for (int k = 0; k < 3; k++) {
				uint8_t o[40], fast[128], walk[128];
				size_t olen = ts_sack_layout(o, nblk, 0xfffffc00u, inverted);
				size_t n = build(fast, sizeof(fast), o, olen);
				memcpy(walk, fast, n);
				struct l7_tcpopt_edit ef = { .sack_delta = deltas[k],
							     .tsecr_delta = 7 };
				struct l7_tcpopt_edit ew = { .sack_map = add_map,
							     .sack_ctx = &deltas[k],
							     .tsecr_delta = 7 };
				int rf = edit_and_verify(fast, n, &ef);
				int rw = edit_and_verify(walk, n, &ew);
				assert_int_equal(rf, rw);
				assert_memory_equal(fast, walk, n);
				int dropped = inverted >= 0;
				assert_int_equal(rf, L7_TCPOPT_EDIT_TS | L7_TCPOPT_EDIT_SACK |
							     (dropped ? L7_TCPOPT_EDIT_SACK_DROPPED : 0));
				struct l7_sack_block blk[4];
				int nb = l7_tcpopt_get_sack(fast + 40, olen, blk);
				assert_int_equal(nb, dropped ? 0 : (int)nblk);
				for (int i = 0; i < nb; i++) {
					uint32_t left = 0xfffffc00u + 1000u * (uint32_t)i + deltas[k];
					assert_int_equal(blk[i].left, left);
					assert_int_equal(blk[i].right, left + 100);
				}
				uint32_t v, ecr;
				assert_int_equal(l7_tcpopt_get_ts(fast + 40, olen, &v, &ecr), 1);
				assert_int_equal(v, 0x12345678u);
				assert_int_equal(ecr, 0xfffffff7u);
			}
	/* No SACK change asked for: the TS is edited, the SACK left alone. */
	uint8_t o[40], buf[128];
	size_t olen = ts_sack_layout(o, 2, 5000, -1);
	size_t n = build(buf, sizeof(buf), o, olen);
	struct l7_tcpopt_edit e = { .tsval_delta = 1 };
	assert_int_equal(edit_and_verify(buf, n, &e), L7_TCPOPT_EDIT_TS);
	assert_memory_equal(buf + 40 + 12, o + 12, olen - 12);
	/* A SACK that does not fill the area (an option follows) takes the
	 * general walk and is still rewritten. */
	olen = ts_sack_layout(o, 1, 5000, -1);
	const uint8_t mss[4] = { 2, 4, 0x05, 0xb4 };
	memcpy(o + olen, mss, 4);
	n = build(buf, sizeof(buf), o, olen + 4);
	struct l7_tcpopt_edit e2 = { .sack_delta = 10, .mss_clamp = 1000 };
	assert_int_equal(edit_and_verify(buf, n, &e2),
			 L7_TCPOPT_EDIT_TS | L7_TCPOPT_EDIT_SACK | L7_TCPOPT_EDIT_MSS);
	struct l7_sack_block blk[4];
	assert_int_equal(l7_tcpopt_get_sack(buf + 40, olen + 4, blk), 1);
	assert_int_equal(blk[0].left, 5010);
	assert_int_equal(blk[0].right, 5110);
}

static void csum_acc_matches_update(void **state)
{
	(void)state;
	/* The batched form equals one RFC 1624 update per field, and odd
	 * placement equals the byte-wise update. */
	uint16_t c = 0x1c46;
	uint16_t step = l7_csum_update32(l7_csum_update16(c, 0x1234, 0xabcd), 0xdeadbeef, 0x01020304);
	uint32_t acc = l7_csum_acc32(l7_csum_acc16(0, 0x1234, 0xabcd), 0xdeadbeef, 0x01020304, 0);
	assert_int_equal(l7_csum_acc_apply(c, acc), step);
	uint8_t area[8] = { 0x11, 0xde, 0xad, 0xbe, 0xef, 0x22, 0, 0 };
	uint8_t newa[8] = { 0x11, 0x01, 0x02, 0x03, 0x04, 0x22, 0, 0 };
	uint16_t want = l7_csum_update_bytes(c, area, newa, 6);
	acc = l7_csum_acc32(0, 0xdeadbeef, 0x01020304, 1);
	assert_int_equal(l7_csum_acc_apply(c, acc), want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seq_compare_wraps),
		cmocka_unit_test(siphash_reference_vector),
		cmocka_unit_test(cookie_good_roundtrip),
		cmocka_unit_test(cookie_stale),
		cmocka_unit_test(cookie_forged),
		cmocka_unit_test(tscookie_roundtrip),
		cmocka_unit_test(syn_opts_parse_linux_syn),
		cmocka_unit_test(sack_first_rewritten),
		cmocka_unit_test(sack_after_ts_rewritten),
		cmocka_unit_test(sack_odd_alignment),
		cmocka_unit_test(sack_empty_block_dropped),
		cmocka_unit_test(mss_clamp_and_strip),
		cmocka_unit_test(bad_options_rejected),
		cmocka_unit_test(mss_clamp_at_odd_offset),
		cmocka_unit_test(sack_after_ts_fast_path_matches_walk),
		cmocka_unit_test(csum_acc_matches_update),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
