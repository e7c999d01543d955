/*
 * tcpep.h — a minimal, documented TCP endpoint model for the simulated
 * clients and servers (NOT for load balancers: those run the library's
 * splice engine). It exists so that offered load, windows, queueing and
 * loss have the consequences a real TCP gives them, and so that every
 * segment on a simulated wire is a real frame that Wireshark's TCP analysis
 * accepts. docs/models.md lists what is modelled and what is simplified.
 *
 * Modelled: three-way handshake with MSS / window scale / SACK-permitted /
 * timestamps as configured (each used only if both sides offer it); MSS
 * segmentation of a send stream whose bytes come from a fill() callback
 * (the endpoint never copies the stream: it re-reads bytes to retransmit);
 * cumulative ACKs, optionally delayed (every `ack_every` segments or after
 * delack_ns; immediate on out-of-order data and when a hole fills); the
 * peer's window with scaling; RTO per RFC 6298 (Karn's algorithm, one timed
 * segment per window, exponential backoff, min/max clamps); fast retransmit
 * on the third duplicate ACK (or on the reordering degree seen so far, as
 * Linux's tp->reordering) and NewReno fast recovery (RFC 6582) which,
 * with sack_recovery and SACK negotiated, retransmits the holes the peer's
 * SACK blocks reveal (one segment per incoming ACK, in the spirit of
 * RFC 6675); Reno
 * slow start / congestion avoidance (RFC 5681, byte counting capped at
 * 2 SMSS per ACK); out-of-order segments kept (zero copy: the packet buffer
 * itself is held) and reported in SACK blocks (RFC 2018); duplicate
 * segments reported in a D-SACK block (RFC 2883); the duplicate-ACK
 * threshold raised by the reordering D-SACKs reveal; optionally (cfg
 * undo) a fast recovery whose every retransmission the peer D-SACKs is
 * undone (cwnd and ssthresh restored, RFC 3708 / Linux's DSACK undo; off
 * by default because without RACK-TLP a restored window's losses cost
 * RTOs, docs/models.md "Reordering"); FIN and RST both ways,
 * half-close, TIME_WAIT.
 *
 * Simplified (docs/models.md): the receive buffer is drained as soon as
 * bytes arrive in order, so the advertised window is a constant
 * rcv_buf_bytes (no zero-window, no persist timer); the SACK scoreboard
 * keeps the lowest 3 ranges, no RFC 6675 pipe estimate (one hole per ACK)
 * and no new data is sent during fast recovery; no PAWS, no Nagle (TCP_NODELAY behaviour),
 * no ECN, no urgent data; the RTO timer is the simulation's timing wheel
 * (fires within one wheel tick after the deadline).
 *
 * Sequence numbers are compared only with l7_seq_before()/after()/between()
 * (tcp.h). Internally the send side keeps 64-bit stream offsets (SYN and
 * FIN excluded), which never wrap, and derives sequence numbers from them.
 *
 * Memory: sizeof(struct l7sim_tcpep) (336 bytes on x86-64, see
 * l7sim_tcpep_size()) per connection; payload is held only for out-of-order
 * segments (their packet buffers) — nothing for the send side.
 */
#ifndef L7SIM_NET_TCPEP_H
#define L7SIM_NET_TCPEP_H

#include <stdint.h>

#include "l7splice/common.h"
#include "l7splice/packet.h"
#include "engine/engine.h"
#include "engine/rng.h"
#include "net/node.h"
#include "net/pktbuf.h"

#define L7SIM_TCP_NO_WS 0xff

enum l7sim_tcp_state {
	L7SIM_TCP_CLOSED = 0,
	L7SIM_TCP_SYN_SENT,
	L7SIM_TCP_SYN_RCVD,
	L7SIM_TCP_ESTABLISHED,
	L7SIM_TCP_FIN_WAIT_1,
	L7SIM_TCP_FIN_WAIT_2,
	L7SIM_TCP_CLOSING,
	L7SIM_TCP_TIME_WAIT,
	L7SIM_TCP_CLOSE_WAIT,
	L7SIM_TCP_LAST_ACK,
};

/* What on_event reports. After CLOSED the owner may free the endpoint (it
 * is the last callback; the endpoint holds no packets and no timer then). */
enum l7sim_tcp_event {
	L7SIM_TCP_EV_ESTABLISHED = 0,
	L7SIM_TCP_EV_PEER_FIN,     /* peer's FIN: every byte it sent was delivered */
	L7SIM_TCP_EV_RESET,        /* RST received */
	L7SIM_TCP_EV_ABORTED,      /* gave up after max_retries RTOs (sent RST) */
	L7SIM_TCP_EV_CLOSED,
};

/* Parameters shared by many endpoints; zero fields take the defaults in
 * brackets through l7sim_tcp_cfg_defaults(). */
struct l7sim_tcp_cfg {
	uint16_t mss;              /* MSS announced, payload bytes [1460] */
	uint8_t wscale;            /* our shift, or L7SIM_TCP_NO_WS [7] */
	uint8_t sack;              /* offer SACK-permitted [1] */
	uint8_t ts;                /* offer timestamps [1] */
	uint8_t delack;            /* delayed ACKs [1] */
	uint8_t ack_every;         /* ACK at least every N segments [2] */
	uint8_t max_retries;       /* RTOs in a row before abort [12] */
	uint8_t sack_recovery;     /* retransmit SACK-revealed holes in fast
				    * recovery [0: NewReno only; tshark labels
				    * such retransmissions "Out-Of-Order"] */
	uint8_t dsack;             /* report duplicate segments in a D-SACK
				    * block, RFC 2883 [1: Linux tcp_dsack=1] */
	uint8_t undo;              /* undo a fast recovery whose every
				    * retransmission was D-SACKed, RFC 3708
				    * [0; Linux undoes (tcp_try_undo_dsack)
				    * but also has RACK-TLP: docs/models.md] */
	uint16_t max_reordering;   /* dupthresh grows to the reordering a
				    * D-SACK shows, up to this many segments;
				    * <= 3 keeps it at 3 [300: Linux
				    * tcp_max_reordering] */
	uint32_t rcv_buf_bytes;    /* receive buffer = advertised window [1 MiB] */
	uint32_t init_cwnd_segs;   /* initial window, RFC 6928 [10] */
	uint64_t rto_init_ns;      /* RFC 6298 initial RTO [1 s] */
	uint64_t rto_min_ns;       /* [200 ms, as Linux] */
	uint64_t rto_max_ns;       /* [60 s] */
	uint64_t delack_ns;        /* [40 ms, as Linux's minimum] */
	uint64_t time_wait_ns;     /* [1 s; real stacks use 60 s] */
	uint32_t ts_hz;            /* TSval clock rate [1000] */
	uint32_t linktype;         /* L7_LINKTYPE_ETHERNET or _RAW [Ethernet] */
	uint8_t ttl;               /* [64] */
};

void l7sim_tcp_cfg_defaults(struct l7sim_tcp_cfg *c);

struct l7sim_tcpep;

struct l7sim_tcp_ops {
	/* Copy send-stream bytes [off, off + len) into dst. */
	void (*fill)(void *user, struct l7sim_tcpep *ep, uint64_t off, uint8_t *dst,
		     uint32_t len);
	/* In-order bytes; data valid during the call. May call write/shutdown. */
	void (*on_data)(void *user, struct l7sim_tcpep *ep, const uint8_t *data,
			uint32_t len, l7_time_ns now_ns);
	void (*on_event)(void *user, struct l7sim_tcpep *ep, enum l7sim_tcp_event ev,
			 l7_time_ns now_ns);
};

/* Counters of every endpoint sharing an env. */
struct l7sim_tcp_stats {
	uint64_t segs_out, segs_in;
	uint64_t data_bytes_out;     /* payload bytes sent, retransmissions included */
	uint64_t retrans_segs, retrans_bytes;
	uint64_t rto_fires, syn_retrans, fast_retrans, partial_acks;
	uint64_t sack_rexmits;       /* holes retransmitted from the scoreboard */
	uint64_t dupacks_in;
	uint64_t dsacks_out;         /* ACKs sent with a D-SACK block */
	uint64_t dsacks_in;          /* D-SACK blocks received */
	uint64_t undos;              /* fast recoveries undone (all D-SACKed) */
	uint64_t reorder_raised;     /* dupthresh raised by a D-SACK */
	uint64_t ooo_segs_in;        /* held out of order */
	uint64_t old_segs_in;        /* only already-received bytes */
	uint64_t acks_out;           /* segments without payload/SYN/FIN */
	uint64_t delayed_acks;       /* ACKs sent by the delayed-ACK timer */
	uint64_t pool_fail;          /* a segment could not be built: no buffer */
	uint64_t build_fail;
	uint64_t rst_in, rst_out;
	uint64_t opened, closed, aborted;
};

/* What all endpoints of one host share. */
struct l7sim_tcp_env {
	struct l7sim_engine *eng;
	struct l7sim_pktpool *pool;
	const struct l7sim_tcp_cfg *cfg;
	const struct l7sim_tcp_ops *ops;
	struct l7sim_node *out;      /* every segment goes here */
	uint8_t eth_src[6], eth_dst[6];
	struct l7sim_rng rng;        /* ISNs and timestamp offsets */
	int64_t fixed_isn;           /* >= 0: every ISN is this (tests) */
	struct l7sim_tcp_stats st;
	/* the D-SACK block for the ACK being built (one ACK only, RFC 2883
	 * §4): set just before that ACK is sent, so it costs no
	 * per-connection memory */
	struct l7_sack_block dsack;
	uint8_t dsack_pending;
	uint8_t scratch[L7SIM_PKT_DATA_BYTES];
};

/* rng stream (seed, "tcp/<name>"); fixed_isn = -1. */
void l7sim_tcp_env_init(struct l7sim_tcp_env *env, struct l7sim_engine *eng,
			struct l7sim_pktpool *pool, const struct l7sim_tcp_cfg *cfg,
			const struct l7sim_tcp_ops *ops, struct l7sim_node *out,
			uint64_t seed, const char *name);

struct l7sim_tcpep {
	struct l7sim_timer timer;    /* RTO, delayed ACK, TIME_WAIT */
	struct l7sim_tcp_env *env;
	void *user;
	struct l7sim_tcpep *hnext;   /* owner's demux chain */
	struct l7sim_pkt *ooo;       /* held out-of-order segments, by seq */
	struct l7_addr laddr, raddr;
	uint64_t conn_id;            /* stamped into every segment's metadata */
	/* send side, as stream offsets (SYN excluded; FIN = end_off) */
	uint64_t una_off, nxt_off, max_off, end_off, rtt_off, recover_off;
	uint64_t rxt_off;            /* SACK recovery: next offset to consider */
	struct l7_sack_block sacked[3]; /* scoreboard: peer's SACKed ranges, sorted */
	l7_time_ns rtt_t0, rto_at, delack_at, tw_at;
	uint64_t srtt_ns, rttvar_ns, rto_ns;
	uint64_t rcv_bytes;          /* bytes delivered in order */
	uint32_t iss, irs, rcv_nxt, snd_wnd, cwnd, ssthresh;
	uint32_t ts_recent, ts_off, ooo_bytes, ca_acc, last_ooo_seq;
	/* undo (RFC 3708 / Linux): the window before the last fast recovery,
	 * where that recovery started, retransmissions not D-SACKed yet */
	uint32_t prior_cwnd, prior_ssthresh, undo_marker;
	uint16_t lport, rport, peer_mss, smss, my_mss;
	uint16_t undo_retrans;       /* segments */
	uint16_t reordering;         /* dupthresh, segments (3, raised by D-SACKs) */
	uint8_t state, snd_ws, rcv_ws, my_ws, flags, dupacks, retries, unacked_segs, backoff;
	uint8_t n_sacked;
};

/* Bytes of per-connection state (for the memory budget). */
static inline size_t l7sim_tcpep_size(void)
{
	return sizeof(struct l7sim_tcpep);
}

/*
 * What one active open offers instead of the host's configuration (e.g. the
 * options a captured client put on its SYN). The MSS is clamped to the
 * configured one (frames must fit a packet buffer); the window-scale shift
 * to 14.
 */
struct l7sim_tcp_offer {
	uint16_t mss;         /* 0: cfg->mss */
	uint8_t ws_ok;        /* offer window scaling ... */
	uint8_t wscale;       /* ... with this shift */
	uint8_t sack_ok;
	uint8_t ts_ok;
	uint8_t isn_set;      /* use isn as the ISN */
	uint32_t isn;
};

/* Active open: SYN now, with the env's configuration. conn_id tags every
 * packet. */
int l7sim_tcpep_connect(struct l7sim_tcpep *ep, struct l7sim_tcp_env *env, void *user,
			const struct l7_addr *laddr, uint16_t lport,
			const struct l7_addr *raddr, uint16_t rport, uint64_t conn_id);
/* The same with a per-connection offer (NULL: as l7sim_tcpep_connect). */
int l7sim_tcpep_connect_offer(struct l7sim_tcpep *ep, struct l7sim_tcp_env *env, void *user,
			      const struct l7_addr *laddr, uint16_t lport,
			      const struct l7_addr *raddr, uint16_t rport, uint64_t conn_id,
			      const struct l7sim_tcp_offer *offer);

/* Passive open from a parsed SYN (v, in buffer p, which is freed): SYN-ACK
 * now. L7_EINVAL if v is not a SYN without ACK. conn_id from p. */
int l7sim_tcpep_accept(struct l7sim_tcpep *ep, struct l7sim_tcp_env *env, void *user,
		       struct l7sim_pkt *p, const struct l7_pkt *v);

/* A segment for this endpoint (v parsed from p->data); takes p. */
void l7sim_tcpep_input(struct l7sim_tcpep *ep, struct l7sim_pkt *p, const struct l7_pkt *v);

/* Append nbytes to the send stream (bytes come from fill()) and send what
 * the windows allow. L7_ESTATE after shutdown or when closed. */
int l7sim_tcpep_write(struct l7sim_tcpep *ep, uint64_t nbytes);
/* Send FIN after the stream (half-close); receiving goes on. */
int l7sim_tcpep_shutdown(struct l7sim_tcpep *ep);
/* Send RST and close (the CLOSED event follows). Not from inside one of
 * this endpoint's callbacks. */
void l7sim_tcpep_abort(struct l7sim_tcpep *ep);

/*
 * TIME_WAIT reuse (as RFC 6191 / Linux accept it): 1 if segment v is a SYN
 * without ACK whose sequence number is after everything this endpoint in
 * TIME_WAIT received, i.e. a new connection on the same tuple. The owner
 * then calls l7sim_tcpep_forget() and accepts v as a new connection.
 */
int l7sim_tcpep_syn_reuses(const struct l7sim_tcpep *ep, const struct l7_pkt *v);
/* Close now without sending anything (CLOSED event follows at once). */
void l7sim_tcpep_forget(struct l7sim_tcpep *ep);

static inline uint64_t l7sim_tcpep_acked_bytes(const struct l7sim_tcpep *ep)
{
	return ep->una_off < ep->end_off ? ep->una_off : ep->end_off;
}
const char *l7sim_tcp_state_name(int state);

/*
 * A demultiplexer: endpoints by (remote address, remote port, local port),
 * chained through ep->hnext in a fixed bucket array.
 */
struct l7sim_tcp_demux {
	struct l7sim_tcpep **bucket;
	uint32_t mask;
	uint32_t n;
};

int l7sim_tcp_demux_init(struct l7sim_tcp_demux *d, uint32_t buckets_pow2);
void l7sim_tcp_demux_fini(struct l7sim_tcp_demux *d);
void l7sim_tcp_demux_add(struct l7sim_tcp_demux *d, struct l7sim_tcpep *ep);
void l7sim_tcp_demux_del(struct l7sim_tcp_demux *d, struct l7sim_tcpep *ep);
/* The endpoint a parsed segment v (addressed to us) belongs to, or NULL. */
struct l7sim_tcpep *l7sim_tcp_demux_find(const struct l7sim_tcp_demux *d,
					 const struct l7_pkt *v);

/* Build and send a RST answering segment v (for a segment with no
 * endpoint), using env's addresses/options. 0 or L7_EFULL / build error. */
int l7sim_tcp_send_rst_for(struct l7sim_tcp_env *env, const struct l7_pkt *v,
			   uint64_t conn_id);

#endif
