/*
 * errors.c — texts of enum l7_http_err, and which errors mean "431".
 *
 * Invariant: one distinct text per code (test_http checks it).
 */
#include "http_internal.h"

static const char *const err_texts[L7_HTTP_E_COUNT] = {
	[L7_HTTP_E_NONE] = "no error",
	[L7_HTTP_E_METHOD] = "method is not a token",
	[L7_HTTP_E_TARGET] = "invalid request-target",
	[L7_HTTP_E_REQUEST_LINE] = "malformed request line",
	[L7_HTTP_E_VERSION] = "malformed HTTP version",
	[L7_HTTP_E_VERSION_UNSUPPORTED] = "HTTP version other than 1.0 and 1.1",
	[L7_HTTP_E_STATUS_LINE] = "malformed status line",
	[L7_HTTP_E_STATUS] = "invalid status code",
	[L7_HTTP_E_REASON] = "control byte in reason phrase",
	[L7_HTTP_E_BARE_CR] = "CR not followed by LF",
	[L7_HTTP_E_BARE_LF] = "LF without CR",
	[L7_HTTP_E_FIELD_NAME] = "invalid field name",
	[L7_HTTP_E_NO_COLON] = "field line without colon",
	[L7_HTTP_E_WS_BEFORE_COLON] = "whitespace between field name and colon",
	[L7_HTTP_E_FIELD_VALUE] = "control byte in field value",
	[L7_HTTP_E_OBS_FOLD] = "obsolete line folding",
	[L7_HTTP_E_LEADING_WS] = "whitespace before the first field line",
	[L7_HTTP_E_CL_INVALID] = "invalid Content-Length",
	[L7_HTTP_E_CL_DIFFERENT] = "differing Content-Length values",
	[L7_HTTP_E_CL_REPEATED] = "repeated Content-Length",
	[L7_HTTP_E_CL_AND_TE] = "both Content-Length and Transfer-Encoding",
	[L7_HTTP_E_TE_NOT_CHUNKED] = "request Transfer-Encoding does not end in chunked",
	[L7_HTTP_E_TE_INVALID] = "invalid Transfer-Encoding",
	[L7_HTTP_E_TE_HTTP10] = "Transfer-Encoding in an HTTP/1.0 message",
	[L7_HTTP_E_HOST_MISSING] = "HTTP/1.1 request without Host",
	[L7_HTTP_E_HOST_DUPLICATE] = "more than one Host field",
	[L7_HTTP_E_HOST_INVALID] = "invalid Host value",
	[L7_HTTP_E_HEAD_TOO_LARGE] = "head larger than the limit",
	[L7_HTTP_E_TOO_MANY_FIELDS] = "too many header fields",
	[L7_HTTP_E_CHUNK_SIZE] = "invalid chunk size",
	[L7_HTTP_E_CHUNK_OVERFLOW] = "chunk size too large",
	[L7_HTTP_E_CHUNK_EXT] = "invalid chunk extension",
	[L7_HTTP_E_CHUNK_CRLF] = "chunk data not followed by CRLF",
	[L7_HTTP_E_TRAILER] = "invalid trailer field",
	[L7_HTTP_E_TRUNCATED] = "connection closed inside a message",
};

const char *l7_http_strerror(enum l7_http_err e)
{
	if ((unsigned)e >= L7_HTTP_E_COUNT || !err_texts[e])
		return "unknown HTTP error";
	return err_texts[e];
}

bool l7_http_err_is_too_large(enum l7_http_err e)
{
	return e == L7_HTTP_E_HEAD_TOO_LARGE || e == L7_HTTP_E_TOO_MANY_FIELDS;
}
