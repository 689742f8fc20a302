/* One worker process per device (I/O edge): each worker is a fork() of
 * this process that runs a function and exits; the parent multiplexes
 * their output line by line, so lines never mix: a worker's stdout and
 * stderr lines go to ours, each behind a prefix (human output: "SERIAL: "),
 * or, for stdout in JSON mode, as they are (the worker's events carry
 * "serial" themselves). A third pipe carries the worker's result record.
 * At most `jobs` workers run at once. No state is shared: a worker only
 * has its copy of the parent's memory.
 *
 * Signals: while workers run, SIGINT/SIGTERM/SIGHUP sent to us are passed
 * on to every worker (a Ctrl-C at the terminal reaches them directly too;
 * each stops its dfu-util as sf_spawn does), workers not started yet are
 * not started, and sf_fanout_run returns the signal once all have ended.
 * A `hard_stop` time (monotonic, 0 = none) is a backstop for a deadline:
 * running workers then get SIGTERM, and SIGKILL 3 s later. */
#ifndef SF_FANOUT_H
#define SF_FANOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "sf_error.h"

/* Runs in the worker: returns its exit code; may write its result record
 * to result_fd. */
typedef int (*sf_fanout_work_fn)(void *data, size_t i, int result_fd);

/* In the parent when worker i has ended: its exit code (128 + N when it
 * was killed by signal N) and its result record (NUL-terminated, may be
 * empty). */
typedef void (*sf_fanout_done_fn)(void *data, size_t i, int exit_code, bool killed, const char *record);

typedef struct sf_fanout {
	size_t n;                  /* workers */
	size_t jobs;               /* at most this many at once (0: all) */
	const char *const *prefix; /* per worker, before each of its lines */
	bool json_stdout;          /* stdout lines are events: passed without a prefix */
	double hard_stop;          /* backstop time (sf_monotonic_s), 0 = none */
	sf_fanout_work_fn work;
	sf_fanout_done_fn done;
	void *data;
} sf_fanout;

/* Runs the workers. Returns 0, or the signal (SIGINT, ...) that stopped
 * them; SF_EXIT_INTERNAL as a negative number when no worker could be
 * started (err says why). */
int sf_fanout_run(const sf_fanout *f, sf_err *err);

#endif
