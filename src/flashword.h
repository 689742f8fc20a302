/* The first word of `sparkflash flash WORD FILE...` (pure): spark-cli's
 * `flash DEVICE FILE` flashes over the air, so a word that is not an
 * address names a cloud device; but a word that is probably a typo (a
 * segment name, a command or option word, an address written wrongly, a
 * file) must not quietly become a cloud request. */
#ifndef SF_FLASHWORD_H
#define SF_FLASHWORD_H

#include <stdbool.h>
#include <stddef.h>

typedef enum sf_word_kind {
	SF_WORD_ADDRESS,   /* a valid address: flash ADDRESS FILE over USB */
	SF_WORD_DEVICE,    /* a cloud device name or ID */
	SF_WORD_REFUSED    /* probably a mistake: a usage error (msg says what was meant) */
} sf_word_kind;

/* Segment names of Particle devices (spark-cli.md §2), refused as device
 * names even when no profile declares them. NULL-terminated. */
extern const char *const sf_particle_segment_names[];

/* Classifies `word`. `segments` are the segment names of every profile
 * (may repeat), `is_file` says whether a file of that name exists,
 * `file` is the next argument (for the example command; may be NULL).
 * For SF_WORD_REFUSED, msg gets the one-line usage error: what the word
 * looks like, the command probably meant, and that --cloud forces a cloud
 * flash. */
sf_word_kind sf_flash_word(const char *word, const char *const *segments, size_t nsegments, bool is_file,
			   const char *file, char *msg, size_t size);

#endif
