/* Files (I/O edge): every file sparkflash writes goes through here.
 *
 * - Written files (read OUT, keys, backups, the cloud config, udev rules,
 *   sim dump) are written to a temporary file in the destination's
 *   directory, fsynced, and renamed (replace) or linked (never replace)
 *   into place: readers see the old file or the whole new one.
 * - A symbolic link at a destination is refused, dangling or not: nothing
 *   is ever written through a link, and a link is never replaced (a link
 *   planted in a shared directory cannot redirect a write; a link the user
 *   made is not silently turned into a file). Directories on the way are
 *   followed as usual.
 * - Logs are appended in place (sf_open_log): never replaced, one write(2)
 *   per record, O_NOFOLLOW.
 * - Temporary files and directories are registered while they exist; the
 *   handler sf_signals_init installs for SIGINT, SIGTERM and SIGHUP removes
 *   them and dies of the signal (128 + N), so a signal at any moment leaves
 *   nothing behind. (While dfu-util runs, sf_spawn catches the signal
 *   instead and the caller cleans up and reports.)
 * Inputs that may be named pipes are opened without hanging. */
#ifndef SF_FILEIO_H
#define SF_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "sf_error.h"

/* How long an input that is a named pipe may wait for its writer. */
#define SF_FIFO_WAIT_S 5

/* Installs the cleanup handler for SIGINT, SIGTERM and SIGHUP (signals
 * that are ignored, e.g. under nohup, stay ignored). Called once by main. */
void sf_signals_init(void);

/* Registers a temporary file (dir false) or directory (true) that does not
 * outlive the process, even when a signal ends it; sf_tmp_forget when it is
 * gone or renamed. Returns false when the path is too long to register. */
bool sf_tmp_track(const char *path, bool dir);
void sf_tmp_forget(const char *path);
/* unlink() / rmdir() and forget. */
void sf_tmp_remove(const char *path);
void sf_tmp_rmdir(const char *path);

/* mkstemp()/mkdtemp() with the result registered (signals are held off in
 * between, so no temporary is ever unregistered). */
int sf_tmp_mkstemp(char *template_path);
char *sf_tmp_mkdtemp(char *template_path);

/* Whether `path` may be written: refuses a symbolic link (even a dangling
 * one), a directory, a device, pipe or socket; an existing regular file
 * unless `replace`; a missing or unwritable directory. Returns 0 or
 * SF_EXIT_REFUSED with err set. */
int sf_dest_check(const char *path, bool replace, sf_err *err);

/* A file being written: sf_atomic_begin creates the temporary file beside
 * `path` (after sf_dest_check) and gives its descriptor in a->fd;
 * sf_atomic_commit sets the mode (`mode` & ~umask), fsyncs, renames
 * (`replace`) or links (never replacing: EEXIST when something appeared
 * meanwhile) it into place and fsyncs the directory; sf_atomic_abort
 * removes it. Both end the write. */
typedef struct sf_atomic {
	char path[4096];
	char tmp[4200];
	int fd;
	mode_t mode;
	bool replace;
} sf_atomic;

int sf_atomic_begin(sf_atomic *a, const char *path, mode_t mode, bool replace, sf_err *err);
int sf_atomic_commit(sf_atomic *a, sf_err *err);
void sf_atomic_abort(sf_atomic *a);

/* The whole file at once, as above. Returns 0 or an exit code
 * (SF_EXIT_REFUSED) with err set; errno tells the cause of a failed
 * write (EACCES, EROFS, ...; ELOOP for a link, EEXIST). */
int sf_write_file(const char *path, const void *data, size_t len, mode_t mode, bool replace, sf_err *err);

/* Opens a log for appending: created (0644 & ~umask) when missing; a
 * symbolic link is refused unless it leads to a terminal, another
 * character device or a pipe, or names one of our descriptors
 * (/dev/stderr, /dev/fd/N, /proc/self/fd/N); a named pipe without a
 * reader is refused instead of blocking. Returns the descriptor, or -1
 * with err set (SF_EXIT_REFUSED). */
int sf_open_log(const char *path, sf_err *err);

/* Reads `fd` to its end into a new buffer, keeping at most `cap` bytes
 * (`size_hint`: the expected size, 0 when unknown). Returns 0 with *data
 * (NUL-terminated, not counted) and *len set; 1 when there is more than
 * cap (nothing kept); -1 with errno on a read or allocation failure. The
 * descriptor stays open. */
int sf_read_bounded(int fd, size_t cap, size_t size_hint, uint8_t **data, size_t *len);

/* Writes the whole buffer (retrying short writes and EINTR). */
int sf_write_all(int fd, const void *data, size_t len);

/* Whether two names are the same file: the same inode when both exist,
 * else the same directory entry (the directories' inodes and the last
 * component), so `--log x.bin` and OUT `./x.bin` match before either
 * exists. */
bool sf_same_file(const char *a, const char *b);

/* A private file (the cloud config, holding a token) opened for reading,
 * as ssh checks its files: owned by another user (not root), or writable
 * by group or others (anyone could send the token elsewhere), is refused
 * (SF_EXIT_REFUSED); readable by group or others is a warning put in
 * `warning` (the token may have been read; chmod 600). Checks the open
 * descriptor. Returns 0 or the exit code with err set. */
int sf_private_file_check(int fd, const char *path, char *warning, size_t wsize, sf_err *err);

/* Opens `path` for reading (blocking reads) and fstats it into *st. A named
 * pipe with nobody writing to it is waited for at most `fifo_wait_s`
 * seconds, then refused (SF_EXIT_REFUSED, saying so) instead of hanging the
 * open or reading as empty. Returns 0 with *fd set, or an exit code with
 * err set. */
int sf_open_input(const char *path, double fifo_wait_s, int *fd, struct stat *st, sf_err *err);

#endif
