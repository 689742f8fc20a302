#include <config.h>

#include <stdio.h>

#include "images.h"

/* Flashing rank: the radio stack and monolithic system first, system parts
 * by index, the application last (it depends on the rest). */
static int rank(const sf_module_info *m)
{
	switch (m->function) {
	case SF_MODFN_RADIO_STACK: return 0;
	case SF_MODFN_MONO_FIRMWARE: return 1;
	case SF_MODFN_SYSTEM_PART: return 10 + m->index;
	case SF_MODFN_USER_PART: return 1000;
	default: return 2000 + m->function;
	}
}

/* What the image is, for messages: "system part 2". */
static void what(const sf_module_info *m, char *buf, size_t size)
{
	if (m->function == SF_MODFN_SYSTEM_PART)
		snprintf(buf, size, "system part %u", m->index);
	else
		snprintf(buf, size, "%s", sf_module_function_name(m->function));
}

int sf_images_order(const sf_module_info *const *mods, const char *const *names, size_t n,
		    size_t *order, sf_err *err)
{
	if (n == 0)
		return sf_err_set(err, SF_EXIT_USAGE, "no image given");
	if (n > SF_IMAGES_MAX)
		return sf_err_set(err, SF_EXIT_USAGE, "at most %d images in one run, got %zu", SF_IMAGES_MAX, n);
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	if (n == 1)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!mods[i]->is_module)
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "'%s' is not a Particle module image: with several images each must say where it goes, and a raw image's destination would be a guess; flash it on its own (--usb FILE, or ADDRESS FILE)",
					  names ? names[i] : "?");
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			int ri = rank(mods[i]), rj = rank(mods[j]);
			bool clash = ri == rj ||
				     (mods[i]->function == SF_MODFN_MONO_FIRMWARE && mods[j]->function == SF_MODFN_SYSTEM_PART) ||
				     (mods[j]->function == SF_MODFN_MONO_FIRMWARE && mods[i]->function == SF_MODFN_SYSTEM_PART);
			if (clash) {
				char a[40], b[40];
				what(mods[i], a, sizeof a);
				what(mods[j], b, sizeof b);
				if (ri == rj)
					return sf_err_set(err, SF_EXIT_REFUSED,
							  "'%s' and '%s' are both a %s: give one image per destination",
							  names ? names[i] : "?", names ? names[j] : "?", a);
				return sf_err_set(err, SF_EXIT_REFUSED,
						  "'%s' (%s) and '%s' (%s) write the same system firmware: give one of them",
						  names ? names[i] : "?", a, names ? names[j] : "?", b);
			}
		}
	/* insertion sort by rank: stable, and n is small */
	for (size_t i = 1; i < n; i++) {
		size_t v = order[i], j = i;
		while (j > 0 && rank(mods[order[j - 1]]) > rank(mods[v])) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
	return 0;
}
