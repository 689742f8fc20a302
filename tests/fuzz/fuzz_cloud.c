/* The cloud's answers (every operation, any status and body, the compile
 * answer and its binary URL) and the config files the token and API URL
 * come from; what a compile sends (file kinds, directory selection,
 * include/ignore patterns, project.properties). */
#include <config.h>

#include <strings.h>

#include "cloud_config.h"
#include "cloud_resp.h"
#include "cloud_sources.h"
#include "fuzz.h"

static void count_line(void *ud, const char *line)
{
	FUZZ_ASSERT(strlen(line) <= 255 && line[0] && line[0] != '#');
	(*(size_t *)ud)++;
}

/* The compile side: the same bytes as a compile answer, URLs, patterns. */
static void compile_side(const uint8_t *data, size_t size, const char *text, long status)
{
	sf_cloud_compile c;
	sf_cloud_project p;
	sf_err err;
	char url[512];
	size_t lines = 0, half = strlen(text) / 2;
	char *pat = strndup(text, half);
	int code = sf_cloud_compile_parse(status, (const char *)data, size, "platform 6 (photon)", &c);
	FUZZ_ASSERT(code == c.code);
	/* success has somewhere to download from; a failure has no binary */
	if (code == 0)
		FUZZ_ASSERT(c.binary_url[0] || c.binary_id[0]);
	if (code == 0 && sf_cloud_binary_url("https://api.example.com/base", c.binary_url, c.binary_id, url,
					     sizeof url, &err) == 0)
		/* the token may only go under the API base URL */
		FUZZ_ASSERT(!strncasecmp(url, "https://api.example.com/base/", 29));
	sf_cloud_compile_free(&c);
	if (sf_cloud_binary_url("http://h:1", text, text, url, sizeof url, &err) == 0)
		FUZZ_ASSERT(!strncasecmp(url, "http://h:1/", 11));
	sf_cloud_project_parse(text, strlen(text), &p);
	FUZZ_ASSERT(strlen(p.deps) < sizeof p.deps && strlen(p.name) < sizeof p.name);
	(void)sf_cloud_pattern_lines((const char *)data, size, count_line, &lines);
	if (pat) {
		(void)sf_glob_match(pat, text + half);
		free(pat);
	}
	(void)sf_cloud_dir_default(text);
	(void)sf_cloud_part_filename_ok(text);
	(void)sf_cloud_source_name(text);
	{
		sf_cloud_file_kind k = sf_cloud_file_kind_of(text, data, size);
		/* a source is always text */
		if (k == SF_CLOUD_FILE_SOURCE)
			FUZZ_ASSERT(sf_cloud_is_text(data, size));
	}
}

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
	compile_side(data + 3, size - 3, text, status);
	free(text);
	return 0;
}
