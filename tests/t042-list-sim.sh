#!/bin/sh
# sparkflash list and the dfu-util runner with the real dfu-util against
# simulated devices: one Core + one Photon, two Cores, an access fault,
# progress of a real download, a device that left DFU mode, --timeout.
. "$srcdir/tests/lib.sh"
D="${top_builddir:-.}/tests/run/dfurun"

if [ ! -f "${SPARKFLASH_SIM_LIB:-}" ]; then
	echo "1..0 # SKIP simulator library not built"
	exit 0
fi
if ! DFU=$(command -v dfu-util); then
	echo "1..0 # SKIP dfu-util not installed"
	exit 0
fi
plan 24
export SPARKFLASH_PROFILES
unset SPARKFLASH_SIM DFU_UTIL SPARKFLASH_PROGRESS 2>/dev/null
DFU_ARG="--dfu-util $DFU"
py() { python3 -c "$1" "$T/out"; }

S1="$T/sim1"
run_sf --sim "$S1" sim add core --serial C0RE00000001 --path 1-1
expect_rc "sim: add a core" 0
run_sf --sim "$S1" sim add photon --serial 3A0027001347343339383037 --path 1-2
expect_rc "sim: add a photon" 0

run_sf --sim "$S1" list $DFU_ARG
expect_rc "list core + photon" 0
grep_out "core line" '^1d50:607f  Spark Core \(core\)  serial C0RE00000001  path 1-1$'
grep_out "photon line" '^2b04:d006  Photon \(photon\)  serial 3A0027001347343339383037  path 1-2$'
grep_out "photon DCT alt" '^  alt 1  @DCT Flash   /0x00000000/01\*016Kg$'
check "simulated layouts match the profiles (no warnings)" test ! -s "$T/err"

run_sf --sim "$S1" list --json $DFU_ARG
timeout 60 "$SPARKFLASH" --sim "$S1" sim list --json >"$T/simlist" 2>/dev/null
check "json devices agree with the simulator's own list" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
devs = [e for e in ev if e["event"] == "device"]
sim = json.load(open(sys.argv[2]))["devices"]
got = sorted((d["serial"], d["path"], d["usb"], d["profile"], tuple(a["name"] for a in d["alts"])) for d in devs)
want = sorted((d["serial"], d["path"], d["usb"], d["profile"], tuple(a["name"] for a in d["alts"])) for d in sim)
assert got == want, (got, want)
assert ev[-1]["event"] == "result" and ev[-1]["count"] == 2
' "$T/out" "$T/simlist"

# two Cores
S2="$T/sim2"
run_sf --sim "$S2" sim add core --serial AAAA00000001 --path 2-1
run_sf --sim "$S2" sim add core --serial BBBB00000002 --path 2-2
run_sf --sim "$S2" list $DFU_ARG
expect_rc "list two cores" 0
check "two core devices" test "$(grep -c '^1d50:607f  Spark Core (core)' "$T/out")" -eq 2
check "each with two alts" test "$(grep -c '^  alt [01]  @' "$T/out")" -eq 4
run_sf --sim "$S2" list $DFU_ARG --serial BBBB00000002
check "--serial selects one core" test "$(grep -c '^1d50:607f' "$T/out")" -eq 1
grep_out "the selected one" 'serial BBBB00000002  path 2-2$'

# a device whose USB open is denied
run_sf --sim "$S2" sim add core --serial CCCC00000003 --path 2-3 --fault access
run_sf --sim "$S2" list $DFU_ARG
expect_rc "access fault → exit 5" 5
grep_err "permission denied named" 'cannot open DFU device 1d50:607f: permission denied \(LIBUSB_ERROR_ACCESS\)'
check "the other two are still listed" test "$(grep -c '^1d50:607f' "$T/out")" -eq 2

# the runner with the real dfu-util: progress events of a real download
head -c 3000 /dev/zero | tr '\0' 'U' >"$T/fw.bin"
timeout 60 "$D" --json --sim "$S1" $DFU_ARG -- -d 1d50:607f -S C0RE00000001 -a 0 -s 0x08005000:leave -D "$T/fw.bin" >"$T/out" 2>"$T/err"
rc=$?
expect_rc "real download through the runner" 0
check "real dfu-util progress: erase and download reach 100% with the file size" py '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
prog = [(e["phase"], e["percent"], e["bytes"]) for e in ev if e["event"] == "progress"]
assert ("erase", 100, 3000) in prog and ("download", 100, 3000) in prog, prog
pct = [p for ph, p, b in prog if ph == "download"]
assert pct == sorted(pct) and len(set(pct)) == len(pct), pct
'
run_sf --sim "$S1" list $DFU_ARG --log "$T/list.log"
check "the core left DFU mode and is no longer listed" sh -c "! grep -q '^1d50:607f' '$T/out'"
grep_out "the photon still is" '^2b04:d006'
check "--log holds dfu-util's own lines" grep -q '^\[stdout\] Found DFU: \[2b04:d006\]' "$T/list.log"

# --timeout against a slow (real-timing) simulated device
S3="$T/sim3"
run_sf --sim "$S3" sim add photon --serial 3A0027001347343339383999 --timing real
head -c 300000 /dev/zero >"$T/big.bin"
start=$(date +%s)
timeout 60 "$D" --sim "$S3" $DFU_ARG --timeout 0.5 -- -d 2b04:d006 -a 0 -s 0x08020000 -D "$T/big.bin" >"$T/out" 2>"$T/err"
rc=$?
end=$(date +%s)
expect_rc "slow transfer with --timeout 0.5 → 9" 9
grep_err "transcript timed out" 'timed_out=1'
check "stopped promptly" test $((end - start)) -lt 10

done_testing
