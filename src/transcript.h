/* A dfu-util transcript: its output lines (tagged with the stream they came
 * from) and how it ended. Produced by the runner, consumed by the diagnosis
 * matcher; a pasted log is a transcript whose stream is unknown. Pure. */
#ifndef SF_TRANSCRIPT_H
#define SF_TRANSCRIPT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum sf_stream {
	SF_STREAM_UNKNOWN = 0, /* pasted log: stdout and stderr interleaved */
	SF_STREAM_STDOUT = 1,
	SF_STREAM_STDERR = 2,
	SF_STREAM_NOTE = 3     /* sparkflash's own record about the run before it
	                          (SF_NOTE_* below), never dfu-util output */
} sf_stream;

/* Notes: what sparkflash itself saw, kept in the transcript (and in --log
 * files as "# KEY VALUE" records) so that judging a saved log reaches the
 * verdict of the live run. A note belongs to the dfu-util run before it. */
#define SF_NOTE_EXIT "exit"                 /* "exit 74" */
#define SF_NOTE_SIGNAL "signal"             /* "signal 15": killed by a signal */
#define SF_NOTE_TIMED_OUT "timed-out"       /* stopped after --timeout */
#define SF_NOTE_SPAWN_FAILED "spawn-failed" /* "spawn-failed 2" (errno) */
#define SF_NOTE_INTERRUPTED "interrupted"   /* "interrupted 2": the user's Ctrl-C
                                               (or SIGTERM/SIGHUP) stopped it */
#define SF_NOTE_AFTER_LEAVE "after-leave"   /* "after-leave gone" | "after-leave dfu":
                                               the listing after a leave request */
#define SF_NOTE_VERIFY "verify"             /* "verify ok" | "verify mismatch N [RANGES]" */
#define SF_NOTE_SELECT "select"             /* "select none" | "select ambiguous" |
                                               "select runtime": this listing has
                                               no single wanted DFU device */
/* Facts of flash's CI options, written to --log for people reading it;
 * they do not change a verdict (the judge decides on the runs themselves):
 * "retry 2 device-lost" (attempt 2 follows a device-lost failure),
 * "compare unchanged" | "compare changed 3 of 100 pages: RUNS" (after the
 * read-back of --skip-unchanged/--diff), "diff-run 1 of 2 0xFIRST-0xLAST"
 * (after each --diff download), "backup FILE" (--backup written). */
#define SF_NOTE_RETRY "retry"
#define SF_NOTE_COMPARE "compare"
#define SF_NOTE_DIFF_RUN "diff-run"
#define SF_NOTE_BACKUP "backup"

typedef struct sf_tline {
	sf_stream stream;
	char *text;            /* without the line terminator */
} sf_tline;

typedef struct sf_transcript {
	sf_tline *lines;
	size_t n, cap;
	bool exited;           /* exit_status is valid */
	int exit_status;
	int term_signal;       /* > 0 when killed by a signal */
	bool timed_out;        /* the runner killed it after --timeout */
	bool spawn_failed;     /* could not run the program at all */
	int spawn_errno;
	int interrupted;       /* > 0: the signal the user sent us that stopped it */
} sf_transcript;

/* Appends one line (len bytes, no terminator; NUL bytes are replaced).
 * Returns false on allocation failure. */
bool sf_transcript_add(sf_transcript *t, sf_stream stream, const char *text, size_t len);

/* Splits `text` on "\r", "\n" and "\r\n" into lines of stream `stream`,
 * dropping empty lines produced by "\r" progress rewrites. */
bool sf_transcript_add_text(sf_transcript *t, sf_stream stream, const char *text, size_t len);

/* Appends a note (SF_STREAM_NOTE): key, then an optional printf-style value. */
bool sf_transcript_note(sf_transcript *t, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void sf_transcript_free(sf_transcript *t);

#endif
