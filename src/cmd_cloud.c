/* sparkflash cloud: flash over the air, list devices, log in and out through
 * the Particle Cloud REST API (cloud-api.md). Decisions live in the pure
 * cloud_* modules; this file reads files and the environment, talks HTTP
 * through cloud_http.c and prints. The token is never printed, logged, put
 * in a URL or taken from the command line. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "jsontext.h"
#include "cloud_cmd.h"
#include "cloud_config.h"
#include "cloud_devices.h"
#include "cloud_http.h"
#include "cloud_project.h"
#include "cloud_resp.h"
#include "cloud_sources.h"
#include "commands.h"
#include "image_io.h"
#include "module.h"
#include "out.h"
#include "result.h"
#include "sf_error.h"
#include "fileio.h"

#define MAX_DEVICES 1024
#define CFG_MAX (1024 * 1024)

enum {
	OPT_DEVICE = SF_OPT_COMMAND_BASE,
	OPT_ALL_ONLINE,
	OPT_PLATFORM,
	OPT_JOBS,
	OPT_PRODUCT,
	OPT_FORCE,
	OPT_API_URL,
	OPT_CACERT,
	OPT_CONNECT_TIMEOUT,
	OPT_MAX_TIME,
	OPT_USERNAME,
	OPT_CLOUD,
	OPT_REVOKE,
	OPT_TARGET,
	OPT_OUTPUT,
};

typedef struct cloud_opts {
	const char *devices[MAX_DEVICES];
	size_t ndevices;
	bool all_online;
	const char *platform;
	int jobs;
	const char *product;
	bool force;
	const char *api_url;
	const char *cacert;
	long connect_timeout;
	long max_time;
	const char *username;
	bool revoke;
	const char *target;        /* --target VERSION: Device OS to compile against */
	const char *output;        /* compile --output FILE */
} cloud_opts;

/* Every cloud subcommand talks to the API with these. */
#define NETWORK_OPTIONS \
	{ "api-url", required_argument, NULL, OPT_API_URL }, \
	{ "cacert", required_argument, NULL, OPT_CACERT }, \
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT }, \
	{ "max-time", required_argument, NULL, OPT_MAX_TIME }

static const struct option flash_opts[] = {
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "all-online", no_argument, NULL, OPT_ALL_ONLINE },
	{ "platform", required_argument, NULL, OPT_PLATFORM },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "product", required_argument, NULL, OPT_PRODUCT },
	{ "force", no_argument, NULL, OPT_FORCE },
	NETWORK_OPTIONS,
	{ "cloud", no_argument, NULL, OPT_CLOUD },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ NULL, 0, NULL, 0 },
};

static const struct option compile_opts[] = {
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "product", required_argument, NULL, OPT_PRODUCT },
	NETWORK_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static const struct option net_opts[] = {
	NETWORK_OPTIONS,
	{ "username", required_argument, NULL, OPT_USERNAME },
	{ "revoke", no_argument, NULL, OPT_REVOKE },
	{ NULL, 0, NULL, 0 },
};

static int on_opt(sf_ctx *ctx, int opt, const char *arg, void *data)
{
	cloud_opts *o = data;
	switch (opt) {
	case OPT_DEVICE:
		if (o->ndevices >= MAX_DEVICES)
			return sf_usage_error(ctx, "too many --device options (at most %d)", MAX_DEVICES);
		if (!*arg)
			return sf_usage_error(ctx, "empty --device name");
		o->devices[o->ndevices++] = arg;
		return 0;
	case OPT_ALL_ONLINE: o->all_online = true; return 0;
	case OPT_PLATFORM:
		if (sf_cloud_platform_id(arg) < 0)
			return sf_usage_error(ctx, "unknown platform '%s': give a name (photon, electron, argon, ...) or a number", arg);
		o->platform = arg;
		return 0;
	case OPT_JOBS: {
		long v;
		char *end;
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || end == arg || v < 1 || v > 64)
			return sf_usage_error(ctx, "invalid --jobs '%s': give a number of parallel uploads from 1 to 64",
					      arg);
		o->jobs = (int)v;
		return 0;
	}
	case OPT_PRODUCT: o->product = arg; return 0;
	case OPT_FORCE: o->force = true; return 0;
	case OPT_API_URL: o->api_url = arg; return 0;
	case OPT_CACERT: o->cacert = arg; return 0;
	case OPT_CONNECT_TIMEOUT: return sf_cli_whole_seconds(ctx, "--connect-timeout", arg, &o->connect_timeout);
	case OPT_MAX_TIME: return sf_cli_whole_seconds(ctx, "--max-time", arg, &o->max_time);
	case OPT_USERNAME: o->username = arg; return 0;
	case OPT_CLOUD: return 0;
	case OPT_REVOKE: o->revoke = true; return 0;
	case OPT_TARGET:
		/* a Device OS version such as 5.8.0; "latest" is the default */
		if (!*arg || strlen(arg) > 40 || strspn(arg, "0123456789.-+abcdefghijklmnopqrstuvwxyz") != strlen(arg))
			return sf_usage_error(ctx, "invalid --target '%s': give a Device OS version such as 5.8.0, or latest", arg);
		o->target = strcmp(arg, "latest") ? arg : NULL;
		return 0;
	case 'o':
	case OPT_OUTPUT:
		if (!*arg)
			return sf_usage_error(ctx, "--output needs a file name, got an empty string");
		o->output = arg;
		return 0;
	default: return sf_usage_error(ctx, "unknown option");
	}
}

/* ---- files and settings ---------------------------------------------- */

/* Reads a small text file: malloc'd text, NULL when it does not exist or
 * cannot be read (*missing tells which). A config file others could
 * change is refused (err set; it may hold or direct the token), one others
 * could read is a warning (fileio.h: sf_private_file_check). */
static char *read_text(const sf_ctx *ctx, const char *path, bool *missing, sf_err *err)
{
	FILE *f = fopen(path, "r");
	char *buf, warning[SF_ERR_MSG_MAX] = "";
	size_t n;
	*missing = false;
	if (!f) {
		*missing = errno == ENOENT || errno == ENOTDIR;
		return NULL;
	}
	if (err && sf_private_file_check(fileno(f), path, warning, sizeof warning, err)) {
		fclose(f);
		return NULL;
	}
	if (warning[0])
		sf_out_warning(ctx, "%s", warning);
	buf = malloc(CFG_MAX + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, CFG_MAX, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

typedef struct cloud_env {
	char home[1024];
	char profile[80];
	char profile_dir[1100];   /* ~/.particle */
	char profile_path[1200];  /* ~/.particle/<profile>.config.json */
	char spark_path[1200];    /* ~/.spark/spark.config.json */
	sf_cloud_settings s;
	sf_http_opts http;
} cloud_env;

static void warn_unreadable(const sf_ctx *ctx, const char *path, const char *text, bool missing)
{
	if (!text && !missing)
		sf_out_warning(ctx, "cannot read %s: %s; ignoring it", path, strerror(errno));
}

/* Reads HOME's config files and the environment into *ce. `use_token`:
 * false for login/logout, which must work whatever state the saved token
 * is in (no expiry check). */
static int load_env(const sf_ctx *ctx, const cloud_opts *o, cloud_env *ce, bool use_token, sf_err *err)
{
	const char *home = getenv("HOME");
	char *pj = NULL, *pc = NULL, *sc = NULL;
	sf_cloud_inputs in = { 0 };
	bool missing;
	int bad = 0, rc;

	memset(ce, 0, sizeof *ce);
	sf_err_clear(err);
	snprintf(ce->profile, sizeof ce->profile, "%s", SF_CLOUD_DEFAULT_PROFILE);
	if (home && *home) {
		char path[1200];
		snprintf(ce->home, sizeof ce->home, "%s", home);
		snprintf(ce->profile_dir, sizeof ce->profile_dir, "%s/.particle", ce->home);
		snprintf(path, sizeof path, "%s/profile.json", ce->profile_dir);
		pj = read_text(ctx, path, &missing, err);
		if (err->code)
			return err->code;
		warn_unreadable(ctx, path, pj, missing);
		sf_cloud_profile_name(pj, ce->profile, sizeof ce->profile, &bad);
		if (bad)
			sf_out_warning(ctx, "%s does not name a usable profile; using '%s'", path, ce->profile);
		snprintf(ce->profile_path, sizeof ce->profile_path, "%s/%s.config.json", ce->profile_dir, ce->profile);
		snprintf(ce->spark_path, sizeof ce->spark_path, "%s/.spark/spark.config.json", ce->home);
		pc = read_text(ctx, ce->profile_path, &missing, err);
		if (!err->code)
			warn_unreadable(ctx, ce->profile_path, pc, missing);
		sc = err->code ? NULL : read_text(ctx, ce->spark_path, &missing, err);
		if (!err->code)
			warn_unreadable(ctx, ce->spark_path, sc, missing);
		if (err->code) {
			free(pj);
			if (pc)
				memset(pc, 0, strlen(pc));
			free(pc);
			return err->code;
		}
	}
	in.opt_api_url = o->api_url;
	in.env_token = getenv("PARTICLE_ACCESS_TOKEN");
	in.env_api_url = getenv("PARTICLE_API_URL");
	in.profile_cfg = pc;
	in.profile_cfg_name = ce->profile_path;
	in.spark_cfg = sc;
	in.spark_cfg_name = ce->spark_path;
	in.now = use_token ? (long long)time(NULL) : 0;
	rc = sf_cloud_resolve_settings(&in, &ce->s, err);
	if (pc)
		memset(pc, 0, strlen(pc));
	if (sc)
		memset(sc, 0, strlen(sc));
	free(pj);
	free(pc);
	free(sc);
	if (rc)
		return rc;
	if (ce->s.warning[0])
		sf_out_warning(ctx, "%s", ce->s.warning);

	sf_http_opts_init(&ce->http);
	if (o->cacert) {
		if (access(o->cacert, R_OK))
			return sf_err_set(err, SF_EXIT_USAGE, "cannot read --cacert %s: %s", o->cacert, strerror(errno));
		ce->http.cacert = o->cacert;
	}
	if (o->connect_timeout)
		ce->http.connect_timeout_s = o->connect_timeout;
	if (o->max_time) {
		ce->http.get_timeout_s = o->max_time;
		ce->http.put_timeout_s = o->max_time;
	} else if (ctx->timeout_s > 0) {
		long t = (long)(ctx->timeout_s + 0.999);
		ce->http.get_timeout_s = t;
		ce->http.put_timeout_s = t;
	}
	if (ce->http.connect_timeout_s > ce->http.get_timeout_s)
		ce->http.connect_timeout_s = ce->http.get_timeout_s;
	return 0;
}

static int need_token(const sf_ctx *ctx, const cloud_env *ce)
{
	if (ce->s.token_source)
		return 0;
	sf_out_error(ctx, "not logged in: no token in PARTICLE_ACCESS_TOKEN, %s or %s; run 'sparkflash cloud login' or set PARTICLE_ACCESS_TOKEN",
		     ce->profile_path[0] ? ce->profile_path : "~/.particle/particle.config.json",
		     ce->spark_path[0] ? ce->spark_path : "~/.spark/spark.config.json");
	return SF_EXIT_CLOUD_AUTH;
}

/* Prints an error whose text may contain server or libcurl output. */
static void report(const sf_ctx *ctx, const cloud_env *ce, char *msg, size_t size)
{
	sf_cloud_redact(msg, size, ce->s.token);
	sf_out_error(ctx, "%s", msg);
}

static int fail_with(const sf_ctx *ctx, const cloud_env *ce, sf_err *err)
{
	report(ctx, ce, err->msg, sizeof err->msg);
	return err->code;
}

/* Exactly one `result` event per cloud command (README "JSON output"):
 * the paths that know the details emit it with result_out; any other
 * failure gets the command's shape with the last error message from
 * cloud_finish. */
typedef enum cloud_kind { CK_FLASH, CK_COMPILE, CK_LIST, CK_LOGIN, CK_LOGOUT } cloud_kind;
static bool result_sent;

static void result_out(const sf_ctx *ctx, json_t *res)
{
	result_sent = true;
	sf_out_event(ctx, "result", res);
}

/* A cloud flash that ended before any device was flashed. */
static void result_event(const sf_ctx *ctx, int code, const char *msg)
{
	result_out(ctx, sf_result_json(code, msg, NULL, NULL, ctx->dry_run));
}

static json_t *list_result(int code, const char *msg, json_t *devices)
{
	json_t *res = sf_result_base(code, msg);
	json_object_set_new(res, "count", json_integer((json_int_t)json_array_size(devices)));
	json_object_set_new(res, "devices", devices);
	return res;
}

static int cloud_finish(const sf_ctx *ctx, cloud_kind kind, int rc)
{
	const char *msg = sf_out_last_error();
	json_t *res;
	bool sent = result_sent;
	result_sent = false;
	/* successes emit their own result (--help: none); a command-line
	 * mistake was reported with the usage text */
	if (sent || !ctx->json || !rc || (rc == SF_EXIT_USAGE && !*msg))
		return rc;
	switch (kind) {
	case CK_FLASH:
		res = sf_result_json(rc, msg, NULL, NULL, ctx->dry_run);
		break;
	case CK_COMPILE:
		res = sf_result_json(rc, msg, NULL, NULL, ctx->dry_run);
		json_object_set_new(res, "output", json_null());
		break;
	case CK_LIST:
		res = list_result(rc, msg, json_array());
		break;
	case CK_LOGIN:
		res = sf_result_base(rc, msg);
		json_object_set_new(res, "username", json_null());
		json_object_set_new(res, "config", json_null());
		break;
	default:
		res = sf_result_base(rc, msg);
		json_object_set_new(res, "removed", json_integer(0));
		break;
	}
	sf_out_event(ctx, "result", res);
	return rc;
}

/* ---- flash ------------------------------------------------------------- */

typedef struct compile_job compile_job;

typedef struct flash_shared {
	sf_ctx *ctx;
	cloud_env *ce;
	const cloud_opts *o;
	const char *file;           /* the binary, or the sources' label */
	const uint8_t *data;        /* the binary (NULL for sources) */
	size_t len;
	sf_module_info mod;
	char upload_name[256];
	bool show_tty_progress;
	const sf_project *proj;     /* sources, compiled per platform; NULL for a binary */
} flash_shared;

enum { ST_LIST, ST_LOOKUP, ST_FLASH, ST_DONE };

typedef struct flash_job {
	sf_http_job job;            /* first: the engine hands us &job */
	flash_shared *sh;
	const char *arg;            /* device as given */
	char id[64];
	char name[128];
	int platform_id;            /* -1 unknown */
	int state;
	int code;
	char msg[SF_ERR_MSG_MAX];
	char status[200];
	long http_status;
	int last_pct;
	json_t *list;               /* ST_LIST: the device list */
	bool lookup_only;           /* sources: stop after the lookup (compile first) */
	bool skipped;               /* --all-online: not this image's platform, not tried */
	/* what this device gets: the binary, or its platform's compiled one */
	const uint8_t *data;
	size_t len;
	const sf_module_info *mod;
	const char *upload_name;
	compile_job *cj;            /* sources: the compile for this device's platform */
} flash_job;

static void on_upload_progress(void *ud, double sent, double total)
{
	flash_job *fj = ud;
	flash_shared *sh = fj->sh;
	int pct = total > 0 ? (int)(sent * 100.0 / total) : 0;
	if (pct > 100)
		pct = 100;
	if (sh->ctx->json) {
		if (pct / 10 != fj->last_pct / 10 || (pct == 100 && fj->last_pct != 100))
			sf_out_event(sh->ctx, "progress",
				     json_pack("{s:s, s:o, s:o, s:i, s:I, s:I}", "phase", "upload", "device", sf_json_text(fj->arg),
					       "id", sf_json_text(fj->id), "percent", pct, "bytes", (json_int_t)sent,
					       "total", (json_int_t)total));
	} else if (sh->show_tty_progress && pct != fj->last_pct) {
		fprintf(stderr, "\rupload: %3d%% (%.0f of %.0f bytes)", pct, sent, total);
		if (pct == 100)
			fputc('\n', stderr);
		fflush(stderr);
	}
	fj->last_pct = pct;
}

static bool job_fail(flash_job *fj, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool job_fail(flash_job *fj, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fj->msg, sizeof fj->msg, fmt, ap);
	va_end(ap);
	sf_cloud_redact(fj->msg, sizeof fj->msg, fj->sh->ce->s.token);
	fj->code = code;
	fj->state = ST_DONE;
	return false;
}

static const char *platform_text(int id, char *buf, size_t size)
{
	const char *n = sf_cloud_platform_name(id);
	if (n)
		snprintf(buf, size, "%d (%s)", id, n);
	else
		snprintf(buf, size, "%d", id);
	return buf;
}

/* --all-online: a device the run does not try, said in words and as a
 * `skipped` event (README "Cloud"); it counts neither as a success nor as
 * a failure. */
static bool job_skip(flash_job *fj, const char *reason, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool job_skip(flash_job *fj, const char *reason, const char *fmt, ...)
{
	sf_result_device d;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fj->msg, sizeof fj->msg, fmt, ap);
	va_end(ap);
	fj->skipped = true;
	fj->code = 0;
	fj->state = ST_DONE;
	sf_out_warning(fj->sh->ctx, "%s", fj->msg);
	sf_result_device_init(&d);
	d.given = fj->arg;
	d.id = fj->id;
	d.name = fj->name;
	d.platform_id = fj->platform_id;
	sf_out_event(fj->sh->ctx, "skipped",
		     json_pack("{s:o, s:s, s:o, s:o}", "device", sf_result_device_json(&d), "reason", reason,
			       "image_platform_id",
			       fj->mod && fj->mod->is_module ? json_integer(fj->mod->platform_id) : json_null(),
			       "message", sf_json_text(fj->msg)));
	return false;
}

/* Platform check, then prepares the PUT. Returns false when refused. */
static bool prepare_flash(flash_job *fj)
{
	flash_shared *sh = fj->sh;
	sf_err e = { 0 };
	const char *dev_name = fj->name[0] ? fj->name : fj->arg;
	const sf_module_info *mod = fj->mod;

	if (mod->is_module && fj->platform_id >= 0 && mod->platform_id != fj->platform_id) {
		char fp[40], dp[40];
		platform_text(mod->platform_id, fp, sizeof fp);
		platform_text(fj->platform_id, dp, sizeof dp);
		if (!sh->o->force && sh->o->all_online)
			return job_skip(fj, "platform", "skipping '%s' [%s]: it is platform %s, the image is for platform %s",
					dev_name, fj->id, dp, fp);
		if (!sh->o->force)
			return job_fail(fj, SF_EXIT_REFUSED,
					"refusing to flash %s to '%s': the image is for platform %s but the device is platform %s; pass --force to flash anyway",
					sh->file, dev_name, fp, dp);
		sf_out_warning(sh->ctx, "%s is for platform %s but '%s' is platform %s; flashing anyway (--force)",
			       sh->file, fp, dev_name, dp);
	}
	if (sh->o->product) {
		const char *seg[] = { "v1", "products", sh->o->product, "devices", fj->id };
		if (sf_cloud_url(fj->job.req.url, sizeof fj->job.req.url, sh->ce->s.api_url, seg, 5, &e))
			return job_fail(fj, e.code, "%s", e.msg);
	} else {
		const char *seg[] = { "v1", "devices", fj->id };
		if (sf_cloud_url(fj->job.req.url, sizeof fj->job.req.url, sh->ce->s.api_url, seg, 3, &e))
			return job_fail(fj, e.code, "%s", e.msg);
	}
	fj->job.req.kind = SF_REQ_PUT;
	fj->job.req.file_data = fj->data;
	fj->job.req.file_len = fj->len;
	fj->job.req.upload_name = fj->upload_name;
	fj->job.req.progress = on_upload_progress;
	fj->job.req.progress_ud = fj;
	fj->last_pct = -1;
	fj->state = ST_FLASH;
	if (fj->name[0] && strcmp(fj->name, fj->id))
		sf_out_info(sh->ctx, "flashing %s (%zu bytes) to %s [%s]", sh->file, fj->len, fj->name, fj->id);
	else
		sf_out_info(sh->ctx, "flashing %s (%zu bytes) to %s", sh->file, fj->len, fj->id);
	return true;
}

static void copy_device_info(flash_job *fj, const json_t *dev)
{
	const char *id = json_string_value(json_object_get(dev, "id"));
	const char *name = json_string_value(json_object_get(dev, "name"));
	json_t *p = json_object_get(dev, "platform_id");
	snprintf(fj->id, sizeof fj->id, "%s", id ? id : "");
	snprintf(fj->name, sizeof fj->name, "%s", name ? name : "");
	fj->platform_id = json_is_integer(p) && json_integer_value(p) >= 0 && json_integer_value(p) <= 0xFFFF
				  ? (int)json_integer_value(p) : -1;
}

static bool flash_next(sf_http_job *job)
{
	flash_job *fj = (flash_job *)job;
	sf_http_req *r = &job->req;
	sf_cloud_outcome out;
	sf_err e = { 0 };
	const char *what = fj->name[0] ? fj->name : fj->arg;

	if (r->fail != SF_FAIL_NONE) {
		char opn[300];
		snprintf(opn, sizeof opn, "%s of '%.200s'",
			 fj->state == ST_LIST ? "listing devices" : fj->state == ST_LOOKUP ? "lookup" : "flash", what);
		sf_http_transport_error(r, opn, &e);
		if (fj->state == ST_FLASH && r->fail == SF_FAIL_TIMEOUT)
			snprintf(e.msg + strlen(e.msg), sizeof e.msg - strlen(e.msg),
				 "; the upload may or may not have reached the device, so it was not retried");
		return job_fail(fj, e.code, "%s", e.msg);
	}
	fj->http_status = r->status;
	if (r->status == 429 && r->retry_after[0]) {
		/* Not retried (too long a wait, or attempts used up): say how long. */
		sf_cloud_classify(fj->state == ST_LIST ? SF_CLOUD_OP_LIST :
				  fj->state == ST_LOOKUP ? SF_CLOUD_OP_LOOKUP : SF_CLOUD_OP_FLASH,
				  r->status, r->body, r->body_len, what, &out);
		json_decref(out.body);
		return job_fail(fj, out.code, "%.400s (the server asks to wait %.40s s before retrying)",
				out.msg, r->retry_after);
	}
	switch (fj->state) {
	case ST_LIST:
		sf_cloud_classify(SF_CLOUD_OP_LIST, r->status, r->body, r->body_len, "device list", &out);
		if (out.code) {
			json_decref(out.body);
			return job_fail(fj, out.code, "%s", out.msg);
		}
		fj->list = out.body;
		fj->state = ST_DONE;
		return false;
	case ST_LOOKUP:
		sf_cloud_classify(SF_CLOUD_OP_LOOKUP, r->status, r->body, r->body_len, fj->arg, &out);
		if (out.code) {
			json_decref(out.body);
			return job_fail(fj, out.code, "%s", out.msg);
		}
		copy_device_info(fj, out.body);
		if (!sf_cloud_device_online(out.body) && json_object_get(out.body, "online"))
			sf_out_warning(fj->sh->ctx, "device '%s' [%s] looks offline; trying anyway", fj->arg, fj->id);
		json_decref(out.body);
		if (!fj->id[0])
			return job_fail(fj, SF_EXIT_CLOUD_NETWORK, "lookup of '%s' returned an empty id", fj->arg);
		if (fj->lookup_only) {
			fj->state = ST_DONE;
			return false;
		}
		return prepare_flash(fj);
	case ST_FLASH:
		sf_cloud_classify(SF_CLOUD_OP_FLASH, r->status, r->body, r->body_len, what, &out);
		if (out.code == 0) {
			const char *st = json_string_value(json_object_get(out.body, "status"));
			snprintf(fj->status, sizeof fj->status, "%.190s", st ? st : out.msg);
			sf_cloud_redact(fj->status, sizeof fj->status, fj->sh->ce->s.token);
			fj->code = 0;
			fj->state = ST_DONE;
		} else {
			job_fail(fj, out.code, "%s", out.msg);
		}
		json_decref(out.body);
		return false;
	default:
		return false;
	}
}

/* ---- compile (POST /v1/binaries, then the binary) ------------------------ */

enum { CS_COMPILE, CS_DOWNLOAD, CS_DONE };

struct compile_job {
	sf_http_job job;            /* first: the engine hands us &job */
	const sf_ctx *ctx;
	cloud_env *ce;
	const cloud_opts *o;
	const sf_project *proj;
	int platform_id;
	char what[64];              /* "platform 6 (photon)" */
	int state;
	int code;
	char msg[SF_ERR_MSG_MAX];
	sf_cloud_compile res;       /* the compile answer: compiler text, sizeInfo */
	long http_status, download_status;
	uint8_t *bin;
	size_t bin_len;
	sf_module_info mod;
	char upload_name[64];       /* the compiled binary's name in the flash PUT */
	sf_http_part *parts;
	char (*part_names)[24];
	const char *fields[8];
	char platform_s[16];
	bool reported;
};

static bool compile_fail(compile_job *cj, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool compile_fail(compile_job *cj, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cj->msg, sizeof cj->msg, fmt, ap);
	va_end(ap);
	sf_cloud_redact(cj->msg, sizeof cj->msg, cj->ce->s.token);
	cj->code = code;
	cj->state = CS_DONE;
	return false;
}

/* Sets up the multipart POST: every source under its own name, the
 * platform, the product, the Device OS target; never file_type. */
static int compile_prepare(compile_job *cj, sf_err *err)
{
	const char *seg[] = { "v1", "binaries" };
	size_t f = 0;
	const char *name = sf_cloud_platform_name(cj->platform_id);
	cj->parts = calloc(cj->proj->n ? cj->proj->n : 1, sizeof *cj->parts);
	cj->part_names = calloc(cj->proj->n ? cj->proj->n : 1, sizeof *cj->part_names);
	if (!cj->parts || !cj->part_names)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	for (size_t i = 0; i < cj->proj->n; i++) {
		sf_cloud_part_name(i, cj->part_names[i], sizeof cj->part_names[i]);
		cj->parts[i].name = cj->part_names[i];
		cj->parts[i].filename = cj->proj->files[i].name;
		cj->parts[i].data = cj->proj->files[i].data;
		cj->parts[i].len = cj->proj->files[i].len;
	}
	snprintf(cj->platform_s, sizeof cj->platform_s, "%d", cj->platform_id);
	cj->fields[f++] = "platform_id";
	cj->fields[f++] = cj->platform_s;
	if (cj->o->product) {
		cj->fields[f++] = "product_id";
		cj->fields[f++] = cj->o->product;
	}
	if (cj->o->target) {
		cj->fields[f++] = "build_target_version";
		cj->fields[f++] = cj->o->target;
	} else {
		cj->fields[f++] = "latest";
		cj->fields[f++] = "true";
	}
	cj->fields[f] = NULL;
	{
		char pt[40];
		snprintf(cj->what, sizeof cj->what, "platform %s", platform_text(cj->platform_id, pt, sizeof pt));
	}
	snprintf(cj->upload_name, sizeof cj->upload_name, "%s_firmware.bin", name ? name : cj->platform_s);
	memset(&cj->job, 0, sizeof cj->job);
	cj->job.req.kind = SF_REQ_COMPILE;
	cj->job.req.token = cj->ce->s.token;
	cj->job.req.parts = cj->parts;
	cj->job.req.nparts = cj->proj->n;
	cj->job.req.fields = cj->fields;
	cj->job.req.long_answer = true;
	cj->state = CS_COMPILE;
	return sf_cloud_url(cj->job.req.url, sizeof cj->job.req.url, cj->ce->s.api_url, seg, 2, err);
}

static bool compile_next(sf_http_job *job)
{
	compile_job *cj = (compile_job *)job;
	sf_http_req *r = &job->req;
	sf_err e = { 0 };

	if (r->fail != SF_FAIL_NONE) {
		char opn[120];
		snprintf(opn, sizeof opn, "%s for %s", cj->state == CS_COMPILE ? "the compile" : "the download of the binary",
			 cj->what);
		sf_http_transport_error(r, opn, &e);
		if (cj->state == CS_COMPILE && r->fail == SF_FAIL_TIMEOUT)
			snprintf(e.msg + strlen(e.msg), sizeof e.msg - strlen(e.msg),
				 "; the compile service may take up to 120 s (--max-time)");
		return compile_fail(cj, e.code, "%s", e.msg);
	}
	if (cj->state == CS_COMPILE) {
		int code;
		cj->http_status = r->status;
		code = sf_cloud_compile_parse(r->status, r->body, r->body_len, cj->what, &cj->res);
		/* server text that is printed: never with the token in it */
		if (cj->res.compiler)
			sf_cloud_redact(cj->res.compiler, strlen(cj->res.compiler) + 1, cj->ce->s.token);
		if (cj->res.size_info)
			sf_cloud_redact(cj->res.size_info, strlen(cj->res.size_info) + 1, cj->ce->s.token);
		sf_cloud_redact(cj->res.summary, sizeof cj->res.summary, cj->ce->s.token);
		if (code) {
			if (r->status == 429 && r->retry_after[0])
				return compile_fail(cj, code, "%.400s (the server asks to wait %.40s s before retrying)",
						    cj->res.msg, r->retry_after);
			return compile_fail(cj, code, "%s", cj->res.msg);
		}
		if (sf_cloud_binary_url(cj->ce->s.api_url, cj->res.binary_url, cj->res.binary_id, r->url,
					sizeof r->url, &e))
			return compile_fail(cj, e.code, "%s", e.msg);
		r->kind = SF_REQ_GET;
		r->body_max = SF_IMAGE_MAX_SIZE;
		r->accept = "application/octet-stream, application/json";
		cj->state = CS_DOWNLOAD;
		return true;
	}
	if (cj->state == CS_DOWNLOAD) {
		cj->download_status = r->status;
		if (r->status >= 200 && r->status < 300 && r->body_len > 0) {
			sf_err me = { 0 };
			char want[40];
			cj->bin = (uint8_t *)r->body;
			cj->bin_len = r->body_len;
			r->body = NULL;
			r->body_len = 0;
			if (sf_module_parse(cj->bin, cj->bin_len, &cj->mod, &me) || !cj->mod.is_module)
				return compile_fail(cj, SF_EXIT_CLOUD_NETWORK,
						    "the binary the cloud compiled for %s is not a module image (%zu bytes); not using it",
						    cj->what, cj->bin_len);
			if (!cj->mod.crc_ok)
				return compile_fail(cj, SF_EXIT_CLOUD_NETWORK,
						    "the binary downloaded for %s is corrupt (module CRC-32 stored 0x%08x, computed 0x%08x); not using it",
						    cj->what, cj->mod.crc_stored, cj->mod.crc_computed);
			if (cj->mod.platform_id != cj->platform_id)
				return compile_fail(cj, SF_EXIT_CLOUD_NETWORK,
						    "the cloud compiled for platform %u instead of %s; not using it",
						    cj->mod.platform_id, platform_text(cj->platform_id, want, sizeof want));
			cj->code = 0;
			cj->state = CS_DONE;
			return false;
		}
		if (r->status >= 200 && r->status < 300)
			return compile_fail(cj, SF_EXIT_CLOUD_NETWORK, "the binary compiled for %s came back empty", cj->what);
		{
			sf_cloud_outcome out;
			sf_cloud_classify(SF_CLOUD_OP_DOWNLOAD, r->status, r->body, r->body_len, cj->what, &out);
			json_decref(out.body);
			return compile_fail(cj, out.code, "%s", out.msg);
		}
	}
	return false;
}

static void compile_job_free(compile_job *cj)
{
	sf_http_req_reset(&cj->job.req);
	sf_cloud_compile_free(&cj->res);
	free(cj->bin);
	free(cj->parts);
	free(cj->part_names);
}

/* Length of s without its trailing newlines (a line printer adds one). */
static int text_len(const char *s)
{
	size_t n = strlen(s);
	while (n && s[n - 1] == '\n')
		n--;
	return n > 1000000 ? 1000000 : (int)n;
}

/* The compiler's output, as it printed it, once per compile. */
static void report_compile(const sf_ctx *ctx, compile_job *cj)
{
	size_t n;
	if (cj->reported || !cj->code)
		return;
	cj->reported = true;
	if (!cj->res.compiler) {
		sf_out_error(ctx, "%s", cj->msg);
		return;
	}
	sf_out_error(ctx, "the cloud compiler's output for %s (%zu file%s from %s):", cj->what, cj->proj->n,
		     cj->proj->n == 1 ? "" : "s", cj->proj->label);
	fflush(stdout);
	n = strlen(cj->res.compiler);
	fwrite(cj->res.compiler, 1, n, stderr);
	if (n && cj->res.compiler[n - 1] != '\n')
		fputc('\n', stderr);
	sf_out_error(ctx, "%s", cj->msg);
}

/* What is sent: the files and the part names they go by. */
static json_t *sources_json(const sf_project *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->n; i++) {
		char part[24];
		sf_cloud_part_name(i, part, sizeof part);
		json_array_append_new(a, json_pack("{s:s, s:o, s:o, s:I}", "part", part, "filename",
						   sf_json_text(p->files[i].name), "path", sf_json_text(p->files[i].path),
						   "bytes", (json_int_t)p->files[i].len));
	}
	return a;
}

/* The `cloud-compile` operation (README "JSON output"). */
static json_t *compile_op(const compile_job *cj)
{
	json_t *files = sources_json(cj->proj);
	return json_pack("{s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "operation", "cloud-compile",
			 "platform_id", cj->platform_id, "platform",
			 sf_cloud_platform_name(cj->platform_id) ? json_string(sf_cloud_platform_name(cj->platform_id)) : json_null(),
			 "target", cj->o->target ? sf_json_text(cj->o->target) : json_string("latest"),
			 "files", files,
			 "http_status", cj->http_status ? json_integer(cj->http_status) : json_null(),
			 "download_http_status", cj->download_status ? json_integer(cj->download_status) : json_null(),
			 "binary_bytes", cj->code == 0 && cj->bin ? json_integer((json_int_t)cj->bin_len) : json_null(),
			 "compiler_output", cj->res.compiler ? sf_json_text(cj->res.compiler) : json_null(),
			 "size_info", cj->res.size_info ? sf_json_text(cj->res.size_info) : json_null(),
			 "ok", cj->code == 0 && cj->state == CS_DONE && cj->bin != NULL);
}

static void print_sources(const sf_ctx *ctx, const sf_project *p, const char *verb)
{
	sf_out_info(ctx, "%s %zu source file%s (%zu bytes) from %s:", verb, p->n, p->n == 1 ? "" : "s", p->total, p->label);
	for (size_t i = 0; i < p->n; i++) {
		char part[24];
		sf_cloud_part_name(i, part, sizeof part);
		sf_out_info(ctx, "  %-7s %s%s%s", part, p->files[i].name, strcmp(p->files[i].name, p->files[i].path) ? "  <- " : "",
			    strcmp(p->files[i].name, p->files[i].path) ? p->files[i].path : "");
	}
	if (p->has_props && p->props.ndeps)
		sf_out_info(ctx, "  libraries the compile service adds (project.properties): %s", p->props.deps);
}

static int flash_result(flash_shared *sh, flash_job *fj)
{
	sf_ctx *ctx = sh->ctx;
	sf_result_device d;
	json_t *ops = json_array();
	char msg[SF_ERR_MSG_MAX];

	sf_result_device_init(&d);
	d.given = fj->arg;
	d.id = fj->id;
	d.name = fj->name;
	d.platform_id = fj->platform_id;
	if (fj->cj)
		json_array_append_new(ops, compile_op(fj->cj));
	/* the flash request, once it was made */
	if (fj->job.req.kind == SF_REQ_PUT)
		json_array_append_new(ops, json_pack("{s:s, s:o, s:I, s:o, s:o, s:b}", "operation", "cloud-flash",
						     "file", sf_json_text(sh->file), "bytes", (json_int_t)fj->len,
						     "http_status", fj->http_status ? json_integer(fj->http_status) : json_null(),
						     "status", fj->code == 0 ? sf_json_text(fj->status) : json_null(),
						     "ok", fj->code == 0));
	if (fj->code == 0) {
		snprintf(msg, sizeof msg, "%s [%s]: %s (the device installs the update and restarts)",
			 fj->name[0] ? fj->name : fj->arg, fj->id, fj->status);
		sf_out_info(ctx, "%s", msg);
	} else {
		snprintf(msg, sizeof msg, "%s", fj->msg);
		/* a compile error was shown with the compiler's output */
		if (!fj->cj || fj->cj->code == 0)
			sf_out_error(ctx, "%s", fj->msg);
	}
	result_out(ctx, sf_result_json(fj->code, msg, sf_result_device_json(&d), ops, false));
	return fj->code;
}

/* Name of the multipart file: the file's base name made safe, ending in .bin
 * (local clouds decide binary vs source by it, cloud-api.md §3.2). */
static void make_upload_name(const char *file, char *buf, size_t size)
{
	const char *base = strrchr(file, '/');
	size_t n = 0, len;
	base = base ? base + 1 : file;
	for (; *base && n + 5 < size; base++)
		buf[n++] = (isalnum((unsigned char)*base) || *base == '.' || *base == '-' || *base == '_') ? *base : '_';
	buf[n] = '\0';
	len = n;
	if (len == 0 || buf[0] == '.')
		snprintf(buf, size, "firmware.bin");
	else if (len < 4 || strcasecmp(buf + len - 4, ".bin"))
		snprintf(buf + len, size - len, ".bin");
}

/* Runs the jobs that are not done yet. */
static int run_jobs(flash_job **fjs, size_t n, int parallel, cloud_env *ce, sf_err *err)
{
	sf_http_job **run = calloc(n ? n : 1, sizeof *run);
	size_t nrun = 0;
	int rc;
	if (!run)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (fjs[i]->state != ST_DONE)
			run[nrun++] = &fjs[i]->job;
	rc = nrun ? sf_http_run(run, nrun, parallel, &ce->http, err) : 0;
	free(run);
	return rc;
}

/* Sources: one compile per platform among the devices resolved so far,
 * then each device gets its platform's binary (or the compile's error). */
static int compile_for_devices(flash_shared *sh, flash_job **fjs, size_t n, compile_job **cjs_out, size_t *ncj_out,
			       sf_err *err)
{
	compile_job *cjs = calloc(n ? n : 1, sizeof *cjs);
	sf_http_job **run = calloc(n ? n : 1, sizeof *run);
	size_t ncj = 0;
	int rc = 0;
	*cjs_out = cjs;
	*ncj_out = 0;
	if (!cjs || !run) {
		free(run);
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		flash_job *fj = fjs[i];
		size_t k;
		if (fj->code || fj->skipped)
			continue;
		if (fj->platform_id < 0) {
			if (sh->o->all_online)
				job_skip(fj, "platform-unknown",
					 "skipping '%s' [%s]: the cloud does not say which platform it is, so the sources cannot be compiled for it",
					 fj->name[0] ? fj->name : fj->arg, fj->id);
			else
				job_fail(fj, SF_EXIT_CLOUD_DEVICE,
					 "the cloud does not say which platform '%s' is, so the sources cannot be compiled for it; use 'sparkflash cloud compile PLATFORM ...' and flash the binary",
					 fj->name[0] ? fj->name : fj->arg);
			continue;
		}
		for (k = 0; k < ncj; k++)
			if (cjs[k].platform_id == fj->platform_id)
				break;
		if (k == ncj) {
			compile_job *cj = &cjs[ncj];
			cj->ctx = sh->ctx;
			cj->ce = sh->ce;
			cj->o = sh->o;
			cj->proj = sh->proj;
			cj->platform_id = fj->platform_id;
			if ((rc = compile_prepare(cj, err)) != 0) {
				ncj++;
				break;
			}
			cj->job.next = compile_next;
			run[ncj] = &cj->job;
			ncj++;
			sf_out_info(sh->ctx, "compiling %zu source file%s for %s", sh->proj->n, sh->proj->n == 1 ? "" : "s",
				    cj->what);
		}
		fj->cj = &cjs[k];
	}
	*ncj_out = ncj;
	if (!rc && ncj)
		rc = sf_http_run(run, ncj, sh->o->jobs, &sh->ce->http, err);
	free(run);
	if (rc)
		return rc;
	for (size_t k = 0; k < ncj; k++) {
		compile_job *cj = &cjs[k];
		report_compile(sh->ctx, cj);
		if (!cj->code) {
			sf_out_info(sh->ctx, "compiled for %s: %zu bytes", cj->what, cj->bin_len);
			if (cj->res.size_info)
				sf_out_info(sh->ctx, "%.*s", text_len(cj->res.size_info), cj->res.size_info);
		}
	}
	for (size_t i = 0; i < n; i++) {
		flash_job *fj = fjs[i];
		if (!fj->cj || fj->code || fj->skipped)
			continue;
		if (fj->cj->code) {
			job_fail(fj, fj->cj->code, "%s", fj->cj->msg);
			continue;
		}
		fj->data = fj->cj->bin;
		fj->len = fj->cj->bin_len;
		fj->mod = &fj->cj->mod;
		fj->upload_name = fj->cj->upload_name;
		fj->state = ST_LOOKUP; /* not done: prepare_flash sets ST_FLASH */
		prepare_flash(fj);
	}
	return 0;
}

static int cloud_flash(sf_ctx *ctx, int argc, char **argv)
{
	cloud_opts o = { .jobs = 4 };
	cloud_env ce;
	flash_shared sh = { 0 };
	flash_job **fjs = NULL;
	compile_job *cjs = NULL;
	size_t ncj = 0;
	uint8_t *data = NULL;
	size_t njobs = 0, failed = 0, skipped = 0;
	sf_err e = { 0 };
	int first, rc, final = 0;
	char **files;
	size_t nfiles;
	json_t *devlist = NULL;
	sf_project proj;

	memset(&proj, 0, sizeof proj);
	memset(&ce, 0, sizeof ce);
	rc = sf_cli_parse(ctx, argc, argv, "", flash_opts, on_opt, &o, &first);
	if (rc == SF_CLI_HELP)
		return 0;
	if (rc)
		return rc;
	argc -= first;
	argv += first;
	if (o.ndevices || o.all_online) {
		if (argc < 1)
			return sf_usage_error(ctx, "with --device/--all-online give the FILE (a binary, or source files)");
		if (o.ndevices && o.all_online)
			return sf_usage_error(ctx, "--device and --all-online cannot be combined");
		files = argv;
		nfiles = (size_t)argc;
	} else {
		if (argc < 2)
			return sf_usage_error(ctx, "give DEVICE FILE..., or FILE... with --device/--all-online");
		if (!*argv[0])
			return sf_usage_error(ctx, "empty DEVICE: give a device name or ID");
		o.devices[o.ndevices++] = argv[0];
		files = argv + 1;
		nfiles = (size_t)argc - 1;
	}
	/* the same device twice would start two updates at once */
	for (size_t i = 1; i < o.ndevices; i++)
		for (size_t k = 0; k < i; k++)
			if (sf_cloud_is_device_id(o.devices[i]) ? !strcasecmp(o.devices[i], o.devices[k])
								: !strcmp(o.devices[i], o.devices[k]))
				return sf_usage_error(ctx, "device '%s' is given twice", o.devices[i]);
	if (o.platform && !o.all_online)
		return sf_usage_error(ctx, "--platform only applies to --all-online");
	if (o.product) {
		if (o.all_online)
			return sf_usage_error(ctx, "--product cannot be combined with --all-online; name the devices by ID");
		if (!*o.product)
			return sf_usage_error(ctx, "empty --product");
		for (size_t i = 0; i < o.ndevices; i++)
			if (!sf_cloud_is_device_id(o.devices[i]))
				return sf_usage_error(ctx, "with --product the device must be an ID (24 hex digits), not a name: '%s'",
						      o.devices[i]);
	}

	/* The files first: nothing goes over the network for a bad file. */
	rc = sf_project_read(ctx, files, nfiles, &proj, &e);
	if (rc) {
		if (rc == SF_EXIT_USAGE)
			return sf_usage_error(ctx, "%s", e.msg);
		sf_out_error(ctx, "%s", e.msg);
		result_event(ctx, rc, e.msg);
		return rc;
	}
	sh.ctx = ctx;
	sh.ce = &ce;
	sh.o = &o;
	sh.show_tty_progress = !ctx->json && !ctx->quiet && isatty(2);
	if (proj.binary) {
		sh.file = files[0];
		data = proj.bin;
		sh.len = proj.bin_len;
		proj.bin = NULL;
		if (o.target) {
			free(data);
			return sf_usage_error(ctx, "--target only applies to source files; %s is a binary", sh.file);
		}
		if (sf_module_parse(data, sh.len, &sh.mod, &e)) {
			sf_out_error(ctx, "%s", e.msg);
			result_event(ctx, e.code, e.msg);
			free(data);
			return e.code;
		}
		if (sh.mod.is_module && !sh.mod.crc_ok) {
			if (!o.force) {
				sf_out_error(ctx, "%s is a module image with a bad CRC-32 (stored 0x%08x, computed 0x%08x): it is corrupt; pass --force to send it anyway",
					     sh.file, sh.mod.crc_stored, sh.mod.crc_computed);
				result_event(ctx, SF_EXIT_REFUSED, sf_out_last_error());
				free(data);
				return SF_EXIT_REFUSED;
			}
			sf_out_warning(ctx, "%s has a bad module CRC-32; sending it anyway (--force)", sh.file);
		}
		sh.data = data;
		make_upload_name(sh.file, sh.upload_name, sizeof sh.upload_name);
	} else {
		sh.file = proj.label;
		sh.proj = &proj;
	}

	if ((rc = load_env(ctx, &o, &ce, true, &e)) != 0) {
		fail_with(ctx, &ce, &e);
		result_event(ctx, rc, e.msg);
		goto out;
	}
	{
		json_t *plan_devices = json_array();
		for (size_t i = 0; i < o.ndevices; i++)
			json_array_append_new(plan_devices, sf_json_text(o.devices[i]));
		sf_out_event(ctx, "plan", json_pack("{s:s, s:o, s:I, s:o, s:o, s:o, s:b, s:o, s:i, s:b}",
						    "command", "cloud flash", "file", sf_json_text(sh.file),
						    "size", (json_int_t)(proj.binary ? sh.len : proj.total),
						    "api_url", sf_json_text(ce.s.api_url),
						    "module", proj.binary && sh.mod.is_module ?
							json_pack("{s:i, s:i, s:s}", "platform_id", sh.mod.platform_id,
								  "function", sh.mod.function, "function_name",
								  sf_module_function_name(sh.mod.function)) : json_null(),
						    "sources", proj.binary ? json_null() : sources_json(&proj),
						    "all_online", o.all_online,
						    "devices", plan_devices, "jobs", o.jobs, "dry_run", ctx->dry_run));
	}
	if (!proj.binary)
		print_sources(ctx, &proj, ctx->dry_run ? "would compile" : "compiling");
	if (ctx->dry_run) {
		const char *how = proj.binary ? "flash" : "compile for each device's platform and flash";
		size_t sz = proj.binary ? sh.len : proj.total;
		for (size_t i = 0; i < o.ndevices; i++)
			sf_out_info(ctx, "would %s %s (%zu bytes) to %s via %s", how, sh.file, sz, o.devices[i], ce.s.api_url);
		if (o.all_online)
			sf_out_info(ctx, "would %s %s (%zu bytes) to every online device%s%s via %s", how, sh.file, sz,
				    o.platform ? " of platform " : "", o.platform ? o.platform : "", ce.s.api_url);
		result_event(ctx, 0, "dry run: nothing sent");
		rc = 0;
		goto out;
	}
	if ((rc = need_token(ctx, &ce)) != 0)
		goto out;
	if ((rc = sf_http_global_init(&e)) != 0) {
		fail_with(ctx, &ce, &e);
		goto out;
	}

	if (o.all_online) {
		flash_job lj = { .sh = &sh, .arg = "device list", .platform_id = -1, .state = ST_LIST };
		sf_http_job *one = &lj.job;
		const char *seg[] = { "v1", "devices" };
		lj.job.next = flash_next;
		lj.job.req.kind = SF_REQ_GET;
		lj.job.req.token = ce.s.token;
		sf_cloud_url(lj.job.req.url, sizeof lj.job.req.url, ce.s.api_url, seg, 2, NULL);
		if ((rc = sf_http_run(&one, 1, 1, &ce.http, &e)) != 0) {
			fail_with(ctx, &ce, &e);
			goto out_http;
		}
		sf_http_req_reset(&lj.job.req);
		if (lj.code) {
			rc = lj.code;
			report(ctx, &ce, lj.msg, sizeof lj.msg);
			result_event(ctx, rc, lj.msg);
			goto out_http;
		}
		devlist = lj.list;
	}

	{
		json_t *ids = devlist ? sf_cloud_online_ids(devlist, o.platform ? sf_cloud_platform_id(o.platform) : -1) : NULL;
		size_t n = ids ? json_array_size(ids) : o.ndevices;
		if (n == 0) {
			json_decref(ids);
			rc = SF_EXIT_CLOUD_DEVICE;
			sf_out_error(ctx, "no online device%s%s in this account; see 'sparkflash cloud list'",
				     o.platform ? " of platform " : "", o.platform ? o.platform : "");
			result_event(ctx, rc, sf_out_last_error());
			goto out_http;
		}
		fjs = calloc(n, sizeof *fjs);
		if (!fjs) {
			json_decref(ids);
			rc = SF_EXIT_INTERNAL;
			goto out_http;
		}
		for (size_t i = 0; i < n; i++) {
			flash_job *fj = calloc(1, sizeof *fj);
			if (!fj) {
				rc = SF_EXIT_INTERNAL;
				json_decref(ids);
				goto out_http;
			}
			fjs[njobs++] = fj;
			fj->sh = &sh;
			fj->platform_id = -1;
			fj->job.next = flash_next;
			fj->job.req.token = ce.s.token;
			fj->data = sh.data;
			fj->len = sh.len;
			fj->mod = &sh.mod;
			fj->upload_name = sh.upload_name;
			fj->lookup_only = sh.proj != NULL;
			if (ids) {
				const char *id = json_string_value(json_array_get(ids, i));
				size_t k;
				json_t *dev;
				fj->arg = id;
				json_array_foreach(devlist, k, dev)
					if (json_equal(json_object_get(dev, "id"), json_array_get(ids, i)))
						copy_device_info(fj, dev);
				if (sh.proj)
					fj->state = ST_DONE; /* known from the list: compile next */
				else
					prepare_flash(fj);
			} else if (o.product) {
				fj->arg = o.devices[i];
				snprintf(fj->id, sizeof fj->id, "%s", o.devices[i]);
				for (char *c = fj->id; *c; c++)
					*c = (char)tolower((unsigned char)*c);
				if (sh.proj) {
					/* the platform to compile for: the product's device record */
					const char *seg[] = { "v1", "products", o.product, "devices", fj->id };
					fj->state = ST_LOOKUP;
					fj->job.req.kind = SF_REQ_GET;
					if (sf_cloud_url(fj->job.req.url, sizeof fj->job.req.url, ce.s.api_url, seg, 5, &e))
						job_fail(fj, e.code, "%s", e.msg);
				} else {
					prepare_flash(fj);
				}
			} else {
				const char *seg[] = { "v1", "devices", o.devices[i] };
				fj->arg = o.devices[i];
				fj->state = ST_LOOKUP;
				fj->job.req.kind = SF_REQ_GET;
				if (sf_cloud_url(fj->job.req.url, sizeof fj->job.req.url, ce.s.api_url, seg, 3, &e))
					job_fail(fj, e.code, "%s", e.msg);
			}
		}
		json_decref(ids);
		/* Jobs refused or skipped while preparing never reach the engine. */
		sh.show_tty_progress = sh.show_tty_progress && njobs == 1;
		if ((rc = run_jobs(fjs, njobs, o.jobs, &ce, &e)) != 0) {
			fail_with(ctx, &ce, &e);
			goto out_http;
		}
		if (sh.proj) {
			if ((rc = compile_for_devices(&sh, fjs, njobs, &cjs, &ncj, &e)) != 0) {
				fail_with(ctx, &ce, &e);
				goto out_http;
			}
			if ((rc = run_jobs(fjs, njobs, o.jobs, &ce, &e)) != 0) {
				fail_with(ctx, &ce, &e);
				goto out_http;
			}
		}
		for (size_t i = 0; i < njobs; i++) {
			int c;
			if (fjs[i]->skipped) {
				skipped++;
				continue;
			}
			c = flash_result(&sh, fjs[i]);
			if (c) {
				failed++;
				if (!final)
					final = c;
			}
		}
		if (skipped && skipped == njobs) {
			/* nothing was tried: like an account without a matching device */
			final = SF_EXIT_CLOUD_DEVICE;
		}
		if (njobs > 1 || o.all_online) {
			char sum[300];
			size_t tried = njobs - skipped;
			json_t *ev;
			if (skipped == njobs)
				snprintf(sum, sizeof sum, "no device flashed: all %zu online devices were skipped (another platform)",
					 njobs);
			else if (failed)
				snprintf(sum, sizeof sum, "%zu of %zu devices failed (%zu flashed)", failed, tried, tried - failed);
			else
				snprintf(sum, sizeof sum, "all %zu devices accepted the update", tried);
			if (skipped && skipped < njobs)
				snprintf(sum + strlen(sum), sizeof sum - strlen(sum), "; %zu skipped (another platform)", skipped);
			ev = sf_result_base(final, sum);
			json_object_set_new(ev, "devices", json_integer((json_int_t)tried));
			json_object_set_new(ev, "succeeded", json_integer((json_int_t)(tried - failed)));
			json_object_set_new(ev, "failed", json_integer((json_int_t)failed));
			json_object_set_new(ev, "skipped", json_integer((json_int_t)skipped));
			if (final)
				sf_out_error(ctx, "%s", sum);
			else
				sf_out_info(ctx, "%s", sum);
			if (skipped == njobs)
				result_event(ctx, final, sum);
			sf_out_event(ctx, "summary", ev);
		}
		rc = final;
	}
out_http:
	sf_http_global_cleanup();
out:
	for (size_t i = 0; i < njobs; i++) {
		sf_http_req_reset(&fjs[i]->job.req);
		free(fjs[i]);
	}
	free(fjs);
	for (size_t k = 0; k < ncj; k++)
		compile_job_free(&cjs[k]);
	free(cjs);
	json_decref(devlist);
	free(data);
	sf_project_free(&proj);
	memset(&ce.s.token, 0, sizeof ce.s.token);
	return rc;
}

int sf_cloud_flash_cmd(sf_ctx *ctx, int argc, char **argv)
{
	return cloud_finish(ctx, CK_FLASH, cloud_flash(ctx, argc, argv));
}

/* ---- cloud compile ------------------------------------------------------- */

/* Is `out` one of the inputs? (the binary must not replace a source) */
static int cloud_compile(sf_ctx *ctx, int argc, char **argv)
{
	cloud_opts o = { .jobs = 1 };
	cloud_env ce;
	compile_job cj;
	sf_project proj;
	sf_err e = { 0 };
	int first, rc, platform, bin_fd = -1;
	char outbuf[300];
	const char *out;
	bool to_stdout;
	json_t *res;
	char msg[SF_ERR_MSG_MAX];

	memset(&cj, 0, sizeof cj);
	memset(&proj, 0, sizeof proj);
	memset(&ce, 0, sizeof ce);
	rc = sf_cli_parse(ctx, argc, argv, "o:", compile_opts, on_opt, &o, &first);
	if (rc == SF_CLI_HELP)
		return 0;
	if (rc)
		return rc;
	argc -= first;
	argv += first;
	if (argc < 2)
		return sf_usage_error(ctx, "give PLATFORM SOURCE... (a platform name or number, then source files or directories)");
	platform = sf_cloud_platform_id(argv[0]);
	if (platform < 0 || platform > 0xFFFF)
		return sf_usage_error(ctx, "unknown platform '%s': give a name (photon, electron, argon, p2, ...) or a number", argv[0]);
	if (o.product && !*o.product)
		return sf_usage_error(ctx, "empty --product");
	to_stdout = o.output && !strcmp(o.output, "-");
	if (to_stdout && ctx->json)
		return sf_usage_error(ctx, "--output - cannot be combined with --json (stdout carries the events)");
	if (to_stdout && isatty(1))
		return sf_usage_error(ctx, "refusing to write a binary to a terminal; redirect stdout or give --output FILE");
	if (to_stdout) {
		/* stdout carries the binary alone: human text goes to stderr */
		fflush(stdout);
		if ((bin_fd = dup(1)) < 0 || dup2(2, 1) < 0) {
			sf_out_error(ctx, "cannot set up stdout for the binary: %s", strerror(errno));
			if (bin_fd >= 0)
				close(bin_fd);
			return SF_EXIT_INTERNAL;
		}
	}
	if (o.output)
		out = o.output;
	else {
		const char *pn = sf_cloud_platform_name(platform);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		/* particle-cli's default name: PLATFORM_firmware_MILLISECONDS.bin */
		snprintf(outbuf, sizeof outbuf, "%s_firmware_%lld.bin", pn ? pn : argv[0],
			 (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		out = outbuf;
	}

	rc = sf_project_read(ctx, argv + 1, (size_t)argc - 1, &proj, &e);
	if (!rc && proj.binary)
		rc = sf_err_set(&e, SF_EXIT_USAGE, "'%s' is a binary: nothing to compile (flash it with 'sparkflash cloud flash')",
				argv[1]);
	if (rc) {
		if (rc == SF_EXIT_USAGE)
			sf_usage_error(ctx, "%s", e.msg);
		else
			sf_out_error(ctx, "%s", e.msg);
		goto out;
	}
	for (size_t i = 0; !to_stdout && i < proj.n; i++)
		if (sf_same_file(out, proj.files[i].path)) {
			rc = sf_usage_error(ctx, "--output %s is one of the source files; give another name", out);
			goto out;
		}
	/* a link or a directory at --output is refused before anything is sent */
	if (!to_stdout && (rc = sf_dest_check(out, true, &e)) != 0) {
		sf_out_error(ctx, "%s", e.msg);
		goto out;
	}
	if ((rc = load_env(ctx, &o, &ce, true, &e)) != 0) {
		fail_with(ctx, &ce, &e);
		goto out;
	}
	sf_out_event(ctx, "plan", json_pack("{s:s, s:i, s:o, s:o, s:I, s:o, s:o, s:o, s:b}", "command", "cloud compile",
					    "platform_id", platform, "platform",
					    sf_cloud_platform_name(platform) ? json_string(sf_cloud_platform_name(platform)) : json_null(),
					    "sources", sources_json(&proj), "size", (json_int_t)proj.total,
					    "target", o.target ? sf_json_text(o.target) : json_string("latest"),
					    "output", to_stdout ? json_string("-") : sf_json_text(out),
					    "api_url", sf_json_text(ce.s.api_url), "dry_run", ctx->dry_run));
	print_sources(ctx, &proj, ctx->dry_run ? "would compile" : "compiling");
	cj.ctx = ctx;
	cj.ce = &ce;
	cj.o = &o;
	cj.proj = &proj;
	cj.platform_id = platform;
	if ((rc = compile_prepare(&cj, &e)) != 0) {
		fail_with(ctx, &ce, &e);
		goto out;
	}
	cj.job.next = compile_next;
	if (ctx->dry_run) {
		sf_out_info(ctx, "would compile for %s via %s and write %s", cj.what, ce.s.api_url, to_stdout ? "stdout" : out);
		res = sf_result_json(0, "dry run: nothing sent", NULL, json_array(), true);
		json_object_set_new(res, "output", json_null());
		result_out(ctx, res);
		goto out;
	}
	if ((rc = need_token(ctx, &ce)) != 0)
		goto out;
	if ((rc = sf_http_global_init(&e)) != 0) {
		fail_with(ctx, &ce, &e);
		goto out;
	}
	{
		sf_http_job *one = &cj.job;
		rc = sf_http_run(&one, 1, 1, &ce.http, &e);
	}
	sf_http_global_cleanup();
	if (rc) {
		fail_with(ctx, &ce, &e);
		goto out;
	}
	rc = cj.code;
	if (rc) {
		report_compile(ctx, &cj);
		snprintf(msg, sizeof msg, "%s", cj.msg);
	} else {
		if (to_stdout) {
			size_t w = 0;
			while (w < cj.bin_len) {
				ssize_t n = write(bin_fd, cj.bin + w, cj.bin_len - w);
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0)
					break;
				w += (size_t)n;
			}
			if (w != cj.bin_len) {
				rc = SF_EXIT_INTERNAL;
				sf_out_error(ctx, "cannot write the binary to stdout: %s", strerror(errno));
			}
		} else {
			sf_err we = { 0 };
			if ((rc = sf_write_file(out, cj.bin, cj.bin_len, 0666, true, &we)) != 0)
				sf_out_error(ctx, "%s (nothing written)", we.msg);
		}
		if (rc) {
			snprintf(msg, sizeof msg, "%s", sf_out_last_error());
		} else {
			snprintf(msg, sizeof msg, "compiled %zu source file%s for %s: %zu bytes written to %s", proj.n,
				 proj.n == 1 ? "" : "s", cj.what, cj.bin_len, to_stdout ? "stdout" : out);
			sf_out_info(ctx, "%s", msg);
			if (cj.res.size_info)
				sf_out_info(ctx, "%.*s", text_len(cj.res.size_info), cj.res.size_info);
		}
	}
	{
		sf_result_device d;
		json_t *ops = json_array();
		sf_result_device_init(&d);
		d.platform_id = platform;
		json_array_append_new(ops, compile_op(&cj));
		res = sf_result_json(rc, msg, sf_result_device_json(&d), ops, false);
		json_object_set_new(res, "output", rc ? json_null() : to_stdout ? json_string("-") : sf_json_text(out));
		result_out(ctx, res);
	}
out:
	if (bin_fd >= 0) {
		fflush(stdout);
		dup2(bin_fd, 1);
		close(bin_fd);
	}
	compile_job_free(&cj);
	sf_project_free(&proj);
	memset(&ce.s.token, 0, sizeof ce.s.token);
	return rc;
}

int sf_cloud_compile_cmd(sf_ctx *ctx, int argc, char **argv)
{
	return cloud_finish(ctx, CK_COMPILE, cloud_compile(ctx, argc, argv));
}

/* ---- list -------------------------------------------------------------- */

static int cloud_list(sf_ctx *ctx, int argc, char **argv)
{
	cloud_opts o = { 0 };
	cloud_env ce;
	sf_err e = { 0 };
	int first, rc;
	const char *filter = NULL;
	flash_job lj = { .arg = "device list", .platform_id = -1, .state = ST_LIST };
	flash_shared sh = { 0 };
	sf_http_job *one = &lj.job;
	const char *seg[] = { "v1", "devices" };
	size_t i, shown = 0;
	json_t *dev, *shown_list;

	rc = sf_cli_parse(ctx, argc, argv, "", net_opts, on_opt, &o, &first);
	if (rc == SF_CLI_HELP)
		return 0;
	if (rc)
		return rc;
	if (argc - first > 1)
		return sf_usage_error(ctx, "cloud list takes at most one FILTER (online, offline, a platform, a name or an ID)");
	if (argc - first == 1)
		filter = argv[first];
	if ((rc = load_env(ctx, &o, &ce, true, &e)) != 0)
		return fail_with(ctx, &ce, &e);
	if ((rc = need_token(ctx, &ce)) != 0)
		return rc;
	if ((rc = sf_http_global_init(&e)) != 0)
		return fail_with(ctx, &ce, &e);
	sh.ctx = ctx;
	sh.ce = &ce;
	sh.o = &o;
	lj.sh = &sh;
	lj.job.next = flash_next;
	lj.job.req.kind = SF_REQ_GET;
	lj.job.req.token = ce.s.token;
	sf_cloud_url(lj.job.req.url, sizeof lj.job.req.url, ce.s.api_url, seg, 2, NULL);
	rc = sf_http_run(&one, 1, 1, &ce.http, &e);
	sf_http_req_reset(&lj.job.req);
	sf_http_global_cleanup();
	if (rc)
		return fail_with(ctx, &ce, &e);
	if (lj.code) {
		report(ctx, &ce, lj.msg, sizeof lj.msg);
		return lj.code;
	}
	shown_list = json_array();
	if (!ctx->json && !ctx->quiet)
		printf("%-24s %-24s %-10s %s\n", "NAME", "ID", "PLATFORM", "ONLINE");
	json_array_foreach(lj.list, i, dev) {
		const char *name, *id;
		json_t *p;
		char plat[32];
		if (!sf_cloud_device_matches(dev, filter))
			continue;
		name = json_string_value(json_object_get(dev, "name"));
		id = json_string_value(json_object_get(dev, "id"));
		p = json_object_get(dev, "platform_id");
		if (json_is_integer(p)) {
			const char *pn = sf_cloud_platform_name((int)json_integer_value(p));
			if (pn)
				snprintf(plat, sizeof plat, "%s", pn);
			else
				snprintf(plat, sizeof plat, "%" JSON_INTEGER_FORMAT, json_integer_value(p));
		} else {
			snprintf(plat, sizeof plat, "-");
		}
		shown++;
		if (ctx->json) {
			json_t *dj = json_pack("{s:o, s:o, s:O, s:o, s:b}", "name", name ? sf_json_text(name) : json_null(),
					      "id", id ? sf_json_text(id) : json_null(),
					      "platform_id", json_is_integer(p) ? p : json_null(),
					      "platform", strcmp(plat, "-") ? json_string(plat) : json_null(),
					      "online", sf_cloud_device_online(dev));
			json_array_append(shown_list, dj);
			sf_out_event(ctx, "device", dj);
		} else {
			printf("%-24s %-24s %-10s %s\n", name && *name && strcmp(name, "null") ? name : "<no name>",
			       id ? id : "?", plat, sf_cloud_device_online(dev) ? "yes" : "no");
		}
	}
	{
		char msg[64];
		snprintf(msg, sizeof msg, "%zu device%s listed", shown, shown == 1 ? "" : "s");
		result_out(ctx, list_result(0, msg, shown_list));
	}
	json_decref(lj.list);
	memset(&ce.s.token, 0, sizeof ce.s.token);
	return 0;
}

/* ---- login / logout ---------------------------------------------------- */

/* Reads one line from stdin into buf (without the newline); with echo off
 * when stdin is a terminal and `secret`. Returns false at EOF. */
static bool read_line(const char *prompt, bool secret, char *buf, size_t size)
{
	struct termios old, quiet;
	bool tty = isatty(0), noecho = false, ok;
	size_t n;
	if (tty) {
		/* echo off before the prompt: nothing typed after it is shown */
		if (secret && tcgetattr(0, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			noecho = tcsetattr(0, TCSANOW, &quiet) == 0;
		}
		fputs(prompt, stderr);
		fflush(stderr);
	}
	ok = fgets(buf, (int)size, stdin) != NULL;
	if (noecho) {
		tcsetattr(0, TCSANOW, &old);
		fputc('\n', stderr);
	}
	if (!ok)
		return false;
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return true;
}

/* Writes `text` to `path` atomically with mode 0600 (temp file + rename). */
static int write_private(const char *dir, const char *path, const char *text, sf_err *err)
{
	if (mkdir(dir, 0700) && errno != EEXIST)
		return sf_err_set(err, SF_EXIT_INTERNAL, "cannot create %s: %s", dir, strerror(errno));
	/* a link there is refused (fileio.h): the token never goes through one */
	return sf_write_file(path, text, strlen(text), 0600, true, err);
}

static int cloud_login(sf_ctx *ctx, int argc, char **argv)
{
	cloud_opts o = { 0 };
	cloud_env ce;
	sf_err e = { 0 };
	int first, rc;
	char user[256], pass[512];
	char *form = NULL, *eu = NULL, *ep = NULL, *old = NULL, *text = NULL;
	flash_job lj = { .arg = "login", .platform_id = -1 };
	flash_shared sh = { 0 };
	sf_http_job *one = &lj.job;
	sf_cloud_outcome out = { 0 };
	const char *seg[] = { "oauth", "token" };
	bool missing;

	rc = sf_cli_parse(ctx, argc, argv, "", net_opts, on_opt, &o, &first);
	if (rc == SF_CLI_HELP)
		return 0;
	if (rc)
		return rc;
	if (argc != first)
		return sf_usage_error(ctx, "cloud login takes no arguments (give --username; the password is read from stdin)");
	if ((rc = load_env(ctx, &o, &ce, false, &e)) != 0)
		return fail_with(ctx, &ce, &e);
	if (!ce.home[0]) {
		sf_out_error(ctx, "HOME is not set: nowhere to save the token");
		return SF_EXIT_USAGE;
	}
	{
		/* a link where the token goes: refused before the password is sent */
		struct stat st;
		if (lstat(ce.profile_path, &st) == 0 && S_ISLNK(st.st_mode)) {
			sf_dest_check(ce.profile_path, true, &e);
			return fail_with(ctx, &ce, &e);
		}
	}
	if (o.username)
		snprintf(user, sizeof user, "%s", o.username);
	else if (!read_line("username: ", false, user, sizeof user) || !*user) {
		sf_out_error(ctx, "no username given; pass --username or type it");
		return SF_EXIT_USAGE;
	}
	if (!read_line("password: ", true, pass, sizeof pass)) {
		sf_out_error(ctx, "no password given on stdin");
		return SF_EXIT_USAGE;
	}
	eu = sf_http_escape(user);
	ep = sf_http_escape(pass);
	memset(pass, 0, sizeof pass);
	if (!eu || !ep || asprintf(&form, "grant_type=password&username=%s&password=%s&expires_in=7776000", eu, ep) < 0) {
		rc = SF_EXIT_INTERNAL;
		form = NULL;
		goto out;
	}
	if ((rc = sf_http_global_init(&e)) != 0) {
		fail_with(ctx, &ce, &e);
		goto out;
	}
	sh.ctx = ctx;
	sh.ce = &ce;
	sh.o = &o;
	lj.sh = &sh;
	lj.job.req.kind = SF_REQ_LOGIN;
	lj.job.req.form = form;
	lj.job.req.basic_auth = "particle-cli:particle-cli";
	sf_cloud_url(lj.job.req.url, sizeof lj.job.req.url, ce.s.api_url, seg, 2, NULL);
	rc = sf_http_run(&one, 1, 1, &ce.http, &e);
	sf_http_global_cleanup();
	if (rc) {
		fail_with(ctx, &ce, &e);
		goto out;
	}
	if (lj.job.req.fail != SF_FAIL_NONE) {
		rc = sf_http_transport_error(&lj.job.req, "login", &e);
		fail_with(ctx, &ce, &e);
		goto out;
	}
	rc = sf_cloud_classify(SF_CLOUD_OP_LOGIN, lj.job.req.status, lj.job.req.body, lj.job.req.body_len, user, &out);
	if (rc) {
		report(ctx, &ce, out.msg, sizeof out.msg);
		goto out;
	}
	{
		const char *token = json_string_value(json_object_get(out.body, "access_token"));
		json_t *exp = json_object_get(out.body, "expires_in");
		char when[64];
		const char *expires = NULL;
		if (json_is_integer(exp) &&
		    sf_cloud_expiry_text((long long)time(NULL), (long long)json_integer_value(exp), when, sizeof when))
			expires = when;
		old = read_text(ctx, ce.profile_path, &missing, NULL);
		if (!old && !missing) {
			rc = sf_err_set(&e, SF_EXIT_INTERNAL, "cannot read %s: %s", ce.profile_path, strerror(errno));
			fail_with(ctx, &ce, &e);
			goto out;
		}
		text = sf_cloud_config_with_token(old, token, user, expires, &e);
		if (!text) {
			rc = fail_with(ctx, &ce, &e);
			goto out;
		}
		if ((rc = write_private(ce.profile_dir, ce.profile_path, text, &e)) != 0) {
			fail_with(ctx, &ce, &e);
			goto out;
		}
		sf_out_info(ctx, "logged in as %s; token saved in %s", user, ce.profile_path);
		if (ce.s.token_source == SF_TOKEN_ENV)
			sf_out_warning(ctx, "PARTICLE_ACCESS_TOKEN is set and takes precedence over the saved token");
		{
			char msg[1600];
			json_t *res;
			snprintf(msg, sizeof msg, "logged in as %.255s; token saved in %.1199s", user, ce.profile_path);
			res = sf_result_base(0, msg);
			json_object_set_new(res, "username", sf_json_text(user));
			json_object_set_new(res, "config", sf_json_text(ce.profile_path));
			result_out(ctx, res);
		}
	}
out:
	if (text)
		memset(text, 0, strlen(text));
	if (form)
		memset(form, 0, strlen(form));
	if (ep)
		memset(ep, 0, strlen(ep));
	free(text);
	free(old);
	free(form);
	free(eu);
	free(ep);
	json_decref(out.body);
	sf_http_req_reset(&lj.job.req);
	memset(&ce.s.token, 0, sizeof ce.s.token);
	return rc;
}

static int remove_token_from(const sf_ctx *ctx, const char *dir, const char *path, int *removed)
{
	bool missing;
	char *old = read_text(ctx, path, &missing, NULL), *text;
	sf_err e = { 0 };
	int had = 0, rc;
	if (!old) {
		if (missing)
			return 0;
		sf_out_error(ctx, "cannot read %s: %s", path, strerror(errno));
		return SF_EXIT_INTERNAL;
	}
	text = sf_cloud_config_without_token(old, &had, &e);
	memset(old, 0, strlen(old));
	free(old);
	if (!text) {
		sf_out_error(ctx, "%s: %s", path, e.msg);
		return e.code;
	}
	rc = had ? write_private(dir, path, text, &e) : 0;
	free(text);
	if (rc) {
		sf_out_error(ctx, "%s", e.msg);
		return rc;
	}
	if (had) {
		(*removed)++;
		sf_out_info(ctx, "removed the token from %s", path);
	}
	return 0;
}

/* DELETE /v1/access_tokens/current with the saved token. */
static int revoke_token(sf_ctx *ctx, const cloud_opts *o, cloud_env *ce)
{
	flash_job lj = { .arg = "token revocation", .platform_id = -1 };
	flash_shared sh = { .ctx = ctx, .ce = ce, .o = o };
	sf_http_job *one = &lj.job;
	const char *seg[] = { "v1", "access_tokens", "current" };
	sf_cloud_outcome out = { 0 };
	sf_err e = { 0 };
	int rc;

	if ((rc = sf_http_global_init(&e)) != 0)
		return fail_with(ctx, ce, &e);
	lj.sh = &sh;
	lj.job.req.kind = SF_REQ_DELETE;
	lj.job.req.token = ce->s.token;
	sf_cloud_url(lj.job.req.url, sizeof lj.job.req.url, ce->s.api_url, seg, 3, NULL);
	rc = sf_http_run(&one, 1, 1, &ce->http, &e);
	sf_http_global_cleanup();
	if (!rc && lj.job.req.fail != SF_FAIL_NONE)
		rc = sf_http_transport_error(&lj.job.req, "token revocation", &e);
	if (rc) {
		fail_with(ctx, ce, &e);
	} else {
		/* any 2xx body is fine; errors classify like a device list */
		if (lj.job.req.status < 200 || lj.job.req.status >= 300) {
			rc = sf_cloud_classify(SF_CLOUD_OP_LIST, lj.job.req.status, lj.job.req.body,
					       lj.job.req.body_len, "token", &out);
			snprintf(e.msg, sizeof e.msg, "revoking the token failed: %.400s", out.msg);
			e.code = rc;
			fail_with(ctx, ce, &e);
			json_decref(out.body);
		} else {
			sf_out_info(ctx, "revoked the saved token at %s", ce->s.api_url);
		}
	}
	sf_http_req_reset(&lj.job.req);
	return rc;
}

static int cloud_logout(sf_ctx *ctx, int argc, char **argv)
{
	cloud_opts o = { 0 };
	cloud_env ce;
	sf_err e = { 0 };
	int first, rc, removed = 0, revoke_rc = 0;
	char spark_dir[1100];

	rc = sf_cli_parse(ctx, argc, argv, "", net_opts, on_opt, &o, &first);
	if (rc == SF_CLI_HELP)
		return 0;
	if (rc)
		return rc;
	if (argc != first)
		return sf_usage_error(ctx, "cloud logout takes no arguments");
	if ((rc = load_env(ctx, &o, &ce, false, &e)) != 0)
		return fail_with(ctx, &ce, &e);
	if (o.revoke && (ce.s.token_source == SF_TOKEN_PROFILE || ce.s.token_source == SF_TOKEN_SPARK))
		revoke_rc = revoke_token(ctx, &o, &ce);
	else if (o.revoke)
		sf_out_warning(ctx, "--revoke: no saved token to revoke");
	memset(&ce.s.token, 0, sizeof ce.s.token);
	if (!ce.home[0]) {
		sf_out_error(ctx, "HOME is not set: no config files to change");
		return SF_EXIT_USAGE;
	}
	if ((rc = remove_token_from(ctx, ce.profile_dir, ce.profile_path, &removed)) != 0)
		return rc;
	snprintf(spark_dir, sizeof spark_dir, "%s/.spark", ce.home);
	if ((rc = remove_token_from(ctx, spark_dir, ce.spark_path, &removed)) != 0)
		return rc;
	if (!removed)
		sf_out_info(ctx, "no saved token (looked in %s and %s)", ce.profile_path, ce.spark_path);
	if (ce.s.token_source == SF_TOKEN_ENV)
		sf_out_warning(ctx, "PARTICLE_ACCESS_TOKEN is still set in the environment; unset it to log out completely");
	{
		char msg[64];
		json_t *res;
		snprintf(msg, sizeof msg, "removed %d saved token%s", removed, removed == 1 ? "" : "s");
		res = sf_result_base(revoke_rc, revoke_rc ? sf_out_last_error() : msg);
		json_object_set_new(res, "removed", json_integer(removed));
		result_out(ctx, res);
	}
	return revoke_rc;
}

/* ---- device keys (keys send, keys doctor) ------------------------------- */

static int key_env(const sf_ctx *ctx, const sf_cloud_key_req *req, cloud_env *ce, char *url,
		   size_t url_size, sf_err *err)
{
	cloud_opts o = { 0 };
	const char *seg[] = { "v1", "provisioning", req->device_id };
	int rc;
	o.api_url = req->api_url;
	o.cacert = req->cacert;
	o.connect_timeout = req->connect_timeout;
	o.max_time = req->max_time;
	if ((rc = load_env(ctx, &o, ce, true, err)) != 0)
		return rc;
	if (!ce->s.token_source)
		return sf_err_set(err, SF_EXIT_CLOUD_AUTH,
				  "not logged in: no token in PARTICLE_ACCESS_TOKEN, %s or %s; run 'sparkflash cloud login' or set PARTICLE_ACCESS_TOKEN",
				  ce->profile_path[0] ? ce->profile_path : "~/.particle/particle.config.json",
				  ce->spark_path[0] ? ce->spark_path : "~/.spark/spark.config.json");
	return sf_cloud_url(url, url_size, ce->s.api_url, seg, 3, err);
}

/* One request, retried as its kind allows; classified as `op`. */
static int key_request(const sf_ctx *ctx, cloud_env *ce, sf_http_job *job, sf_cloud_op op, const char *what,
		       long *http_status, sf_err *err)
{
	sf_http_job *one = job;
	sf_cloud_outcome out = { 0 };
	int rc;
	(void)ctx;
	if ((rc = sf_http_global_init(err)) != 0)
		return rc;
	rc = sf_http_run(&one, 1, 1, &ce->http, err);
	sf_http_global_cleanup();
	if (http_status)
		*http_status = job->req.status;
	if (rc)
		return rc;
	if (job->req.fail != SF_FAIL_NONE) {
		char opn[200];
		snprintf(opn, sizeof opn, "%s", op == SF_CLOUD_OP_USER ? "the token check" : "sending the key");
		return sf_http_transport_error(&job->req, opn, err);
	}
	rc = sf_cloud_classify(op, job->req.status, job->req.body, job->req.body_len, what, &out);
	if (rc) {
		if (job->req.status == 429 && job->req.retry_after[0])
			sf_err_set(err, rc, "%.400s (the server asks to wait %.40s s before retrying)", out.msg,
				   job->req.retry_after);
		else
			sf_err_set(err, rc, "%s", out.msg);
		sf_cloud_redact(err->msg, sizeof err->msg, ce->s.token);
	}
	json_decref(out.body);
	return rc;
}

int sf_cloud_key_check(const sf_ctx *ctx, const sf_cloud_key_req *req, bool online, char *url,
		       size_t url_size, sf_err *err)
{
	cloud_env ce;
	sf_http_job job;
	const char *seg[] = { "v1", "user" };
	int rc = key_env(ctx, req, &ce, url, url_size, err);
	if (rc || !online)
		goto out;
	memset(&job, 0, sizeof job);
	job.req.kind = SF_REQ_GET;
	job.req.token = ce.s.token;
	if ((rc = sf_cloud_url(job.req.url, sizeof job.req.url, ce.s.api_url, seg, 2, err)) == 0)
		rc = key_request(ctx, &ce, &job, SF_CLOUD_OP_USER, req->device_id, NULL, err);
	sf_http_req_reset(&job.req);
out:
	sf_cloud_redact(err->msg, sizeof err->msg, ce.s.token);
	memset(&ce.s.token, 0, sizeof ce.s.token);
	return rc;
}

int sf_cloud_send_key(const sf_ctx *ctx, const sf_cloud_key_req *req, long *http_status, sf_err *err)
{
	cloud_env ce;
	sf_http_job job;
	char *pem = NULL, *prod = NULL, *form = NULL;
	struct timespec ts;
	long long ms;
	int rc;

	*http_status = 0;
	memset(&job, 0, sizeof job);
	if ((rc = key_env(ctx, req, &ce, job.req.url, sizeof job.req.url, err)) != 0)
		goto out;
	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	pem = sf_http_escape(req->public_pem);
	prod = req->product ? sf_http_escape(req->product) : NULL;
	if (!pem || (req->product && !prod) ||
	    asprintf(&form, "deviceID=%s&publicKey=%s&filename=cli&order=manual_%lld&algorithm=%s%s%s",
		     req->device_id, pem, ms, req->algorithm, prod ? "&product_id=" : "", prod ? prod : "") < 0) {
		form = NULL;
		rc = sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
		goto out;
	}
	job.req.kind = SF_REQ_POST;
	job.req.token = ce.s.token;
	job.req.form = form;
	rc = key_request(ctx, &ce, &job, SF_CLOUD_OP_PROVISION, req->device_id, http_status, err);
out:
	sf_cloud_redact(err->msg, sizeof err->msg, ce.s.token);
	sf_http_req_reset(&job.req);
	memset(&ce.s.token, 0, sizeof ce.s.token);
	free(pem);
	free(prod);
	free(form);
	return rc;
}

/* ---- dispatch ---------------------------------------------------------- */

int cmd_cloud(sf_ctx *ctx, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	if (!sub || sub[0] == '-') {
		int first, rc = sf_cli_parse(ctx, argc, argv, "", NULL, NULL, NULL, &first);
		if (rc == SF_CLI_HELP)
			return 0;
		if (rc)
			return rc;
		return sf_usage_error(ctx, "cloud needs a subcommand: flash, compile, list, login or logout");
	}
	if (!strcmp(sub, "flash"))
		return sf_cloud_flash_cmd(ctx, argc - 1, argv + 1);
	if (!strcmp(sub, "compile"))
		return sf_cloud_compile_cmd(ctx, argc - 1, argv + 1);
	if (!strcmp(sub, "list"))
		return cloud_finish(ctx, CK_LIST, cloud_list(ctx, argc - 1, argv + 1));
	if (!strcmp(sub, "login"))
		return cloud_finish(ctx, CK_LOGIN, cloud_login(ctx, argc - 1, argv + 1));
	if (!strcmp(sub, "logout"))
		return cloud_finish(ctx, CK_LOGOUT, cloud_logout(ctx, argc - 1, argv + 1));
	return sf_usage_error(ctx, "unknown cloud subcommand '%s' (flash, compile, list, login, logout)", sub);
}

/* The options of this command besides the common ones (commands.h). */
const struct option *const sf_options_cloud[] = { flash_opts, compile_opts, net_opts, NULL };
