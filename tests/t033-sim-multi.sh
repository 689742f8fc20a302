#!/bin/sh
# Several simulated devices at once: selection with -S serial and -p path,
# parallel dfu-util runs against different devices, and a claimed device.
. "$srcdir/tests/lib-sim.sh"
plan 15

# region_is DUMP OFFSET FILE: the dump holds FILE at OFFSET
region_is() {
	python3 -c 'import sys; a=open(sys.argv[1],"rb").read(); b=open(sys.argv[3],"rb").read(); o=int(sys.argv[2],0); sys.exit(0 if a[o:o+len(b)]==b else 1)' "$@"
}

sim add core --serial 111111111111 --path 1-1
sim add core --serial 222222222222 --path 1-2
rand_file "$T/f1.bin" 3000 11
rand_file "$T/f2.bin" 3000 12

dfu -d 1d50:607f -a 0 -s 0x08005000 -D "$T/f1.bin"
expect_rc "two Cores, no selection: ambiguous" 74
grep_err "dfu-util says so" 'More than one DFU capable USB device found'
dfu -d 1d50:607f -a 0 -S 111111111111 -s 0x08005000 -D "$T/f1.bin"
expect_rc "-S selects the first" 0
dfu -d 1d50:607f -a 0 -p 1-2 -s 0x08005000 -D "$T/f2.bin"
expect_rc "-p selects the second" 0
sim dump 111111111111 0 "$T/d1.bin"
sim dump 222222222222 0 "$T/d2.bin"
check "first Core holds image 1" region_is "$T/d1.bin" 0x5000 "$T/f1.bin"
check "second Core holds image 2" region_is "$T/d2.bin" 0x5000 "$T/f2.bin"

# A DFU-mode VID:PID needs the comma form: dfu-util applies a plain -d V:P
# to run-time devices only (observed with the real 0.11 binary).
sim add photon --serial 3A0021000947343432313031 --path 2-1.4
dfu -d ,2b04:d006 -l
is "-d ,VID:PID lists only the Photon's 2 alts" "$(grep -c '^Found' "$T/out")" 2
dfu -d 2b04:d006 -l
is "-d VID:PID (no comma) does not filter DFU-mode devices" "$(grep -c '^Found' "$T/out")" 6
dfu -a 0 -p 2-1.4 -s 0x080A0000:leave -D "$T/f1.bin"
expect_rc "nested path 2-1.4 selects the Photon" 0
sim list --json
is "only the Photon left DFU mode" "$(json_get "$T/out" '[x["mode"] for x in d["devices"]]')" "['dfu', 'dfu', 'runtime']"

# Eight devices, eight dfu-util processes at the same time.
rm -rf "$SIM"
i=0
for spec in core:1-1 core:1-2 core:1-3 photon:1-4 p1:2-1 electron:2-2 duo:2-3.1 core:3-1; do
	i=$((i + 1))
	sim add "${spec%%:*}" --path "${spec#*:}" --serial "DEV0000000$i"
done
is "eight devices, 2 alts each (duo 3)" "$(timeout 60 "$SPARKFLASH" --sim "$SIM" sim exec -- timeout 30 dfu-util -l | grep -c '^Found')" 17
i=0
for spec in core:0x08005000 core:0x08005000 core:0x08005000 photon:0x080A0000 p1:0x080A0000 electron:0x08080000 duo:0x080C0000 core:0x08005000; do
	i=$((i + 1))
	rand_file "$T/p$i.bin" 6000 "$i"
	(timeout 60 "$SPARKFLASH" --sim "$SIM" sim exec -- timeout 30 dfu-util -a 0 -S "DEV0000000$i" \
		-s "${spec#*:}" -D "$T/p$i.bin" >"$T/p$i.out" 2>&1; echo $? >"$T/p$i.rc") &
done
wait
good=0
for i in 1 2 3 4 5 6 7 8; do
	[ "$(cat "$T/p$i.rc")" = 0 ] && good=$((good + 1))
done
is "eight parallel downloads succeed" "$good" 8
good=0
i=0
for off in 0x5000 0x5000 0x5000 0xA0000 0xA0000 0x80000 0xC0000 0x5000; do
	i=$((i + 1))
	timeout 60 "$SPARKFLASH" --sim "$SIM" sim dump "DEV0000000$i" 0 "$T/dump$i.bin" &&
		region_is "$T/dump$i.bin" "$off" "$T/p$i.bin" && good=$((good + 1))
done
is "each device holds its own image" "$good" 8

# A device whose interface another process holds answers BUSY.
if command -v flock >/dev/null 2>&1; then
	timeout 60 flock "$SIM/devices/DEV00000001" "$SPARKFLASH" --sim "$SIM" sim exec -- \
		timeout 30 dfu-util -a 0 -S DEV00000001 -s 0x08005000 -D "$T/p1.bin" >"$T/out" 2>"$T/err"
	rc=$?
	expect_rc "claimed elsewhere: dfu-util fails" 74
	grep_err "with LIBUSB_ERROR_BUSY" 'Cannot claim interface - LIBUSB_ERROR_BUSY'
else
	skip "flock(1) not installed"
	skip "flock(1) not installed"
fi

done_testing
