#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
