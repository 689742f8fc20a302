/* Keys as files hold them (PEM/DER, PKCS#1/#8, SEC1, SubjectPublicKeyInfo)
 * and the server-key images read back from a device. */
#include <config.h>

#include <stdio.h>

#include "fuzz.h"
#include "keyfmt.h"
#include "keyimg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sf_key k;
	sf_err err;
	uint8_t *der = NULL;
	char *pem = NULL;
	size_t len = 0;
	sf_segment seg = { .name = (char *)"tcpServerKey", .alt = 1, .address = 0x1000, .size = 2048,
			   .has_size = true, .is_protected = true };
	sf_server_addr addr;
	seg.key.present = true;
	snprintf(seg.key.format, sizeof seg.key.format, "der");
	snprintf(seg.key.alg, sizeof seg.key.alg, "rsa");
	seg.key.has_address_offset = seg.key.has_port_offset = true;
	seg.key.address_offset = 384;
	seg.key.port_offset = 450;
	if (sf_key_parse(data, size, &k, &err) == 0) {
		FUZZ_ASSERT(k.alg == SF_KEY_RSA || k.alg == SF_KEY_EC);
		FUZZ_ASSERT(k.der_len <= size || k.pem);
		if (sf_key_public_der(&k, &der, &len, &err) == 0)
			free(der);
		if (sf_key_public_pem(&k, &pem, &len, &err) == 0)
			free(pem);
		if (k.is_private) {
			if (sf_key_device_der(&k, &der, &len, &err) == 0)
				sf_key_wipe_free(der, len);
			if (sf_key_private_pem(&k, &pem, &len, &err) == 0)
				sf_key_wipe_free(pem, len);
		}
		sf_key_free(&k);
	} else {
		FUZZ_ASSERT(err.msg[0] != '\0');
	}
	if (sf_keyimg_decode(data, size, &seg, &addr, &err) == 0)
		FUZZ_ASSERT(addr.host[sizeof addr.host - 1] == '\0' || strlen(addr.host) < sizeof addr.host);
	return 0;
}
