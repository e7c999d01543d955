/*
 * test_packet_real.c — the parser and checksum verifier over the shared real
 * captures ($L7_SHARED_DATA/pcaps), read with a tiny classic-pcap reader
 * (both byte orders, micro- and nanosecond magic) so the packet module's
 * tests need no libpcap.
 *
 * Expected counts: frames, IPv4/IPv6/TCP/UDP/VLAN and bad checksums were
 * taken once from tshark 4.0 (`tshark -r F -Y ip|ipv6|tcp|udp|vlan | wc -l`,
 * checksum checks on: `-o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE
 * -o ip.check_checksum:TRUE -Y 'tcp.checksum.status==0 ||
 * udp.checksum.status==0 || ip.checksum.status==0'`); every place where our
 * figure differs from tshark's is explained next to the row. The
 * classification columns (non-IP, truncated, malformed, snapped, TSO) are
 * ours, checked by hand against tshark's "[Malformed Packet]" / "[Packet
 * size limited during capture]" marks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "l7splice/packet.h"

static const char *shared_dir;
static unsigned long cuts_checked;

/* ------------------------------------------------------------ tiny reader */

struct tiny_pcap {
	uint8_t *buf;
	size_t len, pos;
	int swap;
	uint32_t linktype;
};

static uint32_t rd32le(const uint8_t *b, int swap)
{
	uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		     (uint32_t)b[3] << 24;

	return swap ? (v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24) : v;
}

/* 0 ok, -1 no such file, -2 not a classic pcap. */
static int tiny_open(struct tiny_pcap *t, const char *rel)
{
	char path[1024];
	FILE *f;
	long n;
	uint32_t magic;

	snprintf(path, sizeof(path), "%s/pcaps/%s", shared_dir, rel);
	f = fopen(path, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	t->buf = malloc(n > 0 ? (size_t)n : 1);
	t->len = fread(t->buf, 1, (size_t)(n > 0 ? n : 0), f);
	fclose(f);
	t->pos = 24;
	if (t->len < 24) {
		free(t->buf);
		return -2;
	}
	magic = rd32le(t->buf, 0);
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		t->swap = 0;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		t->swap = 1;
	else {
		free(t->buf);
		return -2;
	}
	t->linktype = rd32le(t->buf + 20, t->swap) & 0x0fffffff;
	return 0;
}

/* Next record: 1 and its bytes, 0 at the end (or a cut record). */
static int tiny_next(struct tiny_pcap *t, const uint8_t **data, uint32_t *caplen)
{
	uint32_t incl;

	if (t->len - t->pos < 16)
		return 0;
	incl = rd32le(t->buf + t->pos + 8, t->swap);
	if (incl > t->len - t->pos - 16)
		return 0;
	*data = t->buf + t->pos + 16;
	*caplen = incl;
	t->pos += 16 + incl;
	return 1;
}

/* ------------------------------------------------------------ expectations */

struct expect {
	const char *file;
	uint32_t linktype;
	uint64_t frames, ipv4, ipv6, tcp, udp, vlan;
	uint64_t non_ip, truncated, malformed, snapped, tso;
	uint64_t csum_bad; /* IP or L4 checksum wrong */
};

static const struct expect expects[] = {
	{ "smoke_zeek_http_get.pcap", 1, 14, 14, 0, 14, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "l2_zeek_http-vlan-0.pcap", 1, 14, 14, 0, 14, 0, 14, 0, 0, 0, 0, 0, 0 },
	/* Includes 2 frames with an IPv6 hop-by-hop header (ICMPv6 MLD). */
	{ "l3_arkime_v6-http.pcap", 1, 55, 0, 55, 10, 8, 0, 0, 0, 0, 0, 0, 0 },
	/* 1808 frames with offloaded (wrong) checksums, as tshark says. */
	{ "real_pcpp_example.pcap", 1, 4631, 4631, 0, 4492, 139, 0, 0, 0, 0, 0, 0, 1808 },
	/* IP total length 0 (TSO capture); its IP checksum is 0 too. */
	{ "tcp_tcpdump_ipv4_tcp_http_xml_tso.pcap", 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1 },
	/* tshark: 1063 IPv4 and 167 IPv6 — 6 of those are Teredo (IPv6 in UDP
	 * in IPv4), which we count once, as the outer IPv4. 126 ARP frames. */
	{ "real_suricata_output-eve-ftp-data.pcap", 1, 1350, 1063, 161, 755, 301, 0, 126, 0, 0, 0, 0, 0 },
	/* BSD loopback (DLT_NULL); checksums offloaded. */
	{ "mal_suricata_http-multiple-cl.pcap", 0, 14, 14, 0, 14, 0, 0, 0, 0, 0, 0, 0, 14 },
	/* DLT_RAW as 12. */
	{ "reassembly/four_ipv6_http_streams.pcap", 12, 81, 0, 81, 81, 0, 0, 0, 0, 0, 0, 0, 0 },
	/* LINKTYPE_IPV4 (228). */
	{ "mal_zeek_261_te_obs_fold.pcap", 228, 8, 8, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0 },
	/* Big-endian, nanosecond magic. */
	{ "fmt_pcpp_nanosecs_big_endian.pcap", 1, 10, 10, 0, 10, 0, 0, 0, 0, 0, 0, 0, 10 },
	{ "tcp_suricata_syn-retransmit-with-ts.pcap", 1, 254, 254, 0, 254, 0, 106, 0, 0, 0, 0, 0, 0 },
	/* tshark flags 15 bad checksums; 5 of them are frames whose IP length
	 * says 1500 but only 1480..1492 bytes exist (edited test data): we
	 * call those snapped and do not check them, so 10 + 5 skipped. */
	{ "tcp_zeek_reassembly.pcap", 1, 117, 117, 0, 117, 0, 0, 0, 0, 0, 5, 0, 10 },
	/* --- malformed/ --- */
	/* Its one record claims 524501 bytes in a 239-byte file: a file-level
	 * error (tshark: "cut short in the middle of a packet"), so the tiny
	 * reader yields no frame; the fuzz corpus feeds its bytes instead. */
	{ "malformed/ndpi_fuzz-2021-10-13.pcap", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	/* tshark: [Malformed Packet] — TCP data offset past the IP length of
	 * 40, in a 60-byte (padded) frame. */
	{ "malformed/pcpp_tcp-malformed.pcap", 1, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0 },
	/* Ethertype 0x0800 whose "IP" header is impossible. */
	{ "malformed/suricata_bug-6875-fuzz.pcap", 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 },
	/* tshark: [Packet size limited during capture]. */
	{ "malformed/tcpdump_ipv6hdr-heapoverflow.pcap", 229, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0 },
	{ "malformed/tcpdump_tcp_header_heapoverflow.pcap", 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0 },
	{ "malformed/zeek_ipv4-internally-truncated-header.pcap", 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0 },
	/* A snaplen-68 capture: 1 header cut, 11 payloads cut. */
	{ "malformed/zeek_tcp_truncated-header.pcap", 1, 24, 23, 0, 23, 0, 0, 0, 1, 0, 11, 0, 0 },
	{ "malformed/tcpdump_tcp_rst_data-trunc.pcap", 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0 },
	{ "malformed/arkime_empty.pcap", 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
};

/*
 * Cut a frame that parsed fine at every length up to a few bytes into its
 * payload, each time in an exact-size heap copy (so ASan sees any
 * over-read): inside the headers it must be L7_ETRUNCATED, from the payload
 * on it must parse with payload_caplen = cut - payload_off.
 */
static void cut_everywhere(const uint8_t *frame, uint32_t caplen, uint32_t lt,
			   const struct l7_pkt *full)
{
	uint32_t last = full->payload_off + 8 < caplen ? full->payload_off + 8 : caplen;

	for (uint32_t cut = 0; cut <= last; cut++) {
		uint8_t *c = malloc(cut ? cut : 1);
		struct l7_pkt p;
		int rc;

		memcpy(c, frame, cut);
		rc = l7_pkt_parse(&p, c, cut, lt);
		cuts_checked++;
		if (cut < full->payload_off) {
			assert_int_equal(rc, L7_ETRUNCATED);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(p.payload_caplen,
					 (cut - full->payload_off) < full->payload_len ?
					 cut - full->payload_off : full->payload_len);
		}
		free(c);
	}
}

static void one_capture(const struct expect *e)
{
	struct tiny_pcap t;
	struct l7_pkt_stats st;
	const uint8_t *d;
	uint32_t caplen;
	uint64_t bad = 0, n = 0;

	memset(&st, 0, sizeof(st));
	assert_int_equal(tiny_open(&t, e->file), 0);
	assert_int_equal(t.linktype, e->linktype);
	while (tiny_next(&t, &d, &caplen)) {
		struct l7_pkt p;
		uint8_t *copy = malloc(caplen ? caplen : 1);
		int rc;

		memcpy(copy, d, caplen);
		rc = l7_pkt_parse(&p, copy, caplen, t.linktype);
		l7_pkt_stats_add(&st, rc, &p);
		if (rc == 0) {
			int v = l7_pkt_csum_verify(&p);

			assert_true(v >= 0);
			if (v & (L7_CSUM_IP_BAD | L7_CSUM_L4_BAD))
				bad++;
			if (n < 300 && !(p.flags & L7_PKT_F_PADDED))
				cut_everywhere(copy, caplen, t.linktype, &p);
		}
		free(copy);
		n++;
	}
	free(t.buf);
	print_message("%s: %lu frames\n", e->file, (unsigned long)n);
	assert_int_equal(st.packets, e->frames);
	assert_int_equal(st.ipv4, e->ipv4);
	assert_int_equal(st.ipv6, e->ipv6);
	assert_int_equal(st.tcp, e->tcp);
	assert_int_equal(st.udp, e->udp);
	assert_int_equal(st.vlan, e->vlan);
	assert_int_equal(st.non_ip, e->non_ip);
	assert_int_equal(st.truncated, e->truncated);
	assert_int_equal(st.malformed, e->malformed);
	assert_int_equal(st.snapped, e->snapped);
	assert_int_equal(st.tso, e->tso);
	assert_int_equal(bad, e->csum_bad);
	assert_int_equal(st.bad_linktype + st.other_err, 0);
}

static void real_captures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(expects) / sizeof(expects[0]); i++)
		one_capture(&expects[i]);
	/* The cut sweep really ran over many frames. */
	assert_true(cuts_checked > 50000);
}

/* The hop-by-hop frames of l3_arkime_v6-http.pcap: real extension headers. */
static void real_ipv6_hop_by_hop(void **state)
{
	struct tiny_pcap t;
	const uint8_t *d;
	uint32_t caplen;
	int seen = 0;

	(void)state;
	assert_int_equal(tiny_open(&t, "l3_arkime_v6-http.pcap"), 0);
	while (tiny_next(&t, &d, &caplen)) {
		struct l7_pkt p;

		assert_int_equal(l7_pkt_parse(&p, d, caplen, t.linktype), 0);
		if (!(p.flags & L7_PKT_F_V6EXT))
			continue;
		seen++;
		assert_int_equal(d[14 + 6], L7_IPPROTO_HOPOPTS);
		assert_int_equal(p.proto, L7_IPPROTO_ICMPV6);
		assert_int_equal(p.l3_hdr_len, 40 + 8 * (d[14 + 41] + 1));
	}
	free(t.buf);
	assert_int_equal(seen, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(real_captures),
		cmocka_unit_test(real_ipv6_hop_by_hop),
	};
	struct tiny_pcap t;

	shared_dir = getenv("L7_SHARED_DATA");
	if (!shared_dir || tiny_open(&t, "smoke_zeek_http_get.pcap") != 0) {
		printf("test_packet_real: skipped, no shared captures (set L7_SHARED_DATA)\n");
		return 77;
	}
	free(t.buf);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
