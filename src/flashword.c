#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dfuargv.h"
#include "flashword.h"
#include "numparse.h"
#include "suggest.h"

const char *const sf_particle_segment_names[] = {
	"userFirmware", "factoryReset", "systemFirmwareOne", "systemFirmwareTwo", "systemFirmwareThree",
	"tcpPrivateKey", "tcpServerKey", "udpPrivateKey", "udpServerKey", "transport", "otaFlag",
	"otaRegion", "radioStack", "bootloader", "formerUserPart", NULL,
};

/* Words of the flash command line itself (options without their dashes,
 * spark-cli's and particle-cli's words) and sparkflash's commands: each
 * with the command it probably meant. "%s" is the file. */
static const struct {
	const char *word;
	const char *meant;
} command_words[] = {
	{ "usb", "sparkflash flash --usb %s" },
	{ "firmware", "sparkflash flash --usb %s" },
	{ "cloud", "sparkflash flash DEVICE %s" },
	{ "factory", "sparkflash flash --factory %s" },
	{ "segment", "sparkflash flash --segment NAME %s" },
	{ "alt", "sparkflash flash ADDRESS %s --alt N" },
	{ "serial", "sparkflash flash --usb %s --serial SN" },
	{ "dfu", "sparkflash flash --usb %s" },
	{ "local", "sparkflash flash --usb %s" },
	{ "all", "sparkflash flash --usb %s --all" },
	{ "verify", "sparkflash flash --usb %s --verify" },
	{ "force", "sparkflash flash --usb %s --force" },
	{ "leave", "sparkflash flash --usb %s --leave" },
	{ "device", "sparkflash flash DEVICE %s" },
	{ "flash", "sparkflash flash --usb %s" },
	{ "list", "sparkflash list" },
	{ "read", "sparkflash read SEGMENT %s" },
	{ "keys", "sparkflash keys load %s" },
	{ "inspect", "sparkflash inspect %s" },
	{ "diagnose", "sparkflash diagnose %s" },
	{ "doctor", "sparkflash doctor" },
	{ "profiles", "sparkflash profiles list" },
	{ "sim", "sparkflash sim list" },
	{ "udev", "sparkflash udev print" },
	{ "help", "sparkflash help flash" },
	{ "update", "sparkflash flash --usb system-part1.bin system-part2.bin" },
};

#define NCOMMAND_WORDS (sizeof command_words / sizeof command_words[0])

static const char *const force_hint = " (to flash a cloud device of that name, add --cloud)";

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

static bool has_digit(const char *s)
{
	for (; *s; s++)
		if (isdigit((unsigned char)*s))
			return true;
	return false;
}

/* Made of what numbers are written with (digits, 0x, '.', ',', '_',
 * exponents, k/M suffixes), and starting like one. */
static bool number_like(const char *s)
{
	if (!isdigit((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) && !strchr("xX._,+-kKmM", *s))
			return false;
	return true;
}

/* `tmpl` with its "%s" replaced by the shell-quoted file ("FILE" without one). */
static void example(char *buf, size_t size, const char *tmpl, const char *file)
{
	char *q = file ? sf_shell_quote(file) : NULL;
	const char *at = strstr(tmpl, "%s");
	if (at)
		snprintf(buf, size, "%.*s%s%s", (int)(at - tmpl), tmpl, q ? q : "FILE", at + 2);
	else
		snprintf(buf, size, "%s", tmpl);
	free(q);
}

sf_word_kind sf_flash_word(const char *word, const char *const *segments, size_t nsegments, bool is_file,
			   const char *file, char *msg, size_t size)
{
	size_t len = strlen(word);
	uint32_t v;
	char ex[300];
	const char *seg = NULL;
	sf_num_status st = sf_parse_u32_strict(word, &v);

	if (size)
		msg[0] = '\0';
	if (st == SF_NUM_OK)
		return SF_WORD_ADDRESS;
	/* a device ID: 24 hex digits */
	if (len == 24 && all_hex(word, len))
		return SF_WORD_DEVICE;

	/* an address written wrongly */
	if (len && (isspace((unsigned char)word[0]) || isspace((unsigned char)word[len - 1]))) {
		size_t b = 0, e = len;
		char inner[64];
		while (b < e && isspace((unsigned char)word[b]))
			b++;
		while (e > b && isspace((unsigned char)word[e - 1]))
			e--;
		snprintf(inner, sizeof inner, "%.*s", (int)(e - b < 60 ? e - b : 60), word + b);
		if (sf_parse_u32_strict(inner, &v) == SF_NUM_OK) {
			char fmt[120];
			snprintf(fmt, sizeof fmt, "sparkflash flash %s %%s", inner);
			example(ex, sizeof ex, fmt, file);
			snprintf(msg, size, "'%s' has spaces around the address: did you mean '%s'?%s", word, ex,
				 force_hint);
		} else {
			snprintf(msg, size, "'%s' starts or ends with a space: not an address nor a device name%s", word,
				 force_hint);
		}
		return SF_WORD_REFUSED;
	}
	if (len >= 6 && len <= 10 && all_hex(word, len) && has_digit(word) &&
	    !(st == SF_NUM_RANGE && strspn(word, "0123456789") == len)) {
		char fmt[120];
		snprintf(fmt, sizeof fmt, "sparkflash flash 0x%s %%s", word);
		example(ex, sizeof ex, fmt, file);
		snprintf(msg, size, "'%s' %s: did you mean '%s'?%s", word,
			 st == SF_NUM_OCTAL ? "has a leading zero, which dfu-util reads as octal"
					    : "looks like an address without 0x",
			 ex, force_hint);
		return SF_WORD_REFUSED;
	}
	if ((word[0] == '0' && (word[1] == 'x' || word[1] == 'X')) || st == SF_NUM_OCTAL || st == SF_NUM_RANGE) {
		example(ex, sizeof ex, "sparkflash flash 0x08005000 %s", file);
		snprintf(msg, size, "'%s' is not a valid address: it %s; give 0x and up to 8 hex digits or plain decimal digits, as in '%s'%s",
			 word,
			 st == SF_NUM_OCTAL ? "has a leading zero (dfu-util would read it as octal)"
			 : st == SF_NUM_RANGE ? "does not fit in 32 bits"
			 : len == 2 ? "has no digits after 0x"
				    : "is not hexadecimal after 0x",
			 ex, force_hint);
		return SF_WORD_REFUSED;
	}
	if (number_like(word)) {
		example(ex, sizeof ex, "sparkflash flash 0x100000 %s", file);
		snprintf(msg, size, "'%s' is not an address: write it as 0x and hex digits or as plain decimal digits, as in '%s'%s",
			 word, ex, force_hint);
		return SF_WORD_REFUSED;
	}

	/* a word of the command line */
	for (size_t i = 0; i < NCOMMAND_WORDS; i++)
		if (!strcasecmp(word, command_words[i].word)) {
			example(ex, sizeof ex, command_words[i].meant, file);
			snprintf(msg, size, "'%s' is a command word, not a device name: did you mean '%s'?%s", word, ex,
				 force_hint);
			return SF_WORD_REFUSED;
		}
	/* a segment name (any case) */
	for (size_t i = 0; sf_particle_segment_names[i] && !seg; i++)
		if (!strcasecmp(word, sf_particle_segment_names[i]))
			seg = sf_particle_segment_names[i];
	for (size_t i = 0; i < nsegments && !seg; i++)
		if (!strcasecmp(word, segments[i]))
			seg = segments[i];
	if (seg) {
		char fmt[160];
		snprintf(fmt, sizeof fmt, "sparkflash flash --segment %s %%s", seg);
		example(ex, sizeof ex, fmt, file);
		snprintf(msg, size, "'%s' is a segment name, not a device name: did you mean '%s'?%s", word, ex,
			 force_hint);
		return SF_WORD_REFUSED;
	}
	/* a file where the device goes */
	if (is_file) {
		char q[300];
		example(q, sizeof q, "%s", word);
		example(ex, sizeof ex, "sparkflash flash --usb %s", word);
		snprintf(msg, size, "'%s' is a file, not a device name: flash it over USB with '%s', or over the air with 'sparkflash flash DEVICE %s'%s",
			 word, ex, q, force_hint);
		return SF_WORD_REFUSED;
	}
	/* close to one of those: a typo */
	if (len >= 4) {
		const char *cands[NCOMMAND_WORDS + 64 + 16];
		size_t n = 0, cap = len <= 5 ? 1 : 2, best = cap + 1;
		const char *hit = NULL;
		for (size_t i = 0; i < NCOMMAND_WORDS; i++)
			cands[n++] = command_words[i].word;
		for (size_t i = 0; sf_particle_segment_names[i]; i++)
			cands[n++] = sf_particle_segment_names[i];
		for (size_t i = 0; i < n; i++) {
			size_t d = sf_edit_distance(word, cands[i], cap);
			if (d < best) {
				best = d;
				hit = cands[i];
			}
		}
		for (size_t i = 0; i < nsegments && i < 4096; i++) {
			size_t d = sf_edit_distance(word, segments[i], cap);
			if (d < best) {
				best = d;
				hit = segments[i];
			}
		}
		if (hit) {
			snprintf(msg, size, "'%s' is not a device name sparkflash sends to the cloud unasked: it looks like a typo of '%s'; see 'sparkflash help flash'%s",
				 word, hit, force_hint);
			return SF_WORD_REFUSED;
		}
	}
	return SF_WORD_DEVICE;
}
