#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsontext.h"
#include "out.h"
#include "result.h"

__attribute__((format(printf, 3, 0)))
static void vline(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, f);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
}

__attribute__((format(printf, 3, 0)))
static void message_event(const sf_ctx *ctx, const char *level, const char *fmt, va_list ap)
{
	char buf[1024];
	vsnprintf(buf, sizeof buf, fmt, ap);
	sf_out_event(ctx, "message", json_pack("{s:s, s:o}", "level", level, "text", sf_json_text(buf)));
}

/* The last error line, for a result event built after the fact. */
static char last_error[1024];

const char *sf_out_last_error(void)
{
	return last_error;
}

void sf_out_error(const sf_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(stderr, "sparkflash: ", fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
	if (ctx && ctx->json) {
		va_start(ap, fmt);
		message_event(ctx, "error", fmt, ap);
		va_end(ap);
	}
}

void sf_out_warning(const sf_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(stderr, "sparkflash: warning: ", fmt, ap);
	va_end(ap);
	if (ctx && ctx->json) {
		va_start(ap, fmt);
		message_event(ctx, "warning", fmt, ap);
		va_end(ap);
	}
}

void sf_out_info(const sf_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	if (ctx && ctx->quiet)
		return;
	va_start(ap, fmt);
	vline(ctx && ctx->json ? stderr : stdout, "", fmt, ap);
	va_end(ap);
}

void sf_out_event(const sf_ctx *ctx, const char *name, json_t *fields)
{
	json_t *ev;
	if (!ctx || !ctx->json) {
		json_decref(fields);
		return;
	}
	ev = json_object();
	json_object_set_new(ev, "event", sf_json_text(name));
	json_object_set_new(ev, "schema", json_integer(SF_EVENT_SCHEMA));
	if (ctx->tag_serial)
		json_object_set_new(ev, "serial", ctx->event_serial ? sf_json_text(ctx->event_serial) : json_null());
	if (fields)
		json_object_update(ev, fields);
	json_decref(fields);
	sf_out_json_line(ev);
	json_decref(ev);
}

void sf_out_json_line(json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
	fflush(stdout);
}

/* ---- terminals ---------------------------------------------------------- */

typedef struct term_cookie {
	int fd;
	sf_term_state st;
} term_cookie;

static bool write_fully(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static ssize_t term_write(void *cookie, const char *buf, size_t size)
{
	term_cookie *c = cookie;
	char out[4096 + 8];
	size_t done = 0;
	while (done < size) {
		size_t chunk = size - done > 4096 ? 4096 : size - done;
		size_t n = sf_term_filter(&c->st, buf + done, chunk, out);
		if (!write_fully(c->fd, out, n))
			return done ? (ssize_t)done : -1;
		done += chunk;
	}
	return (ssize_t)size;
}

static int term_close(void *cookie)
{
	term_cookie *c = cookie;
	char out[8];
	size_t n = sf_term_filter(&c->st, NULL, 0, out);
	write_fully(c->fd, out, n);
	return 0;
}

/* One per stream for the whole process: nothing to free at exit. */
static term_cookie cookies[2];

static FILE *guard(FILE *f, term_cookie *c, int fd, int mode)
{
	cookie_io_functions_t io = { .write = term_write, .close = term_close };
	FILE *g;
	if (!isatty(fd))
		return f;
	c->fd = fd;
	if (!(g = fopencookie(c, "w", io)))
		return f;
	setvbuf(g, NULL, mode, 0);
	return g;
}

void sf_out_guard_terminal(void)
{
	fflush(stdout);
	fflush(stderr);
	stdout = guard(stdout, &cookies[0], STDOUT_FILENO, _IOLBF);
	stderr = guard(stderr, &cookies[1], STDERR_FILENO, _IONBF);
}

/* ---- data on standard output ---------------------------------------------- */

bool sf_out_names_stdout(const char *path)
{
	return path && (!strcmp(path, "-") || !strcmp(path, "/dev/stdout") || !strcmp(path, "/dev/fd/1") ||
			!strcmp(path, "/proc/self/fd/1"));
}

int sf_out_data_stdout(void)
{
	int fd;
	fflush(stdout);
	/* close-on-exec: dfu-util must not hold the data stream */
	if ((fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)) < 0)
		return -1;
	if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		close(fd);
		return -1;
	}
	/* human text now reaches stderr's terminal through stdout too */
	if (cookies[0].fd != STDOUT_FILENO)
		stdout = guard(stdout, &cookies[0], STDOUT_FILENO, _IOLBF);
	return fd;
}

int sf_out_write_data(int fd, const void *data, size_t len)
{
	return write_fully(fd, data, len) ? 0 : -1;
}
