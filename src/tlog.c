#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tlog.h"

static int parse_int_word(const char *s, size_t len, int *out)
{
	long v = 0;
	if (len == 0 || len > 9)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = (int)v;
	return 0;
}

static int parse_header(const char *line, size_t len, sf_transcript *t, sf_err *err)
{
	size_t hl = strlen(SF_TLOG_HEADER);
	size_t i = hl;
	while (i < len) {
		size_t start, wl;
		const char *w;
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		start = i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		w = line + start;
		wl = i - start;
		if (wl == 0)
			break;
#define WORD_IS(lit) (wl == sizeof(lit) - 1 && !memcmp(w, lit, wl))
#define WORD_HAS(lit) (wl > sizeof(lit) - 1 && !memcmp(w, lit, sizeof(lit) - 1))
		if (WORD_HAS("exit=")) {
			if (parse_int_word(w + 5, wl - 5, &t->exit_status) || t->exit_status > 255)
				goto bad;
			t->exited = true;
		} else if (WORD_IS("exit=none")) {
			t->exited = false;
		} else if (WORD_HAS("signal=")) {
			if (parse_int_word(w + 7, wl - 7, &t->term_signal) || t->term_signal == 0)
				goto bad;
		} else if (WORD_IS("timed-out")) {
			t->timed_out = true;
		} else if (WORD_IS("spawn-failed")) {
			t->spawn_failed = true;
			t->spawn_errno = ENOENT;
		} else if (WORD_HAS("spawn-failed=")) {
			if (parse_int_word(w + 13, wl - 13, &t->spawn_errno))
				goto bad;
			t->spawn_failed = true;
		} else {
			goto bad;
		}
		continue;
bad:
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "bad transcript header word '%.*s' (want exit=N, signal=N, timed-out or spawn-failed[=ERRNO])",
				  (int)(wl > 40 ? 40 : wl), w);
#undef WORD_IS
#undef WORD_HAS
	}
	return 0;
}

static bool has_prefix(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);
	return len >= n && !memcmp(s, p, n);
}

/* The runner's --log (sf_spawn.h): "$ ARGV", "[stdout] TEXT", "[stderr] TEXT",
 * "# exit N" | "# signal N" | "# timed out after S s" | "# spawn failed: ERR".
 * Each "$" record starts a run whose outcome replaces the previous one's. */
static bool is_runner_log(const char *text, size_t len)
{
	return has_prefix(text, len, "$ ") || has_prefix(text, len, "[stdout] ") ||
	       has_prefix(text, len, "[stderr] ");
}

static int parse_runner_log(const char *text, size_t len, sf_transcript *out, sf_err *err)
{
	size_t i = 0;
	while (i < len) {
		const char *line = text + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - line) : len - i;
		bool ok = true;
		long v;
		i += ll + (nl ? 1 : 0);
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (has_prefix(line, ll, "[stdout] ")) {
			ok = ll == 9 ? sf_transcript_add(out, SF_STREAM_STDOUT, "", 0) :
				       sf_transcript_add_text(out, SF_STREAM_STDOUT, line + 9, ll - 9);
		} else if (has_prefix(line, ll, "[stderr] ")) {
			ok = ll == 9 ? sf_transcript_add(out, SF_STREAM_STDERR, "", 0) :
				       sf_transcript_add_text(out, SF_STREAM_STDERR, line + 9, ll - 9);
		} else if (has_prefix(line, ll, "$ ")) {
			out->exited = out->timed_out = out->spawn_failed = false;
			out->exit_status = out->term_signal = out->spawn_errno = 0;
			ok = sf_transcript_add(out, SF_STREAM_UNKNOWN, line, ll);
		} else if (has_prefix(line, ll, "# exit ") || has_prefix(line, ll, "# signal ")) {
			bool ex = line[2] == 'e';
			size_t off = ex ? 7 : 9;
			char num[16];
			size_t nl2 = ll - off < sizeof num - 1 ? ll - off : sizeof num - 1;
			char *end;
			memcpy(num, line + off, nl2);
			num[nl2] = '\0';
			v = strtol(num, &end, 10);
			if (end != num && v >= 0 && v < 1000) {
				if (ex) {
					out->exited = true;
					out->exit_status = (int)v;
				} else {
					out->term_signal = (int)v;
				}
			}
		} else if (has_prefix(line, ll, "# timed out")) {
			out->timed_out = true;
		} else if (has_prefix(line, ll, "# spawn failed")) {
			out->spawn_failed = true;
			out->spawn_errno = ENOENT;
			if (ll > 16 && memmem(line, ll, "ermission", 9))
				out->spawn_errno = EACCES;
			else if (ll > 16 && memmem(line, ll, "xec format", 10))
				out->spawn_errno = ENOEXEC;
		} else if (ll && line[0] != '#') {
			ok = sf_transcript_add_text(out, SF_STREAM_UNKNOWN, line, ll);
		}
		if (!ok)
			return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory reading the transcript");
	}
	return 0;
}

int sf_tlog_parse(const char *text, size_t len, sf_transcript *out, sf_err *err)
{
	size_t hl = strlen(SF_TLOG_HEADER);
	size_t i = 0;

	if (is_runner_log(text, len))
		return parse_runner_log(text, len, out, err);

	if (len < hl || memcmp(text, SF_TLOG_HEADER, hl) ||
	    (len > hl && text[hl] != ' ' && text[hl] != '\t' && text[hl] != '\n' && text[hl] != '\r')) {
		if (!sf_transcript_add_text(out, SF_STREAM_UNKNOWN, text, len))
			return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory reading the transcript");
		return 0;
	}
	while (i < len) {
		/* Marked lines end at "\n" only: a "\r" inside belongs to the
		 * recorded text (progress bars) and is split by add_text. */
		const char *line = text + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - line) : len - i;
		i += ll + (nl ? 1 : 0);
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (line == text) {
			int rc = parse_header(line, ll, out, err);
			if (rc)
				return rc;
			continue;
		}
		if (ll == 0 || line[0] == '#')
			continue;
		{
			sf_stream st = SF_STREAM_UNKNOWN;
			const char *body = line;
			size_t bl = ll;
			bool marked = (line[0] == 'O' || line[0] == 'E' || line[0] == 'U') &&
				      (ll == 1 || line[1] == ' ');
			bool ok;
			if (marked) {
				st = line[0] == 'O' ? SF_STREAM_STDOUT :
				     line[0] == 'E' ? SF_STREAM_STDERR : SF_STREAM_UNKNOWN;
				body = ll > 1 ? line + 2 : line + 1;
				bl = ll > 1 ? ll - 2 : 0;
			}
			if (bl == 0)
				ok = sf_transcript_add(out, st, "", 0);
			else
				ok = sf_transcript_add_text(out, st, body, bl);
			if (!ok)
				return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory reading the transcript");
		}
	}
	return 0;
}
