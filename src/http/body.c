/*
 * body.c — message body framing (RFC 9112 §6-§7): Content-Length, chunked
 * (sizes, extensions, trailers) and close-delimited bodies.
 *
 * Body bytes arrive in arbitrary pieces that are not contiguous with each
 * other, so unlike the head parser this is a byte-level state machine with a
 * fixed-size state (design choice (a)): a chunk size is accumulated digit by
 * digit, extensions and trailers are validated without being stored.
 *
 * Invariants: the state after feeding a byte string does not depend on how
 * it was split; payload runs never include chunk framing; a chunk size above
 * 2^63-1 is an error before it can wrap.
 */
#include "http_internal.h"

enum {
	LEN_BARE_LF = 1,
	LEN_CHUNK_WS = 2,
	LEN_CTL = 4,
};

enum body_state {
	B_SIZE0 = 0,     /* first hex digit of a chunk size */
	B_SIZE,          /* more hex digits */
	B_SIZE_WS,       /* whitespace after the size: only before ';' */
	B_EXT_PRE_NAME,  /* after ';' */
	B_EXT_NAME,
	B_EXT_POST_NAME,
	B_EXT_PRE_VAL,   /* after '=' */
	B_EXT_VAL_TOKEN,
	B_EXT_QUOTED,
	B_EXT_QUOTED_ESC,
	B_EXT_POST_VAL,
	B_SIZE_LF,       /* CR seen at the end of the size line */
	B_DATA,
	B_DATA_CR,       /* CRLF after chunk data */
	B_DATA_LF,
	B_TRAILER_START, /* start of a trailer line, or the final CRLF */
	B_TRAILER_NAME,
	B_TRAILER_VALUE,
	B_TRAILER_LF,
	B_END_LF,
};

/* A chunk-size line or the trailer section longer than this is refused:
 * neither is stored, but an endless one would hold the connection. */
#define MAX_LINE_BYTES 8192u

void l7_http_body_init(struct l7_http_body *b, const struct l7_http_head *h,
		       uint32_t flags)
{
	memset(b, 0, sizeof(*b));
	b->framing = (uint8_t)h->framing;
	if (flags & L7_HTTP_LENIENT_BARE_LF)
		b->lenient |= LEN_BARE_LF;
	if (flags & L7_HTTP_LENIENT_CHUNK_WS)
		b->lenient |= LEN_CHUNK_WS;
	if (flags & L7_HTTP_LENIENT_CTL_VALUE)
		b->lenient |= LEN_CTL;
	switch (h->framing) {
	case L7_HTTP_BODY_NONE:
		b->done = 1;
		break;
	case L7_HTTP_BODY_LENGTH:
		b->remaining = h->content_length;
		b->done = h->content_length == 0;
		break;
	default:
		break;
	}
	b->state = B_SIZE0;
}

static int body_fail(struct l7_http_body *b, enum l7_http_err e)
{
	b->err = e;
	return L7_EHTTP;
}

/* End of a chunk-size line: a data chunk follows, or the trailer section. */
static void size_line_done(struct l7_http_body *b)
{
	b->line_bytes = 0;
	if (b->remaining == 0) {
		b->n_chunks++;
		b->state = B_TRAILER_START;
	} else {
		b->state = B_DATA;
	}
}

/* Line end inside a chunk-size line: CR, or LF when bare LF is allowed. */
static int size_line_end(struct l7_http_body *b, uint8_t c, enum l7_http_err e)
{
	if (c == '\r') {
		b->state = B_SIZE_LF;
		return 0;
	}
	if (c == '\n') {
		if (!(b->lenient & LEN_BARE_LF))
			return body_fail(b, L7_HTTP_E_BARE_LF);
		size_line_done(b);
		return 0;
	}
	return body_fail(b, e);
}

static int step_size(struct l7_http_body *b, uint8_t c)
{
	int d;
	switch (b->state) {
	case B_SIZE0:
		d = http_hexval(c);
		if (d < 0)
			return body_fail(b, L7_HTTP_E_CHUNK_SIZE);
		b->remaining = (uint64_t)d;
		b->state = B_SIZE;
		return 0;
	case B_SIZE:
		d = http_hexval(c);
		if (d >= 0) {
			if (b->remaining > ((uint64_t)INT64_MAX - (uint64_t)d) / 16)
				return body_fail(b, L7_HTTP_E_CHUNK_OVERFLOW);
			b->remaining = b->remaining * 16 + (uint64_t)d;
			return 0;
		}
		if (c == ';') {
			b->state = B_EXT_PRE_NAME;
			return 0;
		}
		if (c == ' ' || c == '\t') {
			b->state = B_SIZE_WS;
			return 0;
		}
		return size_line_end(b, c, L7_HTTP_E_CHUNK_SIZE);
	case B_SIZE_WS:
		if (c == ' ' || c == '\t')
			return 0;
		if (c == ';') {
			b->state = B_EXT_PRE_NAME;
			return 0;
		}
		if (!(b->lenient & LEN_CHUNK_WS))
			return body_fail(b, L7_HTTP_E_CHUNK_SIZE);
		return size_line_end(b, c, L7_HTTP_E_CHUNK_SIZE);
	default:
		return body_fail(b, L7_HTTP_E_CHUNK_SIZE);
	}
}

/* chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ) */
static int step_ext(struct l7_http_body *b, uint8_t c)
{
	int ws = c == ' ' || c == '\t';
	switch (b->state) {
	case B_EXT_PRE_NAME:
		if (ws)
			return 0;
		if (!http_is(c, C_TCHAR))
			return body_fail(b, L7_HTTP_E_CHUNK_EXT);
		b->state = B_EXT_NAME;
		return 0;
	case B_EXT_NAME:
	case B_EXT_POST_NAME:
		if (http_is(c, C_TCHAR) && b->state == B_EXT_NAME)
			return 0;
		if (ws) {
			b->state = B_EXT_POST_NAME;
			return 0;
		}
		if (c == '=') {
			b->state = B_EXT_PRE_VAL;
			return 0;
		}
		if (c == ';') {
			b->state = B_EXT_PRE_NAME;
			return 0;
		}
		return size_line_end(b, c, L7_HTTP_E_CHUNK_EXT);
	case B_EXT_PRE_VAL:
		if (ws)
			return 0;
		if (c == '"') {
			b->state = B_EXT_QUOTED;
			return 0;
		}
		if (!http_is(c, C_TCHAR))
			return body_fail(b, L7_HTTP_E_CHUNK_EXT);
		b->state = B_EXT_VAL_TOKEN;
		return 0;
	case B_EXT_VAL_TOKEN:
	case B_EXT_POST_VAL:
		if (http_is(c, C_TCHAR) && b->state == B_EXT_VAL_TOKEN)
			return 0;
		if (ws) {
			b->state = B_EXT_POST_VAL;
			return 0;
		}
		if (c == ';') {
			b->state = B_EXT_PRE_NAME;
			return 0;
		}
		return size_line_end(b, c, L7_HTTP_E_CHUNK_EXT);
	case B_EXT_QUOTED:
		if (c == '"')
			b->state = B_EXT_POST_VAL;
		else if (c == '\\')
			b->state = B_EXT_QUOTED_ESC;
		else if (http_is(c, C_CTL))
			return body_fail(b, L7_HTTP_E_CHUNK_EXT);
		return 0;
	case B_EXT_QUOTED_ESC:
		if (http_is(c, C_CTL))
			return body_fail(b, L7_HTTP_E_CHUNK_EXT);
		b->state = B_EXT_QUOTED;
		return 0;
	default:
		return body_fail(b, L7_HTTP_E_CHUNK_EXT);
	}
}

/* trailer-section = *( field-line CRLF ) CRLF */
static int step_trailer(struct l7_http_body *b, uint8_t c)
{
	int bare_lf = (b->lenient & LEN_BARE_LF) != 0;
	switch (b->state) {
	case B_TRAILER_START:
		if (c == '\r')
			b->state = B_END_LF;
		else if (c == '\n' && bare_lf)
			b->done = 1;
		else if (http_is(c, C_TCHAR))
			b->state = B_TRAILER_NAME;
		else
			return body_fail(b, c == '\n' ? L7_HTTP_E_BARE_LF : L7_HTTP_E_TRAILER);
		return 0;
	case B_TRAILER_NAME:
		if (c == ':')
			b->state = B_TRAILER_VALUE;
		else if (!http_is(c, C_TCHAR))
			return body_fail(b, L7_HTTP_E_TRAILER);
		return 0;
	case B_TRAILER_VALUE:
		if (c == '\r')
			b->state = B_TRAILER_LF;
		else if (c == '\n' && bare_lf)
			b->state = B_TRAILER_START;
		else if (c == '\n')
			return body_fail(b, L7_HTTP_E_BARE_LF);
		else if (http_is(c, C_CTL) && c != '\t' &&
			 (c == 0 || !(b->lenient & LEN_CTL)))
			return body_fail(b, L7_HTTP_E_TRAILER);
		return 0;
	case B_TRAILER_LF:
		if (c != '\n')
			return body_fail(b, L7_HTTP_E_BARE_CR);
		b->state = B_TRAILER_START;
		return 0;
	case B_END_LF:
		if (c != '\n')
			return body_fail(b, L7_HTTP_E_BARE_CR);
		b->done = 1;
		return 0;
	default:
		return body_fail(b, L7_HTTP_E_TRAILER);
	}
}

/* One framing byte of a chunked body (never a data byte). */
static int step(struct l7_http_body *b, uint8_t c)
{
	switch (b->state) {
	case B_SIZE0:
	case B_SIZE:
	case B_SIZE_WS:
		if (++b->line_bytes > MAX_LINE_BYTES)
			return body_fail(b, L7_HTTP_E_CHUNK_EXT);
		return step_size(b, c);
	case B_SIZE_LF:
		if (c != '\n')
			return body_fail(b, L7_HTTP_E_BARE_CR);
		size_line_done(b);
		return 0;
	case B_DATA_CR:
		if (c == '\r') {
			b->state = B_DATA_LF;
			return 0;
		}
		if (c == '\n' && (b->lenient & LEN_BARE_LF)) {
			b->n_chunks++;
			b->state = B_SIZE0;
			return 0;
		}
		return body_fail(b, L7_HTTP_E_CHUNK_CRLF);
	case B_DATA_LF:
		if (c != '\n')
			return body_fail(b, L7_HTTP_E_CHUNK_CRLF);
		b->n_chunks++;
		b->state = B_SIZE0;
		return 0;
	case B_TRAILER_START:
	case B_TRAILER_NAME:
	case B_TRAILER_VALUE:
	case B_TRAILER_LF:
	case B_END_LF:
		if (++b->line_bytes > MAX_LINE_BYTES)
			return body_fail(b, L7_HTTP_E_TRAILER);
		return step_trailer(b, c);
	default:
		if (++b->line_bytes > MAX_LINE_BYTES)
			return body_fail(b, L7_HTTP_E_CHUNK_EXT);
		return step_ext(b, c);
	}
}

static int feed_chunked(struct l7_http_body *b, const uint8_t *data, size_t len,
			size_t *used, struct l7_http_span *payload)
{
	size_t i = 0;
	while (i < len) {
		if (b->state == B_DATA) {
			uint64_t n = len - i;
			if (n > b->remaining)
				n = b->remaining;
			payload->off = (uint32_t)i;
			payload->len = (uint32_t)n;
			i += (size_t)n;
			b->remaining -= n;
			b->payload += n;
			if (b->remaining == 0)
				b->state = B_DATA_CR;
			break;
		}
		int rc = step(b, data[i++]);
		if (rc) {
			*used = i;
			b->consumed += i;
			return rc;
		}
		if (b->done)
			break;
	}
	*used = i;
	b->consumed += i;
	return b->done ? 0 : L7_EAGAIN;
}

int l7_http_body_feed(struct l7_http_body *b, const uint8_t *data, size_t len,
		      size_t *used, struct l7_http_span *payload)
{
	payload->off = 0;
	payload->len = 0;
	*used = 0;
	if (b->err)
		return L7_EHTTP;
	if (b->done)
		return 0;
	/* payload spans are 32-bit: feed at most 2^31 bytes per call */
	if (len > (1u << 31))
		len = 1u << 31;
	switch (b->framing) {
	case L7_HTTP_BODY_LENGTH: {
		uint64_t n = len < b->remaining ? len : b->remaining;
		payload->len = (uint32_t)n;
		*used = (size_t)n;
		b->remaining -= n;
		b->consumed += n;
		b->payload += n;
		if (b->remaining == 0)
			b->done = 1;
		return b->done ? 0 : L7_EAGAIN;
	}
	case L7_HTTP_BODY_CLOSE:
		payload->len = (uint32_t)len;
		*used = len;
		b->consumed += len;
		b->payload += len;
		return L7_EAGAIN;
	case L7_HTTP_BODY_CHUNKED:
		return feed_chunked(b, data, len, used, payload);
	default:
		b->done = 1;
		return 0;
	}
}

int l7_http_body_eof(struct l7_http_body *b)
{
	if (b->err)
		return L7_EHTTP;
	if (b->done || b->framing == L7_HTTP_BODY_CLOSE) {
		b->done = 1;
		return 0;
	}
	return body_fail(b, L7_HTTP_E_TRUNCATED);
}
