/*
 * bench_splice.c — cost of translating an established spliced flow
 * (ARCHITECTURE.md §7): per packet, (a) the record-only translation an
 * agent runs (l7_splice_xlate_s2c / _c2s on a parsed view: seq, ack, SACK
 * edges, TSval/TSecr, window, addresses, ports, checksums; lookup
 * excluded) and (b) the whole engine path l7_splice_input() (parse, flow
 * lookup among 1024 live connections, translation, emit callback), for
 * 64-byte and 1500-byte Ethernet frames, with and without TS+SACK options.
 * Goal from the issue: <= 33 ns/packet for (a) on in-cache state.
 *
 * Frames are translated in place, so each batch of frames is restored
 * (memcpy, and re-parsed for (a)) outside the timed region; the value is
 * the median over batches of 64 packets (robust to preemption). No peer
 * library does this job, so "peer" is null. Prints JSON lines.
 *
 * Environment (for profiling one row under valgrind, where the full run is
 * far too slow): BENCH_SPLICE_ONLY=<substring> runs only the rows whose
 * metric name contains it (e.g. "xlate_c2s_64B_ts_sack"),
 * BENCH_SPLICE_ROUNDS=<n> sets the number of batches per row (at most the
 * default, 20000).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "l7splice/splice.h"

#define NCONN 1024
#define BATCH 64
#define MAX_ROUNDS 20000

static int rounds = MAX_ROUNDS;
static const char *only; /* BENCH_SPLICE_ONLY, or NULL for every row */

static int selected(const char *metric)
{
	return only == NULL || strstr(metric, only) != NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The machine is shared and has 2 cores: a batch that got preempted is
 * not the cost of translation, so report the median batch. */
static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------ engine setup */

static uint32_t last_seq;
static uint64_t sunk;

static void emit_cb(void *user, const struct l7_splice_out *o)
{
	(void)user;
	struct l7_pkt p;
	sunk += o->len;
	if (o->built && l7_pkt_parse(&p, o->frame, (uint32_t)o->len, o->linktype) == 0)
		last_seq = p.tcp_seq;
}

static enum l7_splice_verdict route_cb(void *user, const struct l7_splice_head *h,
				       struct l7_splice_route *r)
{
	(void)user;
	(void)h;
	r->backend = l7_addr_from_v4(0x0a630001);
	r->backend_port = 8080;
	return L7_SPLICE_ROUTE_GO;
}

static size_t build(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		    uint32_t seq, uint32_t ack, uint16_t flags, const uint8_t *opts, size_t olen,
		    const uint8_t *pl, size_t plen)
{
	struct l7_tcp_build b = { 0 };
	b.linktype = L7_LINKTYPE_ETHERNET;
	b.ip_version = 4;
	b.ttl = 64;
	b.src = l7_addr_from_v4(src);
	b.dst = l7_addr_from_v4(dst);
	b.sport = sport;
	b.dport = dport;
	b.seq = seq;
	b.ack = ack;
	b.flags = flags;
	b.window = 1000;
	b.opts = opts;
	b.opts_len = olen;
	b.payload = pl;
	b.payload_len = plen;
	size_t n = 0;
	if (l7_pkt_build_tcp(buf, 2048, &b, &n) < 0) {
		fprintf(stderr, "bench_splice: build failed\n");
		exit(1);
	}
	return n;
}

#define CIP 0x0a000001u
#define VIP 0x0a00010au
#define BIP 0x0a630001u

struct conn_isn {
	uint32_t c_isn, l_isn, b_isn;
};
static struct conn_isn isn[NCONN];

static size_t ts_sack_opts(uint8_t *o, uint32_t left)
{
	const uint8_t ts[12] = { 1, 1, 8, 10, 0, 0, 1, 0, 0, 0, 2, 0 };
	memcpy(o, ts, 12);
	o[12] = 1;
	o[13] = 1;
	o[14] = 5;
	o[15] = 10;
	l7_put_be32(o + 16, left);
	l7_put_be32(o + 20, left + 1000);
	return 24;
}

static struct l7_splice *setup_engine(void)
{
	struct l7_splice_cfg cfg = { 0 };
	cfg.max_conns = NCONN;
	cfg.buf_bytes = 2048;
	cfg.route = route_cb;
	cfg.emit = emit_cb;
	struct l7_splice *s = l7_splice_create(&cfg, NULL);
	uint8_t f[2048];
	const uint8_t syn_opts[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
				       1, 3, 3, 7 };
	for (uint32_t i = 0; i < NCONN; i++) {
		uint16_t port = (uint16_t)(10000 + i);
		uint32_t c = 1000 + i * 77777u;
		size_t n = build(f, CIP, VIP, port, 80, c, 0, L7_TCP_SYN, syn_opts, 20, NULL, 0);
		l7_splice_input(s, f, n, L7_LINKTYPE_ETHERNET, 1000);
		uint32_t l = last_seq;
		uint8_t ts[12] = { 1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 0 };
		l7_put_be32(ts + 8, 0); /* TSecr: our cookie TSval would carry options */
		n = build(f, CIP, VIP, port, 80, c + 1, l + 1, L7_TCP_ACK, NULL, 0,
			  (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18);
		l7_splice_input(s, f, n, L7_LINKTYPE_ETHERNET, 1000);
		uint32_t b = 5000000 + i * 99991u;
		n = build(f, BIP, CIP, 8080, port, b, c + 1, L7_TCP_SYN | L7_TCP_ACK, syn_opts, 20,
			  NULL, 0);
		l7_splice_input(s, f, n, L7_LINKTYPE_ETHERNET, 1000);
		isn[i] = (struct conn_isn){ c, l, b };
	}
	if (l7_splice_active(s) != NCONN) {
		fprintf(stderr, "bench_splice: setup failed (%u active)\n", l7_splice_active(s));
		exit(1);
	}
	return s;
}

/* ------------------------------------------------------------ runs */

struct batch {
	uint8_t orig[BATCH][2048];
	uint8_t work[BATCH][2048];
	size_t len[BATCH];
	struct l7_pkt p[BATCH];
};

static void make_batch(struct batch *b, int s2c, size_t frame_bytes, int opts)
{
	static uint8_t pl[1600];
	memset(pl, 'x', sizeof(pl));
	for (int i = 0; i < BATCH; i++) {
		uint32_t ci = (uint32_t)(i * 37) % NCONN;
		uint16_t port = (uint16_t)(10000 + ci);
		uint8_t o[24];
		size_t olen = 0;
		size_t hdr = 14 + 20 + 20;
		if (opts)
			olen = ts_sack_opts(o, s2c ? isn[ci].c_isn + 1 : isn[ci].l_isn + 1);
		size_t plen = frame_bytes > hdr + olen ? frame_bytes - hdr - olen : 0;
		if (s2c)
			b->len[i] = build(b->orig[i], BIP, CIP, 8080, port, isn[ci].b_isn + 1,
					  isn[ci].c_isn + 19, L7_TCP_ACK, o, olen, pl, plen);
		else
			b->len[i] = build(b->orig[i], CIP, VIP, port, 80, isn[ci].c_isn + 19,
					  isn[ci].l_isn + 1, L7_TCP_ACK, o, olen, pl, plen);
	}
}

static void restore(struct batch *b, int parse)
{
	for (int i = 0; i < BATCH; i++) {
		memcpy(b->work[i], b->orig[i], b->len[i]);
		if (parse)
			l7_pkt_parse(&b->p[i], b->work[i], (uint32_t)b->len[i], L7_LINKTYPE_ETHERNET);
	}
}

static void report(const char *metric, double ns)
{
	printf("{\"bench\":\"splice\",\"metric\":\"%s_ns\",\"value\":%.2f,\"unit\":\"ns/packet\","
	       "\"peer\":null}\n", metric, ns);
	printf("{\"bench\":\"splice\",\"metric\":\"%s_mpps\",\"value\":%.2f,\"unit\":\"Mpps/core\","
	       "\"peer\":null}\n", metric, 1e3 / ns);
}

static void run(struct l7_splice *s, struct batch *b, int s2c, size_t bytes, int opts)
{
	static struct l7_splice_record rec[NCONN];
	static double per[MAX_ROUNDS];
	char xname[96], iname[96];
	snprintf(xname, sizeof(xname), "xlate_%s_%zuB_%s", s2c ? "s2c" : "c2s", bytes,
		 opts ? "ts_sack" : "noopts");
	snprintf(iname, sizeof(iname), "input_%s_%zuB_%s", s2c ? "s2c" : "c2s", bytes,
		 opts ? "ts_sack" : "noopts");
	if (!selected(xname) && !selected(iname))
		return;
	for (uint32_t i = 0; i < NCONN; i++)
		l7_splice_export(s, i, &rec[i]);
	make_batch(b, s2c, bytes, opts);
	/* (a) record-only translation */
	if (selected(xname)) {
		for (int r = 0; r < rounds; r++) {
			restore(b, 1);
			double t0 = now_s();
			for (int i = 0; i < BATCH; i++) {
				uint32_t ci = (uint32_t)(i * 37) % NCONN;
				if (s2c)
					l7_splice_xlate_s2c(&rec[ci], &b->p[i], b->work[i], NULL);
				else
					l7_splice_xlate_c2s(&rec[ci], &b->p[i], b->work[i]);
			}
			per[r] = (now_s() - t0) * 1e9 / BATCH;
		}
		report(xname, median(per, rounds));
	}
	/* (b) the engine path with lookup */
	if (selected(iname)) {
		for (int r = 0; r < rounds; r++) {
			restore(b, 0);
			double t0 = now_s();
			for (int i = 0; i < BATCH; i++)
				l7_splice_input(s, b->work[i], b->len[i], L7_LINKTYPE_ETHERNET,
						2000);
			per[r] = (now_s() - t0) * 1e9 / BATCH;
		}
		report(iname, median(per, rounds));
	}
}

static void read_env(void)
{
	only = getenv("BENCH_SPLICE_ONLY");
	if (only && !*only)
		only = NULL;
	const char *r = getenv("BENCH_SPLICE_ROUNDS");
	if (r) {
		long n = strtol(r, NULL, 10);
		rounds = n < 1 ? 1 : n > MAX_ROUNDS ? MAX_ROUNDS : (int)n;
	}
}

int main(void)
{
	read_env();
	struct l7_splice *s = setup_engine();
	struct batch *b = malloc(sizeof(*b));
	for (int s2c = 1; s2c >= 0; s2c--)
		for (int opts = 0; opts < 2; opts++) {
			run(s, b, s2c, 64, opts);
			run(s, b, s2c, 1500, opts);
		}
	const struct l7_splice_stats *st = l7_splice_stats(s);
	if ((only == NULL && (st->s2c_relayed == 0 || st->c2s_relayed == 0)) ||
	    st->bad_options) {
		fprintf(stderr, "bench_splice: packets were not relayed\n");
		return 1;
	}
	free(b);
	l7_splice_destroy(s);
	return sunk == 0;
}
