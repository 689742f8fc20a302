/* sparkflash flash: write a file over USB (DFU) as spark-cli did, plus any
 * address; `flash DEVICE FILE` / `flash --cloud ...` go to the cloud code. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "apps.h"
#include "cloud_cmd.h"
#include "commands.h"
#include "devsel.h"
#include "fanout.h"
#include "flashdev.h"
#include "flashword.h"
#include "fleet.h"
#include "images.h"
#include "jsontext.h"
#include "module.h"
#include "out.h"
#include "plan.h"
#include "profile_io.h"
#include "result.h"
#include "runpolicy.h"
#include "selfdirs.h"
#include "sf_spawn.h"
#include "suggest.h"
#include "usbop.h"

enum {
	OPT_USB = SF_OPT_COMMAND_BASE,
	OPT_FACTORY,
	OPT_SEGMENT,
	OPT_ALT,
	OPT_FORCE,
	OPT_ALLOW,
	OPT_LEAVE,
	OPT_NO_LEAVE,
	OPT_VERIFY,
	OPT_CLOUD,
	OPT_ALL,
	OPT_COUNT,
	OPT_JOBS,
	OPT_WAIT,
	OPT_RETRIES,
	OPT_SKIP_UNCHANGED,
	OPT_DIFF,
	OPT_BACKUP,
	OPT_DEADLINE,
	OPT_APPS_DIR,
};

static const struct option flash_opts[] = {
	{ "usb", no_argument, NULL, OPT_USB },
	{ "factory", no_argument, NULL, OPT_FACTORY },
	{ "segment", required_argument, NULL, OPT_SEGMENT },
	{ "alt", required_argument, NULL, OPT_ALT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "allow-protected", required_argument, NULL, OPT_ALLOW },
	{ "leave", no_argument, NULL, OPT_LEAVE },
	{ "no-leave", no_argument, NULL, OPT_NO_LEAVE },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "cloud", no_argument, NULL, OPT_CLOUD },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "skip-unchanged", no_argument, NULL, OPT_SKIP_UNCHANGED },
	{ "diff", no_argument, NULL, OPT_DIFF },
	{ "backup", required_argument, NULL, OPT_BACKUP },
	{ "deadline", required_argument, NULL, OPT_DEADLINE },
	{ "apps-dir", required_argument, NULL, OPT_APPS_DIR },
	{ NULL, 0, NULL, 0 },
};

struct flash_args {
	bool usb, factory, verify, cloud;
	const char *segment;
	sf_op_request req;
	/* CI: several devices, waiting, retries, unchanged pages, backups */
	bool all, multi, skip_unchanged, diff;
	unsigned count, jobs, retries;
	bool count_given;
	double wait, deadline;
	const char *backup;
	const char *apps_dir;     /* --apps-dir DIR: named apps, first */
};

/* Options of the CI features, checked before anything is listed. */
static int parse_count(sf_ctx *ctx, const char *opt, const char *arg, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || end == arg || arg[0] == '-' || v < min || v > max)
		return sf_usage_error(ctx, "invalid %s '%s': give a whole number from %u to %u", opt, arg, min, max);
	*out = (unsigned)v;
	return 0;
}

static int parse_seconds(sf_ctx *ctx, const char *opt, const char *arg, double *out)
{
	char *end;
	double t;
	errno = 0;
	t = strtod(arg, &end);
	if (errno || *end || end == arg || !(t > 0) || t > 86400)
		return sf_usage_error(ctx, "invalid %s '%s': give seconds, more than 0 and at most 86400 (e.g. 30 or 2.5)",
				      opt, arg);
	*out = t;
	return 0;
}

static int flash_opt(sf_ctx *ctx, int opt, const char *arg, void *data)
{
	struct flash_args *a = data;
	switch (opt) {
	case OPT_USB: a->usb = true; return 0;
	case OPT_FACTORY: a->factory = true; return 0;
	case OPT_SEGMENT: a->segment = arg; return 0;
	case OPT_ALT: a->req.alt = arg; return 0;
	case OPT_FORCE: a->req.force = true; return 0;
	case OPT_ALLOW:
		if (a->req.nallow_protected >= SF_PLAN_MAX_ALLOW)
			return sf_usage_error(ctx, "too many --allow-protected options (at most %d)",
					      SF_PLAN_MAX_ALLOW);
		a->req.allow_protected[a->req.nallow_protected++] = arg;
		return 0;
	case OPT_LEAVE: a->req.leave = SF_LEAVE_YES; return 0;
	case OPT_NO_LEAVE: a->req.leave = SF_LEAVE_NO; return 0;
	case OPT_VERIFY: a->verify = true; return 0;
	case OPT_CLOUD: a->cloud = true; return 0;
	case OPT_ALL: a->all = true; return 0;
	case OPT_COUNT: a->count_given = true; return parse_count(ctx, "--count", arg, 1, 10000, &a->count);
	case OPT_JOBS: return parse_count(ctx, "--jobs", arg, 1, 1000, &a->jobs);
	case OPT_RETRIES: return parse_count(ctx, "--retries", arg, 0, 100, &a->retries);
	case OPT_WAIT: return parse_seconds(ctx, "--wait", arg, &a->wait);
	case OPT_DEADLINE: return parse_seconds(ctx, "--deadline", arg, &a->deadline);
	case OPT_SKIP_UNCHANGED: a->skip_unchanged = true; return 0;
	case OPT_DIFF: a->diff = true; return 0;
	case OPT_BACKUP:
		if (!*arg)
			return sf_usage_error(ctx, "--backup needs a directory, got an empty string");
		a->backup = arg;
		return 0;
	case OPT_APPS_DIR:
		if (!*arg)
			return sf_usage_error(ctx, "--apps-dir needs a directory, got an empty string");
		a->apps_dir = arg;
		return 0;
	default: return sf_usage_error(ctx, "unknown option");
	}
}

/* ---- the words of the command line ---------------------------------- */

/* Whether option `arg` ("--name") takes its value from the next word: the
 * common options and those of flash and cloud flash (whose words pass
 * through here). */
static bool takes_value(const char *arg)
{
	if (strncmp(arg, "--", 2) || strchr(arg, '='))
		return false;
	for (const struct option *o = sf_cli_common_options(); o->name; o++)
		if (!strcmp(o->name, arg + 2))
			return o->has_arg == required_argument;
	for (const struct option *o = flash_opts; o->name; o++)
		if (!strcmp(o->name, arg + 2))
			return o->has_arg == required_argument;
	for (size_t t = 0; sf_options_cloud[t]; t++)
		for (const struct option *o = sf_options_cloud[t]; o->name; o++)
			if (!strcmp(o->name, arg + 2))
				return o->has_arg == required_argument;
	return false;
}

/* Where the positional words are, and which of the form-deciding options
 * were given (as getopt will see them: "--" ends the options). */
struct words {
	int pos[256];
	int npos;
	bool cloud, usb_form; /* --cloud; --usb, --factory or --segment */
};

static void scan_words(int argc, char **argv, struct words *w)
{
	memset(w, 0, sizeof *w);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			for (i++; i < argc && w->npos < 256; i++)
				w->pos[w->npos++] = i;
			break;
		}
		if (a[0] == '-' && a[1]) {
			if (!strcmp(a, "--cloud"))
				w->cloud = true;
			else if (!strcmp(a, "--usb") || !strcmp(a, "--factory") || !strcmp(a, "--segment") ||
				 !strncmp(a, "--segment=", 10))
				w->usb_form = true;
			if (takes_value(a))
				i++;
			continue;
		}
		if (w->npos < 256)
			w->pos[w->npos++] = i;
	}
}

/* argv without the word at index `drop` (-1: none) and without --cloud;
 * NULL-terminated, *n gets the count. */
static char **argv_without(int argc, char **argv, int drop, int *n)
{
	char **v = calloc((size_t)argc + 1, sizeof *v);
	bool options = true;
	*n = 0;
	if (!v)
		return NULL;
	for (int i = 0; i < argc; i++) {
		if (i == drop)
			continue;
		if (options && !strcmp(argv[i], "--"))
			options = false;
		if (options && !strcmp(argv[i], "--cloud"))
			continue;
		v[(*n)++] = argv[i];
	}
	return v;
}

/* Segment names of every profile on the search path (for refusing them
 * as device names); *all keeps them alive. */
static size_t segment_names(const sf_ctx *ctx, sf_profile **all, size_t *nall, const char ***names)
{
	sf_profile_path path;
	sf_err err = { 0 };
	size_t n = 0, cap = 0;
	*all = NULL;
	*nall = 0;
	*names = NULL;
	sf_profile_path_init(&path, ctx->profiles_dirs, ctx->nprofiles_dirs);
	if (sf_profile_load_all(&path, all, nall, &err))
		return 0; /* the built-in Particle names still count */
	for (size_t i = 0; i < *nall; i++)
		cap += (*all)[i].nsegments;
	if (!cap || !(*names = calloc(cap, sizeof **names)))
		return 0;
	for (size_t i = 0; i < *nall; i++)
		for (size_t k = 0; k < (*all)[i].nsegments; k++)
			(*names)[n++] = (*all)[i].segments[k].name;
	return n;
}

/* spark-cli's `flash DEVICE FILE`: is DEVICE a device, an address, or
 * probably a mistake (then the usage error, and no request is made)? */
static sf_word_kind classify(const sf_ctx *ctx, const char *word, const char *file, char *msg, size_t size)
{
	sf_profile *all;
	size_t nall;
	const char **names;
	size_t n = segment_names(ctx, &all, &nall, &names);
	struct stat st;
	bool is_file = stat(word, &st) == 0 && !S_ISDIR(st.st_mode);
	sf_word_kind k = sf_flash_word(word, names, n, is_file, file, msg, size);
	free(names);
	sf_profile_free_all(all, nall);
	return k;
}

/* The job for every device: the images (read and checked once), in the
 * order they go. */
struct images {
	sf_flash_image img[SF_IMAGES_MAX];
	sf_flash_image ordered[SF_IMAGES_MAX];
	size_t n;
};

static void images_free(struct images *im)
{
	for (size_t i = 0; i < im->n; i++)
		sf_flash_image_free(&im->img[i]);
	im->n = 0;
}

static int images_load(const sf_ctx *ctx, struct flash_args *a, const char *const *files, size_t nfiles,
		       struct images *im, sf_err *err)
{
	const sf_module_info *mods[SF_IMAGES_MAX];
	const char *names[SF_IMAGES_MAX];
	size_t order[SF_IMAGES_MAX];
	int rc;

	if (nfiles > SF_IMAGES_MAX)
		return sf_err_set(err, SF_EXIT_USAGE, "at most %d images in one run, got %zu", SF_IMAGES_MAX, nfiles);
	for (size_t i = 0; i < nfiles; i++) {
		/* a --log file (single device) must not be an input */
		if (!a->multi && (rc = sf_usbop_check_log(ctx, files[i], err)))
			return rc;
		if ((rc = sf_flash_image_load(files[i], &im->img[i], err)))
			return rc;
		im->n++;
		mods[i] = &im->img[i].mi;
		names[i] = files[i];
	}
	if ((rc = sf_images_order(mods, names, im->n, order, err)))
		return rc;
	/* the job sees them in order (shallow copies: img[] owns the data) */
	for (size_t i = 0; i < im->n; i++)
		im->ordered[i] = im->img[order[i]];
	return 0;
}

/* With --profile every image is checked before anything is listed. */
static int preplan(const sf_ctx *ctx, const sf_flash_job *job, sf_err *err)
{
	for (size_t i = 0; i < job->nimages; i++) {
		sf_op_request req = job->req;
		sf_plan pl;
		int rc;
		req.file_size = job->images[i].plen;
		req.module = &job->images[i].mi;
		if ((rc = sf_plan_check_syntax(&req, err)) || (rc = sf_usbop_preplan(ctx, &req, &pl, err))) {
			if (job->nimages > 1) {
				char why[SF_ERR_MSG_MAX];
				snprintf(why, sizeof why, "%s", err->msg);
				sf_err_set(err, rc, "%s: %.450s", job->images[i].file, why);
			}
			return rc;
		}
	}
	return 0;
}

/* One device; `pre`: a device selected already (for a named app), taken over. */
static int run_single(sf_ctx *ctx, const sf_flash_job *job, sf_usbop *pre)
{
	sf_usbop own, *u = pre ? pre : &own;
	sf_flash_outcome out;
	int rc;
	if (!pre)
		sf_usbop_init(&own, ctx);
	u->force = job->req.force;
	rc = sf_flash_run(u, job, &out);
	sf_usbop_free(u);
	return rc;
}

/* ---- named apps (spark-cli's flash --usb tinker) ---------------------- */

/* A FILE that does not exist and could name an app. */
static bool app_wanted(const char *file)
{
	struct stat st;
	return strcmp(file, "-") && sf_app_word(file) && lstat(file, &st) != 0 && errno == ENOENT;
}

struct app_dirs {
	const char *dir[SF_PROFILE_ENV_MAX_DIRS + 2];
	size_t n;
	char env[4096];
};

/* --apps-dir, then SPARKFLASH_APPS (colon-separated), then the installed
 * $(pkgdatadir)/apps. */
static void app_dirs(const struct flash_args *a, struct app_dirs *d)
{
	const char *env = getenv("SPARKFLASH_APPS");
	d->n = 0;
	if (a->apps_dir)
		d->dir[d->n++] = a->apps_dir;
	if (env && *env) {
		char *p, *save = NULL;
		snprintf(d->env, sizeof d->env, "%s", env);
		for (p = strtok_r(d->env, ":", &save); p && d->n < SF_PROFILE_ENV_MAX_DIRS + 1;
		     p = strtok_r(NULL, ":", &save))
			d->dir[d->n++] = p;
	}
	d->dir[d->n++] = sf_selfdirs_get()->apps;
}

/* The file of named app `name` for profile `pid` in the apps directories
 * (into path), or an exit code with err saying where it was looked for
 * and where to put it. */
static int resolve_app(const sf_ctx *ctx, const struct flash_args *a, const char *pid, const char *name, char *path,
		       size_t size, sf_err *err)
{
	struct app_dirs d;
	char looked[300] = "", apps[200], hint[200] = "";
	size_t used = 0;
	const char *origin = sf_app_origin(name, pid);

	app_dirs(a, &d);
	for (size_t i = 0; i < d.n; i++) {
		struct stat st;
		if (!sf_app_path(d.dir[i], pid, name, path, size))
			continue;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			sf_out_info(ctx, "%s: the named app %s", name, path);
			return 0;
		}
		if (used < sizeof looked)
			used += (size_t)snprintf(looked + used, sizeof looked - used, "%s%s/%s", i ? ", " : "", d.dir[i],
						 pid);
	}
	sf_app_list(pid, apps, sizeof apps);
	sf_app_path(d.dir[0], pid, name, path, size);
	if (origin)
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "no image for the named app '%s' of %s: looked for %s.bin in %s; sparkflash ships no binaries: "
				  "put the %s %s image (particle-cli's %s) at %s",
				  name, pid, name, looked, pid, name, origin, path);
	if (sf_app_known(name))
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "'%s' is no file, and not a named app of %s (%s%s); no %s.bin in %s either",
				  name, pid, apps[0] ? "its apps: " : "it has none", apps, name, looked);
	{
		/* did you mean one of its apps? */
		const char *names[16];
		size_t n = 0;
		char *save = NULL, buf[200];
		snprintf(buf, sizeof buf, "%s", apps);
		for (char *p = strtok_r(buf, ", ", &save); p && n < 16; p = strtok_r(NULL, ", ", &save))
			names[n++] = p;
		sf_suggest_text(name, NULL, names, n, hint, sizeof hint);
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "'%s' does not exist: no such file, and no named app %s.bin for %s in %s%s",
				  name, name, pid, looked, hint);
	}
}

/* ---- several devices ------------------------------------------------ */

struct fleet {
	sf_ctx *ctx;                /* the parent's (no --log file: a directory) */
	const sf_flash_job *job;
	const char *log_dir;
	sf_target *targets;         /* one per worker */
	size_t ntargets;
	size_t *entry_of;           /* worker -> entry */
	char (*prefix)[320];
	const char **prefixes;
	sf_fleet_entry *entries;    /* every device, listing order */
	size_t nentries;
	double deadline;
};

static void log_name(const char *dir, const sf_fleet_entry *e, char *buf, size_t size)
{
	char s[160];
	size_t i = 0;
	const char *src = e->serial[0] ? e->serial : e->path;
	for (; src[i] && i < sizeof s - 1; i++) {
		char c = src[i];
		s[i] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		       c == '_' || c == '.' ? c : '_';
	}
	s[i] = '\0';
	snprintf(buf, size, "%s/%s%s.log", dir, e->serial[0] ? "" : "path-", s[0] ? s : "unknown");
}

static int fleet_work(void *data, size_t i, int result_fd)
{
	struct fleet *fl = data;
	const sf_fleet_entry *e = &fl->entries[fl->entry_of[i]];
	sf_ctx c = *fl->ctx;
	char logf[4400];
	sf_usbop u;
	sf_flash_outcome out;
	json_t *rec;
	char *text;
	int rc;

	c.tag_serial = true;
	c.event_serial = e->serial[0] ? e->serial : NULL;
	c.serial = e->serial[0] ? e->serial : NULL;
	c.usb_path = fl->targets[i].sel.path ? e->path : NULL;
	c.log_file = NULL;
	if (fl->log_dir) {
		log_name(fl->log_dir, e, logf, sizeof logf);
		c.log_file = logf;
	}
	sf_usbop_init(&u, &c);
	u.force = fl->job->req.force;
	sf_usbop_use_target(&u, &fl->targets[i]);
	rc = sf_flash_run(&u, fl->job, &out);
	sf_usbop_free(&u);
	rec = json_pack("{s:i, s:b, s:i, s:s}", "exit_code", rc, "unchanged", out.unchanged, "retries",
			(int)out.retries, "message", out.message);
	text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
	if (text) {
		size_t len = strlen(text), off = 0;
		while (off < len) {
			ssize_t w = write(result_fd, text + off, len - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += (size_t)w;
		}
	}
	free(text);
	json_decref(rec);
	return rc;
}

static void fleet_done(void *data, size_t i, int code, bool killed, const char *record)
{
	struct fleet *fl = data;
	sf_fleet_entry *e = &fl->entries[fl->entry_of[i]];
	json_t *rec = record && *record ? json_loads(record, 0, NULL) : NULL;
	if (rec && json_is_integer(json_object_get(rec, "exit_code"))) {
		const char *m = json_string_value(json_object_get(rec, "message"));
		e->exit_code = (int)json_integer_value(json_object_get(rec, "exit_code"));
		e->unchanged = json_is_true(json_object_get(rec, "unchanged"));
		e->retries = (unsigned)json_integer_value(json_object_get(rec, "retries"));
		snprintf(e->message, sizeof e->message, "%s", m ? m : "");
	} else if (killed && sf_deadline_passed(fl->deadline, sf_monotonic_s())) {
		e->exit_code = SF_EXIT_TIMEOUT;
		snprintf(e->message, sizeof e->message, "stopped at the --deadline");
	} else if (code > SF_EXIT_SIGNAL_BASE) {
		e->exit_code = code;
		snprintf(e->message, sizeof e->message, "stopped by %s before it finished",
			 code - SF_EXIT_SIGNAL_BASE == SIGINT ? "SIGINT (Ctrl-C)" :
			 code - SF_EXIT_SIGNAL_BASE == SIGTERM ? "SIGTERM" : "a signal");
	} else {
		e->exit_code = code ? code : SF_EXIT_INTERNAL;
		snprintf(e->message, sizeof e->message, "the worker for this device ended without a result (exit %d)",
			 code);
	}
	json_decref(rec);
}

/* The result event of a device no worker ran for (not found, not
 * openable): as a worker's, with "serial". */
static void entry_result(sf_ctx *ctx, const sf_fleet_entry *e, json_t *device, json_t *diagnoses)
{
	sf_ctx c = *ctx;
	json_t *res;
	c.tag_serial = true;
	c.event_serial = e->serial[0] ? e->serial : NULL;
	sf_out_error(&c, "%s: %s", e->label, e->message);
	res = sf_result_json(e->exit_code, e->message, device, NULL, ctx->dry_run);
	json_object_set_new(res, "verdict", json_string("failure"));
	if (diagnoses)
		json_object_set_new(res, "diagnoses", diagnoses);
	sf_out_event(&c, "result", res);
}

static int fleet_finish(sf_ctx *ctx, struct fleet *fl, int rc_override, const char *message)
{
	char text[300];
	int rc;
	json_t *sum = sf_fleet_summary_json(fl->entries, fl->nentries, ctx->dry_run);
	rc = rc_override ? rc_override : sf_fleet_exit_code(fl->entries, fl->nentries);
	if (rc_override) {
		json_object_set_new(sum, "ok", json_false());
		json_object_set_new(sum, "exit_code", json_integer(rc));
		json_object_set_new(sum, "error", json_string(sf_exit_name(rc)));
	}
	if (message)
		json_object_set_new(sum, "message", sf_json_text(message));
	sf_fleet_summary_text(fl->entries, fl->nentries, text, sizeof text);
	if (fl->nentries) {
		size_t need = sf_fleet_table(fl->entries, fl->nentries, NULL, 0) + 1;
		char *t = malloc(need);
		if (t) {
			sf_fleet_table(fl->entries, fl->nentries, t, need);
			if (!ctx->quiet)
				fprintf(ctx->json ? stderr : stdout, "%s", t);
			free(t);
		}
	}
	if (message)
		; /* printed as an error already */
	else if (rc)
		sf_out_error(ctx, "%s", text);
	else
		sf_out_info(ctx, "%s", text);
	sf_out_event(ctx, "summary", sum);
	return rc;
}

/* --all / several --serial or --path: one listing (waiting with --wait),
 * then one worker per device. */
static int run_fleet(sf_ctx *ctx, struct flash_args *a, const sf_flash_job *job)
{
	sf_ctx pc = *ctx;      /* the parent's listings are not logged */
	sf_listing ls = { 0 };
	sf_fleet_want want[2 * SF_CTX_MAX_SELECT];
	sf_fleet_seen *seen = NULL;
	size_t nwant = 0, *picks = NULL, npicks = 0, missing[2 * SF_CTX_MAX_SELECT], nmissing = 0;
	struct fleet fl = { .ctx = ctx, .job = job, .deadline = ctx->deadline };
	sf_err err = { 0 };
	bool met = false, listed_any = false;
	double start = sf_monotonic_s(), until = start + ctx->wait_s;
	int rc = 0;

	pc.log_file = NULL;
	ctx->tag_serial = true;
	ctx->event_serial = NULL;
	pc.tag_serial = true;
	for (size_t i = 0; i < ctx->nserials; i++)
		want[nwant++] = (sf_fleet_want){ .serial = ctx->serials[i] };
	for (size_t i = 0; i < ctx->npaths; i++)
		want[nwant++] = (sf_fleet_want){ .path = ctx->paths[i] };
	if (ctx->log_file) {
		struct stat st;
		if (stat(ctx->log_file, &st) != 0 && mkdir(ctx->log_file, 0777) != 0 && errno != EEXIST) {
			rc = sf_err_set(&err, SF_EXIT_REFUSED, "cannot create the --log directory '%s': %s", ctx->log_file,
					strerror(errno));
			goto fail;
		}
		if (stat(ctx->log_file, &st) != 0 || !S_ISDIR(st.st_mode)) {
			rc = sf_err_set(&err, SF_EXIT_USAGE,
					"with several devices --log names a directory (one log per serial), and '%s' is not one",
					ctx->log_file);
			goto fail;
		}
		fl.log_dir = ctx->log_file;
	}
	if (ctx->deadline > 0 && ctx->deadline - 0.1 < until)
		until = ctx->deadline - 0.1; /* the last look still runs before it */

	if (ctx->dry_run && ctx->profile && !a->all) {
		/* nothing is listed: the plan for each device asked for */
		fl.targets = calloc(nwant, sizeof *fl.targets);
		fl.entries = calloc(nwant, sizeof *fl.entries);
		fl.entry_of = calloc(nwant, sizeof *fl.entry_of);
		if (!fl.targets || !fl.entries || !fl.entry_of) {
			rc = sf_err_set(&err, SF_EXIT_INTERNAL, "out of memory");
			goto fail;
		}
		for (size_t w = 0; w < nwant; w++) {
			sf_fleet_entry *e = &fl.entries[w];
			if ((rc = sf_target_unlisted(ctx, want[w].serial, want[w].path, &fl.targets[w], &err)))
				goto fail;
			snprintf(e->serial, sizeof e->serial, "%s", want[w].serial ? want[w].serial : "");
			snprintf(e->path, sizeof e->path, "%s", want[w].path ? want[w].path : "");
			snprintf(e->label, sizeof e->label, "%s", e->serial[0] ? e->serial : e->path);
			fl.entry_of[w] = w;
		}
		fl.ntargets = fl.nentries = nwant;
	} else {
		bool tty = sf_wait_tty(ctx), shown = false;
		for (unsigned look = 0;; look++) {
			double now;
			sf_listing_free(&ls);
			free(seen);
			free(picks);
			seen = NULL;
			picks = NULL;
			if ((rc = sf_listing_take(&pc, &ls, &err)))
				goto fail;
			listed_any = true;
			seen = calloc(ls.n ? ls.n : 1, sizeof *seen);
			picks = calloc(ls.n ? ls.n : 1, sizeof *picks);
			if (!seen || !picks) {
				rc = sf_err_set(&err, SF_EXIT_INTERNAL, "out of memory");
				goto fail;
			}
			for (size_t i = 0; i < ls.n; i++)
				seen[i] = (sf_fleet_seen){ ls.targets[i].serial, ls.targets[i].path };
			met = sf_fleet_match(want, nwant, a->all, a->count, seen, ls.n, picks, &npicks, missing, &nmissing);
			now = sf_monotonic_s();
			if (met || !(ctx->wait_s > 0) || now + 0.005 >= until)
				break;
			if (look == 0) {
				char what[200];
				if (a->all)
					snprintf(what, sizeof what, "%u device%s", a->count ? a->count : 1,
						 a->count > 1 ? "s" : "");
				else
					sf_fleet_describe_missing(want, missing, nmissing, what, sizeof what);
				sf_out_event(ctx, "wait", json_pack("{s:f, s:s}", "seconds", ctx->wait_s, "for", what));
			}
			if (tty) {
				if (a->all)
					fprintf(stderr, "\rwaiting for %u device%s in DFU mode (%zu there): %.0f s left  ",
						a->count ? a->count : 1, a->count > 1 ? "s" : "", npicks, until - now);
				else
					fprintf(stderr, "\rwaiting for %zu of %zu devices in DFU mode: %.0f s left  ", nmissing,
						nwant, until - now);
				fflush(stderr);
				shown = true;
			}
			usleep((useconds_t)((until - now < 0.25 ? until - now : 0.25) * 1e6));
		}
		if (shown)
			fprintf(stderr, "\r%70s\r", "");
		if (ctx->wait_s > 0 && !met) {
			char miss[SF_ERR_MSG_MAX / 2];
			bool late = sf_deadline_passed(ctx->deadline, sf_monotonic_s() + 0.3);
			if (a->all)
				snprintf(miss, sizeof miss, "%zu of the %u device%s wanted (--count) in DFU mode", npicks,
					 a->count ? a->count : 1, a->count > 1 ? "s" : "");
			else
				sf_fleet_describe_missing(want, missing, nmissing, miss, sizeof miss);
			sf_listing_judge_none(&pc, &ls, NULL);
			rc = sf_err_set(&err, late ? SF_EXIT_TIMEOUT : SF_EXIT_NO_DEVICE,
					"%s %.1f s: %s%s; nothing was flashed",
					late ? "the --deadline passed while waiting," : "waited", sf_monotonic_s() - start,
					a->all ? "" : "not in DFU mode: ", miss);
			goto fail;
		}
		if (!npicks && !nmissing && !ls.nlocked) {
			sf_listing_judge_none(&pc, &ls, NULL);
			rc = sf_err_set(&err, SF_EXIT_NO_DEVICE, "no %s device in DFU mode found; %s", ctx->profile ? ctx->profile : "known",
					"put the devices in DFU mode (a Particle/Spark device blinks yellow), or pass --wait SECONDS");
			goto fail;
		}
		/* entries: the devices found (listing order), the ones asked for
		 * but missing, the ones that cannot be opened */
		{
			size_t nlock = a->all || nmissing ? ls.nlocked : 0;
			size_t cap = npicks + nmissing + nlock;
			fl.entries = calloc(cap ? cap : 1, sizeof *fl.entries);
			fl.targets = calloc(npicks ? npicks : 1, sizeof *fl.targets);
			fl.entry_of = calloc(npicks ? npicks : 1, sizeof *fl.entry_of);
			if (!fl.entries || !fl.targets || !fl.entry_of) {
				rc = sf_err_set(&err, SF_EXIT_INTERNAL, "out of memory");
				goto fail;
			}
			for (size_t k = 0; k < npicks; k++) {
				sf_target *t = &ls.targets[picks[k]];
				sf_fleet_entry *e = &fl.entries[fl.nentries];
				snprintf(e->serial, sizeof e->serial, "%s", t->serial);
				snprintf(e->path, sizeof e->path, "%s", t->path);
				snprintf(e->label, sizeof e->label, "%s", t->serial[0] ? t->serial : t->path);
				sf_target_pass_path(t, sf_fleet_needs_path(seen, ls.n, picks[k]));
				sf_target_move(&fl.targets[k], t);
				fl.entry_of[k] = fl.nentries++;
			}
			fl.ntargets = npicks;
			for (size_t k = 0; k < nmissing; k++) {
				sf_fleet_entry *e = &fl.entries[fl.nentries++];
				const sf_fleet_want *w = &want[missing[k]];
				snprintf(e->serial, sizeof e->serial, "%s", w->serial ? w->serial : "");
				snprintf(e->path, sizeof e->path, "%s", w->path ? w->path : "");
				snprintf(e->label, sizeof e->label, "%s", w->serial ? w->serial : w->path);
				e->exit_code = SF_EXIT_NO_DEVICE;
				if (ls.nlocked) {
					char lab[96], m[SF_ERR_MSG_MAX - 100];
					sf_locked_describe(&ls, 0, lab, sizeof lab, m, sizeof m, &e->exit_code);
					snprintf(e->message, sizeof e->message, "not listed; it may be the device dfu-util could not open: %s", m);
				} else {
					snprintf(e->message, sizeof e->message, "no %s device with %s %s in DFU mode%s",
						 ctx->profile ? ctx->profile : "known", w->serial ? "serial" : "path",
						 e->label, ctx->wait_s > 0 ? "" : " (pass --wait SECONDS to wait for it)");
				}
			}
			for (size_t k = 0; k < nlock && !nmissing; k++) {
				sf_fleet_entry *e = &fl.entries[fl.nentries++];
				sf_locked_describe(&ls, k, e->label, sizeof e->label, e->message, sizeof e->message,
						   &e->exit_code);
			}
		}
	}

	/* devices no worker runs for get their result now; a matching device
	 * dfu-util could not open is judged as a single flash judges it (the
	 * listing with "select none": permission-denied, exit 5) */
	{
		sf_diag_result judged = { 0 };
		bool have_judged = false;
		for (size_t k = 0; k < fl.nentries; k++) {
			sf_fleet_entry *e = &fl.entries[k];
			json_t *ids = NULL;
			sf_result_device d;
			if (!e->exit_code)
				continue;
			if (!e->serial[0] && listed_any && ls.nlocked) {
				if (!have_judged) {
					sf_listing_judge_none(&pc, &ls, &judged);
					have_judged = true;
				}
				if (judged.verdict == SF_VERDICT_FAILURE && judged.exit_code)
					e->exit_code = judged.exit_code;
				ids = json_array();
				for (size_t i = 0; i < judged.n; i++)
					json_array_append_new(ids, json_string(judged.items[i].id));
			}
			sf_result_device_init(&d);
			d.serial = e->serial;
			d.path = e->path;
			d.listed = 0;
			entry_result(ctx, e, sf_result_device_json(&d), ids);
		}
		sf_diag_result_free(&judged);
	}
	if (fl.ntargets) {
		sf_fanout fo = { 0 };
		int sig;
		fl.prefix = calloc(fl.ntargets, sizeof *fl.prefix);
		fl.prefixes = calloc(fl.ntargets, sizeof *fl.prefixes);
		if (!fl.prefix || !fl.prefixes) {
			rc = sf_err_set(&err, SF_EXIT_INTERNAL, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < fl.ntargets; i++) {
			snprintf(fl.prefix[i], sizeof fl.prefix[i], "%s: ", fl.entries[fl.entry_of[i]].label);
			fl.prefixes[i] = fl.prefix[i];
		}
		fo.n = fl.ntargets;
		fo.jobs = a->jobs;
		fo.prefix = fl.prefixes;
		fo.json_stdout = ctx->json;
		fo.hard_stop = ctx->deadline > 0 ? ctx->deadline + 5.0 : 0;
		fo.work = fleet_work;
		fo.done = fleet_done;
		fo.data = &fl;
		sig = sf_fanout_run(&fo, &err);
		if (sig < 0) {
			rc = -sig;
			goto fail;
		}
		if (sig) {
			rc = fleet_finish(ctx, &fl, SF_EXIT_SIGNAL_BASE + sig, NULL);
			goto out;
		}
	}
	rc = fleet_finish(ctx, &fl, 0, NULL);
	goto out;
fail:
	sf_out_error(ctx, "%s", err.msg);
	rc = fleet_finish(ctx, &fl, rc, err.msg);
out:
	for (size_t i = 0; fl.targets && i < fl.ntargets; i++)
		sf_target_free(&fl.targets[i]);
	free(fl.targets);
	free(fl.entries);
	free(fl.entry_of);
	free(fl.prefix);
	free(fl.prefixes);
	free(seen);
	free(picks);
	sf_listing_free(&ls);
	return rc;
}

static int run_flash(sf_ctx *ctx, struct flash_args *a, char **files, size_t nfiles)
{
	struct images im = { 0 };
	sf_flash_job job = { 0 };
	sf_err err = { 0 };
	const char *paths[SF_IMAGES_MAX];
	char (*app)[4200] = NULL;
	sf_usbop pre;
	bool have_pre = false, names = false;
	size_t nstdin = 0;
	int rc = 0;

	ctx->wait_s = a->wait;
	ctx->deadline = sf_deadline_at(a->deadline, sf_monotonic_s());
	job.req = a->req;
	job.verify = a->verify;
	job.skip_unchanged = a->skip_unchanged;
	job.diff = a->diff;
	job.backup_dir = a->backup;
	job.retries = a->retries;
	if (nfiles > SF_IMAGES_MAX)
		nfiles = SF_IMAGES_MAX + 1; /* images_load says so */
	for (size_t i = 0; i < nfiles && i < SF_IMAGES_MAX; i++) {
		paths[i] = files[i];
		nstdin += !strcmp(files[i], "-");
		names = names || (a->req.kind != SF_OP_WRITE_ADDRESS && a->req.kind != SF_OP_WRITE_SEGMENT &&
				  app_wanted(files[i]));
	}
	if (nstdin > 1)
		return sf_usage_error(ctx, "standard input ('-') can be read only once");
	if (names && nfiles <= SF_IMAGES_MAX) {
		/* a named app is the device's platform's: the device (or
		 * --profile) first */
		sf_profile prof;
		const char *pid = NULL;
		if (a->multi) {
			sf_profile_path path;
			if (!ctx->profile)
				return sf_usage_error(ctx, "a named app is looked up for one platform: with several devices give --profile");
			sf_profile_path_init(&path, ctx->profiles_dirs, ctx->nprofiles_dirs);
			if ((rc = sf_profile_find(&path, ctx->profile, &prof, &err)) == 0)
				pid = prof.id;
		} else {
			sf_usbop_init(&pre, ctx);
			have_pre = true;
			if ((rc = sf_usbop_select(&pre))) {
				sf_usbop_free(&pre);
				return rc; /* reported */
			}
			pid = pre.target.profile.id;
		}
		if (!rc && !(app = calloc(SF_IMAGES_MAX, sizeof *app)))
			rc = sf_err_set(&err, SF_EXIT_INTERNAL, "out of memory");
		for (size_t i = 0; !rc && i < nfiles; i++)
			if (app_wanted(files[i]) &&
			    !(rc = resolve_app(ctx, a, pid, files[i], app[i], sizeof app[i], &err)))
				paths[i] = app[i];
		if (a->multi && pid)
			sf_profile_free(&prof);
	}
	if (!rc && (rc = images_load(ctx, a, nfiles > SF_IMAGES_MAX ? (const char *const *)files : paths, nfiles,
				     &im, &err)) == 0) {
		job.images = im.ordered;
		job.nimages = im.n;
		rc = preplan(ctx, &job, &err);
	}
	if (!rc && a->backup && !ctx->dry_run) {
		struct stat st;
		if (stat(a->backup, &st) != 0 && mkdir(a->backup, 0777) != 0 && errno != EEXIST)
			rc = sf_err_set(&err, SF_EXIT_REFUSED, "cannot create the --backup directory '%s': %s", a->backup,
					strerror(errno));
		else if (stat(a->backup, &st) != 0 || !S_ISDIR(st.st_mode))
			rc = sf_err_set(&err, SF_EXIT_REFUSED, "--backup '%s' is not a directory", a->backup);
	}
	if (rc) {
		/* refused before anything was sent */
		if (a->multi) {
			struct fleet fl = { .ctx = ctx };
			ctx->tag_serial = true;
			sf_out_error(ctx, "%s", err.msg);
			rc = fleet_finish(ctx, &fl, rc, err.msg);
		} else {
			sf_usbop own, *u = have_pre ? &pre : &own;
			if (!have_pre)
				sf_usbop_init(&own, ctx);
			rc = sf_usbop_finish(u, rc, &err, NULL);
			sf_usbop_free(u);
		}
		images_free(&im);
		free(app);
		return rc;
	}
	rc = a->multi ? run_fleet(ctx, a, &job) : run_single(ctx, &job, have_pre ? &pre : NULL);
	images_free(&im);
	free(app);
	return rc;
}

/* particle-cli's `flash --serial FILE` (YMODEM over the serial port):
 * here --serial picks a device by its USB serial number. */
static int serial_is_file(const sf_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nserials; i++) {
		const char *sn = ctx->serials[i];
		size_t n = strlen(sn);
		struct stat st;
		bool image = n > 4 && (!strcmp(sn + n - 4, ".bin") || !strcmp(sn + n - 4, ".hex") ||
				       !strcmp(sn + n - 4, ".dfu"));
		if (image || (stat(sn, &st) == 0 && S_ISREG(st.st_mode))) {
			char *q = sf_shell_quote(sn);
			int rc = sf_usage_error(ctx,
						"--serial takes a USB serial number here, and '%s' is a file: particle-cli's 'flash --serial FILE' "
						"(YMODEM over the serial port) is not sparkflash's; put the device in DFU mode and run "
						"'sparkflash flash --usb %s'",
						sn, q ? q : sn);
			free(q);
			return rc;
		}
	}
	return 0;
}

/* `flash FILE` alone: where could it go? */
static int where_to(const sf_ctx *ctx, const char *file)
{
	char *q = sf_shell_quote(file);
	const char *f = q ? q : file;
	int rc = sf_usage_error(ctx, "flash %s: where to? give 'flash --usb %s' (USB, userFirmware), "
				     "'flash ADDRESS %s' or 'flash DEVICE %s' (over the air)",
				f, f, f, f);
	free(q);
	return rc;
}

/* The USB forms: --usb/--factory/--segment/ADDRESS (and spark-cli's
 * `flash firmware FILE`, which is --usb: `fw_word` is its index). */
static int flash_usb(sf_ctx *ctx, int argc, char **argv, int fw_word)
{
	struct flash_args a = { 0 };
	char **v = NULL;
	int first, rc, npos, n = argc;

	if (fw_word > 0) {
		if (!(v = argv_without(argc, argv, fw_word, &n)))
			return SF_EXIT_INTERNAL;
		argv = v;
		argc = n;
	}
	rc = sf_cli_parse(ctx, argc, argv, "", flash_opts, flash_opt, &a, &first);
	if (rc == SF_CLI_HELP) {
		free(v);
		return SF_EXIT_OK;
	}
	if (rc)
		goto out;
	if (fw_word > 0)
		a.usb = true;
	npos = argc - first;
	rc = SF_EXIT_USAGE;
	if ((rc = serial_is_file(ctx)))
		goto out;
	/* --cloud after --usb/--factory/--segment was parsed here, not routed */
	if (a.cloud)
		rc = sf_usage_error(ctx, "--cloud cannot be combined with --usb, --factory, --segment or an address");
	else if (a.segment && (a.usb || a.factory))
		rc = sf_usage_error(ctx, "--segment cannot be combined with --usb or --factory");
	else if (a.all && (ctx->nserials || ctx->npaths))
		rc = sf_usage_error(ctx, "--all flashes every device in DFU mode; --serial/--path pick some: give one or the other");
	else if (a.count_given && !a.all)
		rc = sf_usage_error(ctx, "--count N goes with --all (wait for at least N devices)");
	else if (a.count_given && !(a.wait > 0))
		rc = sf_usage_error(ctx, "--count N says how many devices --wait waits for: give --wait SECONDS too");
	if (rc)
		goto out;
	if (a.diff && a.skip_unchanged)
		a.skip_unchanged = false; /* --diff skips an unchanged image too */
	a.multi = a.all || ctx->nserials + ctx->npaths > 1;
	if (a.segment) {
		if (npos != 1)
			rc = sf_usage_error(ctx, "flash --segment NAME takes one FILE");
		else {
			a.req.kind = SF_OP_WRITE_SEGMENT;
			a.req.segment = a.segment;
			rc = run_flash(ctx, &a, argv + first, 1);
		}
	} else if (a.usb || a.factory) {
		if (npos < 1 || (a.factory && npos != 1))
			rc = sf_usage_error(ctx, a.factory ? "flash --factory takes one FILE"
							   : "flash --usb takes FILE (or several module images)");
		else if (a.req.alt)
			rc = sf_usage_error(ctx, "--alt goes with an address: flash ADDRESS FILE --alt N");
		else {
			a.req.kind = a.factory ? SF_OP_FLASH_FACTORY : SF_OP_FLASH_USB;
			rc = run_flash(ctx, &a, argv + first, (size_t)npos);
		}
	} else if (npos == 2) {
		a.req.kind = SF_OP_WRITE_ADDRESS;
		a.req.address = argv[first];
		rc = run_flash(ctx, &a, argv + first + 1, 1);
	} else if (npos == 1) {
		rc = where_to(ctx, argv[first]);
	} else {
		rc = sf_usage_error(ctx, "give --usb FILE..., --factory FILE, --segment NAME FILE or ADDRESS FILE");
	}
out:
	free(v);
	return rc;
}

static int flash_cloud(sf_ctx *ctx, int argc, char **argv, int drop)
{
	int n, rc;
	char **v = argv_without(argc, argv, drop, &n);
	if (!v)
		return SF_EXIT_INTERNAL;
	rc = sf_cloud_flash_cmd(ctx, n, v);
	free(v);
	return rc;
}

/* spark-cli's words first (flash firmware FILE, flash cloud DEVICE FILE,
 * flash DEVICE FILE); a DEVICE that is probably a mistake is refused
 * before anything is sent (--cloud forces it). */
int cmd_flash(sf_ctx *ctx, int argc, char **argv)
{
	struct words w;
	const char *first;
	char msg[SF_ERR_MSG_MAX + 200];

	const struct option *tables[8] = { flash_opts };
	int rc;

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return flash_usb(ctx, argc, argv, -1);
	/* an unknown option is refused before the words choose USB or cloud
	 * (cloud flash's options: all of cloud's tables) */
	for (size_t t = 0; sf_options_cloud[t] && t + 2 < sizeof tables / sizeof tables[0]; t++)
		tables[t + 1] = sf_options_cloud[t];
	if ((rc = sf_cli_check_options(ctx, argc, argv, (const struct option *const *)tables)))
		return rc;
	scan_words(argc, argv, &w);
	if (w.usb_form || !w.npos)
		return flash_usb(ctx, argc, argv, -1);
	first = argv[w.pos[0]];
	if (!strcmp(first, "cloud")) {
		/* spark-cli 0.3.0: flash cloud DEVICE FILE */
		if (w.npos < 3)
			return sf_usage_error(ctx, "flash cloud takes DEVICE FILE...");
		if (!w.cloud && classify(ctx, argv[w.pos[1]], argv[w.pos[2]], msg, sizeof msg) != SF_WORD_DEVICE)
			return sf_usage_error(ctx, "%s", msg);
		return flash_cloud(ctx, argc, argv, w.pos[0]);
	}
	if (w.cloud)
		return flash_cloud(ctx, argc, argv, -1);
	if (!strcmp(first, "firmware")) /* spark-cli 0.3.0's USB form */
		return flash_usb(ctx, argc, argv, w.pos[0]);
	switch (classify(ctx, first, w.npos > 1 ? argv[w.pos[1]] : NULL, msg, sizeof msg)) {
	case SF_WORD_ADDRESS:
		return flash_usb(ctx, argc, argv, -1);
	case SF_WORD_REFUSED:
		return sf_usage_error(ctx, "%s", msg);
	case SF_WORD_DEVICE:
	default:
		if (w.npos == 1)
			return where_to(ctx, first);
		return flash_cloud(ctx, argc, argv, -1);
	}
}

/* The options of this command besides the common ones (commands.h). */
const struct option *const sf_options_flash[] = { flash_opts, NULL };
