/*
 * error.c — l7_strerror() and l7_version(): the one table of error texts.
 *
 * Invariant: every enum l7_err value in common.h has a row here (the unit
 * test test_common.c walks the enum ranges and checks no code is "unknown").
 */
#include "l7splice/common.h"

struct err_text {
	int code;
	const char *text;
};

static const struct err_text err_texts[] = {
	{ L7_OK, "success" },
	{ L7_EINVAL, "invalid argument" },
	{ L7_ENOMEM, "out of memory" },
	{ L7_EFULL, "pool or table full" },
	{ L7_ENOENT, "no such entry" },
	{ L7_EEXIST, "entry already exists" },
	{ L7_EAGAIN, "need more input" },
	{ L7_ERANGE, "value out of range" },
	{ L7_ENOSPC, "output buffer too small" },
	{ L7_EIO, "input/output error" },
	{ L7_EUNSUPPORTED, "not supported" },
	{ L7_ESTATE, "not valid in the current state" },
	{ L7_ETRUNCATED, "truncated packet" },
	{ L7_EMALFORMED, "malformed header" },
	{ L7_EBADOPT, "bad option length" },
	{ L7_ELINKTYPE, "unsupported link type" },
	{ L7_EFRAGMENT, "non-first IP fragment" },
	{ L7_ENOTTCP, "not a TCP segment" },
	{ L7_EPCAPFMT, "not a valid pcap or pcapng file" },
	{ L7_EPCAPTRUNC, "capture file truncated inside a record" },
	{ L7_EBADCOOKIE, "invalid SYN cookie" },
	{ L7_ESTALECOOKIE, "stale SYN cookie" },
	{ L7_EOUTOFWINDOW, "sequence number outside the window" },
	{ L7_EHEADTOOBIG, "request head larger than the buffer" },
	{ L7_EUNKNOWNCONN, "packet for an unknown connection" },
	{ L7_EHTTP, "HTTP message rejected" },
	{ L7_EHTTPTOOBIG, "HTTP head too large" },
	{ L7_ECONFIG, "configuration rejected" },
	{ L7_ENOROUTE, "no route matched" },
	{ L7_ENOENDPOINT, "no healthy endpoint" },
	{ L7_ETABLEFULL, "table full: no cuckoo path within the search bound" },
	{ L7_ENOFIT, "program does not fit the resource budget" },
	{ L7_ERMW, "register array accessed twice in one pass" },
	{ L7_ECHANNELFULL, "control channel queue full" },
};

const char *l7_strerror(int err)
{
	for (size_t i = 0; i < sizeof(err_texts) / sizeof(err_texts[0]); i++)
		if (err_texts[i].code == err)
			return err_texts[i].text;
	return "unknown error";
}

const char *l7_version(void)
{
	return L7_VERSION_STRING;
}
