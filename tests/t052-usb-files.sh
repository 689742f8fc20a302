#!/bin/sh
# File handling: nasty names (spaces, quotes, leading dash, newline) reach
# dfu-util intact; the input file's hash never changes (also when padded);
# no temporary files remain in TMPDIR or next to outputs, on success or
# failure.
. "$srcdir/tests/lib.sh"

if [ ! -f "${SPARKFLASH_SIM_LIB:-}" ] || ! command -v dfu-util >/dev/null 2>&1; then
	echo "1..0 # SKIP simulator library or dfu-util missing"
	exit 0
fi
S="$T/sim"
mkdir -p "$T/tmp" "$T/w"
TMPDIR="$T/tmp"; export TMPDIR
sim() { timeout 60 "$SPARKFLASH" --sim "$S" sim "$@" >"$T/simout" 2>"$T/simerr"; }
usb() { run_sf --sim "$S" --timeout 50 "$@"; }
h() { sha256sum <"$1" | cut -d' ' -f1; }
clean() { # DESCRIPTION: nothing left in TMPDIR or the work dir besides our files
	left=$(find "$T/tmp" "$T/w" -name '*sparkflash*' | head -5)
	if [ -z "$left" ]; then ok "$1"; else not_ok "$1"; echo "$left" | sed 's/^/#   left: /'; fi
}

sim add core --serial NASTY
nl='
'
for name in "with space.bin" "it's \"quoted\".bin" "-leading-dash.bin" "new${nl}line.bin" '$(touch pwned).bin'; do
	f="$T/w/$name"
	d=$(printf '%s' "$name" | tr '\n' '?')
	# random bytes after a Cortex-M vector (0x20005000): never an LPC or
	# Stellaris prefix dfu-util would strip, whatever the dice say
	{ printf '\000\120\000\040'; head -c 773 /dev/urandom; } >"$f"      # odd: the Core pads a private copy
	before=$(h "$f")
	usb flash --usb "$f" --no-leave
	expect_rc "flash --usb '$d'" 0
	check "'$d' unchanged (sha256)" test "$(h "$f")" = "$before"
	{ printf '\000\120\000\040'; head -c 774 /dev/urandom; } >"$f"      # even: passed to dfu-util as is
	before=$(h "$f")
	usb flash 0x08006000 "$f"
	expect_rc "flash ADDRESS '$d' (file itself)" 0
	check "'$d' unchanged after the direct write" test "$(h "$f")" = "$before"
	sim reset NASTY
	out="$T/w/out $name"
	usb read 0x08006000:778 "$out"
	expect_rc "read into 'out $d'" 0
	check "read-back of '$d' matches" cmp -s "$f" "$out"
	rm -f "$out"
	clean "no temp files after '$d'"
done
check "no command substitution ran" test ! -e pwned -a ! -e "$T/w/pwned"

# key files are read, never written
cp "$srcdir/tests/fixtures/keys/rsa1024-pkcs8.pem" "$T/w/key one.pem"
cp "$srcdir/tests/fixtures/keys/rsa2048.pub.der" "$T/w/server key.der"
before=$(h "$T/w/key one.pem")
usb --serial NASTY keys load "$T/w/key one.pem"
expect_rc "keys load from a name with a space" 0
check "key file unchanged" test "$(h "$T/w/key one.pem")" = "$before"
check "backup next to it (mode 0600)" sh -c "ls '$T/w/key one.pem.backup-NASTY-tcpPrivateKey-'*.der >/dev/null && test \"\$(stat -c %a '$T/w/key one.pem.backup-NASTY-tcpPrivateKey-'*.der)\" = 600"
before=$(h "$T/w/server key.der")
usb --serial NASTY keys server "$T/w/server key.der" --host h.example
expect_rc "keys server" 0
check "key file unchanged by keys server" test "$(h "$T/w/server key.der")" = "$before"
rm -f "$T/w/key one.pem.backup-NASTY-tcpPrivateKey-"*.der
clean "no temp files after the keys commands"

# failures leave nothing behind either
f="$T/w/fw.bin"
{ printf '\000\120\000\040'; head -c 2997 /dev/urandom; } >"$f"
before=$(h "$f")
sim add core --serial LOST --fault lost=1
usb --serial LOST flash --usb "$f"
expect_rc "device lost mid-transfer" 6
check "input unchanged after a failed flash" test "$(h "$f")" = "$before"
clean "no temp files after a failed flash"
usb --serial LOST read 0x08005000:100 "$T/w/never.bin"
expect_rc "read from a lost device fails" 4
check "no output after a failed read" test ! -e "$T/w/never.bin"
clean "no temp files after a failed read"
sim add core --serial UPL --fault status=errUNKNOWN@0
usb --serial UPL read 0x08005000:3000 "$T/w/never.bin"
check "upload failure exits non-zero" test "$rc" -ne 0
check "no partial output after an upload failure" test ! -e "$T/w/never.bin"
clean "no temp files after an upload failure"
usb --serial NASTY keys load "$f" --dry-run
check "keys load --dry-run: no backup" test -z "$(find "$T/w" -name '*.backup-*')"
: >"$T/w/empty.bin"
usb --serial NASTY flash --usb "$T/w/empty.bin"
expect_rc "empty file refused" 3

plan "$_tap_n"
done_testing
