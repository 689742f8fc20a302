#!/bin/sh
# spark-cli's named apps (issue 11 item 3): flash --usb NAME takes
# DIR/PROFILE/NAME.bin from --apps-dir, then SPARKFLASH_APPS, then the
# installed apps directory, for the device's profile; a file of that name
# wins; a missing app says where it looked and where to put which file;
# apps are checked like any image. On simulated Photons with the real dfu-util.
. "$srcdir/tests/lib.sh"

if [ ! -f "${SPARKFLASH_SIM_LIB:-}" ] || ! command -v dfu-util >/dev/null 2>&1; then
	echo "1..0 # SKIP simulator library or dfu-util missing"
	exit 0
fi
MK="${top_builddir:-.}/tests/tools/mkmodule"
S="$T/sim"
unset SPARKFLASH_APPS
sim() { timeout 60 "$SPARKFLASH" --sim "$S" sim "$@" >"$T/simout" 2>&1; }
usb() { run_sf --sim "$S" --timeout 50 "$@"; }
# at DESCRIPTION FILE OFFSET: the Photon's alt 0 holds FILE at OFFSET
at() {
	sim dump P1 0 "$T/dump" --force
	dd if="$T/dump" of="$T/got" bs=4096 skip=$(($3 / 4096)) count=$((($(wc -c <"$2") + 4095) / 4096)) 2>/dev/null
	head -c "$(wc -c <"$2")" "$T/got" >"$T/got2"
	if cmp -s "$T/got2" "$2"; then ok "$1"; else not_ok "$1"; fi
}
user=$((0xA0000)); factory=$((0xE0000))

sim add photon --serial P1
mkdir -p "$T/A/photon" "$T/B/photon" "$T/C/photon" "$T/empty" "$T/cwd"
"$MK" --photon-user --seed 1 "$T/A/photon/tinker.bin" >/dev/null 2>&1
"$MK" --photon-user --seed 2 "$T/B/photon/tinker.bin" >/dev/null 2>&1
"$MK" --photon-user --seed 3 "$T/C/photon/tinker.bin" >/dev/null 2>&1
"$MK" --core-firmware "$T/A/photon/voodoo.bin" >/dev/null 2>&1   # particle-cli offered the Core's for the Photon

# none anywhere: where it looked, where to put what
usb flash --usb tinker
expect_rc "no tinker anywhere" 3
grep_err "names particle-cli's file and where to put it" "no image for the named app 'tinker' of photon: looked for tinker.bin in .*/apps/photon; sparkflash ships no binaries: put the photon tinker image \(particle-cli's photon_tinker.bin\) at .*/apps/photon/tinker.bin"
usb flash --usb tinker --apps-dir "$T/empty"
grep_err "the first directory is where it goes" "looked for tinker.bin in $T/empty/photon, .*/apps/photon; .* at $T/empty/photon/tinker.bin"
sim list --json
check "nothing was written: still in DFU mode" grep -q '"mode": *"dfu"' "$T/simout"

# --apps-dir
usb flash --usb tinker --apps-dir "$T/A" --no-leave
expect_rc "flash --usb tinker --apps-dir A" 0
grep_out "says which file" "tinker: the named app $T/A/photon/tinker.bin"
at "A's tinker is in userFirmware" "$T/A/photon/tinker.bin" $user
# SPARKFLASH_APPS, in order; --apps-dir first
SPARKFLASH_APPS="$T/empty:$T/B:$T/A" usb flash --usb tinker --no-leave
expect_rc "SPARKFLASH_APPS (a list)" 0
at "the first directory that has it: B" "$T/B/photon/tinker.bin" $user
SPARKFLASH_APPS="$T/B" usb flash --usb tinker --apps-dir "$T/C" --no-leave
expect_rc "--apps-dir before SPARKFLASH_APPS" 0
at "C's tinker" "$T/C/photon/tinker.bin" $user
# spark-cli 0.3.0's words take names too
usb flash firmware tinker --apps-dir "$T/A" --no-leave
expect_rc "flash firmware tinker" 0
at "A's tinker again" "$T/A/photon/tinker.bin" $user
# --factory NAME
usb flash --factory tinker --apps-dir "$T/B"
expect_rc "flash --factory tinker" 0
at "B's tinker is the factory image" "$T/B/photon/tinker.bin" $factory
# a file of that name wins
head -c 3000 /dev/urandom >"$T/cwd/tinker"
(cd "$T/cwd" && run_sf --sim "$S" --timeout 50 flash --usb tinker --apps-dir "$T/A" --no-leave && echo "$rc" >"$T/rc")
is_rc=$(cat "$T/rc")
check "a file named tinker wins over the app (exit $is_rc)" test "$is_rc" -eq 0
at "the file's bytes, not the app's" "$T/cwd/tinker" $user
# checked like any image: particle-cli's voodoo for the Photon is a Core image
usb flash --usb voodoo --apps-dir "$T/A"
expect_rc "a Core image as the Photon's voodoo is refused" 3
grep_err "by its platform" "the image is for platform 0 but profile photon"
# names that are no app of the Photon
usb flash --usb cc3000 --apps-dir "$T/A"
expect_rc "cc3000 is the Core's" 3
grep_err "says whose apps they are" "'cc3000' is no file, and not a named app of photon \(its apps: tinker, doctor, voodoo\)"
usb flash --usb tinkr --apps-dir "$T/A"
expect_rc "a typo" 3
grep_err "did you mean tinker" "'tinkr' does not exist: no such file, and no named app tinkr.bin for photon in $T/A/photon.*\(did you mean 'tinker'\?\)"
# a file name is never an app name
usb flash --usb tinker.bin --apps-dir "$T/A"
expect_rc "tinker.bin is a file name" 3
if grep -q "named app" "$T/err"; then not_ok "no app lookup for a file name"; else ok "no app lookup for a file name"; fi
# several devices: the platform must be given
usb flash --usb tinker --apps-dir "$T/A" --all
expect_rc "--all with a name and no --profile" 2
grep_err "asks for --profile" "with several devices give --profile"
sim reset P1
usb --profile photon flash --usb tinker --apps-dir "$T/A" --all --no-leave
expect_rc "--all --profile photon" 0
at "A's tinker on every device" "$T/A/photon/tinker.bin" $user
# --dry-run with --profile: no device needed
run_sf --dry-run --profile photon flash --usb tinker --apps-dir "$T/A"
expect_rc "dry run with --profile" 0
grep_out "the app's path in the command" " -D $T/A/photon/tinker.bin"

plan "$_tap_n"
done_testing
