#!/bin/sh
# Timing: `fast` answers every poll with 0 ms; `real` reports the profile's
# erase/program times as bwPollTimeout, which dfu-util sleeps. Mass erase.
. "$srcdir/tests/lib-sim.sh"
plan 9

rand_file "$T/fw.bin" 5000 3
sim add core --serial FA57FA57FA57
sim add core --serial 5EA15EA15EA1 --timing real

dfu -S FA57FA57FA57 -a 0 -s 0x08005000 -D "$T/fw.bin" -v -v
expect_rc "fast download" 0
check "fast: no poll waits" sh -c "! grep -q 'Poll timeout [1-9]' '$T/err'"

start=$(date +%s%N)
dfu -S 5EA15EA15EA1 -a 0 -s 0x08005000 -D "$T/fw.bin" -v -v
end=$(date +%s%N)
expect_rc "real-timing download" 0
grep_err "real: the Core's 50 ms flash times are polled" 'Poll timeout 50 ms'
ms=$(( (end - start) / 1000000 ))
# 5 erases + 5 address commands + 5 blocks, 50 ms each
check "real: dfu-util waited at least 750 ms (took $ms ms)" test "$ms" -ge 750

dfu -S 5EA15EA15EA1 -a 1 -s 0x00001000 -D "$T/fw.bin" -v -v
grep_err "real: SPI flash erase 20 ms" 'Poll timeout 20 ms'
grep_err "real: SPI flash write 30 ms" 'Poll timeout 30 ms'

# mass erase (fast device): the application area is blank again
dfu -S FA57FA57FA57 -a 0 -s 0x08005000:mass-erase:force -D "$T/fw.bin"
expect_rc "download with mass erase" 0
sim dump FA57FA57FA57 0 "$T/d.bin"
python3 -c 'import sys; a=open(sys.argv[1],"rb").read(); b=open(sys.argv[2],"rb").read(); sys.exit(0 if a[0x5000:0x5000+len(b)]==b and a[0x5000+len(b):]==b"\xff"*(len(a)-0x5000-len(b)) else 1)' "$T/d.bin" "$T/fw.bin"
check "mass erase then write: image, then erased flash" test $? -eq 0

done_testing
