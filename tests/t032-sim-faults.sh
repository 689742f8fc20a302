#!/bin/sh
# Every fault knob makes the real dfu-util fail the way it does on hardware:
# re-records the transcripts and compares them with the fixtures in
# tests/fixtures/transcripts (progress bars removed: their count depends on
# timing), then checks what each fault leaves behind on the device.
. "$srcdir/tests/lib-sim.sh"
fix=$srcdir/tests/fixtures/transcripts
names=$(cd "$fix" && ls *.rc | sed 's/\.rc$//')
n=$(echo "$names" | wc -l)
plan $((n * 3 + 11))

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

sim add core --serial DDDDDDDDDDDD --fault busy
dfu -d 1d50:607f -a 0 -s 0x08005000 -D "$T/fw.bin"
grep_err "busy: claim fails with LIBUSB_ERROR_BUSY" 'Cannot claim interface - LIBUSB_ERROR_BUSY'

done_testing
