#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "numparse.h"

sf_num_status sf_parse_u32_strict(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;
	int base = 10;
	if (!s || !*s)
		return SF_NUM_EMPTY;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return SF_NUM_INVALID;
	}
	for (const char *c = s; *c; c++) {
		bool digit = base == 16 ? strchr("0123456789abcdefABCDEF", *c) != NULL
					: (*c >= '0' && *c <= '9');
		if (!digit)
			return SF_NUM_INVALID;
	}
	if (base == 10 && s[0] == '0' && s[1] != '\0')
		return SF_NUM_OCTAL;
	/* Long hex strings ("0x0000000000001000") are fine: only the value counts. */
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno == ERANGE || v > 0xFFFFFFFFull)
		return SF_NUM_RANGE;
	if (*end)
		return SF_NUM_INVALID;
	*out = (uint32_t)v;
	return SF_NUM_OK;
}

const char *sf_num_status_text(sf_num_status st)
{
	switch (st) {
	case SF_NUM_OK: return "is valid";
	case SF_NUM_EMPTY: return "is empty";
	case SF_NUM_INVALID: return "is not a number (use 0x-prefixed hex or decimal)";
	case SF_NUM_OCTAL: return "has a leading zero and would be read as octal by dfu-util (write 0x... for hex)";
	case SF_NUM_RANGE: return "does not fit in 32 bits";
	}
	return "is invalid";
}

int sf_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
