/* Numbers and addresses as typed on the command line. */
#include <config.h>

#include <stdio.h>

#include "fuzz.h"
#include "numparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	uint32_t v = 0;
	sf_num_status st = sf_parse_u32_strict(s, &v);
	FUZZ_ASSERT(sf_num_status_text(st) != NULL);
	if (st == SF_NUM_OK) {
		/* what was accepted reads back as the same number */
		char again[16];
		uint32_t w = 0;
		snprintf(again, sizeof again, "0x%x", (unsigned)v);
		FUZZ_ASSERT(sf_parse_u32_strict(again, &w) == SF_NUM_OK && w == v);
	}
	free(s);
	return 0;
}
