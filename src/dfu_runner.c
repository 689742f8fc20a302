#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jsontext.h"
#include "dfu_runner.h"
#include "fileio.h"
#include "runpolicy.h"
#include "dfuout.h"
#include "out.h"
#include "sim_env.h"
#include "sf_spawn.h"

extern char **environ;

#define INSTALL_HINT "install it with 'apt-get install dfu-util' or pass --dfu-util PATH"
#define BAR_WIDTH 30

static bool is_exec_file(const char *path, int *why)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		*why = errno;
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = S_ISDIR(st.st_mode) ? EISDIR : EACCES;
		return false;
	}
	if (access(path, X_OK) != 0) {
		*why = errno;
		return false;
	}
	return true;
}

int sf_dfu_resolve(const sf_ctx *ctx, char *buf, size_t n, sf_err *err)
{
	const char *name = ctx->dfu_util && *ctx->dfu_util ? ctx->dfu_util : "dfu-util";
	int why = 0;

	if (strchr(name, '/')) {
		if (!is_exec_file(name, &why)) {
			if (why == ENOENT || why == ENOTDIR)
				return sf_err_set(err, SF_EXIT_DFU_UTIL, "dfu-util not found at '%s'; " INSTALL_HINT, name);
			return sf_err_set(err, SF_EXIT_DFU_UTIL, "dfu-util '%s' is not an executable file (%s); " INSTALL_HINT,
					  name, strerror(why));
		}
		if ((size_t)snprintf(buf, n, "%s", name) >= n)
			return sf_err_set(err, SF_EXIT_DFU_UTIL, "dfu-util path '%s' is too long", name);
		return 0;
	} else {
		const char *path = getenv("PATH");
		const char *p;
		if (!path || !*path)
			path = "/usr/local/bin:/usr/bin:/bin";
		for (p = path; ; ) {
			const char *colon = strchr(p, ':');
			size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
			int w;
			if (dlen == 0)
				w = snprintf(buf, n, "./%s", name);
			else
				w = snprintf(buf, n, "%.*s/%s", (int)dlen, p, name);
			if (w > 0 && (size_t)w < n && is_exec_file(buf, &why))
				return 0;
			if (!colon)
				break;
			p = colon + 1;
		}
		return sf_err_set(err, SF_EXIT_DFU_UTIL, "dfu-util '%s' not found in PATH; " INSTALL_HINT, name);
	}
}

/* What the progress display knows while dfu-util runs. */
typedef struct prog_state {
	const sf_ctx *ctx;
	bool tty, echo, events;
	unsigned long total;
	sf_dfu_phase phase;     /* phase of the open TTY line / last event */
	int last_pct;
	bool line_open;
	sf_dfu_line line;       /* scratch (large: keep it off the stack) */
} prog_state;

static void draw_tty(prog_state *ps, sf_dfu_phase phase, int pct, unsigned long bytes)
{
	char bar[BAR_WIDTH + 1];
	int filled = pct * BAR_WIDTH / 100;
	const char *label = phase == SF_PHASE_ERASE ? "Erase" :
			    phase == SF_PHASE_UPLOAD ? "Upload" : "Download";
	for (int i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < filled ? '=' : ' ';
	if (filled > 0 && filled < BAR_WIDTH)
		bar[filled - 1] = '>';
	bar[BAR_WIDTH] = '\0';
	if (ps->total && bytes <= ps->total)
		fprintf(stderr, "\r%-8s [%s] %3d%%  %lu/%lu bytes", label, bar, pct, bytes, ps->total);
	else
		fprintf(stderr, "\r%-8s [%s] %3d%%  %lu bytes", label, bar, pct, bytes);
	fflush(stderr);
	ps->line_open = true;
}

static void end_tty_line(prog_state *ps)
{
	if (ps->line_open) {
		fputc('\n', stderr);
		fflush(stderr);
		ps->line_open = false;
	}
}

static void on_line(void *data, sf_stream stream, const char *text, size_t len)
{
	prog_state *ps = data;
	sf_dfu_line *l = &ps->line;
	(void)len;

	if (ps->echo) {
		fprintf(stderr, "dfu-util%s %s\n", stream == SF_STREAM_STDERR ? "!" : "|", text);
		fflush(stderr);
	}
	if (!ps->tty && !ps->events)
		return;
	switch (sf_dfu_classify(text, l)) {
	case SF_DLINE_PROGRESS:
		if (ps->events && (l->phase != ps->phase || l->percent != ps->last_pct))
			sf_out_event(ps->ctx, "progress",
				     json_pack("{s:s, s:i, s:I}", "phase", sf_dfu_phase_name(l->phase),
					       "percent", l->percent, "bytes", (json_int_t)l->bytes));
		if (ps->tty) {
			if (ps->line_open && l->phase != ps->phase)
				end_tty_line(ps);
			if (!ps->line_open || l->percent != ps->last_pct || l->phase != ps->phase)
				draw_tty(ps, l->phase, l->percent, l->bytes);
			if (l->percent == 100)
				end_tty_line(ps);
		}
		ps->phase = l->phase;
		ps->last_pct = l->percent;
		break;
	case SF_DLINE_PHASE_DONE:
		if (ps->tty && ps->line_open)
			end_tty_line(ps);
		break;
	default:
		break;
	}
}

/* The progress display is for people: a terminal on stderr, or forced with
 * SPARKFLASH_PROGRESS=1 (tests), never with --json, -q or -v. */
static bool want_tty(const sf_ctx *ctx)
{
	const char *force = getenv("SPARKFLASH_PROGRESS");
	if (ctx->json || ctx->quiet || ctx->verbose)
		return false;
	if (force && *force)
		return !strcmp(force, "1");
	return isatty(STDERR_FILENO);
}

int sf_dfu_run(const sf_ctx *ctx, const char *const *dfu_argv,
	       const sf_dfu_run_opts *opts, sf_transcript *out, sf_err *err)
{
	char bin[4096];
	char **env = NULL;
	char **argv = NULL;
	size_t nargs = 0;
	unsigned flags = opts ? opts->flags : 0;
	sf_spawn_opts so;
	prog_state *ps = NULL;
	int rc, log_fd = -1;

	rc = sf_dfu_resolve(ctx, bin, sizeof bin, err);
	if (rc)
		return rc;
	if (sf_deadline_passed(ctx->deadline, sf_monotonic_s()))
		return sf_err_set(err, SF_EXIT_TIMEOUT, "the --deadline passed before dfu-util could run");
	if (ctx->sim_dir) {
		rc = sf_sim_child_env(ctx->sim_dir, environ, &env, err);
		if (rc)
			return rc;
	}
	while (dfu_argv && dfu_argv[nargs])
		nargs++;
	argv = calloc(nargs + 2, sizeof *argv);
	ps = calloc(1, sizeof *ps);
	if (!argv || !ps) {
		rc = sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
		goto done;
	}
	/* posix_spawn does not modify argv; the casts only drop const. */
	argv[0] = bin;
	for (size_t i = 0; i < nargs; i++)
		argv[i + 1] = (char *)dfu_argv[i];

	if (ctx->log_file) {
		log_fd = sf_open_log(ctx->log_file, err);
		if (log_fd < 0) {
			rc = err->code;
			goto done;
		}
	}

	if (!(flags & SF_DFU_RUN_NO_EVENT)) {
		if (ctx->json) {
			json_t *a = json_array();
			for (size_t i = 0; argv[i]; i++)
				json_array_append_new(a, sf_json_text(argv[i]));
			sf_out_event(ctx, "dfu-util", json_pack("{s:o}", "argv", a));
		}
		if (ctx->verbose) {
			char q[8192];
			sf_shell_quote_argv(q, sizeof q, argv);
			fprintf(stderr, "sparkflash: running: %s\n", q);
		}
	}

	ps->ctx = ctx;
	ps->echo = ctx->verbose > 0;
	ps->tty = !(flags & SF_DFU_RUN_NO_PROGRESS) && want_tty(ctx);
	ps->events = !(flags & SF_DFU_RUN_NO_PROGRESS) && ctx->json;
	ps->total = opts ? opts->total_bytes : 0;
	ps->last_pct = -1;

	sf_spawn_opts_init(&so);
	so.envp = env;
	/* --timeout per run, and never past the --deadline */
	so.timeout_s = sf_deadline_clip(ctx->timeout_s, ctx->deadline, sf_monotonic_s());
	so.log_fd = log_fd;
	so.on_line = on_line;
	so.data = ps;
	rc = sf_spawn_run(bin, argv, &so, out, err);
	end_tty_line(ps);
	if (rc == 0 && out->spawn_failed)
		rc = sf_err_set(err, SF_EXIT_DFU_UTIL, "cannot run dfu-util '%s': %s; " INSTALL_HINT,
				bin, strerror(out->spawn_errno));
	else if (rc == 0)
		sf_err_clear(err);
done:
	if (log_fd >= 0)
		close(log_fd);
	free(ps);
	free(argv);
	sf_env_free(env);
	return rc;
}

void sf_dfu_note(const sf_ctx *ctx, sf_transcript *t, const char *key, const char *fmt, ...)
{
	char value[200] = "";
	int fd;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(value, sizeof value, fmt, ap);
		va_end(ap);
	}
	if (t)
		sf_transcript_note(t, key, fmt ? "%s" : NULL, value);
	if (!ctx->log_file || ctx->dry_run)
		return;
	fd = sf_open_log(ctx->log_file, NULL);
	if (fd < 0)
		return; /* the run itself reported an unusable log */
	dprintf(fd, "# %s%s%s\n", key, fmt ? " " : "", value);
	close(fd);
}

int sf_dfu_outcome_code(const sf_ctx *ctx, const sf_transcript *t, sf_err *err)
{
	if (t->interrupted)
		return sf_err_set(err, SF_EXIT_SIGNAL_BASE + t->interrupted, "interrupted by %s; dfu-util was stopped",
				  t->interrupted == SIGINT ? "SIGINT (Ctrl-C)" : t->interrupted == SIGTERM ? "SIGTERM" :
				  t->interrupted == SIGHUP ? "SIGHUP" : strsignal(t->interrupted));
	if (t->spawn_failed)
		return sf_err_set(err, SF_EXIT_DFU_UTIL, "dfu-util could not be started: %s; " INSTALL_HINT,
				  strerror(t->spawn_errno));
	if (t->timed_out && sf_deadline_passed(ctx->deadline, sf_monotonic_s() + 0.05))
		return sf_err_set(err, SF_EXIT_TIMEOUT,
				  "the --deadline passed while dfu-util ran; it was stopped and the device may need a reset");
	if (t->timed_out)
		return sf_err_set(err, SF_EXIT_TIMEOUT,
				  "dfu-util did not finish within %g s and was stopped; the device may need a reset "
				  "(raise --timeout if the transfer is just slow)", ctx->timeout_s);
	if (!t->exited && t->term_signal)
		return sf_err_set(err, SF_EXIT_TRANSFER, "dfu-util was killed by signal %d (%s)",
				  t->term_signal, strsignal(t->term_signal));
	return 0;
}

int sf_dfu_version(const sf_ctx *ctx, char *buf, size_t n, sf_err *err)
{
	static const char *const args[] = { "-V", NULL };
	sf_ctx local = *ctx;
	sf_transcript t = { 0 };
	sf_dfu_line *l;
	int rc;

	if (!(local.timeout_s > 0))
		local.timeout_s = 30;
	local.log_file = NULL;
	rc = sf_dfu_run(&local, args, &(sf_dfu_run_opts){ .flags = SF_DFU_RUN_NO_PROGRESS | SF_DFU_RUN_NO_EVENT },
			&t, err);
	if (rc) {
		sf_transcript_free(&t);
		return rc;
	}
	if ((rc = sf_dfu_outcome_code(&local, &t, err))) {
		sf_transcript_free(&t);
		return rc == SF_EXIT_TRANSFER ? SF_EXIT_DFU_UTIL : rc;
	}
	l = malloc(sizeof *l);
	if (!l) {
		sf_transcript_free(&t);
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	}
	rc = sf_err_set(err, SF_EXIT_DFU_UTIL, "'%s -V' printed no version banner (exit %d); is it dfu-util?",
			ctx->dfu_util ? ctx->dfu_util : "dfu-util", t.exit_status);
	for (size_t i = 0; i < t.n; i++)
		if (sf_dfu_classify(t.lines[i].text, l) == SF_DLINE_BANNER) {
			snprintf(buf, n, "%s", l->version);
			sf_err_clear(err);
			rc = 0;
			break;
		}
	free(l);
	sf_transcript_free(&t);
	return rc;
}

void sf_dfu_log_begin(const sf_ctx *ctx)
{
	char when[64] = "";
	time_t now = time(NULL);
	struct tm tm;
	int fd;
	if (!ctx->log_file || ctx->dry_run)
		return;
	fd = sf_open_log(ctx->log_file, NULL);
	if (fd < 0)
		return; /* the first run reports an unusable log */
	if (gmtime_r(&now, &tm))
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	dprintf(fd, "# sparkflash %s\n", PACKAGE_VERSION);
	if (ctx->argv && ctx->argc > 0) {
		size_t need = sf_shell_quote_argv(NULL, 0, ctx->argv) + 1;
		char *q = malloc(need);
		if (q) {
			sf_shell_quote_argv(q, need, ctx->argv);
			/* one record: a newline in an argument must not end it */
			for (char *c = q; *c; c++)
				if (*c == '\n' || *c == '\r')
					*c = ' ';
			dprintf(fd, "# command %s\n", q);
			free(q);
		}
	}
	dprintf(fd, "# started %s\n", when);
	close(fd);
}

void sf_dfu_log_end(const sf_ctx *ctx, int exit_code, const char *verdict, const char *message)
{
	int fd;
	if (!ctx->log_file || ctx->dry_run)
		return;
	fd = sf_open_log(ctx->log_file, NULL);
	if (fd < 0)
		return;
	{
		char m[SF_ERR_MSG_MAX + 64];
		snprintf(m, sizeof m, "%s", message ? message : "");
		for (char *c = m; *c; c++)
			if (*c == '\n' || *c == '\r')
				*c = ' ';
		dprintf(fd, "# result %s, exit %d: %s\n", verdict ? verdict : "?", exit_code, m);
	}
	close(fd);
}
