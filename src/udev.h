/* udev rules for USB access to the profiled devices: generating the
 * sparkflash rules file and checking whether rules text covers a VID:PID.
 * Pure (text in, text out); cmd_udev.c and diag_host.c do the file I/O. */
#ifndef SF_UDEV_H
#define SF_UDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SF_UDEV_RULES_FILE "60-sparkflash.rules"
#define SF_UDEV_RULES_DIR "/etc/udev/rules.d"

typedef struct sf_udev_id {
	uint16_t vid, pid;
	const char *label;   /* e.g. "Spark Core (core), DFU mode" */
} sf_udev_id;

struct sf_profile;

/* Every profile's DFU and runtime VID:PID with labels "NAME (id), DFU mode" /
 * "NAME (id), normal mode": a malloc'd array (labels malloc'd too), *count
 * set; NULL when out of memory. Free with sf_udev_ids_free. */
sf_udev_id *sf_udev_ids_from_profiles(const struct sf_profile *profiles, size_t n, size_t *count);
void sf_udev_ids_free(sf_udev_id *ids, size_t count);

/* The rules file for `ids` (duplicates merged, sorted by VID:PID), as a
 * malloc'd string, or NULL when out of memory. One rule per ID:
 *   SUBSYSTEM=="usb", ATTR{idVendor}=="1d50", ATTR{idProduct}=="607f",
 *   TAG+="uaccess", GROUP="plugdev", MODE="0664" */
char *sf_udev_rules_text(const sf_udev_id *ids, size_t n);

/* True when a rule in `text` (a udev rules file) grants access to vid:pid:
 * it matches idVendor (and idProduct, when given) with ==, globs and "|"
 * alternatives allowed, and sets MODE, GROUP, OWNER or TAG+="uaccess". */
bool sf_udev_rules_cover(const char *text, size_t len, uint16_t vid, uint16_t pid);

#endif
