/*
 * conn.c — the connection table of the streaming TCP tracker: lookup by
 * canonical 5-tuple, the client choice, connection lives (open, close,
 * reuse), idle retirement and eviction. The byte streams of each direction
 * are reassembled by conn_stream.c.
 *
 * Memory: everything is allocated in l7_conn_tracker_create(): a fixed
 * array of entries, a chained hash over them, and the chunk pool of the
 * stream buffers. Two LRU lists order the entries by last packet: open
 * connections (retired after idle_timeout_ns, evicted first-to-last when the
 * table is full) and closed ones kept for closed_linger_ns so that the last
 * ACK or a retransmitted FIN does not open a phantom connection.
 *
 * Invariants: an entry is in exactly one of {free list, open LRU, closed
 * LRU}; an entry is in the hash iff it is not free; the connection ids are
 * consecutive in opening order. No allocation after create.
 */
#include <stdlib.h>
#include <string.h>

#include "conn_internal.h"

#define DEFAULT_MAX_CONNS 65536u
#define DEFAULT_OOO_POOL (16u << 20)
#define DEFAULT_OOO_MAX (256u << 10)
#define DEFAULT_IDLE_NS (300ull * 1000000000ull)
#define DEFAULT_LINGER_NS (60ull * 1000000000ull)

/* ------------------------------------------------------------ hashing */

/* 37 key bytes, read as words; a multiply-xorshift mix (not keyed: the
 * tracker reads traces, it is not exposed to an adversary choosing ports
 * in real time; the chain length stays bounded by max_conns anyway). */
static uint32_t key_hash(const struct l7_flow_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint64_t h = 0x9e3779b97f4a7c15ull, w;
	for (int i = 0; i < 4; i++) {
		memcpy(&w, b + 8 * i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	w = (uint64_t)b[32] | (uint64_t)b[33] << 8 | (uint64_t)b[34] << 16 |
	    (uint64_t)b[35] << 24 | (uint64_t)b[36] << 32;
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	return (uint32_t)(h ^ (h >> 29));
}

static struct centry *lookup(struct l7_conn_tracker *t, const struct l7_flow_key *canon,
			     uint32_t bucket)
{
	for (uint32_t i = t->buckets[bucket]; i != L7_NIL; i = t->ents[i].hnext)
		if (!memcmp(&t->ents[i].canon, canon, sizeof(*canon)))
			return &t->ents[i];
	return NULL;
}

static void hash_unlink(struct l7_conn_tracker *t, struct centry *e)
{
	uint32_t idx = (uint32_t)(e - t->ents);
	uint32_t *pp = &t->buckets[e->bucket];
	while (*pp != idx)
		pp = &t->ents[*pp].hnext;
	*pp = e->hnext;
}

/* ------------------------------------------------------------ LRU lists */

static void lru_unlink(struct l7_conn_tracker *t, struct centry *e)
{
	struct lru *l = e->closed ? &t->closed_lru : &t->open_lru;
	if (e->lprev != L7_NIL)
		t->ents[e->lprev].lnext = e->lnext;
	else
		l->head = e->lnext;
	if (e->lnext != L7_NIL)
		t->ents[e->lnext].lprev = e->lprev;
	else
		l->tail = e->lprev;
}

static void lru_append(struct l7_conn_tracker *t, struct centry *e)
{
	struct lru *l = e->closed ? &t->closed_lru : &t->open_lru;
	uint32_t idx = (uint32_t)(e - t->ents);
	e->lnext = L7_NIL;
	e->lprev = l->tail;
	if (l->tail != L7_NIL)
		t->ents[l->tail].lnext = idx;
	else
		l->head = idx;
	l->tail = idx;
}

static void touch(struct l7_conn_tracker *t, struct centry *e, l7_time_ns now)
{
	e->c.last_ns = now;
	if (e->lnext == L7_NIL)
		return; /* already the most recent */
	lru_unlink(t, e);
	lru_append(t, e);
}

/* ------------------------------------------------------------ lives */

/* Drop an entry from the table entirely (it must be closed already). */
static void forget(struct l7_conn_tracker *t, struct centry *e)
{
	lru_unlink(t, e);
	hash_unlink(t, e);
	e->in_use = 0;
	e->hnext = t->free_head;
	t->free_head = (uint32_t)(e - t->ents);
}

/*
 * End a live connection: flush what is buffered (holes become gaps),
 * release its chunks, tell the consumer. FIN and RST ends keep the entry on
 * the closed list to absorb stray packets; the others forget it.
 */
static void end_conn(struct l7_conn_tracker *t, struct centry *e,
		     enum l7_conn_end why, l7_time_ns now)
{
	if (why != L7_CONN_END_FIN) {
		l7_stream_flush(t, e, L7_CONN_C2S, now);
		l7_stream_flush(t, e, L7_CONN_S2C, now);
	}
	l7_stream_release(t, e);
	lru_unlink(t, e);
	e->closed = 1;
	lru_append(t, e);
	e->c.flags |= L7_CONN_F_CLOSED;
	t->counts.closed[why]++;
	t->counts.active--;
	if (t->cfg.cb.on_close)
		t->cfg.cb.on_close(t->cfg.user, &e->c, why, now);
	if (why != L7_CONN_END_FIN && why != L7_CONN_END_RST)
		forget(t, e);
}

/* A free entry: from the free list, else the oldest closed, else evict
 * the least recently used open connection. */
static struct centry *take_entry(struct l7_conn_tracker *t, l7_time_ns now)
{
	if (t->free_head == L7_NIL) {
		if (t->closed_lru.head != L7_NIL)
			forget(t, &t->ents[t->closed_lru.head]);
		else
			end_conn(t, &t->ents[t->open_lru.head], L7_CONN_END_EVICTED, now);
	}
	struct centry *e = &t->ents[t->free_head];
	t->free_head = e->hnext;
	return e;
}

/*
 * The client of a new connection, as documented in conn.h: SYN sender,
 * SYN-ACK receiver; without either, a well-known port (< 1024) facing a
 * higher one is the server's; else the sender of this first packet is the
 * client (in HTTP the client speaks first; a capture that starts in the
 * middle of a response on two high ports is guessed wrong, and flagged).
 * Returns 1 if the packet's sender is the client.
 */
static int sender_is_client(const struct l7_pkt *p, int *guessed)
{
	uint16_t f = p->tcp_flags;
	*guessed = 0;
	if ((f & L7_TCP_SYN) && !(f & L7_TCP_ACK))
		return 1;
	if ((f & L7_TCP_SYN) && (f & L7_TCP_ACK))
		return 0;
	*guessed = 1;
	if (p->dport < 1024 && p->sport >= 1024)
		return 1;
	if (p->sport < 1024 && p->dport >= 1024)
		return 0;
	return 1;
}

static struct centry *open_conn(struct l7_conn_tracker *t, const struct l7_flow_key *canon,
				uint32_t bucket, const struct l7_flow_key *pkey, int swapped,
				const struct l7_pkt *p, l7_time_ns now)
{
	struct centry *e = take_entry(t, now);
	int guessed;
	int client = sender_is_client(p, &guessed);

	memset(e, 0, sizeof(*e));
	e->canon = *canon;
	e->c.key = *pkey;
	if (!client)
		l7_flow_key_reverse(&e->c.key);
	e->client_is_first = (uint8_t)(client == !swapped);
	e->c.id = ++t->next_id;
	e->c.first_ns = e->c.last_ns = now;
	if (guessed)
		e->c.flags |= L7_CONN_F_GUESSED | L7_CONN_F_MIDSTREAM;
	l7_stream_init(e);
	e->in_use = 1;
	e->bucket = bucket;
	e->hnext = t->buckets[bucket];
	t->buckets[bucket] = (uint32_t)(e - t->ents);
	lru_append(t, e);
	t->counts.opened++;
	if (++t->counts.active > t->counts.max_active)
		t->counts.max_active = t->counts.active;
	if (t->cfg.cb.on_open)
		t->cfg.cb.on_open(t->cfg.user, &e->c, now);
	return e;
}

/* Direction of a packet whose key needed `swapped` to become canonical:
 * its sender is the canonical first endpoint iff !swapped. */
static enum l7_conn_dir pkt_dir(const struct centry *e, int swapped)
{
	return (!swapped) == e->client_is_first ? L7_CONN_C2S : L7_CONN_S2C;
}

/*
 * A new client SYN with another ISN on a live connection that already
 * carried data or a FIN means the old life ended unseen (a lost RST, or a
 * port reused after TIME_WAIT): start over.
 */
static int is_new_life(const struct centry *e, enum l7_conn_dir dir, const struct l7_pkt *p)
{
	const struct l7_half *h = &e->h[L7_CONN_C2S];
	if (dir != L7_CONN_C2S || (p->tcp_flags & (L7_TCP_SYN | L7_TCP_ACK)) != L7_TCP_SYN)
		return 0;
	if (!h->isn_known || h->isn == p->tcp_seq)
		return 0;
	return e->c.dir[0].bytes || e->c.dir[1].bytes ||
	       (e->c.flags & (L7_CONN_F_FIN_C | L7_CONN_F_FIN_S));
}

/* 1 if the oldest open or closed entry has timed out at `now` (the cheap
 * test done on every packet before walking the LRU lists). */
static int expire_due(const struct l7_conn_tracker *t, l7_time_ns now)
{
	if (t->open_lru.head != L7_NIL) {
		l7_time_ns last = t->ents[t->open_lru.head].c.last_ns;
		if (now >= last && now - last >= t->cfg.idle_timeout_ns)
			return 1;
	}
	if (t->closed_lru.head != L7_NIL) {
		l7_time_ns last = t->ents[t->closed_lru.head].c.last_ns;
		if (now >= last && now - last >= t->cfg.closed_linger_ns)
			return 1;
	}
	return 0;
}

int l7_conn_track(struct l7_conn_tracker *t, const struct l7_pkt *p, l7_time_ns now)
{
	struct l7_flow_key key, canon;

	t->counts.packets++;
	if (!p || !(p->layers & L7_PKT_L4) || p->proto != L7_IPPROTO_TCP) {
		t->counts.not_tcp++;
		return L7_ENOTTCP;
	}
	if (expire_due(t, now))
		l7_conn_expire(t, now);
	l7_flow_key_from_pkt(&key, p);
	canon = key;
	int swapped = l7_flow_key_canon(&canon);
	uint32_t bucket = key_hash(&canon) & t->bucket_mask;
	struct centry *e = lookup(t, &canon, bucket);
	int is_syn = (p->tcp_flags & (L7_TCP_SYN | L7_TCP_ACK)) == L7_TCP_SYN;

	if (e && e->closed) {
		/* A SYN with the closed life's own ISN is a late or retransmitted
		 * copy of its first SYN, not a new connection. */
		if (!is_syn || (pkt_dir(e, swapped) == L7_CONN_C2S &&
				e->h[L7_CONN_C2S].isn_known &&
				e->h[L7_CONN_C2S].isn == p->tcp_seq)) {
			t->counts.stray++;
			e->c.dir[pkt_dir(e, swapped)].packets++;
			touch(t, e, now);
			return 0;
		}
		forget(t, e);
		e = NULL;
		t->counts.reused++;
	} else if (e && is_new_life(e, pkt_dir(e, swapped), p)) {
		end_conn(t, e, L7_CONN_END_REUSED, now);
		e = NULL;
		t->counts.reused++;
	}
	if (!e)
		e = open_conn(t, &canon, bucket, &key, swapped, p, now);
	else
		touch(t, e, now);

	enum l7_conn_dir dir = pkt_dir(e, swapped);
	int ended = l7_stream_segment(t, e, dir, p, now);
	if (ended == 1)
		end_conn(t, e, L7_CONN_END_FIN, now);
	else if (ended == 2)
		end_conn(t, e, L7_CONN_END_RST, now);
	return 0;
}

void l7_conn_expire(struct l7_conn_tracker *t, l7_time_ns now)
{
	while (t->open_lru.head != L7_NIL) {
		struct centry *e = &t->ents[t->open_lru.head];
		if (now < e->c.last_ns || now - e->c.last_ns < t->cfg.idle_timeout_ns)
			break;
		end_conn(t, e, L7_CONN_END_IDLE, now);
	}
	while (t->closed_lru.head != L7_NIL) {
		struct centry *e = &t->ents[t->closed_lru.head];
		if (now < e->c.last_ns || now - e->c.last_ns < t->cfg.closed_linger_ns)
			break;
		forget(t, e);
	}
}

void l7_conn_flush(struct l7_conn_tracker *t, l7_time_ns now)
{
	while (t->open_lru.head != L7_NIL)
		end_conn(t, &t->ents[t->open_lru.head], L7_CONN_END_FLUSH, now);
	while (t->closed_lru.head != L7_NIL)
		forget(t, &t->ents[t->closed_lru.head]);
}

/* ------------------------------------------------------------ create */

static uint32_t pow2_at_least(uint64_t n)
{
	uint32_t p = 1;
	while (p < n && p < (1u << 31))
		p <<= 1;
	return p;
}

int l7_conn_tracker_create(struct l7_conn_tracker **out, const struct l7_conn_config *cfg)
{
	if (!out || !cfg)
		return L7_EINVAL;
	*out = NULL;
	struct l7_conn_tracker *t = calloc(1, sizeof(*t));
	if (!t)
		return L7_ENOMEM;
	t->cfg = *cfg;
	if (!t->cfg.max_conns)
		t->cfg.max_conns = DEFAULT_MAX_CONNS;
	if (!t->cfg.ooo_pool_bytes)
		t->cfg.ooo_pool_bytes = DEFAULT_OOO_POOL;
	if (!t->cfg.ooo_max_bytes)
		t->cfg.ooo_max_bytes = DEFAULT_OOO_MAX;
	if (!t->cfg.idle_timeout_ns)
		t->cfg.idle_timeout_ns = DEFAULT_IDLE_NS;
	if (!t->cfg.closed_linger_ns)
		t->cfg.closed_linger_ns = DEFAULT_LINGER_NS;
	if (t->cfg.max_conns > (1u << 28)) {
		free(t);
		return L7_EINVAL;
	}
	uint32_t nb = pow2_at_least(2ull * t->cfg.max_conns);
	t->bucket_mask = nb - 1;
	t->buckets = malloc((size_t)nb * sizeof(*t->buckets));
	t->ents = calloc(t->cfg.max_conns, sizeof(*t->ents));
	int rc = t->buckets && t->ents ? l7_pool_init(&t->pool, t->cfg.ooo_pool_bytes) : L7_ENOMEM;
	if (rc) {
		l7_conn_tracker_destroy(t);
		return rc;
	}
	memset(t->buckets, 0xff, (size_t)nb * sizeof(*t->buckets));
	for (uint32_t i = 0; i < t->cfg.max_conns; i++)
		t->ents[i].hnext = i + 1 < t->cfg.max_conns ? i + 1 : L7_NIL;
	t->free_head = 0;
	t->open_lru.head = t->open_lru.tail = L7_NIL;
	t->closed_lru.head = t->closed_lru.tail = L7_NIL;
	*out = t;
	return 0;
}

void l7_conn_tracker_destroy(struct l7_conn_tracker *t)
{
	if (!t)
		return;
	l7_pool_fini(&t->pool);
	free(t->buckets);
	free(t->ents);
	free(t);
}

const struct l7_conn_counts *l7_conn_tracker_counts(const struct l7_conn_tracker *t)
{
	return &t->counts;
}

const char *l7_conn_end_name(enum l7_conn_end why)
{
	static const char *const names[] = { "fin", "rst", "idle", "evicted", "flush", "reused" };
	if ((unsigned)why < sizeof(names) / sizeof(names[0]))
		return names[why];
	return "unknown";
}
