/*
 * client.c — the client model of client.h.
 *
 * Starting connections: one pending start event at a time, at the start
 * time of the next (connection, instance) in workload order, so a trace of
 * any length costs one event slot here.
 *
 * Slots: `active` counts application connections (client.h) and never
 * exceeds max_conns. A connection is released (active--, appended to the
 * lingering list) when both FINs are exchanged: from then on only its
 * endpoint lives on (TIME_WAIT, or waiting for the ACK of a FIN). The pool
 * holds 2 x max_conns objects: max_conns applications plus the same number
 * lingering (the TIME_WAIT allowance). A start with active < max_conns
 * always gets an object: if the pool is empty, at least max_conns + 1
 * objects linger and the oldest is forgotten. When the next start finds
 * active == max_conns, the cursor stalls (it does not skip): the release
 * or CLOSED callback that frees a slot schedules a CLI_START at that
 * instant (an event, not a direct call: the endpoint is still inside its
 * own input or teardown), which opens the waiting connection then.
 *
 * Tuple waits: a start whose tuple is held by a live, not-yet-TIME_WAIT
 * endpoint takes an object and a slot, is marked tuple_wait (its endpoint
 * is not connected and not in the demux) and joins the client's waiting
 * list (rare, so it is scanned by tuple rather than indexed). The old
 * connection's release and CLOSED schedule a CLI_RETRY for the start
 * waiting on its tuple, which connects if the tuple is free or in
 * TIME_WAIT (forgetting that endpoint) and otherwise keeps waiting. While
 * released or waiting a connection times no request, so the list links
 * share memory with sent_ns (client.h).
 *
 * Invariant: a connection object goes back to the pool only from the CLOSED
 * callback (after its pending send event, if any, was cancelled), or from
 * a start that never connected (tuple clash, connect failure).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng.h"
#include "models/client.h"
#include "models/server.h"

int l7sim_server_register_events(struct l7sim_engine *e);

void l7sim_client_config_defaults(struct l7sim_client_config *c)
{
	memset(c, 0, sizeof(*c));
	c->name = "client";
	c->max_conns = 65536;
	c->multiply = 1;
	c->speedup = 1.0;
	c->verify = 1;
	c->trace_syn = 1;
}

static l7_time_ns scaled(const struct l7sim_client *c, l7_time_ns t)
{
	return c->cfg.speedup == 1.0 ? t : (l7_time_ns)((double)t / c->cfg.speedup);
}

static const struct l7sim_wl_conn *wc(const struct l7sim_cli_conn *cc)
{
	return &cc->cli->wl->conns[cc->wconn];
}

static void pump(struct l7sim_cli_conn *cc);

static void maybe_shut(struct l7sim_cli_conn *cc)
{
	const struct l7sim_wl_conn *w = wc(cc);
	if (cc->shut)
		return;
	int all_sent = cc->next_send >= w->n_req;
	int all_rx = cc->rx_bytes >= w->s2c_len;
	if (cc->peer_fin || (all_sent && all_rx && !(w->flags & L7SIM_WL_SERVER_CLOSES))) {
		cc->shut = 1;
		l7sim_tcpep_shutdown(&cc->ep);
	}
}

/* Complete every response the received bytes now cover. */
static void account(struct l7sim_cli_conn *cc, l7_time_ns now)
{
	struct l7sim_client *c = cc->cli;
	const struct l7sim_wl_conn *w = wc(cc);
	while (cc->resp_done < cc->next_send) {
		const struct l7sim_wl_msg *r = &w->resp[cc->resp_done];
		if (cc->rx_bytes < r->off + r->len)
			break;
		uint32_t k = cc->resp_done;
		if (c->sink.request && k + L7SIM_CLI_SENT_RING >= cc->next_send) {
			struct l7sim_req_sample s = {
				.conn_id = (uint64_t)cc->inst << 32 | (cc->wconn + 1u),
				.req = k,
				.req_bytes = w->req[k].len,
				.resp_bytes = r->len,
				.sent_ns = cc->sent_ns[k % L7SIM_CLI_SENT_RING],
				.first_byte_ns = r->len ? cc->first_ns : now,
				.last_byte_ns = now,
			};
			c->sink.request(c->sink.ctx, &s);
		} else if (c->sink.request) {
			c->st.untimed++;
		}
		c->st.responses_done++;
		cc->resp_done++;
		cc->last_resp_ns = now;
		if (cc->resp_done < cc->next_send &&
		    cc->rx_bytes > w->resp[cc->resp_done].off)
			cc->first_ns = now;
	}
}

static void send_due(struct l7sim_cli_conn *cc)
{
	struct l7sim_client *c = cc->cli;
	const struct l7sim_wl_conn *w = wc(cc);
	l7_time_ns now = l7sim_engine_now(c->eng);
	while (cc->next_send < w->n_req) {
		uint32_t k = cc->next_send;
		const struct l7sim_wl_msg *q = &w->req[k];
		if (cc->resp_done < q->wait_resp)
			return; /* account() calls again */
		l7_time_ns due = cc->t0_ns + scaled(c, q->t_ns);
		if (k && c->cfg.think_ns && q->wait_resp && cc->last_resp_ns + c->cfg.think_ns > due)
			due = cc->last_resp_ns + c->cfg.think_ns;
		if (due > now) {
			if (!cc->send_pending &&
			    l7sim_engine_at(c->eng, due, L7SIM_EV_CLI_SEND, cc, 0, &cc->send_ev) == 0)
				cc->send_pending = 1;
			return;
		}
		uint64_t end = q->off + q->len;
		cc->sent_ns[k % L7SIM_CLI_SENT_RING] = now;
		cc->next_send++;
		c->st.requests_sent++;
		if (cc->resp_done == k && cc->rx_bytes > w->resp[k].off)
			cc->first_ns = now;
		if (end > cc->written) {
			uint64_t n = end - cc->written;
			cc->written = end;
			l7sim_tcpep_write(&cc->ep, n);
		}
		account(cc, now); /* an empty response completes at once */
	}
}

static void pump(struct l7sim_cli_conn *cc)
{
	if (cc->shut || cc->reset || cc->ep.state == L7SIM_TCP_CLOSED)
		return;
	send_due(cc);
	maybe_shut(cc);
}

static void cli_send(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	struct l7sim_cli_conn *cc = obj;
	(void)e;
	(void)arg;
	cc->send_pending = 0;
	if (!cc->released &&
	    (cc->ep.state == L7SIM_TCP_ESTABLISHED || cc->ep.state == L7SIM_TCP_CLOSE_WAIT))
		pump(cc);
}

/* ------------------------------------------------------------ slots */

/* A slot came free: a stalled start cursor resumes at this instant. */
static void slot_freed(struct l7sim_client *c, l7_time_ns now)
{
	if (c->stalled && !c->resume_pending &&
	    l7sim_engine_at(c->eng, now, L7SIM_EV_CLI_START, c, 0, NULL) == 0)
		c->resume_pending = 1;
}

static void list_add(struct l7sim_cli_list *l, struct l7sim_cli_conn *cc)
{
	cc->lnext = NULL;
	cc->lprev = l->tail;
	if (l->tail)
		l->tail->lnext = cc;
	else
		l->head = cc;
	l->tail = cc;
	l->n++;
}

static void list_del(struct l7sim_cli_list *l, struct l7sim_cli_conn *cc)
{
	if (cc->lprev)
		cc->lprev->lnext = cc->lnext;
	else
		l->head = cc->lnext;
	if (cc->lnext)
		cc->lnext->lprev = cc->lprev;
	else
		l->tail = cc->lprev;
	cc->lprev = cc->lnext = NULL;
	l->n--;
}

static int same_tuple(const struct l7sim_tcpep *a, const struct l7sim_tcpep *b)
{
	return a->lport == b->lport && a->rport == b->rport &&
	       memcmp(&a->laddr, &b->laddr, sizeof(a->laddr)) == 0 &&
	       memcmp(&a->raddr, &b->raddr, sizeof(a->raddr)) == 0;
}

/* The start waiting for cc's tuple, other than skip, or NULL. */
static struct l7sim_cli_conn *waiter_for(const struct l7sim_client *c,
					 const struct l7sim_cli_conn *cc,
					 const struct l7sim_cli_conn *skip)
{
	for (struct l7sim_cli_conn *w = c->waiting.head; w; w = w->lnext)
		if (w != skip && same_tuple(&w->ep, &cc->ep))
			return w;
	return NULL;
}

/* cc's tuple may be free or in TIME_WAIT now: its waiter (if any) retries. */
static void wake_waiter(struct l7sim_cli_conn *cc, l7_time_ns now)
{
	struct l7sim_client *c = cc->cli;
	struct l7sim_cli_conn *w = c->waiting.n ? waiter_for(c, cc, cc) : NULL;
	if (w && !w->retry_pending &&
	    l7sim_engine_at(c->eng, now, L7SIM_EV_CLI_RETRY, w, 0, NULL) == 0)
		w->retry_pending = 1;
}

/* Both FINs exchanged: the connection stops counting against max_conns;
 * its endpoint lingers (TIME_WAIT) at the tail of the lingering list. No
 * request is timed any more, so the links may overwrite sent_ns. */
static void release(struct l7sim_cli_conn *cc, l7_time_ns now)
{
	struct l7sim_client *c = cc->cli;
	if (cc->released)
		return;
	cc->released = 1;
	c->active--;
	list_add(&c->lingering, cc);
	slot_freed(c, now);
	wake_waiter(cc, now);
}

/* ------------------------------------------------------------ tcp ops */

static void c_fill(void *user, struct l7sim_tcpep *ep, uint64_t off, uint8_t *dst, uint32_t len)
{
	struct l7sim_cli_conn *cc = (struct l7sim_cli_conn *)ep;
	(void)user;
	l7sim_wl_read(cc->cli->wl, cc->wconn, 0, off, dst, len);
}

/* Bytes of d that differ from the workload's server stream at rx_bytes
 * (bytes beyond the stream all count). memcmp first: the common case is
 * equality. */
static uint64_t mismatches(struct l7sim_client *c, const struct l7sim_cli_conn *cc,
			   const uint8_t *d, uint32_t len)
{
	const struct l7sim_wl_conn *w = wc(cc);
	uint64_t have = w->s2c_len > cc->rx_bytes ? w->s2c_len - cc->rx_bytes : 0;
	uint32_t n = have < len ? (uint32_t)have : len;
	uint64_t bad = len - n;
	for (uint32_t done = 0; done < n;) {
		uint32_t k = n - done;
		const uint8_t *ref;
		if (w->s2c) {
			ref = w->s2c + cc->rx_bytes + done;
		} else {
			if (k > sizeof(c->scratch))
				k = (uint32_t)sizeof(c->scratch);
			l7sim_wl_read(c->wl, cc->wconn, 1, cc->rx_bytes + done, c->scratch, k);
			ref = c->scratch;
		}
		if (memcmp(d + done, ref, k) != 0)
			for (uint32_t i = 0; i < k; i++)
				bad += d[done + i] != ref[i];
		done += k;
	}
	return bad;
}

static void c_data(void *user, struct l7sim_tcpep *ep, const uint8_t *d, uint32_t len,
		   l7_time_ns now)
{
	struct l7sim_cli_conn *cc = (struct l7sim_cli_conn *)ep;
	struct l7sim_client *c = cc->cli;
	const struct l7sim_wl_conn *w = wc(cc);
	(void)user;
	if (c->cfg.verify)
		c->st.resp_mismatch_bytes += mismatches(c, cc, d, len);
	if (cc->resp_done < cc->next_send && cc->rx_bytes <= w->resp[cc->resp_done].off)
		cc->first_ns = now;
	cc->rx_bytes += len;
	c->st.resp_bytes += len;
	account(cc, now);
	pump(cc);
}

static void c_event(void *user, struct l7sim_tcpep *ep, enum l7sim_tcp_event ev, l7_time_ns now)
{
	struct l7sim_cli_conn *cc = (struct l7sim_cli_conn *)ep;
	struct l7sim_client *c = cc->cli;
	(void)user;
	switch (ev) {
	case L7SIM_TCP_EV_ESTABLISHED:
		pump(cc);
		break;
	case L7SIM_TCP_EV_PEER_FIN:
		cc->peer_fin = 1;
		pump(cc);
		if (!cc->shut) {
			cc->shut = 1;
			l7sim_tcpep_shutdown(&cc->ep);
		}
		release(cc, now); /* both FINs exchanged: the application is done */
		break;
	case L7SIM_TCP_EV_RESET:
		cc->reset = 1;
		c->st.resets++;
		break;
	case L7SIM_TCP_EV_ABORTED:
		c->st.aborts++;
		break;
	case L7SIM_TCP_EV_CLOSED:
		if (cc->resp_done < wc(cc)->n_req || cc->rx_bytes < wc(cc)->s2c_len)
			c->st.incomplete++;
		c->st.conns_done++;
		if (cc->released) {
			list_del(&c->lingering, cc);
		} else {
			c->active--;
			slot_freed(c, now);
		}
		l7sim_tcp_demux_del(&c->demux, &cc->ep);
		/* a pending send event must not find a freed object */
		if (cc->send_pending)
			l7sim_engine_cancel(c->eng, cc->send_ev);
		wake_waiter(cc, now);
		l7sim_pool_put(&c->conns, cc);
		break;
	}
}

static const struct l7sim_tcp_ops cli_ops = { c_fill, c_data, c_event };

/* ------------------------------------------------------------ starting */

static uint16_t fold16(const struct l7_addr *a)
{
	uint32_t x = 0;
	for (int i = 0; i < 16; i += 2)
		x += (uint32_t)a->b[i] << 8 | a->b[i + 1];
	while (x >> 16)
		x = (x & 0xffff) + (x >> 16);
	return (uint16_t)x;
}

static struct l7_addr instance_addr(const struct l7_addr *orig, uint32_t inst)
{
	if (inst == 0)
		return *orig;
	if (l7_addr_is_v4(orig)) {
		uint32_t v = 0x64400000u | (((inst - 1) & 0x3fu) << 16) | fold16(orig);
		v ^= ((inst - 1) >> 6) << 8 & 0x3fff00u;
		return l7_addr_from_v4(v);
	}
	struct l7_addr a = *orig;
	a.b[0] = 0xfd;
	a.b[1] = 0x00;
	a.b[2] = (uint8_t)(inst >> 8);
	a.b[3] = (uint8_t)inst;
	return a;
}

static struct l7sim_cli_conn *tuple_owner(const struct l7sim_client *c,
					  const struct l7sim_cli_conn *cc)
{
	/* the demux is keyed by the server's view; build that view */
	struct l7_pkt v;
	memset(&v, 0, sizeof(v));
	v.src = cc->ep.raddr;
	v.dst = cc->ep.laddr;
	v.sport = cc->ep.rport;
	v.dport = cc->ep.lport;
	return (struct l7sim_cli_conn *)l7sim_tcp_demux_find(&c->demux, &v);
}

/* A connection object for a new start (active < max_conns): from the pool,
 * or, when the TIME_WAIT allowance is full, the oldest lingering one
 * forgotten early. */
static struct l7sim_cli_conn *take_conn(struct l7sim_client *c)
{
	struct l7sim_cli_conn *cc = l7sim_pool_get(&c->conns);
	if (!cc && c->lingering.head) {
		c->st.tw_forgotten++;
		l7sim_tcpep_forget(&c->lingering.head->ep); /* its CLOSED puts it back */
		cc = l7sim_pool_get(&c->conns);
	}
	return cc;
}

/* Give back a start that never connected (its slot included). */
static void drop_unstarted(struct l7sim_cli_conn *cc, l7_time_ns now)
{
	struct l7sim_client *c = cc->cli;
	c->active--;
	l7sim_pool_put(&c->conns, cc);
	slot_freed(c, now);
}

/* Send cc's SYN (its tuple is free). 0 or -1 (failed, counted, object and
 * slot given back). */
static int connect_now(struct l7sim_cli_conn *cc, l7_time_ns now)
{
	struct l7sim_client *c = cc->cli;
	const struct l7sim_wl_conn *w = wc(cc);
	struct l7_addr la = cc->ep.laddr, ra = cc->ep.raddr;
	uint16_t lport = cc->ep.lport, rport = cc->ep.rport;
	struct l7sim_tcp_offer offer, *op = NULL;
	if (c->cfg.trace_syn && (w->flags & L7SIM_WL_SYN_SEEN)) {
		memset(&offer, 0, sizeof(offer));
		offer.mss = w->syn.mss;
		offer.ws_ok = w->syn.ws_ok;
		offer.wscale = w->syn.wscale;
		offer.sack_ok = w->syn.sack_ok;
		offer.ts_ok = w->syn.ts_ok;
		offer.isn_set = 1;
		offer.isn = w->client_isn;
		op = &offer;
	}
	if (l7sim_tcpep_connect_offer(&cc->ep, &c->env, c, &la, lport, &ra, rport,
				      (uint64_t)cc->inst << 32 | (cc->wconn + 1u), op)) {
		c->st.conns_failed++;
		drop_unstarted(cc, now);
		return -1;
	}
	l7sim_tcp_demux_add(&c->demux, &cc->ep);
	c->st.conns_started++;
	return 0;
}

/* cc (not connected, not in the waiting list, tuple in cc->ep) starts now
 * if its tuple is free or in TIME_WAIT, else waits for the endpoint holding
 * it. 0: started or waiting; -1: given up (counted). */
static int try_start(struct l7sim_cli_conn *cc, l7_time_ns now)
{
	struct l7sim_client *c = cc->cli;
	if (c->waiting.n && waiter_for(c, cc, cc)) {
		c->st.tuple_clash++; /* someone already waits for this tuple */
		drop_unstarted(cc, now);
		return -1;
	}
	struct l7sim_cli_conn *old = tuple_owner(c, cc);
	if (old && old->ep.state == L7SIM_TCP_TIME_WAIT) {
		c->st.tw_reused++;
		l7sim_tcpep_forget(&old->ep); /* RFC 6191: a new SYN may reuse it */
		old = NULL;
	}
	if (old) {
		if (!cc->tuple_wait) {
			cc->tuple_wait = 1;
			c->st.tuple_waits++;
		}
		list_add(&c->waiting, cc); /* old's release or CLOSED wakes us */
		return 0;
	}
	if (cc->tuple_wait) {
		cc->tuple_wait = 0;
		c->st.tuple_wait_ns += now - cc->t0_ns;
		cc->t0_ns = now; /* captured offsets count from the actual start */
	}
	return connect_now(cc, now);
}

static void cli_retry(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	struct l7sim_cli_conn *cc = obj;
	struct l7sim_client *c = cc->cli;
	(void)arg;
	cc->retry_pending = 0;
	struct l7sim_cli_conn *old = tuple_owner(c, cc);
	/* still closing (LAST_ACK, CLOSING...): its CLOSED wakes us again */
	if (old && old->ep.state != L7SIM_TCP_TIME_WAIT)
		return;
	list_del(&c->waiting, cc);
	try_start(cc, l7sim_engine_now(e));
}

/* 1: no free slot (nothing done; the caller waits); 0: started or waiting
 * for its tuple; -1: skipped or failed (counted). t0 is the connection's
 * actual start. */
static int open_one(struct l7sim_client *c, uint32_t i, uint32_t inst, l7_time_ns t0)
{
	const struct l7sim_wl_conn *w = &c->wl->conns[i];
	if (c->active >= c->cfg.max_conns)
		return 1;
	struct l7sim_cli_conn *cc = take_conn(c);
	if (!cc)
		return 1; /* cannot happen: 2 x max_conns objects (client.c top) */
	memset(cc, 0, sizeof(*cc));
	cc->cli = c;
	cc->wconn = i;
	cc->inst = inst;
	cc->t0_ns = t0;
	/* the tuple lives in the (not yet connected) endpoint until connect */
	cc->ep.laddr = instance_addr((const struct l7_addr *)w->key.src, inst);
	memcpy(cc->ep.raddr.b, w->key.dst, 16);
	cc->ep.lport = l7_flow_key_sport(&w->key);
	cc->ep.rport = l7_flow_key_dport(&w->key);
	c->active++;
	return try_start(cc, l7sim_engine_now(c->eng));
}

static void cli_start(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	struct l7sim_client *c = obj;
	l7_time_ns now = l7sim_engine_now(e);
	(void)arg;
	c->resume_pending = 0;
	while (c->next_conn < c->wl->n_conns) {
		const struct l7sim_wl_conn *w = &c->wl->conns[c->next_conn];
		l7_time_ns t = c->cfg.start_ns + scaled(c, w->start_ns);
		if (t > now) {
			l7sim_engine_at(e, t, L7SIM_EV_CLI_START, c, 0, NULL);
			return;
		}
		/* a start that waited for a slot begins now, not at its due
		 * time; connections behind it in the queue wait too (now > t) */
		int waited = c->stalled || now > t;
		int rc = open_one(c, c->next_conn, c->next_inst, waited ? now : t);
		if (rc == 1) {
			c->stalled = 1;
			return; /* the next CLOSED resumes us */
		}
		c->stalled = 0;
		if (waited && rc == 0) {
			c->st.queued++;
			c->st.queue_wait_ns += now - t;
		}
		if (++c->next_inst >= c->cfg.multiply) {
			c->next_inst = 0;
			c->next_conn++;
		}
	}
}

int l7sim_client_start(struct l7sim_client *c)
{
	return l7sim_engine_at(c->eng, l7sim_engine_now(c->eng), L7SIM_EV_CLI_START, c, 0, NULL);
}

int l7sim_models_register(struct l7sim_engine *e)
{
	int rc = l7sim_server_register_events(e);
	if (!rc)
		rc = l7sim_engine_on(e, L7SIM_EV_CLI_START, cli_start);
	if (!rc)
		rc = l7sim_engine_on(e, L7SIM_EV_CLI_SEND, cli_send);
	if (!rc)
		rc = l7sim_engine_on(e, L7SIM_EV_CLI_RETRY, cli_retry);
	return rc;
}

static void cli_rx(struct l7sim_node *self, struct l7sim_pkt *p, l7_time_ns now)
{
	struct l7sim_client *c = (struct l7sim_client *)self;
	struct l7_pkt v;
	(void)now;
	if (l7_pkt_parse(&v, p->data, p->len, c->env.cfg->linktype) != 0 ||
	    v.proto != L7_IPPROTO_TCP) {
		l7sim_pkt_free(c->env.pool, p);
		return;
	}
	struct l7sim_tcpep *ep = l7sim_tcp_demux_find(&c->demux, &v);
	if (ep) {
		l7sim_tcpep_input(ep, p, &v);
		return;
	}
	l7sim_tcp_send_rst_for(&c->env, &v, p->conn_id);
	l7sim_pkt_free(c->env.pool, p);
}

int l7sim_client_init(struct l7sim_client *c, const struct l7sim_client_config *cfg,
		      struct l7sim_engine *eng, struct l7sim_pktpool *pool,
		      const struct l7sim_tcp_cfg *tcp, struct l7sim_node *out,
		      const struct l7sim_workload *wl, const struct l7sim_metrics_sink *sink)
{
	memset(c, 0, offsetof(struct l7sim_client, scratch));
	if (!cfg || !cfg->max_conns || !cfg->multiply || !(cfg->speedup > 0) || !wl)
		return L7_EINVAL;
	c->node.rx = cli_rx;
	c->eng = eng;
	c->wl = wl;
	c->cfg = *cfg;
	if (!c->cfg.start_ns)
		c->cfg.start_ns = l7sim_engine_now(eng);
	if (sink)
		c->sink = *sink;
	l7sim_tcp_env_init(&c->env, eng, pool, tcp, &cli_ops, out, cfg->seed,
			   cfg->name ? cfg->name : "client");
	uint32_t b = 1;
	while (b < cfg->max_conns && b < (1u << 30))
		b <<= 1;
	int rc = l7sim_tcp_demux_init(&c->demux, b);
	if (rc)
		return rc;
	/* max_conns applications + the same TIME_WAIT allowance (client.h) */
	uint64_t objs = 2ull * cfg->max_conns;
	rc = objs > UINT32_MAX ? L7_EINVAL
			       : l7sim_pool_init(&c->conns, sizeof(struct l7sim_cli_conn),
						 (uint32_t)objs);
	if (rc)
		l7sim_tcp_demux_fini(&c->demux);
	return rc;
}

void l7sim_client_fini(struct l7sim_client *c)
{
	l7sim_pool_fini(&c->conns);
	l7sim_tcp_demux_fini(&c->demux);
}

/* ------------------------------------------------------------ closed loop */

struct closed_gen {
	uint64_t seed;
};

static int head_text(char *buf, size_t cap, uint64_t size)
{
	return snprintf(buf, cap, "HTTP/1.1 200 OK\r\nContent-Length: %llu\r\n\r\n",
			(unsigned long long)size);
}

static uint8_t body_byte(uint32_t conn, uint32_t k, uint64_t i)
{
	return (uint8_t)('a' + (conn * 7u + k * 13u + i) % 26u);
}

/* Generated server streams: find the response holding off, then head text
 * or body pattern. */
static void closed_fill(const struct l7sim_workload *wl, uint32_t conn, int dir, uint64_t off,
			uint8_t *dst, uint32_t len)
{
	const struct l7sim_wl_conn *w = &wl->conns[conn];
	if (dir == 0) {
		memset(dst, 0, len);
		return;
	}
	uint32_t lo = 0, hi = w->n_req;
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;
		if (w->resp[mid].off <= off)
			lo = mid;
		else
			hi = mid;
	}
	char head[96];
	/* the head text is formatted once per response, not once per byte */
	int h = head_text(head, sizeof(head), w->resp[lo].wait_resp); /* body size */
	for (uint32_t i = 0; i < len; i++, off++) {
		if (lo + 1 < w->n_req && w->resp[lo + 1].off <= off) {
			while (lo + 1 < w->n_req && w->resp[lo + 1].off <= off)
				lo++;
			h = head_text(head, sizeof(head), w->resp[lo].wait_resp);
		}
		uint64_t in = off - w->resp[lo].off;
		dst[i] = in < (uint64_t)h ? (uint8_t)head[in] : body_byte(conn, lo, in - (uint64_t)h);
	}
}

int l7sim_wl_closed_loop(struct l7sim_workload *wl, const struct l7sim_closed_loop_config *c)
{
	memset(wl, 0, sizeof(*wl));
	if (!c->n_conns || !c->n_req || !c->n_sizes || !c->sizes)
		return L7_EINVAL;
	uint64_t wsum = 0;
	for (uint32_t i = 0; i < c->n_sizes; i++)
		wsum += c->weights ? c->weights[i] : 1;
	if (!wsum)
		return L7_EINVAL;
	wl->conns = calloc(c->n_conns, sizeof(*wl->conns));
	if (!wl->conns)
		return L7_ENOMEM;
	wl->n_conns = c->n_conns;
	wl->fill = closed_fill;
	struct l7sim_rng rng;
	l7sim_rng_init(&rng, c->seed, l7sim_rng_id("closed-loop"));
	for (uint32_t i = 0; i < c->n_conns; i++) {
		struct l7sim_wl_conn *w = &wl->conns[i];
		struct l7_addr ca = l7_addr_from_v4(0x0a010000u | ((i / 50000u) << 8 & 0xff00u) | 1u);
		ca.b[14] = (uint8_t)(i / 50000u);
		l7_flow_key_make(&w->key, &ca, (uint16_t)(10000 + i % 50000), &c->server_addr,
				 c->server_port, L7_IPPROTO_TCP);
		w->start_ns = (l7_time_ns)i * c->stagger_ns;
		w->n_req = c->n_req;
		w->req = calloc(c->n_req, sizeof(*w->req));
		w->resp = calloc(c->n_req, sizeof(*w->resp));
		char *reqs = malloc((size_t)c->n_req * 64);
		if (!w->req || !w->resp || !reqs) {
			free(reqs);
			l7sim_wl_free(wl);
			return L7_ENOMEM;
		}
		uint64_t coff = 0, soff = 0;
		for (uint32_t k = 0; k < c->n_req; k++) {
			uint64_t x = l7sim_rng_below(&rng, wsum);
			uint32_t s = 0;
			while (x >= (c->weights ? c->weights[s] : 1u)) {
				x -= c->weights ? c->weights[s] : 1u;
				s++;
			}
			uint32_t size = c->sizes[s];
			int n = snprintf(reqs + coff, 64, "GET /obj/%u HTTP/1.1\r\nHost: sim\r\n\r\n", size);
			w->req[k].off = coff;
			w->req[k].len = (uint64_t)n;
			w->req[k].wait_resp = k;
			coff += (uint64_t)n;
			char head[96];
			w->resp[k].off = soff;
			w->resp[k].len = (uint64_t)head_text(head, sizeof(head), size) + size;
			w->resp[k].wait_resp = size; /* responses: generated body size */
			soff += w->resp[k].len;
		}
		w->c2s = (uint8_t *)reqs;
		w->c2s_len = coff;
		w->s2c_len = soff;
		w->flags = L7SIM_WL_HTTP_FRAMED;
		wl->bytes_held += coff;
	}
	return 0;
}
