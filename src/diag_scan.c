#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag_scan.h"
#include "numparse.h"

/* ---- small string helpers ----------------------------------------------- */

static bool has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

bool sf_diag_parse_vidpid(const char *s, uint16_t *vid, uint16_t *pid)
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

static void copy_word(char *dst, size_t cap, const char *src, const char *stop)
{
	size_t i = 0;
	while (src[i] && !strchr(stop, src[i]) && i + 1 < cap) {
		dst[i] = src[i];
		i++;
	}
	dst[i] = '\0';
}

/* ---- line normalisation ------------------------------------------------- */

size_t sf_diag_ansi_len(const char *s)
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
		size_t a = sf_diag_ansi_len(raw + i);
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

void sf_diag_normalise(const char *raw_in, sf_nline *nl)
{
	char raw[SF_NORM_MAX];
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
			if (nl->full[start + k] == ':' && (nl->full[start + k + 1] == ' ' || start + k + 1 == end))
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
				start += tl + 1;
				if (start > end)
					start = end;
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

static bool is_banner(const sf_nline *nl)
{
	/* "dfu-util 0.11", "dfu-util 0.9-msvc" */
	const char *l = nl->low;
	return starts(l, "dfu-util ") && l[9] >= '0' && l[9] <= '9' && strchr(l + 9, '.') &&
	       !strchr(l + 9, ' ');
}

bool sf_diag_uninformative(const char *raw)
{
	bool r;
	sf_nline *nl = malloc(sizeof *nl);
	if (!nl)
		return false;
	sf_diag_normalise(raw, nl);
	r = !nl->low[0] || is_banner(nl) || starts(nl->low, "copyright ") || starts(nl->low, "(c) ") ||
	    starts(nl->low, "this program is free software") || starts(nl->low, "please report bugs") ||
	    has(nl->low, "dfu suffix");
	free(nl);
	return r;
}

/* ---- command lines ------------------------------------------------------ */

/* Where "dfu-util" (or "dfu-util.exe") stands as a program word followed by
 * an option: the position after the program name, or NULL. */
static const char *dfu_util_word(const char *low)
{
	for (const char *p = strstr(low, "dfu-util"); p; p = strstr(p + 1, "dfu-util")) {
		const char *q = p + 8;
		char before = p == low ? ' ' : p[-1];
		if (!strchr(" \t/\\>$#\"'(", before))
			continue;
		if (starts(q, ".exe"))
			q += 4;
		if (*q == '"' || *q == '\'')
			q++;
		if ((*q == ' ' || *q == '\t') && (q[1] == '-' || (q[1] == ' ' && q[2] == '-')))
			return q;
	}
	return NULL;
}

static bool is_wrapper_command(const char *low)
{
	/* the wrappers whose output reaches us: "$ particle flash --usb x" */
	const char *p = low;
	while (*p && strchr("$#> \t", *p))
		p++;
	return starts(p, "particle flash") || starts(p, "particle update") || starts(p, "spark flash") ||
	       starts(p, "particle keys") || starts(p, "spark keys") ||
	       has(low, "$ particle flash") || has(low, "$ particle update") || has(low, "$ spark flash");
}

bool sf_diag_is_command(const sf_nline *nl)
{
	const char *l = nl->full;
	while (*l == ' ' || *l == '\t')
		l++;
	if (nl->prefixed)
		return false;
	if (l[0] == '$' && l[1] == ' ' && strstr(l, "dfu-util"))
		return true;
	return dfu_util_word(l) != NULL || is_wrapper_command(l);
}

/* Reads a command line's options: the operation, the alt, -s, -R, -d. */
static void read_command(sf_run_facts *f, const sf_nline *nl)
{
	const char *low = nl->full, *w = dfu_util_word(nl->full), *p;
	char tok[128];
	enum { NONE, ALT, DADDR, DEV } want = NONE;
	size_t lead = 0;

	while (low[lead] == ' ' || low[lead] == '\t')
		lead++;
	if (!w) {
		if (is_wrapper_command(low)) {
			f->cmd_op = SF_OP_DOWNLOAD;
			/* spark/particle flash --usb always ends with :leave; an
			 * update writes several parts and leaves only after the last */
			if (has(low, "--usb"))
				f->cmd_leave = true;
		}
		return;
	}
	/* nl->orig is the trimmed line in its own case */
	p = nl->orig + (size_t)(w - low) - lead;
	if ((size_t)(w - low) < lead || p > nl->orig + strlen(nl->orig))
		return;
	while (*p) {
		size_t n = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		while (*p && *p != ' ' && *p != '\t' && n + 1 < sizeof tok)
			tok[n++] = *p++;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		tok[n] = '\0';
		if (!n)
			break;
		if (want == ALT) {
			snprintf(f->cmd_alt, sizeof f->cmd_alt, "%.38s", tok);
			f->cmd_alt_given = true;
		} else if (want == DADDR) {
			f->cmd_dfuse_addr = true;
			f->cmd_leave |= has(tok, ":leave");
		} else if (want == DEV) {
			const char *c = strchr(tok, ',');
			const char *id = c && c[1] ? c + 1 : tok; /* the DFU-mode ID after a comma */
			uint16_t v, pp;
			if (id[0] == '0' && (id[1] == 'x' || id[1] == 'X'))
				id += 2;
			if (sf_diag_parse_vidpid(id, &v, &pp)) {
				f->cmd_vid = v;
				f->cmd_pid = pp;
				f->cmd_has_id = true;
			}
			f->cmd_dev_given = true;
		}
		if (want != NONE) {
			want = NONE;
			continue;
		}
		if (tok[0] != '-')
			continue;
		if (!strcmp(tok, "-l") || !strcmp(tok, "--list"))
			f->cmd_op = SF_OP_LIST;
		else if (!strcmp(tok, "-d") || !strcmp(tok, "--device"))
			want = DEV;
		else if (starts(tok, "-D") || starts(tok, "--download"))
			f->cmd_op = SF_OP_DOWNLOAD;
		else if (starts(tok, "-U") || starts(tok, "--upload"))
			f->cmd_op = SF_OP_UPLOAD;
		else if (!strcmp(tok, "-e") || !strcmp(tok, "--detach"))
			f->cmd_op = f->cmd_op ? f->cmd_op : SF_OP_DETACH;
		else if (!strcmp(tok, "-R") || !strcmp(tok, "--reset"))
			f->cmd_reset = true;
		else if (!strcmp(tok, "-a") || !strcmp(tok, "--alt") || !strcmp(tok, "--altsetting"))
			want = ALT;
		else if (starts(tok, "-a")) {
			snprintf(f->cmd_alt, sizeof f->cmd_alt, "%.38s", tok + 2);
			f->cmd_alt_given = true;
		} else if (starts(tok, "--alt=")) {
			snprintf(f->cmd_alt, sizeof f->cmd_alt, "%.38s", tok + 6);
			f->cmd_alt_given = true;
		} else if (!strcmp(tok, "-s") || !strcmp(tok, "--dfuse-address"))
			want = DADDR;
		else if (starts(tok, "-s") || starts(tok, "--dfuse-address=")) {
			f->cmd_dfuse_addr = true;
			f->cmd_leave |= has(tok, ":leave");
		} else if (starts(tok, "-S") || starts(tok, "--serial"))
			f->cmd_serial_given = true;
	}
}

/* ---- classification ----------------------------------------------------- */

static void hit(sf_run_facts *f, enum sf_pat p, size_t idx)
{
	sf_pat_hits *h = &f->p[p];
	if (h->first < 0)
		h->first = (long)idx;
	h->last = (long)idx;
	h->count++;
	h->recent[0] = h->recent[1];
	h->recent[1] = h->recent[2];
	h->recent[2] = (long)idx;
}

#define HAS(k) (f->p[k].count > 0)

/* "LIBUSB_ERROR_XXX" anywhere in the original-case text. */
static void capture_libusb_error(const sf_nline *nl, char *dst, size_t cap)
{
	const char *p = strstr(nl->low, "libusb_error_");
	if (p)
		copy_word(dst, cap, nl->orig + (p - nl->low), ") ,:");
	else if (has(nl->low, "permission denied") || has(nl->low, "access denied"))
		snprintf(dst, cap, "LIBUSB_ERROR_ACCESS");
}

static const struct {
	const char *name;
	const char *text; /* dfu-util's text, lower case, for matching */
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

const char *sf_diag_status_text(int status)
{
	return status >= 0 && status < NSTATUS ? dfu_status[status].text : NULL;
}

static int status_from_text(const char *low)
{
	for (int i = 1; i < NSTATUS; i++)
		if (has(low, dfu_status[i].text))
			return i;
	return -1;
}

/* Texts dfu-util prints through warnx/errx: on Linux and macOS they carry the
 * "dfu-util: " prefix, Windows builds print them bare. */
static bool is_dfu_util_message(const char *l)
{
	static const char *const msgs[] = {
		"cannot open dfu device", "no dfu capable usb device", "more than one dfu capable",
		"invalid dfu suffix signature", "a valid dfu suffix will be required", "file too short for dfu suffix",
		"dfu suffix crc does not match", "error during ", "lost device after reset",
		"cannot claim interface", "last page at", "page at 0x", "no such alternate setting",
		"could not open file", "cannot open file", "invalid dfuse", "wrong state after command",
		"status is not ok", "error get_status", "error clear_status", "cannot set alternate interface",
		"error sending completion packet", "only dfuse file version", "failed to parse memory layout",
		"unbound upload not supported", "warning: invalid dfu suffix", "error: file id",
	};
	for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
		if (starts(l, msgs[i]))
			return true;
	return false;
}

/* The end of a progress bar in l ("...  42%        1024 bytes"): where the
 * text after its last " bytes" starts, or NULL when l has no bar. */
static const char *progress_end(const char *l, int *percent, unsigned long *bytes, bool *failed)
{
	const char *last = NULL;
	*failed = false;
	for (const char *p = strstr(l, " bytes"); p; p = strstr(p + 1, " bytes")) {
		const char *q = p;
		const char *pc;
		unsigned long b = 0, mul = 1;
		long pct = 0;
		/* digits before " bytes", then spaces, then "NN%" */
		while (q > l && q[-1] >= '0' && q[-1] <= '9') {
			q--;
			b += mul * (unsigned long)(*q - '0');
			mul *= 10;
			if (mul > 1000000000UL)
				break;
		}
		if (q == p)
			continue;
		while (q > l && (q[-1] == ' ' || q[-1] == '\t'))
			q--;
		if (q == l || q[-1] != '%')
			continue;
		pc = q - 1;
		q = pc;
		while (q > l && q[-1] >= '0' && q[-1] <= '9')
			q--;
		if (q == pc || !parse_dec(q, &pct))
			continue;
		last = p + 6;
		if (pct > *percent)
			*percent = (int)pct;
		if (b > *bytes)
			*bytes = b;
	}
	if (last) {
		while (*last == ' ' || *last == '\t')
			last++;
		if (starts(last, "failed!")) {
			*failed = true;
			last += 7;
			while (*last == ' ')
				last++;
		}
	}
	return last;
}

static void set_status(sf_run_facts *f, size_t idx, int v, const char *state, bool setup)
{
	if (setup) {
		f->initial_status_line = (long)idx;
		f->initial_status = v;
		return;
	}
	f->status_line = (long)idx;
	f->status = v;
	snprintf(f->state_name, sizeof f->state_name, "%s", state ? state : "");
}

/* The classification of one (normalised) line; sets hits and captures. */
static void classify(sf_run_facts *f, const sf_nline *nl, size_t idx, sf_stream st)
{
	const char *l = nl->low;
	bool recognised = true;
	bool setup = f->setup_end < 0 && f->xfer_start < 0;

	if (!l[0])
		return;
	if (is_banner(nl)) {
		long maj, min;
		const char *dot;
		hit(f, P_BANNER, idx);
		copy_word(f->version, sizeof f->version, nl->orig + 9, " ");
		dot = strchr(l + 9, '.');
		if (parse_dec(l + 9, &maj) && dot && parse_dec(dot + 1, &min)) {
			f->vmajor = (int)maj;
			f->vminor = (int)min;
		}
		return;
	}
	if (sf_diag_is_command(nl)) {
		hit(f, P_CMD, idx);
		read_command(f, nl);
		if (has(nl->full, ".exe") || has(nl->full, ":\\") || has(nl->full, "/cygdrive/"))
			hit(f, P_WINDOWS, idx);
		return;
	}
	if (is_dfu_util_message(l)) {
		if (nl->prefixed)
			f->prefixed_msgs++;
		else
			f->unprefixed_msgs++;
	}
	if (nl->prefixed || starts(l, "opening dfu") || starts(l, "claiming usb dfu") ||
	    starts(l, "device id ") || starts(l, "dfuse interface name") || starts(l, "determining device status"))
		hit(f, P_DFU_CONTENT, idx);

	/* Operating-system hints (drive letters, Windows/macOS tools). */
	if ((isalpha((unsigned char)nl->full[0]) && nl->full[1] == ':' && (nl->full[2] == '\\' || nl->full[2] == '/')) ||
	    has(nl->full, " c:\\") || has(nl->full, " c:/") || has(nl->full, "ps c:") || has(nl->full, "dfu-util.exe") ||
	    has(nl->full, "/cygdrive/") || has(nl->full, "zadig") || has(nl->full, "winusb") ||
	    has(nl->full, "libusbk") || has(nl->full, "mingw"))
		hit(f, P_WINDOWS, idx);
	if (has(nl->full, "ubuntu") || has(nl->full, "debian") || has(nl->full, "fedora") ||
	    has(nl->full, "raspberrypi") || has(nl->full, "pi@") || has(nl->full, "manjaro") ||
	    has(nl->full, "/dev/tty") || has(nl->full, "/home/") || starts(nl->full, "bus 0") ||
	    has(nl->full, "udev") || has(nl->full, "linux"))
		hit(f, P_LINUX, idx);
	if (has(nl->full, "macbook") || has(nl->full, "-mbp") || has(nl->full, "imac") ||
	    has(nl->full, "/usr/local/cellar") || has(nl->full, "/opt/homebrew") || has(nl->full, "darwin") ||
	    has(nl->full, "/users/") || has(nl->full, "dyld"))
		hit(f, P_MACOS, idx);

	/* dfu-util missing or unusable (shell, Windows cmd, node's spawn). */
	if ((has(nl->full, "dfu-util") &&
	     (has(nl->full, "command not found") || has(nl->full, "not recognized as an internal or external command") ||
	      has(nl->full, "spawn dfu-util enoent") || has(nl->full, "spawn dfu-util eacces") ||
	      has(nl->full, "dfu-util: not found") || has(nl->full, "cannot run program") ||
	      (has(nl->full, "dfu-util: no such file or directory") && !nl->prefixed) ||
	      (has(nl->full, "dfu-util: permission denied") && !nl->prefixed) ||
	      has(nl->full, "exec format error"))) ||
	    has(nl->full, "error while loading shared libraries") ||
	    (has(nl->full, "dyld") && has(nl->full, "library not loaded"))) {
		hit(f, P_MISSING, idx);
		snprintf(f->missing_reason, sizeof f->missing_reason, "%.100s", nl->orig);
		return;
	}

	/* A wrapper's account of dfu-util's exit status. */
	{
		const char *e = NULL;
		long v;
		if ((e = strstr(l, "] error ")) && (starts(l, "make") || starts(l, "gmake") || starts(l, "*** ")))
			e += 8;
		else if (starts(l, "*** [") && (e = strstr(l, "] error ")))
			e += 8;
		else if ((e = strstr(l, "exit code ")))
			e += 10;
		else if ((e = strstr(l, "return code: ")))
			e += 13;
		else if ((e = strstr(l, "exit status ")))
			e += 12;
		else
			e = NULL;
		if (e && parse_dec(e, &v) && v < 256)
			f->exit_hint = v;
		/* a wrapper that says the flash failed: dfu-util's exit was not 0 */
		else if (f->exit_hint < 0 &&
			 (has(l, "error writing firmware") || has(l, "flash failed") || has(l, "flashing failed") ||
			  has(l, "writing over dfu failed") || has(l, "error: command failed") ||
			  has(l, "failed to flash")))
			f->exit_hint = 1;
	}

	if (starts(l, "file downloaded successfully")) hit(f, P_FILE_DL_OK, idx);
	else if (starts(l, "download done")) hit(f, P_DL_DONE, idx);
	else if (starts(l, "upload done")) hit(f, P_UL_DONE, idx);
	else if (!strcmp(l, "done!")) hit(f, P_DONE, idx);
	else if (starts(l, "received a total of")) hit(f, P_RECEIVED, idx);
	else if (starts(l, "done parsing dfuse file")) hit(f, P_DONE_PARSING, idx);
	else if (starts(l, "submitting leave request")) hit(f, P_LEAVE_REQ, idx);
	else if (starts(l, "transitioning to dfumanifest")) hit(f, P_MANIFEST, idx);
	else if (starts(l, "resetting usb to switch back to run")) hit(f, P_RESET_RUNTIME, idx);
	else if (starts(l, "found dfu: [") || starts(l, "found dfu:[")) hit(f, P_FOUND_DFU, idx);
	else if (starts(l, "found runtime: [") || starts(l, "found runtime:[")) hit(f, P_FOUND_RUNTIME, idx);
	else if (starts(l, "waiting for device")) hit(f, P_WAITING, idx);
	else if (starts(l, "opening dfu capable usb device") || starts(l, "opening dfu usb device")) {
		hit(f, P_OPENING, idx);
		if (has(l, " id ") && sf_diag_parse_vidpid(strstr(l, " id ") + 4, &f->dev_vid, &f->dev_pid))
			f->opened_id = true;
	} else if (starts(l, "device id ") || (starts(l, "id ") && strlen(l) >= 12 && l[7] == ':')) {
		if (sf_diag_parse_vidpid(nl->orig + (l[0] == 'd' ? 10 : 3), &f->dev_vid, &f->dev_pid))
			f->opened_id = true;
	} else if (starts(l, "run-time device dfu version ") || starts(l, "device dfu version ")) {
		unsigned v = 0;
		const char *p = strstr(l, "version ") + 8;
		for (int k = 0; k < 4 && sf_hex_digit((unsigned char)p[k]) >= 0; k++)
			v = v * 16 + (unsigned)sf_hex_digit((unsigned char)p[k]);
		f->rt_dfu_version = (int)v;
	} else if (starts(l, "dfu mode device dfu version") || starts(l, "device returned transfer size") ||
		   starts(l, "dfuidle, continuing")) {
		hit(f, P_SETUP_END, idx);
		if (f->setup_end < 0)
			f->setup_end = (long)idx;
	} else if (starts(l, "setting alternate setting #") || starts(l, "setting alternate interface #")) {
		long a;
		if (parse_dec(strchr(l, '#') + 1, &a))
			f->alt_set = (int)a;
	} else if (!strcmp(l, "clearing status") || starts(l, "dfuerror, clearing status"))
		hit(f, P_CLEAR_STATUS_OK, idx);
	else if (starts(l, "aborting previous incomplete transfer")) hit(f, P_ABORTING, idx);
	else if (starts(l, "cannot open dfu device")) {
		size_t ol = strlen(nl->orig);
		uint16_t v, p;
		hit(f, P_CANNOT_OPEN_DFU, idx);
		if (ol > 23 && sf_diag_parse_vidpid(nl->orig + 23, &v, &p)) {
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
	else if (starts(l, "device really in run-time mode") || starts(l, "device really in runtime mode")) {
		hit(f, P_REALLY_RUNTIME, idx);
		hit(f, P_DETACH, idx);
	} else if (starts(l, "device will detach and reattach") || (starts(l, "resetting usb") && HAS(P_REALLY_RUNTIME)))
		hit(f, P_DETACH, idx);
	else if (starts(l, "cannot claim interface")) {
		hit(f, P_CLAIM, idx);
		capture_libusb_error(nl, f->claim_error, sizeof f->claim_error);
	} else if (starts(l, "cannot set alternate interface zero") || starts(l, "cannot set alt interface zero")) {
		hit(f, P_SET_ALT_ZERO, idx);
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
	else if ((has(l, "could not open file") || starts(l, "cannot open file") || starts(l, "can't open file")) &&
		 has(l, "for reading")) {
		/* Windows 0.8 puts strerror first: "No such file or directory:
		 * Could not open file x.bin for reading" */
		/* the name: after "open file " up to " for reading" (offsets into
		 * low and orig are the same; found by fuzzing: a name glued to
		 * "file" or a "for reading" before it must not read off the end) */
		size_t from = (size_t)(strstr(l, "open file") - l) + 9;
		const char *e = strstr(l + from, " for reading");
		size_t n = 0;
		if (l[from] == ' ')
			from++;
		if (e && (size_t)(e - l) > from)
			n = (size_t)(e - l) - from;
		hit(f, P_FILE_NOT_FOUND, idx);
		snprintf(f->missing_file, sizeof f->missing_file, "%.*s", (int)(n > 190 ? 190 : n), nl->orig + from);
	} else if (has(l, "invalid dfu suffix signature") || has(l, "file too short for dfu suffix") ||
		   has(l, "dfu suffix crc does not match") || has(l, "a valid dfu suffix will be required") ||
		   has(l, "file has no dfu suffix") || has(l, "no valid dfu suffix signature"))
		hit(f, P_SUFFIX, idx);
	else if (starts(l, "unsupported dfu file revision") || starts(l, "dfu crc does not match"))
		hit(f, P_OLD_FILE_FORMAT, idx);
	else if (starts(l, "no such alternate setting")) {
		const char *c = strchr(nl->orig, ':');
		hit(f, P_NO_SUCH_ALT, idx);
		snprintf(f->no_alt, sizeof f->no_alt, "%.30s", c ? c + 1 + (c[1] == ' ') : "");
	} else if (starts(l, "failed to parse memory layout")) {
		hit(f, P_NOT_DFUSE, idx);
	} else if (starts(l, "could not read name") || starts(l, "warning: dfuse option used on non-dfuse device")) {
		hit(f, P_NOT_DFUSE_HINT, idx);
	} else if (has(l, "not correctly executed")) {
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
		const char *eq = strstr(l, ") = ");
		long v;
		char state[32] = "";
		if (eq && eq < s)
			copy_word(state, sizeof state, nl->orig + (eq + 4 - l), ", ");
		if (starts(l, "dfu state(7)") || starts(l, "state(7)") || starts(l, "dfu state(8)") || starts(l, "state(8)"))
			hit(f, P_MANIFEST_STATE, idx);
		if (parse_dec(s + 7, &v) && v > 0 && v < 256) {
			hit(f, P_STATUS_LINE, idx);
			set_status(f, idx, (int)v, state, setup);
		}
	} else if (starts(l, "determining device status: state = ") && has(l, "status = ")) {
		/* 0.9/0.10 set-up line */
		long v;
		char state[32];
		copy_word(state, sizeof state, nl->orig + 35, ", ");
		if (parse_dec(strstr(l, "status = ") + 9, &v) && v > 0 && v < 256) {
			hit(f, P_STATUS_LINE, idx);
			set_status(f, idx, (int)v, state, true);
		}
	} else if (starts(l, "status is not ok:")) {
		long v;
		hit(f, P_STATUS_NOT_OK, idx);
		if (parse_dec(l + 17 + (l[17] == ' '), &v) && v > 0 && v < 256)
			set_status(f, idx, (int)v, "dfuERROR", false);
	} else if (starts(l, "warning: dfu status:")) {
		int v = status_from_text(l);
		hit(f, P_STATUS_WARN, idx);
		if (v > 0 && !setup)
			set_status(f, idx, v, "", false);
	} else if (starts(l, "wrong state after command")) {
		const char *q = strchr(nl->orig, '"');
		hit(f, P_WRONG_STATE, idx);
		if (q) {
			copy_word(f->special_cmd, sizeof f->special_cmd, q + 1, "\"");
			f->special_line = (long)idx;
		}
	} else if (starts(l, "device stuck after special command")) hit(f, P_STUCK, idx);
	else if (starts(l, "failed to write whole chunk") || !strcmp(l, "failed!") || !strcmp(l, "failed."))
		hit(f, P_CHUNK_FAILED, idx);
	else if (starts(l, "error during download get_status")) hit(f, P_ERR_GETSTATUS, idx);
	else if (starts(l, "error during special command") || starts(l, "error during special dfuse command")) {
		/* dfu-util: Error during special command "ERASE_PAGE" get_status;
		 * particle-cli's own DFU: ... special DfuSe command ERASE_SECTOR:... */
		/* low and orig are the same text in two cases, offset for offset
		 * (found by fuzzing: "cOmmand" is not "command" in orig) */
		const char *q = nl->orig + (strstr(l, "command") - l) + 7;
		size_t k = 0;
		hit(f, P_ERR_SPECIAL, idx);
		f->special_getstatus = has(l, "get_status");
		while (*q == ' ' || *q == '"')
			q++;
		while (k + 1 < sizeof f->special_cmd && ((q[k] >= 'A' && q[k] <= 'Z') || q[k] == '_'))
			k++;
		snprintf(f->special_cmd, sizeof f->special_cmd, "%.*s", (int)k, q);
		f->special_line = (long)idx;
	} else if (starts(l, "error during download")) hit(f, P_ERR_DOWNLOAD, idx);
	else if (starts(l, "dfuse_download: libusb_control_transfer returned")) hit(f, P_DFUSE_XFER, idx);
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
		f->dfuse = true;
		f->op = SF_OP_DOWNLOAD;
		hit(f, P_XFER_START, idx);
		if (f->xfer_start < 0)
			f->xfer_start = (long)idx;
		f->has_elem = parse_hex32(nl->orig + (a - l), &f->elem_addr);
		if (!sz || !parse_dec(sz + 7, &f->elem_size))
			f->elem_size = -1;
	} else if (starts(l, "copying data from pc to dfu device") || starts(l, "starting download")) {
		f->op = SF_OP_DOWNLOAD;
		hit(f, P_XFER_START, idx);
		if (f->xfer_start < 0)
			f->xfer_start = (long)idx;
		if (has(l, "finished!"))
			hit(f, P_OLD_FINISHED, idx);
	} else if (starts(l, "copying data from dfu device to pc") || starts(l, "starting upload") ||
		   starts(l, "limiting upload") || starts(l, "limiting default upload")) {
		f->op = SF_OP_UPLOAD;
		hit(f, P_XFER_START, idx);
		if (f->xfer_start < 0)
			f->xfer_start = (long)idx;
		if (has(l, "finished!"))
			hit(f, P_OLD_FINISHED, idx);
	} else if (starts(l, "dfuse interface name")) {
		f->dfuse = true;
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
		   starts(l, "non-valid multiplier") ||
		   starts(l, "parsing type identifier") || starts(l, "no valid type for segment") ||
		   starts(l, "error detaching") || starts(l, "can't detach") || starts(l, "invalid descriptor list") ||
		   starts(l, "libusb version is ancient") || starts(l, "unbound upload not supported") ||
		   starts(l, "no alternate setting") || has(l, "bytes leftover") ||
		   starts(l, "error resetting after detach") || starts(l, "warning: runtime device already in dfu")) {
		/* warnings dfu-util carries on after: not failures by themselves */
	} else
		recognised = false;

	/* The libusb error names may ride on any line. */
	if (has(l, "libusb_error_pipe") || has(l, "broken pipe") || has(l, "(-9)") || has(l, "returned -9") ||
	    has(l, ": -9 "))
		hit(f, P_PIPE, idx);
	if (has(l, "libusb_error_no_device") || has(l, "no such device") || has(l, "(-4)") ||
	    has(l, "returned -4") || has(l, ": -4 "))
		hit(f, P_NODEV, idx);
	if (has(l, "libusb_error_io") || has(l, "input/output error") || has(l, "returned -1 (") || has(l, ": -1 ("))
		hit(f, P_IO, idx);
	if (has(l, "libusb_error_timeout") || has(l, "operation timed out") || has(l, "returned -7") ||
	    has(l, ": -7 "))
		hit(f, P_TIMEOUT_ERR, idx);
	if (has(l, "libusb_error_not_supported") || has(l, "libusb_error_not_found"))
		hit(f, P_NOT_SUPPORTED, idx);

	if (!recognised && !has(l, "warning") &&
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

/* dfu-util messages that a wrapper or a flattened paste puts after other
 * text on the same line ("Error writing firmware...Cannot open DFU device",
 * "Error: Invalid dfuse address: ...", suffix warnings and the error on one
 * line): where one starts after position 0, or 0 when none. */
static size_t embedded_message(const char *l)
{
	static const char *const strong[] = {
		"error during ", "cannot open dfu device", "no dfu capable usb device", "more than one dfu capable",
		"invalid dfuse address", "invalid dfuse modifier", "last page at 0x", "page at 0x",
		"cannot claim interface", "lost device after reset", "wrong state after command", "status is not ok",
		"error: file id", "only dfuse file version", "not correctly executed", "no such alternate setting",
		"failed to parse memory layout", "this is a dfuse file", "cannot set alt",
	};
	size_t best = 0, lead = 0;
	if (!l[0])
		return 0; /* (l + 1 would be past the end; found by valgrind) */
	/* the line's own message (a phrase at its start) is not "later on" */
	for (size_t i = 0; i < sizeof strong / sizeof strong[0]; i++)
		if (starts(l, strong[i]) && strlen(strong[i]) > lead)
			lead = strlen(strong[i]);
	if (starts(l, "last page at 0x"))
		lead = 15;
	for (size_t i = 0; i < sizeof strong / sizeof strong[0]; i++) {
		for (const char *p = strstr(l + 1, strong[i]); p; p = strstr(p + 1, strong[i])) {
			size_t at = (size_t)(p - l);
			if (at < lead)
				continue;
			char before = l[at - 1];
			if (!strcmp(strong[i], "not correctly executed")) {
				/* the command word before it belongs to the message */
				while (at > 0 && l[at - 1] == ' ')
					at--;
				while (at > 0 && ((l[at - 1] >= 'a' && l[at - 1] <= 'z') || l[at - 1] == '_'))
					at--;
				if (at == 0)
					break;
				before = l[at - 1];
			}
			if (strchr(" :.!)]", before) || (before >= '0' && before <= '9')) {
				if (!best || at < best)
					best = at;
				break;
			}
		}
	}
	return best;
}

/* Classifies a transcript line: a progress bar first, then what follows it on
 * the same line (Windows and pasted logs glue the next message to the bar,
 * "... 0 bytesPage at 0x08005000 is not writeable"). */
static void classify_line(sf_run_facts *f, sf_nline *nl, const char *raw, size_t idx, sf_stream st)
{
	int pct = -1;
	unsigned long bytes = 0;
	bool failed;
	const char *rest;

	sf_diag_normalise(raw, nl);
	rest = progress_end(nl->low, &pct, &bytes, &failed);
	if (!rest) {
		size_t at;
		classify(f, nl, idx, st);
		/* and a dfu-util message later on the line, once (bounded) */
		if (!sf_diag_is_command(nl) && (at = embedded_message(nl->low)) > 0) {
			char tail[SF_NORM_MAX];
			snprintf(tail, sizeof tail, "%s", nl->orig + at);
			sf_diag_normalise(tail, nl);
			classify(f, nl, idx, st);
		}
		return;
	}
	hit(f, P_PROGRESS, idx);
	hit(f, P_DFU_CONTENT, idx);
	if (f->xfer_start < 0)
		f->xfer_start = (long)idx;
	if (pct > f->max_percent)
		f->max_percent = pct;
	if (bytes > f->max_bytes)
		f->max_bytes = bytes;
	if (has(nl->low, "upload"))
		f->op = f->op ? f->op : SF_OP_UPLOAD;
	else if (has(nl->low, "download") || has(nl->low, "erase"))
		f->op = f->op ? f->op : SF_OP_DOWNLOAD;
	if (failed)
		hit(f, P_CHUNK_FAILED, idx);
	if (*rest) {
		/* the glued message: classify it as a line of its own */
		char tail[SF_NORM_MAX];
		snprintf(tail, sizeof tail, "%s", nl->orig + (rest - nl->low));
		sf_diag_normalise(tail, nl);
		classify(f, nl, idx, st);
	}
}

static void facts_init(sf_run_facts *f)
{
	memset(f, 0, sizeof *f);
	for (int p = 0; p < P_COUNT; p++) {
		f->p[p].first = f->p[p].last = -1;
		f->p[p].recent[0] = f->p[p].recent[1] = f->p[p].recent[2] = -1;
	}
	f->vmajor = f->vminor = -1;
	f->setup_end = f->xfer_start = f->completion = -1;
	f->max_percent = -1;
	f->alt_set = -1;
	f->rt_dfu_version = -1;
	f->status_line = f->initial_status_line = -1;
	f->status = f->initial_status = -1;
	f->special_line = -1;
	f->exit_hint = -1;
}

bool sf_diag_scan_run(const sf_transcript *t, size_t first, size_t end, sf_run_facts *f)
{
	sf_nline *nl = malloc(sizeof *nl);
	static const enum sf_pat done_markers[] = {
		P_FILE_DL_OK, P_DL_DONE, P_UL_DONE, P_DONE, P_RECEIVED, P_DONE_PARSING, P_OLD_FINISHED,
		P_MANIFEST, P_MANIFEST_STATE,
	};

	facts_init(f);
	if (!nl)
		return false;
	for (size_t i = first; i < end && i < t->n; i++) {
		const sf_tline *tl = &t->lines[i];
		if (tl->stream == SF_STREAM_NOTE)
			continue;
		f->nlines++;
		if (tl->stream == SF_STREAM_STDOUT)
			f->stdout_seen = true;
		else if (tl->stream == SF_STREAM_STDERR)
			f->stderr_seen = true;
		else
			f->unknown_seen = true;
		classify_line(f, nl, tl->text, i, tl->stream);
	}
	free(nl);
	for (size_t k = 0; k < sizeof done_markers / sizeof done_markers[0]; k++) {
		long at = f->p[done_markers[k]].first;
		if (at >= 0 && (f->completion < 0 || at < f->completion))
			f->completion = at;
	}
	if (f->cmd_op)
		f->op = f->op && f->cmd_op != SF_OP_DOWNLOAD && f->cmd_op != SF_OP_UPLOAD ? f->op : f->cmd_op;
	if (!f->op && (HAS(P_FOUND_DFU) || HAS(P_FOUND_RUNTIME)) && !HAS(P_OPENING))
		f->op = SF_OP_LIST;
	if (!f->op && (HAS(P_UL_DONE) || HAS(P_RECEIVED)))
		f->op = SF_OP_UPLOAD;
	return true;
}

/* ---- runs --------------------------------------------------------------- */

/* What a line means for telling runs apart. */
enum line_role {
	ROLE_BLANK, ROLE_CONTENT, ROLE_COMMAND, ROLE_BANNER, ROLE_OPENING, ROLE_FOUND, ROLE_END
};

static enum line_role line_role(const sf_nline *nl)
{
	static const char *const ends[] = {
		"no dfu capable usb device", "more than one dfu capable", "invalid dfuse", "cannot claim interface",
		"error during", "last page at", "page at 0x", "no such alternate setting", "lost device after reset",
		"could not open file", "file too large", "file size is too big", "failed to parse memory layout",
		"error: file id", "only dfuse file version", "this is a dfuse file", "unsupported dfu file revision",
		"status is not ok", "wrong state after command", "device still in run", "error get_status",
		"error clear_status", "cannot set alternate interface", "error sending completion packet",
		"failed to write whole chunk", "file downloaded successfully", "upload done", "done!",
		"transitioning to dfumanifest", "received a total", "resetting usb to switch back",
		"you need to specify one of", "error: unexpected argument",
	};
	const char *l = nl->low;
	if (!l[0])
		return ROLE_BLANK;
	if (is_banner(nl))
		return ROLE_BANNER;
	if (sf_diag_is_command(nl))
		return ROLE_COMMAND;
	if (starts(l, "found dfu:") || starts(l, "found runtime:"))
		return ROLE_FOUND;
	if (starts(l, "opening dfu capable usb device") || starts(l, "filter on vendor") ||
	    starts(l, "match vendor id from file"))
		return ROLE_OPENING;
	for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++)
		if (starts(l, ends[i]))
			return ROLE_END;
	if (has(l, "not correctly executed"))
		return ROLE_END;
	return ROLE_CONTENT;
}

static bool note_is(const char *text, const char *key, const char **value)
{
	size_t n = strlen(key);
	if (strncmp(text, key, n) || (text[n] && text[n] != ' '))
		return false;
	*value = text[n] ? text + n + 1 : "";
	return true;
}

/* Applies one note to the run it follows. */
static void apply_note(sf_run *r, const char *text, size_t idx)
{
	const char *v;
	long n;
	if (note_is(text, SF_NOTE_EXIT, &v) && parse_dec(v, &n)) {
		r->outcome_known = r->exited = true;
		r->exit_status = (int)n;
	} else if (note_is(text, SF_NOTE_SIGNAL, &v) && parse_dec(v, &n)) {
		r->outcome_known = true;
		r->term_signal = (int)n;
	} else if (note_is(text, SF_NOTE_TIMED_OUT, &v)) {
		r->outcome_known = r->timed_out = true;
	} else if (note_is(text, SF_NOTE_SPAWN_FAILED, &v)) {
		r->outcome_known = r->spawn_failed = true;
		r->spawn_errno = parse_dec(v, &n) ? (int)n : 2;
	} else if (note_is(text, SF_NOTE_INTERRUPTED, &v) && parse_dec(v, &n) && n >= 1 && n <= 64) {
		r->outcome_known = true;
		r->interrupted = (int)n;
	} else if (note_is(text, SF_NOTE_AFTER_LEAVE, &v)) {
		r->after_leave = starts(v, "dfu") ? SF_AFTER_LEAVE_DFU : starts(v, "gone") ? SF_AFTER_LEAVE_GONE :
			SF_AFTER_LEAVE_UNKNOWN;
		r->after_leave_line = (long)idx;
	} else if (note_is(text, SF_NOTE_VERIFY, &v)) {
		r->verify_line = (long)idx;
		/* "mismatch N RANGES": the space too (a bare "mismatch" ends there;
		 * found by fuzzing) */
		if (starts(v, "mismatch ") && parse_dec(v + 9, &n)) {
			const char *d = strchr(v + 9, ' ');
			r->verify_bytes = n;
			snprintf(r->verify_text, sizeof r->verify_text, "%s", d ? d + 1 : "");
		} else if (starts(v, "ok")) {
			r->verify_bytes = 0;
		}
	} else if (note_is(text, SF_NOTE_SELECT, &v)) {
		r->select = starts(v, "none") ? SF_SELECT_NONE : starts(v, "ambiguous") ? SF_SELECT_AMBIGUOUS :
			    starts(v, "runtime") ? SF_SELECT_RUNTIME : SF_SELECT_OK;
		r->select_line = (long)idx;
	}
}

static void run_init(sf_run *r, size_t first)
{
	memset(r, 0, sizeof *r);
	r->first = first;
	r->verify_bytes = -1;
	r->verify_line = r->after_leave_line = r->select_line = -1;
}

size_t sf_diag_split_runs(const sf_transcript *t, sf_run **out)
{
	sf_run *runs = NULL, *cur;
	size_t n = 0, cap = 0;
	sf_nline *nl = malloc(sizeof *nl);
	bool *substantive = NULL; /* per run: shows more of dfu-util than its banner */
	/* the current run so far */
	bool content = false, banner = false, ended = false, device = false;

	*out = NULL;
	if (!nl)
		return (size_t)-1;
#define NEW_RUN(at)                                                              \
	do {                                                                     \
		if (n == cap) {                                                  \
			size_t c_ = cap ? cap * 2 : 4;                           \
			sf_run *g_ = realloc(runs, c_ * sizeof *g_);             \
			bool *s_ = realloc(substantive, c_ * sizeof *s_);        \
			if (g_)                                                  \
				runs = g_;                                       \
			if (s_)                                                  \
				substantive = s_;                                \
			if (!g_ || !s_) {                                        \
				free(runs);                                      \
				free(substantive);                               \
				free(nl);                                        \
				return (size_t)-1;                               \
			}                                                        \
			cap = c_;                                                \
		}                                                                \
		if (n)                                                           \
			runs[n - 1].end = (at);                                  \
		substantive[n] = false;                                          \
		run_init(&runs[n++], (at));                                      \
		content = banner = ended = device = false;                       \
	} while (0)

	NEW_RUN(0);
	for (size_t i = 0; i < t->n; i++) {
		const sf_tline *tl = &t->lines[i];
		enum line_role role;
		cur = &runs[n - 1];
		if (tl->stream == SF_STREAM_NOTE) {
			bool outcome = cur->outcome_known;
			apply_note(cur, tl->text, i);
			if (cur->outcome_known && !outcome)
				ended = true;
			continue;
		}
		sf_diag_normalise(tl->text, nl);
		role = line_role(nl);
		if (role == ROLE_COMMAND || role == ROLE_OPENING || role == ROLE_FOUND || role == ROLE_END ||
		    nl->prefixed || is_dfu_util_message(nl->low))
			substantive[n - 1] = true;
		switch (role) {
		case ROLE_BLANK:
			continue;
		case ROLE_COMMAND:
			if (content || ended || banner || cur->outcome_known)
				NEW_RUN(i);
			break;
		case ROLE_BANNER:
			if (banner || device || ended)
				NEW_RUN(i);
			banner = true;
			break;
		case ROLE_OPENING:
			if (ended)
				NEW_RUN(i);
			device = true;
			content = true;
			break;
		case ROLE_FOUND:
			content = device = true;
			ended = true;
			break;
		case ROLE_END:
			content = true;
			ended = true;
			break;
		default:
			content = true;
			break;
		}
	}
	runs[n - 1].end = t->n;
	/* A "run" that shows nothing of dfu-util but its banner is the stdout of
	 * the run before it, pasted after that run's stderr (old dfu-util builds
	 * buffer stdout in a pipe): one run. */
	for (size_t i = n; i-- > 1;) {
		if (substantive[i] || runs[i].outcome_known || runs[i].after_leave || runs[i].select ||
		    runs[i].verify_bytes >= 0 || substantive[i - 1] == false)
			continue;
		runs[i - 1].end = runs[i].end;
		memmove(&runs[i], &runs[i + 1], (n - i - 1) * sizeof *runs);
		memmove(&substantive[i], &substantive[i + 1], (n - i - 1) * sizeof *substantive);
		n--;
	}
	free(substantive);
	/* The transcript's own outcome fields describe its last run (live runs,
	 * marked fixtures and the runner log's last record). */
	cur = &runs[n - 1];
	if (!cur->outcome_known && (t->exited || t->term_signal > 0 || t->timed_out || t->spawn_failed || t->interrupted)) {
		cur->outcome_known = true;
		cur->exited = t->exited;
		cur->exit_status = t->exit_status;
		cur->term_signal = t->term_signal;
		cur->timed_out = t->timed_out;
		cur->spawn_failed = t->spawn_failed;
		cur->spawn_errno = t->spawn_errno;
		cur->interrupted = t->interrupted;
	} else if (t->interrupted && !cur->interrupted) {
		cur->interrupted = t->interrupted;
	}
#undef NEW_RUN
	free(nl);
	*out = runs;
	return n;
}

/* ---- listing ------------------------------------------------------------ */

static void quoted_after(const char *orig, const char *low, const char *key, char *dst, size_t cap)
{
	const char *p = strstr(low, key);
	const char *s, *e;
	dst[0] = '\0';
	if (!p)
		return;
	s = orig + (p - low) + strlen(key);
	e = strstr(s, "\", ");
	if (!e)
		e = strrchr(s, '"');
	if (!e || e < s)
		e = s + strlen(s);
	snprintf(dst, cap, "%.*s", (int)(e - s), s);
}

size_t sf_diag_scan_listing(const sf_transcript *t, const sf_run *runs, size_t nruns, sf_listed *out, size_t max)
{
	size_t n = 0, r = 0;
	sf_nline *nl = malloc(sizeof *nl);
	if (!nl)
		return 0;
	for (size_t i = 0; i < t->n && n < max; i++) {
		const char *br, *a;
		sf_listed *e;
		long alt;
		while (r + 1 < nruns && i >= runs[r].end)
			r++;
		if (t->lines[i].stream == SF_STREAM_NOTE)
			continue;
		sf_diag_normalise(t->lines[i].text, nl);
		if (!starts(nl->low, "found dfu:") && !starts(nl->low, "found runtime:"))
			continue;
		br = strchr(nl->orig, '[');
		e = &out[n];
		memset(e, 0, sizeof *e);
		if (!br || !sf_diag_parse_vidpid(br + 1, &e->vid, &e->pid))
			continue;
		e->runtime = starts(nl->low, "found runtime:");
		a = strstr(nl->low, "alt=");
		e->alt = a && parse_dec(a + 4, &alt) ? (int)alt : -1;
		quoted_after(nl->orig, nl->low, "name=\"", e->name, sizeof e->name);
		quoted_after(nl->orig, nl->low, "serial=\"", e->serial, sizeof e->serial);
		quoted_after(nl->orig, nl->low, "path=\"", e->path, sizeof e->path);
		e->run = r;
		e->line = (long)i;
		n++;
	}
	free(nl);
	return n;
}
