/*
 * cookie.c — stateless SYN cookies (RFC 4987 §3.6) and the timestamp
 * cookie, keyed with SipHash-2-4.
 *
 * Why this layout: the 32-bit ISN must let us recover, from the client's ACK
 * alone, (a) that we issued it (a keyed MAC over the tuple, the client's ISN
 * and the time), (b) when (a time counter, so old cookies expire), and (c)
 * the client's MSS (a 3-bit class). Options the ISN cannot hold (window
 * scale, SACK-permitted, ECN) ride in the low bits of our SYN-ACK TSval,
 * which a timestamp-using client echoes in every TSecr (the trick Linux
 * syncookies and SYNPROXY use). Without timestamps those options are simply
 * not offered, so nothing needs remembering.
 *
 * Invariants: no state, no clock: the secret and now_ns are parameters; the
 * same inputs always give the same cookie.
 */
#include <string.h>

#include "l7splice/tcp.h"

/* MSS classes: common path MTUs minus 40 (IPv4) or 60 (IPv6) bytes of
 * headers, and 536, the RFC 9293 default. Ascending. */
const uint16_t l7_syncookie_mss_table[L7_SYNCOOKIE_MSS_CLASSES] = {
	536, 1200, 1220, 1360, 1400, 1440, 1460, 8960,
};

#define COOKIE_T_BITS 5
#define COOKIE_T_MASK ((1u << COOKIE_T_BITS) - 1)
#define COOKIE_HASH_MASK 0xffffffu
#define DEFAULT_PERIOD_NS (64ull * 1000000000ull)
#define DEFAULT_MAX_AGE 2

/* ------------------------------------------------------------ SipHash */

static inline uint64_t rotl64(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* One SipRound on the four-word state. */
static inline void sipround(uint64_t v[4])
{
	v[0] += v[1]; v[1] = rotl64(v[1], 13); v[1] ^= v[0]; v[0] = rotl64(v[0], 32);
	v[2] += v[3]; v[3] = rotl64(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = rotl64(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = rotl64(v[1], 17); v[1] ^= v[2]; v[2] = rotl64(v[2], 32);
}

uint64_t l7_siphash24(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	uint64_t v[4] = { k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
			  k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull };
	size_t full = len & ~(size_t)7;
	for (size_t i = 0; i < full; i += 8) {
		uint64_t m = load_le64(in + i);
		v[3] ^= m;
		sipround(v);
		sipround(v);
		v[0] ^= m;
	}
	/* Last block: the remaining bytes, and the length in the top byte. */
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < (len & 7); i++)
		b |= (uint64_t)in[full + i] << (8 * i);
	v[3] ^= b;
	sipround(v);
	sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* ------------------------------------------------------------ cookies */

unsigned l7_syncookie_mss_class(uint16_t mss)
{
	unsigned c = 0;
	for (unsigned i = 0; i < L7_SYNCOOKIE_MSS_CLASSES; i++)
		if (l7_syncookie_mss_table[i] <= mss)
			c = i;
	return c;
}

static uint64_t period_of(const struct l7_syncookie_key *key)
{
	return key->period_ns ? key->period_ns : DEFAULT_PERIOD_NS;
}

/* The 24-bit MAC over everything the cookie vouches for. */
static uint32_t cookie_mac(const struct l7_syncookie_key *key,
			   const struct l7_flow_key *k, uint32_t client_isn,
			   uint64_t counter, unsigned mss_class)
{
	uint8_t msg[sizeof(*k) + 4 + 8 + 1];
	size_t n = 0;
	memcpy(msg, k, sizeof(*k));
	n += sizeof(*k);
	l7_put_be32(msg + n, client_isn);
	n += 4;
	for (int i = 0; i < 8; i++)
		msg[n++] = (uint8_t)(counter >> (8 * i));
	msg[n++] = (uint8_t)mss_class;
	return (uint32_t)l7_siphash24(key->secret, msg, n) & COOKIE_HASH_MASK;
}

uint32_t l7_syncookie_make(const struct l7_syncookie_key *key,
			   const struct l7_flow_key *k, uint32_t client_isn,
			   uint16_t mss, l7_time_ns now_ns)
{
	uint64_t counter = now_ns / period_of(key);
	unsigned cls = l7_syncookie_mss_class(mss ? mss : 536);
	return (uint32_t)(counter & COOKIE_T_MASK) << 27 | (uint32_t)cls << 24 |
	       cookie_mac(key, k, client_isn, counter, cls);
}

int l7_syncookie_check(const struct l7_syncookie_key *key,
		       const struct l7_flow_key *k, uint32_t client_isn,
		       uint32_t cookie, l7_time_ns now_ns, uint16_t *mss_out)
{
	uint64_t now_counter = now_ns / period_of(key);
	unsigned t5 = cookie >> 27, cls = (cookie >> 24) & 7;
	/* Latest counter <= now whose low 5 bits are t5. */
	uint64_t age = (now_counter - t5) & COOKIE_T_MASK;
	if (age > now_counter)
		return L7_EBADCOOKIE; /* claims a time before the epoch */
	uint64_t counter = now_counter - age;
	if (cookie_mac(key, k, client_isn, counter, cls) != (cookie & COOKIE_HASH_MASK))
		return L7_EBADCOOKIE;
	unsigned max_age = key->max_age ? key->max_age : DEFAULT_MAX_AGE;
	if (age > max_age)
		return L7_ESTALECOOKIE;
	if (mss_out)
		*mss_out = l7_syncookie_mss_table[cls];
	return 0;
}

/* ------------------------------------------------------------ TS cookie */

uint32_t l7_tscookie_encode(uint32_t ts_now, const struct l7_syn_opts *o)
{
	uint32_t bits = o->ws_ok ? (uint32_t)(o->wscale > 14 ? 14 : o->wscale)
				 : L7_TSCOOKIE_NO_WS;
	if (o->sack_ok)
		bits |= 1u << 4;
	if (o->ecn_ok)
		bits |= 1u << 5;
	uint32_t mask = (1u << L7_TSCOOKIE_BITS) - 1;
	uint32_t ts = (ts_now & ~mask) | bits;
	/* Never run ahead of the clock: a later real TSval must not look older. */
	if (ts > ts_now)
		ts -= 1u << L7_TSCOOKIE_BITS;
	return ts;
}

void l7_tscookie_decode(uint32_t ts_ecr, struct l7_syn_opts *o)
{
	unsigned ws = ts_ecr & 0xf;
	o->ws_ok = ws != L7_TSCOOKIE_NO_WS;
	o->wscale = o->ws_ok ? (uint8_t)(ws > 14 ? 14 : ws) : 0;
	o->sack_ok = (ts_ecr >> 4) & 1;
	o->ecn_ok = (ts_ecr >> 5) & 1;
	o->ts_ok = 1;
}

int l7_syn_opts_parse(const uint8_t *opts, size_t len, uint16_t tcp_flags,
		      struct l7_syn_opts *o)
{
	struct l7_tcp_opts t;
	memset(o, 0, sizeof(*o));
	int rc = l7_tcp_opts_parse(opts, len, &t);
	if (rc < 0)
		return rc;
	if (t.has & L7_TCPO_HAS_MSS)
		o->mss = t.mss;
	if (t.has & L7_TCPO_HAS_WS) {
		o->ws_ok = 1;
		o->wscale = t.wscale > 14 ? 14 : t.wscale; /* RFC 7323 §2.3 */
	}
	o->sack_ok = (t.has & L7_TCPO_HAS_SACK_PERM) != 0;
	if (t.has & L7_TCPO_HAS_TS) {
		o->ts_ok = 1;
		o->ts_val = t.ts_val;
	}
	o->ecn_ok = (tcp_flags & (L7_TCP_ECE | L7_TCP_CWR)) == (L7_TCP_ECE | L7_TCP_CWR);
	return 0;
}
