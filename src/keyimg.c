#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>

#include "keyimg.h"

int sf_der_length(const uint8_t *d, size_t len, size_t *total, sf_err *err)
{
	const unsigned char *p = d;
	long body = 0;
	int tag = 0, cls = 0, r;
	if (len < 2 || d[0] != 0x30)
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "not a DER key: it does not start with an ASN.1 SEQUENCE (0x30)");
	r = ASN1_get_object(&p, &body, &tag, &cls, (long)(len > 0x7fffffff ? 0x7fffffff : len));
	ERR_clear_error();
	/* 0x80 alone: no readable header; bit 0: indefinite length (not DER) */
	if (r == 0x80 || (r & 1) || body < 0)
		return sf_err_set(err, SF_EXIT_REFUSED, "not a DER key: bad ASN.1 length");
	/* ASN1_get_object flags a body longer than the data (0x80 with the
	 * lengths set): the key was cut short */
	if ((size_t)body > len - (size_t)(p - d))
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "DER key is truncated: its header says %zu bytes, the file has %zu",
				  (size_t)body + (size_t)(p - d), len);
	*total = (size_t)body + (size_t)(p - d);
	return 0;
}

static bool is_ipv4_text(const char *h)
{
	if (!*h)
		return false;
	for (const char *c = h; *c; c++)
		if (!((*c >= '0' && *c <= '9') || *c == '.'))
			return false;
	return true;
}

static bool parse_ipv4(const char *h, uint8_t out[4])
{
	const char *c = h;
	for (int i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;
		while (*c >= '0' && *c <= '9') {
			v = v * 10 + (unsigned)(*c - '0');
			if (++digits > 3 || v > 255)
				return false;
			c++;
		}
		if (!digits)
			return false;
		out[i] = (uint8_t)v;
		if (i < 3) {
			if (*c != '.')
				return false;
			c++;
		}
	}
	return *c == '\0';
}

static bool valid_domain(const char *h)
{
	size_t n = strlen(h);
	if (n == 0 || n > 253)
		return false;
	for (const char *c = h; *c; c++) {
		unsigned char u = (unsigned char)*c;
		if (!((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
		      u == '.' || u == '-' || u == '_' || u == '$'))
			return false;
	}
	return true;
}

int sf_keyimg_build(const uint8_t *input, size_t in_len, const sf_segment *seg,
		    uint32_t seg_size, const char *host, long port, uint8_t **out, sf_err *err)
{
	size_t der_len;
	uint8_t *img;
	int rc;

	*out = NULL;
	if ((rc = sf_der_length(input, in_len, &der_len, err)))
		return rc;
	if (seg_size == 0 || in_len > seg_size)
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "the key is %zu bytes but segment %s holds %" PRIu32 " bytes",
				  in_len, seg->name, seg_size);
	if (port > 0xFFFF)
		return sf_err_set(err, SF_EXIT_REFUSED, "port %ld is out of range (1-65535)", port);
	img = malloc(seg_size);
	if (!img)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	memset(img, 0xFF, seg_size);
	memcpy(img, input, in_len);

	if (host) {
		uint32_t off = seg->key.address_offset, limit = seg_size;
		uint8_t ip[4];
		size_t hl = strlen(host);
		if (!seg->key.has_address_offset) {
			free(img);
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "segment %s has no address offset in the profile: cannot store a host",
					  seg->name);
		}
		if (seg->key.has_port_offset && seg->key.port_offset > off)
			limit = seg->key.port_offset;
		if (off < der_len || off >= limit) {
			free(img);
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "the %zu-byte key overlaps the address field at offset %" PRIu32 " of segment %s",
					  der_len, off, seg->name);
		}
		memset(img + off, 0xFF, limit - off);
		if (is_ipv4_text(host)) {
			if (!parse_ipv4(host, ip)) {
				free(img);
				return sf_err_set(err, SF_EXIT_REFUSED,
						  "'%s' is not an IPv4 address (four numbers 0-255 separated by dots)",
						  host);
			}
			if ((uint64_t)off + 6 > limit) {
				free(img);
				return sf_err_set(err, SF_EXIT_REFUSED, "no room for an IPv4 address in segment %s",
						  seg->name);
			}
			img[off] = 0;
			img[off + 1] = 4;
			memcpy(img + off + 2, ip, 4);
		} else {
			if (!valid_domain(host) || hl > 255) {
				free(img);
				return sf_err_set(err, SF_EXIT_REFUSED,
						  "'%s' is not a valid host name (letters, digits, '.', '-', '_', '$'; at most 253 bytes)",
						  host);
			}
			if ((uint64_t)off + 2 + hl > limit) {
				free(img);
				return sf_err_set(err, SF_EXIT_REFUSED,
						  "host name '%s' is %zu bytes; segment %s has room for %" PRIu32,
						  host, hl, seg->name, limit - off - 2);
			}
			img[off] = 1;
			img[off + 1] = (uint8_t)hl;
			memcpy(img + off + 2, host, hl);
		}
	}
	if (port >= 0) {
		uint32_t po = seg->key.port_offset;
		if (!seg->key.has_port_offset) {
			free(img);
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "segment %s has no port offset in the profile: cannot store a port",
					  seg->name);
		}
		if (po < der_len || (uint64_t)po + 2 > seg_size) {
			free(img);
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "the port offset %" PRIu32 " of segment %s collides with the key or the segment end",
					  po, seg->name);
		}
		img[po] = (uint8_t)(port >> 8);
		img[po + 1] = (uint8_t)port;
	}
	/* What we write must read back: an input image with a garbled address
	 * field is refused rather than copied. */
	{
		sf_server_addr check;
		sf_err derr;
		if (sf_keyimg_decode(img, seg_size, seg, &check, &derr)) {
			free(img);
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "the resulting image would not decode (%s); pass --host to replace the address field",
					  derr.msg);
		}
	}
	*out = img;
	return 0;
}

int sf_keyimg_decode(const uint8_t *img, size_t len, const sf_segment *seg,
		     sf_server_addr *out, sf_err *err)
{
	memset(out, 0, sizeof *out);
	out->udp = !strncmp(seg->name, "udp", 3);
	snprintf(out->host, sizeof out->host, "%s", out->udp ? "udp.particle.io" : "device.spark.io");
	out->port = out->udp ? 5684 : 5683;
	out->port_default = true;
	if (seg->key.has_address_offset) {
		uint32_t off = seg->key.address_offset;
		if ((uint64_t)off + 1 > len)
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "the image is %zu bytes, too short for the address at offset %" PRIu32,
					  len, off);
		if (img[off] == 0) {
			if ((uint64_t)off + 6 > len || img[off + 1] != 4)
				return sf_err_set(err, SF_EXIT_REFUSED,
						  "garbled IPv4 address field at offset %" PRIu32, off);
			out->type = SF_ADDR_IPV4;
			snprintf(out->host, sizeof out->host, "%u.%u.%u.%u", img[off + 2], img[off + 3],
				 img[off + 4], img[off + 5]);
		} else if (img[off] == 1) {
			size_t hl;
			if ((uint64_t)off + 2 > len || img[off + 1] == 0 || img[off + 1] == 0xFF ||
			    (uint64_t)off + 2 + img[off + 1] > len)
				return sf_err_set(err, SF_EXIT_REFUSED,
						  "garbled host name field at offset %" PRIu32, off);
			hl = img[off + 1];
			for (size_t i = 0; i < hl; i++)
				if (img[off + 2 + i] < 0x21 || img[off + 2 + i] > 0x7e)
					return sf_err_set(err, SF_EXIT_REFUSED,
							  "host name field at offset %" PRIu32 " has a non-printable byte",
							  off);
			out->type = SF_ADDR_DOMAIN;
			memcpy(out->host, img + off + 2, hl);
			out->host[hl] = '\0';
		} else if (img[off] != 0xFF) {
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "unknown address type 0x%02x at offset %" PRIu32, img[off], off);
		}
	}
	if (seg->key.has_port_offset) {
		uint32_t po = seg->key.port_offset;
		uint16_t v;
		if ((uint64_t)po + 2 > len)
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "the image is %zu bytes, too short for the port at offset %" PRIu32,
					  len, po);
		v = (uint16_t)(img[po] << 8 | img[po + 1]);
		if (v != 0xFFFF) {
			out->port = v;
			out->port_default = false;
		}
	}
	return 0;
}

void sf_server_addr_url(const sf_server_addr *a, char *buf, size_t size)
{
	snprintf(buf, size, "%s://%s:%u", a->udp ? "udp" : "tcp", a->host, (unsigned)a->port);
}

bool sf_key_backup_name(const char *dir, const char *base, const char *serial,
			const char *segment, const char *stamp, unsigned n, char *out, size_t size)
{
	char safe[128];
	size_t len = 0;
	int w;
	for (const char *c = serial ? serial : ""; *c && len < sizeof safe - 1; c++) {
		unsigned char ch = (unsigned char)*c;
		bool ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
			  (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_';
		safe[len++] = ok ? (char)ch : '_';
	}
	safe[len] = '\0';
	if (n)
		w = snprintf(out, size, "%s/%s.backup-%s-%s-%s-%u.der", dir, base, len ? safe : "device", segment,
			     stamp, n);
	else
		w = snprintf(out, size, "%s/%s.backup-%s-%s-%s.der", dir, base, len ? safe : "device", segment,
			     stamp);
	return w >= 0 && (size_t)w < size;
}
