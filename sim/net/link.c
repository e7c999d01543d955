/*
 * link.c — the unidirectional link of link.h.
 *
 * One engine event per delivered frame: because the queue is FIFO and the
 * serialiser's timing is known when a frame is offered, the delivery time
 * is computed at once (no "transmission finished" events). The ring of
 * waiting frames exists only to know the backlog at any instant exactly:
 * entries whose start time has passed are retired lazily at the next offer.
 *
 * Invariant: busy_until_ns is non-decreasing; ring entries are in start
 * order; backlog_bytes is the sum of the ring's lengths.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/link.h"

#define MIN_FRAME_BYTES 54u

static void deliver(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	struct l7sim_pkt *p = obj;
	struct l7sim_link *l = (struct l7sim_link *)(uintptr_t)arg;
	l7_time_ns now = l7sim_engine_now(e);
	l->st.delivered++;
	l->pool->deliveries++;
	for (uint32_t i = 0; i < l->n_taps; i++)
		if (l->tap[i].at == L7SIM_TAP_DELIVER)
			l->tap[i].fn(l->tap[i].ctx, now, p);
	l->dst->rx(l->dst, p, now);
}

int l7sim_net_register(struct l7sim_engine *e)
{
	return l7sim_engine_on(e, L7SIM_EV_LINK_DELIVER, deliver);
}

static void link_rx(struct l7sim_node *self, struct l7sim_pkt *p, l7_time_ns now_ns)
{
	(void)now_ns;
	l7sim_link_send((struct l7sim_link *)self, p);
}

int l7sim_link_init(struct l7sim_link *l, const struct l7sim_link_config *cfg,
		    struct l7sim_engine *eng, struct l7sim_pktpool *pool,
		    struct l7sim_node *dst)
{
	memset(l, 0, sizeof(*l));
	if (!cfg || !eng || !pool || !dst || cfg->loss_prob < 0 || cfg->loss_prob > 1 ||
	    cfg->dup_prob < 0 || cfg->dup_prob > 1 || cfg->reorder_prob < 0 ||
	    cfg->reorder_prob > 1)
		return L7_EINVAL;
	l->in.rx = link_rx;
	l->eng = eng;
	l->pool = pool;
	l->dst = dst;
	l->cfg = *cfg;
	l->cfg.name = NULL; /* not kept: the caller's string may go away */
	l7sim_rng_init(&l->rng, cfg->seed,
		       cfg->name ? l7sim_rng_id(cfg->name) : 0x6c696e6b00ULL + cfg->id);
	l->busy_until_ns = l7sim_engine_now(eng);
	if (cfg->queue_limit_bytes && cfg->bandwidth_bps) {
		uint64_t cap = cfg->queue_limit_bytes / MIN_FRAME_BYTES + 2;
		if (cap > UINT32_MAX / 2)
			return L7_ERANGE;
		l->wait = calloc(cap, sizeof(*l->wait));
		if (!l->wait)
			return L7_ENOMEM;
		l->wait_cap = (uint32_t)cap;
	}
	return 0;
}

void l7sim_link_fini(struct l7sim_link *l)
{
	free(l->wait);
	l->wait = NULL;
	l->wait_cap = 0;
}

uint64_t l7sim_link_ser_ns(const struct l7sim_link *l, uint32_t len)
{
	if (!l->cfg.bandwidth_bps)
		return 0;
	return (uint64_t)len * 8u * 1000000000u / l->cfg.bandwidth_bps;
}

int l7sim_link_add_tap(struct l7sim_link *l, enum l7sim_tap_point at, l7sim_tap_fn fn,
		       void *ctx)
{
	if (!fn)
		return L7_EINVAL;
	if (l->n_taps >= L7SIM_LINK_MAX_TAPS)
		return L7_EFULL;
	l->tap[l->n_taps].fn = fn;
	l->tap[l->n_taps].ctx = ctx;
	l->tap[l->n_taps].at = at;
	l->n_taps++;
	return 0;
}

void l7sim_link_set_drop_fn(struct l7sim_link *l, l7sim_drop_fn fn, void *ctx)
{
	l->drop_fn = fn;
	l->drop_ctx = ctx;
}

/* Retire waiting frames that have started by `now`. */
static void retire_started(struct l7sim_link *l, l7_time_ns now)
{
	while (l->wait_n) {
		struct l7sim_link_wait *w = &l->wait[l->wait_head];
		if (w->start_ns > now)
			break;
		l->backlog_bytes -= w->len;
		if (++l->wait_head == l->wait_cap)
			l->wait_head = 0;
		l->wait_n--;
	}
}

static int chance(struct l7sim_link *l, double p)
{
	return p > 0 && l7sim_rng_u01(&l->rng) < p;
}

/* Queue (or tail-drop) one frame that survived the impairments. */
static void enqueue(struct l7sim_link *l, struct l7sim_pkt *p, l7_time_ns now, int reorder)
{
	l7_time_ns start = now, end = now;
	if (l->cfg.bandwidth_bps) {
		if (l->busy_until_ns > now) {
			start = l->busy_until_ns;
		} else {
			l->carry = 0;
		}
		if (l->wait) {
			retire_started(l, now);
			if (start > now) {
				if (l->backlog_bytes + p->len > l->cfg.queue_limit_bytes ||
				    l->wait_n == l->wait_cap) {
					l->st.queue_drops++;
					l->st.queue_drop_bytes += p->len;
					l7sim_pkt_free(l->pool, p);
					return;
				}
				uint32_t slot = l->wait_head + l->wait_n;
				if (slot >= l->wait_cap)
					slot -= l->wait_cap;
				l->wait[slot].start_ns = start;
				l->wait[slot].len = p->len;
				l->wait_n++;
				l->backlog_bytes += p->len;
				if (l->backlog_bytes > l->st.backlog_peak_bytes)
					l->st.backlog_peak_bytes = l->backlog_bytes;
			}
		}
		uint64_t num = (uint64_t)p->len * 8u * 1000000000u + l->carry;
		uint64_t ser = num / l->cfg.bandwidth_bps;
		l->carry = num - ser * l->cfg.bandwidth_bps;
		end = start + ser;
		l->busy_until_ns = end;
		l->st.busy_ns += ser;
	}
	l->st.sent++;
	l->st.sent_bytes += p->len;
	p->hops++;
	p->last_link = l->cfg.id;
	l7_time_ns at = end + l->cfg.prop_delay_ns + (reorder ? l->cfg.reorder_delay_ns : 0);
	if (reorder)
		l->st.reordered++;
	if (l7sim_engine_at(l->eng, at, L7SIM_EV_LINK_DELIVER, p, (uint64_t)(uintptr_t)l, NULL)) {
		l->st.deliver_fail++;
		l7sim_pkt_free(l->pool, p);
	}
}

void l7sim_link_send(struct l7sim_link *l, struct l7sim_pkt *p)
{
	l7_time_ns now = l7sim_engine_now(l->eng);
	l->st.offered++;
	if (!p->hops)
		l->pool->emitted++;
	l->st.offered_bytes += p->len;
	for (uint32_t i = 0; i < l->n_taps; i++)
		if (l->tap[i].at == L7SIM_TAP_ENQUEUE)
			l->tap[i].fn(l->tap[i].ctx, now, p);
	if ((l->drop_fn && l->drop_fn(l->drop_ctx, p, now)) || chance(l, l->cfg.loss_prob)) {
		l->st.loss_drops++;
		l7sim_pkt_free(l->pool, p);
		return;
	}
	struct l7sim_pkt *dup = NULL;
	if (chance(l, l->cfg.dup_prob)) {
		dup = l7sim_pkt_clone(l->pool, p);
		if (dup)
			l->st.dups++;
		else
			l->st.dup_fail++;
	}
	int reorder = chance(l, l->cfg.reorder_prob);
	enqueue(l, p, now, reorder);
	if (dup)
		enqueue(l, dup, now, 0);
}

/* ------------------------------------------------------------ pcap tap */

int l7sim_pcap_tap_open(struct l7sim_pcap_tap *t, const char *path, uint32_t linktype)
{
	t->frames = 0;
	t->errors = 0;
	return l7_pcap_writer_open(&t->w, path, linktype, 0);
}

void l7sim_pcap_tap_write(void *ctx, l7_time_ns ts_ns, const struct l7sim_pkt *p)
{
	struct l7sim_pcap_tap *t = ctx;
	if (l7_pcap_write(&t->w, ts_ns, p->data, p->len, 0))
		t->errors++;
	else
		t->frames++;
}

int l7sim_pcap_tap_close(struct l7sim_pcap_tap *t)
{
	int rc = l7_pcap_writer_close(&t->w);
	return rc ? rc : (t->errors ? L7_EIO : 0);
}
