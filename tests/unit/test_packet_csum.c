/*
 * test_packet_csum.c — checksums (known values from real frames, a naive
 * reference, RFC 1624 incremental == full recomputation incl. the
 * 0x0000/0xffff edge cases), the TCP builder (build -> parse round trips)
 * and the in-place mutators (each keeps the checksums exactly equal to a
 * full recomputation).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "l7splice/packet.h"
#include "test_packet_util.h"

/* The textbook RFC 1071 loop over big-endian words: the reference. */
static uint16_t ref_csum(const uint8_t *b, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i < len; i += 2) {
		s += (uint32_t)b[i] << 8 | (i + 1 < len ? b[i + 1] : 0);
		s = (s & 0xffff) + (s >> 16);
	}
	return (uint16_t)~s;
}

/* ------------------------------------------------------------ real frames */

static void known_values_from_real_frames(void **state)
{
	struct l7_pkt p;
	uint8_t f[sizeof(frame_get)];

	(void)state;
	assert_int_equal(l7_pkt_parse(&p, frame_syn, sizeof(frame_syn), L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(l7_csum_ipv4_hdr(frame_syn + 14, 20), 0x6dd3);
	assert_int_equal(l7_csum_l4(&p), 0x3bc0);
	assert_int_equal(l7_pkt_csum_verify(&p), 0);

	assert_int_equal(l7_pkt_parse(&p, frame_get, sizeof(frame_get), L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(l7_csum_ipv4_hdr(frame_get + 14, 20), 0x024c);
	assert_int_equal(l7_csum_l4(&p), 0x0480);
	assert_int_equal(l7_pkt_csum_verify(&p), 0);

	assert_int_equal(l7_pkt_parse(&p, frame_v6_synack, sizeof(frame_v6_synack),
				      L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(l7_csum_l4(&p), 0x4201);
	assert_int_equal(l7_pkt_csum_verify(&p), 0);

	/* A flipped payload bit breaks TCP only; TTL breaks the IP header only
	 * (TTL is not in the pseudo-header). */
	memcpy(f, frame_get, sizeof(f));
	f[100] ^= 0x20;
	assert_int_equal(l7_pkt_parse(&p, f, sizeof(f), L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(l7_pkt_csum_verify(&p), L7_CSUM_L4_BAD);
	memcpy(f, frame_get, sizeof(f));
	f[22]--;
	assert_int_equal(l7_pkt_parse(&p, f, sizeof(f), L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(l7_pkt_csum_verify(&p), L7_CSUM_IP_BAD);
	/* Fixing recomputes both in full. */
	f[100] ^= 0x20;
	assert_int_equal(l7_pkt_fix_csums(&p, f), 0);
	assert_int_equal(l7_pkt_csum_verify(&p), 0);
	assert_int_equal(tp_rd16(f + 24), 0x024c + 0x0100); /* TTL 63: +1 in the high byte of ~sum */
	assert_int_equal(l7_pkt_fix_csums(&p, (uint8_t *)frame_get), L7_EINVAL); /* not p's frame */
	/* Snapped: the TCP checksum cannot be computed. */
	assert_int_equal(l7_pkt_parse(&p, frame_get, 100, L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(l7_csum_l4(&p), L7_ETRUNCATED);
}

static void partial_matches_reference(void **state)
{
	uint64_t seed = 42;
	uint8_t b[1501];

	(void)state;
	for (int i = 0; i < 3000; i++) {
		size_t len = (size_t)(tp_rand(&seed) % sizeof(b)), cut;
		uint32_t s;

		for (size_t j = 0; j < len; j++)
			b[j] = (uint8_t)tp_rand(&seed);
		if (i % 7 == 0)
			memset(b, 0xff, len); /* all-ones data: sums to -0 */
		assert_int_equal(l7_csum_fold(l7_csum_partial(b, len, 0)), ref_csum(b, len));
		/* Chained in two parts with an even first part. */
		cut = (size_t)(tp_rand(&seed) % (len + 1)) & ~(size_t)1;
		s = l7_csum_partial(b, cut, 0);
		s = l7_csum_partial(b + cut, len - cut, s);
		assert_int_equal(l7_csum_fold(s), ref_csum(b, len));
		/* Unaligned start. */
		if (len > 2) {
			memmove(b + 1, b, len - 1);
			assert_int_equal(l7_csum_fold(l7_csum_partial(b + 1, len - 1, 0)),
					 ref_csum(b + 1, len - 1));
		}
	}
	assert_int_equal(l7_csum_fold(l7_csum_partial(b, 0, 0)), 0xffff);
	/* Longer than one 32768-word block of the inner loop, all ones (the
	 * largest partial sums) and random. */
	{
		size_t big = 200001;
		uint8_t *m = test_malloc(big);

		memset(m, 0xff, big);
		assert_int_equal(l7_csum_fold(l7_csum_partial(m, big, 0)), ref_csum(m, big));
		for (size_t j = 0; j < big; j++)
			m[j] = (uint8_t)tp_rand(&seed);
		assert_int_equal(l7_csum_fold(l7_csum_partial(m, big, 0)), ref_csum(m, big));
		test_free(m);
	}
}

/* ------------------------------------------------------------ RFC 1624 */

static void rfc1624_example(void **state)
{
	/* RFC 1624 §4: HC 0xDD2F, m 0x5555 -> m' 0x3285 gives 0x0000 with
	 * eqn. 3 (eqn. 2 of RFC 1141 gave the wrong 0xFFFF). */
	uint8_t b[4] = { 0x55, 0x55, 0xcd, 0x7a };

	(void)state;
	assert_int_equal(ref_csum(b, 4), 0xdd2f);
	assert_int_equal(l7_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
	b[0] = 0x32;
	b[1] = 0x85;
	assert_int_equal(ref_csum(b, 4), 0x0000);
	/* And back again from a checksum of 0x0000. */
	assert_int_equal(l7_csum_update16(0x0000, 0x3285, 0x5555), 0xdd2f);
	/* No change, no difference, even for 0xffff/0x0000 fields. */
	assert_int_equal(l7_csum_update16(0x1234, 0xffff, 0x0000), 0x1234);
	assert_int_equal(l7_csum_update16(0x1234, 0x0000, 0xffff), 0x1234);
}

static void incremental_equals_full_random(void **state)
{
	uint64_t seed = 0x1624;
	uint8_t b[128];
	int zero_results = 0;

	(void)state;
	for (int i = 0; i < 50000; i++) {
		size_t words = 4 + (size_t)(tp_rand(&seed) % 60), len = 2 * words;
		size_t at = 2 * (size_t)(tp_rand(&seed) % (words - 1)) & ~(size_t)3;
		uint16_t c0, c1, o16, n16;
		uint32_t o32, n32;
		int mode = (int)(tp_rand(&seed) % 4);

		for (size_t j = 0; j < len; j++)
			b[j] = (uint8_t)tp_rand(&seed);
		c0 = ref_csum(b, len);
		o16 = tp_rd16(b + at);
		o32 = (uint32_t)o16 << 16 | tp_rd16(b + at + 2);
		switch (mode) {
		case 0: /* random new word */
			n16 = (uint16_t)tp_rand(&seed);
			break;
		case 1: { /* the new word that makes the checksum 0x0000 */
			uint8_t z[128];

			memcpy(z, b, len);
			tp_wr16(z + at, 0);
			n16 = ref_csum(z, len); /* = ~S_other, so the new sum is -0 */
			break;
		}
		case 2: /* extreme values */
			n16 = (tp_rand(&seed) & 1) ? 0xffff : 0x0000;
			break;
		default:
			n16 = o16;
			break;
		}
		tp_wr16(b + at, n16);
		c1 = ref_csum(b, len);
		assert_int_equal(l7_csum_update16(c0, o16, n16), c1);
		if (c1 == 0)
			zero_results++;

		/* 32-bit field at the same (4-aligned) place. */
		tp_wr16(b + at, o16);
		n32 = (uint32_t)tp_rand(&seed);
		if (mode == 2)
			n32 = (tp_rand(&seed) & 1) ? 0xffffffffu : 0;
		tp_wr16(b + at, (uint16_t)(n32 >> 16));
		tp_wr16(b + at + 2, (uint16_t)n32);
		assert_int_equal(l7_csum_update32(c0, o32, n32), ref_csum(b, len));

		/* A 16-byte field (an IPv6 address) via the bytes form. */
		if (len >= 24) {
			uint8_t old[16], neu[16];
			uint16_t c2 = ref_csum(b, len);

			memcpy(old, b + 4, 16);
			for (int j = 0; j < 16; j++)
				neu[j] = (uint8_t)tp_rand(&seed);
			memcpy(b + 4, neu, 16);
			assert_int_equal(l7_csum_update_bytes(c2, old, neu, 16), ref_csum(b, len));
			/* An odd-length field (3 bytes at an even offset). */
			c2 = ref_csum(b, len);
			memcpy(old, b + 8, 3);
			memcpy(b + 8, neu + 5, 3);
			assert_int_equal(l7_csum_update_bytes(c2, old, neu + 5, 3), ref_csum(b, len));
		}
	}
	/* The edge case was exercised, not just possible. */
	assert_true(zero_results > 1000);
}

static void pseudo_headers(void **state)
{
	struct l7_addr s4 = l7_addr_from_v4(0xc0a80001), d4 = l7_addr_from_v4(0x0a000002);
	uint8_t ph[40];
	struct l7_addr s6, d6;

	(void)state;
	/* IPv4: src, dst, 0, proto, length. */
	memcpy(ph, s4.b + 12, 4);
	memcpy(ph + 4, d4.b + 12, 4);
	ph[8] = 0;
	ph[9] = 6;
	tp_wr16(ph + 10, 1234);
	assert_int_equal(l7_csum_fold(l7_csum_pseudo_v4(&s4, &d4, 6, 1234)), ref_csum(ph, 12));
	/* IPv6: src, dst, 32-bit length, 3 zero bytes, next header. */
	for (int i = 0; i < 16; i++) {
		s6.b[i] = (uint8_t)(0x20 + i);
		d6.b[i] = (uint8_t)(0xf0 - i);
	}
	memcpy(ph, s6.b, 16);
	memcpy(ph + 16, d6.b, 16);
	ph[32] = 0;
	ph[33] = 1;
	ph[34] = 0x23;
	ph[35] = 0x45;
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = 17;
	assert_int_equal(l7_csum_fold(l7_csum_pseudo_v6(&s6, &d6, 17, 0x12345)), ref_csum(ph, 40));
}

/* ------------------------------------------------------------ builder */

static void random_build(uint64_t *seed, struct l7_tcp_build *b, uint8_t *opts,
			 uint8_t *payload)
{
	struct l7_tcp_opts o;

	memset(b, 0, sizeof(*b));
	b->linktype = (tp_rand(seed) & 1) ? L7_LINKTYPE_ETHERNET : L7_LINKTYPE_RAW;
	for (int i = 0; i < 6; i++) {
		b->eth_dst[i] = (uint8_t)tp_rand(seed);
		b->eth_src[i] = (uint8_t)tp_rand(seed);
	}
	b->ip_version = (tp_rand(seed) & 1) ? 6 : 4;
	if (b->ip_version == 4) {
		b->src = l7_addr_from_v4((uint32_t)tp_rand(seed));
		b->dst = l7_addr_from_v4((uint32_t)tp_rand(seed));
	} else {
		for (int i = 0; i < 16; i++) {
			b->src.b[i] = (uint8_t)tp_rand(seed);
			b->dst.b[i] = (uint8_t)tp_rand(seed);
		}
		b->src.b[0] = 0x20; /* not IPv4-mapped */
		b->dst.b[0] = 0xfe;
	}
	b->ttl = (uint8_t)tp_rand(seed);
	b->tos = (uint8_t)tp_rand(seed);
	b->df = (uint8_t)(tp_rand(seed) & 1);
	b->ip_id = (uint16_t)tp_rand(seed);
	b->flow_label = (uint32_t)tp_rand(seed) & 0xfffff;
	b->sport = (uint16_t)tp_rand(seed);
	b->dport = (uint16_t)tp_rand(seed);
	b->seq = (uint32_t)tp_rand(seed);
	b->ack = (uint32_t)tp_rand(seed);
	b->flags = (uint16_t)(tp_rand(seed) & 0x1ff);
	b->window = (uint16_t)tp_rand(seed);
	b->urg = (uint16_t)tp_rand(seed);
	memset(&o, 0, sizeof(o));
	o.has = (uint8_t)(tp_rand(seed) & 0x17); /* MSS WS SACK-perm TS */
	o.mss = (uint16_t)tp_rand(seed);
	o.wscale = 7;
	o.ts_val = (uint32_t)tp_rand(seed);
	b->opts_len = (size_t)l7_tcp_opts_encode(&o, opts, 40);
	b->opts = opts;
	b->payload_len = (size_t)(tp_rand(seed) % 1500);
	if (tp_rand(seed) % 4 == 0)
		b->payload_len = tp_rand(seed) & 1;
	for (size_t i = 0; i < b->payload_len; i++)
		payload[i] = (uint8_t)tp_rand(seed);
	b->payload = payload;
}

static void assert_built(const struct l7_pkt *p, const struct l7_tcp_build *b)
{
	uint8_t eh = b->linktype == L7_LINKTYPE_ETHERNET ? 14 : 0;

	assert_int_equal(p->l3_off, eh);
	assert_int_equal(p->ip_version, b->ip_version);
	assert_memory_equal(p->src.b, b->src.b, 16);
	assert_memory_equal(p->dst.b, b->dst.b, 16);
	assert_int_equal(p->ttl, b->ttl);
	assert_int_equal(p->tos, b->tos);
	assert_int_equal(p->proto, 6);
	assert_int_equal(p->sport, b->sport);
	assert_int_equal(p->dport, b->dport);
	assert_int_equal(p->tcp_seq, b->seq);
	assert_int_equal(p->tcp_ack, b->ack);
	assert_int_equal(p->tcp_flags, b->flags);
	assert_int_equal(p->tcp_window, b->window);
	assert_int_equal(p->tcp_urg, b->urg);
	assert_int_equal(p->tcp_hdr_len, 20 + b->opts_len);
	assert_int_equal(p->payload_len, b->payload_len);
	assert_int_equal(p->payload_caplen, b->payload_len);
	if (b->payload_len)
		assert_memory_equal(l7_pkt_payload(p), b->payload, b->payload_len);
	if (b->ip_version == 4) {
		assert_int_equal(p->ip_id, b->ip_id);
		assert_int_equal(!!(p->flags & L7_PKT_F_DF), b->df);
	} else {
		assert_int_equal((tp_rd16(p->data + eh) & 0xf) << 16 | tp_rd16(p->data + eh + 2),
				 b->flow_label);
	}
	if (eh) {
		assert_memory_equal(p->data, b->eth_dst, 6);
		assert_memory_equal(p->data + 6, b->eth_src, 6);
	}
	assert_int_equal(l7_pkt_csum_verify(p), 0);
	assert_int_equal(tp_rd16(p->data + p->l4_off + 16), l7_csum_l4(p));
}

static void builder_round_trips(void **state)
{
	uint64_t seed = 0xb111d;
	uint8_t buf[1600], opts[40], payload[1500];
	struct l7_tcp_build b;
	struct l7_pkt p;
	struct l7_tcp_opts o1, o2;
	size_t len;

	(void)state;
	for (int i = 0; i < 3000; i++) {
		const uint8_t *po;
		size_t plen;

		random_build(&seed, &b, opts, payload);
		assert_int_equal(l7_pkt_build_tcp(buf, sizeof(buf), &b, &len), 0);
		assert_int_equal(l7_pkt_parse(&p, buf, (uint32_t)len, b.linktype), 0);
		assert_int_equal(len, p.payload_off + b.payload_len);
		assert_built(&p, &b);
		po = l7_pkt_tcp_opts(&p, &plen);
		assert_int_equal(l7_tcp_opts_parse(po, plen, &o1), 0);
		assert_int_equal(l7_tcp_opts_parse(opts, b.opts_len, &o2), 0);
		assert_int_equal(o1.has, o2.has);
	}
}

static void builder_errors_leave_buffer_alone(void **state)
{
	uint8_t buf[200], before[200];
	struct l7_tcp_build b;
	size_t len = 0, need;
	static const uint8_t odd_opts[3] = { 3, 3, 9 };

	(void)state;
	memset(&b, 0, sizeof(b));
	b.linktype = L7_LINKTYPE_ETHERNET;
	b.ip_version = 4;
	b.src = l7_addr_from_v4(0x01020304);
	b.dst = l7_addr_from_v4(0x05060708);
	b.payload = (const uint8_t *)"hello";
	b.payload_len = 5;
	b.opts = odd_opts;
	b.opts_len = 3; /* padded with one EOL */
	assert_int_equal(l7_pkt_build_tcp(buf, sizeof(buf), &b, &need), 0);
	assert_int_equal(need, 14 + 20 + 24 + 5);
	assert_int_equal(buf[14 + 20 + 23], L7_TCPOPT_EOL);
	memset(buf, 0xaa, sizeof(buf));
	memcpy(before, buf, sizeof(buf));
	assert_int_equal(l7_pkt_build_tcp(buf, need - 1, &b, &len), L7_ENOSPC);
	assert_memory_equal(buf, before, sizeof(buf));
	b.opts_len = 41;
	assert_int_equal(l7_pkt_build_tcp(buf, sizeof(buf), &b, &len), L7_ERANGE);
	b.opts_len = 3;
	b.dst.b[0] = 0x20; /* an IPv6 address in an IPv4 packet */
	assert_int_equal(l7_pkt_build_tcp(buf, sizeof(buf), &b, &len), L7_EINVAL);
	b.dst = l7_addr_from_v4(0x05060708);
	b.linktype = L7_LINKTYPE_LINUX_SLL;
	assert_int_equal(l7_pkt_build_tcp(buf, sizeof(buf), &b, &len), L7_EINVAL);
	b.linktype = L7_LINKTYPE_RAW;
	b.ip_version = 5;
	assert_int_equal(l7_pkt_build_tcp(buf, sizeof(buf), &b, &len), L7_EINVAL);
	assert_memory_equal(buf, before, sizeof(buf));
}

static void vxlan_builder_round_trip(void **state)
{
	uint64_t seed = 0x7e9;
	uint8_t inner[1600], outer[1700], opts[40], payload[1500];
	struct l7_tcp_build tb;
	struct l7_vxlan_build vb;
	struct l7_pkt p, in;
	size_t ilen, olen;

	(void)state;
	for (int i = 0; i < 500; i++) {
		random_build(&seed, &tb, opts, payload);
		tb.linktype = L7_LINKTYPE_ETHERNET;
		assert_int_equal(l7_pkt_build_tcp(inner, sizeof(inner), &tb, &ilen), 0);
		memset(&vb, 0, sizeof(vb));
		vb.linktype = (i & 1) ? L7_LINKTYPE_ETHERNET : L7_LINKTYPE_RAW;
		vb.ip_version = (i & 2) ? 6 : 4;
		vb.src = vb.ip_version == 4 ? l7_addr_from_v4(0x0a000001) : tb.src;
		vb.dst = vb.ip_version == 4 ? l7_addr_from_v4(0x0a000002) : tb.dst;
		if (vb.ip_version == 6 && tb.ip_version == 4) {
			vb.src.b[0] = 0x20;
			vb.dst.b[0] = 0x20;
		}
		vb.ttl = 64;
		vb.sport = (uint16_t)(49152 + i);
		vb.vni = (uint32_t)tp_rand(&seed) & 0xffffff;
		vb.udp_csum = (uint8_t)((i >> 2) & 1);
		vb.inner = inner;
		vb.inner_len = ilen;
		assert_int_equal(l7_pkt_build_vxlan(outer, sizeof(outer), &vb, &olen), 0);
		assert_int_equal(l7_pkt_parse(&p, outer, (uint32_t)olen, vb.linktype), 0);
		assert_true(p.flags & L7_PKT_F_VXLAN);
		assert_int_equal(p.vxlan_vni, vb.vni);
		assert_int_equal(p.sport, vb.sport);
		assert_int_equal(p.dport, L7_VXLAN_PORT);
		assert_int_equal(p.payload_len, 8 + ilen);
		if (vb.ip_version == 4 && !vb.udp_csum)
			assert_int_equal(l7_pkt_csum_verify(&p), L7_CSUM_L4_SKIPPED);
		else
			assert_int_equal(l7_pkt_csum_verify(&p), 0);
		assert_int_equal(l7_pkt_parse_inner(&p, &in), 0);
		assert_int_equal(in.caplen, ilen);
		assert_built(&in, &tb);
		/* Rewriting the VNI keeps the outer checksum right. */
		assert_int_equal(l7_pkt_set_vxlan_vni(&p, outer, vb.vni ^ 0x5a5a5a), 0);
		assert_true((l7_pkt_csum_verify(&p) & L7_CSUM_L4_BAD) == 0);
	}
	assert_int_equal(l7_pkt_build_vxlan(outer, olen - 1, &vb, &olen), L7_ENOSPC);
	vb.vni = 0x1000000;
	assert_int_equal(l7_pkt_build_vxlan(outer, sizeof(outer), &vb, &olen), L7_EINVAL);
}

/* ------------------------------------------------------------ mutators */

/* After a mutation: bytes re-parse to the view's fields; checksums are
 * exactly what a full recomputation gives. */
static void assert_consistent(const struct l7_pkt *p)
{
	struct l7_pkt q;

	assert_int_equal(l7_pkt_parse(&q, p->data, p->caplen, p->linktype), 0);
	assert_memory_equal(q.src.b, p->src.b, 16);
	assert_memory_equal(q.dst.b, p->dst.b, 16);
	assert_int_equal(q.sport, p->sport);
	assert_int_equal(q.dport, p->dport);
	if (q.proto == L7_IPPROTO_TCP) {
		assert_int_equal(q.tcp_seq, p->tcp_seq);
		assert_int_equal(q.tcp_ack, p->tcp_ack);
		assert_int_equal(q.tcp_flags, p->tcp_flags);
		assert_int_equal(q.tcp_window, p->tcp_window);
		assert_int_equal(q.tcp_hdr_len, p->tcp_hdr_len);
		assert_int_equal(tp_rd16(q.data + q.l4_off + 16), l7_csum_l4(&q));
	}
	assert_int_equal(l7_pkt_csum_verify(&q), 0);
	if (q.ip_version == 4)
		assert_int_equal(tp_rd16(q.data + q.l3_off + 10), l7_csum_ipv4_hdr(q.data + q.l3_off, q.l3_hdr_len));
}

static void mutators_random(void **state)
{
	uint64_t seed = 0x3a7;
	uint8_t buf[1600], opts[40], payload[1500];
	struct l7_tcp_build b;
	struct l7_pkt p;
	size_t len;

	(void)state;
	for (int i = 0; i < 1500; i++) {
		random_build(&seed, &b, opts, payload);
		assert_int_equal(l7_pkt_build_tcp(buf, sizeof(buf), &b, &len), 0);
		assert_int_equal(l7_pkt_parse(&p, buf, (uint32_t)len, b.linktype), 0);
		for (int m = 0; m < 8; m++) {
			uint32_t r = (uint32_t)tp_rand(&seed);

			switch (tp_rand(&seed) % 7) {
			case 0: {
				struct l7_addr a;

				if (p.ip_version == 4) {
					a = l7_addr_from_v4(r);
				} else {
					for (int j = 0; j < 16; j++)
						a.b[j] = (uint8_t)tp_rand(&seed);
					a.b[0] = 0x2a;
				}
				assert_int_equal(l7_pkt_set_addrs(&p, buf, (r & 1) ? &a : NULL,
								  (r & 2) ? &a : NULL), 0);
				break;
			}
			case 1:
				assert_int_equal(l7_pkt_set_ports(&p, buf, (uint16_t)r, (uint16_t)(r >> 16)), 0);
				break;
			case 2:
				assert_int_equal(l7_pkt_set_seq(&p, buf, r), 0);
				break;
			case 3:
				assert_int_equal(l7_pkt_set_ack(&p, buf, r), 0);
				break;
			case 4:
				assert_int_equal(l7_pkt_set_flags(&p, buf, (uint16_t)r), 0);
				assert_int_equal(p.tcp_flags, r & 0x1ff);
				break;
			case 5:
				assert_int_equal(l7_pkt_set_window(&p, buf, (uint16_t)r), 0);
				break;
			default: {
				/* TS exists in about half the packets. */
				uint8_t ts[8];
				int rc;

				memcpy(ts, &r, 4);
				memcpy(ts + 4, &r, 4);
				rc = l7_pkt_tcpopt_rewrite(&p, buf, L7_TCPOPT_TS, ts, 8);
				assert_true(rc == 0 || rc == L7_ENOENT);
				break;
			}
			}
			assert_consistent(&p);
		}
		/* Family mismatch. */
		{
			struct l7_addr other = l7_addr_from_v4(1);

			if (p.ip_version == 4)
				other.b[0] = 0x20;
			assert_int_equal(l7_pkt_set_addrs(&p, buf, &other, NULL), L7_EINVAL);
		}
	}
}

static void udp_mutators(void **state)
{
	uint8_t f[100];
	struct l7_pkt p;
	struct l7_addr a = l7_addr_from_v4(0x0b0b0b0b);
	uint8_t *udp = f + 34;

	(void)state;
	memcpy(f, frame_get, 14);
	tp_ipv4_hdr(f + 14, 17, 0xc0a80001, 0xc0a80002, 0, 8 + 4, 0);
	tp_wr16(udp, 1000);
	tp_wr16(udp + 2, 2000);
	tp_wr16(udp + 4, 12);
	tp_wr16(udp + 6, 0);
	memcpy(udp + 8, "ping", 4);
	assert_int_equal(l7_pkt_parse(&p, f, 46, L7_LINKTYPE_ETHERNET), 0);
	/* No checksum over IPv4 stays "no checksum". */
	assert_int_equal(l7_pkt_set_ports(&p, f, 1, 2), 0);
	assert_int_equal(l7_pkt_set_addrs(&p, f, &a, NULL), 0);
	assert_int_equal(tp_rd16(udp + 6), 0);
	assert_int_equal(l7_pkt_csum_verify(&p), L7_CSUM_L4_SKIPPED);
	assert_int_equal(l7_pkt_set_seq(&p, f, 1), L7_ENOTTCP);
	assert_int_equal(l7_pkt_set_window(&p, f, 1), L7_ENOTTCP);
	/* With a checksum it is kept right, and never becomes 0. */
	tp_wr16(udp + 6, (uint16_t)l7_csum_l4(&p));
	for (uint32_t port = 0; port < 65536; port += 7) {
		assert_int_equal(l7_pkt_set_ports(&p, f, (uint16_t)port, 2), 0);
		assert_int_not_equal(tp_rd16(udp + 6), 0);
		assert_int_equal(tp_rd16(udp + 6), l7_csum_l4(&p));
	}
	assert_int_equal(l7_pkt_csum_verify(&p), 0);
}

static void option_mutators(void **state)
{
	uint8_t f[300], before[300];
	struct l7_pkt p;
	const uint8_t *opts;
	size_t olen;
	uint8_t ws = 0;
	uint16_t mss = 0;
	uint32_t tv = 0, te = 0;
	static const uint8_t ts[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t mss_val[2] = { 0x05, 0x78 };

	(void)state;
	/* Rewrites in the real SYN (WS's value byte sits at an odd offset). */
	memcpy(f, frame_syn, sizeof(frame_syn));
	assert_int_equal(l7_pkt_parse(&p, f, sizeof(frame_syn), L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(l7_pkt_tcpopt_rewrite(&p, f, L7_TCPOPT_TS, ts, 8), 0);
	assert_int_equal(l7_pkt_tcpopt_rewrite(&p, f, L7_TCPOPT_WS, (const uint8_t[]){ 9 }, 1), 0);
	assert_int_equal(l7_pkt_tcpopt_rewrite(&p, f, L7_TCPOPT_MSS, mss_val, 2), 0);
	assert_consistent(&p);
	opts = l7_pkt_tcp_opts(&p, &olen);
	assert_int_equal(l7_tcpopt_get_ts(opts, olen, &tv, &te), 1);
	assert_int_equal(tv, 0x01020304);
	assert_int_equal(te, 0x05060708);
	assert_int_equal(l7_tcpopt_get_ws(opts, olen, &ws), 1);
	assert_int_equal(ws, 9);
	assert_int_equal(l7_tcpopt_get_mss(opts, olen, &mss), 1);
	assert_int_equal(mss, 1400);
	assert_int_equal(l7_pkt_tcpopt_rewrite(&p, f, L7_TCPOPT_TS, ts, 7), L7_ERANGE);
	assert_int_equal(l7_pkt_tcpopt_rewrite(&p, f, L7_TCPOPT_SACK, ts, 8), L7_ENOENT);
	/* Strip SACK-permitted. */
	assert_int_equal(l7_pkt_tcpopt_remove(&p, f, L7_TCPOPT_SACK_PERM), 1);
	assert_int_equal(l7_tcpopt_has_sack_perm(opts, olen), 0);
	assert_int_equal(l7_pkt_tcpopt_remove(&p, f, L7_TCPOPT_SACK_PERM), 0);
	assert_consistent(&p);
	/* Insert into the trailing EOL padding: same header length. */
	assert_int_equal(l7_pkt_tcpopt_insert(&p, f, sizeof(f), 30, NULL, 0), 0);
	assert_int_equal(p.caplen, sizeof(frame_syn));
	assert_int_equal(p.tcp_hdr_len, 44);
	assert_consistent(&p);

	/* Insert into the GET: the header grows by 4, the payload moves. */
	memcpy(f, frame_get, sizeof(frame_get));
	assert_int_equal(l7_pkt_parse(&p, f, sizeof(frame_get), L7_LINKTYPE_ETHERNET), 0);
	memcpy(before, f, sizeof(f));
	assert_int_equal(l7_pkt_tcpopt_insert(&p, f, sizeof(frame_get) + 3, L7_TCPOPT_MSS,
					      mss_val, 2), L7_ENOSPC);
	assert_memory_equal(f, before, sizeof(f));
	assert_int_equal(l7_pkt_tcpopt_insert(&p, f, sizeof(frame_get) + 4, L7_TCPOPT_MSS,
					      mss_val, 2), 0);
	assert_int_equal(p.caplen, sizeof(frame_get) + 4);
	assert_int_equal(p.tcp_hdr_len, 36);
	assert_int_equal(p.ip_len, 192);
	assert_int_equal(p.payload_len, 136);
	assert_memory_equal(l7_pkt_payload(&p), frame_get + 66, 136);
	opts = l7_pkt_tcp_opts(&p, &olen);
	assert_int_equal(l7_tcpopt_get_mss(opts, olen, &mss), 1);
	assert_int_equal(mss, 1400);
	assert_int_equal(l7_tcpopt_get_ts(opts, olen, &tv, &te), 1);
	assert_int_equal(tv, 374005094u);
	assert_consistent(&p);
	/* Too many options. */
	assert_int_equal(l7_pkt_tcpopt_insert(&p, f, sizeof(f), 30, ts, 8), 0);
	assert_int_equal(p.tcp_hdr_len, 48);
	assert_int_equal(l7_pkt_tcpopt_insert(&p, f, sizeof(f), 31, ts, 8), 0);
	assert_int_equal(p.tcp_hdr_len, 56);
	assert_int_equal(l7_pkt_tcpopt_insert(&p, f, sizeof(f), 32, ts, 4), L7_ERANGE);
	assert_consistent(&p);
	/* Drop all options: the header shrinks back to 20 bytes. */
	assert_int_equal(l7_pkt_tcp_set_opts(&p, f, sizeof(f), NULL, 0), 0);
	assert_int_equal(p.tcp_hdr_len, 20);
	assert_int_equal(p.caplen, 14 + 20 + 20 + 136);
	assert_memory_equal(l7_pkt_payload(&p), frame_get + 66, 136);
	assert_consistent(&p);

	/* IPv6: options grow, payload length follows. */
	memcpy(f, frame_v6_synack, sizeof(frame_v6_synack));
	assert_int_equal(l7_pkt_parse(&p, f, sizeof(frame_v6_synack), L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(l7_pkt_tcpopt_insert(&p, f, sizeof(f), L7_TCPOPT_TS, ts, 8), 0);
	assert_int_equal(p.tcp_hdr_len, 36); /* MSS SACKP (6) + TS (10), padded */
	assert_int_equal(p.ip_len, 40 + 36);
	assert_int_equal(tp_rd16(f + 18), 36);
	assert_consistent(&p);

	/* A pure ACK padded to Ethernet's 60 bytes: the padding goes. */
	memcpy(f, frame_get, 54);
	tp_wr16(f + 16, 40);
	f[46] = 0x50;
	memset(f + 54, 0, 6);
	assert_int_equal(l7_pkt_parse(&p, f, 60, L7_LINKTYPE_ETHERNET), 0);
	assert_true(p.flags & L7_PKT_F_PADDED);
	assert_int_equal(l7_pkt_tcpopt_insert(&p, f, sizeof(f), L7_TCPOPT_MSS, mss_val, 2), 0);
	assert_int_equal(p.caplen, 58);
	assert_false(p.flags & L7_PKT_F_PADDED);
	assert_int_equal(p.ip_len, 44);
	assert_consistent(&p);

	/* A snapped capture cannot be re-laid out. */
	memcpy(f, frame_get, sizeof(frame_get));
	assert_int_equal(l7_pkt_parse(&p, f, 100, L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(l7_pkt_tcp_set_opts(&p, f, sizeof(f), NULL, 0), L7_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_values_from_real_frames),
		cmocka_unit_test(partial_matches_reference),
		cmocka_unit_test(rfc1624_example),
		cmocka_unit_test(incremental_equals_full_random),
		cmocka_unit_test(pseudo_headers),
		cmocka_unit_test(builder_round_trips),
		cmocka_unit_test(builder_errors_leave_buffer_alone),
		cmocka_unit_test(vxlan_builder_round_trip),
		cmocka_unit_test(mutators_random),
		cmocka_unit_test(udp_mutators),
		cmocka_unit_test(option_mutators),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
