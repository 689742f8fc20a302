/* Profile JSON (schema 1) → sf_profile, validating everything. Messages read
 * "SOURCE:LINE:COLUMN: what is wrong"; jansson gives positions of syntax
 * errors, jsonpos.c finds those of values for the semantic checks. */
#include <config.h>

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfustate.h"
#include "jsonpos.h"
#include "numparse.h"
#include "profile.h"

#define MAX_DEPTH 8
#define MAX_ALTS 256
#define MAX_SEGMENTS 256
#define TWO32 ((uint64_t)1 << 32)

typedef struct pctx {
	const char *text;
	size_t len;
	const char *source;
	sf_err *err;
	const char *path[MAX_DEPTH];
	char idx[MAX_DEPTH][24];
	size_t n;
} pctx;

static void push(pctx *c, const char *key)
{
	if (c->n < MAX_DEPTH)
		c->path[c->n] = key;
	c->n++;
}

static void push_index(pctx *c, size_t i)
{
	if (c->n < MAX_DEPTH) {
		snprintf(c->idx[c->n], sizeof c->idx[c->n], "%zu", i);
		c->path[c->n] = c->idx[c->n];
	}
	c->n++;
}

static void pop(pctx *c) { c->n--; }

/* "segments.userFirmware.address" */
static const char *dotted(const pctx *c, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < c->n && i < MAX_DEPTH; i++) {
		int k = snprintf(buf + used, size - used, "%s%s", i ? "." : "", c->path[i]);
		if (k < 0 || (size_t)k >= size - used)
			break;
		used += (size_t)k;
	}
	if (!buf[0])
		snprintf(buf, size, "(top level)");
	return buf;
}

static int __attribute__((format(printf, 4, 0)))
verr_at(pctx *c, size_t depth, bool at_key, const char *fmt, va_list ap)
{
	char msg[SF_ERR_MSG_MAX];
	sf_json_pos pos;
	if (depth > MAX_DEPTH)
		depth = MAX_DEPTH;
	sf_json_locate(c->text, c->len, c->path, depth, at_key, &pos);
	vsnprintf(msg, sizeof msg, fmt, ap);
	return sf_err_set(c->err, SF_EXIT_REFUSED, "%s:%u:%u: %s", c->source, pos.line,
			  pos.column, msg);
}

/* Error located at the current path's value (or its key with at_key). */
static int __attribute__((format(printf, 3, 4)))
perr(pctx *c, bool at_key, const char *fmt, ...)
{
	va_list ap;
	int r;
	va_start(ap, fmt);
	r = verr_at(c, c->n, at_key, fmt, ap);
	va_end(ap);
	return r;
}

/* Keys of `obj` must be among the NULL-terminated `allowed`. */
static int check_keys(pctx *c, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		bool ok = false;
		char where[160], list[256] = "";
		size_t used = 0;
		for (size_t i = 0; allowed[i]; i++) {
			int k;
			if (!strcmp(key, allowed[i]))
				ok = true;
			k = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", allowed[i]);
			if (k > 0 && (size_t)k < sizeof list - used)
				used += (size_t)k;
		}
		if (ok)
			continue;
		dotted(c, where, sizeof where);
		push(c, key);
		return perr(c, true, "unknown key '%.60s' in %s (allowed: %s)", key,
			    c->n == 1 ? "the profile" : where, list);
	}
	return 0;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "something else";
}

static int wrong_type(pctx *c, const json_t *v, const char *want)
{
	char where[160];
	return perr(c, false, "'%s' must be %s, not %s", dotted(c, where, sizeof where), want,
		    type_name(v));
}

/* Integer, or "0x..."/decimal string, within [min, max]. */
static int get_u32(pctx *c, const json_t *v, uint32_t min, uint32_t max, uint32_t *out)
{
	char where[160];
	uint32_t x;
	dotted(c, where, sizeof where);
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0 || i > 0xFFFFFFFFLL)
			return perr(c, false, "'%s' is %lld, which does not fit in 32 bits", where,
				    (long long)i);
		x = (uint32_t)i;
	} else if (json_is_string(v)) {
		sf_num_status st = sf_parse_u32_strict(json_string_value(v), &x);
		if (st != SF_NUM_OK)
			return perr(c, false, "'%s' value \"%.40s\" %s", where, json_string_value(v),
				    sf_num_status_text(st));
	} else {
		return wrong_type(c, v, "a number or a \"0x...\" string");
	}
	if (x < min || x > max)
		return perr(c, false, "'%s' is %u; it must be between %u and %u", where,
			    (unsigned)x, (unsigned)min, (unsigned)max);
	*out = x;
	return 0;
}

static int get_str(pctx *c, const json_t *v, char **out)
{
	if (!json_is_string(v))
		return wrong_type(c, v, "a string");
	*out = strdup(json_string_value(v));
	if (!*out)
		return sf_err_set(c->err, SF_EXIT_INTERNAL, "out of memory");
	return 0;
}

static int get_bool(pctx *c, const json_t *v, bool *out)
{
	if (!json_is_boolean(v))
		return wrong_type(c, v, "true or false");
	*out = json_is_true(v);
	return 0;
}

static int hex4(const char *s, uint16_t *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char ch = s[i];
		int d;
		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			return -1;
		v = v * 16 + (unsigned)d;
	}
	*out = (uint16_t)v;
	return 0;
}

static int get_usb_id(pctx *c, const json_t *v, sf_usb_id *out)
{
	const char *s;
	char where[160];
	if (!json_is_string(v))
		return wrong_type(c, v, "a \"VID:PID\" string");
	s = json_string_value(v);
	if (strlen(s) != 9 || s[4] != ':' || hex4(s, &out->vid) || hex4(s + 5, &out->pid))
		return perr(c, false,
			    "'%s' value \"%.40s\" is not VID:PID with 4 hex digits each side (e.g. \"1d50:607f\")",
			    dotted(c, where, sizeof where), s);
	return 0;
}

/* Error at the enclosing object for a missing member. */
static int missing(pctx *c, const char *key)
{
	char where[160];
	dotted(c, where, sizeof where);
	return perr(c, false, "missing required key '%s' in %s", key,
		    c->n == 0 ? "the profile" : where);
}

static const char *const root_keys[] = {
	"schema", "id", "name", "platform_id", "usb", "write_padding", "default_protocol",
	"dfu_mode_help", "family", "layout_sizes_vary", "alts", "segments", "bootloader", NULL
};
static const char *const usb_keys[] = {
	"dfu", "runtime", "bcd_device", "transfer_size", "detach_timeout", "manufacturer",
	"product", NULL
};
static const char *const alt_keys[] = { "alt", "layout", "erase", "timing", NULL };
static const char *const timing_keys[] = { "erase_ms", "program_ms", NULL };
static const char *const seg_keys[] = { "alt", "address", "size", "leave", "protected", "placement", "key", NULL };
static const char *const bl_keys[] = {
	"first_status", "leave_state", "leave_reset_ms", "detach", "refused", "refused_status",
	"stall_error", "commands", "protected", NULL
};
static const char *const range_keys[] = { "alt", "start", "end", NULL };
static const char *const key_keys[] = { "format", "alg", "address_offset", "port_offset", NULL };

static bool valid_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64 || s[0] == '.' || s[0] == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

static int parse_usb(pctx *c, json_t *usb, sf_profile *p)
{
	json_t *v;
	uint32_t x;
	int r;
	if (!json_is_object(usb))
		return wrong_type(c, usb, "an object");
	if ((r = check_keys(c, usb, usb_keys)))
		return r;
	if (!(v = json_object_get(usb, "dfu")))
		return missing(c, "dfu");
	push(c, "dfu");
	r = get_usb_id(c, v, &p->dfu);
	pop(c);
	if (r)
		return r;
	if ((v = json_object_get(usb, "runtime"))) {
		push(c, "runtime");
		r = get_usb_id(c, v, &p->runtime);
		pop(c);
		if (r)
			return r;
		p->has_runtime = true;
	}
	if ((v = json_object_get(usb, "bcd_device"))) {
		push(c, "bcd_device");
		r = get_u32(c, v, 0, 0xFFFF, &x);
		pop(c);
		if (r)
			return r;
		p->bcd_device = (uint16_t)x;
	}
	if ((v = json_object_get(usb, "transfer_size"))) {
		push(c, "transfer_size");
		r = get_u32(c, v, 1, 0xFFFF, &x);
		pop(c);
		if (r)
			return r;
		p->transfer_size = (uint16_t)x;
	}
	if ((v = json_object_get(usb, "detach_timeout"))) {
		push(c, "detach_timeout");
		r = get_u32(c, v, 0, 0xFFFF, &x);
		pop(c);
		if (r)
			return r;
		p->detach_timeout = (uint16_t)x;
	}
	if ((v = json_object_get(usb, "manufacturer"))) {
		push(c, "manufacturer");
		r = get_str(c, v, &p->manufacturer);
		pop(c);
		if (r)
			return r;
	}
	if ((v = json_object_get(usb, "product"))) {
		push(c, "product");
		r = get_str(c, v, &p->product);
		pop(c);
		if (r)
			return r;
	}
	return 0;
}

static int parse_alt(pctx *c, json_t *o, sf_alt *a)
{
	json_t *v;
	uint32_t x;
	int r;
	if (!json_is_object(o))
		return wrong_type(c, o, "an object");
	if ((r = check_keys(c, o, alt_keys)))
		return r;
	if (!(v = json_object_get(o, "alt")))
		return missing(c, "alt");
	push(c, "alt");
	r = get_u32(c, v, 0, 255, &x);
	pop(c);
	if (r)
		return r;
	a->alt = (int)x;
	if (!(v = json_object_get(o, "layout")))
		return missing(c, "layout");
	push(c, "layout");
	if ((r = get_str(c, v, &a->layout_text)) == 0) {
		sf_err lerr = { 0, "" };
		if (sf_layout_parse(a->layout_text, &a->layout, &lerr))
			r = perr(c, false, "%s", lerr.msg);
	}
	pop(c);
	if (r)
		return r;
	if ((v = json_object_get(o, "erase"))) {
		push(c, "erase");
		if (!json_is_string(v))
			r = wrong_type(c, v, "\"page\" or \"none\"");
		else if (!strcmp(json_string_value(v), "none"))
			a->erase_none = true;
		else if (strcmp(json_string_value(v), "page"))
			r = perr(c, false, "'erase' is \"%.40s\"; want \"page\" (dfu-util erases each page) or \"none\" (device does read-modify-write)",
				 json_string_value(v));
		pop(c);
		if (r)
			return r;
	}
	if ((v = json_object_get(o, "timing"))) {
		json_t *t;
		push(c, "timing");
		if (!json_is_object(v))
			r = wrong_type(c, v, "an object");
		else
			r = check_keys(c, v, timing_keys);
		if (!r && (t = json_object_get(v, "erase_ms"))) {
			push(c, "erase_ms");
			r = get_u32(c, t, 0, 60000, &a->timing.erase_ms);
			pop(c);
		}
		if (!r && (t = json_object_get(v, "program_ms"))) {
			push(c, "program_ms");
			r = get_u32(c, t, 0, 60000, &a->timing.program_ms);
			pop(c);
		}
		pop(c);
		if (r)
			return r;
	}
	return 0;
}

static int parse_alts(pctx *c, json_t *arr, sf_profile *p)
{
	size_t n;
	int r;
	if (!json_is_array(arr))
		return wrong_type(c, arr, "an array of alt settings");
	n = json_array_size(arr);
	if (n == 0)
		return perr(c, false, "'alts' is empty; a profile needs at least one alt setting");
	if (n > MAX_ALTS)
		return perr(c, false, "'alts' has %zu entries (at most %d)", n, MAX_ALTS);
	p->alts = calloc(n, sizeof *p->alts);
	if (!p->alts)
		return sf_err_set(c->err, SF_EXIT_INTERNAL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		push_index(c, i);
		r = parse_alt(c, json_array_get(arr, i), &p->alts[i]);
		p->nalts = i + 1;
		if (!r) {
			for (size_t j = 0; j < i; j++) {
				if (p->alts[j].alt != p->alts[i].alt)
					continue;
				push(c, "alt");
				r = perr(c, false, "alt %d is declared twice (first in alts.%zu)",
					 p->alts[i].alt, j);
				pop(c);
				break;
			}
		}
		pop(c);
		if (r)
			return r;
	}
	return 0;
}

static int parse_key(pctx *c, json_t *o, sf_key_info *k)
{
	json_t *v;
	int r;
	if (!json_is_object(o))
		return wrong_type(c, o, "an object");
	if ((r = check_keys(c, o, key_keys)))
		return r;
	k->present = true;
	if (!(v = json_object_get(o, "format")))
		return missing(c, "format");
	push(c, "format");
	if (!json_is_string(v))
		r = wrong_type(c, v, "a string");
	else if (strcmp(json_string_value(v), "der"))
		r = perr(c, false, "key format \"%.40s\" is not supported (want \"der\")",
			 json_string_value(v));
	else
		strcpy(k->format, "der");
	pop(c);
	if (r)
		return r;
	strcpy(k->alg, "rsa");
	if ((v = json_object_get(o, "alg"))) {
		push(c, "alg");
		if (!json_is_string(v))
			r = wrong_type(c, v, "a string");
		else if (strcmp(json_string_value(v), "rsa") && strcmp(json_string_value(v), "ec"))
			r = perr(c, false, "key alg \"%.40s\" is not supported (want \"rsa\" or \"ec\")",
				 json_string_value(v));
		else
			snprintf(k->alg, sizeof k->alg, "%s", json_string_value(v));
		pop(c);
		if (r)
			return r;
	}
	if ((v = json_object_get(o, "address_offset"))) {
		push(c, "address_offset");
		r = get_u32(c, v, 0, 0xFFFFFFFF, &k->address_offset);
		pop(c);
		if (r)
			return r;
		k->has_address_offset = true;
	}
	if ((v = json_object_get(o, "port_offset"))) {
		push(c, "port_offset");
		r = get_u32(c, v, 0, 0xFFFFFFFF, &k->port_offset);
		pop(c);
		if (r)
			return r;
		k->has_port_offset = true;
	}
	return 0;
}

static void describe_regions(const sf_layout *l, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < l->nregions; i++) {
		int k = snprintf(buf + used, size - used, "%s0x%08X-0x%08llX", i ? ", " : "",
				 (unsigned)l->regions[i].start,
				 (unsigned long long)(l->regions[i].end - 1));
		if (k < 0 || (size_t)k >= size - used)
			break;
		used += (size_t)k;
	}
}

static int get_word(pctx *c, const json_t *v, const char *const *words, size_t n, int *out);

static int parse_segment(pctx *c, const char *name, json_t *o, sf_profile *p, sf_segment *s)
{
	json_t *v;
	uint32_t x;
	const sf_alt *alt;
	uint64_t end;
	int r;
	if (!json_is_object(o))
		return wrong_type(c, o, "an object");
	if ((r = check_keys(c, o, seg_keys)))
		return r;
	if (!*name)
		return perr(c, true, "segment name is empty");
	if (!(v = json_object_get(o, "alt")))
		return missing(c, "alt");
	push(c, "alt");
	r = get_u32(c, v, 0, 255, &x);
	if (!r) {
		s->alt = (int)x;
		if (!sf_profile_alt(p, s->alt)) {
			char list[128] = "";
			size_t used = 0;
			for (size_t i = 0; i < p->nalts; i++) {
				int k = snprintf(list + used, sizeof list - used, "%s%d", i ? ", " : "",
						 p->alts[i].alt);
				if (k < 0 || (size_t)k >= sizeof list - used)
					break;
				used += (size_t)k;
			}
			r = perr(c, false, "segment '%.60s' is on alt %d, which this profile does not declare (alts: %s)",
				 name, s->alt, list);
		}
	}
	pop(c);
	if (r)
		return r;
	alt = sf_profile_alt(p, s->alt);
	if (!(v = json_object_get(o, "address")))
		return missing(c, "address");
	push(c, "address");
	r = get_u32(c, v, 0, 0xFFFFFFFF, &s->address);
	pop(c);
	if (r)
		return r;
	if ((v = json_object_get(o, "size"))) {
		push(c, "size");
		r = get_u32(c, v, 1, 0xFFFFFFFF, &s->size);
		if (!r && (uint64_t)s->address + s->size > TWO32)
			r = perr(c, false, "segment '%.60s' ends past the 32-bit address space (0x%08X + 0x%X > 2^32)",
				 name, (unsigned)s->address, (unsigned)s->size);
		pop(c);
		if (r)
			return r;
		s->has_size = true;
	}
	end = s->has_size ? (uint64_t)s->address + s->size : (uint64_t)s->address + 1;
	if (!sf_layout_range_has(&alt->layout, s->address, end - s->address, 0)) {
		char regions[256];
		describe_regions(&alt->layout, regions, sizeof regions);
		/* Point at the address when it is unmapped, else at the size. */
		push(c, s->has_size && sf_layout_find(&alt->layout, s->address) ? "size" : "address");
		r = perr(c, false, "segment '%.60s' (0x%08X-0x%08llX) is outside alt %d's layout (mapped: %s)",
			 name, (unsigned)s->address, (unsigned long long)(end - 1), s->alt, regions);
		pop(c);
		return r;
	}
	if ((v = json_object_get(o, "leave"))) {
		push(c, "leave");
		r = get_bool(c, v, &s->leave);
		pop(c);
		if (r)
			return r;
	}
	if ((v = json_object_get(o, "protected"))) {
		push(c, "protected");
		r = get_bool(c, v, &s->is_protected);
		pop(c);
		if (r)
			return r;
	}
	if ((v = json_object_get(o, "placement"))) {
		static const char *const words[] = { "start", "header" };
		int k;
		push(c, "placement");
		r = get_word(c, v, words, 2, &k);
		pop(c);
		if (r)
			return r;
		s->header_placement = k == 1;
	}
	if ((v = json_object_get(o, "key"))) {
		push(c, "key");
		r = parse_key(c, v, &s->key);
		if (!r && s->key.has_address_offset &&
		    (!s->has_size || (uint64_t)s->key.address_offset + 2 > s->size)) {
			push(c, "address_offset");
			r = perr(c, false, "address_offset %u leaves no room for the address TLV in segment '%.60s'%s",
				 (unsigned)s->key.address_offset, name, s->has_size ? "" : " (give it a size)");
			pop(c);
		}
		if (!r && s->key.has_port_offset &&
		    (!s->has_size || (uint64_t)s->key.port_offset + 2 > s->size)) {
			push(c, "port_offset");
			r = perr(c, false, "port_offset %u is not inside segment '%.60s'%s",
				 (unsigned)s->key.port_offset, name, s->has_size ? "" : " (give it a size)");
			pop(c);
		}
		pop(c);
		if (r)
			return r;
	}
	return 0;
}

/* Sizeless segments reach the end of their region (sf_segment_end). */
static uint64_t seg_end(const sf_profile *p, const sf_segment *s)
{
	uint64_t e = sf_segment_end(p, s);
	return e > s->address ? e : (uint64_t)s->address + 1;
}

static int parse_segments(pctx *c, json_t *obj, sf_profile *p)
{
	const char *name;
	json_t *v;
	size_t n;
	int r;
	if (!json_is_object(obj))
		return wrong_type(c, obj, "an object of named segments");
	n = json_object_size(obj);
	if (n > MAX_SEGMENTS)
		return perr(c, false, "'segments' has %zu entries (at most %d)", n, MAX_SEGMENTS);
	if (n == 0)
		return 0;
	p->segments = calloc(n, sizeof *p->segments);
	if (!p->segments)
		return sf_err_set(c->err, SF_EXIT_INTERNAL, "out of memory");
	json_object_foreach(obj, name, v) {
		sf_segment *s = &p->segments[p->nsegments];
		s->name = strdup(name);
		p->nsegments++;
		if (!s->name)
			return sf_err_set(c->err, SF_EXIT_INTERNAL, "out of memory");
		push(c, name);
		r = parse_segment(c, name, v, p, s);
		for (size_t j = 0; !r && j + 1 < p->nsegments; j++) {
			const sf_segment *o = &p->segments[j];
			if (o->alt != s->alt || s->address >= seg_end(p, o) || o->address >= seg_end(p, s))
				continue;
			push(c, "address");
			r = perr(c, false, "segment '%.60s' (0x%08X-0x%08llX) overlaps segment '%.60s' (0x%08X-0x%08llX) on alt %d",
				 name, (unsigned)s->address, (unsigned long long)(seg_end(p, s) - 1),
				 o->name, (unsigned)o->address, (unsigned long long)(seg_end(p, o) - 1),
				 s->alt);
			pop(c);
		}
		pop(c);
		if (r)
			return r;
	}
	return 0;
}

void sf_bootloader_generic(sf_bootloader *b)
{
	memset(b, 0, sizeof *b);
	b->first_status = SF_DFU_OK;
	b->leave_state = SF_DFU_MANIFEST;
	b->detach = SF_BL_DETACH_IGNORE;
	b->refused = SF_BL_REFUSED_STATUS;
	b->stall_error = true;
	b->commands = SF_BL_CMD_ALL;
}

static const char *const refused_words[] = { "status", "silent", "stall" };
static const char *const detach_words[] = { "ignore", "stall", "reenumerate" };
static const char *const command_words[] = { "set-address", "erase-page", "mass-erase", "read-unprotect" };

int sf_bl_refused_parse(const char *word, enum sf_bl_refused *out)
{
	for (size_t i = 0; word && i < 3; i++)
		if (!strcmp(word, refused_words[i])) {
			*out = (enum sf_bl_refused)i;
			return 0;
		}
	return -1;
}

const char *sf_bl_refused_name(enum sf_bl_refused r)
{
	return (unsigned)r < 3 ? refused_words[r] : "?";
}

const char *sf_bl_detach_name(enum sf_bl_detach d)
{
	return (unsigned)d < 3 ? detach_words[d] : "?";
}

bool sf_bl_protected(const sf_bootloader *b, int alt, uint32_t addr, uint64_t len)
{
	uint64_t end = (uint64_t)addr + (len ? len : 1);
	for (size_t i = 0; b && i < b->nprotected; i++) {
		const sf_bl_range *r = &b->protected_ranges[i];
		if (r->alt == alt && addr < r->end && r->start < end)
			return true;
	}
	return false;
}

/* A string that must be one of `words`; *out gets its index. */
static int get_word(pctx *c, const json_t *v, const char *const *words, size_t n, int *out)
{
	char where[160], list[160] = "";
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(list + used, sizeof list - used, "%s\"%s\"", i ? ", " : "", words[i]);
		if (k > 0 && (size_t)k < sizeof list - used)
			used += (size_t)k;
	}
	if (!json_is_string(v))
		return wrong_type(c, v, "a string");
	for (size_t i = 0; i < n; i++)
		if (!strcmp(json_string_value(v), words[i])) {
			*out = (int)i;
			return 0;
		}
	return perr(c, false, "'%s' is \"%.40s\"; want one of %s", dotted(c, where, sizeof where),
		    json_string_value(v), list);
}

static int parse_range(pctx *c, json_t *o, const sf_profile *p, sf_bl_range *r)
{
	json_t *v;
	uint32_t x;
	int rc;
	if (!json_is_object(o))
		return wrong_type(c, o, "an object");
	if ((rc = check_keys(c, o, range_keys)))
		return rc;
	if (!(v = json_object_get(o, "alt")))
		return missing(c, "alt");
	push(c, "alt");
	rc = get_u32(c, v, 0, 255, &x);
	if (!rc && !sf_profile_alt(p, (int)x))
		rc = perr(c, false, "protected range on alt %u, which this profile does not declare", (unsigned)x);
	pop(c);
	if (rc)
		return rc;
	r->alt = (int)x;
	if (!(v = json_object_get(o, "start")))
		return missing(c, "start");
	push(c, "start");
	rc = get_u32(c, v, 0, 0xFFFFFFFF, &r->start);
	pop(c);
	if (rc)
		return rc;
	if (!(v = json_object_get(o, "end")))
		return missing(c, "end");
	push(c, "end");
	/* one past the last byte: 2^32 is written as a string */
	if (json_is_string(v) && !strcmp(json_string_value(v), "0x100000000")) {
		r->end = TWO32;
	} else {
		rc = get_u32(c, v, 0, 0xFFFFFFFF, &x);
		r->end = x;
	}
	if (!rc && r->end <= r->start)
		rc = perr(c, false, "protected range ends (0x%08llX) at or before its start (0x%08X); 'end' is one past the last byte",
			  (unsigned long long)r->end, (unsigned)r->start);
	pop(c);
	return rc;
}

static int parse_bootloader(pctx *c, json_t *o, sf_profile *p)
{
	sf_bootloader *b = &p->bootloader;
	json_t *v;
	int r, k;
	if (!json_is_object(o))
		return wrong_type(c, o, "an object");
	if ((r = check_keys(c, o, bl_keys)))
		return r;
	b->present = true;
	if ((v = json_object_get(o, "first_status"))) {
		push(c, "first_status");
		if (!json_is_string(v))
			r = wrong_type(c, v, "a DFU status name such as \"OK\" or \"errFIRMWARE\"");
		else if ((k = sf_dfu_status_from_name(json_string_value(v))) < 0)
			r = perr(c, false, "'bootloader.first_status' \"%.40s\" is not a DFU status name (OK, errTARGET, ..., errFIRMWARE, ..., errSTALLEDPKT)",
				 json_string_value(v));
		else
			b->first_status = (uint8_t)k;
		pop(c);
		if (r)
			return r;
	}
	if ((v = json_object_get(o, "leave_state"))) {
		static const char *const words[] = { "dfuMANIFEST", "dfuDNLOAD-IDLE", "none" };
		static const uint8_t states[] = { SF_DFU_MANIFEST, SF_DFU_DNLOAD_IDLE, SF_BL_LEAVE_NO_ANSWER };
		push(c, "leave_state");
		r = get_word(c, v, words, 3, &k);
		pop(c);
		if (r)
			return r;
		b->leave_state = states[k];
	}
	if ((v = json_object_get(o, "leave_reset_ms"))) {
		push(c, "leave_reset_ms");
		r = get_u32(c, v, 0, 60000, &b->leave_reset_ms);
		pop(c);
		if (r)
			return r;
	}
	if ((v = json_object_get(o, "detach"))) {
		push(c, "detach");
		r = get_word(c, v, detach_words, 3, &k);
		pop(c);
		if (r)
			return r;
		b->detach = (enum sf_bl_detach)k;
	}
	if ((v = json_object_get(o, "refused"))) {
		push(c, "refused");
		r = get_word(c, v, refused_words, 3, &k);
		pop(c);
		if (r)
			return r;
		b->refused = (enum sf_bl_refused)k;
	}
	if ((v = json_object_get(o, "refused_status"))) {
		push(c, "refused_status");
		if (!json_is_string(v))
			r = wrong_type(c, v, "a DFU error status name such as \"errUNKNOWN\"");
		else if ((k = sf_dfu_status_from_name(json_string_value(v))) <= 0)
			r = perr(c, false, "'bootloader.refused_status' \"%.40s\" is not a DFU error status name (errTARGET, ..., errUNKNOWN, errSTALLEDPKT)",
				 json_string_value(v));
		else if (b->refused != SF_BL_REFUSED_STATUS)
			r = perr(c, false, "'bootloader.refused_status' needs \"refused\": \"status\" (a %s refusal reports no status)",
				 refused_words[b->refused]);
		else
			b->refused_status = (uint8_t)k;
		pop(c);
		if (r)
			return r;
	}
	if ((v = json_object_get(o, "stall_error"))) {
		push(c, "stall_error");
		r = get_bool(c, v, &b->stall_error);
		pop(c);
		if (r)
			return r;
	}
	if ((v = json_object_get(o, "commands"))) {
		size_t i;
		json_t *w;
		push(c, "commands");
		if (!json_is_array(v))
			r = wrong_type(c, v, "an array of DfuSe command names");
		b->commands = 0;
		json_array_foreach(v, i, w) {
			if (r)
				break;
			push_index(c, i);
			r = get_word(c, w, command_words, 4, &k);
			if (!r && (b->commands & (1u << k)))
				r = perr(c, false, "command \"%s\" is listed twice", command_words[k]);
			b->commands |= 1u << k;
			pop(c);
		}
		pop(c);
		if (r)
			return r;
	}
	if ((v = json_object_get(o, "protected"))) {
		size_t n, i;
		push(c, "protected");
		if (!json_is_array(v)) {
			r = wrong_type(c, v, "an array of {alt, start, end} ranges");
			pop(c);
			return r;
		}
		n = json_array_size(v);
		if (n > MAX_SEGMENTS) {
			r = perr(c, false, "'bootloader.protected' has %zu ranges (at most %d)", n, MAX_SEGMENTS);
			pop(c);
			return r;
		}
		b->protected_ranges = calloc(n ? n : 1, sizeof *b->protected_ranges);
		if (!b->protected_ranges)
			return sf_err_set(c->err, SF_EXIT_INTERNAL, "out of memory");
		for (i = 0; i < n && !r; i++) {
			push_index(c, i);
			r = parse_range(c, json_array_get(v, i), p, &b->protected_ranges[i]);
			b->nprotected = i + 1;
			pop(c);
		}
		pop(c);
		if (r)
			return r;
	}
	return 0;
}

static int parse_root(pctx *c, json_t *root, sf_profile *p)
{
	json_t *v;
	uint32_t x;
	int r;
	if (!json_is_object(root))
		return wrong_type(c, root, "a JSON object");
	if ((r = check_keys(c, root, root_keys)))
		return r;

	if (!(v = json_object_get(root, "schema")))
		return missing(c, "schema");
	push(c, "schema");
	if (!json_is_integer(v))
		r = wrong_type(c, v, "the integer 1");
	else if (json_integer_value(v) != 1)
		r = perr(c, false, "unsupported schema %lld (this sparkflash reads schema 1)",
			 (long long)json_integer_value(v));
	pop(c);
	if (r)
		return r;

	if (!(v = json_object_get(root, "id")))
		return missing(c, "id");
	push(c, "id");
	r = get_str(c, v, &p->id);
	if (!r && !valid_id(p->id))
		r = perr(c, false, "id \"%.60s\" must be 1-64 characters of a-z A-Z 0-9 _ - . (it names the file ID.json)",
			 p->id);
	pop(c);
	if (r)
		return r;

	if (!(v = json_object_get(root, "name")))
		return missing(c, "name");
	push(c, "name");
	r = get_str(c, v, &p->name);
	pop(c);
	if (r)
		return r;

	p->platform_id = -1;
	if ((v = json_object_get(root, "platform_id"))) {
		push(c, "platform_id");
		r = get_u32(c, v, 0, 0xFFFF, &x);
		pop(c);
		if (r)
			return r;
		p->platform_id = (int)x;
	}

	if (!(v = json_object_get(root, "usb")))
		return missing(c, "usb");
	push(c, "usb");
	r = parse_usb(c, v, p);
	pop(c);
	if (r)
		return r;

	if ((v = json_object_get(root, "write_padding"))) {
		push(c, "write_padding");
		r = get_u32(c, v, 1, 2, &p->write_padding);
		pop(c);
		if (r)
			return r;
	}
	if ((v = json_object_get(root, "default_protocol"))) {
		push(c, "default_protocol");
		r = get_str(c, v, &p->default_protocol);
		if (!r && strcmp(p->default_protocol, "tcp") && strcmp(p->default_protocol, "udp"))
			r = perr(c, false, "default_protocol \"%.40s\" is not \"tcp\" or \"udp\"",
				 p->default_protocol);
		pop(c);
		if (r)
			return r;
	}
	if ((v = json_object_get(root, "dfu_mode_help"))) {
		push(c, "dfu_mode_help");
		r = get_str(c, v, &p->dfu_mode_help);
		pop(c);
		if (r)
			return r;
	}
	if ((v = json_object_get(root, "family"))) {
		push(c, "family");
		r = get_str(c, v, &p->family);
		pop(c);
		if (r)
			return r;
	}
	if ((v = json_object_get(root, "layout_sizes_vary"))) {
		push(c, "layout_sizes_vary");
		r = get_bool(c, v, &p->layout_sizes_vary);
		pop(c);
		if (r)
			return r;
	}

	if (!(v = json_object_get(root, "alts")))
		return missing(c, "alts");
	push(c, "alts");
	r = parse_alts(c, v, p);
	pop(c);
	if (r)
		return r;

	if (!(v = json_object_get(root, "segments")))
		return missing(c, "segments");
	push(c, "segments");
	r = parse_segments(c, v, p);
	pop(c);
	if (r)
		return r;

	/* after alts: protected ranges name alts */
	if ((v = json_object_get(root, "bootloader"))) {
		push(c, "bootloader");
		r = parse_bootloader(c, v, p);
		pop(c);
	}
	return r;
}

int sf_profile_parse(const char *text, size_t len, const char *source,
		     sf_profile *out, sf_err *err)
{
	pctx c = { .text = text, .len = len, .source = source ? source : "(profile)", .err = err };
	json_error_t jerr;
	json_t *root;
	int r;

	memset(out, 0, sizeof *out);
	out->write_padding = 1;
	out->bcd_device = 0x0200;
	out->transfer_size = 1024;
	out->detach_timeout = 255;
	out->platform_id = -1;
	sf_bootloader_generic(&out->bootloader);

	if (!text)
		return sf_err_set(err, SF_EXIT_REFUSED, "%s: no profile text", c.source);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		return sf_err_set(err, SF_EXIT_REFUSED, "%s:%d:%d: %s", c.source,
				  jerr.line > 0 ? jerr.line : 1, jerr.column > 0 ? jerr.column : 1,
				  jerr.text);
	}
	r = parse_root(&c, root, out);
	json_decref(root);
	if (!r) {
		out->source = strdup(c.source);
		if (!out->source)
			r = sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	}
	if (r) {
		sf_profile_free(out);
		return r;
	}
	return 0;
}

void sf_profile_free(sf_profile *p)
{
	if (!p)
		return;
	free(p->source);
	free(p->id);
	free(p->name);
	free(p->manufacturer);
	free(p->product);
	free(p->dfu_mode_help);
	free(p->family);
	free(p->default_protocol);
	for (size_t i = 0; i < p->nalts; i++) {
		free(p->alts[i].layout_text);
		sf_layout_free(&p->alts[i].layout);
	}
	free(p->alts);
	for (size_t i = 0; i < p->nsegments; i++)
		free(p->segments[i].name);
	free(p->segments);
	free(p->bootloader.protected_ranges);
	memset(p, 0, sizeof *p);
}

const sf_alt *sf_profile_alt(const sf_profile *p, int alt)
{
	if (!p)
		return NULL;
	for (size_t i = 0; i < p->nalts; i++)
		if (p->alts[i].alt == alt)
			return &p->alts[i];
	return NULL;
}

const sf_segment *sf_profile_segment(const sf_profile *p, const char *name)
{
	if (!p || !name)
		return NULL;
	for (size_t i = 0; i < p->nsegments; i++)
		if (!strcmp(p->segments[i].name, name))
			return &p->segments[i];
	return NULL;
}

const sf_profile *sf_profiles_match_usb(const sf_profile *profiles, size_t n,
					uint16_t vid, uint16_t pid, bool runtime)
{
	for (size_t i = 0; i < n; i++) {
		const sf_profile *p = &profiles[i];
		if (runtime) {
			if (p->has_runtime && p->runtime.vid == vid && p->runtime.pid == pid)
				return p;
		} else if (p->dfu.vid == vid && p->dfu.pid == pid) {
			return p;
		}
	}
	return NULL;
}

uint64_t sf_segment_end(const sf_profile *p, const sf_segment *s)
{
	const sf_alt *a;
	const sf_region *r;
	if (s->has_size)
		return (uint64_t)s->address + s->size;
	a = sf_profile_alt(p, s->alt);
	r = a ? sf_layout_find(&a->layout, s->address) : NULL;
	return r ? r->end : (uint64_t)s->address;
}

const sf_segment *sf_profile_segment_overlapping(const sf_profile *p, int alt, uint32_t addr,
						 uint64_t len, bool only_protected)
{
	uint64_t end = (uint64_t)addr + (len ? len : 1);
	if (!p)
		return NULL;
	for (size_t i = 0; i < p->nsegments; i++) {
		const sf_segment *s = &p->segments[i];
		uint64_t s_end = sf_segment_end(p, s);
		if (s->alt != alt || (only_protected && !s->is_protected))
			continue;
		if (s_end <= s->address)
			s_end = (uint64_t)s->address + 1;
		if (addr < s_end && s->address < end)
			return s;
	}
	return NULL;
}
