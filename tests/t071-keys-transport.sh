#!/bin/sh
# keys address honours the transport flag (spark-cli.md 5.3): on a
# UDP-default device (Electron) a transport byte other than 0xFF means TCP,
# so the address comes from tcpServerKey; --protocol overrides; a
# TCP-default device (Photon) never reads the flag.
. "$srcdir/tests/lib.sh"

if [ ! -f "${SPARKFLASH_SIM_LIB:-}" ] || ! command -v dfu-util >/dev/null 2>&1; then
	echo "1..0 # SKIP simulator library or dfu-util missing"
	exit 0
fi
S="$T/sim"
sim() { timeout 60 "$SPARKFLASH" --sim "$S" sim "$@" >"$T/simout" 2>"$T/simerr"; }
usb() { run_sf --sim "$S" --timeout 50 "$@"; }

cp "$srcdir/tests/fixtures/keys/rsa2048.pub.der" "$T/pub.der"
printf '\000' >"$T/tcp.bin"
printf '\377' >"$T/ff.bin"

sim add electron --serial EL1
usb keys address
expect_rc "electron: blank device" 0
grep_out "flag 0xff: udp default" '^udp://udp\.particle\.io:5684$'
usb keys server "$T/pub.der" --protocol tcp --host 10.1.2.3 --port 5683
expect_rc "tcp server key written" 0
usb flash 2977 "$T/tcp.bin" --alt 1 --allow-protected transport
expect_rc "transport flag set to 0x00" 0
usb keys address
expect_rc "keys address with flag 0x00" 0
grep_out "flag 0x00: reported as tcp from tcpServerKey" '^tcp://10\.1\.2\.3:5683$'
usb --json keys address
expect_rc "keys address --json" 0
grep_out "json: protocol tcp, address from tcpServerKey" '"segment":"tcpServerKey".*"address":"tcp://10\.1\.2\.3:5683".*"protocol":"tcp"'
usb keys address --protocol udp
expect_rc "--protocol udp overrides the flag" 0
grep_out "--protocol udp reads udpServerKey" '^udp://udp\.particle\.io:5684$'
usb flash 2977 "$T/ff.bin" --alt 1 --allow-protected transport
expect_rc "transport flag back to 0xff" 0
usb keys address
grep_out "flag 0xff again: udp" '^udp://udp\.particle\.io:5684$'

# keys save of a blank segment warns (the file is no key)
usb keys save "$T/blank.der"
expect_rc "keys save of a blank key segment" 0
grep_err "warns that it is blank" "warning: udpPrivateKey is blank \(all 0xFF\)"
usb keys load "$T/blank.der"
expect_rc "loading it back is refused" 3

# keys protocol writes the flag: 0x00 for the other protocol, 0xFF for the default
dflag() { sim dump EL1 1 "$T/dct.bin" --force && od -An -tx1 -j 2977 -N 1 "$T/dct.bin" | tr -d ' '; }
usb keys protocol tcp
expect_rc "keys protocol tcp on the electron" 0
grep_out "says what it set" "set the transport flag to 0x00: the device uses tcp"
check "the DCT byte 2977 is 0x00" test "$(dflag)" = 00
usb keys address
grep_out "keys address follows it" '^tcp://10\.1\.2\.3:5683$'
usb --json keys protocol udp
expect_rc "keys protocol udp --json" 0
grep_out "json: protocol and flag" '"protocol":"udp","transport":255'
check "the DCT byte 2977 is 0xff again" test "$(dflag)" = ff
usb --dry-run --profile electron keys protocol tcp
expect_rc "keys protocol --dry-run" 0
grep_out "dry run: one byte to 2977 on alt 1" ' -a 1 -i 0 -s 0x00000ba1 -D '
check "dry run changed nothing" test "$(dflag)" = ff
usb keys protocol tcp --protocol udp
expect_rc "keys protocol with --protocol: usage" 2
usb keys protocol http
expect_rc "keys protocol http: usage" 2

# TCP-default device: the flag is not read (one upload only)
rm -rf "$S"
sim add photon --serial PH1
usb flash 2977 "$T/tcp.bin" --alt 1 --allow-protected transport
expect_rc "photon: transport flag 0x00" 0
usb --json keys address
expect_rc "photon: keys address" 0
grep_out "photon: tcp default" '"address":"tcp://device\.spark\.io:5683"'
if grep -q '"segment":"transport"' "$T/out"; then not_ok "photon: transport not read"; else ok "photon: transport not read"; fi

# a profile without the flag: refused, nothing sent
rm -rf "$S"
sim add core --serial CO1
usb keys protocol udp
expect_rc "core: keys protocol refused" 3
grep_err "says the core has no flag" "profile core has no transport flag"

plan "$_tap_n"
done_testing
