#!/bin/sh
# Download/upload through the real dfu-util against a simulated Core: round
# trip, leave, protection of the bootloader, SPI flash bounds, NOR semantics,
# read-modify-write DCT.
. "$srcdir/tests/lib-sim.sh"
plan 34
SN=6D92487A5151
sim add core --serial $SN
rand_file "$T/fw.bin" 20000 1
rand_file "$T/fw2.bin" 20000 2

dfu -d 1d50:607f -a 0 -s 0x08005000:leave -D "$T/fw.bin"
expect_rc "download with :leave" 0
grep_out "dfu-util reports the manifest" '^Transitioning to dfuMANIFEST state$'
sim list --json
is "device left DFU mode, runs the firmware (runtime mode)" "$(json_get "$T/out" 'd["devices"][0]["mode"]')" "runtime"
dfu -l
check "a device that left does not enumerate in DFU mode" sh -c "! grep -q '^Found DFU' '$T/out'"
grep_out "it enumerates in runtime mode with the runtime id" '^Found Runtime: \[1d50:607d\]'

dfu -d 1d50:607f -a 0 -s 0x08005000:20000 -U "$T/nope.bin"
expect_rc "dfu-util finds no device" 74
grep_err "no device message" 'No DFU capable USB device available'

sim reset $SN
expect_rc "sim reset" 0
dfu -d 1d50:607f -a 0 -s 0x08005000:20000 -U "$T/up.bin"
expect_rc "upload after reset" 0
same "upload returns the downloaded bytes" "$T/up.bin" "$T/fw.bin"
sim list --json
is "erase/program counters: 20 pages each, 20 KiB" "$(json_get "$T/out" '(d["devices"][0]["alts"][0]["erases"], d["devices"][0]["alts"][0]["programs"])')" "(20, 20)"
is "last address recorded" "$(json_get "$T/out" 'hex(d["devices"][0]["last_address"])')" "0x8009c00"

# second download over it (erase-capable pages): replaced exactly
dfu -d 1d50:607f -a 0 -s 0x08005000 -D "$T/fw2.bin"
expect_rc "second download (pages erased first)" 0
rm -f "$T/up.bin"
dfu -d 1d50:607f -a 0 -s 0x08005000:20000 -U "$T/up.bin"
same "second image read back intact" "$T/up.bin" "$T/fw2.bin"

# the Core bootloader (first 20 KiB, type a) is read-only
sim dump $SN 0 "$T/before.bin"
dfu -d 1d50:607f -a 0 -s 0x08000000 -D "$T/fw.bin"
expect_rc "dfu-util refuses the read-only bootloader" 64
grep_err "memory map message" 'Last page at 0x08004e1f is not writeable'
dfu -d 1d50:607f -a 0 -s 0x08000000:force -D "$T/fw.bin"
expect_rc "forced: the Core's bootloader ignores the refused write, reports success" 0
grep_out "dfu-util sees a successful download" '^File downloaded successfully$'
sim dump $SN 0 "$T/after.bin"
same "bootloader region unchanged" "$T/after.bin" "$T/before.bin"
# the generic behaviour (--refused status): dfuERROR with a status
sim add core --serial 5EC0DE000001 --path 2-1 --refused status
dfu -S 5EC0DE000001 -a 0 -s 0x08000000:force -D "$T/fw.bin"
expect_rc "--refused status: the device refuses" 74
grep_err "device status errWRITE" 'status\(3\) = Device is unable to write memory'
dfu -l
check "device recovers from dfuERROR on the next run" test "$(grep -c 'serial="5EC0DE000001"' "$T/out")" -eq 2
dfu -S 5EC0DE000001 -a 0 -s 0x08005000:16 -U "$T/x.bin"
grep_out "next session clears the error state" '^Clearing status$'

# alt 1 (SPI flash, 2 MiB)
rand_file "$T/k.bin" 4096 3
dfu -S $SN -a 1 -s 0x00100000 -D "$T/k.bin"
expect_rc "alt 1 accepts 0x00100000" 0
sim dump $SN 1 "$T/spi.bin"
python3 -c 'import sys; a=open(sys.argv[1],"rb").read(); b=open(sys.argv[2],"rb").read(); sys.exit(0 if a[0x100000:0x101000]==b else 1)' "$T/spi.bin" "$T/k.bin"
check "alt 1 image holds it at offset 1 MiB" test $? -eq 0
dfu -S $SN -a 1 -s 0x00200000 -D "$T/k.bin"
expect_rc "alt 1 refuses 0x00200000 (dfu-util map check)" 64
dfu -S 5EC0DE000001 -a 1 -s 0x001FF000:force -D "$T/fw.bin"
expect_rc "forced past 0x200000: the device refuses" 74
grep_err "device status errADDRESS" 'status\(8\) = Cannot program memory due to received address that is out of range'

# NOR semantics: pages typed 'e' (writable, not erasable) are programmed
# without an erase, so a second image is ANDed into the first.
sim add "$srcdir/tests/fixtures/sim/nor.json" --serial NOR1
expect_rc "sim add from a profile file" 0
printf '\360\017\377\125' >"$T/a.bin"
printf '\074\377\000\252' >"$T/b.bin"
dfu -d ,1209:0001 -a 0 -s 0x08002000 -D "$T/a.bin"
expect_rc "write into a non-erasable page" 0
dfu -d ,1209:0001 -a 0 -s 0x08002000 -D "$T/b.bin"
expect_rc "write again without erase" 0
rm -f "$T/x.bin"
dfu -d ,1209:0001 -a 0 -s 0x08002000:4 -U "$T/x.bin"
is "image is the AND of both writes" "$(od -An -tx1 "$T/x.bin" | tr -d ' ')" "300f0000"

# Photon DCT (alt 1, erase none): read-modify-write, bytes replaced in place
sim add photon --serial 3A0021000947343432313031
dfu -S 3A0021000947343432313031 -a 1 -s 2082 -D "$T/a.bin"
dfu -S 3A0021000947343432313031 -a 1 -s 2082 -D "$T/b.bin"
expect_rc "DCT written twice" 0
sim dump 3A0021000947343432313031 1 "$T/dct.bin"
is "DCT holds the second bytes, neighbours erased" "$(od -An -tx1 -j 2080 -N 8 "$T/dct.bin" | tr -d ' ')" "ffff3cff00aaffff"

done_testing
