/* Unit tests for src/module.c: CRC-32, module prefix/suffix parsing, DFU
 * suffix, dfu-util prefix sniffing, and a fuzz loop (run under ASan). */
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

#include "module.h"

/* ---- image builder (independent of mkmodule so both check each other) ---- */

struct spec {
	uint32_t prefix_offset, start, payload, suffix_size;
	uint16_t platform, version, product_id, product_version;
	uint8_t function, index, flags;
	uint8_t dep[2][2];
	uint16_t depver[2];
	uint32_t sp;
};

static void w16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void w32(uint8_t *p, uint32_t v)
{
	w16(p, v);
	w16(p + 2, v >> 16);
}

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	uint32_t x = rnd_state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return rnd_state = x;
}

static size_t image_len(const struct spec *s)
{
	uint32_t ss = s->suffix_size == 0xFFFF ? 36 : s->suffix_size;
	return s->prefix_offset + 24 + s->payload + ss + 4;
}

/* Builds into a malloc'd buffer; returns it and its length. */
static uint8_t *build(const struct spec *s, size_t *len)
{
	size_t n = image_len(s);
	uint32_t ss = s->suffix_size == 0xFFFF ? 36 : s->suffix_size;
	uint8_t *b = malloc(n);
	uint8_t *p, *suf;
	uint32_t crc;

	assert_non_null(b);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rnd();
	if (s->prefix_offset >= 8) {
		w32(b, s->sp ? s->sp : 0x20020000);
		for (uint32_t i = 4; i + 4 <= s->prefix_offset; i += 4)
			w32(b + i, (s->start + 0x200 + i) | 1);
	}
	p = b + s->prefix_offset;
	w32(p, s->start);
	w32(p + 4, (uint32_t)(s->start + n - 4));
	p[8] = 0;
	p[9] = s->flags;
	w16(p + 10, s->version);
	w16(p + 12, s->platform);
	p[14] = s->function;
	p[15] = s->index;
	for (int d = 0; d < 2; d++) {
		p[16 + 4 * d] = s->dep[d][0];
		p[17 + 4 * d] = s->dep[d][1];
		w16(p + 18 + 4 * d, s->depver[d]);
	}
	suf = b + n - 4 - ss;
	if (ss >= 40) {
		w16(suf + ss - 40, s->product_id);
		w16(suf + ss - 38, s->product_version);
	}
	if (ss >= 36)
		w16(suf + ss - 36, 0);
	if (ss >= 2)
		w16(suf + ss - 2, s->suffix_size);
	crc = sf_crc32(0, b, n - 4);
	b[n - 4] = (uint8_t)(crc >> 24);
	b[n - 3] = (uint8_t)(crc >> 16);
	b[n - 2] = (uint8_t)(crc >> 8);
	b[n - 1] = (uint8_t)crc;
	*len = n;
	return b;
}

static struct spec photon_user(void)
{
	struct spec s = { .prefix_offset = 0, .start = 0x080A0000, .payload = 1000,
			  .suffix_size = 36, .platform = 6, .version = 3, .function = 5,
			  .index = 1 };
	s.dep[0][0] = 4;
	s.dep[0][1] = 2;
	s.depver[0] = 1400;
	return s;
}

static void recrc(uint8_t *b, size_t n)
{
	uint32_t crc = sf_crc32(0, b, n - 4);
	b[n - 4] = (uint8_t)(crc >> 24);
	b[n - 3] = (uint8_t)(crc >> 16);
	b[n - 2] = (uint8_t)(crc >> 8);
	b[n - 1] = (uint8_t)crc;
}

/* ---- CRC ---- */

static void test_crc_vectors(void **state)
{
	(void)state;
	assert_int_equal(sf_crc32(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
	assert_int_equal(sf_crc32(0, (const uint8_t *)"", 0), 0);
	assert_int_equal(sf_crc32(0, (const uint8_t *)"a", 1), 0xE8B7BE43u);
	assert_int_equal(sf_crc32(0, (const uint8_t *)"The quick brown fox jumps over the lazy dog", 43),
			 0x414FA339u);
	/* Chaining over pieces gives the same value as one pass. */
	assert_int_equal(sf_crc32(sf_crc32(0, (const uint8_t *)"1234", 4), (const uint8_t *)"56789", 5),
			 0xCBF43926u);
}

/* ---- module parsing ---- */

static void check_valid(const struct spec *s)
{
	size_t n;
	uint8_t *b = build(s, &n);
	sf_module_info m;
	sf_err err = { 0 };

	assert_int_equal(sf_module_parse(b, n, &m, &err), 0);
	assert_true(m.is_module);
	assert_int_equal(m.prefix_offset, s->prefix_offset);
	assert_int_equal(m.start_address, s->start);
	assert_int_equal(m.end_address, s->start + n - 4);
	assert_int_equal(m.platform_id, s->platform);
	assert_int_equal(m.function, s->function);
	assert_int_equal(m.index, s->index);
	assert_int_equal(m.module_version, s->version);
	assert_int_equal(m.flags, s->flags);
	assert_int_equal(m.deps[0].function, s->dep[0][0]);
	assert_int_equal(m.deps[0].index, s->dep[0][1]);
	assert_int_equal(m.deps[0].version, s->depver[0]);
	assert_true(m.crc_ok);
	assert_true(m.size_ok);
	assert_int_equal(m.file_size, n);
	assert_int_equal(m.suffix_size, s->suffix_size);
	free(b);
}

static void test_photon_user(void **state)
{
	struct spec s = photon_user();
	size_t n;
	uint8_t *b;
	sf_module_info m;

	(void)state;
	check_valid(&s);
	b = build(&s, &n);
	assert_int_equal(sf_module_parse(b, n, &m, NULL), 0);
	assert_true(m.has_suffix);
	assert_false(m.has_product);
	assert_memory_equal(m.sha256, b + n - 38, 32);
	free(b);
}

static void test_every_prefix_offset(void **state)
{
	static const struct { uint32_t off, start; uint16_t platform; uint8_t fn; uint32_t sp; } cases[] = {
		{ 0, 0x080A0000, 6, 5, 0 },
		{ 0x184, 0x08020000, 6, 4, 0x20020000 },
		{ 0x200, 0x00030000, 12, 4, 0x20040000 },
		{ 0x10C, 0x08005000, 0, 3, 0x20005000 },
		{ 0xC0, 0x00018000, 103, 4, 0x20008000 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (uint32_t payload = 0; payload < 3000; payload += 731) {
			struct spec s = { .prefix_offset = cases[i].off, .start = cases[i].start,
					  .payload = payload, .suffix_size = 36,
					  .platform = cases[i].platform, .function = cases[i].fn,
					  .index = 1, .sp = cases[i].sp };
			check_valid(&s);
		}
	}
}

static void test_each_function(void **state)
{
	(void)state;
	for (uint8_t fn = 1; fn <= 9; fn++) {
		struct spec s = photon_user();
		s.function = fn;
		check_valid(&s);
		assert_string_not_equal(sf_module_function_name(fn), "unknown");
	}
	assert_string_equal(sf_module_function_name(5), "user part");
	assert_string_equal(sf_module_function_name(4), "system part");
	assert_string_equal(sf_module_function_name(3), "monolithic firmware");
	assert_string_equal(sf_module_function_name(0), "none");
	assert_string_equal(sf_module_function_name(10), "unknown");
	assert_string_equal(sf_module_function_name(255), "unknown");
	assert_true(sf_module_function_dfu_flashable(3));
	assert_true(sf_module_function_dfu_flashable(4));
	assert_true(sf_module_function_dfu_flashable(5));
	assert_true(sf_module_function_dfu_flashable(8));
	assert_false(sf_module_function_dfu_flashable(2));
	assert_false(sf_module_function_dfu_flashable(0));
	assert_false(sf_module_function_dfu_flashable(7));
}

static void test_bad_function_is_raw(void **state)
{
	(void)state;
	for (unsigned fn = 0; fn < 256; fn += (fn < 12 ? 1 : 37)) {
		struct spec s = photon_user();
		size_t n;
		uint8_t *b;
		sf_module_info m;
		if (fn >= 1 && fn <= 9)
			continue;
		s.function = (uint8_t)fn;
		b = build(&s, &n);
		assert_int_equal(sf_module_parse(b, n, &m, NULL), 0);
		assert_false(m.is_module);
		free(b);
	}
}

static void test_platforms(void **state)
{
	static const uint16_t ids[] = { 0, 6, 8, 10, 12, 13, 14, 15, 22, 23, 24, 25, 26, 28,
					32, 35, 37, 38, 88, 103, 500, 0xFFFF };
	(void)state;
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		struct spec s = photon_user();
		s.platform = ids[i];
		/* Unknown platforms still parse when the size matches exactly. */
		check_valid(&s);
	}
	assert_string_equal(sf_platform_name(0), "Core");
	assert_string_equal(sf_platform_name(6), "Photon");
	assert_string_equal(sf_platform_name(8), "P1");
	assert_string_equal(sf_platform_name(10), "Electron");
	assert_string_equal(sf_platform_name(88), "RedBear Duo");
	assert_string_equal(sf_platform_slug(88), "duo");
	assert_string_equal(sf_platform_slug(0), "core");
	assert_null(sf_platform_name(500));
	assert_null(sf_platform_slug(1));
}

static void test_unknown_platform_truncated_is_raw(void **state)
{
	struct spec s = photon_user();
	size_t n;
	uint8_t *b;
	sf_module_info m;

	(void)state;
	s.platform = 500;
	b = build(&s, &n);
	assert_int_equal(sf_module_parse(b, n - 100, &m, NULL), 0);
	assert_false(m.is_module);
	/* A known platform keeps a truncated module recognisable. */
	free(b);
	s.platform = 6;
	b = build(&s, &n);
	assert_int_equal(sf_module_parse(b, n - 100, &m, NULL), 0);
	assert_true(m.is_module);
	assert_false(m.size_ok);
	assert_false(m.crc_ok);
	free(b);
}

static void test_product_suffix(void **state)
{
	struct spec s = photon_user();
	size_t n;
	uint8_t *b;
	sf_module_info m;

	(void)state;
	s.suffix_size = 40;
	s.product_id = 4321;
	s.product_version = 17;
	b = build(&s, &n);
	assert_int_equal(sf_module_parse(b, n, &m, NULL), 0);
	assert_true(m.is_module);
	assert_true(m.has_suffix);
	assert_true(m.has_product);
	assert_int_equal(m.product_id, 4321);
	assert_int_equal(m.product_version, 17);
	assert_int_equal(m.suffix_size, 40);
	assert_true(m.crc_ok);
	free(b);

	/* Larger (TLV) suffixes keep the product fields at the same place. */
	s.suffix_size = 62;
	b = build(&s, &n);
	assert_int_equal(sf_module_parse(b, n, &m, NULL), 0);
	assert_true(m.has_product);
	assert_int_equal(m.product_id, 4321);
	assert_int_equal(m.suffix_size, 62);
	free(b);

	/* 0xFFFF: "unable to verify", no suffix fields. */
	s.suffix_size = 0xFFFF;
	b = build(&s, &n);
	assert_int_equal(sf_module_parse(b, n, &m, NULL), 0);
	assert_true(m.is_module);
	assert_false(m.has_suffix);
	assert_false(m.has_product);
	assert_int_equal(m.suffix_size, 0xFFFF);
	free(b);

	/* A suffix size larger than the file is not a suffix. */
	s.suffix_size = 36;
	b = build(&s, &n);
	w16(b + n - 6, 60000);
	recrc(b, n);
	assert_int_equal(sf_module_parse(b, n, &m, NULL), 0);
	assert_true(m.is_module);
	assert_false(m.has_suffix);
	assert_true(m.crc_ok);
	free(b);
}

static void test_truncated(void **state)
{
	struct spec s = { .prefix_offset = 0x184, .start = 0x08020000, .payload = 300,
			  .suffix_size = 40, .platform = 6, .function = 4, .index = 1 };
	size_t n;
	uint8_t *b = build(&s, &n);
	sf_err err = { 0 };

	(void)state;
	for (size_t len = 0; len <= n; len++) {
		/* A heap copy of exactly len bytes: ASan catches any over-read. */
		uint8_t *c = malloc(len ? len : 1);
		sf_module_info m;
		int rc;
		memcpy(c, b, len);
		rc = sf_module_parse(len ? c : NULL, len, &m, &err);
		if (len == 0) {
			assert_int_equal(rc, SF_EXIT_REFUSED);
			assert_false(m.is_module);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(m.file_size, len);
			if (len >= 0x184 + 24) {
				assert_true(m.is_module);
				assert_int_equal(m.prefix_offset, 0x184);
			}
			if (len < n) {
				assert_false(m.size_ok);
				assert_false(m.crc_ok && m.size_ok);
			} else {
				assert_true(m.crc_ok);
				assert_true(m.size_ok);
			}
		}
		free(c);
	}
	free(b);
}

static void test_empty(void **state)
{
	sf_module_info m;
	sf_err err = { 0 };
	uint8_t one = 0;

	(void)state;
	assert_int_equal(sf_module_parse(NULL, 0, &m, &err), SF_EXIT_REFUSED);
	assert_int_equal(err.code, SF_EXIT_REFUSED);
	assert_non_null(strstr(err.msg, "empty"));
	assert_int_equal(sf_module_parse(&one, 0, &m, NULL), SF_EXIT_REFUSED);
	assert_int_equal(sf_module_parse(&one, 1, &m, NULL), 0);
	assert_false(m.is_module);
	assert_false(m.crc_ok);
}

static void test_bad_crc_and_size(void **state)
{
	struct spec s = photon_user();
	size_t n;
	uint8_t *b = build(&s, &n);
	sf_module_info m;

	(void)state;
	b[n - 1] ^= 1;
	assert_int_equal(sf_module_parse(b, n, &m, NULL), 0);
	assert_true(m.is_module);
	assert_false(m.crc_ok);
	assert_true(m.size_ok);
	assert_int_equal(m.crc_stored ^ 1, m.crc_computed);
	b[n - 1] ^= 1;

	/* A flipped payload byte breaks the CRC, nothing else. */
	b[500] ^= 0x40;
	assert_int_equal(sf_module_parse(b, n, &m, NULL), 0);
	assert_true(m.is_module);
	assert_false(m.crc_ok);
	b[500] ^= 0x40;

	/* End address off by 4, CRC recomputed: size mismatch only. */
	w32(b + 4, 0x080A0000 + (uint32_t)n);
	recrc(b, n);
	assert_int_equal(sf_module_parse(b, n, &m, NULL), 0);
	assert_true(m.is_module);
	assert_true(m.crc_ok);
	assert_false(m.size_ok);
	free(b);
}

static void test_raw_images(void **state)
{
	uint8_t buf[8192];
	sf_module_info m;

	(void)state;
	memset(buf, 0, sizeof buf);
	assert_int_equal(sf_module_parse(buf, sizeof buf, &m, NULL), 0);
	assert_false(m.is_module);
	memset(buf, 0xFF, sizeof buf);
	assert_int_equal(sf_module_parse(buf, sizeof buf, &m, NULL), 0);
	assert_false(m.is_module);
	/* Cortex-M vector table without module info: stack pointer at 0,
	 * handlers after it, code elsewhere. */
	rnd_state = 777;
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)rnd();
	for (size_t i = 0; i < 0x200; i += 4)
		w32(buf + i, i ? 0x08005101 + (uint32_t)i : 0x20005000);
	assert_int_equal(sf_module_parse(buf, sizeof buf, &m, NULL), 0);
	assert_false(m.is_module);
	assert_int_equal(m.file_size, sizeof buf);
	/* Random data (fixed seeds) is raw. */
	for (uint32_t seed = 1; seed <= 200; seed++) {
		rnd_state = seed * 2654435761u;
		for (size_t i = 0; i < 4096; i++)
			buf[i] = (uint8_t)rnd();
		assert_int_equal(sf_module_parse(buf, 4096, &m, NULL), 0);
		assert_false(m.is_module);
	}
}

static void test_core_firmware(void **state)
{
	struct spec s = { .prefix_offset = 0x10C, .start = 0x08005000, .payload = 20000,
			  .suffix_size = 36, .platform = 0, .function = 3, .sp = 0x20005000 };
	size_t n;
	uint8_t *b;
	sf_module_info m;

	(void)state;
	check_valid(&s);
	b = build(&s, &n);
	assert_int_equal(sf_module_parse(b, n, &m, NULL), 0);
	assert_int_equal(m.prefix_offset, 0x10C);
	assert_int_equal(m.platform_id, 0);
	free(b);
}

static void test_flags_text(void **state)
{
	char buf[128];
	(void)state;
	assert_string_equal(sf_module_flags_text(0, buf, sizeof buf), "none");
	assert_string_equal(sf_module_flags_text(0x02, buf, sizeof buf), "compressed");
	assert_string_equal(sf_module_flags_text(0x0A, buf, sizeof buf), "compressed,encrypted");
	assert_string_equal(sf_module_flags_text(0x41, buf, sizeof buf), "drop-module-info,unknown(0x40)");
	/* Tiny buffers truncate, never overflow. */
	assert_int_equal(strlen(sf_module_flags_text(0x1F, buf, 8)), 7);
}

/* ---- DFU suffix and prefix hazard ---- */

static size_t add_dfu_suffix(uint8_t *b, size_t n, uint16_t vid, uint16_t pid, uint8_t blen,
			     bool bad_crc)
{
	uint32_t crc;
	w16(b + n, 0xFFFF);
	w16(b + n + 2, pid);
	w16(b + n + 4, vid);
	w16(b + n + 6, 0x0100);
	b[n + 8] = 'U';
	b[n + 9] = 'F';
	b[n + 10] = 'D';
	b[n + 11] = blen;
	crc = ~sf_crc32(0, b, n + 12);
	w32(b + n + 12, bad_crc ? crc ^ 0x100 : crc);
	return n + 16;
}

static void test_dfu_suffix(void **state)
{
	uint8_t b[256];
	sf_dfu_suffix d;
	size_t n;

	(void)state;
	memset(b, 0x5A, sizeof b);
	n = add_dfu_suffix(b, 100, 0x2b04, 0xd006, 16, false);
	sf_dfu_suffix_parse(b, n, &d);
	assert_true(d.present);
	assert_true(d.valid);
	assert_true(d.crc_ok);
	assert_true(d.length_ok);
	assert_int_equal(d.id_vendor, 0x2b04);
	assert_int_equal(d.id_product, 0xd006);
	assert_int_equal(d.bcd_device, 0xFFFF);
	assert_int_equal(d.bcd_dfu, 0x0100);
	assert_int_equal(d.length, 16);
	/* The dwCRC is the complement of zlib's CRC-32. */
	assert_int_equal(d.crc_stored, ~sf_crc32(0, b, n - 4));

	n = add_dfu_suffix(b, 100, 0x2b04, 0xd006, 16, true);
	sf_dfu_suffix_parse(b, n, &d);
	assert_true(d.present);
	assert_false(d.crc_ok);
	assert_false(d.valid);

	n = add_dfu_suffix(b, 100, 0x2b04, 0xd006, 15, false);
	sf_dfu_suffix_parse(b, n, &d);
	assert_true(d.crc_ok);
	assert_false(d.length_ok);
	assert_false(d.valid);
	n = add_dfu_suffix(b, 100, 0x2b04, 0xd006, 200, false);
	sf_dfu_suffix_parse(b, n, &d);
	assert_false(d.length_ok);

	/* A 16-byte file that is only a suffix is valid. */
	n = add_dfu_suffix(b, 0, 0x1d50, 0x607f, 16, false);
	assert_int_equal(n, 16);
	sf_dfu_suffix_parse(b, n, &d);
	assert_true(d.valid);

	memset(b, 0, sizeof b);
	sf_dfu_suffix_parse(b, sizeof b, &d);
	assert_false(d.present);
	assert_false(d.valid);
	sf_dfu_suffix_parse(b, 15, &d);
	assert_false(d.present);
	sf_dfu_suffix_parse(NULL, 0, &d);
	assert_false(d.present);

	/* A module wrapped in a DFU suffix: the payload excludes it. */
	{
		struct spec s = photon_user();
		size_t mn, off, plen;
		uint8_t *m = build(&s, &mn);
		uint8_t *w = malloc(mn + 16);
		sf_module_info info;
		memcpy(w, m, mn);
		n = add_dfu_suffix(w, mn, 0x2b04, 0xd006, 16, false);
		sf_dfu_payload(w, n, &off, &plen);
		assert_int_equal(off, 0);
		assert_int_equal(plen, mn);
		assert_int_equal(sf_module_parse(w + off, plen, &info, NULL), 0);
		assert_true(info.crc_ok);
		assert_true(info.size_ok);
		free(w);
		free(m);
	}
}

static void test_prefix_hazard(void **state)
{
	uint8_t b[300];
	size_t strip, off, plen, n;

	(void)state;
	memset(b, 0x11, sizeof b);
	/* Cortex-M image: stack pointer first, safe. */
	w32(b, 0x20005000);
	assert_int_equal(sf_dfu_prefix_hazard(b, 100, &strip), SF_HAZARD_NONE);
	assert_int_equal(strip, 0);

	/* Stellaris: 01 00 and the payload length. */
	b[0] = 1;
	b[1] = 0;
	w32(b + 4, 92);
	assert_int_equal(sf_dfu_prefix_hazard(b, 100, &strip), SF_HAZARD_STELLARIS);
	assert_int_equal(strip, 8);
	sf_dfu_payload(b, 100, &off, &plen);
	assert_int_equal(off, 8);
	assert_int_equal(plen, 92);
	/* Length mismatch: dfu-util keeps the bytes. */
	assert_int_equal(sf_dfu_prefix_hazard(b, 101, &strip), SF_HAZARD_NONE);
	assert_int_equal(strip, 0);
	/* With a valid DFU suffix the length excludes it. */
	n = add_dfu_suffix(b, 100, 0xffff, 0xffff, 16, false);
	assert_int_equal(sf_dfu_prefix_hazard(b, n, &strip), SF_HAZARD_STELLARIS);
	sf_dfu_payload(b, n, &off, &plen);
	assert_int_equal(off, 8);
	assert_int_equal(plen, 92);
	/* ...but a suffix with a bad CRC counts as payload. */
	n = add_dfu_suffix(b, 100, 0xffff, 0xffff, 16, true);
	assert_int_equal(sf_dfu_prefix_hazard(b, n, NULL), SF_HAZARD_NONE);
	w32(b + 4, (uint32_t)(n - 8));
	assert_int_equal(sf_dfu_prefix_hazard(b, n, NULL), SF_HAZARD_STELLARIS);

	/* LPC: low six bits 0x1a, 0x3f. */
	memset(b, 0, sizeof b);
	b[0] = 0xDA;
	b[1] = 0xFF;
	assert_int_equal(sf_dfu_prefix_hazard(b, 8, &strip), SF_HAZARD_LPC);
	assert_int_equal(strip, 8); /* all it has, never more (found by fuzzing) */
	assert_int_equal(sf_dfu_prefix_hazard(b, 40, &strip), SF_HAZARD_LPC);
	assert_int_equal(strip, 16);
	sf_dfu_payload(b, 8, &off, &plen);
	assert_int_equal(off, 8);
	assert_int_equal(plen, 0);
	assert_int_equal(sf_dfu_prefix_hazard(b, 7, &strip), SF_HAZARD_NONE);
	b[0] = 0x1a;
	b[1] = 0x3e;
	assert_int_equal(sf_dfu_prefix_hazard(b, 100, NULL), SF_HAZARD_NONE);
	assert_int_equal(sf_dfu_prefix_hazard(NULL, 0, NULL), SF_HAZARD_NONE);

	assert_string_equal(sf_prefix_hazard_name(SF_HAZARD_NONE), "none");
	assert_string_equal(sf_prefix_hazard_name(SF_HAZARD_STELLARIS), "ti-stellaris");
	assert_string_equal(sf_prefix_hazard_name(SF_HAZARD_LPC), "nxp-lpc");
}

/* ---- fuzz ---- */

static void fuzz_one(const uint8_t *src, size_t n)
{
	/* Exact-size heap copy so ASan sees any read past the end. */
	uint8_t *c = malloc(n ? n : 1);
	sf_module_info m;
	sf_dfu_suffix d;
	size_t off, plen, strip;
	memcpy(c, src, n);
	if (sf_module_parse(n ? c : NULL, n, &m, NULL) == 0 && m.is_module) {
		assert_true(m.end_address > m.start_address);
		assert_true(m.function >= 1 && m.function <= 9);
		assert_true(m.prefix_offset + 24 <= n);
	}
	sf_dfu_suffix_parse(c, n, &d);
	sf_dfu_prefix_hazard(c, n, &strip);
	sf_dfu_payload(c, n, &off, &plen);
	assert_true(off + plen <= n);
	free(c);
}

static void fuzz_run(uint32_t seed, int iterations)
{
	struct spec s = photon_user();
	size_t vn;
	uint8_t *valid;
	uint8_t *buf = malloc(8192);

	rnd_state = seed ? seed : 1;
	s.payload = 400;
	valid = build(&s, &vn);
	for (int it = 0; it < iterations; it++) {
		size_t n;
		switch (rnd() % 3) {
		case 0: /* random bytes of random length */
			n = rnd() % 2048;
			for (size_t i = 0; i < n; i++)
				buf[i] = (uint8_t)rnd();
			break;
		case 1: { /* mutations of a valid module */
			int k = 1 + (int)(rnd() % 8);
			memcpy(buf, valid, vn);
			n = vn;
			while (k--)
				buf[rnd() % vn] = (uint8_t)rnd();
			if (rnd() % 4 == 0)
				n = rnd() % (vn + 1);
			break;
		}
		default: { /* a prefix at a known offset with random fields */
			static const uint32_t offs[] = { 0, 0x184, 0x200, 0x10C, 0xC0 };
			n = rnd() % 1200;
			for (size_t i = 0; i < n; i++)
				buf[i] = (uint8_t)rnd();
			uint32_t o = offs[rnd() % 5];
			if (o + 24 <= n) {
				buf[o + 14] = (uint8_t)(rnd() % 11);
				w16(buf + o + 12, rnd() % 2 ? 6 : (uint16_t)rnd());
				w32(buf + o, 0x08000000);
				w32(buf + o + 4, 0x08000000 + (uint32_t)(rnd() % 3000));
			}
			break;
		}
		}
		fuzz_one(buf, n);
	}
	free(valid);
	free(buf);
}

static void test_fuzz(void **state)
{
	uint32_t seed = (uint32_t)time(NULL) ^ (uint32_t)clock();
	(void)state;
	fuzz_run(0xC0FFEE, 20000);
	/* One varying seed per run, printed so a failure can be replayed. */
	printf("# fuzz seed %u\n", (unsigned)seed);
	fflush(stdout);
	fuzz_run(seed, 20000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc_vectors),
		cmocka_unit_test(test_photon_user),
		cmocka_unit_test(test_every_prefix_offset),
		cmocka_unit_test(test_each_function),
		cmocka_unit_test(test_bad_function_is_raw),
		cmocka_unit_test(test_platforms),
		cmocka_unit_test(test_unknown_platform_truncated_is_raw),
		cmocka_unit_test(test_product_suffix),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_bad_crc_and_size),
		cmocka_unit_test(test_raw_images),
		cmocka_unit_test(test_core_firmware),
		cmocka_unit_test(test_flags_text),
		cmocka_unit_test(test_dfu_suffix),
		cmocka_unit_test(test_prefix_hazard),
		cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
