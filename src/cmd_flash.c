/* sparkflash flash: write a file over USB (DFU) as spark-cli did, plus any
 * address; `flash DEVICE FILE` / `flash --cloud ...` go to the cloud code. */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cloud_cmd.h"
#include "commands.h"
#include "image_io.h"
#include "module.h"
#include "out.h"
#include "plan.h"
#include "usbop.h"
#include "verify.h"

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
	{ NULL, 0, NULL, 0 },
};

struct flash_args {
	bool usb, factory, verify, cloud;
	const char *segment;
	sf_op_request req;
};

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
	default: return sf_usage_error(ctx, "unknown option");
	}
}

/* "0x..." or up to 10 decimal digits: an address, not a cloud device name
 * (device ids are 24 hex digits). */
static bool address_like(const char *s)
{
	size_t n = strlen(s);
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return true;
	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Options of flash/cloud flash that take a separate value (for finding the
 * first positional argument before parsing). */
static bool takes_value(const char *opt)
{
	static const char *const v[] = { "--segment", "--alt", "--allow-protected", "--profiles-dir",
					 "--sim", "--dfu-util", "--profile", "--serial", "--path",
					 "--log", "--timeout", "--device", "--jobs", "--product",
					 "--api-url", "--cacert", "--connect-timeout", "--max-time",
					 "--platform", "--target", NULL };
	for (size_t i = 0; v[i]; i++)
		if (!strcmp(opt, v[i]))
			return true;
	return false;
}

/* spark-cli: `flash --cloud DEVICE FILE` and `flash DEVICE FILE` are cloud
 * flashes; everything with --usb/--factory/--segment or an address is USB. */
static bool routes_to_cloud(int argc, char **argv, bool *strip_cloud)
{
	const char *first = NULL;
	*strip_cloud = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			if (!first && i + 1 < argc)
				first = argv[i + 1];
			break;
		}
		if (!strcmp(a, "--cloud")) {
			*strip_cloud = true;
			return true;
		}
		if (!strcmp(a, "--usb") || !strcmp(a, "--factory") || !strncmp(a, "--segment", 9))
			return false;
		if (a[0] == '-' && a[1]) {
			if (!strchr(a, '=') && takes_value(a))
				i++;
			continue;
		}
		if (!first)
			first = a;
	}
	return first && !address_like(first);
}

/* The verify operation's comparison for the result event. */
static json_t *verify_json(const sf_verify_result *vr, uint32_t base)
{
	json_t *ranges = json_array();
	for (uint64_t i = 0; i < vr->nranges && i < SF_VERIFY_MAX_RANGES; i++) {
		char f[16], l[16];
		snprintf(f, sizeof f, "0x%08" PRIx64, base + vr->ranges[i].first);
		snprintf(l, sizeof l, "0x%08" PRIx64, base + vr->ranges[i].last);
		json_array_append_new(ranges, json_pack("{s:s, s:s}", "first", f, "last", l));
	}
	return json_pack("{s:b, s:I, s:I, s:I, s:o}", "ok", vr->differing == 0, "compared",
			 (json_int_t)vr->compared, "differing_bytes", (json_int_t)vr->differing,
			 "differing_ranges_total", (json_int_t)vr->nranges, "differing_ranges", ranges);
}

static int run_flash(sf_ctx *ctx, struct flash_args *a, const char *file)
{
	sf_usbop u;
	sf_err err = { 0 };
	uint8_t *data = NULL, *back = NULL;
	size_t len = 0, off = 0, plen = 0, blen = 0, strip = 0;
	sf_module_info mi;
	sf_plan pl;
	char tmp[4200] = "";
	const char *op = sf_op_kind_name(a->req.kind);
	int rc;

	sf_usbop_init(&u, ctx);
	u.force = a->req.force;
	if ((rc = sf_usbop_check_log(ctx, file, &err)))
		goto out;
	if ((rc = sf_image_read(file, 0, &data, &len, &err)))
		goto out;
	if (sf_dfu_prefix_hazard(data, len, &strip) != SF_HAZARD_NONE) {
		rc = sf_err_set(&err, SF_EXIT_REFUSED,
				"'%s' starts like a %s DFU prefix: dfu-util would silently drop its first %zu bytes",
				file, sf_prefix_hazard_name(sf_dfu_prefix_hazard(data, len, NULL)), strip);
		goto out;
	}
	sf_dfu_payload(data, len, &off, &plen);
	if (sf_module_parse(data + off, plen, &mi, &err)) {
		rc = SF_EXIT_REFUSED;
		goto out;
	}
	a->req.file_size = plen;
	a->req.module = &mi;
	if ((rc = sf_plan_check_syntax(&a->req, &err)))
		goto out;

	/* With --profile the plan is checked before anything runs. */
	if ((rc = sf_usbop_preplan(ctx, &a->req, &pl, &err)))
		goto out;
	if ((rc = sf_usbop_select(&u))) {
		sf_usbop_free(&u);
		free(data);
		return rc;
	}
	if ((rc = sf_plan_make(&u.target.profile, &a->req, &pl, &err)))
		goto out;
	{
		sf_dfu_suffix suf;
		sf_dfu_suffix_parse(data, len, &suf);
		if (suf.valid && ((suf.id_vendor != 0xFFFF && suf.id_vendor != u.target.sel.vid) ||
				  (suf.id_product != 0xFFFF && suf.id_product != u.target.sel.pid))) {
			rc = sf_err_set(&err, SF_EXIT_REFUSED,
					"'%s' has a DFU suffix for %04x:%04x, not this device (%04x:%04x); dfu-util would refuse it",
					file, suf.id_vendor, suf.id_product, u.target.sel.vid, u.target.sel.pid);
			goto out;
		}
	}
	sf_usbop_announce(&u, op, &pl, file);

	{
		sf_plan wpl = pl, rpl, lpl;
		bool then_leave = false;
		const char *dfile = file;
		struct stat st;
		/* dfu-util opens the file itself: a pipe (e.g. <(...)) was
		 * consumed above, and /dev/stdin, /dev/fd/N, /proc/self/...
		 * name other files in the child, so those go through a private
		 * copy (as does anything but a regular file). */
		bool regular = stat(file, &st) == 0 && S_ISREG(st.st_mode) &&
			       strncmp(file, "/dev/", 5) && strncmp(file, "/proc/", 6);
		if (pl.pad || off != 0 || !regular) {
			if (ctx->dry_run) {
				dfile = "$TMPDIR/sparkflash-XXXXXX";
			} else {
				if ((rc = sf_tmp_write(data + off, plen, pl.length, tmp, sizeof tmp, &err)))
					goto out;
				dfile = tmp;
			}
		}
		if (a->verify)
			sf_plan_verified(&pl, &wpl, &rpl, &lpl, &then_leave);
		rc = sf_usbop_transfer(&u, op, &wpl, dfile,
				       pl.pad ? "a private copy padded to even length with one 0x00 byte" : NULL,
				       &err);
		if (rc)
			goto out;
		if (a->verify) {
			/* still in DFU mode: read back, compare, and leave only on a match */
			if ((rc = sf_usbop_read_mem(&u, "verify", &rpl, &back, &blen, &err)))
				goto out;
			if (!ctx->dry_run) {
				sf_verify_result vr;
				char diff[300];
				sf_verify_compare(data + off, plen, 0x00, back, blen, pl.length, &vr);
				sf_verify_describe(&vr, pl.address, diff, sizeof diff);
				/* the comparison is a fact for the judge (and the --log) */
				if (vr.differing)
					rc = sf_usbop_judge_note(&u, "verify", &rpl, SF_NOTE_VERIFY, &err, "mismatch %llu %s",
								 (unsigned long long)vr.differing, diff);
				else
					rc = sf_usbop_judge_note(&u, "verify", &rpl, SF_NOTE_VERIFY, &err, "ok");
				sf_usbop_note(&u, verify_json(&vr, pl.address));
				if (rc) {
					if (vr.differing)
						sf_err_set(&err, rc,
							   "verification failed: %s; the device stays in DFU mode: flash again, and if it fails again check the image and the device",
							   diff);
					goto out;
				}
				sf_out_info(ctx, "verified %zu bytes", blen);
			}
			if (then_leave) {
				char note[160];
				snprintf(note, sizeof note,
					 "only after the read-back matched: leave DFU mode and start the firmware at 0x%08" PRIx32,
					 lpl.address);
				if ((rc = sf_usbop_transfer(&u, "leave", &lpl, NULL, note, &err))) {
					char why[SF_ERR_MSG_MAX];
					snprintf(why, sizeof why, "%s", err.msg);
					sf_err_set(&err, rc,
						   "the image was written and verified, but the leave request failed: %.400s; reset the device to run it",
						   why);
					goto out;
				}
			}
		}
	}
	if (!ctx->dry_run) {
		char dev[400];
		sf_target_describe(&u.target, dev, sizeof dev);
		sf_usbop_done(&u, "flashed %s (%" PRIu64 " bytes%s) to %s%s0x%08" PRIx32 " on alt %d (%s) of %s%s",
			    file, pl.file_size, a->verify ? ", verified" : "", pl.segment, pl.segment[0] ? " at " : "", pl.address,
			    pl.alt, pl.alt_name, dev,
			    !pl.leave ? "; the device stays in DFU mode"
			    : u.stayed_in_dfu ? "; leave was requested, but the device is still in DFU mode"
			    : "; the device leaves DFU mode and runs it");
	}
out:
	if (tmp[0])
		unlink(tmp);
	free(data);
	free(back);
	rc = sf_usbop_finish(&u, rc, &err, NULL);
	sf_usbop_free(&u);
	return rc;
}

int cmd_flash(sf_ctx *ctx, int argc, char **argv)
{
	struct flash_args a = { 0 };
	bool strip;
	int first, rc, npos;

	if (routes_to_cloud(argc, argv, &strip)) {
		if (strip) {
			/* drop the --cloud word; the cloud code parses the rest */
			char **v = calloc((size_t)argc + 1, sizeof *v);
			int n = 0;
			if (!v)
				return SF_EXIT_INTERNAL;
			for (int i = 0; i < argc; i++)
				if (strcmp(argv[i], "--cloud"))
					v[n++] = argv[i];
			rc = sf_cloud_flash_cmd(ctx, n, v);
			free(v);
			return rc;
		}
		return sf_cloud_flash_cmd(ctx, argc, argv);
	}
	rc = sf_cli_parse(ctx, argc, argv, "", flash_opts, flash_opt, &a, &first);
	if (rc == SF_CLI_HELP)
		return SF_EXIT_OK;
	if (rc)
		return rc;
	npos = argc - first;
	/* --cloud after --usb/--factory/--segment was parsed here, not routed */
	if (a.cloud)
		return sf_usage_error(ctx, "--cloud cannot be combined with --usb, --factory, --segment or an address");
	if (a.segment && (a.usb || a.factory))
		return sf_usage_error(ctx, "--segment cannot be combined with --usb or --factory");
	if (a.segment) {
		if (npos != 1)
			return sf_usage_error(ctx, "flash --segment NAME takes one FILE");
		a.req.kind = SF_OP_WRITE_SEGMENT;
		a.req.segment = a.segment;
		return run_flash(ctx, &a, argv[first]);
	}
	if (a.usb || a.factory) {
		if (npos != 1)
			return sf_usage_error(ctx, "flash --usb/--factory takes one FILE");
		if (a.req.alt)
			return sf_usage_error(ctx, "--alt goes with an address: flash ADDRESS FILE --alt N");
		a.req.kind = a.factory ? SF_OP_FLASH_FACTORY : SF_OP_FLASH_USB;
		return run_flash(ctx, &a, argv[first]);
	}
	if (npos == 2) {
		a.req.kind = SF_OP_WRITE_ADDRESS;
		a.req.address = argv[first];
		return run_flash(ctx, &a, argv[first + 1]);
	}
	return sf_usage_error(ctx, "give --usb FILE, --factory FILE, --segment NAME FILE or ADDRESS FILE");
}
