/* The simulation directory (src/sim/store.c) under ASan: USB path and serial
 * parsing, create/load/save round trip, and loading mutated state files
 * (they are read by every preloaded dfu-util, so they must never crash it). */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "profile_io.h"
#include "sim/store.h"

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "%s/sfstore.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[512];
	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_path_parse(void **state)
{
	static const struct {
		const char *path;
		int ok, bus, nports;
	} cases[] = {
		{ "1-1", 1, 1, 1 }, { "3-1.4.2", 1, 3, 3 }, { "255-255", 1, 255, 1 },
		{ "1-1.2.3.4.5.6.7", 1, 1, 7 }, { "1-1.2.3.4.5.6.7.8", 0, 0, 0 },
		{ "0-1", 0, 0, 0 }, { "1-0", 0, 0, 0 }, { "1-", 0, 0, 0 }, { "-1", 0, 0, 0 },
		{ "1-1.", 0, 0, 0 }, { "256-1", 0, 0, 0 }, { "01-1", 0, 0, 0 }, { "1-1x", 0, 0, 0 },
		{ "", 0, 0, 0 }, { "1", 0, 0, 0 }, { "1-1..2", 0, 0, 0 }, { "1-99999", 0, 0, 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		uint8_t bus = 0, ports[SF_SIM_MAX_PORTS];
		int n = 0;
		bool ok = sf_sim_path_parse(cases[i].path, &bus, ports, &n);
		if (ok != (bool)cases[i].ok)
			fail_msg("path '%s': got %d", cases[i].path, ok);
		if (ok) {
			assert_int_equal(bus, cases[i].bus);
			assert_int_equal(n, cases[i].nports);
		}
	}
	assert_false(sf_sim_path_parse(NULL, NULL, NULL, NULL));
}

static void test_serial_ok(void **state)
{
	(void)state;
	assert_true(sf_sim_serial_ok("6D92487A5151"));
	assert_true(sf_sim_serial_ok("a_b-C"));
	assert_false(sf_sim_serial_ok(""));
	assert_false(sf_sim_serial_ok(".."));
	assert_false(sf_sim_serial_ok("a/b"));
	assert_false(sf_sim_serial_ok("a b"));
	assert_false(sf_sim_serial_ok("0123456789012345678901234567890123456789012345678901234567890123"));
	assert_false(sf_sim_serial_ok(NULL));
}

static unsigned fuzz_seed(void)
{
	const char *s = getenv("SF_FUZZ_SEED");
	return s ? (unsigned)strtoul(s, NULL, 10) : (unsigned)time(NULL);
}

static void mutate(char *buf, size_t *n, size_t cap)
{
	for (int k = rand() % 4; k >= 0; k--) {
		size_t pos = *n ? (size_t)rand() % *n : 0;
		switch (rand() % 3) {
		case 0:
			if (*n + 1 < cap) {
				memmove(buf + pos + 1, buf + pos, *n - pos);
				buf[pos] = "0123456789-.,:[]{}\"x"[rand() % 20];
				(*n)++;
			}
			break;
		case 1:
			if (*n) {
				memmove(buf + pos, buf + pos + 1, *n - pos - 1);
				(*n)--;
			}
			break;
		default:
			if (*n)
				buf[pos] = (char)(rand() % 256);
			break;
		}
	}
	buf[*n] = '\0';
}

static void test_fuzz_path(void **state)
{
	static const char *const seeds[] = { "1-1", "3-1.4.2", "255-7.7.7" };
	unsigned seed = fuzz_seed();
	(void)state;
	printf("# path fuzz: seeds 1 and %u (SF_FUZZ_SEED to repeat)\n", seed);
	for (int round = 0; round < 2; round++) {
		srand(round ? seed : 1);
		for (int it = 0; it < 20000; it++) {
			char buf[40];
			size_t n;
			uint8_t bus, ports[SF_SIM_MAX_PORTS];
			int np;
			strcpy(buf, seeds[rand() % 3]);
			n = strlen(buf);
			mutate(buf, &n, sizeof buf);
			if (sf_sim_path_parse(buf, &bus, ports, &np)) {
				assert_true(bus >= 1);
				assert_true(np >= 1 && np <= SF_SIM_MAX_PORTS);
			}
		}
	}
}

static void profile_file(char *out, size_t size)
{
	const char *top = getenv("top_srcdir");
	snprintf(out, size, "%s/profiles/core.json", top ? top : "..");
}

static void add_core(const char *serial, char *got, size_t size)
{
	char file[512];
	sf_profile prof;
	sf_err err = { 0, "" };
	sf_sim_new spec = { 0 };
	profile_file(file, sizeof file);
	if (sf_profile_load_file(file, &prof, &err) != 0)
		fail_msg("%s", err.msg);
	spec.profile_file = file;
	spec.profile = &prof;
	spec.serial = serial;
	if (sf_sim_device_create(tmpdir, &spec, got, size, &err) != 0)
		fail_msg("%s", err.msg);
	sf_profile_free(&prof);
}

static void test_round_trip(void **state)
{
	char serial[64], serial2[64];
	sf_sim_device d;
	sf_err err = { 0, "" };
	char **names;
	size_t n;
	(void)state;
	add_core("6D92487A5151", serial, sizeof serial);
	add_core(NULL, serial2, sizeof serial2);
	assert_int_equal(strlen(serial2), 12);
	assert_int_equal(sf_sim_device_load(tmpdir, serial, &d, &err), 0);
	assert_string_equal(d.path, "1-1");
	assert_int_equal(d.devnum, 2);
	assert_int_equal(d.mode, SF_SIM_PRESENT);
	assert_int_equal(d.profile.nalts, 2);
	assert_int_equal(d.counters[1].npages, 512);
	d.counters[1].erases[511] = 7;
	d.mode = SF_SIM_LEFT;
	d.dfu_state = SF_DFU_ERROR;
	d.dfu_status = SF_DFU_ERR_WRITE;
	d.pointer = 0x08005000;
	d.has_pointer = true;
	assert_int_equal(sf_sim_state_save(&d, &err), 0);
	sf_sim_device_free(&d);
	assert_int_equal(sf_sim_device_load(tmpdir, serial, &d, &err), 0);
	assert_int_equal(d.counters[1].erases[511], 7);
	assert_int_equal(d.mode, SF_SIM_LEFT);
	assert_int_equal(d.dfu_status, SF_DFU_ERR_WRITE);
	assert_int_equal(d.pointer, 0x08005000);
	sf_sim_device_free(&d);
	assert_int_equal(sf_sim_device_reset(tmpdir, serial, false, &err), 0);
	assert_int_equal(sf_sim_device_load(tmpdir, serial, &d, &err), 0);
	assert_int_equal(d.mode, SF_SIM_PRESENT);
	assert_int_equal(d.devnum, 4); /* 2 and 3 taken: a replug gets a new one */
	sf_sim_device_free(&d);
	/* Runtime mode: persisted as "runtime", back to DFU with a plain reset. */
	assert_int_equal(sf_sim_device_reset(tmpdir, serial, true, &err), 0);
	assert_int_equal(sf_sim_device_load(tmpdir, serial, &d, &err), 0);
	assert_int_equal(d.mode, SF_SIM_RUNTIME);
	assert_string_equal(sf_sim_mode_name(d.mode), "runtime");
	sf_sim_device_free(&d);
	assert_int_equal(sf_sim_device_reset(tmpdir, serial, false, &err), 0);
	assert_int_equal(sf_sim_device_load(tmpdir, serial, &d, &err), 0);
	assert_int_equal(d.mode, SF_SIM_PRESENT);
	assert_int_equal(d.devnum, 6);
	sf_sim_device_free(&d);

	assert_int_equal(sf_sim_device_names(tmpdir, &names, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], serial); /* path 1-1 before 1-2 */
	sf_sim_names_free(names, n);
	assert_int_equal(sf_sim_device_remove(tmpdir, serial2, &err), 0);
	assert_int_equal(sf_sim_device_load(tmpdir, serial2, &d, &err), SF_EXIT_NO_DEVICE);
	assert_int_equal(sf_sim_device_load(tmpdir, "../x", &d, &err), SF_EXIT_USAGE);
}

static char *slurp(const char *file, size_t *n)
{
	FILE *f = fopen(file, "rb");
	char *buf = malloc(1 << 20);
	assert_non_null(f);
	assert_non_null(buf);
	*n = fread(buf, 1, (1 << 20) - 64, f);
	fclose(f);
	return buf;
}

static void spit(const char *file, const char *buf, size_t n)
{
	FILE *f = fopen(file, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, n, f), n);
	fclose(f);
}

/* Mutated state.json / device.json: loading succeeds or fails cleanly. */
static void test_fuzz_files(void **state)
{
	static const char *const files[] = { "state.json", "device.json" };
	char serial[64], path[2][600];
	char *orig[2];
	size_t olen[2];
	unsigned seed = fuzz_seed();
	(void)state;
	add_core("FUZZ", serial, sizeof serial);
	for (int f = 0; f < 2; f++) {
		snprintf(path[f], sizeof path[f], "%s/devices/FUZZ/%s", tmpdir, files[f]);
		orig[f] = slurp(path[f], &olen[f]);
	}
	printf("# state file fuzz: seeds 1 and %u\n", seed);
	for (int round = 0; round < 2; round++) {
		srand(round ? seed : 1);
		for (int it = 0; it < 150; it++) {
			int f = rand() % 2;
			char *buf = malloc(olen[f] + 64);
			size_t n = olen[f];
			sf_sim_device d;
			sf_err err = { 0, "" };
			assert_non_null(buf);
			memcpy(buf, orig[f], n);
			mutate(buf, &n, olen[f] + 64);
			spit(path[f], buf, n);
			if (sf_sim_device_load(tmpdir, "FUZZ", &d, &err) == 0) {
				assert_true(d.dfu_state >= SF_DFU_IDLE && d.dfu_state <= SF_DFU_ERROR);
				sf_sim_device_free(&d);
			} else {
				assert_true(strlen(err.msg) > 0);
			}
			spit(path[f], orig[f], olen[f]);
			free(buf);
		}
	}
	free(orig[0]);
	free(orig[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_parse),
		cmocka_unit_test(test_serial_ok),
		cmocka_unit_test(test_fuzz_path),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fuzz_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
