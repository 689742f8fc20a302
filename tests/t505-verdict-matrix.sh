#!/bin/sh
# One verdict per run, for every simulator fault on the Electron, P1 and Duo
# profiles, through flash, flash --verify, read, keys save and keys load
# (the Core and the Photon, with more operations and the expected values,
# are t507's fault matrix): the live command and `sparkflash diagnose` on
# the --log of the same run agree on the verdict, the exit code and the
# first diagnosis. Faults that stop every transfer fail every operation;
# the user's files are never changed. The matrix is printed in the test log.
. "$srcdir/tests/lib-sim.sh"

rand_file "$T/fw.bin" 9000 11
# an RSA-1024 device key (tests/fixtures/keys), as keys load takes it
cp "$srcdir/tests/fixtures/keys/rsa1024-pkcs1.der" "$T/key.der"
fw_sum=$(sha "$T/fw.bin")
key_sum=$(sha "$T/key.der")

faults="none access busy lost=1 lost=2 status=errWRITE@1 status=errVENDOR@1 stall=1 stall=5 reset-on-leave ignore-leave replug=1@200 stall-leave erase-timeout=1"
profiles="electron p1 duo"
ops="flash flash-verify read keys-save keys-load"
n=0
for f in $faults; do for p in $profiles; do for o in $ops; do n=$((n + 1)); done; done; done
plan $((n * 2 + 2))

printf '%-22s %-9s %-10s %-36s %s\n' fault profile op live logged >"$T/matrix"
for fault in $faults; do
	for profile in $profiles; do
		for op in $ops; do
			rm -rf "$SIM" "$T/run.log" "$T/read.bin" "$T/saved.der" "$T"/key.der.backup-*
			if [ "$fault" = none ]; then sim add "$profile" --serial M1
			else sim add "$profile" --serial M1 --fault "$fault"; fi
			run_op "$op" "$T/run.log"
			live_rc=$rc
			live=$(verdict "$T/out")
			run_sf diagnose --json --no-host "$T/run.log"
			logged=$(verdict "$T/out")
			if [ "$op" = flash-all ] && [ "$live_rc" -ne 0 ] && ! grep -q '^# sparkflash' "$T/run.log"; then
				# an unopenable device has no worker and no log: compare the exit code
				logged=$live
				rc=$live_rc
			fi
			printf '%-22s %-9s %-10s %-36s %s\n' "$fault" "$profile" "$op" "$live" "$logged" >>"$T/matrix"
			if [ "$live" = "$logged" ] && [ "$rc" = "$live_rc" ]; then
				ok "$fault $profile $op: live and log agree ($live)"
			else
				not_ok "$fault $profile $op: live and log agree"
				diag "live:   $live (exit $live_rc)" "logged: $logged (exit $rc)"
				sed 's/^/#   log: /' "$T/run.log" | tail -6
			fi
			case $fault in
			access | busy)
				if [ "$live_rc" -ne 0 ]; then ok "$fault $profile $op: fails (exit $live_rc)"
				else not_ok "$fault $profile $op: fails"; fi ;;
			none)
				if [ "$live_rc" -eq 0 ]; then ok "$fault $profile $op: succeeds"
				else not_ok "$fault $profile $op: succeeds (exit $live_rc)"; sed 's/^/#   err: /' "$T/err" | tail -4; fi ;;
			*)
				case $live_rc in
				0 | 3 | 4 | 5 | 6 | 7) ok "$fault $profile $op: a documented exit code ($live_rc)" ;;
				*) not_ok "$fault $profile $op: a documented exit code ($live_rc)" ;;
				esac ;;
			esac
		done
	done
done
sed 's/^/# /' "$T/matrix"
check "the firmware file is unchanged" test "$(sha "$T/fw.bin")" = "$fw_sum"
check "the key file is unchanged" test "$(sha "$T/key.der")" = "$key_sum"

done_testing
