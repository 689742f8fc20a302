/* Firmware images: Particle module headers, DFU suffixes and the prefix
 * bytes dfu-util would strip. */
#include <config.h>

#include "fuzz.h"
#include "module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sf_module_info mi;
	sf_dfu_suffix suf;
	sf_err err;
	size_t off = 0, len = 0, strip = 0;
	int rc = sf_module_parse(data, size, &mi, &err);
	if (rc == 0 && mi.is_module) {
		FUZZ_ASSERT(mi.prefix_offset < size);
		FUZZ_ASSERT(sf_module_function_name(mi.function) != NULL);
		(void)sf_platform_name(mi.platform_id);
	}
	sf_dfu_suffix_parse(data, size, &suf);
	if (suf.valid)
		FUZZ_ASSERT(suf.length >= 16 && suf.length <= size);
	sf_dfu_payload(data, size, &off, &len);
	FUZZ_ASSERT(off <= size && len <= size - off);
	FUZZ_ASSERT(sf_prefix_hazard_name(sf_dfu_prefix_hazard(data, size, &strip)) != NULL);
	FUZZ_ASSERT(strip <= size);
	(void)sf_crc32(0, data, size);
	return 0;
}
