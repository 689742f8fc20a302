/* sparkflash diagnose [LOGFILE|-]: explains a dfu-util transcript from any
 * source (a saved --log, a pasted terminal log, CI output). */
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
#include "diag.h"
#include "diag_host.h"
#include "diag_print.h"
#include "fileio.h"
#include "out.h"
#include "dfuout.h"
#include "profile_io.h"
#include "profmatch.h"
#include "sf_error.h"
#include "tlog.h"

/* Logs are text; a bigger input is almost certainly the wrong file. */
#define DIAGNOSE_MAX_INPUT (16u << 20)
/* Only the end of a long log matters (the last dfu-util run); keeping every
 * line of 16 MiB of short lines would cost far more memory than the text. */
#define DIAGNOSE_MAX_LINES 50000

/* Drops all but the last max lines ("\n" or "\r" ended) of text, keeping a
 * first line that is a transcript header. Returns how many were dropped. */
static size_t keep_last_lines(char *text, size_t *len, size_t max)
{
	size_t seps = 0, cut = 0, keep_head = 0, dropped = 0;
	for (size_t i = *len; i-- > 0;) {
		if (text[i] == '\n' || text[i] == '\r') {
			if (++seps > max) {
				cut = i + 1;
				break;
			}
		}
	}
	if (!cut)
		return 0;
	if (*len >= strlen(SF_TLOG_HEADER) && !memcmp(text, SF_TLOG_HEADER, strlen(SF_TLOG_HEADER))) {
		const char *nl = memchr(text, '\n', *len);
		keep_head = nl ? (size_t)(nl - text) + 1 : 0;
		if (cut < keep_head)
			return 0;
	}
	for (size_t i = keep_head; i < cut; i++)
		if (text[i] == '\n' || text[i] == '\r')
			dropped++;
	memmove(text + keep_head, text + cut, *len - cut);
	*len -= cut - keep_head;
	return dropped;
}

enum { OPT_NO_HOST = SF_OPT_COMMAND_BASE, OPT_RULES_DIR };

struct diagnose_opts {
	bool no_host;
	const char *rules_dirs[8];
	size_t nrules_dirs;
};

static int diagnose_opt(sf_ctx *ctx, int opt, const char *arg, void *data)
{
	struct diagnose_opts *o = data;
	switch (opt) {
	case OPT_NO_HOST:
		o->no_host = true;
		return 0;
	case OPT_RULES_DIR:
		if (o->nrules_dirs == sizeof o->rules_dirs / sizeof o->rules_dirs[0])
			return sf_usage_error(ctx, "too many --rules-dir options (at most 8)");
		o->rules_dirs[o->nrules_dirs++] = arg;
		return 0;
	default:
		return sf_usage_error(ctx, "unknown option");
	}
}

/* Reads all of fd up to max bytes. Returns 0, or an exit code after setting err. */
static int read_all(int fd, const char *name, char **out, size_t *len, sf_err *err)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory reading %s", name);
	for (;;) {
		ssize_t r;
		if (n == cap) {
			char *g;
			if (cap > DIAGNOSE_MAX_INPUT) {
				free(buf);
				return sf_err_set(err, SF_EXIT_REFUSED,
						  "%s is larger than %u MiB; a dfu-util log is much smaller: pass "
						  "the log itself (or its last part, e.g. 'tail -n 200 FILE | sparkflash "
						  "diagnose')", name, DIAGNOSE_MAX_INPUT >> 20);
			}
			g = realloc(buf, cap * 2);
			if (!g) {
				free(buf);
				return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory reading %s", name);
			}
			buf = g;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			return sf_err_set(err, SF_EXIT_REFUSED, "cannot read %s: %s", name, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > DIAGNOSE_MAX_INPUT) {
		free(buf);
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "%s is larger than %u MiB; a dfu-util log is much smaller: pass the log itself "
				  "(or its last part, e.g. 'tail -n 200 FILE | sparkflash diagnose')",
				  name, DIAGNOSE_MAX_INPUT >> 20);
	}
	*out = buf;
	*len = n;
	return 0;
}

/* The profile that explains the device: --profile, else the profile of the
 * first VID:PID the transcript names that one can be told for (profiles
 * sharing a VID:PID are told apart by the layouts in the log's listing,
 * profmatch.h). Profile problems are
 * not fatal here (a log can be explained without profiles) unless --profile
 * was given. Fills the profile part of dctx; strings stay owned by *one or
 * *all. */
static int pick_profile(const sf_ctx *ctx, const sf_transcript *t, const uint16_t (*ids)[2], size_t nids,
			sf_profile *one, bool *have_one, sf_profile **all, size_t *nall, sf_diag_context *dctx)
{
	sf_profile_path path;
	const sf_profile *p = NULL;
	sf_err err = { 0 };

	sf_profile_path_init(&path, ctx->profiles_dirs, ctx->nprofiles_dirs);
	if (ctx->profile) {
		int rc = sf_profile_find(&path, ctx->profile, one, &err);
		if (rc) {
			sf_out_error(ctx, "%s", err.msg);
			return rc;
		}
		*have_one = true;
		p = one;
	} else if (nids && sf_profile_load_all(&path, all, nall, &err) == 0) {
		sf_dfu_list list = { 0 };
		bool listed = sf_dfu_parse_list(t, &list);
		for (size_t i = 0; i < nids && !p; i++) {
			p = sf_profiles_match_logged(*all, *nall, listed ? &list : NULL, ids[i][0], ids[i][1]);
			/* a family member with another flash size: its own map */
			for (size_t k = 0; p && listed && k < list.n; k++)
				if (!list.devs[k].runtime && list.devs[k].vid == ids[i][0] && list.devs[k].pid == ids[i][1]) {
					sf_profile_adopt_layouts(&(*all)[p - *all], list.devs[k].alts, list.devs[k].nalts, &err);
					break;
				}
		}
		sf_dfu_list_free(&list);
	}
	sf_diag_context_profile(dctx, p);
	return 0;
}

static const struct option diagnose_longopts[] = {
	{ "no-host", no_argument, NULL, OPT_NO_HOST },
	{ "rules-dir", required_argument, NULL, OPT_RULES_DIR },
	{ NULL, 0, NULL, 0 },
};

int cmd_diagnose(sf_ctx *ctx, int argc, char **argv)
{
	struct diagnose_opts o = { 0 };
	sf_transcript t = { 0 };
	sf_diag_context dctx = { 0 };
	sf_diag_result res;
	sf_err err = { 0 };
	uint16_t ids[SF_DIAG_MAX_RULES][2];
	size_t nids, nall = 0;
	sf_profile prof;
	sf_profile *all = NULL;
	bool have_prof = false;
	const char *name = "-";
	char *text = NULL;
	size_t len = 0;
	int first, rc, fd;

	rc = sf_cli_parse(ctx, argc, argv, "", diagnose_longopts, diagnose_opt, &o, &first);
	if (rc == -1)
		return SF_EXIT_OK;
	if (rc)
		return rc;
	if (argc - first > 1)
		return sf_usage_error(ctx, "diagnose takes one LOGFILE (or - for stdin), got %d arguments",
				      argc - first);
	if (argc - first == 1)
		name = argv[first];
	if (!strcmp(name, "-")) {
		fd = STDIN_FILENO;
		name = "standard input";
	} else {
		struct stat st;
		/* a named pipe with no writer is waited for, not forever */
		rc = sf_open_input(name, SF_FIFO_WAIT_S, &fd, &st, &err);
		if (rc) {
			sf_out_error(ctx, "cannot open log: %s", err.msg);
			return rc;
		}
		if (S_ISDIR(st.st_mode)) {
			close(fd);
			sf_out_error(ctx, "'%s' is a directory; give the log file", name);
			return SF_EXIT_REFUSED;
		}
	}
	rc = read_all(fd, name, &text, &len, &err);
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc) {
		sf_out_error(ctx, "%s", err.msg);
		return rc;
	}
	{
		size_t dropped = keep_last_lines(text, &len, DIAGNOSE_MAX_LINES);
		if (dropped)
			sf_out_warning(ctx, "%s: examining only its last %d lines (%zu earlier ones skipped)", name,
				       DIAGNOSE_MAX_LINES, dropped);
	}
	rc = sf_tlog_parse(text, len, &t, &err);
	free(text);
	if (rc) {
		sf_out_error(ctx, "%s: %s", name, err.msg);
		sf_transcript_free(&t);
		return rc;
	}

	nids = sf_diag_transcript_ids(&t, ids, SF_DIAG_MAX_RULES);
	rc = pick_profile(ctx, &t, (const uint16_t (*)[2])ids, nids, &prof, &have_prof, &all, &nall, &dctx);
	if (rc) {
		sf_transcript_free(&t);
		return rc;
	}
	if (!o.no_host) {
		/* The log may come from another machine; host facts only add to the
		 * fix text, labelled "on this host". */
		sf_diag_host_opts hopts = { 0 };
		if (o.nrules_dirs) {
			hopts.rules_dirs = o.rules_dirs;
			hopts.nrules_dirs = o.nrules_dirs;
		}
		sf_diag_host_facts(&dctx, (const uint16_t (*)[2])ids, nids, &hopts);
	}

	rc = sf_diagnose(&t, &dctx, &res);
	if (rc) {
		sf_out_error(ctx, "out of memory diagnosing %s", name);
		sf_transcript_free(&t);
		if (have_prof)
			sf_profile_free(&prof);
		sf_profile_free_all(all, nall);
		return rc;
	}
	sf_diag_print(ctx, &res, true);
	rc = res.exit_code;
	sf_diag_result_free(&res);
	sf_transcript_free(&t);
	if (have_prof)
		sf_profile_free(&prof);
	sf_profile_free_all(all, nall);
	return rc;
}

/* The options of this command besides the common ones (commands.h). */
const struct option *const sf_options_diagnose[] = { diagnose_longopts, NULL };
