#!/bin/sh
# Every Gen 3, P2 and STM32 system-bootloader profile: `profiles check`, a
# simulated device of it, its user segment (the STM32 profiles' "application"
# at 0x08000000) flashed with `sparkflash flash` and read back identical by
# the profile the device was recognised as. Then several STM32 families on
# one bus, all 0483:df11: `list` names each by its layouts, a 512 KiB F4 is
# the F4 profile with its own map, and a member of no shipped family is
# named as such, refused with --profile as the way out, and served with it.
. "$srcdir/tests/lib-sim.sh"
P="$srcdir/profiles"
V="$srcdir/tests/fixtures/profiles/variants"
particle="argon boron xenon esomx bsom b5som tracker p2"
stm32="stm32f0 stm32f1 stm32f4 stm32l4 stm32h7"
plan 136

rand_file "$T/fw.bin" 30000 5
for p in $particle $stm32; do
	run_sf profiles check "$P/$p.json"
	expect_rc "$p: profiles check" 0
	rm -rf "$SIM"
	sim add "$p" --serial "SN$p"
	expect_rc "$p: sim add" 0
	case $p in
	stm32*) seg=application ;;
	*) seg=userFirmware ;;
	esac
	addr=$(json_get "$P/$p.json" "d['segments']['$seg']['address']")
	run_sf --sim "$SIM" flash --segment "$seg" "$T/fw.bin"
	expect_rc "$p: flash --segment $seg" 0
	grep_out "$p: recognised as $p, written at $addr" "to $seg at $(printf '0x%08x' "$addr") .* of $p \\("
	sim reset "SN$p"
	rm -f "$T/back.bin"
	run_sf --sim "$SIM" read "$addr:30000" "$T/back.bin"
	expect_rc "$p: read $addr:30000" 0
	same "$p: $seg read back identical" "$T/back.bin" "$T/fw.bin"
done

# --- udev rules cover every new VID:PID (generated from the profiles) ---
run_sf udev print
expect_rc "udev print" 0
for p in $particle $stm32; do
	for id in $(json_get "$P/$p.json" "' '.join(v for k, v in d['usb'].items() if k in ('dfu', 'runtime'))"); do
		vid=${id%:*} pid=${id#*:}
		grep_out "udev print: $p $id" "ATTR\{idVendor\}==\"$vid\", ATTR\{idProduct\}==\"$pid\""
	done
done
check "udev print: one rule for the shared 0483:df11" test "$(grep -c 'idProduct}=="df11"' "$T/out")" -eq 1

# --- Particle modules go where their headers say inside the segment ---
M="${top_builddir:-.}/tests/tools/mkmodule"
rm -rf "$SIM"
sim add argon --serial ARGON
sim add p2 --serial P2
"$M" --argon-user --payload 20000 "$T/argon-user.bin" >/dev/null 2>&1
"$M" --argon-system --payload 20000 "$T/argon-system.bin" >/dev/null 2>&1
"$M" --platform 32 --function user --index 1 --start 0x085F4000 --payload 20000 "$T/p2-user.bin" >/dev/null 2>&1
run_sf --sim "$SIM" --serial ARGON flash --usb "$T/argon-user.bin"
expect_rc "argon: a pre-3.1 user part (0xD4000) with flash --usb" 0
grep_out "argon: written at its header's address" 'to userFirmware at 0x000d4000 '
sim reset ARGON
run_sf --sim "$SIM" --serial ARGON flash --usb "$T/argon-system.bin"
expect_rc "argon: a pre-6.0 system part (0x30000) with flash --usb" 0
grep_out "argon: system part at its header's address" 'to systemFirmwareOne at 0x00030000 '
rm -f "$T/back.bin"
run_sf --sim "$SIM" --serial ARGON read "0xD4000:$(wc -c <"$T/argon-user.bin")" "$T/back.bin"
same "argon: user part read back at 0xD4000" "$T/back.bin" "$T/argon-user.bin"
run_sf --sim "$SIM" --serial P2 flash --usb "$T/p2-user.bin"
expect_rc "p2: a user part linked at 0x085F4000 with flash --usb" 0
grep_out "p2: written where it was linked" 'to userFirmware at 0x085f4000 '
sim reset P2
rm -f "$T/back.bin"
run_sf --sim "$SIM" --serial P2 read "0x085F4000:$(wc -c <"$T/p2-user.bin")" "$T/back.bin"
same "p2: read back identical" "$T/back.bin" "$T/p2-user.bin"

# --- five STM32 system bootloaders at once ---
rm -rf "$SIM"
sim add stm32f0 --serial F0
sim add stm32f4 --serial F4
sim add stm32h7 --serial H7
sim add "$V/stm32f401-board.json" --serial F401
sim add "$V/stm32-other-board.json" --serial OTHER
run_sf --sim "$SIM" list
expect_rc "list: five 0483:df11 devices" 0
grep_out "list: F0 named by its layouts" '^0483:df11  STM32F0 system bootloader \(DfuSe\) \(stm32f0\)  serial F0  path '
grep_out "list: F4 named by its layouts" '^0483:df11  STM32F4 system bootloader \(DfuSe\) \(stm32f4\)  serial F4  path '
grep_out "list: H7 named by its layouts" '^0483:df11  STM32H7 system bootloader \(DfuSe\) \(stm32h7\)  serial H7  path '
grep_out "list: a 512 KiB F4 is the F4 profile" '^0483:df11  STM32F4 system bootloader \(DfuSe\) \(stm32f4\)  serial F401  path '
grep_out "list: another family is named as such" '^0483:df11  STM32 system bootloader, unknown family  serial OTHER  path '
grep_out "list: --profile offered" 'its layouts fit none of the profiles stm32f0, stm32f1, stm32f4, stm32h7, stm32l4: pass --profile NAME'
check "list: the F401's smaller map is no warning" test ! -s "$T/err"

# the 512 KiB F4: its own map is used (a read of the segment stops at 512 KiB,
# a write past it is refused before anything is sent)
rand_file "$T/big.bin" 300000 6
run_sf --sim "$SIM" --serial F401 flash --segment application "$T/big.bin"
expect_rc "F401: 300000 bytes to application" 0
sim reset F401
run_sf --sim "$SIM" --serial F401 read application "$T/app.bin"
expect_rc "F401: read application" 0
check "F401: application is its 512 KiB" test "$(wc -c <"$T/app.bin")" -eq 524288
head -c 300000 "$T/app.bin" >"$T/app-head.bin"
same "F401: read back identical" "$T/app-head.bin" "$T/big.bin"
run_sf --sim "$SIM" --serial F401 flash 0x08080000 "$T/fw.bin"
expect_rc "F401: an address past its flash is refused" 3
grep_err "F401: says which map" '0x08080000'

# the device of no shipped family
run_sf --sim "$SIM" --serial OTHER flash --segment application "$T/fw.bin"
expect_rc "OTHER: no profile fits: exit 4" 4
grep_err "OTHER: named with its family" '0483:df11 \(STM32 system bootloader, unknown family\) serial OTHER'
grep_err "OTHER: --profile is the way" 'pass --profile NAME to say which it is, or --profile FILE with a profile for it'
run_sf --sim "$SIM" --serial OTHER --profile stm32f4 flash --segment application "$T/fw.bin"
expect_rc "OTHER with the F4 profile: another map, refused" 3
grep_err "OTHER with the F4 profile: says the map differs" 'it is not the device the profile describes'
run_sf --sim "$SIM" --serial OTHER --profile "$V/stm32-other-board.json" flash --segment application "$T/fw.bin"
expect_rc "OTHER with its own profile file: flashed" 0

# without --serial: the recognised ones are the candidates
run_sf --sim "$SIM" flash --segment application "$T/fw.bin"
expect_rc "no --serial: several devices, exit 4" 4
grep_err "no --serial: each named by its profile" 'stm32f0 0483:df11 serial F0 .*stm32f4 0483:df11 serial F4 .*stm32h7 0483:df11 serial H7'

# the H7 bootloader resets on the leave request before answering
run_sf --sim "$SIM" --serial H7 --json flash --segment application "$T/fw.bin"
expect_rc "H7: flash with leave" 0
check "H7: the leave is unconfirmed, the write is good" python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]
assert r["event"] == "result" and r["ok"], r
assert "leave-unconfirmed" in r["diagnoses"], r
' "$T/out"

# diagnose: a log whose listing shows the 512 KiB F4 names the F4 profile
# (its DFU-mode help) for a run that found no device
rm -rf "$SIM"
sim add "$V/stm32f401-board.json" --serial F401
dfu -l
cat "$T/out" "$T/err" >"$T/nodev.log"
dfu -d ,0483:df11 -S NOPE -a 0 -s 0x08000000 -D "$T/fw.bin"
cat "$T/out" "$T/err" >>"$T/nodev.log"
run_sf diagnose --no-host "$T/nodev.log"
expect_rc "diagnose: no device" 4
grep_out "diagnose: the listing names the F4 family member" 'no STM32F4 system bootloader \(DfuSe\) in DFU mode \(0483:df11\)'
grep_out "diagnose: with the F4's DFU-mode help" 'hold BOOT0 high'

done_testing
