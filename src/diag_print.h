/* Printing diagnoses (human text and NDJSON `diagnosis`/`result` events);
 * shared by `diagnose` and the live USB commands. */
#ifndef SF_DIAG_PRINT_H
#define SF_DIAG_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "cli.h"
#include "diag.h"
#include "profile.h"
#include "transcript.h"

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

/* The live USB commands' reading of a dfu-util run: asks the judge
 * (sf_diagnose) with the device's profile and this host's facts, prints the
 * error and warning diagnoses (info is noise there) and returns the verdict's
 * exit code (0 for success, with or without warnings). With `out` the
 * judge's result is handed over (the caller frees it). The transcript
 * carries sparkflash's notes (transcript.h), as the --log does. */
int sf_diag_live(const sf_ctx *ctx, const sf_profile *profile, const sf_transcript *t, sf_diag_result *out);

#endif
