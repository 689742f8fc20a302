/* Layout-string parser: every real string of the references, malformed
 * strings, limits, page lookups, and a random/mutation loop. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "layout.h"

#define TWO32 ((uint64_t)1 << 32)

typedef struct exp_region {
	uint32_t start;
	uint64_t end;
	uint32_t page_size, pages;
	unsigned flags;
} exp_region;

static void expect_layout(const char *text, const char *name, const exp_region *want, size_t n)
{
	sf_layout l;
	sf_err err = { 0, "" };
	int r = sf_layout_parse(text, &l, &err);
	if (r)
		print_error("parse of \"%s\" failed: %s\n", text, err.msg);
	assert_int_equal(r, 0);
	assert_string_equal(l.name, name);
	assert_int_equal(l.nregions, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(l.regions[i].start, want[i].start);
		assert_true(l.regions[i].end == want[i].end);
		assert_int_equal(l.regions[i].page_size, want[i].page_size);
		assert_int_equal(l.regions[i].pages, want[i].pages);
		assert_int_equal(l.regions[i].flags, want[i].flags);
	}
	sf_layout_free(&l);
}

static void test_core(void **state)
{
	(void)state;
	const exp_region a0[] = {
		{ 0x08000000, 0x08005000, 1024, 20, 1 },
		{ 0x08005000, 0x08020000, 1024, 108, 7 },
	};
	const exp_region a1[] = { { 0, 0x200000, 4096, 512, 7 } };
	expect_layout("@Internal Flash  /0x08000000/20*001Ka,108*001Kg", "Internal Flash  ", a0, 2);
	expect_layout("@SPI Flash : SST25x/0x00000000/512*04Kg", "SPI Flash : SST25x", a1, 1);
}

static void test_photon_family(void **state)
{
	(void)state;
	const exp_region a0[] = {
		{ 0x08000000, 0x0800C000, 16384, 3, 1 },
		{ 0x0800C000, 0x08010000, 16384, 1, 7 },
		{ 0x08010000, 0x08020000, 65536, 1, 7 },
		{ 0x08020000, 0x08100000, 131072, 7, 7 },
	};
	const exp_region dct[] = { { 0, 0x4000, 16384, 1, 7 } };
	expect_layout("@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg",
		      "Internal Flash   ", a0, 4);
	expect_layout("@DCT Flash   /0x00000000/01*016Kg", "DCT Flash   ", dct, 1);
}

static void test_duo(void **state)
{
	(void)state;
	const exp_region a0[] = {
		{ 0x08000000, 0x08004000, 16384, 1, 1 },
		{ 0x08004000, 0x0800C000, 16384, 2, 7 },
		{ 0x0800C000, 0x08010000, 16384, 1, 7 },
		{ 0x08010000, 0x08020000, 65536, 1, 7 },
		{ 0x08020000, 0x08100000, 131072, 7, 7 },
	};
	const exp_region a2[] = {
		{ 0x000000, 0x0C0000, 4096, 192, 7 },
		{ 0x0C0000, 0x140000, 4096, 128, 7 },
		{ 0x140000, 0x180000, 4096, 64, 7 },
		{ 0x180000, 0x200000, 4096, 128, 7 },
	};
	expect_layout("@Internal Flash   /0x08000000/01*016Ka,02*016Kg,01*016Kg,01*064Kg,07*128Kg",
		      "Internal Flash   ", a0, 5);
	expect_layout("@Serial Flash   /0x00000000/192*004Kg,128*004Kg,64*004Kg,128*004Kg",
		      "Serial Flash   ", a2, 4);
}

static void test_argon(void **state)
{
	(void)state;
	const exp_region a0[] = {
		{ 0x00000, 0x01000, 4096, 1, 1 },
		{ 0x01000, 0x30000, 4096, 47, 7 },
		{ 0x30000, 0xF0000, 4096, 192, 7 },
		{ 0xF0000, 0xF4000, 4096, 4, 7 },
		{ 0xF4000, 0xF8000, 4096, 4, 1 },
		{ 0xF8000, 0x100000, 4096, 8, 7 },
	};
	expect_layout("@Internal Flash   /0x00000000/1*004Ka,47*004Kg,192*004Kg,4*004Kg,4*004Ka,8*004Kg",
		      "Internal Flash   ", a0, 6);
}

/* ST's STM32F4 system-memory bootloader: space multipliers and Device Feature. */
static void test_stm32f4_rom(void **state)
{
	(void)state;
	const exp_region fl[] = {
		{ 0x08000000, 0x08010000, 16384, 4, 7 },
		{ 0x08010000, 0x08020000, 65536, 1, 7 },
		{ 0x08020000, 0x08100000, 131072, 7, 7 },
	};
	const exp_region ob[] = { { 0x1FFFC000, 0x1FFFC010, 16, 1, 7 } };
	const exp_region otp[] = {
		{ 0x1FFF7800, 0x1FFF7A00, 512, 1, 7 },
		{ 0x1FFF7A00, 0x1FFF7A10, 16, 1, 7 },
	};
	/* dfu-util forces Device Feature to type 'e' (r-w) whatever the letter. */
	const exp_region df[] = { { 0xFFFF0000, 0xFFFF0004, 4, 1, 5 } };
	expect_layout("@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg", "Internal Flash  ", fl, 3);
	expect_layout("@Option Bytes  /0x1FFFC000/01*016 g", "Option Bytes  ", ob, 1);
	expect_layout("@OTP Memory /0x1FFF7800/01*512 g,01*016 g", "OTP Memory ", otp, 2);
	expect_layout("@Device Feature/0xFFFF0000/01*004 g", "Device Feature", df, 1);
}

static void test_multipliers_and_groups(void **state)
{
	(void)state;
	const exp_region typ[] = { { 0x100, 0x100 + 4 * 16, 16, 4, 7 } };
	const exp_region bytes[] = { { 0, 1024, 512, 2, 6 } };
	const exp_region mega[] = { { 0x90000000, 0x90400000, 0x200000, 2, 3 } };
	const exp_region groups[] = {
		{ 0x08000000, 0x08000800, 1024, 2, 1 },
		{ 0x08000800, 0x08001800, 4096, 1, 7 },
		{ 0x20000000, 0x20004000, 8192, 2, 5 },
	};
	const exp_region other[] = { { 0x0, 0x20, 16, 2, 4 } };
	/* type letter in the multiplier position: bytes + that type */
	expect_layout("@T/0x100/04*016g", "T", typ, 1);
	expect_layout("@T/0x0/2*512Bf", "T", bytes, 1);
	expect_layout("@T/0x90000000/2*2Mc", "T", mega, 1);
	expect_layout("@Two/0x08000000/2*1Ka,1*4Kg/0x20000000/2*8Ke", "Two", groups, 3);
	/* any other multiplier character counts bytes (dfu-util warns) */
	expect_layout("@T/0x0/2*16xd", "T", other, 1);
	expect_layout("@/0x0/2*16 d", "", other, 1);
	/* uppercase hex prefix and digits */
	expect_layout("@T/0X100/4*16g", "T", typ, 1);
}

static void test_end_of_address_space(void **state)
{
	(void)state;
	const exp_region top[] = { { 0xFFFF0000, TWO32, 65536, 1, 7 } };
	const exp_region whole[] = { { 0, TWO32, 1048576, 4096, 7 } };
	const exp_region last[] = { { 0xFFFFFFFF, TWO32, 1, 1, 1 } };
	uint32_t ps, pz;
	sf_layout l;
	expect_layout("@T/0xFFFF0000/1*64Kg", "T", top, 1);
	expect_layout("@T/0x0/4096*1Mg", "T", whole, 1);
	expect_layout("@T/0xFFFFFFFF/1*1Ba", "T", last, 1);
	assert_int_equal(sf_layout_parse("@T/0xFFFF0000/1*64Kg", &l, NULL), 0);
	assert_true(sf_layout_page(&l, 0xFFFFFFFF, &ps, &pz));
	assert_int_equal(ps, 0xFFFF0000);
	assert_int_equal(pz, 65536);
	assert_true(sf_layout_range_has(&l, 0xFFFF0000, 0x10000, SF_MEM_WRITABLE));
	assert_false(sf_layout_range_has(&l, 0xFFFF0000, 0x10001, 0));
	sf_layout_free(&l);
}

typedef struct bad_case {
	const char *text;
	const char *fragment; /* must appear in the message */
} bad_case;

static void test_malformed(void **state)
{
	static const bad_case bad[] = {
		{ "", "does not start with '@'" },
		{ "Internal Flash/0x0/1*1Kg", "does not start with '@'" },
		{ "@Internal Flash", "no /0xBASE/" },
		{ "@n/", "column 4 is not 0x-prefixed" },
		{ "@n/0x/1*1Kg", "not 0x-prefixed hex followed by '/'" },
		{ "@n/1234/1*1Kg", "base at column 4" },
		{ "@n/0xZZ/1*1Kg", "column 4" },
		{ "@n/0x100000000/1*1Kg", "does not fit in 32 bits" },
		{ "@n/0x0", "followed by '/'" },
		{ "@n/0x0/", "segment 1 '' at column 8: want COUNT*SIZE" },
		{ "@n/0x0/0*1Kg", "segment 1 '0*1Kg' at column 8: page count and size must be > 0" },
		{ "@n/0x0/1*0Kg", "page count and size must be > 0" },
		/* found by fuzzing: 2^32 was accepted and stored as 0 (SIGFPE in
		 * the page lookup, out-of-bounds page counters in the simulator) */
		{ "@n/0x0/1*4096Mg", "page count and page size must each be below 2^32" },
		{ "@n/0x0/4294967296*1Bg", "page count and page size must each be below 2^32" },
		{ "@n/0x0/1*4194304Kg", "page count and page size must each be below 2^32" },
		{ "@n/0x0/1*1Kh", "segment 1 '1*1Kh' at column 12: memory type is not a letter a..g" },
		{ "@n/0x0/1*1K", "missing memory type" },
		{ "@n/0x0/1*1", "missing memory type" },
		{ "@n/0x0/1*1Kgg", "column 13: unexpected text after the memory type" },
		{ "@n/0x0/1*1Kg,", "segment 2 '' at column 14" },
		{ "@n/0x0/*1Kg", "want COUNT*SIZE" },
		{ "@n/0x0/1x1Kg", "want COUNT*SIZE" },
		{ "@n/0x0/1*Kg", "size is not a decimal number" },
		{ "@n/0x0/-1*1Kg", "want COUNT*SIZE" },
		{ "@n/0x0/99999999999*1Kg", "want COUNT*SIZE" },
		{ "@n/0x0/1*99999999999g", "size is not a decimal number" },
		{ "@Internal Flash  /0x08000000/20*001Ka,108*001Kx", "segment 2 '108*001Kx' at column 47" },
		{ "@n/0xFFFF0000/1*65537Bg", "past the end of the 32-bit address space" },
		{ "@n/0xFFFFFFFF/2*1Bg", "past the end" },
		{ "@n/0x0/4097*1Mg", "past the end" },
		{ "@n/0x0/4096*1Mg,1*1Bg", "segment 2 '1*1Bg'" },
		{ "@n/0x0/1*1Kg/0x", "not 0x-prefixed hex" },
		{ "@n/0x0/1*1Kg/", "not 0x-prefixed" },
		{ "@n/0x0/1*1Kg x", "unexpected text after the memory type" },
		{ "@n/0x0/1*1Kg\n", "unexpected text" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sf_layout l;
		sf_err err = { 0, "" };
		int r = sf_layout_parse(bad[i].text, &l, &err);
		if (r == 0 || !strstr(err.msg, bad[i].fragment))
			print_error("case %zu \"%s\": rc %d, msg \"%s\", want \"%s\"\n", i, bad[i].text,
				    r, err.msg, bad[i].fragment);
		assert_int_equal(r, SF_EXIT_REFUSED);
		assert_int_equal(err.code, SF_EXIT_REFUSED);
		assert_non_null(strstr(err.msg, bad[i].fragment));
		assert_null(l.regions);
		assert_int_equal(l.nregions, 0);
	}
	/* NULL text is refused, not a crash; errors without an sf_err too */
	{
		sf_layout l;
		assert_int_equal(sf_layout_parse(NULL, &l, NULL), SF_EXIT_REFUSED);
		assert_int_equal(sf_layout_parse("@x/0x0/1*1Kq", &l, NULL), SF_EXIT_REFUSED);
	}
}

static char *repeat_segments(size_t n)
{
	char *s = malloc(16 + n * 7);
	size_t used;
	assert_non_null(s);
	used = (size_t)sprintf(s, "@Many/0x0/");
	for (size_t i = 0; i < n; i++)
		used += (size_t)sprintf(s + used, "%s1*1Kg", i ? "," : "");
	return s;
}

static void test_limits(void **state)
{
	char name[200];
	char text[260];
	sf_layout l;
	sf_err err = { 0, "" };
	char *s;
	(void)state;

	s = repeat_segments(256);
	assert_int_equal(sf_layout_parse(s, &l, &err), 0);
	assert_int_equal(l.nregions, 256);
	assert_true(l.regions[255].end == 256 * 1024);
	sf_layout_free(&l);
	free(s);

	s = repeat_segments(257);
	assert_int_equal(sf_layout_parse(s, &l, &err), SF_EXIT_REFUSED);
	assert_non_null(strstr(err.msg, "segment 257"));
	assert_non_null(strstr(err.msg, "too many regions (at most 256)"));
	free(s);

	memset(name, 'N', 127);
	name[127] = '\0';
	snprintf(text, sizeof text, "@%s/0x0/1*1Kg", name);
	assert_int_equal(sf_layout_parse(text, &l, &err), 0);
	assert_int_equal(strlen(l.name), 127);
	sf_layout_free(&l);
	memset(name, 'N', 128);
	name[128] = '\0';
	snprintf(text, sizeof text, "@%s/0x0/1*1Kg", name);
	assert_int_equal(sf_layout_parse(text, &l, &err), SF_EXIT_REFUSED);
	assert_non_null(strstr(err.msg, "name is 128 characters long"));

	/* leading zeros are decimal, never octal: 010 = 10 */
	assert_int_equal(sf_layout_parse("@z/0x0/010*010Bg", &l, &err), 0);
	assert_int_equal(l.regions[0].pages, 10);
	assert_int_equal(l.regions[0].page_size, 10);
	sf_layout_free(&l);
	sf_layout_free(NULL);
}

static void test_page_lookup(void **state)
{
	sf_layout l;
	uint32_t ps = 1, pz = 1;
	(void)state;
	assert_int_equal(sf_layout_parse("@Internal Flash  /0x08000000/20*001Ka,108*001Kg", &l, NULL), 0);
	assert_true(sf_layout_page(&l, 0x08005000, &ps, &pz));
	assert_int_equal(ps, 0x08005000);
	assert_int_equal(pz, 1024);
	assert_true(sf_layout_page(&l, 0x080053FF, &ps, &pz));
	assert_int_equal(ps, 0x08005000);
	assert_true(sf_layout_page(&l, 0x08005400, &ps, &pz));
	assert_int_equal(ps, 0x08005400);
	assert_true(sf_layout_page(&l, 0x08004FFF, &ps, &pz));
	assert_int_equal(ps, 0x08004C00);
	assert_true(sf_layout_page(&l, 0x08000000, &ps, &pz));
	assert_int_equal(ps, 0x08000000);
	assert_true(sf_layout_page(&l, 0x0801FFFF, &ps, &pz));
	assert_int_equal(ps, 0x0801FC00);
	ps = pz = 7;
	assert_false(sf_layout_page(&l, 0x08020000, &ps, &pz));
	assert_false(sf_layout_page(&l, 0x07FFFFFF, &ps, &pz));
	assert_int_equal(ps, 7); /* untouched when unmapped */
	assert_true(sf_layout_page(&l, 0x08000001, NULL, NULL));

	assert_ptr_equal(sf_layout_find(&l, 0x08004FFF), &l.regions[0]);
	assert_ptr_equal(sf_layout_find(&l, 0x08005000), &l.regions[1]);
	assert_null(sf_layout_find(&l, 0));
	assert_null(sf_layout_find(NULL, 0));

	assert_true(sf_layout_range_has(&l, 0x08005000, 0x1B000,
					SF_MEM_READABLE | SF_MEM_ERASABLE | SF_MEM_WRITABLE));
	assert_false(sf_layout_range_has(&l, 0x08005000, 0x1B001, 0));
	assert_false(sf_layout_range_has(&l, 0x08004000, 0x2000, SF_MEM_WRITABLE));
	assert_true(sf_layout_range_has(&l, 0x08004000, 0x2000, SF_MEM_READABLE));
	assert_true(sf_layout_range_has(&l, 0x08000000, 0x20000, 0));
	assert_true(sf_layout_range_has(&l, 0x08005000, 0, SF_MEM_WRITABLE));
	assert_false(sf_layout_range_has(&l, 0x08004000, 0, SF_MEM_WRITABLE));
	assert_false(sf_layout_range_has(&l, 0x08020000, 0, 0));
	sf_layout_free(&l);

	/* a hole between groups breaks a range */
	assert_int_equal(sf_layout_parse("@h/0x0/1*1Kg/0x800/1*1Kg", &l, NULL), 0);
	assert_true(sf_layout_range_has(&l, 0, 0x400, SF_MEM_WRITABLE));
	assert_false(sf_layout_range_has(&l, 0, 0xC00, 0));
	assert_false(sf_layout_page(&l, 0x400, &ps, &pz));
	assert_true(sf_layout_page(&l, 0x800, &ps, &pz));
	sf_layout_free(&l);
}

static void test_flags_str(void **state)
{
	static const char *const want[8] = { "---", "r--", "-e-", "re-", "--w", "r-w", "-ew", "rew" };
	(void)state;
	for (char c = 'a'; c <= 'g'; c++) {
		char text[32];
		sf_layout l;
		snprintf(text, sizeof text, "@f/0x0/1*1K%c", c);
		assert_int_equal(sf_layout_parse(text, &l, NULL), 0);
		assert_string_equal(sf_layout_flags_str(l.regions[0].flags), want[c & 7]);
		sf_layout_free(&l);
	}
	assert_string_equal(sf_layout_flags_str(SF_MEM_READABLE | SF_MEM_WRITABLE), "r-w");
	assert_string_equal(sf_layout_flags_str(0), "---");
}

/* Checks the invariants of any successful parse. */
static void check_invariants(const sf_layout *l)
{
	for (size_t i = 0; i < l->nregions; i++) {
		const sf_region *r = &l->regions[i];
		assert_true(r->page_size > 0 && r->pages > 0);
		assert_true(r->end <= TWO32);
		assert_true(r->end - r->start == (uint64_t)r->pages * r->page_size);
		assert_true(r->flags <= 7);
	}
	assert_true(l->nregions >= 1 && l->nregions <= 256);
}

static void fuzz_one(const char *s)
{
	sf_layout l;
	sf_err err;
	if (sf_layout_parse(s, &l, &err) == 0) {
		check_invariants(&l);
		sf_layout_free(&l);
	} else {
		assert_int_equal(l.nregions, 0);
		assert_true(strlen(err.msg) > 0);
	}
}

static void test_fuzz(void **state)
{
	static const char *const seeds[] = {
		"@Internal Flash  /0x08000000/20*001Ka,108*001Kg",
		"@SPI Flash : SST25x/0x00000000/512*04Kg",
		"@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg",
		"@Serial Flash   /0x00000000/192*004Kg,128*004Kg,64*004Kg,128*004Kg",
		"@OTP Memory /0x1FFF7800/01*512 g,01*016 g",
		"@Two/0x08000000/2*1Ka,1*4Kg/0x20000000/2*8Ke",
	};
	static const char alphabet[] = "@/0x19afgKMB*, \t:\xff";
	unsigned seeds_used[2] = { 12345u, (unsigned)time(NULL) };
	(void)state;
	for (int round = 0; round < 2; round++) {
		srand(seeds_used[round]);
		printf("# layout fuzz seed %u\n", seeds_used[round]);
		for (int it = 0; it < 20000; it++) {
			char buf[160];
			if (it % 2) {
				size_t n = (size_t)rand() % 60;
				buf[0] = '@';
				for (size_t i = 1; i < n; i++)
					buf[i] = alphabet[(size_t)rand() % (sizeof alphabet - 1)];
				buf[n ? n : 1] = '\0';
				if (!n)
					buf[0] = '\0';
			} else {
				const char *src = seeds[(size_t)rand() % (sizeof seeds / sizeof seeds[0])];
				size_t n = strlen(src);
				int muts = 1 + rand() % 4;
				memcpy(buf, src, n + 1);
				for (int m = 0; m < muts && n > 0; m++) {
					size_t pos = (size_t)rand() % n;
					switch (rand() % 4) {
					case 0: buf[pos] = alphabet[(size_t)rand() % (sizeof alphabet - 1)]; break;
					case 1: memmove(buf + pos, buf + pos + 1, n - pos); n--; break;
					case 2:
						if (n + 1 < sizeof buf) {
							memmove(buf + pos + 1, buf + pos, n - pos + 1);
							buf[pos] = alphabet[(size_t)rand() % (sizeof alphabet - 1)];
							n++;
						}
						break;
					default: buf[pos] = '\0'; n = pos; break;
					}
				}
			}
			fuzz_one(buf);
		}
	}
}

/* Device vs profile layout strings: only the attribute letters may differ
 * for a read to go on (devsel's alt check). */
static void test_compare(void **state)
{
	static const char core[] = "@Internal Flash  /0x08000000/20*001Ka,108*001Kg";
	static const char dct_g[] = "@DCT Flash   /0x00000000/01*016Kg";
	static const char dct_e[] = "@DCT Flash   /0x00000000/01*016Ke";
	(void)state;

	assert_int_equal(sf_layout_compare(core, core), SF_LAYOUT_SAME);
	/* spelling only: leading zeros are decimal, the map is the same */
	assert_int_equal(sf_layout_compare(core, "@Internal Flash  /0x08000000/20*1Ka,108*1Kg"),
			 SF_LAYOUT_SAME);
	assert_int_equal(sf_layout_compare(dct_e, dct_g), SF_LAYOUT_FLAGS_DIFFER);
	assert_int_equal(sf_layout_compare(dct_g, dct_e), SF_LAYOUT_FLAGS_DIFFER);
	assert_int_equal(sf_layout_compare(core, "@Internal Flash  /0x08000000/20*001Kg,108*001Kg"),
			 SF_LAYOUT_FLAGS_DIFFER);
	/* a multiplier, count, size, base or name change is another map */
	assert_int_equal(sf_layout_compare(dct_g, "@DCT Flash   /0x00000000/01*016Mg"), SF_LAYOUT_DIFFERENT);
	assert_int_equal(sf_layout_compare(dct_g, "@DCT Flash   /0x00000000/02*016Kg"), SF_LAYOUT_DIFFERENT);
	assert_int_equal(sf_layout_compare(dct_g, "@DCT Flash   /0x00000000/01*032Kg"), SF_LAYOUT_DIFFERENT);
	assert_int_equal(sf_layout_compare(dct_g, "@DCT Flash   /0x00004000/01*016Kg"), SF_LAYOUT_DIFFERENT);
	assert_int_equal(sf_layout_compare(dct_g, "@DCT Flash  /0x00000000/01*016Kg"), SF_LAYOUT_DIFFERENT);
	assert_int_equal(sf_layout_compare(dct_g, "@DCT Flash   /0x00000000/01*016Kg,01*016Kg"),
			 SF_LAYOUT_DIFFERENT);
	assert_int_equal(sf_layout_compare(core, "@Internal Flash  /0x08000000/20*001Ka,100*001Kg"),
			 SF_LAYOUT_DIFFERENT);
	/* what does not parse is never "the same but for a letter" */
	assert_int_equal(sf_layout_compare(dct_g, "UNKNOWN"), SF_LAYOUT_DIFFERENT);
	assert_int_equal(sf_layout_compare("UNKNOWN", dct_g), SF_LAYOUT_DIFFERENT);
	assert_int_equal(sf_layout_compare("UNKNOWN", "UNKNOWN"), SF_LAYOUT_SAME);
	assert_int_equal(sf_layout_compare(NULL, dct_g), SF_LAYOUT_DIFFERENT);
	assert_int_equal(sf_layout_compare(dct_g, "@DCT Flash   /0x00000000/01*016Kz"), SF_LAYOUT_DIFFERENT);
}

/* One family, several flash sizes: the page geometry is what tells a family
 * apart (profmatch), not the size. */
static void test_same_geometry(void **state)
{
	static const char f4[] = "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg";
	static const char f401[] = "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg";
	static const char f429[] = "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg,04*016Kg,01*064Kg,07*128Kg";
	static const char f0[] = "@Internal Flash  /0x08000000/064*0002Kg";
	static const char f1[] = "@Internal Flash  /0x08000000/128*002Kg";
	static const char h7[] = "@Internal Flash   /0x08000000/16*128Kg";
	(void)state;

	assert_true(sf_layout_same_geometry(f4, f4));
	assert_true(sf_layout_same_geometry(f4, f401));
	assert_true(sf_layout_same_geometry(f401, f4));
	/* a dual-bank part repeats the sectors after the first bank */
	assert_true(sf_layout_same_geometry(f4, f429));
	/* uniform pages: any count, any spelling, any padding of the name */
	assert_true(sf_layout_same_geometry(f0, f1));
	assert_true(sf_layout_same_geometry(f0, "@Internal Flash   /0x08000000/32*2Kg"));
	assert_true(sf_layout_same_geometry(h7, "@Internal Flash /0x08000000/8*128Kg"));
	/* one page split differently is another geometry */
	assert_false(sf_layout_same_geometry(f4, "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*064Kg"));
	assert_false(sf_layout_same_geometry(f4, "@Internal Flash  /0x08000000/02*032Kg,01*064Kg,07*128Kg"));
	assert_false(sf_layout_same_geometry(f0, "@Internal Flash  /0x08000000/032*0001Kg"));
	assert_false(sf_layout_same_geometry(f4, h7));
	/* another base, name or attribute letter */
	assert_false(sf_layout_same_geometry(f0, "@Internal Flash  /0x08004000/064*0002Kg"));
	assert_false(sf_layout_same_geometry(f0, "@Option Bytes  /0x08000000/064*0002Kg"));
	assert_false(sf_layout_same_geometry(f0, "@Internal Flash  /0x08000000/064*0002Ka"));
	assert_false(sf_layout_same_geometry(f4, "@Internal Flash  /0x08000000/04*016Ka,01*064Kg,07*128Kg"));
	/* a gap where the other map has pages */
	assert_false(sf_layout_same_geometry(f0, "@Internal Flash  /0x08000000/02*0002Kg/0x08002000/10*0002Kg"));
	assert_true(sf_layout_same_geometry("@X /0x00000000/02*1Kg/0x00000800/02*1Kg", "@X /0x00000000/04*1Kg"));
	/* what does not parse fits nothing */
	assert_false(sf_layout_same_geometry(f0, "UNKNOWN"));
	assert_false(sf_layout_same_geometry("UNKNOWN", "UNKNOWN"));
	assert_false(sf_layout_same_geometry(NULL, f0));
	assert_false(sf_layout_same_geometry(f0, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core),
		cmocka_unit_test(test_photon_family),
		cmocka_unit_test(test_duo),
		cmocka_unit_test(test_argon),
		cmocka_unit_test(test_stm32f4_rom),
		cmocka_unit_test(test_multipliers_and_groups),
		cmocka_unit_test(test_end_of_address_space),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_page_lookup),
		cmocka_unit_test(test_flags_str),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_same_geometry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
