/*
 * test_pipeline_sketch.c — the state structures built on registers: the
 * count-min sketch never underestimates, its error stays within the
 * epsilon-delta bound on a seeded Zipf stream, it saturates instead of
 * wrapping, and its top-N report finds the heavy keys (CLIP); the Bloom
 * filter has no false negatives and a false-positive rate close to theory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "l7splice/packet.h"
#include "l7splice/pipeline.h"

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint32_t key_ip(uint32_t i)
{
	return (uint32_t)splitmix(i + 1);
}

/* A TCP frame whose source address is patched per packet (the parser does
 * not check checksums, so the patched frame is still parsed). */
static uint32_t base_frame(uint8_t *buf)
{
	struct l7_tcp_build b;
	memset(&b, 0, sizeof(b));
	b.linktype = L7_LINKTYPE_ETHERNET;
	b.ip_version = 4;
	b.ttl = 64;
	b.src = l7_addr_from_v4(1);
	b.dst = l7_addr_from_v4(2);
	b.sport = 1;
	b.dport = 2;
	b.flags = L7_TCP_ACK;
	size_t len = 0;
	assert_int_equal(l7_pkt_build_tcp(buf, 128, &b, &len), 0);
	return (uint32_t)len;
}

static void set_src(uint8_t *buf, uint32_t ip)
{
	buf[26] = (uint8_t)(ip >> 24);
	buf[27] = (uint8_t)(ip >> 16);
	buf[28] = (uint8_t)(ip >> 8);
	buf[29] = (uint8_t)ip;
}

static struct l7_pipeline *sketch_prog(unsigned rows, uint32_t width, unsigned bits,
				       unsigned top_n, int *sk)
{
	struct l7_pl_config c;
	l7_pl_config_default(&c);
	struct l7_pipeline *pl;
	assert_int_equal(l7_pipeline_create(&c, &pl), 0);
	*sk = l7_pipeline_sketch_add(pl, "cms", rows, width, bits, top_n);
	assert_true(*sk >= 0);
	int est = l7_pipeline_field_add(pl, "est", 32);
	const int src[] = { L7_PL_F_IPV4_SRC };
	const struct l7_pl_prim body[] = {
		l7_pl_p_cms(*sk, src, 1, l7_pl_imm(1), est),
		l7_pl_p_forward(l7_pl_imm(1)),
	};
	struct l7_pl_step s;
	memset(&s, 0, sizeof(s));
	s.table = -1;
	s.action = l7_pipeline_action_add(pl, "count", 0, NULL, body, 2);
	s.goto_step = -1;
	assert_int_equal(l7_pipeline_step_add(pl, &s), 0);
	char err[256];
	assert_int_equal(l7_pipeline_compile(pl, err, sizeof(err)), 0);
	return pl;
}

static void count_min_bounds_on_a_zipf_stream(void **state)
{
	(void)state;
	enum { K = 10000, N = 100000, D = 4, W = 1024 };
	int sk;
	struct l7_pipeline *pl = sketch_prog(D, W, 32, 16, &sk);
	/* Zipf(1.1) over K ranks, seeded inverse-CDF sampling */
	static double cdf[K];
	static uint32_t truth[K];
	memset(truth, 0, sizeof(truth));
	double sum = 0;
	for (int i = 0; i < K; i++)
		cdf[i] = (sum += 1.0 / pow(i + 1, 1.1));
	uint64_t seed = 7;
	uint8_t buf[128];
	uint32_t len = base_frame(buf);
	struct l7_pl_result r;
	for (int n = 0; n < N; n++) {
		seed = splitmix(seed);
		double u = (double)(seed >> 11) / 9007199254740992.0 * sum;
		int lo = 0, hi = K - 1;
		while (lo < hi) {
			int mid = (lo + hi) / 2;
			if (cdf[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		truth[lo]++;
		set_src(buf, key_ip((uint32_t)lo));
		assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 0, 0, &r), 0);
		assert_int_equal(r.err, 0);
	}
	/* epsilon = e / w, delta = e^-d: P[est - true > eps N] <= delta */
	const double eps = exp(1.0) / W, delta = exp(-(double)D);
	const int src[] = { L7_PL_F_IPV4_SRC };
	int over = 0;
	for (int i = 0; i < K; i++) {
		uint64_t v = key_ip((uint32_t)i);
		uint64_t est = l7_pipeline_sketch_query(pl, sk, src, &v, 1);
		assert_true(est >= truth[i]); /* never underestimates */
		if ((double)(est - truth[i]) > eps * N)
			over++;
	}
	printf("count-min: %d of %d keys above eps*N = %.0f (bound delta*K = %.0f)\n", over, K,
	       eps * N, delta * K);
	assert_true(over <= delta * K);
	/* top-N report: the five heaviest keys, in order */
	struct l7_pl_topn top[10];
	l7_time_ns done;
	assert_int_equal(l7_pipeline_sketch_topn(pl, sk, top, 10, 0, &done), 10);
	assert_int_equal(done, 50000 + 20000 + 10 * 100); /* latency + fixed + 10 reads */
	for (int i = 0; i < 5; i++)
		assert_int_equal(top[i].key, key_ip((uint32_t)i));
	for (int i = 1; i < 10; i++)
		assert_true(top[i - 1].estimate >= top[i].estimate);
	assert_true(top[0].estimate >= truth[0]);
	/* clearing the rows through the channel starts a new period */
	for (unsigned row = 0; row < D; row++)
		assert_int_equal(l7_pipeline_register_clear(pl, l7_pipeline_sketch_row_reg(pl, sk, row),
							    0, &done), 0);
	uint64_t v0 = key_ip(0);
	assert_true(l7_pipeline_sketch_query(pl, sk, src, &v0, 1) > 0); /* not yet */
	assert_int_equal(l7_pipeline_advance(pl, done), D);
	assert_int_equal(l7_pipeline_sketch_query(pl, sk, src, &v0, 1), 0);
	assert_int_equal(l7_pipeline_sketch_topn(pl, sk, top, 10, done, &done), 0);
	l7_pipeline_destroy(pl);
}

static void count_min_saturates(void **state)
{
	(void)state;
	int sk;
	struct l7_pipeline *pl = sketch_prog(2, 64, 4, 0, &sk);
	uint8_t buf[128];
	uint32_t len = base_frame(buf);
	struct l7_pl_result r;
	set_src(buf, 0x0a000001);
	for (int i = 0; i < 20; i++)
		assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 0, 0, &r), 0);
	const int src[] = { L7_PL_F_IPV4_SRC };
	uint64_t v = 0x0a000001;
	assert_int_equal(l7_pipeline_sketch_query(pl, sk, src, &v, 1), 15); /* 2^4 - 1 */
	l7_pipeline_destroy(pl);
}

static void count_min_twice_in_a_pass_is_refused(void **state)
{
	(void)state;
	struct l7_pl_config c;
	l7_pl_config_default(&c);
	struct l7_pipeline *pl;
	assert_int_equal(l7_pipeline_create(&c, &pl), 0);
	int sk = l7_pipeline_sketch_add(pl, "cms", 2, 64, 16, 0);
	const int src[] = { L7_PL_F_IPV4_SRC }, src2[] = { L7_PL_F_IPV4_DST };
	const struct l7_pl_prim body[] = {
		l7_pl_p_cms(sk, src, 1, l7_pl_imm(1), -1),
		l7_pl_p_cms(sk, src2, 1, l7_pl_imm(1), -1),
	};
	struct l7_pl_step s;
	memset(&s, 0, sizeof(s));
	s.table = -1;
	s.action = l7_pipeline_action_add(pl, "count2", 0, NULL, body, 2);
	s.goto_step = -1;
	assert_int_equal(l7_pipeline_step_add(pl, &s), 0);
	assert_int_equal(l7_pipeline_compile(pl, NULL, 0), 0);
	uint8_t buf[128];
	uint32_t len = base_frame(buf);
	struct l7_pl_result r;
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 0, 0, &r), 0);
	assert_int_equal(r.err, L7_ERMW);
	uint64_t v1 = 1, v2 = 2;
	assert_int_equal(l7_pipeline_sketch_query(pl, sk, src, &v1, 1), 1);
	assert_int_equal(l7_pipeline_sketch_query(pl, sk, src2, &v2, 1), 0);
	l7_pipeline_destroy(pl);
}

static void bloom_filter_false_positive_rate_matches_theory(void **state)
{
	(void)state;
	enum { K = 3, M = 65536, N_IN = 20000, N_OUT = 100000 };
	struct l7_pl_config c;
	l7_pl_config_default(&c);
	struct l7_pipeline *pl;
	assert_int_equal(l7_pipeline_create(&c, &pl), 0);
	int bf = l7_pipeline_bloom_add(pl, "bf", K, M);
	const int src[] = { L7_PL_F_IPV4_SRC };
	const struct l7_pl_prim body[] = {
		l7_pl_p_bloom(bf, L7_PL_BLOOM_INSERT, src, 1, L7_PL_F_IPV4_TTL),
		l7_pl_p_forward(l7_pl_imm(1)),
	};
	struct l7_pl_step s;
	memset(&s, 0, sizeof(s));
	s.table = -1;
	s.action = l7_pipeline_action_add(pl, "remember", 0, NULL, body, 2);
	s.goto_step = -1;
	assert_int_equal(l7_pipeline_step_add(pl, &s), 0);
	char err[256];
	assert_int_equal(l7_pipeline_compile(pl, err, sizeof(err)), 0);
	uint8_t buf[128];
	uint32_t len = base_frame(buf);
	struct l7_pl_result r;
	for (uint32_t i = 0; i < N_IN; i++) {
		set_src(buf, key_ip(i));
		buf[22] = 64; /* ttl: the insert writes "was present" into it */
		assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 0, 0, &r), 0);
	}
	/* inserting a member again reports it present */
	set_src(buf, key_ip(5));
	assert_int_equal(l7_pipeline_process(pl, buf, len, sizeof(buf), 0, 0, &r), 0);
	assert_int_equal(buf[22], 1);
	for (uint32_t i = 0; i < N_IN; i++) {
		uint64_t v = key_ip(i);
		assert_int_equal(l7_pipeline_bloom_query(pl, bf, src, &v, 1), 1);
	}
	int fp = 0;
	for (uint32_t i = 0; i < N_OUT; i++) {
		uint64_t v = key_ip(1000000 + i);
		fp += l7_pipeline_bloom_query(pl, bf, src, &v, 1);
	}
	/* one bit per row (partitioned filter): (1 - (1 - 1/m)^n)^k */
	double theory = pow(1.0 - pow(1.0 - 1.0 / M, N_IN), K);
	double obs = (double)fp / N_OUT;
	printf("bloom: FPR %.5f, theory %.5f\n", obs, theory);
	assert_true(fabs(obs - theory) <= 0.10 * theory); /* within 10% of theory */
	/* a cleared row forgets everything once the clear completes */
	l7_time_ns done;
	assert_int_equal(l7_pipeline_register_clear(pl, l7_pipeline_bloom_row_reg(pl, bf, 0), 0,
						    &done), 0);
	assert_int_equal(done, 50000 + 20000 + (l7_time_ns)M * 100);
	assert_int_equal(l7_pipeline_advance(pl, done), 1);
	uint64_t v = key_ip(3);
	assert_int_equal(l7_pipeline_bloom_query(pl, bf, src, &v, 1), 0);
	l7_pipeline_destroy(pl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(count_min_bounds_on_a_zipf_stream),
		cmocka_unit_test(count_min_saturates),
		cmocka_unit_test(count_min_twice_in_a_pass_is_refused),
		cmocka_unit_test(bloom_filter_false_positive_rate_matches_theory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
