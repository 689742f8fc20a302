/* Errors as values: a code (one of the documented exit codes) and a message. */
#ifndef SF_ERROR_H
#define SF_ERROR_H

#include <stddef.h>

/* The documented exit codes (README "Exit codes"); never renumber. */
enum sf_exit {
	SF_EXIT_OK = 0,
	SF_EXIT_INTERNAL = 1,
	SF_EXIT_USAGE = 2,
	SF_EXIT_REFUSED = 3,       /* refused before touching a device */
	SF_EXIT_NO_DEVICE = 4,     /* no matching device, or ambiguous selection */
	SF_EXIT_PERMISSION = 5,    /* USB permission denied */
	SF_EXIT_TRANSFER = 6,      /* transfer failed, device lost */
	SF_EXIT_VERIFY = 7,        /* read-back verification mismatch */
	SF_EXIT_DFU_UTIL = 8,      /* dfu-util missing or unusable */
	SF_EXIT_TIMEOUT = 9,
	SF_EXIT_CLOUD_AUTH = 10,
	SF_EXIT_CLOUD_DEVICE = 11, /* unknown, offline or flash rejected */
	SF_EXIT_CLOUD_NETWORK = 12, /* network or server error */
	SF_EXIT_CLOUD_COMPILE = 13, /* the cloud compiler rejected the sources */
	/* Stopped by a signal the user sent (128 + signal number, as shells
	 * report it): Ctrl-C 130, SIGTERM 143, SIGHUP 129. */
	SF_EXIT_SIGNAL_BASE = 128,
	SF_EXIT_INTERRUPTED = 130,
	SF_EXIT_TERMINATED = 143
};

#define SF_ERR_MSG_MAX 512

/* Messages follow git's style: lower case, no trailing period, what and why. */
typedef struct sf_err {
	int code;                 /* enum sf_exit; 0 = no error */
	char msg[SF_ERR_MSG_MAX];
} sf_err;

/* Sets *err (when non-NULL) and returns code, so callers can
 * `return sf_err_set(err, SF_EXIT_REFUSED, "...")`. */
int sf_err_set(sf_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sf_err_clear(sf_err *err);

/* The documented exit codes, i from 0 to the count returned: the code,
 * a few words for --help and the full meaning for the man page. Returns
 * the number of entries (fills the out values only when i is below it). */
size_t sf_exit_docs(size_t i, int *code, const char **brief, const char **meaning);

/* Human name of an exit code ("usage", "refused", ...). */
const char *sf_exit_name(int code);

#endif
