/* Token / API URL precedence and config rewriting (cloud_config.c). */
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

#include <jansson.h>

#include "cloud_config.h"

static void precedence_env_first(void **state)
{
	(void)state;
	sf_cloud_inputs in = { .env_token = "envtok", .profile_cfg = "{\"access_token\":\"proftok\"}",
			       .spark_cfg = "{\"access_token\":\"sparktok\"}" };
	sf_cloud_settings s;
	sf_err e = { 0 };
	assert_int_equal(sf_cloud_resolve_settings(&in, &s, &e), 0);
	assert_string_equal(s.token, "envtok");
	assert_int_equal(s.token_source, SF_TOKEN_ENV);
	assert_string_equal(s.api_url, "https://api.particle.io");
}

static void precedence_profile_then_spark(void **state)
{
	(void)state;
	sf_cloud_inputs in = { .env_token = "", .profile_cfg = "{\"access_token\":\"proftok\"}",
			       .spark_cfg = "{\"access_token\":\"sparktok\",\"apiUrl\":\"http://x:1/\"}" };
	sf_cloud_settings s;
	sf_err e = { 0 };
	assert_int_equal(sf_cloud_resolve_settings(&in, &s, &e), 0);
	assert_string_equal(s.token, "proftok");
	assert_int_equal(s.token_source, SF_TOKEN_PROFILE);
	assert_string_equal(s.api_url, "http://x:1");

	in.profile_cfg = "{\"username\":\"u\"}";
	assert_int_equal(sf_cloud_resolve_settings(&in, &s, &e), 0);
	assert_string_equal(s.token, "sparktok");
	assert_int_equal(s.token_source, SF_TOKEN_SPARK);

	in.spark_cfg = NULL;
	assert_int_equal(sf_cloud_resolve_settings(&in, &s, &e), 0);
	assert_string_equal(s.token, "");
	assert_int_equal(s.token_source, SF_TOKEN_NONE);
}

static void bad_config_skipped_with_warning(void **state)
{
	(void)state;
	sf_cloud_inputs in = { .profile_cfg = "{not json", .profile_cfg_name = "P",
			       .spark_cfg = "{\"access_token\":\"sparktok\"}" };
	sf_cloud_settings s;
	sf_err e = { 0 };
	assert_int_equal(sf_cloud_resolve_settings(&in, &s, &e), 0);
	assert_string_equal(s.token, "sparktok");
	assert_non_null(strstr(s.warning, "P"));
}

static void token_with_newline_refused(void **state)
{
	(void)state;
	sf_cloud_inputs in = { .env_token = "abc\r\nX-Evil: 1" };
	sf_cloud_settings s;
	sf_err e = { 0 };
	assert_int_equal(sf_cloud_resolve_settings(&in, &s, &e), SF_EXIT_CLOUD_AUTH);
	assert_null(strstr(e.msg, "abc"));
	assert_string_equal(s.token, "");
}

static void api_url_precedence(void **state)
{
	(void)state;
	sf_cloud_inputs in = { .opt_api_url = "http://opt:1", .env_api_url = "http://env:2",
			       .profile_cfg = "{\"apiUrl\":\"http://prof:3\"}" };
	sf_cloud_settings s;
	sf_err e = { 0 };
	assert_int_equal(sf_cloud_resolve_settings(&in, &s, &e), 0);
	assert_string_equal(s.api_url, "http://opt:1");
	in.opt_api_url = NULL;
	assert_int_equal(sf_cloud_resolve_settings(&in, &s, &e), 0);
	assert_string_equal(s.api_url, "http://env:2");
	in.env_api_url = NULL;
	assert_int_equal(sf_cloud_resolve_settings(&in, &s, &e), 0);
	assert_string_equal(s.api_url, "http://prof:3");
	in.opt_api_url = "ftp://x";
	assert_int_equal(sf_cloud_resolve_settings(&in, &s, &e), SF_EXIT_USAGE);
	assert_non_null(strstr(e.msg, "--api-url"));
}

/* Found by fuzzing: a URL too long for the buffer was replaced by the
 * default (config) or cut short (environment) without a word; the token
 * would go to a server nobody named. Refused, naming where it came from. */
static void api_url_too_long(void **state)
{
	(void)state;
	static char longurl[4200];
	char cfg[4400];
	sf_cloud_settings s;
	sf_err e = { 0 };
	sf_cloud_inputs in = { 0 };
	memcpy(longurl, "https://", 8);
	memset(longurl + 8, 'a', sizeof longurl - 9);
	longurl[sizeof longurl - 1] = '\0';
	in.env_api_url = longurl;
	assert_int_equal(sf_cloud_resolve_settings(&in, &s, &e), SF_EXIT_USAGE);
	assert_non_null(strstr(e.msg, "PARTICLE_API_URL"));
	in.env_api_url = NULL;
	in.opt_api_url = longurl;
	assert_int_equal(sf_cloud_resolve_settings(&in, &s, &e), SF_EXIT_USAGE);
	assert_non_null(strstr(e.msg, "--api-url"));
	in.opt_api_url = NULL;
	snprintf(cfg, sizeof cfg, "{\"apiUrl\":\"%s\"}", longurl);
	in.profile_cfg = cfg;
	assert_int_equal(sf_cloud_resolve_settings(&in, &s, &e), SF_EXIT_USAGE);
	assert_non_null(strstr(e.msg, "apiUrl"));
}

static void base_url_checks(void **state)
{
	(void)state;
	char b[64];
	sf_err e = { 0 };
	assert_int_equal(sf_cloud_check_base_url("https://h/p///", b, sizeof b, &e), 0);
	assert_string_equal(b, "https://h/p");
	assert_int_equal(sf_cloud_check_base_url("https://h?x", b, sizeof b, &e), SF_EXIT_USAGE);
	assert_int_equal(sf_cloud_check_base_url("https://u:p@h", b, sizeof b, &e), SF_EXIT_USAGE);
	assert_int_equal(sf_cloud_check_base_url("http://", b, sizeof b, &e), SF_EXIT_USAGE);
	assert_int_equal(sf_cloud_check_base_url("http://h /", b, sizeof b, &e), SF_EXIT_USAGE);
}

/* Found by fuzzing: a server's huge expires_in overflowed the addition. */
static void expiry_text(void **state)
{
	(void)state;
	char b[64];
	long long back;
	assert_true(sf_cloud_expiry_text(1700000000LL, 7776000, b, sizeof b));
	assert_string_equal(b, "2024-02-12T22:13:20.000Z");
	assert_true(sf_cloud_parse_iso_time(b, &back));
	assert_int_equal(back, 1700000000LL + 7776000);
	assert_false(sf_cloud_expiry_text(1700000000LL, 0, b, sizeof b));
	assert_false(sf_cloud_expiry_text(1700000000LL, -5, b, sizeof b));
	assert_false(sf_cloud_expiry_text(1700000000LL, 9223372036854775807LL, b, sizeof b));
	assert_false(sf_cloud_expiry_text(1700000000LL, 253402300799LL, b, sizeof b));
	assert_true(sf_cloud_expiry_text(0, 253402300799LL, b, sizeof b));
	assert_string_equal(b, "9999-12-31T23:59:59.000Z");
}

static void expiry(void **state)
{
	(void)state;
	long long t;
	assert_true(sf_cloud_parse_iso_time("1970-01-01T00:00:00Z", &t));
	assert_int_equal(t, 0);
	assert_true(sf_cloud_parse_iso_time("2001-09-09T01:46:40.000Z", &t));
	assert_int_equal(t, 1000000000);
	assert_true(sf_cloud_parse_iso_time("2024-02-29T23:59:59", &t));
	assert_int_equal(t, 1709251199);
	assert_false(sf_cloud_parse_iso_time("2024-02-29", &t));
	assert_false(sf_cloud_parse_iso_time("2024-02-29T23:59:59+01:00", &t));
	assert_false(sf_cloud_parse_iso_time("2024-13-01T00:00:00Z", &t));
	assert_false(sf_cloud_parse_iso_time("2024-02-29T23:59:59.Z", &t));

	sf_cloud_inputs in = { .profile_cfg = "{\"access_token\":\"t\",\"access_token_expires_at\":\"2001-09-09T01:46:40.000Z\"}",
			       .profile_cfg_name = "P", .now = 1000000000 };
	sf_cloud_settings s;
	sf_err e = { 0 };
	assert_int_equal(sf_cloud_resolve_settings(&in, &s, &e), SF_EXIT_CLOUD_AUTH);
	assert_non_null(strstr(e.msg, "expired"));
	assert_string_equal(s.token, "");
	in.now = 999999999;
	assert_int_equal(sf_cloud_resolve_settings(&in, &s, &e), 0);
	assert_string_equal(s.token, "t");
	in.now = 0; /* check off */
	assert_int_equal(sf_cloud_resolve_settings(&in, &s, &e), 0);
	/* null = never expires; the environment is never checked */
	in.now = 2000000000;
	in.profile_cfg = "{\"access_token\":\"t\",\"access_token_expires_at\":null}";
	assert_int_equal(sf_cloud_resolve_settings(&in, &s, &e), 0);
	in.profile_cfg = "{\"access_token\":\"t\",\"access_token_expires_at\":\"2001-01-01T00:00:00Z\"}";
	in.env_token = "envtok";
	assert_int_equal(sf_cloud_resolve_settings(&in, &s, &e), 0);
	assert_string_equal(s.token, "envtok");
}

static void profile_names(void **state)
{
	(void)state;
	char b[80];
	int bad;
	sf_cloud_profile_name(NULL, b, sizeof b, &bad);
	assert_string_equal(b, "particle");
	assert_int_equal(bad, 0);
	sf_cloud_profile_name("{\"name\":\"staging\"}", b, sizeof b, &bad);
	assert_string_equal(b, "staging");
	sf_cloud_profile_name("{\"name\":\"../../etc/x\"}", b, sizeof b, &bad);
	assert_string_equal(b, "particle");
	assert_int_equal(bad, 1);
	sf_cloud_profile_name("[1]", b, sizeof b, &bad);
	assert_string_equal(b, "particle");
	assert_int_equal(bad, 1);
}

static void rewrite_config(void **state)
{
	(void)state;
	sf_err e = { 0 };
	int had;
	char *s = sf_cloud_config_with_token("{\"apiUrl\":\"http://a\"}", "tok", "me@x", NULL, &e);
	assert_non_null(s);
	json_t *d = json_loads(s, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(d, "access_token")), "tok");
	assert_string_equal(json_string_value(json_object_get(d, "apiUrl")), "http://a");
	assert_true(json_is_null(json_object_get(d, "access_token_expires_at")));
	json_decref(d);
	char *t = sf_cloud_config_without_token(s, &had, &e);
	assert_int_equal(had, 1);
	assert_null(strstr(t, "tok\""));
	assert_non_null(strstr(t, "apiUrl"));
	free(s);
	free(t);
	assert_null(sf_cloud_config_with_token("[]", "t", NULL, NULL, &e));
	assert_int_equal(e.code, SF_EXIT_REFUSED);
	s = sf_cloud_config_with_token("  ", "t", NULL, "2030-01-01T00:00:00Z", &e);
	assert_non_null(strstr(s, "2030"));
	free(s);
	/* found by fuzzing: a name that is not UTF-8 was not saved, so the
	 * previous account's name stayed next to the new token */
	s = sf_cloud_config_with_token("{\"username\":\"old@x\"}", "t2", "new\xff@x", NULL, &e);
	assert_non_null(s);
	d = json_loads(s, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(d, "username")), "new?@x");
	json_decref(d);
	free(s);
}

/* Random and mutated config texts must never crash the parser. */
static void fuzz_config(void **state)
{
	(void)state;
	static const char *const seeds[] = {
		"{\"access_token\":\"abc\",\"apiUrl\":\"http://h:1\"}", "{\"name\":\"p\"}", "[]", "\"x\"",
	};
	unsigned seed = (unsigned)time(NULL);
	printf("# fuzz seeds: 1 and %u\n", seed);
	for (int round = 0; round < 2; round++) {
		srand(round == 0 ? 1 : seed);
		for (int it = 0; it < 3000; it++) {
			char buf[128];
			const char *s = seeds[rand() % 4];
			size_t n = strlen(s);
			memcpy(buf, s, n + 1);
			for (int k = rand() % 6; k >= 0; k--)
				buf[rand() % n] = (char)(rand() % 256 ? rand() % 256 : 'a');
			buf[rand() % (n + 1)] = '\0';
			sf_cloud_inputs in = { .profile_cfg = buf, .spark_cfg = buf, .now = 1000000000 };
			long long tt;
			sf_cloud_parse_iso_time(buf, &tt);
			sf_cloud_settings st;
			sf_err e = { 0 };
			char b[64];
			int bad, had;
			sf_cloud_resolve_settings(&in, &st, &e);
			sf_cloud_profile_name(buf, b, sizeof b, &bad);
			free(sf_cloud_config_with_token(buf, "t", "u", NULL, &e));
			free(sf_cloud_config_without_token(buf, &had, &e));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(precedence_env_first),
		cmocka_unit_test(precedence_profile_then_spark),
		cmocka_unit_test(bad_config_skipped_with_warning),
		cmocka_unit_test(token_with_newline_refused),
		cmocka_unit_test(api_url_precedence),
		cmocka_unit_test(api_url_too_long),
		cmocka_unit_test(expiry_text),
		cmocka_unit_test(base_url_checks),
		cmocka_unit_test(expiry),
		cmocka_unit_test(profile_names),
		cmocka_unit_test(rewrite_config),
		cmocka_unit_test(fuzz_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
