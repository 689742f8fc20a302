#!/bin/sh
# Failure paths with the real dfu-util and simulated faults: exit codes 4
# (no/several devices), 5 (permission), 6 (transfer), 8 (dfu-util), 9
# (timeout), the benign get_status error after :leave (success + warning),
# and a device whose memory map differs from the profile (3).
. "$srcdir/tests/lib.sh"

if [ ! -f "${SPARKFLASH_SIM_LIB:-}" ] || ! command -v dfu-util >/dev/null 2>&1; then
	echo "1..0 # SKIP simulator library or dfu-util missing"
	exit 0
fi
S="$T/sim"
sim() { timeout 60 "$SPARKFLASH" --sim "$S" sim "$@" >"$T/simout" 2>"$T/simerr"; }
usb() { run_sf --sim "$S" --timeout 50 "$@"; }
head -c 3000 /dev/urandom >"$T/fw.bin"
mkdir -p "$S"

usb flash --usb "$T/fw.bin"
expect_rc "no device" 4
grep_err "DFU-mode instructions" "no known device in DFU mode found; .*blinks yellow"
usb --profile photon flash --usb "$T/fw.bin"
expect_rc "no photon" 4
grep_err "the profile's own instructions" "hold SETUP and RESET"

sim add core --serial A1
sim add core --serial A2
usb flash --usb "$T/fw.bin"
expect_rc "two Cores: ambiguous" 4
grep_err "lists both and says how to pick" "A1 .*A2 .*pass --serial SN or --path BUS-PORT"
usb --serial A2 flash --usb "$T/fw.bin" --json
expect_rc "--serial picks one" 0
grep_out "dfu-util gets -S" '"-S","A2"'
sim list --json
grep_path=$(python3 -c "import json,sys; print([d['path'] for d in json.load(open(sys.argv[1]))['devices'] if d['serial']=='A1'][0])" "$T/simout")
usb --path "$grep_path" flash --usb "$T/fw.bin" --json --no-leave
expect_rc "--path picks one" 0
grep_out "dfu-util gets -p" "\"-p\",\"$grep_path\""
usb --serial A9 flash --usb "$T/fw.bin"
expect_rc "unknown serial" 4
grep_err "shows what was seen" "seen, not matching"
rm -rf "$S"; mkdir -p "$S"

sim add core --serial P1 --fault access
usb flash --usb "$T/fw.bin"
expect_rc "permission denied" 5
grep_err "udev hint" "udev"
rm -rf "$S"; mkdir -p "$S"

sim add photon --serial L1 --fault reset-on-leave
usb flash --usb "$T/fw.bin" --json
expect_rc "get_status error after leave is a success" 0
grep_out "the device left: a success, leave-unconfirmed named" '"verdict":"success".*"diagnoses":\[[^]]*"leave-unconfirmed"'
sim add core --serial T1 --fault lost=2
usb --serial T1 flash --usb "$T/fw.bin"
expect_rc "device lost: transfer failed" 6
sim add core --serial T2 --fault status=errWRITE@1
usb --serial T2 flash --usb "$T/fw.bin"
expect_rc "write error status: transfer failed" 6
grep_err "quotes dfu-util" "Failed to write whole chunk"
sim add core --serial T3 --timing real
head -c 60000 /dev/urandom >"$T/big.bin"
start=$(date +%s)
run_sf --sim "$S" --serial T3 --timeout 1 flash --usb "$T/big.bin"
expect_rc "--timeout stops a slow transfer" 9
check "and it stopped quickly" test $(( $(date +%s) - start )) -lt 15
grep_err "timeout message" "did not finish within 1 s"

usb --serial T2 --dfu-util "$T/nope/dfu-util" flash --usb "$T/fw.bin"
expect_rc "dfu-util missing" 8
printf 'not executable' >"$T/dfu-util"
usb --serial T2 --dfu-util "$T/dfu-util" flash --usb "$T/fw.bin"
expect_rc "dfu-util not executable" 8
DFU_UTIL="$T/nope/dfu-util" usb --serial T2 flash --usb "$T/fw.bin"
expect_rc "DFU_UTIL is honoured" 8

# a profile whose map differs from what the device reports
rm -rf "$S"; mkdir -p "$S" "$T/p"
sim add core --serial M1
sed 's#108\*001Kg#100*001Kg#' "$SPARKFLASH_PROFILES/core.json" | sed 's#"0x1B000"#"0x19000"#' >"$T/p/core.json"
usb --profile "$T/p/core.json" flash --usb "$T/fw.bin"
expect_rc "device map differs from the profile: refused" 3
grep_err "names both layouts" "reports alt 0 as .*expects"

# --verify: a device that reads back something else → exit 7. A wrapper
# around the real dfu-util corrupts the uploaded file (as a bad flash would).
rm -rf "$S"; mkdir -p "$S"
sim add core --serial V1
real=$(command -v dfu-util)
cat >"$T/flaky-dfu-util" <<EOF
#!/bin/sh
"$real" "\$@"; rc=\$?
prev=; out=
for a in "\$@"; do [ "\$prev" = "-U" ] && out=\$a; prev=\$a; done
if [ \$rc -eq 0 ] && [ -n "\$out" ] && [ -f "\$out" ]; then
	printf '\377' | dd of="\$out" bs=1 seek=10 conv=notrunc 2>/dev/null
fi
exit \$rc
EOF
chmod +x "$T/flaky-dfu-util"
head -c 2000 /dev/zero >"$T/zeros.bin"
usb --dfu-util "$T/flaky-dfu-util" flash --usb "$T/zeros.bin" --verify
expect_rc "--verify mismatch" 7
grep_err "names the differing range" "1 byte differs in 1 range: 0x0800500a-0x0800500a"
sim reset V1
usb flash --usb "$T/zeros.bin" --verify --no-leave
expect_rc "--verify with the real dfu-util" 0

plan "$_tap_n"
done_testing
