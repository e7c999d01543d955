/*
 * test_sim_report.c — l7sim's metrics: histogram buckets and percentile
 * error against exact sorted percentiles, merge, time-series binning and the
 * exact text of the CSV, gnuplot and JSON writers for small cases.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/rng.h"
#include "report/hist.h"
#include "report/json.h"
#include "report/plot.h"
#include "report/series.h"
#include "report/summary.h"

static void hist_buckets_cover_values(void **state)
{
	(void)state;
	for (unsigned b = 1; b <= 10; b += 3) {
		struct l7sim_rng r;
		l7sim_rng_init(&r, b, 0);
		uint32_t nb = (65u - b) << b;
		assert_int_equal(l7sim_hist_bucket(b, UINT64_MAX), nb - 1);
		for (int i = 0; i < 20000; i++) {
			uint64_t v = l7sim_rng_next(&r) >> l7sim_rng_below(&r, 64);
			uint32_t idx = l7sim_hist_bucket(b, v);
			uint64_t lo, w;
			assert_true(idx < nb);
			l7sim_hist_bucket_range(b, idx, &lo, &w);
			assert_true(v >= lo);
			assert_true(v - lo < w);
			/* monotone: the neighbours' buckets are not after/before */
			if (v > 0)
				assert_true(l7sim_hist_bucket(b, v - 1) <= idx);
			if (v < UINT64_MAX)
				assert_true(l7sim_hist_bucket(b, v + 1) >= idx);
		}
		/* values below 2^(B+1) are exact */
		for (uint64_t v = 0; v < (2ULL << b); v++)
			assert_int_equal(l7sim_hist_bucket(b, v), v);
	}
}

static void hist_rank_definition(void **state)
{
	(void)state;
	assert_int_equal(l7sim_hist_rank(99.9, 1000), 999);
	assert_int_equal(l7sim_hist_rank(99.9, 1001), 1000);
	assert_int_equal(l7sim_hist_rank(50, 1), 1);
	assert_int_equal(l7sim_hist_rank(50, 4), 2);
	assert_int_equal(l7sim_hist_rank(50, 5), 3);
	assert_int_equal(l7sim_hist_rank(0, 10), 1);
	assert_int_equal(l7sim_hist_rank(100, 10), 10);
	assert_int_equal(l7sim_hist_rank(90, 0), 0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

#define NV 100000
static uint64_t vals[NV];

static void hist_percentile_error_bounded(void **state)
{
	(void)state;
	static const double ps[] = { 0, 1, 10, 50, 90, 99, 99.9, 99.99, 100 };
	static const unsigned bits[] = { 3, 7, 10 };
	for (size_t bi = 0; bi < sizeof(bits) / sizeof(bits[0]); bi++) {
		struct l7sim_hist h, h1, h2;
		struct l7sim_rng r;
		assert_int_equal(l7sim_hist_init(&h, bits[bi]), 0);
		assert_int_equal(l7sim_hist_init(&h1, bits[bi]), 0);
		assert_int_equal(l7sim_hist_init(&h2, bits[bi]), 0);
		l7sim_rng_init(&r, 11, bits[bi]);
		/* latencies from ~1 us to ~1 s with a heavy tail */
		for (int i = 0; i < NV; i++) {
			vals[i] = (uint64_t)l7sim_rng_lognormal(&r, 11.0, 1.5);
			l7sim_hist_record(&h, vals[i]);
			l7sim_hist_record(i % 2 ? &h1 : &h2, vals[i]);
		}
		assert_int_equal(l7sim_hist_merge(&h1, &h2), 0);
		qsort(vals, NV, sizeof(vals[0]), cmp_u64);
		double bound = l7sim_hist_max_rel_error(&h);
		assert_true(bound == ldexp(1.0, -(int)bits[bi] - 1));
		double worst = 0;
		for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
			uint64_t exact = vals[l7sim_hist_rank(ps[i], NV) - 1];
			uint64_t got = l7sim_hist_percentile(&h, ps[i]);
			double err = fabs((double)got - (double)exact) / (double)exact;
			if (err > bound)
				fail_msg("B=%u p%.2f: got %llu exact %llu (err %.4f > %.4f)", bits[bi],
					 ps[i], (unsigned long long)got, (unsigned long long)exact, err,
					 bound);
			if (err > worst)
				worst = err;
			assert_int_equal(l7sim_hist_percentile(&h1, ps[i]), got);
		}
		assert_int_equal(l7sim_hist_percentile(&h, 0), vals[0]);
		assert_int_equal(l7sim_hist_percentile(&h, 100), vals[NV - 1]);
		assert_int_equal(h.count, NV);
		assert_int_equal(h1.count, NV);
		l7sim_hist_fini(&h);
		l7sim_hist_fini(&h1);
		l7sim_hist_fini(&h2);
	}
	struct l7sim_hist a, b;
	assert_int_equal(l7sim_hist_init(&a, 7), 0);
	assert_int_equal(l7sim_hist_init(&b, 8), 0);
	assert_int_equal(l7sim_hist_merge(&a, &b), L7_EINVAL);
	assert_int_equal(l7sim_hist_percentile(&a, 50), 0);
	l7sim_hist_record_n(&a, 5, 3);
	assert_int_equal(l7sim_hist_percentile(&a, 99.9), 5);
	assert_true(l7sim_hist_mean(&a) == 5.0);
	l7sim_hist_reset(&a);
	assert_int_equal(a.count, 0);
	l7sim_hist_fini(&a);
	l7sim_hist_fini(&b);
	assert_int_equal(l7sim_hist_init(&a, 17), L7_EINVAL);
}

/* Read a whole stream (rewound) into buf. */
static const char *slurp(FILE *f, char *buf, size_t size)
{
	rewind(f);
	size_t n = fread(buf, 1, size - 1, f);
	buf[n] = 0;
	return buf;
}

static const struct l7sim_col cols[] = {
	{ "requests", L7SIM_COL_SUM },  { "bytes", L7SIM_COL_RATE },
	{ "busy", L7SIM_COL_FRACTION }, { "queue_max", L7SIM_COL_MAX },
	{ "occupancy", L7SIM_COL_LAST },
};

static void fill_series(struct l7sim_series *s)
{
	assert_int_equal(l7sim_series_init(s, 1000000000, 500000000, cols, 5, 16), 0);
	assert_int_equal(l7sim_series_add(s, 1000000000, 0, 1), 0);
	assert_int_equal(l7sim_series_add(s, 1000000000, 1, 1000), 0);
	assert_int_equal(l7sim_series_add(s, 1000000000, 2, 250000000), 0);
	assert_int_equal(l7sim_series_add(s, 1000000000, 3, 3), 0);
	assert_int_equal(l7sim_series_add(s, 1000000000, 4, 10), 0);
	assert_int_equal(l7sim_series_add(s, 1200000000, 0, 2), 0);
	assert_int_equal(l7sim_series_add(s, 1200000000, 3, 7), 0);
	assert_int_equal(l7sim_series_add(s, 1499999999, 3, 5), 0);
	assert_int_equal(l7sim_series_add(s, 1700000000, 1, 500), 0);
	assert_int_equal(l7sim_series_add(s, 1700000000, 2, 100000000), 0);
	assert_int_equal(l7sim_series_add(s, 2900000000, 0, 1), 0);
	assert_int_equal(l7sim_series_add(s, 2900000000, 4, 4), 0);
	assert_int_equal(l7sim_series_add(s, 500000000, 0, 1), L7_ERANGE);
	assert_int_equal(l7sim_series_add(s, 9000000000, 0, 1), L7_ERANGE); /* bin 16 */
	assert_int_equal(l7sim_series_add(s, 1000000000, 5, 1), L7_EINVAL);
	assert_int_equal(s->dropped, 2);
	assert_int_equal(l7sim_series_extend(s, 2600000000), 0);
}

static void series_csv_exact(void **state)
{
	(void)state;
	struct l7sim_series s;
	char buf[2048];
	fill_series(&s);
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(l7sim_series_write_csv(&s, f), 0);
	assert_string_equal(slurp(f, buf, sizeof(buf)),
			    "time_s,requests,bytes,busy,queue_max,occupancy\n"
			    "1.000000,3,2000.000,0.500000,7,10\n"
			    "1.500000,0,1000.000,0.200000,0,10\n"
			    "2.000000,0,0.000,0.000000,0,10\n"
			    "2.500000,1,0.000,0.000000,0,4\n");
	fclose(f);
	f = tmpfile();
	assert_int_equal(l7sim_series_write_dat(&s, f), 0);
	assert_string_equal(slurp(f, buf, sizeof(buf)),
			    "# time_s requests bytes busy queue_max occupancy\n"
			    "1.000000 3 2000.000 0.500000 7 10\n"
			    "1.500000 0 1000.000 0.200000 0 10\n"
			    "2.000000 0 0.000 0.000000 0 10\n"
			    "2.500000 1 0.000 0.000000 0 4\n");
	fclose(f);
	/* growth beyond the first allocation keeps earlier bins */
	struct l7sim_series g;
	assert_int_equal(l7sim_series_init(&g, 0, 10, cols, 1, 0), 0);
	for (uint64_t t = 0; t < 10000; t += 10)
		assert_int_equal(l7sim_series_add(&g, t, 0, t / 10), 0);
	assert_int_equal(g.nbins, 1000);
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(g.v[i], i);
	l7sim_series_fini(&g);
	l7sim_series_fini(&s);
	static const struct l7sim_col bad[] = { { "a,b", L7SIM_COL_SUM } };
	assert_int_equal(l7sim_series_init(&g, 0, 10, bad, 1, 0), L7_EINVAL);
	assert_int_equal(l7sim_series_init(&g, 0, 0, cols, 1, 0), L7_EINVAL);
}

static void counters_basic(void **state)
{
	(void)state;
	struct l7sim_counters c;
	assert_int_equal(l7sim_counters_init(&c, 2), 0);
	assert_int_equal(l7sim_counters_add(&c, "requests"), 0);
	assert_int_equal(l7sim_counters_add(&c, "requests"), L7_EEXIST);
	assert_int_equal(l7sim_counters_add(&c, "bad name"), L7_EINVAL);
	assert_int_equal(l7sim_counters_add(&c, "drops"), 1);
	assert_int_equal(l7sim_counters_add(&c, "more"), L7_EFULL);
	l7sim_counters_inc(&c, 0, 7);
	assert_int_equal(l7sim_counters_find(&c, "drops"), 1);
	assert_int_equal(l7sim_counters_find(&c, "x"), L7_ENOENT);
	assert_int_equal(c.v[0], 7);
	l7sim_counters_fini(&c);
}

static void json_exact(void **state)
{
	(void)state;
	struct l7sim_hist h, empty;
	struct l7sim_counters c;
	char buf[2048];
	assert_int_equal(l7sim_hist_init(&h, 7), 0);
	assert_int_equal(l7sim_hist_init(&empty, 7), 0);
	static const uint64_t v[] = { 100, 200, 300, 400, 1000 };
	for (int i = 0; i < 5; i++)
		l7sim_hist_record(&h, v[i]);
	assert_int_equal(l7sim_counters_init(&c, 4), 0);
	l7sim_counters_inc(&c, (uint32_t)l7sim_counters_add(&c, "requests"), 7);
	assert_int_equal(l7sim_counters_add(&c, "drops"), 1);
	json_t *root = json_object();
	json_object_set_new(root, "hist", l7sim_json_hist(&h));
	json_object_set_new(root, "counters", l7sim_json_counters(&c));
	json_object_set_new(root, "empty", l7sim_json_hist(&empty));
	json_object_set_new(root, "ratio", json_real(0.5));
	FILE *f = tmpfile();
	assert_int_equal(l7sim_json_write(root, f), 0);
	/* p50 is rank 3 = 300, in bucket [300, 302): reported as its midpoint
	 * 301; p90.. are rank 5 = 1000, bucket [1000, 1004) midpoint 1002
	 * clamped to the exact max. */
	assert_string_equal(slurp(f, buf, sizeof(buf)),
			    "{\n"
			    "  \"hist\": {\n"
			    "    \"count\": 5,\n"
			    "    \"min_ns\": 100,\n"
			    "    \"mean_ns\": 400,\n"
			    "    \"p50_ns\": 301,\n"
			    "    \"p90_ns\": 1000,\n"
			    "    \"p99_ns\": 1000,\n"
			    "    \"p99_9_ns\": 1000,\n"
			    "    \"max_ns\": 1000\n"
			    "  },\n"
			    "  \"counters\": {\n"
			    "    \"requests\": 7,\n"
			    "    \"drops\": 0\n"
			    "  },\n"
			    "  \"empty\": {\n"
			    "    \"count\": 0\n"
			    "  },\n"
			    "  \"ratio\": 0.5\n"
			    "}\n");
	fclose(f);
	char path[] = "/tmp/test_sim_report_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(l7sim_json_write_file(root, path), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	char buf2[2048];
	assert_string_equal(slurp(f, buf2, sizeof(buf2)), buf);
	fclose(f);
	unlink(path);
	assert_int_equal(l7sim_json_write_file(root, "/nonexistent-dir/x.json"), L7_EIO);
	json_decref(root);
	l7sim_hist_fini(&h);
	l7sim_hist_fini(&empty);
	l7sim_counters_fini(&c);
}

static const char *read_file(const char *dir, const char *name, char *buf, size_t size)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	slurp(f, buf, size);
	fclose(f);
	unlink(path);
	return buf;
}

static void gnuplot_exact(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_sim_plot_XXXXXX";
	char buf[2048];
	assert_non_null(mkdtemp(dir));
	struct l7sim_series s;
	fill_series(&s);
	static const uint32_t pick[] = { 0, 3 };
	assert_int_equal(l7sim_plot_series(dir, "load", "Load \"now\"", "count", &s, pick, 2), 0);
	assert_string_equal(read_file(dir, "load.gp", buf, sizeof(buf)),
			    "# load.gp - written by l7sim; render with: gnuplot load.gp\n"
			    "set terminal svg size 800,480 dynamic noenhanced font \"sans,11\"\n"
			    "set output \"load.svg\"\n"
			    "set title \"Load \\\"now\\\"\"\n"
			    "set xlabel \"time (s)\"\n"
			    "set ylabel \"count\"\n"
			    "set grid\n"
			    "set key outside right\n"
			    "plot \"load.dat\" using 1:2 with lines title \"requests\", \\\n"
			    "     \"load.dat\" using 1:5 with lines title \"queue_max\"\n");
	assert_string_equal(read_file(dir, "load.dat", buf, sizeof(buf)),
			    "# time_s requests bytes busy queue_max occupancy\n"
			    "1.000000 3 2000.000 0.500000 7 10\n"
			    "1.500000 0 1000.000 0.200000 0 10\n"
			    "2.000000 0 0.000 0.000000 0 10\n"
			    "2.500000 1 0.000 0.000000 0 4\n");
	static const char *const labels[] = { "software", "miresga" };
	static const double vals2[] = { 1000.5, 3900 };
	assert_int_equal(l7sim_plot_bars(dir, "tput", "Throughput", "req/s", labels, vals2, 2), 0);
	assert_string_equal(read_file(dir, "tput.dat", buf, sizeof(buf)),
			    "# label value\nsoftware 1000.5\nmiresga 3900\n");
	assert_string_equal(read_file(dir, "tput.gp", buf, sizeof(buf)),
			    "# tput.gp - written by l7sim; render with: gnuplot tput.gp\n"
			    "set terminal svg size 800,480 dynamic noenhanced font \"sans,11\"\n"
			    "set output \"tput.svg\"\n"
			    "set title \"Throughput\"\n"
			    "set xlabel \"\"\n"
			    "set ylabel \"req/s\"\n"
			    "set grid\n"
			    "set key outside right\n"
			    "set style fill solid 0.6\n"
			    "set boxwidth 0.6\n"
			    "set yrange [0:*]\n"
			    "unset key\n"
			    "plot \"tput.dat\" using 0:2:xtic(1) with boxes\n");
	/* bad names never reach the file system */
	assert_int_equal(l7sim_plot_series(dir, "../x", "t", "y", &s, pick, 2), L7_EINVAL);
	static const uint32_t badcol[] = { 9 };
	assert_int_equal(l7sim_plot_series(dir, "x", "t", "y", &s, badcol, 1), L7_EINVAL);
	static const char *const badlabels[] = { "a b" };
	assert_int_equal(l7sim_plot_bars(dir, "x", "t", "y", badlabels, vals2, 1), L7_EINVAL);
	assert_int_equal(rmdir(dir), 0);
	l7sim_series_fini(&s);
}

static void summary_exact(void **state)
{
	(void)state;
	struct l7sim_hist lat;
	char buf[4096];
	assert_int_equal(l7sim_hist_init(&lat, 7), 0);
	l7sim_hist_record_n(&lat, 50000, 98);   /* 50 us */
	l7sim_hist_record(&lat, 120000);
	l7sim_hist_record(&lat, 2000000);       /* 2 ms */
	struct l7sim_summary a = {
		.arch = "miresga", .duration_ns = 2000000000, .requests = 3000,
		.client_bytes = 250000000, .latency = &lat, .frontend_cpu_util = 0.25,
		.table_peak_entries = 10, .table_capacity = 100, .insert_backlog_peak = 3,
		.fast_path_bytes = 750, .total_bytes = 1000, .drops = 2,
	};
	struct l7sim_summary b = { .arch = "software" };
	assert_true(l7sim_summary_rps(&a) == 1500.0);
	assert_true(l7sim_summary_gbps(&a) == 1.0);
	assert_true(l7sim_summary_fast_share(&a) == 0.75);
	assert_true(l7sim_summary_rps(&b) == 0.0);
	/* 50000 lies in bucket [49920, 50176) (width 256): reported 50048;
	 * 120000 in [119808, 120320) (width 512): reported 120064. */
	json_t *o = l7sim_summary_json(&a);
	assert_non_null(o);
	FILE *f = tmpfile();
	assert_int_equal(l7sim_json_write(o, f), 0);
	json_decref(o);
	assert_string_equal(slurp(f, buf, sizeof(buf)),
			    "{\n"
			    "  \"arch\": \"miresga\",\n"
			    "  \"duration_s\": 2.0,\n"
			    "  \"requests\": 3000,\n"
			    "  \"throughput_rps\": 1500.0,\n"
			    "  \"throughput_gbps\": 1.0,\n"
			    "  \"latency\": {\n"
			    "    \"count\": 100,\n"
			    "    \"min_ns\": 50000,\n"
			    "    \"mean_ns\": 70200,\n"
			    "    \"p50_ns\": 50048,\n"
			    "    \"p90_ns\": 50048,\n"
			    "    \"p99_ns\": 120064,\n"
			    "    \"p99_9_ns\": 2000000,\n"
			    "    \"max_ns\": 2000000\n"
			    "  },\n"
			    "  \"first_byte_latency\": {\n"
			    "    \"count\": 0\n"
			    "  },\n"
			    "  \"frontend_cpu_util\": 0.25,\n"
			    "  \"switch_table\": {\n"
			    "    \"peak_entries\": 10,\n"
			    "    \"capacity\": 100\n"
			    "  },\n"
			    "  \"insertion\": {\n"
			    "    \"backlog_peak\": 3,\n"
			    "    \"delay\": {\n"
			    "      \"count\": 0\n"
			    "    }\n"
			    "  },\n"
			    "  \"fast_path_bytes\": 750,\n"
			    "  \"total_bytes\": 1000,\n"
			    "  \"fast_path_share\": 0.75,\n"
			    "  \"drops\": 2\n"
			    "}\n");
	fclose(f);
	f = tmpfile();
	const struct l7sim_summary *rows[] = { &a, &b };
	assert_int_equal(l7sim_summary_table(f, rows, 2), 0);
	assert_string_equal(slurp(f, buf, sizeof(buf)),
			    "arch                req/s    Gbit/s     p50 us     p99 us   p99.9 us  FE cpu  fast %      drops\n"
			    "miresga            1500.0     1.000       50.0      120.1     2000.0   25.0%   75.0%          2\n"
			    "software              0.0     0.000        0.0        0.0        0.0    0.0%    0.0%          0\n");
	fclose(f);
	l7sim_hist_fini(&lat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hist_buckets_cover_values),
		cmocka_unit_test(hist_rank_definition),
		cmocka_unit_test(hist_percentile_error_bounded),
		cmocka_unit_test(series_csv_exact),
		cmocka_unit_test(counters_basic),
		cmocka_unit_test(json_exact),
		cmocka_unit_test(gnuplot_exact),
		cmocka_unit_test(summary_exact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
