/*
 * channel.c — the control channel between a controller and the switch
 * driver: table requests in batches served at a finite rate with a fixed
 * per-batch cost and a transit latency, register reads and clears on the
 * same server, idle-timeout aging sweeps, and the rate-limited path that
 * carries digests and CPU-port packets up to the switch CPU.
 *
 * Timing (one FIFO server, docs/pipeline.md):
 *   start = max(now + ctl_latency_ns, end of previous work)
 *   end   = start + ctl_batch_fixed_ns + n * ceil(1e9 / ctl_entries_per_s)
 * A request becomes visible at `end` (or per entry when
 * ctl_commit_per_entry). Everything is computed at submit time, so the
 * caller learns the visible time immediately; l7_pipeline_advance() applies
 * what is due in time order.
 *
 * Invariants: pending items are in non-decreasing visible order (FIFO
 * server); a table's `reserved` = installed + queued adds never exceeds
 * its capacity, so a queued add never fails for lack of room.
 */
#include <string.h>

#include "pl_internal.h"

static l7_time_ns per_entry_ns(const struct l7_pipeline *pl)
{
	double v = 1e9 / pl->cfg.ctl_entries_per_s;
	l7_time_ns n = (l7_time_ns)v;
	return (double)n < v ? n + 1 : n;
}

static l7_time_ns server_start(struct l7_pipeline *pl, l7_time_ns now_ns)
{
	l7_time_ns arrive = now_ns + pl->cfg.ctl_latency_ns;
	return arrive > pl->ctl_free_ns ? arrive : pl->ctl_free_ns;
}

void pl_event_push(struct l7_pipeline *pl, const struct l7_pl_event *ev)
{
	if (pl->ev_n >= pl->cfg.event_queue_cap) {
		pl->st.events_lost++;
		return;
	}
	pl->ev[(pl->ev_head + pl->ev_n) % pl->cfg.event_queue_cap] = *ev;
	pl->ev_n++;
}

int pl_cpu_enqueue(struct l7_pipeline *pl, l7_time_ns at_ns, uint8_t kind, int id,
		   const uint64_t *data, unsigned n, l7_time_ns *done_ns)
{
	double v = 1e9 / pl->cfg.cpu_pps;
	l7_time_ns svc = (l7_time_ns)v;
	if ((double)svc < v)
		svc++;
	if (pl->cpu_n >= pl->cfg.cpu_queue_cap)
		return L7_EFULL;
	l7_time_ns start = at_ns > pl->cpu_free_ns ? at_ns : pl->cpu_free_ns;
	l7_time_ns done = start + svc;
	struct pl_cpu_item *it = &pl->cpu[(pl->cpu_head + pl->cpu_n) % pl->cfg.cpu_queue_cap];
	it->done_ns = done;
	it->kind = kind;
	it->id = id;
	memset(it->data, 0, sizeof(it->data));
	for (unsigned i = 0; i < n && i < L7_PL_MAX_SRC; i++)
		it->data[i] = data[i];
	pl->cpu_n++;
	pl->cpu_free_ns = done;
	*done_ns = done;
	return 0;
}

static int req_valid(const struct l7_pipeline *pl, const struct l7_pl_req *r)
{
	if (r->table < 0 || (unsigned)r->table >= pl->n_tables)
		return 0;
	if (r->op != L7_PL_REQ_ADD && r->op != L7_PL_REQ_MODIFY && r->op != L7_PL_REQ_DELETE)
		return 0;
	struct pl_entry tmp;
	return pl_entry_convert(&pl->table[r->table], &r->entry, &tmp, NULL, NULL) == 0;
}

int l7_pipeline_submit(struct l7_pipeline *pl, const struct l7_pl_req *reqs, unsigned n,
		       l7_time_ns now_ns, int *status, l7_time_ns *visible_ns)
{
	if (!pl || (!reqs && n) || n > pl->cfg.ctl_batch_max || !visible_ns)
		return L7_EINVAL;
	if (!pl->compiled)
		return L7_ESTATE;
	/* decide every request first, so a full queue changes nothing */
	uint32_t extra[L7_PL_MAX_TABLES] = { 0 };
	int st[256];
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		st[i] = 0;
		if (!req_valid(pl, &reqs[i])) {
			st[i] = L7_EINVAL;
			continue;
		}
		const struct pl_table *t = &pl->table[reqs[i].table];
		if (reqs[i].op == L7_PL_REQ_ADD) {
			if (t->reserved + extra[reqs[i].table] >= t->cap) {
				st[i] = L7_EFULL;
				continue;
			}
			extra[reqs[i].table]++;
		}
		k++;
	}
	if (pl->pend_n + k > pl->cfg.ctl_queue_cap) {
		pl->st.ctl_channel_full++;
		return L7_ECHANNELFULL;
	}
	l7_time_ns per = per_entry_ns(pl);
	l7_time_ns start = server_start(pl, now_ns);
	l7_time_ns end = start + pl->cfg.ctl_batch_fixed_ns + (l7_time_ns)k * per;
	unsigned j = 0;
	for (unsigned i = 0; i < n; i++) {
		if (status)
			status[i] = st[i];
		pl->last_visible[i] = 0;
		if (st[i] == L7_EFULL)
			pl->st.ctl_rejected_full++;
		if (st[i] < 0)
			continue;
		l7_time_ns vis = pl->cfg.ctl_commit_per_entry
				 ? start + pl->cfg.ctl_batch_fixed_ns + (l7_time_ns)(j + 1) * per
				 : end;
		j++;
		struct pl_pending *p = &pl->pend[(pl->pend_head + pl->pend_n) % pl->cfg.ctl_queue_cap];
		p->req = reqs[i];
		p->visible_ns = vis;
		pl->pend_n++;
		pl->last_visible[i] = vis;
		if (reqs[i].op == L7_PL_REQ_ADD)
			pl->table[reqs[i].table].reserved++;
	}
	pl->last_batch_n = n;
	pl->st.ctl_requests += k;
	if (k) {
		pl->st.ctl_batches++;
		pl->ctl_free_ns = end;
		*visible_ns = end;
	} else {
		*visible_ns = now_ns;
	}
	return 0;
}

l7_time_ns l7_pipeline_req_visible_ns(const struct l7_pipeline *pl, unsigned i)
{
	if (!pl || i >= pl->last_batch_n)
		return 0;
	return pl->last_visible[i];
}

int l7_pipeline_register_read(struct l7_pipeline *pl, int reg, uint32_t index,
			      uint32_t count, uint64_t *values, l7_time_ns now_ns,
			      l7_time_ns *done_ns)
{
	if (!pl || !done_ns || (count && !values))
		return L7_EINVAL;
	if (!pl->compiled)
		return L7_ESTATE;
	if (reg < 0 || (unsigned)reg >= pl->n_regs || index > pl->reg[reg].size ||
	    count > pl->reg[reg].size - index)
		return L7_EINVAL;
	for (uint32_t i = 0; i < count; i++)
		values[i] = pl_reg_get(&pl->reg[reg], index + i);
	l7_time_ns done = server_start(pl, now_ns) + pl->cfg.ctl_batch_fixed_ns +
			  (l7_time_ns)count * pl->cfg.ctl_read_per_entry_ns;
	pl->ctl_free_ns = done;
	*done_ns = done;
	return 0;
}

int l7_pipeline_register_clear(struct l7_pipeline *pl, int reg, l7_time_ns now_ns,
			       l7_time_ns *done_ns)
{
	if (!pl || !done_ns || reg < 0 || (unsigned)reg >= pl->n_regs)
		return L7_EINVAL;
	if (!pl->compiled)
		return L7_ESTATE;
	if (pl->pend_n >= pl->cfg.ctl_queue_cap) {
		pl->st.ctl_channel_full++;
		return L7_ECHANNELFULL;
	}
	l7_time_ns done = server_start(pl, now_ns) + pl->cfg.ctl_batch_fixed_ns +
			  (l7_time_ns)pl->reg[reg].size * pl->cfg.ctl_read_per_entry_ns;
	struct pl_pending *p = &pl->pend[(pl->pend_head + pl->pend_n) % pl->cfg.ctl_queue_cap];
	memset(p, 0, sizeof(*p));
	p->req.op = PL_OP_CLEAR;
	p->req.table = reg;
	p->visible_ns = done;
	pl->pend_n++;
	pl->ctl_free_ns = done;
	*done_ns = done;
	return 0;
}

int l7_pipeline_sketch_topn(struct l7_pipeline *pl, int sketch, struct l7_pl_topn *out,
			    unsigned n, l7_time_ns now_ns, l7_time_ns *done_ns)
{
	if (!pl || !done_ns || (n && !out) || sketch < 0 || (unsigned)sketch >= pl->n_sketches)
		return L7_EINVAL;
	if (!pl->compiled)
		return L7_ESTATE;
	int k = pl_sketch_topn_copy(pl, sketch, out, n);
	l7_time_ns done = server_start(pl, now_ns) + pl->cfg.ctl_batch_fixed_ns +
			  (l7_time_ns)n * pl->cfg.ctl_read_per_entry_ns;
	pl->ctl_free_ns = done;
	*done_ns = done;
	return k;
}

/* ------------------------------------------------------------ advance */

static void apply_clear(struct l7_pipeline *pl, int reg, l7_time_ns t)
{
	struct pl_register *r = &pl->reg[reg];
	if (r->width == 1)
		memset(r->bits, 0, sizeof(uint64_t) * ((r->size + 63) / 64));
	else
		memset(r->cells, 0, sizeof(uint64_t) * r->size);
	for (unsigned s = 0; s < pl->n_sketches; s++)
		for (unsigned k = 0; k < pl->sketch[s].rows; k++)
			if (pl->sketch[s].reg[k] == reg) {
				pl->sketch[s].n_top = 0; /* a new measurement period */
				pl->sketch[s].top_min = 0;
			}
	struct l7_pl_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = L7_PL_EV_CLEARED;
	ev.id = reg;
	ev.table = -1;
	ev.time_ns = t;
	pl_event_push(pl, &ev);
}

static void apply_pending(struct l7_pipeline *pl)
{
	struct pl_pending *p = &pl->pend[pl->pend_head];
	pl->pend_head = (pl->pend_head + 1) % pl->cfg.ctl_queue_cap;
	pl->pend_n--;
	if (p->req.op == PL_OP_CLEAR) {
		apply_clear(pl, p->req.table, p->visible_ns);
		return;
	}
	struct pl_table *t = &pl->table[p->req.table];
	int rc = pl_entry_apply(pl, p->req.table, p->req.op, &p->req.entry, p->visible_ns);
	if (p->req.op == L7_PL_REQ_ADD && rc < 0)
		t->reserved--;
	if (p->req.op == L7_PL_REQ_DELETE && rc == 0)
		t->reserved--;
	if (rc < 0)
		pl->st.ctl_apply_errors++;
	struct l7_pl_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = L7_PL_EV_APPLIED;
	ev.status = rc;
	ev.table = p->req.table;
	ev.time_ns = p->visible_ns;
	ev.cookie = p->req.cookie;
	memcpy(ev.key_values, p->req.entry.value, sizeof(ev.key_values));
	pl_event_push(pl, &ev);
}

static void sweep(struct l7_pipeline *pl, l7_time_ns b)
{
	for (unsigned ti = 0; ti < pl->n_tables; ti++) {
		struct pl_table *t = &pl->table[ti];
		l7_time_ns ttl = t->def.idle_timeout_ns;
		if (!ttl)
			continue;
		for (uint32_t i = 0; i < t->cap; i++) {
			struct pl_entry *e = &t->e[i];
			if (!e->used)
				continue;
			e->hit = 0;
			struct pl_ecold *c = &t->ec[i];
			if (c->notified || b < c->last_hit_ns || b - c->last_hit_ns < ttl)
				continue;
			c->notified = 1;
			pl->st.aged++;
			struct l7_pl_event ev;
			memset(&ev, 0, sizeof(ev));
			ev.kind = L7_PL_EV_AGED;
			ev.table = (int)ti;
			ev.time_ns = b;
			pl_table_key_values(t, i, ev.key_values);
			pl_event_push(pl, &ev);
			if (t->def.age_delete && pl_table_remove(t, i) == 0)
				t->reserved--;
		}
	}
}

static l7_time_ns next_sweep(const struct l7_pipeline *pl)
{
	return (pl->last_sweep_ns / pl->cfg.aging_sweep_ns + 1) * pl->cfg.aging_sweep_ns;
}

l7_time_ns l7_pipeline_next_due_ns(const struct l7_pipeline *pl)
{
	if (!pl || !pl->compiled)
		return UINT64_MAX;
	l7_time_ns t = UINT64_MAX;
	if (pl->pend_n)
		t = pl->pend[pl->pend_head].visible_ns;
	if (pl->cpu_n && pl->cpu[pl->cpu_head].done_ns < t)
		t = pl->cpu[pl->cpu_head].done_ns;
	if (pl->has_aging && next_sweep(pl) < t)
		t = next_sweep(pl);
	return t;
}

int l7_pipeline_advance(struct l7_pipeline *pl, l7_time_ns now_ns)
{
	if (!pl)
		return L7_EINVAL;
	if (!pl->compiled)
		return L7_ESTATE;
	uint32_t before = pl->ev_n;
	uint64_t lost = pl->st.events_lost;
	for (;;) {
		l7_time_ns tp = pl->pend_n ? pl->pend[pl->pend_head].visible_ns : UINT64_MAX;
		l7_time_ns tc = pl->cpu_n ? pl->cpu[pl->cpu_head].done_ns : UINT64_MAX;
		l7_time_ns ts = pl->has_aging ? next_sweep(pl) : UINT64_MAX;
		l7_time_ns t = tp < tc ? tp : tc;
		if (ts < t)
			t = ts;
		if (t > now_ns)
			break;
		if (tp == t) {
			apply_pending(pl);
		} else if (ts == t) {
			pl->last_sweep_ns = ts;
			sweep(pl, ts);
		} else {
			struct pl_cpu_item *it = &pl->cpu[pl->cpu_head];
			pl->cpu_head = (pl->cpu_head + 1) % pl->cfg.cpu_queue_cap;
			pl->cpu_n--;
			struct l7_pl_event ev;
			memset(&ev, 0, sizeof(ev));
			ev.kind = it->kind;
			ev.id = it->id;
			ev.table = -1;
			ev.time_ns = it->done_ns;
			memcpy(ev.data, it->data, sizeof(ev.data));
			pl_event_push(pl, &ev);
		}
	}
	return (int)(pl->ev_n - before + (uint32_t)(pl->st.events_lost - lost));
}

int l7_pipeline_poll(struct l7_pipeline *pl, struct l7_pl_event *ev)
{
	if (!pl || !ev)
		return L7_EINVAL;
	if (pl->ev_n == 0)
		return 0;
	*ev = pl->ev[pl->ev_head];
	pl->ev_head = (pl->ev_head + 1) % pl->cfg.event_queue_cap;
	pl->ev_n--;
	return 1;
}
