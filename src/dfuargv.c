#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuargv.h"

const char *sf_dfu_s_value(const sf_plan *plan, char *buf, unsigned size)
{
	int n = snprintf(buf, size, "0x%08" PRIx32, plan->address);
	if (plan->upload && n > 0 && (unsigned)n < size)
		n += snprintf(buf + n, size - (unsigned)n, ":%" PRIu32, plan->length);
	if (plan->leave && n > 0 && (unsigned)n < size)
		snprintf(buf + n, size - (unsigned)n, ":leave");
	return buf;
}

char **sf_dfu_argv(const char *dfu_util, const sf_devsel *sel, const sf_plan *plan,
		   const char *file)
{
	char id[16], alt[16], s[64];
	const char *words[20];
	size_t n = 0;
	char **argv;

	snprintf(id, sizeof id, "%04x:%04x", sel->vid, sel->pid);
	snprintf(alt, sizeof alt, "%d", plan->alt);
	sf_dfu_s_value(plan, s, sizeof s);
	words[n++] = dfu_util;
	words[n++] = "-d";
	words[n++] = id;
	if (sel->serial && *sel->serial) {
		words[n++] = "-S";
		words[n++] = sel->serial;
	}
	if (sel->path && *sel->path) {
		words[n++] = "-p";
		words[n++] = sel->path;
	}
	words[n++] = "-a";
	words[n++] = alt;
	if (!plan->upload) {
		words[n++] = "-i";
		words[n++] = "0";
	}
	words[n++] = "-s";
	words[n++] = s;
	if (!plan->leave_only) {
		words[n++] = plan->upload ? "-U" : "-D";
		words[n++] = strcmp(file, "-") ? file : "./-";
	}

	argv = calloc(n + 1, sizeof *argv);
	if (!argv)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!(argv[i] = strdup(words[i]))) {
			sf_argv_free(argv);
			return NULL;
		}
	}
	return argv;
}

void sf_argv_free(char **argv)
{
	if (!argv)
		return;
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

static int safe_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("@%+=:,./_-", c) != NULL;
}

char *sf_shell_quote(const char *word)
{
	size_t len = strlen(word), extra = 0;
	bool plain = len > 0;
	char *out, *o;
	for (size_t i = 0; i < len; i++) {
		if (!safe_char((unsigned char)word[i]))
			plain = false;
		if (word[i] == '\'')
			extra += 3;
	}
	if (plain)
		return strdup(word);
	out = malloc(len + extra + 3);
	if (!out)
		return NULL;
	o = out;
	*o++ = '\'';
	for (size_t i = 0; i < len; i++) {
		if (word[i] == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = word[i];
		}
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

char *sf_shell_join(char *const *argv)
{
	size_t cap = 1, used = 0;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; argv[i]; i++) {
		char *q = sf_shell_quote(argv[i]);
		size_t ql;
		char *grown;
		if (!q) {
			free(out);
			return NULL;
		}
		ql = strlen(q);
		grown = realloc(out, cap + ql + 1);
		if (!grown) {
			free(q);
			free(out);
			return NULL;
		}
		out = grown;
		cap += ql + 1;
		if (i)
			out[used++] = ' ';
		memcpy(out + used, q, ql);
		used += ql;
		out[used] = '\0';
		free(q);
	}
	return out;
}
