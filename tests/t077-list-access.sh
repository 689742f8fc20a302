#!/bin/sh
# list with a device it may not open (udev permissions): exit 5 and the
# permission error only; it does not also claim "no DFU devices found".
. "$srcdir/tests/lib.sh"

if [ ! -f "${SPARKFLASH_SIM_LIB:-}" ] || ! command -v dfu-util >/dev/null 2>&1; then
	echo "1..0 # SKIP simulator library or dfu-util missing"
	exit 0
fi
plan 4
S="$T/sim"
timeout 60 "$SPARKFLASH" --sim "$S" sim add core --serial AC1 --fault access >/dev/null 2>&1
run_sf --sim "$S" list
expect_rc "list with an inaccessible device" 5
grep_err "says permission denied" "permission denied"
if grep -q "no DFU devices found" "$T/out" "$T/err"; then not_ok "no contradictory 'no DFU devices found'"; else
	ok "no contradictory 'no DFU devices found'"; fi
rm -rf "$S"
timeout 60 "$SPARKFLASH" --sim "$S" sim add core --serial OK1 >/dev/null 2>&1
timeout 60 "$SPARKFLASH" --sim "$S" sim remove OK1 >/dev/null 2>&1
run_sf --sim "$S" list
grep_out "an empty bus still says so" "no DFU devices found"

done_testing
