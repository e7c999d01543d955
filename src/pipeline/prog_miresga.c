/*
 * prog_miresga.c — Miresga's switch program (WWW'25) written with this API:
 * the tables, sizes and control flow of the public data plane
 * (l7lb_switch.p4, as read in ../shared/papers/miresga-code-notes.md §1),
 * so the simulator's Miresga switch runs a real pipeline.
 *
 * Ingress: payload table (pure-ACK detection), VIP and DIP lookups (which
 * set direction and the client tuple), CRC8 of the client tuple (front-end
 * bucket), the offload connection table (143,360 entries keyed by client
 * IP and port), the flag decision of §1.5 as an if/else-if chain, then the
 * egress-port choice (lb_index / d_index / CPU / bounce / LPM route).
 * Egress: SYN-ACK synthesis (ISN from a hash of the client tuple, options
 * MSS 1460, NOP, NOP, SACK-permitted, NOP, WS 7), DIP rewrite for client ->
 * back-end, VIP rewrite for back-end -> client.
 *
 * Differences from the P4 code, on purpose: non-TCP packets are dropped
 * (the ARP table and the UDP bypass are not modelled); any SYN option
 * layout is replaced, not just the 20-byte Linux one; the ISN is by default
 * a keyed hash (isn_keyed = 1) standing in for a SYN cookie — the real
 * cookie encoding is the tcp module's, and isn_keyed = 0 gives the code's
 * unkeyed CRC32(client ip, client port).
 */
#include <string.h>

#include "pl_internal.h"

void l7_pl_miresga_opts_default(struct l7_pl_miresga_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->vip = 0x0a00010a;         /* 10.0.1.10 */
	o->vport = 80;
	o->switch_ip = 0x0a0001fe;   /* 10.0.1.254 */
	o->switch_port = 12345;
	o->offload_size = 143360;    /* l7lb_switch.p4:234 */
	o->isn_keyed = 1;
	o->isn_key = 0x5eed5eed5eed5eedull;
	o->synack_src_mac = 0xabababcdcdcdull;
}

/* Field ids of the program's metadata, filled by declare_fields(). */
struct mf {
	int dir, cip, cport, hash, index, hit, payload, lb, d, v, fwd, cpu, syn;
	int tmp_ip, tmp_port, tmp_mac, isn;
};

static int declare_fields(struct l7_pipeline *pl, struct mf *m)
{
	static const struct {
		const char *name;
		unsigned bits;
		size_t off;
	} f[] = {
		{ "md.direction", 3, offsetof(struct mf, dir) },
		{ "md.cip", 32, offsetof(struct mf, cip) },
		{ "md.cport", 16, offsetof(struct mf, cport) },
		{ "md.hash", 8, offsetof(struct mf, hash) },
		{ "md.index", 8, offsetof(struct mf, index) },
		{ "md.hit", 1, offsetof(struct mf, hit) },
		{ "md.payload", 1, offsetof(struct mf, payload) },
		{ "md.lb", 1, offsetof(struct mf, lb) },
		{ "md.d", 1, offsetof(struct mf, d) },
		{ "md.v", 1, offsetof(struct mf, v) },
		{ "md.fwd", 1, offsetof(struct mf, fwd) },
		{ "md.cpu", 1, offsetof(struct mf, cpu) },
		{ "md.syn", 1, offsetof(struct mf, syn) },
		{ "md.tmp_ip", 32, offsetof(struct mf, tmp_ip) },
		{ "md.tmp_port", 16, offsetof(struct mf, tmp_port) },
		{ "md.tmp_mac", 48, offsetof(struct mf, tmp_mac) },
		{ "md.isn", 32, offsetof(struct mf, isn) },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		int id = l7_pipeline_field_add(pl, f[i].name, f[i].bits);
		if (id < 0)
			return id;
		*(int *)((char *)m + f[i].off) = id;
	}
	return 0;
}

#define NPRIM(a) (unsigned)(sizeof(a) / sizeof((a)[0]))

/* Declare an action, jumping to `fail` on error (rc holds the error). */
#define ACTION(var, name, np, bits, prims)                                          \
	do {                                                                        \
		var = l7_pipeline_action_add(pl, name, np, bits, prims, NPRIM(prims)); \
		if (var < 0) {                                                      \
			rc = var;                                                   \
			goto fail;                                                  \
		}                                                                   \
	} while (0)

static struct l7_pl_step step_of(int table, int action, int goto_step)
{
	struct l7_pl_step s;
	memset(&s, 0, sizeof(s));
	s.table = table;
	s.action = action;
	s.goto_step = goto_step;
	return s;
}

static struct l7_pl_cond cnd(enum l7_pl_cmp cmp, int field, uint64_t v)
{
	struct l7_pl_cond c = { (uint8_t)cmp, (int16_t)field, v };
	return c;
}

static int add_step(struct l7_pipeline *pl, struct l7_pl_step s, unsigned n_cond,
		    struct l7_pl_cond c0, struct l7_pl_cond c1)
{
	s.n_cond = n_cond;
	s.cond[0] = c0;
	s.cond[1] = c1;
	return l7_pipeline_step_add(pl, &s);
}

static int table(struct l7_pipeline *pl, const char *name, unsigned n_keys, const int *kf,
		 const uint8_t *kk, uint32_t size, int action, int action2)
{
	struct l7_pl_table_def d;
	memset(&d, 0, sizeof(d));
	d.name = name;
	d.n_keys = n_keys;
	for (unsigned i = 0; i < n_keys; i++) {
		d.key_field[i] = kf[i];
		d.key_kind[i] = kk[i];
	}
	d.size = size;
	d.actions[d.n_actions++] = action;
	if (action2 >= 0)
		d.actions[d.n_actions++] = action2;
	d.default_action = -1;
	return l7_pipeline_table_add(pl, &d);
}

int l7_pipeline_prog_miresga(struct l7_pipeline *pl, const struct l7_pl_miresga_opts *o,
			     struct l7_pl_miresga *ids)
{
	if (!pl || !o || !ids || o->offload_size == 0 || o->n_vips > 255)
		return L7_EINVAL;
	const int multi = o->n_vips >= 2;
	if (pl->compiled)
		return L7_ESTATE;
	struct mf m;
	int rc = declare_fields(pl, &m);
	if (rc < 0)
		return rc;
	memset(ids, 0, sizeof(*ids));
	const int IPS = L7_PL_F_IPV4_SRC, IPD = L7_PL_F_IPV4_DST;
	const int SP = L7_PL_F_L4_SPORT, DP = L7_PL_F_L4_DPORT;
	int a_init, a_no_payload, a_vip_hit, a_switch_hit, a_dip_hit, a_crc8, a_oft_hit;
	int a_set_port, a_fwd, a_cpu_flag, a_syn_flag, a_lb, a_d, a_v_fwd, a_to_cpu, a_bounce;
	int a_syn_reply, a_set_dst, a_set_src_vip;

	const struct l7_pl_prim p_init[] = { l7_pl_p_set(m.payload, l7_pl_imm(1)) };
	const struct l7_pl_prim p_no_payload[] = { l7_pl_p_set(m.payload, l7_pl_imm(0)) };
	const struct l7_pl_prim p_vip_hit[] = {
		l7_pl_p_set(m.dir, l7_pl_imm(1)), l7_pl_p_set(m.cip, l7_pl_fld(IPS)),
		l7_pl_p_set(m.cport, l7_pl_fld(SP)),
	};
	const struct l7_pl_prim p_switch_hit[] = { l7_pl_p_set(m.dir, l7_pl_imm(4)) };
	const struct l7_pl_prim p_dip_hit[] = {
		l7_pl_p_set(m.dir, l7_pl_imm(2)), l7_pl_p_set(m.cip, l7_pl_fld(IPD)),
		l7_pl_p_set(m.cport, l7_pl_fld(DP)),
	};
	const int tuple[] = { m.cip, m.cport };
	const struct l7_pl_prim p_crc8[] = { l7_pl_p_hash(m.hash, L7_PL_HASH_CRC8, tuple, 2, 0) };
	const uint8_t b_oft[] = { 8 };
	const struct l7_pl_prim p_oft_hit[] = {
		l7_pl_p_set(m.index, l7_pl_param(0)), l7_pl_p_set(m.hit, l7_pl_imm(1)),
	};
	const uint8_t b_port[] = { 9, 48, 48 };
	const struct l7_pl_prim p_set_port[] = {
		l7_pl_p_forward(l7_pl_param(0)),
		l7_pl_p_set(L7_PL_F_ETH_SRC, l7_pl_param(1)),
		l7_pl_p_set(L7_PL_F_ETH_DST, l7_pl_param(2)),
	};
	const struct l7_pl_prim p_fwd[] = { l7_pl_p_set(m.fwd, l7_pl_imm(1)) };
	const struct l7_pl_prim p_cpu_flag[] = { l7_pl_p_set(m.cpu, l7_pl_imm(1)) };
	const struct l7_pl_prim p_syn_flag[] = { l7_pl_p_set(m.syn, l7_pl_imm(1)) };
	const struct l7_pl_prim p_lb[] = { l7_pl_p_set(m.lb, l7_pl_imm(1)) };
	const struct l7_pl_prim p_d[] = { l7_pl_p_set(m.d, l7_pl_imm(1)) };
	const struct l7_pl_prim p_v_fwd[] = {
		l7_pl_p_set(m.v, l7_pl_imm(1)), l7_pl_p_set(m.fwd, l7_pl_imm(1)),
	};
	const struct l7_pl_prim p_to_cpu[] = { l7_pl_p_to_cpu() };
	const struct l7_pl_prim p_bounce[] = {
		l7_pl_p_forward(l7_pl_fld(L7_PL_F_INGRESS_PORT)),
		l7_pl_p_set(m.tmp_mac, l7_pl_fld(L7_PL_F_ETH_SRC)),
		l7_pl_p_set(L7_PL_F_ETH_DST, l7_pl_fld(m.tmp_mac)),
		l7_pl_p_set(L7_PL_F_ETH_SRC, l7_pl_imm(o->synack_src_mac)),
	};
	/* SYN-ACK options as Miresga's egress emits them (12 bytes) */
	static const uint8_t synack_opts[] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7 };
	int blob = l7_pipeline_blob_add(pl, synack_opts, sizeof(synack_opts));
	if (blob < 0)
		return blob;
	const int client[] = { IPS, SP };
	const struct l7_pl_prim p_syn_reply[] = {
		l7_pl_p_hash(m.isn, o->isn_keyed ? L7_PL_HASH_KEYED : L7_PL_HASH_CRC32, client, 2,
			     o->isn_key),
		l7_pl_p_alu(L7_PL_OP_ADD, L7_PL_F_TCP_ACK, l7_pl_fld(L7_PL_F_TCP_SEQ), l7_pl_imm(1)),
		l7_pl_p_set(L7_PL_F_TCP_SEQ, l7_pl_fld(m.isn)),
		l7_pl_p_set(m.tmp_ip, l7_pl_fld(IPS)),
		l7_pl_p_set(IPS, l7_pl_fld(IPD)),
		l7_pl_p_set(IPD, l7_pl_fld(m.tmp_ip)),
		l7_pl_p_set(m.tmp_port, l7_pl_fld(SP)),
		l7_pl_p_set(SP, l7_pl_fld(DP)),
		l7_pl_p_set(DP, l7_pl_fld(m.tmp_port)),
		l7_pl_p_set(L7_PL_F_TCP_FLAGS, l7_pl_imm(L7_TCP_SYN | L7_TCP_ACK)),
		l7_pl_p_tcp_opts(blob),
	};
	const uint8_t b_dst[] = { 32, 16 };
	const struct l7_pl_prim p_set_dst[] = {
		l7_pl_p_set(IPD, l7_pl_param(0)), l7_pl_p_set(DP, l7_pl_param(1)),
	};
	/* one VIP: compiled in (l7lb_switch.p4:419-422); several: the
	 * connection's d_index names its VIP too (d_index_to_vip_table) */
	const struct l7_pl_prim p_set_src_vip[] = {
		l7_pl_p_set(IPS, multi ? l7_pl_param(0) : l7_pl_imm(o->vip)),
		l7_pl_p_set(SP, multi ? l7_pl_param(1) : l7_pl_imm(o->vport)),
	};

	ACTION(a_init, "init_payload_flag", 0, NULL, p_init);
	ACTION(a_no_payload, "no_payload", 0, NULL, p_no_payload);
	ACTION(a_vip_hit, "vip_hit", 0, NULL, p_vip_hit);
	ACTION(a_switch_hit, "switch_hit", 0, NULL, p_switch_hit);
	ACTION(a_dip_hit, "dip_hit", 0, NULL, p_dip_hit);
	ACTION(a_crc8, "calculate_crc8", 0, NULL, p_crc8);
	ACTION(a_oft_hit, "oft_hit", 1, b_oft, p_oft_hit);
	ACTION(a_set_port, "set_egress_port", 3, b_port, p_set_port);
	ACTION(a_fwd, "flag_forward_to_dest", 0, NULL, p_fwd);
	ACTION(a_cpu_flag, "flag_cpu", 0, NULL, p_cpu_flag);
	ACTION(a_syn_flag, "flag_syn_respond", 0, NULL, p_syn_flag);
	ACTION(a_lb, "flag_lb", 0, NULL, p_lb);
	ACTION(a_d, "flag_d", 0, NULL, p_d);
	ACTION(a_v_fwd, "flag_v_forward", 0, NULL, p_v_fwd);
	ACTION(a_to_cpu, "to_cpu_port", 0, NULL, p_to_cpu);
	ACTION(a_bounce, "syn_bounce", 0, NULL, p_bounce);
	ACTION(a_syn_reply, "syn_reply", 0, NULL, p_syn_reply);
	ACTION(a_set_dst, "set_dst_ip_port", 2, b_dst, p_set_dst);
	ACTION(a_set_src_vip, "set_src_ip_port", multi ? 2 : 0, multi ? b_dst : NULL,
	       p_set_src_vip);

	const uint8_t EX[] = { L7_PL_MATCH_EXACT, L7_PL_MATCH_EXACT };
	const uint8_t LPM[] = { L7_PL_MATCH_LPM };
	const int k_payload[] = { L7_PL_F_IPV4_TOTAL_LEN, L7_PL_F_TCP_DOFF };
	const int k_vip[] = { IPD, DP }, k_dip[] = { IPS, SP };
	const int k_idx[] = { m.index }, k_hash[] = { m.hash }, k_route[] = { IPD };
	ids->t_payload = table(pl, "calculate_payload_table", 2, k_payload, EX, 16, a_no_payload, -1);
	ids->t_vip = table(pl, "vip_lookup_table", 2, k_vip, EX, multi ? o->n_vips + 1 : 2,
			   a_vip_hit, a_switch_hit);
	ids->t_dip = table(pl, "dip_lookup_table", 2, k_dip, EX, 256, a_dip_hit, -1);
	ids->t_oft = table(pl, "offload_connection_table", 2, tuple, EX, o->offload_size,
			   a_oft_hit, -1);
	ids->t_route = table(pl, "dest_to_egress_port_table", 1, k_route, LPM, 1024, a_set_port, -1);
	ids->t_d_port = table(pl, "d_index_to_egress_port_table", 1, k_idx, EX, 256, a_set_port, -1);
	ids->t_lb_port = table(pl, "lb_index_to_egress_port_table", 1, k_hash, EX, 256, a_set_port,
			       -1);
	ids->t_d_ip = table(pl, "d_index_to_ip_port_table", 1, k_idx, EX, 256, a_set_dst, -1);
	const int tids[] = { ids->t_payload, ids->t_vip, ids->t_dip, ids->t_oft, ids->t_route,
			     ids->t_d_port, ids->t_lb_port, ids->t_d_ip };
	for (int i = 0; i < 8; i++)
		if (tids[i] < 0)
			return tids[i];
	ids->t_d_vip = -1;
	if (multi && (ids->t_d_vip = table(pl, "d_index_to_vip_table", 1, k_idx, EX, 256,
					    a_set_src_vip, -1)) < 0)
		return ids->t_d_vip;
	ids->a_vip_hit = a_vip_hit;
	ids->a_set_src_ip_port = a_set_src_vip;
	ids->a_set_port = a_set_port;
	ids->a_dip_hit = a_dip_hit;
	ids->a_oft_hit = a_oft_hit;
	ids->a_set_dst_ip_port = a_set_dst;
	ids->f_direction = m.dir;
	ids->f_cip = m.cip;
	ids->f_cport = m.cport;
	ids->f_hash = m.hash;
	ids->f_index = m.index;
	ids->f_flags = L7_PL_F_TCP_FLAGS;

	/* ---- control flow; step numbers are fixed, so jumps are constants */
	enum { S_DECIDE = 7, S_PORTS = 17, S_EGRESS = 22 };
	const struct l7_pl_cond none = { 0, 0, 0 };
	const int FLAGS = L7_PL_F_TCP_FLAGS;
	const uint64_t FINRST = L7_TCP_FIN | L7_TCP_RST;
	int r[25], n = 0;
	r[n++] = add_step(pl, step_of(-1, -1, L7_PL_STEP_END), 1,
			  cnd(L7_PL_CMP_EQ, L7_PL_F_TCP_VALID, 0), none);     /* 0: only TCP */
	r[n++] = add_step(pl, step_of(-1, a_init, -1), 0, none, none);        /* 1 */
	r[n++] = add_step(pl, step_of(ids->t_payload, -1, -1), 0, none, none); /* 2 */
	r[n++] = add_step(pl, step_of(ids->t_vip, -1, -1), 0, none, none);     /* 3 */
	r[n++] = add_step(pl, step_of(ids->t_dip, -1, -1), 0, none, none);     /* 4 */
	r[n++] = add_step(pl, step_of(-1, a_crc8, -1), 0, none, none);         /* 5 */
	r[n++] = add_step(pl, step_of(ids->t_oft, -1, -1), 0, none, none);     /* 6 */
	/* 7..16: the flag decision (l7lb_switch.p4:319-354), first match wins */
	r[n++] = add_step(pl, step_of(-1, a_fwd, S_PORTS), 1, cnd(L7_PL_CMP_EQ, m.dir, 0), none);
	r[n++] = add_step(pl, step_of(-1, a_cpu_flag, S_PORTS), 1, cnd(L7_PL_CMP_EQ, m.dir, 4),
			  none);
	r[n++] = add_step(pl, step_of(-1, a_syn_flag, S_PORTS), 2, cnd(L7_PL_CMP_EQ, m.dir, 1),
			  cnd(L7_PL_CMP_ANY, FLAGS, L7_TCP_SYN));
	r[n++] = add_step(pl, step_of(-1, a_lb, S_PORTS), 2, cnd(L7_PL_CMP_EQ, m.dir, 1),
			  cnd(L7_PL_CMP_ANY, FLAGS, FINRST));
	r[n++] = add_step(pl, step_of(-1, a_lb, S_PORTS), 2, cnd(L7_PL_CMP_EQ, m.dir, 1),
			  cnd(L7_PL_CMP_EQ, m.hit, 0));
	r[n++] = add_step(pl, step_of(-1, a_lb, S_PORTS), 2, cnd(L7_PL_CMP_EQ, m.dir, 1),
			  cnd(L7_PL_CMP_EQ, m.payload, 1));
	r[n++] = add_step(pl, step_of(-1, a_d, S_PORTS), 1, cnd(L7_PL_CMP_EQ, m.dir, 1), none);
	r[n++] = add_step(pl, step_of(-1, a_lb, S_PORTS), 2, cnd(L7_PL_CMP_EQ, m.dir, 2),
			  cnd(L7_PL_CMP_ANY, FLAGS, FINRST));
	r[n++] = add_step(pl, step_of(-1, a_v_fwd, S_PORTS), 2, cnd(L7_PL_CMP_EQ, m.dir, 2),
			  cnd(L7_PL_CMP_EQ, m.hit, 1));
	r[n++] = add_step(pl, step_of(-1, a_lb, S_PORTS), 1, cnd(L7_PL_CMP_EQ, m.dir, 2), none);
	/* 17..21: port selection (356-372), first match wins */
	r[n++] = add_step(pl, step_of(ids->t_lb_port, -1, S_EGRESS), 1, cnd(L7_PL_CMP_EQ, m.lb, 1),
			  none);
	r[n++] = add_step(pl, step_of(ids->t_d_port, -1, S_EGRESS), 1, cnd(L7_PL_CMP_EQ, m.d, 1),
			  none);
	r[n++] = add_step(pl, step_of(-1, a_to_cpu, S_EGRESS), 1, cnd(L7_PL_CMP_EQ, m.cpu, 1), none);
	r[n++] = add_step(pl, step_of(-1, a_bounce, S_EGRESS), 1, cnd(L7_PL_CMP_EQ, m.syn, 1), none);
	r[n++] = add_step(pl, step_of(ids->t_route, -1, S_EGRESS), 1, cnd(L7_PL_CMP_EQ, m.fwd, 1),
			  none);
	/* 22..24: egress (376-467) */
	r[n++] = add_step(pl, step_of(-1, a_syn_reply, L7_PL_STEP_END), 1,
			  cnd(L7_PL_CMP_EQ, m.syn, 1), none);
	r[n++] = add_step(pl, step_of(ids->t_d_ip, -1, L7_PL_STEP_END), 1, cnd(L7_PL_CMP_EQ, m.d, 1),
			  none);
	r[n++] = add_step(pl, multi ? step_of(ids->t_d_vip, -1, L7_PL_STEP_END) :
				      step_of(-1, a_set_src_vip, L7_PL_STEP_END), 1,
			  cnd(L7_PL_CMP_EQ, m.v, 1), none);
	for (int i = 0; i < n; i++)
		if (r[i] != i)
			return r[i] < 0 ? r[i] : L7_ESTATE;
	(void)S_DECIDE;
	return 0;
fail:
	return rc;
}

int l7_pl_miresga_install_const(struct l7_pipeline *pl, const struct l7_pl_miresga_opts *o,
				const struct l7_pl_miresga *ids)
{
	if (!pl || !o || !ids)
		return L7_EINVAL;
	struct l7_pl_entry e;
	memset(&e, 0, sizeof(e));
	/* VIP:80 -> vip_hit; switch control endpoint -> switch_hit */
	e.value[0] = o->vip;
	e.value[1] = o->vport;
	e.action = l7_pipeline_action_id(pl, "vip_hit");
	int rc = l7_pipeline_entry_add(pl, ids->t_vip, &e, 0);
	if (rc < 0)
		return rc;
	e.value[0] = o->switch_ip;
	e.value[1] = o->switch_port;
	e.action = l7_pipeline_action_id(pl, "switch_hit");
	rc = l7_pipeline_entry_add(pl, ids->t_vip, &e, 0);
	if (rc < 0)
		return rc;
	/* a packet has no payload when total_len == 20 + 4 * data offset */
	e.action = l7_pipeline_action_id(pl, "no_payload");
	for (unsigned doff = 5; doff <= 15; doff++) {
		e.value[0] = 20 + 4 * doff;
		e.value[1] = doff;
		rc = l7_pipeline_entry_add(pl, ids->t_payload, &e, 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}
