#!/bin/sh
# --log appends the dfu-util transcript: naming the input image (or key, or
# a --force OUTFILE) as the log used to append the transcript to the user's
# file and flash image + transcript. Refused now; the file is unchanged and
# nothing reaches the device. A separate --log file gets the transcript.
. "$srcdir/tests/lib.sh"

if [ ! -f "${SPARKFLASH_SIM_LIB:-}" ] || ! command -v dfu-util >/dev/null 2>&1; then
	echo "1..0 # SKIP simulator library or dfu-util missing"
	exit 0
fi
plan 11
S="$T/sim"
usb() { run_sf --sim "$S" --timeout 50 "$@"; }
h() { sha256sum "$1" | cut -d' ' -f1; }
timeout 60 "$SPARKFLASH" --sim "$S" sim add core --serial LG1 >/dev/null 2>&1
cd "$T" || exit 1
head -c 3000 /dev/urandom >fw.bin
before=$(h fw.bin)

usb flash --usb fw.bin --log fw.bin
expect_rc "flash --log INPUT refused" 2
grep_err "names both" "--log 'fw.bin' is the same file as 'fw.bin'"
usb flash --usb fw.bin --log ./fw.bin
expect_rc "flash --log ./INPUT (other spelling) refused" 2
check "input unchanged" test "$(h fw.bin)" = "$before"
timeout 60 "$SPARKFLASH" --sim "$S" sim list --json >"$T/sl" 2>/dev/null
check "nothing programmed on the device" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["devices"][0]
sys.exit(0 if all(a["programs"] == 0 for a in d["alts"]) else 1)' "$T/sl"
usb keys load fw.bin --log fw.bin
expect_rc "keys load --log KEY refused" 2
usb read userFirmware fw.bin --force --log fw.bin
expect_rc "read --force --log OUTFILE refused" 2
check "input still unchanged" test "$(h fw.bin)" = "$before"

usb flash --usb fw.bin --log t.log --no-leave
expect_rc "flash with a separate --log" 0
grep_log() { if grep -q -- "$2" t.log; then ok "$1"; else not_ok "$1"; fi; }
grep_log "the log has the download command" "-D fw.bin"
check "input unchanged after a logged flash" test "$(h fw.bin)" = "$before"

done_testing
