/* `sparkflash flash` on one device (I/O edge): the images checked against
 * the device's profile before anything is sent, then, per image in order,
 * the optional read-back (--skip-unchanged, --diff, --backup), the write
 * (whole, or only the runs of changed pages), the optional --verify, and
 * one leave at the very end; a failure a new attempt can fix is retried
 * from a fresh listing (--retries). Used for a single device and by each
 * worker of a flash on several devices. */
#ifndef SF_FLASHDEV_H
#define SF_FLASHDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "module.h"
#include "plan.h"
#include "sf_error.h"
#include "usbop.h"

/* One input file, read and checked once for all devices. */
typedef struct sf_flash_image {
	const char *file;         /* as given */
	uint8_t *data;            /* the whole file (malloc'd) */
	size_t len;
	size_t off, plen;         /* the bytes dfu-util writes (sf_dfu_payload) */
	sf_module_info mi;
	bool regular;             /* a regular file dfu-util may open itself */
} sf_flash_image;

/* Reads `file`, refuses a prefix dfu-util would strip (exit 3), parses
 * the module header. */
int sf_flash_image_load(const char *file, sf_flash_image *img, sf_err *err);
void sf_flash_image_free(sf_flash_image *img);

typedef struct sf_flash_job {
	sf_op_request req;        /* kind, segment/address/alt, force, allow, leave;
				   * file_size and module are set per image */
	const sf_flash_image *images; /* in flashing order */
	size_t nimages;
	bool verify;              /* --verify */
	bool skip_unchanged;      /* --skip-unchanged */
	bool diff;                /* --diff (also skips an unchanged image) */
	const char *backup_dir;   /* --backup DIR, or NULL */
	unsigned retries;         /* --retries N */
} sf_flash_job;

typedef struct sf_flash_outcome {
	bool unchanged;           /* nothing had to be written */
	unsigned retries;         /* attempts after the first */
	char message[SF_ERR_MSG_MAX]; /* the result event's message */
} sf_flash_outcome;

/* Runs the job on u's device (selecting it first when u has none), prints
 * the result event (sf_usbop_finish) and returns the exit code. */
int sf_flash_run(sf_usbop *u, const sf_flash_job *job, sf_flash_outcome *out);

#endif
