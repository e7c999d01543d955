/*
 * trace.c — pcap -> replay workload (trace.h), in one streaming pass.
 *
 * While reading, each live connection has a builder: the two streams as
 * growing buffers and the list of "bursts" (a burst starts whenever the
 * direction of delivered bytes changes), which gives every byte a capture
 * time and an order relative to the other direction. When conn.h closes the
 * connection, the streams are cut into requests/responses (HTTP framing,
 * else bursts) and the builder goes away: its buffers either move into the
 * workload (in memory) or, with opts.spill once the closed connections in
 * memory reach opts.mem_bytes, are appended to an unlinked temporary spill
 * file and read back during the run through wl->fill and a small block
 * cache.
 *
 * So the payload in memory is: the builders of the connections open at one
 * instant of the capture (bounded by the trace's concurrency, checked
 * against max_bytes) plus at most mem_bytes of closed connections plus the
 * cache; per connection only its metadata stays (struct l7sim_wl_conn and
 * its messages). The stats keep the high-water marks so tests can check
 * that they do not grow with the trace's length.
 *
 * Import is not the per-packet simulation path, so growing buffers with
 * realloc is fine here. The spill is read during the run (fill) through
 * a 2-way set-associative cache of 16 KiB blocks allocated when the import
 * ends: a miss costs one pread, never an allocation.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "l7splice/conn.h"
#include "l7splice/http.h"
#include "l7splice/pcap.h"
#include "workload/trace.h"

struct burst {
	uint64_t off;
	l7_time_ns t_ns;
	uint8_t dir;
};

/* One live connection's streams; c->user points here. */
struct builder {
	struct builder *prev, *next;  /* the importer's list of live builders */
	uint32_t idx;                 /* in wl->conns */
	uint8_t *buf[2];
	uint64_t len[2], cap[2];
	struct burst *b;
	uint32_t nb, capb;
};

/* ------------------------------------------------------------ spill file */

#define SPILL_BLOCK_BYTES (16u << 10)
#define SPILL_WAYS 2u
#define SPILL_WBUF_BYTES (1u << 20)
#define SPILL_BLOCKS_PER_CONN 4u
#define SPILL_CACHE_MAX_BYTES (64ull << 20)

struct spill_way {
	uint64_t blk;        /* block number held (UINT64_MAX: none) */
	uint64_t used;       /* tick of the last use (the older way is replaced) */
	uint32_t len;        /* valid bytes (the file's last block is short) */
	uint8_t *data;       /* SPILL_BLOCK_BYTES in the cache's one allocation */
};

/* Lives in wl->gen once the import is done. */
struct l7sim_trace_spill {
	FILE *f;
	int fd;
	uint64_t size;                /* bytes written */
	uint32_t nsets;               /* power of two */
	struct spill_way *ways;       /* nsets * SPILL_WAYS */
	uint8_t *mem;                 /* their blocks */
	uint64_t tick;
	uint64_t reads, misses, read_errors;
};

static void spill_release(void *gen)
{
	struct l7sim_trace_spill *sp = gen;
	if (sp->f)
		fclose(sp->f);
	free(sp->ways);
	free(sp->mem);
	sp->f = NULL;
	sp->ways = NULL;
	sp->mem = NULL;
}

/* An unlinked file in dir: nothing is left behind, whatever happens to
 * the process. 0 or -errno. */
static int spill_create(struct l7sim_trace_spill *sp, const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/l7sim-spill-XXXXXX", dir);
	int fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	unlink(path);
	sp->f = fdopen(fd, "w+b");
	if (!sp->f) {
		int e = errno;
		close(fd);
		return -e;
	}
	(void)setvbuf(sp->f, NULL, _IOFBF, SPILL_WBUF_BYTES);
	sp->fd = fd;
	return 0;
}

/* The read cache, allocated once before the run (no allocation on the
 * packet path): cache_bytes, but at least SPILL_BLOCKS_PER_CONN blocks
 * per connection the capture had open at once (each one being sent has
 * a current block; the client's check reads the same bytes an RTT
 * later), at most SPILL_CACHE_MAX_BYTES. */
static int spill_cache_init(struct l7sim_trace_spill *sp, uint64_t cache_bytes,
			    uint64_t peak_open)
{
	uint64_t blocks = cache_bytes / SPILL_BLOCK_BYTES;
	if (blocks < peak_open * SPILL_BLOCKS_PER_CONN)
		blocks = peak_open * SPILL_BLOCKS_PER_CONN;
	if (blocks > SPILL_CACHE_MAX_BYTES / SPILL_BLOCK_BYTES)
		blocks = SPILL_CACHE_MAX_BYTES / SPILL_BLOCK_BYTES;
	sp->nsets = 1;
	while ((uint64_t)sp->nsets * 2 * SPILL_WAYS <= blocks)
		sp->nsets *= 2;
	uint32_t n = sp->nsets * SPILL_WAYS;
	sp->ways = calloc(n, sizeof(*sp->ways));
	sp->mem = malloc((size_t)n * SPILL_BLOCK_BYTES);
	if (!sp->ways || !sp->mem)
		return L7_ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		sp->ways[i].blk = UINT64_MAX;
		sp->ways[i].data = sp->mem + (size_t)i * SPILL_BLOCK_BYTES;
	}
	return 0;
}

/* The cache way holding block blk, read from the file on a miss; NULL
 * when the block cannot be read (counted). */
static struct spill_way *spill_block(struct l7sim_trace_spill *sp, uint64_t blk)
{
	uint64_t h = blk * 0x9e3779b97f4a7c15ull;
	struct spill_way *set = &sp->ways[((h >> 40) & (sp->nsets - 1)) * SPILL_WAYS];
	struct spill_way *victim = &set[0];
	sp->tick++;
	for (uint32_t i = 0; i < SPILL_WAYS; i++) {
		if (set[i].blk == blk) {
			set[i].used = sp->tick;
			return &set[i];
		}
		if (set[i].used < victim->used)
			victim = &set[i];
	}
	sp->misses++;
	uint64_t pos = blk * SPILL_BLOCK_BYTES;
	uint64_t want = sp->size - pos < SPILL_BLOCK_BYTES ? sp->size - pos : SPILL_BLOCK_BYTES;
	uint64_t got = 0;
	while (got < want) {
		ssize_t r = pread(sp->fd, victim->data + got, (size_t)(want - got),
				  (off_t)(pos + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (uint64_t)r;
	}
	if (got < want) {
		victim->blk = UINT64_MAX;
		sp->read_errors++;
		return NULL;
	}
	victim->blk = blk;
	victim->len = (uint32_t)want;
	victim->used = sp->tick;
	return victim;
}

static void spill_read(struct l7sim_trace_spill *sp, uint64_t pos, uint8_t *dst, uint64_t len)
{
	sp->reads++;
	while (len) {
		uint64_t blk = pos / SPILL_BLOCK_BYTES, in = pos % SPILL_BLOCK_BYTES;
		struct spill_way *w = pos < sp->size ? spill_block(sp, blk) : NULL;
		uint64_t n = SPILL_BLOCK_BYTES - in < len ? SPILL_BLOCK_BYTES - in : len;
		if (w && in + n > w->len)
			w = NULL; /* past the end of the file: cannot happen */
		if (w)
			memcpy(dst, w->data + in, (size_t)n);
		else
			memset(dst, 0, (size_t)n);
		dst += n;
		pos += n;
		len -= n;
	}
}

/* wl->fill of a trace with spilled connections. A connection kept in
 * memory reaches here only for an empty stream (NULL buffer): zeros, as
 * l7sim_wl_read gives past a stream's end. */
static void spill_fill(const struct l7sim_workload *wl, uint32_t conn, int dir, uint64_t off,
		       uint8_t *dst, uint32_t len)
{
	const struct l7sim_wl_conn *w = &wl->conns[conn];
	uint64_t total = dir ? w->s2c_len : w->c2s_len;
	uint64_t n = off < total ? total - off : 0;
	if (n > len)
		n = len;
	if (!(w->flags & L7SIM_WL_SPILLED) || !wl->gen)
		n = 0;
	if (n)
		spill_read(wl->gen, w->spill_off + (dir ? w->c2s_len : 0) + off, dst, n);
	memset(dst + n, 0, len - (size_t)n);
}

uint64_t l7sim_trace_spill_errors(const struct l7sim_workload *wl)
{
	if (wl->fill != spill_fill || !wl->gen)
		return 0;
	return ((const struct l7sim_trace_spill *)wl->gen)->read_errors;
}

/* ------------------------------------------------------------ import */

struct importer {
	struct l7sim_workload *wl;
	uint32_t cap;
	l7_time_ns t0;
	const struct l7sim_trace_opts *o;
	struct l7sim_trace_stats *st;
	const char *path;
	int failed;                   /* an l7_err: stop */
	int aborting;                 /* the reader failed: close without framing */
	struct builder *live;         /* builders of open connections */
	uint64_t live_bytes;          /* payload in builders */
	uint64_t closed_mem_bytes;    /* payload of closed connections in memory */
	struct l7sim_trace_spill *sp; /* NULL until the first spill */
	int spill_off;                /* the spill could not be created: memory only */
	char spill_why[256];
	/* the SYN being tracked right now (for its options) */
	int syn_valid;
	struct l7_flow_key syn_key;
	struct l7_syn_opts syn;
	uint32_t syn_isn;
};

#define HTTP_FLAGS ((uint32_t)L7_HTTP_LENIENT_ALL)

static void builder_free(struct importer *im, struct builder *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		im->live = b->next;
	if (b->next)
		b->next->prev = b->prev;
	im->live_bytes -= b->len[0] + b->len[1];
	im->st->live_conns--;
	free(b->buf[0]);
	free(b->buf[1]);
	free(b->b);
	free(b);
}

static void note_held(struct importer *im)
{
	struct l7sim_trace_stats *st = im->st;
	if (st->live_conns > st->peak_live_conns)
		st->peak_live_conns = st->live_conns;
	if (im->live_bytes > st->peak_live_bytes)
		st->peak_live_bytes = im->live_bytes;
	if (im->wl->bytes_held > st->peak_held_bytes)
		st->peak_held_bytes = im->wl->bytes_held;
}

static void on_open(void *user, struct l7_conn *c, l7_time_ns ts)
{
	struct importer *im = user;
	struct l7sim_workload *wl = im->wl;
	(void)ts;
	if (im->failed || im->aborting)
		return;
	if (wl->n_conns == im->cap) {
		uint32_t ncap = im->cap ? im->cap * 2 : 64;
		struct l7sim_wl_conn *nc = realloc(wl->conns, ncap * sizeof(*nc));
		if (!nc) {
			im->failed = L7_ENOMEM;
			return;
		}
		wl->conns = nc;
		im->cap = ncap;
	}
	struct builder *b = calloc(1, sizeof(*b));
	if (!b) {
		im->failed = L7_ENOMEM;
		return;
	}
	uint32_t i = wl->n_conns++;
	struct l7sim_wl_conn *w = &wl->conns[i];
	memset(w, 0, sizeof(*w));
	w->key = c->key;
	w->start_ns = c->first_ns - im->t0;
	if (im->syn_valid && memcmp(&im->syn_key, &c->key, sizeof(c->key)) == 0) {
		w->syn = im->syn;
		w->client_isn = im->syn_isn;
		w->flags |= L7SIM_WL_SYN_SEEN;
	}
	b->idx = i;
	b->next = im->live;
	if (im->live)
		im->live->prev = b;
	im->live = b;
	c->user = b;
	im->st->conns_seen++;
	im->st->live_conns++;
	note_held(im);
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
	if (im->failed || im->aborting || !c->user || !len)
		return;
	struct builder *b = c->user;
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
	im->live_bytes += len;
	im->wl->bytes_held += len;
	note_held(im);
}

static void on_gap(void *user, struct l7_conn *c, enum l7_conn_dir dir, uint64_t len,
		   l7_time_ns ts)
{
	struct importer *im = user;
	(void)dir;
	(void)ts;
	if (!c->user)
		return;
	im->wl->conns[((struct builder *)c->user)->idx].flags |= L7SIM_WL_GAP;
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

/* Append the connection's streams to the spill (created at the first
 * use). 1 spilled, 0 kept in memory (no spill file possible), or an
 * l7_err. */
static int spill_conn(struct importer *im, struct l7sim_wl_conn *w, const struct builder *b)
{
	if (im->spill_off)
		return 0;
	if (!im->sp) {
		const char *dir = im->o->spill_dir;
		if (!dir || !*dir)
			dir = getenv("TMPDIR");
		if (!dir || !*dir)
			dir = "/tmp";
		struct l7sim_trace_spill *sp = calloc(1, sizeof(*sp));
		int e = sp ? spill_create(sp, dir) : -ENOMEM;
		if (e) {
			if (sp)
				spill_release(sp);
			free(sp);
			if (e == -ENOMEM)
				return L7_ENOMEM;
			/* keep going in memory: max_bytes still bounds it */
			snprintf(im->spill_why, sizeof(im->spill_why), "no spill file in %s: %s",
				 dir, strerror(-e));
			im->spill_off = 1;
			return 0;
		}
		im->sp = sp;
	}
	struct l7sim_trace_spill *sp = im->sp;
	for (int d = 0; d < 2; d++)
		if (b->len[d] && fwrite(b->buf[d], 1, (size_t)b->len[d], sp->f) != b->len[d]) {
			snprintf(im->spill_why, sizeof(im->spill_why), "spill file: %s",
				 strerror(errno ? errno : EIO));
			im->st->spill_failed = 1;
			return L7_EIO;
		}
	w->spill_off = sp->size;
	w->flags |= L7SIM_WL_SPILLED;
	sp->size += b->len[0] + b->len[1];
	im->st->spilled_conns++;
	im->st->spilled_bytes += b->len[0] + b->len[1];
	return 1;
}

/* Where a closed connection's bytes go: nowhere (dropped: no client
 * bytes), memory (within mem_bytes, or no spill), or the spill. */
static int store_conn(struct importer *im, struct l7sim_wl_conn *w, struct builder *b)
{
	uint64_t total = b->len[0] + b->len[1];
	if (!im->o->keep_empty && b->len[0] == 0) {
		im->wl->bytes_held -= total; /* compact() drops the entry */
		return 0;
	}
	if (im->o->spill && im->closed_mem_bytes + total > im->o->mem_bytes) {
		int rc = spill_conn(im, w, b);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			im->wl->bytes_held -= total;
			return 0;
		}
	}
	/* the builder doubled its buffers while growing: give back the slack
	 * (up to half of what it holds) before keeping them */
	for (int d = 0; d < 2; d++)
		if (b->len[d] && b->len[d] < b->cap[d]) {
			uint8_t *q = realloc(b->buf[d], (size_t)b->len[d]);
			if (q)
				b->buf[d] = q;
		}
	w->c2s = b->buf[0];
	w->s2c = b->buf[1];
	b->buf[0] = b->buf[1] = NULL;
	im->closed_mem_bytes += total;
	return 0;
}

static void on_close(void *user, struct l7_conn *c, enum l7_conn_end why, l7_time_ns ts)
{
	struct importer *im = user;
	(void)ts;
	if (!c->user)
		return;
	struct builder *b = c->user;
	c->user = NULL;
	if (im->failed || im->aborting) {
		builder_free(im, b);
		return;
	}
	struct l7sim_wl_conn *w = &im->wl->conns[b->idx];
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
	im->st->requests += w->n_req;
	if (!im->failed && (rc = store_conn(im, w, b)) < 0)
		im->failed = rc;
	builder_free(im, b);
}

/* Drop connections without client bytes unless asked to keep them (their
 * bytes were freed at close). */
static void compact(struct l7sim_workload *wl, int keep_empty)
{
	uint32_t j = 0;
	for (uint32_t i = 0; i < wl->n_conns; i++) {
		struct l7sim_wl_conn *w = &wl->conns[i];
		if (!keep_empty && w->c2s_len == 0) {
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

/* The spill becomes the workload's fill once everything is written. */
static int spill_finish(struct importer *im)
{
	struct l7sim_trace_spill *sp = im->sp;
	if (!sp)
		return 0;
	im->sp = NULL;
	im->wl->gen = sp;
	im->wl->gen_release = spill_release;
	im->wl->fill = spill_fill;
	if (spill_cache_init(sp, im->o->cache_bytes, im->st->peak_live_conns))
		return L7_ENOMEM;
	if (fflush(sp->f) != 0) {
		snprintf(im->spill_why, sizeof(im->spill_why), "spill file: %s", strerror(errno));
		im->st->spill_failed = 1;
		return L7_EIO;
	}
	return 0;
}

static void failure_text(const struct importer *im, int rc, char *err, size_t errlen)
{
	if (rc == L7_EIO)
		snprintf(err, errlen, "%s: %s", im->path, im->spill_why);
	else if (rc != L7_EFULL)
		snprintf(err, errlen, "%s: %s", im->path, l7_strerror(rc));
	else if (!im->o->spill)
		snprintf(err, errlen, "%s: %s (payload above max_bytes)", im->path, l7_strerror(rc));
	else
		snprintf(err, errlen, "%s: %s (payload %s above max_bytes%s%s)", im->path,
			 l7_strerror(rc),
			 im->spill_off ? "in memory" : "of the connections open at once",
			 im->spill_off ? "; " : "", im->spill_off ? im->spill_why : "");
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
	if (!o.cache_bytes)
		o.cache_bytes = 4ULL << 20;
	if (!st)
		st = &st0;
	memset(st, 0, sizeof(*st));
	memset(wl, 0, sizeof(*wl));
	if (err && errlen)
		err[0] = 0;
	struct importer im = { .wl = wl, .o = &o, .st = st, .path = path };
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
	if (rc < 0) {
		/* a bad record anywhere: nothing of the trace is used */
		im.aborting = 1;
		if (err)
			snprintf(err, errlen, "%s", l7_pcap_reader_error(&rd));
	}
	if (rc >= 0)
		rc = 0;
	l7_conn_flush(t, last);
	l7_conn_tracker_destroy(t);
	l7_pcap_close(&rd);
	/* every builder went at its close; the list is a safety net */
	while (im.live)
		builder_free(&im, im.live);
	if (!rc && !im.failed)
		im.failed = spill_finish(&im);
	if (im.sp) {
		spill_release(im.sp);
		free(im.sp);
		im.sp = NULL;
	}
	if (!rc && im.failed) {
		rc = im.failed;
		if (err)
			failure_text(&im, rc, err, errlen);
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
