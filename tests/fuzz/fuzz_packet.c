/*
 * fuzz_packet.c — libFuzzer harness for the packet module: parse a frame
 * under any supported link type, walk and decode its TCP options, verify
 * checksums, build flow keys, parse a VXLAN inner frame, then run the
 * mutators on a copy with spare capacity and re-check the invariants.
 *
 * Input: byte 0 picks the link type (index into link_types[]), the rest is
 * the frame. Build and run: see docs/packet.md ("Fuzzing").
 *
 * Invariants checked (a violation traps): offsets ordered and inside the
 * capture; option records inside the options area; mutated packets still
 * parse and carry checksums equal to a full recomputation.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "l7splice/packet.h"

static const uint32_t link_types[] = {
	L7_LINKTYPE_ETHERNET, L7_LINKTYPE_RAW, L7_LINKTYPE_LINUX_SLL,
	L7_LINKTYPE_LINUX_SLL2, L7_LINKTYPE_NULL, L7_LINKTYPE_LOOP,
	L7_LINKTYPE_IPV4, L7_LINKTYPE_IPV6, L7_LINKTYPE_DLT_RAW_12,
	L7_LINKTYPE_DLT_RAW_14, 105 /* unsupported */,
};

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static void check_view(const struct l7_pkt *p, int rc)
{
	CHECK(rc <= 0);
	if (rc != 0)
		return;
	CHECK(p->layers == (L7_PKT_L2 | L7_PKT_L3 | L7_PKT_L4));
	CHECK(p->l3_off <= p->l4_off && p->l4_off <= p->payload_off);
	CHECK(p->payload_off + p->payload_caplen <= p->caplen);
	CHECK(p->payload_caplen <= p->payload_len);
	if (p->proto == L7_IPPROTO_TCP)
		CHECK(p->tcp_hdr_len >= 20 && p->l4_off + p->tcp_hdr_len == p->payload_off);
}

static void options(const struct l7_pkt *p)
{
	struct l7_tcpopt_iter it;
	struct l7_tcpopt o;
	struct l7_tcp_opts d;
	struct l7_sack_block b[4];
	const uint8_t *opts;
	size_t len;
	int rc, n = 0;
	uint16_t mss;
	uint32_t a, e;

	opts = l7_pkt_tcp_opts(p, &len);
	l7_tcpopt_iter_init(&it, opts, len);
	while ((rc = l7_tcpopt_next(&it, &o)) > 0) {
		CHECK((size_t)o.off + o.len <= len);
		CHECK(++n <= 40);
	}
	CHECK(rc == 0 || rc == L7_EBADOPT);
	CHECK(l7_tcp_opts_parse(opts, len, &d) == rc);
	CHECK(l7_tcpopt_validate(opts, len) == rc);
	(void)l7_tcpopt_get_mss(opts, len, &mss);
	(void)l7_tcpopt_get_ts(opts, len, &a, &e);
	rc = l7_tcpopt_get_sack(opts, len, b);
	CHECK(rc <= 4);
}

static void mutate(const struct l7_pkt *orig)
{
	static uint8_t buf[70000];
	struct l7_pkt p;
	static const uint8_t ts[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	int rc;

	if (orig->caplen > sizeof(buf) - 64)
		return;
	memcpy(buf, orig->data, orig->caplen);
	if (l7_pkt_parse(&p, buf, orig->caplen, orig->linktype) != 0)
		__builtin_trap(); /* same bytes, same answer */
	(void)l7_pkt_fix_csums(&p, buf);
	rc = l7_pkt_set_ports(&p, buf, 1, 2);
	CHECK(rc == 0 || p.proto != L7_IPPROTO_TCP);
	if (p.proto != L7_IPPROTO_TCP)
		return;
	CHECK(l7_pkt_set_seq(&p, buf, 0x01020304) == 0);
	CHECK(l7_pkt_set_flags(&p, buf, L7_TCP_ACK) == 0);
	(void)l7_pkt_tcpopt_rewrite(&p, buf, L7_TCPOPT_TS, ts, 8);
	(void)l7_pkt_tcpopt_remove(&p, buf, L7_TCPOPT_SACK_PERM);
	rc = l7_pkt_tcpopt_insert(&p, buf, sizeof(buf), L7_TCPOPT_MSS, ts, 2);
	if (rc == 0) {
		struct l7_pkt q;

		CHECK(l7_pkt_parse(&q, buf, p.caplen, p.linktype) == 0);
		CHECK(l7_csum_l4(&q) == ((int)buf[q.l4_off + 16] << 8 | buf[q.l4_off + 17]));
	}
}

/* Wrapping an Ethernet frame in VXLAN must not change how it parses. */
static void encapsulate(const uint8_t *frame, size_t len, int direct_rc)
{
	static uint8_t out[70000];
	struct l7_vxlan_build vb;
	struct l7_pkt o, in;
	size_t olen;

	memset(&vb, 0, sizeof(vb));
	vb.linktype = L7_LINKTYPE_ETHERNET;
	vb.ip_version = 4;
	vb.src = l7_addr_from_v4(0x0a000001);
	vb.dst = l7_addr_from_v4(0x0a000002);
	vb.vni = 0xabcdef;
	vb.udp_csum = 1;
	vb.inner = frame;
	vb.inner_len = len;
	if (l7_pkt_build_vxlan(out, sizeof(out), &vb, &olen) != 0)
		return; /* too big for one IPv4 packet */
	CHECK(l7_pkt_parse(&o, out, (uint32_t)olen, L7_LINKTYPE_ETHERNET) == 0);
	CHECK((o.flags & L7_PKT_F_VXLAN) && o.vxlan_vni == 0xabcdef);
	CHECK(l7_pkt_csum_verify(&o) == 0);
	CHECK(l7_pkt_parse_inner(&o, &in) == direct_rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct l7_pkt p, in;
	struct l7_flow_key k;
	int rc;

	if (size < 1)
		return 0;
	rc = l7_pkt_parse(&p, data + 1, (uint32_t)(size - 1),
			  link_types[data[0] % (sizeof(link_types) / sizeof(link_types[0]))]);
	check_view(&p, rc);
	if (p.linktype == L7_LINKTYPE_ETHERNET)
		encapsulate(data + 1, size - 1, rc);
	if (p.layers & L7_PKT_L3) {
		CHECK(l7_pkt_csum_verify(&p) >= 0);
		l7_flow_key_from_pkt(&k, &p);
		(void)l7_flow_key_canon(&k);
	}
	if (rc != 0)
		return 0;
	if (p.proto == L7_IPPROTO_TCP)
		options(&p);
	if (p.flags & L7_PKT_F_VXLAN)
		check_view(&in, l7_pkt_parse_inner(&p, &in));
	mutate(&p);
	return 0;
}
