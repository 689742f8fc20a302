#!/bin/sh
# The refusals say what is true (issue 11 item 11), through the command
# line with the shipped profiles: a protected segment's refusal names only
# the command that really writes it (or none), the size quoted is the size
# checked (padded on the Core), and --segment factoryReset agrees with
# --factory: the same exit code and the same message for every image.
. "$srcdir/tests/lib.sh"

MKMODULE="${top_builddir:-.}/tests/tools/mkmodule"
[ -x "$MKMODULE" ] || { echo "1..0 # SKIP mkmodule not built"; exit 0; }
plan 28

dry() { run_sf --dry-run --dfu-util /nonexistent/dfu-util "$@"; }
head -c 1 /dev/zero >"$T/1.bin"
head -c 16 /dev/zero >"$T/16.bin"

# --- who writes a protected segment ---
dry --profile photon flash --segment otaFlag "$T/1.bin"
expect_rc "photon otaFlag refused" 3
grep_err "no command claims to write it" "no sparkflash command writes it for you: pass --allow-protected otaFlag"
if grep -q "keys" "$T/err"; then not_ok "otaFlag: no keys command named"; else ok "otaFlag: no keys command named"; fi
dry --profile photon flash --segment transport "$T/1.bin"
grep_err "transport: keys protocol" "only 'sparkflash keys protocol tcp\|udp' writes it"
dry --profile photon flash --segment udpPrivateKey "$T/16.bin"
grep_err "photon udp key: keys load with --protocol udp (tcp is its default)" "only 'sparkflash keys load FILE --protocol udp' writes it"
dry --profile argon flash --segment udpPrivateKey "$T/16.bin"
grep_err "argon udp key: keys load (udp is its default)" "only 'sparkflash keys load FILE' writes it"
dry --profile core flash --segment tcpServerKey "$T/16.bin"
grep_err "core server key: keys server" "only 'sparkflash keys server FILE' writes it"
dry --profile argon flash --segment bootloader "$T/16.bin"
grep_err "argon bootloader: no command" "no sparkflash command writes it for you: pass --allow-protected bootloader"
dry --profile stm32f4 flash --segment optionBytes "$T/16.bin"
grep_err "stm32 option bytes: no command" "no sparkflash command writes it for you"
# the command named does write it (its dry run plans that very segment)
dry --profile photon keys load "$srcdir/tests/fixtures/keys/ec-p256-sec1.der" --protocol udp 2>/dev/null
if [ -f "$srcdir/tests/fixtures/keys/ec-p256-sec1.der" ]; then
	grep_out "keys load --protocol udp plans udpPrivateKey (3106)" " -s 0x00000c22 -D "
else
	skip "no EC key fixture"
fi

# --- sizes: the checked (padded) size, both named ---
head -c 110593 /dev/zero >"$T/big.bin"
dry --profile core flash --usb "$T/big.bin"
expect_rc "core: 110593 bytes refused" 3
grep_err "padded size and the file's" "writing 110594 bytes \(the 110593-byte image padded to even length\) does not fit: segment userFirmware holds 110592 bytes"
dry --profile core flash 0x0801ffff "$T/1.bin"
grep_err "address form: padded size" "writing 2 bytes \(the 1-byte image padded to even length\) at 0x0801ffff runs past"
head -c 131073 /dev/zero >"$T/p.bin"
dry --profile photon flash --usb "$T/p.bin"
grep_err "photon: no padding, the file's size" "writing 131073 bytes does not fit: segment userFirmware holds 131072 bytes"
dry --profile photon flash --segment otaFlag "$T/16.bin" --allow-protected otaFlag
grep_err "one byte, singular" "segment otaFlag holds 1 byte \("

# --- --segment factoryReset == --factory ---
"$MKMODULE" --photon-user "$T/user.bin" >/dev/null 2>&1
"$MKMODULE" --photon-system 1 "$T/sys.bin" >/dev/null 2>&1
"$MKMODULE" --electron-user "$T/euser.bin" >/dev/null 2>&1
"$MKMODULE" --photon-user "$T/crc.bin" >/dev/null 2>&1
printf '\377' | dd of="$T/crc.bin" bs=1 seek=100 conv=notrunc 2>/dev/null
head -c 3000 /dev/urandom >"$T/raw.bin"
for img in user sys euser crc raw; do
	dry --profile photon flash --factory "$T/$img.bin"
	rc1=$rc; cp "$T/err" "$T/err1"; cp "$T/out" "$T/out1"
	dry --profile photon flash --segment factoryReset "$T/$img.bin"
	if [ "$rc" -eq "$rc1" ] && cmp -s "$T/err" "$T/err1" && cmp -s "$T/out" "$T/out1"; then
		ok "$img.bin: --segment factoryReset and --factory agree (exit $rc)"
	else
		not_ok "$img.bin: --segment factoryReset and --factory agree (exit $rc1 vs $rc)"
		sed 's/^/#   factory: /' "$T/err1" "$T/out1" | head -4; sed 's/^/#   segment: /' "$T/err" "$T/out" | head -4
	fi
done
dry --profile photon flash --factory "$T/user.bin"
expect_rc "a photon app goes to the factory image" 0
grep_out "at 0x080e0000" " -s 0x080e0000 -D "
dry --profile photon flash --segment factoryReset "$T/sys.bin"
expect_rc "a system part never does" 3
grep_err "says so" "only an application can go to the factory reset location"
# the address of the factory image keeps the header check, and points at --factory
dry --profile photon flash 0x080E0000 "$T/user.bin"
expect_rc "the bare address: the header's address rule" 3
grep_err "hints at --factory" "to store it as the factory image use --factory, or pass --force"
dry --profile core flash --segment factoryReset "$T/raw.bin"
expect_rc "core: a raw image to the factory segment" 0
grep_out "core factory image on alt 1" " -a 1 -i 0 -s 0x00020000 -D "

done_testing
