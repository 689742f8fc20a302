/* flash --usb A.bin B.bin ...: the order in which several Particle module
 * images go to one device. Each goes where its header says (plan.c); here
 * only which comes first: system parts by index, then the user part.
 * Pure. */
#ifndef SF_IMAGES_H
#define SF_IMAGES_H

#include <stddef.h>

#include "module.h"
#include "sf_error.h"

#define SF_IMAGES_MAX 8

/* Fills order[0..n) with the indices of mods in flashing order. One image
 * of any kind is fine (order[0] = 0). With several: every one must be a
 * module (a raw image's destination would be a guess: SF_EXIT_REFUSED),
 * no two may go to the same place (two user parts, two system part 2s, a
 * monolithic image with system parts), and only firmware (monolithic,
 * system part, user part, radio stack) is ordered; other functions are
 * left to the plan to refuse. `names` (may be NULL) name the files in
 * messages. */
int sf_images_order(const sf_module_info *const *mods, const char *const *names, size_t n,
		    size_t *order, sf_err *err);

#endif
