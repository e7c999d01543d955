/*
 * match.c — the per-route conditions that the index cannot answer: header
 * matchers (Envoy's HeaderMatcher semantics), POSIX ERE regexes, and the
 * cookie and header look-ups used by hash policies and stickiness.
 *
 * Envoy semantics kept here (source/common/http/header_utility.cc,
 * HeaderUtility::matchHeaders): several fields with one name are matched as
 * their values joined by ","; a missing header matches only a "present_match:
 * false" matcher, or an inverted "present_match: true" one — an inverted
 * value matcher does NOT match a missing header.
 * Invariant: nothing here allocates; inputs that need a NUL-terminated copy
 * (regexes, joined values) go through a bounded stack buffer and never match
 * when longer than L7_REGEX_INPUT_MAX.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_internal.h"

size_t l7r_path_noquery_len(const char *path, size_t len)
{
	const char *q = len ? memchr(path, '?', len) : NULL;
	return q ? (size_t)(q - path) : len;
}

int l7r_regex_compile(regex_t *re, const char *expr, char *msg, size_t msg_len)
{
	size_t n = strlen(expr);
	char *full = malloc(n + 5);
	if (!full) {
		snprintf(msg, msg_len, "out of memory");
		return REG_ESPACE;
	}
	/* Envoy's safe_regex must match the whole input: anchor it. */
	memcpy(full, "^(", 2);
	memcpy(full + 2, expr, n);
	memcpy(full + 2 + n, ")$", 3);
	int rc = regcomp(re, full, REG_EXTENDED | REG_NOSUB);
	free(full);
	if (rc != 0) {
		regerror(rc, re, msg, msg_len);
		return rc;
	}
	return 0;
}

bool l7r_regex_full(const regex_t *re, const char *s, size_t len)
{
	char buf[L7_REGEX_INPUT_MAX + 1];
	if (len > L7_REGEX_INPUT_MAX || (len && memchr(s, '\0', len)))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return regexec(re, buf, 0, NULL, 0) == 0;
}

static bool name_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && l7r_equal_ci(a, b, alen);
}

int l7r_find_header(const struct l7_route_request *req, const char *name,
		    size_t name_len, const char **value, size_t *value_len)
{
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct l7_route_header *h = &req->headers[i];
		if (name_eq(h->name, h->name_len, name, name_len)) {
			*value = h->value;
			*value_len = h->value_len;
			return 1;
		}
	}
	return 0;
}

static size_t skip_ows(const char *s, size_t i, size_t end)
{
	while (i < end && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* Look for name=value among the "; "-separated pairs of one Cookie value. */
static int cookie_in(const char *s, size_t len, const char *name, size_t name_len,
		     const char **value, size_t *value_len)
{
	size_t i = 0;
	while (i < len) {
		size_t start = skip_ows(s, i, len);
		const char *semi = memchr(s + start, ';', len - start);
		size_t end = semi ? (size_t)(semi - s) : len;
		const char *eq = memchr(s + start, '=', end - start);
		if (eq && (size_t)(eq - (s + start)) == name_len &&
		    memcmp(s + start, name, name_len) == 0) {
			size_t vs = (size_t)(eq - s) + 1, ve = end;
			while (ve > vs && (s[ve - 1] == ' ' || s[ve - 1] == '\t'))
				ve--;
			/* RFC 6265 allows a DQUOTE-wrapped value */
			if (ve - vs >= 2 && s[vs] == '"' && s[ve - 1] == '"') {
				vs++;
				ve--;
			}
			*value = s + vs;
			*value_len = ve - vs;
			return 1;
		}
		i = end + 1;
	}
	return 0;
}

int l7r_find_cookie(const struct l7_route_request *req, const char *name,
		    size_t name_len, const char **value, size_t *value_len)
{
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct l7_route_header *h = &req->headers[i];
		if (name_eq(h->name, h->name_len, "cookie", 6) &&
		    cookie_in(h->value, h->value_len, name, name_len, value, value_len))
			return 1;
	}
	return 0;
}

static bool bytes_eq(const char *a, const char *b, size_t n, bool ci)
{
	return ci ? l7r_equal_ci(a, b, n) : memcmp(a, b, n) == 0;
}

static bool contains(const char *s, size_t len, const char *needle, size_t nlen, bool ci)
{
	if (nlen == 0)
		return true;
	for (size_t i = 0; i + nlen <= len; i++)
		if (bytes_eq(s + i, needle, nlen, ci))
			return true;
	return false;
}

static bool value_matches(const struct l7r_header_matcher *m, const char *v, size_t len)
{
	switch (m->kind) {
	case L7R_STR_EXACT:
		return len == m->value_len && bytes_eq(v, m->value, len, m->ignore_case);
	case L7R_STR_PREFIX:
		return len >= m->value_len && bytes_eq(v, m->value, m->value_len, m->ignore_case);
	case L7R_STR_SUFFIX:
		return len >= m->value_len &&
		       bytes_eq(v + len - m->value_len, m->value, m->value_len, m->ignore_case);
	case L7R_STR_CONTAINS:
		return contains(v, len, m->value, m->value_len, m->ignore_case);
	case L7R_STR_REGEX:
		return l7r_regex_full(&m->re, v, len);
	case L7R_STR_PRESENT:
		return m->present;
	}
	return false;
}

/*
 * The value a matcher sees: a pseudo-header, the one field of that name, or
 * all of them joined by "," in buf. Returns 0 if absent, 1 if found, -1 if
 * the joined value does not fit buf.
 */
static int matcher_value(const struct l7r_header_matcher *m,
			 const struct l7_route_request *req, char *buf, size_t buf_len,
			 const char **v, size_t *len)
{
	switch (m->pseudo) {
	case L7R_HDR_METHOD:
		*v = req->method;
		*len = req->method_len;
		return req->method != NULL;
	case L7R_HDR_PATH:
		*v = req->path;
		*len = req->path_len;
		return req->path != NULL;
	case L7R_HDR_AUTHORITY:
		*v = req->host;
		*len = req->host_len;
		return req->host != NULL;
	case L7R_HDR_PLAIN:
		break;
	}
	size_t found = 0, used = 0;
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct l7_route_header *h = &req->headers[i];
		if (!name_eq(h->name, h->name_len, m->name, m->name_len))
			continue;
		if (found == 0) {
			*v = h->value;
			*len = h->value_len;
		} else {
			if (found == 1) { /* start the joined copy */
				if (*len > buf_len)
					return -1;
				memcpy(buf, *v, *len);
				used = *len;
			}
			if (used + 1 + h->value_len > buf_len)
				return -1;
			buf[used++] = ',';
			memcpy(buf + used, h->value, h->value_len);
			used += h->value_len;
			*v = buf;
			*len = used;
		}
		found++;
	}
	return found > 0;
}

bool l7r_header_matches(const struct l7r_header_matcher *m,
			const struct l7_route_request *req)
{
	char buf[L7_REGEX_INPUT_MAX];
	const char *v = NULL;
	size_t len = 0;
	int got = matcher_value(m, req, buf, sizeof buf, &v, &len);
	if (got == 0) {
		if (m->invert)
			return m->kind == L7R_STR_PRESENT && m->present;
		return m->kind == L7R_STR_PRESENT && !m->present;
	}
	bool match = got > 0 && value_matches(m, v, len);
	return match != m->invert;
}
