#!/bin/sh
# Runtime (application) mode: a simulated Core enumerating with its normal-mode
# id and a DFU runtime interface; the real dfu-util lists and detaches it;
# sparkflash refuses it with the runtime-mode diagnosis, or detaches it with
# --detach; after a leave the device runs its firmware (runtime mode again).
. "$srcdir/tests/lib-sim.sh"
plan 30
SN=6D92487A5151
sf() { run_sf --sim "$SIM" --timeout 50 "$@"; }
mode_is() { # DESCRIPTION MODE
	sim list --json
	is "$1" "$(json_get "$T/out" 'd["devices"][0]["mode"]')" "$2"
}

sim add core --serial $SN --mode runtime
expect_rc "sim add --mode runtime" 0
mode_is "state says runtime" runtime
grep -v '"runtime"' "$SPARKFLASH_PROFILES/core.json" >"$T/nort.json"
sim add "$T/nort.json" --mode runtime --serial NORT
expect_rc "a profile without usb.runtime is refused" 2
grep_err "the refusal names usb.runtime" 'no runtime .*usb.runtime'

dfu -l
expect_rc "dfu-util -l" 0
grep_out "exact Found Runtime line" '^Found Runtime: \[1d50:607d\] ver=0200, devnum=2, cfg=1, intf=0, path="1-1", alt=0, name="UNKNOWN", serial="6D92487A5151"$'
check "no Found DFU line in runtime mode" sh -c "! grep -q '^Found DFU' '$T/out'"

sf list
grep_out "sparkflash list shows the runtime device" '1d50:607d'
grep_out "with a hint to enter DFU mode" 'not in DFU mode'

dfu -d 1d50:607d -e
expect_rc "dfu-util -e" 0
grep_out "runtime status" '^DFU state\(0\) = appIDLE, status\(0\) = No error condition is present$'
grep_out "detach announced" '^Device will detach and reattach\.\.\.$'
dfu -l
grep_out "now Found DFU lines (alt 0)" '^Found DFU: \[1d50:607f\] .*alt=0, name="@Internal Flash  /0x08000000/20\*001Ka,108\*001Kg", serial="6D92487A5151"$'
check "and no Found Runtime line" sh -c "! grep -q '^Found Runtime' '$T/out'"

sim reset $SN --runtime
expect_rc "sim reset --runtime" 0
mode_is "back in runtime mode" runtime
sim add "$T/nort.json" --serial NORT --path 1-9
sim reset NORT --runtime
expect_rc "sim reset --runtime refused without a runtime id" 2
sim remove NORT

rand_file "$T/fw.bin" 3000 7
sf flash --usb "$T/fw.bin"
expect_rc "flash --usb on a runtime-only device: no device (4)" 4
grep_err "the error says runtime mode" 'core 1d50:607d is attached in normal \(runtime\) mode, not DFU mode; .*, or pass --detach'
grep_err "runtime-mode diagnosis" '^runtime-mode \(error\)'
sf --json flash --usb "$T/fw.bin"
expect_rc "--json: exit 4" 4
grep_out "--json: runtime-mode diagnosis event" '"event":"diagnosis","schema":1,"id":"runtime-mode"'

sf flash --usb --detach "$T/fw.bin"
expect_rc "flash --usb --detach" 0
grep_out "says it flashed" 'flashed .* to userFirmware'
mode_is "after the leave the device runs its firmware (runtime mode)" runtime
sf read --detach userFirmware "$T/back.bin"
expect_rc "read --detach" 0
head -c 3000 "$T/back.bin" >"$T/back3000.bin"
same "read back identical" "$T/fw.bin" "$T/back3000.bin"

sim reset $SN --runtime
sf keys save "$T/k.der"
expect_rc "keys save on a runtime-mode device: exit 4" 4
sf keys save --detach "$T/k.der"
expect_rc "keys save --detach" 0
check "key file written" test -s "$T/k.der"
done_testing
