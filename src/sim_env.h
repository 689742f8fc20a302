/* The environment a child process (dfu-util, or any program under
 * `sim exec`) needs to see the simulated devices instead of USB:
 *   LD_PRELOAD=<libsfsim.so>[:previous LD_PRELOAD]
 *   SPARKFLASH_SIM_DIR=<absolute simulation directory>
 * The library is $SPARKFLASH_SIM_LIB when set, else the default: the one
 * that goes with this executable (main sets it from selfdirs.h: the build
 * tree's .libs/libsfsim.so when run from it), else the installed
 * $(pkglibdir)/libsfsim.so. Only the child gets these variables. */
#ifndef SF_SIM_ENV_H
#define SF_SIM_ENV_H

#include "sf_error.h"

/* Returns a malloc'd NULL-terminated copy of `base` (usually environ) with
 * the variables above set; free with sf_env_free. Fails with
 * SF_EXIT_REFUSED when sim_dir is not a directory, SF_EXIT_INTERNAL when the
 * library is missing. */
int sf_sim_child_env(const char *sim_dir, char *const *base, char ***out, sf_err *err);

/* The library used without SPARKFLASH_SIM_LIB (borrowed; NULL: the
 * installed one). */
void sf_sim_set_default_library(const char *path);

/* Path of the simulator library that would be used (static storage). */
const char *sf_sim_library_path(void);

void sf_env_free(char **env);

#endif
