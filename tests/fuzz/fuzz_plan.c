/* Plan validation: fuzzed operation, address, length, alt, segment and file
 * size against every shipped profile. An accepted plan stays inside its
 * alt's memory and, for a write, inside writable pages that its erase
 * footprint covers; a refusal always says why. */
#include <config.h>

#include <dirent.h>
#include <stdio.h>

#include "fuzz.h"
#include "plan.h"
#include "profile.h"

#define MAX_PROFILES 64

static sf_profile profiles[MAX_PROFILES];
static size_t nprofiles;

static void load_profiles(void)
{
	DIR *d;
	struct dirent *e;
	static bool done;
	if (done)
		return;
	done = true;
	if (!(d = opendir(SF_PROFILES_SRC)))
		abort();
	while ((e = readdir(d)) && nprofiles < MAX_PROFILES) {
		char path[4096];
		FILE *f;
		char *text;
		long n;
		sf_err err;
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".json"))
			continue;
		snprintf(path, sizeof path, "%s/%s", SF_PROFILES_SRC, e->d_name);
		if (!(f = fopen(path, "rb")))
			continue;
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		fseek(f, 0, SEEK_SET);
		text = malloc((size_t)n + 1);
		if (text && fread(text, 1, (size_t)n, f) == (size_t)n &&
		    sf_profile_parse(text, (size_t)n, path, &profiles[nprofiles], &err) == 0)
			nprofiles++;
		free(text);
		fclose(f);
	}
	closedir(d);
	if (!nprofiles)
		abort();
}

/* The next NUL-separated word of the input (or "" when it ran out). */
static const char *word(const char **p, const char *end)
{
	const char *w = *p;
	if (w >= end)
		return "";
	*p = w + strlen(w) + 1;
	return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sf_op_request req = { 0 };
	sf_plan pl;
	sf_err err;
	char *buf;
	const char *p, *end, *seg;
	const sf_profile *prof;
	load_profiles();
	if (size < 6)
		return 0;
	prof = &profiles[data[0] % nprofiles];
	req.kind = (sf_op_kind)(data[1] % 10);
	req.leave = (sf_leave_mode)(data[2] % 3);
	req.force = data[2] & 4;
	req.file_size = (uint64_t)data[3] << (data[4] % 33);
	buf = malloc(size - 5 + 1);
	if (!buf)
		abort();
	memcpy(buf, data + 5, size - 5);
	buf[size - 5] = '\0';
	p = buf;
	end = buf + (size - 5);
	req.address = word(&p, end);
	req.length = word(&p, end);
	req.alt = p < end && *p ? word(&p, end) : NULL;
	seg = word(&p, end);
	/* a real segment name half of the time */
	req.segment = (data[2] & 8) && prof->nsegments ? prof->segments[data[4] % prof->nsegments].name : seg;
	if (sf_plan_make(prof, &req, &pl, &err) == 0) {
		const sf_alt *a = sf_profile_alt(prof, pl.alt);
		FUZZ_ASSERT(a != NULL);
		FUZZ_ASSERT((uint64_t)pl.address + pl.length <= ((uint64_t)1 << 32));
		if (pl.length && !req.force)
			FUZZ_ASSERT(sf_layout_range_has(&a->layout, pl.address, pl.length, 0));
		if (!pl.upload && pl.length && !req.force) {
			FUZZ_ASSERT(pl.erase_start <= pl.address);
			FUZZ_ASSERT(pl.erase_end >= (uint64_t)pl.address + pl.length);
		}
	} else {
		FUZZ_ASSERT(err.msg[0] != '\0');
	}
	(void)sf_plan_check_syntax(&req, &err);
	free(buf);
	return 0;
}
