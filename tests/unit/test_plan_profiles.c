/* Properties of plans over every shipped profile (the *.json files in profiles/): the
 * spark-cli operations plan; every protected segment is refused to plain
 * writes and its erase neighbourhood is refused too, while the first byte
 * after that neighbourhood (when writable) is accepted. */
#include <config.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "plan.h"

static int load(const char *file, sf_profile *p)
{
	FILE *f = fopen(file, "rb");
	char *buf;
	long n;
	sf_err err;
	int rc;
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	fclose(f);
	rc = sf_profile_parse(buf, (size_t)n, file, p, &err);
	if (rc)
		fprintf(stderr, "# %s\n", err.msg);
	free(buf);
	return rc;
}

static void check_profile(const sf_profile *p)
{
	sf_plan pl;
	sf_err err;
	char addr[32];
	printf("# profile %s\n", p->id);
	if (sf_profile_segment(p, "userFirmware")) {
		sf_op_request r = { .kind = SF_OP_FLASH_USB, .file_size = 100 };
		assert_int_equal(sf_plan_make(p, &r, &pl, &err), 0);
		assert_true(pl.leave);
	}
	if (sf_profile_segment(p, "factoryReset")) {
		sf_op_request r = { .kind = SF_OP_FLASH_FACTORY, .file_size = 100 };
		assert_int_equal(sf_plan_make(p, &r, &pl, &err), 0);
		assert_false(pl.leave);
	}
	for (size_t i = 0; i < p->nsegments; i++) {
		const sf_segment *s = &p->segments[i];
		if (s->is_protected)
			assert_true(s->has_size && s->size > 0);
		sf_op_request w = { .kind = SF_OP_WRITE_SEGMENT, .segment = s->name, .file_size = 2 };
		sf_op_request rd = { .kind = SF_OP_READ_SEGMENT, .segment = s->name };
		assert_int_equal(sf_plan_make(p, &rd, &pl, &err), 0);
		if (!s->is_protected)
			continue;
		if (sf_plan_make(p, &w, &pl, &err) != SF_EXIT_REFUSED)
			fail_msg("%s: plain write into protected %s accepted", p->id, s->name);
		/* keys commands may write it, whole */
		sf_op_request k = { .kind = SF_OP_KEYS_LOAD, .segment = s->name, .file_size = s->size };
		if (sf_plan_make(p, &k, &pl, &err))
			fail_msg("%s: keys write into %s refused: %s", p->id, s->name, err.msg);
		/* The byte after the key's erase neighbourhood: free unless another
		 * protected segment or unwritable memory is there. */
		uint64_t after = pl.erase_end;
		if (after > 0xFFFFFFFFu)
			continue;
		bool other = false;
		for (size_t j = 0; j < p->nsegments; j++) {
			const sf_segment *o = &p->segments[j];
			if (o->is_protected && o->alt == s->alt && o->address >= (uint32_t)after &&
			    o->address < after + 4096 + 2)
				other = true;
		}
		snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)after);
		sf_op_request n = { .kind = SF_OP_WRITE_ADDRESS, .address = addr, .file_size = 2 };
		char altbuf[8];
		snprintf(altbuf, sizeof altbuf, "%d", s->alt);
		n.alt = altbuf;
		const sf_alt *a = sf_profile_alt(p, s->alt);
		bool writable = sf_layout_range_has(&a->layout, (uint32_t)after, 2, SF_MEM_WRITABLE);
		int rc = sf_plan_make(p, &n, &pl, &err);
		if (!other && writable && rc != 0)
			fail_msg("%s: %s right after %s's erase footprint refused: %s", p->id, addr, s->name, err.msg);
		if (rc == 0)
			assert_true(pl.erase_start >= after);
		if (rc == 0)
			printf("#   after %s: %s accepted\n", s->name, addr);
	}
}

static void shipped(void **state)
{
	DIR *d = opendir(SF_PROFILES_SRC);
	struct dirent *e;
	int n = 0;
	(void)state;
	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[4096];
		sf_profile p;
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".json"))
			continue;
		snprintf(path, sizeof path, "%s/%s", SF_PROFILES_SRC, e->d_name);
		assert_int_equal(load(path, &p), 0);
		check_profile(&p);
		sf_profile_free(&p);
		n++;
	}
	closedir(d);
	assert_true(n >= 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shipped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
