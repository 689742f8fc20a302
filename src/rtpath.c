#include <config.h>

#include <stdio.h>
#include <string.h>

#include "rtpath.h"

/* Length without trailing slashes (but "/" stays "/"). */
static size_t trimmed(const char *s)
{
	size_t n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		n--;
	return n;
}

/* The part of `path` below `prefix` ("bin" for /usr/local/bin under
 * /usr/local), or NULL when path is not strictly below prefix. */
static const char *below(const char *path, size_t plen, const char *prefix, size_t *rlen)
{
	size_t n = trimmed(prefix);
	if (n == 1 && prefix[0] == '/')
		n = 0; /* prefix "/": everything is below it */
	if (plen <= n + 1 || strncmp(path, prefix, n) || path[n] != '/')
		return NULL;
	*rlen = plen - n - 1;
	return path + n + 1;
}

bool sf_rtpath_relocate(const char *exe_dir, const char *prefix, const char *bindir,
			const char *target, char *out, size_t size)
{
	size_t elen, blen, tlen, rbin, rtarget, base;
	const char *bin_rel, *target_rel;

	if (!exe_dir || !prefix || !bindir || !target || !*exe_dir || !*prefix || exe_dir[0] != '/')
		return false;
	elen = trimmed(exe_dir);
	blen = trimmed(bindir);
	tlen = trimmed(target);
	if (!(bin_rel = below(bindir, blen, prefix, &rbin)) ||
	    !(target_rel = below(target, tlen, prefix, &rtarget)))
		return false;
	/* exe_dir = NEWPREFIX "/" bin_rel */
	if (elen <= rbin || strncmp(exe_dir + elen - rbin, bin_rel, rbin) || exe_dir[elen - rbin - 1] != '/')
		return false;
	base = elen - rbin - 1;
	if (base + 1 + rtarget + 1 > size)
		return false;
	snprintf(out, size, "%.*s/%.*s", (int)base, exe_dir, (int)rtarget, target_rel);
	return true;
}
