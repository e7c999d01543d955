/*
 * commands.h — the l7sim subcommands. Each takes argc/argv starting at the
 * command name and returns the process exit status (0, 1 runtime, 2 input).
 */
#ifndef L7SIM_COMMANDS_H
#define L7SIM_COMMANDS_H

#include <stdio.h>

typedef int (*l7sim_cmd_fn)(int argc, char **argv);

struct l7sim_command {
	const char *name;
	l7sim_cmd_fn fn;
	const char *help;
};

int l7sim_cmd_version(int argc, char **argv);
int l7sim_cmd_inspect(int argc, char **argv); /* cmd_inspect.c */
int l7sim_cmd_gen(int argc, char **argv);     /* cmd_gen.c */
int l7sim_cmd_run(int argc, char **argv);     /* cmd_run.c */
int l7sim_cmd_compare(int argc, char **argv); /* cmd_compare.c */
int l7sim_cmd_sweep(int argc, char **argv);   /* cmd_sweep.c */

#endif
