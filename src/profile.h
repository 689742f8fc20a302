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
	bool is_protected;    /* key material, flags: writes need --allow-protected (keys commands: their slot) */
	bool header_placement; /* "placement": "header": a module image goes to the
	                          start address its header names anywhere inside
	                          (the P2's user part grows down from the end) */
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

/* What the device's bootloader does where DfuSe bootloaders differ: the
 * optional "bootloader" section (README "Format"); the simulator follows it.
 * Without the section: the generic behaviour (SF_BOOTLOADER_GENERIC). */
enum sf_bl_detach {
	SF_BL_DETACH_IGNORE = 0,  /* accepted; nothing happens until a USB reset */
	SF_BL_DETACH_STALL,       /* not a request this bootloader knows */
	SF_BL_DETACH_REENUMERATE  /* bitWillDetach: disconnects and re-enumerates in DFU mode */
};
enum sf_bl_refused {
	SF_BL_REFUSED_STATUS = 0, /* dfuERROR with errTARGET/errWRITE/errADDRESS */
	SF_BL_REFUSED_SILENT,     /* reports success, changes nothing */
	SF_BL_REFUSED_STALL       /* stalls the GETSTATUS that answers dfuDNBUSY */
};
/* DfuSe commands (block 0) the bootloader executes. */
enum {
	SF_BL_CMD_SET_ADDRESS = 1,
	SF_BL_CMD_ERASE_PAGE = 2,
	SF_BL_CMD_MASS_ERASE = 4,
	SF_BL_CMD_READ_UNPROTECT = 8,
	SF_BL_CMD_ALL = 15
};

/* leave_state: the bootloader resets on the leave request before it
 * answers the GETSTATUS that follows (no DFU state names that). */
#define SF_BL_LEAVE_NO_ANSWER 0xFF

/* [start, end) on an alt that the bootloader refuses to erase or write. */
typedef struct sf_bl_range {
	int alt;
	uint32_t start;
	uint64_t end;
} sf_bl_range;

typedef struct sf_bootloader {
	bool present;             /* the profile has a "bootloader" section */
	uint8_t first_status;     /* bStatus of the first GETSTATUS after power-on or
	                             reset: OK means dfuIDLE, else dfuERROR */
	uint8_t leave_state;      /* bState answering the leave GETSTATUS:
	                             dfuMANIFEST, dfuDNLOAD-IDLE, or
	                             SF_BL_LEAVE_NO_ANSWER */
	uint32_t leave_reset_ms;  /* it resets this long after that answer */
	enum sf_bl_detach detach; /* DFU_DETACH while in DFU mode */
	enum sf_bl_refused refused;
	uint8_t refused_status;   /* with refused "status": the one DFU status every
	                             refusal reports (0: errTARGET for an erase,
	                             errWRITE for a write, errADDRESS unmapped) */
	bool stall_error;         /* a stalled request leaves dfuERROR/errSTALLEDPKT */
	unsigned commands;        /* SF_BL_CMD_* */
	sf_bl_range *protected_ranges;
	size_t nprotected;
} sf_bootloader;

/* The generic DfuSe bootloader (DFU 1.1 and ST's DfuSe documents). */
void sf_bootloader_generic(sf_bootloader *b);
/* Keyword parsers shared with `sim add --refused`: 0, or -1 if unknown. */
int sf_bl_refused_parse(const char *word, enum sf_bl_refused *out);
const char *sf_bl_refused_name(enum sf_bl_refused r);
const char *sf_bl_detach_name(enum sf_bl_detach d);
/* True when [addr, addr+len) on alt touches a protected range. */
bool sf_bl_protected(const sf_bootloader *b, int alt, uint32_t addr, uint64_t len);

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
	char *family;            /* what the devices sharing this DFU VID:PID are
	                            called ("STM32 system bootloader"; may be NULL) */
	bool layout_sizes_vary;  /* the family's members report the same memories
	                            in other sizes: a listed device's own layout
	                            strings are used when their geometry fits */
	char *default_protocol;  /* "tcp" | "udp" (may be NULL) */
	sf_alt *alts;
	size_t nalts;
	sf_segment *segments;
	size_t nsegments;
	sf_bootloader bootloader;
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
