#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "dfuout.h"
#include "numparse.h"

const char *sf_dfu_phase_name(sf_dfu_phase phase)
{
	switch (phase) {
	case SF_PHASE_ERASE: return "erase";
	case SF_PHASE_DOWNLOAD: return "download";
	case SF_PHASE_UPLOAD: return "upload";
	default: return "none";
	}
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const char *skip_space(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

static bool at_end(const char *p)
{
	return *skip_space(p) == '\0';
}

/* Decimal number of at most max_digits digits; NULL when none. */
static const char *parse_ulong(const char *p, unsigned long *out, int max_digits)
{
	unsigned long v = 0;
	int n = 0;
	while (is_digit(*p)) {
		if (++n > max_digits)
			return NULL;
		v = v * 10 + (unsigned long)(*p - '0');
		p++;
	}
	if (!n)
		return NULL;
	*out = v;
	return p;
}

/* Exactly 1..4 hex digits (dfu-util prints %04x). */
static const char *parse_hex16(const char *p, uint16_t *out)
{
	unsigned v = 0;
	int n = 0;
	while (sf_hex_digit(*p) >= 0) {
		if (++n > 4)
			return NULL;
		v = v * 16 + (unsigned)sf_hex_digit(*p);
		p++;
	}
	if (!n)
		return NULL;
	*out = (uint16_t)v;
	return p;
}

static void copy_text(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

const char *sf_dfu_strip_prefix(const char *line)
{
	const char *p = line;
	/* "<progname>: " where progname is one word containing "dfu". */
	while (*p && *p != ':' && !is_space(*p))
		p++;
	if (*p == ':' && p[1] == ' ' && p > line) {
		size_t len = (size_t)(p - line);
		for (size_t i = 0; i + 3 <= len; i++)
			if (!strncmp(line + i, "dfu", 3))
				return p + 2;
	}
	return line;
}

static const char *match_phase(const char *p, sf_dfu_phase *phase)
{
	static const struct { const char *word; sf_dfu_phase phase; } words[] = {
		{ "Erase", SF_PHASE_ERASE },
		{ "Download", SF_PHASE_DOWNLOAD },
		{ "Upload", SF_PHASE_UPLOAD },
	};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		size_t len = strlen(words[i].word);
		if (!strncmp(p, words[i].word, len)) {
			*phase = words[i].phase;
			return p + len;
		}
	}
	return NULL;
}

/* (Erase|Download|Upload) [ \t]* '[' [= ]{1,100} ']' \s+ N '%' \s+ N ' bytes' */
static bool parse_progress(const char *p, sf_dfu_line *out)
{
	sf_dfu_phase phase;
	unsigned long pct, bytes;
	int bar = 0;

	p = match_phase(skip_space(p), &phase);
	if (!p)
		return false;
	p = skip_space(p);
	if (*p++ != '[')
		return false;
	while (*p == '=' || *p == ' ' || *p == '>' || *p == '#') {
		if (++bar > 100)
			return false;
		p++;
	}
	if (!bar || *p++ != ']')
		return false;
	p = skip_space(p);
	if (!(p = parse_ulong(p, &pct, 3)) || pct > 100 || *p++ != '%')
		return false;
	p = skip_space(p);
	if (!(p = parse_ulong(p, &bytes, 19)))
		return false;
	if (!is_space(*p))
		return false;
	p = skip_space(p);
	if (strncmp(p, "bytes", 5) || !at_end(p + 5))
		return false;
	out->kind = SF_DLINE_PROGRESS;
	out->phase = phase;
	out->percent = (int)pct;
	out->bytes = bytes;
	return true;
}

static bool parse_done(const char *p, sf_dfu_line *out)
{
	sf_dfu_phase phase;
	p = match_phase(skip_space(p), &phase);
	if (!p || !is_space(*p))
		return false;
	p = skip_space(p);
	if (strncmp(p, "done.", 5) || !at_end(p + 5))
		return false;
	out->kind = SF_DLINE_PHASE_DONE;
	out->phase = phase;
	out->percent = 100;
	return true;
}

/* "dfu-util 0.11", "dfu-util 0.9-msvc", "dfu-util 0.11-dev" */
static bool parse_banner(const char *p, sf_dfu_line *out)
{
	const char *name = p, *ver;
	unsigned long major, minor;
	const char *q;
	bool has_dfu = false;

	while (*p && !is_space(*p))
		p++;
	for (const char *s = name; s + 3 <= p; s++)
		if (!strncmp(s, "dfu", 3))
			has_dfu = true;
	if (!has_dfu || p == name || p[-1] == ':' || *p != ' ')
		return false;
	ver = ++p;
	if (!(q = parse_ulong(p, &major, 4)) || *q != '.')
		return false;
	if (!(q = parse_ulong(q + 1, &minor, 4)))
		return false;
	while (*q && !is_space(*q))
		q++;
	if (!at_end(q) || (size_t)(q - ver) >= sizeof out->version)
		return false;
	out->kind = SF_DLINE_BANNER;
	copy_text(out->version, sizeof out->version, ver, (size_t)(q - ver));
	out->major = (int)major;
	out->minor = (int)minor;
	return true;
}

/* Reads a quoted value starting at p (which points at '"'); the value ends
 * at the next '"'. */
static const char *parse_quoted(const char *p, char *dst, size_t cap)
{
	const char *end;
	if (*p != '"')
		return NULL;
	end = strchr(p + 1, '"');
	if (!end)
		return NULL;
	copy_text(dst, cap, p + 1, (size_t)(end - p - 1));
	return end + 1;
}

/* Last occurrence of needle in [s, end). */
static const char *last_occurrence(const char *s, const char *needle)
{
	const char *hit = NULL, *p = s;
	while ((p = strstr(p, needle))) {
		hit = p;
		p++;
	}
	return hit;
}

/* Found DFU: [1d50:607f] ver=0200, devnum=7, cfg=1, intf=0, path="1-1",
 *   alt=1, name="@SPI Flash : SST25x/0x00000000/512*04Kg", serial="6D92487A5151"
 * Older forms lack path= (0.7/0.8), ver= and serial= (0.7). The name is an
 * arbitrary device string (it may contain quotes and commas), so it ends at
 * the last `", serial="`, or at the last quote of the line. */
static bool parse_found(const char *p, sf_dfu_line *out)
{
	sf_dfu_found *f = &out->found;
	bool have_alt = false, have_name = false;

	if (strncmp(p, "Found ", 6))
		return false;
	p += 6;
	if (!strncmp(p, "DFU: [", 6)) {
		f->runtime = false;
		p += 6;
	} else if (!strncmp(p, "Runtime: [", 10)) {
		f->runtime = true;
		p += 10;
	} else {
		return false;
	}
	if (!(p = parse_hex16(p, &f->vid)) || *p++ != ':')
		return false;
	if (!(p = parse_hex16(p, &f->pid)) || *p++ != ']')
		return false;
	for (;;) {
		const char *key;
		size_t klen;
		p = skip_space(p);
		if (*p == ',')
			p = skip_space(p + 1);
		if (!*p)
			break;
		key = p;
		while ((*p >= 'a' && *p <= 'z') || *p == '_')
			p++;
		klen = (size_t)(p - key);
		if (!klen || *p++ != '=')
			return false;
		if (klen == 4 && !strncmp(key, "name", 4)) {
			const char *start, *end;
			if (*p != '"')
				return false;
			start = p + 1;
			end = last_occurrence(start, "\", serial=\"");
			if (!end) {
				end = strrchr(start, '"');
				if (!end)
					return false;
			}
			copy_text(f->name, sizeof f->name, start, (size_t)(end - start));
			have_name = true;
			p = end + 1;
		} else if (klen == 6 && !strncmp(key, "serial", 6)) {
			/* Last field: up to the last quote. */
			const char *end;
			if (*p != '"' || !(end = strrchr(p + 1, '"')))
				return false;
			copy_text(f->serial, sizeof f->serial, p + 1, (size_t)(end - p - 1));
			f->has_serial = true;
			p = end + 1;
		} else if (klen == 4 && !strncmp(key, "path", 4)) {
			if (!(p = parse_quoted(p, f->path, sizeof f->path)))
				return false;
			f->has_path = true;
		} else if (klen == 3 && !strncmp(key, "ver", 3)) {
			if (!(p = parse_hex16(p, &f->ver)))
				return false;
			f->has_ver = true;
		} else {
			unsigned long v;
			if (!(p = parse_ulong(p, &v, 9)))
				return false;
			if (klen == 6 && !strncmp(key, "devnum", 6))
				f->devnum = (unsigned)v;
			else if (klen == 3 && !strncmp(key, "cfg", 3))
				f->cfg = (unsigned)v;
			else if (klen == 4 && !strncmp(key, "intf", 4))
				f->intf = (unsigned)v;
			else if (klen == 3 && !strncmp(key, "alt", 3)) {
				f->alt = (unsigned)v;
				have_alt = true;
			}
			/* unknown numeric keys (future versions) are skipped */
		}
		if (*p && *p != ',' && !is_space(*p))
			return false;
	}
	if (!have_alt || !have_name)
		return false;
	out->kind = SF_DLINE_FOUND;
	return true;
}

/* "Cannot open DFU device 1d50:607f found on devnum 7 (LIBUSB_ERROR_ACCESS)"
 * (0.8/0.9: "Cannot open DFU device 1d50:607f"). */
static bool parse_open_failed(const char *p, sf_dfu_line *out)
{
	const char *open, *close;
	if (strncmp(p, "Cannot open DFU device ", 23))
		return false;
	p += 23;
	if (!(p = parse_hex16(p, &out->vid)) || *p++ != ':')
		return false;
	if (!(p = parse_hex16(p, &out->pid)))
		return false;
	if (!strncmp(p, " found on devnum ", 17) && p[17] >= '0' && p[17] <= '9') {
		unsigned long v = strtoul(p + 17, NULL, 10);
		if (v <= 255) {
			out->devnum = (unsigned)v;
			out->has_devnum = true;
		}
	}
	open = strrchr(p, '(');
	close = open ? strchr(open, ')') : NULL;
	if (open && close)
		copy_text(out->error, sizeof out->error, open + 1, (size_t)(close - open - 1));
	out->kind = SF_DLINE_OPEN_FAILED;
	return true;
}

sf_dfu_line_kind sf_dfu_classify(const char *line, sf_dfu_line *out)
{
	const char *p;
	memset(out, 0, sizeof *out);
	out->kind = SF_DLINE_OTHER;
	if (!line)
		return out->kind;
	if (parse_banner(line, out))
		return out->kind;
	memset(out, 0, sizeof *out);
	p = sf_dfu_strip_prefix(line);
	if (parse_progress(p, out) || parse_done(p, out))
		return out->kind;
	memset(out, 0, sizeof *out);
	if (parse_found(p, out))
		return out->kind;
	memset(out, 0, sizeof *out);
	if (parse_open_failed(p, out))
		return out->kind;
	memset(out, 0, sizeof *out);
	out->kind = SF_DLINE_OTHER;
	return out->kind;
}

/* ---- grouping ---- */

static bool same_device(const sf_dfu_device *d, const sf_dfu_found *f)
{
	const char *serial = f->has_serial && strcmp(f->serial, "UNKNOWN") ? f->serial : "";
	if (d->runtime != f->runtime || d->vid != f->vid || d->pid != f->pid)
		return false;
	if (strcmp(d->has_serial ? d->serial : "", serial))
		return false;
	if (d->has_path != f->has_path)
		return false;
	if (d->has_path)
		return !strcmp(d->path, f->path) && d->intf == f->intf;
	/* no path (0.7/0.8): the device address tells devices apart */
	return d->devnum == f->devnum && d->intf == f->intf;
}

static int cmp_alt(const void *a, const void *b)
{
	const sf_dfu_alt *x = a, *y = b;
	return x->alt < y->alt ? -1 : x->alt > y->alt;
}

static int cmp_dev(const void *a, const void *b)
{
	const sf_dfu_device *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	if (c)
		return c;
	if ((c = strcmp(x->serial, y->serial)))
		return c;
	if (x->vid != y->vid)
		return x->vid < y->vid ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->devnum != y->devnum)
		return x->devnum < y->devnum ? -1 : 1;
	if (x->intf != y->intf)
		return x->intf < y->intf ? -1 : 1;
	return (int)x->runtime - (int)y->runtime;
}

static bool add_found(sf_dfu_list *list, const sf_dfu_found *f)
{
	sf_dfu_device *d = NULL;
	sf_dfu_alt *alts;

	for (size_t i = 0; i < list->n; i++)
		if (same_device(&list->devs[i], f)) {
			d = &list->devs[i];
			break;
		}
	if (!d) {
		sf_dfu_device *grown = realloc(list->devs, (list->n + 1) * sizeof *grown);
		if (!grown)
			return false;
		list->devs = grown;
		d = &list->devs[list->n++];
		memset(d, 0, sizeof *d);
		d->runtime = f->runtime;
		d->vid = f->vid;
		d->pid = f->pid;
		d->has_ver = f->has_ver;
		d->ver = f->ver;
		d->devnum = f->devnum;
		d->cfg = f->cfg;
		d->intf = f->intf;
		d->has_path = f->has_path;
		if (f->has_path)
			memcpy(d->path, f->path, sizeof d->path);
		if (f->has_serial && strcmp(f->serial, "UNKNOWN")) {
			d->has_serial = true;
			memcpy(d->serial, f->serial, sizeof d->serial);
		}
	}
	for (size_t i = 0; i < d->nalts; i++)
		if (d->alts[i].alt == f->alt)
			return true; /* duplicate line: keep the first */
	alts = realloc(d->alts, (d->nalts + 1) * sizeof *alts);
	if (!alts)
		return false;
	d->alts = alts;
	d->alts[d->nalts].alt = f->alt;
	memcpy(d->alts[d->nalts].name, f->name, sizeof f->name);
	d->nalts++;
	return true;
}

static void sort_list(sf_dfu_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		if (list->devs[i].nalts > 1)
			qsort(list->devs[i].alts, list->devs[i].nalts, sizeof *list->devs[i].alts, cmp_alt);
	if (list->n > 1)
		qsort(list->devs, list->n, sizeof *list->devs, cmp_dev);
}

bool sf_dfu_group(const sf_dfu_found *found, size_t n, sf_dfu_list *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < n; i++)
		if (!add_found(out, &found[i])) {
			sf_dfu_list_free(out);
			return false;
		}
	sort_list(out);
	return true;
}

static void add_failure(sf_dfu_list *out, const sf_dfu_line *l)
{
	sf_dfu_open_failure *f;
	for (size_t i = 0; i < out->nfailed; i++) {
		f = &out->failed[i];
		if (f->vid == l->vid && f->pid == l->pid && f->has_devnum == l->has_devnum &&
		    f->devnum == l->devnum && (l->has_devnum || !strcmp(f->error, l->error)))
			return;
	}
	if (out->nfailed >= SF_DFU_MAX_OPEN_FAILED)
		return;
	f = &out->failed[out->nfailed++];
	f->vid = l->vid;
	f->pid = l->pid;
	f->has_devnum = l->has_devnum;
	f->devnum = l->devnum;
	f->access = !l->error[0] || !strcmp(l->error, "LIBUSB_ERROR_ACCESS");
	memcpy(f->error, l->error, sizeof f->error);
}

bool sf_dfu_parse_list(const sf_transcript *t, sf_dfu_list *out)
{
	sf_dfu_line *l = malloc(sizeof *l);
	memset(out, 0, sizeof *out);
	if (!l)
		return false;
	for (size_t i = 0; i < t->n; i++) {
		switch (sf_dfu_classify(t->lines[i].text, l)) {
		case SF_DLINE_FOUND:
			if (!add_found(out, &l->found)) {
				free(l);
				sf_dfu_list_free(out);
				return false;
			}
			break;
		case SF_DLINE_OPEN_FAILED:
			if (!out->nopen_failed++) {
				out->failed_vid = l->vid;
				out->failed_pid = l->pid;
				memcpy(out->failed_error, l->error, sizeof out->failed_error);
			}
			/* 0.8/0.9 do not name the error; on Linux it is nearly
			 * always a permission problem. */
			if (!l->error[0] || !strcmp(l->error, "LIBUSB_ERROR_ACCESS"))
				out->access_denied = true;
			add_failure(out, l);
			break;
		default:
			break;
		}
	}
	free(l);
	sort_list(out);
	return true;
}

void sf_dfu_list_free(sf_dfu_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n; i++)
		free(list->devs[i].alts);
	free(list->devs);
	memset(list, 0, sizeof *list);
}
