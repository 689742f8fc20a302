/* `sparkflash sim`: manage simulated DfuSe devices (src/sim/store.h) and run
 * programs against them (src/sim_env.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jsontext.h"
#include "usbop.h"
#include "cli.h"
#include "fileio.h"
#include "commands.h"
#include "out.h"
#include "profile_io.h"
#include "sim/model.h"
#include "sim/store.h"
#include "sim_env.h"

extern char **environ;

enum { OPT_TIMING = SF_OPT_COMMAND_BASE, OPT_FAULT, OPT_FORCE, OPT_MODE, OPT_RUNTIME, OPT_REFUSED };

typedef struct sim_opts {
	const char *timing;
	const char *faults[SF_SIM_MAX_FAULTS];
	size_t nfaults;
	bool force;
	const char *mode;   /* sim add --mode dfu|runtime */
	bool runtime;       /* sim reset --runtime */
	const char *refused; /* sim add --refused silent|stall|status */
} sim_opts;

static int on_option(sf_ctx *ctx, int opt, const char *arg, void *data)
{
	sim_opts *o = data;
	switch (opt) {
	case OPT_TIMING:
		if (strcmp(arg, "fast") && strcmp(arg, "real"))
			return sf_usage_error(ctx, "invalid --timing '%s': use fast or real", arg);
		o->timing = arg;
		return 0;
	case OPT_FAULT: {
		sf_sim_faults f;
		sf_err err = { 0, "" };
		sf_sim_faults_init(&f);
		if (sf_sim_fault_parse(arg, &f, &err) != 0)
			return sf_usage_error(ctx, "%s", err.msg);
		if (o->nfaults >= SF_SIM_MAX_FAULTS)
			return sf_usage_error(ctx, "too many --fault options (at most %d)", SF_SIM_MAX_FAULTS);
		o->faults[o->nfaults++] = arg;
		return 0;
	}
	case OPT_FORCE:
		o->force = true;
		return 0;
	case OPT_MODE:
		if (strcmp(arg, "dfu") && strcmp(arg, "runtime"))
			return sf_usage_error(ctx, "invalid --mode '%s': use dfu or runtime", arg);
		o->mode = arg;
		return 0;
	case OPT_RUNTIME:
		o->runtime = true;
		return 0;
	case OPT_REFUSED: {
		enum sf_bl_refused r;
		if (sf_bl_refused_parse(arg, &r) != 0)
			return sf_usage_error(ctx, "invalid --refused '%s': use silent (reports success, changes nothing), stall (stalls the status request) or status (dfuERROR with a status)", arg);
		o->refused = arg;
		return 0;
	}
	default:
		return sf_usage_error(ctx, "unknown option");
	}
}

static json_t *device_json(const sf_sim_device *d);

static int fail(const sf_ctx *ctx, const sf_err *err)
{
	sf_out_error(ctx, "%s", err->msg);
	return err->code ? err->code : SF_EXIT_INTERNAL;
}

static int sim_add(sf_ctx *ctx, const sim_opts *o, char **args, int nargs)
{
	sf_profile_path pp;
	sf_profile prof;
	sf_err err = { 0, "" };
	sf_sim_new spec;
	char serial[64];
	sf_sim_device d;
	int rc;

	if (nargs != 1)
		return sf_usage_error(ctx, "sim add takes one PROFILE (a name like 'core' or a file)");
	sf_profile_path_init(&pp, ctx->profiles_dirs, ctx->nprofiles_dirs);
	if ((rc = sf_profile_find(&pp, args[0], &prof, &err)) != 0)
		return fail(ctx, &err);
	memset(&spec, 0, sizeof spec);
	spec.profile_file = prof.source;
	spec.profile = &prof;
	spec.serial = ctx->serial;
	spec.path = ctx->usb_path;
	spec.real_timing = o->timing && !strcmp(o->timing, "real");
	spec.runtime = o->mode && !strcmp(o->mode, "runtime");
	spec.faults = o->faults;
	spec.nfaults = o->nfaults;
	spec.refused = o->refused;
	rc = sf_sim_device_create(ctx->sim_dir, &spec, serial, sizeof serial, &err);
	sf_profile_free(&prof);
	if (rc)
		return fail(ctx, &err);
	if ((rc = sf_sim_device_load(ctx->sim_dir, serial, &d, &err)) != 0)
		return fail(ctx, &err);
	if (ctx->json)
	{
		json_t *doc = device_json(&d);
		sf_out_json_line(doc);
		json_decref(doc);
	}
	else
		sf_out_info(ctx, "added %s (%s) serial=%s path=\"%s\" devnum=%d, in %s mode",
			    d.profile.name ? d.profile.name : d.profile.id, d.profile.id, d.serial,
			    d.path, d.devnum, d.mode == SF_SIM_RUNTIME ? "runtime (normal)" : "DFU");
	sf_sim_device_free(&d);
	return 0;
}

static uint64_t sum32(const uint32_t *v, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; v && i < n; i++)
		s += v[i];
	return s;
}

static json_t *device_json(const sf_sim_device *d)
{
	json_t *alts = json_array(), *faults = json_array();
	char usb[16];
	json_t *spent = json_array();
	for (size_t i = 0; i < d->nfaults; i++) {
		json_array_append_new(faults, json_string(d->fault_specs[i]));
		if (d->spent[i])
			json_array_append_new(spent, json_string(d->fault_specs[i]));
	}
	for (size_t i = 0; i < d->profile.nalts; i++) {
		const sf_alt *a = &d->profile.alts[i];
		json_t *pe = json_array();
		for (size_t k = 0; k < d->counters[i].npages; k++)
			json_array_append_new(pe, json_integer(d->counters[i].erases[k]));
		json_array_append_new(alts, json_pack("{s:i, s:s, s:I, s:I, s:I, s:o}", "alt", a->alt,
						      "name", a->layout_text,
						      "size", (json_int_t)sf_sim_layout_size(&a->layout),
						      "erases", (json_int_t)sum32(d->counters[i].erases, d->counters[i].npages),
						      "programs", (json_int_t)sum32(d->counters[i].programs, d->counters[i].npages),
						      "page_erases", pe));
	}
	snprintf(usb, sizeof usb, "%04x:%04x", d->mode == SF_SIM_RUNTIME ? d->profile.runtime.vid : d->profile.dfu.vid,
		 d->mode == SF_SIM_RUNTIME ? d->profile.runtime.pid : d->profile.dfu.pid);
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:s, s:o, s:o, s:s, s:i, s:s, s:I, s:I, s:o}",
			 "serial", d->serial, "profile", d->profile.id ? d->profile.id : "",
			 "usb", usb, "path", d->path, "bus", d->bus, "devnum", d->devnum,
			 "mode", sf_sim_mode_name(d->mode), "timing", d->real_timing ? "real" : "fast",
			 "faults", faults, "spent_faults", spent, "refused", sf_bl_refused_name(d->profile.bootloader.refused),
			 "dfu_state", d->dfu_state,
			 "dfu_status", sf_dfu_status_name(d->dfu_status) ? sf_dfu_status_name(d->dfu_status) : "?",
			 "last_address", (json_int_t)d->last_address, "sessions", (json_int_t)d->sessions,
			 "alts", alts);
}

static int sim_list(sf_ctx *ctx, char **args, int nargs)
{
	char **names;
	size_t n;
	sf_err err = { 0, "" };
	json_t *list = NULL;
	int rc = 0;
	(void)args;
	if (nargs != 0)
		return sf_usage_error(ctx, "sim list takes no arguments");
	if (sf_sim_device_names(ctx->sim_dir, &names, &n, &err) != 0)
		return fail(ctx, &err);
	if (ctx->json)
		list = json_array();
	else if (n)
		printf("%-24s %-9s %-9s %-8s %-6s %-7s %-6s %s\n", "SERIAL", "PROFILE", "USB", "PATH",
		       "DEVNUM", "MODE", "TIMING", "FAULTS");
	for (size_t i = 0; i < n; i++) {
		sf_sim_device d;
		if (sf_sim_device_load(ctx->sim_dir, names[i], &d, &err) != 0) {
			sf_out_warning(ctx, "%s", err.msg);
			rc = SF_EXIT_INTERNAL;
			continue;
		}
		if (list) {
			json_array_append_new(list, device_json(&d));
		} else {
			char faults[256] = "", usb[16];
			size_t used = 0;
			for (size_t k = 0; k < d.nfaults && used < sizeof faults; k++) {
				int w = snprintf(faults + used, sizeof faults - used, "%s%s", k ? "," : "", d.fault_specs[k]);
				if (w > 0)
					used += (size_t)w;
			}
			snprintf(usb, sizeof usb, "%04x:%04x", d.mode == SF_SIM_RUNTIME ? d.profile.runtime.vid : d.profile.dfu.vid,
				 d.mode == SF_SIM_RUNTIME ? d.profile.runtime.pid : d.profile.dfu.pid);
			printf("%-24s %-9s %-9s %-8s %-6d %-7s %-6s %s\n", d.serial, d.profile.id, usb, d.path,
			       d.devnum, sf_sim_mode_name(d.mode), d.real_timing ? "real" : "fast",
			       d.nfaults ? faults : "-");
		}
		sf_sim_device_free(&d);
	}
	if (list) {
		json_t *doc = json_pack("{s:o}", "devices", list);
		sf_out_json_line(doc);
		json_decref(doc);
	}
	else if (!n && !ctx->quiet)
		fprintf(stderr, "no simulated devices in '%s'; add one with 'sparkflash --sim %s sim add core'\n",
			ctx->sim_dir, ctx->sim_dir);
	fflush(stdout);
	sf_sim_names_free(names, n);
	return rc;
}

static void json_line_free(json_t *doc)
{
	if (doc)
		sf_out_json_line(doc);
	json_decref(doc);
}

static int sim_remove(sf_ctx *ctx, char **args, int nargs)
{
	sf_err err = { 0, "" };
	if (nargs != 1)
		return sf_usage_error(ctx, "sim remove takes one serial number");
	if (sf_sim_device_remove(ctx->sim_dir, args[0], &err) != 0)
		return fail(ctx, &err);
	sf_out_info(ctx, "removed %s", args[0]);
	if (ctx->json) /* like add and list: one JSON document on stdout */
		json_line_free(json_pack("{s:s, s:b}", "serial", args[0], "removed", 1));
	return 0;
}

static int sim_reset(sf_ctx *ctx, const sim_opts *o, char **args, int nargs)
{
	sf_err err = { 0, "" };
	if (nargs != 1)
		return sf_usage_error(ctx, "sim reset takes one serial number");
	if (sf_sim_device_reset(ctx->sim_dir, args[0], o->runtime, &err) != 0)
		return fail(ctx, &err);
	sf_out_info(ctx, "%s is in %s mode", args[0], o->runtime ? "runtime (normal)" : "DFU");
	if (ctx->json) {
		sf_sim_device d;
		if (sf_sim_device_load(ctx->sim_dir, args[0], &d, &err) == 0) {
			json_line_free(device_json(&d));
			sf_sim_device_free(&d);
		}
	}
	return 0;
}

/* Copies `size` bytes of src to a new file next to dst, then renames (or
 * links) it into place (fileio.h: never through a link, never a device). */
static int write_atomic(const char *src, uint64_t size, const char *dst, bool force, sf_err *err)
{
	char buf[65536];
	uint64_t left = size;
	sf_atomic a;
	FILE *in;
	int rc;
	if ((rc = sf_atomic_begin(&a, dst, 0666, force, err)))
		return rc;
	if (!(in = fopen(src, "rb"))) {
		int e = errno;
		sf_atomic_abort(&a);
		return sf_err_set(err, SF_EXIT_INTERNAL, "cannot copy '%s': %s", src, strerror(e));
	}
	while (left) {
		size_t k = left < sizeof buf ? (size_t)left : sizeof buf;
		if (fread(buf, 1, k, in) != k || sf_write_all(a.fd, buf, k) != 0)
			break;
		left -= k;
	}
	fclose(in);
	if (left) {
		int e = errno;
		sf_atomic_abort(&a);
		return sf_err_set(err, SF_EXIT_INTERNAL, "cannot write '%s': %s", dst, e ? strerror(e) : "short copy");
	}
	return sf_atomic_commit(&a, err);
}

static int sim_dump(sf_ctx *ctx, const sim_opts *o, char **args, int nargs)
{
	sf_err err = { 0, "" };
	sf_sim_device d;
	char *end, *img = NULL;
	long alt;
	int rc, lock;
	size_t idx;
	if (nargs != 3)
		return sf_usage_error(ctx, "sim dump takes SERIAL ALT OUTFILE");
	errno = 0;
	alt = strtol(args[1], &end, 10);
	if (errno || *end || end == args[1] || alt < 0 || alt > 255)
		return sf_usage_error(ctx, "invalid alt '%s': give the alt setting number, e.g. 0", args[1]);
	if ((rc = sf_sim_device_load(ctx->sim_dir, args[0], &d, &err)) != 0)
		return fail(ctx, &err);
	for (idx = 0; idx < d.profile.nalts; idx++)
		if (d.profile.alts[idx].alt == alt)
			break;
	if (idx == d.profile.nalts) {
		sf_err_set(&err, SF_EXIT_USAGE, "device '%s' (%s) has no alt %ld", d.serial, d.profile.id, alt);
		sf_sim_device_free(&d);
		return fail(ctx, &err);
	}
	/* Shared lock: no session is writing while we copy. */
	lock = sf_sim_lock(d.dir, false, false, &err);
	if (lock >= 0 && (img = sf_sim_image_path(&d, idx)))
		rc = write_atomic(img, sf_sim_layout_size(&d.profile.alts[idx].layout), args[2], o->force, &err);
	else
		rc = err.code ? err.code : sf_err_set(&err, SF_EXIT_INTERNAL, "out of memory");
	sf_sim_unlock(lock);
	free(img);
	if (!rc && ctx->json)
		json_line_free(json_pack("{s:s, s:i, s:o, s:I}", "serial", d.serial, "alt", (int)alt,
					 "file", sf_json_text(args[2]),
					 "bytes", (json_int_t)sf_sim_layout_size(&d.profile.alts[idx].layout)));
	sf_sim_device_free(&d);
	if (rc)
		return fail(ctx, &err);
	return 0;
}

static int sim_exec(sf_ctx *ctx, char **args, int nargs)
{
	sf_err err = { 0, "" };
	char **env;
	pid_t pid;
	int status;
	if (nargs < 1)
		return sf_usage_error(ctx, "sim exec needs a command: sim exec -- CMD ARGS...");
	if (sf_sim_child_env(ctx->sim_dir, environ, &env, &err) != 0)
		return fail(ctx, &err);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		sf_env_free(env);
		sf_err_set(&err, SF_EXIT_INTERNAL, "cannot start '%s': %s", args[0], strerror(errno));
		return fail(ctx, &err);
	}
	if (pid == 0) {
		char **argv = calloc((size_t)nargs + 1, sizeof *argv);
		if (argv) {
			memcpy(argv, args, (size_t)nargs * sizeof *argv);
			execvpe(args[0], argv, env);
		}
		fprintf(stderr, "sparkflash: cannot run '%s': %s\n", args[0], strerror(errno));
		_exit(127);
	}
	sf_env_free(env);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			sf_err_set(&err, SF_EXIT_INTERNAL, "waiting for '%s': %s", args[0], strerror(errno));
			return fail(ctx, &err);
		}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return SF_EXIT_INTERNAL;
}

/* Index of the subcommand word "exec" (the first word that is neither an
 * option nor an option's value), or 0. */
static int exec_word(int argc, char **argv)
{
	static const char *const valued[] = { "--profiles-dir", "--sim", "--dfu-util", "--profile",
					      "--serial", "--path", "--log", "--timeout", "--timing",
					      "--fault", "--refused", NULL };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool takes = false;
		if (!strcmp(a, "--"))
			return 0;
		if (a[0] == '-' && a[1]) {
			for (size_t k = 0; valued[k]; k++)
				if (!strcmp(a, valued[k]))
					takes = true;
			if (takes)
				i++;
			continue;
		}
		return strcmp(a, "exec") ? 0 : i;
	}
	return 0;
}

static const struct option sim_longopts[] = {
	{ "timing", required_argument, NULL, OPT_TIMING },
	{ "fault", required_argument, NULL, OPT_FAULT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "runtime", no_argument, NULL, OPT_RUNTIME },
	{ "refused", required_argument, NULL, OPT_REFUSED },
	{ NULL, 0, NULL, 0 },
};

int cmd_sim(sf_ctx *ctx, int argc, char **argv)
{
	sim_opts o = { 0 };
	int first, rc;
	const char *sub;
	char **args;
	int nargs;

	/* 'sim exec dfu-util -l' without '--': everything after the word
	 * exec is the command's, so only the words before it are parsed
	 * (else getopt takes -l as ours and refuses it). */
	int exec_at = exec_word(argc, argv);
	rc = sf_cli_parse(ctx, exec_at ? exec_at + 1 : argc, argv, "", sim_longopts, on_option, &o, &first);
	if (rc == SF_CLI_HELP)
		return SF_EXIT_OK;
	if (rc)
		return rc;
	if (exec_at) {
		first = exec_at;
		args = argv + exec_at + 1;
		nargs = argc - exec_at - 1;
		if (nargs > 0 && !strcmp(args[0], "--")) {
			args++;
			nargs--;
		}
	} else {
		if (first >= argc)
			return sf_usage_error(ctx, "which sim command? add, list, remove, dump, reset or exec");
		args = argv + first + 1;
		nargs = argc - first - 1;
	}
	sub = argv[first];
	if (!ctx->sim_dir)
		return sf_usage_error(ctx, "no simulation directory: pass --sim DIR or set SPARKFLASH_SIM");
	if (strcmp(sub, "add") && (o.timing || o.nfaults))
		return sf_usage_error(ctx, "--timing and --fault belong to 'sim add'");
	if (strcmp(sub, "dump") && o.force)
		return sf_usage_error(ctx, "--force belongs to 'sim dump'");
	if (strcmp(sub, "add") && o.mode)
		return sf_usage_error(ctx, "--mode belongs to 'sim add'");
	if (strcmp(sub, "add") && o.refused)
		return sf_usage_error(ctx, "--refused belongs to 'sim add'");
	if (strcmp(sub, "reset") && o.runtime)
		return sf_usage_error(ctx, "--runtime belongs to 'sim reset'");
	if (!strcmp(sub, "add"))
		return sim_add(ctx, &o, args, nargs);
	if (!strcmp(sub, "list"))
		return sim_list(ctx, args, nargs);
	if (!strcmp(sub, "remove"))
		return sim_remove(ctx, args, nargs);
	if (!strcmp(sub, "dump"))
		return sim_dump(ctx, &o, args, nargs);
	if (!strcmp(sub, "reset"))
		return sim_reset(ctx, &o, args, nargs);
	if (!strcmp(sub, "exec"))
		return sim_exec(ctx, args, nargs);
	return sf_usage_error(ctx, "unknown sim command '%s': use add, list, remove, dump, reset or exec", sub);
}

/* The options of this command besides the common ones (commands.h). */
const struct option *const sf_options_sim[] = { sim_longopts, NULL };
