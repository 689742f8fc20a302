/* DfuSe memory layout strings ("@Internal Flash  /0x08000000/20*001Ka,108*001Kg"),
 * parsed with dfu-util's grammar into regions. Pure. */
#ifndef SF_LAYOUT_H
#define SF_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sf_error.h"

enum {
	SF_MEM_READABLE = 1, /* type letter bit 0 */
	SF_MEM_ERASABLE = 2, /* bit 1 */
	SF_MEM_WRITABLE = 4  /* bit 2 */
};

/* One run of equal pages: COUNT*SIZE<mult><type>. */
typedef struct sf_region {
	uint32_t start;     /* first byte */
	uint64_t end;       /* one past the last byte (may be 2^32) */
	uint32_t page_size; /* bytes per page (> 0) */
	uint32_t pages;
	unsigned flags;     /* SF_MEM_* */
} sf_region;

typedef struct sf_layout {
	char name[128];     /* text between '@' and the first '/', spaces kept */
	sf_region *regions; /* in string order; malloc'd */
	size_t nregions;
} sf_layout;

/* Parses a layout string. On failure returns SF_EXIT_REFUSED with err->msg
 * naming the offending part; *out is left empty. */
int sf_layout_parse(const char *text, sf_layout *out, sf_err *err);
void sf_layout_free(sf_layout *layout);

/* The region containing addr, or NULL. */
const sf_region *sf_layout_find(const sf_layout *layout, uint32_t addr);

/* Page containing addr: sets *page_start and *page_size; false if unmapped. */
bool sf_layout_page(const sf_layout *layout, uint32_t addr,
		    uint32_t *page_start, uint32_t *page_size);

/* True when every byte of [addr, addr+len) is mapped with all of `flags`. */
bool sf_layout_range_has(const sf_layout *layout, uint32_t addr, uint64_t len,
			 unsigned flags);

/* Flags as text, e.g. "rew" (static storage). */
const char *sf_layout_flags_str(unsigned flags);

/* How a device's layout string compares with a profile's. */
typedef enum sf_layout_match {
	SF_LAYOUT_SAME = 0,       /* the same map (the same text, or only spelled
				   * differently: "016K" = "16K") */
	SF_LAYOUT_FLAGS_DIFFER,   /* the same name, addresses and pages; only the
				   * attribute (type) letters differ, e.g. a DCT
				   * alt reported as "...Ke" where the profile
				   * says "...Kg" */
	SF_LAYOUT_DIFFERENT       /* another map, or a string that does not parse */
} sf_layout_match;

sf_layout_match sf_layout_compare(const char *a, const char *b);

/* True when two layout strings describe the same memory in the same
 * geometry, one perhaps larger than the other: the names agree (surrounding
 * spaces aside), and page by page from the first address, each page of the
 * shorter map has the same address, size and attribute letter as the longer
 * one's. How the members of one chip family with different flash sizes
 * report their memory: "04*016Kg,01*064Kg,03*128Kg" (512 KiB) fits
 * "04*016Kg,01*064Kg,07*128Kg" (1 MiB). False when either does not parse. */
bool sf_layout_same_geometry(const char *a, const char *b);

#endif
