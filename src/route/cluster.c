/*
 * cluster.c — a cluster's endpoint set: stable ids, health, weights,
 * in-flight counters, cookie stickiness, and the pick/release pair that
 * dispatches to the policy in lb.c.
 *
 * Invariants:
 * - An endpoint keeps its slot from add to remove, so in-flight counters and
 *   round-robin state of the others survive any update; a pick carries
 *   (slot, id, generation) and a release for an endpoint that has since been
 *   removed (or removed and re-added) is refused, never miscounted.
 * - Every update calls rebuild(), which recomputes the eligible set and the
 *   policy tables in memory allocated at create time. Picks never allocate.
 * - Stickiness names endpoints by id, so a cookie stays valid across
 *   additions and removals of other endpoints; a draining endpoint keeps its
 *   sticky clients, a down one loses them.
 */
#include <stdlib.h>
#include <string.h>

#include "route_internal.h"

#define DEFAULT_MAX_ENDPOINTS 64u
#define DEFAULT_CHOICE_COUNT 2u
#define MAX_CAPACITY (1u << 20)
#define MAX_MAGLEV (1u << 24)
#define MAX_RING (1u << 26)
#define MAX_VNODES 4096u

/* ---------------------------------------------------------------- id map */

static uint32_t idmap_home(const struct l7_cluster *c, uint64_t id)
{
	return (uint32_t)l7r_mix64(id) & c->idmap_mask;
}

static uint32_t idmap_find(const struct l7_cluster *c, uint64_t id)
{
	for (uint32_t i = idmap_home(c, id);; i = (i + 1) & c->idmap_mask) {
		uint32_t s = c->idmap[i];
		if (s == L7_NONE)
			return L7_NONE;
		if (c->eps[s].id == id)
			return s;
	}
}

static void idmap_put(struct l7_cluster *c, uint64_t id, uint32_t slot)
{
	uint32_t i = idmap_home(c, id);
	while (c->idmap[i] != L7_NONE)
		i = (i + 1) & c->idmap_mask;
	c->idmap[i] = slot;
}

/* Linear-probing delete with backward shift (Knuth, TAOCP 6.4, Alg. R):
 * no tombstones, so probes stay short however many updates happen. */
static void idmap_del(struct l7_cluster *c, uint64_t id)
{
	uint32_t i = idmap_home(c, id);
	while (c->eps[c->idmap[i]].id != id)
		i = (i + 1) & c->idmap_mask;
	for (uint32_t j = (i + 1) & c->idmap_mask;; j = (j + 1) & c->idmap_mask) {
		uint32_t s = c->idmap[j];
		if (s == L7_NONE)
			break;
		uint32_t k = idmap_home(c, c->eps[s].id);
		/* move j back to i unless its home lies cyclically in (i, j] */
		bool stays = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
		if (!stays) {
			c->idmap[i] = s;
			i = j;
		}
	}
	c->idmap[i] = L7_NONE;
}

/* ---------------------------------------------------------------- create */

int l7_cluster_create(const char *name, const struct l7_cluster_options *opt,
		      struct l7_cluster **out)
{
	struct l7_cluster_options o = { 0 };
	if (!name || !out)
		return L7_EINVAL;
	if (opt)
		o = *opt;
	if (o.max_endpoints == 0)
		o.max_endpoints = DEFAULT_MAX_ENDPOINTS;
	if (o.ring_vnodes == 0)
		o.ring_vnodes = L7_RING_DEFAULT_VNODES;
	if (o.maglev_table_size == 0)
		o.maglev_table_size = L7_MAGLEV_DEFAULT_TABLE_SIZE;
	if (o.choice_count == 0)
		o.choice_count = DEFAULT_CHOICE_COUNT;
	if ((unsigned)o.policy > L7_LB_MAGLEV || o.max_endpoints > MAX_CAPACITY ||
	    o.ring_vnodes > MAX_VNODES ||
	    (o.policy == L7_LB_RING_HASH &&
	     (uint64_t)(o.ring_vnodes + 2) * o.max_endpoints > MAX_RING) || o.choice_count > 64 ||
	    o.maglev_table_size > MAX_MAGLEV || !l7r_is_prime(o.maglev_table_size) ||
	    (o.policy == L7_LB_MAGLEV && o.maglev_table_size < o.max_endpoints))
		return L7_ERANGE;

	struct l7_cluster *c = calloc(1, sizeof *c);
	if (!c)
		return L7_ENOMEM;
	c->policy = o.policy;
	c->cap = o.max_endpoints;
	c->ring_vnodes = o.ring_vnodes;
	c->choice_count = o.choice_count;
	l7_route_rng_seed(&c->rng, o.seed);
	uint32_t icap = 2;
	while (icap < 2 * c->cap)
		icap <<= 1;
	c->idmap_mask = icap - 1;
	c->name = strdup(name);
	c->eps = calloc(c->cap, sizeof *c->eps);
	c->order = calloc(c->cap, sizeof *c->order);
	c->elig = calloc(c->cap, sizeof *c->elig);
	c->cum = calloc(c->cap, sizeof *c->cum);
	c->idmap = malloc(icap * sizeof *c->idmap);
	bool ok = c->name && c->eps && c->order && c->elig && c->cum && c->idmap;
	if (ok && c->policy == L7_LB_RING_HASH) {
		/* sum of round(V * w / w_avg) <= (V + 1) n, plus one each for max(1) */
		c->ring_cap = (c->ring_vnodes + 2) * c->cap;
		c->ring = calloc(c->ring_cap, sizeof *c->ring);
		ok = c->ring != NULL;
	}
	if (ok && c->policy == L7_LB_MAGLEV) {
		c->m = o.maglev_table_size;
		c->mtable = malloc((size_t)c->m * sizeof *c->mtable);
		c->m_work = calloc(5 * (size_t)c->cap, sizeof *c->m_work);
		c->m_credit = calloc(c->cap, sizeof *c->m_credit);
		ok = c->mtable && c->m_work && c->m_credit;
		for (uint32_t i = 0; ok && i < c->m; i++)
			c->mtable[i] = L7_NONE;
	}
	if (!ok) {
		l7_cluster_destroy(c);
		return L7_ENOMEM;
	}
	for (uint32_t i = 0; i < icap; i++)
		c->idmap[i] = L7_NONE;
	*out = c;
	return 0;
}

void l7_cluster_destroy(struct l7_cluster *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->eps);
	free(c->order);
	free(c->elig);
	free(c->cum);
	free(c->idmap);
	free(c->ring);
	free(c->mtable);
	free(c->m_work);
	free(c->m_credit);
	for (size_t i = 0; i < c->n_hp; i++)
		free(c->hp[i].name);
	free(c->hp);
	free(c->sticky);
	free(c);
}

const char *l7_cluster_name(const struct l7_cluster *c)
{
	return c->name;
}

enum l7_lb_policy l7_cluster_policy(const struct l7_cluster *c)
{
	return c->policy;
}

const char *l7_cluster_sticky_cookie(const struct l7_cluster *c)
{
	return c->sticky;
}

int l7r_cluster_set_hash_policies(struct l7_cluster *c, const struct l7r_hash_policy *p,
				  size_t n)
{
	struct l7r_hash_policy *hp = calloc(n + 1, sizeof *hp);
	if (!hp)
		return L7_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		hp[i].kind = p[i].kind;
		if (p[i].name) {
			hp[i].name = strdup(p[i].name);
			hp[i].name_len = strlen(p[i].name);
			if (!hp[i].name) {
				for (size_t j = 0; j < i; j++)
					free(hp[j].name);
				free(hp);
				return L7_ENOMEM;
			}
		}
	}
	for (size_t i = 0; i < c->n_hp; i++)
		free(c->hp[i].name);
	free(c->hp);
	c->hp = hp;
	c->n_hp = n;
	return 0;
}

int l7r_cluster_set_sticky(struct l7_cluster *c, const char *cookie_name)
{
	char *s = NULL;
	if (cookie_name && !(s = strdup(cookie_name)))
		return L7_ENOMEM;
	free(c->sticky);
	c->sticky = s;
	c->sticky_len = s ? strlen(s) : 0;
	return 0;
}

/* ---------------------------------------------------------------- updates */

static int rebuild(struct l7_cluster *c)
{
	c->n_elig = 0;
	c->total_weight = 0;
	for (uint32_t i = 0; i < c->n_eps; i++) {
		const struct l7r_ep *e = &c->eps[c->order[i]];
		if (e->health != L7_EP_UP || e->weight == 0)
			continue;
		c->total_weight += e->weight;
		c->cum[c->n_elig] = c->total_weight;
		c->elig[c->n_elig++] = c->order[i];
	}
	if (c->policy == L7_LB_RING_HASH)
		return l7r_ring_build(c);
	if (c->policy == L7_LB_MAGLEV)
		return l7r_maglev_build(c);
	return 0;
}

int l7_cluster_add_endpoint(struct l7_cluster *c, const char *address, uint16_t port,
			    uint32_t weight, uint64_t *id_out)
{
	if (!c || !address || !address[0] || strlen(address) >= L7_ENDPOINT_ADDR_MAX)
		return L7_EINVAL;
	if (weight == 0 || weight > L7R_WEIGHT_MAX)
		return L7_ERANGE;
	uint64_t id = l7_endpoint_id(address, port);
	if (idmap_find(c, id) != L7_NONE)
		return L7_EEXIST;
	if (c->n_eps == c->cap)
		return L7_EFULL;
	uint32_t slot = 0;
	while (c->eps[slot].used)
		slot++;
	struct l7r_ep *e = &c->eps[slot];
	memset(e, 0, sizeof *e);
	e->id = id;
	strcpy(e->address, address);
	e->port = port;
	e->used = true;
	e->health = L7_EP_UP;
	e->weight = weight;
	e->generation = ++c->generation;
	c->order[c->n_eps++] = slot;
	idmap_put(c, id, slot);
	if (id_out)
		*id_out = id;
	return rebuild(c);
}

int l7_cluster_remove_endpoint(struct l7_cluster *c, uint64_t id)
{
	uint32_t slot = c ? idmap_find(c, id) : L7_NONE;
	if (slot == L7_NONE)
		return L7_ENOENT;
	idmap_del(c, id);
	c->eps[slot].used = false;
	uint32_t k = 0;
	for (uint32_t i = 0; i < c->n_eps; i++)
		if (c->order[i] != slot)
			c->order[k++] = c->order[i];
	c->n_eps = k;
	return rebuild(c);
}

int l7_cluster_set_health(struct l7_cluster *c, uint64_t id, enum l7_endpoint_health h)
{
	uint32_t slot = c ? idmap_find(c, id) : L7_NONE;
	if (slot == L7_NONE)
		return L7_ENOENT;
	if ((unsigned)h > L7_EP_DOWN)
		return L7_EINVAL;
	c->eps[slot].health = (uint8_t)h;
	return rebuild(c);
}

int l7_cluster_set_weight(struct l7_cluster *c, uint64_t id, uint32_t weight)
{
	uint32_t slot = c ? idmap_find(c, id) : L7_NONE;
	if (slot == L7_NONE)
		return L7_ENOENT;
	if (weight == 0 || weight > L7R_WEIGHT_MAX)
		return L7_ERANGE;
	c->eps[slot].weight = weight;
	return rebuild(c);
}

/* ---------------------------------------------------------------- picks */

static int parse_hex64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	if (len != 16)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		int d = (ch >= '0' && ch <= '9') ? ch - '0'
		      : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10
		      : (ch >= 'A' && ch <= 'F') ? ch - 'A' + 10 : -1;
		if (d < 0)
			return 0;
		v = (v << 4) | (uint64_t)d;
	}
	*out = v;
	return 1;
}

/* The endpoint the request's sticky cookie names, if it may take it. */
static uint32_t sticky_slot(const struct l7_cluster *c, const struct l7_route_request *req)
{
	const char *v;
	size_t len;
	uint64_t id;
	if (!c->sticky || !req || !l7r_find_cookie(req, c->sticky, c->sticky_len, &v, &len) ||
	    !parse_hex64(v, len, &id))
		return L7_NONE;
	uint32_t s = idmap_find(c, id);
	if (s == L7_NONE || c->eps[s].health == L7_EP_DOWN)
		return L7_NONE;
	return s;
}

/* A header or one of the pseudo-headers Envoy keeps in its header map. */
static int header_value(const struct l7_route_request *req, const char *name, size_t name_len,
			const char **v, size_t *len)
{
	const char *s = NULL;
	size_t n = 0;
	if (name_len == 5 && memcmp(name, ":path", 5) == 0) {
		s = req->path;
		n = req->path_len;
	} else if (name_len == 10 && memcmp(name, ":authority", 10) == 0) {
		s = req->host;
		n = req->host_len;
	} else if (name_len == 7 && memcmp(name, ":method", 7) == 0) {
		s = req->method;
		n = req->method_len;
	} else {
		return l7r_find_header(req, name, name_len, v, len);
	}
	*v = s;
	*len = n;
	return s != NULL;
}

/* Envoy's HashPolicyImpl::generateHash: every policy that yields a value
 * is folded in as hash = rotl(hash, 1) ^ new. Returns 0 when none did. */
static int key_hash(const struct l7_cluster *c, const struct l7_lb_input *in, uint64_t *out)
{
	if (in->has_hash) {
		*out = in->hash;
		return 1;
	}
	int have = 0;
	uint64_t acc = 0;
	for (size_t i = 0; i < c->n_hp; i++) {
		const struct l7r_hash_policy *p = &c->hp[i];
		const char *v = NULL;
		size_t len = 0;
		int found = 0;
		if (p->kind == L7R_HASH_SOURCE_IP) {
			found = in->src_addr && in->src_addr_len > 0;
			v = in->src_addr;
			len = in->src_addr_len;
		} else if (in->req && p->kind == L7R_HASH_HEADER) {
			found = header_value(in->req, p->name, p->name_len, &v, &len);
		} else if (in->req && p->kind == L7R_HASH_COOKIE) {
			found = l7r_find_cookie(in->req, p->name, p->name_len, &v, &len);
		}
		if (!found)
			continue;
		uint64_t h = l7_route_hash(v, len, 0);
		acc = have ? (((acc << 1) | (acc >> 63)) ^ h) : h;
		have = 1;
	}
	*out = acc;
	return have;
}

static uint32_t policy_pick(struct l7_cluster *c, const struct l7_lb_input *in)
{
	uint64_t h;
	switch (c->policy) {
	case L7_LB_ROUND_ROBIN:
		return l7r_wrr_pick(c);
	case L7_LB_LEAST_REQUEST:
		return l7r_lr_pick(c);
	case L7_LB_RANDOM:
		return l7r_random_pick(c);
	case L7_LB_RING_HASH:
	case L7_LB_MAGLEV:
		/* no key: a random one, as Envoy does */
		if (!key_hash(c, in, &h))
			h = l7_route_rng_next(&c->rng);
		return c->policy == L7_LB_RING_HASH ? l7r_ring_pick(c, h) : l7r_maglev_pick(c, h);
	}
	return L7_NONE;
}

int l7_cluster_pick(struct l7_cluster *c, const struct l7_lb_input *in,
		    struct l7_endpoint_pick *out)
{
	static const struct l7_lb_input none;
	if (!c || !out)
		return L7_EINVAL;
	if (!in)
		in = &none;
	uint32_t s = sticky_slot(c, in->req);
	bool hit = s != L7_NONE;
	if (!hit) {
		if (c->n_elig == 0)
			return L7_ENOENDPOINT;
		s = policy_pick(c, in);
		if (s == L7_NONE)
			return L7_ENOENDPOINT;
	}
	struct l7r_ep *e = &c->eps[s];
	e->in_flight++;
	e->picks++;
	out->id = e->id;
	out->slot = s;
	out->generation = e->generation;
	out->sticky_hit = hit;
	out->set_cookie = c->sticky != NULL && !hit;
	return 0;
}

int l7_cluster_release(struct l7_cluster *c, const struct l7_endpoint_pick *p)
{
	if (!c || !p || p->slot >= c->cap)
		return L7_EINVAL;
	struct l7r_ep *e = &c->eps[p->slot];
	if (!e->used || e->id != p->id || e->generation != p->generation)
		return L7_ENOENT;
	if (e->in_flight == 0)
		return L7_ESTATE;
	e->in_flight--;
	return 0;
}

/* ---------------------------------------------------------------- info */

size_t l7_cluster_endpoint_count(const struct l7_cluster *c)
{
	return c->n_eps;
}

static void fill_info(const struct l7r_ep *e, struct l7_endpoint_info *out)
{
	out->id = e->id;
	memcpy(out->address, e->address, sizeof out->address);
	out->port = e->port;
	out->weight = e->weight;
	out->health = (enum l7_endpoint_health)e->health;
	out->in_flight = e->in_flight;
	out->picks = e->picks;
}

int l7_cluster_endpoint_at(const struct l7_cluster *c, size_t i, struct l7_endpoint_info *out)
{
	if (!c || !out || i >= c->n_eps)
		return L7_ENOENT;
	fill_info(&c->eps[c->order[i]], out);
	return 0;
}

int l7_cluster_endpoint_info(const struct l7_cluster *c, uint64_t id,
			     struct l7_endpoint_info *out)
{
	uint32_t s = c ? idmap_find(c, id) : L7_NONE;
	if (s == L7_NONE || !out)
		return L7_ENOENT;
	fill_info(&c->eps[s], out);
	return 0;
}
