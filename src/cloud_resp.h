/* Classification of Particle Cloud responses: HTTP status + body -> exit
 * code and a human message (cloud-api.md §2.3, §3.3, §3.4, §3.6). Pure. */
#ifndef SF_CLOUD_RESP_H
#define SF_CLOUD_RESP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "sf_error.h"

typedef enum sf_cloud_op {
	SF_CLOUD_OP_LOOKUP,   /* GET /v1/devices/:idOrName */
	SF_CLOUD_OP_LIST,     /* GET /v1/devices */
	SF_CLOUD_OP_FLASH,    /* PUT /v1/devices/:id (multipart) */
	SF_CLOUD_OP_LOGIN,    /* POST /oauth/token */
	SF_CLOUD_OP_PROVISION, /* POST /v1/provisioning/:id (a device's public key) */
	SF_CLOUD_OP_USER,     /* GET /v1/user (is the token good?) */
	SF_CLOUD_OP_COMPILE,  /* POST /v1/binaries (sources; errors: sf_cloud_compile_parse) */
	SF_CLOUD_OP_DOWNLOAD  /* GET /v1/binaries/:id (the compiled binary) */
} sf_cloud_op;

typedef struct sf_cloud_outcome {
	int code;              /* 0, SF_EXIT_CLOUD_AUTH/_DEVICE/_NETWORK */
	char msg[SF_ERR_MSG_MAX]; /* error text, or the success status */
	json_t *body;          /* parsed JSON body (new reference) or NULL */
	bool offline;          /* the device is offline (flash) */
} sf_cloud_outcome;

/* Classifies one finished HTTP exchange. `what` names the thing for
 * messages (device name, "device list", user name). Fills *out (free
 * out->body with json_decref) and returns out->code. */
int sf_cloud_classify(sf_cloud_op op, long status, const char *body, size_t len,
		      const char *what, sf_cloud_outcome *out);

/* The human message in an error body, in particle-cli's order:
 * error_description, error, errors[] (strings, {error}, {error:{status}},
 * {status}), info, message. Returns false when none is present. */
bool sf_cloud_body_message(const json_t *body, char *buf, size_t size);

/* Replaces every occurrence of `secret` (when non-empty) in buf with
 * "<redacted>", in place, truncating at size. */
void sf_cloud_redact(char *buf, size_t size, const char *secret);

/* The answer to POST /v1/binaries (cloud-api.md, README "Cloud"):
 *  - success: 2xx, ok not false, binary_url and/or binary_id; sizeInfo;
 *  - compile errors: {ok:false, errors:[TEXT...], output:"Compiler timed
 *    out or encountered an error"} (particle-cli 3.x) or the older
 *    {ok:false, errors:[...], output:"App code was invalid", stdout}, with a
 *    4xx or a 2xx status: code SF_EXIT_CLOUD_COMPILE and `compiler` holds
 *    the errors as the compiler printed them (joined by newlines; an item
 *    that is an object gives its "error" or "message");
 *  - any other 4xx without compiler text (bad platform, unknown product):
 *    SF_EXIT_CLOUD_COMPILE with the server's message; 401 and token
 *    errors: SF_EXIT_CLOUD_AUTH; 403: SF_EXIT_CLOUD_AUTH (not allowed for
 *    this product); 429, 5xx, empty or non-JSON answers: SF_EXIT_CLOUD_NETWORK. */
typedef struct sf_cloud_compile {
	int code;
	char msg[SF_ERR_MSG_MAX];  /* one line: what happened */
	char *compiler;            /* malloc'd compiler output, NULL when none */
	char *size_info;           /* malloc'd sizeInfo text, NULL when none */
	char binary_url[1024];     /* "" when absent (or too long) */
	char binary_id[128];       /* "" when absent */
	char summary[256];         /* the `output` field ("" when none) */
} sf_cloud_compile;

/* `what` names the target in messages ("platform 6 (photon)"). */
int sf_cloud_compile_parse(long status, const char *body, size_t len, const char *what, sf_cloud_compile *out);
void sf_cloud_compile_free(sf_cloud_compile *c);

/* The URL the compiled binary is downloaded from: binary_url when it is a
 * path ("/v1/binaries/ID", appended to api_base) or an absolute URL under
 * api_base (same scheme, host and port: the token goes nowhere else), else
 * api_base + "/v1/binaries/" + binary_id. Returns 0, or
 * SF_EXIT_CLOUD_NETWORK with err set when neither gives a URL that may
 * carry the token. */
int sf_cloud_binary_url(const char *api_base, const char *binary_url, const char *binary_id, char *buf,
			size_t size, sf_err *err);

/* Standard reason phrase for a status ("Bad Gateway"), "" when unknown. */
const char *sf_http_reason(long status);

#endif
