/* Reading a dfu-util transcript for the judge (diag.c). Pure.
 *
 * Each line is normalised (CI timestamps, colour codes and the "dfu-util: "
 * prefix removed; a message glued to a progress bar is read on its own) and
 * classified into patterns. The transcript is split into runs, one dfu-util
 * invocation each, carrying the notes sparkflash made about it; one run's
 * lines become the facts (sf_run_facts) the judge decides on. */
#ifndef SF_DIAG_SCAN_H
#define SF_DIAG_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "transcript.h"

/* dfu-util lines are short; only this much of a line is examined, so a huge
 * line costs no more than a normal one. */
#define SF_NORM_MAX 1024

typedef struct sf_nline {
	char low[SF_NORM_MAX];   /* lower-cased, prefix stripped, trimmed */
	char orig[SF_NORM_MAX];  /* same span, original case */
	char full[SF_NORM_MAX];  /* lower-cased whole line (prefix kept) */
	bool prefixed;           /* had "dfu-util: " (or "<path>/dfu-util[.exe]: ") */
} sf_nline;

void sf_diag_normalise(const char *raw, sf_nline *nl);

/* Parses "vvvv:pppp" (exactly 4 hex digits each) at s. */
bool sf_diag_parse_vidpid(const char *s, uint16_t *vid, uint16_t *pid);

/* dfu-util's text for a bStatus value (lower case), NULL above 15. */
const char *sf_diag_status_text(int status);

/* The length of an ANSI escape sequence at s, 0 if none. */
size_t sf_diag_ansi_len(const char *s);

/* Lines that say nothing about why a run stopped: the banner block and the
 * harmless DFU-suffix warnings. */
bool sf_diag_uninformative(const char *raw);

/* "$ dfu-util ...", "user@host:~$ sudo dfu-util -D x", "C:\x>dfu-util.exe -l",
 * "running dfu-util -d ..." (a wrapper's echo): a dfu-util invocation. */
bool sf_diag_is_command(const sf_nline *nl);

enum sf_pat {
	P_BANNER, P_DFU_CONTENT, P_CMD,
	P_FILE_DL_OK, P_DL_DONE, P_UL_DONE, P_DONE, P_RECEIVED, P_DONE_PARSING, P_OLD_FINISHED,
	P_LEAVE_REQ, P_MANIFEST, P_MANIFEST_STATE, P_RESET_RUNTIME, P_FOUND_DFU, P_FOUND_RUNTIME,
	P_WAITING, P_MISSING,
	P_OPENING, P_SETUP_END, P_CLEAR_STATUS_OK, P_ABORTING, P_XFER_START, P_PROGRESS,
	P_CANNOT_OPEN_DFU, P_CANNOT_OPEN_DEVICE, P_NO_DEVICE, P_MULTIPLE,
	P_STILL_RUNTIME, P_LOST_AFTER_RESET, P_NOT_IN_DFU, P_REALLY_RUNTIME, P_DETACH,
	P_CLAIM, P_BUSY, P_SET_ALT_ZERO,
	P_INVALID_ADDR, P_LAST_PAGE, P_PAGE_NOT_WRITABLE, P_CANNOT_ERASE_PAGE,
	P_NOT_READABLE, P_FILE_TOO_BIG,
	P_SUFFIX, P_OLD_FILE_FORMAT, P_FILE_NOT_FOUND, P_NO_SUCH_ALT, P_NOT_DFUSE, P_NOT_DFUSE_HINT,
	P_ERASE_NOT_EXEC, P_SETADDR_NOT_EXEC, P_UNPROTECT_NOT_EXEC, P_OTHER_NOT_EXEC,
	P_STATUS_LINE, P_STATUS_NOT_OK, P_STATUS_WARN, P_WRONG_STATE, P_STUCK,
	P_CHUNK_FAILED,
	P_ERR_GETSTATUS, P_ERR_DOWNLOAD, P_DFUSE_XFER, P_ERR_SPECIAL, P_ERR_UPLOAD,
	P_COMPLETION, P_AFTER_COMPLETION, P_RESET_AFTER_DL, P_GET_STATUS_ERR,
	P_CLEAR_STATUS, P_ABORT, P_CANNOT_SET_ALT,
	P_PIPE, P_NODEV, P_IO, P_TIMEOUT_ERR, P_NOT_SUPPORTED,
	P_UPLOAD_EXISTS,
	P_DFUSE_FILE, P_ONLY_DFUSE, P_USE_DFUSE_ADDR, P_FILE_ID, P_BAD_DFUSE_FILE,
	P_WINDOWS, P_MACOS, P_LINUX,
	P_COUNT
};

typedef struct sf_pat_hits {
	long first, last;
	size_t count;
	long recent[3]; /* last three hit lines, oldest first (for evidence) */
} sf_pat_hits;

typedef enum sf_run_op {
	SF_OP_UNKNOWN = 0,
	SF_OP_LIST,
	SF_OP_DOWNLOAD,
	SF_OP_UPLOAD,
	SF_OP_DETACH
} sf_run_op;

enum {
	SF_AFTER_LEAVE_UNKNOWN = 0,
	SF_AFTER_LEAVE_GONE,     /* not listed in DFU mode any more: it left */
	SF_AFTER_LEAVE_DFU       /* still listed in DFU mode */
};

enum {
	SF_SELECT_OK = 0,
	SF_SELECT_NONE,          /* no wanted DFU device in this listing */
	SF_SELECT_AMBIGUOUS,     /* several */
	SF_SELECT_RUNTIME        /* none in DFU mode, one in runtime mode */
};

/* One dfu-util invocation within a transcript and how it ended. */
typedef struct sf_run {
	size_t first, end;        /* lines [first, end) */
	bool outcome_known;       /* exit status or signal known (live, runner log) */
	bool exited, timed_out, spawn_failed;
	int exit_status, term_signal, spawn_errno;
	int interrupted;          /* the user's signal, 0 none */
	/* sparkflash's notes */
	int after_leave;          /* SF_AFTER_LEAVE_* */
	long after_leave_line;
	long verify_bytes;        /* -1 not compared, else bytes that differ */
	long verify_line;
	char verify_text[160];    /* the note's detail (ranges) */
	int select;               /* SF_SELECT_* */
	long select_line;
} sf_run;

/* Splits a transcript into runs (at least one when t->n > 0 or the
 * transcript has an outcome). *runs is malloc'd; returns the count, or
 * (size_t)-1 when out of memory. */
size_t sf_diag_split_runs(const sf_transcript *t, sf_run **runs);

/* A `-l` line seen anywhere in the transcript. */
typedef struct sf_listed {
	bool runtime;
	uint16_t vid, pid;
	int alt;                  /* -1 unknown */
	char name[96];
	char serial[64];
	char path[32];
	size_t run;
	long line;
} sf_listed;

#define SF_MAX_LISTED 24

/* Facts of one run, gathered in one pass over its lines. */
typedef struct sf_run_facts {
	sf_pat_hits p[P_COUNT];
	char version[24];
	int vmajor, vminor;       /* -1 when no banner */
	size_t nlines;            /* lines in the run */
	bool stdout_seen, stderr_seen, unknown_seen;

	/* the command line, when shown */
	sf_run_op cmd_op;
	bool cmd_leave, cmd_alt_given, cmd_reset, cmd_dfuse_addr, cmd_serial_given, cmd_dev_given;
	char cmd_alt[40];
	uint16_t cmd_vid, cmd_pid;
	bool cmd_has_id;

	/* what the output shows */
	sf_run_op op;             /* from the command or the output */
	bool dfuse;               /* "DfuSe interface name", "Downloading element/to address" */
	long setup_end;           /* first line that shows the device set up, -1 */
	long xfer_start;          /* first line of the transfer, -1 */
	long completion;          /* first line saying the data is all there, -1 */
	int max_percent;          /* highest progress percentage, -1 none */
	unsigned long max_bytes;
	int alt_set;              /* "Setting Alternate Setting #N", -1 */
	bool opened_id;           /* "Device ID vvvv:pppp" / "ID vvvv:pppp" */
	uint16_t dev_vid, dev_pid;
	int rt_dfu_version;       /* "Run-time device DFU version 0100" as a number, -1 */

	/* captures */
	bool open_has_id;
	uint16_t open_vid, open_pid;
	char open_error[40];      /* "LIBUSB_ERROR_ACCESS" or "" */
	char claim_error[40];
	char addr_arg[80];        /* rest of "Invalid dfuse address: ..." */
	bool has_elem;
	uint32_t elem_addr;
	long elem_size;
	bool has_last_page;
	uint32_t last_page;
	bool has_page;
	uint32_t page_addr;
	long status_line;         /* last failure-time line with a non-OK status, -1 */
	int status;               /* its bStatus, -1 none */
	char state_name[32];
	long initial_status_line; /* a non-OK status cleared during set-up, -1 */
	int initial_status;
	char upload_file[200];
	char missing_file[200];
	char not_exec_cmd[24];
	char special_cmd[24];     /* the last "Error during special command "X" ..." */
	long special_line;
	bool special_getstatus;   /* ... it failed at its get_status, not its download */
	char no_alt[40];          /* "No such Alternate Setting: "o"" */
	char missing_reason[120];
	long exit_hint;           /* a wrapper's "Error 74" / "exit code 1", -1 */
	sf_diag_region segs[SF_DIAG_MAX_REGIONS];
	size_t nsegs;
	long errorish[3];         /* last three unrecognised error-looking lines */
	size_t nerrorish;
	size_t prefixed_msgs, unprefixed_msgs; /* dfu-util messages with/without prefix */
} sf_run_facts;

/* Gathers the facts of lines [first, end). Returns false when out of memory. */
bool sf_diag_scan_run(const sf_transcript *t, size_t first, size_t end, sf_run_facts *f);

/* `-l` lines of the whole transcript (at most max); returns the count. */
size_t sf_diag_scan_listing(const sf_transcript *t, const sf_run *runs, size_t nruns, sf_listed *out,
			    size_t max);

#endif
