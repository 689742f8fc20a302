/* sparkflash doctor: checks the setup (dfu-util, profiles, udev rules, USB
 * access, cloud token and API) and says what to fix. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cloud_config.h"
#include "cloud_http.h"
#include "commands.h"
#include "dfu_runner.h"
#include "diag.h"
#include "diag_host.h"
#include "fileio.h"
#include "out.h"
#include "result.h"
#include "profile_io.h"
#include "sf_error.h"
#include "udev.h"

enum { OPT_RULES_DIR = SF_OPT_COMMAND_BASE, OPT_API, OPT_API_URL };

typedef enum { ST_OK, ST_INFO, ST_WARNING, ST_ERROR, ST_SKIPPED } check_status;

static const char *const status_names[] = { "ok", "info", "warning", "error", "skipped" };

struct doctor_opts {
	const char *rules_dirs[8];
	size_t nrules_dirs;
	bool api;
	const char *api_url;
};

struct doctor {
	const sf_ctx *ctx;
	int first_error;   /* exit code of the first error, 0 if none */
	int errors, warnings;
};

static int doctor_opt(sf_ctx *ctx, int opt, const char *arg, void *data)
{
	struct doctor_opts *o = data;
	switch (opt) {
	case OPT_RULES_DIR:
		if (o->nrules_dirs == sizeof o->rules_dirs / sizeof o->rules_dirs[0])
			return sf_usage_error(ctx, "too many --rules-dir options (at most 8)");
		o->rules_dirs[o->nrules_dirs++] = arg;
		return 0;
	case OPT_API:
		o->api = true;
		return 0;
	case OPT_API_URL:
		o->api_url = arg;
		o->api = true;
		return 0;
	default:
		return sf_usage_error(ctx, "unknown option");
	}
}

/* Reports one check: a human line "STATUS  NAME: message" (+ "fix: ...")
 * and a `check` event. */
__attribute__((format(printf, 6, 7)))
static void report(struct doctor *d, const char *name, check_status st, int code, const char *fix,
		   const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	FILE *human = d->ctx->json ? stderr : stdout;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (st == ST_ERROR) {
		d->errors++;
		if (!d->first_error)
			d->first_error = code ? code : SF_EXIT_INTERNAL;
	} else if (st == ST_WARNING) {
		d->warnings++;
	}
	if (!d->ctx->quiet || st == ST_ERROR || st == ST_WARNING) {
		fprintf(human, "%-8s %s: %s\n", status_names[st], name, msg);
		if (fix && st != ST_OK)
			fprintf(human, "         fix: %s\n", fix);
		fflush(human);
	}
	if (d->ctx->json) {
		json_t *ev = json_pack("{s:s, s:s, s:s}", "name", name, "status", status_names[st], "message", msg);
		if (fix && st != ST_OK)
			json_object_set_new(ev, "fix", json_string(fix));
		if (st == ST_ERROR)
			json_object_set_new(ev, "exit_code", json_integer(code));
		sf_out_event(d->ctx, "check", ev);
	}
}

/* dfu-util versions with known problems (reference: dfu-util.md §1.1, §2, §6). */
static void check_version(struct doctor *d, const char *version)
{
	int major = -1, minor = -1;
	if (sscanf(version, "%d.%d", &major, &minor) != 2) {
		report(d, "dfu-util-version", ST_WARNING, 0, "install dfu-util 0.11",
		       "cannot tell the version from '%s'", version);
		return;
	}
	if (major == 0 && minor < 7)
		report(d, "dfu-util-version", ST_ERROR, SF_EXIT_DFU_UTIL,
		       "install dfu-util 0.10 or newer (Debian/Ubuntu: apt-get install dfu-util)",
		       "%s is too old: it does not know the ':leave' modifier sparkflash uses", version);
	else if (major == 0 && minor <= 8)
		report(d, "dfu-util-version", ST_WARNING, 0, "upgrade to dfu-util 0.11",
		       "%s: listing (-l) is slow (particle-cli needed a 6 s timer), messages lack the "
		       "device path, and old Particle bootloaders make it fail after a successful :leave", version);
	else if (major == 0 && minor == 9)
		report(d, "dfu-util-version", ST_WARNING, 0, "upgrade to dfu-util 0.10 or newer",
		       "%s treats address 0 as 'no address' (-s 0 fails) and uses other exit codes", version);
	else
		report(d, "dfu-util-version", ST_OK, 0, NULL, "%s", version);
}

static bool check_dfu_util(struct doctor *d)
{
	char path[4096], version[64];
	sf_err err = { 0 };
	int rc = sf_dfu_resolve(d->ctx, path, sizeof path, &err);
	if (rc) {
		report(d, "dfu-util", ST_ERROR, rc,
		       "install dfu-util (Debian/Ubuntu: sudo apt-get install dfu-util; macOS: brew install "
		       "dfu-util) or pass --dfu-util PATH / set DFU_UTIL", "%s", err.msg);
		report(d, "dfu-util-version", ST_SKIPPED, 0, NULL, "dfu-util not found");
		return false;
	}
	rc = sf_dfu_version(d->ctx, version, sizeof version, &err);
	if (rc) {
		report(d, "dfu-util", ST_ERROR, rc, "reinstall dfu-util, or point --dfu-util at a working one",
		       "%s is there but does not run: %s", path, err.msg);
		report(d, "dfu-util-version", ST_SKIPPED, 0, NULL, "dfu-util does not run");
		return false;
	}
	report(d, "dfu-util", ST_OK, 0, NULL, "%s runs", path);
	check_version(d, version);
	return true;
}

static sf_udev_id *check_profiles(struct doctor *d, size_t *nids)
{
	sf_profile_path path;
	sf_profile *profiles = NULL;
	size_t n = 0;
	sf_err err = { 0 };
	sf_udev_id *ids;
	char list[1024] = "";
	size_t used = 0;
	int rc;

	*nids = 0;
	sf_profile_path_init(&path, d->ctx->profiles_dirs, d->ctx->nprofiles_dirs);
	rc = sf_profile_load_all(&path, &profiles, &n, &err);
	if (rc) {
		/* the message says which file is broken, or where none was found */
		report(d, "profiles", ST_ERROR, rc,
		       "fix or remove the profile file it names, or point --profiles-dir / SPARKFLASH_PROFILES at the profiles",
		       "%s", err.msg);
		return NULL;
	}
	for (size_t i = 0; i < n && used + 1 < sizeof list; i++)
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", profiles[i].id);
	report(d, "profiles", ST_OK, 0, NULL, "%zu loaded (%s)", n, list);
	ids = sf_udev_ids_from_profiles(profiles, n, nids);
	sf_profile_free_all(profiles, n);
	return ids;
}

static void check_udev(struct doctor *d, const struct doctor_opts *o, const sf_udev_id *ids, size_t nids)
{
	const char *const *dirs = o->rules_dirs;
	size_t ndirs = o->nrules_dirs, missing = 0, readable = 0;
	char miss[1024] = "", first_file[512] = "";
	size_t used = 0;

#ifndef __linux__
	if (!ndirs) {
		report(d, "udev-rules", ST_SKIPPED, 0, NULL, "not a Linux system");
		return;
	}
#endif
	if (!ids) {
		report(d, "udev-rules", ST_SKIPPED, 0, NULL, "no profiles to check");
		return;
	}
	if (!ndirs)
		dirs = sf_udev_default_dirs(&ndirs);
	for (size_t i = 0; i < nids; i++) {
		char file[512];
		bool dup = false;
		int c;
		for (size_t k = 0; k < i; k++)
			if (ids[k].vid == ids[i].vid && ids[k].pid == ids[i].pid)
				dup = true;
		if (dup)
			continue;
		c = sf_udev_find_cover(dirs, ndirs, ids[i].vid, ids[i].pid, file, sizeof file);
		if (c >= 0)
			readable = 1;
		if (c == 1 && !first_file[0])
			snprintf(first_file, sizeof first_file, "%s", file);
		if (c != 1) {
			missing++;
			if (used + 1 < sizeof miss)
				used += (size_t)snprintf(miss + used, sizeof miss - used, "%s%04x:%04x (%s)",
							 missing > 1 ? ", " : "", ids[i].vid, ids[i].pid, ids[i].label);
		}
	}
	if (!readable)
		report(d, "udev-rules", ST_WARNING, 0, "sudo sparkflash udev install",
		       "no udev rules directory could be read (%s%s)", dirs[0], ndirs > 1 ? ", ..." : "");
	else if (missing)
		report(d, "udev-rules", ST_WARNING, 0,
		       "sudo sparkflash udev install, then 'sudo udevadm control --reload-rules && sudo udevadm "
		       "trigger' and replug the device",
		       "no rule gives USB access to %s%s", miss, geteuid() == 0 ? " (running as root, so not needed now)" : "");
	else
		report(d, "udev-rules", ST_OK, 0, NULL, "every profile VID:PID is covered (e.g. by %s)", first_file);
}

static void check_usb(struct doctor *d, bool dfu_ok, const struct doctor_opts *o)
{
	static const char *const argv_l[] = { "-l", NULL };
	sf_ctx c = *d->ctx;
	sf_dfu_run_opts ro = { .flags = SF_DFU_RUN_NO_PROGRESS | SF_DFU_RUN_NO_EVENT };
	sf_transcript t = { 0 };
	sf_diag_context dctx = { 0 };
	sf_diag_result r;
	sf_err err = { 0 };
	size_t found = 0;
	int rc;

	if (!dfu_ok) {
		report(d, "usb-access", ST_SKIPPED, 0, NULL, "dfu-util does not run");
		return;
	}
	if (c.timeout_s <= 0)
		c.timeout_s = 30; /* a hung listing must not hang the doctor */
	c.json = false;       /* no runner events in the doctor's stream */
	rc = sf_dfu_run(&c, argv_l, &ro, &t, &err);
	if (rc) {
		report(d, "usb-access", ST_ERROR, rc, NULL, "cannot run 'dfu-util -l': %s", err.msg);
		sf_transcript_free(&t);
		return;
	}
	for (size_t i = 0; i < t.n; i++)
		if (!strncmp(t.lines[i].text, "Found DFU: [", 12))
			found++;
	if (!d->ctx->sim_dir) {
		uint16_t ids[SF_DIAG_MAX_RULES][2];
		size_t nids = sf_diag_transcript_ids(&t, ids, SF_DIAG_MAX_RULES);
		sf_diag_host_opts h = { 0 };
		if (o->nrules_dirs) {
			h.rules_dirs = o->rules_dirs;
			h.nrules_dirs = o->nrules_dirs;
		}
		sf_diag_host_facts(&dctx, (const uint16_t (*)[2])ids, nids, &h);
	}
	if (sf_diagnose(&t, &dctx, &r)) {
		report(d, "usb-access", ST_ERROR, SF_EXIT_INTERNAL, NULL, "out of memory");
		sf_transcript_free(&t);
		return;
	}
	if (r.verdict == SF_VERDICT_FAILURE || (r.n && !strcmp(r.items[0].id, "permission-denied"))) {
		const sf_diagnosis *dg = &r.items[0];
		report(d, "usb-access", dg->severity == SF_DIAG_ERROR ? ST_ERROR : ST_WARNING,
		       r.exit_code ? r.exit_code : dg->exit_code, dg->fix, "%s: %s", dg->id, dg->summary);
	} else if (found) {
		report(d, "usb-access", ST_OK, 0, NULL, "'dfu-util -l' opened %zu DFU interface%s", found,
		       found == 1 ? "" : "s");
	} else {
		report(d, "usb-access", ST_INFO, 0, NULL, "no DFU device attached: nothing to check");
	}
	sf_diag_result_free(&r);
	sf_transcript_free(&t);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	if (!f)
		return NULL;
	buf = malloc(65537);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, 65536, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void wipe_free(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

/* A config file that holds or directs the token: as the cloud commands
 * check it (fileio.h), an error when others could change it, a warning
 * when they could read it. */
static void check_private(struct doctor *d, const char *path)
{
	char warning[SF_ERR_MSG_MAX] = "", fix[1300];
	sf_err e = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return;
	snprintf(fix, sizeof fix, "chmod 600 %s", path);
	if (sf_private_file_check(fd, path, warning, sizeof warning, &e))
		report(d, "cloud-config", ST_ERROR, e.code, fix, "%s", e.msg);
	else if (warning[0])
		report(d, "cloud-config", ST_WARNING, 0, fix, "%s", warning);
	close(fd);
}

/* Token presence and (optionally) API reachability. The token itself never
 * leaves this function except in the Authorization header. */
static void check_cloud(struct doctor *d, const struct doctor_opts *o)
{
	const char *home = getenv("HOME");
	char pdir[1100] = "", ppath[1200] = "", spath[1200] = "", profile[80];
	char *pj = NULL, *pc = NULL, *sc = NULL;
	sf_cloud_inputs in = { 0 };
	sf_cloud_settings *s = calloc(1, sizeof *s);
	sf_err err = { 0 };
	int bad = 0, rc;
	bool configured;

	if (!s) {
		report(d, "cloud-token", ST_ERROR, SF_EXIT_INTERNAL, NULL, "out of memory");
		return;
	}
	snprintf(profile, sizeof profile, "%s", SF_CLOUD_DEFAULT_PROFILE);
	if (home && *home) {
		char path[1200];
		snprintf(pdir, sizeof pdir, "%s/.particle", home);
		snprintf(path, sizeof path, "%s/profile.json", pdir);
		pj = read_text(path);
		sf_cloud_profile_name(pj, profile, sizeof profile, &bad);
		snprintf(ppath, sizeof ppath, "%s/%s.config.json", pdir, profile);
		snprintf(spath, sizeof spath, "%s/.spark/spark.config.json", home);
		pc = read_text(ppath);
		sc = read_text(spath);
		check_private(d, path);
		check_private(d, ppath);
		check_private(d, spath);
	}
	in.opt_api_url = o->api_url;
	in.env_token = getenv("PARTICLE_ACCESS_TOKEN");
	in.env_api_url = getenv("PARTICLE_API_URL");
	in.profile_cfg = pc;
	in.profile_cfg_name = ppath;
	in.spark_cfg = sc;
	in.spark_cfg_name = spath;
	rc = sf_cloud_resolve_settings(&in, s, &err);
	free(pj);
	wipe_free(pc);
	wipe_free(sc);
	if (rc) {
		report(d, "cloud-token", ST_ERROR, rc, "fix PARTICLE_ACCESS_TOKEN / PARTICLE_API_URL or the config file",
		       "%s", err.msg);
		report(d, "cloud-api", ST_SKIPPED, 0, NULL, "cloud settings unusable");
		goto out;
	}
	if (s->token[0])
		report(d, "cloud-token", ST_OK, 0, NULL, "present (from %s%s%s)",
		       sf_cloud_token_source_name(s->token_source),
		       s->token_source == SF_TOKEN_PROFILE ? " " : s->token_source == SF_TOKEN_SPARK ? " " : "",
		       s->token_source == SF_TOKEN_PROFILE ? ppath : s->token_source == SF_TOKEN_SPARK ? spath : "");
	else
		report(d, "cloud-token", ST_INFO, 0, "sparkflash cloud login, or set PARTICLE_ACCESS_TOKEN",
		       "absent (needed only for cloud commands)");
	if (s->warning[0])
		report(d, "cloud-config", ST_WARNING, 0, NULL, "%s", s->warning);

	configured = s->api_url_source && strcmp(s->api_url, SF_CLOUD_DEFAULT_API_URL);
	if (!o->api && !configured) {
		report(d, "cloud-api", ST_SKIPPED, 0, NULL, "not checked (pass --api to check %s)", s->api_url);
		goto out;
	}
	{
		sf_http_opts ho;
		sf_http_job job;
		sf_http_job *jobs[1] = { &job };
		sf_http_opts_init(&ho);
		ho.retry.max_attempts = 1;
		ho.connect_timeout_s = 10;
		ho.get_timeout_s = d->ctx->timeout_s > 0 ? (long)(d->ctx->timeout_s + 0.999) : 20;
		memset(&job, 0, sizeof job);
		job.req.kind = SF_REQ_GET;
		snprintf(job.req.url, sizeof job.req.url, "%s/v1/devices", s->api_url);
		job.req.token = s->token[0] ? s->token : NULL;
		rc = sf_http_run(jobs, 1, 1, &ho, &err);
		if (rc) {
			report(d, "cloud-api", ST_ERROR, rc, NULL, "%s", err.msg);
		} else if (job.req.fail != SF_FAIL_NONE) {
			sf_err te = { 0 };
			int code = sf_http_transport_error(&job.req, "API check", &te);
			report(d, "cloud-api", ST_ERROR, code, "check the network, proxy and API URL (PARTICLE_API_URL)",
			       "%s", te.msg);
		} else if (job.req.status >= 200 && job.req.status < 300) {
			report(d, "cloud-api", ST_OK, 0, NULL, "%s answers and accepts the token", s->api_url);
		} else if ((job.req.status == 401 || job.req.status == 403) && s->token[0]) {
			report(d, "cloud-api", ST_ERROR, SF_EXIT_CLOUD_AUTH, "sparkflash cloud login",
			       "%s answers but rejects the token (HTTP %ld)", s->api_url, job.req.status);
		} else if (job.req.status == 401 || job.req.status == 403) {
			report(d, "cloud-api", ST_OK, 0, NULL, "%s answers (no token to check)", s->api_url);
		} else {
			report(d, "cloud-api", ST_WARNING, 0, "check the API URL (PARTICLE_API_URL)",
			       "%s answers with HTTP %ld", s->api_url, job.req.status);
		}
		sf_http_req_reset(&job.req);
	}
out:
	memset(s, 0, sizeof *s);
	free(s);
}

static const struct option doctor_longopts[] = {
	{ "rules-dir", required_argument, NULL, OPT_RULES_DIR },
	{ "api", no_argument, NULL, OPT_API },
	{ "api-url", required_argument, NULL, OPT_API_URL },
	{ NULL, 0, NULL, 0 },
};

int cmd_doctor(sf_ctx *ctx, int argc, char **argv)
{
	struct doctor_opts o = { 0 };
	struct doctor d = { .ctx = ctx };
	sf_udev_id *ids;
	size_t nids = 0;
	bool dfu_ok;
	int first, rc;

	rc = sf_cli_parse(ctx, argc, argv, "", doctor_longopts, doctor_opt, &o, &first);
	if (rc == -1)
		return SF_EXIT_OK;
	if (rc)
		return rc;
	if (first < argc)
		return sf_usage_error(ctx, "doctor takes no arguments ('%s')", argv[first]);

	dfu_ok = check_dfu_util(&d);
	ids = check_profiles(&d, &nids);
	check_udev(&d, &o, ids, nids);
	sf_udev_ids_free(ids, nids);
	check_usb(&d, dfu_ok, &o);
	check_cloud(&d, &o);

	{
		char sum[100];
		snprintf(sum, sizeof sum, "%s: %d error%s, %d warning%s", d.errors ? "problems found" : "all good",
			 d.errors, d.errors == 1 ? "" : "s", d.warnings, d.warnings == 1 ? "" : "s");
		if (ctx->json) {
			/* the common result keys (result.h), then the counts */
			json_t *res = sf_result_base(d.first_error, sum);
			json_object_set_new(res, "errors", json_integer(d.errors));
			json_object_set_new(res, "warnings", json_integer(d.warnings));
			sf_out_event(ctx, "result", res);
		}
		if (!ctx->quiet || d.errors)
			fprintf(ctx->json ? stderr : stdout, "%s\n", sum);
	}
	return d.first_error;
}

/* The options of this command besides the common ones (commands.h). */
const struct option *const sf_options_doctor[] = { doctor_longopts, NULL };
