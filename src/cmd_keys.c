/* sparkflash keys: make a device key pair, save/load the device private key,
 * send its public key to the cloud, do all three (doctor), write the server
 * key image, read the server address, switch the transport protocol. Key
 * segments are protected: only these commands write them.
 *
 * Keys are read, made and written by keyfmt.c (libcrypto); this file does
 * the files, the device (through usbop, whose judge decides every transfer)
 * and the cloud (cmd_cloud.c). Private key bytes never reach stdout, the
 * log or an argv: files holding them are created with mode 0600 through
 * fileio.c, temporary copies live in private temporary files, and buffers
 * are wiped before they are freed. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cloud_cmd.h"
#include "commands.h"
#include "dfuargv.h"
#include "fileio.h"
#include "image_io.h"
#include "jsontext.h"
#include "keyfmt.h"
#include "keyimg.h"
#include "numparse.h"
#include "out.h"
#include "plan.h"
#include "result.h"
#include "usbop.h"

#define KEY_FILE_MAX (64 * 1024)

enum {
	OPT_PROTOCOL = SF_OPT_COMMAND_BASE, OPT_HOST, OPT_PORT, OPT_FORCE, OPT_LEAVE, OPT_NO_LEAVE,
	OPT_API_URL, OPT_CACERT, OPT_CONNECT_TIMEOUT, OPT_MAX_TIME, OPT_PRODUCT
};

static const struct option keys_opts[] = {
	{ "protocol", required_argument, NULL, OPT_PROTOCOL },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "leave", no_argument, NULL, OPT_LEAVE },
	{ "no-leave", no_argument, NULL, OPT_NO_LEAVE },
	{ "api-url", required_argument, NULL, OPT_API_URL },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "max-time", required_argument, NULL, OPT_MAX_TIME },
	{ "product", required_argument, NULL, OPT_PRODUCT },
	{ "product_id", required_argument, NULL, OPT_PRODUCT }, /* particle-cli's spelling */
	{ NULL, 0, NULL, 0 },
};

struct keys_args {
	const char *protocol, *host, *port;
	bool force;
	sf_leave_mode leave;
	const char *api_url, *cacert, *product;
	long connect_timeout, max_time;
	bool cloud_opts; /* one of the options above was given */
	int data_fd;     /* keys save -: standard output's descriptor, else -1 */
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
	case OPT_API_URL: k->api_url = arg; k->cloud_opts = true; return 0;
	case OPT_CACERT: k->cacert = arg; k->cloud_opts = true; return 0;
	case OPT_PRODUCT:
		if (!*arg)
			return sf_usage_error(ctx, "empty --product");
		k->product = arg;
		k->cloud_opts = true;
		return 0;
	case OPT_CONNECT_TIMEOUT:
		k->cloud_opts = true;
		return sf_cli_whole_seconds(ctx, "--connect-timeout", arg, &k->connect_timeout);
	case OPT_MAX_TIME:
		k->cloud_opts = true;
		return sf_cli_whole_seconds(ctx, "--max-time", arg, &k->max_time);
	default: return sf_usage_error(ctx, "unknown option");
	}
}

static const char *protocol_of(const sf_profile *p, const struct keys_args *k)
{
	return k->protocol ? k->protocol : (p->default_protocol ? p->default_protocol : "tcp");
}

static void segment_name(const sf_profile *p, const struct keys_args *k, const char *kind,
			 char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", protocol_of(p, k), kind);
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

/* ---- files ------------------------------------------------------------- */

/* Reads and parses a key file; messages name the file. *raw (optional)
 * gets the file's bytes (wipe them). */
static int read_key(const char *file, sf_key *key, uint8_t **raw, size_t *rawlen, sf_err *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	sf_err kerr = { 0 };
	int rc;
	memset(key, 0, sizeof *key);
	if ((rc = sf_image_read(file, KEY_FILE_MAX, &data, &len, err)))
		return rc;
	if ((rc = sf_key_parse(data, len, key, &kerr))) {
		sf_key_wipe_free(data, len);
		if (!strcmp(file, "-"))
			return sf_err_set(err, rc, "standard input: %s", kerr.msg);
		return sf_err_set(err, rc, "'%s': %s", file, kerr.msg);
	}
	if (raw) {
		*raw = data;
		*rawlen = len;
	} else {
		sf_key_wipe_free(data, len);
	}
	return 0;
}

/* Writes `path` (mode `mode`): a new file, or with `force` a replacement
 * of a regular file; never half a file, never through a link. */
static int write_file(const char *path, const void *data, size_t len, mode_t mode, bool force, sf_err *err)
{
	return sf_write_file(path, data, len, mode, force, err);
}

/* Reads `pl` into a new file with mode 0600 (a private key): dfu-util
 * writes into a private temporary directory, the bytes are then written to
 * `outfile` atomically. *data (optional) keeps the bytes (wipe them). */
static int read_private(sf_usbop *u, const char *op, const sf_plan *pl, const char *outfile, bool force,
			uint8_t **data, size_t *len, sf_err *err)
{
	uint8_t *d = NULL;
	size_t n = 0;
	int rc;
	if (data)
		*data = NULL;
	if ((rc = sf_usbop_check_outfile(outfile, force, err)))
		return rc;
	if (u->ctx->dry_run)
		return sf_usbop_transfer(u, op, pl, outfile,
					 "dfu-util reads into a private temporary directory; the file is then created with mode 0600",
					 err);
	if ((rc = sf_usbop_read_mem(u, op, pl, &d, &n, err)))
		return rc;
	rc = write_file(outfile, d, n, 0600, force, err);
	if (!rc && data) {
		*data = d;
		*len = n;
	} else {
		sf_key_wipe_free(d, n);
	}
	return rc;
}

static bool all_ff(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (d[i] != 0xFF)
			return false;
	return true;
}

/* "NAME" without a key file extension: keys new makes NAME.pem,
 * NAME.pub.pem and NAME.der (spark-cli's names). */
static void key_base(const char *name, char *out, size_t size)
{
	size_t n = strlen(name);
	static const char *const exts[] = { ".pub.pem", ".pem", ".der" };
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		size_t e = strlen(exts[i]);
		if (n > e && !strcmp(name + n - e, exts[i])) {
			n -= e;
			break;
		}
	}
	snprintf(out, size, "%.*s", (int)n, name);
}

/* Appends " WORD" (shell-quoted) to buf. */
static void append_word(char *buf, size_t size, const char *word)
{
	char *q = sf_shell_quote(word);
	size_t n = strlen(buf);
	if (q && n + 1 < size)
		snprintf(buf + n, size - n, " %s", q);
	free(q);
}

/* "sparkflash keys load FILE [--protocol P] [--serial SN] [--leave]" */
static void load_command(const sf_usbop *u, const struct keys_args *k, const char *file, bool leave,
			 char *buf, size_t size)
{
	snprintf(buf, size, "sparkflash keys load");
	append_word(buf, size, file);
	if (k->protocol) {
		append_word(buf, size, "--protocol");
		append_word(buf, size, k->protocol);
	}
	if (u->target.serial[0]) {
		append_word(buf, size, "--serial");
		append_word(buf, size, u->target.serial);
	}
	if (leave)
		append_word(buf, size, "--leave");
}

static void send_command(const char *id, const char *file, const struct keys_args *k, char *buf, size_t size)
{
	snprintf(buf, size, "sparkflash keys send");
	append_word(buf, size, id);
	append_word(buf, size, file);
	if (k->product) {
		append_word(buf, size, "--product");
		append_word(buf, size, k->product);
	}
	if (k->api_url) {
		append_word(buf, size, "--api-url");
		append_word(buf, size, k->api_url);
	}
}

/* What the segment held before a load, and the command that puts it back. */
static void restore_hint(const sf_usbop *u, const struct keys_args *k, const char *seg, const char *backup,
			 const uint8_t *old, size_t oldlen, char *buf, size_t size)
{
	sf_key key;
	sf_err e;
	const sf_segment *s = sf_profile_segment(&u->target.profile, seg);
	char cmd[1400];
	if (all_ff(old, oldlen)) {
		snprintf(buf, size, "%s was blank before (all 0xFF, saved in %.700s): there is no old key to put back",
			 seg, backup);
		return;
	}
	if (!sf_key_parse(old, oldlen, &key, &e)) {
		bool fits = key.is_private && key.alg == sf_key_segment_alg(s);
		sf_key_free(&key);
		if (fits) {
			load_command(u, k, backup, false, cmd, sizeof cmd);
			snprintf(buf, size, "the previous key is saved in %.700s; put it back with: %.1000s", backup, cmd);
			return;
		}
	}
	/* not a key keys load takes: the raw bytes go back as they were */
	snprintf(cmd, sizeof cmd, "sparkflash flash --segment %s", seg);
	append_word(cmd, sizeof cmd, backup);
	append_word(cmd, sizeof cmd, "--allow-protected");
	append_word(cmd, sizeof cmd, seg);
	if (u->target.serial[0]) {
		append_word(cmd, sizeof cmd, "--serial");
		append_word(cmd, sizeof cmd, u->target.serial);
	}
	snprintf(buf, size, "the previous contents of %s (no key sparkflash can read) are saved in %.700s; put them back with: %.1000s",
		 seg, backup, cmd);
}

/* ---- keys save --------------------------------------------------------- */

static int keys_save(sf_usbop *u, const struct keys_args *k, const char *file, sf_err *err)
{
	sf_op_request r = { .kind = SF_OP_KEYS_SAVE, .leave = k->leave };
	sf_plan pl;
	char seg[64];
	uint8_t *d = NULL;
	size_t n = 0;
	int rc = plan_for(u, &r, k, "PrivateKey", seg, sizeof seg, &pl, err);
	if (rc)
		return rc;
	sf_usbop_announce(u, "keys-save", &pl, file);
	if (k->data_fd >= 0) {
		/* asked for on standard output: the bytes go there and nowhere else */
		file = "standard output";
		if ((rc = sf_usbop_read_mem(u, "keys-save", &pl, &d, &n, err)))
			return rc;
		if (!u->ctx->dry_run && sf_out_write_data(k->data_fd, d, n) != 0) {
			rc = sf_err_set(err, SF_EXIT_INTERNAL, "cannot write the key to standard output: %s",
					strerror(errno));
			sf_key_wipe_free(d, n);
			return rc;
		}
	} else if ((rc = read_private(u, "keys-save", &pl, file, k->force, &d, &n, err))) {
		return rc;
	}
	if (!u->ctx->dry_run) {
		sf_key key;
		sf_err kerr;
		char what[64];
		if (all_ff(d, n)) {
			sf_usbop_done(u, "saved %s (%" PRIu32 " bytes) to %s", seg, pl.length, file);
			/* a blank segment saves fine but is no key: 'keys load' of
			 * it would be refused later, so say it now */
			sf_out_warning(u->ctx, "%s is blank (all 0xFF): the device has no key there; what was saved to %s is no usable key",
				       seg, file);
		} else if (sf_key_parse(d, n, &key, &kerr)) {
			sf_usbop_done(u, "saved %s (%" PRIu32 " bytes) to %s", seg, pl.length, file);
			sf_out_warning(u->ctx, "%s does not hold a key sparkflash can read (%s)", seg, kerr.msg);
		} else {
			sf_usbop_done(u, "saved %s (%" PRIu32 " bytes: an %s) to %s", seg, pl.length,
				      sf_key_describe(&key, what, sizeof what), file);
			sf_key_free(&key);
		}
	}
	sf_key_wipe_free(d, n);
	return 0;
}

/* ---- keys load (also step 2 of keys doctor) ----------------------------- */

struct load_state {
	char seg[64];
	char backup[4200];      /* the backup's name once chosen */
	bool backed_up;         /* it was written */
	char hint[2000];        /* how to put the previous key back */
	bool written;           /* the new key was written */
	bool left;              /* the leave request went through */
	size_t der_len;
};

/* The first free "FILE.backup-SERIAL-SEGMENT-STAMP[-N].der" in dir. */
static int backup_name(const sf_usbop *u, const char *dir, const char *base, const char *seg, char *out,
		       size_t size, sf_err *err)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	for (unsigned n = 0; n < 1000; n++) {
		struct stat st;
		if (!sf_key_backup_name(dir, base, u->target.serial, seg, stamp, n, out, size))
			return sf_err_set(err, SF_EXIT_REFUSED, "the backup name for '%s/%s' is too long", dir, base);
		if (lstat(out, &st) != 0 && errno == ENOENT)
			return 0;
	}
	return sf_err_set(err, SF_EXIT_REFUSED, "no free backup name for '%s/%s' (1000 taken)", dir, base);
}

/* Writes `key` into <proto>PrivateKey: backs up the current key first (a
 * new file next to `backup_for`, mode 0600), writes the device's DER form
 * with the rest of the segment 0xFF (no byte of the old key stays), then,
 * with `leave`, sends the leave request as a separate step (the key
 * segment itself never leaves DFU mode: sf_plan_leave_only). `label`
 * names the key in messages. */
static int load_key(sf_usbop *u, const struct keys_args *k, const sf_key *key, const char *label,
		    const char *backup_for, bool leave, struct load_state *ls, sf_err *err)
{
	sf_op_request r = { .kind = SF_OP_KEYS_LOAD, .leave = SF_LEAVE_NO };
	sf_op_request br = { .kind = SF_OP_KEYS_SAVE };
	sf_plan pl, bpl, lpl;
	const sf_segment *s = NULL;
	uint8_t *der = NULL, *img = NULL, *old = NULL;
	size_t dlen = 0, oldlen = 0;
	char tmp[4200] = "";
	int rc;

	/* first the segment, to know its size (the image fills it) */
	r.file_size = 1;
	if ((rc = plan_for(u, &r, k, "PrivateKey", ls->seg, sizeof ls->seg, &pl, err)))
		return rc;
	s = sf_profile_segment(&u->target.profile, ls->seg);
	if (!s || !s->has_size)
		return sf_err_set(err, SF_EXIT_REFUSED, "segment %s has no size in profile %s", ls->seg,
				  u->target.profile.id);
	/* the kind of key first (a public key has no device form), then its size */
	if ((rc = sf_key_check_slot(key, &u->target.profile, s, 0, err)) ||
	    (rc = sf_key_device_der(key, &der, &dlen, err)) ||
	    (rc = sf_key_check_slot(key, &u->target.profile, s, dlen, err))) {
		char m[SF_ERR_MSG_MAX];
		snprintf(m, sizeof m, "%s", err->msg);
		sf_err_set(err, rc, "%s: %s", label, m);
		goto out;
	}
	ls->der_len = dlen;
	if (!(img = malloc(s->size))) {
		rc = sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
		goto out;
	}
	memset(img, 0xFF, s->size);
	memcpy(img, der, dlen);
	r.file_size = s->size;
	if ((rc = plan_for(u, &r, k, "PrivateKey", ls->seg, sizeof ls->seg, &pl, err)) ||
	    (rc = plan_for(u, &br, k, "PrivateKey", ls->seg, sizeof ls->seg, &bpl, err)))
		goto out;
	{
		char d[4096], b[4096];
		snprintf(d, sizeof d, "%s", backup_for);
		snprintf(b, sizeof b, "%s", backup_for);
		if ((rc = backup_name(u, dirname(d), basename(b), ls->seg, ls->backup, sizeof ls->backup, err)))
			goto out;
	}
	/* A write the alt check will refuse must not leave a backup behind. */
	if (!u->ctx->dry_run && (rc = sf_target_check_alt(u->ctx, &u->target, pl.alt, true, u->force, err)))
		goto out;
	if ((rc = sf_usbop_check_outfile(ls->backup, false, err)))
		goto out;
	sf_usbop_announce(u, "keys-backup", &bpl, ls->backup);
	sf_usbop_announce(u, "keys-load", &pl, label);
	if (leave) {
		sf_plan_leave_only(&pl, &lpl);
		sf_usbop_announce(u, "leave", &lpl, NULL);
	}
	if ((rc = read_private(u, "keys-backup", &bpl, ls->backup, false, &old, &oldlen, err))) {
		char m[SF_ERR_MSG_MAX];
		snprintf(m, sizeof m, "%s", err->msg);
		sf_err_set(err, rc, "%s; nothing was written (%s still holds its key)", m, ls->seg);
		goto out;
	}
	if (!u->ctx->dry_run) {
		ls->backed_up = true;
		restore_hint(u, k, ls->seg, ls->backup, old, oldlen, ls->hint, sizeof ls->hint);
		sf_out_info(u->ctx, "saved the current %s to %s", ls->seg, ls->backup);
	}
	{
		const char *dfile = "$TMPDIR/sparkflash-XXXXXX";
		if (!u->ctx->dry_run && (rc = sf_tmp_write(img, s->size, pl.length, tmp, sizeof tmp, err)))
			goto out;
		if (!u->ctx->dry_run)
			dfile = tmp;
		rc = sf_usbop_transfer(u, "keys-load", &pl, dfile,
				       "a private copy: the key in the device's form, 0xFF up to the segment size", err);
		if (tmp[0]) {
			sf_tmp_remove(tmp);
			tmp[0] = '\0';
		}
		if (rc) {
			char m[SF_ERR_MSG_MAX];
			snprintf(m, sizeof m, "%s", err->msg);
			sf_err_set(err, rc, "%s; the previous key is saved in %s", m, ls->backup);
			goto out;
		}
	}
	ls->written = true;
	if (leave) {
		if ((rc = sf_usbop_transfer(u, "leave", &lpl, NULL, "the leave request, after the key was written", err))) {
			char m[SF_ERR_MSG_MAX];
			snprintf(m, sizeof m, "%s", err->msg);
			sf_err_set(err, rc, "the key was written, but the leave request failed: %s; reset the device to start it", m);
			goto out;
		}
		ls->left = true;
	}
out:
	if (tmp[0])
		sf_tmp_remove(tmp);
	sf_key_wipe_free(der, dlen);
	sf_key_wipe_free(img, s && s->has_size ? s->size : 0);
	sf_key_wipe_free(old, oldlen);
	return rc;
}

static int keys_load(sf_usbop *u, const struct keys_args *k, const char *file, json_t **extra, sf_err *err)
{
	sf_key key;
	struct load_state ls = { 0 };
	char what[64];
	int rc;

	if ((rc = read_key(file, &key, NULL, NULL, err)))
		return rc;
	/* a key from standard input: its backup goes to ./stdin.backup-... */
	rc = load_key(u, k, &key, strcmp(file, "-") ? file : "standard input", strcmp(file, "-") ? file : "stdin",
		      k->leave == SF_LEAVE_YES, &ls, err);
	if (!rc && !u->ctx->dry_run)
		sf_usbop_done(u, "loaded %s (an %s, %zu bytes as %s DER) into %s; the old key is saved in %s%s",
			      strcmp(file, "-") ? file : "standard input",
			      sf_key_describe(&key, what, sizeof what), ls.der_len,
			      key.alg == SF_KEY_RSA ? "PKCS#1" : "SEC1", ls.seg, ls.backup,
			      ls.left ? "; the device leaves DFU mode" : "");
	*extra = json_pack("{s:o}", "backup", ls.backed_up ? sf_json_text(ls.backup) : json_null());
	if (rc && ls.hint[0])
		json_object_set_new(*extra, "recovery", sf_json_text(ls.hint));
	sf_key_free(&key);
	return rc;
}

/* ---- keys server ------------------------------------------------------- */

static int keys_server(sf_usbop *u, const struct keys_args *k, const char *file, sf_err *err)
{
	sf_op_request r = { .kind = SF_OP_KEYS_SERVER, .leave = k->leave };
	sf_plan pl;
	char seg[64], tmp[4200] = "";
	uint8_t *data = NULL, *pub = NULL, *img = NULL;
	const uint8_t *input;
	size_t len = 0, plen = 0, in_len;
	long port = -1;
	const sf_segment *s;
	uint32_t ssize;
	sf_key key = { 0 };
	int rc;

	if (k->port) {
		uint32_t v;
		if (sf_parse_u32_strict(k->port, &v) != SF_NUM_OK || v == 0 || v > 65535)
			return sf_err_set(err, SF_EXIT_REFUSED, "--port '%s' is not a port number (1-65535)", k->port);
		port = (long)v;
	}
	if ((rc = read_key(file, &key, &data, &len, err)))
		return rc;
	if ((rc = sf_key_public_der(&key, &pub, &plen, err)))
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
	if ((rc = sf_key_check_slot(&key, &u->target.profile, s, plen, err))) {
		char m[SF_ERR_MSG_MAX];
		snprintf(m, sizeof m, "%s", err->msg);
		sf_err_set(err, rc, "'%s': %s", file, m);
		goto out;
	}
	/* A SubjectPublicKeyInfo DER goes in as given: a file that already is
	 * an image (the key, then its address and port) keeps them. */
	if (!key.pem && !strcmp(key.form, "SubjectPublicKeyInfo")) {
		input = data;
		in_len = len;
	} else {
		input = pub;
		in_len = plen;
	}
	if ((rc = sf_keyimg_build(input, in_len, s, ssize, k->host, port, &img, err)))
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
		sf_tmp_remove(tmp);
	free(data);
	free(pub);
	free(img);
	sf_key_free(&key);
	return rc;
}

/* ---- keys address, keys protocol --------------------------------------- */

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

/* spark-cli.md 5.4: the transport byte is 0xFF for the device's default
 * protocol and 0x00 for the other one. */
static int keys_protocol(sf_usbop *u, const char *proto, json_t **extra, sf_err *err)
{
	sf_op_request r = { .kind = SF_OP_WRITE_SEGMENT, .segment = "transport", .file_size = 1,
			    .leave = SF_LEAVE_NO, .allow_protected = { "transport" }, .nallow_protected = 1 };
	sf_plan pl;
	const sf_profile *p;
	uint8_t flag;
	char tmp[4200] = "";
	int rc;

	if (u->ctx->profile && (rc = sf_usbop_preplan(u->ctx, &r, &pl, err)))
		goto check;
	if ((rc = sf_usbop_select(u)))
		return -rc;
	rc = sf_plan_make(&u->target.profile, &r, &pl, err);
check:
	p = u->have_target ? &u->target.profile : NULL;
	if (rc) {
		/* no transport segment: say which devices have one */
		if (p && !sf_profile_segment(p, "transport"))
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "profile %s has no transport flag: its devices always use %s",
					  p->id, p->default_protocol ? p->default_protocol : "tcp");
		if (!p && u->ctx->profile && strstr(err->msg, "transport"))
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "profile %s has no transport flag (no 'transport' segment): its devices always use their default protocol",
					  u->ctx->profile);
		return rc;
	}
	flag = p->default_protocol && !strcmp(p->default_protocol, proto) ? 0xFF : 0x00;
	sf_usbop_announce(u, "keys-protocol", &pl, NULL);
	{
		const char *dfile = "$TMPDIR/sparkflash-XXXXXX";
		if (!u->ctx->dry_run) {
			if ((rc = sf_tmp_write(&flag, 1, pl.length, tmp, sizeof tmp, err)))
				return rc;
			dfile = tmp;
		}
		rc = sf_usbop_transfer(u, "keys-protocol", &pl, dfile, "one byte: the transport flag", err);
		if (tmp[0])
			sf_tmp_remove(tmp);
		if (rc)
			return rc;
	}
	if (!u->ctx->dry_run)
		sf_usbop_done(u, "set the transport flag to 0x%02x: the device uses %s%s (from its next start)", flag,
			      proto, flag == 0xFF ? ", its default" : "");
	*extra = json_pack("{s:s, s:i}", "protocol", proto, "transport", flag);
	return 0;
}

/* ---- keys new ------------------------------------------------------------ */

struct key_files {
	char pem[4200], pub[4200], der[4200];
};

static void key_file_names(const char *base, struct key_files *f)
{
	snprintf(f->pem, sizeof f->pem, "%s.pem", base);
	snprintf(f->pub, sizeof f->pub, "%s.pub.pem", base);
	snprintf(f->der, sizeof f->der, "%s.der", base);
}

static json_t *key_files_json(const struct key_files *f)
{
	return json_pack("{s:o, s:o, s:o}", "private_pem", sf_json_text(f->pem), "private_der", sf_json_text(f->der),
			 "public_pem", sf_json_text(f->pub));
}

/* Makes a key pair and writes NAME.der, NAME.pem (private, 0600) and
 * NAME.pub.pem. Refuses existing files unless `force`; nothing is written
 * in a dry run. */
static int make_key_files(const sf_ctx *ctx, sf_key_alg alg, const struct key_files *f, bool force, sf_key *key,
			  sf_err *err)
{
	uint8_t *der = NULL;
	char *pem = NULL, *pub = NULL;
	size_t dl = 0, pl = 0, ul = 0;
	const char *names[] = { f->der, f->pem, f->pub };
	int rc;

	memset(key, 0, sizeof *key);
	for (size_t i = 0; i < 3; i++)
		if ((rc = sf_usbop_check_log(ctx, names[i], err)))
			return rc;
	for (size_t i = 0; i < 3; i++)
		if ((rc = sf_usbop_check_outfile(names[i], force, err))) {
			if (!force && strstr(err->msg, "pass --force"))
				sf_err_set(err, rc, "'%s' exists (a key made earlier?); pass --force to replace it, or move it away",
					   names[i]);
			return rc;
		}
	if ((rc = sf_key_generate(alg, key, err)))
		return rc;
	if (ctx->dry_run)
		return 0;
	if (!(rc = sf_key_device_der(key, &der, &dl, err)) && !(rc = sf_key_private_pem(key, &pem, &pl, err)) &&
	    !(rc = sf_key_public_pem(key, &pub, &ul, err)) && !(rc = write_file(f->der, der, dl, 0600, force, err)) &&
	    !(rc = write_file(f->pem, pem, pl, 0600, force, err)))
		rc = write_file(f->pub, pub, ul, 0644, force, err);
	sf_key_wipe_free(der, dl);
	sf_key_wipe_free(pem, pl);
	free(pub);
	if (rc)
		sf_key_free(key);
	return rc;
}

static int keys_new(sf_usbop *u, const struct keys_args *k, const char *name, json_t **extra, sf_err *err)
{
	const char *proto = k->protocol;
	sf_key_alg alg = SF_KEY_ALG_NONE;
	struct key_files f;
	char base[4096], what[64];
	sf_key key;
	int rc;

	key_base(name ? name : "device", base, sizeof base);
	if (!base[0])
		return sf_err_set(err, SF_EXIT_USAGE, "give a NAME for the key files");
	key_file_names(base, &f);
	if (!proto) {
		/* the device (or --profile) says which protocol, so which algorithm */
		sf_op_request r = { .kind = SF_OP_KEYS_SAVE };
		sf_plan pl;
		char seg[64];
		if ((rc = plan_for(u, &r, k, "PrivateKey", seg, sizeof seg, &pl, err)))
			return rc;
		proto = protocol_of(&u->target.profile, k);
		alg = sf_key_segment_alg(sf_profile_segment(&u->target.profile, seg));
	}
	if (alg == SF_KEY_ALG_NONE)
		alg = !strcmp(proto, "udp") ? SF_KEY_EC : SF_KEY_RSA;
	if ((rc = make_key_files(u->ctx, alg, &f, k->force, &key, err)))
		return rc;
	sf_key_describe(&key, what, sizeof what);
	if (u->ctx->dry_run)
		sf_out_info(u->ctx, "dry run: would write a new %s (%s) to %s, %s and %s", what, proto, f.der, f.pem,
			    f.pub);
	else
		sf_usbop_done(u, "made a new %s for the %s protocol: %s (for the device), %s (private), %s (public)",
			      what, proto, f.der, f.pem, f.pub);
	*extra = json_pack("{s:o, s:s, s:s}", "files", key_files_json(&f), "algorithm", sf_key_alg_word(alg),
			   "protocol", proto);
	sf_key_free(&key);
	return 0;
}

/* ---- keys send ----------------------------------------------------------- */

/* A 24-hex-digit device ID, lower-cased into id[25]. */
static bool device_id(const char *given, char id[25])
{
	size_t n = strlen(given);
	if (n != 24)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)given[i]))
			return false;
		id[i] = (char)tolower((unsigned char)given[i]);
	}
	id[24] = '\0';
	return true;
}

static void fill_key_req(sf_cloud_key_req *q, const struct keys_args *k, const char *id)
{
	memset(q, 0, sizeof *q);
	q->device_id = id;
	q->product = k->product;
	q->api_url = k->api_url;
	q->cacert = k->cacert;
	q->connect_timeout = k->connect_timeout;
	q->max_time = k->max_time;
}

/* Sends the public part of `key` for device `id`; records the keys-send
 * operation. Warns when the key is not what devices use. */
static int send_key(sf_usbop *u, const struct keys_args *k, const char *id, const sf_key *key, const char *file,
		    sf_err *err)
{
	sf_cloud_key_req q;
	char *pem = NULL, url[2048] = "", what[64];
	size_t plen = 0;
	long status = 0;
	const char *algword = key->alg == SF_KEY_RSA ? "rsa" : "ecc";
	int rc;

	fill_key_req(&q, k, id);
	{
		sf_key pub = *key; /* only its public part is sent */
		pub.is_private = false;
		sf_key_describe(&pub, what, sizeof what);
	}
	if ((key->alg == SF_KEY_RSA && key->bits != 1024) ||
	    (key->alg == SF_KEY_EC && strcmp(key->curve, "prime256v1")))
		sf_out_warning(u->ctx, "%s holds an %s key; devices use RSA-1024 (TCP) or EC P-256 (UDP) keys", file, what);
	if ((rc = sf_key_public_pem(key, &pem, &plen, err)))
		return rc;
	q.public_pem = pem;
	q.algorithm = algword;
	if ((rc = sf_cloud_key_check(u->ctx, &q, false, url, sizeof url, err)))
		goto out;
	if (u->ctx->dry_run) {
		if (!u->ctx->json)
			printf("POST %s deviceID=%s algorithm=%s filename=cli order=manual_<ms>%s%s publicKey=<the %zu-byte public key PEM of %s>\n",
			       url, id, algword, k->product ? " product_id=" : "", k->product ? k->product : "", plen,
			       file);
		json_array_append_new(u->ops, json_pack("{s:s, s:o, s:s, s:s, s:o, s:n, s:b}", "operation", "keys-send",
							"file", sf_json_text(file), "device_id", id, "algorithm",
							algword, "url", sf_json_text(url), "http_status", "ok", 1));
		goto out;
	}
	sf_out_info(u->ctx, "sending the public key from %s (%s) for device %s to %s", file, what, id, url);
	rc = sf_cloud_send_key(u->ctx, &q, &status, err);
	json_array_append_new(u->ops, json_pack("{s:s, s:o, s:s, s:s, s:o, s:o, s:b}", "operation", "keys-send",
						"file", sf_json_text(file), "device_id", id, "algorithm", algword,
						"url", sf_json_text(url),
						"http_status", status ? json_integer(status) : json_null(),
						"ok", rc == 0));
out:
	free(pem);
	return rc;
}

/* The device object of a keys send/doctor result: the USB device (when
 * there is one) with the cloud ID. */
static json_t *device_json(const sf_usbop *u, const char *given, const char *id)
{
	json_t *d;
	if (u->have_target) {
		d = sf_target_json(&u->target);
	} else {
		sf_result_device rd;
		sf_result_device_init(&rd);
		d = sf_result_device_json(&rd);
	}
	json_object_set_new(d, "given", sf_json_text(given));
	json_object_set_new(d, "id", id ? json_string(id) : json_null());
	return d;
}

static int keys_send(sf_usbop *u, const struct keys_args *k, const char *given, const char *file,
		     json_t **extra, sf_err *err)
{
	char id[25], alt[4200];
	const char *path = file;
	sf_key key;
	struct stat st;
	int rc;

	*extra = json_pack("{s:o}", "device", device_json(u, given, NULL));
	if (!device_id(given, id))
		return sf_err_set(err, SF_EXIT_USAGE,
				  "'%s' is not a device ID (24 hex digits); 'sparkflash cloud list' shows the IDs", given);
	json_object_set_new(*extra, "device", device_json(u, given, id));
	/* spark-cli: a missing FILE is tried as FILE-without-extension.pub.pem */
	if (stat(file, &st) != 0 && errno == ENOENT) {
		char base[4096];
		key_base(file, base, sizeof base);
		snprintf(alt, sizeof alt, "%s.pub.pem", base);
		if (strcmp(alt, file) && stat(alt, &st) == 0)
			path = alt;
	}
	if ((rc = read_key(path, &key, NULL, NULL, err)))
		return rc;
	rc = send_key(u, k, id, &key, path, err);
	if (!rc && !u->ctx->dry_run) {
		char what[64];
		key.is_private = false; /* what was sent */
		sf_usbop_done(u, "the cloud accepted the public key of device %s (%s, from %s)", id,
			      sf_key_describe(&key, what, sizeof what), path);
	}
	sf_key_free(&key);
	return rc;
}

/* ---- keys doctor ----------------------------------------------------------- */

static int doctor_fail(json_t *extra, const char *step, int rc, sf_err *err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The error names the step; what to do next goes to `recovery` (printed
 * after the error, and in the JSON result). */
static int doctor_fail(json_t *extra, const char *step, int rc, sf_err *err, const char *fmt, ...)
{
	char recovery[8192], cause[SF_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(recovery, sizeof recovery, fmt, ap);
	va_end(ap);
	snprintf(cause, sizeof cause, "%s", err->msg);
	sf_err_set(err, rc, "keys doctor stopped at the %s step: %s", step, cause);
	json_object_set_new(extra, "failed_step", json_string(step));
	json_object_set_new(extra, "recovery", sf_json_text(recovery));
	return rc;
}

/* spark-cli's keys doctor: a new key pair, loaded with leave, its public
 * key sent to the cloud; stops at the first failure and says how to go on
 * or back. The cloud is checked first (token, API), so a device is never
 * given a key the cloud cannot be told about for want of a login. */
static int keys_doctor(sf_usbop *u, const struct keys_args *k, const char *given, json_t **extra, sf_err *err)
{
	char id[25], seg[64], base[64], url[2048], cmd1[4400], cmd2[4400], what[64];
	sf_cloud_key_req q;
	sf_op_request r = { .kind = SF_OP_KEYS_SAVE };
	sf_plan pl;
	sf_key_alg alg;
	struct key_files f;
	struct load_state ls = { 0 };
	sf_key key = { 0 };
	int rc;

	*extra = json_pack("{s:o, s:n, s:n, s:n, s:n}", "device", device_json(u, given, NULL), "files", "backup",
			   "failed_step", "recovery");
	if (!device_id(given, id))
		return sf_err_set(err, SF_EXIT_USAGE,
				  "'%s' is not a device ID (24 hex digits); 'sparkflash cloud list' shows the IDs", given);
	json_object_set_new(*extra, "device", device_json(u, given, id));

	fill_key_req(&q, k, id);
	if ((rc = sf_cloud_key_check(u->ctx, &q, !u->ctx->dry_run, url, sizeof url, err)))
		return doctor_fail(*extra, "check", rc, err,
				   "nothing was changed on the device or in the cloud; fix that, then run keys doctor again");

	if ((rc = plan_for(u, &r, k, "PrivateKey", seg, sizeof seg, &pl, err)))
		return rc;
	json_object_set_new(*extra, "device", device_json(u, given, id));
	/* A Particle device's USB serial is its device ID: a key made for one
	 * device must not land on another. (The Core's serial is not its ID.) */
	if (strlen(u->target.serial) == 24 && strcasecmp(u->target.serial, id))
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "the device in DFU mode has serial %s, which is its device ID, not %s; connect device %s, or select it with --serial",
				  u->target.serial, id, id);
	alg = sf_key_segment_alg(sf_profile_segment(&u->target.profile, seg));
	if (alg == SF_KEY_ALG_NONE)
		return sf_err_set(err, SF_EXIT_REFUSED, "segment %s of profile %s holds no key", seg, u->target.profile.id);
	/* particle-cli's names: DEVICEID_<alg>_new (spark-cli 0.3.0: COREID_new) */
	snprintf(base, sizeof base, "%s_%s_new", id, sf_key_alg_word(alg));
	key_file_names(base, &f);
	json_object_set_new(*extra, "files", key_files_json(&f));

	/* step 1: new */
	if ((rc = make_key_files(u->ctx, alg, &f, k->force, &key, err)))
		return doctor_fail(*extra, "new", rc, err, "nothing was changed on the device or in the cloud");
	if (!u->ctx->dry_run)
		sf_out_info(u->ctx, "made a new %s: %s, %s, %s", sf_key_describe(&key, what, sizeof what), f.der,
			    f.pem, f.pub);

	/* step 2: load with leave */
	load_command(u, k, f.der, true, cmd1, sizeof cmd1);
	send_command(id, f.pub, k, cmd2, sizeof cmd2);
	rc = load_key(u, k, &key, f.der, f.der, true, &ls, err);
	if (ls.backed_up)
		json_object_set_new(*extra, "backup", sf_json_text(ls.backup));
	if (rc) {
		if (!ls.backed_up)
			rc = doctor_fail(*extra, "load", rc, err,
					 "the device still has its old key and the cloud was told nothing; after fixing that, run '%s' and then '%s' (or keys doctor again with --force)",
					 cmd1, cmd2);
		else if (!ls.written)
			rc = doctor_fail(*extra, "load", rc, err,
					 "the cloud was told nothing, and the key segment may be half written: load the new key with '%s' and send it with '%s'; or go back: %s",
					 cmd1, cmd2, ls.hint);
		else
			rc = doctor_fail(*extra, "load", rc, err,
					 "the new key is on the device and the cloud does not know it yet: run '%s', then reset the device; or go back: %s",
					 cmd2, ls.hint);
		goto out;
	}

	/* step 3: send */
	if ((rc = send_key(u, k, id, &key, f.pub, err))) {
		if (u->ctx->dry_run)
			rc = doctor_fail(*extra, "send", rc, err, "dry run: nothing was sent");
		else
			rc = doctor_fail(*extra, "send", rc, err,
					 "the device has the new key but the cloud does not know it, so the device cannot connect: retry with '%s'; or go back (in DFU mode): %s",
					 cmd2, ls.hint);
		goto out;
	}
	if (!u->ctx->dry_run)
		sf_usbop_done(u, "new %s in place on device %s and in the cloud (%s; the old key is saved in %s); %s",
			      what, id, f.der, ls.backup,
			      u->stayed_in_dfu ? "the device stayed in DFU mode: reset it to start with the new key"
					       : "the device restarts with it");
out:
	sf_key_free(&key);
	return rc;
}

/* ---- dispatch ------------------------------------------------------------- */

int cmd_keys(sf_ctx *ctx, int argc, char **argv)
{
	struct keys_args k = { 0 };
	sf_usbop u;
	sf_err err = { 0 };
	json_t *extra = NULL;
	const char *sub;
	char **pos;
	int first, rc, npos;

	rc = sf_cli_parse(ctx, argc, argv, "", keys_opts, keys_opt, &k, &first);
	if (rc == SF_CLI_HELP)
		return SF_EXIT_OK;
	if (rc)
		return rc;
	npos = argc - first;
	if (npos < 1)
		return sf_usage_error(ctx, "give a subcommand: new, save, load, send, doctor, server, address or protocol");
	sub = argv[first];
	pos = argv + first + 1;
	npos--;
	if ((!strcmp(sub, "save") || !strcmp(sub, "load") || !strcmp(sub, "server")) && npos != 1)
		return sf_usage_error(ctx, "keys %s takes one FILE", sub);
	if (!strcmp(sub, "address") && npos != 0)
		return sf_usage_error(ctx, "keys address takes no arguments");
	if (!strcmp(sub, "new") && npos > 1)
		return sf_usage_error(ctx, "keys new takes at most one NAME");
	if (!strcmp(sub, "send") && npos != 2)
		return sf_usage_error(ctx, "keys send takes a DEVICE ID and a key FILE");
	if (!strcmp(sub, "doctor") && npos != 1)
		return sf_usage_error(ctx, "keys doctor takes a DEVICE ID");
	if (!strcmp(sub, "protocol")) {
		if (npos != 1 || (strcmp(pos[0], "tcp") && strcmp(pos[0], "udp")))
			return sf_usage_error(ctx, "keys protocol takes tcp or udp");
		if (k.protocol)
			return sf_usage_error(ctx, "keys protocol takes the protocol as its argument, not --protocol");
	}
	if ((k.host || k.port) && strcmp(sub, "server"))
		return sf_usage_error(ctx, "--host and --port go with keys server");
	if (k.cloud_opts && strcmp(sub, "send") && strcmp(sub, "doctor"))
		return sf_usage_error(ctx, "--api-url, --cacert, --connect-timeout, --max-time and --product go with keys send and keys doctor");
	if (k.leave != SF_LEAVE_DEFAULT && (!strcmp(sub, "send") || !strcmp(sub, "doctor") || !strcmp(sub, "new")))
		return sf_usage_error(ctx, "--leave and --no-leave do not go with keys %s", sub);
	if (strcmp(sub, "new") && strcmp(sub, "save") && strcmp(sub, "load") && strcmp(sub, "send") &&
	    strcmp(sub, "doctor") && strcmp(sub, "server") && strcmp(sub, "address") && strcmp(sub, "protocol"))
		return sf_usage_error(ctx, "unknown keys subcommand '%s' (new, save, load, send, doctor, server, address, protocol)",
				      sub);

	k.data_fd = -1;
	if (!strcmp(sub, "save") && sf_out_names_stdout(pos[0]) && (rc = sf_cli_data_stdout(ctx, pos[0], &k.data_fd)))
		return rc;
	sf_usbop_init(&u, ctx);
	u.force = k.force;
	if (npos == 1 && strcmp(sub, "protocol") && strcmp(sub, "doctor") &&
	    (rc = sf_usbop_check_log(ctx, pos[0], &err)))
		; /* reported by sf_usbop_finish below */
	else if (!strcmp(sub, "new"))
		rc = keys_new(&u, &k, npos ? pos[0] : NULL, &extra, &err);
	else if (!strcmp(sub, "save"))
		rc = keys_save(&u, &k, pos[0], &err);
	else if (!strcmp(sub, "load"))
		rc = keys_load(&u, &k, pos[0], &extra, &err);
	else if (!strcmp(sub, "send"))
		rc = keys_send(&u, &k, pos[0], pos[1], &extra, &err);
	else if (!strcmp(sub, "doctor"))
		rc = keys_doctor(&u, &k, pos[0], &extra, &err);
	else if (!strcmp(sub, "server"))
		rc = keys_server(&u, &k, pos[0], &err);
	else if (!strcmp(sub, "address"))
		rc = keys_address(&u, &k, &extra, &err);
	else
		rc = keys_protocol(&u, pos[0], &extra, &err);
	if (rc < 0) { /* device selection failed and was reported */
		rc = -rc;
		json_decref(extra);
	} else {
		/* how to go on or back, after the error (JSON: "recovery") */
		const char *rec = rc ? json_string_value(json_object_get(extra, "recovery")) : NULL;
		char *recovery = rec ? strdup(rec) : NULL;
		rc = sf_usbop_finish(&u, rc, &err, extra);
		if (recovery)
			fprintf(stderr, "sparkflash: %s\n", recovery);
		free(recovery);
	}
	sf_usbop_free(&u);
	if (k.data_fd >= 0)
		close(k.data_fd);
	return rc;
}

/* The options of this command besides the common ones (commands.h). */
const struct option *const sf_options_keys[] = { keys_opts, NULL };
