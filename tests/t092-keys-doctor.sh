#!/bin/sh
# keys doctor DEVICE end to end: simulated devices with the real dfu-util and
# the local cloud imitation (sfcloudd). A new key pair, loaded with leave
# (backup, write, leave step), its public key sent; each step failing in
# turn (the cloud check, new, load at the backup, load at the write, send)
# stops there with what to do next, and the printed commands work.
. "$srcdir/tests/lib-sim.sh"
. "$srcdir/tests/cloud/lib-cloud.sh"

KEYS=$(cd "$srcdir/tests/fixtures/keys" && pwd)
SN=0123456789ABCDEF01234567       # a Photon's USB serial is its device ID
usb() { run_sf --sim "$SIM" --timeout 50 "$@"; }
doctor() { PARTICLE_ACCESS_TOKEN=$TOKEN usb "$@"; }
base=${PHOTON1}_rsa_new
seg_holds() { # DESCRIPTION SEGMENT WANT-FILE: WANT, then 0xFF
	rm -f "$T/seg.bin"
	run_sf --sim "$SIM" read "$2" "$T/seg.bin"
	[ "$rc" -eq 0 ] || sed 's/^/#   read: /' "$T/err" | tail -3
	check "$1" python3 -c 'import sys; a=open(sys.argv[1],"rb").read(); b=open(sys.argv[2],"rb").read(); sys.exit(0 if b[:len(a)]==a and all(x==0xff for x in b[len(a):]) else 1)' "$3" "$T/seg.bin"
}
set_faults() {
	python3 - "$SIM/devices/$1/device.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["faults"] = [f for f in sys.argv[2].split(",") if f]
json.dump(d, open(sys.argv[1], "w"))
PY
}
mode_is() { # DESCRIPTION MODE
	sim list --json
	check "$1" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["devices"][0]["mode"]==sys.argv[2] else 1)' "$T/out" "$2"
}
cloud_key_is() { # DESCRIPTION ID PUBPEM
	ctl "$S_URL" GET /__control/keys | jq -j ".[\"$2\"].publicKey // \"\"" >"$T/got.pem"
	check "$1" cmp -s "$T/got.pem" "$3"
}
last_result() { python3 -c 'import json,sys; print(json.dumps([json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]))' "$T/out"; }

start_server S
mkdir -p "$T/w"
cd "$T/w" || exit 1
cp "$KEYS/rsa1024-pkcs1.der" old.der
sim add photon --serial $SN
usb keys load old.der
expect_rc "the device's old key" 0
rm -f old.der.backup-*

# --- the whole way -----------------------------------------------------------
doctor --json keys doctor $PHOTON1 --api-url "$S_URL"
expect_rc "keys doctor" 0
last_result >"$T/res.json"
check "new key files, the private ones mode 0600" test "$(stat -c %a $base.der $base.pem $base.pub.pem | tr '\n' ' ')" = "600 600 644 "
is "the cloud checked the login first, then got the key" \
	"$(requests "$S_URL" | jq -r '[.[] | .method + " " + .path] | join(",")')" "GET /v1/user,POST /v1/provisioning/$PHOTON1"
cloud_key_is "the cloud holds the new public key" $PHOTON1 $base.pub.pem
mode_is "the device left DFU mode (restarts with the new key)" runtime
sim reset $SN
seg_holds "the device holds the new key" tcpPrivateKey $base.der
cp $base.der "$T/first.der"
b=$(ls $base.der.backup-$SN-tcpPrivateKey-*.der)
check "the old key was backed up (mode 0600)" test "$(stat -c %a "$b")" = 600
check "the backup holds the old key" python3 -c 'import sys; a=open(sys.argv[1],"rb").read(); b=open(sys.argv[2],"rb").read(); sys.exit(0 if b[:len(a)]==a else 1)' "$KEYS/rsa1024-pkcs1.der" "$b"
python3 - "$T/res.json" "$PHOTON1" "$base" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] and r["exit_code"] == 0 and r["verdict"] == "success", r
assert r["device"]["id"] == sys.argv[2] and r["device"]["profile"] == "photon", r["device"]
ops = [(o["operation"], o.get("direction")) for o in r["operations"]]
assert ops == [("keys-backup", "upload"), ("keys-load", "download"), ("leave", "leave"), ("keys-send", None)], ops
assert r["operations"][3]["http_status"] == 200, r["operations"]
assert r["files"]["private_der"] == sys.argv[3] + ".der" and r["backup"] and r["failed_step"] is None, r
PY
check "json: the device with its ID, the four operations, files and backup" test $? -eq 0
check "no private key in the output" sh -c "! grep -q 'PRIVATE KEY' '$T/out' '$T/err'"

# --- step 1 (new) fails: the files are there from the last run ---------------
reset_server "$S_URL"
sum=$(sha256sum $base.der)
doctor keys doctor $PHOTON1 --api-url "$S_URL"
expect_rc "new: existing key files refused" 3
grep_err "names the step and the file" "keys doctor stopped at the new step: '$base.der' exists .*pass --force"
grep_err "says nothing changed" "^sparkflash: nothing was changed on the device or in the cloud$"
check "the files are untouched" test "$(sha256sum $base.der)" = "$sum"
is "no key went to the cloud" "$(nreq "$S_URL" '.method=="POST"')" 0
seg_holds "the device is untouched" tcpPrivateKey $base.der

# --- the cloud check fails: nothing happens at all -------------------------------
usb keys doctor $PHOTON1 --api-url "$S_URL" --force
expect_rc "not logged in" 10
grep_err "stopped at the check step" "keys doctor stopped at the check step: not logged in"
check "no files were replaced" test "$(sha256sum $base.der)" = "$sum"
PARTICLE_ACCESS_TOKEN=$EXPIRED_TOKEN usb keys doctor $PHOTON1 --api-url "$S_URL" --force
expect_rc "a token the cloud rejects" 10
grep_err "the check step, with the cloud's reason" "stopped at the check step: the access token is invalid or has expired"
seg_holds "the device is untouched" tcpPrivateKey $base.der

# --- another device in DFU mode than the ID names -------------------------------
doctor keys doctor 1123456789abcdef01234567 --api-url "$S_URL" --force
expect_rc "the ID is not the connected device's" 3
grep_err "names both" "serial $SN, which is its device ID, not 1123456789abcdef01234567"

# --- step 2 (load) fails at the backup: the device keeps its key ---------------
reset_server "$S_URL"
set_faults $SN busy
doctor keys doctor $PHOTON1 --api-url "$S_URL" --force
expect_rc "load: the backup read fails (interface busy)" 6
grep_err "names the step" "keys doctor stopped at the load step: keys-backup failed: .*nothing was written"
grep_err "says how to go on" "the device still has its old key and the cloud was told nothing; after fixing that, run 'sparkflash keys load $base.der --serial $SN --leave' and then 'sparkflash keys send $PHOTON1 $base.pub.pem --api-url $S_URL'"
is "nothing went to the cloud" "$(nreq "$S_URL" '.method=="POST"')" 0
cp "$T/err" "$T/doctor.err"
set_faults $SN ""
seg_holds "the device still has the key from before (--force replaced only the files)" tcpPrivateKey "$T/first.der"
# the printed commands carry on from there
for cmd in "$(sed -n "s/.*after fixing that, run '\([^']*\)' and then.*/\1/p" "$T/doctor.err")" \
	   "$(sed -n "s/.* and then '\([^']*\)' (or keys doctor.*/\1/p" "$T/doctor.err")"; do
	eval "set -- $cmd"
	shift
	doctor "$@"
	expect_rc "the printed command works: $cmd" 0
done
cloud_key_is "the cloud holds the key made by the stopped doctor" $PHOTON1 $base.pub.pem
sim reset $SN
seg_holds "and so does the device" tcpPrivateKey $base.der

# --- step 2 (load) fails at the write: the Core's sector erase times out --------
rm -rf "$SIM"
mkdir -p "$T/core" && cd "$T/core" || exit 1
CSN=C0FFEE000002
sim add core --serial $CSN
cp "$KEYS/rsa1024-pkcs1.der" old.der
usb keys load old.der
set_faults $CSN erase-timeout=1
reset_server "$S_URL"
doctor keys doctor $PHOTON1 --api-url "$S_URL"
expect_rc "load: the write fails" 6
grep_err "names the step" "keys doctor stopped at the load step: keys-load failed: .*the previous key is saved in "
grep_err "says how to go on or back" "the cloud was told nothing, and the key segment may be half written: load the new key with 'sparkflash keys load ${base}.der --serial $CSN --leave' and send it with '.*'; or go back: the previous key is saved in .*; put it back with: sparkflash keys load .*--serial $CSN$"
is "nothing went to the cloud" "$(nreq "$S_URL" '.method=="POST"')" 0
set_faults $CSN ""
cmd=$(sed -n 's/.*put it back with: //p' "$T/err" | head -1)
eval "set -- $cmd"
shift
usb "$@"
expect_rc "the printed way back works" 0
seg_holds "the Core has its old key again" tcpPrivateKey "$KEYS/rsa1024-pkcs1.der"

# --- step 3 (send) fails: the device has the key, the cloud does not ----------------
rm -rf "$SIM"
mkdir -p "$T/send" && cd "$T/send" || exit 1
sim add photon --serial $SN
cp "$KEYS/rsa1024-pkcs1.der" old.der
usb keys load old.der
rm -f old.der.backup-*
reset_server "$S_URL"
fault "$S_URL" '{"method":"POST","path_prefix":"/v1/provisioning","status":500}'
doctor --json keys doctor $PHOTON1 --api-url "$S_URL"
expect_rc "send: the cloud fails" 12
grep_err "names the step" "keys doctor stopped at the send step: server error during sending the public key"
grep_err "says how to go on or back" "the device has the new key but the cloud does not know it, so the device cannot connect: retry with 'sparkflash keys send $PHOTON1 $base.pub.pem --api-url $S_URL'; or go back \(in DFU mode\): the previous key is saved in "
last_result >"$T/res.json"
check "json: failed_step send, recovery, backup" python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["failed_step"]=="send" and "keys send" in r["recovery"] and r["backup"] and r["exit_code"]==12 else 1)' "$T/res.json"
cp "$T/err" "$T/doctor.err"
cloud_key_is "the cloud does not have the key" $PHOTON1 /dev/null
cmd=$(sed -n "s/.*retry with '\([^']*\)'.*/\1/p" "$T/doctor.err")
eval "set -- $cmd"
shift
doctor "$@"
expect_rc "the printed retry works: $cmd" 0
cloud_key_is "now the cloud holds it" $PHOTON1 $base.pub.pem
# and the way back instead
cmd=$(sed -n 's/.*put it back with: //p' "$T/doctor.err" | head -1)
sim reset $SN
eval "set -- $cmd"
shift
usb "$@"
expect_rc "the printed way back works (after the device is back in DFU mode)" 0
seg_holds "the old key is back" tcpPrivateKey "$KEYS/rsa1024-pkcs1.der"

# --- a device that does not leave DFU mode: written and sent, with a warning --------
rm -rf "$SIM"
sim add photon --serial $SN --fault stall-leave
doctor --json keys doctor $PHOTON1 --api-url "$S_URL" --force
expect_rc "stall-leave: done, with a warning" 0
grep_err "says to reset the device" "the device stayed in DFU mode: reset it to start with the new key"
check "verdict success-with-warnings, leave-ignored" python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]; sys.exit(0 if r["verdict"]=="success-with-warnings" and "leave-ignored" in r["diagnoses"] else 1)' "$T/out"

# --- an Electron: UDP, so an EC P-256 key in udpPrivateKey -------------------------
E1=1123456789abcdef01234567
rm -rf "$SIM"
sim add electron --serial 1123456789ABCDEF01234567
reset_server "$S_URL"
doctor keys doctor $E1 --api-url "$S_URL"
expect_rc "electron: keys doctor" 0
check "EC key files" test -s ${E1}_ec_new.der
is "sent as ecc" "$(requests "$S_URL" | jq -r '[.[] | select(.method=="POST")][0].form.algorithm')" ecc
sim reset 1123456789ABCDEF01234567
seg_holds "the EC key is in udpPrivateKey" udpPrivateKey ${E1}_ec_new.der

# --- --dry-run: shows every step, changes nothing --------------------------------
rm -rf "$SIM" "$T/dry"
mkdir -p "$T/dry" && cd "$T/dry" || exit 1
sim add photon --serial $SN
sim dump $SN 1 "$T/dct.before"
reset_server "$S_URL"
doctor --dry-run keys doctor $PHOTON1 --api-url "$S_URL"
expect_rc "--dry-run" 0
grep_out "shows the backup read" " -a 1 -s 0x00000022:612 -U .*backup-$SN-tcpPrivateKey-"
grep_out "the write without leave" " -a 1 -i 0 -s 0x00000022 -D "
grep_out "the leave step" " -a 1 -i 0 -s 0x00000022:leave$"
grep_out "and the POST" "^POST $S_URL/v1/provisioning/$PHOTON1 "
check "no files" test -z "$(ls)"
is "no request" "$(requests "$S_URL" | jq length)" 0
sim dump $SN 1 "$T/dct.after"
same "the device is untouched" "$T/dct.before" "$T/dct.after"

plan "$_tap_n"
done_testing
