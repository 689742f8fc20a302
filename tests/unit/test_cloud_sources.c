/* Source selection, file kinds and project.properties (cloud_sources.c),
 * compile answers and binary URLs (cloud_resp.c). */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cloud_resp.h"
#include "cloud_sources.h"
#include "module.h"

static void text_and_kinds(void **state)
{
	(void)state;
	const uint8_t src[] = "void setup() {}\r\n\tvoid loop() {} // caf\xc3\xa9 \xe9\n\f\x1b[0m";
	const uint8_t nul[] = { 'a', 0, 'b' };
	const uint8_t ctl[] = { 'a', 0x01, 'b' };
	assert_true(sf_cloud_is_text(src, sizeof src - 1));
	assert_true(sf_cloud_is_text(NULL, 0));
	assert_false(sf_cloud_is_text(nul, sizeof nul));
	assert_false(sf_cloud_is_text(ctl, sizeof ctl));

	assert_true(sf_cloud_source_name("app.ino"));
	assert_true(sf_cloud_source_name("src/a.CPP"));
	assert_true(sf_cloud_source_name("x.c"));
	assert_true(sf_cloud_source_name("lib/x/src/x.h"));
	assert_true(sf_cloud_source_name("y.hpp"));
	assert_true(sf_cloud_source_name("y.hh"));
	assert_true(sf_cloud_source_name("y.hxx"));
	assert_true(sf_cloud_source_name("project.properties"));
	assert_true(sf_cloud_source_name("src/build.mk"));
	assert_false(sf_cloud_source_name("app.bin"));
	assert_false(sf_cloud_source_name("README.md"));
	assert_false(sf_cloud_source_name(".ino"));
	assert_false(sf_cloud_source_name("ino"));
	assert_false(sf_cloud_source_name("a.ino/b"));

	assert_int_equal(sf_cloud_file_kind_of("app.ino", src, sizeof src - 1), SF_CLOUD_FILE_SOURCE);
	assert_int_equal(sf_cloud_file_kind_of("app.bin", src, sizeof src - 1), SF_CLOUD_FILE_TEXT);
	assert_int_equal(sf_cloud_file_kind_of("notes.txt", src, sizeof src - 1), SF_CLOUD_FILE_TEXT);
	/* a source name never makes bytes that are not text a source */
	assert_int_equal(sf_cloud_file_kind_of("app.ino", nul, sizeof nul), SF_CLOUD_FILE_BINARY);
	assert_int_equal(sf_cloud_file_kind_of("firmware", nul, sizeof nul), SF_CLOUD_FILE_BINARY);
}

/* A module image is a binary whatever its name. */
static void module_is_binary(void **state)
{
	(void)state;
	uint8_t img[64 + 4096 + 40];
	size_t len = sizeof img;
	uint32_t start = 0x080A0000, end = start + (uint32_t)len - 4, crc;
	memset(img, 0, sizeof img);
	memcpy(img, &start, 4);
	memcpy(img + 4, &end, 4);
	img[12] = 6;                 /* platform 6 */
	img[14] = 5;                 /* user part */
	img[15] = 1;
	for (size_t i = 24; i < len - 40; i++)
		img[i] = (uint8_t)('A' + i % 26); /* text-like payload */
	img[len - 6] = 36;           /* suffix size, little-endian */
	crc = sf_crc32(0, img, len - 4);
	img[len - 4] = (uint8_t)(crc >> 24);
	img[len - 3] = (uint8_t)(crc >> 16);
	img[len - 2] = (uint8_t)(crc >> 8);
	img[len - 1] = (uint8_t)crc;
	{
		sf_module_info m;
		assert_int_equal(sf_module_parse(img, len, &m, NULL), 0);
		assert_true(m.is_module);
		assert_true(m.crc_ok);
	}
	assert_int_equal(sf_cloud_file_kind_of("app.ino", img, len), SF_CLOUD_FILE_BINARY);
}

static void globs(void **state)
{
	(void)state;
	assert_true(sf_glob_match("*.ino", "app.ino"));
	assert_false(sf_glob_match("*.ino", "src/app.ino"));
	assert_true(sf_glob_match("**/*.ino", "app.ino"));
	assert_true(sf_glob_match("**/*.ino", "src/deep/app.ino"));
	assert_false(sf_glob_match("**/*.ino", ".hidden/app.ino"));
	assert_false(sf_glob_match("**/*.ino", "src/.app.ino"));
	assert_true(sf_glob_match(".hidden/*.ino", ".hidden/app.ino"));
	assert_true(sf_glob_match("lib/*/examples/**/*.*", "lib/x/examples/a/b.ino"));
	assert_true(sf_glob_match("lib/*/examples/**/*.*", "lib/x/examples/b.ino"));
	assert_false(sf_glob_match("lib/*/examples/**/*.*", "lib/x/src/b.cpp"));
	assert_true(sf_glob_match("src/?.[ch]", "src/a.c"));
	assert_false(sf_glob_match("src/?.[ch]", "src/ab.c"));
	assert_true(sf_glob_match("**", "a/b/c"));
	assert_true(sf_glob_match("a/**/b/**/c", "a/x/y/b/c"));
	assert_false(sf_glob_match("a/**/b/**/c", "a/x/y/c"));
	/* many ** against a long path: one table, no blow-up */
	assert_false(sf_glob_match("**/**/**/**/**/**/**/**/**/**/**/**/**/**/x",
				   "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/y"));

	assert_true(sf_cloud_dir_default("app.ino"));
	assert_true(sf_cloud_dir_default("src/app.cpp"));
	assert_true(sf_cloud_dir_default("lib/neo/src/neo.h"));
	assert_true(sf_cloud_dir_default("project.properties"));
	assert_false(sf_cloud_dir_default("src/project.properties"));
	assert_false(sf_cloud_dir_default("lib/neo/examples/demo/demo.ino"));
	assert_false(sf_cloud_dir_default("app.bin"));
	assert_false(sf_cloud_dir_default("README.md"));
	assert_false(sf_cloud_dir_default(".git/x.c"));
}

static void part_names(void **state)
{
	(void)state;
	char b[24];
	sf_cloud_part_name(0, b, sizeof b);
	assert_string_equal(b, "file");
	sf_cloud_part_name(1, b, sizeof b);
	assert_string_equal(b, "file1");
	sf_cloud_part_name(12, b, sizeof b);
	assert_string_equal(b, "file12");
	assert_true(sf_cloud_part_filename_ok("app.ino"));
	assert_true(sf_cloud_part_filename_ok("lib/a/src/a.h"));
	assert_false(sf_cloud_part_filename_ok(""));
	assert_false(sf_cloud_part_filename_ok("/etc/passwd"));
	assert_false(sf_cloud_part_filename_ok("../x.c"));
	assert_false(sf_cloud_part_filename_ok("a/./x.c"));
	assert_false(sf_cloud_part_filename_ok("a//x.c"));
	assert_false(sf_cloud_part_filename_ok("a/"));
	assert_false(sf_cloud_part_filename_ok("a\\b.c"));
	assert_false(sf_cloud_part_filename_ok("a\"b.c"));
	assert_false(sf_cloud_part_filename_ok("a\nb.c"));
}

static char got[8][256];
static int ngot;
static void collect(void *ud, const char *line)
{
	(void)ud;
	if (ngot < 8)
		snprintf(got[ngot++], sizeof got[0], "%s", line);
}

static void pattern_lines(void **state)
{
	(void)state;
	static const char t[] = "# comment\n\n  *.txt  \r\nsrc/**/*.c\n   # also a comment\nlast";
	char big[600];
	ngot = 0;
	assert_int_equal(sf_cloud_pattern_lines(t, sizeof t - 1, collect, NULL), 0);
	assert_int_equal(ngot, 3);
	assert_string_equal(got[0], "*.txt");
	assert_string_equal(got[1], "src/**/*.c");
	assert_string_equal(got[2], "last");
	memset(big, 'a', sizeof big);
	big[sizeof big - 1] = '\n';
	ngot = 0;
	assert_int_equal(sf_cloud_pattern_lines(big, sizeof big, collect, NULL), 1);
	assert_int_equal(ngot, 0);
}

static void project_properties(void **state)
{
	(void)state;
	sf_cloud_project p;
	static const char t[] = "# a project\nname = blink\n! old comment\ndependencies.neopixel=1.0.3\n"
				"dependencies.Adafruit_DHT : 0.0.4\r\nnot a pair\n=nokey\n";
	sf_cloud_project_parse(t, sizeof t - 1, &p);
	assert_true(p.has_name);
	assert_string_equal(p.name, "blink");
	assert_int_equal(p.ndeps, 2);
	assert_string_equal(p.deps, "neopixel@1.0.3, Adafruit_DHT@0.0.4");
	assert_false(p.asset_ota_dir);
	assert_int_equal(p.bad_lines, 2);
	sf_cloud_project_parse("assetOtaDir=assets\nenv=.env", 26, &p);
	assert_true(p.asset_ota_dir);
	assert_true(p.env);
	{
		/* many dependencies: the list is cut, the count is not */
		char many[20000];
		size_t n = 0;
		for (int i = 0; i < 300; i++)
			n += (size_t)snprintf(many + n, sizeof many - n, "dependencies.library_number_%d=1.2.%d\n", i, i);
		sf_cloud_project_parse(many, n, &p);
		assert_int_equal(p.ndeps, 300);
		assert_true(strlen(p.deps) < sizeof p.deps);
		assert_non_null(strstr(p.deps, "..."));
	}
}

static void compile_answers(void **state)
{
	(void)state;
	sf_cloud_compile c;
	static const char ok[] = "{\"ok\":true,\"binary_id\":\"53fdb4b3a7ce5fe43d3cf079\",\"binary_url\":\"/v1/binaries/53fdb4b3a7ce5fe43d3cf079\","
				 "\"expires_at\":\"2014-08-28T10:36:35.183Z\",\"sizeInfo\":\"   text\\t   data\\n  74960\\t 1236\\n\"}";
	static const char modern[] = "{\"ok\":false,\"code\":400,\"output\":\"Compiler timed out or encountered an error\","
				     "\"errors\":[\"app.ino:3:2: error: #error stop here\\n #error stop here\\n  ^\\nmake: *** [app.o] Error 1\"]}";
	static const char old[] = "{\"ok\":false,\"errors\":[\"Blink.cpp:11:17: error: 'OUTPUTz' was not declared\",{\"error\":\"make: *** [Blink.o] Error 1\"}],"
				  "\"output\":\"App code was invalid\",\"stdout\":\"Nothing to be done for `all'\"}";

	assert_int_equal(sf_cloud_compile_parse(200, ok, sizeof ok - 1, "photon", &c), 0);
	assert_string_equal(c.binary_url, "/v1/binaries/53fdb4b3a7ce5fe43d3cf079");
	assert_string_equal(c.binary_id, "53fdb4b3a7ce5fe43d3cf079");
	assert_string_equal(c.size_info, "   text\t   data\n  74960\t 1236\n");
	assert_null(c.compiler);
	sf_cloud_compile_free(&c);

	assert_int_equal(sf_cloud_compile_parse(400, modern, sizeof modern - 1, "photon", &c), SF_EXIT_CLOUD_COMPILE);
	/* as the compiler printed it: newlines and columns kept */
	assert_string_equal(c.compiler, "app.ino:3:2: error: #error stop here\n #error stop here\n  ^\nmake: *** [app.o] Error 1");
	assert_non_null(strstr(c.msg, "Compiler timed out or encountered an error"));
	assert_non_null(strstr(c.msg, "photon"));
	sf_cloud_compile_free(&c);

	/* the older shape, even with a 200 */
	assert_int_equal(sf_cloud_compile_parse(200, old, sizeof old - 1, "core", &c), SF_EXIT_CLOUD_COMPILE);
	assert_string_equal(c.compiler, "Blink.cpp:11:17: error: 'OUTPUTz' was not declared\nmake: *** [Blink.o] Error 1");
	assert_string_equal(c.summary, "App code was invalid");
	sf_cloud_compile_free(&c);

	/* refusals without compiler text */
	assert_int_equal(sf_cloud_compile_parse(400, "{\"ok\":false,\"error\":\"Invalid platform_id\"}", 42, "x", &c),
			 SF_EXIT_CLOUD_COMPILE);
	assert_non_null(strstr(c.msg, "Invalid platform_id"));
	assert_null(c.compiler);
	sf_cloud_compile_free(&c);
	assert_int_equal(sf_cloud_compile_parse(401, "{\"error\":\"invalid_token\"}", 25, "x", &c), SF_EXIT_CLOUD_AUTH);
	sf_cloud_compile_free(&c);
	assert_int_equal(sf_cloud_compile_parse(400, "{\"error\":\"invalid_request\",\"error_description\":\"The access token was not found\"}", 80, "x", &c),
			 SF_EXIT_CLOUD_AUTH);
	sf_cloud_compile_free(&c);
	assert_int_equal(sf_cloud_compile_parse(403, "{\"error\":\"Permission Denied\"}", 29, "x", &c), SF_EXIT_CLOUD_AUTH);
	sf_cloud_compile_free(&c);
	assert_int_equal(sf_cloud_compile_parse(429, "", 0, "x", &c), SF_EXIT_CLOUD_NETWORK);
	sf_cloud_compile_free(&c);
	assert_int_equal(sf_cloud_compile_parse(502, "<html>bad</html>", 16, "x", &c), SF_EXIT_CLOUD_NETWORK);
	sf_cloud_compile_free(&c);
	assert_int_equal(sf_cloud_compile_parse(200, "", 0, "x", &c), SF_EXIT_CLOUD_NETWORK);
	sf_cloud_compile_free(&c);
	assert_int_equal(sf_cloud_compile_parse(200, "[]", 2, "x", &c), SF_EXIT_CLOUD_NETWORK);
	sf_cloud_compile_free(&c);
	assert_int_equal(sf_cloud_compile_parse(200, "{\"ok\":true}", 11, "x", &c), SF_EXIT_CLOUD_NETWORK);
	sf_cloud_compile_free(&c);
}

static void binary_urls(void **state)
{
	(void)state;
	char b[256];
	sf_err e = { 0 };
	assert_int_equal(sf_cloud_binary_url("https://api.particle.io", "/v1/binaries/abc", NULL, b, sizeof b, &e), 0);
	assert_string_equal(b, "https://api.particle.io/v1/binaries/abc");
	assert_int_equal(sf_cloud_binary_url("http://h:1/api", "/v1/binaries/abc", NULL, b, sizeof b, &e), 0);
	assert_string_equal(b, "http://h:1/api/v1/binaries/abc");
	assert_int_equal(sf_cloud_binary_url("http://h:1/api", "http://h:1/api/v1/binaries/x", NULL, b, sizeof b, &e), 0);
	assert_string_equal(b, "http://h:1/api/v1/binaries/x");
	assert_int_equal(sf_cloud_binary_url("http://h:1/api", "HTTP://H:1/api/v1/binaries/x", NULL, b, sizeof b, &e), 0);
	/* the token never goes to another server */
	assert_int_equal(sf_cloud_binary_url("http://h:1", "http://evil:1/v1/binaries/x", NULL, b, sizeof b, &e),
			 SF_EXIT_CLOUD_NETWORK);
	assert_int_equal(sf_cloud_binary_url("http://h:1", "http://h:12/v1/binaries/x", NULL, b, sizeof b, &e),
			 SF_EXIT_CLOUD_NETWORK);
	assert_int_equal(sf_cloud_binary_url("http://h:1", "http://h:1.evil/x", NULL, b, sizeof b, &e),
			 SF_EXIT_CLOUD_NETWORK);
	assert_int_equal(sf_cloud_binary_url("http://h:1", "https://h:1/v1/binaries/x", NULL, b, sizeof b, &e),
			 SF_EXIT_CLOUD_NETWORK);
	assert_int_equal(sf_cloud_binary_url("http://h:1/api", "http://h:1/other/x", NULL, b, sizeof b, &e),
			 SF_EXIT_CLOUD_NETWORK);
	assert_int_equal(sf_cloud_binary_url("http://h:1", "//evil/x", NULL, b, sizeof b, &e), SF_EXIT_CLOUD_NETWORK);
	assert_int_equal(sf_cloud_binary_url("http://h:1", "/v1/bin aries", NULL, b, sizeof b, &e), SF_EXIT_CLOUD_NETWORK);
	/* the id when there is no URL */
	assert_int_equal(sf_cloud_binary_url("http://h:1", NULL, "53fdb4b3", b, sizeof b, &e), 0);
	assert_string_equal(b, "http://h:1/v1/binaries/53fdb4b3");
	assert_int_equal(sf_cloud_binary_url("http://h:1", "", "../x", b, sizeof b, &e), SF_EXIT_CLOUD_NETWORK);
	assert_int_equal(sf_cloud_binary_url("http://h:1", NULL, NULL, b, sizeof b, &e), SF_EXIT_CLOUD_NETWORK);
	assert_int_equal(sf_cloud_binary_url("http://h:1", "/v1/binaries/abc", NULL, b, 10, &e), SF_EXIT_CLOUD_NETWORK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_and_kinds),   cmocka_unit_test(module_is_binary),
		cmocka_unit_test(globs),            cmocka_unit_test(part_names),
		cmocka_unit_test(pattern_lines),    cmocka_unit_test(project_properties),
		cmocka_unit_test(compile_answers),  cmocka_unit_test(binary_urls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
