/* Device profiles (JSON files in profiles/, schema 1): USB identity, alt settings
 * with their DfuSe layouts, named segments, protected ranges. Parsing is
 * pure (text in, struct out); profile_io.h finds and reads files. */
#ifndef SF_PROFILE_H
#define SF_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "sf_error.h"

typedef struct sf_usb_id {
	uint16_t vid, pid;
} sf_usb_id;

/* Key material description of a key segment. */
typedef struct sf_key_info {
	bool present;
	char format[8];       /* "der" */
	char alg[8];          /* "rsa" | "ec" */
	bool has_address_offset;
	uint32_t address_offset; /* server-key address TLV offset in the segment */
	bool has_port_offset;
	uint32_t port_offset;    /* big-endian port offset */
} sf_key_info;

typedef struct sf_segment {
	char *name;           /* particle-cli name, e.g. "userFirmware" */
	int alt;
	uint32_t address;
	uint32_t size;        /* 0 = up to the end of the containing region */
	bool has_size;
	bool leave;           /* flash with :leave by default */
	bool is_protected;    /* key material: only keys commands write it */
	sf_key_info key;
} sf_segment;

/* Simulator/timing facts of an alt (bwPollTimeout values of the modelled chip). */
typedef struct sf_alt_timing {
	uint32_t erase_ms;
	uint32_t program_ms;
} sf_alt_timing;

typedef struct sf_alt {
	int alt;              /* bAlternateSetting */
	char *layout_text;    /* the iInterface string, exactly */
	sf_layout layout;
	bool erase_none;      /* "erase": "none": read-modify-write (DCT); erase
	                         footprint = written bytes, device ignores erase */
	sf_alt_timing timing;
} sf_alt;

typedef struct sf_profile {
	char *source;         /* file path (or label) it was parsed from */
	char *id;             /* "core" */
	char *name;           /* "Spark Core" */
	int platform_id;
	sf_usb_id dfu;        /* DFU-mode VID:PID */
	sf_usb_id runtime;    /* normal-mode VID:PID */
	bool has_runtime;
	uint32_t write_padding;  /* 1 or 2 */
	/* USB descriptor facts used by the simulator (defaults given by the loader). */
	uint16_t bcd_device;     /* default 0x0200 */
	uint16_t transfer_size;  /* wTransferSize, default 1024 */
	uint16_t detach_timeout; /* default 255 */
	char *manufacturer;      /* iManufacturer string */
	char *product;           /* iProduct string */
	char *dfu_mode_help;     /* how to put the device in DFU mode (may be NULL) */
	char *default_protocol;  /* "tcp" | "udp" (may be NULL) */
	sf_alt *alts;
	size_t nalts;
	sf_segment *segments;
	size_t nsegments;
} sf_profile;

/* Parses and validates profile JSON. `source` labels messages, which read
 * "SOURCE:LINE:COLUMN: what is wrong". Returns 0 or SF_EXIT_REFUSED. */
int sf_profile_parse(const char *text, size_t len, const char *source,
		     sf_profile *out, sf_err *err);
void sf_profile_free(sf_profile *p);

const sf_alt *sf_profile_alt(const sf_profile *p, int alt);
const sf_segment *sf_profile_segment(const sf_profile *p, const char *name);

/* One past the segment's last byte: address + size, or (no size) the end of
 * the layout region containing address. */
uint64_t sf_segment_end(const sf_profile *p, const sf_segment *s);

/* The first segment (file order) on `alt` that overlaps [addr, addr+len)
 * (len 0 counts as the single byte at addr); with only_protected, only
 * protected segments are considered. NULL when none. */
const sf_segment *sf_profile_segment_overlapping(const sf_profile *p, int alt, uint32_t addr,
						 uint64_t len, bool only_protected);

/* The profile whose DFU (or runtime, when runtime=true) VID:PID matches. */
const sf_profile *sf_profiles_match_usb(const sf_profile *profiles, size_t n,
					uint16_t vid, uint16_t pid, bool runtime);

#endif
