#!/bin/sh
# 'sim exec CMD ARGS' without '--': the command's options are its own
# (getopt used to take 'dfu-util -l' as sparkflash's unknown option -l).
. "$srcdir/tests/lib.sh"

if [ ! -f "${SPARKFLASH_SIM_LIB:-}" ] || ! command -v dfu-util >/dev/null 2>&1; then
	echo "1..0 # SKIP simulator library or dfu-util missing"
	exit 0
fi
plan 8
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

done_testing
