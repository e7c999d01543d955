/*
 * trace.c — pcap -> replay workload (trace.h).
 *
 * While reading, each live connection has a builder: the two streams as
 * growing buffers and the list of "bursts" (a burst starts whenever the
 * direction of delivered bytes changes), which gives every byte a capture
 * time and an order relative to the other direction. When conn.h closes the
 * connection, the streams are cut into requests/responses (HTTP framing,
 * else bursts) and the builder's buffers move into the workload.
 *
 * Import is not the per-packet simulation path, so growing buffers with
 * realloc is fine here; the total is bounded by max_bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l7splice/conn.h"
#include "l7splice/http.h"
#include "l7splice/pcap.h"
#include "workload/trace.h"

struct burst {
	uint64_t off;
	l7_time_ns t_ns;
	uint8_t dir;
};

struct builder {
	uint8_t *buf[2];
	uint64_t len[2], cap[2];
	struct burst *b;
	uint32_t nb, capb;
};

struct importer {
	struct l7sim_workload *wl;
	struct builder *bld;          /* parallel to wl->conns */
	uint32_t cap;
	l7_time_ns t0;
	const struct l7sim_trace_opts *o;
	struct l7sim_trace_stats *st;
	int failed;                   /* an l7_err: stop */
	/* the SYN being tracked right now (for its options) */
	int syn_valid;
	struct l7_flow_key syn_key;
	struct l7_syn_opts syn;
	uint32_t syn_isn;
};

#define HTTP_FLAGS ((uint32_t)L7_HTTP_LENIENT_ALL)

static uint32_t conn_index(const struct l7_conn *c)
{
	return (uint32_t)((uintptr_t)c->user - 1);
}

static void on_open(void *user, struct l7_conn *c, l7_time_ns ts)
{
	struct importer *im = user;
	struct l7sim_workload *wl = im->wl;
	(void)ts;
	if (im->failed)
		return;
	if (wl->n_conns == im->cap) {
		uint32_t ncap = im->cap ? im->cap * 2 : 64;
		struct l7sim_wl_conn *nc = realloc(wl->conns, ncap * sizeof(*nc));
		if (nc)
			wl->conns = nc;
		struct builder *nb = realloc(im->bld, ncap * sizeof(*nb));
		if (nb)
			im->bld = nb;
		if (!nc || !nb) {
			im->failed = L7_ENOMEM;
			return;
		}
		im->cap = ncap;
	}
	uint32_t i = wl->n_conns++;
	struct l7sim_wl_conn *w = &wl->conns[i];
	memset(w, 0, sizeof(*w));
	memset(&im->bld[i], 0, sizeof(im->bld[i]));
	w->key = c->key;
	w->start_ns = c->first_ns - im->t0;
	if (im->syn_valid && memcmp(&im->syn_key, &c->key, sizeof(c->key)) == 0) {
		w->syn = im->syn;
		w->client_isn = im->syn_isn;
		w->flags |= L7SIM_WL_SYN_SEEN;
	}
	c->user = (void *)(uintptr_t)(i + 1);
	im->st->conns_seen++;
}

static int grow(void **p, uint64_t *cap, uint64_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	uint64_t n = *cap ? *cap : 256;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * elem);
	if (!q)
		return L7_ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static void on_data(void *user, struct l7_conn *c, enum l7_conn_dir dir, const uint8_t *data,
		    size_t len, l7_time_ns ts)
{
	struct importer *im = user;
	if (im->failed || !c->user || !len)
		return;
	uint32_t i = conn_index(c);
	struct builder *b = &im->bld[i];
	if (im->wl->bytes_held + len > im->o->max_bytes) {
		im->failed = L7_EFULL;
		return;
	}
	if (b->nb == 0 || b->b[b->nb - 1].dir != dir) {
		uint64_t capb = b->capb;
		if (grow((void **)&b->b, &capb, (uint64_t)b->nb + 1, sizeof(*b->b))) {
			im->failed = L7_ENOMEM;
			return;
		}
		b->capb = (uint32_t)capb;
		b->b[b->nb].off = b->len[dir];
		b->b[b->nb].t_ns = ts - im->t0;
		b->b[b->nb].dir = (uint8_t)dir;
		b->nb++;
	}
	if (grow((void **)&b->buf[dir], &b->cap[dir], b->len[dir] + len, 1)) {
		im->failed = L7_ENOMEM;
		return;
	}
	memcpy(b->buf[dir] + b->len[dir], data, len);
	b->len[dir] += len;
	im->wl->bytes_held += len;
}

static void on_gap(void *user, struct l7_conn *c, enum l7_conn_dir dir, uint64_t len,
		   l7_time_ns ts)
{
	struct importer *im = user;
	(void)dir;
	(void)ts;
	if (!c->user)
		return;
	im->wl->conns[conn_index(c)].flags |= L7SIM_WL_GAP;
	im->st->gap_bytes += len;
}

/* ------------------------------------------------------------ framing */

struct cut {
	uint64_t *start;      /* message starts */
	uint8_t *method;      /* requests: enum l7_http_method */
	uint32_t n, cap;
	int server_closes;
};

static int cut_push(struct cut *k, uint64_t start, uint8_t method)
{
	if (k->n == k->cap) {
		uint32_t nc = k->cap ? k->cap * 2 : 8;
		uint64_t *s = realloc(k->start, nc * sizeof(*s));
		if (s)
			k->start = s;
		uint8_t *m = realloc(k->method, nc);
		if (m)
			k->method = m;
		if (!s || !m)
			return L7_ENOMEM;
		k->cap = nc;
	}
	k->start[k->n] = start;
	k->method[k->n] = method;
	k->n++;
	return 0;
}

/* End of the body that starts at `pos`; 1 and *end, 0 if it runs to the
 * end of the stream, <0 on bad framing. */
static int body_end(const struct l7_http_head *h, const uint8_t *buf, uint64_t len,
		    uint64_t pos, uint64_t *end)
{
	struct l7_http_body body;
	l7_http_body_init(&body, h, HTTP_FLAGS);
	for (;;) {
		size_t used = 0;
		struct l7_http_span pay;
		int rc = l7_http_body_feed(&body, buf + pos, (size_t)(len - pos), &used, &pay);
		pos += used;
		if (rc == 0) {
			*end = pos;
			return 1;
		}
		if (rc != L7_EAGAIN)
			return rc;
		if (pos >= len)
			return 0;
	}
}

static int frame_requests(const uint8_t *buf, uint64_t len, struct cut *k)
{
	static struct l7_http_request req; /* 1.6 KB: not on the stack */
	uint64_t off = 0;
	while (off < len) {
		struct l7_http_parser p;
		l7_http_parser_init(&p, HTTP_FLAGS, 0);
		int rc = l7_http_parse_request(&p, &req, buf + off, (size_t)(len - off));
		if (rc == L7_EAGAIN)
			return cut_push(k, off, L7_HTTP_GET); /* head cut by the capture */
		if (rc < 0)
			return rc;
		if ((rc = cut_push(k, off, (uint8_t)req.method)))
			return rc;
		if (req.head.upgrade)
			return 0;
		uint64_t end = 0;
		rc = body_end(&req.head, buf, len, off + req.head.head_bytes, &end);
		if (rc <= 0)
			return rc;
		off = end;
	}
	return 0;
}

static int frame_responses(const uint8_t *buf, uint64_t len, const struct cut *rq,
			   struct cut *k)
{
	static struct l7_http_response resp;
	uint64_t off = 0, group = 0;
	while (off < len) {
		struct l7_http_parser p;
		enum l7_http_method m = k->n < rq->n ? (enum l7_http_method)rq->method[k->n]
						     : L7_HTTP_GET;
		l7_http_parser_init_response(&p, HTTP_FLAGS, 0, m);
		int rc = l7_http_parse_response(&p, &resp, buf + off, (size_t)(len - off));
		if (rc == L7_EAGAIN)
			break;
		if (rc < 0)
			return rc;
		uint64_t pos = off + resp.head.head_bytes;
		if (resp.status < 200 && resp.status != 101) {
			off = pos; /* interim: part of the same group */
			continue;
		}
		if ((rc = cut_push(k, group, 0)))
			return rc;
		k->server_closes = !resp.head.keep_alive;
		if (resp.head.upgrade)
			return 0;
		uint64_t end = 0;
		rc = body_end(&resp.head, buf, len, pos, &end);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return 0;
		off = group = end;
	}
	if (group < len)
		return cut_push(k, group, 0);
	return 0;
}

/* Global burst index of byte `off` of direction dir. Bursts alternate
 * direction by construction, so those of one direction sit at every other
 * index with ascending offsets: binary search over them. */
static uint32_t burst_of(const struct builder *b, int dir, uint64_t off)
{
	if (b->nb == 0)
		return 0;
	uint32_t first = b->b[0].dir == dir ? 0 : 1;
	if (first >= b->nb)
		return 0;
	uint32_t n = (b->nb - first + 1) / 2; /* bursts of this direction */
	uint32_t lo = 0, hi = n;              /* answer in [lo, hi) */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (b->b[first + 2 * mid].off <= off)
			lo = mid;
		else
			hi = mid;
	}
	return first + 2 * lo;
}

static int alloc_msgs(struct l7sim_wl_conn *w, uint32_t n)
{
	w->n_req = n;
	if (!n)
		return 0;
	w->req = calloc(n, sizeof(*w->req));
	w->resp = calloc(n, sizeof(*w->resp));
	return w->req && w->resp ? 0 : L7_ENOMEM;
}

static int cut_http(struct l7sim_wl_conn *w, const struct builder *b)
{
	struct cut rq = { 0 }, rs = { 0 };
	int rc = frame_requests(b->buf[0], b->len[0], &rq);
	if (!rc)
		rc = frame_responses(b->buf[1], b->len[1], &rq, &rs);
	if (!rc && rq.n == 0 && rs.n)
		rc = L7_EHTTP; /* server talks first: not HTTP */
	if (!rc)
		rc = alloc_msgs(w, rq.n);
	if (!rc) {
		for (uint32_t k = 0; k < rq.n; k++) {
			w->req[k].off = rq.start[k];
			w->req[k].len = (k + 1 < rq.n ? rq.start[k + 1] : b->len[0]) - rq.start[k];
			w->req[k].t_ns = b->b[burst_of(b, 0, rq.start[k])].t_ns - w->start_ns;
		}
		/* group k answers request k; groups beyond the requests join
		 * the last response, missing groups are empty */
		for (uint32_t k = 0; k < rq.n; k++) {
			uint64_t st = k < rs.n ? rs.start[k] : b->len[1];
			uint64_t en = k + 1 < rq.n ? (k + 1 < rs.n ? rs.start[k + 1] : b->len[1])
						   : b->len[1];
			w->resp[k].off = st;
			w->resp[k].len = en - st;
		}
		/* a request waits for the responses the capture shows complete
		 * before it (by burst order) */
		uint32_t done = 0;
		for (uint32_t k = 0; k < rq.n; k++) {
			uint32_t rb = burst_of(b, 0, w->req[k].off);
			while (done < k && w->resp[done].len &&
			       burst_of(b, 1, w->resp[done].off + w->resp[done].len - 1) < rb)
				done++;
			w->req[k].wait_resp = done;
		}
		if (rs.server_closes)
			w->flags |= L7SIM_WL_SERVER_CLOSES;
		w->flags |= L7SIM_WL_HTTP_FRAMED;
	}
	free(rq.start);
	free(rq.method);
	free(rs.start);
	free(rs.method);
	return rc;
}

/* Fallback: each client burst is a request; the server bytes from the end
 * of one client burst to the start of the next answer it. P(j), the
 * server-stream position when client burst j starts, is the offset of the
 * first server burst after it (the stream cannot move in between). */
static int cut_bursts(struct l7sim_wl_conn *w, const struct builder *b)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < b->nb; i++)
		n += b->b[i].dir == 0;
	free(w->req);
	free(w->resp);
	w->req = w->resp = NULL;
	if (alloc_msgs(w, n))
		return L7_ENOMEM;
	uint32_t k = 0;
	for (uint32_t i = 0; i < b->nb; i++) {
		if (b->b[i].dir != 0)
			continue;
		uint64_t p = b->len[1];
		for (uint32_t j = i + 1; j < b->nb; j++)
			if (b->b[j].dir == 1) {
				p = b->b[j].off;
				break;
			}
		w->req[k].off = b->b[i].off;
		w->req[k].t_ns = b->b[i].t_ns - w->start_ns;
		w->req[k].wait_resp = k;
		w->resp[k].off = p;
		k++;
	}
	for (k = 0; k < n; k++)
		w->req[k].len = (k + 1 < n ? w->req[k + 1].off : b->len[0]) - w->req[k].off;
	/* server bytes before the first request: a greeting */
	w->greet_len = n ? w->resp[0].off : b->len[1];
	for (k = 0; k < n; k++) {
		uint64_t e = k + 1 < n ? w->resp[k + 1].off : b->len[1];
		w->resp[k].len = e - w->resp[k].off;
	}
	w->flags &= ~(uint32_t)L7SIM_WL_HTTP_FRAMED;
	return 0;
}

static void on_close(void *user, struct l7_conn *c, enum l7_conn_end why, l7_time_ns ts)
{
	struct importer *im = user;
	(void)ts;
	if (!c->user || im->failed)
		return;
	uint32_t i = conn_index(c);
	struct l7sim_wl_conn *w = &im->wl->conns[i];
	struct builder *b = &im->bld[i];
	if (why == L7_CONN_END_RST || (c->flags & L7_CONN_F_RST))
		w->flags |= L7SIM_WL_RST;
	w->c2s_len = b->len[0];
	w->s2c_len = b->len[1];
	int rc = cut_http(w, b);
	if (rc == L7_ENOMEM) {
		im->failed = rc;
	} else if (rc) {
		if (cut_bursts(w, b))
			im->failed = L7_ENOMEM;
		else
			im->st->burst_framed_conns++;
	} else {
		im->st->http_framed_conns++;
	}
	w->c2s = b->buf[0];
	w->s2c = b->buf[1];
	b->buf[0] = b->buf[1] = NULL;
	free(b->b);
	b->b = NULL;
	im->st->requests += w->n_req;
	c->user = NULL;
}

/* Drop connections without client bytes unless asked to keep them. */
static void compact(struct l7sim_workload *wl, int keep_empty)
{
	uint32_t j = 0;
	for (uint32_t i = 0; i < wl->n_conns; i++) {
		struct l7sim_wl_conn *w = &wl->conns[i];
		if (!keep_empty && w->c2s_len == 0) {
			wl->bytes_held -= w->s2c_len;
			free(w->c2s);
			free(w->s2c);
			free(w->req);
			free(w->resp);
			continue;
		}
		wl->conns[j++] = *w;
	}
	wl->n_conns = j;
}

int l7sim_trace_load(struct l7sim_workload *wl, const char *path,
		     const struct l7sim_trace_opts *opts, struct l7sim_trace_stats *st,
		     char *err, size_t errlen)
{
	struct l7sim_trace_opts o = { 0 };
	struct l7sim_trace_stats st0;
	if (opts)
		o = *opts;
	if (!o.max_bytes)
		o.max_bytes = 1ULL << 30;
	if (!st)
		st = &st0;
	memset(st, 0, sizeof(*st));
	memset(wl, 0, sizeof(*wl));
	if (err && errlen)
		err[0] = 0;
	struct importer im = { .wl = wl, .o = &o, .st = st };
	struct l7_pcap_reader rd;
	int rc = l7_pcap_open(&rd, path);
	if (rc) {
		if (err)
			snprintf(err, errlen, "%s", l7_pcap_reader_error(&rd));
		l7_pcap_close(&rd);
		return rc;
	}
	struct l7_conn_config cc = { .max_conns = o.max_conns,
				     .cb = { on_open, on_data, on_gap, on_close },
				     .user = &im };
	struct l7_conn_tracker *t = NULL;
	rc = l7_conn_tracker_create(&t, &cc);
	if (rc) {
		l7_pcap_close(&rd);
		if (err)
			snprintf(err, errlen, "%s: %s", path, l7_strerror(rc));
		return rc;
	}
	struct l7_pcap_rec rec;
	l7_time_ns last = 0;
	int first = 1;
	while (!im.failed && (rc = l7_pcap_next(&rd, &rec)) == 1) {
		struct l7_pkt v;
		if (first) {
			im.t0 = rec.ts_ns;
			first = 0;
		}
		last = rec.ts_ns;
		st->packets++;
		if (l7_pkt_parse(&v, rec.data, rec.caplen, rec.linktype) != 0) {
			st->bad_packets++;
			continue;
		}
		im.syn_valid = 0;
		if (v.proto == L7_IPPROTO_TCP && (v.tcp_flags & (L7_TCP_SYN | L7_TCP_ACK)) == L7_TCP_SYN) {
			size_t ol;
			const uint8_t *op = l7_pkt_tcp_opts(&v, &ol);
			if (l7_syn_opts_parse(op, ol, v.tcp_flags, &im.syn) == 0) {
				l7_flow_key_from_pkt(&im.syn_key, &v);
				im.syn_isn = v.tcp_seq;
				im.syn_valid = 1;
			}
		}
		if (l7_conn_track(t, &v, rec.ts_ns) == L7_ENOTTCP)
			st->not_tcp++;
	}
	if (rc < 0 && err)
		snprintf(err, errlen, "%s", l7_pcap_reader_error(&rd));
	if (rc >= 0)
		rc = 0;
	l7_conn_flush(t, last);
	l7_conn_tracker_destroy(t);
	l7_pcap_close(&rd);
	/* connections still open at a failure have builders to free */
	for (uint32_t i = 0; i < wl->n_conns && im.bld; i++) {
		free(im.bld[i].buf[0]);
		free(im.bld[i].buf[1]);
		free(im.bld[i].b);
	}
	free(im.bld);
	if (!rc && im.failed) {
		rc = im.failed;
		if (err)
			snprintf(err, errlen, "%s: %s%s", path, l7_strerror(rc),
				 rc == L7_EFULL ? " (payload above max_bytes)" : "");
	}
	if (rc) {
		l7sim_wl_free(wl);
		return rc;
	}
	wl->duration_ns = last - im.t0;
	compact(wl, o.keep_empty);
	st->conns_kept = wl->n_conns;
	return 0;
}
