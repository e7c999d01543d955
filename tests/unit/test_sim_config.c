/*
 * test_sim_config.c — l7sim's configuration (sim/config.c): defaults, the
 * JSON loader's exact error lines (paths of unknown keys, wrong types, out
 * of range values, syntax, the embedded router), --set overrides, that a
 * failed load changes nothing, and that the JSON dump loads back to the
 * same configuration; the miresga.* keys (with "auto" costs) reach the
 * Miresga / switch-only parameters.
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

#include "arch/miresga.h"
#include "config.h"

static void defaults(void **state)
{
	struct l7sim_config c;
	(void)state;
	l7sim_config_defaults(&c);
	assert_int_equal(c.seed, 1);
	assert_string_equal(c.arch, "software");
	assert_true(c.workload.speedup == 1.0);
	assert_int_equal(c.workload.clients, 1);
	assert_int_equal(c.frontend.cores, 8);
	assert_int_equal(c.frontend.relay_pkt_ns, 1000);
	assert_true(c.frontend.relay_byte_ns == 0.25);
	assert_int_equal(c.frontend.parse_route_ns, 2000);
	assert_int_equal(c.frontend.conn_setup_ns, 12000);
	assert_int_equal(c.frontend.teardown_ns, 4000);
	assert_int_equal(c.backend.count, 4);
	assert_int_equal(c.backend.port, 80);
	assert_true(c.net.client.bandwidth_gbps == 100.0);
	assert_int_equal(c.net.client.delay_ns, 5000);
	assert_int_equal(c.tcp.mss, 1460);
	assert_int_equal(c.output.bin_ns, 10000000);
	assert_null(c.router);
	/* every key in the table is documented with a type and a doc line */
	assert_true(l7sim_config_key_count() > 30);
	for (size_t i = 0; i < l7sim_config_key_count(); i++) {
		const struct l7sim_config_key *k = l7sim_config_key_at(i);
		assert_non_null(k->type);
		assert_true(strlen(k->doc) > 5);
	}
	assert_null(l7sim_config_key_at(l7sim_config_key_count()));
}

static void load_values(void **state)
{
	struct l7sim_config c;
	char err[256] = "";
	(void)state;
	l7sim_config_defaults(&c);
	assert_int_equal(l7sim_config_load_string(&c,
		"{\"seed\": 7, \"arch\": \"software\", \"frontend\": {\"cores\": 2,"
		" \"relay_byte_ns\": 0.5}, \"net\": {\"client\": {\"delay_ns\": 0,"
		" \"bandwidth_gbps\": 10}}, \"backend\": {\"port\": 8080}}",
		"cfg.json", err, sizeof(err)), 0);
	assert_int_equal(c.seed, 7);
	assert_int_equal(c.frontend.cores, 2);
	assert_true(c.frontend.relay_byte_ns == 0.5);
	assert_int_equal(c.net.client.delay_ns, 0);
	assert_true(c.net.client.bandwidth_gbps == 10.0);
	assert_int_equal(c.backend.port, 8080);
	/* untouched keys keep their defaults */
	assert_int_equal(c.frontend.parse_route_ns, 2000);
	assert_int_equal(c.net.server.delay_ns, 2000);
	/* an integer is a valid number */
	assert_int_equal(l7sim_config_load_string(&c, "{\"workload\": {\"speedup\": 4}}",
						  "x", err, sizeof(err)), 0);
	assert_true(c.workload.speedup == 4.0);
	l7sim_config_fini(&c);
}

/* Load text on top of the defaults; the error line must be `want` exactly
 * and the configuration must still be the defaults. */
static void expect_error(const char *text, const char *want)
{
	struct l7sim_config c, d;
	char err[512] = "";
	l7sim_config_defaults(&c);
	l7sim_config_defaults(&d);
	assert_int_equal(l7sim_config_load_string(&c, text, "cfg.json", err, sizeof(err)),
			 L7_ECONFIG);
	assert_string_equal(err, want);
	assert_memory_equal(&c, &d, sizeof(c));
}

static void load_errors(void **state)
{
	(void)state;
	expect_error("{\"frontend\": {\"cores\": 0}}",
		     "cfg.json: frontend.cores: expected a positive integer (at most 4096)");
	expect_error("{\"frontend\": {\"cores\": \"8\"}}",
		     "cfg.json: frontend.cores: expected a positive integer (at most 4096)");
	expect_error("{\"frontend\": {\"cores\": 2.5}}",
		     "cfg.json: frontend.cores: expected a positive integer (at most 4096)");
	expect_error("{\"frontend\": {\"corse\": 2}}", "cfg.json: frontend.corse: unknown key");
	expect_error("{\"frontnd\": {\"cores\": 2}}", "cfg.json: frontnd: unknown key");
	expect_error("{\"net\": {\"client\": {\"delay\": 1}}}",
		     "cfg.json: net.client.delay: unknown key");
	expect_error("{\"net\": {\"client\": 5}}", "cfg.json: net.client: expected an object");
	expect_error("{\"net\": {\"client\": {\"loss\": 1.5}}}",
		     "cfg.json: net.client.loss: expected a number in 0..1");
	expect_error("{\"backend\": {\"port\": 70000}}",
		     "cfg.json: backend.port: expected a positive integer (at most 65535)");
	expect_error("{\"seed\": -1}", "cfg.json: seed: expected an integer >= 0");
	expect_error("{\"arch\": 3}", "cfg.json: arch: expected a string");
	expect_error("{\"arch\": \"Bad Name\"}", "cfg.json: arch: expected an architecture name");
	expect_error("[1, 2]", "cfg.json: expected a JSON object at the top level");
	expect_error("{\"seed\": 1,\n \"seed\": 2}",
		     "cfg.json:2:7: duplicate object key near '\"seed\"'");
	expect_error("{\"seed\": }", "cfg.json:1:10: unexpected token near '}'");
	/* the first bad key in document order is the one reported */
	expect_error("{\"tcp\": {\"mss\": 1}, \"zz\": 1}",
		     "cfg.json: tcp.mss: expected an integer in 88..9000");
	/* the router is checked by the router's own loader, paths prefixed */
	expect_error("{\"router\": {\"virtual_hosts\": [{\"name\": \"a\", \"domains\": [\"*\"],"
		     " \"routs\": []}]}}",
		     "cfg.json: router.virtual_hosts[0].routs: unknown key");
	expect_error("{\"router\": 1}", "cfg.json: router: expected an object");
	/* a key with control bytes still gives one printable line */
	expect_error("{\"front\\nd\": 1}", "cfg.json: front\\x0ad: unknown key");
}

static void router_kept(void **state)
{
	struct l7sim_config c, d;
	char err[256] = "";
	(void)state;
	l7sim_config_defaults(&c);
	assert_int_equal(l7sim_config_load_string(&c,
		"{\"router\": {\"virtual_hosts\": [{\"name\": \"a\", \"domains\": [\"*\"],"
		" \"routes\": [{\"match\": {\"prefix\": \"/\"}, \"route\": {\"cluster\": \"c\"}}]}],"
		" \"clusters\": [{\"name\": \"c\", \"endpoints\": [{\"address\": \"10.9.0.1\","
		" \"port\": 81}]}]}}", "cfg.json", err, sizeof(err)), 0);
	assert_non_null(c.router);
	assert_int_equal(l7sim_config_copy(&d, &c), 0);
	assert_ptr_not_equal(d.router, c.router);
	assert_true(json_equal(d.router, c.router));
	/* a failed load keeps the router that was there */
	assert_int_equal(l7sim_config_load_string(&c, "{\"router\": {\"x\": 1}}", "b.json", err,
						  sizeof(err)), L7_ECONFIG);
	assert_string_equal(err, "b.json: router.x: unknown key");
	assert_true(json_equal(d.router, c.router));
	l7sim_config_fini(&c);
	l7sim_config_fini(&d);
}

static void set_overrides(void **state)
{
	struct l7sim_config c;
	char err[256] = "";
	(void)state;
	l7sim_config_defaults(&c);
	assert_int_equal(l7sim_config_set(&c, "frontend.cores", "3", err, sizeof(err)), 0);
	assert_int_equal(c.frontend.cores, 3);
	assert_int_equal(l7sim_config_set(&c, "workload.speedup", "2.5", err, sizeof(err)), 0);
	assert_true(c.workload.speedup == 2.5);
	assert_int_equal(l7sim_config_set(&c, "arch", "switch-only", err, sizeof(err)), 0);
	assert_string_equal(c.arch, "switch-only");
	assert_int_equal(l7sim_config_set(&c, "frontend.cores", "-1", err, sizeof(err)),
			 L7_ECONFIG);
	assert_string_equal(err, "frontend.cores: expected a positive integer (at most 4096)");
	assert_int_equal(c.frontend.cores, 3);
	assert_int_equal(l7sim_config_set(&c, "frontend.cores", "4x", err, sizeof(err)),
			 L7_ECONFIG);
	assert_int_equal(l7sim_config_set(&c, "frontend.cores", "", err, sizeof(err)),
			 L7_ECONFIG);
	assert_int_equal(l7sim_config_set(&c, "workload.speedup", "fast", err, sizeof(err)),
			 L7_ECONFIG);
	assert_string_equal(err, "workload.speedup: expected a number in 1e-06..1e+09");
	assert_int_equal(l7sim_config_set(&c, "frontend.corse", "1", err, sizeof(err)),
			 L7_ECONFIG);
	assert_string_equal(err, "frontend.corse: unknown key");
	assert_int_equal(l7sim_config_set(&c, "frontend", "1", err, sizeof(err)), L7_ECONFIG);
	assert_string_equal(err, "frontend: is a section, not a key");
	assert_int_equal(l7sim_config_set(&c, "router", "{}", err, sizeof(err)), L7_ECONFIG);
	assert_string_equal(err, "router: cannot be set from the command line");
	assert_int_equal(l7sim_config_set(&c, "seed", "18446744073709551615", err, sizeof(err)),
			 0);
	assert_true(c.seed == UINT64_MAX);
	assert_int_equal(l7sim_config_set(&c, "seed", "18446744073709551616", err, sizeof(err)),
			 L7_ECONFIG);
}

static void dump_roundtrip(void **state)
{
	struct l7sim_config c, d;
	char err[256] = "";
	(void)state;
	l7sim_config_defaults(&c);
	assert_int_equal(l7sim_config_set(&c, "frontend.relay_byte_ns", "0.125", err,
					  sizeof(err)), 0);
	assert_int_equal(l7sim_config_set(&c, "net.server.loss", "0.01", err, sizeof(err)), 0);
	assert_int_equal(l7sim_config_set(&c, "seed", "99", err, sizeof(err)), 0);
	json_t *j = l7sim_config_json(&c);
	assert_non_null(j);
	char *text = json_dumps(j, JSON_PRESERVE_ORDER);
	assert_non_null(text);
	/* every key appears in the dump */
	for (size_t i = 0; i < l7sim_config_key_count(); i++) {
		const char *path = l7sim_config_key_at(i)->path;
		const char *leaf = strrchr(path, '.');
		char quoted[80];
		snprintf(quoted, sizeof(quoted), "\"%s\":", leaf ? leaf + 1 : path);
		assert_non_null(strstr(text, quoted));
	}
	l7sim_config_defaults(&d);
	assert_int_equal(l7sim_config_load_string(&d, text, "dump", err, sizeof(err)), 0);
	assert_memory_equal(&c, &d, sizeof(c));
	free(text);
	json_decref(j);
}

static void load_file(void **state)
{
	struct l7sim_config c;
	char err[512] = "", path[] = "/tmp/test_sim_config_XXXXXX";
	(void)state;
	l7sim_config_defaults(&c);
	assert_int_equal(l7sim_config_load_file(&c, "/nonexistent/cfg.json", err, sizeof(err)),
			 L7_EIO);
	assert_string_equal(err, "/nonexistent/cfg.json: cannot open: No such file or directory");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "{\n  \"frontend\": {\n    \"cores\": 0\n  }\n}\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(l7sim_config_load_file(&c, path, err, sizeof(err)), L7_ECONFIG);
	char want[256];
	snprintf(want, sizeof(want), "%s: frontend.cores: expected a positive integer (at most 4096)",
		 path);
	assert_string_equal(err, want);
	unlink(path);
}

/* docs/config.md lists every key of the table (run from the source tree;
 * skipped elsewhere). */
static void documented(void **state)
{
	(void)state;
	FILE *f = fopen("docs/config.md", "r");
	if (!f) {
		skip();
		return;
	}
	static char doc[1 << 17];
	size_t n = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[n] = 0;
	const char *sec = strstr(doc, "# Simulator configuration");
	assert_non_null(sec);
	for (size_t i = 0; i < l7sim_config_key_count(); i++) {
		char row[96];
		snprintf(row, sizeof(row), "| `%s` |", l7sim_config_key_at(i)->path);
		if (!strstr(sec, row))
			fail_msg("docs/config.md has no row for %s", l7sim_config_key_at(i)->path);
	}
}

/* miresga.* keys: defaults equal the sourced parameters, JSON and --set
 * reach l7sim_miresga_params_default(), "auto" follows frontend.relay_pkt_ns,
 * bad values name their path. */
static void miresga_keys(void **state)
{
	struct l7sim_config c;
	struct l7sim_miresga_params p, src;
	char err[256] = "";
	(void)state;
	l7sim_config_defaults(&c);
	l7sim_miresga_params_default(&src, NULL);
	l7sim_miresga_params_default(&p, &c);
	assert_int_equal(p.frontends, src.frontends);
	assert_int_equal(p.table_entries, 143360);
	assert_int_equal(p.tick_ns, 100000);
	assert_int_equal(p.batch_adds, 40);
	assert_int_equal(p.batch_dels, 40);
	assert_true(p.ctl_entries_per_s == 100000.0);
	assert_int_equal(p.ctl_batch_fixed_ns, 20000);
	assert_int_equal(p.ctl_latency_ns, 50000);
	assert_int_equal(p.pass_latency_ns, 1000);
	assert_int_equal(p.handoff_ns, 0);
	assert_int_equal(p.agent_records, 102400);
	assert_int_equal(p.offload_min_bytes, 0);
	assert_int_equal(p.fe_setup_ns, 2000);     /* auto: 2 x relay_pkt_ns */
	assert_true(p.fe_relay_byte_ns == 0.0);
	assert_int_equal(p.fe_relay_pkt_ns, 1000); /* auto: relay_pkt_ns */
	assert_int_equal(p.xff, 0);
	assert_int_equal(p.resplice, 1);

	assert_int_equal(l7sim_config_load_string(&c,
		"{\"frontend\": {\"relay_pkt_ns\": 300}, \"miresga\": {\"frontends\": 3,"
		" \"table_entries\": 1000, \"tick_ns\": 5000, \"batch_adds\": 7, \"batch_dels\": 9,"
		" \"ctl_entries_per_s\": 2.5e6, \"ctl_batch_fixed_ns\": 11, \"ctl_latency_ns\": 12,"
		" \"pass_latency_ns\": 13, \"handoff_ns\": 14, \"agent_records\": 15,"
		" \"offload_min_bytes\": 16, \"fe_relay_byte_ns\": 0.125,"
		" \"fe_relay_pkt_ns\": 17, \"xff\": 1, \"resplice\": 0}}",
		"cfg.json", err, sizeof(err)), 0);
	l7sim_miresga_params_default(&p, &c);
	assert_int_equal(p.frontends, 3);
	assert_int_equal(p.table_entries, 1000);
	assert_int_equal(p.tick_ns, 5000);
	assert_int_equal(p.batch_adds, 7);
	assert_int_equal(p.batch_dels, 9);
	assert_true(p.ctl_entries_per_s == 2.5e6);
	assert_int_equal(p.ctl_batch_fixed_ns, 11);
	assert_int_equal(p.ctl_latency_ns, 12);
	assert_int_equal(p.pass_latency_ns, 13);
	assert_int_equal(p.handoff_ns, 14);
	assert_int_equal(p.agent_records, 15);
	assert_int_equal(p.offload_min_bytes, 16);
	assert_int_equal(p.fe_setup_ns, 600);      /* still auto */
	assert_true(p.fe_relay_byte_ns == 0.125);
	assert_int_equal(p.fe_relay_pkt_ns, 17);
	assert_int_equal(p.xff, 1);
	assert_int_equal(p.resplice, 0);

	/* --set, "auto" back, and the dump round trip keeps "auto" */
	assert_int_equal(l7sim_config_set(&c, "miresga.fe_setup_ns", "42", err, sizeof(err)), 0);
	assert_int_equal(l7sim_config_set(&c, "miresga.fe_relay_pkt_ns", "auto", err, sizeof(err)),
			 0);
	l7sim_miresga_params_default(&p, &c);
	assert_int_equal(p.fe_setup_ns, 42);
	assert_int_equal(p.fe_relay_pkt_ns, 300);
	json_t *j = l7sim_config_json(&c);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "miresga"),
							      "fe_relay_pkt_ns")), "auto");
	char *text = json_dumps(j, JSON_PRESERVE_ORDER);
	struct l7sim_config d;
	l7sim_config_defaults(&d);
	assert_int_equal(l7sim_config_load_string(&d, text, "dump", err, sizeof(err)), 0);
	assert_memory_equal(&c, &d, sizeof(c));
	free(text);
	json_decref(j);

	assert_int_equal(l7sim_config_set(&c, "miresga.frontends", "49", err, sizeof(err)),
			 L7_ECONFIG);
	assert_string_equal(err, "miresga.frontends: expected a positive integer (at most 48)");
	assert_int_equal(l7sim_config_set(&c, "miresga.fe_setup_ns", "soon", err, sizeof(err)),
			 L7_ECONFIG);
	assert_string_equal(err,
			    "miresga.fe_setup_ns: expected \"auto\" or an integer in 0..1000000000000");
	assert_int_equal(l7sim_config_load_string(&c, "{\"miresga\": {\"xff\": 2}}", "c.json", err,
						  sizeof(err)), L7_ECONFIG);
	assert_string_equal(err, "c.json: miresga.xff: expected an integer in 0..1");
	assert_int_equal(l7sim_config_load_string(&c, "{\"miresga\": {\"fe_relay_pkt_ns\": \"x\"}}",
						  "c.json", err, sizeof(err)), L7_ECONFIG);
	assert_string_equal(err, "c.json: miresga.fe_relay_pkt_ns: expected \"auto\" or an integer "
				 "in 0..1000000000000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(miresga_keys),
		cmocka_unit_test(load_values),
		cmocka_unit_test(load_errors),
		cmocka_unit_test(router_kept),
		cmocka_unit_test(set_overrides),
		cmocka_unit_test(dump_roundtrip),
		cmocka_unit_test(load_file),
		cmocka_unit_test(documented),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
