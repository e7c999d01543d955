/*
 * http_internal.h — what the files of src/http share and nobody else sees:
 * the byte-class table bits and small inline helpers.
 *
 * Invariant: l7_http_class[] bits below match the generator in chars.c.
 */
#ifndef L7_HTTP_INTERNAL_H
#define L7_HTTP_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "l7splice/http.h"

#define C_TCHAR   0x01u /* RFC 9110 tchar */
#define C_URI     0x02u /* RFC 3986 pchar/query/authority bytes, not '%' */
#define C_LTARGET 0x04u /* lenient target: VCHAR or obs-text */
#define C_LTOKEN  0x08u /* lenient token: VCHAR but ':' or obs-text */
#define C_HEX     0x10u
#define C_HOST    0x20u /* uri-host / port bytes (reg-name, IP-literal) */
#define C_WS      0x40u /* SP, HTAB */
#define C_CTL     0x80u /* CTL but HTAB, and DEL: never allowed in a head */

extern const uint8_t l7_http_class[256];
extern const uint8_t l7_http_lower[256];

static inline int http_is(uint8_t c, unsigned cls)
{
	return (l7_http_class[c] & cls) != 0;
}

/* Case-insensitive compare of n bytes with a lower-case literal. */
static inline int http_ieq(const uint8_t *a, const char *lit, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (l7_http_lower[a[i]] != (uint8_t)lit[i])
			return 0;
	return 1;
}

static inline int http_hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = l7_http_lower[c];
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

#endif
