/*
 * route_internal.h — the router's private data structures, shared by the
 * files of src/route only (not installed, not public).
 *
 * Invariants: every structure here is built once by the config loader
 * (config.c) and then only read by lookups (index.c, router.c); clusters
 * (cluster.c) are the only mutable part. Route lists attached to index
 * nodes are sorted by route index so a lookup can stop at the first route
 * that passes its remaining conditions.
 */
#ifndef L7_ROUTE_INTERNAL_H
#define L7_ROUTE_INTERNAL_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l7splice/route.h"

#define L7_NONE UINT32_MAX

/* Inputs longer than this never match a regex (copied to a stack buffer to
 * NUL-terminate them for regexec). */
#define L7_REGEX_INPUT_MAX 4096
/* Hosts longer than this only match the "*" virtual host. */
#define L7_HOST_MAX 512

/* ---------------------------------------------------------------- hash.c */
uint64_t l7r_mix64(uint64_t x);
/* Fast hash of short keys (hosts, paths) for the index's maps: eight bytes
 * per step; ci folds ASCII case. Not stable across versions. */
uint64_t l7r_hash_words(const char *s, size_t len, bool ci);
/* ASCII case-insensitive equality of n bytes: locale-independent, unlike
 * strncasecmp, so the index and the linear scan can never disagree. */
bool l7r_equal_ci(const char *a, const char *b, size_t n);
/* n bytes of b equal lower, which is already ASCII lower case. */
bool l7r_equal_lower(const char *lower, const char *b, size_t n);

/* --------------------------------------------------------------- strmap.c
 * Open-addressing string -> uint32 map, built once, read many. Keys are
 * pointers owned by the caller for the map's lifetime. */
struct l7r_strmap_slot {
	uint64_t hash;
	const char *key;
	uint32_t key_len;
	uint32_t value;
};

struct l7r_strmap {
	struct l7r_strmap_slot *slots; /* NULL when empty */
	uint32_t mask;
	uint32_t count;
	bool ci;                       /* keys compared ASCII case-insensitively;
					  such keys must be stored in lower case */
};

int l7r_strmap_init(struct l7r_strmap *m, size_t expected, bool ci);
void l7r_strmap_free(struct l7r_strmap *m);
/* Returns the value, or L7_NONE. */
uint32_t l7r_strmap_get(const struct l7r_strmap *m, const char *key, size_t len);
/* Inserts or returns L7_EEXIST (value untouched). */
int l7r_strmap_put(struct l7r_strmap *m, const char *key, size_t len, uint32_t value);

/* ---------------------------------------------------------------- match.c */
enum l7r_str_kind {
	L7R_STR_EXACT,
	L7R_STR_PREFIX,
	L7R_STR_SUFFIX,
	L7R_STR_CONTAINS,
	L7R_STR_REGEX,
	L7R_STR_PRESENT   /* header matcher only */
};

enum l7r_pseudo {
	L7R_HDR_PLAIN,
	L7R_HDR_METHOD,
	L7R_HDR_PATH,
	L7R_HDR_AUTHORITY
};

struct l7r_header_matcher {
	char *name;
	size_t name_len;
	enum l7r_pseudo pseudo;
	enum l7r_str_kind kind;
	char *value;
	size_t value_len;
	bool ignore_case;
	bool present;     /* for PRESENT: true = must be present */
	bool invert;
	bool has_re;
	regex_t re;
};

/* Whole-string POSIX ERE match of bytes (not NUL-terminated). */
bool l7r_regex_full(const regex_t *re, const char *s, size_t len);
/* Compile "^(" expr ")$"; returns 0 or the regcomp code, message in msg. */
int l7r_regex_compile(regex_t *re, const char *expr, char *msg, size_t msg_len);
bool l7r_header_matches(const struct l7r_header_matcher *m,
			const struct l7_route_request *req);
/* First header named name (case-insensitive); returns 1 and the value. */
int l7r_find_header(const struct l7_route_request *req, const char *name,
		    size_t name_len, const char **value, size_t *value_len);
/* Value of cookie name in the request's Cookie headers; returns 1 if found. */
int l7r_find_cookie(const struct l7_route_request *req, const char *name,
		    size_t name_len, const char **value, size_t *value_len);
/* Path length without "?query". */
size_t l7r_path_noquery_len(const char *path, size_t len);

/* ---------------------------------------------------------------- routes */
enum l7r_path_kind { L7R_PATH_PREFIX, L7R_PATH_EXACT, L7R_PATH_REGEX };

struct l7r_weighted {
	struct l7_cluster *cluster;
	uint32_t weight;
};

struct l7r_route {
	/* what a lookup's answer reads first, together */
	struct l7_cluster *cluster;   /* the cluster when there is one, else NULL */
	const char *cluster_name;
	char *name;
	enum l7_offload_mode offload;
	uint64_t offload_min_bytes;
	uint32_t index;
	enum l7r_path_kind kind;
	char *path;            /* prefix or exact path; lowercased if !case_sensitive */
	size_t path_len;
	bool case_sensitive;
	bool has_re;
	regex_t re;
	struct l7r_header_matcher *headers;
	size_t n_headers;
	struct l7r_weighted *clusters; /* one entry for route.cluster */
	size_t n_clusters;
	uint64_t total_weight;
};

/* Flat radix tree over path prefixes. Node 0 is the root (empty label).
 * Nodes are laid out breadth first, so a node's children are the
 * consecutive nodes [first_child, first_child + n_children), sorted by the
 * first byte of their label; first_bytes[] repeats those bytes densely (one
 * byte per node, so it stays in cache) for the child search. A node is 32
 * bytes, two per cache line, with labels of up to 16 bytes inline: a step
 * down the tree touches about one line of node memory. The working set is
 * what limits lookups at 10^4 routes, so size matters more than
 * instructions here. */
#define L7R_LABEL_INLINE 16
#define L7R_REF_DIRECT 0x80000000u /* ref: a route index, answered outright */

struct l7r_rnode {
	uint32_t first_child;
	/* the node's routes: L7_NONE; or L7R_REF_DIRECT | index of its first
	 * route when that route has no header conditions (it answers the node
	 * outright); or the offset of its list in vhost lists[] */
	uint32_t ref;
	uint32_t label_off;   /* into labels[], the edge into this node */
	uint16_t label_len;   /* first byte included */
	uint16_t n_children;
	char label[L7R_LABEL_INLINE]; /* the label when it fits */
};

struct l7r_radix {
	struct l7r_rnode *nodes;
	uint32_t n_nodes;
	uint8_t *first_bytes; /* first byte of node i's label; 8 bytes of padding */
	char *labels;
};

struct l7r_vhost {
	uint32_t index;
	char *name;
	char **domains;
	size_t n_domains;
	struct l7r_route *routes;
	size_t n_routes;
	/* index: two tries and two exact maps (case sensitive / insensitive) */
	struct l7r_radix trie_cs, trie_ci;
	struct l7r_strmap exact_cs, exact_ci; /* value: offset into lists */
	uint32_t *regex_routes;               /* ascending route indices */
	size_t n_regex;
	uint32_t *lists;                      /* [count, idx...]* */
	size_t n_lists;
};

struct l7_router {
	struct l7r_vhost *vhosts;
	size_t n_vhosts;
	struct l7_cluster **clusters;
	size_t n_clusters;
	/* host index */
	struct l7r_strmap host_exact;   /* domain -> vhost */
	struct l7r_strmap host_suffix;  /* "*.x" keyed by ".x" */
	struct l7r_strmap host_prefix;  /* "x.*" keyed by "x." */
	uint32_t *suffix_lens;          /* distinct lengths, longest first */
	size_t n_suffix_lens;
	uint32_t *prefix_lens;
	size_t n_prefix_lens;
	uint32_t host_any;              /* vhost of "*", or L7_NONE */
};

/* index.c */
int l7r_index_build(struct l7_router *r);
void l7r_index_free(struct l7_router *r);
/* Host (port stripped, lowercased into buf) -> vhost index or L7_NONE. */
uint32_t l7r_host_lookup(const struct l7_router *r, const char *host, size_t len);
uint32_t l7r_host_lookup_linear(const struct l7_router *r, const char *host, size_t len);
uint32_t l7r_route_lookup(const struct l7r_vhost *v, const struct l7_route_request *req);
uint32_t l7r_route_lookup_linear(const struct l7r_vhost *v,
				 const struct l7_route_request *req);
bool l7r_route_matches(const struct l7r_route *rt, const struct l7_route_request *req);

/* ---------------------------------------------------------------- cluster.c */
enum l7r_hash_kind { L7R_HASH_SOURCE_IP, L7R_HASH_HEADER, L7R_HASH_COOKIE };

struct l7r_hash_policy {
	enum l7r_hash_kind kind;
	char *name;
	size_t name_len;
};

struct l7r_ep {
	uint64_t id;
	char address[L7_ENDPOINT_ADDR_MAX];
	uint16_t port;
	bool used;
	uint8_t health;     /* enum l7_endpoint_health */
	uint32_t weight;
	uint32_t generation; /* distinguishes a re-added endpoint in the same slot */
	uint32_t in_flight;
	uint64_t picks;
	int64_t current;    /* smooth WRR state */
};

struct l7r_ring_point {
	uint64_t hash;
	uint32_t slot;
};

struct l7_cluster {
	char *name;
	enum l7_lb_policy policy;
	uint32_t cap;
	struct l7r_ep *eps;          /* cap slots; a slot never moves while used */
	uint32_t *order;             /* used slots in insertion order */
	uint32_t n_eps;
	uint32_t generation;
	/* id -> slot, linear probing with backward-shift deletion */
	uint32_t *idmap;             /* slot or L7_NONE */
	uint32_t idmap_mask;
	/* eligible (up, weight > 0) slots in insertion order, and their
	 * cumulative weights (RANDOM) */
	uint32_t *elig;
	uint32_t n_elig;
	uint64_t *cum;
	uint64_t total_weight;
	/* RING_HASH */
	struct l7r_ring_point *ring;
	uint32_t ring_n, ring_cap, ring_vnodes;
	/* MAGLEV */
	uint32_t *mtable;            /* m entries: slot or L7_NONE */
	uint32_t m;
	uint32_t *m_work;            /* cap x (slot, offset, skip, next) scratch */
	uint64_t *m_credit;
	/* LEAST_REQUEST */
	uint32_t choice_count;
	struct l7_route_rng rng;
	struct l7r_hash_policy *hp;
	size_t n_hp;
	char *sticky;
	size_t sticky_len;
};

#define L7R_WEIGHT_MAX 1000000u

/* lb.c: per-policy table builds (control path) and picks (data path).
 * Picks return a slot among c->elig; the caller checks n_elig > 0. */
int l7r_ring_build(struct l7_cluster *c);
uint32_t l7r_ring_pick(const struct l7_cluster *c, uint64_t hash);
int l7r_maglev_build(struct l7_cluster *c);
uint32_t l7r_maglev_pick(const struct l7_cluster *c, uint64_t hash);
uint32_t l7r_wrr_pick(struct l7_cluster *c);
uint32_t l7r_lr_pick(struct l7_cluster *c);
uint32_t l7r_random_pick(struct l7_cluster *c);
bool l7r_is_prime(uint32_t n);

/* Config-time extras (the loader calls these before any pick). */
int l7r_cluster_set_hash_policies(struct l7_cluster *c,
				  const struct l7r_hash_policy *p, size_t n);
int l7r_cluster_set_sticky(struct l7_cluster *c, const char *cookie_name);

#endif
