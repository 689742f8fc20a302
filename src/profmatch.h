/* Which profile describes a DFU device seen in `dfu-util -l`. Most devices
 * are known by their VID:PID alone; profiles may share one (every STM32
 * system bootloader is 0483:df11), and those are told apart by the layout
 * strings the device reports for its alts: byte for byte first, then, for
 * profiles whose members come in several flash sizes (layout_sizes_vary),
 * by the page geometry (sf_layout_same_geometry). Pure. */
#ifndef SF_PROFMATCH_H
#define SF_PROFMATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfuout.h"
#include "profile.h"
#include "sf_error.h"

typedef enum sf_match_kind {
	SF_MATCH_NONE = 0,   /* no profile has the VID:PID */
	SF_MATCH_UNIQUE,     /* the only profile with it (its layouts are checked per transfer) */
	SF_MATCH_EXACT,      /* shared VID:PID: every alt of the profile is listed with its string */
	SF_MATCH_GEOMETRY,   /* shared VID:PID: the same memories and pages in another size */
	SF_MATCH_UNKNOWN,    /* shared VID:PID: the listed layouts fit none of them */
	SF_MATCH_AMBIGUOUS   /* shared VID:PID: several fit equally well */
} sf_match_kind;

typedef struct sf_match {
	sf_match_kind kind;
	const sf_profile *profile; /* UNIQUE, EXACT, GEOMETRY; else NULL */
	const sf_profile *first;   /* the first profile with the VID:PID (its family), or NULL */
	size_t nshared;            /* profiles with the VID:PID */
} sf_match;

/* The profile for a listed device (DFU VID:PID, or the runtime one for a
 * runtime-mode device, whose interface reports no layouts: several runtime
 * profiles with one VID:PID are ambiguous). */
sf_match sf_profiles_match_device(const sf_profile *profiles, size_t n, const sf_dfu_device *d);

/* The profile of a device a log names by vid:pid (`sparkflash diagnose`):
 * from the DFU-mode devices with that VID:PID in the log's own `-l` lines
 * (all of them must be the same profile), else, none listed, the only
 * profile with that DFU VID:PID, else the one with it as runtime VID:PID.
 * NULL when it cannot be told (profiles share it and nothing was listed).
 * list may be NULL. */
const sf_profile *sf_profiles_match_logged(const sf_profile *profiles, size_t n, const sf_dfu_list *list,
					   uint16_t vid, uint16_t pid);

/* "stm32f0, stm32f1, stm32f4": the ids of the profiles whose DFU VID:PID is
 * vid:pid, comma-separated, truncated to size. */
void sf_profiles_sharing(const sf_profile *profiles, size_t n, uint16_t vid, uint16_t pid, char *buf,
			 size_t size);

/* "0483:df11 (STM32 system bootloader, unknown family)": how a device the
 * match could not name is called (vid:pid and the family, when known). */
void sf_match_describe_unknown(const sf_match *m, uint16_t vid, uint16_t pid, char *buf, size_t size);

/* A profile with layout_sizes_vary takes the device's own string for each
 * alt whose listed layout has the profile's geometry in another size, so
 * that plans are checked against the device's real map. A segment on such
 * an alt then ends where the device's memory run does; one that starts
 * where the device has no memory is dropped. Other profiles are left as
 * they are (a map that differs there is the wrong profile, refused per
 * transfer). Returns how many alts changed, or -1 when out of memory (err
 * set; *p is then unchanged). */
int sf_profile_adopt_layouts(sf_profile *p, const sf_dfu_alt *alts, size_t nalts, sf_err *err);

#endif
