/* flash --diff / --skip-unchanged / --backup: the footprint a full flash
 * leaves, page runs, readability, backup names. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pagediff.h"
#include "profiles_fixture.h"

static sf_profile core, photon;

static int setup(void **state)
{
	(void)state;
	fx_core(&core);
	fx_photon(&photon);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fx_free(&core);
	fx_free(&photon);
	return 0;
}

static sf_plan write_plan(const sf_profile *p, const char *addr, const char *alt, uint64_t size)
{
	sf_op_request r = { .kind = SF_OP_WRITE_ADDRESS, .address = addr, .alt = alt, .file_size = size };
	sf_plan pl;
	sf_err err = { 0 };
	assert_int_equal(sf_plan_make(p, &r, &pl, &err), 0);
	return pl;
}

static uint8_t *pattern(size_t n, unsigned seed)
{
	uint8_t *b = malloc(n);
	assert_non_null(b);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 31 + seed);
	return b;
}

static void expected_footprint(void **state)
{
	/* 3001 bytes at 0x08005200 on the Core: padded to 3002, pages
	 * 0x08005000-0x08005fff erased (1 KiB pages) */
	sf_plan pl = write_plan(&core, "0x08005200", NULL, 3001);
	uint8_t *img = pattern(3001, 1), *want;
	size_t len;
	sf_err err = { 0 };
	(void)state;
	assert_int_equal(pl.erase_start, 0x08005000);
	assert_int_equal(pl.erase_end, 0x08006000);
	assert_int_equal(sf_footprint_expected(&pl, img, 3001, &want, &len, &err), 0);
	assert_int_equal(len, 0x1000);
	for (size_t i = 0; i < 0x200; i++)
		assert_int_equal(want[i], 0xFF);
	assert_memory_equal(want + 0x200, img, 3001);
	assert_int_equal(want[0x200 + 3001], 0x00); /* the pad byte */
	for (size_t i = 0x200 + 3002; i < len; i++)
		assert_int_equal(want[i], 0xFF);
	assert_true(sf_footprint_readable(&sf_profile_alt(&core, 0)->layout, &pl));
	free(want);
	free(img);
}

static void runs_of_changed_pages(void **state)
{
	/* 10 KiB at 0x08005000: ten 1 KiB pages */
	sf_plan pl = write_plan(&core, "0x08005000", NULL, 10240);
	uint8_t *img = pattern(10240, 3), *want, *got;
	size_t len;
	sf_pagediff d;
	sf_err err = { 0 };
	char text[300];
	(void)state;
	assert_int_equal(sf_footprint_expected(&pl, img, 10240, &want, &len, &err), 0);
	got = malloc(len);
	memcpy(got, want, len);
	/* identical: nothing to write */
	assert_int_equal(sf_pagediff_compute(&sf_profile_alt(&core, 0)->layout, &pl, want, got, len, &d, &err), 0);
	assert_int_equal(d.pages, 10);
	assert_int_equal(d.changed_pages, 0);
	assert_int_equal(d.nruns, 0);
	assert_int_equal(d.bytes_not_sent, 10240);
	sf_pagediff_describe(&d, text, sizeof text);
	assert_string_equal(text, "no changed page");
	sf_pagediff_free(&d);
	/* pages 1, 2 (adjacent) and 7 differ: two runs */
	got[1024 + 5] ^= 1;
	got[2048 + 1023] ^= 0x80;
	got[7 * 1024] = 0;
	assert_int_equal(sf_pagediff_compute(&sf_profile_alt(&core, 0)->layout, &pl, want, got, len, &d, &err), 0);
	assert_int_equal(d.changed_pages, 3);
	assert_int_equal(d.nruns, 2);
	assert_int_equal(d.runs[0].first_page, 0x08005400);
	assert_int_equal(d.runs[0].end_page, 0x08005c00);
	assert_int_equal(d.runs[0].pages, 2);
	assert_int_equal(d.runs[0].send_start, 0x08005400);
	assert_int_equal(d.runs[0].send_len, 2048);
	assert_int_equal(d.runs[1].first_page, 0x08006c00);
	assert_int_equal(d.runs[1].pages, 1);
	assert_int_equal(d.bytes_sent, 3072);
	assert_int_equal(d.bytes_not_sent, 10240 - 3072);
	sf_pagediff_describe(&d, text, sizeof text);
	assert_string_equal(text, "2 runs: 0x08005400-0x08005bff (2 pages), 0x08006c00-0x08006fff (1 page)");
	sf_pagediff_free(&d);
	free(want);
	free(got);
	free(img);
}

static void partial_pages_send_only_image_bytes(void **state)
{
	/* 1500 bytes at 0x08005200: pages 0x08005000 and 0x08005400; the
	 * first and last page hold 0xFF around the image */
	sf_plan pl = write_plan(&core, "0x08005200", NULL, 1500);
	uint8_t *img = pattern(1500, 9), *want, *got;
	size_t len;
	sf_pagediff d;
	sf_err err = { 0 };
	(void)state;
	assert_int_equal(sf_footprint_expected(&pl, img, 1500, &want, &len, &err), 0);
	assert_int_equal(len, 2048);
	got = malloc(len);
	memcpy(got, want, len);
	/* the old firmware left data behind the image in the last page:
	 * a full flash would erase it, so that page differs */
	got[2000] = 0x12;
	assert_int_equal(sf_pagediff_compute(&sf_profile_alt(&core, 0)->layout, &pl, want, got, len, &d, &err), 0);
	assert_int_equal(d.nruns, 1);
	assert_int_equal(d.runs[0].first_page, 0x08005400);
	assert_int_equal(d.runs[0].send_start, 0x08005400);
	assert_int_equal(d.runs[0].send_len, 0x08005200 + 1500 - 0x08005400);
	sf_pagediff_free(&d);
	/* the first page only: the run starts at the image */
	memcpy(got, want, len);
	got[0x100] = 0;
	assert_int_equal(sf_pagediff_compute(&sf_profile_alt(&core, 0)->layout, &pl, want, got, len, &d, &err), 0);
	assert_int_equal(d.nruns, 1);
	assert_int_equal(d.runs[0].first_page, 0x08005000);
	assert_int_equal(d.runs[0].send_start, 0x08005200);
	assert_int_equal(d.runs[0].send_len, 0x200);
	sf_pagediff_free(&d);
	free(want);
	free(got);
	free(img);
}

static void mixed_page_sizes(void **state)
{
	/* Photon: 16 KiB sectors up to 0x08010000, then 64 KiB, then 128 KiB;
	 * 40 KiB at 0x0800c000 spans the last 16 KiB sector and the 64 KiB one */
	sf_plan pl = write_plan(&photon, "0x0800c000", "0", 40 * 1024);
	uint8_t *img = pattern(40 * 1024, 5), *want, *got;
	size_t len;
	sf_pagediff d;
	sf_err err = { 0 };
	(void)state;
	assert_int_equal(pl.erase_start, 0x0800c000);
	assert_int_equal(pl.erase_end, 0x08020000);
	assert_int_equal(sf_footprint_expected(&pl, img, 40 * 1024, &want, &len, &err), 0);
	got = malloc(len);
	memcpy(got, want, len);
	got[len - 1] = 0; /* in the 64 KiB sector, past the image */
	assert_int_equal(sf_pagediff_compute(&sf_profile_alt(&photon, 0)->layout, &pl, want, got, len, &d, &err), 0);
	assert_int_equal(d.pages, 2);
	assert_int_equal(d.nruns, 1);
	assert_int_equal(d.runs[0].first_page, 0x08010000);
	assert_int_equal(d.runs[0].end_page, 0x08020000);
	assert_int_equal(d.runs[0].send_start, 0x08010000);
	assert_int_equal(d.runs[0].send_len, 24 * 1024);
	sf_pagediff_free(&d);
	free(want);
	free(got);
	free(img);
}

static void erase_none_alt(void **state)
{
	/* Photon DCT (erase none): the footprint is the written bytes */
	sf_plan pl = write_plan(&photon, "0x1000", "1", 100);
	uint8_t *img = pattern(100, 2), *want, *got;
	size_t len;
	sf_pagediff d;
	sf_err err = { 0 };
	(void)state;
	assert_int_equal(pl.erase_start, 0x1000);
	assert_int_equal(pl.erase_end, 0x1064);
	assert_int_equal(sf_footprint_expected(&pl, img, 100, &want, &len, &err), 0);
	assert_memory_equal(want, img, 100);
	got = calloc(1, len);
	assert_int_equal(sf_pagediff_compute(&sf_profile_alt(&photon, 1)->layout, &pl, want, got, len, &d, &err), 0);
	assert_int_equal(d.pages, 1);
	assert_int_equal(d.nruns, 1);
	assert_int_equal(d.runs[0].send_start, 0x1000);
	assert_int_equal(d.runs[0].send_len, 100);
	assert_int_equal(d.bytes_not_sent, 0);
	sf_pagediff_free(&d);
	free(want);
	free(got);
	free(img);
}

static void bad_lengths(void **state)
{
	sf_plan pl = write_plan(&core, "0x08005000", NULL, 1024);
	uint8_t buf[2048] = { 0 };
	sf_pagediff d;
	sf_err err = { 0 };
	(void)state;
	assert_int_equal(sf_pagediff_compute(&sf_profile_alt(&core, 0)->layout, &pl, buf, buf, 2048, &d, &err),
			 SF_EXIT_INTERNAL);
	assert_null(d.runs);
}

static void readable(void **state)
{
	/* the Core's first 20 KiB are "a": readable; a made-up write-only map is not */
	sf_layout l;
	sf_err err = { 0 };
	sf_plan pl = write_plan(&core, "0x08005000", NULL, 100);
	(void)state;
	assert_int_equal(sf_layout_parse("@X /0x08000000/128*001Kf", &l, &err), 0); /* f = erase+write, not read */
	assert_false(sf_footprint_readable(&l, &pl));
	sf_layout_free(&l);
}

static void backup_names(void **state)
{
	char b[200];
	(void)state;
	sf_backup_name("6D92487A5151", 0, 0x08005000, 20480, b, sizeof b);
	assert_string_equal(b, "6D92487A5151-alt0-0x08005000-20480.bin");
	sf_backup_name("a/b c", 1, 0x1000, 4096, b, sizeof b);
	assert_string_equal(b, "a_b_c-alt1-0x00001000-4096.bin");
	sf_backup_name("", 1, 0, 1, b, sizeof b);
	assert_string_equal(b, "unknown-alt1-0x00000000-1.bin");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(expected_footprint),
		cmocka_unit_test(runs_of_changed_pages),
		cmocka_unit_test(partial_pages_send_only_image_bytes),
		cmocka_unit_test(mixed_page_sizes),
		cmocka_unit_test(erase_none_alt),
		cmocka_unit_test(bad_lengths),
		cmocka_unit_test(readable),
		cmocka_unit_test(backup_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
