/* flash --usb A B C: the order of several module images, and what is
 * refused before anything is sent. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "images.h"

static sf_module_info mod(unsigned fn, unsigned index)
{
	sf_module_info m;
	memset(&m, 0, sizeof m);
	m.is_module = true;
	m.function = (uint8_t)fn;
	m.index = (uint8_t)index;
	return m;
}

static void system_parts_then_user(void **state)
{
	sf_module_info user = mod(SF_MODFN_USER_PART, 1), s2 = mod(SF_MODFN_SYSTEM_PART, 2),
		       s1 = mod(SF_MODFN_SYSTEM_PART, 1), s3 = mod(SF_MODFN_SYSTEM_PART, 3);
	const sf_module_info *m[] = { &user, &s2, &s3, &s1 };
	const char *names[] = { "user.bin", "p2.bin", "p3.bin", "p1.bin" };
	size_t order[4];
	sf_err err = { 0 };
	(void)state;
	assert_int_equal(sf_images_order(m, names, 4, order, &err), 0);
	assert_int_equal(order[0], 3);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 2);
	assert_int_equal(order[3], 0);
}

static void one_image_any_kind(void **state)
{
	sf_module_info raw;
	const sf_module_info *m[] = { &raw };
	size_t order[1] = { 9 };
	sf_err err = { 0 };
	(void)state;
	memset(&raw, 0, sizeof raw);
	assert_int_equal(sf_images_order(m, NULL, 1, order, &err), 0);
	assert_int_equal(order[0], 0);
}

static void raw_among_several(void **state)
{
	sf_module_info user = mod(SF_MODFN_USER_PART, 1), raw;
	const sf_module_info *m[] = { &user, &raw };
	const char *names[] = { "user.bin", "blob.bin" };
	size_t order[2];
	sf_err err = { 0 };
	(void)state;
	memset(&raw, 0, sizeof raw);
	assert_int_equal(sf_images_order(m, names, 2, order, &err), SF_EXIT_REFUSED);
	assert_non_null(strstr(err.msg, "'blob.bin' is not a Particle module image"));
	assert_non_null(strstr(err.msg, "would be a guess"));
}

static void same_destination(void **state)
{
	sf_module_info a = mod(SF_MODFN_SYSTEM_PART, 2), b = mod(SF_MODFN_SYSTEM_PART, 2),
		       u1 = mod(SF_MODFN_USER_PART, 1), u2 = mod(SF_MODFN_USER_PART, 2),
		       mono = mod(SF_MODFN_MONO_FIRMWARE, 0);
	const sf_module_info *m1[] = { &a, &b };
	const sf_module_info *m2[] = { &u1, &u2 };
	const sf_module_info *m3[] = { &mono, &a };
	const char *names[] = { "x.bin", "y.bin" };
	size_t order[2];
	sf_err err = { 0 };
	(void)state;
	assert_int_equal(sf_images_order(m1, names, 2, order, &err), SF_EXIT_REFUSED);
	assert_non_null(strstr(err.msg, "'x.bin' and 'y.bin' are both a system part 2"));
	assert_int_equal(sf_images_order(m2, names, 2, order, &err), SF_EXIT_REFUSED);
	assert_non_null(strstr(err.msg, "both a user part"));
	assert_int_equal(sf_images_order(m3, names, 2, order, &err), SF_EXIT_REFUSED);
	assert_non_null(strstr(err.msg, "write the same system firmware"));
}

static void limits(void **state)
{
	sf_module_info u = mod(SF_MODFN_USER_PART, 1);
	const sf_module_info *m[SF_IMAGES_MAX + 1];
	size_t order[SF_IMAGES_MAX + 1];
	sf_err err = { 0 };
	(void)state;
	for (size_t i = 0; i <= SF_IMAGES_MAX; i++)
		m[i] = &u;
	assert_int_equal(sf_images_order(m, NULL, 0, order, &err), SF_EXIT_USAGE);
	assert_int_equal(sf_images_order(m, NULL, SF_IMAGES_MAX + 1, order, &err), SF_EXIT_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(system_parts_then_user),
		cmocka_unit_test(one_image_any_kind),
		cmocka_unit_test(raw_among_several),
		cmocka_unit_test(same_destination),
		cmocka_unit_test(limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
