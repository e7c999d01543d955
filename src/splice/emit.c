/*
 * emit.c — how the engine hands packets to its caller: frames it built
 * itself (SYN, SYN-ACK, ACK, RST, buffered request bytes, inserted bytes,
 * split retransmissions) go out of one scratch buffer as raw IP; translated
 * caller frames go out as they are.
 *
 * Invariant: the scratch buffer is reused for every built frame, so an
 * emitted frame is valid only during the emit callback (splice.h says so).
 */
#include "splice_int.h"

int splice_emit_built(struct l7_splice *s, uint32_t conn_id, enum l7_splice_side side,
		      const struct seg *g)
{
	struct l7_tcp_build b = { 0 };
	b.linktype = L7_LINKTYPE_RAW;
	b.ip_version = l7_addr_is_v4(g->src) ? 4 : 6;
	b.ttl = 64;
	b.df = 1;
	b.src = *g->src;
	b.dst = *g->dst;
	b.sport = g->sport;
	b.dport = g->dport;
	b.seq = g->seq;
	b.ack = g->ack;
	b.flags = g->flags;
	b.window = g->win;
	b.opts = g->opts;
	b.opts_len = g->opts_len;
	b.payload = g->data;
	b.payload_len = g->len;
	size_t n = 0;
	int rc = l7_pkt_build_tcp(s->scratch, s->scratch_cap, &b, &n);
	if (rc < 0)
		return rc;
	struct l7_splice_out o = { side, conn_id, s->scratch, n, L7_LINKTYPE_RAW, 0, 1 };
	s->st.emitted++;
	s->cfg.emit(s->cfg.user, &o);
	return 0;
}

void splice_emit_frame(struct l7_splice *s, uint32_t conn_id, enum l7_splice_side side,
		       const struct l7_pkt *p)
{
	struct l7_splice_out o = { side, conn_id, p->data, p->caplen, p->linktype,
				   p->l3_off, 0 };
	s->st.emitted++;
	s->cfg.emit(s->cfg.user, &o);
}

size_t splice_ts_opts(uint8_t *o, uint32_t val, uint32_t ecr)
{
	o[0] = L7_TCPOPT_NOP;
	o[1] = L7_TCPOPT_NOP;
	o[2] = L7_TCPOPT_TS;
	o[3] = 10;
	l7_put_be32(o + 4, val);
	l7_put_be32(o + 8, ecr);
	return 12;
}

uint32_t splice_ts_now(const struct l7_splice *s, l7_time_ns now)
{
	return (uint32_t)(now / s->cfg.ts_tick_ns);
}
