#!/bin/sh
# Every option a command accepts (its getopt table in src/) is in its --help;
# the common options are in the top-level --help; usage errors (unknown
# option, unknown subcommand, missing argument) exit 2 with a one-line
# "sparkflash: " message and the usage on stderr, nothing on stdout.
. "$srcdir/tests/lib.sh"

# options of a getopt table: lines like { "name", no_argument, ...
# (cloud's --cloud only lets spark-cli's 'flash --cloud' words through)
opts_of() {
	sed -n 's/^[[:space:]]*{ "\([a-z-]*\)", *\(no\|required\|optional\)_argument.*/\1/p' "$1" |
		sort -u | { if [ "${1##*/}" = cmd_cloud.c ]; then grep -vx cloud; else cat; fi; }
}

cmds="list flash read keys cloud sim profiles inspect"
n=0
for c in $cmds; do n=$((n + $(opts_of "$srcdir/src/cmd_$c.c" | wc -l) + 1)); done
common=$(opts_of "$srcdir/src/cli.c")
n=$((n + $(echo "$common" | wc -l)))
usage_cases=22
plan $((n + 2 + usage_cases * 2 + 8 + 8))

for c in $cmds; do
	run_sf "$c" --help
	expect_rc "$c --help" 0
	for o in $(opts_of "$srcdir/src/cmd_$c.c"); do
		if grep -q -- "--$o\b" "$T/out"; then ok "$c --help lists --$o"; else not_ok "$c --help lists --$o"; fi
	done
done
run_sf --help
expect_rc "sparkflash --help" 0
for o in $common; do
	if grep -q -- "--$o\b" "$T/out"; then ok "--help lists --$o"; else not_ok "--help lists --$o"; fi
done

usage_case() {
	run_sf "$@"
	expect_rc "usage error: $*" 2
	if [ ! -s "$T/out" ] && head -1 "$T/err" | grep -q '^sparkflash: [^A-Z].*[^.]$' &&
	   grep -q '^usage: ' "$T/err"; then ok "message and usage on stderr: $*"; else
		not_ok "message and usage on stderr: $*"; sed 's/^/#   /' "$T/err" "$T/out" | head -5; fi
}
usage_case --bogus list
usage_case list --bogus
usage_case list extra
usage_case flash --bogus
usage_case flash
usage_case flash --usb
usage_case flash --alt
usage_case read userFirmware
usage_case keys
usage_case keys frob
usage_case cloud frob
usage_case sim frob
usage_case sim add
usage_case profiles frob
usage_case inspect
usage_case inspect a b
usage_case --timeout 0 list
usage_case list --timeout abc
usage_case cloud flash fw.bin --device a --jobs 0
usage_case --profile core --dry-run flash --usb fw.bin --cloud
usage_case --profile core --dry-run flash --segment userFirmware fw.bin --cloud
usage_case cloud flash fw.bin --device a --jobs 65
grep_err "--jobs message is about parallel uploads, not seconds" "parallel uploads from 1 to 64"

# usage lines stay readable in a terminal (cloud's was one 200-column line)
for c in $cmds; do
	run_sf "$c" --bogus-option
	if awk 'length > 120 { bad = 1 } END { exit bad }' "$T/err"; then ok "$c: usage lines fit 120 columns"; else
		not_ok "$c: usage lines fit 120 columns"; awk 'length > 120' "$T/err" | sed 's/^/#   /'; fi
done

# -h works after the command word too (the top-level help promises it)
for c in $cmds; do
	run_sf "$c" -h
	if [ "$rc" -eq 0 ] && grep -q '^usage: ' "$T/out"; then ok "$c -h prints its help"; else not_ok "$c -h prints its help (exit $rc)"; fi
done

done_testing
