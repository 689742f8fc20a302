/* Cloud URLs and device lists: escaping of path segments, device-ID
 * recognition, platform names, list filters. Pure. */
#ifndef SF_CLOUD_DEVICES_H
#define SF_CLOUD_DEVICES_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "sf_error.h"

/* `base` (no trailing '/') + "/" + each segment percent-escaped (everything
 * but A-Z a-z 0-9 - . _ ~), joined with '/'. An empty segment is refused
 * (it would change the path). Returns 0, or SF_EXIT_USAGE when a segment is
 * empty or the result does not fit. */
int sf_cloud_url(char *buf, size_t size, const char *base, const char *const *segments,
		 size_t nseg, sf_err *err);

/* 24 hex digits (either case). */
bool sf_cloud_is_device_id(const char *s);

/* Platform ID for a name ("photon", "electron", "p2", ... case-insensitive)
 * or a decimal number; -1 when unknown. */
int sf_cloud_platform_id(const char *name);
/* Name of a platform ID, or NULL when unknown. */
const char *sf_cloud_platform_name(int id);

/* `online` or the older `connected` is true. */
bool sf_cloud_device_online(const json_t *dev);

/* particle-cli's list filter: "online", "offline", a platform name or ID,
 * or an exact device ID (case-insensitive) or name. NULL/"" matches all. */
bool sf_cloud_device_matches(const json_t *dev, const char *filter);

/* Ids of the devices in `list` (an array) that are online and, when
 * platform >= 0, of that platform; returns a new array of id strings. */
json_t *sf_cloud_online_ids(const json_t *list, int platform);

#endif
