/*
 * bench_http_parse.c — request-head parse throughput of our parser vs
 * nodejs http-parser (Debian libhttp-parser-dev), same bytes, same run.
 *
 * The bytes are the request heads of the real captures in
 * ../shared/data/pcaps/ (all top-level captures but mal_*), reassembled once
 * at start with the pcap module; a head is kept when both parsers accept
 * it, so both do the same work. http-parser gets callbacks that record
 * where the URL and each header name/value are (what our parser's result
 * holds), so neither side is measured doing less than the other.
 *
 * Output: JSON lines (MB/s and requests/s from median round times; the
 * ratio is the median of paired rounds, because the machine is shared and
 * its speed drifts); callgrind instruction counts are the stable
 * alternative (run with --once; docs/http.md).
 */
#include <dirent.h>
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "l7splice/http.h"
#include "test_http_streams.h"

struct corpus {
	uint8_t *bytes;
	size_t len, cap;
	uint32_t *off;    /* head i is bytes[off[i] .. off[i+1]) */
	size_t n, ncap;
	size_t ours_rejected, peer_rejected; /* heads left out, by who refused */
};

/* ------------------------------------------------------------ http-parser */

struct hp_view {
	const char *url;
	size_t url_len;
	const char *field[L7_HTTP_MAX_HEADERS], *value[L7_HTTP_MAX_HEADERS];
	size_t field_len[L7_HTTP_MAX_HEADERS], value_len[L7_HTTP_MAX_HEADERS];
	int n, in_value, done;
};

static int hp_url(http_parser *p, const char *at, size_t len)
{
	struct hp_view *v = p->data;
	v->url = at;
	v->url_len = len;
	return 0;
}

static int hp_field(http_parser *p, const char *at, size_t len)
{
	struct hp_view *v = p->data;
	if (v->in_value || v->n == 0) {
		if (v->n == L7_HTTP_MAX_HEADERS)
			return 1;
		v->n++;
		v->in_value = 0;
	}
	v->field[v->n - 1] = at;
	v->field_len[v->n - 1] = len;
	return 0;
}

static int hp_value(http_parser *p, const char *at, size_t len)
{
	struct hp_view *v = p->data;
	v->in_value = 1;
	v->value[v->n - 1] = at;
	v->value_len[v->n - 1] = len;
	return 0;
}

static int hp_headers_complete(http_parser *p)
{
	struct hp_view *v = p->data;
	v->done = 1;
	return 0;
}

static http_parser_settings hp_settings;

static int hp_parse(const uint8_t *b, size_t n, struct hp_view *v)
{
	http_parser p;
	http_parser_init(&p, HTTP_REQUEST);
	v->n = 0;
	v->in_value = 0;
	v->done = 0;
	p.data = v;
	size_t used = http_parser_execute(&p, &hp_settings, (const char *)b, n);
	return used == n && HTTP_PARSER_ERRNO(&p) == HPE_OK && v->done ? 0 : -1;
}

/* ------------------------------------------------------------ ours */

static int our_parse(const uint8_t *b, size_t n, struct l7_http_request *r)
{
	struct l7_http_parser p;
	l7_http_parser_init(&p, 0, 0);
	return l7_http_parse_request(&p, r, b, n);
}

/* ------------------------------------------------------------ corpus */

static void corpus_add(struct corpus *c, const uint8_t *b, size_t n)
{
	if (c->len + n > c->cap) {
		c->cap = (c->len + n) * 2;
		c->bytes = realloc(c->bytes, c->cap);
	}
	if (c->n + 2 > c->ncap) {
		c->ncap = c->ncap ? c->ncap * 2 : 1024;
		c->off = realloc(c->off, c->ncap * sizeof(c->off[0]));
	}
	if (!c->bytes || !c->off) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	memcpy(c->bytes + c->len, b, n);
	c->off[c->n] = (uint32_t)c->len;
	c->len += n;
	c->n++;
	c->off[c->n] = (uint32_t)c->len;
}

/* Walk one client stream request by request (pipelining, bodies). */
static void add_stream(struct corpus *c, const uint8_t *b, size_t n)
{
	static struct l7_http_request r;
	static struct hp_view v;
	size_t pos = 0;
	while (pos < n) {
		struct l7_http_parser p;
		l7_http_parser_init(&p, L7_HTTP_LENIENT_ALL, 0);
		if (l7_http_parse_request(&p, &r, b + pos, n - pos) != 0)
			return;
		size_t hb = r.head.head_bytes;
		int ours = our_parse(b + pos, hb, &r), peer = hp_parse(b + pos, hb, &v);
		c->ours_rejected += ours != 0;
		c->peer_rejected += peer != 0;
		if (ours == 0 && peer == 0)
			corpus_add(c, b + pos, hb);
		pos += hb;
		struct l7_http_body body;
		l7_http_body_init(&body, &r.head, L7_HTTP_LENIENT_ALL);
		int rc = body.done ? 0 : L7_EAGAIN;
		while (pos < n && rc == L7_EAGAIN) {
			size_t used;
			struct l7_http_span pl;
			rc = l7_http_body_feed(&body, b + pos, n - pos, &used, &pl);
			pos += used;
		}
		if (rc != 0 || r.head.upgrade)
			return;
	}
}

static int load_corpus(const char *dir, struct corpus *c, int *files)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/pcaps", dir);
	struct dirent **names;
	int nn = scandir(path, &names, NULL, alphasort);
	if (nn < 0)
		return -1;
	*files = 0;
	for (int i = 0; i < nn; i++) {
		const char *f = names[i]->d_name;
		size_t l = strlen(f);
		int cap = (l > 5 && !strcmp(f + l - 5, ".pcap")) ||
			  (l > 7 && !strcmp(f + l - 7, ".pcapng"));
		if (cap && strncmp(f, "mal_", 4) != 0) {
			struct http_streams all;
			snprintf(path, sizeof(path), "%s/pcaps/%s", dir, f);
			if (http_streams_load(path, &all) == 0) {
				for (size_t k = 0; k < all.n; k++)
					add_stream(c, all.s[k].dir[L7_CONN_C2S].b,
						   all.s[k].dir[L7_CONN_C2S].len);
				http_streams_free(&all);
				(*files)++;
			}
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

/* A browser-like GET of exactly 703 bytes (written for this benchmark):
 * the classic single-request size, measured on its own as well. */
static const char browser_get[] =
	"GET /wiki/Load_balancing_(computing) HTTP/1.1\r\n"
	"Host: en.wikipedia.org\r\n"
	"Connection: keep-alive\r\n"
	"Cache-Control: max-age=0\r\n"
	"sec-ch-ua: \"Chromium\";v=\"118\", \"Not=A?Brand\";v=\"99\"\r\n"
	"sec-ch-ua-mobile: ?0\r\n"
	"sec-ch-ua-platform: \"Linux\"\r\n"
	"Upgrade-Insecure-Requests: 1\r\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
	"Chrome/118.0.0.0 Safari/537.36\r\n"
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
	"*/*;q=0.8\r\n"
	"Sec-Fetch-Site: none\r\n"
	"Sec-Fetch-Mode: navigate\r\n"
	"Sec-Fetch-User: ?1\r\n"
	"Sec-Fetch-Dest: document\r\n"
	"Accept-Encoding: gzip, deflate, br\r\n"
	"Accept-Language: en-US,en;q=0.9\r\n"
	"Cookie: session=0123456789abcdef0123456789abcdef0123456789abcdef0123456\r\n"
	"\r\n";

/* ------------------------------------------------------------ timing */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile uint64_t sink;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

__attribute__((noinline)) static double round_ours(const struct corpus *c, int reps)
{
	static struct l7_http_request r;
	double t0 = now_s();
	for (int k = 0; k < reps; k++)
		for (size_t i = 0; i < c->n; i++) {
			int rc = our_parse(c->bytes + c->off[i], c->off[i + 1] - c->off[i], &r);
			sink += (uint64_t)rc + r.head.n_headers + r.path.len;
		}
	return now_s() - t0;
}

__attribute__((noinline)) static double round_peer(const struct corpus *c, int reps)
{
	static struct hp_view v;
	double t0 = now_s();
	for (int k = 0; k < reps; k++)
		for (size_t i = 0; i < c->n; i++) {
			int rc = hp_parse(c->bytes + c->off[i], c->off[i + 1] - c->off[i], &v);
			sink += (uint64_t)rc + (uint64_t)v.n + v.url_len;
		}
	return now_s() - t0;
}

int main(int argc, char **argv)
{
	const char *dir = getenv("L7_SHARED_DATA");
	hp_settings.on_url = hp_url;
	hp_settings.on_header_field = hp_field;
	hp_settings.on_header_value = hp_value;
	hp_settings.on_headers_complete = hp_headers_complete;
	struct corpus c;
	memset(&c, 0, sizeof(c));
	int files = 0;
	if (!dir || load_corpus(dir, &c, &files) != 0 || c.n == 0) {
		printf("{\"bench\":\"http_parse\",\"skipped\":\"no captures under L7_SHARED_DATA/pcaps\"}\n");
		return 0;
	}
	/* Short paired rounds (ours, then the peer, ~40 ms each) and the median
	 * of the per-pair ratios: load from other processes changes the clock
	 * rate over seconds, and a pair sees nearly the same conditions.
	 * --once: one round each, for callgrind. */
	int quick = argc > 1 && !strcmp(argv[1], "--once");
	int reps = 1;
	if (!quick) {
		while (round_ours(&c, reps) < 0.04)
			reps *= 2;
	}
	enum { PAIRS = 41 };
	double t_ours[PAIRS], t_peer[PAIRS], ratio[PAIRS];
	int pairs = quick ? 1 : PAIRS;
	for (int k = 0; k < pairs; k++) {
		t_ours[k] = round_ours(&c, reps);
		t_peer[k] = round_peer(&c, reps);
		ratio[k] = t_peer[k] / t_ours[k];
	}
	qsort(t_ours, (size_t)pairs, sizeof(double), cmp_double);
	qsort(t_peer, (size_t)pairs, sizeof(double), cmp_double);
	qsort(ratio, (size_t)pairs, sizeof(double), cmp_double);
	double best_ours = t_ours[pairs / 2], best_peer = t_peer[pairs / 2];
	double med_ratio = ratio[pairs / 2];
	double bytes = (double)c.len * reps, reqs = (double)c.n * reps;
	double mbps = bytes / best_ours / 1e6, peer_mbps = bytes / best_peer / 1e6;
	double rps = reqs / best_ours, peer_rps = reqs / best_peer;
	printf("{\"bench\":\"http_parse\",\"metric\":\"corpus\",\"value\":%zu,\"unit\":\"request heads\","
	       "\"bytes\":%zu,\"captures\":%d,\"strict_rejected\":%zu,\"peer_rejected\":%zu}\n",
	       c.n, c.len, files, c.ours_rejected, c.peer_rejected);
	printf("{\"bench\":\"http_parse\",\"metric\":\"request_head_throughput\",\"value\":%.1f,"
	       "\"unit\":\"MB/s\",\"peer\":\"http-parser %d.%d.%d\",\"peer_value\":%.1f,\"ratio\":%.2f}\n",
	       mbps, HTTP_PARSER_VERSION_MAJOR, HTTP_PARSER_VERSION_MINOR, HTTP_PARSER_VERSION_PATCH,
	       peer_mbps, med_ratio);
	printf("{\"bench\":\"http_parse\",\"metric\":\"request_head_rate\",\"value\":%.0f,"
	       "\"unit\":\"requests/s\",\"peer\":\"http-parser %d.%d.%d\",\"peer_value\":%.0f,\"ratio\":%.2f}\n",
	       rps, HTTP_PARSER_VERSION_MAJOR, HTTP_PARSER_VERSION_MINOR, HTTP_PARSER_VERSION_PATCH,
	       peer_rps, med_ratio);
	printf("{\"bench\":\"http_parse\",\"metric\":\"pair_ratio_spread\",\"value\":%.2f,"
	       "\"unit\":\"ratio p10\",\"p90\":%.2f,\"pairs\":%d}\n",
	       ratio[pairs / 10], ratio[pairs - 1 - pairs / 10], pairs);
	/* the single 703-byte GET, same method */
	struct corpus one;
	memset(&one, 0, sizeof(one));
	corpus_add(&one, (const uint8_t *)browser_get, sizeof(browser_get) - 1);
	reps = 1;
	if (!quick)
		while (round_ours(&one, reps) < 0.04)
			reps *= 2;
	for (int k = 0; k < pairs; k++) {
		t_ours[k] = round_ours(&one, reps);
		t_peer[k] = round_peer(&one, reps);
		ratio[k] = t_peer[k] / t_ours[k];
	}
	qsort(t_ours, (size_t)pairs, sizeof(double), cmp_double);
	qsort(t_peer, (size_t)pairs, sizeof(double), cmp_double);
	qsort(ratio, (size_t)pairs, sizeof(double), cmp_double);
	printf("{\"bench\":\"http_parse\",\"metric\":\"browser_get_%zuB_rate\",\"value\":%.0f,"
	       "\"unit\":\"requests/s\",\"peer\":\"http-parser %d.%d.%d\",\"peer_value\":%.0f,\"ratio\":%.2f}\n",
	       sizeof(browser_get) - 1, reps / t_ours[pairs / 2], HTTP_PARSER_VERSION_MAJOR,
	       HTTP_PARSER_VERSION_MINOR, HTTP_PARSER_VERSION_PATCH, reps / t_peer[pairs / 2],
	       ratio[pairs / 2]);
	free(one.bytes);
	free(one.off);
	free(c.bytes);
	free(c.off);
	return 0;
}
