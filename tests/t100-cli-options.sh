#!/bin/sh
# Long options are taken only in full (issue 11 item 9): for every command
# and every option of its getopt tables (and the common ones), the option
# without its last letter is refused with exit 2, names the option meant,
# and nothing runs; '--all' never becomes '--allow-protected'. Mistyped
# commands get "did you mean"; 'help COMMAND' prints COMMAND --help.
. "$srcdir/tests/lib.sh"

# table_opts FILE TABLE: the names of one getopt table in a source file
table_opts() {
	awk -v t="$2" '
		$0 ~ "static const struct option " t "\\[\\] = \\{" { on = 1; next }
		on && /^\};/ { exit }
		on && match($0, /\{ "[a-z_-]+", *(no|required|optional)_argument/) {
			s = substr($0, RSTART + 3); sub(/".*/, "", s); print s
		}' "$1"
}

# every command word with the tables its parser uses
cases="list:
flash:src/cmd_flash.c:flash_opts
read:src/cmd_read.c:read_opts
keys:src/cmd_keys.c:keys_opts
cloud flash:src/cmd_cloud.c:flash_opts
cloud list:src/cmd_cloud.c:net_opts
sim:src/cmd_sim.c:sim_longopts
diagnose:src/cmd_diagnose.c:diagnose_longopts
doctor:src/cmd_doctor.c:doctor_longopts
udev print:src/cmd_udev.c:udev_longopts
profiles list:
inspect:"
common=$(table_opts "$srcdir/src/cli.c" common_opts)

# a sandbox: nothing a wrongly accepted option could reach
export HOME="$T/home"
mkdir -p "$HOME"
unset PARTICLE_ACCESS_TOKEN PARTICLE_API_URL SPARKFLASH_SIM
ARGS="--dry-run --dfu-util /nonexistent/dfu-util"

echo "$cases" >"$T/cases"

while IFS=: read -r words file table; do
	opts="$common"
	[ -n "$file" ] && opts="$opts
$(table_opts "$srcdir/$file" "$table")"
	for o in $opts; do
		[ ${#o} -ge 2 ] || continue
		p=${o%?}
		if echo "$opts" | grep -qx -- "$p"; then continue; fi
		# shellcheck disable=SC2086
		run_sf $ARGS $words "--$p" "$T/x" "$T/y"
		if [ "$rc" -eq 2 ] && [ ! -s "$T/out" ] && head -n 1 "$T/err" | grep -q -- "^sparkflash: unknown option '--$p' (did you mean .*'--$o'"; then
			ok "$words: --$p is refused, --$o suggested"
		else
			not_ok "$words: --$p is refused, --$o suggested (exit $rc)"
			head -n 2 "$T/err" | sed 's/^/#   /'
		fi
	done
done <"$T/cases"

# the abbreviation getopt would have resolved to --allow-protected
run_sf $ARGS --profile core flash --usb "$T/x" --allow
expect_rc "flash --allow: refused, not --allow-protected" 2
grep_err "names --allow-protected" "unknown option '--allow' \(did you mean '--allow-protected'\?\)"
run_sf $ARGS --profile core flash --usb "$T/x" --al
expect_rc "flash --al: refused" 2
grep_err "names every option it starts" "did you mean '--alt', '--allow-protected', '--all' or '--all-online'\?"
head -c 16 /dev/zero >"$T/fw.bin"
run_sf $ARGS --profile core flash --usb "$T/fw.bin" --all
check "flash --all in full still works (not a usage error: exit $rc)" test "$rc" -ne 2
# values: '=' and the next word; a flag takes none
run_sf $ARGS --profile=core flash --usb "$T/fw.bin" --serial=SN1
expect_rc "--profile=core --serial=SN1" 0
grep_out "the serial reached dfu-util" " -S SN1 "
run_sf $ARGS --profile core flash --usb "$T/fw.bin" --verify=yes
expect_rc "--verify=yes: a flag takes no value" 2
grep_err "says so" "option '--verify' takes no value"
# before the command word too
run_sf --jso list
expect_rc "global --jso refused" 2
grep_err "global: did you mean --json" "unknown option '--jso' \(did you mean '--json'\?\)"
run_sf --versio
expect_rc "--versio refused" 2
# a value that looks like an option is still a value
run_sf $ARGS --profile core flash --usb "$T/fw.bin" --serial --verif
expect_rc "--serial --verif: '--verif' is the serial" 0
grep_out "serial --verif" " -S --verif "
# after --, nothing is an option
run_sf $ARGS --profile core inspect -- --verif
expect_rc "inspect -- --verif: a file name" 3

# --- commands ---
run_sf falsh --usb x
expect_rc "mistyped command" 2
grep_err "did you mean flash" "^sparkflash: 'falsh' is not a sparkflash command \(did you mean 'flash'\?\)"
run_sf qqqqqq
expect_rc "unknown command" 2
if grep -q "did you mean" "$T/err"; then not_ok "nothing close: no suggestion"; else ok "nothing close: no suggestion"; fi
run_sf __complete profiles
check "the completion helper is no listed command" sh -c "! '$SPARKFLASH' --help | grep -q __complete"

# --- help ---
run_sf help
expect_rc "help" 0
"$SPARKFLASH" --help >"$T/h1"
same_out() { if cmp -s "$T/out" "$2"; then ok "$1"; else not_ok "$1"; diff "$2" "$T/out" | head -5 | sed 's/^/#   /'; fi; }
same_out "help = --help" "$T/h1"
bad=0
for c in list flash read keys cloud sim diagnose doctor udev profiles inspect; do
	"$SPARKFLASH" "$c" --help >"$T/h2"
	run_sf help "$c"
	if [ "$rc" -ne 0 ] || ! cmp -s "$T/out" "$T/h2"; then bad=1; diag "help $c differs from $c --help"; fi
done
check "help COMMAND = COMMAND --help for every command" test "$bad" -eq 0
run_sf help flsh
expect_rc "help of a mistyped command" 2
grep_err "suggests flash" "did you mean 'flash'"
run_sf help flash read
expect_rc "help takes one COMMAND" 2

plan "$_tap_n"
done_testing
