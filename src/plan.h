/* Operation planning: a request (what the user asked: write a segment, write
 * at an address, read, keys...) checked against a device profile becomes a
 * plan (alt, address, length, leave, padding, erase footprint) or a refusal
 * naming the limit. Pure: every rule runs before any USB traffic. */
#ifndef SF_PLAN_H
#define SF_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "module.h"
#include "profile.h"
#include "sf_error.h"

typedef enum sf_op_kind {
	SF_OP_FLASH_USB,      /* flash --usb FILE: userFirmware, or as the module header says */
	SF_OP_FLASH_FACTORY,  /* flash --factory FILE: factoryReset (applications only) */
	SF_OP_WRITE_SEGMENT,  /* flash --segment NAME FILE */
	SF_OP_WRITE_ADDRESS,  /* flash ADDRESS FILE [--alt] */
	SF_OP_READ_SEGMENT,   /* read SEGMENT OUTFILE */
	SF_OP_READ_ADDRESS,   /* read ADDRESS:LENGTH OUTFILE [--alt] */
	SF_OP_KEYS_SAVE,      /* read the whole key segment */
	SF_OP_KEYS_LOAD,      /* write a private key into its (protected) segment */
	SF_OP_KEYS_SERVER,    /* write a server-key image into its (protected) segment */
	SF_OP_KEYS_ADDRESS    /* read the server-key segment */
} sf_op_kind;

typedef enum sf_leave_mode {
	SF_LEAVE_DEFAULT = 0, /* as the destination segment says (no segment: no) */
	SF_LEAVE_YES,         /* --leave */
	SF_LEAVE_NO           /* --no-leave */
} sf_leave_mode;

#define SF_PLAN_MAX_ALLOW 8

typedef struct sf_op_request {
	sf_op_kind kind;
	const char *segment;   /* WRITE_SEGMENT, READ_SEGMENT, KEYS_*: segment name */
	const char *address;   /* WRITE_ADDRESS, READ_ADDRESS: as typed */
	const char *length;    /* READ_ADDRESS: as typed */
	const char *alt;       /* --alt N|NAME, or NULL */
	uint64_t file_size;    /* writes: bytes in the input file */
	const sf_module_info *module; /* writes: parsed header (NULL = not parsed) */
	bool force;            /* --force: accept CRC/platform mismatches */
	const char *allow_protected[SF_PLAN_MAX_ALLOW]; /* --allow-protected NAMES */
	size_t nallow_protected;
	sf_leave_mode leave;
} sf_op_request;

typedef struct sf_plan {
	bool upload;             /* true: -U (read); false: -D (write) */
	int alt;
	char alt_name[128];      /* the layout's name, trimmed ("Internal Flash") */
	uint32_t address;
	uint32_t length;         /* bytes written (after padding) or read */
	uint64_t file_size;      /* writes: the input file's size (before padding) */
	bool pad;                /* writes: append one 0x00 to a private copy */
	bool leave;
	bool leave_only;         /* no transfer: only the DfuSe leave request at
				  * `address` (dfu-util -a ALT -s ADDR:leave, no
				  * -D/-U: "DfuSe command mode") */
	uint32_t erase_start;    /* writes: first byte the erase touches */
	uint64_t erase_end;      /* one past the last erased byte */
	char segment[64];        /* destination segment name, "" for a bare address */
	char warning[256];       /* non-fatal remark (e.g. unverifiable module), "" */
} sf_plan;

/* Validates `req` against `p`. Returns 0 and fills *out, or
 * SF_EXIT_REFUSED (bad request for this profile) / SF_EXIT_USAGE with
 * err->msg naming the limit. */
int sf_plan_make(const sf_profile *p, const sf_op_request *req, sf_plan *out,
		 sf_err *err);

/* The checks that need no profile (address/length spelling, 32 bits,
 * overflow, zero length), so a typo is refused (exit 3) before any device is
 * looked for. sf_plan_make repeats them. */
int sf_plan_check_syntax(const sf_op_request *req, sf_err *err);

/* Resolves --alt: a number ("1") or a layout name ("DCT Flash", compared
 * without trailing spaces and case, or the whole iInterface string). */
const sf_alt *sf_plan_find_alt(const sf_profile *p, const char *text, sf_err *err);

/* The leave step of `pl` on its own: the same alt and start address,
 * leave_only, nothing transferred. dfu-util 0.11 then sets the address
 * pointer to `address` and sends the leave request, exactly as `:leave` on
 * the download would have done, so the device starts the firmware there. */
void sf_plan_leave_only(const sf_plan *pl, sf_plan *out);

/* flash --verify: the steps of a verified write. *write is `pl` without
 * leave (the device must still be in DFU mode for the read-back);
 * *readback uploads the same range, without leave; when `pl` leaves DFU
 * mode (the segment's default or --leave), *leave is its leave step
 * (sf_plan_leave_only), to run only after the read-back matched, and
 * *has_leave is true. --no-leave (pl->leave false): no leave step. */
void sf_plan_verified(const sf_plan *pl, sf_plan *write, sf_plan *readback, sf_plan *leave,
		      bool *has_leave);

/* "write", "read", ... for messages and JSON. */
const char *sf_op_kind_name(sf_op_kind kind);

#endif
