#!/bin/sh
# --json with text that is not UTF-8 (a file name with byte 0xff): every
# stdout line is a JSON object, every "message" event keeps its text, the
# result keeps its fields, and the file name shows up with '?' for the byte.
. "$srcdir/tests/lib.sh"

plan 12

cat >"$T/check.py" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert ev, "no events"
for e in ev:
    assert isinstance(e, dict) and isinstance(e.get("event"), str), e
    assert e.get("schema") == 1, "no schema: %r" % e
    if e["event"] == "message":
        assert e.get("text"), "message without text: %r" % e
    if e["event"] == "result":
        assert "ok" in e and "exit_code" in e, "result without ok/exit_code: %r" % e
assert eval(sys.argv[2]), "condition failed: " + sys.argv[2]
PY
json_ok() {
	if timeout 20 python3 "$T/check.py" "$T/out" "${2:-True}" 2>"$T/pyerr"; then ok "$1"; else
		not_ok "$1"; sed 's/^/#   py: /' "$T/pyerr" | tail -3; sed 's/^/#   out: /' "$T/out" | head -20; fi
}

bad=$(printf 'fw\377 x.bin')
cd "$T" || exit 1

# flash: missing file, the error names it
run_sf --json --profile core --dry-run flash --usb "$bad"
expect_rc "flash --usb missing non-UTF-8 name" 3
json_ok "flash: message event keeps its text; result has it as message, error is the class" \
	'any(e["event"] == "message" and "fw? x.bin" in e["text"] for e in ev) and "fw? x.bin" in ev[-1]["message"] and ev[-1]["error"] == "refused"'

# flash --dry-run with an existing file: plan and argv carry the name
head -c 100 /dev/zero >"$bad"
run_sf --json --profile core --dry-run flash --usb "$bad"
expect_rc "flash --dry-run non-UTF-8 name" 0
json_ok "flash --dry-run: plan file and argv keep the name" \
	'any(e["event"] == "plan" and e.get("file") == "fw? x.bin" for e in ev) and any(e["event"] == "dfu-util" and "fw? x.bin" in e["argv"] for e in ev)'

# inspect: the file field is present
run_sf --json inspect "$bad"
expect_rc "inspect non-UTF-8 name" 0
json_ok "inspect: file field present" 'ev[0].get("file") == "fw? x.bin"'

# profiles check: the profile_check event names the file
run_sf --json profiles check "$bad"
expect_rc "profiles check non-UTF-8 name" 3
json_ok "profiles check: event names the file" \
	'any(e["event"] == "profile_check" and e.get("file") == "fw? x.bin" and e.get("error") == "refused" and "fw? x.bin" in e.get("message") for e in ev)'

# cloud flash: the file is checked first; the result keeps ok/exit_code/message
rm -f "$bad"
PARTICLE_ACCESS_TOKEN=0123456789abcdef0123456789abcdef01234567 PARTICLE_API_URL=http://127.0.0.1:9 \
	HOME="$T" run_sf --json cloud flash somedevice "$bad"
expect_rc "cloud flash missing non-UTF-8 name" 3
json_ok "cloud flash: result keeps its message" \
	'ev[-1]["event"] == "result" and "fw? x.bin" in ev[-1].get("message", "")'

# read: OUTFILE in the error text
: >"$bad"
run_sf --json --profile core --dry-run read userFirmware "$bad"
expect_rc "read onto an existing non-UTF-8 name" 3
json_ok "read: message event keeps its text" \
	'any(e["event"] == "message" and "fw? x.bin" in e["text"] for e in ev)'

done_testing
