/* sparkflash udev print|install [--rules-dir DIR]: a udev rules file giving
 * the logged-in user (and group plugdev) access to every profile's DFU and
 * runtime VID:PID, printed or installed atomically. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "out.h"
#include "result.h"
#include "profile_io.h"
#include "sf_error.h"
#include "udev.h"
#include "fileio.h"

enum { OPT_RULES_DIR = SF_OPT_COMMAND_BASE };

static int udev_opt(sf_ctx *ctx, int opt, const char *arg, void *data)
{
	(void)ctx;
	if (opt != OPT_RULES_DIR)
		return sf_usage_error(ctx, "unknown option");
	*(const char **)data = arg;
	return 0;
}

/* Rules text for every profile on the search path; NULL after printing why. */
static char *rules_for_profiles(const sf_ctx *ctx, size_t *nids_out, int *rc)
{
	sf_profile_path path;
	sf_profile *profiles = NULL;
	size_t n = 0, nids = 0;
	sf_udev_id *ids;
	sf_err err = { 0 };
	char *text;

	sf_profile_path_init(&path, ctx->profiles_dirs, ctx->nprofiles_dirs);
	*rc = sf_profile_load_all(&path, &profiles, &n, &err);
	if (*rc) {
		sf_out_error(ctx, "%s", err.msg);
		return NULL;
	}
	ids = sf_udev_ids_from_profiles(profiles, n, &nids);
	text = ids ? sf_udev_rules_text(ids, nids) : NULL;
	sf_udev_ids_free(ids, nids);
	sf_profile_free_all(profiles, n);
	if (!text) {
		sf_out_error(ctx, "out of memory building the udev rules");
		*rc = SF_EXIT_INTERNAL;
		return NULL;
	}
	*nids_out = nids;
	*rc = 0;
	return text;
}

static char *read_existing(const char *path, bool *exists)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	*exists = f != NULL;
	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *g;
			if (cap > (1u << 20)) /* not ours: too big to be the generated file */
				break;
			cap = cap ? cap * 2 : 8192;
			g = realloc(buf, cap);
			if (!g)
				break;
			buf = g;
		}
		size_t r = fread(buf + n, 1, 4096, f);
		n += r;
		if (r < 4096)
			break;
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

/* Writes text to dir/name through a temporary file in dir and rename(2), so
 * udev never reads a half-written file. */
static int write_atomic(const sf_ctx *ctx, const char *target, const char *text)
{
	sf_err err = { 0 };
	int e;
	if (!sf_write_file(target, text, strlen(text), 0644, true, &err))
		return 0;
	e = errno;
	if (e == EACCES || e == EPERM || e == EROFS) {
		sf_out_error(ctx, "cannot install %s: %s; run 'sudo sparkflash udev install'", target, strerror(e));
		return SF_EXIT_PERMISSION;
	}
	sf_out_error(ctx, "%s", err.msg);
	return err.code;
}

static const struct option udev_longopts[] = {
	{ "rules-dir", required_argument, NULL, OPT_RULES_DIR },
	{ NULL, 0, NULL, 0 },
};

static int udev_run(sf_ctx *ctx, int argc, char **argv, bool *sent)
{
	const char *dir = SF_UDEV_RULES_DIR;
	const char *action;
	char target[4096];
	char *text, *old;
	size_t nids = 0;
	bool exists;
	const char *state;
	int first, rc;
	struct stat st;

	rc = sf_cli_parse(ctx, argc, argv, "", udev_longopts, udev_opt, &dir, &first);
	if (rc == -1)
		return SF_EXIT_OK;
	if (rc)
		return rc;
	if (argc - first != 1)
		return sf_usage_error(ctx, "udev needs one action: print or install");
	action = argv[first];
	if (strcmp(action, "print") && strcmp(action, "install"))
		return sf_usage_error(ctx, "unknown udev action '%s' (want print or install)", action);

	text = rules_for_profiles(ctx, &nids, &rc);
	if (!text)
		return rc;
	if (!strcmp(action, "print")) {
		if (ctx->json) {
			json_t *res = sf_result_base(0, "the rules file for every profile's VID:PIDs");
			json_object_update_new(res, json_pack("{s:s, s:s, s:I}", "file", SF_UDEV_RULES_FILE,
							      "rules", text, "ids", (json_int_t)nids));
			sf_out_event(ctx, "result", res);
			*sent = true;
		} else
			fputs(text, stdout);
		free(text);
		return SF_EXIT_OK;
	}

	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		sf_out_error(ctx, "rules directory %s does not exist (is udev in use on this system?); pass --rules-dir DIR",
			     dir);
		free(text);
		return SF_EXIT_REFUSED;
	}
	if ((size_t)snprintf(target, sizeof target, "%s/%s", dir, SF_UDEV_RULES_FILE) >= sizeof target) {
		free(text);
		return sf_usage_error(ctx, "rules directory path too long");
	}
	if (lstat(target, &st) == 0 && S_ISLNK(st.st_mode)) {
		/* e.g. a link to /dev/null that masks the rules: not ours to replace */
		sf_err err = { 0 };
		sf_dest_check(target, true, &err);
		sf_out_error(ctx, "%s", err.msg);
		free(text);
		return SF_EXIT_REFUSED;
	}
	old = read_existing(target, &exists);
	if (exists && old && !strcmp(old, text)) {
		state = "unchanged";
	} else {
		state = exists ? "changed" : "new";
		if (ctx->dry_run) {
			sf_out_info(ctx, "would write %s (%s, %zu device IDs)", target, state, nids);
		} else {
			rc = write_atomic(ctx, target, text);
			if (rc) {
				free(old);
				free(text);
				return rc;
			}
		}
	}
	free(old);
	free(text);
	if (ctx->json) {
		char msg[4200];
		json_t *res;
		snprintf(msg, sizeof msg, "%s: %s", target, state);
		res = sf_result_base(0, msg);
		json_object_update_new(res, json_pack("{s:s, s:s, s:I, s:b, s:s}", "path", target, "state", state,
						      "ids", (json_int_t)nids, "dry_run", ctx->dry_run,
						      "reload", "udevadm control --reload-rules && udevadm trigger"));
		sf_out_event(ctx, "result", res);
		*sent = true;
	}
	if (!strcmp(state, "unchanged"))
		sf_out_info(ctx, "%s is up to date (%zu device IDs); nothing to do", target, nids);
	else if (!ctx->dry_run)
		sf_out_info(ctx, "installed %s (%s, %zu device IDs)", target,
			    !strcmp(state, "new") ? "new file" : "changed", nids);
	if (strcmp(state, "unchanged") && !ctx->dry_run)
		sf_out_info(ctx, "now reload udev: sudo udevadm control --reload-rules && sudo udevadm trigger\n"
				 "then unplug and replug the device");
	return SF_EXIT_OK;
}

int cmd_udev(sf_ctx *ctx, int argc, char **argv)
{
	bool sent = false;
	int rc = udev_run(ctx, argc, argv, &sent);
	/* a failure after the command line was understood: one result too */
	if (ctx->json && !sent && rc && *sf_out_last_error())
		sf_out_event(ctx, "result", sf_result_base(rc, sf_out_last_error()));
	return rc;
}

/* The options of this command besides the common ones (commands.h). */
const struct option *const sf_options_udev[] = { udev_longopts, NULL };
