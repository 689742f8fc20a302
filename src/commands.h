/* The command table (git's commands[] pattern): one cmd_<name>.c per command.
 * The table is the one source of the command line's documentation: --help,
 * 'help COMMAND', the man page and the shell completions are printed from
 * it (clidoc.h), so they cannot drift apart. */
#ifndef SF_COMMANDS_H
#define SF_COMMANDS_H

#include <getopt.h>
#include <stdbool.h>

#include "cli.h"

typedef int (*sf_command_fn)(sf_ctx *ctx, int argc, char **argv);

struct sf_command {
	const char *name;
	sf_command_fn run;      /* argv[0] is the command name */
	const char *summary;    /* one line for `sparkflash --help` */
	const char *usage;      /* synopsis */
	const char *help;       /* longer text for `COMMAND --help` (may be NULL) */
	/* the command's own getopt tables (NULL-terminated list; NULL when it
	 * takes only the common options) */
	const struct option *const *options;
	const char *subcommands; /* its subcommand words, space-separated, or NULL */
	bool hidden;            /* internal (shell completion helper): not listed */
};

/* The table, ended by an entry with a NULL name. */
const struct sf_command *sf_command_table(void);
const struct sf_command *sf_command_find(const char *name);

/* One declaration per command (cmd_<name>.c). */
int cmd_list(sf_ctx *ctx, int argc, char **argv);
int cmd_flash(sf_ctx *ctx, int argc, char **argv);
int cmd_read(sf_ctx *ctx, int argc, char **argv);
int cmd_keys(sf_ctx *ctx, int argc, char **argv);
int cmd_cloud(sf_ctx *ctx, int argc, char **argv);
int cmd_sim(sf_ctx *ctx, int argc, char **argv);
int cmd_diagnose(sf_ctx *ctx, int argc, char **argv);
int cmd_doctor(sf_ctx *ctx, int argc, char **argv);
int cmd_udev(sf_ctx *ctx, int argc, char **argv);
int cmd_profiles(sf_ctx *ctx, int argc, char **argv);
int cmd_inspect(sf_ctx *ctx, int argc, char **argv);

/* Each command's option tables (in its cmd_<name>.c). */
extern const struct option *const sf_options_flash[];
extern const struct option *const sf_options_read[];
extern const struct option *const sf_options_keys[];
extern const struct option *const sf_options_cloud[];
extern const struct option *const sf_options_sim[];
extern const struct option *const sf_options_diagnose[];
extern const struct option *const sf_options_doctor[];
extern const struct option *const sf_options_udev[];

#endif
