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
