#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagediff.h"

int sf_footprint_expected(const sf_plan *pl, const uint8_t *payload, size_t plen, uint8_t **out,
			  size_t *len, sf_err *err)
{
	uint64_t n = pl->erase_end > pl->erase_start ? pl->erase_end - pl->erase_start : 0;
	uint64_t off = (uint64_t)pl->address - pl->erase_start;
	uint8_t *b;
	*out = NULL;
	*len = 0;
	if (n == 0 || pl->address < pl->erase_start || off + pl->length > n)
		return sf_err_set(err, SF_EXIT_INTERNAL, "the plan has no erase footprint around its data");
	if (!(b = malloc((size_t)n)))
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	memset(b, 0xFF, (size_t)n);
	memset(b + off, 0x00, pl->length);
	memcpy(b + off, payload, plen < pl->length ? plen : pl->length);
	*out = b;
	*len = (size_t)n;
	return 0;
}

bool sf_footprint_readable(const sf_layout *layout, const sf_plan *pl)
{
	return pl->erase_end > pl->erase_start &&
	       sf_layout_range_has(layout, pl->erase_start, pl->erase_end - pl->erase_start, SF_MEM_READABLE);
}

static int add_run(sf_pagediff *d, size_t *cap, const sf_page_run *r)
{
	if (d->nruns == *cap) {
		size_t c = *cap ? *cap * 2 : 4;
		sf_page_run *g = realloc(d->runs, c * sizeof *g);
		if (!g)
			return -1;
		d->runs = g;
		*cap = c;
	}
	d->runs[d->nruns++] = *r;
	return 0;
}

int sf_pagediff_compute(const sf_layout *layout, const sf_plan *pl, const uint8_t *want,
			const uint8_t *got, size_t len, sf_pagediff *out, sf_err *err)
{
	uint64_t start = pl->erase_start, end = pl->erase_end;
	uint64_t dstart = pl->address, dend = (uint64_t)pl->address + pl->length;
	uint64_t at = start;
	size_t cap = 0;
	bool open = false;
	sf_page_run cur = { 0 };

	memset(out, 0, sizeof *out);
	if (end <= start || end - start != len)
		return sf_err_set(err, SF_EXIT_INTERNAL, "read-back of %zu bytes for a footprint of %" PRIu64,
				  len, end > start ? end - start : 0);
	while (at < end) {
		uint32_t ps, psz;
		uint64_t pend, sa, se;
		bool changed;
		if (!sf_layout_page(layout, (uint32_t)at, &ps, &psz)) {
			sf_pagediff_free(out);
			return sf_err_set(err, SF_EXIT_INTERNAL, "no page at 0x%08" PRIx64 " in the alt's map", at);
		}
		pend = (uint64_t)ps + psz;
		if (pend > end)
			pend = end; /* an "erase none" alt: clipped to the written bytes */
		changed = memcmp(want + (at - start), got + (at - start), (size_t)(pend - at)) != 0;
		out->pages++;
		/* the image bytes inside this page */
		sa = at > dstart ? at : dstart;
		se = pend < dend ? pend : dend;
		if (changed) {
			out->changed_pages++;
			if (!open) {
				memset(&cur, 0, sizeof cur);
				cur.first_page = (uint32_t)at;
				cur.send_start = (uint32_t)sa;
				open = true;
			}
			cur.end_page = pend;
			cur.pages++;
			cur.send_len = (uint32_t)(se - cur.send_start);
		} else if (open) {
			if (add_run(out, &cap, &cur)) {
				sf_pagediff_free(out);
				return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
			}
			open = false;
		}
		at = pend;
	}
	if (open && add_run(out, &cap, &cur)) {
		sf_pagediff_free(out);
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	}
	for (size_t i = 0; i < out->nruns; i++)
		out->bytes_sent += out->runs[i].send_len;
	out->bytes_not_sent = pl->length > out->bytes_sent ? pl->length - out->bytes_sent : 0;
	return 0;
}

void sf_pagediff_free(sf_pagediff *d)
{
	free(d->runs);
	memset(d, 0, sizeof *d);
}

void sf_pagediff_describe(const sf_pagediff *d, char *buf, size_t size)
{
	size_t used;
	if (!size)
		return;
	if (!d->nruns) {
		snprintf(buf, size, "no changed page");
		return;
	}
	used = (size_t)snprintf(buf, size, "%zu run%s:", d->nruns, d->nruns == 1 ? "" : "s");
	for (size_t i = 0; i < d->nruns && used < size; i++) {
		if (i == 4) {
			snprintf(buf + used, size - used, ", ...");
			return;
		}
		used += (size_t)snprintf(buf + used, size - used, "%s 0x%08" PRIx32 "-0x%08" PRIx64 " (%zu page%s)",
					 i ? "," : "", d->runs[i].first_page, d->runs[i].end_page - 1, d->runs[i].pages,
					 d->runs[i].pages == 1 ? "" : "s");
	}
}

void sf_backup_name(const char *serial, int alt, uint32_t addr, uint64_t len, char *buf, size_t size)
{
	char s[64];
	size_t i;
	for (i = 0; serial && serial[i] && i < sizeof s - 1; i++) {
		char c = serial[i];
		bool okc = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
			   c == '_' || c == '-';
		s[i] = okc ? c : '_';
	}
	s[i] = '\0';
	if (!i || !strcmp(s, ".") || !strcmp(s, ".."))
		snprintf(s, sizeof s, "unknown");
	snprintf(buf, size, "%s-alt%d-0x%08" PRIx32 "-%" PRIu64 ".bin", s, alt, addr, len);
}
