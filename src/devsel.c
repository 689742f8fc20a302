#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devsel.h"
#include "diag_print.h"
#include "dfu_runner.h"
#include "layout.h"
#include "out.h"
#include "profile_io.h"
#include "profmatch.h"
#include "result.h"
#include "runpolicy.h"
#include "sf_spawn.h"

void sf_target_free(sf_target *t)
{
	sf_profile_free(&t->profile);
	free(t->alts);
	memset(t, 0, sizeof *t);
}

static int copy_profile(const sf_profile *src, const sf_profile_path *path, sf_profile *dst,
			sf_err *err)
{
	/* Re-load by file so the target owns its profile independently of the
	 * list it was matched in. */
	return sf_profile_find(path, src->source, dst, err);
}

static const char *generic_help =
	"put the device in DFU mode (a Particle/Spark device blinks yellow: hold MODE/SETUP and "
	"RESET, release RESET, keep MODE/SETUP held until the LED blinks yellow)";

static bool device_matches(const sf_ctx *ctx, const sf_dfu_device *d)
{
	if (ctx->serial && *ctx->serial && (!d->has_serial || strcmp(d->serial, ctx->serial)))
		return false;
	if (ctx->usb_path && *ctx->usb_path && (!d->has_path || strcmp(d->path, ctx->usb_path)))
		return false;
	return true;
}

static void describe_dev(const sf_dfu_device *d, const sf_profile *p, char *buf, size_t size)
{
	snprintf(buf, size, "%s %04x:%04x serial %s path %s%s", p ? p->id : "unknown", d->vid, d->pid,
		 d->has_serial ? d->serial : "(none)", d->has_path ? d->path : "(unknown)",
		 d->runtime ? " (normal mode)" : "");
}

/* Appends sep + the device's description to buf (used bytes so far),
 * truncating quietly when buf is full. */
static void append_dev(char *buf, size_t size, size_t *used, const char *sep,
		       const sf_dfu_device *d, const sf_profile *p)
{
	char line[700];
	int w;
	if (*used >= size - 1)
		return;
	describe_dev(d, p, line, sizeof line);
	w = snprintf(buf + *used, size - *used, "%s%s", sep, line);
	if (w < 0)
		return;
	*used += (size_t)w;
	if (*used >= size)
		*used = size - 1;
}

/* "core 1d50:607f devnum 3 (may not be opened: LIBUSB_ERROR_ACCESS)" */
static void append_locked(char *buf, size_t size, size_t *used, const char *sep,
			  const sf_dfu_open_failure *f, const sf_profile *p)
{
	char dn[32] = "";
	int w;
	if (*used >= size - 1)
		return;
	if (f->has_devnum)
		snprintf(dn, sizeof dn, " devnum %u", f->devnum);
	w = snprintf(buf + *used, size - *used, "%s%s %04x:%04x%s (%s: %s)", sep, p ? p->id : "unknown",
		     f->vid, f->pid, dn, f->access ? "may not be opened" : "dfu-util could not open it",
		     f->error[0] ? f->error : "no libusb error given");
	if (w < 0)
		return;
	*used += (size_t)w;
	if (*used >= size)
		*used = size - 1;
}

static const char *udev_fix =
	"install udev rules for it with 'sudo sparkflash udev install', then unplug and replug the device";

/* The profile an unopened DFU-mode device matches (dfu-util printed only its
 * VID:PID: its serial and path are unknown). */
static const sf_profile *locked_profile(const sf_profile *chosen, const sf_profile *all, size_t nall,
					const sf_dfu_open_failure *f)
{
	if (chosen)
		return f->vid == chosen->dfu.vid && f->pid == chosen->dfu.pid ? chosen : NULL;
	return sf_profiles_match_usb(all, nall, f->vid, f->pid, false);
}

/* The profile a DFU-mode device in the listing is: profiles that share its
 * VID:PID (the STM32 system bootloaders) are told apart by the layouts it
 * reports (profmatch.h); NULL when none, or none of those, fits. */
static const sf_profile *listed_profile(const sf_profile *all, size_t nall, const sf_dfu_device *d)
{
	return sf_profiles_match_device(all, nall, d).profile;
}

/* The listed device's identity in a target whose profile is set: -S when
 * it has a serial, -p only when pass_path (the path is shown anyway). */
static int fill_target(sf_target *out, const sf_dfu_device *pick, bool pass_path, sf_err *err)
{
	out->listed = true;
	out->sel.vid = pick->vid;
	out->sel.pid = pick->pid;
	if (pick->has_serial) {
		snprintf(out->serial, sizeof out->serial, "%s", pick->serial);
		out->sel.serial = out->serial;
	}
	if (pick->has_path) {
		snprintf(out->path, sizeof out->path, "%s", pick->path);
		if (pass_path)
			out->sel.path = out->path;
	}
	if (pick->nalts) {
		out->alts = calloc(pick->nalts, sizeof *out->alts);
		if (!out->alts)
			return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
		memcpy(out->alts, pick->alts, pick->nalts * sizeof *out->alts);
		out->nalts = pick->nalts;
		/* a member of a family with another flash size: plans are
		 * checked against its own map */
		if (sf_profile_adopt_layouts(&out->profile, pick->alts, pick->nalts, err) < 0)
			return SF_EXIT_INTERNAL;
	}
	return 0;
}

/* select_once's answer when it asked a runtime-mode device to detach. */
#define DEVSEL_DETACHED (-1)

/* `dfu-util -d RUNTIME,DFU -e` for one runtime-mode device (with -S/-p when
 * known): the device switches to DFU mode and re-enumerates. */
static int detach_device(const sf_ctx *ctx, const sf_dfu_device *d, const sf_profile *p, sf_err *err)
{
	char ids[32];
	const char *args[10];
	size_t n = 0;
	sf_transcript t = { 0 };
	int rc;
	snprintf(ids, sizeof ids, "%04x:%04x,%04x:%04x", d->vid, d->pid, p->dfu.vid, p->dfu.pid);
	args[n++] = "-d";
	args[n++] = ids;
	args[n++] = "-e";
	if (d->has_serial) {
		args[n++] = "-S";
		args[n++] = d->serial;
	}
	if (d->has_path) {
		args[n++] = "-p";
		args[n++] = d->path;
	}
	args[n] = NULL;
	sf_out_info(ctx, "%s %04x:%04x is in normal (runtime) mode: asking it to switch to DFU mode (dfu-util -e)",
		    p->id, d->vid, d->pid);
	rc = sf_dfu_run(ctx, args, &(sf_dfu_run_opts){ .flags = SF_DFU_RUN_NO_PROGRESS }, &t, err);
	if (!rc)
		rc = sf_dfu_outcome_code(ctx, &t, err);
	if (!rc && t.exited && t.exit_status != 0) {
		sf_diag_live(ctx, p, &t, NULL);
		rc = sf_err_set(err, SF_EXIT_NO_DEVICE,
				"'dfu-util -e' could not switch %s %04x:%04x to DFU mode (exit %d); %s",
				p->id, d->vid, d->pid, t.exit_status,
				p->dfu_mode_help ? p->dfu_mode_help : "put it in DFU mode by hand");
	}
	sf_transcript_free(&t);
	return rc;
}

static int select_once(const sf_ctx *ctx, sf_target *out, sf_err *err, bool may_detach, bool diagnose,
		       sf_diag_result *judged);

/* Why the listing gave no device to use: a note for the judge (in `t` and
 * the --log), and, on the last look, the judge's diagnosis printed and kept
 * in *judged (may be NULL). */
static void judge_listing(const sf_ctx *ctx, const sf_profile *p, sf_transcript *t, const char *why,
			  bool diagnose, sf_diag_result *judged)
{
	sf_dfu_note(ctx, t, SF_NOTE_SELECT, "%s", why);
	if (!diagnose)
		return;
	if (judged) {
		sf_diag_result_free(judged);
		sf_diag_live(ctx, p, t, judged);
	} else {
		sf_diag_live(ctx, p, t, NULL);
	}
}

/* A failed selection exits with the judge's code when the listing was
 * judged: `diagnose` on the --log says the same. */
static int judged_code(int rc, sf_err *err, const sf_diag_result *judged)
{
	if (rc && judged && judged->verdict == SF_VERDICT_FAILURE && judged->exit_code) {
		rc = judged->exit_code;
		if (err)
			err->code = rc;
	}
	return rc;
}

/* What a wait is for, for the countdown and messages. */
static void wanted_text(const sf_ctx *ctx, char *buf, size_t size)
{
	if (ctx->serial && *ctx->serial)
		snprintf(buf, size, "device %s", ctx->serial);
	else if (ctx->usb_path && *ctx->usb_path)
		snprintf(buf, size, "the device at %s", ctx->usb_path);
	else if (ctx->profile)
		snprintf(buf, size, "a %s device", ctx->profile);
	else
		snprintf(buf, size, "a device");
}

/* --wait: look every 250 ms until the device is there (or another answer
 * than "no device"), for at most ctx->wait_s and never past the deadline.
 * Only the last look is logged and judged. */
static int select_waiting(const sf_ctx *ctx, sf_target *out, sf_err *err, sf_diag_result *judged)
{
	double start = sf_monotonic_s(), until = start + ctx->wait_s;
	bool may_detach = ctx->detach, tty = sf_wait_tty(ctx), shown = false;
	char what[160];
	sf_ctx quiet = *ctx;
	int rc;

	quiet.log_file = NULL;
	/* the last look still runs before the deadline */
	if (ctx->deadline > 0 && ctx->deadline - 0.1 < until)
		until = ctx->deadline - 0.1;
	wanted_text(ctx, what, sizeof what);
	for (unsigned look = 0;; look++) {
		double now = sf_monotonic_s();
		bool last = now + 0.005 >= until; /* the last look is at the end of the wait */
		rc = select_once(last ? ctx : &quiet, out, err, may_detach, last, judged);
		if (rc == DEVSEL_DETACHED) {
			may_detach = false; /* it re-enumerates in DFU mode: keep looking */
			rc = SF_EXIT_NO_DEVICE;
		}
		if (rc != SF_EXIT_NO_DEVICE || last)
			break;
		if (look == 0)
			sf_out_event(ctx, "wait", json_pack("{s:f, s:s}", "seconds", ctx->wait_s, "for", what));
		if (tty) {
			fprintf(stderr, "\rwaiting for %s in DFU mode: %.0f s left  ", what, until - now);
			fflush(stderr);
			shown = true;
		}
		now = sf_monotonic_s();
		if (until - now > 0)
			usleep((useconds_t)((until - now < 0.25 ? until - now : 0.25) * 1e6));
	}
	if (shown)
		fprintf(stderr, "\r%*s\r", (int)strlen(what) + 40, "");
	if ((rc == SF_EXIT_NO_DEVICE || rc == SF_EXIT_TIMEOUT) && sf_deadline_passed(ctx->deadline, sf_monotonic_s() + 0.3)) {
		char why[SF_ERR_MSG_MAX];
		snprintf(why, sizeof why, "%s", err->msg);
		return sf_err_set(err, SF_EXIT_TIMEOUT, "the --deadline passed while waiting for %s: %.400s", what, why);
	}
	if (rc == SF_EXIT_NO_DEVICE) {
		char why[SF_ERR_MSG_MAX];
		snprintf(why, sizeof why, "%s", err->msg);
		sf_err_set(err, SF_EXIT_NO_DEVICE, "waited %.1f s: %.440s", sf_monotonic_s() - start, why);
	}
	return rc;
}

bool sf_wait_tty(const sf_ctx *ctx)
{
	const char *force = getenv("SPARKFLASH_PROGRESS");
	if (ctx->json || ctx->quiet)
		return false;
	if (force && *force)
		return !strcmp(force, "1");
	return isatty(STDERR_FILENO);
}

int sf_target_select(const sf_ctx *ctx, sf_target *out, sf_err *err, sf_diag_result *judged)
{
	int rc;
	if (ctx->wait_s > 0 && !(ctx->dry_run && ctx->profile)) {
		rc = select_waiting(ctx, out, err, judged);
		return rc == SF_EXIT_TIMEOUT ? rc : judged_code(rc, err, judged);
	}
	rc = select_once(ctx, out, err, ctx->detach, true, judged);
	if (rc != DEVSEL_DETACHED)
		return judged_code(rc, err, judged);
	/* The device re-enumerates in DFU mode: look again for about 5 s,
	 * diagnosing only the last look. */
	for (int attempt = 1; attempt <= 20; attempt++) {
		usleep(250 * 1000);
		rc = select_once(ctx, out, err, false, attempt == 20, judged);
		if (rc == 0)
			break;
	}
	return rc == DEVSEL_DETACHED ? SF_EXIT_NO_DEVICE : judged_code(rc, err, judged);
}

static int select_once(const sf_ctx *ctx, sf_target *out, sf_err *err, bool may_detach, bool diagnose,
		       sf_diag_result *judged)
{
	sf_profile_path path;
	sf_profile *all = NULL, *chosen = NULL;
	size_t nall = 0;
	sf_transcript t = { 0 };
	sf_dfu_list list = { 0 };
	static const char *const largs[] = { "-l", NULL };
	const sf_dfu_device *pick = NULL;
	const sf_profile *pick_profile = NULL;
	size_t npick = 0, nlocked = 0;
	int rc;

	memset(out, 0, sizeof *out);
	sf_profile_path_init(&path, ctx->profiles_dirs, ctx->nprofiles_dirs);
	if (ctx->profile) {
		if ((rc = sf_profile_find(&path, ctx->profile, &out->profile, err)))
			return rc;
		chosen = &out->profile;
		if (ctx->dry_run) {
			out->sel.vid = chosen->dfu.vid;
			out->sel.pid = chosen->dfu.pid;
			if (ctx->serial && *ctx->serial) {
				snprintf(out->serial, sizeof out->serial, "%s", ctx->serial);
				out->sel.serial = out->serial;
			}
			if (ctx->usb_path && *ctx->usb_path) {
				snprintf(out->path, sizeof out->path, "%s", ctx->usb_path);
				out->sel.path = out->path;
			}
			return 0;
		}
	} else if ((rc = sf_profile_load_all(&path, &all, &nall, err))) {
		return rc;
	}

	if ((rc = sf_dfu_run(ctx, largs,
			     &(sf_dfu_run_opts){ .flags = SF_DFU_RUN_NO_PROGRESS }, &t, err)))
		goto done;
	if ((rc = sf_dfu_outcome_code(ctx, &t, err)))
		goto done;
	if (t.exited && t.exit_status != 0) {
		rc = sf_err_set(err, SF_EXIT_DFU_UTIL, "'dfu-util -l' failed (exit %d); is '%s' a working dfu-util?",
				t.exit_status, ctx->dfu_util);
		goto done;
	}
	if (!sf_dfu_parse_list(&t, &list)) {
		rc = sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
		goto done;
	}

	for (size_t i = 0; i < list.n; i++) {
		const sf_dfu_device *d = &list.devs[i];
		const sf_profile *p;
		if (d->runtime || !device_matches(ctx, d))
			continue;
		if (chosen)
			p = (d->vid == chosen->dfu.vid && d->pid == chosen->dfu.pid) ? chosen : NULL;
		else
			p = listed_profile(all, nall, d);
		if (!p)
			continue;
		if (!npick++) {
			pick = d;
			pick_profile = p;
		}
	}

	/* A matching device dfu-util may not open is a candidate too: without
	 * --serial/--path it could be the one meant (its serial and path are
	 * unknown, so those options never pick it). */
	if (!(ctx->serial && *ctx->serial) && !(ctx->usb_path && *ctx->usb_path))
		for (size_t i = 0; i < list.nfailed; i++)
			if (locked_profile(chosen, all, nall, &list.failed[i]))
				nlocked++;

	if (npick == 1 && nlocked == 0) {
		if (!chosen && (rc = copy_profile(pick_profile, &path, &out->profile, err)))
			goto done;
		rc = fill_target(out, pick, ctx->usb_path && *ctx->usb_path, err);
		goto done;
	}

	if (npick >= 1) {
		char msg[SF_ERR_MSG_MAX - 60] = "";
		size_t used = 0;
		for (size_t i = 0; i < list.n && used < sizeof msg - 1; i++) {
			const sf_dfu_device *d = &list.devs[i];
			const sf_profile *p = chosen ? chosen : listed_profile(all, nall, d);
			if (d->runtime || !device_matches(ctx, d) || !p ||
			    (chosen && (d->vid != chosen->dfu.vid || d->pid != chosen->dfu.pid)))
				continue;
			append_dev(msg, sizeof msg, &used, used ? "; " : "", d, p);
		}
		for (size_t i = 0; nlocked && i < list.nfailed; i++) {
			const sf_profile *p = locked_profile(chosen, all, nall, &list.failed[i]);
			if (p)
				append_locked(msg, sizeof msg, &used, used ? "; " : "", &list.failed[i], p);
		}
		judge_listing(ctx, chosen, &t, "ambiguous", diagnose, judged);
		rc = sf_err_set(err, SF_EXIT_NO_DEVICE,
				"%zu DFU devices match: %s; pass --serial SN or --path BUS-PORT to pick one%s%s",
				npick + nlocked, msg, nlocked ? "; for one that may not be opened, " : "",
				nlocked ? udev_fix : "");
		goto done;
	}

	if (nlocked) {
		/* The only candidates cannot be opened: that is the device meant. */
		const sf_dfu_open_failure *f = NULL;
		const sf_profile *p = NULL;
		char dn[32] = "";
		/* a permission problem first: its fix is known */
		for (size_t i = 0; i < list.nfailed; i++) {
			const sf_profile *lp = locked_profile(chosen, all, nall, &list.failed[i]);
			if (lp && (!f || (list.failed[i].access && !f->access))) {
				f = &list.failed[i];
				p = lp;
			}
		}
		if (f->has_devnum)
			snprintf(dn, sizeof dn, " (devnum %u)", f->devnum);
		/* The diagnosis names the device node, its mode and the udev state. */
		judge_listing(ctx, p, &t, "none", diagnose, judged);
		if (f->access) {
			rc = sf_err_set(err, SF_EXIT_PERMISSION,
					"found %s DFU device %04x:%04x%s but may not open it (%s); %s",
					p->id, f->vid, f->pid, dn, f->error[0] ? f->error : "no libusb error given",
					udev_fix);
		} else {
			rc = sf_err_set(err, SF_EXIT_NO_DEVICE,
					"found %s DFU device %04x:%04x%s but dfu-util could not open it (%s); close other programs using it, or unplug and replug it",
					p->id, f->vid, f->pid, dn, f->error[0] ? f->error : "no libusb error given");
		}
		goto done;
	}

	/* Nothing usable: explain what was seen. */
	if (list.access_denied) {
		/* The diagnosis names the device node, its mode and the udev state. */
		judge_listing(ctx, chosen ? chosen : sf_profiles_match_usb(all, nall, list.failed_vid, list.failed_pid,
									     false),
			      &t, "none", diagnose, judged);
		rc = sf_err_set(err, SF_EXIT_PERMISSION,
				"found DFU device %04x:%04x but may not open it (%s); %s",
				list.failed_vid, list.failed_pid, list.failed_error, udev_fix);
		goto done;
	}
	/* A known device in normal (runtime) mode: say so, or detach it. */
	for (size_t i = 0; i < list.n; i++) {
		const sf_dfu_device *d = &list.devs[i];
		const sf_profile *p;
		if (!d->runtime || !device_matches(ctx, d))
			continue;
		if (chosen)
			p = chosen->has_runtime && d->vid == chosen->runtime.vid && d->pid == chosen->runtime.pid ? chosen : NULL;
		else
			p = sf_profiles_match_usb(all, nall, d->vid, d->pid, true);
		if (!p)
			continue;
		if (may_detach) {
			if ((rc = detach_device(ctx, d, p, err)) == 0)
				rc = DEVSEL_DETACHED;
			goto done;
		}
		judge_listing(ctx, p, &t, "runtime", diagnose, judged);
		rc = sf_err_set(err, SF_EXIT_NO_DEVICE, "%s %04x:%04x is attached in normal (runtime) mode, not DFU mode; %s, or pass --detach",
				p->id, d->vid, d->pid, p->dfu_mode_help ? p->dfu_mode_help : generic_help);
		goto done;
	}
	/* A device whose VID:PID several profiles share (the STM32 system
	 * bootloaders) but whose layouts fit none of them, or more than one:
	 * the user says which it is. */
	for (size_t i = 0; !chosen && i < list.n; i++) {
		const sf_dfu_device *d = &list.devs[i];
		sf_match m;
		char what[160], ids[200];
		if (d->runtime || !device_matches(ctx, d))
			continue;
		m = sf_profiles_match_device(all, nall, d);
		if (m.nshared < 2 || m.profile)
			continue;
		sf_match_describe_unknown(&m, d->vid, d->pid, what, sizeof what);
		sf_profiles_sharing(all, nall, d->vid, d->pid, ids, sizeof ids);
		rc = sf_err_set(err, SF_EXIT_NO_DEVICE,
				"the DFU-mode device %s serial %s path %s reports alt layouts that %s of the profiles sharing %04x:%04x (%s) %s; pass --profile NAME to say which it is, or --profile FILE with a profile for it",
				what, d->has_serial ? d->serial : "(none)", d->has_path ? d->path : "(unknown)",
				m.kind == SF_MATCH_AMBIGUOUS ? "more than one" : "none", d->vid, d->pid, ids,
				m.kind == SF_MATCH_AMBIGUOUS ? "fit equally" : "has");
		goto done;
	}
	/* Devices in DFU mode that no (or not the chosen) profile describes:
	 * they are in DFU mode already, so do not ask for that; say that the
	 * profile is what is missing. */
	{
		const char *help = chosen && chosen->dfu_mode_help ? chosen->dfu_mode_help : generic_help;
		char seen[200] = "", ids[120] = "";
		size_t used = 0, nseen = 0, iused = 0;
		for (size_t i = 0; i < list.n; i++) {
			const sf_dfu_device *d = &list.devs[i];
			if (d->runtime || !device_matches(ctx, d))
				continue;
			append_dev(seen, sizeof seen, &used, used ? "; " : "", d,
				   chosen ? NULL : listed_profile(all, nall, d));
			nseen++;
		}
		for (size_t i = 0; !chosen && i < nall && iused < sizeof ids - 1; i++) {
			int w = snprintf(ids + iused, sizeof ids - iused, "%s%s", i ? ", " : "", all[i].id);
			if (w < 0)
				break;
			iused += (size_t)w;
			if (iused >= sizeof ids)
				iused = sizeof ids - 1;
		}
		if (nseen && chosen) {
			rc = sf_err_set(err, SF_EXIT_NO_DEVICE,
					"the DFU-mode device%s %s do%s not match profile %s (%04x:%04x): pass the --profile that describes %s; if you meant a %s device, %s",
					nseen == 1 ? "" : "s", seen, nseen == 1 ? "es" : "", chosen->id, chosen->dfu.vid,
					chosen->dfu.pid, nseen == 1 ? "it" : "them", chosen->id, help);
			goto done;
		}
		if (nseen) {
			rc = sf_err_set(err, SF_EXIT_NO_DEVICE,
					"no profile describes the DFU-mode device%s %s (profiles: %s): pass --profile FILE with a profile for %s, or add one to --profiles-dir; if you meant another device, %s",
					nseen == 1 ? "" : "s", seen, ids, nseen == 1 ? "it" : "them", help);
			goto done;
		}
	}
	{
		const char *help = chosen && chosen->dfu_mode_help ? chosen->dfu_mode_help : generic_help;
		char seen[256] = "";
		size_t used = 0;
		for (size_t i = 0; i < list.n && used < sizeof seen - 1; i++) {
			const sf_dfu_device *d = &list.devs[i];
			const sf_profile *p = chosen || d->runtime
				? sf_profiles_match_usb(chosen ? chosen : all, chosen ? 1 : nall, d->vid, d->pid, d->runtime)
				: listed_profile(all, nall, d);
			append_dev(seen, sizeof seen, &used, used ? "; " : " (seen, not matching: ", d, p);
		}
		if (used && used < sizeof seen - 1)
			snprintf(seen + used, sizeof seen - used, ")");
		judge_listing(ctx, chosen, &t, "none", diagnose, judged);
		rc = sf_err_set(err, SF_EXIT_NO_DEVICE, "no %s device in DFU mode found%s%s%s%s; %s",
				chosen ? chosen->id : "known",
				ctx->serial ? " with serial " : "", ctx->serial ? ctx->serial : "",
				ctx->usb_path ? " at path " : "", ctx->usb_path ? ctx->usb_path : "",
				help);
		if (used) {
			size_t l = strlen(err->msg);
			snprintf(err->msg + l, sizeof err->msg - l, "%s", seen);
		}
		if (ctx->dry_run && !ctx->profile) {
			size_t l = strlen(err->msg);
			snprintf(err->msg + l, sizeof err->msg - l,
				 "; or pass --profile NAME to see the plan without a device");
		}
	}

done:
	sf_dfu_list_free(&list);
	sf_transcript_free(&t);
	if (all)
		sf_profile_free_all(all, nall);
	if (rc)
		sf_target_free(out);
	return rc;
}

bool sf_target_still_in_dfu(const sf_ctx *ctx, const sf_target *t)
{
	static const char *const largs[] = { "-l", NULL };
	/* Real bootloaders drop off the bus within a few hundred ms of the
	 * leave request, and most are gone by the time dfu-util exits: a
	 * first look almost at once (cheap: one listing), then, while it is
	 * still seen, again a little later (about 1.5 s in all). */
	static const unsigned wait_ms[] = { 5, 95, 200, 400, 800 };
	bool present = false;
	/* these looks are sparkflash's own: the --log gets their outcome as a
	 * note on the run that left (sf_dfu_note), not the listings */
	sf_ctx quiet = *ctx;
	quiet.log_file = NULL;
	ctx = &quiet;
	if (ctx->dry_run || !t->listed)
		return false;
	for (size_t attempt = 0; attempt < sizeof wait_ms / sizeof wait_ms[0]; attempt++) {
		sf_transcript lt = { 0 };
		sf_dfu_list list = { 0 };
		sf_err ignored;
		double left = sf_deadline_left(ctx->deadline, sf_monotonic_s());
		if (left * 1000.0 < wait_ms[attempt] + 50)
			return false; /* no time left to look: in doubt */
		usleep(wait_ms[attempt] * 1000);
		present = false;
		if (sf_dfu_run(ctx, largs, &(sf_dfu_run_opts){ .flags = SF_DFU_RUN_NO_PROGRESS | SF_DFU_RUN_NO_EVENT },
			       &lt, &ignored) == 0 &&
		    sf_dfu_outcome_code(ctx, &lt, &ignored) == 0 && sf_dfu_parse_list(&lt, &list)) {
			for (size_t i = 0; i < list.n; i++) {
				const sf_dfu_device *d = &list.devs[i];
				if (!d->runtime && d->vid == t->sel.vid && d->pid == t->sel.pid &&
				    (!t->serial[0] || (d->has_serial && !strcmp(d->serial, t->serial))) &&
				    (!t->path[0] || !d->has_path || !strcmp(d->path, t->path)))
					present = true;
			}
		}
		sf_dfu_list_free(&list);
		sf_transcript_free(&lt);
		if (!present)
			return false;
	}
	return present;
}

int sf_target_check_alt(const sf_ctx *ctx, sf_target *t, int alt, bool write, bool force,
			sf_err *err)
{
	const sf_alt *pa = sf_profile_alt(&t->profile, alt);
	if (!t->listed || !t->nalts || !pa)
		return 0;
	for (size_t i = 0; i < t->nalts; i++) {
		const char *got = t->alts[i].name;
		bool warned;
		if ((int)t->alts[i].alt != alt)
			continue;
		if (!pa->layout_text)
			return 0;
		switch (sf_layout_compare(got, pa->layout_text)) {
		case SF_LAYOUT_SAME:
			return 0;
		case SF_LAYOUT_FLAGS_DIFFER:
			if (write && !force)
				return sf_err_set(err, SF_EXIT_REFUSED,
						  "the device reports alt %d as \"%s\" but profile %s expects \"%s\": only the memory attribute letters differ, but a write needs the device's map to agree with the profile; fix the profile, or pass --force to write anyway",
						  alt, got, t->profile.id, pa->layout_text);
			warned = t->layout_warned[(unsigned)alt / 8] & (1u << ((unsigned)alt % 8));
			t->layout_warned[(unsigned)alt / 8] |= (unsigned char)(1u << ((unsigned)alt % 8));
			if (!warned)
				sf_out_warning(ctx, "the device reports alt %d as \"%s\" but profile %s expects \"%s\": only the memory attribute letters differ; %s",
					       alt, got, t->profile.id, pa->layout_text,
					       write ? "writing anyway (--force)" : "reading anyway");
			return 0;
		case SF_LAYOUT_DIFFERENT:
			break;
		}
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "the device reports alt %d as \"%s\" but profile %s expects \"%s\"; it is not the device the profile describes (pick another --profile)",
				  alt, got, t->profile.id, pa->layout_text);
	}
	return sf_err_set(err, SF_EXIT_REFUSED, "the device has no alt %d, which profile %s describes",
			  alt, t->profile.id);
}

json_t *sf_target_json(const sf_target *t)
{
	sf_result_device d;
	sf_result_device_init(&d);
	d.profile = t->profile.id;
	d.platform_id = t->profile.id ? t->profile.platform_id : -1;
	d.has_usb_id = t->sel.vid || t->sel.pid;
	d.vid = t->sel.vid;
	d.pid = t->sel.pid;
	d.serial = t->serial;
	d.path = t->path;
	d.listed = t->listed;
	return sf_result_device_json(&d);
}

void sf_target_describe(const sf_target *t, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s (%04x:%04x", t->profile.id ? t->profile.id : "?", t->sel.vid,
			 t->sel.pid);
	if (n > 0 && (size_t)n < size && t->serial[0])
		n += snprintf(buf + n, size - (size_t)n, ", serial %s", t->serial);
	if (n > 0 && (size_t)n < size && t->path[0])
		n += snprintf(buf + n, size - (size_t)n, ", path %s", t->path);
	if (n > 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, ")");
}

/* ---- several devices (flash --all, repeated --serial/--path) ---------- */

static void fix_pointers(sf_target *t)
{
	if (t->sel.serial)
		t->sel.serial = t->serial;
	if (t->sel.path)
		t->sel.path = t->path;
}

void sf_target_move(sf_target *dst, sf_target *src)
{
	*dst = *src;
	fix_pointers(dst);
	memset(src, 0, sizeof *src);
}

void sf_target_pass_path(sf_target *t, bool pass)
{
	t->sel.path = pass && t->path[0] ? t->path : NULL;
}

int sf_listing_take(const sf_ctx *ctx, sf_listing *out, sf_err *err)
{
	sf_profile_path path;
	sf_profile *all = NULL, *chosen = NULL;
	size_t nall = 0;
	sf_dfu_list list = { 0 };
	static const char *const largs[] = { "-l", NULL };
	int rc;

	memset(out, 0, sizeof *out);
	sf_profile_path_init(&path, ctx->profiles_dirs, ctx->nprofiles_dirs);
	if (ctx->profile) {
		if ((rc = sf_profile_find(&path, ctx->profile, &out->chosen, err)))
			return rc;
		chosen = &out->chosen;
	} else if ((rc = sf_profile_load_all(&path, &all, &nall, err))) {
		return rc;
	}
	if ((rc = sf_dfu_run(ctx, largs, &(sf_dfu_run_opts){ .flags = SF_DFU_RUN_NO_PROGRESS }, &out->transcript,
			     err)))
		goto done;
	if ((rc = sf_dfu_outcome_code(ctx, &out->transcript, err)))
		goto done;
	if (out->transcript.exited && out->transcript.exit_status != 0) {
		rc = sf_err_set(err, SF_EXIT_DFU_UTIL, "'dfu-util -l' failed (exit %d); is '%s' a working dfu-util?",
				out->transcript.exit_status, ctx->dfu_util);
		goto done;
	}
	if (!sf_dfu_parse_list(&out->transcript, &list)) {
		rc = sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
		goto done;
	}
	out->targets = calloc(list.n ? list.n : 1, sizeof *out->targets);
	if (!out->targets) {
		rc = sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < list.n; i++) {
		const sf_dfu_device *d = &list.devs[i];
		const sf_profile *p;
		sf_target *t = &out->targets[out->n];
		if (d->runtime)
			continue;
		if (chosen)
			p = d->vid == chosen->dfu.vid && d->pid == chosen->dfu.pid ? chosen : NULL;
		else
			p = listed_profile(all, nall, d);
		if (!p)
			continue;
		if ((rc = copy_profile(p, &path, &t->profile, err)) || (rc = fill_target(t, d, false, err))) {
			sf_target_free(t);
			goto done;
		}
		out->n++;
	}
	for (size_t i = 0; i < list.nfailed && out->nlocked < SF_DFU_MAX_OPEN_FAILED; i++) {
		const sf_profile *p = locked_profile(chosen, all, nall, &list.failed[i]);
		if (!p)
			continue;
		out->locked[out->nlocked] = list.failed[i];
		snprintf(out->locked_profile[out->nlocked], sizeof out->locked_profile[0], "%s", p->id);
		out->nlocked++;
	}
	rc = 0;
done:
	sf_dfu_list_free(&list);
	if (all)
		sf_profile_free_all(all, nall);
	if (rc)
		sf_listing_free(out);
	return rc;
}

void sf_listing_free(sf_listing *l)
{
	for (size_t i = 0; l->targets && i < l->n; i++)
		sf_target_free(&l->targets[i]);
	free(l->targets);
	sf_transcript_free(&l->transcript);
	if (l->chosen.id || l->chosen.alts)
		sf_profile_free(&l->chosen);
	memset(l, 0, sizeof *l);
}

void sf_listing_judge_none(const sf_ctx *ctx, sf_listing *l, sf_diag_result *judged)
{
	judge_listing(ctx, l->chosen.id ? &l->chosen : NULL, &l->transcript, "none", true, judged);
}

void sf_locked_describe(const sf_listing *l, size_t i, char *label, size_t lsize, char *msg, size_t msize,
			int *exit_code)
{
	const sf_dfu_open_failure *f = &l->locked[i];
	char dn[32] = "";
	if (f->has_devnum)
		snprintf(dn, sizeof dn, " devnum %u", f->devnum);
	snprintf(label, lsize, "%s %04x:%04x%s", l->locked_profile[i], f->vid, f->pid, dn);
	if (f->access) {
		*exit_code = SF_EXIT_PERMISSION;
		snprintf(msg, msize, "found %s DFU device %04x:%04x%s but may not open it (%s); %s", l->locked_profile[i],
			 f->vid, f->pid, dn, f->error[0] ? f->error : "no libusb error given", udev_fix);
	} else {
		*exit_code = SF_EXIT_NO_DEVICE;
		snprintf(msg, msize,
			 "found %s DFU device %04x:%04x%s but dfu-util could not open it (%s); close other programs using it, or unplug and replug it",
			 l->locked_profile[i], f->vid, f->pid, dn, f->error[0] ? f->error : "no libusb error given");
	}
}

int sf_target_unlisted(const sf_ctx *ctx, const char *serial, const char *usb_path, sf_target *out, sf_err *err)
{
	sf_profile_path path;
	int rc;
	memset(out, 0, sizeof *out);
	if (!ctx->profile)
		return sf_err_set(err, SF_EXIT_USAGE, "a device without a listing needs --profile");
	sf_profile_path_init(&path, ctx->profiles_dirs, ctx->nprofiles_dirs);
	if ((rc = sf_profile_find(&path, ctx->profile, &out->profile, err)))
		return rc;
	out->sel.vid = out->profile.dfu.vid;
	out->sel.pid = out->profile.dfu.pid;
	if (serial && *serial) {
		snprintf(out->serial, sizeof out->serial, "%s", serial);
		out->sel.serial = out->serial;
	}
	if (usb_path && *usb_path) {
		snprintf(out->path, sizeof out->path, "%s", usb_path);
		out->sel.path = out->path;
	}
	return 0;
}
