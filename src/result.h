/* The `result` event of the device commands, one shape for USB and cloud
 * (README "JSON output"). Pure: builds the JSON, prints nothing.
 *
 *   ok         true on success
 *   exit_code  the process exit code
 *   error      the exit code's stable class (sf_exit_name: "refused",
 *              "no-device", ...), only on failure
 *   message    human text: the error, or what was done
 *   device     sf_result_device_json: every key, null when unknown
 *   operations what ran (USB: one object per dfu-util transfer; cloud:
 *              the flash request)
 *   dry_run    true when nothing was sent
 *   verdict    success | success-with-warnings | failure | interrupted
 *   diagnoses  the judge's diagnosis ids (USB; [] for cloud) */
#ifndef SF_RESULT_H
#define SF_RESULT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

/* Version of the NDJSON events: every event line carries "schema": 1.
 * Bumped only when a field changes meaning or goes away. */
#define SF_EVENT_SCHEMA 1

typedef struct sf_result_device {
	const char *given;    /* as named on the command line (cloud DEVICE) */
	const char *id;       /* cloud device ID (24 hex digits) */
	const char *name;     /* cloud device name */
	int platform_id;      /* Particle platform id; -1 unknown */
	const char *profile;  /* USB: the device profile's id */
	bool has_usb_id;
	uint16_t vid, pid;    /* USB: DFU-mode VID:PID */
	const char *serial;   /* USB serial number */
	const char *path;     /* USB path (BUS-PORT) */
	int listed;           /* USB: seen in `dfu-util -l` (1/0); -1 not applicable */
} sf_result_device;

/* An all-unknown device (platform_id and listed -1, pointers NULL). */
void sf_result_device_init(sf_result_device *d);

/* {"given","id","name","platform","platform_id","profile","vid_pid",
 *  "serial","path","listed"}: all present, null when unknown; "platform"
 * is the platform's name ("photon") when known. Empty strings count as
 * unknown. */
json_t *sf_result_device_json(const sf_result_device *d);

/* {"ok","exit_code",["error"],"message","device","operations","dry_run",
 *  "verdict","diagnoses"}.
 * `device` and `operations` are stolen (NULL: an all-unknown device, []).
 * A NULL or empty message on failure becomes the error class. */
json_t *sf_result_json(int exit_code, const char *message, json_t *device, json_t *operations,
		       bool dry_run);

/* The first keys of every result event (the common part of every command's
 * result): ok, exit_code, error (class, failure only), message. */
json_t *sf_result_base(int exit_code, const char *message);

#endif
