/* The read-back comparison of flash --verify. */
#include <config.h>

#include "fuzz.h"
#include "verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sf_verify_result r;
	char text[512];
	size_t half = size / 2, glen = size ? data[0] % (half + 1) : 0;
	uint64_t diff = 0;
	if (size < 2)
		return 0;
	sf_verify_compare(data, half, data[1], data + half, glen, half, &r);
	for (size_t i = 0; i < half; i++)
		if (i >= glen || data[half + i] != data[i])
			diff++;
	FUZZ_ASSERT(r.compared == half && r.differing == diff);
	FUZZ_ASSERT((r.nranges == 0) == (diff == 0));
	for (size_t i = 0; i < r.nranges && i < SF_VERIFY_MAX_RANGES; i++)
		FUZZ_ASSERT(r.ranges[i].first <= r.ranges[i].last && r.ranges[i].last < half);
	sf_verify_describe(&r, 0x08005000, text, sizeof text);
	FUZZ_ASSERT((text[0] == '\0') == (diff == 0));
	return 0;
}
