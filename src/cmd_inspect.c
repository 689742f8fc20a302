/* sparkflash inspect FILE: what an image is (raw or Particle module), what
 * it claims (platform, function, addresses, dependencies) and whether it is
 * intact (CRC, size). Inspecting never refuses a bad image: it reports it. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsontext.h"
#include "commands.h"
#include "image_io.h"
#include "module.h"
#include "out.h"

struct report {
	const char *path;
	size_t file_size;
	sf_dfu_suffix dfu;
	sf_prefix_hazard hazard;
	size_t hazard_strip;
	size_t payload_off, payload_len;  /* what dfu-util would write */
	bool parsed_payload;              /* module parsed without DFU suffix/prefix */
	sf_module_info m;
	const char *problems[8];          /* integrity: verdict BAD */
	size_t nproblems;
	const char *warnings[8];          /* hazards: intact but take care */
	size_t nwarnings;
};

static void problem(struct report *r, const char *text)
{
	if (r->nproblems < sizeof r->problems / sizeof r->problems[0])
		r->problems[r->nproblems++] = text;
}

static void warning(struct report *r, const char *text)
{
	if (r->nwarnings < sizeof r->warnings / sizeof r->warnings[0])
		r->warnings[r->nwarnings++] = text;
}

static void analyse(struct report *r, const uint8_t *data, size_t len)
{
	sf_module_info whole;
	sf_err err = { 0 };

	r->file_size = len;
	sf_dfu_suffix_parse(data, len, &r->dfu);
	r->hazard = sf_dfu_prefix_hazard(data, len, &r->hazard_strip);
	sf_dfu_payload(data, len, &r->payload_off, &r->payload_len);

	sf_module_parse(data, len, &whole, &err);
	r->m = whole;
	/* dfu-util strips a valid DFU suffix and a sniffed prefix before
	 * writing: a module wrapped that way is intact if its own bytes are. */
	if ((r->payload_off || r->payload_len != len) && r->payload_len > 0) {
		sf_module_info inner;
		if (sf_module_parse(data + r->payload_off, r->payload_len, &inner, &err) == 0 &&
		    inner.is_module && (!whole.is_module || (inner.crc_ok && !whole.crc_ok))) {
			r->m = inner;
			r->parsed_payload = true;
		}
	}

	if (r->m.is_module) {
		if (!r->m.crc_ok)
			problem(r, "CRC-32 mismatch: the image is corrupt or truncated");
		if (!r->m.size_ok)
			problem(r, "size mismatch: the header's end address does not match the file length");
		if (r->m.suffix_size == 0xFFFF)
			problem(r, "suffix size 0xFFFF: the image cannot be verified");
		if (!sf_module_function_dfu_flashable(r->m.function))
			warning(r, "this module function is not written over DFU by sparkflash");
	}
	if (r->dfu.present && !r->dfu.crc_ok)
		problem(r, "DFU suffix CRC mismatch (dfu-util ignores the suffix)");
	if (r->dfu.present && r->dfu.crc_ok && !r->dfu.length_ok)
		problem(r, "DFU suffix length invalid (dfu-util refuses the file)");
	if (r->hazard != SF_HAZARD_NONE)
		warning(r, "starts like a DFU prefix that dfu-util strips silently");
}

static void hex(char *buf, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(buf + 2 * i, "%02x", p[i]);
}

static const char *platform_text(unsigned id)
{
	const char *n = sf_platform_name(id);
	return n ? n : "unknown platform";
}

static void print_dep(const sf_module_dep *d, int i)
{
	if (d->function == SF_MODFN_NONE && !d->index && !d->version) {
		printf("dependency %d:     none\n", i);
		return;
	}
	printf("dependency %d:     %s (%u) index %u version %u\n", i,
	       sf_module_function_name(d->function), d->function, d->index, d->version);
}

static void print_human(const struct report *r)
{
	const sf_module_info *m = &r->m;
	char flags[128];

	printf("file:             %s\n", r->path);
	printf("size:             %zu bytes\n", r->file_size);
	if (!m->is_module) {
		printf("kind:             raw image (no Particle module prefix found)\n");
	} else {
		printf("kind:             Particle module (prefix at 0x%x%s)\n", m->prefix_offset,
		       r->parsed_payload ? ", inside the DFU wrapping" : "");
		if (r->parsed_payload)
			printf("module bytes:     file offset %zu, %zu bytes (what dfu-util writes)\n",
			       r->payload_off, r->payload_len);
		printf("platform:         %u (%s)\n", m->platform_id, platform_text(m->platform_id));
		printf("function:         %s (%u), index %u\n",
		       sf_module_function_name(m->function), m->function, m->index);
		printf("address:          0x%08x - 0x%08x\n", m->start_address, m->end_address);
		printf("module version:   %u\n", m->module_version);
		printf("mcu target:       %u\n", m->mcu_target);
		printf("flags:            0x%02x (%s)\n", m->flags,
		       sf_module_flags_text(m->flags, flags, sizeof flags));
		print_dep(&m->deps[0], 1);
		print_dep(&m->deps[1], 2);
		if (m->suffix_size == 0xFFFF)
			printf("suffix:           size 0xFFFF (unable to verify)\n");
		else if (m->has_suffix)
			printf("suffix:           %u bytes\n", m->suffix_size);
		else
			printf("suffix:           none (size field %u)\n", m->suffix_size);
		if (m->has_product)
			printf("product:          id %u version %u\n", m->product_id, m->product_version);
		else
			printf("product:          none\n");
		if (m->has_suffix) {
			char sha[65];
			hex(sha, m->sha256, 32);
			printf("sha256:           %s\n", sha);
		}
		if (m->file_size >= 4)
			printf("crc-32:           %s (stored 0x%08x, computed 0x%08x)\n",
			       m->crc_ok ? "OK" : "BAD", m->crc_stored, m->crc_computed);
		else
			printf("crc-32:           BAD (file too short for a CRC)\n");
		if (m->size_ok)
			printf("size check:       OK (end - start + 4 = %zu)\n", m->file_size);
		else
			printf("size check:       BAD (header says %llu bytes, module has %zu)\n",
			       (unsigned long long)m->end_address - m->start_address + 4, m->file_size);
	}
	if (!r->dfu.present)
		printf("dfu suffix:       none\n");
	else
		printf("dfu suffix:       %s (%04x:%04x, bcdDevice 0x%04x, bcdDFU 0x%04x, length %u, CRC %s)\n",
		       r->dfu.valid ? "valid" : "INVALID", r->dfu.id_vendor, r->dfu.id_product,
		       r->dfu.bcd_device, r->dfu.bcd_dfu, r->dfu.length,
		       r->dfu.crc_ok ? "OK" : "BAD");
	if (r->hazard == SF_HAZARD_NONE)
		printf("prefix hazard:    none\n");
	else
		printf("prefix hazard:    %s: dfu-util would silently drop the first %zu bytes\n",
		       sf_prefix_hazard_name(r->hazard), r->hazard_strip);
	for (size_t i = 0; i < r->nwarnings; i++)
		printf("warning:          %s\n", r->warnings[i]);
	if (!r->nproblems) {
		printf("verdict:          OK%s\n",
		       m->is_module ? "" : " (raw image: no header or CRC to verify)");
		return;
	}
	printf("verdict:          BAD\n");
	for (size_t i = 0; i < r->nproblems; i++)
		printf("  - %s\n", r->problems[i]);
}

static json_t *dep_json(const sf_module_dep *d)
{
	return json_pack("{s:i, s:s, s:i, s:i}", "function", (int)d->function,
			 "function_name", sf_module_function_name(d->function),
			 "index", (int)d->index, "version", (int)d->version);
}

static json_t *report_json(const struct report *r)
{
	const sf_module_info *m = &r->m;
	json_t *o = json_object(), *a;
	char buf[128];

	json_object_set_new(o, "file", sf_json_text(r->path));
	json_object_set_new(o, "size", json_integer((json_int_t)r->file_size));
	json_object_set_new(o, "module", json_boolean(m->is_module));
	if (m->is_module) {
		const char *pn = sf_platform_name(m->platform_id);
		json_object_set_new(o, "prefix_offset", json_integer(m->prefix_offset));
		json_object_set_new(o, "dfu_wrapped", json_boolean(r->parsed_payload));
		json_object_set_new(o, "module_offset",
				    json_integer(r->parsed_payload ? (json_int_t)r->payload_off : 0));
		json_object_set_new(o, "module_length",
				    json_integer((json_int_t)(r->parsed_payload ? r->payload_len : r->file_size)));
		json_object_set_new(o, "platform_id", json_integer(m->platform_id));
		json_object_set_new(o, "platform", pn ? json_string(pn) : json_null());
		json_object_set_new(o, "function", json_integer(m->function));
		json_object_set_new(o, "function_name", json_string(sf_module_function_name(m->function)));
		json_object_set_new(o, "dfu_flashable",
				    json_boolean(sf_module_function_dfu_flashable(m->function)));
		json_object_set_new(o, "index", json_integer(m->index));
		json_object_set_new(o, "start_address", json_integer(m->start_address));
		json_object_set_new(o, "end_address", json_integer(m->end_address));
		snprintf(buf, sizeof buf, "0x%08x", m->start_address);
		json_object_set_new(o, "start_address_hex", json_string(buf));
		snprintf(buf, sizeof buf, "0x%08x", m->end_address);
		json_object_set_new(o, "end_address_hex", json_string(buf));
		json_object_set_new(o, "module_version", json_integer(m->module_version));
		json_object_set_new(o, "mcu_target", json_integer(m->mcu_target));
		json_object_set_new(o, "flags", json_integer(m->flags));
		a = json_array();
		for (unsigned i = 0; i < 8; i++)
			if (m->flags & (1u << i)) {
				char one[64];
				json_array_append_new(a, json_string(sf_module_flags_text(1u << i, one, sizeof one)));
			}
		json_object_set_new(o, "flag_names", a);
		a = json_array();
		for (int i = 0; i < 2; i++)
			if (m->deps[i].function || m->deps[i].index || m->deps[i].version)
				json_array_append_new(a, dep_json(&m->deps[i]));
		json_object_set_new(o, "dependencies", a);
		json_object_set_new(o, "suffix_size", json_integer(m->suffix_size));
		json_object_set_new(o, "has_suffix", json_boolean(m->has_suffix));
		if (m->has_suffix) {
			char sha[65];
			hex(sha, m->sha256, 32);
			json_object_set_new(o, "sha256", json_string(sha));
		} else {
			json_object_set_new(o, "sha256", json_null());
		}
		json_object_set_new(o, "product_id", m->has_product ? json_integer(m->product_id) : json_null());
		json_object_set_new(o, "product_version",
				    m->has_product ? json_integer(m->product_version) : json_null());
		json_object_set_new(o, "crc_stored", json_integer(m->crc_stored));
		json_object_set_new(o, "crc_computed", json_integer(m->crc_computed));
		json_object_set_new(o, "crc_ok", json_boolean(m->crc_ok));
		json_object_set_new(o, "size_ok", json_boolean(m->size_ok));
	}
	if (r->dfu.present)
		json_object_set_new(o, "dfu_suffix", json_pack("{s:b, s:b, s:b, s:i, s:i, s:i, s:i, s:i}",
			"valid", r->dfu.valid, "crc_ok", r->dfu.crc_ok, "length_ok", r->dfu.length_ok,
			"vendor", (int)r->dfu.id_vendor, "product", (int)r->dfu.id_product,
			"bcd_device", (int)r->dfu.bcd_device, "bcd_dfu", (int)r->dfu.bcd_dfu,
			"length", (int)r->dfu.length));
	else
		json_object_set_new(o, "dfu_suffix", json_null());
	json_object_set_new(o, "prefix_hazard", json_string(sf_prefix_hazard_name(r->hazard)));
	json_object_set_new(o, "prefix_hazard_strip", json_integer((json_int_t)r->hazard_strip));
	json_object_set_new(o, "ok", json_boolean(r->nproblems == 0));
	a = json_array();
	for (size_t i = 0; i < r->nproblems; i++)
		json_array_append_new(a, sf_json_text(r->problems[i]));
	json_object_set_new(o, "problems", a);
	a = json_array();
	for (size_t i = 0; i < r->nwarnings; i++)
		json_array_append_new(a, sf_json_text(r->warnings[i]));
	json_object_set_new(o, "warnings", a);
	return o;
}

int cmd_inspect(sf_ctx *ctx, int argc, char **argv)
{
	struct report r;
	sf_err err = { 0 };
	uint8_t *data;
	size_t len;
	int first, rc;

	rc = sf_cli_parse(ctx, argc, argv, "", NULL, NULL, NULL, &first);
	if (rc == SF_CLI_HELP)
		return SF_EXIT_OK;
	if (rc)
		return rc;
	if (first >= argc)
		return sf_usage_error(ctx, "no image file given");
	if (first + 1 < argc)
		return sf_usage_error(ctx, "too many arguments (one image file at a time)");

	rc = sf_image_read(argv[first], 0, &data, &len, &err);
	if (rc) {
		sf_out_error(ctx, "%s", err.msg);
		return rc;
	}
	memset(&r, 0, sizeof r);
	r.path = argv[first];
	analyse(&r, data, len);
	free(data);

	if (ctx->json) {
		json_t *doc = report_json(&r);
		sf_out_event(ctx, "inspect", doc);
	} else {
		print_human(&r);
	}
	return SF_EXIT_OK;
}
