#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transcript.h"

bool sf_transcript_add(sf_transcript *t, sf_stream stream, const char *text, size_t len)
{
	char *copy;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		sf_tline *grown = realloc(t->lines, cap * sizeof *grown);
		if (!grown)
			return false;
		t->lines = grown;
		t->cap = cap;
	}
	copy = malloc(len + 1);
	if (!copy)
		return false;
	for (size_t i = 0; i < len; i++)
		copy[i] = text[i] ? text[i] : '?';
	copy[len] = '\0';
	t->lines[t->n].stream = stream;
	t->lines[t->n].text = copy;
	t->n++;
	return true;
}

bool sf_transcript_add_text(sf_transcript *t, sf_stream stream, const char *text, size_t len)
{
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || text[i] == '\n' || text[i] == '\r') {
			/* An empty piece is a "\r\n" pair or a bare "\r" rewrite: not a line,
			 * except a genuinely blank line ("\n\n") which dfu-util prints. */
			bool blank_line = i < len && text[i] == '\n' && i == start &&
					  (start == 0 || text[start - 1] == '\n');
			if (i > start || blank_line) {
				if (!sf_transcript_add(t, stream, text + start, i - start))
					return false;
			}
			start = i + 1;
		}
	}
	return true;
}

bool sf_transcript_note(sf_transcript *t, const char *key, const char *fmt, ...)
{
	char text[256];
	int n = snprintf(text, sizeof text, "%s", key);
	if (fmt && n > 0 && (size_t)n < sizeof text - 1) {
		va_list ap;
		text[n++] = ' ';
		va_start(ap, fmt);
		vsnprintf(text + n, sizeof text - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return sf_transcript_add(t, SF_STREAM_NOTE, text, strlen(text));
}

void sf_transcript_free(sf_transcript *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->lines[i].text);
	free(t->lines);
	memset(t, 0, sizeof *t);
}
