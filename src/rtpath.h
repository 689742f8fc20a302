/* Relocatable installs, as git's RUNTIME_PREFIX: data directories found
 * from where the executable is instead of where it was configured to be.
 * Pure (string work only). */
#ifndef SF_RTPATH_H
#define SF_RTPATH_H

#include <stdbool.h>
#include <stddef.h>

/* The executable sits in `exe_dir`; it was configured with `prefix` and
 * `bindir` (e.g. /usr/local and /usr/local/bin). When bindir lies below
 * prefix and exe_dir ends with that same part ("/bin"), the install lives
 * under exe_dir's prefix: `target` (a configured directory below prefix,
 * e.g. /usr/local/share/sparkflash/profiles) is written to `out` rebased
 * onto it (/opt/sf/share/sparkflash/profiles for /opt/sf/bin). Returns
 * false, leaving `out` alone, when any of that does not hold or `out` is too
 * small. Paths are compared textually; trailing slashes are ignored. */
bool sf_rtpath_relocate(const char *exe_dir, const char *prefix, const char *bindir,
			const char *target, char *out, size_t size);

#endif
