#include <config.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cloud_resp.h"

const char *sf_http_reason(long status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "";
	}
}

/* Appends s to buf (NUL-terminated, size) with a separator. */
static void append(char *buf, size_t size, const char *sep, const char *s)
{
	size_t n = strlen(buf);
	if (!s || !*s || n + 1 >= size)
		return;
	snprintf(buf + n, size - n, "%s%s", n ? sep : "", s);
}

/* Keeps server text printable on one line. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

bool sf_cloud_body_message(const json_t *body, char *buf, size_t size)
{
	static const char *const keys1[] = { "error_description", "error" };
	json_t *v;
	size_t i;
	if (size)
		buf[0] = '\0';
	if (!size)
		return false;
	if (json_is_string(body)) {
		snprintf(buf, size, "%s", json_string_value(body));
		sanitize(buf);
		return buf[0] != '\0';
	}
	if (!json_is_object(body))
		return false;
	for (i = 0; i < 2; i++) {
		v = json_object_get(body, keys1[i]);
		if (json_is_string(v) && json_string_length(v)) {
			snprintf(buf, size, "%s", json_string_value(v));
			sanitize(buf);
			return true;
		}
	}
	v = json_object_get(body, "errors");
	if (json_is_array(v)) {
		json_t *e;
		json_array_foreach(v, i, e) {
			const char *s = json_string_value(e);
			if (!s && json_is_object(e)) {
				json_t *ee = json_object_get(e, "error");
				s = json_string_value(ee);
				if (!s && json_is_object(ee))
					s = json_string_value(json_object_get(ee, "status"));
				if (!s)
					s = json_string_value(json_object_get(e, "status"));
				if (!s)
					s = json_string_value(json_object_get(e, "message"));
			}
			append(buf, size, "; ", s);
		}
		if (buf[0]) {
			sanitize(buf);
			return true;
		}
	}
	static const char *const keys2[] = { "info", "message" };
	for (i = 0; i < 2; i++) {
		v = json_object_get(body, keys2[i]);
		if (json_is_string(v) && json_string_length(v)) {
			snprintf(buf, size, "%s", json_string_value(v));
			sanitize(buf);
			return true;
		}
	}
	return false;
}

void sf_cloud_redact(char *buf, size_t size, const char *secret)
{
	static const char mark[] = "<redacted>";
	size_t sl, ml = sizeof mark - 1;
	char *p;
	if (!secret || !*secret || !size)
		return;
	sl = strlen(secret);
	p = buf;
	while ((p = strstr(p, secret)) != NULL) {
		size_t tail = strlen(p + sl);
		size_t off = (size_t)(p - buf);
		if (off + ml >= size) {
			*p = '\0';
			return;
		}
		if (off + ml + tail >= size)
			tail = size - 1 - off - ml;
		memmove(p + ml, p + sl, tail);
		memcpy(p, mark, ml);
		p[ml + tail] = '\0';
		p += ml;
	}
}

static bool is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

/* Short printable excerpt of a non-JSON body, for messages. */
static void excerpt(const char *body, size_t len, char *buf, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n + 4 < size && n < 60; i++) {
		unsigned char c = (unsigned char)body[i];
		buf[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : ' ';
	}
	if (len > 60 && n + 4 < size) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
}

static bool mentions_token(const char *m)
{
	return strcasestr(m, "access token") || strcasestr(m, "access_token");
}

static int set(sf_cloud_outcome *out, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int set(sf_cloud_outcome *out, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->msg, sizeof out->msg, fmt, ap);
	va_end(ap);
	out->code = code;
	return code;
}

/* "lookup of device 'x'", "flash of 'x'", "device list", "login". */
static void phrase(sf_cloud_op op, const char *what, char *buf, size_t size)
{
	switch (op) {
	case SF_CLOUD_OP_LOOKUP: snprintf(buf, size, "lookup of device '%.100s'", what); break;
	case SF_CLOUD_OP_FLASH: snprintf(buf, size, "flash of '%.100s'", what); break;
	case SF_CLOUD_OP_LIST: snprintf(buf, size, "device list"); break;
	case SF_CLOUD_OP_PROVISION: snprintf(buf, size, "sending the public key of '%.100s'", what); break;
	case SF_CLOUD_OP_USER: snprintf(buf, size, "token check"); break;
	case SF_CLOUD_OP_COMPILE: snprintf(buf, size, "compile for %.100s", what); break;
	case SF_CLOUD_OP_DOWNLOAD: snprintf(buf, size, "download of the binary compiled for %.100s", what); break;
	default: snprintf(buf, size, "login"); break;
	}
}

static int classify_error(sf_cloud_op op, long status, const char *what, const char *text,
			  const char *errcode, sf_cloud_outcome *out)
{
	char detail[SF_ERR_MSG_MAX], act[160];
	phrase(op, what, act, sizeof act);
	if (text[0])
		snprintf(detail, sizeof detail, ": %.400s", text);
	else if (sf_http_reason(status)[0])
		snprintf(detail, sizeof detail, ": %s", sf_http_reason(status));
	else
		detail[0] = '\0';

	if (op == SF_CLOUD_OP_LOGIN) {
		if (errcode && !strcmp(errcode, "invalid_grant"))
			return set(out, SF_EXIT_CLOUD_AUTH, "login failed: invalid credentials for '%s' (%s)", what, text);
		if (errcode && !strcmp(errcode, "mfa_required"))
			return set(out, SF_EXIT_CLOUD_AUTH,
				   "login failed: the account needs multi-factor authentication, which sparkflash does not support; log in with particle-cli and sparkflash will use its token");
		if (status == 429)
			return set(out, SF_EXIT_CLOUD_NETWORK, "login failed: rate limited (HTTP 429)%s; wait before trying again", detail);
		if (status >= 400 && status < 500)
			return set(out, SF_EXIT_CLOUD_AUTH, "login failed (HTTP %ld)%s", status, detail);
	}
	if (status == 401 || (errcode && (!strcmp(errcode, "invalid_token") || !strcmp(errcode, "expired_token"))))
		return set(out, SF_EXIT_CLOUD_AUTH,
			   "the access token is invalid or has expired (HTTP %ld%s); run 'sparkflash cloud login'",
			   status, detail);
	if (status == 400 && mentions_token(text))
		return set(out, SF_EXIT_CLOUD_AUTH, "not authenticated (HTTP 400%s); run 'sparkflash cloud login'", detail);
	if (status == 429)
		return set(out, SF_EXIT_CLOUD_NETWORK, "%s rate limited (HTTP 429)%s; wait and try again",
			   act, detail);
	if (status >= 500)
		return set(out, SF_EXIT_CLOUD_NETWORK, "server error during %s (HTTP %ld)%s",
			   act, status, detail);
	if (op == SF_CLOUD_OP_LIST)
		return set(out, SF_EXIT_CLOUD_NETWORK, "listing devices failed (HTTP %ld)%s", status, detail);
	if (op == SF_CLOUD_OP_USER)
		return set(out, SF_EXIT_CLOUD_NETWORK, "the token check failed (HTTP %ld)%s", status, detail);
	if (op == SF_CLOUD_OP_COMPILE) {
		if (status == 403)
			return set(out, SF_EXIT_CLOUD_AUTH, "this account may not compile for %s (HTTP 403%s)", what, detail);
		return set(out, SF_EXIT_CLOUD_COMPILE, "the cloud refused to compile for %s (HTTP %ld)%s", what, status,
			   detail);
	}
	if (op == SF_CLOUD_OP_DOWNLOAD)
		return set(out, SF_EXIT_CLOUD_NETWORK, "%s failed (HTTP %ld)%s", act, status, detail);
	if (op == SF_CLOUD_OP_PROVISION) {
		if (status == 403)
			return set(out, SF_EXIT_CLOUD_DEVICE,
				   "the cloud refused the key for device '%s' (HTTP 403%s): the device belongs to another account, or this account may not provision it",
				   what, detail);
		return set(out, SF_EXIT_CLOUD_DEVICE, "the cloud rejected the public key of device '%s' (HTTP %ld)%s",
			   what, status, detail);
	}
	if (status == 403 || (op == SF_CLOUD_OP_LOOKUP && status == 404))
		return set(out, SF_EXIT_CLOUD_DEVICE,
			   "device '%s' not found in this account (HTTP %ld%s); see 'sparkflash cloud list'",
			   what, status, detail);
	if (status == 404) {
		out->offline = true;
		return set(out, SF_EXIT_CLOUD_DEVICE, "device '%s' is offline (HTTP 404%s)", what, detail);
	}
	if (status == 408) {
		out->offline = true;
		return set(out, SF_EXIT_CLOUD_DEVICE, "device '%s' did not answer the cloud in time (HTTP 408%s)", what, detail);
	}
	if (status >= 400)
		return set(out, SF_EXIT_CLOUD_DEVICE, "%s rejected (HTTP %ld)%s", act, status, detail);
	return set(out, SF_EXIT_CLOUD_NETWORK, "unexpected HTTP status %ld during %s%s", status, act, detail);
}

int sf_cloud_classify(sf_cloud_op op, long status, const char *body, size_t len,
		      const char *what, sf_cloud_outcome *out)
{
	json_t *doc = NULL;
	char text[SF_ERR_MSG_MAX] = "";
	const char *errcode = NULL;
	memset(out, 0, sizeof *out);
	if (!what)
		what = "?";

	if (body && len && !is_blank(body, len))
		doc = json_loadb(body, len, JSON_DECODE_ANY, NULL);
	out->body = doc;

	if (status < 200 || status >= 300) {
		if (doc) {
			sf_cloud_body_message(doc, text, sizeof text);
			errcode = json_string_value(json_object_get(doc, "error"));
		} else if (body && len && !is_blank(body, len)) {
			char ex[96];
			excerpt(body, len, ex, sizeof ex);
			snprintf(text, sizeof text, "%.60s (non-JSON body: %.100s)",
				 sf_http_reason(status)[0] ? sf_http_reason(status) : "error", ex);
		}
		return classify_error(op, status, what, text, errcode, out);
	}

	/* 2xx */
	if (!body || !len || is_blank(body, len)) {
		char act[160];
		phrase(op, what, act, sizeof act);
		return set(out, SF_EXIT_CLOUD_NETWORK, "empty response from the server during %s (HTTP %ld)",
			   act, status);
	}
	if (!doc) {
		char ex[96], act[160];
		excerpt(body, len, ex, sizeof ex);
		phrase(op, what, act, sizeof act);
		return set(out, SF_EXIT_CLOUD_NETWORK, "non-JSON response from the server during %s: %s", act, ex);
	}
	switch (op) {
	case SF_CLOUD_OP_LIST:
		if (!json_is_array(doc))
			return set(out, SF_EXIT_CLOUD_NETWORK, "unexpected device list from the server (not an array)");
		return set(out, 0, "ok");
	case SF_CLOUD_OP_LOOKUP:
		if (!json_is_object(doc) || !json_is_string(json_object_get(doc, "id")))
			return set(out, SF_EXIT_CLOUD_NETWORK, "unexpected answer to the lookup of device '%s' (no id)", what);
		return set(out, 0, "ok");
	case SF_CLOUD_OP_LOGIN:
		if (!json_is_object(doc) || !json_is_string(json_object_get(doc, "access_token")))
			return set(out, SF_EXIT_CLOUD_NETWORK, "unexpected login answer from the server (no access_token)");
		return set(out, 0, "ok");
	case SF_CLOUD_OP_USER:
	case SF_CLOUD_OP_COMPILE:
	case SF_CLOUD_OP_DOWNLOAD:
		return set(out, 0, "ok");
	case SF_CLOUD_OP_PROVISION:
		/* spark-server answers the bare string "Success!"; particle-cli
		 * takes anything without `error` as accepted */
		if (json_is_object(doc) && (json_is_false(json_object_get(doc, "ok")) ||
					    json_object_get(doc, "error") || json_object_get(doc, "errors"))) {
			sf_cloud_body_message(doc, text, sizeof text);
			return set(out, SF_EXIT_CLOUD_DEVICE, "the cloud rejected the public key of device '%s': %s", what,
				   text[0] ? text : "ok:false without a reason");
		}
		return set(out, 0, "ok");
	case SF_CLOUD_OP_FLASH:
		break;
	}
	/* Flash: success only when the body says the update started (§3.3). */
	if (!json_is_object(doc)) {
		sf_cloud_body_message(doc, text, sizeof text);
		return set(out, SF_EXIT_CLOUD_NETWORK, "unexpected flash answer for '%s': %s", what,
			   text[0] ? text : "not a JSON object");
	}
	{
		json_t *ok = json_object_get(doc, "ok");
		const char *status_s = json_string_value(json_object_get(doc, "status"));
		if (json_is_false(ok)) {
			sf_cloud_body_message(doc, text, sizeof text);
			if (strcasestr(text, "timed out") || strcasestr(text, "not connected") ||
			    strcasestr(text, "offline"))
				out->offline = true;
			return set(out, SF_EXIT_CLOUD_DEVICE, "flash of '%s' %s: %s", what,
				   out->offline ? "failed, device offline" : "rejected",
				   text[0] ? text : "the server answered ok:false without a reason");
		}
		if (status_s && !strcasecmp(status_s, "Update started"))
			return set(out, 0, "%s", status_s);
		if (json_is_true(ok))
			return set(out, 0, "%s", status_s ? status_s : "ok");
		sf_cloud_body_message(doc, text, sizeof text);
		if (status_s || text[0])
			return set(out, SF_EXIT_CLOUD_DEVICE, "flash of '%s' not confirmed: the cloud answered '%s'",
				   what, status_s ? status_s : text);
		return set(out, SF_EXIT_CLOUD_NETWORK, "unexpected flash answer for '%s' (no status)", what);
	}
}

/* ---- compile ------------------------------------------------------------ */

/* The compiler's text: errors[] joined by newlines, as printed. */
static char *compiler_text(const json_t *errors)
{
	size_t i, total = 0, n = 0;
	json_t *e;
	char *buf;
	if (!json_is_array(errors) || !json_array_size(errors))
		return NULL;
	json_array_foreach(errors, i, e) {
		const char *s = json_string_value(e);
		if (!s && json_is_object(e)) {
			s = json_string_value(json_object_get(e, "error"));
			if (!s)
				s = json_string_value(json_object_get(e, "message"));
		}
		if (s)
			total += strlen(s) + 1;
	}
	if (!total || !(buf = malloc(total + 1)))
		return NULL;
	json_array_foreach(errors, i, e) {
		const char *s = json_string_value(e);
		size_t l;
		if (!s && json_is_object(e)) {
			s = json_string_value(json_object_get(e, "error"));
			if (!s)
				s = json_string_value(json_object_get(e, "message"));
		}
		if (!s)
			continue;
		l = strlen(s);
		if (n && buf[n - 1] != '\n')
			buf[n++] = '\n';
		memcpy(buf + n, s, l);
		n += l;
	}
	buf[n] = '\0';
	return buf;
}

static char *dup_string(const json_t *v)
{
	const char *s = json_string_value(v);
	return s && *s ? strdup(s) : NULL;
}

static int compile_set(sf_cloud_compile *out, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int compile_set(sf_cloud_compile *out, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->msg, sizeof out->msg, fmt, ap);
	va_end(ap);
	out->code = code;
	return code;
}

int sf_cloud_compile_parse(long status, const char *body, size_t len, const char *what, sf_cloud_compile *out)
{
	json_t *doc = NULL, *errors, *ok;
	const char *s;
	int code;
	memset(out, 0, sizeof *out);
	if (!what)
		what = "?";
	if (body && len && !is_blank(body, len))
		doc = json_loadb(body, len, JSON_DECODE_ANY, NULL);
	/* auth, rate limits, server trouble, non-JSON: as for every request */
	if (!json_is_object(doc) || status == 401 || status == 403 || status == 429 || status >= 500 ||
	    status < 200 || (status >= 300 && status < 400)) {
		sf_cloud_outcome o;
		json_decref(doc);
		code = sf_cloud_classify(SF_CLOUD_OP_COMPILE, status, body, len, what, &o);
		json_decref(o.body);
		if (code == 0)
			code = compile_set(out, SF_EXIT_CLOUD_NETWORK, "unexpected answer to the compile for %s: not a JSON object",
					   what);
		else
			compile_set(out, code, "%s", o.msg);
		return code;
	}
	if ((s = json_string_value(json_object_get(doc, "output"))))
		snprintf(out->summary, sizeof out->summary, "%s", s);
	sanitize(out->summary);
	ok = json_object_get(doc, "ok");
	errors = json_object_get(doc, "errors");
	if (status < 300 && !json_is_false(ok)) {
		const char *url = json_string_value(json_object_get(doc, "binary_url"));
		const char *id = json_string_value(json_object_get(doc, "binary_id"));
		if (url && strlen(url) < sizeof out->binary_url)
			snprintf(out->binary_url, sizeof out->binary_url, "%s", url);
		if (id && strlen(id) < sizeof out->binary_id)
			snprintf(out->binary_id, sizeof out->binary_id, "%s", id);
		out->size_info = dup_string(json_object_get(doc, "sizeInfo"));
		json_decref(doc);
		if (!out->binary_url[0] && !out->binary_id[0])
			return compile_set(out, SF_EXIT_CLOUD_NETWORK,
					   "unexpected answer to the compile for %s (HTTP %ld): no binary_url or binary_id",
					   what, status);
		return compile_set(out, 0, "compiled");
	}
	out->compiler = compiler_text(errors);
	if (out->compiler || out->summary[0]) {
		code = compile_set(out, SF_EXIT_CLOUD_COMPILE, "compile for %s failed (HTTP %ld)%s%s", what, status,
				   out->summary[0] ? ": " : "", out->summary);
	} else {
		char text[SF_ERR_MSG_MAX];
		if (!sf_cloud_body_message(doc, text, sizeof text))
			snprintf(text, sizeof text, "%s", sf_http_reason(status)[0] ? sf_http_reason(status) : "no reason given");
		if (status >= 400 && mentions_token(text))
			code = compile_set(out, SF_EXIT_CLOUD_AUTH, "not authenticated (HTTP %ld: %s); run 'sparkflash cloud login'",
					   status, text);
		else
			code = compile_set(out, SF_EXIT_CLOUD_COMPILE, "the cloud refused to compile for %s (HTTP %ld): %s", what,
					   status, text);
	}
	json_decref(doc);
	return code;
}

void sf_cloud_compile_free(sf_cloud_compile *c)
{
	free(c->compiler);
	free(c->size_info);
	c->compiler = NULL;
	c->size_info = NULL;
}

/* Length of "scheme://host[:port]" at the start of url, 0 when it has none. */
static size_t origin_len(const char *url)
{
	const char *p = strstr(url, "://");
	if (!p || p == url)
		return 0;
	for (const char *c = url; c < p; c++)
		if (!isalpha((unsigned char)*c))
			return 0;
	p += 3;
	while (*p && *p != '/' && *p != '?' && *p != '#')
		p++;
	return (size_t)(p - url);
}

int sf_cloud_binary_url(const char *api_base, const char *binary_url, const char *binary_id, char *buf,
			size_t size, sf_err *err)
{
	size_t bl = strlen(api_base);
	if (binary_url && *binary_url) {
		for (const char *c = binary_url; *c; c++)
			if ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == '\\')
				return sf_err_set(err, SF_EXIT_CLOUD_NETWORK,
						  "the compile answer's binary_url is not a usable URL");
		if (binary_url[0] == '/' && binary_url[1] != '/') {
			if ((size_t)snprintf(buf, size, "%s%s", api_base, binary_url) >= size)
				return sf_err_set(err, SF_EXIT_CLOUD_NETWORK, "the compile answer's binary_url is too long");
			return 0;
		}
		/* absolute: only under the API base URL the token belongs to */
		{
			size_t ol = origin_len(api_base);
			if (ol && !strncasecmp(binary_url, api_base, ol) && !strncmp(binary_url + ol, api_base + ol, bl - ol) &&
			    binary_url[bl] == '/') {
				if ((size_t)snprintf(buf, size, "%s", binary_url) >= size)
					return sf_err_set(err, SF_EXIT_CLOUD_NETWORK,
							  "the compile answer's binary_url is too long");
				return 0;
			}
		}
		return sf_err_set(err, SF_EXIT_CLOUD_NETWORK,
				  "the compile answer's binary_url points outside %.300s; not sending the token there",
				  api_base);
	}
	if (binary_id && *binary_id) {
		for (const char *c = binary_id; *c; c++)
			if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
				return sf_err_set(err, SF_EXIT_CLOUD_NETWORK, "the compile answer's binary_id is not an id");
		if ((size_t)snprintf(buf, size, "%s/v1/binaries/%s", api_base, binary_id) >= size)
			return sf_err_set(err, SF_EXIT_CLOUD_NETWORK, "the compile answer's binary_id is too long");
		return 0;
	}
	return sf_err_set(err, SF_EXIT_CLOUD_NETWORK, "the compile answer has no binary_url or binary_id");
}
