#include <config.h>

#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rtpath.h"
#include "selfdirs.h"

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The same directory (device and inode), whatever the spelling. */
static bool same_dir(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && S_ISDIR(sa.st_mode) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

const sf_selfdirs *sf_selfdirs_get(void)
{
	static sf_selfdirs d;
	static bool done;
	char exe[PATH_MAX], dir[PATH_MAX], buf[PATH_MAX];
	ssize_t n;

	if (done)
		return &d;
	done = true;
	snprintf(d.profiles, sizeof d.profiles, "%s", SF_PROFILEDIR);
	snprintf(d.simlib, sizeof d.simlib, "%s/libsfsim.so", SF_PKGLIBDIR);
	snprintf(d.apps, sizeof d.apps, "%s", SF_APPSDIR);
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return &d; /* no /proc: the configured directories */
	exe[n] = '\0';
	snprintf(dir, sizeof dir, "%s", dirname(exe));

	if (same_dir(dir, SF_BUILD_DIR)) {
		d.build_tree = true;
		if ((size_t)snprintf(buf, sizeof buf, "%s/profiles", SF_SOURCE_DIR) < sizeof buf)
			snprintf(d.profiles, sizeof d.profiles, "%s", buf);
		if ((size_t)snprintf(buf, sizeof buf, "%s/.libs/libsfsim.so", dir) < sizeof buf)
			snprintf(d.simlib, sizeof d.simlib, "%s", buf);
		return &d;
	}
	if (sf_rtpath_relocate(dir, SF_PREFIX, SF_BINDIR, SF_PROFILEDIR, buf, sizeof buf) && is_dir(buf))
		snprintf(d.profiles, sizeof d.profiles, "%s", buf);
	if (sf_rtpath_relocate(dir, SF_PREFIX, SF_BINDIR, SF_APPSDIR, buf, sizeof buf) && is_dir(buf))
		snprintf(d.apps, sizeof d.apps, "%s", buf);
	if (sf_rtpath_relocate(dir, SF_PREFIX, SF_BINDIR, SF_PKGLIBDIR, buf, sizeof buf - 16)) {
		strcat(buf, "/libsfsim.so");
		if (access(buf, R_OK) == 0)
			snprintf(d.simlib, sizeof d.simlib, "%s", buf);
	}
	return &d;
}
