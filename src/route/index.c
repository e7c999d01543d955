/*
 * index.c — the route index: host tables, a radix tree of path prefixes and
 * exact-path maps per virtual host, and the linear reference they must agree
 * with.
 *
 * Host: exact domains in one hash map; "*.suffix" and "prefix.*" wildcards
 * in two maps keyed by the literal part, probed once per distinct literal
 * length, longest first (Envoy's precedence: exact > longest suffix >
 * longest prefix > "*"). Cost grows with the number of distinct wildcard
 * lengths, not with the number of domains.
 *
 * Path: Envoy evaluates a host's routes in order and the first that matches
 * wins. Every index node holds the indices of the routes it can satisfy,
 * ascending; a lookup walks the radix tree along the path (one node per
 * prefix of the path that some route names), probes the exact-path maps,
 * and runs only the regex routes whose index is below the best found so
 * far. At each node the first route that passes its header conditions is
 * the node's answer; the lowest answer over all nodes is the route a linear
 * scan would have returned. Invariant: lookups never allocate and never
 * write the router.
 */
#include <stdlib.h>
#include <string.h>

#include "route_internal.h"

/* ---------------------------------------------------------------- hosts */

/* Strip ":port" (also after "[v6]") so "a.com:8080" routes like "a.com". */
static size_t host_without_port(const char *h, size_t len)
{
	size_t i = len;
	while (i > 0 && h[i - 1] >= '0' && h[i - 1] <= '9')
		i--;
	if (i == 0 || i == len || h[i - 1] != ':')
		return len;
	size_t colon = i - 1;
	if (h[0] == '[')
		return (colon > 0 && h[colon - 1] == ']') ? colon : len;
	return memchr(h, ':', colon) ? len : colon; /* bare IPv6: no port */
}

uint32_t l7r_host_lookup(const struct l7_router *r, const char *host, size_t len)
{
	if (!host) {
		host = "";
		len = 0;
	}
	len = host_without_port(host, len);
	if (len > L7_HOST_MAX)
		return r->host_any;
	uint32_t v = l7r_strmap_get(&r->host_exact, host, len);
	if (v != L7_NONE)
		return v;
	for (size_t i = 0; i < r->n_suffix_lens; i++) {
		uint32_t l = r->suffix_lens[i];
		if (len > l && (v = l7r_strmap_get(&r->host_suffix, host + len - l, l)) != L7_NONE)
			return v;
	}
	for (size_t i = 0; i < r->n_prefix_lens; i++) {
		uint32_t l = r->prefix_lens[i];
		if (len > l && (v = l7r_strmap_get(&r->host_prefix, host, l)) != L7_NONE)
			return v;
	}
	return r->host_any;
}

/* Rank of a domain for host, or -1: exact 3e9, suffix 2e9+len, prefix 1e9+len, "*" 0. */
static long long domain_rank(const char *d, const char *host, size_t len)
{
	size_t dl = strlen(d);
	if (dl == 1 && d[0] == '*')
		return 0;
	if (d[0] == '*') {
		size_t l = dl - 1;
		if (len > l && l7r_equal_ci(host + len - l, d + 1, l))
			return 2000000000LL + (long long)l;
		return -1;
	}
	if (d[dl - 1] == '*') {
		size_t l = dl - 1;
		if (len > l && l7r_equal_ci(host, d, l))
			return 1000000000LL + (long long)l;
		return -1;
	}
	return (dl == len && l7r_equal_ci(host, d, len)) ? 3000000000LL : -1;
}

uint32_t l7r_host_lookup_linear(const struct l7_router *r, const char *host, size_t len)
{
	if (!host) {
		host = "";
		len = 0;
	}
	len = host_without_port(host, len);
	if (len > L7_HOST_MAX)
		return r->host_any;
	uint32_t best = L7_NONE;
	long long best_rank = -1;
	for (size_t i = 0; i < r->n_vhosts; i++)
		for (size_t j = 0; j < r->vhosts[i].n_domains; j++) {
			long long rank = domain_rank(r->vhosts[i].domains[j], host, len);
			if (rank > best_rank) {
				best_rank = rank;
				best = (uint32_t)i;
			}
		}
	return best;
}

/* ---------------------------------------------------------------- routes */

static bool bytes_eq(const char *a, const char *b, size_t n, bool cs)
{
	return cs ? memcmp(a, b, n) == 0 : l7r_equal_ci(a, b, n);
}

static bool conditions_pass(const struct l7r_route *rt, const struct l7_route_request *req)
{
	for (size_t i = 0; i < rt->n_headers; i++)
		if (!l7r_header_matches(&rt->headers[i], req))
			return false;
	return true;
}

bool l7r_route_matches(const struct l7r_route *rt, const struct l7_route_request *req)
{
	const char *path = req->path ? req->path : "";
	size_t len = req->path ? req->path_len : 0;
	size_t nq = l7r_path_noquery_len(path, len);
	bool ok = false;
	switch (rt->kind) {
	case L7R_PATH_PREFIX:
		ok = len >= rt->path_len && bytes_eq(path, rt->path, rt->path_len, rt->case_sensitive);
		break;
	case L7R_PATH_EXACT:
		ok = nq == rt->path_len && bytes_eq(path, rt->path, nq, rt->case_sensitive);
		break;
	case L7R_PATH_REGEX:
		ok = l7r_regex_full(&rt->re, path, nq);
		break;
	}
	return ok && conditions_pass(rt, req);
}

uint32_t l7r_route_lookup_linear(const struct l7r_vhost *v, const struct l7_route_request *req)
{
	for (size_t i = 0; i < v->n_routes; i++)
		if (l7r_route_matches(&v->routes[i], req))
			return (uint32_t)i;
	return L7_NONE;
}

/* The node's answer: its first route (ascending) below *best that passes. */
static void visit_list(const struct l7r_vhost *v, uint32_t off,
		       const struct l7_route_request *req, uint32_t *best)
{
	uint32_t n = v->lists[off];
	const uint32_t *idx = &v->lists[off + 1];
	for (uint32_t i = 0; i < n && idx[i] < *best; i++)
		if (conditions_pass(&v->routes[idx[i]], req)) {
			*best = idx[i];
			return;
		}
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof w);
	return w;
}

/*
 * The child whose label starts with c. The children's first bytes are
 * searched eight at a time: x = word ^ c*ones has a zero byte where a kid
 * equals c, and (x - ones) & ~x & high flags it (the lowest flag is always a
 * true zero byte). Kids are unique, so the first match is the match.
 */
static uint32_t find_child(const struct l7r_radix *t, const struct l7r_rnode *n, unsigned char c)
{
	const uint8_t *b = t->first_bytes + n->first_child;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n->n_children <= 32) { /* first_bytes has 8 bytes of padding */
		const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
		for (uint32_t j = 0; j < n->n_children; j += 8) {
			uint64_t x = load64(b + j) ^ (ones * c);
			uint64_t z = (x - ones) & ~x & high;
			if (z) {
				uint32_t i = j + (uint32_t)(__builtin_ctzll(z) >> 3);
				return i < n->n_children ? n->first_child + i : L7_NONE;
			}
		}
		return L7_NONE;
	}
#endif
	uint32_t lo = 0, hi = n->n_children;
	while (hi - lo > 8) { /* sorted: halve until a short scan is cheaper */
		uint32_t mid = lo + (hi - lo) / 2;
		if (b[mid] <= c)
			lo = mid;
		else
			hi = mid;
	}
	for (uint32_t i = lo; i < hi; i++)
		if (b[i] == c)
			return n->first_child + i;
	return L7_NONE;
}

/* Labels are short (a path segment or less): a byte loop beats a call.
 * Byte 0 was matched by find_child. */
static bool label_eq(const struct l7r_radix *t, const struct l7r_rnode *m, const char *s,
		     bool cs)
{
	const char *label = m->label_len <= L7R_LABEL_INLINE ? m->label : t->labels + m->label_off;
	size_t n = m->label_len;
	if (cs) {
		for (size_t i = 1; i < n; i++)
			if (label[i] != s[i])
				return false;
		return true;
	}
	for (size_t i = 1; i < n; i++)
		if ((unsigned char)label[i] != lower((unsigned char)s[i]))
			return false;
	return true;
}

static void walk_trie(const struct l7r_vhost *v, const struct l7r_radix *t, bool cs,
		      const char *path, size_t len, const struct l7_route_request *req,
		      uint32_t *best)
{
	if (t->n_nodes == 0)
		return;
	const struct l7r_rnode *n = &t->nodes[0];
	size_t pos = 0;
	for (;;) {
		if (n->ref != L7_NONE) {
			if (n->ref & L7R_REF_DIRECT) {
				if ((n->ref & ~L7R_REF_DIRECT) < *best)
					*best = n->ref & ~L7R_REF_DIRECT;
			} else {
				visit_list(v, n->ref, req, best);
			}
		}
		if (pos == len || n->n_children == 0)
			return;
		unsigned char c = (unsigned char)path[pos];
		uint32_t ci = find_child(t, n, cs ? c : lower(c));
		if (ci == L7_NONE)
			return;
		const struct l7r_rnode *m = &t->nodes[ci];
		if (len - pos < m->label_len || !label_eq(t, m, path + pos, cs))
			return;
		pos += m->label_len;
		n = m;
	}
}

uint32_t l7r_route_lookup(const struct l7r_vhost *v, const struct l7_route_request *req)
{
	const char *path = req->path ? req->path : "";
	size_t len = req->path ? req->path_len : 0;
	uint32_t best = L7_NONE;
	walk_trie(v, &v->trie_cs, true, path, len, req, &best);
	walk_trie(v, &v->trie_ci, false, path, len, req, &best);
	if (v->exact_cs.count == 0 && v->exact_ci.count == 0 && v->n_regex == 0)
		return best;
	size_t nq = l7r_path_noquery_len(path, len);
	uint32_t off = l7r_strmap_get(&v->exact_cs, path, nq);
	if (off != L7_NONE)
		visit_list(v, off, req, &best);
	off = l7r_strmap_get(&v->exact_ci, path, nq);
	if (off != L7_NONE)
		visit_list(v, off, req, &best);
	for (size_t i = 0; i < v->n_regex && v->regex_routes[i] < best; i++) {
		const struct l7r_route *rt = &v->routes[v->regex_routes[i]];
		if (l7r_regex_full(&rt->re, path, nq) && conditions_pass(rt, req)) {
			best = rt->index;
			break;
		}
	}
	return best;
}

/* ---------------------------------------------------------------- build */

_Static_assert(sizeof(struct l7r_rnode) == 32, "two tree nodes per cache line");

/* A plain byte trie, built first and then compressed into the radix form. */
struct tnode {
	uint32_t first_child;
	uint32_t next_sibling;
	uint32_t routes_head; /* chain in struct build.rlink, ascending */
	uint32_t routes_tail;
	uint32_t n_routes;
	uint32_t n_children;
	uint8_t byte;
};

struct rlink {
	uint32_t route;
	uint32_t next;
};

struct build {
	struct tnode *t;
	size_t n_t, cap_t;
	struct rlink *rl;
	size_t n_rl, cap_rl;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 64;
	while (nc < need)
		nc *= 2;
	void *q = realloc(*p, nc * elem);
	if (!q)
		return L7_ENOMEM;
	*p = q;
	*cap = nc;
	return 0;
}

static int tnode_new(struct build *b, uint8_t byte, uint32_t *out)
{
	if (grow((void **)&b->t, &b->cap_t, b->n_t + 1, sizeof *b->t))
		return L7_ENOMEM;
	struct tnode *n = &b->t[b->n_t];
	memset(n, 0, sizeof *n);
	n->first_child = n->next_sibling = n->routes_head = n->routes_tail = L7_NONE;
	n->byte = byte;
	*out = (uint32_t)b->n_t++;
	return 0;
}

static int trie_insert(struct build *b, const char *key, size_t len, uint32_t route)
{
	uint32_t cur = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)key[i];
		uint32_t ch = b->t[cur].first_child;
		while (ch != L7_NONE && b->t[ch].byte != c)
			ch = b->t[ch].next_sibling;
		if (ch == L7_NONE) {
			if (tnode_new(b, c, &ch))
				return L7_ENOMEM;
			b->t[ch].next_sibling = b->t[cur].first_child;
			b->t[cur].first_child = ch;
			b->t[cur].n_children++;
		}
		cur = ch;
	}
	if (grow((void **)&b->rl, &b->cap_rl, b->n_rl + 1, sizeof *b->rl))
		return L7_ENOMEM;
	uint32_t li = (uint32_t)b->n_rl++;
	b->rl[li].route = route;
	b->rl[li].next = L7_NONE;
	struct tnode *n = &b->t[cur];
	if (n->routes_tail == L7_NONE)
		n->routes_head = li;
	else
		b->rl[n->routes_tail].next = li;
	n->routes_tail = li;
	n->n_routes++;
	return 0;
}

struct list_pool {
	uint32_t *v;
	size_t n, cap;
};

static int pool_push(struct list_pool *p, uint32_t x)
{
	if (grow((void **)&p->v, &p->cap, p->n + 1, sizeof *p->v))
		return L7_ENOMEM;
	p->v[p->n++] = x;
	return 0;
}

static int emit_list(struct build *b, struct list_pool *p, uint32_t tn, uint32_t *off)
{
	if (b->t[tn].n_routes == 0) {
		*off = L7_NONE;
		return 0;
	}
	*off = (uint32_t)p->n;
	if (pool_push(p, b->t[tn].n_routes))
		return L7_ENOMEM;
	for (uint32_t l = b->t[tn].routes_head; l != L7_NONE; l = b->rl[l].next)
		if (pool_push(p, b->rl[l].route))
			return L7_ENOMEM;
	return 0;
}

static int cmp_byte_node(const void *a, const void *b, void *ctx)
{
	const struct tnode *t = ctx;
	return (int)t[*(const uint32_t *)a].byte - (int)t[*(const uint32_t *)b].byte;
}

/* The node's ref: its first route outright if unconditional, else its list. */
static uint32_t ref_of(const struct l7r_vhost *v, const struct list_pool *p, uint32_t list)
{
	if (list == L7_NONE)
		return L7_NONE;
	uint32_t first = p->v[list + 1];
	return v->routes[first].n_headers == 0 ? (L7R_REF_DIRECT | first) : list;
}

/* Compress b's trie into r: chains of single-child, route-less nodes become
 * one edge label. Nodes are emitted breadth first so each node's children
 * are consecutive nodes. */
static int compress(const struct l7r_vhost *v, struct build *b, struct l7r_radix *r,
		    struct list_pool *p)
{
	size_t cap = b->n_t;
	r->nodes = aligned_alloc(sizeof *r->nodes, cap * sizeof *r->nodes); /* no node straddles a line */
	if (r->nodes)
		memset(r->nodes, 0, cap * sizeof *r->nodes);
	r->first_bytes = calloc(cap + 8, 1);
	r->labels = calloc(cap, 1);
	uint32_t *origin = calloc(cap, sizeof *origin); /* rnode -> tnode at its tail */
	uint32_t *kids = calloc(256, sizeof *kids);
	if (!r->nodes || !r->first_bytes || !r->labels || !origin || !kids) {
		free(origin);
		free(kids);
		return L7_ENOMEM;
	}
	size_t n_nodes = 1, n_label = 0;
	origin[0] = 0;
	uint32_t list;
	int rc = emit_list(b, p, 0, &list);
	r->nodes[0].ref = rc ? L7_NONE : ref_of(v, p, list);
	for (size_t i = 0; i < n_nodes && rc == 0; i++) {
		uint32_t tn = origin[i];
		uint32_t nk = 0;
		for (uint32_t ch = b->t[tn].first_child; ch != L7_NONE; ch = b->t[ch].next_sibling)
			kids[nk++] = ch;
		qsort_r(kids, nk, sizeof *kids, cmp_byte_node, b->t);
		r->nodes[i].first_child = (uint32_t)n_nodes;
		r->nodes[i].n_children = (uint16_t)nk;
		for (uint32_t k = 0; k < nk && rc == 0; k++) {
			uint32_t cur = kids[k];
			struct l7r_rnode *m = &r->nodes[n_nodes];
			m->label_off = (uint32_t)n_label;
			r->first_bytes[n_nodes] = b->t[cur].byte;
			r->labels[n_label++] = (char)b->t[cur].byte;
			while (b->t[cur].n_routes == 0 && b->t[cur].n_children == 1 &&
			       n_label - m->label_off < UINT16_MAX) {
				cur = b->t[cur].first_child;
				r->labels[n_label++] = (char)b->t[cur].byte;
			}
			m->label_len = (uint16_t)(n_label - m->label_off);
			if (m->label_len <= L7R_LABEL_INLINE)
				memcpy(m->label, r->labels + m->label_off, m->label_len);
			origin[n_nodes] = cur;
			rc = emit_list(b, p, cur, &list);
			m->ref = rc ? L7_NONE : ref_of(v, p, list);
			n_nodes++;
		}
	}
	r->n_nodes = (uint32_t)n_nodes;
	free(origin);
	free(kids);
	return rc;
}

static void radix_free(struct l7r_radix *r)
{
	free(r->nodes);
	free(r->first_bytes);
	free(r->labels);
	memset(r, 0, sizeof *r);
}

static int build_trie(struct l7r_vhost *v, bool cs, struct l7r_radix *out,
		      struct list_pool *p)
{
	struct build b = { 0 };
	uint32_t root;
	int rc = tnode_new(&b, 0, &root);
	for (size_t i = 0; i < v->n_routes && rc == 0; i++) {
		const struct l7r_route *rt = &v->routes[i];
		if (rt->kind == L7R_PATH_PREFIX && rt->case_sensitive == cs)
			rc = trie_insert(&b, rt->path, rt->path_len, rt->index);
	}
	if (rc == 0 && b.n_rl > 0)
		rc = compress(v, &b, out, p);
	free(b.t);
	free(b.rl);
	return rc;
}

static int cmp_exact(const void *a, const void *b, void *ctx)
{
	const struct l7r_route *routes = ctx;
	const struct l7r_route *x = &routes[*(const uint32_t *)a], *y = &routes[*(const uint32_t *)b];
	size_t n = x->path_len < y->path_len ? x->path_len : y->path_len;
	int c = memcmp(x->path, y->path, n);
	if (c)
		return c;
	if (x->path_len != y->path_len)
		return x->path_len < y->path_len ? -1 : 1;
	return x->index < y->index ? -1 : (x->index > y->index);
}

/* Group exact-path routes by path (stored lowercased when case-insensitive)
 * into ascending lists and map each path to its list. */
static int build_exact(struct l7r_vhost *v, bool cs, struct l7r_strmap *m, struct list_pool *p)
{
	uint32_t *ids = malloc((v->n_routes + 1) * sizeof *ids);
	if (!ids)
		return L7_ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < v->n_routes; i++)
		if (v->routes[i].kind == L7R_PATH_EXACT && v->routes[i].case_sensitive == cs)
			ids[n++] = (uint32_t)i;
	int rc = 0;
	if (n > 0) {
		qsort_r(ids, n, sizeof *ids, cmp_exact, v->routes);
		rc = l7r_strmap_init(m, n, !cs);
	}
	for (size_t i = 0; i < n && rc == 0;) {
		size_t j = i;
		const struct l7r_route *ri = &v->routes[ids[i]];
		while (j < n && v->routes[ids[j]].path_len == ri->path_len &&
		       memcmp(v->routes[ids[j]].path, ri->path, ri->path_len) == 0)
			j++;
		uint32_t off = (uint32_t)p->n;
		rc = pool_push(p, (uint32_t)(j - i));
		for (size_t k = i; k < j && rc == 0; k++)
			rc = pool_push(p, ids[k]);
		if (rc == 0)
			rc = l7r_strmap_put(m, ri->path, ri->path_len, off);
		i = j;
	}
	free(ids);
	return rc;
}

static int build_vhost(struct l7r_vhost *v)
{
	struct list_pool p = { 0 };
	int rc = build_trie(v, true, &v->trie_cs, &p);
	if (rc == 0)
		rc = build_trie(v, false, &v->trie_ci, &p);
	if (rc == 0)
		rc = build_exact(v, true, &v->exact_cs, &p);
	if (rc == 0)
		rc = build_exact(v, false, &v->exact_ci, &p);
	v->lists = p.v;
	v->n_lists = p.n;
	if (rc == 0) {
		v->regex_routes = malloc((v->n_routes + 1) * sizeof *v->regex_routes);
		if (!v->regex_routes)
			return L7_ENOMEM;
		for (size_t i = 0; i < v->n_routes; i++)
			if (v->routes[i].kind == L7R_PATH_REGEX)
				v->regex_routes[v->n_regex++] = (uint32_t)i;
	}
	return rc;
}

static int cmp_len_desc(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? 1 : (x > y ? -1 : 0);
}

static size_t unique_sorted(uint32_t *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_len_desc);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (k == 0 || v[k - 1] != v[i])
			v[k++] = v[i];
	return k;
}

/* Domains were validated and made unique by the loader. */
static int build_hosts(struct l7_router *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_vhosts; i++)
		n += r->vhosts[i].n_domains;
	int rc = l7r_strmap_init(&r->host_exact, n, true);
	if (rc == 0)
		rc = l7r_strmap_init(&r->host_suffix, n, true);
	if (rc == 0)
		rc = l7r_strmap_init(&r->host_prefix, n, true);
	r->suffix_lens = calloc(n + 1, sizeof *r->suffix_lens);
	r->prefix_lens = calloc(n + 1, sizeof *r->prefix_lens);
	if (rc || !r->suffix_lens || !r->prefix_lens)
		return L7_ENOMEM;
	r->host_any = L7_NONE;
	for (size_t i = 0; i < r->n_vhosts && rc == 0; i++)
		for (size_t j = 0; j < r->vhosts[i].n_domains && rc == 0; j++) {
			const char *d = r->vhosts[i].domains[j];
			size_t dl = strlen(d);
			uint32_t vi = (uint32_t)i;
			if (dl == 1 && d[0] == '*') {
				r->host_any = vi;
			} else if (d[0] == '*') {
				rc = l7r_strmap_put(&r->host_suffix, d + 1, dl - 1, vi);
				r->suffix_lens[r->n_suffix_lens++] = (uint32_t)(dl - 1);
			} else if (d[dl - 1] == '*') {
				rc = l7r_strmap_put(&r->host_prefix, d, dl - 1, vi);
				r->prefix_lens[r->n_prefix_lens++] = (uint32_t)(dl - 1);
			} else {
				rc = l7r_strmap_put(&r->host_exact, d, dl, vi);
			}
		}
	r->n_suffix_lens = unique_sorted(r->suffix_lens, r->n_suffix_lens);
	r->n_prefix_lens = unique_sorted(r->prefix_lens, r->n_prefix_lens);
	return rc;
}

int l7r_index_build(struct l7_router *r)
{
	int rc = build_hosts(r);
	for (size_t i = 0; i < r->n_vhosts && rc == 0; i++)
		rc = build_vhost(&r->vhosts[i]);
	return rc;
}

void l7r_index_free(struct l7_router *r)
{
	for (size_t i = 0; i < r->n_vhosts; i++) {
		struct l7r_vhost *v = &r->vhosts[i];
		radix_free(&v->trie_cs);
		radix_free(&v->trie_ci);
		l7r_strmap_free(&v->exact_cs);
		l7r_strmap_free(&v->exact_ci);
		free(v->regex_routes);
		free(v->lists);
		v->regex_routes = NULL;
		v->lists = NULL;
	}
	l7r_strmap_free(&r->host_exact);
	l7r_strmap_free(&r->host_suffix);
	l7r_strmap_free(&r->host_prefix);
	free(r->suffix_lens);
	free(r->prefix_lens);
	r->suffix_lens = r->prefix_lens = NULL;
}
