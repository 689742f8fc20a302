/* Running a program and collecting its output line by line (I/O edge).
 * (Named sf_spawn.h: a "spawn.h" here would shadow the system <spawn.h>.)
 * posix_spawn with an argv and an explicit environment (never a shell);
 * stdin is /dev/null; stdout and stderr arrive on separate pipes and are
 * split into lines on "\r" and "\n" as they arrive (a partial last line is
 * completed at EOF; a line longer than SF_SPAWN_LINE_MAX is delivered in
 * pieces of that size). The child runs in its own process group so a
 * timeout can terminate it together with its children; while it runs,
 * SIGINT/SIGTERM/SIGHUP sent to us are passed on to that group (SIGKILL
 * after the grace period) instead of killing us, so the caller sees the
 * child's term_signal and can clean up. */
#ifndef SF_SF_SPAWN_H
#define SF_SF_SPAWN_H

#include <stddef.h>

#include "sf_error.h"
#include "transcript.h"

#define SF_SPAWN_LINE_MAX 65536
/* At most this much output (both streams) is read; a program that prints
 * more is stopped, and sf_spawn_run returns SF_EXIT_DFU_UTIL. */
#define SF_SPAWN_OUTPUT_MAX (16 * 1024 * 1024)

/* Called for every line as it arrives (text is NUL-terminated, len bytes). */
typedef void (*sf_spawn_line_fn)(void *data, sf_stream stream, const char *text, size_t len);

typedef struct sf_spawn_opts {
	char *const *envp;        /* NULL = the current environment */
	double timeout_s;         /* 0 = none; then SIGTERM to the group */
	double kill_grace_s;      /* SIGKILL this long after SIGTERM; 0 = 2 s */
	int log_fd;               /* >= 0: line log (format below); -1 = none */
	sf_spawn_line_fn on_line; /* may be NULL */
	void *data;
} sf_spawn_opts;

/* Sets the defaults: no timeout, no log (-1), current environment. */
void sf_spawn_opts_init(sf_spawn_opts *o);

/* Runs path with argv (argv[0] is what the child sees) and appends every
 * line to `out`. How it ended is recorded in `out`: exited/exit_status,
 * term_signal, timed_out (we killed it after timeout_s; exited or
 * term_signal are then also set), spawn_failed/spawn_errno (it never ran:
 * ENOENT, EACCES, ENOEXEC...).
 *
 * Returns 0 when the outcome is in `out` (including a failed spawn, which
 * also sets err with SF_EXIT_INTERNAL so callers can simply report it),
 * SF_EXIT_DFU_UTIL with err set when it printed more than
 * SF_SPAWN_OUTPUT_MAX (it was stopped), or SF_EXIT_INTERNAL with err set
 * when the machinery itself failed (pipes, memory).
 *
 * Log format (log_fd >= 0), one record per line, so \r progress rewrites
 * stay visible and the two streams stay apart yet in arrival order:
 *   "$ ARGV..."            the command, shell-quoted (first record)
 *   "[stdout] TEXT"        a stdout line
 *   "[stderr] TEXT"        a stderr line
 *   "# interrupted N"      the user's signal N stopped it (out->interrupted)
 *   "# exit N" | "# signal N" | "# timed out after S s" | "# spawn failed: ERR"
 * Callers append their own notes about the run as "# KEY VALUE" records
 * (sf_dfu_note, transcript.h).
 */
int sf_spawn_run(const char *path, char *const argv[], const sf_spawn_opts *o,
		 sf_transcript *out, sf_err *err);

/* Seconds on the monotonic clock (CLOCK_MONOTONIC): for time limits. */
double sf_monotonic_s(void);

/* Appends the shell-quoted form of argv to buf (for logs and --dry-run):
 * plain words as is, anything else in single quotes. Returns the length it
 * needed (like snprintf); buf is always terminated when n > 0. */
size_t sf_shell_quote_argv(char *buf, size_t n, char *const argv[]);

#endif
