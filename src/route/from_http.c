/*
 * from_http.c — the bridge from the HTTP parser's view (offsets into the
 * message) to the router's request descriptor (pointers into the same
 * bytes). Kept in its own file so the router proper depends on nothing but
 * struct l7_route_request, and users with another parser fill that instead.
 *
 * Invariant: copies spans only, never bytes; the descriptor is valid while
 * msg is.
 */
#include "l7splice/http.h"
#include "route_internal.h"

int l7_route_request_from_http(const struct l7_http_request *hr, const char *msg,
			       struct l7_route_header *hdrs, size_t hdrs_cap,
			       struct l7_route_request *out)
{
	if (!hr || !msg || !out || (hr->head.n_headers && !hdrs))
		return L7_EINVAL;
	if (hr->head.n_headers > hdrs_cap)
		return L7_ENOSPC;
	out->method = msg + hr->method_tok.off;
	out->method_len = hr->method_tok.len;
	/* Envoy's prefix routes see ":path" with its query: path '?' query are
	 * contiguous in the target, so one span covers both. */
	uint32_t end = hr->path.off + hr->path.len;
	if (hr->has_query)
		end = hr->query.off + hr->query.len;
	out->path = msg + hr->path.off;
	out->path_len = end - hr->path.off;
	out->host = msg + hr->host.off;
	out->host_len = hr->host.len;
	for (uint16_t i = 0; i < hr->head.n_headers; i++) {
		const struct l7_http_header *h = &hr->head.headers[i];
		hdrs[i].name = msg + h->name.off;
		hdrs[i].name_len = h->name.len;
		hdrs[i].value = msg + h->value.off;
		hdrs[i].value_len = h->value.len;
	}
	out->headers = hdrs;
	out->n_headers = hr->head.n_headers;
	return 0;
}
