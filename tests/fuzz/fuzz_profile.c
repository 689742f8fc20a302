/* Device profile JSON: a parse either fails with a message or gives a
 * profile whose segments lie inside its alts' layouts. */
#include <config.h>

#include "fuzz.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sf_profile p;
	sf_err err;
	if (sf_profile_parse((const char *)data, size, "fuzz.json", &p, &err) == 0) {
		FUZZ_ASSERT(p.id && p.nalts > 0);
		for (size_t i = 0; i < p.nalts; i++)
			FUZZ_ASSERT(p.alts[i].layout.nregions > 0);
		for (size_t i = 0; i < p.nsegments; i++) {
			const sf_alt *a = sf_profile_alt(&p, p.segments[i].alt);
			FUZZ_ASSERT(a != NULL);
			FUZZ_ASSERT(sf_layout_range_has(&a->layout, p.segments[i].address,
							p.segments[i].size ? p.segments[i].size : 1, 0));
		}
		sf_profile_free(&p);
	} else {
		FUZZ_ASSERT(err.msg[0] != '\0');
	}
	return 0;
}
