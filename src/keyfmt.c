#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "keyfmt.h"
#include "keyimg.h"

/* The DER forms, as bits: which ones a PEM label allows. */
enum {
	F_PKCS8 = 1,      /* PrivateKeyInfo */
	F_PKCS1 = 2,      /* RSAPrivateKey */
	F_SEC1 = 4,       /* ECPrivateKey */
	F_SPKI = 8,       /* SubjectPublicKeyInfo */
	F_PKCS1_PUB = 16, /* RSAPublicKey */
	F_ANY = 31
};

void sf_key_wipe_free(void *p, size_t len)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

void sf_key_free(sf_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	memset(k, 0, sizeof *k);
}

const char *sf_key_alg_word(sf_key_alg alg)
{
	return alg == SF_KEY_RSA ? "rsa" : alg == SF_KEY_EC ? "ec" : "none";
}

sf_key_alg sf_key_alg_from_word(const char *word)
{
	if (word && !strcmp(word, "rsa"))
		return SF_KEY_RSA;
	if (word && (!strcmp(word, "ec") || !strcmp(word, "ecc")))
		return SF_KEY_EC;
	return SF_KEY_ALG_NONE;
}

sf_key_alg sf_key_segment_alg(const sf_segment *seg)
{
	return seg && seg->key.present ? sf_key_alg_from_word(seg->key.alg) : SF_KEY_ALG_NONE;
}

static const char *curve_label(const char *curve)
{
	return !strcmp(curve, "prime256v1") ? "P-256" : !strcmp(curve, "secp384r1") ? "P-384" :
	       !strcmp(curve, "secp521r1") ? "P-521" : curve;
}

const char *sf_key_describe(const sf_key *k, char *buf, size_t size)
{
	const char *kind = k->is_private ? "private" : "public";
	if (k->alg == SF_KEY_RSA)
		snprintf(buf, size, "RSA-%d %s key", k->bits, kind);
	else if (k->alg == SF_KEY_EC)
		snprintf(buf, size, "EC %s %s key", curve_label(k->curve), kind);
	else
		snprintf(buf, size, "%s key", kind);
	return buf;
}

/* Facts about a decoded key; refuses algorithms no device uses. */
static int fill_info(sf_key *k, sf_err *err)
{
	EVP_PKEY *pk = k->pkey;
	k->bits = EVP_PKEY_get_bits(pk);
	if (EVP_PKEY_is_a(pk, "RSA")) {
		BIGNUM *e = NULL;
		k->alg = SF_KEY_RSA;
		if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) == 1)
			k->e65537 = BN_is_word(e, 65537);
		BN_free(e);
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		k->alg = SF_KEY_EC;
		if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, k->curve, sizeof k->curve,
						   NULL) != 1)
			snprintf(k->curve, sizeof k->curve, "explicit parameters");
	} else {
		const char *name = EVP_PKEY_get0_type_name(pk);
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "a %s key; Particle devices use RSA and EC P-256 keys", name ? name : "non-RSA, non-EC");
	}
	{
		/* a damaged key must not reach a device: the numbers must agree */
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
		int ok = c && (k->is_private ? EVP_PKEY_check(c) : EVP_PKEY_public_check(c)) == 1;
		EVP_PKEY_CTX_free(c);
		ERR_clear_error();
		if (!ok)
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "the %s key does not pass libcrypto's consistency check: it is damaged",
					  k->alg == SF_KEY_RSA ? "RSA" : "EC");
	}
	return 0;
}

static bool consumed(const unsigned char *start, const unsigned char *end, size_t total)
{
	return (size_t)(end - start) == total;
}

/* Decodes the DER at d as one of the forms in `allowed`. */
static int parse_der(const uint8_t *d, size_t len, int allowed, sf_key *out, sf_err *err)
{
	size_t total;
	const unsigned char *q;
	EVP_PKEY *pk = NULL;
	bool from_pem = allowed != F_ANY;
	int rc;

	if (len < 2 || d[0] != 0x30)
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "not a key: neither PEM ('-----BEGIN') nor DER (an ASN.1 SEQUENCE, byte 0x30)");
	if ((rc = sf_der_length(d, len, &total, err)))
		return rc;
	{
		/* first, because libcrypto's type-specific readers take PKCS#8 too */
		PKCS8_PRIV_KEY_INFO *p8;
		q = d;
		p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &q, (long)total);
		if (p8 && consumed(d, q, total)) {
			if (allowed & F_PKCS8)
				pk = EVP_PKCS82PKEY(p8);
			allowed = F_PKCS8;
			snprintf(out->form, sizeof out->form, "PKCS#8");
			out->is_private = true;
		}
		PKCS8_PRIV_KEY_INFO_free(p8);
	}
	if (!pk && (allowed & F_PKCS1)) {
		q = d;
		pk = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &q, (long)total);
		if (pk && !consumed(d, q, total)) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
		if (pk) {
			snprintf(out->form, sizeof out->form, "PKCS#1");
			out->is_private = true;
		}
	}
	if (!pk && (allowed & F_SEC1)) {
		q = d;
		pk = d2i_PrivateKey(EVP_PKEY_EC, NULL, &q, (long)total);
		if (pk && !consumed(d, q, total)) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
		if (pk) {
			snprintf(out->form, sizeof out->form, "SEC1");
			out->is_private = true;
		}
	}
	if (!pk && (allowed & F_SPKI)) {
		q = d;
		pk = d2i_PUBKEY(NULL, &q, (long)total);
		if (pk && !consumed(d, q, total)) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
		if (pk)
			snprintf(out->form, sizeof out->form, "SubjectPublicKeyInfo");
	}
	if (!pk && (allowed & F_PKCS1_PUB)) {
		q = d;
		pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)total);
		if (pk && !consumed(d, q, total)) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
		if (pk)
			snprintf(out->form, sizeof out->form, "PKCS#1");
	}
	ERR_clear_error();
	if (!pk) {
		out->form[0] = '\0';
		out->is_private = false;
	}
	if (!pk)
		return sf_err_set(err, SF_EXIT_REFUSED,
				  !from_pem ? "not a key libcrypto can read (PKCS#1, PKCS#8, SEC1 or SubjectPublicKeyInfo DER)"
						   : "the PEM block's contents do not match its label");
	out->pkey = pk;
	out->der_len = total;
	return 0;
}

static const struct pem_label {
	const char *label;
	int forms;
} pem_labels[] = {
	{ "PRIVATE KEY", F_PKCS8 },
	{ "RSA PRIVATE KEY", F_PKCS1 },
	{ "EC PRIVATE KEY", F_SEC1 },
	{ "PUBLIC KEY", F_SPKI },
	{ "RSA PUBLIC KEY", F_PKCS1_PUB },
};

static int parse_pem(const uint8_t *data, size_t len, sf_key *out, sf_err *err)
{
	BIO *b = BIO_new_mem_buf(data, len > 0x7fffffff ? 0x7fffffff : (int)len);
	int rc = -1;

	if (!b)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	while (rc < 0) {
		char *name = NULL, *header = NULL;
		unsigned char *der = NULL;
		long dlen = 0;
		int forms = 0;

		if (PEM_read_bio(b, &name, &header, &der, &dlen) != 1) {
			unsigned long e = ERR_peek_last_error();
			ERR_clear_error();
			rc = sf_err_set(err, SF_EXIT_REFUSED,
					ERR_GET_REASON(e) == PEM_R_NO_START_LINE
						? "no PEM key block ('-----BEGIN ... KEY-----') found"
						: "malformed PEM: bad base64 or no '-----END' line");
			break;
		}
		for (size_t i = 0; i < sizeof pem_labels / sizeof pem_labels[0]; i++)
			if (!strcmp(name, pem_labels[i].label))
				forms = pem_labels[i].forms;
		if (!strcmp(name, "EC PARAMETERS")) {
			/* `openssl ecparam -genkey` writes the curve first */
		} else if (strstr(name, "ENCRYPTED") || (header && strstr(header, "ENCRYPTED"))) {
			rc = sf_err_set(err, SF_EXIT_REFUSED,
					"the key is encrypted (PEM '%s'); sparkflash asks for no passphrases: decrypt it first, e.g. 'openssl pkey -in KEY -out KEY-plain.pem'",
					name);
		} else if (!strcmp(name, "CERTIFICATE")) {
			rc = sf_err_set(err, SF_EXIT_REFUSED,
					"a certificate, not a key; take its public key with 'openssl x509 -in CERT -pubkey -noout'");
		} else if (!forms) {
			rc = sf_err_set(err, SF_EXIT_REFUSED,
					"PEM '%.60s' is not a key (expected PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY, PUBLIC KEY or RSA PUBLIC KEY)",
					name);
		} else {
			rc = parse_der(der, (size_t)dlen, forms, out, err);
			if (!rc) {
				out->pem = true;
				out->der_len = 0;
			}
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_clear_free(der, dlen > 0 ? (size_t)dlen : 0);
	}
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

int sf_key_parse(const uint8_t *data, size_t len, sf_key *out, sf_err *err)
{
	size_t i = 0;
	int rc;
	memset(out, 0, sizeof *out);
	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	if (len - i >= 11 && !memcmp(data + i, "-----BEGIN ", 11))
		rc = parse_pem(data, len, out, err);
	else
		rc = parse_der(data, len, F_ANY, out, err);
	if (!rc)
		rc = fill_info(out, err);
	if (rc)
		sf_key_free(out);
	return rc;
}

int sf_key_generate(sf_key_alg alg, sf_key *out, sf_err *err)
{
	EVP_PKEY *pk;
	int rc;
	memset(out, 0, sizeof *out);
	if (alg == SF_KEY_RSA)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	else if (alg == SF_KEY_EC)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else
		return sf_err_set(err, SF_EXIT_INTERNAL, "no key algorithm given");
	ERR_clear_error();
	if (!pk)
		return sf_err_set(err, SF_EXIT_INTERNAL, "libcrypto could not make a new %s key",
				  alg == SF_KEY_RSA ? "RSA-1024" : "EC P-256");
	out->pkey = pk;
	out->is_private = true;
	snprintf(out->form, sizeof out->form, "new");
	if ((rc = fill_info(out, err)))
		sf_key_free(out);
	return rc;
}

/* Copies an OpenSSL-allocated buffer into a malloc'd one and wipes it. */
static int take_buffer(unsigned char *buf, int n, bool secret, uint8_t **out, size_t *len, sf_err *err)
{
	uint8_t *m;
	if (n <= 0 || !buf) {
		ERR_clear_error();
		return sf_err_set(err, SF_EXIT_INTERNAL, "libcrypto could not encode the key");
	}
	m = malloc((size_t)n + 1);
	if (m) {
		memcpy(m, buf, (size_t)n);
		m[n] = '\0';
	}
	if (secret)
		OPENSSL_clear_free(buf, (size_t)n);
	else
		OPENSSL_free(buf);
	if (!m)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	*out = m;
	*len = (size_t)n;
	return 0;
}

int sf_key_device_der(const sf_key *k, uint8_t **out, size_t *len, sf_err *err)
{
	unsigned char *buf = NULL;
	int n;
	*out = NULL;
	if (!k->is_private)
		return sf_err_set(err, SF_EXIT_REFUSED, "a public key has no private part to write");
	/* i2d_PrivateKey writes the type-specific form: PKCS#1 / SEC1 */
	n = i2d_PrivateKey(k->pkey, &buf);
	return take_buffer(buf, n, true, out, len, err);
}

int sf_key_public_der(const sf_key *k, uint8_t **out, size_t *len, sf_err *err)
{
	unsigned char *buf = NULL;
	int n = i2d_PUBKEY(k->pkey, &buf);
	*out = NULL;
	return take_buffer(buf, n, false, out, len, err);
}

static int pem_out(const sf_key *k, bool secret, char **out, size_t *len, sf_err *err)
{
	BIO *b = BIO_new(secret ? BIO_s_secmem() : BIO_s_mem());
	char *p = NULL;
	long n;
	int ok;
	*out = NULL;
	if (!b)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	ok = secret ? PEM_write_bio_PrivateKey(b, k->pkey, NULL, NULL, 0, NULL, NULL)
		    : PEM_write_bio_PUBKEY(b, k->pkey);
	n = BIO_get_mem_data(b, &p);
	if (ok != 1 || n <= 0 || !p) {
		BIO_free(b);
		ERR_clear_error();
		return sf_err_set(err, SF_EXIT_INTERNAL, "libcrypto could not write the key as PEM");
	}
	*out = malloc((size_t)n + 1);
	if (*out) {
		memcpy(*out, p, (size_t)n);
		(*out)[n] = '\0';
		*len = (size_t)n;
	}
	BIO_free(b); /* a secure-memory BIO wipes its buffer */
	if (!*out)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	return 0;
}

int sf_key_private_pem(const sf_key *k, char **out, size_t *len, sf_err *err)
{
	if (!k->is_private) {
		*out = NULL;
		return sf_err_set(err, SF_EXIT_REFUSED, "a public key has no private part to write");
	}
	return pem_out(k, true, out, len, err);
}

int sf_key_public_pem(const sf_key *k, char **out, size_t *len, sf_err *err)
{
	return pem_out(k, false, out, len, err);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

static const char *alg_upper(sf_key_alg a)
{
	return a == SF_KEY_RSA ? "RSA" : a == SF_KEY_EC ? "EC" : "no";
}

int sf_key_check_slot(const sf_key *k, const sf_profile *p, const sf_segment *seg,
		      size_t encoded_len, sf_err *err)
{
	bool server = ends_with(seg->name, "ServerKey");
	const char *suffix = server ? "ServerKey" : "PrivateKey";
	sf_key_alg want = sf_key_segment_alg(seg);
	char what[64];

	sf_key_describe(k, what, sizeof what);
	if (want == SF_KEY_ALG_NONE || (!server && !ends_with(seg->name, "PrivateKey")))
		return sf_err_set(err, SF_EXIT_REFUSED, "segment %s of profile %s holds no key (no key.alg)",
				  seg->name, p->id);
	if (server && k->is_private)
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "that is a %s; %s takes the server's public key (make it with 'openssl pkey -in KEY -pubout -out server.pub.pem')",
				  what, seg->name);
	if (!server && !k->is_private)
		return sf_err_set(err, SF_EXIT_REFUSED, "that is a %s; %s takes the device's private key",
				  what, seg->name);
	if (k->alg != want) {
		const sf_segment *fit = NULL;
		size_t plen = strlen(seg->name) - strlen(suffix);
		for (size_t i = 0; i < p->nsegments && !fit; i++)
			if (ends_with(p->segments[i].name, suffix) && sf_key_segment_alg(&p->segments[i]) == k->alg)
				fit = &p->segments[i];
		if (fit) {
			size_t flen = strlen(fit->name) - strlen(suffix);
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "the key is an %s, but %s (the %.*s protocol's slot) holds %s keys; %s keys go to %s: pass --protocol %.*s",
					  what, seg->name, (int)plen, seg->name, alg_upper(want), alg_upper(k->alg),
					  fit->name, (int)flen, fit->name);
		}
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "the key is an %s, but %s (the %.*s protocol's slot) holds %s keys, and profile %s has no slot for %s keys",
				  what, seg->name, (int)plen, seg->name, alg_upper(want), p->id, alg_upper(k->alg));
	}
	if (k->alg == SF_KEY_RSA) {
		int bits = server ? 2048 : 1024;
		if (k->bits != bits)
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "the key is RSA-%d, but %s holds RSA-%d keys (%s)", k->bits, seg->name, bits,
					  server ? "the device encrypts 256-byte blocks with the server key"
						 : "the device decrypts the cloud's 128-byte handshake blocks with it; 'sparkflash keys new' makes one");
		if (!k->e65537)
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "the RSA key's public exponent is not 65537, which the device firmware assumes");
	} else if (strcmp(k->curve, "prime256v1")) {
		return sf_err_set(err, SF_EXIT_REFUSED, "the key is on curve %s, but %s holds EC P-256 (prime256v1) keys",
				  curve_label(k->curve), seg->name);
	}
	if (seg->has_size && encoded_len > seg->size)
		return sf_err_set(err, SF_EXIT_REFUSED, "the key takes %zu bytes, but %s holds %u", encoded_len,
				  seg->name, (unsigned)seg->size);
	return 0;
}
