#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cloud_config.h"
#include "jsontext.h"

static int safe_profile_name(const char *s)
{
	if (!s || !*s || s[0] == '.' || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return 0;
	return 1;
}

void sf_cloud_profile_name(const char *profile_json, char *buf, size_t size, int *bad)
{
	json_t *doc;
	const char *name = NULL;
	if (bad)
		*bad = 0;
	snprintf(buf, size, "%s", SF_CLOUD_DEFAULT_PROFILE);
	if (!profile_json)
		return;
	doc = json_loads(profile_json, 0, NULL);
	if (json_is_object(doc))
		name = json_string_value(json_object_get(doc, "name"));
	if (safe_profile_name(name))
		snprintf(buf, size, "%s", name);
	else if (bad)
		*bad = 1;
	json_decref(doc);
}

const char *sf_cloud_token_source_name(sf_token_source src)
{
	switch (src) {
	case SF_TOKEN_ENV: return "PARTICLE_ACCESS_TOKEN";
	case SF_TOKEN_PROFILE: return "particle profile config";
	case SF_TOKEN_SPARK: return "spark-cli config";
	default: return "none";
	}
}

int sf_cloud_check_base_url(const char *url, char *buf, size_t size, sf_err *err)
{
	const char *host;
	size_t len;
	if (!url || !*url)
		return sf_err_set(err, SF_EXIT_USAGE, "empty API URL; give e.g. https://api.particle.io");
	if (!strncmp(url, "https://", 8))
		host = url + 8;
	else if (!strncmp(url, "http://", 7))
		host = url + 7;
	else
		return sf_err_set(err, SF_EXIT_USAGE,
				  "API URL '%.200s' must start with https:// or http://", url);
	if (!*host || *host == '/' || *host == ':')
		return sf_err_set(err, SF_EXIT_USAGE, "API URL '%.200s' has no host", url);
	for (const char *c = url; *c; c++) {
		if ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == '?' || *c == '#')
			return sf_err_set(err, SF_EXIT_USAGE,
					  "API URL '%.200s' may not contain spaces, control characters, '?' or '#'", url);
	}
	{
		const char *slash = strchr(host, '/');
		const char *at = strchr(host, '@');
		if (at && (!slash || at < slash))
			return sf_err_set(err, SF_EXIT_USAGE,
					  "API URL may not contain user information (user@host); the token is sent as a header");
	}
	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		len--;
	if (len + 1 > size)
		return sf_err_set(err, SF_EXIT_USAGE, "API URL is too long (%zu bytes, at most %zu)", len, size - 1);
	memcpy(buf, url, len);
	buf[len] = '\0';
	return 0;
}

/* Reads `key` (a string) from a config text. Returns 1 found, 0 absent,
 * -1 unparsable, -2 longer than the buffer. */
static int cfg_string(const char *text, const char *key, char *buf, size_t size)
{
	json_t *doc, *v;
	int rc = 0;
	if (!text)
		return 0;
	doc = json_loads(text, 0, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return -1;
	}
	v = json_object_get(doc, key);
	if (json_is_string(v) && json_string_length(v) > 0) {
		if (json_string_length(v) < size) {
			snprintf(buf, size, "%s", json_string_value(v));
			rc = 1;
		} else {
			rc = -2;
		}
	}
	json_decref(doc);
	return rc;
}

bool sf_cloud_expiry_text(long long now, long long expires_in, char *buf, size_t size)
{
	/* 9999-12-31T23:59:59Z */
	static const long long last = 253402300799LL;
	time_t t;
	struct tm tm;
	if (expires_in <= 0 || now < 0 || now > last || expires_in > last - now)
		return false;
	t = (time_t)(now + expires_in);
	if (!gmtime_r(&t, &tm))
		return false;
	return strftime(buf, size, "%Y-%m-%dT%H:%M:%S.000Z", &tm) > 0;
}

bool sf_cloud_parse_iso_time(const char *s, long long *out)
{
	int y, mo, d, h, mi, se, n = 0;
	long long days, yy;
	unsigned m;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n != 19)
		return false;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 ||
	    h < 0 || mi < 0 || se < 0)
		return false;
	s += n;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'Z')
		s++;
	if (*s)
		return false;
	/* days from civil (proleptic Gregorian), no time zone database */
	m = (unsigned)mo;
	yy = y - (m <= 2);
	{
		long long era = yy / 400;
		unsigned yoe = (unsigned)(yy - era * 400);
		unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + (unsigned)d - 1;
		unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
		days = era * 146097 + (long long)doe - 719468;
	}
	*out = days * 86400 + h * 3600LL + mi * 60LL + se;
	return true;
}

static int token_ok(const char *t)
{
	for (; *t; t++)
		if ((unsigned char)*t <= 0x20 || *t == 0x7f)
			return 0;
	return 1;
}

int sf_cloud_resolve_settings(const sf_cloud_inputs *in, sf_cloud_settings *out, sf_err *err)
{
	const char *files[2] = { in->profile_cfg, in->spark_cfg };
	const char *names[2] = { in->profile_cfg_name ? in->profile_cfg_name : "profile config",
				 in->spark_cfg_name ? in->spark_cfg_name : "spark config" };
	int bad[2];
	char url[SF_CLOUD_URL_MAX] = "";
	int rc;

	memset(out, 0, sizeof *out);
	for (int i = 0; i < 2; i++) {
		char tmp[8];
		bad[i] = cfg_string(files[i], "access_token", tmp, 0) == -1;
		if (bad[i] && !out->warning[0])
			snprintf(out->warning, sizeof out->warning,
				 "ignoring %s: not a JSON object; fix or remove it", names[i]);
	}

	/* Token */
	if (in->env_token && *in->env_token) {
		if (strlen(in->env_token) >= sizeof out->token)
			return sf_err_set(err, SF_EXIT_CLOUD_AUTH,
					  "PARTICLE_ACCESS_TOKEN is too long (at most %zu bytes)", sizeof out->token - 1);
		snprintf(out->token, sizeof out->token, "%s", in->env_token);
		out->token_source = SF_TOKEN_ENV;
	} else {
		for (int i = 0; i < 2 && !out->token_source; i++) {
			int r = bad[i] ? 0 : cfg_string(files[i], "access_token", out->token, sizeof out->token);
			if (r == -2)
				return sf_err_set(err, SF_EXIT_CLOUD_AUTH,
						  "access_token in %s is too long (at most %zu bytes)",
						  names[i], sizeof out->token - 1);
			if (r == 1)
				out->token_source = i == 0 ? SF_TOKEN_PROFILE : SF_TOKEN_SPARK;
		}
	}
	if (in->now && (out->token_source == SF_TOKEN_PROFILE || out->token_source == SF_TOKEN_SPARK)) {
		char when[64];
		long long t;
		const char *text = out->token_source == SF_TOKEN_PROFILE ? in->profile_cfg : in->spark_cfg;
		const char *name = out->token_source == SF_TOKEN_PROFILE ? names[0] : names[1];
		if (cfg_string(text, "access_token_expires_at", when, sizeof when) == 1 &&
		    sf_cloud_parse_iso_time(when, &t) && t <= in->now) {
			memset(out->token, 0, sizeof out->token);
			out->token_source = SF_TOKEN_NONE;
			return sf_err_set(err, SF_EXIT_CLOUD_AUTH,
					  "the token saved in %.300s expired at %s; run 'sparkflash cloud login'",
					  name, when);
		}
	}
	if (out->token_source && !token_ok(out->token)) {
		sf_token_source src = out->token_source;
		memset(out->token, 0, sizeof out->token);
		out->token_source = SF_TOKEN_NONE;
		return sf_err_set(err, SF_EXIT_CLOUD_AUTH,
				  "the token from %s contains spaces or control characters; fix it or run 'sparkflash cloud login'",
				  sf_cloud_token_source_name(src));
	}

	/* API base URL: a configured one that does not fit is an error, never
	 * silently cut or replaced by the default (the token would go to a
	 * server nobody named) */
	if (in->opt_api_url || (in->env_api_url && *in->env_api_url)) {
		const char *given = in->opt_api_url ? in->opt_api_url : in->env_api_url;
		out->api_url_source = in->opt_api_url ? "--api-url" : "PARTICLE_API_URL";
		if (strlen(given) >= sizeof url)
			return sf_err_set(err, SF_EXIT_USAGE, "the API URL from %s is %zu bytes long; at most %zu are "
					  "supported: give the API's base URL", out->api_url_source, strlen(given),
					  sizeof url - 1);
		snprintf(url, sizeof url, "%s", given);
	} else {
		for (int i = 0; i < 2 && !out->api_url_source; i++) {
			int got = bad[i] ? 0 : cfg_string(files[i], "apiUrl", url, sizeof url);
			if (got == -2)
				return sf_err_set(err, SF_EXIT_USAGE, "apiUrl in %s is longer than %zu bytes; fix it or "
						  "remove it (the default is %s)", names[i], sizeof url - 1,
						  SF_CLOUD_DEFAULT_API_URL);
			if (got == 1)
				out->api_url_source = names[i];
		}
		if (!out->api_url_source) {
			out->api_url_source = "default";
			snprintf(url, sizeof url, "%s", SF_CLOUD_DEFAULT_API_URL);
		}
	}
	rc = sf_cloud_check_base_url(url, out->api_url, sizeof out->api_url, err);
	if (rc && err) {
		char m[SF_ERR_MSG_MAX];
		snprintf(m, sizeof m, "%.400s (from %.80s)", err->msg, out->api_url_source);
		snprintf(err->msg, sizeof err->msg, "%s", m);
	}
	return rc;
}

static json_t *load_object(const char *old, sf_err *err)
{
	json_t *doc;
	json_error_t je;
	const char *p = old;
	while (p && isspace((unsigned char)*p))
		p++;
	if (!p || !*p)
		return json_object();
	doc = json_loads(old, 0, &je);
	if (!json_is_object(doc)) {
		json_decref(doc);
		sf_err_set(err, SF_EXIT_REFUSED, "existing config is not a JSON object (line %d: %s); fix or remove it",
			   je.line, doc ? "not an object" : je.text);
		return NULL;
	}
	return doc;
}

static char *dump(json_t *doc)
{
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	char *r;
	if (!s)
		return NULL;
	r = malloc(strlen(s) + 2);
	if (r)
		sprintf(r, "%s\n", s);
	free(s);
	return r;
}

char *sf_cloud_config_with_token(const char *old, const char *token, const char *username,
				 const char *expires_at, sf_err *err)
{
	json_t *doc = load_object(old, err);
	char *r;
	if (!doc)
		return NULL;
	json_object_set_new(doc, "access_token", json_string(token));
	/* a name that is not UTF-8 is saved with '?' for its bad bytes: the old
	 * account's name must never stay next to the new token */
	if (username)
		json_object_set_new(doc, "username", sf_json_text(username));
	json_object_set_new(doc, "access_token_expires_at", expires_at ? json_string(expires_at) : json_null());
	r = dump(doc);
	json_decref(doc);
	if (!r)
		sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	return r;
}

char *sf_cloud_config_without_token(const char *old, int *had_token, sf_err *err)
{
	json_t *doc = load_object(old, err);
	char *r;
	if (!doc)
		return NULL;
	*had_token = json_object_get(doc, "access_token") != NULL;
	json_object_del(doc, "access_token");
	json_object_del(doc, "access_token_expires_at");
	r = dump(doc);
	json_decref(doc);
	if (!r)
		sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	return r;
}
