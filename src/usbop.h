/* Carrying out planned USB transfers (I/O edge shared by flash, read and
 * keys): `plan` events, --dry-run display, running dfu-util, judging the
 * outcome, temp files, and the final `result` event. */
#ifndef SF_USBOP_H
#define SF_USBOP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "diag.h"
#include "transcript.h"
#include "devsel.h"
#include "plan.h"
#include "sf_error.h"

typedef struct sf_usbop {
	const sf_ctx *ctx;
	sf_target target;
	bool have_target;
	json_t *ops;           /* operations for the result event */
	bool warned;           /* some operation ended with a warning */
	bool stayed_in_dfu;    /* still listed in DFU mode after a leave request */
	bool force;            /* --force: a write may go to an alt whose layout differs
				* from the profile's only in attribute letters */
	char summary[SF_ERR_MSG_MAX]; /* what was done: the result's message */
	sf_transcript last;    /* the last dfu-util run, with sparkflash's notes */
	json_t *diagnoses;     /* ids of the last judgement (NULL before any run) */
	sf_diag_verdict verdict;
	bool log_begun;        /* the --log header is written: finish writes the result */
} sf_usbop;

void sf_usbop_init(sf_usbop *u, const sf_ctx *ctx);
void sf_usbop_free(sf_usbop *u);

/* With --profile, checks the request against that profile before anything
 * runs (no device needed); returns 0 at once without --profile. */
int sf_usbop_preplan(const sf_ctx *ctx, const sf_op_request *req, sf_plan *pl, sf_err *err);

/* Selects the device (devsel.h); on failure prints the error. */
int sf_usbop_select(sf_usbop *u);

/* Uses a device already chosen (flash on several devices: one listing for
 * all of them); takes `t` over (sf_target_move). */
void sf_usbop_use_target(sf_usbop *u, sf_target *t);

/* A fresh listing for the same device (a retry): the old target is
 * dropped and the device with its serial (and path, when it was passed)
 * is looked for again, for up to `wait_s` seconds while it is not there
 * (never past the deadline). On failure prints the judge's diagnosis and
 * returns the exit code with err set (no result event). */
int sf_usbop_reselect(sf_usbop *u, double wait_s, sf_err *err);

/* The ids of the last judgement (at most max; returns how many). */
size_t sf_usbop_ids(const sf_usbop *u, const char **ids, size_t max);

/* Forgets the last judgement (a new attempt starts). */
void sf_usbop_clear_judgement(sf_usbop *u);

/* Announces a plan (plan event; human line with -v). */
void sf_usbop_announce(sf_usbop *u, const char *op, const sf_plan *pl, const char *file);

/* Runs one transfer of `pl` with `file` as dfu-util's -D/-U argument.
 * Dry run: prints the shell-quoted command line (`dfu-util` event with
 * "dry_run":true in JSON) and returns 0. Otherwise runs and judges; errors
 * go to *err (exit code returned). `note` (may be NULL) is shown in dry run. */
int sf_usbop_transfer(sf_usbop *u, const char *op, const sf_plan *pl, const char *file,
		      const char *note, sf_err *err);

/* Adds a note (transcript.h, e.g. SF_NOTE_VERIFY "mismatch 12 ...") about
 * the last transfer of `pl` and asks the judge again: the note is also
 * written to --log, so `diagnose` on the log reaches the same verdict.
 * Returns the verdict's exit code (err set on failure). */
int sf_usbop_judge_note(sf_usbop *u, const char *op, const sf_plan *pl, const char *key, sf_err *err,
			const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Refuses (exit 2) a --log that names the same file as `file` (an input
 * image or key, or an OUTFILE), also before either exists (sf_same_file). */
int sf_usbop_check_log(const sf_ctx *ctx, const char *file, sf_err *err);

/* OUTFILE may be created: sf_dest_check (it does not exist, or force and it
 * is a regular file; never a symbolic link), and its directory exists and
 * is writable. */
int sf_usbop_check_outfile(const char *outfile, bool force, sf_err *err);

/* Upload of `pl` into a fresh file that replaces (force) or must not
 * clobber `outfile`: dfu-util writes a temp file in the same directory,
 * renamed on success and removed on failure. */
int sf_usbop_read_to(sf_usbop *u, const char *op, const sf_plan *pl, const char *outfile,
		     bool force, sf_err *err);

/* Upload of `pl` into memory (*data malloc'd, *len bytes) through a private
 * temp file that is always removed. */
int sf_usbop_read_mem(sf_usbop *u, const char *op, const sf_plan *pl, uint8_t **data,
		      size_t *len, sf_err *err);

/* Writes `data` (len bytes, then zero bytes up to pad_to) to a private temp
 * file in $TMPDIR; path_out gets its name. It is registered (fileio.h):
 * remove it with sf_tmp_remove. */
int sf_tmp_write(const uint8_t *data, size_t len, size_t pad_to, char *path_out,
		 size_t path_size, sf_err *err);

/* The success line ("flashed ... to ..."): printed as information and kept
 * as the result event's message. */
void sf_usbop_done(sf_usbop *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Merges `fields` (stolen, may be NULL) into the last recorded operation of
 * the result (e.g. the verify operation's comparison). */
void sf_usbop_note(sf_usbop *u, json_t *fields);

/* Final result event (JSON; result.h: ok, exit_code, error class on
 * failure, message, device, operations, dry_run) / error line; returns rc.
 * `extra` fields are merged into the result (stolen, may be NULL). */
int sf_usbop_finish(sf_usbop *u, int rc, const sf_err *err, json_t *extra);

/* JSON for a plan. */
json_t *sf_plan_json(const char *op, const sf_plan *pl, const char *file);

#endif
