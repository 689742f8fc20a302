#!/bin/sh
# flash --deadline SECONDS: one limit for the whole command (every device,
# waits, retries); past it dfu-util is stopped, the exit is 9 and no
# dfu-util is left running; `diagnose` on a device's log agrees. SIGTERM
# and Ctrl-C (SIGINT) during a flash on several devices stop every worker
# and every dfu-util (exit 143 / 130) and still print the summary. The
# real dfu-util (through a wrapper that notes its pid) against simulated
# Cores in real timing.
. "$srcdir/tests/lib-sim.sh"
sf() { run_sf --sim "$SIM" --timeout 50 "$@"; }
real=$(command -v dfu-util)
cat >"$T/dfu" <<EOF
#!/bin/sh
echo \$\$ >>"$T/pids"
exec "$real" "\$@"
EOF
chmod +x "$T/dfu"
none_alive() { # no dfu-util this test started is still running
	[ -f "$T/pids" ] || return 0
	for p in $(cat "$T/pids"); do
		if kill -0 "$p" 2>/dev/null; then echo "# pid $p still runs: $(ps -o args= -p "$p")"; return 1; fi
	done
	return 0
}
now() { python3 -c 'import time; print(time.monotonic())'; }
took() { python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$1" "$2"; }
between() { python3 -c 'import sys; v=float(sys.argv[1]); sys.exit(0 if float(sys.argv[2]) <= v <= float(sys.argv[3]) else 1)' "$@"; }
rand_file "$T/big.bin" 60000 4
sim add core --serial D1 --timing real
sim add core --serial D2 --timing real

# --- --all: both devices stopped at the deadline ---
t0=$(now)
sf --json --dfu-util "$T/dfu" flash --usb "$T/big.bin" --all --deadline 1.5 --log "$T/logs"
t1=$(now)
expect_rc "--all --deadline 1.5 on two slow flashes: exit 9" 9
check "stopped at the deadline, not after the flashes" between "$(took "$t0" "$t1")" 1.2 6
sleep 0.3
check "no dfu-util left running" none_alive
python3 - "$T/out" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
s = ev[-1]
assert s["event"] == "summary" and s["exit_code"] == 9 and s["error"] == "timeout", s
assert [r["exit_code"] for r in s["results"]] == [9, 9], s["results"]
assert all("--deadline" in r["message"] for r in s["results"]), s["results"]
PY
check "summary: both devices timed out at the --deadline" test $? -eq 0
run_sf diagnose "$T/logs/D1.log"
expect_rc "diagnose D1's log: 9, as live" 9
grep_out "the timeout diagnosis" '^timeout \(error\)'

# --- one device ---
rm -f "$T/pids"
for s in D1 D2; do sim reset "$s"; done
sf --serial D1 --dfu-util "$T/dfu" flash --usb "$T/big.bin" --deadline 1
expect_rc "one device, --deadline 1: exit 9" 9
grep_err "says so" 'the --deadline passed while dfu-util ran'
sleep 0.3
check "no dfu-util left running" none_alive

# --- retries end at the deadline ---
sim add core --serial BAD --fault status=errWRITE@2
t0=$(now)
sf --serial BAD flash --usb "$T/big.bin" --retries 10 --deadline 1.2
t1=$(now)
expect_rc "--retries 10 on a lasting fault, --deadline 1.2: exit 9" 9
check "the retries stopped at the deadline" between "$(took "$t0" "$t1")" 0.9 4
sim remove BAD

# --- signals during a flash on several devices ---
interrupt_fleet() { # SIGNAL
	rm -f "$T/pids"
	for s in D1 D2; do timeout 30 "$SPARKFLASH" --sim "$SIM" sim reset "$s" >/dev/null 2>&1; done
	timeout 60 "$SPARKFLASH" --sim "$SIM" --json --dfu-util "$T/dfu" flash --usb "$T/big.bin" --all >"$T/out" 2>"$T/err" &
	pid=$!
	i=0
	while [ $i -lt 100 ] && [ "$(grep -c '"phase":"download"' "$T/out" 2>/dev/null)" -lt 2 ]; do sleep 0.1; i=$((i + 1)); done
	kill -"$1" $pid 2>/dev/null
	wait $pid
	rc=$?
}
interrupt_fleet TERM
expect_rc "SIGTERM: exit 143" 143
sleep 0.3
check "no dfu-util left running" none_alive
is "every device interrupted, the summary printed" \
	"$(jq -r 'select(.event=="summary") | "\(.exit_code) \([.results[].exit_code] | join(","))"' "$T/out")" "143 143,143"
interrupt_fleet INT
expect_rc "Ctrl-C (SIGINT): exit 130" 130
sleep 0.3
check "no dfu-util left running" none_alive
is "the summary says interrupted" "$(jq -r 'select(.event=="summary") | .error' "$T/out")" interrupted

sf flash --usb "$T/big.bin" --deadline -3
expect_rc "--deadline -3" 2
plan "$_tap_n"
done_testing
