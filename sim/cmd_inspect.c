/*
 * cmd_inspect.c — `l7sim inspect TRACE [--json] [--top N]`: what is in a
 * capture (think capinfos + tshark -z conv,tcp + an HTTP summary).
 *
 * One streaming pass: the pcap reader, the packet parser, the connection
 * tracker, and the strict HTTP parser (lenient flags on: inspect describes
 * traffic, it does not police it) on each direction's in-order bytes;
 * after a gap, parsing resumes at the next chunk that starts like a
 * request or status line.
 * Memory follows the concurrent connections (the tracker's fixed table plus
 * one small HTTP state per open connection and a head buffer only while a
 * head is incomplete), never the trace length; the top-N list is bounded.
 *
 * Bad input: a file that is not a capture, or that ends inside a record, or
 * whose link type we cannot parse is one line on stderr, "l7sim: FILE:
 * what is wrong" (with "packet N:" for a record), and exit status 2.
 * Malformed or truncated packets inside a readable file are skipped and
 * counted in the report ("skipped"), never fatal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l7splice/conn.h"
#include "l7splice/http.h"
#include "l7splice/packet.h"
#include "l7splice/pcap.h"
#include "commands.h"

#define TOP_MAX 1000
#define METHOD_SLOTS 32
#define PENDING_METHODS 64
#define HEAD_MAX 16384u

/* ------------------------------------------------------------ HTTP state */

/* H_RESYNC: after a gap, skip in-order chunks until one starts like a
 * message ("HTTP/1." from the server, "TOKEN " from the client): capture
 * loss mid-body would otherwise end HTTP parsing for the connection. */
enum hstate { H_HEAD, H_BODY, H_RESYNC, H_DEAD };

/* Scratch for a head that is still arriving. */
struct head_work {
	struct l7_http_parser parser;
	union {
		struct l7_http_request req;
		struct l7_http_response resp;
	} u;
	uint32_t len;
	uint8_t buf[HEAD_MAX];
};

struct hdir {
	enum hstate state;
	struct head_work *work;
	struct l7_http_body body;
};

struct method_count {
	char name[24];
	uint64_t n;
};

struct stats;

/* Per connection: the two HTTP directions and the methods awaiting an
 * answer (a response to HEAD has no body, RFC 9112 §6.3). */
struct iconn {
	struct hdir d[2];
	uint8_t pending[PENDING_METHODS];
	uint32_t p_head, p_tail;
	uint64_t requests, responses;
	struct stats *s;
};

struct top_entry {
	uint64_t id, packets, bytes_c2s, bytes_s2c, requests;
	struct l7_flow_key key;
	l7_time_ns first_ns, last_ns;
	enum l7_conn_end why;
};

struct stats {
	/* packets: the packet layer's own classification counters */
	struct l7_pkt_stats pkt;
	/* connections */
	uint64_t conns, complete, reset, half_open, midstream, open_at_end;
	uint64_t bytes[2], retrans, ooo, overlaps, conflicts, gaps, gap_bytes;
	/* http */
	struct method_count methods[METHOD_SLOTS];
	uint64_t requests, responses, status_class[6]; /* [1..5], [0] other */
	uint64_t http_errors, http_gaps, http_resynced, http_upgrades;
	/* top N */
	struct top_entry *top;
	uint32_t top_n, top_len;
	int oom;
};

static void count_method(struct stats *s, const char *name, size_t len)
{
	if (len >= sizeof(s->methods[0].name))
		len = sizeof(s->methods[0].name) - 1;
	for (int i = 0; i < METHOD_SLOTS; i++) {
		struct method_count *m = &s->methods[i];
		if (m->n && strlen(m->name) == len && !memcmp(m->name, name, len)) {
			m->n++;
			return;
		}
		if (!m->n) {
			memcpy(m->name, name, len);
			m->name[len] = '\0';
			m->n = 1;
			return;
		}
	}
	/* more than 32 distinct methods: fold the rest into the last slot */
	snprintf(s->methods[METHOD_SLOTS - 1].name, sizeof(s->methods[0].name), "(other)");
	s->methods[METHOD_SLOTS - 1].n++;
}

static void hdir_kill(struct hdir *h)
{
	free(h->work);
	h->work = NULL;
	h->state = H_DEAD;
}

static int start_head(struct iconn *ic, struct hdir *h, enum l7_conn_dir dir)
{
	if (!h->work) {
		h->work = malloc(sizeof(*h->work));
		if (!h->work) {
			ic->s->oom = 1;
			h->state = H_DEAD;
			return -1;
		}
	}
	h->work->len = 0;
	if (dir == L7_CONN_C2S) {
		l7_http_parser_init(&h->work->parser, L7_HTTP_LENIENT_ALL, HEAD_MAX);
	} else {
		enum l7_http_method m = L7_HTTP_GET;
		if (ic->p_head != ic->p_tail)
			m = (enum l7_http_method)ic->pending[ic->p_head % PENDING_METHODS];
		l7_http_parser_init_response(&h->work->parser, L7_HTTP_LENIENT_ALL, HEAD_MAX, m);
	}
	return 0;
}

/* A complete head: count it and set up its body. */
static void head_done(struct iconn *ic, struct hdir *h, enum l7_conn_dir dir)
{
	struct stats *s = ic->s;
	struct head_work *w = h->work;
	const struct l7_http_head *head;
	int informational = 0;

	if (dir == L7_CONN_C2S) {
		const struct l7_http_request *rq = &w->u.req;
		head = &rq->head;
		count_method(s, (const char *)w->buf + rq->method_tok.off, rq->method_tok.len);
		s->requests++;
		ic->requests++;
		if (ic->p_tail - ic->p_head < PENDING_METHODS)
			ic->pending[ic->p_tail++ % PENDING_METHODS] = (uint8_t)rq->method;
	} else {
		const struct l7_http_response *rs = &w->u.resp;
		head = &rs->head;
		unsigned cls = rs->status / 100;
		s->status_class[cls >= 1 && cls <= 5 ? cls : 0]++;
		s->responses++;
		ic->responses++;
		informational = rs->status >= 100 && rs->status < 200 && rs->status != 101;
		if (!informational && ic->p_head != ic->p_tail)
			ic->p_head++;
	}
	if (head->upgrade) {
		/* the bytes that follow are another protocol (CONNECT, 101) */
		s->http_upgrades++;
		hdir_kill(h);
		return;
	}
	if (informational || head->framing == L7_HTTP_BODY_NONE) {
		h->state = H_HEAD;
		return;
	}
	l7_http_body_init(&h->body, head, L7_HTTP_LENIENT_ALL);
	h->state = H_BODY;
}

static int parse_head(struct head_work *w, enum l7_conn_dir dir)
{
	if (dir == L7_CONN_C2S)
		return l7_http_parse_request(&w->parser, &w->u.req, w->buf, w->len);
	return l7_http_parse_response(&w->parser, &w->u.resp, w->buf, w->len);
}

static uint32_t head_bytes(const struct head_work *w, enum l7_conn_dir dir)
{
	return dir == L7_CONN_C2S ? w->u.req.head.head_bytes : w->u.resp.head.head_bytes;
}

/* Does this chunk start like a request line ("TOKEN SP") or a status
 * line ("HTTP/1.")? Only used to pick up again after a gap. */
static int looks_like_start(enum l7_conn_dir dir, const uint8_t *d, size_t len)
{
	if (dir == L7_CONN_S2C)
		return len >= 7 && !memcmp(d, "HTTP/1.", 7);
	size_t i = 0;
	while (i < len && i < 16 && d[i] >= 'A' && d[i] <= 'Z')
		i++;
	return i > 0 && i < len && d[i] == ' ';
}

/* Feed in-order bytes of one direction through heads and bodies. */
static void http_feed(struct iconn *ic, enum l7_conn_dir dir, const uint8_t *data, size_t len)
{
	struct hdir *h = &ic->d[dir];
	if (h->state == H_RESYNC) {
		if (!looks_like_start(dir, data, len))
			return;
		ic->s->http_resynced++;
		h->state = H_HEAD;
	}
	while (len > 0 && h->state != H_DEAD) {
		if (h->state == H_HEAD) {
			if ((!h->work || h->work->len == 0) && start_head(ic, h, dir))
				return;
			struct head_work *w = h->work;
			size_t take = HEAD_MAX - w->len < len ? HEAD_MAX - w->len : len;
			memcpy(w->buf + w->len, data, take);
			w->len += (uint32_t)take;
			int rc = parse_head(w, dir);
			if (rc == L7_EAGAIN && w->len < HEAD_MAX)
				return;
			if (rc != 0) {
				ic->s->http_errors++;
				hdir_kill(h);
				return;
			}
			/* bytes after the head came from this call's data */
			size_t rest = w->len - head_bytes(w, dir);
			data += take - rest;
			len -= take - rest;
			w->len = 0;
			head_done(ic, h, dir);
			continue;
		}
		size_t used = 0;
		struct l7_http_span pay;
		int rc = l7_http_body_feed(&h->body, data, len, &used, &pay);
		data += used;
		len -= used;
		if (rc == 0) {
			h->state = H_HEAD;
		} else if (rc != L7_EAGAIN) {
			ic->s->http_errors++;
			hdir_kill(h);
		} else if (used == 0) {
			return;
		}
	}
}

/* ------------------------------------------------------------ callbacks */

static void on_open(void *user, struct l7_conn *c, l7_time_ns ts)
{
	(void)ts;
	struct stats *s = user;
	struct iconn *ic = calloc(1, sizeof(*ic));
	if (!ic) {
		s->oom = 1;
		return;
	}
	ic->s = s;
	c->user = ic;
}

static void on_data(void *user, struct l7_conn *c, enum l7_conn_dir dir,
		    const uint8_t *data, size_t len, l7_time_ns ts)
{
	(void)user; (void)ts;
	if (c->user)
		http_feed(c->user, dir, data, len);
}

static void on_gap(void *user, struct l7_conn *c, enum l7_conn_dir dir, uint64_t len,
		   l7_time_ns ts)
{
	(void)len; (void)ts;
	struct stats *s = user;
	struct iconn *ic = c->user;
	/* the message in progress is lost; look for the next one */
	if (ic && ic->d[dir].state != H_DEAD) {
		s->http_gaps++;
		free(ic->d[dir].work);
		ic->d[dir].work = NULL;
		ic->d[dir].state = H_RESYNC;
	}
}

static void top_insert(struct stats *s, const struct top_entry *e)
{
	uint64_t b = e->bytes_c2s + e->bytes_s2c;
	uint32_t i = s->top_len;
	if (s->top_n == 0)
		return;
	/* sorted by bytes desc, then id asc; drop the smallest when full */
	while (i > 0) {
		const struct top_entry *p = &s->top[i - 1];
		uint64_t pb = p->bytes_c2s + p->bytes_s2c;
		if (pb > b || (pb == b && p->id < e->id))
			break;
		i--;
	}
	if (i >= s->top_n)
		return;
	uint32_t last = s->top_len < s->top_n ? s->top_len : s->top_n - 1;
	memmove(&s->top[i + 1], &s->top[i], (last - i) * sizeof(*e));
	s->top[i] = *e;
	if (s->top_len < s->top_n)
		s->top_len++;
}

static void on_close(void *user, struct l7_conn *c, enum l7_conn_end why, l7_time_ns ts)
{
	(void)ts;
	struct stats *s = user;
	struct iconn *ic = c->user;
	uint32_t f = c->flags;

	s->conns++;
	if (f & L7_CONN_F_RST)
		s->reset++;
	else if ((f & L7_CONN_F_SYN) && (f & L7_CONN_F_SYNACK) && (f & L7_CONN_F_FIN_C) &&
		 (f & L7_CONN_F_FIN_S))
		s->complete++;
	else
		s->half_open++;
	if (f & L7_CONN_F_MIDSTREAM)
		s->midstream++;
	if (why == L7_CONN_END_FLUSH)
		s->open_at_end++;
	for (int d = 0; d < 2; d++) {
		const struct l7_conn_dir_stats *st = &c->dir[d];
		s->bytes[d] += st->bytes;
		s->retrans += st->retrans_segs;
		s->ooo += st->ooo_segs;
		s->overlaps += st->overlap_segs;
		s->conflicts += st->conflict_bytes;
		s->gaps += st->gaps;
		s->gap_bytes += st->gap_bytes;
	}
	struct top_entry e = {
		.id = c->id,
		.packets = c->dir[0].packets + c->dir[1].packets,
		.bytes_c2s = c->dir[0].bytes,
		.bytes_s2c = c->dir[1].bytes,
		.requests = ic ? ic->requests : 0,
		.key = c->key,
		.first_ns = c->first_ns,
		.last_ns = c->last_ns,
		.why = why,
	};
	top_insert(s, &e);
	if (ic) {
		free(ic->d[0].work);
		free(ic->d[1].work);
		free(ic);
		c->user = NULL;
	}
}

/* ------------------------------------------------------------ output */

static void endpoint(char *out, size_t cap, const uint8_t addr[16], const uint8_t port[2])
{
	char ip[INET6_ADDRSTRLEN];
	struct l7_addr a;
	memcpy(a.b, addr, 16);
	unsigned p = (unsigned)port[0] << 8 | port[1];
	if (l7_addr_is_v4(&a)) {
		inet_ntop(AF_INET, addr + 12, ip, sizeof(ip));
		snprintf(out, cap, "%s:%u", ip, p);
	} else {
		inet_ntop(AF_INET6, addr, ip, sizeof(ip));
		snprintf(out, cap, "[%s]:%u", ip, p);
	}
}

struct summary {
	const char *path;
	const struct l7_pcap_reader *rd;
	const struct stats *s;
	const struct l7_conn_counts *cc;
};

static const char *format_name(const struct l7_pcap_reader *r)
{
	return r->is_pcapng > 0 ? "pcapng" : r->is_pcapng == 0 ? "pcap" : "pcap or pcapng stream";
}

static double secs(l7_time_ns a, l7_time_ns b)
{
	return b > a ? (double)(b - a) / 1e9 : 0.0;
}

/* Parse results that are none of the named kinds (unknown link type, ...). */
static uint64_t skip_other(const struct stats *s)
{
	return s->pkt.bad_linktype + s->pkt.other_err;
}

static void print_text(const struct summary *m)
{
	const struct l7_pcap_counts *pc = l7_pcap_reader_counts(m->rd);
	const struct stats *s = m->s;
	uint32_t lt = l7_pcap_reader_linktype(m->rd);
	uint64_t skipped = s->pkt.packets - s->pkt.ok;

	printf("file:            %s (%s)\n", m->path, format_name(m->rd));
	printf("link type:       %s (%u)\n", l7_linktype_name(lt), lt);
	printf("packets:         %llu\n", (unsigned long long)pc->packets);
	printf("bytes:           %llu on the wire, %llu captured\n",
	       (unsigned long long)pc->wire_bytes, (unsigned long long)pc->cap_bytes);
	printf("duration:        %.6f s\n", secs(pc->first_ns, pc->last_ns));
	printf("IP packets:      %llu IPv4, %llu IPv6 (TCP %llu, UDP %llu, other %llu)\n",
	       (unsigned long long)s->pkt.ipv4, (unsigned long long)s->pkt.ipv6,
	       (unsigned long long)s->pkt.tcp, (unsigned long long)s->pkt.udp,
	       (unsigned long long)s->pkt.other_l4);
	printf("skipped:         %llu (non-IP %llu, truncated %llu, malformed %llu, "
	       "IP fragments %llu, other %llu)\n",
	       (unsigned long long)skipped, (unsigned long long)s->pkt.non_ip,
	       (unsigned long long)s->pkt.truncated, (unsigned long long)s->pkt.malformed,
	       (unsigned long long)s->pkt.nonfirst_fragments, (unsigned long long)skip_other(s));
	printf("TCP connections: %llu (complete %llu, half-open %llu, reset %llu; "
	       "mid-stream %llu, open at end %llu)\n",
	       (unsigned long long)s->conns, (unsigned long long)s->complete,
	       (unsigned long long)s->half_open, (unsigned long long)s->reset,
	       (unsigned long long)s->midstream, (unsigned long long)s->open_at_end);
	printf("TCP bytes:       %llu client->server, %llu server->client\n",
	       (unsigned long long)s->bytes[0], (unsigned long long)s->bytes[1]);
	printf("TCP segments:    %llu retransmitted, %llu out of order, %llu overlapping "
	       "(%llu conflicting bytes), %llu gaps (%llu bytes)\n",
	       (unsigned long long)s->retrans, (unsigned long long)s->ooo,
	       (unsigned long long)s->overlaps, (unsigned long long)s->conflicts,
	       (unsigned long long)s->gaps, (unsigned long long)s->gap_bytes);
	printf("HTTP requests:   %llu", (unsigned long long)s->requests);
	for (int i = 0; i < METHOD_SLOTS && s->methods[i].n; i++)
		printf("%s %s %llu", i ? "," : ":", s->methods[i].name,
		       (unsigned long long)s->methods[i].n);
	printf("\nHTTP responses:  %llu", (unsigned long long)s->responses);
	int first = 1;
	for (int c = 1; c <= 5; c++)
		if (s->status_class[c]) {
			printf("%s %dxx %llu", first ? ":" : ",", c,
			       (unsigned long long)s->status_class[c]);
			first = 0;
		}
	printf("\nHTTP errors:     %llu (not HTTP or malformed; gaps %llu, resynchronised "
	       "%llu, upgraded %llu)\n",
	       (unsigned long long)s->http_errors, (unsigned long long)s->http_gaps,
	       (unsigned long long)s->http_resynced, (unsigned long long)s->http_upgrades);
	if (s->top_len == 0)
		return;
	printf("top %u connections by bytes:\n", s->top_len);
	printf("  %4s  %-44s %-44s %7s %10s %10s %5s %10s %s\n", "id", "client", "server",
	       "packets", "bytes c>s", "bytes s>c", "reqs", "seconds", "end");
	for (uint32_t i = 0; i < s->top_len; i++) {
		const struct top_entry *e = &s->top[i];
		char cl[64], sv[64];
		endpoint(cl, sizeof(cl), e->key.src, e->key.sport);
		endpoint(sv, sizeof(sv), e->key.dst, e->key.dport);
		printf("  %4llu  %-44s %-44s %7llu %10llu %10llu %5llu %10.6f %s\n",
		       (unsigned long long)e->id, cl, sv, (unsigned long long)e->packets,
		       (unsigned long long)e->bytes_c2s, (unsigned long long)e->bytes_s2c,
		       (unsigned long long)e->requests, secs(e->first_ns, e->last_ns),
		       l7_conn_end_name(e->why));
	}
}

#define JU(v) json_integer((json_int_t)(v))

static int print_json(const struct summary *m)
{
	const struct l7_pcap_counts *pc = l7_pcap_reader_counts(m->rd);
	const struct stats *s = m->s;
	uint32_t lt = l7_pcap_reader_linktype(m->rd);
	json_t *o = json_object();

	json_object_set_new(o, "file", json_string(m->path));
	json_object_set_new(o, "format", json_string(format_name(m->rd)));
	json_t *lts = json_array();
	json_array_append_new(lts, json_pack("{s:I,s:s,s:I}", "linktype", (json_int_t)lt,
					     "name", l7_linktype_name(lt),
					     "packets", (json_int_t)pc->packets));
	json_object_set_new(o, "link_types", lts);
	json_object_set_new(o, "packets", JU(pc->packets));
	json_object_set_new(o, "bytes_wire", JU(pc->wire_bytes));
	json_object_set_new(o, "bytes_captured", JU(pc->cap_bytes));
	json_object_set_new(o, "first_ns", JU(pc->first_ns));
	json_object_set_new(o, "last_ns", JU(pc->last_ns));
	json_object_set_new(o, "duration_s", json_real(secs(pc->first_ns, pc->last_ns)));
	json_object_set_new(o, "ip", json_pack("{s:I,s:I,s:I,s:I,s:I}",
		"ipv4", (json_int_t)s->pkt.ipv4, "ipv6", (json_int_t)s->pkt.ipv6,
		"tcp", (json_int_t)s->pkt.tcp, "udp", (json_int_t)s->pkt.udp,
		"other", (json_int_t)s->pkt.other_l4));
	json_object_set_new(o, "skipped", json_pack("{s:I,s:I,s:I,s:I,s:I}",
		"non_ip", (json_int_t)s->pkt.non_ip, "truncated", (json_int_t)s->pkt.truncated,
		"malformed", (json_int_t)s->pkt.malformed,
		"ip_fragments", (json_int_t)s->pkt.nonfirst_fragments, "other", (json_int_t)skip_other(s)));
	json_object_set_new(o, "tcp", json_pack(
		"{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		"connections", (json_int_t)s->conns, "complete", (json_int_t)s->complete,
		"half_open", (json_int_t)s->half_open, "reset", (json_int_t)s->reset,
		"midstream", (json_int_t)s->midstream, "open_at_end", (json_int_t)s->open_at_end,
		"bytes_c2s", (json_int_t)s->bytes[0], "bytes_s2c", (json_int_t)s->bytes[1],
		"retransmitted_segments", (json_int_t)s->retrans,
		"out_of_order_segments", (json_int_t)s->ooo,
		"overlapping_segments", (json_int_t)s->overlaps,
		"conflicting_bytes", (json_int_t)s->conflicts,
		"gaps", (json_int_t)s->gaps, "gap_bytes", (json_int_t)s->gap_bytes));
	json_t *methods = json_object();
	for (int i = 0; i < METHOD_SLOTS && s->methods[i].n; i++)
		json_object_set_new(methods, s->methods[i].name, JU(s->methods[i].n));
	json_t *classes = json_object();
	for (int c = 1; c <= 5; c++) {
		char k[4] = { (char)('0' + c), 'x', 'x', 0 };
		json_object_set_new(classes, k, JU(s->status_class[c]));
	}
	json_object_set_new(o, "http", json_pack("{s:I,s:o,s:I,s:o,s:I,s:I,s:I,s:I}",
		"requests", (json_int_t)s->requests, "methods", methods,
		"responses", (json_int_t)s->responses, "status_classes", classes,
		"errors", (json_int_t)s->http_errors,
		"gaps", (json_int_t)s->http_gaps,
		"resynchronised", (json_int_t)s->http_resynced,
		"upgrades", (json_int_t)s->http_upgrades));
	json_t *top = json_array();
	for (uint32_t i = 0; i < s->top_len; i++) {
		const struct top_entry *e = &s->top[i];
		char cl[64], sv[64];
		endpoint(cl, sizeof(cl), e->key.src, e->key.sport);
		endpoint(sv, sizeof(sv), e->key.dst, e->key.dport);
		json_array_append_new(top, json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:f,s:s}",
			"id", (json_int_t)e->id, "client", cl, "server", sv,
			"packets", (json_int_t)e->packets, "bytes_c2s", (json_int_t)e->bytes_c2s,
			"bytes_s2c", (json_int_t)e->bytes_s2c, "requests", (json_int_t)e->requests,
			"duration_s", secs(e->first_ns, e->last_ns), "end", l7_conn_end_name(e->why)));
	}
	json_object_set_new(o, "top_connections", top);
	int rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
	fputc('\n', stdout);
	json_decref(o);
	return rc;
}

/* ------------------------------------------------------------ the pass */

static void usage(FILE *f)
{
	fprintf(f, "usage: l7sim inspect TRACE [--json] [--top N]\n"
		   "  summarise a pcap/pcapng capture: packets, TCP connections, HTTP\n"
		   "  --json    print the summary as JSON\n"
		   "  --top N   list the N connections with the most bytes (default 10)\n");
}

/* Parse a non-negative decimal integer no larger than max; -1 if not. */
static long parse_count(const char *s, long max)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		return -1;
	return v;
}

int l7sim_cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "top", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, c;
	long top = 10;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "jt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 't':
			top = parse_count(optarg, TOP_MAX);
			if (top < 0) {
				fprintf(stderr, "l7sim: inspect: --top wants a number 0..%d, not '%s'\n",
					TOP_MAX, optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "l7sim: inspect: unknown option '%s' (try l7sim inspect --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	const char *path = argv[optind];

	struct l7_pcap_reader rd;
	int rc = l7_pcap_open(&rd, path);
	if (rc) {
		fprintf(stderr, "l7sim: %s\n", l7_pcap_reader_error(&rd));
		l7_pcap_close(&rd);
		return 2; /* missing, unreadable or not a capture: bad input */
	}
	uint32_t lt = l7_pcap_reader_linktype(&rd);
	if (!l7_linktype_supported(lt)) {
		fprintf(stderr, "l7sim: %s: unsupported link type %u\n", path, lt);
		l7_pcap_close(&rd);
		return 2;
	}

	static struct stats s;
	memset(&s, 0, sizeof(s));
	s.top_n = (uint32_t)top;
	s.top = calloc(top ? (size_t)top : 1, sizeof(*s.top));
	struct l7_conn_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.keep_history = 1; /* report conflicting retransmissions too */
	cfg.cb.on_open = on_open;
	cfg.cb.on_data = on_data;
	cfg.cb.on_gap = on_gap;
	cfg.cb.on_close = on_close;
	cfg.user = &s;
	struct l7_conn_tracker *t = NULL;
	if (!s.top || l7_conn_tracker_create(&t, &cfg)) {
		fprintf(stderr, "l7sim: %s: out of memory\n", path);
		free(s.top);
		l7_pcap_close(&rd);
		return 1;
	}

	struct l7_pcap_rec rec;
	struct l7_pkt pkt;
	while ((rc = l7_pcap_next(&rd, &rec)) == 1) {
		int prc = l7_pkt_parse(&pkt, rec.data, rec.caplen, rec.linktype);
		l7_pkt_stats_add(&s.pkt, prc, &pkt);
		if (prc == 0)
			l7_conn_track(t, &pkt, rec.ts_ns);
	}
	int status = 0;
	if (rc < 0) {
		fprintf(stderr, "l7sim: %s\n", l7_pcap_reader_error(&rd));
		status = 2;
	} else {
		l7_conn_flush(t, l7_pcap_reader_counts(&rd)->last_ns);
		if (s.oom) {
			fprintf(stderr, "l7sim: %s: out of memory\n", path);
			status = 1;
		} else {
			struct summary m = { path, &rd, &s, l7_conn_tracker_counts(t) };
			if (json ? print_json(&m) != 0 : 0)
				status = 1;
			else if (!json)
				print_text(&m);
			if (fflush(stdout) != 0 || ferror(stdout)) {
				fprintf(stderr, "l7sim: inspect: cannot write the output\n");
				status = 1;
			}
		}
	}
	if (status == 2)
		l7_conn_flush(t, 0); /* release per-connection HTTP state */
	l7_conn_tracker_destroy(t);
	free(s.top);
	l7_pcap_close(&rd);
	return status;
}
