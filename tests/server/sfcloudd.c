/* sfcloudd: a local imitation of the Particle Cloud REST API for the test
 * suite (cloud-api.md §7). libmicrohttpd, one thread per connection, on
 * 127.0.0.1 with an ephemeral port written to --port-file.
 *
 *   sfcloudd --fixtures FILE --port-file FILE [--control] [--idle-timeout S]
 *            [--tls-cert PEM --tls-key PEM] [--legacy] [--spark-server]
 *            [--any-client] [--max-file BYTES] [--offline-timeout-ms N]
 *            [--ignore-expect] [--mkmodule PATH] [--old-compile-errors]
 *
 * Fixtures: {"users":[{username,password}], "tokens":[{token,user,expires_at}],
 * "devices":[{id,name,owner,online,platform_id,product_id,cellular,
 * system_firmware_version,last_heard, flash:"start"|"offline"|"hang",
 * fail:"status text", delay_ms:N, reply_status:"text"}],
 * "products":[{id,slug,devices:[ids]}]}.
 *
 * POST /v1/provisioning/:id takes a device's public key (spark-cli.md §4.5,
 * spark-server's provision_core): urlencoded deviceID (must equal :id),
 * publicKey (a PEM public key libcrypto reads; a private key is refused),
 * algorithm (rsa|ecc, must match the key; absent means rsa), optional
 * product_id (a known product); a device of another user is 403. Accepted:
 * 200 {ok:true} (--spark-server: the bare JSON string "Success!"); the key
 * is kept and its record carries "provisioned": true, "key_type" and
 * "key_bits". GET /__control/keys shows the keys by device ID.
 *
 * POST /v1/binaries is the compile service: a multipart body with the
 * sources as file parts named file, file1, file2, ... (particle-api-js's
 * file, file2, ... too), each with a relative filename (no "..", no
 * duplicates), a numeric platform_id, an optional product_id (a known
 * product); file_type (binary) is refused. The compiler is imitated: a
 * source (.ino .cpp .c .h .hpp .hh .hxx) with a "#error" line or a byte
 * that is not text, or an upload without an .ino/.cpp/.c file, fails with
 * gcc-style messages and make's trailer, answered as particle-cli 3.x sees
 * it, 400 {ok:false, code, output:"Compiler timed out or encountered an
 * error", errors:[TEXT]} (--old-compile-errors: 200 {ok:false,
 * errors:[TEXT], output:"App code was invalid", stdout}). Otherwise the
 * "binary" is a real module image for the platform written by the test
 * tools' mkmodule (--mkmodule PATH; payload seeded by the sources' SHA-256)
 * and the answer is 200 {ok:true, binary_id, binary_url:"/v1/binaries/ID",
 * expires_at, sizeInfo}; GET /v1/binaries/:id gives it to the same user
 * (application/octet-stream), else 404. The record of a compile carries
 * "files" (part, filename, length, SHA-256), "platform_id",
 * "dependencies" (from project.properties), "compiled", "binary_sha256"
 * and "compiler_output". GET /v1/products/:p/devices/:id answers a
 * product's device by ID.
 *
 * With --control, /__control/requests (GET: every request seen, as JSON),
 * /__control/faults (POST: queue a fault), /__control/keys (GET: the keys
 * received by POST /v1/provisioning) and /__control/reset (POST) are
 * served; they are never recorded. Requests in absolute form
 * ("GET http://host/path", what a client sends to a forward proxy) are
 * answered as if they had reached the target and recorded with
 * "via_proxy": true, so a second instance can stand in as the proxy.
 * Exits after --idle-timeout seconds (default 120) without requests, or on
 * SIGTERM/SIGINT. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#define FIELD_MAX 4096
#define RAW_MAX (64 * 1024)
#define FILE_PARTS_MAX 1100
/* bytes of one file part kept for the compile checks */
#define KEEP_MAX (2 * 1024 * 1024)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *fixtures;      /* users, tokens, devices, products */
static json_t *records;       /* array of request records */
static json_t *faults;        /* array of queued faults */
static json_t *device_keys;   /* device ID -> {publicKey, algorithm, user} */
static bool opt_control, opt_legacy, opt_spark, opt_any_client, opt_ignore_expect, opt_old_compile_errors;
static const char *opt_mkmodule;
static long opt_max_file = 4 * 1024 * 1024;
static long opt_offline_timeout_ms = 2000;
static volatile sig_atomic_t stopping;
static long long t0_ms, last_activity_ms;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void touch(void)
{
	pthread_mutex_lock(&lock);
	last_activity_ms = now_ms();
	pthread_mutex_unlock(&lock);
}

/* Sleeps in small steps so a stopping server is not held up. */
static void nap_ms(long ms)
{
	long long end = now_ms() + ms;
	while (!stopping && now_ms() < end) {
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* One file part of a multipart body: its name, filename, type, length
 * and SHA-256 (libcrypto), and (up to KEEP_MAX) its bytes. */
typedef struct upart {
	char name[128];
	char filename[512];
	char ctype[128];
	uint64_t len;
	EVP_MD_CTX *md;
	unsigned char *data;
	size_t kept;
	bool overflow;
} upart;

typedef struct rstate {
	struct MHD_PostProcessor *pp;
	json_t *rec;
	json_t *parts;        /* part names in order */
	json_t *form;         /* text fields */
	char cur_key[128];
	upart *files;         /* file parts in order */
	size_t nfiles;
	bool too_many_parts;
	/* the first part named "file" (the flash endpoint's image) */
	bool has_file;
	size_t file_index;
	char filename[512];
	char file_ctype[128];
	uint64_t file_len;
	char *raw;
	size_t raw_len;
	bool first_done;
} rstate;

/* Lower-case hex SHA-256 of a finished digest context. */
static void md_hex(EVP_MD_CTX *md, char hex[65])
{
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *tmp = EVP_MD_CTX_new();
	hex[0] = '\0';
	if (!tmp || !EVP_MD_CTX_copy_ex(tmp, md) || !EVP_DigestFinal_ex(tmp, dig, &n) || n != 32) {
		EVP_MD_CTX_free(tmp);
		return;
	}
	EVP_MD_CTX_free(tmp);
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", dig[i]);
}

/* A new file part: off == 0 starts one, unless the previous call was an
 * empty first call for the same part. */
static upart *file_part(rstate *st, const char *key, const char *filename, uint64_t off)
{
	upart *u = st->nfiles ? &st->files[st->nfiles - 1] : NULL;
	if (off != 0 || (u && !strcmp(u->name, key) && !strcmp(u->filename, filename) && u->len == 0))
		return u;
	if (st->nfiles >= FILE_PARTS_MAX) {
		st->too_many_parts = true;
		return NULL;
	}
	if (st->nfiles % 64 == 0) {
		upart *nf = realloc(st->files, (st->nfiles + 64) * sizeof *nf);
		if (!nf)
			return NULL;
		st->files = nf;
	}
	u = &st->files[st->nfiles];
	memset(u, 0, sizeof *u);
	snprintf(u->name, sizeof u->name, "%s", key);
	snprintf(u->filename, sizeof u->filename, "%s", filename);
	u->md = EVP_MD_CTX_new();
	if (!u->md || !EVP_DigestInit_ex(u->md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(u->md);
		return NULL;
	}
	st->nfiles++;
	json_array_append_new(st->parts, json_string(key));
	snprintf(st->cur_key, sizeof st->cur_key, "%s", key);
	return u;
}

static enum MHD_Result on_post(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
			       const char *content_type, const char *transfer_encoding, const char *data,
			       uint64_t off, size_t size)
{
	rstate *st = cls;
	(void)kind;
	(void)transfer_encoding;
	if (!key)
		return MHD_YES;
	if (filename) {
		upart *u = file_part(st, key, filename, off);
		if (!u)
			return MHD_YES;
		if (off == 0 && !u->ctype[0])
			snprintf(u->ctype, sizeof u->ctype, "%s", content_type ? content_type : "");
		EVP_DigestUpdate(u->md, data, size);
		u->len += size;
		if (!u->overflow && size) {
			if (u->kept + size > KEEP_MAX) {
				u->overflow = true;
			} else {
				unsigned char *nd = realloc(u->data, u->kept + size);
				if (nd) {
					memcpy(nd + u->kept, data, size);
					u->data = nd;
					u->kept += size;
				} else {
					u->overflow = true;
				}
			}
		}
		/* the flash endpoint's image: the first part named "file" */
		if (!strcmp(key, "file") && (!st->has_file || (size_t)(u - st->files) == st->file_index)) {
			if (!st->has_file) {
				st->has_file = true;
				st->file_index = (size_t)(u - st->files);
				snprintf(st->filename, sizeof st->filename, "%s", filename);
				snprintf(st->file_ctype, sizeof st->file_ctype, "%s", content_type ? content_type : "");
			}
			st->file_len += size;
		}
		return MHD_YES;
	}
	if (off == 0 && strcmp(st->cur_key, key)) {
		json_array_append_new(st->parts, json_string(key));
		snprintf(st->cur_key, sizeof st->cur_key, "%s", key);
	} else if (off == 0 && size == 0) {
		json_array_append_new(st->parts, json_string(key));
	}
	{
		json_t *v = json_object_get(st->form, key);
		const char *old = v ? json_string_value(v) : "";
		size_t ol = strlen(old);
		char *nv;
		if (ol + size > FIELD_MAX)
			return MHD_YES;
		nv = malloc(ol + size + 1);
		memcpy(nv, old, ol);
		memcpy(nv + ol, data, size);
		nv[ol + size] = '\0';
		json_object_set_new(st->form, key, json_stringn(nv, ol + size));
		free(nv);
	}
	return MHD_YES;
}

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	json_object_set_new(cls, key, value ? json_string(value) : json_null());
	return MHD_YES;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, rstate *st, unsigned status, const char *ctype,
				  const char *body, const char *const *headers)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	if (ctype)
		MHD_add_response_header(r, "Content-Type", ctype);
	for (; headers && headers[0]; headers += 2)
		MHD_add_response_header(r, headers[0], headers[1]);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	if (st && st->rec) {
		pthread_mutex_lock(&lock);
		json_object_set_new(st->rec, "status", json_integer(status));
		json_object_set_new(st->rec, "done_ms", json_integer(now_ms() - t0_ms));
		pthread_mutex_unlock(&lock);
	}
	return ret;
}

static enum MHD_Result reply_json(struct MHD_Connection *c, rstate *st, unsigned status, json_t *doc,
				  const char *const *headers)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
	enum MHD_Result r = reply_text(c, st, status, "application/json", s ? s : "null", headers);
	free(s);
	json_decref(doc);
	return r;
}

static const char *const oauth_headers[] = { "Cache-Control", "no-store", "Pragma", "no-cache", NULL };

static enum MHD_Result oauth_error(struct MHD_Connection *c, rstate *st, unsigned status, const char *error,
				   const char *desc)
{
	return reply_json(c, st, status, json_pack("{s:s, s:s}", "error", error, "error_description", desc),
			  oauth_headers);
}

static time_t parse_iso(const char *s)
{
	struct tm tm = { 0 };
	if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
			 &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* ---- drip / reset responses ------------------------------------------- */

static ssize_t drip_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)cls;
	if (pos >= 40 || stopping)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (max < 1)
		return 0;
	nap_ms(1000);
	buf[0] = pos == 0 ? '{' : ' ';
	return 1;
}

static ssize_t reset_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)cls;
	(void)pos;
	(void)buf;
	(void)max;
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* Applies a queued fault matching this request, if any. */
static bool take_fault(const char *method, const char *path, json_t **out)
{
	size_t i;
	json_t *f;
	bool hit = false;
	pthread_mutex_lock(&lock);
	json_array_foreach(faults, i, f) {
		const char *m = json_string_value(json_object_get(f, "method"));
		const char *p = json_string_value(json_object_get(f, "path_prefix"));
		json_int_t count = json_integer_value(json_object_get(f, "count"));
		if (count <= 0)
			continue;
		if (m && strcmp(m, method))
			continue;
		if (p && strncmp(path, p, strlen(p)))
			continue;
		json_object_set_new(f, "count", json_integer(count - 1));
		*out = json_deep_copy(f);
		hit = true;
		break;
	}
	pthread_mutex_unlock(&lock);
	return hit;
}

static enum MHD_Result apply_fault(struct MHD_Connection *c, rstate *st, json_t *f)
{
	const char *kind = json_string_value(json_object_get(f, "kind"));
	json_int_t status = json_integer_value(json_object_get(f, "status"));
	const char *ra = json_string_value(json_object_get(f, "retry_after"));
	json_t *body = json_object_get(f, "body");
	enum MHD_Result r;
	if (!kind)
		kind = "status";
	pthread_mutex_lock(&lock);
	json_object_set_new(st->rec, "fault", json_string(kind));
	pthread_mutex_unlock(&lock);
	if (!strcmp(kind, "hang")) {
		nap_ms(300000);
		r = MHD_NO;
	} else if (!strcmp(kind, "html")) {
		r = reply_text(c, st, status ? (unsigned)status : 502, "text/html",
			       "<html><head><title>502 Bad Gateway</title></head><body>bad gateway</body></html>", NULL);
	} else if (!strcmp(kind, "empty")) {
		r = reply_text(c, st, status ? (unsigned)status : 200, "application/json", "", NULL);
	} else if (!strcmp(kind, "string")) {
		r = reply_text(c, st, 200, "application/json", "\"a bare JSON string\"", NULL);
	} else if (!strcmp(kind, "drip") || !strcmp(kind, "reset")) {
		struct MHD_Response *resp = MHD_create_response_from_callback(
			MHD_SIZE_UNKNOWN, 64, !strcmp(kind, "drip") ? drip_cb : reset_cb, NULL, NULL);
		MHD_add_response_header(resp, "Content-Type", "application/json");
		r = MHD_queue_response(c, 200, resp);
		MHD_destroy_response(resp);
	} else {
		const char *hdr[] = { "Retry-After", ra, NULL };
		unsigned s = status ? (unsigned)status : 500;
		json_t *b = body ? json_incref(body)
			  : s == 429 ? json_pack("{s:s, s:s}", "error", "rate_limit_exceeded", "error_description", "Too many requests")
			  : s == 503 ? json_pack("{s:s, s:s}", "error", "server_error", "error_description", "the service is unavailable")
			  : json_pack("{s:s}", "error", "internal error");
		r = reply_json(c, st, s, b, ra ? hdr : NULL);
	}
	json_decref(f);
	return r;
}

/* ---- fixtures helpers (call with lock held) --------------------------- */

static json_t *find_token(const char *tok)
{
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(fixtures, "tokens"), i, t)
		if (!strcmp(json_string_value(json_object_get(t, "token")) ?: "", tok))
			return t;
	return NULL;
}

static json_t *find_device(const char *user, const char *idname)
{
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(fixtures, "devices"), i, d) {
		const char *id = json_string_value(json_object_get(d, "id"));
		const char *owner = json_string_value(json_object_get(d, "owner"));
		if (user && (!owner || strcmp(owner, user)))
			continue;
		if (id && !strcasecmp(id, idname))
			return d;
	}
	json_array_foreach(json_object_get(fixtures, "devices"), i, d) {
		const char *name = json_string_value(json_object_get(d, "name"));
		const char *owner = json_string_value(json_object_get(d, "owner"));
		if (user && (!owner || strcmp(owner, user)))
			continue;
		if (name && !strcmp(name, idname))
			return d;
	}
	return NULL;
}

static json_t *device_view(const json_t *d)
{
	json_t *v = json_object();
	static const char *const keys[] = { "id", "name", "online", "platform_id", "product_id", "cellular",
					    "last_heard", "system_firmware_version", "development" };
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		json_t *x = json_object_get(d, keys[k]);
		if (x)
			json_object_set(v, keys[k], x);
	}
	json_object_set(v, "connected", json_object_get(d, "online") ?: json_false());
	json_object_set_new(v, "last_ip_address", json_string("127.0.0.1"));
	json_object_set_new(v, "status", json_string("normal"));
	json_object_set_new(v, "functions", json_null());
	json_object_set_new(v, "variables", json_null());
	return v;
}

/* ---- handlers ------------------------------------------------------------ */

/* n random bytes as 2n lower-case hex digits (libcrypto's generator). */
static bool random_hex(char *out, size_t n)
{
	unsigned char b[32];
	if (n > sizeof b || RAND_bytes(b, (int)n) != 1)
		return false;
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return true;
}

static enum MHD_Result handle_token(struct MHD_Connection *c, rstate *st, const char *method, const char *ctype)
{
	static const char *const clients[] = { "particle:particle", "particle-cli:particle-cli",
					       "particle-api:particle-api", "CLI2:client_secret_here", NULL };
	static const char *const basic_hdr[] = { "WWW-Authenticate", "Basic realm=\"Service\"",
						 "Cache-Control", "no-store", "Pragma", "no-cache", NULL };
	char *pass = NULL, *cid = MHD_basic_auth_get_username_password(c, &pass);
	char pair[512];
	const char *grant, *user, *pw;
	bool client_ok = false;
	json_t *u = NULL, *tok;
	size_t i;
	json_int_t expires = 7776000;
	char token[41], when[64];

	if (strcmp(method, "POST") || !ctype || strncasecmp(ctype, "application/x-www-form-urlencoded", 33)) {
		if (cid) MHD_free(cid);
		if (pass) MHD_free(pass);
		return oauth_error(c, st, 400, "invalid_request",
				   "Method must be POST with application/x-www-form-urlencoded encoding");
	}
	if (cid)
		snprintf(pair, sizeof pair, "%s:%s", cid, pass ? pass : "");
	else
		snprintf(pair, sizeof pair, "%s:%s", json_string_value(json_object_get(st->form, "client_id")) ?: "",
			 json_string_value(json_object_get(st->form, "client_secret")) ?: "");
	if (cid) MHD_free(cid);
	if (pass) MHD_free(pass);
	for (i = 0; clients[i]; i++)
		if (!strcmp(clients[i], pair))
			client_ok = true;
	if (opt_any_client && pair[0] != ':')
		client_ok = true;
	if (!client_ok)
		return reply_json(c, st, 400, json_pack("{s:s, s:s}", "error", "invalid_client", "error_description",
							"Client credentials are invalid"), basic_hdr);
	grant = json_string_value(json_object_get(st->form, "grant_type"));
	if (!grant || strcmp(grant, "password"))
		return oauth_error(c, st, 400, "invalid_request", "Invalid or missing grant_type parameter");
	user = json_string_value(json_object_get(st->form, "username"));
	pw = json_string_value(json_object_get(st->form, "password"));
	if (!user || !pw)
		return reply_json(c, st, 400, json_pack("{s:s, s:s}", "error", "invalid_client", "error_description",
							"Missing parameters. \"username\" and \"password\" are required"), basic_hdr);
	pthread_mutex_lock(&lock);
	json_array_foreach(json_object_get(fixtures, "users"), i, u) {
		if (!strcasecmp(json_string_value(json_object_get(u, "username")) ?: "", user) &&
		    !strcmp(json_string_value(json_object_get(u, "password")) ?: "", pw))
			break;
		u = NULL;
	}
	if (!u) {
		pthread_mutex_unlock(&lock);
		return oauth_error(c, st, 400, "invalid_grant", "User credentials are invalid");
	}
	if (json_is_true(json_object_get(u, "mfa"))) {
		pthread_mutex_unlock(&lock);
		return reply_json(c, st, 403, json_pack("{s:s, s:s, s:s}", "error", "mfa_required", "error_description",
							"Multi-factor authentication required", "mfa_token",
							"0000000000000000000000000000000000000000"), oauth_headers);
	}
	if (json_object_get(st->form, "expires_in"))
		expires = atoll(json_string_value(json_object_get(st->form, "expires_in")) ?: "0");
	if (!random_hex(token, 20)) {
		pthread_mutex_unlock(&lock);
		return oauth_error(c, st, 503, "server_error", "no random bytes for a token");
	}
	tok = json_pack("{s:s, s:s}", "token", token, "user", json_string_value(json_object_get(u, "username")));
	if (expires > 0) {
		time_t t = time(NULL) + (time_t)expires;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(tok, "expires_at", json_string(when));
	} else {
		json_object_set_new(tok, "expires_at", json_null());
	}
	json_array_append_new(json_object_get(fixtures, "tokens"), tok);
	json_object_set_new(st->rec, "issued_token", json_string(token));
	pthread_mutex_unlock(&lock);
	{
		json_t *body = json_pack("{s:s, s:s}", "token_type", "bearer", "access_token", token);
		if (expires > 0)
			json_object_set_new(body, "expires_in", json_integer(expires));
		return reply_json(c, st, 200, body, oauth_headers);
	}
}

/* §7.2: returns the caller's user name, or NULL after queueing an error. */
static const char *authenticate(struct MHD_Connection *c, rstate *st, const char *method, const char *ctype,
				enum MHD_Result *ret, char *user, size_t usize)
{
	const char *hdr = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "access_token");
	const char *b = json_string_value(json_object_get(st->form, "access_token"));
	const char *token = NULL;
	int places = (hdr != NULL) + (q != NULL) + (b != NULL);
	json_t *t;
	bool urlenc = ctype && !strncasecmp(ctype, "application/x-www-form-urlencoded", 33);

	if (places > 1) {
		*ret = oauth_error(c, st, 400, "invalid_request",
				   "Only one method may be used to authenticate at a time (Auth header, GET or POST).");
		return NULL;
	}
	if (places == 0) {
		*ret = oauth_error(c, st, 400, "invalid_request", "The access token was not found");
		return NULL;
	}
	if (hdr) {
		if (strncmp(hdr, "Bearer ", 7) || !hdr[7] || strchr(hdr + 7, ' ')) {
			*ret = oauth_error(c, st, 400, "invalid_request", "Malformed auth header");
			return NULL;
		}
		token = hdr + 7;
	} else if (b) {
		if (!urlenc || !strcmp(method, "GET")) {
			*ret = oauth_error(c, st, 400, "invalid_request",
					   "When putting the token in the body, content type must be application/x-www-form-urlencoded.");
			return NULL;
		}
		token = b;
	} else {
		if (!opt_legacy && strcmp(method, "GET")) {
			*ret = oauth_error(c, st, 400, "invalid_request", "Query access tokens are only accepted on GET requests");
			return NULL;
		}
		token = q;
	}
	pthread_mutex_lock(&lock);
	t = find_token(token);
	if (!t) {
		pthread_mutex_unlock(&lock);
		*ret = oauth_error(c, st, 401, "invalid_token", "The access token provided is invalid.");
		return NULL;
	}
	{
		const char *exp = json_string_value(json_object_get(t, "expires_at"));
		if (exp && parse_iso(exp) <= time(NULL)) {
			pthread_mutex_unlock(&lock);
			*ret = oauth_error(c, st, 401, "invalid_token", "The access token provided has expired.");
			return NULL;
		}
	}
	snprintf(user, usize, "%s", json_string_value(json_object_get(t, "user")) ?: "");
	pthread_mutex_unlock(&lock);
	return user;
}

static enum MHD_Result handle_flash(struct MHD_Connection *c, rstate *st, const char *user, const char *idname,
				    const char *product, const char *base)
{
	json_t *d;
	char id[64];
	const char *behaviour = "start", *fail = NULL, *reply_status = NULL;
	long delay = 0;
	const char *ft = json_string_value(json_object_get(st->form, "file_type"));
	char info[400];

	snprintf(info, sizeof info, "I didn't recognize that device name or ID, try opening %s/v1/devices", base);
	pthread_mutex_lock(&lock);
	if (product) {
		json_t *p = NULL, *x;
		size_t i;
		bool member = false;
		json_array_foreach(json_object_get(fixtures, "products"), i, x) {
			json_t *pid = json_object_get(x, "id");
			char pids[32];
			snprintf(pids, sizeof pids, "%" JSON_INTEGER_FORMAT, json_integer_value(pid));
			if (!strcmp(pids, product) || !strcmp(json_string_value(json_object_get(x, "slug")) ?: "", product))
				p = x;
		}
		if (!p) {
			pthread_mutex_unlock(&lock);
			return reply_json(c, st, 404, json_pack("{s:b, s:s}", "ok", 0, "error", "Product not found"), NULL);
		}
		json_array_foreach(json_object_get(p, "devices"), i, x)
			if (!strcasecmp(json_string_value(x) ?: "", idname))
				member = true;
		d = member ? find_device(NULL, idname) : NULL;
		if (!d || strlen(idname) != 24) {
			pthread_mutex_unlock(&lock);
			return reply_json(c, st, 403, json_pack("{s:s, s:s}", "error", "Permission Denied", "info", info), NULL);
		}
		/* {development:true} marks a development device */
		if (!st->has_file && st->raw) {
			json_t *body = json_loadb(st->raw, st->raw_len, 0, NULL);
			if (json_is_true(json_object_get(body, "development"))) {
				json_object_set_new(d, "development", json_true());
				json_decref(body);
				json_t *v = device_view(d);
				pthread_mutex_unlock(&lock);
				return reply_json(c, st, 200, v, NULL);
			}
			json_decref(body);
		}
	} else {
		d = find_device(user, idname);
	}
	if (!d) {
		pthread_mutex_unlock(&lock);
		return reply_json(c, st, 403, json_pack("{s:s, s:s}", "error", "Permission Denied", "info", info), NULL);
	}
	snprintf(id, sizeof id, "%s", json_string_value(json_object_get(d, "id")) ?: "");
	if (json_string_value(json_object_get(d, "flash")))
		behaviour = json_string_value(json_object_get(d, "flash"));
	fail = json_string_value(json_object_get(d, "fail"));
	reply_status = json_string_value(json_object_get(d, "reply_status"));
	delay = (long)json_integer_value(json_object_get(d, "delay_ms"));
	if (json_is_false(json_object_get(d, "online")))
		behaviour = "offline";
	json_object_set_new(st->rec, "device_id", json_string(id));
	pthread_mutex_unlock(&lock);

	if (!st->has_file)
		return reply_json(c, st, 400, json_pack("{s:b, s:s}", "ok", 0, "error", "Nothing to do?"), NULL);
	if (st->file_len == 0)
		return reply_json(c, st, 400, json_pack("{s:b, s:[s]}", "ok", 0, "errors", "Update failed - File was too small!"), NULL);
	if ((long)st->file_len > opt_max_file)
		return reply_json(c, st, 400, json_pack("{s:b, s:[s]}", "ok", 0, "errors", "Update failed - File was too big!"), NULL);
	{
		const char *dot = strrchr(st->filename, '.');
		bool source = dot && (!strcasecmp(dot, ".c") || !strcasecmp(dot, ".cpp") || !strcasecmp(dot, ".h") ||
				      !strcasecmp(dot, ".ino"));
		if (source && !(ft && !strcmp(ft, "binary")))
			return reply_json(c, st, 400, json_pack("{s:b, s:[s], s:s}", "ok", 0, "errors", "Compile error",
								"output", "source flashing is not supported here"), NULL);
	}
	if (!strcmp(behaviour, "offline")) {
		if (opt_spark) {
			nap_ms(opt_offline_timeout_ms);
			return reply_json(c, st, 200, json_pack("{s:b, s:[{s:s}]}", "ok", 0, "errors", "error", "Timed out."), NULL);
		}
		return reply_json(c, st, 404, json_pack("{s:b, s:s, s:[s]}", "ok", 0, "error", "Device is not connected",
							"errors", "Device is not connected."), NULL);
	}
	if (!strcmp(behaviour, "hang")) {
		nap_ms(300000);
		return MHD_NO;
	}
	if (fail) {
		if (opt_spark)
			return reply_json(c, st, 200, json_pack("{s:b, s:[{s:s, s:s}]}", "ok", 0, "errors", "id", id, "status", fail), NULL);
		return reply_json(c, st, 400, json_pack("{s:b, s:s, s:[s]}", "ok", 0, "error", fail, "errors", fail), NULL);
	}
	if (delay > 0)
		nap_ms(delay);
	pthread_mutex_lock(&lock);
	json_object_set_new(st->rec, "flashed", json_true());
	pthread_mutex_unlock(&lock);
	return reply_json(c, st, 200, json_pack("{s:s, s:s}", "id", id, "status", reply_status ? reply_status : "Update started"), NULL);
}

/* POST /v1/provisioning/:id (see the top of the file). */
static enum MHD_Result handle_provision(struct MHD_Connection *c, rstate *st, const char *user, const char *ctype,
					const char *id, const char *base)
{
	const char *dev = json_string_value(json_object_get(st->form, "deviceID"));
	const char *pem = json_string_value(json_object_get(st->form, "publicKey"));
	const char *alg = json_string_value(json_object_get(st->form, "algorithm"));
	const char *prod = json_string_value(json_object_get(st->form, "product_id"));
	const char *type;
	char info[400];
	EVP_PKEY *pk = NULL;
	BIO *b;
	json_t *d;
	int bits;

	if (!ctype || strncasecmp(ctype, "application/x-www-form-urlencoded", 33))
		return reply_json(c, st, 400, json_pack("{s:b, s:s}", "ok", 0, "error", "Expected a form"), NULL);
	if (!dev || !*dev)
		return reply_json(c, st, 400, json_pack("{s:b, s:s}", "ok", 0, "error", "No deviceID provided"), NULL);
	if (strcasecmp(dev, id) || strlen(id) != 24)
		return reply_json(c, st, 400, json_pack("{s:b, s:s}", "ok", 0, "error", "deviceID does not match the URL"), NULL);
	snprintf(info, sizeof info, "I didn't recognize that device name or ID, try opening %s/v1/devices", base);
	pthread_mutex_lock(&lock);
	d = find_device(NULL, id);
	if (d && strcmp(json_string_value(json_object_get(d, "owner")) ?: "", user)) {
		pthread_mutex_unlock(&lock);
		return reply_json(c, st, 403, json_pack("{s:s, s:s}", "error", "Permission Denied", "info", info), NULL);
	}
	if (prod) {
		json_t *x;
		size_t i;
		bool found = false;
		json_array_foreach(json_object_get(fixtures, "products"), i, x) {
			char pids[32];
			snprintf(pids, sizeof pids, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(x, "id")));
			if (!strcmp(pids, prod))
				found = true;
		}
		if (!found) {
			pthread_mutex_unlock(&lock);
			return reply_json(c, st, 404, json_pack("{s:b, s:s}", "ok", 0, "error", "Product not found"), NULL);
		}
	}
	pthread_mutex_unlock(&lock);
	if (!pem || !*pem)
		return reply_json(c, st, 400, json_pack("{s:b, s:s}", "ok", 0, "error", "No key provided"), NULL);
	if (strstr(pem, "PRIVATE KEY")) {
		pthread_mutex_lock(&lock);
		json_object_set_new(st->rec, "private_key_sent", json_true());
		pthread_mutex_unlock(&lock);
		return reply_json(c, st, 400, json_pack("{s:b, s:s}", "ok", 0, "error", "Key error: a private key was sent"), NULL);
	}
	b = BIO_new_mem_buf(pem, (int)strlen(pem));
	if (b)
		pk = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	BIO_free(b);
	ERR_clear_error();
	if (!pk)
		return reply_json(c, st, 400, json_pack("{s:b, s:s}", "ok", 0, "error", "Key error: not a PEM public key"), NULL);
	type = EVP_PKEY_is_a(pk, "RSA") ? "rsa" : EVP_PKEY_is_a(pk, "EC") ? "ecc" : "other";
	bits = EVP_PKEY_get_bits(pk);
	EVP_PKEY_free(pk);
	if (strcmp(alg ? alg : "rsa", type))
		return reply_json(c, st, 400, json_pack("{s:b, s:s}", "ok", 0, "error", "Key error: the algorithm does not match the key"), NULL);
	pthread_mutex_lock(&lock);
	{
		char lid[32];
		size_t i;
		for (i = 0; id[i] && i < sizeof lid - 1; i++)
			lid[i] = (char)tolower((unsigned char)id[i]);
		lid[i] = '\0';
		json_object_set_new(device_keys, lid, json_pack("{s:s, s:s, s:s}", "publicKey", pem, "algorithm", type, "user", user));
	}
	json_object_set_new(st->rec, "provisioned", json_true());
	json_object_set_new(st->rec, "key_type", json_string(type));
	json_object_set_new(st->rec, "key_bits", json_integer(bits));
	pthread_mutex_unlock(&lock);
	if (opt_spark)
		return reply_json(c, st, 200, json_string("Success!"), NULL);
	return reply_json(c, st, 200, json_pack("{s:b}", "ok", 1), NULL);
}

/* GET /v1/products/:p/devices/:id: a product's device (IDs only). */
static enum MHD_Result handle_product_device(struct MHD_Connection *c, rstate *st, const char *product, const char *id,
					     const char *base)
{
	json_t *p = NULL, *x, *d = NULL, *v = NULL;
	size_t i;
	char info[400];
	pthread_mutex_lock(&lock);
	json_array_foreach(json_object_get(fixtures, "products"), i, x) {
		char pids[32];
		snprintf(pids, sizeof pids, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(x, "id")));
		if (!strcmp(pids, product) || !strcmp(json_string_value(json_object_get(x, "slug")) ?: "", product))
			p = x;
	}
	if (p && strlen(id) == 24)
		json_array_foreach(json_object_get(p, "devices"), i, x)
			if (!strcasecmp(json_string_value(x) ?: "", id))
				d = find_device(NULL, id);
	if (d)
		v = device_view(d);
	pthread_mutex_unlock(&lock);
	if (!p)
		return reply_json(c, st, 404, json_pack("{s:b, s:s}", "ok", 0, "error", "Product not found"), NULL);
	if (v)
		return reply_json(c, st, 200, v, NULL);
	snprintf(info, sizeof info, "I didn't recognize that device name or ID, try opening %s/v1/devices", base);
	return reply_json(c, st, 403, json_pack("{s:s, s:s}", "error", "Permission Denied", "info", info), NULL);
}

/* ---- the compile service (POST /v1/binaries, GET /v1/binaries/:id) ------ */

/* Binaries compiled here, kept for their owner's download. */
#define BINARIES_MAX 64
static struct binary {
	char id[25];
	char user[256];
	unsigned char *data;
	size_t len;
} binaries[BINARIES_MAX];
static size_t nbinaries_made;

/* mkmodule's preset for a platform's user app, or the generic Gen 3
 * placement (tests/tools/mkmodule.c). */
static void module_args(long platform, const char **argv, size_t *n, char *pbuf, size_t psize)
{
	static const struct { long id; const char *preset; } presets[] = {
		{ 0, "--core-firmware" }, { 6, "--photon-user" }, { 8, "--p1-user" }, { 10, "--electron-user" },
		{ 12, "--argon-user" }, { 13, "--boron-user" }, { 88, "--duo-user" },
	};
	for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
		if (presets[i].id == platform) {
			argv[(*n)++] = presets[i].preset;
			return;
		}
	snprintf(pbuf, psize, "%ld", platform);
	argv[(*n)++] = "--platform";
	argv[(*n)++] = pbuf;
	argv[(*n)++] = "--function";
	argv[(*n)++] = "user";
	argv[(*n)++] = "--index";
	argv[(*n)++] = "1";
	argv[(*n)++] = "--start";
	argv[(*n)++] = "0x000D4000";
}

/* Builds the "compiled" app with the test tools' mkmodule: a real module
 * image for the platform whose payload follows from the sources' digest
 * (the same sources give the same binary). Returns malloc'd bytes. */
static unsigned char *build_module(long platform, const unsigned char dig[32], size_t src_total, size_t *len,
				   char *why, size_t wsize)
{
	extern char **environ;
	char dir[] = "/tmp/sfcloudd-bin.XXXXXX", out[64], seed[16], payload[16], pbuf[16];
	const char *argv[24];
	size_t n = 0;
	pid_t pid;
	int status = 0;
	FILE *f;
	unsigned char *buf = NULL;
	long sz;

	*len = 0;
	if (!opt_mkmodule) {
		snprintf(why, wsize, "this test server was started without --mkmodule");
		return NULL;
	}
	if (!mkdtemp(dir)) {
		snprintf(why, wsize, "mkdtemp: %s", strerror(errno));
		return NULL;
	}
	snprintf(out, sizeof out, "%s/app.bin", dir);
	snprintf(seed, sizeof seed, "%u", ((unsigned)dig[0] << 16 | (unsigned)dig[1] << 8 | dig[2]) + 1);
	snprintf(payload, sizeof payload, "%zu", 1024 + src_total % 3072);
	argv[n++] = opt_mkmodule;
	module_args(platform, argv, &n, pbuf, sizeof pbuf);
	argv[n++] = "--seed";
	argv[n++] = seed;
	argv[n++] = "--payload";
	argv[n++] = payload;
	argv[n++] = "-f";
	argv[n++] = out;
	argv[n] = NULL;
	if (posix_spawn(&pid, opt_mkmodule, NULL, NULL, (char *const *)argv, environ) != 0 ||
	    waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, wsize, "mkmodule failed for platform %ld", platform);
	} else if ((f = fopen(out, "rb"))) {
		if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
		    (buf = malloc((size_t)sz)) && fread(buf, 1, (size_t)sz, f) == (size_t)sz) {
			*len = (size_t)sz;
		} else {
			free(buf);
			buf = NULL;
			snprintf(why, wsize, "cannot read mkmodule's output");
		}
		fclose(f);
	} else {
		snprintf(why, wsize, "mkmodule wrote nothing");
	}
	unlink(out);
	rmdir(dir);
	return buf;
}

static bool source_ext(const char *name)
{
	static const char *const ext[] = { ".ino", ".cpp", ".c", ".h", ".hpp", ".hh", ".hxx" };
	const char *b = strrchr(name, '/'), *dot;
	b = b ? b + 1 : name;
	dot = strrchr(b, '.');
	for (size_t i = 0; dot && i < sizeof ext / sizeof ext[0]; i++)
		if (!strcasecmp(dot, ext[i]))
			return true;
	return false;
}

static bool compilable(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot && (!strcasecmp(dot, ".ino") || !strcasecmp(dot, ".cpp") || !strcasecmp(dot, ".c"));
}

/* Appends to a growing message. */
static void cat(char **buf, size_t *len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cat(char **buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	char *nb = realloc(*buf, *len + (size_t)n + 1);
	if (nb) {
		memcpy(nb + *len, s, (size_t)n + 1);
		*buf = nb;
		*len += (size_t)n;
	}
	free(s);
}

/* What gcc would print for the sources' #error lines and stray bytes. */
static void compiler_errors(const rstate *st, char **text, size_t *tlen)
{
	for (size_t i = 0; i < st->nfiles; i++) {
		const upart *u = &st->files[i];
		size_t line = 1, s = 0;
		if (!source_ext(u->filename))
			continue;
		while (s < u->kept) {
			size_t e = s, col;
			while (e < u->kept && u->data[e] != '\n')
				e++;
			for (col = s; col < e && (u->data[col] == ' ' || u->data[col] == '\t'); col++)
				;
			for (size_t k = s; k < e; k++)
				if (u->data[k] == 0 || (u->data[k] < 0x20 && u->data[k] != '\t' && u->data[k] != '\r' &&
							u->data[k] != '\f' && u->data[k] != '\v' && u->data[k] != 0x1b)) {
					cat(text, tlen, "%s:%zu:%zu: error: stray '\\%o' in program\n", u->filename, line,
					    k - s + 1, u->data[k]);
					break;
				}
			if (e - col >= 6 && !memcmp(u->data + col, "#error", 6)) {
				int l = (int)(e - s);
				if (l && u->data[s + (size_t)l - 1] == '\r')
					l--;
				cat(text, tlen, "%s:%zu:%zu: error: %.*s\n %.*s\n %*s^~~~~\n", u->filename, line, col - s + 1,
				    (int)(e - col - (l < (int)(e - s) ? 1 : 0)), (const char *)u->data + col, l,
				    (const char *)u->data + s, (int)(col - s), "");
			}
			line++;
			s = e + 1;
		}
	}
}

static enum MHD_Result compile_failed(struct MHD_Connection *c, rstate *st, long platform, char *text)
{
	char target[160];
	size_t tlen = strlen(text);
	const char *first = NULL;
	for (size_t i = 0; i < st->nfiles && !first; i++)
		if (compilable(st->files[i].filename))
			first = st->files[i].filename;
	snprintf(target, sizeof target, "../build/target/user/platform-%ld-m/src/%s", platform, first ? first : "app");
	{
		char *dot = strrchr(target, '.');
		if (dot && dot > strrchr(target, '/'))
			snprintf(dot, sizeof target - (size_t)(dot - target), ".o");
	}
	cat(&text, &tlen, "make[1]: *** [%s] Error 1\nmake: *** [user] Error 2\n", target);
	pthread_mutex_lock(&lock);
	json_object_set_new(st->rec, "compiled", json_false());
	json_object_set_new(st->rec, "compiler_output", json_string(text));
	pthread_mutex_unlock(&lock);
	{
		enum MHD_Result r;
		if (opt_old_compile_errors)
			r = reply_json(c, st, 200, json_pack("{s:b, s:[s], s:s, s:s}", "ok", 0, "errors", text, "output",
							     "App code was invalid", "stdout", "Nothing to be done for `all'"),
				       NULL);
		else
			r = reply_json(c, st, 400, json_pack("{s:b, s:i, s:s, s:[s]}", "ok", 0, "code", 400, "output",
							     "Compiler timed out or encountered an error", "errors", text),
				       NULL);
		free(text);
		return r;
	}
}

/* POST /v1/binaries (see the top of the file). */
static enum MHD_Result handle_compile(struct MHD_Connection *c, rstate *st, const char *user, const char *ctype)
{
	const char *ft = json_string_value(json_object_get(st->form, "file_type"));
	const char *plat = json_string_value(json_object_get(st->form, "platform_id"));
	const char *prod = json_string_value(json_object_get(st->form, "product_id"));
	char *end, *text = NULL, why[200] = "";
	size_t tlen = 0, total = 0;
	long platform;
	bool any_code = false;
	json_t *deps = json_array();
	unsigned char dig[32];
	unsigned int dl = 0;
	EVP_MD_CTX *md;

	pthread_mutex_lock(&lock);
	json_object_set_new(st->rec, "compile", json_true());
	json_object_set_new(st->rec, "dependencies", deps);
	pthread_mutex_unlock(&lock);
	if (!ctype || strncasecmp(ctype, "multipart/form-data", 19))
		return reply_json(c, st, 400, json_pack("{s:b, s:s}", "ok", 0, "error",
							"Expected multipart/form-data with the source files"), NULL);
	if (ft)
		return reply_json(c, st, 400, json_pack("{s:b, s:s}", "ok", 0, "error",
							"file_type=binary: a binary cannot be compiled"), NULL);
	if (st->nfiles == 0)
		return reply_json(c, st, 400, json_pack("{s:b, s:s}", "ok", 0, "error",
							"No source files sent (expected parts file, file1, ...)"), NULL);
	if (st->too_many_parts)
		return reply_json(c, st, 400, json_pack("{s:b, s:s}", "ok", 0, "error", "Too many files"), NULL);
	for (size_t i = 0; i < st->nfiles; i++) {
		char want[32], want2[32];
		const upart *u = &st->files[i];
		/* spark-cli/particle-cli 1.x: file, file1, file2...; particle-api-js: file, file2, file3... */
		if (i == 0)
			snprintf(want, sizeof want, "file");
		else
			snprintf(want, sizeof want, "file%zu", i);
		snprintf(want2, sizeof want2, "file%zu", i + 1);
		if (strcmp(u->name, want) && (i == 0 || strcmp(u->name, want2)))
			return reply_json(c, st, 400, json_pack("{s:b, s:s, s:s}", "ok", 0, "error",
								"File parts must be named file, file1, file2, ...", "part", u->name),
					  NULL);
		if (!u->filename[0] || u->filename[0] == '/' || strstr(u->filename, "..") || strchr(u->filename, '\\'))
			return reply_json(c, st, 400, json_pack("{s:b, s:s, s:s}", "ok", 0, "error", "Bad file name",
								"filename", u->filename), NULL);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(st->files[k].filename, u->filename))
				return reply_json(c, st, 400, json_pack("{s:b, s:s, s:s}", "ok", 0, "error",
									"Two files with the same name", "filename", u->filename),
						  NULL);
		if (u->overflow)
			return reply_json(c, st, 400, json_pack("{s:b, s:s, s:s}", "ok", 0, "error", "File too big",
								"filename", u->filename), NULL);
		if (compilable(u->filename))
			any_code = true;
		total += u->len;
	}
	if (!plat || !*plat)
		return reply_json(c, st, 400, json_pack("{s:b, s:s}", "ok", 0, "error", "platform_id is required"), NULL);
	errno = 0;
	platform = strtol(plat, &end, 10);
	if (errno || *end || platform < 0 || platform > 0xFFFF)
		return reply_json(c, st, 400, json_pack("{s:b, s:s}", "ok", 0, "error", "Invalid platform_id"), NULL);
	if (prod) {
		json_t *x;
		size_t i;
		bool found = false;
		pthread_mutex_lock(&lock);
		json_array_foreach(json_object_get(fixtures, "products"), i, x) {
			char pids[32];
			snprintf(pids, sizeof pids, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(x, "id")));
			if (!strcmp(pids, prod) || !strcmp(json_string_value(json_object_get(x, "slug")) ?: "", prod))
				found = true;
		}
		pthread_mutex_unlock(&lock);
		if (!found)
			return reply_json(c, st, 404, json_pack("{s:b, s:s}", "ok", 0, "error", "Product not found"), NULL);
	}
	pthread_mutex_lock(&lock);
	json_object_set_new(st->rec, "platform_id", json_integer(platform));
	pthread_mutex_unlock(&lock);
	/* project.properties: the libraries the compile service would install */
	for (size_t i = 0; i < st->nfiles; i++) {
		const upart *u = &st->files[i];
		size_t s = 0;
		if (strcmp(u->filename, "project.properties"))
			continue;
		while (s < u->kept) {
			size_t e = s;
			while (e < u->kept && u->data[e] != '\n')
				e++;
			if (e - s > 13 && !memcmp(u->data + s, "dependencies.", 13)) {
				const unsigned char *eq = memchr(u->data + s, '=', e - s);
				if (eq) {
					pthread_mutex_lock(&lock);
					json_array_append_new(deps, json_stringn((const char *)u->data + s + 13,
										 (size_t)(eq - u->data) - s - 13));
					pthread_mutex_unlock(&lock);
				}
			}
			s = e + 1;
		}
	}
	if (!any_code) {
		cat(&text, &tlen, "make[1]: *** No rule to make target 'user': no .ino, .cpp or .c file was sent\n");
		return compile_failed(c, st, platform, text);
	}
	compiler_errors(st, &text, &tlen);
	if (text)
		return compile_failed(c, st, platform, text);

	md = EVP_MD_CTX_new();
	if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		for (size_t i = 0; i < st->nfiles; i++) {
			EVP_DigestUpdate(md, st->files[i].filename, strlen(st->files[i].filename) + 1);
			EVP_DigestUpdate(md, st->files[i].data ? st->files[i].data : (const unsigned char *)"", st->files[i].kept);
		}
		EVP_DigestFinal_ex(md, dig, &dl);
	}
	EVP_MD_CTX_free(md);
	if (dl != 32)
		return reply_json(c, st, 500, json_pack("{s:s}", "error", "internal error"), NULL);
	{
		size_t blen;
		unsigned char *bin = build_module(platform, dig, total, &blen, why, sizeof why);
		char id[25], url[64], hex[65], size_info[300], when[64];
		struct binary *b;
		time_t t = time(NULL) + 24 * 3600;
		struct tm tm;
		EVP_MD_CTX *bm;
		if (!bin)
			return reply_json(c, st, 500, json_pack("{s:s, s:s}", "error", "internal error", "detail", why), NULL);
		if (!random_hex(id, 12)) {
			free(bin);
			return reply_json(c, st, 500, json_pack("{s:s}", "error", "internal error"), NULL);
		}
		hex[0] = '\0';
		if ((bm = EVP_MD_CTX_new()) && EVP_DigestInit_ex(bm, EVP_sha256(), NULL) && EVP_DigestUpdate(bm, bin, blen))
			md_hex(bm, hex);
		EVP_MD_CTX_free(bm);
		snprintf(url, sizeof url, "/v1/binaries/%s", id);
		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
		snprintf(size_info, sizeof size_info,
			 "   text\t   data\t    bss\t    dec\t    hex\tfilename\n%7zu\t%7d\t%7d\t%7zu\t%7zx\t/workspace/target/workspace.elf\n",
			 blen - 8, 8, 1024, blen + 1024, blen + 1024);
		pthread_mutex_lock(&lock);
		b = &binaries[nbinaries_made++ % BINARIES_MAX];
		free(b->data);
		snprintf(b->id, sizeof b->id, "%s", id);
		snprintf(b->user, sizeof b->user, "%s", user);
		b->data = bin;
		b->len = blen;
		json_object_set_new(st->rec, "compiled", json_true());
		json_object_set_new(st->rec, "binary_id", json_string(id));
		json_object_set_new(st->rec, "binary_length", json_integer((json_int_t)blen));
		json_object_set_new(st->rec, "binary_sha256", json_string(hex));
		pthread_mutex_unlock(&lock);
		return reply_json(c, st, 200, json_pack("{s:b, s:s, s:s, s:s, s:s}", "ok", 1, "binary_id", id, "binary_url",
							url, "expires_at", when, "sizeInfo", size_info), NULL);
	}
}

/* GET /v1/binaries/:id: the owner's compiled binary. */
static enum MHD_Result handle_binary(struct MHD_Connection *c, rstate *st, const char *user, const char *id)
{
	unsigned char *copy = NULL;
	size_t len = 0;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < BINARIES_MAX; i++)
		if (binaries[i].data && !strcmp(binaries[i].id, id) && !strcmp(binaries[i].user, user) &&
		    (copy = malloc(binaries[i].len))) {
			memcpy(copy, binaries[i].data, binaries[i].len);
			len = binaries[i].len;
		}
	json_object_set_new(st->rec, "binary_id", json_string(id));
	pthread_mutex_unlock(&lock);
	if (!copy)
		return reply_json(c, st, 404, json_pack("{s:b, s:s}", "ok", 0, "error", "Binary not found"), NULL);
	{
		struct MHD_Response *r = MHD_create_response_from_buffer(len, copy, MHD_RESPMEM_MUST_FREE);
		enum MHD_Result ret;
		MHD_add_response_header(r, "Content-Type", "application/octet-stream");
		ret = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		pthread_mutex_lock(&lock);
		json_object_set_new(st->rec, "status", json_integer(200));
		json_object_set_new(st->rec, "downloaded", json_integer((json_int_t)len));
		pthread_mutex_unlock(&lock);
		return ret;
	}
}

static enum MHD_Result handle_control(struct MHD_Connection *c, rstate *st, const char *method, const char *path)
{
	if (!strcmp(path, "/__control/requests") && !strcmp(method, "GET")) {
		char *s;
		enum MHD_Result r;
		pthread_mutex_lock(&lock);
		s = json_dumps(records, JSON_COMPACT);
		pthread_mutex_unlock(&lock);
		r = reply_text(c, NULL, 200, "application/json", s ? s : "[]", NULL);
		free(s);
		return r;
	}
	if (!strcmp(path, "/__control/keys") && !strcmp(method, "GET")) {
		char *t;
		enum MHD_Result r;
		pthread_mutex_lock(&lock);
		t = json_dumps(device_keys, JSON_COMPACT);
		pthread_mutex_unlock(&lock);
		r = reply_text(c, NULL, 200, "application/json", t ? t : "{}", NULL);
		free(t);
		return r;
	}
	if (!strcmp(path, "/__control/reset") && !strcmp(method, "POST")) {
		pthread_mutex_lock(&lock);
		json_array_clear(records);
		json_array_clear(faults);
		json_object_clear(device_keys);
		pthread_mutex_unlock(&lock);
		return reply_text(c, NULL, 200, "application/json", "{\"ok\":true}", NULL);
	}
	if (!strcmp(path, "/__control/faults") && !strcmp(method, "POST")) {
		json_t *f = st->raw ? json_loadb(st->raw, st->raw_len, 0, NULL) : NULL;
		if (!json_is_object(f)) {
			json_decref(f);
			return reply_text(c, NULL, 400, "application/json", "{\"error\":\"body must be a JSON object\"}", NULL);
		}
		if (!json_object_get(f, "count"))
			json_object_set_new(f, "count", json_integer(1));
		pthread_mutex_lock(&lock);
		json_array_append_new(faults, f);
		pthread_mutex_unlock(&lock);
		return reply_text(c, NULL, 200, "application/json", "{\"ok\":true}", NULL);
	}
	return reply_text(c, NULL, 404, "application/json", "{\"error\":\"Not Found\"}", NULL);
}

static void pct_decode(char *s);

static enum MHD_Result route(struct MHD_Connection *c, rstate *st, const char *method, const char *path,
			     const char *base)
{
	const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	char user[256], seg[4][256];
	int nseg = 0;
	enum MHD_Result ret = MHD_NO;
	json_t *fault;

	if (take_fault(method, path, &fault))
		return apply_fault(c, st, fault);
	if (!strcmp(path, "/oauth/token"))
		return handle_token(c, st, method, ctype);
	if (strncmp(path, "/v1/", 4))
		return reply_json(c, st, 404, json_pack("{s:s}", "error", "Not Found"), NULL);
	{
		const char *p = path + 4;
		while (*p && nseg < 4) {
			const char *e = strchr(p, '/');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			if (n >= sizeof seg[0])
				n = sizeof seg[0] - 1;
			memcpy(seg[nseg], p, n);
			seg[nseg][n] = '\0';
			pct_decode(seg[nseg]);
			nseg++;
			if (!e)
				break;
			p = e + 1;
		}
	}
	if (!authenticate(c, st, method, ctype, &ret, user, sizeof user))
		return ret;
	pthread_mutex_lock(&lock);
	json_object_set_new(st->rec, "user", json_string(user));
	pthread_mutex_unlock(&lock);

	if (nseg == 1 && !strcmp(seg[0], "devices") && !strcmp(method, "GET")) {
		json_t *arr = json_array(), *d;
		size_t i;
		pthread_mutex_lock(&lock);
		json_array_foreach(json_object_get(fixtures, "devices"), i, d)
			if (!strcmp(json_string_value(json_object_get(d, "owner")) ?: "", user))
				json_array_append_new(arr, device_view(d));
		pthread_mutex_unlock(&lock);
		return reply_json(c, st, 200, arr, NULL);
	}
	if (nseg == 2 && !strcmp(seg[0], "devices") && !strcmp(method, "GET")) {
		json_t *d, *v = NULL;
		char info[400];
		pthread_mutex_lock(&lock);
		d = find_device(user, seg[1]);
		if (d)
			v = device_view(d);
		pthread_mutex_unlock(&lock);
		if (v)
			return reply_json(c, st, 200, v, NULL);
		if (opt_spark) /* spark-server: a bare JSON string */
			return reply_json(c, st, 404, json_string("Oops, I couldn't find that core"), NULL);
		snprintf(info, sizeof info, "I didn't recognize that device name or ID, try opening %s/v1/devices", base);
		return reply_json(c, st, 403, json_pack("{s:s, s:s}", "error", "Permission Denied", "info", info), NULL);
	}
	if (nseg == 2 && !strcmp(seg[0], "devices") && !strcmp(method, "PUT"))
		return handle_flash(c, st, user, seg[1], NULL, base);
	if (nseg == 4 && !strcmp(seg[0], "products") && !strcmp(seg[2], "devices") && !strcmp(method, "PUT"))
		return handle_flash(c, st, user, seg[3], seg[1], base);
	if (nseg == 1 && !strcmp(seg[0], "binaries") && !strcmp(method, "POST"))
		return handle_compile(c, st, user, ctype);
	if (nseg == 2 && !strcmp(seg[0], "binaries") && !strcmp(method, "GET"))
		return handle_binary(c, st, user, seg[1]);
	if (nseg == 4 && !strcmp(seg[0], "products") && !strcmp(seg[2], "devices") && !strcmp(method, "GET"))
		return handle_product_device(c, st, seg[1], seg[3], base);
	if (nseg == 2 && !strcmp(seg[0], "provisioning") && !strcmp(method, "POST"))
		return handle_provision(c, st, user, ctype, seg[1], base);
	if (nseg == 1 && !strcmp(seg[0], "user") && !strcmp(method, "GET"))
		return reply_json(c, st, 200, json_pack("{s:s}", "username", user), NULL);
	if (nseg == 2 && !strcmp(seg[0], "access_tokens") && !strcmp(seg[1], "current") && !strcmp(method, "DELETE")) {
		const char *hdr = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
		pthread_mutex_lock(&lock);
		if (hdr && strlen(hdr) > 7) {
			json_t *t = find_token(hdr + 7);
			if (t)
				json_object_set_new(t, "token", json_string("revoked"));
		}
		pthread_mutex_unlock(&lock);
		return reply_json(c, st, 200, json_pack("{s:b}", "ok", 1), NULL);
	}
	return reply_json(c, st, 404, json_pack("{s:s}", "error", "Not Found"), NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	rstate *st = *con_cls;
	const char *path = url;
	bool via_proxy = false;
	char host[256] = "";
	char base[300];
	const char *hosthdr;
	(void)cls;
	(void)version;

	/* absolute form: we are being used as a forward proxy */
	if (!strncasecmp(url, "http://", 7)) {
		const char *slash = strchr(url + 7, '/');
		size_t n = slash ? (size_t)(slash - (url + 7)) : strlen(url + 7);
		if (n >= sizeof host)
			n = sizeof host - 1;
		memcpy(host, url + 7, n);
		host[n] = '\0';
		path = slash ? slash : "/";
		via_proxy = true;
	}
	if (!st) {
		const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
		touch();
		st = calloc(1, sizeof *st);
		st->parts = json_array();
		st->form = json_object();
		*con_cls = st;
		if (ctype && (!strncasecmp(ctype, "multipart/form-data", 19) ||
			      !strncasecmp(ctype, "application/x-www-form-urlencoded", 33)))
			st->pp = MHD_create_post_processor(c, 16 * 1024, on_post, st);
		if (strncmp(path, "/__control/", 11) || !opt_control) {
			json_t *hdrs = json_object(), *query = json_object();
			const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect");
			MHD_get_connection_values(c, MHD_HEADER_KIND, collect, hdrs);
			MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, query);
			st->rec = json_pack("{s:s, s:s, s:o, s:o, s:b, s:I}", "method", method, "path", path,
					    "query", query, "headers", hdrs, "via_proxy", via_proxy,
					    "time_ms", (json_int_t)(now_ms() - t0_ms));
			json_object_set_new(st->rec, "expect", expect ? json_string(expect) : json_null());
			json_object_set_new(st->rec, "authorization",
					    json_object_get(hdrs, "Authorization") ? json_deep_copy(json_object_get(hdrs, "Authorization")) : json_null());
			if (via_proxy)
				json_object_set_new(st->rec, "proxy_target", json_string(host));
			pthread_mutex_lock(&lock);
			json_array_append(records, st->rec);
			pthread_mutex_unlock(&lock);
		}
		/* MHD sends 100 Continue when asked for, as soon as we return. To act
		 * like a server that ignores Expect, answer only after the client's
		 * wait for it (1 s in libcurl) has run out. */
		if (opt_ignore_expect && MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect"))
			nap_ms(1500);
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (st->pp) {
			MHD_post_process(st->pp, upload_data, *upload_data_size);
		} else if (st->raw_len + *upload_data_size <= RAW_MAX) {
			st->raw = realloc(st->raw, st->raw_len + *upload_data_size + 1);
			memcpy(st->raw + st->raw_len, upload_data, *upload_data_size);
			st->raw_len += *upload_data_size;
			st->raw[st->raw_len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (st->first_done)
		return MHD_YES;
	st->first_done = true;
	touch();
	if (st->rec) {
		char hex[65] = "";
		json_t *files = json_array();
		for (size_t i = 0; i < st->nfiles; i++) {
			char h[65];
			md_hex(st->files[i].md, h);
			if (!strcmp(st->files[i].name, "file") && !hex[0])
				memcpy(hex, h, sizeof hex);
			json_array_append_new(files, json_pack("{s:s, s:s, s:s, s:I, s:s}", "part", st->files[i].name,
							       "filename", st->files[i].filename, "content_type",
							       st->files[i].ctype, "length", (json_int_t)st->files[i].len,
							       "sha256", h));
		}
		pthread_mutex_lock(&lock);
		json_object_set(st->rec, "parts", st->parts);
		json_object_set(st->rec, "form", st->form);
		json_object_set_new(st->rec, "files", files);
		if (st->too_many_parts)
			json_object_set_new(st->rec, "too_many_parts", json_true());
		if (st->has_file) {
			json_object_set_new(st->rec, "filename", json_string(st->filename));
			json_object_set_new(st->rec, "file_content_type", json_string(st->file_ctype));
			json_object_set_new(st->rec, "file_length", json_integer((json_int_t)st->file_len));
			json_object_set_new(st->rec, "file_sha256", json_string(hex));
		}
		if (json_object_get(st->form, "file_type"))
			json_object_set(st->rec, "file_type", json_object_get(st->form, "file_type"));
		pthread_mutex_unlock(&lock);
	}
	hosthdr = via_proxy ? host : MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	snprintf(base, sizeof base, "http://%s", hosthdr ? hosthdr : "127.0.0.1");
	if (opt_control && !strncmp(path, "/__control/", 11))
		return handle_control(c, st, method, path);
	return route(c, st, method, path, base);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	rstate *st = *con_cls;
	(void)cls;
	(void)c;
	(void)toe;
	touch();
	if (!st)
		return;
	if (st->pp)
		MHD_destroy_post_processor(st->pp);
	json_decref(st->rec);
	json_decref(st->parts);
	json_decref(st->form);
	for (size_t i = 0; i < st->nfiles; i++) {
		EVP_MD_CTX_free(st->files[i].md);
		free(st->files[i].data);
	}
	free(st->files);
	free(st->raw);
	free(st);
	*con_cls = NULL;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Keep the raw (still escaped) URL: the records show what the client sent;
 * path segments are decoded one by one when routing. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static void pct_decode(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (*s == '%' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
			char h[3] = { s[1], s[2], 0 };
			*o++ = (char)strtol(h, NULL, 16);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fixtures", required_argument, NULL, 'f' }, { "port-file", required_argument, NULL, 'p' },
		{ "control", no_argument, NULL, 'c' }, { "idle-timeout", required_argument, NULL, 'i' },
		{ "tls-cert", required_argument, NULL, 'C' }, { "tls-key", required_argument, NULL, 'K' },
		{ "legacy", no_argument, NULL, 'l' }, { "spark-server", no_argument, NULL, 's' },
		{ "any-client", no_argument, NULL, 'a' }, { "max-file", required_argument, NULL, 'm' },
		{ "offline-timeout-ms", required_argument, NULL, 'o' }, { "ignore-expect", no_argument, NULL, 'e' },
		{ "mkmodule", required_argument, NULL, 'M' }, { "old-compile-errors", no_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fixtures_path = NULL, *port_file = NULL, *cert = NULL, *key = NULL;
	long idle = 120;
	char *cert_pem = NULL, *key_pem = NULL;
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	json_error_t je;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': fixtures_path = optarg; break;
		case 'p': port_file = optarg; break;
		case 'c': opt_control = true; break;
		case 'i': idle = atol(optarg); break;
		case 'C': cert = optarg; break;
		case 'K': key = optarg; break;
		case 'l': opt_legacy = true; break;
		case 's': opt_spark = true; break;
		case 'a': opt_any_client = true; break;
		case 'm': opt_max_file = atol(optarg); break;
		case 'o': opt_offline_timeout_ms = atol(optarg); break;
		case 'e': opt_ignore_expect = true; break;
		case 'M': opt_mkmodule = optarg; break;
		case 'O': opt_old_compile_errors = true; break;
		default:
			fprintf(stderr, "usage: sfcloudd --fixtures FILE --port-file FILE [--control] [--idle-timeout S] [--tls-cert F --tls-key F] [--legacy] [--spark-server] [--any-client]\n");
			return 2;
		}
	}
	if (!fixtures_path || !port_file) {
		fprintf(stderr, "sfcloudd: --fixtures and --port-file are required\n");
		return 2;
	}
	fixtures = json_load_file(fixtures_path, 0, &je);
	if (!json_is_object(fixtures)) {
		fprintf(stderr, "sfcloudd: %s:%d: %s\n", fixtures_path, je.line, je.text);
		return 2;
	}
	if (!json_is_array(json_object_get(fixtures, "tokens")))
		json_object_set_new(fixtures, "tokens", json_array());
	records = json_array();
	faults = json_array();
	device_keys = json_object();
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (cert || key) {
		if (!cert || !key || !(cert_pem = slurp(cert)) || !(key_pem = slurp(key))) {
			fprintf(stderr, "sfcloudd: cannot read --tls-cert/--tls-key\n");
			return 2;
		}
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			fprintf(stderr, "sfcloudd: libmicrohttpd was built without TLS\n");
			return 77;
		}
		flags |= MHD_USE_TLS;
	}
	t0_ms = last_activity_ms = now_ms();
	if (cert_pem)
		d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				     MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
				     MHD_OPTION_HTTPS_MEM_CERT, cert_pem, MHD_OPTION_HTTPS_MEM_KEY, key_pem,
				     MHD_OPTION_END);
	else
		d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				     MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
				     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "sfcloudd: cannot start the HTTP daemon\n");
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	{
		char tmp[4096];
		FILE *f;
		snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
		f = fopen(tmp, "w");
		if (!f || fprintf(f, "%u\n", (unsigned)info->port) < 0 || fclose(f) || rename(tmp, port_file)) {
			fprintf(stderr, "sfcloudd: cannot write %s\n", port_file);
			MHD_stop_daemon(d);
			return 1;
		}
	}
	while (!stopping) {
		long long idle_for;
		nap_ms(100);
		pthread_mutex_lock(&lock);
		idle_for = now_ms() - last_activity_ms;
		pthread_mutex_unlock(&lock);
		if (idle_for > idle * 1000) {
			fprintf(stderr, "sfcloudd: idle for %ld s, exiting\n", idle);
			break;
		}
	}
	stopping = 1;
	MHD_stop_daemon(d);
	json_decref(fixtures);
	json_decref(records);
	json_decref(faults);
	json_decref(device_keys);
	for (size_t i = 0; i < BINARIES_MAX; i++)
		free(binaries[i].data);
	free(cert_pem);
	free(key_pem);
	fflush(NULL);
	_exit(0); /* no exit-time hooks: the tests wait for this process */
}
