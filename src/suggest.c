#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suggest.h"

#define WORD_MAX 128

size_t sf_edit_distance(const char *a, const char *b, size_t cap)
{
	/* three rows of the dynamic-programming table are enough */
	size_t rows[3][WORD_MAX + 1];
	size_t la = strlen(a), lb = strlen(b);
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	if (la > WORD_MAX || lb > WORD_MAX)
		return cap + 1;
	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t best = cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = prev[j - 1] + cost;
			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
			if (v < best)
				best = v;
		}
		if (best > cap)
			return cap + 1;
		{
			size_t *t = prev2;
			prev2 = prev;
			prev = cur;
			cur = t;
		}
	}
	return prev[lb] > cap ? cap + 1 : prev[lb];
}

static bool seen_before(const char *const *cands, const size_t *out, size_t n, size_t idx)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cands[out[i]], cands[idx]))
			return true;
	return false;
}

size_t sf_suggest(const char *typed, const char *const *cands, size_t ncands, size_t *out, size_t max)
{
	size_t len = strlen(typed), n = 0, cap, best;

	if (!len || !max)
		return 0;
	/* an abbreviation: every option it starts */
	if (len >= 2) {
		for (size_t i = 0; i < ncands && n < max; i++)
			if (strlen(cands[i]) > len && !strncmp(cands[i], typed, len) && !seen_before(cands, out, n, i))
				out[n++] = i;
		if (n)
			return n;
	}
	cap = len <= 4 ? 1 : len <= 8 ? 2 : 3;
	best = cap + 1;
	for (size_t i = 0; i < ncands; i++) {
		size_t d = sf_edit_distance(typed, cands[i], cap);
		if (d < best && strcmp(typed, cands[i]))
			best = d;
	}
	if (best > cap)
		return 0;
	for (size_t i = 0; i < ncands && n < max; i++)
		if (strcmp(typed, cands[i]) && sf_edit_distance(typed, cands[i], cap) == best &&
		    !seen_before(cands, out, n, i))
			out[n++] = i;
	return n;
}

const char *sf_suggest_text(const char *typed, const char *lead, const char *const *cands, size_t ncands,
			    char *buf, size_t size)
{
	size_t idx[4], n = sf_suggest(typed, cands, ncands, idx, 4), used;

	if (!size)
		return buf;
	buf[0] = '\0';
	if (!n)
		return buf;
	used = (size_t)snprintf(buf, size, " (did you mean ");
	for (size_t i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s'%s%s'", i == 0 ? "" : i + 1 == n ? " or " : ", ",
					 lead ? lead : "", cands[idx[i]]);
	if (used < size)
		snprintf(buf + used, size - used, "?)");
	return buf;
}
