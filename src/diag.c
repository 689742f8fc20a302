#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "diag_scan.h"
#include "layout.h"
#include "sf_error.h"

/* ---- catalogue ---------------------------------------------------------- */

static const sf_diag_info catalogue[] = {
	{ "dfu-util-missing", SF_DIAG_ERROR, SF_EXIT_DFU_UTIL, "dfu-util is not installed or cannot start" },
	{ "tool-too-old", SF_DIAG_ERROR, SF_EXIT_DFU_UTIL, "this dfu-util version cannot handle the file or the options" },
	{ "libusb-bug", SF_DIAG_ERROR, SF_EXIT_DFU_UTIL, "a defect of the host's libusb stopped dfu-util (macOS libusb 1.0.23/1.0.24)" },
	{ "timeout", SF_DIAG_ERROR, SF_EXIT_TIMEOUT, "dfu-util did not finish in time and was stopped" },
	{ "interrupted", SF_DIAG_ERROR, SF_EXIT_INTERRUPTED, "the run was stopped by the user (Ctrl-C, SIGTERM)" },
	{ "file-not-found", SF_DIAG_ERROR, SF_EXIT_REFUSED, "the image file could not be opened for reading" },
	{ "file-empty", SF_DIAG_ERROR, SF_EXIT_REFUSED, "the image file is empty: nothing was written" },
	{ "no-device", SF_DIAG_ERROR, SF_EXIT_NO_DEVICE, "no device in DFU mode matched" },
	{ "multiple-devices", SF_DIAG_ERROR, SF_EXIT_NO_DEVICE, "more than one DFU device or alt setting matched" },
	{ "alt-not-found", SF_DIAG_ERROR, SF_EXIT_REFUSED, "the alt setting asked for (-a) does not exist on the device" },
	{ "runtime-mode", SF_DIAG_ERROR, SF_EXIT_NO_DEVICE, "the device is in normal (runtime) mode, not DFU mode" },
	{ "permission-denied", SF_DIAG_ERROR, SF_EXIT_PERMISSION, "the OS refused to open the USB device (udev rule, Windows driver)" },
	{ "windows-driver", SF_DIAG_ERROR, SF_EXIT_PERMISSION, "Windows has no WinUSB/libusb driver bound to the device" },
	{ "device-busy", SF_DIAG_ERROR, SF_EXIT_TRANSFER, "the USB interface is held by another program or driver" },
	{ "address-invalid", SF_DIAG_ERROR, SF_EXIT_REFUSED, "dfu-util rejected the DfuSe address or modifier (-s)" },
	{ "not-dfuse-device", SF_DIAG_ERROR, SF_EXIT_REFUSED, "DfuSe options (-s) were used on a plain DFU 1.1 device" },
	{ "page-not-writable", SF_DIAG_ERROR, SF_EXIT_REFUSED, "the address is not in writable memory of the alt setting" },
	{ "file-too-large", SF_DIAG_ERROR, SF_EXIT_REFUSED, "the file does not fit in the writable memory" },
	{ "suffix-id-mismatch", SF_DIAG_ERROR, SF_EXIT_REFUSED, "the VID:PID in the file's DFU suffix does not match the device" },
	{ "dfuse-file-mismatch", SF_DIAG_ERROR, SF_EXIT_REFUSED, "the file type does not suit the request (.dfu vs raw, malformed .dfu)" },
	{ "upload-file-exists", SF_DIAG_ERROR, SF_EXIT_REFUSED, "the upload target file exists (dfu-util never overwrites)" },
	{ "erase-failed", SF_DIAG_ERROR, SF_EXIT_TRANSFER, "the device failed to erase flash" },
	{ "write-failed", SF_DIAG_ERROR, SF_EXIT_TRANSFER, "the device failed to write flash (errWRITE/errPROG/errVERIFY)" },
	{ "target-protected", SF_DIAG_ERROR, SF_EXIT_TRANSFER, "the device refused the target (errTARGET or read protection)" },
	{ "status-error", SF_DIAG_ERROR, SF_EXIT_TRANSFER, "the device reported another DFU error status (named)" },
	{ "transfer-stalled", SF_DIAG_ERROR, SF_EXIT_TRANSFER, "the device stalled a USB request (LIBUSB_ERROR_PIPE)" },
	{ "device-lost", SF_DIAG_ERROR, SF_EXIT_TRANSFER, "the device disconnected or stopped answering mid-transfer" },
	{ "verify-mismatch", SF_DIAG_ERROR, SF_EXIT_VERIFY, "the data read back differs from the file" },
	{ "unknown", SF_DIAG_ERROR, SF_EXIT_TRANSFER, "dfu-util failed for a reason not in this catalogue" },
	{ "leave-unconfirmed", SF_DIAG_WARNING, SF_EXIT_OK, "written; the device reset before confirming the leave request" },
	{ "leave-ignored", SF_DIAG_WARNING, SF_EXIT_OK, "written, but the device did not leave DFU mode" },
	{ "suffix-missing", SF_DIAG_INFO, SF_EXIT_OK, "the file has no DFU suffix (normal for a raw .bin)" },
};
#define NCAT (sizeof catalogue / sizeof catalogue[0])

void sf_diag_context_profile(sf_diag_context *dctx, const sf_profile *p)
{
	if (!p)
		return;
	dctx->device_name = p->name;
	dctx->dfu_mode_help = p->dfu_mode_help;
	dctx->has_dfu_id = true;
	dctx->dfu_vid = p->dfu.vid;
	dctx->dfu_pid = p->dfu.pid;
	dctx->has_runtime_id = p->has_runtime;
	dctx->runtime_vid = p->runtime.vid;
	dctx->runtime_pid = p->runtime.pid;
	dctx->nalts = 0;
	for (size_t k = 0; k < p->nalts && dctx->nalts < SF_DIAG_MAX_ALTS; k++) {
		const sf_alt *a = &p->alts[k];
		sf_diag_alt_map *m = &dctx->alts[dctx->nalts++];
		m->alt = a->alt;
		m->nregions = 0;
		for (size_t i = 0; i < a->layout.nregions && i < SF_DIAG_MAX_REGIONS; i++) {
			m->regions[i].start = a->layout.regions[i].start;
			m->regions[i].end = a->layout.regions[i].end;
			m->regions[i].writable = (a->layout.regions[i].flags & SF_MEM_WRITABLE) != 0;
			m->nregions = i + 1;
		}
		m->nprotected = 0;
		for (size_t i = 0; i < p->bootloader.nprotected && m->nprotected < SF_DIAG_MAX_PROTECTED; i++) {
			const sf_bl_range *r = &p->bootloader.protected_ranges[i];
			if (r->alt != a->alt)
				continue;
			m->protected_ranges[m->nprotected].start = r->start;
			m->protected_ranges[m->nprotected].end = r->end;
			m->protected_ranges[m->nprotected].writable = false;
			m->nprotected++;
		}
	}
}



const sf_diag_info *sf_diag_catalogue(size_t *n)
{
	*n = NCAT;
	return catalogue;
}

const sf_diag_info *sf_diag_lookup(const char *id)
{
	for (size_t i = 0; i < NCAT; i++)
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
	case SF_VERDICT_INTERRUPTED: return "interrupted";
	default: return "failure";
	}
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

/* ---- building diagnoses ------------------------------------------------- */

/* What the whole transcript says beyond one run. */
typedef struct paste {
	const sf_transcript *t;
	const sf_run *runs;
	size_t nruns;
	sf_listed listed[SF_MAX_LISTED];
	size_t nlisted;
	bool windows, macos, gnu_linux; /* the host it came from, as far as the text tells */
	char version[24];         /* the first dfu-util banner */
	int vmajor, vminor;
} paste;

typedef struct builder {
	const sf_transcript *t;
	const sf_diag_context *ctx;
	const paste *ps;
	const sf_run *run;
	sf_run_facts *f;
	sf_diag_result *r;
	bool oom;
} builder;

#define HAS(k) (f->p[k].count > 0)

static char *sanitised_copy(const char *s)
{
	size_t n = strnlen(s, SF_DIAG_EVIDENCE_CHARS);
	char *c = malloc(n + 4);
	if (!c)
		return NULL;
	size_t j = 0;
	for (size_t i = 0; i < n;) {
		unsigned char ch = (unsigned char)s[i];
		size_t a = sf_diag_ansi_len(s + i);
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

static bool added(const builder *b, const char *id)
{
	for (size_t i = 0; i < b->r->n; i++)
		if (!strcmp(b->r->items[i].id, id))
			return true;
	return false;
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

static void evidence_pat(builder *b, sf_diagnosis *d, enum sf_pat p)
{
	const sf_pat_hits *h = &b->f->p[p];
	if (!h->count)
		return;
	evidence(b, d, h->first);
	for (int i = 0; i < 3; i++)
		if (h->recent[i] >= 0 && h->recent[i] != h->first)
			evidence(b, d, h->recent[i]);
}

/* A code point sequence check, strict: no overlong forms, no surrogates,
 * nothing above U+10FFFF. */
static bool utf8_valid(const unsigned char *s)
{
	while (*s) {
		unsigned c = *s;
		size_t n;
		unsigned cp;
		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		s++;
		for (size_t k = 0; k < n; k++, s++) {
			if ((*s & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (*s & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
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

/* Is the host Windows, as far as the log or the live host tells? A Windows
 * build prints dfu-util's messages without the "dfu-util: " prefix. */
static bool on_windows(const builder *b)
{
	const sf_run_facts *f = b->f;
	if (b->ctx && b->ctx->os)
		return !strcmp(b->ctx->os, "windows");
	if (b->ps->windows)
		return true;
	if (b->ps->macos)
		return false;
	return HAS(P_NOT_SUPPORTED) || (f->unprefixed_msgs > 0 && f->prefixed_msgs == 0);
}

static bool on_macos(const builder *b)
{
	if (b->ctx && b->ctx->os)
		return !strcmp(b->ctx->os, "macos");
	return b->ps->macos;
}

/* ---- memory maps -------------------------------------------------------- */

typedef struct mapinfo {
	sf_diag_region regs[SF_DIAG_MAX_REGIONS];
	size_t n;
	const char *source;      /* where the map came from (for the text) */
	sf_diag_region prot[SF_DIAG_MAX_PROTECTED]; /* bootloader-protected (profile) */
	size_t nprot;
} mapinfo;

static void map_from_layout(mapinfo *m, const char *text, const char *source)
{
	sf_layout lay;
	sf_err err;
	if (m->n || sf_layout_parse(text, &lay, &err))
		return;
	for (size_t i = 0; i < lay.nregions && m->n < SF_DIAG_MAX_REGIONS; i++) {
		m->regs[m->n].start = lay.regions[i].start;
		m->regs[m->n].end = lay.regions[i].end;
		m->regs[m->n].writable = (lay.regions[i].flags & SF_MEM_WRITABLE) != 0;
		m->n++;
	}
	m->source = source;
	sf_layout_free(&lay);
}

/* The memory map of the alt the run wrote: the run's own -v segments, the
 * device's listing in the log, or the matched profile. */
static void run_map(const builder *b, mapinfo *m)
{
	const sf_run_facts *f = b->f;
	int alt = f->alt_set >= 0 ? f->alt_set : 0;
	memset(m, 0, sizeof *m);
	if (f->nsegs) {
		memcpy(m->regs, f->segs, f->nsegs * sizeof *m->regs);
		m->n = f->nsegs;
		m->source = "the memory segments dfu-util printed";
		return;
	}
	/* listed devices that could be the one opened must agree on the map
	 * (several STM32 families share 0483:df11): else the profile's */
	{
		const char *name = NULL;
		bool agree = true;
		for (size_t i = 0; i < b->ps->nlisted; i++) {
			const sf_listed *e = &b->ps->listed[i];
			if (!e->runtime && e->alt == alt && e->name[0] == '@' &&
			    (!f->opened_id || (e->vid == f->dev_vid && e->pid == f->dev_pid))) {
				if (name && strcmp(name, e->name))
					agree = false;
				name = e->name;
			}
		}
		if (name && agree)
			map_from_layout(m, name, "the device's listing in the log");
	}
	for (size_t i = 0; b->ctx && i < b->ctx->nalts; i++) {
		const sf_diag_alt_map *a = &b->ctx->alts[i];
		if (a->alt != alt || (f->opened_id && b->ctx->has_dfu_id &&
				      (f->dev_vid != b->ctx->dfu_vid || f->dev_pid != b->ctx->dfu_pid)))
			continue;
		if (!m->n) {
			memcpy(m->regs, a->regions, a->nregions * sizeof *m->regs);
			m->n = a->nregions;
			m->source = "the device profile";
		}
		memcpy(m->prot, a->protected_ranges, a->nprotected * sizeof *m->prot);
		m->nprot = a->nprotected;
	}
}

static bool in_protected(const mapinfo *m, uint32_t addr, uint64_t len)
{
	uint64_t end = (uint64_t)addr + (len ? len : 1);
	for (size_t i = 0; i < m->nprot; i++)
		if (addr < m->prot[i].end && end > m->prot[i].start)
			return true;
	return false;
}

/* 1 writable, 0 not (or unmapped), -1 unknown map. */
static int writable_at(const mapinfo *m, uint32_t addr)
{
	if (!m->n)
		return -1;
	for (size_t i = 0; i < m->n; i++)
		if (addr >= m->regs[i].start && addr < m->regs[i].end)
			return m->regs[i].writable;
	return 0;
}

static uint64_t writable_end(const mapinfo *m, uint32_t addr)
{
	uint64_t end = addr;
	bool grew = true;
	while (grew) {
		grew = false;
		for (size_t i = 0; i < m->n; i++)
			if (m->regs[i].writable && end >= m->regs[i].start && end < m->regs[i].end) {
				end = m->regs[i].end;
				grew = true;
			}
	}
	return end;
}

/* ---- the diagnoses ------------------------------------------------------ */

static void diag_missing(builder *b)
{
	const sf_run *run = b->run;
	sf_run_facts *f = b->f;
	sf_diagnosis *d = add(b, "dfu-util-missing");
	if (!d)
		return;
	evidence_pat(b, d, P_MISSING);
	if (run->spawn_failed)
		SET(b, d, summary, "dfu-util could not be started (%s)", strerror(run->spawn_errno ? run->spawn_errno : ENOENT));
	else if (f->missing_reason[0])
		SET(b, d, summary, "dfu-util is not installed or cannot start");
	else
		SET(b, d, summary, "dfu-util was not found (exit status %d)", run->exit_status);
	SET(b, d, explanation, "sparkflash drives the external dfu-util program; it was not found on PATH, is not "
				"executable, or lacks a library it needs (libusb-1.0), so nothing was sent to the device");
	SET(b, d, fix, "install dfu-util 0.9 or newer (Debian/Ubuntu: sudo apt-get install dfu-util; macOS: brew install "
		       "dfu-util; Windows: unpack the dfu-util release and add it to PATH), or point to it with "
		       "--dfu-util PATH or the DFU_UTIL environment variable; check with 'sparkflash doctor'");
}

static void zadig_fix(sbuf *fix, bool have_id, uint16_t vid, uint16_t pid)
{
	sb_printf(fix, "install the WinUSB driver for the DFU-mode device with Zadig (https://zadig.akeo.ie): "
		       "Options > List All Devices, pick the device");
	if (have_id)
		sb_printf(fix, " (USB ID %04X %04X)", vid, pid);
	sb_printf(fix, ", choose WinUSB and press Replace Driver, then unplug and replug it; do the same for the "
		       "normal-mode device if it has to be switched to DFU mode by software");
}

/* The OS refused to open the device: udev/permissions (Linux, macOS) or no
 * usable driver (Windows). `other` says it was another device than the one
 * the run went on with: then it is only a note. */
static void diag_open_refused(builder *b, bool other)
{
	sf_run_facts *f = b->f;
	const sf_diag_context *ctx = b->ctx;
	bool windows = on_windows(b) || has(f->open_error, "NOT_SUPPORTED") || has(f->open_error, "NOT_FOUND");
	const char *err = f->open_error[0] ? f->open_error : "no error code shown";
	uint16_t vid = f->open_vid, pid = f->open_pid;
	bool have_id = f->open_has_id;
	sf_diagnosis *d;
	sbuf fix = { 0 };

	if (!have_id && ctx && ctx->has_dfu_id) {
		vid = ctx->dfu_vid;
		pid = ctx->dfu_pid;
		have_id = true;
	}
	d = add(b, windows && !other ? "windows-driver" : "permission-denied");
	if (!d)
		return;
	evidence_pat(b, d, P_CANNOT_OPEN_DFU);
	evidence_pat(b, d, P_CANNOT_OPEN_DEVICE);
	if (!other)
		evidence_pat(b, d, P_NO_DEVICE);
	if (other) {
		d->severity = SF_DIAG_INFO;
		d->exit_code = SF_EXIT_OK;
		if (have_id)
			SET(b, d, summary, "another DFU device, %04x:%04x, could not be opened (%s)", vid, pid, err);
		else
			SET(b, d, summary, "another DFU device could not be opened (%s)", err);
		SET(b, d, explanation, "dfu-util skipped a DFU-capable USB device it may not open (%s) and went on "
					"with the one it was asked for; this does not affect the run",
		    windows ? "no WinUSB driver" : "no udev rule grants access");
		SET(b, d, fix, "nothing to do; to silence it, give that device a driver/udev rule or unplug it");
		return;
	}
	if (have_id)
		SET(b, d, summary, "%s: dfu-util could not open %04x:%04x (%s)",
		    windows ? "no usable Windows driver" : "USB permission denied", vid, pid, err);
	else
		SET(b, d, summary, "%s: dfu-util could not open the device (%s)",
		    windows ? "no usable Windows driver" : "USB permission denied", err);
	if (windows) {
		SET(b, d, explanation, "on Windows libusb needs the WinUSB (or libusbK) driver bound to the DFU-mode "
					"device; without it, or with another vendor's driver (e.g. ST's DfuSe driver) "
					"owning it, dfu-util cannot open it and then finds no usable DFU device");
		zadig_fix(&fix, have_id, vid, pid);
	} else {
		SET(b, d, explanation, "the operating system refused to open the USB device node: on Linux, "
					"/dev/bus/usb/BBB/DDD is not writable by this user because no udev rule grants "
					"access (on macOS another driver may hold it)");
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
	evidence(b, d, b->run->select_line);
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
		sb_printf(&fix, "; use a data cable (not charge-only) and a port directly on the computer, then check "
				"with 'sparkflash list'");
	}
	set_text(b, &d->fix, &fix);
}

/* USB IDs of gadgets that expose a DFU (runtime) interface of their own and
 * that a loose dfu-util picks up: Bluetooth radios and webcams. */
static const char *bystander_id(uint16_t vid, uint16_t pid)
{
	if (vid == 0x0489 || vid == 0x0a5c || vid == 0x8087 || vid == 0x0cf3 || vid == 0x13d3 ||
	    (vid == 0x05ac && pid >= 0x8200 && pid < 0x8300))
		return "a Bluetooth adapter";
	if (vid == 0x046d || vid == 0x04f2 || vid == 0x0c45 || vid == 0x5986 || (vid == 0x0bda && pid >= 0x5000 && pid < 0x6000))
		return "a webcam";
	return NULL;
}

/* What a listed device is, for the text: a camera or radio exposes a DFU
 * runtime interface for its own updates and matches a loose dfu-util. */
static const char *bystander_kind(const sf_listed *e)
{
	char low[96];
	size_t i;
	for (i = 0; e->name[i] && i + 1 < sizeof low; i++)
		low[i] = (char)((e->name[i] >= 'A' && e->name[i] <= 'Z') ? e->name[i] + 32 : e->name[i]);
	low[i] = '\0';
	if (has(low, "camera") || has(low, "webcam") || has(low, "uvc"))
		return "a webcam";
	if (has(low, "bluetooth") || has(low, "bt ") || has(low, "radio"))
		return "a Bluetooth radio";
	/* Bluetooth modules often show a DFU runtime interface with no name */
	return bystander_id(e->vid, e->pid);
}

static void diag_multiple(builder *b)
{
	sf_run_facts *f = b->f;
	const paste *ps = b->ps;
	sf_diagnosis *d = add(b, "multiple-devices");
	sbuf ex = { 0 }, fix = { 0 };
	const sf_listed *first = NULL, *other = NULL;
	size_t nalts = 0;
	bool one_device = true;
	char alts[64] = "";

	if (!d)
		return;
	evidence_pat(b, d, P_MULTIPLE);
	evidence(b, d, b->run->select_line);
	for (size_t i = 0; i < ps->nlisted; i++) {
		const sf_listed *e = &ps->listed[i];
		if (e->runtime && bystander_kind(e)) {
			if (!other)
				other = e;
			continue;
		}
		if (e->runtime)
			continue;
		if (!first) {
			first = e;
		} else if (e->vid != first->vid || e->pid != first->pid || strcmp(e->serial, first->serial) ||
			   strcmp(e->path, first->path)) {
			one_device = false;
			continue;
		}
		nalts++;
		if (strlen(alts) + 6 < sizeof alts)
			snprintf(alts + strlen(alts), sizeof alts - strlen(alts), "%s%d", nalts > 1 ? ", " : "", e->alt);
	}
	if (first && one_device && nalts > 1) {
		SET(b, d, summary, "one device (%04x:%04x) with %zu alt settings matched: dfu-util needs -a", first->vid,
		    first->pid, nalts);
		evidence(b, d, first->line);
		sb_printf(&ex, "dfu-util counts every alt setting as a device; %04x:%04x has alt settings %s and the "
			       "command named none", first->vid, first->pid, alts);
		sb_printf(&fix, "pass the alt setting: -a N (e.g. -a 0 for internal flash) together with -d %04x:%04x; "
				"sparkflash always passes -a from the profile", first->vid, first->pid);
	} else {
		SET(b, d, summary, "more than one DFU device (or alt setting) matched");
		sb_printf(&ex, "dfu-util needs exactly one match; every alt setting counts as a device, so a request "
			       "without -a matches several, and other DFU devices on the host can match a loose -d");
		sb_printf(&fix, "pick one: pass --serial SN or --path BUS-PORT (see 'sparkflash list') or disconnect "
				"the other DFU devices; with bare dfu-util give -d VID:PID, -a ALT and -S SERIAL");
	}
	if (other) {
		evidence(b, d, other->line);
		sb_printf(&ex, "; %04x:%04x (\"%s\") is %s with a DFU runtime interface of its own, which a command "
			       "without -d also matches", other->vid, other->pid, other->name, bystander_kind(other));
		sb_printf(&fix, "; name your device with -d VID:PID so that %s (%04x:%04x) is not picked",
			  bystander_kind(other), other->vid, other->pid);
	}
	(void)f;
	set_text(b, &d->explanation, &ex);
	set_text(b, &d->fix, &fix);
}

/* A failing run tripped over a DFU device that is not the one listed for
 * use: "Cannot open DFU device 0489:e07a" while the log lists 1d50:607f
 * ready. The tool picked (or stopped at) the wrong device. */
static const sf_listed *other_device_listed(const builder *b)
{
	const sf_run_facts *f = b->f;
	if (!f->open_has_id)
		return NULL;
	for (size_t i = 0; i < b->ps->nlisted; i++) {
		const sf_listed *e = &b->ps->listed[i];
		if (!e->runtime && (e->vid != f->open_vid || e->pid != f->open_pid))
			return e;
	}
	return NULL;
}

static void diag_wrong_device(builder *b, const sf_listed *ok)
{
	sf_run_facts *f = b->f;
	sf_diagnosis *d = add(b, "multiple-devices");
	if (!d)
		return;
	evidence_pat(b, d, P_CANNOT_OPEN_DFU);
	evidence(b, d, ok->line);
	SET(b, d, summary, "the wrong DFU device was picked: %04x:%04x could not be opened while %04x:%04x is ready",
	    f->open_vid, f->open_pid, ok->vid, ok->pid);
	{
		const char *kind = bystander_id(f->open_vid, f->open_pid);
		SET(b, d, explanation, "two DFU-capable devices are attached: %04x:%04x%s%s%s and %04x:%04x; the tool "
					"went for the one it cannot open instead of %04x:%04x",
		    f->open_vid, f->open_pid, kind ? " (" : "", kind ? kind : "", kind ? " with a DFU interface)" : "",
		    ok->vid, ok->pid, ok->vid, ok->pid);
	}
	SET(b, d, fix, "select the device explicitly: dfu-util -d %04x:%04x -a ALT (sparkflash: --serial SN or "
		       "--path BUS-PORT); a newer particle-cli matches the Particle device only",
	    ok->vid, ok->pid);
}

static void diag_status(builder *b, const char *id, int status)
{
	sf_run_facts *f = b->f;
	sf_diagnosis *d = add(b, id);
	const char *name = status >= 0 ? sf_diag_status_name(status) : NULL;
	const char *text = sf_diag_status_text(status);
	const char *cmd = f->special_cmd[0] ? f->special_cmd : f->not_exec_cmd;
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
	evidence(b, d, f->special_line);

	if (!strcmp(id, "erase-failed")) {
		if (name)
			SET(b, d, summary, "the device failed to erase flash (%s)", name);
		else if (HAS(P_WRONG_STATE))
			SET(b, d, summary, "the device failed to erase flash (%s answered in the wrong state)", cmd[0] ? cmd : "erase");
		else if (HAS(P_ERR_SPECIAL))
			SET(b, d, summary, "the device stopped answering during an erase (%s)", cmd[0] ? cmd : "erase");
		else
			SET(b, d, summary, "the device failed to erase flash (%s)", cmd[0] ? cmd : "erase");
		if (HAS(P_ERR_SPECIAL) && !name)
			SET(b, d, explanation, "the device stopped answering status requests while erasing%s: the erase "
						"never completed (the bootloader cannot erase this flash, it reset during "
						"the erase, or the flash is failing)",
			    HAS(P_PIPE) ? " (it stalled them)" : HAS(P_TIMEOUT_ERR) ? " (they timed out)" : "");
		else
			SET(b, d, explanation, "the device answered an erase command with %s%s%s: the page may be "
						"write-protected, outside the erasable area, or the flash is failing",
			    name ? "an error status" : "a wrong state", text ? ": " : "", text ? text : "");
		SET(b, d, fix, "retry once from a fresh DFU mode entry (a bootloader entered by a software jump may "
			       "not erase: enter it with the BOOT pin/buttons); if it repeats at the same address, check "
			       "the address against the memory map and the chip's write protection (option bytes); the "
			       "flash is now partly erased, so do not leave DFU mode until a good image is written");
	} else if (!strcmp(id, "write-failed")) {
		SET(b, d, summary, "the device failed to write flash (%s)", name ? name : "write error");
		SET(b, d, explanation, "the device reported %s while programming: %s; the flash now holds a partial image",
		    name ? name : "an error", text ? text : "write failed");
		SET(b, d, fix, "retry the write from a fresh DFU mode entry; if it fails again the region may be "
			       "protected, refused by the bootloader for this address, or the flash worn; do not leave "
			       "DFU mode with a partial image");
	} else if (!strcmp(id, "target-protected")) {
		bool unprot = HAS(P_UNPROTECT_NOT_EXEC);
		bool first_erase = (status == 4 || status == 5 || (status < 0 && HAS(P_ERASE_NOT_EXEC))) &&
				   f->max_percent <= 0 && f->max_bytes == 0;
		if (first_erase)
			SET(b, d, summary, "the device refused the first erase before a byte was written (%s): its flash "
					   "is protected", name ? name : cmd[0] ? cmd : "erase");
		else
			SET(b, d, summary, "the device refused the target (%s)", name ? name : (unprot ? "read protection" : "protected"));
		if (status == 1)
			SET(b, d, explanation, "the device says the file is not targeted for use by this device (errTARGET)");
		else if (status == 4 || status == 5)
			SET(b, d, explanation, "the device refused to erase before anything was written (%s): its flash is "
						"read/write protected (read-out protection or a sealed bootloader)", name);
		else
			SET(b, d, explanation, "the flash is read/write protected: the device refuses to change it "
						"until the protection is removed");
		SET(b, d, fix, "check the file is built for this device%s%s%s; to remove STM32 read-out or write "
			       "protection run dfu-util with -s :unprotect:force (or the flasher's 'unprotect' option), "
			       "which ERASES THE WHOLE FLASH (bootloader included on some chips) - only if you can "
			       "restore it",
		    b->ctx && b->ctx->device_name ? " (" : "", b->ctx && b->ctx->device_name ? b->ctx->device_name : "",
		    b->ctx && b->ctx->device_name ? ")" : "");
	} else {
		if (name)
			SET(b, d, summary, "the device reported DFU status %s (%d)", name, status);
		else if (HAS(P_WRONG_STATE))
			SET(b, d, summary, "the device answered a command in the wrong state (%s)",
			    f->state_name[0] ? f->state_name : "not dfuDNBUSY");
		else
			SET(b, d, summary, "the device rejected %s", cmd[0] ? cmd : "a command");
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
						"read-out protection on STM32)", cmd[0] ? cmd : "a command");
		if (status == 10)
			SET(b, d, fix, "stay in DFU mode and write a valid firmware image, then leave DFU mode");
		else if (status == 8 || HAS(P_SETADDR_NOT_EXEC))
			SET(b, d, fix, "check the address and alt setting against the profile (sparkflash checks named "
				       "segments for you); if the address is right, the chip may be read-protected");
		else
			SET(b, d, fix, "reset the device into DFU mode and retry; if the same status comes back, check "
				       "that the image and address suit this device (and try the plain command line "
				       "outside any GUI wrapper)");
	}
}

/* The bootloader's protected area (the profile's bootloader section): the
 * device refuses to erase or write there, however it says so. */
static void diag_protected_area(builder *b, const mapinfo *m, const char *how)
{
	sf_run_facts *f = b->f;
	sf_diagnosis *d = add(b, "target-protected");
	uint32_t lo = 0;
	uint64_t hi = 0;
	for (size_t i = 0; i < m->nprot; i++)
		if (f->elem_addr < m->prot[i].end && (uint64_t)f->elem_addr + (uint64_t)(f->elem_size > 0 ? f->elem_size : 1) >
							       m->prot[i].start) {
			lo = m->prot[i].start;
			hi = m->prot[i].end;
		}
	if (!d)
		return;
	evidence(b, d, f->p[P_XFER_START].first);
	evidence(b, d, f->special_line);
	evidence(b, d, f->completion);
	SET(b, d, summary, "the bootloader protects 0x%08x-0x%08llx and refused the write at 0x%08x", lo,
	    (unsigned long long)(hi ? hi - 1 : 0), f->elem_addr);
	SET(b, d, explanation, "%s's bootloader never erases or writes its own area (bootloader and system flags), "
				"whatever the request; it %s, and the memory there is unchanged",
	    device_label(b->ctx), how);
	SET(b, d, fix, "write to an address outside the protected area (the profile's segments); the bootloader is "
		       "updated only by firmware, not over DFU");
}

/* Does the run print anything past dfu-util's banner and suffix warnings? */
static bool run_has_content(const builder *b)
{
	for (size_t i = b->run->first; i < b->run->end; i++)
		if (b->t->lines[i].stream != SF_STREAM_NOTE && !sf_diag_uninformative(b->t->lines[i].text))
			return true;
	return false;
}

static void diag_unknown(builder *b)
{
	const sf_transcript *t = b->t;
	const sf_run *run = b->run;
	sf_run_facts *f = b->f;
	sf_diagnosis *d = add(b, "unknown");
	bool content = run_has_content(b);
	if (!d)
		return;
	if (run->exited && (run->exit_status == 64 || run->exit_status == 65 || run->exit_status == 66 ||
			    run->exit_status == 73))
		d->exit_code = SF_EXIT_REFUSED;
	if (f->nerrorish) {
		for (size_t i = 0; i < f->nerrorish; i++)
			evidence(b, d, f->errorish[i]);
	} else {
		/* the last non-empty lines, preferring stderr when there is any */
		bool any_err = false;
		long idx[3];
		size_t k = 0;
		for (size_t i = run->first; i < run->end; i++)
			if (t->lines[i].stream == SF_STREAM_STDERR && !sf_diag_uninformative(t->lines[i].text))
				any_err = true;
		for (size_t i = run->end; i-- > run->first && k < 3;) {
			if (t->lines[i].stream == SF_STREAM_NOTE || (any_err && t->lines[i].stream == SF_STREAM_STDOUT) ||
			    sf_diag_uninformative(t->lines[i].text))
				continue;
			idx[k++] = (long)i;
		}
		while (k)
			evidence(b, d, idx[--k]);
	}
	if (run->term_signal > 0) {
		int sig = run->term_signal;
		SET(b, d, summary, "dfu-util was killed by signal %d%s", sig,
		    sig == 2 ? " (SIGINT)" : sig == 9 ? " (SIGKILL)" : sig == 15 ? " (SIGTERM)" : "");
		SET(b, d, explanation, "dfu-util was stopped from outside (a CI job or service timeout, or the "
					"out-of-memory killer) before it finished; %s",
		    d->nevidence ? "the last lines it printed are quoted below" : "it printed nothing useful first");
		SET(b, d, fix, "rerun without interrupting it (raise the CI job's time limit if that stopped it); if "
			       "it was writing, the flash may be partly written: put the device back in DFU mode and "
			       "flash again");
		return;
	}
	if (run->exited && run->exit_status)
		SET(b, d, summary, "dfu-util failed (exit %d) for a reason sparkflash does not recognise", run->exit_status);
	else if (!HAS(P_DFU_CONTENT) && !HAS(P_BANNER) && !f->nerrorish)
		SET(b, d, summary, "the log shows no dfu-util result");
	else if (HAS(P_BANNER) && !content)
		SET(b, d, summary, "the log ends after dfu-util's banner: it shows no result");
	else
		SET(b, d, summary, "dfu-util reported an error sparkflash does not recognise");
	if (!d->nevidence || !content) {
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

static const char *signal_name(int sig)
{
	switch (sig) {
	case 1: return "SIGHUP";
	case 2: return "SIGINT (Ctrl-C)";
	case 3: return "SIGQUIT";
	case 15: return "SIGTERM";
	default: return "a signal";
	}
}

static void diag_interrupted(builder *b)
{
	const sf_run *run = b->run;
	sf_run_facts *f = b->f;
	sf_diagnosis *d = add(b, "interrupted");
	long last = -1;
	if (!d)
		return;
	d->exit_code = SF_EXIT_SIGNAL_BASE + run->interrupted;
	for (size_t i = run->end; i-- > run->first;)
		if (b->t->lines[i].stream != SF_STREAM_NOTE && !sf_diag_uninformative(b->t->lines[i].text)) {
			last = (long)i;
			break;
		}
	evidence(b, d, last);
	SET(b, d, summary, "interrupted by %s", signal_name(run->interrupted));
	if (f->completion >= 0)
		SET(b, d, explanation, "dfu-util was stopped after it reported the data transferred; a requested leave "
					"may not have happened");
	else if (f->xfer_start >= 0 && f->op != SF_OP_UPLOAD)
		SET(b, d, explanation, "dfu-util was stopped in the middle of the transfer (%d%%, %lu bytes): the "
					"flash may be partly erased or written",
		    f->max_percent < 0 ? 0 : f->max_percent, f->max_bytes);
	else if (f->xfer_start >= 0)
		SET(b, d, explanation, "dfu-util was stopped while reading; nothing was written to the device");
	else
		SET(b, d, explanation, "dfu-util was stopped before any data was sent; the device is unchanged");
	if (f->xfer_start >= 0 && f->completion < 0 && f->op != SF_OP_UPLOAD)
		SET(b, d, fix, "the device is most likely still in DFU mode: run the same command again to write the "
			       "whole image before resetting it");
	else
		SET(b, d, fix, "run the command again when you are ready");
}

/* ---- judging one run ---------------------------------------------------- */

static bool special_is_erase(const sf_run_facts *f)
{
	/* ERASE_PAGE, MASS_ERASE (dfu-util), ERASE_SECTOR (particle-cli) */
	return strstr(f->special_cmd, "ERASE") != NULL;
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

/* Lines that show a failure talking to the device after the data was in. */
static const enum sf_pat leave_errs[] = {
	P_ERR_GETSTATUS, P_ERR_DOWNLOAD, P_DFUSE_XFER, P_PIPE, P_NODEV, P_IO, P_TIMEOUT_ERR,
	P_RESET_AFTER_DL, P_AFTER_COMPLETION, P_GET_STATUS_ERR, P_ABORT, P_COMPLETION,
};

static bool err_after(const builder *b, long anchor)
{
	const sf_run_facts *f = b->f;
	for (size_t k = 0; k < sizeof leave_errs / sizeof leave_errs[0]; k++)
		if (after(b->t, f->p[leave_errs[k]].last, anchor))
			return true;
	return false;
}

/* The leave step: the data is in, then the device was asked to start it. */
static void judge_leave(builder *b, long anchor, bool failed_exit)
{
	sf_run_facts *f = b->f;
	const sf_run *run = b->run;
	bool errs = err_after(b, anchor);
	bool stalled = after(b->t, f->p[P_PIPE].last, anchor) && !after(b->t, f->p[P_NODEV].last, anchor);
	/* the device answered the leave with an error status: it is still there */
	bool refused = f->status_line >= 0 && f->status > 0 && after(b->t, f->status_line, anchor);
	sf_diagnosis *d;

	if (run->after_leave == SF_AFTER_LEAVE_DFU || ((stalled || refused) && run->after_leave != SF_AFTER_LEAVE_GONE)) {
		d = add(b, "leave-ignored");
		evidence(b, d, anchor);
		evidence_pat(b, d, P_LEAVE_REQ);
		if (stalled)
			evidence_pat(b, d, P_PIPE);
		if (refused)
			evidence(b, d, f->status_line);
		evidence(b, d, run->after_leave_line);
		SET(b, d, summary, "written, but the device did not leave DFU mode");
		if (stalled || refused)
			SET(b, d, explanation, "the data was written; the device then refused the request to leave DFU "
						"mode (%s), so it is still in DFU mode and does not run the new firmware yet",
			    stalled ? "it stalled it" : sf_diag_status_name(f->status));
		else if (errs || failed_exit)
			SET(b, d, explanation, "the data was written; the leave request was not confirmed and the device "
						"was still listed in DFU mode afterwards, so it does not run the new "
						"firmware yet");
		else
			SET(b, d, explanation, "the data was written and the device was told to start it, yet it is still "
						"in DFU mode: the image at the start address is not valid for it (wrong "
						"address, platform or a corrupt build), or the bootloader does not jump "
						"cleanly");
		SET(b, d, fix, "reset the device (press RESET or power-cycle it) to start the new firmware; if it "
			       "comes back in DFU mode (blinking yellow), check that the image was built for this device "
			       "and written to the right address, then flash again");
		return;
	}
	if (!(errs || failed_exit))
		return;
	d = add(b, "leave-unconfirmed");
	evidence(b, d, anchor);
	evidence_pat(b, d, P_LEAVE_REQ);
	for (size_t k = 0; k < sizeof leave_errs / sizeof leave_errs[0]; k++)
		if (after(b->t, f->p[leave_errs[k]].last, anchor))
			evidence(b, d, f->p[leave_errs[k]].last);
	if (run->after_leave == SF_AFTER_LEAVE_GONE) {
		/* sparkflash saw it gone: the leave worked, only the reply was lost */
		d->severity = SF_DIAG_INFO;
		SET(b, d, summary, "written; the device reset at the leave request and left DFU mode");
		SET(b, d, explanation, "dfu-util reported the data written, then lost the device while asking it to "
					"leave DFU mode (the bootloader resets at once, before answering); it is no "
					"longer listed in DFU mode, so it left as asked");
		SET(b, d, fix, "nothing to do");
		return;
	}
	if (f->completion < 0) {
		SET(b, d, summary, "the device reset before confirming the leave request");
		SET(b, d, explanation, "dfu-util only asked the device to leave DFU mode (nothing was written in this "
					"run), then lost it: the bootloader reset at once, so the last status request "
					"failed%s", failed_exit ? " and dfu-util exited non-zero" : "");
	} else {
		SET(b, d, summary, "written; the device reset before confirming the leave request");
		SET(b, d, explanation, "dfu-util reported the data written ('%s'), then lost the device while asking "
					"it to leave DFU mode: the bootloader reset at once (older Particle bootloaders "
					"and many others do) so the last status request failed%s; the data was written",
		    HAS(P_FILE_DL_OK) ? "File downloaded successfully" : "Download done.",
		    failed_exit ? " and dfu-util exited non-zero" : "");
	}
	SET(b, d, fix, "nothing to do if the device now runs the new firmware; if it still shows DFU mode "
		       "(blinking yellow), press RESET; to be sure of the data, read the region back and compare");
}

typedef enum run_verdict { RV_EMPTY, RV_OK, RV_WARN, RV_FAIL, RV_INTERRUPTED } run_verdict;

/* Judges one run into b->r; returns its verdict. */
static run_verdict judge_run(builder *b)
{
	const sf_run *run = b->run;
	sf_run_facts *f = b->f;
	const sf_diag_context *ctx = b->ctx;
	bool failed_exit = run->outcome_known && ((run->exited && run->exit_status != 0) || run->term_signal > 0 ||
						  run->timed_out);
	bool exit_hint_failed = !run->outcome_known && f->exit_hint > 0;
	bool size_zero = f->has_elem && f->elem_size == 0;
	bool written = f->completion >= 0 && !size_zero;
	bool open_denied, went_on, stdout_missing, had_error = false, warn = false;
	long anchor = -1;

	/* 1. dfu-util could not run at all. */
	if (run->spawn_failed || HAS(P_MISSING) ||
	    (run->exited && (run->exit_status == 127 || run->exit_status == 126) && !HAS(P_BANNER) &&
	     !HAS(P_DFU_CONTENT))) {
		diag_missing(b);
		return RV_FAIL;
	}

	/* 2. The user stopped it. */
	if (run->interrupted) {
		diag_interrupted(b);
		return RV_INTERRUPTED;
	}

	/* 3. Stopped by our own timeout. */
	if (run->timed_out) {
		sf_diagnosis *d = add(b, "timeout");
		long last = -1;
		for (size_t i = run->end; i-- > run->first;)
			if (b->t->lines[i].stream != SF_STREAM_NOTE && !sf_diag_uninformative(b->t->lines[i].text)) {
				last = (long)i;
				break;
			}
		evidence(b, d, last);
		SET(b, d, summary, "dfu-util did not finish in time and was stopped");
		if (HAS(P_WAITING))
			SET(b, d, explanation, "dfu-util was waiting for a device to appear (-w) and none did");
		else
			SET(b, d, explanation, "dfu-util stopped making progress; the last line it printed is quoted "
						"(the device may hang in a command, or the transfer is slower than the limit)");
		SET(b, d, fix, "check that the device is in DFU mode and answering ('sparkflash list'), reset it into "
				"DFU mode, and raise --timeout for large images or slow devices");
	}

	/* 4. The file. */
	if (HAS(P_FILE_NOT_FOUND)) {
		sf_diagnosis *d = add(b, "file-not-found");
		evidence_pat(b, d, P_FILE_NOT_FOUND);
		SET(b, d, summary, "dfu-util could not open the file '%s'", f->missing_file);
		SET(b, d, explanation, "the image path does not exist (or cannot be read) from the directory dfu-util "
					"was started in, so nothing was sent to the device");
		SET(b, d, fix, "check the path and the current directory (build the firmware first if it is a build "
			       "output), then run the command again");
	}
	if (size_zero) {
		sf_diagnosis *d = add(b, "file-empty");
		evidence(b, d, f->p[P_XFER_START].first);
		evidence_pat(b, d, P_FILE_DL_OK);
		SET(b, d, summary, "nothing was written: the file is empty (size = 0)");
		SET(b, d, explanation, "dfu-util downloaded a 0-byte file: it printed its usual success lines, but no "
					"data reached the device (typically a build that did not produce an image)");
		SET(b, d, fix, "rebuild the firmware and check the file size (ls -l) before flashing; sparkflash "
			       "refuses empty files");
	}
	if (HAS(P_OLD_FILE_FORMAT) || (f->vmajor == 0 && f->vminor >= 0 && f->vminor < 7 && HAS(P_SUFFIX) &&
				       !written && !HAS(P_INVALID_ADDR))) {
		sf_diagnosis *d = add(b, "tool-too-old");
		evidence_pat(b, d, P_BANNER);
		evidence_pat(b, d, P_OLD_FILE_FORMAT);
		SET(b, d, summary, "dfu-util %s is too old for this file", f->version[0] ? f->version : b->ps->version);
		SET(b, d, explanation, "this dfu-util cannot read the file's DFU suffix or DfuSe format (versions before "
					"0.7 support only DFU 1.0 files)");
		SET(b, d, fix, "install dfu-util 0.9 or newer (Debian/Ubuntu: apt-get install dfu-util, or build it "
			       "from source) and run the command again");
	}
	if (HAS(P_FILE_ID)) {
		sf_diagnosis *d = add(b, "suffix-id-mismatch");
		evidence_pat(b, d, P_FILE_ID);
		SET(b, d, summary, "the file's DFU suffix names another device");
		SET(b, d, explanation, "the DFU suffix of the file carries a USB vendor/product ID that matches neither "
					"the runtime nor the DFU-mode ID of the device, and dfu-util refuses it");
		SET(b, d, fix, "use the image built for this device; if you are sure it suits, fix the suffix IDs "
			       "(dfu-suffix -v VID -p PID -a file) or flash the raw .bin with an address");
	}
	if (HAS(P_DFUSE_FILE) || HAS(P_ONLY_DFUSE) || HAS(P_USE_DFUSE_ADDR) || HAS(P_BAD_DFUSE_FILE)) {
		sf_diagnosis *d = add(b, "dfuse-file-mismatch");
		bool old = f->vmajor == 0 && f->vminor >= 0 && f->vminor <= 9;
		evidence_pat(b, d, P_DFUSE_FILE);
		evidence_pat(b, d, P_ONLY_DFUSE);
		evidence_pat(b, d, P_USE_DFUSE_ADDR);
		evidence_pat(b, d, P_BAD_DFUSE_FILE);
		if (HAS(P_DFUSE_FILE)) {
			SET(b, d, summary, "a .dfu (DfuSe) file was given together with an address");
			SET(b, d, explanation, "a DfuSe file carries its own addresses; dfu-util refuses to write it to a raw -s address");
			SET(b, d, fix, "flash the .dfu without an address (no -s), or convert it to a raw .bin");
		} else if (HAS(P_BAD_DFUSE_FILE)) {
			SET(b, d, summary, "the DfuSe file or DFU suffix is malformed");
			SET(b, d, explanation, "dfu-util could not parse the file's DfuSe structure or suffix; it is "
						"truncated or not a .dfu file");
			SET(b, d, fix, "rebuild or re-download the file; a raw .bin must be flashed with an address");
		} else {
			SET(b, d, summary, "a raw binary was sent to a DfuSe device without an address");
			SET(b, d, explanation, "without -s ADDRESS dfu-util expects a DfuSe (.dfu) file%s",
			    old ? "; dfu-util 0.9 and older also treat -s 0 as no address (fixed in 0.10)" : "");
			SET(b, d, fix, "give the target address (-s 0x...:leave), or let sparkflash take it from the "
					"profile's named segment%s", old ? "; upgrade dfu-util to 0.10 or newer" : "");
		}
	}
	if (HAS(P_UPLOAD_EXISTS)) {
		sf_diagnosis *d = add(b, "upload-file-exists");
		evidence_pat(b, d, P_UPLOAD_EXISTS);
		SET(b, d, summary, "the upload target '%s' already exists", f->upload_file);
		SET(b, d, explanation, "dfu-util never overwrites an upload file (it creates it exclusively), and "
					"refused before reading anything");
		SET(b, d, fix, "remove or rename '%s', or upload to another file name", f->upload_file);
	}

	/* 5. Finding and opening the device. */
	went_on = f->setup_end >= 0 || f->xfer_start >= 0 || written;
	open_denied = HAS(P_CANNOT_OPEN_DFU) || (HAS(P_CANNOT_OPEN_DEVICE) && (has(f->open_error, "ACCESS") ||
									       has(f->open_error, "NOT_SUPPORTED")));
	if (open_denied) {
		const sf_listed *ok = other_device_listed(b);
		bool run_failed = failed_exit || exit_hint_failed || f->nerrorish > 0 || HAS(P_NO_DEVICE) ||
				  run->select != SF_SELECT_OK;
		if (went_on && !HAS(P_CANNOT_OPEN_DEVICE)) {
			diag_open_refused(b, true);
		} else if (ok && run_failed && !HAS(P_NO_DEVICE)) {
			diag_wrong_device(b, ok);
			diag_open_refused(b, true);
		} else if (!run_failed && HAS(P_FOUND_DFU) && !HAS(P_NO_DEVICE) &&
			   f->p[P_CANNOT_OPEN_DFU].count < f->p[P_FOUND_DFU].count && !HAS(P_CANNOT_OPEN_DEVICE)) {
			/* a listing that shows the wanted device and skipped another */
			diag_open_refused(b, true);
		} else {
			diag_open_refused(b, false);
		}
	}
	if ((HAS(P_CLAIM) || HAS(P_SET_ALT_ZERO)) && f->opened_id && bystander_id(f->dev_vid, f->dev_pid)) {
		/* the only DFU interface dfu-util found is a gadget's own */
		sf_diagnosis *d = add(b, "no-device");
		sbuf fix = { 0 };
		evidence_pat(b, d, P_OPENING);
		evidence_pat(b, d, P_CLAIM);
		SET(b, d, summary, "no device of yours in DFU mode: dfu-util opened %04x:%04x, %s", f->dev_vid, f->dev_pid,
		    bystander_id(f->dev_vid, f->dev_pid));
		SET(b, d, explanation, "the only DFU-capable interface dfu-util found belongs to %s of this computer "
					"(%04x:%04x), not to the board being flashed, and it could not claim it: the "
					"board is not in DFU mode (or not connected)", bystander_id(f->dev_vid, f->dev_pid),
		    f->dev_vid, f->dev_pid);
		append_dfu_help(&fix, ctx);
		sb_printf(&fix, "; then name the board with -d VID:PID so that the %04x:%04x interface is never picked",
			  f->dev_vid, f->dev_pid);
		if (d)
			set_text(b, &d->fix, &fix);
	} else if (HAS(P_CLAIM) || (HAS(P_BUSY) && !open_denied)) {
		if (on_windows(b) && (has(f->claim_error, "NOT_SUPPORTED") || has(f->claim_error, "NOT_FOUND"))) {
			sf_diagnosis *d = add(b, "windows-driver");
			sbuf fix = { 0 };
			evidence_pat(b, d, P_CLAIM);
			SET(b, d, summary, "no usable Windows driver: dfu-util could not claim the DFU interface (%s)",
			    f->claim_error);
			SET(b, d, explanation, "Windows has no WinUSB/libusb driver bound to this interface, so libusb "
						"cannot claim it");
			zadig_fix(&fix, f->opened_id, f->dev_vid, f->dev_pid);
			if (d)
				set_text(b, &d->fix, &fix);
		} else {
			sf_diagnosis *d = add(b, "device-busy");
			bool runtime_if = f->rt_dfu_version >= 0 && f->rt_dfu_version < 0x0110 && !HAS(P_SETUP_END);
			evidence_pat(b, d, P_CLAIM);
			evidence_pat(b, d, P_BUSY);
			SET(b, d, summary, "the USB interface is held by another program or driver (%s)",
			    f->claim_error[0] ? f->claim_error : "cannot claim interface");
			SET(b, d, explanation, "dfu-util opened the device but could not claim its %sDFU interface: another "
						"dfu-util, particle-cli, an IDE or a kernel driver is using it%s",
			    runtime_if ? "runtime " : "",
			    runtime_if ? ", or the board is not in a state to be updated (e.g. a carrier or "
					 "expansion board without its module)" : "");
			SET(b, d, fix, "close other programs using the device (another dfu-util, particle-cli, serial "
					"monitors, ModemManager) and retry; if nothing else runs, unplug and replug it "
					"with everything it needs attached");
		}
	}
	if (HAS(P_SET_ALT_ZERO) && !added(b, "no-device")) {
		sf_diagnosis *d;
		if (on_windows(b)) {
			sbuf fix = { 0 };
			d = add(b, "windows-driver");
			evidence_pat(b, d, P_SET_ALT_ZERO);
			SET(b, d, summary, "no usable Windows driver for the runtime interface (%s)", f->claim_error);
			SET(b, d, explanation, "switching the running device to DFU mode needs a WinUSB driver on its "
						"runtime interface too");
			zadig_fix(&fix, f->opened_id, f->dev_vid, f->dev_pid);
			if (d)
				set_text(b, &d->fix, &fix);
		} else {
			d = add(b, "libusb-bug");
			evidence_pat(b, d, P_SET_ALT_ZERO);
			SET(b, d, summary, "dfu-util could not select the runtime interface (%s)",
			    f->claim_error[0] ? f->claim_error : "cannot set alternate interface zero");
			SET(b, d, explanation, "%s libusb 1.0.23 and 1.0.24 fail to set alternate setting zero on a "
						"device's runtime interface, so dfu-util cannot switch it to DFU mode",
			    on_macos(b) ? "on macOS," : "a known host libusb defect (macOS):");
			SET(b, d, fix, "update libusb (brew upgrade libusb) or use a dfu-util build with libusb 1.0.25 or "
				       "newer; meanwhile put the device in DFU mode by hand (buttons) and flash it there");
		}
	}
	/* "Cannot set alternate interface" right after the claim: the device is
	 * there (it was just opened and claimed); macOS libusb 1.0.23/1.0.24 fail
	 * this way. A vanished device names NO_DEVICE/IO; Linux and Windows
	 * pastes are read as the lost device / the driver. */
	if (HAS(P_CANNOT_SET_ALT) && !HAS(P_SET_ALT_ZERO) && !HAS(P_NODEV) && !HAS(P_IO) && !HAS(P_LINUX) &&
	    !b->ps->gnu_linux && !on_windows(b)) {
		sf_diagnosis *d = add(b, "libusb-bug");
		evidence_pat(b, d, P_CANNOT_SET_ALT);
		SET(b, d, summary, "dfu-util could not select the DFU alt setting of a device it had just claimed");
		SET(b, d, explanation, "the device answered and was claimed, then selecting its alt setting failed: "
					"the known defect of libusb 1.0.23 and 1.0.24 on macOS (and of dfu-util builds "
					"that bundle them)");
		SET(b, d, fix, "update libusb (brew upgrade libusb) and use a dfu-util built with libusb 1.0.25 or "
			       "newer (brew reinstall dfu-util); on another OS it works as is");
	}
	if (HAS(P_MULTIPLE) || run->select == SF_SELECT_AMBIGUOUS)
		diag_multiple(b);
	if (HAS(P_NO_SUCH_ALT)) {
		sf_diagnosis *d = add(b, "alt-not-found");
		evidence_pat(b, d, P_NO_SUCH_ALT);
		SET(b, d, summary, "the device has no alt setting %s", f->no_alt[0] ? f->no_alt : f->cmd_alt);
		SET(b, d, explanation, "dfu-util reads a non-numeric -a value as an alt setting NAME (it must be the "
					"whole interface string) and no alt of the device is called that%s",
		    f->cmd_alt[0] && (f->cmd_alt[0] < '0' || f->cmd_alt[0] > '9') ?
			    " (a letter 'o' typed for the digit 0 does this)" : "");
		SET(b, d, fix, "pass the alt setting as a number (-a 0 for internal flash); 'dfu-util -l' lists them; "
			       "sparkflash passes -a from the profile");
	}
	if (HAS(P_LOST_AFTER_RESET) && !open_denied) {
		sf_diagnosis *d = add(b, "device-lost");
		evidence_pat(b, d, P_DETACH);
		evidence_pat(b, d, P_LOST_AFTER_RESET);
		SET(b, d, summary, "the device did not come back in DFU mode after the detach request");
		SET(b, d, explanation, "dfu-util asked the running device to switch to DFU mode (detach) and it "
					"disappeared without re-enumerating as a DFU device: its firmware does not "
					"reattach by itself (bitWillDetach), the USB reset did not reach it%s, or it "
					"took longer than dfu-util waited",
		    on_windows(b) ? " (WinUSB cannot reset a device)" : "");
		SET(b, d, fix, "put the device in DFU mode by hand (buttons) and flash it there; with bare dfu-util "
			       "a longer -E delay may help; a device firmware that sets bitWillDetach re-enumerates on "
			       "its own");
	}
	{
		bool runtime_seen = HAS(P_FOUND_RUNTIME);
		for (size_t i = 0; i < b->ps->nlisted && !runtime_seen; i++)
			if (b->ps->listed[i].runtime && b->ps->listed[i].run <= (size_t)(run - b->ps->runs) &&
			    !bystander_kind(&b->ps->listed[i]))
				runtime_seen = true;
		if (HAS(P_STILL_RUNTIME) || HAS(P_NOT_IN_DFU) || run->select == SF_SELECT_RUNTIME ||
		    (HAS(P_REALLY_RUNTIME) && (HAS(P_CANNOT_OPEN_DEVICE) || HAS(P_NO_DEVICE)) && !open_denied) ||
		    ((HAS(P_NO_DEVICE) || run->select == SF_SELECT_NONE) && runtime_seen && !HAS(P_FOUND_DFU) &&
		     !open_denied)) {
			sf_diagnosis *d = add(b, "runtime-mode");
			sbuf fix = { 0 };
			evidence_pat(b, d, P_STILL_RUNTIME);
			evidence_pat(b, d, P_NOT_IN_DFU);
			evidence_pat(b, d, P_REALLY_RUNTIME);
			evidence_pat(b, d, P_FOUND_RUNTIME);
			evidence_pat(b, d, P_NO_DEVICE);
			evidence(b, d, run->select_line);
			SET(b, d, summary, "%s is in normal (runtime) mode, not DFU mode", device_label(ctx));
			SET(b, d, explanation, "the device answered as a runtime (application) DFU interface; flashing "
						"needs the bootloader's DFU mode");
			append_dfu_help(&fix, ctx);
			sb_printf(&fix, "; then retry (sparkflash --detach asks a running Particle device to switch)");
			if (d)
				set_text(b, &d->fix, &fix);
		} else if ((HAS(P_NO_DEVICE) || run->select == SF_SELECT_NONE) && !open_denied && !added(b, "alt-not-found")) {
			/* a -a that names no alt of the listed device */
			bool alt_missing = false;
			long alt_num;
			char *end;
			if (f->cmd_alt_given && f->cmd_alt[0]) {
				bool dev_listed = false, alt_listed = false;
				alt_num = strtol(f->cmd_alt, &end, 0);
				for (size_t i = 0; i < b->ps->nlisted; i++) {
					const sf_listed *e = &b->ps->listed[i];
					if (e->runtime || (f->cmd_has_id && (e->vid != f->cmd_vid || e->pid != f->cmd_pid)))
						continue;
					dev_listed = true;
					if (*end ? !strcmp(e->name, f->cmd_alt) : e->alt == alt_num)
						alt_listed = true;
				}
				alt_missing = dev_listed && !alt_listed;
			}
			if (alt_missing) {
				sf_diagnosis *d = add(b, "alt-not-found");
				evidence_pat(b, d, P_NO_DEVICE);
				evidence_pat(b, d, P_FOUND_DFU);
				SET(b, d, summary, "the device has no alt setting %s", f->cmd_alt);
				SET(b, d, explanation, "the device is listed in DFU mode, but none of its alt settings is "
							"%s, so dfu-util found nothing to match -a", f->cmd_alt);
				SET(b, d, fix, "pass one of the alt settings 'dfu-util -l' lists (-a 0 for internal flash)");
			} else {
				diag_no_device(b);
			}
		}
	}

	/* A `dfu-util -l` that lists nothing at all. */
	if (f->cmd_op == SF_OP_LIST && !HAS(P_FOUND_DFU) && !HAS(P_FOUND_RUNTIME) && !open_denied &&
	    !added(b, "no-device") && !added(b, "runtime-mode") && !failed_exit && HAS(P_BANNER))
		diag_no_device(b);

	/* 6. Refusals before any data moved. */
	if (HAS(P_NOT_DFUSE) && f->rt_dfu_version == 0x011a &&
	    ((f->vmajor == 0 && f->vminor >= 0 && f->vminor < 11) ||
	     (f->vmajor < 0 && b->ps->vmajor == 0 && b->ps->vminor >= 0 && b->ps->vminor < 11))) {
		/* a DfuSe device (DFU 1.1a) whose layout string this dfu-util
		 * cannot parse: 0.11 reads past junk after the last segment */
		sf_diagnosis *d = add(b, "tool-too-old");
		evidence_pat(b, d, P_NOT_DFUSE_HINT);
		evidence_pat(b, d, P_NOT_DFUSE);
		SET(b, d, summary, "dfu-util %s cannot read this DfuSe device's memory layout",
		    f->version[0] ? f->version : b->ps->version[0] ? b->ps->version : "(an old version)");
		SET(b, d, explanation, "the device is a DfuSe device (DFU version 1.1a), but its alt setting name does "
					"not parse as a memory layout for this dfu-util (some bootloaders append stray "
					"characters, which dfu-util 0.11 tolerates)");
		SET(b, d, fix, "install dfu-util 0.11 and run the command again");
	} else if (HAS(P_NOT_DFUSE)) {
		sf_diagnosis *d = add(b, "not-dfuse-device");
		evidence_pat(b, d, P_NOT_DFUSE_HINT);
		evidence_pat(b, d, P_NOT_DFUSE);
		SET(b, d, summary, "DfuSe options (-s ADDRESS) were used on a plain DFU device");
		SET(b, d, explanation, "the device is a standard DFU 1.1 device: its alt setting name is not a DfuSe "
					"memory layout ('@Name/0xADDR/...'), so dfu-util cannot place data at an address");
		SET(b, d, fix, "drop -s/--dfuse-address and download the image as a whole (dfu-util -a N -D file); in "
			       "PlatformIO use an upload protocol or flags without the DfuSe address");
	}
	if (HAS(P_INVALID_ADDR)) {
		sf_diagnosis *d = add(b, "address-invalid");
		bool leave_word = strstr(f->addr_arg, "leave") != NULL;
		int maj = f->vmajor >= 0 ? f->vmajor : b->ps->vmajor, min = f->vmajor >= 0 ? f->vminor : b->ps->vminor;
		bool old = maj == 0 && min >= 0 && min < 7;
		evidence_pat(b, d, P_INVALID_ADDR);
		SET(b, d, summary, "dfu-util rejected the DfuSe address or modifier '%s'", f->addr_arg);
		if ((leave_word && strstr(f->addr_arg, ":leave") && !strchr(f->addr_arg + 1, ' ')) || old)
			SET(b, d, explanation, "this dfu-util%s does not know the ':leave' modifier (dfu-util 0.5 and "
						"older), so it rejected the whole -s argument",
			    old ? " (an old version)" : "");
		else
			SET(b, d, explanation, "dfu-util could not parse the -s argument: it reads a leading 0 as octal "
						"(08000000 is invalid) and needs full modifier words (leave, force, "
						"unprotect, mass-erase, will-reset)");
		if (leave_word || old)
			SET(b, d, fix, "upgrade dfu-util to 0.9 or newer; sparkflash builds -s for you from the profile");
		else
			SET(b, d, fix, "give the address as 0x... hex (e.g. 0x08005000) with full modifier words; "
					"sparkflash builds -s for you from the profile and a named segment");
	}
	/* (an empty file makes dfu-util 0.11 check the page before its start:
	 * the empty file is the whole story) */
	if ((HAS(P_FILE_TOO_BIG) || HAS(P_LAST_PAGE) || HAS(P_PAGE_NOT_WRITABLE) || HAS(P_CANNOT_ERASE_PAGE) ||
	     HAS(P_NOT_READABLE)) && !size_zero) {
		mapinfo m;
		int start_ok = -1;
		run_map(b, &m);
		if (f->has_elem)
			start_ok = writable_at(&m, f->elem_addr);
		if (start_ok < 0 && HAS(P_LAST_PAGE) && f->has_elem && f->elem_size > 0) {
			/* No map in sight: an image of some size that starts inside an
			 * MCU's on-chip flash window (STM32/GD32 at 0x08000000) and
			 * ends past the writable part is too big; a small image, or
			 * one aimed outside that window, has the wrong address. */
			bool in_flash = f->elem_addr >= 0x08000000u && f->elem_addr < 0x08200000u;
			/* no MCU bootloader exposes 16 MiB of writable memory: an image
			 * that big does not fit wherever it starts */
			start_ok = (in_flash && f->elem_size > 16 * 1024) || f->elem_size >= 16L * 1024 * 1024 ? 2 : 0;
		}
		if (HAS(P_FILE_TOO_BIG) || (HAS(P_LAST_PAGE) && !HAS(P_PAGE_NOT_WRITABLE) && start_ok >= 1)) {
			sf_diagnosis *d = add(b, "file-too-large");
			evidence_pat(b, d, P_FILE_TOO_BIG);
			evidence(b, d, f->p[P_XFER_START].first);
			evidence_pat(b, d, P_LAST_PAGE);
			if (HAS(P_LAST_PAGE) && f->elem_size >= 0 && start_ok == 2) {
				SET(b, d, summary, "the file (%ld bytes) runs past the writable memory from 0x%08x "
						   "(last byte 0x%08x)", f->elem_size, f->elem_addr,
				    f->has_last_page ? f->last_page : f->elem_addr);
			} else if (HAS(P_LAST_PAGE) && f->elem_size >= 0) {
				uint64_t room = writable_end(&m, f->elem_addr) - f->elem_addr;
				SET(b, d, summary, "the file (%ld bytes) does not fit: %llu bytes are writable from 0x%08x",
				    f->elem_size, (unsigned long long)room, f->elem_addr);
			} else {
				SET(b, d, summary, "the file is too large");
			}
			if (start_ok == 2)
				SET(b, d, explanation, "the image starts in the chip's flash but its last byte lies past the "
							"writable memory the bootloader declares (the map is not in the log: "
							"'dfu-util -l' shows it); the file is larger than the region; dfu-util "
							"refused before sending data");
			else
				SET(b, d, explanation, "%s", HAS(P_LAST_PAGE) ?
					"the start address is writable (per the memory map) but the end of the image is not: "
					"the file is larger than the region it is written to; dfu-util refused before "
					"sending data" :
					"dfu-util could not load the file into memory (it is larger than it can handle)");
			SET(b, d, fix, "check that you picked the right file for this device and segment (a full "
					"monolithic image does not fit the user-firmware slot: write it where its "
					"header says); sparkflash checks sizes against the profile before flashing");
		} else {
			sf_diagnosis *d = add(b, "page-not-writable");
			uint32_t a = f->has_page ? f->page_addr : f->last_page;
			bool page_not_start = HAS(P_PAGE_NOT_WRITABLE) && f->has_elem && f->has_page &&
					      f->page_addr == f->elem_addr;
			evidence(b, d, f->p[P_XFER_START].first);
			evidence_pat(b, d, P_LAST_PAGE);
			evidence_pat(b, d, P_PAGE_NOT_WRITABLE);
			evidence_pat(b, d, P_CANNOT_ERASE_PAGE);
			evidence_pat(b, d, P_NOT_READABLE);
			if (HAS(P_NOT_READABLE))
				SET(b, d, summary, "address 0x%08x is not readable on this alt setting", a);
			else if (HAS(P_CANNOT_ERASE_PAGE))
				SET(b, d, summary, "the page at 0x%08x can not be erased on this alt setting", a);
			else if (f->has_elem && (page_not_start || start_ok == 0))
				SET(b, d, summary, "wrong address: 0x%08x is not writable on this alt setting", f->elem_addr);
			else
				SET(b, d, summary, "address 0x%08x is not writable on this alt setting", a);
			if (start_ok == 0 || page_not_start)
				SET(b, d, explanation, "the start address itself lies in read-only or unmapped memory of "
							"the alt setting%s (e.g. a Spark Core address, 0x08005000, on a Photon, "
							"where that sector is read-only); dfu-util refused before sending data",
				    m.source ? " (per the memory map)" : "");
			else
				SET(b, d, explanation, "the memory map the device reports for this alt setting does not "
							"allow this access there (e.g. the Spark bootloader area "
							"0x08000000-0x08004FFF is read-only, or the address is in memory this "
							"bootloader does not expose)%s; dfu-util refused before sending data",
				    HAS(P_LAST_PAGE) && start_ok < 0 ? ", or the file runs past the end of the region" : "");
			SET(b, d, fix, "check the address and the alt setting (-a) against the device (dfu-util -l shows "
					"the map) or its profile; for a Particle device write a named segment (sparkflash "
					"flash --usb) instead of a raw address; use :force only if you know the map is wrong");
		}
	}

	/* 7. Device-reported failures during the transfer. */
	stdout_missing = !HAS(P_BANNER) && !HAS(P_OPENING) && !HAS(P_PROGRESS) && f->setup_end < 0 && !f->opened_id &&
			 f->prefixed_msgs > 0 && !HAS(P_FILE_DL_OK);
	if (HAS(P_FILE_DL_OK))
		anchor = f->p[P_FILE_DL_OK].last;
	else if (HAS(P_UL_DONE) && (HAS(P_LEAVE_REQ) || f->cmd_leave))
		anchor = f->p[P_UL_DONE].last;
	else if ((HAS(P_DL_DONE) || HAS(P_DONE) || HAS(P_MANIFEST_STATE)) &&
		 (HAS(P_AFTER_COMPLETION) || HAS(P_RESET_AFTER_DL) || (run->exited && run->exit_status == 251) ||
		  HAS(P_MANIFEST_STATE)))
		anchor = HAS(P_MANIFEST_STATE) ? f->p[P_MANIFEST_STATE].first :
			 HAS(P_DL_DONE) ? f->p[P_DL_DONE].last : f->p[P_DONE].last;
	else if (HAS(P_LEAVE_REQ) && f->xfer_start < 0)
		anchor = f->p[P_LEAVE_REQ].last; /* DfuSe command mode: `-s ADDR:leave` alone */
	if (size_zero)
		anchor = -1;
	{
		bool fail_ctx = HAS(P_CHUNK_FAILED) || HAS(P_WRONG_STATE) || HAS(P_STATUS_NOT_OK) || HAS(P_ERASE_NOT_EXEC) ||
				HAS(P_SETADDR_NOT_EXEC) || HAS(P_UNPROTECT_NOT_EXEC) || HAS(P_OTHER_NOT_EXEC) ||
				f->status_line >= 0;
		int st = f->status;
		if (anchor >= 0 && f->status_line >= 0 && after(b->t, f->status_line, anchor) && !HAS(P_CHUNK_FAILED))
			fail_ctx = false; /* a status after the data was in belongs to the leave */
		if (fail_ctx && (failed_exit || exit_hint_failed || !run->outcome_known || f->status_line >= 0)) {
			bool erase_cmd = special_is_erase(f) || HAS(P_ERASE_NOT_EXEC);
			/* the device answered the very first erase with an error, before
			 * a byte moved: it refuses to change its flash (protection) */
			bool refused_at_start = f->max_percent == 0 && f->max_bytes == 0 &&
						(HAS(P_CHUNK_FAILED) || HAS(P_ERASE_NOT_EXEC));
			if ((st == 4 || st == 5 || (st < 0 && HAS(P_ERASE_NOT_EXEC))) && refused_at_start)
				diag_status(b, "target-protected", st);
			/* an erase command the device answered with an error and no
			 * erase status, or with errTARGET/errVENDOR: read/write
			 * protection (STM32 read-out protection refuses every erase) */
			else if ((st < 0 && HAS(P_ERASE_NOT_EXEC)) || ((st == 1 || st == 11) && erase_cmd))
				diag_status(b, "target-protected", st);
			else if (st == 4 || st == 5 || (st < 0 && erase_cmd))
				diag_status(b, "erase-failed", st);
			else if (st == 3 || st == 6 || st == 7)
				diag_status(b, "write-failed", st);
			else if (st == 1 || (st < 0 && HAS(P_UNPROTECT_NOT_EXEC)))
				diag_status(b, "target-protected", st);
			else if (st > 0 || HAS(P_WRONG_STATE) || HAS(P_SETADDR_NOT_EXEC) || HAS(P_OTHER_NOT_EXEC) ||
				 HAS(P_STATUS_NOT_OK) || HAS(P_CHUNK_FAILED))
				diag_status(b, "status-error", st);
		}
	}

	/* 8. USB-level failures during the transfer (not the leave step). */
	{
		long limit = anchor; /* errors at or after the anchor belong to the leave step */
		bool before_anchor_err = false;
		static const enum sf_pat lost_pats[] = {
			P_NODEV, P_IO, P_ERR_SPECIAL, P_COMPLETION, P_ERR_GETSTATUS, P_GET_STATUS_ERR, P_ERR_DOWNLOAD,
			P_ERR_UPLOAD, P_STUCK, P_CLEAR_STATUS, P_ABORT, P_CANNOT_SET_ALT, P_AFTER_COMPLETION, P_TIMEOUT_ERR,
			P_DFUSE_XFER,
		};
		bool status_found = false, stalled, lost = false;
		for (size_t k = 0; k < sizeof lost_pats / sizeof lost_pats[0]; k++) {
			long first = f->p[lost_pats[k]].first;
			if (first >= 0 && (limit < 0 || !after(b->t, first, limit)))
				lost = true;
		}
		if (HAS(P_CANNOT_OPEN_DEVICE) && !open_denied && !HAS(P_REALLY_RUNTIME))
			lost = true;
		stalled = f->p[P_PIPE].first >= 0 && (limit < 0 || !after(b->t, f->p[P_PIPE].first, limit));
		before_anchor_err = lost || stalled;
		for (size_t i = 0; i < b->r->n; i++)
			if (b->r->items[i].status >= 0 || !strcmp(b->r->items[i].id, "erase-failed") ||
			    !strcmp(b->r->items[i].id, "status-error") || !strcmp(b->r->items[i].id, "target-protected") ||
			    !strcmp(b->r->items[i].id, "write-failed"))
				status_found = true;
		/* Only the wrapper's capture of stderr is there (particle-cli): the
		 * get_status error of a :leave download is the classic harmless
		 * one, the data lines just were not shown. */
		if (stdout_missing && f->cmd_leave && HAS(P_ERR_GETSTATUS) && !status_found && !HAS(P_ERR_SPECIAL) &&
		    !HAS(P_WRONG_STATE) && !HAS(P_PIPE) && !HAS(P_NODEV)) {
			sf_diagnosis *d = add(b, "leave-unconfirmed");
			evidence_pat(b, d, P_CMD);
			evidence_pat(b, d, P_ERR_GETSTATUS);
			SET(b, d, summary, "probably written; the device reset at the leave request (only dfu-util's "
					   "error output is shown)");
			SET(b, d, explanation, "the command asked the device to leave DFU mode after the download "
						"(':leave'), and the log carries only dfu-util's error stream: the lone "
						"'Error during download get_status' is what dfu-util prints when the device "
						"resets at that request, as Particle bootloaders do; the progress lines were "
						"not captured");
			SET(b, d, fix, "nothing to do if the device now runs the new firmware; run the dfu-util command "
				       "directly (or sparkflash) to see the whole output and be sure");
			before_anchor_err = false;
		} else if (special_is_erase(f) && HAS(P_ERR_SPECIAL) && !status_found && !HAS(P_NODEV) && !HAS(P_IO)) {
			/* the erase was accepted, then the device stopped answering
			 * while erasing (stalls, time-outs or silence); in the range
			 * its bootloader protects, that is the refusal */
			mapinfo m;
			run_map(b, &m);
			if (f->has_elem && in_protected(&m, f->elem_addr + (uint32_t)f->max_bytes, 1))
				diag_protected_area(b, &m, "stalled the erase");
			else
				diag_status(b, "erase-failed", -1);
		} else if (stalled && !(HAS(P_NODEV) && !HAS(P_ERR_DOWNLOAD) && !HAS(P_DFUSE_XFER)) && !status_found) {
			sf_diagnosis *d = add(b, "transfer-stalled");
			evidence_pat(b, d, P_PIPE);
			evidence_pat(b, d, P_ERR_DOWNLOAD);
			evidence_pat(b, d, P_ERR_SPECIAL);
			evidence_pat(b, d, P_ERR_GETSTATUS);
			SET(b, d, summary, "the device stalled a USB request (LIBUSB_ERROR_PIPE)");
			SET(b, d, explanation, "the device answered a DFU request with a STALL: it rejected the command "
						"in its current state (e.g. an address it does not accept) or the USB "
						"link glitched; the transfer stopped part way");
			SET(b, d, fix, "reset the device into DFU mode and retry; if it stalls at the same point, "
					"check the address and that the image suits this device; otherwise try another "
					"cable or port (no hub)");
		} else if (lost && !status_found && !added(b, "device-lost") && !added(b, "libusb-bug") &&
			   !added(b, "windows-driver")) {
			sf_diagnosis *d = add(b, "device-lost");
			static const enum sf_pat ev[] = {
				P_NODEV, P_IO, P_ERR_SPECIAL, P_ERR_DOWNLOAD, P_ERR_GETSTATUS, P_GET_STATUS_ERR, P_ERR_UPLOAD,
				P_COMPLETION, P_STUCK, P_CLEAR_STATUS, P_ABORT, P_CANNOT_OPEN_DEVICE, P_CANNOT_SET_ALT,
				P_TIMEOUT_ERR,
			};
			for (size_t k = 0; k < sizeof ev / sizeof ev[0]; k++)
				evidence_pat(b, d, ev[k]);
			SET(b, d, summary, "the device stopped answering during the transfer");
			if (f->xfer_start >= 0 && f->op != SF_OP_UPLOAD)
				SET(b, d, explanation, "the device disconnected, reset or stopped responding in the middle "
							"of the operation (%d%%, %lu bytes: cable, hub or power trouble, or the "
							"device crashed); the flash may be partly written",
				    f->max_percent < 0 ? 0 : f->max_percent, f->max_bytes);
			else
				SET(b, d, explanation, "the device disconnected, reset or stopped responding in the middle "
							"of the operation (cable, hub or power trouble, or the device crashed)%s",
				    f->op == SF_OP_UPLOAD ? "" : "; the flash may be partly written");
			SET(b, d, fix, "use another cable and a port directly on the computer (no hub), make sure "
					"the device has stable power, put it back in DFU mode and flash again");
		}
		(void)before_anchor_err;
	}

	/* 9. A download dfu-util calls good, into memory the device's map or
	 * bootloader does not let it write (only with :force): the bootloader
	 * ignored it, or wrote part of it. */
	if (written && f->op == SF_OP_DOWNLOAD && f->has_elem && f->elem_size > 0 && !added(b, "page-not-writable") &&
	    !added(b, "file-too-large")) {
		mapinfo m;
		run_map(b, &m);
		if (m.source && in_protected(&m, f->elem_addr, (uint64_t)f->elem_size)) {
			diag_protected_area(b, &m, "reported success");
		} else if (m.source && !strcmp(m.source, "the device profile") && writable_at(&m, f->elem_addr) == 0) {
			sf_diagnosis *d = add(b, "page-not-writable");
			evidence(b, d, f->p[P_XFER_START].first);
			evidence(b, d, f->completion);
			SET(b, d, summary, "nothing written: 0x%08x is read-only on this alt setting", f->elem_addr);
			SET(b, d, explanation, "dfu-util was told to write read-only memory (with :force, past its own map "
						"check) and reported success, but %s's bootloader does not write there: the "
						"memory is unchanged", device_label(b->ctx));
			SET(b, d, fix, "write to a writable address (a named segment: sparkflash flash --usb / --segment); "
				       "read the region back to see what the device holds");
		} else if (m.source && !strcmp(m.source, "the device profile") && writable_at(&m, f->elem_addr) == 1 &&
			   writable_end(&m, f->elem_addr) < (uint64_t)f->elem_addr + (uint64_t)f->elem_size) {
			sf_diagnosis *d = add(b, "file-too-large");
			uint64_t room = writable_end(&m, f->elem_addr) - f->elem_addr;
			evidence(b, d, f->p[P_XFER_START].first);
			evidence(b, d, f->completion);
			SET(b, d, summary, "only part written: the file (%ld bytes) is larger than the %llu writable bytes "
					   "from 0x%08x", f->elem_size, (unsigned long long)room, f->elem_addr);
			SET(b, d, explanation, "dfu-util was told to write past the end of writable memory (with :force) and "
						"reported success, but the device keeps only what fits: the image is cut off");
			SET(b, d, fix, "use the image built for this device and segment; sparkflash checks the size against "
				       "the profile before flashing");
		}
	}

	/* 10. The leave step (or the end of a plain DFU download). */
	if (anchor >= 0 && !run->timed_out)
		judge_leave(b, anchor, failed_exit || exit_hint_failed);
	else if (written && run->after_leave == SF_AFTER_LEAVE_DFU)
		judge_leave(b, f->completion, false);

	/* 11. sparkflash's read-back comparison. */
	if (run->verify_bytes > 0) {
		sf_diagnosis *d = add(b, "verify-mismatch");
		evidence(b, d, run->verify_line);
		SET(b, d, summary, "the data read back differs from the file in %ld byte%s", run->verify_bytes,
		    run->verify_bytes == 1 ? "" : "s");
		SET(b, d, explanation, "the device accepted the write but its memory does not hold the file%s%s: the "
					"bootloader ignored (part of) the write, the region is protected, or the flash "
					"is failing; the device was left in DFU mode",
		    run->verify_text[0] ? " (" : "", run->verify_text[0] ? run->verify_text : "");
		if (run->verify_text[0])
			SET(b, d, explanation, "the device accepted the write but its memory does not hold the file "
						"(differing: %s): the bootloader ignored (part of) the write, the region is "
						"protected, or the flash is failing; the device was left in DFU mode",
			    run->verify_text);
		SET(b, d, fix, "flash again from a fresh DFU mode entry; if the same bytes differ, check that the "
			       "address is one the bootloader writes (a Spark Core ignores writes it refuses) and the "
			       "chip's write protection");
	}

	/* 12. Harmless notes. */
	if (HAS(P_SUFFIX)) {
		sf_diagnosis *d = add(b, "suffix-missing");
		evidence_pat(b, d, P_SUFFIX);
		SET(b, d, summary, "the file has no DFU suffix (normal for a raw .bin)");
		SET(b, d, explanation, "dfu-util warns when a file lacks the 16-byte DFU suffix (or its CRC is "
					"wrong); raw firmware .bin files never have one");
		SET(b, d, fix, "nothing to do");
	}

	for (size_t i = 0; i < b->r->n; i++) {
		if (b->r->items[i].severity == SF_DIAG_ERROR)
			had_error = true;
		else if (b->r->items[i].severity == SF_DIAG_WARNING)
			warn = true;
	}
	if (!had_error && !b->oom) {
		bool success_marker = written || HAS(P_UL_DONE) || HAS(P_RECEIVED);
		bool failure;
		if (added(b, "leave-unconfirmed") || added(b, "leave-ignored"))
			failure = false;
		else if (run->outcome_known)
			failure = failed_exit;
		else if (exit_hint_failed && !success_marker)
			failure = true;
		else
			failure = f->nerrorish > 0 ? !(success_marker || HAS(P_FOUND_DFU) || HAS(P_FOUND_RUNTIME)) :
				  !(success_marker || (HAS(P_BANNER) && run_has_content(b)) || HAS(P_DFU_CONTENT) ||
				    HAS(P_FOUND_DFU) || HAS(P_FOUND_RUNTIME));
		if (failure) {
			diag_unknown(b);
			had_error = true;
		}
	}
	return had_error ? RV_FAIL : warn ? RV_WARN : RV_OK;
}

/* ---- the whole transcript ----------------------------------------------- */

static int rank(const sf_diagnosis *d)
{
	if (!strcmp(d->id, "dfu-util-missing"))
		return 0;
	if (!strcmp(d->id, "interrupted"))
		return 1;
	if (!strcmp(d->id, "timeout"))
		return 2;
	if (!strcmp(d->id, "multiple-devices") || !strcmp(d->id, "verify-mismatch"))
		return 3;
	/* the note about the file comes after what happened to the run:
	 * evidence lines of stdout and stderr are not ordered reliably (dfu-util
	 * buffers stdout), so their line order cannot decide between them */
	if (!strcmp(d->id, "suffix-missing"))
		return 5;
	return 4;
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

static void gather_paste(paste *ps, const sf_transcript *t, const sf_run *runs, size_t nruns)
{
	sf_nline *nl = malloc(sizeof *nl);
	memset(ps, 0, sizeof *ps);
	ps->t = t;
	ps->runs = runs;
	ps->nruns = nruns;
	ps->vmajor = ps->vminor = -1;
	ps->nlisted = sf_diag_scan_listing(t, runs, nruns, ps->listed, SF_MAX_LISTED);
	if (!nl)
		return;
	for (size_t i = 0; i < t->n; i++) {
		const char *l;
		if (t->lines[i].stream == SF_STREAM_NOTE)
			continue;
		sf_diag_normalise(t->lines[i].text, nl);
		l = nl->full;
		if (!ps->version[0] && !strncmp(nl->low, "dfu-util ", 9) && nl->low[9] >= '0' && nl->low[9] <= '9') {
			char *dot;
			snprintf(ps->version, sizeof ps->version, "%.20s", nl->orig + 9);
			ps->vmajor = atoi(ps->version);
			dot = strchr(ps->version, '.');
			ps->vminor = dot ? atoi(dot + 1) : -1;
		}
		if (strstr(l, "dfu-util.exe") || strstr(l, ":\\") || strstr(l, "ps c:") || strstr(l, "/cygdrive/") ||
		    strstr(l, "c:/") || strstr(l, "zadig") || strstr(l, "winusb"))
			ps->windows = true;
		if (strstr(l, "macbook") || strstr(l, "-mbp:") || strstr(l, "/users/") || strstr(l, "darwin") ||
		    strstr(l, "/opt/homebrew") || strstr(l, "/usr/local/cellar"))
			ps->macos = true;
		if (strstr(l, "ubuntu") || strstr(l, "debian") || strstr(l, "fedora") || strstr(l, "raspberrypi") ||
		    strstr(l, "pi@") || strstr(l, "manjaro") || strstr(l, "/dev/tty") || strstr(l, "/home/") ||
		    !strncmp(l, "bus 0", 5))
			ps->gnu_linux = true;
	}
	free(nl);
}

/* A listing run after run `r` that shows the device r wrote still in DFU
 * mode (the user looked after a leave and found it there). */
static long later_listing_shows(const paste *ps, size_t r, const sf_run_facts *f)
{
	for (size_t i = 0; i < ps->nlisted; i++) {
		const sf_listed *e = &ps->listed[i];
		if (e->run <= r || e->runtime)
			continue;
		if (!f->opened_id || (e->vid == f->dev_vid && e->pid == f->dev_pid))
			return e->line;
	}
	return -1;
}

static bool run_wrote_and_left(const sf_run_facts *f)
{
	return f->completion >= 0 && (f->cmd_leave || f->p[P_LEAVE_REQ].count || f->p[P_MANIFEST].count ||
				      f->p[P_RESET_RUNTIME].count);
}

static bool run_has_dfu_content(const sf_run_facts *f, const sf_run *run)
{
	return f->p[P_BANNER].count || f->p[P_DFU_CONTENT].count || f->p[P_MISSING].count || f->p[P_FOUND_DFU].count ||
	       f->p[P_FOUND_RUNTIME].count || f->nerrorish || f->p[P_NO_DEVICE].count || f->p[P_MULTIPLE].count ||
	       run->outcome_known || run->select != SF_SELECT_OK || run->verify_bytes >= 0 || f->p[P_CMD].count;
}

int sf_diagnose(const sf_transcript *t, const sf_diag_context *ctx, sf_diag_result *out)
{
	sf_run *runs = NULL;
	size_t nruns;
	paste *ps = NULL;
	sf_run_facts *facts = NULL;
	sf_diag_result *per = NULL;
	run_verdict *rv = NULL;
	size_t decisive = 0;
	bool oom = false, have = false;

	memset(out, 0, sizeof *out);
	nruns = sf_diag_split_runs(t, &runs);
	if (nruns == (size_t)-1)
		return SF_EXIT_INTERNAL;
	ps = malloc(sizeof *ps);
	facts = calloc(nruns, sizeof *facts);
	per = calloc(nruns, sizeof *per);
	rv = calloc(nruns, sizeof *rv);
	if (!ps || !facts || !per || !rv) {
		oom = true;
		goto done;
	}
	gather_paste(ps, t, runs, nruns);

	for (size_t i = 0; i < nruns; i++) {
		builder b = { .t = t, .ctx = ctx, .ps = ps, .run = &runs[i], .f = &facts[i], .r = &per[i] };
		if (!sf_diag_scan_run(t, runs[i].first, runs[i].end, &facts[i])) {
			oom = true;
			goto done;
		}
		if (!run_has_dfu_content(&facts[i], &runs[i]) && i + 1 < nruns) {
			rv[i] = RV_EMPTY;
			continue;
		}
		rv[i] = judge_run(&b);
		if (b.oom) {
			oom = true;
			goto done;
		}
	}
	/* The decisive run: the last that did more than list devices (a retry
	 * that worked wins over the failure before it); else the last one. */
	for (size_t i = nruns; i-- > 0;) {
		if (rv[i] == RV_EMPTY)
			continue;
		if (!have) {
			decisive = i;
			have = true;
		}
		if (facts[i].op != SF_OP_LIST || runs[i].select != SF_SELECT_OK) {
			decisive = i;
			break;
		}
	}
	/* A listing after a write-and-leave that still shows the device in DFU
	 * mode: the leave was ignored (unless that run already knows). */
	if (have && rv[decisive] != RV_FAIL && rv[decisive] != RV_INTERRUPTED && run_wrote_and_left(&facts[decisive]) &&
	    runs[decisive].after_leave == SF_AFTER_LEAVE_UNKNOWN) {
		long line = later_listing_shows(ps, decisive, &facts[decisive]);
		if (line >= 0) {
			builder b = { .t = t, .ctx = ctx, .ps = ps, .run = &runs[decisive], .f = &facts[decisive],
				      .r = &per[decisive] };
			sf_run copy = runs[decisive];
			copy.after_leave = SF_AFTER_LEAVE_DFU;
			copy.after_leave_line = line;
			b.run = &copy;
			/* drop a leave-unconfirmed: the listing answers the question */
			for (size_t k = 0; k < per[decisive].n; k++)
				if (!strcmp(per[decisive].items[k].id, "leave-unconfirmed"))
					per[decisive].items[k].severity = SF_DIAG_INFO;
			judge_leave(&b, facts[decisive].completion >= 0 ? facts[decisive].completion : line, false);
			if (b.oom) {
				oom = true;
				goto done;
			}
			rv[decisive] = RV_WARN;
		}
	}

	if (have) {
		*out = per[decisive];
		memset(&per[decisive], 0, sizeof per[decisive]);
		/* warnings of earlier runs that went well (e.g. a keys backup read)
		 * belong to the same command */
		if (rv[decisive] == RV_OK || rv[decisive] == RV_WARN) {
			for (size_t i = 0; i < decisive; i++) {
				if (rv[i] != RV_WARN)
					continue;
				for (size_t k = 0; k < per[i].n; k++) {
					sf_diagnosis *g;
					if (per[i].items[k].severity != SF_DIAG_WARNING)
						continue;
					g = realloc(out->items, (out->n + 1) * sizeof *g);
					if (!g) {
						oom = true;
						goto done;
					}
					out->items = g;
					out->items[out->n++] = per[i].items[k];
					memset(&per[i].items[k], 0, sizeof per[i].items[k]);
					per[i].items[k].id = "suffix-missing";
					per[i].items[k].severity = SF_DIAG_INFO;
					rv[decisive] = RV_WARN;
				}
			}
		}
		out->runs = nruns;
		out->decisive_run = decisive + 1;
		out->run_first_line = runs[decisive].first + 1;
		out->written = facts[decisive].completion >= 0 && !(facts[decisive].has_elem && facts[decisive].elem_size == 0);
		snprintf(out->version, sizeof out->version, "%s", facts[decisive].version[0] ? facts[decisive].version :
								  ps->version);
	}
	if (out->n > 1)
		qsort(out->items, out->n, sizeof *out->items, cmp_diag);
	if (have && rv[decisive] == RV_INTERRUPTED) {
		out->verdict = SF_VERDICT_INTERRUPTED;
		out->exit_code = out->n ? out->items[0].exit_code : SF_EXIT_INTERRUPTED;
	} else if (out->n && out->items[0].severity == SF_DIAG_ERROR) {
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

done:
	for (size_t i = 0; per && i < nruns; i++)
		sf_diag_result_free(&per[i]);
	free(per);
	free(rv);
	free(facts);
	free(ps);
	free(runs);
	if (oom) {
		sf_diag_result_free(out);
		return SF_EXIT_INTERNAL;
	}
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
	sf_nline *nl = malloc(sizeof *nl);
	if (!nl)
		return 0;
	for (size_t i = 0; i < t->n && n < max; i++) {
		const char *p = NULL;
		uint16_t v, pid;
		bool dup = false;
		size_t ll;
		if (t->lines[i].stream == SF_STREAM_NOTE)
			continue;
		sf_diag_normalise(t->lines[i].text, nl);
		ll = strlen(nl->low);
		if (!strncmp(nl->low, "cannot open dfu device ", 23))
			p = nl->orig + 23;
		else if (!strncmp(nl->low, "found dfu: [", 12) || !strncmp(nl->low, "found runtime: [", 16))
			p = strchr(nl->orig, '[') + 1;
		else if (!strncmp(nl->low, "device id ", 10))
			p = nl->orig + 10;
		else if (!strncmp(nl->low, "id ", 3) && ll > 7 && nl->low[7] == ':')
			p = nl->orig + 3;
		else if (sf_diag_is_command(nl) && strstr(nl->orig, " -d "))
			p = strstr(nl->orig, " -d ") + 4; /* runtime ID of "-d vid:pid[,vid:pid]" */
		if (!p)
			continue;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
			p += 2;
		if (!sf_diag_parse_vidpid(p, &v, &pid))
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
