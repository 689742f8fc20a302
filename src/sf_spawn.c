#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sf_spawn.h"

extern char **environ;

/* After the child has exited, how long to keep reading pipes that a
 * grandchild may still hold open. */
#define DRAIN_AFTER_EXIT_S 1.0
/* Upper bound on one poll() so the child's exit is noticed promptly even
 * when it closed its output early. */
#define POLL_SLICE_MS 100

/* The child runs in its own process group, so a Ctrl-C at the terminal
 * reaches only us: while it runs we catch SIGINT/SIGTERM/SIGHUP and pass
 * them on to its group (then SIGKILL after the grace period), and the run
 * ends with the child's term_signal set; the caller reports and cleans up. */
static volatile sig_atomic_t pending_signal;

static void note_signal(int sig)
{
	pending_signal = sig;
}

static const int forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define NFORWARDED (sizeof forwarded_signals / sizeof forwarded_signals[0])

/* Signals we ignore (nohup, a background job) stay ignored. */
static void catch_signals(struct sigaction *old)
{
	pending_signal = 0;
	for (size_t i = 0; i < NFORWARDED; i++) {
		struct sigaction sa;
		sigaction(forwarded_signals[i], NULL, &old[i]);
		if (old[i].sa_handler == SIG_IGN)
			continue;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = note_signal;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = 0; /* no SA_RESTART: poll() returns EINTR */
		sigaction(forwarded_signals[i], &sa, NULL);
	}
}

/* Puts the old handlers back; a signal that came while no child was there
 * to receive it is delivered to us now, as if we had never caught it. */
static void restore_signals(const struct sigaction *old, bool forwarded)
{
	int sig = pending_signal;
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaction(forwarded_signals[i], &old[i], NULL);
	pending_signal = 0;
	if (sig && !forwarded)
		raise(sig);
}

void sf_spawn_opts_init(sf_spawn_opts *o)
{
	memset(o, 0, sizeof *o);
	o->log_fd = -1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double sf_monotonic_s(void)
{
	return now_s();
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return; /* a failing log must not stop the run */
		}
		buf += w;
		len -= (size_t)w;
	}
}

static bool safe_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("_./:=,@%+-", c) != NULL;
}

size_t sf_shell_quote_argv(char *buf, size_t n, char *const argv[])
{
	size_t len = 0;
#define PUT(ch) do { if (len + 1 < n) buf[len] = (ch); len++; } while (0)
	for (size_t i = 0; argv && argv[i]; i++) {
		const char *a = argv[i];
		bool plain = *a != '\0';
		for (const char *p = a; *p; p++)
			if (!safe_char(*p))
				plain = false;
		if (i)
			PUT(' ');
		if (plain) {
			for (const char *p = a; *p; p++)
				PUT(*p);
			continue;
		}
		PUT('\'');
		for (const char *p = a; *p; p++) {
			if (*p == '\'') {
				PUT('\'');
				PUT('\\');
				PUT('\'');
				PUT('\'');
			} else {
				PUT(*p);
			}
		}
		PUT('\'');
	}
#undef PUT
	if (n > 0)
		buf[len < n ? len : n - 1] = '\0';
	return len;
}

/* Line assembly for one stream. */
typedef struct lbuf {
	sf_stream stream;
	char *buf;            /* SF_SPAWN_LINE_MAX + 1 */
	size_t len;
	bool after_newline;   /* at stream start or the last terminator was '\n' */
} lbuf;

typedef struct run_state {
	const sf_spawn_opts *o;
	sf_transcript *out;
	bool oom;
	size_t total;   /* bytes read from both pipes */
	bool over;      /* past SF_SPAWN_OUTPUT_MAX: stopped */
} run_state;

/* One record, one writev(2) (the log is O_APPEND: records stay whole);
 * what a short write left is finished piece by piece. */
static void log_record(const run_state *s, const char *prefix, const char *text, size_t len)
{
	struct iovec v[3] = { { (void *)prefix, strlen(prefix) }, { (void *)text, len }, { (void *)"\n", 1 } };
	size_t want = v[0].iov_len + len + 1;
	ssize_t w;
	if (s->o->log_fd < 0)
		return;
	while ((w = writev(s->o->log_fd, v, 3)) < 0 && errno == EINTR)
		;
	if (w < 0 || (size_t)w == want)
		return; /* a failing log must not stop the run */
	for (int i = 0; i < 3; i++) {
		size_t k = (size_t)w < v[i].iov_len ? (size_t)w : v[i].iov_len;
		write_all(s->o->log_fd, (const char *)v[i].iov_base + k, v[i].iov_len - k);
		w -= (ssize_t)k;
	}
}

static void emit(run_state *s, lbuf *b)
{
	b->buf[b->len] = '\0';
	if (!sf_transcript_add(s->out, b->stream, b->buf, b->len))
		s->oom = true;
	log_record(s, b->stream == SF_STREAM_STDERR ? "[stderr] " : "[stdout] ", b->buf, b->len);
	if (s->o->on_line)
		s->o->on_line(s->o->data, b->stream, b->buf, b->len);
	b->len = 0;
}

static void feed(run_state *s, lbuf *b, const char *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = data[i];
		if (c == '\n' || c == '\r') {
			/* An empty piece is a "\r\n" pair or a "\r" rewrite, not a
			 * line; "\n\n" is a genuine blank line (as transcript.c). */
			if (b->len > 0 || (c == '\n' && b->after_newline))
				emit(s, b);
			b->after_newline = c == '\n';
			continue;
		}
		b->buf[b->len++] = c ? c : '?';
		if (b->len == SF_SPAWN_LINE_MAX) {
			emit(s, b);
			b->after_newline = false;
		}
	}
}

/* Moves an fd out of 0..2 so that dup2 onto a standard fd always creates
 * a new descriptor without FD_CLOEXEC. */
static int above_stdio(int fd)
{
	int moved;
	if (fd > 2)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return moved;
}

static int make_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	p[0] = above_stdio(p[0]);
	p[1] = above_stdio(p[1]);
	if (p[0] < 0 || p[1] < 0) {
		if (p[0] >= 0)
			close(p[0]);
		if (p[1] >= 0)
			close(p[1]);
		return -1;
	}
	return 0;
}

/* After a stop (signal, time-out): what is left of the child's group (a
 * wrapper's children, orphaned when it died first) is killed, and we wait
 * (bounded) until the group is empty, so nothing we started outlives the
 * run. */
static void group_gone(pid_t pgid)
{
	double until = now_s() + 2.0;
	while (kill(-pgid, 0) == 0 && now_s() < until) {
		struct timespec ts = { 0, 10 * 1000000L };
		kill(-pgid, SIGKILL);
		nanosleep(&ts, NULL);
	}
}

static void record_status(sf_transcript *out, int status)
{
	if (WIFEXITED(status)) {
		out->exited = true;
		out->exit_status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		out->term_signal = WTERMSIG(status);
	}
}

static void log_end(const run_state *s, const sf_spawn_opts *o, const sf_transcript *out)
{
	char line[128];
	if (o->log_fd < 0)
		return;
	if (out->interrupted) {
		snprintf(line, sizeof line, "# interrupted %d", out->interrupted);
		log_record(s, "", line, strlen(line));
	}
	if (out->timed_out) {
		snprintf(line, sizeof line, "# timed out after %g s", o->timeout_s);
		log_record(s, "", line, strlen(line));
	}
	if (out->exited)
		snprintf(line, sizeof line, "# exit %d", out->exit_status);
	else if (out->term_signal)
		snprintf(line, sizeof line, "# signal %d", out->term_signal);
	else
		snprintf(line, sizeof line, "# outcome unknown");
	log_record(s, "", line, strlen(line));
}

static void log_argv(const run_state *s, char *const argv[])
{
	size_t need;
	char *q;
	if (s->o->log_fd < 0)
		return;
	need = sf_shell_quote_argv(NULL, 0, argv) + 1;
	q = malloc(need);
	if (!q)
		return;
	sf_shell_quote_argv(q, need, argv);
	log_record(s, "$ ", q, strlen(q));
	free(q);
}

int sf_spawn_run(const char *path, char *const argv[], const sf_spawn_opts *opts,
		 sf_transcript *out, sf_err *err)
{
	sf_spawn_opts defaults;
	const sf_spawn_opts *o = opts;
	run_state s;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t mask, defsig;
	pid_t pid;
	int rc, status = 0;
	lbuf bufs[2] = { { .stream = SF_STREAM_STDOUT, .after_newline = true },
			 { .stream = SF_STREAM_STDERR, .after_newline = true } };
	int fds[2];
	bool reaped = false, term_sent = false, kill_sent = false, forwarded = false;
	bool status_lost = false;
	double start, deadline = 0, kill_at = 0, drain_until = 0;
	double grace;
	char rbuf[8192];
	struct sigaction old_sa[NFORWARDED];

	if (!o) {
		sf_spawn_opts_init(&defaults);
		o = &defaults;
	}
	s.o = o;
	s.out = out;
	s.oom = false;
	s.total = 0;
	s.over = false;
	grace = o->kill_grace_s > 0 ? o->kill_grace_s : 2.0;

	log_argv(&s, argv);
	bufs[0].buf = malloc(SF_SPAWN_LINE_MAX + 1);
	bufs[1].buf = malloc(SF_SPAWN_LINE_MAX + 1);
	if (!bufs[0].buf || !bufs[1].buf) {
		free(bufs[0].buf);
		free(bufs[1].buf);
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	}
	if (make_pipe(outp) != 0 || make_pipe(errp) != 0) {
		int e = errno;
		if (outp[0] >= 0) {
			close(outp[0]);
			close(outp[1]);
		}
		free(bufs[0].buf);
		free(bufs[1].buf);
		return sf_err_set(err, SF_EXIT_INTERNAL, "cannot create pipes for '%s': %s", path, strerror(e));
	}

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	/* Descriptors our parent leaked to us (no O_CLOEXEC, e.g. make's
	 * jobserver pipe) are not dfu-util's business. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	posix_spawnattr_init(&attr);
	sigemptyset(&mask);
	sigemptyset(&defsig);
	{
		static const int sigs[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD,
					    SIGALRM, SIGUSR1, SIGUSR2 };
		for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
			sigaddset(&defsig, sigs[i]);
	}
	posix_spawnattr_setsigmask(&attr, &mask);
	posix_spawnattr_setsigdefault(&attr, &defsig);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
	/* Catch before spawning: the child may signal at once. It gets the
	 * default dispositions (SETSIGDEF above). */
	catch_signals(old_sa);
	rc = posix_spawn(&pid, path, &fa, &attr, argv, o->envp ? o->envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(outp[1]);
	close(errp[1]);
	if (rc != 0) {
		restore_signals(old_sa, false);
		close(outp[0]);
		close(errp[0]);
		free(bufs[0].buf);
		free(bufs[1].buf);
		out->spawn_failed = true;
		out->spawn_errno = rc;
		if (o->log_fd >= 0) {
			char line[160];
			snprintf(line, sizeof line, "# spawn failed: %s", strerror(rc));
			log_record(&s, "", line, strlen(line));
		}
		sf_err_set(err, SF_EXIT_INTERNAL, "cannot run '%s': %s", path, strerror(rc));
		return 0;
	}

	fds[0] = outp[0];
	fds[1] = errp[0];
	start = now_s();
	if (o->timeout_s > 0)
		deadline = start + o->timeout_s;

	while (fds[0] >= 0 || fds[1] >= 0 || !reaped) {
		struct pollfd pfd[2];
		nfds_t np = 0;
		int slice = POLL_SLICE_MS;
		double now = now_s();

		if (!reaped) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			if (w == pid) {
				reaped = true;
				drain_until = now + DRAIN_AFTER_EXIT_S;
			} else if (w < 0 && errno != EINTR) {
				/* ECHILD: someone set SIGCHLD to SIG_IGN; the status
				 * is lost, so claim neither success nor failure */
				reaped = true;
				status_lost = true;
				drain_until = now + DRAIN_AFTER_EXIT_S;
			}
		}
		if (deadline > 0 && !term_sent && now >= deadline && !reaped) {
			/* The whole group: dfu-util has no children, but a wrapper
			 * script might. */
			kill(-pid, SIGTERM);
			kill(pid, SIGTERM);
			term_sent = true;
			out->timed_out = true;
			kill_at = now + grace;
		}
		if (pending_signal && !forwarded && !reaped) {
			kill(-pid, pending_signal);
			kill(pid, pending_signal);
			forwarded = true;
			out->interrupted = pending_signal;
			if (!term_sent)
				kill_at = now + grace;
			term_sent = true;
		}
		if (term_sent && !kill_sent && now >= kill_at) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			kill_sent = true;
		}
		if (reaped && now >= drain_until) {
			if (!term_sent && (fds[0] >= 0 || fds[1] >= 0)) {
				/* output held open by a leftover grandchild: stop it */
				kill(-pid, SIGKILL);
			}
			break;
		}
		if (reaped && fds[0] < 0 && fds[1] < 0)
			break;

		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0) {
				pfd[np].fd = fds[i];
				pfd[np].events = POLLIN;
				pfd[np].revents = 0;
				np++;
			}
		{
			double next = now + slice / 1000.0;
			if (deadline > 0 && !term_sent && deadline < next)
				next = deadline;
			if (term_sent && !kill_sent && kill_at < next)
				next = kill_at;
			if (reaped && drain_until < next)
				next = drain_until;
			slice = (int)((next - now) * 1000.0 + 1);
			if (slice < 0)
				slice = 0;
		}
		if (np == 0) {
			/* Output closed, child still running (or not yet reaped). */
			struct timespec ts = { 0, 10 * 1000000L };
			if (deadline == 0 && !term_sent && !pending_signal) {
				/* nothing to enforce: block (a signal interrupts it) */
				pid_t w = waitpid(pid, &status, 0);
				if (w == pid) {
					reaped = true;
					drain_until = now_s();
				}
				continue;
			}
			if (slice < 10)
				ts.tv_nsec = (long)slice * 1000000L;
			nanosleep(&ts, NULL);
			continue;
		}
		rc = poll(pfd, np, slice);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (nfds_t k = 0; k < np; k++) {
			int i = pfd[k].fd == fds[0] ? 0 : 1;
			ssize_t n;
			if (!pfd[k].revents)
				continue;
			n = read(fds[i], rbuf, sizeof rbuf);
			if (n > 0 && s.over) {
				continue; /* drained, not kept, until it is gone */
			} else if (n > 0 && (s.total += (size_t)n) > SF_SPAWN_OUTPUT_MAX) {
				/* no dfu-util prints this much: stop it rather than
				 * grow without bound (there may be no --timeout) */
				s.over = true;
				kill(-pid, SIGTERM);
				kill(pid, SIGTERM);
				if (!term_sent)
					kill_at = now_s() + grace;
				term_sent = true;
			} else if (n > 0) {
				feed(&s, &bufs[i], rbuf, (size_t)n);
			} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
				if (bufs[i].len > 0)
					emit(&s, &bufs[i]); /* partial last line */
				close(fds[i]);
				fds[i] = -1;
			}
		}
	}
	for (int i = 0; i < 2; i++) {
		if (fds[i] >= 0) {
			if (bufs[i].len > 0)
				emit(&s, &bufs[i]);
			close(fds[i]);
		}
		free(bufs[i].buf);
	}
	if (!reaped) {
		/* Broke out early (poll failure): make sure the child is gone. */
		pid_t w;
		kill(-pid, SIGKILL);
		while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			;
		if (w != pid)
			status_lost = true;
	}
	if (term_sent || kill_sent)
		group_gone(pid);
	restore_signals(old_sa, forwarded);
	if (!status_lost)
		record_status(out, status);
	if (s.over) {
		char line[128];
		snprintf(line, sizeof line, "# output over %d MiB: stopped", SF_SPAWN_OUTPUT_MAX >> 20);
		log_record(&s, "", line, strlen(line));
	}
	log_end(&s, o, out);
	if (s.over)
		return sf_err_set(err, SF_EXIT_DFU_UTIL,
				  "'%s' printed more than %d MiB; it was stopped (dfu-util prints a few KiB: is it dfu-util?)",
				  path, SF_SPAWN_OUTPUT_MAX >> 20);
	if (s.oom)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory while recording the output of '%s'", path);
	return 0;
}
