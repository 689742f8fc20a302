/* Text that may not be UTF-8 (file names, device names, dfu-util output):
 * as JSON strings, and as safe terminal output. Pure. */
#ifndef SF_JSONTEXT_H
#define SF_JSONTEXT_H

#include <stddef.h>

#include <jansson.h>

/* Copies s into out (size outsz, always NUL-terminated when outsz > 0),
 * replacing every byte that is not part of a valid UTF-8 sequence with '?'.
 * Valid multi-byte characters are kept. Returns the number of bytes replaced. */
size_t sf_utf8_sanitize(const char *s, char *out, size_t outsz);

/* A JSON string of s; bytes that are not UTF-8 become '?', so the text is
 * never lost. Never NULL for non-NULL s (NULL s gives NULL). */
json_t *sf_json_text(const char *s);

/* Terminal-safe text, streamed: valid UTF-8 passes, and so do TAB, LF and
 * CR; every other control character (ESC included, so no escape sequence
 * reaches the terminal), the C1 controls U+0080-U+009F and every byte that
 * is not valid UTF-8 become '?'. A character split between two calls is
 * kept in the state (zero-initialise it). */
typedef struct sf_term_state {
	unsigned char pend[4];
	size_t npend, need;
} sf_term_state;

/* Filters n bytes of in into out (room for n + 4 bytes); returns the bytes
 * written. With in == NULL, flushes an unfinished character as '?'. */
size_t sf_term_filter(sf_term_state *st, const char *in, size_t n, char *out);

#endif
