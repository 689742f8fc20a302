#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cloud_devices.h"

int sf_cloud_url(char *buf, size_t size, const char *base, const char *const *segments,
		 size_t nseg, sf_err *err)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(base);
	if (n + 1 > size)
		return sf_err_set(err, SF_EXIT_USAGE, "URL too long");
	memcpy(buf, base, n);
	for (size_t i = 0; i < nseg; i++) {
		const unsigned char *s = (const unsigned char *)segments[i];
		if (!*s)
			return sf_err_set(err, SF_EXIT_USAGE, "empty name in a cloud URL");
		if (n + 2 > size)
			return sf_err_set(err, SF_EXIT_USAGE, "URL too long");
		buf[n++] = '/';
		for (; *s; s++) {
			if (isalnum(*s) || *s == '-' || *s == '.' || *s == '_' || *s == '~') {
				if (n + 2 > size)
					return sf_err_set(err, SF_EXIT_USAGE, "URL too long");
				buf[n++] = (char)*s;
			} else {
				if (n + 4 > size)
					return sf_err_set(err, SF_EXIT_USAGE, "URL too long");
				buf[n++] = '%';
				buf[n++] = hex[*s >> 4];
				buf[n++] = hex[*s & 15];
			}
		}
		/* "." and ".." would be collapsed by the server; escape them. */
		if (!strcmp(segments[i], ".") || !strcmp(segments[i], "..")) {
			size_t len = strlen(segments[i]);
			n -= len;
			for (size_t k = 0; k < len; k++) {
				if (n + 4 > size)
					return sf_err_set(err, SF_EXIT_USAGE, "URL too long");
				memcpy(buf + n, "%2E", 3);
				n += 3;
			}
		}
	}
	buf[n] = '\0';
	return 0;
}

bool sf_cloud_is_device_id(const char *s)
{
	size_t n = 0;
	if (!s)
		return false;
	for (; s[n]; n++)
		if (!isxdigit((unsigned char)s[n]))
			return false;
	return n == 24;
}

static const struct { int id; const char *name; } platforms[] = {
	{ 0, "core" }, { 6, "photon" }, { 8, "p1" }, { 10, "electron" },
	{ 12, "argon" }, { 13, "boron" }, { 14, "xenon" }, { 22, "asom" },
	{ 23, "bsom" }, { 25, "b5som" }, { 26, "tracker" }, { 28, "trackerm" },
	{ 32, "p2" }, { 35, "msom" }, { 3, "gcc" },
};

int sf_cloud_platform_id(const char *name)
{
	char *end;
	long v;
	if (!name || !*name)
		return -1;
	for (size_t i = 0; i < sizeof platforms / sizeof platforms[0]; i++)
		if (!strcasecmp(platforms[i].name, name))
			return platforms[i].id;
	if (!isdigit((unsigned char)name[0]))
		return -1;
	v = strtol(name, &end, 10);
	if (*end || v < 0 || v > 65535)
		return -1;
	return (int)v;
}

const char *sf_cloud_platform_name(int id)
{
	for (size_t i = 0; i < sizeof platforms / sizeof platforms[0]; i++)
		if (platforms[i].id == id)
			return platforms[i].name;
	return NULL;
}

bool sf_cloud_device_online(const json_t *dev)
{
	return json_is_true(json_object_get(dev, "online")) ||
	       json_is_true(json_object_get(dev, "connected"));
}

bool sf_cloud_device_matches(const json_t *dev, const char *filter)
{
	const char *id, *name;
	int plat;
	if (!json_is_object(dev))
		return false;
	if (!filter || !*filter)
		return true;
	if (!strcasecmp(filter, "online"))
		return sf_cloud_device_online(dev);
	if (!strcasecmp(filter, "offline"))
		return !sf_cloud_device_online(dev);
	id = json_string_value(json_object_get(dev, "id"));
	name = json_string_value(json_object_get(dev, "name"));
	if (id && !strcasecmp(id, filter))
		return true;
	if (name && !strcmp(name, filter))
		return true;
	plat = sf_cloud_platform_id(filter);
	if (plat >= 0 && !sf_cloud_is_device_id(filter)) {
		json_t *p = json_object_get(dev, "platform_id");
		return json_is_integer(p) && json_integer_value(p) == plat;
	}
	return false;
}

json_t *sf_cloud_online_ids(const json_t *list, int platform)
{
	json_t *out = json_array();
	size_t i;
	json_t *dev;
	if (!json_is_array(list))
		return out;
	json_array_foreach(list, i, dev) {
		json_t *id = json_object_get(dev, "id");
		json_t *p = json_object_get(dev, "platform_id");
		if (!json_is_string(id) || !sf_cloud_device_online(dev))
			continue;
		if (platform >= 0 && !(json_is_integer(p) && json_integer_value(p) == platform))
			continue;
		json_array_append(out, id);
	}
	return out;
}
