/* Success decision for dfu-util transfers. */
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

#include "xferjudge.h"

static void add(sf_transcript *t, sf_stream s, const char *text)
{
	assert_true(sf_transcript_add(t, s, text, strlen(text)));
}

static void base_download(sf_transcript *t)
{
	add(t, SF_STREAM_STDOUT, "dfu-util 0.11");
	add(t, SF_STREAM_STDERR, "dfu-util: Warning: Invalid DFU suffix signature");
	add(t, SF_STREAM_STDERR, "dfu-util: A valid DFU suffix will be required in a future dfu-util release");
	add(t, SF_STREAM_STDOUT, "Download done.");
	add(t, SF_STREAM_STDOUT, "File downloaded successfully");
	add(t, SF_STREAM_STDOUT, "Submitting leave request...");
}

static void exit_zero(void **s)
{
	sf_transcript t = { 0 };
	sf_xfer_verdict v;
	(void)s;
	base_download(&t);
	t.exited = true;
	sf_xfer_judge(&t, false, true, &v);
	assert_true(v.ok);
	assert_false(v.leave_warning);
	sf_transcript_free(&t);
}

static void benign_leave(void **s)
{
	sf_transcript t = { 0 };
	sf_xfer_verdict v;
	(void)s;
	base_download(&t);
	add(&t, SF_STREAM_STDERR, "dfu-util: Error during download get_status");
	t.exited = true;
	t.exit_status = 74;
	sf_xfer_judge(&t, false, true, &v);
	assert_true(v.ok);
	assert_true(v.leave_warning);
	/* without a leave request it is a failure */
	sf_xfer_judge(&t, false, false, &v);
	assert_false(v.ok);
	assert_int_equal(v.code, SF_EXIT_TRANSFER);
	/* an upload never claims success on a non-zero exit */
	sf_xfer_judge(&t, true, true, &v);
	assert_false(v.ok);
	sf_transcript_free(&t);
}

/* `-s ADDR:leave` alone (DfuSe command mode, the --verify leave step): the
 * device resetting before the status answer is the same benign case. */
static void command_mode_leave(void **s)
{
	sf_transcript t = { 0 };
	sf_xfer_verdict v;
	(void)s;
	add(&t, SF_STREAM_STDOUT, "dfu-util 0.11");
	add(&t, SF_STREAM_STDOUT, "DfuSe interface name: \"Internal Flash  \"");
	add(&t, SF_STREAM_STDOUT, "DfuSe command mode");
	add(&t, SF_STREAM_STDOUT, "Submitting leave request...");
	t.exited = true;
	sf_xfer_judge(&t, false, true, &v);
	assert_true(v.ok);
	assert_false(v.leave_warning);
	add(&t, SF_STREAM_STDERR, "dfu-util: Error during download get_status");
	t.exit_status = 74;
	sf_xfer_judge(&t, false, true, &v);
	assert_true(v.ok);
	assert_true(v.leave_warning);
	assert_null(strstr(v.reason, "image was written"));
	/* another error after the request is a failure */
	add(&t, SF_STREAM_STDERR, "dfu-util: Error during download");
	sf_xfer_judge(&t, false, true, &v);
	assert_false(v.ok);
	sf_transcript_free(&t);
	/* no leave request printed: the command never got there */
	add(&t, SF_STREAM_STDOUT, "DfuSe command mode");
	add(&t, SF_STREAM_STDERR, "dfu-util: Error during download get_status");
	t.exited = true;
	t.exit_status = 74;
	sf_xfer_judge(&t, false, true, &v);
	assert_false(v.ok);
	sf_transcript_free(&t);
}

static void other_error_after_success(void **s)
{
	sf_transcript t = { 0 };
	sf_xfer_verdict v;
	(void)s;
	base_download(&t);
	add(&t, SF_STREAM_STDERR, "DFU state(10) = dfuERROR, status(8) = Cannot program memory");
	add(&t, SF_STREAM_STDERR, "dfu-util: Error during download get_status");
	t.exited = true;
	t.exit_status = 74;
	sf_xfer_judge(&t, false, true, &v);
	assert_false(v.ok);
	assert_int_equal(v.code, SF_EXIT_TRANSFER);
	sf_transcript_free(&t);
}

static void success_line_missing(void **s)
{
	sf_transcript t = { 0 };
	sf_xfer_verdict v;
	(void)s;
	add(&t, SF_STREAM_STDOUT, "Download done.");
	add(&t, SF_STREAM_STDERR, "dfu-util: Error during download get_status");
	t.exited = true;
	t.exit_status = 74;
	sf_xfer_judge(&t, false, true, &v);
	assert_false(v.ok);
	assert_non_null(strstr(v.reason, "Error during download get_status"));
	sf_transcript_free(&t);
}

static void mapping(void **s)
{
	static const struct { const char *line; int status; int code; } cases[] = {
		{ "dfu-util: Cannot open DFU device 1d50:607f found on devnum 7 (LIBUSB_ERROR_ACCESS)", 74, SF_EXIT_PERMISSION },
		{ "dfu-util: No DFU capable USB device available", 74, SF_EXIT_NO_DEVICE },
		{ "dfu-util: Invalid dfuse address: x", 64, SF_EXIT_DFU_UTIL },
		{ "dfu-util: Error during download", 74, SF_EXIT_TRANSFER },
	};
	(void)s;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		sf_transcript t = { 0 };
		sf_xfer_verdict v;
		add(&t, SF_STREAM_STDERR, cases[i].line);
		t.exited = true;
		t.exit_status = cases[i].status;
		sf_xfer_judge(&t, false, false, &v);
		assert_false(v.ok);
		assert_int_equal(v.code, cases[i].code);
		sf_transcript_free(&t);
	}
	sf_transcript t = { 0 };
	sf_xfer_verdict v;
	t.timed_out = true;
	sf_xfer_judge(&t, false, false, &v);
	assert_int_equal(v.code, SF_EXIT_TIMEOUT);
	t.timed_out = false;
	t.spawn_failed = true;
	sf_xfer_judge(&t, false, false, &v);
	assert_int_equal(v.code, SF_EXIT_DFU_UTIL);
	t.spawn_failed = false;
	t.term_signal = 9;
	sf_xfer_judge(&t, false, false, &v);
	assert_int_equal(v.code, SF_EXIT_TRANSFER);
}

/* Random transcripts built from real dfu-util lines and noise: the verdict
 * is always consistent (ok ⇔ code 0; success on exit != 0 only as the
 * leave-warning case of a download with leave). */
static void fuzz(void **s)
{
	static const char *const pool[] = {
		"File downloaded successfully", "dfu-util: Error during download get_status",
		"Submitting leave request...", "dfu-util: Error during download",
		"DFU state(10) = dfuERROR, status(8) = x", "dfu-util: Warning: Invalid DFU suffix signature",
		"dfu-util: No DFU capable USB device available", "Download done.",
		"dfu-util: Cannot open DFU device 1d50:607f found on devnum 7 (LIBUSB_ERROR_ACCESS)", "",
	};
	unsigned seed = (unsigned)time(NULL);
	(void)s;
	printf("# fuzz seeds: 1 and %u\n", seed);
	for (int round = 0; round < 2; round++) {
		srand(round ? seed : 1);
		for (int i = 0; i < 5000; i++) {
			sf_transcript t = { 0 };
			sf_xfer_verdict v;
			int n = rand() % 8;
			for (int k = 0; k < n; k++) {
				char junk[40];
				const char *line = pool[rand() % 10];
				if (rand() % 5 == 0) {
					for (size_t j = 0; j < sizeof junk - 1; j++)
						junk[j] = (char)(1 + rand() % 255);
					junk[sizeof junk - 1] = '\0';
					line = junk;
				}
				sf_transcript_add(&t, (sf_stream)(rand() % 3), line, strlen(line));
			}
			t.exited = rand() % 4 != 0;
			t.exit_status = rand() % 3 ? 74 : 0;
			t.timed_out = rand() % 10 == 0;
			t.term_signal = t.exited ? 0 : 9;
			bool up = rand() % 2, leave = rand() % 2;
			sf_xfer_judge(&t, up, leave, &v);
			assert_true(v.ok == (v.code == 0));
			if (v.ok && (t.exit_status != 0 || !t.exited)) {
				assert_true(v.leave_warning);
				assert_false(up);
				assert_true(leave);
			}
			assert_true(strlen(v.reason) < sizeof v.reason);
			sf_transcript_free(&t);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_zero),
		cmocka_unit_test(benign_leave),
		cmocka_unit_test(command_mode_leave),
		cmocka_unit_test(other_error_after_success),
		cmocka_unit_test(success_line_missing),
		cmocka_unit_test(mapping),
		cmocka_unit_test(fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
