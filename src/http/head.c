/*
 * head.c — incremental request/response head parser (RFC 9112 §2-§6).
 *
 * Design (picohttpparser-style, "choice (b)"): the caller keeps the head
 * contiguous and calls again with a longer buffer. A line scanner looks for
 * the next byte that is not allowed inside a line (CR, LF, other controls)
 * from p->scan_off, eight bytes at a time; it never rescans. When a line is
 * complete, it is parsed once, from p->line_off. A field's meaning (framing,
 * Host, Connection) is taken only when the next line starts without
 * whitespace, because an obs-fold continuation could still extend it.
 *
 * Invariant (split independence): every decision is a function of the bytes
 * [0, n) seen so far, made at a point fixed by those bytes (end of a line, a
 * control byte, the size limit), so feeding the head in any pieces gives the
 * same result, error code and error offset as feeding it at once.
 */
#include <stddef.h>
#include <string.h>

#include "http_internal.h"

static int fail(struct l7_http_parser *p, enum l7_http_err e, size_t off)
{
	p->state = L7_HTTP_S_ERROR;
	p->err = e;
	p->err_off = (uint32_t)off;
	return l7_http_err_is_too_large(e) ? L7_EHTTPTOOBIG : L7_EHTTP;
}

static void init_common(struct l7_http_parser *p, uint32_t flags, uint32_t max)
{
	memset(p, 0, sizeof(*p));
	p->flags = flags;
	p->max_head_bytes = max ? max : L7_HTTP_DEFAULT_MAX_HEAD_BYTES;
	if (p->max_head_bytes > UINT32_MAX - 2)
		p->max_head_bytes = UINT32_MAX - 2;
}

void l7_http_parser_init(struct l7_http_parser *p, uint32_t flags,
			 uint32_t max_head_bytes)
{
	init_common(p, flags, max_head_bytes);
}

void l7_http_parser_init_response(struct l7_http_parser *p, uint32_t flags,
				  uint32_t max_head_bytes,
				  enum l7_http_method request_method)
{
	init_common(p, flags, max_head_bytes);
	p->is_response = 1;
	p->request_method = (uint8_t)request_method;
}

/* ------------------------------------------------------------ line scanner */

/* First index in [i, end) holding a control byte (< 0x20, or DEL), or end.
 * Word-at-a-time: a lane below 0x20 or equal to 0x7f flags the word, then
 * bytes are checked one by one (the flag may be a false positive only in a
 * word that really holds such a byte). */
static size_t scan_ctl(const uint8_t *b, size_t i, size_t end)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (i + 16 <= end) {
		uint64_t x0, x1, y0, y1, h0, h1;
		memcpy(&x0, b + i, 8);
		memcpy(&x1, b + i + 8, 8);
		y0 = x0 ^ (0x7f * ones);
		y1 = x1 ^ (0x7f * ones);
		h0 = (((x0 - 0x20 * ones) & ~x0) | ((y0 - ones) & ~y0)) & highs;
		h1 = (((x1 - 0x20 * ones) & ~x1) | ((y1 - ones) & ~y1)) & highs;
		if (h0 | h1)
			return h0 ? i + (size_t)(__builtin_ctzll(h0) >> 3)
				  : i + 8 + (size_t)(__builtin_ctzll(h1) >> 3);
		i += 16;
	}
#endif
	while (i + 8 <= end) {
		uint64_t x, y, hit;
		memcpy(&x, b + i, 8);
		y = x ^ (0x7f * ones);
		hit = (((x - 0x20 * ones) & ~x) | ((y - ones) & ~y)) & highs;
		if (hit) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			/* a borrow only flags lanes above a true hit, so the
			 * lowest flagged lane is the first matching byte */
			return i + (size_t)(__builtin_ctzll(hit) >> 3);
#else
			break;
#endif
		}
		i += 8;
	}
	for (; i < end; i++) {
		uint8_t c = b[i];
		if (c < 0x20 || c == 0x7f)
			break;
	}
	return i;
}

/* Lenient-controls variant: only NUL, CR and LF stop a line. */
static size_t scan_nul_cr_lf(const uint8_t *b, size_t i, size_t end)
{
	for (; i < end; i++) {
		uint8_t c = b[i];
		if (c == 0 || c == '\r' || c == '\n')
			break;
	}
	return i;
}

/* ------------------------------------------------------------ methods */

struct method_name {
	enum l7_http_method m;
	const char *name;
};

static const struct method_name method_names[] = {
	{ L7_HTTP_GET, "GET" },         { L7_HTTP_HEAD, "HEAD" },
	{ L7_HTTP_POST, "POST" },       { L7_HTTP_PUT, "PUT" },
	{ L7_HTTP_DELETE, "DELETE" },   { L7_HTTP_CONNECT, "CONNECT" },
	{ L7_HTTP_OPTIONS, "OPTIONS" }, { L7_HTTP_TRACE, "TRACE" },
	{ L7_HTTP_PATCH, "PATCH" },
};

const char *l7_http_method_name(enum l7_http_method m)
{
	for (size_t i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		if (method_names[i].m == m)
			return method_names[i].name;
	return "";
}

/* Methods are case-sensitive (RFC 9110 §9.1). */
static enum l7_http_method method_of(const uint8_t *t, size_t n)
{
	switch (n) {
	case 3:
		if (!memcmp(t, "GET", 3))
			return L7_HTTP_GET;
		if (!memcmp(t, "PUT", 3))
			return L7_HTTP_PUT;
		break;
	case 4:
		if (!memcmp(t, "POST", 4))
			return L7_HTTP_POST;
		if (!memcmp(t, "HEAD", 4))
			return L7_HTTP_HEAD;
		break;
	case 5:
		if (!memcmp(t, "PATCH", 5))
			return L7_HTTP_PATCH;
		if (!memcmp(t, "TRACE", 5))
			return L7_HTTP_TRACE;
		break;
	case 6:
		if (!memcmp(t, "DELETE", 6))
			return L7_HTTP_DELETE;
		break;
	case 7:
		if (!memcmp(t, "CONNECT", 7))
			return L7_HTTP_CONNECT;
		if (!memcmp(t, "OPTIONS", 7))
			return L7_HTTP_OPTIONS;
		break;
	default:
		break;
	}
	return L7_HTTP_METHOD_OTHER;
}

/* ------------------------------------------------------------ start lines */

static inline size_t span_tokens(const uint8_t *b, size_t i, size_t e, unsigned cls)
{
	while (i + 4 <= e && http_is(b[i], cls) && http_is(b[i + 1], cls) &&
	       http_is(b[i + 2], cls) && http_is(b[i + 3], cls))
		i += 4;
	while (i < e && http_is(b[i], cls))
		i++;
	return i;
}

/* "HTTP/" DIGIT "." DIGIT at b[v..v+8) exactly up to e. */
static int parse_version(struct l7_http_parser *p, struct l7_http_head *h,
			 const uint8_t *b, size_t v, size_t e)
{
	if (e - v < 8 || memcmp(b + v, "HTTP/", 5) != 0 || b[v + 5] < '0' ||
	    b[v + 5] > '9' || b[v + 6] != '.' || b[v + 7] < '0' || b[v + 7] > '9')
		return fail(p, L7_HTTP_E_VERSION, v);
	h->version_major = (uint8_t)(b[v + 5] - '0');
	h->version_minor = (uint8_t)(b[v + 7] - '0');
	if (h->version_major != 1 || h->version_minor > 1) {
		if (!(p->flags & L7_HTTP_LENIENT_VERSION))
			return fail(p, L7_HTTP_E_VERSION_UNSUPPORTED, v);
	}
	return 0;
}

/* Strict request-target bytes: URI characters and valid %XX escapes. */
static size_t span_target(const uint8_t *b, size_t i, size_t e)
{
	for (;;) {
		i = span_tokens(b, i, e, C_URI);
		if (i + 2 < e && b[i] == '%' && http_is(b[i + 1], C_HEX) &&
		    http_is(b[i + 2], C_HEX)) {
			i += 3;
			continue;
		}
		return i;
	}
}

static struct l7_http_span mkspan(size_t off, size_t len)
{
	struct l7_http_span s = { (uint32_t)off, (uint32_t)len };
	return s;
}

/* Split path and query from s (first '?'). */
static void split_query(struct l7_http_request *r, const uint8_t *b, size_t s, size_t e)
{
	const uint8_t *q = memchr(b + s, '?', e - s);
	if (q) {
		size_t qo = (size_t)(q - b);
		r->path = mkspan(s, qo - s);
		r->query = mkspan(qo + 1, e - qo - 1);
		r->has_query = true;
	} else {
		r->path = mkspan(s, e - s);
	}
}

/* Classify the target's form (RFC 9112 §3.2) and fill path/query/host. */
static int target_form(struct l7_http_parser *p, struct l7_http_request *r,
		       const uint8_t *b, size_t t, size_t e)
{
	int lenient = (p->flags & L7_HTTP_LENIENT_TARGET) != 0;
	if (r->method == L7_HTTP_CONNECT) {
		/* authority-form: host ":" port, nothing else */
		const uint8_t *c = memchr(b + t, ':', e - t);
		if (!lenient && (b[t] == '/' || !c || c + 1 == b + e ||
				 memchr(b + t, '/', e - t) || memchr(b + t, '@', e - t) ||
				 memchr(b + t, '?', e - t)))
			return fail(p, L7_HTTP_E_TARGET, t);
		r->path = mkspan(t, e - t);
		r->host = r->path;
		return 0;
	}
	if (b[t] == '/') {
		split_query(r, b, t, e);
		return 0;
	}
	if (e - t == 1 && b[t] == '*') {
		if (r->method != L7_HTTP_OPTIONS && !lenient)
			return fail(p, L7_HTTP_E_TARGET, t);
		r->path = mkspan(t, 1);
		return 0;
	}
	/* absolute-form: scheme "://" authority [path-abempty] ["?" query] */
	size_t i = t;
	if (i < e && ((b[i] | 0x20) >= 'a' && (b[i] | 0x20) <= 'z')) {
		while (i < e && ((http_is(b[i], C_HOST) && http_is(b[i], C_TCHAR) &&
				  b[i] != '_' && b[i] != '~' && b[i] != '!' && b[i] != '$' &&
				  b[i] != '&' && b[i] != '\'' && b[i] != '*' && b[i] != '%')))
			i++; /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	}
	if (i == t || e - i < 3 || memcmp(b + i, "://", 3) != 0) {
		if (lenient) {
			split_query(r, b, t, e);
			return 0;
		}
		return fail(p, L7_HTTP_E_TARGET, t);
	}
	size_t a = i + 3, ae = a;
	while (ae < e && b[ae] != '/' && b[ae] != '?')
		ae++;
	const uint8_t *at = memchr(b + a, '@', ae - a);
	if (at) {
		/* userinfo: RFC 9110 §4.2.4 says treat as an error */
		if (!lenient)
			return fail(p, L7_HTTP_E_TARGET, (size_t)(at - b));
		a = (size_t)(at - b) + 1;
	}
	if (ae == a && !lenient)
		return fail(p, L7_HTTP_E_TARGET, a);
	r->absolute_form = true;
	r->host = mkspan(a, ae - a);
	split_query(r, b, ae, e);
	return 0;
}

/* request-line = method SP request-target SP HTTP-version (RFC 9112 §3).
 * Also called on a truncated line ending in a control byte: every check
 * runs left to right and the control byte fails the token it sits in. */
static int parse_request_line(struct l7_http_parser *p, struct l7_http_request *r,
			      const uint8_t *b, size_t s, size_t e)
{
	size_t j = (p->flags & L7_HTTP_LENIENT_TOKEN) ? span_tokens(b, s, e, C_LTOKEN)
						     : span_tokens(b, s, e, C_TCHAR);
	if (j == s)
		return fail(p, L7_HTTP_E_METHOD, s);
	if (j == e)
		return fail(p, L7_HTTP_E_REQUEST_LINE, e);
	if (b[j] != ' ')
		return fail(p, http_is(b[j], C_WS) ? L7_HTTP_E_REQUEST_LINE : L7_HTTP_E_METHOD, j);
	r->method_tok = mkspan(s, j - s);
	r->method = method_of(b + s, j - s);

	size_t t = j + 1, k;
	if (t < e && b[t] == ' ')
		return fail(p, L7_HTTP_E_REQUEST_LINE, t);
	if (p->flags & L7_HTTP_LENIENT_TARGET)
		k = span_tokens(b, t, e, C_LTARGET);
	else
		k = span_target(b, t, e);
	if (k == e)
		return fail(p, L7_HTTP_E_REQUEST_LINE, e); /* HTTP/0.9 or no version */
	if (b[k] != ' ')
		return fail(p, http_is(b[k], C_WS) ? L7_HTTP_E_REQUEST_LINE : L7_HTTP_E_TARGET, k);
	if (k == t)
		return fail(p, L7_HTTP_E_TARGET, t);
	r->target = mkspan(t, k - t);

	size_t v = k + 1;
	if (e - v != 8)
		return fail(p, L7_HTTP_E_VERSION, v);
	int rc = parse_version(p, &r->head, b, v, e);
	if (rc)
		return rc;
	return target_form(p, r, b, t, k);
}

/* status-line = HTTP-version SP status-code SP [ reason-phrase ] (§4). */
static int parse_status_line(struct l7_http_parser *p, struct l7_http_response *r,
			     const uint8_t *b, size_t s, size_t e)
{
	size_t v = s;
	if (e - v < 8)
		return fail(p, L7_HTTP_E_VERSION, v);
	int rc = parse_version(p, &r->head, b, v, v + 8);
	if (rc)
		return rc;
	size_t i = v + 8;
	if (i == e || b[i] != ' ')
		return fail(p, i < e && !http_is(b[i], C_WS) ? L7_HTTP_E_VERSION
							  : L7_HTTP_E_STATUS_LINE,
			    i < e && !http_is(b[i], C_WS) ? v : i);
	i++;
	if (e - i < 3 || b[i] < '1' || b[i] > '9' || b[i + 1] < '0' || b[i + 1] > '9' ||
	    b[i + 2] < '0' || b[i + 2] > '9')
		return fail(p, L7_HTTP_E_STATUS, i);
	r->status = (uint16_t)((b[i] - '0') * 100 + (b[i + 1] - '0') * 10 + (b[i + 2] - '0'));
	i += 3;
	if (i == e) {
		if (!(p->flags & L7_HTTP_LENIENT_STATUS_LINE))
			return fail(p, L7_HTTP_E_STATUS_LINE, i);
		r->reason = mkspan(i, 0);
		return 0;
	}
	if (b[i] != ' ')
		return fail(p, L7_HTTP_E_STATUS, i);
	i++;
	/* the scanner let only HTAB (and lenient controls) through; a control
	 * byte here means we were called on a truncated line */
	for (size_t k = i; k < e; k++)
		if (http_is(b[k], C_CTL) &&
		    (b[k] == 0 || !(p->flags & L7_HTTP_LENIENT_CTL_VALUE)))
			return fail(p, L7_HTTP_E_REASON, k);
	r->reason = mkspan(i, e - i);
	return 0;
}

/* ------------------------------------------------------------ field meaning */

static int is_ows(uint8_t c)
{
	/* inside a folded value CR and LF separate like whitespace */
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int interp_content_length(struct l7_http_parser *p, struct l7_http_head *h,
				 const uint8_t *b, const struct l7_http_header *hd)
{
	const uint8_t *v = b + hd->value.off;
	size_t n = hd->value.len, k = 0;
	do {
		while (k < n && is_ows(v[k]))
			k++;
		size_t start = k;
		uint64_t val = 0;
		while (k < n && v[k] >= '0' && v[k] <= '9') {
			uint64_t d = (uint64_t)(v[k] - '0');
			if (val > ((uint64_t)INT64_MAX - d) / 10)
				return fail(p, L7_HTTP_E_CL_INVALID, hd->value.off + k);
			val = val * 10 + d;
			k++;
		}
		if (k == start)
			return fail(p, L7_HTTP_E_CL_INVALID, hd->value.off + k);
		while (k < n && is_ows(v[k]))
			k++;
		if (k < n && v[k] != ',')
			return fail(p, L7_HTTP_E_CL_INVALID, hd->value.off + k);
		if (h->n_content_length == 0) {
			h->content_length = val;
			p->cl_off = hd->value.off + (uint32_t)start;
		} else if (val != h->content_length) {
			if (!(p->flags & L7_HTTP_LENIENT_CL_DIFFERENT))
				return fail(p, L7_HTTP_E_CL_DIFFERENT, hd->value.off + start);
		} else if (!(p->flags & L7_HTTP_LENIENT_CL_REPEATED)) {
			return fail(p, L7_HTTP_E_CL_REPEATED, hd->value.off + start);
		}
		if (h->n_content_length < UINT8_MAX)
			h->n_content_length++;
		if (k < n)
			k++; /* the comma: another element must follow */
		else
			break;
	} while (1);
	return 0;
}

/* quoted-string starting at v[k] == '"'; returns the index after it or 0. */
static size_t skip_quoted(const uint8_t *v, size_t k, size_t n)
{
	for (k++; k < n; k++) {
		if (v[k] == '"')
			return k + 1;
		if (v[k] == '\\' && ++k == n)
			return 0;
	}
	return 0;
}

/* Transfer-Encoding = #( token *( OWS ";" OWS token BWS "=" BWS ( token /
 * quoted-string ) ) ) — RFC 9112 §6.1, RFC 9110 §10.1.4. */
static int interp_te(struct l7_http_parser *p, struct l7_http_head *h,
		     const uint8_t *b, const struct l7_http_header *hd)
{
	const uint8_t *v = b + hd->value.off;
	size_t n = hd->value.len, k = 0, codings = 0;
	uint32_t off = hd->value.off;
	h->has_te = true;
	p->te_off = off;
	while (k < n) {
		while (k < n && (is_ows(v[k]) || v[k] == ','))
			k++; /* empty list elements are allowed (RFC 9110 §5.6.1) */
		if (k == n)
			break;
		size_t start = k;
		while (k < n && http_is(v[k], C_TCHAR))
			k++;
		if (k == start)
			return fail(p, L7_HTTP_E_TE_INVALID, off + k);
		int chunked = (k - start == 7 && http_ieq(v + start, "chunked", 7));
		while (k < n && is_ows(v[k]))
			k++;
		while (k < n && v[k] == ';') {
			k++;
			while (k < n && is_ows(v[k]))
				k++;
			size_t ns = k;
			while (k < n && http_is(v[k], C_TCHAR))
				k++;
			while (k < n && is_ows(v[k]))
				k++;
			if (k == ns || k == n || v[k] != '=')
				return fail(p, L7_HTTP_E_TE_INVALID, off + k);
			k++;
			while (k < n && is_ows(v[k]))
				k++;
			if (k < n && v[k] == '"') {
				k = skip_quoted(v, k, n);
				if (!k)
					return fail(p, L7_HTTP_E_TE_INVALID, off + n);
			} else {
				size_t vs = k;
				while (k < n && http_is(v[k], C_TCHAR))
					k++;
				if (k == vs)
					return fail(p, L7_HTTP_E_TE_INVALID, off + k);
			}
			while (k < n && is_ows(v[k]))
				k++;
		}
		if (k < n && v[k] != ',')
			return fail(p, L7_HTTP_E_TE_INVALID, off + k);
		if (chunked && ++p->n_chunked > 1)
			return fail(p, L7_HTTP_E_TE_INVALID, off + start);
		h->chunked = chunked;
		codings++;
	}
	if (codings == 0)
		return fail(p, L7_HTTP_E_TE_INVALID, off);
	return 0;
}

static void interp_connection(struct l7_http_head *h, const uint8_t *b,
			      const struct l7_http_header *hd)
{
	const uint8_t *v = b + hd->value.off;
	size_t n = hd->value.len, k = 0;
	while (k < n) {
		while (k < n && (is_ows(v[k]) || v[k] == ','))
			k++;
		size_t s = k;
		while (k < n && v[k] != ',' && !is_ows(v[k]))
			k++;
		size_t len = k - s;
		if (len == 5 && http_ieq(v + s, "close", 5))
			h->conn_close = true;
		else if (len == 10 && http_ieq(v + s, "keep-alive", 10))
			h->conn_keep_alive = true;
		else if (len == 7 && http_ieq(v + s, "upgrade", 7))
			h->conn_upgrade = true;
	}
}

/* Host = uri-host [ ":" port ] (RFC 9110 §7.2); empty is allowed. */
static int host_valid(const uint8_t *v, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!http_is(v[k], C_HOST))
			return 0;
	return 1;
}

/* Interpret the last field, now that no continuation can extend it. */
static int interp_pending(struct l7_http_parser *p, struct l7_http_head *h,
			  struct l7_http_request *req, const uint8_t *b)
{
	if (!p->pending)
		return 0;
	p->pending = 0;
	struct l7_http_header *hd = &h->headers[h->n_headers - 1];
	const uint8_t *name = b + hd->name.off;
	switch (hd->name.len) {
	case 4:
		if (req && http_ieq(name, "host", 4)) {
			if (++p->n_host > 1 && !(p->flags & L7_HTTP_LENIENT_HOST))
				return fail(p, L7_HTTP_E_HOST_DUPLICATE, hd->name.off);
			if (!host_valid(b + hd->value.off, hd->value.len) &&
			    !(p->flags & L7_HTTP_LENIENT_HOST))
				return fail(p, L7_HTTP_E_HOST_INVALID, hd->value.off);
			if (p->n_host == 1)
				req->host_header = (int16_t)(h->n_headers - 1);
		}
		break;
	case 6:
		if (req && http_ieq(name, "expect", 6) && hd->value.len == 12 &&
		    http_ieq(b + hd->value.off, "100-continue", 12))
			req->expect_continue = true;
		break;
	case 7:
		if (http_ieq(name, "upgrade", 7))
			h->has_upgrade = true;
		break;
	case 10:
		if (http_ieq(name, "connection", 10))
			interp_connection(h, b, hd);
		break;
	case 14:
		if (http_ieq(name, "content-length", 14))
			return interp_content_length(p, h, b, hd);
		break;
	case 17:
		if (http_ieq(name, "transfer-encoding", 17))
			return interp_te(p, h, b, hd);
		break;
	default:
		break;
	}
	return 0;
}

/* ------------------------------------------------------------ field lines */

/* Could this name be one interp_pending() acts on? By length and first
 * letter (host, expect, upgrade, connection, content-length,
 * transfer-encoding), so most fields skip the interpretation call. */
static int special_name(const uint8_t *name, size_t n)
{
	static const char first[18] = { [4] = 'h', [6] = 'e', [7] = 'u', [10] = 'c',
					[14] = 'c', [17] = 't' };
	return n < sizeof(first) && first[n] && l7_http_lower[name[0]] == (uint8_t)first[n];
}

/* field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). When
 * truncated, the line [s, e) ends in the offending control byte. */
static int parse_field_line(struct l7_http_parser *p, struct l7_http_head *h,
			    const uint8_t *b, size_t s, size_t e, size_t next,
			    int truncated)
{
	/* constant classes let the compiler fold the table test */
	size_t j = (p->flags & L7_HTTP_LENIENT_TOKEN) ? span_tokens(b, s, e, C_LTOKEN)
						     : span_tokens(b, s, e, C_TCHAR);
	size_t name_end;
	if (j == e)
		return fail(p, truncated ? L7_HTTP_E_FIELD_NAME : L7_HTTP_E_NO_COLON,
			    truncated ? e - 1 : s);
	if (b[j] == ':') {
		if (j == s)
			return fail(p, L7_HTTP_E_FIELD_NAME, s);
		name_end = j;
	} else if (http_is(b[j], C_WS) && j > s) {
		size_t k = j;
		while (k < e && http_is(b[k], C_WS))
			k++;
		if (k == e)
			return fail(p, truncated ? L7_HTTP_E_FIELD_NAME : L7_HTTP_E_NO_COLON,
				    truncated ? e - 1 : s);
		if (b[k] != ':')
			return fail(p, L7_HTTP_E_FIELD_NAME, j);
		if (!(p->flags & L7_HTTP_LENIENT_WS_BEFORE_COLON))
			return fail(p, L7_HTTP_E_WS_BEFORE_COLON, j);
		name_end = j;
		j = k;
	} else {
		return fail(p, L7_HTTP_E_FIELD_NAME, j);
	}
	if (truncated)
		return fail(p, L7_HTTP_E_FIELD_VALUE, e - 1);
	if (h->n_headers == L7_HTTP_MAX_HEADERS)
		return fail(p, L7_HTTP_E_TOO_MANY_FIELDS, s);
	size_t v = j + 1, ve = e;
	while (v < e && http_is(b[v], C_WS))
		v++;
	while (ve > v && http_is(b[ve - 1], C_WS))
		ve--;
	struct l7_http_header *hd = &h->headers[h->n_headers++];
	hd->name = mkspan(s, name_end - s);
	hd->value = mkspan(v, ve - v);
	hd->line_off = (uint32_t)s;
	hd->line_len = (uint32_t)(next - s);
	p->pending = special_name(b + s, name_end - s);
	return 0;
}

/* A line starting with SP/HTAB: obs-fold (RFC 9112 §5.2) or, before any
 * field, whitespace after the start line (§2.2). */
static int parse_ws_line(struct l7_http_parser *p, struct l7_http_head *h,
			 const uint8_t *b, size_t s, size_t e, size_t next,
			 int truncated)
{
	if (h->n_headers == 0) {
		if (!(p->flags & L7_HTTP_LENIENT_LEADING_WS))
			return fail(p, L7_HTTP_E_LEADING_WS, s);
		return truncated ? fail(p, L7_HTTP_E_FIELD_VALUE, e - 1) : 0;
	}
	if (!(p->flags & L7_HTTP_LENIENT_OBS_FOLD))
		return fail(p, L7_HTTP_E_OBS_FOLD, s);
	if (truncated)
		return fail(p, L7_HTTP_E_FIELD_VALUE, e - 1);
	struct l7_http_header *hd = &h->headers[h->n_headers - 1];
	size_t c0 = s, c1 = e;
	while (c0 < e && http_is(b[c0], C_WS))
		c0++;
	while (c1 > c0 && http_is(b[c1 - 1], C_WS))
		c1--;
	if (c0 < c1) {
		if (hd->value.len == 0)
			hd->value.off = (uint32_t)c0;
		hd->value.len = (uint32_t)(c1 - hd->value.off);
	}
	hd->line_len = (uint32_t)(next - hd->line_off);
	return 0;
}

/* ------------------------------------------------------------ end of head */

static int finish_framing(struct l7_http_parser *p, struct l7_http_head *h,
			  int is_request)
{
	if (h->has_te) {
		if (h->version_major == 1 && h->version_minor == 0 &&
		    !(p->flags & L7_HTTP_LENIENT_TE_HTTP10))
			return fail(p, L7_HTTP_E_TE_HTTP10, p->te_off);
		if (h->n_content_length && !(p->flags & L7_HTTP_LENIENT_CL_TE))
			return fail(p, L7_HTTP_E_CL_AND_TE,
				    p->cl_off > p->te_off ? p->cl_off : p->te_off);
		if (h->chunked)
			h->framing = L7_HTTP_BODY_CHUNKED;
		else if (is_request && !(p->flags & L7_HTTP_LENIENT_TE))
			return fail(p, L7_HTTP_E_TE_NOT_CHUNKED, p->te_off);
		else
			h->framing = L7_HTTP_BODY_CLOSE;
	} else if (h->n_content_length) {
		h->framing = L7_HTTP_BODY_LENGTH;
	} else {
		h->framing = is_request ? L7_HTTP_BODY_NONE : L7_HTTP_BODY_CLOSE;
	}
	return 0;
}

static void finish_keep_alive(struct l7_http_head *h)
{
	if (h->version_major > 1 || (h->version_major == 1 && h->version_minor >= 1))
		h->keep_alive = !h->conn_close;
	else
		h->keep_alive = h->conn_keep_alive && !h->conn_close;
	if (h->framing == L7_HTTP_BODY_CLOSE)
		h->keep_alive = false;
}

static int finish_request(struct l7_http_parser *p, struct l7_http_request *r,
			  size_t eoh)
{
	struct l7_http_head *h = &r->head;
	int is11 = h->version_major > 1 || h->version_minor >= 1;
	/* framing first: a smuggling attempt is named as such */
	int rc = finish_framing(p, h, 1);
	if (rc)
		return rc;
	if (is11 && p->n_host == 0 && !(p->flags & L7_HTTP_LENIENT_HOST))
		return fail(p, L7_HTTP_E_HOST_MISSING, eoh);
	if (!r->absolute_form && r->method != L7_HTTP_CONNECT && r->host_header >= 0)
		r->host = h->headers[r->host_header].value;
	finish_keep_alive(h);
	h->upgrade = r->method == L7_HTTP_CONNECT || (h->conn_upgrade && h->has_upgrade);
	return 0;
}

static int finish_response(struct l7_http_parser *p, struct l7_http_response *r)
{
	struct l7_http_head *h = &r->head;
	int rc = finish_framing(p, h, 0);
	if (rc)
		return rc;
	int tunnel = p->request_method == L7_HTTP_CONNECT && r->status / 100 == 2;
	if (r->status / 100 == 1 || r->status == 204 || r->status == 304 ||
	    p->request_method == L7_HTTP_HEAD || tunnel)
		h->framing = L7_HTTP_BODY_NONE;
	finish_keep_alive(h);
	h->upgrade = r->status == 101 || tunnel;
	return 0;
}

/* ------------------------------------------------------------ driver */

struct msg {
	struct l7_http_head *h;
	struct l7_http_request *req;   /* exactly one of req/resp is set */
	struct l7_http_response *resp;
};

/* One complete line [s, e) whose terminator ends at next. */
static int on_line(struct l7_http_parser *p, const struct msg *m, const uint8_t *b,
		   size_t s, size_t e, size_t next)
{
	int rc;
	if (p->state == L7_HTTP_S_START_LINE) {
		if (s == e)
			return 0; /* RFC 9112 §2.2: ignore empty lines before it */
		rc = m->req ? parse_request_line(p, m->req, b, s, e)
			    : parse_status_line(p, m->resp, b, s, e);
		if (rc == 0)
			p->state = L7_HTTP_S_FIELDS;
		return rc;
	}
	if (s == e) {
		rc = interp_pending(p, m->h, m->req, b);
		if (rc)
			return rc;
		m->h->eoh_off = (uint32_t)s;
		m->h->head_bytes = (uint32_t)next;
		rc = m->req ? finish_request(p, m->req, s) : finish_response(p, m->resp);
		if (rc)
			return rc;
		p->state = L7_HTTP_S_DONE;
		return 0;
	}
	if (http_is(b[s], C_WS))
		return parse_ws_line(p, m->h, b, s, e, next, 0);
	if (p->pending && (rc = interp_pending(p, m->h, m->req, b)) != 0)
		return rc;
	return parse_field_line(p, m->h, b, s, e, next, 0);
}

/* The scanner stopped at a control byte at i: the line [s, i] is bad. */
static int on_ctl(struct l7_http_parser *p, const struct msg *m, const uint8_t *b,
		  size_t s, size_t i)
{
	int rc;
	if (p->state == L7_HTTP_S_START_LINE) {
		rc = m->req ? parse_request_line(p, m->req, b, s, i + 1)
			    : parse_status_line(p, m->resp, b, s, i + 1);
		/* every token rejects a control byte; this is a safety net */
		return rc ? rc : fail(p, m->req ? L7_HTTP_E_TARGET : L7_HTTP_E_REASON, i);
	}
	if (http_is(b[s], C_WS))
		return parse_ws_line(p, m->h, b, s, i + 1, i + 1, 1);
	rc = interp_pending(p, m->h, m->req, b);
	if (rc)
		return rc;
	return parse_field_line(p, m->h, b, s, i + 1, i + 1, 1);
}

static int parse_head(struct l7_http_parser *p, const struct msg *m,
		      const uint8_t *b, size_t len)
{
	if (p->state == L7_HTTP_S_DONE)
		return 0;
	if (p->state == L7_HTTP_S_ERROR)
		return l7_http_err_is_too_large(p->err) ? L7_EHTTPTOOBIG : L7_EHTTP;
	size_t max = p->max_head_bytes;
	size_t limit = len < max ? len : max;
	size_t i = p->scan_off;
	int lenient_ctl = (p->flags & L7_HTTP_LENIENT_CTL_VALUE) != 0;
	for (;;) {
		i = lenient_ctl ? scan_nul_cr_lf(b, i, limit) : scan_ctl(b, i, limit);
		if (i >= limit)
			break;
		uint8_t c = b[i];
		size_t e, next;
		if (c == '\r') {
			if (i + 1 >= limit)
				break; /* need the next byte to tell */
			if (b[i + 1] != '\n') {
				if (!(p->flags & L7_HTTP_LENIENT_BARE_CR))
					return fail(p, L7_HTTP_E_BARE_CR, i);
				i++;
				continue;
			}
			e = i;
			next = i + 2;
		} else if (c == '\n') {
			if (!(p->flags & L7_HTTP_LENIENT_BARE_LF))
				return fail(p, L7_HTTP_E_BARE_LF, i);
			e = i;
			next = i + 1;
		} else if (c == '\t') {
			i++;
			continue;
		} else {
			return on_ctl(p, m, b, p->line_off, i);
		}
		int rc = on_line(p, m, b, p->line_off, e, next);
		if (rc)
			return rc;
		if (p->state == L7_HTTP_S_DONE)
			return 0;
		p->line_off = (uint32_t)next;
		i = next;
	}
	p->scan_off = (uint32_t)i;
	if (len >= max)
		return fail(p, L7_HTTP_E_HEAD_TOO_LARGE, max);
	return L7_EAGAIN;
}

static void clear_head(struct l7_http_head *h)
{
	/* everything but the header array, which is filled as fields arrive */
	memset(h, 0, offsetof(struct l7_http_head, headers));
}

int l7_http_parse_request(struct l7_http_parser *p, struct l7_http_request *req,
			  const uint8_t *buf, size_t len)
{
	if (p->is_response)
		return L7_EINVAL;
	if (p->scan_off == 0 && p->state == L7_HTTP_S_START_LINE) {
		memset(req, 0, offsetof(struct l7_http_request, head));
		clear_head(&req->head);
		req->host_header = -1;
	}
	struct msg m = { &req->head, req, NULL };
	return parse_head(p, &m, buf, len);
}

int l7_http_parse_response(struct l7_http_parser *p, struct l7_http_response *resp,
			   const uint8_t *buf, size_t len)
{
	if (!p->is_response)
		return L7_EINVAL;
	if (p->scan_off == 0 && p->state == L7_HTTP_S_START_LINE) {
		memset(resp, 0, offsetof(struct l7_http_response, head));
		clear_head(&resp->head);
	}
	struct msg m = { &resp->head, NULL, resp };
	return parse_head(p, &m, buf, len);
}

int l7_http_find_header(const struct l7_http_head *h, const uint8_t *buf,
			const char *name, size_t name_len, int start)
{
	for (int i = start < 0 ? 0 : start; i < (int)h->n_headers; i++) {
		const struct l7_http_header *hd = &h->headers[i];
		if (hd->name.len != name_len)
			continue;
		size_t k = 0;
		while (k < name_len &&
		       l7_http_lower[buf[hd->name.off + k]] == l7_http_lower[(uint8_t)name[k]])
			k++;
		if (k == name_len)
			return i;
	}
	return -1;
}
