/*
 * pcap_err.c — pcap_err_vformat(): "PATH: what" for the reader and the
 * writer alike (see pcap_err.h for the one-line invariant).
 */
#include <stdio.h>
#include <string.h>

#include "pcap_err.h"

void pcap_err_vformat(char err[L7_PCAP_ERRLEN], const char *path, const char *fmt,
		      va_list ap)
{
	/* sized so that "path: what" always fits; path is at most 255 bytes */
	char what[L7_PCAP_ERRLEN - 256 - 2];
	vsnprintf(what, sizeof(what), fmt, ap);
	size_t n = strlen(what);
	while (n > 0 && (what[n - 1] == '\n' || what[n - 1] == '.'))
		what[--n] = '\0';
	snprintf(err, L7_PCAP_ERRLEN, "%s: %s", path, what);
}
