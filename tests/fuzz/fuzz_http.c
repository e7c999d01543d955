/*
 * fuzz_http.c — libFuzzer harness for the HTTP parser (not part of make
 * check; see docs/http.md). Input: byte 0 picks request/response and the
 * request method a response answers, bytes 1-3 the leniency flags, byte 4 a
 * split point; the rest is the message. Properties checked:
 *   - no crash, no out-of-bounds read (ASan), no UB (UBSan);
 *   - one-shot, two-piece split and byte-by-byte feeding give the same
 *     result, error code, error offset and parsed struct;
 *   - every span lies inside the head;
 *   - body framing gives the same payload and end whether fed whole or in
 *     pieces;
 *   - a strictly parsed request rewritten (X-Forwarded-For appended,
 *     Cookie removed, Forwarded added) still parses strictly.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *        tests/fuzz/fuzz_http.c src/http/\*.c src/common/error.c -o fuzz_http
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l7splice/http.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

struct result {
	int rc;
	enum l7_http_err err;
	uint32_t err_off;
	struct l7_http_request req;
	struct l7_http_response resp;
};

static void parse_cuts(const uint8_t *m, size_t n, int resp, enum l7_http_method meth,
		       uint32_t flags, const size_t *cuts, size_t n_cuts, struct result *r)
{
	struct l7_http_parser p;
	memset(r, 0, sizeof(*r));
	if (resp)
		l7_http_parser_init_response(&p, flags, 512, meth);
	else
		l7_http_parser_init(&p, flags, 512);
	r->rc = L7_EAGAIN;
	for (size_t i = 0; i < n_cuts && r->rc == L7_EAGAIN; i++)
		r->rc = resp ? l7_http_parse_response(&p, &r->resp, m, cuts[i])
			     : l7_http_parse_request(&p, &r->req, m, cuts[i]);
	(void)n;
	r->err = p.err;
	r->err_off = p.err_off;
}

static void same(const struct result *a, const struct result *b)
{
	CHECK(a->rc == b->rc);
	CHECK(a->err == b->err);
	CHECK(a->err_off == b->err_off);
	CHECK(memcmp(&a->req, &b->req, sizeof(a->req)) == 0);
	CHECK(memcmp(&a->resp, &b->resp, sizeof(a->resp)) == 0);
}

static void span_in(struct l7_http_span s, uint32_t end)
{
	CHECK(s.off <= end && s.len <= end - s.off);
}

static void check_spans(const struct l7_http_head *h)
{
	CHECK(h->head_bytes >= h->eoh_off);
	CHECK(h->n_headers <= L7_HTTP_MAX_HEADERS);
	for (size_t i = 0; i < h->n_headers; i++) {
		span_in(h->headers[i].name, h->eoh_off);
		span_in(h->headers[i].value, h->eoh_off);
		CHECK(h->headers[i].line_off + h->headers[i].line_len <= h->eoh_off);
	}
}

/* Body fed whole vs in pieces of `piece` bytes: same payload, same end. */
static void check_body(const struct l7_http_head *h, uint32_t flags, const uint8_t *d,
		       size_t n, size_t piece)
{
	struct l7_http_body a, b;
	uint64_t sum_a = 0, sum_b = 0;
	size_t pos_a = 0, pos_b = 0;
	int rc_a = L7_EAGAIN, rc_b = L7_EAGAIN;
	l7_http_body_init(&a, h, flags);
	l7_http_body_init(&b, h, flags);
	while (pos_a < n && rc_a == L7_EAGAIN) {
		size_t used;
		struct l7_http_span pl;
		rc_a = l7_http_body_feed(&a, d + pos_a, n - pos_a, &used, &pl);
		CHECK(used <= n - pos_a && pl.off + pl.len <= used);
		for (uint32_t k = 0; k < pl.len; k++)
			sum_a = sum_a * 31 + d[pos_a + pl.off + k];
		pos_a += used;
	}
	while (pos_b < n && rc_b == L7_EAGAIN) {
		size_t lim = pos_b + piece < n ? pos_b + piece : n;
		size_t used;
		struct l7_http_span pl;
		rc_b = l7_http_body_feed(&b, d + pos_b, lim - pos_b, &used, &pl);
		CHECK(used <= lim - pos_b && pl.off + pl.len <= used);
		for (uint32_t k = 0; k < pl.len; k++)
			sum_b = sum_b * 31 + d[pos_b + pl.off + k];
		pos_b += used;
	}
	CHECK(rc_a == rc_b && pos_a == pos_b && sum_a == sum_b);
	CHECK(a.err == b.err && a.payload == b.payload && a.n_chunks == b.n_chunks);
}

static void check_rewrite(const uint8_t *m, const struct l7_http_request *r)
{
	static struct l7_http_rewrite rw;
	static uint8_t out[4096];
	size_t on;
	l7_http_rewrite_init(&rw, 0);
	if (l7_http_rewrite_xff(&rw, &r->head, m, "192.0.2.1") != 0)
		return;
	if (l7_http_rewrite_remove(&rw, &r->head, m, "Cookie") != 0)
		return;
	if (l7_http_rewrite_forwarded(&rw, &r->head, m, "2001:db8::1", NULL, "http", NULL) != 0)
		return;
	CHECK(l7_http_rewrite_apply(&rw, m, r->head.head_bytes, out, sizeof(out), &on) == 0);
	CHECK((int64_t)on == (int64_t)r->head.head_bytes + l7_http_rewrite_delta(&rw));
	struct l7_http_parser p;
	static struct l7_http_request r2;
	l7_http_parser_init(&p, 0, sizeof(out));
	CHECK(l7_http_parse_request(&p, &r2, out, on) == 0);
	CHECK(r2.head.head_bytes == on);
	CHECK(l7_http_find_header(&r2.head, out, "cookie", 6, 0) < 0);
	CHECK(l7_http_find_header(&r2.head, out, "x-forwarded-for", 15, 0) >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct result one, two, bytes;
	static size_t cuts[1024];
	if (size < 5 || size > 5 + 1000)
		return 0;
	int resp = data[0] & 1;
	enum l7_http_method meth = (enum l7_http_method)((data[0] >> 1) % 10);
	uint32_t flags = ((uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16) &
			 L7_HTTP_LENIENT_ALL;
	if (data[0] & 0x80)
		flags = 0; /* keep the strict parser well covered */
	const uint8_t *m = data + 5;
	size_t n = size - 5;
	size_t all = n;
	parse_cuts(m, n, resp, meth, flags, &all, 1, &one);
	if (n > 1) {
		size_t c2[2] = { 1 + data[4] % (n - 1), n };
		parse_cuts(m, n, resp, meth, flags, c2, 2, &two);
		same(&one, &two);
	}
	for (size_t k = 0; k < n; k++)
		cuts[k] = k + 1;
	if (n) {
		parse_cuts(m, n, resp, meth, flags, cuts, n, &bytes);
		same(&one, &bytes);
	}
	if (one.rc != 0)
		return 0;
	const struct l7_http_head *h = resp ? &one.resp.head : &one.req.head;
	CHECK(h->head_bytes <= n);
	check_spans(h);
	check_body(h, flags, m + h->head_bytes, n - h->head_bytes, 1 + data[4] % 7);
	if (!resp && flags == 0)
		check_rewrite(m, &one.req);
	return 0;
}
