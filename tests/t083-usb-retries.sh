#!/bin/sh
# flash --retries N: a failure a new attempt can fix (the judge's
# write-failed, device-lost, ...) is retried from a fresh listing after a
# backoff (JSON `retry` event, "# retry" in --log); a one-shot write error
# and a device that drops off the bus and comes back are got past; a
# refusal, a permission problem and a verify mismatch are never retried;
# a fault that stays exhausts the retries. The real dfu-util against the
# simulator's one-shot faults (--fault once:KIND).
. "$srcdir/tests/lib-sim.sh"
sf() { run_sf --sim "$SIM" --timeout 50 "$@"; }
downloads() { jq -r 'select(.event=="dfu-util") | .argv | join(" ")' "$T/out" | grep -c -- ' -D '; }
holds() { # SERIAL IMAGE: alt 0 holds the image (even length) at 0x5000
	sim dump "$1" 0 "$T/dump.bin" --force
	python3 -c 'import sys; a=open(sys.argv[1],"rb").read(); b=open(sys.argv[2],"rb").read(); sys.exit(0 if a[0x5000:0x5000+len(b)]==b else 1)' "$T/dump.bin" "$2"
}
spent() { timeout 60 "$SPARKFLASH" --sim "$SIM" sim list --json 2>/dev/null |
	python3 -c 'import json,sys; print(" ".join(f for d in json.load(sys.stdin)["devices"] if d["serial"]==sys.argv[1] for f in d["spent_faults"]))' "$1"; }
now() { python3 -c 'import time; print(time.monotonic())'; }
took() { python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$1" "$2"; }
atleast() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$1" "$2"; }
real=$(command -v dfu-util)
rand_file "$T/fw.bin" 3000 21

# --- a one-shot write error: retried once, then written ---
sim add core --serial R1 --fault once:status=errWRITE@2
sf --json flash --usb "$T/fw.bin" --retries 2 --log "$T/r1.log"
expect_rc "once:status=errWRITE@2 with --retries 2" 0
is "one retry event: attempt 2 after write-failed" \
	"$(jq -r 'select(.event=="retry") | "\(.serial) \(.attempt) \(.attempts) \(.diagnosis) \(.exit_code) \(.delay)"' "$T/out")" \
	"R1 2 3 write-failed 6 0.5"
is "two downloads" "$(downloads)" 2
is "the result counts the retry" "$(jq -r 'select(.event=="result") | "\(.ok) \(.retries)"' "$T/out")" "true 1"
check "the image is on the device" holds R1 "$T/fw.bin"
is "the fault is spent" "$(spent R1)" "once:status=errWRITE@2"
check "the log records the retry" grep -q '^# retry 2 write-failed$' "$T/r1.log"
run_sf diagnose "$T/r1.log"
expect_rc "diagnose on the log: success, as live" 0

# --- without --retries the same fault fails the run ---
sim remove R1
sim add core --serial R1 --fault once:status=errWRITE@2
sf --json flash --usb "$T/fw.bin"
expect_rc "no --retries: exit 6" 6
is "no retry event" "$(jq -r 'select(.event=="retry") | .attempt' "$T/out")" ""
is "no retries key without the option" "$(jq -r 'select(.event=="result") | has("retries")' "$T/out")" false

# --- a device lost mid-transfer that comes back 1 s later ---
sim add core --serial L1 --fault once:replug=2@1000
sf --json --serial L1 flash --usb "$T/fw.bin" --retries 3
expect_rc "once:replug=2@1000 with --retries 3" 0
is "retried after device-lost" "$(jq -r 'select(.event=="retry") | .diagnosis' "$T/out")" device-lost
check "the image is on the device" holds L1 "$T/fw.bin"

# --- a fault that stays: every retry fails, with the backoff ---
sim add core --serial P1 --fault status=errWRITE@2
t0=$(now)
sf --json --serial P1 flash --usb "$T/fw.bin" --retries 2
t1=$(now)
expect_rc "a lasting write error: exit 6 after all attempts" 6
is "two retry events, 0.5 s then 1 s" "$(jq -r 'select(.event=="retry") | "\(.attempt):\(.delay)"' "$T/out" | tr '\n' ' ')" "2:0.5 3:1 "
is "three downloads" "$(downloads)" 3
check "the backoff was waited" atleast "$(took "$t0" "$t1")" 1.5
grep_err "the message counts the attempts" 'flash-usb failed: the device failed to write flash \(errWRITE\) \(after 3 attempts\)'

# --- never retried: a refusal by dfu-util ---
cat >"$T/refuse" <<EOF
#!/bin/sh
for a in "\$@"; do
	if [ "\$a" = "-D" ]; then
		echo "dfu-util 0.11"
		echo "Downloading element to address = 0x08005000, size = 3000"
		echo "dfu-util: Last page at 0x08005bb7 is not writeable" >&2
		exit 74
	fi
done
exec "$real" "\$@"
EOF
chmod +x "$T/refuse"
sf --json --serial R1 --dfu-util "$T/refuse" flash --usb "$T/fw.bin" --retries 3
expect_rc "a refusal (exit 3) is not retried" 3
is "no retry event" "$(jq -r 'select(.event=="retry") | .attempt' "$T/out")" ""
is "one download" "$(downloads)" 1

# --- never retried: permission ---
sim add core --serial A1 --fault access
sf --json --serial A1 flash --usb "$T/fw.bin" --retries 3
expect_rc "permission denied (exit 5) is not retried" 5
is "no retry event" "$(jq -r 'select(.event=="retry") | .attempt' "$T/out")" ""
sim remove A1

# --- never retried: a verify mismatch (a device that ignores writes) ---
cat >"$T/flaky" <<EOF
#!/bin/sh
"$real" "\$@"; rc=\$?
prev=; out=
for a in "\$@"; do [ "\$prev" = "-U" ] && out=\$a; prev=\$a; done
if [ \$rc -eq 0 ] && [ -n "\$out" ] && [ -f "\$out" ]; then
	printf '\125' | dd of="\$out" bs=1 seek=7 conv=notrunc 2>/dev/null
fi
exit \$rc
EOF
chmod +x "$T/flaky"
sim reset R1
sf --json --serial R1 --dfu-util "$T/flaky" flash --usb "$T/fw.bin" --verify --retries 3
expect_rc "a verify mismatch (exit 7) is not retried" 7
is "no retry event" "$(jq -r 'select(.event=="retry") | .attempt' "$T/out")" ""
is "one download" "$(downloads)" 1

# --- several devices: the one with the fault retries, the others do not ---
rm -rf "$SIM"
sim add core --serial M1
sim add core --serial M2 --fault once:status=errWRITE@3
sim add core --serial M3
sf --json flash --usb "$T/fw.bin" --all --retries 1
expect_rc "--all --retries 1: all succeed" 0
is "one retry, for M2" "$(jq -r 'select(.event=="retry") | .serial' "$T/out")" M2
is "summary: M2 retried once" "$(jq -r 'select(.event=="summary") | .results[] | "\(.serial):\(.retries)"' "$T/out" | tr '\n' ' ')" "M1:0 M2:1 M3:0 "

sf flash --usb "$T/fw.bin" --retries -1
expect_rc "--retries -1" 2
plan "$_tap_n"
done_testing
