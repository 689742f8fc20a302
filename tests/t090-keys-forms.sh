#!/bin/sh
# Keys of every kind through simulated devices with the real dfu-util: each
# private form (PKCS#1, PKCS#8, SEC1; PEM, DER) lands in its segment as the
# device's DER and reads back; server keys build the image; keys that do not
# fit are refused before anything is written, naming the protocol and slot
# that would take them; keys new makes keys the openssl command line
# accepts; a failed keys load names its backup and the command that puts it
# back, and that command works; a retry is never blocked by a backup.
. "$srcdir/tests/lib-sim.sh"

KEYS="$srcdir/tests/fixtures/keys"
usb() { run_sf --sim "$SIM" --timeout 50 "$@"; }
# seg_starts DESCRIPTION SEGMENT WANT-FILE: the segment holds WANT, then 0xFF
seg_holds() {
	rm -f "$T/seg.bin"
	run_sf --sim "$SIM" read "$2" "$T/seg.bin"
	if python3 -c 'import sys; a=open(sys.argv[1],"rb").read(); b=open(sys.argv[2],"rb").read(); sys.exit(0 if b[:len(a)]==a and all(x==0xff for x in b[len(a):]) else 1)' "$3" "$T/seg.bin"; then
		ok "$1"; else not_ok "$1"; od -An -tx1 -N 16 "$T/seg.bin" | sed 's/^/#   /'; fi
}
# seg_prefix DESCRIPTION SEGMENT WANT-FILE: the segment starts with WANT
seg_prefix() {
	rm -f "$T/seg.bin"
	run_sf --sim "$SIM" read "$2" "$T/seg.bin"
	check "$1" python3 -c 'import sys; a=open(sys.argv[1],"rb").read(); b=open(sys.argv[2],"rb").read(); sys.exit(0 if b[:len(a)]==a else 1)' "$3" "$T/seg.bin"
}
# set_faults SERIAL FAULT,...: the device's faults from now on ("" = none)
# (the simulator reads device.json before every dfu-util run)
set_faults() {
	python3 - "$SIM/devices/$1/device.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["faults"] = [f for f in sys.argv[2].split(",") if f]
json.dump(d, open(sys.argv[1], "w"))
PY
}
cp "$KEYS"/*.pem "$KEYS"/*.der "$T/"

# --- every private form, in the device's form --------------------------------
for prof in core photon; do
	rm -rf "$SIM"
	sim add "$prof" --serial F1
	for f in rsa1024-pkcs1.pem rsa1024-pkcs8.pem rsa1024-pkcs1.der rsa1024-pkcs8.der; do
		usb keys load "$T/$f"
		expect_rc "$prof: keys load $f" 0
		seg_holds "$prof: $f is stored as the PKCS#1 DER, 0xFF after it" tcpPrivateKey "$KEYS/rsa1024-pkcs1.der"
	done
	rm -f "$T"/*.backup-*
done
rm -rf "$SIM"
sim add electron --serial F2
for f in ec-p256-sec1.pem ec-p256-pkcs8.pem ec-p256-sec1.der ec-p256-pkcs8.der; do
	usb keys load "$T/$f"
	expect_rc "electron: keys load $f (udp by default)" 0
	seg_holds "electron: $f is stored as the SEC1 DER" udpPrivateKey "$KEYS/ec-p256-sec1.der"
done
usb keys load "$T/rsa1024-pkcs8.pem" --protocol tcp
expect_rc "electron: RSA key with --protocol tcp" 0
seg_holds "electron: tcpPrivateKey holds it" tcpPrivateKey "$KEYS/rsa1024-pkcs1.der"
usb keys save "$T/saved-ec.der"
expect_rc "electron: keys save" 0
grep_out "names what it saved" "an EC P-256 private key"
rm -f "$T"/*.backup-*

# --- server keys ---------------------------------------------------------------
for f in ec-p256.pub.pem ec-p256.pub.der; do
	usb keys server "$T/$f" --host '$id.udp.particle.io' --port 5684
	expect_rc "electron: keys server $f" 0
	seg_prefix "electron: udpServerKey starts with the SPKI DER" udpServerKey "$KEYS/ec-p256.pub.der"
	usb keys address
	grep_out "electron: address of $f" '^udp://\$id\.udp\.particle\.io:5684$'
done

# --- what a slot cannot hold: refused before any transfer ---------------------
rm -rf "$SIM"
sim add core --serial C1
sim dump C1 1 "$T/alt1.before"
refuse() { # DESCRIPTION PATTERN ARGS...
	d=$1 p=$2; shift 2
	usb "$@"
	expect_rc "$d: refused" 3
	grep_err "$d: says why" "$p"
}
refuse "EC key into the Core" "the key is an EC P-256 private key, but tcpPrivateKey \(the tcp protocol's slot\) holds RSA keys, and profile core has no slot for EC keys" keys load "$T/ec-p256-pkcs8.pem"
refuse "RSA-2048 private key into the Core" "the key is RSA-2048, but tcpPrivateKey holds RSA-1024 keys" keys load "$T/rsa2048.pem"
refuse "RSA-1536 (fits 1024 bytes, but not the protocol)" "RSA-1536" keys load "$T/rsa1536.pem"
refuse "exponent 3" "exponent is not 65537" keys load "$T/rsa1024-e3.pem"
refuse "a public key for keys load" "takes the device's private key" keys load "$T/rsa1024.pub.pem"
refuse "an encrypted key" "the key is encrypted" keys load "$T/rsa1024-encrypted.pem"
refuse "a certificate" "a certificate, not a key" keys load "$T/cert.pem"
refuse "a private key for keys server" "takes the server's public key" keys server "$T/rsa2048.pem"
refuse "an RSA-1024 server key" "the key is RSA-1024, but tcpServerKey holds RSA-2048 keys" keys server "$T/rsa1024.pub.pem"
refuse "EC server key into the Core" "no slot for EC keys" keys server "$T/ec-p256.pub.pem"
printf 'not a key' >"$T/junk.der"
refuse "not a key at all" "not a key" keys load "$T/junk.der"
sim dump C1 1 "$T/alt1.after"
same "Core alt 1 untouched by the refusals" "$T/alt1.before" "$T/alt1.after"
check "no backup made for a refused key" sh -c "! ls '$T'/*.backup-* >/dev/null 2>&1"
rm -rf "$SIM"
sim add photon --serial P1
refuse "EC key into the Photon's tcp slot" "EC keys go to udpPrivateKey: pass --protocol udp" keys load "$T/ec-p256-sec1.pem"
refuse "RSA key into the Photon's udp slot" "RSA keys go to tcpPrivateKey: pass --protocol tcp" keys load "$T/rsa1024-pkcs1.pem" --protocol udp
refuse "P-384 key" "the key is on curve P-384" keys load "$T/ec-p384.pem" --protocol udp
usb keys load "$T/ec-p256-sec1.pem" --protocol udp
expect_rc "photon: EC key with --protocol udp" 0
rm -f "$T"/*.backup-*

# --- keys new ------------------------------------------------------------------
mkdir -p "$T/new"
usb keys new "$T/new/tcpkey" --protocol tcp
expect_rc "keys new --protocol tcp" 0
check "private files are 0600, the public one 0644" test "$(stat -c %a "$T/new/tcpkey.der" "$T/new/tcpkey.pem" "$T/new/tcpkey.pub.pem" | tr '\n' ' ')" = "600 600 644 "
check "openssl reads NAME.der as an RSA private key (PKCS#1)" sh -c "openssl rsa -inform DER -in '$T/new/tcpkey.der' -check -noout 2>&1 | grep -q 'RSA key ok'"
check "NAME.der is 1024 bits" sh -c "openssl rsa -inform DER -in '$T/new/tcpkey.der' -text -noout 2>/dev/null | grep -q 'Private-Key: (1024 bit'"
check "NAME.pem is PKCS#8" grep -q 'BEGIN PRIVATE KEY' "$T/new/tcpkey.pem"
check "NAME.pub.pem is the public key of NAME.pem" sh -c "openssl pkey -in '$T/new/tcpkey.pem' -pubout | cmp -s - '$T/new/tcpkey.pub.pem'"
check "NAME.der and NAME.pem are the same key" sh -c "openssl pkey -inform DER -in '$T/new/tcpkey.der' -pubout | cmp -s - '$T/new/tcpkey.pub.pem'"
check "no private key on stdout" sh -c "! grep -q 'PRIVATE' '$T/out' '$T/err'"
sum=$(sha256sum "$T/new/tcpkey.der")
usb keys new "$T/new/tcpkey.der" --protocol tcp
expect_rc "keys new over existing files refused" 3
grep_err "names the file and --force" "tcpkey.der' exists .*pass --force"
check "the old key is untouched" test "$(sha256sum "$T/new/tcpkey.der")" = "$sum"
usb keys new "$T/new/tcpkey" --protocol tcp --force
expect_rc "keys new --force" 0
check "--force made a new key" test "$(sha256sum "$T/new/tcpkey.der")" != "$sum"
usb keys load "$T/new/tcpkey.der"
expect_rc "photon: the new key loads" 0
seg_holds "photon: and is stored as it is" tcpPrivateKey "$T/new/tcpkey.der"
usb keys new "$T/new/udpkey" --protocol udp
expect_rc "keys new --protocol udp" 0
check "openssl reads it as an EC P-256 key (SEC1)" sh -c "openssl ec -inform DER -in '$T/new/udpkey.der' -text -noout 2>/dev/null | grep -q 'prime256v1'"
usb keys new "$T/new/dry" --protocol udp --dry-run
expect_rc "keys new --dry-run" 0
check "dry run writes nothing" test ! -e "$T/new/dry.der" -a ! -e "$T/new/dry.pem"
rm -rf "$SIM"
sim add electron --serial E1
cd "$T/new" && run_sf --sim "$SIM" --json keys new && cd - >/dev/null
expect_rc "keys new on an Electron, default name" 0
check "device.der made" test -s "$T/new/device.der"
check "EC, from the Electron's default protocol" sh -c "openssl ec -inform DER -in '$T/new/device.der' -noout 2>/dev/null"
grep_out "json: algorithm ec, protocol udp, files" '"files":\{"private_pem":"device.pem","private_der":"device.der","public_pem":"device.pub.pem"\},"algorithm":"ec","protocol":"udp"'
rm -rf "$SIM"
mkdir -p "$SIM"
usb keys new "$T/new/nodev"
expect_rc "keys new without a device or --protocol: no device" 4
rm -f "$T"/new/*.backup-*

# --- a failed load: the backup, the command that puts it back, no blocked retry
# The Core's erase of the key's sector times out (erase-timeout=1, only
# downloads erase): the backup read went through, the write did not, and
# the sector ends up erased, so the old key must be put back.
rm -rf "$SIM"
sim add core --serial C0FFEE000001
usb keys load "$T/rsa1024-pkcs1.der"
expect_rc "core: the first key" 0
seg_holds "core: it is in" tcpPrivateKey "$KEYS/rsa1024-pkcs1.der"
rm -f "$T"/*.backup-*
set_faults C0FFEE000001 erase-timeout=1
usb --json keys load "$T/new/tcpkey.der"
expect_rc "the write fails (erase timeout)" 6
b=$(ls "$T"/new/tcpkey.der.backup-C0FFEE000001-tcpPrivateKey-*.der 2>/dev/null)
check "the backup exists" test -s "$b"
same "it holds the first key's segment" "$b" "$T/seg.bin"
grep_err "the error names the backup" "the previous key is saved in .*tcpkey.der.backup-C0FFEE000001-tcpPrivateKey-"
grep_err "then the command that puts it back" "put it back with: sparkflash keys load .*tcpkey.der.backup-C0FFEE000001-tcpPrivateKey-[0-9TZ]*\.der --serial C0FFEE000001$"
python3 - "$T/out" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]
assert r["event"] == "result" and r["exit_code"] == 6, r
assert r["backup"].endswith(".der") and "sparkflash keys load" in r["recovery"], r
PY
check "json: backup and recovery in the result" test $? -eq 0
cmd=$(sed -n 's/.*put it back with: //p' "$T/err" | head -1)
set_faults C0FFEE000001 ""
eval "set -- $cmd"
shift
usb "$@"
expect_rc "the printed restore command works: $cmd" 0
seg_holds "the first key is back" tcpPrivateKey "$KEYS/rsa1024-pkcs1.der"
usb keys load "$T/new/tcpkey.der"
expect_rc "a retry of the failed load is not blocked by its backup" 0
check "it made its own backup (two of tcpkey.der now)" test "$(ls "$T/new" | grep -c '^tcpkey\.der\.backup-C0FFEE000001-tcpPrivateKey-[0-9TZ-]*\.der$')" -eq 2
seg_holds "the new key is in" tcpPrivateKey "$T/new/tcpkey.der"

# --- keys load --leave: write, then the leave request as its own step ---------
usb --json keys load "$T/rsa1024-pkcs1.der" --leave
expect_rc "keys load --leave" 0
python3 - "$T/out" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]
ops = [(o["operation"], o["direction"], o["leave"]) for o in r["operations"]]
assert ops == [("keys-backup", "upload", False), ("keys-load", "download", False), ("leave", "leave", True)], ops
PY
check "json: backup, write without leave, then the leave step" test $? -eq 0
sim list --json
check "the device left DFU mode" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["devices"][0]["mode"]=="runtime" else 1)' "$T/out"
rm -f "$T"/*.backup-* "$T"/new/*.backup-*

plan "$_tap_n"
done_testing
