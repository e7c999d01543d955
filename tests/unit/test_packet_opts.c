/*
 * test_packet_opts.c — the TCP option iterator (EOL/NOP/length rules, bad
 * lengths never read past the area), the decode helpers on real SYNs, and
 * encode -> decode round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "l7splice/packet.h"
#include "test_packet_util.h"

/* Iterate a heap copy of exactly `len` bytes (ASan catches over-reads);
 * returns the final code and the kinds seen. */
static int walk(const uint8_t *opts, size_t len, uint8_t *kinds, int *n)
{
	uint8_t *copy = test_malloc(len ? len : 1);
	struct l7_tcpopt_iter it;
	struct l7_tcpopt o;
	int rc;

	memcpy(copy, opts, len);
	*n = 0;
	l7_tcpopt_iter_init(&it, copy, len);
	while ((rc = l7_tcpopt_next(&it, &o)) > 0) {
		assert_true(o.off + o.len <= len);
		kinds[(*n)++] = o.kind;
	}
	/* Once finished (or failed) it stays that way. */
	assert_int_equal(l7_tcpopt_next(&it, &o), rc);
	test_free(copy);
	return rc;
}

static void iterator_good_cases(void **state)
{
	/* The SYN of smoke_zeek_http_get.pcap frame 1. */
	const uint8_t *syn = frame_syn + 54;
	uint8_t k[40];
	int n;

	(void)state;
	assert_int_equal(walk(syn, 24, k, &n), 0);
	assert_int_equal(n, 7); /* the trailing EOL ends the walk unreported */
	assert_memory_equal(k, ((const uint8_t[]){ 2, 1, 3, 1, 1, 8, 4 }), 7);
	/* Empty area; only NOPs; EOL ends it and the rest is not examined. */
	assert_int_equal(walk(syn, 0, k, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(walk((const uint8_t[]){ 1, 1, 1, 1 }, 4, k, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(walk((const uint8_t[]){ 1, 0, 0xff, 0x00 }, 4, k, &n), 0);
	assert_int_equal(n, 1);
	/* Unknown kinds are skipped by their length. */
	assert_int_equal(walk((const uint8_t[]){ 30, 6, 1, 2, 3, 4, 1, 0 }, 8, k, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(k[0], 30);
	/* SACK with 1..4 blocks. */
	for (int b = 1; b <= 4; b++) {
		uint8_t s[34] = { 5, (uint8_t)(2 + 8 * b) };

		assert_int_equal(walk(s, (size_t)(2 + 8 * b), k, &n), 0);
		assert_int_equal(n, 1);
	}
}

static void iterator_bad_cases(void **state)
{
	static const struct {
		uint8_t bytes[12];
		size_t len;
		int good_before;
	} bad[] = {
		{ { 2 }, 1, 0 },                  /* kind without its length byte */
		{ { 1, 1, 1, 30 }, 4, 3 },         /* ... at the very end */
		{ { 30, 0 }, 2, 0 },              /* length 0 */
		{ { 30, 1, 1, 1 }, 4, 0 },        /* length 1 */
		{ { 30, 5, 1, 1 }, 4, 0 },        /* runs past the area */
		{ { 1, 8, 10, 1, 2, 3, 4, 5 }, 8, 1 }, /* TS past the end by 2 */
		{ { 2, 3, 5, 1 }, 4, 0 },         /* MSS length 3 */
		{ { 2, 5, 5, 1, 0 }, 5, 0 },      /* MSS length 5 */
		{ { 3, 4, 7, 0 }, 4, 0 },         /* WS length 4 */
		{ { 4, 3, 0, 0 }, 4, 0 },         /* SACK-permitted length 3 */
		{ { 8, 8, 0, 0, 0, 0, 0, 0 }, 8, 0 }, /* TS length 8 */
		{ { 5, 6, 0, 0, 0, 0 }, 6, 0 },   /* SACK length 6: no block */
		{ { 5, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 12, 0 }, /* not 2 + 8n */
	};
	uint8_t k[40];
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(walk(bad[i].bytes, bad[i].len, k, &n), L7_EBADOPT);
		assert_int_equal(n, bad[i].good_before);
		assert_int_equal(l7_tcpopt_validate(bad[i].bytes, bad[i].len), L7_EBADOPT);
	}
	/* SACK length 42 (five blocks) cannot fit in 40 bytes anyway. */
	{
		uint8_t s[42] = { 5, 42 };

		assert_int_equal(l7_tcpopt_validate(s, 42), L7_EBADOPT);
	}
	/* Every prefix of a real options area is either fine or EBADOPT,
	 * never an over-read (walk() uses an exact-size heap copy). */
	for (size_t len = 0; len <= 24; len++) {
		int rc = walk(frame_syn + 54, len, k, &n);

		assert_true(rc == 0 || rc == L7_EBADOPT);
		/* Cuts right after MSS (4), WS (4+4) and NOPs are clean. */
		if (len == 4 || len == 5 || len == 8 || len == 9 || len == 10)
			assert_int_equal(rc, 0);
		if (len == 1 || len == 3 || len == 6 || len == 7 || len == 11)
			assert_int_equal(rc, L7_EBADOPT);
	}
}

static void helpers_on_real_syns(void **state)
{
	struct l7_pkt p;
	const uint8_t *opts;
	size_t len;
	uint16_t mss = 0;
	uint8_t ws = 0;
	uint32_t tv = 0, te = 1;
	struct l7_tcp_opts o;
	struct l7_sack_block blk[4];

	(void)state;
	assert_int_equal(l7_pkt_parse(&p, frame_syn, sizeof(frame_syn), L7_LINKTYPE_ETHERNET), 0);
	opts = l7_pkt_tcp_opts(&p, &len);
	assert_int_equal(len, 24);
	assert_int_equal(l7_tcpopt_get_mss(opts, len, &mss), 1);
	assert_int_equal(mss, 1460);
	assert_int_equal(l7_tcpopt_get_ws(opts, len, &ws), 1);
	assert_int_equal(ws, 4);
	assert_int_equal(l7_tcpopt_has_sack_perm(opts, len), 1);
	assert_int_equal(l7_tcpopt_get_ts(opts, len, &tv, &te), 1);
	assert_int_equal(tv, 374005024u);
	assert_int_equal(te, 0);
	assert_int_equal(l7_tcpopt_get_sack(opts, len, blk), 0);
	assert_int_equal(l7_tcp_opts_parse(opts, len, &o), 0);
	assert_int_equal(o.has, L7_TCPO_HAS_MSS | L7_TCPO_HAS_WS | L7_TCPO_HAS_SACK_PERM | L7_TCPO_HAS_TS);
	assert_int_equal(o.mss, 1460);
	assert_int_equal(o.wscale, 4);
	assert_int_equal(o.ts_val, 374005024u);

	/* The IPv6 SYN-ACK: MSS 1432 and SACK-permitted only. */
	assert_int_equal(l7_pkt_parse(&p, frame_v6_synack, sizeof(frame_v6_synack),
				      L7_LINKTYPE_ETHERNET), 0);
	opts = l7_pkt_tcp_opts(&p, &len);
	assert_int_equal(l7_tcp_opts_parse(opts, len, &o), 0);
	assert_int_equal(o.has, L7_TCPO_HAS_MSS | L7_TCPO_HAS_SACK_PERM);
	assert_int_equal(o.mss, 1432);
	assert_int_equal(l7_tcpopt_get_ws(opts, len, &ws), 0);
	assert_int_equal(l7_tcpopt_get_ts(opts, len, &tv, &te), 0);

	/* The GET: NOP NOP TS. */
	assert_int_equal(l7_pkt_parse(&p, frame_get, sizeof(frame_get), L7_LINKTYPE_ETHERNET), 0);
	opts = l7_pkt_tcp_opts(&p, &len);
	assert_int_equal(l7_tcpopt_get_ts(opts, len, &tv, &te), 1);
	assert_int_equal(tv, 374005094u);
	assert_int_equal(te, 797524569u);
	assert_int_equal(l7_tcpopt_get_mss(opts, len, &mss), 0);
}

static void sack_blocks(void **state)
{
	static const uint8_t opts[] = {
		1, 1, 5, 26,
		0, 0, 0, 10, 0, 0, 0, 20,
		0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 16, /* wraps around 2^32 */
		0, 0, 1, 0, 0, 0, 2, 0,
	};
	struct l7_sack_block b[4];
	struct l7_tcp_opts o;

	(void)state;
	assert_int_equal(l7_tcpopt_get_sack(opts, sizeof(opts), b), 3);
	assert_int_equal(b[0].left, 10);
	assert_int_equal(b[0].right, 20);
	assert_int_equal(b[1].left, 0xfffffff0u);
	assert_int_equal(b[1].right, 16);
	assert_int_equal(b[2].right, 512);
	assert_int_equal(l7_tcp_opts_parse(opts, sizeof(opts), &o), 0);
	assert_int_equal(o.has, L7_TCPO_HAS_SACK);
	assert_int_equal(o.n_sack, 3);
	assert_int_equal(o.sack[2].left, 256);
	/* A bad area: helpers report EBADOPT, not "absent". */
	assert_int_equal(l7_tcpopt_get_sack((const uint8_t[]){ 5, 9 }, 2, b), L7_EBADOPT);
	assert_int_equal(l7_tcpopt_has_sack_perm((const uint8_t[]){ 4, 2, 2, 9 }, 4), L7_EBADOPT);
}

static void encode_round_trip(void **state)
{
	uint64_t seed = 0x5eed0001;
	uint8_t buf[40];
	struct l7_tcp_opts in, out;

	(void)state;
	for (int i = 0; i < 2000; i++) {
		int len;

		memset(&in, 0, sizeof(in));
		in.has = (uint8_t)(tp_rand(&seed) & 0x1f);
		in.mss = (uint16_t)tp_rand(&seed);
		in.wscale = (uint8_t)(tp_rand(&seed) % 15);
		in.ts_val = (uint32_t)tp_rand(&seed);
		in.ts_ecr = (uint32_t)tp_rand(&seed);
		in.n_sack = (uint8_t)(tp_rand(&seed) % 5);
		if (!in.n_sack)
			in.has &= (uint8_t)~L7_TCPO_HAS_SACK;
		for (int j = 0; j < in.n_sack; j++) {
			in.sack[j].left = (uint32_t)tp_rand(&seed);
			in.sack[j].right = (uint32_t)tp_rand(&seed);
		}
		len = l7_tcp_opts_encode(&in, buf, sizeof(buf));
		if (len == L7_ERANGE) {
			/* Only too many SACK blocks next to TS/MSS can overflow. */
			assert_true(in.has & L7_TCPO_HAS_SACK);
			continue;
		}
		assert_true(len >= 0 && len <= 40 && len % 4 == 0);
		assert_int_equal(l7_tcp_opts_parse(buf, (size_t)len, &out), 0);
		assert_int_equal(out.has, in.has);
		if (in.has & L7_TCPO_HAS_MSS)
			assert_int_equal(out.mss, in.mss);
		if (in.has & L7_TCPO_HAS_WS)
			assert_int_equal(out.wscale, in.wscale);
		if (in.has & L7_TCPO_HAS_TS) {
			assert_int_equal(out.ts_val, in.ts_val);
			assert_int_equal(out.ts_ecr, in.ts_ecr);
		}
		if (in.has & L7_TCPO_HAS_SACK) {
			assert_int_equal(out.n_sack, in.n_sack);
			assert_memory_equal(out.sack, in.sack, in.n_sack * sizeof(in.sack[0]));
		}
	}
	/* Linux's SYN layout: MSS, SACK-perm, TS, NOP, WS = 20 bytes. */
	memset(&in, 0, sizeof(in));
	in.has = L7_TCPO_HAS_MSS | L7_TCPO_HAS_SACK_PERM | L7_TCPO_HAS_TS | L7_TCPO_HAS_WS;
	in.mss = 1460;
	in.wscale = 7;
	in.ts_val = 1;
	assert_int_equal(l7_tcp_opts_encode(&in, buf, sizeof(buf)), 20);
	assert_memory_equal(buf, ((const uint8_t[]){ 2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1,
						     0, 0, 0, 0, 1, 3, 3, 7 }), 20);
	assert_int_equal(l7_tcp_opts_encode(&in, buf, 19), L7_ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(iterator_good_cases),
		cmocka_unit_test(iterator_bad_cases),
		cmocka_unit_test(helpers_on_real_syns),
		cmocka_unit_test(sack_blocks),
		cmocka_unit_test(encode_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
