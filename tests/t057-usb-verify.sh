#!/bin/sh
# flash --verify: download WITHOUT leaving, read back in DFU mode, compare,
# and only on a match leave DFU mode with a separate `dfu-util -a ALT -s
# ADDR:leave` (DfuSe command mode, no file). A mismatch keeps the device in
# DFU mode, exits 7 and names the count of differing bytes and the first
# ranges (human text and JSON). --no-leave never leaves; --leave leaves a
# segment that would not. The real dfu-util against the simulator; a wrapper
# corrupts read-backs as a bad flash would.
. "$srcdir/tests/lib-sim.sh"
sf() { run_sf --sim "$SIM" --timeout 50 "$@"; }
mode_is() { # DESCRIPTION SERIAL MODE
	timeout 60 "$SPARKFLASH" --sim "$SIM" sim list --json >"$T/list.json" 2>/dev/null
	is "$1" "$(json_get "$T/list.json" "[x for x in d['devices'] if x['serial']=='$2'][0]['mode']")" "$3"
}
real=$(command -v dfu-util)
# corrupt CORRUPT (space-separated offsets) of every -U file
cat >"$T/flaky" <<EOF2
#!/bin/sh
"$real" "\$@"; rc=\$?
prev=; out=
for a in "\$@"; do [ "\$prev" = "-U" ] && out=\$a; prev=\$a; done
if [ \$rc -eq 0 ] && [ -n "\$out" ] && [ -f "\$out" ]; then
	for o in \$CORRUPT; do printf '\125' | dd of="\$out" bs=1 seek=\$o conv=notrunc 2>/dev/null; done
fi
exit \$rc
EOF2
chmod +x "$T/flaky"
# every dfu-util run's argv, one line each (the runner's JSON events)
runs() { python3 -c 'import json,sys; [print(" ".join(e["argv"][1:])) for e in map(json.loads, open(sys.argv[1])) if e["event"]=="dfu-util"]' "$T/out"; }

sim add core --serial V1
head -c 3000 /dev/zero >"$T/zeros.bin"
rand_file "$T/fw.bin" 3001 7

# --- a match: write, read back, compare, then leave ---
sf --json flash --usb "$T/fw.bin" --verify
expect_rc "flash --usb --verify" 0
runs >"$T/runs"
sed -n '2,$p' "$T/runs" >"$T/runs3"
grep_runs() { if grep -Eq -- "$2" "$T/runs3"; then ok "$1"; else not_ok "$1"; sed 's/^/#   run: /' "$T/runs3"; fi; }
is "three dfu-util runs after the listing" "$(wc -l <"$T/runs3")" 3
grep_runs "1: the download (a padded private copy), no :leave" '^-d 1d50:607f -S V1 -a 0 -i 0 -s 0x08005000 -D /[^ ]*sparkflash-[^ ]*$'
grep_runs "2: the read-back of the padded length, no :leave" '^-d 1d50:607f -S V1 -a 0 -s 0x08005000:3002 -U /[^ ]*/upload\.bin$'
grep_runs "3: the leave request alone (DfuSe command mode)" '^-d 1d50:607f -S V1 -a 0 -i 0 -s 0x08005000:leave$'
check "the download does not leave" sh -c "! sed -n 2p '$T/runs' | grep -q leave"
check "the read-back does not leave" sh -c "! sed -n 3p '$T/runs' | grep -q leave"
mode_is "left DFU mode after the match" V1 runtime
python3 - "$T/out" <<'PY'
import json, sys
res = [json.loads(l) for l in open(sys.argv[1])][-1]
ops = res["operations"]
assert [o["operation"] for o in ops] == ["flash-usb", "verify", "leave"], ops
assert ops[0]["leave"] is False and ops[1]["direction"] == "upload" and ops[1]["leave"] is False
assert ops[1]["ok"] and ops[1]["differing_bytes"] == 0 and ops[1]["compared"] == 3002
assert ops[2]["direction"] == "leave" and ops[2]["leave"] and ops[2]["address"] == "0x08005000"
assert res["ok"] and res["exit_code"] == 0
PY
check "JSON operations: write, verify (0 differing), leave" test $? -eq 0
sim reset V1

# --- a mismatch: exit 7, the device stays in DFU mode, no leave run ---
CORRUPT="10" sf --json --dfu-util "$T/flaky" flash --usb "$T/zeros.bin" --verify
expect_rc "one corrupted byte" 7
grep_err "human text: count and range" 'verification failed: 1 byte differs in 1 range: 0x0800500a-0x0800500a; the device stays in DFU mode'
runs >"$T/runs"
check "no leave request was sent" sh -c "! grep -q ':leave' '$T/runs'"
mode_is "still in DFU mode" V1 dfu
python3 - "$T/out" <<'PY'
import json, sys
res = [json.loads(l) for l in open(sys.argv[1])][-1]
assert res["event"] == "result" and res["exit_code"] == 7 and res["ok"] is False, res
assert res["error"] == "verify", res
assert "1 byte differs in 1 range: 0x0800500a-0x0800500a" in res["message"], res
v = res["operations"][-1]
assert v["operation"] == "verify" and v["ok"] is False and v["differing_bytes"] == 1, v
assert v["differing_ranges"] == [{"first": "0x0800500a", "last": "0x0800500a"}] and v["differing_ranges_total"] == 1, v
PY
check "JSON result: error verify, message with the range, verify operation details" test $? -eq 0

CORRUPT="0 1 2 100 200 300 301 2999" sf --dfu-util "$T/flaky" flash --usb "$T/zeros.bin" --verify
expect_rc "many corrupted bytes" 7
grep_err "count, the first four ranges, and more" '8 bytes differ in 5 ranges: 0x08005000-0x08005002, 0x08005064-0x08005064, 0x080050c8-0x080050c8, 0x0800512c-0x0800512d, \.\.\.'
mode_is "still in DFU mode after that too" V1 dfu

# --- --no-leave / --leave with --verify ---
sf flash --usb "$T/fw.bin" --verify --no-leave
expect_rc "--verify --no-leave" 0
mode_is "--no-leave: stays in DFU mode" V1 dfu
grep_out "says it stays" 'the device stays in DFU mode'
head -c 4000 /dev/urandom >"$T/fac.bin"
sf flash --factory "$T/fac.bin" --verify
expect_rc "factory --verify (no leave by default)" 0
mode_is "factory: stays in DFU mode" V1 dfu
sf --json flash --factory "$T/fac.bin" --verify --leave
expect_rc "factory --verify --leave" 0
runs >"$T/runs"
is "the leave step goes to the factory image's alt and address" "$(tail -n 1 "$T/runs")" "-d 1d50:607f -S V1 -a 1 -i 0 -s 0x00020000:leave"
mode_is "--leave: left after the match" V1 runtime
sim reset V1

# --- dry run: the three command lines, nothing sent ---
sf --dry-run flash --usb "$T/fw.bin" --verify
expect_rc "dry run" 0
grep_out "the download line has no :leave" "^/.*dfu-util -d 1d50:607f -S V1 -a 0 -i 0 -s 0x08005000 -D '\\\$TMPDIR/sparkflash-XXXXXX'\$"
grep_out "the read-back line" "-s 0x08005000:3002 -U"
grep_out "the leave line is announced" '^# only after the read-back matched: leave DFU mode and start the firmware at 0x08005000$'
grep_out "the leave line: command mode, no file" '^/.*dfu-util -d 1d50:607f -S V1 -a 0 -i 0 -s 0x08005000:leave$'
sf --dry-run --profile core flash --usb "$T/fw.bin" --verify --no-leave
check "--no-leave: no leave line" sh -c "! grep -q ':leave' '$T/out'"
mode_is "dry runs leave the device alone" V1 dfu

# --- leave quirks of the device, after a match ---
rm -rf "$SIM"
sim add core --serial R1 --fault reset-on-leave
sf flash --usb "$T/fw.bin" --verify
expect_rc "device resets before confirming the leave: success" 0
check "nothing to warn about: sparkflash saw it leave" sh -c "! grep -q '(warning)' '$T/err'"
check "and no error diagnosis" sh -c "! grep -q '(error)' '$T/err'"
mode_is "it left" R1 runtime
sim add core --serial I1 --fault ignore-leave
sf --serial I1 flash --usb "$T/fw.bin" --verify
expect_rc "device ignores the leave request: success with a warning" 0
grep_err "says it did not leave DFU mode" 'leave-ignored \(warning\): .*did not leave DFU mode'

plan "$_tap_n"
done_testing
