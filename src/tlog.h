/* Transcript log files: how a dfu-util transcript is stored as text (test
 * fixtures, `diagnose` input). Pure.
 *
 * Two forms are accepted:
 *  - marked: the first line is a header
 *        #sparkflash-transcript [exit=N] [signal=N] [interrupted=N] [timed-out] [spawn-failed[=ERRNO]]
 *    and every later line starts with a stream marker: "O " stdout, "E "
 *    stderr, "U " unknown, "N " a note (transcript.h) ("O", "E", "U" alone =
 *    blank line). Lines starting with "#" are comments. Other lines are
 *    taken as unknown-stream text.
 *  - runner log (--log, sf_spawn.h): starts with "$ ", "[stdout] " or
 *    "[stderr] "; "# exit N", "# signal N", "# timed out ...", "# spawn
 *    failed: ..." records set the outcome of the run begun by the last "$";
 *    they and sparkflash's "# interrupted N", "# after-leave ...", "# verify
 *    ...", "# select ..." records become notes of that run.
 *  - plain: anything else (a pasted log): every line is of unknown stream and
 *    the exit status is unknown.
 * "\r\n", "\n" and bare "\r" (progress bars) all end lines. */
#ifndef SF_TLOG_H
#define SF_TLOG_H

#include <stddef.h>

#include "sf_error.h"
#include "transcript.h"

#define SF_TLOG_HEADER "#sparkflash-transcript"

/* Parses text into *out (which must be zeroed). Returns 0, SF_EXIT_REFUSED for
 * a malformed header (err says which word), SF_EXIT_INTERNAL on allocation
 * failure. */
int sf_tlog_parse(const char *text, size_t len, sf_transcript *out, sf_err *err);

#endif
