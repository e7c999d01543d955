/*
 * fuzz_splice.c — libFuzzer harness for the splice engine and TCP option
 * rewriting: arbitrary bytes as raw IP frames into long-lived engines (one
 * SYN-cookie, one stateful, so state carries across inputs), and as option
 * areas into l7_tcpopt_edit(). Nothing may crash, hang or read out of
 * bounds. Build and run: see docs/splice.md.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l7splice/splice.h"

static enum l7_splice_verdict route_cb(void *user, const struct l7_splice_head *h,
				       struct l7_splice_route *r)
{
	(void)user;
	if (h->len < 4)
		return L7_SPLICE_ROUTE_MORE;
	struct l7_addr src;
	memcpy(src.b, h->client_key->src, 16);
	r->backend = l7_addr_is_v4(&src) ? l7_addr_from_v4(0x0a000002) : src;
	r->backend_port = 8080;
	r->request_bytes = h->bytes[0] & 1 ? h->len : 0;
	if (h->bytes[1] & 1) {
		r->n_inserts = 1;
		r->inserts[0].stream_off = h->stream_off + (h->bytes[2] % h->len);
		r->inserts[0].data = (const uint8_t *)"X-A: b\r\n";
		r->inserts[0].len = 8;
	}
	return (enum l7_splice_verdict)(h->bytes[3] % 4);
}

static void emit_cb(void *user, const struct l7_splice_out *o)
{
	/* Feed back-end-bound SYNs an answer sometimes: touch the bytes so
	 * ASan sees any out-of-bounds frame. */
	volatile uint8_t x = 0;
	for (size_t i = 0; i < o->len; i++)
		x ^= o->frame[i];
	(void)user;
	(void)x;
}

static uint32_t sack_map(const void *ctx, uint32_t edge, int is_right)
{
	(void)ctx;
	return is_right ? edge + 7 : edge - 3;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct l7_splice *eng[2];
	static uint64_t now = 1000000000ull;
	if (!eng[0]) {
		for (int i = 0; i < 2; i++) {
			struct l7_splice_cfg cfg = { 0 };
			cfg.max_conns = 16;
			cfg.buf_bytes = 512;
			cfg.ins_bytes = 64;
			cfg.stateful = (uint8_t)i;
			cfg.route = route_cb;
			cfg.emit = emit_cb;
			eng[i] = l7_splice_create(&cfg, NULL);
		}
	}
	if (size < 1)
		return 0;
	uint8_t frame[2048];
	size_t n = size - 1 < sizeof(frame) ? size - 1 : sizeof(frame);
	memcpy(frame, data + 1, n);
	now += (uint64_t)data[0] * 1000000ull;
	l7_splice_input(eng[data[0] & 1], frame, n, L7_LINKTYPE_RAW, now);
	if ((data[0] & 0x1e) == 0)
		l7_splice_tick(eng[data[0] & 1], now + 400ull * 1000000000ull);
	/* Option areas of up to 40 bytes after a 20- or 21-byte "header", so
	 * both parities of the checksum words are exercised. */
	uint8_t area[64] = { 0 };
	size_t hdr = 20 + (data[0] & 1);
	size_t ol = n < 40 ? n : 40;
	memcpy(area + hdr, data + 1, ol);
	struct l7_tcpopt_edit e = { 0 };
	e.sack_delta = 12345;
	e.tsval_delta = 1;
	e.tsecr_delta = (uint32_t)-1;
	e.mss_clamp = 1000;
	e.strip = data[0] & 0x80 ? 1u << L7_TCPOPT_SACK_PERM : 0;
	if (data[0] & 0x40)
		e.sack_map = sack_map;
	uint16_t csum = 0x1234;
	l7_tcpopt_edit(area + hdr, ol, hdr, &e, &csum);
	return 0;
}
