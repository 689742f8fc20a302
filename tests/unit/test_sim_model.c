/* The simulator's device model (src/sim/model.c) under ASan: DFU state
 * machine, DfuSe commands, NOR semantics, faults, and random request and
 * fault-spec fuzzing. The same source is built into libsfsim.so. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "layout.h"
#include "sim/model.h"

#define TS 1024

/* A Core-like alt 0: 4 KiB read-only, 8 KiB r/e/w, 2 KiB writable but not
 * erasable ('e'), and alt 1: a 4 KiB DCT-like read-modify-write area. */
#define LAYOUT0 "@Test Flash /0x08000000/4*001Ka,8*001Kg,2*001Ke"
#define LAYOUT1 "@DCT Flash /0x00000000/01*004Kg"

typedef struct fixture {
	sf_layout l0, l1;
	sf_sim_alt alts[2];
	uint8_t *mem0, *mem1;
	uint32_t e0[64], p0[64], e1[4], p1[4];
	sf_sim_model m;
} fixture;

static int setup_with(void **state, const sf_sim_faults *faults)
{
	fixture *f = calloc(1, sizeof *f);
	sf_err err = { 0, "" };
	assert_non_null(f);
	assert_int_equal(sf_layout_parse(LAYOUT0, &f->l0, &err), 0);
	assert_int_equal(sf_layout_parse(LAYOUT1, &f->l1, &err), 0);
	f->mem0 = malloc(sf_sim_layout_size(&f->l0));
	f->mem1 = malloc(sf_sim_layout_size(&f->l1));
	assert_non_null(f->mem0);
	assert_non_null(f->mem1);
	memset(f->mem0, 0xFF, sf_sim_layout_size(&f->l0));
	memset(f->mem1, 0xFF, sf_sim_layout_size(&f->l1));
	f->alts[0] = (sf_sim_alt){ .alt = 0, .layout = &f->l0, .erase_ms = 50, .program_ms = 30,
				   .mem = f->mem0, .erases = f->e0, .programs = f->p0 };
	f->alts[1] = (sf_sim_alt){ .alt = 1, .layout = &f->l1, .erase_none = true, .mem = f->mem1,
				   .erases = f->e1, .programs = f->p1 };
	assert_int_equal(sf_sim_model_init(&f->m, f->alts, 2, TS, false, faults), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, NULL);
}

static int teardown(void **state)
{
	fixture *f = *state;
	sf_sim_model_free(&f->m);
	sf_layout_free(&f->l0);
	sf_layout_free(&f->l1);
	free(f->mem0);
	free(f->mem1);
	free(f);
	return 0;
}

/* Request helpers (bmRequestType 0x21 out, 0xA1 in). */
static int dnload(sf_sim_model *m, uint16_t block, const uint8_t *d, uint16_t n)
{
	uint8_t buf[TS + 8];
	if (n)
		memcpy(buf, d, n);
	return sf_sim_request(m, 0x21, 1, block, buf, n);
}

static int getstatus(sf_sim_model *m, uint8_t st[6])
{
	return sf_sim_request(m, 0xA1, 3, 0, st, 6);
}

static int cmd5(sf_sim_model *m, uint8_t cmd, uint32_t addr)
{
	uint8_t d[5] = { cmd, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16), (uint8_t)(addr >> 24) };
	return dnload(m, 0, d, 5);
}

/* DNLOAD then the two GETSTATUS dfu-util sends: busy first, then the
 * result. Returns the final bStatus (asserting the busy phase). */
static int run(sf_sim_model *m, int dn_rc)
{
	uint8_t st[6];
	assert_true(dn_rc >= 0);
	assert_int_equal(getstatus(m, st), 6);
	assert_int_equal(st[4], SF_DFU_DNBUSY);
	assert_int_equal(st[0], SF_DFU_OK);
	assert_int_equal(getstatus(m, st), 6);
	if (st[0] == SF_DFU_OK)
		assert_int_equal(st[4], SF_DFU_DNLOAD_IDLE);
	else
		assert_int_equal(st[4], SF_DFU_ERROR);
	return st[0];
}

static int write_at(sf_sim_model *m, uint32_t addr, const uint8_t *d, uint16_t n)
{
	int rc = run(m, cmd5(m, 0x21, addr));
	if (rc)
		return rc;
	return run(m, dnload(m, 2, d, n));
}

static void abort_req(sf_sim_model *m)
{
	assert_int_equal(sf_sim_request(m, 0x21, 6, 0, NULL, 0), 0);
}

static void clrstatus(sf_sim_model *m)
{
	assert_int_equal(sf_sim_request(m, 0x21, 4, 0, NULL, 0), 0);
}

static int upload(sf_sim_model *m, uint16_t block, uint8_t *d, uint16_t n)
{
	return sf_sim_request(m, 0xA1, 2, block, d, n);
}

static void test_initial_state(void **state)
{
	fixture *f = *state;
	uint8_t st[6] = { 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA };
	assert_int_equal(getstatus(&f->m, st), 6);
	assert_int_equal(st[0], SF_DFU_OK);
	assert_int_equal(st[4], SF_DFU_IDLE);
	assert_int_equal(st[1] | st[2] | st[3], 0);
	/* the pointer starts at the first writable page, like 0x08005000 */
	assert_int_equal(f->m.pointer, 0x08001000);
	/* a short GETSTATUS buffer is a protocol error */
	assert_int_equal(sf_sim_request(&f->m, 0xA1, 3, 0, st, 5), SF_SIM_ERR_PIPE);
	assert_int_equal(f->m.state, SF_DFU_ERROR);
	assert_int_equal(f->m.status, SF_DFU_ERR_STALLEDPKT);
	clrstatus(&f->m);
	assert_int_equal(f->m.state, SF_DFU_IDLE);
}

static void test_erase_write_read(void **state)
{
	fixture *f = *state;
	uint8_t data[TS], back[TS];
	for (int i = 0; i < TS; i++)
		data[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(run(&f->m, cmd5(&f->m, 0x41, 0x08001000)), SF_DFU_OK);
	assert_int_equal(f->e0[4], 1);
	assert_int_equal(write_at(&f->m, 0x08001000, data, TS), SF_DFU_OK);
	assert_memory_equal(f->mem0 + 0x1000, data, TS);
	assert_int_equal(f->p0[4], 1);
	assert_int_equal(f->m.last_address, 0x08001000);
	/* block 3 is pointer + 1 transfer size */
	assert_int_equal(run(&f->m, dnload(&f->m, 3, data, 16)), SF_DFU_OK);
	assert_memory_equal(f->mem0 + 0x1400, data, 16);
	/* upload needs dfuIDLE: refused (stall) in DNLOAD-IDLE */
	assert_int_equal(upload(&f->m, 2, back, TS), SF_SIM_ERR_PIPE);
	assert_int_equal(f->m.status, SF_DFU_ERR_STALLEDPKT);
	clrstatus(&f->m);
	assert_int_equal(run(&f->m, cmd5(&f->m, 0x21, 0x08001000)), SF_DFU_OK);
	abort_req(&f->m);
	assert_int_equal(upload(&f->m, 2, back, TS), TS);
	assert_memory_equal(back, data, TS);
	assert_int_equal(f->m.state, SF_DFU_UPLOAD_IDLE);
	/* block 0 lists the commands */
	abort_req(&f->m);
	assert_int_equal(upload(&f->m, 0, back, 16), 4);
	assert_int_equal(back[1], 0x21);
	assert_int_equal(back[2], 0x41);
}

static void test_nor_and(void **state)
{
	fixture *f = *state;
	uint8_t a[4] = { 0xF0, 0x0F, 0xFF, 0x55 }, b[4] = { 0x3C, 0xFF, 0x00, 0xAA };
	/* the 'e' region (0x08003000) can be written but never erased */
	assert_int_equal(write_at(&f->m, 0x08003000, a, 4), SF_DFU_OK);
	assert_int_equal(write_at(&f->m, 0x08003000, b, 4), SF_DFU_OK);
	assert_int_equal(f->mem0[0x3000], 0x30);
	assert_int_equal(f->mem0[0x3001], 0x0F);
	assert_int_equal(f->mem0[0x3002], 0x00);
	assert_int_equal(f->mem0[0x3003], 0x00);
	assert_int_equal(run(&f->m, cmd5(&f->m, 0x41, 0x08003000)), SF_DFU_ERR_TARGET);
	assert_int_equal(f->mem0[0x3000], 0x30);
	clrstatus(&f->m);
	/* an erase (any address inside the page) restores 0xFF */
	assert_int_equal(write_at(&f->m, 0x08001800, a, 4), SF_DFU_OK);
	assert_int_equal(run(&f->m, cmd5(&f->m, 0x41, 0x080019FF)), SF_DFU_OK);
	for (int i = 0x1800; i < 0x1C00; i++)
		assert_int_equal(f->mem0[i], 0xFF);
}

static void test_protection(void **state)
{
	fixture *f = *state;
	uint8_t d[8] = { 0 };
	/* read-only ('a') pages: erase → errTARGET, write → errWRITE, unchanged */
	assert_int_equal(run(&f->m, cmd5(&f->m, 0x41, 0x08000000)), SF_DFU_ERR_TARGET);
	clrstatus(&f->m);
	assert_int_equal(write_at(&f->m, 0x08000000, d, 8), SF_DFU_ERR_WRITE);
	clrstatus(&f->m);
	for (int i = 0; i < 0x1000; i++)
		assert_int_equal(f->mem0[i], 0xFF);
	/* a chunk straddling into read-only memory fails as a whole */
	assert_int_equal(write_at(&f->m, 0x08000FFC, d, 8), SF_DFU_ERR_WRITE);
	clrstatus(&f->m);
	assert_int_equal(f->mem0[0x1000], 0xFF);
	/* unmapped: errADDRESS, also for the tail of a chunk */
	assert_int_equal(write_at(&f->m, 0x08003800, d, 8), SF_DFU_ERR_ADDRESS);
	clrstatus(&f->m);
	assert_int_equal(write_at(&f->m, 0x080037FC, d, 8), SF_DFU_ERR_ADDRESS);
	clrstatus(&f->m);
	assert_int_equal(f->mem0[0x37FC], 0xFF);
	assert_int_equal(run(&f->m, cmd5(&f->m, 0x41, 0x20000000)), SF_DFU_ERR_ADDRESS);
	clrstatus(&f->m);
	/* upload from unmapped memory stalls; a read running off the end is short */
	assert_int_equal(run(&f->m, cmd5(&f->m, 0x21, 0x08003C00)), SF_DFU_OK);
	abort_req(&f->m);
	assert_int_equal(upload(&f->m, 2, d, 8), SF_SIM_ERR_PIPE);
	assert_int_equal(f->m.status, SF_DFU_ERR_ADDRESS);
	clrstatus(&f->m);
	assert_int_equal(run(&f->m, cmd5(&f->m, 0x21, 0x080037FC)), SF_DFU_OK);
	abort_req(&f->m);
	assert_int_equal(upload(&f->m, 2, d, 8), 4);
	assert_int_equal(f->m.state, SF_DFU_IDLE);
}

static void test_erase_none(void **state)
{
	fixture *f = *state;
	uint8_t a[2] = { 0x12, 0x34 }, b[2] = { 0xAB, 0xCD };
	assert_int_equal(sf_sim_set_alt(&f->m, 1), 0);
	assert_int_equal(write_at(&f->m, 0x22, a, 2), SF_DFU_OK);
	assert_int_equal(run(&f->m, cmd5(&f->m, 0x41, 0x0)), SF_DFU_OK); /* ignored */
	assert_int_equal(f->mem1[0x22], 0x12);
	assert_int_equal(f->e1[0], 0);
	assert_int_equal(write_at(&f->m, 0x22, b, 2), SF_DFU_OK);
	assert_int_equal(f->mem1[0x22], 0xAB); /* replaced, not ANDed */
	assert_int_equal(f->mem1[0x23], 0xCD);
	assert_int_equal(sf_sim_set_alt(&f->m, 7), SF_SIM_ERR_PIPE);
}

static void test_mass_erase(void **state)
{
	fixture *f = *state;
	uint8_t d[4] = { 0 }, one = 0x41;
	assert_int_equal(write_at(&f->m, 0x08001000, d, 4), SF_DFU_OK);
	assert_int_equal(write_at(&f->m, 0x08003000, d, 4), SF_DFU_OK);
	assert_int_equal(run(&f->m, dnload(&f->m, 0, &one, 1)), SF_DFU_OK);
	assert_int_equal(f->mem0[0x1000], 0xFF);
	assert_int_equal(f->mem0[0x3000], 0x00); /* not erasable */
	/* unknown command bytes stall */
	one = 0x55;
	assert_int_equal(dnload(&f->m, 0, &one, 1), SF_SIM_ERR_PIPE);
	assert_int_equal(f->m.state, SF_DFU_ERROR);
}

static void test_leave(void **state)
{
	fixture *f = *state;
	uint8_t st[6];
	assert_int_equal(dnload(&f->m, 2, NULL, 0), 0);
	assert_int_equal(getstatus(&f->m, st), 6);
	assert_int_equal(st[4], SF_DFU_MANIFEST);
	assert_int_equal(st[0], SF_DFU_OK);
	assert_int_equal(f->m.presence, SF_SIM_LEFT);
	assert_int_equal(getstatus(&f->m, st), SF_SIM_ERR_NO_DEVICE);
}

/* Runtime (application) mode: appIDLE, DETACH re-enumerates in DFU mode
 * (bitWillDetach) or waits for a USB reset; other requests stall. */
static void test_runtime(void **state)
{
	fixture *f = *state;
	uint8_t st[6], one = 0;
	sf_sim_model_runtime(&f->m, true);
	assert_int_equal(getstatus(&f->m, st), 6);
	assert_int_equal(st[4], SF_DFU_APP_IDLE);
	assert_int_equal(st[0], SF_DFU_OK);
	assert_int_equal(sf_sim_set_alt(&f->m, 0), 0);
	assert_int_equal(sf_sim_set_alt(&f->m, 1), SF_SIM_ERR_PIPE);
	assert_int_equal(dnload(&f->m, 2, &one, 1), SF_SIM_ERR_PIPE);
	assert_int_equal(f->m.presence, SF_SIM_RUNTIME);
	assert_int_equal(f->m.state, SF_DFU_APP_IDLE);
	assert_int_equal(sf_sim_request(&f->m, 0x21, 0 /* DETACH */, 1000, NULL, 0), 0);
	assert_int_equal(f->m.presence, SF_SIM_REENUMERATED);
	assert_int_equal(getstatus(&f->m, st), SF_SIM_ERR_NO_DEVICE);

	/* Without bitWillDetach: appDETACH until the host resets the bus. */
	sf_sim_model_runtime(&f->m, false);
	assert_int_equal(sf_sim_usb_reset(&f->m), SF_SIM_RUNTIME); /* plain reset: still the app */
	assert_int_equal(sf_sim_request(&f->m, 0x21, 0, 1000, NULL, 0), 0);
	assert_int_equal(f->m.presence, SF_SIM_RUNTIME);
	assert_int_equal(getstatus(&f->m, st), 6);
	assert_int_equal(st[4], SF_DFU_APP_DETACH);
	assert_int_equal(sf_sim_usb_reset(&f->m), SF_SIM_REENUMERATED);
}

static void test_settle(void **state)
{
	(void)state;
	assert_int_equal(sf_sim_settle(SF_SIM_LEFT, true), SF_SIM_RUNTIME);
	assert_int_equal(sf_sim_settle(SF_SIM_LEFT, false), SF_SIM_LEFT);
	assert_int_equal(sf_sim_settle(SF_SIM_LOST, true), SF_SIM_LOST);
	assert_int_equal(sf_sim_settle(SF_SIM_PRESENT, true), SF_SIM_PRESENT);
	assert_int_equal(sf_sim_settle(SF_SIM_REENUMERATED, true), SF_SIM_REENUMERATED);
}

static void test_leave_faults(void **state)
{
	fixture *f;
	sf_sim_faults ft;
	uint8_t st[6];
	(void)state;
	sf_sim_faults_init(&ft);
	ft.ignore_leave = true;
	setup_with((void **)&f, &ft);
	assert_int_equal(dnload(&f->m, 2, NULL, 0), 0);
	assert_int_equal(getstatus(&f->m, st), 6);
	assert_int_equal(st[4], SF_DFU_MANIFEST);
	assert_int_equal(f->m.presence, SF_SIM_REENUMERATED);
	teardown((void **)&f);

	sf_sim_faults_init(&ft);
	ft.reset_on_leave = true;
	setup_with((void **)&f, &ft);
	assert_int_equal(dnload(&f->m, 2, NULL, 0), 0);
	assert_int_equal(getstatus(&f->m, st), SF_SIM_ERR_NO_DEVICE);
	assert_int_equal(f->m.presence, SF_SIM_LEFT);
	teardown((void **)&f);
}

static void test_block_faults(void **state)
{
	fixture *f;
	sf_sim_faults ft;
	sf_err err = { 0, "" };
	uint8_t d[16];
	(void)state;
	memset(d, 0, sizeof d);
	sf_sim_faults_init(&ft);
	assert_int_equal(sf_sim_fault_parse("status=errPROG@2", &ft, &err), 0);
	setup_with((void **)&f, &ft);
	assert_int_equal(write_at(&f->m, 0x08001000, d, 16), SF_DFU_OK);
	assert_int_equal(write_at(&f->m, 0x08001010, d, 16), SF_DFU_ERR_PROG);
	assert_int_equal(f->mem0[0x1010], 0xFF); /* the failed block changed nothing */
	teardown((void **)&f);

	sf_sim_faults_init(&ft);
	assert_int_equal(sf_sim_fault_parse("lost=1", &ft, &err), 0);
	setup_with((void **)&f, &ft);
	assert_int_equal(write_at(&f->m, 0x08001000, d, 16), SF_DFU_OK);
	assert_int_equal(run(&f->m, cmd5(&f->m, 0x21, 0x08001010)), SF_DFU_OK);
	assert_int_equal(dnload(&f->m, 2, d, 16), SF_SIM_ERR_NO_DEVICE);
	assert_int_equal(f->m.presence, SF_SIM_LOST);
	assert_int_equal(getstatus(&f->m, d), SF_SIM_ERR_NO_DEVICE);
	teardown((void **)&f);

	sf_sim_faults_init(&ft);
	assert_int_equal(sf_sim_fault_parse("stall=2", &ft, &err), 0);
	setup_with((void **)&f, &ft);
	assert_int_equal(getstatus(&f->m, d), 6);
	assert_int_equal(getstatus(&f->m, d), SF_SIM_ERR_PIPE);
	assert_int_equal(getstatus(&f->m, d), 6);
	assert_int_equal(d[4], SF_DFU_ERROR);
	assert_int_equal(d[0], SF_DFU_ERR_STALLEDPKT);
	teardown((void **)&f);
}

/* A Spark Core-like bootloader (profiles/core.json "bootloader"). */
static void core_bl(sf_bootloader *b)
{
	sf_bootloader_generic(b);
	b->first_status = SF_DFU_ERR_FIRMWARE;
	b->detach = SF_BL_DETACH_STALL;
	b->refused = SF_BL_REFUSED_SILENT;
	b->stall_error = false;
	b->commands = SF_BL_CMD_SET_ADDRESS | SF_BL_CMD_ERASE_PAGE;
}

/* A Photon-like one: protects the first 8 KiB of alt 0 (two 'g' pages). */
static const sf_bl_range gen2_protected[] = { { 0, 0x08000000, 0x08002000 } };
static void gen2_bl(sf_bootloader *b)
{
	sf_bootloader_generic(b);
	b->leave_state = SF_DFU_DNLOAD_IDLE;
	b->leave_reset_ms = 500;
	b->detach = SF_BL_DETACH_REENUMERATE;
	b->refused = SF_BL_REFUSED_STALL;
	b->stall_error = false;
	b->commands = SF_BL_CMD_SET_ADDRESS | SF_BL_CMD_ERASE_PAGE;
	b->protected_ranges = (sf_bl_range *)gen2_protected;
	b->nprotected = 1;
}

static void test_boot_state(void **state)
{
	sf_bootloader b;
	uint8_t st, status;
	(void)state;
	sf_sim_boot_state(NULL, &st, &status);
	assert_int_equal(st, SF_DFU_IDLE);
	assert_int_equal(status, SF_DFU_OK);
	core_bl(&b);
	sf_sim_boot_state(&b, &st, &status);
	assert_int_equal(st, SF_DFU_ERROR);
	assert_int_equal(status, SF_DFU_ERR_FIRMWARE);
	gen2_bl(&b);
	sf_sim_boot_state(&b, &st, &status);
	assert_int_equal(st, SF_DFU_IDLE);
}

/* Core: refused erases and writes report success and change nothing;
 * unsupported commands (mass erase, read unprotect) likewise; a DFU_DETACH
 * stalls without an error state; the leave answers dfuMANIFEST and resets
 * at once. */
static void test_core_bootloader(void **state)
{
	fixture *f = *state;
	sf_bootloader b;
	uint8_t st[6], d[16], one = 0x41, cmds[8];
	core_bl(&b);
	sf_sim_model_bootloader(&f->m, &b);
	memset(d, 0, sizeof d);
	/* read-only page (type a): erase and write are ignored */
	assert_int_equal(run(&f->m, cmd5(&f->m, 0x41, 0x08000000)), SF_DFU_OK);
	assert_int_equal(write_at(&f->m, 0x08000000, d, 16), SF_DFU_OK);
	assert_int_equal(f->mem0[0], 0xFF);
	assert_int_equal(f->e0[0] + f->p0[0], 0);
	/* unmapped: ignored too */
	assert_int_equal(write_at(&f->m, 0x09000000, d, 16), SF_DFU_OK);
	/* writable page: works */
	assert_int_equal(run(&f->m, cmd5(&f->m, 0x41, 0x08001000)), SF_DFU_OK);
	assert_int_equal(write_at(&f->m, 0x08001000, d, 16), SF_DFU_OK);
	assert_int_equal(f->mem0[0x1000], 0x00);
	/* mass erase is not a command it knows: nothing erased */
	assert_int_equal(run(&f->m, dnload(&f->m, 0, &one, 1)), SF_DFU_OK);
	assert_int_equal(f->mem0[0x1000], 0x00);
	/* get commands: 00 21 41 */
	abort_req(&f->m);
	assert_int_equal(upload(&f->m, 0, cmds, sizeof cmds), 3);
	assert_int_equal(cmds[1], 0x21);
	assert_int_equal(cmds[2], 0x41);
	/* DETACH stalls; the state stays what it was */
	assert_int_equal(sf_sim_request(&f->m, 0x21, 0, 1000, NULL, 0), SF_SIM_ERR_PIPE);
	assert_int_equal(getstatus(&f->m, st), 6);
	assert_int_equal(st[4], SF_DFU_IDLE);
	assert_int_equal(st[0], SF_DFU_OK);
	assert_int_equal(f->m.presence, SF_SIM_PRESENT);
	/* leave: dfuMANIFEST with a 1 ms poll, then gone */
	f->m.real_timing = true;
	assert_int_equal(dnload(&f->m, 2, NULL, 0), 0);
	assert_int_equal(getstatus(&f->m, st), 6);
	assert_int_equal(st[4], SF_DFU_MANIFEST);
	assert_int_equal(st[1], 1);
	assert_int_equal(f->m.presence, SF_SIM_LEFT);
}

/* Gen 2: refused operations stall the GETSTATUS that would say dfuDNBUSY
 * and leave dfuDNLOAD-IDLE behind; the leave answers dfuDNLOAD-IDLE and the
 * device resets leave_reset_ms later; DETACH re-enumerates. */
static void test_gen2_bootloader(void **state)
{
	fixture *f = *state;
	sf_bootloader b;
	uint8_t st[6], d[16], one = 0x41;
	gen2_bl(&b);
	sf_sim_model_bootloader(&f->m, &b);
	memset(d, 0, sizeof d);
	assert_int_equal(sf_sim_tick(&f->m, 1000), SF_SIM_PRESENT);
	/* protected although the layout says writable */
	assert_true(cmd5(&f->m, 0x41, 0x08001000) >= 0);
	assert_int_equal(getstatus(&f->m, st), SF_SIM_ERR_PIPE);
	assert_int_equal(getstatus(&f->m, st), 6);
	assert_int_equal(st[4], SF_DFU_DNLOAD_IDLE);
	assert_int_equal(st[0], SF_DFU_OK);
	assert_int_equal(f->e0[4], 0);
	/* a write there stalls too and changes nothing */
	assert_int_equal(run(&f->m, cmd5(&f->m, 0x21, 0x08001000)), SF_DFU_OK);
	assert_true(dnload(&f->m, 2, d, 16) >= 0);
	assert_int_equal(getstatus(&f->m, st), SF_SIM_ERR_PIPE);
	assert_int_equal(f->mem0[0x1000], 0xFF);
	assert_int_equal(getstatus(&f->m, st), 6);
	assert_int_equal(st[4], SF_DFU_DNLOAD_IDLE);
	/* outside the protected range: fine */
	assert_int_equal(run(&f->m, cmd5(&f->m, 0x41, 0x08002000)), SF_DFU_OK);
	assert_int_equal(write_at(&f->m, 0x08002000, d, 16), SF_DFU_OK);
	assert_int_equal(f->mem0[0x2000], 0x00);
	/* an unknown command is accepted, then its status request stalls */
	one = 0x55;
	assert_true(dnload(&f->m, 0, &one, 1) >= 0);
	assert_int_equal(getstatus(&f->m, st), SF_SIM_ERR_PIPE);
	/* leave: dfuDNLOAD-IDLE, still there until 500 ms have passed */
	abort_req(&f->m);
	assert_int_equal(dnload(&f->m, 2, NULL, 0), 0);
	assert_int_equal(getstatus(&f->m, st), 6);
	assert_int_equal(st[4], SF_DFU_DNLOAD_IDLE);
	assert_int_equal(st[0], SF_DFU_OK);
	assert_int_equal(f->m.presence, SF_SIM_PRESENT);
	assert_int_equal(sf_sim_tick(&f->m, 1499), SF_SIM_PRESENT);
	assert_int_equal(getstatus(&f->m, st), 6);
	assert_int_equal(st[4], SF_DFU_MANIFEST_WAIT_RESET);
	assert_int_equal(sf_sim_tick(&f->m, 1500), SF_SIM_LEFT);
	assert_int_equal(getstatus(&f->m, st), SF_SIM_ERR_NO_DEVICE);
}

static void test_gen2_detach_and_finish(void **state)
{
	fixture *f = *state;
	sf_bootloader b;
	uint8_t st[6];
	gen2_bl(&b);
	sf_sim_model_bootloader(&f->m, &b);
	assert_int_equal(sf_sim_request(&f->m, 0x21, 0, 1000, NULL, 0), 0);
	assert_int_equal(f->m.presence, SF_SIM_REENUMERATED);
	assert_int_equal(getstatus(&f->m, st), SF_SIM_ERR_NO_DEVICE);

	/* the host goes away before the reset is due: it happens anyway */
	f->m.presence = SF_SIM_PRESENT;
	f->m.state = SF_DFU_IDLE;
	sf_sim_tick(&f->m, 10);
	assert_int_equal(dnload(&f->m, 2, NULL, 0), 0);
	assert_int_equal(getstatus(&f->m, st), 6);
	assert_int_equal(f->m.presence, SF_SIM_PRESENT);
	sf_sim_finish(&f->m);
	assert_int_equal(f->m.presence, SF_SIM_LEFT);
}

/* A Gen 3 / P2-like one (device-os bootloader/src/nRF52840/usbd_dfu.cpp):
 * every refusal is dfuERROR/errUNKNOWN after the dfuDNBUSY answer, an
 * unknown command included; the leave answers dfuMANIFEST. */
static void gen3_bl(sf_bootloader *b)
{
	sf_bootloader_generic(b);
	b->leave_reset_ms = 500;
	b->detach = SF_BL_DETACH_REENUMERATE;
	b->refused_status = SF_DFU_ERR_UNKNOWN;
	b->commands = SF_BL_CMD_SET_ADDRESS | SF_BL_CMD_ERASE_PAGE;
}

static void test_gen3_bootloader(void **state)
{
	fixture *f = *state;
	sf_bootloader b;
	uint8_t st[6], d[16], one = 0x41, odd = 0x55;
	gen3_bl(&b);
	sf_sim_model_bootloader(&f->m, &b);
	memset(d, 0, sizeof d);
	/* read-only page: erase and write refused with errUNKNOWN */
	assert_int_equal(run(&f->m, cmd5(&f->m, 0x41, 0x08000000)), SF_DFU_ERR_UNKNOWN);
	clrstatus(&f->m);
	assert_int_equal(write_at(&f->m, 0x08000000, d, 16), SF_DFU_ERR_UNKNOWN);
	assert_int_equal(f->mem0[0], 0xFF);
	clrstatus(&f->m);
	/* unmapped: the same status, not errADDRESS */
	assert_int_equal(write_at(&f->m, 0x09000000, d, 16), SF_DFU_ERR_UNKNOWN);
	clrstatus(&f->m);
	/* mass erase and an unknown command are taken, then refused */
	assert_int_equal(run(&f->m, dnload(&f->m, 0, &one, 1)), SF_DFU_ERR_UNKNOWN);
	clrstatus(&f->m);
	assert_int_equal(run(&f->m, dnload(&f->m, 0, &odd, 1)), SF_DFU_ERR_UNKNOWN);
	clrstatus(&f->m);
	/* writable page: works */
	assert_int_equal(run(&f->m, cmd5(&f->m, 0x41, 0x08001000)), SF_DFU_OK);
	assert_int_equal(write_at(&f->m, 0x08001000, d, 16), SF_DFU_OK);
	assert_int_equal(f->mem0[0x1000], 0x00);
	/* leave: dfuMANIFEST, gone 500 ms later */
	abort_req(&f->m);
	assert_int_equal(sf_sim_tick(&f->m, 100), SF_SIM_PRESENT);
	assert_int_equal(dnload(&f->m, 2, NULL, 0), 0);
	assert_int_equal(getstatus(&f->m, st), 6);
	assert_int_equal(st[4], SF_DFU_MANIFEST);
	assert_int_equal(sf_sim_tick(&f->m, 599), SF_SIM_PRESENT);
	assert_int_equal(sf_sim_tick(&f->m, 600), SF_SIM_LEFT);
}

/* leave_state "none" (the STM32H7 system bootloader): the device resets on
 * the leave request, the GETSTATUS after it finds no device. */
static void test_leave_no_answer(void **state)
{
	fixture *f = *state;
	sf_bootloader b;
	uint8_t st[6];
	sf_bootloader_generic(&b);
	b.leave_state = SF_BL_LEAVE_NO_ANSWER;
	sf_sim_model_bootloader(&f->m, &b);
	assert_int_equal(dnload(&f->m, 2, NULL, 0), 0);
	assert_int_equal(getstatus(&f->m, st), SF_SIM_ERR_NO_DEVICE);
	assert_int_equal(f->m.presence, SF_SIM_LEFT);
}

/* stall_error false: an illegal request stalls, the state stays. */
static void test_stall_keeps_state(void **state)
{
	fixture *f = *state;
	sf_bootloader b;
	uint8_t st[6], d[4] = { 0 };
	gen2_bl(&b);
	sf_sim_model_bootloader(&f->m, &b);
	assert_true(dnload(&f->m, 2, d, 4) >= 0); /* dfuDNLOAD-SYNC */
	assert_int_equal(upload(&f->m, 2, d, 4), SF_SIM_ERR_PIPE);
	assert_int_equal(f->m.state, SF_DFU_DNLOAD_SYNC);
	(void)st;
}

static void test_new_faults(void **state)
{
	fixture *f;
	sf_sim_faults ft;
	sf_err err = { 0, "" };
	uint8_t st[6], d[16];
	(void)state;
	memset(d, 0, sizeof d);

	/* replug=1@300: off the bus before the second data block */
	sf_sim_faults_init(&ft);
	assert_int_equal(sf_sim_fault_parse("replug=1@300", &ft, &err), 0);
	assert_int_equal(ft.replug_after, 1);
	assert_int_equal(ft.replug_ms, 300);
	setup_with((void **)&f, &ft);
	assert_int_equal(write_at(&f->m, 0x08001000, d, 16), SF_DFU_OK);
	assert_int_equal(run(&f->m, cmd5(&f->m, 0x21, 0x08001010)), SF_DFU_OK);
	assert_int_equal(dnload(&f->m, 2, d, 16), SF_SIM_ERR_NO_DEVICE);
	assert_int_equal(f->m.presence, SF_SIM_UNPLUGGED);
	assert_int_equal(getstatus(&f->m, st), SF_SIM_ERR_NO_DEVICE);
	teardown((void **)&f);

	/* stall-leave: the zero-length DNLOAD stalls, dfuERROR, still there */
	sf_sim_faults_init(&ft);
	assert_int_equal(sf_sim_fault_parse("stall-leave", &ft, &err), 0);
	setup_with((void **)&f, &ft);
	assert_int_equal(write_at(&f->m, 0x08001000, d, 16), SF_DFU_OK);
	assert_int_equal(dnload(&f->m, 2, NULL, 0), SF_SIM_ERR_PIPE);
	assert_int_equal(f->m.presence, SF_SIM_PRESENT);
	assert_int_equal(getstatus(&f->m, st), 6);
	assert_int_equal(st[4], SF_DFU_ERROR);
	assert_int_equal(st[0], SF_DFU_ERR_STALLEDPKT);
	teardown((void **)&f);

	/* erase-timeout=2: the second erase answers dfuDNBUSY, then nothing */
	sf_sim_faults_init(&ft);
	assert_int_equal(sf_sim_fault_parse("erase-timeout=2", &ft, &err), 0);
	setup_with((void **)&f, &ft);
	assert_int_equal(run(&f->m, cmd5(&f->m, 0x41, 0x08001000)), SF_DFU_OK);
	assert_true(cmd5(&f->m, 0x41, 0x08001400) >= 0);
	assert_int_equal(getstatus(&f->m, st), 6);
	assert_int_equal(st[4], SF_DFU_DNBUSY);
	assert_int_equal(getstatus(&f->m, st), SF_SIM_ERR_TIMEOUT);
	assert_int_equal(sf_sim_request(&f->m, 0x21, 6, 0, NULL, 0), SF_SIM_ERR_TIMEOUT);
	/* the erase completes after the host gave up */
	assert_int_equal(f->e0[5], 1);
	assert_int_equal(sf_sim_resting_state(&f->m), SF_DFU_DNLOAD_IDLE);
	teardown((void **)&f);
}

static void test_real_timing(void **state)
{
	fixture *f;
	uint8_t st[6];
	(void)state;
	setup_with((void **)&f, NULL);
	f->m.real_timing = true;
	assert_true(cmd5(&f->m, 0x41, 0x08001000) >= 0);
	assert_int_equal(getstatus(&f->m, st), 6);
	assert_int_equal(st[4], SF_DFU_DNBUSY);
	assert_int_equal(st[1] | st[2] << 8 | st[3] << 16, 50);
	assert_int_equal(getstatus(&f->m, st), 6);
	assert_int_equal(st[1] | st[2] << 8 | st[3] << 16, 0);
	teardown((void **)&f);
}

static void test_fault_parse(void **state)
{
	static const struct {
		const char *spec;
		int ok;
	} cases[] = {
		{ "access", 1 }, { "busy", 1 }, { "ignore-leave", 1 }, { "reset-on-leave", 1 },
		{ "lost=0", 1 }, { "lost=12", 1 }, { "stall=1", 1 }, { "status=errWRITE@1", 1 },
		{ "status=errSTALLEDPKT@9", 1 }, { "", 0 }, { "lost", 0 }, { "lost=", 0 },
		{ "lost=-1", 0 }, { "lost=1x", 0 }, { "lost=9999999999", 0 }, { "stall=0", 0 },
		{ "status=errWRITE", 0 }, { "status=OK@1", 0 }, { "status=errBOGUS@1", 0 },
		{ "status=errWRITE@0", 0 }, { "status=@1", 0 }, { "Access", 0 }, { "busy ", 0 },
		{ "stall-leave", 1 }, { "replug=0@0", 1 }, { "replug=3@250", 1 }, { "replug=3@60000", 1 },
		{ "replug=3", 0 }, { "replug=@5", 0 }, { "replug=3@", 0 }, { "replug=3@60001", 0 },
		{ "replug=x@5", 0 }, { "replug=1@2@3", 0 }, { "erase-timeout=1", 1 }, { "erase-timeout=0", 0 },
		{ "erase-timeout=", 0 }, { "erase-timeout", 0 }, { "stall-leave=1", 0 },
		{ "once:status=errWRITE@2", 1 }, { "once:replug=2@1000", 1 }, { "once:lost=1", 1 },
		{ "once:ignore-leave", 1 }, { "once:access", 0 }, { "once:busy", 0 }, { "once:", 0 },
		{ "once:once:lost=1", 0 }, { "once:bogus", 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		sf_sim_faults f;
		sf_err err = { 0, "" };
		int rc;
		sf_sim_faults_init(&f);
		rc = sf_sim_fault_parse(cases[i].spec, &f, &err);
		if (cases[i].ok != (rc == 0))
			fail_msg("fault '%s': rc %d (%s)", cases[i].spec, rc, err.msg);
		if (!cases[i].ok)
			assert_non_null(strstr(err.msg, "fault"));
	}
	assert_string_equal(sf_dfu_status_name(8), "errADDRESS");
	assert_null(sf_dfu_status_name(16));
	assert_int_equal(sf_dfu_status_from_name("errVENDOR"), 11);
}

/* once:KIND: which fault bit each one-shot spec is spent by, and the
 * model saying which fault happened. */
static void test_once_faults(void **state)
{
	fixture *f;
	sf_sim_faults ft;
	sf_err err = { 0, "" };
	uint8_t d[16];
	(void)state;
	assert_int_equal(sf_sim_fault_once_bit("once:status=errWRITE@2"), SF_SIM_FIRED_STATUS);
	assert_int_equal(sf_sim_fault_once_bit("once:replug=2@1000"), SF_SIM_FIRED_REPLUG);
	assert_int_equal(sf_sim_fault_once_bit("once:lost=1"), SF_SIM_FIRED_LOST);
	assert_int_equal(sf_sim_fault_once_bit("once:stall=3"), SF_SIM_FIRED_STALL);
	assert_int_equal(sf_sim_fault_once_bit("once:erase-timeout=1"), SF_SIM_FIRED_ERASE_TIMEOUT);
	assert_int_equal(sf_sim_fault_once_bit("once:stall-leave"), SF_SIM_FIRED_STALL_LEAVE);
	assert_int_equal(sf_sim_fault_once_bit("once:reset-on-leave"), SF_SIM_FIRED_RESET_ON_LEAVE);
	assert_int_equal(sf_sim_fault_once_bit("status=errWRITE@2"), 0); /* not one-shot */
	assert_int_equal(sf_sim_fault_once_bit(NULL), 0);

	/* the one-shot spec acts as its kind; the model notes it happened */
	memset(d, 0, sizeof d);
	sf_sim_faults_init(&ft);
	assert_int_equal(sf_sim_fault_parse("once:status=errPROG@2", &ft, &err), 0);
	setup_with((void **)&f, &ft);
	assert_int_equal(write_at(&f->m, 0x08001000, d, 16), SF_DFU_OK);
	assert_int_equal(f->m.fired, 0u);
	assert_int_equal(write_at(&f->m, 0x08001010, d, 16), SF_DFU_ERR_PROG);
	assert_int_equal(f->m.fired, (unsigned)SF_SIM_FIRED_STATUS);
	teardown((void **)&f);
}

static unsigned fuzz_seed(void)
{
	const char *s = getenv("SF_FUZZ_SEED");
	return s ? (unsigned)strtoul(s, NULL, 10) : (unsigned)time(NULL);
}

static void fuzz_faults_with(unsigned seed)
{
	static const char *const seeds[] = { "status=errWRITE@12", "lost=3", "stall=4", "reset-on-leave" };
	char buf[64];
	srand(seed);
	for (int it = 0; it < 20000; it++) {
		sf_sim_faults f;
		sf_err err = { 0, "" };
		size_t n;
		strcpy(buf, seeds[rand() % 4]);
		n = strlen(buf);
		for (int k = rand() % 4; k >= 0; k--) {
			size_t pos = (size_t)rand() % (n + 1);
			switch (rand() % 3) {
			case 0: if (n < sizeof buf - 1) { memmove(buf + pos + 1, buf + pos, n - pos + 1); buf[pos] = (char)(rand() % 256); n++; } break;
			case 1: if (pos < n) { memmove(buf + pos, buf + pos + 1, n - pos); n--; } break;
			default: if (pos < n) buf[pos] = (char)(rand() % 256); break;
			}
			if (memchr(buf, '\0', n))
				n = strlen(buf);
		}
		sf_sim_faults_init(&f);
		if (sf_sim_fault_parse(buf, &f, &err) == 0) {
			assert_true(f.status_code >= 0 && f.status_code <= 15);
		} else {
			assert_true(strlen(err.msg) > 0);
		}
	}
}

static void test_fuzz_faults(void **state)
{
	unsigned seed = fuzz_seed();
	(void)state;
	printf("# fault-spec fuzz: fixed seed 1 and random seed %u (SF_FUZZ_SEED=%u to repeat)\n", seed, seed);
	fuzz_faults_with(1);
	fuzz_faults_with(seed);
}

/* Random request sequences: the model must never crash, always keep a valid
 * state, and answer GETSTATUS with exactly 6 bytes or an error. */
static void fuzz_requests_with(unsigned seed)
{
	fixture *f;
	sf_sim_faults ft;
	uint8_t buf[TS + 16];
	srand(seed);
	for (int dev = 0; dev < 20; dev++) {
		sf_sim_faults_init(&ft);
		if (dev % 3 == 1)
			ft.status_at = 1 + rand() % 10, ft.status_code = 1 + rand() % 15;
		if (dev % 5 == 2)
			ft.stall_at = 1 + rand() % 50;
		if (dev % 7 == 3)
			ft.erase_timeout_at = 1 + rand() % 5;
		if (dev % 6 == 4)
			ft.replug_after = rand() % 5;
		ft.stall_leave = dev % 8 == 5;
		setup_with((void **)&f, &ft);
		/* every bootloader flavour: generic, Core, Gen 2 */
		if (dev % 3) {
			sf_bootloader b;
			if (dev % 3 == 1)
				core_bl(&b);
			else
				gen2_bl(&b);
			sf_sim_model_bootloader(&f->m, &b);
		}
		for (int it = 0; it < 2000 && f->m.presence == SF_SIM_PRESENT; it++) {
			sf_sim_tick(&f->m, (uint64_t)it * 3);
			uint8_t req = (uint8_t)(rand() % 8), type = (rand() % 2) ? 0xA1 : 0x21;
			uint16_t value = (uint16_t)(rand() % 4 == 0 ? rand() : rand() % 6);
			uint16_t len = (uint16_t)(rand() % 3 == 0 ? rand() % (TS + 16) : rand() % 8);
			int rc;
			for (size_t i = 0; i < sizeof buf; i++)
				buf[i] = (uint8_t)rand();
			if (rand() % 4 == 0) {
				uint32_t a = 0x08000000u + (uint32_t)(rand() % 0x4000);
				buf[0] = rand() % 2 ? 0x21 : 0x41;
				memcpy(buf + 1, &a, 4);
				len = 5;
				value = 0;
			}
			if (rand() % 50 == 0)
				sf_sim_set_alt(&f->m, rand() % 3);
			rc = sf_sim_request(&f->m, type, req, value, buf, len);
			assert_true(rc <= (int)len || (req == 3 && rc == 6));
			if (req == 3 && type == 0xA1 && rc >= 0)
				assert_int_equal(rc, 6);
			assert_true(f->m.state <= SF_DFU_ERROR);
			assert_true(sf_sim_resting_state(&f->m) <= SF_DFU_ERROR);
		}
		teardown((void **)&f);
	}
}

static void test_fuzz_requests(void **state)
{
	unsigned seed = fuzz_seed();
	(void)state;
	printf("# request fuzz: fixed seed 1 and random seed %u\n", seed);
	fuzz_requests_with(1);
	fuzz_requests_with(seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_initial_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase_write_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nor_and, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase_none, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mass_erase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leave, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runtime, setup, teardown),
		cmocka_unit_test(test_settle),
		cmocka_unit_test(test_leave_faults),
		cmocka_unit_test(test_block_faults),
		cmocka_unit_test(test_real_timing),
		cmocka_unit_test(test_fault_parse),
		cmocka_unit_test(test_boot_state),
		cmocka_unit_test_setup_teardown(test_core_bootloader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gen2_bootloader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gen2_detach_and_finish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stall_keeps_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gen3_bootloader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leave_no_answer, setup, teardown),
		cmocka_unit_test(test_new_faults),
		cmocka_unit_test(test_once_faults),
		cmocka_unit_test(test_fuzz_faults),
		cmocka_unit_test(test_fuzz_requests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
