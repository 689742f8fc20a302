#include <config.h>

#include <stdio.h>
#include <string.h>

#include "xferjudge.h"

static const char *strip(const char *s)
{
	return !strncmp(s, "dfu-util: ", 10) ? s + 10 : s;
}

static bool has(const sf_transcript *t, const char *needle, size_t *where)
{
	for (size_t i = 0; i < t->n; i++)
		if (strstr(t->lines[i].text, needle)) {
			if (where)
				*where = i;
			return true;
		}
	return false;
}

/* Lines that are errors (stderr, "dfu-util: " prefixed, not a warning). */
static bool is_error_line(const sf_tline *l)
{
	const char *s = l->text;
	if (l->stream == SF_STREAM_STDOUT)
		return false;
	if (strncmp(s, "dfu-util: ", 10))
		return l->stream == SF_STREAM_STDERR && *s; /* e.g. DfuSe "DFU state(..)" detail */
	s += 10;
	if (!strncmp(s, "Warning", 7) || !strncmp(s, "WARNING", 7) ||
	    !strncmp(s, "A valid DFU suffix", 18) || !strncmp(s, "Invalid DFU suffix", 18))
		return false;
	return true;
}

void sf_xfer_judge(const sf_transcript *t, bool upload, bool leave, sf_xfer_verdict *out)
{
	size_t ok_at = 0, i;
	const char *last_err = NULL;

	memset(out, 0, sizeof *out);
	if (t->spawn_failed) {
		out->code = SF_EXIT_DFU_UTIL;
		snprintf(out->reason, sizeof out->reason, "dfu-util could not be started");
		return;
	}
	if (t->timed_out) {
		out->code = SF_EXIT_TIMEOUT;
		snprintf(out->reason, sizeof out->reason, "dfu-util timed out");
		return;
	}
	if (!t->exited) {
		out->code = SF_EXIT_TRANSFER;
		snprintf(out->reason, sizeof out->reason, "dfu-util was killed by signal %d", t->term_signal);
		return;
	}
	if (t->exit_status == 0) {
		out->ok = true;
		return;
	}
	for (i = 0; i < t->n; i++)
		if (is_error_line(&t->lines[i]))
			last_err = strip(t->lines[i].text);

	/* DfuSe command mode (`-s ADDR:leave` alone, no file): the leave
	 * request is the whole run. */
	bool command_leave = !has(t, "File downloaded successfully", NULL) &&
			     has(t, "DfuSe command mode", NULL);
	if (!upload && leave && (command_leave ? has(t, "Submitting leave request", &ok_at)
					       : has(t, "File downloaded successfully", &ok_at))) {
		bool other = false, status_err = false;
		for (i = ok_at + 1; i < t->n; i++) {
			if (!is_error_line(&t->lines[i]))
				continue;
			if (strstr(t->lines[i].text, "Error during download get_status"))
				status_err = true;
			else
				other = true;
		}
		if (status_err && !other) {
			out->ok = true;
			out->leave_warning = true;
			snprintf(out->reason, sizeof out->reason,
				 "%sdfu-util lost the device after the leave request (get_status error, exit %d): the device reset as asked",
				 command_leave ? "" : "the image was written, but ", t->exit_status);
			return;
		}
	}

	snprintf(out->reason, sizeof out->reason, "dfu-util failed (exit %d)%s%s", t->exit_status,
		 last_err ? ": " : "", last_err ? last_err : "");
	if (has(t, "LIBUSB_ERROR_ACCESS", NULL) || has(t, "Cannot open DFU device", NULL))
		out->code = SF_EXIT_PERMISSION;
	else if (has(t, "No DFU capable USB device available", NULL) ||
		 has(t, "More than one DFU capable USB device found", NULL))
		out->code = SF_EXIT_NO_DEVICE;
	else if (t->exit_status == 64 || t->exit_status == 70)
		out->code = SF_EXIT_DFU_UTIL; /* dfu-util refused our request or broke */
	else
		out->code = SF_EXIT_TRANSFER;
}
