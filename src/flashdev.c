#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfu_runner.h"
#include "fileio.h"
#include "flashdev.h"
#include "image_io.h"
#include "jsontext.h"
#include "out.h"
#include "pagediff.h"
#include "runpolicy.h"
#include "sf_spawn.h"
#include "verify.h"

int sf_flash_image_load(const char *file, sf_flash_image *img, sf_err *err)
{
	struct stat st;
	size_t strip = 0;
	int rc;

	memset(img, 0, sizeof *img);
	img->file = file;
	if ((rc = sf_image_read(file, 0, &img->data, &img->len, err)))
		return rc;
	if (sf_dfu_prefix_hazard(img->data, img->len, &strip) != SF_HAZARD_NONE) {
		rc = sf_err_set(err, SF_EXIT_REFUSED,
				"'%s' starts like a %s DFU prefix: dfu-util would silently drop its first %zu bytes",
				file, sf_prefix_hazard_name(sf_dfu_prefix_hazard(img->data, img->len, NULL)), strip);
		sf_flash_image_free(img);
		return rc;
	}
	sf_dfu_payload(img->data, img->len, &img->off, &img->plen);
	if (sf_module_parse(img->data + img->off, img->plen, &img->mi, err)) {
		sf_flash_image_free(img);
		return SF_EXIT_REFUSED;
	}
	/* dfu-util opens the file itself: standard input ("-") and a pipe
	 * (e.g. <(...)) were consumed
	 * above, and /dev/stdin, /dev/fd/N, /proc/self/... name other files in
	 * the child, so those go through a private copy (as does anything but
	 * a regular file). */
	img->regular = strcmp(file, "-") && stat(file, &st) == 0 && S_ISREG(st.st_mode) &&
		       strncmp(file, "/dev/", 5) && strncmp(file, "/proc/", 6);
	return 0;
}

void sf_flash_image_free(sf_flash_image *img)
{
	free(img->data);
	memset(img, 0, sizeof *img);
}

enum img_mode { MODE_FULL, MODE_UNCHANGED, MODE_DIFF };

/* What one image needs across attempts. */
struct img_state {
	sf_plan pl;               /* the write, without leave */
	char tmp[4200];           /* private copy ("" none) */
	const char *dfile;        /* what dfu-util gets for a whole write */
	bool backed_up;
	char backup[4400];        /* the backup file written */
	enum img_mode mode;
	sf_pagediff diff;
	bool written;             /* something was written in this attempt */
};

struct run {
	sf_usbop *u;
	const sf_flash_job *job;
	struct img_state *st;
	bool announced;
	bool leave_wanted;
	uint64_t not_sent;        /* --diff: bytes of the images not sent */
};

/* The operation name of a write, as the result's operations call it. */
static const char *write_op(const sf_flash_job *job)
{
	return sf_op_kind_name(job->req.kind);
}

/* Checks every image against the device's profile (nothing is sent
 * before all of them pass). */
static int make_plans(struct run *r, sf_err *err)
{
	const sf_flash_job *job = r->job;
	const sf_target *t = &r->u->target;
	bool any_leave = false;
	int rc;

	for (size_t i = 0; i < job->nimages; i++) {
		const sf_flash_image *img = &job->images[i];
		sf_op_request req = job->req;
		sf_dfu_suffix suf;
		req.file_size = img->plen;
		req.module = &img->mi;
		if ((rc = sf_plan_make(&t->profile, &req, &r->st[i].pl, err))) {
			if (job->nimages > 1) {
				char why[SF_ERR_MSG_MAX];
				snprintf(why, sizeof why, "%s", err->msg);
				sf_err_set(err, rc, "%s: %.450s", img->file, why);
			}
			return rc;
		}
		sf_dfu_suffix_parse(img->data, img->len, &suf);
		if (suf.valid && ((suf.id_vendor != 0xFFFF && suf.id_vendor != t->sel.vid) ||
				  (suf.id_product != 0xFFFF && suf.id_product != t->sel.pid)))
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "'%s' has a DFU suffix for %04x:%04x, not this device (%04x:%04x); dfu-util would refuse it",
					  img->file, suf.id_vendor, suf.id_product, t->sel.vid, t->sel.pid);
		any_leave = any_leave || r->st[i].pl.leave;
	}
	/* one leave, after the last image: the segments' default (or --leave;
	 * never with --no-leave) */
	r->leave_wanted = job->req.leave == SF_LEAVE_YES || (job->req.leave == SF_LEAVE_DEFAULT && any_leave);
	for (size_t i = 0; i < job->nimages; i++)
		r->st[i].pl.leave = false;
	return 0;
}

static void announce(struct run *r)
{
	const sf_flash_job *job = r->job;
	if (r->announced)
		return;
	r->announced = true;
	for (size_t i = 0; i < job->nimages; i++) {
		sf_plan shown = r->st[i].pl;
		shown.leave = r->leave_wanted && i + 1 == job->nimages;
		sf_usbop_announce(r->u, write_op(job), &shown, job->images[i].file);
	}
}

/* Private copies for images dfu-util cannot take as they are (padding, a
 * DFU suffix, not a regular file); made once, removed at the end. */
static int private_copies(struct run *r, sf_err *err)
{
	const sf_flash_job *job = r->job;
	for (size_t i = 0; i < job->nimages; i++) {
		const sf_flash_image *img = &job->images[i];
		struct img_state *s = &r->st[i];
		int rc;
		if (s->dfile)
			continue;
		s->dfile = img->file;
		if (!s->pl.pad && img->off == 0 && img->regular)
			continue;
		if (r->u->ctx->dry_run) {
			s->dfile = "$TMPDIR/sparkflash-XXXXXX";
			continue;
		}
		if ((rc = sf_tmp_write(img->data + img->off, img->plen, s->pl.length, s->tmp, sizeof s->tmp, err)))
			return rc;
		s->dfile = s->tmp;
	}
	return 0;
}

/* The footprint read-back: the pages the write erases, without leave. */
static sf_plan footprint_plan(const sf_plan *pl)
{
	sf_plan rb = *pl;
	rb.upload = true;
	rb.leave = false;
	rb.leave_only = false;
	rb.pad = false;
	rb.address = pl->erase_start;
	rb.length = (uint32_t)(pl->erase_end - pl->erase_start);
	rb.file_size = 0;
	rb.warning[0] = '\0';
	if (rb.address != pl->address)
		rb.segment[0] = '\0';
	return rb;
}

/* Writes the backup file (mode 0600: the pages may hold anything) through
 * a temporary file in DIR linked to its name: never replaces anything. */
static int write_backup(const char *dir, const char *name, const uint8_t *data, size_t len, char *path,
			size_t psize, sf_err *err)
{
	int rc;
	snprintf(path, psize, "%s/%s", dir, name);
	if ((rc = sf_write_file(path, data, len, 0600, false, err)) && errno == EEXIST)
		sf_err_set(err, rc, "cannot create the backup '%s': it exists (backups are never overwritten: move it "
			   "away or use another --backup DIR)", path);
	return rc;
}

static json_t *runs_json(const sf_pagediff *d)
{
	json_t *a = json_array();
	for (size_t k = 0; k < d->nruns; k++) {
		char f[16], l[16], s[16];
		snprintf(f, sizeof f, "0x%08" PRIx32, d->runs[k].first_page);
		snprintf(l, sizeof l, "0x%08" PRIx64, d->runs[k].end_page - 1);
		snprintf(s, sizeof s, "0x%08" PRIx32, d->runs[k].send_start);
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:s, s:I}", "first", f, "last", l, "pages",
						   (json_int_t)d->runs[k].pages, "address", s, "length",
						   (json_int_t)d->runs[k].send_len));
	}
	return a;
}

/* The reads before any write: backups, and what an unchanged or --diff
 * write needs to know. A failed read or backup writes nothing. */
static int read_phase(struct run *r, sf_err *err)
{
	const sf_flash_job *job = r->job;
	sf_usbop *u = r->u;
	const sf_ctx *ctx = u->ctx;
	bool compare = job->skip_unchanged || job->diff;
	int rc;

	for (size_t i = 0; i < job->nimages; i++) {
		struct img_state *s = &r->st[i];
		s->mode = MODE_FULL;
		sf_pagediff_free(&s->diff);
	}
	if (!compare && !job->backup_dir)
		return 0;
	/* a backup that exists stops everything before the first read */
	for (size_t i = 0; job->backup_dir && i < job->nimages; i++) {
		struct img_state *s = &r->st[i];
		char name[300], path[4400];
		struct stat st;
		if (s->backed_up)
			continue;
		sf_backup_name(u->target.serial, s->pl.alt, s->pl.erase_start, s->pl.erase_end - s->pl.erase_start, name,
			       sizeof name);
		snprintf(path, sizeof path, "%s/%s", job->backup_dir, name);
		if (!ctx->dry_run && lstat(path, &st) == 0)
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "the backup '%s' exists; backups are never overwritten: move it away or use another --backup DIR",
					  path);
	}
	for (size_t i = 0; i < job->nimages; i++) {
		struct img_state *s = &r->st[i];
		const sf_flash_image *img = &job->images[i];
		const sf_alt *alt = sf_profile_alt(&u->target.profile, s->pl.alt);
		bool backup = job->backup_dir && !s->backed_up;
		sf_plan rb = footprint_plan(&s->pl);
		uint8_t *got = NULL, *want = NULL;
		size_t glen = 0, wlen = 0;
		json_t *facts = json_object();

		if (!alt || !sf_footprint_readable(&alt->layout, &s->pl)) {
			json_decref(facts);
			if (backup)
				return sf_err_set(err, SF_EXIT_REFUSED,
						  "cannot back up 0x%08" PRIx32 "-0x%08" PRIx64 " on alt %d: the profile's map says those pages cannot be read; flash without --backup",
						  s->pl.erase_start, s->pl.erase_end - 1, s->pl.alt);
			if (compare)
				sf_out_info(ctx, "%s: the pages at 0x%08" PRIx32 "-0x%08" PRIx64 " cannot be read back (profile): writing all of it",
					    img->file, s->pl.erase_start, s->pl.erase_end - 1);
			continue;
		}
		if (!compare && !backup) {
			json_decref(facts);
			continue;
		}
		if ((rc = sf_usbop_read_mem(u, "read-back", &rb, &got, &glen, err))) {
			json_decref(facts);
			return rc;
		}
		if (ctx->dry_run) {
			json_decref(facts);
			continue;
		}
		if (backup) {
			char name[300];
			sf_backup_name(u->target.serial, s->pl.alt, s->pl.erase_start, rb.length, name, sizeof name);
			if ((rc = write_backup(job->backup_dir, name, got, glen, s->backup, sizeof s->backup, err))) {
				free(got);
				json_decref(facts);
				return rc;
			}
			s->backed_up = true;
			sf_dfu_note(ctx, NULL, SF_NOTE_BACKUP, "%s", s->backup);
			sf_out_info(ctx, "saved the %" PRIu32 " bytes at 0x%08" PRIx32 " (the pages the write erases) to %s",
				    rb.length, rb.address, s->backup);
			json_object_set_new(facts, "backup", sf_json_text(s->backup));
		}
		if (compare) {
			char text[300];
			if ((rc = sf_footprint_expected(&s->pl, img->data + img->off, img->plen, &want, &wlen, err)) ||
			    (rc = sf_pagediff_compute(&alt->layout, &s->pl, want, got, glen, &s->diff, err))) {
				free(got);
				free(want);
				json_decref(facts);
				return rc;
			}
			sf_pagediff_describe(&s->diff, text, sizeof text);
			if (!s->diff.nruns) {
				s->mode = MODE_UNCHANGED;
				sf_dfu_note(ctx, NULL, SF_NOTE_COMPARE, "unchanged");
				sf_out_info(ctx, "%s is already on the device (%zu page%s at 0x%08" PRIx32 " identical): nothing to write",
					    img->file, s->diff.pages, s->diff.pages == 1 ? "" : "s", s->pl.erase_start);
			} else {
				s->mode = job->diff ? MODE_DIFF : MODE_FULL;
				sf_dfu_note(ctx, NULL, SF_NOTE_COMPARE, "changed %zu of %zu pages: %s", s->diff.changed_pages,
					    s->diff.pages, text);
				if (job->diff)
					sf_out_info(ctx, "%s: %zu of %zu pages differ, %s", img->file, s->diff.changed_pages,
						    s->diff.pages, text);
			}
			json_object_set_new(facts, "unchanged", json_boolean(s->mode == MODE_UNCHANGED));
			json_object_set_new(facts, "pages", json_integer((json_int_t)s->diff.pages));
			json_object_set_new(facts, "changed_pages", json_integer((json_int_t)s->diff.changed_pages));
			if (job->diff) {
				json_object_set_new(facts, "runs", runs_json(&s->diff));
				json_object_set_new(facts, "bytes_not_sent",
						    json_integer((json_int_t)(s->mode == MODE_FULL ? 0 : s->diff.bytes_not_sent)));
			}
		}
		sf_usbop_note(u, facts);
		free(got);
		free(want);
	}
	return 0;
}

/* One --diff run: its bytes (image and padding) in a private file. */
static int diff_run(struct run *r, size_t i, size_t k, bool leave, sf_err *err)
{
	const sf_flash_image *img = &r->job->images[i];
	struct img_state *s = &r->st[i];
	const sf_page_run *pr = &s->diff.runs[k];
	sf_plan rp = s->pl;
	size_t at = pr->send_start - s->pl.address, avail = 0;
	char tmp[4200] = "", note[200];
	int rc;

	rp.address = pr->send_start;
	rp.length = pr->send_len;
	rp.file_size = pr->send_len;
	rp.pad = false;
	rp.erase_start = pr->first_page;
	rp.erase_end = pr->end_page;
	rp.leave = leave;
	rp.warning[0] = '\0';
	if (rp.address != s->pl.address)
		rp.segment[0] = '\0';
	if (at < img->plen)
		avail = img->plen - at < pr->send_len ? img->plen - at : pr->send_len;
	snprintf(note, sizeof note, "--diff run %zu of %zu: %zu changed page%s at 0x%08" PRIx32 "-0x%08" PRIx64, k + 1,
		 s->diff.nruns, pr->pages, pr->pages == 1 ? "" : "s", pr->first_page, pr->end_page - 1);
	if (!r->u->ctx->dry_run &&
	    (rc = sf_tmp_write(img->data + img->off + (at < img->plen ? at : 0), avail, pr->send_len, tmp, sizeof tmp,
			       err)))
		return rc;
	rc = sf_usbop_transfer(r->u, write_op(r->job), &rp, tmp[0] ? tmp : "$TMPDIR/sparkflash-XXXXXX", note, err);
	if (tmp[0])
		sf_tmp_remove(tmp);
	if (!rc) {
		sf_dfu_note(r->u->ctx, NULL, SF_NOTE_DIFF_RUN, "%zu of %zu 0x%08" PRIx32 "-0x%08" PRIx64, k + 1,
			    s->diff.nruns, pr->first_page, pr->end_page - 1);
		sf_usbop_note(r->u, json_pack("{s:I, s:I}", "diff_run", (json_int_t)(k + 1), "diff_runs",
					      (json_int_t)s->diff.nruns));
	}
	return rc;
}

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

/* --verify: read the written range back while still in DFU mode. */
static int verify_image(struct run *r, size_t i, sf_err *err)
{
	sf_usbop *u = r->u;
	const sf_flash_image *img = &r->job->images[i];
	const sf_plan *pl = &r->st[i].pl;
	sf_plan wpl, rpl, lpl;
	bool has_leave;
	uint8_t *back = NULL;
	size_t blen = 0;
	int rc;

	sf_plan_verified(pl, &wpl, &rpl, &lpl, &has_leave);
	if ((rc = sf_usbop_read_mem(u, "verify", &rpl, &back, &blen, err)))
		return rc;
	if (!u->ctx->dry_run) {
		sf_verify_result vr;
		char diff[300];
		sf_verify_compare(img->data + img->off, img->plen, 0x00, back, blen, pl->length, &vr);
		sf_verify_describe(&vr, pl->address, diff, sizeof diff);
		/* the comparison is a fact for the judge (and the --log) */
		if (vr.differing)
			rc = sf_usbop_judge_note(u, "verify", &rpl, SF_NOTE_VERIFY, err, "mismatch %llu %s",
						 (unsigned long long)vr.differing, diff);
		else
			rc = sf_usbop_judge_note(u, "verify", &rpl, SF_NOTE_VERIFY, err, "ok");
		sf_usbop_note(u, verify_json(&vr, pl->address));
		if (rc && vr.differing)
			sf_err_set(err, rc,
				   "verification failed: %s; the device stays in DFU mode: flash again, and if it fails again check the image and the device",
				   diff);
		if (!rc)
			sf_out_info(u->ctx, "verified %zu bytes", blen);
	}
	free(back);
	return rc;
}

/* The writes, in order, and the one leave at the end. */
static int write_phase(struct run *r, sf_err *err)
{
	const sf_flash_job *job = r->job;
	sf_usbop *u = r->u;
	size_t last = job->nimages - 1;
	bool folded = false, dry = u->ctx->dry_run;
	int rc;

	/* the leave rides on the last download when nothing has to happen
	 * after it and it starts where the image does (dfu-util then leaves
	 * at that address); else it is a step of its own */
	if (r->leave_wanted && !job->verify) {
		struct img_state *s = &r->st[last];
		if (s->mode == MODE_FULL)
			folded = true;
		else if (s->mode == MODE_DIFF && s->diff.nruns &&
			 s->diff.runs[s->diff.nruns - 1].send_start == s->pl.address)
			folded = true;
	}
	r->not_sent = 0;
	for (size_t i = 0; i < job->nimages; i++) {
		struct img_state *s = &r->st[i];
		bool leave_here = folded && i == last;
		s->written = false;
		switch (s->mode) {
		case MODE_UNCHANGED:
			r->not_sent += s->pl.length;
			continue;
		case MODE_DIFF:
			for (size_t k = 0; k < s->diff.nruns; k++)
				if ((rc = diff_run(r, i, k, leave_here && k + 1 == s->diff.nruns, err)))
					return rc;
			r->not_sent += s->diff.bytes_not_sent;
			break;
		case MODE_FULL: {
			sf_plan wpl = s->pl;
			const char *note = NULL;
			char nbuf[200];
			wpl.leave = leave_here;
			if (dry && job->diff)
				note = "--diff: only the runs of pages that differ from the read-back, each a download like this one";
			else if (dry && job->skip_unchanged)
				note = "--skip-unchanged: only when the read-back differs from the image";
			else if (s->pl.pad)
				note = "a private copy padded to even length with one 0x00 byte";
			if (note) {
				snprintf(nbuf, sizeof nbuf, "%s", note);
				note = nbuf;
			}
			if ((rc = sf_usbop_transfer(u, write_op(job), &wpl, s->dfile, note, err)))
				return rc;
			break;
		}
		}
		s->written = true;
		if (job->verify && (rc = verify_image(r, i, err)))
			return rc;
	}
	if (r->leave_wanted && !folded) {
		sf_plan lpl;
		char note[200];
		sf_plan_leave_only(&r->st[last].pl, &lpl);
		snprintf(note, sizeof note, "%s: leave DFU mode and start the firmware at 0x%08" PRIx32,
			 job->verify ? "only after the read-back matched" : "after the last write", lpl.address);
		if ((rc = sf_usbop_transfer(u, "leave", &lpl, NULL, note, err))) {
			char why[SF_ERR_MSG_MAX];
			snprintf(why, sizeof why, "%s", err->msg);
			sf_err_set(err, rc, "the image was %s, but the leave request failed: %.400s; reset the device to run it",
				   job->verify ? "written and verified" : "written", why);
			return rc;
		}
	}
	return 0;
}

static int attempt(struct run *r, sf_err *err)
{
	int rc;
	if ((rc = make_plans(r, err)))
		return rc;
	announce(r);
	if ((rc = private_copies(r, err)))
		return rc;
	if ((rc = read_phase(r, err)))
		return rc;
	return write_phase(r, err);
}

/* The success message: what went where, and whether it runs. */
static void done_message(struct run *r)
{
	const sf_flash_job *job = r->job;
	sf_usbop *u = r->u;
	char dev[400], what[SF_ERR_MSG_MAX] = "", tail[120];
	size_t used = 0, nwritten = 0;

	sf_target_describe(&u->target, dev, sizeof dev);
	for (size_t i = 0; i < job->nimages; i++)
		nwritten += r->st[i].mode != MODE_UNCHANGED;
	snprintf(tail, sizeof tail, "%s",
		 !r->leave_wanted ? "; the device stays in DFU mode"
		 : u->stayed_in_dfu ? "; leave was requested, but the device is still in DFU mode"
		 : "; the device leaves DFU mode and runs it");
	if (job->nimages == 1) {
		const struct img_state *s = &r->st[0];
		const sf_plan *pl = &s->pl;
		char extra[160] = "";
		if (s->mode == MODE_DIFF)
			snprintf(extra, sizeof extra, ", --diff: %zu of %zu pages in %zu run%s, %" PRIu64 " bytes not sent",
				 s->diff.changed_pages, s->diff.pages, s->diff.nruns, s->diff.nruns == 1 ? "" : "s",
				 s->diff.bytes_not_sent);
		if (s->mode == MODE_UNCHANGED)
			sf_usbop_done(u, "unchanged: %s (%" PRIu64 " bytes) is already in %s%s0x%08" PRIx32 " on alt %d (%s) of %s; nothing written%s",
				      job->images[0].file, pl->file_size, pl->segment, pl->segment[0] ? " at " : "",
				      pl->address, pl->alt, pl->alt_name, dev, tail);
		else
			sf_usbop_done(u, "flashed %s (%" PRIu64 " bytes%s%s) to %s%s0x%08" PRIx32 " on alt %d (%s) of %s%s",
				      job->images[0].file, pl->file_size, job->verify ? ", verified" : "", extra, pl->segment,
				      pl->segment[0] ? " at " : "", pl->address, pl->alt, pl->alt_name, dev, tail);
		return;
	}
	for (size_t i = 0; i < job->nimages && used < sizeof what; i++) {
		const struct img_state *s = &r->st[i];
		char where[80];
		int n;
		if (s->pl.segment[0])
			snprintf(where, sizeof where, "%s", s->pl.segment);
		else
			snprintf(where, sizeof where, "0x%08" PRIx32, s->pl.address);
		n = snprintf(what + used, sizeof what - used, "%s%s -> %s%s", i ? ", " : "", job->images[i].file, where,
			     s->mode == MODE_UNCHANGED ? " (unchanged)" : s->mode == MODE_DIFF ? " (--diff)" : "");
		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (!nwritten)
		sf_usbop_done(u, "unchanged: all %zu images are already on %s (%.200s); nothing written%s", job->nimages, dev,
			      what, tail);
	else
		sf_usbop_done(u, "flashed %zu images%s in order (%.260s) to %s%s", job->nimages,
			      job->verify ? ", verified," : "", what, dev, tail);
}

int sf_flash_run(sf_usbop *u, const sf_flash_job *job, sf_flash_outcome *out)
{
	const sf_ctx *ctx = u->ctx;
	struct img_state *st = calloc(job->nimages ? job->nimages : 1, sizeof *st);
	struct run r = { .u = u, .job = job, .st = st };
	sf_err err = { 0 };
	bool all_unchanged = false;
	json_t *extra;
	int rc;

	memset(out, 0, sizeof *out);
	if (!st) {
		rc = sf_err_set(&err, SF_EXIT_INTERNAL, "out of memory");
		goto finish;
	}
	if (!u->have_target && (rc = sf_usbop_select(u))) {
		/* sf_usbop_select printed the result */
		snprintf(out->message, sizeof out->message, "%s", sf_out_last_error());
		free(st);
		return rc;
	}
	for (;;) {
		const char *ids[16], *reason;
		size_t nids;
		double delay;
		char why[SF_ERR_MSG_MAX];

		sf_usbop_clear_judgement(u);
		rc = attempt(&r, &err);
		if (!rc || ctx->dry_run)
			break;
		nids = sf_usbop_ids(u, ids, sizeof ids / sizeof ids[0]);
		reason = sf_retry_reason(rc, ids, nids, job->verify);
		if (!reason || out->retries >= job->retries)
			break;
		out->retries++;
		delay = sf_retry_delay(out->retries);
		if (delay > sf_deadline_left(ctx->deadline, sf_monotonic_s()))
			delay = sf_deadline_left(ctx->deadline, sf_monotonic_s());
		snprintf(why, sizeof why, "%s", err.msg);
		sf_out_warning(ctx, "attempt %u of %u failed (%s): %.300s; trying again in %.1f s", out->retries,
			       job->retries + 1, reason, why, delay);
		sf_out_event(ctx, "retry",
			     json_pack("{s:o, s:i, s:i, s:s, s:i, s:f, s:o}", "serial",
				       u->target.serial[0] ? sf_json_text(u->target.serial) : json_null(), "attempt",
				       (int)out->retries + 1, "attempts", (int)job->retries + 1, "diagnosis", reason,
				       "exit_code", rc, "delay", delay, "message", sf_json_text(why)));
		sf_dfu_note(ctx, NULL, SF_NOTE_RETRY, "%u %s", out->retries + 1, reason);
		if (delay > 0)
			usleep((useconds_t)(delay * 1e6));
		/* a fresh listing of that device; one that dropped off the bus
		 * gets a few seconds to come back */
		if ((rc = sf_usbop_reselect(u, ctx->wait_s > 5 ? ctx->wait_s : 5, &err)))
			break;
	}
	if (rc && out->retries) {
		char why[SF_ERR_MSG_MAX];
		snprintf(why, sizeof why, "%s", err.msg);
		sf_err_set(&err, rc, "%.440s (after %u attempts)", why, out->retries + 1);
	}
	if (!rc && !ctx->dry_run) {
		all_unchanged = true;
		for (size_t i = 0; i < job->nimages; i++)
			all_unchanged = all_unchanged && st[i].mode == MODE_UNCHANGED;
		done_message(&r);
	}
finish:
	out->unchanged = all_unchanged;
	/* the result keeps the shape every result has; these appear only
	 * with the options they belong to */
	extra = json_object();
	if (job->diff || job->skip_unchanged) {
		json_object_set_new(extra, "unchanged", json_boolean(all_unchanged));
		json_object_set_new(extra, "bytes_not_sent", json_integer((json_int_t)r.not_sent));
	}
	if (job->retries)
		json_object_set_new(extra, "retries", json_integer((json_int_t)out->retries));
	rc = sf_usbop_finish(u, rc, &err, extra);
	snprintf(out->message, sizeof out->message, "%s",
		 rc ? (err.msg[0] ? err.msg : sf_exit_name(rc)) : ctx->dry_run ? "dry run: nothing sent" : u->summary);
	for (size_t i = 0; st && i < job->nimages; i++) {
		if (st[i].tmp[0])
			sf_tmp_remove(st[i].tmp);
		sf_pagediff_free(&st[i].diff);
	}
	free(st);
	return rc;
}
