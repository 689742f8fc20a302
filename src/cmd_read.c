/* sparkflash read: upload a segment or ADDRESS:LENGTH into a new file. */
#include <config.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "numparse.h"
#include "out.h"
#include "plan.h"
#include "usbop.h"

enum { OPT_ALT = SF_OPT_COMMAND_BASE, OPT_FORCE, OPT_LEAVE, OPT_NO_LEAVE };

static const struct option read_opts[] = {
	{ "alt", required_argument, NULL, OPT_ALT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "leave", no_argument, NULL, OPT_LEAVE },
	{ "no-leave", no_argument, NULL, OPT_NO_LEAVE },
	{ NULL, 0, NULL, 0 },
};

static int read_opt(sf_ctx *ctx, int opt, const char *arg, void *data)
{
	sf_op_request *r = data;
	switch (opt) {
	case OPT_ALT: r->alt = arg; return 0;
	case OPT_FORCE: r->force = true; return 0;
	case OPT_LEAVE: r->leave = SF_LEAVE_YES; return 0;
	case OPT_NO_LEAVE: r->leave = SF_LEAVE_NO; return 0;
	default: return sf_usage_error(ctx, "unknown option");
	}
}

int cmd_read(sf_ctx *ctx, int argc, char **argv)
{
	sf_op_request r = { 0 };
	sf_usbop u;
	sf_err err = { 0 };
	sf_plan pl;
	char what[64] = "";
	const char *outfile;
	int first, rc, data_fd = -1;

	rc = sf_cli_parse(ctx, argc, argv, "", read_opts, read_opt, &r, &first);
	if (rc == SF_CLI_HELP)
		return SF_EXIT_OK;
	if (rc)
		return rc;
	if (argc - first != 2)
		return sf_usage_error(ctx, "give SEGMENT or ADDRESS:LENGTH, and OUTFILE");
	outfile = argv[first + 1];
	{
		const char *spec = argv[first];
		const char *colon = strchr(spec, ':');
		if (colon) {
			size_t n = (size_t)(colon - spec);
			if (n >= sizeof what)
				return sf_usage_error(ctx, "address '%.*s' is too long", (int)n, spec);
			memcpy(what, spec, n);
			what[n] = '\0';
			r.kind = SF_OP_READ_ADDRESS;
			r.address = what;
			r.length = colon + 1;
		} else {
			uint32_t n;
			sf_num_status st = sf_parse_u32_strict(spec, &n);
			if (st == SF_NUM_OK || st == SF_NUM_OCTAL || st == SF_NUM_RANGE)
				return sf_usage_error(ctx, "'%s' is an address: give ADDRESS:LENGTH (e.g. %s:0x1000) or a segment name",
						      spec, spec);
			r.kind = SF_OP_READ_SEGMENT;
			r.segment = spec;
		}
	}

	if (sf_out_names_stdout(outfile) && (rc = sf_cli_data_stdout(ctx, outfile, &data_fd)))
		return rc;
	sf_usbop_init(&u, ctx);
	if ((rc = sf_plan_check_syntax(&r, &err)))
		goto out;
	if (data_fd < 0 && ((rc = sf_usbop_check_outfile(outfile, r.force, &err)) ||
			    (rc = sf_usbop_check_log(ctx, outfile, &err))))
		goto out;
	if ((rc = sf_usbop_preplan(ctx, &r, &pl, &err)))
		goto out;
	if ((rc = sf_usbop_select(&u))) {
		sf_usbop_free(&u);
		return rc;
	}
	if ((rc = sf_plan_make(&u.target.profile, &r, &pl, &err)))
		goto out;
	sf_usbop_announce(&u, "read", &pl, data_fd >= 0 ? "-" : outfile);
	if (data_fd >= 0) {
		/* dfu-util reads into a private file; the bytes then go out */
		uint8_t *d = NULL;
		size_t n = 0;
		if ((rc = sf_usbop_read_mem(&u, "read", &pl, &d, &n, &err)))
			goto out;
		if (!ctx->dry_run && sf_out_write_data(data_fd, d, n) != 0)
			rc = sf_err_set(&err, SF_EXIT_INTERNAL, "cannot write the data to standard output: %s",
					strerror(errno));
		free(d);
		if (rc)
			goto out;
	} else if ((rc = sf_usbop_read_to(&u, "read", &pl, outfile, r.force, &err))) {
		goto out;
	}
	if (!ctx->dry_run)
		sf_usbop_done(&u, "read %" PRIu32 " bytes from %s%s0x%08" PRIx32 " on alt %d (%s) into %s",
			    pl.length, pl.segment, pl.segment[0] ? " at " : "", pl.address, pl.alt,
			    pl.alt_name, data_fd >= 0 ? "standard output" : outfile);
out:
	rc = sf_usbop_finish(&u, rc, &err, NULL);
	sf_usbop_free(&u);
	if (data_fd >= 0)
		close(data_fd);
	return rc;
}

/* The options of this command besides the common ones (commands.h). */
const struct option *const sf_options_read[] = { read_opts, NULL };
