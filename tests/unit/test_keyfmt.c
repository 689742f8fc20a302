/* Keys through libcrypto: every form (PKCS#1, PKCS#8, SEC1,
 * SubjectPublicKeyInfo; PEM and DER) of the fixture keys (made with the
 * openssl command line, tests/fixtures/keys/README) reads to the same key
 * and writes back the device's form byte for byte; keys made here with EVP
 * do the same; bad input is refused with a reason; the slot rules of the
 * shipped Core and Electron profiles. */
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

#include "keyfmt.h"

static uint8_t *slurp(const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	uint8_t *buf;
	long n;
	snprintf(path, sizeof path, "%s/%s", SF_KEY_FIXTURES, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void parse_file(const char *name, sf_key *k)
{
	size_t len;
	uint8_t *d = slurp(name, &len);
	sf_err err = { 0 };
	int rc = sf_key_parse(d, len, k, &err);
	if (rc)
		fail_msg("%s: %s", name, err.msg);
	free(d);
}

static void assert_bytes_equal_file(const uint8_t *got, size_t len, const char *name)
{
	size_t wlen;
	uint8_t *want = slurp(name, &wlen);
	assert_int_equal(len, wlen);
	assert_memory_equal(got, want, len);
	free(want);
}

/* The device DER, public DER and public PEM of k equal the fixture files. */
static void assert_encodings(const sf_key *k, const char *device_der, const char *pub_der,
			     const char *pub_pem)
{
	uint8_t *b;
	char *t;
	size_t n;
	sf_err err;
	if (device_der) {
		assert_int_equal(sf_key_device_der(k, &b, &n, &err), 0);
		assert_bytes_equal_file(b, n, device_der);
		sf_key_wipe_free(b, n);
	}
	assert_int_equal(sf_key_public_der(k, &b, &n, &err), 0);
	assert_bytes_equal_file(b, n, pub_der);
	free(b);
	assert_int_equal(sf_key_public_pem(k, &t, &n, &err), 0);
	assert_int_equal(strlen(t), n);
	assert_bytes_equal_file((const uint8_t *)t, n, pub_pem);
	free(t);
}

static void rsa_every_form(void **state)
{
	static const struct { const char *file, *form; bool priv, pem; } forms[] = {
		{ "rsa1024-pkcs1.pem", "PKCS#1", true, true },
		{ "rsa1024-pkcs8.pem", "PKCS#8", true, true },
		{ "rsa1024-pkcs1.der", "PKCS#1", true, false },
		{ "rsa1024-pkcs8.der", "PKCS#8", true, false },
		{ "rsa1024.pub.pem", "SubjectPublicKeyInfo", false, true },
		{ "rsa1024.pub.der", "SubjectPublicKeyInfo", false, false },
		{ "rsa1024-pkcs1.pub.pem", "PKCS#1", false, true },
		{ "rsa1024-pkcs1.pub.der", "PKCS#1", false, false },
	};
	(void)state;
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		sf_key k;
		char d[64];
		parse_file(forms[i].file, &k);
		assert_int_equal(k.alg, SF_KEY_RSA);
		assert_int_equal(k.bits, 1024);
		assert_true(k.e65537);
		assert_int_equal(k.is_private, forms[i].priv);
		assert_int_equal(k.pem, forms[i].pem);
		assert_string_equal(k.form, forms[i].form);
		assert_string_equal(sf_key_describe(&k, d, sizeof d),
				    forms[i].priv ? "RSA-1024 private key" : "RSA-1024 public key");
		/* every private form becomes the PKCS#1 DER the device reads */
		assert_encodings(&k, forms[i].priv ? "rsa1024-pkcs1.der" : NULL, "rsa1024.pub.der",
				 "rsa1024.pub.pem");
		sf_key_free(&k);
	}
}

static void ec_every_form(void **state)
{
	static const struct { const char *file, *form; bool priv; } forms[] = {
		{ "ec-p256-sec1.pem", "SEC1", true }, /* EC PARAMETERS block first */
		{ "ec-p256-pkcs8.pem", "PKCS#8", true },
		{ "ec-p256-sec1.der", "SEC1", true },
		{ "ec-p256-pkcs8.der", "PKCS#8", true },
		{ "ec-p256.pub.pem", "SubjectPublicKeyInfo", false },
		{ "ec-p256.pub.der", "SubjectPublicKeyInfo", false },
	};
	(void)state;
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		sf_key k;
		parse_file(forms[i].file, &k);
		assert_int_equal(k.alg, SF_KEY_EC);
		assert_int_equal(k.bits, 256);
		assert_string_equal(k.curve, "prime256v1");
		assert_int_equal(k.is_private, forms[i].priv);
		assert_string_equal(k.form, forms[i].form);
		assert_encodings(&k, forms[i].priv ? "ec-p256-sec1.der" : NULL, "ec-p256.pub.der",
				 "ec-p256.pub.pem");
		sf_key_free(&k);
	}
}

/* A saved key segment: the DER, then the segment's 0xFF fill. */
static void der_with_fill(void **state)
{
	size_t len;
	uint8_t *d = slurp("rsa1024-pkcs1.der", &len), *seg = malloc(1024);
	sf_key k;
	sf_err err;
	(void)state;
	memset(seg, 0xFF, 1024);
	memcpy(seg, d, len);
	assert_int_equal(sf_key_parse(seg, 1024, &k, &err), 0);
	assert_int_equal(k.der_len, len);
	assert_true(k.is_private);
	sf_key_free(&k);
	/* a truncated one is refused */
	assert_int_equal(sf_key_parse(d, len - 1, &k, &err), SF_EXIT_REFUSED);
	assert_non_null(strstr(err.msg, "truncated"));
	free(d);
	free(seg);
}

/* The private PEM written for `keys new` (PKCS#8) reads back to the key. */
static void round_trip(const sf_key *k)
{
	char *pem;
	uint8_t *der, *der2, *pub, *pub2;
	size_t pl, dl, dl2, ul, ul2;
	sf_key back, back2;
	sf_err err;

	assert_int_equal(sf_key_private_pem(k, &pem, &pl, &err), 0);
	assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
	assert_int_equal(sf_key_parse((const uint8_t *)pem, pl, &back, &err), 0);
	assert_string_equal(back.form, "PKCS#8");
	assert_int_equal(sf_key_device_der(k, &der, &dl, &err), 0);
	assert_int_equal(sf_key_device_der(&back, &der2, &dl2, &err), 0);
	assert_int_equal(dl, dl2);
	assert_memory_equal(der, der2, dl);
	/* the device DER reads back too */
	assert_int_equal(sf_key_parse(der, dl, &back2, &err), 0);
	assert_string_equal(back2.form, k->alg == SF_KEY_RSA ? "PKCS#1" : "SEC1");
	assert_int_equal(sf_key_public_der(k, &pub, &ul, &err), 0);
	assert_int_equal(sf_key_public_der(&back2, &pub2, &ul2, &err), 0);
	assert_int_equal(ul, ul2);
	assert_memory_equal(pub, pub2, ul);
	if (k->alg == SF_KEY_RSA) {
		assert_in_range(dl, 600, 612); /* fits the Photon's 612-byte slot */
		assert_int_equal(ul, 162);
	} else {
		assert_in_range(dl, 100, 192);
		assert_int_equal(ul, 91);
	}
	sf_key_wipe_free(pem, pl);
	sf_key_wipe_free(der, dl);
	sf_key_wipe_free(der2, dl2);
	free(pub);
	free(pub2);
	sf_key_free(&back);
	sf_key_free(&back2);
}

static void generated(void **state)
{
	sf_key k, k2;
	sf_err err;
	uint8_t *a, *b;
	size_t al, bl;
	(void)state;
	assert_int_equal(sf_key_generate(SF_KEY_RSA, &k, &err), 0);
	assert_int_equal(k.bits, 1024);
	assert_true(k.e65537);
	assert_true(k.is_private);
	round_trip(&k);
	/* two new keys differ */
	assert_int_equal(sf_key_generate(SF_KEY_RSA, &k2, &err), 0);
	assert_int_equal(sf_key_public_der(&k, &a, &al, &err), 0);
	assert_int_equal(sf_key_public_der(&k2, &b, &bl, &err), 0);
	assert_true(al != bl || memcmp(a, b, al));
	free(a);
	free(b);
	sf_key_free(&k);
	sf_key_free(&k2);

	assert_int_equal(sf_key_generate(SF_KEY_EC, &k, &err), 0);
	assert_int_equal(k.alg, SF_KEY_EC);
	assert_string_equal(k.curve, "prime256v1");
	round_trip(&k);
	sf_key_free(&k);
	assert_int_equal(sf_key_generate(SF_KEY_ALG_NONE, &k, &err), SF_EXIT_INTERNAL);
}

static void refusals(void **state)
{
	static const struct { const char *file, *want; } files[] = {
		{ "rsa1024-encrypted.pem", "encrypted" },
		{ "rsa1024-encrypted-legacy.pem", "encrypted" },
		{ "cert.pem", "certificate" },
	};
	static const struct { const char *text, *want; } texts[] = {
		{ "", "neither PEM" },
		{ "hello", "neither PEM" },
		{ "\xff\xff\xff\xff", "neither PEM" },
		{ "\x30\x03\x02\x01\x07", "not a key libcrypto can read" },
		{ "-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n", "PEM 'FOO' is not a key" },
		{ "-----BEGIN PUBLIC KEY-----\nMFk*\n-----END PUBLIC KEY-----\n", "malformed PEM" },
		{ "-----BEGIN PUBLIC KEY-----\nMFkw\n", "malformed PEM" },
		{ "-----BEGIN PUBLIC KEY-----\nMAMCAQc=\n-----END PUBLIC KEY-----\n", "do not match" },
		{ "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n", "no PEM key block" },
	};
	sf_key k;
	sf_err err;
	(void)state;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		size_t len;
		uint8_t *d = slurp(files[i].file, &len);
		assert_int_equal(sf_key_parse(d, len, &k, &err), SF_EXIT_REFUSED);
		if (!strstr(err.msg, files[i].want))
			fail_msg("%s: '%s' lacks '%s'", files[i].file, err.msg, files[i].want);
		assert_null(k.pkey);
		free(d);
	}
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		assert_int_equal(sf_key_parse((const uint8_t *)texts[i].text, strlen(texts[i].text), &k, &err),
				 SF_EXIT_REFUSED);
		if (!strstr(err.msg, texts[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, texts[i].want);
	}
	/* PKCS#8 content under the PKCS#1 label */
	{
		size_t len;
		char *d = (char *)slurp("rsa1024-pkcs8.pem", &len), *t = malloc(len + 16);
		char *body = strstr(d, "\n") + 1, *end = strstr(d, "-----END");
		snprintf(t, len + 16, "-----BEGIN RSA PRIVATE KEY-----\n%.*s-----END RSA PRIVATE KEY-----\n",
			 (int)(end - body), body);
		assert_int_equal(sf_key_parse((uint8_t *)t, strlen(t), &k, &err), SF_EXIT_REFUSED);
		assert_non_null(strstr(err.msg, "do not match"));
		free(t);
		free(d);
	}
	assert_int_equal(sf_key_device_der(&(sf_key){ 0 }, &(uint8_t *){ NULL }, &(size_t){ 0 }, &err),
			 SF_EXIT_REFUSED);
}

static int load_profile(const char *id, sf_profile *p)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;
	sf_err err;
	int rc;
	snprintf(path, sizeof path, "%s/%s.json", SF_PROFILES_SRC, id);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	rc = sf_profile_parse(buf, (size_t)n, path, p, &err);
	if (rc)
		fail_msg("%s", err.msg);
	free(buf);
	return rc;
}

/* check FILE against SEGMENT of profile: 0 or a refusal containing `want` */
static void slot(const sf_profile *p, const char *segname, const char *file, const char *want)
{
	const sf_segment *s = sf_profile_segment(p, segname);
	sf_key k;
	sf_err err = { 0 };
	uint8_t *der = NULL;
	size_t dl = 0;
	int rc;
	assert_non_null(s);
	parse_file(file, &k);
	if (k.is_private)
		assert_int_equal(sf_key_device_der(&k, &der, &dl, &err), 0);
	else
		assert_int_equal(sf_key_public_der(&k, &der, &dl, &err), 0);
	rc = sf_key_check_slot(&k, p, s, dl, &err);
	if (!want && rc)
		fail_msg("%s into %s/%s refused: %s", file, p->id, segname, err.msg);
	if (want && (rc != SF_EXIT_REFUSED || !strstr(err.msg, want)))
		fail_msg("%s into %s/%s: rc %d '%s', want '%s'", file, p->id, segname, rc, err.msg, want);
	sf_key_wipe_free(der, dl);
	sf_key_free(&k);
}

static void slots(void **state)
{
	sf_profile core, electron;
	(void)state;
	load_profile("core", &core);
	load_profile("electron", &electron);

	slot(&core, "tcpPrivateKey", "rsa1024-pkcs8.pem", NULL);
	slot(&core, "tcpServerKey", "rsa2048.pub.pem", NULL);
	slot(&electron, "tcpPrivateKey", "rsa1024-pkcs1.der", NULL);
	slot(&electron, "udpPrivateKey", "ec-p256-pkcs8.der", NULL);
	slot(&electron, "udpServerKey", "ec-p256.pub.der", NULL);

	/* the wrong algorithm: name the protocol and slot that take it */
	slot(&core, "tcpPrivateKey", "ec-p256-sec1.pem",
	     "the key is an EC P-256 private key, but tcpPrivateKey (the tcp protocol's slot) holds RSA keys, and profile core has no slot for EC keys");
	slot(&electron, "tcpPrivateKey", "ec-p256-sec1.pem",
	     "EC keys go to udpPrivateKey: pass --protocol udp");
	slot(&electron, "udpPrivateKey", "rsa1024-pkcs1.pem",
	     "RSA keys go to tcpPrivateKey: pass --protocol tcp");
	slot(&electron, "udpServerKey", "rsa2048.pub.pem", "RSA keys go to tcpServerKey: pass --protocol tcp");

	/* private vs public */
	slot(&core, "tcpPrivateKey", "rsa1024.pub.pem", "takes the device's private key");
	slot(&core, "tcpServerKey", "rsa2048.pem", "takes the server's public key");

	/* sizes and parameters the slot cannot hold */
	slot(&core, "tcpPrivateKey", "rsa2048.pem", "the key is RSA-2048, but tcpPrivateKey holds RSA-1024 keys");
	slot(&electron, "tcpPrivateKey", "rsa1536.pem", "RSA-1536");
	slot(&core, "tcpPrivateKey", "rsa1024-e3.pem", "exponent is not 65537");
	slot(&core, "tcpServerKey", "rsa1024.pub.pem", "the key is RSA-1024, but tcpServerKey holds RSA-2048 keys");
	slot(&electron, "udpPrivateKey", "ec-p384.pem", "the key is on curve P-384");

	/* no key segment */
	{
		sf_key k;
		sf_err err;
		parse_file("rsa1024-pkcs1.pem", &k);
		assert_int_equal(sf_key_check_slot(&k, &core, sf_profile_segment(&core, "userFirmware"), 610, &err),
				 SF_EXIT_REFUSED);
		assert_non_null(strstr(err.msg, "holds no key"));
		/* and a DER that would not fit */
		assert_int_equal(sf_key_check_slot(&k, &electron, sf_profile_segment(&electron, "tcpPrivateKey"), 636,
						   &err), SF_EXIT_REFUSED);
		assert_non_null(strstr(err.msg, "takes 636 bytes, but tcpPrivateKey holds 612"));
		sf_key_free(&k);
	}
	assert_int_equal(sf_key_segment_alg(sf_profile_segment(&electron, "udpServerKey")), SF_KEY_EC);
	assert_int_equal(sf_key_alg_from_word("ecc"), SF_KEY_EC);
	assert_string_equal(sf_key_alg_word(SF_KEY_RSA), "rsa");
	sf_profile_free(&core);
	sf_profile_free(&electron);
}

/* Mutated fixture keys and random bytes: no crash (ASan), nothing half-set. */
static void fuzz(void **state)
{
	static const char *const seeds[] = { "rsa1024-pkcs8.pem", "ec-p256-sec1.pem", "rsa1024-pkcs1.der",
					     "ec-p256.pub.der", "rsa2048.pub.pem" };
	unsigned seed = (unsigned)time(NULL);
	(void)state;
	printf("# fuzz seed %u\n", seed);
	srand(seed);
	for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
		size_t len;
		uint8_t *orig = slurp(seeds[s], &len);
		for (int i = 0; i < 300; i++) {
			uint8_t *buf = malloc(len);
			size_t n = len;
			sf_key k;
			sf_err err;
			memcpy(buf, orig, len);
			for (int m = rand() % 4; m >= 0; m--)
				buf[(size_t)rand() % len] = (uint8_t)rand();
			if (rand() % 4 == 0)
				n = (size_t)rand() % len;
			if (sf_key_parse(buf, n, &k, &err) == 0) {
				assert_non_null(k.pkey);
				assert_true(k.alg == SF_KEY_RSA || k.alg == SF_KEY_EC);
				sf_key_free(&k);
			} else {
				assert_null(k.pkey);
				assert_true(err.msg[0] != '\0');
			}
			free(buf);
		}
		free(orig);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rsa_every_form),
		cmocka_unit_test(ec_every_form),
		cmocka_unit_test(der_with_fill),
		cmocka_unit_test(generated),
		cmocka_unit_test(refusals),
		cmocka_unit_test(slots),
		cmocka_unit_test(fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
