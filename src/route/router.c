/*
 * router.c — the router object: lookup (host, then route, then the
 * weighted cluster split), its linear reference, cluster access and
 * destruction.
 *
 * Invariant: l7_router_lookup() and l7_router_lookup_linear() differ only in
 * how they find the host and route index (index.c); the answer they fill in
 * is built by the same code, so agreement of the indices means agreement of
 * the answers.
 */
#include <stdlib.h>
#include <string.h>

#include "route_internal.h"

static void route_free(struct l7r_route *rt)
{
	free(rt->name);
	free(rt->path);
	if (rt->has_re)
		regfree(&rt->re);
	for (size_t i = 0; i < rt->n_headers; i++) {
		struct l7r_header_matcher *m = &rt->headers[i];
		free(m->name);
		free(m->value);
		if (m->has_re)
			regfree(&m->re);
	}
	free(rt->headers);
	free(rt->clusters);
}

void l7_router_destroy(struct l7_router *r)
{
	if (!r)
		return;
	l7r_index_free(r);
	for (size_t i = 0; i < r->n_vhosts; i++) {
		struct l7r_vhost *v = &r->vhosts[i];
		free(v->name);
		for (size_t j = 0; j < v->n_domains; j++)
			free(v->domains[j]);
		free(v->domains);
		for (size_t j = 0; j < v->n_routes; j++)
			route_free(&v->routes[j]);
		free(v->routes);
	}
	free(r->vhosts);
	for (size_t i = 0; i < r->n_clusters; i++)
		l7_cluster_destroy(r->clusters[i]);
	free(r->clusters);
	free(r);
}

/* rand % total picks the weighted cluster, as Envoy's WeightedClusterEntry
 * selection does with its random value. */
static struct l7_cluster *split(const struct l7r_route *rt, uint64_t rand)
{
	uint64_t x = rand % rt->total_weight, acc = 0;
	for (size_t i = 0; i < rt->n_clusters; i++) {
		acc += rt->clusters[i].weight;
		if (x < acc)
			return rt->clusters[i].cluster;
	}
	return rt->clusters[rt->n_clusters - 1].cluster;
}

static int answer(const struct l7_router *r, uint32_t vi, uint32_t ri, uint64_t rand,
		  struct l7_route_match *out)
{
	if (vi == L7_NONE || ri == L7_NONE)
		return L7_ENOROUTE;
	const struct l7r_vhost *v = &r->vhosts[vi];
	const struct l7r_route *rt = &v->routes[ri];
	out->vhost_index = vi;
	out->route_index = ri;
	out->vhost_name = v->name;
	out->route_name = rt->name;
	if (rt->cluster) {
		out->cluster = rt->cluster;
		out->cluster_name = rt->cluster_name;
	} else {
		out->cluster = split(rt, rand);
		out->cluster_name = l7_cluster_name(out->cluster);
	}
	out->offload = rt->offload;
	out->offload_min_response_bytes = rt->offload_min_bytes;
	return 0;
}

int l7_router_lookup(const struct l7_router *r, const struct l7_route_request *req,
		     uint64_t rand, struct l7_route_match *out)
{
	if (!r || !req || !out)
		return L7_EINVAL;
	uint32_t vi = l7r_host_lookup(r, req->host, req->host_len);
	uint32_t ri = vi == L7_NONE ? L7_NONE : l7r_route_lookup(&r->vhosts[vi], req);
	return answer(r, vi, ri, rand, out);
}

int l7_router_lookup_linear(const struct l7_router *r, const struct l7_route_request *req,
			    uint64_t rand, struct l7_route_match *out)
{
	if (!r || !req || !out)
		return L7_EINVAL;
	uint32_t vi = l7r_host_lookup_linear(r, req->host, req->host_len);
	uint32_t ri = vi == L7_NONE ? L7_NONE : l7r_route_lookup_linear(&r->vhosts[vi], req);
	return answer(r, vi, ri, rand, out);
}

size_t l7_router_cluster_count(const struct l7_router *r)
{
	return r ? r->n_clusters : 0;
}

struct l7_cluster *l7_router_cluster_at(const struct l7_router *r, size_t i)
{
	return (r && i < r->n_clusters) ? r->clusters[i] : NULL;
}

struct l7_cluster *l7_router_cluster(const struct l7_router *r, const char *name)
{
	for (size_t i = 0; r && name && i < r->n_clusters; i++)
		if (strcmp(l7_cluster_name(r->clusters[i]), name) == 0)
			return r->clusters[i];
	return NULL;
}
