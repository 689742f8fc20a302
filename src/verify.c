#include <config.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "verify.h"

void sf_verify_compare(const uint8_t *want, size_t wlen, uint8_t pad, const uint8_t *got,
		       size_t glen, size_t len, sf_verify_result *out)
{
	bool in_run = false;
	memset(out, 0, sizeof *out);
	out->compared = len;
	for (size_t i = 0; i < len; i++) {
		uint8_t w = i < wlen ? want[i] : pad;
		bool differs = i >= glen || got[i] != w;
		if (!differs) {
			in_run = false;
			continue;
		}
		out->differing++;
		if (in_run) {
			if (out->nranges <= SF_VERIFY_MAX_RANGES)
				out->ranges[out->nranges - 1].last = i;
			continue;
		}
		in_run = true;
		if (out->nranges < SF_VERIFY_MAX_RANGES)
			out->ranges[out->nranges].first = out->ranges[out->nranges].last = i;
		out->nranges++;
	}
}

void sf_verify_describe(const sf_verify_result *r, uint64_t base, char *buf, size_t size)
{
	size_t used;
	int w;
	if (!size)
		return;
	buf[0] = '\0';
	if (!r->differing)
		return;
	w = snprintf(buf, size, "%" PRIu64 " byte%s differ%s in %" PRIu64 " range%s:", r->differing,
		     r->differing == 1 ? "" : "s", r->differing == 1 ? "s" : "", r->nranges,
		     r->nranges == 1 ? "" : "s");
	if (w < 0 || (size_t)w >= size)
		return;
	used = (size_t)w;
	for (uint64_t i = 0; i < r->nranges && i < SF_VERIFY_MAX_RANGES; i++) {
		w = snprintf(buf + used, size - used, "%s 0x%08" PRIx64 "-0x%08" PRIx64, i ? "," : "",
			     base + r->ranges[i].first, base + r->ranges[i].last);
		if (w < 0 || (size_t)w >= size - used)
			return;
		used += (size_t)w;
	}
	if (r->nranges > SF_VERIFY_MAX_RANGES)
		snprintf(buf + used, size - used, ", ...");
}
