/*
 * fuzz_pipeline.c — libFuzzer harness for the switch model's packet path:
 * Miresga's program (the parser stage, tables, SYN-ACK synthesis with an
 * options rewrite, address rewrites with incremental checksums) on any
 * bytes. Byte 0 picks the ingress port; the rest is an Ethernet frame.
 *
 * Invariants checked (a violation traps): no out-of-bounds access (ASan);
 * the output frame fits the buffer; a burst of one gives the same result
 * and bytes as one call; a frame whose checksums were right before still
 * has them right after the pipeline rewrote it.
 * Build and run: see docs/pipeline.md ("Fuzzing").
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l7splice/packet.h"
#include "l7splice/pipeline.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static struct l7_pipeline *pa, *pb;

static void entry(struct l7_pipeline *pl, int t, uint64_t k0, uint64_t k1, uint8_t plen, int a,
		  uint64_t p0, uint64_t p1)
{
	struct l7_pl_entry e;
	memset(&e, 0, sizeof(e));
	e.value[0] = k0;
	e.value[1] = k1;
	e.prefix_len = plen;
	e.action = a;
	e.params[0] = p0;
	e.params[1] = p1;
	CHECK(l7_pipeline_entry_add(pl, t, &e, 0) == 0);
}

static struct l7_pipeline *build(void)
{
	struct l7_pl_config c;
	l7_pl_config_default(&c);
	struct l7_pipeline *pl;
	CHECK(l7_pipeline_create(&c, &pl) == 0);
	struct l7_pl_miresga_opts o;
	l7_pl_miresga_opts_default(&o);
	struct l7_pl_miresga id;
	CHECK(l7_pipeline_prog_miresga(pl, &o, &id) == 0);
	CHECK(l7_pipeline_compile(pl, NULL, 0) == 0);
	CHECK(l7_pl_miresga_install_const(pl, &o, &id) == 0);
	entry(pl, id.t_dip, 0x0a000102, 80, 0, id.a_dip_hit, 0, 0);
	entry(pl, id.t_d_port, 0, 0, 0, id.a_set_port, 140, 1);
	entry(pl, id.t_d_ip, 0, 0, 0, id.a_set_dst_ip_port, 0x0a000102, 80);
	for (unsigned b = 0; b < 256; b++)
		entry(pl, id.t_lb_port, b, 0, 0, id.a_set_port, 128 + (b & 3), 2);
	entry(pl, id.t_route, 0x0a000000, 0, 8, id.a_set_port, 1, 3);
	entry(pl, id.t_oft, 0x0a000002, 40000, 0, id.a_oft_hit, 0, 0);
	return pl;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!pa) {
		pa = build();
		pb = build();
	}
	if (size < 1 || size > 2000)
		return 0;
	uint16_t port = data[0];
	uint32_t len = (uint32_t)size - 1, cap = len + 64;
	uint8_t *a = malloc(cap), *b = malloc(cap);
	memcpy(a, data + 1, len);
	memcpy(b, data + 1, len);
	struct l7_pkt p;
	int good_before = l7_pkt_parse(&p, a, len, L7_LINKTYPE_ETHERNET) == 0 && p.ip_version == 4 &&
			  !(p.flags & (L7_PKT_F_SNAPPED | L7_PKT_F_TSO | L7_PKT_F_PADDED)) &&
			  l7_pkt_csum_verify(&p) == 0;
	struct l7_pl_result ra, rb;
	CHECK(l7_pipeline_process(pa, a, len, cap, port, 0, &ra) == 0);
	uint8_t *frames[1] = { b };
	uint32_t lens[1] = { len }, caps[1] = { cap };
	uint16_t ports[1] = { port };
	CHECK(l7_pipeline_process_burst(pb, frames, lens, caps, ports, 1, 0, &rb) == 0);
	CHECK(memcmp(&ra, &rb, sizeof(ra)) == 0);
	CHECK(ra.frame_len <= cap);
	CHECK(memcmp(a, b, ra.frame_len) == 0);
	if (good_before && ra.err == 0 &&
	    l7_pkt_parse(&p, a, ra.frame_len, L7_LINKTYPE_ETHERNET) == 0)
		CHECK((l7_pkt_csum_verify(&p) & (L7_CSUM_IP_BAD | L7_CSUM_L4_BAD)) == 0);
	free(a);
	free(b);
	return 0;
}
