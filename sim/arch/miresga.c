/*
 * miresga.c — the Miresga hybrid L7 load balancer (and, with one flag, the
 * switch-only design it is compared with), built from the library:
 *
 *   clients <-> [switch: the library's pipeline running
 *                l7_pipeline_prog_miresga(), with its control channel]
 *           <-> front-end servers (the library's splice engine on the
 *               front-end CPU model: parse with the HTTP parser, route with
 *               the router)
 *           <-> back-end agents (l7_splice_xlate_c2s/s2c with records the
 *               front-end exported) <-> back-end servers.
 *
 * What each part does (docs/models.md "Miresga" has the why and sources):
 *  - Client SYNs are answered at the switch, with no front-end CPU: the
 *    reply is the splice engine's stateless SYN cookie (a cookie-only
 *    engine instance sharing the front-ends' cookie key), because the
 *    front-end engine validates the client's ACK by that cookie; the
 *    program's own SYN-ACK (CRC32 ISN) would not be accepted by it.
 *  - Every other packet runs through the real Miresga program: client
 *    packets go to the front-end of CRC8(client tuple); offloaded client
 *    pure ACKs go to the back-end; back-end packets of offloaded
 *    connections go straight to the client (src rewritten to the VIP).
 *  - VIPs: every distinct server address:port of the workload is one
 *    (IPv4 only). One VIP: the program exactly as Miresga's code has it.
 *    Several: the program's VIP table holds them and a d_index names a
 *    (back-end, VIP) pair (d_index()), so an offloaded connection's
 *    responses are re-addressed from its own VIP; the splice engines
 *    serve any destination already.
 *  - The front-end's engine splices transparently (the back-end sees the
 *    client's tuple, as the program's dip/offload lookups need). When a
 *    connection is offloaded (route hint "always", or "min_response_bytes"
 *    / the size threshold once the response head shows Content-Length),
 *    the front-end exports the record; after handoff_ns the back-end's
 *    agent holds it and translates that connection's back-end -> client
 *    packets (and client pure ACKs that the switch sends it); only then
 *    is the switch entry queued in the front-end's entry controller
 *    (40 adds + 40 deletes per 100 us tick, Miresga's entry_controller),
 *    submitted through the pipeline's control channel, and visible at the
 *    time the channel says. Until then the packets keep taking the
 *    front-end path: the front-end forwards agent-translated packets with
 *    only the source rewritten to the VIP, and translates the others.
 *  - FIN and RST always reach the front-end (the program sends them
 *    there); the agent leaves them untranslated so the engine sees the
 *    close; the front-end then queues the delete, and the agent drops the
 *    record when the delete has been applied After a FIN the agent sends the pure
 *    ACKs of both sides to the front-end too, so the engine sees the
 *    close complete (closing_ack()).
 *  - Optional X-Forwarded-For (params.xff): the front-end's route adds
 *    l7_http_rewrite_xff() edits as splice insertions; the engine and the
 *    exported records shift sequence numbers by them.
 *    Until a back-end packet acknowledges every inserted byte, its agent
 *    flags it for the front-end (whose engine alone can resend them) and
 *    the switch sends it there even with a live entry.
 *  - Keep-alive: every request is routed; when the router picks another
 *    back-end for a connection not offloaded (params.resplice), the route
 *    waits (ROUTE_WAIT) until the front-end has seen every earlier
 *    response complete on its way to the client (it frames them with the
 *    library's response parser), then resumes and the engine re-splices.
 *    The new leg's SYN carries pkt->first_req (model plumbing) so the
 *    server model serves it from that request on.
 *  - Switch-only (the prior design): every connection gets an entry when
 *    its back-end leg is up, and the data the front-end (here: the
 *    switch's control-plane CPU) would send to the back-end waits until
 *    the entry is visible, so the insertion rate and the table bind.
 *
 * Model marks: the switch marks client pure ACKs it sends to a back-end
 * (the agent must translate them) and the agent marks what it translated
 * (the front-end must not translate it twice), in pkt->aux. In a real
 * deployment the addresses tell them apart; here it is bookkeeping only.
 *
 * Invariants: no allocation after create except packet buffers from the
 * pool; every pkt is forwarded or freed exactly once; the result is a pure
 * function of (workload, config, params, seed).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l7splice/http.h"
#include "l7splice/pipeline.h"
#include "l7splice/route.h"
#include "l7splice/splice.h"
#include "arch/arch.h"
#include "arch/frontend_cpu.h"
#include "arch/miresga.h"
#include "engine/rng.h"
#include "models/server.h"
#include "report/hist.h"

#define EV_SW_OUT 50    /* obj = pkt, arg = egress port */
#define EV_TICK 51      /* obj = fe: entry-controller tick */
#define EV_ADVANCE 52   /* obj = mrg: apply what the channel made due */
#define EV_HANDOFF 53   /* obj = fe, arg = gen << 32 | conn */
#define EV_SPL_TICK 54  /* obj = fe: splice engine timers */

#define PORT_CLIENT 1
#define PORT_FE0 16
#define MAX_FE 48
#define PORT_BE0 64
#define MAX_BE 256
#define MAX_VIP 255     /* vip_lookup_table: the VIPs + the switch endpoint */
#define N_DINDEX 256    /* 8-bit d_index: (back-end, VIP) pairs */
#define N_PORTS 512

#define MARK_C2S 0x4d524731u   /* client pure ACK sent to an agent by the switch */
#define MARK_XLATED 0x4d524732u /* translated by an agent */
#define MARK_TO_FE 0x4d524800u  /* | FE index: an agent left it for that FE */
#define MARK_XLATED_V 0x4d530000u /* | VIP index >= 1: translated by an agent */

#define COOKIE_DEL (1ull << 63)
#define SPL_TICK_NS 250000000ull /* splice engine timers; re-splice give-up */

enum { ENT_NONE = 0, ENT_QUEUED, ENT_SUBMITTED, ENT_LIVE, ENT_REJECTED, ENT_DELETED };

struct mrg;
struct mrg_fe;
struct sw_ctx;

struct mrg_in {               /* a switch port's input */
	struct l7sim_node node;   /* first */
	struct mrg *m;
	uint16_t port;
};

struct mrg_slot {
	uint64_t key;             /* client ip << 16 | port; 0 = empty */
	uint32_t fe;              /* the connection's front-end */
	uint8_t fin_seen;         /* a FIN passed, either way: closing */
	struct l7_splice_record rec;
};

struct mrg_agent;
struct mrg_anode {
	struct l7sim_node node;   /* first */
	struct mrg_agent *a;
};

struct mrg_agent {
	struct mrg *m;
	uint32_t idx;
	struct mrg_anode from_sw, from_srv;
	struct l7sim_server srv;
	struct l7sim_link sw_to, to_sw; /* switch -> agent, agent -> switch */
	struct mrg_slot *slot;
	uint32_t mask, used, cap;
	struct l7_addr addr;
	uint16_t port;
	uint64_t ep_id;
	uint64_t xl_s2c, xl_c2s, no_record, suppressed, full, bad, to_fe;
};

/* Response tracking toward the client (re-splice needs "every earlier
 * response is complete"); RT_OFF once it cannot be followed. */
enum { RT_HEAD = 0, RT_BODY, RT_OFF };

struct mrg_mconn {
	uint64_t wl_id;
	uint32_t leg_first;       /* request index the current leg starts at */
	uint32_t resp_done;       /* responses seen complete toward the client */
	uint32_t wait_index;      /* request waiting for resp_done to reach it */
	uint32_t rt_next;         /* client-leg seq of the next response byte */
	uint32_t charged;         /* heads charged to the CPU (index + 1) */
	uint32_t xff_counted;     /* heads counted in xff_* (index + 1) */
	l7_time_ns wait_since_ns; /* when the waiting head first waited */
	uint8_t rt, rt_started, waiting;
	struct l7_http_body rbody;
	uint64_t min_bytes;       /* offload when the response is >= this */
	uint32_t cip;
	uint16_t cport, be, gen;
	uint8_t vi;               /* the connection's VIP (index in m->vip) */
	uint8_t want, check_resp, handed, ent, closing;
	struct l7sim_pkt *held_h, *held_t; /* switch-only: data waiting */
	struct l7_splice_record rec;
};

struct ent_req {
	uint32_t conn, cip;
	uint16_t cport, be, gen;
	l7_time_ns queued_ns;
	uint8_t vi;
};

struct ent_q {
	struct ent_req *r;
	uint32_t head, n, cap;
};

struct mrg_fe {
	struct mrg *m;
	uint32_t idx;
	struct l7sim_fe_cpu cpu;
	struct l7_splice *eng;
	struct l7sim_link to_sw, sw_to;
	struct mrg_in sw_in;      /* switch port of this FE */
	struct mrg_mconn *mc;
	uint32_t max_conns;
	struct ent_q addq, delq;
	uint8_t tick_armed, spl_armed;
	struct l7sim_pkt *cur;
	int cur_fwd;              /* 0 free, 1 forward, 2 held */
	uint32_t cur_conn;
	l7_time_ns now;
	uint64_t slow_s2c_bytes, relayed_xlated, heads, no_route, reroutes_kept;
	uint64_t xff_inserted, xff_failed, xff_skipped;
	uint64_t resplice_routes, resplice_waits, resp_untracked, resplice_gave_up;
	uint32_t resume_conn;     /* UINT32_MAX: none to resume after input */
	uint32_t n_waiting;       /* connections with waiting set (set_waiting()),
				   * so a splice tick skips give_up_waits() at once
				   * when none waits instead of reading every slot */
	uint32_t n_holding;       /* connections with held packets (hold()) */
	struct l7_http_rewrite rw; /* X-Forwarded-For edits; the engine copies
				    * the bytes when the route says GO */
};

struct mrg_stats {
	uint64_t syn_answered, parse_drops, pl_drops, no_port, fast_bytes, total_bytes;
	uint64_t adds, dels, table_full, chan_full, apply_errors, aged, resp_heads;
	uint64_t offloaded, held_pkts, pending, pending_peak, table_peak;
};

struct mrg {
	struct l7sim_world *w;
	const struct l7sim_config *cfg;
	struct l7sim_miresga_params prm;
	int so;                   /* switch-only */
	struct l7_pipeline *pl;
	struct l7_pl_miresga ids;
	struct l7_pl_miresga_opts o;
	struct mrg_in in_client;
	struct l7sim_node *port_out[N_PORTS];
	struct mrg_fe *fe;
	uint32_t n_fe;
	struct mrg_agent *ag;
	uint32_t n_ag;
	struct mrg_in **be_in;    /* switch port inputs of the back-ends */
	struct l7_splice *syn_eng;
	struct sw_ctx *syn_cur;
	uint32_t vip[MAX_VIP];    /* each captured server address:port is a VIP;
				   * vip[0] is the program's compiled-in one */
	uint16_t vport[MAX_VIP];
	uint32_t n_vip;
	struct l7sim_rng rng;
	l7_time_ns now;
	struct l7sim_hist ins_delay;
	struct mrg_stats st;
	struct l7sim_counters ctr;
};

const struct l7sim_miresga_params *l7sim_miresga_override;

/* The sourced defaults (miresga.h) when cfg is NULL; otherwise the
 * configuration's miresga.* keys, whose defaults are the same values
 * (docs/config.md), with "auto" costs derived from frontend.relay_pkt_ns. */
void l7sim_miresga_params_default(struct l7sim_miresga_params *p, const struct l7sim_config *cfg)
{
	memset(p, 0, sizeof(*p));
	p->frontends = 1;
	p->table_entries = 143360;
	p->tick_ns = 100000;
	p->batch_adds = 40;
	p->batch_dels = 40;
	p->ctl_entries_per_s = 100000.0;
	p->ctl_batch_fixed_ns = 20000;
	p->ctl_latency_ns = 50000;
	p->pass_latency_ns = 1000;
	p->handoff_ns = 0;
	p->agent_records = 102400;
	p->offload_min_bytes = 0;
	p->fe_setup_ns = 0;
	p->fe_relay_byte_ns = 0.0;
	p->fe_relay_pkt_ns = 0;
	p->xff = 0;
	p->resplice = 1;
	if (!cfg)
		return;
	p->frontends = cfg->miresga.frontends;
	p->table_entries = cfg->miresga.table_entries;
	p->tick_ns = cfg->miresga.tick_ns;
	p->batch_adds = cfg->miresga.batch_adds;
	p->batch_dels = cfg->miresga.batch_dels;
	p->ctl_entries_per_s = cfg->miresga.ctl_entries_per_s;
	p->ctl_batch_fixed_ns = cfg->miresga.ctl_batch_fixed_ns;
	p->ctl_latency_ns = cfg->miresga.ctl_latency_ns;
	p->pass_latency_ns = cfg->miresga.pass_latency_ns;
	p->handoff_ns = cfg->miresga.handoff_ns;
	p->agent_records = cfg->miresga.agent_records;
	p->offload_min_bytes = cfg->miresga.offload_min_bytes;
	p->fe_setup_ns = cfg->miresga.fe_setup_ns == L7SIM_CFG_AUTO ?
			 2 * cfg->frontend.relay_pkt_ns : cfg->miresga.fe_setup_ns;
	p->fe_relay_byte_ns = cfg->miresga.fe_relay_byte_ns;
	p->fe_relay_pkt_ns = cfg->miresga.fe_relay_pkt_ns == L7SIM_CFG_AUTO ?
			     cfg->frontend.relay_pkt_ns : cfg->miresga.fe_relay_pkt_ns;
	p->xff = (uint8_t)(cfg->miresga.xff != 0);
	p->resplice = (uint8_t)(cfg->miresga.resplice != 0);
}

/* ------------------------------------------------------------ helpers */

static int parse(struct l7sim_pkt *p, struct l7_pkt *v)
{
	return l7_pkt_parse(v, p->data, p->len, L7_LINKTYPE_ETHERNET) == 0 && v->proto == 6 &&
	       v->ip_version == 4;
}

static uint64_t tuple_key(uint32_t ip, uint16_t port)
{
	return ((uint64_t)ip << 16) | port | (1ull << 63);
}

/* Index of the VIP ip:port, or -1. */
static int vip_index(const struct mrg *m, uint32_t ip, uint16_t port)
{
	for (uint32_t i = 0; i < m->n_vip; i++)
		if (m->vip[i] == ip && m->vport[i] == port)
			return (int)i;
	return -1;
}

/* The switch's d_index of a (back-end, VIP) pair: the back-end's index
 * when there is one VIP, as in Miresga's d_index.json. */
static uint32_t d_index(const struct mrg *m, uint32_t be, uint32_t vi)
{
	return be * m->n_vip + vi;
}

/* Rewrite an IPv4/TCP packet's source address and port, checksums kept. */
static void set_src(uint8_t *f, const struct l7_pkt *v, uint32_t ip, uint16_t port)
{
	uint8_t *ih = f + v->l3_off, *th = f + v->l4_off;
	uint32_t oip = l7_get_be32(ih + 12);
	uint16_t oport = l7_get_be16(th);
	l7_put_be16(ih + 10, l7_csum_update32(l7_get_be16(ih + 10), oip, ip));
	uint16_t c = l7_get_be16(th + 16);
	c = l7_csum_update32(c, oip, ip);
	c = l7_csum_update16(c, oport, port);
	l7_put_be32(ih + 12, ip);
	l7_put_be16(th, port);
	l7_put_be16(th + 16, c);
}

/* The same for the destination. */
static void set_dst(uint8_t *f, const struct l7_pkt *v, uint32_t ip, uint16_t port)
{
	uint8_t *ih = f + v->l3_off, *th = f + v->l4_off;
	uint32_t oip = l7_get_be32(ih + 16);
	uint16_t oport = l7_get_be16(th + 2);
	l7_put_be16(ih + 10, l7_csum_update32(l7_get_be16(ih + 10), oip, ip));
	uint16_t c = l7_get_be16(th + 16);
	c = l7_csum_update32(c, oip, ip);
	c = l7_csum_update16(c, oport, port);
	l7_put_be32(ih + 16, ip);
	l7_put_be16(th + 2, port);
	l7_put_be16(th + 16, c);
}

static void note_pending(struct mrg *m, int d)
{
	m->st.pending = (uint64_t)((int64_t)m->st.pending + d);
	if (m->st.pending > m->st.pending_peak)
		m->st.pending_peak = m->st.pending;
	if (m->w->series)
		l7sim_series_add(m->w->series, m->now, L7SIM_COL_INSERT_BACKLOG, m->st.pending);
}

/* ------------------------------------------------------------ agent table */

static struct mrg_slot *agent_find(struct mrg_agent *a, uint64_t key)
{
	for (uint32_t i = (uint32_t)(key * 0x9e3779b97f4a7c15ull >> 32) & a->mask;;
	     i = (i + 1) & a->mask) {
		if (a->slot[i].key == key)
			return &a->slot[i];
		if (!a->slot[i].key)
			return NULL;
	}
}

static void agent_put(struct mrg_agent *a, uint64_t key, const struct l7_splice_record *r,
		      uint32_t fe)
{
	struct mrg_slot *s = agent_find(a, key);
	if (!s) {
		if (a->used >= a->cap) {
			a->full++;
			return;
		}
		uint32_t i = (uint32_t)(key * 0x9e3779b97f4a7c15ull >> 32) & a->mask;
		while (a->slot[i].key)
			i = (i + 1) & a->mask;
		s = &a->slot[i];
		s->key = key;
		a->used++;
	}
	s->rec = *r;
	s->fe = fe;
	s->fin_seen = 0;
}

/* Linear-probing delete with backward shift (no tombstones). */
static void agent_del(struct mrg_agent *a, uint64_t key)
{
	struct mrg_slot *s = agent_find(a, key);
	if (!s)
		return;
	uint32_t i = (uint32_t)(s - a->slot);
	a->slot[i].key = 0;
	a->used--;
	for (uint32_t j = (i + 1) & a->mask; a->slot[j].key; j = (j + 1) & a->mask) {
		uint32_t home = (uint32_t)(a->slot[j].key * 0x9e3779b97f4a7c15ull >> 32) & a->mask;
		/* move j back to i if its home is not in (i, j] cyclically */
		int in_range = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!in_range) {
			a->slot[i] = a->slot[j];
			a->slot[j].key = 0;
			i = j;
		}
	}
}

/* A FIN of a connection with a record passed the agent (either way). */
static void agent_note_fin(struct mrg_agent *a, const struct l7_pkt *v, uint32_t ip, uint16_t port)
{
	struct mrg_slot *s;
	if (a->used && (v->tcp_flags & L7_TCP_FIN) && (s = agent_find(a, tuple_key(ip, port))))
		s->fin_seen = 1;
}

/*
 * Closing: once a FIN has passed, the front-end's engine must see the
 * pure ACKs of both sides, or it never sees the close complete (the last
 * ACK took the entry, which is only being deleted) and keeps the
 * connection until its idle timeout (300 s), then resets both sides of a
 * connection that had closed cleanly (issue #7). So the agent sends them
 * to the front-end untranslated: the back-end's through the switch (as
 * with unacknowledged insertion points), the client's back up to the
 * switch, which sends it on to the front-end. Data keeps the fast path.
 */
static int closing_ack(const struct mrg_slot *s, const struct l7_pkt *v)
{
	return s->fin_seen && !v->payload_len;
}

static void agent_from_sw(struct l7sim_node *self, struct l7sim_pkt *p, l7_time_ns now)
{
	struct mrg_agent *a = ((struct mrg_anode *)self)->a;
	if (p->aux != MARK_C2S) {
		struct l7_pkt v;
		if (parse(p, &v))
			agent_note_fin(a, &v, l7_addr_v4(&v.src), v.sport);
	} else {
		struct l7_pkt v;
		p->aux = 0;
		struct mrg_slot *s = NULL;
		if (parse(p, &v))
			s = agent_find(a, tuple_key(l7_addr_v4(&v.src), v.sport));
		if (s && closing_ack(s, &v)) {
			/* the switch addressed it to the back-end: back to the VIP */
			set_dst(p->data, &v, l7_addr_v4(&s->rec.vip), s->rec.vip_port);
			p->aux = MARK_TO_FE | s->fe;
			a->to_fe++;
			l7sim_link_send(&a->to_sw, p);
			return;
		}
		if (!s || l7_splice_xlate_c2s(&s->rec, &v, p->data) != L7_SPLICE_XLATE_OK) {
			if (s)
				a->bad++;
			else
				a->no_record++;
			l7sim_pkt_free(a->m->w->pool, p);
			return;
		}
		a->xl_c2s++;
	}
	l7sim_node_send(&a->srv.node, p, now);
}

/* 1 while a back-end packet does not acknowledge every inserted byte of
 * the record's insertion points. The front-end's engine owns their
 * reliable delivery (it holds the bytes, counts the duplicate ACKs in
 * front of a point and resends them, and retires a point once it is
 * acknowledged), so until then the back-end's packets must reach it, not
 * go straight to the client: a lost inserted segment (X-Forwarded-For)
 * was otherwise never resent once the entry was live (issue #7). */
static int points_unacked(const struct l7_splice_record *r, const struct l7_pkt *v)
{
	enum l7_splice_ack_case k;
	int pt;
	if (!r->n_points)
		return 0;
	if (!(v->tcp_flags & L7_TCP_ACK))
		return 1;
	(void)l7_splice_map_ack(r, v->tcp_ack, &k, &pt);
	return k != L7_SPLICE_ACK_BEYOND && k != L7_SPLICE_ACK_NOPOINT;
}

static void agent_from_srv(struct l7sim_node *self, struct l7sim_pkt *p, l7_time_ns now)
{
	struct mrg_agent *a = ((struct mrg_anode *)self)->a;
	struct l7_pkt v;
	(void)now;
	p->aux = 0;
	if (a->used && parse(p, &v))
		agent_note_fin(a, &v, l7_addr_v4(&v.dst), v.dport);
	if (a->used && parse(p, &v) &&
	    !(v.tcp_flags & (L7_TCP_SYN | L7_TCP_FIN | L7_TCP_RST))) {
		struct mrg_slot *s = agent_find(a, tuple_key(l7_addr_v4(&v.dst), v.dport));
		if (s && (points_unacked(&s->rec, &v) || closing_ack(s, &v))) {
			/* the front-end's engine must see it (see above) */
			p->aux = MARK_TO_FE | s->fe;
			a->to_fe++;
		} else if (s) {
			int retx = -1;
			int rc = l7_splice_xlate_s2c(&s->rec, &v, p->data, &retx);
			if (rc == L7_SPLICE_XLATE_SUPPRESS) {
				a->suppressed++;
				l7sim_pkt_free(a->m->w->pool, p);
				return;
			}
			if (rc >= 0) {
				/* the switch rewrites the source to the VIP (Miresga's
				 * split: sequence state on the agent, addresses on the
				 * switch), so it must still see the back-end's */
				set_src(p->data, &v, l7_addr_v4(&a->addr), a->port);
				int vi = vip_index(a->m, l7_addr_v4(&s->rec.vip), s->rec.vip_port);
				p->aux = vi > 0 ? MARK_XLATED_V | (uint32_t)vi : MARK_XLATED;
				a->xl_s2c++;
			} else {
				a->bad++;
			}
		}
	}
	l7sim_link_send(&a->to_sw, p);
}

/* ------------------------------------------------------------ switch */

struct sw_ctx {
	struct mrg *m;
	struct l7sim_pkt *reply;
	uint64_t conn_id;
};

static void syn_emit(void *user, const struct l7_splice_out *out)
{
	struct mrg *m = user;
	struct sw_ctx *x = m->syn_cur;
	if (!x || x->reply || out->side != L7_SPLICE_TO_CLIENT)
		return;
	struct l7sim_pkt *np = l7sim_pkt_alloc(m->w->pool, m->now, x->conn_id);
	size_t ip_len = out->len - out->l3_off;
	if (!np || 14 + ip_len > L7SIM_PKT_DATA_BYTES) {
		if (np)
			l7sim_pkt_free(m->w->pool, np);
		return;
	}
	memset(np->data, 0, 12);
	np->data[0] = 0x02;
	np->data[6] = 0x02;
	np->data[11] = 1;
	l7_put_be16(np->data + 12, 0x0800);
	memcpy(np->data + 14, out->frame + out->l3_off, ip_len);
	np->len = (uint32_t)(14 + ip_len);
	x->reply = np;
}

static void sw_send(struct mrg *m, struct l7sim_pkt *p, uint16_t port, l7_time_ns delay)
{
	if (l7sim_engine_after(m->w->eng, delay, EV_SW_OUT, p,
			       (uint64_t)(uintptr_t)m->port_out[port], NULL) < 0) {
		m->st.pl_drops++;
		l7sim_pkt_free(m->w->pool, p);
	}
}

static void sw_rx(struct l7sim_node *self, struct l7sim_pkt *p, l7_time_ns now)
{
	struct mrg_in *in = (struct mrg_in *)self;
	struct mrg *m = in->m;
	struct l7_pkt v;
	m->now = now;
	if (!parse(p, &v)) {
		m->st.parse_drops++;
		l7sim_pkt_free(m->w->pool, p);
		return;
	}
	if (in->port == PORT_CLIENT &&
	    (v.tcp_flags & (L7_TCP_SYN | L7_TCP_ACK | L7_TCP_RST)) == L7_TCP_SYN &&
	    vip_index(m, l7_addr_v4(&v.dst), v.dport) >= 0) {
		struct sw_ctx x = { m, NULL, p->conn_id };
		/* the cookie engine is stateless: it only answers */
		m->syn_cur = &x;
		(void)l7_splice_input(m->syn_eng, p->data, p->len, L7_LINKTYPE_ETHERNET, now);
		m->syn_cur = NULL;
		l7sim_pkt_free(m->w->pool, p);
		if (x.reply) {
			m->st.syn_answered++;
			sw_send(m, x.reply, PORT_CLIENT, m->prm.pass_latency_ns);
		}
		return;
	}
	if (in->port == PORT_CLIENT)
		m->st.total_bytes += v.payload_len;
	else if (in->port >= PORT_BE0)
		m->st.total_bytes += v.payload_len;
	if (in->port >= PORT_BE0 && (p->aux & ~0xffu) == MARK_TO_FE &&
	    (p->aux & 0xffu) < m->n_fe) {
		/* the agent flagged it for the front-end (insertion points not
		 * yet acknowledged): the program's path for a back-end FIN or
		 * RST, to the front-end unchanged, whatever the entry says */
		uint16_t port = (uint16_t)(PORT_FE0 + (p->aux & 0xffu));
		p->aux = 0;
		sw_send(m, p, port, m->prm.pass_latency_ns);
		return;
	}
	struct l7_pl_result res;
	if (l7_pipeline_process(m->pl, p->data, p->len, L7SIM_PKT_DATA_BYTES, in->port, now,
				&res) < 0 || res.dropped || res.to_cpu || res.err) {
		m->st.pl_drops++;
		l7sim_pkt_free(m->w->pool, p);
		return;
	}
	uint16_t eg = res.egress_port;
	if (eg >= N_PORTS || !m->port_out[eg]) {
		m->st.no_port++;
		l7sim_pkt_free(m->w->pool, p);
		return;
	}
	p->len = res.frame_len;
	if (in->port == PORT_CLIENT && eg >= PORT_BE0) {
		p->aux = MARK_C2S;
	} else if (eg == PORT_CLIENT) {
		if (in->port >= PORT_BE0) {
			m->st.fast_bytes += v.payload_len;
			if (m->w->series)
				l7sim_series_add(m->w->series, now, L7SIM_COL_FAST_PATH_BYTES,
						 v.payload_len);
		}
		p->aux = 0;
	}
	sw_send(m, p, eg, res.latency_ns);
}

static void sw_out_ev(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	/* arg: the egress port's node, checked when the packet was scheduled */
	l7sim_node_send((struct l7sim_node *)(uintptr_t)arg, obj, l7sim_engine_now(e));
}

/* ------------------------------------------------------------ entry controller */

static int q_push(struct ent_q *q, const struct ent_req *r)
{
	if (q->n == q->cap)
		return L7_EFULL;
	q->r[(q->head + q->n) % q->cap] = *r;
	q->n++;
	return 0;
}

static void arm_tick(struct mrg_fe *fe, l7_time_ns now)
{
	struct mrg *m = fe->m;
	if (fe->tick_armed)
		return;
	l7_time_ns t = (now / m->prm.tick_ns + 1) * m->prm.tick_ns;
	if (l7sim_engine_at(m->w->eng, t, EV_TICK, fe, 0, NULL) == 0)
		fe->tick_armed = 1;
}

static void release_held(struct mrg_fe *fe, struct mrg_mconn *c)
{
	if (c->held_h)
		fe->n_holding--;
	while (c->held_h) {
		struct l7sim_pkt *p = c->held_h;
		c->held_h = p->next;
		p->next = NULL;
		l7sim_link_send(&fe->to_sw, p);
	}
	c->held_t = NULL;
}

static void set_ent(struct mrg_fe *fe, uint32_t conn, uint16_t gen, uint8_t ent)
{
	struct mrg_mconn *c = &fe->mc[conn];
	if (c->gen != gen)
		return;
	if (c->ent == ENT_DELETED && ent != ENT_NONE)
		return;
	c->ent = ent;
	if (ent == ENT_LIVE || ent == ENT_REJECTED)
		release_held(fe, c);
}

static void fill_entry(struct mrg *m, struct l7_pl_req *q, int op, const struct ent_req *r)
{
	memset(q, 0, sizeof(*q));
	q->op = (uint8_t)op;
	q->table = m->ids.t_oft;
	q->entry.value[0] = r->cip;
	q->entry.value[1] = r->cport;
	q->entry.action = m->ids.a_oft_hit;
	q->entry.params[0] = d_index(m, r->be, r->vi);
}

static void ev_tick(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	struct mrg_fe *fe = obj;
	struct mrg *m = fe->m;
	struct l7_pl_req reqs[2 * 256];
	struct ent_req meta[2 * 256];
	int status[2 * 256];
	unsigned n = 0, na = 0;
	(void)arg;
	l7_time_ns now = l7sim_engine_now(e);
	m->now = now;
	fe->tick_armed = 0;
	/* adds then deletes in one message, as Miresga's controller applies them */
	for (uint32_t i = 0; i < fe->addq.n && na < m->prm.batch_adds; i++) {
		const struct ent_req *r = &fe->addq.r[(fe->addq.head + i) % fe->addq.cap];
		meta[n] = *r;
		fill_entry(m, &reqs[n], L7_PL_REQ_ADD, r);
		reqs[n].cookie = ((uint64_t)fe->idx << 48) | ((uint64_t)r->gen << 32) | r->conn;
		n++;
		na++;
	}
	unsigned nd = 0;
	for (uint32_t i = 0; i < fe->delq.n && nd < m->prm.batch_dels; i++) {
		const struct ent_req *r = &fe->delq.r[(fe->delq.head + i) % fe->delq.cap];
		meta[n] = *r;
		fill_entry(m, &reqs[n], L7_PL_REQ_DELETE, r);
		reqs[n].cookie = COOKIE_DEL | ((uint64_t)r->be << 32);
		n++;
		nd++;
	}
	if (!n)
		return;
	l7_time_ns vis = 0;
	int rc = l7_pipeline_submit(m->pl, reqs, n, now, status, &vis);
	if (rc == L7_ECHANNELFULL) {
		m->st.chan_full++;
		arm_tick(fe, now);
		return;
	}
	fe->addq.head = (fe->addq.head + na) % fe->addq.cap;
	fe->addq.n -= na;
	fe->delq.head = (fe->delq.head + nd) % fe->delq.cap;
	fe->delq.n -= nd;
	for (unsigned i = 0; i < n; i++) {
		int is_add = i < na;
		if (rc < 0 || status[i] < 0) {
			/* refused at once (table full counts queued adds): the
			 * connection stays on the front-end path */
			if (is_add) {
				m->st.table_full++;
				set_ent(fe, meta[i].conn, meta[i].gen, ENT_REJECTED);
			} else {
				agent_del(&m->ag[meta[i].be], tuple_key(meta[i].cip, meta[i].cport));
			}
			note_pending(m, -1);
			continue;
		}
		if (is_add) {
			m->st.adds++;
			set_ent(fe, meta[i].conn, meta[i].gen, ENT_SUBMITTED);
			l7sim_hist_record(&m->ins_delay, vis - meta[i].queued_ns);
		} else {
			m->st.dels++;
		}
	}
	if (rc == 0)
		(void)l7sim_engine_at(e, vis, EV_ADVANCE, m, 0, NULL);
	if (fe->addq.n || fe->delq.n)
		arm_tick(fe, now);
}

static void ev_advance(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	struct mrg *m = obj;
	struct l7_pl_event ev;
	(void)arg;
	l7_time_ns now = l7sim_engine_now(e);
	m->now = now;
	(void)l7_pipeline_advance(m->pl, now);
	while (l7_pipeline_poll(m->pl, &ev) == 1) {
		if (ev.kind == L7_PL_EV_AGED) {
			m->st.aged++;
			continue;
		}
		if (ev.kind != L7_PL_EV_APPLIED)
			continue;
		note_pending(m, -1);
		if (ev.status)
			m->st.apply_errors++;
		if (ev.cookie & COOKIE_DEL) {
			uint32_t be = (uint32_t)(ev.cookie >> 32) & 0xffff;
			if (be < m->n_ag)
				agent_del(&m->ag[be], tuple_key((uint32_t)ev.key_values[0],
								(uint16_t)ev.key_values[1]));
		} else {
			uint32_t fi = (uint32_t)(ev.cookie >> 48) & 0x7fff;
			if (fi < m->n_fe)
				set_ent(&m->fe[fi], (uint32_t)ev.cookie, (uint16_t)(ev.cookie >> 32),
					ev.status ? ENT_REJECTED : ENT_LIVE);
		}
	}
	uint64_t cnt = l7_pipeline_table_count(m->pl, m->ids.t_oft);
	if (cnt > m->st.table_peak)
		m->st.table_peak = cnt;
	if (m->w->series)
		l7sim_series_add(m->w->series, now, L7SIM_COL_TABLE_ENTRIES, cnt);
}

/* ------------------------------------------------------------ front-end */

static void enqueue_add(struct mrg_fe *fe, uint32_t conn, l7_time_ns now)
{
	struct mrg *m = fe->m;
	struct mrg_mconn *c = &fe->mc[conn];
	struct ent_req r = { conn, c->cip, c->cport, c->be, c->gen, now, c->vi };
	if (q_push(&fe->addq, &r) < 0) {
		m->st.table_full++;
		c->ent = ENT_REJECTED;
		release_held(fe, c);
		return;
	}
	c->ent = ENT_QUEUED;
	note_pending(m, 1);
	arm_tick(fe, now);
}

static void ev_handoff(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	struct mrg_fe *fe = obj;
	struct mrg *m = fe->m;
	uint32_t conn = (uint32_t)arg;
	struct mrg_mconn *c = &fe->mc[conn];
	m->now = l7sim_engine_now(e);
	if (c->gen != (uint16_t)(arg >> 32) || c->closing)
		return;
	agent_put(&m->ag[c->be], tuple_key(c->cip, c->cport), &c->rec, fe->idx);
	enqueue_add(fe, conn, m->now);
}

/* Offload now if it was decided and the back-end leg is up. */
static void maybe_offload(struct mrg_fe *fe, uint32_t conn)
{
	struct mrg *m = fe->m;
	struct mrg_mconn *c = &fe->mc[conn];
	if (!c->want || c->handed || c->closing)
		return;
	if (l7_splice_export(fe->eng, conn, &c->rec) < 0)
		return;
	c->handed = 1;
	m->st.offloaded++;
	uint64_t arg = ((uint64_t)c->gen << 32) | conn;
	if (l7sim_engine_after(m->w->eng, m->prm.handoff_ns, EV_HANDOFF, fe, arg, NULL) < 0)
		c->handed = 0;
}

/* FIN or RST seen by the front-end for a connection: undo its offload. */
static void conn_closing(struct mrg_fe *fe, uint32_t conn, l7_time_ns now)
{
	struct mrg *m = fe->m;
	struct mrg_mconn *c = &fe->mc[conn];
	if (c->closing)
		return;
	c->closing = 1;
	if (c->ent == ENT_QUEUED) {
		/* still in the add queue: drop it there (an add submitted after its
		 * delete would leave the entry behind for good) */
		for (uint32_t i = 0; i < fe->addq.n; i++) {
			struct ent_req *r = &fe->addq.r[(fe->addq.head + i) % fe->addq.cap];
			if (r->conn == conn && r->gen == c->gen) {
				for (uint32_t j = i; j + 1 < fe->addq.n; j++)
					fe->addq.r[(fe->addq.head + j) % fe->addq.cap] =
						fe->addq.r[(fe->addq.head + j + 1) % fe->addq.cap];
				fe->addq.n--;
				note_pending(m, -1);
				break;
			}
		}
		c->ent = ENT_DELETED;
		release_held(fe, c);
		if (c->handed)
			agent_del(&m->ag[c->be], tuple_key(c->cip, c->cport));
		return;
	}
	if (c->ent == ENT_SUBMITTED || c->ent == ENT_LIVE) {
		struct ent_req r = { conn, c->cip, c->cport, c->be, c->gen, now, c->vi };
		c->ent = ENT_DELETED;
		release_held(fe, c); /* switch-only: nothing waits for a deleted entry */
		if (q_push(&fe->delq, &r) == 0) {
			note_pending(m, 1);
			arm_tick(fe, now);
		}
		return;
	}
	/* no entry was asked for (or its handoff is still pending and will
	 * now refuse): nothing will release what waits, so send it now, ahead
	 * of the FIN that is being input */
	release_held(fe, c);
	if (c->handed)
		agent_del(&m->ag[c->be], tuple_key(c->cip, c->cport));
}

static int srv_of_pick(const struct mrg *m, const struct l7_endpoint_pick *p)
{
	for (uint32_t i = 0; i < m->n_ag; i++)
		if (m->ag[i].ep_id == p->id)
			return (int)i;
	return -1;
}

static int agent_of_addr(const struct mrg *m, const struct l7_addr *a, uint16_t port)
{
	for (uint32_t i = 0; i < m->n_ag; i++)
		if (!memcmp(m->ag[i].addr.b, a->b, 16) && m->ag[i].port == port)
			return (int)i;
	return -1;
}

/* X-Forwarded-For as splice insertions (the edits of a fresh head on a
 * request without one are insertions only). 0, or -1: sent unchanged. */
static int add_xff(const struct l7_splice_head *h, const struct l7_http_request *req,
		   struct l7_splice_route *r, struct l7_http_rewrite *rw)
{
	char addr[16];
	const uint8_t *ip = h->client_key->src + 12;
	snprintf(addr, sizeof(addr), "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
	l7_http_rewrite_init(rw, h->stream_off);
	if (l7_http_rewrite_xff(rw, &req->head, h->bytes, addr) < 0)
		return -1;
	for (uint16_t i = 0; i < rw->n_edits; i++)
		if (rw->edits[i].del_len || r->n_inserts + i >= L7_SPLICE_MAX_INSERTS)
			return -1;
	for (uint16_t i = 0; i < rw->n_edits; i++) {
		struct l7_splice_insert *in = &r->inserts[r->n_inserts++];
		in->stream_off = rw->stream_base + rw->edits[i].off;
		in->data = rw->store + rw->edits[i].ins_off;
		in->len = rw->edits[i].ins_len;
	}
	return 0;
}

/* Every change of c->waiting goes through here, keeping fe->n_waiting. */
static void set_waiting(struct mrg_fe *fe, struct mrg_mconn *c, uint8_t waiting)
{
	if (c->waiting == waiting)
		return;
	if (waiting)
		fe->n_waiting++;
	else
		fe->n_waiting--;
	c->waiting = waiting;
}

/* Parse and route one request head with the library (route callback). */
static enum l7_splice_verdict fe_route(void *user, const struct l7_splice_head *h,
				       struct l7_splice_route *r)
{
	struct mrg_fe *fe = user;
	struct mrg *m = fe->m;
	struct l7_http_parser hp;
	struct l7_http_request req;
	struct mrg_mconn *c = &fe->mc[h->conn_id];
	uint32_t cap = m->cfg->frontend.max_head_bytes;
	l7_http_parser_init(&hp, L7_HTTP_LENIENT_ALL, cap);
	int rc = l7_http_parse_request(&hp, &req, h->bytes, h->len);
	if (rc == L7_EAGAIN && h->len < cap && !h->fin)
		return L7_SPLICE_ROUTE_MORE;
	if (h->request_index == 0 && !h->has_backend) {
		uint16_t gen = (uint16_t)(c->gen + 1);
		set_waiting(fe, c, 0);
		/* The memset would lose packets still held (switch-only) from
		 * the pool. Every close that reaches fe_process() as a FIN or
		 * RST releases them (conn_closing()), and an entry is
		 * decided within the controller's queue delay, far below the
		 * engine's 300 s idle timeout; only an engine-side close with
		 * no FIN or RST seen (idle timeout after the client's retries
		 * and its aborting RST was lost, with an entry still pending,
		 * e.g. miresga.batch_adds 0) could leave some here. Not
		 * reproduced; release them here if it ever is. */
		memset(c, 0, offsetof(struct mrg_mconn, rec));
		c->gen = gen;
		c->wl_id = fe->cur ? fe->cur->conn_id : 0;
		c->cip = l7_get_be32(h->client_key->src + 12);
		c->cport = l7_get_be16(h->client_key->sport);
		int vi = vip_index(m, l7_get_be32(h->client_key->dst + 12),
				   l7_get_be16(h->client_key->dport));
		c->vi = (uint8_t)(vi > 0 ? vi : 0);
		if (m->so)
			l7sim_fe_cpu_charge(&fe->cpu, m->prm.fe_setup_ns);
	}
	fe->cur_conn = h->conn_id;
	if (h->request_index >= c->charged) {
		/* once per head: a waiting re-splice calls route again */
		c->charged = h->request_index + 1;
		l7sim_fe_cpu_charge(&fe->cpu, m->cfg->frontend.parse_route_ns);
		fe->heads++;
	}
	struct l7_route_header hdrs[L7_HTTP_MAX_HEADERS];
	struct l7_route_request rr;
	struct l7_route_match mt;
	int routed = rc == 0 &&
		     l7_route_request_from_http(&req, (const char *)h->bytes, hdrs,
						L7_HTTP_MAX_HEADERS, &rr) == 0 &&
		     l7_router_lookup(m->w->router, &rr, l7sim_rng_next(&m->rng), &mt) == 0;
	if (!routed) {
		fe->no_route++;
		return L7_SPLICE_ROUTE_REJECT;
	}
	memset(r, 0, sizeof(*r));
	r->snat = 0; /* transparent: the program keys back-end packets by the client */
	r->request_bytes = req.head.head_bytes;
	if (req.head.framing == L7_HTTP_BODY_LENGTH)
		r->request_bytes += req.head.content_length;
	else if (req.head.framing != L7_HTTP_BODY_NONE)
		r->request_bytes = 0;
	if (req.method == L7_HTTP_HEAD || req.method == L7_HTTP_CONNECT || req.head.upgrade)
		c->rt = RT_OFF; /* their responses are not framed by the head alone */
	if (h->has_backend) {
		int cur = agent_of_addr(m, &h->backend, h->backend_port);
		struct l7_lb_input in;
		struct l7_endpoint_pick pick;
		memset(&in, 0, sizeof(in));
		in.req = &rr;
		in.src_addr = h->client_key->src + 12;
		in.src_addr_len = 4;
		int i = -1;
		if (l7_cluster_pick(mt.cluster, &in, &pick) == 0) {
			i = srv_of_pick(m, &pick);
			(void)l7_cluster_release(mt.cluster, &pick);
		}
		int move = i >= 0 && i != cur && cur >= 0 && m->prm.resplice && !m->so &&
			   !c->handed && !c->want && c->rt != RT_OFF;
		if (move && c->resp_done < h->request_index) {
			/* the engine may only re-splice once the previous
			 * responses are complete: wait for them (fe_emit) */
			if (!c->waiting || c->wait_index != h->request_index) {
				fe->resplice_waits++;
				c->wait_since_ns = fe->now;
			}
			set_waiting(fe, c, 1);
			c->wait_index = h->request_index;
			return L7_SPLICE_ROUTE_WAIT;
		}
		set_waiting(fe, c, 0);
		if (move) {
			r->backend = m->ag[i].addr;
			r->backend_port = m->ag[i].port;
			c->be = (uint16_t)i;
			if (c->leg_first != h->request_index) {
				/* once per head (the engine may wait for the
				 * client's ACK and call route again) */
				c->leg_first = h->request_index;
				fe->resplice_routes++;
				l7sim_fe_cpu_charge(&fe->cpu, m->prm.fe_setup_ns);
			}
		} else {
			r->backend = h->backend;
			r->backend_port = h->backend_port;
			if (i != cur)
				fe->reroutes_kept++;
		}
	} else {
		struct l7_lb_input in;
		struct l7_endpoint_pick pick;
		memset(&in, 0, sizeof(in));
		in.req = &rr;
		in.src_addr = h->client_key->src + 12;
		in.src_addr_len = 4;
		int i;
		if (l7_cluster_pick(mt.cluster, &in, &pick) < 0 || (i = srv_of_pick(m, &pick)) < 0) {
			fe->no_route++;
			return L7_SPLICE_ROUTE_REJECT;
		}
		(void)l7_cluster_release(mt.cluster, &pick);
		r->backend = m->ag[i].addr;
		r->backend_port = m->ag[i].port;
		if (!h->has_backend || !c->handed)
			c->be = (uint16_t)i;
		if (!h->has_backend)
			l7sim_fe_cpu_charge(&fe->cpu, m->prm.fe_setup_ns);
	}
	if (m->prm.xff) {
		/* Once offloaded, later requests go unchanged: the agent's copy
		 * of the record cannot learn new insertion points, and the
		 * front-end no longer sees the back-end's ACKs that would
		 * retire them. */
		int rc_x = c->handed ? 1 : add_xff(h, &req, r, &fe->rw);
		if (h->request_index >= c->xff_counted) {
			/* the engine uses the last GO's insertions: count once */
			c->xff_counted = h->request_index + 1;
			if (rc_x > 0)
				fe->xff_skipped++;
			else if (rc_x == 0)
				fe->xff_inserted++;
			else
				fe->xff_failed++;
		}
	}
	if (m->so) {
		c->want = 1;
	} else if (mt.offload == L7_OFFLOAD_ALWAYS) {
		c->want = 1;
	} else if (mt.offload == L7_OFFLOAD_MIN_BYTES || m->prm.offload_min_bytes) {
		c->check_resp = 1;
		c->min_bytes = mt.offload == L7_OFFLOAD_MIN_BYTES ? mt.offload_min_response_bytes :
								  m->prm.offload_min_bytes;
	}
	return L7_SPLICE_ROUTE_GO;
}

/* A response head going to the client: offload if it is big enough. */
static void check_response(struct mrg_fe *fe, struct mrg_mconn *c, const struct l7_pkt *v)
{
	struct l7_http_parser hp;
	struct l7_http_response resp;
	c->check_resp = 0;
	if (!v->payload_len || v->payload_caplen < v->payload_len)
		return;
	/* the method only matters for HEAD / CONNECT, which never offload */
	l7_http_parser_init_response(&hp, L7_HTTP_LENIENT_ALL, 65535, L7_HTTP_GET);
	if (l7_http_parse_response(&hp, &resp, v->data + v->payload_off, v->payload_len) != 0)
		return;
	fe->m->st.resp_heads++;
	if (resp.head.framing == L7_HTTP_BODY_LENGTH && resp.head.content_length >= c->min_bytes)
		c->want = 1;
}

/* Follow the responses going to the client in one packet's payload:
 * count complete ones. A head split over packets, a gap, or a response
 * only the connection's close ends turns tracking off (no re-splice). */
static void track_resp(struct mrg_fe *fe, struct mrg_mconn *c, const struct l7_pkt *v)
{
	const uint8_t *d = v->data + v->payload_off;
	uint32_t len = v->payload_caplen < v->payload_len ? 0 : v->payload_len;
	if (c->rt == RT_OFF || !v->payload_len)
		return;
	if (!len || c->handed) {
		c->rt = RT_OFF;
		fe->resp_untracked++;
		return;
	}
	if (!c->rt_started) {
		c->rt_started = 1;
		c->rt_next = v->tcp_seq;
	}
	if (l7_seq_after(v->tcp_seq, c->rt_next)) {
		c->rt = RT_OFF; /* a gap: bytes we did not see */
		fe->resp_untracked++;
		return;
	}
	uint32_t skip = c->rt_next - v->tcp_seq; /* retransmitted front part */
	if (skip >= len)
		return; /* all retransmitted */
	d += skip;
	len -= skip;
	c->rt_next += len;
	while (len && c->rt != RT_OFF) {
		if (c->rt == RT_HEAD) {
			struct l7_http_parser hp;
			struct l7_http_response resp;
			l7_http_parser_init_response(&hp, L7_HTTP_LENIENT_ALL, 65535, L7_HTTP_GET);
			if (l7_http_parse_response(&hp, &resp, d, len) != 0 ||
			    resp.head.framing == L7_HTTP_BODY_CLOSE || resp.status == 101) {
				c->rt = RT_OFF;
				fe->resp_untracked++;
				return;
			}
			d += resp.head.head_bytes;
			len -= resp.head.head_bytes;
			if (resp.status < 200)
				continue; /* interim: the final response follows */
			l7_http_body_init(&c->rbody, &resp.head, L7_HTTP_LENIENT_ALL);
			if (resp.head.framing == L7_HTTP_BODY_NONE ||
			    (resp.head.framing == L7_HTTP_BODY_LENGTH && !resp.head.content_length))
				c->resp_done++;
			else
				c->rt = RT_BODY;
		} else {
			size_t used = 0;
			struct l7_http_span pl;
			int rc = l7_http_body_feed(&c->rbody, d, len, &used, &pl);
			if (rc == 0) {
				c->resp_done++;
				c->rt = RT_HEAD;
			} else if (rc != L7_EAGAIN || !used) {
				if (rc != L7_EAGAIN) {
					c->rt = RT_OFF;
					fe->resp_untracked++;
				}
				return;
			}
			d += used;
			len -= (uint32_t)used;
		}
	}
	if (c->waiting && c->resp_done >= c->wait_index)
		fe->resume_conn = (uint32_t)(c - fe->mc);
}

/* Switch-only: does this packet to the back-end wait for the entry? Not
 * once the connection is closing: maybe_offload() and ev_handoff() then
 * refuse, so no entry would ever come to release it (a client FIN right
 * after its request, before the back-end leg is up, used to strand the
 * request and the ACK of the back-end's SYN-ACK: issue #7). */
static int hold_it(const struct mrg *m, const struct mrg_mconn *c, uint16_t flags)
{
	return m->so && !c->closing && !(flags & (L7_TCP_SYN | L7_TCP_RST)) &&
	       (c->ent == ENT_QUEUED || c->ent == ENT_SUBMITTED || (c->want && !c->handed) ||
		(c->handed && c->ent == ENT_NONE));
}

static void hold(struct mrg_fe *fe, struct mrg_mconn *c, struct l7sim_pkt *p)
{
	p->next = NULL;
	if (c->held_t) {
		c->held_t->next = p;
	} else {
		c->held_h = p;
		fe->n_holding++;
	}
	c->held_t = p;
}

static void fe_emit(void *user, const struct l7_splice_out *out)
{
	struct mrg_fe *fe = user;
	struct mrg *m = fe->m;
	struct mrg_mconn *c = out->conn_id < fe->max_conns ? &fe->mc[out->conn_id] : NULL;
	if (c)
		fe->cur_conn = out->conn_id;
	if (!out->built && fe->cur) {
		struct l7_pkt v;
		int ok = parse(fe->cur, &v);
		if (ok && out->side == L7_SPLICE_TO_CLIENT && v.payload_len) {
			fe->slow_s2c_bytes += v.payload_len;
			if (c && c->check_resp)
				check_response(fe, c, &v);
			if (c)
				track_resp(fe, c, &v);
		}
		if (c && out->side == L7_SPLICE_TO_SERVER && ok && hold_it(m, c, v.tcp_flags)) {
			m->st.held_pkts++;
			hold(fe, c, fe->cur);
			fe->cur_fwd = 2;
			return;
		}
		fe->cur_fwd = 1;
		return;
	}
	uint64_t wl = c && c->wl_id ? c->wl_id : (fe->cur ? fe->cur->conn_id : 0);
	struct l7sim_pkt *np = l7sim_pkt_alloc(m->w->pool, fe->now, wl);
	size_t ip_len = out->len - out->l3_off;
	if (!np)
		return;
	if (14 + ip_len > L7SIM_PKT_DATA_BYTES) {
		l7sim_pkt_free(m->w->pool, np);
		return;
	}
	memset(np->data, 0, 12);
	np->data[0] = 0x02;
	np->data[6] = 0x02;
	np->data[11] = (uint8_t)(2 + fe->idx);
	l7_put_be16(np->data + 12, 0x0800);
	memcpy(np->data + 14, out->frame + out->l3_off, ip_len);
	np->len = (uint32_t)(14 + ip_len);
	if (c && out->side == L7_SPLICE_TO_SERVER)
		np->first_req = c->leg_first; /* read by the server on the SYN */
	if (c && out->side == L7_SPLICE_TO_CLIENT) {
		struct l7_pkt tv;
		if (parse(np, &tv) && tv.payload_len)
			track_resp(fe, c, &tv);
	}
	if (c && out->side == L7_SPLICE_TO_SERVER) {
		struct l7_pkt v;
		if (parse(np, &v) && hold_it(m, c, v.tcp_flags)) {
			m->st.held_pkts++;
			hold(fe, c, np);
			return;
		}
	}
	if (fe->cur)
		l7sim_fe_cpu_emit(&fe->cpu, 0, np);
	else
		l7sim_link_send(&fe->to_sw, np);
}

static void arm_spl_tick(struct mrg_fe *fe)
{
	if (fe->spl_armed)
		return;
	if (l7sim_engine_after(fe->m->w->eng, SPL_TICK_NS, EV_SPL_TICK, fe, 0, NULL) == 0)
		fe->spl_armed = 1;
}

static void maybe_resume(struct mrg_fe *fe, uint32_t conn, l7_time_ns now);

/* A route that has waited a whole splice tick for responses that never
 * complete by their framing (a capture with missing bytes: the server
 * model sends what was captured) keeps its back-end. */
static void give_up_waits(struct mrg_fe *fe, l7_time_ns now)
{
	/* In slot order, as a full scan, but ending once every connection
	 * that waited when the tick began has been seen. Only waits from
	 * before now are counted off: a wait that begins during the scan (a
	 * resume's route) begins at now, so it neither uses up the count nor
	 * would a full scan act on it; a wait that ends, or one from now,
	 * only makes the scan run further. */
	uint32_t left = fe->n_waiting;
	for (uint32_t i = 0; left && i < fe->max_conns; i++) {
		struct mrg_mconn *c = &fe->mc[i];
		if (!c->waiting || c->wait_since_ns == now)
			continue;
		left--;
		if (now - c->wait_since_ns >= SPL_TICK_NS) {
			c->rt = RT_OFF;
			fe->resplice_gave_up++;
			maybe_resume(fe, i, now);
		}
	}
}

static void ev_spl_tick(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	struct mrg_fe *fe = obj;
	(void)arg;
	fe->spl_armed = 0;
	fe->cur = NULL;
	fe->now = l7sim_engine_now(e);
	l7_splice_tick(fe->eng, fe->now);
	give_up_waits(fe, fe->now);
	if (l7_splice_active(fe->eng))
		arm_spl_tick(fe);
}

/* 1 if a back-end packet v comes from a back-end other than c's current one. */
static int old_leg(const struct mrg *m, const struct mrg_mconn *c, const struct l7_pkt *v)
{
	const struct mrg_agent *g = &m->ag[c->be];
	return memcmp(v->src.b, g->addr.b, 16) != 0 || v->sport != g->port;
}

/* A route waiting for earlier responses (re-splice) goes on once they are
 * complete, or once the connection can no longer move (offloaded, or its
 * responses cannot be followed): route then keeps the back-end. */
static void maybe_resume(struct mrg_fe *fe, uint32_t conn, l7_time_ns now)
{
	struct mrg_mconn *c = &fe->mc[conn];
	if (!c->waiting)
		return;
	if (c->resp_done < c->wait_index && c->rt != RT_OFF && !c->handed && !c->want)
		return;
	set_waiting(fe, c, 0);
	(void)l7_splice_resume(fe->eng, conn, now);
}

static void fe_process(void *ctx, struct l7sim_pkt *p, const struct l7_pkt *v)
{
	struct mrg_fe *fe = ctx;
	struct mrg *m = fe->m;
	l7_time_ns now = l7sim_engine_now(m->w->eng);
	fe->now = now;
	m->now = now;
	if (p->aux == MARK_XLATED || ((p->aux & ~0xffu) == MARK_XLATED_V &&
				      (p->aux & 0xffu) < m->n_vip)) {
		/* an agent translated it: only the source becomes the VIP */
		struct l7_pkt w;
		uint32_t vi = p->aux == MARK_XLATED ? 0 : (p->aux & 0xffu);
		p->aux = 0;
		if (parse(p, &w)) {
			set_src(p->data, &w, m->vip[vi], m->vport[vi]);
			fe->relayed_xlated++;
			fe->slow_s2c_bytes += w.payload_len;
			l7sim_fe_cpu_emit(&fe->cpu, 0, p);
		} else {
			l7sim_pkt_free(m->w->pool, p);
		}
		return;
	}
	if (m->prm.fe_relay_byte_ns > 0)
		l7sim_fe_cpu_charge(&fe->cpu, (uint64_t)(m->prm.fe_relay_byte_ns * v->payload_len));
	if ((v->tcp_flags & (L7_TCP_FIN | L7_TCP_RST)) && v->ip_version == 4) {
		struct l7_flow_key k;
		memset(&k, 0, sizeof(k));
		int vi = vip_index(m, l7_addr_v4(&v->dst), v->dport);
		int from_client = vi >= 0;
		const struct l7_addr *cl = from_client ? &v->src : &v->dst;
		memcpy(k.src, cl->b, 16);
		l7_put_be16(k.sport, from_client ? v->sport : v->dport);
		k.proto = 6;
		/* from a back-end: the connection of that client tuple (the
		 * offload table's key too), whichever VIP it went to */
		int id = L7_ENOENT;
		for (uint32_t i = from_client ? (uint32_t)vi : 0;
		     id < 0 && i < (from_client ? (uint32_t)vi + 1 : m->n_vip); i++) {
			memcpy(k.dst, v->dst.b, 16);
			l7_put_be32(k.dst + 12, m->vip[i]);
			l7_put_be16(k.dport, m->vport[i]);
			id = l7_splice_find(fe->eng, &k);
		}
		/* a FIN or RST from a back-end the connection was re-spliced
		 * away from closes only that old leg */
		if (id >= 0 && (uint32_t)id < fe->max_conns &&
		    (from_client || old_leg(m, &fe->mc[id], v) == 0))
			conn_closing(fe, (uint32_t)id, now);
	}
	fe->cur = p;
	fe->cur_fwd = 0;
	fe->cur_conn = UINT32_MAX;
	fe->resume_conn = UINT32_MAX;
	(void)l7_splice_input(fe->eng, p->data, p->len, L7_LINKTYPE_ETHERNET, now);
	fe->cur = NULL;
	if (fe->cur_fwd == 1)
		l7sim_fe_cpu_emit(&fe->cpu, 0, p);
	else if (fe->cur_fwd == 0)
		l7sim_pkt_free(m->w->pool, p);
	if (fe->cur_conn < fe->max_conns) {
		maybe_offload(fe, fe->cur_conn);
		maybe_resume(fe, fe->cur_conn, now);
	}
	if (fe->resume_conn < fe->max_conns)
		maybe_resume(fe, fe->resume_conn, now);
	arm_spl_tick(fe);
}

/* ------------------------------------------------------------ build */

static int mk_link(struct mrg *m, struct l7sim_link *l, const char *fmt, uint32_t i, uint16_t id,
		   struct l7sim_node *dst)
{
	struct l7sim_link_config lc;
	char name[48];
	snprintf(name, sizeof(name), fmt, i);
	l7sim_link_config_from(&lc, &m->cfg->net.server, name, id, m->w->seed);
	return l7sim_link_init(l, &lc, m->w->eng, m->w->pool, dst);
}

static int add_entry(struct mrg *m, int t, uint64_t k0, uint64_t k1, uint8_t plen, int a,
		     uint64_t p0, uint64_t p1, uint64_t p2)
{
	struct l7_pl_entry e;
	memset(&e, 0, sizeof(e));
	e.value[0] = k0;
	e.value[1] = k1;
	e.prefix_len = plen;
	e.action = a;
	e.params[0] = p0;
	e.params[1] = p1;
	e.params[2] = p2;
	return l7_pipeline_entry_add(m->pl, t, &e, 0);
}

static enum l7_splice_verdict no_route(void *user, const struct l7_splice_head *h,
				       struct l7_splice_route *r)
{
	(void)user;
	(void)h;
	(void)r;
	return L7_SPLICE_ROUTE_REJECT;
}

static int add_backend(struct mrg *m, const struct l7_endpoint_info *e, char *err, size_t errlen)
{
	struct l7_addr a;
	for (uint32_t i = 0; i < m->n_ag; i++)
		if (m->ag[i].ep_id == e->id)
			return 0;
	if (l7sim_parse_addr(e->address, &a) < 0 || !l7_addr_is_v4(&a)) {
		snprintf(err, errlen, "router: endpoint \"%s\" is not an IPv4 address (the switch "
			 "program keys on IPv4)", e->address);
		return L7_ECONFIG;
	}
	if (m->n_ag >= MAX_BE) {
		snprintf(err, errlen, "router: more than %u back-ends (8-bit d_index)", MAX_BE);
		return L7_ECONFIG;
	}
	struct mrg_agent *g = &m->ag[m->n_ag++];
	g->addr = a;
	g->port = e->port;
	g->ep_id = e->id;
	return 0;
}

static int build_agent(struct mrg *m, uint32_t i, struct l7sim_server_config *scfg)
{
	struct mrg_agent *g = &m->ag[i];
	struct l7sim_world *w = m->w;
	char name[48];
	int rc;
	g->m = m;
	g->idx = i;
	g->from_sw.node.rx = agent_from_sw;
	g->from_sw.a = g;
	g->from_srv.node.rx = agent_from_srv;
	g->from_srv.a = g;
	uint32_t cap = m->prm.agent_records, b = 2;
	if (cap > m->cfg->frontend.max_conns * m->n_fe)
		cap = m->cfg->frontend.max_conns * m->n_fe;
	while (b < 2 * cap)
		b <<= 1;
	g->cap = cap;
	g->mask = b - 1;
	g->slot = calloc(b, sizeof(*g->slot));
	if (!g->slot)
		return L7_ENOMEM;
	snprintf(name, sizeof(name), "server/%u", i);
	scfg->name = name;
	if ((rc = l7sim_server_init(&g->srv, scfg, w->eng, w->pool, w->tcp, &g->from_srv.node,
				    w->wl)) < 0)
		return rc;
	uint16_t port = (uint16_t)(PORT_BE0 + i);
	struct mrg_in *in = calloc(1, sizeof(*in));
	if (!in)
		return L7_ENOMEM;
	in->node.rx = sw_rx;
	in->m = m;
	in->port = port;
	m->be_in[i] = in;
	if ((rc = mk_link(m, &g->sw_to, "link/sw-s/%u", i, (uint16_t)(100 + 2 * i),
			  &g->from_sw.node)) < 0 ||
	    (rc = mk_link(m, &g->to_sw, "link/s-sw/%u", i, (uint16_t)(101 + 2 * i), &in->node)) < 0)
		return rc;
	if (w->backend_tap) {
		(void)l7sim_link_add_tap(&g->sw_to, L7SIM_TAP_ENQUEUE, l7sim_pcap_tap_write,
					 w->backend_tap);
		(void)l7sim_link_add_tap(&g->to_sw, L7SIM_TAP_DELIVER, l7sim_pcap_tap_write,
					 w->backend_tap);
	}
	m->port_out[port] = &g->sw_to.in;
	uint32_t ip = l7_addr_v4(&g->addr);
	if ((rc = add_entry(m, m->ids.t_dip, ip, g->port, 0, m->ids.a_dip_hit, 0, 0, 0)) < 0 ||
	    (rc = add_entry(m, m->ids.t_route, ip, 0, 32, m->ids.a_set_port, port, 0x02aa, 0x02bb)) < 0)
		return rc;
	/* one d_index per (back-end, VIP): the same back-end, and with
	 * several VIPs the VIP its responses leave from */
	for (uint32_t vi = 0; vi < m->n_vip; vi++) {
		uint32_t d = d_index(m, i, vi);
		if ((rc = add_entry(m, m->ids.t_d_port, d, 0, 0, m->ids.a_set_port, port, 0x02aa,
				    0x02bb)) < 0 ||
		    (rc = add_entry(m, m->ids.t_d_ip, d, 0, 0, m->ids.a_set_dst_ip_port, ip, g->port,
				    0)) < 0)
			return rc;
		if (m->n_vip > 1 &&
		    (rc = add_entry(m, m->ids.t_d_vip, d, 0, 0, m->ids.a_set_src_ip_port, m->vip[vi],
				    m->vport[vi], 0)) < 0)
			return rc;
	}
	return 0;
}

static int build_fe(struct mrg *m, uint32_t i, const struct l7_syncookie_key *key)
{
	struct mrg_fe *fe = &m->fe[i];
	struct l7sim_world *w = m->w;
	const struct l7sim_config *cfg = m->cfg;
	int rc;
	fe->m = m;
	fe->idx = i;
	fe->resume_conn = UINT32_MAX;
	fe->max_conns = cfg->frontend.max_conns;
	fe->mc = calloc(fe->max_conns, sizeof(*fe->mc));
	fe->addq.cap = fe->delq.cap = fe->max_conns;
	fe->addq.r = calloc(fe->max_conns, sizeof(struct ent_req));
	fe->delq.r = calloc(fe->max_conns, sizeof(struct ent_req));
	if (!fe->mc || !fe->addq.r || !fe->delq.r)
		return L7_ENOMEM;
	struct l7_splice_cfg sc;
	memset(&sc, 0, sizeof(sc));
	sc.max_conns = fe->max_conns;
	sc.cookie = *key;
	sc.mss = (uint16_t)cfg->tcp.mss;
	sc.stray = L7_SPLICE_STRAY_DROP;
	sc.route = fe_route;
	sc.emit = fe_emit;
	sc.user = fe;
	fe->eng = l7_splice_create(&sc, &rc);
	if (!fe->eng)
		return rc;
	struct l7sim_fe_cpu_config cc = {
		.cores = cfg->frontend.cores,
		.queue_packets = cfg->frontend.queue_packets,
		.relay_pkt_ns = m->prm.fe_relay_pkt_ns,
		.relay_byte_ns = 0.0, /* charged by fe_process: fe_relay_byte_ns */
		.linktype = L7_LINKTYPE_ETHERNET,
		.seed = w->seed + i,
	};
	if ((rc = l7sim_fe_cpu_init(&fe->cpu, &cc, w->eng, w->pool, 1, fe_process, fe)) < 0)
		return rc;
	fe->cpu.series = w->series;
	fe->cpu.series_col = L7SIM_COL_FE_BUSY_CORES;
	uint16_t port = (uint16_t)(PORT_FE0 + i);
	fe->sw_in.node.rx = sw_rx;
	fe->sw_in.m = m;
	fe->sw_in.port = port;
	if ((rc = mk_link(m, &fe->sw_to, "link/sw-fe/%u", i, (uint16_t)(20 + 2 * i),
			  &fe->cpu.in)) < 0 ||
	    (rc = mk_link(m, &fe->to_sw, "link/fe-sw/%u", i, (uint16_t)(21 + 2 * i),
			  &fe->sw_in.node)) < 0)
		return rc;
	if ((rc = l7sim_fe_cpu_add_out(&fe->cpu, &fe->to_sw.in)) < 0)
		return rc;
	m->port_out[port] = &fe->sw_to.in;
	return 0;
}

/* Every distinct server address:port of the workload becomes a VIP, in
 * order of first appearance (vip[0] is the one compiled into the
 * program); IPv4 only, as the switch program. */
static int check_workload(struct mrg *m, char *err, size_t errlen)
{
	const struct l7sim_workload *wl = m->w->wl;
	if (!wl->n_conns) {
		snprintf(err, errlen, "workload: no connections");
		return L7_ECONFIG;
	}
	for (uint32_t i = 0; i < wl->n_conns; i++) {
		const struct l7_flow_key *k = &wl->conns[i].key;
		struct l7_addr a;
		memcpy(a.b, k->dst, 16);
		if (!l7_addr_is_v4(&a)) {
			snprintf(err, errlen, "workload: IPv6 server address; the switch program is IPv4");
			return L7_ECONFIG;
		}
		uint32_t ip = l7_addr_v4(&a);
		uint16_t port = l7_get_be16(k->dport);
		if (vip_index(m, ip, port) >= 0)
			continue;
		if (m->n_vip == MAX_VIP) {
			snprintf(err, errlen, "workload: more than %u server addresses (the switch's "
				 "VIP table)", MAX_VIP);
			return L7_ECONFIG;
		}
		m->vip[m->n_vip] = ip;
		m->vport[m->n_vip++] = port;
	}
	return 0;
}

int l7sim_mrg_create(struct l7sim_world *w, void **state, char *err, size_t errlen,
		     int switch_only)
{
	const struct l7sim_config *cfg = w->cfg;
	struct mrg *m = calloc(1, sizeof(*m));
	int rc;
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return L7_ENOMEM;
	}
	*state = m;
	m->w = w;
	m->cfg = cfg;
	m->so = switch_only;
	if (l7sim_miresga_override)
		m->prm = *l7sim_miresga_override;
	else
		l7sim_miresga_params_default(&m->prm, cfg);
	if (m->prm.frontends < 1 || m->prm.frontends > MAX_FE || !m->prm.tick_ns ||
	    m->prm.batch_adds + m->prm.batch_dels > 512 || !m->prm.agent_records) {
		snprintf(err, errlen, "miresga: bad parameters (frontends 1..%u, tick > 0, "
			 "batch <= 512)", MAX_FE);
		rc = L7_ECONFIG;
		goto fail_quiet;
	}
	if (w->tcp->linktype != L7_LINKTYPE_ETHERNET) {
		snprintf(err, errlen, "miresga: the switch needs Ethernet frames");
		rc = L7_ECONFIG;
		goto fail_quiet;
	}
	if ((rc = check_workload(m, err, errlen)) < 0)
		goto fail_quiet;
	l7sim_rng_init(&m->rng, w->seed, l7sim_rng_id(switch_only ? "switch-only/router" :
							       "miresga/router"));
	const uint16_t evs[] = { EV_SW_OUT, EV_TICK, EV_ADVANCE, EV_HANDOFF, EV_SPL_TICK };
	l7sim_handler_fn fns[] = { sw_out_ev, ev_tick, ev_advance, ev_handoff, ev_spl_tick };
	for (unsigned i = 0; i < 5; i++)
		if ((rc = l7sim_engine_on(w->eng, evs[i], fns[i])) < 0)
			goto fail;
	if ((rc = l7sim_fe_cpu_register(w->eng)) < 0 ||
	    (rc = l7sim_hist_init(&m->ins_delay, 7)) < 0)
		goto fail;

	/* the switch */
	struct l7_pl_config pc;
	l7_pl_config_default(&pc);
	pc.ctl_entries_per_s = m->prm.ctl_entries_per_s;
	pc.ctl_batch_fixed_ns = m->prm.ctl_batch_fixed_ns;
	pc.ctl_latency_ns = m->prm.ctl_latency_ns;
	pc.pass_latency_ns = m->prm.pass_latency_ns;
	if (pc.ctl_batch_max < m->prm.batch_adds + m->prm.batch_dels)
		pc.ctl_batch_max = m->prm.batch_adds + m->prm.batch_dels;
	if (pc.ctl_queue_cap < 4 * pc.ctl_batch_max * (m->prm.frontends + 1))
		pc.ctl_queue_cap = 4 * pc.ctl_batch_max * (m->prm.frontends + 1);
	if ((rc = l7_pipeline_create(&pc, &m->pl)) < 0)
		goto fail;
	l7_pl_miresga_opts_default(&m->o);
	m->o.vip = m->vip[0];
	m->o.vport = m->vport[0];
	m->o.n_vips = m->n_vip > 1 ? m->n_vip : 0;
	m->o.offload_size = m->prm.table_entries;
	char perr[256];
	if ((rc = l7_pipeline_prog_miresga(m->pl, &m->o, &m->ids)) < 0)
		goto fail;
	if ((rc = l7_pipeline_compile(m->pl, perr, sizeof(perr))) < 0) {
		snprintf(err, errlen, "miresga: switch program: %s", perr);
		goto fail_quiet;
	}
	if ((rc = l7_pl_miresga_install_const(m->pl, &m->o, &m->ids)) < 0)
		goto fail;
	for (uint32_t i = 1; i < m->n_vip; i++)
		if ((rc = add_entry(m, m->ids.t_vip, m->vip[i], m->vport[i], 0, m->ids.a_vip_hit, 0,
				    0, 0)) < 0)
			goto fail;
	m->in_client.node.rx = sw_rx;
	m->in_client.m = m;
	m->in_client.port = PORT_CLIENT;
	m->port_out[PORT_CLIENT] = w->to_clients;
	if ((rc = add_entry(m, m->ids.t_route, 0, 0, 0, m->ids.a_set_port, PORT_CLIENT, 0x02aa,
			    0x02cc)) < 0)
		goto fail;

	/* cookie key shared by the front-ends and the switch's SYN answer */
	struct l7_syncookie_key key;
	struct l7sim_rng kr;
	memset(&key, 0, sizeof(key));
	l7sim_rng_init(&kr, w->seed, l7sim_rng_id("miresga/cookie"));
	for (unsigned i = 0; i < 16; i += 8) {
		uint64_t r = l7sim_rng_next(&kr);
		memcpy(key.secret + i, &r, 8);
	}
	struct l7_splice_cfg sc;
	memset(&sc, 0, sizeof(sc));
	sc.max_conns = 1;
	sc.cookie = key;
	sc.mss = (uint16_t)cfg->tcp.mss;
	sc.stray = L7_SPLICE_STRAY_DROP;
	sc.route = no_route;
	sc.emit = syn_emit;
	sc.user = m;
	if (!(m->syn_eng = l7_splice_create(&sc, &rc)))
		goto fail;

	/* back-ends and their agents */
	size_t total = l7sim_router_endpoints(w->router);
	if (!total) {
		snprintf(err, errlen, "router: no endpoints");
		rc = L7_ECONFIG;
		goto fail_quiet;
	}
	m->ag = calloc(total, sizeof(*m->ag));
	m->be_in = calloc(total, sizeof(*m->be_in));
	m->n_fe = m->prm.frontends;
	m->fe = calloc(m->n_fe, sizeof(*m->fe));
	if (!m->ag || !m->fe || !m->be_in) {
		rc = L7_ENOMEM;
		goto fail;
	}
	for (size_t c = 0; c < l7_router_cluster_count(w->router); c++) {
		struct l7_cluster *cl = l7_router_cluster_at(w->router, c);
		for (size_t j = 0; j < l7_cluster_endpoint_count(cl); j++) {
			struct l7_endpoint_info e;
			if ((rc = l7_cluster_endpoint_at(cl, j, &e)) < 0)
				goto fail;
			if ((rc = add_backend(m, &e, err, errlen)) < 0)
				goto fail_quiet;
		}
	}
	if (m->n_ag * m->n_vip > N_DINDEX) {
		snprintf(err, errlen, "miresga: %u back-ends x %u VIPs > %u (8-bit d_index of "
			 "(back-end, VIP) pairs)", m->n_ag, m->n_vip, N_DINDEX);
		rc = L7_ECONFIG;
		goto fail_quiet;
	}
	for (uint32_t i = 0; i < m->n_fe; i++)
		if ((rc = build_fe(m, i, &key)) < 0)
			goto fail;
	for (unsigned b = 0; b < 256; b++)
		if ((rc = add_entry(m, m->ids.t_lb_port, b, 0, 0, m->ids.a_set_port,
				    PORT_FE0 + b % m->n_fe, 0x02aa, 0x02dd)) < 0)
			goto fail;
	struct l7sim_server_config scfg;
	l7sim_server_config_from(&scfg, cfg, w->seed);
	for (uint32_t i = 0; i < m->n_ag; i++)
		if ((rc = build_agent(m, i, &scfg)) < 0)
			goto fail;
	w->lb_in = &m->in_client.node;
	return 0;
fail:
	snprintf(err, errlen, "%s", l7_strerror(rc));
fail_quiet:
	l7sim_mrg_destroy(m);
	*state = NULL;
	return rc;
}

static const char *const ctr_names[] = {
	"syn_answered", "requests_parsed", "no_route", "kept_backend", "offloaded",
	"entry_adds", "entry_deletes", "table_full", "channel_full", "apply_errors", "aged",
	"held_packets", "fe_relayed_xlated", "fe_s2c_bytes", "agent_s2c", "agent_c2s",
	"agent_no_record", "agent_full", "agent_bad", "switch_not_ipv4_tcp", "switch_pipeline_drops",
	"switch_no_port", "cpu_queue_drops",
	"splice_resplices", "splice_dropped_state", "server_retrans_bytes", "server_rto_fires",
	"response_heads_checked", "fe_cpu_busy_ns",
	"xff_inserted", "xff_failed", "resplice_routes", "resplice_waits", "responses_untracked",
	"server_heads_parsed", "server_heads_xff", "server_unframed", "server_rx_bytes",
	"server_late_legs", "server_requests", "xff_skipped_offloaded", "server_bytecount_legs",
	"resplice_gave_up", "agent_to_fe", "splice_point_retransmits",
};

void l7sim_mrg_report(void *state, const struct l7sim_world *w, struct l7sim_summary *out)
{
	struct mrg *m = state;
	(void)w;
	uint64_t link_drops = 0, cpu_drops = 0, heads = 0, nr = 0, kept = 0, xl = 0, slow = 0;
	uint64_t a_s2c = 0, a_c2s = 0, a_nr = 0, a_full = 0, a_bad = 0, resp = 0, dstate = 0;
	uint64_t rtx = 0, rto = 0, fv[7] = { 0 }, sv[7] = { 0 }, a_fe = 0, p_rtx = 0;
	struct l7sim_fe_util util;
	memset(&util, 0, sizeof(util));
	for (uint32_t i = 0; i < m->n_fe; i++) {
		struct mrg_fe *fe = &m->fe[i];
		l7sim_fe_util_add(&util, &fe->cpu);
		fv[0] += fe->xff_inserted;
		fv[1] += fe->xff_failed;
		fv[2] += fe->resplice_routes;
		fv[3] += fe->resplice_waits;
		fv[4] += fe->resp_untracked;
		fv[5] += fe->xff_skipped;
		fv[6] += fe->resplice_gave_up;
		cpu_drops += fe->cpu.st.queue_drops + fe->cpu.st.parse_drops;
		link_drops += fe->to_sw.st.queue_drops + fe->to_sw.st.loss_drops +
			      fe->sw_to.st.queue_drops + fe->sw_to.st.loss_drops;
		heads += fe->heads;
		nr += fe->no_route;
		kept += fe->reroutes_kept;
		xl += fe->relayed_xlated;
		slow += fe->slow_s2c_bytes;
		resp += l7_splice_stats(fe->eng)->resplices;
		dstate += l7_splice_stats(fe->eng)->dropped_state;
		p_rtx += l7_splice_stats(fe->eng)->point_retransmits;
	}
	for (uint32_t i = 0; i < m->n_ag; i++) {
		struct mrg_agent *g = &m->ag[i];
		link_drops += g->to_sw.st.queue_drops + g->to_sw.st.loss_drops +
			      g->sw_to.st.queue_drops + g->sw_to.st.loss_drops;
		a_s2c += g->xl_s2c;
		a_c2s += g->xl_c2s;
		a_nr += g->no_record;
		a_full += g->full;
		a_bad += g->bad;
		a_fe += g->to_fe;
		rtx += g->srv.env.st.retrans_bytes;
		rto += g->srv.env.st.rto_fires;
		sv[0] += g->srv.st.heads_parsed;
		sv[1] += g->srv.st.heads_xff;
		sv[2] += g->srv.st.unframed;
		sv[3] += g->srv.st.rx_bytes;
		sv[4] += g->srv.st.late_legs;
		sv[5] += g->srv.st.requests;
		sv[6] += g->srv.st.bytecount_legs;
	}
	uint64_t sw_drops = m->st.parse_drops + m->st.pl_drops + m->st.no_port;
	out->frontend_cpu_util = l7sim_fe_util_value(&util);
	out->table_peak_entries = m->st.table_peak;
	out->table_capacity = m->prm.table_entries;
	out->insert_backlog_peak = m->st.pending_peak;
	out->insert_delay = &m->ins_delay;
	out->fast_path_bytes = m->st.fast_bytes;
	out->total_bytes = m->st.total_bytes;
	out->drops += sw_drops + cpu_drops + link_drops;
	size_t nn = sizeof(ctr_names) / sizeof(ctr_names[0]);
	if (!m->ctr.names) {
		if (l7sim_counters_init(&m->ctr, (uint32_t)nn) < 0)
			return;
		for (size_t i = 0; i < nn; i++)
			(void)l7sim_counters_add(&m->ctr, ctr_names[i]);
	}
	const uint64_t v[] = {
		m->st.syn_answered, heads, nr, kept, m->st.offloaded, m->st.adds, m->st.dels,
		m->st.table_full, m->st.chan_full, m->st.apply_errors, m->st.aged, m->st.held_pkts,
		xl, slow, a_s2c, a_c2s, a_nr, a_full, a_bad, m->st.parse_drops, m->st.pl_drops,
		m->st.no_port, cpu_drops, resp, dstate,
		rtx, rto, m->st.resp_heads, util.busy_ns,
		fv[0], fv[1], fv[2], fv[3], fv[4], sv[0], sv[1], sv[2], sv[3], sv[4], sv[5], fv[5], sv[6], fv[6],
		a_fe, p_rtx,
	};
	for (uint32_t i = 0; i < m->ctr.n && i < nn; i++)
		m->ctr.v[i] = v[i];
	out->extra = &m->ctr;
}

void l7sim_mrg_destroy(void *state)
{
	struct mrg *m = state;
	if (!m)
		return;
	if (m->fe) {
		for (uint32_t i = 0; i < m->n_fe; i++) {
			struct mrg_fe *fe = &m->fe[i];
			if (fe->mc)
				for (uint32_t c = 0; fe->n_holding && c < fe->max_conns; c++) {
					if (fe->mc[c].held_h)
						fe->n_holding--;
					while (fe->mc[c].held_h) {
						struct l7sim_pkt *p = fe->mc[c].held_h;
						fe->mc[c].held_h = p->next;
						l7sim_pkt_free(m->w->pool, p);
					}
				}
			if (fe->cpu.eng)
				l7sim_fe_cpu_fini(&fe->cpu);
			if (fe->to_sw.eng)
				l7sim_link_fini(&fe->to_sw);
			if (fe->sw_to.eng)
				l7sim_link_fini(&fe->sw_to);
			l7_splice_destroy(fe->eng);
			free(fe->mc);
			free(fe->addq.r);
			free(fe->delq.r);
		}
		free(m->fe);
	}
	if (m->ag) {
		for (uint32_t i = 0; i < m->n_ag; i++) {
			struct mrg_agent *g = &m->ag[i];
			if (g->sw_to.eng)
				l7sim_link_fini(&g->sw_to);
			if (g->to_sw.eng)
				l7sim_link_fini(&g->to_sw);
			if (g->srv.eng)
				l7sim_server_fini(&g->srv);
			free(g->slot);
			if (m->be_in)
				free(m->be_in[i]);
		}
		free(m->ag);
	}
	free(m->be_in);
	if (m->syn_eng)
		l7_splice_destroy(m->syn_eng);
	if (m->pl)
		l7_pipeline_destroy(m->pl);
	l7sim_hist_fini(&m->ins_delay);
	if (m->ctr.names)
		l7sim_counters_fini(&m->ctr);
	free(m);
}

static int mrg_create(struct l7sim_world *w, void **state, char *err, size_t errlen)
{
	return l7sim_mrg_create(w, state, err, errlen, 0);
}

const struct l7sim_arch l7sim_arch_miresga = {
	"miresga", "switch answers SYNs, front-end routes, agents translate, elephants offloaded",
	mrg_create, l7sim_mrg_report, l7sim_mrg_destroy,
};
