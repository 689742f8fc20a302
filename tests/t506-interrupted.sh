#!/bin/sh
# Ctrl-C and SIGTERM during a flash: dfu-util is stopped, no dfu-util is left
# running, the result is "interrupted" (exit 130 / 143) with what may have
# been written, and `diagnose` on the --log of the run says the same.
. "$srcdir/tests/lib-sim.sh"

plan 14
rand_file "$T/fw.bin" 40000 5

# start_flash SIGNAL: a slow (real timing) Core flash in the background,
# stopped with SIGNAL once the download is under way
interrupt_flash() {
	rm -rf "$SIM" "$T/run.log"
	sim add core --serial I1 --timing real
	timeout 60 "$SPARKFLASH" --sim "$SIM" --json --log "$T/run.log" flash --usb "$T/fw.bin" >"$T/out" 2>"$T/err" &
	pid=$!
	i=0
	while [ $i -lt 100 ] && ! grep -q '"phase":"download"' "$T/out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	kill -"$1" $pid 2>/dev/null
	wait $pid
	rc=$?
}

interrupt_flash INT
expect_rc "Ctrl-C during the download: exit 130" 130
grep_out "result verdict interrupted" '"event":"result".*"verdict":"interrupted"'
grep_err "says it was interrupted and the flash may be partly written" 'interrupted by SIGINT.*partly'
sleep 0.3
check "no dfu-util left running" sh -c "! pgrep -f 'dfu-uti[l] .*-D $T/fw.bin' >/dev/null"
check "the log records the interruption" grep -q '^# interrupted 2$' "$T/run.log"
run_sf diagnose --json --no-host "$T/run.log"
expect_rc "diagnose --log: exit 130" 130
grep_out "diagnose --log: interrupted" '"id":"interrupted"'
# the device is still in DFU mode: the same flash again works
run_sf --sim "$SIM" flash --usb "$T/fw.bin"
expect_rc "flashing again completes" 0

interrupt_flash TERM
expect_rc "SIGTERM during the download: exit 143" 143
grep_err "says SIGTERM" 'interrupted by SIGTERM'
run_sf diagnose --no-host "$T/run.log"
expect_rc "diagnose --log: exit 143" 143
grep_out "diagnose --log: result interrupted" '^result: interrupted, exit 143'

# an interrupted listing (sparkflash list) is interrupted too
FAKE=$T/fake-dfu-util
# (the fake says where it is: a machine-wide pgrep could find another
# test's sleep and interrupt this one too early)
cat >"$FAKE" <<SH
#!/bin/sh
echo "dfu-util 0.11"
echo \$\$ >"$T/fake.pid.tmp" && mv "$T/fake.pid.tmp" "$T/fake.pid"
exec sleep 37.75
SH
chmod +x "$FAKE"
rm -f "$T/fake.pid"
timeout 60 "$SPARKFLASH" --dfu-util "$FAKE" list >"$T/out" 2>"$T/err" &
pid=$!
i=0
while [ $i -lt 100 ] && ! [ -s "$T/fake.pid" ]; do sleep 0.1; i=$((i + 1)); done
fake=$(cat "$T/fake.pid" 2>/dev/null)
kill -INT $pid 2>/dev/null
wait $pid
rc=$?
expect_rc "Ctrl-C during list: exit 130" 130
sleep 0.2
check "no child left" sh -c "[ -n '$fake' ] && ! kill -0 '$fake' 2>/dev/null"

done_testing
