#include <config.h>

#include <stdio.h>
#include <string.h>

#include "apps.h"

/* particle-cli 1.16.0 and 2.16.0 (lib/deviceSpecs/specifications.js
 * knownApps) and 3.x (assets/knownApps/PLATFORM/tinker); spark-cli.md §2.7. */
static const struct {
	const char *profile;
	const char *name;
	const char *origin;
} apps[] = {
	{ "core", "tinker", "core_tinker.bin" },
	{ "core", "doctor", "core_doctor.bin" },
	{ "core", "cc3000", "cc3000-patch-programmer.bin" },
	{ "core", "cc3000_1_14", "cc3000-patch-programmer_1_14.bin" },
	{ "core", "voodoo", "voodoospark.bin" },
	{ "core", "deep_update_2014_06", "deep_update_2014_06.bin" },
	{ "photon", "tinker", "photon_tinker.bin" },
	{ "photon", "doctor", "photon_doctor.bin" },
	{ "photon", "voodoo", "voodoospark.bin" },
	{ "p1", "tinker", "p1_tinker.bin" },
	{ "p1", "doctor", "p1_doctor.bin" },
	{ "p1", "voodoo", "voodoospark.bin" },
	{ "electron", "tinker", "electron_tinker.bin" },
	{ "electron", "doctor", "electron_doctor.bin" },
	{ "electron", "tinker-usb-debugging", "tinker-usb-debugging-0.6.0-electron.bin" },
	{ "argon", "tinker", "tinker-0.8.0-rc.27-argon.bin" },
	{ "boron", "tinker", "tinker-0.8.0-rc.27-boron.bin" },
	{ "xenon", "tinker", "tinker-0.8.0-rc.27-xenon.bin" },
	{ "bsom", "tinker", "tinker-1.1.0-rc.1-bsom.bin" },
	{ "b5som", "tinker", "tinker-1.5.0-b5som.bin" },
	{ "tracker", "tinker", "tracker-tinker@1.5.4-rc.1.bin" },
	{ "esomx", "tinker", "assets/knownApps/esomx/tinker/ (particle-cli 3.x)" },
	{ "p2", "tinker", "assets/knownApps/p2/tinker/ (particle-cli 3.x)" },
};

#define NAPPS (sizeof apps / sizeof apps[0])

bool sf_app_word(const char *word)
{
	if (!word || !*word || strlen(word) > 64)
		return false;
	for (const char *p = word; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '-'))
			return false;
	return word[0] != '-';
}

bool sf_app_known(const char *name)
{
	for (size_t i = 0; i < NAPPS; i++)
		if (!strcmp(apps[i].name, name))
			return true;
	return false;
}

const char *sf_app_origin(const char *name, const char *profile_id)
{
	for (size_t i = 0; i < NAPPS; i++)
		if (!strcmp(apps[i].name, name) && profile_id && !strcmp(apps[i].profile, profile_id))
			return apps[i].origin;
	return NULL;
}

void sf_app_list(const char *profile_id, char *buf, size_t size)
{
	size_t used = 0;
	if (!size)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < NAPPS && used < size; i++)
		if (profile_id && !strcmp(apps[i].profile, profile_id))
			used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "", apps[i].name);
}

bool sf_app_path(const char *dir, const char *profile_id, const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s/%s.bin", dir, profile_id, name);
	return n > 0 && (size_t)n < size;
}
