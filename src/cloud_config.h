/* Where the cloud token and API base URL come from, decided from the
 * contents of the candidate files and environment values (read by the
 * caller). Pure: no file or environment access here.
 *
 * Token precedence: PARTICLE_ACCESS_TOKEN, then the particle-cli profile
 * file ~/.particle/<profile>.config.json (profile named in
 * ~/.particle/profile.json, default "particle"), then spark-cli's
 * ~/.spark/spark.config.json. API base URL: --api-url, PARTICLE_API_URL, the
 * profile file's apiUrl, spark-cli's apiUrl, https://api.particle.io. */
#ifndef SF_CLOUD_CONFIG_H
#define SF_CLOUD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "sf_error.h"

#define SF_CLOUD_DEFAULT_API_URL "https://api.particle.io"
#define SF_CLOUD_DEFAULT_PROFILE "particle"
#define SF_CLOUD_TOKEN_MAX 512
#define SF_CLOUD_URL_MAX 1024

typedef enum sf_token_source {
	SF_TOKEN_NONE = 0,
	SF_TOKEN_ENV,        /* PARTICLE_ACCESS_TOKEN */
	SF_TOKEN_PROFILE,    /* ~/.particle/<profile>.config.json */
	SF_TOKEN_SPARK       /* ~/.spark/spark.config.json */
} sf_token_source;

typedef struct sf_cloud_inputs {
	const char *opt_api_url;   /* --api-url or NULL */
	const char *env_token;     /* PARTICLE_ACCESS_TOKEN or NULL */
	const char *env_api_url;   /* PARTICLE_API_URL or NULL */
	const char *profile_cfg;   /* text of the profile's config file, or NULL */
	const char *profile_cfg_name; /* its path, for messages */
	const char *spark_cfg;     /* text of ~/.spark/spark.config.json, or NULL */
	const char *spark_cfg_name;
	long long now;             /* Unix time for the expiry check; 0 = skip it */
} sf_cloud_inputs;

typedef struct sf_cloud_settings {
	char token[SF_CLOUD_TOKEN_MAX];   /* "" when none */
	sf_token_source token_source;
	char api_url[SF_CLOUD_URL_MAX];   /* without a trailing '/' */
	const char *api_url_source;       /* "--api-url", "PARTICLE_API_URL", ... */
	char warning[SF_ERR_MSG_MAX];     /* "" or a non-fatal problem (bad config file) */
} sf_cloud_settings;

/* Profile name from the text of ~/.particle/profile.json ({"name": "..."}).
 * NULL text, bad JSON or an unsafe name (anything but [A-Za-z0-9_.-], or a
 * leading '.') give the default "particle"; *bad is set to 1 in the last two
 * cases. Writes at most `size` bytes including the NUL. */
void sf_cloud_profile_name(const char *profile_json, char *buf, size_t size, int *bad);

/* Decides token and base URL. Fails (SF_EXIT_USAGE) for an unusable
 * --api-url/PARTICLE_API_URL, and (SF_EXIT_CLOUD_AUTH) when the token chosen
 * from a config file has an access_token_expires_at in the past (particle-cli
 * 3.x records it); an unreadable config file is skipped with a warning. A token with whitespace or control characters is refused
 * (SF_EXIT_CLOUD_AUTH) since it would corrupt the Authorization header. The
 * error text never contains the token. */
int sf_cloud_resolve_settings(const sf_cloud_inputs *in, sf_cloud_settings *out, sf_err *err);

/* Seconds since the epoch for an ISO-8601 UTC time
 * ("2030-01-02T03:04:05.000Z", fraction and Z optional); false when
 * unparsable. */
bool sf_cloud_parse_iso_time(const char *s, long long *out);

/* The ISO-8601 UTC time ("2030-01-02T03:04:05.000Z") `expires_in` seconds
 * after `now`, for the saved config. False when expires_in is not positive
 * or the time would not fit a four-digit year (a server's huge value must
 * not overflow: no expiry is saved then). */
bool sf_cloud_expiry_text(long long now, long long expires_in, char *buf, size_t size);

/* Human name of a token source ("PARTICLE_ACCESS_TOKEN", "profile config", ...). */
const char *sf_cloud_token_source_name(sf_token_source src);

/* Checks a base URL: http:// or https://, a host, no query, fragment,
 * user info, whitespace or control characters. Copies it without trailing
 * '/' into buf. Returns 0 or SF_EXIT_USAGE. */
int sf_cloud_check_base_url(const char *url, char *buf, size_t size, sf_err *err);

/* New config text: `old` (NULL or "" = empty object) with access_token,
 * username and access_token_expires_at (NULL = never) set, other keys kept.
 * Returns a malloc'd string, or NULL with *err set when `old` is not a JSON
 * object (the caller must not overwrite a file it cannot read back). */
char *sf_cloud_config_with_token(const char *old, const char *token, const char *username,
				 const char *expires_at, sf_err *err);

/* New config text with access_token and access_token_expires_at removed;
 * *had_token tells whether one was there. NULL with *err on bad JSON. */
char *sf_cloud_config_without_token(const char *old, int *had_token, sf_err *err);

#endif
