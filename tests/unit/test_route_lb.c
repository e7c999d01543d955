/*
 * test_route_lb.c — the load-balancing policies of a cluster: the smooth
 * WRR sequence, Maglev balance and disruption, ring hash consistency, least
 * request, weighted random, health, stickiness across endpoint changes,
 * in-flight counters across updates, and the hash policies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "l7splice/route.h"

static struct l7_cluster *mk(enum l7_lb_policy p, uint64_t seed)
{
	struct l7_cluster_options o = { .policy = p, .seed = seed };
	struct l7_cluster *c = NULL;
	assert_int_equal(l7_cluster_create("c", &o, &c), 0);
	return c;
}

static uint64_t add(struct l7_cluster *c, const char *addr, uint32_t w)
{
	uint64_t id = 0;
	assert_int_equal(l7_cluster_add_endpoint(c, addr, 80, w, &id), 0);
	assert_int_equal(id, l7_endpoint_id(addr, 80));
	return id;
}

/* Pick with an explicit key hash; returns the endpoint id and releases. */
static uint64_t pick_key(struct l7_cluster *c, uint64_t key)
{
	struct l7_lb_input in = { .has_hash = 1, .hash = key };
	struct l7_endpoint_pick p;
	assert_int_equal(l7_cluster_pick(c, &in, &p), 0);
	assert_int_equal(l7_cluster_release(c, &p), 0);
	return p.id;
}

static uint64_t pick1(struct l7_cluster *c)
{
	struct l7_endpoint_pick p;
	assert_int_equal(l7_cluster_pick(c, NULL, &p), 0);
	assert_int_equal(l7_cluster_release(c, &p), 0);
	return p.id;
}

static char name_of(uint64_t id, const uint64_t *ids, const char *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return names[i];
	return '?';
}

static void smooth_wrr_is_the_nginx_sequence(void **state)
{
	(void)state;
	struct l7_cluster *c = mk(L7_LB_ROUND_ROBIN, 1);
	uint64_t ids[3] = { add(c, "10.0.0.1", 5), add(c, "10.0.0.2", 1), add(c, "10.0.0.3", 1) };
	char seq[22] = { 0 };
	for (int i = 0; i < 21; i++)
		seq[i] = name_of(pick1(c), ids, "abc", 3);
	/* nginx: a a b a c a a, with period 7 */
	assert_string_equal(seq, "aabacaaaabacaaaabacaa");
	/* b down: a a a a a c a a a a a c ... the 5/1 smooth sequence */
	assert_int_equal(l7_cluster_set_health(c, ids[1], L7_EP_DOWN), 0);
	int na = 0, nc = 0;
	for (int i = 0; i < 60; i++) {
		char x = name_of(pick1(c), ids, "abc", 3);
		assert_true(x == 'a' || x == 'c');
		na += x == 'a';
		nc += x == 'c';
	}
	assert_int_equal(na, 50);
	assert_int_equal(nc, 10);
	/* reweight a to 1: a and c alternate */
	assert_int_equal(l7_cluster_set_weight(c, ids[0], 1), 0);
	assert_int_equal(l7_cluster_set_weight(c, ids[0], 0), L7_ERANGE);
	assert_int_equal(l7_cluster_set_weight(c, 42, 1), L7_ENOENT);
	na = nc = 0;
	for (int i = 0; i < 40; i++) {
		char x = name_of(pick1(c), ids, "abc", 3);
		na += x == 'a';
		nc += x == 'c';
	}
	assert_int_equal(na, 20);
	assert_int_equal(nc, 20);
	/* equal weights: strict alternation, no bursts */
	struct l7_cluster *e = mk(L7_LB_ROUND_ROBIN, 1);
	uint64_t eid[2] = { add(e, "10.0.1.1", 3), add(e, "10.0.1.2", 3) };
	for (int i = 0; i < 10; i++)
		assert_int_equal(name_of(pick1(e), eid, "xy", 2), i % 2 ? 'y' : 'x');
	l7_cluster_destroy(e);
	l7_cluster_destroy(c);
}

/* Maglev over n endpoints "10.1.0.<i>", table size 65537. */
static struct l7_cluster *maglev(size_t n, uint64_t *ids)
{
	struct l7_cluster *c = mk(L7_LB_MAGLEV, 7);
	for (size_t i = 0; i < n; i++) {
		char a[32];
		snprintf(a, sizeof a, "10.1.0.%zu", i + 1);
		ids[i] = add(c, a, 1);
	}
	return c;
}

static size_t idx_of(uint64_t id, const uint64_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return i;
	fail_msg("unknown endpoint id");
	return 0;
}

static void maglev_balance_within_one_percent(void **state)
{
	(void)state;
	const size_t n = 10;
	const uint64_t m = L7_MAGLEV_DEFAULT_TABLE_SIZE;
	uint64_t ids[10];
	struct l7_cluster *c = maglev(n, ids);
	/* table occupancy: key k lands on entry k % m, so keys 0..m-1 read
	 * every entry exactly once */
	uint64_t count[10] = { 0 };
	for (uint64_t k = 0; k < m; k++)
		count[idx_of(pick_key(c, k), ids, n)]++;
	uint64_t mx = 0, mn = UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		mx = count[i] > mx ? count[i] : mx;
		mn = count[i] < mn ? count[i] : mn;
	}
	double ideal = (double)m / (double)n;
	assert_true((double)mx <= ideal * 1.01);
	assert_true((double)mn >= ideal * 0.99);
	/* the population takes turns: occupancy differs by at most one */
	assert_true(mx - mn <= 1);
	l7_cluster_destroy(c);
}

static void maglev_removal_remaps_about_one_nth(void **state)
{
	(void)state;
	const size_t n = 10, keys = 100000;
	uint64_t ids[10];
	struct l7_cluster *c = maglev(n, ids);
	uint64_t *before = malloc(keys * sizeof *before);
	struct l7_route_rng g;
	l7_route_rng_seed(&g, 99);
	uint64_t *key = malloc(keys * sizeof *key);
	for (size_t i = 0; i < keys; i++) {
		key[i] = l7_route_rng_next(&g);
		before[i] = pick_key(c, key[i]);
	}
	assert_int_equal(l7_cluster_remove_endpoint(c, ids[3]), 0);
	size_t moved = 0, moved_survivor = 0, on_removed = 0;
	for (size_t i = 0; i < keys; i++) {
		uint64_t now = pick_key(c, key[i]);
		assert_true(now != ids[3]);
		if (now != before[i]) {
			moved++;
			moved_survivor += before[i] != ids[3];
		}
		on_removed += before[i] == ids[3];
	}
	/* the removed endpoint held 1/N of the keys; all of them move, and
	 * Maglev moves only a few more (NSDI'16 §5.3 trades a little
	 * disruption for balance): measured 0.1024 moved, 0.26 % of the
	 * survivors' keys */
	double on = (double)on_removed / (double)keys;
	double frac = (double)moved / (double)keys;
	assert_true(on >= 0.097 && on <= 0.103);
	assert_true(frac >= on && frac <= on + 0.005);
	assert_true((double)moved_survivor / (double)(keys - on_removed) < 0.005);
	/* adding it back restores the exact original table */
	char a[32];
	snprintf(a, sizeof a, "10.1.0.%d", 4);
	add(c, a, 1);
	for (size_t i = 0; i < keys; i++)
		assert_int_equal(pick_key(c, key[i]), before[i]);
	free(before);
	free(key);
	l7_cluster_destroy(c);
}

static void hash_tables_ignore_insertion_order(void **state)
{
	(void)state;
	static const char *const addrs[] = { "10.2.0.1", "10.2.0.2", "10.2.0.3", "10.2.0.4", "10.2.0.5" };
	for (int p = L7_LB_RING_HASH; p <= L7_LB_MAGLEV; p++) {
		struct l7_cluster *x = mk((enum l7_lb_policy)p, 1), *y = mk((enum l7_lb_policy)p, 2);
		for (int i = 0; i < 5; i++) {
			add(x, addrs[i], (uint32_t)i + 1);
			add(y, addrs[4 - i], (uint32_t)(5 - i));
		}
		struct l7_route_rng g;
		l7_route_rng_seed(&g, 5);
		int seen[5] = { 0 };
		for (int k = 0; k < 20000; k++) {
			uint64_t key = l7_route_rng_next(&g);
			uint64_t a = pick_key(x, key);
			assert_int_equal(a, pick_key(y, key));
			for (int i = 0; i < 5; i++)
				seen[i] += a == l7_endpoint_id(addrs[i], 80);
		}
		/* weights 1..5 of 15: shares near 1/15 .. 5/15 */
		for (int i = 0; i < 5; i++)
			assert_in_range(seen[i], (i + 1) * 20000 / 15 * 8 / 10, (i + 1) * 20000 / 15 * 12 / 10);
		l7_cluster_destroy(x);
		l7_cluster_destroy(y);
	}
}

static void ring_hash_is_consistent(void **state)
{
	(void)state;
	struct l7_cluster_options o = { .policy = L7_LB_RING_HASH, .seed = 3 };
	struct l7_cluster *c = NULL;
	assert_int_equal(l7_cluster_create("ring", &o, &c), 0);
	uint64_t ids[8];
	for (int i = 0; i < 8; i++) {
		char a[32];
		snprintf(a, sizeof a, "10.3.0.%d", i + 1);
		ids[i] = add(c, a, 1);
	}
	const size_t keys = 50000;
	uint64_t *before = malloc(keys * sizeof *before);
	uint64_t *key = malloc(keys * sizeof *key);
	struct l7_route_rng g;
	l7_route_rng_seed(&g, 11);
	size_t share[8] = { 0 };
	for (size_t k = 0; k < keys; k++) {
		key[k] = l7_route_rng_next(&g);
		before[k] = pick_key(c, key[k]);
		share[idx_of(before[k], ids, 8)]++;
	}
	/* 160 points each: shares within +-30% of 1/8 */
	for (int i = 0; i < 8; i++)
		assert_in_range(share[i], keys / 8 * 7 / 10, keys / 8 * 13 / 10);
	/* removing one endpoint moves exactly its keys, nobody else's */
	assert_int_equal(l7_cluster_remove_endpoint(c, ids[5]), 0);
	for (size_t k = 0; k < keys; k++) {
		uint64_t now = pick_key(c, key[k]);
		if (before[k] == ids[5])
			assert_true(now != ids[5]);
		else
			assert_int_equal(now, before[k]);
	}
	/* adding a new endpoint takes keys only for itself */
	uint64_t nid = add(c, "10.3.0.99", 1);
	size_t to_new = 0;
	for (size_t k = 0; k < keys; k++) {
		uint64_t now = pick_key(c, key[k]);
		if (now == nid)
			to_new++;
		else if (before[k] != ids[5])
			assert_int_equal(now, before[k]);
	}
	assert_in_range(to_new, keys / 8 * 7 / 10, keys / 8 * 13 / 10);
	free(before);
	free(key);
	l7_cluster_destroy(c);
}

static void least_request_prefers_the_less_loaded(void **state)
{
	(void)state;
	struct l7_cluster *c = mk(L7_LB_LEAST_REQUEST, 17);
	uint64_t ids[3] = { add(c, "10.4.0.1", 1), add(c, "10.4.0.2", 1), add(c, "10.4.0.3", 1) };
	/* hold in flight: 0 on a, 5 on b, 10 on c, by picking with explicit
	 * loads through a round-robin twin is not possible, so load them by
	 * picking and keeping the picks that land where we want */
	struct l7_endpoint_pick held[64];
	size_t nh = 0;
	size_t want[3] = { 0, 5, 10 }, have[3] = { 0 };
	while (have[1] < want[1] || have[2] < want[2]) {
		struct l7_endpoint_pick p;
		assert_int_equal(l7_cluster_pick(c, NULL, &p), 0);
		size_t i = idx_of(p.id, ids, 3);
		if (have[i] < want[i]) {
			have[i]++;
			held[nh++] = p;
		} else {
			assert_int_equal(l7_cluster_release(c, &p), 0);
		}
	}
	struct l7_endpoint_info info;
	assert_int_equal(l7_cluster_endpoint_info(c, ids[2], &info), 0);
	assert_int_equal(info.in_flight, 10);
	/* two samples with replacement: P(a) = 1 - (2/3)^2 = 5/9, P(c) = 1/9 */
	const int n = 90000;
	int got[3] = { 0 };
	for (int k = 0; k < n; k++)
		got[idx_of(pick1(c), ids, 3)]++;
	assert_in_range(got[0], 50000 - 900, 50000 + 900);
	assert_in_range(got[1], 30000 - 900, 30000 + 900);
	assert_in_range(got[2], 10000 - 900, 10000 + 900);
	for (size_t i = 0; i < nh; i++)
		assert_int_equal(l7_cluster_release(c, &held[i]), 0);
	/* requests that never finish spread evenly: power of two choices */
	struct l7_endpoint_pick p;
	for (int k = 0; k < 3000; k++)
		assert_int_equal(l7_cluster_pick(c, NULL, &p), 0);
	uint32_t mx = 0, mn = UINT32_MAX;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(l7_cluster_endpoint_info(c, ids[i], &info), 0);
		mx = info.in_flight > mx ? info.in_flight : mx;
		mn = info.in_flight < mn ? info.in_flight : mn;
	}
	assert_true(mx - mn <= 12);
	l7_cluster_destroy(c);
}

static void weighted_random_follows_weights(void **state)
{
	(void)state;
	struct l7_cluster *c = mk(L7_LB_RANDOM, 23);
	uint64_t ids[3] = { add(c, "10.5.0.1", 6), add(c, "10.5.0.2", 3), add(c, "10.5.0.3", 1) };
	int got[3] = { 0 };
	for (int k = 0; k < 100000; k++)
		got[idx_of(pick1(c), ids, 3)]++;
	assert_in_range(got[0], 59000, 61000);
	assert_in_range(got[1], 29000, 31000);
	assert_in_range(got[2], 9000, 11000);
	/* same seed, same sequence */
	struct l7_cluster *d = mk(L7_LB_RANDOM, 23);
	struct l7_cluster *e = mk(L7_LB_RANDOM, 23);
	for (int i = 0; i < 3; i++) {
		char a[32];
		snprintf(a, sizeof a, "10.5.0.%d", i + 1);
		add(d, a, 1);
		add(e, a, 1);
	}
	for (int k = 0; k < 100; k++)
		assert_int_equal(pick1(d), pick1(e));
	l7_cluster_destroy(d);
	l7_cluster_destroy(e);
	l7_cluster_destroy(c);
}

static void health_controls_new_picks(void **state)
{
	(void)state;
	for (int p = L7_LB_ROUND_ROBIN; p <= L7_LB_MAGLEV; p++) {
		struct l7_cluster *c = mk((enum l7_lb_policy)p, 29);
		uint64_t a = add(c, "10.6.0.1", 1), b = add(c, "10.6.0.2", 1), d = add(c, "10.6.0.3", 1);
		assert_int_equal(l7_cluster_set_health(c, a, L7_EP_DRAINING), 0);
		assert_int_equal(l7_cluster_set_health(c, b, L7_EP_DOWN), 0);
		for (int k = 0; k < 200; k++)
			assert_int_equal(pick_key(c, (uint64_t)k * 0x9e3779b97f4a7c15ull), d);
		assert_int_equal(l7_cluster_set_health(c, d, L7_EP_DOWN), 0);
		struct l7_endpoint_pick pk;
		assert_int_equal(l7_cluster_pick(c, NULL, &pk), L7_ENOENDPOINT);
		assert_int_equal(l7_cluster_set_health(c, b, L7_EP_UP), 0);
		assert_int_equal(pick1(c), b);
		assert_int_equal(l7_cluster_set_health(c, 12345, L7_EP_UP), L7_ENOENT);
		struct l7_endpoint_info info;
		assert_int_equal(l7_cluster_endpoint_info(c, a, &info), 0);
		assert_int_equal(info.health, L7_EP_DRAINING);
		assert_string_equal(info.address, "10.6.0.1");
		l7_cluster_destroy(c);
	}
}

static void create_checks_its_options(void **state)
{
	(void)state;
	struct l7_cluster *c = NULL;
	struct l7_cluster_options o = { .policy = L7_LB_MAGLEV, .maglev_table_size = 65536 };
	assert_int_equal(l7_cluster_create("m", &o, &c), L7_ERANGE); /* not prime */
	o.maglev_table_size = 7;
	o.max_endpoints = 8;
	assert_int_equal(l7_cluster_create("m", &o, &c), L7_ERANGE); /* table < capacity */
	o.max_endpoints = 7;
	assert_int_equal(l7_cluster_create("m", &o, &c), 0);
	for (int i = 0; i < 7; i++) {
		char a[32];
		snprintf(a, sizeof a, "10.11.0.%d", i + 1);
		add(c, a, 1);
	}
	assert_int_equal(l7_cluster_add_endpoint(c, "10.11.0.99", 80, 1, NULL), L7_EFULL);
	/* a 7-entry table holds each endpoint exactly once */
	int seen[7] = { 0 };
	for (uint64_t k = 0; k < 7; k++) {
		struct l7_endpoint_info info;
		assert_int_equal(l7_cluster_endpoint_info(c, pick_key(c, k), &info), 0);
		seen[info.address[8] - '1']++;
	}
	for (int i = 0; i < 7; i++)
		assert_int_equal(seen[i], 1);
	l7_cluster_destroy(c);
	struct l7_cluster_options big = { .policy = L7_LB_ROUND_ROBIN, .max_endpoints = 1u << 20 };
	assert_int_equal(l7_cluster_create("big", &big, &c), 0);
	l7_cluster_destroy(c);
	big.policy = L7_LB_RING_HASH;
	assert_int_equal(l7_cluster_create("big", &big, &c), L7_ERANGE); /* ring too large */
	struct l7_cluster_options bad = { .policy = (enum l7_lb_policy)9 };
	assert_int_equal(l7_cluster_create("x", &bad, &c), L7_ERANGE);
	assert_int_equal(l7_cluster_create(NULL, NULL, &c), L7_EINVAL);
	assert_int_equal(l7_cluster_create("d", NULL, &c), 0); /* defaults: round robin */
	assert_int_equal(l7_cluster_policy(c), L7_LB_ROUND_ROBIN);
	assert_string_equal(l7_cluster_name(c), "d");
	assert_null(l7_cluster_sticky_cookie(c));
	struct l7_endpoint_pick p;
	assert_int_equal(l7_cluster_pick(c, NULL, &p), L7_ENOENDPOINT);
	l7_cluster_destroy(c);
}

static void in_flight_counters_survive_updates(void **state)
{
	(void)state;
	struct l7_cluster *c = mk(L7_LB_ROUND_ROBIN, 31);
	uint64_t a = add(c, "10.7.0.1", 1);
	struct l7_endpoint_pick p1, p2;
	assert_int_equal(l7_cluster_pick(c, NULL, &p1), 0);
	assert_int_equal(p1.id, a);
	uint64_t b = add(c, "10.7.0.2", 1);
	uint64_t x = add(c, "10.7.0.3", 1);
	assert_int_equal(l7_cluster_remove_endpoint(c, x), 0);
	struct l7_endpoint_info info;
	assert_int_equal(l7_cluster_endpoint_info(c, a, &info), 0);
	assert_int_equal(info.in_flight, 1);
	assert_int_equal(l7_cluster_release(c, &p1), 0);
	assert_int_equal(l7_cluster_release(c, &p1), L7_ESTATE); /* double release */
	/* a pick on a removed endpoint cannot be released onto its successor */
	assert_int_equal(l7_cluster_pick(c, NULL, &p2), 0);
	uint64_t victim = p2.id;
	assert_int_equal(l7_cluster_remove_endpoint(c, victim), 0);
	assert_int_equal(l7_cluster_release(c, &p2), L7_ENOENT);
	assert_int_equal(l7_cluster_add_endpoint(c, victim == a ? "10.7.0.1" : "10.7.0.2", 80, 1, NULL), 0);
	assert_int_equal(l7_cluster_release(c, &p2), L7_ENOENT);
	assert_int_equal(l7_cluster_endpoint_count(c), 2);
	assert_int_equal(l7_cluster_endpoint_at(c, 0, &info), 0);
	assert_int_equal(info.id, victim == a ? b : a); /* insertion order */
	assert_int_equal(l7_cluster_remove_endpoint(c, victim), 0);
	assert_int_equal(l7_cluster_remove_endpoint(c, victim), L7_ENOENT);
	assert_int_equal(l7_cluster_add_endpoint(c, "10.7.0.9", 80, 0, NULL), L7_ERANGE);
	assert_int_equal(l7_cluster_add_endpoint(c, victim == a ? "10.7.0.2" : "10.7.0.1", 80, 1, NULL), L7_EEXIST);
	l7_cluster_destroy(c);
}

/* A request with one Cookie header. */
static void cookie_req(struct l7_route_request *r, struct l7_route_header *h, const char *cookie)
{
	memset(r, 0, sizeof *r);
	h->name = "Cookie";
	h->name_len = 6;
	h->value = cookie;
	h->value_len = strlen(cookie);
	r->headers = h;
	r->n_headers = cookie[0] ? 1 : 0;
}

static void stickiness_survives_endpoint_changes(void **state)
{
	(void)state;
	struct l7_router *r = NULL;
	char err[256];
	assert_int_equal(l7_router_load_string(
		"{\"clusters\":[{\"name\":\"s\",\"lb_policy\":\"ROUND_ROBIN\",\"sticky_cookie\":{\"name\":\"L7S\"},"
		"\"endpoints\":[{\"address\":\"10.8.0.1\",\"port\":80},{\"address\":\"10.8.0.2\",\"port\":80}]}],"
		"\"virtual_hosts\":[]}", NULL, &r, err, sizeof err), 0);
	struct l7_cluster *c = l7_router_cluster(r, "s");
	assert_string_equal(l7_cluster_sticky_cookie(c), "L7S");
	struct l7_route_request req;
	struct l7_route_header h;
	struct l7_lb_input in = { .req = &req };
	struct l7_endpoint_pick p;
	cookie_req(&req, &h, "");
	assert_int_equal(l7_cluster_pick(c, &in, &p), 0);
	assert_int_equal(p.sticky_hit, 0);
	assert_int_equal(p.set_cookie, 1);
	uint64_t first = p.id;
	char val[17], cookie[64];
	assert_int_equal(l7_endpoint_cookie_value(first, val, sizeof val), 0);
	assert_int_equal(l7_endpoint_cookie_value(first, val, 16), L7_ENOSPC);
	snprintf(cookie, sizeof cookie, "a=b; L7S=%s; c=d", val);
	cookie_req(&req, &h, cookie);
	for (int k = 0; k < 10; k++) { /* round robin would alternate */
		assert_int_equal(l7_cluster_pick(c, &in, &p), 0);
		assert_int_equal(p.id, first);
		assert_int_equal(p.sticky_hit, 1);
		assert_int_equal(p.set_cookie, 0);
		assert_int_equal(l7_cluster_release(c, &p), 0);
	}
	/* other endpoints come and go: the cookie still names the same one */
	uint64_t n1 = 0, n2 = 0;
	assert_int_equal(l7_cluster_add_endpoint(c, "10.8.0.3", 80, 5, &n1), 0);
	assert_int_equal(l7_cluster_add_endpoint(c, "10.8.0.4", 80, 5, &n2), 0);
	assert_int_equal(l7_cluster_remove_endpoint(c, first == l7_endpoint_id("10.8.0.1", 80)
						     ? l7_endpoint_id("10.8.0.2", 80)
						     : l7_endpoint_id("10.8.0.1", 80)), 0);
	assert_int_equal(l7_cluster_pick(c, &in, &p), 0);
	assert_int_equal(p.id, first);
	assert_int_equal(p.sticky_hit, 1);
	/* draining keeps sticky clients; new clients go elsewhere */
	assert_int_equal(l7_cluster_set_health(c, first, L7_EP_DRAINING), 0);
	assert_int_equal(l7_cluster_pick(c, &in, &p), 0);
	assert_int_equal(p.id, first);
	struct l7_lb_input fresh = { 0 };
	for (int k = 0; k < 20; k++) {
		assert_int_equal(l7_cluster_pick(c, &fresh, &p), 0);
		assert_true(p.id == n1 || p.id == n2);
	}
	/* down: the cookie is ignored and a new one is set */
	assert_int_equal(l7_cluster_set_health(c, first, L7_EP_DOWN), 0);
	assert_int_equal(l7_cluster_pick(c, &in, &p), 0);
	assert_true(p.id == n1 || p.id == n2);
	assert_int_equal(p.sticky_hit, 0);
	assert_int_equal(p.set_cookie, 1);
	/* garbage and unknown ids fall back to the policy */
	cookie_req(&req, &h, "L7S=zzzz");
	assert_int_equal(l7_cluster_pick(c, &in, &p), 0);
	assert_int_equal(p.sticky_hit, 0);
	cookie_req(&req, &h, "L7S=0123456789abcdef");
	assert_int_equal(l7_cluster_pick(c, &in, &p), 0);
	assert_int_equal(p.sticky_hit, 0);
	cookie_req(&req, &h, "XL7S=0123456789abcdef; L7S=\"");
	assert_int_equal(l7_cluster_pick(c, &in, &p), 0);
	assert_int_equal(p.sticky_hit, 0);
	l7_router_destroy(r);
}

static void hash_policies_pick_the_key(void **state)
{
	(void)state;
	struct l7_router *r = NULL;
	char err[256];
	int rc = l7_router_load_string(
		"{\"clusters\":["
		"{\"name\":\"h\",\"lb_policy\":\"MAGLEV\",\"maglev_lb_config\":{\"table_size\":251},"
		"\"hash_policy\":[{\"header\":{\"header_name\":\"x-user\"}}],"
		"\"endpoints\":[{\"address\":\"10.9.0.1\",\"port\":80},{\"address\":\"10.9.0.2\",\"port\":80},{\"address\":\"10.9.0.3\",\"port\":80}]},"
		"{\"name\":\"k\",\"lb_policy\":\"RING_HASH\",\"ring_hash_lb_config\":{\"vnodes\":100},"
		"\"hash_policy\":[{\"cookie\":{\"name\":\"sid\"}}],"
		"\"endpoints\":[{\"address\":\"10.9.1.1\",\"port\":80},{\"address\":\"10.9.1.2\",\"port\":80},{\"address\":\"10.9.1.3\",\"port\":80}]},"
		"{\"name\":\"s\",\"lb_policy\":\"MAGLEV\",\"max_endpoints\":4,"
		"\"hash_policy\":[{\"connection_properties\":{\"source_ip\":true}}],"
		"\"endpoints\":[{\"address\":\"10.9.2.1\",\"port\":80},{\"address\":\"10.9.2.2\",\"port\":80},{\"address\":\"10.9.2.3\",\"port\":80}]}],"
		"\"virtual_hosts\":[]}", NULL, &r, err, sizeof err);
	if (rc)
		fail_msg("%s", err);
	struct l7_route_header hd[1];
	struct l7_route_request req = { .headers = hd, .n_headers = 1 };
	struct l7_lb_input in = { .req = &req };
	struct l7_endpoint_pick p;
	char val[32];
	struct l7_cluster *h = l7_router_cluster(r, "h");
	struct l7_cluster *k = l7_router_cluster(r, "k");
	struct l7_cluster *s = l7_router_cluster(r, "s");
	int distinct_h = 0, distinct_k = 0;
	uint64_t prev_h = 0, prev_k = 0;
	for (int u = 0; u < 50; u++) {
		snprintf(val, sizeof val, "user%d", u);
		hd[0] = (struct l7_route_header){ "X-User", 6, val, strlen(val) };
		assert_int_equal(l7_cluster_pick(h, &in, &p), 0);
		uint64_t e = p.id;
		for (int rep = 0; rep < 5; rep++) {
			assert_int_equal(l7_cluster_pick(h, &in, &p), 0);
			assert_int_equal(p.id, e);
		}
		/* the same value as a key hash gives the same endpoint */
		struct l7_lb_input direct = { .has_hash = 1, .hash = l7_route_hash(val, strlen(val), 0) };
		assert_int_equal(l7_cluster_pick(h, &direct, &p), 0);
		assert_int_equal(p.id, e);
		distinct_h += u > 0 && e != prev_h;
		prev_h = e;
		char ck[48];
		snprintf(ck, sizeof ck, "sid=%s", val);
		hd[0] = (struct l7_route_header){ "cookie", 6, ck, strlen(ck) };
		assert_int_equal(l7_cluster_pick(k, &in, &p), 0);
		e = p.id;
		assert_int_equal(l7_cluster_pick(k, &in, &p), 0);
		assert_int_equal(p.id, e);
		distinct_k += u > 0 && e != prev_k;
		prev_k = e;
	}
	/* the key really varies the choice */
	assert_true(distinct_h > 15);
	assert_true(distinct_k > 15);
	uint8_t ip4[4] = { 192, 0, 2, 1 };
	struct l7_lb_input src = { .src_addr = ip4, .src_addr_len = 4 };
	assert_int_equal(l7_cluster_pick(s, &src, &p), 0);
	uint64_t e = p.id;
	struct l7_lb_input direct = { .has_hash = 1, .hash = l7_route_hash(ip4, 4, 0) };
	assert_int_equal(l7_cluster_pick(s, &direct, &p), 0);
	assert_int_equal(p.id, e);
	l7_router_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(smooth_wrr_is_the_nginx_sequence),
		cmocka_unit_test(maglev_balance_within_one_percent),
		cmocka_unit_test(maglev_removal_remaps_about_one_nth),
		cmocka_unit_test(hash_tables_ignore_insertion_order),
		cmocka_unit_test(ring_hash_is_consistent),
		cmocka_unit_test(least_request_prefers_the_less_loaded),
		cmocka_unit_test(weighted_random_follows_weights),
		cmocka_unit_test(health_controls_new_picks),
		cmocka_unit_test(create_checks_its_options),
		cmocka_unit_test(in_flight_counters_survive_updates),
		cmocka_unit_test(stickiness_survives_endpoint_changes),
		cmocka_unit_test(hash_policies_pick_the_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
