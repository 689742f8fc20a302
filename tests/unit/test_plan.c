/* Plan validation: each rule refusing and its accepting boundary, on Core,
 * Photon and a made-up profile. */
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

#include "plan.h"
#include "profiles_fixture.h"

static sf_profile core, photon, electron, widget;

static int setup(void **state)
{
	(void)state;
	fx_core(&core);
	fx_photon(&photon);
	fx_electron(&electron);
	fx_widget(&widget);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fx_free(&core);
	fx_free(&photon);
	fx_free(&electron);
	fx_free(&widget);
	return 0;
}

static sf_err err;
static sf_plan pl;

static int waddr(const sf_profile *p, const char *addr, const char *alt, uint64_t size)
{
	sf_op_request r = { .kind = SF_OP_WRITE_ADDRESS, .address = addr, .alt = alt,
			    .file_size = size };
	sf_err_clear(&err);
	return sf_plan_make(p, &r, &pl, &err);
}

static int wallow(const sf_profile *p, const char *addr, uint64_t size, const char *allow)
{
	sf_op_request r = { .kind = SF_OP_WRITE_ADDRESS, .address = addr, .file_size = size,
			    .allow_protected = { allow }, .nallow_protected = 1 };
	sf_err_clear(&err);
	return sf_plan_make(p, &r, &pl, &err);
}

static int req(const sf_profile *p, sf_op_kind kind, const char *seg, uint64_t size,
	       const sf_module_info *m, bool force)
{
	sf_op_request r = { .kind = kind, .segment = seg, .file_size = size, .module = m,
			    .force = force };
	sf_err_clear(&err);
	return sf_plan_make(p, &r, &pl, &err);
}

static int raddr(const sf_profile *p, const char *addr, const char *len, const char *alt)
{
	sf_op_request r = { .kind = SF_OP_READ_ADDRESS, .address = addr, .length = len,
			    .alt = alt };
	sf_err_clear(&err);
	return sf_plan_make(p, &r, &pl, &err);
}

#define REFUSED_WITH(rc, text) do { \
	assert_int_equal((rc), SF_EXIT_REFUSED); \
	if (!strstr(err.msg, (text))) \
		fail_msg("message '%s' lacks '%s'", err.msg, (text)); \
} while (0)

static void core_flash_usb(void **s)
{
	(void)s;
	assert_int_equal(req(&core, SF_OP_FLASH_USB, NULL, 1000, NULL, false), 0);
	assert_int_equal(pl.alt, 0);
	assert_int_equal(pl.address, 0x08005000);
	assert_int_equal(pl.length, 1000);
	assert_true(pl.leave);
	assert_false(pl.pad);
	assert_false(pl.upload);
	assert_string_equal(pl.segment, "userFirmware");
	assert_int_equal(pl.erase_start, 0x08005000);
	assert_int_equal(pl.erase_end, 0x08005400);
	/* odd size on write_padding 2 */
	assert_int_equal(req(&core, SF_OP_FLASH_USB, NULL, 1001, NULL, false), 0);
	assert_true(pl.pad);
	assert_int_equal(pl.length, 1002);
	assert_int_equal(pl.file_size, 1001);
	/* the segment (to the end of the region) holds 108 KiB */
	assert_int_equal(req(&core, SF_OP_FLASH_USB, NULL, 108 * 1024, NULL, false), 0);
	REFUSED_WITH(req(&core, SF_OP_FLASH_USB, NULL, 108 * 1024 + 1, NULL, false), "segment userFirmware holds 110592 bytes");
	REFUSED_WITH(req(&core, SF_OP_FLASH_USB, NULL, 0, NULL, false), "empty");
}

static void photon_no_padding(void **s)
{
	(void)s;
	assert_int_equal(req(&photon, SF_OP_FLASH_USB, NULL, 1001, NULL, false), 0);
	assert_false(pl.pad);
	assert_int_equal(pl.length, 1001);
	assert_int_equal(pl.address, 0x080A0000);
	assert_true(pl.leave);
	assert_int_equal(pl.erase_start, 0x080A0000);
	assert_int_equal(pl.erase_end, 0x080C0000); /* one 128 KiB page */
	assert_int_equal(req(&photon, SF_OP_FLASH_USB, NULL, 0x20000, NULL, false), 0);
	REFUSED_WITH(req(&photon, SF_OP_FLASH_USB, NULL, 0x20001, NULL, false), "holds 131072 bytes");
}

static void factory_does_not_leave(void **s)
{
	(void)s;
	assert_int_equal(req(&core, SF_OP_FLASH_FACTORY, NULL, 4000, NULL, false), 0);
	assert_int_equal(pl.alt, 1);
	assert_int_equal(pl.address, 0x20000);
	assert_false(pl.leave);
	assert_int_equal(req(&photon, SF_OP_FLASH_FACTORY, NULL, 4000, NULL, false), 0);
	assert_int_equal(pl.alt, 0);
	assert_int_equal(pl.address, 0x080E0000);
	assert_false(pl.leave);
}

static void bootloader_region(void **s)
{
	(void)s;
	REFUSED_WITH(waddr(&core, "0x08004000", NULL, 16), "0x08004000 is in the read-only region 0x08000000-0x08004fff");
	assert_non_null(strstr(err.msg, "alt 0 (Internal Flash)"));
	assert_non_null(strstr(err.msg, "userFirmware starts at 0x08005000"));
	REFUSED_WITH(waddr(&core, "0x08004ffe", NULL, 2), "read-only");
	/* a range starting writable but reaching back is impossible; one that
	 * starts in the read-only part and ends writable is refused */
	REFUSED_WITH(waddr(&core, "0x08004ffe", NULL, 4), "read-only");
	assert_int_equal(waddr(&core, "0x08005000", NULL, 2), 0);
	assert_true(pl.leave); /* address of userFirmware: its defaults */
	assert_string_equal(pl.segment, "userFirmware");
	assert_int_equal(waddr(&core, "0x08005400", NULL, 2), 0);
	assert_false(pl.leave);
	REFUSED_WITH(waddr(&photon, "0x0800bfff", NULL, 1), "read-only region 0x08000000-0x0800bfff");
	assert_int_equal(waddr(&photon, "0x0800c000", NULL, 1), 0);
	assert_int_equal(pl.erase_start, 0x0800c000);
	assert_int_equal(pl.erase_end, 0x08010000);
	REFUSED_WITH(waddr(&widget, "0x11ffe", NULL, 2), "read-only region 0x00010000-0x00011fff of alt 0 (Code); app starts at 0x00012000");
	assert_int_equal(waddr(&widget, "0x12000", NULL, 2), 0);
}

static void end_of_memory(void **s)
{
	(void)s;
	/* last byte of the Core's internal flash is 0x0801ffff */
	assert_int_equal(waddr(&core, "0x0801fffe", NULL, 2), 0);
	REFUSED_WITH(waddr(&core, "0x0801fffe", NULL, 3), "runs past the mapped memory");
	/* 1 byte at the last address pads to 2: refused */
	REFUSED_WITH(waddr(&core, "0x0801ffff", NULL, 1), "the last mapped byte is 0x0801ffff");
	REFUSED_WITH(waddr(&core, "0x08020000", NULL, 1), "not in the memory map");
	assert_int_equal(waddr(&photon, "0x080fffff", NULL, 1), 0);
	REFUSED_WITH(waddr(&photon, "0x080fffff", NULL, 2), "1 byte is too many");
	assert_int_equal(waddr(&widget, "0x2fffe", NULL, 2), 0);
	REFUSED_WITH(waddr(&widget, "0x2fffe", NULL, 4), "runs past");
}

static void address_spelling(void **s)
{
	static const char *const same[] = { "0x08005000", "0x8005000", "134238208",
					    "0X08005000", "0x0000000008005000" };
	(void)s;
	for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
		assert_int_equal(waddr(&core, same[i], NULL, 10), 0);
		assert_int_equal(pl.address, 0x08005000);
		assert_int_equal(pl.alt, 0);
	}
	REFUSED_WITH(waddr(&core, "08005000", NULL, 10), "octal");
	REFUSED_WITH(waddr(&core, "010", "1", 10), "octal");
	assert_int_equal(waddr(&core, "0", "1", 10), 0);
	REFUSED_WITH(waddr(&core, "0x108005000", NULL, 10), "32 bits");
	REFUSED_WITH(waddr(&core, "4294967296", NULL, 10), "32 bits");
	REFUSED_WITH(waddr(&core, "-1", NULL, 10), "not a number");
	REFUSED_WITH(waddr(&core, " 4096", NULL, 10), "not a number");
	REFUSED_WITH(waddr(&core, "0x", NULL, 10), "not a number");
	REFUSED_WITH(waddr(&core, "", NULL, 10), "empty");
	/* address + size past 2^32 */
	REFUSED_WITH(waddr(&core, "0xfffffff0", "0", 0x10), "");
	assert_int_equal(waddr(&core, "0xfffffff0", "0", 0x10), SF_EXIT_REFUSED);
	REFUSED_WITH(waddr(&core, "0xfffffff0", "0", 0x12), "wraps past the 32-bit address space");
	REFUSED_WITH(raddr(&core, "0xffffff00", "0x101", "0"), "wraps past");
}

static void alt_inference(void **s)
{
	(void)s;
	assert_int_equal(waddr(&core, "0x3000", NULL, 2), 0);
	assert_int_equal(pl.alt, 1);
	assert_string_equal(pl.alt_name, "SPI Flash : SST25x");
	assert_int_equal(waddr(&widget, "0x40000800", NULL, 2), 0);
	assert_int_equal(pl.alt, 3);
	REFUSED_WITH(waddr(&core, "0x30000000", NULL, 2), "not in the memory map of any alt of profile core");
	/* --alt by number and by name */
	assert_int_equal(waddr(&photon, "0x3000", "1", 2), 0);
	assert_int_equal(pl.alt, 1);
	assert_int_equal(waddr(&photon, "0x3000", "dct flash", 2), 0);
	assert_int_equal(pl.alt, 1);
	assert_int_equal(waddr(&photon, "0x3000", "@DCT Flash   /0x00000000/01*016Kg", 2), 0);
	REFUSED_WITH(waddr(&photon, "0x3000", "2", 2), "not an alt setting of profile photon (alts: 0 (Internal Flash), 1 (DCT Flash))");
	REFUSED_WITH(waddr(&photon, "0x3000", "0", 2), "not mapped on alt 0");
	/* segment vs --alt */
	sf_op_request r = { .kind = SF_OP_WRITE_SEGMENT, .segment = "userFirmware", .alt = "1",
			    .file_size = 4 };
	REFUSED_WITH(sf_plan_make(&core, &r, &pl, &err), "segment userFirmware is on alt 0");
	r.alt = "0";
	assert_int_equal(sf_plan_make(&core, &r, &pl, &err), 0);
	r.segment = "nope";
	REFUSED_WITH(sf_plan_make(&core, &r, &pl, &err), "profile core has no segment 'nope' (segments: userFirmware, factoryReset");
}

/* Core alt 1 has 4 KiB sectors: the server key 0x1000-0x17ff shares its
 * sector with 0x1800-0x1fff. */
static void core_protected_neighbours(void **s)
{
	(void)s;
	REFUSED_WITH(waddr(&core, "0x1800", NULL, 16), "erases the whole page(s) 0x00001000-0x00001fff, which hold the protected segment tcpServerKey (0x00001000-0x000017ff)");
	REFUSED_WITH(waddr(&core, "0x1000", NULL, 16), "overwrites the protected segment tcpServerKey");
	REFUSED_WITH(waddr(&core, "0x2400", NULL, 16), "tcpPrivateKey");
	REFUSED_WITH(waddr(&core, "0x0", "1", 0x1002), "tcpServerKey");
	assert_int_equal(waddr(&core, "0x0", "1", 0x1000), 0);
	assert_int_equal(pl.erase_end, 0x1000);
	assert_int_equal(waddr(&core, "0x3000", NULL, 16), 0);
	assert_int_equal(pl.erase_start, 0x3000);
	assert_int_equal(pl.erase_end, 0x4000);
	assert_int_equal(waddr(&core, "0x2ffe", NULL, 2), SF_EXIT_REFUSED);
	/* --allow-protected names exactly the segment in the way */
	assert_int_equal(wallow(&core, "0x1800", 16, "tcpServerKey"), 0);
	REFUSED_WITH(wallow(&core, "0x1800", 16, "tcpPrivateKey"), "tcpServerKey");
	REFUSED_WITH(wallow(&core, "0x3000", 16, "userFirmware"), "no protected segment of that name");
	REFUSED_WITH(wallow(&core, "0x3000", 16, "bogus"), "--allow-protected bogus");
	/* --segment on a protected segment is refused; the keys commands may */
	REFUSED_WITH(req(&core, SF_OP_WRITE_SEGMENT, "tcpPrivateKey", 600, NULL, false), "only 'sparkflash keys load FILE");
	assert_int_equal(req(&core, SF_OP_KEYS_LOAD, "tcpPrivateKey", 609, NULL, false), 0);
	assert_int_equal(pl.alt, 1);
	assert_int_equal(pl.address, 0x2000);
	assert_int_equal(pl.length, 610);
	assert_true(pl.pad);
	assert_false(pl.leave);
	assert_int_equal(req(&core, SF_OP_KEYS_SERVER, "tcpServerKey", 2048, NULL, false), 0);
	assert_false(pl.leave);
	REFUSED_WITH(req(&core, SF_OP_KEYS_SERVER, "tcpServerKey", 2049, NULL, false), "holds 2048 bytes");
}

/* Photon DCT is read-modify-write (erase "none"): the footprint is the bytes. */
static void photon_dct(void **s)
{
	(void)s;
	assert_int_equal(waddr(&photon, "0", "1", 34), 0);
	assert_int_equal(pl.erase_start, 0);
	assert_int_equal(pl.erase_end, 34);
	REFUSED_WITH(waddr(&photon, "0", "1", 35), "overwrites the protected segment tcpPrivateKey (0x00000022-0x00000285)");
	assert_int_equal(waddr(&photon, "646", "1", 2082 - 646), 0);
	REFUSED_WITH(waddr(&photon, "646", "1", 2082 - 646 + 1), "tcpServerKey");
	assert_int_equal(waddr(&photon, "2977", NULL, 1), 0); /* transport: not protected */
	assert_string_equal(pl.segment, "transport");
	assert_false(pl.leave);
	assert_int_equal(req(&photon, SF_OP_KEYS_LOAD, "tcpPrivateKey", 612, NULL, false), 0);
	assert_int_equal(pl.address, 34);
	REFUSED_WITH(req(&photon, SF_OP_KEYS_LOAD, "tcpPrivateKey", 613, NULL, false), "holds 612 bytes");
	assert_int_equal(req(&photon, SF_OP_KEYS_LOAD, "udpPrivateKey", 121, NULL, false), 0);
	assert_false(pl.pad);
}

static void widget_protected(void **s)
{
	(void)s;
	/* secret 0x40000300-0x400003c7 lives in the 256-byte page 0x300-0x3ff */
	REFUSED_WITH(waddr(&widget, "0x400003c8", NULL, 2), "erases the whole page(s) 0x40000300-0x400003ff");
	assert_int_equal(waddr(&widget, "0x40000400", NULL, 2), 0);
	assert_int_equal(waddr(&widget, "0x400002fe", NULL, 2), 0);
	REFUSED_WITH(waddr(&widget, "0x400002ff", NULL, 1), "secret"); /* padded into 0x300 */
	assert_int_equal(req(&widget, SF_OP_KEYS_LOAD, "secret", 199, NULL, false), 0);
	assert_int_equal(pl.length, 200);
	REFUSED_WITH(req(&widget, SF_OP_KEYS_LOAD, "secret", 201, NULL, false), "holds 200 bytes");
	assert_int_equal(req(&widget, SF_OP_FLASH_USB, NULL, 10, NULL, false), SF_EXIT_REFUSED);
	assert_non_null(strstr(err.msg, "no segment 'userFirmware'"));
	assert_int_equal(req(&widget, SF_OP_WRITE_SEGMENT, "app", 0x4000, NULL, false), 0);
	assert_true(pl.leave);
	assert_int_equal(pl.erase_end, 0x16000);
	REFUSED_WITH(req(&widget, SF_OP_WRITE_SEGMENT, "app", 0x4001, NULL, false), "holds 16384 bytes");
}

static void reads(void **s)
{
	(void)s;
	assert_int_equal(raddr(&core, "0x08000000", "1024", NULL), 0);
	assert_true(pl.upload);
	assert_false(pl.leave);
	assert_int_equal(pl.length, 1024);
	assert_int_equal(raddr(&core, "0x0801fc00", "0x400", NULL), 0);
	REFUSED_WITH(raddr(&core, "0x0801fc00", "0x401", NULL), "runs past");
	REFUSED_WITH(raddr(&core, "0x08000000", "0", NULL), "nothing to read");
	REFUSED_WITH(raddr(&core, "0x08000000", "010", NULL), "length '010'");
	REFUSED_WITH(raddr(&core, "0x08000000", "", NULL), "length '' is empty");
	assert_int_equal(req(&core, SF_OP_KEYS_SAVE, "tcpPrivateKey", 0, NULL, false), 0);
	assert_int_equal(pl.length, 1024);
	assert_int_equal(pl.address, 0x2000);
	assert_true(pl.upload);
	assert_int_equal(req(&photon, SF_OP_KEYS_ADDRESS, "tcpServerKey", 0, NULL, false), 0);
	assert_int_equal(pl.length, 512);
	assert_int_equal(pl.address, 2082);
	/* segment without size: to the end of its region */
	assert_int_equal(req(&core, SF_OP_READ_SEGMENT, "userFirmware", 0, NULL, false), 0);
	assert_int_equal(pl.length, 108 * 1024);
	assert_false(pl.leave);
	sf_op_request r = { .kind = SF_OP_READ_SEGMENT, .segment = "userFirmware", .leave = SF_LEAVE_YES };
	assert_int_equal(sf_plan_make(&core, &r, &pl, &err), 0);
	assert_true(pl.leave);
	/* a read-only-unreadable region */
	assert_int_equal(raddr(&widget, "0x10000", "16", NULL), 0);
}

static void leave_override(void **s)
{
	(void)s;
	sf_op_request r = { .kind = SF_OP_FLASH_USB, .file_size = 10, .leave = SF_LEAVE_NO };
	assert_int_equal(sf_plan_make(&core, &r, &pl, &err), 0);
	assert_false(pl.leave);
	r.kind = SF_OP_FLASH_FACTORY;
	r.leave = SF_LEAVE_YES;
	assert_int_equal(sf_plan_make(&core, &r, &pl, &err), 0);
	assert_true(pl.leave);
}

/* flash --verify: write without leave, read the same range back without
 * leave, then (only if the plan leaves) the leave step on its own. */
static void verified_steps(void **s)
{
	sf_plan w, r, l;
	bool has_leave;
	(void)s;
	sf_op_request q = { .kind = SF_OP_FLASH_USB, .file_size = 2501 };
	assert_int_equal(sf_plan_make(&core, &q, &pl, &err), 0);
	assert_true(pl.leave);
	sf_plan_verified(&pl, &w, &r, &l, &has_leave);
	assert_false(w.leave);
	assert_false(w.upload);
	assert_int_equal(w.length, 2502); /* padded, as planned */
	assert_true(w.pad);
	assert_true(r.upload);
	assert_false(r.leave);
	assert_int_equal(r.address, 0x08005000);
	assert_int_equal(r.length, 2502);
	assert_int_equal(r.alt, 0);
	assert_true(has_leave);
	assert_true(l.leave_only);
	assert_true(l.leave);
	assert_false(l.upload);
	assert_int_equal(l.alt, 0);
	assert_int_equal(l.address, 0x08005000);
	assert_int_equal(l.length, 0);
	assert_string_equal(l.segment, "userFirmware");
	/* the plan itself is untouched */
	assert_true(pl.leave);
	assert_false(pl.leave_only);

	/* --no-leave: no leave step */
	q.leave = SF_LEAVE_NO;
	assert_int_equal(sf_plan_make(&core, &q, &pl, &err), 0);
	sf_plan_verified(&pl, &w, &r, &l, &has_leave);
	assert_false(has_leave);
	assert_false(w.leave);
	assert_false(l.leave_only);

	/* factory: stays unless --leave, which leaves after the match */
	q.kind = SF_OP_FLASH_FACTORY;
	q.leave = SF_LEAVE_DEFAULT;
	assert_int_equal(sf_plan_make(&core, &q, &pl, &err), 0);
	sf_plan_verified(&pl, &w, &r, &l, &has_leave);
	assert_false(has_leave);
	q.leave = SF_LEAVE_YES;
	assert_int_equal(sf_plan_make(&core, &q, &pl, &err), 0);
	sf_plan_verified(&pl, &w, &r, &l, &has_leave);
	assert_true(has_leave);
	assert_false(w.leave);
	assert_int_equal(l.alt, 1);
	assert_int_equal(l.address, 0x00020000);
}

static sf_module_info mod(unsigned fn, unsigned index, unsigned platform, uint32_t start)
{
	sf_module_info m = { .is_module = true, .start_address = start, .function = (uint8_t)fn, .index = (uint8_t)index,
			     .platform_id = (uint16_t)platform, .has_suffix = true,
			     .suffix_size = 36, .crc_ok = true, .size_ok = true };
	return m;
}

/* The refusals say what is true (issue 11 item 11): only the command that
 * really writes a protected segment is named, the size quoted is the size
 * checked (padded or not), and --segment factoryReset agrees with
 * --factory. */
static void refusal_messages(void **s)
{
	sf_module_info m;
	sf_segment *transport = NULL;
	char factory_msg[SF_ERR_MSG_MAX];
	(void)s;

	/* key slots: the keys command, with --protocol when it is not the default */
	photon.default_protocol = (char *)"tcp";
	REFUSED_WITH(req(&photon, SF_OP_WRITE_SEGMENT, "tcpPrivateKey", 600, NULL, false),
		     "; only 'sparkflash keys load FILE' writes it, or pass --allow-protected tcpPrivateKey");
	REFUSED_WITH(req(&photon, SF_OP_WRITE_SEGMENT, "udpPrivateKey", 100, NULL, false),
		     "only 'sparkflash keys load FILE --protocol udp' writes it");
	REFUSED_WITH(req(&photon, SF_OP_WRITE_SEGMENT, "tcpServerKey", 100, NULL, false),
		     "only 'sparkflash keys server FILE' writes it");
	REFUSED_WITH(req(&photon, SF_OP_WRITE_SEGMENT, "udpServerKey", 100, NULL, false),
		     "only 'sparkflash keys server FILE --protocol udp' writes it");
	photon.default_protocol = NULL;
	/* the transport flag: keys protocol; a flag no command writes: none named */
	for (size_t i = 0; i < photon.nsegments; i++)
		if (!strcmp(photon.segments[i].name, "transport"))
			transport = &photon.segments[i];
	assert_non_null(transport);
	transport->is_protected = true;
	REFUSED_WITH(req(&photon, SF_OP_WRITE_SEGMENT, "transport", 1, NULL, false),
		     "only 'sparkflash keys protocol tcp|udp' writes it");
	free(transport->name);
	transport->name = strdup("otaFlag");
	REFUSED_WITH(req(&photon, SF_OP_WRITE_SEGMENT, "otaFlag", 1, NULL, false),
		     "; no sparkflash command writes it for you: pass --allow-protected otaFlag");
	assert_null(strstr(err.msg, "keys"));
	assert_int_equal(wallow(&photon, "2977", 1, "otaFlag"), 0);
	free(transport->name);
	transport->name = strdup("transport");
	transport->is_protected = false;

	/* sizes: the padded size is the one checked, and both are named */
	REFUSED_WITH(req(&core, SF_OP_FLASH_USB, NULL, 110593, NULL, false),
		     "writing 110594 bytes (the 110593-byte image padded to even length) does not fit: segment userFirmware holds 110592 bytes");
	assert_int_equal(req(&core, SF_OP_FLASH_USB, NULL, 110592, NULL, false), 0);
	REFUSED_WITH(req(&photon, SF_OP_FLASH_USB, NULL, 0x20001, NULL, false),
		     "writing 131073 bytes does not fit: segment userFirmware holds 131072 bytes (0x080a0000-0x080bffff)");
	REFUSED_WITH(waddr(&core, "0x0801ffff", NULL, 1),
		     "writing 2 bytes (the 1-byte image padded to even length) at 0x0801ffff runs past");
	REFUSED_WITH(req(&photon, SF_OP_WRITE_SEGMENT, "transport", 2, NULL, false), "segment transport holds 1 byte (");

	/* --segment factoryReset is --factory: the same checks, the same words */
	m = mod(SF_MODFN_USER_PART, 1, 6, 0x080A0000);
	assert_int_equal(req(&photon, SF_OP_FLASH_FACTORY, NULL, 1000, &m, false), 0);
	assert_int_equal(pl.address, 0x080E0000);
	assert_int_equal(req(&photon, SF_OP_WRITE_SEGMENT, "factoryReset", 1000, &m, false), 0);
	assert_int_equal(pl.address, 0x080E0000);
	assert_false(pl.leave);
	m = mod(SF_MODFN_SYSTEM_PART, 1, 6, 0x08020000);
	REFUSED_WITH(req(&photon, SF_OP_FLASH_FACTORY, NULL, 1000, &m, false), "only an application can go to the factory reset location");
	snprintf(factory_msg, sizeof factory_msg, "%s", err.msg);
	REFUSED_WITH(req(&photon, SF_OP_WRITE_SEGMENT, "factoryReset", 1000, &m, false), factory_msg);
	m = mod(SF_MODFN_USER_PART, 1, 10, 0x08080000);
	REFUSED_WITH(req(&photon, SF_OP_FLASH_FACTORY, NULL, 1000, &m, false), "platform 10 but profile photon");
	snprintf(factory_msg, sizeof factory_msg, "%s", err.msg);
	REFUSED_WITH(req(&photon, SF_OP_WRITE_SEGMENT, "factoryReset", 1000, &m, false), factory_msg);
	/* the address of the factory image: the header's address rules, and the hint */
	m = mod(SF_MODFN_USER_PART, 1, 6, 0x080A0000);
	{
		sf_op_request r = { .kind = SF_OP_WRITE_ADDRESS, .address = "0x080E0000", .file_size = 1000, .module = &m };
		sf_err_clear(&err);
		REFUSED_WITH(sf_plan_make(&photon, &r, &pl, &err), "to store it as the factory image use --factory");
	}
}

static void module_destinations(void **s)
{
	sf_module_info m;
	(void)s;
	m = mod(SF_MODFN_MONO_FIRMWARE, 0, 6, 0x08020000);
	assert_int_equal(req(&photon, SF_OP_FLASH_USB, NULL, 1000, &m, false), 0);
	assert_string_equal(pl.segment, "systemFirmwareOne");
	assert_int_equal(pl.address, 0x08020000);
	assert_false(pl.leave);
	m = mod(SF_MODFN_MONO_FIRMWARE, 0, 0, 0x08005000);
	assert_int_equal(req(&core, SF_OP_FLASH_USB, NULL, 1000, &m, false), 0);
	assert_string_equal(pl.segment, "userFirmware");
	assert_true(pl.leave);
	m = mod(SF_MODFN_SYSTEM_PART, 2, 10, 0x08040000);
	assert_int_equal(req(&electron, SF_OP_FLASH_USB, NULL, 1000, &m, false), 0);
	assert_string_equal(pl.segment, "systemFirmwareTwo");
	assert_int_equal(pl.address, 0x08040000);
	assert_false(pl.leave);
	m = mod(SF_MODFN_SYSTEM_PART, 3, 10, 0x08060000);
	REFUSED_WITH(req(&electron, SF_OP_FLASH_USB, NULL, 1000, &m, false), "system part 3");
	m = mod(SF_MODFN_USER_PART, 1, 10, 0x08080000);
	assert_int_equal(req(&electron, SF_OP_FLASH_USB, NULL, 1000, &m, false), 0);
	assert_int_equal(pl.address, 0x08080000);
	assert_true(pl.leave);
	/* platform and CRC unless --force */
	m = mod(SF_MODFN_USER_PART, 1, 6, 0x080A0000);
	REFUSED_WITH(req(&electron, SF_OP_FLASH_USB, NULL, 1000, &m, false), "platform 6 but profile electron");
	assert_int_equal(req(&electron, SF_OP_FLASH_USB, NULL, 1000, &m, true), 0);
	assert_non_null(strstr(pl.warning, "--force"));
	m = mod(SF_MODFN_USER_PART, 1, 10, 0x08080000);
	m.crc_ok = false;
	REFUSED_WITH(req(&electron, SF_OP_FLASH_USB, NULL, 1000, &m, false), "CRC is invalid");
	assert_int_equal(req(&electron, SF_OP_FLASH_USB, NULL, 1000, &m, true), 0);
	m.suffix_size = 0xFFFF; /* unverifiable: warn, no CRC check */
	assert_int_equal(req(&electron, SF_OP_FLASH_USB, NULL, 1000, &m, false), 0);
	assert_non_null(strstr(pl.warning, "unable to verify"));
	/* checks apply to address and segment writes too */
	m = mod(SF_MODFN_USER_PART, 1, 6, 0x080A0000);
	sf_op_request r = { .kind = SF_OP_WRITE_ADDRESS, .address = "0x080A0000", .file_size = 100, .module = &m };
	REFUSED_WITH(sf_plan_make(&core, &r, &pl, &err), "platform 6");
	/* never over DFU, even with --force */
	static const unsigned never[] = { SF_MODFN_BOOTLOADER, SF_MODFN_RESOURCE, SF_MODFN_SETTINGS,
					  SF_MODFN_NCP_FIRMWARE, SF_MODFN_ASSET };
	for (size_t i = 0; i < sizeof never / sizeof *never; i++) {
		m = mod(never[i], 0, 6, 0x080A0000);
		REFUSED_WITH(req(&photon, SF_OP_FLASH_USB, NULL, 1000, &m, true), "cannot be flashed over DFU");
		REFUSED_WITH(req(&photon, SF_OP_WRITE_SEGMENT, "userFirmware", 1000, &m, true), "cannot be flashed over DFU");
		r.module = &m;
		r.force = true;
		REFUSED_WITH(sf_plan_make(&photon, &r, &pl, &err), "cannot be flashed over DFU");
	}
	/* unknown function: --force writes to the default destination */
	m = mod(0, 0, 6, 0x080A0000);
	REFUSED_WITH(req(&photon, SF_OP_FLASH_USB, NULL, 1000, &m, false), "unknown module function 0");
	assert_int_equal(req(&photon, SF_OP_FLASH_USB, NULL, 1000, &m, true), 0);
	assert_string_equal(pl.segment, "userFirmware");
	/* factory: applications only */
	m = mod(SF_MODFN_USER_PART, 1, 6, 0x080A0000);
	assert_int_equal(req(&photon, SF_OP_FLASH_FACTORY, NULL, 1000, &m, false), 0);
	assert_string_equal(pl.segment, "factoryReset");
	m = mod(SF_MODFN_SYSTEM_PART, 1, 6, 0x08020000);
	REFUSED_WITH(req(&photon, SF_OP_FLASH_FACTORY, NULL, 1000, &m, true), "only an application");
	m = mod(SF_MODFN_MONO_FIRMWARE, 0, 0, 0x08005000);
	assert_int_equal(req(&core, SF_OP_FLASH_FACTORY, NULL, 1000, &m, false), 0);
	assert_int_equal(pl.alt, 1);
	/* the header's start address must be the destination */
	m = mod(SF_MODFN_USER_PART, 1, 6, 0x080B0000);
	REFUSED_WITH(req(&photon, SF_OP_FLASH_USB, NULL, 1000, &m, false), "header says it runs at 0x080b0000, but userFirmware is at 0x080a0000");
	assert_int_equal(req(&photon, SF_OP_FLASH_USB, NULL, 1000, &m, true), 0);
	assert_non_null(strstr(pl.warning, "--force"));
	REFUSED_WITH(req(&photon, SF_OP_WRITE_SEGMENT, "userFirmware", 1000, &m, false), "header says");
	sf_op_request wa = { .kind = SF_OP_WRITE_ADDRESS, .address = "0x080B0000", .file_size = 100, .module = &m };
	assert_int_equal(sf_plan_make(&photon, &wa, &pl, &err), 0);
	/* raw images: no checks */
	m = (sf_module_info){ .is_module = false };
	assert_int_equal(req(&photon, SF_OP_FLASH_USB, NULL, 1000, &m, false), 0);
}

/* "placement": "header" (the P2's user part): a module goes where its
 * header says inside the segment; the rest of the plan is the segment's. */
static void header_placement(void **s)
{
	sf_segment *seg = (sf_segment *)sf_profile_segment(&photon, "userFirmware");
	sf_module_info m;
	(void)s;
	seg->header_placement = true;
	m = mod(SF_MODFN_USER_PART, 1, 6, 0x080B0000);
	assert_int_equal(req(&photon, SF_OP_FLASH_USB, NULL, 1000, &m, false), 0);
	assert_string_equal(pl.segment, "userFirmware");
	assert_int_equal(pl.address, 0x080B0000);
	assert_true(pl.leave);
	assert_int_equal(req(&photon, SF_OP_WRITE_SEGMENT, "userFirmware", 1000, &m, false), 0);
	assert_int_equal(pl.address, 0x080B0000);
	/* it must end inside the segment */
	m = mod(SF_MODFN_USER_PART, 1, 6, 0x080BF000);
	REFUSED_WITH(req(&photon, SF_OP_FLASH_USB, NULL, 0x2000, &m, false), "segment userFirmware holds");
	/* outside the segment: the header check as ever */
	m = mod(SF_MODFN_USER_PART, 1, 6, 0x080C0000);
	REFUSED_WITH(req(&photon, SF_OP_FLASH_USB, NULL, 1000, &m, false), "header says it runs at 0x080c0000");
	/* a raw image and a read: the segment's start */
	m = (sf_module_info){ .is_module = false };
	assert_int_equal(req(&photon, SF_OP_FLASH_USB, NULL, 1000, &m, false), 0);
	assert_int_equal(pl.address, 0x080A0000);
	assert_int_equal(req(&photon, SF_OP_READ_SEGMENT, "userFirmware", 0, NULL, false), 0);
	assert_int_equal(pl.address, 0x080A0000);
	seg->header_placement = false;
}

/* Random requests must never crash and a plan must always satisfy its own
 * invariants (inside the layout, footprint contains the written bytes). */
static void fuzz_requests(void **s)
{
	unsigned seed = (unsigned)time(NULL);
	const sf_profile *ps[] = { &core, &photon, &widget };
	(void)s;
	printf("# fuzz seeds: 1 and %u\n", seed);
	for (int round = 0; round < 2; round++) {
		srand(round ? seed : 1);
		for (int i = 0; i < 20000; i++) {
			const sf_profile *p = ps[rand() % 3];
			char addr[32], len[32];
			uint32_t a = (uint32_t)rand() ^ ((uint32_t)rand() << 16);
			switch (rand() % 4) {
			case 0: a = 0x08000000u + (a & 0x1ffff); break;
			case 1: a &= 0x3fff; break;
			case 2: a = 0x40000000u + (a & 0xfff); break;
			default: break;
			}
			snprintf(addr, sizeof addr, rand() % 2 ? "0x%x" : "%u", a);
			snprintf(len, sizeof len, "%u", (unsigned)(rand() % 70000));
			sf_op_request r = { .kind = (sf_op_kind)(rand() % 10), .address = addr,
					    .length = len, .file_size = (uint64_t)(rand() % 70000),
					    .segment = p->segments[rand() % p->nsegments].name,
					    .alt = rand() % 3 ? NULL : (rand() % 2 ? "1" : "0") };
			int rc = sf_plan_make(p, &r, &pl, &err);
			if (rc == 0) {
				const sf_alt *alt = sf_profile_alt(p, pl.alt);
				assert_non_null(alt);
				assert_true(pl.length > 0);
				assert_true(sf_layout_range_has(&alt->layout, pl.address, pl.length,
							      pl.upload ? SF_MEM_READABLE : SF_MEM_WRITABLE));
				if (!pl.upload) {
					assert_true(pl.erase_start <= pl.address);
					assert_true(pl.erase_end >= (uint64_t)pl.address + pl.length);
				}
			} else {
				assert_int_equal(rc, SF_EXIT_REFUSED);
				assert_true(err.msg[0] != '\0');
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(core_flash_usb),
		cmocka_unit_test(photon_no_padding),
		cmocka_unit_test(factory_does_not_leave),
		cmocka_unit_test(bootloader_region),
		cmocka_unit_test(end_of_memory),
		cmocka_unit_test(address_spelling),
		cmocka_unit_test(alt_inference),
		cmocka_unit_test(core_protected_neighbours),
		cmocka_unit_test(photon_dct),
		cmocka_unit_test(widget_protected),
		cmocka_unit_test(reads),
		cmocka_unit_test(leave_override),
		cmocka_unit_test(verified_steps),
		cmocka_unit_test(module_destinations),
		cmocka_unit_test(refusal_messages),
		cmocka_unit_test(header_placement),
		cmocka_unit_test(fuzz_requests),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
