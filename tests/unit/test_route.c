/*
 * test_route.c — the router: host and path precedence, header, method and
 * regex conditions, the weighted split, offload hints, config errors with
 * their exact JSON paths, and the index against the linear reference on
 * seeded random configurations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "l7splice/route.h"

#define MAX_HDRS 8

struct req {
	struct l7_route_request r;
	struct l7_route_header h[MAX_HDRS];
};

/* "name: value" pairs, NULL-terminated. */
static void mkreq(struct req *q, const char *method, const char *host, const char *path,
		  const char *const *hdrs)
{
	memset(q, 0, sizeof *q);
	q->r.method = method;
	q->r.method_len = method ? strlen(method) : 0;
	q->r.host = host;
	q->r.host_len = host ? strlen(host) : 0;
	q->r.path = path;
	q->r.path_len = path ? strlen(path) : 0;
	for (size_t i = 0; hdrs && hdrs[i] && i < MAX_HDRS; i++) {
		const char *colon = strchr(hdrs[i], ':');
		q->h[i].name = hdrs[i];
		q->h[i].name_len = (size_t)(colon - hdrs[i]);
		q->h[i].value = colon + 2;
		q->h[i].value_len = strlen(colon + 2);
		q->r.n_headers = i + 1;
	}
	q->r.headers = q->h;
}

static struct l7_router *load(const char *json)
{
	struct l7_router *r = NULL;
	char err[256];
	int rc = l7_router_load_string(json, NULL, &r, err, sizeof err);
	if (rc != 0)
		fail_msg("config rejected: %s", err);
	return r;
}

/* Route and check both the index and the linear scan; returns the route's
 * name, or "-" when nothing matched. */
static const char *route_of(const struct l7_router *r, const char *method, const char *host,
			    const char *path, const char *const *hdrs)
{
	static char out[64];
	struct req q;
	struct l7_route_match m, ml;
	mkreq(&q, method, host, path, hdrs);
	int rc = l7_router_lookup(r, &q.r, 0, &m);
	int rcl = l7_router_lookup_linear(r, &q.r, 0, &ml);
	assert_int_equal(rc, rcl);
	if (rc == L7_ENOROUTE)
		return "-";
	assert_int_equal(rc, 0);
	assert_int_equal(m.vhost_index, ml.vhost_index);
	assert_int_equal(m.route_index, ml.route_index);
	snprintf(out, sizeof out, "%s/%s", m.vhost_name, m.route_name);
	return out;
}

#define CLUSTERS "\"clusters\":[{\"name\":\"c\",\"endpoints\":[{\"address\":\"10.0.0.1\",\"port\":80}]}," \
		 "{\"name\":\"d\",\"endpoints\":[{\"address\":\"10.0.0.2\",\"port\":80}]}]"
#define R(name) "{\"name\":\"" name "\",\"match\":{\"prefix\":\"/\"},\"route\":{\"cluster\":\"c\"}}"

static void domain_precedence(void **state)
{
	(void)state;
	struct l7_router *r = load("{" CLUSTERS ",\"virtual_hosts\":["
		"{\"name\":\"any\",\"domains\":[\"*\"],\"routes\":[" R("r") "]},"
		"{\"name\":\"sfx\",\"domains\":[\"*.example.com\"],\"routes\":[" R("r") "]},"
		"{\"name\":\"sfx2\",\"domains\":[\"*.b.example.com\",\"*-dash.org\"],\"routes\":[" R("r") "]},"
		"{\"name\":\"pfx\",\"domains\":[\"www.*\"],\"routes\":[" R("r") "]},"
		"{\"name\":\"pfx2\",\"domains\":[\"www.o*\",\"foo.*\"],\"routes\":[" R("r") "]},"
		"{\"name\":\"exact\",\"domains\":[\"www.example.com\",\"Mixed.Case.net\"],\"routes\":[" R("r") "]}]}");
	assert_string_equal(route_of(r, "GET", "www.example.com", "/", NULL), "exact/r");
	assert_string_equal(route_of(r, "GET", "WWW.Example.COM:8080", "/", NULL), "exact/r");
	assert_string_equal(route_of(r, "GET", "mixed.case.NET", "/", NULL), "exact/r");
	assert_string_equal(route_of(r, "GET", "a.b.example.com", "/", NULL), "sfx2/r");
	assert_string_equal(route_of(r, "GET", "x.example.com", "/", NULL), "sfx/r");
	assert_string_equal(route_of(r, "GET", "b.example.com", "/", NULL), "sfx/r");
	assert_string_equal(route_of(r, "GET", "foo.example.com", "/", NULL), "sfx/r"); /* suffix > prefix */
	assert_string_equal(route_of(r, "GET", "foo.bar", "/", NULL), "pfx2/r");
	assert_string_equal(route_of(r, "GET", "www.other.org", "/", NULL), "pfx2/r"); /* longer prefix */
	assert_string_equal(route_of(r, "GET", "www.x.org", "/", NULL), "pfx/r");
	assert_string_equal(route_of(r, "GET", "a-dash.org", "/", NULL), "sfx2/r");
	assert_string_equal(route_of(r, "GET", "-dash.org", "/", NULL), "any/r"); /* '*' never empty */
	assert_string_equal(route_of(r, "GET", "example.com", "/", NULL), "any/r");
	assert_string_equal(route_of(r, "GET", "www.", "/", NULL), "any/r");
	assert_string_equal(route_of(r, "GET", "[::1]:80", "/", NULL), "any/r");
	assert_string_equal(route_of(r, "GET", NULL, "/", NULL), "any/r");
	l7_router_destroy(r);

	r = load("{" CLUSTERS ",\"virtual_hosts\":["
		 "{\"name\":\"v6\",\"domains\":[\"[::1]\",\"::2\"],\"routes\":[" R("r") "]}]}");
	assert_string_equal(route_of(r, "GET", "[::1]:8080", "/", NULL), "v6/r");
	assert_string_equal(route_of(r, "GET", "[::1]", "/", NULL), "v6/r");
	assert_string_equal(route_of(r, "GET", "::2", "/", NULL), "v6/r"); /* bare v6: no port */
	assert_string_equal(route_of(r, "GET", "other", "/", NULL), "-");
	l7_router_destroy(r);
}

static void path_first_match(void **state)
{
	(void)state;
	struct l7_router *r = load("{" CLUSTERS ",\"virtual_hosts\":[{\"name\":\"v\",\"domains\":[\"*\"],\"routes\":["
		"{\"name\":\"users\",\"match\":{\"prefix\":\"/api/v1/users\"},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"login\",\"match\":{\"path\":\"/login\"},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"api\",\"match\":{\"prefix\":\"/api\"},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"shadowed\",\"match\":{\"prefix\":\"/api/v2\"},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"q\",\"match\":{\"prefix\":\"/search?q=\"},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"ci\",\"match\":{\"prefix\":\"/CaSe\",\"case_sensitive\":false},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"cs\",\"match\":{\"path\":\"/Exact\"},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"cipath\",\"match\":{\"path\":\"/EXACT\",\"case_sensitive\":false},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"empty\",\"match\":{\"prefix\":\"/z\"},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"root\",\"match\":{\"prefix\":\"/\"},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"never\",\"match\":{\"prefix\":\"/zz\"},\"route\":{\"cluster\":\"c\"}}]}]}");
	assert_string_equal(route_of(r, "GET", "h", "/api/v1/users/7", NULL), "v/users");
	assert_string_equal(route_of(r, "GET", "h", "/api/v1/users", NULL), "v/users");
	assert_string_equal(route_of(r, "GET", "h", "/api/v1/user", NULL), "v/api");
	assert_string_equal(route_of(r, "GET", "h", "/api/v2/x", NULL), "v/api");
	assert_string_equal(route_of(r, "GET", "h", "/apix", NULL), "v/api");
	assert_string_equal(route_of(r, "GET", "h", "/login", NULL), "v/login");
	assert_string_equal(route_of(r, "GET", "h", "/login?next=/", NULL), "v/login");
	assert_string_equal(route_of(r, "GET", "h", "/login/", NULL), "v/root");
	assert_string_equal(route_of(r, "GET", "h", "/search?q=x", NULL), "v/q");
	assert_string_equal(route_of(r, "GET", "h", "/search", NULL), "v/root");
	assert_string_equal(route_of(r, "GET", "h", "/case/x", NULL), "v/ci");
	assert_string_equal(route_of(r, "GET", "h", "/CASE", NULL), "v/ci");
	assert_string_equal(route_of(r, "GET", "h", "/Exact", NULL), "v/cs");
	assert_string_equal(route_of(r, "GET", "h", "/exact", NULL), "v/cipath");
	assert_string_equal(route_of(r, "GET", "h", "/eXaCt?x", NULL), "v/cipath");
	assert_string_equal(route_of(r, "GET", "h", "/zz/top", NULL), "v/empty");
	assert_string_equal(route_of(r, "GET", "h", "", NULL), "-");
	assert_string_equal(route_of(r, "GET", "h", "x", NULL), "-");
	l7_router_destroy(r);
}

static void header_and_method_conditions(void **state)
{
	(void)state;
	struct l7_router *r = load("{" CLUSTERS ",\"virtual_hosts\":[{\"name\":\"v\",\"domains\":[\"*\"],\"routes\":["
		"{\"name\":\"canary\",\"match\":{\"prefix\":\"/\",\"headers\":[{\"name\":\"x-canary\",\"exact_match\":\"1\"}]},\"route\":{\"cluster\":\"d\"}},"
		"{\"name\":\"post\",\"match\":{\"prefix\":\"/\",\"headers\":[{\"name\":\":method\",\"exact_match\":\"POST\"}]},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"beta\",\"match\":{\"prefix\":\"/\",\"headers\":[{\"name\":\"X-Group\",\"prefix_match\":\"beta-\"}]},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"notmobile\",\"match\":{\"prefix\":\"/m\",\"headers\":[{\"name\":\"user-agent\",\"safe_regex_match\":{\"regex\":\".*Mobile.*\"},\"invert_match\":true}]},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"nodebug\",\"match\":{\"prefix\":\"/d\",\"headers\":[{\"name\":\"x-debug\",\"present_match\":false}]},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"debug\",\"match\":{\"prefix\":\"/d\",\"headers\":[{\"name\":\"x-debug\",\"present_match\":true}]},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"absent\",\"match\":{\"prefix\":\"/i\",\"headers\":[{\"name\":\"x-a\",\"present_match\":true,\"invert_match\":true}]},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"notv\",\"match\":{\"prefix\":\"/i\",\"headers\":[{\"name\":\"x-a\",\"exact_match\":\"v\",\"invert_match\":true}]},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"ic\",\"match\":{\"prefix\":\"/s\",\"headers\":[{\"name\":\"x-s\",\"string_match\":{\"exact\":\"AbC\",\"ignore_case\":true}}]},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"joined\",\"match\":{\"prefix\":\"/j\",\"headers\":[{\"name\":\"x-j\",\"exact_match\":\"a,b\"},{\"name\":\":authority\",\"suffix_match\":\".com\"}]},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"named\",\"match\":{\"prefix\":\"/n\",\"headers\":[{\"name\":\"x-n\"}]},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"contains\",\"match\":{\"prefix\":\"/n\",\"headers\":[{\"name\":\":path\",\"contains_match\":\"needle\"}]},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"root\",\"match\":{\"prefix\":\"/\"},\"route\":{\"cluster\":\"c\"}}]}]}");
	const char *canary[] = { "X-Canary: 1", NULL };
	const char *canary0[] = { "x-canary: 0", NULL };
	const char *beta[] = { "x-group: beta-7", NULL };
	const char *gamma[] = { "x-group: gamma", NULL };
	const char *mobile[] = { "User-Agent: Foo Mobile Safari", NULL };
	const char *desk[] = { "User-Agent: Firefox", NULL };
	const char *dbg[] = { "x-debug: ", NULL };
	const char *xa_v[] = { "x-a: v", NULL };
	const char *xa_w[] = { "x-a: w", NULL };
	const char *s_up[] = { "x-s: aBc", NULL };
	const char *s_no[] = { "x-s: aBcd", NULL };
	const char *j2[] = { "x-j: a", "x-other: z", "X-J: b", NULL };
	const char *j1[] = { "x-j: a,b", NULL };
	const char *j3[] = { "x-j: a", "x-j: b", "x-j: c", NULL };
	const char *xn[] = { "x-n: ", NULL };
	assert_string_equal(route_of(r, "GET", "h", "/x", canary), "v/canary");
	assert_string_equal(route_of(r, "GET", "h", "/x", canary0), "v/root");
	assert_string_equal(route_of(r, "POST", "h", "/x", canary), "v/canary");
	assert_string_equal(route_of(r, "POST", "h", "/x", NULL), "v/post");
	assert_string_equal(route_of(r, "post", "h", "/x", NULL), "v/root"); /* methods are case-sensitive */
	assert_string_equal(route_of(r, "GET", "h", "/x", beta), "v/beta");
	assert_string_equal(route_of(r, "GET", "h", "/x", gamma), "v/root");
	assert_string_equal(route_of(r, "GET", "h", "/m", mobile), "v/root");
	assert_string_equal(route_of(r, "GET", "h", "/m", desk), "v/notmobile");
	/* Envoy: an inverted value matcher does not match a missing header */
	assert_string_equal(route_of(r, "GET", "h", "/m", NULL), "v/root");
	assert_string_equal(route_of(r, "GET", "h", "/d", NULL), "v/nodebug");
	assert_string_equal(route_of(r, "GET", "h", "/d", dbg), "v/debug");
	assert_string_equal(route_of(r, "GET", "h", "/i", NULL), "v/absent");
	assert_string_equal(route_of(r, "GET", "h", "/i", xa_v), "v/root");
	assert_string_equal(route_of(r, "GET", "h", "/i", xa_w), "v/notv");
	assert_string_equal(route_of(r, "GET", "h", "/s", s_up), "v/ic");
	assert_string_equal(route_of(r, "GET", "h", "/s", s_no), "v/root");
	assert_string_equal(route_of(r, "GET", "a.com", "/j", j2), "v/joined");
	assert_string_equal(route_of(r, "GET", "a.com", "/j", j1), "v/joined");
	assert_string_equal(route_of(r, "GET", "a.org", "/j", j1), "v/root");
	assert_string_equal(route_of(r, "GET", "a.com", "/j", j3), "v/root");
	assert_string_equal(route_of(r, "GET", "h", "/n", xn), "v/named");
	assert_string_equal(route_of(r, "GET", "h", "/n/needle", NULL), "v/contains");
	assert_string_equal(route_of(r, "GET", "h", "/n/nee", NULL), "v/root");
	l7_router_destroy(r);
}

static void regex_routes(void **state)
{
	(void)state;
	struct l7_router *r = load("{" CLUSTERS ",\"virtual_hosts\":[{\"name\":\"v\",\"domains\":[\"*\"],\"routes\":["
		"{\"name\":\"item\",\"match\":{\"safe_regex\":{\"google_re2\":{},\"regex\":\"/item/[0-9]+\"}},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"alt\",\"match\":{\"safe_regex\":{\"regex\":\"/a|/b\"}},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"img\",\"match\":{\"prefix\":\"/img\"},\"route\":{\"cluster\":\"c\"}},"
		"{\"name\":\"png\",\"match\":{\"safe_regex\":{\"regex\":\".*\\\\.png\"}},\"route\":{\"cluster\":\"d\"}}]}]}");
	assert_string_equal(route_of(r, "GET", "h", "/item/12", NULL), "v/item");
	assert_string_equal(route_of(r, "GET", "h", "/item/12?x=1", NULL), "v/item");
	assert_string_equal(route_of(r, "GET", "h", "/item/12/x", NULL), "-");
	assert_string_equal(route_of(r, "GET", "h", "/item/", NULL), "-");
	assert_string_equal(route_of(r, "GET", "h", "/a", NULL), "v/alt"); /* anchored as a whole */
	assert_string_equal(route_of(r, "GET", "h", "/ab", NULL), "-");
	assert_string_equal(route_of(r, "GET", "h", "/img/x.png", NULL), "v/img");
	assert_string_equal(route_of(r, "GET", "h", "/x/y.png", NULL), "v/png");
	assert_string_equal(route_of(r, "GET", "h", "/x/ypng", NULL), "-");
	l7_router_destroy(r);
}

static void weighted_split_and_offload(void **state)
{
	(void)state;
	struct l7_router *r = load("{" CLUSTERS ",\"virtual_hosts\":[{\"name\":\"v\",\"domains\":[\"*\"],\"routes\":["
		"{\"name\":\"ab\",\"match\":{\"prefix\":\"/ab\"},\"route\":{\"weighted_clusters\":{\"clusters\":[{\"name\":\"c\",\"weight\":80},{\"name\":\"d\",\"weight\":20}]}},\"offload\":\"always\"},"
		"{\"name\":\"big\",\"match\":{\"prefix\":\"/big\"},\"route\":{\"cluster\":\"d\"},\"offload\":{\"min_response_bytes\":1048576}},"
		"{\"name\":\"off\",\"match\":{\"prefix\":\"/\"},\"route\":{\"cluster\":\"c\"},\"offload\":\"off\"}]}]}");
	struct req q;
	struct l7_route_match m;
	struct l7_route_rng rng;
	l7_route_rng_seed(&rng, 42);
	mkreq(&q, "GET", "h", "/ab/x", NULL);
	const int n = 100000;
	int to_c = 0;
	for (int i = 0; i < n; i++) {
		assert_int_equal(l7_router_lookup(r, &q.r, l7_route_rng_next(&rng), &m), 0);
		to_c += strcmp(m.cluster_name, "c") == 0;
	}
	assert_in_range(to_c, 79000, 81000);
	assert_int_equal(m.offload, L7_OFFLOAD_ALWAYS);
	/* the split is rand % 100 over the list in order */
	assert_int_equal(l7_router_lookup(r, &q.r, 79, &m), 0);
	assert_string_equal(m.cluster_name, "c");
	assert_int_equal(l7_router_lookup(r, &q.r, 80, &m), 0);
	assert_string_equal(m.cluster_name, "d");
	assert_ptr_equal(m.cluster, l7_router_cluster(r, "d"));
	mkreq(&q, "GET", "h", "/big", NULL);
	assert_int_equal(l7_router_lookup(r, &q.r, 0, &m), 0);
	assert_int_equal(m.offload, L7_OFFLOAD_MIN_BYTES);
	assert_int_equal(m.offload_min_response_bytes, 1048576);
	assert_string_equal(m.route_name, "big");
	mkreq(&q, "GET", "h", "/", NULL);
	assert_int_equal(l7_router_lookup(r, &q.r, 0, &m), 0);
	assert_int_equal(m.offload, L7_OFFLOAD_OFF);
	assert_int_equal(m.route_index, 2);
	assert_int_equal(l7_router_cluster_count(r), 2);
	assert_null(l7_router_cluster(r, "nope"));
	l7_router_destroy(r);
}

/* ---------------------------------------------------------------- errors */

struct bad {
	const char *json;
	const char *err;
};

#define VH(routes) "{" CLUSTERS ",\"virtual_hosts\":[{\"name\":\"v\",\"domains\":[\"*\"],\"routes\":[" routes "]}]}"
#define RT(match, action) "{\"match\":" match ",\"route\":" action "}"
#define OKM "{\"prefix\":\"/\"}"
#define OKA "{\"cluster\":\"c\"}"

static const struct bad bad_configs[] = {
	{ "[]", "(root): expected an object" },
	{ "{}", "virtual_hosts: required key is missing" },
	{ "{\"virtual_hosts\":[],\"x\":1}", "x: unknown key" },
	{ "{\"virtual_hosts\":{}}", "virtual_hosts: expected an array" },
	{ VH(RT(OKM, OKA) "," RT(OKM, OKA) "," RT("{\"prefx\":\"/\"}", OKA)),
	  "virtual_hosts[0].routes[2].match.prefx: unknown key" },
	{ VH(RT("{}", OKA)), "virtual_hosts[0].routes[0].match: exactly one of prefix, path, safe_regex is required" },
	{ VH(RT("{\"prefix\":\"/\",\"path\":\"/\"}", OKA)),
	  "virtual_hosts[0].routes[0].match: exactly one of prefix, path, safe_regex is required" },
	{ VH(RT("{\"prefix\":1}", OKA)), "virtual_hosts[0].routes[0].match.prefix: expected a string" },
	{ VH(RT("{\"prefix\":\"/a\\u0000b\"}", OKA)),
	  "1:219: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"/a\\u0000b\"'" },
	{ VH(RT("{\"prefix\":\"/\",\"case_sensitive\":\"no\"}", OKA)),
	  "virtual_hosts[0].routes[0].match.case_sensitive: expected a boolean" },
	{ VH(RT("{\"safe_regex\":{\"regex\":\"(\"}}", OKA)),
	  "virtual_hosts[0].routes[0].match.safe_regex.regex: invalid regex: " },
	{ VH(RT("{\"safe_regex\":{}}", OKA)), "virtual_hosts[0].routes[0].match.safe_regex.regex: required key is missing" },
	{ VH(RT(OKM, "{\"cluster\":\"zz\"}")), "virtual_hosts[0].routes[0].route.cluster: unknown cluster \"zz\"" },
	{ VH(RT(OKM, "{}")), "virtual_hosts[0].routes[0].route: exactly one of cluster, weighted_clusters is required" },
	{ VH(RT(OKM, "{\"weighted_clusters\":{\"clusters\":[{\"name\":\"c\",\"weight\":0}]}}")),
	  "virtual_hosts[0].routes[0].route.weighted_clusters.clusters: weights sum to 0" },
	{ VH(RT(OKM, "{\"weighted_clusters\":{\"clusters\":[{\"name\":\"c\",\"weight\":1},{\"name\":\"d\",\"weight\":-1}]}}")),
	  "virtual_hosts[0].routes[0].route.weighted_clusters.clusters[1].weight: out of range (0..1000000)" },
	{ VH(RT(OKM, "{\"weighted_clusters\":{\"clusters\":[{\"name\":\"c\"}]}}")),
	  "virtual_hosts[0].routes[0].route.weighted_clusters.clusters[0].weight: required key is missing" },
	{ VH(RT(OKM, "{\"weighted_clusters\":{\"clusters\":[{\"name\":\"x\",\"weight\":1}]}}")),
	  "virtual_hosts[0].routes[0].route.weighted_clusters.clusters[0].name: unknown cluster \"x\"" },
	{ VH("{\"match\":" OKM ",\"route\":" OKA ",\"offload\":\"sometimes\"}"),
	  "virtual_hosts[0].routes[0].offload: unknown offload mode \"sometimes\"" },
	{ VH("{\"match\":" OKM ",\"route\":" OKA ",\"offload\":{\"min_response_byte\":1}}"),
	  "virtual_hosts[0].routes[0].offload.min_response_byte: unknown key" },
	{ VH("{\"match\":" OKM ",\"route\":" OKA ",\"offload\":3}"),
	  "virtual_hosts[0].routes[0].offload: expected a string or an object" },
	{ VH("{\"match\":" OKM "}"), "virtual_hosts[0].routes[0].route: required key is missing" },
	{ VH(RT("{\"prefix\":\"/\",\"headers\":[{\"name\":\"a\",\"exact_match\":\"x\",\"prefix_match\":\"y\"}]}", OKA)),
	  "virtual_hosts[0].routes[0].match.headers[0]: more than one match specifier" },
	{ VH(RT("{\"prefix\":\"/\",\"headers\":[{\"exact_match\":\"x\"}]}", OKA)),
	  "virtual_hosts[0].routes[0].match.headers[0].name: required key is missing" },
	{ VH(RT("{\"prefix\":\"/\",\"headers\":[{\"name\":\":scheme\",\"exact_match\":\"x\"}]}", OKA)),
	  "virtual_hosts[0].routes[0].match.headers[0].name: unsupported pseudo-header \":scheme\"" },
	{ VH(RT("{\"prefix\":\"/\",\"headers\":[{\"name\":\"a\",\"string_match\":{\"exact\":\"x\",\"prefix\":\"y\"}}]}", OKA)),
	  "virtual_hosts[0].routes[0].match.headers[0].string_match: exactly one of exact, prefix, suffix, contains, safe_regex is required" },
	{ VH(RT("{\"prefix\":\"/\",\"headers\":[{\"name\":\"a\",\"safe_regex_match\":{\"regex\":\"[\"}}]}", OKA)),
	  "virtual_hosts[0].routes[0].match.headers[0].safe_regex_match.regex: invalid regex: " },
	{ VH(RT("{\"prefix\":\"/\",\"headers\":[{\"name\":\"a\",\"treat_missing_header_as_empty\":true}]}", OKA)),
	  "virtual_hosts[0].routes[0].match.headers[0].treat_missing_header_as_empty: unknown key" },
	{ "{" CLUSTERS ",\"virtual_hosts\":[{\"name\":\"v\",\"domains\":[\"a.com\"]},{\"name\":\"w\",\"domains\":[\"b.com\",\"A.com\"]}]}",
	  "virtual_hosts[1].domains[1]: duplicate domain \"a.com\"" },
	{ "{" CLUSTERS ",\"virtual_hosts\":[{\"name\":\"v\",\"domains\":[\"*\"]},{\"name\":\"w\",\"domains\":[\"*\"]}]}",
	  "virtual_hosts[1].domains[0]: duplicate domain \"*\"" },
	{ "{" CLUSTERS ",\"virtual_hosts\":[{\"name\":\"v\",\"domains\":[\"a.*.com\"]}]}",
	  "virtual_hosts[0].domains[0]: invalid domain \"a.*.com\"" },
	{ "{" CLUSTERS ",\"virtual_hosts\":[{\"name\":\"v\",\"domains\":[\"*a*\"]}]}",
	  "virtual_hosts[0].domains[0]: invalid domain \"*a*\"" },
	{ "{" CLUSTERS ",\"virtual_hosts\":[{\"name\":\"v\",\"domains\":[\"a.com:80\"]}]}",
	  "virtual_hosts[0].domains[0]: invalid domain \"a.com:80\"" },
	{ "{" CLUSTERS ",\"virtual_hosts\":[{\"name\":\"v\",\"domains\":[]}]}",
	  "virtual_hosts[0].domains: must not be empty" },
	{ "{" CLUSTERS ",\"virtual_hosts\":[{\"domains\":[\"*\"]}]}",
	  "virtual_hosts[0].name: required key is missing" },
	{ "{\"clusters\":[{\"name\":\"a\",\"lb_policy\":\"LEAST_CONN\"}],\"virtual_hosts\":[]}",
	  "clusters[0].lb_policy: unknown lb_policy \"LEAST_CONN\"" },
	{ "{\"clusters\":[{\"name\":\"a\"},{\"name\":\"a\"}],\"virtual_hosts\":[]}",
	  "clusters[1].name: duplicate cluster \"a\"" },
	{ "{\"clusters\":[{\"name\":\"a\",\"endpoints\":[{\"address\":\"1.2.3.4\",\"port\":0}]}],\"virtual_hosts\":[]}",
	  "clusters[0].endpoints[0].port: out of range (1..65535)" },
	{ "{\"clusters\":[{\"name\":\"a\",\"endpoints\":[{\"address\":\"1.2.3.4\",\"port\":80,\"weight\":0}]}],\"virtual_hosts\":[]}",
	  "clusters[0].endpoints[0].weight: out of range (1..1000000)" },
	{ "{\"clusters\":[{\"name\":\"a\",\"endpoints\":[{\"address\":\"1.2.3.4\",\"port\":80},{\"address\":\"1.2.3.4\",\"port\":80}]}],\"virtual_hosts\":[]}",
	  "clusters[0].endpoints[1]: duplicate endpoint \"1.2.3.4:80\"" },
	{ "{\"clusters\":[{\"name\":\"a\",\"endpoints\":[{\"address\":\"1.2.3.4\",\"port\":80,\"health\":\"SICK\"}]}],\"virtual_hosts\":[]}",
	  "clusters[0].endpoints[0].health: expected \"UP\", \"DRAINING\" or \"DOWN\"" },
	{ "{\"clusters\":[{\"name\":\"a\",\"endpoints\":[{\"adress\":\"1.2.3.4\",\"port\":80}]}],\"virtual_hosts\":[]}",
	  "clusters[0].endpoints[0].adress: unknown key" },
	{ "{\"clusters\":[{\"name\":\"a\",\"lb_policy\":\"MAGLEV\",\"maglev_lb_config\":{\"table_size\":65536}}],\"virtual_hosts\":[]}",
	  "clusters[0].maglev_lb_config.table_size: must be a prime number" },
	{ "{\"clusters\":[{\"name\":\"a\",\"ring_hash_lb_config\":{\"minimum_ring_size\":5}}],\"virtual_hosts\":[]}",
	  "clusters[0].ring_hash_lb_config.minimum_ring_size: unknown key" },
	{ "{\"clusters\":[{\"name\":\"a\",\"hash_policy\":[{\"header\":{\"header_name\":\"x\"},\"cookie\":{\"name\":\"y\"}}]}],\"virtual_hosts\":[]}",
	  "clusters[0].hash_policy[0]: exactly one of header, cookie, connection_properties is required" },
	{ "{\"clusters\":[{\"name\":\"a\",\"hash_policy\":[{\"connection_properties\":{\"source_ip\":false}}]}],\"virtual_hosts\":[]}",
	  "clusters[0].hash_policy[0].connection_properties.source_ip: must be true" },
	{ "{\"clusters\":[{\"name\":\"a\",\"hash_policy\":[{\"cookie\":{\"name\":\"s\",\"ttl\":\"1s\"}}]}],\"virtual_hosts\":[]}",
	  "clusters[0].hash_policy[0].cookie.ttl: unknown key" },
	{ "{\"clusters\":[{\"name\":\"a\",\"max_endpoints\":1,\"endpoints\":[{\"address\":\"1.2.3.4\",\"port\":80},{\"address\":\"1.2.3.5\",\"port\":80}]}],\"virtual_hosts\":[]}",
	  "clusters[0].endpoints[1]: more endpoints than max_endpoints" },
	{ "{\"clusters\":[{\"name\":\"a\",\"hash_policy\":[{\"header\":{\"header_name\":\":scheme\"}}]}],\"virtual_hosts\":[]}",
	  "clusters[0].hash_policy[0].header.header_name: unsupported pseudo-header \":scheme\"" },
	{ "{\"clusters\":[{\"name\":\"a\",\"lb_policy\":\"MAGLEV\",\"maglev_lb_config\":{\"table_size\":7}}],\"virtual_hosts\":[]}",
	  "clusters[0].max_endpoints: larger than the Maglev table size" },
	{ "{\"clusters\":[{\"name\":\"a\",\"lb_policy\":\"RING_HASH\",\"max_endpoints\":1048576}],\"virtual_hosts\":[]}",
	  "clusters[0].max_endpoints: too large for this lb_policy" },
	{ "{\"clusters\":[{\"name\":\"a\",\"sticky_cookie\":{}}],\"virtual_hosts\":[]}",
	  "clusters[0].sticky_cookie.name: required key is missing" },
	{ "{\"clusters\":[{\"name\":\"a\",\"least_request_lb_config\":{\"choice_count\":0}}],\"virtual_hosts\":[]}",
	  "clusters[0].least_request_lb_config.choice_count: out of range (1..64)" },
	{ "{\"virtual_hosts\":[], \"virtual_hosts\":[]}", "1:36: duplicate object key near '\"virtual_hosts\"'" },
	{ "{\"virtual_hosts\":[\n  1,,]}", "2:5: unexpected token near ','" },
};

static void config_errors_name_the_path(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad_configs / sizeof bad_configs[0]; i++) {
		struct l7_router *r = (struct l7_router *)0x1;
		char err[256];
		int rc = l7_router_load_string(bad_configs[i].json, NULL, &r, err, sizeof err);
		if (rc != L7_ECONFIG || strncmp(err, bad_configs[i].err, strlen(bad_configs[i].err)) != 0)
			fail_msg("case %zu: rc %d, got \"%s\", want \"%s\"", i, rc, err, bad_configs[i].err);
		/* only the two regex cases end with regerror's own text */
		if (strstr(bad_configs[i].err, "invalid regex: ") == NULL)
			assert_string_equal(err, bad_configs[i].err);
	}
}

/* A jansson value built by the caller may hold NUL bytes that text cannot;
 * they are rejected, and the "where" prefix names the embedding key. */
static void embedded_json_values(void **state)
{
	(void)state;
	json_t *root = json_pack("{s:[{s:s, s:[s#]}]}", "virtual_hosts", "name", "v", "domains",
				 "a\0b.com", (size_t)7);
	assert_non_null(root);
	struct l7_router *r = NULL;
	char err[256];
	assert_int_equal(l7_router_load_json(root, "router", NULL, &r, err, sizeof err), L7_ECONFIG);
	assert_string_equal(err, "router.virtual_hosts[0].domains[0]: contains a NUL byte");
	assert_null(r);
	json_decref(root);
	root = json_pack("{s:[{s:s, s:[s]}]}", "virtual_hosts", "name", "v", "domains", "*");
	assert_int_equal(l7_router_load_json(root, "router", NULL, &r, err, sizeof err), 0);
	assert_non_null(r);
	l7_router_destroy(r);
	json_decref(root);
}

static void file_loading(void **state)
{
	(void)state;
	char path[] = "/tmp/test_route_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("{\n \"virtual_hosts\": [\n  {\"name\": \"v\", \"domains\": [\"*\"], \"routs\": []}\n ]\n}\n", f);
	fclose(f);
	struct l7_router *r = NULL;
	char err[256], want[320];
	assert_int_equal(l7_router_load_file(path, NULL, &r, err, sizeof err), L7_ECONFIG);
	snprintf(want, sizeof want, "%s: virtual_hosts[0].routs: unknown key", path);
	assert_string_equal(err, want);
	f = fopen(path, "w");
	fputs("{\n \"virtual_hosts\": [\n  {\"name\": \"v\" \"domains\": []}]}\n", f);
	fclose(f);
	assert_int_equal(l7_router_load_file(path, NULL, &r, err, sizeof err), L7_ECONFIG);
	snprintf(want, sizeof want, "%s:3:24: '}' expected near '\"domains\"'", path);
	assert_string_equal(err, want);
	f = fopen(path, "w");
	fputs("{\"virtual_hosts\": [{\"name\": \"v\", \"domains\": [\"*\"]}]}", f);
	fclose(f);
	assert_int_equal(l7_router_load_file(path, NULL, &r, err, sizeof err), 0);
	assert_non_null(r);
	struct req q;
	struct l7_route_match m;
	mkreq(&q, "GET", "h", "/", NULL);
	assert_int_equal(l7_router_lookup(r, &q.r, 0, &m), L7_ENOROUTE); /* no routes */
	l7_router_destroy(r);
	unlink(path);
	assert_int_equal(l7_router_load_file(path, NULL, &r, err, sizeof err), L7_EIO);
	snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
	assert_string_equal(err, want);
}

/* The worked example of docs/config.md must load and do what the page
 * says. Read from the page itself so the two cannot drift apart. */
static void docs_worked_example(void **state)
{
	(void)state;
	FILE *f = fopen("docs/config.md", "r");
	if (!f) {
		skip(); /* not run from the repository root */
		return;
	}
	static char page[1 << 16];
	size_t n = fread(page, 1, sizeof page - 1, f);
	fclose(f);
	page[n] = '\0';
	char *start = strstr(page, "### Worked example");
	assert_non_null(start);
	start = strstr(start, "```json\n");
	assert_non_null(start);
	start += 8;
	char *end = strstr(start, "```");
	assert_non_null(end);
	*end = '\0';
	struct l7_router *r = load(start);
	struct req q;
	struct l7_route_match m;
	const char *canary[] = { "x-canary: 1", NULL };
	mkreq(&q, "GET", "shop.example.com", "/", NULL);
	assert_int_equal(l7_router_lookup(r, &q.r, 79, &m), 0);
	assert_string_equal(m.cluster_name, "web-a");
	assert_int_equal(l7_router_lookup(r, &q.r, 80, &m), 0);
	assert_string_equal(m.cluster_name, "web-b");
	assert_string_equal(m.route_name, "front");
	mkreq(&q, "GET", "www.shop.example.com:443", "/", canary);
	assert_int_equal(l7_router_lookup(r, &q.r, 5, &m), 0);
	assert_string_equal(m.cluster_name, "canary");
	mkreq(&q, "POST", "shop.example.com", "/api/orders", NULL);
	assert_int_equal(l7_router_lookup(r, &q.r, 0, &m), 0);
	assert_string_equal(m.cluster_name, "api");
	mkreq(&q, "GET", "shop.example.com", "/api/orders", NULL);
	assert_int_equal(l7_router_lookup(r, &q.r, 0, &m), 0);
	assert_string_equal(m.route_name, "front");
	mkreq(&q, "GET", "shop.example.com", "/downloads/os-1.iso", NULL);
	assert_int_equal(l7_router_lookup(r, &q.r, 0, &m), 0);
	assert_string_equal(m.route_name, "downloads");
	assert_int_equal(m.offload, L7_OFFLOAD_MIN_BYTES);
	assert_int_equal(m.offload_min_response_bytes, 1048576);
	mkreq(&q, "GET", "shop.example.com", "/downloads/os-1.exe", NULL);
	assert_int_equal(l7_router_lookup(r, &q.r, 0, &m), 0);
	assert_string_equal(m.route_name, "front");
	mkreq(&q, "GET", "shop.example.com", "/STATIC/site.css", NULL);
	assert_int_equal(l7_router_lookup(r, &q.r, 0, &m), 0);
	assert_string_equal(m.route_name, "assets");
	assert_int_equal(m.offload, L7_OFFLOAD_ALWAYS);
	mkreq(&q, "GET", "other.example.org", "/x", NULL);
	assert_int_equal(l7_router_lookup(r, &q.r, 0, &m), 0);
	assert_string_equal(m.vhost_name, "fallback");
	/* the api cluster: draining endpoint gets no new picks; sticky */
	struct l7_cluster *api = l7_router_cluster(r, "api");
	const char *user[] = { "x-user: alice", NULL };
	mkreq(&q, "POST", "shop.example.com", "/api/orders", user);
	struct l7_lb_input in = { .req = &q.r };
	struct l7_endpoint_pick p;
	uint64_t drained = l7_endpoint_id("10.0.4.3", 9000), first = 0;
	for (int i = 0; i < 20; i++) {
		char u[32];
		snprintf(u, sizeof u, "x-user: u%d", i);
		const char *hdr[] = { u, NULL };
		mkreq(&q, "POST", "shop.example.com", "/api/orders", hdr);
		assert_int_equal(l7_cluster_pick(api, &in, &p), 0);
		assert_true(p.id != drained);
		assert_int_equal(p.set_cookie, 1);
		if (i == 0)
			first = p.id;
	}
	assert_true(first != 0);
	/* ring hash on :path: one file, one server */
	struct l7_cluster *st = l7_router_cluster(r, "static");
	mkreq(&q, "GET", "shop.example.com", "/static/a.css", NULL);
	assert_int_equal(l7_cluster_pick(st, &in, &p), 0);
	uint64_t same = p.id;
	for (int i = 0; i < 10; i++) {
		assert_int_equal(l7_cluster_pick(st, &in, &p), 0);
		assert_int_equal(p.id, same);
	}
	l7_router_destroy(r);
}

/* ---------------------------------------------------------------- random */

/* Seeded random configurations: paths and prefixes from a small alphabet of
 * segments so that prefixes overlap, shadow each other and share edges. */
static const char *const segs[] = { "a", "ab", "api", "v1", "v2", "u", "x", "img", "A" };
#define NSEG (sizeof segs / sizeof segs[0])

static void rand_path(struct l7_route_rng *g, char *buf, size_t cap, int max_segs, int partial)
{
	size_t n = 0;
	int k = (int)(l7_route_rng_next(g) % (uint64_t)(max_segs + 1));
	buf[0] = '\0';
	for (int i = 0; i < k && n + 8 < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "/%s", segs[l7_route_rng_next(g) % NSEG]);
	if (partial && n > 1 && l7_route_rng_next(g) % 4 == 0)
		buf[--n] = '\0'; /* a prefix ending mid-segment */
	if (n == 0 || l7_route_rng_next(g) % 5 == 0)
		n += (size_t)snprintf(buf + n, cap - n, "/");
	if (l7_route_rng_next(g) % 6 == 0)
		snprintf(buf + n, cap - n, "?q=%d", (int)(l7_route_rng_next(g) % 3));
}

static size_t rand_config(struct l7_route_rng *g, char *out, size_t cap)
{
	static const char *const hosts[] = { "a.com", "b.com", "*.com", "*.b.com", "a.*", "www.a.*", "*" };
	size_t n = (size_t)snprintf(out, cap, "{" CLUSTERS ",\"virtual_hosts\":[");
	int nv = 1 + (int)(l7_route_rng_next(g) % 3);
	int used = 0;
	for (int v = 0; v < nv; v++) {
		n += (size_t)snprintf(out + n, cap - n, "%s{\"name\":\"v%d\",\"domains\":[", v ? "," : "", v);
		int nd = 0;
		for (int d = 0; d < 7; d++)
			if (!(used & (1 << d)) && l7_route_rng_next(g) % 3 == 0) {
				used |= 1 << d;
				n += (size_t)snprintf(out + n, cap - n, "%s\"%s\"", nd++ ? "," : "", hosts[d]);
			}
		if (nd == 0)
			n += (size_t)snprintf(out + n, cap - n, "\"h%d.org\"", v);
		n += (size_t)snprintf(out + n, cap - n, "],\"routes\":[");
		int nr = (int)(l7_route_rng_next(g) % 40);
		for (int i = 0; i < nr; i++) {
			char p[64];
			const char *kind;
			uint64_t k = l7_route_rng_next(g) % 10;
			if (k < 6) {
				kind = "prefix";
				rand_path(g, p, sizeof p, 3, 1);
			} else if (k < 9) {
				kind = "path";
				rand_path(g, p, sizeof p, 3, 0);
				char *q = strchr(p, '?');
				if (q)
					*q = '\0';
			} else {
				kind = "regex";
				snprintf(p, sizeof p, "/%s(/.*)?", segs[l7_route_rng_next(g) % NSEG]);
			}
			n += (size_t)snprintf(out + n, cap - n, "%s{\"name\":\"r%d\",\"match\":{", i ? "," : "", i);
			if (kind[0] == 'r')
				n += (size_t)snprintf(out + n, cap - n, "\"safe_regex\":{\"regex\":\"%s\"}", p);
			else
				n += (size_t)snprintf(out + n, cap - n, "\"%s\":\"%s\"", kind, p);
			if (l7_route_rng_next(g) % 4 == 0)
				n += (size_t)snprintf(out + n, cap - n, ",\"case_sensitive\":false");
			uint64_t h = l7_route_rng_next(g) % 6;
			if (h == 0)
				n += (size_t)snprintf(out + n, cap - n, ",\"headers\":[{\"name\":\"x-t\",\"exact_match\":\"1\"}]");
			else if (h == 1)
				n += (size_t)snprintf(out + n, cap - n, ",\"headers\":[{\"name\":\":method\",\"exact_match\":\"POST\"}]");
			else if (h == 2)
				n += (size_t)snprintf(out + n, cap - n, ",\"headers\":[{\"name\":\"x-t\",\"present_match\":true,\"invert_match\":true}]");
			n += (size_t)snprintf(out + n, cap - n, "},\"route\":{\"cluster\":\"c\"}}");
		}
		n += (size_t)snprintf(out + n, cap - n, "]}");
	}
	n += (size_t)snprintf(out + n, cap - n, "]}");
	assert_true(n < cap);
	return n;
}

/* Nodes with many children take the other child-search paths (several
 * 8-byte words, and binary search past 32): every printable byte after
 * "/" and after "/x", with case-insensitive twins and exact paths. */
static void wide_nodes_agree(void **state)
{
	(void)state;
	for (int width = 20; width <= 92; width += 72) {
		char *json = malloc(1 << 16);
		size_t n = (size_t)snprintf(json, 1 << 16, "{" CLUSTERS ",\"virtual_hosts\":[{\"name\":\"v\",\"domains\":[\"*\"],\"routes\":[");
		int k = 0;
		for (int c = 0x21; c < 0x7f && k < width; c++) {
			if (c == '"' || c == '\\' || c == '?')
				continue;
			n += (size_t)snprintf(json + n, (1 << 16) - n,
				"%s{\"name\":\"p%d\",\"match\":{\"prefix\":\"/x%c%c\"},\"route\":{\"cluster\":\"c\"}},"
				"{\"name\":\"i%d\",\"match\":{\"prefix\":\"/%c\",\"case_sensitive\":%s},\"route\":{\"cluster\":\"d\"}},"
				"{\"name\":\"e%d\",\"match\":{\"path\":\"/y%c\"},\"route\":{\"cluster\":\"c\"}}",
				k ? "," : "", c, c, c, c, c, c % 3 ? "false" : "true", c, c);
			k++;
		}
		snprintf(json + n, (1 << 16) - n, "]}]}");
		struct l7_router *r = load(json);
		int hits = 0;
		for (int a = 0x20; a < 0x80; a++)
			for (int b = 0x20; b < 0x80; b += 3) {
				char path[8] = { '/', (char)a, (char)b, (char)b, 0 };
				hits += strcmp(route_of(r, "GET", "h", path, NULL), "-") != 0;
				char px[8] = { '/', 'x', (char)a, (char)b, 0 };
				hits += strcmp(route_of(r, "GET", "h", px, NULL), "-") != 0;
				char py[8] = { '/', 'y', (char)a, 0 };
				hits += strcmp(route_of(r, "GET", "h", py, NULL), "-") != 0;
			}
		assert_true(hits > 1000);
		l7_router_destroy(r);
		free(json);
	}
}

static void index_agrees_with_linear_scan(void **state)
{
	(void)state;
	static const char *const req_hosts[] = { "a.com", "B.com:81", "x.com", "x.b.com", "a.org",
						 "www.a.net", "q.org", "h0.org", "h1.org", "com", "" };
	char *json = malloc(1 << 16);
	struct l7_route_rng g;
	l7_route_rng_seed(&g, 2026);
	long matched = 0, total = 0;
	for (int cfg = 0; cfg < 150; cfg++) {
		rand_config(&g, json, 1 << 16);
		struct l7_router *r = load(json);
		for (int i = 0; i < 400; i++) {
			char path[96];
			rand_path(&g, path, sizeof path, 4, 1);
			if (l7_route_rng_next(&g) % 8 == 0)
				path[1] = (char)(path[1] >= 'a' && path[1] <= 'z' ? path[1] - 32 : path[1]);
			const char *h_t1[] = { "x-t: 1", NULL };
			const char *h_t2[] = { "x-t: 2", NULL };
			const char *const *hdrs = (i % 3 == 0) ? h_t1 : (i % 3 == 1) ? h_t2 : NULL;
			const char *host = req_hosts[l7_route_rng_next(&g) % 11];
			const char *res = route_of(r, i % 5 == 0 ? "POST" : "GET", host, path, hdrs);
			matched += strcmp(res, "-") != 0;
			total++;
		}
		l7_router_destroy(r);
	}
	free(json);
	/* the generator must exercise both outcomes, or the test proves little */
	assert_true(matched > total / 4);
	assert_true(matched < total - total / 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(domain_precedence),
		cmocka_unit_test(path_first_match),
		cmocka_unit_test(header_and_method_conditions),
		cmocka_unit_test(regex_routes),
		cmocka_unit_test(weighted_split_and_offload),
		cmocka_unit_test(config_errors_name_the_path),
		cmocka_unit_test(embedded_json_values),
		cmocka_unit_test(file_loading),
		cmocka_unit_test(docs_worked_example),
		cmocka_unit_test(wide_nodes_agree),
		cmocka_unit_test(index_agrees_with_linear_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
