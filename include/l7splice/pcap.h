/*
 * pcap.h — trace input and output (src/pcap/): a reader for pcap and pcapng
 * files (through libpcap) and a writer of nanosecond pcap files.
 * Connection extraction from the packets read lives in conn.h.
 *
 * The reader hands out records with nanosecond timestamps whatever the
 * file's resolution (libpcap scales microsecond files), the link type of the
 * record (pcapng interfaces may differ), the captured and the on-wire
 * length, and a pointer to the bytes, valid until the next call.
 *
 * Invariants: the library never prints; every failure is a negative enum
 * l7_err and a one-line English text in the object (l7_pcap_reader_error()),
 * naming the file and, for a record, its 1-based packet number. Objects live
 * in caller memory (init/close pairs, libuv style); close is always safe,
 * also after a failed open and twice.
 */
#ifndef L7SPLICE_PCAP_H
#define L7SPLICE_PCAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "l7splice/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest error text kept in a reader or writer, including the NUL. */
#define L7_PCAP_ERRLEN 512

/* One record of a capture file. `data` belongs to the reader. */
struct l7_pcap_rec {
	l7_time_ns ts_ns;  /* timestamp in ns since the Unix epoch */
	uint32_t linktype; /* LINKTYPE_* value (L7_LINKTYPE_* in packet.h) */
	uint32_t caplen;   /* bytes at data */
	uint32_t wirelen;  /* bytes the packet had on the wire (>= caplen) */
	uint64_t number;   /* 1-based position in the file */
	const uint8_t *data;
};

/* Running totals of a reader (all records returned so far). */
struct l7_pcap_counts {
	uint64_t packets;
	uint64_t cap_bytes;   /* sum of caplen */
	uint64_t wire_bytes;  /* sum of wirelen */
	uint64_t snapped;     /* records with caplen < wirelen */
	l7_time_ns first_ns;  /* timestamp of the first record (0 if none) */
	l7_time_ns last_ns;   /* timestamp of the last record */
};

/*
 * A reader. Fields are private: use the functions below. It lives in the
 * caller's memory; libpcap allocates its own buffers inside open.
 */
struct l7_pcap_reader {
	void *handle;          /* pcap_t * */
	uint32_t linktype;     /* of the file (first interface for pcapng) */
	uint32_t snaplen;
	int is_pcapng;         /* 1 pcapng, 0 pcap, -1 unknown (pipe, stdin) */
	int failed;            /* a record error ended reading */
	struct l7_pcap_counts counts;
	char path[256];        /* as given, for error texts (cut if longer) */
	char err[L7_PCAP_ERRLEN];
};

/*
 * Open `path` ("-" is stdin) for reading. Returns 0, or:
 *   L7_EIO      the file cannot be opened (missing, permissions);
 *   L7_EPCAPFMT not pcap/pcapng, a bad header, or an empty file.
 * On failure l7_pcap_reader_error(r) says why ("FILE: what"); the reader
 * must still be closed (harmless).
 */
int l7_pcap_open(struct l7_pcap_reader *r, const char *path);

/*
 * Next record: 1 and *rec filled, 0 at the clean end of the file, or
 * L7_EPCAPTRUNC (the file ends inside record N: "packet N: ...") or
 * L7_EPCAPFMT (a record or pcapng block is malformed). After an error
 * every further call returns the same error.
 */
int l7_pcap_next(struct l7_pcap_reader *r, struct l7_pcap_rec *rec);

/* "FILE: what is wrong" for the last failure; "" if none. */
const char *l7_pcap_reader_error(const struct l7_pcap_reader *r);

/* Totals of the records returned so far. */
const struct l7_pcap_counts *l7_pcap_reader_counts(const struct l7_pcap_reader *r);

/* Link type of the file (of the first interface for pcapng). */
uint32_t l7_pcap_reader_linktype(const struct l7_pcap_reader *r);

/* Release libpcap's resources. Safe after a failed open and twice. */
void l7_pcap_close(struct l7_pcap_reader *r);

/*
 * A pcap writer: classic pcap, nanosecond magic (0xa1b23c4d), host byte
 * order, one link type per file (L7_LINKTYPE_ETHERNET or L7_LINKTYPE_RAW;
 * any numeric LINKTYPE is accepted). Fields are private.
 */
struct l7_pcap_writer {
	void *dead;            /* pcap_t * from pcap_open_dead */
	void *dumper;          /* pcap_dumper_t * */
	uint32_t linktype;
	uint32_t snaplen;
	uint64_t packets;
	char path[256];
	char err[L7_PCAP_ERRLEN];
};

/*
 * Create `path` ("-" is stdout) and write the file header. snaplen 0 means
 * 262144. Returns 0, L7_EINVAL, or L7_EIO (cannot create: see the error).
 */
int l7_pcap_writer_open(struct l7_pcap_writer *w, const char *path,
			uint32_t linktype, uint32_t snaplen);

/*
 * Append one record; caplen is min(len, snaplen), wirelen is `wirelen`
 * (0 means len). Returns 0 or L7_EINVAL / L7_EIO.
 */
int l7_pcap_write(struct l7_pcap_writer *w, l7_time_ns ts_ns, const uint8_t *data,
		  uint32_t len, uint32_t wirelen);

/*
 * Flush and close. Returns 0 or L7_EIO when a write failed at any point
 * (disk full, closed pipe): a writer never reports success for a file it
 * could not write completely. Safe to call twice.
 */
int l7_pcap_writer_close(struct l7_pcap_writer *w);

/* "FILE: what is wrong" for the last failure; "" if none. */
const char *l7_pcap_writer_error(const struct l7_pcap_writer *w);

#ifdef __cplusplus
}
#endif
#endif
