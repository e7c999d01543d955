/*
 * bench_pcap_ingest.c — trace ingest speed: our reader + packet parser +
 * connection tracker (with a consumer that touches every delivered byte
 * count) against a bare libpcap pcap_next_ex() loop over the same file, in
 * the same run.
 *
 * The file (real_pcpp_example.pcap, 4631 packets, 66 connections, HTTP with
 * keep-alive) is replayed R times per measurement so that one measurement
 * of the peer lasts at least 1 s; both sides replay the same R. Rounds
 * alternate peer and ours three times and the best of each is kept, which
 * damps the noise of a shared 2-core machine. Goal: ratio >= 0.5 with the
 * tracker's default configuration ("pcap_ingest"); a second line measures
 * keep_history = 1 (a copy of every delivered byte, as `l7sim inspect`
 * runs it: "pcap_ingest_history").
 *
 * Output: one JSON line (bench/run.sh collects them), or a "skipped" line
 * when the shared data is absent.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "l7splice/conn.h"
#include "l7splice/packet.h"
#include "l7splice/pcap.h"

#define ROUNDS 3

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The peer: open the file, pcap_next_ex until the end, R times. */
static int peer_pass(const char *path, int replays, uint64_t *packets, uint64_t *sink)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	for (int r = 0; r < replays; r++) {
		pcap_t *p = pcap_open_offline_with_tstamp_precision(path,
				PCAP_TSTAMP_PRECISION_NANO, errbuf);
		if (!p)
			return -1;
		struct pcap_pkthdr *h;
		const u_char *d;
		while (pcap_next_ex(p, &h, &d) == 1) {
			(*packets)++;
			*sink += h->caplen + d[0];
		}
		pcap_close(p);
	}
	return 0;
}

struct consumer {
	uint64_t bytes, opened, closed;
};

static void on_open(void *u, struct l7_conn *c, l7_time_ns ts)
{
	(void)c; (void)ts;
	((struct consumer *)u)->opened++;
}

static void on_data(void *u, struct l7_conn *c, enum l7_conn_dir dir, const uint8_t *data,
		    size_t len, l7_time_ns ts)
{
	(void)c; (void)dir; (void)ts;
	((struct consumer *)u)->bytes += len + data[0];
}

static void on_close(void *u, struct l7_conn *c, enum l7_conn_end why, l7_time_ns ts)
{
	(void)c; (void)why; (void)ts;
	((struct consumer *)u)->closed++;
}

/* Ours: reader + parse + track, R times, flushing at each end of file. */
static int our_pass(const char *path, int replays, struct l7_conn_tracker *t,
		    uint64_t *packets)
{
	struct l7_pcap_reader r;
	struct l7_pcap_rec rec;
	struct l7_pkt pkt;
	for (int i = 0; i < replays; i++) {
		if (l7_pcap_open(&r, path))
			return -1;
		int rc;
		while ((rc = l7_pcap_next(&r, &rec)) == 1) {
			(*packets)++;
			if (l7_pkt_parse(&pkt, rec.data, rec.caplen, rec.linktype) == 0)
				l7_conn_track(t, &pkt, rec.ts_ns);
		}
		l7_conn_flush(t, l7_pcap_reader_counts(&r)->last_ns);
		l7_pcap_close(&r);
		if (rc < 0)
			return -1;
	}
	return 0;
}

struct result {
	double best_ours, best_peer;
	uint64_t packets;
	struct consumer cons;
};

/* ROUNDS x (peer R replays, ours R replays); best time of each side. */
static int measure(const char *path, int replays, int keep_history, struct result *res)
{
	uint64_t sink = 0, pk;
	struct l7_conn_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	memset(res, 0, sizeof(*res));
	cfg.max_conns = 4096;
	cfg.keep_history = (uint32_t)keep_history;
	cfg.cb.on_open = on_open;
	cfg.cb.on_data = on_data;
	cfg.cb.on_close = on_close;
	cfg.user = &res->cons;
	struct l7_conn_tracker *t;
	if (l7_conn_tracker_create(&t, &cfg))
		return -1;
	res->best_peer = res->best_ours = 1e30;
	for (int round = 0; round < ROUNDS; round++) {
		pk = 0;
		double t0 = now_s();
		if (peer_pass(path, replays, &pk, &sink))
			return -1;
		double dt = now_s() - t0;
		if (dt < res->best_peer)
			res->best_peer = dt;
		uint64_t peer_pk = pk;
		pk = 0;
		t0 = now_s();
		if (our_pass(path, replays, t, &pk))
			return -1;
		dt = now_s() - t0;
		if (dt < res->best_ours)
			res->best_ours = dt;
		if (pk != peer_pk)
			return -1;
		res->packets = pk;
	}
	l7_conn_tracker_destroy(t);
	res->cons.bytes += sink & 1; /* keep the peer's loop observable */
	return res->cons.opened == res->cons.closed ? 0 : -1;
}

static void print(const char *name, const struct result *r, int replays)
{
	double ours = (double)r->packets / r->best_ours;
	double peer = (double)r->packets / r->best_peer;
	printf("{\"bench\":\"%s\",\"metric\":\"packets_per_s\",\"value\":%.0f,"
	       "\"unit\":\"packets/s\",\"peer\":\"libpcap pcap_next_ex loop\","
	       "\"peer_value\":%.0f,\"ratio\":%.3f,\"file\":\"real_pcpp_example.pcap\","
	       "\"replays\":%d,\"packets_per_run\":%llu,\"connections_per_replay\":%llu}\n",
	       name, ours, peer, ours / peer, replays, (unsigned long long)r->packets,
	       (unsigned long long)(r->cons.opened / (uint64_t)(ROUNDS * replays)));
}

int main(void)
{
	const char *dir = getenv("L7_SHARED_DATA");
	char path[1024];
	snprintf(path, sizeof(path), "%s/pcaps/real_pcpp_example.pcap", dir ? dir : "../shared/data");
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("{\"bench\":\"pcap_ingest\",\"skipped\":\"%s not readable\"}\n", path);
		return 0;
	}
	fclose(f);

	/* calibrate: replays so that one peer measurement lasts >= 1 s */
	uint64_t pk = 0, sink = 0;
	double t0 = now_s();
	if (peer_pass(path, 1, &pk, &sink))
		return 1;
	double one = now_s() - t0;
	int replays = (int)(1.0 / (one > 1e-6 ? one : 1e-6)) + 1;

	struct result r;
	if (measure(path, replays, 0, &r)) {
		fprintf(stderr, "bench_pcap_ingest: run failed\n");
		return 1;
	}
	print("pcap_ingest", &r, replays);
	/* the same with keep_history (what `l7sim inspect` uses) */
	if (measure(path, replays, 1, &r)) {
		fprintf(stderr, "bench_pcap_ingest: run failed\n");
		return 1;
	}
	print("pcap_ingest_history", &r, replays);
	return 0;
}
