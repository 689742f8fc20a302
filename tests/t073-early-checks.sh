#!/bin/sh
# Checks that need no device come first: with no device attached, a
# malformed address or length, an overflow, a missing output directory are
# refused with exit 3 (flash's malformed first word: 2) (not "no device",
# exit 4); a bare address given to
# read is a usage error that says to add :LENGTH. Nothing is left behind.
. "$srcdir/tests/lib.sh"

if [ ! -f "${SPARKFLASH_SIM_LIB:-}" ] || ! command -v dfu-util >/dev/null 2>&1; then
	echo "1..0 # SKIP simulator library or dfu-util missing"
	exit 0
fi
plan 21
S="$T/sim"
timeout 60 "$SPARKFLASH" --sim "$S" sim add core --serial GONE >/dev/null 2>&1
timeout 60 "$SPARKFLASH" --sim "$S" sim remove GONE >/dev/null 2>&1
usb() { run_sf --sim "$S" --timeout 50 "$@"; }
mkdir "$T/w"
cd "$T/w" || exit 1
head -c 100 /dev/zero >fw.bin

# (flash's first word: a malformed address is a usage error, t101)
usb flash 08005000 fw.bin
expect_rc "flash: octal-looking address, no device" 2
grep_err "names the octal problem" "leading zero"
usb flash 0x1000000000 fw.bin
expect_rc "flash: address past 32 bits, no device" 2
usb flash 0xFFFFFFF0 fw.bin
expect_rc "flash: address + size wraps, no device" 3
grep_err "says it wraps" "wraps past"
usb read 08000000:4 out.bin
expect_rc "read: octal-looking address, no device" 3
usb read 0x08000000:0 out.bin
expect_rc "read: zero length, no device" 3
usb read 0x08000000:0x100000000 out.bin
expect_rc "read: length past 32 bits, no device" 3
usb read 0xFFFFFFFF:2 out.bin
expect_rc "read: address + length wraps, no device" 3
usb read 0x08000000 out.bin
expect_rc "read: bare address is a usage error" 2
grep_err "asks for ADDRESS:LENGTH" "give ADDRESS:LENGTH"
usb read userFirmware nodir/out.bin
expect_rc "read: missing output directory, no device" 3
grep_err "names the missing directory" "directory 'nodir' does not exist"
usb read userFirmware fw.bin/out.bin
expect_rc "read: output 'directory' is a file" 3
# a dry run without a device says how to plan without one
usb --dry-run flash --usb fw.bin
expect_rc "dry run, no device, no --profile" 4
grep_err "suggests --profile for a dry run" "pass --profile NAME to see the plan without a device"

# with a device, the same request is still refused and nothing is created
timeout 60 "$SPARKFLASH" --sim "$S" sim add core --serial HERE >/dev/null 2>&1
usb read userFirmware nodir/out.bin
expect_rc "read: missing output directory, device present" 3
usb read userFirmware out.bin
expect_rc "read: a good request still works" 0
check "output has the segment's size (110592)" test "$(wc -c <out.bin)" -eq 110592
check "nothing else left in the directory" test "$(ls -A | tr '\n' ' ')" = "fw.bin out.bin "
check "no directory created" test ! -e nodir

done_testing
