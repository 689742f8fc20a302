/* dfu-util argument vectors for a plan, and shell quoting for showing them
 * (--dry-run). Pure. The argv is always
 *   DFU_UTIL -d VID:PID [-S SERIAL] [-p PATH] -a ALT [-i 0] -s 0xADDR[:LEN][:leave] -D|-U FILE
 * (or, for the leave step alone, ... -a ALT -i 0 -s 0xADDR:leave)
 * with the address as 8 lower-case hex digits, the length (reads) in
 * decimal, full modifier words only (dfu-util matches abbreviations badly),
 * and `-i 0` on writes (and the leave step) as particle-cli 1.16 passed it. */
#ifndef SF_DFUARGV_H
#define SF_DFUARGV_H

#include <stdint.h>

#include "plan.h"

typedef struct sf_devsel {
	uint16_t vid, pid;    /* DFU-mode IDs */
	const char *serial;   /* -S when non-NULL and non-empty */
	const char *path;     /* -p when non-NULL and non-empty */
} sf_devsel;

/* malloc'd NULL-terminated argv (argv[0] = dfu_util); NULL on allocation
 * failure. A FILE of exactly "-" is passed as "./-" (dfu-util reads "-" as
 * stdin). A leave_only plan gives `-a ALT -i 0 -s 0xADDR:leave` without
 * -D/-U (DfuSe command mode) and ignores `file` (may be NULL). */
char **sf_dfu_argv(const char *dfu_util, const sf_devsel *sel, const sf_plan *plan,
		   const char *file);

/* The `-s` value of a plan, e.g. "0x08005000:leave" (static storage). */
const char *sf_dfu_s_value(const sf_plan *plan, char *buf, unsigned size);

void sf_argv_free(char **argv);

/* POSIX-shell quoting of one word: unchanged when it only has safe
 * characters, else single-quoted with ' written as '\''. malloc'd. */
char *sf_shell_quote(const char *word);

/* The argv as one shell command line (words quoted, space separated). */
char *sf_shell_join(char *const *argv);

#endif
