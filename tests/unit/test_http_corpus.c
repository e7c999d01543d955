/*
 * test_http_corpus.c — the parser against nodejs/http-parser's own test
 * tables (../shared/data/http/http-parser/, see its README for the JSON
 * conventions): every request and response parses to the expected method,
 * URL, version, headers, body and keep-alive verdict; every error case is
 * rejected. Where our strict RFC 9112 parser disagrees with http-parser, the
 * tables below name each case, the error we give and the reason, and the
 * test asserts exactly that (a new disagreement, or a listed one going away,
 * fails). Every input is also fed split at every byte position (two pieces)
 * and byte by byte, and must give an identical outcome.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "l7splice/http.h"

#define MAX_RAW 8192

static const char *data_dir(void)
{
	const char *d = getenv("L7_SHARED_DATA");
	return d && *d ? d : NULL;
}

/* ------------------------------------------------------------ JSON helpers */

/* The dumps write byte >= 0x7f as \u00XX: jansson gives back UTF-8 of
 * U+00XX; turn every code point below 256 back into one raw byte. */
static size_t latin1(const json_t *s, uint8_t *out, size_t cap)
{
	const uint8_t *u = (const uint8_t *)json_string_value(s);
	size_t n = json_string_length(s), o = 0;
	for (size_t i = 0; i < n && o < cap; i++) {
		if (u[i] < 0x80) {
			out[o++] = u[i];
		} else {
			assert_true((u[i] & 0xe0) == 0xc0 && i + 1 < n);
			unsigned cp = ((u[i] & 0x1fu) << 6) | (u[i + 1] & 0x3fu);
			assert_true(cp < 256);
			out[o++] = (uint8_t)cp;
			i++;
		}
	}
	assert_true(o < cap);
	return o;
}

static json_t *load_json(const char *name)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/http/http-parser/%s", data_dir(), name);
	json_error_t err;
	json_t *j = json_load_file(path, JSON_ALLOW_NUL, &err);
	if (!j)
		fail_msg("%s: %s", path, err.text);
	return j;
}

/* ------------------------------------------------------------ one run */

struct outcome {
	int rc;                    /* head result */
	enum l7_http_err err;
	uint32_t err_off;
	struct l7_http_request req;
	struct l7_http_response resp;
	int body_rc;               /* 0 complete, L7_EAGAIN open, L7_EHTTP */
	enum l7_http_err body_err;
	uint8_t body[MAX_RAW];
	size_t body_len;
	size_t msg_end;            /* offset where the message ended */
	uint32_t n_chunks;
};

/* Feed raw[0..n) cut at cuts[] (increasing, last == n): the head as a
 * growing contiguous buffer, the body as separate pieces. */
static void run(const uint8_t *raw, size_t n, int is_resp, uint32_t flags,
		const size_t *cuts, size_t n_cuts, struct outcome *o)
{
	struct l7_http_parser p;
	assert_true(n_cuts > 0 && cuts[n_cuts - 1] == n);
	memset(o, 0, sizeof(*o));
	if (is_resp)
		l7_http_parser_init_response(&p, flags, 0, L7_HTTP_GET);
	else
		l7_http_parser_init(&p, flags, 0);
	size_t c = 0;
	o->rc = L7_EAGAIN;
	for (; c < n_cuts; c++) {
		o->rc = is_resp ? l7_http_parse_response(&p, &o->resp, raw, cuts[c])
				: l7_http_parse_request(&p, &o->req, raw, cuts[c]);
		if (o->rc != L7_EAGAIN)
			break;
	}
	o->err = p.err;
	o->err_off = p.err_off;
	o->body_rc = L7_EAGAIN;
	if (o->rc != 0)
		return;
	const struct l7_http_head *h = is_resp ? &o->resp.head : &o->req.head;
	struct l7_http_body b;
	l7_http_body_init(&b, h, flags);
	size_t pos = h->head_bytes;
	o->body_rc = b.done ? 0 : L7_EAGAIN;
	for (; c < n_cuts && o->body_rc == L7_EAGAIN; c++) {
		while (pos < cuts[c] && o->body_rc == L7_EAGAIN) {
			size_t used;
			struct l7_http_span pl;
			o->body_rc = l7_http_body_feed(&b, raw + pos, cuts[c] - pos, &used, &pl);
			assert_true(used <= cuts[c] - pos);
			assert_true(pl.off + pl.len <= used);
			memcpy(o->body + o->body_len, raw + pos + pl.off, pl.len);
			o->body_len += pl.len;
			pos += used;
		}
	}
	if (o->body_rc == L7_EAGAIN && h->framing == L7_HTTP_BODY_CLOSE)
		o->body_rc = l7_http_body_eof(&b);
	o->body_err = b.err;
	o->msg_end = pos;
	o->n_chunks = b.n_chunks;
}

static void run_oneshot(const uint8_t *raw, size_t n, int is_resp, uint32_t flags,
			struct outcome *o)
{
	run(raw, n, is_resp, flags, &n, 1, o);
}

static void assert_same(const struct outcome *a, const struct outcome *b)
{
	assert_int_equal(a->rc, b->rc);
	assert_int_equal(a->err, b->err);
	assert_int_equal(a->err_off, b->err_off);
	/* structs were zeroed before the run and padding is never written */
	assert_memory_equal(&a->req, &b->req, sizeof(a->req));
	assert_memory_equal(&a->resp, &b->resp, sizeof(a->resp));
	assert_int_equal(a->body_rc, b->body_rc);
	assert_int_equal(a->body_err, b->body_err);
	assert_int_equal(a->body_len, b->body_len);
	assert_memory_equal(a->body, b->body, a->body_len);
	assert_int_equal(a->msg_end, b->msg_end);
	assert_int_equal(a->n_chunks, b->n_chunks);
}

/* Split at every position and byte by byte: identical to one-shot. */
static void check_split_equivalence(const uint8_t *raw, size_t n, int is_resp,
				    uint32_t flags)
{
	static struct outcome one, other;
	static size_t cuts[MAX_RAW];
	run_oneshot(raw, n, is_resp, flags, &one);
	for (size_t k = 1; k < n; k++) {
		size_t c2[2] = { k, n };
		run(raw, n, is_resp, flags, c2, 2, &other);
		assert_same(&one, &other);
	}
	for (size_t k = 0; k < n; k++)
		cuts[k] = k + 1;
	run(raw, n, is_resp, flags, cuts, n, &other);
	assert_same(&one, &other);
}

/* ------------------------------------------------------------ expectations */

static int span_eq(const uint8_t *raw, struct l7_http_span s, const char *want)
{
	return s.len == strlen(want) && memcmp(raw + s.off, want, s.len) == 0;
}

/* http-parser keeps trailing whitespace and joins folded lines by dropping
 * CR/LF; we trim OWS and keep a fold raw. Compare on that basis. */
static void assert_value(const uint8_t *raw, struct l7_http_span v, const json_t *want)
{
	uint8_t w[MAX_RAW], g[MAX_RAW];
	size_t wn = latin1(want, w, sizeof(w)), gn = 0;
	while (wn && (w[wn - 1] == ' ' || w[wn - 1] == '\t'))
		wn--;
	for (size_t i = 0; i < v.len; i++)
		if (raw[v.off + i] != '\r' && raw[v.off + i] != '\n')
			g[gn++] = raw[v.off + i];
	assert_int_equal(gn, wn);
	assert_memory_equal(g, w, wn);
}

/* Differences that are not rejections (the message parses, one field is
 * different on purpose). */
enum diff {
	DIFF_NONE = 0,
	DIFF_PROXY_CONNECTION = 1, /* we ignore Proxy-Connection (not in RFC 9110) */
	DIFF_101_NO_BODY = 2,      /* 1xx has no content (RFC 9112 §6.3 ¶1) */
};

static void assert_matches(const json_t *c, const uint8_t *raw, size_t n, int is_resp,
			   const struct outcome *o, enum diff diff)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const struct l7_http_head *h = is_resp ? &o->resp.head : &o->req.head;
	if (o->rc != 0)
		fail_msg("%s: rejected: %s at %u", name, l7_http_strerror(o->err), o->err_off);
	if (is_resp) {
		assert_int_equal(o->resp.status, json_integer_value(json_object_get(c, "status_code")));
		uint8_t r[MAX_RAW];
		size_t rn = latin1(json_object_get(c, "response_status"), r, sizeof(r));
		assert_int_equal(o->resp.reason.len, rn);
		assert_memory_equal(raw + o->resp.reason.off, r, rn);
	} else {
		assert_true(span_eq(raw, o->req.method_tok,
				    json_string_value(json_object_get(c, "method"))));
		uint8_t u[MAX_RAW];
		size_t un = latin1(json_object_get(c, "request_url"), u, sizeof(u));
		assert_int_equal(o->req.target.len, un);
		assert_memory_equal(raw + o->req.target.off, u, un);
	}
	assert_int_equal(h->version_major, json_integer_value(json_object_get(c, "http_major")));
	assert_int_equal(h->version_minor, json_integer_value(json_object_get(c, "http_minor")));
	const json_t *hs = json_object_get(c, "headers");
	/* http-parser lists chunked trailer fields with the head's; we
	 * validate trailers in the body framing but do not keep them: the
	 * extra expected fields must be in the bytes after the head */
	assert_true(h->n_headers <= json_array_size(hs));
	for (size_t i = 0; i < json_array_size(hs); i++) {
		const json_t *pair = json_array_get(hs, i);
		const char *hn = json_string_value(json_array_get(pair, 0));
		if (i >= h->n_headers) {
			assert_int_equal(h->framing, L7_HTTP_BODY_CHUNKED);
			assert_non_null(memmem(raw + h->head_bytes, n - h->head_bytes,
					       hn, strlen(hn)));
			continue;
		}
		assert_true(span_eq(raw, h->headers[i].name, hn));
		assert_value(raw, h->headers[i].value, json_array_get(pair, 1));
	}
	int ka = json_is_true(json_object_get(c, "should_keep_alive"));
	if (diff & DIFF_PROXY_CONNECTION)
		assert_true(h->keep_alive && !ka);
	else
		assert_int_equal(h->keep_alive, ka);
	json_int_t cl = json_integer_value(json_object_get(c, "content_length"));
	if (cl < 0)
		assert_int_equal(h->n_content_length, 0);
	else
		assert_true(h->n_content_length == 1 && h->content_length == (uint64_t)cl);
	assert_int_equal(h->framing == L7_HTTP_BODY_CLOSE,
			 json_is_true(json_object_get(c, "message_complete_on_eof")));
	/* body; for an upgrade, body + upgraded bytes are what follows the head */
	uint8_t want[MAX_RAW];
	size_t wn = latin1(json_object_get(c, "body"), want, sizeof(want));
	const json_t *up = json_object_get(c, "upgrade");
	assert_int_equal(h->upgrade, json_is_string(up));
	assert_int_equal(o->body_rc, 0);
	if (diff & DIFF_101_NO_BODY) {
		size_t un = latin1(up, want, sizeof(want));
		assert_int_equal(o->body_len, 0);
		assert_int_equal(o->msg_end, h->head_bytes);
		assert_true(n - o->msg_end >= un);
		assert_memory_equal(raw + n - un, want, un);
	} else if (json_is_string(up)) {
		wn += latin1(up, want + wn, sizeof(want) - wn);
		size_t gn = o->body_len + (n - o->msg_end);
		assert_int_equal(gn, wn);
		assert_memory_equal(o->body, want, o->body_len);
		assert_memory_equal(raw + o->msg_end, want + o->body_len, n - o->msg_end);
	} else {
		assert_int_equal(o->body_len, wn);
		assert_memory_equal(o->body, want, wn);
	}
	json_int_t chunks = json_integer_value(json_object_get(c, "num_chunks_complete"));
	if (diff & DIFF_101_NO_BODY)
		assert_true(o->n_chunks == 0 && h->framing == L7_HTTP_BODY_NONE);
	else
		assert_int_equal(o->n_chunks, chunks);
}

/*
 * Messages http-parser accepts and we treat differently, by name. err is
 * our strict verdict; flags is the leniency that makes us parse the message
 * exactly as http-parser does.
 */
struct strict_case {
	int index;
	const char *name;
	enum l7_http_err err;
	uint32_t flags;
	enum diff diff;
	const char *why;
};

static const struct strict_case strict_requests[] = {
	{ 2, "dumbluck", L7_HTTP_E_HOST_MISSING, L7_HTTP_LENIENT_HOST, 0,
	  "HTTP/1.1 request without Host (RFC 9112 §3.2)" },
	{ 3, "fragment in url", L7_HTTP_E_TARGET, L7_HTTP_LENIENT_TARGET | L7_HTTP_LENIENT_HOST, 0,
	  "'#' is not allowed in a request-target (RFC 9112 §3.2)" },
	{ 4, "get no headers no body", L7_HTTP_E_HOST_MISSING, L7_HTTP_LENIENT_HOST, 0,
	  "HTTP/1.1 request without Host (RFC 9112 §3.2)" },
	{ 5, "get one header no body", L7_HTTP_E_HOST_MISSING, L7_HTTP_LENIENT_HOST, 0,
	  "HTTP/1.1 request without Host" },
	{ 7, "post identity body world", L7_HTTP_E_TARGET,
	  L7_HTTP_LENIENT_TARGET | L7_HTTP_LENIENT_HOST, 0, "'#' in request-target" },
	{ 8, "post - chunked body: all your base are belong to us", L7_HTTP_E_HOST_MISSING,
	  L7_HTTP_LENIENT_HOST, 0, "HTTP/1.1 request without Host" },
	{ 9, "two chunks ; triple zero ending", L7_HTTP_E_HOST_MISSING, L7_HTTP_LENIENT_HOST, 0,
	  "HTTP/1.1 request without Host" },
	{ 10, "chunked with trailing headers. blech.", L7_HTTP_E_HOST_MISSING,
	  L7_HTTP_LENIENT_HOST, 0, "HTTP/1.1 request without Host" },
	{ 11, "with nonsense after the length", L7_HTTP_E_HOST_MISSING, L7_HTTP_LENIENT_HOST, 0,
	  "HTTP/1.1 request without Host" },
	{ 12, "with quotes", L7_HTTP_E_TARGET, L7_HTTP_LENIENT_TARGET | L7_HTTP_LENIENT_HOST, 0,
	  "'\"' is not allowed in a request-target (RFC 3986)" },
	{ 14, "query url with question mark", L7_HTTP_E_HOST_MISSING, L7_HTTP_LENIENT_HOST, 0,
	  "HTTP/1.1 request without Host" },
	{ 15, "newline prefix get", L7_HTTP_E_HOST_MISSING, L7_HTTP_LENIENT_HOST, 0,
	  "HTTP/1.1 request without Host (the leading CRLF itself is accepted, §2.2)" },
	{ 18, "report request", L7_HTTP_E_HOST_MISSING, L7_HTTP_LENIENT_HOST, 0,
	  "HTTP/1.1 request without Host" },
	{ 19, "request with no http version", L7_HTTP_E_REQUEST_LINE, 0, 0,
	  "HTTP/0.9 simple request: no version (no leniency: not HTTP/1.x)" },
	{ 20, "m-search request", L7_HTTP_E_TARGET, L7_HTTP_LENIENT_TARGET, 0,
	  "asterisk-form is only for OPTIONS (RFC 9112 §3.2.4)" },
	{ 21, "line folding in header value", L7_HTTP_E_OBS_FOLD,
	  L7_HTTP_LENIENT_OBS_FOLD | L7_HTTP_LENIENT_HOST, 0,
	  "obs-fold (RFC 9112 §5.2)" },
	{ 22, "host terminated by a query string", L7_HTTP_E_HOST_MISSING, L7_HTTP_LENIENT_HOST, 0,
	  "absolute-form still needs Host in HTTP/1.1" },
	{ 23, "host:port terminated by a query string", L7_HTTP_E_HOST_MISSING,
	  L7_HTTP_LENIENT_HOST, 0, "absolute-form still needs Host in HTTP/1.1" },
	{ 24, "host:port terminated by a space", L7_HTTP_E_HOST_MISSING, L7_HTTP_LENIENT_HOST, 0,
	  "absolute-form still needs Host in HTTP/1.1" },
	{ 31, "host:port and basic_auth", L7_HTTP_E_TARGET,
	  L7_HTTP_LENIENT_TARGET | L7_HTTP_LENIENT_HOST, 0,
	  "userinfo in the target is an error (RFC 9110 §4.2.4)" },
	{ 32, "line folding in header value", L7_HTTP_E_BARE_LF,
	  L7_HTTP_LENIENT_BARE_LF | L7_HTTP_LENIENT_OBS_FOLD | L7_HTTP_LENIENT_HOST, 0,
	  "LF without CR (RFC 9112 §2.2), then obs-fold" },
	{ 33, "multiple connection header values with folding", L7_HTTP_E_OBS_FOLD,
	  L7_HTTP_LENIENT_OBS_FOLD, 0, "obs-fold" },
	{ 34, "multiple connection header values with folding and lws", L7_HTTP_E_HOST_MISSING,
	  L7_HTTP_LENIENT_HOST, 0, "HTTP/1.1 request without Host" },
	{ 35, "multiple connection header values with folding and lws", L7_HTTP_E_OBS_FOLD,
	  L7_HTTP_LENIENT_OBS_FOLD | L7_HTTP_LENIENT_HOST, 0, "obs-fold" },
	{ 41, "source request", L7_HTTP_E_VERSION, 0, 0,
	  "\"ICE/1.0\" is not an HTTP version (no leniency)" },
	{ 42, "post - multi coding transfer-encoding chunked body", L7_HTTP_E_HOST_MISSING,
	  L7_HTTP_LENIENT_HOST, 0, "HTTP/1.1 request without Host" },
	{ 43, "post - multi line coding transfer-encoding chunked body", L7_HTTP_E_OBS_FOLD,
	  L7_HTTP_LENIENT_OBS_FOLD | L7_HTTP_LENIENT_HOST, 0, "obs-fold" },
	{ 44, "chunked with content-length set, allow_chunked_length flag is set",
	  L7_HTTP_E_CL_AND_TE, L7_HTTP_LENIENT_CL_TE | L7_HTTP_LENIENT_HOST, 0,
	  "Content-Length with Transfer-Encoding (RFC 9112 §6.1: smuggling)" },
};

static const struct strict_case strict_responses[] = {
	{ 3, "301 no response phrase", L7_HTTP_E_STATUS_LINE, L7_HTTP_LENIENT_STATUS_LINE, 0,
	  "status-line needs SP after the code (RFC 9112 §4)" },
	{ 4, "200 trailing space on chunked body", L7_HTTP_E_NONE, L7_HTTP_LENIENT_CHUNK_WS, 0,
	  "whitespace after a chunk size without extension (RFC 9112 §7.1.1): body error" },
	{ 5, "no carriage ret", L7_HTTP_E_BARE_LF, L7_HTTP_LENIENT_BARE_LF, 0,
	  "LF without CR (RFC 9112 §2.2)" },
	{ 6, "proxy connection", L7_HTTP_E_NONE, 0, DIFF_PROXY_CONNECTION,
	  "Proxy-Connection is not Connection: keep-alive stays true" },
	{ 11, "http version 0.9", L7_HTTP_E_VERSION_UNSUPPORTED, L7_HTTP_LENIENT_VERSION, 0,
	  "only HTTP/1.0 and HTTP/1.1" },
	{ 23, "HTTP 101 response with Upgrade and Content-Length header", L7_HTTP_E_NONE, 0,
	  DIFF_101_NO_BODY, "a 101 has no content: everything after the head is upgraded" },
	{ 24, "HTTP 101 response with Upgrade and Transfer-Encoding header", L7_HTTP_E_NONE, 0,
	  DIFF_101_NO_BODY, "a 101 has no content: everything after the head is upgraded" },
};

static const struct strict_case *find_case(const struct strict_case *t, size_t n,
					   int index, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].index == index) {
			assert_string_equal(t[i].name, name);
			return &t[i];
		}
	}
	return NULL;
}

static void check_corpus(const char *file, int is_resp, const struct strict_case *table,
			 size_t n_table)
{
	json_t *all = load_json(file);
	static uint8_t raw[MAX_RAW];
	static struct outcome o;
	size_t used_entries = 0;
	for (size_t i = 0; i < json_array_size(all); i++) {
		const json_t *c = json_array_get(all, i);
		const char *name = json_string_value(json_object_get(c, "name"));
		int index = (int)json_integer_value(json_object_get(c, "index"));
		size_t n = latin1(json_object_get(c, "raw"), raw, sizeof(raw));
		const struct strict_case *sc = find_case(table, n_table, index, name);
		if (getenv("L7_TEST_VERBOSE"))
			print_message("%s #%d %s\n", file, index, name);
		run_oneshot(raw, n, is_resp, 0, &o);
		if (sc) {
			used_entries++;
			if (sc->err != L7_HTTP_E_NONE) {
				if (o.rc == 0)
					fail_msg("%s: listed as rejected but accepted", name);
				assert_int_equal(o.err, sc->err);
			} else if (sc->flags) {
				/* head accepted, body rejected */
				assert_int_equal(o.rc, 0);
				assert_int_equal(o.body_rc, L7_EHTTP);
			} else {
				assert_matches(c, raw, n, is_resp, &o, sc->diff);
			}
			if (sc->flags) {
				run_oneshot(raw, n, is_resp, sc->flags, &o);
				assert_matches(c, raw, n, is_resp, &o, sc->diff);
				check_split_equivalence(raw, n, is_resp, sc->flags);
			}
		} else {
			assert_matches(c, raw, n, is_resp, &o, DIFF_NONE);
		}
		check_split_equivalence(raw, n, is_resp, 0);
	}
	assert_int_equal(used_entries, n_table);
	json_decref(all);
}

static void requests_corpus(void **state)
{
	(void)state;
	check_corpus("http_parser_requests.json", 0, strict_requests,
		     sizeof(strict_requests) / sizeof(strict_requests[0]));
}

static void responses_corpus(void **state)
{
	(void)state;
	check_corpus("http_parser_responses.json", 1, strict_responses,
		     sizeof(strict_responses) / sizeof(strict_responses[0]));
}


/*
 * http_parser_simple.jsonl, every line by index (the lines have no names;
 * the first request line identifies them). err is our strict verdict
 * (L7_HTTP_E_NONE: accepted, possibly incomplete); for inputs http-parser
 * accepts and we reject, flags makes us accept them.
 */
struct simple_case {
	int index;
	const char *start;        /* the input's first bytes, to catch mix-ups */
	enum l7_http_err err;
	uint32_t flags;
	const char *why;          /* where we differ from http-parser */
};

#define HOST_ONLY(i, s) { i, s, L7_HTTP_E_HOST_MISSING, L7_HTTP_LENIENT_HOST, \
	"HTTP/1.1 request without Host (RFC 9112 §3.2)" }
#define EXT_METHOD(i, s) { i, s, L7_HTTP_E_HOST_MISSING, L7_HTTP_LENIENT_HOST, \
	"http-parser knows a fixed method list; any token is a method (RFC 9110 §9.1), then no Host" }

static const struct simple_case simple_cases[] = {
	{ 0, "POST / HTTP/1.1\r\nContent-Length:\r\n", L7_HTTP_E_CL_INVALID, 0, NULL },
	HOST_ONLY(1, "POST / HTTP/1.1\r\nContent-Length:  42 \r\n"),
	{ 2, "POST / HTTP/1.1\r\nContent-Length: 4 2", L7_HTTP_E_CL_INVALID, 0, NULL },
	{ 3, "POST / HTTP/1.1\r\nContent-Length: 13 37", L7_HTTP_E_CL_INVALID, 0, NULL },
	{ 4, "POST / HTTP/1.1\r\nContent-Length:  42\r\n Hello", L7_HTTP_E_OBS_FOLD, 0,
	  "rejected earlier, for the fold itself (with the fold allowed: invalid CL)" },
	{ 5, "POST / HTTP/1.1\r\nContent-Length:  42\r\n \r\n", L7_HTTP_E_OBS_FOLD,
	  L7_HTTP_LENIENT_OBS_FOLD | L7_HTTP_LENIENT_HOST, "obs-fold (RFC 9112 §5.2)" },
	{ 6, "HTP/1.1 200 OK", L7_HTTP_E_VERSION, 0, NULL },
	{ 7, "HTTP/01.1 200 OK", L7_HTTP_E_VERSION, 0, NULL },
	{ 8, "HTTP/11.1 200 OK", L7_HTTP_E_VERSION, 0, NULL },
	{ 9, "HTTP/1.01 200 OK", L7_HTTP_E_VERSION, 0, NULL },
	{ 10, "HTTP/1.1\t200 OK", L7_HTTP_E_STATUS_LINE, 0, NULL },
	{ 11, "\rHTTP/1.1\t200 OK", L7_HTTP_E_BARE_CR, 0, NULL },
	{ 12, "GET / IHTTP/1.0", L7_HTTP_E_VERSION, 0, NULL },
	{ 13, "GET / ICE/1.0", L7_HTTP_E_VERSION, 0, NULL },
	{ 14, "GET / HTP/1.1", L7_HTTP_E_VERSION, 0, NULL },
	{ 15, "GET / HTTP/01.1", L7_HTTP_E_VERSION, 0, NULL },
	{ 16, "GET / HTTP/11.1", L7_HTTP_E_VERSION, 0, NULL },
	{ 17, "GET / HTTP/1.01", L7_HTTP_E_VERSION, 0, NULL },
	{ 18, "GET / HTTP/1.0\r\nHello: w\001rld", L7_HTTP_E_FIELD_VALUE, 0, NULL },
	{ 19, "GET / HTTP/1.0\r\nHello: woooo\002rld", L7_HTTP_E_FIELD_VALUE, 0, NULL },
	{ 20, "GET / HTTP/1.1\r\nTest: D", L7_HTTP_E_NONE, 0, NULL },
	HOST_ONLY(21, "GET / HTTP/1.1\r\nContent-Type: text/plain\r\n"),
	{ 22, "GET / HTTP/1.1\r\nTransfer-Encoding: unknown", L7_HTTP_E_TE_NOT_CHUNKED, 0, NULL },
	HOST_ONLY(23, "DELETE / "), HOST_ONLY(24, "GET / "), HOST_ONLY(25, "HEAD / "),
	HOST_ONLY(26, "POST / "), HOST_ONLY(27, "PUT / "), HOST_ONLY(28, "OPTIONS / "),
	HOST_ONLY(29, "TRACE / "), HOST_ONLY(30, "COPY / "), HOST_ONLY(31, "LOCK / "),
	HOST_ONLY(32, "MKCOL / "), HOST_ONLY(33, "MOVE / "), HOST_ONLY(34, "PROPFIND / "),
	HOST_ONLY(35, "PROPPATCH / "), HOST_ONLY(36, "SEARCH / "), HOST_ONLY(37, "UNLOCK / "),
	HOST_ONLY(38, "BIND / "), HOST_ONLY(39, "REBIND / "), HOST_ONLY(40, "UNBIND / "),
	HOST_ONLY(41, "ACL / "), HOST_ONLY(42, "REPORT / "), HOST_ONLY(43, "MKACTIVITY / "),
	HOST_ONLY(44, "CHECKOUT / "), HOST_ONLY(45, "MERGE / "), HOST_ONLY(46, "M-SEARCH / "),
	HOST_ONLY(47, "NOTIFY / "), HOST_ONLY(48, "SUBSCRIBE / "), HOST_ONLY(49, "UNSUBSCRIBE / "),
	HOST_ONLY(50, "PATCH / "), HOST_ONLY(51, "PURGE / "), HOST_ONLY(52, "MKCALENDAR / "),
	HOST_ONLY(53, "LINK / "), HOST_ONLY(54, "UNLINK / "),
	EXT_METHOD(55, "ASDF / "), EXT_METHOD(56, "C****** / "), EXT_METHOD(57, "COLA / "),
	EXT_METHOD(58, "GEM / "), EXT_METHOD(59, "GETA / "), EXT_METHOD(60, "M**** / "),
	EXT_METHOD(61, "MKCOLA / "), EXT_METHOD(62, "PROPPATCHA / "), EXT_METHOD(63, "PUN / "),
	EXT_METHOD(64, "PX / "), EXT_METHOD(65, "SA / "),
	{ 66, "hello world / HTTP/1.1", L7_HTTP_E_VERSION, 0,
	  "method \"hello\", target \"world\", then \"/ HTTP/1.1\" is no version" },
	{ 67, "GET / HTTP/1.1\r\nname\r\n : value", L7_HTTP_E_NO_COLON, 0, NULL },
	{ 68, "GET / HTTP/1.1\r\nX-SSL-Nonsense:", L7_HTTP_E_OBS_FOLD,
	  L7_HTTP_LENIENT_OBS_FOLD | L7_HTTP_LENIENT_HOST, "obs-fold (RFC 9112 §5.2), no Host" },
	{ 69, "GET / HTTP/1.1\r\nHost: www.example.com\r\nConnection\r\033", L7_HTTP_E_BARE_CR, 0,
	  NULL },
	{ 70, "GET / HTTP/1.1\r\nHost: www.example.com\r\nX-Some-Header\r\033", L7_HTTP_E_BARE_CR,
	  0, NULL },
};

static int simple_accepted(const struct outcome *o)
{
	return (o->rc == 0 || o->rc == L7_EAGAIN) && o->body_rc != L7_EHTTP;
}

static void simple_corpus(void **state)
{
	(void)state;
	char path[1024];
	snprintf(path, sizeof(path), "%s/http/http-parser/http_parser_simple.jsonl", data_dir());
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char line[1 << 16];
	static uint8_t raw[MAX_RAW];
	static struct outcome o;
	size_t idx = 0, n_cases = sizeof(simple_cases) / sizeof(simple_cases[0]);
	while (fgets(line, sizeof(line), f)) {
		json_error_t err;
		json_t *c = json_loads(line, JSON_ALLOW_NUL, &err);
		assert_non_null(c);
		assert_true(idx < n_cases);
		const struct simple_case *sc = &simple_cases[idx];
		assert_int_equal(sc->index, (int)idx);
		size_t n = latin1(json_object_get(c, "raw"), raw, sizeof(raw));
		assert_true(n >= strlen(sc->start));
		assert_memory_equal(raw, sc->start, strlen(sc->start));
		int is_resp = !strcmp(json_string_value(json_object_get(c, "type")), "response");
		int hp_ok = !strcmp(json_string_value(json_object_get(c, "expected_errno")), "HPE_OK");
		run_oneshot(raw, n, is_resp, 0, &o);
		if (sc->err == L7_HTTP_E_NONE) {
			assert_true(simple_accepted(&o));
		} else {
			assert_false(simple_accepted(&o));
			assert_int_equal(o.err, sc->err);
		}
		/* a disagreement with http-parser must carry its reason */
		if (hp_ok != simple_accepted(&o) && !sc->why)
			fail_msg("simple #%zu: differs from http-parser without a reason", idx);
		if (sc->flags) {
			assert_true(hp_ok || sc->why);
			run_oneshot(raw, n, is_resp, sc->flags, &o);
			if (!simple_accepted(&o))
				fail_msg("simple #%zu: rejected with leniency: %s at %u", idx,
					 l7_http_strerror(o.err), o.err_off);
			check_split_equivalence(raw, n, is_resp, sc->flags);
		}
		check_split_equivalence(raw, n, is_resp, 0);
		json_decref(c);
		idx++;
	}
	fclose(f);
	assert_int_equal(idx, n_cases);
}

int main(void)
{
	if (!data_dir()) {
		printf("test_http_corpus: L7_SHARED_DATA not set, skipping\n");
		return 77;
	}
	char path[1024];
	snprintf(path, sizeof(path), "%s/http/http-parser/http_parser_requests.json", data_dir());
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("test_http_corpus: %s absent, skipping\n", path);
		return 77;
	}
	fclose(f);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(requests_corpus),
		cmocka_unit_test(responses_corpus),
		cmocka_unit_test(simple_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
