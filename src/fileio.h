/* Replacing a file atomically (I/O edge): readers see the old file or the
 * whole new one, never a half-written one. */
#ifndef SF_FILEIO_H
#define SF_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Writes len bytes to a temporary file beside `path` (same directory),
 * sets `mode`, fsyncs, and renames it over `path`. Returns 0, or -1 with
 * errno set (the temporary file is removed). */
int sf_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* The same, but never replaces: the finished temporary file is linked to
 * `path`, which fails with EEXIST when something is there (even if it
 * appeared meanwhile). For files that must not clobber, e.g. key backups. */
int sf_write_file_new(const char *path, const void *data, size_t len, mode_t mode);

#endif
