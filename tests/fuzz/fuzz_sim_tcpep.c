/*
 * fuzz_sim_tcpep.c — libFuzzer harness for the simulator's TCP endpoint
 * (sim/net/tcpep): two endpoints A and B joined by links; the input is a
 * script of hostile segments injected into A (built from fuzzed header
 * fields relative to A's real sequence state, or raw fuzzed frames),
 * interleaved with simulated time passing. Whatever arrives, the endpoint
 * must not crash, read out of bounds, leak packet buffers or hang.
 *
 * Script (after byte 0, which picks A's role: active or passive opener):
 *   op 0: a structured segment: flags, seq delta, ack delta, window,
 *         option bytes, payload length (payload bytes from the input);
 *   op 1: a raw frame (length-prefixed bytes, parsed by l7_pkt_parse);
 *   op 2: run the simulation for a fuzzed number of microseconds;
 *   op 3: the application writes / shuts down / aborts.
 * Invariants (trap on violation): every packet buffer is back in the pool
 * once the endpoints are closed and the engine is drained.
 *
 * Build and run: docs/models.md, "Fuzzing".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "l7splice/packet.h"
#include "net/link.h"
#include "net/tcpep.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

struct host {
	struct l7sim_node node;
	struct l7sim_tcp_env env;
	struct l7sim_tcpep ep;
	int has_ep, is_server, closed;
};

static void h_fill(void *u, struct l7sim_tcpep *ep, uint64_t off, uint8_t *dst, uint32_t len)
{
	(void)u;
	(void)ep;
	for (uint32_t i = 0; i < len; i++)
		dst[i] = (uint8_t)(off + i);
}
static void h_data(void *u, struct l7sim_tcpep *ep, const uint8_t *d, uint32_t len, l7_time_ns n)
{
	(void)u;
	(void)ep;
	(void)n;
	volatile uint8_t x = 0;
	for (uint32_t i = 0; i < len; i++)
		x ^= d[i]; /* touch every delivered byte (ASan checks the range) */
}
static void h_event(void *u, struct l7sim_tcpep *ep, enum l7sim_tcp_event ev, l7_time_ns n)
{
	struct host *h = u;
	(void)ep;
	(void)n;
	if (ev == L7SIM_TCP_EV_CLOSED)
		h->closed = 1;
}
static const struct l7sim_tcp_ops ops = { h_fill, h_data, h_event };

static void h_rx(struct l7sim_node *self, struct l7sim_pkt *p, l7_time_ns now)
{
	struct host *h = (struct host *)self;
	struct l7_pkt v;
	(void)now;
	if (l7_pkt_parse(&v, p->data, p->len, L7_LINKTYPE_ETHERNET) != 0 ||
	    v.proto != L7_IPPROTO_TCP) {
		l7sim_pkt_free(h->env.pool, p);
		return;
	}
	if (!h->has_ep && h->is_server && !h->closed &&
	    (v.tcp_flags & (L7_TCP_SYN | L7_TCP_ACK | L7_TCP_RST)) == L7_TCP_SYN) {
		if (l7sim_tcpep_accept(&h->ep, &h->env, h, p, &v) == 0)
			h->has_ep = 1;
		return;
	}
	if (!h->has_ep || h->closed) {
		l7sim_pkt_free(h->env.pool, p);
		return;
	}
	l7sim_tcpep_input(&h->ep, p, &v);
}

struct rd {
	const uint8_t *p;
	size_t n;
};
static uint32_t take(struct rd *r, unsigned bytes)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		v <<= 8;
		if (r->n) {
			v |= *r->p++;
			r->n--;
		}
	}
	return v;
}

static struct l7sim_tcp_cfg cfg;

/* Inject one structured segment into A as if B had sent it. */
static void inject(struct host *a, struct l7sim_pktpool *pool, struct l7sim_engine *eng,
		   struct rd *r)
{
	struct l7_tcp_build b;
	uint8_t opts[40];
	memset(&b, 0, sizeof(b));
	b.linktype = L7_LINKTYPE_ETHERNET;
	b.ip_version = 4;
	b.ttl = 64;
	b.src = l7_addr_from_v4(0x0a000002);
	b.dst = l7_addr_from_v4(0x0a000001);
	b.sport = 80;
	b.dport = 40000;
	if (take(r, 1) & 1) /* sometimes another tuple */
		b.sport = (uint16_t)take(r, 2);
	b.flags = (uint16_t)(take(r, 2) & 0x1ff);
	uint32_t base_seq = a->has_ep ? a->ep.rcv_nxt : 0;
	uint32_t base_ack = a->has_ep ? a->ep.iss + 1u + (uint32_t)a->ep.una_off : 0;
	b.seq = base_seq + (uint32_t)(int32_t)(int16_t)take(r, 2) * (take(r, 1) & 0x8 ? 1000u : 1u);
	b.ack = base_ack + (uint32_t)(int32_t)(int16_t)take(r, 2);
	b.window = (uint16_t)take(r, 2);
	size_t ol = take(r, 1) % 41;
	for (size_t i = 0; i < ol; i++)
		opts[i] = (uint8_t)take(r, 1);
	b.opts = opts;
	b.opts_len = ol & ~(size_t)3;
	size_t plen = take(r, 2) % 1500;
	static uint8_t pay[1500];
	for (size_t i = 0; i < plen; i++)
		pay[i] = (uint8_t)take(r, 1);
	b.payload = pay;
	b.payload_len = plen;
	struct l7sim_pkt *p = l7sim_pkt_alloc(pool, l7sim_engine_now(eng), 0);
	if (!p)
		return;
	size_t flen;
	if (l7_pkt_build_tcp(p->data, sizeof(p->data), &b, &flen) != 0) {
		l7sim_pkt_free(pool, p);
		return;
	}
	p->len = (uint32_t)flen;
	a->node.rx(&a->node, p, l7sim_engine_now(eng));
}

static void inject_raw(struct host *a, struct l7sim_pktpool *pool, struct l7sim_engine *eng,
		       struct rd *r)
{
	uint32_t len = take(r, 2) % (L7SIM_PKT_DATA_BYTES + 1);
	if (len > r->n)
		len = (uint32_t)r->n;
	struct l7sim_pkt *p = l7sim_pkt_alloc(pool, l7sim_engine_now(eng), 0);
	if (!p)
		return;
	memcpy(p->data, r->p, len);
	r->p += len;
	r->n -= len;
	p->len = len;
	a->node.rx(&a->node, p, l7sim_engine_now(eng));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = { data, size };
	struct l7sim_engine *eng;
	struct l7sim_pktpool pool;
	static struct host a, b;
	struct l7sim_link ab, ba;
	struct l7sim_engine_config ec = { .max_events = 1 << 12, .start_ns = 1000000000ULL };
	if (l7sim_engine_create(&ec, &eng))
		return 0;
	l7sim_net_register(eng);
	l7sim_pktpool_init(&pool, 512);
	l7sim_tcp_cfg_defaults(&cfg);
	cfg.max_retries = 3;
	cfg.rcv_buf_bytes = 64u << 10;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.node.rx = b.node.rx = h_rx;
	struct l7sim_link_config lc = { .bandwidth_bps = 1000000000ULL, .prop_delay_ns = 10000 };
	l7sim_link_init(&ab, &lc, eng, &pool, &b.node);
	l7sim_link_init(&ba, &lc, eng, &pool, &a.node);
	l7sim_tcp_env_init(&a.env, eng, &pool, &cfg, &ops, &ab.in, 1, "a");
	l7sim_tcp_env_init(&b.env, eng, &pool, &cfg, &ops, &ba.in, 1, "b");
	struct l7_addr ia = l7_addr_from_v4(0x0a000001), ib = l7_addr_from_v4(0x0a000002);
	uint8_t role = (uint8_t)take(&r, 1);
	if (role & 1) {
		/* A passive: B connects to A */
		a.is_server = 1;
		l7sim_tcpep_connect(&b.ep, &b.env, &b, &ib, 80, &ia, 40000, 1);
		b.has_ep = 1;
	} else {
		l7sim_tcpep_connect(&a.ep, &a.env, &a, &ia, 40000, &ib, 80, 1);
		a.has_ep = 1;
		b.is_server = 1;
	}
	if (role & 2)
		l7sim_engine_run(eng, l7sim_engine_now(eng) + 1000000, 0); /* handshake done */
	for (int steps = 0; r.n && steps < 200; steps++) {
		switch (take(&r, 1) & 3) {
		case 0:
			inject(&a, &pool, eng, &r);
			break;
		case 1:
			inject_raw(&a, &pool, eng, &r);
			break;
		case 2:
			l7sim_engine_run(eng, l7sim_engine_now(eng) + (uint64_t)take(&r, 2) * 1000, 0);
			break;
		default: {
			uint32_t what = take(&r, 2);
			if (!a.has_ep || a.closed)
				break;
			if ((what & 3) == 0)
				l7sim_tcpep_write(&a.ep, what >> 2);
			else if ((what & 3) == 1)
				l7sim_tcpep_shutdown(&a.ep);
			else if ((what & 3) == 2 && (what & 0x100))
				l7sim_tcpep_abort(&a.ep);
			break;
		}
		}
	}
	/* drain: both sides close (or give up) in bounded simulated time */
	l7sim_engine_run(eng, l7sim_engine_now(eng) + 2000000000000ULL, 2000000);
	if (a.has_ep && !a.closed)
		l7sim_tcpep_abort(&a.ep);
	if (b.has_ep && !b.closed)
		l7sim_tcpep_abort(&b.ep);
	l7sim_engine_run(eng, UINT64_MAX, 2000000);
	CHECK(l7sim_pktpool_in_use(&pool) == 0);
	l7sim_link_fini(&ab);
	l7sim_link_fini(&ba);
	l7sim_pktpool_fini(&pool);
	l7sim_engine_destroy(eng);
	return 0;
}
