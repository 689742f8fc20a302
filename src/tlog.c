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
		} else if (WORD_HAS("interrupted=")) {
			if (parse_int_word(w + 12, wl - 12, &t->interrupted) || t->interrupted < 1 || t->interrupted > 64)
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
				  "bad transcript header word '%.*s' (want exit=N, signal=N, interrupted=N, timed-out or spawn-failed[=ERRNO])",
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
	/* since the header records ("# sparkflash VERSION", "# command ...",
	 * "# started ...", sf_dfu_log_begin) a log may start with comments */
	if (has_prefix(text, len, "# sparkflash ")) {
		while (len && text[0] == '#') {
			const char *nl = memchr(text, '\n', len);
			if (!nl)
				return false;
			len -= (size_t)(nl + 1 - text);
			text = nl + 1;
		}
	}
	return has_prefix(text, len, "$ ") || has_prefix(text, len, "[stdout] ") ||
	       has_prefix(text, len, "[stderr] ");
}

/* Notes that a runner log carries as "# KEY VALUE" records. */
static const char *const note_keys[] = {
	SF_NOTE_INTERRUPTED, SF_NOTE_AFTER_LEAVE, SF_NOTE_VERIFY, SF_NOTE_SELECT,
};

static bool word_at(const char *s, size_t len, const char *w)
{
	size_t n = strlen(w);
	return len >= n && !memcmp(s, w, n) && (len == n || s[n] == ' ');
}

static long number_after(const char *s, size_t len, size_t off)
{
	char num[16];
	size_t n = len > off ? len - off : 0;
	char *end;
	long v;
	if (n >= sizeof num)
		n = sizeof num - 1;
	memcpy(num, s + off, n);
	num[n] = '\0';
	v = strtol(num, &end, 10);
	return end != num && v >= 0 && v < 1000 ? v : -1;
}

/* One "# ..." record of a runner log (rec without the "# "): the outcome of
 * the run begun by the last "$", or one of sparkflash's notes about it; both
 * become notes, the outcome also sets the transcript's fields (the last run's
 * outcome wins). Other comments are ignored. */
static bool runner_record(sf_transcript *out, const char *rec, size_t len)
{
	long v;
	if (word_at(rec, len, "exit")) {
		if ((v = number_after(rec, len, 5)) < 0)
			return true;
		out->exited = true;
		out->exit_status = (int)v;
		return sf_transcript_note(out, SF_NOTE_EXIT, "%ld", v);
	}
	if (word_at(rec, len, "signal")) {
		if ((v = number_after(rec, len, 7)) <= 0)
			return true;
		out->term_signal = (int)v;
		return sf_transcript_note(out, SF_NOTE_SIGNAL, "%ld", v);
	}
	if (word_at(rec, len, "timed")) {
		out->timed_out = true;
		return sf_transcript_note(out, SF_NOTE_TIMED_OUT, NULL);
	}
	if (len >= 12 && !memcmp(rec, "spawn failed", 12)) {
		out->spawn_failed = true;
		out->spawn_errno = ENOENT;
		if (len > 14 && memmem(rec, len, "ermission", 9))
			out->spawn_errno = EACCES;
		else if (len > 14 && memmem(rec, len, "xec format", 10))
			out->spawn_errno = ENOEXEC;
		return sf_transcript_note(out, SF_NOTE_SPAWN_FAILED, "%d", out->spawn_errno);
	}
	for (size_t k = 0; k < sizeof note_keys / sizeof note_keys[0]; k++) {
		if (!word_at(rec, len, note_keys[k]))
			continue;
		if (!strcmp(note_keys[k], SF_NOTE_INTERRUPTED)) {
			v = number_after(rec, len, strlen(SF_NOTE_INTERRUPTED) + 1);
			if (v < 1 || v > 64)
				return true; /* not a signal number: not a note */
			out->interrupted = (int)v;
		}
		return sf_transcript_add(out, SF_STREAM_NOTE, rec, len > 200 ? 200 : len);
	}
	return true;
}

static int parse_runner_log(const char *text, size_t len, sf_transcript *out, sf_err *err)
{
	size_t i = 0;
	while (i < len) {
		const char *line = text + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - line) : len - i;
		bool ok = true;
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
			out->exit_status = out->term_signal = out->spawn_errno = out->interrupted = 0;
			ok = sf_transcript_add(out, SF_STREAM_UNKNOWN, line, ll);
		} else if (has_prefix(line, ll, "# ")) {
			ok = runner_record(out, line + 2, ll - 2);
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
			bool marked = (line[0] == 'O' || line[0] == 'E' || line[0] == 'U' || line[0] == 'N') &&
				      (ll == 1 || line[1] == ' ');
			bool ok;
			if (marked) {
				st = line[0] == 'O' ? SF_STREAM_STDOUT :
				     line[0] == 'E' ? SF_STREAM_STDERR :
				     line[0] == 'N' ? SF_STREAM_NOTE : SF_STREAM_UNKNOWN;
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
