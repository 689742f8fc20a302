/* Reads what a cloud compile sends (cloud_project.h). */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloud_project.h"
#include "fileio.h"
#include "image_io.h"
#include "out.h"

/* Entries a directory walk looks at before giving up: a firmware project
 * is small; a home directory given by mistake must not take minutes. */
#define WALK_MAX 20000
#define LIST_FILE_MAX (64 * 1024)

void sf_project_free(sf_project *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->files[i].name);
		free(p->files[i].path);
		free(p->files[i].data);
	}
	free(p->files);
	free(p->bin);
	memset(p, 0, sizeof *p);
}

/* Reads a whole file of at most `cap` bytes (an empty one too). Returns 0,
 * 1 when it is larger than cap (nothing read), or an exit code. */
static int read_small(const char *path, size_t cap, uint8_t **data, size_t *len, sf_err *err)
{
	struct stat st;
	int fd, e, rc = sf_open_input(path, SF_FIFO_WAIT_S, &fd, &st, err);
	*data = NULL;
	*len = 0;
	if (rc)
		return rc;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > cap) {
		close(fd);
		return 1;
	}
	rc = sf_read_bounded(fd, cap, S_ISREG(st.st_mode) ? (size_t)st.st_size : 0, data, len);
	e = errno;
	close(fd);
	if (rc < 0)
		/* not SF_EXIT_INTERNAL: 1 means "larger than cap" here */
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot read '%s': %s", path, strerror(e));
	return rc;
}

static const char *base_of(const char *path)
{
	const char *s = path + strlen(path);
	while (s > path && s[-1] == '/')
		s--;
	while (s > path && s[-1] != '/')
		s--;
	return s;
}

static int add_file(sf_project *p, const char *name, size_t name_len, const char *path, uint8_t *data, size_t len,
		    sf_err *err)
{
	sf_src_file *f;
	if (p->n >= SF_CLOUD_SRC_FILES_MAX) {
		free(data);
		return sf_err_set(err, SF_EXIT_REFUSED, "more than %d source files; the cloud compiler takes a project, not a tree",
				  SF_CLOUD_SRC_FILES_MAX);
	}
	if (p->total + len > SF_CLOUD_SRC_TOTAL_MAX) {
		free(data);
		return sf_err_set(err, SF_EXIT_REFUSED, "the sources come to more than %u MB, the compile service's limit",
				  SF_CLOUD_SRC_TOTAL_MAX / (1024 * 1024));
	}
	if (p->n % 64 == 0) {
		sf_src_file *nf = realloc(p->files, (p->n + 64) * sizeof *nf);
		if (!nf) {
			free(data);
			return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
		}
		p->files = nf;
	}
	f = &p->files[p->n];
	f->name = strndup(name, name_len);
	f->path = strdup(path);
	f->data = data;
	f->len = len;
	if (!f->name || !f->path) {
		free(f->name);
		free(f->path);
		free(data);
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	}
	p->n++;
	p->total += len;
	return 0;
}

/* ---- directories -------------------------------------------------------- */

typedef struct walk {
	char **rel;           /* files found, relative to the top */
	size_t n, cap;
	size_t seen;
	bool too_many;
	bool symlinked_dirs;  /* a symlink to a directory was not followed */
} walk;

static int walk_add(walk *w, const char *rel)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 128;
		char **nr = realloc(w->rel, cap * sizeof *nr);
		if (!nr)
			return -1;
		w->rel = nr;
		w->cap = cap;
	}
	if (!(w->rel[w->n] = strdup(rel)))
		return -1;
	w->n++;
	return 0;
}

/* Collects the regular files under top/rel (hidden entries skipped, as
 * the patterns never match them; symlinked directories not followed). */
static int walk_dir(walk *w, const char *top, const char *rel, int depth, sf_err *err)
{
	char path[4096];
	DIR *d;
	struct dirent *de;
	int rc = 0;
	snprintf(path, sizeof path, "%s%s%s", top, *rel ? "/" : "", rel);
	if (!(d = opendir(path)))
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot read directory '%s': %s", path, strerror(errno));
	while (!rc && (de = readdir(d)) != NULL) {
		char crel[4096], cpath[4096 + 256];
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		if (++w->seen > WALK_MAX) {
			w->too_many = true;
			break;
		}
		if ((size_t)snprintf(crel, sizeof crel, "%s%s%s", rel, *rel ? "/" : "", de->d_name) >= sizeof crel - 256)
			continue;
		snprintf(cpath, sizeof cpath, "%s/%s", top, crel);
		if (lstat(cpath, &st))
			continue;
		if (S_ISLNK(st.st_mode)) {
			if (stat(cpath, &st))
				continue;
			if (S_ISDIR(st.st_mode)) {
				w->symlinked_dirs = true;
				continue;
			}
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth >= SF_CLOUD_SRC_DEPTH_MAX)
				rc = sf_err_set(err, SF_EXIT_REFUSED, "'%s' is nested more than %d directories deep", cpath,
						SF_CLOUD_SRC_DEPTH_MAX);
			else
				rc = walk_dir(w, top, crel, depth + 1, err);
		} else if (S_ISREG(st.st_mode)) {
			if (walk_add(w, crel))
				rc = sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
		}
	}
	closedir(d);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct list_apply {
	walk *w;
	bool *sel;
	const char *dir;      /* the list file's directory, relative ("" at the top) */
	bool value;           /* true: include, false: ignore */
} list_apply;

static void apply_line(void *ud, const char *line)
{
	list_apply *a = ud;
	size_t dl = strlen(a->dir);
	for (size_t i = 0; i < a->w->n; i++) {
		const char *rel = a->w->rel[i];
		if (dl) {
			if (strncmp(rel, a->dir, dl) || rel[dl] != '/')
				continue;
			rel += dl + 1;
		}
		if (sf_glob_match(line, rel))
			a->sel[i] = a->value;
	}
}

/* particle.include (value true) or particle.ignore (false) files anywhere
 * in the tree, each applied to the files under its own directory. */
static int apply_lists(const sf_ctx *ctx, walk *w, bool *sel, const char *top, const char *list_name, bool value,
		       sf_err *err)
{
	for (size_t i = 0; i < w->n; i++) {
		const char *rel = w->rel[i], *b = base_of(rel);
		char dir[4096], path[8192];
		list_apply a = { w, sel, dir, value };
		uint8_t *text;
		size_t len, too_long;
		int rc;
		if (strcmp(b, list_name))
			continue;
		snprintf(dir, sizeof dir, "%.*s", (int)(b > rel ? b - rel - 1 : 0), rel);
		snprintf(path, sizeof path, "%s/%s", top, rel);
		rc = read_small(path, LIST_FILE_MAX, &text, &len, err);
		if (rc == 1)
			return sf_err_set(err, SF_EXIT_REFUSED, "'%s' is larger than %d KiB; not a list of patterns", path,
					  LIST_FILE_MAX / 1024);
		if (rc)
			return rc;
		too_long = sf_cloud_pattern_lines((const char *)text, len, apply_line, &a);
		free(text);
		if (too_long)
			sf_out_warning(ctx, "%s: %zu pattern line%s longer than 255 bytes ignored", path, too_long,
				       too_long == 1 ? "" : "s");
	}
	return 0;
}

static int read_dir(const sf_ctx *ctx, sf_project *p, const char *top, sf_err *err)
{
	walk w = { 0 };
	bool *sel = NULL;
	size_t before = p->n, skipped = 0;
	int rc;
	char t[4096];
	size_t tl;

	/* "dir/" and "dir" name the same files */
	snprintf(t, sizeof t, "%s", top);
	tl = strlen(t);
	while (tl > 1 && t[tl - 1] == '/')
		t[--tl] = '\0';
	rc = walk_dir(&w, t, "", 0, err);
	if (!rc && w.too_many)
		rc = sf_err_set(err, SF_EXIT_REFUSED, "'%s' holds more than %d entries; give the project's directory",
				top, WALK_MAX);
	if (!rc && w.n)
		qsort(w.rel, w.n, sizeof *w.rel, cmp_str);
	if (!rc && !(sel = calloc(w.n + 1, sizeof *sel)))
		rc = sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	for (size_t i = 0; !rc && i < w.n; i++)
		sel[i] = sf_cloud_dir_default(w.rel[i]);
	if (!rc)
		rc = apply_lists(ctx, &w, sel, t, "particle.include", true, err);
	if (!rc)
		rc = apply_lists(ctx, &w, sel, t, "particle.ignore", false, err);
	for (size_t i = 0; !rc && i < w.n; i++) {
		char path[8192];
		uint8_t *data;
		size_t len;
		int r;
		if (!sel[i])
			continue;
		snprintf(path, sizeof path, "%s/%s", t, w.rel[i]);
		r = read_small(path, SF_CLOUD_SRC_FILE_MAX, &data, &len, err);
		if (r == 1) {
			sf_out_warning(ctx, "skipping %s: larger than %u MB (particle-cli skips such files too)", path,
				       SF_CLOUD_SRC_FILE_MAX / (1024 * 1024));
			skipped++;
			continue;
		}
		if (r) {
			rc = r;
			break;
		}
		if (!sf_cloud_is_text(data, len)) {
			free(data);
			rc = sf_err_set(err, SF_EXIT_REFUSED,
					"'%s' is selected as a source file but is not text; remove it or list it in particle.ignore",
					path);
			break;
		}
		rc = add_file(p, w.rel[i], strlen(w.rel[i]), path, data, len, err);
	}
	if (!rc && w.symlinked_dirs)
		sf_out_warning(ctx, "%s: symbolic links to directories are not followed", top);
	if (!rc && p->n == before)
		rc = sf_err_set(err, SF_EXIT_REFUSED,
				"no source files in '%s'%s (looked for *.ino *.cpp *.c *.h *.hpp *.hh *.hxx build.mk project.properties, particle.include, particle.ignore)",
				top, skipped ? " that are small enough" : "");
	for (size_t i = 0; i < w.n; i++)
		free(w.rel[i]);
	free(w.rel);
	free(sel);
	return rc;
}

/* ---- the arguments ------------------------------------------------------ */

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int sf_project_read(const sf_ctx *ctx, char **args, size_t nargs, sf_project *p, sf_err *err)
{
	const char *binary = NULL, *source = NULL;
	int rc = 0;

	memset(p, 0, sizeof *p);
	if (nargs == 1)
		snprintf(p->label, sizeof p->label, "%.299s", args[0]);
	else
		snprintf(p->label, sizeof p->label, "%.200s and %zu more", args[0], nargs - 1);

	/* One file: read as an image is (the same checks and messages), then
	 * told apart by its bytes. */
	if (nargs == 1 && !is_dir(args[0])) {
		uint8_t *data;
		size_t len;
		const char *name = base_of(args[0]);
		if ((rc = sf_image_read(args[0], 0, &data, &len, err)) != 0)
			return rc;
		switch (sf_cloud_file_kind_of(name, data, len)) {
		case SF_CLOUD_FILE_BINARY:
			p->binary = true;
			p->bin = data;
			p->bin_len = len;
			return 0;
		case SF_CLOUD_FILE_SOURCE:
			if ((rc = add_file(p, name, strlen(name), args[0], data, len, err)) != 0)
				return rc;
			break;
		default:
			free(data);
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "'%s' is text: not a binary (no module header) and not a source file (*.ino *.cpp *.c *.h *.hpp, or a directory of them); nothing sent",
					  args[0]);
		}
	} else {
		for (size_t i = 0; !rc && i < nargs; i++) {
			uint8_t *data;
			size_t len;
			const char *name = base_of(args[i]);
			if (!*args[i]) {
				rc = sf_err_set(err, SF_EXIT_USAGE, "empty FILE argument");
				break;
			}
			if (is_dir(args[i])) {
				rc = read_dir(ctx, p, args[i], err);
				source = args[i];
				continue;
			}
			rc = read_small(args[i], SF_IMAGE_MAX_SIZE, &data, &len, err);
			if (rc == 1) {
				rc = sf_err_set(err, SF_EXIT_REFUSED, "'%s' is too large (over %u bytes)", args[i],
						SF_IMAGE_MAX_SIZE);
				break;
			}
			if (rc)
				break;
			if (sf_cloud_file_kind_of(name, data, len) == SF_CLOUD_FILE_BINARY) {
				free(data);
				binary = args[i];
				continue;
			}
			source = args[i];
			if (len > SF_CLOUD_SRC_FILE_MAX) {
				sf_out_warning(ctx, "skipping %s: larger than %u MB (particle-cli skips such files too)",
					       args[i], SF_CLOUD_SRC_FILE_MAX / (1024 * 1024));
				free(data);
				continue;
			}
			rc = add_file(p, name, strlen(name), args[i], data, len, err);
		}
		if (!rc && binary)
			rc = source ? sf_err_set(err, SF_EXIT_USAGE,
						 "'%s' is a binary and '%s' is source: give one binary, or source files to compile",
						 binary, source)
				    : sf_err_set(err, SF_EXIT_USAGE,
						 "several binaries given ('%s' is one): give one binary, or source files to compile",
						 binary);
	}
	if (!rc && !p->binary && p->n == 0)
		rc = sf_err_set(err, SF_EXIT_REFUSED, "no source file left to send from %s", p->label);
	/* names the compiler sees: unique, relative, inside the project */
	for (size_t i = 0; !rc && i < p->n; i++) {
		if (!sf_cloud_part_filename_ok(p->files[i].name)) {
			rc = sf_err_set(err, SF_EXIT_REFUSED, "'%s' cannot be sent under the name '%s'", p->files[i].path,
					p->files[i].name);
			break;
		}
		for (size_t k = 0; k < i; k++)
			if (!strcmp(p->files[i].name, p->files[k].name)) {
				rc = sf_err_set(err, SF_EXIT_USAGE,
						"'%s' and '%s' would both be sent as '%s'; give one of them",
						p->files[k].path, p->files[i].path, p->files[i].name);
				break;
			}
		if (!rc && !strcmp(p->files[i].name, "project.properties")) {
			p->has_props = true;
			sf_cloud_project_parse((const char *)p->files[i].data, p->files[i].len, &p->props);
			if (p->props.asset_ota_dir || p->props.env)
				rc = sf_err_set(err, SF_EXIT_REFUSED,
						"%s sets %s: sparkflash does not build asset or env bundles; compile this project with particle-cli",
						p->files[i].path, p->props.asset_ota_dir ? "assetOtaDir" : "env");
			else if (p->props.bad_lines)
				sf_out_warning(ctx, "%s: %zu line%s not KEY=VALUE (sent as it is)", p->files[i].path,
					       p->props.bad_lines, p->props.bad_lines == 1 ? " is" : "s are");
		}
	}
	if (rc)
		sf_project_free(p);
	return rc;
}
