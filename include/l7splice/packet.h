/*
 * packet.h — zero-copy packet views, TCP option iteration, checksums and an
 * in-place packet builder/mutator (ARCHITECTURE.md §3, src/packet/).
 *
 * A struct l7_pkt is a parsed *view* of one captured frame: offsets into the
 * caller's bytes plus the handful of header fields everything above needs, in
 * host byte order. Parsing never allocates, never copies payload and never
 * reads past `caplen`: every length field of every header is checked against
 * the captured length, and a truncated or lying packet is classified with a
 * negative enum l7_err instead of being read.
 *
 * Invariants a caller can rely on:
 *  - after l7_pkt_parse() returns 0, l3_off <= l4_off <= payload_off <=
 *    caplen, and payload_caplen bytes at data + payload_off are readable;
 *  - after an error, `layers` says which layers were parsed completely; only
 *    the fields of those layers (plus data/caplen/linktype) are defined. The
 *    parser does not clear the struct first (that would cost more than the
 *    parse), so never read a field of a layer that is not in `layers`;
 *  - every multi-byte field in the view is in host byte order; addresses
 *    are byte arrays in network order.
 *
 * Link types are the numeric LINKTYPE_/DLT_ values of pcap files, defined
 * here as L7_LINKTYPE_* so this header does not need <pcap.h>.
 */
#ifndef L7SPLICE_PACKET_H
#define L7SPLICE_PACKET_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "l7splice/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ link types */

#define L7_LINKTYPE_NULL 0        /* BSD loopback, 4-byte AF_ in host order */
#define L7_LINKTYPE_ETHERNET 1    /* Ethernet II (DLT_EN10MB) */
#define L7_LINKTYPE_DLT_RAW_12 12 /* raw IP as DLT_RAW on most BSDs */
#define L7_LINKTYPE_DLT_RAW_14 14 /* raw IP as DLT_RAW on OpenBSD */
#define L7_LINKTYPE_RAW 101       /* raw IPv4 or IPv6 (LINKTYPE_RAW) */
#define L7_LINKTYPE_LOOP 108      /* OpenBSD loopback, 4-byte AF_ big-endian */
#define L7_LINKTYPE_LINUX_SLL 113 /* Linux cooked capture v1, 16 bytes */
#define L7_LINKTYPE_IPV4 228      /* raw IPv4 only */
#define L7_LINKTYPE_IPV6 229      /* raw IPv6 only */
#define L7_LINKTYPE_LINUX_SLL2 276 /* Linux cooked capture v2, 20 bytes */

/* 1 if l7_pkt_parse() understands this link type, else 0. */
int l7_linktype_supported(uint32_t linktype);
/* A short name ("EN10MB", "LINUX_SLL", ...); "unknown" if unsupported. */
const char *l7_linktype_name(uint32_t linktype);

/* ------------------------------------------------------------- constants */

#define L7_ETHERTYPE_IPV4 0x0800
#define L7_ETHERTYPE_IPV6 0x86dd
#define L7_ETHERTYPE_VLAN 0x8100  /* 802.1Q C-tag */
#define L7_ETHERTYPE_QINQ 0x88a8  /* 802.1ad S-tag */
#define L7_ETHERTYPE_QINQ_OLD 0x9100 /* pre-standard S-tag */

#define L7_IPPROTO_HOPOPTS 0
#define L7_IPPROTO_ICMP 1
#define L7_IPPROTO_TCP 6
#define L7_IPPROTO_UDP 17
#define L7_IPPROTO_ROUTING 43
#define L7_IPPROTO_FRAGMENT 44
#define L7_IPPROTO_AH 51
#define L7_IPPROTO_ICMPV6 58
#define L7_IPPROTO_NONE 59
#define L7_IPPROTO_DSTOPTS 60

#define L7_VXLAN_PORT 4789        /* IANA UDP port of VXLAN (RFC 7348) */
#define L7_VXLAN_HDR_LEN 8

/* Maximum VLAN tags recorded (outer first). Deeper stacks are parsed but
 * only the first L7_PKT_MAX_VLANS ids are kept; n_vlans counts all. */
#define L7_PKT_MAX_VLANS 2

/* TCP flags as in the 9 low bits of the header's offset/flags word. */
#define L7_TCP_FIN 0x001
#define L7_TCP_SYN 0x002
#define L7_TCP_RST 0x004
#define L7_TCP_PSH 0x008
#define L7_TCP_ACK 0x010
#define L7_TCP_URG 0x020
#define L7_TCP_ECE 0x040
#define L7_TCP_CWR 0x080
#define L7_TCP_NS 0x100 /* the "AE"/NS bit next to the data offset */

#define L7_TCP_HDR_MIN 20
#define L7_TCP_HDR_MAX 60
#define L7_TCP_OPT_MAX 40

/* TCP option kinds (RFC 9293, 7323, 2018). */
#define L7_TCPOPT_EOL 0
#define L7_TCPOPT_NOP 1
#define L7_TCPOPT_MSS 2       /* len 4 */
#define L7_TCPOPT_WS 3        /* len 3 */
#define L7_TCPOPT_SACK_PERM 4 /* len 2 */
#define L7_TCPOPT_SACK 5      /* len 2 + 8n, 1 <= n <= 4 */
#define L7_TCPOPT_TS 8        /* len 10 */

/* Bits of struct l7_pkt.layers: which layers were parsed completely. */
#define L7_PKT_L2 0x1 /* link header (incl. VLAN tags); l3_off, ethertype */
#define L7_PKT_L3 0x2 /* IP header incl. options/extension headers */
#define L7_PKT_L4 0x4 /* transport header (TCP/UDP) or start of other L4 */

/* Bits of struct l7_pkt.flags: what the parser noticed. */
#define L7_PKT_F_VLAN 0x0001      /* at least one 802.1Q/802.1ad tag */
#define L7_PKT_F_IPOPTS 0x0002    /* IPv4 header has options (IHL > 5) */
#define L7_PKT_F_V6EXT 0x0004     /* IPv6 extension headers present */
#define L7_PKT_F_FRAG 0x0008      /* a real fragment (MF set or offset != 0) */
#define L7_PKT_F_ATOMIC 0x0010    /* IPv6 fragment header, offset 0, M=0 */
#define L7_PKT_F_TSO 0x0020       /* IP length 0: length taken from caplen */
#define L7_PKT_F_SNAPPED 0x0040   /* payload_caplen < payload_len (snaplen) */
#define L7_PKT_F_PADDED 0x0080    /* bytes after the IP packet (L2 padding) */
#define L7_PKT_F_VXLAN 0x0100     /* UDP to port 4789 with a valid VXLAN hdr */
#define L7_PKT_F_DF 0x0200        /* IPv4 don't-fragment bit */

/* ------------------------------------------------------------- addresses */

/*
 * An IP address in network byte order. IPv4 is stored IPv4-mapped
 * (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) so that one 16-byte form serves both
 * families and a flow key needs no separate family byte.
 */
struct l7_addr {
	uint8_t b[16];
};

/* 1 if `a` holds an IPv4 (IPv4-mapped) address. */
static inline int l7_addr_is_v4(const struct l7_addr *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return memcmp(a->b, prefix, 12) == 0;
}

/* The IPv4 address of an IPv4-mapped l7_addr, host order (a.b.c.d = 0xaabbccdd). */
static inline uint32_t l7_addr_v4(const struct l7_addr *a)
{
	return (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 |
	       (uint32_t)a->b[14] << 8 | a->b[15];
}

/* Make an IPv4-mapped l7_addr from a host-order IPv4 address. */
static inline struct l7_addr l7_addr_from_v4(uint32_t v4)
{
	struct l7_addr a = { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
			       (uint8_t)(v4 >> 24), (uint8_t)(v4 >> 16),
			       (uint8_t)(v4 >> 8), (uint8_t)v4 } };
	return a;
}

/* Make an l7_addr from 16 IPv6 bytes in network order. */
static inline struct l7_addr l7_addr_from_v6(const uint8_t v6[16])
{
	struct l7_addr a;
	memcpy(a.b, v6, 16);
	return a;
}

/* ------------------------------------------------------------- the view */

/*
 * A parsed view of one frame. Offsets are from `data`. Filled by
 * l7_pkt_parse(); see the file comment for which fields are defined after
 * an error. Fields of a layer that is absent (e.g. tcp_* of a UDP packet)
 * are undefined.
 */
struct l7_pkt {
	const uint8_t *data; /* first byte of the frame (caller's memory) */
	uint32_t caplen;     /* bytes captured at data */
	uint32_t linktype;   /* L7_LINKTYPE_* the frame was parsed as */

	uint16_t layers; /* L7_PKT_L2 | L7_PKT_L3 | L7_PKT_L4 as parsed */
	uint16_t flags;  /* L7_PKT_F_* */

	/* L2 */
	uint32_t l2_off;  /* 0 (link header start) */
	uint32_t l3_off;  /* first byte of the IP header */
	uint16_t ethertype; /* of the L3 payload after VLAN tags (0x0800/0x86dd) */
	uint8_t n_vlans;  /* number of VLAN tags seen */
	uint8_t pad0;
	uint16_t vlan_id[L7_PKT_MAX_VLANS]; /* 12-bit VIDs, outer first */

	/* L3 */
	uint8_t ip_version; /* 4 or 6 */
	uint8_t proto;      /* transport protocol after IPv6 extension headers */
	uint8_t ttl;        /* IPv4 TTL or IPv6 hop limit */
	uint8_t tos;        /* IPv4 TOS or IPv6 traffic class (DSCP|ECN) */
	uint32_t l3_hdr_len;  /* IPv4 IHL*4, or 40 + all IPv6 extension headers */
	uint32_t ip_len;      /* bytes of the IP packet (header+payload) from the
			       * header's length field; from caplen if F_TSO */
	uint32_t ip_id;       /* IPv4 id, or IPv6 fragment id (0 without one) */
	uint16_t frag_off;    /* fragment offset in bytes */
	uint8_t frag_more;    /* MF bit */
	uint8_t pad1;
	struct l7_addr src, dst;

	/* L4 */
	uint32_t l4_off;      /* first byte of the transport header */
	uint32_t payload_off; /* first byte of the L4 payload */
	uint32_t payload_len; /* payload bytes per the IP (or UDP) length */
	uint32_t payload_caplen; /* of those, how many were captured */
	uint16_t sport, dport;   /* 0 for protocols without ports */

	/* TCP (proto == 6) */
	uint32_t tcp_seq, tcp_ack;
	uint16_t tcp_flags;    /* L7_TCP_* */
	uint16_t tcp_window;   /* raw, unscaled */
	uint16_t tcp_urg;
	uint8_t tcp_hdr_len;   /* data offset * 4, 20..60 */
	uint8_t pad2;

	/* VXLAN (flags & L7_PKT_F_VXLAN) */
	uint32_t vxlan_vni;    /* 24-bit VNI; PiggyCar carries its policy id here */
	uint32_t inner_off;    /* first byte of the inner Ethernet frame */
};

/*
 * Parse `caplen` bytes at `frame` captured with `linktype`. Returns 0 for an
 * IP packet whose headers are all captured (also for non-TCP/UDP transport:
 * then l4_off = payload_off and ports are 0), or:
 *   L7_ELINKTYPE    unsupported link type;
 *   L7_EUNSUPPORTED not IP (ARP, LLDP, 802.3/LLC, ...): L2 fields valid;
 *   L7_ETRUNCATED   a header runs past caplen;
 *   L7_EMALFORMED   a field is impossible (IHL < 5, version mismatch, IP
 *                   length shorter than its header, TCP data offset < 5 or
 *                   past the IP length, UDP length < 8 or past IP length);
 *   L7_EFRAGMENT    a non-first fragment (L3 fields valid, no L4).
 * A header running past the length its outer header claims is
 * L7_EMALFORMED even if the bytes were captured (e.g. Ethernet padding);
 * one within the claimed length but past caplen is L7_ETRUNCATED, so a
 * valid frame cut inside its headers is always L7_ETRUNCATED.
 * A payload cut short by the snaplen is not an error: F_SNAPPED is set and
 * payload_caplen < payload_len. `p` need not be initialised.
 */
int l7_pkt_parse(struct l7_pkt *p, const uint8_t *frame, uint32_t caplen,
		 uint32_t linktype);

/*
 * Parse the inner Ethernet frame of a VXLAN packet (outer->flags has
 * L7_PKT_F_VXLAN) into `inner`, whose data then starts at the inner frame.
 * L7_EINVAL if `outer` is not VXLAN; otherwise as l7_pkt_parse().
 */
int l7_pkt_parse_inner(const struct l7_pkt *outer, struct l7_pkt *inner);

/* Pointer to the L4 payload (payload_caplen bytes readable). */
static inline const uint8_t *l7_pkt_payload(const struct l7_pkt *p)
{
	return p->data + p->payload_off;
}

/* Pointer to and length of the TCP options of a parsed TCP packet. */
static inline const uint8_t *l7_pkt_tcp_opts(const struct l7_pkt *p, size_t *len)
{
	*len = (size_t)p->tcp_hdr_len - L7_TCP_HDR_MIN;
	return p->data + p->l4_off + L7_TCP_HDR_MIN;
}

/* ------------------------------------------------------------- counters */

/* Per-classification counts, for callers that classify many packets. */
struct l7_pkt_stats {
	uint64_t packets;     /* everything passed to l7_pkt_stats_add */
	uint64_t ok;          /* parse returned 0 */
	uint64_t truncated;   /* L7_ETRUNCATED */
	uint64_t malformed;   /* L7_EMALFORMED */
	uint64_t non_ip;      /* L7_EUNSUPPORTED */
	uint64_t bad_linktype; /* L7_ELINKTYPE */
	uint64_t other_err;   /* any other negative code */
	uint64_t fragments;   /* all real fragments (first and non-first) */
	uint64_t nonfirst_fragments; /* L7_EFRAGMENT */
	uint64_t atomic_fragments;
	uint64_t ipv4, ipv6, tcp, udp, other_l4; /* among parsed packets */
	uint64_t vlan, vxlan, tso, snapped, ip_options, v6_ext;
};

/* Count one result of l7_pkt_parse(rc, p) into `s`. */
void l7_pkt_stats_add(struct l7_pkt_stats *s, int rc, const struct l7_pkt *p);

/* ------------------------------------------------------------- flow keys */

/*
 * A directional flow key: 37 bytes, byte-aligned, no padding, so it can be
 * compared and hashed with memcmp/hash-of-bytes. Ports are big-endian byte
 * pairs for that reason. IPv4 addresses are IPv4-mapped (see l7_addr).
 */
struct l7_flow_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint8_t sport[2]; /* network order */
	uint8_t dport[2]; /* network order */
	uint8_t proto;
};

/* Fill `k` from a parsed packet (layers must include L3; ports 0 without L4). */
void l7_flow_key_from_pkt(struct l7_flow_key *k, const struct l7_pkt *p);
/* Build a key from parts (host-order ports). */
void l7_flow_key_make(struct l7_flow_key *k, const struct l7_addr *src,
		      uint16_t sport, const struct l7_addr *dst, uint16_t dport,
		      uint8_t proto);
/* Swap the two endpoints. */
void l7_flow_key_reverse(struct l7_flow_key *k);
/* Order the endpoints so (src,sport) <= (dst,dport) bytewise; both
 * directions of a connection give the same key. Returns 1 if swapped. */
int l7_flow_key_canon(struct l7_flow_key *k);
/* memcmp-style total order (<0, 0, >0). */
int l7_flow_key_cmp(const struct l7_flow_key *a, const struct l7_flow_key *b);
/* 1 if a and b are the same connection in either direction. */
int l7_flow_key_same_conn(const struct l7_flow_key *a, const struct l7_flow_key *b);

static inline uint16_t l7_flow_key_sport(const struct l7_flow_key *k)
{
	return (uint16_t)(k->sport[0] << 8 | k->sport[1]);
}
static inline uint16_t l7_flow_key_dport(const struct l7_flow_key *k)
{
	return (uint16_t)(k->dport[0] << 8 | k->dport[1]);
}

/* ------------------------------------------------------ TCP options */

/* One option as returned by the iterator. */
struct l7_tcpopt {
	uint8_t kind;
	uint8_t len;         /* total length incl. kind and length bytes; 1 for NOP */
	uint16_t off;        /* offset of the kind byte from the options start */
	const uint8_t *data; /* len - 2 value bytes (NULL for NOP) */
};

/* Iterator over a TCP options area; plain data, no allocation. */
struct l7_tcpopt_iter {
	const uint8_t *opts;
	uint16_t len;
	uint16_t pos;
};

/* Start iterating `len` bytes of options (len <= 40 is not required). */
void l7_tcpopt_iter_init(struct l7_tcpopt_iter *it, const uint8_t *opts, size_t len);

/*
 * Next option: returns 1 and fills `o`, 0 at the end (end of area or EOL,
 * after which the rest is padding), or L7_EBADOPT when a length byte is
 * missing, < 2, runs past the area, or a known kind (MSS, WS, SACK_PERM,
 * SACK, TS) has the wrong length. NOPs are returned (len 1). After an error
 * the iterator keeps returning L7_EBADOPT.
 */
int l7_tcpopt_next(struct l7_tcpopt_iter *it, struct l7_tcpopt *o);

/* Validate a whole options area: 0 or L7_EBADOPT. */
int l7_tcpopt_validate(const uint8_t *opts, size_t len);

/* Find the first option of `kind`: 1 found (o filled), 0 absent, L7_EBADOPT
 * if any option in the area is bad (the whole area is validated). */
int l7_tcpopt_find(const uint8_t *opts, size_t len, uint8_t kind, struct l7_tcpopt *o);

/* Up to four SACK blocks (host order). */
struct l7_sack_block {
	uint32_t left, right;
};

/* Bits of struct l7_tcp_opts.has. */
#define L7_TCPO_HAS_MSS 0x01
#define L7_TCPO_HAS_WS 0x02
#define L7_TCPO_HAS_SACK_PERM 0x04
#define L7_TCPO_HAS_SACK 0x08
#define L7_TCPO_HAS_TS 0x10

/* The options a TCP implementation cares about, decoded. */
struct l7_tcp_opts {
	uint8_t has;        /* L7_TCPO_HAS_* */
	uint8_t wscale;     /* shift count as sent (may exceed 14; caller clamps) */
	uint16_t mss;
	uint32_t ts_val, ts_ecr;
	uint8_t n_sack;     /* 0..4 */
	struct l7_sack_block sack[4];
};

/* Decode an options area in one pass: 0 or L7_EBADOPT (then `out` partial). */
int l7_tcp_opts_parse(const uint8_t *opts, size_t len, struct l7_tcp_opts *out);

/* Single-option helpers: 1 found, 0 absent, L7_EBADOPT. */
int l7_tcpopt_get_mss(const uint8_t *opts, size_t len, uint16_t *mss);
int l7_tcpopt_get_ws(const uint8_t *opts, size_t len, uint8_t *shift);
int l7_tcpopt_has_sack_perm(const uint8_t *opts, size_t len);
int l7_tcpopt_get_ts(const uint8_t *opts, size_t len, uint32_t *ts_val, uint32_t *ts_ecr);
/* Copies up to 4 blocks; returns the number found (0..4) or L7_EBADOPT. */
int l7_tcpopt_get_sack(const uint8_t *opts, size_t len, struct l7_sack_block blocks[4]);

/*
 * Encode options into `out` (capacity `cap`), padded with NOPs/EOL to a
 * multiple of 4. Encodes whatever `o->has` says; SACK blocks n_sack.
 * Returns the length written (<= 40) or L7_ENOSPC / L7_ERANGE (> 40 bytes).
 */
int l7_tcp_opts_encode(const struct l7_tcp_opts *o, uint8_t *out, size_t cap);

/* ------------------------------------------------------------- checksums */

/*
 * Ones'-complement arithmetic (RFC 1071). Checksum values passed and
 * returned are the numeric value of the big-endian 16-bit field, as
 * stored on the wire read with a big-endian load.
 *
 * l7_csum_partial() adds `len` bytes to a running 32-bit sum (an odd
 * length pads with a zero byte, so only the last chunk may be odd);
 * l7_csum_fold() folds to 16 bits and complements: the field value.
 */
uint32_t l7_csum_partial(const void *data, size_t len, uint32_t sum);
uint16_t l7_csum_fold(uint32_t sum);

/* Pseudo-header sums (RFC 9293 §3.1, RFC 8200 §8.1); l4_len in bytes. */
uint32_t l7_csum_pseudo_v4(const struct l7_addr *src, const struct l7_addr *dst,
			   uint8_t proto, uint32_t l4_len);
uint32_t l7_csum_pseudo_v6(const struct l7_addr *src, const struct l7_addr *dst,
			   uint8_t proto, uint32_t l4_len);

/* The IPv4 header checksum a header of hlen bytes should carry (its own
 * checksum field is treated as zero). */
uint16_t l7_csum_ipv4_hdr(const uint8_t *ip, size_t hlen);

/* The TCP/UDP checksum a parsed, fully captured packet should carry (its
 * own checksum field treated as zero; for UDP a computed 0 becomes 0xffff).
 * L7_EINVAL if not TCP/UDP, L7_ETRUNCATED if not fully captured; else the
 * value (0..0xffff) as a non-negative int. */
int l7_csum_l4(const struct l7_pkt *p);

/*
 * RFC 1624 incremental update (eqn. 3: HC' = ~(~HC + ~m + m')): the new
 * checksum field after a 16-bit word changes from old to new. The 32-bit
 * form handles an aligned 32-bit field (addresses, seq/ack); the bytes form
 * a field starting at an even offset of the summed area (IPv6 addresses);
 * an odd last byte counts as the high half of its word.
 */
uint16_t l7_csum_update16(uint16_t csum, uint16_t old_w, uint16_t new_w);
uint16_t l7_csum_update32(uint16_t csum, uint32_t old_w, uint32_t new_w);
uint16_t l7_csum_update_bytes(uint16_t csum, const uint8_t *old_b,
			      const uint8_t *new_b, size_t len);

/* Read / write big-endian fields of raw bytes (any alignment). With GCC
 * or Clang these compile to one load/store and a byte swap. */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static inline uint32_t l7_get_be32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return __builtin_bswap32(v);
}
static inline uint16_t l7_get_be16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return __builtin_bswap16(v);
}
static inline void l7_put_be32(uint8_t *p, uint32_t v)
{
	v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
}
static inline void l7_put_be16(uint8_t *p, uint16_t v)
{
	v = __builtin_bswap16(v);
	memcpy(p, &v, 2);
}
#else
static inline uint32_t l7_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint16_t l7_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline void l7_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
static inline void l7_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
#endif

/*
 * Batched RFC 1624 updates for a translator that rewrites many fields of one
 * packet: accumulate "~m + m'" for every changed 16-bit word (or byte, at
 * its position in its word) into a 32-bit sum, then apply once:
 * HC' = ~(~HC + sum) (RFC 1624 eqn. 3, ones'-complement negation being
 * linear, so byte halves and odd alignments add up). The packet layer's
 * l7_csum_update*() fold per call; this saves the folds on the fast path.
 */
static inline uint32_t l7_csum_acc16(uint32_t acc, uint16_t old_w, uint16_t new_w)
{
	return acc + (uint16_t)~old_w + new_w;
}

/* A 32-bit big-endian field whose first byte is at an even (odd = 0) or
 * odd (odd = 1) offset from the start of the checksummed area. */
static inline uint32_t l7_csum_acc32(uint32_t acc, uint32_t old_v, uint32_t new_v, int odd)
{
	if (!odd)
		return acc + (uint16_t)~(old_v >> 16) + (uint16_t)~old_v + (new_v >> 16) +
		       (new_v & 0xffff);
	/* bytes b0 b1 b2 b3 at odd,even,odd,even: b0 low half, b1b2 a word,
	 * b3 high half of the next word. */
	uint32_t o0 = old_v >> 24, o12 = (old_v >> 8) & 0xffff, o3 = (old_v & 0xff) << 8;
	uint32_t n0 = new_v >> 24, n12 = (new_v >> 8) & 0xffff, n3 = (new_v & 0xff) << 8;
	return acc + (o0 ^ 0xffff) + (o12 ^ 0xffff) + (o3 ^ 0xffff) + n0 + n12 + n3;
}

/* Apply an accumulated sum to a checksum field value. */
static inline uint16_t l7_csum_acc_apply(uint16_t csum, uint32_t acc)
{
	uint64_t x = (uint64_t)(uint16_t)~csum + acc;
	x = (x & 0xffff) + (x >> 16);
	x = (x & 0xffff) + (x >> 16);
	x = (x & 0xffff) + (x >> 16);
	return (uint16_t)~x;
}

/*
 * Replace n bytes at offset `off` (from the start of the checksummed area,
 * any parity) of `base` with `val`, updating *csum incrementally (RFC 1624)
 * over the 16-bit words the change touches.
 */
void l7_csum_replace(uint8_t *base, size_t off, const uint8_t *val, size_t n,
		     uint16_t *csum);

/* Result bits of l7_pkt_csum_verify(); 0 = everything checked and good. */
#define L7_CSUM_IP_BAD 0x1     /* IPv4 header checksum wrong */
#define L7_CSUM_L4_BAD 0x2     /* TCP/UDP checksum wrong */
#define L7_CSUM_L4_SKIPPED 0x4 /* not checked: snapped, TSO, fragment, UDP
				* checksum 0 over IPv4, or not TCP/UDP */

/* Verify the checksums of a successfully parsed packet; returns the
 * L7_CSUM_* bits (>= 0) or L7_EINVAL if `p` has no L3. */
int l7_pkt_csum_verify(const struct l7_pkt *p);

/* ------------------------------------------------------------- builder */

/* What l7_pkt_build_tcp() writes. Host-order numbers. */
struct l7_tcp_build {
	uint32_t linktype;     /* L7_LINKTYPE_RAW or L7_LINKTYPE_ETHERNET */
	uint8_t eth_dst[6], eth_src[6]; /* used for Ethernet */
	uint8_t ip_version;    /* 4 or 6; must match the addresses' family */
	uint8_t ttl;           /* or hop limit */
	uint8_t tos;           /* or traffic class */
	uint8_t df;            /* IPv4 DF bit */
	uint16_t ip_id;        /* IPv4 id */
	uint32_t flow_label;   /* IPv6, 20 bits */
	struct l7_addr src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t flags;        /* L7_TCP_* */
	uint16_t window;
	uint16_t urg;
	const uint8_t *opts;   /* raw options, padded with EOL to 4n; <= 40 */
	size_t opts_len;
	const uint8_t *payload;
	size_t payload_len;
};

/*
 * Build a complete frame (optional Ethernet, IPv4 or IPv6, TCP with options
 * and payload, correct checksums) into buf[cap]. Returns 0 and the length
 * in *out_len, L7_ENOSPC if cap is too small, L7_EINVAL / L7_ERANGE for a
 * bad description (family mismatch, options > 40, packet > 65535).
 */
int l7_pkt_build_tcp(uint8_t *buf, size_t cap, const struct l7_tcp_build *b,
		     size_t *out_len);

/* What l7_pkt_build_vxlan() writes around an inner Ethernet frame. */
struct l7_vxlan_build {
	uint32_t linktype;     /* L7_LINKTYPE_RAW or L7_LINKTYPE_ETHERNET (outer) */
	uint8_t eth_dst[6], eth_src[6];
	uint8_t ip_version;    /* 4 or 6 (outer) */
	uint8_t ttl, tos, df;
	uint16_t ip_id;
	uint32_t flow_label;
	struct l7_addr src, dst; /* tunnel endpoints (VTEPs) */
	uint16_t sport;        /* source port: usually a hash of the inner flow */
	uint16_t dport;        /* 0 means 4789 */
	uint32_t vni;          /* 24 bits; PiggyCar's policy/service id */
	uint8_t udp_csum;      /* compute the UDP checksum over IPv4 (always over IPv6) */
	const uint8_t *inner;  /* the inner Ethernet frame */
	size_t inner_len;
};

/*
 * Encapsulate an inner Ethernet frame in [Ethernet,] IP, UDP and VXLAN
 * (RFC 7348, I flag set) into buf[cap]. Returns 0 and *out_len, or
 * L7_ENOSPC / L7_EINVAL / L7_ERANGE as l7_pkt_build_tcp().
 */
int l7_pkt_build_vxlan(uint8_t *buf, size_t cap, const struct l7_vxlan_build *b,
		       size_t *out_len);

/* ------------------------------------------------------------- mutators */

/*
 * In-place mutators of a parsed TCP (or UDP, where it applies) packet.
 * `frame` must be the writable memory that p->data points at; the view is
 * updated to the new values. Each keeps the IPv4 header checksum and the
 * TCP/UDP checksum right by RFC 1624 incremental updates (a UDP checksum of
 * 0 over IPv4 means "none" and stays 0). Return 0, L7_EINVAL (frame !=
 * p->data, no such layer, family mismatch) or L7_ENOTTCP for TCP-only ones.
 */
int l7_pkt_set_addrs(struct l7_pkt *p, uint8_t *frame, const struct l7_addr *src,
		     const struct l7_addr *dst); /* NULL keeps that address */
int l7_pkt_set_ports(struct l7_pkt *p, uint8_t *frame, uint16_t sport, uint16_t dport);
int l7_pkt_set_seq(struct l7_pkt *p, uint8_t *frame, uint32_t seq);
int l7_pkt_set_ack(struct l7_pkt *p, uint8_t *frame, uint32_t ack);
int l7_pkt_set_flags(struct l7_pkt *p, uint8_t *frame, uint16_t flags);
int l7_pkt_set_window(struct l7_pkt *p, uint8_t *frame, uint16_t window);
/* Set the VXLAN VNI (PiggyCar's policy id) of a VXLAN packet. */
int l7_pkt_set_vxlan_vni(struct l7_pkt *p, uint8_t *frame, uint32_t vni);

/*
 * Overwrite the value bytes of the first option of `kind` with `len` bytes
 * (len must equal its value length: e.g. 8 for TS, 2 for MSS). L7_ENOENT if
 * absent, L7_ERANGE on a length mismatch, L7_EBADOPT if options are bad.
 */
int l7_pkt_tcpopt_rewrite(struct l7_pkt *p, uint8_t *frame, uint8_t kind,
			  const uint8_t *val, size_t len);

/* Replace every option of `kind` with NOPs (e.g. strip SACK-permitted). Returns
 * the number replaced (>= 0) or L7_EBADOPT. */
int l7_pkt_tcpopt_remove(struct l7_pkt *p, uint8_t *frame, uint8_t kind);

/*
 * Replace the whole TCP options area with `opts` (opts_len <= 40, padded with
 * EOL to 4n here), moving the payload and fixing the data offset, IP length,
 * IPv4 header checksum and the TCP checksum (recomputed in full). The
 * segment must be whole (no F_SNAPPED, F_TSO or F_FRAG: L7_EINVAL); L2
 * padding after the IP packet is dropped. `frame_cap` must hold the new
 * frame (L7_ENOSPC, frame untouched). On success p->caplen is the new frame
 * length and the view is re-parsed.
 */
int l7_pkt_tcp_set_opts(struct l7_pkt *p, uint8_t *frame, size_t frame_cap,
			const uint8_t *opts, size_t opts_len);

/*
 * Insert one option (kind, value of val_len bytes) — into NOP/EOL padding at
 * the end when it fits, else by growing the header by a multiple of 4 as
 * l7_pkt_tcp_set_opts() does. L7_ERANGE if the result exceeds 40 bytes.
 */
int l7_pkt_tcpopt_insert(struct l7_pkt *p, uint8_t *frame, size_t frame_cap,
			 uint8_t kind, const uint8_t *val, size_t val_len);

/* Recompute the IPv4 header checksum and the TCP/UDP checksum in full
 * (after arbitrary edits). L7_EINVAL if not fully captured. */
int l7_pkt_fix_csums(struct l7_pkt *p, uint8_t *frame);

#ifdef __cplusplus
}
#endif
#endif
