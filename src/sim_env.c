#include <config.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim_env.h"

/* main sets it from selfdirs.h; the installed library otherwise */
static const char *default_lib = SF_PKGLIBDIR "/libsfsim.so";

void sf_sim_set_default_library(const char *path)
{
	default_lib = path && *path ? path : SF_PKGLIBDIR "/libsfsim.so";
}

const char *sf_sim_library_path(void)
{
	const char *env = getenv("SPARKFLASH_SIM_LIB");
	if (env && *env)
		return env;
	return default_lib;
}

static char *joined(const char *name, const char *a, const char *sep, const char *b)
{
	size_t len = strlen(name) + 1 + strlen(a) + (b ? strlen(sep) + strlen(b) : 0) + 1;
	char *s = malloc(len);
	if (s)
		snprintf(s, len, "%s=%s%s%s", name, a, b ? sep : "", b ? b : "");
	return s;
}

void sf_env_free(char **env)
{
	if (!env)
		return;
	for (char **e = env; *e; e++)
		free(*e);
	free(env);
}

int sf_sim_child_env(const char *sim_dir, char *const *base, char ***out, sf_err *err)
{
	struct stat st;
	char dir[PATH_MAX];
	const char *lib = sf_sim_library_path();
	const char *old_preload = NULL;
	size_t n = 0, k = 0;
	char **env;

	if (sim_dir && *sim_dir && stat(sim_dir, &st) == 0 && !S_ISDIR(st.st_mode))
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "simulation directory '%s' is not a directory; give --sim a directory (it is created by 'sim add')",
				  sim_dir);
	if (!sim_dir || !*sim_dir || stat(sim_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		const char *why = sim_dir && *sim_dir ? strerror(errno) : "none given";
		/* a very long name is said once (messages are bounded) */
		const char *again = sim_dir && *sim_dir && strlen(sim_dir) <= 200 ? sim_dir : "DIR";
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "simulation directory '%s' does not exist (%s); create it with 'sparkflash --sim %s sim add PROFILE'",
				  sim_dir ? sim_dir : "", why, again);
	}
	if (!realpath(sim_dir, dir))
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot resolve simulation directory '%s'", sim_dir);
	if (access(lib, R_OK) != 0)
		return sf_err_set(err, SF_EXIT_INTERNAL,
				  "simulator library '%s' not found; reinstall sparkflash or set SPARKFLASH_SIM_LIB", lib);

	for (char *const *e = base; e && *e; e++)
		n++;
	env = calloc(n + 3, sizeof *env);
	if (!env)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	for (char *const *e = base; e && *e; e++) {
		if (!strncmp(*e, "LD_PRELOAD=", 11)) {
			old_preload = *e + 11;
			continue;
		}
		if (!strncmp(*e, "SPARKFLASH_SIM_DIR=", 19))
			continue;
		if (!(env[k++] = strdup(*e)))
			goto oom;
	}
	if (!(env[k++] = joined("LD_PRELOAD", lib, ":", old_preload && *old_preload ? old_preload : NULL)))
		goto oom;
	if (!(env[k++] = joined("SPARKFLASH_SIM_DIR", dir, "", NULL)))
		goto oom;
	env[k] = NULL;
	*out = env;
	return 0;
oom:
	sf_env_free(env);
	return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
}
