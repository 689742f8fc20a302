#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "sf_error.h"
#include "numparse.h"

/* ---- catalogue ---------------------------------------------------------- */

static const sf_diag_info catalogue[] = {
	{ "dfu-util-missing", SF_DIAG_ERROR, SF_EXIT_DFU_UTIL, "dfu-util is not installed or cannot start" },
	{ "timeout", SF_DIAG_ERROR, SF_EXIT_TIMEOUT, "dfu-util did not finish in time and was stopped" },
	{ "no-device", SF_DIAG_ERROR, SF_EXIT_NO_DEVICE, "no device in DFU mode matched" },
	{ "multiple-devices", SF_DIAG_ERROR, SF_EXIT_NO_DEVICE, "more than one DFU device or alt setting matched" },
	{ "runtime-mode", SF_DIAG_ERROR, SF_EXIT_NO_DEVICE, "the device is in normal (runtime) mode, not DFU mode" },
	{ "permission-denied", SF_DIAG_ERROR, SF_EXIT_PERMISSION, "the OS refused to open the USB device (udev rule, Windows driver)" },
	{ "device-busy", SF_DIAG_ERROR, SF_EXIT_TRANSFER, "the USB interface is held by another program or driver" },
	{ "address-invalid", SF_DIAG_ERROR, SF_EXIT_REFUSED, "dfu-util rejected the DfuSe address or modifier (-s)" },
	{ "page-not-writable", SF_DIAG_ERROR, SF_EXIT_REFUSED, "the address is not in writable memory of the alt setting" },
	{ "file-too-large", SF_DIAG_ERROR, SF_EXIT_REFUSED, "the file does not fit in the writable memory" },
	{ "dfuse-file-mismatch", SF_DIAG_ERROR, SF_EXIT_REFUSED, "the file type does not suit the request (.dfu vs raw, suffix ID, malformed .dfu)" },
	{ "upload-file-exists", SF_DIAG_ERROR, SF_EXIT_REFUSED, "the upload target file exists (dfu-util never overwrites)" },
	{ "erase-failed", SF_DIAG_ERROR, SF_EXIT_TRANSFER, "the device failed to erase flash" },
	{ "write-failed", SF_DIAG_ERROR, SF_EXIT_TRANSFER, "the device failed to write flash (errWRITE/errPROG/errVERIFY)" },
	{ "target-protected", SF_DIAG_ERROR, SF_EXIT_TRANSFER, "the device refused the target (errTARGET or read protection)" },
	{ "status-error", SF_DIAG_ERROR, SF_EXIT_TRANSFER, "the device reported another DFU error status (named)" },
	{ "transfer-stalled", SF_DIAG_ERROR, SF_EXIT_TRANSFER, "the device stalled a USB request (LIBUSB_ERROR_PIPE)" },
	{ "device-lost", SF_DIAG_ERROR, SF_EXIT_TRANSFER, "the device disconnected or stopped answering mid-transfer" },
	{ "unknown", SF_DIAG_ERROR, SF_EXIT_TRANSFER, "dfu-util failed for a reason not in this catalogue" },
	{ "leave-unconfirmed", SF_DIAG_WARNING, SF_EXIT_OK, "written; the device reset before confirming the leave request" },
	{ "leave-ignored", SF_DIAG_WARNING, SF_EXIT_OK, "written, but the device stayed in DFU mode after the leave request" },
	{ "suffix-missing", SF_DIAG_INFO, SF_EXIT_OK, "the file has no DFU suffix (normal for a raw .bin)" },
};
#define NCAT (sizeof catalogue / sizeof catalogue[0])

const sf_diag_info *sf_diag_catalogue(size_t *n)
{
	*n = NCAT;
	return catalogue;
}

const sf_diag_info *sf_diag_lookup(const char *id)
{
	for (size_t i = 0; id && i < NCAT; i++)
		if (!strcmp(catalogue[i].id, id))
			return &catalogue[i];
	return NULL;
}

const char *sf_diag_severity_name(sf_diag_severity s)
{
	switch (s) {
	case SF_DIAG_ERROR: return "error";
	case SF_DIAG_WARNING: return "warning";
	default: return "info";
	}
}

const char *sf_diag_verdict_name(sf_diag_verdict v)
{
	switch (v) {
	case SF_VERDICT_SUCCESS: return "success";
	case SF_VERDICT_WARNINGS: return "success-with-warnings";
	default: return "failure";
	}
}

static const struct {
	const char *name;
	const char *text; /* dfu-util's text, lower case, for matching warnings */
} dfu_status[] = {
	{ "OK", "no error condition is present" },
	{ "errTARGET", "file is not targeted for use by this device" },
	{ "errFILE", "file is for this device but fails some vendor-specific test" },
	{ "errWRITE", "device is unable to write memory" },
	{ "errERASE", "memory erase function failed" },
	{ "errCHECK_ERASED", "memory erase check failed" },
	{ "errPROG", "program memory function failed" },
	{ "errVERIFY", "programmed memory failed verification" },
	{ "errADDRESS", "cannot program memory due to received address that is out of range" },
	{ "errNOTDONE", "received dfu_dnload with wlength = 0, but device does not think that it has all data yet" },
	{ "errFIRMWARE", "device's firmware is corrupt" },
	{ "errVENDOR", "istring indicates a vendor specific error" },
	{ "errUSBR", "device detected unexpected usb reset signalling" },
	{ "errPOR", "device detected unexpected power on reset" },
	{ "errUNKNOWN", "something went wrong, but the device does not know what it was" },
	{ "errSTALLEDPKT", "device stalled an unexpected request" },
};
#define NSTATUS ((int)(sizeof dfu_status / sizeof dfu_status[0]))

const char *sf_diag_status_name(int status)
{
	if (status >= 0 && status < NSTATUS)
		return dfu_status[status].name;
	return "INVALID";
}

/* ---- small string helpers ----------------------------------------------- */

typedef struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
} sbuf;

__attribute__((format(printf, 2, 3)))
static void sb_printf(sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int need;
	if (b->oom)
		return;
	va_start(ap, fmt);
	need = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (need < 0) {
		b->oom = true;
		return;
	}
	if (b->len + (size_t)need + 1 > b->cap) {
		size_t cap = (b->len + (size_t)need + 1) * 2;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)need;
}

/* Takes the built string (never NULL unless out of memory). */
static char *sb_take(sbuf *b)
{
	char *s;
	if (b->oom) {
		free(b->s);
		return NULL;
	}
	s = b->s ? b->s : strdup("");
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

static bool has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Parses "vvvv:pppp" (exactly 4 hex digits each) at s. */
static bool parse_vidpid(const char *s, uint16_t *vid, uint16_t *pid)
{
	unsigned v = 0, p = 0;
	for (int i = 0; i < 4; i++) {
		int a = sf_hex_digit((unsigned char)s[i]);
		if (a < 0)
			return false;
		v = v * 16 + (unsigned)a;
	}
	if (s[4] != ':')
		return false;
	for (int i = 0; i < 4; i++) {
		int a = sf_hex_digit((unsigned char)s[5 + i]);
		if (a < 0)
			return false;
		p = p * 16 + (unsigned)a;
	}
	*vid = (uint16_t)v;
	*pid = (uint16_t)p;
	return true;
}

/* Parses "0x<hex>" at s (up to 8 digits). */
static bool parse_hex32(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	int n = 0;
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return false;
	s += 2;
	while (n < 9 && sf_hex_digit((unsigned char)s[n]) >= 0) {
		v = v * 16 + (uint32_t)sf_hex_digit((unsigned char)s[n]);
		n++;
	}
	if (n == 0 || n > 8)
		return false;
	*out = v;
	return true;
}

static bool parse_dec(const char *s, long *out)
{
	long v = 0;
	int n = 0;
	while (s[n] >= '0' && s[n] <= '9' && n < 10)
		v = v * 10 + (s[n++] - '0');
	if (n == 0 || (s[n] >= '0' && s[n] <= '9'))
		return false;
	*out = v;
	return true;
}

/* ---- line normalisation ------------------------------------------------- */

/* dfu-util lines are short; only this much of a line is examined, so a huge
 * line costs no more than a normal one. */
#define NORM_MAX 1024

typedef struct nline {
	char low[NORM_MAX];   /* lower-cased, prefix stripped, trimmed */
	char orig[NORM_MAX];  /* same span, original case */
	char full[NORM_MAX];  /* lower-cased whole line (prefix kept) */
	bool prefixed;        /* had "dfu-util: " (or "<path>/dfu-util[.exe]: ") */
} nline;

/* Length of an ANSI escape sequence at s (CSI "ESC [ ... final" or a
 * two-byte "ESC x"), 0 if none. Coloured CI logs carry them. */
static size_t ansi_len(const char *s)
{
	size_t n = 2;
	if (s[0] != '\033' || !s[1])
		return 0;
	if (s[1] != '[')
		return 2;
	while (s[n] && n < 32 && !((unsigned char)s[n] >= 0x40 && (unsigned char)s[n] <= 0x7e))
		n++;
	return s[n] ? n + 1 : n;
}

static size_t digits(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

/* Length of a CI timestamp prefix at s, with the blanks after it, or 0:
 * "2026-11-25T09:00:00.123Z ", "2026-11-25 09:00:00,123 ", "[12:00:01] ",
 * "[2026-11-25T09:00:00Z] ", "12:00:01 ". */
static size_t timestamp_len(const char *s)
{
	size_t n = 0, close = 0;
	if (s[0] == '[') {
		n = 1;
		close = 1;
	}
	if (digits(s + n, 5) == 4 && s[n + 4] == '-' && digits(s + n + 5, 3) == 2 && s[n + 7] == '-' &&
	    digits(s + n + 8, 3) == 2 && (s[n + 10] == 'T' || s[n + 10] == ' '))
		n += 11;
	if (!(digits(s + n, 3) == 2 && s[n + 2] == ':' && digits(s + n + 3, 3) == 2 && s[n + 5] == ':' &&
	      digits(s + n + 6, 3) == 2))
		return 0;
	n += 8;
	if (s[n] == '.' || s[n] == ',')
		n += 1 + digits(s + n + 1, 9);
	if (s[n] == 'Z')
		n++;
	else if ((s[n] == '+' || s[n] == '-') && digits(s + n + 1, 3) == 2) {
		n += 3;
		if (s[n] == ':')
			n++;
		n += digits(s + n, 2);
	}
	if (close) {
		if (s[n] != ']')
			return 0;
		n++;
	}
	if (s[n] != ' ' && s[n] != '\t')
		return 0;
	while (s[n] == ' ' || s[n] == '\t')
		n++;
	return n;
}

/* Copies raw without ANSI escapes and without leading CI timestamps. */
static void clean_line(const char *raw, char *dst, size_t cap)
{
	size_t j = 0, skip;
	for (size_t i = 0; raw[i] && j + 1 < cap;) {
		size_t a = ansi_len(raw + i);
		if (a) {
			i += a;
			continue;
		}
		dst[j++] = raw[i++];
	}
	dst[j] = '\0';
	for (int k = 0; k < 2 && (skip = timestamp_len(dst)) > 0; k++)
		memmove(dst, dst + skip, strlen(dst + skip) + 1);
}

static void normalise(const char *raw_in, nline *nl)
{
	char raw[NORM_MAX];
	size_t len, start = 0, end, j;

	clean_line(raw_in, raw, sizeof raw);
	len = strlen(raw);
	end = len;

	nl->prefixed = false;
	for (j = 0; j < len; j++)
		nl->full[j] = (char)tolower((unsigned char)raw[j]);
	nl->full[len] = '\0';
	while (start < end && isspace((unsigned char)raw[start]))
		start++;
	while (end > start && isspace((unsigned char)raw[end - 1]))
		end--;
	/* "<token>dfu-util[.exe]: " where token has no spaces (a path). */
	{
		const char *colon = NULL;
		size_t win = end - start < 200 ? end - start : 200;
		for (size_t k = 0; k < win && !colon; k++)
			if (nl->full[start + k] == ':' && nl->full[start + k + 1] == ' ')
				colon = nl->full + start + k;
		if (colon) {
			size_t tl = (size_t)(colon - (nl->full + start));
			const char *tok = nl->full + start;
			bool nospace = memchr(tok, ' ', tl) == NULL;
			bool ends = (tl >= 8 && !memcmp(tok + tl - 8, "dfu-util", 8)) ||
				    (tl >= 12 && !memcmp(tok + tl - 12, "dfu-util.exe", 12));
			size_t bl = ends ? tl - (tok[tl - 1] == 'e' ? 12 : 8) : 0;
			/* "C:\Program Files\dfu-util\dfu-util.exe: " */
			bool winpath = ends && bl >= 3 && isalpha((unsigned char)tok[0]) && tok[1] == ':' &&
				       tok[2] == '\\' && tok[bl - 1] == '\\';
			if ((nospace || winpath) && ends) {
				start += tl + 2;
				if (start > end)
					start = end; /* "dfu-util: " alone, trailing space trimmed */
				nl->prefixed = true;
				while (start < end && raw[start] == ' ')
					start++;
			}
		}
	}
	memcpy(nl->orig, raw + start, end - start);
	nl->orig[end - start] = '\0';
	memcpy(nl->low, nl->full + start, end - start);
	nl->low[end - start] = '\0';
}

/* ---- facts gathered in one pass ----------------------------------------- */

enum pat {
	P_BANNER, P_DFU_CONTENT,
	P_FILE_DL_OK, P_DL_DONE, P_UL_DONE, P_DONE, P_RECEIVED, P_DONE_PARSING,
	P_LEAVE_REQ, P_MANIFEST, P_FOUND_DFU, P_FOUND_RUNTIME, P_CMD_LEAVE,
	P_WAITING,
	P_MISSING,
	P_CANNOT_OPEN_DFU, P_CANNOT_OPEN_DEVICE, P_NO_DEVICE, P_MULTIPLE,
	P_STILL_RUNTIME, P_LOST_AFTER_RESET, P_NOT_IN_DFU, P_REALLY_RUNTIME,
	P_CLAIM, P_BUSY,
	P_INVALID_ADDR, P_LAST_PAGE, P_PAGE_NOT_WRITABLE, P_CANNOT_ERASE_PAGE,
	P_NOT_READABLE, P_FILE_TOO_BIG,
	P_SUFFIX,
	P_ERASE_NOT_EXEC, P_SETADDR_NOT_EXEC, P_UNPROTECT_NOT_EXEC, P_OTHER_NOT_EXEC,
	P_STATUS_LINE, P_STATUS_NOT_OK, P_STATUS_WARN, P_WRONG_STATE, P_STUCK,
	P_CHUNK_FAILED,
	P_ERR_GETSTATUS, P_ERR_DOWNLOAD, P_DFUSE_XFER, P_ERR_SPECIAL, P_ERR_UPLOAD,
	P_COMPLETION, P_AFTER_COMPLETION, P_RESET_AFTER_DL, P_GET_STATUS_ERR,
	P_CLEAR_STATUS, P_ABORT, P_CANNOT_SET_ALT,
	P_PIPE, P_NODEV, P_IO,
	P_UPLOAD_EXISTS,
	P_DFUSE_FILE, P_ONLY_DFUSE, P_USE_DFUSE_ADDR, P_FILE_ID, P_BAD_DFUSE_FILE,
	P_COUNT
};

typedef struct pat_hits {
	long first, last;
	size_t count;
	long recent[3]; /* last three hit lines, oldest first (for evidence) */
} pat_hits;

typedef struct facts {
	pat_hits p[P_COUNT];
	size_t run_start;         /* first line of the last dfu-util run */
	bool prev_leave_success;  /* an earlier run wrote and left */
	bool prev_found_runtime;  /* an earlier run listed a runtime-mode device */
	long prev_runtime_line;
	char version[24];
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
	long status_line;         /* last line with a non-OK status */
	int status;               /* its bStatus, -1 none */
	char state_name[32];
	char upload_file[200];
	char not_exec_cmd[24];
	char missing_reason[120];
	sf_diag_region segs[SF_DIAG_MAX_REGIONS];
	size_t nsegs;
	long errorish[3];         /* last three unrecognised error-looking lines */
	size_t nerrorish;
	size_t nlines_in_run;
} facts;

static void hit(facts *f, enum pat p, size_t idx)
{
	pat_hits *h = &f->p[p];
	if (h->first < 0)
		h->first = (long)idx;
	h->last = (long)idx;
	h->count++;
	h->recent[0] = h->recent[1];
	h->recent[1] = h->recent[2];
	h->recent[2] = (long)idx;
}

#define HAS(k) (f->p[k].count > 0)

static void copy_word(char *dst, size_t cap, const char *src, const char *stop)
{
	size_t i = 0;
	while (src[i] && !strchr(stop, src[i]) && i + 1 < cap) {
		dst[i] = src[i];
		i++;
	}
	dst[i] = '\0';
}

/* "LIBUSB_ERROR_XXX" anywhere in the original-case text. */
static void capture_libusb_error(const nline *nl, char *dst, size_t cap)
{
	const char *p = strstr(nl->low, "libusb_error_");
	if (p)
		copy_word(dst, cap, nl->orig + (p - nl->low), ") ,:");
	else if (has(nl->low, "permission denied") || has(nl->low, "access denied"))
		snprintf(dst, cap, "LIBUSB_ERROR_ACCESS");
}

static int status_from_text(const char *low)
{
	for (int i = 1; i < NSTATUS; i++)
		if (has(low, dfu_status[i].text))
			return i;
	return -1;
}

static bool is_banner(const nline *nl)
{
	/* "dfu-util 0.11", "dfu-util 0.9-msvc" */
	const char *l = nl->low;
	return starts(l, "dfu-util ") && l[9] >= '0' && l[9] <= '9' && strchr(l + 9, '.') &&
	       !strchr(l + 9, ' ');
}

/* The classification of one line; sets hits and captures. */
static void classify(facts *f, const nline *nl, size_t idx, sf_stream st)
{
	const char *l = nl->low;
	bool recognised = true;

	if (is_banner(nl)) {
		hit(f, P_BANNER, idx);
		copy_word(f->version, sizeof f->version, nl->orig + 9, " ");
		return;
	}
	if (nl->prefixed || starts(l, "opening dfu") || starts(l, "claiming usb dfu") ||
	    starts(l, "device id ") || starts(l, "dfuse interface name"))
		hit(f, P_DFU_CONTENT, idx);

	/* dfu-util missing or unusable (shell, Windows cmd, node's spawn). */
	if ((has(nl->full, "dfu-util") &&
	     (has(nl->full, "command not found") || has(nl->full, "not recognized as an internal or external command") ||
	      has(nl->full, "spawn dfu-util enoent") || has(nl->full, "spawn dfu-util eacces") ||
	      (has(nl->full, "dfu-util: not found")) ||
	      (has(nl->full, "dfu-util: no such file or directory") && !nl->prefixed) ||
	      (has(nl->full, "dfu-util: permission denied") && !nl->prefixed) ||
	      has(nl->full, "exec format error"))) ||
	    has(nl->full, "error while loading shared libraries") ||
	    (has(nl->full, "dyld") && has(nl->full, "library not loaded"))) {
		hit(f, P_MISSING, idx);
		snprintf(f->missing_reason, sizeof f->missing_reason, "%.100s", nl->orig);
		return;
	}

	if (starts(l, "file downloaded successfully")) hit(f, P_FILE_DL_OK, idx);
	else if (starts(l, "download done")) hit(f, P_DL_DONE, idx);
	else if (starts(l, "upload done")) hit(f, P_UL_DONE, idx);
	else if (!strcmp(l, "done!")) hit(f, P_DONE, idx);
	else if (starts(l, "received a total of")) hit(f, P_RECEIVED, idx);
	else if (starts(l, "done parsing dfuse file")) hit(f, P_DONE_PARSING, idx);
	else if (starts(l, "submitting leave request")) hit(f, P_LEAVE_REQ, idx);
	else if (starts(l, "transitioning to dfumanifest")) hit(f, P_MANIFEST, idx);
	else if (starts(l, "found dfu: [")) hit(f, P_FOUND_DFU, idx);
	else if (starts(l, "found runtime: [")) hit(f, P_FOUND_RUNTIME, idx);
	else if (starts(l, "waiting for device")) hit(f, P_WAITING, idx);
	else if (has(l, "dfu-util ") && has(l, ":leave") && (has(l, " -s") || has(l, "--dfuse-address")))
		hit(f, P_CMD_LEAVE, idx);
	else if (starts(l, "cannot open dfu device")) {
		size_t ol = strlen(nl->orig);
		uint16_t v, p;
		hit(f, P_CANNOT_OPEN_DFU, idx);
		if (ol > 23 && parse_vidpid(nl->orig + 23, &v, &p)) {
			f->open_has_id = true;
			f->open_vid = v;
			f->open_pid = p;
		}
		capture_libusb_error(nl, f->open_error, sizeof f->open_error);
	} else if (starts(l, "cannot open device")) {
		hit(f, P_CANNOT_OPEN_DEVICE, idx);
		capture_libusb_error(nl, f->open_error, sizeof f->open_error);
	} else if (starts(l, "no dfu capable usb device")) hit(f, P_NO_DEVICE, idx);
	else if (starts(l, "more than one dfu capable usb device")) hit(f, P_MULTIPLE, idx);
	else if (starts(l, "device still in run-time mode") || starts(l, "device still in runtime mode"))
		hit(f, P_STILL_RUNTIME, idx);
	else if (starts(l, "lost device after reset")) hit(f, P_LOST_AFTER_RESET, idx);
	else if (starts(l, "device is not in dfu mode")) hit(f, P_NOT_IN_DFU, idx);
	else if (starts(l, "device really in run-time mode") || starts(l, "device really in runtime mode"))
		hit(f, P_REALLY_RUNTIME, idx);
	else if (starts(l, "cannot claim interface")) {
		hit(f, P_CLAIM, idx);
		capture_libusb_error(nl, f->claim_error, sizeof f->claim_error);
	} else if (has(l, "libusb_error_busy") || has(l, "resource busy")) hit(f, P_BUSY, idx);
	else if (starts(l, "invalid dfuse address") || starts(l, "invalid dfuse modifier")) {
		const char *c = strchr(nl->orig, ':');
		hit(f, P_INVALID_ADDR, idx);
		snprintf(f->addr_arg, sizeof f->addr_arg, "%.70s", c ? c + 1 + (c[1] == ' ') : "");
	} else if (starts(l, "last page at 0x") && has(l, "not writ")) {
		hit(f, P_LAST_PAGE, idx);
		f->has_last_page = parse_hex32(nl->orig + 13, &f->last_page);
	} else if (starts(l, "page at 0x") && has(l, "not writ")) {
		hit(f, P_PAGE_NOT_WRITABLE, idx);
		f->has_page = parse_hex32(nl->orig + 8, &f->page_addr);
	} else if (starts(l, "page at 0x") && has(l, "can not be erased")) {
		hit(f, P_CANNOT_ERASE_PAGE, idx);
		f->has_page = parse_hex32(nl->orig + 8, &f->page_addr);
	} else if (starts(l, "page at 0x") && has(l, "not readable")) {
		hit(f, P_NOT_READABLE, idx);
		f->has_page = parse_hex32(nl->orig + 8, &f->page_addr);
	} else if (starts(l, "file size is too big") || starts(l, "file too large for memory") ||
		   starts(l, "could not allocate firmware buffer"))
		hit(f, P_FILE_TOO_BIG, idx);
	else if (has(l, "invalid dfu suffix signature") || has(l, "file too short for dfu suffix") ||
		 has(l, "dfu suffix crc does not match") || has(l, "a valid dfu suffix will be required"))
		hit(f, P_SUFFIX, idx);
	else if (has(l, "not correctly executed")) {
		copy_word(f->not_exec_cmd, sizeof f->not_exec_cmd, nl->orig, " ");
		if (starts(l, "erase_page") || starts(l, "mass_erase"))
			hit(f, P_ERASE_NOT_EXEC, idx);
		else if (starts(l, "set_address"))
			hit(f, P_SETADDR_NOT_EXEC, idx);
		else if (starts(l, "read_unprotect"))
			hit(f, P_UNPROTECT_NOT_EXEC, idx);
		else
			hit(f, P_OTHER_NOT_EXEC, idx);
	} else if ((starts(l, "dfu state(") || starts(l, "state(")) && has(l, "status(")) {
		const char *s = strstr(l, "status(");
		long v;
		if (parse_dec(s + 7, &v) && v > 0 && v < 256) {
			const char *eq = strstr(l, ") = ");
			hit(f, P_STATUS_LINE, idx);
			f->status_line = (long)idx;
			f->status = (int)v;
			f->state_name[0] = '\0';
			if (eq && eq < s)
				copy_word(f->state_name, sizeof f->state_name, nl->orig + (eq + 4 - l), ", ");
		} else {
			recognised = true; /* an OK status line is normal flow */
		}
	} else if (starts(l, "determining device status: state = ") && has(l, "status = ")) {
		/* 0.9/0.10 set-up line */
		long v;
		if (parse_dec(strstr(l, "status = ") + 9, &v) && v > 0 && v < 256) {
			hit(f, P_STATUS_LINE, idx);
			f->status_line = (long)idx;
			f->status = (int)v;
			copy_word(f->state_name, sizeof f->state_name, nl->orig + 35, ", ");
		}
	} else if (starts(l, "status is not ok:")) {
		long v;
		hit(f, P_STATUS_NOT_OK, idx);
		if (parse_dec(l + 17 + (l[17] == ' '), &v) && v > 0 && v < 256 && f->status_line < 0) {
			f->status = (int)v;
			f->status_line = (long)idx;
		}
	} else if (starts(l, "warning: dfu status:")) {
		int v = status_from_text(l);
		hit(f, P_STATUS_WARN, idx);
		if (v > 0 && f->status_line < 0) {
			f->status = v;
			f->status_line = (long)idx;
		}
	} else if (starts(l, "wrong state after command")) hit(f, P_WRONG_STATE, idx);
	else if (starts(l, "device stuck after special command")) hit(f, P_STUCK, idx);
	else if (starts(l, "failed to write whole chunk") || !strcmp(l, "failed!"))
		hit(f, P_CHUNK_FAILED, idx);
	else if (starts(l, "error during download get_status")) hit(f, P_ERR_GETSTATUS, idx);
	else if (starts(l, "error during download")) hit(f, P_ERR_DOWNLOAD, idx);
	else if (starts(l, "dfuse_download: libusb_control_transfer returned")) hit(f, P_DFUSE_XFER, idx);
	else if (starts(l, "error during special command")) hit(f, P_ERR_SPECIAL, idx);
	else if (starts(l, "error during upload") || starts(l, "dfuse_upload: libusb_control_transfer returned"))
		hit(f, P_ERR_UPLOAD, idx);
	else if (starts(l, "error sending completion packet")) hit(f, P_COMPLETION, idx);
	else if (starts(l, "unable to read dfu status after completion")) hit(f, P_AFTER_COMPLETION, idx);
	else if (starts(l, "error resetting after download")) hit(f, P_RESET_AFTER_DL, idx);
	else if (starts(l, "error get_status")) hit(f, P_GET_STATUS_ERR, idx);
	else if (starts(l, "error clear_status") || starts(l, "can't send dfu_abort") ||
		 starts(l, "usb communication error"))
		hit(f, P_CLEAR_STATUS, idx);
	else if (starts(l, "error sending dfu abort") || starts(l, "error during abort get_status") ||
		 starts(l, "failed to enter idle state on abort"))
		hit(f, P_ABORT, idx);
	else if (starts(l, "cannot set alternate interface"))
		hit(f, P_CANNOT_SET_ALT, idx);
	else if (starts(l, "cannot open file") && has(l, "for writing")) {
		const char *s = nl->orig + 17;
		const char *e = strstr(l, " for writing");
		size_t n = (size_t)(e - l) > 17 ? (size_t)(e - l) - 17 : 0;
		if (has(l, "file exists"))
			hit(f, P_UPLOAD_EXISTS, idx);
		else
			recognised = false;
		snprintf(f->upload_file, sizeof f->upload_file, "%.*s", (int)(n > 190 ? 190 : n), s);
	} else if (starts(l, "this is a dfuse file, not meant for raw download")) hit(f, P_DFUSE_FILE, idx);
	else if (starts(l, "only dfuse file version")) hit(f, P_ONLY_DFUSE, idx);
	else if (has(l, "for raw binary download, use the --dfuse-address")) hit(f, P_USE_DFUSE_ADDR, idx);
	else if (has(l, "file id ") && has(l, "does not match device")) hit(f, P_FILE_ID, idx);
	else if (starts(l, "file too small for a dfuse file") || starts(l, "no valid dfuse signature") ||
		 starts(l, "dfu format revision") || starts(l, "no valid target signature") ||
		 starts(l, "file too small for element size") || starts(l, "corrupt dfuse file") ||
		 starts(l, "unsupported dfu suffix length") || starts(l, "invalid dfu suffix length"))
		hit(f, P_BAD_DFUSE_FILE, idx);
	else if (starts(l, "downloading element to address = 0x") || starts(l, "downloading to address = 0x")) {
		const char *a = strstr(l, "0x");
		const char *sz = strstr(l, "size = ");
		f->has_elem = parse_hex32(nl->orig + (a - l), &f->elem_addr);
		if (!sz || !parse_dec(sz + 7, &f->elem_size))
			f->elem_size = -1;
	} else if (starts(l, "memory segment at 0x") && f->nsegs < SF_DIAG_MAX_REGIONS) {
		/* "Memory segment at 0x08000000  20 x 1024 = 20480 (r)" (-v) */
		uint32_t a;
		long cnt, size;
		const char *p = l + 18;
		if (parse_hex32(nl->orig + 18, &a)) {
			p = strchr(p, ' ');
			while (p && *p == ' ')
				p++;
			if (p && parse_dec(p, &cnt) && (p = strstr(p, " x ")) && parse_dec(p + 3, &size)) {
				const char *paren = strchr(p, '(');
				sf_diag_region *r = &f->segs[f->nsegs++];
				r->start = a;
				r->end = (uint64_t)a + (uint64_t)cnt * (uint64_t)size;
				r->writable = paren && strchr(paren, 'w') != NULL;
			}
		}
	} else if (starts(l, "error obtaining dfu functional descriptor") || starts(l, "please report this as a bug") ||
		   starts(l, "device has dfu interface, but has no dfu functional") ||
		   starts(l, "failed to retrieve") || starts(l, "broken langid") || starts(l, "string descriptor") ||
		   starts(l, "malformed string descriptor") || starts(l, "patching string descriptor") ||
		   starts(l, "could not read name") || starts(l, "non-valid multiplier") ||
		   starts(l, "parsing type identifier") || starts(l, "no valid type for segment") ||
		   starts(l, "error detaching") || starts(l, "can't detach") || starts(l, "invalid descriptor list") ||
		   starts(l, "libusb version is ancient") || starts(l, "unbound upload not supported") ||
		   starts(l, "no alternate setting") || has(l, "bytes leftover")) {
		/* warnings dfu-util carries on after: not failures by themselves */
	} else
		recognised = false;

	/* The libusb error names may ride on any line. */
	if (has(l, "libusb_error_pipe") || has(l, "broken pipe") || has(l, "(-9)") ||
	    has(l, "returned -9 "))
		hit(f, P_PIPE, idx);
	if (has(l, "libusb_error_no_device") || has(l, "no such device") || has(l, "(-4)") ||
	    has(l, "returned -4 "))
		hit(f, P_NODEV, idx);
	if (has(l, "libusb_error_io") || has(l, "input/output error") || has(l, "returned -1 ("))
		hit(f, P_IO, idx);

	if (!recognised && l[0] && !has(l, "warning") &&
	    (st == SF_STREAM_STDERR || nl->prefixed || has(l, "error") || has(l, "cannot") ||
	     has(l, "can't") || has(l, "failed") || has(l, "could not") || has(l, "unable"))) {
		/* Remember the last few unrecognised error-looking lines. */
		if (f->nerrorish < 3)
			f->errorish[f->nerrorish++] = (long)idx;
		else {
			f->errorish[0] = f->errorish[1];
			f->errorish[1] = f->errorish[2];
			f->errorish[2] = (long)idx;
		}
	}
}

/* ---- building diagnoses ------------------------------------------------- */

typedef struct builder {
	const sf_transcript *t;
	const sf_diag_context *ctx;
	facts *f;
	sf_diag_result *r;
	bool oom;
} builder;

static char *sanitised_copy(const char *s)
{
	size_t n = strnlen(s, SF_DIAG_EVIDENCE_CHARS);
	char *c = malloc(n + 4);
	if (!c)
		return NULL;
	size_t j = 0;
	for (size_t i = 0; i < n;) {
		unsigned char ch = (unsigned char)s[i];
		size_t a = ansi_len(s + i);
		if (a) { /* colour codes are noise, not evidence */
			i += a;
			continue;
		}
		c[j++] = (ch < 0x20 && ch != '\t') || ch >= 0x7f ? '?' : (char)ch;
		i++;
	}
	if (s[n]) {
		memcpy(c + j, "...", 4);
	} else {
		c[j] = '\0';
	}
	return c;
}

static sf_diagnosis *add(builder *b, const char *id)
{
	const sf_diag_info *info = sf_diag_lookup(id);
	sf_diagnosis *grown, *d;
	for (size_t i = 0; i < b->r->n; i++)
		if (!strcmp(b->r->items[i].id, id))
			return &b->r->items[i];
	grown = realloc(b->r->items, (b->r->n + 1) * sizeof *grown);
	if (!grown) {
		b->oom = true;
		return NULL;
	}
	b->r->items = grown;
	d = &grown[b->r->n++];
	memset(d, 0, sizeof *d);
	d->id = info->id;
	d->severity = info->severity;
	d->exit_code = info->exit_code;
	d->status = -1;
	return d;
}

static void evidence(builder *b, sf_diagnosis *d, long line)
{
	if (!d || line < 0 || (size_t)line >= b->t->n)
		return;
	for (size_t i = 0; i < d->nevidence; i++)
		if (d->evidence[i].line == (size_t)line)
			return;
	if (d->nevidence == SF_DIAG_MAX_EVIDENCE)
		return;
	d->evidence[d->nevidence].line = (size_t)line;
	d->evidence[d->nevidence].text = sanitised_copy(b->t->lines[line].text);
	if (!d->evidence[d->nevidence].text)
		b->oom = true;
	d->nevidence++;
}

static void evidence_pat(builder *b, sf_diagnosis *d, enum pat p)
{
	const pat_hits *h = &b->f->p[p];
	if (!h->count)
		return;
	evidence(b, d, h->first);
	for (int i = 0; i < 3; i++)
		if (h->recent[i] >= 0 && h->recent[i] != h->first)
			evidence(b, d, h->recent[i]);
}

static bool utf8_valid(const unsigned char *s)
{
	while (*s) {
		size_t n = *s < 0x80 ? 0 : (*s & 0xe0) == 0xc0 ? 1 : (*s & 0xf0) == 0xe0 ? 2 :
			   (*s & 0xf8) == 0xf0 ? 3 : 4;
		if (n == 4 || (n && *s < 0xc2 && n == 1))
			return false;
		s++;
		for (size_t k = 0; k < n; k++, s++)
			if ((*s & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/* Texts quote words from the log (an address, a file name): no control
 * character reaches a terminal, and JSON gets valid UTF-8. */
static void make_printable(char *s)
{
	bool ascii_only = !utf8_valid((const unsigned char *)s);
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || (ascii_only && (unsigned char)*s >= 0x80))
			*s = '?';
}

static void set_text(builder *b, char **dst, sbuf *sb)
{
	char *s = sb_take(sb);
	if (!s) {
		b->oom = true;
		return;
	}
	make_printable(s);
	free(*dst);
	*dst = s;
}

/* Sets summary / explanation / fix from printf formats (one call each). */
#define SET(b, d, field, ...)                                  \
	do {                                                   \
		if (d) {                                       \
			sbuf sb_ = { 0 };                      \
			sb_printf(&sb_, __VA_ARGS__);          \
			set_text((b), &(d)->field, &sb_);      \
		}                                              \
	} while (0)

static const char *device_label(const sf_diag_context *ctx)
{
	return ctx && ctx->device_name ? ctx->device_name : "the device";
}

static void append_dfu_help(sbuf *sb, const sf_diag_context *ctx)
{
	if (ctx && ctx->dfu_mode_help)
		sb_printf(sb, "put %s in DFU mode: %s", device_label(ctx), ctx->dfu_mode_help);
	else
		sb_printf(sb, "put the device in DFU mode (Spark/Particle: hold SETUP/MODE, tap RESET, "
			      "keep SETUP/MODE held until the LED blinks yellow, then release)");
}

static const sf_diag_usbdev *find_dev(const sf_diag_context *ctx, uint16_t vid, uint16_t pid, bool runtime)
{
	for (size_t i = 0; ctx && i < ctx->ndevices; i++) {
		const sf_diag_usbdev *u = &ctx->devices[i];
		if (vid || pid) {
			if (u->vid == vid && u->pid == pid)
				return u;
		} else if (u->runtime == runtime) {
			return u;
		}
	}
	return NULL;
}

static const sf_diag_rule *find_rule(const sf_diag_context *ctx, uint16_t vid, uint16_t pid)
{
	for (size_t i = 0; ctx && i < ctx->nrules; i++)
		if (ctx->rules[i].vid == vid && ctx->rules[i].pid == pid)
			return &ctx->rules[i];
	return NULL;
}

static bool in_writable(const sf_diag_region *regs, size_t n, uint32_t addr, int *known)
{
	for (size_t i = 0; i < n; i++)
		if (addr >= regs[i].start && addr < regs[i].end) {
			*known = 1;
			return regs[i].writable;
		}
	if (n)
		*known = 1;
	return false;
}

static void diag_missing(builder *b)
{
	const sf_transcript *t = b->t;
	facts *f = b->f;
	sf_diagnosis *d = add(b, "dfu-util-missing");
	if (!d)
		return;
	evidence_pat(b, d, P_MISSING);
	if (t->spawn_failed)
		SET(b, d, summary, "dfu-util could not be started (%s)", strerror(t->spawn_errno ? t->spawn_errno : ENOENT));
	else if (f->missing_reason[0])
		SET(b, d, summary, "dfu-util is not installed or cannot start");
	else
		SET(b, d, summary, "dfu-util was not found (exit status %d)", t->exit_status);
	SET(b, d, explanation, "sparkflash drives the external dfu-util program; it was not found on PATH, is not "
				"executable, or lacks a library it needs (libusb-1.0), so nothing was sent to the device");
	SET(b, d, fix, "install dfu-util 0.9 or newer (Debian/Ubuntu: sudo apt-get install dfu-util; macOS: brew install "
		       "dfu-util; Windows: unpack the dfu-util release and add it to PATH), or point to it with "
		       "--dfu-util PATH or the DFU_UTIL environment variable; check with 'sparkflash doctor'");
}

static void diag_permission(builder *b, bool run_succeeded)
{
	facts *f = b->f;
	const sf_diag_context *ctx = b->ctx;
	sf_diagnosis *d = add(b, "permission-denied");
	const char *err = f->open_error[0] ? f->open_error : "no error code shown";
	bool windows = strstr(f->open_error, "NOT_SUPPORTED") || strstr(f->open_error, "NOT_FOUND") ||
		       (ctx && ctx->os && !strcmp(ctx->os, "windows"));
	uint16_t vid = f->open_vid, pid = f->open_pid;
	bool have_id = f->open_has_id;
	sbuf fix = { 0 };

	if (!d)
		return;
	if (!have_id && ctx && ctx->has_dfu_id) {
		vid = ctx->dfu_vid;
		pid = ctx->dfu_pid;
		have_id = true;
	}
	evidence_pat(b, d, P_CANNOT_OPEN_DFU);
	evidence_pat(b, d, P_CANNOT_OPEN_DEVICE);
	evidence_pat(b, d, P_NO_DEVICE);
	if (run_succeeded)
		d->severity = SF_DIAG_WARNING;
	if (have_id)
		SET(b, d, summary, "USB permission denied: dfu-util could not open %04x:%04x (%s)", vid, pid, err);
	else
		SET(b, d, summary, "USB permission denied: dfu-util could not open the device (%s)", err);
	if (windows) {
		SET(b, d, explanation, "no WinUSB/libusb driver is bound to the DFU-mode device (or another vendor's "
					"driver, e.g. ST's DfuSe driver, owns it), so libusb cannot open it%s",
		    run_succeeded ? "; the operation itself succeeded, so this was probably another device" : "");
		sb_printf(&fix, "install the WinUSB driver for the DFU-mode device with Zadig (https://zadig.akeo.ie): "
				"Options > List All Devices, pick the device");
		if (have_id)
			sb_printf(&fix, " (USB ID %04X %04X)", vid, pid);
		sb_printf(&fix, ", choose WinUSB and press Replace Driver; do the same for the normal-mode device if "
				"sparkflash has to switch it to DFU mode");
	} else {
		SET(b, d, explanation, "the operating system refused to open the USB device node: on Linux, "
					"/dev/bus/usb/BBB/DDD is not writable by this user because no udev rule grants "
					"access (on macOS another driver may hold it)%s",
		    run_succeeded ? "; the operation itself succeeded, so this was probably another device" : "");
		sb_printf(&fix, "install udev rules with 'sudo sparkflash udev install', then unplug and replug the "
				"device (or run as root)");
		if (ctx && ctx->host_known) {
			const sf_diag_usbdev *u = have_id ? find_dev(ctx, vid, pid, false) : NULL;
			const sf_diag_rule *rule = have_id ? find_rule(ctx, vid, pid) : NULL;
			if (u && u->node_known)
				sb_printf(&fix, "; on this host %s is owner %s, group %s, mode %04o%s", u->node, u->owner,
					  u->group, u->mode,
					  u->accessible == 1 ? " and this user can open it now (replugged since?)" :
					  u->accessible == 0 ? ", not writable by this user" : "");
			else if (have_id)
				sb_printf(&fix, "; no %04x:%04x device is attached to this host now", vid, pid);
			if (rule && rule->covered == 1)
				sb_printf(&fix, "; a udev rule for %04x:%04x is installed (%s): replug the device and make "
						"sure you are logged in locally or in group plugdev", vid, pid, rule->file);
			else if (rule && rule->covered == 0)
				sb_printf(&fix, "; no udev rule for %04x:%04x is installed", vid, pid);
		}
	}
	set_text(b, &d->fix, &fix);
}

static void diag_no_device(builder *b)
{
	const sf_diag_context *ctx = b->ctx;
	sf_diagnosis *d = add(b, "no-device");
	sbuf fix = { 0 };
	if (!d)
		return;
	evidence_pat(b, d, P_NO_DEVICE);
	if (ctx && ctx->has_dfu_id)
		SET(b, d, summary, "no %s in DFU mode (%04x:%04x) was found", device_label(ctx), ctx->dfu_vid, ctx->dfu_pid);
	else
		SET(b, d, summary, "no device in DFU mode was found");
	SET(b, d, explanation, "dfu-util found no USB device in DFU mode matching the selection: the device is "
				"not connected, is running its firmware (normal mode) instead of the bootloader, or "
				"the cable carries power only");
	append_dfu_help(&fix, ctx);
	if (ctx && ctx->host_known) {
		const sf_diag_usbdev *rt = ctx->has_runtime_id ? find_dev(ctx, ctx->runtime_vid, ctx->runtime_pid, true) : NULL;
		const sf_diag_usbdev *dfu = ctx->has_dfu_id ? find_dev(ctx, ctx->dfu_vid, ctx->dfu_pid, false) : NULL;
		if (rt)
			sb_printf(&fix, "; on this host %s is attached in normal mode (%04x:%04x, bus %u device %u): it "
					"must be put in DFU mode first", device_label(ctx), rt->vid, rt->pid, rt->busnum,
				  rt->devnum);
		else if (dfu)
			sb_printf(&fix, "; a DFU-mode %04x:%04x is attached now (bus %u device %u): retry", dfu->vid,
				  dfu->pid, dfu->busnum, dfu->devnum);
		else if (ctx->has_dfu_id)
			sb_printf(&fix, "; no %s is attached to this host in either mode: check the cable (use a data "
					"cable, not a charge-only one) and the port", device_label(ctx));
	} else {
		sb_printf(&fix, "; use a data cable (not charge-only), then check with 'sparkflash list'");
	}
	set_text(b, &d->fix, &fix);
}

static void diag_status(builder *b, const char *id, int status)
{
	facts *f = b->f;
	sf_diagnosis *d = add(b, id);
	const char *name = status >= 0 ? sf_diag_status_name(status) : NULL;
	const char *text = status >= 0 && status < NSTATUS ? dfu_status[status].text : NULL;
	if (!d)
		return;
	d->status = status;
	if (name) {
		free(d->status_name);
		d->status_name = strdup(name);
		if (!d->status_name)
			b->oom = true;
	}
	evidence(b, d, f->status_line);
	evidence_pat(b, d, P_STATUS_NOT_OK);
	evidence_pat(b, d, P_WRONG_STATE);
	evidence_pat(b, d, P_ERASE_NOT_EXEC);
	evidence_pat(b, d, P_SETADDR_NOT_EXEC);
	evidence_pat(b, d, P_UNPROTECT_NOT_EXEC);
	evidence_pat(b, d, P_OTHER_NOT_EXEC);
	evidence_pat(b, d, P_CHUNK_FAILED);

	if (!strcmp(id, "erase-failed")) {
		if (name)
			SET(b, d, summary, "the device failed to erase flash (%s)", name);
		else
			SET(b, d, summary, "the device failed to erase flash (%s)", f->not_exec_cmd[0] ? f->not_exec_cmd : "erase");
		SET(b, d, explanation, "the device answered an erase command with an error status%s%s: the page may be "
					"write-protected, outside the erasable area, or the flash is failing",
		    text ? ": " : "", text ? text : "");
		SET(b, d, fix, "retry once from a fresh DFU mode entry; if it repeats at the same address, check the "
			       "address against the profile's memory map and the chip's write protection (option "
			       "bytes); the flash is now partly erased, so do not leave DFU mode until a good image is written");
	} else if (!strcmp(id, "write-failed")) {
		SET(b, d, summary, "the device failed to write flash (%s)", name ? name : "write error");
		SET(b, d, explanation, "the device reported %s while programming: %s; the flash now holds a partial image",
		    name ? name : "an error", text ? text : "write failed");
		SET(b, d, fix, "retry the write from a fresh DFU mode entry; if it fails again the region may be "
			       "protected or the flash worn; do not leave DFU mode with a partial image");
	} else if (!strcmp(id, "target-protected")) {
		bool unprot = HAS(P_UNPROTECT_NOT_EXEC);
		SET(b, d, summary, "the device refused the target (%s)", name ? name : (unprot ? "read protection" : "protected"));
		if (status == 1)
			SET(b, d, explanation, "the device says the file is not targeted for use by this device (errTARGET)");
		else
			SET(b, d, explanation, "the flash is read/write protected: the device refuses to change it "
						"until the protection is removed");
		SET(b, d, fix, "check the file is built for this device (profile %s); to remove STM32 read-out "
			       "protection run dfu-util with -s :unprotect:force, which ERASES THE WHOLE FLASH "
			       "(bootloader included on some chips) - only if you can restore it",
		    b->ctx && b->ctx->device_name ? b->ctx->device_name : "in use");
	} else {
		if (name)
			SET(b, d, summary, "the device reported DFU status %s (%d)", name, status);
		else if (HAS(P_WRONG_STATE))
			SET(b, d, summary, "the device answered a command in the wrong state (%s)",
			    f->state_name[0] ? f->state_name : "not dfuDNBUSY");
		else
			SET(b, d, summary, "the device rejected %s", f->not_exec_cmd[0] ? f->not_exec_cmd : "a command");
		if (status == 8)
			SET(b, d, explanation, "errADDRESS: the device received an address out of its range; the address "
						"or size does not fit this alt setting's memory");
		else if (status == 11)
			SET(b, d, explanation, "errVENDOR: a vendor-specific error; on STM32 bootloaders this usually means "
						"the page is read/write protected or the address is not accepted");
		else if (status == 10)
			SET(b, d, explanation, "errFIRMWARE: the device's firmware is corrupt and it cannot return to "
						"normal operation");
		else if (text)
			SET(b, d, explanation, "%s: %s", name, text);
		else if (HAS(P_WRONG_STATE))
			SET(b, d, explanation, "after a DfuSe command the device did not report dfuDNBUSY as the DFU "
						"standard requires (a non-ST DfuSe implementation or a confused device)");
		else
			SET(b, d, explanation, "the device finished %s with an error status (bad address, or flash "
						"read-out protection on STM32)", f->not_exec_cmd[0] ? f->not_exec_cmd : "a command");
		if (status == 10)
			SET(b, d, fix, "stay in DFU mode and write a valid firmware image, then leave DFU mode");
		else if (status == 8 || HAS(P_SETADDR_NOT_EXEC))
			SET(b, d, fix, "check the address and alt setting against the profile (sparkflash checks named "
				       "segments for you); if the address is right, the chip may be read-protected");
		else
			SET(b, d, fix, "reset the device into DFU mode and retry; if the same status comes back, check "
				       "that the image and address suit this device");
	}
}

/* Lines that say nothing about why a run stopped: the banner and its
 * copyright block, and the harmless DFU-suffix warnings. Quoting them as the
 * "last lines" of a killed or timed-out run misleads. */
static bool uninformative(const char *raw)
{
	bool r;
	nline *nl = malloc(sizeof *nl);
	if (!nl)
		return false;
	normalise(raw, nl);
	r = !nl->low[0] || is_banner(nl) || starts(nl->low, "copyright ") ||
	    starts(nl->low, "this program is free software") || starts(nl->low, "please report bugs") ||
	    has(nl->low, "dfu suffix");
	free(nl);
	return r;
}

/* Does the run print anything past dfu-util's banner and suffix warnings?
 * A paste that stops after the banner shows no result. */
static bool run_has_content(const sf_transcript *t, size_t start)
{
	for (size_t i = start; i < t->n; i++)
		if (!uninformative(t->lines[i].text))
			return true;
	return false;
}

static void diag_unknown(builder *b)
{
	const sf_transcript *t = b->t;
	facts *f = b->f;
	sf_diagnosis *d = add(b, "unknown");
	if (!d)
		return;
	if (t->exited && (t->exit_status == 64 || t->exit_status == 65 || t->exit_status == 66 ||
			  t->exit_status == 73))
		d->exit_code = SF_EXIT_REFUSED;
	if (f->nerrorish) {
		for (size_t i = 0; i < f->nerrorish; i++)
			evidence(b, d, f->errorish[i]);
	} else {
		/* the last non-empty lines, preferring stderr when there is any */
		bool any_err = false;
		long idx[3];
		size_t k = 0;
		for (size_t i = f->run_start; i < t->n; i++)
			if (t->lines[i].stream != SF_STREAM_STDOUT && !uninformative(t->lines[i].text))
				any_err = true;
		for (size_t i = t->n; i-- > f->run_start && k < 3;) {
			if ((any_err && t->lines[i].stream == SF_STREAM_STDOUT) || uninformative(t->lines[i].text))
				continue;
			idx[k++] = (long)i;
		}
		while (k)
			evidence(b, d, idx[--k]);
	}
	if (t->term_signal > 0)
		SET(b, d, summary, "dfu-util was killed by signal %d", t->term_signal);
	else if (t->exited && t->exit_status)
		SET(b, d, summary, "dfu-util failed (exit %d) for a reason sparkflash does not recognise", t->exit_status);
	else if (!HAS(P_DFU_CONTENT) && !HAS(P_BANNER) && !f->nerrorish)
		SET(b, d, summary, "the log shows no dfu-util result");
	else if (HAS(P_BANNER) && !run_has_content(t, f->run_start))
		SET(b, d, summary, "the log ends after dfu-util's banner: it shows no result");
	else
		SET(b, d, summary, "dfu-util reported an error sparkflash does not recognise");
	if (t->term_signal > 0) {
		int sig = t->term_signal;
		SET(b, d, summary, "dfu-util was killed by signal %d%s", sig,
		    sig == 2 ? " (SIGINT)" : sig == 9 ? " (SIGKILL)" : sig == 15 ? " (SIGTERM)" : "");
		SET(b, d, explanation, "dfu-util was stopped from outside (Ctrl-C, a CI job or service timeout, or the "
					"out-of-memory killer) before it finished; %s",
		    d->nevidence ? "the last lines it printed are quoted below" : "it printed nothing useful first");
		SET(b, d, fix, "rerun without interrupting it (raise the CI job's time limit if that stopped it); if "
			       "it was writing, the flash may be partly written: put the device back in DFU mode and "
			       "flash again");
		return;
	}
	if (!d->nevidence || !run_has_content(t, f->run_start)) {
		SET(b, d, explanation, "there were no output lines to go by: the paste is empty, cut short, or "
					"lacks dfu-util's error output (stderr)");
		SET(b, d, fix, "paste the whole output of the failing command, errors included (e.g. 'COMMAND 2>&1 | "
			       "sparkflash diagnose'); if it was 'dfu-util -l' printing only the banner, no DFU "
			       "device is attached: put the device in DFU mode and check with 'sparkflash list'");
		return;
	}
	SET(b, d, explanation, "%s", d->nevidence ? "the last error lines are quoted below" :
				     "there were no output lines to go by");
	SET(b, d, fix, "read the quoted lines; rerun with -v for more detail; if the cause is unclear, report the "
		       "transcript (sparkflash --log FILE) so a diagnosis can be added");
}

static int rank(const sf_diagnosis *d)
{
	if (!strcmp(d->id, "dfu-util-missing"))
		return 0;
	if (!strcmp(d->id, "timeout"))
		return 1;
	return 2;
}

static int cmp_diag(const void *a, const void *b)
{
	const sf_diagnosis *x = a, *y = b;
	size_t lx = x->nevidence ? x->evidence[0].line : (size_t)-1;
	size_t ly = y->nevidence ? y->evidence[0].line : (size_t)-1;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	if (rank(x) != rank(y))
		return rank(x) < rank(y) ? -1 : 1;
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Is line i after line j in time? Different known streams are not ordered
 * against each other (the runner may store them separately). */
static bool after(const sf_transcript *t, long i, long j)
{
	if (i < 0 || j < 0)
		return false;
	if (t->lines[i].stream != t->lines[j].stream &&
	    t->lines[i].stream != SF_STREAM_UNKNOWN && t->lines[j].stream != SF_STREAM_UNKNOWN)
		return true;
	return i > j;
}

static bool is_command_line(const char *low)
{
	/* "$ dfu-util ..." / "$ /usr/bin/dfu-util ..." (runner log, pasted shell) */
	return low[0] == '$' && low[1] == ' ' && strstr(low, "dfu-util") != NULL;
}

/* The run of interest is the last one in the log: it starts at the last
 * command line or banner. Lines before a command line belong to earlier runs
 * whatever their stream; before a banner only stdout/unknown lines do (the
 * runner may store stderr apart from stdout). */
static size_t find_run_start(const sf_transcript *t, size_t *strict_start)
{
	size_t start = 0;
	nline *nl = malloc(sizeof *nl);
	*strict_start = 0;
	if (!nl)
		return 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->lines[i].stream == SF_STREAM_STDERR)
			continue;
		normalise(t->lines[i].text, nl);
		if (is_banner(nl))
			start = i;
		if (t->lines[i].stream == SF_STREAM_UNKNOWN && is_command_line(nl->full)) {
			start = i;
			*strict_start = i;
		}
	}
	free(nl);
	return start;
}

int sf_diagnose(const sf_transcript *t, const sf_diag_context *ctx, sf_diag_result *out)
{
	facts *f = calloc(1, sizeof *f);
	nline *nl = malloc(sizeof *nl);
	builder b = { .t = t, .ctx = ctx, .r = out };
	bool success_marker, failed_exit, leave_unconfirmed = false, had_error;
	long anchor = -1;
	size_t strict_start = 0;

	memset(out, 0, sizeof *out);
	if (!f || !nl) {
		free(f);
		free(nl);
		return SF_EXIT_INTERNAL;
	}
	b.f = f;
	for (int p = 0; p < P_COUNT; p++) {
		f->p[p].first = f->p[p].last = -1;
		f->p[p].recent[0] = f->p[p].recent[1] = f->p[p].recent[2] = -1;
	}
	f->status_line = -1;
	f->status = -1;

	f->run_start = find_run_start(t, &strict_start);
	{
		/* Did an earlier run (before run_start) write and leave? */
		bool prev = false;
		for (size_t i = 0; i < f->run_start; i++) {
			if (t->lines[i].stream == SF_STREAM_STDERR && i >= strict_start)
				continue;
			normalise(t->lines[i].text, nl);
			if (starts(nl->low, "file downloaded successfully") || starts(nl->low, "submitting leave request") ||
			    starts(nl->low, "transitioning to dfumanifest"))
				prev = true;
			if (starts(nl->low, "found runtime: [")) {
				f->prev_found_runtime = true;
				f->prev_runtime_line = (long)i;
			}
			if (starts(nl->low, "found dfu: ["))
				f->prev_found_runtime = false; /* a later DFU listing supersedes it */
		}
		f->prev_leave_success = prev;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (i < strict_start || (i < f->run_start && t->lines[i].stream != SF_STREAM_STDERR))
			continue;
		normalise(t->lines[i].text, nl);
		f->nlines_in_run++;
		classify(f, nl, i, t->lines[i].stream);
	}
	free(nl);
	snprintf(out->version, sizeof out->version, "%s", f->version);

	success_marker = HAS(P_FILE_DL_OK) || HAS(P_UL_DONE) || HAS(P_DONE) || HAS(P_RECEIVED) ||
			 HAS(P_DONE_PARSING) || HAS(P_DL_DONE) || HAS(P_MANIFEST);
	failed_exit = (t->exited && t->exit_status != 0) || t->term_signal > 0;

	/* 1. dfu-util could not run at all. */
	if (t->spawn_failed || HAS(P_MISSING) ||
	    (t->exited && (t->exit_status == 127 || t->exit_status == 126) && !HAS(P_BANNER) && !HAS(P_DFU_CONTENT))) {
		diag_missing(&b);
		goto finish;
	}

	/* 2. Stopped by our own timeout. */
	if (t->timed_out) {
		sf_diagnosis *d = add(&b, "timeout");
		long last = -1;
		for (size_t i = t->n; i-- > f->run_start;)
			if (!uninformative(t->lines[i].text)) {
				last = (long)i;
				break;
			}
		evidence(&b, d, last);
		SET(&b, d, summary, "dfu-util did not finish in time and was stopped");
		if (HAS(P_WAITING))
			SET(&b, d, explanation, "dfu-util was waiting for a device to appear (-w) and none did");
		else
			SET(&b, d, explanation, "dfu-util stopped making progress; the last line it printed is quoted "
						"(the device may hang in a command, or the transfer is slower than the limit)");
		SET(&b, d, fix, "check that the device is in DFU mode and answering ('sparkflash list'), reset it into "
				"DFU mode, and raise --timeout for large images or slow devices");
	}

	/* 3. Leave step: the download finished, then the device vanished while
	 * being asked to leave DFU mode. */
	if (HAS(P_FILE_DL_OK))
		anchor = f->p[P_FILE_DL_OK].last;
	else if (HAS(P_UL_DONE) && HAS(P_LEAVE_REQ))
		anchor = f->p[P_UL_DONE].last;
	else if ((HAS(P_DL_DONE) || HAS(P_DONE)) &&
		 (HAS(P_AFTER_COMPLETION) || HAS(P_RESET_AFTER_DL) || (t->exited && t->exit_status == 251)))
		anchor = HAS(P_DL_DONE) ? f->p[P_DL_DONE].last : f->p[P_DONE].last;
	else if (HAS(P_LEAVE_REQ))
		anchor = f->p[P_LEAVE_REQ].last; /* DfuSe command mode: `-s ADDR:leave` alone */
	if (anchor >= 0 && !t->timed_out) {
		static const enum pat leave_errs[] = {
			P_ERR_GETSTATUS, P_ERR_DOWNLOAD, P_DFUSE_XFER, P_PIPE, P_NODEV, P_IO,
			P_RESET_AFTER_DL, P_AFTER_COMPLETION, P_GET_STATUS_ERR, P_ABORT,
		};
		bool err_after = false;
		for (size_t k = 0; k < sizeof leave_errs / sizeof leave_errs[0]; k++)
			if (after(t, f->p[leave_errs[k]].last, anchor))
				err_after = true;
		if (err_after || failed_exit) {
			sf_diagnosis *d = add(&b, "leave-unconfirmed");
			leave_unconfirmed = true;
			evidence(&b, d, anchor);
			evidence_pat(&b, d, P_LEAVE_REQ);
			for (size_t k = 0; k < sizeof leave_errs / sizeof leave_errs[0]; k++)
				if (after(t, f->p[leave_errs[k]].last, anchor))
					evidence(&b, d, f->p[leave_errs[k]].last);
			SET(&b, d, summary, "written; the device reset before confirming the leave request");
			if (!HAS(P_FILE_DL_OK) && !HAS(P_UL_DONE) && !HAS(P_DL_DONE) && !HAS(P_DONE))
				SET(&b, d, explanation, "dfu-util only asked the device to leave DFU mode (nothing was "
							 "written in this run), then lost it: the bootloader reset at once "
							 "(older Particle bootloaders do) so the last status request failed%s",
				    t->exited && t->exit_status ? " and dfu-util exited non-zero" : "");
			else
				SET(&b, d, explanation, "dfu-util reported the data written ('%s'), then lost the device while "
							 "asking it to leave DFU mode: the bootloader reset at once (older Particle "
							 "bootloaders do) so the last status request failed%s; the data was written",
				    HAS(P_FILE_DL_OK) ? "File downloaded successfully" : "Download done.",
				    t->exited && t->exit_status ? " and dfu-util exited non-zero" : "");
			SET(&b, d, fix, "nothing to do if the device now runs the new firmware; to be sure, read the "
					"region back and compare, or check that the device restarts in normal mode");
		}
	}

	/* 4. Leave ignored: an earlier run wrote and left, a later run found the
	 * device still in DFU mode (or the live caller saw it). */
	if ((ctx && ctx->still_in_dfu_after_leave) ||
	    (f->prev_leave_success && (HAS(P_FOUND_DFU) || HAS(P_DFU_CONTENT)) && !HAS(P_NO_DEVICE))) {
		sf_diagnosis *d = add(&b, "leave-ignored");
		evidence_pat(&b, d, P_FOUND_DFU);
		SET(&b, d, summary, "written, but the device stayed in DFU mode after the leave request");
		SET(&b, d, explanation, "the data was written and the device was told to start it, yet it is still in "
					 "DFU mode: the image at the start address is not valid for it (wrong address, "
					 "platform or a corrupt build), or the bootloader does not jump cleanly");
		SET(&b, d, fix, "reset or power-cycle the device; if it comes back in DFU mode (blinking yellow), "
				"check that the image was built for this device and written to the right address");
	}

	/* 5. Permission / driver. */
	{
		bool open_denied = HAS(P_CANNOT_OPEN_DFU) ||
				   (HAS(P_CANNOT_OPEN_DEVICE) && strstr(f->open_error, "ACCESS"));
		bool run_ok = success_marker && !failed_exit;
		/* a listing whose wanted device is the one not opened: an error */
		if (open_denied)
			diag_permission(&b, !(ctx && ctx->no_dfu_device_matched) &&
					    (run_ok || (HAS(P_FOUND_DFU) && !HAS(P_NO_DEVICE) && !failed_exit && HAS(P_CANNOT_OPEN_DFU) && f->p[P_CANNOT_OPEN_DFU].count < f->p[P_FOUND_DFU].count)));
		if (HAS(P_CLAIM) || (HAS(P_BUSY) && !open_denied)) {
			sf_diagnosis *d = add(&b, "device-busy");
			evidence_pat(&b, d, P_CLAIM);
			evidence_pat(&b, d, P_BUSY);
			SET(&b, d, summary, "the USB interface is held by another program or driver (%s)",
			    f->claim_error[0] ? f->claim_error : "cannot claim interface");
			SET(&b, d, explanation, "dfu-util opened the device but could not claim its DFU interface: "
						 "another dfu-util, particle-cli, an IDE or a kernel driver is using it");
			SET(&b, d, fix, "close other programs using the device (another dfu-util, particle-cli, serial "
					"monitors, ModemManager) and retry; if nothing else runs, unplug and replug it");
		}
		if (HAS(P_MULTIPLE)) {
			sf_diagnosis *d = add(&b, "multiple-devices");
			evidence_pat(&b, d, P_MULTIPLE);
			SET(&b, d, summary, "more than one DFU device (or alt setting) matched");
			SET(&b, d, explanation, "dfu-util needs exactly one match; every alt setting counts as a "
						 "device, so a request without -a matches several, and other DFU devices "
						 "on the host (e.g. Apple Bluetooth, some webcams) can match a loose -d");
			SET(&b, d, fix, "pick one: pass --serial SN or --path BUS-PORT (see 'sparkflash list') or "
					"disconnect the other DFU devices; with bare dfu-util give -d VID:PID, -a ALT and "
					"-S SERIAL");
		}
		if (HAS(P_STILL_RUNTIME) || HAS(P_NOT_IN_DFU) || HAS(P_LOST_AFTER_RESET) ||
		    (HAS(P_REALLY_RUNTIME) && (HAS(P_CANNOT_OPEN_DEVICE) || HAS(P_NO_DEVICE)) && !open_denied) ||
		    ((HAS(P_NO_DEVICE) || (ctx && ctx->no_dfu_device_matched)) &&
		     (HAS(P_FOUND_RUNTIME) || f->prev_found_runtime) && !HAS(P_FOUND_DFU) && !open_denied)) {
			sf_diagnosis *d = add(&b, "runtime-mode");
			sbuf fix = { 0 };
			evidence_pat(&b, d, P_STILL_RUNTIME);
			evidence_pat(&b, d, P_NOT_IN_DFU);
			evidence_pat(&b, d, P_REALLY_RUNTIME);
			evidence_pat(&b, d, P_LOST_AFTER_RESET);
			evidence_pat(&b, d, P_FOUND_RUNTIME);
			if (f->prev_found_runtime)
				evidence(&b, d, f->prev_runtime_line);
			evidence_pat(&b, d, P_NO_DEVICE);
			SET(&b, d, summary, "%s is in normal (runtime) mode, not DFU mode", device_label(ctx));
			if (HAS(P_LOST_AFTER_RESET))
				SET(&b, d, explanation, "dfu-util asked the running device to switch to DFU mode "
							 "(detach) but it did not come back in DFU mode (on Windows, "
							 "WinUSB cannot reset a device that does not detach by itself)");
			else
				SET(&b, d, explanation, "the device answered as a runtime (application) DFU interface; "
							 "flashing needs the bootloader's DFU mode");
			append_dfu_help(&fix, ctx);
			sb_printf(&fix, "; then retry");
			set_text(&b, &d->fix, &fix);
		} else if (HAS(P_NO_DEVICE) && !open_denied) {
			diag_no_device(&b);
		}
	}

	/* 6. Refusals before any data moved. */
	if (HAS(P_INVALID_ADDR)) {
		sf_diagnosis *d = add(&b, "address-invalid");
		bool leave_word = strstr(f->addr_arg, "leave") != NULL;
		evidence_pat(&b, d, P_INVALID_ADDR);
		SET(&b, d, summary, "dfu-util rejected the DfuSe address or modifier '%s'", f->addr_arg);
		if (leave_word && strstr(f->addr_arg, ":leave") && !strchr(f->addr_arg + 1, ' '))
			SET(&b, d, explanation, "this dfu-util does not know the ':leave' modifier (dfu-util 0.5 and "
						 "older), so it rejected the whole -s argument");
		else
			SET(&b, d, explanation, "dfu-util could not parse the -s argument: it reads a leading 0 as octal "
						 "(08000000 is invalid) and needs full modifier words (leave, force, "
						 "unprotect, mass-erase, will-reset)");
		if (leave_word)
			SET(&b, d, fix, "upgrade dfu-util to 0.9 or newer; sparkflash builds -s for you from the profile");
		else
			SET(&b, d, fix, "give the address as 0x... hex (e.g. 0x08005000) with full modifier words; "
					"sparkflash builds -s for you from the profile and a named segment");
	}
	if (HAS(P_FILE_TOO_BIG) || HAS(P_LAST_PAGE) || HAS(P_PAGE_NOT_WRITABLE) || HAS(P_CANNOT_ERASE_PAGE) ||
	    HAS(P_NOT_READABLE)) {
		int known = 0;
		bool start_ok = false;
		if (f->has_elem) {
			if (ctx && ctx->nregions)
				start_ok = in_writable(ctx->regions, ctx->nregions, f->elem_addr, &known);
			if (!known)
				start_ok = in_writable(f->segs, f->nsegs, f->elem_addr, &known);
		}
		if (HAS(P_FILE_TOO_BIG) || (HAS(P_LAST_PAGE) && known && start_ok)) {
			sf_diagnosis *d = add(&b, "file-too-large");
			evidence_pat(&b, d, P_FILE_TOO_BIG);
			evidence_pat(&b, d, P_LAST_PAGE);
			if (HAS(P_LAST_PAGE) && f->elem_size >= 0)
				SET(&b, d, summary, "the file (%ld bytes) does not fit in writable memory from 0x%08x",
				    f->elem_size, f->elem_addr);
			else
				SET(&b, d, summary, "the file is too large");
			SET(&b, d, explanation, "%s", HAS(P_LAST_PAGE) ?
				"the start address is writable but the end of the image (last page) is not: the file is "
				"larger than the region it is written to; dfu-util refused before sending data" :
				"dfu-util could not load the file into memory (it is larger than it can handle)");
			SET(&b, d, fix, "check that you picked the right file for this device and segment (a full "
					"system image does not fit the user-firmware slot); sparkflash checks sizes "
					"against the profile before flashing");
		} else {
			sf_diagnosis *d = add(&b, "page-not-writable");
			uint32_t a = f->has_page ? f->page_addr : f->last_page;
			evidence_pat(&b, d, P_LAST_PAGE);
			evidence_pat(&b, d, P_PAGE_NOT_WRITABLE);
			evidence_pat(&b, d, P_CANNOT_ERASE_PAGE);
			evidence_pat(&b, d, P_NOT_READABLE);
			if (HAS(P_NOT_READABLE))
				SET(&b, d, summary, "address 0x%08x is not readable on this alt setting", a);
			else if (HAS(P_CANNOT_ERASE_PAGE))
				SET(&b, d, summary, "the page at 0x%08x can not be erased on this alt setting", a);
			else
				SET(&b, d, summary, "address 0x%08x is not writable on this alt setting", a);
			SET(&b, d, explanation, "the memory map the device reports for this alt setting does not allow "
						 "this access there (e.g. the Spark bootloader area 0x08000000-0x08004FFF "
						 "is read-only)%s; dfu-util refused before sending data",
			    HAS(P_LAST_PAGE) && !known ? ", or the file runs past the end of the region" : "");
			SET(&b, d, fix, "check the address and the alt setting (-a) against the profile or 'sparkflash "
					"list'; write a named segment instead of a raw address; use :force only if "
					"you know the device's map is wrong");
		}
	}
	if (HAS(P_DFUSE_FILE) || HAS(P_ONLY_DFUSE) || HAS(P_USE_DFUSE_ADDR) || HAS(P_FILE_ID) || HAS(P_BAD_DFUSE_FILE)) {
		sf_diagnosis *d = add(&b, "dfuse-file-mismatch");
		bool v09 = !strncmp(f->version, "0.9", 3);
		evidence_pat(&b, d, P_DFUSE_FILE);
		evidence_pat(&b, d, P_ONLY_DFUSE);
		evidence_pat(&b, d, P_USE_DFUSE_ADDR);
		evidence_pat(&b, d, P_FILE_ID);
		evidence_pat(&b, d, P_BAD_DFUSE_FILE);
		if (HAS(P_DFUSE_FILE)) {
			SET(&b, d, summary, "a .dfu (DfuSe) file was given together with an address");
			SET(&b, d, explanation, "a DfuSe file carries its own addresses; dfu-util refuses to write it to a raw -s address");
			SET(&b, d, fix, "flash the .dfu without an address (no -s), or convert it to a raw .bin");
		} else if (HAS(P_FILE_ID)) {
			SET(&b, d, summary, "the file's DFU suffix names another device");
			SET(&b, d, explanation, "the DFU suffix of the file carries a USB vendor/product ID that matches "
						 "neither the runtime nor the DFU-mode ID of the device");
			SET(&b, d, fix, "use the image built for this device; if you are sure, strip or fix the suffix (dfu-suffix)");
		} else if (HAS(P_BAD_DFUSE_FILE)) {
			SET(&b, d, summary, "the DfuSe file or DFU suffix is malformed");
			SET(&b, d, explanation, "dfu-util could not parse the file's DfuSe structure or suffix; it is "
						 "truncated or not a .dfu file");
			SET(&b, d, fix, "rebuild or re-download the file; a raw .bin must be flashed with an address");
		} else {
			SET(&b, d, summary, "a raw binary was sent to a DfuSe device without an address");
			SET(&b, d, explanation, "without -s ADDRESS dfu-util expects a DfuSe (.dfu) file%s",
			    v09 ? "; dfu-util 0.9 also treats -s 0 as no address (fixed in 0.10)" : "");
			SET(&b, d, fix, "give the target address (-s 0x...:leave), or let sparkflash take it from the "
					"profile's named segment%s", v09 ? "; upgrade dfu-util to 0.10 or newer" : "");
		}
	}
	if (HAS(P_UPLOAD_EXISTS)) {
		sf_diagnosis *d = add(&b, "upload-file-exists");
		evidence_pat(&b, d, P_UPLOAD_EXISTS);
		SET(&b, d, summary, "the upload target '%s' already exists", f->upload_file);
		SET(&b, d, explanation, "dfu-util never overwrites an upload file (it creates it exclusively), and "
					 "refused before reading anything");
		SET(&b, d, fix, "remove or rename '%s', or upload to another file name", f->upload_file);
	}

	/* 7. Device-reported status errors. */
	if (!leave_unconfirmed || f->status_line >= 0) {
		int st = f->status;
		bool fail_context = failed_exit || HAS(P_CHUNK_FAILED) || HAS(P_WRONG_STATE) || HAS(P_STATUS_NOT_OK) ||
				    HAS(P_ERASE_NOT_EXEC) || HAS(P_SETADDR_NOT_EXEC) || HAS(P_UNPROTECT_NOT_EXEC) ||
				    HAS(P_OTHER_NOT_EXEC) || (!t->exited && HAS(P_STATUS_LINE));
		if (leave_unconfirmed && !HAS(P_CHUNK_FAILED))
			fail_context = false;
		if (fail_context) {
			if (st == 4 || st == 5 || (st < 0 && HAS(P_ERASE_NOT_EXEC)))
				diag_status(&b, "erase-failed", st);
			else if (st == 3 || st == 6 || st == 7)
				diag_status(&b, "write-failed", st);
			else if (st == 1 || (st < 0 && HAS(P_UNPROTECT_NOT_EXEC)))
				diag_status(&b, "target-protected", st);
			else if (st > 0 || HAS(P_WRONG_STATE) || HAS(P_SETADDR_NOT_EXEC) || HAS(P_OTHER_NOT_EXEC) ||
				 HAS(P_STATUS_NOT_OK) || HAS(P_CHUNK_FAILED))
				diag_status(&b, "status-error", st);
		}
	}

	/* 8. USB-level transfer failures (not the leave step). */
	if (!leave_unconfirmed) {
		bool stalled = HAS(P_PIPE);
		bool lost = HAS(P_NODEV) || HAS(P_IO) || HAS(P_ERR_SPECIAL) || HAS(P_COMPLETION) || HAS(P_ERR_GETSTATUS) ||
			    HAS(P_GET_STATUS_ERR) || HAS(P_ERR_DOWNLOAD) || HAS(P_ERR_UPLOAD) || HAS(P_STUCK) ||
			    HAS(P_CLEAR_STATUS) || HAS(P_ABORT) || HAS(P_CANNOT_SET_ALT) || HAS(P_AFTER_COMPLETION) ||
			    (HAS(P_CANNOT_OPEN_DEVICE) && !strstr(f->open_error, "ACCESS") && !HAS(P_REALLY_RUNTIME));
		bool status_found = false;
		for (size_t i = 0; i < out->n; i++)
			if (out->items[i].status >= 0 || !strcmp(out->items[i].id, "erase-failed") ||
			    !strcmp(out->items[i].id, "status-error"))
				status_found = true;
		if (stalled && !(HAS(P_NODEV) && !HAS(P_ERR_DOWNLOAD) && !HAS(P_DFUSE_XFER))) {
			sf_diagnosis *d = add(&b, "transfer-stalled");
			evidence_pat(&b, d, P_PIPE);
			evidence_pat(&b, d, P_ERR_DOWNLOAD);
			evidence_pat(&b, d, P_ERR_SPECIAL);
			evidence_pat(&b, d, P_ERR_GETSTATUS);
			SET(&b, d, summary, "the device stalled a USB request (LIBUSB_ERROR_PIPE)");
			SET(&b, d, explanation, "the device answered a DFU request with a STALL: it rejected the command "
						 "in its current state (e.g. an address it does not accept) or the USB "
						 "link glitched; the transfer stopped part way");
			SET(&b, d, fix, "reset the device into DFU mode and retry; if it stalls at the same point, "
					"check the address and that the image suits this device; otherwise try another "
					"cable or port (no hub)");
		} else if (lost && !status_found) {
			sf_diagnosis *d = add(&b, "device-lost");
			evidence_pat(&b, d, P_NODEV);
			evidence_pat(&b, d, P_IO);
			evidence_pat(&b, d, P_ERR_SPECIAL);
			evidence_pat(&b, d, P_ERR_DOWNLOAD);
			evidence_pat(&b, d, P_ERR_GETSTATUS);
			evidence_pat(&b, d, P_GET_STATUS_ERR);
			evidence_pat(&b, d, P_ERR_UPLOAD);
			evidence_pat(&b, d, P_COMPLETION);
			evidence_pat(&b, d, P_STUCK);
			evidence_pat(&b, d, P_CLEAR_STATUS);
			evidence_pat(&b, d, P_ABORT);
			evidence_pat(&b, d, P_CANNOT_OPEN_DEVICE);
			evidence_pat(&b, d, P_CANNOT_SET_ALT);
			SET(&b, d, summary, "the device stopped answering during the transfer");
			SET(&b, d, explanation, "the device disconnected, reset or stopped responding in the middle of "
						 "the operation (cable, hub or power trouble, or the device crashed); the "
						 "flash may be partly written");
			SET(&b, d, fix, "use another cable and a port directly on the computer (no hub), make sure "
					"the device has stable power, put it back in DFU mode and flash again");
		}
	}

	/* 9. Harmless notes. */
	if (HAS(P_SUFFIX)) {
		sf_diagnosis *d = add(&b, "suffix-missing");
		evidence_pat(&b, d, P_SUFFIX);
		SET(&b, d, summary, "the file has no DFU suffix (normal for a raw .bin)");
		SET(&b, d, explanation, "dfu-util warns when a file lacks the 16-byte DFU suffix (or its CRC is "
					 "wrong); raw firmware .bin files never have one");
		SET(&b, d, fix, "nothing to do");
	}

finish:
	had_error = false;
	for (size_t i = 0; i < out->n; i++)
		if (out->items[i].severity == SF_DIAG_ERROR)
			had_error = true;
	if (!had_error && !b.oom) {
		bool failure;
		if (leave_unconfirmed)
			failure = false;
		else if (t->exited)
			failure = failed_exit;
		else if (t->term_signal > 0)
			failure = true;
		else
			failure = f->nerrorish > 0 ? !(success_marker || HAS(P_FOUND_DFU) || HAS(P_FOUND_RUNTIME)) :
				  !(success_marker || (HAS(P_BANNER) && run_has_content(t, f->run_start)) ||
				    HAS(P_DFU_CONTENT) || HAS(P_FOUND_DFU) ||
				    HAS(P_FOUND_RUNTIME));
		if (failure) {
			diag_unknown(&b);
			had_error = true;
		}
	}
	if (b.oom) {
		free(f);
		sf_diag_result_free(out);
		return SF_EXIT_INTERNAL;
	}
	if (out->n > 1)
		qsort(out->items, out->n, sizeof *out->items, cmp_diag);
	if (had_error) {
		out->verdict = SF_VERDICT_FAILURE;
		out->exit_code = out->items[0].exit_code;
	} else {
		bool warn = false;
		for (size_t i = 0; i < out->n; i++)
			if (out->items[i].severity == SF_DIAG_WARNING)
				warn = true;
		out->verdict = warn ? SF_VERDICT_WARNINGS : SF_VERDICT_SUCCESS;
		out->exit_code = 0;
	}
	free(f);
	return 0;
}

void sf_diag_result_free(sf_diag_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		sf_diagnosis *d = &r->items[i];
		free(d->summary);
		free(d->explanation);
		free(d->fix);
		free(d->status_name);
		for (size_t k = 0; k < d->nevidence; k++)
			free(d->evidence[k].text);
	}
	free(r->items);
	memset(r, 0, sizeof *r);
}

size_t sf_diag_transcript_ids(const sf_transcript *t, uint16_t (*ids)[2], size_t max)
{
	size_t n = 0;
	nline *nl = malloc(sizeof *nl);
	if (!nl)
		return 0;
	for (size_t i = 0; i < t->n && n < max; i++) {
		const char *p = NULL;
		uint16_t v, pid;
		bool dup = false;
		normalise(t->lines[i].text, nl);
		size_t ll = strlen(nl->low);
		if (starts(nl->low, "cannot open dfu device "))
			p = nl->orig + 23;
		else if (starts(nl->low, "found dfu: [") || starts(nl->low, "found runtime: ["))
			p = strchr(nl->orig, '[') + 1;
		else if (starts(nl->low, "device id "))
			p = nl->orig + 10;
		else if (starts(nl->low, "id ") && ll > 7 && nl->low[7] == ':')
			p = nl->orig + 3;
		else if (is_command_line(nl->low) && strstr(nl->orig, " -d "))
			p = strstr(nl->orig, " -d ") + 4; /* runtime ID of "-d vid:pid[,vid:pid]" */
		if (!p || !parse_vidpid(p, &v, &pid))
			continue;
		for (size_t k = 0; k < n; k++)
			if (ids[k][0] == v && ids[k][1] == pid)
				dup = true;
		if (!dup) {
			ids[n][0] = v;
			ids[n][1] = pid;
			n++;
		}
	}
	free(nl);
	return n;
}
