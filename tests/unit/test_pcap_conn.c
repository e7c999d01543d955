/*
 * test_pcap_conn.c — the streaming connection tracker: reassembly ground
 * truth from PcapPlusPlus's captures (shared data), and hand-built packet
 * sequences for each rule: client choice, retransmission, overlap with
 * conflicting bytes (first copy wins), out-of-order, gaps at the buffer cap
 * and at close, sequence wraparound, tuple reuse, RST, idle retirement,
 * eviction when the table is full.
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

/* ------------------------------------------------------------ recorder */

#define MAX_CONNS 64

/* Everything the callbacks saw, per connection id. */
struct rec_conn {
	uint8_t *bytes;        /* both directions, in delivery order */
	size_t len, cap;
	uint8_t *dir_bytes[2]; /* each direction alone */
	size_t dir_len[2], dir_cap[2];
	uint64_t gap_bytes[2];
	int opened, closed;
	enum l7_conn_end why;
	struct l7_conn final;  /* copy at close */
};

struct recorder {
	struct rec_conn c[MAX_CONNS + 1];
	uint64_t max_id;
	char log[4096];        /* event trace: "o1 d1c5 g1s3 c1fin " ... */
};

static void append(uint8_t **b, size_t *len, size_t *cap, const uint8_t *d, size_t n)
{
	if (*len + n > *cap) {
		*cap = (*len + n) * 2 + 64;
		*b = realloc(*b, *cap);
		assert_non_null(*b);
	}
	memcpy(*b + *len, d, n);
	*len += n;
}

static void logf_(struct recorder *r, const char *fmt, ...)
{
	size_t l = strlen(r->log);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->log + l, sizeof(r->log) - l, fmt, ap);
	va_end(ap);
}

static struct rec_conn *rc_of(struct recorder *r, const struct l7_conn *c)
{
	assert_true(c->id >= 1 && c->id <= MAX_CONNS);
	if (c->id > r->max_id)
		r->max_id = c->id;
	return &r->c[c->id];
}

static void on_open(void *u, struct l7_conn *c, l7_time_ns ts)
{
	(void)ts;
	struct recorder *r = u;
	rc_of(r, c)->opened++;
	logf_(r, "o%llu ", (unsigned long long)c->id);
}

static void on_data(void *u, struct l7_conn *c, enum l7_conn_dir dir, const uint8_t *d,
		    size_t n, l7_time_ns ts)
{
	(void)ts;
	struct recorder *r = u;
	struct rec_conn *x = rc_of(r, c);
	append(&x->bytes, &x->len, &x->cap, d, n);
	append(&x->dir_bytes[dir], &x->dir_len[dir], &x->dir_cap[dir], d, n);
	logf_(r, "d%llu%c%zu ", (unsigned long long)c->id, dir ? 's' : 'c', n);
}

static void on_gap(void *u, struct l7_conn *c, enum l7_conn_dir dir, uint64_t n, l7_time_ns ts)
{
	(void)ts;
	struct recorder *r = u;
	rc_of(r, c)->gap_bytes[dir] += n;
	logf_(r, "g%llu%c%llu ", (unsigned long long)c->id, dir ? 's' : 'c', (unsigned long long)n);
}

static void on_close(void *u, struct l7_conn *c, enum l7_conn_end why, l7_time_ns ts)
{
	(void)ts;
	struct recorder *r = u;
	struct rec_conn *x = rc_of(r, c);
	x->closed++;
	x->why = why;
	x->final = *c;
	logf_(r, "c%llu%s ", (unsigned long long)c->id, l7_conn_end_name(why));
}

static void recorder_free(struct recorder *r)
{
	for (int i = 0; i <= MAX_CONNS; i++) {
		free(r->c[i].bytes);
		free(r->c[i].dir_bytes[0]);
		free(r->c[i].dir_bytes[1]);
	}
	free(r);
}

static struct l7_conn_tracker *make_tracker(struct recorder **rp, struct l7_conn_config *cfg)
{
	struct recorder *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	struct l7_conn_config def;
	if (!cfg) {
		memset(&def, 0, sizeof(def));
		def.max_conns = 64;
		def.ooo_pool_bytes = 1 << 20;
		def.keep_history = 1;
		cfg = &def;
	}
	cfg->cb.on_open = on_open;
	cfg->cb.on_data = on_data;
	cfg->cb.on_gap = on_gap;
	cfg->cb.on_close = on_close;
	cfg->user = r;
	struct l7_conn_tracker *t;
	assert_int_equal(l7_conn_tracker_create(&t, cfg), 0);
	*rp = r;
	return t;
}

/* ------------------------------------------------------------ ground truth */

static const char *data_dir;

static uint8_t *slurp(const char *rel, size_t *len)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/pcaps/%s", data_dir, rel);
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n + 1);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* Run a whole capture through parse + tracker; returns the recorder. */
static struct recorder *run_capture(const char *rel)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/pcaps/%s", data_dir, rel);
	struct recorder *r;
	struct l7_conn_tracker *t = make_tracker(&r, NULL);
	struct l7_pcap_reader rd;
	struct l7_pcap_rec rec;
	struct l7_pkt pkt;
	assert_int_equal(l7_pcap_open(&rd, p), 0);
	int rc;
	while ((rc = l7_pcap_next(&rd, &rec)) == 1)
		if (l7_pkt_parse(&pkt, rec.data, rec.caplen, rec.linktype) == 0)
			l7_conn_track(t, &pkt, rec.ts_ns);
	assert_int_equal(rc, 0);
	l7_conn_flush(t, l7_pcap_reader_counts(&rd)->last_ns);
	l7_pcap_close(&rd);
	l7_conn_tracker_destroy(t);
	return r;
}

/* The connection whose bytes start like `want`, or fail. */
static const struct rec_conn *find_by_prefix(const struct recorder *r, const uint8_t *want,
					     size_t want_len)
{
	size_t k = want_len < 64 ? want_len : 64;
	for (uint64_t i = 1; i <= r->max_id; i++)
		if (r->c[i].len >= k && !memcmp(r->c[i].bytes, want, k))
			return &r->c[i];
	fail_msg("no connection starts with the expected bytes");
	return NULL;
}

static void expect_stream(const struct recorder *r, const char *expected_rel)
{
	size_t n;
	uint8_t *want = slurp(expected_rel, &n);
	const struct rec_conn *c = find_by_prefix(r, want, n);
	assert_int_equal(c->len, n);
	assert_memory_equal(c->bytes, want, n);
	assert_int_equal(c->gap_bytes[0] + c->gap_bytes[1], 0);
	free(want);
}

static void ground_truth_one_stream(void **state)
{
	(void)state;
	struct recorder *r = run_capture("reassembly/one_tcp_stream.pcap");
	assert_int_equal(r->max_id, 1);
	expect_stream(r, "reassembly/one_tcp_stream_output.txt");
	recorder_free(r);
}

/* Same stream with the ISN just below 2^32: sequence numbers wrap. */
static void ground_truth_wraparound(void **state)
{
	(void)state;
	struct recorder *r = run_capture("reassembly/one_tcp_stream_max_seq.pcap");
	assert_int_equal(r->max_id, 1);
	expect_stream(r, "reassembly/one_tcp_stream_output.txt");
	recorder_free(r);
}

static void ground_truth_http_fin(void **state)
{
	(void)state;
	struct recorder *r = run_capture("reassembly/one_http_stream_fin.pcap");
	assert_int_equal(r->max_id, 1);
	expect_stream(r, "reassembly/one_http_stream_fin_output.txt");
	assert_int_equal(r->c[1].why, L7_CONN_END_FIN);
	recorder_free(r);
}

static void ground_truth_three_streams(void **state)
{
	(void)state;
	struct recorder *r = run_capture("reassembly/three_http_streams.pcap");
	assert_int_equal(r->max_id, 3);
	expect_stream(r, "reassembly/three_http_streams_conn_1_output.txt");
	expect_stream(r, "reassembly/three_http_streams_conn_2_output.txt");
	expect_stream(r, "reassembly/three_http_streams_conn_3_output.txt");
	recorder_free(r);
}

static void ground_truth_ipv6(void **state)
{
	(void)state;
	struct recorder *r = run_capture("reassembly/four_ipv6_http_streams.pcap");
	assert_int_equal(r->max_id, 4);
	expect_stream(r, "reassembly/one_ipv6_http_stream2.txt");
	expect_stream(r, "reassembly/one_ipv6_http_stream3.txt");
	expect_stream(r, "reassembly/one_ipv6_http_stream4.txt");
	recorder_free(r);
}


/* ------------------------------------------------------------ hand-built */

#define CLI 0x0a000001u /* 10.0.0.1:40000 */
#define SRV 0x0a000002u /* 10.0.0.2:80 */

static l7_time_ns now_ns;

/* Build one IPv4 TCP packet (raw IP link type), parse it with the packet
 * module's parser and feed it to the tracker; `snap` bytes are cut off the
 * capture to simulate a snaplen. */
static void send_snap(struct l7_conn_tracker *t, int from_client, uint16_t sport, uint32_t seq,
		      uint32_t ack, uint16_t flags, const char *payload, uint32_t snap)
{
	static uint8_t frame[2048];
	struct l7_tcp_build b;
	memset(&b, 0, sizeof(b));
	b.linktype = L7_LINKTYPE_RAW;
	b.ip_version = 4;
	b.ttl = 64;
	b.src = l7_addr_from_v4(from_client ? CLI : SRV);
	b.dst = l7_addr_from_v4(from_client ? SRV : CLI);
	b.sport = from_client ? sport : 80;
	b.dport = from_client ? 80 : sport;
	b.seq = seq;
	b.ack = ack;
	b.flags = flags;
	b.window = 65535;
	b.payload = (const uint8_t *)payload;
	b.payload_len = payload ? strlen(payload) : 0;
	size_t len;
	assert_int_equal(l7_pkt_build_tcp(frame, sizeof(frame), &b, &len), 0);
	struct l7_pkt p;
	assert_int_equal(l7_pkt_parse(&p, frame, (uint32_t)(len - snap), L7_LINKTYPE_RAW), 0);
	now_ns += 1000;
	assert_int_equal(l7_conn_track(t, &p, now_ns), 0);
}

static void send(struct l7_conn_tracker *t, int from_client, uint32_t seq, uint32_t ack,
		 uint16_t flags, const char *payload)
{
	send_snap(t, from_client, 40000, seq, ack, flags, payload, 0);
}

#define A L7_TCP_ACK
#define S L7_TCP_SYN
#define F L7_TCP_FIN
#define R L7_TCP_RST
#define P L7_TCP_PSH

static void handshake(struct l7_conn_tracker *t, uint32_t cisn, uint32_t sisn)
{
	send(t, 1, cisn, 0, S, NULL);
	send(t, 0, sisn, cisn + 1, S | A, NULL);
	send(t, 1, cisn + 1, sisn + 1, A, NULL);
}

static void clean_exchange_closes_with_fin(void **state)
{
	(void)state;
	struct recorder *r;
	struct l7_conn_tracker *t = make_tracker(&r, NULL);
	handshake(t, 1000, 5000);
	send(t, 1, 1001, 5001, A | P, "GET");
	send(t, 0, 5001, 1004, A | P, "HTTP");
	send(t, 1, 1004, 5005, A | F, NULL);
	send(t, 0, 5005, 1005, A | F, NULL);
	send(t, 1, 1005, 5006, A, NULL); /* the last ACK: absorbed, no new conn */
	assert_string_equal(r->log, "o1 d1c3 d1s4 c1fin ");
	const struct l7_conn *c = &r->c[1].final;
	assert_int_equal(c->flags & (L7_CONN_F_SYN | L7_CONN_F_SYNACK | L7_CONN_F_FIN_C |
				     L7_CONN_F_FIN_S | L7_CONN_F_MIDSTREAM),
			 L7_CONN_F_SYN | L7_CONN_F_SYNACK | L7_CONN_F_FIN_C | L7_CONN_F_FIN_S);
	assert_int_equal(l7_flow_key_dport(&c->key), 80);
	assert_int_equal(c->dir[0].bytes, 3);
	assert_int_equal(c->dir[1].bytes, 4);
	assert_int_equal(c->dir[0].retrans_segs + c->dir[1].retrans_segs, 0);
	const struct l7_conn_counts *k = l7_conn_tracker_counts(t);
	assert_int_equal(k->opened, 1);
	assert_int_equal(k->closed[L7_CONN_END_FIN], 1);
	assert_int_equal(k->stray, 1);
	assert_int_equal(k->active, 0);
	l7_conn_flush(t, now_ns);
	assert_string_equal(r->log, "o1 d1c3 d1s4 c1fin ");
	l7_conn_tracker_destroy(t);
	recorder_free(r);
}

static void out_of_order_and_retransmission(void **state)
{
	(void)state;
	struct recorder *r;
	struct l7_conn_tracker *t = make_tracker(&r, NULL);
	handshake(t, 1000, 5000);
	send(t, 1, 1001, 5001, A, "AAAA");
	send(t, 1, 1009, 5001, A, "CCCC"); /* ahead of a hole */
	send(t, 1, 1005, 5001, A, "BBBB"); /* fills it */
	send(t, 1, 1001, 5001, A, "AAAA"); /* same bytes again */
	send(t, 1, 1001, 5001, A, "AXAA"); /* again, one byte differs */
	l7_conn_flush(t, now_ns);
	assert_string_equal(r->log, "o1 d1c4 d1c4 d1c4 c1flush ");
	assert_int_equal(r->c[1].dir_len[0], 12);
	assert_memory_equal(r->c[1].dir_bytes[0], "AAAABBBBCCCC", 12);
	const struct l7_conn_dir_stats *st = &r->c[1].final.dir[0];
	assert_int_equal(st->ooo_segs, 1);
	assert_int_equal(st->retrans_segs, 2);
	assert_int_equal(st->conflict_bytes, 1);
	assert_int_equal(st->payload_bytes, 20);
	assert_int_equal(st->bytes, 12);
	l7_conn_tracker_destroy(t);
	recorder_free(r);
}

/* Without keep_history only buffered bytes are compared: a conflicting
 * retransmission of delivered data is a plain retransmission. */
static void without_history_delivered_conflicts_are_not_seen(void **state)
{
	(void)state;
	struct l7_conn_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_conns = 4;
	struct recorder *r;
	struct l7_conn_tracker *t = make_tracker(&r, &cfg);
	handshake(t, 1000, 5000);
	send(t, 1, 1001, 5001, A, "AAAA");
	send(t, 1, 1001, 5001, A, "AXAA");
	send(t, 1, 1009, 5001, A, "CCCC");
	send(t, 1, 1009, 5001, A, "CCXC"); /* against the buffer: seen */
	l7_conn_flush(t, now_ns);
	const struct l7_conn_dir_stats *st = &r->c[1].final.dir[0];
	assert_int_equal(st->retrans_segs, 1);
	assert_int_equal(st->conflict_bytes, 1);
	assert_int_equal(r->c[1].gap_bytes[0], 4);
	l7_conn_tracker_destroy(t);
	recorder_free(r);
}

/* A buffered out-of-order copy arrived first: it wins over the in-order
 * segment that overlaps it, and the 4 differing bytes are counted. */
static void overlap_first_copy_wins(void **state)
{
	(void)state;
	struct recorder *r;
	struct l7_conn_tracker *t = make_tracker(&r, NULL);
	handshake(t, 1000, 5000);
	send(t, 1, 1005, 5001, A, "WXYZ");
	send(t, 1, 1001, 5001, A, "abcdefghij"); /* 1001..1010 */
	send(t, 1, 1009, 5001, A, "IJkl");       /* 1009..1012, partly old */
	l7_conn_flush(t, now_ns);
	assert_int_equal(r->c[1].dir_len[0], 12);
	assert_memory_equal(r->c[1].dir_bytes[0], "abcdWXYZijkl", 12);
	const struct l7_conn_dir_stats *st = &r->c[1].final.dir[0];
	/* 4 against the buffered copy, 2 ("IJ" vs "ij") against history */
	assert_int_equal(st->conflict_bytes, 6);
	assert_int_equal(st->overlap_segs, 1);
	assert_int_equal(st->ooo_segs, 1);
	l7_conn_tracker_destroy(t);
	recorder_free(r);
}

static void sequence_wraparound(void **state)
{
	(void)state;
	struct recorder *r;
	struct l7_conn_tracker *t = make_tracker(&r, NULL);
	handshake(t, 0xfffffffdu, 0x7fffffffu);
	send(t, 1, 0x00000000u, 0x80000000u, A, "cd"); /* after the wrap, first */
	send(t, 1, 0xfffffffeu, 0x80000000u, A, "ab"); /* 0xfffffffe, 0xffffffff */
	send(t, 1, 0xfffffffeu, 0x80000000u, A, "ab"); /* retransmission */
	send(t, 1, 0x00000002u, 0x80000000u, A, "ef");
	l7_conn_flush(t, now_ns);
	assert_int_equal(r->c[1].dir_len[0], 6);
	assert_memory_equal(r->c[1].dir_bytes[0], "abcdef", 6);
	assert_int_equal(r->c[1].final.dir[0].retrans_segs, 1);
	assert_int_equal(r->c[1].final.dir[0].ooo_segs, 1);
	assert_int_equal(r->c[1].gap_bytes[0], 0);
	l7_conn_tracker_destroy(t);
	recorder_free(r);
}

/* With an 8-byte cap a second hole forces the first one to be skipped. */
static void gap_when_the_buffer_cap_is_hit(void **state)
{
	(void)state;
	struct l7_conn_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_conns = 4;
	cfg.ooo_pool_bytes = 1 << 16;
	cfg.ooo_max_bytes = 8;
	struct recorder *r;
	struct l7_conn_tracker *t = make_tracker(&r, &cfg);
	handshake(t, 1000, 5000);
	send(t, 1, 1011, 5001, A, "12345678"); /* hole 1001..1010 */
	send(t, 1, 1021, 5001, A, "xyz");      /* hole 1019..1020; cap hit */
	assert_string_equal(r->log, "o1 g1c10 d1c8 ");
	l7_conn_flush(t, now_ns);
	assert_string_equal(r->log, "o1 g1c10 d1c8 g1c2 d1c3 c1flush ");
	assert_int_equal(r->c[1].final.dir[0].gaps, 2);
	assert_int_equal(r->c[1].final.dir[0].gap_bytes, 12);
	l7_conn_tracker_destroy(t);
	recorder_free(r);
}

/* The server ACKs past a hole that has client data buffered after it: the
 * capture lost those bytes, so the hole is skipped at once. An ACK past
 * next_seq with nothing buffered (capture reordering) skips nothing. */
static void acked_hole_is_skipped_at_once(void **state)
{
	(void)state;
	struct recorder *r;
	struct l7_conn_tracker *t = make_tracker(&r, NULL);
	handshake(t, 1000, 5000);
	send(t, 0, 5001, 1005, A, NULL);          /* ACK past 1001, nothing buffered */
	send(t, 1, 1005, 5001, A, "efgh");        /* hole 1001..1004 */
	assert_string_equal(r->log, "o1 ");
	send(t, 0, 5001, 1009, A, NULL);          /* server got everything */
	assert_string_equal(r->log, "o1 g1c4 d1c4 ");
	send(t, 1, 1001, 5001, A, "abcd");        /* the lost bytes, late: old */
	l7_conn_flush(t, now_ns);
	assert_string_equal(r->log, "o1 g1c4 d1c4 c1flush ");
	assert_int_equal(r->c[1].final.dir[0].retrans_segs, 1);
	l7_conn_tracker_destroy(t);
	recorder_free(r);
}

/* A RST ends the connection: buffered bytes come out after a gap event. */
static void rst_flushes_with_a_gap(void **state)
{
	(void)state;
	struct recorder *r;
	struct l7_conn_tracker *t = make_tracker(&r, NULL);
	handshake(t, 1000, 5000);
	send(t, 0, 5004, 1001, A, "late");
	send(t, 1, 1001, 5001, R, NULL);
	send(t, 0, 5008, 1001, A, "more"); /* stray after the RST */
	assert_string_equal(r->log, "o1 g1s3 d1s4 c1rst ");
	assert_int_equal(l7_conn_tracker_counts(t)->stray, 1);
	assert_int_equal(r->c[1].final.flags & L7_CONN_F_RST, L7_CONN_F_RST);
	l7_conn_tracker_destroy(t);
	recorder_free(r);
}

/* FIN both ways then a new SYN on the same tuple: a second connection;
 * a new ISN on a live tuple that carried data ends the first life too. */
static void tuple_reuse_starts_a_new_connection(void **state)
{
	(void)state;
	struct recorder *r;
	struct l7_conn_tracker *t = make_tracker(&r, NULL);
	handshake(t, 1000, 5000);
	send(t, 1, 1001, 5001, A | F, NULL);
	send(t, 0, 5001, 1002, A | F, NULL);
	handshake(t, 90000, 70000);
	send(t, 1, 90001, 70001, A, "hi");
	handshake(t, 123456, 654321); /* no close seen: port reused */
	l7_conn_flush(t, now_ns);
	assert_string_equal(r->log, "o1 c1fin o2 d2c2 c2reused o3 c3flush ");
	assert_int_equal(l7_conn_tracker_counts(t)->reused, 2);
	assert_int_equal(l7_conn_tracker_counts(t)->opened, 3);
	l7_conn_tracker_destroy(t);
	recorder_free(r);
}

static void retransmitted_syn_is_not_a_new_connection(void **state)
{
	(void)state;
	struct recorder *r;
	struct l7_conn_tracker *t = make_tracker(&r, NULL);
	send(t, 1, 1000, 0, S, NULL);
	send(t, 1, 1000, 0, S, NULL);
	send(t, 0, 5000, 1001, S | A, NULL);
	send(t, 1, 1001, 5001, A, "x");
	l7_conn_flush(t, now_ns);
	assert_string_equal(r->log, "o1 d1c1 c1flush ");
	assert_int_equal(r->c[1].final.dir[0].retrans_segs, 1);
	l7_conn_tracker_destroy(t);
	recorder_free(r);
}

/* Without a SYN: the SYN-ACK receiver is the client; without either, the
 * side facing a well-known port, else the first sender (conn 3: client
 * port 8868 below the server's 31600, as in real_pcpp_http-packets.pcap).
 * Data resumes where the peer's ACK says. */
static void client_choice_without_syn(void **state)
{
	(void)state;
	struct recorder *r;
	struct l7_conn_tracker *t = make_tracker(&r, NULL);
	/* conn 1: server's data first (port 80 -> 40000) */
	send(t, 0, 7000, 3000, A, "resp");
	send(t, 1, 3000, 7004, A, "req");
	/* conn 2: SYN-ACK first (handshake reordering) on another port */
	send_snap(t, 0, 40001, 9000, 2001, S | A, NULL, 0);
	send_snap(t, 1, 40001, 2000, 0, S, NULL, 0);
	send_snap(t, 1, 40001, 2001, 9001, A, "q", 0);
	/* conn 3: two high ports, the first packet is the client's request */
	struct l7_tcp_build b;
	memset(&b, 0, sizeof(b));
	b.linktype = L7_LINKTYPE_RAW;
	b.ip_version = 4;
	b.ttl = 64;
	b.src = l7_addr_from_v4(0xac101ebe); /* 172.16.30.190:8868 */
	b.dst = l7_addr_from_v4(0xac10d254); /* 172.16.210.84:31600 */
	b.sport = 8868;
	b.dport = 31600;
	b.seq = 100;
	b.ack = 900;
	b.flags = A | P;
	b.payload = (const uint8_t *)"GET";
	b.payload_len = 3;
	static uint8_t frame[256];
	size_t len;
	struct l7_pkt p;
	assert_int_equal(l7_pkt_build_tcp(frame, sizeof(frame), &b, &len), 0);
	assert_int_equal(l7_pkt_parse(&p, frame, (uint32_t)len, L7_LINKTYPE_RAW), 0);
	assert_int_equal(l7_conn_track(t, &p, ++now_ns), 0);
	l7_conn_flush(t, now_ns);
	assert_string_equal(r->log, "o1 d1s4 d1c3 o2 d2c1 o3 d3c3 c1flush c2flush c3flush ");
	assert_int_equal(l7_flow_key_sport(&r->c[3].final.key), 8868);
	assert_int_equal(r->c[3].final.flags & L7_CONN_F_GUESSED, L7_CONN_F_GUESSED);
	const struct l7_conn *c1 = &r->c[1].final, *c2 = &r->c[2].final;
	assert_int_equal(l7_flow_key_sport(&c1->key), 40000);
	assert_int_equal(c1->flags & (L7_CONN_F_GUESSED | L7_CONN_F_MIDSTREAM),
			 L7_CONN_F_GUESSED | L7_CONN_F_MIDSTREAM);
	assert_int_equal(l7_flow_key_sport(&c2->key), 40001);
	assert_int_equal(c2->flags & (L7_CONN_F_GUESSED | L7_CONN_F_SYN | L7_CONN_F_SYNACK),
			 L7_CONN_F_SYN | L7_CONN_F_SYNACK);
	l7_conn_tracker_destroy(t);
	recorder_free(r);
}

/* A frame cut by the snaplen: the captured bytes, then a gap for the rest. */
static void snapped_payload_becomes_a_gap(void **state)
{
	(void)state;
	struct recorder *r;
	struct l7_conn_tracker *t = make_tracker(&r, NULL);
	handshake(t, 1000, 5000);
	send_snap(t, 1, 40000, 1001, 5001, A, "0123456789", 4);
	send(t, 1, 1011, 5001, A, "ab");
	l7_conn_flush(t, now_ns);
	assert_string_equal(r->log, "o1 d1c6 g1c4 d1c2 c1flush ");
	l7_conn_tracker_destroy(t);
	recorder_free(r);
}

static void idle_connections_retire_and_full_table_evicts(void **state)
{
	(void)state;
	struct l7_conn_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_conns = 2;
	cfg.idle_timeout_ns = 1000000000ull;
	struct recorder *r;
	struct l7_conn_tracker *t = make_tracker(&r, &cfg);
	now_ns = 0;
	send_snap(t, 1, 40001, 1, 0, S, NULL, 0);
	send_snap(t, 1, 40002, 1, 0, S, NULL, 0);
	send_snap(t, 1, 40003, 1, 0, S, NULL, 0); /* table full: 40001 goes */
	assert_string_equal(r->log, "o1 o2 c1evicted o3 ");
	now_ns += 2000000000ull;
	send_snap(t, 1, 40004, 1, 0, S, NULL, 0); /* 2 and 3 idle for 2 s */
	assert_string_equal(r->log, "o1 o2 c1evicted o3 c2idle c3idle o4 ");
	const struct l7_conn_counts *k = l7_conn_tracker_counts(t);
	assert_int_equal(k->closed[L7_CONN_END_EVICTED], 1);
	assert_int_equal(k->closed[L7_CONN_END_IDLE], 2);
	assert_int_equal(k->max_active, 2);
	assert_int_equal(k->active, 1);
	l7_conn_tracker_destroy(t);
	recorder_free(r);
}

/* One 2 KiB chunk in the pool: the second hole cannot be buffered. */
static void empty_pool_is_counted_and_gapped(void **state)
{
	(void)state;
	struct l7_conn_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_conns = 4;
	cfg.ooo_pool_bytes = 2048;
	struct recorder *r;
	struct l7_conn_tracker *t = make_tracker(&r, &cfg);
	handshake(t, 1000, 5000);
	send(t, 1, 1003, 5001, A, "cd");
	send(t, 1, 1007, 5001, A, "gh");
	l7_conn_flush(t, now_ns);
	assert_string_equal(r->log, "o1 g1c2 d1c2 g1c2 d1c2 c1flush ");
	assert_int_equal(l7_conn_tracker_counts(t)->ooo_pool_full, 1);
	l7_conn_tracker_destroy(t);
	recorder_free(r);
}

static void non_tcp_is_rejected(void **state)
{
	(void)state;
	struct recorder *r;
	struct l7_conn_tracker *t = make_tracker(&r, NULL);
	struct l7_pkt p;
	memset(&p, 0, sizeof(p));
	p.layers = L7_PKT_L2 | L7_PKT_L3 | L7_PKT_L4;
	p.proto = L7_IPPROTO_UDP;
	assert_int_equal(l7_conn_track(t, &p, 0), L7_ENOTTCP);
	assert_int_equal(l7_conn_tracker_counts(t)->not_tcp, 1);
	assert_string_equal(r->log, "");
	struct l7_conn_config bad;
	memset(&bad, 0, sizeof(bad));
	bad.max_conns = 1u << 30;
	struct l7_conn_tracker *t2 = (struct l7_conn_tracker *)&p;
	assert_int_equal(l7_conn_tracker_create(&t2, &bad), L7_EINVAL);
	assert_null(t2);
	l7_conn_tracker_destroy(t);
	recorder_free(r);
}

int main(void)
{
	data_dir = getenv("L7_SHARED_DATA");
	int have_data = data_dir && access(data_dir, R_OK) == 0;
	const struct CMUnitTest shared_tests[] = {
		cmocka_unit_test(ground_truth_one_stream),
		cmocka_unit_test(ground_truth_wraparound),
		cmocka_unit_test(ground_truth_http_fin),
		cmocka_unit_test(ground_truth_three_streams),
		cmocka_unit_test(ground_truth_ipv6),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clean_exchange_closes_with_fin),
		cmocka_unit_test(out_of_order_and_retransmission),
		cmocka_unit_test(overlap_first_copy_wins),
		cmocka_unit_test(without_history_delivered_conflicts_are_not_seen),
		cmocka_unit_test(sequence_wraparound),
		cmocka_unit_test(gap_when_the_buffer_cap_is_hit),
		cmocka_unit_test(rst_flushes_with_a_gap),
		cmocka_unit_test(acked_hole_is_skipped_at_once),
		cmocka_unit_test(tuple_reuse_starts_a_new_connection),
		cmocka_unit_test(retransmitted_syn_is_not_a_new_connection),
		cmocka_unit_test(client_choice_without_syn),
		cmocka_unit_test(snapped_payload_becomes_a_gap),
		cmocka_unit_test(idle_connections_retire_and_full_table_evicts),
		cmocka_unit_test(empty_pool_is_counted_and_gapped),
		cmocka_unit_test(non_tcp_is_rejected),
	};
	int fails = cmocka_run_group_tests(tests, NULL, NULL);
	if (!have_data) {
		printf("test_pcap_conn: ground-truth part skipped, L7_SHARED_DATA not set or unreadable\n");
		return fails ? 1 : 77;
	}
	return fails + cmocka_run_group_tests(shared_tests, NULL, NULL);
}
