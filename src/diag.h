/* Diagnosing dfu-util: a transcript (output lines + how it ended) in, an
 * ordered list of diagnoses with stable IDs out. Pure: the host facts used in
 * fix texts are supplied by the caller (diag_host.h gathers them on Linux).
 *
 * IDs are documented in README ("Diagnosis IDs") and never renamed. */
#ifndef SF_DIAG_H
#define SF_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "transcript.h"

typedef enum sf_diag_severity {
	SF_DIAG_INFO = 0,
	SF_DIAG_WARNING = 1,
	SF_DIAG_ERROR = 2
} sf_diag_severity;

typedef enum sf_diag_verdict {
	SF_VERDICT_SUCCESS = 0,
	SF_VERDICT_WARNINGS,    /* succeeded, with warning diagnoses */
	SF_VERDICT_FAILURE,
	SF_VERDICT_INTERRUPTED  /* stopped by the user (Ctrl-C, SIGTERM) */
} sf_diag_verdict;

/* One catalogue entry (static data, see sf_diag_catalogue). */
typedef struct sf_diag_info {
	const char *id;
	sf_diag_severity severity; /* usual severity (permission-denied may be
	                              downgraded to a warning, see README) */
	int exit_code;             /* enum sf_exit when it decides the verdict */
	const char *title;         /* one-line meaning for README/--help */
} sf_diag_info;

#define SF_DIAG_MAX_EVIDENCE 6
#define SF_DIAG_EVIDENCE_CHARS 300 /* evidence text is cut to this many bytes */

typedef struct sf_diag_evidence {
	size_t line;   /* index into the transcript's lines */
	char *text;    /* printable ASCII copy (bytes >= 0x80 and controls → '?') */
} sf_diag_evidence;

typedef struct sf_diagnosis {
	const char *id;             /* static string from the catalogue */
	sf_diag_severity severity;
	int exit_code;
	char *summary;              /* malloc'd */
	char *explanation;
	char *fix;
	char *status_name;          /* status-error etc.: "errVENDOR" (NULL if none) */
	int status;                 /* bStatus number, -1 if none */
	sf_diag_evidence evidence[SF_DIAG_MAX_EVIDENCE];
	size_t nevidence;
} sf_diagnosis;

typedef struct sf_diag_result {
	sf_diagnosis *items;        /* errors first, then warnings, then info */
	size_t n;
	sf_diag_verdict verdict;
	int exit_code;              /* 0 unless verdict is FAILURE or INTERRUPTED */
	char version[24];           /* dfu-util version from the banner, "" if none */
	size_t runs;                /* dfu-util runs found in the transcript */
	size_t decisive_run;        /* 1-based number of the run judged (0: none) */
	size_t run_first_line;      /* its first line (1-based, 0: none) */
	bool written;               /* that run reports the data transferred */
} sf_diag_result;

/* Host facts for fix texts; all optional (zero-initialise, then fill). */
#define SF_DIAG_MAX_DEVICES 8
#define SF_DIAG_MAX_RULES 8
#define SF_DIAG_MAX_REGIONS 16

typedef struct sf_diag_usbdev {
	uint16_t vid, pid;
	unsigned busnum, devnum;
	bool runtime;               /* matches a profile's runtime (normal-mode) ID */
	bool node_known;            /* node/owner/group/mode below are valid */
	char node[40];              /* /dev/bus/usb/BBB/DDD */
	char owner[32], group[32];
	unsigned mode;              /* permission bits, e.g. 0664 */
	int accessible;             /* this user may open it read-write: 1/0, -1 unknown */
} sf_diag_usbdev;

typedef struct sf_diag_rule {
	uint16_t vid, pid;
	int covered;                /* a udev rule matches: 1/0, -1 unknown */
	char file[256];             /* the rules file that covers it */
} sf_diag_rule;

typedef struct sf_diag_region {
	uint32_t start;
	uint64_t end;               /* one past the last byte */
	bool writable;
} sf_diag_region;

#define SF_DIAG_MAX_ALTS 6

#define SF_DIAG_MAX_PROTECTED 4

typedef struct sf_diag_alt_map {
	int alt;
	sf_diag_region regions[SF_DIAG_MAX_REGIONS];
	size_t nregions;
	/* ranges the bootloader refuses to erase or write whatever the map says
	 * (the profile's bootloader section) */
	sf_diag_region protected_ranges[SF_DIAG_MAX_PROTECTED];
	size_t nprotected;
} sf_diag_alt_map;

typedef struct sf_diag_context {
	/* From the device profile in use (all may be NULL/false). */
	const char *device_name;    /* "Spark Core" */
	const char *dfu_mode_help;
	bool has_dfu_id, has_runtime_id;
	uint16_t dfu_vid, dfu_pid, runtime_vid, runtime_pid;
	/* Memory maps of the profile's alt settings (let "Last page ... not
	 * writeable" be told apart: bad address vs file too large; the log
	 * says which alt was set). */
	sf_diag_alt_map alts[SF_DIAG_MAX_ALTS];
	size_t nalts;
	/* Host facts (sf_diag_host_facts). */
	bool host_known;
	const char *os;             /* "linux", "windows", "macos" or NULL */
	sf_diag_usbdev devices[SF_DIAG_MAX_DEVICES];
	size_t ndevices;
	sf_diag_rule rules[SF_DIAG_MAX_RULES];
	size_t nrules;
} sf_diag_context;

/* The judge: decides what a transcript shows (the verdict and exit code of
 * the run, with its diagnoses). Live commands and `diagnose` both ask it;
 * what sparkflash itself saw (exit status, the user's signal, the listing
 * after a leave, a read-back comparison, the device selection) reaches it as
 * the transcript's outcome fields and notes (transcript.h), so a saved log
 * is judged as the live run was.
 *
 * A transcript may hold several dfu-util runs (a --log, a paste): each is
 * judged; the verdict is the last run that did more than list devices (an
 * earlier failure followed by a good retry is a success), with a later
 * listing that still shows the device in DFU mode counted as the leave
 * being ignored. ctx may be NULL. Returns 0, or SF_EXIT_INTERNAL on
 * allocation failure (then *out is empty). Never reads the host. */
int sf_diagnose(const sf_transcript *t, const sf_diag_context *ctx, sf_diag_result *out);
void sf_diag_result_free(sf_diag_result *r);

/* VID:PIDs named in the transcript ("Cannot open DFU device vvvv:pppp",
 * "Found DFU: [vvvv:pppp]", "Device ID vvvv:pppp"), unique, in order; returns
 * how many were stored (at most max). Callers use it to gather host facts. */
size_t sf_diag_transcript_ids(const sf_transcript *t, uint16_t (*ids)[2], size_t max);

/* Fills the profile part of a judge's context: name, DFU-mode help, USB
 * IDs, every alt's memory map and the bootloader's protected ranges.
 * p may be NULL. */
void sf_diag_context_profile(sf_diag_context *dctx, const sf_profile *p);

const sf_diag_info *sf_diag_catalogue(size_t *n);
const sf_diag_info *sf_diag_lookup(const char *id);
const char *sf_diag_severity_name(sf_diag_severity s);
const char *sf_diag_verdict_name(sf_diag_verdict v);

/* DFU status name ("errVENDOR") for a bStatus value; "INVALID" above 15. */
const char *sf_diag_status_name(int status);

#endif
