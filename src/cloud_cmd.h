/* Cloud flashing entry point shared with the USB `flash` command, which
 * routes `flash --cloud DEVICE FILE` and spark-cli's `flash DEVICE FILE`
 * (first argument not an address) here. */
#ifndef SF_CLOUD_CMD_H
#define SF_CLOUD_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "sf_error.h"

/* Runs `cloud flash` with argv as for that subcommand: argv[0] = "flash",
 * then `DEVICE FILE...` or `FILE... --device A [--device B ...]` or
 * `FILE... --all-online [--platform P]`, plus --jobs N, --product ID,
 * --force, --target VERSION, --api-url URL, --cacert FILE,
 * --connect-timeout S, --max-time S and the common options. FILE... is one
 * binary (flashed as it is), or source files / directories: compiled with
 * POST /v1/binaries for each device's platform, then the binary is
 * flashed (the same path as `cloud compile`). `flash DEVICE app.ino` in
 * cmd_flash.c lands here too. Returns an exit code (0, 2, 3, 9, 10, 11,
 * 12, 13) and prints exactly one `result` event (per device tried) in JSON
 * mode. */
int sf_cloud_flash_cmd(sf_ctx *ctx, int argc, char **argv);

/* Runs `cloud compile` with argv as for that subcommand: argv[0] =
 * "compile", then PLATFORM SOURCE... [--output FILE|-] [--target V]
 * [--product ID] and the network options. Returns 0, 2, 3, 9, 10, 12 or 13
 * (SF_EXIT_CLOUD_COMPILE: the compiler's output was shown) and prints one
 * `result` event in JSON mode. */
int sf_cloud_compile_cmd(sf_ctx *ctx, int argc, char **argv);

/* `keys send` / `keys doctor`: a device's public key for the cloud,
 * POST /v1/provisioning/:id as spark-cli and particle-cli sent it
 * (spark-cli.md §4.5): urlencoded deviceID, publicKey (PEM), filename=cli,
 * order=manual_<ms>, algorithm (rsa|ecc), product_id when given; the token
 * only in the Authorization header (cloud-api.md §2.1), never in the form. */
typedef struct sf_cloud_key_req {
	const char *device_id;      /* 24 hex digits, lower case */
	const char *public_pem;     /* "-----BEGIN PUBLIC KEY-----..." */
	const char *algorithm;      /* "rsa" | "ecc" */
	const char *product;        /* product_id, or NULL */
	const char *api_url;        /* --api-url or NULL */
	const char *cacert;         /* --cacert or NULL */
	long connect_timeout;       /* --connect-timeout, 0: default */
	long max_time;              /* --max-time, 0: default (or --timeout) */
} sf_cloud_key_req;

/* What the request needs, checked before anything else happens: the API
 * URL and a token that is present and not expired; with `online`, also
 * that the API accepts it (GET /v1/user). *url gets the request's URL.
 * Returns 0, or the exit code with err set (the token never in it). */
int sf_cloud_key_check(const sf_ctx *ctx, const sf_cloud_key_req *req, bool online, char *url,
		       size_t url_size, sf_err *err);

/* Sends the key. *http_status gets the answer's status (0 without one).
 * Returns 0 when the cloud accepted it, else the exit code (3 usage, 9
 * timeout, 10 auth, 11 refused, 12 network) with err set. Prints nothing
 * but warnings about the config files. */
int sf_cloud_send_key(const sf_ctx *ctx, const sf_cloud_key_req *req, long *http_status, sf_err *err);

#endif
