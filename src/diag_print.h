/* Printing diagnoses (human text and NDJSON `diagnosis`/`result` events);
 * shared by `diagnose` and the live USB commands. */
#ifndef SF_DIAG_PRINT_H
#define SF_DIAG_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "cli.h"
#include "diag.h"

/* One `diagnosis` event's fields (new reference): id, severity, exit_code,
 * summary, explanation, fix, [status, status_name], evidence [{line, text}]
 * (line is 1-based in the transcript). */
json_t *sf_diag_json(const sf_diagnosis *d);

/* Prints every diagnosis: human text to `human` (stdout when NULL and not
 * --json, stderr in --json mode) as
 *   ID (severity): summary
 *     explanation
 *     fix: ...
 *     > line text
 * and in --json mode one `diagnosis` event each. With `result`, ends with a
 * "result: ..." line and a `result` event {verdict, exit_code, diagnoses,
 * dfu_util_version}. */
void sf_diag_print(const sf_ctx *ctx, const sf_diag_result *r, bool result);

#endif
