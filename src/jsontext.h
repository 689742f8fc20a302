/* JSON strings from text that may not be UTF-8 (file names, device names,
 * dfu-util output). Pure. */
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

#endif
