#!/bin/sh
# Parity with spark-cli (issue 11 "Tests"): every spark-cli 0.3.0 command
# form of the reference (shared/reference/spark-cli.md §1.6; particle-cli
# 1.16's §1.7 for --usb/--factory and the Photon) leaves the same bytes on
# a simulated device as the reference's dfu-util argv does: the real
# dfu-util runs that argv against one simulated device, sparkflash the
# spark-cli words against another, and 'sim dump' of every alt must match
# (a read: the files). spark-cli padded an odd file in place with one 0x00
# (§1.5); that is done to a copy here for dfu-util.
. "$srcdir/tests/lib.sh"

if [ ! -f "${SPARKFLASH_SIM_LIB:-}" ] || ! command -v dfu-util >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
	echo "1..0 # SKIP simulator library, dfu-util or openssl missing"
	exit 0
fi
MK="${top_builddir:-.}/tests/tools/mkmodule"
A="$T/ref"   # the device the reference argv writes
B="$T/sf"    # the device sparkflash writes

fresh() { # PROFILE
	rm -rf "$A" "$B"
	timeout 60 "$SPARKFLASH" --sim "$A" sim add "$1" --serial D1 >/dev/null 2>&1
	timeout 60 "$SPARKFLASH" --sim "$B" sim add "$1" --serial D1 >/dev/null 2>&1
	ALTS="0 1"
}
# ref ARGV...: the real dfu-util with the reference's argv on device A
ref() { (cd "$T" && timeout 60 "$SPARKFLASH" --sim "$A" sim exec -- timeout 30 dfu-util "$@") >"$T/ref.out" 2>&1; }
# sf ARGS...: sparkflash on device B
sf() { (cd "$T" && timeout -k 5 60 "$SPARKFLASH" --sim "$B" --timeout 50 "$@") >"$T/out" 2>"$T/err"; rc=$?; }
same_memory() { # DESCRIPTION
	bad=""
	grep -q -e "Download done" -e "Upload done" -e "File downloaded successfully" "$T/ref.out" || bad=" (the reference dfu-util run failed)"
	for alt in $ALTS; do
		timeout 60 "$SPARKFLASH" --sim "$A" sim dump D1 "$alt" "$T/a$alt" --force >/dev/null 2>&1
		timeout 60 "$SPARKFLASH" --sim "$B" sim dump D1 "$alt" "$T/b$alt" --force >/dev/null 2>&1
		[ -s "$T/a$alt" ] && cmp -s "$T/a$alt" "$T/b$alt" || bad="$bad alt$alt"
	done
	if [ -z "$bad" ] && [ "$rc" -eq 0 ]; then ok "$1: the same bytes on every alt"; else
		not_ok "$1: the same bytes on every alt (sparkflash exit $rc; differ:$bad)"
		for alt in $ALTS; do cmp "$T/a$alt" "$T/b$alt" 2>&1 | sed "s/^/#   alt $alt: /"; done
		tail -n 3 "$T/err" "$T/ref.out" | sed 's/^/#   /'
	fi
}
pad_copy() { # FILE -> FILE.padded (spark-cli appended one 0x00 to an odd file)
	cp "$1" "$1.padded"
	[ $(($(wc -c <"$1") % 2)) -eq 1 ] && printf '\000' >>"$1.padded"
	:
}

head -c 20000 /dev/urandom >"$T/fw.bin"
head -c 20001 /dev/urandom >"$T/odd.bin"
head -c 65536 /dev/urandom >"$T/factory.bin"
"$MK" --core-firmware --payload 30000 "$T/core-fw.bin" >/dev/null 2>&1
# a device key whose DER has an even length (spark-cli wrote it as is;
# an odd one got a 0x00 after it, where sparkflash leaves 0xFF: both are
# ignored by the device, which reads the DER's own length)
for i in 1 2 3 4 5 6 7 8 9 10; do
	openssl genrsa -traditional -out "$T/k.pem" 1024 2>/dev/null || openssl genrsa -out "$T/k.pem" 1024 2>/dev/null
	openssl rsa -in "$T/k.pem" -outform DER -traditional -out "$T/k.der" 2>/dev/null ||
		openssl rsa -in "$T/k.pem" -outform DER -out "$T/k.der" 2>/dev/null
	[ $(($(wc -c <"$T/k.der") % 2)) -eq 0 ] && break
done
openssl genrsa 2048 2>/dev/null | openssl rsa -pubout -outform DER -out "$T/server.der" 2>/dev/null

# --- spark-cli 0.3.0, Core (1d50:607f) ---
fresh core
ref -d 1d50:607f -a 0 -i 0 -s 0x08005000:leave -D fw.bin
sf flash firmware fw.bin
same_memory "spark flash firmware FILE"

fresh core
pad_copy "$T/odd.bin"
ref -d 1d50:607f -a 0 -i 0 -s 0x08005000:leave -D odd.bin.padded
sf flash firmware odd.bin
same_memory "spark flash firmware ODD-SIZED-FILE (padded)"
check "the user's odd file was not padded" test "$(wc -c <"$T/odd.bin")" -eq 20001

fresh core
ref -d 1d50:607f -a 0 -i 0 -s 0x08005000:leave -D core-fw.bin
sf flash firmware core-fw.bin
same_memory "spark flash firmware CORE-MODULE"

fresh core
ref -d 1d50:607f -a 1 -s 0x00002000:1024 -U pre_k.der
ref -d 1d50:607f -a 1 -i 0 -s 0x00002000 -D k.der
sf keys load k.der
same_memory "spark keys load NAME"

fresh core
ref -d 1d50:607f -a 1 -i 0 -s 0x00002000 -D k.der
sf keys load k.der
rm -f "$T"/k.der.backup-*
ref -d 1d50:607f -a 1 -s 0x00002000:1024 -U saved-ref.der
sf keys save saved-sf.der
if [ "$rc" -eq 0 ] && cmp -s "$T/saved-ref.der" "$T/saved-sf.der"; then ok "spark keys save FILE: the same file"; else
	not_ok "spark keys save FILE: the same file (exit $rc)"; fi
same_memory "spark keys save FILE (memory untouched alike)"

fresh core
ref -d 1d50:607f -a 1 -i 0 -s 0x00001000 -D server.der
sf keys server server.der
same_memory "spark keys server FILE"

fresh core
ref -d 1d50:607f -a 1 -i 0 -s 0x00020000 -D factory.bin
sf flash --factory factory.bin
same_memory "factory reset image (spark-cli's helper; particle-cli flash --factory)"

# --- particle-cli 1.16, Core and Photon (2b04:d006) ---
fresh core
ref -d 1d50:607f -a 0 -i 0 -s 0x08005000:leave -D fw.bin
sf flash --usb fw.bin
same_memory "particle flash --usb FILE (Core)"

fresh photon
ref -d 2b04:d006 -a 0 -i 0 -s 0x080A0000:leave -D odd.bin
sf flash --usb odd.bin
same_memory "particle flash --usb FILE (Photon: no padding)"

fresh photon
ref -d 2b04:d006 -a 0 -i 0 -s 0x080E0000 -D factory.bin
sf flash --factory factory.bin
same_memory "particle flash --factory FILE (Photon)"

fresh photon
ref -d 2b04:d006 -a 1 -i 0 -s 34 -D k.der
sf keys load k.der
rm -f "$T"/k.der.backup-*
# the Photon's slot is 612 bytes: sparkflash fills the rest with 0xFF,
# particle-cli left the old bytes there; blank before, so alike here
same_memory "particle keys load NAME (Photon, blank slot)"
ref -d 2b04:d006 -a 1 -s 34:612 -U ph-ref.der
sf keys save ph-sf.der
if [ "$rc" -eq 0 ] && cmp -s "$T/ph-ref.der" "$T/ph-sf.der"; then ok "particle keys save NAME (Photon): the same file"; else
	not_ok "particle keys save NAME (Photon): the same file (exit $rc)"; fi

plan "$_tap_n"
done_testing
