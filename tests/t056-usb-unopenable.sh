#!/bin/sh
# Device selection with a matching device dfu-util may not open (the
# simulator's `access` fault: "Cannot open DFU device ... LIBUSB_ERROR_ACCESS",
# skipped by dfu-util -l): it is still a candidate. Without --serial/--path an
# openable and an unopenable Core are ambiguous (exit 4, both listed, the
# unopenable one with the permission fix); when the unopenable one is the
# device meant, exit 5 with the permission diagnosis as an error.
. "$srcdir/tests/lib-sim.sh"
sf() { run_sf --sim "$SIM" --timeout 50 "$@"; }
nothing() { # DESCRIPTION PATTERN: not in stderr
	if grep -Eq -- "$2" "$T/err"; then not_ok "$1"; sed 's/^/#   err: /' "$T/err" | head -5; else ok "$1"; fi
}

sim add core --serial OK1 --path 1-1
sim add core --serial NO1 --path 1-2 --fault access
dfu -l
check "dfu-util -l lists only OK1" sh -c "grep -c '^Found DFU' '$T/out' | grep -qx 2 && grep -q 'serial=\"OK1\"' '$T/out'"
grep_err "and cannot open the other" 'Cannot open DFU device 1d50:607f found on devnum [0-9]+ \(LIBUSB_ERROR_ACCESS\)'
sim dump OK1 0 "$T/ok1.before"
head -c 3000 /dev/urandom >"$T/fw.bin"

# --- ambiguous: one openable, one not ---
sf read userFirmware "$T/r.bin"
expect_rc "read with an openable and an unopenable Core" 4
grep_err "says two devices match" '2 DFU devices match'
grep_err "lists the openable one" 'core 1d50:607f serial OK1 path 1-1'
grep_err "lists the unopenable one with its libusb error" 'core 1d50:607f devnum [0-9]+ \(may not be opened: LIBUSB_ERROR_ACCESS\)'
grep_err "gives the permission fix" "install udev rules for it with 'sudo sparkflash udev install', then unplug and replug the device"
grep_err "and how to pick one" 'pass --serial SN or --path BUS-PORT'
check "no file written" test ! -e "$T/r.bin"
sf flash --usb "$T/fw.bin"
expect_rc "flash is ambiguous too" 4
sim dump OK1 0 "$T/ok1.after"
check "nothing written to OK1" cmp -s "$T/ok1.before" "$T/ok1.after"
sf --dry-run flash --usb "$T/fw.bin"
expect_rc "a dry run without --profile lists and is ambiguous too" 4
sf --json keys address
expect_rc "keys address --json" 4
python3 - "$T/out" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
res = ev[-1]
assert res["event"] == "result" and res["exit_code"] == 4 and not res["ok"], res
assert "may not be opened" in res["message"] and "OK1" in res["message"], res
PY
check "JSON result: exit 4, the message lists both" test $? -eq 0

# --- --serial / --path pick the openable one ---
sf --serial OK1 read userFirmware "$T/r1.bin"
expect_rc "--serial OK1 picks it" 0
sf --path 1-1 read userFirmware "$T/r2.bin"
expect_rc "--path 1-1 picks it" 0
nothing "no ambiguity message" 'devices match'

# --- the unopenable one is the device meant: exit 5 ---
sf --serial NO1 read userFirmware "$T/r3.bin"
expect_rc "--serial NO1: permission denied" 5
grep_err "the permission diagnosis is an error" '^permission-denied \(error\)'
nothing "not called 'probably another device'" 'probably another device'
sim remove OK1
sf read userFirmware "$T/r4.bin"
expect_rc "only an unopenable Core: permission denied" 5
grep_err "names the device and the fix" "found core DFU device 1d50:607f \(devnum [0-9]+\) but may not open it \(LIBUSB_ERROR_ACCESS\); install udev rules"
grep_err "with the diagnosis" '^permission-denied \(error\)'
nothing "never 'put the device in DFU mode'" 'DFU mode'

# --- an unopenable device no profile matches is not a candidate ---
rm -rf "$SIM"
sim add core --serial OK2
sim add "$srcdir/tests/fixtures/profiles/widget.json" --serial W1 --fault access
sf read userFirmware "$T/r5.bin"
expect_rc "an unopenable unknown device does not make it ambiguous" 0

plan "$_tap_n"
done_testing
