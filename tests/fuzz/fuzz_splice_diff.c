/*
 * fuzz_splice_diff.c — differential libFuzzer harness for the splice fast
 * paths: every fast path must leave exactly the bytes (and return value,
 * checksum, parsed view, record) of the general path it shortcuts.
 *
 *  1. l7_tcpopt_edit() with a constant sack_delta (the NOP NOP TS / NOP NOP
 *     SACK fast paths) against the same shift given as a sack_map callback
 *     (the general option walk).
 *  2. l7_splice_xlate_c2s()/_s2c() on a prepared record (precomputed IPv4
 *     endpoint checksum sums, l7_splice_record_prepare) against the same
 *     record unprepared; translated frames must also verify their checksums.
 *
 * Input layout: 3 big-endian 32-bit deltas (SACK/seq, TSval, TSecr), one
 * mode byte (record flags, direction, endpoint shapes), then TCP options and
 * payload bytes. Any difference aborts. Build and run: docs/splice.md.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "l7splice/splice.h"

static uint32_t add_map(const void *ctx, uint32_t edge, int is_right)
{
	(void)is_right;
	return edge + *(const uint32_t *)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 16)
		return 0;
	uint32_t d = l7_get_be32(data), d2 = l7_get_be32(data + 4), d3 = l7_get_be32(data + 8);
	uint8_t mode = data[12];
	data += 13;
	size -= 13;
	/* 1: option editing, fast vs walk */
	uint8_t a[64] = { 0 }, b[64] = { 0 };
	size_t ol = size < 40 ? size : 40;
	memcpy(a + 20, data, ol);
	memcpy(b + 20, data, ol);
	if (d) {
		struct l7_tcpopt_edit ea = { .sack_delta = d, .tsval_delta = d2, .tsecr_delta = d3 };
		struct l7_tcpopt_edit eb = { .sack_map = add_map, .sack_ctx = &d, .tsval_delta = d2,
					     .tsecr_delta = d3 };
		uint16_t ca = 0x1234, cb = 0x1234;
		int ra = l7_tcpopt_edit(a + 20, ol, 20, &ea, &ca);
		int rb = l7_tcpopt_edit(b + 20, ol, 20, &eb, &cb);
		if (ra != rb || ca != cb || memcmp(a, b, sizeof(a)))
			abort();
	}
	/* 2: xlate prepared vs not */
	struct l7_splice_record r;
	memset(&r, 0, sizeof(r));
	r.client = l7_addr_from_v4(0x0a000001);
	r.client_port = 40000;
	r.vip = l7_addr_from_v4(0x0a00010a);
	r.vip_port = 80;
	r.leg_src = mode & 1 ? r.client : l7_addr_from_v4(0x0a000307);
	r.leg_src_port = mode & 1 ? 40000 : (uint16_t)d2;
	r.backend = l7_addr_from_v4(mode & 2 ? 0x0a00010a : 0xc0a80001);
	r.backend_port = mode & 4 ? 80 : 8080;
	r.s2c_delta = d;
	r.ts_delta = d3;
	r.c2s_delta = d2;
	r.flags = (mode >> 3) & 7;
	r.win_c2s_in = (mode >> 6) & 3;
	r.win_s2c_in = 9;
	r.win_s2c_out = 7;
	int s2c = (mode >> 5) & 1;
	struct l7_tcp_build bl = { 0 };
	bl.linktype = L7_LINKTYPE_RAW;
	bl.ip_version = 4;
	bl.ttl = 64;
	int foreign = ol > 0 && (data[0] & 0x80) && (data[0] & 0x40);
	if (s2c) {
		bl.src = r.backend;
		bl.dst = r.leg_src;
		bl.sport = r.backend_port;
		bl.dport = foreign ? 1 : r.leg_src_port;
	} else {
		bl.src = foreign ? l7_addr_from_v4(0x01020304) : r.client;
		bl.dst = r.vip;
		bl.sport = r.client_port;
		bl.dport = r.vip_port;
	}
	bl.seq = d ^ d2;
	bl.ack = d2 ^ d3;
	bl.flags = (uint16_t)(data[0] & 0x3f) | L7_TCP_ACK;
	bl.window = (uint16_t)d;
	size_t olen = ol & ~(size_t)3;
	bl.opts = data;
	bl.opts_len = olen;
	bl.payload = data;
	bl.payload_len = size - ol < 100 ? size - ol : 100;
	uint8_t f[512], g[512];
	size_t n = 0;
	if (l7_pkt_build_tcp(f, sizeof(f), &bl, &n) < 0)
		return 0;
	memcpy(g, f, n);
	struct l7_splice_record ra = r, rb = r;
	l7_splice_record_prepare(&ra);
	if (!ra.v4_ready)
		abort();
	struct l7_pkt pa, pb;
	memset(&pa, 0, sizeof(pa));
	memset(&pb, 0, sizeof(pb));
	if (l7_pkt_parse(&pa, f, (uint32_t)n, L7_LINKTYPE_RAW) < 0)
		return 0;
	l7_pkt_parse(&pb, g, (uint32_t)n, L7_LINKTYPE_RAW);
	int xa = s2c ? l7_splice_xlate_s2c(&ra, &pa, f, NULL) : l7_splice_xlate_c2s(&ra, &pa, f);
	int xb = s2c ? l7_splice_xlate_s2c(&rb, &pb, g, NULL) : l7_splice_xlate_c2s(&rb, &pb, g);
	pb.data = pa.data;
	/* the records may differ only in the prepared sums */
	ra.v4_ready = 0;
	ra.v4_addr_c2s = ra.v4_port_c2s = ra.v4_addr_s2c = ra.v4_port_s2c = 0;
	if (xa != xb || memcmp(f, g, n) || memcmp(&pa, &pb, sizeof(pa)) || memcmp(&ra, &rb, sizeof(ra)))
		abort();
	if (xa >= 0 && xa != L7_SPLICE_XLATE_SUPPRESS) {
		struct l7_pkt q;
		if (l7_pkt_parse(&q, f, (uint32_t)n, L7_LINKTYPE_RAW) == 0 && l7_pkt_csum_verify(&q) != 0)
			abort();
	}
	return 0;
}
