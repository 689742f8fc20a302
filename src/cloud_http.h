/* libcurl transport for the cloud commands: one request type per use
 * (GET with Bearer token, multipart flash PUT, urlencoded login POST,
 * urlencoded POST with Bearer token, multipart compile POST), run
 * through one curl multi handle so several devices can be flashed at once.
 * Retries follow cloud_retry.h; every delay and timeout is bounded.
 *
 * The token is only ever put in an "Authorization: Bearer" header; libcurl's
 * verbose output is never enabled, and transport error texts are redacted. */
#ifndef SF_CLOUD_HTTP_H
#define SF_CLOUD_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "cloud_retry.h"
#include "sf_error.h"

typedef struct sf_http_opts {
	const char *cacert;         /* CA bundle (--cacert, CURL_CA_BUNDLE, SSL_CERT_FILE) or NULL */
	const char *capath;         /* SSL_CERT_DIR or NULL */
	long connect_timeout_s;     /* default 20 */
	long get_timeout_s;         /* whole GET/POST, default 30 */
	long put_timeout_s;         /* whole flash upload + answer, default 300 */
	sf_retry_policy retry;
} sf_http_opts;

/* Fills defaults and reads CURL_CA_BUNDLE / SSL_CERT_FILE / SSL_CERT_DIR. */
void sf_http_opts_init(sf_http_opts *o);

/* One file part of a compile request: part name ("file", "file1", ...),
 * the filename sent with it, and the bytes. */
typedef struct sf_http_part {
	const char *name;
	const char *filename;
	const unsigned char *data;
	size_t len;
} sf_http_part;

typedef struct sf_http_req sf_http_req;
typedef void (*sf_http_progress_fn)(void *ud, double sent, double total);

struct sf_http_req {
	/* set by the caller */
	sf_req_kind kind;
	char url[2048];
	const char *token;          /* Bearer token (GET, PUT, DELETE, POST) */
	const unsigned char *file_data; /* PUT: the image */
	size_t file_len;
	const char *upload_name;    /* PUT: filename of the part (ends in .bin) */
	const sf_http_part *parts;  /* COMPILE: the source files, in order */
	size_t nparts;
	const char *const *fields;  /* COMPILE: text parts, NULL-terminated name/value pairs */
	bool long_answer;           /* a compile or a binary download: the upload's time limit */
	size_t body_max;            /* largest answer taken, 0: 4 MiB (a JSON answer) */
	const char *accept;         /* Accept header value, NULL: application/json */
	const char *form;           /* LOGIN, POST: urlencoded body */
	const char *basic_auth;     /* LOGIN: "client:secret" */
	sf_http_progress_fn progress;
	void *progress_ud;
	/* results of the last attempt */
	long status;                /* HTTP status, 0 when none */
	char *body;                 /* NUL-terminated, malloc'd */
	size_t body_len;
	char retry_after[64];
	sf_fail_kind fail;
	char error[SF_ERR_MSG_MAX]; /* transport error text, "" when none */
	int attempts;
	long waited_ms;             /* total retry delay */
	/* engine state */
	void *priv;
};

/* A job: a sequence of requests (e.g. lookup then flash) for one device. The
 * engine runs `req`; when it has finished for good (no more retries), it
 * calls next(job). next returns true after preparing job->req for another
 * request, false when the job is done. */
typedef struct sf_http_job sf_http_job;
struct sf_http_job {
	sf_http_req req;
	bool (*next)(sf_http_job *job);
	void *ud;
	bool running;
	long long wake_ms;          /* retry due time (engine clock) */
};

/* Runs the jobs, at most `parallel` at a time, until all are done. Returns
 * 0, or SF_EXIT_INTERNAL with *err when libcurl cannot be set up. */
int sf_http_run(sf_http_job **jobs, size_t n, int parallel, const sf_http_opts *o, sf_err *err);

/* Clears the results of req (frees body) so it can be reused. */
void sf_http_req_reset(sf_http_req *req);

/* Message and exit code (9 for a timeout, else 12) for a transport failure of req, naming the
 * operation, e.g. "cannot connect to http://h:1 (flash of dev): ...". */
int sf_http_transport_error(const sf_http_req *req, const char *what, sf_err *err);

/* curl_easy_escape without a handle; malloc'd. */
char *sf_http_escape(const char *s);

/* Global libcurl init/cleanup (once per process). */
int sf_http_global_init(sf_err *err);
void sf_http_global_cleanup(void);

#endif
