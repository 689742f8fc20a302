#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "sf_error.h"

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
	if (to_stdout)
		fprintf(f, "\nCommon options: --json --dry-run --profile NAME|PATH --serial SN --path BUS-PORT\n"
			   "  --profiles-dir DIR --sim DIR --dfu-util PATH --log FILE --timeout SECONDS --detach -q -v -h\n");
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
