/* Cloud flashing entry point shared with the USB `flash` command, which
 * routes `flash --cloud DEVICE FILE` and spark-cli's `flash DEVICE FILE`
 * (first argument not an address) here. */
#ifndef SF_CLOUD_CMD_H
#define SF_CLOUD_CMD_H

#include "cli.h"

/* Runs `cloud flash` with argv as for that subcommand: argv[0] = "flash",
 * then `DEVICE FILE` or `FILE --device A [--device B ...]` or
 * `FILE --all-online [--platform P]`, plus --jobs N, --product ID, --force,
 * --api-url URL, --cacert FILE, --connect-timeout S, --max-time S and the
 * common options. Returns an exit code (0, 2, 3, 9, 10, 11, 12) and prints
 * exactly one `result` event (per device) in JSON mode. */
int sf_cloud_flash_cmd(sf_ctx *ctx, int argc, char **argv);

#endif
