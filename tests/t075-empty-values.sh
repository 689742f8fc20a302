#!/bin/sh
# An empty option value (a script's unset variable) is a usage error, not
# "any device": --serial "" must not flash whichever device is attached.
# A --sim path that is a file is named as such (exit 3, not internal 1).
. "$srcdir/tests/lib.sh"

plan 19
cd "$T" || exit 1
head -c 100 /dev/zero >fw.bin
for o in serial path log dfu-util sim timeout profiles-dir; do
	run_sf --profile core --dry-run flash --usb fw.bin "--$o" ""
	expect_rc "--$o '' refused" 2
done
run_sf --serial "" --profile core --dry-run flash --usb fw.bin
grep_err "says the value is empty" "^sparkflash: --serial needs a value, got an empty string$"
: >afile
run_sf --sim afile list
expect_rc "--sim FILE: list" 3
grep_err "says it is not a directory" "'afile' is not a directory"
run_sf --sim afile sim list
expect_rc "--sim FILE: sim list is refused, not internal" 3
run_sf --sim afile sim add core
expect_rc "--sim FILE: sim add" 3
check "the file is untouched" test ! -s afile
# an empty DEVICE would GET /v1/devices/ (the device list)
PARTICLE_ACCESS_TOKEN=0123456789abcdef0123456789abcdef01234567 PARTICLE_API_URL=http://127.0.0.1:9 \
	HOME="$T" run_sf --dry-run cloud flash "" fw.bin
expect_rc "cloud flash '' FILE refused" 2
PARTICLE_ACCESS_TOKEN=0123456789abcdef0123456789abcdef01234567 PARTICLE_API_URL=http://127.0.0.1:9 \
	HOME="$T" run_sf --dry-run flash "" fw.bin
expect_rc "flash '' FILE (cloud form) refused" 2
# --profile core.json (a file that is not here) hints at --profile core
run_sf --profile core.json --dry-run flash --usb fw.bin
expect_rc "--profile core.json, no such file" 3
grep_err "hints at the profile name" "give --profile core\)"
run_sf --sim "$T/nowhere" list
expect_rc "--sim missing dir: list" 3
grep_err "says how to create it" "sim add PROFILE"

done_testing
