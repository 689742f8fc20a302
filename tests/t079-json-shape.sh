#!/bin/sh
# --json across commands: every NDJSON line carries "schema": 1; the USB and
# cloud flash results have the same keys (ok, exit_code, error only on
# failure, message, device with the same keys, operations, dry_run); "error"
# is the exit code's class id; a timeout is exit 9 ("timeout") on both paths.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/cloud/lib-cloud.sh"
if [ ! -f "${SPARKFLASH_SIM_LIB:-}" ] || ! command -v dfu-util >/dev/null 2>&1; then
	echo "1..0 # SKIP simulator library or dfu-util missing"
	exit 0
fi
S="$T/sim"
usb() { run_sf --sim "$S" --timeout 50 --json "$@"; cp "$T/out" "$T/ev.$n"; n=$((n + 1)); }
cloud() { sf_cloud --json "$@"; cp "$T/out" "$T/ev.$n"; n=$((n + 1)); }
other() { run_sf --json "$@"; cp "$T/out" "$T/ev.$n"; n=$((n + 1)); }
last() { tail -n 1 "$T/out" >"$T/$1.json"; }
n=0

start_server C
timeout 60 "$SPARKFLASH" --sim "$S" sim add core --serial J1 >/dev/null 2>&1
head -c 3000 /dev/urandom >"$T/fw.bin"

usb flash --usb "$T/fw.bin" --no-leave
expect_rc "usb flash" 0
last usb-ok
usb --serial NOPE flash --usb "$T/fw.bin"
expect_rc "usb flash, no such device" 4
last usb-fail
cloud cloud flash photon1 "$T/fw.bin" --api-url "$C_URL"
expect_rc "cloud flash" 0
last cloud-ok
cloud cloud flash nosuch "$T/fw.bin" --api-url "$C_URL"
expect_rc "cloud flash, unknown device" 11
last cloud-fail
other cloud flash photon1 "$T/fw.bin" --api-url "$C_URL"
expect_rc "cloud flash, not logged in" 10
last cloud-auth

# the same keys, in the same order, on both paths
keys() { jq -c 'keys_unsorted' "$T/$1.json"; }
dkeys() { jq -c '.device | keys_unsorted' "$T/$1.json"; }
is "success: USB and cloud results have the same keys" "$(keys usb-ok)" "$(keys cloud-ok)"
is "success keys" "$(keys usb-ok)" '["event","schema","ok","exit_code","message","device","operations","dry_run","verdict","diagnoses"]'
is "failure: USB and cloud results have the same keys" "$(keys usb-fail)" "$(keys cloud-fail)"
is "failure keys: error before message" "$(keys usb-fail)" '["event","schema","ok","exit_code","error","message","device","operations","dry_run","verdict","diagnoses"]'
is "not logged in: the same keys" "$(keys cloud-auth)" "$(keys usb-fail)"
is "device keys: USB = cloud" "$(dkeys usb-ok)" "$(dkeys cloud-ok)"
is "device keys" "$(dkeys usb-ok)" '["given","id","name","platform","platform_id","profile","vid_pid","serial","path","listed"]'
is "USB device filled in" "$(jq -r '.device | "\(.profile) \(.vid_pid) \(.serial) \(.listed) \(.platform) \(.id)"' "$T/usb-ok.json")" \
	"core 1d50:607f J1 true core null"
is "cloud device filled in" "$(jq -r '.device | "\(.given) \(.id) \(.name) \(.platform) \(.profile) \(.listed)"' "$T/cloud-ok.json")" \
	"photon1 $PHOTON1 photon1 photon null null"
is "error classes" "$(jq -r '.error' "$T/usb-fail.json" "$T/cloud-fail.json" "$T/cloud-auth.json" | tr '\n' ' ')" \
	"no-device cloud-device cloud-auth "
check "messages are human text" sh -c "jq -e '.message | length > 10' '$T/usb-fail.json' '$T/cloud-fail.json' '$T/usb-ok.json' '$T/cloud-ok.json' >/dev/null"

# timeouts: exit 9, error "timeout", on both paths
timeout 60 "$SPARKFLASH" --sim "$S" sim add core --serial SLOW --timing real >/dev/null 2>&1
head -c 60000 /dev/urandom >"$T/big.bin"
run_sf --sim "$S" --serial SLOW --timeout 1 --json flash --usb "$T/big.bin"
expect_rc "USB: a transfer over --timeout" 9
cp "$T/out" "$T/ev.$n"; n=$((n + 1))
is "USB timeout class" "$(tail -n 1 "$T/out" | jq -r .error)" timeout
cloud cloud flash hang1 "$T/fw.bin" --api-url "$C_URL" --max-time 2
expect_rc "cloud: a hung server" 9
is "cloud timeout class" "$(tail -n 1 "$T/out" | jq -r .error)" timeout

# more commands, for the schema check below
usb list
usb read 0x08005000:16 "$T/r.bin"
usb keys address
usb --dry-run flash --usb "$T/fw.bin" --verify
cloud cloud list --api-url "$C_URL"
cloud cloud flash "$T/fw.bin" --device photon1 --device nosuch --api-url "$C_URL"
other inspect "$T/fw.bin"
other profiles check "$SPARKFLASH_PROFILES/core.json"
printf 'dfu-util: Cannot open DFU device 1d50:607f found on devnum 7 (LIBUSB_ERROR_ACCESS)\n' >"$T/log.txt"
other diagnose --no-host "$T/log.txt"
is "every command ends with its result (several cloud devices: the summary)" \
	"$(for f in "$T"/ev.*; do tail -n 1 "$f" | jq -r .event; done | sort -u | tr '\n' ' ')" "inspect profile_check result summary "

# every line of every run: an object with an event and schema 1
python3 - "$T"/ev.* <<'PY'
import json, sys
lines = 0
for f in sys.argv[1:]:
    for n, l in enumerate(open(f, encoding="utf-8"), 1):
        e = json.loads(l)
        assert isinstance(e, dict) and isinstance(e.get("event"), str), (f, n, l)
        assert e.get("schema") == 1, (f, n, l)
        assert list(e)[:2] == ["event", "schema"], (f, n, list(e))
        if e["event"] in ("result", "summary"):
            assert isinstance(e.get("message"), str) or "verdict" in e, (f, n, e)
            assert ("error" in e) == (e.get("exit_code", 0) != 0) or "verdict" in e, (f, n, e)
        lines += 1
assert lines > 40, lines
print("# %d event lines checked" % lines)
PY
check "every event line has schema 1 (and results: message, error only on failure)" test $? -eq 0

plan "$_tap_n"
done_testing
