/*
 * conn.h — streaming TCP connection extraction (src/pcap/conn*.c): feed
 * parsed packets in capture order, get connection open / in-order data /
 * gap / close events through callbacks.
 *
 * Memory is proportional to the number of CONCURRENT connections, never to
 * the trace length: l7_conn_tracker_create() allocates a fixed table of
 * `max_conns` connections and a fixed pool of out-of-order buffer chunks;
 * closed and idle connections are retired and their memory reused. Running
 * out is a counted result (the least recently used connection is evicted;
 * out-of-order data that does not fit becomes a gap), never an allocation.
 *
 * The rules (docs/pcap.md has the full story):
 *  - a connection is a canonical 5-tuple plus a life: a SYN on a tuple whose
 *    previous life was closed (FIN both ways or RST) starts a new one;
 *  - the client is the SYN sender; without a SYN, the SYN-ACK receiver;
 *    without either, the side facing a well-known port (< 1024) when only
 *    one port is well-known, else the sender of the first packet seen;
 *  - each direction's bytes are delivered once, in sequence order: a
 *    retransmission is dropped, an overlap keeps the first copy (bytes that
 *    differ are counted as conflicts), out-of-order data waits in a buffer
 *    capped per connection, and a hole is skipped with a gap event when the
 *    cap is hit or the connection closes;
 *  - sequence numbers are compared modulo 2^32 (wraparound-safe).
 *
 * Invariants: callbacks fire in the order the bytes became available, from
 * inside l7_conn_track()/l7_conn_expire()/l7_conn_flush(); a struct l7_conn
 * pointer is valid until the on_close callback for it returns. The tracker
 * never prints, never reads a clock and never allocates after create.
 */
#ifndef L7SPLICE_CONN_H
#define L7SPLICE_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "l7splice/common.h"
#include "l7splice/packet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Directions of a connection. */
enum l7_conn_dir {
	L7_CONN_C2S = 0, /* client to server */
	L7_CONN_S2C = 1, /* server to client */
};

/* Why a connection ended (argument of on_close). */
enum l7_conn_end {
	L7_CONN_END_FIN = 0,    /* both directions' FINs were delivered in order */
	L7_CONN_END_RST = 1,    /* a RST was seen */
	L7_CONN_END_IDLE = 2,   /* no packet for idle_timeout_ns */
	L7_CONN_END_EVICTED = 3, /* table full: least recently used pushed out */
	L7_CONN_END_FLUSH = 4,  /* l7_conn_flush() (end of the trace) */
	L7_CONN_END_REUSED = 5, /* a new SYN with another ISN on a live tuple */
};

/* Bits of struct l7_conn.flags. */
#define L7_CONN_F_SYN 0x001       /* client SYN seen */
#define L7_CONN_F_SYNACK 0x002    /* server SYN-ACK seen */
#define L7_CONN_F_FIN_C 0x004     /* client FIN seen */
#define L7_CONN_F_FIN_S 0x008     /* server FIN seen */
#define L7_CONN_F_RST 0x010       /* a RST was seen */
#define L7_CONN_F_MIDSTREAM 0x020 /* first packet was neither SYN nor SYN-ACK */
#define L7_CONN_F_CLOSED 0x040    /* on_close has been called */
#define L7_CONN_F_GUESSED 0x080   /* client chosen by the port or first-sender rule */

/* Per-direction counts. A segment is a TCP packet with payload. */
struct l7_conn_dir_stats {
	uint64_t packets;        /* all packets in this direction */
	uint64_t segments;       /* packets with payload (or SYN/FIN) */
	uint64_t payload_bytes;  /* TCP payload bytes seen, duplicates included */
	uint64_t bytes;          /* bytes delivered in order (each once) */
	uint64_t retrans_segs;   /* segments with only already-seen bytes */
	uint64_t overlap_segs;   /* segments partly old, partly new */
	uint64_t ooo_segs;       /* segments that arrived ahead of a hole */
	uint64_t conflict_bytes; /* overlapping bytes that differed (first copy kept) */
	uint64_t gaps;           /* gap events */
	uint64_t gap_bytes;      /* bytes skipped by gap events */
};

/*
 * One connection. Read-only for the consumer except `user`, which is the
 * consumer's own slot (NULL at open).
 */
struct l7_conn {
	uint64_t id;             /* 1, 2, ... in order of opening */
	struct l7_flow_key key;  /* oriented: src = client, dst = server */
	l7_time_ns first_ns, last_ns;
	uint32_t flags;          /* L7_CONN_F_* */
	struct l7_conn_dir_stats dir[2]; /* indexed by enum l7_conn_dir */
	void *user;
};

/* The consumer. Any callback may be NULL. */
struct l7_conn_callbacks {
	void (*on_open)(void *user, struct l7_conn *c, l7_time_ns ts_ns);
	/* `len` in-order bytes of direction `dir`; `data` valid only during
	 * the call. */
	void (*on_data)(void *user, struct l7_conn *c, enum l7_conn_dir dir,
			const uint8_t *data, size_t len, l7_time_ns ts_ns);
	/* `len` bytes of direction `dir` will never be delivered. */
	void (*on_gap)(void *user, struct l7_conn *c, enum l7_conn_dir dir,
		       uint64_t len, l7_time_ns ts_ns);
	void (*on_close)(void *user, struct l7_conn *c, enum l7_conn_end why,
			 l7_time_ns ts_ns);
};

/* Sizes and timeouts; zero fields take the defaults in brackets. */
struct l7_conn_config {
	uint32_t max_conns;          /* concurrent connections [65536] */
	uint32_t ooo_pool_bytes;     /* shared out-of-order buffer [16 MiB] */
	uint32_t ooo_max_bytes;      /* per connection and direction [256 KiB] */
	l7_time_ns idle_timeout_ns;  /* retire an open connection [300 s] */
	l7_time_ns closed_linger_ns; /* keep a closed one for stray packets [60 s] */
	uint32_t keep_history;       /* 1: keep the last 2 KiB delivered per
				      * direction so that retransmissions of
				      * delivered data are checked for
				      * conflicting bytes (costs a copy of every
				      * delivered byte; buffered out-of-order
				      * data is always checked) [0] */
	struct l7_conn_callbacks cb;
	void *user;                  /* first argument of every callback */
};

/* Totals of a tracker. */
struct l7_conn_counts {
	uint64_t packets;       /* l7_conn_track() calls */
	uint64_t not_tcp;       /* rejected: not a parsed TCP packet */
	uint64_t opened;        /* connections opened */
	uint64_t closed[6];     /* by enum l7_conn_end */
	uint64_t reused;        /* new life on a tuple after a close */
	uint64_t stray;         /* packets absorbed by a closed connection */
	uint64_t ooo_pool_full; /* out-of-order data dropped: pool empty */
	uint64_t active;        /* open now */
	uint64_t max_active;    /* high-water mark of open connections */
};

struct l7_conn_tracker;

/* Allocate a tracker (the only allocation). L7_EINVAL, L7_ENOMEM. */
int l7_conn_tracker_create(struct l7_conn_tracker **out, const struct l7_conn_config *cfg);
void l7_conn_tracker_destroy(struct l7_conn_tracker *t);

/*
 * Account one packet parsed by l7_pkt_parse() (return value 0) at time
 * `now_ns` (capture order, not necessarily monotonic). First retires
 * connections idle past their timeout. Returns 0, or L7_ENOTTCP (not a
 * fully parsed TCP packet; counted, nothing else happens).
 */
int l7_conn_track(struct l7_conn_tracker *t, const struct l7_pkt *p, l7_time_ns now_ns);

/* Retire connections idle at `now_ns` (l7_conn_track does this itself). */
void l7_conn_expire(struct l7_conn_tracker *t, l7_time_ns now_ns);

/*
 * End of input: deliver every buffered byte (with gap events for holes)
 * and close every open connection with L7_CONN_END_FLUSH, oldest first;
 * closed connections are forgotten. The tracker is then empty and usable.
 */
void l7_conn_flush(struct l7_conn_tracker *t, l7_time_ns now_ns);

const struct l7_conn_counts *l7_conn_tracker_counts(const struct l7_conn_tracker *t);

/* "fin", "rst", "idle", "evicted", "flush", "reused". */
const char *l7_conn_end_name(enum l7_conn_end why);

#ifdef __cplusplus
}
#endif
#endif
