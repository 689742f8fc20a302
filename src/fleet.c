#include <config.h>

#include <stdio.h>
#include <string.h>

#include "fleet.h"
#include "jsontext.h"
#include "result.h"

static bool same(const char *a, const char *b)
{
	return a && b && *a && !strcmp(a, b);
}

bool sf_fleet_match(const sf_fleet_want *want, size_t nwant, bool all, size_t count,
		    const sf_fleet_seen *seen, size_t nseen, size_t *picks, size_t *npicks,
		    size_t *missing, size_t *nmissing)
{
	size_t np = 0, nm = 0;
	for (size_t i = 0; i < nseen; i++) {
		bool take = all;
		for (size_t w = 0; !take && w < nwant; w++)
			take = (want[w].serial && same(seen[i].serial, want[w].serial)) ||
			       (want[w].path && same(seen[i].path, want[w].path));
		if (take)
			picks[np++] = i;
	}
	for (size_t w = 0; !all && w < nwant; w++) {
		bool found = false;
		for (size_t i = 0; i < nseen && !found; i++)
			found = (want[w].serial && same(seen[i].serial, want[w].serial)) ||
				(want[w].path && same(seen[i].path, want[w].path));
		if (!found && missing)
			missing[nm] = w;
		if (!found)
			nm++;
	}
	*npicks = np;
	if (nmissing)
		*nmissing = nm;
	if (all)
		return np >= (count ? count : 1);
	return nm == 0;
}

bool sf_fleet_needs_path(const sf_fleet_seen *seen, size_t nseen, size_t i)
{
	if (!seen[i].serial || !*seen[i].serial)
		return true;
	for (size_t k = 0; k < nseen; k++)
		if (k != i && same(seen[k].serial, seen[i].serial))
			return true;
	return false;
}

void sf_fleet_describe_missing(const sf_fleet_want *want, const size_t *missing, size_t nmissing,
			       char *buf, size_t size)
{
	size_t used = 0;
	if (!size)
		return;
	buf[0] = '\0';
	for (size_t k = 0; k < nmissing && used < size; k++) {
		const sf_fleet_want *w = &want[missing[k]];
		int n = snprintf(buf + used, size - used, "%s%s %s", k ? ", " : "", w->serial ? "serial" : "path",
				 w->serial ? w->serial : w->path ? w->path : "?");
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

const char *sf_fleet_result_name(const sf_fleet_entry *e)
{
	return e->exit_code ? "failed" : e->unchanged ? "unchanged" : "ok";
}

int sf_fleet_exit_code(const sf_fleet_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].exit_code)
			return e[i].exit_code;
	return 0;
}

void sf_fleet_counts(const sf_fleet_entry *e, size_t n, size_t *ok, size_t *unchanged, size_t *failed)
{
	*ok = *unchanged = *failed = 0;
	for (size_t i = 0; i < n; i++) {
		if (e[i].exit_code)
			(*failed)++;
		else if (e[i].unchanged)
			(*unchanged)++;
		else
			(*ok)++;
	}
}

void sf_fleet_summary_text(const sf_fleet_entry *e, size_t n, char *buf, size_t size)
{
	size_t ok, unch, failed;
	sf_fleet_counts(e, n, &ok, &unch, &failed);
	if (n == 0) {
		snprintf(buf, size, "no device");
		return;
	}
	if (!failed)
		snprintf(buf, size, "all %zu device%s succeeded (%zu written, %zu unchanged)", n, n == 1 ? "" : "s", ok,
			 unch);
	else
		snprintf(buf, size, "%zu of %zu device%s failed (%zu written, %zu unchanged)", failed, n,
			 n == 1 ? "" : "s", ok, unch);
}

static json_t *text_or_null(const char *s)
{
	return s && *s ? sf_json_text(s) : json_null();
}

json_t *sf_fleet_summary_json(const sf_fleet_entry *e, size_t n, bool dry_run)
{
	char msg[200];
	size_t ok, unch, failed;
	json_t *j, *results = json_array();
	sf_fleet_counts(e, n, &ok, &unch, &failed);
	sf_fleet_summary_text(e, n, msg, sizeof msg);
	j = sf_result_base(sf_fleet_exit_code(e, n), msg);
	json_object_set_new(j, "devices", json_integer((json_int_t)n));
	json_object_set_new(j, "succeeded", json_integer((json_int_t)(ok + unch)));
	json_object_set_new(j, "failed", json_integer((json_int_t)failed));
	json_object_set_new(j, "unchanged", json_integer((json_int_t)unch));
	json_object_set_new(j, "dry_run", json_boolean(dry_run));
	for (size_t i = 0; i < n; i++)
		json_array_append_new(results,
				      json_pack("{s:o, s:o, s:o, s:i, s:s, s:i, s:o}", "serial", text_or_null(e[i].serial),
						"path", text_or_null(e[i].path), "label", sf_json_text(e[i].label),
						"exit_code", e[i].exit_code, "result", sf_fleet_result_name(&e[i]),
						"retries", (int)e[i].retries, "message", sf_json_text(e[i].message)));
	json_object_set_new(j, "results", results);
	return j;
}

size_t sf_fleet_table(const sf_fleet_entry *e, size_t n, char *buf, size_t size)
{
	size_t w = 6, need = 0;
	char line[400];
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(e[i].label);
		if (l > w)
			w = l;
	}
	if (w > 40)
		w = 40;
#define PUT(...)                                                                  \
	do {                                                                      \
		int k_ = snprintf(line, sizeof line, __VA_ARGS__);                \
		if (k_ > 0) {                                                     \
			if (need < size)                                          \
				snprintf(buf + need, size - need, "%s", line);    \
			need += (size_t)k_ < sizeof line ? (size_t)k_ : sizeof line - 1; \
		}                                                                 \
	} while (0)
	if (size)
		buf[0] = '\0';
	PUT("%-*s  %-9s  %4s  %s\n", (int)w, "DEVICE", "RESULT", "EXIT", "MESSAGE");
	for (size_t i = 0; i < n; i++) {
		int room = 100 - (int)w - 19;
		if (room < 20)
			room = 20;
		PUT("%-*.*s  %-9s  %4d  %.*s%s\n", (int)w, (int)w, e[i].label, sf_fleet_result_name(&e[i]),
		    e[i].exit_code, room, e[i].message, (int)strlen(e[i].message) > room ? "..." : "");
	}
#undef PUT
	return need;
}
