/*
 * cmd_run.h — what `run`, `compare` and `sweep` share: their options, the
 * configuration and trace loading with l7sim's one-line errors, and the
 * output writers (table, --json, --csv, plots).
 *
 * Exit statuses: 0 ok, 1 runtime failure, 2 bad input or usage
 * (docs/man/l7sim.1).
 */
#ifndef L7SIM_CMD_RUN_H
#define L7SIM_CMD_RUN_H

#include <stdio.h>

#include "arch/runner.h"
#include "config.h"
#include "models/workload.h"

#define L7SIM_MAX_SETS 32
#define L7SIM_TRACE_MEM_DEFAULT (64ULL << 20)

struct l7sim_cli {
	const char *cmd;             /* "run", "compare", "sweep" */
	const char *trace;
	const char *config_path;
	const char *json_path;
	const char *csv_path;
	const char *pcap_dir;
	const char *plot_dir;
	const char *sets[L7SIM_MAX_SETS]; /* "key=value" as given */
	int n_sets;
	int quiet;
	int progress;                /* stderr is a terminal and not --quiet */
	uint64_t trace_mem_bytes;    /* --trace-mem: closed connections' payload kept in
				      * memory before spilling [L7SIM_TRACE_MEM_DEFAULT] */
	struct l7sim_config cfg;
};

/* Parse argv (starting at the command name) into cli with cfg loaded and
 * the simple overrides applied (not the sweep axis: sweep applies its own).
 * Returns 0, or an exit status (2 usage/bad input, 0 after --help) with
 * the message printed. usage() prints the command's help. */
int l7sim_cli_parse(struct l7sim_cli *cli, int argc, char **argv, void (*usage)(FILE *),
		    int allow_lists);
void l7sim_cli_fini(struct l7sim_cli *cli);

/* Load the trace streaming (closed connections beyond trace_mem_bytes go
 * to a spill file); prints "l7sim: FILE: ..." and returns 2 on bad input,
 * 1 when memory or the spill file failed. */
int l7sim_cli_load_trace(const struct l7sim_cli *cli, struct l7sim_workload *wl);

/* Run one architecture with the CLI's options: 0, or an exit status with
 * the message printed (1 also when the trace's spill could not be read
 * back: l7sim_cli_check_spill). */
int l7sim_cli_run_one(const struct l7sim_cli *cli, const struct l7sim_config *cfg,
		      const struct l7sim_workload *wl, const struct l7sim_arch *a,
		      struct l7sim_run_out *out);

/* 0, or 1 with "l7sim: TRACE: spill file: ..." printed when blocks of the
 * trace's spill file could not be read back during a run (its results are
 * wrong). */
int l7sim_cli_check_spill(const struct l7sim_cli *cli, const struct l7sim_workload *wl);

/* Write the --json document: {"l7sim", "trace", "config", "results": [...]}.
 * 0 or 1 (message printed). */
int l7sim_cli_write_json(const struct l7sim_cli *cli, const struct l7sim_config *cfg,
			 struct l7sim_run_out *const *outs, int n);
/* The same, with nref more results {"arch": A, "refused": REASON} after
 * the runs' (compare: an architecture that did not run). */
struct l7sim_cli_refusal {
	const char *arch;
	char reason[512];
};
int l7sim_cli_write_json_ex(const struct l7sim_cli *cli, const struct l7sim_config *cfg,
			    struct l7sim_run_out *const *outs, int n,
			    const struct l7sim_cli_refusal *ref, int nref);
/* --csv: the time series of the runs, with an "arch" column first when
 * with_arch is set (compare). 0 or 1. */
int l7sim_cli_write_csv(const struct l7sim_cli *cli, struct l7sim_run_out *const *outs, int n,
			int with_arch);
/* Plots into cli->plot_dir (created if missing), rendered to SVG when
 * gnuplot is installed. 0 or 1. */
int l7sim_cli_write_plots(const struct l7sim_cli *cli, struct l7sim_run_out *const *outs,
			  int n);
/* Render DIR/NAME.gp with gnuplot if it is installed (silently not). */
void l7sim_cli_render(const char *dir, const char *name);
/* mkdir -p of one level; 0 or 1 (message printed). */
int l7sim_cli_mkdir(const char *dir);

#endif
