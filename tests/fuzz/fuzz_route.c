/*
 * fuzz_route.c — libFuzzer harness for the router's configuration loader
 * and, when a configuration loads, a differential check of the route index
 * against the linear scan, plus endpoint picks on every cluster.
 *
 * Input: JSON text, then a NUL byte, then a request as lines: method, host,
 * path, and "name: value" header lines (missing lines are empty). Without a
 * NUL the whole input is the configuration and a few fixed requests are
 * routed. Build and run: see docs/route.md ("Fuzzing").
 *
 * Invariants checked (a violation traps): a rejected configuration leaves
 * an error message and no router; an accepted one never disagrees with the
 * linear reference, and picks return endpoints that exist.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l7splice/route.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)
#define MAX_HDRS 16

static void route_one(struct l7_router *r, const struct l7_route_request *q, uint64_t rnd)
{
	struct l7_route_match a, b;
	int ra = l7_router_lookup(r, q, rnd, &a);
	int rb = l7_router_lookup_linear(r, q, rnd, &b);
	CHECK(ra == rb);
	CHECK(ra == 0 || ra == L7_ENOROUTE);
	if (ra != 0)
		return;
	CHECK(a.vhost_index == b.vhost_index && a.route_index == b.route_index);
	CHECK(a.cluster == b.cluster && a.cluster != NULL);
	struct l7_lb_input in = { .req = q, .src_addr = "\x0a\x00\x00\x01", .src_addr_len = 4 };
	struct l7_endpoint_pick p;
	int rc = l7_cluster_pick(a.cluster, &in, &p);
	CHECK(rc == 0 || rc == L7_ENOENDPOINT);
	if (rc == 0) {
		struct l7_endpoint_info info;
		CHECK(l7_cluster_endpoint_info(a.cluster, p.id, &info) == 0);
		CHECK(info.health != L7_EP_DOWN);
		CHECK(l7_cluster_release(a.cluster, &p) == 0);
	}
}

/* Split "method\nhost\npath\nname: value\n..." into q. */
static void parse_request(const char *s, size_t len, struct l7_route_request *q,
			  struct l7_route_header *h)
{
	const char *fields[3] = { "", "", "" };
	size_t flen[3] = { 0, 0, 0 };
	size_t i = 0, line = 0;
	memset(q, 0, sizeof *q);
	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - s) : len;
		if (line < 3) {
			fields[line] = s + i;
			flen[line] = end - i;
		} else if (q->n_headers < MAX_HDRS) {
			const char *colon = memchr(s + i, ':', end - i);
			struct l7_route_header *x = &h[q->n_headers++];
			x->name = s + i;
			x->name_len = colon ? (size_t)(colon - (s + i)) : end - i;
			x->value = colon ? colon + 1 : s + end;
			x->value_len = colon ? (size_t)(s + end - (colon + 1)) : 0;
		}
		line++;
		i = end + 1;
	}
	q->method = fields[0];
	q->method_len = flen[0];
	q->host = fields[1];
	q->host_len = flen[1];
	q->path = fields[2];
	q->path_len = flen[2];
	q->headers = h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t cfg_len = nul ? (size_t)(nul - data) : size;
	char *cfg = malloc(cfg_len + 1);
	if (!cfg)
		return 0;
	memcpy(cfg, data, cfg_len);
	cfg[cfg_len] = '\0';
	struct l7_router *r = NULL;
	char err[256];
	struct l7_router_options opt = { .seed = 1 };
	int rc = l7_router_load_string(cfg, &opt, &r, err, sizeof err);
	free(cfg);
	if (rc != 0) {
		CHECK(r == NULL && err[0] != '\0');
		return 0;
	}
	CHECK(r != NULL);
	struct l7_route_request q;
	struct l7_route_header h[MAX_HDRS];
	if (nul) {
		/* a private copy so ASan sees reads past the request's bytes */
		size_t rl = size - cfg_len - 1;
		char *req = malloc(rl ? rl : 1);
		if (req) {
			memcpy(req, nul + 1, rl);
			parse_request(req, rl, &q, h);
			for (uint64_t rnd = 0; rnd < 3; rnd++)
				route_one(r, &q, rnd * 0x9e3779b97f4a7c15ull);
			free(req);
		}
	} else {
		static const char *const fixed[] = {
			"GET\nexample.com\n/\n",
			"POST\nWWW.EXAMPLE.COM:80\n/api/v1/x?y=1\nx-canary: 1\n",
			"GET\n\n\n",
			"GET\na.b.c\n/static/../x\ncookie: sid=1; L7STICKY=0123456789abcdef\n",
		};
		for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++) {
			parse_request(fixed[k], strlen(fixed[k]), &q, h);
			route_one(r, &q, k);
		}
	}
	l7_router_destroy(r);
	return 0;
}
