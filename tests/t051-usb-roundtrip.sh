#!/bin/sh
# Flash then read back on simulated Core, Photon and Electron with the real
# dfu-util: bytes match; the device leaves DFU mode for userFirmware only;
# factory and key writes stay in DFU mode; keys save/load/server/address.
. "$srcdir/tests/lib.sh"

if [ ! -f "${SPARKFLASH_SIM_LIB:-}" ] || ! command -v dfu-util >/dev/null 2>&1; then
	echo "1..0 # SKIP simulator library or dfu-util missing"
	exit 0
fi
S="$T/sim"
MK="${top_builddir:-.}/tests/tools/mkmodule"
sim() { timeout 60 "$SPARKFLASH" --sim "$S" sim "$@" >"$T/simout" 2>"$T/simerr"; }
usb() { run_sf --sim "$S" --timeout 50 "$@"; }
mode_is() { # DESCRIPTION SERIAL MODE
	sim list --json
	if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if [x for x in d['devices'] if x['serial']==sys.argv[2]][0]['mode']==sys.argv[3] else 1)" "$T/simout" "$2" "$3"; then
		ok "$1"; else not_ok "$1"; sed 's/^/#   sim: /' "$T/simout"; fi
}
same() { if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1"; cmp "$2" "$3" | sed 's/^/# /'; fi; }

for dev in core:C0RE photon:PH0T electron:E1EC; do
	prof=${dev%%:*}; sn=${dev#*:}
	rm -rf "$S"
	sim add "$prof" --serial "$sn"
	check "$prof: simulated device added" test -s "$T/simout"
	head -c 5001 /dev/urandom >"$T/$prof.bin"
	usb flash --usb "$T/$prof.bin"
	expect_rc "$prof: flash --usb" 0
	grep_out "$prof: says it flashed userFirmware" "flashed .* to userFirmware"
	mode_is "$prof: device left DFU mode after userFirmware" "$sn" runtime
	usb read userFirmware "$T/$prof.back"
	expect_rc "$prof: read refused while the device is not in DFU mode" 4
	check "$prof: no output file after a failed read" test ! -e "$T/$prof.back"
	sim reset "$sn"
	usb read 0x$(case $prof in core) echo 08005000;; photon) echo 080a0000;; electron) echo 08080000;; esac):5001 "$T/$prof.back"
	expect_rc "$prof: read back" 0
	same "$prof: read-back bytes equal the file" "$T/$prof.bin" "$T/$prof.back"
	mode_is "$prof: read does not leave" "$sn" dfu
	usb read userFirmware "$T/$prof.back"
	expect_rc "$prof: existing OUTFILE refused" 3
	usb read userFirmware "$T/$prof.back" --force
	expect_rc "$prof: --force replaces it" 0
	check "$prof: whole segment read" test "$(wc -c <"$T/$prof.back")" -gt 5001
	head -c 4000 /dev/urandom >"$T/$prof.fac"
	usb flash --factory "$T/$prof.fac" --verify
	expect_rc "$prof: flash --factory --verify" 0
	grep_out "$prof: verified" "verified 4000 bytes"
	mode_is "$prof: factory write stays in DFU mode" "$sn" dfu
	usb flash --usb "$T/$prof.bin" --no-leave
	expect_rc "$prof: --no-leave" 0
	mode_is "$prof: --no-leave keeps DFU mode" "$sn" dfu
	usb flash --usb "$T/$prof.bin" --verify
	expect_rc "$prof: --verify with leave" 0
	mode_is "$prof: leaves after the verifying read" "$sn" runtime
	sim reset "$sn"
done

# --- module images go where their header says ---
rm -rf "$S"
sim add photon --serial PH1
"$MK" --photon-system 2 "$T/p2.bin" >/dev/null 2>&1
usb flash --usb "$T/p2.bin" --json
expect_rc "photon system part 2" 0
grep_out "goes to systemFirmwareTwo without leave" '"leave":false,"segment":"systemFirmwareTwo"'
mode_is "system part: stays in DFU mode" PH1 dfu
usb read 0x08060000:$(wc -c <"$T/p2.bin") "$T/p2.back"
same "system part bytes at 0x08060000" "$T/p2.bin" "$T/p2.back"
"$MK" --electron-user "$T/eu.bin" >/dev/null 2>&1
usb flash --usb "$T/eu.bin"
expect_rc "electron user part on a photon: refused" 3
grep_err "names the platforms" "platform 10 but profile photon"
"$MK" --photon-user --function bootloader "$T/bl.bin" >/dev/null 2>&1
usb flash --usb "$T/bl.bin" --force
expect_rc "bootloader refused even with --force" 3
"$MK" --photon-user --bad-crc "$T/bad.bin" >/dev/null 2>&1
usb flash --usb "$T/bad.bin"
expect_rc "bad CRC refused" 3
usb flash --usb "$T/bad.bin" --force --no-leave
expect_rc "bad CRC with --force" 0

# --- keys on the Core (alt 1, 4 KiB sectors) and the Photon (DCT) ---
KEYS="$srcdir/tests/fixtures/keys"
for dev in core:KC photon:KP; do
	prof=${dev%%:*}; sn=${dev#*:}
	rm -rf "$S"
	sim add "$prof" --serial "$sn"
	usb keys address
	expect_rc "$prof: keys address on a blank device" 0
	grep_out "$prof: default server" "^tcp://device.spark.io:5683$"
	cp "$KEYS/rsa2048.pub.der" "$T/pub.der"
	usb keys server "$T/pub.der" --host 10.20.30.40 --port 5683
	expect_rc "$prof: keys server" 0
	mode_is "$prof: keys server stays in DFU mode" "$sn" dfu
	usb keys address
	grep_out "$prof: address reads back" "^tcp://10.20.30.40:5683$"
	python3 - "$T/pub.der" "$T/pub.pem" <<'PY'
import base64, sys
der = open(sys.argv[1], "rb").read()
b = base64.b64encode(der).decode()
open(sys.argv[2], "w").write("-----BEGIN PUBLIC KEY-----\n" + "\n".join(b[i:i+64] for i in range(0, len(b), 64)) + "\n-----END PUBLIC KEY-----\n")
PY
	pem_hash=$(sha256sum <"$T/pub.pem")
	usb keys server "$T/pub.pem" --host 192.168.1.2 --port 9999
	expect_rc "$prof: keys server from PEM" 0
	check "$prof: PEM file unchanged" test "$(sha256sum <"$T/pub.pem")" = "$pem_hash"
	usb keys address
	grep_out "$prof: PEM-built image reads back" "^tcp://192.168.1.2:9999$"
	usb read tcpServerKey "$T/srv.img"
	python3 -c "import sys; a=open(sys.argv[1],'rb').read(); b=open(sys.argv[2],'rb').read(); sys.exit(0 if b[:len(a)]==a and all(x==0xff for x in b[len(a):384]) else 1)" "$T/pub.der" "$T/srv.img"
	check "$prof: image = DER, then 0xFF up to the address field" test $? -eq 0
	# an image read back goes in as it is (key, address and port kept)
	usb keys server "$T/srv.img"
	expect_rc "$prof: keys server from a saved image" 0
	usb read tcpServerKey "$T/srv2.img"
	check "$prof: the saved image is written unchanged" cmp -s "$T/srv.img" "$T/srv2.img"
	rm -f "$T/srv.img" "$T/srv2.img"
	usb keys server "$T/pub.der" --host my.example.org
	usb keys address --json
	grep_out "$prof: domain reads back (json)" '"address":"tcp://my.example.org:5683"'
	usb keys save "$T/$prof-key.der"
	expect_rc "$prof: keys save" 0
	check "$prof: saved key file is mode 0600" test "$(stat -c %a "$T/$prof-key.der")" = 600
	cp "$KEYS/rsa1024-pkcs1.der" "$T/new.der"
	usb keys load "$T/new.der"
	expect_rc "$prof: keys load" 0
	b1=$(ls "$T"/new.der.backup-"$sn"-tcpPrivateKey-*.der 2>/dev/null)
	check "$prof: backup written next to the key" test -s "$b1"
	same "$prof: backup equals the saved key" "$T/$prof-key.der" "$b1"
	check "$prof: backup is mode 0600" test "$(stat -c %a "$b1")" = 600
	mode_is "$prof: keys load stays in DFU mode" "$sn" dfu
	usb keys load "$T/new.der"
	expect_rc "$prof: a second load is not blocked by the first backup" 0
	check "$prof: it made a second backup" test "$(ls "$T"/new.der.backup-"$sn"-tcpPrivateKey-*.der | wc -l)" -eq 2
	same "$prof: the first backup is untouched" "$T/$prof-key.der" "$b1"
	usb keys save "$T/$prof-key2.der"
	python3 -c "import sys; a=open(sys.argv[1],'rb').read(); b=open(sys.argv[2],'rb').read(); sys.exit(0 if b[:len(a)]==a and all(x==0xff for x in b[len(a):]) else 1)" "$T/new.der" "$T/$prof-key2.der"
	check "$prof: loaded key reads back, 0xFF after it" test $? -eq 0
	# PKCS#8 PEM (OpenSSL 3's default) goes in as the PKCS#1 DER the device reads
	cp "$KEYS/rsa1024-pkcs8.pem" "$T/new8.pem"
	usb keys load "$T/new8.pem"
	expect_rc "$prof: keys load of a PKCS#8 PEM" 0
	usb keys save "$T/$prof-key3.der" --force
	python3 -c "import sys; a=open(sys.argv[1],'rb').read(); b=open(sys.argv[2],'rb').read(); sys.exit(0 if b[:len(a)]==a else 1)" "$KEYS/rsa1024-pkcs1.der" "$T/$prof-key3.der"
	check "$prof: PKCS#8 PEM stored as PKCS#1 DER" test $? -eq 0
	usb keys address
	grep_out "$prof: server key untouched by keys load" "^tcp://my.example.org:5683$"
	rm -f "$T"/new.der.backup-* "$T"/new8.pem.backup-* "$T"/$prof-key*.der
done

plan "$_tap_n"
done_testing
