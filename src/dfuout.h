/* Understanding dfu-util's output, one line at a time (pure, no I/O).
 * Tolerates the texts of dfu-util 0.7 to 0.11: progress bars, "<phase>
 * done." lines, the version banner, `-l` listing lines and the
 * "Cannot open DFU device" probe warning. Lines are given without their
 * terminator (the runner splits on "\r" and "\n"). */
#ifndef SF_DFUOUT_H
#define SF_DFUOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transcript.h"

typedef enum sf_dfu_phase {
	SF_PHASE_NONE = 0,
	SF_PHASE_ERASE,
	SF_PHASE_DOWNLOAD,
	SF_PHASE_UPLOAD
} sf_dfu_phase;

/* "erase", "download", "upload" (or "none"). */
const char *sf_dfu_phase_name(sf_dfu_phase phase);

typedef enum sf_dfu_line_kind {
	SF_DLINE_OTHER = 0,
	SF_DLINE_PROGRESS,    /* "Download\t[=====    ]  20%   1024 bytes" */
	SF_DLINE_PHASE_DONE,  /* "Erase    done." */
	SF_DLINE_BANNER,      /* "dfu-util 0.11" */
	SF_DLINE_FOUND,       /* "Found DFU: [...] ..." or "Found Runtime: ..." */
	SF_DLINE_OPEN_FAILED  /* "Cannot open DFU device 1d50:607f found on devnum 7 (LIBUSB_ERROR_ACCESS)" */
} sf_dfu_line_kind;

#define SF_DFU_NAME_MAX 256   /* a USB string is at most 126 characters */
#define SF_DFU_PATH_MAX 64

/* One `-l` line. Fields absent in old versions have has_* = false. */
typedef struct sf_dfu_found {
	bool runtime;         /* "Found Runtime" (else "Found DFU") */
	uint16_t vid, pid;
	bool has_ver;         /* absent in 0.7 */
	uint16_t ver;         /* bcdDevice */
	unsigned devnum, cfg, intf, alt;
	bool has_path;        /* absent in 0.7/0.8 */
	char path[SF_DFU_PATH_MAX];
	char name[SF_DFU_NAME_MAX];   /* iInterface string, exactly ("UNKNOWN" if none) */
	bool has_serial;      /* absent in 0.7 */
	char serial[SF_DFU_NAME_MAX]; /* "UNKNOWN" if the device has none */
} sf_dfu_found;

typedef struct sf_dfu_line {
	sf_dfu_line_kind kind;
	/* PROGRESS and PHASE_DONE */
	sf_dfu_phase phase;
	int percent;          /* 0..100 */
	unsigned long bytes;
	/* BANNER: the version token as printed ("0.11", "0.9-msvc", "0.11-dev")
	 * and its numeric part */
	char version[32];
	int major, minor;
	/* FOUND */
	sf_dfu_found found;
	/* OPEN_FAILED: vid/pid, the devnum and the libusb error name when
	 * printed (0.11) */
	uint16_t vid, pid;
	bool has_devnum;
	unsigned devnum;
	char error[48];
} sf_dfu_line;

/* Returns the line without a leading "dfu-util: " (or "<name>dfu<name>: ",
 * for a binary installed under another name). */
const char *sf_dfu_strip_prefix(const char *line);

/* Classifies one line (NUL-terminated; a "dfu-util: " prefix is allowed)
 * and fills `out` (always initialised). Returns out->kind. */
sf_dfu_line_kind sf_dfu_classify(const char *line, sf_dfu_line *out);

/* A device assembled from `-l` lines: alts sorted ascending. */
typedef struct sf_dfu_alt {
	unsigned alt;
	char name[SF_DFU_NAME_MAX];
} sf_dfu_alt;

typedef struct sf_dfu_device {
	bool runtime;
	uint16_t vid, pid;
	bool has_ver;
	uint16_t ver;
	unsigned devnum, cfg, intf;
	bool has_path;
	char path[SF_DFU_PATH_MAX];
	bool has_serial;      /* false also when dfu-util printed "UNKNOWN" */
	char serial[SF_DFU_NAME_MAX];
	sf_dfu_alt *alts;
	size_t nalts;
} sf_dfu_device;

/* A device dfu-util found but could not open (and so skipped). */
typedef struct sf_dfu_open_failure {
	uint16_t vid, pid;
	bool has_devnum;      /* absent in 0.8/0.9 */
	unsigned devnum;
	bool access;          /* LIBUSB_ERROR_ACCESS, or no error named (0.8/0.9) */
	char error[48];       /* "" when not printed */
} sf_dfu_open_failure;

#define SF_DFU_MAX_OPEN_FAILED 16

typedef struct sf_dfu_list {
	sf_dfu_device *devs;
	size_t n;
	/* Probe failures (stderr "Cannot open DFU device ..."): such a device is
	 * skipped by dfu-util, so it is missing from devs. */
	size_t nopen_failed;
	bool access_denied;   /* one of them was LIBUSB_ERROR_ACCESS */
	uint16_t failed_vid, failed_pid;    /* the first failure */
	char failed_error[48];
	/* every failure, in order (the first SF_DFU_MAX_OPEN_FAILED; a device
	 * probed twice is kept once) */
	sf_dfu_open_failure failed[SF_DFU_MAX_OPEN_FAILED];
	size_t nfailed;
} sf_dfu_list;

/* Groups FOUND lines into devices: one device per (mode, vid:pid, serial,
 * path; devnum when the path is absent); alt duplicates keep the first
 * name. Devices are sorted by path, then serial, then vid:pid. Returns
 * false on allocation failure (out is then empty). */
bool sf_dfu_group(const sf_dfu_found *found, size_t n, sf_dfu_list *out);

/* Parses a whole `dfu-util -l` transcript (both streams): FOUND lines and
 * probe failures. Returns false on allocation failure. */
bool sf_dfu_parse_list(const sf_transcript *t, sf_dfu_list *out);

void sf_dfu_list_free(sf_dfu_list *list);

#endif
