/*
 * writer.c — write classic pcap files with nanosecond timestamps through
 * libpcap's dumper.
 *
 * pcap_open_dead_with_tstamp_precision(NANO) makes pcap_dump_open() write
 * the nanosecond magic 0xa1b23c4d, and pcap_dump() then stores ts_usec as
 * nanoseconds. libpcap's dumper hides write errors (pcap_dump returns
 * void), so we flush and check the stream's error flag before closing:
 * a failed write is always reported by l7_pcap_writer_close().
 *
 * Invariant: the output depends only on the records given (no clock, no
 * hostname), so the same records give a byte-identical file.
 */
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "l7splice/pcap.h"
#include "pcap_err.h"

#define DEFAULT_SNAPLEN 262144u

static void set_err(struct l7_pcap_writer *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pcap_err_vformat(w->err, w->path, fmt, ap);
	va_end(ap);
}

int l7_pcap_writer_open(struct l7_pcap_writer *w, const char *path,
			uint32_t linktype, uint32_t snaplen)
{
	if (!w)
		return L7_EINVAL;
	memset(w, 0, sizeof(*w));
	if (!path || linktype > 0xffff) {
		snprintf(w->err, sizeof(w->err), "%s: bad writer arguments",
			 path ? path : "(null)");
		return L7_EINVAL;
	}
	snprintf(w->path, sizeof(w->path), "%s", path);
	w->linktype = linktype;
	w->snaplen = snaplen ? snaplen : DEFAULT_SNAPLEN;
	/* pcap_open_dead takes a DLT_ value; raw IP is DLT_RAW (12 on Linux),
	 * which libpcap writes to the file as LINKTYPE_RAW (101). */
	int dlt = linktype == 101 ? DLT_RAW : (int)linktype;
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(dlt,
			(int)w->snaplen, PCAP_TSTAMP_PRECISION_NANO);
	if (!dead) {
		set_err(w, "cannot create a libpcap handle");
		return L7_ENOMEM;
	}
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	if (!d) {
		set_err(w, "cannot create: %s", pcap_geterr(dead));
		pcap_close(dead);
		return L7_EIO;
	}
	w->dead = dead;
	w->dumper = d;
	return 0;
}

int l7_pcap_write(struct l7_pcap_writer *w, l7_time_ns ts_ns, const uint8_t *data,
		  uint32_t len, uint32_t wirelen)
{
	if (!w || !w->dumper || (!data && len))
		return L7_EINVAL;
	struct pcap_pkthdr h;
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(ts_ns / 1000000000u);
	h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000u);
	h.caplen = len < w->snaplen ? len : w->snaplen;
	h.len = wirelen ? wirelen : len;
	if (h.len < h.caplen)
		h.len = h.caplen;
	pcap_dump((u_char *)w->dumper, &h, data);
	w->packets++;
	FILE *f = pcap_dump_file((pcap_dumper_t *)w->dumper);
	if (f && ferror(f)) {
		set_err(w, "write failed at packet %llu", (unsigned long long)w->packets);
		return L7_EIO;
	}
	return 0;
}

int l7_pcap_writer_close(struct l7_pcap_writer *w)
{
	int rc = 0;
	if (!w || !w->dumper)
		return 0;
	pcap_dumper_t *d = (pcap_dumper_t *)w->dumper;
	FILE *f = pcap_dump_file(d);
	if (pcap_dump_flush(d) != 0 || (f && ferror(f))) {
		set_err(w, "write failed");
		rc = L7_EIO;
	}
	/* pcap_dump_close() fcloses (stdout too) and cannot report; the flush
	 * above has already pushed every byte to the kernel. */
	pcap_dump_close(d);
	pcap_close((pcap_t *)w->dead);
	w->dumper = NULL;
	w->dead = NULL;
	return rc;
}

const char *l7_pcap_writer_error(const struct l7_pcap_writer *w)
{
	return w ? w->err : "";
}
