/* "Did you mean": the candidates close to a mistyped word (a command, an
 * option, a segment name). Pure. */
#ifndef SF_SUGGEST_H
#define SF_SUGGEST_H

#include <stddef.h>

/* Optimal-string-alignment distance (insert, delete, substitute, swap two
 * adjacent characters), counted up to `cap` (returns cap + 1 beyond it). */
size_t sf_edit_distance(const char *a, const char *b, size_t cap);

/* Indexes (into cands) of the candidates `typed` probably meant, best
 * first, at most `max`: those it is a prefix of (at least two characters:
 * an abbreviation), else those at the smallest edit distance when that is
 * small for the word's length (1 up to 4 characters, 2 up to 8, else 3).
 * Duplicate names count once. Returns how many. */
size_t sf_suggest(const char *typed, const char *const *cands, size_t ncands, size_t *out, size_t max);

/* " (did you mean 'A'?)", " (did you mean 'A' or 'B'?)" with each
 * candidate prefixed by `lead` (e.g. "--"); "" when there is none.
 * Returns buf. */
const char *sf_suggest_text(const char *typed, const char *lead, const char *const *cands, size_t ncands,
			    char *buf, size_t size);

#endif
