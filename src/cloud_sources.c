#include <config.h>

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cloud_sources.h"
#include "module.h"

bool sf_cloud_is_text(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = d[i];
		if (c >= 0x20 || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == 0x1b)
			continue;
		return false;
	}
	return true;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

bool sf_cloud_source_name(const char *path)
{
	static const char *const ext[] = { ".ino", ".cpp", ".c", ".h", ".hpp", ".hh", ".hxx" };
	const char *b = base_name(path), *dot = strrchr(b, '.');
	if (!strcmp(b, "project.properties") || !strcmp(b, "build.mk"))
		return true;
	if (!dot || dot == b)
		return false;
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
		if (!strcasecmp(dot, ext[i]))
			return true;
	return false;
}

sf_cloud_file_kind sf_cloud_file_kind_of(const char *path, const uint8_t *d, size_t n)
{
	sf_module_info m;
	if (n && sf_module_parse(d, n, &m, NULL) == 0 && m.is_module)
		return SF_CLOUD_FILE_BINARY;
	if (!sf_cloud_is_text(d, n))
		return SF_CLOUD_FILE_BINARY;
	return sf_cloud_source_name(path) ? SF_CLOUD_FILE_SOURCE : SF_CLOUD_FILE_TEXT;
}

#define GLOB_SEGS 64

/* Splits s (copied into buf) at '/' into at most GLOB_SEGS segments;
 * returns the count, or -1 when there are more. */
static int split(const char *s, char *buf, size_t size, char **seg)
{
	int n = 0;
	char *p;
	if (strlen(s) >= size)
		return -1;
	strcpy(buf, s);
	p = buf;
	for (;;) {
		char *slash = strchr(p, '/');
		if (n == GLOB_SEGS)
			return -1;
		seg[n++] = p;
		if (!slash)
			break;
		*slash = '\0';
		p = slash + 1;
	}
	return n;
}

bool sf_glob_match(const char *pattern, const char *path)
{
	static const size_t cap = 4096;
	char *pb, *sb, *ps[GLOB_SEGS], *ss[GLOB_SEGS];
	bool m[GLOB_SEGS + 1][GLOB_SEGS + 1];
	int np, ns;
	bool r = false;

	pb = malloc(cap);
	sb = malloc(cap);
	if (!pb || !sb)
		goto out;
	np = split(pattern, pb, cap, ps);
	ns = split(path, sb, cap, ss);
	if (np < 0 || ns < 0)
		goto out;
	/* m[i][j]: pattern segments i.. match path segments j.. (one table,
	 * so "**" patterns cost P*S steps, never exponential time) */
	for (int i = np; i >= 0; i--) {
		for (int j = ns; j >= 0; j--) {
			if (i == np) {
				m[i][j] = j == ns;
			} else if (!strcmp(ps[i], "**")) {
				m[i][j] = m[i + 1][j] || (j < ns && ss[j][0] != '.' && m[i][j + 1]);
			} else {
				m[i][j] = j < ns && fnmatch(ps[i], ss[j], FNM_PERIOD) == 0 && m[i + 1][j + 1];
			}
		}
	}
	r = m[0][0];
out:
	free(pb);
	free(sb);
	return r;
}

bool sf_cloud_dir_default(const char *rel)
{
	static const char *const pats[] = { "**/*.h", "**/*.hpp", "**/*.hh", "**/*.hxx", "**/*.ino",
					    "**/*.cpp", "**/*.c", "**/build.mk", "project.properties" };
	bool in = false;
	for (size_t i = 0; i < sizeof pats / sizeof pats[0] && !in; i++)
		in = sf_glob_match(pats[i], rel);
	return in && !sf_glob_match("lib/*/examples/**/*.*", rel);
}

void sf_cloud_part_name(size_t i, char *buf, size_t size)
{
	if (i == 0)
		snprintf(buf, size, "file");
	else
		snprintf(buf, size, "file%zu", i);
}

bool sf_cloud_part_filename_ok(const char *name)
{
	const char *seg = name;
	if (!name || !*name || *name == '/')
		return false;
	for (const char *p = name;; p++) {
		if (*p == '/' || !*p) {
			size_t n = (size_t)(p - seg);
			if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
				return false;
			if (!*p)
				return true;
			seg = p + 1;
		} else if (*p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f || *p == '"') {
			return false;
		}
	}
}

/* The next line of text from *pos on, trimmed: [*start, *end). Returns
 * false at the end of the text. */
static bool next_trimmed_line(const char *text, size_t len, size_t *pos, size_t *start, size_t *end)
{
	size_t i = *pos, s = i, e;
	if (i >= len)
		return false;
	while (i < len && text[i] != '\n')
		i++;
	e = i;
	if (i < len)
		i++;
	while (s < e && isspace((unsigned char)text[s]))
		s++;
	while (e > s && isspace((unsigned char)text[e - 1]))
		e--;
	*pos = i;
	*start = s;
	*end = e;
	return true;
}

size_t sf_cloud_pattern_lines(const char *text, size_t len, void (*fn)(void *ud, const char *line), void *ud)
{
	size_t i = 0, s, e, too_long = 0;
	while (next_trimmed_line(text, len, &i, &s, &e)) {
		if (s == e || text[s] == '#')
			continue;
		if (e - s > 255 || memchr(text + s, '\0', e - s)) {
			too_long++;
			continue;
		}
		{
			char line[256];
			memcpy(line, text + s, e - s);
			line[e - s] = '\0';
			fn(ud, line);
		}
	}
	return too_long;
}

static void add_dep(sf_cloud_project *p, const char *name, size_t nlen, const char *ver, size_t vlen)
{
	size_t n = strlen(p->deps);
	p->ndeps++;
	if (n + 4 >= sizeof p->deps || !strcmp(p->deps + (n >= 3 ? n - 3 : 0), "..."))
		return;
	if ((size_t)snprintf(p->deps + n, sizeof p->deps - n, "%s%.*s@%.*s", n ? ", " : "", (int)nlen, name,
			     (int)vlen, ver) >= sizeof p->deps - n) {
		/* did not fit: cut at the last whole entry and mark it */
		p->deps[n] = '\0';
		snprintf(p->deps + n, sizeof p->deps - n, "%s...", n ? ", " : "");
	}
}

void sf_cloud_project_parse(const char *text, size_t len, sf_cloud_project *out)
{
	size_t i = 0, s, e;
	memset(out, 0, sizeof *out);
	while (next_trimmed_line(text, len, &i, &s, &e)) {
		size_t k, ke, vs;
		if (s == e || text[s] == '#' || text[s] == '!')
			continue;
		for (k = s; k < e && text[k] != '=' && text[k] != ':'; k++)
			;
		if (k == e) {
			out->bad_lines++;
			continue;
		}
		ke = k;
		while (ke > s && isspace((unsigned char)text[ke - 1]))
			ke--;
		vs = k + 1;
		while (vs < e && isspace((unsigned char)text[vs]))
			vs++;
		if (ke == s) {
			out->bad_lines++;
			continue;
		}
#define KEY_IS(lit) (ke - s == sizeof(lit) - 1 && !memcmp(text + s, lit, sizeof(lit) - 1))
		if (KEY_IS("name")) {
			size_t n = e - vs < sizeof out->name - 1 ? e - vs : sizeof out->name - 1;
			memcpy(out->name, text + vs, n);
			out->name[n] = '\0';
			out->has_name = true;
		} else if (KEY_IS("assetOtaDir")) {
			out->asset_ota_dir = true;
		} else if (KEY_IS("env")) {
			out->env = true;
		} else if (ke - s > 13 && !memcmp(text + s, "dependencies.", 13)) {
			add_dep(out, text + s + 13, ke - s - 13, text + vs, e - vs);
		}
#undef KEY_IS
	}
}
