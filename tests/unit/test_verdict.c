/* The judge's verdict on one run and on several: the outcome of a run comes
 * from sf_diagnose alone (transcript + sparkflash's notes). */
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

#include "diag.h"
#include "sf_error.h"
#include "tlog.h"

static void add(sf_transcript *t, sf_stream s, const char *text)
{
	assert_true(sf_transcript_add(t, s, text, strlen(text)));
}

static bool has_id(const sf_diag_result *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->items[i].id, id))
			return true;
	return false;
}

static const char *first_error(const sf_diag_result *r)
{
	return r->n && r->items[0].severity == SF_DIAG_ERROR ? r->items[0].id : "-";
}

static void base_download(sf_transcript *t, bool leave)
{
	add(t, SF_STREAM_STDOUT, "dfu-util 0.11");
	add(t, SF_STREAM_STDERR, "dfu-util: Warning: Invalid DFU suffix signature");
	add(t, SF_STREAM_STDERR, "dfu-util: A valid DFU suffix will be required in a future dfu-util release");
	add(t, SF_STREAM_STDOUT, "Opening DFU capable USB device...");
	add(t, SF_STREAM_STDOUT, "Device ID 1d50:607f");
	add(t, SF_STREAM_STDOUT, "DFU mode device DFU version 011a");
	add(t, SF_STREAM_STDOUT, "Downloading element to address = 0x08005000, size = 2500");
	add(t, SF_STREAM_STDOUT, "Download done.");
	add(t, SF_STREAM_STDOUT, "File downloaded successfully");
	if (leave)
		add(t, SF_STREAM_STDOUT, "Submitting leave request...");
}

static void exit_zero(void **s)
{
	sf_transcript t = { 0 };
	sf_diag_result r;
	(void)s;
	base_download(&t, true);
	add(&t, SF_STREAM_STDOUT, "Transitioning to dfuMANIFEST state");
	t.exited = true;
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_int_equal(r.verdict, SF_VERDICT_SUCCESS);
	assert_int_equal(r.exit_code, 0);
	assert_true(r.written);
	sf_diag_result_free(&r);
	sf_transcript_free(&t);
}

static void benign_leave(void **s)
{
	sf_transcript t = { 0 };
	sf_diag_result r;
	(void)s;
	base_download(&t, true);
	add(&t, SF_STREAM_STDERR, "dfu-util: Error during download get_status");
	t.exited = true;
	t.exit_status = 74;
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_int_equal(r.verdict, SF_VERDICT_WARNINGS);
	assert_true(has_id(&r, "leave-unconfirmed"));
	sf_diag_result_free(&r);

	/* sparkflash looked: the device is gone, so it left as asked */
	assert_true(sf_transcript_note(&t, SF_NOTE_AFTER_LEAVE, "gone"));
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_int_equal(r.verdict, SF_VERDICT_SUCCESS);
	assert_true(has_id(&r, "leave-unconfirmed"));
	sf_diag_result_free(&r);
	sf_transcript_free(&t);

	/* ... or still there: written, not left (a warning, never "reset") */
	memset(&t, 0, sizeof t);
	base_download(&t, true);
	add(&t, SF_STREAM_STDERR, "dfu-util: Error during download get_status");
	t.exited = true;
	t.exit_status = 74;
	assert_true(sf_transcript_note(&t, SF_NOTE_AFTER_LEAVE, "dfu"));
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_int_equal(r.verdict, SF_VERDICT_WARNINGS);
	assert_true(has_id(&r, "leave-ignored"));
	assert_false(has_id(&r, "leave-unconfirmed"));
	assert_null(strstr(r.items[0].summary, "reset"));
	sf_diag_result_free(&r);
	sf_transcript_free(&t);

	/* 0.9/0.10 print no leave line: after "File downloaded successfully"
	 * the data is in all the same */
	memset(&t, 0, sizeof t);
	base_download(&t, false);
	add(&t, SF_STREAM_STDERR, "dfu-util: Error during download get_status");
	t.exited = true;
	t.exit_status = 74;
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_int_equal(r.verdict, SF_VERDICT_WARNINGS);
	sf_diag_result_free(&r);
	sf_transcript_free(&t);
}

/* The device answers the leave request with an error status: it is still
 * in DFU mode (in dfuERROR); the data was written. */
static void status_error_at_leave(void **s)
{
	sf_transcript t = { 0 };
	sf_diag_result r;
	(void)s;
	base_download(&t, true);
	add(&t, SF_STREAM_STDERR, "DFU state(10) = dfuERROR, status(8) = Cannot program memory");
	add(&t, SF_STREAM_STDERR, "dfu-util: Error during download get_status");
	t.exited = true;
	t.exit_status = 74;
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_int_equal(r.verdict, SF_VERDICT_WARNINGS);
	assert_true(has_id(&r, "leave-ignored"));
	sf_diag_result_free(&r);
	sf_transcript_free(&t);
}

static void success_line_missing(void **s)
{
	sf_transcript t = { 0 };
	sf_diag_result r;
	(void)s;
	add(&t, SF_STREAM_STDOUT, "Downloading element to address = 0x08005000, size = 2500");
	add(&t, SF_STREAM_STDOUT, "Download\t[============             ]  48%         1200 bytes");
	add(&t, SF_STREAM_STDERR, "dfu-util: Error during download get_status");
	t.exited = true;
	t.exit_status = 74;
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_int_equal(r.verdict, SF_VERDICT_FAILURE);
	assert_string_equal(first_error(&r), "device-lost");
	assert_non_null(strstr(r.items[0].explanation, "48%"));
	sf_diag_result_free(&r);
	sf_transcript_free(&t);
}

/* The Core's first status is dfuERROR/errFIRMWARE, cleared at once: it is
 * never the diagnosis, neither of a success nor of a failure. */
static void cleared_first_status(void **s)
{
	sf_transcript t = { 0 };
	sf_diag_result r;
	(void)s;
	add(&t, SF_STREAM_STDOUT, "dfu-util 0.11");
	add(&t, SF_STREAM_STDOUT, "Determining device status...");
	add(&t, SF_STREAM_STDOUT, "DFU state(10) = dfuERROR, status(10) = Device's firmware is corrupt. It cannot return to run-time (non-DFU) operations");
	add(&t, SF_STREAM_STDOUT, "Clearing status");
	add(&t, SF_STREAM_STDOUT, "Determining device status...");
	add(&t, SF_STREAM_STDOUT, "DFU state(2) = dfuIDLE, status(0) = No error condition is present");
	add(&t, SF_STREAM_STDOUT, "DFU mode device DFU version 011a");
	add(&t, SF_STREAM_STDOUT, "Downloading element to address = 0x08005000, size = 5000");
	add(&t, SF_STREAM_STDOUT, "Download\t[====                     ]  20%         1024 bytes");
	t.exited = true;
	t.exit_status = 74;
	add(&t, SF_STREAM_STDERR, "dfu-util: Error during download get_status");
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_string_equal(first_error(&r), "device-lost");
	assert_false(has_id(&r, "status-error"));
	sf_diag_result_free(&r);
	/* the same start, then a read-only page: refused before data (exit 3) */
	t.n--;
	free(t.lines[t.n].text);
	add(&t, SF_STREAM_STDERR, "dfu-util: Page at 0x08000000 is not writeable");
	t.exit_status = 64;
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_string_equal(first_error(&r), "page-not-writable");
	assert_int_equal(r.exit_code, 3);
	sf_diag_result_free(&r);
	sf_transcript_free(&t);
}

static void mapping(void **s)
{
	static const struct { const char *line; int status; int code; } cases[] = {
		{ "dfu-util: Cannot open DFU device 1d50:607f found on devnum 7 (LIBUSB_ERROR_ACCESS)", 74, SF_EXIT_PERMISSION },
		{ "dfu-util: No DFU capable USB device available", 74, SF_EXIT_NO_DEVICE },
		{ "dfu-util: Invalid dfuse address: x", 64, SF_EXIT_REFUSED },
		{ "dfu-util: Error during download", 74, SF_EXIT_TRANSFER },
	};
	sf_diag_result r;
	(void)s;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		sf_transcript t = { 0 };
		add(&t, SF_STREAM_STDERR, cases[i].line);
		t.exited = true;
		t.exit_status = cases[i].status;
		assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
		assert_int_equal(r.verdict, SF_VERDICT_FAILURE);
		assert_int_equal(r.exit_code, cases[i].code);
		sf_diag_result_free(&r);
		sf_transcript_free(&t);
	}
	sf_transcript t = { 0 };
	t.timed_out = true;
	t.term_signal = 15;
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_int_equal(r.exit_code, SF_EXIT_TIMEOUT);
	sf_diag_result_free(&r);
	t.timed_out = false;
	t.term_signal = 0;
	t.spawn_failed = true;
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_int_equal(r.exit_code, SF_EXIT_DFU_UTIL);
	sf_diag_result_free(&r);
	t.spawn_failed = false;
	t.term_signal = 9;
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_int_equal(r.exit_code, SF_EXIT_TRANSFER);
	sf_diag_result_free(&r);
	/* the user's Ctrl-C and SIGTERM: interrupted, 128 + signal */
	t.term_signal = 2;
	t.interrupted = 2;
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_int_equal(r.verdict, SF_VERDICT_INTERRUPTED);
	assert_int_equal(r.exit_code, 130);
	sf_diag_result_free(&r);
	t.term_signal = 15;
	t.interrupted = 15;
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_int_equal(r.exit_code, 143);
	sf_diag_result_free(&r);
}

/* Several runs: the failing one is judged, not the listing after it; a
 * retry that worked wins; notes belong to the run before them. */
static void runs(void **s)
{
	sf_transcript t = { 0 };
	sf_diag_result r;
	sf_err err = { 0 };
	static const char fail_then_list[] =
		"$ dfu-util -D fw.bin\ndfu-util 0.9\n\n"
		"dfu-util: More than one DFU capable USB device found! Try `--list' and specify the serial number or disconnect all but one device\n"
		"$ dfu-util -l\ndfu-util 0.9\n\n"
		"Found DFU: [28e9:0189] ver=0100, devnum=12, cfg=1, intf=0, path=\"2-8\", alt=1, name=\"@Option Bytes  /0x1FFFF800/01*016Be\", serial=\"??\"\n"
		"Found DFU: [28e9:0189] ver=0100, devnum=12, cfg=1, intf=0, path=\"2-8\", alt=0, name=\"@Internal Flash  /0x08000000/128*001Kg\", serial=\"??\"\n";
	static const char runner_two[] =
		"$ /usr/bin/dfu-util -l\n[stdout] Found DFU: [1d50:607f] ver=0200, devnum=2, cfg=1, intf=0, path=\"1-1\", alt=0, name=\"x\", serial=\"A\"\n# exit 0\n"
		"$ /usr/bin/dfu-util -d 1d50:607f -a 0 -s 0x08005000:leave -D a.bin\n"
		"[stdout] Downloading element to address = 0x08005000, size = 5\n[stdout] File downloaded successfully\n"
		"[stdout] Submitting leave request...\n[stdout] Transitioning to dfuMANIFEST state\n# exit 0\n"
		"# after-leave dfu\n";
	(void)s;
	assert_int_equal(sf_tlog_parse(fail_then_list, sizeof fail_then_list - 1, &t, &err), 0);
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_string_equal(first_error(&r), "multiple-devices");
	assert_int_equal(r.runs, 2);
	assert_int_equal(r.decisive_run, 1);
	assert_non_null(strstr(r.items[0].summary, "2 alt settings"));
	sf_diag_result_free(&r);
	sf_transcript_free(&t);

	memset(&t, 0, sizeof t);
	assert_int_equal(sf_tlog_parse(runner_two, sizeof runner_two - 1, &t, &err), 0);
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_int_equal(r.runs, 2);
	assert_int_equal(r.decisive_run, 2);
	assert_int_equal(r.verdict, SF_VERDICT_WARNINGS);
	assert_true(has_id(&r, "leave-ignored"));
	sf_diag_result_free(&r);
	sf_transcript_free(&t);
}

/* A --log file of one invocation: header records, a failed attempt, the
 * CI facts (retry, compare, diff-run, backup) and the result record; the
 * judge reads it as a runner log, ignores those records and judges the
 * last run (a good retry: success). Without the retry the failure stands. */
static void log_header_and_ci_records(void **s)
{
	sf_transcript t = { 0 };
	sf_diag_result r;
	sf_err err = { 0 };
	static const char logf[] =
		"# sparkflash 0.1.0\n# command sparkflash flash --usb fw.bin --retries 2 --log r.log\n"
		"# started 2026-12-04T23:55:04Z\n"
		"$ /usr/bin/dfu-util -d 1d50:607f -S R1 -a 0 -i 0 -s 0x08005000:leave -D fw.bin\n"
		"[stdout] Downloading element to address = 0x08005000, size = 3000\n"
		"[stdout] DFU state(10) = dfuERROR, status(3) = Device is unable to write memory\n"
		"[stderr] dfu-util: Failed to write whole chunk: -1 of 1024 bytes\n# exit 74\n"
		"# retry 2 write-failed\n# compare changed 1 of 3 pages: 1 run: 0x08005400-0x080057ff (1 page)\n"
		"# backup /tmp/b/R1-alt0-0x08005000-3072.bin\n"
		"$ /usr/bin/dfu-util -d 1d50:607f -S R1 -a 0 -i 0 -s 0x08005400:leave -D run.bin\n"
		"[stdout] Downloading element to address = 0x08005400, size = 1024\n"
		"[stdout] File downloaded successfully\n[stdout] Submitting leave request...\n"
		"[stdout] Transitioning to dfuMANIFEST state\n# exit 0\n# diff-run 1 of 1 0x08005400-0x080057ff\n"
		"# after-leave gone\n# result success, exit 0: flashed fw.bin\n";
	(void)s;
	assert_int_equal(sf_tlog_parse(logf, sizeof logf - 1, &t, &err), 0);
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_int_equal(r.runs, 2);
	assert_int_equal(r.decisive_run, 2);
	assert_int_equal(r.verdict, SF_VERDICT_SUCCESS);
	assert_int_equal(r.exit_code, 0);
	sf_diag_result_free(&r);
	sf_transcript_free(&t);

	/* the same header, the failed attempt only */
	memset(&t, 0, sizeof t);
	assert_int_equal(sf_tlog_parse(logf, (size_t)(strstr(logf, "# retry") - logf), &t, &err), 0);
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_int_equal(r.exit_code, 6);
	assert_int_equal(r.verdict, SF_VERDICT_FAILURE);
	assert_string_equal(first_error(&r), "write-failed");
	sf_diag_result_free(&r);
	sf_transcript_free(&t);
}

/* Random transcripts built from real dfu-util lines, notes and noise: the
 * verdict is always consistent (failure ⇔ non-zero code; a success after a
 * non-zero exit only as a leave diagnosis of a download). */
static void fuzz(void **s)
{
	static const char *const pool[] = {
		"File downloaded successfully", "dfu-util: Error during download get_status",
		"Submitting leave request...", "dfu-util: Error during download",
		"DFU state(10) = dfuERROR, status(8) = x", "dfu-util: Warning: Invalid DFU suffix signature",
		"dfu-util: No DFU capable USB device available", "Download done.",
		"dfu-util: Cannot open DFU device 1d50:607f found on devnum 7 (LIBUSB_ERROR_ACCESS)", "",
		"dfu-util 0.11", "$ dfu-util -a 0 -s 0x08005000:leave -D x", "Clearing status",
		"Downloading element to address = 0x08005000, size = 0", "Found DFU: [1d50:607f] alt=0, name=\"x\"",
	};
	static const char *const notes[] = {
		"exit 74", "exit 0", "signal 9", "interrupted 2", "after-leave dfu", "after-leave gone",
		"verify mismatch 12 0x0-0xb", "verify ok", "select none", "select ambiguous", "timed-out",
	};
	unsigned seed = (unsigned)time(NULL);
	(void)s;
	printf("# fuzz seeds: 1 and %u\n", seed);
	for (int round = 0; round < 2; round++) {
		srand(round ? seed : 1);
		for (int i = 0; i < 5000; i++) {
			sf_transcript t = { 0 };
			sf_diag_result r;
			int n = rand() % 12;
			for (int k = 0; k < n; k++) {
				char junk[40];
				const char *line = pool[rand() % (int)(sizeof pool / sizeof *pool)];
				int st = rand() % 4;
				if (st == 3)
					line = notes[rand() % (int)(sizeof notes / sizeof *notes)];
				else if (rand() % 5 == 0) {
					for (size_t j = 0; j < sizeof junk - 1; j++)
						junk[j] = (char)(1 + rand() % 255);
					junk[sizeof junk - 1] = '\0';
					line = junk;
				}
				sf_transcript_add(&t, (sf_stream)st, line, strlen(line));
			}
			t.exited = rand() % 4 != 0;
			t.exit_status = rand() % 3 ? 74 : 0;
			t.timed_out = rand() % 10 == 0;
			t.term_signal = t.exited ? 0 : 9;
			assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
			assert_true((r.verdict == SF_VERDICT_FAILURE || r.verdict == SF_VERDICT_INTERRUPTED) ==
				    (r.exit_code != 0));
			if (r.n)
				assert_true(r.exit_code == 0 || r.exit_code == r.items[0].exit_code);
			sf_diag_result_free(&r);
			sf_transcript_free(&t);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_zero),
		cmocka_unit_test(benign_leave),
		cmocka_unit_test(status_error_at_leave),
		cmocka_unit_test(success_line_missing),
		cmocka_unit_test(cleared_first_status),
		cmocka_unit_test(mapping),
		cmocka_unit_test(runs),
		cmocka_unit_test(log_header_and_ci_records),
		cmocka_unit_test(fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
