/* flash on several devices at once (--all, repeated --serial/--path): which
 * listed devices are meant, whether a --wait is over, and the summary of
 * the per-device outcomes (counts, the exit code rule, the JSON `summary`
 * event and the human table). Pure. */
#ifndef SF_FLEET_H
#define SF_FLEET_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "sf_error.h"

/* A device asked for by --serial or --path (one of them set). */
typedef struct sf_fleet_want {
	const char *serial;
	const char *path;
} sf_fleet_want;

/* A DFU-mode device in the listing that matches a profile (the filters
 * applied): "" for what dfu-util did not print. */
typedef struct sf_fleet_seen {
	const char *serial;
	const char *path;
} sf_fleet_seen;

/* The devices to flash, in listing order: with `all` every seen device,
 * else those matching a wanted serial or path (each once). `missing`
 * gets the indices of wanted entries nothing matched (may be NULL). The
 * arrays hold nseen / nwant entries. Returns whether a --wait is over:
 * `all`: at least `count` devices (count 0 counts as 1); else every
 * wanted entry matched. */
bool sf_fleet_match(const sf_fleet_want *want, size_t nwant, bool all, size_t count,
		    const sf_fleet_seen *seen, size_t nseen, size_t *picks, size_t *npicks,
		    size_t *missing, size_t *nmissing);

/* Whether seen[i] needs -p besides -S: no serial, or another seen device
 * has the same one. */
bool sf_fleet_needs_path(const sf_fleet_seen *seen, size_t nseen, size_t i);

/* "serial B7, path 1-4" for the wanted entries listed in `missing`. */
void sf_fleet_describe_missing(const sf_fleet_want *want, const size_t *missing, size_t nmissing,
			       char *buf, size_t size);

/* One device's outcome. */
typedef struct sf_fleet_entry {
	char serial[256];       /* "" when unknown (a device dfu-util could not open) */
	char path[64];
	char label[300];        /* how lines name it: the serial, or e.g. "core 1d50:607f devnum 7" */
	int exit_code;
	bool unchanged;         /* nothing had to be written */
	unsigned retries;       /* attempts after the first */
	char message[SF_ERR_MSG_MAX];
} sf_fleet_entry;

/* "ok", "unchanged" or "failed". */
const char *sf_fleet_result_name(const sf_fleet_entry *e);

/* 0 when every device succeeded, else the exit code of the first failed
 * one in the given (listing) order. */
int sf_fleet_exit_code(const sf_fleet_entry *e, size_t n);

void sf_fleet_counts(const sf_fleet_entry *e, size_t n, size_t *ok, size_t *unchanged, size_t *failed);

/* The `summary` event's fields: ok, exit_code, error (failure only),
 * message, devices, succeeded (written or unchanged), failed, unchanged,
 * dry_run, results [{serial, path, exit_code, result, retries, message}]. */
json_t *sf_fleet_summary_json(const sf_fleet_entry *e, size_t n, bool dry_run);

/* "3 of 4 devices succeeded (1 unchanged), 1 failed" */
void sf_fleet_summary_text(const sf_fleet_entry *e, size_t n, char *buf, size_t size);

/* The human table, one line per device after a header:
 *   SERIAL        RESULT     EXIT  MESSAGE
 * (messages cut to fit 100 columns). Returns the bytes it needed. */
size_t sf_fleet_table(const sf_fleet_entry *e, size_t n, char *buf, size_t size);

#endif
