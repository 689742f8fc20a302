#!/bin/sh
# flash --usb A.bin B.bin C.bin: several Particle module images in one run.
# Each goes where its header says, system parts by index and then the user
# part whatever the order given, every image is checked before the first
# byte is sent, and only the last download carries :leave. A raw image among
# several, two images for one place, a bad image: refused before anything
# is sent. The real dfu-util against simulated Photons.
. "$srcdir/tests/lib-sim.sh"
sf() { run_sf --sim "$SIM" --timeout 50 "$@"; }
M="$top_builddir/tests/tools/mkmodule"
downloads() { jq -r 'select(.event=="dfu-util") | .argv[1:] | join(" ")' "$T/out" | grep -- ' -D ' | sed 's/ -D .*//'; }
programs() { timeout 60 "$SPARKFLASH" --sim "$SIM" sim list --json 2>/dev/null |
	python3 -c 'import json,sys; print(sum(a["programs"] for d in json.load(sys.stdin)["devices"] for a in d["alts"]))'; }
mode_of() { timeout 60 "$SPARKFLASH" --sim "$SIM" sim list --json 2>/dev/null |
	python3 -c 'import json,sys; print([d["mode"] for d in json.load(sys.stdin)["devices"] if d["serial"]==sys.argv[1]][0])' "$1"; }
at() { # DUMP ADDRESS FILE: the dump of alt 0 holds FILE at ADDRESS
	python3 -c 'import sys; a=open(sys.argv[1],"rb").read(); b=open(sys.argv[3],"rb").read(); o=int(sys.argv[2],0)-0x08000000; sys.exit(0 if a[o:o+len(b)]==b else 1)' "$@"
}

"$M" --photon-system 1 --payload 6000 --seed 1 "$T/p1.bin" >/dev/null
"$M" --photon-system 2 --payload 7000 --seed 2 "$T/p2.bin" >/dev/null
"$M" --photon-user --payload 3000 --seed 3 "$T/user.bin" >/dev/null
sim add photon --serial PH1

# --- given in any order: system part 1, 2, then the user part, one leave ---
sf --json flash --usb "$T/user.bin" "$T/p2.bin" "$T/p1.bin"
expect_rc "three images" 0
is "downloads in order, :leave on the last only" "$(downloads | tr '\n' '|')" \
	"-d 2b04:d006 -S PH1 -a 0 -i 0 -s 0x08020000|-d 2b04:d006 -S PH1 -a 0 -i 0 -s 0x08060000|-d 2b04:d006 -S PH1 -a 0 -i 0 -s 0x080a0000:leave|"
is "plan events in that order, leave only on the last" \
	"$(jq -r 'select(.event=="plan") | "\(.segment):\(.leave)"' "$T/out" | tr '\n' ' ')" \
	"systemFirmwareOne:false systemFirmwareTwo:false userFirmware:true "
is "the result names the three" "$(jq -r 'select(.event=="result") | .message' "$T/out" | sed 's|/[^ ]*/||g')" \
	"flashed 3 images in order (p1.bin -> systemFirmwareOne, p2.bin -> systemFirmwareTwo, user.bin -> userFirmware) to photon (2b04:d006, serial PH1, path 1-1); the device leaves DFU mode and runs it"
sim dump PH1 0 "$T/d.bin"
check "system part 1 at 0x08020000" at "$T/d.bin" 0x08020000 "$T/p1.bin"
check "system part 2 at 0x08060000" at "$T/d.bin" 0x08060000 "$T/p2.bin"
check "user part at 0x080a0000" at "$T/d.bin" 0x080a0000 "$T/user.bin"
is "left DFU mode once, at the end" "$(mode_of PH1)" runtime

# --- everything is checked before the first byte ---
sim reset PH1
p0=$(programs)
"$M" --photon-system 1 --payload 6000 --bad-crc "$T/bad1.bin" >/dev/null
sf --json flash --usb "$T/user.bin" "$T/p2.bin" "$T/bad1.bin"
expect_rc "a damaged system part: refused" 3
grep_err "names the file" "bad1\\.bin: the image's CRC is invalid"
is "no download at all" "$(downloads | wc -l)" 0
is "nothing programmed" "$(programs)" "$p0"
"$M" --electron-user --payload 3000 "$T/euser.bin" >/dev/null
sf flash --usb "$T/p1.bin" "$T/euser.bin"
expect_rc "an image for another platform: refused" 3
grep_err "names it" 'euser\.bin: the image is for platform 10 but profile photon'
is "still nothing programmed" "$(programs)" "$p0"

# --- refused without looking at a device ---
head -c 5000 /dev/urandom >"$T/raw.bin"
sf --json flash --usb "$T/user.bin" "$T/raw.bin"
expect_rc "a raw image among several" 3
grep_err "why" "raw\\.bin' is not a Particle module image: with several images each must say where it goes"
is "no dfu-util run" "$(jq -r 'select(.event=="dfu-util") | .argv[1]' "$T/out" | wc -l)" 0
"$M" --photon-user --payload 2000 --seed 9 "$T/user2.bin" >/dev/null
sf flash --usb "$T/user.bin" "$T/user2.bin"
expect_rc "two user parts" 3
grep_err "why" 'are both a user part: give one image per destination'
sf flash --factory "$T/user.bin" "$T/user2.bin"
expect_rc "--factory takes one file" 2
is "nothing programmed by any of them" "$(programs)" "$p0"

# --- with --diff: an unchanged set writes nothing and still leaves once ---
sim reset PH1
sf --json flash --usb "$T/p1.bin" "$T/p2.bin" "$T/user.bin" --diff
expect_rc "the same three with --diff" 0
is "no download" "$(downloads | wc -l)" 0
is "one leave step, at the user part" "$(jq -r 'select(.event=="dfu-util") | .argv[1:] | join(" ")' "$T/out" | grep -c ':leave$')" 1
grep_err "unchanged, all three" 'unchanged: all 3 images are already on photon'

# --- on several devices at once ---
sim add photon --serial PH2
sim reset PH1
sf --json flash --usb "$T/p1.bin" "$T/p2.bin" "$T/user.bin" --all
expect_rc "three images on two Photons" 0
is "three downloads each" "$(jq -r 'select(.event=="dfu-util" and .serial != null) | .serial' "$T/out" | sort | uniq -c | awk '{print $1 $2}' | tr '\n' ' ')" "3PH1 3PH2 "
sim dump PH2 0 "$T/d2.bin"
check "PH2 has the user part" at "$T/d2.bin" 0x080a0000 "$T/user.bin"
plan "$_tap_n"
done_testing
