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

/* With ctx->wait_s (flash --wait), sf_target_select looks again every
 * 250 ms while no device is found, up to that long (never past
 * ctx->deadline: then SF_EXIT_TIMEOUT), with a countdown on a TTY and a
 * JSON "wait" event; only the last look goes to --log and the judge. */

/* Whether waits show a countdown on stderr (a TTY, or SPARKFLASH_PROGRESS=1;
 * never with --json or -q). */
bool sf_wait_tty(const sf_ctx *ctx);

/* After a leave request: true when the same device (VID:PID and serial)
 * is still listed in DFU mode (a first look after 5 ms, then re-listed
 * while it is seen, about 1.5 s at most). False on any doubt (listing
 * failed, the deadline too close). */
bool sf_target_still_in_dfu(const sf_ctx *ctx, const sf_target *t);

/* Compares the layout string the listed device reports for `alt` with the
 * profile's (sf_layout_compare): another map is refused (exit 3: the plan
 * was checked against the wrong map); a map that differs only in attribute
 * letters (a Photon DCT reported as "...Ke" where the profile says "...Kg")
 * is a warning for a read, and refused for a write unless `force` (then a
 * warning). Each alt is warned about once per target. */
int sf_target_check_alt(const sf_ctx *ctx, sf_target *t, int alt, bool write, bool force,
			sf_err *err);

/* Moves a target (its serial/path pointers follow); src is left empty. */
void sf_target_move(sf_target *dst, sf_target *src);

/* Whether dfu-util gets -p PATH for this target (besides -S). */
void sf_target_pass_path(sf_target *t, bool pass);

/* A target from --profile alone (a dry run without a listing): -S/-p from
 * serial/usb_path (either may be NULL); listed is false. */
int sf_target_unlisted(const sf_ctx *ctx, const char *serial, const char *usb_path, sf_target *out, sf_err *err);

/* One `dfu-util -l` for several devices: every DFU-mode device that a
 * profile (--profile when given) describes, in listing order, and the
 * matching devices dfu-util could not open. --serial/--path are not
 * applied here (fleet.h does that). The listing goes to --log unless the
 * ctx has none. */
typedef struct sf_listing {
	sf_target *targets;       /* n entries, each owning its profile; -S, no -p */
	size_t n;
	sf_dfu_open_failure locked[SF_DFU_MAX_OPEN_FAILED];
	char locked_profile[SF_DFU_MAX_OPEN_FAILED][64];
	size_t nlocked;
	sf_transcript transcript; /* the listing run */
	sf_profile chosen;        /* --profile, when given */
} sf_listing;

int sf_listing_take(const sf_ctx *ctx, sf_listing *out, sf_err *err);
void sf_listing_free(sf_listing *l);

/* A listing that gave nothing to use: the "select none" note and the
 * judge's no-device diagnosis, printed (kept in *judged when not NULL). */
void sf_listing_judge_none(const sf_ctx *ctx, sf_listing *l, sf_diag_result *judged);

/* The unopenable device i: a label ("core 1d50:607f devnum 7"), the
 * error text with its fix, and its exit code (5 permission, 4 other). */
void sf_locked_describe(const sf_listing *l, size_t i, char *label, size_t lsize, char *msg, size_t msize,
			int *exit_code);

/* The result event's device object (result.h): profile, platform,
 * vid_pid, serial, path, listed; the cloud keys null. */
json_t *sf_target_json(const sf_target *t);

/* "core (1d50:607f, serial 6D92487A5151, path 1-1)" */
void sf_target_describe(const sf_target *t, char *buf, size_t size);

#endif
