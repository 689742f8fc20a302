#!/bin/sh
# 'sim exec CMD ARGS' without '--': the command's options are its own
# (getopt used to take 'dfu-util -l' as sparkflash's unknown option -l).
. "$srcdir/tests/lib.sh"

if [ ! -f "${SPARKFLASH_SIM_LIB:-}" ] || ! command -v dfu-util >/dev/null 2>&1; then
	echo "1..0 # SKIP simulator library or dfu-util missing"
	exit 0
fi
plan 11
S="$T/sim"
timeout 60 "$SPARKFLASH" --sim "$S" sim add core --serial EX1 >/dev/null 2>&1
run_sf --sim "$S" sim exec dfu-util -l
expect_rc "sim exec dfu-util -l" 0
grep_out "lists the simulated device" 'serial="EX1"'
run_sf --sim "$S" sim exec -- dfu-util -l
grep_out "with -- as before" 'serial="EX1"'
run_sf --sim "$S" sim exec sh -c 'exit 7'
expect_rc "exit status passed through" 7
run_sf sim --sim "$S" exec sh -c 'echo "$SPARKFLASH_SIM_DIR"'
expect_rc "options before exec are sparkflash's" 0
grep_out "the child sees the simulation directory" "sim$"
run_sf --sim "$S" sim exec
expect_rc "sim exec with no command" 2
run_sf --sim "$S" sim exec --
expect_rc "sim exec -- with no command" 2

# --json: reset, dump and remove print one JSON document on stdout too
jdoc() { timeout 10 python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$T/out" "$2" && ok "$1" || not_ok "$1"; }
run_sf --json --sim "$S" sim reset EX1
jdoc "sim reset --json: the device" 'd["serial"] == "EX1" and d["mode"] == "dfu"'
run_sf --json --sim "$S" sim dump EX1 0 "$T/d0.bin"
jdoc "sim dump --json: what was written" 'd["alt"] == 0 and d["bytes"] == 131072 and d["file"].endswith("d0.bin")'
run_sf --json --sim "$S" sim remove EX1
jdoc "sim remove --json" 'd == {"serial": "EX1", "removed": True}'

done_testing
