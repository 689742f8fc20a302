/* sparkflash list: the DFU devices dfu-util sees (`dfu-util -l`), grouped
 * into devices and matched to profiles. */
#include <config.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"
#include "cli.h"
#include "layout.h"
#include "commands.h"
#include "dfu_runner.h"
#include "dfuout.h"
#include "out.h"
#include "profile_io.h"
#include "profmatch.h"
#include "result.h"

typedef struct profiles {
	sf_profile *all;
	size_t n;
	sf_profile explicit_p;   /* --profile, matched before the others */
	bool has_explicit;
} profiles;

/* --profile first; else the profile the device is, told apart by its
 * layouts where profiles share its VID:PID (profmatch.h). */
static sf_match match_profile(const profiles *ps, const sf_dfu_device *d)
{
	sf_match m = { 0 };
	if (ps->has_explicit &&
	    sf_profiles_match_usb(&ps->explicit_p, 1, d->vid, d->pid, d->runtime)) {
		m.kind = SF_MATCH_UNIQUE;
		m.profile = m.first = &ps->explicit_p;
		m.nshared = 1;
		return m;
	}
	return ps->all ? sf_profiles_match_device(ps->all, ps->n, d) : m;
}

static bool selected(const sf_ctx *ctx, const sf_dfu_device *d)
{
	if (ctx->serial && (!d->has_serial || strcmp(ctx->serial, d->serial)))
		return false;
	if (ctx->usb_path && (!d->has_path || strcmp(ctx->usb_path, d->path)))
		return false;
	return true;
}

static const char *device_label(const sf_dfu_device *d, char *buf, size_t n)
{
	snprintf(buf, n, "%04x:%04x%s%s%s%s", d->vid, d->pid,
		 d->has_serial ? " serial " : "", d->has_serial ? d->serial : "",
		 d->has_path ? " path " : "", d->has_path ? d->path : "");
	return buf;
}

/* dfu-util turns USB strings into bytes: characters up to U+00FF pass
 * through as Latin-1, the rest become '?'. JSON wants UTF-8. */
static json_t *jstr(const char *s)
{
	size_t n = strlen(s);
	char *u = malloc(2 * n + 1), *q = u;
	json_t *j;
	if (!u)
		return json_null();
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x80) {
			*q++ = (char)*p;
		} else {
			*q++ = (char)(0xC0 | (*p >> 6));
			*q++ = (char)(0x80 | (*p & 0x3F));
		}
	}
	*q = '\0';
	j = json_string(u);
	free(u);
	return j ? j : json_null();
}

/* Differences between the layout strings the device reports and the ones
 * its profile promises: the profile may be for another bootloader. */
static void layout_warnings(const sf_ctx *ctx, const sf_dfu_device *d, const sf_profile *p,
			    json_t *warnings)
{
	char label[400], msg[1024];
	device_label(d, label, sizeof label);
	for (size_t i = 0; i < d->nalts; i++) {
		const sf_alt *pa = sf_profile_alt(p, (int)d->alts[i].alt);
		if (!pa)
			snprintf(msg, sizeof msg,
				 "device %s reports alt %u ('%s') which profile '%s' does not describe; the profile may be wrong for this bootloader",
				 label, d->alts[i].alt, d->alts[i].name, p->id);
		/* a member of the family in another size is what the profile
		 * says it may be */
		else if (strcmp(pa->layout_text, d->alts[i].name) &&
			 !(p->layout_sizes_vary && sf_layout_same_geometry(d->alts[i].name, pa->layout_text)))
			snprintf(msg, sizeof msg,
				 "device %s alt %u reports layout '%s' but profile '%s' says '%s'; the profile may be wrong for this bootloader",
				 label, d->alts[i].alt, d->alts[i].name, p->id, pa->layout_text);
		else
			continue;
		sf_out_warning(ctx, "%s", msg);
		json_array_append_new(warnings, jstr(msg));
	}
	for (size_t k = 0; k < p->nalts; k++) {
		bool found = false;
		for (size_t i = 0; i < d->nalts; i++)
			if ((int)d->alts[i].alt == p->alts[k].alt)
				found = true;
		if (found)
			continue;
		snprintf(msg, sizeof msg,
			 "device %s does not report alt %d ('%s') of profile '%s'; the profile may be wrong for this bootloader",
			 label, p->alts[k].alt, p->alts[k].layout_text, p->id);
		sf_out_warning(ctx, "%s", msg);
		json_array_append_new(warnings, jstr(msg));
	}
}

static json_t *opt_str(bool has, const char *s)
{
	return has ? jstr(s) : json_null();
}

static const char *runtime_hint(const sf_profile *p)
{
	return p && p->dfu_mode_help ? p->dfu_mode_help
				     : "put the device in DFU mode (see its documentation)";
}

static json_t *show_device(const sf_ctx *ctx, const sf_dfu_device *d, const sf_match *m,
			   const profiles *ps)
{
	json_t *o = json_object(), *alts = json_array(), *warnings = json_array();
	const sf_profile *p = m->profile;
	/* several profiles share its VID:PID and none (or more than one) fits */
	bool untold = !p && m->nshared > 1;
	char buf[16], what[160] = "", ids[200] = "";

	snprintf(buf, sizeof buf, "%04x:%04x", d->vid, d->pid);
	json_object_set_new(o, "mode", json_string(d->runtime ? "runtime" : "dfu"));
	json_object_set_new(o, "usb", json_string(buf));
	snprintf(buf, sizeof buf, "%04x", d->vid);
	json_object_set_new(o, "vid", json_string(buf));
	snprintf(buf, sizeof buf, "%04x", d->pid);
	json_object_set_new(o, "pid", json_string(buf));
	snprintf(buf, sizeof buf, "%04x", d->ver);
	json_object_set_new(o, "ver", opt_str(d->has_ver, buf));
	json_object_set_new(o, "serial", opt_str(d->has_serial, d->serial));
	json_object_set_new(o, "path", opt_str(d->has_path, d->path));
	json_object_set_new(o, "devnum", json_integer(d->devnum));
	json_object_set_new(o, "profile", p ? json_string(p->id) : json_null());
	json_object_set_new(o, "profile_name", p ? json_string(p->name) : json_null());
	json_object_set_new(o, "family", m->first && m->first->family ? json_string(m->first->family) : json_null());
	if (untold) {
		sf_profiles_sharing(ps->all, ps->n, d->vid, d->pid, ids, sizeof ids);
		snprintf(what, sizeof what, "%s", m->first && m->first->family ? m->first->family : "unknown device");
	}
	for (size_t i = 0; i < d->nalts; i++)
		json_array_append_new(alts, json_pack("{s:i, s:o}", "alt", (int)d->alts[i].alt,
						      "name", jstr(d->alts[i].name)));
	json_object_set_new(o, "alts", alts);

	if (!ctx->json) {
		if (untold)
			printf("%04x:%04x  %s, %s", d->vid, d->pid, what,
			       m->kind == SF_MATCH_AMBIGUOUS ? "family not told apart" : "unknown family");
		else
			printf("%04x:%04x  %s", d->vid, d->pid, p ? p->name : "unknown device");
		if (p)
			printf(" (%s)", p->id);
		if (d->runtime)
			printf("  runtime mode");
		if (d->has_serial)
			printf("  serial %s", d->serial);
		else
			printf("  no serial");
		if (d->has_path)
			printf("  path %s", d->path);
		putchar('\n');
		for (size_t a = 0; a < d->nalts; a++)
			printf("  alt %u  %s\n", d->alts[a].alt, d->alts[a].name);
		if (d->runtime)
			printf("  not in DFU mode: %s\n", runtime_hint(p));
		if (untold && !d->runtime)
			printf("  its layouts fit %s of the profiles %s: pass --profile NAME to use one\n",
			       m->kind == SF_MATCH_AMBIGUOUS ? "more than one" : "none", ids);
		fflush(stdout);
	}
	if (untold && !d->runtime) {
		char hint[400];
		snprintf(hint, sizeof hint, "its layouts fit %s of the profiles %s: pass --profile NAME to use one",
			 m->kind == SF_MATCH_AMBIGUOUS ? "more than one" : "none", ids);
		json_object_set_new(o, "hint", json_string(hint));
	}
	if (d->runtime) {
		json_object_set_new(o, "hint", json_string(runtime_hint(p)));
	} else if (p) {
		layout_warnings(ctx, d, p, warnings);
	}
	json_object_set_new(o, "warnings", warnings);
	return o;
}

/* The result event: the common keys (result.h) plus count, devices (the
 * device events' objects) and dfu_util_version. */
static void list_result(const sf_ctx *ctx, int rc, const char *msg, size_t count, json_t *devices,
			const char *version, bool dry_run)
{
	json_t *res;
	if (!ctx->json)
		return;
	res = sf_result_base(rc, msg);
	json_object_set_new(res, "count", json_integer((json_int_t)count));
	json_object_set_new(res, "devices", devices ? json_incref(devices) : json_array());
	json_object_set_new(res, "dfu_util_version", version && *version ? json_string(version) : json_null());
	json_object_set_new(res, "dry_run", json_boolean(dry_run));
	sf_out_event(ctx, "result", res);
}

int cmd_list(sf_ctx *ctx, int argc, char **argv)
{
	static const char *const args[] = { "-l", NULL };
	sf_profile_path path;
	profiles ps = { 0 };
	sf_transcript t = { 0 };
	sf_dfu_list list = { 0 };
	sf_err err = { 0, "" };
	json_t *devices = NULL;
	size_t shown = 0;
	char version[32] = "";
	int first, rc;

	rc = sf_cli_parse(ctx, argc, argv, "", NULL, NULL, NULL, &first);
	if (rc == SF_CLI_HELP)
		return 0;
	if (rc)
		return rc;
	if (first < argc)
		return sf_usage_error(ctx, "list takes no arguments");

	sf_profile_path_init(&path, ctx->profiles_dirs, ctx->nprofiles_dirs);
	if (ctx->profile) {
		if ((rc = sf_profile_find(&path, ctx->profile, &ps.explicit_p, &err))) {
			sf_out_error(ctx, "%s", err.msg);
			list_result(ctx, rc, err.msg, 0, NULL, "", false);
			return rc;
		}
		ps.has_explicit = true;
	}
	/* a device matched to no profile would be listed as unknown */
	if ((rc = sf_profile_load_all(&path, &ps.all, &ps.n, &err)))
		goto fail;

	if (ctx->dry_run) {
		char bin[4096];
		if ((rc = sf_dfu_resolve(ctx, bin, sizeof bin, &err)))
			goto fail;
		sf_out_info(ctx, "would run: %s -l", bin);
		list_result(ctx, 0, "dry run: nothing sent", 0, NULL, "", true);
		rc = 0;
		goto out;
	}

	rc = sf_dfu_run(ctx, args, &(sf_dfu_run_opts){ .flags = SF_DFU_RUN_NO_PROGRESS }, &t, &err);
	if (rc)
		goto fail;
	if ((rc = sf_dfu_outcome_code(ctx, &t, &err)))
		goto fail;
	if (!t.exited || t.exit_status != 0) {
		/* -l always exits 0 unless dfu-util itself is unusable (libusb) */
		const char *last = "";
		for (size_t i = t.n; i-- > 0;)
			if (t.lines[i].stream == SF_STREAM_STDERR && t.lines[i].text[0]) {
				last = t.lines[i].text;
				break;
			}
		rc = sf_err_set(&err, SF_EXIT_DFU_UTIL, "'%s -l' failed with exit %d%s%s", ctx->dfu_util,
				t.exit_status, *last ? ": " : "", last);
		goto fail;
	}
	if (!sf_dfu_parse_list(&t, &list)) {
		rc = sf_err_set(&err, SF_EXIT_INTERNAL, "out of memory");
		goto fail;
	}

	/* the banner (-l prints it) tells which dfu-util answered */
	{
		sf_dfu_line *l = malloc(sizeof *l);
		for (size_t i = 0; l && i < t.n && !version[0]; i++)
			if (sf_dfu_classify(t.lines[i].text, l) == SF_DLINE_BANNER)
				snprintf(version, sizeof version, "%s", l->version);
		free(l);
		if (ctx->verbose)
			fprintf(stderr, "sparkflash: dfu-util %s (%s)\n", version[0] ? version : "of unknown version",
				ctx->dfu_util);
	}
	devices = json_array();
	for (size_t i = 0; i < list.n; i++) {
		const sf_dfu_device *d = &list.devs[i];
		sf_match m;
		json_t *o;
		if (!selected(ctx, d))
			continue;
		m = match_profile(&ps, d);
		o = show_device(ctx, d, &m, &ps);
		sf_out_event(ctx, "device", json_deep_copy(o));
		json_array_append_new(devices, o);
		shown++;
	}
	/* with a device we may not open, "no devices" would contradict the
	 * permission error below */
	if (shown == 0 && !list.access_denied)
		sf_out_info(ctx, "no DFU devices found%s", list.n ? " matching --serial/--path" : "");
	rc = 0;
	if (list.access_denied) {
		rc = sf_err_set(&err, SF_EXIT_PERMISSION,
				"cannot open DFU device %04x:%04x: permission denied (%s); add a udev rule "
				"giving your user access to it (or run as root), then replug it",
				list.failed_vid, list.failed_pid,
				list.failed_error[0] ? list.failed_error : "no libusb error given");
	} else if (list.nopen_failed) {
		sf_out_warning(ctx, "dfu-util could not open DFU device %04x:%04x (%s); it is not listed",
			       list.failed_vid, list.failed_pid,
			       list.failed_error[0] ? list.failed_error : "unknown error");
	}
	if (rc) {
		sf_out_error(ctx, "%s", err.msg);
	} else {
		snprintf(err.msg, sizeof err.msg, "%zu DFU device%s listed", shown, shown == 1 ? "" : "s");
	}
	list_result(ctx, rc, err.msg, shown, devices, version, false);
	goto out;

fail:
	sf_out_error(ctx, "%s", err.msg);
	list_result(ctx, rc, err.msg, 0, NULL, version, false);
out:
	json_decref(devices);
	sf_dfu_list_free(&list);
	sf_transcript_free(&t);
	if (ps.all)
		sf_profile_free_all(ps.all, ps.n);
	if (ps.has_explicit)
		sf_profile_free(&ps.explicit_p);
	return rc;
}
