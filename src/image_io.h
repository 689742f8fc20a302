/* Reading image files given by users (I/O edge): one bounded read into
 * memory with clear errors for missing, unreadable, empty, oversized files
 * and directories. */
#ifndef SF_IMAGE_IO_H
#define SF_IMAGE_IO_H

#include <stddef.h>
#include <stdint.h>

#include "sf_error.h"

/* Files larger than this are refused (no Particle image comes close). */
#define SF_IMAGE_MAX_SIZE (16u * 1024 * 1024)

/* Reads `path` ("-": standard input, read to its end; refused when it is a
 * terminal, SF_EXIT_USAGE) (at most `cap` bytes; 0 = SF_IMAGE_MAX_SIZE) into a malloc'd
 * buffer (*data, free() it). Returns 0, or SF_EXIT_REFUSED with a one-line
 * message naming the file for a missing/unreadable/empty/too large file or
 * a directory, SF_EXIT_INTERNAL when out of memory. */
int sf_image_read(const char *path, size_t cap, uint8_t **data, size_t *len, sf_err *err);

#endif
