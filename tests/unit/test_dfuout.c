/* dfuout: classification of dfu-util output lines (0.7 to 0.11 texts), the
 * `-l` grouper, and a fuzz loop. Samples are dfu-util's own texts from
 * the reference (dfu-util.md §2). */
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

#include "dfuout.h"

#define CORE_ALT1 "Found DFU: [1d50:607f] ver=0200, devnum=7, cfg=1, intf=0, path=\"1-1\", alt=1, name=\"@SPI Flash : SST25x/0x00000000/512*04Kg\", serial=\"6D92487A5151\""
#define CORE_ALT0 "Found DFU: [1d50:607f] ver=0200, devnum=7, cfg=1, intf=0, path=\"1-1\", alt=0, name=\"@Internal Flash  /0x08000000/20*001Ka,108*001Kg\", serial=\"6D92487A5151\""
#define PHOTON_ALT0 "Found DFU: [2b04:d006] ver=0250, devnum=12, cfg=1, intf=0, path=\"3-1.4.2\", alt=0, name=\"@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg\", serial=\"00000000010C\""
#define PHOTON_ALT1 "Found DFU: [2b04:d006] ver=0250, devnum=12, cfg=1, intf=0, path=\"3-1.4.2\", alt=1, name=\"@DCT Flash   /0x00000000/01*016Kg\", serial=\"00000000010C\""
#define RUNTIME "Found Runtime: [2b04:c006] ver=0250, devnum=13, cfg=1, intf=2, path=\"1-2\", alt=0, name=\"UNKNOWN\", serial=\"3a0027001347343339383037\""
/* 0.8: no path= */
#define V08 "Found DFU: [1d50:607f] ver=0200, devnum=5, cfg=1, intf=0, alt=0, name=\"@Internal Flash  /0x08000000/20*001Ka,108*001Kg\", serial=\"8D82477F5353\""
/* 0.7: no ver=, path=, serial= */
#define V07 "Found DFU: [1d50:607f] devnum=0, cfg=1, intf=0, alt=1, name=\"UNDEFINED\""

static void test_progress(void **state)
{
	sf_dfu_line l;
	(void)state;
	assert_int_equal(sf_dfu_classify("Erase   \t[                         ]   0%            0 bytes", &l),
			 SF_DLINE_PROGRESS);
	assert_int_equal(l.phase, SF_PHASE_ERASE);
	assert_int_equal(l.percent, 0);
	assert_int_equal(l.bytes, 0);
	assert_int_equal(sf_dfu_classify("Download\t[==========               ]  40%         1024 bytes", &l),
			 SF_DLINE_PROGRESS);
	assert_int_equal(l.phase, SF_PHASE_DOWNLOAD);
	assert_int_equal(l.percent, 40);
	assert_int_equal(l.bytes, 1024);
	assert_int_equal(sf_dfu_classify("Upload\t[=========================] 100%       110592 bytes", &l),
			 SF_DLINE_PROGRESS);
	assert_int_equal(l.phase, SF_PHASE_UPLOAD);
	assert_int_equal(l.percent, 100);
	assert_int_equal(l.bytes, 110592);
	assert_string_equal(sf_dfu_phase_name(l.phase), "upload");
	/* tolerated variants: no tab, shorter bar */
	assert_int_equal(sf_dfu_classify("Download [=====     ]  50% 77 bytes", &l), SF_DLINE_PROGRESS);
	assert_int_equal(l.bytes, 77);
	/* not progress */
	assert_int_equal(sf_dfu_classify("Download\t[=====] 101% 5 bytes", &l), SF_DLINE_OTHER);
	assert_int_equal(sf_dfu_classify("Download\t[=====]  10% 5 byte", &l), SF_DLINE_OTHER);
	assert_int_equal(sf_dfu_classify("Download\t[=x===]  10% 5 bytes", &l), SF_DLINE_OTHER);
	assert_int_equal(sf_dfu_classify("Download\t[=====]  10% bytes", &l), SF_DLINE_OTHER);
	assert_int_equal(sf_dfu_classify("Downloading element to address = 0x08005000, size = 2500", &l),
			 SF_DLINE_OTHER);
	assert_int_equal(sf_dfu_classify("Download\t[=] 5% 99999999999999999999999 bytes", &l), SF_DLINE_OTHER);
}

static void test_done(void **state)
{
	sf_dfu_line l;
	(void)state;
	assert_int_equal(sf_dfu_classify("Erase    done.", &l), SF_DLINE_PHASE_DONE);
	assert_int_equal(l.phase, SF_PHASE_ERASE);
	assert_int_equal(sf_dfu_classify("Download done.", &l), SF_DLINE_PHASE_DONE);
	assert_int_equal(l.phase, SF_PHASE_DOWNLOAD);
	assert_int_equal(sf_dfu_classify("Upload done.", &l), SF_DLINE_PHASE_DONE);
	assert_int_equal(l.phase, SF_PHASE_UPLOAD);
	assert_int_equal(sf_dfu_classify("Download done. extra", &l), SF_DLINE_OTHER);
	assert_int_equal(sf_dfu_classify("Downloaddone.", &l), SF_DLINE_OTHER);
	assert_int_equal(sf_dfu_classify("Done!", &l), SF_DLINE_OTHER);
}

static void test_banner(void **state)
{
	sf_dfu_line l;
	(void)state;
	assert_int_equal(sf_dfu_classify("dfu-util 0.11", &l), SF_DLINE_BANNER);
	assert_string_equal(l.version, "0.11");
	assert_int_equal(l.major, 0);
	assert_int_equal(l.minor, 11);
	assert_int_equal(sf_dfu_classify("dfu-util 0.9-msvc", &l), SF_DLINE_BANNER);
	assert_string_equal(l.version, "0.9-msvc");
	assert_int_equal(l.minor, 9);
	assert_int_equal(sf_dfu_classify("dfu-util 0.11-dev", &l), SF_DLINE_BANNER);
	assert_string_equal(l.version, "0.11-dev");
	assert_int_equal(sf_dfu_classify("dfu-util 0.8", &l), SF_DLINE_BANNER);
	assert_int_equal(l.minor, 8);
	assert_int_equal(sf_dfu_classify("dfu-util: Warning: Invalid DFU suffix signature", &l), SF_DLINE_OTHER);
	assert_int_equal(sf_dfu_classify("dfu-util 0.11 and more", &l), SF_DLINE_OTHER);
	assert_int_equal(sf_dfu_classify("dfu-util x.y", &l), SF_DLINE_OTHER);
	assert_int_equal(sf_dfu_classify("Copyright 2010-2021 Tormod Volden and Stefan Schmidt", &l), SF_DLINE_OTHER);
}

static void test_strip_prefix(void **state)
{
	(void)state;
	assert_string_equal(sf_dfu_strip_prefix("dfu-util: Invalid DFU suffix signature"),
			    "Invalid DFU suffix signature");
	assert_string_equal(sf_dfu_strip_prefix("dfu-util-0.9: Lost device after RESET?"),
			    "Lost device after RESET?");
	assert_string_equal(sf_dfu_strip_prefix("Device ID 1d50:607f"), "Device ID 1d50:607f");
	assert_string_equal(sf_dfu_strip_prefix("DfuSe interface name: \"Internal Flash  \""),
			    "DfuSe interface name: \"Internal Flash  \"");
	assert_string_equal(sf_dfu_strip_prefix("Error: x"), "Error: x");
	assert_string_equal(sf_dfu_strip_prefix(""), "");
	assert_string_equal(sf_dfu_strip_prefix(": x"), ": x");
}

static void test_found_011(void **state)
{
	sf_dfu_line l;
	(void)state;
	assert_int_equal(sf_dfu_classify(CORE_ALT1, &l), SF_DLINE_FOUND);
	assert_false(l.found.runtime);
	assert_int_equal(l.found.vid, 0x1d50);
	assert_int_equal(l.found.pid, 0x607f);
	assert_true(l.found.has_ver);
	assert_int_equal(l.found.ver, 0x0200);
	assert_int_equal(l.found.devnum, 7);
	assert_int_equal(l.found.cfg, 1);
	assert_int_equal(l.found.intf, 0);
	assert_true(l.found.has_path);
	assert_string_equal(l.found.path, "1-1");
	assert_int_equal(l.found.alt, 1);
	assert_string_equal(l.found.name, "@SPI Flash : SST25x/0x00000000/512*04Kg");
	assert_true(l.found.has_serial);
	assert_string_equal(l.found.serial, "6D92487A5151");

	assert_int_equal(sf_dfu_classify(CORE_ALT0, &l), SF_DLINE_FOUND);
	assert_string_equal(l.found.name, "@Internal Flash  /0x08000000/20*001Ka,108*001Kg");

	assert_int_equal(sf_dfu_classify(PHOTON_ALT0, &l), SF_DLINE_FOUND);
	assert_string_equal(l.found.path, "3-1.4.2");
	assert_int_equal(l.found.devnum, 12);
	assert_int_equal(l.found.pid, 0xd006);

	assert_int_equal(sf_dfu_classify(RUNTIME, &l), SF_DLINE_FOUND);
	assert_true(l.found.runtime);
	assert_int_equal(l.found.intf, 2);
	assert_string_equal(l.found.name, "UNKNOWN");
}

static void test_found_old(void **state)
{
	sf_dfu_line l;
	(void)state;
	assert_int_equal(sf_dfu_classify(V08, &l), SF_DLINE_FOUND);
	assert_false(l.found.has_path);
	assert_true(l.found.has_serial);
	assert_string_equal(l.found.serial, "8D82477F5353");
	assert_int_equal(l.found.devnum, 5);

	assert_int_equal(sf_dfu_classify(V07, &l), SF_DLINE_FOUND);
	assert_false(l.found.has_ver);
	assert_false(l.found.has_serial);
	assert_int_equal(l.found.alt, 1);
	assert_string_equal(l.found.name, "UNDEFINED");
}

static void test_found_odd_names(void **state)
{
	sf_dfu_line l;
	(void)state;
	/* quotes and commas inside the interface string */
	assert_int_equal(sf_dfu_classify("Found DFU: [0483:df11] ver=2200, devnum=3, cfg=1, intf=0, path=\"2-3\", alt=2, "
					 "name=\"@Odd \"name\", serial=\"x\"/0x1FFF7800/01*512 g\", serial=\"3276\"", &l),
			 SF_DLINE_FOUND);
	assert_string_equal(l.found.name, "@Odd \"name\", serial=\"x\"/0x1FFF7800/01*512 g");
	assert_string_equal(l.found.serial, "3276");
	/* no serial and a quote in the name (0.7 form) */
	assert_int_equal(sf_dfu_classify("Found DFU: [0483:df11] devnum=0, cfg=1, intf=0, alt=0, name=\"a\"b\"", &l),
			 SF_DLINE_FOUND);
	assert_string_equal(l.found.name, "a\"b");
	/* an empty name */
	assert_int_equal(sf_dfu_classify("Found DFU: [0483:df11] ver=2200, devnum=3, cfg=1, intf=0, path=\"2-3\", alt=0, name=\"\", serial=\"UNKNOWN\"", &l),
			 SF_DLINE_FOUND);
	assert_string_equal(l.found.name, "");
	/* broken lines */
	assert_int_equal(sf_dfu_classify("Found DFU: [1d50:607f] ver=0200, devnum=7", &l), SF_DLINE_OTHER); /* no alt/name */
	assert_int_equal(sf_dfu_classify("Found DFU: [1d50607f] alt=0, name=\"x\"", &l), SF_DLINE_OTHER);
	assert_int_equal(sf_dfu_classify("Found DFU: [1d50:607fff] alt=0, name=\"x\"", &l), SF_DLINE_OTHER);
	assert_int_equal(sf_dfu_classify("Found DFU: [1d50:607f] alt=0, name=\"x", &l), SF_DLINE_OTHER);
	assert_int_equal(sf_dfu_classify("Found DFU: [1d50:607f] alt=zz, name=\"x\"", &l), SF_DLINE_OTHER);
	assert_int_equal(sf_dfu_classify("Found Something: [1d50:607f] alt=0, name=\"x\"", &l), SF_DLINE_OTHER);
}

static void test_open_failed(void **state)
{
	sf_dfu_line l;
	(void)state;
	assert_int_equal(sf_dfu_classify("dfu-util: Cannot open DFU device 1d50:607f found on devnum 7 (LIBUSB_ERROR_ACCESS)", &l),
			 SF_DLINE_OPEN_FAILED);
	assert_int_equal(l.vid, 0x1d50);
	assert_int_equal(l.pid, 0x607f);
	assert_string_equal(l.error, "LIBUSB_ERROR_ACCESS");
	assert_int_equal(sf_dfu_classify("dfu-util: Cannot open DFU device 2b04:d006", &l), SF_DLINE_OPEN_FAILED);
	assert_int_equal(l.pid, 0xd006);
	assert_string_equal(l.error, "");
	assert_int_equal(sf_dfu_classify("dfu-util: Cannot open device", &l), SF_DLINE_OTHER);
}

static void test_other(void **state)
{
	static const char *const others[] = {
		"Opening DFU capable USB device...",
		"Device ID 1d50:607f",
		"DFU state(2) = dfuIDLE, status(0) = No error condition is present",
		"File downloaded successfully",
		"dfu-util: Error during download get_status",
		"Submitting leave request...",
		"",
		"   ",
		"dfu-util:",
	};
	sf_dfu_line l;
	(void)state;
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		assert_int_equal(sf_dfu_classify(others[i], &l), SF_DLINE_OTHER);
	assert_int_equal(sf_dfu_classify(NULL, &l), SF_DLINE_OTHER);
}

static sf_dfu_found found_of(const char *line)
{
	sf_dfu_line l;
	assert_int_equal(sf_dfu_classify(line, &l), SF_DLINE_FOUND);
	return l.found;
}

static void test_group(void **state)
{
	sf_dfu_found f[8];
	sf_dfu_list list;
	(void)state;
	/* dfu-util prints in reverse probe order: alt 1 first */
	f[0] = found_of(PHOTON_ALT1);
	f[1] = found_of(PHOTON_ALT0);
	f[2] = found_of(CORE_ALT1);
	f[3] = found_of(CORE_ALT0);
	f[4] = found_of(CORE_ALT0); /* duplicate */
	f[5] = found_of(RUNTIME);
	assert_true(sf_dfu_group(f, 6, &list));
	assert_int_equal(list.n, 3);
	/* sorted by path: 1-1, 1-2, 3-1.4.2 */
	assert_string_equal(list.devs[0].path, "1-1");
	assert_int_equal(list.devs[0].nalts, 2);
	assert_int_equal(list.devs[0].alts[0].alt, 0);
	assert_string_equal(list.devs[0].alts[0].name, "@Internal Flash  /0x08000000/20*001Ka,108*001Kg");
	assert_int_equal(list.devs[0].alts[1].alt, 1);
	assert_string_equal(list.devs[0].serial, "6D92487A5151");
	assert_true(list.devs[1].runtime);
	assert_int_equal(list.devs[1].pid, 0xc006);
	assert_int_equal(list.devs[2].pid, 0xd006);
	assert_int_equal(list.devs[2].nalts, 2);
	assert_string_equal(list.devs[2].alts[1].name, "@DCT Flash   /0x00000000/01*016Kg");
	sf_dfu_list_free(&list);
	assert_int_equal(list.n, 0);
}

static void test_group_two_cores(void **state)
{
	sf_dfu_found f[4];
	sf_dfu_list list;
	char line[512];
	(void)state;
	f[0] = found_of(CORE_ALT1);
	f[1] = found_of(CORE_ALT0);
	snprintf(line, sizeof line, "%s", CORE_ALT0);
	memcpy(strstr(line, "path=\"1-1\""), "path=\"1-3\"", 10);
	memcpy(strstr(line, "6D92487A5151"), "AAAAAAAAAAAA", 12);
	f[2] = found_of(line);
	/* same serial and vid:pid, other path: a second device */
	snprintf(line, sizeof line, "%s", CORE_ALT1);
	memcpy(strstr(line, "path=\"1-1\""), "path=\"1-2\"", 10);
	f[3] = found_of(line);
	assert_true(sf_dfu_group(f, 4, &list));
	assert_int_equal(list.n, 3);
	assert_string_equal(list.devs[0].path, "1-1");
	assert_string_equal(list.devs[1].path, "1-2");
	assert_string_equal(list.devs[2].path, "1-3");
	assert_string_equal(list.devs[2].serial, "AAAAAAAAAAAA");
	assert_int_equal(list.devs[1].nalts, 1);
	sf_dfu_list_free(&list);

	/* 0.8 lines (no path): told apart by devnum */
	f[0] = found_of(V08);
	snprintf(line, sizeof line, "%s", V08);
	memcpy(strstr(line, "devnum=5"), "devnum=6", 8);
	f[1] = found_of(line);
	assert_true(sf_dfu_group(f, 2, &list));
	assert_int_equal(list.n, 2);
	assert_false(list.devs[0].has_path);
	sf_dfu_list_free(&list);
}

static void test_parse_list(void **state)
{
	sf_transcript t = { 0 };
	sf_dfu_list list;
	static const char *const lines[] = {
		"dfu-util 0.11", "", "Copyright 2005-2009 Weston Schmidt, Harald Welte and OpenMoko Inc.",
		CORE_ALT1, CORE_ALT0,
	};
	(void)state;
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		assert_true(sf_transcript_add(&t, SF_STREAM_STDOUT, lines[i], strlen(lines[i])));
	assert_true(sf_dfu_parse_list(&t, &list));
	assert_int_equal(list.n, 1);
	assert_int_equal(list.nopen_failed, 0);
	assert_false(list.access_denied);
	assert_false(list.devs[0].runtime);
	sf_dfu_list_free(&list);

	{
		const char *e = "dfu-util: Cannot open DFU device 2b04:d006 found on devnum 9 (LIBUSB_ERROR_ACCESS)";
		assert_true(sf_transcript_add(&t, SF_STREAM_STDERR, e, strlen(e)));
	}
	assert_true(sf_dfu_parse_list(&t, &list));
	assert_int_equal(list.n, 1);
	assert_int_equal(list.nopen_failed, 1);
	assert_true(list.access_denied);
	assert_int_equal(list.failed_pid, 0xd006);
	assert_string_equal(list.failed_error, "LIBUSB_ERROR_ACCESS");
	assert_int_equal(list.nfailed, 1);
	assert_int_equal(list.failed[0].vid, 0x2b04);
	assert_int_equal(list.failed[0].pid, 0xd006);
	assert_true(list.failed[0].has_devnum);
	assert_int_equal(list.failed[0].devnum, 9);
	assert_true(list.failed[0].access);
	sf_dfu_list_free(&list);
	{
		/* every failure is kept (a repeat of the same devnum once), with
		 * its own devnum and error; 0.9 names neither */
		const char *more[] = {
			"dfu-util: Cannot open DFU device 2b04:d006 found on devnum 9 (LIBUSB_ERROR_ACCESS)",
			"dfu-util: Cannot open DFU device 1d50:607f found on devnum 12 (LIBUSB_ERROR_BUSY)",
			"Cannot open DFU device 1d50:607f",
		};
		for (size_t i = 0; i < 3; i++)
			assert_true(sf_transcript_add(&t, SF_STREAM_STDERR, more[i], strlen(more[i])));
	}
	assert_true(sf_dfu_parse_list(&t, &list));
	assert_int_equal(list.nopen_failed, 4);
	assert_int_equal(list.nfailed, 3);
	assert_int_equal(list.failed[1].pid, 0x607f);
	assert_int_equal(list.failed[1].devnum, 12);
	assert_false(list.failed[1].access);
	assert_string_equal(list.failed[1].error, "LIBUSB_ERROR_BUSY");
	assert_false(list.failed[2].has_devnum);
	assert_true(list.failed[2].access);
	assert_string_equal(list.failed[2].error, "");
	sf_dfu_list_free(&list);
	sf_transcript_free(&t);

	{
		const char *e = "dfu-util: Cannot open DFU device 2b04:d006 found on devnum 9 (LIBUSB_ERROR_NOT_SUPPORTED)";
		assert_true(sf_transcript_add(&t, SF_STREAM_STDERR, e, strlen(e)));
	}
	assert_true(sf_dfu_parse_list(&t, &list));
	assert_int_equal(list.n, 0);
	assert_int_equal(list.nopen_failed, 1);
	assert_false(list.access_denied);
	sf_dfu_list_free(&list);
	sf_transcript_free(&t);
}

/* Fuzz: random bytes and mutations of real lines; nothing may crash (ASan
 * watches), and results must be self-consistent. */
static void check_invariants(const sf_dfu_line *l)
{
	switch (l->kind) {
	case SF_DLINE_PROGRESS:
		assert_true(l->percent >= 0 && l->percent <= 100);
		assert_true(l->phase != SF_PHASE_NONE);
		break;
	case SF_DLINE_FOUND:
		assert_true(strlen(l->found.name) < sizeof l->found.name);
		assert_true(strlen(l->found.serial) < sizeof l->found.serial);
		assert_true(strlen(l->found.path) < sizeof l->found.path);
		break;
	case SF_DLINE_BANNER:
		assert_true(strlen(l->version) < sizeof l->version);
		break;
	default:
		break;
	}
}

static void fuzz_with_seed(unsigned seed, int iterations)
{
	static const char *const seeds[] = {
		CORE_ALT0, CORE_ALT1, PHOTON_ALT0, RUNTIME, V08, V07,
		"Download\t[==========               ]  40%         1024 bytes",
		"Erase   \t[                         ]   0%            0 bytes",
		"Erase    done.", "dfu-util 0.11-dev",
		"dfu-util: Cannot open DFU device 1d50:607f found on devnum 7 (LIBUSB_ERROR_ACCESS)",
	};
	static const char alphabet[] = "Found DFU:[]=\",%\t 0123456789abcdef.-:Downloadbytes";
	char buf[1024];
	sf_dfu_line *l = malloc(sizeof *l);
	sf_transcript t = { 0 };
	sf_dfu_list list;

	assert_non_null(l);
	srand(seed);
	for (int it = 0; it < iterations; it++) {
		size_t len;
		if (it % 4 == 0) {
			len = (size_t)(rand() % 600);
			for (size_t i = 0; i < len; i++)
				buf[i] = (char)(rand() % 2 ? alphabet[rand() % (int)(sizeof alphabet - 1)]
							: (rand() % 255) + 1);
			buf[len] = '\0';
		} else {
			const char *s = seeds[rand() % (int)(sizeof seeds / sizeof seeds[0])];
			int edits = 1 + rand() % 6;
			snprintf(buf, sizeof buf, "%s", s);
			len = strlen(buf);
			for (int e = 0; e < edits && len > 0; e++) {
				size_t pos = (size_t)rand() % len;
				switch (rand() % 4) {
				case 0: buf[pos] = alphabet[rand() % (int)(sizeof alphabet - 1)]; break;
				case 1: memmove(buf + pos, buf + pos + 1, len - pos); len--; break; /* delete */
				case 2: /* truncate */
					buf[pos] = '\0';
					len = pos;
					break;
				default: /* duplicate a span */
					if (len * 2 < sizeof buf - 1) {
						memmove(buf + pos + (len - pos), buf + pos, len - pos + 1);
						len += len - pos;
					}
					break;
				}
			}
			/* a very long name/serial */
			if (rand() % 50 == 0) {
				memset(buf, 'x', sizeof buf - 1);
				buf[sizeof buf - 1] = '\0';
				memcpy(buf, "Found DFU: [1d50:607f] alt=0, name=\"", 36);
			}
		}
		sf_dfu_classify(buf, l);
		check_invariants(l);
		sf_transcript_add(&t, rand() % 2 ? SF_STREAM_STDOUT : SF_STREAM_STDERR, buf, strlen(buf));
		if (t.n >= 64) {
			assert_true(sf_dfu_parse_list(&t, &list));
			for (size_t d = 0; d < list.n; d++)
				for (size_t a = 1; a < list.devs[d].nalts; a++)
					assert_true(list.devs[d].alts[a - 1].alt < list.devs[d].alts[a].alt);
			sf_dfu_list_free(&list);
			sf_transcript_free(&t);
		}
	}
	sf_transcript_free(&t);
	free(l);
}

static void test_fuzz(void **state)
{
	unsigned seed = (unsigned)time(NULL);
	(void)state;
	fuzz_with_seed(12345u, 20000);
	printf("# fuzz: random seed %u\n", seed);
	fuzz_with_seed(seed, 20000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_done),
		cmocka_unit_test(test_banner),
		cmocka_unit_test(test_strip_prefix),
		cmocka_unit_test(test_found_011),
		cmocka_unit_test(test_found_old),
		cmocka_unit_test(test_found_odd_names),
		cmocka_unit_test(test_open_failed),
		cmocka_unit_test(test_other),
		cmocka_unit_test(test_group),
		cmocka_unit_test(test_group_two_cores),
		cmocka_unit_test(test_parse_list),
		cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
