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
		"cloud-device", "cloud-network",
	};
	if (code >= 0 && (size_t)code < sizeof names / sizeof names[0])
		return names[code];
	if (code > SF_EXIT_SIGNAL_BASE && code < SF_EXIT_SIGNAL_BASE + 65)
		return "interrupted";
	return "unknown";
}
