/* libusb-1.0 stand-in: presents the devices of $SPARKFLASH_SIM_DIR (see
 * store.h) to a program that links libusb (dfu-util), when preloaded with
 * LD_PRELOAD. Exports the functions dfu-util 0.9-0.11 import with the exact
 * libusb.h signatures; DFU requests go to the device model (model.h).
 * Never writes to stdout: the program's output must stay its own. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <libusb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim/model.h"
#include "sim/store.h"

#define EXPORT __attribute__((visibility("default")))

struct libusb_context {
	int unused;
};

struct libusb_device {
	int refs;
	sf_sim_device dev;
	char *sim_dir;
};

/* An open device; a "session" (lock + mapped images + model) exists from the
 * first claim or DFU request until release/close. */
struct libusb_device_handle {
	libusb_device *dev;
	bool session;
	int lock_fd;
	sf_sim_device live;      /* state reloaded under the lock */
	sf_sim_alt *alts;
	size_t *map_sizes;
	sf_sim_model model;
	bool saved_presence;
	uint8_t saved_resting;   /* resting DFU state last written to state.json */
	struct libusb_device_handle *next; /* open handles, for the exit hook */
};

static libusb_device_handle *open_handles;

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void warn_sim(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn_sim(const char *fmt, ...)
{
	va_list ap;
	fputs("sparkflash-sim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

EXPORT int libusb_init(libusb_context **ctx)
{
	if (ctx) {
		*ctx = calloc(1, sizeof **ctx);
		if (!*ctx)
			return LIBUSB_ERROR_NO_MEM;
	}
	return 0;
}

EXPORT void libusb_exit(libusb_context *ctx)
{
	free(ctx);
}

EXPORT int libusb_set_option(libusb_context *ctx, enum libusb_option option, ...)
{
	(void)ctx;
	(void)option;
	return 0;
}

EXPORT void libusb_set_debug(libusb_context *ctx, int level)
{
	(void)ctx;
	(void)level;
}

EXPORT const struct libusb_version *libusb_get_version(void)
{
	/* The numbers of the libusb the simulator was built against, so -v
	 * output matches the real library. */
	static const struct libusb_version v = { 1, 0, 26, 11724, "", "http://libusb.info" };
	return &v;
}

EXPORT int libusb_has_capability(uint32_t capability)
{
	return capability == LIBUSB_CAP_HAS_CAPABILITY;
}

EXPORT const char *libusb_error_name(int code)
{
	switch (code) {
	case LIBUSB_SUCCESS: return "LIBUSB_SUCCESS";
	case LIBUSB_ERROR_IO: return "LIBUSB_ERROR_IO";
	case LIBUSB_ERROR_INVALID_PARAM: return "LIBUSB_ERROR_INVALID_PARAM";
	case LIBUSB_ERROR_ACCESS: return "LIBUSB_ERROR_ACCESS";
	case LIBUSB_ERROR_NO_DEVICE: return "LIBUSB_ERROR_NO_DEVICE";
	case LIBUSB_ERROR_NOT_FOUND: return "LIBUSB_ERROR_NOT_FOUND";
	case LIBUSB_ERROR_BUSY: return "LIBUSB_ERROR_BUSY";
	case LIBUSB_ERROR_TIMEOUT: return "LIBUSB_ERROR_TIMEOUT";
	case LIBUSB_ERROR_OVERFLOW: return "LIBUSB_ERROR_OVERFLOW";
	case LIBUSB_ERROR_PIPE: return "LIBUSB_ERROR_PIPE";
	case LIBUSB_ERROR_INTERRUPTED: return "LIBUSB_ERROR_INTERRUPTED";
	case LIBUSB_ERROR_NO_MEM: return "LIBUSB_ERROR_NO_MEM";
	case LIBUSB_ERROR_NOT_SUPPORTED: return "LIBUSB_ERROR_NOT_SUPPORTED";
	case LIBUSB_ERROR_OTHER: return "LIBUSB_ERROR_OTHER";
	default: return "**UNKNOWN**";
	}
}

EXPORT const char *libusb_strerror(int code)
{
	return libusb_error_name(code);
}

EXPORT libusb_device *libusb_ref_device(libusb_device *dev)
{
	if (dev)
		dev->refs++;
	return dev;
}

EXPORT void libusb_unref_device(libusb_device *dev)
{
	if (!dev || --dev->refs > 0)
		return;
	sf_sim_device_free(&dev->dev);
	free(dev->sim_dir);
	free(dev);
}

EXPORT ssize_t libusb_get_device_list(libusb_context *ctx, libusb_device ***list)
{
	const char *dir = getenv("SPARKFLASH_SIM_DIR");
	char **names = NULL;
	size_t n = 0, k = 0;
	sf_err err = { 0, "" };
	(void)ctx;
	if (dir && *dir && sf_sim_device_names(dir, &names, &n, &err) != 0)
		warn_sim("%s", err.msg);
	*list = calloc(n + 1, sizeof **list);
	if (!*list) {
		sf_sim_names_free(names, n);
		return LIBUSB_ERROR_NO_MEM;
	}
	for (size_t i = 0; i < n; i++) {
		libusb_device *d = calloc(1, sizeof *d);
		if (!d)
			break;
		if (sf_sim_device_load(dir, names[i], &d->dev, &err) != 0) {
			warn_sim("device '%s' skipped: %s", names[i], err.msg);
			free(d);
			continue;
		}
		/* A device that left DFU mode (or vanished) is not on the bus
		 * as a DFU device any more. */
		if ((d->dev.mode != SF_SIM_PRESENT && d->dev.mode != SF_SIM_RUNTIME) ||
		    !(d->sim_dir = strdup(dir))) {
			sf_sim_device_free(&d->dev);
			free(d);
			continue;
		}
		d->refs = 1;
		(*list)[k++] = d;
	}
	sf_sim_names_free(names, n);
	return (ssize_t)k;
}

EXPORT void libusb_free_device_list(libusb_device **list, int unref_devices)
{
	if (!list)
		return;
	if (unref_devices)
		for (libusb_device **d = list; *d; d++)
			libusb_unref_device(*d);
	free(list);
}

EXPORT int libusb_get_device_descriptor(libusb_device *dev, struct libusb_device_descriptor *desc)
{
	const sf_profile *p = &dev->dev.profile;
	memset(desc, 0, sizeof *desc);
	desc->bLength = LIBUSB_DT_DEVICE_SIZE;
	desc->bDescriptorType = LIBUSB_DT_DEVICE;
	desc->bcdUSB = 0x0100;
	desc->bMaxPacketSize0 = 64;
	/* In runtime mode the application enumerates with its own id. */
	desc->idVendor = dev->dev.mode == SF_SIM_RUNTIME ? p->runtime.vid : p->dfu.vid;
	desc->idProduct = dev->dev.mode == SF_SIM_RUNTIME ? p->runtime.pid : p->dfu.pid;
	desc->bcdDevice = p->bcd_device;
	desc->iManufacturer = 1;
	desc->iProduct = 2;
	desc->iSerialNumber = 3;
	desc->bNumConfigurations = 1;
	return 0;
}

/* DFU functional descriptor: CanDnload, CanUpload, WillDetach; DfuSe 1.1a. */
static void functional_descriptor(const sf_profile *p, uint8_t out[9])
{
	out[0] = 9;
	out[1] = 0x21;
	out[2] = 0x0B;
	out[3] = (uint8_t)(p->detach_timeout & 0xFF);
	out[4] = (uint8_t)(p->detach_timeout >> 8);
	out[5] = (uint8_t)(p->transfer_size & 0xFF);
	out[6] = (uint8_t)(p->transfer_size >> 8);
	out[7] = 0x1A;
	out[8] = 0x01;
}

EXPORT int libusb_get_config_descriptor(libusb_device *dev, uint8_t config_index,
					struct libusb_config_descriptor **config)
{
	const sf_profile *p = &dev->dev.profile;
	bool runtime = dev->dev.mode == SF_SIM_RUNTIME;
	size_t n = runtime ? 1 : p->nalts;
	struct libusb_config_descriptor *c;
	struct libusb_interface *intf;
	struct libusb_interface_descriptor *alts;
	unsigned char *extra;
	if (config_index != 0)
		return LIBUSB_ERROR_NOT_FOUND;
	/* One block, freed by libusb_free_config_descriptor. */
	c = calloc(1, sizeof *c + sizeof *intf + n * sizeof *alts + 9);
	if (!c)
		return LIBUSB_ERROR_NO_MEM;
	intf = (struct libusb_interface *)(c + 1);
	alts = (struct libusb_interface_descriptor *)(intf + 1);
	extra = (unsigned char *)(alts + n);
	functional_descriptor(p, extra);
	c->bLength = LIBUSB_DT_CONFIG_SIZE;
	c->bDescriptorType = LIBUSB_DT_CONFIG;
	c->wTotalLength = (uint16_t)(9 + 9 * n + 9);
	c->bNumInterfaces = 1;
	c->bConfigurationValue = 1;
	c->bmAttributes = 0xC0;
	c->MaxPower = 0x32;
	c->interface = intf;
	intf->altsetting = alts;
	intf->num_altsetting = (int)n;
	for (size_t i = 0; i < n; i++) {
		alts[i].bLength = LIBUSB_DT_INTERFACE_SIZE;
		alts[i].bDescriptorType = LIBUSB_DT_INTERFACE;
		alts[i].bInterfaceNumber = 0;
		alts[i].bInterfaceClass = 0xFE;
		alts[i].bInterfaceSubClass = 0x01;
		if (runtime) {
			/* One DFU runtime interface (protocol 1), no string. */
			alts[i].bAlternateSetting = 0;
			alts[i].bInterfaceProtocol = 0x01;
			alts[i].iInterface = 0;
			continue;
		}
		alts[i].bAlternateSetting = (uint8_t)p->alts[i].alt;
		alts[i].bInterfaceProtocol = 0x02;
		alts[i].iInterface = (uint8_t)(4 + i);
	}
	/* Real hardware sends the functional descriptor after the last
	 * interface descriptor, so libusb hands it out as that alt's extra. */
	if (n) {
		alts[n - 1].extra = extra;
		alts[n - 1].extra_length = 9;
	}
	*config = c;
	return 0;
}

EXPORT int libusb_get_active_config_descriptor(libusb_device *dev,
					       struct libusb_config_descriptor **config)
{
	return libusb_get_config_descriptor(dev, 0, config);
}

EXPORT void libusb_free_config_descriptor(struct libusb_config_descriptor *config)
{
	free(config);
}

EXPORT uint8_t libusb_get_bus_number(libusb_device *dev)
{
	return dev->dev.bus;
}

EXPORT uint8_t libusb_get_device_address(libusb_device *dev)
{
	return dev->dev.devnum;
}

EXPORT int libusb_get_port_numbers(libusb_device *dev, uint8_t *port_numbers, int len)
{
	if (len < dev->dev.nports)
		return LIBUSB_ERROR_OVERFLOW;
	memcpy(port_numbers, dev->dev.ports, (size_t)dev->dev.nports);
	return dev->dev.nports;
}

EXPORT int libusb_get_port_path(libusb_context *ctx, libusb_device *dev, uint8_t *path, uint8_t len)
{
	(void)ctx;
	return libusb_get_port_numbers(dev, path, len);
}

EXPORT int libusb_get_device_speed(libusb_device *dev)
{
	(void)dev;
	return LIBUSB_SPEED_FULL;
}

EXPORT int libusb_open(libusb_device *dev, libusb_device_handle **handle)
{
	libusb_device_handle *h;
	if (dev->dev.faults.access)
		return LIBUSB_ERROR_ACCESS;
	h = calloc(1, sizeof *h);
	if (!h)
		return LIBUSB_ERROR_NO_MEM;
	h->dev = libusb_ref_device(dev);
	h->lock_fd = -1;
	h->next = open_handles;
	open_handles = h;
	*handle = h;
	return 0;
}

EXPORT libusb_device *libusb_get_device(libusb_device_handle *h)
{
	return h->dev;
}

static void unmap_alts(libusb_device_handle *h)
{
	for (size_t i = 0; h->alts && i < h->live.profile.nalts; i++)
		if (h->alts[i].mem && h->alts[i].mem != MAP_FAILED)
			munmap(h->alts[i].mem, h->map_sizes[i]);
	free(h->alts);
	free(h->map_sizes);
	h->alts = NULL;
	h->map_sizes = NULL;
}

/* Writes what the next host will see (state.json). */
static void save_live(libusb_device_handle *h)
{
	sf_err err = { 0, "" };
	sf_sim_model *m = &h->model;
	sf_sim_device *d = &h->live;
	d->dfu_state = sf_sim_resting_state(m);
	d->dfu_status = d->dfu_state == SF_DFU_ERROR ? m->status : SF_DFU_OK;
	d->pointer = m->pointer;
	d->has_pointer = true;
	d->last_address = m->last_address;
	/* a one-shot fault that happened is gone for the next run */
	for (size_t f = 0; f < d->nfaults; f++)
		if (!d->spent[f] && (sf_sim_fault_once_bit(d->fault_specs[f]) & m->fired))
			d->spent[f] = true;
	switch (m->presence) {
	case SF_SIM_PRESENT:
		break;
	case SF_SIM_REENUMERATED:
		/* Came back in DFU mode at a new address, freshly reset. */
		d->mode = SF_SIM_PRESENT;
		if (d->devnum == h->dev->dev.devnum) /* once, even if saved twice */
			d->devnum = sf_sim_next_devnum(h->dev->sim_dir, d->bus);
		sf_sim_boot_state(&d->profile.bootloader, &d->dfu_state, &d->dfu_status);
		d->has_pointer = false;
		break;
	case SF_SIM_UNPLUGGED:
		/* Off the bus; sf_sim_device_load brings it back later. */
		if (d->mode != SF_SIM_UNPLUGGED) {
			d->mode = SF_SIM_UNPLUGGED;
			d->back_at = clock_ms(CLOCK_REALTIME) + d->faults.replug_ms;
			d->back_devnum = sf_sim_next_devnum(h->dev->sim_dir, d->bus);
		}
		d->has_pointer = false;
		break;
	case SF_SIM_RUNTIME:
		d->mode = SF_SIM_RUNTIME;
		d->dfu_state = SF_DFU_IDLE;
		d->dfu_status = SF_DFU_OK;
		d->has_pointer = false;
		break;
	case SF_SIM_LEFT:
	case SF_SIM_LOST:
		/* After a leave the firmware runs: a device with a runtime id
		 * re-enumerates in runtime mode at a new address. */
		d->mode = sf_sim_settle(m->presence, d->profile.has_runtime);
		if (d->mode == SF_SIM_RUNTIME && d->devnum == h->dev->dev.devnum)
			d->devnum = sf_sim_next_devnum(h->dev->sim_dir, d->bus);
		d->dfu_state = SF_DFU_IDLE;
		d->dfu_status = SF_DFU_OK;
		d->has_pointer = false;
		break;
	}
	if (sf_sim_state_save(d, &err) != 0)
		warn_sim("%s", err.msg);
}

static void end_session(libusb_device_handle *h)
{
	if (!h->session)
		return;
	sf_sim_finish(&h->model); /* a reset due after the leave happens anyway */
	save_live(h);
	sf_sim_model_free(&h->model);
	unmap_alts(h);
	sf_sim_device_free(&h->live);
	sf_sim_unlock(h->lock_fd);
	h->lock_fd = -1;
	h->session = false;
}

static int map_alts(libusb_device_handle *h)
{
	sf_sim_device *d = &h->live;
	size_t n = d->profile.nalts;
	h->alts = calloc(n ? n : 1, sizeof *h->alts);
	h->map_sizes = calloc(n ? n : 1, sizeof *h->map_sizes);
	if (!h->alts || !h->map_sizes)
		return LIBUSB_ERROR_NO_MEM;
	for (size_t i = 0; i < n; i++) {
		const sf_alt *pa = &d->profile.alts[i];
		char *file = sf_sim_image_path(d, i);
		uint64_t size = sf_sim_layout_size(&pa->layout);
		struct stat st;
		int fd = file ? open(file, O_RDWR | O_CLOEXEC) : -1;
		if (fd < 0 || fstat(fd, &st) != 0 || (uint64_t)st.st_size != size || size == 0) {
			warn_sim("memory image '%s' is missing or has the wrong size (want %llu bytes); remove and re-add the device",
				 file ? file : "?", (unsigned long long)size);
			if (fd >= 0)
				close(fd);
			free(file);
			return LIBUSB_ERROR_IO;
		}
		free(file);
		/* Shared mapping: every programmed byte is in the file at once,
		 * so a killed process leaves what hardware would. */
		h->alts[i].mem = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (h->alts[i].mem == MAP_FAILED) {
			h->alts[i].mem = NULL;
			return LIBUSB_ERROR_IO;
		}
		h->map_sizes[i] = (size_t)size;
		h->alts[i].alt = pa->alt;
		h->alts[i].layout = &pa->layout;
		h->alts[i].erase_none = pa->erase_none;
		h->alts[i].erase_ms = pa->timing.erase_ms;
		h->alts[i].program_ms = pa->timing.program_ms;
		h->alts[i].erases = d->counters[i].erases;
		h->alts[i].programs = d->counters[i].programs;
	}
	return 0;
}

static int begin_session(libusb_device_handle *h)
{
	sf_err err = { 0, "" };
	libusb_device *dev = h->dev;
	int rc;
	if (h->session)
		return 0;
	if (dev->dev.faults.busy)
		return LIBUSB_ERROR_BUSY;
	h->lock_fd = sf_sim_lock(dev->dev.dir, true, true, &err);
	if (h->lock_fd < 0)
		/* Another process has the interface claimed. */
		return errno == EWOULDBLOCK ? LIBUSB_ERROR_BUSY : LIBUSB_ERROR_NO_DEVICE;
	if (sf_sim_device_load(dev->sim_dir, dev->dev.serial, &h->live, &err) != 0) {
		warn_sim("%s", err.msg);
		sf_sim_unlock(h->lock_fd);
		h->lock_fd = -1;
		return LIBUSB_ERROR_NO_DEVICE;
	}
	if (h->live.mode != dev->dev.mode || h->live.devnum != dev->dev.devnum) {
		rc = LIBUSB_ERROR_NO_DEVICE; /* left or replugged since listing */
		goto fail;
	}
	if ((rc = map_alts(h)) != 0)
		goto fail;
	if (sf_sim_model_init(&h->model, h->alts, h->live.profile.nalts, h->live.profile.transfer_size,
			      h->live.real_timing, &h->live.faults) != 0) {
		rc = LIBUSB_ERROR_NO_MEM;
		goto fail;
	}
	sf_sim_model_bootloader(&h->model, &h->live.profile.bootloader);
	sf_sim_tick(&h->model, clock_ms(CLOCK_MONOTONIC));
	h->model.state = h->live.dfu_state;
	h->model.status = h->live.dfu_status;
	if (h->live.mode == SF_SIM_RUNTIME)
		/* The functional descriptor sets bitWillDetach (0x0B). */
		sf_sim_model_runtime(&h->model, true);
	if (h->live.has_pointer)
		h->model.pointer = h->live.pointer;
	h->model.last_address = h->live.last_address;
	h->live.sessions++;
	h->saved_resting = sf_sim_resting_state(&h->model);
	h->session = true;
	return 0;
fail:
	unmap_alts(h);
	sf_sim_device_free(&h->live);
	sf_sim_unlock(h->lock_fd);
	h->lock_fd = -1;
	return rc;
}

/* dfu-util exits through errx() without closing the device after most
 * failures; the device state (e.g. dfuERROR) must still reach the next
 * process, as it would on hardware. */
__attribute__((destructor)) static void save_open_sessions(void)
{
	for (libusb_device_handle *h = open_handles; h; h = h->next)
		end_session(h);
}

EXPORT void libusb_close(libusb_device_handle *h)
{
	if (!h)
		return;
	for (libusb_device_handle **p = &open_handles; *p; p = &(*p)->next)
		if (*p == h) {
			*p = h->next;
			break;
		}
	end_session(h);
	libusb_unref_device(h->dev);
	free(h);
}

EXPORT int libusb_claim_interface(libusb_device_handle *h, int interface_number)
{
	if (interface_number != 0)
		return LIBUSB_ERROR_NOT_FOUND;
	return begin_session(h);
}

EXPORT int libusb_release_interface(libusb_device_handle *h, int interface_number)
{
	if (interface_number != 0)
		return LIBUSB_ERROR_NOT_FOUND;
	end_session(h);
	return 0;
}

/* After a request that made the device leave, record it at once: the
 * program may exit without closing. */
static void note_presence(libusb_device_handle *h)
{
	if (h->model.presence != SF_SIM_PRESENT && h->model.presence != SF_SIM_RUNTIME &&
	    !h->saved_presence) {
		h->saved_presence = true;
		save_live(h);
	}
}

EXPORT int libusb_set_interface_alt_setting(libusb_device_handle *h, int interface_number,
					    int alternate_setting)
{
	int rc;
	if (interface_number != 0)
		return LIBUSB_ERROR_NOT_FOUND;
	if ((rc = begin_session(h)) != 0)
		return rc;
	sf_sim_tick(&h->model, clock_ms(CLOCK_MONOTONIC));
	note_presence(h);
	rc = sf_sim_set_alt(&h->model, alternate_setting);
	return rc == SF_SIM_ERR_PIPE ? LIBUSB_ERROR_NOT_FOUND : rc;
}

EXPORT int libusb_set_configuration(libusb_device_handle *h, int configuration)
{
	(void)h;
	return configuration == 1 || configuration == -1 ? 0 : LIBUSB_ERROR_NOT_FOUND;
}

EXPORT int libusb_kernel_driver_active(libusb_device_handle *h, int interface_number)
{
	(void)h;
	(void)interface_number;
	return 0;
}

EXPORT int libusb_detach_kernel_driver(libusb_device_handle *h, int interface_number)
{
	(void)h;
	(void)interface_number;
	return LIBUSB_ERROR_NOT_FOUND;
}

EXPORT int libusb_attach_kernel_driver(libusb_device_handle *h, int interface_number)
{
	(void)h;
	(void)interface_number;
	return LIBUSB_ERROR_NOT_FOUND;
}

EXPORT int libusb_set_auto_detach_kernel_driver(libusb_device_handle *h, int enable)
{
	(void)h;
	(void)enable;
	return 0;
}

EXPORT int libusb_clear_halt(libusb_device_handle *h, unsigned char endpoint)
{
	(void)h;
	(void)endpoint;
	return 0;
}

EXPORT int libusb_reset_device(libusb_device_handle *h)
{
	int rc = begin_session(h);
	if (rc != 0)
		return rc;
	sf_sim_tick(&h->model, clock_ms(CLOCK_MONOTONIC));
	note_presence(h);
	if (h->model.presence != SF_SIM_PRESENT && h->model.presence != SF_SIM_RUNTIME)
		return LIBUSB_ERROR_NO_DEVICE;
	/* A bus reset starts the application (or, after a runtime DETACH, the
	 * bootloader): the device re-enumerates as a different device, which
	 * libusb reports as NOT_FOUND. */
	if (sf_sim_usb_reset(&h->model) == SF_SIM_RUNTIME)
		return 0;
	note_presence(h);
	return LIBUSB_ERROR_NOT_FOUND;
}

/* UTF-16LE string descriptor from ASCII text. */
static int string_descriptor(const char *text, unsigned char *data, uint16_t length)
{
	unsigned char buf[255];
	size_t n = strlen(text);
	if (n > 126)
		n = 126;
	buf[0] = (unsigned char)(2 + 2 * n);
	buf[1] = LIBUSB_DT_STRING;
	for (size_t i = 0; i < n; i++) {
		buf[2 + 2 * i] = (unsigned char)text[i];
		buf[3 + 2 * i] = 0;
	}
	n = buf[0] < length ? buf[0] : length;
	memcpy(data, buf, n);
	return (int)n;
}

static const char *string_text(libusb_device *dev, uint8_t index)
{
	const sf_profile *p = &dev->dev.profile;
	if (dev->dev.mode == SF_SIM_RUNTIME && index > 3)
		return NULL; /* the runtime interface has no alt strings */
	switch (index) {
	case 1: return p->manufacturer ? p->manufacturer : "";
	case 2: return p->product ? p->product : "";
	case 3: return dev->dev.serial;
	default:
		if (index >= 4 && (size_t)(index - 4) < p->nalts)
			return p->alts[index - 4].layout_text;
		return NULL;
	}
}

static int get_descriptor(libusb_device_handle *h, uint16_t value, unsigned char *data, uint16_t length)
{
	uint8_t type = (uint8_t)(value >> 8), index = (uint8_t)(value & 0xFF);
	unsigned char buf[64];
	size_t n;
	if (type == LIBUSB_DT_STRING) {
		const char *text;
		if (index == 0) {
			static const unsigned char langids[] = { 4, LIBUSB_DT_STRING, 0x09, 0x04 };
			n = length < sizeof langids ? length : sizeof langids;
			memcpy(data, langids, n);
			return (int)n;
		}
		if (!(text = string_text(h->dev, index)))
			return LIBUSB_ERROR_PIPE;
		return string_descriptor(text, data, length);
	}
	if (type == 0x21) {
		functional_descriptor(&h->dev->dev.profile, buf);
		n = length < 9 ? length : 9;
		memcpy(data, buf, n);
		return (int)n;
	}
	if (type == LIBUSB_DT_DEVICE) {
		struct libusb_device_descriptor d;
		libusb_get_device_descriptor(h->dev, &d);
		buf[0] = 18;
		buf[1] = LIBUSB_DT_DEVICE;
		buf[2] = (uint8_t)(d.bcdUSB & 0xFF);
		buf[3] = (uint8_t)(d.bcdUSB >> 8);
		buf[4] = buf[5] = buf[6] = 0;
		buf[7] = d.bMaxPacketSize0;
		buf[8] = (uint8_t)(d.idVendor & 0xFF);
		buf[9] = (uint8_t)(d.idVendor >> 8);
		buf[10] = (uint8_t)(d.idProduct & 0xFF);
		buf[11] = (uint8_t)(d.idProduct >> 8);
		buf[12] = (uint8_t)(d.bcdDevice & 0xFF);
		buf[13] = (uint8_t)(d.bcdDevice >> 8);
		buf[14] = 1;
		buf[15] = 2;
		buf[16] = 3;
		buf[17] = 1;
		n = length < 18 ? length : 18;
		memcpy(data, buf, n);
		return (int)n;
	}
	return LIBUSB_ERROR_PIPE;
}

EXPORT int libusb_control_transfer(libusb_device_handle *h, uint8_t request_type,
				   uint8_t bRequest, uint16_t wValue, uint16_t wIndex,
				   unsigned char *data, uint16_t wLength, unsigned int timeout)
{
	int rc;
	if (!h)
		return LIBUSB_ERROR_INVALID_PARAM;
	if (wLength && !data)
		return LIBUSB_ERROR_INVALID_PARAM;
	if (h->session) {
		sf_sim_tick(&h->model, clock_ms(CLOCK_MONOTONIC));
		note_presence(h);
	}
	if (h->session && h->model.presence != SF_SIM_PRESENT && h->model.presence != SF_SIM_RUNTIME)
		return LIBUSB_ERROR_NO_DEVICE;
	if ((request_type & 0x60) == LIBUSB_REQUEST_TYPE_STANDARD) {
		if (request_type == 0x80 && bRequest == LIBUSB_REQUEST_GET_DESCRIPTOR)
			return get_descriptor(h, wValue, data, wLength);
		if (request_type == 0x01 && bRequest == LIBUSB_REQUEST_SET_INTERFACE)
			return libusb_set_interface_alt_setting(h, wIndex, wValue);
		return LIBUSB_ERROR_PIPE;
	}
	if ((request_type & 0x60) != LIBUSB_REQUEST_TYPE_CLASS ||
	    (request_type & 0x1F) != LIBUSB_RECIPIENT_INTERFACE || (wIndex & 0xFF) != 0)
		return LIBUSB_ERROR_PIPE;
	if ((rc = begin_session(h)) != 0)
		return rc;
	sf_sim_tick(&h->model, clock_ms(CLOCK_MONOTONIC));
	rc = sf_sim_request(&h->model, request_type, bRequest, wValue, data, wLength);
	note_presence(h);
	if (rc == SF_SIM_ERR_TIMEOUT) {
		/* No answer: libusb gives up after `timeout` ms. A short wait
		 * stands for it; the outcome is what matters. */
		unsigned ms = timeout && timeout < 30 ? timeout : 30;
		usleep(ms * 1000u);
		return LIBUSB_ERROR_TIMEOUT;
	}
	/* A board keeps its DFU state when the host dies mid-transfer: record
	 * changes of the resting state (a few per run, not per block). */
	if (h->model.presence == SF_SIM_PRESENT && h->live.mode == SF_SIM_PRESENT &&
	    sf_sim_resting_state(&h->model) != h->saved_resting) {
		h->saved_resting = sf_sim_resting_state(&h->model);
		save_live(h);
	}
	return rc;
}

EXPORT int libusb_get_string_descriptor_ascii(libusb_device_handle *h, uint8_t desc_index,
					      unsigned char *data, int length)
{
	const char *text;
	int n = 0;
	if (desc_index == 0 || length <= 0)
		return LIBUSB_ERROR_INVALID_PARAM;
	if (!(text = string_text(h->dev, desc_index)))
		return LIBUSB_ERROR_PIPE;
	while (text[n] && n < length - 1 && n < 126) {
		data[n] = (unsigned char)text[n];
		n++;
	}
	data[n] = 0;
	return n;
}

EXPORT libusb_device_handle *libusb_open_device_with_vid_pid(libusb_context *ctx, uint16_t vendor_id,
							     uint16_t product_id)
{
	libusb_device **list;
	libusb_device_handle *h = NULL;
	if (libusb_get_device_list(ctx, &list) < 0)
		return NULL;
	for (libusb_device **d = list; *d; d++)
		if ((*d)->dev.profile.dfu.vid == vendor_id && (*d)->dev.profile.dfu.pid == product_id) {
			if (libusb_open(*d, &h) != 0)
				h = NULL;
			break;
		}
	libusb_free_device_list(list, 1);
	return h;
}
