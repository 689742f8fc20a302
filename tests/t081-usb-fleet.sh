#!/bin/sh
# flash on several devices at once (--all, repeated --serial/--path): one
# listing, one worker per device, each dfu-util run with -S; a device that
# fails (one-shot or not) neither stops nor spoils the others; human lines
# are prefixed "SERIAL: ", every JSON event carries "serial", one summary
# at the end, the exit code is the first failed device's in listing order.
# An unopenable matching device is one failed device (exit 5). --log names
# a directory with one log per serial that `diagnose` judges as the live
# run did. The real dfu-util against four simulated Cores.
. "$srcdir/tests/lib-sim.sh"
sf() { run_sf --sim "$SIM" --timeout 50 "$@"; }
mode_of() { timeout 60 "$SPARKFLASH" --sim "$SIM" sim list --json 2>/dev/null |
	python3 -c 'import json,sys; print(" ".join(d["serial"]+"="+d["mode"] for d in json.load(sys.stdin)["devices"]))'; }
programs() { timeout 60 "$SPARKFLASH" --sim "$SIM" sim list --json 2>/dev/null |
	python3 -c 'import json,sys; print(sum(a["programs"] for d in json.load(sys.stdin)["devices"] for a in d["alts"]))'; }
reset_all() { for s in "$@"; do sim reset "$s"; done; }
# holds IMAGE: the dump of alt 0 holds the image (padded to even length) at 0x5000
holds() {
	sim dump "$1" 0 "$T/dump-$1.bin" --force
	python3 -c 'import sys; a=open(sys.argv[1],"rb").read(); b=open(sys.argv[2],"rb").read(); b+=b"\0"*(len(b)%2); sys.exit(0 if a[0x5000:0x5000+len(b)]==b else 1)' "$T/dump-$1.bin" "$2"
}

sim add core --serial F1 --path 1-1
sim add core --serial F2 --path 1-2
sim add core --serial F3 --path 1-3 --fault status=errWRITE@2
sim add core --serial F4 --path 1-4
rand_file "$T/fw.bin" 3001 11

# --- four devices, one fails: JSON ---
sf --json flash --usb "$T/fw.bin" --all
expect_rc "--all, F3 fails: exit 6 (its code)" 6
python3 - "$T/out" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert all("serial" in e for e in ev), [e for e in ev if "serial" not in e][:2]
res = {e["serial"]: e for e in ev if e["event"] == "result"}
assert sorted(res) == ["F1", "F2", "F3", "F4"], sorted(res)
for s in ("F1", "F2", "F4"):
    assert res[s]["ok"] and res[s]["exit_code"] == 0 and res[s]["device"]["serial"] == s, res[s]
assert res["F3"]["exit_code"] == 6 and res["F3"]["error"] == "transfer" and "write-failed" in res["F3"]["diagnoses"], res["F3"]
# each device's dfu-util runs select it with -S
for e in ev:
    if e["event"] == "dfu-util" and e["serial"] is not None:
        a = e["argv"]
        assert "-S" in a and a[a.index("-S") + 1] == e["serial"], e
assert [e["argv"][1:] for e in ev if e["event"] == "dfu-util" and e["serial"] is None] == [["-l"]], "one listing"
assert sum(1 for e in ev if e["event"] == "dfu-util" and e["serial"]) == 4, "one download each"
s = ev[-1]
assert s["event"] == "summary" and s["serial"] is None, s
assert s["ok"] is False and s["exit_code"] == 6 and s["error"] == "transfer", s
assert (s["devices"], s["succeeded"], s["failed"], s["unchanged"]) == (4, 3, 1, 0), s
assert [r["serial"] for r in s["results"]] == ["F1", "F2", "F3", "F4"], s["results"]
assert [r["result"] for r in s["results"]] == ["ok", "ok", "failed", "ok"], s["results"]
assert [r["exit_code"] for r in s["results"]] == [0, 0, 6, 0], s["results"]
PY
check "JSON: serial on every event, four results, the summary" test $? -eq 0
grep_err "F3's error line is prefixed" '^F3: sparkflash: flash-usb failed: the device failed to write flash \(errWRITE\)'
check "F1 holds the image" holds F1 "$T/fw.bin"
check "F2 holds the image" holds F2 "$T/fw.bin"
check "F4 holds the image" holds F4 "$T/fw.bin"
is "the three left DFU mode, F3 stayed" "$(mode_of)" "F1=runtime F2=runtime F3=dfu F4=runtime"

# --- the same in human form, one at a time ---
reset_all F1 F2 F3 F4
sf flash --usb "$T/fw.bin" --all --jobs 1
expect_rc "--all --jobs 1: still every device, exit 6" 6
for s in F1 F2 F4; do
	grep_out "$s: its success line is prefixed" "^$s: flashed .* serial $s, path 1-[0-9]\); the device leaves DFU mode"
done
grep_out "the table: header" '^DEVICE +RESULT +EXIT +MESSAGE$'
grep_out "the table: F3 failed, exit 6" '^F3 +failed +6  flash-usb failed'
grep_out "the table: F1 ok" '^F1 +ok +0  flashed'
grep_err "the summary line" '^sparkflash: 1 of 4 devices failed \(3 written, 0 unchanged\)$'

# --- picked by serial and path; a missing one fails, the others go on ---
reset_all F1 F2 F3 F4
sf --json flash --usb "$T/fw.bin" --serial F4 --path 1-1
expect_rc "--serial F4 --path 1-1: both" 0
is "listing order: F1 (1-1) first" "$(jq -r 'select(.event=="result") | .serial' "$T/out" | sort | tr '\n' ' ')" "F1 F4 "
is "summary of two" "$(jq -r 'select(.event=="summary") | "\(.devices) \(.succeeded) \(.exit_code)"' "$T/out")" "2 2 0"
is "F2, F3 untouched" "$(mode_of)" "F1=runtime F2=dfu F3=dfu F4=runtime"
reset_all F1 F4
sf --json flash --usb "$T/fw.bin" --serial NOPE --serial F2
expect_rc "a missing serial: exit 4, the other flashed" 4
is "F2 flashed" "$(jq -r 'select(.event=="result" and .serial=="F2") | .exit_code' "$T/out")" 0
is "NOPE failed with no-device" "$(jq -r 'select(.event=="result" and .serial=="NOPE") | .error' "$T/out")" no-device
is "summary: exit 4, 1 of 2" "$(jq -r 'select(.event=="summary") | "\(.exit_code) \(.succeeded) \(.failed)"' "$T/out")" "4 1 1"
grep_err "says how to wait" 'NOPE: .*no known device with serial NOPE in DFU mode \(pass --wait SECONDS'

# --- --log DIR: one log per serial, judged by diagnose as live ---
reset_all F2
sf flash --usb "$T/fw.bin" --all --log "$T/logs"
expect_rc "--all --log DIR" 6
check "one log per serial" test -f "$T/logs/F1.log" -a -f "$T/logs/F2.log" -a -f "$T/logs/F3.log" -a -f "$T/logs/F4.log"
check "F2's log: header, its run, the result" sh -c "head -n 1 '$T/logs/F2.log' | grep -q '^# sparkflash ' &&
	grep -q '^# command .*flash --usb .* --all --log' '$T/logs/F2.log' &&
	grep -q '^# started [0-9-]*T[0-9:]*Z$' '$T/logs/F2.log' &&
	grep -q '^\\\$ .*dfu-util -d 1d50:607f -S F2 ' '$T/logs/F2.log' &&
	! grep -q -- '-S F1' '$T/logs/F2.log' &&
	tail -n 1 '$T/logs/F2.log' | grep -q '^# result success, exit 0: flashed '"
run_sf diagnose "$T/logs/F3.log"
expect_rc "diagnose F3.log: exit 6 as live" 6
grep_out "diagnose names write-failed" '^write-failed \(error\)'
run_sf diagnose "$T/logs/F1.log"
expect_rc "diagnose F1.log: success" 0
head -c 10 /dev/zero >"$T/afile"
sf flash --usb "$T/fw.bin" --all --log "$T/afile"
expect_rc "--log FILE with several devices: usage" 2
grep_err "says it must be a directory" 'with several devices --log names a directory'

# --- an unopenable matching device is one failed device (exit 5) ---
sim remove F3
sim add core --serial F3 --path 1-3
sim add core --serial LOCKED --path 1-5 --fault access
reset_all F1 F2 F4
sf --json flash --usb "$T/fw.bin" --all
expect_rc "an unopenable device: exit 5" 5
python3 - "$T/out" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
s = ev[-1]
assert (s["devices"], s["succeeded"], s["failed"]) == (5, 4, 1), s
bad = [r for r in s["results"] if r["exit_code"]]
assert len(bad) == 1 and bad[0]["exit_code"] == 5 and bad[0]["serial"] is None, bad
assert bad[0]["label"].startswith("core 1d50:607f devnum "), bad
assert "udev" in bad[0]["message"], bad
res = [e for e in ev if e["event"] == "result"]
assert len(res) == 5 and sum(1 for e in res if e["ok"]) == 4, res
locked = [e for e in res if e["serial"] is None]
assert len(locked) == 1 and locked[0]["diagnoses"][:1] == ["permission-denied"], locked
PY
check "JSON: the four openable flashed, the locked one failed with 5" test $? -eq 0
sim remove LOCKED

# --- dry run: every device's command lines, nothing sent ---
reset_all F1 F2 F3 F4
before=$(programs)
sf flash --usb "$T/fw.bin" --all --dry-run
expect_rc "--all --dry-run" 0
for s in F1 F2 F3 F4; do
	grep_out "$s: its download line" "^$s: /.*dfu-util -d 1d50:607f -S $s -a 0 -i 0 -s 0x08005000:leave -D "
done
is "nothing was programmed" "$(programs)" "$before"
sf --profile core --dry-run flash --usb "$T/fw.bin" --serial F2 --serial F3
expect_rc "--profile, two serials, dry run: no listing needed" 0
grep_out "F3's line" '^F3: /.*dfu-util -d 1d50:607f -S F3 -a 0'

# --- usage ---
sf flash --usb "$T/fw.bin" --all --serial F1
expect_rc "--all with --serial" 2
sf flash --usb "$T/fw.bin" --count 2
expect_rc "--count without --all" 2
sf flash --usb "$T/fw.bin" --all --jobs 0
expect_rc "--jobs 0" 2
plan "$_tap_n"
done_testing
