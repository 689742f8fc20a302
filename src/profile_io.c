/* Finding and reading profile files: the I/O edge of profile.c. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile_io.h"

#define MAX_PROFILE_BYTES (1024 * 1024)
#define MAX_PROFILES 1024

/* The program's own directory (main sets it from selfdirs.h); the
 * configured one for anything else that links this file. */
static const char *builtin_dir = SF_PROFILEDIR;

void sf_profile_set_builtin_dir(const char *dir)
{
	builtin_dir = dir && *dir ? dir : SF_PROFILEDIR;
}

int sf_profile_env_check(const char *env, sf_err *err)
{
	size_t n = 0, len;
	if (!env || !*env)
		return 0;
	len = strlen(env);
	if (len >= SF_PROFILE_ENV_MAX_BYTES)
		return sf_err_set(err, SF_EXIT_USAGE, "SPARKFLASH_PROFILES is %zu bytes long; at most %d are used: "
				  "name fewer or shorter directories", len, SF_PROFILE_ENV_MAX_BYTES - 1);
	for (const char *p = env; *p;) {
		size_t k = strcspn(p, ":");
		if (k)
			n++;
		p += k + (p[k] == ':');
	}
	if (n > SF_PROFILE_ENV_MAX_DIRS)
		return sf_err_set(err, SF_EXIT_USAGE, "SPARKFLASH_PROFILES names %zu directories; at most %d are "
				  "searched: name fewer", n, SF_PROFILE_ENV_MAX_DIRS);
	return 0;
}

void sf_profile_path_init(sf_profile_path *path, const char *const *explicit_dirs,
			  size_t nexplicit)
{
	/* SPARKFLASH_PROFILES is split into this buffer so the entries can be
	 * borrowed like the others (one search path per process); main has
	 * checked it fits (sf_profile_env_check). */
	static char envbuf[SF_PROFILE_ENV_MAX_BYTES];
	const char *env = getenv("SPARKFLASH_PROFILES");

	path->ndirs = 0;
	for (size_t i = 0; i < nexplicit && path->ndirs < SF_MAX_PROFILE_DIRS; i++)
		if (explicit_dirs[i] && explicit_dirs[i][0])
			path->dirs[path->ndirs++] = explicit_dirs[i];
	if (env && *env && strlen(env) < sizeof envbuf) {
		char *p = envbuf;
		strcpy(envbuf, env);
		for (;;) {
			char *colon = strchr(p, ':');
			if (colon)
				*colon = '\0';
			if (*p && path->ndirs < SF_MAX_PROFILE_DIRS - 1)
				path->dirs[path->ndirs++] = p;
			if (!colon)
				break;
			p = colon + 1;
		}
	}
	if (path->ndirs < SF_MAX_PROFILE_DIRS)
		path->dirs[path->ndirs++] = builtin_dir;
}

int sf_profile_load_file(const char *file, sf_profile *out, sf_err *err)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd, r;

	memset(out, 0, sizeof *out);
	/* O_NONBLOCK: a named pipe is refused below instead of hanging here. */
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot read profile '%s': %s", file,
				  strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return sf_err_set(err, SF_EXIT_REFUSED, "profile '%s' is not a regular file", file);
	}
	if (st.st_size > MAX_PROFILE_BYTES) {
		close(fd);
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "profile '%s' is %lld bytes; profiles are at most 1 MiB", file,
				  (long long)st.st_size);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(buf);
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot read profile '%s': short read", file);
	}
	buf[got] = '\0';
	r = sf_profile_parse(buf, got, file, out, err);
	free(buf);
	return r;
}

static bool is_path(const char *s)
{
	size_t n = strlen(s);
	return strchr(s, '/') || (n >= 5 && !strcmp(s + n - 5, ".json"));
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s/%s", dir, name);
	return s;
}

/* Whether a directory holds any *.json file. */
static bool has_json(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;
	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		found = len >= 6 && !strcmp(e->d_name + len - 5, ".json") && e->d_name[0] != '.';
	}
	closedir(d);
	return found;
}

/* "DIR (does not exist), DIR (no profiles), DIR": every directory of the
 * search path, each with what was wrong with it; "..." when it does not
 * all fit. */
static void searched_list(const sf_profile_path *path, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < path->ndirs; i++) {
		struct stat st;
		const char *note = "";
		int k;
		if (stat(path->dirs[i], &st) != 0)
			note = " (does not exist)";
		else if (!S_ISDIR(st.st_mode))
			note = " (not a directory)";
		else if (!has_json(path->dirs[i]))
			note = " (no profiles)";
		k = snprintf(buf + used, size - used, "%s%s%s", i ? ", " : "", path->dirs[i], note);
		if (k < 0 || (size_t)k >= size - used) {
			if (size > 4)
				snprintf(buf + (used < size - 4 ? used : size - 4), 4, "...");
			break;
		}
		used += (size_t)k;
	}
}

int sf_profile_none_found(const sf_profile_path *path, sf_err *err)
{
	char searched[SF_ERR_MSG_MAX - 150];
	searched_list(path, searched, sizeof searched);
	return sf_err_set(err, SF_EXIT_REFUSED,
			  "no device profiles found (looked in %s); pass --profiles-dir DIR or set SPARKFLASH_PROFILES, or reinstall sparkflash",
			  searched);
}

int sf_profile_find(const sf_profile_path *path, const char *name_or_path,
		    sf_profile *out, sf_err *err)
{
	char searched[SF_ERR_MSG_MAX - 160];
	memset(out, 0, sizeof *out);
	if (!name_or_path || !*name_or_path)
		return sf_err_set(err, SF_EXIT_USAGE, "empty profile name");
	if (is_path(name_or_path)) {
		int r = sf_profile_load_file(name_or_path, out, err);
		size_t n = strlen(name_or_path);
		/* "core.json" is a file in the current directory, not the
		 * profile core: say so when the file is missing */
		struct stat st;
		if (r && stat(name_or_path, &st) != 0 && errno == ENOENT && !strchr(name_or_path, '/') &&
		    n > 5 && n < 100) {
			size_t l = strlen(err->msg);
			snprintf(err->msg + l, sizeof err->msg - l,
				 " (a name ending in .json is a file; for the profile named '%.*s' give --profile %.*s)",
				 (int)(n - 5), name_or_path, (int)(n - 5), name_or_path);
		}
		return r;
	}
	for (size_t i = 0; i < path->ndirs; i++) {
		char *file, *fname;
		struct stat st;
		size_t n = strlen(name_or_path) + 6;
		fname = malloc(n);
		if (!fname)
			return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
		snprintf(fname, n, "%s.json", name_or_path);
		file = join(path->dirs[i], fname);
		free(fname);
		if (!file)
			return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
		if (stat(file, &st) == 0) {
			int r = sf_profile_load_file(file, out, err);
			free(file);
			return r;
		}
		free(file);
	}
	{
		bool any = false;
		for (size_t i = 0; i < path->ndirs && !any; i++)
			any = has_json(path->dirs[i]);
		if (!any)
			return sf_profile_none_found(path, err);
	}
	searched_list(path, searched, sizeof searched);
	return sf_err_set(err, SF_EXIT_REFUSED,
			  "profile '%.60s' not found (looked in %s); pass --profiles-dir DIR or a path to a .json file",
			  name_or_path, searched);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_profile(const void *a, const void *b)
{
	return strcmp(((const sf_profile *)a)->id, ((const sf_profile *)b)->id);
}

/* Sorted *.json names of a directory (regular files only); NULL list when the
 * directory does not exist. */
static int list_dir(const char *dir, char ***names, size_t *n, sf_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;
	*names = NULL;
	*n = 0;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char *full;
		struct stat st;
		if (len < 6 || strcmp(e->d_name + len - 5, ".json") || e->d_name[0] == '.')
			continue;
		full = join(dir, e->d_name);
		if (!full)
			goto oom;
		if (stat(full, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(full);
			continue;
		}
		if (*n == cap) {
			char **nn;
			cap = cap ? cap * 2 : 16;
			nn = realloc(*names, cap * sizeof *nn);
			if (!nn) {
				free(full);
				goto oom;
			}
			*names = nn;
		}
		(*names)[(*n)++] = full;
		if (*n > MAX_PROFILES)
			break;
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof **names, cmp_str);
	return 0;
oom:
	closedir(d);
	return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
}

/* Loads one directory; two files with the same id there are an error. */
static int load_dir(const char *dir, sf_profile **out, size_t *n, sf_err *err)
{
	char **names;
	size_t nnames;
	sf_profile *ps = NULL;
	size_t np = 0;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = list_dir(dir, &names, &nnames, err)))
		return r;
	if (nnames > MAX_PROFILES)
		r = sf_err_set(err, SF_EXIT_REFUSED, "more than %d profiles in '%s'", MAX_PROFILES, dir);
	if (!r && nnames && !(ps = calloc(nnames, sizeof *ps)))
		r = sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	for (size_t k = 0; k < nnames && !r; k++) {
		if ((r = sf_profile_load_file(names[k], &ps[np], err)))
			break;
		np++;
		for (size_t j = 0; j + 1 < np; j++)
			if (!strcmp(ps[j].id, ps[np - 1].id)) {
				r = sf_err_set(err, SF_EXIT_REFUSED,
					       "profiles '%s' and '%s' both have id '%s'; rename one",
					       ps[j].source, ps[np - 1].source, ps[j].id);
				break;
			}
	}
	for (size_t k = 0; k < nnames; k++)
		free(names[k]);
	free(names);
	if (r) {
		sf_profile_free_all(ps, np);
		return r;
	}
	*out = ps;
	*n = np;
	return 0;
}

int sf_profile_load_all(const sf_profile_path *path, sf_profile **out,
			size_t *n, sf_err *err)
{
	sf_profile *all = NULL;
	size_t nall = 0;
	int r = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < path->ndirs && !r; i++) {
		sf_profile *ps;
		size_t np;
		bool seen = false;
		/* The same directory twice on the path adds nothing. */
		for (size_t j = 0; j < i; j++)
			if (!strcmp(path->dirs[j], path->dirs[i]))
				seen = true;
		if (seen)
			continue;
		if ((r = load_dir(path->dirs[i], &ps, &np, err)))
			break;
		for (size_t k = 0; k < np; k++) {
			bool shadowed = false;
			for (size_t j = 0; j < nall && !shadowed; j++)
				shadowed = !strcmp(all[j].id, ps[k].id);
			if (!shadowed && !r) {
				sf_profile *na = nall < MAX_PROFILES ? realloc(all, (nall + 1) * sizeof *na) : NULL;
				if (!na) {
					r = sf_err_set(err, SF_EXIT_REFUSED,
						       "too many profiles along the search path (at most %d)",
						       MAX_PROFILES);
				} else {
					all = na;
					all[nall++] = ps[k];
					continue; /* moved, not freed */
				}
			}
			sf_profile_free(&ps[k]);
		}
		free(ps);
	}
	if (r) {
		sf_profile_free_all(all, nall);
		return r;
	}
	if (!nall)
		return sf_profile_none_found(path, err);
	qsort(all, nall, sizeof *all, cmp_profile);
	*out = all;
	*n = nall;
	return 0;
}

void sf_profile_free_all(sf_profile *profiles, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sf_profile_free(&profiles[i]);
	free(profiles);
}
