#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cloud_http.h"
#include "cloud_resp.h"

#define BODY_MAX (4L * 1024 * 1024)   /* answers are small; refuse floods */

typedef struct priv {
	CURL *easy;
	struct curl_slist *headers;
	curl_mime *mime;
	char errbuf[CURL_ERROR_SIZE];
	size_t body_cap;
	bool too_big;
	bool upload_started;
} priv;

void sf_http_opts_init(sf_http_opts *o)
{
	const char *e;
	sf_retry_policy p = SF_RETRY_POLICY_DEFAULT;
	memset(o, 0, sizeof *o);
	o->connect_timeout_s = 20;
	o->get_timeout_s = 30;
	o->put_timeout_s = 300;
	o->retry = p;
	/* libcurl itself does not read these; the curl tool does, and so do we. */
	if ((e = getenv("CURL_CA_BUNDLE")) && *e)
		o->cacert = e;
	else if ((e = getenv("SSL_CERT_FILE")) && *e)
		o->cacert = e;
	if ((e = getenv("SSL_CERT_DIR")) && *e)
		o->capath = e;
}

int sf_http_global_init(sf_err *err)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return sf_err_set(err, SF_EXIT_INTERNAL, "cannot initialise libcurl");
	return 0;
}

void sf_http_global_cleanup(void)
{
	curl_global_cleanup();
}

char *sf_http_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *r = e ? strdup(e) : NULL;
	curl_free(e);
	return r;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	sf_http_req *r = ud;
	priv *p = r->priv;
	size_t len = size * n;
	if (r->body_len + len > (r->body_max ? r->body_max : (size_t)BODY_MAX)) {
		p->too_big = true;
		return 0;
	}
	if (r->body_len + len + 1 > p->body_cap) {
		size_t cap = p->body_cap ? p->body_cap : 1024;
		char *nb;
		while (cap < r->body_len + len + 1)
			cap *= 2;
		nb = realloc(r->body, cap);
		if (!nb)
			return 0;
		r->body = nb;
		p->body_cap = cap;
	}
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
	sf_http_req *r = ud;
	size_t len = size * n;
	if (len > 12 && !strncasecmp(data, "Retry-After:", 12)) {
		size_t vlen = len - 12;
		const char *v = data + 12;
		while (vlen && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
			vlen--;
		if (vlen >= sizeof r->retry_after)
			vlen = sizeof r->retry_after - 1;
		memcpy(r->retry_after, v, vlen);
		r->retry_after[vlen] = '\0';
	} else if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		/* a new response (after 100 Continue): forget earlier headers */
		r->retry_after[0] = '\0';
	}
	return len;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	sf_http_req *r = ud;
	priv *p = r->priv;
	(void)dltotal;
	(void)dlnow;
	if (ulnow > 0)
		p->upload_started = true;
	if (r->progress && ultotal > 0)
		r->progress(r->progress_ud, (double)ulnow, (double)ultotal);
	return 0;
}

/* Forgets the previous answer (each attempt starts clean). */
static void clear_response(sf_http_req *req)
{
	free(req->body);
	req->body = NULL;
	req->body_len = 0;
	req->status = 0;
	req->retry_after[0] = '\0';
	req->fail = SF_FAIL_NONE;
	req->error[0] = '\0';
}

void sf_http_req_reset(sf_http_req *req)
{
	clear_response(req);
	req->attempts = 0;
	req->waited_ms = 0;
}

static void release(sf_http_req *r)
{
	priv *p = r->priv;
	if (!p)
		return;
	if (p->easy)
		curl_easy_cleanup(p->easy);
	curl_slist_free_all(p->headers);
	curl_mime_free(p->mime);
	free(p);
	r->priv = NULL;
}

static int setup(sf_http_req *r, const sf_http_opts *o, sf_err *err)
{
	priv *p = calloc(1, sizeof *p);
	CURL *e;
	char hdr[SF_ERR_MSG_MAX + 32];
	long total = r->kind == SF_REQ_PUT || r->long_answer ? o->put_timeout_s : o->get_timeout_s;

	if (!p)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	r->priv = p;
	clear_response(r);

	p->easy = e = curl_easy_init();
	if (!e)
		return sf_err_set(err, SF_EXIT_INTERNAL, "cannot create a libcurl handle");
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (o->cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, o->cacert);
	if (o->capath)
		curl_easy_setopt(e, CURLOPT_CAPATH, o->capath);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, o->connect_timeout_s);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, total);
	/* stall detection: under 1 byte/s for a minute (or the whole limit) */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, total < 60 ? total : 60L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "sparkflash/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, r);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	/* Proxies: libcurl's own environment handling (https_proxy, http_proxy,
	 * ALL_PROXY, NO_PROXY) stays in force; CURLOPT_PROXY/NOPROXY are never set. */

	snprintf(hdr, sizeof hdr, "Accept: %s", r->accept ? r->accept : "application/json");
	p->headers = curl_slist_append(p->headers, hdr);
	if (r->token && r->kind != SF_REQ_LOGIN) {
		snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", r->token);
		p->headers = curl_slist_append(p->headers, hdr);
		memset(hdr, 0, sizeof hdr);
	}
	switch (r->kind) {
	case SF_REQ_GET:
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		break;
	case SF_REQ_DELETE:
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
		break;
	case SF_REQ_PUT: {
		curl_mimepart *part;
		p->mime = curl_mime_init(e);
		part = curl_mime_addpart(p->mime);
		curl_mime_name(part, "file");
		curl_mime_data(part, (const char *)r->file_data, r->file_len);
		curl_mime_filename(part, r->upload_name);
		curl_mime_type(part, "application/octet-stream");
		part = curl_mime_addpart(p->mime);
		curl_mime_name(part, "file_type");
		curl_mime_data(part, "binary", CURL_ZERO_TERMINATED);
		curl_easy_setopt(e, CURLOPT_MIMEPOST, p->mime);
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
		break;
	}
	case SF_REQ_COMPILE: {
		/* the sources under their own names; no file_type=binary */
		curl_mimepart *part;
		p->mime = curl_mime_init(e);
		for (size_t i = 0; i < r->nparts; i++) {
			part = curl_mime_addpart(p->mime);
			curl_mime_name(part, r->parts[i].name);
			curl_mime_data(part, (const char *)r->parts[i].data, r->parts[i].len);
			curl_mime_filename(part, r->parts[i].filename);
			curl_mime_type(part, "text/plain");
		}
		for (const char *const *f = r->fields; f && f[0] && f[1]; f += 2) {
			part = curl_mime_addpart(p->mime);
			curl_mime_name(part, f[0]);
			curl_mime_data(part, f[1], CURL_ZERO_TERMINATED);
		}
		curl_easy_setopt(e, CURLOPT_MIMEPOST, p->mime);
		break;
	}
	case SF_REQ_POST:
	case SF_REQ_LOGIN:
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->form);
		if (r->basic_auth) {
			curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
			curl_easy_setopt(e, CURLOPT_USERPWD, r->basic_auth);
		}
		break;
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers);
	if (!p->headers)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	return 0;
}

static sf_fail_kind fail_kind(CURLcode rc, const priv *p)
{
	switch (rc) {
	case CURLE_OK:
		return SF_FAIL_NONE;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return SF_FAIL_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return SF_FAIL_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_USE_SSL_FAILED:
		return SF_FAIL_TLS;
	default:
		(void)p;
		return SF_FAIL_TRANSPORT;
	}
}

/* Records the outcome of a finished transfer in r. */
static void finish(sf_http_req *r, CURLcode rc)
{
	priv *p = r->priv;
	r->attempts++;
	curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &r->status);
	r->fail = fail_kind(rc, p);
	if (p->too_big) {
		r->fail = SF_FAIL_TRANSPORT;
		snprintf(r->error, sizeof r->error, "answer larger than %zu bytes", r->body_max ? r->body_max : (size_t)BODY_MAX);
	} else if (rc != CURLE_OK) {
		snprintf(r->error, sizeof r->error, "%s", p->errbuf[0] ? p->errbuf : curl_easy_strerror(rc));
		sf_cloud_redact(r->error, sizeof r->error, r->token);
		/* a partial answer is no answer */
		r->status = 0;
	}
	if (r->fail == SF_FAIL_NONE && r->status == 0) {
		r->fail = SF_FAIL_TRANSPORT;
		snprintf(r->error, sizeof r->error, "no HTTP status in the answer");
	}
}

int sf_http_transport_error(const sf_http_req *req, const char *what, sf_err *err)
{
	const char *kind;
	switch (req->fail) {
	case SF_FAIL_CONNECT: kind = "cannot connect to the cloud"; break;
	case SF_FAIL_TLS: kind = "TLS failure talking to the cloud (check --cacert / CURL_CA_BUNDLE)"; break;
	case SF_FAIL_TIMEOUT: kind = "timed out talking to the cloud (see --max-time / --connect-timeout)"; break;
	default: kind = "network error talking to the cloud"; break;
	}
	/* a timeout is a timeout on every path (exit 9), like a stopped dfu-util */
	return sf_err_set(err, req->fail == SF_FAIL_TIMEOUT ? SF_EXIT_TIMEOUT : SF_EXIT_CLOUD_NETWORK,
			  "%s during %.100s: %.300s%s", kind, what, req->error,
			  req->attempts > 1 ? " (after retries)" : "");
}

static void wait_multi(CURLM *m, int ms)
{
#if LIBCURL_VERSION_NUM >= 0x074200
	curl_multi_poll(m, NULL, 0, ms, NULL);
#else
	int fds = 0;
	curl_multi_wait(m, NULL, 0, ms, &fds);
	if (fds == 0) {
		struct timespec ts = { 0, (long)ms * 1000000L };
		nanosleep(&ts, NULL);
	}
#endif
}

static double jitter(void)
{
	return (double)(rand() % 1000) / 1000.0;
}

int sf_http_run(sf_http_job **jobs, size_t n, int parallel, const sf_http_opts *o, sf_err *err)
{
	CURLM *m = curl_multi_init();
	size_t next_job = 0, active = 0, done = 0;
	int rc = 0;

	if (!m)
		return sf_err_set(err, SF_EXIT_INTERNAL, "cannot create a libcurl multi handle");
	if (parallel < 1)
		parallel = 1;
	srand((unsigned)time(NULL) ^ (unsigned)now_ms());
	for (size_t i = 0; i < n; i++) {
		jobs[i]->running = false;
		jobs[i]->wake_ms = 0;
		jobs[i]->req.attempts = 0;
		jobs[i]->req.waited_ms = 0;
	}

	while (done < n) {
		long long t = now_ms();
		long long wait = 1000;
		int still, msgs;
		CURLMsg *msg;

		/* Start jobs up to the parallel limit. */
		while (active < (size_t)parallel && next_job < n) {
			jobs[next_job]->running = true;
			jobs[next_job]->wake_ms = t;
			next_job++;
			active++;
		}
		/* Start transfers whose (retry) time has come. */
		for (size_t i = 0; i < next_job; i++) {
			sf_http_job *j = jobs[i];
			if (!j->running || j->req.priv)
				continue;
			if (j->wake_ms > t) {
				if (j->wake_ms - t < wait)
					wait = j->wake_ms - t;
				continue;
			}
			if ((rc = setup(&j->req, o, err)) != 0)
				goto out;
			curl_multi_add_handle(m, ((priv *)j->req.priv)->easy);
			wait = 0;
		}
		curl_multi_perform(m, &still);
		while ((msg = curl_multi_info_read(m, &msgs)) != NULL) {
			sf_http_req *r;
			sf_http_job *j = NULL;
			long delay;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
			for (size_t i = 0; i < next_job; i++)
				if (&jobs[i]->req == r)
					j = jobs[i];
			finish(r, msg->data.result);
			curl_multi_remove_handle(m, msg->easy_handle);
			release(r);
			if (!j)
				continue;
			if (sf_retry_decide(&o->retry, r->kind, r->attempts, r->fail, r->status,
					    r->retry_after[0] ? r->retry_after : NULL, time(NULL), jitter(), &delay)) {
				j->wake_ms = now_ms() + delay;
				r->waited_ms += delay;
				continue;
			}
			if (j->next && j->next(j)) {
				j->req.attempts = 0;
				j->wake_ms = now_ms();
				continue;
			}
			j->running = false;
			active--;
			done++;
		}
		/* Sleep until socket activity or the next retry is due (at most 100 ms). */
		if (done < n && (still > 0 || wait > 0))
			wait_multi(m, (int)(wait < 100 ? wait : 100));
	}
out:
	for (size_t i = 0; i < n; i++) {
		if (jobs[i]->req.priv) {
			curl_multi_remove_handle(m, ((priv *)jobs[i]->req.priv)->easy);
			release(&jobs[i]->req);
		}
	}
	curl_multi_cleanup(m);
	return rc;
}
