/* flash --skip-unchanged / --diff / --backup: what a full flash leaves in
 * the pages it erases, and which of those pages differ from what the device
 * holds now, as runs of adjacent pages to write. Pure. */
#ifndef SF_PAGEDIFF_H
#define SF_PAGEDIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "plan.h"
#include "sf_error.h"

/* The bytes [pl->erase_start, pl->erase_end) hold after a full flash of
 * `pl`: the payload (plen bytes; then 0x00 up to pl->length, the padding)
 * at pl->address, 0xFF in the rest of every erased page. *out is malloc'd
 * (*len bytes). SF_EXIT_INTERNAL when out of memory or the plan has no
 * footprint. */
int sf_footprint_expected(const sf_plan *pl, const uint8_t *payload, size_t plen, uint8_t **out,
			  size_t *len, sf_err *err);

/* True when the profile's map lets every byte of the footprint be read
 * back (type letter with the readable bit). */
bool sf_footprint_readable(const sf_layout *layout, const sf_plan *pl);

/* A run of adjacent changed pages and the part of it a download sends:
 * [first_page, end_page) are the pages (erased by the download), and
 * [send_start, send_start + send_len) the bytes of the image in them
 * (dfu-util erases every page the download touches, so the rest of the
 * pages becomes 0xFF, as in a full flash). */
typedef struct sf_page_run {
	uint32_t first_page;
	uint64_t end_page;
	size_t pages;
	uint32_t send_start;
	uint32_t send_len;
} sf_page_run;

typedef struct sf_pagediff {
	sf_page_run *runs;        /* malloc'd, in address order */
	size_t nruns;
	size_t pages;             /* pages in the footprint */
	size_t changed_pages;
	uint64_t bytes_sent;      /* sum of the runs' send_len */
	uint64_t bytes_not_sent;  /* pl->length - bytes_sent */
} sf_pagediff;

/* Compares `got` (what the device holds in the footprint, `len` bytes from
 * pl->erase_start) with `want` (sf_footprint_expected) page by page, the
 * pages being the layout's (on an "erase none" alt, the layout's pages
 * clipped to the written bytes). No changed page: nruns 0. */
int sf_pagediff_compute(const sf_layout *layout, const sf_plan *pl, const uint8_t *want,
			const uint8_t *got, size_t len, sf_pagediff *out, sf_err *err);
void sf_pagediff_free(sf_pagediff *d);

/* "2 runs: 0x08005000-0x080053ff (1 page), 0x08006000-0x080067ff (2 pages)"
 * (the first four runs, then ", ..."); "no changed page" for none. */
void sf_pagediff_describe(const sf_pagediff *d, char *buf, size_t size);

/* The backup file name for a footprint: "SERIAL-altN-0xADDR-LEN.bin",
 * ADDR 8 lower-case hex digits, LEN decimal; characters of the serial
 * other than [A-Za-z0-9._-] become '_'. */
void sf_backup_name(const char *serial, int alt, uint32_t addr, uint64_t len, char *buf, size_t size);

#endif
