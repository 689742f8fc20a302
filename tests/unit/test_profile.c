/* Profile loader: the shipped profiles, a table of broken profiles with their
 * exact line:column, the JSON position locator, and a mutation fuzz loop. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <cmocka.h>

#include "jsonpos.h"
#include "profile.h"
#include "profmatch.h"

static const char *const shipped[] = { "core", "photon", "p1", "electron", "duo" };
#define NSHIPPED (sizeof shipped / sizeof shipped[0])

/* The source profiles directory: first entry of SPARKFLASH_PROFILES, else
 * $srcdir/profiles. */
static char *profile_file(const char *id)
{
	const char *env = getenv("SPARKFLASH_PROFILES");
	const char *srcdir = getenv("srcdir");
	char dir[1024];
	char *path = malloc(1200);
	assert_non_null(path);
	if (env && *env) {
		size_t n = strcspn(env, ":");
		snprintf(dir, sizeof dir, "%.*s", (int)n, env);
	} else {
		snprintf(dir, sizeof dir, "%s/profiles", srcdir ? srcdir : ".");
	}
	snprintf(path, 1200, "%s/%s.json", dir, id);
	return path;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	if (!f)
		print_error("cannot open %s\n", path);
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0 && n < 1 << 20);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void load_shipped(const char *id, sf_profile *p)
{
	char *path = profile_file(id);
	size_t len;
	char *text = slurp(path, &len);
	sf_err err = { 0, "" };
	int r = sf_profile_parse(text, len, path, p, &err);
	if (r)
		print_error("%s\n", err.msg);
	assert_int_equal(r, 0);
	assert_string_equal(p->id, id);
	assert_string_equal(p->source, path);
	free(text);
	free(path);
}

static void expect_seg(const sf_profile *p, const char *name, int alt, uint32_t addr,
		       uint32_t size, bool leave, bool prot)
{
	const sf_segment *s = sf_profile_segment(p, name);
	if (!s)
		print_error("%s: no segment %s\n", p->id, name);
	assert_non_null(s);
	assert_int_equal(s->alt, alt);
	assert_int_equal(s->address, addr);
	assert_true(s->has_size);
	assert_int_equal(s->size, size);
	assert_int_equal(s->leave, leave);
	assert_int_equal(s->is_protected, prot);
	assert_true(sf_segment_end(p, s) == (uint64_t)addr + size);
}

static void test_core_profile(void **state)
{
	sf_profile p;
	const sf_segment *k;
	(void)state;
	load_shipped("core", &p);
	assert_string_equal(p.name, "Spark Core");
	assert_int_equal(p.platform_id, 0);
	assert_int_equal(p.dfu.vid, 0x1d50);
	assert_int_equal(p.dfu.pid, 0x607f);
	assert_true(p.has_runtime);
	assert_int_equal(p.runtime.pid, 0x607d);
	assert_int_equal(p.write_padding, 2);
	assert_int_equal(p.transfer_size, 1024);
	assert_int_equal(p.bcd_device, 0x0200);
	assert_int_equal(p.detach_timeout, 255);
	assert_string_equal(p.manufacturer, "Spark Devices     ");
	assert_string_equal(p.product, "CORE DFU ");
	assert_string_equal(p.default_protocol, "tcp");
	assert_non_null(p.dfu_mode_help);
	assert_int_equal(p.nalts, 2);
	assert_string_equal(p.alts[0].layout_text, "@Internal Flash  /0x08000000/20*001Ka,108*001Kg");
	assert_string_equal(p.alts[1].layout_text, "@SPI Flash : SST25x/0x00000000/512*04Kg");
	assert_int_equal(p.alts[0].timing.erase_ms, 50);
	assert_int_equal(p.alts[0].timing.program_ms, 50);
	assert_int_equal(p.alts[1].timing.erase_ms, 20);
	assert_int_equal(p.alts[1].timing.program_ms, 30);
	assert_false(p.alts[0].erase_none);
	assert_false(p.alts[1].erase_none);
	assert_int_equal(p.nsegments, 4);
	/* file order is kept */
	assert_string_equal(p.segments[0].name, "userFirmware");
	assert_string_equal(p.segments[3].name, "tcpPrivateKey");
	expect_seg(&p, "userFirmware", 0, 0x08005000, 0x1B000, true, false);
	expect_seg(&p, "factoryReset", 1, 0x00020000, 0x20000, false, false);
	expect_seg(&p, "tcpServerKey", 1, 0x1000, 2048, false, true);
	expect_seg(&p, "tcpPrivateKey", 1, 0x2000, 1024, false, true);
	k = sf_profile_segment(&p, "tcpServerKey");
	assert_true(k->key.present);
	assert_string_equal(k->key.format, "der");
	assert_string_equal(k->key.alg, "rsa");
	assert_true(k->key.has_address_offset && k->key.address_offset == 384);
	assert_true(k->key.has_port_offset && k->key.port_offset == 450);
	assert_false(sf_profile_segment(&p, "tcpPrivateKey")->key.has_address_offset);
	assert_null(sf_profile_segment(&p, "systemFirmwareOne"));
	assert_null(sf_profile_alt(&p, 2));
	assert_ptr_equal(sf_profile_alt(&p, 1), &p.alts[1]);
	sf_profile_free(&p);
	sf_profile_free(&p); /* idempotent */
}

static void check_dct(const sf_profile *p, bool udp, bool transport)
{
	const sf_alt *dct = sf_profile_alt(p, 1);
	assert_non_null(dct);
	assert_string_equal(dct->layout_text, "@DCT Flash   /0x00000000/01*016Kg");
	assert_true(dct->erase_none);
	expect_seg(p, "tcpPrivateKey", 1, 34, 612, false, true);
	expect_seg(p, "tcpServerKey", 1, 2082, 512, false, true);
	if (udp) {
		expect_seg(p, "udpPrivateKey", 1, 3106, 192, false, true);
		expect_seg(p, "udpServerKey", 1, 3298, 320, false, true);
		assert_int_equal(sf_profile_segment(p, "udpServerKey")->key.address_offset, 192);
		assert_int_equal(sf_profile_segment(p, "udpServerKey")->key.port_offset, 258);
		assert_string_equal(sf_profile_segment(p, "udpServerKey")->key.alg, "ec");
	} else {
		assert_null(sf_profile_segment(p, "udpServerKey"));
	}
	if (transport)
		expect_seg(p, "transport", 1, 2977, 1, false, true);
	else
		assert_null(sf_profile_segment(p, "transport"));
}

static void test_gen2_profiles(void **state)
{
	static const struct {
		const char *id;
		int platform;
		uint16_t dfu_pid, run_pid;
		const char *proto;
	} want[] = {
		{ "photon", 6, 0xd006, 0xc006, "tcp" },
		{ "p1", 8, 0xd008, 0xc008, "tcp" },
		{ "electron", 10, 0xd00a, 0xc00a, "udp" },
	};
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		sf_profile p;
		load_shipped(want[i].id, &p);
		assert_int_equal(p.platform_id, want[i].platform);
		assert_int_equal(p.dfu.vid, 0x2b04);
		assert_int_equal(p.dfu.pid, want[i].dfu_pid);
		assert_int_equal(p.runtime.pid, want[i].run_pid);
		assert_string_equal(p.default_protocol, want[i].proto);
		assert_int_equal(p.transfer_size, 4096);
		assert_int_equal(p.write_padding, 1);
		assert_string_equal(sf_profile_alt(&p, 0)->layout_text,
				    "@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg");
		expect_seg(&p, "systemFirmwareOne", 0, 0x08020000, i == 2 ? 0x20000 : 0x40000, false, false);
		if (i == 2) {
			expect_seg(&p, "systemFirmwareTwo", 0, 0x08040000, 0x20000, false, false);
			expect_seg(&p, "systemFirmwareThree", 0, 0x08060000, 0x20000, false, false);
			expect_seg(&p, "userFirmware", 0, 0x08080000, 0x20000, true, false);
			expect_seg(&p, "factoryReset", 0, 0x080A0000, 0x20000, false, false);
		} else {
			expect_seg(&p, "systemFirmwareTwo", 0, 0x08060000, 0x40000, false, false);
			assert_null(sf_profile_segment(&p, "systemFirmwareThree"));
			expect_seg(&p, "userFirmware", 0, 0x080A0000, 0x20000, true, false);
			expect_seg(&p, "factoryReset", 0, 0x080E0000, 0x20000, false, false);
		}
		check_dct(&p, true, true);
		expect_seg(&p, "otaFlag", 1, 1753, 1, false, true);
		sf_profile_free(&p);
	}
}

static void test_duo_profile(void **state)
{
	sf_profile p;
	(void)state;
	load_shipped("duo", &p);
	assert_int_equal(p.platform_id, 88);
	assert_int_equal(p.dfu.pid, 0xd058);
	assert_int_equal(p.nalts, 3);
	assert_string_equal(sf_profile_alt(&p, 0)->layout_text,
			    "@Internal Flash   /0x08000000/01*016Ka,02*016Kg,01*016Kg,01*064Kg,07*128Kg");
	assert_string_equal(sf_profile_alt(&p, 2)->layout_text,
			    "@Serial Flash   /0x00000000/192*004Kg,128*004Kg,64*004Kg,128*004Kg");
	assert_false(sf_profile_alt(&p, 2)->erase_none);
	expect_seg(&p, "userFirmware", 0, 0x080C0000, 0x40000, true, false);
	expect_seg(&p, "factoryReset", 2, 0x00140000, 0x40000, false, false);
	expect_seg(&p, "systemFirmwareOne", 0, 0x08020000, 0x20000, false, false);
	expect_seg(&p, "systemFirmwareTwo", 0, 0x08040000, 0x80000, false, false);
	check_dct(&p, false, false);
	sf_profile_free(&p);
}

static void test_match_usb(void **state)
{
	sf_profile all[NSHIPPED];
	(void)state;
	for (size_t i = 0; i < NSHIPPED; i++)
		load_shipped(shipped[i], &all[i]);
	assert_ptr_equal(sf_profiles_match_usb(all, NSHIPPED, 0x1d50, 0x607f, false), &all[0]);
	assert_null(sf_profiles_match_usb(all, NSHIPPED, 0x1d50, 0x607f, true));
	assert_ptr_equal(sf_profiles_match_usb(all, NSHIPPED, 0x1d50, 0x607d, true), &all[0]);
	assert_ptr_equal(sf_profiles_match_usb(all, NSHIPPED, 0x2b04, 0xd00a, false), &all[3]);
	assert_ptr_equal(sf_profiles_match_usb(all, NSHIPPED, 0x2b04, 0xc058, true), &all[4]);
	assert_null(sf_profiles_match_usb(all, NSHIPPED, 0x0483, 0xdf11, false));
	assert_null(sf_profiles_match_usb(NULL, 0, 0x0483, 0xdf11, false));
	/* photon (index 1): protected DCT ranges and flash segments by overlap */
	assert_string_equal(sf_profile_segment_overlapping(&all[1], 1, 0, 34, true) ? "hit" : "none", "none");
	assert_string_equal(sf_profile_segment_overlapping(&all[1], 1, 0, 35, true)->name, "tcpPrivateKey");
	assert_string_equal(sf_profile_segment_overlapping(&all[1], 1, 645, 0, true)->name, "tcpPrivateKey");
	assert_null(sf_profile_segment_overlapping(&all[1], 1, 646, 1107, true));
	assert_string_equal(sf_profile_segment_overlapping(&all[1], 1, 646, 1108, true)->name, "otaFlag");
	assert_string_equal(sf_profile_segment_overlapping(&all[1], 1, 2977, 1, true)->name, "transport");
	assert_null(sf_profile_segment_overlapping(&all[1], 0, 0x080A0000, 0x1000, true));
	assert_string_equal(sf_profile_segment_overlapping(&all[1], 0, 0x080A0000, 0x1000, false)->name,
			    "userFirmware");
	assert_string_equal(sf_profile_segment_overlapping(&all[1], 0, 0x0809FFFF, 2, false)->name,
			    "systemFirmwareTwo");
	assert_null(sf_profile_segment_overlapping(&all[1], 0, 0x080C0000, 0x20000, false));
	assert_null(sf_profile_segment_overlapping(NULL, 0, 0, 1, false));
	for (size_t i = 0; i < NSHIPPED; i++)
		sf_profile_free(&all[i]);
}

#define HEAD "{\n \"schema\": 1,\n \"id\": \"t\",\n \"name\": \"T\",\n \"usb\": { \"dfu\": \"1d50:607f\" },\n"
#define ALTS " \"alts\": [ { \"alt\": 0, \"layout\": \"@F/0x08000000/4*1Kg\" } ],\n"

/* Gen 3 (nRF52840) and P2 (RTL872x): device-os' bootloader strings and
 * memory maps, particle-cli's key slots (README "Where the shipped values
 * come from"). */
static void test_gen3_p2_profiles(void **state)
{
	static const struct {
		const char *id;
		int platform;
		uint16_t pid;
		bool ext8;     /* 8 MiB external flash */
	} gen3[] = {
		{ "argon", 12, 0x0c, false }, { "boron", 13, 0x0d, false }, { "esomx", 15, 0x0f, true },
		{ "bsom", 23, 0x17, false }, { "b5som", 25, 0x19, true }, { "tracker", 26, 0x1a, true },
		{ "xenon", 14, 0x0e, false },
	};
	sf_profile p;
	(void)state;
	for (size_t i = 0; i < sizeof gen3 / sizeof gen3[0]; i++) {
		bool xenon = !strcmp(gen3[i].id, "xenon");
		load_shipped(gen3[i].id, &p);
		assert_int_equal(p.platform_id, gen3[i].platform);
		assert_int_equal(p.dfu.vid, 0x2b04);
		assert_int_equal(p.dfu.pid, 0xd000 | gen3[i].pid);
		assert_int_equal(p.runtime.pid, 0xc000 | gen3[i].pid);
		assert_int_equal(p.bcd_device, 0x0251);
		assert_int_equal(p.transfer_size, 4096);
		assert_string_equal(p.default_protocol, "udp");
		assert_int_equal(p.nalts, 3);
		assert_string_equal(sf_profile_alt(&p, 0)->layout_text,
				    "@Internal Flash   /0x00000000/1*004Ka,47*004Kg,192*004Kg,4*004Kg,4*004Kg,8*004Ka");
		assert_string_equal(sf_profile_alt(&p, 1)->layout_text, xenon ? "@DCD Flash   /0x00000000/1*016Ke"
									       : "@DCT Flash   /0x00000000/1*016Ke");
		assert_true(sf_profile_alt(&p, 1)->erase_none);
		assert_string_equal(sf_profile_alt(&p, 2)->layout_text,
				    gen3[i].ext8 ? "@External Flash   /0x80000000/2048*004Kg"
						 : "@External Flash   /0x80000000/1024*004Kg");
		if (xenon) {
			expect_seg(&p, "systemFirmwareOne", 0, 0x30000, 0xA4000, false, false);
			expect_seg(&p, "userFirmware", 0, 0xD4000, 0x20000, true, false);
			expect_seg(&p, "radioStack", 0, 0x1000, 0x2F000, false, false);
			expect_seg(&p, "factoryReset", 2, 0x80200000, 0x20000, false, false);
		} else {
			expect_seg(&p, "systemFirmwareOne", 0, 0x28000, 0x8C000, false, false);
			expect_seg(&p, "userFirmware", 0, 0xB4000, 0x40000, true, false);
			expect_seg(&p, "radioStack", 0, 0x1000, 0x26000, false, false);
			expect_seg(&p, "factoryReset", 2, gen3[i].ext8 ? 0x80600000 : 0x80200000, 0x40000, false, false);
		}
		expect_seg(&p, "bootloader", 0, 0xF4000, 0x4000, false, true);
		/* 0xD4000 (before 3.1) and 0x30000 (before 6.0) modules land inside */
		assert_true(sf_profile_segment(&p, "userFirmware")->header_placement);
		assert_int_equal(sf_profile_segment(&p, "systemFirmwareOne")->header_placement, !xenon);
		assert_false(sf_profile_segment(&p, "radioStack")->header_placement);
		expect_seg(&p, "udpPrivateKey", 1, 3106, 192, false, true);
		expect_seg(&p, "udpServerKey", 1, 3298, 320, false, true);
		expect_seg(&p, "otaFlag", 1, 1753, 1, false, true);
		assert_null(sf_profile_segment(&p, "tcpPrivateKey"));
		assert_int_equal(sf_profile_segment(&p, "udpServerKey")->key.address_offset, 192);
		assert_int_equal(sf_profile_segment(&p, "udpServerKey")->key.port_offset, 258);
		assert_true(p.bootloader.present);
		assert_int_equal(p.bootloader.first_status, 0);
		assert_int_equal(p.bootloader.leave_state, 7); /* dfuMANIFEST */
		assert_int_equal(p.bootloader.leave_reset_ms, 500);
		assert_int_equal(p.bootloader.detach, SF_BL_DETACH_REENUMERATE);
		assert_int_equal(p.bootloader.refused, SF_BL_REFUSED_STATUS);
		assert_int_equal(p.bootloader.refused_status, 14); /* errUNKNOWN */
		assert_int_equal(p.bootloader.commands, SF_BL_CMD_SET_ADDRESS | SF_BL_CMD_ERASE_PAGE);
		sf_profile_free(&p);
	}
	load_shipped("p2", &p);
	assert_int_equal(p.platform_id, 32);
	assert_int_equal(p.dfu.pid, 0xd020);
	assert_int_equal(p.runtime.pid, 0xc020);
	assert_int_equal(p.bcd_device, 0x0252);
	assert_int_equal(p.nalts, 2);
	assert_string_equal(sf_profile_alt(&p, 0)->layout_text, "@Internal Flash   /0x08000000/2048*004Kg");
	expect_seg(&p, "bootloader", 0, 0x08000000, 0x14000, false, true);
	expect_seg(&p, "systemFirmwareOne", 0, 0x08060000, 0x180000, false, false);
	expect_seg(&p, "userFirmware", 0, 0x08480000, 0x180000, true, false);
	assert_true(sf_profile_segment(&p, "userFirmware")->header_placement);
	expect_seg(&p, "udpServerKey", 1, 3298, 320, false, true);
	assert_int_equal(p.bootloader.refused_status, 14);
	sf_profile_free(&p);
}

static void parse_text(const char *text, sf_profile *p)
{
	sf_err err = { 0, "" };
	int r = sf_profile_parse(text, strlen(text), "t.json", p, &err);
	if (r)
		print_error("%s\n", err.msg);
	assert_int_equal(r, 0);
}

static sf_dfu_device listed(uint16_t vid, uint16_t pid, sf_dfu_alt *alts, size_t n)
{
	sf_dfu_device d;
	memset(&d, 0, sizeof d);
	d.vid = vid;
	d.pid = pid;
	d.alts = alts;
	d.nalts = n;
	return d;
}

static void set_alt(sf_dfu_alt *a, unsigned alt, const char *name)
{
	a->alt = alt;
	snprintf(a->name, sizeof a->name, "%s", name);
}

/* Every file in the profiles directory parses, its id is its file name,
 * and no two have one DFU VID:PID unless they say how to tell them apart
 * (a family, layouts that differ). */
static void test_every_shipped_profile(void **state)
{
	char *any = profile_file("core");
	char *slash = strrchr(any, '/');
	DIR *dir;
	struct dirent *e;
	sf_profile all[64];
	size_t n = 0;
	(void)state;
	*slash = '\0';
	dir = opendir(any);
	assert_non_null(dir);
	while ((e = readdir(dir))) {
		size_t len = strlen(e->d_name);
		char id[128];
		if (len < 6 || strcmp(e->d_name + len - 5, ".json"))
			continue;
		assert_true(n < 64);
		snprintf(id, sizeof id, "%.*s", (int)(len - 5), e->d_name);
		load_shipped(id, &all[n]);
		assert_non_null(all[n].dfu_mode_help);
		assert_non_null(all[n].manufacturer);
		assert_non_null(all[n].product);
		assert_true(all[n].bootloader.present);
		n++;
	}
	closedir(dir);
	assert_true(n >= 18);
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++) {
			if (all[i].dfu.vid != all[k].dfu.vid || all[i].dfu.pid != all[k].dfu.pid)
				continue;
			assert_non_null(all[i].family);
			assert_non_null(all[k].family);
			assert_string_equal(all[i].family, all[k].family);
			assert_string_not_equal(all[i].alts[0].layout_text, all[k].alts[0].layout_text);
		}
	for (size_t i = 0; i < n; i++)
		sf_profile_free(&all[i]);
	free(any);
}

/* The shipped STM32 profiles against listings of real boards (README
 * "Where the shipped values come from"). */
static void test_match_stm32(void **state)
{
	static const char *const ids[] = { "stm32f0", "stm32f1", "stm32f4", "stm32l4", "stm32h7", "core", "photon" };
	static const struct {
		const char *board;
		const char *alt[4];
		const char *want; /* NULL: unknown or not told apart */
		sf_match_kind kind;
	} cases[] = {
		{ "F407 (1 MiB)", { "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg", "@Option Bytes  /0x1FFFC000/01*016 e",
				    "@OTP Memory /0x1FFF7800/01*512 e,01*016 e", "@Device Feature/0xFFFF0000/01*004 e" },
		  "stm32f4", SF_MATCH_EXACT },
		{ "F401/F411 (512 KiB)", { "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg", "@Option Bytes  /0x1FFFC000/01*016 e",
					   "@OTP Memory /0x1FFF7800/01*512 e,01*016 e", "@Device Feature/0xFFFF0000/01*004 e" },
		  "stm32f4", SF_MATCH_GEOMETRY },
		{ "F072/F070 (128 KiB)", { "@Internal Flash  /0x08000000/064*0002Kg", "@Option Bytes  /0x1FFFF800/01*016 e" },
		  "stm32f0", SF_MATCH_EXACT },
		{ "F107 (256 KiB)", { "@Internal Flash  /0x08000000/128*002Kg", "@Option Bytes  /0x1FFFF800/01*016 e" },
		  "stm32f1", SF_MATCH_EXACT },
		{ "L4 (512 KiB)", { "@Internal Flash  /0x08000000/0256*0002Kg", "@Option Bytes  /0x1FFF7800/01*040 e",
				    "@OTP Memory /0x1FFF7000/01*0001Ke", "@Device Feature/0xFFFF0000/01*004 e" },
		  "stm32l4", SF_MATCH_EXACT },
		{ "L476 (1 MiB)", { "@Internal Flash  /0x08000000/0512*0002Kg", "@Option Bytes  /0x1FFF7800/01*040 e",
				    "@OTP Memory /0x1FFF7000/01*0001Ke", "@Device Feature/0xFFFF0000/01*004 e" },
		  "stm32l4", SF_MATCH_GEOMETRY },
		{ "H743 (2 MiB)", { "@Internal Flash   /0x08000000/16*128Kg", "@Option Bytes   /0x5200201C/01*128 e" },
		  "stm32h7", SF_MATCH_EXACT },
		{ "H7 (1 MiB)", { "@Internal Flash   /0x08000000/8*128Kg", "@Option Bytes   /0x5200201C/01*128 e" },
		  "stm32h7", SF_MATCH_GEOMETRY },
		/* an F303 spells its 2 KiB pages as the F0 does, counts them as
		 * the F1 does: both fit, neither is named */
		{ "F303 (256 KiB)", { "@Internal Flash  /0x08000000/128*0002Kg", "@Option Bytes  /0x1FFFF800/01*016 e" },
		  NULL, SF_MATCH_AMBIGUOUS },
		/* a family with no profile */
		{ "U5", { "@Internal Flash   /0x08000000/128*08Kg", "@Option Bytes   /0x40022040/01*64 e", "@OTP Memory   /0x0BFA0000/01*512 e" },
		  NULL, SF_MATCH_UNKNOWN },
	};
	sf_profile all[7];
	(void)state;
	for (size_t i = 0; i < 7; i++)
		load_shipped(ids[i], &all[i]);
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		sf_dfu_alt alts[4];
		size_t na = 0;
		sf_dfu_device d;
		sf_match m;
		for (; na < 4 && cases[c].alt[na]; na++)
			set_alt(&alts[na], (unsigned)na, cases[c].alt[na]);
		d = listed(0x0483, 0xdf11, alts, na);
		m = sf_profiles_match_device(all, 7, &d);
		if (m.kind != cases[c].kind ||
		    (cases[c].want ? !m.profile || strcmp(m.profile->id, cases[c].want) : m.profile != NULL))
			print_error("%s: kind %d profile %s\n", cases[c].board, m.kind, m.profile ? m.profile->id : "-");
		assert_int_equal(m.kind, cases[c].kind);
		if (cases[c].want)
			assert_string_equal(m.profile->id, cases[c].want);
		else
			assert_null(m.profile);
		assert_int_equal(m.nshared, 5);
		assert_string_equal(m.first->family, "STM32 system bootloader");
	}
	for (size_t i = 0; i < 7; i++)
		sf_profile_free(&all[i]);
}

/* Two families on one VID:PID, told apart by their layouts (made-up
 * numbers: what matters is how the strings relate). */
#define FAM(id, vary, l0, l1, seg) \
	"{ \"schema\": 1, \"id\": \"" id "\", \"name\": \"" id "\", \"family\": \"Test ROM\",\n" \
	"  \"layout_sizes_vary\": " vary ", \"usb\": { \"dfu\": \"0483:df11\" },\n" \
	"  \"alts\": [ { \"alt\": 0, \"layout\": \"" l0 "\" }, { \"alt\": 1, \"layout\": \"" l1 "\" } ],\n" \
	"  \"segments\": { " seg " } }\n"

static void test_match_by_layout(void **state)
{
	sf_profile all[4];
	sf_dfu_alt alts[3];
	sf_dfu_device d;
	sf_match m;
	char buf[160];
	(void)state;
	parse_text(FAM("fa", "true", "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg",
		       "@Option Bytes  /0x1FFFC000/01*016 e",
		       "\"app\": { \"alt\": 0, \"address\": \"0x08000000\", \"size\": \"0x100000\" }"), &all[0]);
	parse_text(FAM("fb", "true", "@Internal Flash  /0x08000000/064*0002Kg", "@Option Bytes  /0x1FFFF800/01*016 e",
		       "\"app\": { \"alt\": 0, \"address\": \"0x08000000\", \"size\": \"0x20000\" }"), &all[1]);
	parse_text(FAM("fc", "true", "@Internal Flash  /0x08000000/128*002Kg", "@Option Bytes  /0x1FFFF800/01*016 e",
		       "\"app\": { \"alt\": 0, \"address\": \"0x08000000\", \"size\": \"0x40000\" }"), &all[2]);
	load_shipped("core", &all[3]);

	/* a VID:PID one profile has: that one, whatever the layouts say */
	set_alt(&alts[0], 0, "@Internal Flash  /0x08000000/99*001Kg");
	d = listed(0x1d50, 0x607f, alts, 1);
	m = sf_profiles_match_device(all, 4, &d);
	assert_int_equal(m.kind, SF_MATCH_UNIQUE);
	assert_ptr_equal(m.profile, &all[3]);
	d = listed(0x1234, 0x5678, alts, 1);
	m = sf_profiles_match_device(all, 4, &d);
	assert_int_equal(m.kind, SF_MATCH_NONE);
	assert_null(m.profile);
	assert_null(sf_profiles_match_device(NULL, 0, &d).profile);

	/* shared: the exact strings pick the family */
	set_alt(&alts[0], 0, "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg");
	set_alt(&alts[1], 1, "@Option Bytes  /0x1FFFC000/01*016 e");
	set_alt(&alts[2], 2, "@OTP Memory /0x1FFF7800/01*512 e,01*016 e"); /* extra alts are fine */
	d = listed(0x0483, 0xdf11, alts, 3);
	m = sf_profiles_match_device(all, 4, &d);
	assert_int_equal(m.kind, SF_MATCH_EXACT);
	assert_ptr_equal(m.profile, &all[0]);
	assert_int_equal(m.nshared, 3);
	assert_ptr_equal(m.first, &all[0]);
	/* a smaller member of the family: by geometry */
	set_alt(&alts[0], 0, "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg");
	m = sf_profiles_match_device(all, 4, &d);
	assert_int_equal(m.kind, SF_MATCH_GEOMETRY);
	assert_ptr_equal(m.profile, &all[0]);
	/* a missing alt the profile declares: not that family */
	d = listed(0x0483, 0xdf11, alts, 1);
	m = sf_profiles_match_device(all, 4, &d);
	assert_int_equal(m.kind, SF_MATCH_UNKNOWN);
	assert_null(m.profile);
	sf_match_describe_unknown(&m, 0x0483, 0xdf11, buf, sizeof buf);
	assert_string_equal(buf, "0483:df11 (Test ROM, unknown family)");

	/* fb and fc: exact strings tell them apart although their geometry
	 * is the same ... */
	set_alt(&alts[0], 0, "@Internal Flash  /0x08000000/128*002Kg");
	set_alt(&alts[1], 1, "@Option Bytes  /0x1FFFF800/01*016 e");
	d = listed(0x0483, 0xdf11, alts, 2);
	m = sf_profiles_match_device(all, 4, &d);
	assert_int_equal(m.kind, SF_MATCH_EXACT);
	assert_ptr_equal(m.profile, &all[2]);
	set_alt(&alts[0], 0, "@Internal Flash  /0x08000000/064*0002Kg");
	m = sf_profiles_match_device(all, 4, &d);
	assert_ptr_equal(m.profile, &all[1]);
	/* ... a third spelling of that geometry fits both: not told apart */
	set_alt(&alts[0], 0, "@Internal Flash  /0x08000000/128*0002Kg");
	m = sf_profiles_match_device(all, 4, &d);
	assert_int_equal(m.kind, SF_MATCH_AMBIGUOUS);
	assert_null(m.profile);
	sf_match_describe_unknown(&m, 0x0483, 0xdf11, buf, sizeof buf);
	assert_string_equal(buf, "0483:df11 (Test ROM, family not told apart)");
	/* another page size fits nothing */
	set_alt(&alts[0], 0, "@Internal Flash  /0x08000000/064*0001Kg");
	m = sf_profiles_match_device(all, 4, &d);
	assert_int_equal(m.kind, SF_MATCH_UNKNOWN);
	/* runtime mode has no layouts: a VID:PID no profile has at runtime */
	d.runtime = true;
	m = sf_profiles_match_device(all, 4, &d);
	assert_int_equal(m.kind, SF_MATCH_NONE);
	d = listed(0x1d50, 0x607d, alts, 0);
	d.runtime = true;
	assert_ptr_equal(sf_profiles_match_device(all, 4, &d).profile, &all[3]);

	/* a log: its listing decides; without one a shared VID:PID is not told */
	{
		sf_dfu_alt la[2], lb[2];
		sf_dfu_device devs[2];
		sf_dfu_list list;
		memset(&list, 0, sizeof list);
		set_alt(&la[0], 0, "@Internal Flash  /0x08000000/128*002Kg");
		set_alt(&la[1], 1, "@Option Bytes  /0x1FFFF800/01*016 e");
		devs[0] = listed(0x0483, 0xdf11, la, 2);
		list.devs = devs;
		list.n = 1;
		assert_ptr_equal(sf_profiles_match_logged(all, 4, &list, 0x0483, 0xdf11), &all[2]);
		/* two listed devices of different families: which one ran is not known */
		set_alt(&lb[0], 0, "@Internal Flash  /0x08000000/064*0002Kg");
		set_alt(&lb[1], 1, "@Option Bytes  /0x1FFFF800/01*016 e");
		devs[1] = listed(0x0483, 0xdf11, lb, 2);
		list.n = 2;
		assert_null(sf_profiles_match_logged(all, 4, &list, 0x0483, 0xdf11));
		assert_null(sf_profiles_match_logged(all, 4, NULL, 0x0483, 0xdf11));
		assert_ptr_equal(sf_profiles_match_logged(all, 4, NULL, 0x1d50, 0x607f), &all[3]);
		assert_ptr_equal(sf_profiles_match_logged(all, 4, &list, 0x1d50, 0x607d), &all[3]);
		assert_null(sf_profiles_match_logged(all, 4, &list, 0x1234, 0x5678));
	}

	sf_profiles_sharing(all, 4, 0x0483, 0xdf11, buf, sizeof buf);
	assert_string_equal(buf, "fa, fb, fc");
	sf_profiles_sharing(all, 4, 0x1d50, 0x607f, buf, 5);
	assert_string_equal(buf, "core");
	sf_profiles_sharing(all, 4, 0x0483, 0xdf11, buf, 6);
	assert_string_equal(buf, "fa, f");
	for (size_t i = 0; i < 4; i++)
		sf_profile_free(&all[i]);
}

/* Without layout_sizes_vary only exact strings count. */
static void test_match_exact_only(void **state)
{
	sf_profile all[2];
	sf_dfu_alt alts[2];
	sf_dfu_device d;
	(void)state;
	parse_text(FAM("xa", "false", "@Flash /0x08000000/08*001Kg", "@Opt /0x1FFF0000/01*016 e", ""), &all[0]);
	parse_text(FAM("xb", "false", "@Flash /0x08000000/16*001Kg", "@Opt /0x1FFF0000/01*016 e", ""), &all[1]);
	set_alt(&alts[0], 0, "@Flash /0x08000000/16*001Kg");
	set_alt(&alts[1], 1, "@Opt /0x1FFF0000/01*016 e");
	d = listed(0x0483, 0xdf11, alts, 2);
	assert_ptr_equal(sf_profiles_match_device(all, 2, &d).profile, &all[1]);
	set_alt(&alts[0], 0, "@Flash /0x08000000/04*001Kg");
	assert_int_equal(sf_profiles_match_device(all, 2, &d).kind, SF_MATCH_UNKNOWN);
	/* spelled differently is not "exactly" */
	set_alt(&alts[0], 0, "@Flash /0x08000000/8*1Kg");
	assert_int_equal(sf_profiles_match_device(all, 2, &d).kind, SF_MATCH_UNKNOWN);
	for (size_t i = 0; i < 2; i++)
		sf_profile_free(&all[i]);
}

/* A family member with less flash: the device's own map is adopted and the
 * segments end where its flash does. */
static void test_adopt_layouts(void **state)
{
	sf_profile p;
	sf_dfu_alt alts[2];
	sf_err err = { 0, "" };
	const sf_segment *s;
	(void)state;
	parse_text(FAM("fa", "true", "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg",
		       "@Option Bytes  /0x1FFFC000/01*016 e",
		       "\"app\": { \"alt\": 0, \"address\": \"0x08020000\", \"size\": \"0xC0000\", \"leave\": true },\n"
		       "    \"top\": { \"alt\": 0, \"address\": \"0x080E0000\", \"size\": \"0x20000\" },\n"
		       "    \"sector0\": { \"alt\": 0, \"address\": \"0x08000000\" },\n"
		       "    \"ob\": { \"alt\": 1, \"address\": \"0x1FFFC000\", \"size\": 16, \"protected\": true }"), &p);
	/* the same strings: nothing to do */
	set_alt(&alts[0], 0, "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg");
	set_alt(&alts[1], 1, "@Option Bytes  /0x1FFFC000/01*016 e");
	assert_int_equal(sf_profile_adopt_layouts(&p, alts, 2, &err), 0);
	/* another map altogether is not adopted */
	set_alt(&alts[0], 0, "@Internal Flash   /0x08000000/16*128Kg");
	assert_int_equal(sf_profile_adopt_layouts(&p, alts, 2, &err), 0);
	assert_string_equal(p.alts[0].layout_text, "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg");
	/* 512 KiB */
	set_alt(&alts[0], 0, "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg");
	assert_int_equal(sf_profile_adopt_layouts(&p, alts, 2, &err), 1);
	assert_string_equal(p.alts[0].layout_text, "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg");
	assert_int_equal(p.alts[0].layout.nregions, 3);
	assert_true(p.alts[0].layout.regions[2].end == 0x08080000);
	assert_int_equal(p.nsegments, 3);
	s = sf_profile_segment(&p, "app");
	assert_non_null(s);
	assert_int_equal(s->size, 0x60000);
	assert_true(s->leave);
	assert_null(sf_profile_segment(&p, "top")); /* past its flash */
	assert_true(sf_segment_end(&p, sf_profile_segment(&p, "sector0")) == 0x08010000);
	assert_int_equal(sf_profile_segment(&p, "ob")->size, 16);
	/* a profile whose sizes do not vary is never changed */
	p.layout_sizes_vary = false;
	set_alt(&alts[0], 0, "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,01*128Kg");
	assert_int_equal(sf_profile_adopt_layouts(&p, alts, 2, &err), 0);
	assert_string_equal(p.alts[0].layout_text, "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg");
	sf_profile_free(&p);
}

static void test_minimal_defaults(void **state)
{
	static const char text[] = HEAD ALTS " \"segments\": {}\n}\n";
	sf_profile p;
	sf_err err = { 0, "" };
	(void)state;
	assert_int_equal(sf_profile_parse(text, strlen(text), "t.json", &p, &err), 0);
	assert_int_equal(p.platform_id, -1);
	assert_int_equal(p.write_padding, 1);
	assert_int_equal(p.bcd_device, 0x0200);
	assert_int_equal(p.transfer_size, 1024);
	assert_int_equal(p.detach_timeout, 255);
	assert_false(p.has_runtime);
	assert_null(p.manufacturer);
	assert_null(p.default_protocol);
	assert_null(p.dfu_mode_help);
	assert_int_equal(p.alts[0].timing.erase_ms, 0);
	assert_int_equal(p.alts[0].timing.program_ms, 0);
	assert_int_equal(p.nsegments, 0);
	assert_null(p.segments);
	sf_profile_free(&p);
}

static void test_sizeless_segment(void **state)
{
	static const char text[] = HEAD ALTS
		" \"segments\": { \"app\": { \"alt\": \"0\", \"address\": \"0x08000800\", \"leave\": false } }\n}\n";
	sf_profile p;
	sf_err err = { 0, "" };
	(void)state;
	assert_int_equal(sf_profile_parse(text, strlen(text), "t.json", &p, &err), 0);
	assert_false(p.segments[0].has_size);
	assert_int_equal(p.segments[0].size, 0);
	assert_true(sf_segment_end(&p, &p.segments[0]) == 0x08001000);
	sf_profile_free(&p);
}

/* The bootloader sections: the Core (spark/bootloader) and the Gen 2
 * devices (device-os STM32F2xx DFU code); a profile without the section
 * gets the generic behaviour. */
static void test_bootloader_sections(void **state)
{
	static const char text[] = HEAD ALTS " \"segments\": {}\n}\n";
	sf_profile p;
	sf_err err = { 0, "" };
	(void)state;
	load_shipped("core", &p);
	assert_true(p.bootloader.present);
	assert_int_equal(p.bootloader.first_status, 10); /* errFIRMWARE */
	assert_int_equal(p.bootloader.leave_state, 7);   /* dfuMANIFEST */
	assert_int_equal(p.bootloader.leave_reset_ms, 0);
	assert_int_equal(p.bootloader.detach, SF_BL_DETACH_STALL);
	assert_int_equal(p.bootloader.refused, SF_BL_REFUSED_SILENT);
	assert_false(p.bootloader.stall_error);
	assert_int_equal(p.bootloader.commands, SF_BL_CMD_SET_ADDRESS | SF_BL_CMD_ERASE_PAGE);
	assert_int_equal(p.bootloader.nprotected, 0);
	sf_profile_free(&p);
	for (size_t i = 1; i < NSHIPPED; i++) {
		load_shipped(shipped[i], &p);
		assert_true(p.bootloader.present);
		assert_int_equal(p.bootloader.first_status, 0);
		assert_int_equal(p.bootloader.leave_state, 5); /* dfuDNLOAD-IDLE */
		assert_int_equal(p.bootloader.leave_reset_ms, 500);
		assert_int_equal(p.bootloader.detach, SF_BL_DETACH_REENUMERATE);
		assert_int_equal(p.bootloader.refused, SF_BL_REFUSED_STALL);
		assert_false(p.bootloader.stall_error);
		assert_int_equal(p.bootloader.nprotected, 1);
		assert_int_equal(p.bootloader.protected_ranges[0].alt, 0);
		assert_int_equal(p.bootloader.protected_ranges[0].start, 0x08000000);
		assert_int_equal(p.bootloader.protected_ranges[0].end, 0x08020000);
		assert_true(sf_bl_protected(&p.bootloader, 0, 0x0800C000, 4));
		assert_true(sf_bl_protected(&p.bootloader, 0, 0x0801FFFF, 1));
		assert_false(sf_bl_protected(&p.bootloader, 0, 0x08020000, 4096));
		assert_false(sf_bl_protected(&p.bootloader, 1, 0x0800C000, 4));
		sf_profile_free(&p);
	}
	assert_int_equal(sf_profile_parse(text, strlen(text), "t.json", &p, &err), 0);
	assert_false(p.bootloader.present);
	assert_int_equal(p.bootloader.first_status, 0);
	assert_int_equal(p.bootloader.leave_state, 7);
	assert_int_equal(p.bootloader.detach, SF_BL_DETACH_IGNORE);
	assert_int_equal(p.bootloader.refused, SF_BL_REFUSED_STATUS);
	assert_true(p.bootloader.stall_error);
	assert_int_equal(p.bootloader.commands, SF_BL_CMD_ALL);
	sf_profile_free(&p);
}

static void test_refused_words(void **state)
{
	enum sf_bl_refused r;
	(void)state;
	assert_int_equal(sf_bl_refused_parse("silent", &r), 0);
	assert_int_equal(r, SF_BL_REFUSED_SILENT);
	assert_int_equal(sf_bl_refused_parse("stall", &r), 0);
	assert_int_equal(r, SF_BL_REFUSED_STALL);
	assert_int_equal(sf_bl_refused_parse("status", &r), 0);
	assert_int_equal(r, SF_BL_REFUSED_STATUS);
	assert_int_equal(sf_bl_refused_parse("Stall", &r), -1);
	assert_int_equal(sf_bl_refused_parse(NULL, &r), -1);
	assert_string_equal(sf_bl_refused_name(SF_BL_REFUSED_STALL), "stall");
	assert_string_equal(sf_bl_detach_name(SF_BL_DETACH_REENUMERATE), "reenumerate");
}

typedef struct bad_profile {
	const char *text;
	const char *where;    /* "LINE:COLUMN" */
	const char *fragment; /* part of the message */
} bad_profile;

static const bad_profile bad[] = {
	/* JSON syntax (jansson's position) */
	{ HEAD ALTS " \"segments\": {},\n}\n", "8:1", "string or '}' expected" },
	{ "{ \"schema\": 1, \"schema\": 1 }", "1:23", "duplicate object key" },
	{ "", "1:1", "expected" },
	{ "[1, 2]", "1:1", "must be a JSON object, not an array" },
	/* unknown keys at each level */
	{ HEAD ALTS " \"segments\": {},\n \"colour\": \"red\"\n}\n", "8:2", "unknown key 'colour' in the profile" },
	{ "{\n \"schema\": 1,\n \"id\": \"t\",\n \"name\": \"T\",\n \"usb\": { \"dfu\": \"1d50:607f\", \"vid\": 1 },\n"
	  ALTS " \"segments\": {}\n}\n", "5:31", "unknown key 'vid' in usb" },
	{ HEAD " \"alts\": [ { \"alt\": 0, \"layout\": \"@F/0x08000000/4*1Kg\",\n   \"timing\": { \"erase\": 5 } } ],\n"
	  " \"segments\": {}\n}\n", "7:16", "unknown key 'erase' in alts.0.timing" },
	{ HEAD ALTS " \"segments\": { \"k\": { \"alt\": 0, \"address\": \"0x08000000\", \"size\": 16,\n"
	  "   \"key\": { \"format\": \"der\", \"bits\": 1024 } } }\n}\n", "8:30", "unknown key 'bits' in segments.k.key" },
	/* wrong types */
	{ "{\n \"schema\": 1,\n \"id\": \"t\",\n \"name\": 5,\n \"usb\": { \"dfu\": \"1d50:607f\" },\n" ALTS
	  " \"segments\": {}\n}\n", "4:10", "'name' must be a string, not an integer" },
	{ HEAD ALTS " \"segments\": { \"a\": { \"alt\": 0, \"address\": \"0x08000000\", \"leave\": \"yes\" } }\n}\n",
	  "7:67", "'segments.a.leave' must be true or false, not a string" },
	{ HEAD " \"alts\": {},\n \"segments\": {}\n}\n", "6:10", "'alts' must be an array of alt settings, not an object" },
	/* numbers */
	{ HEAD ALTS " \"segments\": { \"a\": { \"alt\": 0, \"address\": \"0x08zz0000\" } }\n}\n",
	  "7:44", "'segments.a.address' value \"0x08zz0000\" is not a number" },
	{ HEAD ALTS " \"segments\": { \"a\": { \"alt\": 0, \"address\": \"0x08000000\", \"size\": \"0100\" } }\n}\n",
	  "7:66", "'segments.a.size' value \"0100\" has a leading zero" },
	{ HEAD ALTS " \"segments\": { \"a\": { \"alt\": 0, \"address\": 4294967296 } }\n}\n",
	  "7:44", "4294967296, which does not fit in 32 bits" },
	{ HEAD ALTS " \"write_padding\": 3,\n \"segments\": {}\n}\n", "7:19", "'write_padding' is 3; it must be between 1 and 2" },
	/* identities and enums */
	{ "{\n \"schema\": 1,\n \"id\": \"t\",\n \"name\": \"T\",\n \"usb\": { \"dfu\": \"1d50:607\" },\n" ALTS
	  " \"segments\": {}\n}\n", "5:18", "'usb.dfu' value \"1d50:607\" is not VID:PID" },
	{ "{\n \"schema\": 1,\n \"id\": \"t\",\n \"name\": \"T\",\n \"usb\": { \"dfu\": \"1d50:607f\", \"runtime\": \"1d50-607d\" },\n"
	  ALTS " \"segments\": {}\n}\n", "5:42", "'usb.runtime' value \"1d50-607d\"" },
	{ "{\n \"schema\": 2,\n \"id\": \"t\"\n}\n", "2:12", "unsupported schema 2 (this sparkflash reads schema 1)" },
	{ "{\n \"schema\": \"1\"\n}\n", "2:12", "'schema' must be the integer 1, not a string" },
	{ "{\n \"schema\": 1,\n \"id\": \"../x\"\n}\n", "3:8", "id \"../x\" must be 1-64 characters" },
	{ HEAD ALTS " \"default_protocol\": \"http\",\n \"segments\": {}\n}\n", "7:22", "default_protocol \"http\" is not" },
	{ HEAD " \"alts\": [ { \"alt\": 0, \"layout\": \"@F/0x08000000/4*1Kg\", \"erase\": \"sometimes\" } ],\n"
	  " \"segments\": {}\n}\n", "6:66", "'erase' is \"sometimes\"" },
	/* missing required keys: reported at the enclosing object */
	{ "{\n \"schema\": 1,\n \"name\": \"T\"\n}\n", "1:1", "missing required key 'id' in the profile" },
	{ "{\n \"schema\": 1,\n \"id\": \"t\",\n \"name\": \"T\",\n \"usb\": { \"runtime\": \"1d50:607d\" }\n}\n",
	  "5:9", "missing required key 'dfu' in usb" },
	{ HEAD " \"alts\": [ { \"alt\": 0, \"layout\": \"@F/0x0/1*1Kg\" } ]\n}\n", "1:1", "missing required key 'segments'" },
	{ HEAD " \"alts\": [ { \"layout\": \"@F/0x08000000/4*1Kg\" } ],\n \"segments\": {}\n}\n",
	  "6:12", "missing required key 'alt' in alts.0" },
	{ HEAD ALTS " \"segments\": { \"a\": { \"alt\": 0 } }\n}\n", "7:21", "missing required key 'address' in segments.a" },
	/* alts */
	{ HEAD " \"alts\": [],\n \"segments\": {}\n}\n", "6:10", "'alts' is empty" },
	{ HEAD " \"alts\": [ { \"alt\": 0, \"layout\": \"@F/0x08000000/4*1Kg\" },\n"
	  "           { \"alt\": 0, \"layout\": \"@G/0x0/1*1Kg\" } ],\n \"segments\": {}\n}\n",
	  "7:21", "alt 0 is declared twice (first in alts.0)" },
	{ HEAD " \"alts\": [ { \"alt\": 256, \"layout\": \"@F/0x0/1*1Kg\" } ],\n \"segments\": {}\n}\n",
	  "6:21", "'alts.0.alt' is 256; it must be between 0 and 255" },
	{ HEAD " \"alts\": [ { \"alt\": 0, \"layout\": \"@F/0x08000000/4*1Kq\" } ],\n \"segments\": {}\n}\n",
	  "6:34", "layout segment 1 '4*1Kq' at column 19: memory type is not a letter a..g" },
	/* segments against the layout */
	{ HEAD ALTS " \"segments\": { \"a\": { \"alt\": 3, \"address\": \"0x08000000\" } }\n}\n",
	  "7:30", "segment 'a' is on alt 3, which this profile does not declare (alts: 0)" },
	{ HEAD ALTS " \"segments\": { \"a\": { \"alt\": 0, \"address\": \"0x08000C00\", \"size\": 2048 } }\n}\n",
	  "7:66", "segment 'a' (0x08000C00-0x080013FF) is outside alt 0's layout (mapped: 0x08000000-0x08000FFF)" },
	{ HEAD ALTS " \"segments\": { \"a\": { \"alt\": 0, \"address\": \"0x07000000\" } }\n}\n",
	  "7:44", "segment 'a' (0x07000000-0x07000000) is outside alt 0's layout" },
	{ HEAD ALTS " \"segments\": { \"a\": { \"alt\": 0, \"address\": \"0x07FFFFFF\", \"size\": 2 } }\n}\n",
	  "7:44", "segment 'a' (0x07FFFFFF-0x08000000) is outside alt 0's layout" },
	{ HEAD ALTS " \"segments\": {\n  \"a\": { \"alt\": 0, \"address\": \"0x08000000\", \"size\": 1024 },\n"
	  "  \"b\": { \"alt\": 0, \"address\": \"0x080003FF\", \"size\": 16 } }\n}\n",
	  "9:31", "segment 'b' (0x080003FF-0x0800040E) overlaps segment 'a' (0x08000000-0x080003FF) on alt 0" },
	{ HEAD ALTS " \"segments\": {\n  \"a\": { \"alt\": 0, \"address\": \"0x08000000\" },\n"
	  "  \"b\": { \"alt\": 0, \"address\": \"0x08000C00\", \"size\": 16 } }\n}\n",
	  "9:31", "segment 'b' (0x08000C00-0x08000C0F) overlaps segment 'a' (0x08000000-0x08000FFF) on alt 0" },
	{ HEAD " \"alts\": [ { \"alt\": 0, \"layout\": \"@F/0xFFFF0000/1*64Kg\" } ],\n"
	  " \"segments\": { \"a\": { \"alt\": 0, \"address\": \"0xFFFFF000\", \"size\": \"0x1001\" } }\n}\n",
	  "7:66", "segment 'a' ends past the 32-bit address space" },
	{ HEAD ALTS " \"segments\": { \"a\": { \"alt\": 0, \"address\": \"0x08000000\", \"size\": 0 } }\n}\n",
	  "7:66", "'segments.a.size' is 0; it must be between 1 and" },
	{ HEAD ALTS " \"segments\": { \"k\": { \"alt\": 0, \"address\": \"0x08000000\", \"size\": 16,\n"
	  "   \"key\": { \"format\": \"der\", \"port_offset\": 15 } } }\n}\n", "8:45", "port_offset 15 is not inside segment 'k'" },
	{ HEAD ALTS " \"segments\": { \"k\": { \"alt\": 0, \"address\": \"0x08000000\", \"size\": 16,\n"
	  "   \"key\": { \"format\": \"pem\" } } }\n}\n", "8:23", "key format \"pem\" is not supported" },
	/* the bootloader section */
	{ HEAD ALTS " \"segments\": {},\n \"bootloader\": { \"refused\": \"loud\" }\n}\n", "8:29", "'bootloader.refused' is \"loud\"; want one of \"status\", \"silent\", \"stall\"" },
	{ HEAD ALTS " \"segments\": {},\n \"bootloader\": { \"first_status\": \"errBOGUS\" }\n}\n", "8:34", "'bootloader.first_status' \"errBOGUS\" is not a DFU status name" },
	{ HEAD ALTS " \"segments\": {},\n \"bootloader\": { \"leave_state\": \"dfuIDLE\" }\n}\n", "8:33", "'bootloader.leave_state' is \"dfuIDLE\"; want one of \"dfuMANIFEST\", \"dfuDNLOAD-IDLE\"" },
	{ HEAD ALTS " \"segments\": {},\n \"bootloader\": { \"leave_reset_ms\": 60001 }\n}\n", "8:36", "'bootloader.leave_reset_ms' is 60001; it must be between 0 and 60000" },
	{ HEAD ALTS " \"segments\": {},\n \"bootloader\": { \"detach\": true }\n}\n", "8:28", "'bootloader.detach' must be a string, not a boolean" },
	{ HEAD ALTS " \"segments\": {},\n \"bootloader\": { \"refused_status\": \"OK\" }\n}\n", "8:36", "'bootloader.refused_status' \"OK\" is not a DFU error status name" },
	{ HEAD ALTS " \"segments\": {},\n \"bootloader\": { \"refused_status\": 14 }\n}\n", "8:36", "'bootloader.refused_status' must be a DFU error status name" },
	{ HEAD ALTS " \"segments\": {},\n \"bootloader\": { \"refused\": \"stall\", \"refused_status\": \"errUNKNOWN\" }\n}\n", "8:56", "'bootloader.refused_status' needs \"refused\": \"status\" (a stall refusal reports no status)" },
	{ HEAD ALTS " \"segments\": { \"a\": { \"alt\": 0, \"address\": \"0x08000000\", \"placement\": \"end\" } }\n}\n", "7:71", "'segments.a.placement' is \"end\"; want one of \"start\", \"header\"" },
	{ HEAD ALTS " \"family\": [\"STM32\"],\n \"segments\": {}\n}\n", "7:12", "'family' must be a string, not an array" },
	{ HEAD ALTS " \"layout_sizes_vary\": 1,\n \"segments\": {}\n}\n", "7:23", "'layout_sizes_vary' must be true or false, not an integer" },
	{ HEAD ALTS " \"segments\": {},\n \"bootloader\": { \"stall_error\": \"no\" }\n}\n", "8:33", "'bootloader.stall_error' must be true or false" },
	{ HEAD ALTS " \"segments\": {},\n \"bootloader\": { \"commands\": [\"set-address\", \"set-address\"] }\n}\n", "8:46", "command \"set-address\" is listed twice" },
	{ HEAD ALTS " \"segments\": {},\n \"bootloader\": { \"commands\": [\"erase\"] }\n}\n", "8:31", "'bootloader.commands.0' is \"erase\"; want one of" },
	{ HEAD ALTS " \"segments\": {},\n \"bootloader\": { \"protected\": [ { \"alt\": 4, \"start\": 0, \"end\": 16 } ] }\n}\n", "8:42", "protected range on alt 4, which this profile does not declare" },
	{ HEAD ALTS " \"segments\": {},\n \"bootloader\": { \"protected\": [ { \"alt\": 0, \"start\": \"0x08001000\", \"end\": \"0x08001000\" } ] }\n}\n", "8:75", "protected range ends (0x08001000) at or before its start (0x08001000)" },
	{ HEAD ALTS " \"segments\": {},\n \"bootloader\": { \"protected\": [ { \"alt\": 0, \"end\": 16 } ] }\n}\n", "8:33", "missing required key 'start' in bootloader.protected.0" },
	{ HEAD ALTS " \"segments\": {},\n \"bootloader\": { \"protected\": { } }\n}\n", "8:31", "'bootloader.protected' must be an array" },
	{ HEAD ALTS " \"segments\": {},\n \"bootloader\": { \"reset\": 1 }\n}\n", "8:18", "unknown key 'reset' in bootloader" },
	{ HEAD ALTS " \"segments\": {},\n \"bootloader\": []\n}\n", "8:16", "'bootloader' must be an object, not an array" },
	/* multi-byte characters count as one column, like jansson */
	{ "{\n \"schema\": 1, \"id\": \"t\", \"name\": \"\xc3\xa9t\xc3\xa9\", \"usb\": 7\n}\n", "2:48", "'usb' must be an object" },
};

static void test_broken_table(void **state)
{
	size_t failed = 0;
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sf_profile p;
		sf_err err = { 0, "" };
		char prefix[64];
		int r = sf_profile_parse(bad[i].text, strlen(bad[i].text), "t.json", &p, &err);
		snprintf(prefix, sizeof prefix, "t.json:%s: ", bad[i].where);
		if (r != SF_EXIT_REFUSED || strncmp(err.msg, prefix, strlen(prefix)) ||
		    !strstr(err.msg, bad[i].fragment)) {
			print_error("case %zu: rc %d msg \"%s\"\n  want \"%s...%s\"\n", i, r, err.msg,
				    prefix, bad[i].fragment);
			failed++;
		}
		sf_profile_free(&p);
	}
	assert_int_equal(failed, 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sf_profile p;
		sf_err err = { 0, "" };
		char prefix[64];
		int r = sf_profile_parse(bad[i].text, strlen(bad[i].text), "t.json", &p, &err);
		snprintf(prefix, sizeof prefix, "t.json:%s: ", bad[i].where);
		if (r != SF_EXIT_REFUSED || strncmp(err.msg, prefix, strlen(prefix)) ||
		    !strstr(err.msg, bad[i].fragment))
			print_error("case %zu: rc %d msg \"%s\"\n  want \"%s...%s\"\n", i, r, err.msg,
				    prefix, bad[i].fragment);
		assert_int_equal(r, SF_EXIT_REFUSED);
		assert_int_equal(strncmp(err.msg, prefix, strlen(prefix)), 0);
		assert_non_null(strstr(err.msg, bad[i].fragment));
		/* nothing is left allocated or half-filled */
		assert_null(p.id);
		assert_null(p.alts);
		assert_null(p.segments);
		assert_null(p.source);
	}
}

static void test_locator(void **state)
{
	static const char t[] =
		"{\n  \"a\": { \"b\": [ 10, {\"c\": \"x\\\"}y\"}, [1,2] ], \"d\": {} },\n"
		"  \"\xc3\xa9\": 1, \"e\" : \"{[\" ,\n  \"f\": null\n}";
	sf_json_pos pos;
	(void)state;
	assert_true(sf_json_locate_dotted(t, strlen(t), "a", false, &pos));
	assert_int_equal(pos.line, 2);
	assert_int_equal(pos.column, 8);
	assert_true(sf_json_locate_dotted(t, strlen(t), "a", true, &pos));
	assert_int_equal(pos.column, 3);
	assert_true(sf_json_locate_dotted(t, strlen(t), "a.b.0", false, &pos));
	assert_int_equal(pos.column, 17);
	assert_true(sf_json_locate_dotted(t, strlen(t), "a.b.1.c", false, &pos));
	assert_int_equal(pos.column, 27);
	assert_true(sf_json_locate_dotted(t, strlen(t), "a.b.2.1", false, &pos));
	assert_int_equal(pos.column, 40);
	assert_true(sf_json_locate_dotted(t, strlen(t), "a.d", true, &pos));
	assert_int_equal(pos.column, 46);
	assert_true(sf_json_locate_dotted(t, strlen(t), "e", false, &pos));
	assert_int_equal(pos.line, 3);
	assert_int_equal(pos.column, 17); /* é is one column */
	assert_true(sf_json_locate_dotted(t, strlen(t), "f", false, &pos));
	assert_int_equal(pos.line, 4);
	assert_int_equal(pos.column, 8);
	assert_true(sf_json_locate_dotted(t, strlen(t), "", false, &pos));
	assert_int_equal(pos.line, 1);
	assert_int_equal(pos.column, 1);
	/* a step that cannot be followed: false, deepest position reached */
	assert_false(sf_json_locate_dotted(t, strlen(t), "a.zz", false, &pos));
	assert_int_equal(pos.line, 2);
	assert_int_equal(pos.column, 8);
	assert_false(sf_json_locate_dotted(t, strlen(t), "a.b.3", false, &pos));
	assert_false(sf_json_locate_dotted(t, strlen(t), "a.b.x", false, &pos));
	assert_false(sf_json_locate_dotted(t, strlen(t), "f.g", false, &pos));
	assert_false(sf_json_locate_dotted("{\"a\":", 5, "a.b", false, &pos));
	assert_false(sf_json_locate_dotted("", 0, "a", false, &pos));
	assert_int_equal(pos.line, 1);
	/* offsets past the end clamp */
	pos = sf_json_pos_of("ab\ncd", 5, 99);
	assert_int_equal(pos.line, 2);
	assert_int_equal(pos.column, 3);
}

static size_t fuzz_ok, fuzz_syntax, fuzz_semantic;

static void fuzz_check(const char *buf, size_t n)
{
	sf_profile p;
	sf_err err = { 0, "" };
	if (sf_profile_parse(buf, n, "f.json", &p, &err) == 0) {
		fuzz_ok++;
		assert_non_null(p.id);
		sf_profile_free(&p);
	} else {
		unsigned line, col;
		assert_true(err.code == SF_EXIT_REFUSED);
		assert_int_equal(sscanf(err.msg, "f.json:%u:%u: ", &line, &col), 2);
		assert_true(line >= 1 && col >= 1);
		assert_null(p.id);
		if (strstr(err.msg, " near ")) /* jansson's syntax errors */
			fuzz_syntax++;
		else
			fuzz_semantic++;
	}
}

/* Replaces the scalar value after a random ':' with a token of another kind,
 * so mutations reach the semantic checks, not only the JSON parser. */
static size_t swap_value(char *buf, size_t n, size_t cap)
{
	static const char *const tokens[] = {
		"null", "true", "-1", "0", "1", "255", "256", "65536", "4294967295", "4294967296",
		"1.5", "\"\"", "\"0x\"", "\"0x08000000\"", "\"0100\"", "\"1d50:607f\"",
		"\"@F/0x0/1*1Kg\"", "\"none\"", "{}", "[]", "[{}]", "{\"alt\": 0}",
	};
	size_t start = (size_t)rand() % n, end;
	const char *tok = tokens[(size_t)rand() % (sizeof tokens / sizeof tokens[0])];
	size_t tl = strlen(tok);
	while (start < n && buf[start] != ':')
		start++;
	if (start >= n)
		return n;
	start++;
	while (start < n && buf[start] == ' ')
		start++;
	if (start >= n || buf[start] == '{' || buf[start] == '[')
		return n;
	end = start;
	if (buf[end] == '"') {
		end++;
		while (end < n && buf[end] != '"')
			end++;
		if (end < n)
			end++;
	} else {
		while (end < n && !strchr(",}] \n", buf[end]))
			end++;
	}
	if (n - (end - start) + tl > cap)
		return n;
	memmove(buf + start + tl, buf + end, n - end);
	memcpy(buf + start, tok, tl);
	return n - (end - start) + tl;
}

static void test_fuzz(void **state)
{
	static const char alphabet[] = "{}[]\":,0x19aK* \n\\tfnu-.e\xc3\xa9\x00";
	unsigned seeds[2] = { 4242u, (unsigned)time(NULL) ^ (unsigned)clock() };
	(void)state;
	for (size_t f = 0; f < NSHIPPED; f++) {
		char *path = profile_file(shipped[f]);
		size_t len;
		char *text = slurp(path, &len);
		char *buf = malloc(len + 64);
		assert_non_null(buf);
		for (int round = 0; round < 2; round++) {
			srand(seeds[round] + (unsigned)f);
			if (f == 0)
				printf("# profile fuzz seed %u\n", seeds[round]);
			for (int it = 0; it < 2500; it++) {
				size_t n = len;
				int muts = 1 + rand() % 4;
				memcpy(buf, text, len);
				for (int m = 0; m < muts && n > 0; m++) {
					size_t pos = (size_t)rand() % n;
					switch (rand() % 7) {
					case 5:
					case 6: n = swap_value(buf, n, len + 64); break;
					case 0: buf[pos] = (char)(rand() & 0xFF); break;
					case 1: buf[pos] = alphabet[(size_t)rand() % (sizeof alphabet - 1)]; break;
					case 2: memmove(buf + pos, buf + pos + 1, n - pos - 1); n--; break;
					case 3:
						if (n + 1 < len + 64) {
							memmove(buf + pos + 1, buf + pos, n - pos);
							buf[pos] = alphabet[(size_t)rand() % (sizeof alphabet - 1)];
							n++;
						}
						break;
					default: n = pos; break;
					}
				}
				fuzz_check(buf, n);
			}
		}
		free(buf);
		free(text);
		free(path);
	}
	printf("# fuzz: %zu accepted, %zu refused by validation, %zu JSON syntax errors\n", fuzz_ok,
	       fuzz_semantic, fuzz_syntax);
	/* the loop must reach every outcome, or it tests little */
	assert_true(fuzz_ok > 100 && fuzz_semantic > 100 && fuzz_syntax > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_profile),
		cmocka_unit_test(test_gen2_profiles),
		cmocka_unit_test(test_duo_profile),
		cmocka_unit_test(test_every_shipped_profile),
		cmocka_unit_test(test_gen3_p2_profiles),
		cmocka_unit_test(test_match_stm32),
		cmocka_unit_test(test_match_usb),
		cmocka_unit_test(test_match_by_layout),
		cmocka_unit_test(test_match_exact_only),
		cmocka_unit_test(test_adopt_layouts),
		cmocka_unit_test(test_bootloader_sections),
		cmocka_unit_test(test_refused_words),
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_sizeless_segment),
		cmocka_unit_test(test_broken_table),
		cmocka_unit_test(test_locator),
		cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
