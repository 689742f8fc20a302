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
	SF_CLOUD_OP_USER      /* GET /v1/user (is the token good?) */
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

/* Standard reason phrase for a status ("Bad Gateway"), "" when unknown. */
const char *sf_http_reason(long status);

#endif
