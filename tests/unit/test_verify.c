/* flash --verify comparison: count of differing bytes and the first ranges. */
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

#include "verify.h"

static void equal(void **state)
{
	uint8_t a[64];
	sf_verify_result r;
	char buf[256] = "x";
	(void)state;
	for (size_t i = 0; i < sizeof a; i++)
		a[i] = (uint8_t)(i * 7);
	sf_verify_compare(a, sizeof a, 0, a, sizeof a, sizeof a, &r);
	assert_int_equal(r.compared, 64);
	assert_int_equal(r.differing, 0);
	assert_int_equal(r.nranges, 0);
	sf_verify_describe(&r, 0x08005000, buf, sizeof buf);
	assert_string_equal(buf, "");
	/* an empty compare is equal too */
	sf_verify_compare(a, 0, 0, a, 0, 0, &r);
	assert_int_equal(r.differing, 0);
}

static void ranges(void **state)
{
	uint8_t want[32], got[32];
	sf_verify_result r;
	char buf[256];
	(void)state;
	memset(want, 0, sizeof want);
	memcpy(got, want, sizeof got);
	got[10] = 0xFF;                       /* one byte */
	got[20] = got[21] = got[22] = 0x01;   /* a run of three */
	got[31] = 0x80;                       /* the last byte */
	sf_verify_compare(want, sizeof want, 0, got, sizeof got, sizeof got, &r);
	assert_int_equal(r.differing, 5);
	assert_int_equal(r.nranges, 3);
	assert_int_equal(r.ranges[0].first, 10);
	assert_int_equal(r.ranges[0].last, 10);
	assert_int_equal(r.ranges[1].first, 20);
	assert_int_equal(r.ranges[1].last, 22);
	assert_int_equal(r.ranges[2].first, 31);
	assert_int_equal(r.ranges[2].last, 31);
	sf_verify_describe(&r, 0x08005000, buf, sizeof buf);
	assert_string_equal(buf, "5 bytes differ in 3 ranges: 0x0800500a-0x0800500a, "
				 "0x08005014-0x08005016, 0x0800501f-0x0800501f");
	/* one byte, one range: singular */
	memcpy(got, want, sizeof got);
	got[0] = 1;
	sf_verify_compare(want, sizeof want, 0, got, sizeof got, sizeof got, &r);
	sf_verify_describe(&r, 0, buf, sizeof buf);
	assert_string_equal(buf, "1 byte differs in 1 range: 0x00000000-0x00000000");
}

static void more_than_four(void **state)
{
	uint8_t want[100] = { 0 }, got[100] = { 0 };
	sf_verify_result r;
	char buf[256];
	(void)state;
	for (size_t i = 0; i < 100; i += 10)
		got[i] = got[i + 1] = 0xAA;   /* ten runs of two */
	sf_verify_compare(want, sizeof want, 0, got, sizeof got, sizeof got, &r);
	assert_int_equal(r.differing, 20);
	assert_int_equal(r.nranges, 10);
	assert_int_equal(r.ranges[3].first, 30);
	assert_int_equal(r.ranges[3].last, 31);
	sf_verify_describe(&r, 0x1000, buf, sizeof buf);
	assert_string_equal(buf, "20 bytes differ in 10 ranges: 0x00001000-0x00001001, 0x0000100a-0x0000100b, "
				 "0x00001014-0x00001015, 0x0000101e-0x0000101f, ...");
	/* a small buffer truncates, never overflows */
	sf_verify_describe(&r, 0x1000, buf, 30);
	assert_true(strlen(buf) < 30);
}

static void padding_and_short_read(void **state)
{
	uint8_t want[5] = { 1, 2, 3, 4, 5 }, got[6] = { 1, 2, 3, 4, 5, 0 };
	sf_verify_result r;
	(void)state;
	/* the write padded 5 bytes to 6 with 0x00: a 0x00 read back matches */
	sf_verify_compare(want, 5, 0x00, got, 6, 6, &r);
	assert_int_equal(r.differing, 0);
	got[5] = 0xFF;
	sf_verify_compare(want, 5, 0x00, got, 6, 6, &r);
	assert_int_equal(r.differing, 1);
	assert_int_equal(r.ranges[0].first, 5);
	/* bytes that were not read back differ */
	sf_verify_compare(want, 5, 0x00, got, 3, 5, &r);
	assert_int_equal(r.differing, 2);
	assert_int_equal(r.nranges, 1);
	assert_int_equal(r.ranges[0].first, 3);
	assert_int_equal(r.ranges[0].last, 4);
}

/* Against a naive count on random data with random corruption. */
static void random_agrees(void **state)
{
	unsigned seed = (unsigned)time(NULL);
	(void)state;
	printf("# seed %u\n", seed);
	srand(seed);
	for (int round = 0; round < 500; round++) {
		size_t len = (size_t)(rand() % 300);
		uint8_t *w = malloc(len + 1), *g = malloc(len + 1);
		uint64_t diff = 0, runs = 0;
		sf_verify_result r;
		for (size_t i = 0; i < len; i++)
			w[i] = g[i] = (uint8_t)rand();
		for (int k = rand() % 20; k > 0 && len; k--)
			g[(size_t)rand() % len] ^= (uint8_t)(1 + rand() % 255);
		for (size_t i = 0; i < len; i++)
			if (w[i] != g[i]) {
				diff++;
				if (i == 0 || w[i - 1] == g[i - 1])
					runs++;
			}
		sf_verify_compare(w, len, 0, g, len, len, &r);
		assert_int_equal(r.differing, diff);
		assert_int_equal(r.nranges, runs);
		for (uint64_t i = 0; i < runs && i < SF_VERIFY_MAX_RANGES; i++) {
			assert_true(w[r.ranges[i].first] != g[r.ranges[i].first]);
			assert_true(w[r.ranges[i].last] != g[r.ranges[i].last]);
			assert_true(r.ranges[i].last + 1 == len || w[r.ranges[i].last + 1] == g[r.ranges[i].last + 1]);
		}
		free(w);
		free(g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(equal),
		cmocka_unit_test(ranges),
		cmocka_unit_test(more_than_four),
		cmocka_unit_test(padding_and_short_read),
		cmocka_unit_test(random_agrees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
