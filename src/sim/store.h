/* The simulation directory (I/O edge shared by `sparkflash sim` and the
 * libusb stand-in):
 *
 *   DIR/devices/SERIAL/device.json  fixed facts: serial, USB path, bus,
 *                                   timing (fast|real), faults, profile id,
 *                                   refused (overrides bootloader.refused)
 *   DIR/devices/SERIAL/profile.json copy of the profile it was added with
 *   DIR/devices/SERIAL/state.json   what changes: mode (dfu|runtime|left|lost|
 *                                   unplugged, with back_at/back_devnum),
 *                                   the one-shot faults spent,
 *                                   devnum, DFU state/status, address
 *                                   pointer, last address, per-page erase and
 *                                   program counters, session count
 *   DIR/devices/SERIAL/altN.bin     memory of alt N: the layout's regions
 *                                   concatenated in string order; erased = 0xFF
 *
 * state.json is replaced atomically (temp + rename); images are updated in
 * place through a shared mapping, so a killed process leaves whole pages.
 * A process that changes a device holds flock(LOCK_EX) on its directory. */
#ifndef SF_SIM_STORE_H
#define SF_SIM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "sf_error.h"
#include "sim/model.h"

#define SF_SIM_MAX_FAULTS 16
#define SF_SIM_MAX_PORTS 7

typedef struct sf_sim_counters {
	uint32_t *erases;    /* per page, sf_sim_layout_pages() entries */
	uint32_t *programs;
	size_t npages;
} sf_sim_counters;

typedef struct sf_sim_device {
	char *dir;                       /* DIR/devices/SERIAL */
	char serial[64];
	char path[32];                   /* "1-2" or "1-1.4" */
	uint8_t bus;
	uint8_t ports[SF_SIM_MAX_PORTS];
	int nports;
	bool real_timing;
	char *fault_specs[SF_SIM_MAX_FAULTS];
	size_t nfaults;
	bool spent[SF_SIM_MAX_FAULTS];   /* state.json "spent_faults": a "once:" fault that happened */
	sf_sim_faults faults;            /* the faults in force (not spent) */
	sf_profile profile;

	bool has_refused;                /* device.json "refused": overrides the profile's */
	enum sf_bl_refused refused;

	/* state.json */
	enum sf_sim_presence mode;       /* PRESENT (in DFU mode), RUNTIME, LEFT,
	                                    LOST or UNPLUGGED */
	uint8_t devnum;
	uint64_t back_at;                /* UNPLUGGED: wall-clock ms when it is back ... */
	uint8_t back_devnum;             /* ... at this devnum */
	uint8_t dfu_state, dfu_status;
	uint32_t pointer;
	bool has_pointer;
	uint32_t last_address;
	unsigned long sessions;
	sf_sim_counters *counters;       /* one per profile alt, same order */
} sf_sim_device;

/* "devices" directory of a simulation dir (malloc'd). */
char *sf_sim_devices_dir(const char *sim_dir);

/* Serial numbers of the devices in sim_dir, sorted by USB path (bus, then
 * ports). *serials is malloc'd (free with sf_sim_names_free). A missing
 * devices directory gives an empty list. */
int sf_sim_device_names(const char *sim_dir, char ***serials, size_t *n, sf_err *err);
void sf_sim_names_free(char **serials, size_t n);

/* Loads device.json, profile.json and state.json of DIR/devices/SERIAL. An
 * unplugged device whose back_at has passed loads as back in DFU mode (at
 * back_devnum, in the bootloader's first state). */
int sf_sim_device_load(const char *sim_dir, const char *serial, sf_sim_device *d, sf_err *err);
void sf_sim_device_free(sf_sim_device *d);

/* Writes state.json atomically. */
int sf_sim_state_save(const sf_sim_device *d, sf_err *err);

/* Path of the image of alt index i (malloc'd). */
char *sf_sim_image_path(const sf_sim_device *d, size_t alt_index);

/* flock on the device directory: returns an fd (>= 0) or -1 with err set.
 * nonblock: fail with EWOULDBLOCK instead of waiting (errno preserved). */
int sf_sim_lock(const char *dev_dir, bool exclusive, bool nonblock, sf_err *err);
void sf_sim_unlock(int fd);

/* Checks a serial number for use as a directory name: [A-Za-z0-9_-], 1..63. */
bool sf_sim_serial_ok(const char *serial);

/* Parses "BUS-PORT[.PORT...]" (bus 1..255, ports 1..255, at most 7). */
bool sf_sim_path_parse(const char *path, uint8_t *bus, uint8_t *ports, int *nports);

/* Parameters of a new device (sim add). */
typedef struct sf_sim_new {
	const char *profile_file;  /* copied into the device directory */
	const sf_profile *profile; /* already parsed from profile_file */
	const char *serial;        /* NULL: generated */
	const char *path;          /* NULL: next free "1-N" */
	bool real_timing;
	bool runtime;              /* starts in runtime mode (profile must have usb.runtime) */
	const char *const *faults; /* validated specs */
	size_t nfaults;
	const char *refused;       /* NULL: the profile's bootloader.refused */
} sf_sim_new;

/* Creates DIR (if missing) and DIR/devices/SERIAL with blank (0xFF) images.
 * Refuses a serial or path already in use. serial_out gets the serial. */
int sf_sim_device_create(const char *sim_dir, const sf_sim_new *spec, char *serial_out,
			 size_t serial_size, sf_err *err);

/* Removes a device directory (under its lock). */
int sf_sim_device_remove(const char *sim_dir, const char *serial, sf_err *err);

/* Brings a device back in DFU mode (dfuIDLE, new devnum), as a replug with
 * the button held would; runtime: in runtime mode instead, as a plain replug
 * running the firmware would (refused when the profile has no runtime id). */
int sf_sim_device_reset(const char *sim_dir, const char *serial, bool runtime, sf_err *err);

/* A device address not used on `bus` by any device in sim_dir (what a
 * re-enumerating device gets). */
uint8_t sf_sim_next_devnum(const char *sim_dir, uint8_t bus);

const char *sf_sim_mode_name(enum sf_sim_presence mode);

#endif
