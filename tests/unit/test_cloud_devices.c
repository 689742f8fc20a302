/* Cloud URLs and device list helpers (cloud_devices.c). */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cloud_devices.h"

static void urls(void **state)
{
	(void)state;
	char b[128];
	sf_err e = { 0 };
	const char *seg[] = { "v1", "devices", "my dev/../?#x" };
	assert_int_equal(sf_cloud_url(b, sizeof b, "http://h:1/api", seg, 3, &e), 0);
	assert_string_equal(b, "http://h:1/api/v1/devices/my%20dev%2F..%2F%3F%23x");
	const char *dots[] = { "v1", ".." };
	assert_int_equal(sf_cloud_url(b, sizeof b, "http://h", dots, 2, &e), 0);
	assert_string_equal(b, "http://h/v1/%2E%2E");
	const char *empty[] = { "v1", "" };
	assert_int_equal(sf_cloud_url(b, sizeof b, "http://h", empty, 2, &e), SF_EXIT_USAGE);
	const char *big[] = { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	assert_int_equal(sf_cloud_url(b, 40, "http://h", big, 1, &e), SF_EXIT_USAGE);
	const char *utf[] = { "\xc3\xa9" };
	assert_int_equal(sf_cloud_url(b, sizeof b, "http://h", utf, 1, &e), 0);
	assert_string_equal(b, "http://h/%C3%A9");
}

static void ids_and_platforms(void **state)
{
	(void)state;
	assert_true(sf_cloud_is_device_id("0123456789abcdefABCDEF01"));
	assert_false(sf_cloud_is_device_id("0123456789abcdefABCDEF0"));
	assert_false(sf_cloud_is_device_id("0123456789abcdefABCDEF0g"));
	assert_false(sf_cloud_is_device_id(NULL));
	assert_int_equal(sf_cloud_platform_id("Photon"), 6);
	assert_int_equal(sf_cloud_platform_id("12"), 12);
	assert_int_equal(sf_cloud_platform_id("12x"), -1);
	assert_int_equal(sf_cloud_platform_id("nope"), -1);
	assert_string_equal(sf_cloud_platform_name(10), "electron");
	assert_null(sf_cloud_platform_name(9999));
}

static void filters(void **state)
{
	(void)state;
	json_t *list = json_loads("[{\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaa\",\"name\":\"one\",\"online\":true,\"platform_id\":6},"
				  "{\"id\":\"bbbbbbbbbbbbbbbbbbbbbbbb\",\"name\":\"two\",\"connected\":true,\"platform_id\":10},"
				  "{\"id\":\"cccccccccccccccccccccccc\",\"name\":null,\"online\":false,\"platform_id\":6}]", 0, NULL);
	json_t *a = json_array_get(list, 0), *b = json_array_get(list, 1), *c = json_array_get(list, 2);
	assert_true(sf_cloud_device_matches(a, NULL));
	assert_true(sf_cloud_device_matches(b, "online"));
	assert_false(sf_cloud_device_matches(c, "online"));
	assert_true(sf_cloud_device_matches(c, "offline"));
	assert_true(sf_cloud_device_matches(a, "photon"));
	assert_false(sf_cloud_device_matches(b, "photon"));
	assert_true(sf_cloud_device_matches(b, "two"));
	assert_false(sf_cloud_device_matches(b, "TWO"));
	assert_true(sf_cloud_device_matches(c, "CCCCCCCCCCCCCCCCCCCCCCCC"));
	json_t *ids = sf_cloud_online_ids(list, -1);
	assert_int_equal(json_array_size(ids), 2);
	json_decref(ids);
	ids = sf_cloud_online_ids(list, 6);
	assert_int_equal(json_array_size(ids), 1);
	assert_string_equal(json_string_value(json_array_get(ids, 0)), "aaaaaaaaaaaaaaaaaaaaaaaa");
	json_decref(ids);
	json_decref(list);
}

static void fuzz_urls(void **state)
{
	(void)state;
	unsigned seed = (unsigned)time(NULL);
	printf("# fuzz seeds: 1 and %u\n", seed);
	for (int round = 0; round < 2; round++) {
		srand(round == 0 ? 1 : seed);
		for (int it = 0; it < 5000; it++) {
			char seg[40], out[96];
			sf_err e = { 0 };
			size_t n = (size_t)rand() % sizeof seg;
			for (size_t k = 0; k < n; k++)
				seg[k] = (char)(1 + rand() % 255);
			seg[n] = '\0';
			const char *segs[] = { "v1", seg };
			if (sf_cloud_url(out, (size_t)(10 + rand() % 86), "http://h", segs, 2, &e) == 0) {
				for (const char *c = out; *c; c++)
					assert_true(*c > 0x20 && *c < 0x7f && *c != '?' && *c != '#');
			}
			sf_cloud_is_device_id(seg);
			sf_cloud_platform_id(seg);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(urls),
		cmocka_unit_test(ids_and_platforms),
		cmocka_unit_test(filters),
		cmocka_unit_test(fuzz_urls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
