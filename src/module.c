/* Particle module images, DFU suffixes and dfu-util's prefix sniffing.
 * Pure: every function works on a caller's buffer and never reads outside it. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <zlib.h>

#include "module.h"

#define PREFIX_LEN 24u
#define SUFFIX_BASE 36u     /* reserved + SHA-256 + size field */
#define SUFFIX_PRODUCT 40u  /* + product id + product version */
#define DFU_SUFFIX_LEN 16u

static uint16_t rd16le(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32le(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static uint32_t rd32be(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

uint32_t sf_crc32(uint32_t crc, const uint8_t *data, size_t len)
{
	/* zlib's CRC-32 (its convention: crc is the finished value of the
	 * previous chunk); zlib counts in uInt, so long buffers go in pieces */
	uLong c = crc;
	while (len) {
		uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;
		c = crc32(c, data, n);
		data += n;
		len -= n;
	}
	return (uint32_t)c;
}

const char *sf_module_function_name(unsigned fn)
{
	static const char *const names[] = {
		"none", "resource", "bootloader", "monolithic firmware",
		"system part", "user part", "settings", "NCP firmware",
		"radio stack", "asset",
	};
	if (fn < sizeof names / sizeof names[0])
		return names[fn];
	return "unknown";
}

bool sf_module_function_dfu_flashable(unsigned fn)
{
	return fn == SF_MODFN_MONO_FIRMWARE || fn == SF_MODFN_SYSTEM_PART ||
	       fn == SF_MODFN_USER_PART || fn == SF_MODFN_RADIO_STACK;
}

const char *sf_module_flags_text(unsigned flags, char *buf, size_t size)
{
	static const char *const names[] = {
		"drop-module-info", "compressed", "combined", "encrypted",
		"prefix-extensions",
	};
	size_t n = 0;

	if (!buf || !size)
		return "";
	buf[0] = '\0';
	if (!flags) {
		snprintf(buf, size, "none");
		return buf;
	}
	for (unsigned i = 0; i < 5; i++) {
		if (!(flags & (1u << i)))
			continue;
		int w = snprintf(buf + n, size - n, "%s%s", n ? "," : "", names[i]);
		if (w < 0 || (size_t)w >= size - n)
			return buf;
		n += (size_t)w;
	}
	if (flags & ~0x1Fu)
		snprintf(buf + n, size - n, "%sunknown(0x%02x)", n ? "," : "", flags & ~0x1Fu);
	return buf;
}

static const struct platform {
	unsigned id;
	const char *name, *slug;
} platforms[] = {
	{ 0, "Core", "core" },
	{ 6, "Photon", "photon" },
	{ 8, "P1", "p1" },
	{ 10, "Electron", "electron" },
	{ 12, "Argon", "argon" },
	{ 13, "Boron", "boron" },
	{ 14, "Xenon", "xenon" },
	{ 15, "E SoM X", "esomx" },
	{ 22, "A SoM", "asom" },
	{ 23, "B SoM", "bsom" },
	{ 24, "X SoM", "xsom" },
	{ 25, "B5 SoM", "b5som" },
	{ 26, "Tracker", "tracker" },
	{ 28, "Tracker M", "trackerm" },
	{ 32, "P2 / Photon 2", "p2" },
	{ 35, "M SoM", "msom" },
	{ 37, "Electron 2", "electron2" },
	{ 38, "Sulu", "sulu" },
	{ 42, "Tachyon", "tachyon" },
	{ 82, "Oak", "oak" },
	{ 88, "RedBear Duo", "duo" },
	{ 103, "Bluz", "bluz" },
	{ 269, "Bluz gateway", "bluz-gateway" },
	{ 270, "Bluz beacon", "bluz-beacon" },
};

static const struct platform *platform_find(unsigned id)
{
	for (size_t i = 0; i < sizeof platforms / sizeof platforms[0]; i++)
		if (platforms[i].id == id)
			return &platforms[i];
	return NULL;
}

const char *sf_platform_name(unsigned platform_id)
{
	const struct platform *p = platform_find(platform_id);
	return p ? p->name : NULL;
}

const char *sf_platform_slug(unsigned platform_id)
{
	const struct platform *p = platform_find(platform_id);
	return p ? p->slug : NULL;
}

/* Known prefix offsets, in the order newer binary-version-reader tries them
 * (the order breaks ties between equally good candidates). */
static const uint32_t prefix_offsets[] = { 0, 0x200, 0x184, 0xC0, 0x10C };

static void read_prefix(const uint8_t *p, sf_module_info *m)
{
	m->start_address = rd32le(p);
	m->end_address = rd32le(p + 4);
	m->mcu_target = p[8];
	m->flags = p[9];
	m->module_version = rd16le(p + 10);
	m->platform_id = rd16le(p + 12);
	m->function = p[14];
	m->index = p[15];
	for (int i = 0; i < 2; i++) {
		m->deps[i].function = p[16 + 4 * i];
		m->deps[i].index = p[17 + 4 * i];
		m->deps[i].version = rd16le(p + 18 + 4 * i);
	}
}

static bool dep_plausible(const sf_module_dep *d)
{
	if (d->function == SF_MODFN_NONE)
		return d->index == 0 && d->version == 0;
	return d->function <= SF_MODFN_ASSET;
}

/* Scores a candidate prefix; < 0 means implausible. Mandatory: end > start
 * and a known non-zero function. An exact size match is worth most; without
 * it (truncated or padded files) a known platform, sane dependencies and
 * known flags must all hold, so random data rarely passes. */
static int score_prefix(const sf_module_info *m, size_t len)
{
	uint64_t span;
	bool known_platform, deps_ok, flags_ok, exact;
	int score = 0;

	if (m->end_address <= m->start_address)
		return -1;
	if (m->function == SF_MODFN_NONE || m->function > SF_MODFN_ASSET)
		return -1;
	span = (uint64_t)m->end_address - m->start_address + 4;
	exact = span == len;
	known_platform = platform_find(m->platform_id) != NULL;
	deps_ok = dep_plausible(&m->deps[0]) && dep_plausible(&m->deps[1]);
	flags_ok = (m->flags & ~0x1Fu) == 0;
	if (!deps_ok)
		return -1;
	if (!exact && !(known_platform && flags_ok))
		return -1;
	/* A module larger than 64 MiB does not exist on these parts. */
	if (span > 64u * 1024 * 1024)
		return -1;
	if (exact)
		score += 8;
	if (known_platform)
		score += 4;
	if (flags_ok)
		score += 2;
	if (span <= len)
		score += 1;
	return score;
}

int sf_module_parse(const uint8_t *data, size_t len, sf_module_info *out, sf_err *err)
{
	int best = -1;

	memset(out, 0, sizeof *out);
	out->file_size = len;
	if (!data || len == 0)
		return sf_err_set(err, SF_EXIT_REFUSED, "image is empty (0 bytes)");

	for (size_t i = 0; i < sizeof prefix_offsets / sizeof prefix_offsets[0]; i++) {
		uint32_t off = prefix_offsets[i];
		sf_module_info cand;
		int s;

		if (len < PREFIX_LEN || off > len - PREFIX_LEN)
			continue;
		memset(&cand, 0, sizeof cand);
		read_prefix(data + off, &cand);
		s = score_prefix(&cand, len);
		if (s > best) {
			best = s;
			read_prefix(data + off, out);
			out->prefix_offset = off;
		}
	}
	if (best < 0) {
		/* Raw image: keep the struct zeroed apart from the CRC facts. */
		memset(out, 0, sizeof *out);
		out->file_size = len;
	} else {
		out->is_module = true;
		out->size_ok = (uint64_t)out->end_address - out->start_address + 4 == len;
	}

	if (len >= 4) {
		out->crc_stored = rd32be(data + len - 4);
		out->crc_computed = sf_crc32(0, data, len - 4);
		out->crc_ok = out->crc_stored == out->crc_computed;
	}
	if (out->is_module && len >= 6) {
		uint16_t ss = rd16le(data + len - 6);
		out->suffix_size = ss;
		/* 0xFFFF marks "unable to verify" (erased flash); any size must
		 * fit in the file behind the prefix. */
		if (ss != 0xFFFF && ss >= SUFFIX_BASE && (size_t)ss + 4 <= len) {
			out->has_suffix = true;
			memcpy(out->sha256, data + len - 38, 32);
			if (ss >= SUFFIX_PRODUCT) {
				out->has_product = true;
				out->product_id = rd16le(data + len - 44);
				out->product_version = rd16le(data + len - 42);
			}
		}
	}
	return 0;
}

void sf_dfu_suffix_parse(const uint8_t *data, size_t len, sf_dfu_suffix *out)
{
	const uint8_t *s;

	memset(out, 0, sizeof *out);
	if (!data || len < DFU_SUFFIX_LEN)
		return;
	s = data + len - DFU_SUFFIX_LEN;
	/* The signature is stored as the bytes 'U' 'F' 'D'. */
	if (s[8] != 'U' || s[9] != 'F' || s[10] != 'D')
		return;
	out->present = true;
	out->bcd_device = rd16le(s);
	out->id_product = rd16le(s + 2);
	out->id_vendor = rd16le(s + 4);
	out->bcd_dfu = rd16le(s + 6);
	out->length = s[11];
	out->crc_stored = rd32le(s + 12);
	/* dfu-util's dwCRC has no final XOR: the complement of zlib's value. */
	out->crc_computed = ~sf_crc32(0, data, len - 4);
	out->crc_ok = out->crc_stored == out->crc_computed;
	out->length_ok = out->length >= DFU_SUFFIX_LEN && out->length <= len;
	out->valid = out->crc_ok && out->length_ok;
}

sf_prefix_hazard sf_dfu_prefix_hazard(const uint8_t *data, size_t len, size_t *strip)
{
	sf_dfu_suffix suf;
	size_t suffix_len = 0;

	if (strip)
		*strip = 0;
	/* dfu-util 0.11 (checked against the binary) sniffs only files of at
	 * least 8 bytes, the suffix included. */
	if (!data || len < 8)
		return SF_HAZARD_NONE;
	sf_dfu_suffix_parse(data, len, &suf);
	if (suf.valid)
		suffix_len = suf.length;
	if (data[0] == 0x01 && data[1] == 0x00) {
		/* Stripped only when the length word matches the payload
		 * between this prefix and a valid suffix. */
		if (len >= 8 + suffix_len &&
		    (uint64_t)rd32le(data + 4) == (uint64_t)(len - 8 - suffix_len)) {
			if (strip)
				*strip = 8;
			return SF_HAZARD_STELLARIS;
		}
		return SF_HAZARD_NONE;
	}
	if ((data[0] & 0x3F) == 0x1A && (data[1] & 0x3F) == 0x3F) {
		/* the prefix is 16 bytes: a shorter file loses all it has
		 * (found by fuzzing: the count ran past the end of the file) */
		if (strip)
			*strip = len < 16 ? len : 16;
		return SF_HAZARD_LPC;
	}
	return SF_HAZARD_NONE;
}

const char *sf_prefix_hazard_name(sf_prefix_hazard h)
{
	switch (h) {
	case SF_HAZARD_STELLARIS:
		return "ti-stellaris";
	case SF_HAZARD_LPC:
		return "nxp-lpc";
	case SF_HAZARD_NONE:
		break;
	}
	return "none";
}

void sf_dfu_payload(const uint8_t *data, size_t len, size_t *offset, size_t *length)
{
	sf_dfu_suffix suf;
	size_t strip = 0, end = len;

	sf_dfu_suffix_parse(data, len, &suf);
	if (suf.valid)
		end = len - suf.length;
	sf_dfu_prefix_hazard(data, len, &strip);
	if (strip > end)
		strip = end;
	*offset = strip;
	*length = end - strip;
}
