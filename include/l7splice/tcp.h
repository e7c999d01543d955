/*
 * tcp.h — the TCP pieces a splicing agent needs without a TCP stack
 * (ARCHITECTURE.md §3, src/tcp/): sequence arithmetic modulo 2^32, SYN
 * cookies with a secret, a time counter and an MSS class, the timestamp
 * cookie that remembers wscale / SACK-permitted / ECN, and in-place rewriting
 * of raw TCP option bytes (SACK edges, TSval/TSecr, MSS clamp) with RFC 1624
 * incremental checksum updates.
 *
 * Invariants: sequence numbers are only ever compared through
 * l7_seq_before()/after()/between() (RFC 9293 §3.4 "modulo 2^32"
 * comparisons, like Linux before()/after()); nothing here allocates, reads
 * a clock or keeps hidden state — the cookie secret and the time are
 * parameters.
 */
#ifndef L7SPLICE_TCP_H
#define L7SPLICE_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "l7splice/common.h"
#include "l7splice/packet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------ sequence numbers */

/* 1 if a comes strictly before b in sequence space (a - b < 0 as int32). */
static inline int l7_seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* 1 if a comes strictly after b. */
static inline int l7_seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(b - a) < 0;
}

/* 1 if lo <= s <= hi in sequence space, i.e. s - lo <= hi - lo (unsigned). */
static inline int l7_seq_between(uint32_t s, uint32_t lo, uint32_t hi)
{
	return (uint32_t)(s - lo) <= (uint32_t)(hi - lo);
}

/* The later / earlier of two sequence numbers. */
static inline uint32_t l7_seq_max(uint32_t a, uint32_t b)
{
	return l7_seq_after(a, b) ? a : b;
}
static inline uint32_t l7_seq_min(uint32_t a, uint32_t b)
{
	return l7_seq_before(a, b) ? a : b;
}

/* ------------------------------------------------------------ SYN cookies */

/*
 * SYN cookie layout (our own, in the spirit of RFC 4987 §3.6 and Linux):
 *
 *   bits 31..27  time counter modulo 32 (counter = now_ns / period_ns)
 *   bits 26..24  MSS class (index into l7_syncookie_mss_table)
 *   bits 23..0   low 24 bits of SipHash-2-4(secret; tuple, client ISN,
 *                full time counter, MSS class)
 *
 * Validation recovers the full counter from the 5 bits as the latest counter
 * <= now with those low bits, recomputes the hash, and then checks the age:
 * a wrong hash is forged (L7_EBADCOOKIE), a right hash older than max_age
 * periods is stale (L7_ESTALECOOKIE). Forging needs a 2^-24 guess per try.
 */
#define L7_SYNCOOKIE_MSS_CLASSES 8
extern const uint16_t l7_syncookie_mss_table[L7_SYNCOOKIE_MSS_CLASSES];

struct l7_syncookie_key {
	uint8_t secret[16]; /* SipHash key; the caller draws it from its seed */
	uint64_t period_ns; /* length of one time-counter step; 0 means 64 s */
	uint8_t max_age;    /* accepted age in periods (0..31); 0 means 2 */
};

/* The MSS class for a client's MSS: the largest table entry <= mss, or
 * class 0 (536, the RFC 9293 default) if mss is smaller than all. */
unsigned l7_syncookie_mss_class(uint16_t mss);

/* The cookie ISN for the client's SYN of connection `k` (client -> server
 * direction) with ISN client_isn and MSS option mss (0 if absent). */
uint32_t l7_syncookie_make(const struct l7_syncookie_key *key,
			   const struct l7_flow_key *k, uint32_t client_isn,
			   uint16_t mss, l7_time_ns now_ns);

/*
 * Check the cookie carried by the client's handshake-completing ACK:
 * cookie = ack - 1, client_isn = seq - 1 (for the first segment after the
 * handshake). Returns 0 and the decoded MSS in *mss_out, or L7_EBADCOOKIE
 * (forged / wrong tuple) or L7_ESTALECOOKIE (authentic but too old).
 */
int l7_syncookie_check(const struct l7_syncookie_key *key,
		       const struct l7_flow_key *k, uint32_t client_isn,
		       uint32_t cookie, l7_time_ns now_ns, uint16_t *mss_out);

/*
 * Timestamp cookie (as Linux syncookies do): the low 6 bits of our SYN-ACK
 * TSval carry what the client's SYN negotiated, and the client echoes them
 * back in TSecr. Bits 3..0: window scale (0xf = no WS option), bit 4:
 * SACK-permitted, bit 5: ECN (ECE+CWR in the SYN).
 */
#define L7_TSCOOKIE_BITS 6
#define L7_TSCOOKIE_NO_WS 0xf

struct l7_syn_opts {
	uint8_t ws_ok;   /* client sent a WS option */
	uint8_t wscale;  /* its shift (clamped to 14, RFC 7323 §2.3) */
	uint8_t sack_ok; /* client sent SACK-permitted */
	uint8_t ecn_ok;  /* SYN had ECE and CWR (RFC 3168 §6.1.1) */
	uint8_t ts_ok;   /* client sent a TS option */
	uint16_t mss;    /* MSS option, 0 if absent */
	uint32_t ts_val; /* client's TSval when ts_ok */
};

/* Our SYN-ACK TSval: ts_now with its low 6 bits replaced by the options;
 * never larger than ts_now (so the clock never runs ahead). */
uint32_t l7_tscookie_encode(uint32_t ts_now, const struct l7_syn_opts *o);
/* Decode the bits echoed in the client's TSecr into *o (ws_ok, wscale,
 * sack_ok, ecn_ok; ts_ok is set to 1). */
void l7_tscookie_decode(uint32_t ts_ecr, struct l7_syn_opts *o);

/* Decode the options of a SYN: 0 or L7_EBADOPT. */
int l7_syn_opts_parse(const uint8_t *opts, size_t len, uint16_t tcp_flags,
		      struct l7_syn_opts *o);

/* SipHash-2-4 of `len` bytes with a 16-byte key (Aumasson & Bernstein 2012). */
uint64_t l7_siphash24(const uint8_t key[16], const void *data, size_t len);

/* --------------------------------------------------- option rewriting */

/*
 * What l7_tcpopt_edit() changes in an options area. Every SACK block edge
 * goes through sack_map when it is set, else gets sack_delta added; TSval
 * gets tsval_delta added and TSecr tsecr_delta added (use 0 - d to
 * subtract); an MSS option above mss_clamp is lowered to it (0 = leave).
 * `strip` lists option kinds to overwrite with NOPs (bit k = kind k, k < 32).
 */
typedef uint32_t (*l7_sack_map_fn)(const void *ctx, uint32_t edge, int is_right);

struct l7_tcpopt_edit {
	uint32_t sack_delta;
	l7_sack_map_fn sack_map;
	const void *sack_ctx;
	uint32_t tsval_delta;
	uint32_t tsecr_delta;
	uint16_t mss_clamp;
	uint32_t strip; /* bitmask of kinds to NOP out */
	/* out: TSval, TSecr as found (before editing) when the result has
	 * L7_TCPOPT_EDIT_TS; lets a caller avoid a second walk */
	uint32_t *ts_seen;
};

/* Result of l7_tcpopt_edit (non-negative) — what it found and changed. */
#define L7_TCPOPT_EDIT_SACK 0x1  /* a SACK option was rewritten */
#define L7_TCPOPT_EDIT_TS 0x2    /* a TS option was rewritten */
#define L7_TCPOPT_EDIT_MSS 0x4   /* an MSS option was clamped */
#define L7_TCPOPT_EDIT_STRIP 0x8 /* something was NOPed out */
#define L7_TCPOPT_EDIT_SACK_DROPPED 0x10 /* a SACK block mapped to an empty
					   * range, so the SACK was NOPed out */

/*
 * Rewrite the options area `opts` (len bytes, starting `opts_off` bytes
 * after the start of the checksummed TCP header — 20 for real packets — so
 * that odd alignments update the checksum correctly) in place, walking the
 * whole list (a SACK after a timestamp is found too). *csum is the TCP
 * checksum field value and is updated per RFC 1624. Returns the
 * L7_TCPOPT_EDIT_* bits or L7_EBADOPT (area left partly edited only in
 * options before the bad one; checksum still consistent with the bytes).
 */
int l7_tcpopt_edit(uint8_t *opts, size_t len, size_t opts_off,
		   const struct l7_tcpopt_edit *e, uint16_t *csum);

/* The same, accumulating the checksum change into *acc (see
 * l7_csum_acc_apply) instead of applying it. */
int l7_tcpopt_edit_acc(uint8_t *opts, size_t len, size_t opts_off,
		       const struct l7_tcpopt_edit *e, uint32_t *acc);


#ifdef __cplusplus
}
#endif
#endif
