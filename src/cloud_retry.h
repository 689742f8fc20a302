/* Retry policy for cloud requests (cloud-api.md §6.4). Pure: the caller
 * passes the clock and a jitter value.
 *  - GET: retried after connection failures (request never answered: DNS,
 *    connect, reset), 429 (Retry-After honoured) and 502/503/504.
 *  - PUT (flash) and POST (login, key provisioning): retried only when the server said it did
 *    not process the request (429, 503) or the connection was never made;
 *    never after a timeout or a failure mid-upload. Login is not retried on
 *    HTTP errors (the token endpoint locks out after repeated failures).
 *  - Delays: capped exponential backoff with jitter; Retry-After up to
 *    max_retry_after_ms, beyond that the caller gives up. */
#ifndef SF_CLOUD_RETRY_H
#define SF_CLOUD_RETRY_H

#include <stdbool.h>
#include <time.h>

typedef struct sf_retry_policy {
	int max_attempts;          /* total attempts, first one included */
	long base_ms;              /* first backoff */
	long cap_ms;               /* backoff cap */
	long max_retry_after_ms;   /* longest Retry-After honoured */
} sf_retry_policy;

#define SF_RETRY_POLICY_DEFAULT { 4, 500, 8000, 30000 }

/* DELETE (token revocation) is idempotent and retried like a GET; POST (a
 * form with the Bearer token: the device key for provisioning) and COMPILE
 * (the multipart POST /v1/binaries of the sources) like the PUT. */
typedef enum sf_req_kind {
	SF_REQ_GET, SF_REQ_PUT, SF_REQ_LOGIN, SF_REQ_DELETE, SF_REQ_POST, SF_REQ_COMPILE
} sf_req_kind;

typedef enum sf_fail_kind {
	SF_FAIL_NONE = 0,      /* an HTTP answer arrived */
	SF_FAIL_CONNECT,       /* DNS or TCP connect failed: nothing was sent */
	SF_FAIL_TLS,           /* TLS handshake / verification: retrying will not help */
	SF_FAIL_TIMEOUT,       /* connect or total timeout, stall */
	SF_FAIL_TRANSPORT      /* reset or error after sending began */
} sf_fail_kind;

/* Decides whether to retry after `attempt` attempts (1 = the first) ended
 * with `fail` / `http_status` / `retry_after` (header value or NULL).
 * jitter01 in [0,1). On true, *delay_ms is the wait before the next try. */
bool sf_retry_decide(const sf_retry_policy *p, sf_req_kind kind, int attempt, sf_fail_kind fail,
		     long http_status, const char *retry_after, time_t now, double jitter01,
		     long *delay_ms);

/* Backoff before attempt `attempt`+1: base * 2^(attempt-1), capped, plus
 * up to 25 % jitter (never above the cap). */
long sf_retry_backoff_ms(const sf_retry_policy *p, int attempt, double jitter01);

/* Retry-After: delta-seconds or an IMF-fixdate ("Sun, 06 Nov 1994
 * 08:49:37 GMT"). A date in the past gives 0. Returns false when
 * unparsable. */
bool sf_parse_retry_after(const char *value, time_t now, long *seconds);

#endif
