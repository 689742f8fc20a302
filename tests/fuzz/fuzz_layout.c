/* DfuSe layout strings: parse, then every lookup on addresses the input
 * chooses agrees with the regions. */
#include <config.h>

#include "fuzz.h"
#include "layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	sf_layout l;
	sf_err err;
	if (sf_layout_parse(s, &l, &err) == 0) {
		uint32_t probe[4] = { 0, 0xFFFFFFFFu, 0x08000000u, 0 };
		if (size >= 4)
			memcpy(&probe[3], data + size - 4, 4);
		for (size_t i = 0; i < l.nregions; i++) {
			const sf_region *r = &l.regions[i];
			FUZZ_ASSERT(r->page_size > 0 && r->pages > 0);
			FUZZ_ASSERT(r->end <= ((uint64_t)1 << 32));
			FUZZ_ASSERT(r->end - r->start == (uint64_t)r->page_size * r->pages);
		}
		for (size_t k = 0; k < 4; k++) {
			uint32_t ps, pz;
			const sf_region *r = sf_layout_find(&l, probe[k]);
			bool page = sf_layout_page(&l, probe[k], &ps, &pz);
			FUZZ_ASSERT(page == (r != NULL));
			if (page)
				FUZZ_ASSERT(ps <= probe[k] && (uint64_t)probe[k] < (uint64_t)ps + pz);
			(void)sf_layout_range_has(&l, probe[k], (uint64_t)size * 97, SF_MEM_WRITABLE);
		}
		sf_layout_free(&l);
	} else {
		FUZZ_ASSERT(err.msg[0] != '\0');
	}
	free(s);
	return 0;
}
