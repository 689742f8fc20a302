/* dfu-util argv: parity with particle-cli 1.16 (spark-cli.md §1.6/§1.7)
 * modulo the normalised address spelling and -S/-p; shell quoting. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dfuargv.h"
#include "plan.h"
#include "profiles_fixture.h"

/* particle-cli 1.16 argv (after "dfu-util"), with the address exactly as
 * that CLI spelled it. */
struct parity {
	const char *what;
	void (*profile)(sf_profile *);
	sf_op_kind kind;
	const char *segment;
	uint64_t size;
	const char *particle;
};

static const struct parity table[] = {
	{ "spark flash --usb (Core)", fx_core, SF_OP_FLASH_USB, NULL, 2500,
	  "-d 1d50:607f -a 0 -i 0 -s 0x08005000:leave -D FILE" },
	{ "particle flash --usb (Photon)", fx_photon, SF_OP_FLASH_USB, NULL, 2500,
	  "-d 2b04:d006 -a 0 -i 0 -s 0x080A0000:leave -D FILE" },
	{ "particle flash --usb (Electron)", fx_electron, SF_OP_FLASH_USB, NULL, 2500,
	  "-d 2b04:d00a -a 0 -i 0 -s 0x08080000:leave -D FILE" },
	{ "particle flash --factory (Core)", fx_core, SF_OP_FLASH_FACTORY, NULL, 2500,
	  "-d 1d50:607f -a 1 -i 0 -s 0x00020000 -D FILE" },
	{ "particle flash --factory (Photon)", fx_photon, SF_OP_FLASH_FACTORY, NULL, 2500,
	  "-d 2b04:d006 -a 0 -i 0 -s 0x080E0000 -D FILE" },
	{ "particle flash --factory (Electron)", fx_electron, SF_OP_FLASH_FACTORY, NULL, 2500,
	  "-d 2b04:d00a -a 0 -i 0 -s 0x080A0000 -D FILE" },
	{ "particle keys load (Core)", fx_core, SF_OP_KEYS_LOAD, "tcpPrivateKey", 610,
	  "-d 1d50:607f -a 1 -i 0 -s 0x00002000 -D FILE" },
	{ "particle keys load (Photon)", fx_photon, SF_OP_KEYS_LOAD, "tcpPrivateKey", 610,
	  "-d 2b04:d006 -a 1 -i 0 -s 34 -D FILE" },
	{ "particle keys load udp (Electron)", fx_electron, SF_OP_KEYS_LOAD, "udpPrivateKey", 121,
	  "-d 2b04:d00a -a 1 -i 0 -s 3106 -D FILE" },
	{ "particle keys save (Core)", fx_core, SF_OP_KEYS_SAVE, "tcpPrivateKey", 0,
	  "-d 1d50:607f -a 1 -s 0x00002000:1024 -U FILE" },
	{ "particle keys save (Photon)", fx_photon, SF_OP_KEYS_SAVE, "tcpPrivateKey", 0,
	  "-d 2b04:d006 -a 1 -s 34:612 -U FILE" },
	{ "particle keys save udp (Electron)", fx_electron, SF_OP_KEYS_SAVE, "udpPrivateKey", 0,
	  "-d 2b04:d00a -a 1 -s 3106:192 -U FILE" },
	{ "particle keys server (Core)", fx_core, SF_OP_KEYS_SERVER, "tcpServerKey", 2048,
	  "-d 1d50:607f -a 1 -i 0 -s 0x00001000 -D FILE" },
	{ "particle keys server (Photon)", fx_photon, SF_OP_KEYS_SERVER, "tcpServerKey", 512,
	  "-d 2b04:d006 -a 1 -i 0 -s 2082 -D FILE" },
	{ "particle keys server udp (Electron)", fx_electron, SF_OP_KEYS_SERVER, "udpServerKey", 320,
	  "-d 2b04:d00a -a 1 -i 0 -s 3298 -D FILE" },
	{ "particle keys address (Photon)", fx_photon, SF_OP_KEYS_ADDRESS, "tcpServerKey", 0,
	  "-d 2b04:d006 -a 1 -s 2082:512 -U FILE" },
	{ "particle keys address udp (Electron)", fx_electron, SF_OP_KEYS_ADDRESS, "udpServerKey", 0,
	  "-d 2b04:d00a -a 1 -s 3298:320 -U FILE" },
};

/* Rewrites the address of a `-s` value to 0x%08x, as we spell it. */
static void normalise_s(const char *in, char *out, size_t size)
{
	char *end;
	unsigned long a = strtoul(in, &end, 0);
	snprintf(out, size, "0x%08lx%s", a, end);
}

static void parity(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof table / sizeof *table; t++) {
		sf_profile p;
		sf_plan pl;
		sf_err err = { 0 };
		sf_op_request r = { .kind = table[t].kind, .segment = table[t].segment,
				    .file_size = table[t].size };
		char expect[512] = "dfu-util";
		char *copy = strdup(table[t].particle), *save = NULL, *tok;
		bool next_is_s = false;

		table[t].profile(&p);
		if (sf_plan_make(&p, &r, &pl, &err))
			fail_msg("%s: %s", table[t].what, err.msg);
		for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			char norm[64];
			strcat(expect, " ");
			if (next_is_s) {
				normalise_s(tok, norm, sizeof norm);
				strcat(expect, norm);
			} else {
				strcat(expect, tok);
			}
			next_is_s = !strcmp(tok, "-s");
		}
		free(copy);

		sf_devsel sel = { .vid = p.dfu.vid, .pid = p.dfu.pid };
		char **argv = sf_dfu_argv("dfu-util", &sel, &pl, "FILE");
		char *line = sf_shell_join(argv);
		if (strcmp(line, expect))
			fail_msg("%s:\n  got    %s\n  expect %s", table[t].what, line, expect);
		printf("# %s: %s\n", table[t].what, line);
		free(line);

		/* -S and -p come right after -d and are the only extra words */
		sel.serial = "6D92487A5151";
		sel.path = "1-1.4";
		char **argv2 = sf_dfu_argv("dfu-util", &sel, &pl, "FILE");
		assert_string_equal(argv2[3], "-S");
		assert_string_equal(argv2[4], "6D92487A5151");
		assert_string_equal(argv2[5], "-p");
		assert_string_equal(argv2[6], "1-1.4");
		for (size_t i = 3; argv[i]; i++)
			assert_string_equal(argv[i], argv2[i + 4]);
		sf_argv_free(argv);
		sf_argv_free(argv2);
		fx_free(&p);
	}
}

static void same_address_same_argv(void **state)
{
	static const char *const spellings[] = { "0x00100000", "0x100000", "1048576" };
	sf_profile p;
	char *first = NULL;
	(void)state;
	fx_core(&p);
	for (size_t i = 0; i < 3; i++) {
		sf_op_request r = { .kind = SF_OP_WRITE_ADDRESS, .address = spellings[i],
				    .file_size = 100 };
		sf_plan pl;
		sf_err err;
		sf_devsel sel = { .vid = 0x1d50, .pid = 0x607f };
		assert_int_equal(sf_plan_make(&p, &r, &pl, &err), 0);
		char **argv = sf_dfu_argv("/usr/bin/dfu-util", &sel, &pl, "fw.bin");
		char *line = sf_shell_join(argv);
		if (!first)
			first = line;
		else {
			assert_string_equal(first, line);
			free(line);
		}
		sf_argv_free(argv);
	}
	assert_string_equal(first, "/usr/bin/dfu-util -d 1d50:607f -a 1 -i 0 -s 0x00100000 -D fw.bin");
	free(first);
	fx_free(&p);
}

static void nasty_names(void **state)
{
	sf_plan pl = { .alt = 0, .address = 0x08005000, .length = 10, .leave = true };
	sf_devsel sel = { .vid = 0x1d50, .pid = 0x607f, .serial = "a b'c" };
	char **argv;
	char *line;
	(void)state;
	argv = sf_dfu_argv("dfu-util", &sel, &pl, "-");
	assert_string_equal(argv[12], "./-");
	sf_argv_free(argv);
	argv = sf_dfu_argv("dfu-util", &sel, &pl, "-rf my 'fw'\n.bin");
	assert_string_equal(argv[12], "-rf my 'fw'\n.bin"); /* argv: passed as is */
	line = sf_shell_join(argv);
	assert_string_equal(line, "dfu-util -d 1d50:607f -S 'a b'\\''c' -a 0 -i 0 -s 0x08005000:leave -D '-rf my '\\''fw'\\''\n.bin'");
	free(line);
	sf_argv_free(argv);
	line = sf_shell_quote("");
	assert_string_equal(line, "''");
	free(line);
	line = sf_shell_quote("$HOME`x`;*");
	assert_string_equal(line, "'$HOME`x`;*'");
	free(line);
}

/* sh -c 'printf "%s\n" WORDS' reproduces each word: checked for random bytes. */
static void quote_roundtrip(void **state)
{
	(void)state;
	srand(7);
	for (int i = 0; i < 200; i++) {
		char word[24];
		size_t n = (size_t)(rand() % 20);
		for (size_t k = 0; k < n; k++) {
			int c;
			do
				c = 1 + rand() % 127;
			while (c == '\n' || c == '\r');
			word[k] = (char)c;
		}
		word[n] = '\0';
		char *q = sf_shell_quote(word);
		char cmd[256];
		snprintf(cmd, sizeof cmd, "printf '%%s' %s", q);
		FILE *f = popen(cmd, "r");
		char got[64] = "";
		size_t r = fread(got, 1, sizeof got - 1, f);
		got[r] = '\0';
		pclose(f);
		if (strcmp(got, word))
			fail_msg("word '%s' quoted as %s came back as '%s'", word, q, got);
		free(q);
	}
}

/* The leave step on its own (flash --verify): DfuSe command mode, the
 * start address and :leave, no file. */
static void leave_only(void **state)
{
	sf_profile p;
	sf_plan pl, lp;
	sf_err err;
	sf_op_request r = { .kind = SF_OP_FLASH_USB, .file_size = 2500 };
	sf_devsel sel = { .vid = 0x1d50, .pid = 0x607f, .serial = "6D92487A5151" };
	char **argv;
	char *line;
	(void)state;
	fx_core(&p);
	assert_int_equal(sf_plan_make(&p, &r, &pl, &err), 0);
	sf_plan_leave_only(&pl, &lp);
	argv = sf_dfu_argv("dfu-util", &sel, &lp, NULL);
	line = sf_shell_join(argv);
	assert_string_equal(line, "dfu-util -d 1d50:607f -S 6D92487A5151 -a 0 -i 0 -s 0x08005000:leave");
	free(line);
	sf_argv_free(argv);
	/* a file given anyway is not passed */
	argv = sf_dfu_argv("dfu-util", &sel, &lp, "fw.bin");
	line = sf_shell_join(argv);
	assert_string_equal(line, "dfu-util -d 1d50:607f -S 6D92487A5151 -a 0 -i 0 -s 0x08005000:leave");
	free(line);
	sf_argv_free(argv);
	/* a bare address at a segment start that leaves (Photon userFirmware) */
	fx_free(&p);
	fx_photon(&p);
	r.kind = SF_OP_WRITE_ADDRESS;
	r.address = "0x080A0000";
	assert_int_equal(sf_plan_make(&p, &r, &pl, &err), 0);
	sf_plan_leave_only(&pl, &lp);
	sel.vid = 0x2b04;
	sel.pid = 0xd006;
	sel.serial = NULL;
	argv = sf_dfu_argv("dfu-util", &sel, &lp, NULL);
	line = sf_shell_join(argv);
	assert_string_equal(line, "dfu-util -d 2b04:d006 -a 0 -i 0 -s 0x080a0000:leave");
	free(line);
	sf_argv_free(argv);
	fx_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parity),
		cmocka_unit_test(same_address_same_argv),
		cmocka_unit_test(nasty_names),
		cmocka_unit_test(quote_roundtrip),
		cmocka_unit_test(leave_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
