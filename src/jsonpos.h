/* Where a value sits in JSON text: jansson reports positions only for syntax
 * errors, so semantic errors in profiles find their line:column here. Pure;
 * a tiny tokenizer of its own that never fails hard on odd input. */
#ifndef SF_JSONPOS_H
#define SF_JSONPOS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sf_json_pos {
	unsigned line;   /* 1-based */
	unsigned column; /* 1-based, in characters (as jansson counts) */
	size_t offset;   /* byte offset */
} sf_json_pos;

/* Follows `path` (object member names; decimal indices inside arrays) from
 * the top-level value. With at_key, the last step reports the member name's
 * opening quote instead of its value. On a step that cannot be followed the
 * deepest position reached is reported and false is returned. */
bool sf_json_locate(const char *text, size_t len, const char *const *path,
		    size_t npath, bool at_key, sf_json_pos *pos);

/* Same with a dotted path ("segments.userFirmware.address"); "" = top level. */
bool sf_json_locate_dotted(const char *text, size_t len, const char *dotted,
			   bool at_key, sf_json_pos *pos);

/* Line and column of a byte offset. */
sf_json_pos sf_json_pos_of(const char *text, size_t len, size_t offset);

#endif
