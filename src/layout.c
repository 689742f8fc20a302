/* DfuSe layout strings, parsed with dfu-util's grammar (dfu-util.md §4):
 *   '@' NAME ( '/' '0x' HEX '/' SEG ( ',' SEG )* )+
 *   SEG := COUNT '*' SIZE MULT TYPE
 * COUNT and SIZE are decimal even with leading zeros ("016" = 16). MULT is
 * K, M or B; any other character means bytes (dfu-util warns), and a type
 * letter in the MULT position is bytes plus that type. Stricter than dfu-util
 * where dfu-util silently skips things (a bad type, trailing junk): a profile
 * that dfu-util would read differently from us is refused instead. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "numparse.h"

#define SF_LAYOUT_MAX_REGIONS 256
#define TWO32 ((uint64_t)1 << 32)

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Decimal run; false when empty or above 2^32 (no count or size is larger). */
static bool parse_dec(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	if (!is_digit(*s))
		return false;
	while (is_digit(*s)) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > TWO32)
			return false;
		s++;
	}
	*p = s;
	*out = v;
	return true;
}

/* The segment text for messages: from seg up to the next ',' or '/'. */
static void seg_text(const char *seg, char *buf, size_t n)
{
	size_t k = strcspn(seg, ",/");
	if (k >= n)
		k = n - 1;
	memcpy(buf, seg, k);
	buf[k] = '\0';
}

static int seg_error(sf_err *err, const char *text, const char *seg, const char *at,
		     unsigned segno, const char *what)
{
	char buf[48];
	seg_text(seg, buf, sizeof buf);
	return sf_err_set(err, SF_EXIT_REFUSED,
			  "layout segment %u '%s' at column %u: %s (layout \"%.120s\")",
			  segno, buf, (unsigned)(at - text) + 1, what, text);
}

int sf_layout_parse(const char *text, sf_layout *out, sf_err *err)
{
	const char *p, *slash;
	sf_region *regs = NULL;
	size_t nregs = 0;
	unsigned segno = 0;
	size_t namelen;
	bool device_feature;

	memset(out, 0, sizeof *out);
	if (!text || text[0] != '@')
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "layout \"%.120s\" does not start with '@' (want @NAME/0xBASE/COUNT*SIZE<K|M|B><a-g>,...)",
				  text ? text : "");
	slash = strchr(text + 1, '/');
	if (!slash)
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "layout \"%.120s\" has no /0xBASE/... group after the name", text);
	namelen = (size_t)(slash - (text + 1));
	if (namelen >= sizeof out->name)
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "layout name is %zu characters long (at most %zu)", namelen,
				  sizeof out->name - 1);
	memcpy(out->name, text + 1, namelen);
	out->name[namelen] = '\0';
	/* dfu-util forces the ST "Device Feature" segments to type 'e'. */
	device_feature = !strcmp(out->name, "Device Feature");

	regs = calloc(SF_LAYOUT_MAX_REGIONS, sizeof *regs);
	if (!regs)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");

	p = slash;
	while (*p == '/') {
		const char *base_at = p + 1;
		uint64_t cursor = 0;
		int ndig = 0;
		p++;
		if (p[0] != '0' || (p[1] != 'x' && p[1] != 'X')) {
			sf_err_set(err, SF_EXIT_REFUSED,
				   "layout base at column %u is not 0x-prefixed hex (layout \"%.120s\")",
				   (unsigned)(base_at - text) + 1, text);
			goto fail;
		}
		p += 2;
		while (sf_hex_digit(*p) >= 0) {
			cursor = cursor * 16 + (uint64_t)sf_hex_digit(*p);
			if (cursor >= TWO32) {
				sf_err_set(err, SF_EXIT_REFUSED,
					   "layout base at column %u does not fit in 32 bits (layout \"%.120s\")",
					   (unsigned)(base_at - text) + 1, text);
				goto fail;
			}
			p++;
			ndig++;
		}
		if (ndig == 0 || *p != '/') {
			sf_err_set(err, SF_EXIT_REFUSED,
				   "layout base at column %u is not 0x-prefixed hex followed by '/' (layout \"%.120s\")",
				   (unsigned)(base_at - text) + 1, text);
			goto fail;
		}
		p++;
		for (;;) {
			const char *seg = p;
			uint64_t count, size, mult = 1;
			char type;
			segno++;
			if (!parse_dec(&p, &count) || *p != '*') {
				seg_error(err, text, seg, p, segno,
					  "want COUNT*SIZE with decimal numbers (at most 2^32)");
				goto fail;
			}
			p++;
			if (!parse_dec(&p, &size)) {
				seg_error(err, text, seg, p, segno, "size is not a decimal number (at most 2^32)");
				goto fail;
			}
			if (count == 0 || size == 0) {
				seg_error(err, text, seg, seg, segno, "page count and size must be > 0");
				goto fail;
			}
			if (*p >= 'a' && *p <= 'g') {
				/* dfu-util: "Non-valid multiplier, interpreted as type identifier". */
				type = *p++;
			} else {
				if (*p == '\0' || *p == ',' || *p == '/') {
					seg_error(err, text, seg, p, segno,
						  "missing memory type letter a..g");
					goto fail;
				}
				if (*p == 'K')
					mult = 1024;
				else if (*p == 'M')
					mult = 1024 * 1024;
				/* 'B' and anything else (ST's ' ') count bytes. */
				p++;
				type = *p;
				if (type == '\0' || type == ',' || type == '/') {
					seg_error(err, text, seg, p, segno,
						  "missing memory type letter a..g");
					goto fail;
				}
				if (type < 'a' || type > 'g') {
					seg_error(err, text, seg, p, segno,
						  "memory type is not a letter a..g");
					goto fail;
				}
				p++;
			}
			if (*p != '\0' && *p != ',' && *p != '/') {
				seg_error(err, text, seg, p, segno,
					  "unexpected text after the memory type (one letter a..g)");
				goto fail;
			}
			size *= mult;
			/* a page count or page size is stored in 32 bits: 2^32 itself
			 * would wrap to 0 (and divide by zero later) */
			if (size >= TWO32 || count >= TWO32) {
				seg_error(err, text, seg, seg, segno,
					  "page count and page size must each be below 2^32");
				goto fail;
			}
			if (count * size > TWO32 - cursor) {
				seg_error(err, text, seg, seg, segno,
					  "region runs past the end of the 32-bit address space");
				goto fail;
			}
			if (nregs == SF_LAYOUT_MAX_REGIONS) {
				seg_error(err, text, seg, seg, segno,
					  "too many regions (at most 256)");
				goto fail;
			}
			regs[nregs].start = (uint32_t)cursor;
			regs[nregs].page_size = (uint32_t)size;
			regs[nregs].pages = (uint32_t)count;
			regs[nregs].end = cursor + count * size;
			regs[nregs].flags = device_feature ? 5u : (unsigned)(type & 7);
			cursor = regs[nregs].end;
			nregs++;
			if (*p != ',')
				break;
			p++;
		}
		if (*p == '\0')
			break;
	}
	if (*p != '\0') {
		sf_err_set(err, SF_EXIT_REFUSED, "layout has unexpected text at column %u (layout \"%.120s\")",
			   (unsigned)(p - text) + 1, text);
		goto fail;
	}
	out->regions = regs;
	out->nregions = nregs;
	return 0;
fail:
	free(regs);
	memset(out, 0, sizeof *out);
	return err ? err->code : SF_EXIT_REFUSED;
}

void sf_layout_free(sf_layout *layout)
{
	if (!layout)
		return;
	free(layout->regions);
	layout->regions = NULL;
	layout->nregions = 0;
}

const sf_region *sf_layout_find(const sf_layout *layout, uint32_t addr)
{
	if (!layout)
		return NULL;
	for (size_t i = 0; i < layout->nregions; i++) {
		const sf_region *r = &layout->regions[i];
		if (addr >= r->start && (uint64_t)addr < r->end)
			return r;
	}
	return NULL;
}

bool sf_layout_page(const sf_layout *layout, uint32_t addr,
		    uint32_t *page_start, uint32_t *page_size)
{
	const sf_region *r = sf_layout_find(layout, addr);
	if (!r)
		return false;
	if (page_start)
		*page_start = r->start + (addr - r->start) / r->page_size * r->page_size;
	if (page_size)
		*page_size = r->page_size;
	return true;
}

bool sf_layout_range_has(const sf_layout *layout, uint32_t addr, uint64_t len,
			 unsigned flags)
{
	uint64_t cur = addr, end = (uint64_t)addr + len;
	/* An empty range is fine where its address is mapped with the flags. */
	if (len == 0) {
		const sf_region *r = sf_layout_find(layout, addr);
		return r && (r->flags & flags) == flags;
	}
	if (end > TWO32)
		return false;
	while (cur < end) {
		const sf_region *r = sf_layout_find(layout, (uint32_t)cur);
		if (!r || (r->flags & flags) != flags)
			return false;
		cur = r->end;
	}
	return true;
}

const char *sf_layout_flags_str(unsigned flags)
{
	static const char *const names[8] = {
		"---", "r--", "-e-", "re-", "--w", "r-w", "-ew", "rew"
	};
	return names[flags & 7];
}

sf_layout_match sf_layout_compare(const char *a, const char *b)
{
	sf_layout la, lb;
	sf_layout_match m = SF_LAYOUT_SAME;

	if (!a || !b)
		return SF_LAYOUT_DIFFERENT;
	if (!strcmp(a, b))
		return SF_LAYOUT_SAME;
	if (sf_layout_parse(a, &la, NULL))
		return SF_LAYOUT_DIFFERENT;
	if (sf_layout_parse(b, &lb, NULL)) {
		sf_layout_free(&la);
		return SF_LAYOUT_DIFFERENT;
	}
	/* The name is compared exactly: it tells which memory the alt is. */
	if (strcmp(la.name, lb.name) || la.nregions != lb.nregions)
		m = SF_LAYOUT_DIFFERENT;
	for (size_t i = 0; m != SF_LAYOUT_DIFFERENT && i < la.nregions; i++) {
		const sf_region *x = &la.regions[i], *y = &lb.regions[i];
		if (x->start != y->start || x->end != y->end || x->page_size != y->page_size ||
		    x->pages != y->pages)
			m = SF_LAYOUT_DIFFERENT;
		else if (x->flags != y->flags)
			m = SF_LAYOUT_FLAGS_DIFFER;
	}
	sf_layout_free(&la);
	sf_layout_free(&lb);
	return m;
}

/* The name without surrounding spaces: bootloaders of one family pad it
 * differently ("Internal Flash  " and "Internal Flash   "). */
static void trimmed(const char *name, const char **start, size_t *len)
{
	size_t n = strlen(name);
	while (*name == ' ') {
		name++;
		n--;
	}
	while (n && name[n - 1] == ' ')
		n--;
	*start = name;
	*len = n;
}

bool sf_layout_same_geometry(const char *a, const char *b)
{
	sf_layout la, lb;
	const char *na, *nb;
	size_t lna, lnb, i = 0, j = 0;
	uint64_t used_a = 0, used_b = 0; /* pages of region i / j already compared */
	bool ok;

	if (!a || !b || sf_layout_parse(a, &la, NULL))
		return false;
	if (sf_layout_parse(b, &lb, NULL)) {
		sf_layout_free(&la);
		return false;
	}
	trimmed(la.name, &na, &lna);
	trimmed(lb.name, &nb, &lnb);
	ok = lna == lnb && !memcmp(na, nb, lna) && la.nregions && lb.nregions;
	/* walk both maps page run by page run until the shorter one ends */
	while (ok && i < la.nregions && j < lb.nregions) {
		const sf_region *x = &la.regions[i], *y = &lb.regions[j];
		uint64_t ax = x->start + used_a * x->page_size, by = y->start + used_b * y->page_size;
		uint64_t n = x->pages - used_a < y->pages - used_b ? x->pages - used_a : y->pages - used_b;
		if (ax != by || x->page_size != y->page_size || x->flags != y->flags) {
			ok = false;
			break;
		}
		used_a += n;
		used_b += n;
		if (used_a == x->pages) {
			i++;
			used_a = 0;
		}
		if (used_b == y->pages) {
			j++;
			used_b = 0;
		}
	}
	sf_layout_free(&la);
	sf_layout_free(&lb);
	return ok;
}
