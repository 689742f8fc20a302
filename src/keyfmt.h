/* Device and server keys through OpenSSL's libcrypto (EVP, OpenSSL 3):
 * reading every form a user may hold (PKCS#1, PKCS#8, SEC1 and
 * SubjectPublicKeyInfo, PEM or DER), making new keys, writing them in the
 * form a device's key segment holds, and deciding whether a key fits a
 * segment. Pure: memory in, memory out (key generation uses libcrypto's
 * random generator).
 *
 * What the devices read (device-os communication/src/handshake.cpp and
 * dtls_message_channel.cpp): the TCP private key as a PKCS#1 RSAPrivateKey
 * of an RSA-1024 key with exponent 65537 (the handshake decrypts 128-byte
 * blocks; the Core reads the numbers at fixed offsets), the TCP server key
 * as the SubjectPublicKeyInfo of an RSA-2048 key (256-byte modulus), the
 * UDP keys as EC P-256 (private: SEC1 ECPrivateKey, server:
 * SubjectPublicKeyInfo). */
#ifndef SF_KEYFMT_H
#define SF_KEYFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "sf_error.h"

typedef enum sf_key_alg { SF_KEY_ALG_NONE = 0, SF_KEY_RSA, SF_KEY_EC } sf_key_alg;

typedef struct sf_key {
	void *pkey;              /* EVP_PKEY *, owned */
	sf_key_alg alg;
	bool is_private;
	int bits;                /* RSA modulus bits; EC: the curve's bits */
	bool e65537;             /* RSA: the public exponent is 65537 */
	char curve[32];          /* EC: "prime256v1", ... */
	bool pem;                /* the input was PEM */
	char form[32];           /* "PKCS#1", "PKCS#8", "SEC1", "SubjectPublicKeyInfo" */
	size_t der_len;          /* DER input: bytes the key took; more bytes after it
				  * (a saved segment's 0xFF fill, a server-key image's
				  * address) are not part of the key */
} sf_key;

/* Reads a key: PEM (the first key block; "EC PARAMETERS" blocks are
 * skipped; encrypted keys, certificates and other labels are refused with
 * what to do) or DER (tried as PKCS#8, PKCS#1/SEC1 private, then
 * SubjectPublicKeyInfo, PKCS#1 public). Returns 0, or SF_EXIT_REFUSED. */
int sf_key_parse(const uint8_t *data, size_t len, sf_key *out, sf_err *err);

/* A new key pair: RSA-1024 (exponent 65537) or EC P-256. */
int sf_key_generate(sf_key_alg alg, sf_key *out, sf_err *err);

void sf_key_free(sf_key *k);

/* "RSA-1024 private key", "EC P-256 public key" */
const char *sf_key_describe(const sf_key *k, char *buf, size_t size);

/* "rsa" / "ec" (the profiles' key.alg words); "ecc" for the cloud. */
const char *sf_key_alg_word(sf_key_alg alg);
sf_key_alg sf_key_alg_from_word(const char *word);

/* Encodings, malloc'd. The private ones hold secrets: release them with
 * sf_key_wipe_free. device_der: PKCS#1 RSAPrivateKey / SEC1 ECPrivateKey
 * (what the key segment holds); private_pem: PKCS#8 "PRIVATE KEY";
 * public_der: SubjectPublicKeyInfo; public_pem: "PUBLIC KEY" text (NUL
 * terminated, *len without the NUL). */
int sf_key_device_der(const sf_key *k, uint8_t **out, size_t *len, sf_err *err);
int sf_key_private_pem(const sf_key *k, char **out, size_t *len, sf_err *err);
int sf_key_public_der(const sf_key *k, uint8_t **out, size_t *len, sf_err *err);
int sf_key_public_pem(const sf_key *k, char **out, size_t *len, sf_err *err);

/* Overwrites len bytes of p, then frees it (NULL is fine). */
void sf_key_wipe_free(void *p, size_t len);

/* Whether `k` may go into key segment `seg` of profile `p`: a private key
 * into a "...PrivateKey" segment, a public key into a "...ServerKey" one;
 * the algorithm must be the segment's key.alg (otherwise the message names
 * the protocol and segment that take it, or says the profile has none);
 * RSA: 1024 bits for a private key, 2048 for a server key, exponent 65537;
 * EC: P-256; `encoded_len` (the bytes that will be written) must fit the
 * segment. Returns 0 or SF_EXIT_REFUSED. */
int sf_key_check_slot(const sf_key *k, const sf_profile *p, const sf_segment *seg,
		      size_t encoded_len, sf_err *err);

/* The key algorithm a segment holds (its key.alg), SF_KEY_ALG_NONE without one. */
sf_key_alg sf_key_segment_alg(const sf_segment *seg);

#endif
