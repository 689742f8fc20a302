#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "diag_host.h"
#include "diag_print.h"
#include "dfu_runner.h"
#include "dfuargv.h"
#include "fileio.h"
#include "image_io.h"
#include "out.h"
#include "profile_io.h"
#include "result.h"
#include "runpolicy.h"
#include "sf_spawn.h"
#include "usbop.h"

void sf_usbop_init(sf_usbop *u, const sf_ctx *ctx)
{
	memset(u, 0, sizeof *u);
	u->ctx = ctx;
	u->ops = json_array();
}

void sf_usbop_free(sf_usbop *u)
{
	if (u->have_target)
		sf_target_free(&u->target);
	sf_transcript_free(&u->last);
	json_decref(u->diagnoses);
	json_decref(u->ops);
	memset(u, 0, sizeof *u);
}

int sf_usbop_preplan(const sf_ctx *ctx, const sf_op_request *req, sf_plan *pl, sf_err *err)
{
	sf_profile_path path;
	sf_profile p;
	int rc;
	if (!ctx->profile)
		return 0;
	sf_profile_path_init(&path, ctx->profiles_dirs, ctx->nprofiles_dirs);
	if ((rc = sf_profile_find(&path, ctx->profile, &p, err)))
		return rc;
	rc = sf_plan_make(&p, req, pl, err);
	sf_profile_free(&p);
	return rc;
}

static void log_begin(sf_usbop *u)
{
	if (u->log_begun)
		return;
	sf_dfu_log_begin(u->ctx);
	u->log_begun = true;
}

void sf_usbop_use_target(sf_usbop *u, sf_target *t)
{
	log_begin(u);
	if (u->have_target)
		sf_target_free(&u->target);
	sf_target_move(&u->target, t);
	u->have_target = true;
}

int sf_usbop_reselect(sf_usbop *u, double wait_s, sf_err *err)
{
	sf_ctx c = *u->ctx;
	char serial[sizeof u->target.serial], path[sizeof u->target.path];
	bool by_path = u->target.sel.path != NULL;
	sf_diag_result judged = { 0 };
	int rc;
	snprintf(serial, sizeof serial, "%s", u->target.serial);
	snprintf(path, sizeof path, "%s", u->target.path);
	/* the same device: its serial, and its path when that told it apart */
	c.serial = serial[0] ? serial : NULL;
	c.usb_path = by_path || !serial[0] ? path : NULL;
	if (c.usb_path && !*c.usb_path)
		c.usb_path = NULL;
	c.wait_s = wait_s;
	c.detach = false;
	if (u->have_target)
		sf_target_free(&u->target);
	u->have_target = false;
	rc = sf_target_select(&c, &u->target, err, &judged);
	if (rc) {
		json_decref(u->diagnoses);
		u->diagnoses = json_array();
		for (size_t i = 0; i < judged.n; i++)
			json_array_append_new(u->diagnoses, json_string(judged.items[i].id));
		/* keep naming the device in the result */
		snprintf(u->target.serial, sizeof u->target.serial, "%s", serial);
		snprintf(u->target.path, sizeof u->target.path, "%s", path);
	} else {
		u->have_target = true;
		sf_target_pass_path(&u->target, by_path);
	}
	sf_diag_result_free(&judged);
	return rc;
}

size_t sf_usbop_ids(const sf_usbop *u, const char **ids, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; u->diagnoses && i < json_array_size(u->diagnoses) && n < max; i++)
		ids[n++] = json_string_value(json_array_get(u->diagnoses, i));
	return n;
}

void sf_usbop_clear_judgement(sf_usbop *u)
{
	json_decref(u->diagnoses);
	u->diagnoses = NULL;
}

int sf_usbop_select(sf_usbop *u)
{
	sf_err err = { 0 };
	sf_diag_result judged = { 0 };
	int rc;
	log_begin(u);
	rc = sf_target_select(u->ctx, &u->target, &err, &judged);
	if (rc) {
		json_decref(u->diagnoses);
		u->diagnoses = json_array();
		for (size_t i = 0; i < judged.n; i++)
			json_array_append_new(u->diagnoses, json_string(judged.items[i].id));
		sf_diag_result_free(&judged);
		return sf_usbop_finish(u, rc, &err, NULL);
	}
	sf_diag_result_free(&judged);
	u->have_target = true;
	if (u->ctx->verbose) {
		char d[400];
		sf_target_describe(&u->target, d, sizeof d);
		sf_out_info(u->ctx, "device: %s", d);
	}
	return 0;
}

json_t *sf_plan_json(const char *op, const sf_plan *pl, const char *file)
{
	char a[16];
	json_t *j;
	snprintf(a, sizeof a, "0x%08" PRIx32, pl->address);
	j = json_pack("{s:s, s:s, s:i, s:s, s:s, s:I, s:b}", "operation", op, "direction",
		      pl->leave_only ? "leave" : pl->upload ? "upload" : "download", "alt", pl->alt,
		      "alt_name", pl->alt_name, "address", a, "length", (json_int_t)pl->length, "leave",
		      pl->leave);
	if (pl->segment[0])
		json_object_set_new(j, "segment", json_string(pl->segment));
	if (file)
		json_object_set_new(j, "file", sf_json_text(file));
	if (!pl->upload && !pl->leave_only) {
		char es[16], ee[16];
		snprintf(es, sizeof es, "0x%08" PRIx32, pl->erase_start);
		snprintf(ee, sizeof ee, "0x%08" PRIx64, pl->erase_end - 1);
		json_object_set_new(j, "file_size", json_integer((json_int_t)pl->file_size));
		json_object_set_new(j, "padded", json_boolean(pl->pad));
		json_object_set_new(j, "erase", json_pack("{s:s, s:s}", "first", es, "last", ee));
	}
	if (pl->warning[0])
		json_object_set_new(j, "warning", sf_json_text(pl->warning));
	return j;
}

void sf_usbop_announce(sf_usbop *u, const char *op, const sf_plan *pl, const char *file)
{
	json_t *j = sf_plan_json(op, pl, file);
	if (u->have_target)
		json_object_set_new(j, "device", sf_target_json(&u->target));
	sf_out_event(u->ctx, "plan", j);
	if (pl->warning[0])
		sf_out_warning(u->ctx, "%s", pl->warning);
	if (u->ctx->verbose)
		sf_out_info(u->ctx, "plan: %s %s alt %d (%s) at 0x%08" PRIx32 ", %" PRIu32 " bytes%s%s",
			    op, pl->upload ? "from" : "to", pl->alt, pl->alt_name, pl->address,
			    pl->length, pl->pad ? " (padded)" : "", pl->leave ? ", then leave DFU mode" : "");
}

static void record(sf_usbop *u, const char *op, const sf_plan *pl, bool ok, const char *warning)
{
	json_t *j = sf_plan_json(op, pl, NULL);
	json_object_set_new(j, "ok", json_boolean(ok));
	if (warning && *warning)
		json_object_set_new(j, "warning", sf_json_text(warning));
	json_array_append_new(u->ops, j);
}

/* After a leave request that wrote the data, look for the device in DFU
 * mode: a bootloader that ignores (or stalls) the request stays there and
 * never runs the new firmware. What was seen becomes a note for the judge. */
static void check_leave(sf_usbop *u, const sf_plan *pl, sf_transcript *t)
{
	sf_diag_result pre;
	bool look;
	if (!pl->leave || !u->target.listed || sf_diagnose(t, NULL, &pre))
		return;
	look = (pre.written || pl->leave_only) && pre.verdict != SF_VERDICT_FAILURE &&
	       pre.verdict != SF_VERDICT_INTERRUPTED;
	sf_diag_result_free(&pre);
	if (!look)
		return;
	if (sf_target_still_in_dfu(u->ctx, &u->target)) {
		u->stayed_in_dfu = true;
		sf_dfu_note(u->ctx, t, SF_NOTE_AFTER_LEAVE, "dfu");
	} else {
		sf_dfu_note(u->ctx, t, SF_NOTE_AFTER_LEAVE, "gone");
	}
}

/* The judge's verdict on the last run (u->last), printed; returns its exit
 * code and sets err on failure. */
static int judge(sf_usbop *u, const char *op, const sf_plan *pl, sf_err *err)
{
	sf_diag_result res = { 0 };
	const sf_diagnosis *top;
	int code = sf_diag_live(u->ctx, &u->target.profile, &u->last, &res);

	if (code == SF_EXIT_INTERNAL && !res.n && res.verdict == SF_VERDICT_SUCCESS) {
		record(u, op, pl, false, NULL);
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory judging the dfu-util run");
	}
	top = res.n ? &res.items[0] : NULL;
	if (res.verdict == SF_VERDICT_FAILURE || res.verdict == SF_VERDICT_INTERRUPTED) {
		record(u, op, pl, false, NULL);
		if (top && !strcmp(top->id, "timeout") && sf_deadline_passed(u->ctx->deadline, sf_monotonic_s() + 0.05))
			sf_err_set(err, code, "the --deadline passed while dfu-util ran (%s); it was stopped and the "
					      "device may need a reset", op);
		else if (top && !strcmp(top->id, "timeout"))
			sf_err_set(err, code, "dfu-util did not finish within %g s and was stopped; the device may "
					      "need a reset (raise --timeout if the transfer is just slow)",
				   u->ctx->timeout_s);
		else if (top && !strcmp(top->id, "interrupted"))
			sf_err_set(err, code, "%s; %s", top->summary, top->explanation);
		else
			sf_err_set(err, code, "%s failed: %s", op, top && top->summary ? top->summary : "dfu-util failed");
	} else {
		const char *warning = NULL;
		for (size_t i = 0; i < res.n && !warning; i++)
			if (res.items[i].severity == SF_DIAG_WARNING)
				warning = res.items[i].summary;
		if (warning)
			u->warned = true;
		record(u, op, pl, true, warning);
		code = 0;
	}
	json_decref(u->diagnoses);
	u->diagnoses = json_array();
	for (size_t i = 0; i < res.n; i++)
		json_array_append_new(u->diagnoses, json_string(res.items[i].id));
	u->verdict = res.verdict;
	sf_diag_result_free(&res);
	return code;
}

int sf_usbop_judge_note(sf_usbop *u, const char *op, const sf_plan *pl, const char *key, sf_err *err,
			const char *fmt, ...)
{
	char value[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(value, sizeof value, fmt, ap);
	va_end(ap);
	sf_dfu_note(u->ctx, &u->last, key, "%s", value);
	/* the run was recorded once already: this judgement replaces it */
	if (json_array_size(u->ops))
		json_array_remove(u->ops, json_array_size(u->ops) - 1);
	return judge(u, op, pl, err);
}

int sf_usbop_transfer(sf_usbop *u, const char *op, const sf_plan *pl, const char *file,
		      const char *note, sf_err *err)
{
	char **argv = sf_dfu_argv(u->ctx->dfu_util, &u->target.sel, pl, file);
	int rc;

	if (!argv)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	if (u->ctx->dry_run) {
		char *line = sf_shell_join(argv);
		if (u->ctx->json) {
			json_t *a = json_array();
			for (size_t i = 0; argv[i]; i++)
				json_array_append_new(a, sf_json_text(argv[i]));
			sf_out_event(u->ctx, "dfu-util", json_pack("{s:o, s:b, s:s?}", "argv", a, "dry_run", 1,
								  "note", note));
			if (note)
				fprintf(stderr, "# %s\n", note);
			fprintf(stderr, "%s\n", line ? line : "");
		} else {
			if (note)
				printf("# %s\n", note);
			printf("%s\n", line ? line : "");
			fflush(stdout);
		}
		free(line);
		sf_argv_free(argv);
		record(u, op, pl, true, "dry run: nothing sent");
		return 0;
	}
	if ((rc = sf_target_check_alt(u->ctx, &u->target, pl->alt, !pl->upload, u->force, err))) {
		sf_argv_free(argv);
		return rc;
	}
	sf_transcript_free(&u->last);
	rc = sf_dfu_run(u->ctx, (const char *const *)argv + 1,
			&(sf_dfu_run_opts){ .total_bytes = pl->length }, &u->last, err);
	sf_argv_free(argv);
	if (rc) {
		record(u, op, pl, false, NULL);
		return rc;
	}
	if (!u->last.interrupted)
		check_leave(u, pl, &u->last);
	return judge(u, op, pl, err);
}

static int tmpdir_in(const char *dir, char *out, size_t size, sf_err *err)
{
	if ((size_t)snprintf(out, size, "%s/.sparkflash-XXXXXX", dir) >= size)
		return sf_err_set(err, SF_EXIT_USAGE,
				  "the directory for a temporary file is %zu bytes long, too long for a file name "
				  "(TMPDIR, or the output's directory): use a shorter one", strlen(dir));
	if (!sf_tmp_mkdtemp(out))
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot create a temporary directory in '%s': %s",
				  dir, strerror(errno));
	return 0;
}

static const char *tmp_base(void)
{
	const char *t = getenv("TMPDIR");
	return t && *t ? t : "/tmp";
}

int sf_usbop_check_log(const sf_ctx *ctx, const char *file, sf_err *err)
{
	if (!ctx->log_file || !file)
		return 0;
	/* the transcript is appended: it would end up inside the image (and
	 * in what dfu-util writes to the device), or an output would replace
	 * the log (or the log would be appended to it) */
	if (sf_same_file(ctx->log_file, file))
		return sf_err_set(err, SF_EXIT_USAGE,
				  "--log '%s' is the same file as '%s'; give the transcript its own file",
				  ctx->log_file, file);
	return 0;
}

int sf_usbop_check_outfile(const char *outfile, bool force, sf_err *err)
{
	return sf_dest_check(outfile, force, err);
}

int sf_usbop_read_to(sf_usbop *u, const char *op, const sf_plan *pl, const char *outfile,
		     bool force, sf_err *err)
{
	char dir[4096], tdir[4200], tfile[4300];
	struct stat st;
	int rc;

	if ((rc = sf_usbop_check_outfile(outfile, force, err)))
		return rc;
	if (u->ctx->dry_run)
		return sf_usbop_transfer(u, op, pl, outfile,
					 "dfu-util writes a temporary file next to it, renamed on success", err);
	snprintf(dir, sizeof dir, "%s", outfile);
	snprintf(dir, sizeof dir, "%s", dirname(dir));
	if ((rc = tmpdir_in(dir, tdir, sizeof tdir, err)))
		return rc;
	snprintf(tfile, sizeof tfile, "%s/upload.bin", tdir);
	sf_tmp_track(tfile, false); /* dfu-util creates it */
	rc = sf_usbop_transfer(u, op, pl, tfile, NULL, err);
	if (!rc) {
		if (stat(tfile, &st) != 0 || (uint64_t)st.st_size != pl->length)
			rc = sf_err_set(err, SF_EXIT_TRANSFER,
					"dfu-util reported success but the upload has %lld of %" PRIu32 " bytes",
					stat(tfile, &st) == 0 ? (long long)st.st_size : -1LL, pl->length);
	}
	if (!rc) {
		/* dfu-util wrote it: durable before it takes the name */
		int fd = open(tfile, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			(void)fsync(fd);
			close(fd);
		}
		if (force) {
			/* rename() replaces the name itself: a link that appeared
			 * meanwhile is replaced, never written through */
			if (rename(tfile, outfile) != 0)
				rc = sf_err_set(err, SF_EXIT_REFUSED, "cannot rename the upload to '%s': %s",
						outfile, strerror(errno));
		} else if (link(tfile, outfile) != 0) {
			/* link() never replaces: the no-clobber promise holds even
			 * if OUTFILE appeared while dfu-util ran. */
			rc = sf_err_set(err, SF_EXIT_REFUSED, "cannot create '%s': %s", outfile,
					strerror(errno));
		}
	}
	sf_tmp_remove(tfile);
	sf_tmp_rmdir(tdir);
	return rc;
}

int sf_usbop_read_mem(sf_usbop *u, const char *op, const sf_plan *pl, uint8_t **data,
		      size_t *len, sf_err *err)
{
	char tdir[4200], tfile[4300];
	int rc;

	*data = NULL;
	*len = 0;
	if (u->ctx->dry_run)
		return sf_usbop_transfer(u, op, pl, "$TMPDIR/.sparkflash-XXXXXX/upload.bin",
					 "read into a private temporary file", err);
	if ((rc = tmpdir_in(tmp_base(), tdir, sizeof tdir, err)))
		return rc;
	snprintf(tfile, sizeof tfile, "%s/upload.bin", tdir);
	sf_tmp_track(tfile, false); /* dfu-util creates it */
	rc = sf_usbop_transfer(u, op, pl, tfile, NULL, err);
	if (!rc) {
		rc = sf_image_read(tfile, pl->length, data, len, err);
		if (!rc && *len != pl->length) {
			free(*data);
			*data = NULL;
			rc = sf_err_set(err, SF_EXIT_TRANSFER,
					"dfu-util reported success but the upload has %zu of %" PRIu32 " bytes",
					*len, pl->length);
		} else if (rc) {
			rc = sf_err_set(err, SF_EXIT_TRANSFER, "dfu-util produced no readable upload");
		}
	}
	sf_tmp_remove(tfile);
	sf_tmp_rmdir(tdir);
	return rc;
}

int sf_tmp_write(const uint8_t *data, size_t len, size_t pad_to, char *path_out,
		 size_t path_size, sf_err *err)
{
	int fd;
	size_t off = 0;
	static const uint8_t zeros[16];

	if ((size_t)snprintf(path_out, path_size, "%s/sparkflash-XXXXXX", tmp_base()) >= path_size)
		return sf_err_set(err, SF_EXIT_USAGE,
				  "TMPDIR is %zu bytes long, too long for a file name: set it to a shorter directory",
				  strlen(tmp_base()));
	fd = sf_tmp_mkstemp(path_out);
	if (fd < 0)
		return sf_err_set(err, SF_EXIT_INTERNAL, "cannot create a temporary file in %s: %s",
				  tmp_base(), strerror(errno));
	while (off < len || off < pad_to) {
		const uint8_t *src = off < len ? data + off : zeros;
		size_t n = off < len ? len - off : pad_to - off;
		ssize_t w;
		if (off >= len && n > sizeof zeros)
			n = sizeof zeros;
		w = write(fd, src, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			sf_tmp_remove(path_out);
			return sf_err_set(err, SF_EXIT_INTERNAL, "cannot write %s: %s", path_out,
					  strerror(errno));
		}
		off += (size_t)w;
	}
	if (close(fd) != 0) {
		sf_tmp_remove(path_out);
		return sf_err_set(err, SF_EXIT_INTERNAL, "cannot write %s: %s", path_out, strerror(errno));
	}
	return 0;
}

void sf_usbop_note(sf_usbop *u, json_t *fields)
{
	size_t n = json_array_size(u->ops);
	if (fields && n)
		json_object_update(json_array_get(u->ops, n - 1), fields);
	json_decref(fields);
}

void sf_usbop_done(sf_usbop *u, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(u->summary, sizeof u->summary, fmt, ap);
	va_end(ap);
	sf_out_info(u->ctx, "%s", u->summary);
}

int sf_usbop_finish(sf_usbop *u, int rc, const sf_err *err, json_t *extra)
{
	json_t *res;
	const char *msg;
	if (rc && err && err->msg[0])
		sf_out_error(u->ctx, "%s", err->msg);
	if (rc)
		msg = err && err->msg[0] ? err->msg : NULL;
	else if (u->ctx->dry_run)
		msg = "dry run: nothing sent";
	else
		msg = u->summary;
	res = sf_result_json(rc, msg, u->have_target ? sf_target_json(&u->target) : NULL,
			     json_incref(u->ops), u->ctx->dry_run);
	{
		sf_diag_verdict v = rc == 0 ? (u->warned ? SF_VERDICT_WARNINGS : SF_VERDICT_SUCCESS) :
				    rc > SF_EXIT_SIGNAL_BASE ? SF_VERDICT_INTERRUPTED : SF_VERDICT_FAILURE;
		json_object_set_new(res, "verdict", json_string(sf_diag_verdict_name(v)));
		json_object_set_new(res, "diagnoses", u->diagnoses ? json_copy(u->diagnoses) : json_array());
	}
	if (extra) {
		json_object_update(res, extra);
		json_decref(extra);
	}
	if (u->log_begun)
		sf_dfu_log_end(u->ctx, rc, json_string_value(json_object_get(res, "verdict")),
			       json_string_value(json_object_get(res, "message")));
	sf_out_event(u->ctx, "result", res);
	return rc;
}
