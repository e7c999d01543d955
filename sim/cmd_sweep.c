/*
 * cmd_sweep.c — `l7sim sweep TRACE -c CONFIG --set KEY=V1,V2,...`: run the
 * configured architecture once per value of one key and write a CSV row
 * per point (to stdout, or --csv FILE) and bar charts of throughput and
 * p99 latency against the value (--plot DIR).
 *
 * Exactly one --set may carry a list (the axis); other --set options are
 * fixed overrides. Every point is checked before the first run, so a bad
 * value fails fast with exit 2 and no partial output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_run.h"
#include "commands.h"
#include "report/plot.h"

#define MAX_POINTS 64

static void sweep_usage(FILE *f)
{
	fprintf(f,
		"usage: l7sim sweep TRACE [-c CONFIG.json] --set KEY=V1,V2,... [--set KEY=VALUE]...\n"
		"                   [--arch NAME] [--csv FILE] [--json FILE] [--plot DIR]\n"
		"                   [--speedup X] [--clients xN] [--seed N] [-q]\n"
		"  one run per value of KEY; a CSV row per point (stdout unless --csv)\n");
}

static int plot_label_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static void csv_row(FILE *f, const char *key, const char *val, const struct l7sim_run_out *o)
{
	const struct l7sim_summary *s = &o->summary;
	fprintf(f, "%s,%s,%s,%llu,%.3f,%.6f,%llu,%llu,%llu,%llu,%.6f,%.6f,%llu\n", key, val,
		o->arch, (unsigned long long)s->requests, l7sim_summary_rps(s),
		l7sim_summary_gbps(s),
		(unsigned long long)l7sim_hist_percentile(s->latency, 50),
		(unsigned long long)l7sim_hist_percentile(s->latency, 90),
		(unsigned long long)l7sim_hist_percentile(s->latency, 99),
		(unsigned long long)l7sim_hist_percentile(s->latency, 99.9),
		s->frontend_cpu_util, l7sim_summary_fast_share(s), (unsigned long long)s->drops);
}

int l7sim_cmd_sweep(int argc, char **argv)
{
	struct l7sim_cli cli;
	struct l7sim_workload wl;
	char key[128], err[512];
	char *vals = NULL, *val[MAX_POINTS];
	int nval = 0, rc, axis = -1;
	struct l7sim_run_out *outs = NULL;
	int nout = 0;

	rc = l7sim_cli_parse(&cli, argc, argv, sweep_usage, 1);
	if (rc) {
		l7sim_cli_fini(&cli);
		return rc == 0x100 ? 0 : rc;
	}
	if (cli.pcap_dir) {
		/* every point would overwrite the same files */
		fprintf(stderr, "l7sim: sweep: --pcap-out is for run and compare\n");
		l7sim_cli_fini(&cli);
		return 2;
	}
	for (int i = 0; i < cli.n_sets; i++) {
		const char *eq = strchr(cli.sets[i], '=');
		if (eq && strchr(eq, ',')) {
			if (axis >= 0) {
				fprintf(stderr, "l7sim: sweep: only one --set may list values\n");
				l7sim_cli_fini(&cli);
				return 2;
			}
			axis = i;
		}
	}
	if (axis < 0) {
		fprintf(stderr, "l7sim: sweep: needs --set KEY=V1,V2,... (the values to sweep)\n");
		l7sim_cli_fini(&cli);
		return 2;
	}
	const char *eq = strchr(cli.sets[axis], '=');
	size_t klen = (size_t)(eq - cli.sets[axis]);
	if (!klen || klen >= sizeof(key)) {
		fprintf(stderr, "l7sim: --set: expected KEY=V1,V2,..., not '%s'\n", cli.sets[axis]);
		l7sim_cli_fini(&cli);
		return 2;
	}
	memcpy(key, cli.sets[axis], klen);
	key[klen] = 0;
	vals = strdup(eq + 1);
	if (!vals) {
		l7sim_cli_fini(&cli);
		return 1;
	}
	for (char *save = NULL, *t = strtok_r(vals, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (nval == MAX_POINTS) {
			fprintf(stderr, "l7sim: sweep: at most %d values\n", MAX_POINTS);
			rc = 2;
			goto done;
		}
		val[nval++] = t;
	}
	/* check every point first: a bad value fails before any run */
	for (int i = 0; i < nval; i++) {
		struct l7sim_config tmp = cli.cfg;
		if (l7sim_config_set(&tmp, key, val[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "l7sim: --set: %s\n", err);
			rc = 2;
			goto done;
		}
	}
	const struct l7sim_arch *a = l7sim_arch_find(cli.cfg.arch);
	if (!a) {
		fprintf(stderr, "l7sim: %s: arch: unknown architecture '%s' (l7sim compare --list)\n",
			cli.config_path ? cli.config_path : "sweep", cli.cfg.arch);
		rc = 2;
		goto done;
	}
	memset(&wl, 0, sizeof(wl));
	if ((rc = l7sim_cli_load_trace(&cli, &wl)) != 0)
		goto done;
	outs = calloc((size_t)nval, sizeof(*outs));
	if (!outs) {
		rc = 1;
		goto done_wl;
	}
	for (int i = 0; i < nval; i++) {
		struct l7sim_config pc;
		if (l7sim_config_copy(&pc, &cli.cfg) < 0) {
			rc = 1;
			goto done_wl;
		}
		(void)l7sim_config_set(&pc, key, val[i], err, sizeof(err));
		rc = l7sim_cli_run_one(&cli, &pc, &wl, a, &outs[i]);
		l7sim_config_fini(&pc);
		if (rc)
			goto done_wl;
		nout++;
	}
	FILE *f = stdout;
	if (cli.csv_path && !(f = fopen(cli.csv_path, "w"))) {
		fprintf(stderr, "l7sim: %s: cannot write\n", cli.csv_path);
		rc = 1;
		goto done_wl;
	}
	fprintf(f, "key,value,arch,requests,throughput_rps,throughput_gbps,p50_ns,p90_ns,"
		   "p99_ns,p99_9_ns,frontend_cpu_util,fast_path_share,drops\n");
	for (int i = 0; i < nval; i++)
		csv_row(f, key, val[i], &outs[i]);
	if ((f == stdout ? fflush(f) : fclose(f)) != 0) {
		fprintf(stderr, "l7sim: %s: write failed\n", cli.csv_path ? cli.csv_path : "stdout");
		rc = 1;
		goto done_wl;
	}
	if (cli.json_path) {
		struct l7sim_run_out *po[MAX_POINTS];
		for (int i = 0; i < nval; i++)
			po[i] = &outs[i];
		if ((rc = l7sim_cli_write_json(&cli, &cli.cfg, po, nval)) != 0)
			goto done_wl;
	}
	if (cli.plot_dir) {
		const char *labels[MAX_POINTS];
		double rps[MAX_POINTS], p99[MAX_POINTS];
		char title[192];
		if ((rc = l7sim_cli_mkdir(cli.plot_dir)) != 0)
			goto done_wl;
		for (int i = 0; i < nval; i++) {
			labels[i] = plot_label_ok(val[i]) ? val[i] : "?";
			rps[i] = l7sim_summary_rps(&outs[i].summary);
			p99[i] = (double)l7sim_hist_percentile(&outs[i].lat.latency_ns, 99) / 1000.0;
		}
		snprintf(title, sizeof(title), "%s: throughput vs %s", a->name, key);
		rc = l7sim_plot_bars(cli.plot_dir, "sweep-throughput", title, "requests/s", labels,
				     rps, (uint32_t)nval);
		if (!rc) {
			l7sim_cli_render(cli.plot_dir, "sweep-throughput");
			snprintf(title, sizeof(title), "%s: p99 latency vs %s", a->name, key);
			rc = l7sim_plot_bars(cli.plot_dir, "sweep-latency-p99", title, "us", labels,
					     p99, (uint32_t)nval);
		}
		if (rc < 0) {
			fprintf(stderr, "l7sim: %s: cannot write plot: %s\n", cli.plot_dir,
				l7_strerror(rc));
			rc = 1;
			goto done_wl;
		}
		l7sim_cli_render(cli.plot_dir, "sweep-latency-p99");
	}
done_wl:
	for (int i = 0; i < nout; i++)
		l7sim_run_out_fini(&outs[i]);
	free(outs);
	l7sim_wl_free(&wl);
done:
	free(vals);
	l7sim_cli_fini(&cli);
	return rc;
}
