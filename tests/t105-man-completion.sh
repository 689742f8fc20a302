#!/bin/sh
# The man page and the shell completions are printed from the command
# table (issue 12 item 7): the man page has every command, every option
# that any --help shows (in that command's own section), every exit code
# and every diagnosis id, and is what the binary prints now; bash (and zsh)
# completion offers commands, options, profile ids and the segment names
# of the --profile given (or of every profile).
. "$srcdir/tests/lib.sh"

MAN="${top_builddir:-.}/sparkflash.1"
BASHC="${top_builddir:-.}/completions/sparkflash"
ZSHC="${top_builddir:-.}/completions/_sparkflash"
for f in "$MAN" "$BASHC" "$ZSHC"; do
	[ -f "$f" ] || { echo "Bail out! $f was not built"; exit 1; }
done

# the man page as text: roff escapes and font changes undone
sed -e 's/\\-/-/g' -e 's/\\f[BIR]//g' -e 's/\\e/\\/g' -e 's/\\&//g' "$MAN" >"$T/man"
# section CMD: the lines of the man page's '.SS "CMD"'
section() { awk -v c="$1" '$0 == ".SS \"" c "\"" { on = 1; next } on && /^\.S[SH] / { exit } on' "$T/man"; }

# --- the page is the table's, now ---
"$SPARKFLASH" --dump-cli man >"$T/fresh.1"
check "sparkflash.1 is what the binary prints" cmp -s "$MAN" "$T/fresh.1"
if command -v groff >/dev/null 2>&1; then
	groff -man -Tutf8 -ww -z "$MAN" >"$T/groff" 2>&1
	check "groff has no warning about it" test ! -s "$T/groff"
else
	skip "groff missing"
fi

# every command of --help, each with a section
"$SPARKFLASH" --help >"$T/help"
cmds=$(sed -n '/^Commands:/,/^$/s/^  \([a-z_-]*\) .*/\1/p' "$T/help")
check "--help lists commands" test -n "$cmds"
for c in $cmds; do
	check "man page: section for $c" grep -qx ".SS \"$c\"" "$MAN"
done
# every option --help shows: global ones anywhere, a command's in its section
for o in $(grep -o -- '--[a-z][a-z_-]*' "$T/help" | sort -u); do
	check "man page has global $o" grep -q -- "$o\\b" "$T/man"
done
bad=0
for c in $cmds; do
	[ "$c" = help ] && continue
	"$SPARKFLASH" "$c" --help >"$T/ch"
	section "$c" >"$T/sec"
	for o in $(grep -o -- '--[a-z][a-z_-]*' "$T/ch" | sort -u); do
		if ! grep -q -- "$o\\b" "$T/sec" && ! grep -q -- "$o\\b" "$T/help"; then
			bad=1; diag "$c --help shows $o, its man section does not"
		fi
	done
done
check "every option of every COMMAND --help is in its man section" test "$bad" -eq 0
# every option of every getopt table is documented in its command's help text
# (not only in the generated list): an option added without docs fails here
bad=0
for pair in flash:flash_opts read:read_opts keys:keys_opts cloud:flash_opts cloud:net_opts sim:sim_longopts \
	diagnose:diagnose_longopts doctor:doctor_longopts udev:udev_longopts; do
	c=${pair%%:*}; t=${pair#*:}
	section "$c" | sed '/^Options of /,$d' >"$T/text"
	for o in $(awk -v t="$t" '$0 ~ "static const struct option " t "\\[\\] = \\{" { on = 1; next }
			on && /^\};/ { exit }
			on && match($0, /\{ "[a-z_-]+"/) { s = substr($0, RSTART + 3); sub(/".*/, "", s); print s }' \
			"$srcdir/src/cmd_$c.c"); do
		[ "$o" = cloud ] && [ "$c" = cloud ] && continue # spark-cli's 'flash --cloud' word only
		[ "$o" = product_id ] && continue                # particle-cli's spelling of --product
		if ! grep -q -- "--$o\\b" "$T/text"; then bad=1; diag "--$o of $c is not in its help text"; fi
	done
done
check "every option in a getopt table is in its command's help text" test "$bad" -eq 0
# exit codes and diagnosis ids
for code in 0 1 2 3 4 5 6 7 8 9 10 11 12 130 143; do
	check "man page: exit $code" grep -qx ".B $code" "$MAN"
done
ids=$(sed -n 's/^[[:space:]]*{ "\([a-z-]*\)", SF_DIAG_.*/\1/p' "$srcdir/src/diag.c")
n=0; bad=0
for id in $ids; do
	n=$((n + 1))
	grep -qx ".B $(echo "$id" | sed 's/-/\\\\-/g')" "$MAN" || { bad=1; diag "diagnosis id $id missing"; }
done
check "man page: all $n diagnosis ids" test "$bad" -eq 0 -a "$n" -gt 20

# --- bash ---
if command -v bash >/dev/null 2>&1; then
	# comp LINE: what bash's completion offers for LINE (the cursor at its
	# end); '=' is a word of its own, as COMP_WORDBREAKS makes it
	comp() {
		bash -c '
			. "$1"; shift
			line=$1
			read -r -a COMP_WORDS <<<"${line//=/ = }"
			[ "${line% }" != "$line" ] && COMP_WORDS+=("")
			COMP_WORDS[0]=$SPARKFLASH
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			_sparkflash
			printf "%s\n" "${COMPREPLY[@]}"' bash "$BASHC" "$1" | sort >"$T/comp"
	}
	offers() { # DESCRIPTION WORD...
		d=$1; shift; miss=""
		for w in "$@"; do grep -qx -- "$w" "$T/comp" || miss="$miss $w"; done
		if [ -z "$miss" ]; then ok "bash: $d"; else not_ok "bash: $d (missing:$miss)"; sed 's/^/#   got: /' "$T/comp" | head -8; fi
	}
	lacks() { if grep -qx -- "$2" "$T/comp"; then not_ok "bash: $1"; else ok "bash: $1"; fi; }
	comp "sparkflash fl"
	offers "a command" flash
	comp "sparkflash "
	offers "every command" list flash read keys cloud sim diagnose doctor udev profiles inspect help
	lacks "not the hidden one" __complete
	comp "sparkflash --js"
	offers "a global option" --json
	comp "sparkflash flash --al"
	offers "flash's options" --alt --allow-protected --all
	lacks "not cloud's --all-online after flash" --all-online
	comp "sparkflash flash --verif"
	offers "the full name" --verify
	comp "sparkflash --profile "
	offers "profile ids" core photon electron argon p2 stm32f4
	comp "sparkflash --profile core flash --segment "
	offers "the Core's segments" userFirmware factoryReset tcpPrivateKey tcpServerKey
	lacks "only the Core's" systemFirmwareOne
	comp "sparkflash flash --segment sys"
	offers "every profile's segments without --profile" systemFirmwareOne systemFirmwareTwo systemFirmwareThree
	comp "sparkflash --profile=photon read "
	offers "read: the --profile= profile's segments" userFirmware udpServerKey transport
	lacks "read: not another profile's" application
	comp "sparkflash keys "
	offers "keys subcommands" new save load send doctor server address protocol
	comp "sparkflash keys --protocol "
	offers "--protocol values" tcp udp
	comp "sparkflash keys protocol "
	offers "keys protocol's argument" tcp udp
	comp "sparkflash cloud "
	offers "cloud subcommands" flash list login logout
	comp "sparkflash sim add "
	offers "sim add: profile ids" core photon
	comp "sparkflash help re"
	offers "help: commands" read
	mkdir -p "$T/dir"
	: >"$T/dir/fw-one.bin"
	comp "sparkflash flash --usb $T/dir/fw"
	offers "file names" "$T/dir/fw-one.bin"
	comp "sparkflash --sim $T/di"
	offers "directories for --sim" "$T/dir"
else
	skip "bash missing"
fi

# --- zsh (when installed: scripts/deps installs it) ---
if command -v zsh >/dev/null 2>&1; then
	zcomp() {
		zsh -f -c '
			OUT=$2
			compadd() { while [[ $1 == -* ]]; do if [[ $1 == -- ]]; then shift; break; fi; shift; done; print -rl -- "$@" >>$OUT; }
			_files() { print -r -- "<files>" >>$OUT; }
			_describe() { local -a arr; arr=( "${(@P)4}" ); print -rl -- "${(@)arr%%:*}" >>$OUT; }
			words=( ${(z)3} )
			[[ $3 == *" " ]] && words+=( "" )
			words[1]=$SPARKFLASH
			CURRENT=${#words}
			source $1' zsh "$ZSHC" "$T/zcomp" "$1"
	}
	zoffers() {
		d=$1; shift; miss=""
		for w in "$@"; do grep -qx -- "$w" "$T/zcomp" || miss="$miss $w"; done
		if [ -z "$miss" ]; then ok "zsh: $d"; else not_ok "zsh: $d (missing:$miss)"; sed 's/^/#   got: /' "$T/zcomp" | head -8; fi
	}
	: >"$T/zcomp"; zcomp "sparkflash "
	zoffers "commands" flash read keys help
	: >"$T/zcomp"; zcomp "sparkflash flash --"
	zoffers "flash's options" --usb --factory --allow-protected --json
	: >"$T/zcomp"; zcomp "sparkflash --profile "
	zoffers "profile ids" core photon stm32f4
	: >"$T/zcomp"; zcomp "sparkflash --profile core flash --segment "
	zoffers "the Core's segments" userFirmware tcpServerKey
	if grep -qx systemFirmwareOne "$T/zcomp"; then not_ok "zsh: only the Core's"; else ok "zsh: only the Core's"; fi
	: >"$T/zcomp"; zcomp "sparkflash keys "
	zoffers "keys subcommands" new load protocol
	: >"$T/zcomp"; zcomp "sparkflash flash --usb "
	zoffers "files" "<files>"
else
	skip "zsh not installed"
fi

plan "$_tap_n"
done_testing
