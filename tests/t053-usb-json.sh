#!/bin/sh
# --json: every stdout line is a JSON object with an "event"; the last one is
# the result, agreeing with the exit code; success and failure runs.
# --dry-run sends nothing: the simulator's counters and memory are unchanged.
. "$srcdir/tests/lib.sh"

if [ ! -f "${SPARKFLASH_SIM_LIB:-}" ] || ! command -v dfu-util >/dev/null 2>&1; then
	echo "1..0 # SKIP simulator library or dfu-util missing"
	exit 0
fi
S="$T/sim"
sim() { timeout 60 "$SPARKFLASH" --sim "$S" sim "$@" >"$T/simout" 2>"$T/simerr"; }
usb() { run_sf --sim "$S" --timeout 50 "$@"; }

cat >"$T/check.py" <<'EOF'
import json, sys
ev = []
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    d = json.loads(line)
    assert isinstance(d, dict) and isinstance(d.get("event"), str), "line %d: %r" % (n, line)
    ev.append(d)
assert ev, "no events"
res = ev[-1]
assert res["event"] == "result", "last event is %s" % res["event"]
assert [e for e in ev if e["event"] == "result"] == [res], "one result"
assert all(e.get("schema") == 1 for e in ev), "an event without schema 1"
want = ["event", "schema", "ok", "exit_code"] + (["error"] if res["exit_code"] else []) + \
       ["message", "device", "operations", "dry_run"]
assert list(res)[:len(want)] == want, "result keys %s" % list(res)
assert list(res["device"]) == ["given", "id", "name", "platform", "platform_id", "profile", "vid_pid",
                               "serial", "path", "listed"], "device keys %s" % list(res["device"])
assert not res["exit_code"] or res["error"] in ("refused", "no-device", "permission", "transfer", "verify",
                                                "dfu-util", "timeout", "usage", "internal"), res["error"]
assert res["exit_code"] == int(sys.argv[2]), "exit_code %s vs rc %s" % (res["exit_code"], sys.argv[2])
assert res["ok"] == (res["exit_code"] == 0)
assert eval(sys.argv[3]), "condition failed: " + sys.argv[3]
EOF

# json_ok DESCRIPTION [PYTHON-EXPR over `ev` (the events) and `res` (the last)]
json_ok() {
	if timeout 20 python3 "$T/check.py" "$T/out" "$rc" "${2:-True}" 2>"$T/pyerr"; then ok "$1"; else
		not_ok "$1"; sed 's/^/#   py: /' "$T/pyerr" | tail -3; sed 's/^/#   out: /' "$T/out" | head -20; fi
}

sim add core --serial J1
head -c 2049 /dev/urandom >"$T/fw.bin"

usb --json flash --usb "$T/fw.bin"
expect_rc "json flash" 0
json_ok "json flash: events parse, result ok" \
	"[e for e in ev if e['event']=='plan'][0]['segment']=='userFirmware' and any(e['event']=='progress' for e in ev) and any(e['event']=='dfu-util' and '-D' in e['argv'] for e in ev) and res['operations'][0]['ok'] and res['device']['serial']=='J1'"
check "json mode: stdout only JSON, human text on stderr" grep -q "flashed" "$T/err"
sim reset J1

usb --json flash 0x08004000 "$T/fw.bin"
expect_rc "json refused" 3
json_ok "json refusal parses, has the message" "'read-only' in res['message'] and res['error']=='refused' and any(e['event']=='message' and e['level']=='error' for e in ev)"

usb --json --serial NOPE flash --usb "$T/fw.bin"
expect_rc "json no device" 4
json_ok "json no device parses" "res['error']=='no-device' and all(v is None for v in res['device'].values())"

sim add core --serial J2 --fault lost=1
usb --json --serial J2 flash --usb "$T/fw.bin"
expect_rc "json transfer failure" 6
json_ok "json transfer failure parses" "not res['operations'][0]['ok']"

usb --json --serial J1 keys address
json_ok "json keys address" "res['address']=='tcp://device.spark.io:5683' and res['port']==5683"

usb --json --serial J1 read 0x08005000:16 "$T/r.bin"
json_ok "json read" "res['operations'][0]['direction']=='upload' and res['operations'][0]['length']==16"

# --- --dry-run sends nothing ---
rm -rf "$S"
sim add core --serial D1
sim list --json; cp "$T/simout" "$T/before.json"
sim dump D1 0 "$T/mem0.before"; sim dump D1 1 "$T/mem1.before"
usb --dry-run --profile core flash --usb "$T/fw.bin"
expect_rc "dry run with --profile" 0
grep_out "prints the command line" "dfu-util -d 1d50:607f -a 0 -i 0 -s 0x08005000:leave -D "
cp "$srcdir/tests/fixtures/keys/rsa1024-pkcs1.der" "$T/key.der"
cp "$srcdir/tests/fixtures/keys/rsa2048.pub.der" "$T/server.der"
usb --dry-run --profile core --json keys load "$T/key.der"
json_ok "dry-run json: plan and dfu-util events, dry_run result" \
	"res['dry_run'] and all(e.get('dry_run') for e in ev if e['event']=='dfu-util') and len([e for e in ev if e['event']=='dfu-util'])==2"
sim list --json
check "with --profile not even dfu-util -l ran (simulator state identical)" cmp -s "$T/before.json" "$T/simout"
usb --dry-run flash --usb "$T/fw.bin" --verify
expect_rc "dry run without --profile (lists)" 0
usb --dry-run keys server "$T/server.der"
expect_rc "dry run keys server" 0
usb --dry-run read userFirmware "$T/never.bin"
check "dry-run read creates no file" test ! -e "$T/never.bin"
usb --dry-run flash 0x3000 "$T/fw.bin"
sim list --json
python3 - "$T/before.json" "$T/simout" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))["devices"][0]
b = json.load(open(sys.argv[2]))["devices"][0]
for x, y in zip(a["alts"], b["alts"]):
    assert x["erases"] == y["erases"] and x["programs"] == y["programs"], (x, y)
assert b["mode"] == "dfu"
EOF
check "dry runs erased and programmed nothing" test $? -eq 0
sim dump D1 0 "$T/mem0.after"; sim dump D1 1 "$T/mem1.after"
check "alt 0 memory unchanged" cmp -s "$T/mem0.before" "$T/mem0.after"
check "alt 1 memory unchanged" cmp -s "$T/mem1.before" "$T/mem1.after"

# non-UTF-8 file names still give valid JSON with the field present
bad="$T/bad$(printf '\377')name.bin"
head -c 64 /dev/zero >"$bad"
usb --json --dry-run --profile core flash --usb "$bad"
json_ok "non-UTF-8 file name: JSON parses, file field kept" "[e for e in ev if e['event']=='plan'][0]['file'].endswith('bad?name.bin')"
usb --json --dry-run --profile core flash --usb "${bad}.missing"
json_ok "non-UTF-8 name in an error: JSON parses, message kept" "'bad?name.bin.missing' in res['message'] and res['error']=='refused'"

plan "$_tap_n"
done_testing
