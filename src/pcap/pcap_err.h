/*
 * pcap_err.h — the one error-text formatter of the trace reader and writer
 * (private to src/pcap).
 *
 * Invariant: the text is one line "PATH: what", always fits L7_PCAP_ERRLEN,
 * and never ends in a newline or a dot (libpcap's own texts often do), so
 * the CLI can print it as its one-line error.
 */
#ifndef L7_PCAP_ERR_H
#define L7_PCAP_ERR_H

#include <stdarg.h>

#include "l7splice/pcap.h"

void pcap_err_vformat(char err[L7_PCAP_ERRLEN], const char *path, const char *fmt,
		      va_list ap);

#endif
