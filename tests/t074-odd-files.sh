#!/bin/sh
# Inputs and outputs that are not regular files: a named pipe nobody writes
# to never hangs a command (inspect, flash, profiles check); a pipe on
# stdin is flashed through a private copy (dfu-util cannot reopen it); an
# OUTFILE that is a pipe or device is refused even with --force and left as
# it is; files written by read and sim dump honour the umask.
. "$srcdir/tests/lib.sh"

if [ ! -f "${SPARKFLASH_SIM_LIB:-}" ] || ! command -v dfu-util >/dev/null 2>&1; then
	echo "1..0 # SKIP simulator library or dfu-util missing"
	exit 0
fi
plan 20
S="$T/sim"
usb() { run_sf --sim "$S" --timeout 50 "$@"; }
timeout 60 "$SPARKFLASH" --sim "$S" sim add core --serial P1 >/dev/null 2>&1
cd "$T" || exit 1
mkfifo fifo
head -c 3000 /dev/urandom >fw.bin

# run_sf has a 60 s bound; these must finish at once
bounded() { timeout -k 2 10 "$SPARKFLASH" "$@" >"$T/out" 2>"$T/err" </dev/null; rc=$?; }
bounded inspect fifo
expect_rc "inspect on a silent pipe returns (empty)" 3
bounded --profile core --dry-run flash --usb fifo
expect_rc "flash --usb on a silent pipe returns" 3
bounded profiles check fifo
expect_rc "profiles check on a pipe returns" 3
grep_err "says it is not a regular file" "not a regular file"

# a pipe on stdin: flashed from a private copy, bytes on the device match
timeout -k 5 60 "$SPARKFLASH" --sim "$S" --timeout 50 flash --usb /dev/stdin --no-leave <fw.bin >"$T/out" 2>"$T/err"
rc=$?
expect_rc "flash --usb /dev/stdin from a pipe" 0
usb read 0x08005000:3000 back.bin
expect_rc "read it back" 0
check "bytes match" cmp -s fw.bin back.bin

# OUTFILE that is a pipe: refused even with --force, the pipe stays
usb read userFirmware fifo --force
expect_rc "read --force onto a pipe refused" 3
grep_err "names the problem" "not a regular file"
check "the pipe is still a pipe" test -p fifo
usb keys save fifo --force
expect_rc "keys save --force onto a pipe refused" 3
timeout 60 "$SPARKFLASH" --sim "$S" sim dump P1 0 fifo --force >"$T/out" 2>"$T/err"; rc=$?
expect_rc "sim dump --force onto a pipe refused" 3
check "the pipe is still a pipe after sim dump" test -p fifo

# a directory as OUTFILE: no advice to --force
mkdir outdir
usb read userFirmware outdir/
expect_rc "read into a directory name" 3
grep_err "says it is a directory, not --force" "'outdir/' is a directory, not a regular file"

# umask 022: new files are 0644, not mkstemp's 0600
umask 022
usb read 0x08005000:16 r.bin
expect_rc "read a small range" 0
check "read output is 0644" test "$(stat -c %a r.bin)" = 644
timeout 60 "$SPARKFLASH" --sim "$S" sim dump P1 1 dump.bin >"$T/out" 2>"$T/err"; rc=$?
expect_rc "sim dump" 0
check "sim dump output is 0644" test "$(stat -c %a dump.bin)" = 644
check "no temporary files left" test "$(ls -A | grep -c tmp)" -eq 0

done_testing
