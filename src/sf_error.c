#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_error.h"

/* Bytes of an overlong message kept before the " ... " (the rest is its
 * end: what went wrong and the fix are said last, after the names). */
#define HEAD_KEEP 200

/* Moves a cut in UTF-8 text to the start of a character: back (a head
 * ends there) or forward (a tail starts there), never making it longer. */
static size_t char_start(const char *s, size_t at, int dir)
{
	while (at > 0 && s[at] && ((unsigned char)s[at] & 0xC0) == 0x80)
		at = dir < 0 ? at - 1 : at + 1;
	return at;
}

int sf_err_set(sf_err *err, int code, const char *fmt, ...)
{
	if (err) {
		char buf[SF_ERR_MSG_MAX], *big;
		va_list ap, ap2;
		int n;
		va_start(ap, fmt);
		va_copy(ap2, ap);
		/* formatted apart from err->msg: callers may pass err->msg */
		n = vsnprintf(buf, sizeof buf, fmt, ap);
		va_end(ap);
		if (n >= (int)sizeof buf && (big = malloc((size_t)n + 1)) != NULL) {
			/* a long name (a path, an environment value) must not
			 * push the reason out: keep the head and the end */
			size_t head, tail;
			vsnprintf(big, (size_t)n + 1, fmt, ap2);
			head = char_start(big, HEAD_KEEP, -1);
			tail = char_start(big, (size_t)n - (sizeof buf - 1 - head - 5), 1);
			snprintf(buf, sizeof buf, "%.*s ... %s", (int)head, big, big + tail);
			free(big);
		}
		va_end(ap2);
		memcpy(err->msg, buf, sizeof buf);
		err->code = code;
	}
	return code;
}

void sf_err_clear(sf_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

const char *sf_exit_name(int code)
{
	static const char *const names[] = {
		"ok", "internal", "usage", "refused", "no-device", "permission",
		"transfer", "verify", "dfu-util", "timeout", "cloud-auth",
		"cloud-device", "cloud-network", "cloud-compile",
	};
	if (code >= 0 && (size_t)code < sizeof names / sizeof names[0])
		return names[code];
	if (code > SF_EXIT_SIGNAL_BASE && code < SF_EXIT_SIGNAL_BASE + 65)
		return "interrupted";
	return "unknown";
}

static const struct {
	int code;
	const char *brief;
	const char *meaning;
} exit_docs[] = {
	{ 0, "ok", "success" },
	{ 1, "internal error", "internal error" },
	{ 2, "usage", "usage error (unknown command or option, missing argument, a word that is probably a typo)" },
	{ 3, "refused before touching a device", "refused before touching a device: bad input file, plan violates the profile, bad image, broken profile, no profiles found" },
	{ 4, "no/ambiguous device", "no matching device, or ambiguous selection" },
	{ 5, "USB permission denied", "USB permission denied" },
	{ 6, "transfer failed", "transfer failed (dfu-util or device error, device lost)" },
	{ 7, "verification mismatch", "read-back verification mismatch" },
	{ 8, "dfu-util missing or unusable", "dfu-util missing or unusable" },
	{ 9, "timed out", "timed out: a dfu-util run over --timeout, the whole command past flash --deadline, or a cloud request over --max-time/--connect-timeout" },
	{ 10, "cloud: not authenticated", "cloud: not authenticated" },
	{ 11, "cloud: device unknown/offline/rejected", "cloud: device unknown, offline or flash rejected" },
	{ 12, "cloud: network or server error", "cloud: network or server error" },
	{ 13, "cloud: the sources did not compile", "cloud: the sources did not compile (the compiler's output is shown)" },
	{ 129, "SIGHUP", "the run was stopped by SIGHUP (128 + the signal number, as shells report it)" },
	{ 130, "Ctrl-C", "the user's Ctrl-C (SIGINT) stopped the run; dfu-util is stopped first, and the message says what may have been written" },
	{ 143, "SIGTERM", "SIGTERM stopped the run" },
};

size_t sf_exit_docs(size_t i, int *code, const char **brief, const char **meaning)
{
	size_t n = sizeof exit_docs / sizeof exit_docs[0];
	if (i < n) {
		*code = exit_docs[i].code;
		*brief = exit_docs[i].brief;
		*meaning = exit_docs[i].meaning;
	}
	return n;
}
