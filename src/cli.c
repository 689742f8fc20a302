#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "out.h"
#include "sf_error.h"
#include "suggest.h"

enum {
	OPT_JSON = 0x100,
	OPT_DRY_RUN,
	OPT_PROFILES_DIR,
	OPT_SIM,
	OPT_DFU_UTIL,
	OPT_PROFILE,
	OPT_SERIAL,
	OPT_PATH,
	OPT_LOG,
	OPT_TIMEOUT,
	OPT_HELP,
	OPT_DETACH,
};

static const struct option common_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "profiles-dir", required_argument, NULL, OPT_PROFILES_DIR },
	{ "sim", required_argument, NULL, OPT_SIM },
	{ "dfu-util", required_argument, NULL, OPT_DFU_UTIL },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "detach", no_argument, NULL, OPT_DETACH },
	{ NULL, 0, NULL, 0 },
};

static const sf_optdoc optdocs[] = {
	{ "json", 0, NULL, "machine-readable output (NDJSON events for device commands,\n"
			   "each with \"schema\": 1; see README \"JSON output\")", false },
	{ "dry-run", 0, NULL, "show what would run; touch nothing", false },
	{ "profile", 0, "NAME|PATH", "device profile to use", false },
	{ "serial", 0, "SN", "pick the device with this USB serial number", false },
	{ "path", 0, "BUS-PORT", "pick the device on this USB path (as dfu-util -l shows it)", false },
	{ "profiles-dir", 0, "DIR", "extra profile directory (repeatable; also SPARKFLASH_PROFILES;\n"
				    "then the built-in one, the source tree's when run from the\n"
				    "build tree)", false },
	{ "sim", 0, "DIR", "use the simulated devices in DIR (also SPARKFLASH_SIM)", false },
	{ "dfu-util", 0, "PATH", "dfu-util binary (also DFU_UTIL)", false },
	{ "log", 0, "FILE", "save dfu-util's raw output (the transcript) to FILE", false },
	{ "timeout", 0, "SECONDS", "time limit for each dfu-util run (exit 9) and cloud request", false },
	{ "detach", 0, NULL, "flash/read/keys: switch a device found in normal (runtime) mode\n"
			     "to DFU mode first (dfu-util -e), then go on", false },
	{ "quiet", 'q', NULL, "no informational output", false },
	{ "verbose", 'v', NULL, "show the dfu-util command lines and their output", false },
	{ "help", 'h', NULL, "this text; 'sparkflash help COMMAND' (or 'sparkflash COMMAND --help')\n"
			     "for a command", false },
	{ "version", 'V', NULL, "version", true },
	{ NULL, 0, NULL, NULL, false },
};

const sf_optdoc *sf_cli_optdocs(void)
{
	return optdocs;
}

const struct option *sf_cli_common_options(void)
{
	return common_opts;
}

void sf_cli_print_optdocs(FILE *f)
{
	for (const sf_optdoc *d = optdocs; d->name; d++) {
		char head[64];
		const char *h = d->help;
		if (d->short_name)
			snprintf(head, sizeof head, "-%c, --%s%s%s", d->short_name, d->name, d->arg ? " " : "",
				 d->arg ? d->arg : "");
		else
			snprintf(head, sizeof head, "--%s%s%s", d->name, d->arg ? " " : "", d->arg ? d->arg : "");
		fprintf(f, "  %-20s", head);
		for (;;) {
			size_t n = strcspn(h, "\n");
			fprintf(f, " %.*s\n", (int)n, h);
			if (!h[n])
				break;
			h += n + 1;
			fprintf(f, "  %-20s", "");
		}
	}
}

void sf_print_command_usage(const sf_ctx *ctx, bool to_stdout)
{
	const struct sf_command *cmd = sf_command_find(ctx->command);
	FILE *f = to_stdout ? stdout : stderr;
	if (!cmd) {
		fprintf(f, "usage: sparkflash [GLOBAL OPTIONS] COMMAND [ARGS]; see 'sparkflash --help'\n");
		return;
	}
	fprintf(f, "usage: %s\n", cmd->usage);
	if (to_stdout && cmd->help)
		fprintf(f, "\n%s", cmd->help);
	if (to_stdout) {
		/* the common options, from the table, wrapped */
		size_t col = 0;
		fprintf(f, "\nCommon options:");
		col = strlen("Common options:");
		for (const sf_optdoc *d = optdocs; d->name; d++) {
			char w[64];
			if (d->global_only)
				continue;
			if (d->short_name)
				snprintf(w, sizeof w, "-%c", d->short_name);
			else
				snprintf(w, sizeof w, "--%s%s%s", d->name, d->arg ? " " : "", d->arg ? d->arg : "");
			if (col + 1 + strlen(w) > 96) {
				fprintf(f, "\n ");
				col = 1;
			}
			fprintf(f, " %s", w);
			col += 1 + strlen(w);
		}
		fprintf(f, "\n");
	}
}

int sf_usage_error(const sf_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	fputs("sparkflash: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	sf_print_command_usage(ctx, false);
	return SF_EXIT_USAGE;
}

static int common_option(sf_ctx *ctx, int opt, const char *arg)
{
	/* An empty value is a script's unset variable: '--serial ""' must
	 * not quietly mean "any device". */
	if (arg && !*arg && opt >= OPT_JSON && opt < OPT_HELP) {
		for (const struct option *o = common_opts; o->name; o++)
			if (o->val == opt)
				return sf_usage_error(ctx, "--%s needs a value, got an empty string", o->name);
	}
	switch (opt) {
	case OPT_JSON: ctx->json = true; return 0;
	case OPT_DRY_RUN: ctx->dry_run = true; return 0;
	case OPT_PROFILES_DIR:
		if (ctx->nprofiles_dirs >= SF_MAX_EXPLICIT_PROFILE_DIRS)
			return sf_usage_error(ctx, "too many --profiles-dir options (at most %d)",
					      SF_MAX_EXPLICIT_PROFILE_DIRS);
		{
			struct stat st;
			if (stat(arg, &st) != 0 || !S_ISDIR(st.st_mode))
				return sf_usage_error(ctx, "--profiles-dir '%s' is not a directory", arg);
		}
		ctx->profiles_dirs[ctx->nprofiles_dirs++] = arg;
		return 0;
	case OPT_SIM: ctx->sim_dir = arg; return 0;
	case OPT_DFU_UTIL: ctx->dfu_util = arg; return 0;
	case OPT_PROFILE: ctx->profile = arg; return 0;
	case OPT_SERIAL:
		if (ctx->nserials >= SF_CTX_MAX_SELECT)
			return sf_usage_error(ctx, "too many --serial options (at most %d)", SF_CTX_MAX_SELECT);
		ctx->serials[ctx->nserials++] = arg;
		ctx->serial = arg;
		return 0;
	case OPT_PATH:
		if (ctx->npaths >= SF_CTX_MAX_SELECT)
			return sf_usage_error(ctx, "too many --path options (at most %d)", SF_CTX_MAX_SELECT);
		ctx->paths[ctx->npaths++] = arg;
		ctx->usb_path = arg;
		return 0;
	case OPT_LOG: ctx->log_file = arg; return 0;
	case OPT_DETACH: ctx->detach = true; return 0;
	case OPT_TIMEOUT: {
		char *end;
		double t;
		errno = 0;
		t = strtod(arg, &end);
		if (errno || *end || end == arg || !(t > 0) || t > 86400)
			return sf_usage_error(ctx, "invalid --timeout '%s': give seconds, more than 0 and at most 86400 (e.g. 90 or 2.5)", arg);
		ctx->timeout_s = t;
		return 0;
	}
	case 'q': ctx->quiet = true; return 0;
	case 'v': ctx->verbose++; return 0;
	default: return -1;
	}
}


/* "unknown option '--verif' (did you mean '--verify'?)". */
static void unknown_long(const char *typed, const struct option *all, char *msg, size_t size)
{
	const char *names[96];
	char hint[400];
	size_t n = 0;

	for (const struct option *o = all; o->name && n < sizeof names / sizeof names[0]; o++)
		names[n++] = o->name;
	sf_suggest_text(typed, "--", names, n, hint, sizeof hint);
	snprintf(msg, size, "unknown option '--%s'%s", typed, hint);
}

/* getopt_long() takes any unique prefix of a long option; sparkflash
 * takes only the full name (an abbreviation unique today becomes ambiguous
 * or wrong when an option is added: '--all' must never turn into
 * '--allow-protected'). This walks argv as getopt will (values of options
 * that take one are skipped; "--" ends the options; with `stop_at_word`
 * the first non-option does) and checks every long option's name before
 * getopt sees it. Returns 0, or 1 with msg set. */
static int check_long_names(int argc, char **argv, const struct option *all, const char *shorts,
			    bool stop_at_word, char *msg, size_t size)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			return 0;
		if (a[0] != '-' || !a[1]) {
			if (stop_at_word)
				return 0;
			continue;
		}
		if (a[1] == '-') {
			const struct option *o;
			size_t len = strcspn(a + 2, "=");
			char typed[128];
			snprintf(typed, sizeof typed, "%.*s", (int)(len < sizeof typed ? len : sizeof typed - 1), a + 2);
			for (o = all; o->name; o++)
				if (!strcmp(o->name, typed))
					break;
			if (!o->name) {
				unknown_long(typed, all, msg, size);
				return 1;
			}
			if (a[2 + len] == '=' && o->has_arg == no_argument) {
				snprintf(msg, size, "option '--%s' takes no value", typed);
				return 1;
			}
			if (!a[2 + len] && o->has_arg == required_argument)
				i++;
			continue;
		}
		/* a cluster of short options: one that takes a value ends it */
		for (const char *c = a + 1; *c; c++) {
			const char *d = *c != ':' ? strchr(shorts, *c) : NULL;
			if (d && d[1] == ':') {
				if (!c[1])
					i++;
				break;
			}
		}
	}
	return 0;
}

int sf_cli_parse(sf_ctx *ctx, int argc, char **argv, const char *shortopts,
		 const struct option *opts, sf_opt_handler handler, void *data,
		 int *first_arg)
{
	struct option all[64];
	char shorts[64];
	size_t n = 0;
	int opt;

	for (const struct option *o = common_opts; o->name; o++)
		all[n++] = *o;
	for (const struct option *o = opts; o && o->name && n < 63; o++)
		all[n++] = *o;
	all[n] = (struct option){ NULL, 0, NULL, 0 };
	/* Leading ':' so missing arguments are reported as ':' (ours, not getopt's). */
	snprintf(shorts, sizeof shorts, ":qvh%s", shortopts ? shortopts : "");

	{
		char msg[600];
		if (check_long_names(argc, argv, all, shorts, false, msg, sizeof msg))
			return sf_usage_error(ctx, "%s", msg);
	}
	optind = 0; /* full reinitialisation (glibc) */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
		int rc;
		if (opt == '?') {
			if (optopt && optopt < 0x100 && optopt != '?')
				return sf_usage_error(ctx, "unknown option '-%c'", optopt);
			return sf_usage_error(ctx, "unknown option '%s'", argv[optind - 1]);
		}
		if (opt == ':')
			return sf_usage_error(ctx, "option '%s' needs a value", argv[optind - 1]);
		if (opt == OPT_HELP || opt == 'h') {
			sf_print_command_usage(ctx, true);
			return -1; /* caller exits 0 */
		}
		rc = common_option(ctx, opt, optarg);
		if (rc == -1) {
			if (!handler)
				return sf_usage_error(ctx, "unknown option '%s'", argv[optind - 1]);
			rc = handler(ctx, opt, optarg, data);
		}
		if (rc)
			return rc;
	}
	*first_arg = optind;
	sf_ctx_finish(ctx);
	return 0;
}

int sf_cli_parse_global(sf_ctx *ctx, int argc, char **argv, int *command_index)
{
	struct option all[32];
	size_t n = 0;
	int opt;

	for (const struct option *o = common_opts; o->name; o++)
		all[n++] = *o;
	all[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	all[n] = (struct option){ NULL, 0, NULL, 0 };
	{
		char msg[600];
		if (check_long_names(argc, argv, all, "qvhV", true, msg, sizeof msg)) {
			fprintf(stderr, "sparkflash: %s\n", msg);
			sf_print_command_usage(ctx, false);
			return SF_EXIT_USAGE;
		}
	}
	optind = 0;
	opterr = 0;
	/* '+': stop at the command word. */
	while ((opt = getopt_long(argc, argv, "+:qvhV", all, NULL)) != -1) {
		int rc;
		if (opt == 'h' || opt == OPT_HELP)
			return SF_CLI_HELP;
		if (opt == 'V')
			return SF_CLI_VERSION;
		if (opt == '?') {
			if (optopt && optopt < 0x100 && optopt != '?')
				fprintf(stderr, "sparkflash: unknown option '-%c'\n", optopt);
			else
				fprintf(stderr, "sparkflash: unknown option '%s'\n", argv[optind - 1]);
			sf_print_command_usage(ctx, false);
			return SF_EXIT_USAGE;
		}
		if (opt == ':') {
			fprintf(stderr, "sparkflash: option '%s' needs a value\n", argv[optind - 1]);
			sf_print_command_usage(ctx, false);
			return SF_EXIT_USAGE;
		}
		rc = common_option(ctx, opt, optarg);
		if (rc)
			return SF_EXIT_USAGE;
	}
	*command_index = optind;
	return 0;
}

void sf_ctx_finish(sf_ctx *ctx)
{
	const char *env;
	if (!ctx->sim_dir && (env = getenv("SPARKFLASH_SIM")) && *env)
		ctx->sim_dir = env;
	if (!ctx->dfu_util && (env = getenv("DFU_UTIL")) && *env)
		ctx->dfu_util = env;
	if (!ctx->dfu_util)
		ctx->dfu_util = SF_DEFAULT_DFU_UTIL;
}

int sf_cli_whole_seconds(const sf_ctx *ctx, const char *opt, const char *arg, long *out)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v < 1 || v > 86400)
		return sf_usage_error(ctx, "invalid %s '%s': give whole seconds from 1 to 86400", opt, arg);
	*out = v;
	return 0;
}

int sf_cli_data_stdout(const sf_ctx *ctx, const char *name, int *fd)
{
	*fd = -1;
	if (ctx->json)
		return sf_usage_error(ctx, "'%s' is standard output, where --json prints its events: write the data to a file, or drop --json",
				      name);
	if (!ctx->dry_run && isatty(STDOUT_FILENO))
		return sf_usage_error(ctx, "'%s' is standard output, which is a terminal: redirect it (e.g. '> out.bin') or give a file name",
				      name);
	if ((*fd = sf_out_data_stdout()) < 0) {
		fprintf(stderr, "sparkflash: cannot use standard output for the data: %s\n", strerror(errno));
		return SF_EXIT_INTERNAL;
	}
	return 0;
}

int sf_cli_check_options(const sf_ctx *ctx, int argc, char **argv, const struct option *const *tables)
{
	struct option all[128];
	size_t n = 0;
	char msg[600];

	for (const struct option *o = common_opts; o->name && n < 127; o++)
		all[n++] = *o;
	for (size_t t = 0; tables && tables[t]; t++)
		for (const struct option *o = tables[t]; o->name && n < 127; o++) {
			bool dup = false;
			for (size_t k = 0; k < n; k++)
				if (!strcmp(all[k].name, o->name))
					dup = true;
			if (!dup)
				all[n++] = *o;
		}
	all[n] = (struct option){ NULL, 0, NULL, 0 };
	if (check_long_names(argc, argv, all, ":qvh", false, msg, sizeof msg))
		return sf_usage_error(ctx, "%s", msg);
	return 0;
}
