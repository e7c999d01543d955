/*
 * test_route_http.c — the router fed by the real HTTP parser: a request
 * head parsed by l7_http_parse_request() and bridged with
 * l7_route_request_from_http() routes exactly like the hand-built
 * descriptor, for origin-form and absolute-form targets, queries, ports,
 * repeated headers and cookies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "l7splice/http.h"
#include "l7splice/route.h"

static const char *config =
	"{\"clusters\":["
	"{\"name\":\"api\",\"endpoints\":[{\"address\":\"10.0.0.1\",\"port\":80}]},"
	"{\"name\":\"web\",\"endpoints\":[{\"address\":\"10.0.0.2\",\"port\":80}]},"
	"{\"name\":\"s\",\"sticky_cookie\":{\"name\":\"L7S\"},\"endpoints\":["
	"{\"address\":\"10.0.1.1\",\"port\":80},{\"address\":\"10.0.1.2\",\"port\":80}]}],"
	"\"virtual_hosts\":[{\"name\":\"shop\",\"domains\":[\"shop.example.com\"],\"routes\":["
	"{\"name\":\"login\",\"match\":{\"path\":\"/login\"},\"route\":{\"cluster\":\"api\"}},"
	"{\"name\":\"q\",\"match\":{\"prefix\":\"/find?q=\"},\"route\":{\"cluster\":\"api\"}},"
	"{\"name\":\"post\",\"match\":{\"prefix\":\"/api\",\"headers\":[{\"name\":\":method\",\"exact_match\":\"POST\"},"
	"{\"name\":\"x-tag\",\"exact_match\":\"a,b\"}]},\"route\":{\"cluster\":\"api\"}},"
	"{\"name\":\"sticky\",\"match\":{\"prefix\":\"/s\"},\"route\":{\"cluster\":\"s\"}},"
	"{\"name\":\"web\",\"match\":{\"prefix\":\"/\"},\"route\":{\"cluster\":\"web\"}}]}]}";

struct parsed {
	struct l7_http_parser p;
	struct l7_http_request hr;
	struct l7_route_header h[L7_HTTP_MAX_HEADERS];
	struct l7_route_request rq;
};

static void parse(struct parsed *x, const char *msg)
{
	memset(x, 0, sizeof *x);
	l7_http_parser_init(&x->p, 0, 0);
	assert_int_equal(l7_http_parse_request(&x->p, &x->hr, (const uint8_t *)msg, strlen(msg)), 0);
	assert_int_equal(l7_route_request_from_http(&x->hr, msg, x->h, L7_HTTP_MAX_HEADERS, &x->rq), 0);
}

static const char *route_name(const struct l7_router *r, const char *msg)
{
	static struct parsed x;
	struct l7_route_match m;
	parse(&x, msg);
	int rc = l7_router_lookup(r, &x.rq, 0, &m);
	if (rc == L7_ENOROUTE)
		return "-";
	assert_int_equal(rc, 0);
	return m.route_name;
}

static void parsed_requests_route(void **state)
{
	(void)state;
	struct l7_router *r = NULL;
	char err[256];
	assert_int_equal(l7_router_load_string(config, NULL, &r, err, sizeof err), 0);
	assert_string_equal(route_name(r, "GET /login HTTP/1.1\r\nHost: shop.example.com\r\n\r\n"), "login");
	assert_string_equal(route_name(r, "GET /login?next=%2F HTTP/1.1\r\nHost: Shop.Example.com:8443\r\n\r\n"), "login");
	assert_string_equal(route_name(r, "GET /find?q=shoes HTTP/1.1\r\nHost: shop.example.com\r\n\r\n"), "q");
	assert_string_equal(route_name(r, "GET /find HTTP/1.1\r\nHost: shop.example.com\r\n\r\n"), "web");
	/* absolute form: the authority routes, the path keeps its query */
	assert_string_equal(route_name(r, "GET http://shop.example.com/login?x=1 HTTP/1.1\r\nHost: shop.example.com\r\n\r\n"), "login");
	assert_string_equal(route_name(r, "GET http://shop.example.com/find?q=1 HTTP/1.1\r\nHost: shop.example.com\r\n\r\n"), "q");
	/* repeated fields are joined with "," for matching, as in Envoy */
	assert_string_equal(route_name(r, "POST /api/v1 HTTP/1.1\r\nHost: shop.example.com\r\nX-Tag: a\r\nx-tag: b\r\nContent-Length: 0\r\n\r\n"), "post");
	assert_string_equal(route_name(r, "GET /api/v1 HTTP/1.1\r\nHost: shop.example.com\r\nX-Tag: a\r\nx-tag: b\r\n\r\n"), "web");
	assert_string_equal(route_name(r, "GET / HTTP/1.1\r\nHost: other.example.com\r\n\r\n"), "-");
	assert_string_equal(route_name(r, "GET / HTTP/1.0\r\n\r\n"), "-"); /* no Host */
	l7_router_destroy(r);
}

static void parsed_cookie_is_sticky(void **state)
{
	(void)state;
	struct l7_router *r = NULL;
	char err[256];
	assert_int_equal(l7_router_load_string(config, NULL, &r, err, sizeof err), 0);
	struct l7_cluster *c = l7_router_cluster(r, "s");
	uint64_t id = l7_endpoint_id("10.0.1.2", 80);
	char val[17], msg[256];
	assert_int_equal(l7_endpoint_cookie_value(id, val, sizeof val), 0);
	snprintf(msg, sizeof msg,
		 "GET /s HTTP/1.1\r\nHost: shop.example.com\r\nCookie: a=1\r\nCookie: L7S=%s; b=2\r\n\r\n", val);
	static struct parsed x;
	parse(&x, msg);
	struct l7_lb_input in = { .req = &x.rq };
	struct l7_endpoint_pick p;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(l7_cluster_pick(c, &in, &p), 0);
		assert_int_equal(p.id, id);
		assert_int_equal(p.sticky_hit, 1);
	}
	l7_router_destroy(r);
}

static void bridge_checks_its_buffer(void **state)
{
	(void)state;
	static struct parsed x;
	const char *msg = "GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 2\r\n\r\n";
	parse(&x, msg);
	struct l7_route_header few[2];
	struct l7_route_request rq;
	assert_int_equal(l7_route_request_from_http(&x.hr, msg, few, 2, &rq), L7_ENOSPC);
	assert_int_equal(l7_route_request_from_http(NULL, msg, few, 2, &rq), L7_EINVAL);
	assert_int_equal(x.rq.n_headers, 3);
	assert_int_equal(x.rq.method_len, 3);
	assert_memory_equal(x.rq.method, "GET", 3);
	assert_int_equal(x.rq.host_len, 1);
	assert_memory_equal(x.rq.headers[2].name, "C", 1);
	assert_memory_equal(x.rq.headers[2].value, "2", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parsed_requests_route),
		cmocka_unit_test(parsed_cookie_is_sticky),
		cmocka_unit_test(bridge_checks_its_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
