/* mkmodule: writes Particle module images (spark-cli.md 3.1) for tests and
 * the quickstart: any platform/function/index/address/prefix offset/suffix,
 * with a correct CRC-32 and end address, or with chosen corruptions.
 * Deterministic: the same options and --seed give the same bytes. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "module.h"
#include "numparse.h"

#define MAX_FILE (64u * 1024 * 1024)
#define MAX_FLIPS 32

struct spec {
	uint32_t platform, function, index, start, version, flags, mcu;
	uint32_t dep[2][3];
	uint32_t prefix_offset, payload, suffix_size;
	bool product;
	uint32_t product_id, product_version;
	uint32_t sp;               /* initial stack pointer when there is a vector table */
	uint32_t seed;
	bool raw;
	bool bad_crc;
	bool has_end;
	uint32_t end;
	bool has_size;
	uint32_t size;
	bool has_truncate;
	uint32_t truncate;
	uint32_t flips[MAX_FLIPS];
	size_t nflips;
	const char *head;          /* hex bytes written over the start */
	bool stellaris, lpc;
	bool dfu_suffix, dfu_bad_crc;
	uint32_t dfu_vid, dfu_pid, dfu_bcd;
	bool force, verbose;
	const char *output;
};

static const char *prog = "mkmodule";

static void usage(FILE *f)
{
	fprintf(f,
"usage: mkmodule [OPTIONS] OUTPUT\n"
"Writes a Particle module image (prefix, payload, suffix, CRC-32 trailer).\n"
"Presets (applied before the other options, which override them):\n"
"  --core-firmware        Core monolithic firmware: platform 0, prefix at 0x10C,\n"
"                         start 0x08005000, stack pointer 0x20005000\n"
"  --photon-user          Photon user part: platform 6, index 1, 0x080A0000, prefix 0\n"
"  --photon-system N      Photon system part N (1: 0x08020000, 2: 0x08060000), prefix 0x184\n"
"  --p1-user, --p1-system N        the same for the P1 (platform 8)\n"
"  --electron-user        Electron user part: platform 10, 0x08080000\n"
"  --electron-system N    Electron system part N (0x08020000, 0x08040000, 0x08060000)\n"
"  --duo-user             RedBear Duo user part: platform 88, 0x080C0000\n"
"  --argon-user, --boron-user      Gen 3 user part at 0x000D4000 (platform 12, 13)\n"
"  --argon-system, --boron-system  Gen 3 system part at 0x00030000, prefix 0x200\n"
"  --bluz-system          Bluz system part, platform 103, prefix 0xC0\n"
"Fields:\n"
"  --platform N  --function N|NAME  --index N  --start ADDR  --version N\n"
"  --flags N  --mcu N  --dep1 FN:INDEX:VERSION  --dep2 FN:INDEX:VERSION\n"
"  --prefix-offset N      where the 24-byte prefix goes (0, 0x184, 0x200, 0x10C, 0xC0)\n"
"  --sp ADDR              first word of the vector table before the prefix\n"
"  --payload N            bytes between the prefix and the suffix (default 4096)\n"
"  --size N               total file size instead of --payload\n"
"  --suffix-size N        suffix size field (36 default, 40 with product fields;\n"
"                         larger sizes add zeroed extension bytes; 0 = no suffix;\n"
"                         0xFFFF writes 36 bytes marked \"unable to verify\")\n"
"  --product-id N  --product-version N   add product fields (suffix size 40)\n"
"  --seed N               payload generator seed (default 1)\n"
"  --raw                  no prefix, suffix or CRC: only --payload bytes\n"
"  --head HEX             overwrite the first bytes with HEX (before the CRC)\n"
"  --stellaris-prefix     prepend a TI Stellaris DFU prefix (dfu-util strips it)\n"
"  --lpc-prefix           prepend a 16-byte NXP LPC-like prefix\n"
"  --dfu-suffix VID:PID[:BCDDEVICE]  append a DFU suffix (dfu-util 5.8)\n"
"  --dfu-bad-crc          ... with a wrong dwCRC\n"
"Corruptions:\n"
"  --bad-crc              store a wrong CRC-32\n"
"  --end ADDR             store this end address (size mismatch)\n"
"  --flip OFFSET          invert the byte at OFFSET after the CRC (repeatable)\n"
"  --truncate N           keep only the first N bytes\n"
"Other:\n"
"  -f, --force            overwrite OUTPUT if it exists\n"
"  -v, --verbose          print the layout on stderr\n"
"  -h, --help             this text\n");
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static int num(const char *opt, const char *s, uint32_t *out)
{
	sf_num_status st = sf_parse_u32_strict(s, out);
	if (st != SF_NUM_OK)
		return fail("bad value '%s' for %s", s, opt);
	return 0;
}

static int num16(const char *opt, const char *s, uint32_t *out)
{
	int rc = num(opt, s, out);
	if (!rc && *out > 0xFFFF)
		return fail("value '%s' for %s does not fit in 16 bits", s, opt);
	return rc;
}

static int num8(const char *opt, const char *s, uint32_t *out)
{
	int rc = num(opt, s, out);
	if (!rc && *out > 0xFF)
		return fail("value '%s' for %s does not fit in 8 bits", s, opt);
	return rc;
}

static int function_value(const char *s, uint32_t *out)
{
	static const char *const names[] = {
		"none", "resource", "bootloader", "mono", "system", "user",
		"settings", "ncp", "radio", "asset",
	};
	for (uint32_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcasecmp(s, names[i])) {
			*out = i;
			return 0;
		}
	return num8("--function", s, out);
}

static int dep_value(const char *opt, const char *s, uint32_t dep[3])
{
	char buf[64];
	char *a, *b;
	if (strlen(s) >= sizeof buf)
		return fail("bad value '%s' for %s (want FN:INDEX:VERSION)", s, opt);
	strcpy(buf, s);
	a = strchr(buf, ':');
	b = a ? strchr(a + 1, ':') : NULL;
	if (!a || !b)
		return fail("bad value '%s' for %s (want FN:INDEX:VERSION)", s, opt);
	*a++ = '\0';
	*b++ = '\0';
	if (function_value(buf, &dep[0]) || num8(opt, a, &dep[1]) || num16(opt, b, &dep[2]))
		return 2;
	return 0;
}

enum {
	O_CORE = 0x100, O_PHOTON_USER, O_PHOTON_SYSTEM, O_P1_USER, O_P1_SYSTEM,
	O_ELECTRON_USER, O_ELECTRON_SYSTEM, O_DUO_USER, O_ARGON_USER, O_BORON_USER,
	O_ARGON_SYSTEM, O_BORON_SYSTEM, O_BLUZ_SYSTEM,
	O_PLATFORM, O_FUNCTION, O_INDEX, O_START, O_VERSION, O_FLAGS, O_MCU,
	O_DEP1, O_DEP2, O_PREFIX_OFFSET, O_SP, O_PAYLOAD, O_SIZE, O_SUFFIX_SIZE,
	O_PRODUCT_ID, O_PRODUCT_VERSION, O_SEED, O_RAW, O_HEAD, O_STELLARIS, O_LPC,
	O_DFU_SUFFIX, O_DFU_BAD_CRC, O_BAD_CRC, O_END, O_FLIP, O_TRUNCATE, O_OUTPUT
};

static const struct option longopts[] = {
	{ "core-firmware", no_argument, NULL, O_CORE },
	{ "photon-user", no_argument, NULL, O_PHOTON_USER },
	{ "photon-system", required_argument, NULL, O_PHOTON_SYSTEM },
	{ "p1-user", no_argument, NULL, O_P1_USER },
	{ "p1-system", required_argument, NULL, O_P1_SYSTEM },
	{ "electron-user", no_argument, NULL, O_ELECTRON_USER },
	{ "electron-system", required_argument, NULL, O_ELECTRON_SYSTEM },
	{ "duo-user", no_argument, NULL, O_DUO_USER },
	{ "argon-user", no_argument, NULL, O_ARGON_USER },
	{ "boron-user", no_argument, NULL, O_BORON_USER },
	{ "argon-system", no_argument, NULL, O_ARGON_SYSTEM },
	{ "boron-system", no_argument, NULL, O_BORON_SYSTEM },
	{ "bluz-system", no_argument, NULL, O_BLUZ_SYSTEM },
	{ "platform", required_argument, NULL, O_PLATFORM },
	{ "function", required_argument, NULL, O_FUNCTION },
	{ "index", required_argument, NULL, O_INDEX },
	{ "start", required_argument, NULL, O_START },
	{ "version", required_argument, NULL, O_VERSION },
	{ "flags", required_argument, NULL, O_FLAGS },
	{ "mcu", required_argument, NULL, O_MCU },
	{ "dep1", required_argument, NULL, O_DEP1 },
	{ "dep2", required_argument, NULL, O_DEP2 },
	{ "prefix-offset", required_argument, NULL, O_PREFIX_OFFSET },
	{ "sp", required_argument, NULL, O_SP },
	{ "payload", required_argument, NULL, O_PAYLOAD },
	{ "size", required_argument, NULL, O_SIZE },
	{ "suffix-size", required_argument, NULL, O_SUFFIX_SIZE },
	{ "product-id", required_argument, NULL, O_PRODUCT_ID },
	{ "product-version", required_argument, NULL, O_PRODUCT_VERSION },
	{ "seed", required_argument, NULL, O_SEED },
	{ "raw", no_argument, NULL, O_RAW },
	{ "head", required_argument, NULL, O_HEAD },
	{ "stellaris-prefix", no_argument, NULL, O_STELLARIS },
	{ "lpc-prefix", no_argument, NULL, O_LPC },
	{ "dfu-suffix", required_argument, NULL, O_DFU_SUFFIX },
	{ "dfu-bad-crc", no_argument, NULL, O_DFU_BAD_CRC },
	{ "bad-crc", no_argument, NULL, O_BAD_CRC },
	{ "end", required_argument, NULL, O_END },
	{ "flip", required_argument, NULL, O_FLIP },
	{ "truncate", required_argument, NULL, O_TRUNCATE },
	{ "output", required_argument, NULL, 'o' },
	{ "force", no_argument, NULL, 'f' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void preset(struct spec *s, uint32_t platform, uint32_t function, uint32_t index,
		   uint32_t start, uint32_t prefix_offset, uint32_t sp)
{
	s->platform = platform;
	s->function = function;
	s->index = index;
	s->start = start;
	s->prefix_offset = prefix_offset;
	s->sp = sp;
	memset(s->dep, 0, sizeof s->dep);
	if (function == SF_MODFN_USER_PART) {
		/* User parts depend on the last system part, as real ones do. */
		s->dep[0][0] = SF_MODFN_SYSTEM_PART;
		s->dep[0][1] = platform == 10 ? 3 : (platform >= 12 && platform < 82) ? 1 : 2;
		s->dep[0][2] = 1400;
	} else if (function == SF_MODFN_SYSTEM_PART && index > 1) {
		s->dep[0][0] = SF_MODFN_SYSTEM_PART;
		s->dep[0][1] = (uint8_t)(index - 1);
		s->dep[0][2] = 1400;
	}
}

static int system_preset(struct spec *s, const char *arg, uint32_t platform)
{
	static const uint32_t photon[] = { 0x08020000, 0x08060000 };
	static const uint32_t electron[] = { 0x08020000, 0x08040000, 0x08060000 };
	uint32_t n;
	const uint32_t *tab = platform == 10 ? electron : photon;
	uint32_t max = platform == 10 ? 3 : 2;

	if (num("system part index", arg, &n))
		return 2;
	if (n < 1 || n > max)
		return fail("system part index '%s' out of range (1..%u)", arg, (unsigned)max);
	preset(s, platform, SF_MODFN_SYSTEM_PART, n, tab[n - 1], 0x184, 0x20020000);
	s->version = 1400;
	return 0;
}

static int apply_preset(struct spec *s, int opt, const char *arg)
{
	switch (opt) {
	case O_CORE:
		preset(s, 0, SF_MODFN_MONO_FIRMWARE, 0, 0x08005000, 0x10C, 0x20005000);
		return 0;
	case O_PHOTON_USER:
		preset(s, 6, SF_MODFN_USER_PART, 1, 0x080A0000, 0, 0);
		return 0;
	case O_P1_USER:
		preset(s, 8, SF_MODFN_USER_PART, 1, 0x080A0000, 0, 0);
		return 0;
	case O_ELECTRON_USER:
		preset(s, 10, SF_MODFN_USER_PART, 1, 0x08080000, 0, 0);
		return 0;
	case O_DUO_USER:
		preset(s, 88, SF_MODFN_USER_PART, 1, 0x080C0000, 0, 0);
		return 0;
	case O_ARGON_USER:
		preset(s, 12, SF_MODFN_USER_PART, 1, 0x000D4000, 0, 0);
		return 0;
	case O_BORON_USER:
		preset(s, 13, SF_MODFN_USER_PART, 1, 0x000D4000, 0, 0);
		return 0;
	case O_ARGON_SYSTEM:
		preset(s, 12, SF_MODFN_SYSTEM_PART, 1, 0x00030000, 0x200, 0x20040000);
		return 0;
	case O_BORON_SYSTEM:
		preset(s, 13, SF_MODFN_SYSTEM_PART, 1, 0x00030000, 0x200, 0x20040000);
		return 0;
	case O_BLUZ_SYSTEM:
		preset(s, 103, SF_MODFN_SYSTEM_PART, 1, 0x00018000, 0xC0, 0x20008000);
		return 0;
	case O_PHOTON_SYSTEM:
		return system_preset(s, arg, 6);
	case O_P1_SYSTEM:
		return system_preset(s, arg, 8);
	case O_ELECTRON_SYSTEM:
		return system_preset(s, arg, 10);
	}
	return -1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int apply_option(struct spec *s, int opt, const char *arg)
{
	switch (opt) {
	case O_PLATFORM: return num16("--platform", arg, &s->platform);
	case O_FUNCTION: return function_value(arg, &s->function);
	case O_INDEX: return num8("--index", arg, &s->index);
	case O_START: return num("--start", arg, &s->start);
	case O_VERSION: return num16("--version", arg, &s->version);
	case O_FLAGS: return num8("--flags", arg, &s->flags);
	case O_MCU: return num8("--mcu", arg, &s->mcu);
	case O_DEP1: return dep_value("--dep1", arg, s->dep[0]);
	case O_DEP2: return dep_value("--dep2", arg, s->dep[1]);
	case O_PREFIX_OFFSET: return num("--prefix-offset", arg, &s->prefix_offset);
	case O_SP: return num("--sp", arg, &s->sp);
	case O_PAYLOAD: s->has_size = false; return num("--payload", arg, &s->payload);
	case O_SIZE: s->has_size = true; return num("--size", arg, &s->size);
	case O_SUFFIX_SIZE: return num16("--suffix-size", arg, &s->suffix_size);
	case O_PRODUCT_ID: s->product = true; return num16("--product-id", arg, &s->product_id);
	case O_PRODUCT_VERSION:
		s->product = true;
		return num16("--product-version", arg, &s->product_version);
	case O_SEED: return num("--seed", arg, &s->seed);
	case O_RAW: s->raw = true; return 0;
	case O_HEAD: {
		size_t n = strlen(arg);
		if (n == 0 || n % 2)
			return fail("bad value '%s' for %s (want an even number of hex digits)", arg, "--head");
		for (size_t i = 0; i < n; i++)
			if (hexval((unsigned char)arg[i]) < 0)
				return fail("bad value '%s' for %s (want hex digits)", arg, "--head");
		s->head = arg;
		return 0;
	}
	case O_STELLARIS: s->stellaris = true; return 0;
	case O_LPC: s->lpc = true; return 0;
	case O_DFU_SUFFIX: {
		char buf[64], *p, *q;
		if (strlen(arg) >= sizeof buf)
			return fail("bad value '%s' for %s", arg, "--dfu-suffix");
		strcpy(buf, arg);
		p = strchr(buf, ':');
		if (!p)
			return fail("bad value '%s' for %s (want VID:PID[:BCDDEVICE])", arg, "--dfu-suffix");
		*p++ = '\0';
		q = strchr(p, ':');
		if (q)
			*q++ = '\0';
		if (num16("--dfu-suffix", buf, &s->dfu_vid) || num16("--dfu-suffix", p, &s->dfu_pid) ||
		    (q && num16("--dfu-suffix", q, &s->dfu_bcd)))
			return 2;
		if (!q)
			s->dfu_bcd = 0xFFFF;
		s->dfu_suffix = true;
		return 0;
	}
	case O_DFU_BAD_CRC: s->dfu_bad_crc = true; return 0;
	case O_BAD_CRC: s->bad_crc = true; return 0;
	case O_END: s->has_end = true; return num("--end", arg, &s->end);
	case O_FLIP:
		if (s->nflips >= MAX_FLIPS)
			return fail("too many --flip options (at most %d)", MAX_FLIPS);
		return num("--flip", arg, &s->flips[s->nflips++]);
	case O_TRUNCATE: s->has_truncate = true; return num("--truncate", arg, &s->truncate);
	case 'o': s->output = arg; return 0;
	case 'f': s->force = true; return 0;
	case 'v': s->verbose = true; return 0;
	}
	return -1;
}

/* xorshift32: small, deterministic, good enough for filler bytes. */
static uint32_t rng_next(uint32_t *x)
{
	uint32_t v = *x;
	v ^= v << 13;
	v ^= v >> 17;
	v ^= v << 5;
	*x = v;
	return v;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void put32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Builds the image into a malloc'd buffer. */
static int build(const struct spec *s, uint8_t **out, size_t *outlen)
{
	uint32_t rng = s->seed ? s->seed : 0x9E3779B9u;
	uint64_t suffix_phys = s->suffix_size == 0xFFFF ? 36 : s->suffix_size;
	uint64_t head_len = s->raw ? 0 : (uint64_t)s->prefix_offset + 24;
	uint64_t tail_len = s->raw ? 0 : suffix_phys + 4;
	uint64_t pre = s->stellaris ? 8 : s->lpc ? 16 : 0;
	uint64_t payload = s->payload, total, body;
	uint8_t *buf, *img;

	if (!s->raw && s->prefix_offset % 4)
		fprintf(stderr, "%s: warning: prefix offset 0x%x is not word aligned\n", prog,
			(unsigned)s->prefix_offset);
	if (s->has_size) {
		if ((uint64_t)s->size < head_len + tail_len + pre) {
			fprintf(stderr, "%s: --size %u is smaller than prefix and suffix (%u bytes)\n",
				prog, (unsigned)s->size, (unsigned)(head_len + tail_len + pre));
			return 2;
		}
		payload = s->size - head_len - tail_len - pre;
	}
	body = head_len + payload + tail_len;   /* the module itself */
	total = pre + body + (s->dfu_suffix ? 16 : 0);
	if (total > MAX_FILE) {
		fprintf(stderr, "%s: image of %llu bytes is too large (max %u)\n", prog,
			(unsigned long long)total, MAX_FILE);
		return 2;
	}
	buf = calloc(1, total ? total : 1);
	if (!buf) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	img = buf + pre;
	for (uint64_t i = 0; i < body; i++)
		img[i] = (uint8_t)rng_next(&rng);

	if (!s->raw) {
		uint8_t *p = img + s->prefix_offset;
		uint8_t *suf = img + body - 4 - suffix_phys;
		uint32_t end = s->has_end ? s->end : (uint32_t)(s->start + body - 4);

		/* A vector table before the prefix: stack pointer, then handler
		 * addresses (Thumb bit set) inside the image. */
		if (s->prefix_offset >= 4) {
			put32(img, s->sp ? s->sp : 0x20020000);
			for (uint32_t i = 4; i + 4 <= s->prefix_offset; i += 4)
				put32(img + i, (s->start + s->prefix_offset + 24 + (i & 0xFF)) | 1);
		}
		put32(p, s->start);
		put32(p + 4, end);
		p[8] = (uint8_t)s->mcu;
		p[9] = (uint8_t)s->flags;
		put16(p + 10, s->version);
		put16(p + 12, s->platform);
		p[14] = (uint8_t)s->function;
		p[15] = (uint8_t)s->index;
		for (int d = 0; d < 2; d++) {
			p[16 + 4 * d] = (uint8_t)s->dep[d][0];
			p[17 + 4 * d] = (uint8_t)s->dep[d][1];
			put16(p + 18 + 4 * d, s->dep[d][2]);
		}
		if (suffix_phys) {
			/* Extension bytes first, then product fields, reserved,
			 * SHA-256 (filler from the seed) and the size field. */
			memset(suf, 0, suffix_phys);
			if (suffix_phys >= 40 && s->suffix_size != 0xFFFF) {
				put16(suf + suffix_phys - 40, s->product_id);
				put16(suf + suffix_phys - 38, s->product_version);
			}
			if (suffix_phys >= 36)
				for (int i = 0; i < 32; i++)
					suf[suffix_phys - 34 + i] = (uint8_t)rng_next(&rng);
			if (suffix_phys >= 2)
				put16(suf + suffix_phys - 2, s->suffix_size);
		}
	}
	if (s->head) {
		size_t n = strlen(s->head) / 2;
		for (size_t i = 0; i < n && i < body; i++)
			img[i] = (uint8_t)(hexval((unsigned char)s->head[2 * i]) << 4 |
					   hexval((unsigned char)s->head[2 * i + 1]));
	}
	if (!s->raw) {
		uint32_t crc = sf_crc32(0, img, body - 4);
		put32be(img + body - 4, s->bad_crc ? crc ^ 0xA5A5A5A5u : crc);
	}
	if (s->stellaris) {
		/* 01 00, address / 1 KiB, payload length (dfu-util strips it). */
		buf[0] = 0x01;
		buf[1] = 0x00;
		put16(buf + 2, (s->raw ? 0 : s->start) / 1024);
		put32(buf + 4, (uint32_t)body);
	} else if (s->lpc) {
		memset(buf, 0, 16);
		buf[0] = 0x1a;
		buf[1] = 0x3f;
	}
	if (s->dfu_suffix) {
		uint8_t *d = buf + pre + body;
		put16(d, s->dfu_bcd);
		put16(d + 2, s->dfu_pid);
		put16(d + 4, s->dfu_vid);
		put16(d + 6, 0x0100);
		d[8] = 'U';
		d[9] = 'F';
		d[10] = 'D';
		d[11] = 16;
		/* dwCRC: reflected CRC-32 without the final XOR. */
		put32(d + 12, ~sf_crc32(0, buf, total - 4) ^ (s->dfu_bad_crc ? 1u : 0u));
	}
	for (size_t i = 0; i < s->nflips; i++) {
		if (s->flips[i] >= total) {
			fprintf(stderr, "%s: --flip %u is outside the %llu-byte image\n", prog,
				(unsigned)s->flips[i], (unsigned long long)total);
			free(buf);
			return 2;
		}
		buf[s->flips[i]] ^= 0xFF;
	}
	if (s->has_truncate && s->truncate < total)
		total = s->truncate;
	if (s->verbose)
		fprintf(stderr, "%s: %llu bytes: prefix at 0x%x, payload %llu, suffix %llu, end 0x%08x\n",
			prog, (unsigned long long)total, (unsigned)s->prefix_offset,
			(unsigned long long)payload, (unsigned long long)suffix_phys,
			(unsigned)(s->has_end ? s->end : s->start + body - 4));
	*out = buf;
	*outlen = (size_t)total;
	return 0;
}

static int write_file(const char *path, const uint8_t *data, size_t len, bool force)
{
	int flags = O_WRONLY | O_CREAT | (force ? O_TRUNC : O_EXCL);
	int fd = open(path, flags, 0644);
	size_t off = 0;

	if (fd < 0) {
		if (errno == EEXIST)
			return fail("'%s' exists; pass --force to overwrite it", path);
		fprintf(stderr, "%s: cannot create '%s': %s\n", prog, path, strerror(errno));
		return 1;
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: cannot write '%s': %s\n", prog, path, strerror(errno));
			close(fd);
			return 1;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0) {
		fprintf(stderr, "%s: cannot write '%s': %s\n", prog, path, strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct spec s = { .payload = 4096, .suffix_size = 36, .seed = 1, .version = 1 };
	bool suffix_given = false;
	uint8_t *img = NULL;
	size_t len = 0;
	int opt, rc;

	/* Pass 1: presets, so that the other options override them wherever
	 * they appear. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "o:fvh", longopts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		if (opt == '?') {
			fprintf(stderr, "%s: unknown option '%s'; see --help\n", prog, argv[optind - 1]);
			return 2;
		}
		if (opt == O_SUFFIX_SIZE)
			suffix_given = true;
		rc = apply_preset(&s, opt, optarg);
		if (rc > 0)
			return rc;
	}
	optind = 0;
	while ((opt = getopt_long(argc, argv, "o:fvh", longopts, NULL)) != -1) {
		if (apply_preset(&s, opt, optarg) != -1)
			continue;
		rc = apply_option(&s, opt, optarg);
		if (rc)
			return rc;
	}
	if (s.product && !suffix_given)
		s.suffix_size = 40;
	if (optind < argc && !s.output)
		s.output = argv[optind++];
	if (optind < argc)
		return fail("unexpected argument '%s'", argv[optind]);
	if (!s.output) {
		fprintf(stderr, "%s: no output file given; see --help\n", prog);
		return 2;
	}
	if (s.stellaris && s.lpc)
		return fail("%s and %s exclude each other", "--stellaris-prefix", "--lpc-prefix");
	rc = build(&s, &img, &len);
	if (rc)
		return rc;
	rc = write_file(s.output, img, len, s.force);
	free(img);
	return rc;
}
