/*
 * splice.h — the TCP splicing engine (ARCHITECTURE.md §4, LB-NIC §3.1,
 * Miresga §2): joins a client-side and a server-side TCP connection without
 * a TCP stack. The client's SYN is answered with a SYN cookie; client bytes
 * wait in a bounded shallow buffer until the caller's route callback picks a
 * back-end from the request head; the server leg is opened with sequence
 * bases chosen so that client->server bytes need no offset except the
 * caller's insertions; from then on every packet is translated in place
 * (addresses, ports, seq, ack, every SACK edge, TSval/TSecr, window,
 * checksums). Keep-alive connections can be re-spliced to another back-end.
 *
 * Pure and I/O-free: l7_splice_input() takes one frame and now_ns, and every
 * packet the engine sends goes out through the caller's emit callback
 * (translated frames in the caller's memory, built frames in an engine
 * scratch buffer valid only during the callback). All memory is allocated by
 * l7_splice_create() from the sizes in struct l7_splice_cfg; running out of
 * connections, buffer or insertion space is a counted result.
 *
 * Translation state per connection exports as a self-contained struct
 * l7_splice_record; l7_splice_xlate_c2s()/s2c() translate a packet with a
 * record alone, so a back-end agent (Miresga's XDP/TC agent) or a switch
 * action can do the per-packet work without the front-end's engine.
 *
 * See docs/splice.md for the state machine, sequence-space layout, the
 * window-scale choice, the four ACK cases and what is not handled.
 */
#ifndef L7SPLICE_SPLICE_H
#define L7SPLICE_SPLICE_H

#include <stddef.h>
#include <stdint.h>

#include "l7splice/common.h"
#include "l7splice/packet.h"
#include "l7splice/tcp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Live insertion points per connection (LB-NIC's "array of insertion
 * points"); a point is retired once both sides are past it. */
#define L7_SPLICE_MAX_POINTS 8

/* ------------------------------------------------------------ records */

/* One insertion point: `len` bytes inserted just before client byte `cseq`
 * (client-leg sequence space); they occupy [sseq, sseq + len) on the server
 * leg. */
struct l7_splice_point {
	uint32_t cseq;
	uint32_t sseq;
	uint16_t len;
	uint16_t arena_off; /* where the front-end keeps the bytes (agents: 0) */
	uint8_t dup_acks;   /* duplicate ACKs seen exactly before this point */
	uint8_t pad[3];
};

/* Record flags. */
#define L7_SPLICE_REC_TS 0x01        /* timestamps on both legs */
#define L7_SPLICE_REC_STRIP_TS 0x02  /* client uses TS, back-end refused: NOP
				      * it out of client->server packets */
#define L7_SPLICE_REC_STRIP_SACK 0x04 /* back-end refused SACK: NOP client SACKs */

/*
 * Everything needed to translate one spliced connection, self-contained.
 * Client leg: client:client_port <-> vip:vip_port. Server leg:
 * leg_src:leg_src_port <-> backend:backend_port. Sequence spaces:
 *   server seq  = client seq + c2s_delta + bytes inserted before it,
 *   client-leg seq of server bytes = server seq + s2c_delta,
 *   client-leg TSval = server TSval + ts_delta (TSecr the other way),
 *   window toward the server = (win << win_c2s_in) >> win_c2s_out (and the
 *   same with win_s2c_* toward the client), clamped to 65535.
 * The last_* fields are the small mutable part the ACK cases need.
 * The v4_* sums are derived from the addresses and ports by
 * l7_splice_record_prepare() (l7_splice_export() returns prepared
 * records): an IPv4 flow's endpoint rewrite is constant, so its checksum
 * change is computed once, not per packet (16 bytes per record). A record
 * with v4_ready = 0 (e.g. zero-initialised and filled by hand) translates
 * the same, only slower; after changing an address or port of a prepared
 * record, call l7_splice_record_prepare() again.
 */
struct l7_splice_record {
	struct l7_addr client, vip, leg_src, backend;
	uint16_t client_port, vip_port, leg_src_port, backend_port;
	uint32_t c2s_delta;
	uint32_t s2c_delta;
	uint32_t ts_delta;
	uint8_t flags;     /* L7_SPLICE_REC_* */
	uint8_t win_c2s_in, win_c2s_out, win_s2c_in, win_s2c_out;
	uint8_t n_points;  /* live points, sorted by cseq */
	uint8_t has_last;  /* last_s_ack / last_c_ack are valid */
	uint8_t v4_ready;  /* the v4_* sums below match the endpoints */
	uint32_t last_s_ack; /* last ACK number from the server (server space) */
	uint32_t last_c_ack; /* last ACK number sent to the client */
	/* RFC 1624 sums (unfolded, as l7_csum_acc32 adds them) of rewriting
	 * client,vip -> leg_src,backend (addresses: IPv4 header and TCP
	 * pseudo-header; ports: TCP header) and backend,leg_src -> vip,client;
	 * 0 where nothing changes. */
	uint32_t v4_addr_c2s, v4_port_c2s, v4_addr_s2c, v4_port_s2c;
	struct l7_splice_point points[L7_SPLICE_MAX_POINTS];
};

/* The four LB-NIC §3.1.3 ACK cases (plus "no point at all"). */
enum l7_splice_ack_case {
	L7_SPLICE_ACK_NOPOINT = 0,      /* no live insertion point */
	L7_SPLICE_ACK_BEYOND = 1,       /* beyond every point: last offset */
	L7_SPLICE_ACK_BETWEEN = 2,      /* before some point: previous offset */
	L7_SPLICE_ACK_BEFORE_POINT = 3, /* exactly before a point's bytes */
	L7_SPLICE_ACK_AFTER_POINT = 4,  /* inside or exactly after a point's bytes */
};

/* Map a server-space ACK number (or SACK edge) to the client leg; *ack_case
 * and *point (index, -1 if none) say which case applied. */
uint32_t l7_splice_map_ack(const struct l7_splice_record *r, uint32_t s_ack,
			   enum l7_splice_ack_case *ack_case, int *point);

/* Map a client-space sequence number to the server leg (points at or before
 * it count as inserted). */
uint32_t l7_splice_map_seq(const struct l7_splice_record *r, uint32_t c_seq);

/* Results of the xlate functions (non-negative). */
#define L7_SPLICE_XLATE_OK 0
#define L7_SPLICE_XLATE_SUPPRESS 1 /* a pure ACK that must not be relayed
				    * (ACK case 4: it would be a false
				    * duplicate ACK at the client) */
#define L7_SPLICE_XLATE_RETX 2     /* relay it, and retransmit the bytes of
				    * point *retx_point (duplicate ACKs
				    * exactly before it): only the holder of
				    * the inserted bytes can */

/*
 * Translate a client->server packet in place with a record alone: addresses
 * and ports, seq, ack, SACK edges, TSecr, window, checksums. Returns
 * L7_SPLICE_XLATE_OK, or L7_ERANGE when its payload straddles an insertion
 * point (only the front-end, which holds the inserted bytes, can split it),
 * L7_EBADOPT for bad options, L7_EINVAL for a non-TCP view. `frame` must be
 * the writable memory p->data points at.
 */
int l7_splice_xlate_c2s(const struct l7_splice_record *r, struct l7_pkt *p,
			uint8_t *frame);

/*
 * Translate a server->client packet in place (seq, ack through the four
 * cases, SACK edges, TSval, window, addresses, checksums) and update the
 * record's last_* fields and duplicate-ACK counters. Returns
 * L7_SPLICE_XLATE_OK / _SUPPRESS (frame left untranslated) / _RETX (with
 * *retx_point set), or a negative l7_err as above.
 */
int l7_splice_xlate_s2c(struct l7_splice_record *r, struct l7_pkt *p,
			uint8_t *frame, int *retx_point);

/*
 * Compute the record's v4_* checksum sums from its addresses and ports and
 * set v4_ready (cleared for IPv6 records, which need no preparation). Call
 * after filling a record by hand or changing its endpoints; translation is
 * byte-identical with or without it, only faster with it.
 */
void l7_splice_record_prepare(struct l7_splice_record *r);

/* ------------------------------------------------------------ engine */

struct l7_splice;

/* Connection states (LB-NIC §3.1.1 plus the close states). */
enum l7_splice_state {
	L7_SPLICE_FREE = 0,
	L7_SPLICE_SYN_RCVD,          /* stateful mode: SYN-ACK sent to client */
	L7_SPLICE_FRONT_ESTABLISHED, /* client leg up, buffering the head */
	L7_SPLICE_SYN_SENT,          /* back-end chosen, SYN sent */
	L7_SPLICE_ESTABLISHED,       /* both legs up, relaying */
	L7_SPLICE_CLOSING,           /* a FIN was relayed one way (half-close) */
	L7_SPLICE_CLOSED,            /* both FINs relayed and ACKed; lingering */
};

/* Which way an emitted packet goes. */
enum l7_splice_side {
	L7_SPLICE_TO_CLIENT = 0,
	L7_SPLICE_TO_SERVER = 1,
};

/* One packet the engine sends. */
struct l7_splice_out {
	enum l7_splice_side side;
	uint32_t conn_id;       /* UINT32_MAX for stateless replies */
	const uint8_t *frame;   /* valid only during the emit callback */
	size_t len;
	uint32_t linktype;      /* of frame; built packets are L7_LINKTYPE_RAW */
	uint32_t l3_off;        /* IP header offset in frame */
	uint8_t built;          /* 1: engine-built (SYN, ACK, RST, split, inserted
				 * bytes); 0: the caller's frame translated */
};

typedef void (*l7_splice_emit_fn)(void *user, const struct l7_splice_out *out);

/* Up to this many insertions per routed request. */
#define L7_SPLICE_MAX_INSERTS 4

/* One insertion: `len` bytes inserted into the client->server stream just
 * before client stream byte `stream_off` (0 = first byte after the SYN);
 * this is l7_http_rewrite's stream_base + off for an insertion edit. */
struct l7_splice_insert {
	uint64_t stream_off;
	const uint8_t *data; /* copied by the engine */
	uint32_t len;
};

/* What the route callback sees. */
struct l7_splice_head {
	uint32_t conn_id;
	const struct l7_flow_key *client_key; /* client -> VIP */
	const uint8_t *bytes; /* buffered request bytes, contiguous */
	size_t len;
	uint64_t stream_off;  /* client stream offset of bytes[0] */
	uint32_t request_index; /* 0 for the first request of the connection */
	uint8_t fin;          /* client has half-closed after these bytes */
	uint8_t has_backend;  /* a server leg is open (keep-alive) */
	struct l7_addr backend; /* current back-end when has_backend */
	uint16_t backend_port;
};

/* The route callback's decision. */
enum l7_splice_verdict {
	L7_SPLICE_ROUTE_MORE = 0,   /* head incomplete: buffer more bytes */
	L7_SPLICE_ROUTE_GO = 1,     /* route filled in: open/keep the leg */
	L7_SPLICE_ROUTE_WAIT = 2,   /* decided later: caller calls resume() */
	L7_SPLICE_ROUTE_REJECT = 3, /* reset the connection */
};

struct l7_splice_route {
	struct l7_addr backend;
	uint16_t backend_port;
	uint8_t snat;            /* 1: server leg from leg_src:leg_src_port;
				  * 0: transparent (from the client's tuple) */
	struct l7_addr leg_src;
	uint16_t leg_src_port;
	uint64_t request_bytes;  /* bytes of this request (head + body) from
				  * head->stream_off; after them the engine
				  * buffers the next head and calls route
				  * again. 0 = unknown: relay the rest. */
	uint8_t n_inserts;
	struct l7_splice_insert inserts[L7_SPLICE_MAX_INSERTS];
};

/* Route callback; must only fill *r and return a verdict. It may be called
 * again for the same head (e.g. after MORE, or while a re-splice waits for
 * the client to acknowledge the previous response). */
typedef enum l7_splice_verdict (*l7_splice_route_fn)(void *user,
						     const struct l7_splice_head *h,
						     struct l7_splice_route *r);

/* What happens to a packet for no known connection that is not a SYN and
 * carries no valid cookie. */
enum l7_splice_stray {
	L7_SPLICE_STRAY_RST = 0,  /* RFC 9293 §3.10.7.1 reset (never for a RST) */
	L7_SPLICE_STRAY_DROP = 1,
};

struct l7_splice_cfg {
	uint32_t max_conns;      /* connection pool size (required, > 0) */
	uint32_t buf_bytes;      /* shallow (request-head) buffer size; 0: 16384 */
	uint32_t ins_bytes;      /* inserted-bytes arena per connection; 0: 1024 */
	uint32_t max_heads;      /* head buffers, engine-wide: a connection holds
				  * one only while it buffers a request head
				  * (taken at its first head byte, given back
				  * once the head is forwarded, and at close);
				  * 0 or more than max_conns: max_conns. When
				  * none is free the connection is reset
				  * (counted: head_pool_full). */
	uint8_t stateful;        /* 0: SYN cookies (stateless); 1: state at SYN,
				  * falling back to cookies when the pool is full */
	struct l7_syncookie_key cookie; /* secret, period, max age */
	uint16_t mss;            /* our MSS toward the client; 0: 1460 */
	uint8_t wscale;          /* our shift toward the client; 0: 7 */
	uint8_t no_wscale;       /* 1: never offer WS to the client */
	uint32_t window;         /* window we advertise before routing; 0: 65535 */
	uint64_t ts_tick_ns;     /* our TS clock granularity; 0: 1 ms */
	uint64_t idle_ns;        /* idle timeout; 0: 300 s */
	uint64_t linger_ns;      /* keep a closed entry this long after the last
				  * ACK, still translating retransmitted FINs
				  * and ACKs (TIME-WAIT's job); 0: 2 s */
	uint64_t syn_rto_ns;     /* server-leg SYN retransmission, and the
				  * first retransmission of an old leg's FIN;
				  * 0: 1 s */
	uint8_t syn_retries;     /* SYN (and old-leg FIN) retransmissions;
				  * 0: 3 */
	uint32_t max_old_legs;   /* server legs still closing after re-splices,
				  * engine-wide (each closes or lingers on its
				  * own, even after its client connection is
				  * gone); 0: 2 * max_conns. When full, the
				  * next old leg evicts one (counted). */
	enum l7_splice_stray stray;
	/* Stateful mode only, optional: choose our client-leg ISN (a trace
	 * replay uses the captured server's ISN so that the oracle can compare
	 * sequence numbers). NULL: the SYN cookie value is used as the ISN. */
	uint32_t (*isn_fn)(void *user, const struct l7_flow_key *client_key,
			   uint32_t client_isn);
	l7_splice_route_fn route;
	l7_splice_emit_fn emit;
	void *user;
};

/* Counters (monotonic). */
struct l7_splice_stats {
	uint64_t packets, not_tcp, bad_packet, bad_options;
	uint64_t syn_received, synack_sent, cookie_ok, cookie_bad, cookie_stale;
	uint64_t conn_created, conn_retired, conn_pool_full, conn_idle_timeout;
	uint64_t head_too_big, route_rejected, insert_full, route_bad;
	uint64_t points_waits; /* a routed head waited for insertion points to
				* retire (deep pipelining) */
	uint64_t legs_opened, resplices, syn_retransmits, syn_failed;
	uint64_t c2s_relayed, s2c_relayed, c2s_split, acks_suppressed;
	uint64_t point_retransmits, dropped_state, dropped_gap;
	uint64_t rst_client, rst_server, rst_relayed, stray_rst, stray_drop;
	uint64_t rst_ignored; /* RST outside the receiver's window (RFC 5961 §3) */
	uint64_t fins_relayed, emitted;
	uint64_t syn_sent_bad_ack; /* SYN_SENT: an ACK for something we never
				    * sent (a stale back-end socket) was
				    * answered with RST (RFC 9293 §3.10.7.3) */
	/* Old server legs closing after re-splices (docs/splice.md). */
	uint64_t old_legs;            /* old legs closed with our FIN */
	uint64_t old_fin_retransmits; /* our FIN sent again (not yet ACKed) */
	uint64_t old_fin_acks;        /* back-end FINs ACKed (retransmitted
				       * ones included) */
	uint64_t old_leg_strays;      /* packets on a known old leg that needed
				       * no answer (dropped, never RST) */
	uint64_t old_legs_evicted;    /* pool full: an old leg was dropped early */
	uint64_t old_legs_reused;     /* a new leg took over an old leg's tuple */
	uint64_t old_leg_timeouts;    /* forgotten at the deadline before both
				       * FINs were done */
	/* Reused tuples (docs/splice.md "Reused tuples", RFC 6191 §2). */
	uint64_t conn_reused;         /* a new SYN, or an ACK with a valid cookie,
				       * on a tuple whose connection had seen
				       * both FINs: the old state was dropped and
				       * a new connection started */
	uint64_t reuse_refused;       /* such a SYN or cookie ACK whose ISN was
				       * not beyond the old connection's last
				       * sequence number (or whose TSval was
				       * older): dropped, the old state kept */
	uint64_t reuse_legs_closing;  /* the dropped connection's server leg had
				       * not finished closing: the old-leg pool
				       * finishes it (FIN again / last ACK) */
	uint64_t head_pool_full;      /* request-head bytes arrived, no head
				       * buffer was free (max_heads): the
				       * connection was reset both ways */
};

/* Create an engine: L7_EINVAL / L7_ENOMEM through *err (may be NULL). */
struct l7_splice *l7_splice_create(const struct l7_splice_cfg *cfg, int *err);
void l7_splice_destroy(struct l7_splice *s);

/* Results of l7_splice_input (non-negative). */
#define L7_SPLICE_IN_RELAYED 0  /* translated in place and emitted */
#define L7_SPLICE_IN_CONSUMED 1 /* absorbed (buffered, handshake, answered) */
#define L7_SPLICE_IN_DROPPED 2  /* dropped (counted) */
#define L7_SPLICE_IN_NOT_TCP 3  /* not ours: caller forwards or drops */

/*
 * Feed one frame (writable: relayed packets are translated in place).
 * Returns an L7_SPLICE_IN_* result or a negative l7_err for a malformed
 * frame (counted, nothing emitted).
 */
int l7_splice_input(struct l7_splice *s, uint8_t *frame, size_t len,
		    uint32_t linktype, l7_time_ns now_ns);

/* Timers: server-leg SYN retransmission, idle timeout, linger, old-leg
 * FIN retransmission and expiry. O(max_conns + max_old_legs); call every
 * few hundred milliseconds. */
void l7_splice_tick(struct l7_splice *s, l7_time_ns now_ns);

/* Re-run the route callback for a connection whose last verdict was WAIT
 * (e.g. the previous response has now completed). */
int l7_splice_resume(struct l7_splice *s, uint32_t conn_id, l7_time_ns now_ns);

/* Copy a connection's translation record (after the server leg is up):
 * 0, L7_ENOENT, or L7_ESTATE before ESTABLISHED. */
int l7_splice_export(const struct l7_splice *s, uint32_t conn_id,
		     struct l7_splice_record *rec);

/* State of a connection (L7_SPLICE_FREE if unknown). */
enum l7_splice_state l7_splice_conn_state(const struct l7_splice *s, uint32_t conn_id);
/* Look up the connection of a client->VIP key: conn id or L7_ENOENT. */
int l7_splice_find(const struct l7_splice *s, const struct l7_flow_key *client_key);
/* Connections in use. */
uint32_t l7_splice_active(const struct l7_splice *s);
const struct l7_splice_stats *l7_splice_stats(const struct l7_splice *s);

#ifdef __cplusplus
}
#endif
#endif
