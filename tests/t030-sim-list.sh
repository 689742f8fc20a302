#!/bin/sh
# sim add/list/remove/dump/exec, and dfu-util -l against simulated devices:
# the exact "Found DFU" lines real hardware gives.
. "$srcdir/tests/lib-sim.sh"
plan 38

sim add core --serial 6D92487A5151
expect_rc "sim add core" 0
grep_out "sim add names serial, path and devnum" 'serial=6D92487A5151 path="1-1" devnum=2'
check "sim add created the directory" test -d "$SIM/devices/6D92487A5151"

dfu -l
expect_rc "dfu-util -l" 0
found >"$T/found"
cat >"$T/want" <<'W'
Found DFU: [1d50:607f] ver=0200, devnum=2, cfg=1, intf=0, path="1-1", alt=1, name="@SPI Flash : SST25x/0x00000000/512*04Kg", serial="6D92487A5151"
Found DFU: [1d50:607f] ver=0200, devnum=2, cfg=1, intf=0, path="1-1", alt=0, name="@Internal Flash  /0x08000000/20*001Ka,108*001Kg", serial="6D92487A5151"
W
same "Spark Core listed exactly like hardware (alt 1 first)" "$T/found" "$T/want"
check "nothing on stderr" test ! -s "$T/err"

sim add photon --serial 3A0021000947343432313031 --path 2-1.4
expect_rc "sim add photon on another bus" 0
dfu -l
found >"$T/found"
cat >"$T/want" <<'W'
Found DFU: [2b04:d006] ver=0200, devnum=2, cfg=1, intf=0, path="2-1.4", alt=1, name="@DCT Flash   /0x00000000/01*016Kg", serial="3A0021000947343432313031"
Found DFU: [2b04:d006] ver=0200, devnum=2, cfg=1, intf=0, path="2-1.4", alt=0, name="@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg", serial="3A0021000947343432313031"
Found DFU: [1d50:607f] ver=0200, devnum=2, cfg=1, intf=0, path="1-1", alt=1, name="@SPI Flash : SST25x/0x00000000/512*04Kg", serial="6D92487A5151"
Found DFU: [1d50:607f] ver=0200, devnum=2, cfg=1, intf=0, path="1-1", alt=0, name="@Internal Flash  /0x08000000/20*001Ka,108*001Kg", serial="6D92487A5151"
W
same "two devices: last device's last alt first" "$T/found" "$T/want"

# generated serials and paths
sim add core
expect_rc "sim add core without serial" 0
grep_out "Core serial: 12 upper-case hex digits, next free path 1-2, devnum 3" 'serial=[0-9A-F]{12} path="1-2" devnum=3'
sim add electron
grep_out "Electron serial: 24 hex digits, path 1-3" 'serial=[0-9A-F]{24} path="1-3" devnum=4'

sim list
expect_rc "sim list" 0
is "sim list: header and 4 devices" "$(wc -l <"$T/out")" 5
grep_out "sim list row" '^6D92487A5151 +core +1d50:607f +1-1 +2 +dfu +fast +-$'
sim list --json
expect_rc "sim list --json" 0
is "json: 4 devices sorted by path" "$(json_get "$T/out" '",".join(x["path"] for x in d["devices"])')" "1-1,1-2,1-3,2-1.4"
is "json: modes, alt sizes" "$(json_get "$T/out" '(d["devices"][0]["mode"], d["devices"][0]["alts"][1]["size"])')" "('dfu', 2097152)"

# refusals
sim add core --serial 6D92487A5151
expect_rc "duplicate serial refused" 3
grep_err "says what to do" "already exists; remove it first"
sim add core --path 1-1
expect_rc "duplicate path refused" 3
sim add core --path 1-0
expect_rc "invalid path" 2
sim add core --fault explode
expect_rc "unknown fault" 2
grep_err "lists the fault kinds" 'known: access, busy, ignore-leave, reset-on-leave, stall-leave, lost=N, replug=N@MS, stall=N, status=errNAME@N, erase-timeout=N'
sim add nosuchprofile
expect_rc "unknown profile" 3
run_sf sim list
expect_rc "no --sim" 2

# dump
sim dump 6D92487A5151 1 "$T/spi.bin"
expect_rc "sim dump alt 1" 0
is "dump is the whole 2 MiB alt, erased" "$(od -An -tx1 -v "$T/spi.bin" | tr -s ' \n' '\n' | sort -u | tr -d '\n')" "ff"
sim dump 6D92487A5151 1 "$T/spi.bin"
expect_rc "dump refuses to overwrite" 3
sim dump 6D92487A5151 0 "$T/spi.bin" --force
is "dump --force replaces (128 KiB alt 0)" "$(wc -c <"$T/spi.bin")" 131072
sim dump 6D92487A5151 5 "$T/x.bin"
expect_rc "dump of an alt the device lacks" 2

# exec: environment and exit status
sim exec -- sh -c 'echo "$SPARKFLASH_SIM_DIR|$LD_PRELOAD"; exit 7'
expect_rc "exec passes the exit status through" 7
grep_out "child sees the absolute dir and the preload" "^/.*/sim\|.*libsfsim"

sim add p1 --json --path 4-2
is "sim add --json describes the new device" "$(json_get "$T/out" '(d["profile"], d["usb"], d["path"], d["mode"], len(d["serial"]))')" "('p1', '2b04:d008', '4-2', 'dfu', 24)"
run_sf --sim "$T/nonexistent" sim exec -- true
expect_rc "exec without a simulation dir is refused" 3
grep_err "and says how to create one" "sim add PROFILE"

# remove
sim remove 6D92487A5151
expect_rc "sim remove" 0
dfu -l
check "removed device no longer enumerates" sh -c "! grep -q 6D92487A5151 '$T/out'"
sim remove 6D92487A5151
expect_rc "removing it again" 4

done_testing
