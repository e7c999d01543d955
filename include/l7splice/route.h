/*
 * route.h — the L7 router: Envoy-style virtual hosts and routes loaded from
 * JSON, clusters of endpoints, and the load-balancing policies that pick an
 * endpoint for a request (docs/route.md, docs/config.md "Routes and clusters").
 *
 * Invariants:
 * - l7_router_lookup() returns exactly what a first-match linear scan of the
 *   configured routes returns (l7_router_lookup_linear() is that scan); the
 *   index only makes it cheaper. It reads the router and never allocates, so
 *   several threads may look up in one router concurrently.
 * - A cluster is mutable (pick counters, in-flight counts, round-robin
 *   state): one thread at a time per cluster. Endpoint updates rebuild the
 *   policy tables in memory sized when the cluster was created; picks never
 *   allocate. Endpoints are named by a stable 64-bit id (a hash of
 *   "address:port"), never by position, so ids survive set changes.
 * - Nothing here reads a clock or hidden randomness: seeds and random draws
 *   are parameters.
 */
#ifndef L7SPLICE_ROUTE_H
#define L7SPLICE_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "l7splice/common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_t;          /* jansson's json_t, for l7_router_load_json() */
struct l7_router;
struct l7_cluster;
struct l7_http_request; /* the HTTP parser's view (l7splice/http.h) */

/* ------------------------------------------------------------ requests */

/* One header field: pointers into the caller's bytes, not NUL-terminated. */
struct l7_route_header {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/*
 * What the router needs of a request: views into the caller's bytes. path is
 * the request-target in origin form with its query (prefix routes see the
 * query, path and regex routes do not, as in Envoy). host is the Host header
 * value (its ":port" is ignored). headers lists the header fields (Host
 * included or not; ":authority" matchers use host).
 */
struct l7_route_request {
	const char *method;
	size_t method_len;
	const char *path;
	size_t path_len;
	const char *host;
	size_t host_len;
	const struct l7_route_header *headers;
	size_t n_headers;
};

/*
 * Fill *out from a request head parsed by l7_http_parse_request(): msg is
 * the message bytes its spans index; hdrs receives the header fields
 * (hdrs_cap >= the head's n_headers, else L7_ENOSPC). out->path is the
 * path with its query ("?..." included); out->host the effective authority.
 */
int l7_route_request_from_http(const struct l7_http_request *hr, const char *msg,
			       struct l7_route_header *hdrs, size_t hdrs_cap,
			       struct l7_route_request *out);

/* ------------------------------------------------------------ router */

enum l7_offload_mode {
	L7_OFFLOAD_OFF = 0,     /* keep the connection on the front-end path */
	L7_OFFLOAD_ALWAYS = 1,  /* offload once spliced */
	L7_OFFLOAD_MIN_BYTES = 2 /* offload when the response is >= N bytes */
};

struct l7_router_options {
	uint64_t seed;      /* seeds every cluster's random stream */
};

/* The answer of a lookup. Pointers stay valid for the router's lifetime. */
struct l7_route_match {
	uint32_t vhost_index;       /* position in virtual_hosts[] */
	uint32_t route_index;       /* position in that host's routes[] */
	const char *vhost_name;
	const char *route_name;     /* "" when the route has no name */
	struct l7_cluster *cluster; /* the cluster chosen (weighted split applied) */
	const char *cluster_name;
	enum l7_offload_mode offload;
	uint64_t offload_min_response_bytes; /* for L7_OFFLOAD_MIN_BYTES */
};

/*
 * Build a router from JSON text, a file, or an already parsed jansson value.
 * On failure returns L7_ECONFIG (or L7_EIO / L7_ENOMEM) and writes one line
 * to err: "<json path>: <what>" (e.g. "virtual_hosts[0].routes[2].match.prefx:
 * unknown key"); syntax errors give "<line>:<column>: <jansson's text>", and
 * file loads prefix "<file>:". where (may be NULL or "") prefixes the JSON
 * paths, for a route configuration embedded in a larger document.
 */
int l7_router_load_string(const char *json, const struct l7_router_options *opt,
			  struct l7_router **out, char *err, size_t err_len);
int l7_router_load_file(const char *path, const struct l7_router_options *opt,
			struct l7_router **out, char *err, size_t err_len);
int l7_router_load_json(const struct json_t *root, const char *where,
			const struct l7_router_options *opt,
			struct l7_router **out, char *err, size_t err_len);
void l7_router_destroy(struct l7_router *r);

/*
 * Route a request: pick the virtual host by Host (exact > longest "*.suffix"
 * > longest "prefix.*" > "*"), then the first route in configuration order
 * whose match holds. rand picks among weighted_clusters (rand % total weight).
 * Returns 0, or L7_ENOROUTE when no host or route matches (out untouched).
 */
int l7_router_lookup(const struct l7_router *r, const struct l7_route_request *req,
		     uint64_t rand, struct l7_route_match *out);

/* The reference: the same answer by scanning every domain and route in
 * order. For tests and for checking the index; cost is linear. */
int l7_router_lookup_linear(const struct l7_router *r,
			    const struct l7_route_request *req, uint64_t rand,
			    struct l7_route_match *out);

size_t l7_router_cluster_count(const struct l7_router *r);
struct l7_cluster *l7_router_cluster_at(const struct l7_router *r, size_t i);
struct l7_cluster *l7_router_cluster(const struct l7_router *r, const char *name);

/* ------------------------------------------------------------ clusters */

enum l7_lb_policy {
	L7_LB_ROUND_ROBIN = 0,  /* smooth weighted round robin (nginx) */
	L7_LB_LEAST_REQUEST,    /* power of choice_count random choices */
	L7_LB_RANDOM,           /* weighted random */
	L7_LB_RING_HASH,        /* ketama consistent hashing (ring of points) */
	L7_LB_MAGLEV            /* Maglev lookup table (NSDI'16) */
};

enum l7_endpoint_health {
	L7_EP_UP = 0,       /* takes new picks */
	L7_EP_DRAINING = 1, /* no new picks; sticky cookies still reach it */
	L7_EP_DOWN = 2      /* nothing reaches it */
};

#define L7_ENDPOINT_ADDR_MAX 64 /* bytes of an address string, NUL included */
#define L7_MAGLEV_DEFAULT_TABLE_SIZE 65537u
#define L7_RING_DEFAULT_VNODES 160u

struct l7_cluster_options {
	enum l7_lb_policy policy;
	uint32_t max_endpoints;     /* capacity; 0 means 64 */
	uint32_t ring_vnodes;       /* RING_HASH points per endpoint of average
				       weight (ketama); 0 means 160 */
	uint32_t maglev_table_size; /* prime; 0 means 65537 */
	uint32_t choice_count;      /* LEAST_REQUEST; 0 means 2 */
	uint64_t seed;              /* the cluster's random stream */
};

/* A picked endpoint. Give it back to l7_cluster_release(). */
struct l7_endpoint_pick {
	uint64_t id;        /* stable id of the endpoint */
	uint32_t slot;      /* where it lives now (an accelerator, not a name) */
	uint32_t generation; /* tells a re-added endpoint from the one picked */
	uint8_t sticky_hit; /* chosen because the request's sticky cookie named it */
	uint8_t set_cookie; /* the cluster is sticky and the response should set
			       the cookie (l7_endpoint_cookie_value) */
};

/* Where a hash key comes from; every field may be empty. */
struct l7_lb_input {
	const struct l7_route_request *req; /* headers, cookies, stickiness */
	const void *src_addr;               /* source address bytes (4 or 16) */
	size_t src_addr_len;
	int has_hash;                       /* 1: use hash, ignore hash_policy */
	uint64_t hash;
};

struct l7_endpoint_info {
	uint64_t id;
	char address[L7_ENDPOINT_ADDR_MAX];
	uint16_t port;
	uint32_t weight;
	enum l7_endpoint_health health;
	uint32_t in_flight;
	uint64_t picks;
};

int l7_cluster_create(const char *name, const struct l7_cluster_options *opt,
		      struct l7_cluster **out);
void l7_cluster_destroy(struct l7_cluster *c);
const char *l7_cluster_name(const struct l7_cluster *c);
enum l7_lb_policy l7_cluster_policy(const struct l7_cluster *c);

/* Endpoint set updates (control path; rebuilds the policy tables). */
int l7_cluster_add_endpoint(struct l7_cluster *c, const char *address,
			    uint16_t port, uint32_t weight, uint64_t *id_out);
int l7_cluster_remove_endpoint(struct l7_cluster *c, uint64_t id);
int l7_cluster_set_health(struct l7_cluster *c, uint64_t id,
			  enum l7_endpoint_health health);
int l7_cluster_set_weight(struct l7_cluster *c, uint64_t id, uint32_t weight);

/*
 * Pick an endpoint. Stickiness first (a cookie naming an endpoint that is up
 * or draining), then the policy over the endpoints that are up. Counts one
 * request in flight on the endpoint. Returns 0 or L7_ENOENDPOINT.
 */
int l7_cluster_pick(struct l7_cluster *c, const struct l7_lb_input *in,
		    struct l7_endpoint_pick *out);
/* The request finished: one less in flight. L7_ENOENT if the endpoint has
 * been removed since (its counter went with it). */
int l7_cluster_release(struct l7_cluster *c, const struct l7_endpoint_pick *p);

size_t l7_cluster_endpoint_count(const struct l7_cluster *c);
/* i-th endpoint in insertion order, 0 <= i < count. */
int l7_cluster_endpoint_at(const struct l7_cluster *c, size_t i,
			   struct l7_endpoint_info *out);
int l7_cluster_endpoint_info(const struct l7_cluster *c, uint64_t id,
			     struct l7_endpoint_info *out);

/* Sticky cookie name, or NULL when the cluster is not sticky. */
const char *l7_cluster_sticky_cookie(const struct l7_cluster *c);

/* ------------------------------------------------------------ helpers */

/* The stable id of "address:port". */
uint64_t l7_endpoint_id(const char *address, uint16_t port);
/* Cookie value naming an endpoint: 16 lowercase hex digits and a NUL;
 * buf_len >= 17 or L7_ENOSPC. */
int l7_endpoint_cookie_value(uint64_t id, char *buf, size_t buf_len);

/* 64-bit hash of bytes (FNV-1a with a murmur3 finaliser), seedable. */
uint64_t l7_route_hash(const void *data, size_t len, uint64_t seed);

/* A tiny seeded random stream (splitmix64) for callers and tests. */
struct l7_route_rng {
	uint64_t state;
};
void l7_route_rng_seed(struct l7_route_rng *rng, uint64_t seed);
uint64_t l7_route_rng_next(struct l7_route_rng *rng);

#ifdef __cplusplus
}
#endif
#endif
