/*
 * cmd_run.c — `l7sim [run] TRACE`: replay a trace through one architecture
 * and report; plus what `compare` and `sweep` share with it (cmd_run.h):
 * option parsing, configuration and trace loading, the output writers.
 *
 * Order of configuration: built-in defaults, then -c FILE, then each
 * --set KEY=VALUE in order, then the flags (--arch, --speedup, --clients,
 * --seed), which go through the same checked setter, so a bad value gets
 * the same message wherever it comes from.
 *
 * Invariant: stdout, --json, --csv and the plots depend only on the trace,
 * the configuration and the seed (byte-identical reruns); only the
 * progress line on stderr reads the clock.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "l7splice/common.h"
#include "cmd_run.h"
#include "commands.h"
#include "report/json.h"
#include "report/plot.h"
#include "workload/trace.h"

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: l7sim [run] TRACE [-c CONFIG.json] [--arch NAME] [--json FILE] [--csv FILE]\n"
		"                 [--pcap-out DIR] [--plot DIR] [--speedup X] [--clients xN]\n"
		"                 [--seed N] [--set KEY=VALUE]... [-q]\n"
		"  replay TRACE (a pcap) through one load-balancer architecture and report\n"
		"  -c, --config FILE  JSON configuration (docs/config.md, man l7sim)\n"
		"  --arch NAME        architecture (default software; l7sim compare runs all)\n"
		"  --json FILE        write the summary as JSON\n"
		"  --csv FILE         write the time series as CSV (bins: output.bin_ns)\n"
		"  --pcap-out DIR     write DIR/ARCH-client.pcap and DIR/ARCH-backend.pcap\n"
		"  --plot DIR         write gnuplot scripts and data (SVG if gnuplot exists)\n"
		"  --speedup X        replay X times faster (workload.speedup)\n"
		"  --clients xN       open every trace connection N times (workload.clients)\n"
		"  --seed N           seed of every random stream (seed)\n"
		"  --set KEY=VALUE    override one configuration key, e.g. frontend.cores=4\n"
		"  --trace-mem SIZE   trace payload kept in memory before spilling to $TMPDIR\n"
		"                     (k/m/g suffix; default 64m)\n"
		"  --print-config     print the effective configuration as JSON and exit\n"
		"  -q, --quiet        no progress line\n");
}

/* ------------------------------------------------------------ parsing */

static int set_flag(struct l7sim_config *cfg, const char *flag, const char *key,
		    const char *value)
{
	char err[256];
	if (l7sim_config_set(cfg, key, value, err, sizeof(err)) < 0) {
		fprintf(stderr, "l7sim: %s: %s\n", flag, err);
		return 2;
	}
	return 0;
}

static int apply_set(struct l7sim_config *cfg, const char *kv)
{
	char key[128];
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key)) {
		fprintf(stderr, "l7sim: --set: expected KEY=VALUE, not '%s'\n", kv);
		return 2;
	}
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = 0;
	return set_flag(cfg, "--set", key, eq + 1);
}

/* "123", "64k", "64m", "2g" (powers of 1024), at most 2^50. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	unsigned shift = 0;
	if (*end == 'k' || *end == 'K')
		shift = 10;
	else if (*end == 'm' || *end == 'M')
		shift = 20;
	else if (*end == 'g' || *end == 'G')
		shift = 30;
	if (shift)
		end++;
	if (errno || *end || v > (1ULL << 50) >> shift)
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int l7sim_cli_parse(struct l7sim_cli *cli, int argc, char **argv, void (*usage)(FILE *),
		    int allow_lists)
{
	enum { O_ARCH = 256, O_JSON, O_CSV, O_PCAP, O_PLOT, O_SPEEDUP, O_CLIENTS, O_SEED, O_SET,
	       O_PRINT, O_TRACE_MEM };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "arch", required_argument, NULL, O_ARCH },
		{ "json", required_argument, NULL, O_JSON },
		{ "csv", required_argument, NULL, O_CSV },
		{ "pcap-out", required_argument, NULL, O_PCAP },
		{ "plot", required_argument, NULL, O_PLOT },
		{ "speedup", required_argument, NULL, O_SPEEDUP },
		{ "clients", required_argument, NULL, O_CLIENTS },
		{ "seed", required_argument, NULL, O_SEED },
		{ "set", required_argument, NULL, O_SET },
		{ "print-config", no_argument, NULL, O_PRINT },
		{ "trace-mem", required_argument, NULL, O_TRACE_MEM },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *arch = NULL, *speedup = NULL, *clients = NULL, *seed = NULL;
	int print = 0;
	char err[512];
	int c, rc;

	memset(cli, 0, sizeof(*cli));
	cli->cmd = argv[0];
	cli->trace_mem_bytes = L7SIM_TRACE_MEM_DEFAULT;
	l7sim_config_defaults(&cli->cfg);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cli->config_path = optarg; break;
		case O_ARCH: arch = optarg; break;
		case O_JSON: cli->json_path = optarg; break;
		case O_CSV: cli->csv_path = optarg; break;
		case O_PCAP: cli->pcap_dir = optarg; break;
		case O_PLOT: cli->plot_dir = optarg; break;
		case O_SPEEDUP: speedup = optarg; break;
		case O_CLIENTS: clients = optarg; break;
		case O_SEED: seed = optarg; break;
		case O_SET:
			if (cli->n_sets >= L7SIM_MAX_SETS) {
				fprintf(stderr, "l7sim: %s: at most %d --set options\n", cli->cmd,
					L7SIM_MAX_SETS);
				return 2;
			}
			cli->sets[cli->n_sets++] = optarg;
			break;
		case 'q': cli->quiet = 1; break;
		case O_PRINT: print = 1; break;
		case O_TRACE_MEM:
			if (parse_size(optarg, &cli->trace_mem_bytes) < 0) {
				fprintf(stderr, "l7sim: --trace-mem: expected a size in bytes "
						"(k, m, g suffix), not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0x100; /* caller exits 0 */
		default:
			if (optopt && optopt < 256)
				fprintf(stderr, "l7sim: %s: option -%c %s\n", cli->cmd, optopt,
					strchr("c", optopt) ? "needs a value" : "is unknown");
			else
				fprintf(stderr, "l7sim: %s: bad option '%s'\n", cli->cmd,
					argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		cli->trace = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "l7sim: %s: unexpected argument '%s'\n", cli->cmd, argv[optind]);
		return 2;
	}
	if (cli->config_path &&
	    (rc = l7sim_config_load_file(&cli->cfg, cli->config_path, err, sizeof(err))) < 0) {
		fprintf(stderr, "l7sim: %s\n", err);
		return 2;
	}
	for (int i = 0; i < cli->n_sets; i++) {
		const char *eq = strchr(cli->sets[i], '=');
		if (allow_lists && eq && strchr(eq, ','))
			continue; /* the sweep axis: sweep applies it point by point */
		if ((rc = apply_set(&cli->cfg, cli->sets[i])) != 0)
			return rc;
	}
	if (arch && (rc = set_flag(&cli->cfg, "--arch", "arch", arch)) != 0)
		return rc;
	if (speedup && (rc = set_flag(&cli->cfg, "--speedup", "workload.speedup", speedup)) != 0)
		return rc;
	if (clients && (rc = set_flag(&cli->cfg, "--clients", "workload.clients",
				      clients[0] == 'x' ? clients + 1 : clients)) != 0)
		return rc;
	if (seed && (rc = set_flag(&cli->cfg, "--seed", "seed", seed)) != 0)
		return rc;
	cli->progress = !cli->quiet && isatty(2);
	if (print) {
		/* the effective configuration, loadable with -c: a starting point */
		json_t *j = l7sim_config_json(&cli->cfg);
		if (!j || l7sim_json_write(j, stdout) < 0 || fflush(stdout) != 0) {
			fprintf(stderr, "l7sim: %s: cannot print the configuration\n", cli->cmd);
			json_decref(j);
			return 1;
		}
		json_decref(j);
		return 0x100;
	}
	return 0;
}

void l7sim_cli_fini(struct l7sim_cli *cli)
{
	l7sim_config_fini(&cli->cfg);
}

int l7sim_cli_load_trace(const struct l7sim_cli *cli, struct l7sim_workload *wl)
{
	char err[512];
	struct l7sim_trace_stats st;
	struct l7sim_trace_opts o = { .spill = 1, .mem_bytes = cli->trace_mem_bytes };
	if (!cli->trace) {
		fprintf(stderr, "l7sim: %s: a TRACE (pcap file) is required\n", cli->cmd);
		return 2;
	}
	int rc = l7sim_trace_load(wl, cli->trace, &o, &st, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "l7sim: %s\n", err);
		return rc == L7_ENOMEM || st.spill_failed ? 1 : 2;
	}
	if (!wl->n_conns) {
		fprintf(stderr, "l7sim: %s: no TCP connection with client data to replay\n",
			cli->trace);
		l7sim_wl_free(wl);
		return 2;
	}
	return 0;
}

int l7sim_cli_check_spill(const struct l7sim_cli *cli, const struct l7sim_workload *wl)
{
	uint64_t n = l7sim_trace_spill_errors(wl);
	if (!n)
		return 0;
	fprintf(stderr, "l7sim: %s: spill file: %llu blocks could not be read back\n", cli->trace,
		(unsigned long long)n);
	return 1;
}

int l7sim_cli_run_one(const struct l7sim_cli *cli, const struct l7sim_config *cfg,
		      const struct l7sim_workload *wl, const struct l7sim_arch *a,
		      struct l7sim_run_out *out)
{
	char err[512];
	struct l7sim_run_opts o = { cli->pcap_dir, cli->progress };
	int rc = l7sim_run(cfg, wl, a, &o, out, err, sizeof(err));
	if (rc < 0) {
		const char *where = rc == L7_ECONFIG && cli->config_path ? cli->config_path : a->name;
		fprintf(stderr, "l7sim: %s: %s\n", where, err);
		return rc == L7_ECONFIG || rc == L7_EUNSUPPORTED ? 2 : 1;
	}
	if (l7sim_cli_check_spill(cli, wl)) {
		l7sim_run_out_fini(out);
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------ outputs */

int l7sim_cli_write_json(const struct l7sim_cli *cli, const struct l7sim_config *cfg,
			 struct l7sim_run_out *const *outs, int n)
{
	return l7sim_cli_write_json_ex(cli, cfg, outs, n, NULL, 0);
}

int l7sim_cli_write_json_ex(const struct l7sim_cli *cli, const struct l7sim_config *cfg,
			    struct l7sim_run_out *const *outs, int n,
			    const struct l7sim_cli_refusal *ref, int nref)
{
	json_t *root = json_object();
	json_t *res = json_array();
	json_t *jc = l7sim_config_json(cfg);
	int ok = root && res && jc;
	if (ok) {
		ok = !json_object_set_new(root, "l7sim", json_string(l7_version())) &&
		     !json_object_set_new(root, "trace", json_string(cli->trace ? cli->trace : "")) &&
		     !json_object_set_new(root, "config", jc);
		jc = NULL;
	}
	for (int i = 0; ok && i < n; i++) {
		json_t *s = l7sim_summary_json(&outs[i]->summary);
		ok = s && !json_array_append_new(res, s);
	}
	for (int i = 0; ok && i < nref; i++) {
		json_t *s = json_object();
		ok = s && !json_object_set_new(s, "arch", json_string(ref[i].arch)) &&
		     !json_object_set_new(s, "refused", json_string(ref[i].reason)) &&
		     !json_array_append_new(res, s);
	}
	if (ok) {
		ok = !json_object_set_new(root, "results", res);
		res = NULL;
	}
	int rc = 0;
	if (!ok) {
		fprintf(stderr, "l7sim: %s: out of memory\n", cli->json_path);
		rc = 1;
	} else if (l7sim_json_write_file(root, cli->json_path) < 0) {
		fprintf(stderr, "l7sim: %s: cannot write: %s\n", cli->json_path, strerror(errno));
		rc = 1;
	}
	json_decref(jc);
	json_decref(res);
	json_decref(root);
	return rc;
}

/* Write one run's CSV with "arch," prefixed to each line (and "arch" to
 * the header) when prefix is set. */
static int csv_one(FILE *f, const struct l7sim_run_out *o, int prefix, int header)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return L7_ENOMEM;
	int rc = l7sim_series_write_csv(&o->series, m);
	if (fclose(m) != 0 || rc < 0) {
		free(buf);
		return L7_EIO;
	}
	char *line = buf, *nl;
	int first = 1;
	while (line < buf + len && (nl = memchr(line, '\n', (size_t)(buf + len - line)))) {
		if (!first || header) {
			if (prefix)
				fprintf(f, "%s,", first ? "arch" : o->arch);
			fwrite(line, 1, (size_t)(nl - line + 1), f);
		}
		first = 0;
		line = nl + 1;
	}
	free(buf);
	return ferror(f) ? L7_EIO : 0;
}

int l7sim_cli_write_csv(const struct l7sim_cli *cli, struct l7sim_run_out *const *outs, int n,
			int with_arch)
{
	FILE *f = fopen(cli->csv_path, "w");
	if (!f) {
		fprintf(stderr, "l7sim: %s: cannot write: %s\n", cli->csv_path, strerror(errno));
		return 1;
	}
	int rc = 0;
	for (int i = 0; i < n && !rc; i++)
		rc = csv_one(f, outs[i], with_arch, i == 0);
	if (fclose(f) != 0)
		rc = L7_EIO;
	if (rc < 0) {
		fprintf(stderr, "l7sim: %s: write failed\n", cli->csv_path);
		return 1;
	}
	return 0;
}

int l7sim_cli_mkdir(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (mkdir(dir, 0777) != 0) {
		fprintf(stderr, "l7sim: %s: cannot create directory: %s\n", dir, strerror(errno));
		return 1;
	}
	return 0;
}

void l7sim_cli_render(const char *dir, const char *name)
{
	static int have = -1;
	char cmd[8192];
	size_t n = 0;
	if (have < 0)
		have = system("command -v gnuplot >/dev/null 2>&1") == 0;
	if (!have)
		return;
	/* cd 'DIR' && gnuplot 'NAME.gp', with ' quoted as '\'' */
	n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "cd '");
	for (const char *p = dir; *p && n < sizeof(cmd) - 64; p++) {
		if (*p == '\'')
			n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "'\\''");
		else
			cmd[n++] = *p;
	}
	snprintf(cmd + n, sizeof(cmd) - n, "' && gnuplot '%s.gp' >/dev/null 2>&1", name);
	if (system(cmd) != 0)
		fprintf(stderr, "l7sim: %s/%s.gp: gnuplot failed (the script and data are kept)\n",
			dir, name);
}

static int plot_written(const char *dir, const char *name, int rc)
{
	if (rc < 0) {
		fprintf(stderr, "l7sim: %s/%s: cannot write plot: %s\n", dir, name, l7_strerror(rc));
		return 1;
	}
	l7sim_cli_render(dir, name);
	return 0;
}

int l7sim_cli_write_plots(const struct l7sim_cli *cli, struct l7sim_run_out *const *outs,
			  int n)
{
	const char *dir = cli->plot_dir;
	char name[64], title[128];
	if (l7sim_cli_mkdir(dir))
		return 1;
	for (int i = 0; i < n; i++) {
		const uint32_t gp[] = { L7SIM_COL_GOODPUT_BPS };
		const uint32_t cpu[] = { L7SIM_COL_FE_BUSY_CORES };
		snprintf(name, sizeof(name), "%s-goodput", outs[i]->arch);
		snprintf(title, sizeof(title), "%s: goodput to clients", outs[i]->arch);
		if (plot_written(dir, name, l7sim_plot_series(dir, name, title, "bit/s",
							       &outs[i]->series, gp, 1)))
			return 1;
		snprintf(name, sizeof(name), "%s-frontend-cpu", outs[i]->arch);
		snprintf(title, sizeof(title), "%s: front-end busy cores", outs[i]->arch);
		if (plot_written(dir, name, l7sim_plot_series(dir, name, title, "cores",
							       &outs[i]->series, cpu, 1)))
			return 1;
	}
	if (n > 1) {
		const char *labels[16];
		double rps[16], p99[16];
		int m = n < 16 ? n : 16;
		for (int i = 0; i < m; i++) {
			labels[i] = outs[i]->arch;
			rps[i] = l7sim_summary_rps(&outs[i]->summary);
			p99[i] = (double)l7sim_hist_percentile(&outs[i]->lat.latency_ns, 99) / 1000.0;
		}
		if (plot_written(dir, "compare-throughput",
				 l7sim_plot_bars(dir, "compare-throughput", "Throughput", "requests/s",
						 labels, rps, (uint32_t)m)) ||
		    plot_written(dir, "compare-latency-p99",
				 l7sim_plot_bars(dir, "compare-latency-p99", "Request latency, p99",
						 "us", labels, p99, (uint32_t)m)))
			return 1;
	}
	return 0;
}

/* ------------------------------------------------------------ run */

int l7sim_cmd_run(int argc, char **argv)
{
	struct l7sim_cli cli;
	struct l7sim_workload wl;
	struct l7sim_run_out out;
	int rc = l7sim_cli_parse(&cli, argc, argv, run_usage, 0);
	if (rc) {
		l7sim_cli_fini(&cli);
		return rc == 0x100 ? 0 : rc;
	}
	const struct l7sim_arch *a = l7sim_arch_find(cli.cfg.arch);
	if (!a) {
		fprintf(stderr, "l7sim: %s: arch: unknown architecture '%s' (l7sim compare --list)\n",
			cli.config_path ? cli.config_path : "run", cli.cfg.arch);
		l7sim_cli_fini(&cli);
		return 2;
	}
	memset(&wl, 0, sizeof(wl));
	if ((rc = l7sim_cli_load_trace(&cli, &wl)) != 0) {
		l7sim_cli_fini(&cli);
		return rc;
	}
	if (cli.pcap_dir && (rc = l7sim_cli_mkdir(cli.pcap_dir)) != 0)
		goto done_wl;
	if ((rc = l7sim_cli_run_one(&cli, &cli.cfg, &wl, a, &out)) != 0)
		goto done_wl;
	struct l7sim_run_out *outs[1] = { &out };
	const struct l7sim_summary *sums[1] = { &out.summary };
	if (l7sim_summary_table(stdout, sums, 1) < 0 || fflush(stdout) != 0)
		rc = 1;
	if (!rc && cli.json_path)
		rc = l7sim_cli_write_json(&cli, &cli.cfg, outs, 1);
	if (!rc && cli.csv_path)
		rc = l7sim_cli_write_csv(&cli, outs, 1, 0);
	if (!rc && cli.plot_dir)
		rc = l7sim_cli_write_plots(&cli, outs, 1);
	l7sim_run_out_fini(&out);
done_wl:
	l7sim_wl_free(&wl);
	l7sim_cli_fini(&cli);
	return rc;
}
