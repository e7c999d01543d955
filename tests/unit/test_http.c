/*
 * test_http.c — unit tests of the HTTP parser: every strict rejection with
 * its code and offset, and the one flag that relaxes it; response framing
 * and keep-alive; body framing (Content-Length, chunked, close); pipelining;
 * head rewriting edits and their application.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "l7splice/http.h"

/* ------------------------------------------------------------ helpers */

struct preq {
	struct l7_http_parser p;
	struct l7_http_request r;
	int rc;
};

static int parse_req(struct preq *x, const char *s, uint32_t flags, uint32_t max)
{
	memset(x, 0, sizeof(*x));
	l7_http_parser_init(&x->p, flags, max);
	x->rc = l7_http_parse_request(&x->p, &x->r, (const uint8_t *)s, strlen(s));
	return x->rc;
}

/* Same, but fed one byte more per call: must end identical. */
static int parse_req_bytewise(struct preq *x, const char *s, uint32_t flags, uint32_t max)
{
	memset(x, 0, sizeof(*x));
	l7_http_parser_init(&x->p, flags, max);
	size_t n = strlen(s);
	x->rc = L7_EAGAIN;
	for (size_t k = 1; k <= n && x->rc == L7_EAGAIN; k++)
		x->rc = l7_http_parse_request(&x->p, &x->r, (const uint8_t *)s, k);
	return x->rc;
}

static const char *esc(const char *s)
{
	static char out[1024];
	size_t o = 0;
	for (; *s && o < sizeof(out) - 5; s++) {
		if (*s == '\r' || *s == '\n' || (unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\x%02x", (unsigned char)*s);
		else
			out[o++] = *s;
	}
	out[o] = 0;
	return out;
}

/* Strict: rejected with err at off; with flag: accepted (rc 0). */
static void reject_then_relax(const char *s, enum l7_http_err err, uint32_t off,
			      uint32_t flag)
{
	struct preq a, b;
	int rc = parse_req(&a, s, 0, 0);
	if (rc != L7_EHTTP || a.p.err != err || a.p.err_off != off)
		fail_msg("\"%s\": got rc %d %s@%u, want %s@%u", esc(s), rc,
			 l7_http_strerror(a.p.err), a.p.err_off, l7_http_strerror(err), off);
	assert_int_equal(parse_req_bytewise(&b, s, 0, 0), L7_EHTTP);
	assert_int_equal(b.p.err, err);
	assert_int_equal(b.p.err_off, off);
	if (flag) {
		rc = parse_req(&a, s, flag, 0);
		if (rc != 0)
			fail_msg("\"%s\" with flag %#x: %s@%u", esc(s), flag,
				 l7_http_strerror(a.p.err), a.p.err_off);
		/* all the other flags together do not help */
		if (parse_req(&a, s, L7_HTTP_LENIENT_ALL & ~flag, 0) != L7_EHTTP)
			fail_msg("\"%s\" accepted without flag %#x", esc(s), flag);
	}
}

static int span_is(const char *buf, struct l7_http_span s, const char *want)
{
	return s.len == strlen(want) && memcmp(buf + s.off, want, s.len) == 0;
}

#define REQ(line, fields) line "\r\n" fields "\r\n\r\n"

/* ------------------------------------------------------------ basics */

static void parses_request_views(void **state)
{
	(void)state;
	const char *s = "GET /a/b?x=1&y HTTP/1.1\r\nHost: Example.COM:8080\r\n"
			"User-Agent:  curl/8 \r\nAccept: */*\r\n\r\nBODY";
	struct preq x;
	assert_int_equal(parse_req(&x, s, 0, 0), 0);
	assert_int_equal(x.r.method, L7_HTTP_GET);
	assert_true(span_is(s, x.r.method_tok, "GET"));
	assert_true(span_is(s, x.r.target, "/a/b?x=1&y"));
	assert_true(span_is(s, x.r.path, "/a/b"));
	assert_true(span_is(s, x.r.query, "x=1&y"));
	assert_true(x.r.has_query);
	assert_true(span_is(s, x.r.host, "Example.COM:8080"));
	assert_int_equal(x.r.host_header, 0);
	assert_int_equal(x.r.head.n_headers, 3);
	assert_true(span_is(s, x.r.head.headers[1].name, "User-Agent"));
	assert_true(span_is(s, x.r.head.headers[1].value, "curl/8"));
	assert_int_equal(x.r.head.headers[1].line_off, 49);
	assert_int_equal(x.r.head.headers[1].line_len, strlen("User-Agent:  curl/8 \r\n"));
	assert_int_equal(x.r.head.head_bytes, strlen(s) - 4);
	assert_int_equal(x.r.head.eoh_off, strlen(s) - 6);
	assert_int_equal(x.r.head.version_minor, 1);
	assert_true(x.r.head.keep_alive);
	assert_int_equal(x.r.head.framing, L7_HTTP_BODY_NONE);
	assert_int_equal(l7_http_find_header(&x.r.head, (const uint8_t *)s, "accept", 6, 0), 2);
	assert_int_equal(l7_http_find_header(&x.r.head, (const uint8_t *)s, "accept", 6, 3), -1);
	/* partial input is a return value, then completes identically */
	struct preq y;
	assert_int_equal(parse_req_bytewise(&y, s, 0, 0), 0);
	assert_memory_equal(&x.r, &y.r, sizeof(x.r));
	struct l7_http_parser p;
	struct l7_http_request r;
	l7_http_parser_init(&p, 0, 0);
	assert_int_equal(l7_http_parse_request(&p, &r, (const uint8_t *)s, 30), L7_EAGAIN);
	assert_int_equal(l7_http_parse_request(&p, &r, (const uint8_t *)s, strlen(s)), 0);
	/* done is sticky */
	assert_int_equal(l7_http_parse_request(&p, &r, (const uint8_t *)s, strlen(s)), 0);
}

static void method_and_target_forms(void **state)
{
	(void)state;
	struct preq x;
	const char *s = REQ("OPTIONS * HTTP/1.1", "Host: a");
	assert_int_equal(parse_req(&x, s, 0, 0), 0);
	assert_int_equal(x.r.method, L7_HTTP_OPTIONS);
	assert_true(span_is(s, x.r.path, "*"));
	s = REQ("CONNECT db.example:5432 HTTP/1.1", "Host: db.example:5432");
	assert_int_equal(parse_req(&x, s, 0, 0), 0);
	assert_true(span_is(s, x.r.host, "db.example:5432"));
	assert_true(x.r.head.upgrade);
	s = REQ("GET http://Origin.example:81/p/q?z HTTP/1.1", "Host: ignored");
	assert_int_equal(parse_req(&x, s, 0, 0), 0);
	assert_true(x.r.absolute_form);
	assert_true(span_is(s, x.r.host, "Origin.example:81"));
	assert_true(span_is(s, x.r.path, "/p/q"));
	assert_true(span_is(s, x.r.query, "z"));
	s = REQ("PROPFIND /%7Euser HTTP/1.1", "Host: a");
	assert_int_equal(parse_req(&x, s, 0, 0), 0);
	assert_int_equal(x.r.method, L7_HTTP_METHOD_OTHER);
	assert_true(span_is(s, x.r.method_tok, "PROPFIND"));
	assert_string_equal(l7_http_method_name(L7_HTTP_DELETE), "DELETE");
	assert_string_equal(l7_http_method_name(L7_HTTP_METHOD_OTHER), "");
	/* leading empty line before the request line is ignored (§2.2) */
	s = "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
	assert_int_equal(parse_req(&x, s, 0, 0), 0);
	assert_true(span_is(s, x.r.target, "/"));
}

static void keep_alive_verdicts(void **state)
{
	(void)state;
	struct preq x;
	assert_int_equal(parse_req(&x, REQ("GET / HTTP/1.1", "Host: a"), 0, 0), 0);
	assert_true(x.r.head.keep_alive);
	assert_int_equal(parse_req(&x, REQ("GET / HTTP/1.1", "Host: a\r\nConnection: x, Close"), 0, 0), 0);
	assert_false(x.r.head.keep_alive);
	assert_int_equal(parse_req(&x, REQ("GET / HTTP/1.0", ""), 0, 0), 0);
	assert_false(x.r.head.keep_alive);
	assert_int_equal(parse_req(&x, REQ("GET / HTTP/1.0", "Connection: Keep-Alive"), 0, 0), 0);
	assert_true(x.r.head.keep_alive);
	assert_int_equal(parse_req(&x, REQ("GET / HTTP/1.1", "Host: a\r\nExpect: 100-continue"), 0, 0), 0);
	assert_true(x.r.expect_continue);
	assert_int_equal(parse_req(&x, REQ("GET / HTTP/1.1", "Host: a\r\nConnection: upgrade\r\nUpgrade: websocket"), 0, 0), 0);
	assert_true(x.r.head.upgrade);
}

/* ------------------------------------------------------------ strictness */

static void framing_smuggling_defences(void **state)
{
	(void)state;
	struct preq x;
	const char *cl_te = REQ("POST / HTTP/1.1", "Host: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked");
	reject_then_relax(cl_te, L7_HTTP_E_CL_AND_TE, 64, L7_HTTP_LENIENT_CL_TE);
	assert_int_equal(parse_req(&x, cl_te, L7_HTTP_LENIENT_CL_TE, 0), 0);
	assert_int_equal(x.r.head.framing, L7_HTTP_BODY_CHUNKED); /* TE wins */

	const char *diff = REQ("POST / HTTP/1.1", "Host: a\r\nContent-Length: 5\r\nContent-Length: 6");
	reject_then_relax(diff, L7_HTTP_E_CL_DIFFERENT, 61, L7_HTTP_LENIENT_CL_DIFFERENT);
	assert_int_equal(parse_req(&x, diff, L7_HTTP_LENIENT_CL_DIFFERENT, 0), 0);
	assert_int_equal(x.r.head.content_length, 5);
	reject_then_relax(REQ("POST / HTTP/1.1", "Host: a\r\nContent-Length: 5, 6"),
			  L7_HTTP_E_CL_DIFFERENT, 45, L7_HTTP_LENIENT_CL_DIFFERENT);

	const char *rep = REQ("POST / HTTP/1.1", "Host: a\r\nContent-Length: 5\r\ncontent-length: 5");
	reject_then_relax(rep, L7_HTTP_E_CL_REPEATED, 61, L7_HTTP_LENIENT_CL_REPEATED);
	assert_int_equal(parse_req(&x, rep, L7_HTTP_LENIENT_CL_REPEATED, 0), 0);
	assert_int_equal(x.r.head.content_length, 5);
	assert_int_equal(x.r.head.n_content_length, 2);
	reject_then_relax(REQ("POST / HTTP/1.1", "Host: a\r\nContent-Length: 5,5"),
			  L7_HTTP_E_CL_REPEATED, 44, L7_HTTP_LENIENT_CL_REPEATED);

	/* invalid Content-Length: no flag can make a number of these */
	static const char *const bad_cl[] = { "-1", "+5", "5a", "0x10", "", "1 2", "5,",
					      "9223372036854775808", "18446744073709551616" };
	for (size_t i = 0; i < sizeof(bad_cl) / sizeof(bad_cl[0]); i++) {
		char buf[256];
		snprintf(buf, sizeof(buf), "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: %s\r\n\r\n", bad_cl[i]);
		assert_int_equal(parse_req(&x, buf, L7_HTTP_LENIENT_ALL, 0), L7_EHTTP);
		assert_int_equal(x.p.err, L7_HTTP_E_CL_INVALID);
	}
	assert_int_equal(parse_req(&x, REQ("POST / HTTP/1.1", "Host: a\r\nContent-Length: 9223372036854775807"), 0, 0), 0);
	assert_int_equal(x.r.head.content_length, 9223372036854775807ull);
	assert_int_equal(x.r.head.framing, L7_HTTP_BODY_LENGTH);

	/* TE whose last coding is not chunked: request body length unknown */
	const char *te = REQ("POST / HTTP/1.1", "Host: a\r\nTransfer-Encoding: chunked, gzip");
	reject_then_relax(te, L7_HTTP_E_TE_NOT_CHUNKED, 45, L7_HTTP_LENIENT_TE);
	assert_int_equal(parse_req(&x, te, L7_HTTP_LENIENT_TE, 0), 0);
	assert_int_equal(x.r.head.framing, L7_HTTP_BODY_CLOSE);
	assert_false(x.r.head.keep_alive);
	/* TE over two fields: the last coding counts */
	assert_int_equal(parse_req(&x, REQ("POST / HTTP/1.1", "Host: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked"), 0, 0), 0);
	assert_int_equal(x.r.head.framing, L7_HTTP_BODY_CHUNKED);
	static const char *const bad_te[] = { "chunked, chunked", "chunked;", "", "chunked;a", "x@y",
					      "chunked;q=\"unterminated" };
	for (size_t i = 0; i < sizeof(bad_te) / sizeof(bad_te[0]); i++) {
		char buf[256];
		snprintf(buf, sizeof(buf), "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: %s\r\n\r\n", bad_te[i]);
		assert_int_equal(parse_req(&x, buf, 0, 0), L7_EHTTP);
		assert_int_equal(x.p.err, L7_HTTP_E_TE_INVALID);
	}
	assert_int_equal(parse_req(&x, REQ("POST / HTTP/1.1", "Host: a\r\nTransfer-Encoding: gzip;q=\"a,b\" , chunked"), 0, 0), 0);
	reject_then_relax(REQ("POST / HTTP/1.0", "Transfer-Encoding: chunked"), L7_HTTP_E_TE_HTTP10, 36,
			  L7_HTTP_LENIENT_TE_HTTP10);
}

static void syntax_rejections(void **state)
{
	(void)state;
	reject_then_relax(REQ("GET / HTTP/1.1", "Host: a\r\nX: a\r\n b"), L7_HTTP_E_OBS_FOLD, 31,
			  L7_HTTP_LENIENT_OBS_FOLD);
	reject_then_relax(REQ("GET / HTTP/1.1", "Host : a"), L7_HTTP_E_WS_BEFORE_COLON, 20,
			  L7_HTTP_LENIENT_WS_BEFORE_COLON);
	reject_then_relax("GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", L7_HTTP_E_BARE_LF, 23,
			  L7_HTTP_LENIENT_BARE_LF);
	reject_then_relax("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", L7_HTTP_E_BARE_CR, 29,
			  L7_HTTP_LENIENT_BARE_CR);
	reject_then_relax(REQ("GET / HTTP/1.1", "Host: a\r\nX(y: z"), L7_HTTP_E_FIELD_NAME, 26,
			  L7_HTTP_LENIENT_TOKEN);
	reject_then_relax(REQ("GET / HTTP/1.1", "Host: a\r\nX\xc3\xa9: z"), L7_HTTP_E_FIELD_NAME, 26,
			  L7_HTTP_LENIENT_TOKEN);
	reject_then_relax(REQ("G(T / HTTP/1.1", "Host: a"), L7_HTTP_E_METHOD, 1,
			  L7_HTTP_LENIENT_TOKEN);
	reject_then_relax(REQ("GET / HTTP/1.1", "Host: a\r\nX: a\001b"), L7_HTTP_E_FIELD_VALUE, 29,
			  L7_HTTP_LENIENT_CTL_VALUE);
	reject_then_relax(REQ("GET / HTTP/1.1", "Host: a\r\nX: a\177b"), L7_HTTP_E_FIELD_VALUE, 29,
			  L7_HTTP_LENIENT_CTL_VALUE);
	reject_then_relax(REQ("GET / HTTP/1.1", " X: a\r\nHost: a"), L7_HTTP_E_LEADING_WS, 16,
			  L7_HTTP_LENIENT_LEADING_WS);
	reject_then_relax(REQ("GET /a#f HTTP/1.1", "Host: a"), L7_HTTP_E_TARGET, 6,
			  L7_HTTP_LENIENT_TARGET);
	reject_then_relax(REQ("GET /a%zz HTTP/1.1", "Host: a"), L7_HTTP_E_TARGET, 6,
			  L7_HTTP_LENIENT_TARGET);
	reject_then_relax(REQ("GET http://u:p@h/ HTTP/1.1", "Host: h"), L7_HTTP_E_TARGET, 14,
			  L7_HTTP_LENIENT_TARGET);
	reject_then_relax(REQ("GET * HTTP/1.1", "Host: h"), L7_HTTP_E_TARGET, 4,
			  L7_HTTP_LENIENT_TARGET);
	reject_then_relax(REQ("CONNECT /x HTTP/1.1", "Host: h"), L7_HTTP_E_TARGET, 8,
			  L7_HTTP_LENIENT_TARGET);
	reject_then_relax(REQ("GET / HTTP/1.2", "Host: h"), L7_HTTP_E_VERSION_UNSUPPORTED, 6,
			  L7_HTTP_LENIENT_VERSION);
	reject_then_relax(REQ("GET / HTTP/2.0", "Host: h"), L7_HTTP_E_VERSION_UNSUPPORTED, 6,
			  L7_HTTP_LENIENT_VERSION);
	reject_then_relax(REQ("GET / HTTP/1.1", ""), L7_HTTP_E_HOST_MISSING, 16,
			  L7_HTTP_LENIENT_HOST);
	reject_then_relax(REQ("GET / HTTP/1.1", "Host: a\r\nHost: b"), L7_HTTP_E_HOST_DUPLICATE, 25,
			  L7_HTTP_LENIENT_HOST);
	reject_then_relax(REQ("GET / HTTP/1.1", "Host: a/b"), L7_HTTP_E_HOST_INVALID, 22,
			  L7_HTTP_LENIENT_HOST);
	/* no leniency can repair these */
	reject_then_relax(REQ("GET /", "Host: a"), L7_HTTP_E_REQUEST_LINE, 5, 0);
	reject_then_relax(REQ("GET  / HTTP/1.1", "Host: a"), L7_HTTP_E_REQUEST_LINE, 4, 0);
	reject_then_relax(REQ("GET / HTTP/1.1", "Host: a\r\nNoColon"), L7_HTTP_E_NO_COLON, 25, 0);
	reject_then_relax(REQ("GET / HTTP/1.1", "Host: a\r\n: empty"), L7_HTTP_E_FIELD_NAME, 25, 0);
	{
		/* NUL is refused even with every leniency */
		static const char nul[] = "GET / HTTP/1.1\r\nHost: a\r\nX: a\000b\r\n\r\n";
		struct l7_http_parser p;
		struct l7_http_request r;
		l7_http_parser_init(&p, L7_HTTP_LENIENT_ALL, 0);
		assert_int_equal(l7_http_parse_request(&p, &r, (const uint8_t *)nul, sizeof(nul) - 1), L7_EHTTP);
		assert_int_equal(p.err, L7_HTTP_E_FIELD_VALUE);
		assert_int_equal(p.err_off, 29);
	}
	/* version syntax */
	static const char *const bad_v[] = { "HTTP/1.10", "HTTP/01.1", "http/1.1", "HTTP/1,1", "HTTP/1." };
	for (size_t i = 0; i < sizeof(bad_v) / sizeof(bad_v[0]); i++) {
		char buf[128];
		struct preq x;
		snprintf(buf, sizeof(buf), "GET / %s\r\nHost: a\r\n\r\n", bad_v[i]);
		assert_int_equal(parse_req(&x, buf, L7_HTTP_LENIENT_ALL, 0), L7_EHTTP);
		assert_int_equal(x.p.err, L7_HTTP_E_VERSION);
		assert_int_equal(x.p.err_off, 6);
	}
	/* X-Forwarded-For folded (lenient): the address goes after the value's
	 * last byte, on the continuation line */
	{
		struct preq f;
		struct l7_http_rewrite rw;
		char out[256];
		size_t on;
		const char *m = "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.1.1.1,\r\n 2.2.2.2\r\n\r\n";
		assert_int_equal(parse_req(&f, m, L7_HTTP_LENIENT_OBS_FOLD, 0), 0);
		l7_http_rewrite_init(&rw, 0);
		assert_int_equal(l7_http_rewrite_xff(&rw, &f.r.head, (const uint8_t *)m, "3.3.3.3"), 0);
		assert_int_equal(l7_http_rewrite_apply(&rw, (const uint8_t *)m, strlen(m), (uint8_t *)out,
						       sizeof(out) - 1, &on), 0);
		out[on] = 0;
		assert_string_equal(out, "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.1.1.1,\r\n"
					 " 2.2.2.2, 3.3.3.3\r\n\r\n");
	}
	/* a lenient fold keeps the raw continuation inside the value */
	struct preq x;
	const char *fold = REQ("GET / HTTP/1.1", "Host: a\r\nX: a\r\n\t b ");
	assert_int_equal(parse_req(&x, fold, L7_HTTP_LENIENT_OBS_FOLD, 0), 0);
	assert_true(span_is(fold, x.r.head.headers[1].value, "a\r\n\t b"));
	assert_int_equal(x.r.head.headers[1].line_len, strlen("X: a\r\n\t b \r\n"));
	const char *ws = REQ("GET / HTTP/1.1", "Host \t: a");
	assert_int_equal(parse_req(&x, ws, L7_HTTP_LENIENT_WS_BEFORE_COLON, 0), 0);
	assert_true(span_is(ws, x.r.head.headers[0].name, "Host"));
	assert_true(span_is(ws, x.r.host, "a"));
}

static void too_large_is_not_malformed(void **state)
{
	(void)state;
	struct preq x;
	const char *s = "GET /0123456789 HTTP/1.1\r\nHost: a\r\n\r\n";
	size_t n = strlen(s);
	assert_int_equal(n, 37);
	assert_int_equal(parse_req(&x, s, 0, (uint32_t)n), 0);
	assert_int_equal(parse_req(&x, s, 0, (uint32_t)n - 1), L7_EHTTPTOOBIG);
	assert_int_equal(x.p.err, L7_HTTP_E_HEAD_TOO_LARGE);
	assert_int_equal(x.p.err_off, n - 1);
	assert_true(l7_http_err_is_too_large(x.p.err));
	assert_int_equal(parse_req_bytewise(&x, s, 0, (uint32_t)n - 1), L7_EHTTPTOOBIG);
	/* a head still incomplete below the limit is just partial */
	assert_int_equal(parse_req(&x, "GET / HTTP/1.1\r\nHost: a\r\n", 0, 100), L7_EAGAIN);
	/* a control byte inside the limit wins over the size; a line not
	 * finished within the limit is only "too large" (its syntax is judged
	 * when it ends) */
	assert_int_equal(parse_req(&x, "GET / HTTP/1.1\r\nHo\001st: aaaaaaaaaaaaaaaaaaaa", 0, 30), L7_EHTTP);
	assert_int_equal(x.p.err, L7_HTTP_E_FIELD_NAME);
	assert_int_equal(x.p.err_off, 18);
	assert_false(l7_http_err_is_too_large(x.p.err));
	assert_int_equal(parse_req(&x, "GET / HTTP/1.1\r\nHo(st: aaaaaaaaaaaaaaaaaaaa", 0, 30), L7_EHTTPTOOBIG);
	/* too many fields */
	char big[4096];
	size_t o = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < L7_HTTP_MAX_HEADERS; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "X%d: v\r\n", i);
	snprintf(big + o, sizeof(big) - o, "\r\n");
	if (parse_req(&x, big, 0, 0) != L7_EHTTPTOOBIG)
		fail_msg("%s@%u", l7_http_strerror(x.p.err), x.p.err_off);
	assert_int_equal(x.p.err, L7_HTTP_E_TOO_MANY_FIELDS);
	/* errors are sticky */
	assert_int_equal(l7_http_parse_request(&x.p, &x.r, (const uint8_t *)big, strlen(big)),
			 L7_EHTTPTOOBIG);
}

static void error_texts_are_distinct(void **state)
{
	(void)state;
	for (int i = 0; i < L7_HTTP_E_COUNT; i++) {
		const char *t = l7_http_strerror((enum l7_http_err)i);
		assert_string_not_equal(t, "unknown HTTP error");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(t, l7_http_strerror((enum l7_http_err)j));
	}
	assert_string_equal(l7_http_strerror(L7_HTTP_E_COUNT), "unknown HTTP error");
}


/* Every byte value in a field name, a field value and a request-target,
 * against the grammar written out here a second time (RFC 9110 §5.6.2
 * tchar, §5.5 field-vchar, RFC 3986 pchar/query): the parser's tables and
 * word-at-a-time scanner accept exactly these. */
static int is_tchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_uri_char(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("-._~!$&'()*+,;=:@/?[]", c));
}

static void every_byte_in_every_place(void **state)
{
	(void)state;
	struct l7_http_parser p;
	struct l7_http_request r;
	char m[256];
	for (int c = 0; c < 256; c++) {
		if (c == '\r' || c == '\n' || c == ':')
			continue;
		/* at several positions so the 8/16-byte paths see it too */
		for (int pos = 0; pos < 20; pos += 3) {
			/* field name */
			int n = snprintf(m, sizeof(m), "GET / HTTP/1.1\r\nHost: a\r\nXxxxxxxxxxxxxxxxxxxxxxx: v\r\n\r\n");
			m[25 + pos] = (char)c;
			l7_http_parser_init(&p, 0, 0);
			int rc = l7_http_parse_request(&p, &r, (const uint8_t *)m, (size_t)n);
			if ((rc == 0) != (is_tchar(c) != 0))
				fail_msg("byte %#x in a name at %d: rc %d (%s)", c, pos, rc, l7_http_strerror(p.err));
			if (rc)
				assert_true(p.err == L7_HTTP_E_FIELD_NAME || p.err == L7_HTTP_E_WS_BEFORE_COLON ||
					    p.err == L7_HTTP_E_OBS_FOLD);
			/* field value: VCHAR, SP, HTAB, obs-text */
			n = snprintf(m, sizeof(m), "GET / HTTP/1.1\r\nHost: a\r\nX: vvvvvvvvvvvvvvvvvvvvvvvvvv\r\n\r\n");
			m[29 + pos] = (char)c;
			l7_http_parser_init(&p, 0, 0);
			rc = l7_http_parse_request(&p, &r, (const uint8_t *)m, (size_t)n);
			int ok = c == '\t' || (c >= 0x20 && c != 0x7f);
			if ((rc == 0) != ok)
				fail_msg("byte %#x in a value at %d: rc %d", c, pos, rc);
			if (rc)
				assert_int_equal(p.err, L7_HTTP_E_FIELD_VALUE);
			/* request-target (a '%' must start an escape, so skip it) */
			if (c == '%' || c == ' ' || c == '#')
				continue;
			n = snprintf(m, sizeof(m), "GET /ttttttttttttttttttttttttt HTTP/1.1\r\nHost: a\r\n\r\n");
			m[5 + pos] = (char)c;
			l7_http_parser_init(&p, 0, 0);
			rc = l7_http_parse_request(&p, &r, (const uint8_t *)m, (size_t)n);
			if ((rc == 0) != (is_uri_char(c) != 0))
				fail_msg("byte %#x in a target at %d: rc %d", c, pos, rc);
			if (rc)
				assert_int_equal(p.err, c == '\t' ? L7_HTTP_E_REQUEST_LINE : L7_HTTP_E_TARGET);
		}
	}
}

/* ------------------------------------------------------------ responses */

struct presp {
	struct l7_http_parser p;
	struct l7_http_response r;
	int rc;
};

static int parse_resp(struct presp *x, const char *s, enum l7_http_method m, uint32_t flags)
{
	memset(x, 0, sizeof(*x));
	l7_http_parser_init_response(&x->p, flags, 0, m);
	x->rc = l7_http_parse_response(&x->p, &x->r, (const uint8_t *)s, strlen(s));
	return x->rc;
}

static void response_framing(void **state)
{
	(void)state;
	struct presp x;
	const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
	assert_int_equal(parse_resp(&x, s, L7_HTTP_GET, 0), 0);
	assert_int_equal(x.r.status, 200);
	assert_true(span_is(s, x.r.reason, "OK"));
	assert_int_equal(x.r.head.framing, L7_HTTP_BODY_LENGTH);
	assert_true(x.r.head.keep_alive);
	/* the same response to HEAD has no body */
	assert_int_equal(parse_resp(&x, s, L7_HTTP_HEAD, 0), 0);
	assert_int_equal(x.r.head.framing, L7_HTTP_BODY_NONE);
	assert_true(x.r.head.keep_alive);
	static const int none[] = { 100, 101, 103, 204, 304 };
	for (size_t i = 0; i < 5; i++) {
		char buf[128];
		snprintf(buf, sizeof(buf), "HTTP/1.1 %d X\r\nTransfer-Encoding: chunked\r\n\r\n", none[i]);
		assert_int_equal(parse_resp(&x, buf, L7_HTTP_GET, 0), 0);
		assert_int_equal(x.r.head.framing, L7_HTTP_BODY_NONE);
		assert_int_equal(x.r.head.upgrade, none[i] == 101);
	}
	assert_int_equal(parse_resp(&x, "HTTP/1.1 200 OK\r\n\r\n", L7_HTTP_GET, 0), 0);
	assert_int_equal(x.r.head.framing, L7_HTTP_BODY_CLOSE);
	assert_false(x.r.head.keep_alive);
	assert_int_equal(parse_resp(&x, "HTTP/1.1 200 OK\r\n\r\n", L7_HTTP_CONNECT, 0), 0);
	assert_int_equal(x.r.head.framing, L7_HTTP_BODY_NONE);
	assert_true(x.r.head.upgrade);
	assert_int_equal(parse_resp(&x, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", L7_HTTP_GET, 0), 0);
	assert_int_equal(x.r.head.framing, L7_HTTP_BODY_CLOSE);
	assert_int_equal(parse_resp(&x, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", L7_HTTP_GET, 0), 0);
	assert_true(x.r.head.keep_alive);
	assert_int_equal(parse_resp(&x, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", L7_HTTP_GET, 0), L7_EHTTP);
	assert_int_equal(x.p.err, L7_HTTP_E_CL_AND_TE);
	assert_int_equal(parse_resp(&x, "HTTP/1.1 99 X\r\n\r\n", L7_HTTP_GET, 0), L7_EHTTP);
	assert_int_equal(x.p.err, L7_HTTP_E_STATUS);
	assert_int_equal(parse_resp(&x, "HTTP/1.1 200 O\001K\r\n\r\n", L7_HTTP_GET, 0), L7_EHTTP);
	assert_int_equal(x.p.err, L7_HTTP_E_REASON);
	assert_int_equal(parse_resp(&x, "HTTP/1.1 200\r\n\r\n", L7_HTTP_GET, 0), L7_EHTTP);
	assert_int_equal(x.p.err, L7_HTTP_E_STATUS_LINE);
	assert_int_equal(parse_resp(&x, "HTTP/1.1 200\r\n\r\n", L7_HTTP_GET, L7_HTTP_LENIENT_STATUS_LINE), 0);
	/* Host is a request matter */
	assert_int_equal(parse_resp(&x, "HTTP/1.1 204 X\r\nHost: a\r\nHost: b\r\n\r\n", L7_HTTP_GET, 0), 0);
	/* 100-continue: the interim response is a whole message; the final
	 * one follows and is parsed by a re-initialised parser */
	const char *seq = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(parse_resp(&x, seq, L7_HTTP_POST, 0), 0);
	assert_int_equal(x.r.status, 100);
	assert_int_equal(x.r.head.framing, L7_HTTP_BODY_NONE);
	assert_int_equal(x.r.head.head_bytes, 25);
	struct presp y;
	assert_int_equal(parse_resp(&y, seq + x.r.head.head_bytes, L7_HTTP_POST, 0), 0);
	assert_int_equal(y.r.status, 201);
	assert_int_equal(y.r.head.framing, L7_HTTP_BODY_LENGTH);
	assert_true(y.r.head.keep_alive);
	/* request and response parsers are not interchangeable */
	struct l7_http_request rq;
	assert_int_equal(l7_http_parse_request(&x.p, &rq, (const uint8_t *)"x", 1), L7_EINVAL);
}

/* ------------------------------------------------------------ bodies */

/* Feed data in pieces of `piece` bytes; collect payload; return rc. */
static int feed_all(struct l7_http_body *b, const char *data, size_t n, size_t piece,
		    char *out, size_t *out_n, size_t *end)
{
	size_t pos = 0;
	int rc = L7_EAGAIN;
	*out_n = 0;
	while (pos < n && rc == L7_EAGAIN) {
		size_t lim = pos + piece < n ? pos + piece : n;
		while (pos < lim && rc == L7_EAGAIN) {
			size_t used;
			struct l7_http_span pl;
			rc = l7_http_body_feed(b, (const uint8_t *)data + pos, lim - pos, &used, &pl);
			memcpy(out + *out_n, data + pos + pl.off, pl.len);
			*out_n += pl.len;
			pos += used;
		}
	}
	*end = pos;
	return rc;
}

static void chunked_body(void **state)
{
	(void)state;
	struct l7_http_head h;
	memset(&h, 0, sizeof(h));
	h.framing = L7_HTTP_BODY_CHUNKED;
	const char *body = "5;a=b;c=\"q\\\"x\"\r\nhello\r\n6 ; n\r\n world\r\n0\r\nT: v\r\n\r\nNEXT";
	for (size_t piece = 1; piece <= strlen(body); piece++) {
		struct l7_http_body b;
		char out[64];
		size_t on, end;
		l7_http_body_init(&b, &h, 0);
		assert_int_equal(feed_all(&b, body, strlen(body), piece, out, &on, &end), 0);
		assert_int_equal(on, 11);
		assert_memory_equal(out, "hello world", 11);
		assert_int_equal(end, strlen(body) - 4);
		assert_int_equal(b.n_chunks, 3);
		assert_int_equal(b.payload, 11);
	}
	static const struct {
		const char *body;
		enum l7_http_err err;
		uint32_t relax;
	} bad[] = {
		{ "10000000000000000\r\n", L7_HTTP_E_CHUNK_OVERFLOW, 0 },  /* 2^64 */
		{ "8000000000000000\r\n", L7_HTTP_E_CHUNK_OVERFLOW, 0 },   /* 2^63 */
		{ "g\r\n", L7_HTTP_E_CHUNK_SIZE, 0 },
		{ "-1\r\n", L7_HTTP_E_CHUNK_SIZE, 0 },
		{ "0x5\r\n", L7_HTTP_E_CHUNK_SIZE, 0 },
		{ "5 \r\nhello\r\n0\r\n\r\n", L7_HTTP_E_CHUNK_SIZE, L7_HTTP_LENIENT_CHUNK_WS },
		{ "5;\r\n", L7_HTTP_E_CHUNK_EXT, 0 },
		{ "5;a=\r\n", L7_HTTP_E_CHUNK_EXT, 0 },
		{ "5;a=\"x\r\n", L7_HTTP_E_CHUNK_EXT, 0 },
		{ "5\r\nhelloX\r\n", L7_HTTP_E_CHUNK_CRLF, 0 },
		{ "5\r\nhello\n0\r\n\r\n", L7_HTTP_E_CHUNK_CRLF, L7_HTTP_LENIENT_BARE_LF },
		{ "5\nhello\r\n0\r\n\r\n", L7_HTTP_E_BARE_LF, L7_HTTP_LENIENT_BARE_LF },
		{ "5\rhello\r\n", L7_HTTP_E_BARE_CR, 0 },
		{ "0\r\nBad Name: v\r\n\r\n", L7_HTTP_E_TRAILER, 0 },
		{ "0\r\nN: a\001b\r\n\r\n", L7_HTTP_E_TRAILER, L7_HTTP_LENIENT_CTL_VALUE },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct l7_http_body b;
		char out[64];
		size_t on, end;
		l7_http_body_init(&b, &h, 0);
		assert_int_equal(feed_all(&b, bad[i].body, strlen(bad[i].body), 1, out, &on, &end), L7_EHTTP);
		if (b.err != bad[i].err)
			fail_msg("body %zu: %s", i, l7_http_strerror(b.err));
		if (bad[i].relax) {
			l7_http_body_init(&b, &h, bad[i].relax);
			assert_int_equal(feed_all(&b, bad[i].body, strlen(bad[i].body), 3, out, &on, &end), 0);
		}
	}
	/* the error offset: the 17th hex digit of 2^64 overflows */
	{
		struct l7_http_body b;
		char out[64];
		size_t on, end;
		l7_http_body_init(&b, &h, 0);
		assert_int_equal(feed_all(&b, "10000000000000000\r\n", 19, 19, out, &on, &end), L7_EHTTP);
		assert_int_equal(b.err, L7_HTTP_E_CHUNK_OVERFLOW);
		assert_int_equal(b.consumed - 1, 16);
		assert_int_equal(end, 17);
	}
	/* largest chunk size is accepted */
	struct l7_http_body b;
	char out[64];
	size_t on, end;
	l7_http_body_init(&b, &h, 0);
	assert_int_equal(feed_all(&b, "7fffffffffffffff\r\nab", 20, 20, out, &on, &end), L7_EAGAIN);
	assert_int_equal(b.remaining, 0x7fffffffffffffffull - 2);
	assert_int_equal(l7_http_body_eof(&b), L7_EHTTP);
	assert_int_equal(b.err, L7_HTTP_E_TRUNCATED);
}

static void length_close_and_pipelining(void **state)
{
	(void)state;
	const char *two = "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
			  "GET /b HTTP/1.1\r\nHost: a\r\n\r\n";
	struct preq x;
	assert_int_equal(parse_req(&x, two, 0, 0), 0);
	struct l7_http_body b;
	l7_http_body_init(&b, &x.r.head, 0);
	char out[64];
	size_t on, end;
	const char *body = two + x.r.head.head_bytes;
	assert_int_equal(feed_all(&b, body, strlen(body), 2, out, &on, &end), 0);
	assert_int_equal(on, 5);
	const char *second = body + end;
	struct preq y;
	assert_int_equal(parse_req(&y, second, 0, 0), 0);
	assert_true(span_is(second, y.r.path, "/b"));
	assert_int_equal(y.r.head.head_bytes, strlen(second));
	/* zero length and no body are complete at once */
	struct l7_http_head h;
	memset(&h, 0, sizeof(h));
	h.framing = L7_HTTP_BODY_LENGTH;
	l7_http_body_init(&b, &h, 0);
	assert_true(b.done);
	assert_int_equal(l7_http_body_eof(&b), 0);
	/* close-delimited: everything, until the connection ends */
	h.framing = L7_HTTP_BODY_CLOSE;
	l7_http_body_init(&b, &h, 0);
	assert_int_equal(feed_all(&b, "abcdef", 6, 4, out, &on, &end), L7_EAGAIN);
	assert_int_equal(on, 6);
	assert_int_equal(l7_http_body_eof(&b), 0);
	/* a Content-Length body cut short */
	h.framing = L7_HTTP_BODY_LENGTH;
	h.content_length = 10;
	l7_http_body_init(&b, &h, 0);
	assert_int_equal(feed_all(&b, "abc", 3, 3, out, &on, &end), L7_EAGAIN);
	assert_int_equal(l7_http_body_eof(&b), L7_EHTTP);
	assert_int_equal(b.err, L7_HTTP_E_TRUNCATED);
}

/* ------------------------------------------------------------ rewriting */

static void apply_str(const struct l7_http_rewrite *rw, const char *msg, char *out, size_t cap)
{
	size_t n;
	assert_int_equal(l7_http_rewrite_apply(rw, (const uint8_t *)msg, strlen(msg),
					       (uint8_t *)out, cap - 1, &n), 0);
	out[n] = 0;
	assert_int_equal((int64_t)n, (int64_t)strlen(msg) + l7_http_rewrite_delta(rw));
}

static void rewrite_xff_and_forwarded(void **state)
{
	(void)state;
	const char *s = "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.0.0.1 \r\n\r\nbody";
	struct preq x;
	struct l7_http_rewrite rw;
	char out[512];
	assert_int_equal(parse_req(&x, s, 0, 0), 0);
	l7_http_rewrite_init(&rw, 1000);
	assert_int_equal(l7_http_rewrite_xff(&rw, &x.r.head, (const uint8_t *)s, "192.0.2.7"), 0);
	assert_int_equal(rw.n_edits, 1);
	assert_int_equal(rw.edits[0].off, 50);  /* right after "10.0.0.1" */
	assert_int_equal(rw.edits[0].del_len, 0);
	assert_int_equal(rw.edits[0].ins_len, 11);
	assert_memory_equal(rw.store + rw.edits[0].ins_off, ", 192.0.2.7", 11);
	assert_int_equal(rw.stream_base + rw.edits[0].off, 1050);
	apply_str(&rw, s, out, sizeof(out));
	assert_string_equal(out, "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.0.0.1, 192.0.2.7 \r\n\r\nbody");

	/* absent: added before the empty line; Forwarded with IPv6 quoting */
	const char *t = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	assert_int_equal(parse_req(&x, t, 0, 0), 0);
	l7_http_rewrite_init(&rw, 0);
	assert_int_equal(l7_http_rewrite_xff(&rw, &x.r.head, (const uint8_t *)t, "2001:db8::1"), 0);
	assert_int_equal(l7_http_rewrite_forwarded(&rw, &x.r.head, (const uint8_t *)t, "2001:db8::1",
						   "lb1", "http", "a:8080"), 0);
	assert_int_equal(rw.edits[0].off, x.r.head.eoh_off);
	apply_str(&rw, t, out, sizeof(out));
	assert_string_equal(out, "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 2001:db8::1\r\n"
				 "Forwarded: for=\"[2001:db8::1]\";by=lb1;proto=http;host=\"a:8080\"\r\n\r\n");
	/* Forwarded appends an element to an existing field */
	const char *u = "GET / HTTP/1.1\r\nHost: a\r\nForwarded: for=1.2.3.4\r\n\r\n";
	assert_int_equal(parse_req(&x, u, 0, 0), 0);
	l7_http_rewrite_init(&rw, 0);
	assert_int_equal(l7_http_rewrite_forwarded(&rw, &x.r.head, (const uint8_t *)u, "5.6.7.8",
						   NULL, NULL, NULL), 0);
	apply_str(&rw, u, out, sizeof(out));
	assert_string_equal(out, "GET / HTTP/1.1\r\nHost: a\r\nForwarded: for=1.2.3.4, for=5.6.7.8\r\n\r\n");
	assert_int_equal(l7_http_rewrite_forwarded(&rw, &x.r.head, (const uint8_t *)u, NULL, NULL,
						   NULL, NULL), L7_EINVAL);
}

static void rewrite_remove_replace_and_limits(void **state)
{
	(void)state;
	const char *s = "GET / HTTP/1.1\r\nHost: a\r\nCookie: x\r\nVia: 1\r\ncookie: y\r\n\r\n";
	struct preq x;
	struct l7_http_rewrite rw;
	char out[512];
	assert_int_equal(parse_req(&x, s, 0, 0), 0);
	l7_http_rewrite_init(&rw, 0);
	assert_int_equal(l7_http_rewrite_replace(&rw, &x.r.head, (const uint8_t *)s, "Cookie", "z=1"), 0);
	assert_int_equal(rw.n_edits, 3);
	assert_int_equal(rw.edits[0].off, 25);
	assert_int_equal(rw.edits[0].del_len, 11);
	apply_str(&rw, s, out, sizeof(out));
	assert_string_equal(out, "GET / HTTP/1.1\r\nHost: a\r\nVia: 1\r\nCookie: z=1\r\n\r\n");
	/* removing twice is harmless; appending inside a deleted field is not */
	assert_int_equal(l7_http_rewrite_remove(&rw, &x.r.head, (const uint8_t *)s, "Cookie"), 0);
	assert_int_equal(rw.n_edits, 3);
	assert_int_equal(l7_http_rewrite_append(&rw, &x.r.head, (const uint8_t *)s, "Cookie", "w"), L7_EINVAL);
	assert_int_equal(l7_http_rewrite_remove(&rw, &x.r.head, (const uint8_t *)s, "Absent"), 0);
	/* bad names and values */
	assert_int_equal(l7_http_rewrite_add(&rw, &x.r.head, "Bad Name", "v"), L7_EINVAL);
	assert_int_equal(l7_http_rewrite_add(&rw, &x.r.head, "X", "a\r\nInjected: 1"), L7_EINVAL);
	/* edit list and store are bounded */
	l7_http_rewrite_init(&rw, 0);
	int rc = 0, i;
	for (i = 0; i < 100 && rc == 0; i++)
		rc = l7_http_rewrite_add(&rw, &x.r.head, "X", "v");
	assert_int_equal(rc, L7_ENOSPC);
	assert_int_equal(rw.n_edits, L7_HTTP_MAX_EDITS);
	/* insertions at one offset keep their order */
	apply_str(&rw, s, out, sizeof(out));
	l7_http_rewrite_init(&rw, 0);
	assert_int_equal(l7_http_rewrite_add(&rw, &x.r.head, "A", "1"), 0);
	assert_int_equal(l7_http_rewrite_add(&rw, &x.r.head, "B", "2"), 0);
	apply_str(&rw, s, out, sizeof(out));
	assert_non_null(strstr(out, "cookie: y\r\nA: 1\r\nB: 2\r\n\r\n"));
	/* output buffer too small */
	size_t n;
	assert_int_equal(l7_http_rewrite_apply(&rw, (const uint8_t *)s, strlen(s), (uint8_t *)out,
					       strlen(s), &n), L7_ENOSPC);
}

static void rewrite_response_cookie(void **state)
{
	(void)state;
	const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
	struct presp x;
	struct l7_http_rewrite rw;
	char out[256];
	assert_int_equal(parse_resp(&x, s, L7_HTTP_GET, 0), 0);
	l7_http_rewrite_init(&rw, 0);
	assert_int_equal(l7_http_rewrite_set_cookie(&rw, &x.r.head, "l7sid", "b3", "Path=/; HttpOnly"), 0);
	apply_str(&rw, s, out, sizeof(out));
	assert_string_equal(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
				 "Set-Cookie: l7sid=b3; Path=/; HttpOnly\r\n\r\nhi");
	/* the rewritten head parses again, with the cookie */
	struct presp y;
	assert_int_equal(parse_resp(&y, out, L7_HTTP_GET, 0), 0);
	assert_int_equal(l7_http_find_header(&y.r.head, (const uint8_t *)out, "set-cookie", 10, 0), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_request_views),
		cmocka_unit_test(method_and_target_forms),
		cmocka_unit_test(keep_alive_verdicts),
		cmocka_unit_test(framing_smuggling_defences),
		cmocka_unit_test(syntax_rejections),
		cmocka_unit_test(too_large_is_not_malformed),
		cmocka_unit_test(error_texts_are_distinct),
		cmocka_unit_test(every_byte_in_every_place),
		cmocka_unit_test(response_framing),
		cmocka_unit_test(chunked_body),
		cmocka_unit_test(length_close_and_pipelining),
		cmocka_unit_test(rewrite_xff_and_forwarded),
		cmocka_unit_test(rewrite_remove_replace_and_limits),
		cmocka_unit_test(rewrite_response_cookie),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
