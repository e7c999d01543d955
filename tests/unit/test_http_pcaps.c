/*
 * test_http_pcaps.c — the parser on the mal_* captures in
 * ../shared/data/pcaps/ (CL/TE desync, 2^64 chunk size, negative CL,
 * obs-fold, multiple CL, HTTP/0.9, no version, non-printable bytes, ...).
 * The pcap module reassembles each TCP connection; every request (and the
 * response to it) is parsed in sequence, as a front-end on a keep-alive
 * connection would. For each capture the table below records the verdict
 * message by message — parsed, or rejected with which error — and why that
 * is right; the test asserts it, and that feeding the same bytes one at a
 * time gives the identical verdict (parsed consistently).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "l7splice/http.h"
#include "test_http_streams.h"

static const char *data_dir(void)
{
	const char *d = getenv("L7_SHARED_DATA");
	return d && *d ? d : NULL;
}

/* Append printf-style text to a bounded string. */
static void addf(char *out, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(out);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out + n, cap - n, fmt, ap);
	va_end(ap);
}

static const char *framing_name(enum l7_http_framing f)
{
	static const char *const names[] = { "none", "length", "chunked", "close" };
	return names[f];
}

/*
 * Parse the messages of one direction in sequence and describe them:
 * "GET /x none; POST / err(invalid Content-Length@40)". step 0 feeds all
 * bytes at once, 1 one byte at a time. methods[] gets (requests) or gives
 * (responses) the request method of each message.
 */
static void describe(const uint8_t *b, size_t n, int resp, size_t step, uint32_t flags,
		     enum l7_http_method *methods, size_t max_methods,
		     char *out, size_t cap)
{
	size_t pos = 0, k = 0;
	out[0] = 0;
	while (pos < n) {
		struct l7_http_parser p;
		static struct l7_http_request rq;
		static struct l7_http_response rs;
		enum l7_http_method m = resp && k < max_methods ? methods[k] : L7_HTTP_GET;
		if (resp)
			l7_http_parser_init_response(&p, flags, 0, m);
		else
			l7_http_parser_init(&p, flags, 0);
		int rc = L7_EAGAIN;
		size_t avail = step ? 0 : n - pos;
		while (rc == L7_EAGAIN) {
			if (step)
				avail = avail + step <= n - pos ? avail + step : n - pos;
			rc = resp ? l7_http_parse_response(&p, &rs, b + pos, avail)
				  : l7_http_parse_request(&p, &rq, b + pos, avail);
			if (rc == L7_EAGAIN && avail == n - pos)
				break;
		}
		if (k)
			addf(out, cap, "; ");
		if (rc == L7_EAGAIN) {
			addf(out, cap, "partial head (%zu bytes)", n - pos);
			return;
		}
		if (rc != 0) {
			addf(out, cap, "err(%s@%u)", l7_http_strerror(p.err), p.err_off);
			return;
		}
		const struct l7_http_head *h = resp ? &rs.head : &rq.head;
		const uint8_t *mb = b + pos;
		if (resp) {
			addf(out, cap, "%u %s", rs.status, framing_name(h->framing));
		} else {
			addf(out, cap, "%.*s %.*s %s", (int)rq.method_tok.len, mb + rq.method_tok.off,
			     (int)(rq.target.len > 40 ? 40 : rq.target.len), mb + rq.target.off,
			     framing_name(h->framing));
			if (k < max_methods)
				methods[k] = rq.method;
		}
		k++;
		pos += h->head_bytes;
		struct l7_http_body body;
		l7_http_body_init(&body, h, flags);
		int brc = body.done ? 0 : L7_EAGAIN;
		while (pos < n && brc == L7_EAGAIN) {
			size_t used, len = step ? step : n - pos;
			struct l7_http_span pl;
			if (len > n - pos)
				len = n - pos;
			brc = l7_http_body_feed(&body, b + pos, len, &used, &pl);
			pos += used;
		}
		if (brc == L7_EHTTP) {
			addf(out, cap, " body-err(%s)", l7_http_strerror(body.err));
			return;
		}
		if (brc == L7_EAGAIN) {
			addf(out, cap, " body-open(%llu)", (unsigned long long)body.payload);
			return;
		}
		if (h->upgrade)
			return;
	}
}

struct pcap_case {
	const char *file;
	const char *strict;  /* verdicts per connection, strict parser */
	const char *lenient; /* the same with L7_HTTP_LENIENT_ALL */
	const char *why;
};

static const struct pcap_case cases[] = {
	{ "mal_suricata_http-chunked-tab.pcap",
	  "C2S [err(both Content-Length and Transfer-Encoding@362)] S2C []",
	  "C2S [HEAD /resources/fonts/SourceSansPro-Regular.t chunked body-open(0)] S2C []",
	  "TE \",.chunked,\" names the coding \".chunked\" ('.' is a tchar) next to CL 0: CL+TE is refused; lenient, TE wins and the body is chunked" },
	{ "mal_suricata_http-multiple-cl.pcap",
	  "C2S [err(differing Content-Length values@77)] S2C [501 length]",
	  "C2S [POST /which.php length; POST /evil.php length] S2C [501 length]",
	  "CL 11 and CL 93 differ: the classic desync, refused; lenient (first value wins) shows what a desynced proxy sees: /evil.php swallows /bad.php" },
	{ "mal_zeek_261_chunk_2pow64_overflow.pcap",
	  "C2S [POST / chunked body-err(chunk size too large)] S2C []",
	  "C2S [POST / chunked body-err(chunk size too large)] S2C []",
	  "chunk size 2^64 would wrap to 0 and smuggle the GET: refused in both modes (no leniency for overflow)" },
	{ "mal_zeek_261_cl_negative.pcap",
	  "C2S [err(invalid Content-Length@47)] S2C []",
	  "C2S [err(invalid Content-Length@47)] S2C []",
	  "CL -1: a sign is not 1*DIGIT; refused in both modes (no leniency)" },
	{ "mal_zeek_261_te_cl_desync.pcap",
	  "C2S [err(both Content-Length and Transfer-Encoding@75)] S2C []",
	  "C2S [POST / chunked; GET /smuggled-te-cl none] S2C []",
	  "TE chunked + CL 50: refused (RFC 9112 §6.1); lenient, TE wins as §6.3 says and the smuggled GET is a separate request" },
	{ "mal_zeek_261_te_obs_fold.pcap",
	  "C2S [err(obsolete line folding@51)] S2C []",
	  "C2S [POST / chunked; GET /smuggled-obsfold none] S2C []",
	  "TE folded onto the next line: refused; lenient, the fold is kept in the value and TE chunked still applies" },
	{ "mal_zeek_content-length-overflow.pcap",
	  "C2S [GET /bigfile none] S2C [200 length body-open(100)]",
	  "C2S [GET /bigfile none] S2C [200 length body-open(100)]",
	  "response CL 2200000000 (> 2^31) is valid: we keep 63 bits; the capture holds only 100 body bytes" },
	{ "mal_zeek_http-non-printable-characters.pcap",
	  "C2S [GET /regular_file.html none] S2C [404 length] / C2S [GET /printable_%F0%9F%98%84 none] S2C [404 length] / C2S [GET /non_printable_%07 none] S2C [404 length] / C2S [GET /non_printable_literal_%5Cx07 none] S2C [404 length]",
	  "C2S [GET /regular_file.html none] S2C [404 length] / C2S [GET /printable_%F0%9F%98%84 none] S2C [404 length] / C2S [GET /non_printable_%07 none] S2C [404 length] / C2S [GET /non_printable_literal_%5Cx07 none] S2C [404 length]",
	  "the non-printable bytes are percent-encoded in the targets: all valid" },
	{ "mal_zeek_http_09.pcap",
	  "C2S [err(LF without CR@14)] S2C [err(LF without CR@6)] / C2S [err(LF without CR@15)] S2C [err(LF without CR@10)] / C2S [err(LF without CR@4)] S2C [err(LF without CR@11)] / C2S [err(LF without CR@12)] S2C [err(LF without CR@10)] / C2S [err(LF without CR@2)] S2C [err(LF without CR@10)]",
	  "C2S [err(malformed request line@14)] S2C [err(malformed HTTP version@0)] / C2S [err(malformed request line@15)] S2C [err(malformed HTTP version@0)] / C2S [err(malformed request line@4)] S2C [err(malformed HTTP version@0)] / C2S [err(malformed request line@12)] S2C [err(malformed HTTP version@0)] / C2S [err(malformed request line@2)] S2C [err(malformed HTTP version@0)]",
	  "HTTP/0.9 simple requests end in a bare LF (refused there); lenient, the request line lacks a version; the server's bare HTML is no status line" },
	{ "mal_zeek_no-version.pcap",
	  "C2S [err(malformed request line@121)] S2C [err(LF without CR@47)]",
	  "C2S [err(malformed request line@121)] S2C [err(malformed HTTP version@0)]",
	  "request line without HTTP version: refused in both modes; the response is bare HTML" },
};

/* "C2S [..] S2C [..]" for every connection, joined by " / ". */
static void verdict(const struct http_streams *all, uint32_t flags, size_t step,
		    char *out, size_t cap)
{
	static char c2s[4096], s2c[4096];
	out[0] = 0;
	for (size_t k = 0; k < all->n; k++) {
		const struct http_stream *s = &all->s[k];
		enum l7_http_method methods[64];
		for (size_t i = 0; i < 64; i++)
			methods[i] = L7_HTTP_GET;
		describe(s->dir[L7_CONN_C2S].b, s->dir[L7_CONN_C2S].len, 0, step, flags,
			 methods, 64, c2s, sizeof(c2s));
		describe(s->dir[L7_CONN_S2C].b, s->dir[L7_CONN_S2C].len, 1, step, flags,
			 methods, 64, s2c, sizeof(s2c));
		addf(out, cap, "%sC2S [%s] S2C [%s]", k ? " / " : "", c2s, s2c);
	}
}

static void mal_captures(void **state)
{
	(void)state;
	int mismatches = 0;
	static char got[8192], got1[8192];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_streams all;
		char path[1024];
		snprintf(path, sizeof(path), "%s/pcaps/%s", data_dir(), cases[i].file);
		int rc = http_streams_load(path, &all);
		if (rc != 0)
			fail_msg("%s: %s", path, l7_strerror(rc));
		for (int lenient = 0; lenient <= 1; lenient++) {
			uint32_t flags = lenient ? L7_HTTP_LENIENT_ALL : 0;
			const char *want = lenient ? cases[i].lenient : cases[i].strict;
			verdict(&all, flags, 0, got, sizeof(got));
			/* consistent: one byte at a time gives the same verdict */
			verdict(&all, flags, 1, got1, sizeof(got1));
			assert_string_equal(got, got1);
			if (strcmp(got, want)) {
				print_message("%s (%s):\n\t\"%s\",\n", cases[i].file,
					      lenient ? "lenient" : "strict", got);
				mismatches++;
			}
		}
		http_streams_free(&all);
	}
	assert_int_equal(mismatches, 0);
}


/*
 * Keep-alive and pipelining on real traffic: walk every connection message
 * by message (head, then body framing, then the next head) and count the
 * requests and responses found, strict and lenient. tshark 4.0's counts
 * are the independent oracle (every http.request.method and
 * http.response.code occurrence in frames matching "tcp && http"); where we
 * differ the table says why.
 */
struct count_case {
	const char *file;
	int tshark_req, tshark_resp;  /* from tshark, see above */
	int req, resp;                /* ours, strict */
	int req_lenient, resp_lenient;
	const char *why;
};

/* Messages in one direction until the first error or unfinished message. */
static int count_messages(const uint8_t *b, size_t n, int resp, uint32_t flags,
			  enum l7_http_method *methods, size_t *n_methods, size_t max_methods)
{
	size_t pos = 0;
	int count = 0;
	size_t k = 0;
	while (pos < n) {
		struct l7_http_parser p;
		static struct l7_http_request rq;
		static struct l7_http_response rs;
		/* a server's bytes may start a new answer only after a request */
		enum l7_http_method m = k < *n_methods ? methods[k] : L7_HTTP_GET;
		if (resp)
			l7_http_parser_init_response(&p, flags, 0, m);
		else
			l7_http_parser_init(&p, flags, 0);
		int rc = resp ? l7_http_parse_response(&p, &rs, b + pos, n - pos)
			      : l7_http_parse_request(&p, &rq, b + pos, n - pos);
		if (rc != 0)
			break;
		const struct l7_http_head *h = resp ? &rs.head : &rq.head;
		count++;
		if (!resp && *n_methods < max_methods)
			methods[(*n_methods)++] = rq.method;
		/* an interim 1xx answers nothing yet: the same request is next */
		if (!resp || rs.status / 100 != 1 || rs.status == 101)
			k++;
		pos += h->head_bytes;
		struct l7_http_body body;
		l7_http_body_init(&body, h, flags);
		int brc = body.done ? 0 : L7_EAGAIN;
		while (pos < n && brc == L7_EAGAIN) {
			size_t used;
			struct l7_http_span pl;
			brc = l7_http_body_feed(&body, b + pos, n - pos, &used, &pl);
			pos += used;
		}
		if (brc != 0 || h->upgrade)
			break;
	}
	return count;
}

static void count_capture(const char *file, uint32_t flags, int *req, int *resp)
{
	struct http_streams all;
	char path[1024];
	snprintf(path, sizeof(path), "%s/pcaps/%s", data_dir(), file);
	int rc = http_streams_load(path, &all);
	if (rc != 0)
		fail_msg("%s: %s", path, l7_strerror(rc));
	*req = *resp = 0;
	for (size_t k = 0; k < all.n; k++) {
		static enum l7_http_method methods[4096];
		size_t nm = 0;
		const struct http_stream *s = &all.s[k];
		*req += count_messages(s->dir[L7_CONN_C2S].b, s->dir[L7_CONN_C2S].len, 0, flags,
				       methods, &nm, 4096);
		*resp += count_messages(s->dir[L7_CONN_S2C].b, s->dir[L7_CONN_S2C].len, 1, flags,
					methods, &nm, 4096);
	}
	http_streams_free(&all);
}

static const struct count_case counts[] = {
	{ "ka_suricata_http-protocol-nodup.pcap", 40, 40, 6, 40, 40, 40,
	  "strict: the 7th request's target has '|' (not RFC 3986), the connection stops there" },
	{ "ka_zeek_100-continue.pcap", 1, 2, 1, 2, 1, 2, "" },
	{ "ka_zeek_pipelined-requests.pcap", 5, 5, 5, 5, 5, 5, "" },
	{ "ka_zeek_proxy.pcap", 1, 1, 1, 1, 1, 1, "" },
	{ "real_pcpp_example.pcap", 338, 336, 338, 338, 338, 338,
	  "tshark's HTTP dissector misses a 41,863- and a 37,662-byte response (streams 5 and 6); "
	  "walking the bytes of tshark's own 'follow tcp' output finds them too" },
	{ "real_pcpp_http-packets.pcap", 112, 106, 112, 58, 112, 58,
	  "six server streams have holes (lost segments): we stop at the first hole, tshark resyncs" },
	{ "real_suricata_http-range-multiflows.pcap", 41, 41, 41, 41, 41, 41, "" },
	{ "real_suricata_output-eve-ftp-data.pcap", 77, 77, 77, 77, 77, 77, "" },
	{ "real_zeek_bro.org.pcap", 31, 30, 31, 26, 31, 26,
	  "one server stream has a hole after its first response: we stop there, tshark resyncs" },
	{ "real_zeek_methods.pcap", 27, 49, 0, 49, 9, 49,
	  "a method-fuzzing capture: request lines end in bare LF (strict: all refused); lenient, "
	  "18 lack a target or have a cut version (\"HTTP/1.\") and are refused, as the server "
	  "answered them 400" },
	{ "smoke_arkime_http-simple-get.pcap", 1, 1, 1, 1, 1, 1, "" },
	{ "smoke_zeek_http_get.pcap", 1, 1, 1, 1, 1, 1, "" },
	{ "smoke_zeek_http_post.pcap", 1, 1, 1, 1, 1, 1, "" },
	{ "smoke_zeek_wikipedia.pcap", 15, 15, 15, 15, 15, 15, "" },
	{ "smoke_zeek_workshop_2011_browse.pcap", 17, 17, 17, 17, 17, 17, "" },
};

static void keepalive_captures(void **state)
{
	(void)state;
	int mismatches = 0;
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		int rq, rs, lrq, lrs;
		count_capture(counts[i].file, 0, &rq, &rs);
		count_capture(counts[i].file, L7_HTTP_LENIENT_ALL, &lrq, &lrs);
		if (rq != counts[i].req || rs != counts[i].resp || lrq != counts[i].req_lenient ||
		    lrs != counts[i].resp_lenient) {
			print_message("\t{ \"%s\", %d, %d, %d, %d, %d, %d, \"\" },\n", counts[i].file,
				      counts[i].tshark_req, counts[i].tshark_resp, rq, rs, lrq, lrs);
			mismatches++;
		}
		/* a difference from tshark must be explained */
		if ((lrq != counts[i].tshark_req || lrs != counts[i].tshark_resp ||
		     rq != lrq || rs != lrs) && !counts[i].why[0]) {
			print_message("%s: differs from tshark without a reason\n", counts[i].file);
			mismatches++;
		}
	}
	assert_int_equal(mismatches, 0);
}

int main(void)
{
	if (!data_dir()) {
		printf("test_http_pcaps: L7_SHARED_DATA not set, skipping\n");
		return 77;
	}
	char path[1024];
	snprintf(path, sizeof(path), "%s/pcaps/%s", data_dir(), cases[0].file);
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("test_http_pcaps: %s absent, skipping\n", path);
		return 77;
	}
	fclose(f);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mal_captures),
		cmocka_unit_test(keepalive_captures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
