/* Strict number parsing for addresses and sizes given by users and profiles. Pure. */
#ifndef SF_NUMPARSE_H
#define SF_NUMPARSE_H

#include <stdbool.h>
#include <stdint.h>

typedef enum sf_num_status {
	SF_NUM_OK = 0,
	SF_NUM_EMPTY,
	SF_NUM_INVALID,   /* not "0x<hex>" or decimal digits */
	SF_NUM_OCTAL,     /* leading zero without 0x: dfu-util would read it as octal */
	SF_NUM_RANGE      /* does not fit in 32 bits */
} sf_num_status;

/* "0x..." hex or decimal; no sign, no spaces. */
sf_num_status sf_parse_u32_strict(const char *s, uint32_t *out);

/* Value of one hex digit (0-15), or -1. */
int sf_hex_digit(int c);

/* Text explaining a status, e.g. "has a leading zero (dfu-util would read it
 * as octal); write it as 0x... or without the zero". */
const char *sf_num_status_text(sf_num_status st);

#endif
