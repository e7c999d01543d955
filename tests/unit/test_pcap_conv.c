/*
 * test_pcap_conv.c — our TCP connection count against tshark's, for every
 * capture at the top level of ../shared/data/pcaps/.
 *
 * The expected numbers are the row counts of
 *     tshark -r FILE -q -z conv,tcp        (TShark 4.0.17, Debian 12)
 * recorded once (not run by the test). Our count is the number of
 * connections the tracker opens when the whole file goes through
 * l7_pkt_parse() + l7_conn_track() with the default configuration
 * (as `l7sim inspect` does).
 *
 * Where the definitions could differ, and what these captures show:
 *  - tuple reuse: we start a new connection when a SYN arrives on a tuple
 *    whose previous life closed (FIN both ways or RST). tshark 4.0 keys its
 *    TCP conversation table by tcp.stream, which also starts a new stream
 *    there, so both count tcp_arkime_tcp-reassembly-synthetic.pcap's port
 *    40008 (FIN close at frame 89, new SYN ISN 22000 at frame 90) twice:
 *    11 rows for 10 distinct tuples.
 *  - a late SYN: in the same capture, port 40009's SYN (ISN 30000, frame
 *    101) arrives after its SYN-ACK and after the FIN close. Its ISN is the
 *    one the SYN-ACK acknowledged (ack 30001 - 1), so it belongs to the old
 *    life: neither tool opens a 12th connection (before we checked the ISN
 *    we counted 12 here).
 *  - idle timeout: we retire a connection after 300 s without packets and
 *    would count a later packet as a new (mid-stream) connection; tshark
 *    never times out. No capture here has a 300 s pause inside a tuple.
 *  - non-TCP (ARP, UDP/DNS, ICMP, IPv6 ND) is in neither count: e.g.
 *    real_suricata_output-eve-ftp-data.pcap has 469 non-TCP IP packets and
 *    126 non-IP frames besides its 80 TCP connections.
 *  - malformed TCP headers: a packet l7_pkt_parse() rejects is not counted;
 *    the top-level captures have none (the malformed/ folder is tested by
 *    tests/cli/inspect_bad_input.sh instead).
 * So on these captures the counts are equal, file by file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "l7splice/conn.h"
#include "l7splice/packet.h"
#include "l7splice/pcap.h"

struct expect {
	const char *file;
	uint64_t tshark_rows;
};

static const struct expect table[] = {
	{ "fmt_pcpp_nanosecs_big_endian.pcap", 1 },
	{ "fmt_zeek_cooper-grill-dvwa.pcapng", 4 },
	{ "ka_suricata_http-protocol-nodup.pcap", 1 },
	{ "ka_zeek_100-continue.pcap", 1 },
	{ "ka_zeek_pipelined-requests.pcap", 1 },
	{ "ka_zeek_proxy.pcap", 1 },
	{ "l2_zeek_http-vlan-0.pcap", 1 },
	{ "l3_arkime_v6-http.pcap", 1 },
	{ "mal_suricata_http-chunked-tab.pcap", 1 },
	{ "mal_suricata_http-multiple-cl.pcap", 1 },
	{ "mal_zeek_261_chunk_2pow64_overflow.pcap", 1 },
	{ "mal_zeek_261_cl_negative.pcap", 1 },
	{ "mal_zeek_261_te_cl_desync.pcap", 1 },
	{ "mal_zeek_261_te_obs_fold.pcap", 1 },
	{ "mal_zeek_content-length-overflow.pcap", 1 },
	{ "mal_zeek_http-non-printable-characters.pcap", 4 },
	{ "mal_zeek_http_09.pcap", 5 },
	{ "mal_zeek_no-version.pcap", 1 },
	{ "real_pcpp_example.pcap", 66 },
	{ "real_pcpp_http-packets.pcap", 12 },
	{ "real_suricata_http-range-multiflows.pcap", 41 },
	{ "real_suricata_output-eve-ftp-data.pcap", 80 },
	{ "real_zeek_bro.org.pcap", 13 },
	{ "real_zeek_methods.pcap", 49 },
	{ "smoke_arkime_http-simple-get.pcap", 1 },
	{ "smoke_zeek_http_get.pcap", 1 },
	{ "smoke_zeek_http_post.pcap", 1 },
	{ "smoke_zeek_wikipedia.pcap", 10 },
	{ "smoke_zeek_workshop_2011_browse.pcap", 6 },
	{ "tcp_arkime_tcp-reassembly-synthetic.pcap", 11 },
	{ "tcp_suricata_leading-gap.pcap", 1 },
	{ "tcp_suricata_overlap-conflicting.pcap", 1 },
	{ "tcp_suricata_syn-retransmit-with-ts.pcap", 1 },
	{ "tcp_tcpdump_ipv4_tcp_http_xml_tso.pcap", 1 },
	{ "tcp_zeek_handshake-reorder.pcap", 1 },
	{ "tcp_zeek_missing-syn.pcap", 1 },
	{ "tcp_zeek_option-sack.pcap", 1 },
	{ "tcp_zeek_reassembly.pcap", 1 },
	{ "tcp_zeek_retransmit-fast009.pcap", 1 },
	{ "tcp_zeek_timestamp.pcap", 1 },
	{ "tcp_zeek_window-scale-range.pcap", 1 },
};

static const char *data_dir;

static uint64_t our_count(const char *file)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/pcaps/%s", data_dir, file);
	struct l7_conn_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_conns = 4096;
	struct l7_conn_tracker *t;
	assert_int_equal(l7_conn_tracker_create(&t, &cfg), 0);
	struct l7_pcap_reader r;
	struct l7_pcap_rec rec;
	struct l7_pkt pkt;
	assert_int_equal(l7_pcap_open(&r, p), 0);
	int rc;
	while ((rc = l7_pcap_next(&r, &rec)) == 1)
		if (l7_pkt_parse(&pkt, rec.data, rec.caplen, rec.linktype) == 0)
			l7_conn_track(t, &pkt, rec.ts_ns);
	assert_int_equal(rc, 0);
	l7_conn_flush(t, l7_pcap_reader_counts(&r)->last_ns);
	uint64_t n = l7_conn_tracker_counts(t)->opened;
	l7_pcap_close(&r);
	l7_conn_tracker_destroy(t);
	return n;
}

static void counts_equal_tshark_conv_tcp(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		uint64_t n = our_count(table[i].file);
		if (n != table[i].tshark_rows) {
			printf("%s: ours %llu, tshark %llu\n", table[i].file,
			       (unsigned long long)n, (unsigned long long)table[i].tshark_rows);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* The reuse and late-SYN cases above, spelled out. */
static void arkime_synthetic_reuse_and_late_syn(void **state)
{
	(void)state;
	assert_int_equal(our_count("tcp_arkime_tcp-reassembly-synthetic.pcap"), 11);
}

int main(void)
{
	data_dir = getenv("L7_SHARED_DATA");
	if (!data_dir || access(data_dir, R_OK) != 0) {
		printf("test_pcap_conv: skipped, L7_SHARED_DATA not set or unreadable\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counts_equal_tshark_conv_tcp),
		cmocka_unit_test(arkime_synthetic_reuse_and_late_syn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
