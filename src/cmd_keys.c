/* sparkflash keys: save/load the device private key, write the server key
 * image, read the server address. Key segments are protected: only these
 * commands write them. */
#include <config.h>

#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsontext.h"
#include "commands.h"
#include "image_io.h"
#include "keyimg.h"
#include "numparse.h"
#include "out.h"
#include "plan.h"
#include "usbop.h"

enum { OPT_PROTOCOL = SF_OPT_COMMAND_BASE, OPT_HOST, OPT_PORT, OPT_FORCE, OPT_LEAVE, OPT_NO_LEAVE };

static const struct option keys_opts[] = {
	{ "protocol", required_argument, NULL, OPT_PROTOCOL },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "leave", no_argument, NULL, OPT_LEAVE },
	{ "no-leave", no_argument, NULL, OPT_NO_LEAVE },
	{ NULL, 0, NULL, 0 },
};

struct keys_args {
	const char *protocol, *host, *port;
	bool force;
	sf_leave_mode leave;
};

static int keys_opt(sf_ctx *ctx, int opt, const char *arg, void *data)
{
	struct keys_args *k = data;
	switch (opt) {
	case OPT_PROTOCOL:
		if (strcmp(arg, "tcp") && strcmp(arg, "udp"))
			return sf_usage_error(ctx, "--protocol must be tcp or udp, not '%s'", arg);
		k->protocol = arg;
		return 0;
	case OPT_HOST: k->host = arg; return 0;
	case OPT_PORT: k->port = arg; return 0;
	case OPT_FORCE: k->force = true; return 0;
	case OPT_LEAVE: k->leave = SF_LEAVE_YES; return 0;
	case OPT_NO_LEAVE: k->leave = SF_LEAVE_NO; return 0;
	default: return sf_usage_error(ctx, "unknown option");
	}
}

static void segment_name(const sf_profile *p, const struct keys_args *k, const char *kind,
			 char *buf, size_t size)
{
	const char *proto = k->protocol ? k->protocol
				       : (p->default_protocol ? p->default_protocol : "tcp");
	snprintf(buf, size, "%s%s", proto, kind);
}

/* Plans against the --profile before anything runs (when given), then
 * selects the device and plans against its profile. */
static int plan_for(sf_usbop *u, sf_op_request *r, const struct keys_args *k, const char *kind,
		    char *seg, size_t segsize, sf_plan *pl, sf_err *err)
{
	int rc;
	if (!u->have_target) {
		if (u->ctx->profile) {
			sf_profile_path path;
			sf_profile p;
			sf_profile_path_init(&path, u->ctx->profiles_dirs, u->ctx->nprofiles_dirs);
			if ((rc = sf_profile_find(&path, u->ctx->profile, &p, err)))
				return rc;
			segment_name(&p, k, kind, seg, segsize);
			r->segment = seg;
			rc = sf_plan_make(&p, r, pl, err);
			sf_profile_free(&p);
			if (rc)
				return rc;
		}
		if ((rc = sf_usbop_select(u)))
			return -rc; /* already reported */
	}
	segment_name(&u->target.profile, k, kind, seg, segsize);
	r->segment = seg;
	return sf_plan_make(&u->target.profile, r, pl, err);
}

/* DER bytes from a PEM or DER file (PEM label checked against `want`). */
static int key_der(const char *file, const uint8_t *data, size_t len, bool public_key,
		   uint8_t **der, size_t *dlen, sf_err *err)
{
	size_t total;
	int rc;
	*der = NULL;
	if (sf_is_pem(data, len)) {
		char label[64];
		if ((rc = sf_pem_to_der(data, len, label, sizeof label, der, dlen, err)))
			return rc;
		if (public_key ? strcmp(label, "PUBLIC KEY")
			       : (strcmp(label, "RSA PRIVATE KEY") && strcmp(label, "EC PRIVATE KEY"))) {
			free(*der);
			*der = NULL;
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "'%s' holds a PEM '%s'; expected %s (convert with e.g. 'openssl %s -in %s -outform DER -out key.der')",
					  file, label,
					  public_key ? "'PUBLIC KEY'" : "'RSA PRIVATE KEY' or 'EC PRIVATE KEY'",
					  public_key ? "rsa -pubin -pubout" : "rsa", file);
		}
	} else {
		if (!(*der = malloc(len)))
			return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
		memcpy(*der, data, len);
		*dlen = len;
	}
	{
		sf_err derr = { 0 };
		if ((rc = sf_der_length(*der, *dlen, &total, &derr))) {
			free(*der);
			*der = NULL;
			return sf_err_set(err, SF_EXIT_REFUSED, "'%s': %s", file, derr.msg);
		}
	}
	return 0;
}

static int keys_save(sf_usbop *u, const struct keys_args *k, const char *file, sf_err *err)
{
	sf_op_request r = { .kind = SF_OP_KEYS_SAVE, .leave = k->leave };
	sf_plan pl;
	char seg[64];
	int rc = plan_for(u, &r, k, "PrivateKey", seg, sizeof seg, &pl, err);
	if (rc)
		return rc;
	sf_usbop_announce(u, "keys-save", &pl, file);
	if ((rc = sf_usbop_read_to(u, "keys-save", &pl, file, k->force, err)))
		return rc;
	if (!u->ctx->dry_run) {
		uint8_t *d = NULL;
		size_t n = 0;
		sf_err ignored = { 0 };
		sf_usbop_done(u, "saved %s (%" PRIu32 " bytes) to %s", seg, pl.length, file);
		/* a blank segment saves fine but is no key: 'keys load' of it
		 * would be refused later, so say it now */
		if (!sf_image_read(file, 64 * 1024, &d, &n, &ignored)) {
			size_t i = 0;
			while (i < n && d[i] == 0xFF)
				i++;
			if (i == n)
				sf_out_warning(u->ctx, "%s is blank (all 0xFF): the device has no key there; %s is not a usable key",
					       seg, file);
		}
		free(d);
	}
	return 0;
}

static int keys_load(sf_usbop *u, const struct keys_args *k, const char *file, sf_err *err)
{
	sf_op_request r = { .kind = SF_OP_KEYS_LOAD, .leave = k->leave };
	sf_op_request br = { .kind = SF_OP_KEYS_SAVE };
	sf_plan pl, bpl;
	char seg[64], backup[4200], tmp[4200] = "";
	uint8_t *data = NULL, *der = NULL;
	size_t len, dlen;
	struct stat st;
	int rc;

	if ((rc = sf_image_read(file, 64 * 1024, &data, &len, err)))
		return rc;
	if ((rc = key_der(file, data, len, false, &der, &dlen, err)))
		goto out;
	r.file_size = dlen;
	if ((rc = plan_for(u, &r, k, "PrivateKey", seg, sizeof seg, &pl, err)))
		goto out;
	if ((rc = plan_for(u, &br, k, "PrivateKey", seg, sizeof seg, &bpl, err)))
		goto out;
	{
		/* FILE's directory, "<name>.backup-<serial>-<segment>.der" */
		char d[4096], b[4096];
		snprintf(d, sizeof d, "%s", file);
		snprintf(b, sizeof b, "%s", file);
		if (!sf_key_backup_name(dirname(d), basename(b), u->target.serial, seg, backup,
					sizeof backup)) {
			rc = sf_err_set(err, SF_EXIT_REFUSED, "the backup name for '%s' is too long", file);
			goto out;
		}
	}
	/* A write the alt check will refuse must not leave a backup behind
	 * (the retry with --force would then find it and stop). */
	if (!u->ctx->dry_run && (rc = sf_target_check_alt(u->ctx, &u->target, pl.alt, true, u->force, err)))
		goto out;
	if (lstat(backup, &st) == 0) {
		rc = sf_err_set(err, SF_EXIT_REFUSED,
				"backup '%s' already exists and may hold the only copy of a key; move it away first",
				backup);
		goto out;
	}
	sf_usbop_announce(u, "keys-backup", &bpl, backup);
	sf_usbop_announce(u, "keys-load", &pl, file);
	if ((rc = sf_usbop_read_to(u, "keys-backup", &bpl, backup, false, err)))
		goto out;
	if (!u->ctx->dry_run)
		sf_out_info(u->ctx, "saved the current %s to %s", seg, backup);
	{
		const char *dfile = file;
		struct stat fst;
		/* a pipe was consumed above; dfu-util needs a real file */
		bool copy = pl.pad || dlen != len || memcmp(der, data, len) ||
			    stat(file, &fst) != 0 || !S_ISREG(fst.st_mode) ||
			    !strncmp(file, "/dev/", 5) || !strncmp(file, "/proc/", 6);
		if (copy) {
			if (u->ctx->dry_run)
				dfile = "$TMPDIR/sparkflash-XXXXXX";
			else if ((rc = sf_tmp_write(der, dlen, pl.length, tmp, sizeof tmp, err)))
				goto out;
			else
				dfile = tmp;
		}
		if ((rc = sf_usbop_transfer(u, "keys-load", &pl, dfile,
					    copy ? "a private DER copy of the key" : NULL, err)))
			goto out;
	}
	if (!u->ctx->dry_run)
		sf_usbop_done(u, "loaded %s (%zu bytes) into %s%s", file, dlen, seg,
			    pl.leave ? "; the device leaves DFU mode" : "");
out:
	if (tmp[0])
		unlink(tmp);
	free(data);
	free(der);
	return rc;
}

static int keys_server(sf_usbop *u, const struct keys_args *k, const char *file, sf_err *err)
{
	sf_op_request r = { .kind = SF_OP_KEYS_SERVER, .leave = k->leave };
	sf_plan pl;
	char seg[64], tmp[4200] = "";
	uint8_t *data = NULL, *der = NULL, *img = NULL;
	size_t len, dlen;
	long port = -1;
	const sf_segment *s;
	uint32_t ssize;
	int rc;

	if (k->port) {
		uint32_t v;
		if (sf_parse_u32_strict(k->port, &v) != SF_NUM_OK || v == 0 || v > 65535)
			return sf_err_set(err, SF_EXIT_REFUSED, "--port '%s' is not a port number (1-65535)", k->port);
		port = (long)v;
	}
	if ((rc = sf_image_read(file, 64 * 1024, &data, &len, err)))
		return rc;
	if ((rc = key_der(file, data, len, true, &der, &dlen, err)))
		goto out;
	/* plan with the segment size first (the image fills it) */
	r.file_size = 1;
	if ((rc = plan_for(u, &r, k, "ServerKey", seg, sizeof seg, &pl, err)))
		goto out;
	s = sf_profile_segment(&u->target.profile, seg);
	ssize = s && s->has_size ? s->size : 0;
	if (!ssize) {
		rc = sf_err_set(err, SF_EXIT_REFUSED, "segment %s has no size in profile %s", seg,
				u->target.profile.id);
		goto out;
	}
	if ((rc = sf_keyimg_build(der, dlen, s, ssize, k->host, port, &img, err)))
		goto out;
	r.file_size = ssize;
	if ((rc = sf_plan_make(&u->target.profile, &r, &pl, err)))
		goto out;
	sf_usbop_announce(u, "keys-server", &pl, file);
	{
		const char *dfile = "$TMPDIR/sparkflash-XXXXXX";
		if (!u->ctx->dry_run) {
			if ((rc = sf_tmp_write(img, ssize, pl.length, tmp, sizeof tmp, err)))
				goto out;
			dfile = tmp;
		}
		if ((rc = sf_usbop_transfer(u, "keys-server", &pl, dfile,
					    "the server-key image built from the key", err)))
			goto out;
	}
	if (!u->ctx->dry_run) {
		sf_server_addr a;
		char url[300] = "";
		if (!sf_keyimg_decode(img, ssize, s, &a, err))
			sf_server_addr_url(&a, url, sizeof url);
		sf_usbop_done(u, "wrote the server key into %s (%" PRIu32 " bytes, server %s); the device stays in DFU mode",
			    seg, ssize, url);
	}
out:
	if (tmp[0])
		unlink(tmp);
	free(data);
	free(der);
	free(img);
	return rc;
}

/* spark-cli.md 5.3: without --protocol, a UDP-default device whose
 * transport byte (DCT flag) is not 0xFF has been switched to TCP, so its
 * address is read from tcpServerKey. Sets k->protocol when it decides. */
static int transport_protocol(sf_usbop *u, struct keys_args *k, sf_err *err)
{
	const sf_profile *p = &u->target.profile;
	sf_op_request r = { .kind = SF_OP_READ_SEGMENT, .segment = "transport", .leave = SF_LEAVE_NO };
	sf_plan pl;
	uint8_t *b = NULL;
	size_t len = 0;
	int rc;

	if (k->protocol || !p->default_protocol || strcmp(p->default_protocol, "udp") ||
	    !sf_profile_segment(p, "transport"))
		return 0;
	if ((rc = sf_plan_make(p, &r, &pl, err)))
		return rc;
	pl.length = 1;
	if ((rc = sf_usbop_read_mem(u, "keys-transport", &pl, &b, &len, err)))
		return rc;
	if (!u->ctx->dry_run && len >= 1 && b[0] != 0xFF) {
		k->protocol = "tcp";
		if (u->ctx->verbose)
			sf_out_info(u->ctx, "the transport flag is 0x%02x (not 0xff): the device uses TCP; reading tcpServerKey",
				    b[0]);
	}
	free(b);
	return 0;
}

static int keys_address(sf_usbop *u, const struct keys_args *k, json_t **extra, sf_err *err)
{
	sf_op_request r = { .kind = SF_OP_KEYS_ADDRESS, .leave = k->leave };
	sf_plan pl;
	char seg[64], url[300];
	uint8_t *img = NULL;
	size_t len;
	sf_server_addr a;
	struct keys_args kk = *k;
	int rc = plan_for(u, &r, k, "ServerKey", seg, sizeof seg, &pl, err);
	if (rc)
		return rc;
	if ((rc = transport_protocol(u, &kk, err)))
		return rc;
	if (kk.protocol && (rc = plan_for(u, &r, &kk, "ServerKey", seg, sizeof seg, &pl, err)))
		return rc;
	sf_usbop_announce(u, "keys-address", &pl, NULL);
	if ((rc = sf_usbop_read_mem(u, "keys-address", &pl, &img, &len, err)))
		return rc;
	if (u->ctx->dry_run)
		return 0;
	rc = sf_keyimg_decode(img, len, sf_profile_segment(&u->target.profile, seg), &a, err);
	free(img);
	if (rc)
		return rc;
	sf_server_addr_url(&a, url, sizeof url);
	snprintf(u->summary, sizeof u->summary, "%s names the server %s", seg, url);
	if (u->ctx->json)
		*extra = json_pack("{s:o, s:o, s:i, s:b, s:s}", "address", sf_json_text(url), "host", sf_json_text(a.host), "port",
				   (int)a.port, "default", a.type == SF_ADDR_DEFAULT,
				   "protocol", a.udp ? "udp" : "tcp");
	else
		printf("%s\n", url);
	return 0;
}

int cmd_keys(sf_ctx *ctx, int argc, char **argv)
{
	struct keys_args k = { 0 };
	sf_usbop u;
	sf_err err = { 0 };
	json_t *extra = NULL;
	const char *sub;
	int first, rc, npos;

	rc = sf_cli_parse(ctx, argc, argv, "", keys_opts, keys_opt, &k, &first);
	if (rc == SF_CLI_HELP)
		return SF_EXIT_OK;
	if (rc)
		return rc;
	npos = argc - first;
	if (npos < 1)
		return sf_usage_error(ctx, "give a subcommand: save, load, server or address");
	sub = argv[first];
	if ((!strcmp(sub, "save") || !strcmp(sub, "load") || !strcmp(sub, "server")) && npos != 2)
		return sf_usage_error(ctx, "keys %s takes one FILE", sub);
	if (!strcmp(sub, "address") && npos != 1)
		return sf_usage_error(ctx, "keys address takes no arguments");
	if ((k.host || k.port) && strcmp(sub, "server"))
		return sf_usage_error(ctx, "--host and --port go with keys server");

	sf_usbop_init(&u, ctx);
	u.force = k.force;
	if (npos == 2 && (rc = sf_usbop_check_log(ctx, argv[first + 1], &err)))
		; /* reported by sf_usbop_finish below */
	else if (!strcmp(sub, "save"))
		rc = keys_save(&u, &k, argv[first + 1], &err);
	else if (!strcmp(sub, "load"))
		rc = keys_load(&u, &k, argv[first + 1], &err);
	else if (!strcmp(sub, "server"))
		rc = keys_server(&u, &k, argv[first + 1], &err);
	else if (!strcmp(sub, "address"))
		rc = keys_address(&u, &k, &extra, &err);
	else {
		sf_usbop_free(&u);
		return sf_usage_error(ctx, "unknown keys subcommand '%s' (save, load, server, address)", sub);
	}
	if (rc < 0) /* device selection failed and was reported */
		rc = -rc;
	else
		rc = sf_usbop_finish(&u, rc, &err, extra);
	sf_usbop_free(&u);
	return rc;
}
