#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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
