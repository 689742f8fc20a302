#!/bin/sh
# Live diagnosis and one verdict per run: each simulator fault, hit by a real
# `sparkflash flash` (real dfu-util 0.11), gives the documented exit code and
# diagnosis ID, in human output and in --json; and `sparkflash diagnose` on
# the --log of the same run reaches the same verdict, exit code and first
# diagnosis (the judge is fed the same facts: the log carries sparkflash's
# notes).
. "$srcdir/tests/lib-sim.sh"

rand_file "$T/fw.bin" 20000 7

# fault  profile  exit  diagnosis-id  shown (error/warning printed) or quiet
cat >"$T/table" <<'TABLE'
access              core    5 permission-denied shown
busy                core    6 device-busy       shown
lost=2              core    6 device-lost       shown
lost=2              photon  6 device-lost       shown
status=errWRITE@1   core    6 write-failed      shown
status=errPROG@2    core    6 write-failed      shown
status=errERASE@1   core    6 erase-failed      shown
status=errTARGET@1  core    6 target-protected  shown
status=errVENDOR@1  photon  6 status-error      shown
stall=1             core    6 transfer-stalled  shown
reset-on-leave      core    0 leave-unconfirmed quiet
reset-on-leave      photon  0 leave-unconfirmed quiet
ignore-leave        core    0 leave-ignored     shown
ignore-leave        photon  0 leave-ignored     shown
ignore-leave        electron 0 leave-ignored    shown
replug=1@300        core    6 device-lost       shown
replug=0@300        photon  6 device-lost       shown
stall-leave         core    0 leave-ignored     shown
stall-leave         photon  0 leave-ignored     shown
erase-timeout=1     core    6 erase-failed      shown
erase-timeout=1     photon  6 erase-failed      shown
TABLE
n=$(wc -l <"$T/table")
plan $((n * 5 + 2))

# verdict FILE: "VERDICT EXIT FIRST-ID ALL-IDS" of the last result event
verdict() {
	python3 - "$1" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
res = [e for e in events if e.get("event") == "result"][-1]
ids = res.get("diagnoses") or []
print(res.get("verdict"), res.get("exit_code"), ids[0] if ids else "-", ",".join(ids))
PY
}

while read -r fault profile want id shown; do
	rm -rf "$SIM"
	sim add "$profile" --serial LIVE1 --fault "$fault"
	run_sf --sim "$SIM" flash --usb "$T/fw.bin"
	expect_rc "$fault on $profile: exit code" "$want"
	if [ "$shown" = shown ]; then
		grep_err "$fault on $profile: says $id" "^$id \\((error|warning)\\):"
	elif grep -Eq '\((error|warning)\):' "$T/err"; then
		not_ok "$fault on $profile: nothing to warn about"; sed 's/^/#   err: /' "$T/err" | head
	else
		ok "$fault on $profile: nothing to warn about"
	fi
	rm -rf "$SIM" "$T/run.log"
	sim add "$profile" --serial LIVE1 --fault "$fault"
	run_sf --sim "$SIM" flash --usb "$T/fw.bin" --json --log "$T/run.log"
	expect_rc "$fault on $profile --json: exit code" "$want"
	live=$(verdict "$T/out")
	case " $(echo "$live" | cut -d' ' -f4 | tr , ' ') " in
	*" $id "*) ok "$fault on $profile --json: result names $id ($live)" ;;
	*) not_ok "$fault on $profile --json: result names $id"; diag "live: $live"; sed 's/^/#   /' "$T/out" | tail -5 ;;
	esac
	# the same run judged from its log
	run_sf diagnose --json --no-host "$T/run.log"
	logged=$(verdict "$T/out")
	if [ "$(echo "$live" | cut -d' ' -f1-3)" = "$(echo "$logged" | cut -d' ' -f1-3)" ] && [ "$rc" = "$want" ]; then
		ok "$fault on $profile: diagnose --log agrees ($logged, exit $rc)"
	else
		not_ok "$fault on $profile: diagnose --log agrees"; diag "live:   $live" "logged: $logged (exit $rc)"
		sed 's/^/#   log: /' "$T/run.log" | tail -8
	fi
done <"$T/table"

# A clean flash says nothing about diagnoses and leaves DFU mode quickly.
rm -rf "$SIM"
sim add core --serial LIVE1
run_sf --sim "$SIM" flash --usb "$T/fw.bin" --json
expect_rc "no fault: exit 0" 0
if grep -q '"event":"diagnosis"' "$T/out"; then not_ok "no fault: no diagnosis events"; else ok "no fault: no diagnosis events"; fi

done_testing
