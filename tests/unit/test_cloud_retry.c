/* Retry policy and Retry-After parsing (cloud_retry.c). */
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

#include "cloud_retry.h"

static const sf_retry_policy P = SF_RETRY_POLICY_DEFAULT;

static void get_retries(void **state)
{
	(void)state;
	long d = -1;
	assert_true(sf_retry_decide(&P, SF_REQ_GET, 1, SF_FAIL_CONNECT, 0, NULL, 0, 0, &d));
	assert_int_equal(d, 500);
	assert_true(sf_retry_decide(&P, SF_REQ_GET, 2, SF_FAIL_TRANSPORT, 0, NULL, 0, 0, &d));
	assert_int_equal(d, 1000);
	assert_true(sf_retry_decide(&P, SF_REQ_GET, 1, SF_FAIL_NONE, 502, NULL, 0, 0, &d));
	assert_true(sf_retry_decide(&P, SF_REQ_GET, 1, SF_FAIL_NONE, 503, NULL, 0, 0, &d));
	assert_true(sf_retry_decide(&P, SF_REQ_GET, 1, SF_FAIL_NONE, 504, NULL, 0, 0, &d));
	assert_true(sf_retry_decide(&P, SF_REQ_GET, 1, SF_FAIL_NONE, 429, "2", 0, 0, &d));
	assert_int_equal(d, 2000);
	assert_false(sf_retry_decide(&P, SF_REQ_GET, 1, SF_FAIL_NONE, 500, NULL, 0, 0, &d));
	assert_false(sf_retry_decide(&P, SF_REQ_GET, 1, SF_FAIL_NONE, 401, NULL, 0, 0, &d));
	assert_false(sf_retry_decide(&P, SF_REQ_GET, 1, SF_FAIL_TIMEOUT, 0, NULL, 0, 0, &d));
	assert_false(sf_retry_decide(&P, SF_REQ_GET, 1, SF_FAIL_TLS, 0, NULL, 0, 0, &d));
	/* bounded */
	assert_false(sf_retry_decide(&P, SF_REQ_GET, 4, SF_FAIL_CONNECT, 0, NULL, 0, 0, &d));
	/* Retry-After beyond the cap: give up and report */
	assert_false(sf_retry_decide(&P, SF_REQ_GET, 1, SF_FAIL_NONE, 429, "3600", 0, 0, &d));
}

static void put_retries(void **state)
{
	(void)state;
	long d;
	assert_true(sf_retry_decide(&P, SF_REQ_PUT, 1, SF_FAIL_NONE, 429, NULL, 0, 0, &d));
	assert_true(sf_retry_decide(&P, SF_REQ_PUT, 1, SF_FAIL_NONE, 503, NULL, 0, 0, &d));
	assert_true(sf_retry_decide(&P, SF_REQ_PUT, 1, SF_FAIL_CONNECT, 0, NULL, 0, 0, &d));
	assert_false(sf_retry_decide(&P, SF_REQ_PUT, 1, SF_FAIL_NONE, 502, NULL, 0, 0, &d));
	assert_false(sf_retry_decide(&P, SF_REQ_PUT, 1, SF_FAIL_NONE, 504, NULL, 0, 0, &d));
	assert_false(sf_retry_decide(&P, SF_REQ_PUT, 1, SF_FAIL_TIMEOUT, 0, NULL, 0, 0, &d));
	assert_false(sf_retry_decide(&P, SF_REQ_PUT, 1, SF_FAIL_TRANSPORT, 0, NULL, 0, 0, &d));
	assert_false(sf_retry_decide(&P, SF_REQ_LOGIN, 1, SF_FAIL_NONE, 429, NULL, 0, 0, &d));
	assert_true(sf_retry_decide(&P, SF_REQ_LOGIN, 1, SF_FAIL_CONNECT, 0, NULL, 0, 0, &d));
	assert_true(sf_retry_decide(&P, SF_REQ_DELETE, 1, SF_FAIL_NONE, 502, NULL, 0, 0, &d));
	assert_true(sf_retry_decide(&P, SF_REQ_DELETE, 1, SF_FAIL_TRANSPORT, 0, NULL, 0, 0, &d));
	assert_false(sf_retry_decide(&P, SF_REQ_LOGIN, 1, SF_FAIL_NONE, 400, NULL, 0, 0, &d));
	/* the key POST (provisioning) goes like the PUT */
	assert_true(sf_retry_decide(&P, SF_REQ_POST, 1, SF_FAIL_NONE, 503, NULL, 0, 0, &d));
	assert_true(sf_retry_decide(&P, SF_REQ_POST, 1, SF_FAIL_CONNECT, 0, NULL, 0, 0, &d));
	assert_false(sf_retry_decide(&P, SF_REQ_POST, 1, SF_FAIL_NONE, 500, NULL, 0, 0, &d));
	assert_false(sf_retry_decide(&P, SF_REQ_POST, 1, SF_FAIL_TIMEOUT, 0, NULL, 0, 0, &d));
	assert_false(sf_retry_decide(&P, SF_REQ_POST, 1, SF_FAIL_TRANSPORT, 0, NULL, 0, 0, &d));
}

static void backoff(void **state)
{
	(void)state;
	assert_int_equal(sf_retry_backoff_ms(&P, 1, 0), 500);
	assert_int_equal(sf_retry_backoff_ms(&P, 3, 0), 2000);
	assert_int_equal(sf_retry_backoff_ms(&P, 30, 0), 8000);
	assert_int_equal(sf_retry_backoff_ms(&P, 30, 0.99), 8000);
	assert_int_equal(sf_retry_backoff_ms(&P, 1, 0.5), 562);
}

static void retry_after(void **state)
{
	(void)state;
	long s;
	assert_true(sf_parse_retry_after("120", 0, &s));
	assert_int_equal(s, 120);
	assert_true(sf_parse_retry_after(" 0 ", 0, &s));
	assert_int_equal(s, 0);
	assert_false(sf_parse_retry_after("-1", 0, &s));
	assert_false(sf_parse_retry_after("1.5", 0, &s));
	assert_false(sf_parse_retry_after("", 0, &s));
	assert_false(sf_parse_retry_after("99999999999999", 0, &s));
	/* 784111777 = Sun, 06 Nov 1994 08:49:37 GMT */
	assert_true(sf_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30, &s));
	assert_int_equal(s, 30);
	assert_true(sf_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 30, &s));
	assert_int_equal(s, 0);
	assert_false(sf_parse_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", 0, &s));
	assert_false(sf_parse_retry_after("Sun, 06 Nov 1994 08:49:37 PST", 0, &s));
}

static void fuzz_retry_after(void **state)
{
	(void)state;
	static const char *const seeds[] = { "Sun, 06 Nov 1994 08:49:37 GMT", "120", "Wed, 29 Feb 2024 23:59:60 GMT" };
	unsigned seed = (unsigned)time(NULL);
	printf("# fuzz seeds: 1 and %u\n", seed);
	for (int round = 0; round < 2; round++) {
		srand(round == 0 ? 1 : seed);
		for (int it = 0; it < 5000; it++) {
			char buf[64];
			const char *s = seeds[rand() % 3];
			size_t n = strlen(s);
			long v;
			memcpy(buf, s, n + 1);
			for (int k = rand() % 4; k >= 0; k--)
				buf[rand() % n] = (char)(rand() % 256);
			buf[rand() % (n + 1)] = '\0';
			if (sf_parse_retry_after(buf, 784111777, &v))
				assert_true(v >= 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(get_retries),
		cmocka_unit_test(put_retries),
		cmocka_unit_test(backoff),
		cmocka_unit_test(retry_after),
		cmocka_unit_test(fuzz_retry_after),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
