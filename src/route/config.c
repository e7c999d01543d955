/*
 * config.c — the JSON loader: a documented subset of Envoy's v3
 * RouteConfiguration plus our clusters[] (docs/config.md, "Routes and
 * clusters"), turned into a struct l7_router.
 *
 * Invariants: every key of every object is checked against the keys that
 * object may have, and every error names the JSON path of the offending key
 * ("virtual_hosts[0].routes[2].match.prefx: unknown key"); the first error
 * wins and the loader never prints. A rejected configuration leaves nothing
 * allocated behind.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_internal.h"

#define PATH_MAX_CHARS 512
#define DEFAULT_CAPACITY 64u

struct ctx {
	char *err;
	size_t err_len;
	char path[PATH_MAX_CHARS];
	size_t plen;
	struct l7_router *r;
	uint64_t seed;
	struct l7r_strmap domains; /* every domain seen, for duplicates */
};

/* ---------------------------------------------------------------- paths */

static size_t push_key(struct ctx *c, const char *key)
{
	size_t old = c->plen;
	int n = snprintf(c->path + c->plen, sizeof c->path - c->plen, "%s%s",
			 c->plen ? "." : "", key);
	if (n > 0)
		c->plen += (size_t)n < sizeof c->path - c->plen ? (size_t)n : sizeof c->path - c->plen - 1;
	return old;
}

static size_t push_index(struct ctx *c, size_t i)
{
	size_t old = c->plen;
	int n = snprintf(c->path + c->plen, sizeof c->path - c->plen, "[%zu]", i);
	if (n > 0)
		c->plen += (size_t)n < sizeof c->path - c->plen ? (size_t)n : sizeof c->path - c->plen - 1;
	return old;
}

static void pop(struct ctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int fail(struct ctx *c, const char *fmt, ...)
{
	if (c->err && c->err_len) {
		int n = snprintf(c->err, c->err_len, "%s: ", c->plen ? c->path : "(root)");
		if (n >= 0 && (size_t)n < c->err_len) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(c->err + n, c->err_len - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return L7_ECONFIG;
}

/* Fails at path.key. */
static int fail_at(struct ctx *c, const char *key, const char *what)
{
	size_t old = push_key(c, key);
	fail(c, "%s", what);
	pop(c, old);
	return L7_ECONFIG;
}

static int check_keys(struct ctx *c, const json_t *obj, const char *const *allowed)
{
	const char *key = NULL;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v) {
		bool ok = false;
		for (size_t i = 0; allowed[i] && !ok; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (!ok)
			return fail_at(c, key, "unknown key");
	}
	return 0;
}

/* ---------------------------------------------------------------- values */

static int want_object(struct ctx *c, const json_t *v)
{
	return json_is_object(v) ? 0 : fail(c, "expected an object");
}

/* Optional member: *out stays NULL when absent. Type checked by the caller. */
static const json_t *member(const json_t *obj, const char *key)
{
	return json_object_get(obj, key);
}

static int get_string(struct ctx *c, const json_t *obj, const char *key, bool required,
		      const char **out)
{
	const json_t *v = member(obj, key);
	*out = NULL;
	if (!v)
		return required ? fail_at(c, key, "required key is missing") : 0;
	if (!json_is_string(v))
		return fail_at(c, key, "expected a string");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail_at(c, key, "contains a NUL byte");
	*out = json_string_value(v);
	return 0;
}

static int get_bool(struct ctx *c, const json_t *obj, const char *key, bool *out)
{
	const json_t *v = member(obj, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return fail_at(c, key, "expected a boolean");
	*out = json_is_true(v);
	return 0;
}

static int get_uint(struct ctx *c, const json_t *obj, const char *key, bool required,
		    uint64_t lo, uint64_t hi, uint64_t *out)
{
	const json_t *v = member(obj, key);
	if (!v)
		return required ? fail_at(c, key, "required key is missing") : 0;
	if (!json_is_integer(v))
		return fail_at(c, key, "expected an integer");
	json_int_t x = json_integer_value(v);
	if (x < 0 || (uint64_t)x < lo || (uint64_t)x > hi) {
		char msg[96];
		snprintf(msg, sizeof msg, "out of range (%llu..%llu)", (unsigned long long)lo,
			 (unsigned long long)hi);
		return fail_at(c, key, msg);
	}
	*out = (uint64_t)x;
	return 0;
}

static int get_array(struct ctx *c, const json_t *obj, const char *key, bool required,
		     const json_t **out)
{
	const json_t *v = member(obj, key);
	*out = NULL;
	if (!v)
		return required ? fail_at(c, key, "required key is missing") : 0;
	if (!json_is_array(v))
		return fail_at(c, key, "expected an array");
	*out = v;
	return 0;
}

static int get_object(struct ctx *c, const json_t *obj, const char *key, bool required,
		      const json_t **out)
{
	const json_t *v = member(obj, key);
	*out = NULL;
	if (!v)
		return required ? fail_at(c, key, "required key is missing") : 0;
	if (!json_is_object(v))
		return fail_at(c, key, "expected an object");
	*out = v;
	return 0;
}

static char *dup_lower(const char *s, bool lower)
{
	char *d = strdup(s);
	if (d && lower)
		for (char *p = d; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return d;
}

static int oom(struct ctx *c)
{
	fail(c, "out of memory");
	return L7_ENOMEM;
}

/* ---------------------------------------------------------------- regex */

/* obj is {"regex": "...", "google_re2": {}} (Envoy's RegexMatcher). */
static int parse_regex_obj(struct ctx *c, const json_t *obj, regex_t *re, bool *has)
{
	static const char *const keys[] = { "regex", "google_re2", NULL };
	const char *expr = NULL;
	const json_t *g = NULL;
	int rc = want_object(c, obj);
	if (!rc)
		rc = check_keys(c, obj, keys);
	if (!rc)
		rc = get_object(c, obj, "google_re2", false, &g);
	if (!rc)
		rc = get_string(c, obj, "regex", true, &expr);
	if (rc)
		return rc;
	char msg[160];
	if (l7r_regex_compile(re, expr, msg, sizeof msg) != 0) {
		char what[200];
		snprintf(what, sizeof what, "invalid regex: %s", msg);
		return fail_at(c, "regex", what);
	}
	*has = true;
	return 0;
}

/* ---------------------------------------------------------------- headers */

static int parse_pseudo(struct ctx *c, struct l7r_header_matcher *m)
{
	m->pseudo = L7R_HDR_PLAIN;
	if (m->name[0] != ':')
		return 0;
	if (strcmp(m->name, ":method") == 0)
		m->pseudo = L7R_HDR_METHOD;
	else if (strcmp(m->name, ":path") == 0)
		m->pseudo = L7R_HDR_PATH;
	else if (strcmp(m->name, ":authority") == 0)
		m->pseudo = L7R_HDR_AUTHORITY;
	else {
		char what[128];
		snprintf(what, sizeof what, "unsupported pseudo-header \"%.64s\"", m->name);
		return fail_at(c, "name", what);
	}
	return 0;
}

static int set_value(struct ctx *c, struct l7r_header_matcher *m, enum l7r_str_kind kind,
		     const json_t *v, const char *key)
{
	if (!json_is_string(v))
		return fail_at(c, key, "expected a string");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail_at(c, key, "contains a NUL byte");
	m->kind = kind;
	m->value = strdup(json_string_value(v));
	m->value_len = json_string_length(v);
	return m->value ? 0 : oom(c);
}

/* Envoy's StringMatcher: one of exact/prefix/suffix/contains/safe_regex. */
static int parse_string_match(struct ctx *c, const json_t *obj, struct l7r_header_matcher *m)
{
	static const char *const keys[] = { "exact", "prefix", "suffix", "contains",
					    "safe_regex", "ignore_case", NULL };
	static const char *const kinds[] = { "exact", "prefix", "suffix", "contains" };
	int rc = want_object(c, obj);
	if (!rc)
		rc = check_keys(c, obj, keys);
	if (!rc)
		rc = get_bool(c, obj, "ignore_case", &m->ignore_case);
	if (rc)
		return rc;
	int found = 0;
	for (int k = 0; k < 4 && !rc; k++) {
		const json_t *v = member(obj, kinds[k]);
		if (v && found++ == 0)
			rc = set_value(c, m, (enum l7r_str_kind)k, v, kinds[k]);
	}
	const json_t *re = member(obj, "safe_regex");
	if (!rc && re && found++ == 0) {
		size_t old = push_key(c, "safe_regex");
		m->kind = L7R_STR_REGEX;
		rc = parse_regex_obj(c, re, &m->re, &m->has_re);
		pop(c, old);
	}
	if (!rc && found != 1)
		rc = fail(c, "exactly one of exact, prefix, suffix, contains, safe_regex is required");
	return rc;
}

static int parse_header_matcher(struct ctx *c, const json_t *obj, struct l7r_header_matcher *m)
{
	static const char *const keys[] = { "name", "exact_match", "prefix_match",
					    "suffix_match", "contains_match", "present_match",
					    "safe_regex_match", "string_match", "invert_match",
					    NULL };
	static const char *const kinds[] = { "exact_match", "prefix_match", "suffix_match",
					     "contains_match" };
	const char *name = NULL;
	int rc = want_object(c, obj);
	if (!rc)
		rc = check_keys(c, obj, keys);
	if (!rc)
		rc = get_string(c, obj, "name", true, &name);
	if (!rc && name[0] == '\0')
		rc = fail_at(c, "name", "must not be empty");
	if (rc)
		return rc;
	if (!(m->name = strdup(name)))
		return oom(c);
	m->name_len = strlen(name);
	if ((rc = parse_pseudo(c, m)) || (rc = get_bool(c, obj, "invert_match", &m->invert)))
		return rc;
	int found = 0;
	for (int k = 0; k < 4 && !rc; k++) {
		const json_t *v = member(obj, kinds[k]);
		if (v && found++ == 0)
			rc = set_value(c, m, (enum l7r_str_kind)k, v, kinds[k]);
	}
	const json_t *v = member(obj, "present_match");
	if (!rc && v && found++ == 0) {
		m->kind = L7R_STR_PRESENT;
		rc = get_bool(c, obj, "present_match", &m->present);
	}
	if (!rc && (v = member(obj, "safe_regex_match")) && found++ == 0) {
		size_t old = push_key(c, "safe_regex_match");
		m->kind = L7R_STR_REGEX;
		rc = parse_regex_obj(c, v, &m->re, &m->has_re);
		pop(c, old);
	}
	if (!rc && (v = member(obj, "string_match")) && found++ == 0) {
		size_t old = push_key(c, "string_match");
		rc = parse_string_match(c, v, m);
		pop(c, old);
	}
	if (rc)
		return rc;
	if (found > 1)
		return fail(c, "more than one match specifier");
	if (found == 0) { /* Envoy: a matcher with only a name tests presence */
		m->kind = L7R_STR_PRESENT;
		m->present = true;
	}
	return 0;
}

/* ---------------------------------------------------------------- routes */

static int parse_match(struct ctx *c, const json_t *obj, struct l7r_route *rt)
{
	static const char *const keys[] = { "prefix", "path", "safe_regex", "headers",
					    "case_sensitive", NULL };
	const char *prefix = NULL, *path = NULL;
	const json_t *re = NULL, *headers = NULL;
	int rc = want_object(c, obj);
	if (!rc)
		rc = check_keys(c, obj, keys);
	rt->case_sensitive = true;
	if (!rc)
		rc = get_bool(c, obj, "case_sensitive", &rt->case_sensitive);
	if (!rc)
		rc = get_string(c, obj, "prefix", false, &prefix);
	if (!rc)
		rc = get_string(c, obj, "path", false, &path);
	if (!rc)
		rc = get_array(c, obj, "headers", false, &headers);
	if (rc)
		return rc;
	re = member(obj, "safe_regex");
	if ((prefix != NULL) + (path != NULL) + (re != NULL) != 1)
		return fail(c, "exactly one of prefix, path, safe_regex is required");
	if (prefix || path) {
		const json_t *s = member(obj, prefix ? "prefix" : "path");
		rt->kind = prefix ? L7R_PATH_PREFIX : L7R_PATH_EXACT;
		rt->path = dup_lower(prefix ? prefix : path, !rt->case_sensitive);
		rt->path_len = json_string_length(s);
		if (!rt->path)
			return oom(c);
	} else {
		size_t old = push_key(c, "safe_regex");
		rt->kind = L7R_PATH_REGEX;
		rc = parse_regex_obj(c, re, &rt->re, &rt->has_re);
		pop(c, old);
		if (rc)
			return rc;
	}
	if (!headers)
		return 0;
	size_t n = json_array_size(headers);
	rt->headers = calloc(n + 1, sizeof *rt->headers);
	if (!rt->headers)
		return oom(c);
	size_t old = push_key(c, "headers");
	for (size_t i = 0; i < n && !rc; i++) {
		size_t o2 = push_index(c, i);
		rc = parse_header_matcher(c, json_array_get(headers, i), &rt->headers[i]);
		rt->n_headers = i + 1; /* so destroy frees what was filled */
		pop(c, o2);
	}
	pop(c, old);
	return rc;
}

static struct l7_cluster *find_cluster(const struct l7_router *r, const char *name)
{
	for (size_t i = 0; i < r->n_clusters; i++)
		if (strcmp(l7_cluster_name(r->clusters[i]), name) == 0)
			return r->clusters[i];
	return NULL;
}

static int cluster_ref(struct ctx *c, const char *key, const char *name, struct l7_cluster **out)
{
	*out = find_cluster(c->r, name);
	if (*out)
		return 0;
	char what[128];
	snprintf(what, sizeof what, "unknown cluster \"%.64s\"", name);
	return fail_at(c, key, what);
}

static int parse_weighted(struct ctx *c, const json_t *obj, struct l7r_route *rt)
{
	static const char *const keys[] = { "clusters", NULL };
	static const char *const ckeys[] = { "name", "weight", NULL };
	const json_t *arr = NULL;
	int rc = want_object(c, obj);
	if (!rc)
		rc = check_keys(c, obj, keys);
	if (!rc)
		rc = get_array(c, obj, "clusters", true, &arr);
	if (rc)
		return rc;
	size_t n = json_array_size(arr);
	if (n == 0)
		return fail_at(c, "clusters", "must not be empty");
	if (!(rt->clusters = calloc(n, sizeof *rt->clusters)))
		return oom(c);
	size_t old = push_key(c, "clusters");
	for (size_t i = 0; i < n && !rc; i++) {
		const json_t *e = json_array_get(arr, i);
		const char *name;
		uint64_t w = 0;
		size_t o2 = push_index(c, i);
		rc = want_object(c, e);
		if (!rc)
			rc = check_keys(c, e, ckeys);
		if (!rc)
			rc = get_string(c, e, "name", true, &name);
		if (!rc)
			rc = get_uint(c, e, "weight", true, 0, L7R_WEIGHT_MAX, &w);
		if (!rc)
			rc = cluster_ref(c, "name", name, &rt->clusters[i].cluster);
		rt->clusters[i].weight = (uint32_t)w;
		rt->total_weight += w;
		pop(c, o2);
	}
	rt->n_clusters = n;
	if (!rc && rt->total_weight == 0)
		rc = fail(c, "weights sum to 0");
	pop(c, old);
	return rc;
}

static int parse_action(struct ctx *c, const json_t *obj, struct l7r_route *rt)
{
	static const char *const keys[] = { "cluster", "weighted_clusters", NULL };
	const char *name = NULL;
	const json_t *wc = NULL;
	int rc = want_object(c, obj);
	if (!rc)
		rc = check_keys(c, obj, keys);
	if (!rc)
		rc = get_string(c, obj, "cluster", false, &name);
	if (!rc)
		rc = get_object(c, obj, "weighted_clusters", false, &wc);
	if (rc)
		return rc;
	if ((name != NULL) == (wc != NULL))
		return fail(c, "exactly one of cluster, weighted_clusters is required");
	if (wc) {
		size_t old = push_key(c, "weighted_clusters");
		rc = parse_weighted(c, wc, rt);
		pop(c, old);
		return rc;
	}
	if (!(rt->clusters = calloc(1, sizeof *rt->clusters)))
		return oom(c);
	rt->n_clusters = 1;
	rt->clusters[0].weight = 1;
	rt->total_weight = 1;
	rc = cluster_ref(c, "cluster", name, &rt->clusters[0].cluster);
	if (rc == 0) {
		rt->cluster = rt->clusters[0].cluster;
		rt->cluster_name = l7_cluster_name(rt->cluster);
	}
	return rc;
}

static int parse_offload(struct ctx *c, const json_t *v, struct l7r_route *rt)
{
	static const char *const keys[] = { "min_response_bytes", NULL };
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (strcmp(s, "off") == 0)
			rt->offload = L7_OFFLOAD_OFF;
		else if (strcmp(s, "always") == 0)
			rt->offload = L7_OFFLOAD_ALWAYS;
		else
			return fail(c, "unknown offload mode \"%.64s\"", s);
		return 0;
	}
	if (!json_is_object(v))
		return fail(c, "expected a string or an object");
	int rc = check_keys(c, v, keys);
	if (!rc)
		rc = get_uint(c, v, "min_response_bytes", true, 0, INT64_MAX, &rt->offload_min_bytes);
	rt->offload = L7_OFFLOAD_MIN_BYTES;
	return rc;
}

static int parse_route(struct ctx *c, const json_t *obj, struct l7r_route *rt)
{
	static const char *const keys[] = { "name", "match", "route", "offload", NULL };
	const char *name = NULL;
	const json_t *match = NULL, *action = NULL;
	int rc = want_object(c, obj);
	if (!rc)
		rc = check_keys(c, obj, keys);
	if (!rc)
		rc = get_string(c, obj, "name", false, &name);
	if (!rc)
		rc = get_object(c, obj, "match", true, &match);
	if (!rc)
		rc = get_object(c, obj, "route", true, &action);
	if (rc)
		return rc;
	if (!(rt->name = strdup(name ? name : "")))
		return oom(c);
	size_t old = push_key(c, "match");
	rc = parse_match(c, match, rt);
	pop(c, old);
	if (rc)
		return rc;
	old = push_key(c, "route");
	rc = parse_action(c, action, rt);
	pop(c, old);
	const json_t *off = member(obj, "offload");
	if (!rc && off) {
		old = push_key(c, "offload");
		rc = parse_offload(c, off, rt);
		pop(c, old);
	}
	return rc;
}

/* ---------------------------------------------------------------- vhosts */

/* "*", "*.suffix"/"*-x", "prefix.*": one '*' at most, at one end. */
static bool domain_valid(const char *d)
{
	size_t n = strlen(d);
	if (n == 0)
		return false;
	/* ports are stripped from hosts, so "a.com:80" could never match; IPv6
	 * literals ("[::1]", "::1") keep their colons */
	const char *colon = strchr(d, ':');
	if (colon && d[0] != '[' && !strchr(colon + 1, ':'))
		return false;
	const char *star = strchr(d, '*');
	if (!star)
		return true;
	if (strchr(star + 1, '*'))
		return false;
	return n == 1 || star == d || star == d + n - 1;
}

static int parse_domains(struct ctx *c, const json_t *arr, struct l7r_vhost *v)
{
	size_t n = json_array_size(arr);
	int rc = 0;
	if (n == 0)
		return fail(c, "must not be empty");
	if (!(v->domains = calloc(n, sizeof *v->domains)))
		return oom(c);
	for (size_t i = 0; i < n && !rc; i++) {
		const json_t *d = json_array_get(arr, i);
		size_t old = push_index(c, i);
		if (!json_is_string(d)) {
			rc = fail(c, "expected a string");
		} else if (strlen(json_string_value(d)) != json_string_length(d)) {
			rc = fail(c, "contains a NUL byte");
		} else if (!domain_valid(json_string_value(d))) {
			rc = fail(c, "invalid domain \"%.128s\"", json_string_value(d));
		} else if (!(v->domains[i] = dup_lower(json_string_value(d), true))) {
			rc = oom(c);
		} else {
			v->n_domains = i + 1;
			size_t len = strlen(v->domains[i]);
			rc = l7r_strmap_put(&c->domains, v->domains[i], len, v->index);
			if (rc == L7_EEXIST)
				rc = fail(c, "duplicate domain \"%.128s\"", v->domains[i]);
			else if (rc)
				rc = oom(c);
		}
		pop(c, old);
	}
	return rc;
}

static int parse_vhost(struct ctx *c, const json_t *obj, struct l7r_vhost *v)
{
	static const char *const keys[] = { "name", "domains", "routes", NULL };
	const char *name = NULL;
	const json_t *domains = NULL, *routes = NULL;
	int rc = want_object(c, obj);
	if (!rc)
		rc = check_keys(c, obj, keys);
	if (!rc)
		rc = get_string(c, obj, "name", true, &name);
	if (!rc)
		rc = get_array(c, obj, "domains", true, &domains);
	if (!rc)
		rc = get_array(c, obj, "routes", false, &routes);
	if (rc)
		return rc;
	if (!(v->name = strdup(name)))
		return oom(c);
	size_t old = push_key(c, "domains");
	rc = parse_domains(c, domains, v);
	pop(c, old);
	size_t n = routes ? json_array_size(routes) : 0;
	if (rc)
		return rc;
	if (!(v->routes = calloc(n + 1, sizeof *v->routes)))
		return oom(c);
	old = push_key(c, "routes");
	for (size_t i = 0; i < n && !rc; i++) {
		size_t o2 = push_index(c, i);
		v->routes[i].index = (uint32_t)i;
		v->n_routes = i + 1;
		rc = parse_route(c, json_array_get(routes, i), &v->routes[i]);
		pop(c, o2);
	}
	pop(c, old);
	return rc;
}

/* ---------------------------------------------------------------- clusters */

static int parse_policy(struct ctx *c, const json_t *obj, enum l7_lb_policy *p)
{
	static const char *const names[] = { "ROUND_ROBIN", "LEAST_REQUEST", "RANDOM",
					     "RING_HASH", "MAGLEV" };
	const char *s = NULL;
	int rc = get_string(c, obj, "lb_policy", false, &s);
	*p = L7_LB_ROUND_ROBIN;
	if (rc || !s)
		return rc;
	for (int i = 0; i < 5; i++)
		if (strcmp(s, names[i]) == 0) {
			*p = (enum l7_lb_policy)i;
			return 0;
		}
	char what[128];
	snprintf(what, sizeof what, "unknown lb_policy \"%.64s\"", s);
	return fail_at(c, "lb_policy", what);
}

/* obj.key is {"<field>": N}; absent leaves *out alone. */
static int parse_sub_uint(struct ctx *c, const json_t *obj, const char *key, const char *field,
			  uint64_t lo, uint64_t hi, uint64_t *out)
{
	const char *const keys[] = { field, NULL };
	const json_t *sub = NULL;
	int rc = get_object(c, obj, key, false, &sub);
	if (rc || !sub)
		return rc;
	size_t old = push_key(c, key);
	rc = check_keys(c, sub, keys);
	if (!rc)
		rc = get_uint(c, sub, field, true, lo, hi, out);
	pop(c, old);
	return rc;
}

static int parse_hash_policy(struct ctx *c, const json_t *obj, struct l7r_hash_policy *p)
{
	static const char *const keys[] = { "header", "cookie", "connection_properties", NULL };
	static const char *const hkeys[] = { "header_name", NULL };
	static const char *const ckeys[] = { "name", NULL };
	static const char *const pkeys[] = { "source_ip", NULL };
	const json_t *h = NULL, *k = NULL, *cp = NULL;
	const char *name = NULL;
	int rc = want_object(c, obj);
	if (!rc)
		rc = check_keys(c, obj, keys);
	if (!rc)
		rc = get_object(c, obj, "header", false, &h);
	if (!rc)
		rc = get_object(c, obj, "cookie", false, &k);
	if (!rc)
		rc = get_object(c, obj, "connection_properties", false, &cp);
	if (rc)
		return rc;
	if ((h != NULL) + (k != NULL) + (cp != NULL) != 1)
		return fail(c, "exactly one of header, cookie, connection_properties is required");
	const char *key = h ? "header" : k ? "cookie" : "connection_properties";
	const json_t *sub = h ? h : k ? k : cp;
	size_t old = push_key(c, key);
	rc = check_keys(c, sub, h ? hkeys : k ? ckeys : pkeys);
	if (!rc && h)
		rc = get_string(c, sub, "header_name", true, &name);
	if (!rc && k)
		rc = get_string(c, sub, "name", true, &name);
	if (!rc && name && name[0] == '\0')
		rc = fail_at(c, h ? "header_name" : "name", "must not be empty");
	if (!rc && h && name[0] == ':' && strcmp(name, ":path") && strcmp(name, ":authority") &&
	    strcmp(name, ":method")) {
		char what[128];
		snprintf(what, sizeof what, "unsupported pseudo-header \"%.64s\"", name);
		rc = fail_at(c, "header_name", what);
	}
	if (!rc && cp) {
		bool src = false;
		rc = get_bool(c, sub, "source_ip", &src);
		if (!rc && !src)
			rc = fail_at(c, "source_ip", "must be true");
	}
	pop(c, old);
	p->kind = h ? L7R_HASH_HEADER : k ? L7R_HASH_COOKIE : L7R_HASH_SOURCE_IP;
	p->name = (char *)name; /* borrowed; the cluster copies it */
	return rc;
}

static int parse_hash_policies(struct ctx *c, const json_t *arr, struct l7_cluster *cl)
{
	size_t n = json_array_size(arr);
	struct l7r_hash_policy *p = calloc(n + 1, sizeof *p);
	int rc = 0;
	if (!p)
		return oom(c);
	size_t old = push_key(c, "hash_policy");
	for (size_t i = 0; i < n && !rc; i++) {
		size_t o2 = push_index(c, i);
		rc = parse_hash_policy(c, json_array_get(arr, i), &p[i]);
		pop(c, o2);
	}
	pop(c, old);
	if (!rc && l7r_cluster_set_hash_policies(cl, p, n))
		rc = oom(c);
	free(p);
	return rc;
}

static int parse_endpoint(struct ctx *c, const json_t *obj, struct l7_cluster *cl)
{
	static const char *const keys[] = { "address", "port", "weight", "health", NULL };
	const char *addr = NULL, *health = NULL;
	uint64_t port = 0, weight = 1;
	int rc = want_object(c, obj);
	if (!rc)
		rc = check_keys(c, obj, keys);
	if (!rc)
		rc = get_string(c, obj, "address", true, &addr);
	if (!rc)
		rc = get_uint(c, obj, "port", true, 1, 65535, &port);
	if (!rc)
		rc = get_uint(c, obj, "weight", false, 1, L7R_WEIGHT_MAX, &weight);
	if (!rc)
		rc = get_string(c, obj, "health", false, &health);
	if (rc)
		return rc;
	if (addr[0] == '\0' || strlen(addr) >= L7_ENDPOINT_ADDR_MAX)
		return fail_at(c, "address", "must be 1 to 63 bytes");
	enum l7_endpoint_health h = L7_EP_UP;
	if (health) {
		if (strcmp(health, "UP") == 0)
			h = L7_EP_UP;
		else if (strcmp(health, "DRAINING") == 0)
			h = L7_EP_DRAINING;
		else if (strcmp(health, "DOWN") == 0)
			h = L7_EP_DOWN;
		else
			return fail_at(c, "health", "expected \"UP\", \"DRAINING\" or \"DOWN\"");
	}
	uint64_t id;
	rc = l7_cluster_add_endpoint(cl, addr, (uint16_t)port, (uint32_t)weight, &id);
	if (rc == L7_EEXIST)
		return fail(c, "duplicate endpoint \"%s:%u\"", addr, (unsigned)port);
	if (rc == L7_EFULL)
		return fail(c, "more endpoints than max_endpoints");
	if (rc)
		return oom(c);
	return h == L7_EP_UP ? 0 : l7_cluster_set_health(cl, id, h);
}

static int parse_sticky(struct ctx *c, const json_t *obj, struct l7_cluster *cl)
{
	static const char *const keys[] = { "name", NULL };
	const json_t *s = NULL;
	const char *name = NULL;
	int rc = get_object(c, obj, "sticky_cookie", false, &s);
	if (rc || !s)
		return rc;
	size_t old = push_key(c, "sticky_cookie");
	rc = check_keys(c, s, keys);
	if (!rc)
		rc = get_string(c, s, "name", true, &name);
	if (!rc && name[0] == '\0')
		rc = fail_at(c, "name", "must not be empty");
	if (!rc && l7r_cluster_set_sticky(cl, name))
		rc = oom(c);
	pop(c, old);
	return rc;
}

static int parse_cluster(struct ctx *c, const json_t *obj, struct l7_cluster **out)
{
	static const char *const keys[] = { "name", "lb_policy", "endpoints", "hash_policy",
					    "ring_hash_lb_config", "maglev_lb_config",
					    "least_request_lb_config", "max_endpoints",
					    "sticky_cookie", NULL };
	const char *name = NULL;
	const json_t *eps = NULL, *hp = NULL;
	struct l7_cluster_options o = { 0 };
	uint64_t ring = L7_RING_DEFAULT_VNODES, table = L7_MAGLEV_DEFAULT_TABLE_SIZE;
	uint64_t choice = 2, cap = 0;
	int rc = want_object(c, obj);
	if (!rc)
		rc = check_keys(c, obj, keys);
	if (!rc)
		rc = get_string(c, obj, "name", true, &name);
	if (!rc && name[0] == '\0')
		rc = fail_at(c, "name", "must not be empty");
	if (!rc && find_cluster(c->r, name)) {
		char what[128];
		snprintf(what, sizeof what, "duplicate cluster \"%.64s\"", name);
		rc = fail_at(c, "name", what);
	}
	if (!rc)
		rc = parse_policy(c, obj, &o.policy);
	if (!rc)
		rc = get_array(c, obj, "endpoints", false, &eps);
	if (!rc)
		rc = get_array(c, obj, "hash_policy", false, &hp);
	if (!rc)
		rc = parse_sub_uint(c, obj, "ring_hash_lb_config", "vnodes", 1, 4096, &ring);
	if (!rc)
		rc = parse_sub_uint(c, obj, "maglev_lb_config", "table_size", 3, 5000011, &table);
	if (!rc && !l7r_is_prime((uint32_t)table)) {
		size_t old = push_key(c, "maglev_lb_config");
		rc = fail_at(c, "table_size", "must be a prime number");
		pop(c, old);
	}
	if (!rc)
		rc = parse_sub_uint(c, obj, "least_request_lb_config", "choice_count", 1, 64,
				    &choice);
	size_t n_eps = eps ? json_array_size(eps) : 0;
	cap = n_eps * 2 > DEFAULT_CAPACITY ? n_eps * 2 : DEFAULT_CAPACITY;
	if (!rc)
		rc = get_uint(c, obj, "max_endpoints", false, 1, 1u << 20, &cap);
	if (!rc && o.policy == L7_LB_MAGLEV && cap > table)
		rc = fail_at(c, "max_endpoints", "larger than the Maglev table size");
	if (rc)
		return rc;
	o.max_endpoints = (uint32_t)cap;
	o.ring_vnodes = (uint32_t)ring;
	o.maglev_table_size = (uint32_t)table;
	o.choice_count = (uint32_t)choice;
	o.seed = l7r_mix64(c->seed ^ l7_route_hash(name, strlen(name), 0));
	rc = l7_cluster_create(name, &o, out);
	if (rc == L7_ERANGE)
		return fail_at(c, "max_endpoints", "too large for this lb_policy");
	if (rc)
		return oom(c);
	if (hp && (rc = parse_hash_policies(c, hp, *out)))
		return rc;
	if ((rc = parse_sticky(c, obj, *out)))
		return rc;
	size_t old = push_key(c, "endpoints");
	for (size_t i = 0; i < n_eps && !rc; i++) {
		size_t o2 = push_index(c, i);
		rc = parse_endpoint(c, json_array_get(eps, i), *out);
		pop(c, o2);
	}
	pop(c, old);
	return rc;
}

/* ---------------------------------------------------------------- top */

static int parse_root(struct ctx *c, const json_t *root)
{
	static const char *const keys[] = { "name", "virtual_hosts", "clusters", NULL };
	const char *name = NULL;
	const json_t *vhosts = NULL, *clusters = NULL;
	struct l7_router *r = c->r;
	int rc = want_object(c, root);
	if (!rc)
		rc = check_keys(c, root, keys);
	if (!rc)
		rc = get_string(c, root, "name", false, &name);
	if (!rc)
		rc = get_array(c, root, "clusters", false, &clusters);
	if (!rc)
		rc = get_array(c, root, "virtual_hosts", true, &vhosts);
	if (rc)
		return rc;
	size_t nc = clusters ? json_array_size(clusters) : 0;
	size_t nv = json_array_size(vhosts);
	r->clusters = calloc(nc + 1, sizeof *r->clusters);
	r->vhosts = calloc(nv + 1, sizeof *r->vhosts);
	if (!r->clusters || !r->vhosts)
		return oom(c);
	size_t old = push_key(c, "clusters");
	for (size_t i = 0; i < nc && !rc; i++) {
		size_t o2 = push_index(c, i);
		struct l7_cluster *cl = NULL;
		rc = parse_cluster(c, json_array_get(clusters, i), &cl);
		if (cl)
			r->clusters[r->n_clusters++] = cl;
		pop(c, o2);
	}
	pop(c, old);
	if (rc)
		return rc;
	size_t ndom = 0;
	for (size_t i = 0; i < nv; i++) {
		const json_t *d = json_object_get(json_array_get(vhosts, i), "domains");
		ndom += json_is_array(d) ? json_array_size(d) : 0;
	}
	if (l7r_strmap_init(&c->domains, ndom, true))
		return oom(c);
	old = push_key(c, "virtual_hosts");
	for (size_t i = 0; i < nv && !rc; i++) {
		size_t o2 = push_index(c, i);
		r->vhosts[i].index = (uint32_t)i;
		r->n_vhosts = i + 1;
		rc = parse_vhost(c, json_array_get(vhosts, i), &r->vhosts[i]);
		pop(c, o2);
	}
	pop(c, old);
	return rc;
}

int l7_router_load_json(const struct json_t *root, const char *where,
			const struct l7_router_options *opt, struct l7_router **out,
			char *err, size_t err_len)
{
	struct ctx c;
	memset(&c, 0, sizeof c);
	c.err = err;
	c.err_len = err_len;
	if (err && err_len)
		err[0] = '\0';
	if (!root || !out)
		return L7_EINVAL;
	*out = NULL;
	if (where && where[0])
		push_key(&c, where);
	c.seed = opt ? opt->seed : 0;
	if (!(c.r = calloc(1, sizeof *c.r)))
		return oom(&c);
	c.r->host_any = L7_NONE;
	int rc = parse_root(&c, (const json_t *)root);
	l7r_strmap_free(&c.domains);
	if (rc == 0 && (rc = l7r_index_build(c.r)) != 0)
		rc = oom(&c);
	if (rc) {
		l7_router_destroy(c.r);
		return rc;
	}
	*out = c.r;
	return 0;
}

static void syntax_error(char *err, size_t err_len, const char *file, const json_error_t *je)
{
	if (!err || !err_len)
		return;
	if (je->line > 0)
		snprintf(err, err_len, "%s%s%d:%d: %s", file ? file : "", file ? ":" : "",
			 je->line, je->column, je->text);
	else
		snprintf(err, err_len, "%s%s%s", file ? file : "", file ? ": " : "", je->text);
}

int l7_router_load_string(const char *json, const struct l7_router_options *opt,
			  struct l7_router **out, char *err, size_t err_len)
{
	json_error_t je;
	if (!json || !out)
		return L7_EINVAL;
	json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		syntax_error(err, err_len, NULL, &je);
		return L7_ECONFIG;
	}
	int rc = l7_router_load_json(root, NULL, opt, out, err, err_len);
	json_decref(root);
	return rc;
}

int l7_router_load_file(const char *path, const struct l7_router_options *opt,
			struct l7_router **out, char *err, size_t err_len)
{
	json_error_t je;
	if (!path || !out)
		return L7_EINVAL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (err && err_len)
			snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
		return L7_EIO;
	}
	json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (!root) {
		syntax_error(err, err_len, path, &je);
		return L7_ECONFIG;
	}
	char inner[512];
	int rc = l7_router_load_json(root, NULL, opt, out, inner, sizeof inner);
	json_decref(root);
	if (rc && err && err_len)
		snprintf(err, err_len, "%s: %s", path, inner);
	return rc;
}
