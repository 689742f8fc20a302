#!/bin/sh
# sparkflash list against a fake dfu-util replaying recorded `-l` output;
# dfu-util missing / not executable (exit 8); --timeout (exit 9).
. "$srcdir/tests/lib.sh"
F="$srcdir/tests/fixtures/run"
plan 58

cp "$F/fake-dfu-util.sh" "$T/dfu-util" && chmod +x "$T/dfu-util"
export SPARKFLASH_PROFILES
unset SPARKFLASH_SIM DFU_UTIL FAKE_DFU_LIST FAKE_DFU_LIST_ERR FAKE_DFU_SLEEP 2>/dev/null
DFU="--dfu-util $T/dfu-util"

json_ok() { # every stdout line is a JSON object with an "event"
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert isinstance(o, dict) and "event" in o, line
' "$T/out"
}
py() { python3 -c "$1" "$T/out"; }

# --- Core + Photon, 0.11 listing ---
FAKE_DFU_LIST="$F/dfu-l-core-photon.txt" run_sf list $DFU
expect_rc "list core+photon" 0
grep_out "core matched to its profile" '^1d50:607f  Spark Core \(core\)  serial 6D92487A5151  path 1-1$'
grep_out "photon matched to its profile" '^2b04:d006  Photon \(photon\)  serial 3A0027001347343339383037  path 3-1.4$'
grep_out "core alt 0 with its layout" '^  alt 0  @Internal Flash  /0x08000000/20\*001Ka,108\*001Kg$'
# alts ascending although dfu-util prints them in reverse
check "alts sorted ascending" test "$(grep -n '  alt [01]  @' "$T/out" | head -2 | sed 's/:.*//' | tr '\n' ' ')" = "2 3 "
check "devices sorted by path (1-1 before 3-1.4)" test "$(grep -c '' "$T/out")" -eq 6 -a "$(head -1 "$T/out" | cut -c1-9)" = "1d50:607f"
check "no warnings for matching layouts" test ! -s "$T/err"

FAKE_DFU_LIST="$F/dfu-l-core-photon.txt" run_sf list --json $DFU
expect_rc "list --json" 0
check "json lines parse" json_ok
check "two device events then a result" py '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
names = [e["event"] for e in ev if e["event"] != "dfu-util"]
assert names == ["device", "device", "result"], names
core = ev[[e["event"] for e in ev].index("device")]
assert core["usb"] == "1d50:607f" and core["profile"] == "core" and core["mode"] == "dfu", core
assert [a["alt"] for a in core["alts"]] == [0, 1]
assert core["alts"][1]["name"] == "@SPI Flash : SST25x/0x00000000/512*04Kg"
assert core["serial"] == "6D92487A5151" and core["path"] == "1-1" and core["ver"] == "0200"
r = ev[-1]
assert r["ok"] is True and r["exit_code"] == 0 and r["count"] == 2 and len(r["devices"]) == 2
'
check "dfu-util event carries the argv" py '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
d = [e for e in ev if e["event"] == "dfu-util"][0]
assert d["argv"][1:] == ["-l"], d
'

# --serial / --path select
FAKE_DFU_LIST="$F/dfu-l-core-photon.txt" run_sf list $DFU --serial 6D92487A5151
check "--serial shows only that device" test "$(grep -c '^[0-9a-f]\{4\}:' "$T/out")" -eq 1
grep_out "--serial picks the core" '^1d50:607f'
FAKE_DFU_LIST="$F/dfu-l-core-photon.txt" run_sf list $DFU --path 3-1.4
grep_out "--path picks the photon" '^2b04:d006'
FAKE_DFU_LIST="$F/dfu-l-core-photon.txt" run_sf list $DFU --path 9-9
expect_rc "no device matching --path is still exit 0" 0
grep_out "says nothing matched" 'no DFU devices found matching'

# --- runtime-mode device and an unknown device ---
FAKE_DFU_LIST="$F/dfu-l-runtime-unknown.txt" run_sf list $DFU
expect_rc "runtime + unknown" 0
grep_out "runtime core recognised by its runtime id" '^1d50:607d  Spark Core \(core\)  runtime mode  serial 8D82477F5353  path 1-4$'
grep_out "runtime hint says how to enter DFU mode" 'not in DFU mode: hold MODE and RESET'
# an STM32 system bootloader whose option-bytes alt fits none of the STM32 profiles
grep_out "unknown STM32 family shown as such" '^0483:df11  STM32 system bootloader, unknown family  serial 336F35773436  path 2-3$'
grep_out "unknown family: --profile is the way" '^  its layouts fit none of the profiles stm32f0, stm32f1, stm32f4, stm32h7, stm32l4: pass --profile NAME to use one$'
FAKE_DFU_LIST="$F/dfu-l-runtime-unknown.txt" run_sf list --json $DFU
check "json: runtime mode, hint, unknown profile null" py '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
devs = {e["usb"]: e for e in ev if e["event"] == "device"}
assert devs["1d50:607d"]["mode"] == "runtime" and "MODE" in devs["1d50:607d"]["hint"]
assert devs["0483:df11"]["profile"] is None
assert devs["0483:df11"]["family"] == "STM32 system bootloader"
assert "pass --profile NAME" in devs["0483:df11"]["hint"]
assert devs["1d50:607d"]["family"] is None
'

# --- a layout that differs from the profile ---
FAKE_DFU_LIST="$F/dfu-l-core-mismatch.txt" run_sf list $DFU
expect_rc "layout mismatch is a warning" 0
grep_err "mismatch warning names the alt and both layouts" "warning: device 1d50:607f serial 6D92487A5151 path 1-1 alt 0 reports layout '@Internal Flash  /0x08000000/16\*001Ka,112\*001Kg' but profile 'core' says"
grep_err "missing alt 1 is reported" "does not report alt 1"
FAKE_DFU_LIST="$F/dfu-l-core-mismatch.txt" run_sf list --json $DFU
check "json: warnings listed on the device" py '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
d = [e for e in ev if e["event"] == "device"][0]
assert len(d["warnings"]) == 2, d["warnings"]
'

# --- dfu-util 0.8 lines (no path) ---
FAKE_DFU_LIST="$F/dfu-l-0.8.txt" FAKE_DFU_VERSION=0.8 run_sf list $DFU
expect_rc "0.8 listing" 0
grep_out "0.8 device without a path" '^1d50:607f  Spark Core \(core\)  serial 8D82477F5353$'
FAKE_DFU_LIST="$F/dfu-l-0.8.txt" FAKE_DFU_VERSION=0.9-msvc run_sf list --json $DFU
check "json result names the dfu-util version from the banner" py '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert ev[-1]["dfu_util_version"] == "0.9-msvc", ev[-1]
'

# --- a device string with Latin-1 bytes (dfu-util passes U+0080..U+00FF through) ---
printf 'Found DFU: [0483:df11] ver=2200, devnum=3, cfg=1, intf=0, path="2-3", alt=0, name="@Caf\351 /0x08000000/04*016Kg", serial="S\377"\n' >"$T/latin1.txt"
FAKE_DFU_LIST="$T/latin1.txt" run_sf list --json $DFU
check "json stays valid UTF-8 with Latin-1 device strings" py '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
d = [e for e in ev if e["event"] == "device"][0]
assert d["alts"][0]["name"] == "@Caf\u00e9 /0x08000000/04*016Kg" and d["serial"] == "S\u00ff", d
'

# --- no devices; permission denied ---
run_sf list $DFU
expect_rc "no devices is not an error" 0
grep_out "no devices message" '^no DFU devices found$'
FAKE_DFU_LIST_ERR="$F/dfu-l-access.err" run_sf list --json $DFU
expect_rc "LIBUSB_ERROR_ACCESS → exit 5" 5
grep_err "permission message names the device and the fix" 'cannot open DFU device 1d50:607f: permission denied \(LIBUSB_ERROR_ACCESS\); add a udev rule'
check "json result says exit 5" py '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert ev[-1]["event"] == "result" and ev[-1]["exit_code"] == 5 and ev[-1]["ok"] is False
'

# --- dfu-util missing or unusable: exit 8 ---
run_sf list --dfu-util "$T/nope/dfu-util"
expect_rc "missing dfu-util → 8" 8
grep_err "missing: names the path and the fix" "dfu-util not found at '$T/nope/dfu-util'; install it with 'apt-get install dfu-util' or pass --dfu-util PATH"
cp "$T/dfu-util" "$T/noexec" && chmod -x "$T/noexec"
run_sf list --dfu-util "$T/noexec"
expect_rc "non-executable dfu-util → 8" 8
grep_err "non-executable: says so" "dfu-util '$T/noexec' is not an executable file"
DFU_UTIL="$T/nope2" run_sf list
expect_rc "DFU_UTIL environment variable is used" 8
grep_err "DFU_UTIL path named" "$T/nope2"
timeout 60 env PATH="$T/emptybin:/nonexistent" DFU_UTIL=dfu-util-not-here "$SPARKFLASH" list >"$T/out" 2>"$T/err"
rc=$?
expect_rc "bare name not in PATH → 8" 8
grep_err "bare name: says not found in PATH" "dfu-util 'dfu-util-not-here' not found in PATH"
printf 'not a program\n' >"$T/garbage" && chmod +x "$T/garbage"
run_sf list --dfu-util "$T/garbage"
expect_rc "an executable that cannot be run (ENOEXEC) → 8" 8
grep_err "says it cannot run it" "cannot run dfu-util '$T/garbage'"
FAKE_DFU_ARGS="$T/dry-args" run_sf list --dry-run $DFU
expect_rc "--dry-run" 0
check "--dry-run did not run dfu-util" test ! -e "$T/dry-args"
grep_out "--dry-run shows the command and runs nothing" "^would run: $T/dfu-util -l\$"
printf '#!/bin/sh\necho not dfu-util\n' >"$T/bogus" && chmod +x "$T/bogus"
run_sf list --dfu-util "$T/bogus"
expect_rc "a program that prints no listing: empty list" 0

# --- timeout: a dfu-util that hangs ---
start=$(date +%s)
FAKE_DFU_SLEEP=30 FAKE_DFU_IGNORE_TERM=1 run_sf list $DFU --timeout 0.5 --log "$T/log"
end=$(date +%s)
expect_rc "hanging dfu-util → exit 9" 9
check "killed within the grace period" test $((end - start)) -lt 10
grep_err "timeout message" 'did not finish within 0.5 s'
check "log records the command, the banner and the timeout" sh -c "grep -q '^\\$ .*dfu-util -l\$' '$T/log' && grep -q '^\\[stdout\\] dfu-util 0.11\$' '$T/log' && grep -q '^# timed out after 0.5 s\$' '$T/log'"
check "log shows the SIGKILL" grep -q '^# signal 9$' "$T/log"

# --- SIGTERM to sparkflash while dfu-util runs: passed on, no orphan left ---
start=$(date +%s)
FAKE_DFU_SLEEP=37.25 timeout --foreground 60 "$SPARKFLASH" list $DFU >"$T/out" 2>"$T/err" &
pid=$!
i=0
while [ $i -lt 50 ] && ! pgrep -f 'sleep 37.25' >/dev/null 2>&1; do sleep 0.1; i=$((i + 1)); done
kill -TERM $pid 2>/dev/null
# (timeout --foreground passes one SIGTERM on to sparkflash, not to its group)
wait $pid
rc=$?
end=$(date +%s)
expect_rc "SIGTERM while dfu-util runs → dfu-util stopped, exit 143" 143
grep_err "says it was interrupted" 'interrupted by SIGTERM'
check "returned promptly" test $((end - start)) -lt 10
sleep 0.2
check "no dfu-util left running" sh -c "! pgrep -f 'slee[p] 37[.]25' >/dev/null"

done_testing
