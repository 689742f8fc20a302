#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fanout.h"
#include "sf_spawn.h"

#define LINE_MAX_BYTES 65536
#define KILL_AFTER_S 3.0

/* The only state a signal handler may touch. */
static volatile sig_atomic_t pending_signal;

static void note_signal(int sig)
{
	pending_signal = sig;
}

static const int caught[] = { SIGINT, SIGTERM, SIGHUP };
#define NCAUGHT (sizeof caught / sizeof caught[0])

struct lbuf {
	char *buf;
	size_t len;
};

struct worker {
	pid_t pid;
	int fd[3];            /* stdout, stderr, result (read ends), -1 closed */
	struct lbuf lb[2];
	char *rec;
	size_t reclen, reccap;
	bool started, reaped, finished;
	int status;
};

static void out_line(const sf_fanout *f, size_t i, int stream, const char *text, size_t len)
{
	FILE *o = stream == 0 ? stdout : stderr;
	if (len && text[len - 1] == '\r')
		len--;
	if (!(stream == 0 && f->json_stdout) && f->prefix && f->prefix[i])
		fputs(f->prefix[i], o);
	fwrite(text, 1, len, o);
	fputc('\n', o);
	fflush(o);
}

static void feed(const sf_fanout *f, size_t i, struct worker *w, int stream, const char *data, size_t n)
{
	struct lbuf *b = &w->lb[stream];
	for (size_t k = 0; k < n; k++) {
		if (data[k] == '\n') {
			out_line(f, i, stream, b->buf, b->len);
			b->len = 0;
			continue;
		}
		b->buf[b->len++] = data[k];
		if (b->len == LINE_MAX_BYTES) {
			out_line(f, i, stream, b->buf, b->len);
			b->len = 0;
		}
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void child(const sf_fanout *f, struct worker *ws, size_t i, int p[3][2], const struct sigaction *old)
{
	int rc;
	for (size_t k = 0; k < NCAUGHT; k++)
		sigaction(caught[k], &old[k], NULL);
	/* other workers' pipes are the parent's business */
	for (size_t k = 0; k < f->n; k++)
		for (int s = 0; s < 3; s++)
			if (k != i && ws[k].fd[s] >= 0)
				close(ws[k].fd[s]);
	if (dup2(p[0][1], STDOUT_FILENO) < 0 || dup2(p[1][1], STDERR_FILENO) < 0)
		_exit(1);
	for (int s = 0; s < 2; s++) {
		close(p[s][0]);
		close(p[s][1]);
	}
	close(p[2][0]);
	rc = f->work(f->data, i, p[2][1]);
	fflush(stdout);
	fflush(stderr);
	close(p[2][1]);
	_exit(rc & 0xff);
}

static int start(const sf_fanout *f, struct worker *ws, size_t i, const struct sigaction *old, sf_err *err)
{
	struct worker *w = &ws[i];
	int p[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	for (int s = 0; s < 3; s++)
		if (pipe2(p[s], O_CLOEXEC) != 0) {
			int e = errno;
			for (int k = 0; k < 3; k++) {
				close_fd(&p[k][0]);
				close_fd(&p[k][1]);
			}
			return sf_err_set(err, SF_EXIT_INTERNAL, "cannot create pipes for a worker: %s", strerror(e));
		}
	fflush(stdout);
	fflush(stderr);
	w->pid = fork();
	if (w->pid < 0) {
		int e = errno;
		for (int k = 0; k < 3; k++) {
			close_fd(&p[k][0]);
			close_fd(&p[k][1]);
		}
		return sf_err_set(err, SF_EXIT_INTERNAL, "cannot start a worker: %s", strerror(e));
	}
	if (w->pid == 0)
		child(f, ws, i, p, old);
	for (int s = 0; s < 3; s++) {
		close(p[s][1]);
		w->fd[s] = p[s][0];
	}
	w->started = true;
	return 0;
}

static void signal_all(struct worker *ws, size_t n, int sig)
{
	for (size_t i = 0; i < n; i++)
		if (ws[i].started && !ws[i].reaped)
			kill(ws[i].pid, sig);
}

int sf_fanout_run(const sf_fanout *f, sf_err *err)
{
	struct worker *ws = calloc(f->n ? f->n : 1, sizeof *ws);
	struct pollfd *pfd = calloc(f->n ? f->n * 3 : 1, sizeof *pfd);
	struct sigaction old[NCAUGHT];
	size_t next = 0, running = 0, jobs = f->jobs ? f->jobs : f->n, finished = 0;
	int stop_sig = 0, rc = 0;
	bool term_sent = false, kill_sent = false, caught_set = false;
	double kill_at = 0;

	if (!ws || !pfd) {
		free(ws);
		free(pfd);
		sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
		return -SF_EXIT_INTERNAL;
	}
	for (size_t i = 0; i < f->n; i++) {
		ws[i].fd[0] = ws[i].fd[1] = ws[i].fd[2] = -1;
		ws[i].lb[0].buf = malloc(LINE_MAX_BYTES + 1);
		ws[i].lb[1].buf = malloc(LINE_MAX_BYTES + 1);
		if (!ws[i].lb[0].buf || !ws[i].lb[1].buf) {
			rc = -SF_EXIT_INTERNAL;
			sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
			goto out;
		}
	}
	pending_signal = 0;
	for (size_t k = 0; k < NCAUGHT; k++) {
		struct sigaction sa;
		sigaction(caught[k], NULL, &old[k]);
		if (old[k].sa_handler == SIG_IGN)
			continue; /* nohup: stays ignored */
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = note_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(caught[k], &sa, NULL);
	}
	caught_set = true;

	while (finished < f->n) {
		nfds_t np = 0;
		double now = sf_monotonic_s();

		if (pending_signal && !stop_sig) {
			stop_sig = pending_signal;
			signal_all(ws, f->n, stop_sig);
			kill_at = now + KILL_AFTER_S + 2.0; /* they stop their dfu-util first */
		}
		if (f->hard_stop > 0 && now >= f->hard_stop && !term_sent) {
			signal_all(ws, f->n, SIGTERM);
			term_sent = true;
			kill_at = now + KILL_AFTER_S;
		}
		if ((stop_sig || term_sent) && !kill_sent && now >= kill_at) {
			signal_all(ws, f->n, SIGKILL);
			kill_sent = true;
		}
		/* not started: nothing was done on those devices */
		while (next < f->n && (stop_sig || term_sent)) {
			ws[next].finished = true;
			finished++;
			if (f->done)
				f->done(f->data, next, 128 + (stop_sig ? stop_sig : SIGTERM), true, "");
			next++;
		}
		while (next < f->n && running < jobs) {
			if (start(f, ws, next, old, err)) {
				if (!running && !finished) {
					rc = -SF_EXIT_INTERNAL;
					goto out;
				}
				/* the others go on: this one counts as failed */
				ws[next].finished = true;
				finished++;
				if (f->done)
					f->done(f->data, next, SF_EXIT_INTERNAL, false, "");
				next++;
				continue;
			}
			running++;
			next++;
		}
		for (size_t i = 0; i < f->n; i++) {
			struct worker *w = &ws[i];
			if (!w->started || w->finished)
				continue;
			if (!w->reaped) {
				pid_t r = waitpid(w->pid, &w->status, WNOHANG);
				if (r == w->pid || (r < 0 && errno == ECHILD))
					w->reaped = true;
			}
			if (w->reaped && w->fd[0] < 0 && w->fd[1] < 0 && w->fd[2] < 0) {
				int code = WIFEXITED(w->status) ? WEXITSTATUS(w->status) :
					   WIFSIGNALED(w->status) ? 128 + WTERMSIG(w->status) : SF_EXIT_INTERNAL;
				for (int s = 0; s < 2; s++)
					if (w->lb[s].len) {
						out_line(f, i, s, w->lb[s].buf, w->lb[s].len);
						w->lb[s].len = 0;
					}
				w->finished = true;
				finished++;
				running--;
				if (f->done)
					f->done(f->data, i, code, WIFSIGNALED(w->status), w->rec ? w->rec : "");
				continue;
			}
			for (int s = 0; s < 3; s++)
				if (w->fd[s] >= 0) {
					pfd[np].fd = w->fd[s];
					pfd[np].events = POLLIN;
					pfd[np].revents = 0;
					np++;
				}
		}
		if (finished >= f->n)
			break;
		if (np == 0) {
			usleep(5000); /* output closed, waiting for the exit */
			continue;
		}
		if (poll(pfd, np, 50) < 0) {
			if (errno == EINTR)
				continue;
			rc = -SF_EXIT_INTERNAL;
			sf_err_set(err, SF_EXIT_INTERNAL, "poll failed: %s", strerror(errno));
			break;
		}
		for (nfds_t k = 0; k < np; k++) {
			char buf[8192];
			ssize_t n;
			if (!pfd[k].revents)
				continue;
			for (size_t i = 0; i < f->n; i++)
				for (int s = 0; s < 3; s++) {
					struct worker *w = &ws[i];
					if (w->fd[s] != pfd[k].fd)
						continue;
					n = read(w->fd[s], buf, sizeof buf);
					if (n < 0 && (errno == EINTR || errno == EAGAIN))
						continue;
					if (n <= 0) {
						close_fd(&w->fd[s]);
						continue;
					}
					if (s < 2) {
						feed(f, i, w, s, buf, (size_t)n);
					} else {
						if (w->reclen + (size_t)n + 1 > w->reccap) {
							size_t c = (w->reccap ? w->reccap * 2 : 1024) + (size_t)n;
							char *g = realloc(w->rec, c);
							if (!g)
								continue;
							w->rec = g;
							w->reccap = c;
						}
						memcpy(w->rec + w->reclen, buf, (size_t)n);
						w->reclen += (size_t)n;
						w->rec[w->reclen] = '\0';
					}
				}
		}
	}
	if (rc == 0)
		rc = stop_sig;
out:
	/* on an early exit: no worker may outlive us */
	for (size_t i = 0; i < f->n; i++) {
		struct worker *w = &ws[i];
		if (w->started && !w->reaped) {
			kill(w->pid, SIGKILL);
			while (waitpid(w->pid, &w->status, 0) < 0 && errno == EINTR)
				;
		}
		for (int s = 0; s < 3; s++)
			close_fd(&w->fd[s]);
		free(w->lb[0].buf);
		free(w->lb[1].buf);
		free(w->rec);
	}
	for (size_t k = 0; caught_set && k < NCAUGHT; k++)
		sigaction(caught[k], &old[k], NULL);
	free(ws);
	free(pfd);
	return rc;
}
