#!/bin/sh
# Plan validation through the CLI with --dry-run --profile (no device, no
# dfu-util: --dfu-util points nowhere, so any attempt to run it would fail
# with exit 8). Every rule refuses (exit 3, message naming the limit) and its
# boundary is accepted, on Core, Photon and a made-up profile.
. "$srcdir/tests/lib.sh"

FIX="$srcdir/tests/fixtures/profiles"
NODFU="$T/no/such/dfu-util"
dry() { run_sf --dry-run --dfu-util "$NODFU" --profiles-dir "$FIX" "$@"; }

head -c 1000 /dev/zero >"$T/even.bin"
head -c 1001 /dev/zero >"$T/odd.bin"
head -c 16 /dev/zero >"$T/16.bin"
head -c 2 /dev/zero >"$T/2.bin"
head -c 1 /dev/zero >"$T/1.bin"
head -c 4 /dev/zero >"$T/4.bin"
: >"$T/empty.bin"
head -c 110592 /dev/zero >"$T/108k.bin"
head -c 110593 /dev/zero >"$T/108k1.bin"
head -c 131072 /dev/zero >"$T/128k.bin"
head -c 131073 /dev/zero >"$T/128k1.bin"

# --- spark-cli operations: exact command lines (parity with particle-cli 1.16) ---
dry --profile core flash --usb "$T/even.bin"
expect_rc "core flash --usb plans" 0
grep_out "core flash --usb argv" "^$NODFU -d 1d50:607f -a 0 -i 0 -s 0x08005000:leave -D $T/even.bin\$"
dry --profile core flash --factory "$T/even.bin"
grep_out "core --factory: alt 1, no leave" " -a 1 -i 0 -s 0x00020000 -D "
dry --profile photon flash --usb "$T/even.bin"
grep_out "photon flash --usb argv" " -d 2b04:d006 -a 0 -i 0 -s 0x080a0000:leave -D "
dry --profile photon flash --factory "$T/even.bin"
grep_out "photon --factory" " -a 0 -i 0 -s 0x080e0000 -D "
dry --profile electron flash --usb "$T/even.bin"
grep_out "electron flash --usb" " -d 2b04:d00a -a 0 -i 0 -s 0x08080000:leave -D "
dry --profile core keys save "$T/k.der"
grep_out "core keys save" " -a 1 -s 0x00002000:1024 -U $T/k.der\$"
check "keys save --dry-run creates nothing" test ! -e "$T/k.der"
dry --profile photon keys save "$T/k.der"
grep_out "photon keys save (34:612)" " -a 1 -s 0x00000022:612 -U "
dry --profile photon keys address
grep_out "photon keys address (2082:512)" " -a 1 -s 0x00000822:512 -U "

# --- odd sizes: padded copy only where write_padding is 2 ---
dry --profile core flash --usb "$T/odd.bin"
grep_out "core odd size: padded private copy" "-D '\\\$TMPDIR/sparkflash-XXXXXX'"
dry --profile photon flash --usb "$T/odd.bin"
grep_out "photon odd size: the file itself" " -D $T/odd.bin\$"

# --- segment sizes ---
dry --profile core flash --usb "$T/108k.bin"
expect_rc "core userFirmware: 110592 bytes fit" 0
dry --profile core flash --usb "$T/108k1.bin"
expect_rc "core userFirmware: 110593 bytes refused" 3
grep_err "names the segment size" "segment userFirmware holds 110592 bytes"
dry --profile photon flash --usb "$T/128k.bin"
expect_rc "photon userFirmware: 128 KiB fit" 0
dry --profile photon flash --usb "$T/128k1.bin"
expect_rc "photon userFirmware: 128 KiB + 1 refused" 3
dry --profile core flash --usb "$T/empty.bin"
expect_rc "empty file refused" 3
dry --profile core flash --usb "$T/missing.bin"
expect_rc "missing file refused" 3
dry --profile core flash --usb "$T"
expect_rc "directory refused" 3

# --- read-only bootloader, page edges ---
dry --profile core flash 0x08004000 "$T/16.bin"
expect_rc "core bootloader address refused" 3
grep_err "names the region, alt and the first writable address" "0x08004000 is in the read-only region 0x08000000-0x08004fff of alt 0 \(Internal Flash\); userFirmware starts at 0x08005000"
dry --profile core flash 0x08004ffe "$T/4.bin"
expect_rc "range starting in the bootloader refused" 3
dry --profile core flash 0x08005000 "$T/16.bin"
expect_rc "first writable byte accepted" 0
dry --profile core flash 0x0801fffe "$T/2.bin"
expect_rc "last two bytes of flash accepted" 0
dry --profile core flash 0x0801ffff "$T/1.bin"
expect_rc "1 byte at the last address pads past the end: refused" 3
grep_err "names the last mapped byte" "last mapped byte is 0x0801ffff"
dry --profile photon flash 0x0800bfff "$T/1.bin"
expect_rc "photon read-only sector refused" 3
dry --profile photon flash 0x0800c000 "$T/1.bin"
expect_rc "photon first writable sector accepted" 0
dry --profile photon flash 0x080fffff "$T/1.bin"
expect_rc "photon last byte accepted" 0
dry --profile photon flash 0x080fffff "$T/2.bin"
expect_rc "photon past the end refused" 3

# --- protected-sector neighbours (Core alt 1: 4 KiB sectors) ---
dry --profile core flash 0x1800 "$T/16.bin"
expect_rc "core 0x1800 refused: erases the server key's sector" 3
grep_err "names the erased pages and the segment" "erases the whole page\(s\) 0x00001000-0x00001fff, which hold the protected segment tcpServerKey"
dry --profile core flash 0x3000 "$T/16.bin"
expect_rc "core 0x3000 accepted" 0
grep_out "alt 1 inferred for 0x3000" " -a 1 -i 0 -s 0x00003000 -D "
dry --profile core flash 0x2ff0 "$T/16.bin"
expect_rc "core 0x2ff0 refused (private key's sector)" 3
dry --profile core flash 0x1800 "$T/16.bin" --allow-protected tcpServerKey
expect_rc "--allow-protected tcpServerKey lets 0x1800 through" 0
dry --profile core flash 0x1800 "$T/16.bin" --allow-protected tcpPrivateKey
expect_rc "--allow-protected of another segment does not" 3
head -c 4428 /dev/zero >"$T/4428.bin"
dry --profile core flash 0x1800 "$T/4428.bin"
expect_rc "core 0x1800 with 4428 bytes refused: two key sectors" 3
grep_err "names every protected segment in the way" "tcpServerKey .* and tcpPrivateKey; .*--allow-protected tcpServerKey --allow-protected tcpPrivateKey"
dry --profile core flash 0x1800 "$T/4428.bin" --allow-protected tcpServerKey --allow-protected tcpPrivateKey
expect_rc "both named: allowed" 0
dry --profile core flash --segment tcpServerKey "$T/16.bin"
expect_rc "flash --segment into a key segment refused" 3
grep_err "names the command that writes it" "only 'sparkflash keys server FILE' writes it"
dry --profile photon flash 0 "$T/16.bin" --alt 1
expect_rc "photon DCT 0..15 accepted (footprint = bytes)" 0
dry --profile photon flash 20 "$T/16.bin" --alt 1
expect_rc "photon DCT 20..35 refused (tcpPrivateKey at 34)" 3

# --- address spellings ---
for a in 0x00100000 0x100000 1048576; do
	dry --profile core flash "$a" "$T/16.bin"
	grep_out "core $a → 0x00100000 on alt 1" " -a 1 -i 0 -s 0x00100000 -D "
done
# as the first word these are probable typos: usage errors (t101), before any plan
dry --profile core flash 08005000 "$T/16.bin"
expect_rc "octal-looking address refused" 2
grep_err "says why" "octal.*0x08005000"
dry --profile core flash 0x108005000 "$T/16.bin"
expect_rc "address past 32 bits refused" 2
dry --profile core flash 0xfffffff0 "$T/108k.bin" --alt 0
expect_rc "address + size overflow refused" 3
grep_err "names the overflow" "wraps past the 32-bit address space"
dry --profile core read 0x08000000:0x401 "$T/r.bin"
expect_rc "read from the bootloader (readable) accepted" 0
dry --profile core read 0x0801fc00:0x401 "$T/r.bin"
expect_rc "read past the end refused" 3
dry --profile core read 0x08000000:010 "$T/r.bin"
expect_rc "octal-looking length refused" 3
dry --profile core read 0x30000000:4 "$T/r.bin"
expect_rc "unmapped address refused" 3
dry --profile core read userFirmware "$T/r.bin"
grep_out "read a segment: whole region length" " -a 0 -s 0x08005000:110592 -U "
dry --profile core read nosuch "$T/r.bin"
expect_rc "unknown segment refused" 3
grep_err "lists the segments" "segments: "

# --- the made-up profile: nothing is hard-coded ---
dry --profile widget flash --segment app "$T/16.bin"
expect_rc "widget app segment" 0
grep_out "widget argv" " -d 1234:abcd -a 0 -i 0 -s 0x00012000:leave -D "
dry --profile widget flash 0x11ffe "$T/2.bin"
expect_rc "widget read-only region refused" 3
grep_err "widget region named" "read-only region 0x00010000-0x00011fff of alt 0 \(Code\); app starts at 0x00012000"
dry --profile widget flash 0x400003c8 "$T/2.bin"
expect_rc "widget: same 256-byte page as the private key refused" 3
dry --profile widget flash 0x40000400 "$T/2.bin"
expect_rc "widget: next page accepted, alt 1 inferred" 0
grep_out "widget alt 1" " -a 1 -i 0 -s 0x40000400 -D "
dry --profile widget flash 0x400002ff "$T/1.bin"
expect_rc "widget: padding reaches into the key's page" 3
dry --profile widget flash 0x400002fe "$T/2.bin"
expect_rc "widget: last byte before the key's page" 0
dry --profile widget keys save "$T/w.der"
grep_out "widget default protocol udp" " -a 1 -s 0x40000300:200 -U "
dry --profile widget flash --usb "$T/16.bin"
expect_rc "widget has no userFirmware" 3
dry --profile widget flash 0x2fffe "$T/2.bin"
expect_rc "widget last byte accepted" 0
dry --profile widget flash 0x2fffe "$T/4.bin"
expect_rc "widget past the end refused" 3

# --- spark-cli's cloud forms are routed to the cloud code ---
cloud() { HOME="$T/home" timeout 60 env -u PARTICLE_ACCESS_TOKEN "$SPARKFLASH" --dfu-util "$NODFU" "$@" >"$T/out" 2>"$T/err"; rc=$?; }
mkdir -p "$T/home"
cloud flash 53ff6c065067544847310187 "$T/16.bin"
expect_rc "flash DEVICE FILE goes to the cloud (not logged in)" 10
grep_err "cloud message" "not logged in"
cloud flash --cloud my_core "$T/16.bin"
expect_rc "flash --cloud DEVICE FILE goes to the cloud" 10
cloud flash --profile core --dry-run 1048576 "$T/16.bin"
expect_rc "a decimal address stays on USB" 0

# --- usage ---
dry --profile core flash
expect_rc "flash without arguments: usage" 2
dry --profile core read userFirmware
expect_rc "read without OUTFILE: usage" 2
dry --profile core keys bogus
expect_rc "unknown keys subcommand: usage" 2

plan "$_tap_n"
done_testing
