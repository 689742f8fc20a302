/* Source files for the cloud compiler (`cloud compile`, `cloud flash
 * DEVICE app.ino|DIR`): binary or source, which files of a directory are
 * sent and under which names (particle-cli 3.x's rules, spark-cli.md §4.0),
 * project.properties, particle.include / particle.ignore patterns. Pure. */
#ifndef SF_CLOUD_SOURCES_H
#define SF_CLOUD_SOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sf_error.h"

/* particle-cli skips bigger source files; the compile service takes at most
 * 50 MB in all (Particle's "Firmware API limits"). */
#define SF_CLOUD_SRC_FILE_MAX (2u * 1024 * 1024)
#define SF_CLOUD_SRC_TOTAL_MAX (50u * 1024 * 1024)
#define SF_CLOUD_SRC_FILES_MAX 1000
#define SF_CLOUD_SRC_DEPTH_MAX 32

typedef enum sf_cloud_file_kind {
	SF_CLOUD_FILE_BINARY,  /* a module image (module header), or not text */
	SF_CLOUD_FILE_SOURCE,  /* text with a source name (sf_cloud_source_name) */
	SF_CLOUD_FILE_TEXT     /* text, but not named like a source file */
} sf_cloud_file_kind;

/* Text: no NUL and no control byte other than TAB LF VT FF CR (and ESC,
 * which terminal-colour code in comments may carry). Bytes >= 0x80 are
 * allowed: sources in UTF-8 or Latin-1. An empty buffer is text. */
bool sf_cloud_is_text(const uint8_t *d, size_t n);

/* A source by its base name: *.ino *.cpp *.c *.h *.hpp *.hh *.hxx
 * (case-insensitive), build.mk, project.properties. */
bool sf_cloud_source_name(const char *path);

/* Binary when the bytes carry a module header or are not text, whatever
 * the name; otherwise source or plain text by the name. */
sf_cloud_file_kind sf_cloud_file_kind_of(const char *path, const uint8_t *d, size_t n);

/* node-glob-like matching of a '/'-separated relative path: '*', '?' and
 * [...] within one segment, "**" as a whole segment for any number of
 * segments; no pattern matches a segment that starts with '.' unless the
 * pattern segment does. */
bool sf_glob_match(const char *pattern, const char *path);

/* The default selection of a directory (`rel` relative to it): the
 * source patterns anywhere, project.properties at the top, minus
 * lib/ * /examples/ ** (library examples are not part of the app). */
bool sf_cloud_dir_default(const char *rel);

/* Multipart name of the i-th file: "file", "file1", "file2", ... */
void sf_cloud_part_name(size_t i, char *buf, size_t size);

/* A part's filename must be relative and stay inside the project: not
 * empty, no leading '/', no "." or ".." segment, no empty segment, no
 * backslash or control character. */
bool sf_cloud_part_filename_ok(const char *name);

/* The lines of a particle.include / particle.ignore file: trimmed, blank
 * lines and '#' comments skipped. Calls fn for each (NUL-terminated,
 * at most 255 bytes; longer lines are skipped and counted in the result's
 * return). Returns the number of lines that were too long. */
size_t sf_cloud_pattern_lines(const char *text, size_t len, void (*fn)(void *ud, const char *line), void *ud);

/* What sparkflash reads from project.properties (the file itself is sent
 * as it is: the compile service installs the libraries it names). */
typedef struct sf_cloud_project {
	bool has_name;
	char name[128];
	size_t ndeps;              /* dependencies.NAME=VERSION lines */
	char deps[512];            /* "NAME@VERSION, ..." (truncated with "...") */
	bool asset_ota_dir;        /* assetOtaDir: asset bundles (not supported) */
	bool env;                  /* env: environment bundles (not supported) */
	size_t bad_lines;          /* lines that are neither key=value nor comments */
} sf_cloud_project;

/* Parses Java-properties-style text (KEY=VALUE or KEY:VALUE, '#' and '!'
 * comments, blank lines). Never fails: odd lines are counted. */
void sf_cloud_project_parse(const char *text, size_t len, sf_cloud_project *out);

#endif
