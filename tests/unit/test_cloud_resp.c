/* Response classification (cloud_resp.c). */
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

#include "cloud_resp.h"

static int cls(sf_cloud_op op, long st, const char *body, char *msg)
{
	sf_cloud_outcome o;
	int rc = sf_cloud_classify(op, st, body, body ? strlen(body) : 0, "dev1", &o);
	if (msg)
		snprintf(msg, SF_ERR_MSG_MAX, "%s", o.msg);
	json_decref(o.body);
	return rc;
}

static void flash_success(void **state)
{
	(void)state;
	char m[SF_ERR_MSG_MAX];
	assert_int_equal(cls(SF_CLOUD_OP_FLASH, 200, "{\"id\":\"x\",\"status\":\"Update started\"}", m), 0);
	assert_string_equal(m, "Update started");
	assert_int_equal(cls(SF_CLOUD_OP_FLASH, 200, "{\"ok\":true,\"firmware_binary_id\":\"1\"}", m), 0);
	assert_int_equal(cls(SF_CLOUD_OP_FLASH, 200, "{\"status\":\"update STARTED\"}", m), 0);
}

static void flash_failures(void **state)
{
	(void)state;
	char m[SF_ERR_MSG_MAX];
	assert_int_equal(cls(SF_CLOUD_OP_FLASH, 200, "{\"ok\":false,\"errors\":[{\"error\":\"Timed out.\"}]}", m), SF_EXIT_CLOUD_DEVICE);
	assert_non_null(strstr(m, "offline"));
	assert_non_null(strstr(m, "Timed out."));
	assert_int_equal(cls(SF_CLOUD_OP_FLASH, 200, "{\"ok\":false,\"errors\":[{\"id\":\"a\",\"status\":\"Update failed - bad\"}]}", m), SF_EXIT_CLOUD_DEVICE);
	assert_non_null(strstr(m, "Update failed - bad"));
	assert_int_equal(cls(SF_CLOUD_OP_FLASH, 200, "{\"status\":\"Flash requires modules not present on device\"}", m), SF_EXIT_CLOUD_DEVICE);
	assert_non_null(strstr(m, "Flash requires modules"));
	assert_int_equal(cls(SF_CLOUD_OP_FLASH, 200, "{}", m), SF_EXIT_CLOUD_NETWORK);
	assert_int_equal(cls(SF_CLOUD_OP_FLASH, 200, "", m), SF_EXIT_CLOUD_NETWORK);
	assert_non_null(strstr(m, "empty"));
	assert_int_equal(cls(SF_CLOUD_OP_FLASH, 200, "\"hello\"", m), SF_EXIT_CLOUD_NETWORK);
	assert_non_null(strstr(m, "hello"));
	assert_int_equal(cls(SF_CLOUD_OP_FLASH, 200, "<html>oops</html>", m), SF_EXIT_CLOUD_NETWORK);
	assert_non_null(strstr(m, "non-JSON"));
	assert_int_equal(cls(SF_CLOUD_OP_FLASH, 404, "{\"ok\":false,\"error\":\"Device is not connected\"}", m), SF_EXIT_CLOUD_DEVICE);
	assert_non_null(strstr(m, "offline"));
	assert_int_equal(cls(SF_CLOUD_OP_FLASH, 400, "{\"ok\":false,\"errors\":[\"Update failed - File was too small!\"]}", m), SF_EXIT_CLOUD_DEVICE);
	assert_non_null(strstr(m, "too small"));
	assert_int_equal(cls(SF_CLOUD_OP_FLASH, 502, "<html><body>Bad gateway</body></html>", m), SF_EXIT_CLOUD_NETWORK);
	assert_non_null(strstr(m, "502"));
	assert_int_equal(cls(SF_CLOUD_OP_FLASH, 500, "{\"error\":\"internal error\"}", m), SF_EXIT_CLOUD_NETWORK);
	assert_int_equal(cls(SF_CLOUD_OP_FLASH, 503, NULL, m), SF_EXIT_CLOUD_NETWORK);
	assert_non_null(strstr(m, "Service Unavailable"));
	assert_int_equal(cls(SF_CLOUD_OP_FLASH, 429, "", m), SF_EXIT_CLOUD_NETWORK);
	assert_non_null(strstr(m, "rate limited"));
}

static void auth_and_lookup(void **state)
{
	(void)state;
	char m[SF_ERR_MSG_MAX];
	assert_int_equal(cls(SF_CLOUD_OP_LOOKUP, 401, "{\"error\":\"invalid_token\",\"error_description\":\"The access token provided has expired.\"}", m), SF_EXIT_CLOUD_AUTH);
	assert_non_null(strstr(m, "expired"));
	assert_int_equal(cls(SF_CLOUD_OP_LOOKUP, 400, "{\"error\":\"invalid_request\",\"error_description\":\"The access token was not found\"}", m), SF_EXIT_CLOUD_AUTH);
	assert_int_equal(cls(SF_CLOUD_OP_LOOKUP, 403, "{\"error\":\"Permission Denied\",\"info\":\"I didn't recognize that device name or ID\"}", m), SF_EXIT_CLOUD_DEVICE);
	assert_non_null(strstr(m, "'dev1' not found"));
	assert_int_equal(cls(SF_CLOUD_OP_LOOKUP, 404, "\"Oops, I couldn't find that core\"", m), SF_EXIT_CLOUD_DEVICE);
	assert_int_equal(cls(SF_CLOUD_OP_LOOKUP, 200, "{\"id\":\"0123456789abcdef01234567\"}", m), 0);
	assert_int_equal(cls(SF_CLOUD_OP_LOOKUP, 200, "[]", m), SF_EXIT_CLOUD_NETWORK);
	assert_int_equal(cls(SF_CLOUD_OP_LIST, 200, "[]", m), 0);
	assert_int_equal(cls(SF_CLOUD_OP_LIST, 200, "{}", m), SF_EXIT_CLOUD_NETWORK);
	assert_int_equal(cls(SF_CLOUD_OP_LOGIN, 400, "{\"error\":\"invalid_grant\",\"error_description\":\"User credentials are invalid\"}", m), SF_EXIT_CLOUD_AUTH);
	assert_non_null(strstr(m, "invalid credentials"));
	assert_int_equal(cls(SF_CLOUD_OP_LOGIN, 200, "{\"access_token\":\"x\"}", m), 0);
	assert_int_equal(cls(SF_CLOUD_OP_LOGIN, 200, "{\"token_type\":\"bearer\"}", m), SF_EXIT_CLOUD_NETWORK);
}

/* POST /v1/provisioning/:id: anything 2xx without an error marker is
 * accepted (spark-server: the bare string "Success!"); errors say why. */
static void provisioning(void **state)
{
	(void)state;
	char m[SF_ERR_MSG_MAX];
	assert_int_equal(cls(SF_CLOUD_OP_PROVISION, 200, "{\"ok\":true}", m), 0);
	assert_int_equal(cls(SF_CLOUD_OP_PROVISION, 200, "\"Success!\"", m), 0);
	assert_int_equal(cls(SF_CLOUD_OP_PROVISION, 200, "{\"error\":\"Key error\"}", m), SF_EXIT_CLOUD_DEVICE);
	assert_non_null(strstr(m, "rejected the public key of device 'dev1': Key error"));
	assert_int_equal(cls(SF_CLOUD_OP_PROVISION, 200, "{\"ok\":false}", m), SF_EXIT_CLOUD_DEVICE);
	assert_int_equal(cls(SF_CLOUD_OP_PROVISION, 200, "", m), SF_EXIT_CLOUD_NETWORK);
	assert_int_equal(cls(SF_CLOUD_OP_PROVISION, 200, "<html>", m), SF_EXIT_CLOUD_NETWORK);
	assert_int_equal(cls(SF_CLOUD_OP_PROVISION, 400, "{\"ok\":false,\"error\":\"No key provided\"}", m), SF_EXIT_CLOUD_DEVICE);
	assert_non_null(strstr(m, "(HTTP 400): No key provided"));
	assert_int_equal(cls(SF_CLOUD_OP_PROVISION, 403, "{\"error\":\"Permission Denied\"}", m), SF_EXIT_CLOUD_DEVICE);
	assert_non_null(strstr(m, "another account"));
	assert_int_equal(cls(SF_CLOUD_OP_PROVISION, 404, "{\"error\":\"Not Found\"}", m), SF_EXIT_CLOUD_DEVICE);
	assert_null(strstr(m, "offline"));
	assert_int_equal(cls(SF_CLOUD_OP_PROVISION, 401, "{\"error\":\"invalid_token\"}", m), SF_EXIT_CLOUD_AUTH);
	assert_int_equal(cls(SF_CLOUD_OP_PROVISION, 500, "{\"error\":\"internal error\"}", m), SF_EXIT_CLOUD_NETWORK);
	assert_int_equal(cls(SF_CLOUD_OP_USER, 200, "{\"username\":\"u\"}", m), 0);
	assert_int_equal(cls(SF_CLOUD_OP_USER, 401, "{\"error\":\"invalid_token\"}", m), SF_EXIT_CLOUD_AUTH);
	assert_int_equal(cls(SF_CLOUD_OP_USER, 404, "{\"error\":\"Not Found\"}", m), SF_EXIT_CLOUD_NETWORK);
}

static void body_messages(void **state)
{
	(void)state;
	char b[128];
	json_t *d = json_loads("{\"errors\":[\"a\",{\"error\":\"b\"},{\"error\":{\"status\":\"c\"}},3],\"info\":\"i\"}", 0, NULL);
	assert_true(sf_cloud_body_message(d, b, sizeof b));
	assert_string_equal(b, "a; b; c");
	json_decref(d);
	d = json_loads("{\"error\":\"e\",\"error_description\":\"d\\nx\"}", 0, NULL);
	assert_true(sf_cloud_body_message(d, b, sizeof b));
	assert_string_equal(b, "d x");
	json_decref(d);
	d = json_loads("{\"x\":1}", 0, NULL);
	assert_false(sf_cloud_body_message(d, b, sizeof b));
	json_decref(d);
}

static void redaction(void **state)
{
	(void)state;
	char b[64] = "token=SECRET and SECRET again";
	sf_cloud_redact(b, sizeof b, "SECRET");
	assert_string_equal(b, "token=<redacted> and <redacted> again");
	char s[16] = "xxxxxxxAB";
	sf_cloud_redact(s, sizeof s, "AB");
	assert_null(strstr(s, "AB"));
	char t[12] = "ABABABABAB";
	sf_cloud_redact(t, sizeof t, "AB");
	assert_null(strstr(t, "AB"));
	assert_true(strlen(t) < sizeof t);
	sf_cloud_redact(t, sizeof t, "");
}

static void fuzz_bodies(void **state)
{
	(void)state;
	static const char *const seeds[] = {
		"{\"ok\":false,\"errors\":[{\"error\":{\"status\":\"x\"}},\"y\"]}",
		"{\"id\":\"0123456789abcdef01234567\",\"status\":\"Update started\"}",
		"{\"error\":\"invalid_token\",\"error_description\":\"expired\"}", "[1,2]", "\"str\"",
	};
	static const long statuses[] = { 200, 400, 401, 403, 404, 429, 500, 502, 0, 302 };
	unsigned seed = (unsigned)time(NULL);
	printf("# fuzz seeds: 1 and %u\n", seed);
	for (int round = 0; round < 2; round++) {
		srand(round == 0 ? 1 : seed);
		for (int it = 0; it < 4000; it++) {
			char buf[160];
			const char *s = seeds[rand() % 5];
			size_t n = strlen(s);
			memcpy(buf, s, n + 1);
			for (int k = rand() % 5; k >= 0; k--)
				buf[rand() % n] = (char)(rand() % 256);
			size_t len = (size_t)rand() % (n + 1);
			sf_cloud_outcome o;
			sf_cloud_classify((sf_cloud_op)(rand() % 4), statuses[rand() % 10], buf, len, "d", &o);
			assert_true(o.msg[0] != '\0');
			json_decref(o.body);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flash_success),
		cmocka_unit_test(flash_failures),
		cmocka_unit_test(auth_and_lookup),
		cmocka_unit_test(provisioning),
		cmocka_unit_test(body_messages),
		cmocka_unit_test(redaction),
		cmocka_unit_test(fuzz_bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
