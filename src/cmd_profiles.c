/* sparkflash profiles list | show NAME|PATH | check FILE... */
#include <config.h>

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "jsontext.h"
#include "cli.h"
#include "commands.h"
#include "out.h"
#include "profile_io.h"

static json_t *hex32(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof buf, "0x%08" PRIX64, v);
	return json_string(buf);
}

static json_t *hex16(unsigned v)
{
	char buf[12];
	snprintf(buf, sizeof buf, "0x%04X", v);
	return json_string(buf);
}

static json_t *usb_id(sf_usb_id id)
{
	char buf[12];
	snprintf(buf, sizeof buf, "%04x:%04x", id.vid, id.pid);
	return json_string(buf);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* "1 KiB", "128 KiB", "512 B" */
static const char *human_size(uint64_t n, char *buf, size_t size)
{
	if (n >= 1024 * 1024 && n % (1024 * 1024) == 0)
		snprintf(buf, size, "%" PRIu64 " MiB", n / (1024 * 1024));
	else if (n >= 1024 && n % 1024 == 0)
		snprintf(buf, size, "%" PRIu64 " KiB", n / 1024);
	else
		snprintf(buf, size, "%" PRIu64 " B", n);
	return buf;
}

static int do_list(sf_ctx *ctx, const sf_profile_path *path)
{
	sf_profile *all;
	size_t n;
	sf_err err = { 0, "" };
	if (sf_profile_load_all(path, &all, &n, &err)) {
		sf_out_error(ctx, "%s", err.msg);
		return err.code;
	}
	if (ctx->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++) {
			const sf_profile *p = &all[i];
			json_t *o = json_object();
			json_object_set_new(o, "id", json_string(p->id));
			json_object_set_new(o, "name", json_string(p->name));
			json_object_set_new(o, "dfu", usb_id(p->dfu));
			json_object_set_new(o, "runtime", p->has_runtime ? usb_id(p->runtime) : json_null());
			json_object_set_new(o, "platform_id",
					    p->platform_id >= 0 ? json_integer(p->platform_id) : json_null());
			json_object_set_new(o, "source", sf_json_text(p->source));
			json_array_append_new(arr, o);
		}
		sf_out_json_line(arr);
		json_decref(arr);
	} else {
		printf("%-10s %-16s %-10s %-9s %s\n", "ID", "NAME", "DFU", "PLATFORM", "SOURCE");
		for (size_t i = 0; i < n; i++) {
			const sf_profile *p = &all[i];
			char plat[16];
			if (p->platform_id >= 0)
				snprintf(plat, sizeof plat, "%d", p->platform_id);
			else
				snprintf(plat, sizeof plat, "-");
			printf("%-10s %-16s %04x:%04x  %-9s %s\n", p->id, p->name, p->dfu.vid, p->dfu.pid,
			       plat, p->source);
		}
	}
	sf_profile_free_all(all, n);
	return 0;
}

static json_t *profile_json(const sf_profile *p)
{
	json_t *o = json_object(), *usb = json_object(), *alts = json_array(),
	       *segs = json_array(), *prot = json_array();
	json_object_set_new(o, "id", json_string(p->id));
	json_object_set_new(o, "name", json_string(p->name));
	json_object_set_new(o, "platform_id",
			    p->platform_id >= 0 ? json_integer(p->platform_id) : json_null());
	json_object_set_new(o, "source", sf_json_text(p->source));
	json_object_set_new(usb, "dfu", usb_id(p->dfu));
	json_object_set_new(usb, "runtime", p->has_runtime ? usb_id(p->runtime) : json_null());
	json_object_set_new(usb, "bcd_device", hex16(p->bcd_device));
	json_object_set_new(usb, "transfer_size", json_integer(p->transfer_size));
	json_object_set_new(usb, "detach_timeout", json_integer(p->detach_timeout));
	json_object_set_new(usb, "manufacturer", str_or_null(p->manufacturer));
	json_object_set_new(usb, "product", str_or_null(p->product));
	json_object_set_new(o, "usb", usb);
	json_object_set_new(o, "write_padding", json_integer(p->write_padding));
	json_object_set_new(o, "default_protocol", str_or_null(p->default_protocol));
	json_object_set_new(o, "dfu_mode_help", str_or_null(p->dfu_mode_help));
	json_object_set_new(o, "family", str_or_null(p->family));
	json_object_set_new(o, "layout_sizes_vary", json_boolean(p->layout_sizes_vary));
	for (size_t i = 0; i < p->nalts; i++) {
		const sf_alt *a = &p->alts[i];
		json_t *ja = json_object(), *regs = json_array();
		json_object_set_new(ja, "alt", json_integer(a->alt));
		json_object_set_new(ja, "layout", json_string(a->layout_text));
		json_object_set_new(ja, "name", json_string(a->layout.name));
		json_object_set_new(ja, "erase", json_string(a->erase_none ? "none" : "page"));
		json_object_set_new(ja, "timing", json_pack("{s:I, s:I}", "erase_ms",
							   (json_int_t)a->timing.erase_ms, "program_ms",
							   (json_int_t)a->timing.program_ms));
		for (size_t r = 0; r < a->layout.nregions; r++) {
			const sf_region *g = &a->layout.regions[r];
			json_t *jr = json_object();
			json_object_set_new(jr, "start", hex32(g->start));
			json_object_set_new(jr, "end", hex32(g->end));
			json_object_set_new(jr, "page_size", json_integer(g->page_size));
			json_object_set_new(jr, "pages", json_integer(g->pages));
			json_object_set_new(jr, "flags", json_string(sf_layout_flags_str(g->flags)));
			json_object_set_new(jr, "readable", json_boolean(g->flags & SF_MEM_READABLE));
			json_object_set_new(jr, "erasable", json_boolean(g->flags & SF_MEM_ERASABLE));
			json_object_set_new(jr, "writable", json_boolean(g->flags & SF_MEM_WRITABLE));
			json_array_append_new(regs, jr);
		}
		json_object_set_new(ja, "regions", regs);
		json_array_append_new(alts, ja);
	}
	json_object_set_new(o, "alts", alts);
	for (size_t i = 0; i < p->nsegments; i++) {
		const sf_segment *s = &p->segments[i];
		json_t *js = json_object();
		uint64_t end = sf_segment_end(p, s);
		json_object_set_new(js, "name", json_string(s->name));
		json_object_set_new(js, "alt", json_integer(s->alt));
		json_object_set_new(js, "address", hex32(s->address));
		json_object_set_new(js, "size", s->has_size ? hex32(s->size) : json_null());
		json_object_set_new(js, "end", hex32(end));
		json_object_set_new(js, "leave", json_boolean(s->leave));
		json_object_set_new(js, "protected", json_boolean(s->is_protected));
		json_object_set_new(js, "placement", json_string(s->header_placement ? "header" : "start"));
		if (s->key.present) {
			json_t *k = json_object();
			json_object_set_new(k, "format", json_string(s->key.format));
			json_object_set_new(k, "alg", json_string(s->key.alg));
			json_object_set_new(k, "address_offset", s->key.has_address_offset
					    ? json_integer(s->key.address_offset) : json_null());
			json_object_set_new(k, "port_offset", s->key.has_port_offset
					    ? json_integer(s->key.port_offset) : json_null());
			json_object_set_new(js, "key", k);
		}
		json_array_append_new(segs, js);
		if (s->is_protected)
			json_array_append_new(prot, json_pack("{s:s, s:i, s:o, s:o}", "segment", s->name,
							      "alt", s->alt, "start", hex32(s->address),
							      "end", hex32(end)));
	}
	json_object_set_new(o, "segments", segs);
	json_object_set_new(o, "protected", prot);
	return o;
}

static void print_profile(const sf_profile *p)
{
	char b1[32];
	bool any_protected = false;
	printf("%s: %s", p->id, p->name);
	if (p->platform_id >= 0)
		printf(" (platform %d)", p->platform_id);
	printf("\n  source:           %s\n", p->source);
	printf("  usb:              dfu %04x:%04x", p->dfu.vid, p->dfu.pid);
	if (p->has_runtime)
		printf(", runtime %04x:%04x", p->runtime.vid, p->runtime.pid);
	printf(", bcdDevice 0x%04X, transfer size %u, detach timeout %u ms\n",
	       p->bcd_device, p->transfer_size, p->detach_timeout);
	if (p->manufacturer || p->product)
		printf("  usb strings:      \"%s\" / \"%s\"\n", p->manufacturer ? p->manufacturer : "",
		       p->product ? p->product : "");
	printf("  write padding:    %u\n", (unsigned)p->write_padding);
	if (p->default_protocol)
		printf("  default protocol: %s\n", p->default_protocol);
	if (p->dfu_mode_help)
		printf("  DFU mode:         %s\n", p->dfu_mode_help);
	if (p->family)
		printf("  family:           %s%s\n", p->family,
		       p->layout_sizes_vary ? " (members in other flash sizes use their own map)" : "");
	printf("alts:\n");
	for (size_t i = 0; i < p->nalts; i++) {
		const sf_alt *a = &p->alts[i];
		printf("  alt %d \"%s\"  erase %s, poll erase %u ms / program %u ms\n", a->alt,
		       a->layout_text, a->erase_none ? "none (read-modify-write)" : "page",
		       (unsigned)a->timing.erase_ms, (unsigned)a->timing.program_ms);
		for (size_t r = 0; r < a->layout.nregions; r++) {
			const sf_region *g = &a->layout.regions[r];
			printf("    0x%08X-0x%08" PRIX64 "  %4u x %-8s %s\n", (unsigned)g->start,
			       g->end - 1, (unsigned)g->pages, human_size(g->page_size, b1, sizeof b1),
			       sf_layout_flags_str(g->flags));
		}
	}
	printf("segments:\n");
	if (p->nsegments == 0)
		printf("  (none)\n");
	for (size_t i = 0; i < p->nsegments; i++) {
		const sf_segment *s = &p->segments[i];
		uint64_t end = sf_segment_end(p, s);
		char b2[32];
		if (s->has_size)
			snprintf(b2, sizeof b2, "0x%X (%s)", (unsigned)s->size,
				 human_size(s->size, b1, sizeof b1));
		else
			snprintf(b2, sizeof b2, "to region end");
		printf("  %-20s alt %d  0x%08X-0x%08" PRIX64 "  size %s%s%s", s->name, s->alt,
		       (unsigned)s->address, end > s->address ? end - 1 : end, b2,
		       s->leave ? "  leave" : "", s->is_protected ? "  protected" : "");
		if (s->header_placement)
			printf("  modules where their header says");
		if (s->key.present) {
			printf("  key %s/%s", s->key.format, s->key.alg);
			if (s->key.has_address_offset)
				printf(" address@%u", (unsigned)s->key.address_offset);
			if (s->key.has_port_offset)
				printf(" port@%u", (unsigned)s->key.port_offset);
		}
		printf("\n");
		if (s->is_protected)
			any_protected = true;
	}
	printf("protected ranges:\n");
	if (!any_protected)
		printf("  (none)\n");
	for (size_t i = 0; i < p->nsegments; i++) {
		const sf_segment *s = &p->segments[i];
		uint64_t end = sf_segment_end(p, s);
		if (s->is_protected)
			printf("  alt %d  0x%08X-0x%08" PRIX64 "  %s\n", s->alt, (unsigned)s->address,
			       end > s->address ? end - 1 : end, s->name);
	}
}

static int do_show(sf_ctx *ctx, const sf_profile_path *path, const char *name)
{
	sf_profile p;
	sf_err err = { 0, "" };
	if (sf_profile_find(path, name, &p, &err)) {
		sf_out_error(ctx, "%s", err.msg);
		return err.code;
	}
	if (ctx->json) {
		json_t *o = profile_json(&p);
		sf_out_json_line(o);
		json_decref(o);
	} else {
		print_profile(&p);
	}
	sf_profile_free(&p);
	return 0;
}

static int do_check(sf_ctx *ctx, int n, char **files)
{
	for (int i = 0; i < n; i++) {
		sf_profile p;
		sf_err err = { 0, "" };
		if (sf_profile_load_file(files[i], &p, &err)) {
			/* Compiler-style line so editors can jump to it. */
			fprintf(stderr, "%s\n", err.msg);
			sf_out_event(ctx, "profile_check", json_pack("{s:o, s:b, s:s, s:o}", "file", sf_json_text(files[i]),
								    "ok", 0, "error", sf_exit_name(err.code),
								    "message", sf_json_text(err.msg)));
			return err.code;
		}
		if (ctx->json)
			sf_out_event(ctx, "profile_check", json_pack("{s:o, s:b, s:s}", "file", sf_json_text(files[i]),
								    "ok", 1, "id", p.id));
		else
			printf("ok %s (%s: %zu alts, %zu segments)\n", files[i], p.id, p.nalts,
			       p.nsegments);
		sf_profile_free(&p);
	}
	return 0;
}

int cmd_profiles(sf_ctx *ctx, int argc, char **argv)
{
	sf_profile_path path;
	const char *sub;
	int first, rc;

	rc = sf_cli_parse(ctx, argc, argv, "", NULL, NULL, NULL, &first);
	if (rc == SF_CLI_HELP)
		return 0;
	if (rc)
		return rc;
	if (first >= argc)
		return sf_usage_error(ctx, "profiles needs a subcommand: list, show or check");
	sub = argv[first++];
	sf_profile_path_init(&path, ctx->profiles_dirs, ctx->nprofiles_dirs);
	if (!strcmp(sub, "list")) {
		if (first < argc)
			return sf_usage_error(ctx, "profiles list takes no arguments");
		return do_list(ctx, &path);
	}
	if (!strcmp(sub, "show")) {
		if (argc - first != 1)
			return sf_usage_error(ctx, "profiles show needs exactly one NAME or PATH");
		return do_show(ctx, &path, argv[first]);
	}
	if (!strcmp(sub, "check")) {
		if (first >= argc)
			return sf_usage_error(ctx, "profiles check needs at least one FILE");
		return do_check(ctx, argc - first, argv + first);
	}
	return sf_usage_error(ctx, "unknown profiles subcommand '%s' (want list, show or check)", sub);
}
