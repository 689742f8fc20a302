#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sf_error.h"

int sf_err_set(sf_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
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
