#!/bin/sh
# The fault matrix: every simulator fault (README "Simulated devices", and
# `sim add --refused` silent|stall|status) x flash, flash --verify, flash
# --diff, flash --skip-unchanged, flash --all, read, keys save, keys load, on
# the Core and the Photon. For each cell: the exit code and the first
# diagnosis id are the expected ones (the table below: what the hardware
# would do, README "Diagnosis IDs"), `sparkflash diagnose` on the run's
# --log agrees with the live verdict, the user's files are unchanged, no
# temporary file is left (a private TMPDIR and the working directory), no
# dfu-util or worker is left in the command's session, and the cloud token
# (in PARTICLE_ACCESS_TOKEN and a cloud config) appears in no output or
# log. The matrix is printed in the test log.
. "$srcdir/tests/lib-sim.sh"

mkdir -p "$T/tmp" "$T/home/.particle"
TMPDIR="$T/tmp"; export TMPDIR
TOKEN=f00dfacef00dfacef00dfacef00dfacef00dface
export PARTICLE_ACCESS_TOKEN=$TOKEN HOME="$T/home"
printf '{"access_token":"c0ffee%s"}\n' "$TOKEN" >"$HOME/.particle/particle.config.json"
chmod 600 "$HOME/.particle/particle.config.json"
rand_file "$T/fw.bin" 9000 11
cp "$srcdir/tests/fixtures/keys/rsa1024-pkcs1.der" "$T/key.der"
fw_sum=$(sha "$T/fw.bin")
key_sum=$(sha "$T/key.der")
cd "$T" || exit 1

faults="none access busy lost=0 lost=2 replug=0@300 status=errWRITE@1 status=errVENDOR@2 stall=1 stall=5
	erase-timeout=1 reset-on-leave ignore-leave stall-leave refused=silent refused=stall refused=status"
profiles="core photon"
ops="flash flash-verify flash-diff flash-skip flash-all read keys-save keys-load"

# expected PROFILE FAULT OP: "EXIT FIRST-ID" ("-": no diagnosis), what the
# hardware does (README "Simulated devices", "Diagnosis IDs"). A raw .bin
# has no DFU suffix: a successful write's first id is the suffix-missing
# note (flash --verify ends with its leave step, which sends no file).
# Reads, keys save and keys load never leave DFU mode; read-back first:
# --diff, --skip-unchanged, keys load (its backup). Key segments are one
# transfer block, so faults at a later block never reach them.
expected() {
	p=$1 f=$2 o=$3
	case $o in
	flash | flash-verify | flash-diff | flash-skip | flash-all) write=yes ;;
	*) write=no ;;
	esac
	case $o in
	flash-verify) ok0="0 -" ;;
	read | keys-save) ok0="0 -" ;;
	*) ok0="0 suffix-missing" ;;
	esac
	case $o in flash-diff | flash-skip | read | keys-save | keys-load) upfirst=yes ;; *) upfirst=no ;; esac
	case $f in
	none) echo "$ok0" ;;
	access) echo "5 permission-denied" ;;
	busy) echo "6 device-busy" ;;
	lost=0 | replug=0@*) echo "6 device-lost" ;;
	lost=2) case $o in keys-*) echo "$ok0" ;; *) echo "6 device-lost" ;; esac ;;
	# a failing upload block stalls (DFU 1.1: dfuERROR, the request
	# STALLed); dfu-util reports the stall, not the status
	status=errWRITE@1) if [ $upfirst = yes ]; then echo "6 transfer-stalled"; else echo "6 write-failed"; fi ;;
	status=errVENDOR@2)
		case $o in keys-*) echo "$ok0" ;; *)
			if [ $upfirst = yes ]; then echo "6 transfer-stalled"; else echo "6 status-error"; fi ;;
		esac ;;
	# the first request, dfu-util's first GETSTATUS
	stall=1) echo "6 transfer-stalled" ;;
	# request 5: on an upload the status request after setting the
	# address ('Error during special command "SET_ADDRESS" get_status':
	# no answer); on a write the Core (whose first status is cleared
	# first) is at the first erase's status request, the Photon at the
	# erase command itself
	stall=5)
		if [ $upfirst = yes ]; then echo "6 device-lost"
		elif [ "$p" = core ]; then echo "6 erase-failed"
		else echo "6 transfer-stalled"; fi ;;
	erase-timeout=1) case $o in read | keys-save) echo "$ok0" ;; *) echo "6 erase-failed" ;; esac ;;
	# written; the leave goes unanswered, the device is seen gone after it
	# (an info then, before the note about the file)
	reset-on-leave) if [ $write = yes ]; then echo "0 leave-unconfirmed"; else echo "$ok0"; fi ;;
	ignore-leave | stall-leave) if [ $write = yes ]; then echo "0 leave-ignored"; else echo "$ok0"; fi ;;
	# writes where the bootloader refuses (image_for): the Core's are
	# read-only in its layout, sparkflash refuses them before any USB
	# traffic; the Photon's bootloader protects them, which the judge
	# knows from the profile whether it stalls, reports a status or says
	# nothing (and writes nothing)
	refused=*)
		if [ $write = no ]; then echo "$ok0"
		elif [ "$p" = core ]; then echo "3 -"
		else echo "6 target-protected"; fi ;;
	*) echo "? ?" ;;
	esac
}

n=0
for f in $faults; do for p in $profiles; do for o in $ops; do n=$((n + 1)); done; done; done
plan $((n + 2))

# the flash operations of the refused=... rows go where the bootloader
# refuses to write: the Photon's 0x08010000 (its layout says writable, its
# bootloader protects everything below 0x08020000); the Core's refused
# pages are read-only in its layout, so sparkflash refuses them itself
image_for() {
	case "$1 $2" in
	"photon refused="*) echo "0x08010000 $T/fw.bin --alt 0" ;;
	"core refused="*) echo "0x08001000 $T/fw.bin --alt 0" ;;
	*) echo "--usb $T/fw.bin" ;;
	esac
}

: >"$T/matrix.tsv"
for fault in $faults; do
	for profile in $profiles; do
		for op in $ops; do
			rm -rf "$SIM" "$T/run.log" "$T/run.log.d" "$T/read.bin" "$T/saved.der" "$T"/key.der.backup-*
			case $fault in
			none) sim add "$profile" --serial M1 ;;
			refused=*) sim add "$profile" --serial M1 --refused "${fault#refused=}" ;;
			*) sim add "$profile" --serial M1 --fault "$fault" ;;
			esac
			IMAGE=$(image_for "$profile" "$fault")
			run_op "$op" "$T/run.log"
			live_rc=$rc
			cat "$T/out" "$T/err" "$T/run.log" >"$T/all"
			[ -d "$T/run.log.d" ] && cat "$T/run.log.d"/* >>"$T/all" 2>/dev/null
			live=$(verdict "$T/out")
			proc_left=$left
			run_sf diagnose --json --no-host "$T/run.log"
			logged=$(verdict "$T/out")
			if [ "$op" = flash-all ] && ! grep -q '^# sparkflash' "$T/run.log"; then
				logged=$live # no worker ran (an unopenable device): nothing logged
			fi
			if [ "$live" = "failure 3 -" ]; then
				# sparkflash's own refusal before any transfer: the log
				# holds no dfu-util run for diagnose to judge
				logged=$live
			fi
			got="$live_rc $(echo "$live" | cut -d' ' -f3)"
			want=$(expected "$profile" "$fault" "$op")
			bad=""
			[ "$got" = "$want" ] || bad="$bad; got $got, want $want"
			[ "$live" = "$logged" ] || bad="$bad; live $live, diagnose on the log $logged"
			[ "$(sha "$T/fw.bin")" = "$fw_sum" ] || bad="$bad; fw.bin changed"
			[ "$(sha "$T/key.der")" = "$key_sum" ] || bad="$bad; key.der changed"
			tl=$(temps "$T/tmp" "$T" | head -3 | tr '\n' ' ')
			[ -z "$tl" ] || bad="$bad; temporary files left: $tl"
			[ -z "$proc_left" ] || bad="$bad; left running: $(echo "$proc_left" | tr '\n' ' ')"
			! grep -q "$TOKEN" "$T/all" || bad="$bad; the token is in the output"
			printf '%s\t%s\t%s\t%s\n' "$profile" "$fault" "$op" "$got" >>"$T/matrix.tsv"
			if [ -z "$bad" ]; then
				ok "$profile $fault $op: $got; log agrees, files intact, nothing left, no token"
			else
				not_ok "$profile $fault $op${bad}"
				tail -n 3 "$T/err" | sed 's/^/#   err: /'
			fi
		done
	done
done

# the matrix: one table per profile, a row per fault, EXIT FIRST-ID per op
python3 - "$T/matrix.tsv" "$ops" <<'PY' | sed 's/^/# /'
import sys
ops = sys.argv[2].split()
cells, faults, profiles = {}, [], []
for line in open(sys.argv[1]):
    p, f, o, got = line.rstrip("\n").split("\t")
    cells[(p, f, o)] = got.replace(" ", "/")
    if f not in faults: faults.append(f)
    if p not in profiles: profiles.append(p)
for p in profiles:
    w = [max(len(o), max(len(cells.get((p, f, o), "")) for f in faults)) for o in ops]
    fw = max(len(f) for f in faults)
    print(p + ": exit/first diagnosis")
    print("  " + "fault".ljust(fw) + "  " + "  ".join(o.ljust(w[i]) for i, o in enumerate(ops)))
    for f in faults:
        print("  " + f.ljust(fw) + "  " + "  ".join(cells.get((p, f, o), "").ljust(w[i]) for i, o in enumerate(ops)))
PY
check "the firmware file is unchanged" test "$(sha "$T/fw.bin")" = "$fw_sum"
check "the key file is unchanged" test "$(sha "$T/key.der")" = "$key_sum"

done_testing
