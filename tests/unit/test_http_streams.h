/*
 * test_http_streams.h — test/bench helper (header-only, not library code):
 * read a capture with the pcap module and return, per TCP connection, the
 * reassembled client-to-server and server-to-client byte streams. Used by
 * test_http_pcaps.c and bench/bench_http_parse.c; they link the pcap module
 * (TEST_MODS / BENCH_MODS := pcap).
 *
 * Invariant: streams come in the order connections opened; bytes after a
 * gap in a direction are not appended (that direction is marked gapped), so
 * a stream is always a contiguous prefix of what the client really sent.
 */
#ifndef TEST_HTTP_STREAMS_H
#define TEST_HTTP_STREAMS_H

#include <stdlib.h>
#include <string.h>

#include "l7splice/conn.h"
#include "l7splice/packet.h"
#include "l7splice/pcap.h"

struct http_dir_bytes {
	uint8_t *b;
	size_t len, cap;
	int gapped;
};

struct http_stream {
	uint64_t conn_id;
	struct http_dir_bytes dir[2]; /* enum l7_conn_dir */
};

struct http_streams {
	struct http_stream *s;
	size_t n, cap;
	int oom;
};

static void hs_on_open(void *user, struct l7_conn *c, l7_time_ns ts_ns)
{
	struct http_streams *all = user;
	(void)ts_ns;
	if (all->n == all->cap) {
		size_t cap = all->cap ? all->cap * 2 : 16;
		struct http_stream *s = realloc(all->s, cap * sizeof(*s));
		if (!s) {
			all->oom = 1;
			return;
		}
		all->s = s;
		all->cap = cap;
	}
	memset(&all->s[all->n], 0, sizeof(all->s[0]));
	all->s[all->n].conn_id = c->id;
	c->user = (void *)(uintptr_t)(all->n + 1);
	all->n++;
}

static void hs_on_data(void *user, struct l7_conn *c, enum l7_conn_dir dir,
		       const uint8_t *data, size_t len, l7_time_ns ts_ns)
{
	struct http_streams *all = user;
	(void)ts_ns;
	if (!c->user)
		return;
	struct http_dir_bytes *d = &all->s[(uintptr_t)c->user - 1].dir[dir];
	if (d->gapped)
		return;
	if (d->len + len > d->cap) {
		size_t cap = d->cap ? d->cap : 4096;
		while (cap < d->len + len)
			cap *= 2;
		uint8_t *b = realloc(d->b, cap);
		if (!b) {
			all->oom = 1;
			return;
		}
		d->b = b;
		d->cap = cap;
	}
	memcpy(d->b + d->len, data, len);
	d->len += len;
}

static void hs_on_gap(void *user, struct l7_conn *c, enum l7_conn_dir dir,
		      uint64_t len, l7_time_ns ts_ns)
{
	struct http_streams *all = user;
	(void)len;
	(void)ts_ns;
	if (c->user)
		all->s[(uintptr_t)c->user - 1].dir[dir].gapped = 1;
}

static void http_streams_free(struct http_streams *all)
{
	for (size_t i = 0; i < all->n; i++) {
		free(all->s[i].dir[0].b);
		free(all->s[i].dir[1].b);
	}
	free(all->s);
	memset(all, 0, sizeof(*all));
}

/* 0, or a negative enum l7_err (file unreadable, out of memory). */
static int http_streams_load(const char *path, struct http_streams *all)
{
	struct l7_pcap_reader r;
	struct l7_pcap_rec rec;
	struct l7_conn_tracker *t = NULL;
	struct l7_conn_config cfg;
	memset(all, 0, sizeof(*all));
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_conns = 4096;
	cfg.ooo_pool_bytes = 8u << 20;
	cfg.cb.on_open = hs_on_open;
	cfg.cb.on_data = hs_on_data;
	cfg.cb.on_gap = hs_on_gap;
	cfg.user = all;
	int rc = l7_pcap_open(&r, path);
	if (rc == 0)
		rc = l7_conn_tracker_create(&t, &cfg);
	l7_time_ns last = 0;
	while (rc == 0 && (rc = l7_pcap_next(&r, &rec)) == 1) {
		struct l7_pkt p;
		rc = 0;
		last = rec.ts_ns;
		if (l7_pkt_parse(&p, rec.data, rec.caplen, rec.linktype) == 0)
			(void)l7_conn_track(t, &p, rec.ts_ns);
	}
	if (t) {
		l7_conn_flush(t, last);
		l7_conn_tracker_destroy(t);
	}
	l7_pcap_close(&r);
	if (rc == 0 && all->oom)
		rc = L7_ENOMEM;
	if (rc != 0)
		http_streams_free(all);
	return rc;
}

#endif
