/*
 * test_pipeline_miresga.c — Miresga's switch program (prog_miresga.c) on the
 * model: every packet class of miresga-code-notes.md §1.7 goes to the right
 * egress with the right rewrites and correct checksums; the compile step
 * fits it and reports its resource usage. With n_vips = 3 each VIP gets its
 * own SYN-ACK and the offloaded response leaves from the VIP its d_index
 * names; n_vips 0 and 1 build the one-VIP program bit for bit.
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
#include "l7splice/pipeline.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define VIP IP(10, 0, 1, 10)
#define BE0 IP(10, 0, 1, 2)
#define FE IP(10, 0, 1, 252)
#define C_OFF IP(10, 0, 0, 2) /* client with an offloaded connection */
#define C_NEW IP(10, 0, 0, 3) /* client without one */
#define P_OFF 40000
#define P_NEW 50000
#define MAC_CLIENT 0x020000000001ull
#define MAC_SWITCH 0x0c42a14aff02ull
#define PORT_CLIENT_NET 1
#define PORT_CLIENT2 2
#define PORT_BE0 140
#define PORT_FE_BASE 128

struct fix {
	struct l7_pipeline *pl;
	struct l7_pl_miresga ids;
	struct l7_pl_miresga_opts o;
};

/* Independent CRC-8 (poly 0x07) of the client tuple, as the test's oracle. */
static uint8_t crc8_tuple(uint32_t ip, uint16_t port)
{
	uint8_t b[6] = { (uint8_t)(ip >> 24), (uint8_t)(ip >> 16), (uint8_t)(ip >> 8),
			 (uint8_t)ip, (uint8_t)(port >> 8), (uint8_t)port };
	uint8_t c = 0;
	for (int i = 0; i < 6; i++) {
		c ^= b[i];
		for (int k = 0; k < 8; k++)
			c = (uint8_t)((c & 0x80) ? (c << 1) ^ 0x07 : c << 1);
	}
	return c;
}

static uint32_t crc32_tuple(uint32_t ip, uint16_t port)
{
	uint8_t b[6] = { (uint8_t)(ip >> 24), (uint8_t)(ip >> 16), (uint8_t)(ip >> 8),
			 (uint8_t)ip, (uint8_t)(port >> 8), (uint8_t)port };
	uint32_t c = 0xffffffffu;
	for (int i = 0; i < 6; i++) {
		c ^= b[i];
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return ~c;
}

static uint16_t fe_port(uint32_t ip, uint16_t port)
{
	return (uint16_t)(PORT_FE_BASE + (crc8_tuple(ip, port) & 3));
}

static void add(struct l7_pipeline *pl, int t, uint64_t k0, uint64_t k1, uint8_t plen, int a,
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
	assert_int_equal(l7_pipeline_entry_add(pl, t, &e, 0), 0);
}

/* The one-VIP fixture with n_vips set (0 and 1: the one-VIP program). */
static struct fix *build_n(int keyed, uint32_t n_vips)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct l7_pl_config cfg;
	l7_pl_config_default(&cfg);
	assert_int_equal(l7_pipeline_create(&cfg, &f->pl), 0);
	l7_pl_miresga_opts_default(&f->o);
	f->o.isn_keyed = keyed;
	f->o.n_vips = n_vips;
	assert_int_equal(l7_pipeline_prog_miresga(f->pl, &f->o, &f->ids), 0);
	char err[256];
	assert_int_equal(l7_pipeline_compile(f->pl, err, sizeof(err)), 0);
	assert_int_equal(l7_pl_miresga_install_const(f->pl, &f->o, &f->ids), 0);
	struct l7_pipeline *pl = f->pl;
	struct l7_pl_miresga *id = &f->ids;
	add(pl, id->t_dip, BE0, 80, 0, id->a_dip_hit, 0, 0, 0);
	add(pl, id->t_d_port, 0, 0, 0, id->a_set_port, PORT_BE0, MAC_SWITCH, 0x0c0000000b00ull);
	add(pl, id->t_d_ip, 0, 0, 0, id->a_set_dst_ip_port, BE0, 80, 0);
	for (unsigned b = 0; b < 256; b++)
		add(pl, id->t_lb_port, b, 0, 0, id->a_set_port, PORT_FE_BASE + (b & 3), MAC_SWITCH,
		    0x0c42a1d1d0c8ull);
	add(pl, id->t_route, IP(10, 0, 0, 0), 0, 24, id->a_set_port, PORT_CLIENT_NET, 0xaa, 0xbb);
	add(pl, id->t_route, C_OFF, 0, 32, id->a_set_port, PORT_CLIENT2, 0xaa, 0xcc);
	add(pl, id->t_route, FE, 0, 32, id->a_set_port, PORT_FE_BASE, 0xaa, 0xdd);
	add(pl, id->t_oft, C_OFF, P_OFF, 0, id->a_oft_hit, 0, 0, 0);
	return f;
}

static struct fix *build(int keyed)
{
	return build_n(keyed, 0);
}

static void teardown(struct fix *f)
{
	l7_pipeline_destroy(f->pl);
	free(f);
}

static uint32_t frame(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		      uint16_t flags, uint32_t seq, const char *payload, const uint8_t *opts,
		      size_t opts_len)
{
	struct l7_tcp_build b;
	memset(&b, 0, sizeof(b));
	b.linktype = L7_LINKTYPE_ETHERNET;
	for (int i = 0; i < 6; i++) {
		b.eth_src[i] = (uint8_t)(MAC_CLIENT >> (40 - 8 * i));
		b.eth_dst[i] = (uint8_t)(0xababab000001ull >> (40 - 8 * i));
	}
	b.ip_version = 4;
	b.ttl = 64;
	b.src = l7_addr_from_v4(src);
	b.dst = l7_addr_from_v4(dst);
	b.sport = sport;
	b.dport = dport;
	b.seq = seq;
	b.ack = 777;
	b.flags = flags;
	b.window = 29200;
	b.opts = opts;
	b.opts_len = opts_len;
	b.payload = (const uint8_t *)payload;
	b.payload_len = payload ? strlen(payload) : 0;
	size_t len = 0;
	assert_int_equal(l7_pkt_build_tcp(buf, 256, &b, &len), 0);
	return (uint32_t)len;
}

static void run(struct fix *f, uint8_t *buf, uint32_t len, uint16_t port, struct l7_pl_result *r,
		struct l7_pkt *out)
{
	assert_int_equal(l7_pipeline_process(f->pl, buf, len, 256, port, 1000, r), 0);
	assert_int_equal(r->err, 0);
	assert_int_equal(l7_pkt_parse(out, buf, r->frame_len, L7_LINKTYPE_ETHERNET), 0);
	assert_int_equal(l7_pkt_csum_verify(out), 0);
}

static void syn_to_vip_is_answered_by_the_switch(void **state)
{
	(void)state;
	for (int keyed = 0; keyed <= 1; keyed++) {
		struct fix *f = build(keyed);
		uint8_t buf[256];
		/* the usual Linux SYN options (20 bytes) */
		static const uint8_t syn_opts[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1,
						    0, 0, 0, 0, 1, 3, 3, 7 };
		uint32_t len = frame(buf, C_NEW, P_NEW, VIP, 80, L7_TCP_SYN, 1000, NULL, syn_opts,
				     sizeof(syn_opts));
		struct l7_pl_result r;
		struct l7_pkt p;
		run(f, buf, len, 7, &r, &p);
		assert_false(r.dropped);
		assert_int_equal(r.egress_port, 7); /* back out of the ingress port */
		assert_int_equal(l7_addr_v4(&p.src), VIP);
		assert_int_equal(l7_addr_v4(&p.dst), C_NEW);
		assert_int_equal(p.sport, 80);
		assert_int_equal(p.dport, P_NEW);
		assert_int_equal(p.tcp_flags, L7_TCP_SYN | L7_TCP_ACK);
		assert_int_equal(p.tcp_ack, 1001);
		if (!keyed)
			assert_int_equal(p.tcp_seq, crc32_tuple(C_NEW, P_NEW));
		else
			assert_int_not_equal(p.tcp_seq, crc32_tuple(C_NEW, P_NEW));
		assert_int_equal(r.frame_len, 14 + 20 + 32);
		assert_int_equal(p.ip_len, 52);
		struct l7_tcp_opts o;
		size_t ol;
		const uint8_t *op = l7_pkt_tcp_opts(&p, &ol);
		assert_int_equal(ol, 12);
		assert_int_equal(l7_tcp_opts_parse(op, ol, &o), 0);
		assert_int_equal(o.has, L7_TCPO_HAS_MSS | L7_TCPO_HAS_WS | L7_TCPO_HAS_SACK_PERM);
		assert_int_equal(o.mss, 1460);
		assert_int_equal(o.wscale, 7);
		/* MACs: back to the client, from the switch's SYN-ACK MAC */
		assert_memory_equal(buf, "\x02\x00\x00\x00\x00\x01", 6);
		assert_memory_equal(buf + 6, "\xab\xab\xab\xcd\xcd\xcd", 6);
		/* the same SYN again gets the same ISN (stateless) */
		uint32_t isn = p.tcp_seq;
		len = frame(buf, C_NEW, P_NEW, VIP, 80, L7_TCP_SYN, 1000, NULL, syn_opts,
			    sizeof(syn_opts));
		run(f, buf, len, 7, &r, &p);
		assert_int_equal(p.tcp_seq, isn);
		teardown(f);
	}
}

static void client_data_not_offloaded_goes_to_the_crc8_front_end(void **state)
{
	(void)state;
	struct fix *f = build(1);
	uint8_t buf[256];
	struct l7_pl_result r;
	struct l7_pkt p;
	for (uint16_t port = 50000; port < 50040; port++) {
		uint32_t len = frame(buf, C_NEW, port, VIP, 80, L7_TCP_ACK | L7_TCP_PSH, 5,
				     "GET /1KBFile HTTP/1.1\r\n\r\n", NULL, 0);
		run(f, buf, len, 3, &r, &p);
		assert_false(r.dropped);
		assert_int_equal(r.egress_port, fe_port(C_NEW, port));
		assert_int_equal(l7_addr_v4(&p.dst), VIP); /* only MACs change */
		assert_int_equal(r.tables_hit & (1ull << f->ids.t_oft), 0);
		assert_int_not_equal(r.tables_hit & (1ull << f->ids.t_lb_port), 0);
	}
	/* the handshake-completing pure ACK also goes to the front-end */
	uint32_t len = frame(buf, C_NEW, P_NEW, VIP, 80, L7_TCP_ACK, 5, NULL, NULL, 0);
	run(f, buf, len, 3, &r, &p);
	assert_int_equal(r.egress_port, fe_port(C_NEW, P_NEW));
	teardown(f);
}

static void offloaded_client_pure_ack_goes_to_the_back_end(void **state)
{
	(void)state;
	struct fix *f = build(1);
	uint8_t buf[256];
	struct l7_pl_result r;
	struct l7_pkt p;
	uint32_t len = frame(buf, C_OFF, P_OFF, VIP, 80, L7_TCP_ACK, 5, NULL, NULL, 0);
	run(f, buf, len, 3, &r, &p);
	assert_false(r.dropped);
	assert_int_equal(r.egress_port, PORT_BE0);
	assert_int_equal(l7_addr_v4(&p.dst), BE0); /* dst rewritten to the BE */
	assert_int_equal(p.dport, 80);
	assert_int_equal(l7_addr_v4(&p.src), C_OFF);
	assert_int_not_equal(r.tables_hit & (1ull << f->ids.t_oft), 0);
	assert_int_not_equal(r.tables_hit & (1ull << f->ids.t_d_ip), 0);
	assert_int_equal(r.latency_ns, 1000);
	assert_int_equal(r.passes, 1);
	teardown(f);
}

static void offloaded_client_data_still_goes_to_the_front_end(void **state)
{
	(void)state;
	/* l7lb_switch.p4: hit + payload -> lb_flag (every request transits the
	 * front-end, which may re-splice a keep-alive connection) */
	struct fix *f = build(1);
	uint8_t buf[256];
	struct l7_pl_result r;
	struct l7_pkt p;
	uint32_t len = frame(buf, C_OFF, P_OFF, VIP, 80, L7_TCP_ACK | L7_TCP_PSH, 5,
			     "GET /x HTTP/1.1\r\n\r\n", NULL, 0);
	run(f, buf, len, 3, &r, &p);
	assert_int_equal(r.egress_port, fe_port(C_OFF, P_OFF));
	assert_int_not_equal(r.tables_hit & (1ull << f->ids.t_oft), 0);
	/* and so do its FIN and RST */
	len = frame(buf, C_OFF, P_OFF, VIP, 80, L7_TCP_ACK | L7_TCP_FIN, 5, NULL, NULL, 0);
	run(f, buf, len, 3, &r, &p);
	assert_int_equal(r.egress_port, fe_port(C_OFF, P_OFF));
	teardown(f);
}

static void offloaded_back_end_response_goes_to_the_client(void **state)
{
	(void)state;
	struct fix *f = build(1);
	uint8_t buf[256];
	struct l7_pl_result r;
	struct l7_pkt p;
	uint32_t len = frame(buf, BE0, 80, C_OFF, P_OFF, L7_TCP_ACK, 9, "HTTP/1.1 200 OK\r\n", NULL,
			     0);
	run(f, buf, len, PORT_BE0, &r, &p);
	assert_false(r.dropped);
	assert_int_equal(r.egress_port, PORT_CLIENT2); /* the /32 beats the /24 */
	assert_int_equal(l7_addr_v4(&p.src), VIP);     /* source rewritten to VIP:80 */
	assert_int_equal(p.sport, 80);
	assert_int_equal(l7_addr_v4(&p.dst), C_OFF);
	assert_int_equal(p.payload_len, strlen("HTTP/1.1 200 OK\r\n"));
	/* its FIN goes to the front-end instead */
	len = frame(buf, BE0, 80, C_OFF, P_OFF, L7_TCP_ACK | L7_TCP_FIN, 9, NULL, NULL, 0);
	run(f, buf, len, PORT_BE0, &r, &p);
	assert_int_equal(r.egress_port, fe_port(C_OFF, P_OFF));
	assert_int_equal(l7_addr_v4(&p.src), BE0);
	teardown(f);
}

static void back_end_response_not_offloaded_goes_to_the_same_front_end(void **state)
{
	(void)state;
	struct fix *f = build(1);
	uint8_t buf[256];
	struct l7_pl_result r;
	struct l7_pkt p;
	uint32_t len = frame(buf, BE0, 80, C_NEW, P_NEW, L7_TCP_ACK, 9, "data", NULL, 0);
	run(f, buf, len, PORT_BE0, &r, &p);
	assert_int_equal(r.egress_port, fe_port(C_NEW, P_NEW));
	assert_int_equal(l7_addr_v4(&p.src), BE0);
	teardown(f);
}

static void other_traffic_is_routed_dropped_or_sent_to_cpu(void **state)
{
	(void)state;
	struct fix *f = build(1);
	uint8_t buf[256];
	struct l7_pl_result r;
	struct l7_pkt p;
	/* FE -> client (relayed response): LPM /24 */
	uint32_t len = frame(buf, FE, 80, IP(10, 0, 0, 9), 1234, L7_TCP_ACK, 1, "x", NULL, 0);
	run(f, buf, len, PORT_FE_BASE, &r, &p);
	assert_int_equal(r.egress_port, PORT_CLIENT_NET);
	assert_memory_equal(buf, "\x00\x00\x00\x00\x00\xbb", 6); /* dst MAC from the route */
	/* no route: dropped */
	len = frame(buf, FE, 80, IP(192, 168, 1, 1), 1234, L7_TCP_ACK, 1, "x", NULL, 0);
	run(f, buf, len, PORT_FE_BASE, &r, &p);
	assert_true(r.dropped);
	/* the control endpoint 10.0.1.254:12345 goes to the CPU port */
	len = frame(buf, FE, 9999, IP(10, 0, 1, 254), 12345, L7_TCP_ACK, 1, "ctl", NULL, 0);
	run(f, buf, len, PORT_FE_BASE, &r, &p);
	assert_true(r.to_cpu);
	assert_false(r.cpu_lost);
	assert_int_equal(r.egress_port, L7_PL_PORT_CPU);
	assert_true(r.cpu_arrive_ns > 1000);
	/* non-TCP (UDP) is dropped by this program */
	uint8_t udp[64];
	memset(udp, 0, sizeof(udp));
	memcpy(udp + 12, "\x08\x00\x45\x00\x00\x1c\x00\x00\x00\x00\x40\x11\x00\x00"
			 "\x0a\x00\x00\x03\x0a\x00\x01\x0a\x04\xd2\x00\x50\x00\x08\x00\x00", 30);
	assert_int_equal(l7_pipeline_process(f->pl, udp, 42, 64, 3, 0, &r), 0);
	assert_true(r.dropped);
	assert_int_equal(r.tables_applied, 0);
	/* a truncated frame is not a crash: dropped too */
	assert_int_equal(l7_pipeline_process(f->pl, udp, 20, 64, 3, 0, &r), 0);
	assert_true(r.dropped);
	teardown(f);
}

static void compile_reports_usage_in_table_ii_form(void **state)
{
	(void)state;
	struct fix *f = build(1);
	char buf[2048];
	int n = l7_pipeline_usage(f->pl, buf, sizeof(buf));
	assert_true(n > 0 && n < (int)sizeof(buf));
	assert_non_null(strstr(buf, "SRAM"));
	assert_non_null(strstr(buf, "TCAM"));
	assert_non_null(strstr(buf, "Hash Bits"));
	/* SRAM: offload table 143,360 x (48 key + 8 data + 4) bits, two per
	 * 128-bit word = 71,680 words = 70 blocks; six small exact tables 1
	 * block each; the LPM's action data 1 block: 77 of 12 x 80 */
	assert_true(l7_pipeline_usage_pct(f->pl, "SRAM") > 100.0 * 77 / 960 - 1e-9);
	assert_true(l7_pipeline_usage_pct(f->pl, "SRAM") < 100.0 * 77 / 960 + 1e-9);
	/* TCAM: the 1024-entry /32 LPM = 2 blocks of 512 x 44 */
	assert_true(l7_pipeline_usage_pct(f->pl, "TCAM") > 100.0 * 2 / 288 - 1e-9);
	assert_true(l7_pipeline_usage_pct(f->pl, "TCAM") < 100.0 * 2 / 288 + 1e-9);
	unsigned a, b, c, d;
	assert_int_equal(l7_pipeline_table_stages(f->pl, f->ids.t_dip, &a, &b), 0);
	assert_int_equal(l7_pipeline_table_stages(f->pl, f->ids.t_oft, &c, &d), 0);
	assert_true(c > b); /* the offload key is written by the DIP lookup */
	char lay[2048];
	assert_true(l7_pipeline_layout(f->pl, lay, sizeof(lay)) > 0);
	assert_non_null(strstr(lay, "offload_connection_table"));
	if (getenv("L7_PIPELINE_VERBOSE"))
		printf("%s\n%s", buf, lay);
	teardown(f);
}

static void full_offload_table_rejects_through_the_channel(void **state)
{
	(void)state;
	struct fix *f = build(1);
	struct l7_pipeline *pl = f->pl;
	for (uint32_t i = 1; i < f->o.offload_size; i++)
		add(pl, f->ids.t_oft, IP(10, 1, 0, 0) + i, 1000, 0, f->ids.a_oft_hit, 1, 0, 0);
	assert_int_equal(l7_pipeline_table_count(pl, f->ids.t_oft), 143360);
	struct l7_pl_req q;
	memset(&q, 0, sizeof(q));
	q.op = L7_PL_REQ_ADD;
	q.table = f->ids.t_oft;
	q.entry.value[0] = IP(11, 0, 0, 1);
	q.entry.value[1] = 1;
	q.entry.action = f->ids.a_oft_hit;
	int st;
	l7_time_ns vis;
	assert_int_equal(l7_pipeline_submit(pl, &q, 1, 0, &st, &vis), 0);
	assert_int_equal(st, L7_EFULL);
	teardown(f);
}

static void burst_equals_one_by_one(void **state)
{
	(void)state;
	struct fix *a = build(1), *b = build(1);
	enum { N = 75 };
	static uint8_t fa[N][256], fb[N][256];
	uint32_t len[N], cap[N];
	uint16_t port[N];
	uint8_t *ptr[N];
	struct l7_pl_result ra[N], rb[N];
	static const uint8_t syn_opts[] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2 };
	for (int i = 0; i < N; i++) {
		uint16_t p = (uint16_t)(P_OFF + (i % 7 == 0 ? 0 : i));
		switch (i % 6) {
		case 0: len[i] = frame(fa[i], BE0, 80, C_OFF, p, L7_TCP_ACK, 9, "resp", NULL, 0); break;
		case 1: len[i] = frame(fa[i], C_OFF, p, VIP, 80, L7_TCP_ACK, 5, NULL, NULL, 0); break;
		case 2: len[i] = frame(fa[i], C_NEW, p, VIP, 80, L7_TCP_SYN, 5, NULL, syn_opts,
				       sizeof(syn_opts)); break;
		case 3: len[i] = frame(fa[i], FE, 9, IP(10, 0, 1, 254), 12345, L7_TCP_ACK, 1, "c",
				       NULL, 0); break;
		case 4: len[i] = frame(fa[i], C_NEW, p, VIP, 80, L7_TCP_ACK, 5, "GET /", NULL, 0); break;
		default: len[i] = frame(fa[i], FE, 80, IP(192, 168, 0, 1), p, L7_TCP_ACK, 1, NULL,
					NULL, 0); break;
		}
		memcpy(fb[i], fa[i], sizeof(fa[i]));
		cap[i] = 256;
		port[i] = (uint16_t)(i % 5);
		ptr[i] = fb[i];
		assert_int_equal(l7_pipeline_process(a->pl, fa[i], len[i], 256, port[i], 500, &ra[i]), 0);
	}
	assert_int_equal(l7_pipeline_process_burst(b->pl, ptr, len, cap, port, N, 500, rb), 0);
	for (int i = 0; i < N; i++) {
		assert_memory_equal(&ra[i], &rb[i], sizeof(ra[i]));
		assert_memory_equal(fa[i], fb[i], ra[i].frame_len);
	}
	struct l7_pl_stats sa, sb;
	l7_pipeline_stats(a->pl, &sa);
	l7_pipeline_stats(b->pl, &sb);
	assert_memory_equal(&sa, &sb, sizeof(sa));
	teardown(a);
	teardown(b);
}

/* ------------------------------------------------------- several VIPs */

#define VIP2 IP(10, 0, 1, 11)
#define VIP3 IP(10, 0, 1, 12)
#define VPORT3 8080
#define C_OFF2 IP(10, 0, 0, 4) /* offloaded on d_index 1 = (BE0, VIP3) */
#define C_OFF3 IP(10, 0, 0, 5) /* offloaded on d_index 2 = (BE0, VIP2) */

/* The one-VIP fixture built with n_vips = 3: VIP (10.0.1.10:80, added by
 * install_const), VIP2 (10.0.1.11:80) and VIP3 (10.0.1.12:8080); d_index 0
 * = (BE0, VIP), 1 = (BE0, VIP3), 2 = (BE0, VIP2). */
static struct fix *build3(void)
{
	struct fix *f = build_n(1, 3);
	struct l7_pipeline *pl = f->pl;
	struct l7_pl_miresga *id = &f->ids;
	assert_true(id->t_d_vip >= 0);
	add(pl, id->t_vip, VIP2, 80, 0, id->a_vip_hit, 0, 0, 0);
	add(pl, id->t_vip, VIP3, VPORT3, 0, id->a_vip_hit, 0, 0, 0);
	add(pl, id->t_d_vip, 0, 0, 0, id->a_set_src_ip_port, VIP, 80, 0);
	add(pl, id->t_d_vip, 1, 0, 0, id->a_set_src_ip_port, VIP3, VPORT3, 0);
	add(pl, id->t_d_vip, 2, 0, 0, id->a_set_src_ip_port, VIP2, 80, 0);
	for (unsigned d = 1; d <= 2; d++) {
		add(pl, id->t_d_port, d, 0, 0, id->a_set_port, PORT_BE0, MAC_SWITCH,
		    0x0c0000000b00ull);
		add(pl, id->t_d_ip, d, 0, 0, id->a_set_dst_ip_port, BE0, 80, 0);
	}
	add(pl, id->t_oft, C_OFF2, P_OFF, 0, id->a_oft_hit, 1, 0, 0);
	add(pl, id->t_oft, C_OFF3, P_OFF, 0, id->a_oft_hit, 2, 0, 0);
	return f;
}

static void three_vips_syn_to_each_vip_is_answered_by_the_switch(void **state)
{
	(void)state;
	struct fix *f = build3();
	static const uint32_t vip[3] = { VIP, VIP2, VIP3 };
	static const uint16_t vport[3] = { 80, 80, VPORT3 };
	static const uint8_t syn_opts[] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2 };
	uint8_t buf[256];
	struct l7_pl_result r;
	struct l7_pkt p;
	for (int v = 0; v < 3; v++) {
		uint32_t len = frame(buf, C_NEW, P_NEW, vip[v], vport[v], L7_TCP_SYN, 1000, NULL,
				     syn_opts, sizeof(syn_opts));
		run(f, buf, len, 7, &r, &p);
		assert_false(r.dropped);
		assert_false(r.to_cpu);
		assert_int_equal(r.egress_port, 7); /* back out of the ingress port */
		assert_int_equal(l7_addr_v4(&p.src), vip[v]);
		assert_int_equal(p.sport, vport[v]);
		assert_int_equal(l7_addr_v4(&p.dst), C_NEW);
		assert_int_equal(p.dport, P_NEW);
		assert_int_equal(p.tcp_flags, L7_TCP_SYN | L7_TCP_ACK);
		assert_int_equal(p.tcp_ack, 1001);
		assert_int_equal(p.ip_len, 52); /* 12 bytes of SYN-ACK options */
		assert_memory_equal(buf + 6, "\xab\xab\xab\xcd\xcd\xcd", 6);
	}
	teardown(f);
}

static void three_vips_client_data_to_vip2_goes_to_the_crc8_front_end(void **state)
{
	(void)state;
	struct fix *f = build3();
	uint8_t buf[256];
	struct l7_pl_result r, r1;
	struct l7_pkt p;
	for (uint16_t port = 50000; port < 50040; port++) {
		uint32_t len = frame(buf, C_NEW, port, VIP, 80, L7_TCP_ACK | L7_TCP_PSH, 5,
				     "GET / HTTP/1.1\r\n\r\n", NULL, 0);
		run(f, buf, len, 3, &r1, &p);
		len = frame(buf, C_NEW, port, VIP2, 80, L7_TCP_ACK | L7_TCP_PSH, 5,
			    "GET / HTTP/1.1\r\n\r\n", NULL, 0);
		run(f, buf, len, 3, &r, &p);
		assert_false(r.dropped);
		assert_int_equal(r.egress_port, fe_port(C_NEW, port));
		assert_int_equal(r.egress_port, r1.egress_port);
		assert_int_equal(l7_addr_v4(&p.dst), VIP2); /* only MACs change */
		assert_int_equal(p.dport, 80);
		assert_int_equal(l7_addr_v4(&p.src), C_NEW);
		assert_int_not_equal(r.tables_hit & (1ull << f->ids.t_vip), 0);
		assert_int_not_equal(r.tables_hit & (1ull << f->ids.t_lb_port), 0);
	}
	teardown(f);
}

static void three_vips_offloaded_response_leaves_from_its_own_vip(void **state)
{
	(void)state;
	struct fix *f = build3();
	uint8_t buf[256];
	struct l7_pl_result r;
	struct l7_pkt p;
	static const struct {
		uint32_t client, vip;
		uint16_t vport, egress;
	} c[] = {
		{ C_OFF, VIP, 80, PORT_CLIENT2 },       /* d_index 0 */
		{ C_OFF2, VIP3, VPORT3, PORT_CLIENT_NET }, /* d_index 1 */
		{ C_OFF3, VIP2, 80, PORT_CLIENT_NET },  /* d_index 2 */
	};
	const char *resp = "HTTP/1.1 200 OK\r\n";
	for (int i = 0; i < 3; i++) {
		uint32_t len = frame(buf, BE0, 80, c[i].client, P_OFF, L7_TCP_ACK, 9, resp, NULL, 0);
		run(f, buf, len, PORT_BE0, &r, &p); /* checks the checksums */
		assert_false(r.dropped);
		assert_int_equal(r.egress_port, c[i].egress);
		assert_int_equal(l7_addr_v4(&p.src), c[i].vip);
		assert_int_equal(p.sport, c[i].vport);
		assert_int_equal(l7_addr_v4(&p.dst), c[i].client);
		assert_int_equal(p.dport, P_OFF);
		assert_int_equal(p.payload_len, strlen(resp));
		assert_memory_equal(l7_pkt_payload(&p), resp, strlen(resp));
		assert_int_not_equal(r.tables_hit & (1ull << f->ids.t_d_vip), 0);
	}
	/* and the client's pure ACK to VIP3 goes straight to the back-end */
	uint32_t len = frame(buf, C_OFF2, P_OFF, VIP3, VPORT3, L7_TCP_ACK, 5, NULL, NULL, 0);
	run(f, buf, len, 3, &r, &p);
	assert_int_equal(r.egress_port, PORT_BE0);
	assert_int_equal(l7_addr_v4(&p.dst), BE0);
	assert_int_equal(p.dport, 80);
	teardown(f);
}

/* Process one copy of a frame on each fixture; the two must agree. */
static void same_class(struct fix *a, struct fix *b, const uint8_t *in, uint32_t len,
		       uint16_t port, struct l7_pl_result *ra)
{
	uint8_t fa[256], fb[256];
	struct l7_pl_result rb;
	memcpy(fa, in, len);
	memcpy(fb, in, len);
	assert_int_equal(l7_pipeline_process(a->pl, fa, len, 256, port, 1000, ra), 0);
	assert_int_equal(l7_pipeline_process(b->pl, fb, len, 256, port, 1000, &rb), 0);
	assert_int_equal(ra->dropped, rb.dropped);
	assert_int_equal(ra->to_cpu, rb.to_cpu);
	assert_int_equal(ra->egress_port, rb.egress_port);
	assert_int_equal(ra->frame_len, rb.frame_len);
	if (!ra->dropped)
		assert_memory_equal(fa, fb, ra->frame_len);
}

static void three_vips_other_addresses_are_not_vip_traffic(void **state)
{
	(void)state;
	struct fix *one = build(1), *three = build3();
	uint8_t buf[256];
	struct l7_pl_result r;
	static const uint8_t syn_opts[] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2 };
	/* a SYN to a routed non-VIP address (the front-end) is routed, not
	 * answered */
	uint32_t len = frame(buf, C_NEW, P_NEW, FE, 80, L7_TCP_SYN, 1000, NULL, syn_opts,
			     sizeof(syn_opts));
	same_class(one, three, buf, len, 7, &r);
	assert_false(r.dropped);
	assert_int_equal(r.egress_port, PORT_FE_BASE);
	/* a VIP address on a port that is not its VIP port: no route, dropped */
	len = frame(buf, C_NEW, P_NEW, VIP2, 81, L7_TCP_SYN, 1000, NULL, syn_opts,
		    sizeof(syn_opts));
	same_class(one, three, buf, len, 7, &r);
	assert_true(r.dropped);
	len = frame(buf, C_NEW, P_NEW, VIP3, 80, L7_TCP_ACK, 5, "GET /", NULL, 0);
	same_class(one, three, buf, len, 3, &r);
	assert_true(r.dropped);
	/* and a back-end response whose client is not offloaded still goes to
	 * the front-end unchanged */
	len = frame(buf, BE0, 80, C_NEW, P_NEW, L7_TCP_ACK, 9, "data", NULL, 0);
	same_class(one, three, buf, len, PORT_BE0, &r);
	assert_int_equal(r.egress_port, fe_port(C_NEW, P_NEW));
	teardown(one);
	teardown(three);
}

/* The burst mix of every one-VIP packet class, as frame i. */
static uint32_t class_frame(int i, uint8_t *buf)
{
	static const uint8_t syn_opts[] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2 };
	uint16_t p = (uint16_t)(P_OFF + (i % 7 == 0 ? 0 : i));
	switch (i % 8) {
	case 0: return frame(buf, BE0, 80, C_OFF, p, L7_TCP_ACK, 9, "resp", NULL, 0);
	case 1: return frame(buf, C_OFF, p, VIP, 80, L7_TCP_ACK, 5, NULL, NULL, 0);
	case 2: return frame(buf, C_NEW, p, VIP, 80, L7_TCP_SYN, 5, NULL, syn_opts,
			     sizeof(syn_opts));
	case 3: return frame(buf, FE, 9, IP(10, 0, 1, 254), 12345, L7_TCP_ACK, 1, "c", NULL, 0);
	case 4: return frame(buf, C_NEW, p, VIP, 80, L7_TCP_ACK, 5, "GET /", NULL, 0);
	case 5: return frame(buf, C_OFF, p, VIP, 80, L7_TCP_ACK | L7_TCP_FIN, 5, NULL, NULL, 0);
	case 6: return frame(buf, BE0, 80, C_OFF, p, L7_TCP_ACK | L7_TCP_RST, 9, NULL, NULL, 0);
	default: return frame(buf, FE, 80, IP(192, 168, 0, 1), p, L7_TCP_ACK, 1, NULL, NULL, 0);
	}
}

static void n_vips_0_and_1_build_the_one_vip_program(void **state)
{
	(void)state;
	struct fix *a = build_n(1, 0), *b = build_n(1, 1), *c = build3();
	assert_memory_equal(&a->ids, &b->ids, sizeof(a->ids));
	assert_int_equal(a->ids.t_d_vip, -1);
	char la[4096], lb[4096];
	assert_true(l7_pipeline_layout(a->pl, la, sizeof(la)) > 0);
	assert_true(l7_pipeline_layout(b->pl, lb, sizeof(lb)) > 0);
	assert_string_equal(la, lb);
	assert_null(strstr(la, "d_index_to_vip_table"));
	assert_true(l7_pipeline_usage(a->pl, la, sizeof(la)) > 0);
	assert_true(l7_pipeline_usage(b->pl, lb, sizeof(lb)) > 0);
	assert_string_equal(la, lb);
	assert_true(l7_pipeline_layout(c->pl, la, sizeof(la)) > 0);
	assert_non_null(strstr(la, "d_index_to_vip_table"));
	/* every one-VIP class: identical results and frames for n_vips 0 and
	 * 1, and identical egress and frames with three VIPs */
	for (int i = 0; i < 96; i++) {
		uint8_t fa[256], fb[256], fc[256];
		uint32_t len = class_frame(i, fa);
		memcpy(fb, fa, len);
		memcpy(fc, fa, len);
		struct l7_pl_result ra, rb, rc;
		uint16_t port = (uint16_t)(i % 5);
		assert_int_equal(l7_pipeline_process(a->pl, fa, len, 256, port, 500, &ra), 0);
		assert_int_equal(l7_pipeline_process(b->pl, fb, len, 256, port, 500, &rb), 0);
		assert_int_equal(l7_pipeline_process(c->pl, fc, len, 256, port, 500, &rc), 0);
		assert_memory_equal(&ra, &rb, sizeof(ra));
		assert_memory_equal(fa, fb, ra.frame_len);
		assert_int_equal(ra.dropped, rc.dropped);
		assert_int_equal(ra.to_cpu, rc.to_cpu);
		assert_int_equal(ra.egress_port, rc.egress_port);
		assert_int_equal(ra.frame_len, rc.frame_len);
		assert_memory_equal(fa, fc, ra.frame_len);
	}
	struct l7_pl_stats sa, sb;
	l7_pipeline_stats(a->pl, &sa);
	l7_pipeline_stats(b->pl, &sb);
	assert_memory_equal(&sa, &sb, sizeof(sa));
	teardown(a);
	teardown(b);
	teardown(c);
}

static void n_vips_bounds(void **state)
{
	(void)state;
	struct l7_pl_config cfg;
	l7_pl_config_default(&cfg);
	struct l7_pl_miresga_opts o;
	struct l7_pl_miresga ids;
	struct l7_pipeline *pl;
	char err[256];
	/* 256 is refused (at most 255 VIPs: L7_EINVAL) */
	assert_int_equal(l7_pipeline_create(&cfg, &pl), 0);
	l7_pl_miresga_opts_default(&o);
	o.n_vips = 256;
	assert_int_equal(l7_pipeline_prog_miresga(pl, &o, &ids), L7_EINVAL);
	l7_pipeline_destroy(pl);
	/* 255 builds, and vip_lookup_table holds exactly 255 VIPs + the
	 * control endpoint */
	assert_int_equal(l7_pipeline_create(&cfg, &pl), 0);
	o.n_vips = 255;
	assert_int_equal(l7_pipeline_prog_miresga(pl, &o, &ids), 0);
	assert_int_equal(l7_pipeline_compile(pl, err, sizeof(err)), 0);
	assert_int_equal(l7_pl_miresga_install_const(pl, &o, &ids), 0);
	struct l7_pl_entry e;
	memset(&e, 0, sizeof(e));
	e.action = ids.a_vip_hit;
	e.value[1] = 80;
	for (uint32_t v = 1; v < 255; v++) {
		e.value[0] = IP(10, 2, 0, 0) + v;
		assert_int_equal(l7_pipeline_entry_add(pl, ids.t_vip, &e, 0), 0);
	}
	assert_int_equal(l7_pipeline_table_count(pl, ids.t_vip), 256);
	e.value[0] = IP(10, 3, 0, 0);
	assert_true(l7_pipeline_entry_add(pl, ids.t_vip, &e, 0) < 0);
	l7_pipeline_destroy(pl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syn_to_vip_is_answered_by_the_switch),
		cmocka_unit_test(client_data_not_offloaded_goes_to_the_crc8_front_end),
		cmocka_unit_test(offloaded_client_pure_ack_goes_to_the_back_end),
		cmocka_unit_test(offloaded_client_data_still_goes_to_the_front_end),
		cmocka_unit_test(offloaded_back_end_response_goes_to_the_client),
		cmocka_unit_test(back_end_response_not_offloaded_goes_to_the_same_front_end),
		cmocka_unit_test(other_traffic_is_routed_dropped_or_sent_to_cpu),
		cmocka_unit_test(compile_reports_usage_in_table_ii_form),
		cmocka_unit_test(full_offload_table_rejects_through_the_channel),
		cmocka_unit_test(burst_equals_one_by_one),
		cmocka_unit_test(three_vips_syn_to_each_vip_is_answered_by_the_switch),
		cmocka_unit_test(three_vips_client_data_to_vip2_goes_to_the_crc8_front_end),
		cmocka_unit_test(three_vips_offloaded_response_leaves_from_its_own_vip),
		cmocka_unit_test(three_vips_other_addresses_are_not_vip_traffic),
		cmocka_unit_test(n_vips_0_and_1_build_the_one_vip_program),
		cmocka_unit_test(n_vips_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
