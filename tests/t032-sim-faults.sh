#!/bin/sh
# Every fault knob makes the real dfu-util fail the way it does on hardware:
# re-records the transcripts and compares them with the fixtures in
# tests/fixtures/transcripts (progress bars removed: their count depends on
# timing), then checks what each fault leaves behind on the device.
. "$srcdir/tests/lib-sim.sh"
fix=$srcdir/tests/fixtures/transcripts
names=$(cd "$fix" && ls *.rc | sed 's/\.rc$//')
n=$(echo "$names" | wc -l)
plan $((n * 3 + 34))

# normalize FILE: without progress bars, split at \r, no blank lines
normalize() {
	sed -E 's/(Erase   |Download|Upload)\t\[[= ]{25}\] +[0-9]+% +[0-9]+ bytes//g' "$1" | tr '\r' '\n' | grep -v '^$'
}

timeout 600 sh "$srcdir/tests/fixtures/record-transcripts.sh" "$T/rec" >"$T/rec.log" 2>&1 ||
	{ not_ok "record-transcripts.sh ran"; sed 's/^/# /' "$T/rec.log"; }
for name in $names; do
	is "$name: exit code" "$(cat "$T/rec/$name.rc" 2>/dev/null)" "$(cat "$fix/$name.rc")"
	for s in stdout stderr; do
		normalize "$fix/$name.$s" >"$T/want"
		normalize "$T/rec/$name.$s" >"$T/got" 2>/dev/null
		if cmp -s "$T/want" "$T/got"; then ok "$name: $s"; else
			not_ok "$name: $s"; diff "$T/want" "$T/got" | head -20 | sed 's/^/#   /'; fi
	done
done

# The key facts the diagnosis relies on, stated directly.
grep -q 'LIBUSB_ERROR_ACCESS' "$fix/access.stderr" && grep -q '^74$' "$fix/access.rc"
check "access: open denied, exit 74" test $? -eq 0
check "reset-on-leave: downloaded, then get_status error" \
	sh -c "grep -q 'File downloaded successfully' '$fix/reset-on-leave.stdout' && tail -1 '$fix/reset-on-leave.stderr' | grep -q 'Error during download get_status'"
check "status=errWRITE@2: dfu-util names the status" grep -q 'status(3) = Device is unable to write memory' "$fix/status-errWRITE-2.stderr"
# each profile's bootloader (profiles/*.json "bootloader")
check "Core: the first status is dfuERROR/errFIRMWARE, which dfu-util clears" \
	sh -c "grep -q '^DFU state(10) = dfuERROR, status(10) = Device.s firmware is corrupt' '$fix/ok.stdout' && grep -q '^Clearing status\$' '$fix/ok.stdout'"
check "Core: the leave is answered with dfuMANIFEST" grep -q '^Transitioning to dfuMANIFEST state$' "$fix/ok.stdout"
check "Photon: no error to clear" sh -c "! grep -q 'Clearing status' '$fix/photon-ok.stdout'"
check "Photon: the leave is answered with dfuDNLOAD-IDLE (no Transitioning line), exit 0" \
	sh -c "tail -1 '$fix/photon-ok.stdout' | grep -q '^Submitting leave request...\$' && grep -q '^0\$' '$fix/photon-ok.rc'"
check "Electron: like the Photon" sh -c "! grep -q 'Transitioning' '$fix/electron-ok.stdout' && grep -q '^0\$' '$fix/electron-ok.rc'"
check "Core: a refused write (read-only page, :force) looks like a success" \
	sh -c "grep -q 'File downloaded successfully' '$fix/readonly-force.stdout' && grep -q '^0\$' '$fix/readonly-force.rc'"
check "Photon: a refused erase (protected page) stalls the status request" \
	grep -q 'Error during special command "ERASE_PAGE" get_status' "$fix/photon-protected.stderr"
check "Core: DETACH in DFU mode stalls (-R: can't detach)" grep -q "^dfu-util: can't detach$" "$fix/detach-reset.stderr"
check "erase-timeout: dfu-util gives up on the erase's status" \
	grep -q 'Error during special command "ERASE_PAGE" get_status' "$fix/erase-timeout-2.stderr"
check "stall-leave: downloaded, then the leave request stalls" \
	sh -c "grep -q 'File downloaded successfully' '$fix/stall-leave.stdout' && grep -q 'returned -9 (LIBUSB_ERROR_PIPE)' '$fix/stall-leave.stderr'"
check "empty file: size 0, 'File downloaded successfully' (field log 003)" \
	sh -c "grep -q 'size = 0' '$fix/empty-leave.stdout' && grep -q 'File downloaded successfully' '$fix/empty-leave.stdout'"

# What each fault leaves on the device.
rand_file "$T/fw.bin" 5000
sim add core --serial AAAAAAAAAAAA --fault lost=2
dfu -d 1d50:607f -a 0 -s 0x08005000:leave -D "$T/fw.bin"
sim list --json
is "lost=2: device is gone (mode lost)" "$(json_get "$T/out" 'd["devices"][0]["mode"]')" "lost"
dfu -l
check "lost device does not enumerate" sh -c "! grep -q AAAAAAAAAAAA '$T/out'"
sim reset AAAAAAAAAAAA
sim dump AAAAAAAAAAAA 0 "$T/dump.bin"
python3 -c 'import sys; a=open(sys.argv[1],"rb").read(); b=open(sys.argv[2],"rb").read(); sys.exit(0 if a[0x5000:0x5800]==b[:2048] and a[0x5800:0x6400]==b"\xff"*3072 else 1)' "$T/dump.bin" "$T/fw.bin"
check "lost=2: the two blocks written before it vanished are there, the rest erased" test $? -eq 0
sim remove AAAAAAAAAAAA

sim add core --serial BBBBBBBBBBBB --fault ignore-leave
dfu -d 1d50:607f -a 0 -s 0x08005000:leave -D "$T/fw.bin"
expect_rc "ignore-leave: dfu-util succeeds" 0
dfu -l
check "ignore-leave: still in DFU mode (new devnum)" grep -q 'devnum=3,.*serial="BBBBBBBBBBBB"' "$T/out"
sim remove BBBBBBBBBBBB

sim add core --serial CCCCCCCCCCCC --fault reset-on-leave
dfu -d 1d50:607f -a 0 -s 0x08005000:leave -D "$T/fw.bin"
sim list --json
is "reset-on-leave: device left DFU mode (runs the firmware)" "$(json_get "$T/out" 'd["devices"][0]["mode"]')" "runtime"
sim reset CCCCCCCCCCCC
rm -f "$T/up.bin"
dfu -d 1d50:607f -a 0 -s 0x08005000:5000 -U "$T/up.bin"
same "reset-on-leave: the firmware was written completely" "$T/up.bin" "$T/fw.bin"
sim remove CCCCCCCCCCCC

# replug=N@MS: off the bus, then back in DFU mode at a new devnum, freshly
# powered (the Core's first status again)
# (3 s off the bus: the two looks below fit in it even on a loaded machine)
sim add core --serial EEEEEEEEEEEE --fault replug=1@3000
dfu -S EEEEEEEEEEEE -a 0 -s 0x08005000 -D "$T/fw.bin"
expect_rc "replug: the download fails" 74
sim list --json
is "replug: off the bus (mode unplugged)" "$(json_get "$T/out" 'd["devices"][0]["mode"]')" "unplugged"
dfu -l
check "replug: not listed while off the bus" sh -c "! grep -q EEEEEEEEEEEE '$T/out'"
i=0
while [ $i -lt 60 ]; do
	dfu -l
	grep -q 'serial="EEEEEEEEEEEE"' "$T/out" && break
	sleep 0.25
	i=$((i + 1))
done
check "replug: back in DFU mode at a new devnum" grep -q 'devnum=3,.*serial="EEEEEEEEEEEE"' "$T/out"
sim list --json
is "replug: freshly powered: dfuERROR/errFIRMWARE" "$(json_get "$T/out" '(d["devices"][0]["dfu_state"], d["devices"][0]["dfu_status"])')" "(10, 'errFIRMWARE')"
sim remove EEEEEEEEEEEE

# stall-leave: still in DFU mode, in dfuERROR
sim add photon --serial 3A0021000947343432313031 --fault stall-leave
dfu -a 0 -s 0x080A0000:leave -D "$T/fw.bin"
sim list --json
is "stall-leave: still in DFU mode, dfuERROR/errSTALLEDPKT" \
	"$(json_get "$T/out" '(d["devices"][0]["mode"], d["devices"][0]["dfu_state"], d["devices"][0]["dfu_status"])')" "('dfu', 10, 'errSTALLEDPKT')"
sim remove 3A0021000947343432313031

# erase-timeout=N: the erase finishes after dfu-util gave up
sim add core --serial FFFFFFFFFFFF --fault erase-timeout=1
dfu -a 0 -s 0x08005000 -D "$T/fw.bin"
expect_rc "erase-timeout: dfu-util fails" 74
sim list --json
is "erase-timeout: rests in dfuDNLOAD-IDLE, the page erased" \
	"$(json_get "$T/out" '(d["devices"][0]["dfu_state"], d["devices"][0]["alts"][0]["erases"])')" "(5, 1)"
sim remove FFFFFFFFFFFF

# Gen 2 leave: dfuDNLOAD-IDLE, then the device resets by itself
sim add electron --serial 3B0021000947343432313031
dfu -a 0 -s 0x08080000:leave -D "$T/fw.bin"
expect_rc "Electron: leave succeeds" 0
sim list --json
is "Electron: reset into its firmware after the leave" "$(json_get "$T/out" 'd["devices"][0]["mode"]')" "runtime"
sim remove 3B0021000947343432313031

# a zero-length download writes nothing, but the Core leaves DFU mode
sim add core --serial 0E0E0E0E0E0E
: >"$T/empty.bin"
dfu -a 0 -s 0x0800a000:leave -D "$T/empty.bin"
expect_rc "empty file: dfu-util exits 0" 0
sim list --json
is "empty file: nothing erased or written, the device left" \
	"$(json_get "$T/out" '(d["devices"][0]["alts"][0]["erases"], d["devices"][0]["alts"][0]["programs"], d["devices"][0]["mode"])')" "(0, 0, 'runtime')"
sim remove 0E0E0E0E0E0E

sim add core --serial DDDDDDDDDDDD --fault busy
dfu -d 1d50:607f -a 0 -s 0x08005000 -D "$T/fw.bin"
grep_err "busy: claim fails with LIBUSB_ERROR_BUSY" 'Cannot claim interface - LIBUSB_ERROR_BUSY'

done_testing
