/* Host facts for diagnosis fix texts (I/O edge of diag.h), Linux: USB device
 * nodes of interesting VID:PIDs (owner, group, mode, whether this user can
 * open them) from sysfs and /dev/bus/usb, and which udev rules cover them.
 * On other systems it only sets ctx->os. */
#ifndef SF_DIAG_HOST_H
#define SF_DIAG_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

typedef struct sf_diag_host_opts {
	const char *sysfs_dir;          /* default /sys/bus/usb/devices */
	const char *const *rules_dirs;  /* default: sf_udev_default_dirs() */
	size_t nrules_dirs;
} sf_diag_host_opts;

/* Fills ctx->host_known, os, devices[] (attached devices whose VID:PID is in
 * ids or is the ctx profile's DFU/runtime ID) and rules[] (one per ID).
 * opts may be NULL. Never fails: missing information stays "unknown". */
void sf_diag_host_facts(sf_diag_context *ctx, const uint16_t (*ids)[2], size_t nids,
			const sf_diag_host_opts *opts);

/* The udev rules directories searched by default, in udev's precedence
 * order; sets *n. */
const char *const *sf_udev_default_dirs(size_t *n);

/* Whether a *.rules file in dirs covers vid:pid: 1 (file names it, copied to
 * file), 0, or -1 when no directory could be read. */
int sf_udev_find_cover(const char *const *dirs, size_t ndirs, uint16_t vid, uint16_t pid,
		       char *file, size_t cap);

#endif
