/* Test driver for the dfu-util runner: runs sf_dfu_run (or sf_dfu_version)
 * with sparkflash's common options, as the device commands do, and reports
 * the outcome on stderr. Used by tests/t041-dfu-runner.sh.
 *   dfurun [COMMON OPTIONS] [--total N] -- DFU-UTIL-ARGS...
 *   dfurun [COMMON OPTIONS] --dfu-version */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dfu_runner.h"

enum { OPT_TOTAL = SF_OPT_COMMAND_BASE, OPT_VERSION };

struct opts {
	unsigned long total;
	int version;
};

/* cli.c looks commands up for usage lines; the driver has none. */
const struct sf_command *sf_command_find(const char *name)
{
	(void)name;
	return NULL;
}

static int handler(sf_ctx *ctx, int opt, const char *arg, void *data)
{
	struct opts *o = data;
	(void)ctx;
	if (opt == OPT_TOTAL)
		o->total = strtoul(arg, NULL, 10);
	else if (opt == OPT_VERSION)
		o->version = 1;
	else
		return 2;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "total", required_argument, NULL, OPT_TOTAL },
		{ "dfu-version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	sf_ctx ctx = { .argv0 = argv[0], .command = "dfurun" };
	struct opts o = { 0, 0 };
	sf_transcript t = { 0 };
	sf_err err = { 0, "" };
	int first, rc, outcome;

	rc = sf_cli_parse(&ctx, argc, argv, "", opts, handler, &o, &first);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (o.version) {
		char ver[64];
		rc = sf_dfu_version(&ctx, ver, sizeof ver, &err);
		if (rc)
			fprintf(stderr, "dfurun: %s\n", err.msg);
		else
			printf("%s\n", ver);
		return rc;
	}
	rc = sf_dfu_run(&ctx, (const char *const *)argv + first,
			&(sf_dfu_run_opts){ .total_bytes = o.total }, &t, &err);
	if (rc) {
		fprintf(stderr, "dfurun: error %d: %s\n", rc, err.msg);
		sf_transcript_free(&t);
		return rc;
	}
	outcome = sf_dfu_outcome_code(&ctx, &t, &err);
	fprintf(stderr, "dfurun: exited=%d status=%d signal=%d timed_out=%d lines=%zu outcome=%d%s%s\n",
		t.exited, t.exit_status, t.term_signal, t.timed_out, t.n, outcome,
		outcome ? " " : "", outcome ? err.msg : "");
	if (!outcome && !(t.exited && t.exit_status == 0))
		outcome = SF_EXIT_TRANSFER;
	sf_transcript_free(&t);
	return outcome;
}
