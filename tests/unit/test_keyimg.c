/* Server-key images, key backup names, and a fuzz loop over the decoders. */
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

#include "keyimg.h"

/* A 91-byte DER (EC P-256 SubjectPublicKeyInfo shape: SEQUENCE of 89 bytes). */
static void fake_der(uint8_t *d, size_t total)
{
	d[0] = 0x30;
	if (total - 2 < 0x80) {
		d[1] = (uint8_t)(total - 2);
		for (size_t i = 2; i < total; i++)
			d[i] = (uint8_t)(i * 7);
	} else {
		d[1] = 0x82;
		d[2] = (uint8_t)((total - 4) >> 8);
		d[3] = (uint8_t)(total - 4);
		for (size_t i = 4; i < total; i++)
			d[i] = (uint8_t)(i * 7);
	}
}

static char tcp_name[] = "tcpServerKey", udp_name[] = "udpServerKey";
static sf_segment tcp_core = { .name = tcp_name, .alt = 1, .address = 0x1000, .size = 2048,
			       .has_size = true, .is_protected = true,
			       .key = { .present = true, .has_address_offset = true, .address_offset = 384,
					.has_port_offset = true, .port_offset = 450 } };
static sf_segment udp_photon = { .name = udp_name, .alt = 1, .address = 3298, .size = 320,
				 .has_size = true, .is_protected = true,
				 .key = { .present = true, .has_address_offset = true, .address_offset = 192,
					  .has_port_offset = true, .port_offset = 258 } };

static void image_layout(void **state)
{
	uint8_t der[294], *img;
	sf_err err;
	sf_server_addr a;
	char url[300];
	(void)state;
	fake_der(der, sizeof der);

	/* no host/port: DER then 0xFF; decodes to the defaults */
	assert_int_equal(sf_keyimg_build(der, sizeof der, &tcp_core, 2048, NULL, -1, &img, &err), 0);
	assert_memory_equal(img, der, sizeof der);
	for (size_t i = sizeof der; i < 2048; i++)
		assert_int_equal(img[i], 0xFF);
	assert_int_equal(sf_keyimg_decode(img, 2048, &tcp_core, &a, &err), 0);
	assert_int_equal(a.type, SF_ADDR_DEFAULT);
	sf_server_addr_url(&a, url, sizeof url);
	assert_string_equal(url, "tcp://device.spark.io:5683");
	free(img);

	/* IPv4 + port */
	assert_int_equal(sf_keyimg_build(der, sizeof der, &tcp_core, 2048, "10.1.200.255", 5683, &img, &err), 0);
	assert_int_equal(img[384], 0);
	assert_int_equal(img[385], 4);
	assert_int_equal(img[386], 10);
	assert_int_equal(img[389], 255);
	assert_int_equal(img[390], 0xFF);
	assert_int_equal(img[450], 0x16);
	assert_int_equal(img[451], 0x33);
	assert_int_equal(sf_keyimg_decode(img, 2048, &tcp_core, &a, &err), 0);
	sf_server_addr_url(&a, url, sizeof url);
	assert_string_equal(url, "tcp://10.1.200.255:5683");
	assert_false(a.port_default);

	/* rebuilding from that image with a domain replaces the TLV fully */
	uint8_t *img2;
	assert_int_equal(sf_keyimg_build(img, 2048, &tcp_core, 2048, "my.server.example", -1, &img2, &err), 0);
	assert_int_equal(img2[384], 1);
	assert_int_equal(img2[385], 17);
	assert_memory_equal(img2 + 386, "my.server.example", 17);
	assert_int_equal(img2[386 + 17], 0xFF);
	assert_int_equal(img2[450], 0x16); /* port kept */
	assert_int_equal(sf_keyimg_decode(img2, 2048, &tcp_core, &a, &err), 0);
	assert_int_equal(a.type, SF_ADDR_DOMAIN);
	sf_server_addr_url(&a, url, sizeof url);
	assert_string_equal(url, "tcp://my.server.example:5683");
	free(img);
	free(img2);

	/* udp segment: defaults and offsets from the segment */
	uint8_t ec[91];
	fake_der(ec, sizeof ec);
	assert_int_equal(sf_keyimg_build(ec, sizeof ec, &udp_photon, 320, "$id.udp.particle.io", 5684, &img, &err), 0);
	assert_int_equal(img[192], 1);
	assert_int_equal(img[193], 19);
	assert_int_equal(img[258], 0x16);
	assert_int_equal(img[259], 0x34);
	free(img);
	assert_int_equal(sf_keyimg_build(ec, sizeof ec, &udp_photon, 320, NULL, -1, &img, &err), 0);
	assert_int_equal(sf_keyimg_decode(img, 320, &udp_photon, &a, &err), 0);
	sf_server_addr_url(&a, url, sizeof url);
	assert_string_equal(url, "udp://udp.particle.io:5684");
	free(img);
}

static void image_refusals(void **state)
{
	uint8_t der[294], *img = NULL;
	sf_err err;
	(void)state;
	fake_der(der, sizeof der);
	uint8_t der330[330];
	fake_der(der330, sizeof der330);
	assert_int_equal(sf_keyimg_build(der330, sizeof der330, &udp_photon, 320, NULL, -1, &img, &err), SF_EXIT_REFUSED);
	assert_non_null(strstr(err.msg, "holds 320 bytes"));
	/* fits, but covers the address field at 192 with key bytes */
	assert_int_equal(sf_keyimg_build(der, sizeof der, &udp_photon, 320, NULL, -1, &img, &err), SF_EXIT_REFUSED);
	assert_non_null(strstr(err.msg, "would not decode"));
	assert_int_equal(sf_keyimg_build(der, 100, &tcp_core, 2048, NULL, -1, &img, &err), SF_EXIT_REFUSED);
	assert_non_null(strstr(err.msg, "truncated"));
	der[0] = 0x31;
	assert_int_equal(sf_keyimg_build(der, sizeof der, &tcp_core, 2048, NULL, -1, &img, &err), SF_EXIT_REFUSED);
	der[0] = 0x30;
	static const char *const bad_hosts[] = { "1.2.3", "1.2.3.256", "1..2.3", "1.2.3.4.5",
						 "has space.com", "", "a\nb" };
	for (size_t i = 0; i < sizeof bad_hosts / sizeof *bad_hosts; i++) {
		assert_int_equal(sf_keyimg_build(der, sizeof der, &tcp_core, 2048, bad_hosts[i], -1, &img, &err),
				 SF_EXIT_REFUSED);
		assert_null(img);
	}
	/* longest name that fits between 384+2 and the port at 450: 64 bytes */
	char name[80];
	memset(name, 'a', 64);
	name[64] = '\0';
	assert_int_equal(sf_keyimg_build(der, sizeof der, &tcp_core, 2048, name, -1, &img, &err), 0);
	free(img);
	name[64] = 'a';
	name[65] = '\0';
	assert_int_equal(sf_keyimg_build(der, sizeof der, &tcp_core, 2048, name, -1, &img, &err), SF_EXIT_REFUSED);
	assert_non_null(strstr(err.msg, "room for 64"));
	assert_int_equal(sf_keyimg_build(der, sizeof der, &tcp_core, 2048, NULL, 70000, &img, &err), SF_EXIT_REFUSED);
	sf_segment nooff = tcp_core;
	nooff.key.has_address_offset = false;
	assert_int_equal(sf_keyimg_build(der, sizeof der, &nooff, 2048, "1.2.3.4", -1, &img, &err), SF_EXIT_REFUSED);
	/* DER running into the address field */
	uint8_t big[400];
	fake_der(big, sizeof big);
	assert_int_equal(sf_keyimg_build(big, sizeof big, &tcp_core, 2048, "1.2.3.4", -1, &img, &err), SF_EXIT_REFUSED);
	assert_non_null(strstr(err.msg, "overlaps the address field"));
}

static void decode_garbled(void **state)
{
	uint8_t img[2048];
	sf_err err;
	sf_server_addr a;
	(void)state;
	memset(img, 0xFF, sizeof img);
	img[384] = 1;
	img[385] = 200; /* runs past the image */
	assert_int_equal(sf_keyimg_decode(img, 500, &tcp_core, &a, &err), SF_EXIT_REFUSED);
	img[384] = 7;
	assert_int_equal(sf_keyimg_decode(img, sizeof img, &tcp_core, &a, &err), SF_EXIT_REFUSED);
	img[384] = 0;
	img[385] = 3;
	assert_int_equal(sf_keyimg_decode(img, sizeof img, &tcp_core, &a, &err), SF_EXIT_REFUSED);
	assert_int_equal(sf_keyimg_decode(img, 100, &tcp_core, &a, &err), SF_EXIT_REFUSED);
}

/* Random and mutated inputs for every decoder: no crash (ASan), sane results. */
static void fuzz(void **state)
{
	unsigned seed = (unsigned)time(NULL);
	(void)state;
	printf("# fuzz seeds: 1 and %u\n", seed);
	for (int round = 0; round < 2; round++) {
		srand(round ? seed : 1);
		for (int i = 0; i < 20000; i++) {
			size_t len = (size_t)(rand() % 700);
			uint8_t *buf = malloc(len ? len : 1), *img = NULL;
			size_t total;
			sf_err err;
			sf_server_addr a;
			for (size_t k = 0; k < len; k++)
				buf[k] = (uint8_t)(rand() % 4 ? rand() : (rand() % 2 ? 0x30 : 0xFF));
			if (len > 4 && rand() % 2) {
				/* a plausible SEQUENCE header over random content */
				buf[0] = 0x30;
				buf[1] = 0x82;
				buf[2] = (uint8_t)((len - 4 + (size_t)(rand() % 3) - 1) >> 8);
				buf[3] = (uint8_t)(len - 4 + (size_t)(rand() % 3) - 1);
			}
			if (sf_der_length(buf, len, &total, &err) == 0)
				assert_true(total <= len);
			if (sf_keyimg_decode(buf, len, rand() % 2 ? &tcp_core : &udp_photon, &a, &err) == 0)
				assert_true(strlen(a.host) < sizeof a.host);
			if (sf_keyimg_build(buf, len, &udp_photon, 320, rand() % 2 ? "h.example" : NULL,
					    rand() % 2 ? 1234 : -1, &img, &err) == 0) {
				assert_non_null(img);
				assert_int_equal(sf_keyimg_decode(img, 320, &udp_photon, &a, &err), 0);
			}
			free(img);
			free(buf);
		}
	}
}

/* the device's serial cannot steer the backup out of the key's directory */
static void backup_name(void **st)
{
	char out[256];
	(void)st;
	const char *t = "20260102T030405Z";
	assert_true(sf_key_backup_name("dir", "k.der", "6D92487A5151", "tcpPrivateKey", t, 0, out, sizeof out));
	assert_string_equal(out, "dir/k.der.backup-6D92487A5151-tcpPrivateKey-20260102T030405Z.der");
	assert_true(sf_key_backup_name("dir", "k.der", "6D92487A5151", "tcpPrivateKey", t, 2, out, sizeof out));
	assert_string_equal(out, "dir/k.der.backup-6D92487A5151-tcpPrivateKey-20260102T030405Z-2.der");
	assert_true(sf_key_backup_name("dir", "k.der", "../../etc/x", "tcpPrivateKey", t, 0, out, sizeof out));
	assert_string_equal(out, "dir/k.der.backup-______etc_x-tcpPrivateKey-20260102T030405Z.der");
	assert_true(sf_key_backup_name(".", "k", "", "udpPrivateKey", t, 0, out, sizeof out));
	assert_string_equal(out, "./k.backup-device-udpPrivateKey-20260102T030405Z.der");
	assert_true(sf_key_backup_name(".", "k", "a b\xff", "s", t, 0, out, sizeof out));
	assert_string_equal(out, "./k.backup-a_b_-s-20260102T030405Z.der");
	assert_false(sf_key_backup_name("dir", "k.der", "SN", "seg", t, 0, out, 10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(image_layout),
		cmocka_unit_test(image_refusals),
		cmocka_unit_test(decode_garbled),
		cmocka_unit_test(fuzz),
		cmocka_unit_test(backup_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
