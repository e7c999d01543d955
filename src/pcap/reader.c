/*
 * reader.c — read pcap and pcapng files through libpcap, one record at a
 * time, with nanosecond timestamps.
 *
 * Why libpcap: it already knows both byte orders, the microsecond and the
 * nanosecond magic, pcapng sections and interfaces, and it has been fuzzed
 * for years; we only turn its results into l7_err codes and one-line texts.
 * Opening with PCAP_TSTAMP_PRECISION_NANO makes libpcap scale microsecond
 * files up, so a record's ts_usec field holds nanoseconds for every file.
 *
 * Invariants: a failed read is sticky (the same code again, never a later
 * record after a hole); error texts always start with the file name.
 */
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "l7splice/pcap.h"
#include "pcap_err.h"

static void set_err(struct l7_pcap_reader *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pcap_err_vformat(r->err, r->path, fmt, ap);
	va_end(ap);
}

/*
 * libpcap reports a file that is not a capture with a few fixed texts; an
 * empty file reads as "truncated dump file" of the header. All of these are
 * format errors of the input, not I/O failures, except a failed fopen.
 */
static int open_error_code(const char *pcap_err)
{
	if (strstr(pcap_err, "No such file") || strstr(pcap_err, "Permission denied") ||
	    strstr(pcap_err, "Is a directory"))
		return L7_EIO;
	return L7_EPCAPFMT;
}

/*
 * libpcap maps the file's LINKTYPE_ to the platform's DLT_ value; the only
 * one we write or parse that differs is raw IP (LINKTYPE_RAW 101 is DLT_RAW
 * 12 on Linux), so map it back: callers see the file's number.
 */
static uint32_t dlt_to_linktype(int dlt)
{
	return dlt == DLT_RAW ? 101u : (uint32_t)dlt;
}

/*
 * libpcap reports pcapng files as version 2.4, so look at the first block
 * type ourselves (informational: 1 pcapng, 0 pcap, -1 not a regular file,
 * where peeking would eat the bytes libpcap needs): a pcapng file starts with a Section Header Block,
 * 0x0a0d0d0a (a palindrome, so byte order does not matter).
 */
static int starts_with_shb(const char *path)
{
	static const uint8_t shb[4] = { 0x0a, 0x0d, 0x0d, 0x0a };
	uint8_t b[4];
	struct stat st;
	/* peek only at regular files: reading a pipe would eat its bytes */
	if (!strcmp(path, "-") || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t n = fread(b, 1, sizeof(b), f);
	fclose(f);
	return n == sizeof(b) && !memcmp(b, shb, sizeof(b));
}

int l7_pcap_open(struct l7_pcap_reader *r, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];

	if (!r)
		return L7_EINVAL;
	memset(r, 0, sizeof(*r));
	if (!path) {
		snprintf(r->err, sizeof(r->err), "(null): no file name");
		return L7_EINVAL;
	}
	snprintf(r->path, sizeof(r->path), "%s", path);
	errbuf[0] = '\0';
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path,
			PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		int rc = open_error_code(errbuf);
		/* libpcap prefixes fopen errors with the path; do not repeat it. */
		const char *what = errbuf;
		size_t plen = strlen(path);
		if (!strncmp(what, path, plen) && what[plen] == ':')
			what += plen + 1 + (what[plen + 1] == ' ');
		if (rc == L7_EPCAPFMT && !strncmp(what, "truncated dump file", 19))
			set_err(r, "not a capture file: %s", what);
		else
			set_err(r, "%s", what[0] ? what : "cannot open");
		return rc;
	}
	r->handle = p;
	r->linktype = dlt_to_linktype(pcap_datalink(p));
	r->snaplen = (uint32_t)pcap_snapshot(p);
	r->is_pcapng = starts_with_shb(path);
	return 0;
}

/* libpcap's text for a record cut short starts with "truncated dump file". */
static int record_error(struct l7_pcap_reader *r, const char *pcap_err)
{
	uint64_t num = r->counts.packets + 1;
	int rc = strstr(pcap_err, "truncated") || strstr(pcap_err, "cut short")
			 ? L7_EPCAPTRUNC : L7_EPCAPFMT;
	if (rc == L7_EPCAPTRUNC)
		set_err(r, "packet %llu: file ends inside the record (%s)",
			(unsigned long long)num, pcap_err);
	else
		set_err(r, "packet %llu: %s", (unsigned long long)num, pcap_err);
	r->failed = rc;
	return rc;
}

int l7_pcap_next(struct l7_pcap_reader *r, struct l7_pcap_rec *rec)
{
	struct pcap_pkthdr *h;
	const u_char *bytes;

	if (!r || !rec || !r->handle)
		return L7_EINVAL;
	if (r->failed)
		return r->failed;
	int rc = pcap_next_ex((pcap_t *)r->handle, &h, &bytes);
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1)
		return record_error(r, pcap_geterr((pcap_t *)r->handle));

	struct l7_pcap_counts *c = &r->counts;
	rec->ts_ns = (l7_time_ns)h->ts.tv_sec * 1000000000u + (l7_time_ns)h->ts.tv_usec;
	/* pcapng files may switch interfaces (and link types) per record;
	 * libpcap exposes only the first one, which is what it converts to. */
	rec->linktype = r->linktype;
	rec->caplen = h->caplen;
	rec->wirelen = h->len < h->caplen ? h->caplen : h->len;
	rec->data = bytes;
	rec->number = ++c->packets;
	c->cap_bytes += h->caplen;
	c->wire_bytes += rec->wirelen;
	if (h->caplen < h->len)
		c->snapped++;
	if (c->packets == 1)
		c->first_ns = rec->ts_ns;
	c->last_ns = rec->ts_ns;
	return 1;
}

const char *l7_pcap_reader_error(const struct l7_pcap_reader *r)
{
	return r ? r->err : "";
}

const struct l7_pcap_counts *l7_pcap_reader_counts(const struct l7_pcap_reader *r)
{
	return &r->counts;
}

uint32_t l7_pcap_reader_linktype(const struct l7_pcap_reader *r)
{
	return r->linktype;
}

void l7_pcap_close(struct l7_pcap_reader *r)
{
	if (!r || !r->handle)
		return;
	pcap_close((pcap_t *)r->handle);
	r->handle = NULL;
}
