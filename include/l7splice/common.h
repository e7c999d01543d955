/*
 * common.h — what every libl7splice module shares: the error codes, the time
 * type and the library version.
 *
 * Invariants: every public function that can fail returns 0 or a negative
 * enum l7_err; l7_strerror() never returns NULL. Time is always a
 * caller-supplied l7_time_ns; the library never reads a clock.
 */
#ifndef L7SPLICE_COMMON_H
#define L7SPLICE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define L7_VERSION_MAJOR 0
#define L7_VERSION_MINOR 1
#define L7_VERSION_PATCH 0
#define L7_VERSION_STRING "0.1.0"

/* Nanoseconds since an epoch the caller chooses (trace start, boot, ...). */
typedef uint64_t l7_time_ns;

/*
 * Error codes. Negative values are returned; 0 is success. Modules add their
 * own codes in the ranges reserved below so that l7_strerror() stays one
 * table. Keep l7_strerror() in src/common/error.c in step with this list.
 */
enum l7_err {
	L7_OK = 0,
	/* generic: -1 .. -99 */
	L7_EINVAL = -1,      /* invalid argument */
	L7_ENOMEM = -2,      /* allocation at create time failed */
	L7_EFULL = -3,       /* a fixed-size pool or table is full */
	L7_ENOENT = -4,      /* no such entry */
	L7_EEXIST = -5,      /* entry already exists */
	L7_EAGAIN = -6,      /* need more input (not an error for incremental APIs) */
	L7_ERANGE = -7,      /* value out of range */
	L7_ENOSPC = -8,      /* caller's output buffer too small */
	L7_EIO = -9,         /* an underlying I/O call failed (pcap, file) */
	L7_EUNSUPPORTED = -10, /* recognised but not supported */
	L7_ESTATE = -11,     /* operation not valid in the current state */
	/* packet: -100 .. -199 */
	L7_ETRUNCATED = -100,   /* a header or length runs past the captured bytes */
	L7_EMALFORMED = -101,   /* a field has an impossible value */
	L7_EBADOPT = -102,      /* a TCP/IP option has a bad length */
	L7_ELINKTYPE = -103,    /* unsupported link type */
	L7_EFRAGMENT = -104,    /* a non-first IP fragment: no transport header */
	L7_ENOTTCP = -105,      /* not a TCP segment where one was required */
	/* pcap: -200 .. -299 */
	L7_EPCAPFMT = -200,     /* not a pcap/pcapng file, or a bad header */
	L7_EPCAPTRUNC = -201,   /* file ends inside a record */
	/* tcp / splice: -300 .. -399 */
	L7_EBADCOOKIE = -300,   /* SYN cookie did not validate */
	L7_ESTALECOOKIE = -301, /* SYN cookie was valid but too old */
	L7_EOUTOFWINDOW = -302, /* sequence number outside the acceptable window */
	L7_EHEADTOOBIG = -303,  /* request head larger than the shallow buffer */
	L7_EUNKNOWNCONN = -304, /* packet for a connection we do not know */
	/* http: -400 .. -499 (the parser has its own finer codes, see http.h) */
	L7_EHTTP = -400,        /* HTTP message rejected; see the parser's code */
	L7_EHTTPTOOBIG = -401,  /* HTTP head above the configured limit */
	/* route/config: -500 .. -599 */
	L7_ECONFIG = -500,      /* configuration rejected; see the error text */
	L7_ENOROUTE = -501,     /* no route matched */
	L7_ENOENDPOINT = -502,  /* cluster has no healthy endpoint */
	/* table: -600 .. -699 */
	L7_ETABLEFULL = -600,   /* no cuckoo path found within the search bound */
	/* pipeline: -700 .. -799 */
	L7_ENOFIT = -700,       /* program does not fit the resource budget */
	L7_ERMW = -701,         /* second read-modify-write of a register array in one pass */
	L7_ECHANNELFULL = -702, /* control channel queue is full */
};

/* A short English description of an l7_err; never NULL, never allocates. */
const char *l7_strerror(int err);

/* The library's version string, e.g. "0.1.0". */
const char *l7_version(void);

#ifdef __cplusplus
}
#endif
#endif
