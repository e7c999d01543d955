/*
 * synth.c — the synthetic HTTP/1.1 workload generator (see synth.h).
 *
 * Each connection is a small state machine that emits one frame per step
 * and says when its next step happens; a binary heap keyed by (time, push
 * order) interleaves the live connections, and new connections join at
 * exponentially distributed start times. So memory follows the number of
 * connections alive at once, and the output is in timestamp order.
 *
 * Timing is seen from a capture point at the client: client frames carry
 * their send time, server frames their arrival time (one RTT after the
 * client frame they answer). The client ACKs every second segment and the
 * last one of a response 5 us after it arrives; segments are spaced by
 * their serialisation time at link_bps.
 *
 * Invariants: all randomness comes from one splitmix64 stream seeded by
 * cfg->seed (so a seed fixes the output byte for byte); every frame's
 * sequence and acknowledgement numbers follow from what was sent before.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l7splice/packet.h"
#include "workload/synth.h"

#define ACK_DELAY_NS 5000u   /* client stack turnaround */
#define TS_OPT_BYTES 12u     /* NOP NOP TS on every non-SYN segment */
#define FRAME_MAX 2048u
#define MAX_OBJECT_BYTES (4u << 20)
#define SERVER_PORT 80
#define CLIENT_PORT_BASE 32768u
#define CLIENT_PORTS 28000u  /* ports per client address */

/* ------------------------------------------------------------ randomness */

/* splitmix64 (Steele, Lea & Flood, OOPSLA 2014): small, fast, and fully
 * determined by its 64-bit state. */
static uint64_t rnd_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 53 bits. */
static double rnd_unit(uint64_t *s)
{
	return (double)(rnd_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static l7_time_ns rnd_exp_ns(uint64_t *s, l7_time_ns mean)
{
	return (l7_time_ns)(-log(1.0 - rnd_unit(s)) * (double)mean);
}

/* ------------------------------------------------------------ defaults, mix */

void l7sim_synth_defaults(struct l7sim_synth_config *c)
{
	memset(c, 0, sizeof(*c));
	c->seed = 1;
	c->connections = 10;
	c->requests_per_conn = 3;
	c->n_objects = 4;
	c->objects[0] = (struct l7sim_synth_object){ 1024, 50 };
	c->objects[1] = (struct l7sim_synth_object){ 10240, 30 };
	c->objects[2] = (struct l7sim_synth_object){ 102400, 15 };
	c->objects[3] = (struct l7sim_synth_object){ 1048576, 5 };
	c->mss = 1460;
	c->wscale = 7;
	c->linktype = L7_LINKTYPE_ETHERNET;
	c->start_ns = 1700000000ull * 1000000000ull;
	c->rtt_ns = 2000000;
	c->interarrival_ns = 5000000;
	c->think_ns = 1000000;
	c->server_ns = 200000;
	c->link_bps = 1000000000ull;
}

static int parse_size(const char *s, const char *end, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	const char *p = s;
	if (p == end)
		return -1;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > (1ull << 40))
			return -1;
	}
	if (p == s)
		return -1;
	if (p < end && (*p == 'k' || *p == 'K'))
		mult = 1024, p++;
	else if (p < end && (*p == 'm' || *p == 'M'))
		mult = 1024 * 1024, p++;
	if (p != end)
		return -1;
	*out = v * mult;
	return 0;
}

int l7sim_synth_parse_mix(struct l7sim_synth_config *c, const char *mix, char *err,
			  size_t errlen)
{
	uint32_t n = 0;
	const char *p = mix;
	if (!mix || !*mix) {
		snprintf(err, errlen, "empty mix");
		return L7_EINVAL;
	}
	while (*p) {
		const char *end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		const char *colon = memchr(p, ':', (size_t)(end - p));
		uint64_t size, weight = 1;
		if (parse_size(p, colon ? colon : end, &size) || size > MAX_OBJECT_BYTES ||
		    (colon && (parse_size(colon + 1, end, &weight) || weight == 0 ||
			       weight > 1000000))) {
			snprintf(err, errlen, "bad mix entry '%.*s' (want SIZE[:WEIGHT], "
				 "SIZE up to 4m, WEIGHT 1..1000000)", (int)(end - p), p);
			return L7_EINVAL;
		}
		if (n == L7SIM_SYNTH_MAX_OBJECTS) {
			snprintf(err, errlen, "more than %d mix entries", L7SIM_SYNTH_MAX_OBJECTS);
			return L7_EINVAL;
		}
		c->objects[n].bytes = (uint32_t)size;
		c->objects[n].weight = (uint32_t)weight;
		n++;
		p = *end ? end + 1 : end;
	}
	c->n_objects = n;
	return 0;
}

/* ------------------------------------------------------------ connections */

enum phase { P_SYN, P_SYNACK, P_ACK3, P_REQ, P_SEG, P_SEGACK, P_FIN_C, P_FIN_S,
	     P_LASTACK, P_DONE };

struct sconn {
	enum phase ph;
	l7_time_ns t;          /* time of the next step */
	l7_time_ns last_seg_t; /* when the last server segment arrived */
	uint32_t index;
	struct l7_addr cli;
	uint16_t cport;
	uint32_t cseq, sseq;   /* next sequence number each side sends */
	uint32_t ts_c, ts_s;   /* TSval bases (ms ticks) */
	uint32_t ts_last_c, ts_last_s; /* last TSval each side sent */
	uint32_t reqs_done;
	uint32_t resp_len, resp_sent, head_len, body_bytes;
	uint32_t segs_unacked;
	char head[192];
};

struct gen {
	const struct l7sim_synth_config *cfg;
	uint64_t rng;
	uint64_t weight_sum;
	l7sim_synth_emit_fn emit;
	void *user;
	struct l7sim_synth_counts counts;
	struct l7_addr srv;
	uint8_t frame[FRAME_MAX];
	uint8_t payload[FRAME_MAX];
	/* heap of live connections */
	struct hent { l7_time_ns t; uint64_t order; struct sconn *c; } *heap;
	uint32_t heap_len, heap_cap;
	uint64_t push_order;
};

static int heap_less(const struct hent *a, const struct hent *b)
{
	return a->t < b->t || (a->t == b->t && a->order < b->order);
}

static int heap_push(struct gen *g, struct sconn *c)
{
	if (g->heap_len == g->heap_cap) {
		uint32_t cap = g->heap_cap ? g->heap_cap * 2 : 64;
		struct hent *h = realloc(g->heap, cap * sizeof(*h));
		if (!h)
			return L7_ENOMEM;
		g->heap = h;
		g->heap_cap = cap;
	}
	uint32_t i = g->heap_len++;
	struct hent e = { c->t, g->push_order++, c };
	while (i > 0 && heap_less(&e, &g->heap[(i - 1) / 2])) {
		g->heap[i] = g->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	g->heap[i] = e;
	return 0;
}

static struct sconn *heap_pop(struct gen *g)
{
	struct sconn *top = g->heap[0].c;
	struct hent last = g->heap[--g->heap_len];
	uint32_t i = 0;
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		const struct hent *best = &last;
		if (l < g->heap_len && heap_less(&g->heap[l], best))
			m = l, best = &g->heap[l];
		if (r < g->heap_len && heap_less(&g->heap[r], best))
			m = r;
		if (m == i)
			break;
		g->heap[i] = g->heap[m];
		i = m;
	}
	if (g->heap_len)
		g->heap[i] = last;
	return top;
}

/* ------------------------------------------------------------ frames */

static uint32_t ts_now(const struct gen *g, uint32_t base, l7_time_ns t)
{
	return base + (uint32_t)((t - g->cfg->start_ns) / 1000000u);
}

/* Emit one TCP frame of connection c at c->t. */
static int send_frame(struct gen *g, struct sconn *c, int from_client, uint16_t flags,
		      const uint8_t *payload, size_t len)
{
	const struct l7sim_synth_config *cfg = g->cfg;
	struct l7_tcp_opts o;
	uint8_t opts[40];
	struct l7_tcp_build b;

	memset(&o, 0, sizeof(o));
	o.has = L7_TCPO_HAS_TS;
	if (from_client) {
		o.ts_val = c->ts_last_c = ts_now(g, c->ts_c, c->t);
		o.ts_ecr = (flags & L7_TCP_ACK) ? c->ts_last_s : 0;
	} else {
		o.ts_val = c->ts_last_s = ts_now(g, c->ts_s, c->t);
		o.ts_ecr = c->ts_last_c;
	}
	if (flags & L7_TCP_SYN) {
		o.has |= L7_TCPO_HAS_MSS | L7_TCPO_HAS_SACK_PERM | L7_TCPO_HAS_WS;
		o.mss = cfg->mss;
		o.wscale = cfg->wscale;
	}
	int olen = l7_tcp_opts_encode(&o, opts, sizeof(opts));
	if (olen < 0)
		return olen;

	memset(&b, 0, sizeof(b));
	b.linktype = cfg->linktype;
	static const uint8_t mac_c[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t mac_s[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	memcpy(b.eth_src, from_client ? mac_c : mac_s, 6);
	memcpy(b.eth_dst, from_client ? mac_s : mac_c, 6);
	b.ip_version = 4;
	b.ttl = 64;
	b.df = 1;
	b.ip_id = 0;
	b.src = from_client ? c->cli : g->srv;
	b.dst = from_client ? g->srv : c->cli;
	b.sport = from_client ? c->cport : SERVER_PORT;
	b.dport = from_client ? SERVER_PORT : c->cport;
	b.seq = from_client ? c->cseq : c->sseq;
	b.ack = (flags & L7_TCP_ACK) ? (from_client ? c->sseq : c->cseq) : 0;
	b.flags = flags;
	/* SYN windows are not scaled (RFC 7323 §2.2); later ones are, and
	 * 65535 << wscale covers any response in flight. */
	b.window = 65535;
	b.opts = opts;
	b.opts_len = (size_t)olen;
	b.payload = payload;
	b.payload_len = len;
	size_t flen;
	int rc = l7_pkt_build_tcp(g->frame, sizeof(g->frame), &b, &flen);
	if (rc)
		return rc;
	g->counts.packets++;
	g->counts.bytes += flen;
	g->counts.last_ns = c->t;
	return g->emit(g->user, c->t, g->frame, flen);
}

static uint32_t pick_object(struct gen *g)
{
	uint64_t x = rnd_next(&g->rng) % g->weight_sum;
	for (uint32_t i = 0; i < g->cfg->n_objects; i++) {
		if (x < g->cfg->objects[i].weight)
			return g->cfg->objects[i].bytes;
		x -= g->cfg->objects[i].weight;
	}
	return g->cfg->objects[0].bytes;
}

static l7_time_ns serialise_ns(const struct gen *g, size_t frame_bytes)
{
	return (l7_time_ns)((frame_bytes * 8u * 1000000000ull) / g->cfg->link_bps) + 1;
}

static int step_request(struct gen *g, struct sconn *c)
{
	char req[256];
	uint32_t obj = pick_object(g);
	int n = snprintf(req, sizeof(req),
			 "GET /obj/%u HTTP/1.1\r\nHost: server.l7sim.test\r\n"
			 "User-Agent: l7sim-gen/%s\r\nAccept: */*\r\n\r\n", obj, L7_VERSION_STRING);
	int rc = send_frame(g, c, 1, L7_TCP_ACK | L7_TCP_PSH, (const uint8_t *)req, (size_t)n);
	c->cseq += (uint32_t)n;
	c->head_len = (uint32_t)snprintf(c->head, sizeof(c->head),
					 "HTTP/1.1 200 OK\r\nServer: l7sim-gen\r\n"
					 "Content-Type: application/octet-stream\r\n"
					 "Content-Length: %u\r\n\r\n", obj);
	c->body_bytes = obj;
	c->resp_len = c->head_len + obj;
	c->resp_sent = 0;
	c->segs_unacked = 0;
	g->counts.requests++;
	g->counts.body_bytes += obj;
	c->ph = P_SEG;
	c->t += g->cfg->rtt_ns + g->cfg->server_ns;
	return rc;
}

/* The response bytes [off, off+len): head, then a body whose bytes depend
 * on the connection and the offset only. */
static void response_bytes(const struct sconn *c, uint32_t off, uint8_t *out, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++, off++)
		out[i] = off < c->head_len ? (uint8_t)c->head[off]
					   : (uint8_t)('a' + (off - c->head_len + c->index) % 26);
}

static int step_segment(struct gen *g, struct sconn *c)
{
	uint32_t room = g->cfg->mss - TS_OPT_BYTES;
	uint32_t n = c->resp_len - c->resp_sent < room ? c->resp_len - c->resp_sent : room;
	int last = c->resp_sent + n == c->resp_len;
	response_bytes(c, c->resp_sent, g->payload, n);
	int rc = send_frame(g, c, 0, L7_TCP_ACK | (last ? L7_TCP_PSH : 0), g->payload, n);
	c->sseq += n;
	c->resp_sent += n;
	c->segs_unacked++;
	c->last_seg_t = c->t;
	if (last || c->segs_unacked == 2) {
		c->ph = P_SEGACK;
		c->t += ACK_DELAY_NS;
	} else {
		c->t += serialise_ns(g, 14 + 20 + 20 + TS_OPT_BYTES + n);
	}
	return rc;
}

static int step_segack(struct gen *g, struct sconn *c)
{
	int rc = send_frame(g, c, 1, L7_TCP_ACK, NULL, 0);
	c->segs_unacked = 0;
	if (c->resp_sent < c->resp_len) {
		l7_time_ns next = c->last_seg_t + serialise_ns(g, 14 + 20 + 20 + g->cfg->mss);
		c->t = next > c->t ? next : c->t + 1;
		c->ph = P_SEG;
		return rc;
	}
	c->reqs_done++;
	c->ph = c->reqs_done < g->cfg->requests_per_conn ? P_REQ : P_FIN_C;
	c->t += g->cfg->think_ns;
	return rc;
}

/* One step of connection c: emit its next frame, schedule the following. */
static int step(struct gen *g, struct sconn *c)
{
	int rc;
	switch (c->ph) {
	case P_SYN:
		rc = send_frame(g, c, 1, L7_TCP_SYN, NULL, 0);
		c->cseq++;
		c->ph = P_SYNACK;
		c->t += g->cfg->rtt_ns;
		return rc;
	case P_SYNACK:
		rc = send_frame(g, c, 0, L7_TCP_SYN | L7_TCP_ACK, NULL, 0);
		c->sseq++;
		c->ph = P_ACK3;
		c->t += ACK_DELAY_NS;
		return rc;
	case P_ACK3:
		rc = send_frame(g, c, 1, L7_TCP_ACK, NULL, 0);
		c->ph = P_REQ;
		c->t += ACK_DELAY_NS;
		return rc;
	case P_REQ:
		return step_request(g, c);
	case P_SEG:
		return step_segment(g, c);
	case P_SEGACK:
		return step_segack(g, c);
	case P_FIN_C:
		rc = send_frame(g, c, 1, L7_TCP_FIN | L7_TCP_ACK, NULL, 0);
		c->cseq++;
		c->ph = P_FIN_S;
		c->t += g->cfg->rtt_ns;
		return rc;
	case P_FIN_S:
		rc = send_frame(g, c, 0, L7_TCP_FIN | L7_TCP_ACK, NULL, 0);
		c->sseq++;
		c->ph = P_LASTACK;
		c->t += ACK_DELAY_NS;
		return rc;
	case P_LASTACK:
		rc = send_frame(g, c, 1, L7_TCP_ACK, NULL, 0);
		c->ph = P_DONE;
		return rc;
	case P_DONE:
		break;
	}
	return 0;
}

static struct sconn *new_conn(struct gen *g, uint32_t i, l7_time_ns t)
{
	struct sconn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->index = i;
	c->t = t;
	c->ph = P_SYN;
	c->cli = l7_addr_from_v4(0x0a010000u + 1 + i / CLIENT_PORTS); /* 10.1.x.y */
	c->cport = (uint16_t)(CLIENT_PORT_BASE + i % CLIENT_PORTS);
	c->cseq = (uint32_t)rnd_next(&g->rng);
	c->sseq = (uint32_t)rnd_next(&g->rng);
	c->ts_c = (uint32_t)rnd_next(&g->rng) >> 1;
	c->ts_s = (uint32_t)rnd_next(&g->rng) >> 1;
	g->counts.connections++;
	return c;
}

static int check_config(const struct l7sim_synth_config *c, char *err, size_t errlen)
{
	const char *why = NULL;
	if (c->requests_per_conn == 0)
		why = "requests per connection must be at least 1";
	else if (c->n_objects == 0 || c->n_objects > L7SIM_SYNTH_MAX_OBJECTS)
		why = "the mix needs 1..16 objects";
	else if (c->mss < 64 || c->mss > 1460)
		why = "MSS must be 64..1460";
	else if (c->wscale > 14)
		why = "window scale must be 0..14";
	else if (c->linktype != L7_LINKTYPE_ETHERNET && c->linktype != L7_LINKTYPE_RAW)
		why = "link type must be Ethernet (1) or raw IP (101)";
	else if (c->link_bps == 0 || c->rtt_ns == 0)
		why = "link rate and RTT must be positive";
	else if (c->connections > 28000u * 65000u)
		why = "too many connections";
	for (uint32_t i = 0; !why && i < c->n_objects; i++)
		if (c->objects[i].weight == 0 || c->objects[i].bytes > MAX_OBJECT_BYTES)
			why = "mix weights must be positive and sizes at most 4 MiB";
		else if ((65535ull << c->wscale) < (uint64_t)c->objects[i].bytes + 1024)
			why = "window scale too small for the largest object (no window-full stalls are modelled)";
	if (why && err)
		snprintf(err, errlen, "%s", why);
	return why ? L7_EINVAL : 0;
}

int l7sim_synth_run(const struct l7sim_synth_config *cfg, l7sim_synth_emit_fn emit, void *user,
		    struct l7sim_synth_counts *out, char *err, size_t errlen)
{
	struct gen g;
	int rc = check_config(cfg, err, errlen);
	if (rc)
		return rc;
	memset(&g, 0, sizeof(g));
	g.cfg = cfg;
	g.rng = cfg->seed;
	g.emit = emit;
	g.user = user;
	g.srv = l7_addr_from_v4(0x0a000050u); /* 10.0.0.80 */
	for (uint32_t i = 0; i < cfg->n_objects; i++)
		g.weight_sum += cfg->objects[i].weight;

	uint32_t started = 0;
	l7_time_ns next_start = cfg->start_ns;
	while (rc == 0 && (started < cfg->connections || g.heap_len)) {
		if (started < cfg->connections && (!g.heap_len || next_start <= g.heap[0].t)) {
			struct sconn *c = new_conn(&g, started++, next_start);
			if (!c || heap_push(&g, c)) {
				free(c);
				rc = L7_ENOMEM;
				break;
			}
			next_start += rnd_exp_ns(&g.rng, cfg->interarrival_ns);
			continue;
		}
		struct sconn *c = heap_pop(&g);
		rc = step(&g, c);
		if (c->ph == P_DONE) {
			free(c);
		} else if (heap_push(&g, c)) {
			free(c);
			rc = L7_ENOMEM;
		}
	}
	while (g.heap_len)
		free(heap_pop(&g));
	free(g.heap);
	if (out)
		*out = g.counts;
	if (rc == L7_ENOMEM && err)
		snprintf(err, errlen, "out of memory");
	return rc;
}
