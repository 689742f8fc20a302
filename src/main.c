/* sparkflash: flash Spark/Particle (and any profiled DfuSe) devices through
 * dfu-util, and over the air through the Particle Cloud. main() is the only
 * place that exits; commands return exit codes. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clidoc.h"
#include "commands.h"
#include "fileio.h"
#include "out.h"
#include "profile_io.h"
#include "selfdirs.h"
#include "sf_error.h"
#include "sim_env.h"
#include "suggest.h"

static int cmd_help(sf_ctx *ctx, int argc, char **argv);

static const struct sf_command commands[] = {
	/* Areas add their commands here, one line group each. */
	{ "list", cmd_list, "list DFU devices (dfu-util -l) with their profiles",
	  "sparkflash list [--json] [--serial SN] [--path BUS-PORT] [--profile NAME|PATH]",
	  "Runs 'dfu-util -l', groups its alt lines into devices and matches each\n"
	  "device to a profile by its DFU VID:PID (devices in normal, runtime mode\n"
	  "by the runtime VID:PID, with how to enter DFU mode). Shows serial, USB\n"
	  "path and the alt settings with their DfuSe layout strings, and warns when\n"
	  "a device's layouts differ from its profile's. --serial/--path show only\n"
	  "that device; --profile is matched before the profiles on the search path.\n"
	  "No device is not an error (exit 0); a device dfu-util may not open because\n"
	  "of USB permissions is (exit 5). --json: one \"device\" event per device,\n"
	  "then a \"result\" event with \"count\" and \"devices\".\n",
	  NULL, NULL, false },
	{ "flash", cmd_flash, "write a file to a device over USB (dfu-util), checked against its profile",
	  "sparkflash flash (--usb FILE... | --factory FILE | --segment NAME FILE | ADDRESS FILE [--alt N|NAME])\n"
	  "         [--force] [--allow-protected SEGMENT]... [--leave|--no-leave] [--verify]\n"
	  "         [--all [--count N] | --serial SN... | --path BUS-PORT...] [--jobs N] [--wait SECONDS]\n"
	  "         [--retries N] [--skip-unchanged | --diff] [--backup DIR] [--deadline SECONDS]\n"
	  "       sparkflash flash firmware FILE              (spark-cli 0.3.0's words for --usb FILE)\n"
	  "       sparkflash flash [--cloud] DEVICE FILE...   (over the air: see 'cloud flash')\n"
	  "       sparkflash flash cloud DEVICE FILE...       (spark-cli 0.3.0's words for the same)",
	  "  --usb FILE          user firmware (userFirmware); a Particle module goes where its\n"
	  "                      header says: monolithic -> systemFirmwareOne if the profile has it,\n"
	  "                      system part N -> systemFirmwareOne/Two/Three, user part ->\n"
	  "                      userFirmware; platform, CRC and the header's start address\n"
	  "                      must match unless --force;\n"
	  "                      bootloader, resource, settings, NCP and asset modules are refused\n"
	  "  --factory FILE      the factoryReset segment (applications only)\n"
	  "  --segment NAME FILE a named segment of the profile\n"
	  "  ADDRESS FILE        any address (0x hex or decimal; a leading zero without 0x is\n"
	  "                      refused as octal-looking); the alt is inferred when exactly one\n"
	  "                      alt's memory map contains it, else give --alt\n"
	  "  --allow-protected S let the write (or the pages it erases) touch protected segment S\n"
	  "  --force             also: write to an alt whose layout differs from the profile's\n"
	  "                      only in attribute letters (with a warning)\n"
	  "  --leave/--no-leave  override the segment's default (only userFirmware leaves)\n"
	  "  --verify            write without leaving DFU mode, read the range back and compare;\n"
	  "                      on a match leave DFU mode if the write would have (the default, or\n"
	  "                      --leave; never with --no-leave) with a separate\n"
	  "                      'dfu-util -a ALT -s ADDRESS:leave'; on a mismatch the device stays\n"
	  "                      in DFU mode and the exit is 7 (the differing bytes and ranges named)\n"
	  "  --usb A.bin B.bin   several Particle module images in one run: each goes where its\n"
	  "                      header says, system parts by index, then the user part; all are\n"
	  "                      checked before the first byte is sent; one leave, after the last;\n"
	  "                      a raw image among several is refused\n"
	  "  --usb NAME          a named app of spark-cli (tinker, voodoo, cc3000, doctor, ...) for\n"
	  "                      the device's profile: DIR/PROFILE/NAME.bin in --apps-dir DIR, then\n"
	  "                      SPARKFLASH_APPS (DIR:DIR...), then the installed apps directory;\n"
	  "                      sparkflash ships none (a missing one says where to put it); a file\n"
	  "                      of that name always wins; checked like any image (also --factory)\n"
	  "  --apps-dir DIR      look for named apps in DIR first\n"
	  "  -                   FILE '-' is standard input (read whole, at most 16 MiB)\n"
	  "CI and production:\n"
	  "  --all               every DFU-mode device the profiles (or --profile) describe; or\n"
	  "                      repeat --serial SN / --path BUS-PORT; one 'dfu-util -l', then all\n"
	  "                      devices at once, each line prefixed 'SERIAL: ' (JSON: \"serial\"),\n"
	  "                      a summary at the end; exit 0 when all succeeded, else the exit\n"
	  "                      code of the first failed device in listing order\n"
	  "  --jobs N            at most N devices at once (default: all)\n"
	  "  --wait SECONDS      wait that long for the device(s) in DFU mode (looking every\n"
	  "                      250 ms); with --all for at least --count N (default 1), with\n"
	  "                      --serial for all of them; then exit 4 naming what is missing\n"
	  "  --count N           with --all --wait: how many devices to wait for\n"
	  "  --retries N         retry a device N times after device-lost, transfer-stalled,\n"
	  "                      device-busy, write-failed, erase-failed (and leave-unconfirmed\n"
	  "                      with --verify), from a fresh listing, after 0.5 s, 1 s, 2 s (at\n"
	  "                      most 5 s); never after a refusal, permission, missing dfu-util\n"
	  "                      or a verify mismatch\n"
	  "  --skip-unchanged    read the pages the write would erase first (staying in DFU\n"
	  "                      mode); the same as a flash would leave: nothing is written\n"
	  "  --diff              read back and erase and write only the pages that differ, as\n"
	  "                      runs of adjacent pages (one dfu-util download each); the memory\n"
	  "                      ends up as a full flash leaves it\n"
	  "  --backup DIR        first save every page the write erases to\n"
	  "                      DIR/SERIAL-altN-0xADDR-LEN.bin (never overwritten; restore with\n"
	  "                      'flash 0xADDR FILE --alt N'); a failed backup writes nothing\n"
	  "  --deadline SECONDS  one limit for the whole command (waits, retries, every device):\n"
	  "                      past it dfu-util is stopped and the exit is 9\n"
	  "  --log FILE          with several devices a directory: one SERIAL.log each\n"
	  "  Every rule is checked before any USB traffic (exit 3 names the limit). Odd sizes on\n"
	  "  profiles with write_padding 2 are padded in a private copy; your file is never\n"
	  "  modified. A first argument that is not an address (or --cloud) flashes over the air,\n"
	  "  unless it looks like a mistake: a segment name, a command word (usb, factory, ...),\n"
	  "  a file or a malformed address (0x, 1e6, 08005000) is a usage error (exit 2) saying\n"
	  "  what was probably meant, and nothing is sent; --cloud sends it anyway.\n",
	  sf_options_flash, NULL, false },
	{ "read", cmd_read, "read a segment or ADDRESS:LENGTH from a device into a new file",
	  "sparkflash read (SEGMENT | ADDRESS:LENGTH) OUTFILE [--alt N|NAME] [--force] [--leave|--no-leave]",
	  "  SEGMENT          a segment of the profile, e.g. userFirmware (its whole size)\n"
	  "  ADDRESS:LENGTH   any readable range (0x hex or decimal); the alt is inferred when\n"
	  "                   exactly one alt maps ADDRESS, else give --alt N|NAME\n"
	  "  --force          replace an existing OUTFILE (a regular file; never a device or pipe)\n"
	  "  --leave          leave DFU mode after the read (default: stay)\n"
	  "  OUTFILE must not exist unless --force; dfu-util writes a temporary file in the same\n"
	  "  directory, renamed into place on success and removed on failure. OUTFILE '-' (or\n"
	  "  /dev/stdout) is standard output: not with --json, not a terminal; messages go to stderr.\n",
	  sf_options_read, NULL, false },
	{ "keys", cmd_keys, "make, save, load and send device keys; server key, address, protocol",
	  "sparkflash keys new [NAME] | save FILE | load FILE [--leave] | send DEVICE FILE | doctor DEVICE\n"
	  "       | server FILE [--host H] [--port P] | address | protocol tcp|udp   [--protocol tcp|udp] [--force]\n"
	  "       (send, doctor: [--product ID] [--api-url URL] [--cacert FILE] [--connect-timeout S] [--max-time S])",
	  "  new [NAME]    make a key pair: NAME.der (the device's form: PKCS#1 RSA-1024 for tcp,\n"
	  "                SEC1 EC P-256 for udp), NAME.pem (PKCS#8) and NAME.pub.pem; NAME\n"
	  "                defaults to 'device'; --protocol picks the algorithm, else the\n"
	  "                default_protocol of --profile or of the device in DFU mode\n"
	  "  save FILE     read <proto>PrivateKey into FILE (mode 0600; an existing FILE needs --force;\n"
	  "                '-' or /dev/stdout: standard output, not with --json, not a terminal)\n"
	  "  load FILE     write a private key (PKCS#1, PKCS#8 or SEC1; PEM or DER) into\n"
	  "                <proto>PrivateKey in the device's form, the rest 0xFF; first saves the\n"
	  "                current key as FILE.backup-<serial>-<segment>-<UTC time>.der (mode 0600)\n"
	  "                and, on a failure, says how to put it back; --leave: then leave DFU mode;\n"
	  "                FILE '-' is standard input (the backup: ./stdin.backup-...)\n"
	  "  send DEVICE FILE  send the public key of FILE (any key form; FILE.pub.pem when FILE\n"
	  "                is missing) for the device ID to the cloud (POST /v1/provisioning/ID)\n"
	  "  doctor DEVICE new + load with leave + send for that device ID, files\n"
	  "                ID_<alg>_new.{der,pem,pub.pem}; checks the cloud login first, stops at\n"
	  "                the first failure and says how to go on or back\n"
	  "  server FILE   write <proto>ServerKey: the server's public key (RSA-2048 for tcp, EC\n"
	  "                P-256 for udp; PEM or DER, or a saved image) at 0, 0xFF up to the\n"
	  "                segment size, --host (IPv4 if only digits and dots, else a name) and\n"
	  "                --port at the profile's offsets\n"
	  "  address       read <proto>ServerKey and print the server, e.g. tcp://device.spark.io:5683\n"
	  "  protocol P    set the transport flag: 0xFF for the device's default protocol, else 0x00\n"
	  "  <proto> is --protocol, else the profile's default_protocol; keys address on a\n"
	  "  UDP-default device first reads the transport flag: not 0xFF means TCP.\n"
	  "  A key must fit its segment: the algorithm of the profile's key.alg (the message names\n"
	  "  the protocol that takes the other one), RSA-1024 device keys, RSA-2048 server keys,\n"
	  "  exponent 65537, EC P-256. Key writes do not leave DFU mode unless --leave. When the\n"
	  "  device reports the key alt's layout with other attribute letters than the profile\n"
	  "  (e.g. \"...Ke\" for \"...Kg\"), save and address warn and go on; load and server refuse\n"
	  "  unless --force (then they warn). Cloud options and the token as for 'cloud':\n"
	  "  --product ID (also --product_id), --api-url URL, --cacert FILE, --connect-timeout S,\n"
	  "  --max-time S. --no-leave keeps a load in DFU mode.\n",
	  sf_options_keys, "new save load send doctor server address protocol", false },
	{ "cloud", cmd_cloud, "flash over the air, compile, list devices, log in/out (Particle Cloud)",
	  "sparkflash cloud flash DEVICE FILE... [--product ID] [--force] [--target V]\n"
	  "       sparkflash cloud flash FILE... (--device D... | --all-online [--platform P]) [--jobs N] [--force]\n"
	  "       sparkflash cloud compile PLATFORM SOURCE... [--output FILE|-] [--target V] [--product ID]\n"
	  "       sparkflash cloud list [FILTER] | login [--username U] | logout [--revoke]\n"
	  "       (all: [--api-url URL] [--cacert FILE] [--connect-timeout S] [--max-time S])",
	  "Cloud commands talk to the Particle Cloud REST API (--api-url URL,\n"
	  "PARTICLE_API_URL, the config's apiUrl, default https://api.particle.io).\n"
	  "\n"
	  "  cloud flash DEVICE FILE          flash FILE to a device name or ID\n"
	  "  cloud flash DEVICE SOURCE...     compile .ino/.cpp/.c/.h/.hpp files or a project\n"
	  "                                   directory for the device's platform, then flash it\n"
	  "  cloud flash FILE --device D ...  several devices at once (--jobs N, default 4)\n"
	  "  cloud flash FILE --all-online [--platform P]   (other platforms' devices are skipped)\n"
	  "  cloud compile PLATFORM SOURCE... compile only; the binary goes to --output FILE (-o;\n"
	  "                                   '-' for stdout; default PLATFORM_firmware_MS.bin)\n"
	  "  cloud list [FILTER]              devices (FILTER: online, offline, platform, name, ID)\n"
	  "  cloud login [--username U]       password from stdin; saves the token (mode 0600)\n"
	  "  cloud logout [--revoke]          removes the saved token (--revoke: also on the server)\n"
	  "\n"
	  "Flash options: --product ID (devices by ID), --force (platform mismatch / bad CRC),\n"
	  "  --jobs N, --cacert FILE, --connect-timeout S, --max-time S, --target VERSION\n"
	  "  (Device OS to compile against, default latest).\n"
	  "The token comes from PARTICLE_ACCESS_TOKEN, ~/.particle/<profile>.config.json,\n"
	  "then ~/.spark/spark.config.json; it is never accepted on the command line.\n"
	  "Exit codes: 10 not authenticated, 11 device unknown/offline/rejected,\n"
	  "12 network or server error, 13 the sources did not compile (the compiler's\n"
	  "output is shown), 9 timed out, 3 bad file.\n",
	  sf_options_cloud, "flash compile list login logout", false },
	{ "sim", cmd_sim, "simulated DfuSe devices for dfu-util (testing without hardware)",
	  "sparkflash --sim DIR sim add PROFILE [--serial SN] [--path BUS-PORT] [--mode dfu|runtime]\n"
	  "           [--timing fast|real] [--refused silent|stall|status] [--fault KIND[=ARG]]...\n"
	  "       sparkflash --sim DIR sim list [--json] | remove SN | reset SN [--runtime] | dump SN ALT OUTFILE [--force]\n"
	  "       sparkflash --sim DIR sim exec -- CMD ARGS...",
	  "  add PROFILE      add a device in DFU mode (profile name or file); serial and USB\n"
	  "                   path are generated unless given; DIR is created if missing;\n"
	  "                   --mode runtime: in normal mode (the profile's usb.runtime id,\n"
	  "                   a DFU runtime interface; dfu-util -e switches it to DFU mode)\n"
	  "  list             devices with profile, USB id, path, devnum, mode\n"
	  "                   (dfu|runtime|left|lost); after a leave a device with a runtime\n"
	  "                   id comes back in runtime mode, one without is 'left'\n"
	  "  remove SN        delete a device and its memory\n"
	  "  reset SN         bring a device back into DFU mode (--runtime: into runtime mode)\n"
	  "  dump SN ALT OUT  copy the whole memory of alt ALT to OUT (--force to overwrite)\n"
	  "  exec [--] CMD... run CMD (e.g. dfu-util) seeing the simulated devices instead of\n"
	  "                   USB; its exit status is passed through\n"
	  "  --timing fast    poll timeouts 0 (default); real: the profile's erase/program times\n"
	  "  --refused HOW    what the bootloader does with an erase or write it refuses\n"
	  "                   (read-only or protected page, unmapped address); default: the\n"
	  "                   profile's bootloader.refused (Core: silent; Photon, P1, Electron,\n"
	  "                   Duo: stall): silent (reports success, changes nothing: only a\n"
	  "                   read-back shows it; Core, Gen 2 before 0.4.9), stall (stalls the\n"
	  "                   status request; Gen 2 since 0.4.9), status (dfuERROR with\n"
	  "                   errTARGET/errWRITE/errADDRESS; the generic DfuSe device)\n"
	  "  --fault KIND     access (open denied), busy (interface claimed elsewhere),\n"
	  "                   lost=N (vanishes after N data blocks), replug=N@MS (drops off\n"
	  "                   the bus after N data blocks, back in DFU mode at a new devnum\n"
	  "                   MS ms later), status=errNAME@N (data block N fails with that\n"
	  "                   DFU status), stall=N (DFU request N stalls), erase-timeout=N\n"
	  "                   (page erase N never finishes: GETSTATUS times out),\n"
	  "                   ignore-leave (stays in DFU mode after :leave), stall-leave\n"
	  "                   (the leave request stalls; stays in DFU mode, dfuERROR),\n"
	  "                   reset-on-leave (resets before answering the status after leave);\n"
	  "                   once:KIND (not access/busy): one-shot, spent after the run it\n"
	  "                   happened in (a retry gets past it)\n"
	  "  Also SPARKFLASH_SIM=DIR instead of --sim DIR.\n",
	  sf_options_sim, "add list remove reset dump exec", false },
	{ "diagnose", cmd_diagnose, "explain a dfu-util log: what failed, why, and the fix",
	  "sparkflash diagnose [--json] [--no-host] [--rules-dir DIR] [LOGFILE|-]",
	  "Reads a dfu-util transcript (a file, or standard input when LOGFILE is - or\n"
	  "missing): a saved 'sparkflash --log' file, or output pasted from a terminal,\n"
	  "particle-cli, west or CI. Prints each finding as 'ID (severity): summary',\n"
	  "why it happened, the fix and the quoted evidence lines. IDs are stable (see\n"
	  "README). Exits 0 when the log shows success (also with warnings), else the\n"
	  "exit code of the most severe diagnosis.\n"
	  "  --json          one 'diagnosis' event per finding, then a 'result' event\n"
	  "  --no-host       do not add facts about this host (USB nodes, udev rules)\n"
	  "  --rules-dir DIR udev rules directory to check (repeatable)\n"
	  "Input is limited to 16 MiB. A file whose first line is\n"
	  "'#sparkflash-transcript exit=N' carries stream markers ('O ', 'E ');\n"
	  "the runner's --log files are read as they are.\n",
	  sf_options_diagnose, NULL, false },
	{ "doctor", cmd_doctor, "check the setup: dfu-util, profiles, udev rules, USB access, cloud",
	  "sparkflash doctor [--json] [--rules-dir DIR] [--api] [--api-url URL]",
	  "Checks, one line each (ok / warning / error / skipped): dfu-util is present\n"
	  "and runs, its version (warns about versions with known problems), the\n"
	  "profiles load, udev rules cover every profile's VID:PIDs, the DFU devices\n"
	  "'dfu-util -l' finds can be opened, a cloud token is present (its source is\n"
	  "named, the token never shown) and, with --api or a configured API URL, that\n"
	  "the API answers. Exit 0 when nothing is an error, else the code of the\n"
	  "first error. --json: one 'check' event per check, then a 'result' event.\n"
	  "  --rules-dir DIR  udev rules directory to check (repeatable; default the\n"
	  "                   system's: /etc, /run, /usr/lib and /lib udev/rules.d)\n"
	  "  --api            also check that the cloud API answers\n"
	  "  --api-url URL    the cloud API base URL to check (implies --api when it is\n"
	  "                   not the default; else PARTICLE_API_URL or the config file)\n",
	  sf_options_doctor, NULL, false },
	{ "udev", cmd_udev, "print or install udev rules for USB access to profiled devices",
	  "sparkflash udev print|install [--rules-dir DIR] [--json]",
	  "  print            the rules file (60-sparkflash.rules) for every profile's DFU\n"
	  "                   and normal-mode VID:PID: TAG+=\"uaccess\" for the logged-in\n"
	  "                   user, GROUP=\"plugdev\", MODE=\"0664\" as the fallback\n"
	  "  install          write it to the rules directory (temp file + rename), say\n"
	  "                   whether it was new, changed or unchanged, and print the\n"
	  "                   reload step (udevadm control --reload-rules && udevadm\n"
	  "                   trigger, then replug); --dry-run writes nothing\n"
	  "  --rules-dir DIR  rules directory (default /etc/udev/rules.d)\n"
	  "Exit 5 when the directory is not writable (run with sudo).\n",
	  sf_options_udev, "print install", false },
	{ "profiles", cmd_profiles, "list, show and check device profiles",
	  "sparkflash profiles list | show NAME|PATH | check FILE... [--json] [--profiles-dir DIR]",
	  "  list             every profile along the search path (--profiles-dir DIRs,\n"
	  "                   SPARKFLASH_PROFILES, the built-in profiles: the source tree's when\n"
	  "                   run from the build tree, else the installed ones): id, name, DFU\n"
	  "                   VID:PID, platform, file; none at all is an error (exit 3) naming\n"
	  "                   every directory looked in\n"
	  "  show NAME|PATH   alts with their memory regions (page size, count, flags r/e/w),\n"
	  "                   segments and protected ranges; NAME is looked up as NAME.json,\n"
	  "                   anything with '/' or ending in .json is a file\n"
	  "  check FILE...    validate profile files; the first broken one is reported as\n"
	  "                   FILE:LINE:COLUMN: problem (exit 3)\n"
	  "  --json           list: a JSON array; show: a JSON object; check: NDJSON events\n",
	  NULL, "list show check", false },
	{ "inspect", cmd_inspect, "show what an image file is: raw or Particle module, platform, CRC",
	  "sparkflash inspect [--json] FILE",
	  "Reads FILE (at most 16 MiB; '-' is standard input) and prints its size\n"
	  "and, for a Particle module, the prefix offset, platform, function, index,\n"
	  "start/end address, version, flags, dependencies, suffix (product\n"
	  "id/version, SHA-256), the CRC-32 (stored vs computed) and the size check;\n"
	  "also any DFU suffix and whether dfu-util would strip a Stellaris/LPC-like\n"
	  "prefix. A bad CRC is reported as BAD but is not an error: the exit status\n"
	  "is 0 whenever the file was read, 3 when it is missing, unreadable, empty,\n"
	  "too large or a directory (2 for '-' when standard input is a terminal).\n"
	  "--json prints one object ({\"event\":\"inspect\", ...}) on stdout.\n",
	  NULL, NULL, false },
	{ "help", cmd_help, "show the help of a command (or of sparkflash)",
	  "sparkflash help [COMMAND]",
	  "Prints the same text as 'sparkflash COMMAND --help' (without COMMAND: as\n"
	  "'sparkflash --help'). 'man sparkflash' has all of it in one page.\n",
	  NULL, NULL, false },
	/* for the shell completions: 'profiles' and 'segments [PROFILE]' */
	{ "__complete", cmd_complete, "words for shell completion", "sparkflash __complete profiles|segments [PROFILE]",
	  NULL, NULL, NULL, true },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, false },
};

const struct sf_command *sf_command_table(void)
{
	return commands;
}

const struct sf_command *sf_command_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; commands[i].name; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void print_help(FILE *f)
{
	size_t n;
	fprintf(f,
		"usage: sparkflash [GLOBAL OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Flash Spark/Particle and other DfuSe devices through dfu-util, checked\n"
		"against a device profile before anything is sent.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; commands[i].name; i++)
		if (!commands[i].hidden)
			fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nGlobal options (also accepted after the command):\n");
	sf_cli_print_optdocs(f);
	fprintf(f, "\nLong options are spelled out in full: sparkflash never takes an abbreviation.\n"
		   "'-' is standard input for flash, keys load and inspect, standard output for\n"
		   "read and keys save.\n");
	/* the exit codes, wrapped */
	{
		size_t col = 0;
		fprintf(f, "\nExit codes:");
		col = strlen("Exit codes:");
		int last = 0; /* the last code listed here ends the sentence */
		n = sf_exit_docs(0, &(int){ 0 }, &(const char *){ NULL }, &(const char *){ NULL });
		for (size_t i = 0; i < n; i++) {
			int code;
			const char *brief, *meaning;
			sf_exit_docs(i, &code, &brief, &meaning);
			if (code <= 128 && code > last)
				last = code;
		}
		for (size_t i = 0; i < n; i++) {
			int code;
			const char *brief, *meaning;
			char w[96];
			sf_exit_docs(i, &code, &brief, &meaning);
			if (code > 128)
				continue; /* said once below */
			snprintf(w, sizeof w, "%d %s%s", code, brief, code == last ? "." : ",");
			if (col + 1 + strlen(w) > 78) {
				fprintf(f, "\n");
				col = 0;
			} else {
				fputc(' ', f);
				col++;
			}
			fputs(w, f);
			col += strlen(w);
		}
		fprintf(f, "\n128 + N: stopped by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).\n"
			   "See 'man sparkflash' for every exit code and diagnosis id.\n");
	}
}

/* The command names a user may type (for "did you mean"). */
static size_t visible_names(const char **names, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; commands[i].name && n < max; i++)
		if (!commands[i].hidden)
			names[n++] = commands[i].name;
	return n;
}

static int unknown_command(const char *word, const char *how)
{
	const char *names[32];
	char hint[200];
	size_t n = visible_names(names, 32);
	sf_suggest_text(word, NULL, names, n, hint, sizeof hint);
	fprintf(stderr, "sparkflash: '%s' is not a sparkflash command%s; %s\n", word, hint, how);
	return SF_EXIT_USAGE;
}

/* sparkflash help [COMMAND]: what COMMAND --help prints. */
static int cmd_help(sf_ctx *ctx, int argc, char **argv)
{
	const struct sf_command *c;
	sf_ctx hc = *ctx;
	if (argc > 2)
		return sf_usage_error(ctx, "help takes at most one COMMAND");
	if (argc == 1) {
		print_help(stdout);
		return SF_EXIT_OK;
	}
	if (!(c = sf_command_find(argv[1])) || c->hidden)
		return unknown_command(argv[1], "see 'sparkflash --help' for the list");
	hc.command = c->name;
	sf_print_command_usage(&hc, true);
	return SF_EXIT_OK;
}

int main(int argc, char **argv)
{
	sf_ctx ctx = { .argv0 = argv[0], .argc = argc };
	const struct sf_command *cmd;
	const sf_selfdirs *self = sf_selfdirs_get();
	/* the command line as typed, for --log headers (getopt permutes argv) */
	char **typed;
	int i, rc;

	sf_out_guard_terminal();
	/* a signal at any moment leaves no temporary file behind (fileio.h) */
	sf_signals_init();
	{
		sf_err err = { 0 };
		if (sf_profile_env_check(getenv("SPARKFLASH_PROFILES"), &err)) {
			fprintf(stderr, "sparkflash: %s\n", err.msg);
			return err.code;
		}
	}
	typed = calloc((size_t)argc + 1, sizeof *typed);
	if (typed)
		memcpy(typed, argv, (size_t)argc * sizeof *typed);
	ctx.argv = typed;

	/* This binary's own profiles and simulator library (its build tree's
	 * when run from there); options and environment still come first. */
	sf_profile_set_builtin_dir(self->profiles);
	sf_sim_set_default_library(self->simlib);

	/* Global options before the command word; the command's own parser
	 * accepts the same options after it. */
	/* the build writes the man page and the completions with this */
	if (argc == 3 && !strcmp(argv[1], "--dump-cli")) {
		free(typed);
		return sf_clidoc_print(argv[2], stdout);
	}
	switch (sf_cli_parse_global(&ctx, argc, argv, &i)) {
	case 0:
		break;
	case SF_CLI_HELP:
		print_help(stdout);
		free(typed);
		return SF_EXIT_OK;
	case SF_CLI_VERSION:
		printf("sparkflash %s\n", PACKAGE_VERSION);
		free(typed);
		return SF_EXIT_OK;
	default:
		free(typed);
		return SF_EXIT_USAGE; /* the parser printed the error and usage */
	}
	if (i >= argc) {
		fprintf(stderr, "sparkflash: no command given\n");
		print_help(stderr);
		free(typed);
		return SF_EXIT_USAGE;
	}
	cmd = sf_command_find(argv[i]);
	if (!cmd) {
		free(typed);
		return unknown_command(argv[i], "see 'sparkflash --help'");
	}
	ctx.command = cmd->name;
	rc = cmd->run(&ctx, argc - i, argv + i);
	free(typed);
	return rc;
}
