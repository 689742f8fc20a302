#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

/* Writes a temporary file beside `path`; then rename() or link() it. */
static int write_then(const char *path, const void *data, size_t len, mode_t mode, bool replace)
{
	char tmp[4096];
	const char *p = data;
	size_t off = 0;
	int fd, e;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fchmod(fd, mode) || fsync(fd))
		goto fail;
	if (close(fd)) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (replace ? rename(tmp, path) : link(tmp, path))
		goto fail;
	if (!replace)
		unlink(tmp);
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = e;
	return -1;
}

int sf_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_then(path, data, len, mode, true);
}

int sf_write_file_new(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_then(path, data, len, mode, false);
}

int sf_open_input(const char *path, double fifo_wait_s, int *fd_out, struct stat *st, sf_err *err)
{
	/* O_NONBLOCK: opening a named pipe would otherwise wait for a writer */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	int fl;
	*fd_out = -1;
	if (fd < 0)
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, st) < 0) {
		int e = errno;
		close(fd);
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot read '%s': %s", path, strerror(e));
	}
	if (S_ISFIFO(st->st_mode)) {
		/* a writer that wrote, or came and went (POLLHUP), ends the wait */
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ms = fifo_wait_s > 0 ? (int)(fifo_wait_s * 1000) : 0, r;
		while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
			;
		if (r == 0) {
			close(fd);
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "'%s' is a named pipe and nothing wrote to it within %g s; start the writer "
					  "first, or pass the data on standard input (-)", path, fifo_wait_s);
		}
	}
	if ((fl = fcntl(fd, F_GETFL)) >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	*fd_out = fd;
	return 0;
}
