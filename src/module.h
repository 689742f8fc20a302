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
 * buffer. Never reads outside [data, data+len). */
int sf_module_parse(const uint8_t *data, size_t len, sf_module_info *out, sf_err *err);

/* zlib/IEEE CRC-32 (the module trailer's algorithm). */
uint32_t sf_crc32(uint32_t crc, const uint8_t *data, size_t len);

/* "user part", "system part", ... ; "unknown" otherwise. */
const char *sf_module_function_name(unsigned fn);

/* True for functions that can be written over DFU (mono firmware, system
 * part, user part, radio stack). */
bool sf_module_function_dfu_flashable(unsigned fn);

#endif
