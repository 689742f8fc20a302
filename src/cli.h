/* Command-line context shared by every command: the options any command
 * accepts (--json, --dry-run, device selection, ...) and the parser that
 * merges them with a command's own options. */
#ifndef SF_CLI_H
#define SF_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "profile_io.h"

#define SF_CTX_MAX_SELECT 64

typedef struct sf_ctx {
	const char *argv0;
	const char *command;      /* e.g. "flash" */
	bool json;                /* NDJSON events on stdout; human text on stderr */
	bool dry_run;
	bool quiet;
	int verbose;
	const char *profiles_dirs[SF_MAX_PROFILE_DIRS];
	size_t nprofiles_dirs;
	const char *sim_dir;      /* --sim DIR / SPARKFLASH_SIM: use simulated devices */
	const char *dfu_util;     /* --dfu-util / DFU_UTIL / configure default */
	const char *profile;      /* --profile NAME|PATH */
	const char *serial;       /* --serial SN */
	const char *usb_path;     /* --path BUS-PORT */
	const char *log_file;     /* --log FILE: raw dfu-util transcript */
	double timeout_s;         /* --timeout SECONDS (0 = none) */
	bool detach;              /* --detach: switch a runtime-mode device to DFU mode first */
	/* every --serial / --path in the order given (serial/usb_path: the last) */
	const char *serials[SF_CTX_MAX_SELECT];
	size_t nserials;
	const char *paths[SF_CTX_MAX_SELECT];
	size_t npaths;
	int argc;                 /* the whole command line, for --log headers */
	char **argv;
	double wait_s;            /* flash --wait SECONDS: wait this long for the device (0 = no) */
	double deadline;          /* flash --deadline: absolute time (sf_monotonic_s), 0 = none;
				   * every dfu-util run, wait and pause ends by then (exit 9) */
	bool tag_serial;          /* several devices: every JSON event carries "serial" ... */
	const char *event_serial; /* ... with this value (NULL: null) */
} sf_ctx;

/* Called for each option that is not a common one; return 0 or an exit code
 * (after printing the error). */
typedef int (*sf_opt_handler)(sf_ctx *ctx, int opt, const char *arg, void *data);

/* Parses argv (argv[0] = command name) with the common options plus
 * `opts`/`shortopts` of the command. On success returns 0 and sets *first_arg
 * to the index of the first positional argument (GNU permutation applies, so
 * options may follow positionals; "--" ends options). On a usage error prints
 * "sparkflash: ..." and the command's usage line, and returns SF_EXIT_USAGE.
 * For --help prints the command's help to stdout and returns -1 (the caller
 * then exits 0). Applies sf_ctx_finish(). */
int sf_cli_parse(sf_ctx *ctx, int argc, char **argv, const char *shortopts,
		 const struct option *opts, sf_opt_handler handler, void *data,
		 int *first_arg);

enum { SF_CLI_HELP = -1, SF_CLI_VERSION = -2 };

/* Parses the global options before the command word (argv[0] = program).
 * Returns 0 with *command_index set, SF_CLI_HELP, SF_CLI_VERSION, or
 * SF_EXIT_USAGE after printing the error. */
int sf_cli_parse_global(sf_ctx *ctx, int argc, char **argv, int *command_index);

/* Documentation of an option that every command accepts (the common and
 * the global-only ones): --help, the man page and the completions print it. */
typedef struct sf_optdoc {
	const char *name;      /* long name without "--" */
	char short_name;       /* 'q', or 0 */
	const char *arg;       /* "SECONDS", or NULL for a flag */
	const char *help;      /* lines separated by '\n' */
	bool global_only;      /* only before the command word (--version) */
} sf_optdoc;

/* The documented common and global options, ended by a NULL name. */
const sf_optdoc *sf_cli_optdocs(void);
/* The getopt table of the common options (ended by a NULL name). */
const struct option *sf_cli_common_options(void);
/* "  --json               machine-readable ..." lines for --help. */
void sf_cli_print_optdocs(FILE *f);

/* Option values >= this are free for commands' long-only options. */
#define SF_OPT_COMMAND_BASE 0x1000

/* Applies environment defaults (SPARKFLASH_SIM, DFU_UTIL) after parsing. */
void sf_ctx_finish(sf_ctx *ctx);

/* Usage error for the current command: prints message and usage, returns 2. */
int sf_usage_error(const sf_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints the usage synopsis of the current command (to stderr or stdout). */
void sf_print_command_usage(const sf_ctx *ctx, bool to_stdout);

/* A whole number of seconds from 1 to 86400 for option `opt` (the cloud
 * commands' --connect-timeout and --max-time); usage error otherwise. */
int sf_cli_whole_seconds(const sf_ctx *ctx, const char *opt, const char *arg, long *out);

/* Checks only the long option names of argv (argv[0] = command) against
 * the common options and `tables` (NULL-terminated): for a command that
 * picks its parser from its words (flash: USB or cloud) and must refuse an
 * unknown or abbreviated option first. 0, or SF_EXIT_USAGE after the error. */
int sf_cli_check_options(const sf_ctx *ctx, int argc, char **argv, const struct option *const *tables);

/* OUTFILE `name` is standard output (read -, keys save -): refused with
 * --json (its events own stdout) and when stdout is a terminal (binary
 * data; a dry run writes none); else *fd gets the data's descriptor and
 * all human text goes to stderr from now on (sf_out_data_stdout).
 * Returns 0 or an exit code after printing the error. */
int sf_cli_data_stdout(const sf_ctx *ctx, const char *name, int *fd);

#endif
