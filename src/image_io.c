#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "image_io.h"

int sf_image_read(const char *path, size_t cap, uint8_t **data, size_t *len, sf_err *err)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t n = 0;
	int fd, rc, e;
	bool from_stdin = !strcmp(path, "-");
	char what[4200];

	*data = NULL;
	*len = 0;
	if (!cap)
		cap = SF_IMAGE_MAX_SIZE;
	if (from_stdin) {
		/* read whole into memory once: what goes on is a private copy */
		snprintf(what, sizeof what, "standard input");
		if (isatty(STDIN_FILENO))
			return sf_err_set(err, SF_EXIT_USAGE,
					  "'-' reads standard input, which is a terminal: pipe the file in (e.g. '< fw.bin') or give its name");
		if ((fd = dup(STDIN_FILENO)) < 0 || fstat(fd, &st) != 0) {
			e = errno;
			if (fd >= 0)
				close(fd);
			return sf_err_set(err, SF_EXIT_REFUSED, "cannot read standard input: %s", strerror(e));
		}
	} else {
		if ((rc = sf_open_input(path, SF_FIFO_WAIT_S, &fd, &st, err)))
			return rc;
		snprintf(what, sizeof what, "'%s'", path);
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return sf_err_set(err, SF_EXIT_REFUSED, "%s is a directory; give an image file", what);
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > cap) {
		close(fd);
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "%s is too large (%lld bytes, limit %zu); not a device image",
				  what, (long long)st.st_size, cap);
	}
	/* standard input may be a file opened at an offset: read it all */
	rc = sf_read_bounded(fd, cap, S_ISREG(st.st_mode) && !from_stdin ? (size_t)st.st_size : 0, &buf, &n);
	e = errno;
	close(fd);
	if (rc < 0)
		return sf_err_set(err, e == ENOMEM ? SF_EXIT_INTERNAL : SF_EXIT_REFUSED, "cannot read %s: %s", what,
				  strerror(e));
	if (rc > 0)
		return sf_err_set(err, SF_EXIT_REFUSED, "%s is too large (over %zu bytes); not a device image",
				  what, cap);
	if (n == 0) {
		free(buf);
		return sf_err_set(err, SF_EXIT_REFUSED, "%s is empty (0 bytes); nothing to inspect or flash", what);
	}
	*data = buf;
	*len = n;
	return 0;
}
