/* Output: human text and NDJSON events. In --json mode stdout carries only
 * NDJSON (one object per line with an "event" field) and human text goes to
 * stderr. */
#ifndef SF_OUT_H
#define SF_OUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cli.h"

/* "sparkflash: MESSAGE" on stderr (also a "message" event with level
 * "error" in JSON mode). */
void sf_out_error(const sf_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The text of the last sf_out_error ("" when none): the message of a result
 * event emitted after the error was printed. */
const char *sf_out_last_error(void);

void sf_out_warning(const sf_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Informational human line: stdout normally, stderr in JSON mode; dropped
 * with --quiet. */
void sf_out_info(const sf_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Emits {"event": NAME, "schema": SF_EVENT_SCHEMA (result.h), ...fields}
 * as one line on stdout and flushes.
 * Steals the reference to `fields` (may be NULL). No-op outside JSON mode. */
void sf_out_event(const sf_ctx *ctx, const char *name, json_t *fields);

/* When stdout/stderr are terminals, routes them through a filter that
 * turns control characters (ESC: no escape sequence from a file or device
 * name reaches the terminal), C1 controls and bytes that are not UTF-8 into
 * '?' (sf_term_filter). Called once, first thing in main. */
void sf_out_guard_terminal(void);

/* Data on standard output (read -, keys save -): whether an output name
 * means standard output ("-", /dev/stdout, /dev/fd/1, /proc/self/fd/1). */
bool sf_out_names_stdout(const char *path);
/* Takes standard output for the data: returns a descriptor for it
 * (close-on-exec) and points fd 1 at stderr, so every human line (and a
 * dry run's command lines) goes there. -1 on failure (errno). */
int sf_out_data_stdout(void);
/* Writes all of data to fd; 0, or -1 (errno). */
int sf_out_write_data(int fd, const void *data, size_t len);

/* Prints a JSON document (pretty for humans is not wanted: one line). */
void sf_out_json_line(json_t *doc);

#endif
