/* Finding and reading profile files (I/O edge of profile.h).
 * Search order: --profiles-dir DIRs (in order given), then SPARKFLASH_PROFILES
 * (colon-separated), then the built-in directory (selfdirs.h: the source
 * tree's profiles/ for a binary run from its build tree, else the installed
 * $(pkgdatadir)/profiles). */
#ifndef SF_PROFILE_IO_H
#define SF_PROFILE_IO_H

#include <stddef.h>

#include "profile.h"
#include "sf_error.h"

/* At most 16 --profiles-dir, SF_PROFILE_ENV_MAX_DIRS directories in
 * SPARKFLASH_PROFILES (SF_PROFILE_ENV_MAX_BYTES at most), and the built-in one. */
#define SF_MAX_PROFILE_DIRS 64
#define SF_MAX_EXPLICIT_PROFILE_DIRS 16
#define SF_PROFILE_ENV_MAX_DIRS 46
#define SF_PROFILE_ENV_MAX_BYTES 65536

typedef struct sf_profile_path {
	const char *dirs[SF_MAX_PROFILE_DIRS];
	size_t ndirs;
} sf_profile_path;

/* The built-in directory, last on the search path: $(pkgdatadir)/profiles
 * unless set (main: selfdirs.h). `dir` is borrowed; NULL restores the
 * configured one. */
void sf_profile_set_builtin_dir(const char *dir);

/* SPARKFLASH_PROFILES (env, may be NULL) within the limits above; else
 * SF_EXIT_USAGE with a message naming the variable and the limit (main
 * checks once, so no command silently drops a directory). */
int sf_profile_env_check(const char *env, sf_err *err);

/* Builds the search path from explicit dirs (may be NULL/0), the environment
 * and the built-in directory. Strings are borrowed, not copied. */
void sf_profile_path_init(sf_profile_path *path, const char *const *explicit_dirs,
			  size_t nexplicit);

/* Reads and parses one file. */
int sf_profile_load_file(const char *file, sf_profile *out, sf_err *err);

/* NAME_OR_PATH: contains '/' or ends in ".json" → a file; else the id looked
 * up as NAME.json along the search path (first hit wins). */
int sf_profile_find(const sf_profile_path *path, const char *name_or_path,
		    sf_profile *out, sf_err *err);

/* Loads every *.json along the search path (earlier dirs shadow later ones
 * with the same id), sorted by id. Broken files are reported through err
 * and stop the load. No profile at all is an error too (SF_EXIT_REFUSED,
 * sf_profile_none_found): every command that loads them needs one. */
int sf_profile_load_all(const sf_profile_path *path, sf_profile **out,
			size_t *n, sf_err *err);
void sf_profile_free_all(sf_profile *profiles, size_t n);

/* "no device profiles found (looked in DIR (does not exist), DIR (no
 * profiles), ...)": every directory of the search path; SF_EXIT_REFUSED. */
int sf_profile_none_found(const sf_profile_path *path, sf_err *err);

#endif
