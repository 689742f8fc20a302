/* The cloud's answers (every operation, any status and body) and the
 * config files the token and API URL come from. */
#include <config.h>

#include "cloud_config.h"
#include "cloud_resp.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sf_cloud_outcome out;
	sf_cloud_inputs in = { 0 };
	sf_cloud_settings s;
	sf_err err;
	char *text, msg[256], name[64], b[256];
	long status;
	long long when;
	int bad = 0, had = 0;
	char *cfg;
	if (size < 3)
		return 0;
	status = 100 + (data[0] | (data[1] << 8)) % 500;
	text = fuzz_cstr(data + 3, size - 3);
	FUZZ_ASSERT(sf_cloud_classify((sf_cloud_op)(data[2] % 4), status, (const char *)data + 3, size - 3,
				      "dev", &out) == out.code);
	if (out.body) {
		(void)sf_cloud_body_message(out.body, msg, sizeof msg);
		json_decref(out.body);
	}
	snprintf(msg, sizeof msg, "%s", text);
	sf_cloud_redact(msg, sizeof msg, "tok");
	/* the same bytes as config files */
	in.profile_cfg = text;
	in.spark_cfg = (data[2] & 4) ? text : NULL;
	in.env_token = (data[2] & 8) ? "abc" : NULL;
	in.now = 1700000000;
	if (sf_cloud_resolve_settings(&in, &s, &err) == 0)
		FUZZ_ASSERT(s.api_url[0] != '\0');
	sf_cloud_profile_name(text, name, sizeof name, &bad);
	(void)sf_cloud_parse_iso_time(text, &when);
	(void)sf_cloud_check_base_url(text, b, sizeof b, &err);
	(void)sf_cloud_expiry_text((long long)status * 1000000, (long long)(data[0] << 24) * (data[1] + 1), b, sizeof b);
	if ((cfg = sf_cloud_config_with_token(text, "tok", text, NULL, &err))) {
		char *again = sf_cloud_config_without_token(cfg, &had, &err);
		FUZZ_ASSERT(again && had);
		free(again);
		free(cfg);
	}
	free(text);
	return 0;
}
