/*
 * rewrite.c — head rewriting as a list of edits (insertion points and
 * deletions) over the ORIGINAL message bytes, the form the splice engine
 * consumes (LB-NIC's "insertion points"); l7_http_rewrite_apply() turns the
 * list into the rewritten bytes for tests and full proxies.
 *
 * Invariants: edits are sorted by original offset; at equal offsets
 * insertions keep the order they were added and precede a deletion there;
 * no edit starts strictly inside a deletion and deletions never overlap.
 * Inserted bytes live in the fixed rw->store: no allocation.
 */
#include "http_internal.h"

void l7_http_rewrite_init(struct l7_http_rewrite *rw, uint64_t stream_base)
{
	rw->stream_base = stream_base;
	rw->n_edits = 0;
	rw->store_used = 0;
}

static int inside_deletion(const struct l7_http_edit *e, uint32_t off)
{
	return e->del_len && e->off < off && off < e->off + e->del_len;
}

/* Insert one edit at its sorted place after checking it fits and does not
 * conflict with the existing ones. */
static int add_edit(struct l7_http_rewrite *rw, uint32_t off, uint32_t del_len,
		    const uint8_t *ins, uint32_t ins_len)
{
	size_t pos = 0;
	for (size_t i = 0; i < rw->n_edits; i++) {
		const struct l7_http_edit *e = &rw->edits[i];
		if (inside_deletion(e, off))
			return L7_EINVAL;
		if (del_len) {
			if (e->del_len && e->off == off && e->del_len == del_len)
				return 0; /* the same deletion twice: once is enough */
			if (e->del_len && e->off < off + del_len && off < e->off + e->del_len)
				return L7_EINVAL;
			if (!e->del_len && off < e->off && e->off < off + del_len)
				return L7_EINVAL;
		}
		/* place after smaller offsets, after insertions at the same
		 * offset, before deletions at the same offset (for insertions) */
		if (e->off < off || (e->off == off && (del_len || !e->del_len)))
			pos = i + 1;
	}
	if (rw->n_edits == L7_HTTP_MAX_EDITS ||
	    ins_len > L7_HTTP_EDIT_STORE_BYTES - rw->store_used)
		return L7_ENOSPC;
	memmove(&rw->edits[pos + 1], &rw->edits[pos],
		(rw->n_edits - pos) * sizeof(rw->edits[0]));
	struct l7_http_edit *n = &rw->edits[pos];
	n->off = off;
	n->del_len = del_len;
	n->ins_off = rw->store_used;
	n->ins_len = ins_len;
	if (ins_len)
		memcpy(rw->store + rw->store_used, ins, ins_len);
	rw->store_used += ins_len;
	rw->n_edits++;
	return 0;
}

/* A small bounded string builder over a stack buffer. */
struct sbuf {
	uint8_t b[L7_HTTP_EDIT_STORE_BYTES];
	size_t n;
	int overflow;
};

static void sb_put(struct sbuf *s, const char *p, size_t n)
{
	if (n > sizeof(s->b) - s->n) {
		s->overflow = 1;
		return;
	}
	memcpy(s->b + s->n, p, n);
	s->n += n;
}

static void sb_str(struct sbuf *s, const char *p)
{
	sb_put(s, p, strlen(p));
}

static int name_ok(const char *name)
{
	if (!name || !*name)
		return 0;
	for (const char *c = name; *c; c++)
		if (!http_is((uint8_t)*c, C_TCHAR))
			return 0;
	return 1;
}

static int value_ok(const char *v)
{
	if (!v)
		return 0;
	for (const char *c = v; *c; c++)
		if (http_is((uint8_t)*c, C_CTL))
			return 0;
	return 1;
}

int l7_http_rewrite_add(struct l7_http_rewrite *rw, const struct l7_http_head *h,
			const char *name, const char *value)
{
	if (!name_ok(name) || !value_ok(value))
		return L7_EINVAL;
	struct sbuf s = { .n = 0 };
	sb_str(&s, name);
	sb_put(&s, ": ", 2);
	sb_str(&s, value);
	sb_put(&s, "\r\n", 2);
	if (s.overflow)
		return L7_ENOSPC;
	return add_edit(rw, h->eoh_off, 0, s.b, (uint32_t)s.n);
}

static int last_index(const struct l7_http_head *h, const uint8_t *buf, const char *name)
{
	int last = -1, i = -1;
	size_t n = strlen(name);
	while ((i = l7_http_find_header(h, buf, name, n, i + 1)) >= 0)
		last = i;
	return last;
}

int l7_http_rewrite_append(struct l7_http_rewrite *rw, const struct l7_http_head *h,
			   const uint8_t *buf, const char *name, const char *value)
{
	if (!name_ok(name) || !value_ok(value))
		return L7_EINVAL;
	int i = last_index(h, buf, name);
	if (i < 0)
		return l7_http_rewrite_add(rw, h, name, value);
	const struct l7_http_header *hd = &h->headers[i];
	struct sbuf s = { .n = 0 };
	if (hd->value.len)
		sb_put(&s, ", ", 2);
	sb_str(&s, value);
	if (s.overflow)
		return L7_ENOSPC;
	return add_edit(rw, hd->value.off + hd->value.len, 0, s.b, (uint32_t)s.n);
}

int l7_http_rewrite_remove(struct l7_http_rewrite *rw, const struct l7_http_head *h,
			   const uint8_t *buf, const char *name)
{
	if (!name_ok(name))
		return L7_EINVAL;
	size_t n = strlen(name);
	for (int i = l7_http_find_header(h, buf, name, n, 0); i >= 0;
	     i = l7_http_find_header(h, buf, name, n, i + 1)) {
		int rc = add_edit(rw, h->headers[i].line_off, h->headers[i].line_len, NULL, 0);
		if (rc)
			return rc;
	}
	return 0;
}

int l7_http_rewrite_replace(struct l7_http_rewrite *rw, const struct l7_http_head *h,
			    const uint8_t *buf, const char *name, const char *value)
{
	if (!name_ok(name) || !value_ok(value))
		return L7_EINVAL;
	int rc = l7_http_rewrite_remove(rw, h, buf, name);
	return rc ? rc : l7_http_rewrite_add(rw, h, name, value);
}

int l7_http_rewrite_xff(struct l7_http_rewrite *rw, const struct l7_http_head *h,
			const uint8_t *buf, const char *client_addr)
{
	return l7_http_rewrite_append(rw, h, buf, "X-Forwarded-For", client_addr);
}

/* RFC 7239 §6: an IPv6 node is "[v6]" and must be quoted; any value that is
 * not a token is a quoted-string. */
static void fwd_value(struct sbuf *s, const char *v)
{
	int colons = 0, token = *v != 0;
	for (const char *c = v; *c; c++) {
		colons += *c == ':';
		if (!http_is((uint8_t)*c, C_TCHAR))
			token = 0;
	}
	if (token) {
		sb_str(s, v);
		return;
	}
	sb_put(s, "\"", 1);
	if (colons >= 2 && v[0] != '[')
		sb_put(s, "[", 1);
	for (const char *c = v; *c; c++) {
		if (*c == '"' || *c == '\\')
			sb_put(s, "\\", 1);
		sb_put(s, c, 1);
	}
	if (colons >= 2 && v[0] != '[')
		sb_put(s, "]", 1);
	sb_put(s, "\"", 1);
}

int l7_http_rewrite_forwarded(struct l7_http_rewrite *rw, const struct l7_http_head *h,
			      const uint8_t *buf, const char *client_addr,
			      const char *by, const char *proto, const char *host)
{
	const char *keys[4] = { "for=", "by=", "proto=", "host=" };
	const char *vals[4] = { client_addr, by, proto, host };
	struct sbuf s = { .n = 0 };
	int parts = 0;
	for (int k = 0; k < 4; k++) {
		if (!vals[k])
			continue;
		if (!value_ok(vals[k]))
			return L7_EINVAL;
		if (parts++)
			sb_put(&s, ";", 1);
		sb_str(&s, keys[k]);
		fwd_value(&s, vals[k]);
	}
	if (!parts)
		return L7_EINVAL;
	sb_put(&s, "", 1); /* NUL terminator for the string APIs below */
	if (s.overflow)
		return L7_ENOSPC;
	return l7_http_rewrite_append(rw, h, buf, "Forwarded", (const char *)s.b);
}

int l7_http_rewrite_set_cookie(struct l7_http_rewrite *rw, const struct l7_http_head *h,
			       const char *name, const char *value, const char *attrs)
{
	if (!name_ok(name) || !value_ok(value) || (attrs && !value_ok(attrs)))
		return L7_EINVAL;
	struct sbuf s = { .n = 0 };
	sb_str(&s, name);
	sb_put(&s, "=", 1);
	sb_str(&s, value);
	if (attrs && *attrs) {
		sb_put(&s, "; ", 2);
		sb_str(&s, attrs);
	}
	sb_put(&s, "", 1);
	if (s.overflow)
		return L7_ENOSPC;
	return l7_http_rewrite_add(rw, h, "Set-Cookie", (const char *)s.b);
}

int64_t l7_http_rewrite_delta(const struct l7_http_rewrite *rw)
{
	int64_t d = 0;
	for (size_t i = 0; i < rw->n_edits; i++)
		d += (int64_t)rw->edits[i].ins_len - (int64_t)rw->edits[i].del_len;
	return d;
}

int l7_http_rewrite_apply(const struct l7_http_rewrite *rw, const uint8_t *msg,
			  size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t cur = 0, o = 0;
	for (size_t i = 0; i < rw->n_edits; i++) {
		const struct l7_http_edit *e = &rw->edits[i];
		if (e->off < cur || (size_t)e->off + e->del_len > len)
			return L7_EINVAL;
		size_t n = e->off - cur;
		if (n + e->ins_len > cap - o)
			return L7_ENOSPC;
		memcpy(out + o, msg + cur, n);
		o += n;
		memcpy(out + o, rw->store + e->ins_off, e->ins_len);
		o += e->ins_len;
		cur = (size_t)e->off + e->del_len;
	}
	if (len - cur > cap - o)
		return L7_ENOSPC;
	memcpy(out + o, msg + cur, len - cur);
	*out_len = o + len - cur;
	return 0;
}
