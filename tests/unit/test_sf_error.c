/* sf_err_set: messages as values; an overlong one keeps its head and its
 * end (the reason and the fix come last), cut at character boundaries;
 * the message may be formatted from err->msg itself. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "sf_error.h"

static void test_short(void **state)
{
	sf_err e = { 0 };
	(void)state;
	assert_int_equal(sf_err_set(&e, SF_EXIT_REFUSED, "'%s' is missing", "x.bin"), SF_EXIT_REFUSED);
	assert_int_equal(e.code, SF_EXIT_REFUSED);
	assert_string_equal(e.msg, "'x.bin' is missing");
	assert_int_equal(sf_err_set(NULL, 7, "nothing"), 7);
}

static void test_long_name_keeps_the_reason(void **state)
{
	static char name[100001];
	sf_err e = { 0 };
	size_t n;
	(void)state;
	memset(name, 'a', sizeof name - 1);
	sf_err_set(&e, SF_EXIT_DFU_UTIL, "dfu-util '%s' is not an executable file; install it", name);
	n = strlen(e.msg);
	assert_true(n < SF_ERR_MSG_MAX);
	assert_true(n > SF_ERR_MSG_MAX - 20);
	assert_int_equal(strncmp(e.msg, "dfu-util 'aaa", 13), 0);
	assert_non_null(strstr(e.msg, "aaa ... aaa"));
	assert_non_null(strstr(e.msg, "' is not an executable file; install it"));
}

static void test_utf8_cut(void **state)
{
	static char name[3001];
	sf_err e = { 0 };
	(void)state;
	for (size_t i = 0; i + 1 < sizeof name; i += 2)
		memcpy(name + i, "\xc3\xa9", 2); /* é */
	sf_err_set(&e, 3, "%s: why", name);
	for (const char *p = e.msg; *p; p++)
		if ((unsigned char)*p == 0xc3)
			assert_int_equal((unsigned char)p[1], 0xa9);
		else if ((unsigned char)*p == 0xa9)
			assert_int_equal((unsigned char)p[-1], 0xc3);
	assert_non_null(strstr(e.msg, ": why"));
}

static void test_from_itself(void **state)
{
	sf_err e = { 0 };
	(void)state;
	sf_err_set(&e, 6, "write failed");
	sf_err_set(&e, 6, "%s; the backup is in %s", e.msg, "b.der");
	assert_string_equal(e.msg, "write failed; the backup is in b.der");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_long_name_keeps_the_reason),
		cmocka_unit_test(test_utf8_cut),
		cmocka_unit_test(test_from_itself),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
