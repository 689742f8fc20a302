#!/bin/sh
# flash --wait SECONDS: a device that shows up in DFU mode during the wait
# is flashed (one device, --all --count N, several --serial); an expired
# wait exits 4 with the no-device diagnosis naming what is missing and
# flashes nothing; --deadline cuts a longer wait (exit 9). The real
# dfu-util against the simulator; devices are added while sparkflash waits.
. "$srcdir/tests/lib-sim.sh"
sf() { run_sf --sim "$SIM" --timeout 50 "$@"; }
add_later() { # SECONDS SERIAL: adds a Core while the test goes on
	(sleep "$1"; timeout 30 "$SPARKFLASH" --sim "$SIM" sim add core --serial "$2" >/dev/null 2>&1) &
}
programs() { timeout 60 "$SPARKFLASH" --sim "$SIM" sim list --json 2>/dev/null |
	python3 -c 'import json,sys; print(sum(a["programs"] for d in json.load(sys.stdin)["devices"] for a in d["alts"]))'; }
now() { python3 -c 'import time; print(time.monotonic())'; }
took() { python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$1" "$2"; }
between() { python3 -c 'import sys; v=float(sys.argv[1]); sys.exit(0 if float(sys.argv[2]) <= v <= float(sys.argv[3]) else 1)' "$@"; }
rand_file "$T/fw.bin" 2000 3
mkdir -p "$SIM"

# --- one device, added after 1 s ---
add_later 1 W1
t0=$(now)
sf --json flash --usb "$T/fw.bin" --wait 20
t1=$(now)
wait
expect_rc "a device added during the wait is flashed" 0
check "it took the second it needed, not the whole wait" between "$(took "$t0" "$t1")" 0.8 10
is "a wait event first" "$(jq -r 'select(.event=="wait") | "\(.seconds) \(.for)"' "$T/out")" "20 a device"
is "flashed W1" "$(jq -r 'select(.event=="result") | .device.serial' "$T/out")" W1

# --- expiry: exit 4, the no-device diagnosis, bounded ---
sim remove W1
t0=$(now)
sf --json flash --usb "$T/fw.bin" --wait 1.5
t1=$(now)
expect_rc "nothing turns up: exit 4" 4
check "after about the wait" between "$(took "$t0" "$t1")" 1.3 8
is "the no-device diagnosis" "$(jq -r 'select(.event=="diagnosis") | .id' "$T/out" | head -n 1)" no-device
grep_err "the message says it waited" 'sparkflash: waited 1\.[0-9] s: no known device in DFU mode found'
sf --serial SOMEONE flash --usb "$T/fw.bin" --wait 1
expect_rc "waiting for a serial: exit 4" 4
grep_err "names the serial" 'waited 1\.[0-9] s: no known device in DFU mode found with serial SOMEONE'

# --- --all --count 2: one there, one added later ---
sim add core --serial A1
add_later 1 A2
sf --json flash --usb "$T/fw.bin" --all --count 2 --wait 20
wait
expect_rc "--all --count 2 waits for the second" 0
is "both flashed" "$(jq -r 'select(.event=="summary") | "\(.devices) \(.succeeded)"' "$T/out")" "2 2"
is "the wait event says how many" "$(jq -r 'select(.event=="wait") | .for' "$T/out")" "2 devices"

# --- several serials: all of them, or nothing ---
sim reset A1
sim reset A2
before=$(programs)
sf flash --usb "$T/fw.bin" --serial A1 --serial B9 --wait 1.5
expect_rc "B9 never comes: exit 4" 4
grep_err "names what is missing" 'waited 1\.[0-9] s: not in DFU mode: serial B9; nothing was flashed'
is "A1 was not flashed either" "$(programs)" "$before"
add_later 1 B9
sf --json flash --usb "$T/fw.bin" --serial A1 --serial B9 --wait 20
wait
expect_rc "B9 turns up: both flashed" 0
is "summary: 2 of 2" "$(jq -r 'select(.event=="summary") | "\(.devices) \(.succeeded)"' "$T/out")" "2 2"

# --- --deadline shorter than --wait: exit 9 ---
sim remove A1
sim remove A2
sim remove B9
t0=$(now)
sf flash --usb "$T/fw.bin" --wait 30 --deadline 1
t1=$(now)
expect_rc "--deadline cuts the wait: exit 9" 9
check "at the deadline" between "$(took "$t0" "$t1")" 0.8 6
grep_err "says the deadline passed" 'the --deadline passed while waiting'
sf flash --usb "$T/fw.bin" --all --wait 30 --deadline 1
expect_rc "--all: the same" 9

# --- usage ---
sf flash --usb "$T/fw.bin" --wait 0
expect_rc "--wait 0" 2
sf flash --usb "$T/fw.bin" --wait soon
expect_rc "--wait soon" 2
sf flash --usb "$T/fw.bin" --all --count 2
expect_rc "--count without --wait" 2
plan "$_tap_n"
done_testing
