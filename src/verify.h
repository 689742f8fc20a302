/* flash --verify: comparing what was written with what the device reads
 * back. Pure. */
#ifndef SF_VERIFY_H
#define SF_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#define SF_VERIFY_MAX_RANGES 4

/* Offsets from the start of the compared range; `last` is inclusive. */
typedef struct sf_verify_range {
	uint64_t first, last;
} sf_verify_range;

typedef struct sf_verify_result {
	uint64_t compared;        /* bytes compared (len) */
	uint64_t differing;       /* bytes that differ */
	uint64_t nranges;         /* runs of differing bytes, all of them */
	sf_verify_range ranges[SF_VERIFY_MAX_RANGES]; /* the first ones */
} sf_verify_result;

/* Compares `len` bytes: want[i] (bytes past wlen are `pad`, the padding the
 * write added) against got[i] (bytes past glen were not read back and
 * count as differing). */
void sf_verify_compare(const uint8_t *want, size_t wlen, uint8_t pad, const uint8_t *got,
		       size_t glen, size_t len, sf_verify_result *out);

/* "3 bytes differ in 2 ranges: 0x0800500a-0x0800500a, 0x08005100-0x08005101"
 * (addresses = base + offset; at most the first SF_VERIFY_MAX_RANGES, then
 * ", ..."); "" when nothing differs. */
void sf_verify_describe(const sf_verify_result *r, uint64_t base, char *buf, size_t size);

#endif
