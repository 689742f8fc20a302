/* The command table (git's commands[] pattern): one cmd_<name>.c per command. */
#ifndef SF_COMMANDS_H
#define SF_COMMANDS_H

#include "cli.h"

typedef int (*sf_command_fn)(sf_ctx *ctx, int argc, char **argv);

struct sf_command {
	const char *name;
	sf_command_fn run;      /* argv[0] is the command name */
	const char *summary;    /* one line for `sparkflash --help` */
	const char *usage;      /* synopsis */
	const char *help;       /* longer text for `COMMAND --help` (may be NULL) */
};

const struct sf_command *sf_command_find(const char *name);

/* One declaration per command (cmd_<name>.c). */
int cmd_diagnose(sf_ctx *ctx, int argc, char **argv);
int cmd_udev(sf_ctx *ctx, int argc, char **argv);
int cmd_doctor(sf_ctx *ctx, int argc, char **argv);
int cmd_profiles(sf_ctx *ctx, int argc, char **argv);
int cmd_list(sf_ctx *ctx, int argc, char **argv);
int cmd_cloud(sf_ctx *ctx, int argc, char **argv);
int cmd_inspect(sf_ctx *ctx, int argc, char **argv);
int cmd_sim(sf_ctx *ctx, int argc, char **argv);

#endif
