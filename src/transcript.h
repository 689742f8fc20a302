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
	SF_STREAM_STDERR = 2
} sf_stream;

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
} sf_transcript;

/* Appends one line (len bytes, no terminator; NUL bytes are replaced).
 * Returns false on allocation failure. */
bool sf_transcript_add(sf_transcript *t, sf_stream stream, const char *text, size_t len);

/* Splits `text` on "\r", "\n" and "\r\n" into lines of stream `stream`,
 * dropping empty lines produced by "\r" progress rewrites. */
bool sf_transcript_add_text(sf_transcript *t, sf_stream stream, const char *text, size_t len);

void sf_transcript_free(sf_transcript *t);

#endif
