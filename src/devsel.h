/* Device selection for the USB commands (I/O edge): loads the profile(s),
 * runs `dfu-util -l` once, groups its lines into devices, keeps the DFU-mode
 * devices that match a profile and --profile/--serial/--path, and insists on
 * exactly one. Zero or several → SF_EXIT_NO_DEVICE (4) with the DFU-mode
 * instructions or the list of candidates; never a prompt.
 *
 * --dry-run with --profile runs nothing at all (the VID:PID comes from the
 * profile, -S/-p from --serial/--path); without --profile it still runs
 * `dfu-util -l` (read-only) to learn which profile applies. */
#ifndef SF_DEVSEL_H
#define SF_DEVSEL_H

#include <jansson.h>
#include <stdbool.h>

#include "cli.h"
#include "diag.h"
#include "dfuargv.h"
#include "dfuout.h"
#include "jsontext.h"
#include "profile.h"
#include "sf_error.h"

typedef struct sf_target {
	sf_profile profile;       /* owned */
	bool listed;              /* a device was seen in `dfu-util -l` */
	sf_devsel sel;            /* what goes into -d/-S/-p (strings point below) */
	char serial[SF_DFU_NAME_MAX];
	char path[SF_DFU_PATH_MAX];
	sf_dfu_alt *alts;         /* the device's alts as listed (owned), may be NULL */
	size_t nalts;
	unsigned char layout_warned[32]; /* bit per alt: attribute-letter warning shown */
} sf_target;

/* Lists the DFU devices and picks the one to use. When none can be used, the
 * listing is judged (sf_diag_live prints why) and, with `judged`, the judge's
 * result is kept there for the caller (who frees it). */
int sf_target_select(const sf_ctx *ctx, sf_target *out, sf_err *err, sf_diag_result *judged);
void sf_target_free(sf_target *t);

/* After a leave request: true when the same device (VID:PID and serial)
 * is still listed in DFU mode after a short settle time (re-listed a few
 * times, about 1.5 s at most). False on any doubt (listing failed). */
bool sf_target_still_in_dfu(const sf_ctx *ctx, const sf_target *t);

/* Compares the layout string the listed device reports for `alt` with the
 * profile's (sf_layout_compare): another map is refused (exit 3: the plan
 * was checked against the wrong map); a map that differs only in attribute
 * letters (a Photon DCT reported as "...Ke" where the profile says "...Kg")
 * is a warning for a read, and refused for a write unless `force` (then a
 * warning). Each alt is warned about once per target. */
int sf_target_check_alt(const sf_ctx *ctx, sf_target *t, int alt, bool write, bool force,
			sf_err *err);

/* The result event's device object (result.h): profile, platform,
 * vid_pid, serial, path, listed; the cloud keys null. */
json_t *sf_target_json(const sf_target *t);

/* "core (1d50:607f, serial 6D92487A5151, path 1-1)" */
void sf_target_describe(const sf_target *t, char *buf, size_t size);

#endif
