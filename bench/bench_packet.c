/*
 * bench_packet.c — speed of the packet layer, JSON lines on stdout.
 *
 *  1. parse: l7_pkt_parse() + flow key over the frames of
 *     real_pcpp_example.pcap held in memory, packets/s; peer: a bare
 *     libpcap pcap_next_ex loop over the same (page-cached) file.
 *  2. ingest: pcap_next_ex + l7_pkt_parse + flow key vs the bare
 *     pcap_next_ex loop, same file, same run — the packet layer's share of
 *     the ingest goal (the whole pipeline must reach >= 0.5).
 *  3. csum: l7_csum_partial over 1460-byte buffers vs DPDK's
 *     rte_raw_cksum, bytes/s.
 *  4. tcp_opts: l7_tcp_opts_parse of a Linux-style SYN's options, no peer.
 *
 * Times are thread CPU time (the machine is shared); compare ratios only.
 */
#include <pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if HAVE_DPDK_CKSUM
#include <rte_ip.h>
#endif

#include "l7splice/packet.h"

#define TRACE "real_pcpp_example.pcap"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile uint64_t sink;

struct frames {
	uint8_t **data;
	uint32_t *len;
	size_t n;
	int linktype;
};

static int load(const char *path, struct frames *f)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, eb);
	struct pcap_pkthdr *h;
	const u_char *d;
	size_t cap = 8192;

	if (!pc)
		return -1;
	f->linktype = pcap_datalink(pc);
	f->data = malloc(cap * sizeof(*f->data));
	f->len = malloc(cap * sizeof(*f->len));
	f->n = 0;
	while (pcap_next_ex(pc, &h, &d) == 1 && f->n < cap) {
		f->data[f->n] = malloc(h->caplen ? h->caplen : 1);
		memcpy(f->data[f->n], d, h->caplen);
		f->len[f->n++] = h->caplen;
	}
	pcap_close(pc);
	return 0;
}

/* One pass of a bare pcap_next_ex loop; returns packets read. */
static uint64_t pcap_pass(const char *path, int parse)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, eb);
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t n = 0, acc = 0;
	int lt;

	if (!pc)
		return 0;
	lt = pcap_datalink(pc);
	while (pcap_next_ex(pc, &h, &d) == 1) {
		if (parse) {
			struct l7_pkt p;
			struct l7_flow_key k;

			if (l7_pkt_parse(&p, d, h->caplen, (uint32_t)lt) == 0) {
				l7_flow_key_from_pkt(&k, &p);
				acc += k.src[15] + p.payload_len;
			}
		} else {
			acc += h->caplen;
		}
		n++;
	}
	pcap_close(pc);
	sink += acc;
	return n;
}

static double pcap_rate(const char *path, int parse, double min_s)
{
	double t0 = now_s(), t;
	uint64_t n = 0;

	do {
		n += pcap_pass(path, parse);
		t = now_s() - t0;
	} while (t < min_s);
	return (double)n / t;
}

static double parse_rate(const struct frames *f, double min_s)
{
	double t0 = now_s(), t;
	uint64_t n = 0, acc = 0;

	do {
		for (size_t i = 0; i < f->n; i++) {
			struct l7_pkt p;
			struct l7_flow_key k;

			if (l7_pkt_parse(&p, f->data[i], f->len[i], (uint32_t)f->linktype) == 0) {
				l7_flow_key_from_pkt(&k, &p);
				acc += k.src[15] + p.payload_len;
			}
		}
		n += f->n;
		t = now_s() - t0;
	} while (t < min_s);
	sink += acc;
	return (double)n / t;
}

static void line(const char *metric, double v, const char *unit, const char *peer,
		 double pv)
{
	if (peer)
		printf("{\"bench\":\"bench_packet\",\"metric\":\"%s\",\"value\":%.4g,\"unit\":\"%s\","
		       "\"peer\":\"%s\",\"peer_value\":%.4g,\"ratio\":%.3f}\n",
		       metric, v, unit, peer, pv, v / pv);
	else
		printf("{\"bench\":\"bench_packet\",\"metric\":\"%s\",\"value\":%.4g,\"unit\":\"%s\","
		       "\"peer\":null}\n", metric, v, unit);
}

static void bench_csum(void)
{
	enum { LEN = 1460, NBUF = 64 };
	static uint8_t buf[NBUF][LEN];
	uint64_t acc = 0;
	double t0, ours, theirs = 0;
	long iters = 400000;

	for (int i = 0; i < NBUF; i++)
		for (int j = 0; j < LEN; j++)
			buf[i][j] = (uint8_t)(i * 31 + j * 7);
	t0 = now_s();
	for (long i = 0; i < iters; i++)
		acc += l7_csum_fold(l7_csum_partial(buf[i % NBUF], LEN, 0));
	ours = (double)iters * LEN / (now_s() - t0);
#if HAVE_DPDK_CKSUM
	t0 = now_s();
	for (long i = 0; i < iters; i++)
		acc += (uint16_t)~rte_raw_cksum(buf[i % NBUF], LEN);
	theirs = (double)iters * LEN / (now_s() - t0);
	/* Same answers, or the comparison means nothing. */
	for (int i = 0; i < NBUF; i++) {
		uint16_t a = l7_csum_fold(l7_csum_partial(buf[i], LEN, 0));
		uint16_t b = (uint16_t)~rte_raw_cksum(buf[i], LEN);

		/* DPDK returns the sum in memory order; ours is the BE value. */
		if (a != b && a != (uint16_t)(b << 8 | b >> 8)) {
			printf("{\"bench\":\"bench_packet\",\"error\":\"checksum mismatch\"}\n");
			exit(1);
		}
	}
#endif
	sink += acc;
	if (theirs > 0)
		line("csum_1460B", ours / 1e9, "GB/s", "dpdk rte_raw_cksum", theirs / 1e9);
	else
		line("csum_1460B", ours / 1e9, "GB/s", NULL, 0);
}

static void bench_opts(void)
{
	static const uint8_t syn[20] = { 2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1,
					 0, 0, 0, 0, 1, 3, 3, 7 };
	struct l7_tcp_opts o;
	uint64_t acc = 0;
	long iters = 5000000;
	double t0 = now_s();

	for (long i = 0; i < iters; i++) {
		if (l7_tcp_opts_parse(syn, sizeof(syn) - (size_t)(i & 3 ? 0 : 4), &o) == 0)
			acc += o.mss + o.has;
	}
	sink += acc;
	line("tcp_opts_parse", (double)iters / (now_s() - t0) / 1e6, "Mops/s", NULL, 0);
}

int main(void)
{
	const char *dir = getenv("L7_SHARED_DATA");
	char path[1024];
	struct frames f;
	double ours, peer, ingest;

	bench_csum();
	bench_opts();
	if (!dir) {
		printf("{\"bench\":\"bench_packet\",\"skipped\":\"L7_SHARED_DATA not set\"}\n");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/pcaps/%s", dir, TRACE);
	if (load(path, &f) != 0) {
		printf("{\"bench\":\"bench_packet\",\"skipped\":\"cannot read %s\"}\n", TRACE);
		return 0;
	}
	(void)pcap_rate(path, 0, 0.2); /* warm the page cache */
	peer = pcap_rate(path, 0, 1.5);
	ours = parse_rate(&f, 1.5);
	ingest = pcap_rate(path, 1, 1.5);
	line("parse_pps", ours / 1e6, "Mpps", "libpcap pcap_next_ex loop", peer / 1e6);
	printf("{\"bench\":\"bench_packet\",\"metric\":\"parse_ns_per_pkt\",\"value\":%.2f,"
	       "\"unit\":\"ns\",\"peer\":null}\n", 1e9 / ours);
	line("ingest_pcap_plus_parse_pps", ingest / 1e6, "Mpps", "libpcap pcap_next_ex loop",
	     peer / 1e6);
	for (size_t i = 0; i < f.n; i++)
		free(f.data[i]);
	free(f.data);
	free(f.len);
	return 0;
}
