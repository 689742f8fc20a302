/* sf_json_text / sf_utf8_sanitize: text that is not UTF-8 (file names, device
 * strings, dfu-util lines) still becomes a JSON string, keeping every valid
 * character and replacing only the bad bytes. */
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

#include "jsontext.h"

static void expect_text(const char *in, const char *want)
{
	json_t *j = sf_json_text(in);
	assert_non_null(j);
	assert_true(json_is_string(j));
	assert_string_equal(json_string_value(j), want);
	json_decref(j);
}

static void test_valid_untouched(void **st)
{
	(void)st;
	expect_text("", "");
	expect_text("plain fw.bin", "plain fw.bin");
	expect_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	expect_text("tab\tnew\nline \"q\" \\", "tab\tnew\nline \"q\" \\");
	assert_null(sf_json_text(NULL));
}

static void test_invalid_bytes_replaced(void **st)
{
	(void)st;
	expect_text("\xff.bin", "?.bin");
	expect_text("a\xff\xfe" "b", "a??b");
	/* only the bad byte goes: the valid é beside it stays */
	expect_text("\xc3\xa9\xff\xc3\xa9", "\xc3\xa9?\xc3\xa9");
	/* truncated sequence at the end, lone continuation, overlong, surrogate, > U+10FFFF */
	expect_text("x\xe2\x82", "x??");
	expect_text("\x80z", "?z");
	expect_text("\xc0\xaf", "??");
	expect_text("\xed\xa0\x80", "???");
	expect_text("\xf4\x90\x80\x80", "????");
	/* latin-1 as dfu-util may print device strings */
	expect_text("Sp\xe4rk", "Sp?rk");
}

static void test_sanitize_bounds(void **st)
{
	char out[6];
	(void)st;
	assert_int_equal(sf_utf8_sanitize("ab\xff", out, sizeof out), 1);
	assert_string_equal(out, "ab?");
	/* a character that does not fit is dropped whole, never cut */
	sf_utf8_sanitize("abcd\xe2\x82\xac", out, sizeof out);
	assert_string_equal(out, "abcd");
	sf_utf8_sanitize("xyz", out, 1);
	assert_string_equal(out, "");
	assert_int_equal(sf_utf8_sanitize("xyz", out, 0), 0);
}

/* Random bytes never give NULL, always valid UTF-8 jansson accepts, and the
 * same length (one '?' per replaced byte). */
static void test_fuzz(void **st)
{
	unsigned seed = 12345;
	unsigned extra = (unsigned)time(NULL);
	(void)st;
	printf("# seeds 12345 and %u\n", extra);
	for (int round = 0; round < 2; round++) {
		srand(round ? extra : seed);
		for (int it = 0; it < 20000; it++) {
			char buf[64];
			size_t n = (size_t)(rand() % 63);
			for (size_t i = 0; i < n; i++) {
				int c = rand() % 256;
				buf[i] = (char)(c ? c : 'A');
			}
			buf[n] = '\0';
			json_t *j = sf_json_text(buf);
			assert_non_null(j);
			assert_int_equal(strlen(json_string_value(j)), n);
			json_decref(j);
		}
	}
}

/* Terminal output: no control character, C1 control or broken UTF-8 gets
 * through; valid text does, also split across calls. */
static void term_filter(void **state)
{
	(void)state;
	static const struct { const char *in; const char *want; } cases[] = {
		{ "plain text\tand\r\n", "plain text\tand\r\n" },
		{ "\033[31mred\033[0m", "?[31mred?[0m" },
		{ "bell\a nul-free \x7f", "bell? nul-free ?" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "csi\xc2\x9b" "31m", "csi?31m" },            /* C1 CSI as UTF-8 */
		{ "raw\x9b" "31m", "raw?31m" },                  /* 8-bit CSI */
		{ "sur\xed\xa0\x80x", "sur???x" },          /* surrogate */
		{ "big\xf4\x90\x80\x80x", "big????x" },    /* above U+10FFFF */
		{ "over\xc0\xafx", "over??x" },              /* overlong */
		{ "cut\xe2\x82", "cut?" },                   /* unfinished at the end */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[128];
		sf_term_state st = { 0 };
		size_t n = sf_term_filter(&st, cases[i].in, strlen(cases[i].in), out);
		n += sf_term_filter(&st, NULL, 0, out + n);
		out[n] = '\0';
		assert_string_equal(out, cases[i].want);
	}
	/* a character split between two writes is kept whole */
	{
		char out[32];
		sf_term_state st = { 0 };
		size_t n = sf_term_filter(&st, "a\xe2\x82", 3, out);
		n += sf_term_filter(&st, "\xac\033", 2, out + n);
		out[n] = '\0';
		assert_string_equal(out, "a\xe2\x82\xac?");
	}
	/* random bytes: the output never holds a control byte but TAB/LF/CR */
	srand(7);
	for (int round = 0; round < 2000; round++) {
		char in[64], out[64 + 8];
		sf_term_state st = { 0 };
		size_t n;
		for (size_t k = 0; k < sizeof in; k++)
			in[k] = (char)(rand() % 256);
		n = sf_term_filter(&st, in, sizeof in, out);
		n += sf_term_filter(&st, NULL, 0, out + n);
		for (size_t k = 0; k < n; k++) {
			unsigned char c = (unsigned char)out[k];
			assert_true(c >= 0x20 || c == '\t' || c == '\n' || c == '\r');
			assert_true(c != 0x7f && c != 0x1b);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(term_filter),
		cmocka_unit_test(test_valid_untouched),
		cmocka_unit_test(test_invalid_bytes_replaced),
		cmocka_unit_test(test_sanitize_bounds),
		cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
