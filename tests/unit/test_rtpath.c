/* Relocating configured directories onto the executable's prefix. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "rtpath.h"

#define PROF "/usr/local/share/sparkflash/profiles"

static void relocates(void **state)
{
	char out[256];
	(void)state;
	/* installed where configured: the same directory */
	assert_true(sf_rtpath_relocate("/usr/local/bin", "/usr/local", "/usr/local/bin", PROF, out, sizeof out));
	assert_string_equal(out, PROF);
	/* moved as a whole */
	assert_true(sf_rtpath_relocate("/opt/sf/bin", "/usr/local", "/usr/local/bin", PROF, out, sizeof out));
	assert_string_equal(out, "/opt/sf/share/sparkflash/profiles");
	assert_true(sf_rtpath_relocate("/opt/sf/bin", "/usr/local", "/usr/local/bin",
				       "/usr/local/lib/sparkflash", out, sizeof out));
	assert_string_equal(out, "/opt/sf/lib/sparkflash");
	/* DESTDIR staging, trailing slashes */
	assert_true(sf_rtpath_relocate("/tmp/stage/usr/bin/", "/usr/", "/usr/bin", "/usr/share/sparkflash/profiles/",
				       out, sizeof out));
	assert_string_equal(out, "/tmp/stage/usr/share/sparkflash/profiles");
	/* a deeper bindir */
	assert_true(sf_rtpath_relocate("/home/u/x/libexec/sf", "/p", "/p/libexec/sf", "/p/share/d", out, sizeof out));
	assert_string_equal(out, "/home/u/x/share/d");
	/* prefix "/" */
	assert_true(sf_rtpath_relocate("/x/bin", "/", "/bin", "/share/d", out, sizeof out));
	assert_string_equal(out, "/x/share/d");
}

static void does_not_apply(void **state)
{
	char out[64] = "untouched";
	(void)state;
	/* not in a bin directory (a build tree, a copied binary) */
	assert_false(sf_rtpath_relocate("/home/u/sparkflash/build", "/usr/local", "/usr/local/bin", PROF, out, sizeof out));
	/* "xbin" is not "bin" */
	assert_false(sf_rtpath_relocate("/opt/xbin", "/usr/local", "/usr/local/bin", PROF, out, sizeof out));
	/* bindir or target not below prefix */
	assert_false(sf_rtpath_relocate("/opt/sf/bin", "/usr", "/bin", "/usr/share/d", out, sizeof out));
	assert_false(sf_rtpath_relocate("/opt/sf/bin", "/usr", "/usr/bin", "/etc/sparkflash", out, sizeof out));
	assert_false(sf_rtpath_relocate("/opt/sf/bin", "/usr", "/usrx/bin", "/usr/share/d", out, sizeof out));
	/* relative or empty */
	assert_false(sf_rtpath_relocate("bin", "/usr", "/usr/bin", "/usr/share/d", out, sizeof out));
	assert_false(sf_rtpath_relocate("", "/usr", "/usr/bin", "/usr/share/d", out, sizeof out));
	assert_false(sf_rtpath_relocate("/bin", "/usr", "/usr/bin", "/usr/share/d", out, 5));
	assert_false(sf_rtpath_relocate(NULL, "/usr", "/usr/bin", "/usr/share/d", out, sizeof out));
	/* too small an output */
	assert_false(sf_rtpath_relocate("/opt/sf/bin", "/usr/local", "/usr/local/bin", PROF, out, 20));
	assert_string_equal(out, "untouched");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(relocates),
		cmocka_unit_test(does_not_apply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
