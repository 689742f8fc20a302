/* flash --retries / --deadline: which failures are retried, the backoff,
 * and the deadline arithmetic. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "runpolicy.h"
#include "sf_error.h"

#define IDS(...) ((const char *const[]){ __VA_ARGS__ }), (sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

static void retried_ids(void **state)
{
	(void)state;
	assert_string_equal(sf_retry_reason(6, IDS("device-lost"), false), "device-lost");
	assert_string_equal(sf_retry_reason(6, IDS("transfer-stalled", "suffix-missing"), false), "transfer-stalled");
	assert_string_equal(sf_retry_reason(6, IDS("device-busy"), false), "device-busy");
	assert_string_equal(sf_retry_reason(6, IDS("write-failed"), false), "write-failed");
	assert_string_equal(sf_retry_reason(6, IDS("erase-failed"), true), "erase-failed");
}

static void never_retried(void **state)
{
	(void)state;
	/* success, even with a retryable id among the notes */
	assert_null(sf_retry_reason(0, IDS("device-lost"), false));
	/* refusal, permission, dfu-util missing, verify mismatch, no device, timeout */
	assert_null(sf_retry_reason(3, IDS("page-not-writable"), false));
	assert_null(sf_retry_reason(3, IDS("device-lost"), false));
	assert_null(sf_retry_reason(5, IDS("permission-denied"), false));
	assert_null(sf_retry_reason(8, IDS("dfu-util-missing"), false));
	assert_null(sf_retry_reason(7, IDS("verify-mismatch"), true));
	assert_null(sf_retry_reason(4, IDS("no-device"), false));
	assert_null(sf_retry_reason(9, IDS("timeout"), false));
	/* interrupted by the user */
	assert_null(sf_retry_reason(130, IDS("interrupted"), false));
	/* other transfer failures */
	assert_null(sf_retry_reason(6, IDS("target-protected"), false));
	assert_null(sf_retry_reason(6, IDS("status-error"), false));
	assert_null(sf_retry_reason(6, IDS("unknown"), false));
	/* only the decisive (first) id counts */
	assert_null(sf_retry_reason(6, IDS("target-protected", "device-lost"), false));
	assert_null(sf_retry_reason(6, NULL, 0, false));
}

static void leave_unconfirmed_with_verify(void **state)
{
	(void)state;
	assert_null(sf_retry_reason(6, IDS("status-error", "leave-unconfirmed"), false));
	assert_string_equal(sf_retry_reason(6, IDS("status-error", "leave-unconfirmed"), true), "leave-unconfirmed");
}

static void backoff(void **state)
{
	(void)state;
	assert_true(sf_retry_delay(1) == 0.5);
	assert_true(sf_retry_delay(2) == 1.0);
	assert_true(sf_retry_delay(3) == 2.0);
	assert_true(sf_retry_delay(4) == 4.0);
	assert_true(sf_retry_delay(5) == 5.0);
	assert_true(sf_retry_delay(100) == 5.0);
	assert_true(sf_retry_delay(0) == 0.5);
}

static void deadline(void **state)
{
	(void)state;
	/* none */
	assert_true(sf_deadline_at(0, 100) == 0);
	assert_false(sf_deadline_passed(0, 1e9));
	assert_true(sf_deadline_clip(0, 0, 5) == 0);
	assert_true(sf_deadline_clip(30, 0, 5) == 30);
	assert_true(sf_deadline_left(0, 5) > 1e9);
	/* 10 s from t=100 */
	assert_true(sf_deadline_at(10, 100) == 110);
	assert_false(sf_deadline_passed(110, 109.9));
	assert_true(sf_deadline_passed(110, 110));
	assert_true(sf_deadline_left(110, 104) == 6);
	assert_true(sf_deadline_left(110, 120) == 0);
	/* the smaller of the per-run limit and what is left */
	assert_true(sf_deadline_clip(30, 110, 104) == 6);
	assert_true(sf_deadline_clip(2, 110, 104) == 2);
	assert_true(sf_deadline_clip(0, 110, 104) == 6);
	/* passed: a tiny limit, never "none" */
	assert_true(sf_deadline_clip(0, 110, 200) > 0);
	assert_true(sf_deadline_clip(0, 110, 200) < 0.01);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(retried_ids),
		cmocka_unit_test(never_retried),
		cmocka_unit_test(leave_unconfirmed_with_verify),
		cmocka_unit_test(backoff),
		cmocka_unit_test(deadline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
