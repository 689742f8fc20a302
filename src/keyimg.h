/* The server-key image a key segment holds (DER public key at 0, 0xFF
 * fill, address TLV at the profile's address offset, big-endian port at its
 * port offset; spark-cli.md §5.2), its decoding (`keys address`), and the
 * names of key backups. Reading and checking keys is keyfmt.h's. Pure. */
#ifndef SF_KEYIMG_H
#define SF_KEYIMG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "sf_error.h"

/* Total length (header + body) of the DER SEQUENCE at data[0] (libcrypto's
 * ASN.1 header reader): where the key ends in an image or a saved segment. */
int sf_der_length(const uint8_t *data, size_t len, size_t *total, sf_err *err);

/* Builds the image for `seg` (size seg_size): `input` is a DER public key,
 * or an existing image (DER followed by more bytes), copied at 0; the rest
 * is 0xFF. host (NULL = keep) goes in as an IPv4 TLV (type 0, 4 bytes) when
 * it has only digits and dots, else a domain TLV (type 1, name bytes); port
 * (< 0 = keep) as big-endian u16. *out is malloc'd, seg_size bytes. */
int sf_keyimg_build(const uint8_t *input, size_t in_len, const sf_segment *seg,
		    uint32_t seg_size, const char *host, long port, uint8_t **out,
		    sf_err *err);

typedef enum sf_addr_type {
	SF_ADDR_DEFAULT = 0,  /* 0xFF: the device uses its built-in server */
	SF_ADDR_IPV4,
	SF_ADDR_DOMAIN
} sf_addr_type;

typedef struct sf_server_addr {
	sf_addr_type type;
	char host[256];       /* dotted quad or name; the default name for DEFAULT */
	bool port_default;
	uint16_t port;        /* the default port when port_default */
	bool udp;             /* from the segment name (udp...) */
} sf_server_addr;

/* Decodes the address and port of an image read from `seg`. */
int sf_keyimg_decode(const uint8_t *img, size_t len, const sf_segment *seg,
		     sf_server_addr *out, sf_err *err);

/* "tcp://device.spark.io:5683" */
void sf_server_addr_url(const sf_server_addr *a, char *buf, size_t size);

/* "DIR/BASE.backup-SERIAL-SEGMENT-STAMP.der", or with "-N" before ".der"
 * when n > 0: a keys load backup. STAMP is the UTC time
 * ("20260102T030405Z") so every load gets its own name; the caller counts n
 * up until the name is free. The serial comes from the device (USB string):
 * anything but letters, digits, '-' and '_' becomes '_' so it cannot leave
 * DIR ("../", '/'); empty gives "device". Returns false when it does not fit
 * in out. */
bool sf_key_backup_name(const char *dir, const char *base, const char *serial,
			const char *segment, const char *stamp, unsigned n, char *out, size_t size);

#endif
