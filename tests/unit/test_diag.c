/* Table-driven tests of the diagnosis matcher: every fixture in
 * tests/fixtures/diag/expected.tsv (and the simulator's recorded dfu-util
 * transcripts listed in transcripts.tsv) gives the expected IDs, in order,
 * and exit code; plus checks of texts that depend on context. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"
#include "tlog.h"
#include "udev.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("short read %s", path);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void load_fixture(const char *name, sf_transcript *t)
{
	char path[1024];
	size_t len;
	char *text;
	sf_err err = { 0 };
	snprintf(path, sizeof path, "%s/%s", SF_DIAG_FIXTURES, name);
	text = slurp(path, &len);
	if (!text)
		fail_msg("cannot read fixture %s", path);
	memset(t, 0, sizeof *t);
	assert_int_equal(sf_tlog_parse(text, len, t, &err), 0);
	free(text);
}

static void ids_of(const sf_diag_result *r, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
	if (!r->n) {
		snprintf(buf, cap, "-");
		return;
	}
	for (size_t i = 0; i < r->n; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? "," : "", r->items[i].id);
}

static int check_one_ctx(const char *label, sf_transcript *t, const sf_diag_context *ctx, const char *want_ids,
			 int want_code)
{
	sf_diag_result r;
	char got[512];
	int bad = 0;
	assert_int_equal(sf_diagnose(t, ctx, &r), 0);
	ids_of(&r, got, sizeof got);
	if (strcmp(got, want_ids) || r.exit_code != want_code) {
		print_message("# %s: got '%s' exit %d, want '%s' exit %d\n", label, got, r.exit_code, want_ids,
			      want_code);
		bad = 1;
	}
	/* invariants: every item is complete; verdict agrees with the code */
	for (size_t i = 0; i < r.n; i++) {
		const sf_diagnosis *d = &r.items[i];
		assert_non_null(sf_diag_lookup(d->id));
		assert_non_null(d->summary);
		assert_non_null(d->explanation);
		assert_non_null(d->fix);
		assert_true(d->summary[0] && d->fix[0]);
		if (i)
			assert_true(r.items[i - 1].severity >= d->severity);
		/* colour codes are stripped from evidence, not shown as "?[0m" */
		for (size_t k = 0; k < d->nevidence; k++)
			if (strstr(d->evidence[k].text, "[0m")) {
				print_message("# %s: %s quotes '%s'\n", label, d->id, d->evidence[k].text);
				bad = 1;
			}
		/* the harmless suffix warning is never the evidence of a failure */
		if (!strcmp(d->id, "unknown") || !strcmp(d->id, "timeout"))
			for (size_t k = 0; k < d->nevidence; k++)
				if (strstr(d->evidence[k].text, "DFU suffix")) {
					print_message("# %s: %s quotes '%s'\n", label, d->id, d->evidence[k].text);
					bad = 1;
				}
	}
	assert_true((r.verdict == SF_VERDICT_FAILURE || r.verdict == SF_VERDICT_INTERRUPTED) == (r.exit_code != 0));
	sf_diag_result_free(&r);
	return bad;
}

static int check_one(const char *label, sf_transcript *t, const char *want_ids, int want_code)
{
	return check_one_ctx(label, t, NULL, want_ids, want_code);
}

/* The shipped profiles (parsed from the source tree), as `diagnose` finds
 * them by the VID:PID a transcript names. */
static sf_profile shipped[8];
static size_t nshipped;

static void load_shipped(void)
{
	static const char *const names[] = { "core", "photon", "p1", "electron", "duo" };
	if (nshipped)
		return;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char path[1024];
		size_t len;
		char *text;
		sf_err err = { 0 };
		snprintf(path, sizeof path, "%s/%s.json", SF_PROFILES_SRC, names[i]);
		text = slurp(path, &len);
		assert_non_null(text);
		assert_int_equal(sf_profile_parse(text, len, path, &shipped[nshipped], &err), 0);
		free(text);
		nshipped++;
	}
}

static void context_for(const sf_transcript *t, sf_diag_context *ctx)
{
	uint16_t ids[4][2];
	size_t n = sf_diag_transcript_ids(t, ids, 4);
	memset(ctx, 0, sizeof *ctx);
	load_shipped();
	for (size_t i = 0; i < n; i++) {
		const sf_profile *p = sf_profiles_match_usb(shipped, nshipped, ids[i][0], ids[i][1], false);
		if (p) {
			sf_diag_context_profile(ctx, p);
			return;
		}
	}
}

static void test_fixture_table(void **state)
{
	char path[1024], line[1024];
	FILE *f;
	int rows = 0, bad = 0;
	(void)state;
	snprintf(path, sizeof path, "%s/expected.tsv", SF_DIAG_FIXTURES);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f)) {
		char *name, *ids, *code, *save = NULL;
		sf_transcript t;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		name = strtok_r(line, "\t\n", &save);
		ids = strtok_r(NULL, "\t\n", &save);
		code = strtok_r(NULL, "\t\n", &save);
		assert_non_null(code);
		load_fixture(name, &t);
		bad += check_one(name, &t, ids, atoi(code));
		sf_transcript_free(&t);
		rows++;
	}
	fclose(f);
	assert_true(rows >= 40);
	assert_int_equal(bad, 0);
}

/* Every catalogue ID appears in the table at least once. */
static void test_table_covers_catalogue(void **state)
{
	char path[1024];
	size_t len, n;
	char *text;
	const sf_diag_info *cat = sf_diag_catalogue(&n);
	(void)state;
	snprintf(path, sizeof path, "%s/expected.tsv", SF_DIAG_FIXTURES);
	text = slurp(path, &len);
	assert_non_null(text);
	assert_int_equal(n, 32);
	for (size_t i = 0; i < n; i++) {
		char needle[64];
		bool found = false;
		for (const char *p = text; (p = strstr(p, cat[i].id)); p++) {
			char before = p == text ? '\t' : p[-1];
			char after = p[strlen(cat[i].id)];
			if ((before == '\t' || before == ',') && (after == '\t' || after == ',')) {
				found = true;
				break;
			}
		}
		snprintf(needle, sizeof needle, "%s", cat[i].id);
		if (!found)
			fail_msg("catalogue ID %s has no fixture", needle);
	}
	free(text);
}

/* Simulator recordings: transcripts.tsv rows "fault<TAB>ids<TAB>code" name
 * tests/fixtures/transcripts/<fault>.stdout/.stderr/.rc. */
static void test_sim_transcripts(void **state)
{
	char path[1024], line[1024];
	FILE *f;
	int rows = 0, bad = 0;
	(void)state;
	snprintf(path, sizeof path, "%s/transcripts.tsv", SF_DIAG_FIXTURES);
	f = fopen(path, "r");
	if (!f) {
		/* cmocka's TAP "skip" reads as a failure to automake's driver */
		print_message("# no transcripts.tsv: no simulator recordings to check\n");
		return;
	}
	while (fgets(line, sizeof line, f)) {
		char *name, *ids, *code, *save = NULL, *text;
		sf_transcript t = { 0 };
		size_t len;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		name = strtok_r(line, "\t\n", &save);
		ids = strtok_r(NULL, "\t\n", &save);
		code = strtok_r(NULL, "\t\n", &save);
		assert_non_null(code);
		snprintf(path, sizeof path, "%s/%s.stdout", SF_TRANSCRIPT_FIXTURES, name);
		if ((text = slurp(path, &len))) {
			assert_true(sf_transcript_add_text(&t, SF_STREAM_STDOUT, text, len));
			free(text);
		}
		snprintf(path, sizeof path, "%s/%s.stderr", SF_TRANSCRIPT_FIXTURES, name);
		if ((text = slurp(path, &len))) {
			assert_true(sf_transcript_add_text(&t, SF_STREAM_STDERR, text, len));
			free(text);
		}
		snprintf(path, sizeof path, "%s/%s.rc", SF_TRANSCRIPT_FIXTURES, name);
		text = slurp(path, &len);
		if (!text)
			fail_msg("missing %s", path);
		t.exited = true;
		t.exit_status = atoi(text);
		free(text);
		{
			sf_diag_context ctx;
			context_for(&t, &ctx);
			bad += check_one_ctx(name, &t, &ctx, ids, atoi(code));
		}
		sf_transcript_free(&t);
		rows++;
	}
	fclose(f);
	assert_int_equal(bad, 0);
	print_message("# %d simulator transcripts\n", rows);
}

static const sf_diagnosis *find(const sf_diag_result *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->items[i].id, id))
			return &r->items[i];
	return NULL;
}

static void test_status_name(void **state)
{
	sf_transcript t;
	sf_diag_result r;
	const sf_diagnosis *d;
	(void)state;
	/* errVENDOR answering an erase: STM32 read protection */
	load_fixture("target-protected-vendor-erase-0.11.log", &t);
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	d = find(&r, "target-protected");
	assert_non_null(d);
	assert_string_equal(d->status_name, "errVENDOR");
	assert_int_equal(d->status, 11);
	assert_non_null(strstr(d->summary, "errVENDOR"));
	assert_true(d->nevidence >= 2);
	assert_string_equal(r.version, "0.11");
	sf_diag_result_free(&r);
	sf_transcript_free(&t);

	load_fixture("status-error-address-0.11.log", &t);
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	d = find(&r, "status-error");
	assert_non_null(d);
	assert_string_equal(d->status_name, "errADDRESS");
	sf_diag_result_free(&r);
	sf_transcript_free(&t);

	load_fixture("write-failed-verify-0.9-pasted.log", &t);
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	d = find(&r, "write-failed");
	assert_non_null(d);
	assert_string_equal(d->status_name, "errVERIFY");
	sf_diag_result_free(&r);
	sf_transcript_free(&t);
}

static void test_leave_unconfirmed_is_success(void **state)
{
	sf_transcript t;
	sf_diag_result r;
	(void)state;
	load_fixture("leave-unconfirmed-0.11.log", &t);
	assert_int_equal(t.exit_status, 74);
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_int_equal(r.verdict, SF_VERDICT_WARNINGS);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.items[0].severity, SF_DIAG_WARNING);
	sf_diag_result_free(&r);
	sf_transcript_free(&t);
}

static void test_windows_fix(void **state)
{
	sf_transcript t;
	sf_diag_result r;
	const sf_diagnosis *d;
	(void)state;
	load_fixture("windows-driver-not-supported.log", &t);
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	d = find(&r, "windows-driver");
	assert_non_null(d);
	assert_non_null(strstr(d->fix, "Zadig"));
	assert_non_null(strstr(d->fix, "0483 DF11"));
	assert_null(strstr(d->fix, "udev"));
	/* CRLF was stripped from evidence */
	assert_null(strchr(d->evidence[0].text, '\r'));
	sf_diag_result_free(&r);
	sf_transcript_free(&t);
}

static void test_host_facts_in_fix(void **state)
{
	sf_transcript t;
	sf_diag_result r;
	sf_diag_context ctx = { 0 };
	const sf_diagnosis *d;
	(void)state;
	ctx.host_known = true;
	ctx.os = "linux";
	ctx.ndevices = 1;
	ctx.devices[0] = (sf_diag_usbdev){ .vid = 0x2b04, .pid = 0xd006, .busnum = 1, .devnum = 15,
					   .node_known = true, .node = "/dev/bus/usb/001/015",
					   .owner = "root", .group = "root", .mode = 0664, .accessible = 0 };
	ctx.nrules = 1;
	ctx.rules[0] = (sf_diag_rule){ .vid = 0x2b04, .pid = 0xd006, .covered = 0 };
	load_fixture("permission-denied-0.11.log", &t);
	assert_int_equal(sf_diagnose(&t, &ctx, &r), 0);
	d = find(&r, "permission-denied");
	assert_non_null(d);
	assert_non_null(strstr(d->fix, "/dev/bus/usb/001/015 is owner root, group root, mode 0664"));
	assert_non_null(strstr(d->fix, "no udev rule for 2b04:d006 is installed"));
	assert_non_null(strstr(d->summary, "2b04:d006"));
	sf_diag_result_free(&r);

	ctx.rules[0].covered = 1;
	snprintf(ctx.rules[0].file, sizeof ctx.rules[0].file, "/etc/udev/rules.d/60-sparkflash.rules");
	assert_int_equal(sf_diagnose(&t, &ctx, &r), 0);
	d = find(&r, "permission-denied");
	assert_non_null(strstr(d->fix, "is installed (/etc/udev/rules.d/60-sparkflash.rules)"));
	sf_diag_result_free(&r);
	sf_transcript_free(&t);

	/* no-device: the profile's DFU help and an attached runtime device */
	memset(&ctx, 0, sizeof ctx);
	ctx.device_name = "Photon";
	ctx.dfu_mode_help = "hold SETUP, tap RESET, release SETUP when it blinks yellow";
	ctx.has_dfu_id = ctx.has_runtime_id = true;
	ctx.dfu_vid = ctx.runtime_vid = 0x2b04;
	ctx.dfu_pid = 0xd006;
	ctx.runtime_pid = 0xc006;
	ctx.host_known = true;
	ctx.ndevices = 1;
	ctx.devices[0] = (sf_diag_usbdev){ .vid = 0x2b04, .pid = 0xc006, .busnum = 2, .devnum = 9, .runtime = true };
	load_fixture("no-device-0.11.log", &t);
	assert_int_equal(sf_diagnose(&t, &ctx, &r), 0);
	d = find(&r, "no-device");
	assert_non_null(d);
	assert_non_null(strstr(d->fix, "put Photon in DFU mode: hold SETUP"));
	assert_non_null(strstr(d->fix, "attached in normal mode (2b04:c006, bus 2 device 9)"));
	sf_diag_result_free(&r);
	/* nothing attached */
	ctx.ndevices = 0;
	assert_int_equal(sf_diagnose(&t, &ctx, &r), 0);
	d = find(&r, "no-device");
	assert_non_null(strstr(d->fix, "no Photon is attached"));
	sf_diag_result_free(&r);
	sf_transcript_free(&t);
}

static void test_live_flags(void **state)
{
	sf_transcript t = { 0 };
	sf_diag_result r;
	sf_diag_context ctx = { 0 };
	(void)state;
	/* a clean run, but the caller saw the device still in DFU mode */
	load_fixture("ok-download-leave-0.11.log", &t);
	assert_true(sf_transcript_note(&t, SF_NOTE_AFTER_LEAVE, "dfu"));
	assert_int_equal(sf_diagnose(&t, &ctx, &r), 0);
	assert_non_null(find(&r, "leave-ignored"));
	assert_int_equal(r.verdict, SF_VERDICT_WARNINGS);
	sf_diag_result_free(&r);
	sf_transcript_free(&t);

	/* a plain -l listing with only a runtime-mode device: runtime-mode
	 * only when the caller says it wanted a DFU-mode device there */
	{
		static const char line[] = "Found Runtime: [1d50:607d] ver=0200, devnum=2, cfg=1, intf=0, "
					   "path=\"1-1\", alt=0, name=\"UNKNOWN\", serial=\"6D92487A5151\"";
		sf_diag_context want = { 0 };
		memset(&t, 0, sizeof t);
		assert_true(sf_transcript_add(&t, SF_STREAM_STDOUT, line, sizeof line - 1));
		t.exited = true;
		assert_int_equal(sf_diagnose(&t, &want, &r), 0);
		assert_null(find(&r, "runtime-mode"));
		sf_diag_result_free(&r);
		assert_true(sf_transcript_note(&t, SF_NOTE_SELECT, "runtime"));
		assert_int_equal(sf_diagnose(&t, &want, &r), 0);
		assert_non_null(find(&r, "runtime-mode"));
		assert_int_equal(r.exit_code, 4);
		sf_diag_result_free(&r);
		sf_transcript_free(&t);
	}

	/* killed by a signal, no output */
	memset(&t, 0, sizeof t);
	t.term_signal = 9;
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_string_equal(r.items[0].id, "unknown");
	assert_non_null(strstr(r.items[0].summary, "signal 9"));
	sf_diag_result_free(&r);

	/* exit 127 without output: the shell could not find it */
	t.term_signal = 0;
	t.exited = true;
	t.exit_status = 127;
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_string_equal(r.items[0].id, "dfu-util-missing");
	assert_int_equal(r.exit_code, 8);
	sf_diag_result_free(&r);
}

/* Region facts tell a too-large file from a bad address. */
static void test_regions(void **state)
{
	sf_transcript t;
	sf_diag_result r;
	sf_diag_context ctx = { 0 };
	(void)state;
	load_fixture("page-not-writable-0.11.log", &t);
	ctx.nalts = 1;
	ctx.alts[0].alt = 0;
	ctx.alts[0].nregions = 2;
	ctx.alts[0].regions[0] = (sf_diag_region){ 0x08000000, 0x08005000, false };
	ctx.alts[0].regions[1] = (sf_diag_region){ 0x08005000, 0x08020000, true };
	assert_int_equal(sf_diagnose(&t, &ctx, &r), 0);
	assert_string_equal(r.items[0].id, "page-not-writable");
	sf_diag_result_free(&r);
	sf_transcript_free(&t);
}

/* Found by fuzzing: "Could not open file" with the name glued to "file"
 * (or a "for reading" before it) read through a NULL pointer. */
static void test_file_not_found_odd(void **state)
{
	static const char *const lines[] = {
		"C:\\Users\\Andy>particle flash --usb tinker\nFound DFU device:d006 -a 0 -i 0 oCould not open file7ainarnot opeton_tinker.bin for reading\n",
		"dfu-util: Could not open file for reading\n",
		"dfu-util: Could not open file x.bin for readingfor reading\n",
		"No such file or directory: Could not open file binaries/photon_tinker.bin for reading\n",
	};
	(void)state;
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		sf_transcript t = { 0 };
		sf_diag_result r;
		sf_err err = { 0 };
		assert_int_equal(sf_tlog_parse(lines[i], strlen(lines[i]), &t, &err), 0);
		assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
		assert_non_null(find(&r, "file-not-found"));
		if (i == 3)
			assert_non_null(strstr(find(&r, "file-not-found")->summary, "'binaries/photon_tinker.bin'"));
		sf_diag_result_free(&r);
		sf_transcript_free(&t);
	}
}

/* Found by fuzzing: "Error during special cOmmand" in another case read
 * through NULL (the command was looked up in the original-case text), and a
 * bare "# verify mismatch" note read past its end. */
static void test_fuzz_found_2(void **state)
{
	static const char special[] = "dfu-util 0.11\n"
				      "dfu-util -d 1d50:607f -a 0 -s 0x08005000:leave -D fw.bin\n"
				      "Erasing DFU device...\n"
				      "dfu-util: Error during special cOmmand \"ERASE_PAGE\" get_status\n";
	/* a runner log as --log writes it: a download, then the note */
#define DOWNLOAD_RUN \
	"$ dfu-util -d 1d50:607f -a 0 -s 0x08005000 -D fw.bin\n" \
	"[stdout] dfu-util 0.11\n" \
	"[stdout] Downloading element to address = 0x08005000, size = 2000\n" \
	"[stdout] Download done.\n" \
	"[stdout] File downloaded successfully\n" \
	"# exit 0\n"
	static const char *const verify[] = {
		DOWNLOAD_RUN "# verify mismatch\n",
		DOWNLOAD_RUN "# verify mismatch 1 1 byte differs in 1 range: 0x0800500a-0x0800500a\n",
	};
#undef DOWNLOAD_RUN
	sf_transcript t = { 0 };
	sf_diag_result r;
	sf_err err = { 0 };
	(void)state;
	assert_int_equal(sf_tlog_parse(special, strlen(special), &t, &err), 0);
	assert_int_equal(sf_diagnose(&t, NULL, &r), 0);
	assert_non_null(find(&r, "erase-failed"));
	assert_non_null(strstr(find(&r, "erase-failed")->summary, "ERASE_PAGE"));
	sf_diag_result_free(&r);
	sf_transcript_free(&t);
	for (size_t i = 0; i < 2; i++) {
		sf_transcript v = { 0 };
		assert_int_equal(sf_tlog_parse(verify[i], strlen(verify[i]), &v, &err), 0);
		assert_int_equal(sf_diagnose(&v, NULL, &r), 0);
		/* the complete note is a mismatch of 1 byte */
		if (i == 1) {
			assert_non_null(find(&r, "verify-mismatch"));
			assert_string_equal(find(&r, "verify-mismatch")->summary,
					    "the data read back differs from the file in 1 byte");
		}
		sf_diag_result_free(&r);
		sf_transcript_free(&v);
	}
}

static void test_ids_and_tlog(void **state)
{
	sf_transcript t;
	uint16_t ids[4][2];
	sf_err err = { 0 };
	(void)state;
	load_fixture("permission-denied-0.11.log", &t);
	assert_int_equal(sf_diag_transcript_ids(&t, ids, 4), 1);
	assert_int_equal(ids[0][0], 0x2b04);
	assert_int_equal(ids[0][1], 0xd006);
	sf_transcript_free(&t);

	/* runner log: the "-d" of the command line; "-D" is not a device */
	memset(&t, 0, sizeof t);
	{
		const char *s = "$ /usr/bin/dfu-util -a 0 -D fw.bin\n$ dfu-util -d 2b04:d006 -a 0 -D fw.bin\n"
				"[stderr] dfu-util: No DFU capable USB device available\n# exit 74\n";
		assert_int_equal(sf_tlog_parse(s, strlen(s), &t, &err), 0);
		assert_true(t.exited);
		assert_int_equal(t.exit_status, 74);
		assert_int_equal(sf_diag_transcript_ids(&t, ids, 4), 1);
		assert_int_equal(ids[0][1], 0xd006);
	}
	sf_transcript_free(&t);
	memset(&t, 0, sizeof t);
	assert_int_equal(sf_tlog_parse("#sparkflash-transcript exit=999\n", 32, &t, &err), SF_EXIT_REFUSED);
	assert_non_null(strstr(err.msg, "exit=999"));
	sf_transcript_free(&t);
	memset(&t, 0, sizeof t);
	assert_int_equal(sf_tlog_parse("#sparkflash-transcript bogus\n", 29, &t, &err), SF_EXIT_REFUSED);
	sf_transcript_free(&t);
	memset(&t, 0, sizeof t);
	{
		const char *s = "#sparkflash-transcript exit=0 \r\nO out\r\nE err\r\nU\n#c\nplain\n";
		assert_int_equal(sf_tlog_parse(s, strlen(s), &t, &err), 0);
	}
	assert_true(t.exited);
	assert_int_equal(t.n, 4);
	assert_int_equal(t.lines[0].stream, SF_STREAM_STDOUT);
	assert_string_equal(t.lines[0].text, "out");
	assert_int_equal(t.lines[1].stream, SF_STREAM_STDERR);
	assert_string_equal(t.lines[2].text, "");
	assert_int_equal(t.lines[3].stream, SF_STREAM_UNKNOWN);
	sf_transcript_free(&t);
}

static void test_udev(void **state)
{
	sf_udev_id ids[] = {
		{ 0x2b04, 0xd006, "Photon (photon), DFU mode" },
		{ 0x1d50, 0x607f, "Spark Core (core), DFU mode" },
		{ 0x2b04, 0xd006, "P1 alias" },
	};
	char *text = sf_udev_rules_text(ids, 3);
	(void)state;
	assert_non_null(text);
	/* sorted, merged */
	assert_true(strstr(text, "607f") < strstr(text, "d006"));
	assert_non_null(strstr(text, "# Photon (photon), DFU mode; P1 alias\n"));
	assert_non_null(strstr(text, "SUBSYSTEM==\"usb\", ATTR{idVendor}==\"2b04\", ATTR{idProduct}==\"d006\", "
				     "TAG+=\"uaccess\", GROUP=\"plugdev\", MODE=\"0664\"\n"));
	assert_true(sf_udev_rules_cover(text, strlen(text), 0x2b04, 0xd006));
	assert_true(sf_udev_rules_cover(text, strlen(text), 0x1d50, 0x607f));
	assert_false(sf_udev_rules_cover(text, strlen(text), 0x1d50, 0x607d));
	free(text);
	{
		/* particle-cli style globs, continuation lines, comments, != */
		const char *p = "# SUBSYSTEMS==\"usb\", ATTRS{idVendor}==\"0483\", MODE=\"0666\"\n"
				"SUBSYSTEMS==\"usb\", ATTRS{idVendor}==\"2b04\", ATTRS{idProduct}==\"[cd]00?\", GROUP=\"plugdev\", MODE=\"0666\"\n"
				"SUBSYSTEMS==\"usb\", ATTRS{idVendor}==\"1d50\", \\\n  ATTRS{idProduct}==\"607[df]\", MODE=\"0666\"\n"
				"SUBSYSTEMS==\"usb\", ATTRS{idVendor}!=\"abcd\", MODE=\"0666\"\n"
				"SUBSYSTEMS==\"usb\", ATTRS{idVendor}==\"cafe\", RUN+=\"/bin/true\"\n";
		size_t n = strlen(p);
		assert_true(sf_udev_rules_cover(p, n, 0x2b04, 0xd006));
		assert_true(sf_udev_rules_cover(p, n, 0x2b04, 0xc00a));
		assert_false(sf_udev_rules_cover(p, n, 0x2b04, 0xd058));
		assert_true(sf_udev_rules_cover(p, n, 0x1d50, 0x607d));
		assert_false(sf_udev_rules_cover(p, n, 0x0483, 0xdf11));
		assert_false(sf_udev_rules_cover(p, n, 0xabcd, 0x0001));
		assert_false(sf_udev_rules_cover(p, n, 0xcafe, 0x0001));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_table),
		cmocka_unit_test(test_table_covers_catalogue),
		cmocka_unit_test(test_sim_transcripts),
		cmocka_unit_test(test_status_name),
		cmocka_unit_test(test_leave_unconfirmed_is_success),
		cmocka_unit_test(test_windows_fix),
		cmocka_unit_test(test_host_facts_in_fix),
		cmocka_unit_test(test_live_flags),
		cmocka_unit_test(test_regions),
		cmocka_unit_test(test_file_not_found_odd),
		cmocka_unit_test(test_fuzz_found_2),
		cmocka_unit_test(test_ids_and_tlog),
		cmocka_unit_test(test_udev),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	for (size_t i = 0; i < nshipped; i++)
		sf_profile_free(&shipped[i]);
	return rc;
}
