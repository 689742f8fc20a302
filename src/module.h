/* Particle module images (binary-version-reader format): prefix (module_info)
 * at one of the known offsets, suffix read backwards from the end, CRC-32
 * trailer (big-endian). Pure: works on a byte buffer. */
#ifndef SF_MODULE_H
#define SF_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sf_error.h"

enum sf_module_function {
	SF_MODFN_NONE = 0, SF_MODFN_RESOURCE = 1, SF_MODFN_BOOTLOADER = 2,
	SF_MODFN_MONO_FIRMWARE = 3, SF_MODFN_SYSTEM_PART = 4, SF_MODFN_USER_PART = 5,
	SF_MODFN_SETTINGS = 6, SF_MODFN_NCP_FIRMWARE = 7, SF_MODFN_RADIO_STACK = 8,
	SF_MODFN_ASSET = 9
};

typedef struct sf_module_dep {
	uint8_t function, index;
	uint16_t version;
} sf_module_dep;

typedef struct sf_module_info {
	bool is_module;            /* false: raw image (no valid prefix found) */
	uint32_t prefix_offset;    /* 0, 0x184, 0x200, 0x10C, 0xC0 */
	uint32_t start_address, end_address;
	uint8_t mcu_target, flags;
	uint16_t module_version, platform_id;
	uint8_t function, index;
	sf_module_dep deps[2];
	/* suffix */
	bool has_suffix;
	uint16_t suffix_size;      /* excluding the CRC; 0xFFFF = "unable to verify" */
	uint8_t sha256[32];
	bool has_product;          /* suffix_size >= 40 */
	uint16_t product_id, product_version;
	/* CRC-32 over all but the last 4 bytes vs. the big-endian trailer */
	uint32_t crc_stored, crc_computed;
	bool crc_ok;
	bool size_ok;              /* end - start + 4 == file length */
	size_t file_size;
} sf_module_info;

/* Parses `data`. A buffer without a plausible prefix is a raw image
 * (is_module=false, returns 0). Returns SF_EXIT_REFUSED only for an empty
 * buffer. Never reads outside [data, data+len).
 * The prefix offset is chosen by scoring the five known offsets: end > start
 * and a function 1..9 are required, and empty dependencies must be zeroed;
 * an exact size match wins, otherwise the platform must be known and the
 * flags known (so truncated/padded modules are still recognised).
 * For a raw image only file_size and the crc_* fields are set (the CRC of a
 * raw image means nothing: check is_module first). has_suffix is false for
 * suffix size 0xFFFF or a size field that does not fit the file.
 * A file wrapped for dfu-util (DFU suffix, Stellaris/LPC prefix) should be
 * parsed on the bytes sf_dfu_payload() selects. */
int sf_module_parse(const uint8_t *data, size_t len, sf_module_info *out, sf_err *err);

/* zlib/IEEE CRC-32 (the module trailer's algorithm). */
uint32_t sf_crc32(uint32_t crc, const uint8_t *data, size_t len);

/* "user part", "system part", ... ; "unknown" otherwise. */
const char *sf_module_function_name(unsigned fn);

/* True for functions that can be written over DFU (mono firmware, system
 * part, user part, radio stack). */
bool sf_module_function_dfu_flashable(unsigned fn);

/* Module flags (prefix byte 9). */
enum {
	SF_MODFLAG_DROP_MODULE_INFO = 0x01, SF_MODFLAG_COMPRESSED = 0x02,
	SF_MODFLAG_COMBINED = 0x04, SF_MODFLAG_ENCRYPTED = 0x08,
	SF_MODFLAG_PREFIX_EXTENSIONS = 0x10
};

/* Writes the flag names ("compressed,encrypted", unknown bits as hex,
 * "none" for 0) into buf; returns buf. */
const char *sf_module_flags_text(unsigned flags, char *buf, size_t size);

/* Device name for a Particle platform id ("Core", "Photon", ...), NULL when
 * unknown (spark-cli.md 2.1). */
const char *sf_platform_name(unsigned platform_id);

/* Short lower-case id for a platform ("core", "photon", "p1", ...), NULL
 * when unknown. Matches the shipped profile ids for Gen 1/2 devices. */
const char *sf_platform_slug(unsigned platform_id);

/* DFU suffix (last 16 bytes, little-endian, dfu-util.md 5.8). dwCRC is the
 * reflected CRC-32 without the final XOR over all but the last 4 bytes. */
typedef struct sf_dfu_suffix {
	bool present;      /* 'U','F','D' signature at -8..-6 */
	bool crc_ok;       /* dwCRC matches */
	bool length_ok;    /* 16 <= bLength <= file length */
	bool valid;        /* present && crc_ok && length_ok */
	uint16_t bcd_device, id_product, id_vendor, bcd_dfu;
	uint8_t length;    /* bLength */
	uint32_t crc_stored, crc_computed;
} sf_dfu_suffix;

/* Fills *out (all zero/false when the buffer is shorter than 16 bytes or
 * lacks the signature). dfu-util itself treats a present suffix with a bad
 * CRC as absent (warning), and a good-CRC suffix with a bad bLength as a
 * fatal error (exit 65). */
void sf_dfu_suffix_parse(const uint8_t *data, size_t len, sf_dfu_suffix *out);

/* dfu-util (0.9-0.11) sniffs the start of a download file for a TI Stellaris
 * or NXP LPC DFU prefix and silently strips it before writing. A raw image
 * starting with such bytes would be written without its head. */
typedef enum sf_prefix_hazard {
	SF_HAZARD_NONE = 0,
	SF_HAZARD_STELLARIS,   /* 01 00 .. .. LEN32: 8 bytes stripped */
	SF_HAZARD_LPC          /* byte0&0x3f == 0x1a, byte1&0x3f == 0x3f: 16 bytes stripped */
} sf_prefix_hazard;

/* Checks `data` as dfu-util would see it (the payload length of a Stellaris
 * prefix excludes a valid DFU suffix). *strip (may be NULL) gets the number
 * of bytes dfu-util would drop. */
sf_prefix_hazard sf_dfu_prefix_hazard(const uint8_t *data, size_t len, size_t *strip);

/* "none", "ti-stellaris", "nxp-lpc". */
const char *sf_prefix_hazard_name(sf_prefix_hazard h);

/* The bytes dfu-util 0.11 actually writes from a download file: without a
 * valid DFU suffix (bLength bytes) and without a sniffed Stellaris/LPC
 * prefix. Sets [*offset, *offset + *length) within data. */
void sf_dfu_payload(const uint8_t *data, size_t len, size_t *offset, size_t *length);

#endif
