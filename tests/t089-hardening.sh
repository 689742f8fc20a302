#!/bin/sh
# Defects an outside fuzzing run found, through the CLI: named pipes never
# hang a command, SPARKFLASH_PROFILES is never cut silently, escape
# sequences in file and profile names never reach a terminal, diagnose --json
# keeps every text when the log is not UTF-8.
. "$srcdir/tests/lib.sh"

plan 15

# --- named pipes ---
mkfifo "$T/fifo"
start=$(date +%s)
run_sf diagnose "$T/fifo"
end=$(date +%s)
expect_rc "diagnose on a FIFO nobody writes to: refused" 3
grep_err "says nothing wrote to it" "named pipe and nothing wrote to it"
check "gave up within the bound (<= 15 s)" test $((end - start)) -le 15
run_sf inspect "$T/fifo"
expect_rc "inspect on a writerless FIFO: refused" 3
if grep -q "empty (0 bytes)" "$T/err"; then not_ok "not called empty"; else ok "not called empty"; fi
# a FIFO with a writer is read
( sleep 0.3; printf 'dfu-util 0.11\n\ndfu-util: No DFU capable USB device available\n' >"$T/fifo" ) &
run_sf diagnose --no-host "$T/fifo"
wait
expect_rc "diagnose reads a FIFO that gets written" 4

# --- SPARKFLASH_PROFILES limits are said, not applied silently ---
long=$(head -c 70000 /dev/zero | tr '\0' 'a')
SPARKFLASH_PROFILES="/$long" run_sf profiles list
expect_rc "a SPARKFLASH_PROFILES of 70000 bytes: usage error" 2
grep_err "names the variable and the limit" "SPARKFLASH_PROFILES is 70001 bytes long; at most"
many=$(i=0; while [ $i -lt 50 ]; do printf '/d%d:' $i; i=$((i + 1)); done)
SPARKFLASH_PROFILES="$many" run_sf profiles list
expect_rc "50 directories: usage error" 2
grep_err "says how many" "names 50 directories; at most 46"
SPARKFLASH_PROFILES="/nope1:/nope2:$srcdir/profiles" run_sf profiles list
expect_rc "16 entries or fewer still work" 0

# --- escape sequences never reach a terminal ---
esc=$(printf '\033[31mRED\033]0;title\007')
cp /etc/hostname "$T/x" 2>/dev/null || echo x >"$T/x"
timeout 30 script -qec "\"$SPARKFLASH\" inspect \"$T/${esc}.bin\"" /dev/null >"$T/tty" 2>&1
if grep -q "$(printf '\033')" "$T/tty"; then not_ok "no ESC byte on the terminal"; od -c "$T/tty" | head -5 | sed 's/^/#   /'
else ok "no ESC byte on the terminal"; fi
grep -q '?\[31mRED' "$T/tty" && ok "the name is shown with ? for the escape" || { not_ok "the name is shown with ? for the escape"; sed 's/^/#   /' "$T/tty"; }

# --- diagnose --json with text that is not UTF-8 keeps summary and fix ---
printf 'dfu-util 0.11\n\ndfu-util: Cannot open file \355\240\200\364\220\200\200.bin for writing: File exists\n' >"$T/bad.log"
run_sf --json diagnose --no-host "$T/bad.log"
expect_rc "not-UTF-8 upload name: upload-file-exists" 3
if python3 - "$T/out" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
d = [e for e in ev if e.get("event") == "diagnosis"]
sys.exit(0 if d and all(x.get("summary") and x.get("fix") for x in d) else 1)
PY
then ok "every diagnosis keeps its summary and fix"; else not_ok "every diagnosis keeps its summary and fix"; sed 's/^/#   /' "$T/out"; fi

done_testing
