#include <config.h>

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
