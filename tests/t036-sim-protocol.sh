#!/bin/sh
# Less common dfu-util paths against the simulator: -R reset, read-unprotect,
# a bare :leave, detach in DFU mode, and a host killed mid-transfer (the
# device keeps its DFU state, as a board does).
. "$srcdir/tests/lib-sim.sh"
plan 18
SN=6D92487A5151
sim add core --serial $SN
rand_file "$T/fw.bin" 3000 4

dfu -a 0 -s 0x08005000 -D "$T/fw.bin" -R
expect_rc "-R: reset reports NOT_FOUND, dfu-util 0.11 exits 251" 251
grep_out "reset announced" '^Resetting USB to switch back to Run-Time mode$'
sim list --json
is "-R: the device runs its application" "$(json_get "$T/out" 'd["devices"][0]["mode"]')" "runtime"

sim reset $SN
dfu -a 0 -s :leave
expect_rc "bare :leave (DfuSe command mode)" 0
grep_out "command mode" '^DfuSe command mode$'
sim list --json
is ":leave: left DFU mode" "$(json_get "$T/out" 'd["devices"][0]["mode"]')" "runtime"

sim reset $SN
dfu -a 0 -e
expect_rc "-e on a DFU-mode device" 0
sim list --json
is "-e: still in DFU mode" "$(json_get "$T/out" 'd["devices"][0]["mode"]')" "dfu"

sim list --json
devnum=$(json_get "$T/out" 'd["devices"][0]["devnum"]')
dfu -a 0 -s :unprotect:force
expect_rc "read unprotect" 0
grep_out "device announces the erase" '^Device disconnects, erases flash and resets now$'
sim list --json
is "unprotect: the Core's bootloader lacks the command and ignores it (same devnum)" \
	"$(json_get "$T/out" '(d["devices"][0]["mode"], d["devices"][0]["devnum"])')" "('dfu', $devnum)"
sim dump $SN 0 "$T/d.bin"
python3 -c 'import sys; a=open(sys.argv[1],"rb").read(); b=open(sys.argv[2],"rb").read(); sys.exit(0 if a[0x5000:0x5000+len(b)]==b else 1)' "$T/d.bin" "$T/fw.bin"
check "unprotect on the Core: the application is kept" test $? -eq 0
# a generic DfuSe device (no bootloader section) erases and resets
sim add "$srcdir/tests/fixtures/sim/nor.json" --serial NOR2 --path 3-1
dfu -d ,1209:0001 -a 0 -s 0x08001000 -D "$T/fw.bin"
dfu -d ,1209:0001 -a 0 -s :unprotect:force
expect_rc "generic device: read unprotect" 0
sim dump NOR2 0 "$T/n.bin"
python3 -c 'import sys; a=open(sys.argv[1],"rb").read(); sys.exit(0 if a[0x1000:0x2000]==b"\xff"*0x1000 else 1)' "$T/n.bin"
check "generic device: unprotect erased the flash" test $? -eq 0
sim remove NOR2

# host killed during a slow (real timing) download
sim add core --serial 5105105105AA --timing real
rand_file "$T/big.bin" 60000 5
timeout 60 "$SPARKFLASH" --sim "$SIM" sim exec -- timeout -s KILL 1 dfu-util -S 5105105105AA -a 0 \
	-s 0x08005000 -D "$T/big.bin" >"$T/out" 2>"$T/err"
rc=$?
expect_rc "dfu-util killed" 137
sim list --json
is "device stays in dfuDNLOAD-IDLE" "$(json_get "$T/out" 'd["devices"][1]["dfu_state"]')" 5
rm -f "$T/u.bin"
dfu -S 5105105105AA -a 0 -s 0x08005000:16 -U "$T/u.bin"
grep_out "next dfu-util aborts the incomplete transfer" '^Aborting previous incomplete transfer$'
expect_rc "and then works" 0

done_testing
