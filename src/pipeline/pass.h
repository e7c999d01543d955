/*
 * pass.h — the two ends of a pass, shared by the one-by-one interpreter
 * (exec.c) and the burst executor (burst.c) and inline in both: the parser
 * (fills the PHV from the frame: an inline fast path for Ethernet[/802.1Q]/
 * IPv4/TCP, the packet layer's full parser for everything else) and the
 * deparser (writes changed header fields back with RFC 1624 incremental
 * checksum updates), plus the result bookkeeping around them.
 *
 * Invariants: every field, built-in or metadata, is zero at the start of
 * a pass unless the parser sets it; only fields whose value changed are
 * written back; checksums stay right.
 */
#ifndef L7_PIPELINE_PASS_H
#define L7_PIPELINE_PASS_H

#include <string.h>

#include "pl_internal.h"

static inline uint32_t rd16(const uint8_t *b) { return (uint32_t)b[0] << 8 | b[1]; }
static inline uint32_t rd32(const uint8_t *b) { return rd16(b) << 16 | rd16(b + 2); }
static inline void wr16(uint8_t *b, uint32_t v) { b[0] = (uint8_t)(v >> 8); b[1] = (uint8_t)v; }
static inline void wr32(uint8_t *b, uint32_t v) { wr16(b, v >> 16); wr16(b + 2, v); }

static inline uint64_t rd48(const uint8_t *b)
{
	return (uint64_t)rd16(b) << 32 | rd32(b + 2);
}

static inline void wr48(uint8_t *b, uint64_t v)
{
	wr16(b, (uint32_t)(v >> 32));
	wr32(b + 2, (uint32_t)v);
}

/* ------------------------------------------------------------ parser */

static inline void parse_full(struct pl_pass *ps, uint64_t *f, const uint8_t *frame, uint32_t len)
{
	int rc = l7_pkt_parse(&ps->pkt, frame, len, L7_LINKTYPE_ETHERNET);
	const struct l7_pkt *p = &ps->pkt;
	if (!(len >= 14 && (p->layers & L7_PKT_L2)))
		return;
	f[L7_PL_F_ETH_VALID] = 1;
	f[L7_PL_F_ETH_DST] = rd48(frame);
	f[L7_PL_F_ETH_SRC] = rd48(frame + 6);
	f[L7_PL_F_ETH_TYPE] = p->ethertype;
	/* an IPv4 header parsed completely is valid even when what follows
	 * is not (a non-first fragment, a truncated transport header) */
	if (!(p->layers & L7_PKT_L3) || p->ip_version != 4)
		return;
	const uint8_t *ip = frame + p->l3_off;
	f[L7_PL_F_IPV4_VALID] = 1;
	f[L7_PL_F_IPV4_IHL] = p->l3_hdr_len / 4;
	f[L7_PL_F_IPV4_TOTAL_LEN] = rd16(ip + 2);
	f[L7_PL_F_IPV4_TTL] = p->ttl;
	f[L7_PL_F_IPV4_PROTO] = p->proto;
	f[L7_PL_F_IPV4_SRC] = rd32(ip + 12);
	f[L7_PL_F_IPV4_DST] = rd32(ip + 16);
	if (rc != 0 || (p->proto != L7_IPPROTO_TCP && p->proto != L7_IPPROTO_UDP))
		return;
	ps->parsed = 1;
	f[L7_PL_F_L4_SPORT] = p->sport;
	f[L7_PL_F_L4_DPORT] = p->dport;
	f[L7_PL_F_PAYLOAD_LEN] = p->payload_len & 0xffff;
	if (p->proto == L7_IPPROTO_TCP) {
		f[L7_PL_F_TCP_VALID] = 1;
		f[L7_PL_F_TCP_SEQ] = p->tcp_seq;
		f[L7_PL_F_TCP_ACK] = p->tcp_ack;
		f[L7_PL_F_TCP_DOFF] = p->tcp_hdr_len / 4u;
		f[L7_PL_F_TCP_FLAGS] = p->tcp_flags & 0x1ff;
		f[L7_PL_F_TCP_WINDOW] = p->tcp_window;
	} else {
		f[L7_PL_F_UDP_VALID] = 1;
	}
}

/*
 * The common case inline: Ethernet (at most one 802.1Q tag), IPv4 without
 * fragmentation, TCP, every length consistent. Returns 0 if it handled the
 * frame, -1 to let the full parser decide (which also classifies errors).
 */
static inline int parse_fast(struct pl_pass *ps, uint64_t *f, const uint8_t *frame, uint32_t len)
{
	uint32_t l3 = 14;
	if (len < 14 + 20 + 20)
		return -1;
	uint32_t et = rd16(frame + 12);
	if (et == L7_ETHERTYPE_VLAN) {
		l3 = 18;
		et = rd16(frame + 16);
	}
	if (et != L7_ETHERTYPE_IPV4)
		return -1;
	const uint8_t *ip = frame + l3;
	uint32_t ihl = (ip[0] & 15u) * 4u, tot = rd16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != L7_IPPROTO_TCP || (rd16(ip + 6) & 0x3fff) ||
	    tot < ihl + 20 || l3 + tot > len)
		return -1;
	const uint8_t *tcp = ip + ihl;
	uint32_t doff = (uint32_t)(tcp[12] >> 4) * 4u;
	if (doff < 20 || ihl + doff > tot)
		return -1;
	ps->pkt.l3_off = l3;
	ps->pkt.l4_off = l3 + ihl;
	ps->parsed = 1;
	f[L7_PL_F_ETH_VALID] = 1;
	f[L7_PL_F_ETH_DST] = rd48(frame);
	f[L7_PL_F_ETH_SRC] = rd48(frame + 6);
	f[L7_PL_F_ETH_TYPE] = et;
	f[L7_PL_F_IPV4_VALID] = 1;
	f[L7_PL_F_IPV4_IHL] = ihl / 4;
	f[L7_PL_F_IPV4_TOTAL_LEN] = tot;
	f[L7_PL_F_IPV4_TTL] = ip[8];
	f[L7_PL_F_IPV4_PROTO] = L7_IPPROTO_TCP;
	f[L7_PL_F_IPV4_SRC] = rd32(ip + 12);
	f[L7_PL_F_IPV4_DST] = rd32(ip + 16);
	f[L7_PL_F_TCP_VALID] = 1;
	f[L7_PL_F_L4_SPORT] = rd16(tcp);
	f[L7_PL_F_L4_DPORT] = rd16(tcp + 2);
	f[L7_PL_F_TCP_SEQ] = rd32(tcp + 4);
	f[L7_PL_F_TCP_ACK] = rd32(tcp + 8);
	f[L7_PL_F_TCP_DOFF] = doff / 4;
	f[L7_PL_F_TCP_FLAGS] = rd16(tcp + 12) & 0x1ff;
	f[L7_PL_F_TCP_WINDOW] = rd16(tcp + 14);
	f[L7_PL_F_PAYLOAD_LEN] = tot - ihl - doff;
	return 0;
}

static inline void parse(struct l7_pipeline *pl, struct pl_pass *ps, uint64_t *f, const uint8_t *frame,
		  uint32_t len, uint16_t port)
{
	/* every field, built-in or metadata, starts the pass at zero; the
	 * fast parser writes every built-in field but udp.valid */
	memset(f + L7_PL_F__BUILTIN_COUNT, 0,
	       sizeof(uint64_t) * (pl->n_fields - L7_PL_F__BUILTIN_COUNT));
	f[L7_PL_F_UDP_VALID] = 0;
	f[L7_PL_F_INGRESS_PORT] = port & 0x1ff;
	f[L7_PL_F_PKT_LEN] = len & 0xffff;
	ps->parsed = 0;
	if (parse_fast(ps, f, frame, len) < 0) {
		memset(f, 0, sizeof(uint64_t) * L7_PL_F__BUILTIN_COUNT);
		f[L7_PL_F_INGRESS_PORT] = port & 0x1ff;
		f[L7_PL_F_PKT_LEN] = len & 0xffff;
		parse_full(ps, f, frame, len);
	}
	memcpy(ps->orig, f, sizeof(ps->orig));
}

/* ------------------------------------------------------------ deparser */

static inline void l4_csum_fix(uint8_t *l4, int tcp, int wide, uint32_t o, uint32_t n)
{
	unsigned off = tcp ? 16 : 6;
	uint16_t c = (uint16_t)rd16(l4 + off);
	if (!tcp && c == 0)
		return; /* UDP over IPv4 without a checksum stays without one */
	c = wide ? l7_csum_update32(c, o, n) : l7_csum_update16(c, (uint16_t)o, (uint16_t)n);
	if (!tcp && c == 0)
		c = 0xffff;
	wr16(l4 + off, c);
}

/* Deparser: write back what changed; 0 or a negative error. */
static inline int deparse(struct l7_pipeline *pl, struct pl_pass *ps, const uint64_t *f, uint8_t *frame,
		   uint32_t *len, uint32_t cap)
{
	const uint64_t *o = ps->orig;
	/* a program may set eth.valid itself: a frame without room for the
	 * header has nothing to write back */
	if (f[L7_PL_F_ETH_VALID] && *len >= 14) {
		if (f[L7_PL_F_ETH_DST] != o[L7_PL_F_ETH_DST])
			wr48(frame, f[L7_PL_F_ETH_DST]);
		if (f[L7_PL_F_ETH_SRC] != o[L7_PL_F_ETH_SRC])
			wr48(frame + 6, f[L7_PL_F_ETH_SRC]);
	}
	if (!ps->parsed)
		return 0;
	uint8_t *ip = frame + ps->pkt.l3_off, *l4 = frame + ps->pkt.l4_off;
	int tcp = f[L7_PL_F_TCP_VALID] != 0;
	if (f[L7_PL_F_IPV4_SRC] != o[L7_PL_F_IPV4_SRC] || f[L7_PL_F_IPV4_DST] != o[L7_PL_F_IPV4_DST] ||
	    f[L7_PL_F_IPV4_TTL] != o[L7_PL_F_IPV4_TTL]) {
		uint16_t ipc = (uint16_t)rd16(ip + 10);
		for (int k = 0; k < 2; k++) {
			int fid = k ? L7_PL_F_IPV4_DST : L7_PL_F_IPV4_SRC;
			if (f[fid] == o[fid])
				continue;
			uint32_t old = rd32(ip + 12 + 4 * k), nw = (uint32_t)f[fid];
			wr32(ip + 12 + 4 * k, nw);
			ipc = l7_csum_update32(ipc, old, nw);
			l4_csum_fix(l4, tcp, 1, old, nw); /* pseudo-header */
		}
		if (f[L7_PL_F_IPV4_TTL] != o[L7_PL_F_IPV4_TTL]) {
			uint32_t old = rd16(ip + 8);
			ip[8] = (uint8_t)f[L7_PL_F_IPV4_TTL];
			ipc = l7_csum_update16(ipc, (uint16_t)old, (uint16_t)rd16(ip + 8));
		}
		wr16(ip + 10, ipc);
	}
	for (int k = 0; k < 2; k++) {
		int fid = k ? L7_PL_F_L4_DPORT : L7_PL_F_L4_SPORT;
		if (f[fid] == o[fid])
			continue;
		uint32_t old = rd16(l4 + 2 * k);
		wr16(l4 + 2 * k, (uint32_t)f[fid]);
		l4_csum_fix(l4, tcp, 0, old, (uint32_t)f[fid]);
	}
	if (!tcp)
		return 0;
	for (int k = 0; k < 2; k++) {
		int fid = k ? L7_PL_F_TCP_ACK : L7_PL_F_TCP_SEQ;
		if (f[fid] == o[fid])
			continue;
		uint32_t old = rd32(l4 + 4 + 4 * k);
		wr32(l4 + 4 + 4 * k, (uint32_t)f[fid]);
		l4_csum_fix(l4, 1, 1, old, (uint32_t)f[fid]);
	}
	if (f[L7_PL_F_TCP_FLAGS] != o[L7_PL_F_TCP_FLAGS]) {
		uint32_t old = rd16(l4 + 12);
		uint32_t nw = (old & 0xfe00u) | (uint32_t)f[L7_PL_F_TCP_FLAGS];
		wr16(l4 + 12, nw);
		l4_csum_fix(l4, 1, 0, old, nw);
	}
	if (f[L7_PL_F_TCP_WINDOW] != o[L7_PL_F_TCP_WINDOW]) {
		uint32_t old = rd16(l4 + 14);
		wr16(l4 + 14, (uint32_t)f[L7_PL_F_TCP_WINDOW]);
		l4_csum_fix(l4, 1, 0, old, (uint32_t)f[L7_PL_F_TCP_WINDOW]);
	}
	if (ps->opts_blob >= 0) {
		/* an options rewrite moves bytes: re-read the view of the edited
		 * frame, then let the packet layer rebuild the header */
		int rc = l7_pkt_parse(&ps->pkt, frame, *len, L7_LINKTYPE_ETHERNET);
		if (rc == 0)
			rc = l7_pkt_tcp_set_opts(&ps->pkt, frame, cap, pl->blob[ps->opts_blob],
						 pl->blob_len[ps->opts_blob]);
		if (rc < 0)
			return rc;
		*len = ps->pkt.caplen;
	}
	return 0;
}

static inline void pl_pass_begin(struct l7_pipeline *pl, struct pl_pass *ps, uint64_t *f, const uint8_t *frame,
		   uint32_t len, uint16_t port, struct l7_pl_result *res)
{
	pl->pass_id++;
	res->passes++;
	pl->st.passes++;
	parse(pl, ps, f, frame, len, port);
	ps->egress_set = ps->drop = ps->to_cpu = ps->recirc = 0;
	ps->opts_blob = -1;
	ps->applied = ps->hit = 0;
}

/* Deparse from PHV f; 1 if another pass is due (recirculation), else 0. */
static inline int pl_pass_end(struct l7_pipeline *pl, struct pl_pass *ps, const uint64_t *f, uint8_t *frame,
		uint32_t *len, uint32_t cap, struct l7_pl_result *res)
{
	res->tables_applied |= ps->applied;
	res->tables_hit |= ps->hit;
	int rc = deparse(pl, ps, f, frame, len, cap);
	if (rc < 0) {
		pl->st.deparse_errors++;
		if (res->err == 0)
			res->err = rc;
		ps->drop = 1;
		ps->to_cpu = 0;
		ps->recirc = 0;
	}
	if (!ps->recirc)
		return 0;
	if (res->passes >= pl->cfg.max_passes) {
		pl->st.recirc_limit++;
		ps->drop = 1;
		ps->egress_set = 0;
		ps->to_cpu = 0;
		return 0;
	}
	pl->st.recirculations++;
	return 1;
}

static inline void pl_finish(struct l7_pipeline *pl, const struct pl_pass *ps, uint32_t len,
	       uint16_t ingress_port, l7_time_ns now_ns, struct l7_pl_result *res)
{
	res->frame_len = len;
	res->latency_ns = (l7_time_ns)res->passes * pl->cfg.pass_latency_ns;
	pl->st.mirrors += res->n_mirror;
	if (ps->to_cpu) {
		/* the CPU copy goes out of the CPU port whatever else was set */
		res->to_cpu = 1;
		res->egress_port = L7_PL_PORT_CPU;
		pl->st.to_cpu++;
		if (pl_cpu_enqueue(pl, now_ns + res->latency_ns, L7_PL_EV_CPU_PKT, ingress_port, NULL,
				   0, &res->cpu_arrive_ns) < 0) {
			res->cpu_lost = 1;
			pl->st.cpu_lost++;
		}
	} else if (ps->drop || !ps->egress_set) {
		res->dropped = 1;
		pl->st.drops++;
	} else {
		res->egress_port = ps->egress;
	}
}

#endif
