/*
 * test_packet.c — the view parser: every link type, VLAN/QinQ, IPv4 options
 * and fragments, every IPv6 extension header (incl. atomic fragments), UDP,
 * VXLAN, lying length fields, every truncation point of real frames, flow
 * keys and the per-classification counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "l7splice/packet.h"
#include "test_packet_util.h"

/* ------------------------------------------------------------ real frames */

static void real_ipv4_get_fields(void **state)
{
	struct l7_pkt p;

	(void)state;
	assert_int_equal(l7_pkt_parse(&p, frame_get, sizeof(frame_get), L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(p.layers, L7_PKT_L2 | L7_PKT_L3 | L7_PKT_L4);
	assert_int_equal(p.flags, L7_PKT_F_DF);
	assert_int_equal(p.l3_off, 14);
	assert_int_equal(p.l4_off, 34);
	assert_int_equal(p.payload_off, 66);
	assert_int_equal(p.ethertype, 0x0800);
	assert_int_equal(p.n_vlans, 0);
	assert_int_equal(p.ip_version, 4);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.ttl, 64);
	assert_int_equal(p.ip_id, 0x4a9a);
	assert_int_equal(p.ip_len, 188);
	assert_int_equal(p.l3_hdr_len, 20);
	assert_true(l7_addr_is_v4(&p.src));
	assert_int_equal(l7_addr_v4(&p.src), 0x8d8ee405u); /* 141.142.228.5 */
	assert_int_equal(l7_addr_v4(&p.dst), 0xc096bb2bu); /* 192.150.187.43 */
	assert_int_equal(p.sport, 59856);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.tcp_seq, 4263588411u);
	assert_int_equal(p.tcp_ack, 2779762239u);
	assert_int_equal(p.tcp_flags, L7_TCP_ACK | L7_TCP_PSH);
	assert_int_equal(p.tcp_window, 8235);
	assert_int_equal(p.tcp_hdr_len, 32);
	assert_int_equal(p.payload_len, 136);
	assert_int_equal(p.payload_caplen, 136);
	assert_memory_equal(l7_pkt_payload(&p), "GET /download/CHANGES.bro-aux.txt HTTP/1.1\r\n", 44);
}

static void real_ipv6_synack_fields(void **state)
{
	static const uint8_t src[16] = { 0x20, 0x01, 0x06, 0xf8, 0x09, 0x00, 0x07, 0xc0,
					 0, 0, 0, 0, 0, 0, 0, 2 };
	struct l7_pkt p;

	(void)state;
	assert_int_equal(l7_pkt_parse(&p, frame_v6_synack, sizeof(frame_v6_synack),
				      L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(p.ip_version, 6);
	assert_false(l7_addr_is_v4(&p.src));
	assert_memory_equal(p.src.b, src, 16);
	assert_int_equal(p.l4_off, 54);
	assert_int_equal(p.l3_hdr_len, 40);
	assert_int_equal(p.ip_len, 68);
	assert_int_equal(p.ttl, 64);
	assert_int_equal(p.sport, 80);
	assert_int_equal(p.dport, 59201);
	assert_int_equal(p.tcp_flags, L7_TCP_SYN | L7_TCP_ACK);
	assert_int_equal(p.tcp_hdr_len, 28);
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(p.flags, 0);
}

/* ------------------------------------------------------------ link types */

static void check_get_inside(const uint8_t *frame, size_t len, uint32_t lt, uint32_t l3_off)
{
	struct l7_pkt p;

	assert_int_equal(l7_pkt_parse(&p, frame, (uint32_t)len, lt), 0);
	assert_int_equal(p.l3_off, l3_off);
	assert_int_equal(p.l4_off, l3_off + 20);
	assert_int_equal(p.sport, 59856);
	assert_int_equal(p.payload_len, 136);
	assert_int_equal(p.ethertype, 0x0800);
	assert_int_equal(p.linktype, lt);
	assert_int_equal(l7_pkt_csum_verify(&p), 0);
	assert_int_equal(l7_linktype_supported(lt), 1);
}

static void every_link_type(void **state)
{
	uint8_t f[400];
	size_t n;
	struct l7_pkt p;
	static const uint32_t raws[] = { L7_LINKTYPE_RAW, L7_LINKTYPE_DLT_RAW_12,
					 L7_LINKTYPE_DLT_RAW_14, L7_LINKTYPE_IPV4 };

	(void)state;
	n = tp_wrap(f, L7_LINKTYPE_ETHERNET, TP_GET_IP, TP_GET_IP_LEN, 0, 0);
	check_get_inside(f, n, L7_LINKTYPE_ETHERNET, 14);
	n = tp_wrap(f, L7_LINKTYPE_LINUX_SLL, TP_GET_IP, TP_GET_IP_LEN, 0, 0);
	check_get_inside(f, n, L7_LINKTYPE_LINUX_SLL, 16);
	n = tp_wrap(f, L7_LINKTYPE_LINUX_SLL2, TP_GET_IP, TP_GET_IP_LEN, 0, 0);
	check_get_inside(f, n, L7_LINKTYPE_LINUX_SLL2, 20);
	n = tp_wrap(f, L7_LINKTYPE_NULL, TP_GET_IP, TP_GET_IP_LEN, 0, 0);
	check_get_inside(f, n, L7_LINKTYPE_NULL, 4);
	n = tp_wrap(f, L7_LINKTYPE_NULL, TP_GET_IP, TP_GET_IP_LEN, 1, 0);
	check_get_inside(f, n, L7_LINKTYPE_NULL, 4); /* captured on a big-endian host */
	n = tp_wrap(f, L7_LINKTYPE_LOOP, TP_GET_IP, TP_GET_IP_LEN, 1, 0);
	check_get_inside(f, n, L7_LINKTYPE_LOOP, 4);
	for (size_t i = 0; i < sizeof(raws) / sizeof(raws[0]); i++) {
		n = tp_wrap(f, raws[i], TP_GET_IP, TP_GET_IP_LEN, 0, 0);
		check_get_inside(f, n, raws[i], 0);
	}
	/* LINKTYPE_IPV6 must hold IPv6; LINKTYPE_IPV4 must hold IPv4. */
	assert_int_equal(l7_pkt_parse(&p, TP_GET_IP, TP_GET_IP_LEN, L7_LINKTYPE_IPV6), L7_EMALFORMED);
	assert_int_equal(l7_pkt_parse(&p, frame_v6_synack + 14, sizeof(frame_v6_synack) - 14,
				      L7_LINKTYPE_IPV4), L7_EMALFORMED);
	/* Unsupported link types. */
	assert_int_equal(l7_pkt_parse(&p, frame_get, sizeof(frame_get), 105), L7_ELINKTYPE);
	assert_int_equal(l7_pkt_parse(&p, frame_get, sizeof(frame_get), 127), L7_ELINKTYPE);
	assert_int_equal(l7_linktype_supported(105), 0);
	assert_string_equal(l7_linktype_name(L7_LINKTYPE_LINUX_SLL2), "LINUX_SLL2");
	assert_string_equal(l7_linktype_name(L7_LINKTYPE_ETHERNET), "EN10MB");
	assert_string_equal(l7_linktype_name(999), "unknown");
}

static void ipv6_over_every_link_type(void **state)
{
	const uint8_t *ip = frame_v6_synack + 14;
	size_t ip_len = sizeof(frame_v6_synack) - 14, n;
	static const uint32_t afs[] = { 10, 24, 28, 30 };
	uint8_t f[200];
	struct l7_pkt p;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		n = tp_wrap(f, L7_LINKTYPE_NULL, ip, ip_len, 0, afs[i]);
		assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_NULL), 0);
		assert_int_equal(p.ip_version, 6);
		assert_int_equal(p.ethertype, 0x86dd);
		assert_int_equal(p.dport, 59201);
	}
	n = tp_wrap(f, L7_LINKTYPE_IPV6, ip, ip_len, 0, 0);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_IPV6), 0);
	assert_int_equal(l7_pkt_csum_verify(&p), 0);
	n = tp_wrap(f, L7_LINKTYPE_RAW, ip, ip_len, 0, 0);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_RAW), 0);
	assert_int_equal(p.ip_version, 6);
	n = tp_wrap(f, L7_LINKTYPE_LINUX_SLL2, ip, ip_len, 0, 0);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_LINUX_SLL2), 0);
	assert_int_equal(p.l4_off, 60);
	/* An address family that is not IP. */
	n = tp_wrap(f, L7_LINKTYPE_NULL, ip, ip_len, 0, 7);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_NULL), L7_EUNSUPPORTED);
	assert_int_equal(p.layers, L7_PKT_L2);
	/* Raw IP whose version nibble is neither 4 nor 6. */
	memcpy(f, ip, ip_len);
	f[0] = 0x50;
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)ip_len, L7_LINKTYPE_RAW), L7_EMALFORMED);
}

static void non_ip_frames(void **state)
{
	uint8_t f[64];
	struct l7_pkt p;

	(void)state;
	memcpy(f, frame_get, 60);
	tp_wr16(f + 12, 0x0806); /* ARP */
	assert_int_equal(l7_pkt_parse(&p, f, 60, L7_LINKTYPE_ETHERNET), L7_EUNSUPPORTED);
	assert_int_equal(p.layers, L7_PKT_L2);
	assert_int_equal(p.ethertype, 0x0806);
	tp_wr16(f + 12, 46); /* 802.3 length field: LLC follows */
	assert_int_equal(l7_pkt_parse(&p, f, 60, L7_LINKTYPE_ETHERNET), L7_EUNSUPPORTED);
	/* Ethernet says IPv4 but the version nibble says 6. */
	memcpy(f, frame_get, 60);
	f[14] = 0x65;
	assert_int_equal(l7_pkt_parse(&p, f, 60, L7_LINKTYPE_ETHERNET), L7_EMALFORMED);
	assert_int_equal(p.layers, L7_PKT_L2);
}

/* ------------------------------------------------------------ VLAN */

/* frame_get with `n` tags of the given TPIDs inserted after the MACs. */
static size_t with_tags(uint8_t *f, const uint16_t *tpid, const uint16_t *vid, int n)
{
	size_t off = 12;

	memcpy(f, frame_get, 12);
	for (int i = 0; i < n; i++) {
		tp_wr16(f + off, tpid[i]);
		tp_wr16(f + off + 2, (uint16_t)(0xe000 | vid[i])); /* PCP 7 must be masked */
		off += 4;
	}
	memcpy(f + off, frame_get + 12, sizeof(frame_get) - 12);
	return off + sizeof(frame_get) - 12;
}

static void vlan_and_qinq(void **state)
{
	uint8_t f[300];
	struct l7_pkt p;
	size_t n;
	static const uint16_t dot1q[] = { 0x8100 }, qinq[] = { 0x88a8, 0x8100 },
			      old[] = { 0x9100, 0x8100 }, three[] = { 0x88a8, 0x8100, 0x8100 };
	static const uint16_t vids[] = { 100, 4095, 7 };

	(void)state;
	n = with_tags(f, dot1q, vids, 1);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(p.n_vlans, 1);
	assert_int_equal(p.vlan_id[0], 100);
	assert_int_equal(p.l3_off, 18);
	assert_true(p.flags & L7_PKT_F_VLAN);
	assert_int_equal(p.payload_len, 136);

	n = with_tags(f, qinq, vids, 2);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(p.n_vlans, 2);
	assert_int_equal(p.vlan_id[0], 100);
	assert_int_equal(p.vlan_id[1], 4095);
	assert_int_equal(p.l3_off, 22);
	assert_int_equal(l7_pkt_csum_verify(&p), 0);

	n = with_tags(f, old, vids, 2);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(p.n_vlans, 2);
	assert_int_equal(p.l3_off, 22);

	/* Three tags: all skipped, the first two recorded. */
	n = with_tags(f, three, vids, 3);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(p.n_vlans, 3);
	assert_int_equal(p.vlan_id[1], 4095);
	assert_int_equal(p.l3_off, 26);
	assert_int_equal(p.sport, 59856);

	/* A tag cut in half. */
	n = with_tags(f, qinq, vids, 2);
	assert_int_equal(l7_pkt_parse(&p, f, 20, L7_LINKTYPE_ETHERNET), L7_ETRUNCATED);

	/* A VLAN tag inside Linux cooked capture. */
	memset(f, 0, 16);
	tp_wr16(f + 14, 0x8100);
	tp_wr16(f + 16, 42);
	tp_wr16(f + 18, 0x0800);
	memcpy(f + 20, TP_GET_IP, TP_GET_IP_LEN);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)(20 + TP_GET_IP_LEN), L7_LINKTYPE_LINUX_SLL), 0);
	assert_int_equal(p.vlan_id[0], 42);
	assert_int_equal(p.l3_off, 20);
}

/* ------------------------------------------------------------ truncation */

/*
 * Cut `frame` at every length 0..len and check the exact classification:
 * below hdr_end[k] (the ends of the link, IP, minimum L4 and full L4
 * headers) it must be L7_ETRUNCATED with exactly the layers before k; from
 * the end of the headers on it parses, with payload_caplen growing by one
 * and F_SNAPPED until the full length.
 */
static void truncate_everywhere(const uint8_t *frame, size_t len, uint32_t lt,
				const uint32_t *hdr_end, const uint16_t *layers_before, int n_ends)
{
	uint8_t *copy = test_malloc(len ? len : 1);
	struct l7_pkt p;
	uint32_t payload_off = hdr_end[n_ends - 1];

	for (size_t cut = 0; cut <= len; cut++) {
		int rc;

		/* A fresh heap copy of exactly `cut` bytes lets ASan catch any
		 * read past the capture. */
		test_free(copy);
		copy = test_malloc(cut ? cut : 1);
		memcpy(copy, frame, cut);
		rc = l7_pkt_parse(&p, copy, (uint32_t)cut, lt);
		if (cut < payload_off) {
			int k = 0;

			while (cut >= hdr_end[k])
				k++;
			assert_int_equal(rc, L7_ETRUNCATED);
			assert_int_equal(p.layers, layers_before[k]);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(p.payload_off, payload_off);
			assert_int_equal(p.payload_caplen, cut - payload_off);
			assert_int_equal(p.payload_len, len - payload_off);
			assert_int_equal(!!(p.flags & L7_PKT_F_SNAPPED), cut < len);
		}
	}
	test_free(copy);
}

static void every_truncation_point_ipv4(void **state)
{
	static const uint32_t ends[] = { 14, 34, 54, 66 };
	static const uint16_t layers[] = { 0, L7_PKT_L2, L7_PKT_L2 | L7_PKT_L3,
					   L7_PKT_L2 | L7_PKT_L3 };

	(void)state;
	truncate_everywhere(frame_get, sizeof(frame_get), L7_LINKTYPE_ETHERNET, ends, layers, 4);
	truncate_everywhere(frame_syn, sizeof(frame_syn), L7_LINKTYPE_ETHERNET,
			    (const uint32_t[]){ 14, 34, 54, 78 }, layers, 4);
}

static void every_truncation_point_ipv6(void **state)
{
	static const uint32_t ends[] = { 14, 54, 74, 82 };
	static const uint16_t layers[] = { 0, L7_PKT_L2, L7_PKT_L2 | L7_PKT_L3,
					   L7_PKT_L2 | L7_PKT_L3 };

	(void)state;
	truncate_everywhere(frame_v6_synack, sizeof(frame_v6_synack), L7_LINKTYPE_ETHERNET,
			    ends, layers, 4);
}

static void every_truncation_point_qinq_sll2(void **state)
{
	static const uint16_t tp[] = { 0x88a8, 0x8100 }, vid[] = { 1, 2 };
	static const uint16_t layers[] = { 0, 0, L7_PKT_L2, L7_PKT_L2 | L7_PKT_L3,
					   L7_PKT_L2 | L7_PKT_L3 };
	uint8_t f[300];
	size_t n = with_tags(f, tp, vid, 2);

	(void)state;
	/* MACs+first tag end at 18 (no tag-less L2), both tags at 22. */
	truncate_everywhere(f, n, L7_LINKTYPE_ETHERNET,
			    (const uint32_t[]){ 18, 22, 42, 62, 74 }, layers, 5);
	n = tp_wrap(f, L7_LINKTYPE_LINUX_SLL2, TP_GET_IP, TP_GET_IP_LEN, 0, 0);
	truncate_everywhere(f, n, L7_LINKTYPE_LINUX_SLL2,
			    (const uint32_t[]){ 20, 40, 60, 72 }, layers + 1, 4);
}

static void padding_after_ip_packet(void **state)
{
	uint8_t f[64];
	struct l7_pkt p;

	(void)state;
	/* A 54-byte pure ACK padded to Ethernet's 60-byte minimum. */
	memcpy(f, frame_get, 54);
	tp_wr16(f + 16, 40);
	f[46] = 0x50; /* data offset 5 */
	memset(f + 54, 0xee, 6);
	assert_int_equal(l7_pkt_parse(&p, f, 60, L7_LINKTYPE_ETHERNET), 0);
	assert_true(p.flags & L7_PKT_F_PADDED);
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(p.payload_caplen, 0);
	assert_int_equal(p.ip_len, 40);
}

/* ------------------------------------------------------------ IPv4 */

static size_t ipv4_tcp(uint8_t *f, size_t ip_opt, uint16_t frag_word, size_t payload)
{
	size_t ihl;

	memcpy(f, frame_get, 14);
	ihl = tp_ipv4_hdr(f + 14, 6, 0x0a000001, 0x0a000002, ip_opt, 20 + payload, frag_word);
	tp_tcp_hdr(f + 14 + ihl, 1234, 80, 1000, 5, L7_TCP_ACK);
	memset(f + 14 + ihl + 20, 'x', payload);
	return 14 + ihl + 20 + payload;
}

static void ipv4_options(void **state)
{
	uint8_t f[200];
	struct l7_pkt p;
	size_t n;

	(void)state;
	for (size_t opt = 4; opt <= 40; opt += 4) {
		n = ipv4_tcp(f, opt, 0, 10);
		assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
		assert_int_equal(p.l3_hdr_len, 20 + opt);
		assert_int_equal(p.l4_off, 34 + opt);
		assert_true(p.flags & L7_PKT_F_IPOPTS);
		assert_int_equal(p.sport, 1234);
		assert_int_equal(p.payload_len, 10);
		assert_false(l7_pkt_csum_verify(&p) & L7_CSUM_IP_BAD);
		/* Options cut by the capture. */
		assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)(34 + opt - 1), L7_LINKTYPE_ETHERNET),
				 L7_ETRUNCATED);
	}
	/* IHL below 5 is impossible. */
	n = ipv4_tcp(f, 0, 0, 10);
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		f[14] = (uint8_t)(0x40 | ihl);
		assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), L7_EMALFORMED);
	}
}

static void ipv4_lying_lengths(void **state)
{
	uint8_t f[200];
	struct l7_pkt p;
	size_t n;

	(void)state;
	/* Total length shorter than the header. */
	n = ipv4_tcp(f, 8, 0, 10);
	tp_wr16(f + 16, 24);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), L7_EMALFORMED);
	/* Total length leaves no room for the TCP header it carries. */
	n = ipv4_tcp(f, 0, 0, 10);
	tp_wr16(f + 16, 30);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), L7_EMALFORMED);
	assert_int_equal(p.layers, L7_PKT_L2 | L7_PKT_L3);
	/* TCP data offset < 5. */
	n = ipv4_tcp(f, 0, 0, 10);
	f[46] = 0x40;
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), L7_EMALFORMED);
	/* TCP data offset past the IP length while the bytes are captured. */
	n = ipv4_tcp(f, 0, 0, 60);
	tp_wr16(f + 16, 50);
	f[46] = 0xf0;
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), L7_EMALFORMED);
	/* Data offset past both IP length and capture: a lie first of all. */
	n = ipv4_tcp(f, 0, 0, 10);
	f[46] = 0xf0;
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), L7_EMALFORMED);
	/* Data offset within the IP length but past the capture (snaplen). */
	tp_wr16(f + 16, 1500);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), L7_ETRUNCATED);
	/* IP length 0 (TSO): nothing to lie against, so truncated. */
	tp_wr16(f + 16, 0);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), L7_ETRUNCATED);
	/* IHL past a short total length and past the capture. */
	n = ipv4_tcp(f, 40, 0, 0);
	tp_wr16(f + 16, 40);
	assert_int_equal(l7_pkt_parse(&p, f, 50, L7_LINKTYPE_ETHERNET), L7_EMALFORMED);
	tp_wr16(f + 16, 80);
	assert_int_equal(l7_pkt_parse(&p, f, 50, L7_LINKTYPE_ETHERNET), L7_ETRUNCATED);
	/* Total length bigger than the capture: a snapped payload, not an error. */
	n = ipv4_tcp(f, 0, 0, 10);
	tp_wr16(f + 16, 1500);
	tp_wr16(f + 24, l7_csum_ipv4_hdr(f + 14, 20));
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(p.payload_len, 1460);
	assert_int_equal(p.payload_caplen, 10);
	assert_true(p.flags & L7_PKT_F_SNAPPED);
	assert_int_equal(l7_pkt_csum_verify(&p), L7_CSUM_L4_SKIPPED);
}

static void ipv4_tso_length_zero(void **state)
{
	uint8_t f[200];
	struct l7_pkt p;
	size_t n = ipv4_tcp(f, 0, 0, 100);

	(void)state;
	tp_wr16(f + 16, 0);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	assert_true(p.flags & L7_PKT_F_TSO);
	assert_int_equal(p.ip_len, 140);
	assert_int_equal(p.payload_len, 100);
	assert_int_equal(p.payload_caplen, 100);
	assert_int_equal(l7_pkt_csum_verify(&p) & L7_CSUM_L4_SKIPPED, L7_CSUM_L4_SKIPPED);
}

static void ipv4_fragments(void **state)
{
	uint8_t f[200];
	struct l7_pkt p;
	struct l7_pkt_stats st;
	size_t n;

	(void)state;
	memset(&st, 0, sizeof(st));
	/* First fragment (MF, offset 0): the transport header is parsed. */
	n = ipv4_tcp(f, 0, 0x2000, 16);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	l7_pkt_stats_add(&st, 0, &p);
	assert_true(p.flags & L7_PKT_F_FRAG);
	assert_int_equal(p.frag_off, 0);
	assert_int_equal(p.frag_more, 1);
	assert_int_equal(p.sport, 1234);
	assert_int_equal(p.payload_len, 16);
	assert_int_equal(l7_pkt_csum_verify(&p), L7_CSUM_L4_SKIPPED);
	/* Middle fragment: offset 185*8, MF set. */
	n = ipv4_tcp(f, 0, 0x2000 | 185, 16);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), L7_EFRAGMENT);
	l7_pkt_stats_add(&st, L7_EFRAGMENT, &p);
	assert_int_equal(p.layers, L7_PKT_L2 | L7_PKT_L3);
	assert_int_equal(p.frag_off, 1480);
	assert_int_equal(p.frag_more, 1);
	assert_int_equal(p.ip_id, 0x1234);
	assert_int_equal(p.proto, 6);
	/* Last fragment: offset set, MF clear. */
	n = ipv4_tcp(f, 0, 370, 16);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), L7_EFRAGMENT);
	l7_pkt_stats_add(&st, L7_EFRAGMENT, &p);
	assert_int_equal(p.frag_more, 0);
	/* DF alone is not a fragment. */
	n = ipv4_tcp(f, 0, 0x4000, 16);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	l7_pkt_stats_add(&st, 0, &p);
	assert_int_equal(p.flags & (L7_PKT_F_FRAG | L7_PKT_F_DF), L7_PKT_F_DF);

	assert_int_equal(st.packets, 4);
	assert_int_equal(st.ok, 2);
	assert_int_equal(st.fragments, 3);
	assert_int_equal(st.nonfirst_fragments, 2);
	assert_int_equal(st.tcp, 2);
	assert_int_equal(st.ipv4, 2);
}

/* ------------------------------------------------------------ IPv6 */

/*
 * An IPv6 frame: Ethernet, fixed header, the extension headers in `ext`
 * (each `ext_len[i]` bytes, its own next-header byte filled in here), then
 * a 20-byte TCP header and `payload` bytes.
 */
static size_t ipv6_frame(uint8_t *f, const uint8_t *ext_type, const uint8_t *const *ext,
			 const size_t *ext_len, int n_ext, size_t payload)
{
	size_t off = 54;
	uint8_t *nh = f + 20;

	memcpy(f, frame_v6_synack, 54);
	for (int i = 0; i < n_ext; i++) {
		*nh = ext_type[i];
		memcpy(f + off, ext[i], ext_len[i]);
		nh = f + off;
		off += ext_len[i];
	}
	*nh = 6;
	tp_tcp_hdr(f + off, 4321, 443, 77, 5, L7_TCP_ACK);
	off += 20;
	memset(f + off, 'y', payload);
	off += payload;
	tp_wr16(f + 18, (uint16_t)(off - 54));
	return off;
}

static const uint8_t hbh[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };    /* PadN */
static const uint8_t rh[24] = { 0, 2, 4, 0, 0, 0, 0, 0 };    /* SRH-ish, 24 bytes */
static const uint8_t dst16[16] = { 0, 1, 1, 12 };           /* PadN, 16 bytes */
static const uint8_t frag_atomic[8] = { 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef };
static const uint8_t ah[16] = { 0, 2, 0, 0, 0, 0, 1, 0 };    /* (2+2)*4 = 16 */

static void ipv6_every_extension_header(void **state)
{
	static const uint8_t types[] = { 0, 43, 60, 51, 44 };
	const uint8_t *const exts[] = { hbh, rh, dst16, ah, frag_atomic };
	static const size_t lens[] = { 8, 24, 16, 16, 8 };
	uint8_t f[300];
	struct l7_pkt p;
	size_t n;

	(void)state;
	n = ipv6_frame(f, types, exts, lens, 5, 11);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(p.l3_hdr_len, 40 + 8 + 24 + 16 + 16 + 8);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.sport, 4321);
	assert_int_equal(p.payload_len, 11);
	assert_int_equal(p.ip_id, 0xdeadbeef);
	assert_int_equal(p.flags & (L7_PKT_F_V6EXT | L7_PKT_F_ATOMIC | L7_PKT_F_FRAG),
			 L7_PKT_F_V6EXT | L7_PKT_F_ATOMIC);

	/* Each header alone. */
	for (int i = 0; i < 5; i++) {
		n = ipv6_frame(f, types + i, exts + i, lens + i, 1, 3);
		assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
		assert_int_equal(p.l4_off, 54 + lens[i]);
		assert_int_equal(p.dport, 443);
		assert_int_equal(p.payload_len, 3);
		assert_int_equal(!!(p.flags & L7_PKT_F_ATOMIC), types[i] == 44);
		/* Cut inside the extension header. */
		assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)(54 + lens[i] - 1), L7_LINKTYPE_ETHERNET),
				 L7_ETRUNCATED);
		/* Payload length that ends inside the extension header. */
		tp_wr16(f + 18, (uint16_t)(lens[i] - 1));
		assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), L7_EMALFORMED);
	}
}

static void ipv6_fragments(void **state)
{
	uint8_t fr[8] = { 0, 0, 0, 1, 0, 0, 0, 9 }; /* offset 0, M=1 */
	static const uint8_t t44 = 44;
	const uint8_t *ext[1] = { fr };
	static const size_t l8 = 8;
	uint8_t f[200];
	struct l7_pkt p;
	size_t n;

	(void)state;
	n = ipv6_frame(f, &t44, ext, &l8, 1, 5);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(p.flags & (L7_PKT_F_FRAG | L7_PKT_F_ATOMIC), L7_PKT_F_FRAG);
	assert_int_equal(p.ip_id, 9);
	assert_int_equal(p.sport, 4321);
	/* Non-first: offset 1448, M=1. */
	tp_wr16(fr + 2, 1448 | 1);
	n = ipv6_frame(f, &t44, ext, &l8, 1, 5);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), L7_EFRAGMENT);
	assert_int_equal(p.layers, L7_PKT_L2 | L7_PKT_L3);
	assert_int_equal(p.frag_off, 1448);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.l3_hdr_len, 48);
}

static void ipv6_no_next_header_and_other_l4(void **state)
{
	uint8_t f[200];
	struct l7_pkt p;
	size_t n = ipv6_frame(f, NULL, NULL, NULL, 0, 0);

	(void)state;
	f[20] = L7_IPPROTO_NONE;
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(p.proto, 59);
	assert_int_equal(p.l4_off, 54);
	assert_int_equal(p.payload_off, 54);
	assert_int_equal(p.payload_len, 20);
	assert_int_equal(p.sport, 0);
	assert_int_equal(l7_pkt_csum_verify(&p), L7_CSUM_L4_SKIPPED);
	/* Payload length 0 (TSO or jumbogram): the capture decides. */
	f[20] = 6;
	tp_wr16(f + 18, 0);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	assert_true(p.flags & L7_PKT_F_TSO);
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(p.tcp_hdr_len, 20);
}

/* ------------------------------------------------------------ UDP, VXLAN */

static size_t udp_frame(uint8_t *f, uint16_t dport, const uint8_t *payload, size_t plen)
{
	uint8_t *udp = f + 34;
	struct l7_pkt p;

	memcpy(f, frame_get, 14);
	tp_ipv4_hdr(f + 14, 17, 0xc0a80001, 0xc0a80002, 0, 8 + plen, 0);
	tp_wr16(udp, 5555);
	tp_wr16(udp + 2, dport);
	tp_wr16(udp + 4, (uint16_t)(8 + plen));
	tp_wr16(udp + 6, 0);
	memcpy(udp + 8, payload, plen);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)(42 + plen), L7_LINKTYPE_ETHERNET), 0);
	tp_wr16(udp + 6, (uint16_t)l7_csum_l4(&p));
	return 42 + plen;
}

static void udp_basic_and_lies(void **state)
{
	uint8_t f[200];
	struct l7_pkt p;
	size_t n = udp_frame(f, 53, (const uint8_t *)"hello", 5);

	(void)state;
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.sport, 5555);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.payload_off, 42);
	assert_int_equal(p.payload_len, 5);
	assert_int_equal(l7_pkt_csum_verify(&p), 0);
	assert_false(p.flags & L7_PKT_F_VXLAN);
	/* UDP length < 8 and > IP payload. */
	tp_wr16(f + 38, 7);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), L7_EMALFORMED);
	tp_wr16(f + 38, 14);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), L7_EMALFORMED);
	/* UDP length shorter than IP's: the UDP length wins. */
	tp_wr16(f + 38, 10);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(p.payload_len, 2);
	/* Checksum 0 over IPv4 = not computed. */
	tp_wr16(f + 38, 13);
	tp_wr16(f + 40, 0);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(l7_pkt_csum_verify(&p), L7_CSUM_L4_SKIPPED);
	/* ICMP: no ports. */
	n = udp_frame(f, 53, (const uint8_t *)"hello", 5);
	f[23] = 1;
	tp_wr16(f + 24, 0);
	tp_wr16(f + 24, l7_csum_ipv4_hdr(f + 14, 20));
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(p.proto, 1);
	assert_int_equal(p.sport, 0);
	assert_int_equal(p.payload_len, 13);
	assert_int_equal(l7_pkt_csum_verify(&p), L7_CSUM_L4_SKIPPED);
}

static void vxlan(void **state)
{
	uint8_t inner[8 + sizeof(frame_get)];
	uint8_t f[400];
	struct l7_pkt p, in;
	struct l7_pkt_stats st;
	size_t n;

	(void)state;
	memset(&st, 0, sizeof(st));
	memset(inner, 0, 8);
	inner[0] = 0x08;   /* I flag */
	inner[4] = 0x12;
	inner[5] = 0x34;
	inner[6] = 0x56;   /* VNI 0x123456 */
	memcpy(inner + 8, frame_get, sizeof(frame_get));
	n = udp_frame(f, L7_VXLAN_PORT, inner, sizeof(inner));
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	l7_pkt_stats_add(&st, 0, &p);
	assert_true(p.flags & L7_PKT_F_VXLAN);
	assert_int_equal(p.vxlan_vni, 0x123456);
	assert_int_equal(p.inner_off, 50);
	assert_int_equal(st.vxlan, 1);
	assert_int_equal(st.udp, 1);
	assert_int_equal(l7_pkt_parse_inner(&p, &in), 0);
	assert_ptr_equal(in.data, f + 50);
	assert_int_equal(in.caplen, sizeof(frame_get));
	assert_int_equal(in.sport, 59856);
	assert_int_equal(in.payload_len, 136);
	assert_int_equal(l7_pkt_csum_verify(&in), 0);
	/* PiggyCar rewrites the VNI as its policy id; the UDP checksum follows. */
	assert_int_equal(l7_pkt_set_vxlan_vni(&p, f, 0xabcdef), 0);
	assert_int_equal(p.vxlan_vni, 0xabcdef);
	assert_int_equal(f[50 - 4], 0xab);
	assert_int_equal(f[50 - 2], 0xef);
	assert_int_equal(f[50 - 1], 0);
	assert_int_equal(l7_pkt_csum_verify(&p), 0);
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(p.vxlan_vni, 0xabcdef);
	assert_int_equal(l7_pkt_set_vxlan_vni(&p, f, 0x1000000), L7_EINVAL);
	/* Without the I flag it is plain UDP. */
	f[42] = 0;
	assert_int_equal(l7_pkt_parse(&p, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), 0);
	assert_false(p.flags & L7_PKT_F_VXLAN);
	assert_int_equal(l7_pkt_parse_inner(&p, &in), L7_EINVAL);
	/* VXLAN header cut by the capture: plain (snapped) UDP. */
	f[42] = 0x08;
	assert_int_equal(l7_pkt_parse(&p, f, 46, L7_LINKTYPE_ETHERNET), 0);
	assert_false(p.flags & L7_PKT_F_VXLAN);
	/* Inner frame cut: the inner parse says so. */
	assert_int_equal(l7_pkt_parse(&p, f, 70, L7_LINKTYPE_ETHERNET), 0);
	assert_true(p.flags & L7_PKT_F_VXLAN);
	assert_int_equal(l7_pkt_parse_inner(&p, &in), L7_ETRUNCATED);
	assert_int_equal(in.layers, L7_PKT_L2);
}

/* ------------------------------------------------------------ flow keys */

static void flow_keys(void **state)
{
	struct l7_pkt a, b;
	struct l7_flow_key ka, kb, kv6;

	(void)state;
	assert_int_equal(sizeof(struct l7_flow_key), 37);
	assert_int_equal(l7_pkt_parse(&a, frame_get, sizeof(frame_get), L7_LINKTYPE_ETHERNET), 0);
	l7_flow_key_from_pkt(&ka, &a);
	assert_int_equal(l7_flow_key_sport(&ka), 59856);
	assert_int_equal(l7_flow_key_dport(&ka), 80);
	assert_int_equal(ka.proto, 6);
	assert_memory_equal(ka.src + 12, frame_get + 26, 4);
	/* The reverse direction. */
	l7_flow_key_make(&kb, &a.dst, 80, &a.src, 59856, 6);
	assert_int_not_equal(l7_flow_key_cmp(&ka, &kb), 0);
	assert_true(l7_flow_key_same_conn(&ka, &kb));
	assert_true(l7_flow_key_same_conn(&ka, &ka));
	/* 141.142.228.5 < 192.150.187.43, so ka is canonical already. */
	assert_int_equal(l7_flow_key_canon(&ka), 0);
	assert_int_equal(l7_flow_key_canon(&kb), 1);
	assert_int_equal(l7_flow_key_cmp(&ka, &kb), 0);
	/* Equal addresses: ports decide. */
	l7_flow_key_make(&ka, &a.src, 9000, &a.src, 80, 6);
	assert_int_equal(l7_flow_key_canon(&ka), 1);
	assert_int_equal(l7_flow_key_sport(&ka), 80);
	assert_int_equal(l7_flow_key_canon(&ka), 0);
	/* Different protocol, different connection. */
	l7_flow_key_make(&kb, &a.src, 80, &a.src, 9000, 17);
	assert_false(l7_flow_key_same_conn(&ka, &kb));
	/* IPv6 key from a real frame. */
	assert_int_equal(l7_pkt_parse(&b, frame_v6_synack, sizeof(frame_v6_synack),
				      L7_LINKTYPE_ETHERNET), 0);
	l7_flow_key_from_pkt(&kv6, &b);
	assert_memory_equal(kv6.src, frame_v6_synack + 22, 16);
	assert_memory_equal(kv6.dst, frame_v6_synack + 38, 16);
	assert_int_equal(l7_flow_key_sport(&kv6), 80);
	/* Non-first fragment: L3 only, ports 0. */
	{
		uint8_t f[200];
		struct l7_pkt fr;
		size_t n = ipv4_tcp(f, 0, 100, 8);

		assert_int_equal(l7_pkt_parse(&fr, f, (uint32_t)n, L7_LINKTYPE_ETHERNET), L7_EFRAGMENT);
		l7_flow_key_from_pkt(&ka, &fr);
		assert_int_equal(l7_flow_key_sport(&ka), 0);
		assert_int_equal(l7_addr_v4(&fr.dst), 0x0a000002);
	}
}

static void addr_helpers(void **state)
{
	struct l7_addr a = l7_addr_from_v4(0x7f000001);
	static const uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	(void)state;
	assert_memory_equal(a.b, mapped, 16);
	assert_true(l7_addr_is_v4(&a));
	assert_int_equal(l7_addr_v4(&a), 0x7f000001);
	a = l7_addr_from_v6(v6);
	assert_false(l7_addr_is_v4(&a));
	assert_memory_equal(a.b, v6, 16);
}

static void stats_classes(void **state)
{
	struct l7_pkt_stats st;
	struct l7_pkt p;
	uint8_t f[64];

	(void)state;
	memset(&st, 0, sizeof(st));
	l7_pkt_stats_add(&st, l7_pkt_parse(&p, frame_get, 20, L7_LINKTYPE_ETHERNET), &p);
	l7_pkt_stats_add(&st, l7_pkt_parse(&p, frame_get, 60, 9999), &p);
	memcpy(f, frame_get, 60);
	tp_wr16(f + 12, 0x0806);
	l7_pkt_stats_add(&st, l7_pkt_parse(&p, f, 60, L7_LINKTYPE_ETHERNET), &p);
	f[12] = 0x08;
	f[13] = 0x00;
	f[14] = 0x44;
	l7_pkt_stats_add(&st, l7_pkt_parse(&p, f, 60, L7_LINKTYPE_ETHERNET), &p);
	l7_pkt_stats_add(&st, l7_pkt_parse(&p, frame_v6_synack, sizeof(frame_v6_synack),
					   L7_LINKTYPE_ETHERNET), &p);
	l7_pkt_stats_add(&st, l7_pkt_parse(&p, frame_get, 100, L7_LINKTYPE_ETHERNET), &p);
	assert_int_equal(st.packets, 6);
	assert_int_equal(st.truncated, 1);
	assert_int_equal(st.bad_linktype, 1);
	assert_int_equal(st.non_ip, 1);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(st.ok, 2);
	assert_int_equal(st.ipv6, 1);
	assert_int_equal(st.ipv4, 1);
	assert_int_equal(st.tcp, 2);
	assert_int_equal(st.snapped, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(real_ipv4_get_fields),
		cmocka_unit_test(real_ipv6_synack_fields),
		cmocka_unit_test(every_link_type),
		cmocka_unit_test(ipv6_over_every_link_type),
		cmocka_unit_test(non_ip_frames),
		cmocka_unit_test(vlan_and_qinq),
		cmocka_unit_test(every_truncation_point_ipv4),
		cmocka_unit_test(every_truncation_point_ipv6),
		cmocka_unit_test(every_truncation_point_qinq_sll2),
		cmocka_unit_test(padding_after_ip_packet),
		cmocka_unit_test(ipv4_options),
		cmocka_unit_test(ipv4_lying_lengths),
		cmocka_unit_test(ipv4_tso_length_zero),
		cmocka_unit_test(ipv4_fragments),
		cmocka_unit_test(ipv6_every_extension_header),
		cmocka_unit_test(ipv6_fragments),
		cmocka_unit_test(ipv6_no_next_header_and_other_l4),
		cmocka_unit_test(udp_basic_and_lies),
		cmocka_unit_test(vxlan),
		cmocka_unit_test(flow_keys),
		cmocka_unit_test(addr_helpers),
		cmocka_unit_test(stats_classes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
