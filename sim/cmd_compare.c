/*
 * cmd_compare.c — `l7sim compare TRACE`: every implemented architecture of
 * the registry on the same trace, configuration and seed; one table, one
 * JSON document, one CSV (an "arch" column first), and bar charts of
 * throughput and p99 latency next to each architecture's time series.
 *
 * Architectures registered but not implemented yet are named on stderr
 * and skipped, so the table says what was actually simulated. An
 * architecture that fails at run time is reported on stderr and left out;
 * the others are still reported and the exit status is 1.
 */
#include <stdio.h>
#include <string.h>

#include "cmd_run.h"
#include "commands.h"

static void compare_usage(FILE *f)
{
	fprintf(f,
		"usage: l7sim compare TRACE [-c CONFIG.json] [--json FILE] [--csv FILE]\n"
		"                     [--pcap-out DIR] [--plot DIR] [--speedup X] [--clients xN]\n"
		"                     [--seed N] [--set KEY=VALUE]... [-q]\n"
		"       l7sim compare --list\n"
		"  run every architecture on the same trace and seed; options as for run\n"
		"  --list             list the architectures and exit\n");
}

static void list_archs(void)
{
	for (size_t i = 0; i < l7sim_arch_count(); i++) {
		const struct l7sim_arch *a = l7sim_arch_at(i);
		printf("%-12s %s%s\n", a->name, a->summary,
		       a->create ? "" : " (not implemented yet)");
	}
}

int l7sim_cmd_compare(int argc, char **argv)
{
	struct l7sim_cli cli;
	struct l7sim_workload wl;
	struct l7sim_run_out outs[16];
	struct l7sim_run_out *po[16];
	const struct l7sim_summary *sums[16];
	int n = 0, rc, failed = 0;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--list")) {
			list_archs();
			return 0;
		}
	rc = l7sim_cli_parse(&cli, argc, argv, compare_usage, 0);
	if (rc) {
		l7sim_cli_fini(&cli);
		return rc == 0x100 ? 0 : rc;
	}
	memset(&wl, 0, sizeof(wl));
	if ((rc = l7sim_cli_load_trace(&cli, &wl)) != 0) {
		l7sim_cli_fini(&cli);
		return rc;
	}
	if (cli.pcap_dir && (rc = l7sim_cli_mkdir(cli.pcap_dir)) != 0)
		goto done;
	for (size_t i = 0; i < l7sim_arch_count() && n < 16; i++) {
		const struct l7sim_arch *a = l7sim_arch_at(i);
		if (!a->create) {
			if (!cli.quiet)
				fprintf(stderr, "l7sim: compare: %s: not implemented yet, skipped\n",
					a->name);
			continue;
		}
		int r = l7sim_cli_run_one(&cli, &cli.cfg, &wl, a, &outs[n]);
		if (r == 2) {
			rc = 2;
			goto done;
		}
		if (r) {
			/* a runtime failure of one architecture (its message is
			 * printed): report the others, exit 1 at the end */
			failed = 1;
			continue;
		}
		po[n] = &outs[n];
		sums[n] = &outs[n].summary;
		n++;
	}
	if (l7sim_summary_table(stdout, sums, (uint32_t)n) < 0 || fflush(stdout) != 0)
		rc = 1;
	if (!rc && cli.json_path)
		rc = l7sim_cli_write_json(&cli, &cli.cfg, po, n);
	if (!rc && cli.csv_path)
		rc = l7sim_cli_write_csv(&cli, po, n, 1);
	if (!rc && cli.plot_dir)
		rc = l7sim_cli_write_plots(&cli, po, n);
	if (!rc && failed)
		rc = 1;
done:
	for (int i = 0; i < n; i++)
		l7sim_run_out_fini(&outs[i]);
	l7sim_wl_free(&wl);
	l7sim_cli_fini(&cli);
	return rc;
}
