#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when the byte at p
 * does not start one (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
static size_t utf8_seq(const unsigned char *p)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return n;
}

size_t sf_utf8_sanitize(const char *s, char *out, size_t outsz)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, bad = 0;

	if (!outsz)
		return 0;
	while (*p) {
		size_t n = utf8_seq(p);
		if (n == 0) {
			bad++;
			if (o + 1 >= outsz)
				break;
			out[o++] = '?';
			p++;
			continue;
		}
		if (o + n >= outsz)
			break; /* never cut a character in half */
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
	return bad;
}

json_t *sf_json_text(const char *s)
{
	json_t *j;
	char *copy;
	size_t len;

	if (!s)
		return NULL;
	if ((j = json_string(s)))
		return j;
	len = strlen(s) + 1;
	copy = malloc(len);
	if (!copy)
		return json_string("");
	sf_utf8_sanitize(s, copy, len);
	j = json_string(copy);
	free(copy);
	return j ? j : json_string("");
}

static bool term_plain(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r';
}

size_t sf_term_filter(sf_term_state *st, const char *in, size_t n, char *out)
{
	size_t o = 0;
	if (!in) {
		if (st->npend)
			out[o++] = '?';
		st->npend = st->need = 0;
		return o;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (st->npend) {
			unsigned char tmp[5];
			memcpy(tmp, st->pend, st->npend);
			tmp[st->npend] = c;
			/* still a possible prefix of a valid character? */
			bool ok = (c & 0xC0) == 0x80;
			if (ok && st->npend == 1) {
				unsigned char l = st->pend[0];
				ok = !((l == 0xE0 && c < 0xA0) || (l == 0xED && c > 0x9F) || (l == 0xF0 && c < 0x90) ||
				       (l == 0xF4 && c > 0x8F));
			}
			if (!ok) {
				out[o++] = '?';
				st->npend = st->need = 0;
				i--; /* read c again as a start */
				continue;
			}
			st->pend[st->npend++] = c;
			if (st->npend < st->need)
				continue;
			if (st->pend[0] == 0xC2 && st->pend[1] < 0xA0) {
				out[o++] = '?'; /* a C1 control (CSI is 0x9B) */
			} else {
				memcpy(out + o, st->pend, st->npend);
				o += st->npend;
			}
			st->npend = st->need = 0;
			continue;
		}
		if (c < 0x80) {
			out[o++] = term_plain(c) ? (char)c : '?';
		} else if (c >= 0xC2 && c <= 0xF4) {
			st->pend[0] = c;
			st->npend = 1;
			st->need = c <= 0xDF ? 2 : c <= 0xEF ? 3 : 4;
		} else {
			out[o++] = '?';
		}
	}
	return o;
}
