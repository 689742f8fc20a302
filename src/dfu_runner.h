/* Running dfu-util (I/O edge): finds the binary, runs it (with the
 * simulator's environment under --sim), shows its progress, keeps the
 * transcript, enforces --timeout.
 *
 * Shown while it runs:
 *  - a TTY on stderr (not --json, not -q, not -v): one redrawn line per
 *    phase, "Download [=========>       ]  45%  12288/27000 bytes";
 *  - -v: every raw dfu-util line echoed to stderr as "dfu-util| LINE"
 *    (stdout) or "dfu-util! LINE" (stderr);
 *  - --json: {"event":"dfu-util","argv":[...]} before the run and
 *    {"event":"progress","phase":"download","percent":45,"bytes":12288}
 *    whenever the percentage of a phase changes.
 * --log FILE: every run appends the line log described in sf_spawn.h.
 *
 * The outcome is left to the caller: sf_dfu_run returns 0 whenever dfu-util
 * ran, whatever its exit status. The caller maps the transcript: timed_out
 * → SF_EXIT_TIMEOUT (9) (sf_dfu_outcome_code does the generic part),
 * a non-zero exit → diagnosis. */
#ifndef SF_DFU_RUNNER_H
#define SF_DFU_RUNNER_H

#include <stddef.h>

#include "cli.h"
#include "sf_error.h"
#include "transcript.h"

enum {
	SF_DFU_RUN_NO_PROGRESS = 1 << 0, /* no progress display/events (e.g. -l, -V) */
	SF_DFU_RUN_NO_EVENT = 1 << 1     /* no "dfu-util" argv event */
};

typedef struct sf_dfu_run_opts {
	unsigned flags;
	/* Bytes the transfer is expected to move, for "N/TOTAL bytes" in the
	 * TTY display (0 = unknown: "N bytes"). */
	unsigned long total_bytes;
} sf_dfu_run_opts;

/* Resolves ctx->dfu_util (a path, or a bare name looked up in PATH) into
 * buf. Missing or not executable → SF_EXIT_DFU_UTIL with a message naming
 * the path and the fix. */
int sf_dfu_resolve(const sf_ctx *ctx, char *buf, size_t n, sf_err *err);

/* Runs dfu-util with dfu_argv (the arguments only, NULL-terminated; argv[0]
 * is supplied) and fills *out (which must be zeroed or freshly freed).
 * opts may be NULL. Returns 0 when dfu-util ran (see the transcript for how
 * it ended), SF_EXIT_DFU_UTIL when it is missing or could not be started,
 * SF_EXIT_REFUSED/SF_EXIT_INTERNAL for a bad --sim directory or simulator
 * library, SF_EXIT_INTERNAL for other failures; err says why. */
int sf_dfu_run(const sf_ctx *ctx, const char *const *dfu_argv,
	       const sf_dfu_run_opts *opts, sf_transcript *out, sf_err *err);

/* Records one of sparkflash's own observations about the last run (a note,
 * transcript.h: SF_NOTE_AFTER_LEAVE, SF_NOTE_VERIFY, SF_NOTE_SELECT) in `t`
 * (may be NULL) and in the --log file as "# KEY VALUE", so that `diagnose`
 * on the log judges as the live command did. fmt may be NULL. */
void sf_dfu_note(const sf_ctx *ctx, sf_transcript *t, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* --log FILE: the header of one invocation ("# sparkflash VERSION",
 * "# command ARGV..." shell-quoted, "# started YYYY-MM-DDTHH:MM:SSZ") and
 * its end ("# result VERDICT, exit N: MESSAGE"). `diagnose` ignores these
 * records. Nothing in a dry run. */
void sf_dfu_log_begin(const sf_ctx *ctx);
void sf_dfu_log_end(const sf_ctx *ctx, int exit_code, const char *verdict, const char *message);

/* The exit code for the parts of the outcome that need no diagnosis:
 * spawn failed → 8, timed out → 9 (with a message in err), killed by a
 * signal → 6; otherwise 0 (the caller judges dfu-util's exit status). */
int sf_dfu_outcome_code(const sf_ctx *ctx, const sf_transcript *t, sf_err *err);

/* Runs `dfu-util -V` and stores its version ("0.11", "0.9-msvc") in buf.
 * SF_EXIT_DFU_UTIL when it cannot run or prints no banner. */
int sf_dfu_version(const sf_ctx *ctx, char *buf, size_t n, sf_err *err);

#endif
