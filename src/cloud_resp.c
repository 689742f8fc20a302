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
