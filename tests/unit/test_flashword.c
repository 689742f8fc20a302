/* The first word of 'flash WORD FILE': address, cloud device, or a
 * probable mistake refused before any request. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "apps.h"
#include "flashword.h"

static const char *const segs[] = { "application", "optionBytes", "userFirmware", "otp" };

static sf_word_kind word(const char *w, char *msg, size_t size)
{
	return sf_flash_word(w, segs, 4, false, "fw.bin", msg, size);
}

static void addresses_and_devices(void **state)
{
	char m[600];
	(void)state;
	assert_int_equal(word("0x08005000", m, sizeof m), SF_WORD_ADDRESS);
	assert_int_equal(word("1048576", m, sizeof m), SF_WORD_ADDRESS);
	assert_int_equal(word("0", m, sizeof m), SF_WORD_ADDRESS);
	assert_int_equal(word("photon1", m, sizeof m), SF_WORD_DEVICE);
	assert_int_equal(word("my_core", m, sizeof m), SF_WORD_DEVICE);
	assert_int_equal(word("0123456789abcdef01234567", m, sizeof m), SF_WORD_DEVICE);
	assert_int_equal(word("53ff6c065067544847310187", m, sizeof m), SF_WORD_DEVICE);
	assert_int_equal(word("deadbeef", m, sizeof m), SF_WORD_DEVICE); /* no digit: a name */
	assert_int_equal(word("3d_printer", m, sizeof m), SF_WORD_DEVICE);
	assert_int_equal(word("abc", m, sizeof m), SF_WORD_DEVICE);
	assert_string_equal(m, "");
}

static void refused(void **state)
{
	static const struct {
		const char *w;
		const char *says;
	} cases[] = {
		{ "0x", "has no digits after 0x" },
		{ "0xZZ", "not hexadecimal after 0x" },
		{ "0x100000000", "does not fit in 32 bits" },
		{ "1e6", "is not an address" },
		{ "1.5", "is not an address" },
		{ "100k", "is not an address" },
		{ " 0x100000", "'sparkflash flash 0x100000 fw.bin'" },
		{ "0x100000 ", "spaces around the address" },
		{ "  ", "starts or ends with a space" },
		{ "08005000", "'sparkflash flash 0x08005000 fw.bin'" },
		{ "080A0000", "without 0x" },
		{ "9999999999", "does not fit in 32 bits" },
		{ "usb", "'sparkflash flash --usb fw.bin'" },
		{ "USB", "'sparkflash flash --usb fw.bin'" },
		{ "factory", "'sparkflash flash --factory fw.bin'" },
		{ "firmware", "'sparkflash flash --usb fw.bin'" },
		{ "cloud", "command word" },
		{ "segment", "--segment NAME fw.bin" },
		{ "keys", "'sparkflash keys load fw.bin'" },
		{ "userFirmware", "'sparkflash flash --segment userFirmware fw.bin'" },
		{ "userfirmware", "'sparkflash flash --segment userFirmware fw.bin'" },
		{ "factoryReset", "--segment factoryReset" },
		{ "tcpPrivateKey", "segment name" },
		{ "optionBytes", "--segment optionBytes" },   /* a profile's, not Particle's */
		{ "application", "--segment application" },
		{ "userFirmwar", "typo of 'userFirmware'" },
		{ "firmwre", "typo of 'firmware'" },
		{ "facory", "typo of 'factory'" },
	};
	char m[600];
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sf_word_kind k = word(cases[i].w, m, sizeof m);
		if (k != SF_WORD_REFUSED || !strstr(m, cases[i].says) || !strstr(m, "add --cloud"))
			fail_msg("'%s': kind %d, message '%s' (want '%s')", cases[i].w, k, m, cases[i].says);
		/* one line, git style */
		assert_null(strchr(m, '\n'));
		assert_true(m[strlen(m) - 1] != '.');
	}
}

static void files(void **state)
{
	char m[600];
	(void)state;
	assert_int_equal(sf_flash_word("fw.bin", segs, 4, true, "photon1", m, sizeof m), SF_WORD_REFUSED);
	assert_non_null(strstr(m, "'sparkflash flash --usb fw.bin'"));
	/* a name with a space is quoted in the example */
	assert_int_equal(sf_flash_word("my fw.bin", segs, 4, true, NULL, m, sizeof m), SF_WORD_REFUSED);
	assert_non_null(strstr(m, "--usb 'my fw.bin'"));
	/* the example's FILE is quoted too; without one it says FILE */
	assert_int_equal(sf_flash_word("usb", NULL, 0, false, "a b.bin", m, sizeof m), SF_WORD_REFUSED);
	assert_non_null(strstr(m, "--usb 'a b.bin'"));
	assert_int_equal(sf_flash_word("usb", NULL, 0, false, NULL, m, sizeof m), SF_WORD_REFUSED);
	assert_non_null(strstr(m, "--usb FILE"));
	/* a small buffer is cut, not overrun */
	assert_int_equal(sf_flash_word("userFirmware", NULL, 0, false, "fw.bin", m, 20), SF_WORD_REFUSED);
	assert_int_equal(strlen(m), 19);
}

/* spark-cli's named apps: which words, which profiles, where */
static void named_apps(void **state)
{
	char buf[300];
	(void)state;
	assert_true(sf_app_word("tinker"));
	assert_true(sf_app_word("deep_update_2014_06"));
	assert_true(sf_app_word("tinker-usb-debugging"));
	assert_false(sf_app_word("tinker.bin"));
	assert_false(sf_app_word("apps/tinker"));
	assert_false(sf_app_word("-"));
	assert_false(sf_app_word("-x"));
	assert_false(sf_app_word(""));
	assert_true(sf_app_known("voodoo"));
	assert_true(sf_app_known("cc3000_1_14"));
	assert_false(sf_app_known("tinkr"));
	/* particle-cli's file names, per profile */
	assert_string_equal(sf_app_origin("tinker", "core"), "core_tinker.bin");
	assert_string_equal(sf_app_origin("tinker", "photon"), "photon_tinker.bin");
	assert_string_equal(sf_app_origin("voodoo", "p1"), "voodoospark.bin");
	assert_string_equal(sf_app_origin("tinker-usb-debugging", "electron"), "tinker-usb-debugging-0.6.0-electron.bin");
	assert_non_null(sf_app_origin("tinker", "argon"));
	assert_non_null(sf_app_origin("tinker", "p2"));
	assert_null(sf_app_origin("cc3000", "photon"));
	assert_null(sf_app_origin("tinker", "duo"));        /* particle-cli had none */
	assert_null(sf_app_origin("tinker", "stm32f4"));
	sf_app_list("core", buf, sizeof buf);
	assert_string_equal(buf, "tinker, doctor, cc3000, cc3000_1_14, voodoo, deep_update_2014_06");
	sf_app_list("duo", buf, sizeof buf);
	assert_string_equal(buf, "");
	assert_true(sf_app_path("/a/apps", "photon", "tinker", buf, sizeof buf));
	assert_string_equal(buf, "/a/apps/photon/tinker.bin");
	assert_false(sf_app_path("/a/apps", "photon", "tinker", buf, 10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addresses_and_devices),
		cmocka_unit_test(refused),
		cmocka_unit_test(files),
		cmocka_unit_test(named_apps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
