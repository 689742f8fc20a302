#!/bin/sh
# The dfu-util runner (through the tests/run/dfurun driver): progress
# events and display, -v echo, argv passed verbatim, --log, --timeout,
# version probe.
. "$srcdir/tests/lib.sh"
F="$srcdir/tests/fixtures/run"
D="${top_builddir:-.}/tests/run/dfurun"
plan 24

cp "$F/fake-dfu-util.sh" "$T/dfu-util" && chmod +x "$T/dfu-util"
unset SPARKFLASH_SIM DFU_UTIL SPARKFLASH_PROGRESS FAKE_DFU_SLEEP 2>/dev/null
run_d() { timeout 60 "$D" "$@" >"$T/out" 2>"$T/err"; rc=$?; }
py() { python3 -c "$1" "$T/out"; }

run_d --json --dfu-util "$T/dfu-util" -- -a 0 -s 0x08005000:leave -D fw.bin
expect_rc "fake download runs" 0
check "json: argv event then progress throttled to percent changes" py '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert ev[0]["event"] == "dfu-util" and ev[0]["argv"][1:] == ["-a", "0", "-s", "0x08005000:leave", "-D", "fw.bin"], ev[0]
prog = [(e["phase"], e["percent"], e["bytes"]) for e in ev if e["event"] == "progress"]
assert prog == [("erase", 0, 0), ("erase", 40, 1024), ("erase", 100, 2500),
                ("download", 0, 0), ("download", 40, 1024), ("download", 81, 2048),
                ("download", 100, 2500)], prog
'
check "json: no progress text on stderr" sh -c "! grep -q '\[=' '$T/err'"

SPARKFLASH_PROGRESS=1 run_d --dfu-util "$T/dfu-util" --total 2500 -- -D fw.bin
tr '\r' '\n' <"$T/err" >"$T/err.lines"
check "tty display: one redrawn line per phase" test "$(grep -c '' "$T/err")" -eq 3
check "tty display: 40 percent with the total" grep -q '^Download \[===========>                  \]  40%  1024/2500 bytes$' "$T/err.lines"
check "tty display: finished line" grep -q '^Download \[==============================\] 100%  2500/2500 bytes$' "$T/err.lines"
check "tty display: erase phase shown" grep -q '^Erase    \[' "$T/err.lines"

SPARKFLASH_PROGRESS=1 run_d --dfu-util "$T/dfu-util" -- -D fw.bin
check "tty display without a total: bytes only" grep -q '100%  2500 bytes' "$T/err"

# a real terminal (script(1) gives the child a pty)
if command -v script >/dev/null 2>&1; then
	timeout 60 script -qec "'$D' --dfu-util '$T/dfu-util' --total 2500 -- -D fw.bin" /dev/null >"$T/tty" 2>&1
	check "on a real tty the display is drawn" grep -q '100%  2500/2500 bytes' "$T/tty"
else
	skip "script(1) not available"
fi

run_d --dfu-util "$T/dfu-util" -- -D fw.bin
check "not a tty: no display" sh -c "! grep -q 'Download \[' '$T/err'"
SPARKFLASH_PROGRESS=1 run_d -q --dfu-util "$T/dfu-util" -- -D fw.bin
check "-q: no display" sh -c "! grep -q 'Download \[' '$T/err'"

run_d -v --dfu-util "$T/dfu-util" -- -D fw.bin
grep_err "-v: command line shown" "^sparkflash: running: $T/dfu-util -D fw.bin\$"
grep_err "-v: raw stdout lines echoed" '^dfu-util\| File downloaded successfully$'
grep_err "-v: raw stderr lines echoed" '^dfu-util! dfu-util: Warning: Invalid DFU suffix signature$'

# argv reaches dfu-util unchanged: spaces, quotes, a leading dash, a newline
nl='
'
FAKE_DFU_ARGS="$T/args" run_d --dfu-util "$T/dfu-util" -- -D "my fw's \"file\".bin" -U "-leading" "two${nl}lines" ''
printf '%s\n' -D "my fw's \"file\".bin" -U "-leading" "two${nl}lines" '' >"$T/args.want"
check "argv passed verbatim (no shell)" cmp -s "$T/args" "$T/args.want"

bad=$(printf 'fw\377.bin')
run_d --json --dfu-util "$T/dfu-util" -- -D "$bad"
check "json argv event keeps a non-UTF-8 file name (as '?')" py '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert ev[0]["argv"][1:] == ["-D", "fw?.bin"], ev[0]
'

run_d --log "$T/log" --dfu-util "$T/dfu-util" -- -D fw.bin
run_d --log "$T/log" --dfu-util "$T/dfu-util" -- -U up.bin
check "log: two runs appended" test "$(grep -c '^\$ ' "$T/log")" -eq 2
check "log: progress rewrites kept as separate records" test "$(grep -c '^\[stdout\] Download	\[' "$T/log")" -eq 4
check "log: stderr records" grep -q '^\[stderr\] dfu-util: Warning: Invalid DFU suffix signature$' "$T/log"

FAKE_DFU_SLEEP=30 run_d --timeout 0.3 --dfu-util "$T/dfu-util" -- -D fw.bin
expect_rc "timeout → 9" 9
grep_err "transcript says timed out" 'timed_out=1 .*outcome=9'

run_d --dfu-version
if [ -x /usr/bin/dfu-util ]; then
	grep_out "version of the real dfu-util" '^0\.[0-9]+'
else
	skip "no /usr/bin/dfu-util"
fi
FAKE_DFU_VERSION=0.9-msvc run_d --dfu-version --dfu-util "$T/dfu-util"
grep_out "version with a suffix" '^0\.9-msvc$'
FAKE_DFU_NO_BANNER=1 run_d --dfu-version --dfu-util "$T/dfu-util"
expect_rc "no banner → 8" 8

done_testing
