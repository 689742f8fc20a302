/* What a cloud compile sends, read from the command line's FILE arguments
 * (I/O edge; the rules are cloud_sources.c's): one binary, or source files
 * and directories of them. */
#ifndef SF_CLOUD_PROJECT_H
#define SF_CLOUD_PROJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "cloud_sources.h"
#include "sf_error.h"

typedef struct sf_src_file {
	char *name;            /* sent as: the base name of a FILE, the path inside a DIR */
	char *path;            /* where it was read */
	uint8_t *data;
	size_t len;
} sf_src_file;

typedef struct sf_project {
	bool binary;           /* the argument is one binary: bin, bin_len */
	uint8_t *bin;
	size_t bin_len;
	sf_src_file *files;    /* sources, sorted as sent */
	size_t n;
	size_t total;          /* bytes of all files */
	bool has_props;        /* a project.properties is sent */
	sf_cloud_project props;
	char label[300];       /* the arguments, for messages ("src/", "app.ino and 2 more") */
} sf_project;

/* Reads the arguments. One FILE is read as sf_image_read reads an image
 * (same refusals); a module image or bytes that are not text make
 * p->binary, with the bytes in p->bin. Otherwise every argument must
 * be a source file (any text file named on the command line goes as it is,
 * but one alone must have a source name) or a directory (its default
 * selection, particle.include and particle.ignore, cloud_sources.h).
 * Refuses: a binary among sources or several binaries (SF_EXIT_USAGE), two
 * files sent under one name (SF_EXIT_USAGE), missing or unreadable paths,
 * a selected file that is not text, no source at all, more than
 * SF_CLOUD_SRC_FILES_MAX files or SF_CLOUD_SRC_TOTAL_MAX bytes, a
 * project.properties asking for asset or env bundles (SF_EXIT_REFUSED).
 * Source files over SF_CLOUD_SRC_FILE_MAX are skipped with a warning, as
 * particle-cli does. Returns 0 or the exit code with err set. */
int sf_project_read(const sf_ctx *ctx, char **args, size_t nargs, sf_project *p, sf_err *err);

void sf_project_free(sf_project *p);

#endif
