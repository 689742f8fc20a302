/* Fuzzing the transcript-log parser, the diagnosis matcher and the udev
 * rules matcher with random input, huge lines and mutated fixtures (bounded
 * loops; run under ASan/UBSan by `make check --enable-sanitizers`). Seeds:
 * a fixed one, then one random seed that is printed for reproduction
 * (SF_FUZZ_SEED=N overrides it). */
#include <config.h>

#include <dirent.h>
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
#include "tlog.h"
#include "udev.h"

static uint64_t rng;

static uint32_t rnd(void)
{
	/* xorshift64*: deterministic per seed on every platform */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ULL) >> 32);
}

#define MAX_FIXTURES 128
static char *fixtures[MAX_FIXTURES];
static size_t fixture_len[MAX_FIXTURES];
static size_t nfixtures;

static void load_fixtures(void)
{
	DIR *d = opendir(SF_DIAG_FIXTURES);
	struct dirent *e;
	assert_non_null(d);
	while ((e = readdir(d)) && nfixtures < MAX_FIXTURES) {
		char path[1024];
		FILE *f;
		long n;
		if (!strstr(e->d_name, ".log"))
			continue;
		snprintf(path, sizeof path, "%s/%s", SF_DIAG_FIXTURES, e->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		fseek(f, 0, SEEK_SET);
		fixtures[nfixtures] = malloc((size_t)n + 1);
		if (fread(fixtures[nfixtures], 1, (size_t)n, f) == (size_t)n)
			fixture_len[nfixtures++] = (size_t)n;
		else
			free(fixtures[nfixtures]);
		fclose(f);
	}
	closedir(d);
	assert_true(nfixtures > 10);
}

/* Runs everything that takes text on buf; checks result invariants. */
static void feed(const char *buf, size_t len)
{
	sf_transcript t = { 0 };
	sf_err err = { 0 };
	sf_diag_result r;
	uint16_t ids[8][2];
	int rc = sf_tlog_parse(buf, len, &t, &err);
	assert_true(rc == 0 || rc == SF_EXIT_REFUSED);
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_true((r.exit_code >= 0 && r.exit_code <= 12) ||
		    (r.verdict == SF_VERDICT_INTERRUPTED && r.exit_code > 128 && r.exit_code < 128 + 65));
	assert_true((r.verdict == SF_VERDICT_FAILURE || r.verdict == SF_VERDICT_INTERRUPTED) == (r.exit_code != 0));
	for (size_t i = 0; i < r.n; i++) {
		assert_non_null(r.items[i].summary);
		assert_non_null(r.items[i].fix);
		for (size_t k = 0; k < r.items[i].nevidence; k++) {
			const char *s = r.items[i].evidence[k].text;
			assert_true(strlen(s) <= SF_DIAG_EVIDENCE_CHARS + 3);
			for (; *s; s++)
				assert_true((unsigned char)*s >= 0x20 || *s == '\t');
		}
	}
	sf_diag_result_free(&r);
	(void)sf_diag_transcript_ids(&t, ids, 8);
	sf_transcript_free(&t);
	(void)sf_udev_rules_cover(buf, len, 0x2b04, 0xd006);
}

static const char *const tokens[] = {
	"dfu-util: ", "\n", "\r", "\r\n", "\t", " ", "File downloaded successfully", "Error during download get_status",
	"DFU state(10) = dfuERROR, status(", ") = ", "state(", "status(255)", "status(99999999999999)",
	"Cannot open DFU device ", "2b04:d006", "found on devnum ", "(LIBUSB_ERROR_ACCESS)", "LIBUSB_ERROR_PIPE",
	"No DFU capable USB device available", "Last page at 0x", "0xffffffff", "0x", "is not writeable",
	"Memory segment at 0x08000000 ", " x ", " = ", "(rew)", "Downloading element to address = 0x08005000, size = ",
	"-1", "99999999999", "Invalid dfuse address: ", "Cannot open file ", " for writing: File exists",
	"#sparkflash-transcript exit=74", "O ", "E ", "U ", "dfu-util 0.11", "Submitting leave request...",
	"Found DFU: [", "Found Runtime: [", "not correctly executed", "ERASE_PAGE", "Status is not OK: ",
	"WARNING: DFU Status: 'Memory erase function failed'", "ATTRS{idVendor}==\"", "ATTR{idProduct}==\"",
	"[cd]00?", "\\", "MODE=\"0666\"", "\"", "*", "|", "Determining device status: state = ", "status = ",
	"\xff\xfe", "\x00", "Wrong state after command", " failed!", "Done!",
};
#define NTOKENS (sizeof tokens / sizeof tokens[0])

static void random_round(char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	unsigned mode = rnd() % 3;
	size_t target = rnd() % cap;
	while (n < target) {
		if (mode == 0) {
			buf[n++] = (char)rnd();
		} else {
			const char *tok = tokens[rnd() % NTOKENS];
			size_t tl = strlen(tok);
			if (tok[0] == '\0')
				tl = 1;
			if (n + tl > cap)
				break;
			memcpy(buf + n, tok, tl);
			n += tl;
			if (mode == 2 && n < cap && rnd() % 4 == 0)
				buf[n++] = (char)('0' + rnd() % 10);
		}
	}
	*len = n;
}

static void mutate(char *buf, size_t *len, size_t cap)
{
	unsigned edits = 1 + rnd() % 8;
	for (unsigned e = 0; e < edits && *len; e++) {
		size_t pos = rnd() % *len;
		switch (rnd() % 5) {
		case 0: buf[pos] = (char)rnd(); break;
		case 1: /* delete a span */
		{
			size_t span = rnd() % 32;
			if (pos + span > *len)
				span = *len - pos;
			memmove(buf + pos, buf + pos + span, *len - pos - span);
			*len -= span;
			break;
		}
		case 2: /* insert a token */
		{
			const char *tok = tokens[rnd() % NTOKENS];
			size_t tl = strlen(tok);
			if (*len + tl <= cap) {
				memmove(buf + pos + tl, buf + pos, *len - pos);
				memcpy(buf + pos, tok, tl);
				*len += tl;
			}
			break;
		}
		case 3: *len = pos; break; /* truncate */
		default: /* duplicate a span */
		{
			size_t span = rnd() % 64;
			if (pos + span > *len)
				span = *len - pos;
			if (*len + span <= cap) {
				memmove(buf + pos + span, buf + pos, *len - pos);
				*len += span;
			}
			break;
		}
		}
	}
}

static void run_seed(uint64_t seed, int iterations)
{
	size_t cap = 1 << 16;
	char *buf = malloc(cap);
	assert_non_null(buf);
	rng = seed ? seed : 1;
	for (int i = 0; i < iterations; i++) {
		size_t len;
		if (i % 2) {
			size_t k = rnd() % nfixtures;
			len = fixture_len[k] < cap ? fixture_len[k] : cap;
			memcpy(buf, fixtures[k], len);
			mutate(buf, &len, cap);
		} else {
			random_round(buf, cap / 8, &len);
		}
		feed(buf, len);
	}
	free(buf);
}

static void test_fuzz_fixed_seed(void **state)
{
	(void)state;
	run_seed(0x5eed5eedULL, 3000);
}

static void test_fuzz_random_seed(void **state)
{
	const char *env = getenv("SF_FUZZ_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : ((uint64_t)time(NULL) << 16) ^ (uint64_t)clock();
	(void)state;
	print_message("# random seed %llu (rerun with SF_FUZZ_SEED=%llu)\n", (unsigned long long)seed,
		      (unsigned long long)seed);
	run_seed(seed, 3000);
}

/* Huge lines (MBs) and a long run of short lines. */
static void test_huge(void **state)
{
	size_t big = 6u << 20;
	char *buf = malloc(big + 64);
	(void)state;
	assert_non_null(buf);
	memset(buf, 'A', big);
	memcpy(buf, "dfu-util: ", 10);
	feed(buf, big);
	memcpy(buf + big - 40, "\nNo DFU capable USB device available\n", 38);
	{
		sf_transcript t = { 0 };
		sf_err err = { 0 };
		sf_diag_result r;
		assert_int_equal(sf_tlog_parse(buf, big - 2, &t, &err), 0);
		assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
		assert_string_equal(r.items[0].id, "no-device");
		sf_diag_result_free(&r);
		sf_transcript_free(&t);
	}
	for (size_t i = 0; i < big; i++)
		buf[i] = i % 3 == 2 ? '\n' : (char)('a' + i % 26);
	feed(buf, big);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_fixed_seed),
		cmocka_unit_test(test_fuzz_random_seed),
		cmocka_unit_test(test_huge),
	};
	load_fixtures();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
