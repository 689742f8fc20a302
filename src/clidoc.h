/* The command line's documentation printed from the command table
 * (commands.h) and the option docs (cli.h), at build time: the man page
 * sparkflash(1) and the bash and zsh completions ('sparkflash --dump-cli
 * man|bash|zsh', run by the Makefile); and the words the completions ask
 * for at run time ('sparkflash __complete profiles|segments [PROFILE]'). */
#ifndef SF_CLIDOC_H
#define SF_CLIDOC_H

#include <stdio.h>

#include "cli.h"

/* Prints the man page ("man"), the bash ("bash") or zsh ("zsh")
 * completion script to f. Returns 0, or 2 for another word. */
int sf_clidoc_print(const char *what, FILE *f);

/* sparkflash __complete profiles: every profile id on the search path;
 * __complete segments [PROFILE]: the segment names of that profile (of
 * every profile without one). One word a line; nothing on errors. */
int cmd_complete(sf_ctx *ctx, int argc, char **argv);

#endif
