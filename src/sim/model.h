/* The simulated DfuSe device: DFU state machine, DfuSe block-0 commands and
 * NOR flash semantics on memory buffers the caller provides (the libusb shim
 * maps them from the state directory; the unit test uses malloc'd ones).
 * No I/O, no libusb dependency: return codes use libusb's numbering so the
 * shim can pass them through unchanged. */
#ifndef SF_SIM_MODEL_H
#define SF_SIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfustate.h"
#include "layout.h"
#include "profile.h"
#include "sf_error.h"

/* libusb error numbers (values fixed by the libusb ABI). */
enum {
	SF_SIM_ERR_IO = -1,
	SF_SIM_ERR_ACCESS = -3,
	SF_SIM_ERR_NO_DEVICE = -4,
	SF_SIM_ERR_NOT_FOUND = -5,
	SF_SIM_ERR_BUSY = -6,
	SF_SIM_ERR_TIMEOUT = -7,
	SF_SIM_ERR_PIPE = -9
};

/* Injected faults (see README "Simulated devices"); counts are per process
 * (one dfu-util run), 1-based. */
typedef struct sf_sim_faults {
	bool access;           /* libusb_open -> LIBUSB_ERROR_ACCESS */
	bool busy;             /* libusb_claim_interface -> LIBUSB_ERROR_BUSY */
	bool ignore_leave;     /* manifests, then comes back in DFU mode */
	bool reset_on_leave;   /* resets instead of answering GETSTATUS after leave */
	long lost_after;       /* -1 none; else vanishes after that many data blocks */
	long status_at;        /* -1 none; data block that fails with status_code */
	int status_code;
	long stall_at;         /* -1 none; DFU request number answered with a STALL */
	long replug_after;     /* -1 none; else drops off the bus after that many
	                          data blocks and comes back in DFU mode ... */
	uint32_t replug_ms;    /* ... this long afterwards, at a new devnum */
	bool stall_leave;      /* the leave request (zero-length DNLOAD) stalls */
	long erase_timeout_at; /* -1 none; erase command N hangs: GETSTATUS times out */
} sf_sim_faults;

void sf_sim_faults_init(sf_sim_faults *f);
/* Parses one fault spec: access | busy | ignore-leave | reset-on-leave |
 * stall-leave | lost=N | replug=N@MS | stall=N | status=<errNAME>@N |
 * erase-timeout=N, merging it into *f; "once:" before any of them but
 * access and busy makes it one-shot (the store drops it after the
 * dfu-util run in which it happened). Pure. */
int sf_sim_fault_parse(const char *spec, sf_sim_faults *f, sf_err *err);

/* Which fault of a model happened (sf_sim_model.fired). */
enum {
	SF_SIM_FIRED_LOST = 1u << 0,
	SF_SIM_FIRED_REPLUG = 1u << 1,
	SF_SIM_FIRED_STATUS = 1u << 2,
	SF_SIM_FIRED_STALL = 1u << 3,
	SF_SIM_FIRED_ERASE_TIMEOUT = 1u << 4,
	SF_SIM_FIRED_IGNORE_LEAVE = 1u << 5,
	SF_SIM_FIRED_RESET_ON_LEAVE = 1u << 6,
	SF_SIM_FIRED_STALL_LEAVE = 1u << 7
};

/* For a "once:" spec: its SF_SIM_FIRED_* bit (0 for a spec that is not
 * one-shot). Pure. */
unsigned sf_sim_fault_once_bit(const char *spec);

/* One alt setting's memory: the layout's regions concatenated in string
 * order (image offset of a region = sum of the sizes before it). */
typedef struct sf_sim_alt {
	int alt;
	const sf_layout *layout;  /* borrowed */
	bool erase_none;          /* read-modify-write: erase ignored, writes replace */
	uint32_t erase_ms, program_ms;
	uint8_t *mem;             /* sf_sim_alt_size() bytes, borrowed */
	uint32_t *erases;         /* per page counters (sf_sim_alt_pages()), borrowed */
	uint32_t *programs;
} sf_sim_alt;

uint64_t sf_sim_layout_size(const sf_layout *layout);
size_t sf_sim_layout_pages(const sf_layout *layout);

/* Where the device is, from the host's point of view. */
enum sf_sim_presence {
	SF_SIM_PRESENT = 0,   /* enumerated in DFU mode */
	SF_SIM_LEFT,          /* left DFU mode (manifested / reset into the app) */
	SF_SIM_LOST,          /* disappeared from the bus (fault lost=N) */
	SF_SIM_REENUMERATED,  /* reset but came back in DFU mode (new devnum) */
	SF_SIM_RUNTIME,       /* enumerated in runtime (application) mode: one DFU
	                         runtime interface, the profile's runtime VID:PID */
	SF_SIM_UNPLUGGED      /* off the bus for a while (fault replug=N@MS), then
	                         back in DFU mode at a new devnum */
};

/* The DFU state and status a bootloader starts with after power-on or a
 * reset: dfuIDLE/OK, or dfuERROR with its first_status (the Core's
 * errFIRMWARE). */
void sf_sim_boot_state(const sf_bootloader *bl, uint8_t *state, uint8_t *status);

typedef struct sf_sim_model {
	uint16_t transfer_size;
	bool real_timing;
	sf_sim_faults faults;
	sf_sim_alt *alts;
	size_t nalts;
	size_t cur;               /* index into alts */

	uint8_t state, status;
	uint8_t busy_result;      /* status the DNBUSY phase resolves to */
	uint32_t poll_ms;
	uint32_t pointer;         /* DfuSe address pointer */
	uint32_t last_address;    /* last address programmed, erased or read */

	uint8_t *pending;         /* DNLOAD payload awaiting GETSTATUS */
	size_t pending_len;
	uint16_t pending_block;
	bool has_pending;
	bool pending_fails;       /* injected status fault for the pending block */

	bool will_detach;         /* bitWillDetach: DFU_DETACH re-enumerates at once */
	unsigned long requests;   /* DFU class requests seen (for stall=N) */
	unsigned long data_blocks;
	unsigned long erase_cmds; /* page erase commands seen (for erase-timeout=N) */
	bool hung;                /* erase-timeout: stopped answering */
	bool refuse_stall;        /* the pending GETSTATUS stalls (refused "stall") */
	enum sf_sim_presence presence;
	unsigned fired;           /* SF_SIM_FIRED_*: the faults that happened */

	sf_bootloader bl;         /* protected_ranges borrowed */
	uint64_t now_ms;          /* the caller's clock (sf_sim_tick) */
	bool reset_pending;       /* answered the leave; resets at reset_at */
	uint64_t reset_at;
	enum sf_sim_presence reset_to;
} sf_sim_model;

/* Sets up a model over `alts` (borrowed). The address pointer starts at
 * the first writable address of the first alt. Returns 0, or -1 when out of
 * memory. */
int sf_sim_model_init(sf_sim_model *m, sf_sim_alt *alts, size_t nalts,
		      uint16_t transfer_size, bool real_timing,
		      const sf_sim_faults *faults);
void sf_sim_model_free(sf_sim_model *m);

/* The bootloader behaviour to follow (copied; its ranges are borrowed).
 * Without this call: the generic behaviour. */
void sf_sim_model_bootloader(sf_sim_model *m, const sf_bootloader *bl);

/* Advances the model's clock (milliseconds, monotonic): a reset due after a
 * leave (bootloader leave_reset_ms) happens. Returns the presence. */
enum sf_sim_presence sf_sim_tick(sf_sim_model *m, uint64_t now_ms);

/* The host went away: time passes, so a reset still due happens now. */
void sf_sim_finish(sf_sim_model *m);

/* Puts a freshly initialised model in runtime mode (appIDLE). In runtime
 * mode only GETSTATUS, GETSTATE and DFU_DETACH are answered; DFU_DETACH
 * switches to DFU mode (presence REENUMERATED) when will_detach, else the
 * device waits in appDETACH for a USB reset (sf_sim_usb_reset). */
void sf_sim_model_runtime(sf_sim_model *m, bool will_detach);

/* A USB bus reset: a DFU-mode device starts its application (LEFT); a
 * runtime device in appDETACH comes back in DFU mode (REENUMERATED); a
 * runtime device in appIDLE stays as it is. Returns the new presence. */
enum sf_sim_presence sf_sim_usb_reset(sf_sim_model *m);

/* Where a device that left DFU mode rests for the next host: back in
 * runtime mode when its profile has a runtime VID:PID (the firmware runs
 * and enumerates), else simply gone (LEFT). Other presences unchanged. */
enum sf_sim_presence sf_sim_settle(enum sf_sim_presence p, bool has_runtime);

/* SET_INTERFACE: 0 or SF_SIM_ERR_PIPE for an unknown alt. */
int sf_sim_set_alt(sf_sim_model *m, int alt);

/* A DFU class request (bmRequestType 0x21 / 0xA1). Returns bytes transferred
 * (wLength for OUT requests) or a negative SF_SIM_ERR_* (SF_SIM_ERR_TIMEOUT:
 * the device did not answer; the caller lets some time pass). */
int sf_sim_request(sf_sim_model *m, uint8_t request_type, uint8_t request,
		   uint16_t value, uint8_t *data, uint16_t length);

/* The state to persist when the process ends: transient states collapse to
 * what a device would show to the next host. */
uint8_t sf_sim_resting_state(const sf_sim_model *m);

/* Image offset and global page index of addr in a layout; false if unmapped. */
bool sf_sim_locate(const sf_layout *layout, uint32_t addr, uint64_t *offset,
		   size_t *page, const sf_region **region);

#endif
