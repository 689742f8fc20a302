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
#include "cloud_resp.h"
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
} cloud_opts;

static const struct option flash_opts[] = {
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "all-online", no_argument, NULL, OPT_ALL_ONLINE },
	{ "platform", required_argument, NULL, OPT_PLATFORM },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "product", required_argument, NULL, OPT_PRODUCT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "api-url", required_argument, NULL, OPT_API_URL },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "max-time", required_argument, NULL, OPT_MAX_TIME },
	{ "cloud", no_argument, NULL, OPT_CLOUD },
	{ NULL, 0, NULL, 0 },
};

static const struct option net_opts[] = {
	{ "api-url", required_argument, NULL, OPT_API_URL },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "max-time", required_argument, NULL, OPT_MAX_TIME },
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
typedef enum cloud_kind { CK_FLASH, CK_LIST, CK_LOGIN, CK_LOGOUT } cloud_kind;
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

typedef struct flash_shared {
	sf_ctx *ctx;
	cloud_env *ce;
	const cloud_opts *o;
	const char *file;
	const uint8_t *data;
	size_t len;
	sf_module_info mod;
	char upload_name[256];
	bool show_tty_progress;
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

/* Platform check, then prepares the PUT. Returns false when refused. */
static bool prepare_flash(flash_job *fj)
{
	flash_shared *sh = fj->sh;
	sf_err e = { 0 };
	const char *dev_name = fj->name[0] ? fj->name : fj->arg;

	if (sh->mod.is_module && fj->platform_id >= 0 && sh->mod.platform_id != fj->platform_id) {
		const char *fp = sf_cloud_platform_name(sh->mod.platform_id);
		const char *dp = sf_cloud_platform_name(fj->platform_id);
		if (!sh->o->force)
			return job_fail(fj, SF_EXIT_REFUSED,
					"refusing to flash %s to '%s': the image is for platform %u (%s) but the device is platform %d (%s); pass --force to flash anyway",
					sh->file, dev_name, sh->mod.platform_id, fp ? fp : "unknown",
					fj->platform_id, dp ? dp : "unknown");
		sf_out_warning(sh->ctx, "%s is for platform %u but '%s' is platform %d; flashing anyway (--force)",
			       sh->file, sh->mod.platform_id, dev_name, fj->platform_id);
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
	fj->job.req.file_data = sh->data;
	fj->job.req.file_len = sh->len;
	fj->job.req.upload_name = sh->upload_name;
	fj->job.req.progress = on_upload_progress;
	fj->job.req.progress_ud = fj;
	fj->last_pct = -1;
	fj->state = ST_FLASH;
	if (fj->name[0] && strcmp(fj->name, fj->id))
		sf_out_info(sh->ctx, "flashing %s (%zu bytes) to %s [%s]", sh->file, sh->len, fj->name, fj->id);
	else
		sf_out_info(sh->ctx, "flashing %s (%zu bytes) to %s", sh->file, sh->len, fj->id);
	return true;
}

static void copy_device_info(flash_job *fj, const json_t *dev)
{
	const char *id = json_string_value(json_object_get(dev, "id"));
	const char *name = json_string_value(json_object_get(dev, "name"));
	json_t *p = json_object_get(dev, "platform_id");
	snprintf(fj->id, sizeof fj->id, "%s", id ? id : "");
	snprintf(fj->name, sizeof fj->name, "%s", name ? name : "");
	fj->platform_id = json_is_integer(p) ? (int)json_integer_value(p) : -1;
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
	/* the flash request, once it was made */
	if (fj->job.req.kind == SF_REQ_PUT)
		json_array_append_new(ops, json_pack("{s:s, s:o, s:I, s:o, s:o, s:b}", "operation", "cloud-flash",
						     "file", sf_json_text(sh->file), "bytes", (json_int_t)sh->len,
						     "http_status", fj->http_status ? json_integer(fj->http_status) : json_null(),
						     "status", fj->code == 0 ? sf_json_text(fj->status) : json_null(),
						     "ok", fj->code == 0));
	if (fj->code == 0) {
		snprintf(msg, sizeof msg, "%s [%s]: %s (the device installs the update and restarts)",
			 fj->name[0] ? fj->name : fj->arg, fj->id, fj->status);
		sf_out_info(ctx, "%s", msg);
	} else {
		snprintf(msg, sizeof msg, "%s", fj->msg);
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

static int cloud_flash(sf_ctx *ctx, int argc, char **argv)
{
	cloud_opts o = { .jobs = 4 };
	cloud_env ce;
	flash_shared sh = { 0 };
	flash_job **fjs = NULL;
	sf_http_job **jobs = NULL;
	uint8_t *data = NULL;
	size_t njobs = 0, failed = 0;
	sf_err e = { 0 };
	int first, rc, final = 0;
	const char *file;
	json_t *devlist = NULL;

	rc = sf_cli_parse(ctx, argc, argv, "", flash_opts, on_opt, &o, &first);
	if (rc == SF_CLI_HELP)
		return 0;
	if (rc)
		return rc;
	argc -= first;
	argv += first;
	if (o.ndevices || o.all_online) {
		if (argc != 1)
			return sf_usage_error(ctx, "with --device/--all-online give exactly one FILE (got %d arguments)", argc);
		if (o.ndevices && o.all_online)
			return sf_usage_error(ctx, "--device and --all-online cannot be combined");
		file = argv[0];
	} else {
		if (argc != 2)
			return sf_usage_error(ctx, "give DEVICE FILE, or FILE with --device/--all-online");
		if (!*argv[0])
			return sf_usage_error(ctx, "empty DEVICE: give a device name or ID");
		o.devices[o.ndevices++] = argv[0];
		file = argv[1];
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

	/* The file first: nothing goes over the network for a bad file. */
	rc = sf_image_read(file, 0, &data, &sh.len, &e);
	if (rc) {
		sf_out_error(ctx, "%s", e.msg);
		result_event(ctx, rc, e.msg);
		return rc;
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
				     file, sh.mod.crc_stored, sh.mod.crc_computed);
			result_event(ctx, SF_EXIT_REFUSED, sf_out_last_error());
			free(data);
			return SF_EXIT_REFUSED;
		}
		sf_out_warning(ctx, "%s has a bad module CRC-32; sending it anyway (--force)", file);
	}
	sh.ctx = ctx;
	sh.ce = &ce;
	sh.o = &o;
	sh.file = file;
	sh.data = data;
	make_upload_name(file, sh.upload_name, sizeof sh.upload_name);
	sh.show_tty_progress = !ctx->json && !ctx->quiet && isatty(2);

	if ((rc = load_env(ctx, &o, &ce, true, &e)) != 0) {
		fail_with(ctx, &ce, &e);
		result_event(ctx, rc, e.msg);
		goto out;
	}
	json_t *plan_devices = json_array();
	for (size_t i = 0; i < o.ndevices; i++)
		json_array_append_new(plan_devices, sf_json_text(o.devices[i]));
	sf_out_event(ctx, "plan", json_pack("{s:s, s:o, s:I, s:o, s:o, s:b, s:o, s:i, s:b}",
					    "command", "cloud flash", "file", sf_json_text(file), "size", (json_int_t)sh.len,
					    "api_url", sf_json_text(ce.s.api_url),
					    "module", sh.mod.is_module ? json_pack("{s:i, s:i, s:s}", "platform_id", sh.mod.platform_id,
										   "function", sh.mod.function, "function_name",
										   sf_module_function_name(sh.mod.function)) : json_null(),
					    "all_online", o.all_online,
					    "devices", plan_devices, "jobs", o.jobs, "dry_run", ctx->dry_run));
	if (ctx->dry_run) {
		for (size_t i = 0; i < o.ndevices; i++)
			sf_out_info(ctx, "would flash %s (%zu bytes) to %s via %s", file, sh.len, o.devices[i], ce.s.api_url);
		if (o.all_online)
			sf_out_info(ctx, "would flash %s (%zu bytes) to every online device%s%s via %s", file, sh.len,
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
		jobs = calloc(n, sizeof *jobs);
		if (!fjs || !jobs) {
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
			fjs[njobs] = fj;
			jobs[njobs] = &fj->job;
			njobs++;
			fj->sh = &sh;
			fj->platform_id = -1;
			fj->job.next = flash_next;
			fj->job.req.token = ce.s.token;
			if (ids) {
				const char *id = json_string_value(json_array_get(ids, i));
				size_t k;
				json_t *dev;
				fj->arg = id;
				json_array_foreach(devlist, k, dev)
					if (json_equal(json_object_get(dev, "id"), json_array_get(ids, i)))
						copy_device_info(fj, dev);
				if (!prepare_flash(fj))
					continue;
			} else if (o.product) {
				fj->arg = o.devices[i];
				snprintf(fj->id, sizeof fj->id, "%s", o.devices[i]);
				for (char *c = fj->id; *c; c++)
					*c = (char)tolower((unsigned char)*c);
				if (!prepare_flash(fj))
					continue;
			} else {
				const char *seg[] = { "v1", "devices", o.devices[i] };
				fj->arg = o.devices[i];
				fj->state = ST_LOOKUP;
				fj->job.req.kind = SF_REQ_GET;
				if (sf_cloud_url(fj->job.req.url, sizeof fj->job.req.url, ce.s.api_url, seg, 3, &e)) {
					job_fail(fj, e.code, "%s", e.msg);
					continue;
				}
			}
		}
		/* Jobs refused while preparing (platform mismatch) never reach the engine. */
		{
			sf_http_job **run = calloc(njobs, sizeof *run);
			size_t nrun = 0;
			if (!run) {
				json_decref(ids);
				rc = SF_EXIT_INTERNAL;
				goto out_http;
			}
			for (size_t i = 0; i < njobs; i++)
				if (fjs[i]->state != ST_DONE)
					run[nrun++] = jobs[i];
			sh.show_tty_progress = sh.show_tty_progress && njobs == 1;
			rc = sf_http_run(run, nrun, o.jobs, &ce.http, &e);
			free(run);
		}
		if (rc) {
			json_decref(ids);
			fail_with(ctx, &ce, &e);
			goto out_http;
		}
		for (size_t i = 0; i < njobs; i++) {
			int c = flash_result(&sh, fjs[i]);
			if (c) {
				failed++;
				if (!final)
					final = c;
			}
		}
		if (njobs > 1 || o.all_online) {
			char sum[200];
			json_t *ev;
			if (failed)
				snprintf(sum, sizeof sum, "%zu of %zu devices failed (%zu flashed)", failed, njobs, njobs - failed);
			else
				snprintf(sum, sizeof sum, "all %zu devices accepted the update", njobs);
			ev = sf_result_base(final, sum);
			json_object_set_new(ev, "devices", json_integer((json_int_t)njobs));
			json_object_set_new(ev, "succeeded", json_integer((json_int_t)(njobs - failed)));
			json_object_set_new(ev, "failed", json_integer((json_int_t)failed));
			if (failed)
				sf_out_error(ctx, "%s", sum);
			else
				sf_out_info(ctx, "%s", sum);
			sf_out_event(ctx, "summary", ev);
		}
		rc = final;
		json_decref(ids);
	}
out_http:
	sf_http_global_cleanup();
out:
	for (size_t i = 0; i < njobs; i++) {
		sf_http_req_reset(&fjs[i]->job.req);
		free(fjs[i]);
	}
	free(fjs);
	free(jobs);
	json_decref(devlist);
	free(data);
	memset(&ce.s.token, 0, sizeof ce.s.token);
	return rc;
}

int sf_cloud_flash_cmd(sf_ctx *ctx, int argc, char **argv)
{
	return cloud_finish(ctx, CK_FLASH, cloud_flash(ctx, argc, argv));
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
		fputs(prompt, stderr);
		fflush(stderr);
		if (secret && tcgetattr(0, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			noecho = tcsetattr(0, TCSANOW, &quiet) == 0;
		}
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
		return sf_usage_error(ctx, "cloud needs a subcommand: flash, list, login or logout");
	}
	if (!strcmp(sub, "flash"))
		return sf_cloud_flash_cmd(ctx, argc - 1, argv + 1);
	if (!strcmp(sub, "list"))
		return cloud_finish(ctx, CK_LIST, cloud_list(ctx, argc - 1, argv + 1));
	if (!strcmp(sub, "login"))
		return cloud_finish(ctx, CK_LOGIN, cloud_login(ctx, argc - 1, argv + 1));
	if (!strcmp(sub, "logout"))
		return cloud_finish(ctx, CK_LOGOUT, cloud_logout(ctx, argc - 1, argv + 1));
	return sf_usage_error(ctx, "unknown cloud subcommand '%s' (flash, list, login, logout)", sub);
}
