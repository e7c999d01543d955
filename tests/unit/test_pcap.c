/*
 * test_pcap.c — the trace reader and writer: formats (pcap us/ns, both
 * byte orders, pcapng), counts and timestamps against tshark's figures,
 * every error path with its exact text, and a write/read round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "l7splice/pcap.h"

static const char *data_dir;
static char path_buf[1024];

static const char *shared(const char *rel)
{
	snprintf(path_buf, sizeof(path_buf), "%s/pcaps/%s", data_dir, rel);
	return path_buf;
}

/* Read a whole file; returns the number of records, or the error code. */
static long read_all(const char *path, struct l7_pcap_reader *r)
{
	struct l7_pcap_rec rec;
	int rc = l7_pcap_open(r, path);
	if (rc)
		return rc;
	while ((rc = l7_pcap_next(r, &rec)) == 1)
		;
	return rc < 0 ? rc : (long)l7_pcap_reader_counts(r)->packets;
}

/* Figures from tshark/capinfos 4.0 (frame.time_epoch, packet count). */
static void reads_microsecond_little_endian_pcap(void **state)
{
	(void)state;
	struct l7_pcap_reader r;
	assert_int_equal(read_all(shared("smoke_zeek_http_get.pcap"), &r), 14);
	const struct l7_pcap_counts *c = l7_pcap_reader_counts(&r);
	assert_int_equal(c->first_ns, 1362692526869344000ull);
	assert_int_equal(c->last_ns, 1362692527080972000ull);
	assert_int_equal(c->wire_bytes, 6087);
	assert_int_equal(l7_pcap_reader_linktype(&r), 1);
	assert_int_equal(r.is_pcapng, 0);
	l7_pcap_close(&r);
}

static void reads_nanosecond_big_endian_pcap(void **state)
{
	(void)state;
	struct l7_pcap_reader r;
	assert_int_equal(read_all(shared("fmt_pcpp_nanosecs_big_endian.pcap"), &r), 10);
	const struct l7_pcap_counts *c = l7_pcap_reader_counts(&r);
	assert_int_equal(c->first_ns, 1766361926167647291ull);
	assert_int_equal(c->last_ns, 1766361926168451894ull);
	assert_int_equal(c->wire_bytes, 2198);
	l7_pcap_close(&r);
}

static void reads_pcapng(void **state)
{
	(void)state;
	struct l7_pcap_reader r;
	assert_int_equal(read_all(shared("fmt_zeek_cooper-grill-dvwa.pcapng"), &r), 64);
	const struct l7_pcap_counts *c = l7_pcap_reader_counts(&r);
	assert_int_equal(c->first_ns, 1730145002900383409ull);
	assert_int_equal(c->last_ns, 1730145073257679667ull);
	assert_int_equal(r.is_pcapng, 1);
	l7_pcap_close(&r);
}

static void record_numbers_and_lengths(void **state)
{
	(void)state;
	struct l7_pcap_reader r;
	struct l7_pcap_rec rec;
	assert_int_equal(l7_pcap_open(&r, shared("smoke_zeek_http_get.pcap")), 0);
	assert_int_equal(l7_pcap_next(&r, &rec), 1);
	assert_int_equal(rec.number, 1);
	assert_int_equal(rec.caplen, 78); /* the SYN with options: 14+20+44 */
	assert_int_equal(rec.wirelen, 78);
	assert_int_equal(rec.data[12], 0x08); /* IPv4 ethertype */
	assert_int_equal(l7_pcap_next(&r, &rec), 1);
	assert_int_equal(rec.number, 2);
	l7_pcap_close(&r);
	l7_pcap_close(&r); /* twice is harmless */
}

/* ------------------------------------------------------------ errors */

static char tmp_path[256];

static const char *tmp_file(const char *name, const void *bytes, size_t len)
{
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/l7_test_pcap_%d_%s", (int)getpid(), name);
	FILE *f = fopen(tmp_path, "wb");
	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(bytes, 1, len, f), len);
	fclose(f);
	return tmp_path;
}

static void missing_file_is_eio_naming_the_file(void **state)
{
	(void)state;
	struct l7_pcap_reader r;
	assert_int_equal(l7_pcap_open(&r, "/nonexistent/x.pcap"), L7_EIO);
	assert_string_equal(l7_pcap_reader_error(&r), "/nonexistent/x.pcap: No such file or directory");
	l7_pcap_close(&r);
}

static void empty_file_is_a_format_error(void **state)
{
	(void)state;
	struct l7_pcap_reader r;
	const char *p = tmp_file("empty.pcap", "", 0);
	assert_int_equal(l7_pcap_open(&r, p), L7_EPCAPFMT);
	char want[400];
	snprintf(want, sizeof(want), "%s: not a capture file: truncated dump file; tried to read 4 file header bytes, only got 0", p);
	assert_string_equal(l7_pcap_reader_error(&r), want);
	l7_pcap_close(&r);
	unlink(p);
}

static void garbage_is_a_format_error(void **state)
{
	(void)state;
	struct l7_pcap_reader r;
	static const char junk[] = "GET / HTTP/1.1\r\nHost: example\r\n\r\nnot a capture at all";
	const char *p = tmp_file("junk.pcap", junk, sizeof(junk));
	assert_int_equal(l7_pcap_open(&r, p), L7_EPCAPFMT);
	assert_int_equal(strncmp(l7_pcap_reader_error(&r), p, strlen(p)), 0);
	assert_non_null(strstr(l7_pcap_reader_error(&r), "unknown file format"));
	assert_null(strchr(l7_pcap_reader_error(&r), '\n'));
	l7_pcap_close(&r);
	unlink(p);
}

/* The smoke capture cut in the middle of record 5: records 1-4 read, then
 * the truncation is reported with packet number 5, and stays reported. */
static void truncated_record_names_the_packet(void **state)
{
	(void)state;
	FILE *f = fopen(shared("smoke_zeek_http_get.pcap"), "rb");
	assert_non_null(f);
	static uint8_t buf[8192];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* walk 4 records to find the start of the 5th */
	size_t off = 24;
	for (int i = 0; i < 4; i++) {
		uint32_t incl;
		memcpy(&incl, buf + off + 8, 4); /* little-endian file on an LE host */
		off += 16 + incl;
	}
	assert_true(off + 30 < len);
	const char *p = tmp_file("trunc.pcap", buf, off + 30);
	struct l7_pcap_reader r;
	assert_int_equal(read_all(p, &r), L7_EPCAPTRUNC);
	assert_int_equal(l7_pcap_reader_counts(&r)->packets, 4);
	const char *err = l7_pcap_reader_error(&r);
	assert_int_equal(strncmp(err, p, strlen(p)), 0);
	assert_non_null(strstr(err, ": packet 5: file ends inside the record"));
	struct l7_pcap_rec rec;
	assert_int_equal(l7_pcap_next(&r, &rec), L7_EPCAPTRUNC);
	l7_pcap_close(&r);
	unlink(p);
}

static void shared_malformed_files_fail_cleanly(void **state)
{
	(void)state;
	struct l7_pcap_reader r;
	assert_int_equal(read_all(shared("malformed/libpcap_pcap-invalid-version-1.pcap"), &r),
			 L7_EPCAPFMT);
	l7_pcap_close(&r);
	assert_int_equal(read_all(shared("malformed/libpcap_shb-option-too-long.pcapng"), &r),
			 L7_EPCAPFMT);
	l7_pcap_close(&r);
	/* record 2 claims 1.4 GB: libpcap refuses it before reading */
	assert_int_equal(read_all(shared("malformed/suricata_bug-6875-fuzz.pcap"), &r), L7_EPCAPFMT);
	assert_non_null(strstr(l7_pcap_reader_error(&r),
			       ": packet 2: invalid packet capture length 1409179648"));
	l7_pcap_close(&r);
	/* the file ends 2 bytes into record 2's header */
	assert_int_equal(read_all(shared("malformed/ndpi_fuzz-2021-10-13.pcap"), &r), L7_EPCAPTRUNC);
	assert_non_null(strstr(l7_pcap_reader_error(&r), ": packet 2: file ends inside the record"));
	l7_pcap_close(&r);
	/* a valid header and no records: zero packets, not an error */
	assert_int_equal(read_all(shared("malformed/arkime_empty.pcap"), &r), 0);
	l7_pcap_close(&r);
}

/* ------------------------------------------------------------ writer */

static void writer_round_trip_keeps_nanoseconds(void **state)
{
	(void)state;
	struct l7_pcap_writer w;
	char p[256];
	snprintf(p, sizeof(p), "/tmp/l7_test_pcap_%d_w.pcap", (int)getpid());
	uint8_t a[60], b[1514];
	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 7);
	assert_int_equal(l7_pcap_writer_open(&w, p, 101, 0), 0);
	assert_int_equal(l7_pcap_write(&w, 1700000000123456789ull, a, sizeof(a), 0), 0);
	assert_int_equal(l7_pcap_write(&w, 1700000001000000001ull, b, sizeof(b), 9000), 0);
	assert_int_equal(l7_pcap_writer_close(&w), 0);
	assert_int_equal(l7_pcap_writer_close(&w), 0);

	FILE *f = fopen(p, "rb");
	uint32_t magic;
	assert_int_equal(fread(&magic, 4, 1, f), 1);
	fclose(f);
	assert_int_equal(magic, 0xa1b23c4du);

	struct l7_pcap_reader r;
	struct l7_pcap_rec rec;
	assert_int_equal(l7_pcap_open(&r, p), 0);
	assert_int_equal(l7_pcap_reader_linktype(&r), 101);
	assert_int_equal(l7_pcap_next(&r, &rec), 1);
	assert_int_equal(rec.ts_ns, 1700000000123456789ull);
	assert_int_equal(rec.caplen, 60);
	assert_memory_equal(rec.data, a, 60);
	assert_int_equal(l7_pcap_next(&r, &rec), 1);
	assert_int_equal(rec.ts_ns, 1700000001000000001ull);
	assert_int_equal(rec.caplen, 1514);
	assert_int_equal(rec.wirelen, 9000);
	assert_memory_equal(rec.data, b, 1514);
	assert_int_equal(l7_pcap_next(&r, &rec), 0);
	l7_pcap_close(&r);
	unlink(p);
}

static void writer_reports_an_unwritable_path(void **state)
{
	(void)state;
	struct l7_pcap_writer w;
	assert_int_equal(l7_pcap_writer_open(&w, "/nonexistent/dir/out.pcap", 1, 0), L7_EIO);
	assert_int_equal(strncmp(l7_pcap_writer_error(&w), "/nonexistent/dir/out.pcap: cannot create", 40), 0);
	assert_int_equal(l7_pcap_writer_close(&w), 0);
	assert_int_equal(l7_pcap_write(&w, 0, (const uint8_t *)"x", 1, 0), L7_EINVAL);
}

static void writer_reports_a_full_disk(void **state)
{
	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	struct l7_pcap_writer w;
	static uint8_t big[65536];
	assert_int_equal(l7_pcap_writer_open(&w, "/dev/full", 1, 0), 0);
	int rc = 0;
	for (int i = 0; i < 8 && rc == 0; i++)
		rc = l7_pcap_write(&w, 0, big, sizeof(big), 0);
	int rc2 = l7_pcap_writer_close(&w);
	assert_true(rc == L7_EIO || rc2 == L7_EIO);
	assert_non_null(strstr(l7_pcap_writer_error(&w), "/dev/full: write failed"));
}

int main(void)
{
	data_dir = getenv("L7_SHARED_DATA");
	int have_data = data_dir && access(data_dir, R_OK) == 0;
	const struct CMUnitTest own[] = {
		cmocka_unit_test(missing_file_is_eio_naming_the_file),
		cmocka_unit_test(empty_file_is_a_format_error),
		cmocka_unit_test(garbage_is_a_format_error),
		cmocka_unit_test(writer_round_trip_keeps_nanoseconds),
		cmocka_unit_test(writer_reports_an_unwritable_path),
		cmocka_unit_test(writer_reports_a_full_disk),
	};
	const struct CMUnitTest shared_tests[] = {
		cmocka_unit_test(reads_microsecond_little_endian_pcap),
		cmocka_unit_test(reads_nanosecond_big_endian_pcap),
		cmocka_unit_test(reads_pcapng),
		cmocka_unit_test(record_numbers_and_lengths),
		cmocka_unit_test(truncated_record_names_the_packet),
		cmocka_unit_test(shared_malformed_files_fail_cleanly),
	};
	int fails = cmocka_run_group_tests(own, NULL, NULL);
	if (!have_data) {
		printf("test_pcap: shared-capture part skipped, L7_SHARED_DATA not set or unreadable\n");
		return fails ? 1 : 77;
	}
	return fails + cmocka_run_group_tests(shared_tests, NULL, NULL);
}
