/*
 * main.c — l7sim's command dispatcher: `l7sim COMMAND [ARGS]`.
 *
 * Each command lives in its own sim/cmd_*.c and has the signature of
 * l7sim_cmd_fn. Exit statuses (docs/man/l7sim.1): 0 ok, 1 runtime failure,
 * 2 bad input or usage.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "l7splice/common.h"
#include "commands.h"

static const struct l7sim_command commands[] = {
	{ "run", l7sim_cmd_run, "replay a trace through one architecture (also: l7sim TRACE)" },
	{ "compare", l7sim_cmd_compare, "every architecture on the same trace and seed" },
	{ "sweep", l7sim_cmd_sweep, "one run per value of a configuration key, a CSV row each" },
	{ "inspect", l7sim_cmd_inspect, "summarise a capture: packets, TCP connections, HTTP" },
	{ "gen", l7sim_cmd_gen, "write a pcap of synthetic HTTP/1.1 traffic" },
	{ "version", l7sim_cmd_version, "print the version" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: l7sim COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nl7sim COMMAND --help for a command's options; man l7sim for all.\n");
}

int l7sim_cmd_version(int argc, char **argv)
{
	(void)argc; (void)argv;
	printf("l7sim %s\n", l7_version());
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version"))
		return l7sim_cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	/* `l7sim TRACE [OPTIONS]` is `l7sim run TRACE [OPTIONS]`: an existing
	 * file, or a name that looks like a path (command names have no '.'
	 * or '/'), so a mistyped trace gets run's "cannot open" message */
	if (argv[1][0] != '-' && (access(argv[1], F_OK) == 0 || strpbrk(argv[1], "./"))) {
		argv[0] = (char *)"run";
		return l7sim_cmd_run(argc, argv);
	}
	fprintf(stderr, "l7sim: unknown command '%s' (try l7sim --help)\n", argv[1]);
	return 2;
}
