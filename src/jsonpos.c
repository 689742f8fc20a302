/* A minimal JSON walker: skips values by bracket depth (strings respected)
 * and compares member names byte for byte (escaped names never match, which
 * only costs precision, never safety). Iterative, bounded by the text. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "jsonpos.h"

typedef struct lx {
	const char *s;
	size_t n, i;
} lx;

static bool at_end(const lx *l) { return l->i >= l->n; }

static void ws(lx *l)
{
	while (!at_end(l) && (l->s[l->i] == ' ' || l->s[l->i] == '\t' ||
			      l->s[l->i] == '\r' || l->s[l->i] == '\n'))
		l->i++;
}

/* At '"': moves past the closing quote. */
static bool skip_string(lx *l)
{
	l->i++;
	while (!at_end(l)) {
		char c = l->s[l->i];
		if (c == '\\') {
			l->i += 2;
			continue;
		}
		l->i++;
		if (c == '"')
			return true;
	}
	l->i = l->n;
	return false;
}

static bool skip_value(lx *l)
{
	size_t depth = 0, start;
	ws(l);
	if (at_end(l))
		return false;
	if (l->s[l->i] == '"')
		return skip_string(l);
	if (l->s[l->i] == '{' || l->s[l->i] == '[') {
		while (!at_end(l)) {
			char c = l->s[l->i];
			if (c == '"') {
				if (!skip_string(l))
					return false;
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if (c == '}' || c == ']')
				depth--;
			l->i++;
			if (depth == 0)
				return true;
		}
		return false;
	}
	start = l->i;
	while (!at_end(l) && !strchr(",]} \t\r\n", l->s[l->i]) && l->s[l->i] != '\0')
		l->i++;
	return l->i > start;
}

static bool parse_index(const char *c, size_t *out)
{
	size_t v = 0;
	if (!*c)
		return false;
	for (; *c; c++) {
		if (*c < '0' || *c > '9' || v > 1000000)
			return false;
		v = v * 10 + (size_t)(*c - '0');
	}
	*out = v;
	return true;
}

sf_json_pos sf_json_pos_of(const char *text, size_t len, size_t offset)
{
	sf_json_pos p = { 1, 1, offset };
	if (offset > len)
		offset = p.offset = len;
	for (size_t i = 0; i < offset; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\n') {
			p.line++;
			p.column = 1;
		} else if ((c & 0xC0) != 0x80) {
			p.column++;
		}
	}
	return p;
}

bool sf_json_locate(const char *text, size_t len, const char *const *path,
		    size_t npath, bool at_key, sf_json_pos *pos)
{
	lx l = { text, len, 0 };
	size_t best;
	bool ok = false;

	ws(&l);
	best = l.i;
	for (size_t k = 0; k < npath; k++) {
		bool last = k + 1 == npath;
		ws(&l);
		best = l.i;
		if (at_end(&l))
			goto out;
		if (l.s[l.i] == '{') {
			bool found = false;
			size_t clen = strlen(path[k]);
			l.i++;
			for (;;) {
				size_t keypos, kstart, kend;
				ws(&l);
				if (at_end(&l) || l.s[l.i] != '"')
					goto out;
				keypos = l.i;
				kstart = l.i + 1;
				if (!skip_string(&l))
					goto out;
				kend = l.i - 1;
				ws(&l);
				if (at_end(&l) || l.s[l.i] != ':')
					goto out;
				l.i++;
				ws(&l);
				if (kend - kstart == clen && !memcmp(l.s + kstart, path[k], clen)) {
					if (last && at_key) {
						best = keypos;
						ok = true;
						goto out;
					}
					found = true;
					break;
				}
				if (!skip_value(&l))
					goto out;
				ws(&l);
				if (at_end(&l) || l.s[l.i] != ',')
					goto out;
				l.i++;
			}
			if (!found)
				goto out;
		} else if (l.s[l.i] == '[') {
			size_t idx;
			if (!parse_index(path[k], &idx))
				goto out;
			l.i++;
			for (size_t j = 0; j < idx; j++) {
				ws(&l);
				if (at_end(&l) || l.s[l.i] == ']' || !skip_value(&l))
					goto out;
				ws(&l);
				if (at_end(&l) || l.s[l.i] != ',')
					goto out;
				l.i++;
			}
			ws(&l);
			if (at_end(&l) || l.s[l.i] == ']')
				goto out;
		} else {
			goto out;
		}
	}
	ws(&l);
	best = l.i;
	ok = true;
out:
	if (pos)
		*pos = sf_json_pos_of(text, len, best);
	return ok;
}

#define MAX_STEPS 16

bool sf_json_locate_dotted(const char *text, size_t len, const char *dotted,
			   bool at_key, sf_json_pos *pos)
{
	char buf[256];
	const char *steps[MAX_STEPS];
	size_t n = 0;
	char *p;
	if (!dotted || !*dotted)
		return sf_json_locate(text, len, NULL, 0, false, pos);
	if (strlen(dotted) >= sizeof buf)
		return sf_json_locate(text, len, NULL, 0, false, pos) && false;
	strcpy(buf, dotted);
	p = buf;
	for (;;) {
		char *dot = strchr(p, '.');
		if (n == MAX_STEPS)
			return sf_json_locate(text, len, steps, n, false, pos) && false;
		steps[n++] = p;
		if (!dot)
			break;
		*dot = '\0';
		p = dot + 1;
	}
	return sf_json_locate(text, len, steps, n, at_key, pos);
}
