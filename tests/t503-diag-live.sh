#!/bin/sh
# Live diagnosis: each simulator fault knob, hit by a real `sparkflash flash`
# (real dfu-util 0.11), gives the documented exit code and diagnosis ID, in
# human output and as a `diagnosis` event in --json.
. "$srcdir/tests/lib-sim.sh"

rand_file "$T/fw.bin" 3000 7

# fault  profile  exit  diagnosis-id
cat >"$T/table" <<'TABLE'
access              core    5 permission-denied
busy                core    6 device-busy
lost=2              core    6 device-lost
status=errWRITE@1   core    6 write-failed
status=errPROG@2    core    6 write-failed
status=errERASE@1   core    6 erase-failed
status=errTARGET@1  core    6 target-protected
status=errVENDOR@1  photon  6 status-error
stall=5             core    6 transfer-stalled
reset-on-leave      core    0 leave-unconfirmed
ignore-leave        core    0 leave-ignored
ignore-leave        photon  0 leave-ignored
replug=1@300        core    6 device-lost
replug=0@300        photon  6 device-lost
stall-leave         core    0 leave-ignored
stall-leave         photon  0 leave-ignored
erase-timeout=1     core    6 erase-failed
erase-timeout=1     photon  6 erase-failed
reset-on-leave      photon  0 leave-unconfirmed
TABLE
n=$(wc -l <"$T/table")
plan $((n * 4 + 2))

while read -r fault profile want id; do
	rm -rf "$SIM"
	sim add "$profile" --serial LIVE1 --fault "$fault"
	run_sf --sim "$SIM" flash --usb "$T/fw.bin"
	expect_rc "$fault on $profile: exit code" "$want"
	grep_err "$fault on $profile: says $id" "^$id \\((error|warning)\\):"
	rm -rf "$SIM"
	sim add "$profile" --serial LIVE1 --fault "$fault"
	run_sf --sim "$SIM" flash --usb "$T/fw.bin" --json
	expect_rc "$fault on $profile --json: exit code" "$want"
	if python3 - "$T/out" "$id" "$want" <<'PY'
import json, sys
events = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
ids = [e["id"] for e in events if e.get("event") == "diagnosis"]
result = [e for e in events if e.get("event") == "result"][-1]
sys.exit(0 if sys.argv[2] in ids and result["exit_code"] == int(sys.argv[3]) else 1)
PY
	then ok "$fault on $profile --json: diagnosis event $id, result exit_code $want"
	else not_ok "$fault on $profile --json: diagnosis event $id, result exit_code $want"; sed 's/^/#   /' "$T/out" | head -20
	fi
done <"$T/table"

# A clean flash says nothing about diagnoses and leaves DFU mode quickly.
rm -rf "$SIM"
sim add core --serial LIVE1
run_sf --sim "$SIM" flash --usb "$T/fw.bin" --json
expect_rc "no fault: exit 0" 0
if grep -q '"event":"diagnosis"' "$T/out"; then not_ok "no fault: no diagnosis events"; else ok "no fault: no diagnosis events"; fi

done_testing
