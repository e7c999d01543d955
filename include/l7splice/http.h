/*
 * http.h — strict, incremental, zero-copy HTTP/1.1 parser (request heads,
 * response heads, body framing) and head rewriting as a list of edits.
 *
 * Zero-copy: every token is a struct l7_http_span, an offset and a length
 * into the caller's message bytes, counted from the first byte of the
 * message (so the caller may move the whole buffer between calls). Nothing
 * here allocates; every object is caller memory of a fixed size.
 *
 * Incremental head parsing (design choice (b), the picohttpparser way): the
 * caller keeps the head bytes contiguous (the splice engine's shallow buffer
 * does) and calls l7_http_parse_request() again with the same buffer, now
 * longer, after each new segment. The parser keeps a resume offset and never
 * rescans: a line scanner finds line ends from where it stopped, and each
 * complete line is parsed exactly once. The result after feeding bytes
 * [0, n) depends only on those bytes, never on how they were split; in
 * particular an error is reported at the same offset with the same code
 * whether the head arrived in one piece or byte by byte.
 *
 * Body framing is a small fixed-size state machine (design choice (a)) fed
 * with arbitrary, non-contiguous pieces of the body: struct l7_http_body.
 *
 * Invariants: every span lies inside [0, head_bytes) of the message; a
 * parser in the ERROR state stays there (same code and offset) until reset;
 * strict RFC 9112 unless a L7_HTTP_LENIENT_* flag relaxes one check.
 */
#ifndef L7SPLICE_HTTP_H
#define L7SPLICE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l7splice/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fields kept per head; one more is L7_HTTP_E_TOO_MANY_FIELDS (a 431). */
#define L7_HTTP_MAX_HEADERS 64
/* Head size limit used when l7_http_parser_init() gets 0. */
#define L7_HTTP_DEFAULT_MAX_HEAD_BYTES 8192u

/* A token: offset from the first byte of the message, and length. */
struct l7_http_span {
	uint32_t off;
	uint32_t len;
};

/* One header field. name excludes the colon; value excludes leading and
 * trailing whitespace (an obs-fold continuation, when allowed, stays inside
 * value as raw bytes). line_off/line_len cover the whole field line
 * including its CRLF (and any continuation lines): what a deletion removes. */
struct l7_http_header {
	struct l7_http_span name;
	struct l7_http_span value;
	uint32_t line_off;
	uint32_t line_len;
};

enum l7_http_method {
	L7_HTTP_METHOD_OTHER = 0, /* a valid token we do not name; see method span */
	L7_HTTP_GET,
	L7_HTTP_HEAD,
	L7_HTTP_POST,
	L7_HTTP_PUT,
	L7_HTTP_DELETE,
	L7_HTTP_CONNECT,
	L7_HTTP_OPTIONS,
	L7_HTTP_TRACE,
	L7_HTTP_PATCH,
};

/* How the body of a message is delimited (RFC 9112 §6.3). */
enum l7_http_framing {
	L7_HTTP_BODY_NONE = 0,  /* no body: the message ends with the head */
	L7_HTTP_BODY_LENGTH,    /* exactly content_length bytes */
	L7_HTTP_BODY_CHUNKED,   /* chunked coding, ends after the trailer section */
	L7_HTTP_BODY_CLOSE,     /* response (or lenient request): ends at close */
};

/* What both request and response heads carry. */
struct l7_http_head {
	uint8_t version_minor;       /* 0 or 1 (HTTP/1.x); others only if lenient */
	uint8_t version_major;       /* 1 unless L7_HTTP_LENIENT_VERSION */
	bool keep_alive;             /* connection persists after this message */
	bool conn_close;             /* Connection: close seen */
	bool conn_keep_alive;        /* Connection: keep-alive seen */
	bool conn_upgrade;           /* Connection: upgrade seen */
	bool has_upgrade;            /* an Upgrade header field is present */
	bool chunked;                /* Transfer-Encoding ends in chunked */
	bool has_te;                 /* a Transfer-Encoding field is present */
	bool upgrade;                /* the bytes after this message may not be
	                                HTTP: CONNECT request, Connection: upgrade
	                                with Upgrade, 101 response, 2xx to CONNECT */
	uint8_t n_content_length;    /* Content-Length field values seen */
	enum l7_http_framing framing;
	uint64_t content_length;     /* valid when n_content_length > 0 */
	uint32_t head_bytes;         /* whole head including the empty line */
	uint32_t eoh_off;            /* offset of the empty line ending the head:
	                                where new fields are inserted */
	uint16_t n_headers;
	struct l7_http_header headers[L7_HTTP_MAX_HEADERS];
};

/* A parsed request head: what the router matches on. */
struct l7_http_request {
	enum l7_http_method method;
	struct l7_http_span method_tok;  /* the method token as sent */
	struct l7_http_span target;      /* the request-target as sent */
	struct l7_http_span path;        /* target up to '?' (absolute-form: the
	                                    path part after the authority, may be
	                                    empty; authority- and asterisk-form:
	                                    the whole target) */
	struct l7_http_span query;       /* after '?', without it; len 0 if none */
	bool has_query;                  /* a '?' was present (query may be empty) */
	bool absolute_form;              /* target was scheme://authority/... */
	bool expect_continue;            /* Expect: 100-continue */
	struct l7_http_span host;        /* effective authority for routing: the
	                                    absolute-form authority if any, else
	                                    the Host value; len 0 if none. As
	                                    sent: may carry ":port", any case */
	int16_t host_header;             /* index in head.headers, -1 if none */
	struct l7_http_head head;
};

/* A parsed response head. */
struct l7_http_response {
	uint16_t status;                 /* 100..999 */
	struct l7_http_span reason;      /* reason phrase, may be empty */
	struct l7_http_head head;
};

/* Why a message was rejected. Each check has its own code; see
 * docs/http.md for the RFC section and the flag that relaxes it. */
enum l7_http_err {
	L7_HTTP_E_NONE = 0,
	L7_HTTP_E_METHOD,            /* method is not a token */
	L7_HTTP_E_TARGET,            /* request-target empty or has a bad byte */
	L7_HTTP_E_REQUEST_LINE,      /* not "method SP target SP version" */
	L7_HTTP_E_VERSION,           /* not HTTP-version syntax */
	L7_HTTP_E_VERSION_UNSUPPORTED, /* HTTP/x.y other than 1.0 and 1.1 */
	L7_HTTP_E_STATUS_LINE,       /* not "version SP 3DIGIT SP reason" */
	L7_HTTP_E_STATUS,            /* status code not 3 digits in 100..999 */
	L7_HTTP_E_REASON,            /* control byte in the reason phrase */
	L7_HTTP_E_BARE_CR,           /* CR not followed by LF */
	L7_HTTP_E_BARE_LF,           /* LF not preceded by CR */
	L7_HTTP_E_FIELD_NAME,        /* empty field name or non-token byte */
	L7_HTTP_E_NO_COLON,          /* field line without a colon */
	L7_HTTP_E_WS_BEFORE_COLON,   /* whitespace between field name and colon */
	L7_HTTP_E_FIELD_VALUE,       /* control byte (or NUL) in a field value */
	L7_HTTP_E_OBS_FOLD,          /* line folding (obs-fold) */
	L7_HTTP_E_LEADING_WS,        /* whitespace before the first field line */
	L7_HTTP_E_CL_INVALID,        /* Content-Length not 1*DIGIT or > 2^63-1 */
	L7_HTTP_E_CL_DIFFERENT,      /* several Content-Length values that differ */
	L7_HTTP_E_CL_REPEATED,       /* several identical Content-Length values */
	L7_HTTP_E_CL_AND_TE,         /* both Content-Length and Transfer-Encoding */
	L7_HTTP_E_TE_NOT_CHUNKED,    /* request TE whose last coding is not chunked */
	L7_HTTP_E_TE_INVALID,        /* TE syntax, chunked not last/twice */
	L7_HTTP_E_TE_HTTP10,         /* Transfer-Encoding in an HTTP/1.0 message */
	L7_HTTP_E_HOST_MISSING,      /* HTTP/1.1 request without Host */
	L7_HTTP_E_HOST_DUPLICATE,    /* more than one Host field */
	L7_HTTP_E_HOST_INVALID,      /* Host value not a valid authority */
	L7_HTTP_E_HEAD_TOO_LARGE,    /* head above max_head_bytes (answer 431) */
	L7_HTTP_E_TOO_MANY_FIELDS,   /* more than L7_HTTP_MAX_HEADERS (431) */
	L7_HTTP_E_CHUNK_SIZE,        /* chunk size not hex */
	L7_HTTP_E_CHUNK_OVERFLOW,    /* chunk size above 2^63-1 */
	L7_HTTP_E_CHUNK_EXT,         /* bad chunk extension */
	L7_HTTP_E_CHUNK_CRLF,        /* chunk data not followed by CRLF */
	L7_HTTP_E_TRAILER,           /* bad trailer field line */
	L7_HTTP_E_TRUNCATED,         /* connection closed inside a message */
	L7_HTTP_E_COUNT
};

/* A short English text for an l7_http_err; never NULL. */
const char *l7_http_strerror(enum l7_http_err e);
/* True when the caller should answer 431 rather than 400. */
bool l7_http_err_is_too_large(enum l7_http_err e);

/* Leniency flags: each relaxes exactly one check (docs/http.md table). */
enum l7_http_flag {
	L7_HTTP_LENIENT_CL_TE        = 1u << 0,  /* CL with TE: TE wins, CL ignored */
	L7_HTTP_LENIENT_CL_REPEATED  = 1u << 1,  /* identical repeated CL: one value */
	L7_HTTP_LENIENT_CL_DIFFERENT = 1u << 2,  /* differing CL values: first wins */
	L7_HTTP_LENIENT_TE           = 1u << 3,  /* request TE not ending in chunked:
	                                            body runs to close */
	L7_HTTP_LENIENT_OBS_FOLD     = 1u << 4,  /* obs-fold kept inside the value */
	L7_HTTP_LENIENT_WS_BEFORE_COLON = 1u << 5, /* "Name : v" accepted */
	L7_HTTP_LENIENT_BARE_LF      = 1u << 6,  /* LF alone ends a line */
	L7_HTTP_LENIENT_BARE_CR      = 1u << 7,  /* CR alone is kept as a value byte */
	L7_HTTP_LENIENT_TOKEN        = 1u << 8,  /* method/field names: any byte but
	                                            CTL, SP, ':' */
	L7_HTTP_LENIENT_TARGET       = 1u << 9,  /* request-target: any byte but CTL,
	                                            SP (allows '#', '{', 8-bit) */
	L7_HTTP_LENIENT_CTL_VALUE    = 1u << 10, /* control bytes (not NUL, CR, LF)
	                                            in field values and reasons */
	L7_HTTP_LENIENT_HOST         = 1u << 11, /* missing/duplicate/invalid Host */
	L7_HTTP_LENIENT_VERSION      = 1u << 12, /* any HTTP/d.d; 1.x>1 acts as 1.1,
	                                            others as 1.0 */
	L7_HTTP_LENIENT_TE_HTTP10    = 1u << 13, /* TE honoured in HTTP/1.0 */
	L7_HTTP_LENIENT_LEADING_WS   = 1u << 14, /* whitespace-led lines right after
	                                            the start line are skipped
	                                            (RFC 9112 §2.2) */
	L7_HTTP_LENIENT_CHUNK_WS     = 1u << 15, /* whitespace after a chunk size
	                                            without an extension */
	L7_HTTP_LENIENT_STATUS_LINE  = 1u << 16, /* "HTTP/1.1 200" without the SP
	                                            before an empty reason */
	L7_HTTP_LENIENT_ALL          = (1u << 17) - 1,
};

enum l7_http_parse_state {
	L7_HTTP_S_START_LINE = 0,
	L7_HTTP_S_FIELDS,
	L7_HTTP_S_DONE,
	L7_HTTP_S_ERROR,
};

/* Head-parser state: a few words, no pointers, copyable. */
struct l7_http_parser {
	uint32_t flags;          /* enum l7_http_flag bits */
	uint32_t max_head_bytes; /* head limit; above it L7_HTTP_E_HEAD_TOO_LARGE */
	uint32_t scan_off;       /* next byte the line scanner examines */
	uint32_t line_off;       /* first byte of the current incomplete line */
	uint8_t state;           /* enum l7_http_parse_state */
	uint8_t is_response;
	uint8_t request_method;  /* responses: method of the request answered */
	uint8_t n_host;          /* Host fields seen */
	uint8_t pending;         /* last field not yet interpreted: a folded
	                            continuation line may still extend it */
	uint8_t n_chunked;       /* "chunked" codings seen in Transfer-Encoding */
	uint16_t spare;
	enum l7_http_err err;    /* set in L7_HTTP_S_ERROR */
	uint32_t err_off;        /* byte offset (from message start) of the error */
	uint32_t cl_off;         /* offset of the first Content-Length value */
	uint32_t te_off;         /* offset of the last Transfer-Encoding value */
};

/* Prepare p to parse one request head. max_head_bytes 0 means the default. */
void l7_http_parser_init(struct l7_http_parser *p, uint32_t flags,
			 uint32_t max_head_bytes);
/* Prepare p to parse one response head answering a request_method request
 * (HEAD and CONNECT change the framing, RFC 9112 §6.3). */
void l7_http_parser_init_response(struct l7_http_parser *p, uint32_t flags,
				  uint32_t max_head_bytes,
				  enum l7_http_method request_method);

/*
 * Parse (more of) a request head. buf holds the message's first len bytes,
 * contiguous; call again with the same p and req, and a longer len, after
 * more bytes arrive (the buffer may move; the bytes already given must not
 * change). Bytes after the head (body, next pipelined request) are ignored.
 * Returns:
 *   0               head complete: req filled, req->head.head_bytes is its
 *                   length, req->head.framing says how the body ends;
 *   L7_EAGAIN       need more bytes (not an error);
 *   L7_EHTTP        malformed: answer 400; p->err and p->err_off say why/where;
 *   L7_EHTTPTOOBIG  head above max_head_bytes or too many fields: answer 431.
 * After 0 or an error, further calls return the same result until re-init.
 */
int l7_http_parse_request(struct l7_http_parser *p, struct l7_http_request *req,
			  const uint8_t *buf, size_t len);
/* The same for a response head (status line). A 1xx response (other than
 * 101) is a complete message without body: re-init and parse the next head. */
int l7_http_parse_response(struct l7_http_parser *p, struct l7_http_response *resp,
			   const uint8_t *buf, size_t len);

/* Case-insensitive lookup of a field by name from index start; returns the
 * index or -1. */
int l7_http_find_header(const struct l7_http_head *h, const uint8_t *buf,
			const char *name, size_t name_len, int start);
/* Name of a method enum ("GET", ...; "" for OTHER). */
const char *l7_http_method_name(enum l7_http_method m);

/* ------------------------------------------------------------ body framing */

/*
 * Body framing state machine, fed with the body bytes that follow the head
 * in any pieces (not necessarily contiguous with each other). It tells where
 * the message ends so the next pipelined message can start, and which bytes
 * are payload (chunk framing excluded).
 */
struct l7_http_body {
	uint8_t framing;       /* enum l7_http_framing */
	uint8_t state;         /* internal chunked-parser state */
	uint8_t done;
	uint8_t lenient;       /* internal: the leniency flags that apply */
	enum l7_http_err err;  /* after L7_EHTTP: why; the offending byte is
	                          body byte consumed - 1 */
	uint64_t remaining;    /* bytes left in the body or current chunk */
	uint64_t consumed;     /* body bytes consumed so far (framing included) */
	uint64_t payload;      /* payload bytes delivered so far */
	uint32_t line_bytes;   /* length of the current chunk-size/trailer line */
	uint32_t n_chunks;     /* chunks completed, the last (size 0) included */
};

/* Start framing the body described by a parsed head. */
void l7_http_body_init(struct l7_http_body *b, const struct l7_http_head *h,
		       uint32_t flags);
/*
 * Feed len bytes of body. On return *used bytes of data were consumed and
 * *payload is the payload run found in them (offset relative to data; len 0
 * if none). The function stops after each payload run, so call it in a loop:
 *   0          message complete; data[*used..] belongs to the next message;
 *   L7_EAGAIN  the message goes on: feed data[*used..] (if any) or more bytes;
 *   L7_EHTTP   bad chunked framing; b->err says why.
 */
int l7_http_body_feed(struct l7_http_body *b, const uint8_t *data, size_t len,
		      size_t *used, struct l7_http_span *payload);
/* The connection closed: 0 if the message is complete (close-delimited or
 * already done), L7_EHTTP with L7_HTTP_E_TRUNCATED otherwise. */
int l7_http_body_eof(struct l7_http_body *b);

/* ------------------------------------------------------------ head rewriting */

/*
 * Edit format (what the splice engine consumes). An edit is one of
 *   insertion: del_len == 0, ins_len > 0: the ins_len bytes at
 *              rw->store[ins_off] go into the stream just before original
 *              message byte `off` (off == head_bytes appends after the head);
 *   deletion:  ins_len == 0, del_len > 0: original bytes [off, off+del_len)
 *              are not forwarded.
 * `off` counts bytes of the ORIGINAL message from its first byte; the stream
 * offset of the edit is rw->stream_base + off. Edits are kept sorted by off;
 * at equal off, insertions come in the order they were added and before a
 * deletion starting there. No edit lies strictly inside a deletion. So the
 * output stream is: for each edit in order, original bytes up to off, then
 * the insertion (or skip the deletion), then the rest of the original. Every
 * original byte after an edit moves by +ins_len / -del_len; the splice engine
 * shifts sequence numbers by the running sum.
 */
#define L7_HTTP_MAX_EDITS 16
#define L7_HTTP_EDIT_STORE_BYTES 1024

struct l7_http_edit {
	uint32_t off;      /* original-message offset */
	uint32_t del_len;  /* bytes deleted at off (0 for an insertion) */
	uint32_t ins_off;  /* insertion bytes: rw->store + ins_off */
	uint32_t ins_len;  /* bytes inserted at off (0 for a deletion) */
};

struct l7_http_rewrite {
	uint64_t stream_base;  /* stream offset of the message's first byte */
	uint16_t n_edits;
	uint32_t store_used;
	struct l7_http_edit edits[L7_HTTP_MAX_EDITS];
	uint8_t store[L7_HTTP_EDIT_STORE_BYTES];
};

void l7_http_rewrite_init(struct l7_http_rewrite *rw, uint64_t stream_base);
/* Add "name: value\r\n" at the end of the head (before the empty line).
 * L7_ENOSPC when the edit list or store is full; L7_EINVAL for a name that
 * is not a token or a value with CR, LF or NUL. */
int l7_http_rewrite_add(struct l7_http_rewrite *rw, const struct l7_http_head *h,
			const char *name, const char *value);
/* Append ", value" to the last field called name, or add the field. */
int l7_http_rewrite_append(struct l7_http_rewrite *rw, const struct l7_http_head *h,
			   const uint8_t *buf, const char *name, const char *value);
/* Delete every field called name (0 even if none). */
int l7_http_rewrite_remove(struct l7_http_rewrite *rw, const struct l7_http_head *h,
			   const uint8_t *buf, const char *name);
/* Remove every field called name, then add "name: value". */
int l7_http_rewrite_replace(struct l7_http_rewrite *rw, const struct l7_http_head *h,
			    const uint8_t *buf, const char *name, const char *value);
/* X-Forwarded-For: append ", addr" to the last one or add it. */
int l7_http_rewrite_xff(struct l7_http_rewrite *rw, const struct l7_http_head *h,
			const uint8_t *buf, const char *client_addr);
/* Forwarded (RFC 7239): append an element for=<client>;by=<by>;proto=<proto>;
 * host=<host> (NULL parts omitted) to the last Forwarded field, or add one.
 * IPv6 addresses are written "[addr]" in quotes; any value that is not a
 * token is quoted. */
int l7_http_rewrite_forwarded(struct l7_http_rewrite *rw, const struct l7_http_head *h,
			      const uint8_t *buf, const char *client_addr,
			      const char *by, const char *proto, const char *host);
/* Response side: add "Set-Cookie: name=value[; attrs]". */
int l7_http_rewrite_set_cookie(struct l7_http_rewrite *rw, const struct l7_http_head *h,
			       const char *name, const char *value, const char *attrs);
/* Total size change of the head (sum of insertions minus deletions). */
int64_t l7_http_rewrite_delta(const struct l7_http_rewrite *rw);
/* Apply the edits to the original message bytes msg[0..len) (len >= every
 * edit's end) into out; *out_len gets the new length. L7_ENOSPC if cap is
 * too small. */
int l7_http_rewrite_apply(const struct l7_http_rewrite *rw, const uint8_t *msg,
			  size_t len, uint8_t *out, size_t cap, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
