#include <config.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "numparse.h"
#include "plan.h"

const char *sf_op_kind_name(sf_op_kind kind)
{
	switch (kind) {
	case SF_OP_FLASH_USB: return "flash-usb";
	case SF_OP_FLASH_FACTORY: return "flash-factory";
	case SF_OP_WRITE_SEGMENT: return "write-segment";
	case SF_OP_WRITE_ADDRESS: return "write-address";
	case SF_OP_READ_SEGMENT: return "read-segment";
	case SF_OP_READ_ADDRESS: return "read-address";
	case SF_OP_KEYS_SAVE: return "keys-save";
	case SF_OP_KEYS_LOAD: return "keys-load";
	case SF_OP_KEYS_SERVER: return "keys-server";
	case SF_OP_KEYS_ADDRESS: return "keys-address";
	}
	return "unknown";
}

static bool kind_is_read(sf_op_kind k)
{
	return k == SF_OP_READ_SEGMENT || k == SF_OP_READ_ADDRESS ||
	       k == SF_OP_KEYS_SAVE || k == SF_OP_KEYS_ADDRESS;
}

static bool kind_is_keys(sf_op_kind k)
{
	return k == SF_OP_KEYS_SAVE || k == SF_OP_KEYS_LOAD ||
	       k == SF_OP_KEYS_SERVER || k == SF_OP_KEYS_ADDRESS;
}

static bool kind_is_firmware(sf_op_kind k)
{
	return k == SF_OP_FLASH_USB || k == SF_OP_FLASH_FACTORY ||
	       k == SF_OP_WRITE_SEGMENT || k == SF_OP_WRITE_ADDRESS;
}

/* Layout name without trailing spaces ("Internal Flash  " -> "Internal Flash"). */
static void trimmed_name(const sf_alt *a, char *buf, size_t size)
{
	size_t n = strlen(a->layout.name);
	while (n > 0 && isspace((unsigned char)a->layout.name[n - 1]))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(buf, a->layout.name, n);
	buf[n] = '\0';
}

/* "alt 0 (Internal Flash)" */
static const char *alt_label(const sf_alt *a, char *buf, size_t size)
{
	char name[128];
	trimmed_name(a, name, sizeof name);
	snprintf(buf, size, "alt %d (%s)", a->alt, name);
	return buf;
}

/* One past the segment's last byte; 0 when its address is unmapped. */
static uint64_t seg_end(const sf_profile *p, const sf_segment *seg)
{
	const sf_alt *a;
	const sf_region *r;
	if (seg->has_size && seg->size > 0)
		return (uint64_t)seg->address + seg->size;
	a = sf_profile_alt(p, seg->alt);
	if (!a || !(r = sf_layout_find(&a->layout, seg->address)))
		return 0;
	return r->end;
}

const sf_alt *sf_plan_find_alt(const sf_profile *p, const char *text, sf_err *err)
{
	uint32_t n;
	char list[256] = "";
	size_t used = 0;

	if (sf_parse_u32_strict(text, &n) == SF_NUM_OK) {
		if (n <= 255) {
			const sf_alt *a = sf_profile_alt(p, (int)n);
			if (a)
				return a;
		}
	} else {
		for (size_t i = 0; i < p->nalts; i++) {
			char name[128];
			trimmed_name(&p->alts[i], name, sizeof name);
			if (!strcasecmp(name, text) ||
			    (p->alts[i].layout_text && !strcmp(p->alts[i].layout_text, text)))
				return &p->alts[i];
		}
	}
	for (size_t i = 0; i < p->nalts && used < sizeof list - 1; i++) {
		char name[128];
		int w;
		trimmed_name(&p->alts[i], name, sizeof name);
		w = snprintf(list + used, sizeof list - used, "%s%d (%s)", i ? ", " : "",
			     p->alts[i].alt, name);
		if (w < 0)
			break;
		used += (size_t)w;
		if (used >= sizeof list)
			used = sizeof list - 1;
	}
	sf_err_set(err, SF_EXIT_REFUSED, "--alt '%s' is not an alt setting of profile %s (alts: %s)",
		   text, p->id, list);
	return NULL;
}

static int find_segment(const sf_profile *p, const char *name, const sf_segment **out,
			sf_err *err)
{
	char list[384] = "";
	size_t used = 0;
	*out = name ? sf_profile_segment(p, name) : NULL;
	if (*out) {
		if (!sf_profile_alt(p, (*out)->alt))
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "segment %s of profile %s is on alt %d, which the profile does not describe",
					  name, p->id, (*out)->alt);
		return 0;
	}
	for (size_t i = 0; i < p->nsegments && used < sizeof list - 1; i++) {
		int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
				 p->segments[i].name);
		if (w < 0)
			break;
		used += (size_t)w;
		if (used >= sizeof list)
			used = sizeof list - 1;
	}
	return sf_err_set(err, SF_EXIT_REFUSED, "profile %s has no segment '%s' (segments: %s)",
			  p->id, name ? name : "", list);
}

/* Alt for a bare address: the one alt whose layout maps it. */
static int infer_alt(const sf_profile *p, uint32_t addr, const char *text,
		     const sf_alt **out, sf_err *err)
{
	const sf_alt *found = NULL;
	size_t nfound = 0;
	char list[256] = "";
	size_t used = 0;

	for (size_t i = 0; i < p->nalts; i++) {
		if (sf_layout_find(&p->alts[i].layout, addr)) {
			found = &p->alts[i];
			nfound++;
		}
	}
	if (nfound == 1) {
		*out = found;
		return 0;
	}
	for (size_t i = 0; i < p->nalts && used < sizeof list - 1; i++) {
		char lab[160];
		const sf_layout *l = &p->alts[i].layout;
		int w;
		if (nfound > 1 && !sf_layout_find(l, addr))
			continue;
		if (l->nregions == 0)
			continue;
		w = snprintf(list + used, sizeof list - used, "%s%s 0x%08" PRIx32 "-0x%08" PRIx64,
			     used ? ", " : "", alt_label(&p->alts[i], lab, sizeof lab),
			     l->regions[0].start, l->regions[l->nregions - 1].end - 1);
		if (w < 0)
			break;
		used += (size_t)w;
		if (used >= sizeof list)
			used = sizeof list - 1;
	}
	if (nfound == 0)
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "address %s (0x%08" PRIx32 ") is not in the memory map of any alt of profile %s (%s)",
				  text, addr, p->id, list);
	return sf_err_set(err, SF_EXIT_REFUSED,
			  "address %s (0x%08" PRIx32 ") is mapped on several alts of profile %s (%s); pass --alt N",
			  text, addr, p->id, list);
}

static int parse_num(const char *what, const char *text, uint32_t *out, sf_err *err)
{
	sf_num_status st = sf_parse_u32_strict(text, out);
	if (st != SF_NUM_OK)
		return sf_err_set(err, SF_EXIT_REFUSED, "%s '%s' %s", what, text ? text : "",
				  sf_num_status_text(st));
	return 0;
}

int sf_plan_check_syntax(const sf_op_request *req, sf_err *err)
{
	uint32_t addr = 0, len;
	int rc;
	if (req->kind == SF_OP_WRITE_ADDRESS || req->kind == SF_OP_READ_ADDRESS)
		if ((rc = parse_num("address", req->address, &addr, err)))
			return rc;
	if (req->kind == SF_OP_READ_ADDRESS) {
		if ((rc = parse_num("length", req->length, &len, err)))
			return rc;
		if (len == 0)
			return sf_err_set(err, SF_EXIT_REFUSED, "length 0: nothing to read");
		if ((uint64_t)addr + len > 0x100000000ull)
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "reading %" PRIu32 " bytes at 0x%08" PRIx32 " wraps past the 32-bit address space (0xffffffff)",
					  len, addr);
	}
	if (req->kind == SF_OP_WRITE_ADDRESS && req->file_size &&
	    (uint64_t)addr + req->file_size > 0x100000000ull)
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "writing %" PRIu64 " bytes at 0x%08" PRIx32 " wraps past the 32-bit address space (0xffffffff)",
				  req->file_size, addr);
	return 0;
}

/* First address at or after `from` whose region has all of `need` (0 = none). */
static uint64_t next_with(const sf_layout *l, uint64_t from, unsigned need)
{
	uint64_t best = 0;
	for (size_t i = 0; i < l->nregions; i++) {
		const sf_region *r = &l->regions[i];
		if ((r->flags & need) != need || r->end <= from)
			continue;
		uint64_t cand = r->start > from ? r->start : from;
		if (!best || cand < best)
			best = cand;
	}
	return best;
}

/* Every byte of [addr, addr+len) mapped with `need`; else a message naming
 * the first offending byte and the region it falls in. */
static int check_range(const sf_profile *p, const sf_alt *a, uint32_t addr, uint64_t len,
		       unsigned need, const char *what, sf_err *err)
{
	uint64_t cur = addr, end = (uint64_t)addr + len;
	char lab[160];
	alt_label(a, lab, sizeof lab);
	while (cur < end) {
		const sf_region *r = sf_layout_find(&a->layout, (uint32_t)cur);
		if (!r) {
			if (cur == addr)
				return sf_err_set(err, SF_EXIT_REFUSED,
						  "0x%08" PRIx32 " is not mapped on %s of profile %s",
						  addr, lab, p->id);
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "%s at 0x%08" PRIx32 " runs past the mapped memory of %s: the last mapped byte is 0x%08" PRIx64 ", so %" PRIu64 " %s too many",
					  what, addr, lab, cur - 1, end - cur, end - cur == 1 ? "byte is" : "bytes are");
		}
		if ((r->flags & need) != need) {
			const char *kind = r->flags == SF_MEM_READABLE ? "read-only" :
					   need == SF_MEM_READABLE ? "unreadable" : "non-writable";
			uint64_t next = next_with(&a->layout, r->end, need);
			char hint[160] = "";
			if (next && next <= 0xFFFFFFFFu) {
				const char *segname = NULL;
				for (size_t i = 0; i < p->nsegments; i++)
					if (p->segments[i].alt == a->alt && p->segments[i].address == next)
						segname = p->segments[i].name;
				if (segname)
					snprintf(hint, sizeof hint, "; %s starts at 0x%08" PRIx64, segname, next);
				else
					snprintf(hint, sizeof hint, "; the next %s address is 0x%08" PRIx64,
						 need == SF_MEM_READABLE ? "readable" : "writable", next);
			}
			char flags[16] = "";
			if (r->flags != SF_MEM_READABLE)
				snprintf(flags, sizeof flags, " (flags '%s')", sf_layout_flags_str(r->flags));
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "0x%08" PRIx64 " is in the %s region 0x%08" PRIx32 "-0x%08" PRIx64 "%s of %s%s",
					  cur, kind, r->start, r->end - 1, flags, lab, hint);
		}
		cur = r->end;
	}
	return 0;
}

static bool allowed(const sf_op_request *req, const char *name)
{
	for (size_t i = 0; i < req->nallow_protected; i++)
		if (req->allow_protected[i] && !strcmp(req->allow_protected[i], name))
			return true;
	return false;
}

/* The protected segment of alt `a` that the erase footprint of `pl` hits,
 * starting the search at index *from (updated); NULL when none is left. */
static const sf_segment *next_protected_hit(const sf_profile *p, const sf_alt *a,
					    const sf_op_request *req, const sf_segment *target,
					    const sf_plan *pl, size_t *from, uint64_t *send_out)
{
	for (size_t i = *from; i < p->nsegments; i++) {
		const sf_segment *s = &p->segments[i];
		uint64_t send;
		if (!s->is_protected || s->alt != a->alt)
			continue;
		if (kind_is_keys(req->kind) && s == target)
			continue;
		if (allowed(req, s->name))
			continue;
		send = seg_end(p, s);
		if (send == 0)
			send = (uint64_t)s->address + 1;
		if (!(s->address < pl->erase_end && send > pl->erase_start))
			continue;
		*from = i + 1;
		*send_out = send;
		return s;
	}
	*from = p->nsegments;
	return NULL;
}

/* What writes protected segment `s` besides --allow-protected: the keys
 * command that picks it (keys load/server choose <proto>PrivateKey /
 * <proto>ServerKey by --protocol, else the profile's default_protocol;
 * keys protocol writes the transport flag), as "; only 'sparkflash keys
 * load FILE' writes it, or"; for the rest (bootloader, OTA flag, option
 * bytes, ...) that no command writes: "; no sparkflash command writes it
 * for you:". */
static void writer_of(const sf_profile *p, const sf_segment *s, char *buf, size_t size)
{
	const char *n = s->name, *proto = NULL, *cmd = NULL;
	char opt[32] = "";
	if (!strncmp(n, "tcp", 3))
		proto = "tcp";
	else if (!strncmp(n, "udp", 3))
		proto = "udp";
	if (proto && s->key.present && !strcmp(n + 3, "PrivateKey"))
		cmd = "keys load FILE";
	else if (proto && s->key.present && !strcmp(n + 3, "ServerKey"))
		cmd = "keys server FILE";
	if (cmd) {
		if (!p->default_protocol || strcmp(p->default_protocol, proto))
			snprintf(opt, sizeof opt, " --protocol %s", proto);
		snprintf(buf, size, "; only 'sparkflash %s%s' writes it, or", cmd, opt);
	} else if (!strcmp(n, "transport")) {
		snprintf(buf, size, "; only 'sparkflash keys protocol tcp|udp' writes it, or");
	} else {
		snprintf(buf, size, "; no sparkflash command writes it for you:");
	}
}

static int check_protected(const sf_profile *p, const sf_alt *a, const sf_op_request *req,
			   const sf_segment *target, const sf_plan *pl, sf_err *err)
{
	char lab[160], flags[256] = "", names[200] = "", writer[120];
	uint64_t wend = (uint64_t)pl->address + pl->length, send, ignored;
	size_t from = 0, used = 0, nused = 0;
	const sf_segment *s = next_protected_hit(p, a, req, target, pl, &from, &send), *o;

	if (!s)
		return 0;
	/* Name every segment in the way, so one retry with the right
	 * --allow-protected options is enough. */
	while ((o = next_protected_hit(p, a, req, target, pl, &from, &ignored)) &&
	       used < sizeof flags && nused < sizeof names) {
		int w = snprintf(flags + used, sizeof flags - used, " --allow-protected %s", o->name);
		int k = snprintf(names + nused, sizeof names - nused, "%s%s", nused ? ", " : "", o->name);
		if (w < 0 || k < 0)
			break;
		used += (size_t)w;
		nused += (size_t)k;
	}
	alt_label(a, lab, sizeof lab);
	writer_of(p, s, writer, sizeof writer);
	if (s->address < wend && send > pl->address)
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "writing 0x%08" PRIx32 "-0x%08" PRIx64 " on %s overwrites the protected segment %s (0x%08" PRIx32 "-0x%08" PRIx64 ")%s%s%s pass --allow-protected %s%s",
				  pl->address, wend - 1, lab, s->name, s->address, send - 1,
				  nused ? " and touches " : "", names, writer, s->name, flags);
	return sf_err_set(err, SF_EXIT_REFUSED,
			  "writing 0x%08" PRIx32 "-0x%08" PRIx64 " on %s erases the whole page(s) 0x%08" PRIx32 "-0x%08" PRIx64 ", which hold the protected segment %s (0x%08" PRIx32 "-0x%08" PRIx64 ")%s%s; write outside those pages, or pass --allow-protected %s%s",
			  pl->address, wend - 1, lab, pl->erase_start, pl->erase_end - 1,
			  s->name, s->address, send - 1, nused ? " and " : "", names, s->name, flags);
}

/* Module header rules (spark-cli.md §3.2, minus its --force fallthrough
 * into the user slot: non-DFU module kinds are refused even with --force). */
static int check_module(const sf_profile *p, const sf_op_request *req, sf_plan *pl, sf_err *err)
{
	const sf_module_info *m = req->module;
	if (!m || !m->is_module)
		return 0;
	if (m->function >= 1 && m->function <= 9 && !sf_module_function_dfu_flashable(m->function))
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "the image is a %s module (function %u), which cannot be flashed over DFU; --force does not change this",
				  sf_module_function_name(m->function), m->function);
	if (m->has_suffix && m->suffix_size == 0xFFFF) {
		snprintf(pl->warning, sizeof pl->warning,
			 "unable to verify binary info (module suffix size 0xffff): CRC not checked");
	} else if (!m->crc_ok) {
		if (!req->force)
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "the image's CRC is invalid (stored 0x%08" PRIx32 ", computed 0x%08" PRIx32 "): the file is damaged; pass --force to flash it anyway",
					  m->crc_stored, m->crc_computed);
		snprintf(pl->warning, sizeof pl->warning, "flashing an image with an invalid CRC (--force)");
	}
	if (p->platform_id >= 0 && m->platform_id != (unsigned)p->platform_id) {
		if (!req->force)
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "the image is for platform %u but profile %s (%s) is platform %d; pass --force to flash it anyway",
					  m->platform_id, p->id, p->name ? p->name : p->id, p->platform_id);
		snprintf(pl->warning, sizeof pl->warning,
			 "flashing a platform %u image to platform %d (--force)", m->platform_id,
			 p->platform_id);
	}
	return 0;
}

/* A write of the factory image: flash --factory, and flash --segment
 * factoryReset, which must agree with it (the same checks, the same
 * messages). */
static bool is_factory_write(const sf_op_request *req)
{
	return req->kind == SF_OP_FLASH_FACTORY ||
	       (req->kind == SF_OP_WRITE_SEGMENT && req->segment && !strcmp(req->segment, "factoryReset"));
}

/* Only an application goes to the factory reset location (particle-cli
 * 3.x: "Cannot flash a non-application binary to the factory reset
 * location"). */
static int check_factory_module(const sf_profile *p, const sf_op_request *req, sf_err *err)
{
	const sf_module_info *m = req->module;
	if (!m || !m->is_module || m->function == SF_MODFN_USER_PART ||
	    (m->function == SF_MODFN_MONO_FIRMWARE && !sf_profile_segment(p, "systemFirmwareOne")))
		return 0;
	return sf_err_set(err, SF_EXIT_REFUSED,
			  "the image is a %s module; only an application can go to the factory reset location",
			  sf_module_function_name(m->function));
}

/* Destination of flash --usb / --factory (spark-cli.md §3.2). */
static int module_destination(const sf_profile *p, const sf_op_request *req,
			      const char **name, sf_plan *pl, sf_err *err)
{
	const sf_module_info *m = req->module;
	bool factory = req->kind == SF_OP_FLASH_FACTORY;
	bool has_sys1 = sf_profile_segment(p, "systemFirmwareOne") != NULL;
	static const char *const sysparts[] = { "systemFirmwareOne", "systemFirmwareTwo",
						"systemFirmwareThree" };

	*name = factory ? "factoryReset" : "userFirmware";
	if (!m || !m->is_module)
		return 0;
	if (factory)
		return check_factory_module(p, req, err);
	switch (m->function) {
	case SF_MODFN_MONO_FIRMWARE:
		if (has_sys1)
			*name = "systemFirmwareOne";
		return 0;
	case SF_MODFN_SYSTEM_PART:
		if (m->index < 1 || m->index > 3 || !sf_profile_segment(p, sysparts[m->index - 1]))
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "the image is system part %u, but profile %s has no segment for it",
					  m->index, p->id);
		*name = sysparts[m->index - 1];
		return 0;
	case SF_MODFN_USER_PART:
		return 0;
	case SF_MODFN_RADIO_STACK:
		*name = "radioStack";
		return 0;
	default:
		if (!req->force)
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "unknown module function %u; pass --force to write it to %s",
					  m->function, *name);
		snprintf(pl->warning, sizeof pl->warning,
			 "unknown module function %u written to %s (--force)", m->function, *name);
		return 0;
	}
}

static int plan_write(const sf_profile *p, const sf_op_request *req, const sf_alt *a,
		      const sf_segment *seg, sf_plan *pl, sf_err *err)
{
	uint64_t size = req->file_size, padded;
	uint32_t ps, psz, ls, lsz;
	char lab[160], what[160];
	int rc;

	alt_label(a, lab, sizeof lab);
	if (size == 0)
		return sf_err_set(err, SF_EXIT_REFUSED, "the file is empty: nothing to write");
	padded = size;
	if (p->write_padding > 1 && size % p->write_padding)
		padded = size + (p->write_padding - size % p->write_padding);
	/* the size that is checked is the size written: the padded one */
	if (padded != size)
		snprintf(what, sizeof what, "writing %" PRIu64 " bytes (the %" PRIu64 "-byte image padded to %s)",
			 padded, size, p->write_padding == 2 ? "even length" : "the write unit");
	else
		snprintf(what, sizeof what, "writing %" PRIu64 " %s", size, size == 1 ? "byte" : "bytes");
	if ((uint64_t)pl->address + padded > 0x100000000ull)
		return sf_err_set(err, SF_EXIT_REFUSED, "%s at 0x%08" PRIx32 " wraps past the 32-bit address space (0xffffffff)",
				  what, pl->address);
	pl->file_size = size;
	pl->pad = padded != size;
	pl->length = (uint32_t)padded;
	if (seg) {
		uint64_t send = seg_end(p, seg);
		if (send == 0)
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "segment %s (0x%08" PRIx32 ") is not mapped on %s",
					  seg->name, seg->address, lab);
		if ((uint64_t)pl->address + padded > send) {
			uint64_t room = send - pl->address;
			char at[64] = "";
			/* a module placed by its header starts inside the segment */
			if (pl->address != seg->address)
				snprintf(at, sizeof at, " from 0x%08" PRIx32, pl->address);
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "%s does not fit: segment %s holds %" PRIu64 " %s%s (0x%08" PRIx32 "-0x%08" PRIx64 ")",
					  what, seg->name, room, room == 1 ? "byte" : "bytes", at, seg->address,
					  send - 1);
		}
	}
	if ((rc = check_range(p, a, pl->address, padded, SF_MEM_WRITABLE, what, err)))
		return rc;
	if (a->erase_none) {
		pl->erase_start = pl->address;
		pl->erase_end = (uint64_t)pl->address + padded;
	} else {
		if (!sf_layout_page(&a->layout, pl->address, &ps, &psz) ||
		    !sf_layout_page(&a->layout, (uint32_t)(pl->address + padded - 1), &ls, &lsz))
			return sf_err_set(err, SF_EXIT_INTERNAL, "no page for a mapped address");
		pl->erase_start = ps;
		pl->erase_end = (uint64_t)ls + lsz;
	}
	return check_protected(p, a, req, seg, pl, err);
}

static int plan_read(const sf_profile *p, const sf_op_request *req, const sf_alt *a,
		     const sf_segment *seg, sf_plan *pl, sf_err *err)
{
	uint32_t len;
	int rc;
	if (seg) {
		uint64_t send = seg_end(p, seg);
		char lab[160];
		if (send == 0)
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "segment %s (0x%08" PRIx32 ") is not mapped on %s", seg->name,
					  seg->address, alt_label(a, lab, sizeof lab));
		if (send - seg->address > 0xFFFFFFFFull)
			return sf_err_set(err, SF_EXIT_REFUSED, "segment %s is too large to read at once",
					  seg->name);
		len = (uint32_t)(send - seg->address);
	} else {
		if ((rc = parse_num("length", req->length, &len, err)))
			return rc;
		if (len == 0)
			return sf_err_set(err, SF_EXIT_REFUSED, "length 0: nothing to read");
		if ((uint64_t)pl->address + len > 0x100000000ull)
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "reading %" PRIu32 " bytes at 0x%08" PRIx32 " wraps past the 32-bit address space (0xffffffff)",
					  len, pl->address);
	}
	pl->length = len;
	{
		char what[64];
		snprintf(what, sizeof what, "reading %" PRIu32 " %s", len, len == 1 ? "byte" : "bytes");
		return check_range(p, a, pl->address, len, SF_MEM_READABLE, what, err);
	}
}

int sf_plan_make(const sf_profile *p, const sf_op_request *req, sf_plan *out, sf_err *err)
{
	const sf_segment *seg = NULL;
	const sf_alt *a = NULL;
	const char *segname = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	out->upload = kind_is_read(req->kind);

	for (size_t i = 0; i < req->nallow_protected; i++) {
		const sf_segment *s = sf_profile_segment(p, req->allow_protected[i]);
		if (!s || !s->is_protected)
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "--allow-protected %s: profile %s has no protected segment of that name",
					  req->allow_protected[i], p->id);
	}
	if (kind_is_firmware(req->kind) && (rc = check_module(p, req, out, err)))
		return rc;
	if (req->kind == SF_OP_WRITE_SEGMENT && is_factory_write(req) && (rc = check_factory_module(p, req, err)))
		return rc;

	switch (req->kind) {
	case SF_OP_FLASH_USB:
	case SF_OP_FLASH_FACTORY:
		if ((rc = module_destination(p, req, &segname, out, err)))
			return rc;
		break;
	case SF_OP_WRITE_ADDRESS:
	case SF_OP_READ_ADDRESS:
		break;
	default:
		segname = req->segment;
		break;
	}

	if (segname) {
		if ((rc = find_segment(p, segname, &seg, err)))
			return rc;
		a = sf_profile_alt(p, seg->alt);
		if (req->alt) {
			const sf_alt *given = sf_plan_find_alt(p, req->alt, err);
			if (!given)
				return SF_EXIT_REFUSED;
			if (given != a)
				return sf_err_set(err, SF_EXIT_REFUSED,
						  "segment %s is on alt %d, not on --alt %s", seg->name,
						  seg->alt, req->alt);
		}
		out->address = seg->address;
		/* a segment a module may sit anywhere in (the P2's user part
		 * grows down from the segment's end): where its header says */
		if (seg->header_placement && req->module && req->module->is_module && !out->upload &&
		    kind_is_firmware(req->kind) && !is_factory_write(req) &&
		    req->module->start_address > seg->address &&
		    req->module->start_address < sf_segment_end(p, seg))
			out->address = req->module->start_address;
	} else {
		if ((rc = parse_num("address", req->address, &out->address, err)))
			return rc;
		if (req->alt) {
			if (!(a = sf_plan_find_alt(p, req->alt, err)))
				return SF_EXIT_REFUSED;
		} else if ((rc = infer_alt(p, out->address, req->address, &a, err))) {
			return rc;
		}
		/* A bare address naming a segment's start behaves like that segment
		 * for the defaults (leave), not for the size limit. */
		for (size_t i = 0; i < p->nsegments; i++)
			if (p->segments[i].alt == a->alt && p->segments[i].address == out->address) {
				snprintf(out->segment, sizeof out->segment, "%s", p->segments[i].name);
				if (!p->segments[i].is_protected)
					out->leave = p->segments[i].leave;
				break;
			}
	}
	out->alt = a->alt;
	trimmed_name(a, out->alt_name, sizeof out->alt_name);
	if (seg) {
		snprintf(out->segment, sizeof out->segment, "%s", seg->name);
		out->leave = seg->leave;
	}

	/* A module linked for another address would not run where it lands
	 * (particle-cli #610); factory images are copies, stored elsewhere. */
	if (req->module && req->module->is_module && !out->upload &&
	    !is_factory_write(req) && kind_is_firmware(req->kind) &&
	    req->module->start_address != out->address) {
		if (!req->force)
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "the image's header says it runs at 0x%08" PRIx32 ", but %s%s0x%08" PRIx32 "; %spass --force to write it there anyway",
					  req->module->start_address, out->segment[0] ? out->segment : "the address",
					  out->segment[0] ? " is at " : " is ", out->address,
					  !strcmp(out->segment, "factoryReset") ? "to store it as the factory image use --factory, or " : "");
		snprintf(out->warning, sizeof out->warning,
			 "writing an image linked for 0x%08" PRIx32 " to 0x%08" PRIx32 " (--force)",
			 req->module->start_address, out->address);
	}

	rc = out->upload ? plan_read(p, req, a, seg, out, err)
			 : plan_write(p, req, a, seg, out, err);
	if (rc)
		return rc;

	/* Reads and key writes never leave DFU mode unless asked to. */
	if (out->upload || kind_is_keys(req->kind))
		out->leave = false;
	if (req->leave == SF_LEAVE_YES)
		out->leave = true;
	else if (req->leave == SF_LEAVE_NO)
		out->leave = false;
	return 0;
}

void sf_plan_leave_only(const sf_plan *pl, sf_plan *out)
{
	*out = *pl;
	out->upload = false;
	out->leave = true;
	out->leave_only = true;
	out->length = 0;
	out->file_size = 0;
	out->pad = false;
	out->erase_start = pl->address;
	out->erase_end = pl->address; /* erases nothing */
	out->warning[0] = '\0';
}

void sf_plan_verified(const sf_plan *pl, sf_plan *write, sf_plan *readback, sf_plan *leave,
		      bool *has_leave)
{
	*write = *pl;
	write->leave = false;
	*readback = *pl;
	readback->upload = true;
	readback->leave = false;
	readback->pad = false;
	readback->warning[0] = '\0';
	*has_leave = pl->leave && !pl->upload;
	if (*has_leave)
		sf_plan_leave_only(pl, leave);
	else
		memset(leave, 0, sizeof *leave);
}
