/* Files (I/O edge): replacing a file atomically (readers see the old file
 * or the whole new one, never a half-written one), and opening an input
 * that may be a named pipe without hanging. */
#ifndef SF_FILEIO_H
#define SF_FILEIO_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "sf_error.h"

/* How long an input that is a named pipe may wait for its writer. */
#define SF_FIFO_WAIT_S 5

/* Writes len bytes to a temporary file beside `path` (same directory),
 * sets `mode`, fsyncs, and renames it over `path`. Returns 0, or -1 with
 * errno set (the temporary file is removed). */
int sf_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Opens `path` for reading (blocking reads) and fstats it into *st. A named
 * pipe with nobody writing to it is waited for at most `fifo_wait_s`
 * seconds, then refused (SF_EXIT_REFUSED, saying so) instead of hanging the
 * open or reading as empty. Returns 0 with *fd set, or an exit code with
 * err set. */
int sf_open_input(const char *path, double fifo_wait_s, int *fd, struct stat *st, sf_err *err);
/* The same, but never replaces: the finished temporary file is linked to
 * `path`, which fails with EEXIST when something is there (even if it
 * appeared meanwhile). For files that must not clobber, e.g. key backups. */
int sf_write_file_new(const char *path, const void *data, size_t len, mode_t mode);

#endif
