/* flash --all / several --serial: which devices, --wait's condition, and
 * the summary (counts, exit code rule, JSON, table). */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fleet.h"

static const sf_fleet_seen seen[] = {
	{ "A1", "1-1" }, { "B2", "1-2" }, { "C3", "1-3" }, { "C3", "1-4" }, { "", "1-5" },
};
#define NSEEN (sizeof seen / sizeof seen[0])

static void all_and_count(void **state)
{
	size_t picks[NSEEN], np;
	(void)state;
	assert_true(sf_fleet_match(NULL, 0, true, 0, seen, NSEEN, picks, &np, NULL, NULL));
	assert_int_equal(np, NSEEN);
	for (size_t i = 0; i < NSEEN; i++)
		assert_int_equal(picks[i], i);
	assert_true(sf_fleet_match(NULL, 0, true, 5, seen, NSEEN, picks, &np, NULL, NULL));
	assert_false(sf_fleet_match(NULL, 0, true, 6, seen, NSEEN, picks, &np, NULL, NULL));
	/* nothing listed: --all waits for one */
	assert_false(sf_fleet_match(NULL, 0, true, 0, seen, 0, picks, &np, NULL, NULL));
	assert_int_equal(np, 0);
}

static void wanted_serials_and_paths(void **state)
{
	const sf_fleet_want want[] = { { "B2", NULL }, { NULL, "1-5" }, { "ZZ", NULL }, { NULL, "9-9" } };
	size_t picks[NSEEN], np, missing[4], nm;
	char text[200];
	(void)state;
	assert_false(sf_fleet_match(want, 4, false, 0, seen, NSEEN, picks, &np, missing, &nm));
	/* listing order, not the order given */
	assert_int_equal(np, 2);
	assert_int_equal(picks[0], 1);
	assert_int_equal(picks[1], 4);
	assert_int_equal(nm, 2);
	assert_int_equal(missing[0], 2);
	assert_int_equal(missing[1], 3);
	sf_fleet_describe_missing(want, missing, nm, text, sizeof text);
	assert_string_equal(text, "serial ZZ, path 9-9");
	/* all there */
	assert_true(sf_fleet_match(want, 2, false, 0, seen, NSEEN, picks, &np, missing, &nm));
	assert_int_equal(nm, 0);
	/* a serial on two devices picks both, once each */
	{
		const sf_fleet_want w2[] = { { "C3", NULL }, { NULL, "1-3" } };
		assert_true(sf_fleet_match(w2, 2, false, 0, seen, NSEEN, picks, &np, NULL, NULL));
		assert_int_equal(np, 2);
		assert_int_equal(picks[0], 2);
		assert_int_equal(picks[1], 3);
	}
}

static void needs_path(void **state)
{
	(void)state;
	assert_false(sf_fleet_needs_path(seen, NSEEN, 0));
	assert_true(sf_fleet_needs_path(seen, NSEEN, 2)); /* C3 twice */
	assert_true(sf_fleet_needs_path(seen, NSEEN, 3));
	assert_true(sf_fleet_needs_path(seen, NSEEN, 4)); /* no serial */
}

static void entry(sf_fleet_entry *e, const char *serial, int code, bool unchanged, const char *msg)
{
	memset(e, 0, sizeof *e);
	snprintf(e->serial, sizeof e->serial, "%s", serial);
	snprintf(e->label, sizeof e->label, "%s", *serial ? serial : "core 1d50:607f devnum 7");
	e->exit_code = code;
	e->unchanged = unchanged;
	snprintf(e->message, sizeof e->message, "%s", msg);
}

static void summary(void **state)
{
	sf_fleet_entry e[4];
	size_t ok, unch, failed;
	char text[200], table[2000];
	json_t *j;
	(void)state;
	entry(&e[0], "A1", 0, false, "flashed");
	entry(&e[1], "B2", 6, false, "write failed");
	entry(&e[2], "C3", 0, true, "unchanged");
	entry(&e[3], "", 5, false, "permission denied");
	/* the first failure in listing order */
	assert_int_equal(sf_fleet_exit_code(e, 4), 6);
	assert_int_equal(sf_fleet_exit_code(e + 2, 2), 5);
	assert_int_equal(sf_fleet_exit_code(e, 1), 0);
	assert_int_equal(sf_fleet_exit_code(e, 0), 0);
	sf_fleet_counts(e, 4, &ok, &unch, &failed);
	assert_int_equal(ok, 1);
	assert_int_equal(unch, 1);
	assert_int_equal(failed, 2);
	assert_string_equal(sf_fleet_result_name(&e[0]), "ok");
	assert_string_equal(sf_fleet_result_name(&e[1]), "failed");
	assert_string_equal(sf_fleet_result_name(&e[2]), "unchanged");
	sf_fleet_summary_text(e, 4, text, sizeof text);
	assert_string_equal(text, "2 of 4 devices failed (1 written, 1 unchanged)");
	sf_fleet_summary_text(e, 1, text, sizeof text);
	assert_string_equal(text, "all 1 device succeeded (1 written, 0 unchanged)");

	j = sf_fleet_summary_json(e, 4, false);
	assert_false(json_is_true(json_object_get(j, "ok")));
	assert_int_equal(json_integer_value(json_object_get(j, "exit_code")), 6);
	assert_string_equal(json_string_value(json_object_get(j, "error")), "transfer");
	assert_int_equal(json_integer_value(json_object_get(j, "devices")), 4);
	assert_int_equal(json_integer_value(json_object_get(j, "succeeded")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "failed")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "unchanged")), 1);
	{
		json_t *r = json_object_get(j, "results");
		assert_int_equal(json_array_size(r), 4);
		assert_string_equal(json_string_value(json_object_get(json_array_get(r, 1), "serial")), "B2");
		assert_string_equal(json_string_value(json_object_get(json_array_get(r, 1), "result")), "failed");
		assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 1), "exit_code")), 6);
		assert_true(json_is_null(json_object_get(json_array_get(r, 3), "serial")));
		assert_string_equal(json_string_value(json_object_get(json_array_get(r, 3), "label")),
				    "core 1d50:607f devnum 7");
	}
	json_decref(j);

	assert_true(sf_fleet_table(e, 4, table, sizeof table) < sizeof table);
	assert_non_null(strstr(table, "DEVICE"));
	assert_non_null(strstr(table, "B2 "));
	assert_non_null(strstr(table, "failed        6  write failed\n"));
	assert_non_null(strstr(table, "unchanged     0  unchanged\n"));
	/* a short buffer: cut, still terminated, the length needed reported */
	{
		char small[16];
		size_t need = sf_fleet_table(e, 4, small, sizeof small);
		assert_true(need > sizeof small);
		assert_true(strlen(small) < sizeof small);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(all_and_count),
		cmocka_unit_test(wanted_serials_and_paths),
		cmocka_unit_test(needs_path),
		cmocka_unit_test(summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
