#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "sim/model.h"

enum {
	DFU_DETACH = 0,
	DFU_DNLOAD = 1,
	DFU_UPLOAD = 2,
	DFU_GETSTATUS = 3,
	DFU_CLRSTATUS = 4,
	DFU_GETSTATE = 5,
	DFU_ABORT = 6
};

enum { CMD_SET_ADDRESS = 0x21, CMD_ERASE = 0x41, CMD_READ_UNPROTECT = 0x92 };

void sf_sim_faults_init(sf_sim_faults *f)
{
	memset(f, 0, sizeof *f);
	f->lost_after = -1;
	f->status_at = -1;
	f->stall_at = -1;
	f->replug_after = -1;
	f->erase_timeout_at = -1;
}

/* A count: decimal digits only, at most 9 of them. */
static bool parse_count(const char *s, long *out)
{
	long v = 0;
	size_t n = 0;
	if (!s || !*s)
		return false;
	for (; *s; s++, n++) {
		if (*s < '0' || *s > '9' || n >= 9)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

unsigned sf_sim_fault_once_bit(const char *spec)
{
	static const struct {
		const char *prefix;
		unsigned bit;
	} kinds[] = {
		{ "lost=", SF_SIM_FIRED_LOST }, { "replug=", SF_SIM_FIRED_REPLUG },
		{ "status=", SF_SIM_FIRED_STATUS }, { "stall=", SF_SIM_FIRED_STALL },
		{ "erase-timeout=", SF_SIM_FIRED_ERASE_TIMEOUT }, { "ignore-leave", SF_SIM_FIRED_IGNORE_LEAVE },
		{ "reset-on-leave", SF_SIM_FIRED_RESET_ON_LEAVE }, { "stall-leave", SF_SIM_FIRED_STALL_LEAVE },
	};
	if (!spec || strncmp(spec, "once:", 5))
		return 0;
	spec += 5;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strncmp(spec, kinds[i].prefix, strlen(kinds[i].prefix)))
			return kinds[i].bit;
	return 0;
}

int sf_sim_fault_parse(const char *spec, sf_sim_faults *f, sf_err *err)
{
	static const char kinds[] = "access, busy, ignore-leave, reset-on-leave, stall-leave, lost=N, replug=N@MS, stall=N, status=errNAME@N, erase-timeout=N, each but access and busy also as once:KIND";
	long n;
	if (!spec)
		spec = "";
	if (!strncmp(spec, "once:", 5)) {
		if (!strcmp(spec + 5, "access") || !strcmp(spec + 5, "busy"))
			return sf_err_set(err, SF_EXIT_USAGE, "fault '%s': once: goes with faults of a transfer, not with %s", spec,
					  spec + 5);
		if (!strncmp(spec + 5, "once:", 5))
			return sf_err_set(err, SF_EXIT_USAGE, "fault '%s': once: once is enough", spec);
		return sf_sim_fault_parse(spec + 5, f, err);
	}
	if (!strcmp(spec, "access")) {
		f->access = true;
		return 0;
	}
	if (!strcmp(spec, "busy")) {
		f->busy = true;
		return 0;
	}
	if (!strcmp(spec, "ignore-leave")) {
		f->ignore_leave = true;
		return 0;
	}
	if (!strcmp(spec, "reset-on-leave")) {
		f->reset_on_leave = true;
		return 0;
	}
	if (!strcmp(spec, "stall-leave")) {
		f->stall_leave = true;
		return 0;
	}
	if (!strncmp(spec, "replug=", 7)) {
		const char *at = strchr(spec + 7, '@');
		char count[16];
		long ms;
		size_t len = at ? (size_t)(at - (spec + 7)) : 0;
		if (!at || len == 0 || len >= sizeof count)
			return sf_err_set(err, SF_EXIT_USAGE, "fault '%s': write replug=N@MS (N data blocks, then off the bus for MS milliseconds), e.g. replug=2@300", spec);
		memcpy(count, spec + 7, len);
		count[len] = '\0';
		if (!parse_count(count, &n))
			return sf_err_set(err, SF_EXIT_USAGE, "fault '%s': N must be a decimal count of data blocks", spec);
		if (!parse_count(at + 1, &ms) || ms > 60000)
			return sf_err_set(err, SF_EXIT_USAGE, "fault '%s': MS must be a delay in milliseconds, 0 to 60000", spec);
		f->replug_after = n;
		f->replug_ms = (uint32_t)ms;
		return 0;
	}
	if (!strncmp(spec, "erase-timeout=", 14)) {
		if (!parse_count(spec + 14, &n) || n == 0)
			return sf_err_set(err, SF_EXIT_USAGE, "fault '%s': N must be an erase command number (1 or more)", spec);
		f->erase_timeout_at = n;
		return 0;
	}
	if (!strncmp(spec, "lost=", 5)) {
		if (!parse_count(spec + 5, &n))
			return sf_err_set(err, SF_EXIT_USAGE, "fault '%s': N must be a decimal count of data blocks", spec);
		f->lost_after = n;
		return 0;
	}
	if (!strncmp(spec, "stall=", 6)) {
		if (!parse_count(spec + 6, &n) || n == 0)
			return sf_err_set(err, SF_EXIT_USAGE, "fault '%s': N must be a request number (1 or more)", spec);
		f->stall_at = n;
		return 0;
	}
	if (!strncmp(spec, "status=", 7)) {
		const char *at = strchr(spec + 7, '@');
		char name[32];
		size_t len;
		int code;
		if (!at)
			return sf_err_set(err, SF_EXIT_USAGE, "fault '%s': write status=errNAME@N, e.g. status=errWRITE@3", spec);
		len = (size_t)(at - (spec + 7));
		if (len >= sizeof name)
			len = sizeof name - 1;
		memcpy(name, spec + 7, len);
		name[len] = '\0';
		code = sf_dfu_status_from_name(name);
		if (code <= 0)
			return sf_err_set(err, SF_EXIT_USAGE,
					  "fault '%s': unknown DFU status '%s' (errTARGET, errFILE, errWRITE, errERASE, errCHECK_ERASED, errPROG, errVERIFY, errADDRESS, errNOTDONE, errFIRMWARE, errVENDOR, errUSBR, errPOR, errUNKNOWN, errSTALLEDPKT)",
					  spec, name);
		if (!parse_count(at + 1, &n) || n == 0)
			return sf_err_set(err, SF_EXIT_USAGE, "fault '%s': N must be a data block number (1 or more)", spec);
		f->status_code = code;
		f->status_at = n;
		return 0;
	}
	return sf_err_set(err, SF_EXIT_USAGE, "unknown fault '%s' (known: %s)", spec, kinds);
}

uint64_t sf_sim_layout_size(const sf_layout *layout)
{
	uint64_t size = 0;
	for (size_t i = 0; layout && i < layout->nregions; i++)
		size += layout->regions[i].end - layout->regions[i].start;
	return size;
}

size_t sf_sim_layout_pages(const sf_layout *layout)
{
	size_t pages = 0;
	for (size_t i = 0; layout && i < layout->nregions; i++)
		pages += layout->regions[i].pages;
	return pages;
}

bool sf_sim_locate(const sf_layout *layout, uint32_t addr, uint64_t *offset,
		   size_t *page, const sf_region **region)
{
	uint64_t off = 0;
	size_t pg = 0;
	for (size_t i = 0; layout && i < layout->nregions; i++) {
		const sf_region *r = &layout->regions[i];
		if (addr >= r->start && (uint64_t)addr < r->end) {
			if (offset)
				*offset = off + (addr - r->start);
			if (page)
				*page = pg + (addr - r->start) / r->page_size;
			if (region)
				*region = r;
			return true;
		}
		off += r->end - r->start;
		pg += r->pages;
	}
	return false;
}

int sf_sim_model_init(sf_sim_model *m, sf_sim_alt *alts, size_t nalts,
		      uint16_t transfer_size, bool real_timing,
		      const sf_sim_faults *faults)
{
	memset(m, 0, sizeof *m);
	m->alts = alts;
	m->nalts = nalts;
	m->transfer_size = transfer_size ? transfer_size : 1024;
	m->real_timing = real_timing;
	if (faults)
		m->faults = *faults;
	else
		sf_sim_faults_init(&m->faults);
	m->state = SF_DFU_IDLE;
	m->status = SF_DFU_OK;
	sf_bootloader_generic(&m->bl);
	m->pending = malloc(m->transfer_size);
	if (!m->pending)
		return -1;
	/* Like the Spark bootloader (0x08005000): the pointer starts at the
	 * application, i.e. the first writable page of the first alt. */
	if (nalts && alts[0].layout) {
		const sf_layout *l = alts[0].layout;
		for (size_t i = 0; i < l->nregions; i++)
			if (l->regions[i].flags & SF_MEM_WRITABLE) {
				m->pointer = l->regions[i].start;
				break;
			}
	}
	return 0;
}

void sf_sim_model_free(sf_sim_model *m)
{
	free(m->pending);
	m->pending = NULL;
}

void sf_sim_model_bootloader(sf_sim_model *m, const sf_bootloader *bl)
{
	if (bl)
		m->bl = *bl;
	else
		sf_bootloader_generic(&m->bl);
}

void sf_sim_boot_state(const sf_bootloader *bl, uint8_t *state, uint8_t *status)
{
	uint8_t st = bl ? bl->first_status : SF_DFU_OK;
	*state = st == SF_DFU_OK ? SF_DFU_IDLE : SF_DFU_ERROR;
	*status = st;
}

enum sf_sim_presence sf_sim_tick(sf_sim_model *m, uint64_t now_ms)
{
	m->now_ms = now_ms;
	if (m->reset_pending && now_ms >= m->reset_at) {
		m->reset_pending = false;
		m->presence = m->reset_to;
	}
	return m->presence;
}

void sf_sim_finish(sf_sim_model *m)
{
	if (m->reset_pending) {
		m->reset_pending = false;
		m->presence = m->reset_to;
	}
}

void sf_sim_model_runtime(sf_sim_model *m, bool will_detach)
{
	m->presence = SF_SIM_RUNTIME;
	m->will_detach = will_detach;
	m->state = SF_DFU_APP_IDLE;
	m->status = SF_DFU_OK;
}

enum sf_sim_presence sf_sim_usb_reset(sf_sim_model *m)
{
	switch (m->presence) {
	case SF_SIM_PRESENT:
		m->presence = SF_SIM_LEFT;
		break;
	case SF_SIM_RUNTIME:
		if (m->state == SF_DFU_APP_DETACH)
			m->presence = SF_SIM_REENUMERATED;
		break;
	default:
		break;
	}
	return m->presence;
}

enum sf_sim_presence sf_sim_settle(enum sf_sim_presence p, bool has_runtime)
{
	return p == SF_SIM_LEFT && has_runtime ? SF_SIM_RUNTIME : p;
}

static void put_status(sf_sim_model *m, uint8_t *data, uint8_t status, uint32_t poll,
		       uint8_t state);

/* The application's DFU runtime interface (DFU 1.1 appIDLE/appDETACH):
 * anything but GETSTATUS, GETSTATE and DETACH stalls without changing state. */
static int runtime_request(sf_sim_model *m, bool in, uint8_t request, uint8_t *data,
			   uint16_t length)
{
	switch (request) {
	case DFU_DETACH:
		if (in)
			break;
		if (m->will_detach)
			m->presence = SF_SIM_REENUMERATED; /* detaches and re-attaches in DFU mode */
		else
			m->state = SF_DFU_APP_DETACH;      /* waits for the host's USB reset */
		return 0;
	case DFU_GETSTATUS:
		if (!in || length < 6)
			break;
		put_status(m, data, SF_DFU_OK, 0, m->state);
		return 6;
	case DFU_GETSTATE:
		if (!in || length < 1)
			break;
		data[0] = m->state;
		return 1;
	default:
		break;
	}
	return SF_SIM_ERR_PIPE;
}

int sf_sim_set_alt(sf_sim_model *m, int alt)
{
	if (m->presence == SF_SIM_RUNTIME)
		return alt == 0 ? 0 : SF_SIM_ERR_PIPE;
	if (m->presence != SF_SIM_PRESENT)
		return SF_SIM_ERR_NO_DEVICE;
	for (size_t i = 0; i < m->nalts; i++)
		if (m->alts[i].alt == alt) {
			m->cur = i;
			return 0;
		}
	return SF_SIM_ERR_PIPE;
}

/* DFU 1.1 moves to dfuERROR/errSTALLEDPKT; the Spark and ST code only
 * stalls the endpoint (bootloader.stall_error false). */
static int stall(sf_sim_model *m)
{
	if (m->bl.stall_error) {
		m->state = SF_DFU_ERROR;
		m->status = SF_DFU_ERR_STALLEDPKT;
	}
	return SF_SIM_ERR_PIPE;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t cap_poll(uint64_t ms)
{
	if (ms > 0xFFFFFF)
		ms = 0xFFFFFF;
	/* dfu-util sleeps 35 s when a mass erase answers exactly 100 ms. */
	if (ms == 100)
		ms = 101;
	return (uint32_t)ms;
}

/* Erases the page containing addr in the current alt. */
static uint8_t erase_page(sf_sim_model *m, uint32_t addr)
{
	sf_sim_alt *a = &m->alts[m->cur];
	const sf_region *r;
	uint64_t off;
	size_t page;
	uint32_t start;
	if (!sf_sim_locate(a->layout, addr, &off, &page, &r))
		return SF_DFU_ERR_ADDRESS;
	if (sf_bl_protected(&m->bl, a->alt, addr, 1))
		return SF_DFU_ERR_TARGET;
	m->last_address = addr;
	if (a->erase_none)
		return SF_DFU_OK; /* read-modify-write device: erase is a no-op */
	if (!(r->flags & SF_MEM_ERASABLE))
		return SF_DFU_ERR_TARGET;
	start = r->start + (addr - r->start) / r->page_size * r->page_size;
	memset(a->mem + (off - (addr - start)), 0xFF, r->page_size);
	if (a->erases)
		a->erases[page]++;
	return SF_DFU_OK;
}

static uint8_t mass_erase(sf_sim_model *m)
{
	sf_sim_alt *a = &m->alts[m->cur];
	uint64_t off = 0;
	size_t pg = 0;
	if (a->erase_none)
		return SF_DFU_OK;
	for (size_t i = 0; i < a->layout->nregions; i++) {
		const sf_region *r = &a->layout->regions[i];
		uint64_t size = r->end - r->start;
		if (r->flags & SF_MEM_ERASABLE) {
			memset(a->mem + off, 0xFF, size);
			for (size_t p = 0; a->erases && p < r->pages; p++)
				a->erases[pg + p]++;
		}
		off += size;
		pg += r->pages;
	}
	return SF_DFU_OK;
}

/* Checks [addr, addr+len) in the current alt for `flag` page by page. */
static uint8_t check_range(const sf_sim_alt *a, uint32_t addr, size_t len,
			   unsigned flag, uint8_t denied)
{
	uint64_t pos = addr, end = (uint64_t)addr + len;
	while (pos < end) {
		const sf_region *r;
		if (pos > 0xFFFFFFFFu || !sf_sim_locate(a->layout, (uint32_t)pos, NULL, NULL, &r))
			return SF_DFU_ERR_ADDRESS;
		if (!(r->flags & flag))
			return denied;
		pos = r->end < end ? r->end : end;
	}
	return SF_DFU_OK;
}

static uint8_t program(sf_sim_model *m, uint32_t addr, const uint8_t *data, size_t len)
{
	sf_sim_alt *a = &m->alts[m->cur];
	uint8_t st = check_range(a, addr, len, SF_MEM_WRITABLE, SF_DFU_ERR_WRITE);
	size_t last_page = (size_t)-1;
	if (st != SF_DFU_OK)
		return st;
	if (sf_bl_protected(&m->bl, a->alt, addr, len))
		return SF_DFU_ERR_WRITE;
	m->last_address = addr;
	for (size_t i = 0; i < len; i++) {
		uint64_t off;
		size_t page;
		sf_sim_locate(a->layout, (uint32_t)(addr + i), &off, &page, NULL);
		/* NOR flash can only clear bits; a read-modify-write device
		 * (DCT emulation) stores the bytes as given. */
		if (a->erase_none)
			a->mem[off] = data[i];
		else
			a->mem[off] &= data[i];
		if (page != last_page && a->programs) {
			a->programs[page]++;
			last_page = page;
		}
	}
	return SF_DFU_OK;
}

/* A DfuSe command the bootloader executes (SF_BL_CMD_*), 0 when unknown. */
static unsigned command_of(const uint8_t *d, size_t len)
{
	if (len == 5 && d[0] == CMD_SET_ADDRESS)
		return SF_BL_CMD_SET_ADDRESS;
	if (len == 5 && d[0] == CMD_ERASE)
		return SF_BL_CMD_ERASE_PAGE;
	if (len == 1 && d[0] == CMD_ERASE)
		return SF_BL_CMD_MASS_ERASE;
	if (len == 1 && d[0] == CMD_READ_UNPROTECT)
		return SF_BL_CMD_READ_UNPROTECT;
	return 0;
}

/* What the bootloader does with an erase, write or command it refuses
 * (status: the DFU status; silent: OK, nothing changed; stall: OK here, the
 * GETSTATUS that reports dfuDNBUSY is stalled by the caller). */
static uint8_t refuse(sf_sim_model *m, uint8_t status)
{
	switch (m->bl.refused) {
	case SF_BL_REFUSED_SILENT:
		return SF_DFU_OK;
	case SF_BL_REFUSED_STALL:
		m->refuse_stall = true;
		return SF_DFU_OK;
	case SF_BL_REFUSED_STATUS:
	default:
		/* Particle's Gen 3 / P2 code reports errUNKNOWN for them all */
		return m->bl.refused_status ? m->bl.refused_status : status;
	}
}

/* Runs the pending DNLOAD (the device does the work while it reports
 * dfuDNBUSY). Returns the status it ends with; sets m->poll_ms. */
static uint8_t execute(sf_sim_model *m)
{
	sf_sim_alt *a = &m->alts[m->cur];
	const uint8_t *d = m->pending;
	size_t len = m->pending_len;
	uint8_t st;
	m->has_pending = false;
	m->poll_ms = 0;
	if (m->pending_block == 0) {
		unsigned cmd = command_of(d, len);
		if (!(cmd & m->bl.commands)) {
			m->poll_ms = a->program_ms;
			return refuse(m, SF_DFU_ERR_STALLEDPKT);
		}
		switch (cmd) {
		case SF_BL_CMD_SET_ADDRESS:
			m->poll_ms = a->program_ms;
			m->pointer = le32(d + 1);
			return SF_DFU_OK;
		case SF_BL_CMD_ERASE_PAGE:
			m->poll_ms = a->erase_ms;
			st = erase_page(m, le32(d + 1));
			return st == SF_DFU_OK ? st : refuse(m, st);
		case SF_BL_CMD_MASS_ERASE:
			m->poll_ms = (uint32_t)((uint64_t)a->erase_ms * sf_sim_layout_pages(a->layout) / 8);
			return mass_erase(m);
		default:
			/* Read unprotect: erases everything and resets; it
			 * comes back in DFU mode. */
			m->poll_ms = a->erase_ms;
			mass_erase(m);
			m->presence = SF_SIM_REENUMERATED;
			return SF_DFU_OK;
		}
	}
	m->poll_ms = a->program_ms;
	if (m->pending_fails)
		return (uint8_t)m->faults.status_code;
	st = program(m, (uint32_t)(m->pointer + (uint64_t)(m->pending_block - 2) * m->transfer_size),
		     d, len);
	return st == SF_DFU_OK ? st : refuse(m, st);
}

static void put_status(sf_sim_model *m, uint8_t *data, uint8_t status, uint32_t poll,
		       uint8_t state)
{
	if (!m->real_timing)
		poll = 0;
	poll = cap_poll(poll);
	data[0] = status;
	data[1] = (uint8_t)(poll & 0xFF);
	data[2] = (uint8_t)(poll >> 8 & 0xFF);
	data[3] = (uint8_t)(poll >> 16 & 0xFF);
	data[4] = state;
	data[5] = 0;
}

static int get_status(sf_sim_model *m, uint8_t *data, uint16_t length)
{
	if (length < 6)
		return stall(m);
	switch (m->state) {
	case SF_DFU_DNLOAD_SYNC:
		if (m->has_pending) {
			bool erase = m->pending_block == 0 &&
				     command_of(m->pending, m->pending_len) == SF_BL_CMD_ERASE_PAGE;
			m->busy_result = execute(m);
			if (m->refuse_stall) {
				/* Spark's Gen 2 code stalls the status stage
				 * and stays in dfuDNLOAD-SYNC: the next
				 * GETSTATUS says dfuDNLOAD-IDLE. */
				m->refuse_stall = false;
				return SF_SIM_ERR_PIPE;
			}
			m->state = SF_DFU_DNBUSY;
			put_status(m, data, SF_DFU_OK, m->poll_ms, SF_DFU_DNBUSY);
			if (erase && m->faults.erase_timeout_at > 0 &&
			    ++m->erase_cmds == (unsigned long)m->faults.erase_timeout_at) {
				m->hung = true; /* busy erasing; answers nothing more */
				m->fired |= SF_SIM_FIRED_ERASE_TIMEOUT;
			}
			return 6;
		}
		m->state = SF_DFU_DNLOAD_IDLE;
		break;
	case SF_DFU_DNBUSY:
		if (m->busy_result == SF_DFU_OK) {
			m->state = SF_DFU_DNLOAD_IDLE;
		} else {
			m->state = SF_DFU_ERROR;
			m->status = m->busy_result;
		}
		break;
	case SF_DFU_MANIFEST_SYNC: {
		/* Not manifestation tolerant: it resets into the application
		 * (or, with ignore-leave, straight back into the bootloader). */
		enum sf_sim_presence to = m->faults.ignore_leave ? SF_SIM_REENUMERATED : SF_SIM_LEFT;
		if (m->faults.ignore_leave)
			m->fired |= SF_SIM_FIRED_IGNORE_LEAVE;
		/* (the STM32H7 system bootloader resets before answering) */
		if (m->faults.reset_on_leave || m->bl.leave_state == SF_BL_LEAVE_NO_ANSWER) {
			if (m->faults.reset_on_leave)
				m->fired |= SF_SIM_FIRED_RESET_ON_LEAVE;
			m->presence = m->faults.reset_on_leave ? SF_SIM_LEFT : to;
			return SF_SIM_ERR_NO_DEVICE;
		}
		if (m->bl.leave_state == SF_DFU_DNLOAD_IDLE)
			/* Particle's bootloaders since 0.4.5: no "Transitioning
			 * to dfuMANIFEST state" line from dfu-util. */
			put_status(m, data, SF_DFU_OK, 0, SF_DFU_DNLOAD_IDLE);
		else
			put_status(m, data, SF_DFU_OK, 1, SF_DFU_MANIFEST);
		if (m->bl.leave_reset_ms == 0) {
			m->state = SF_DFU_MANIFEST;
			m->presence = to;
		} else {
			m->state = SF_DFU_MANIFEST_WAIT_RESET;
			m->reset_pending = true;
			m->reset_at = m->now_ms + m->bl.leave_reset_ms;
			m->reset_to = to;
		}
		return 6;
	}
	default:
		break;
	}
	put_status(m, data, m->status, 0, m->state);
	return 6;
}

/* Faults lost=N and replug=N@MS: the device drops off the bus before data
 * block N+1. */
static bool gone(sf_sim_model *m)
{
	if (m->faults.lost_after >= 0 && m->data_blocks >= (unsigned long)m->faults.lost_after) {
		m->presence = SF_SIM_LOST;
		m->fired |= SF_SIM_FIRED_LOST;
		return true;
	}
	if (m->faults.replug_after >= 0 && m->data_blocks >= (unsigned long)m->faults.replug_after) {
		m->presence = SF_SIM_UNPLUGGED;
		m->fired |= SF_SIM_FIRED_REPLUG;
		return true;
	}
	return false;
}

static int dnload(sf_sim_model *m, uint16_t block, const uint8_t *data, uint16_t length)
{
	if (m->state != SF_DFU_IDLE && m->state != SF_DFU_DNLOAD_IDLE)
		return stall(m);
	if (length == 0) {
		if (m->faults.stall_leave) {
			m->fired |= SF_SIM_FIRED_STALL_LEAVE;
			m->state = SF_DFU_ERROR;
			m->status = SF_DFU_ERR_STALLEDPKT;
			return SF_SIM_ERR_PIPE;
		}
		m->state = SF_DFU_MANIFEST_SYNC; /* DfuSe leave request */
		return 0;
	}
	if (length > m->transfer_size || block == 1)
		return stall(m);
	if (block == 0) {
		/* A generic device refuses an unknown command at once; the
		 * Spark and Particle code takes any command and decides when
		 * it runs (Gen 3 / P2: the refused_status then). */
		if (m->bl.refused == SF_BL_REFUSED_STATUS && !m->bl.refused_status &&
		    !(command_of(data, length) & m->bl.commands))
			return stall(m);
	} else {
		if (gone(m))
			return SF_SIM_ERR_NO_DEVICE;
		m->data_blocks++;
		m->pending_fails = m->faults.status_at > 0 &&
				   m->data_blocks == (unsigned long)m->faults.status_at;
		if (m->pending_fails)
			m->fired |= SF_SIM_FIRED_STATUS;
	}
	memcpy(m->pending, data, length);
	m->pending_len = length;
	m->pending_block = block;
	m->has_pending = true;
	m->state = SF_DFU_DNLOAD_SYNC;
	return length;
}

static int upload(sf_sim_model *m, uint16_t block, uint8_t *data, uint16_t length)
{
	sf_sim_alt *a = &m->alts[m->cur];
	uint32_t addr;
	size_t n = 0;
	if (m->state != SF_DFU_IDLE && m->state != SF_DFU_UPLOAD_IDLE)
		return stall(m);
	if (block == 0) {
		/* "Get commands": the command bytes this bootloader supports. */
		uint8_t cmds[4];
		size_t k = 0;
		cmds[k++] = 0x00;
		if (m->bl.commands & SF_BL_CMD_SET_ADDRESS)
			cmds[k++] = CMD_SET_ADDRESS;
		if (m->bl.commands & (SF_BL_CMD_ERASE_PAGE | SF_BL_CMD_MASS_ERASE))
			cmds[k++] = CMD_ERASE;
		if (m->bl.commands & SF_BL_CMD_READ_UNPROTECT)
			cmds[k++] = CMD_READ_UNPROTECT;
		n = length < k ? length : k;
		memcpy(data, cmds, n);
		m->state = SF_DFU_IDLE;
		return (int)n;
	}
	if (block == 1 || length > m->transfer_size)
		return stall(m);
	if (gone(m))
		return SF_SIM_ERR_NO_DEVICE;
	m->data_blocks++;
	if (m->faults.status_at > 0 && m->data_blocks == (unsigned long)m->faults.status_at) {
		m->fired |= SF_SIM_FIRED_STATUS;
		m->state = SF_DFU_ERROR;
		m->status = (uint8_t)m->faults.status_code;
		return SF_SIM_ERR_PIPE;
	}
	addr = (uint32_t)(m->pointer + (uint64_t)(block - 2) * m->transfer_size);
	/* Read up to the first byte that is unmapped or not readable. */
	while (n < length) {
		uint64_t off;
		const sf_region *r;
		uint64_t pos = (uint64_t)addr + n;
		if (pos > 0xFFFFFFFFu || !sf_sim_locate(a->layout, (uint32_t)pos, &off, NULL, &r) ||
		    !(r->flags & SF_MEM_READABLE))
			break;
		data[n] = a->mem[off];
		n++;
	}
	if (n == 0 && length > 0) {
		m->state = SF_DFU_ERROR;
		m->status = SF_DFU_ERR_ADDRESS;
		return SF_SIM_ERR_PIPE;
	}
	m->last_address = addr;
	/* A short frame ends the upload. */
	m->state = n < length ? SF_DFU_IDLE : SF_DFU_UPLOAD_IDLE;
	return (int)n;
}

int sf_sim_request(sf_sim_model *m, uint8_t request_type, uint8_t request,
		   uint16_t value, uint8_t *data, uint16_t length)
{
	bool in = (request_type & 0x80) != 0;
	if (m->presence == SF_SIM_RUNTIME)
		return runtime_request(m, in, request, data, length);
	if (m->presence != SF_SIM_PRESENT)
		return SF_SIM_ERR_NO_DEVICE;
	if (m->hung)
		return SF_SIM_ERR_TIMEOUT;
	m->requests++;
	if (m->faults.stall_at > 0 && m->requests == (unsigned long)m->faults.stall_at) {
		m->fired |= SF_SIM_FIRED_STALL;
		return stall(m);
	}
	switch (request) {
	case DFU_DETACH:
		if (in)
			break;
		switch (m->bl.detach) {
		case SF_BL_DETACH_STALL:
			return stall(m); /* the Core's bootloader does not know it */
		case SF_BL_DETACH_REENUMERATE:
			/* bitWillDetach: soft disconnect, then it enumerates
			 * again, still in DFU mode */
			m->presence = SF_SIM_REENUMERATED;
			return 0;
		case SF_BL_DETACH_IGNORE:
		default:
			return 0; /* changes nothing until a reset */
		}
	case DFU_DNLOAD:
		if (in)
			break;
		return dnload(m, value, data, length);
	case DFU_UPLOAD:
		if (!in)
			break;
		return upload(m, value, data, length);
	case DFU_GETSTATUS:
		if (!in)
			break;
		return get_status(m, data, length);
	case DFU_CLRSTATUS:
		if (in)
			break;
		if (m->state == SF_DFU_ERROR) {
			m->state = SF_DFU_IDLE;
			m->status = SF_DFU_OK;
		} else {
			m->state = SF_DFU_ERROR; /* as ST's DFU library does */
			m->status = SF_DFU_ERR_UNKNOWN;
		}
		return 0;
	case DFU_GETSTATE:
		if (!in || length < 1)
			break;
		data[0] = m->state;
		return 1;
	case DFU_ABORT:
		if (in)
			break;
		switch (m->state) {
		case SF_DFU_IDLE:
		case SF_DFU_DNLOAD_SYNC:
		case SF_DFU_DNLOAD_IDLE:
		case SF_DFU_MANIFEST_SYNC:
		case SF_DFU_UPLOAD_IDLE:
			m->state = SF_DFU_IDLE;
			m->status = SF_DFU_OK;
			m->has_pending = false;
			return 0;
		default:
			return stall(m);
		}
	default:
		break;
	}
	return stall(m);
}

uint8_t sf_sim_resting_state(const sf_sim_model *m)
{
	switch (m->state) {
	case SF_DFU_DNLOAD_SYNC:
	case SF_DFU_DNBUSY:
		return SF_DFU_DNLOAD_IDLE;
	case SF_DFU_MANIFEST_SYNC:
	case SF_DFU_MANIFEST:
	case SF_DFU_MANIFEST_WAIT_RESET:
		return SF_DFU_IDLE;
	default:
		return m->state;
	}
}
