/* Where this sparkflash's own data is (I/O edge): the default profile
 * directory and the simulator library, resolved once from the executable's
 * location (readlink /proc/self/exe):
 *  - run from its build tree (the directory it was built in, in-tree or
 *    out-of-tree): the source tree's profiles/ and the build tree's
 *    .libs/libsfsim.so, so an uninstalled binary works from anywhere;
 *  - installed, and moved as a whole (git's RUNTIME_PREFIX, rtpath.h): the
 *    configured directories rebased onto the executable's prefix, when
 *    they exist there;
 *  - otherwise the configured $(pkgdatadir)/profiles and
 *    $(pkglibdir)/libsfsim.so.
 * --profiles-dir, SPARKFLASH_PROFILES and SPARKFLASH_SIM_LIB still come
 * first (profile_io.h, sim_env.h). */
#ifndef SF_SELFDIRS_H
#define SF_SELFDIRS_H

#include <limits.h>
#include <stdbool.h>

typedef struct sf_selfdirs {
	char profiles[PATH_MAX];  /* the built-in profile directory */
	char simlib[PATH_MAX];    /* libsfsim.so */
	char apps[PATH_MAX];      /* the installed named-apps directory ($(pkgdatadir)/apps) */
	bool build_tree;          /* the executable runs from its build tree */
} sf_selfdirs;

/* Resolved on first use; static storage. */
const sf_selfdirs *sf_selfdirs_get(void);

#endif
