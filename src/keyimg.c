#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyimg.h"

bool sf_is_pem(const uint8_t *data, size_t len)
{
	size_t i = 0;
	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	return len - i >= 11 && !memcmp(data + i, "-----BEGIN ", 11);
}

static const uint8_t *find_bytes(const uint8_t *hay, size_t hlen, const char *needle)
{
	size_t nlen = strlen(needle);
	if (nlen > hlen)
		return NULL;
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (!memcmp(hay + i, needle, nlen))
			return hay + i;
	return NULL;
}

static int b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

int sf_pem_to_der(const uint8_t *data, size_t len, char *label, size_t label_size,
		  uint8_t **der, size_t *der_len, sf_err *err)
{
	const uint8_t *begin = find_bytes(data, len, "-----BEGIN ");
	const uint8_t *lab, *lab_end, *body, *end;
	uint8_t *out;
	size_t n = 0, lablen;
	uint32_t acc = 0;
	int bits = 0;
	bool padding = false;

	*der = NULL;
	*der_len = 0;
	if (!begin)
		return sf_err_set(err, SF_EXIT_REFUSED, "no PEM '-----BEGIN' line found");
	lab = begin + 11;
	lab_end = find_bytes(lab, len - (size_t)(lab - data), "-----");
	if (!lab_end || memchr(lab, '\n', (size_t)(lab_end - lab)))
		return sf_err_set(err, SF_EXIT_REFUSED, "malformed PEM '-----BEGIN' line");
	lablen = (size_t)(lab_end - lab);
	if (label_size) {
		size_t c = lablen < label_size - 1 ? lablen : label_size - 1;
		memcpy(label, lab, c);
		label[c] = '\0';
	}
	body = lab_end + 5;
	end = find_bytes(body, len - (size_t)(body - data), "-----END ");
	if (!end)
		return sf_err_set(err, SF_EXIT_REFUSED, "PEM block has no '-----END' line");
	if (find_bytes(body, (size_t)(end - body), ":"))
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "PEM block has headers (an encrypted key?); decrypt it first, e.g. with openssl");
	out = malloc((size_t)(end - body) / 4 * 3 + 3);
	if (!out)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	for (const uint8_t *c = body; c < end; c++) {
		int v;
		if (*c == ' ' || *c == '\t' || *c == '\r' || *c == '\n')
			continue;
		if (*c == '=') {
			padding = true;
			continue;
		}
		v = b64val(*c);
		if (v < 0 || padding) {
			free(out);
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "PEM body is not valid base64 (byte 0x%02x at offset %zu)",
					  *c, (size_t)(c - data));
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	if (n == 0) {
		free(out);
		return sf_err_set(err, SF_EXIT_REFUSED, "PEM block is empty");
	}
	*der = out;
	*der_len = n;
	return 0;
}

int sf_der_length(const uint8_t *d, size_t len, size_t *total, sf_err *err)
{
	size_t body, hdr;
	if (len < 2 || d[0] != 0x30)
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "not a DER key: it does not start with an ASN.1 SEQUENCE (0x30)");
	if (d[1] < 0x80) {
		body = d[1];
		hdr = 2;
	} else {
		size_t nb = d[1] & 0x7F;
		if (nb == 0 || nb > 3 || len < 2 + nb)
			return sf_err_set(err, SF_EXIT_REFUSED, "not a DER key: bad ASN.1 length");
		body = 0;
		for (size_t i = 0; i < nb; i++)
			body = (body << 8) | d[2 + i];
		hdr = 2 + nb;
	}
	if (body > len - hdr)
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "DER key is truncated: its header says %zu bytes, the file has %zu",
				  body + hdr, len);
	*total = body + hdr;
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
			const char *segment, char *out, size_t size)
{
	char safe[128];
	size_t n = 0;
	int w;
	for (const char *c = serial ? serial : ""; *c && n < sizeof safe - 1; c++) {
		unsigned char ch = (unsigned char)*c;
		bool ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
			  (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_';
		safe[n++] = ok ? (char)ch : '_';
	}
	safe[n] = '\0';
	w = snprintf(out, size, "%s/%s.backup-%s-%s.der", dir, base, n ? safe : "device", segment);
	return w >= 0 && (size_t)w < size;
}
