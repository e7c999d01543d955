/*
 * cmd_compare.c — `l7sim compare TRACE`: every implemented architecture of
 * the registry on the same trace, configuration and seed; one table, one
 * JSON document, one CSV (an "arch" column first), and bar charts of
 * throughput and p99 latency next to each architecture's time series.
 *
 * Architectures registered but not implemented yet are named on stderr
 * and skipped, so the table says what was actually simulated. An
 * architecture that refuses the trace or configuration (e.g. miresga: more
 * than one server address) or fails at run time does not stop the
 * others: its row in the table and in the JSON says "refused: <reason>"
 * (the same line goes to stderr), and the exit status is 0 as long as one
 * architecture ran; 1 when none did (or an output could not be written).
 */
#include <stdio.h>
#include <string.h>

#include "l7splice/common.h"

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
	static struct l7sim_cli_refusal ref[16];
	int n = 0, nref = 0, rc;

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
	for (size_t i = 0; i < l7sim_arch_count() && n + nref < 16; i++) {
		const struct l7sim_arch *a = l7sim_arch_at(i);
		if (!a->create) {
			if (!cli.quiet)
				fprintf(stderr, "l7sim: compare: %s: not implemented yet, skipped\n",
					a->name);
			continue;
		}
		struct l7sim_run_opts o = { cli.pcap_dir, cli.progress };
		char err[sizeof(ref[0].reason)];
		int r = l7sim_run(&cli.cfg, &wl, a, &o, &outs[n], err, sizeof(err));
		if (r < 0) {
			/* this architecture cannot run this trace / config (or
			 * failed): a row saying why, and the others still run */
			ref[nref].arch = a->name;
			snprintf(ref[nref].reason, sizeof(ref[nref].reason), "%s", err);
			fprintf(stderr, "l7sim: compare: %s: refused: %s\n", a->name, err);
			nref++;
			continue;
		}
		po[n] = &outs[n];
		sums[n] = &outs[n].summary;
		n++;
		if ((rc = l7sim_cli_check_spill(&cli, &wl)) != 0)
			goto done;
	}
	if (l7sim_summary_table(stdout, sums, (uint32_t)n) < 0)
		rc = 1;
	for (int i = 0; i < nref; i++)
		printf("%-12s refused: %s\n", ref[i].arch, ref[i].reason);
	if (fflush(stdout) != 0)
		rc = 1;
	if (!rc && cli.json_path)
		rc = l7sim_cli_write_json_ex(&cli, &cli.cfg, po, n, ref, nref);
	if (!rc && cli.csv_path)
		rc = l7sim_cli_write_csv(&cli, po, n, 1);
	if (!rc && cli.plot_dir && n)
		rc = l7sim_cli_write_plots(&cli, po, n);
	if (!rc && !n)
		rc = 1; /* nothing ran */
done:
	for (int i = 0; i < n; i++)
		l7sim_run_out_fini(&outs[i]);
	l7sim_wl_free(&wl);
	l7sim_cli_fini(&cli);
	return rc;
}
