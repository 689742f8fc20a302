/* "Did you mean": edit distance and the choice of candidates. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "suggest.h"

static void distance(void **state)
{
	(void)state;
	assert_int_equal(sf_edit_distance("flash", "flash", 3), 0);
	assert_int_equal(sf_edit_distance("falsh", "flash", 3), 1); /* a swap */
	assert_int_equal(sf_edit_distance("flsh", "flash", 3), 1);
	assert_int_equal(sf_edit_distance("flassh", "flash", 3), 1);
	assert_int_equal(sf_edit_distance("flesh", "flash", 3), 1);
	assert_int_equal(sf_edit_distance("", "abc", 3), 3);
	assert_int_equal(sf_edit_distance("kitten", "sitting", 5), 3);
	/* past the cap: cap + 1, whatever the real distance */
	assert_int_equal(sf_edit_distance("abcdefgh", "zyxwvuts", 2), 3);
	assert_int_equal(sf_edit_distance("a", "abcdefgh", 2), 3);
}

static void suggestions(void **state)
{
	static const char *const cmds[] = { "list", "flash", "read", "keys", "cloud", "sim",
					    "diagnose", "doctor", "udev", "profiles", "inspect", "help" };
	static const char *const opts[] = { "usb", "factory", "segment", "alt", "force", "allow-protected",
					    "leave", "no-leave", "verify", "all", "apps-dir", "json" };
	size_t idx[4], n;
	char buf[200];
	(void)state;

	n = sf_suggest("falsh", cmds, 12, idx, 4);
	assert_int_equal(n, 1);
	assert_string_equal(cmds[idx[0]], "flash");
	/* an abbreviation: every option it starts */
	n = sf_suggest("al", opts, 12, idx, 4);
	assert_int_equal(n, 3);
	assert_string_equal(opts[idx[0]], "alt");
	assert_string_equal(opts[idx[1]], "allow-protected");
	assert_string_equal(opts[idx[2]], "all");
	n = sf_suggest("verif", opts, 12, idx, 4);
	assert_int_equal(n, 1);
	assert_string_equal(opts[idx[0]], "verify");
	/* nothing close: no suggestion */
	assert_int_equal(sf_suggest("zzzzzz", cmds, 12, idx, 4), 0);
	assert_int_equal(sf_suggest("x", cmds, 12, idx, 4), 0);
	assert_int_equal(sf_suggest("", cmds, 12, idx, 4), 0);
	/* the word itself is no suggestion */
	assert_int_equal(sf_suggest("flash", cmds, 12, idx, 4), 0);
	/* short words get at most one edit */
	assert_int_equal(sf_suggest("lst", cmds, 12, idx, 4), 1);
	assert_int_equal(sf_suggest("lxx", cmds, 12, idx, 4), 0);
	/* ties all come */
	n = sf_suggest("doctoe", cmds, 12, idx, 4);
	assert_int_equal(n, 1);
	assert_string_equal(cmds[idx[0]], "doctor");

	assert_string_equal(sf_suggest_text("falsh", NULL, cmds, 12, buf, sizeof buf), " (did you mean 'flash'?)");
	assert_string_equal(sf_suggest_text("allow", "--", opts, 12, buf, sizeof buf),
			    " (did you mean '--allow-protected'?)");
	assert_string_equal(sf_suggest_text("al", "--", opts, 12, buf, sizeof buf),
			    " (did you mean '--alt', '--allow-protected' or '--all'?)");
	assert_string_equal(sf_suggest_text("qqqqqq", "--", opts, 12, buf, sizeof buf), "");
	/* a small buffer is cut, never overrun */
	sf_suggest_text("al", "--", opts, 12, buf, 12);
	assert_int_equal(strlen(buf), 11);
}

static void duplicates(void **state)
{
	static const char *const names[] = { "api-url", "product", "api-url", "product_id" };
	size_t idx[4], n;
	(void)state;
	n = sf_suggest("api", names, 4, idx, 4);
	assert_int_equal(n, 1);
	n = sf_suggest("prod", names, 4, idx, 4);
	assert_int_equal(n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(distance),
		cmocka_unit_test(suggestions),
		cmocka_unit_test(duplicates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
