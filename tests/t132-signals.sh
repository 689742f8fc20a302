#!/bin/sh
# SIGINT, SIGTERM and SIGHUP at every phase of the USB commands: during a
# listing, while waiting for a device, during a transfer, during a read-back
# (read OUT, flash --verify), during a --diff run, during keys load's write,
# in the pause before a retry (no dfu-util runs: the signal handler),
# and on a fleet (--all: the workers and their dfu-util). Each run ends with
# 128 + the signal, leaves no temporary file (in a private TMPDIR or beside
# the output) and no process in its session (no dfu-util, no worker). The
# phases are reached deterministically: a dfu-util wrapper that stops at
# the phase (and says so in a marker file), simulated Cores in real timing.
. "$srcdir/tests/lib-sim.sh"

real=$(command -v dfu-util)
mkdir -p "$T/tmp" "$T/w"
TMPDIR="$T/tmp"; export TMPDIR
MARK=$T/mark
export MARK
# SLOW=list|download: stop before running dfu-util for that; SLOW=upload:
# after the upload (its file is there), before dfu-util would exit
cat >"$T/dfu" <<EOF
#!/bin/sh
case " \$* " in
*" -l "*) what=list ;;
*" -U "*) what=upload ;;
*" -D "*) what=download ;;
*) what=other ;;
esac
if [ "\$what" = "\${SLOW:-}" ] && [ "\$what" != upload ]; then
	echo "\$what" >"\$MARK"; sleep 30
fi
if [ "\$what" = upload ] && [ "\${SLOW:-}" = upload ]; then
	"$real" "\$@"; r=\$?; echo upload >"\$MARK"; sleep 30; exit \$r
fi
exec "$real" "\$@"
EOF
chmod +x "$T/dfu"
cp "$srcdir/tests/fixtures/keys/rsa1024-pkcs1.der" "$T/w/key.der"
cd "$T/w" || exit 1
rand_file fw.bin 20001 3       # odd: the Core flashes a padded private copy
rand_file fw2.bin 20001 3
printf 'x' | dd of=fw2.bin bs=1 seek=9000 conv=notrunc 2>/dev/null   # one page differs

phases="list wait download retry read verify diff keys-load fleet"
signals="INT TERM HUP"
plan $(( $(echo $phases | wc -w) * $(echo $signals | wc -w) * 4 ))

signum() { case $1 in INT) echo 2 ;; TERM) echo 15 ;; HUP) echo 1 ;; esac; }

# interrupt PHASE SIG: sets up the devices, starts the command, waits for
# the phase, sends SIG to sparkflash and checks what is left
interrupt() {
	phase=$1 sig=$2
	rm -rf "$SIM" "$MARK" ./*.backup-* out.bin
	export SLOW=""
	case $phase in
	wait) sim add core --serial S1; sim remove S1 ;;   # an empty bus
	retry) sim add core --serial S1 --fault once:lost=0 ;;
	fleet) sim add core --serial S1 --timing real; sim add core --serial S2 --timing real ;;
	download | diff) sim add core --serial S1 --timing real ;;
	*) sim add core --serial S1 ;;
	esac
	[ "$phase" = diff ] && run_sf --sim "$SIM" flash --usb fw.bin --no-leave
	case $phase in
	list) SLOW=list; start_sess --sim "$SIM" --json --dfu-util "$T/dfu" flash --usb fw.bin; trigger="$MARK:list" ;;
	wait) start_sess --sim "$SIM" --json --dfu-util "$T/dfu" flash --usb fw.bin --wait 30; trigger='out:"event":"wait"' ;;
	download) start_sess --sim "$SIM" --json --dfu-util "$T/dfu" flash --usb fw.bin; trigger='out:"phase":"download"' ;;
	# the pause before a retry: no dfu-util runs, the private copy exists
	retry) start_sess --sim "$SIM" --json --dfu-util "$T/dfu" flash --usb fw.bin --retries 1; trigger='out:"event":"retry"' ;;
	read) SLOW=upload; start_sess --sim "$SIM" --json --dfu-util "$T/dfu" read userFirmware out.bin; trigger="$MARK:upload" ;;
	verify) SLOW=upload; start_sess --sim "$SIM" --json --dfu-util "$T/dfu" flash --usb fw.bin --verify; trigger="$MARK:upload" ;;
	diff) SLOW=download; start_sess --sim "$SIM" --json --dfu-util "$T/dfu" flash --usb fw2.bin --diff; trigger="$MARK:download" ;;
	keys-load) SLOW=download; start_sess --sim "$SIM" --json --dfu-util "$T/dfu" keys load key.der --protocol tcp; trigger="$MARK:download" ;;
	fleet) start_sess --sim "$SIM" --json --dfu-util "$T/dfu" flash --usb fw.bin --all; trigger='out:"phase":"download"' ;;
	esac
	case $trigger in
	out:*) wait_for "$T/out" "${trigger#out:}" 30 ;;
	*) wait_for "${trigger%%:*}" "${trigger#*:}" 30 ;;
	esac || diag "$phase: the phase was not reached in 30 s"
	[ "$phase" = wait ] && sleep 0.4
	kill -"$sig" "$sess" 2>/dev/null
	end_sess
	want=$((128 + $(signum "$sig")))
	expect_rc "$phase, SIG$sig: exit $want" "$want"
	grep_err "$phase, SIG$sig: says it was interrupted" "interrupted by SIG$sig"
	no_temps "$phase, SIG$sig: no temporary file left" "$T/tmp" "$T/w"
	if [ -z "$left" ]; then ok "$phase, SIG$sig: no process left in its session"
	else not_ok "$phase, SIG$sig: no process left in its session"; echo "$left" | sed 's/^/#   left: /'; fi
}

for phase in $phases; do
	for sig in $signals; do
		interrupt "$phase" "$sig"
	done
done

done_testing
