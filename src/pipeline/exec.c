/*
 * exec.c — the per-packet path: parser (fills the PHV from the frame via the
 * packet layer), the control flow of steps and tables, the action
 * primitives, and the deparser (writes changed header fields back into the
 * caller's frame with RFC 1624 incremental checksum updates).
 *
 * Invariants: no allocation; every PHV value is masked to its field width;
 * each register array gets at most one read-modify-write per pass (a second
 * is refused, counted and reported as L7_ERMW); metadata is zero at the
 * start of every pass; a recirculated pass re-parses the deparsed frame and
 * arrives on L7_PL_PORT_RECIRC.
 */
#include <string.h>

#include "pl_internal.h"

struct pass {
	uint64_t orig[L7_PL_F__BUILTIN_COUNT];
	struct l7_pkt pkt;
	int parsed;           /* 1: IPv4 TCP/UDP view valid for deparse */
	int egress_set, drop, to_cpu, recirc, opts_blob;
	uint16_t egress;
	uint64_t applied, hit;
};

static inline uint64_t opnd(const uint64_t *phv, const uint64_t *params, struct l7_pl_operand o)
{
	switch (o.src) {
	case L7_PL_SRC_IMM: return o.v;
	case L7_PL_SRC_PARAM: return params[o.v];
	default: return phv[o.v];
	}
}

static inline uint32_t rd16(const uint8_t *b) { return (uint32_t)b[0] << 8 | b[1]; }
static inline uint32_t rd32(const uint8_t *b) { return rd16(b) << 16 | rd16(b + 2); }
static inline void wr16(uint8_t *b, uint32_t v) { b[0] = (uint8_t)(v >> 8); b[1] = (uint8_t)v; }
static inline void wr32(uint8_t *b, uint32_t v) { wr16(b, v >> 16); wr16(b + 2, v); }

static uint64_t rd48(const uint8_t *b)
{
	return (uint64_t)rd16(b) << 32 | rd32(b + 2);
}

static void wr48(uint8_t *b, uint64_t v)
{
	wr16(b, (uint32_t)(v >> 32));
	wr32(b + 2, (uint32_t)v);
}

/* Parser stage: Ethernet (+VLAN), IPv4, TCP/UDP into the built-in fields. */
static void parse(struct l7_pipeline *pl, struct pass *ps, const uint8_t *frame, uint32_t len,
		  uint16_t port)
{
	uint64_t *f = pl->phv;
	memset(f, 0, sizeof(uint64_t) * pl->n_fields);
	f[L7_PL_F_INGRESS_PORT] = port & 0x1ff;
	f[L7_PL_F_PKT_LEN] = len & 0xffff;
	ps->parsed = 0;
	int rc = l7_pkt_parse(&ps->pkt, frame, len, L7_LINKTYPE_ETHERNET);
	const struct l7_pkt *p = &ps->pkt;
	if (len >= 14 && (p->layers & L7_PKT_L2)) {
		f[L7_PL_F_ETH_VALID] = 1;
		f[L7_PL_F_ETH_DST] = rd48(frame);
		f[L7_PL_F_ETH_SRC] = rd48(frame + 6);
		f[L7_PL_F_ETH_TYPE] = p->ethertype;
	}
	if (rc == 0 && p->ip_version == 4) {
		const uint8_t *ip = frame + p->l3_off;
		f[L7_PL_F_IPV4_VALID] = 1;
		f[L7_PL_F_IPV4_IHL] = p->l3_hdr_len / 4;
		f[L7_PL_F_IPV4_TOTAL_LEN] = rd16(ip + 2);
		f[L7_PL_F_IPV4_TTL] = p->ttl;
		f[L7_PL_F_IPV4_PROTO] = p->proto;
		f[L7_PL_F_IPV4_SRC] = rd32(ip + 12);
		f[L7_PL_F_IPV4_DST] = rd32(ip + 16);
		if (p->proto == L7_IPPROTO_TCP || p->proto == L7_IPPROTO_UDP) {
			ps->parsed = 1;
			f[L7_PL_F_L4_SPORT] = p->sport;
			f[L7_PL_F_L4_DPORT] = p->dport;
			f[L7_PL_F_PAYLOAD_LEN] = p->payload_len & 0xffff;
		}
		if (p->proto == L7_IPPROTO_TCP) {
			f[L7_PL_F_TCP_VALID] = 1;
			f[L7_PL_F_TCP_SEQ] = p->tcp_seq;
			f[L7_PL_F_TCP_ACK] = p->tcp_ack;
			f[L7_PL_F_TCP_DOFF] = p->tcp_hdr_len / 4u;
			f[L7_PL_F_TCP_FLAGS] = p->tcp_flags & 0x1ff;
			f[L7_PL_F_TCP_WINDOW] = p->tcp_window;
		} else if (p->proto == L7_IPPROTO_UDP) {
			f[L7_PL_F_UDP_VALID] = 1;
		}
	}
	memcpy(ps->orig, f, sizeof(ps->orig));
}

static void l4_csum_update32(uint8_t *l4, int tcp, uint32_t o, uint32_t n)
{
	unsigned off = tcp ? 16 : 6;
	uint16_t c = (uint16_t)rd16(l4 + off);
	if (!tcp && c == 0)
		return; /* UDP over IPv4 without a checksum stays without one */
	c = l7_csum_update32(c, o, n);
	if (!tcp && c == 0)
		c = 0xffff;
	wr16(l4 + off, c);
}

static void l4_csum_update16(uint8_t *l4, int tcp, uint32_t o, uint32_t n)
{
	unsigned off = tcp ? 16 : 6;
	uint16_t c = (uint16_t)rd16(l4 + off);
	if (!tcp && c == 0)
		return;
	c = l7_csum_update16(c, (uint16_t)o, (uint16_t)n);
	if (!tcp && c == 0)
		c = 0xffff;
	wr16(l4 + off, c);
}

/* Deparser: write back what changed; 0 or a negative error. */
static int deparse(struct l7_pipeline *pl, struct pass *ps, uint8_t *frame, uint32_t *len,
		   uint32_t cap)
{
	const uint64_t *f = pl->phv, *o = ps->orig;
	if (f[L7_PL_F_ETH_VALID]) {
		if (f[L7_PL_F_ETH_DST] != o[L7_PL_F_ETH_DST])
			wr48(frame, f[L7_PL_F_ETH_DST]);
		if (f[L7_PL_F_ETH_SRC] != o[L7_PL_F_ETH_SRC])
			wr48(frame + 6, f[L7_PL_F_ETH_SRC]);
	}
	if (!ps->parsed)
		return 0;
	uint8_t *ip = frame + ps->pkt.l3_off, *l4 = frame + ps->pkt.l4_off;
	int tcp = f[L7_PL_F_TCP_VALID] != 0;
	uint16_t ipc = (uint16_t)rd16(ip + 10);
	for (int k = 0; k < 2; k++) {
		int fid = k ? L7_PL_F_IPV4_DST : L7_PL_F_IPV4_SRC;
		if (f[fid] == o[fid])
			continue;
		uint32_t old = rd32(ip + 12 + 4 * k), nw = (uint32_t)f[fid];
		wr32(ip + 12 + 4 * k, nw);
		ipc = l7_csum_update32(ipc, old, nw);
		l4_csum_update32(l4, tcp, old, nw); /* pseudo-header */
	}
	if (f[L7_PL_F_IPV4_TTL] != o[L7_PL_F_IPV4_TTL]) {
		uint32_t old = rd16(ip + 8);
		ip[8] = (uint8_t)f[L7_PL_F_IPV4_TTL];
		ipc = l7_csum_update16(ipc, (uint16_t)old, (uint16_t)rd16(ip + 8));
	}
	wr16(ip + 10, ipc);
	for (int k = 0; k < 2; k++) {
		int fid = k ? L7_PL_F_L4_DPORT : L7_PL_F_L4_SPORT;
		if (f[fid] == o[fid])
			continue;
		uint32_t old = rd16(l4 + 2 * k);
		wr16(l4 + 2 * k, (uint32_t)f[fid]);
		l4_csum_update16(l4, tcp, old, (uint32_t)f[fid]);
	}
	if (tcp) {
		for (int k = 0; k < 2; k++) {
			int fid = k ? L7_PL_F_TCP_ACK : L7_PL_F_TCP_SEQ;
			if (f[fid] == o[fid])
				continue;
			uint32_t old = rd32(l4 + 4 + 4 * k);
			wr32(l4 + 4 + 4 * k, (uint32_t)f[fid]);
			l4_csum_update32(l4, 1, old, (uint32_t)f[fid]);
		}
		if (f[L7_PL_F_TCP_FLAGS] != o[L7_PL_F_TCP_FLAGS]) {
			uint32_t old = rd16(l4 + 12);
			uint32_t nw = (old & 0xfe00u) | (uint32_t)f[L7_PL_F_TCP_FLAGS];
			wr16(l4 + 12, nw);
			l4_csum_update16(l4, 1, old, nw);
		}
		if (f[L7_PL_F_TCP_WINDOW] != o[L7_PL_F_TCP_WINDOW]) {
			uint32_t old = rd16(l4 + 14);
			wr16(l4 + 14, (uint32_t)f[L7_PL_F_TCP_WINDOW]);
			l4_csum_update16(l4, 1, old, (uint32_t)f[L7_PL_F_TCP_WINDOW]);
		}
		if (ps->opts_blob >= 0) {
			/* an options rewrite moves bytes: re-read the view of the
			 * edited frame, then let the packet layer rebuild */
			int rc = l7_pkt_parse(&ps->pkt, frame, *len, L7_LINKTYPE_ETHERNET);
			if (rc == 0)
				rc = l7_pkt_tcp_set_opts(&ps->pkt, frame, cap, pl->blob[ps->opts_blob],
							 pl->blob_len[ps->opts_blob]);
			if (rc < 0)
				return rc;
			*len = ps->pkt.caplen;
		}
	}
	return 0;
}

static size_t pack_phv(const struct l7_pipeline *pl, const struct l7_pl_prim *p, uint8_t *buf)
{
	uint64_t v[L7_PL_MAX_SRC];
	for (unsigned i = 0; i < p->n_src; i++)
		v[i] = pl->phv[p->src[i]];
	return pl_pack_fields(pl, p->src, p->n_src, v, buf);
}

static uint64_t do_hash(const struct l7_pipeline *pl, const struct l7_pl_prim *p)
{
	uint8_t buf[L7_PL_MAX_SRC * 8];
	if (p->alg == L7_PL_HASH_IDENTITY) {
		uint64_t v = 0;
		for (unsigned i = 0; i < p->n_src; i++) {
			unsigned w = pl->field[p->src[i]].width;
			v = (w == 64 ? 0 : v << w) | pl->phv[p->src[i]];
		}
		return v;
	}
	size_t n = pack_phv(pl, p, buf);
	switch (p->alg) {
	case L7_PL_HASH_CRC8: return pl_crc8(pl, buf, n);
	case L7_PL_HASH_CRC16: return pl_crc16(pl, buf, n);
	case L7_PL_HASH_CRC32: return pl_crc32_row(pl, 0, buf, n);
	default: return pl_keyed64(p->b.v, buf, n);
	}
}

static uint64_t reg_rmw(struct l7_pipeline *pl, const struct l7_pl_prim *p, const uint64_t *params,
			struct l7_pl_result *res)
{
	struct pl_register *r = &pl->reg[p->obj];
	if (r->last_pass == pl->pass_id) {
		pl->st.rmw_violations++;
		if (res->err == 0)
			res->err = L7_ERMW;
		return UINT64_MAX;
	}
	r->last_pass = pl->pass_id;
	uint32_t i = (uint32_t)(opnd(pl->phv, params, p->a) % r->size);
	uint64_t b = opnd(pl->phv, params, p->b) & r->max;
	uint64_t old = pl_reg_get(r, i), nw = old;
	switch (p->rmw) {
	case L7_PL_RMW_WRITE: nw = b; break;
	case L7_PL_RMW_ADD: nw = (old + b) & r->max; break;
	case L7_PL_RMW_SADD: nw = (r->max - old < b) ? r->max : old + b; break;
	case L7_PL_RMW_MAX: nw = old > b ? old : b; break;
	case L7_PL_RMW_OR: nw = old | b; break;
	default: break;
	}
	if (nw != old)
		pl_reg_set(r, i, nw);
	return p->want_new ? nw : old;
}

static void run_action(struct l7_pipeline *pl, struct pass *ps, int aid, const uint64_t *params,
		       l7_time_ns now_ns, struct l7_pl_result *res)
{
	const struct pl_action *a = &pl->action[aid];
	uint64_t *f = pl->phv;
	for (unsigned i = 0; i < a->n_prims; i++) {
		const struct l7_pl_prim *p = &a->prims[i];
		uint64_t v = 0;
		int write = 1;
		switch (p->op) {
		case L7_PL_OP_SET: v = opnd(f, params, p->a); break;
		case L7_PL_OP_ADD: v = opnd(f, params, p->a) + opnd(f, params, p->b); break;
		case L7_PL_OP_SUB: v = opnd(f, params, p->a) - opnd(f, params, p->b); break;
		case L7_PL_OP_AND: v = opnd(f, params, p->a) & opnd(f, params, p->b); break;
		case L7_PL_OP_OR: v = opnd(f, params, p->a) | opnd(f, params, p->b); break;
		case L7_PL_OP_XOR: v = opnd(f, params, p->a) ^ opnd(f, params, p->b); break;
		case L7_PL_OP_HASH: v = do_hash(pl, p); break;
		case L7_PL_OP_REG:
			v = reg_rmw(pl, p, params, res);
			write = v != UINT64_MAX && p->dst >= 0;
			break;
		case L7_PL_OP_CMS: {
			uint8_t buf[L7_PL_MAX_SRC * 8];
			size_t n = pack_phv(pl, p, buf);
			int err = 0;
			pl_cms_update(pl, &pl->sketch[p->obj], buf, n, opnd(f, params, p->b), &v, &err);
			if (err) {
				pl->st.rmw_violations++;
				if (res->err == 0)
					res->err = err;
			}
			write = p->dst >= 0;
			break;
		}
		case L7_PL_OP_BLOOM: {
			uint8_t buf[L7_PL_MAX_SRC * 8];
			size_t n = pack_phv(pl, p, buf);
			int err = 0;
			pl_bloom_op(pl, &pl->bloom[p->obj], buf, n, p->rmw == L7_PL_BLOOM_INSERT, &v, &err);
			if (err) {
				pl->st.rmw_violations++;
				if (res->err == 0)
					res->err = err;
			}
			write = p->dst >= 0;
			break;
		}
		case L7_PL_OP_FORWARD:
			ps->egress = (uint16_t)(opnd(f, params, p->a) & 0x1ff);
			ps->egress_set = 1;
			ps->drop = 0;
			write = 0;
			break;
		case L7_PL_OP_DROP: ps->drop = 1; write = 0; break;
		case L7_PL_OP_TO_CPU: ps->to_cpu = 1; write = 0; break;
		case L7_PL_OP_RECIRCULATE: ps->recirc = 1; write = 0; break;
		case L7_PL_OP_MIRROR:
			if (res->n_mirror < L7_PL_MAX_MIRRORS)
				res->mirror_port[res->n_mirror++] =
					(uint16_t)(opnd(f, params, p->a) & 0x1ff);
			write = 0;
			break;
		case L7_PL_OP_DIGEST: {
			uint64_t d[L7_PL_MAX_SRC];
			for (unsigned k = 0; k < p->n_src; k++)
				d[k] = f[p->src[k]];
			l7_time_ns done;
			pl->st.digests++;
			res->n_digests++;
			if (pl_cpu_enqueue(pl, now_ns + pl->cfg.pass_latency_ns, L7_PL_EV_DIGEST, p->obj,
					   d, p->n_src, &done) < 0)
				pl->st.digests_lost++;
			write = 0;
			break;
		}
		case L7_PL_OP_TCP_OPTS: ps->opts_blob = p->obj; write = 0; break;
		default: write = 0; break;
		}
		if (write && p->dst >= 0)
			f[p->dst] = v & pl->field[p->dst].mask;
	}
}

static int cond_holds(const struct l7_pipeline *pl, const struct pass *ps, const struct l7_pl_cond *c)
{
	uint64_t v = c->cmp >= L7_PL_CMP_HIT ? 0 : pl->phv[c->field];
	switch (c->cmp) {
	case L7_PL_CMP_EQ: return v == c->value;
	case L7_PL_CMP_NE: return v != c->value;
	case L7_PL_CMP_LT: return v < c->value;
	case L7_PL_CMP_GE: return v >= c->value;
	case L7_PL_CMP_ANY: return (v & c->value) != 0;
	case L7_PL_CMP_NONE: return (v & c->value) == 0;
	case L7_PL_CMP_HIT: return (ps->hit >> c->field) & 1;
	default: return ((ps->applied & ~ps->hit) >> c->field) & 1;
	}
}

static void apply_table(struct l7_pipeline *pl, struct pass *ps, int tid, l7_time_ns now_ns,
			struct l7_pl_result *res)
{
	struct pl_table *t = &pl->table[tid];
	uint64_t key = 0;
	for (unsigned k = 0; k < t->def.n_keys; k++)
		key |= pl->phv[t->def.key_field[k]] << t->key_shift[k];
	ps->applied |= 1ull << tid;
	uint32_t i = pl_table_lookup(t, key);
	if (i != PL_NIL) {
		struct pl_entry *e = &t->e[i];
		ps->hit |= 1ull << tid;
		pl->st.table_hits[tid]++;
		e->hit = 1;
		if (t->def.idle_timeout_ns) {
			e->last_hit_ns = now_ns;
			e->notified = 0;
		}
		run_action(pl, ps, e->action, e->params, now_ns, res);
		return;
	}
	pl->st.table_misses[tid]++;
	if (t->def.default_action >= 0)
		run_action(pl, ps, t->def.default_action, t->def.default_params, now_ns, res);
}

static void run_steps(struct l7_pipeline *pl, struct pass *ps, l7_time_ns now_ns,
		      struct l7_pl_result *res)
{
	unsigned i = 0;
	while (i < pl->n_steps) {
		const struct l7_pl_step *s = &pl->step[i].s;
		unsigned c = 0;
		while (c < s->n_cond && cond_holds(pl, ps, &s->cond[c]))
			c++;
		if (c < s->n_cond) {
			i++;
			continue;
		}
		if (s->table >= 0)
			apply_table(pl, ps, s->table, now_ns, res);
		else if (s->action >= 0)
			run_action(pl, ps, s->action, s->params, now_ns, res);
		if (s->goto_step == L7_PL_STEP_END)
			break;
		i = s->goto_step >= 0 ? (unsigned)s->goto_step : i + 1;
	}
}

int l7_pipeline_process(struct l7_pipeline *pl, uint8_t *frame, uint32_t len,
			uint32_t cap, uint16_t ingress_port, l7_time_ns now_ns,
			struct l7_pl_result *res)
{
	if (!pl || !frame || !res || cap < len)
		return L7_EINVAL;
	if (!pl->compiled)
		return L7_ESTATE;
	memset(res, 0, sizeof(*res));
	pl->st.packets++;
	struct pass ps;
	uint16_t port = ingress_port;
	for (;;) {
		pl->pass_id++;
		res->passes++;
		pl->st.passes++;
		parse(pl, &ps, frame, len, port);
		ps.egress_set = ps.drop = ps.to_cpu = ps.recirc = 0;
		ps.opts_blob = -1;
		ps.applied = ps.hit = 0;
		run_steps(pl, &ps, now_ns, res);
		res->tables_applied |= ps.applied;
		res->tables_hit |= ps.hit;
		int rc = deparse(pl, &ps, frame, &len, cap);
		if (rc < 0) {
			pl->st.deparse_errors++;
			if (res->err == 0)
				res->err = rc;
			ps.drop = 1;
			ps.to_cpu = 0;
			ps.recirc = 0;
		}
		if (!ps.recirc)
			break;
		if (res->passes >= pl->cfg.max_passes) {
			pl->st.recirc_limit++;
			ps.drop = 1;
			ps.egress_set = 0;
			ps.to_cpu = 0;
			break;
		}
		pl->st.recirculations++;
		port = L7_PL_PORT_RECIRC;
	}
	res->frame_len = len;
	res->latency_ns = (l7_time_ns)res->passes * pl->cfg.pass_latency_ns;
	pl->st.mirrors += res->n_mirror;
	if (ps.to_cpu) {
		/* the CPU copy goes out of the CPU port whatever else was set */
		res->to_cpu = 1;
		res->egress_port = L7_PL_PORT_CPU;
		pl->st.to_cpu++;
		if (pl_cpu_enqueue(pl, now_ns + res->latency_ns, L7_PL_EV_CPU_PKT, ingress_port, NULL,
				   0, &res->cpu_arrive_ns) < 0) {
			res->cpu_lost = 1;
			pl->st.cpu_lost++;
		}
	} else if (ps.drop || !ps.egress_set) {
		res->dropped = 1;
		pl->st.drops++;
	} else {
		res->egress_port = ps.egress;
	}
	return 0;
}
