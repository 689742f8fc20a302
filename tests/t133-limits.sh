#!/bin/sh
# Limits: very long lines (from dfu-util, in a log for diagnose, in a
# profile), endless output, huge files (larger than any region; a 2 GB
# sparse file) and huge environment values get a clear error or a clear
# result, never a hang (every run is bounded here) and never a crash; a
# long name never pushes the reason out of a message.
. "$srcdir/tests/lib-sim.sh"

plan 42
mkdir -p "$T/tmp" "$T/w"
TMPDIR="$T/tmp"; export TMPDIR
cd "$T/w" || exit 1
sim add core --serial L1
bounded() { SESS_LIMIT=30 run_sess "$@"; }
finished() { # DESCRIPTION: the last run ended by itself, not by a signal, nothing left
	if [ "$rc" -lt 124 ] && [ -z "$left" ]; then ok "$1 (exit $rc)"; else
		not_ok "$1 (exit $rc)"; echo "$left" | sed 's/^/#   left: /'; tail -c 600 "$T/err" | sed 's/^/#   err: /'; fi
}

# --- dfu-util's lines ---
cat >"$T/longline" <<'EOF'
#!/bin/sh
echo "dfu-util 0.11"
head -c 1000000 /dev/zero | tr '\0' x
echo
echo 'Found DFU: [1d50:607f] ver=0200, devnum=2, cfg=1, intf=0, path="1-1", alt=0, name="@Internal Flash  /0x08000000/20*001Ka,108*001Kg", serial="LL1"'
EOF
cat >"$T/endless" <<'EOF'
#!/bin/sh
echo "dfu-util 0.11"
exec cat /dev/zero
EOF
cat >"$T/endless-lines" <<'EOF'
#!/bin/sh
echo "dfu-util 0.11"
exec yes 'Download	[=====     ]  50%        12288 bytes'
EOF
chmod +x "$T/longline" "$T/endless" "$T/endless-lines"
bounded --dfu-util "$T/longline" list
finished "a 1 MB line from dfu-util, then a device"
grep_out "the device after it is listed" "LL1"
for f in endless endless-lines; do
	bounded --dfu-util "$T/$f" --log "$T/w/$f.log" list
	finished "$f output from dfu-util"
	expect_rc "$f: dfu-util unusable" 8
	grep_err "$f: says so" "printed more than 16 MiB; it was stopped"
	check "$f: the log stops too (< 32 MB)" test "$(stat -c %s "$T/w/$f.log")" -lt 32000000
done
rm -f ./*.log
rand_file fw.bin 3001 1
bounded --sim "$SIM" --dfu-util "$T/endless" flash --usb fw.bin
expect_rc "flash with endless dfu-util output: dfu-util unusable" 8

# --- diagnose and profiles: long lines, size limits ---
head -c 16000000 /dev/zero | tr '\0' a >one-line.log
bounded diagnose --no-host one-line.log
finished "diagnose: a 16 MB log of one line"
{ echo 'dfu-util 0.11'; head -c 8000000 /dev/zero | tr '\0' a; echo
  echo 'dfu-util: Cannot open DFU device 1d50:607f found on devnum 7 (LIBUSB_ERROR_ACCESS)'; } >long.log
bounded diagnose --no-host long.log
expect_rc "diagnose: an 8 MB line before the error still finds it" 5
head -c 17000000 /dev/zero >big.log
bounded diagnose --no-host big.log
expect_rc "diagnose: over 16 MiB refused" 3
grep_err "says how to pass it" "larger than 16 MiB"
printf '{"schema":1,"id":"x","name":"%s"}' "$(head -c 1000000 /dev/zero | tr '\0' a)" >long.json
bounded profiles check long.json
finished "profiles check: a profile of one 1 MB line"
head -c 1100000 /dev/zero | tr '\0' ' ' >huge.json
bounded profiles check huge.json
expect_rc "profiles check: over 1 MiB refused" 3
rm -f ./*.log ./*.json

# --- huge files ---
head -c 3000000 /dev/urandom >big.bin
bounded --sim "$SIM" flash --usb big.bin
expect_rc "flash: a file larger than the region: refused before any transfer" 3
grep_err "names the limit" "3000000 bytes does not fit: segment userFirmware holds 110592 bytes"
bounded --sim "$SIM" flash 0x00000000 big.bin --alt 1
expect_rc "flash to an address: larger than the whole alt: refused" 3
truncate -s 2G sparse.bin
for args in "inspect sparse.bin" "--sim $SIM flash --usb sparse.bin" "--sim $SIM keys load sparse.bin" \
	"diagnose sparse.bin" "profiles check sparse.bin" "cloud flash 0123456789abcdef01234567 sparse.bin --dry-run"; do
	# shellcheck disable=SC2086
	bounded $args
	expect_rc "a 2 GB sparse file: $args refused" 3
done
grep_err "says it is too large" "is 2147483648 bytes|too large \(2147483648 bytes"
check "nothing read it into memory (the file is still sparse)" test "$(du -k sparse.bin | cut -f1)" -lt 100
rm -f sparse.bin big.bin

# --- huge environment values (execve allows 128 KiB a value) ---
long=/$(head -c 100000 /dev/zero | tr '\0' a)
envrun() { # VAR ARGS...: one bounded run with VAR=$long
	var=$1
	shift
	rm -f "$T/sess.pid"
	env "$var=$long" timeout -k 5 30 setsid sh -c 'echo $$ >"$0"; exec "$@"' "$T/sess.pid" "$SPARKFLASH" "$@" \
		>"$T/out" 2>"$T/err" </dev/null
	rc=$?
}
envrun SPARKFLASH_SIM flash --usb fw.bin
expect_rc "SPARKFLASH_SIM of 100 KB" 3
grep_err "the reason survives the long name" "' does not exist \(File name too long\); create it with 'sparkflash --sim DIR sim add PROFILE'"
envrun DFU_UTIL --sim "$SIM" flash --usb fw.bin
expect_rc "DFU_UTIL of 100 KB" 8
grep_err "the reason survives" "' is not an executable file \(File name too long\)"
if [ -n "${SF_VALGRIND_LOGS:-}" ]; then
	# valgrind makes its own temporary files in TMPDIR and stops first
	skip "TMPDIR of 100 KB: valgrind itself cannot start with it"
	skip "names TMPDIR (under valgrind)"
else
	envrun TMPDIR --sim "$SIM" flash --usb fw.bin
	expect_rc "TMPDIR of 100 KB (the Core's odd-size copy)" 2
	grep_err "names TMPDIR" "TMPDIR is 100001 bytes long"
fi
envrun SPARKFLASH_SIM_LIB --sim "$SIM" flash --usb fw.bin
grep_err "SPARKFLASH_SIM_LIB of 100 KB: the reason survives" "' not found; reinstall sparkflash or set SPARKFLASH_SIM_LIB"
envrun SPARKFLASH_PROFILES list
expect_rc "SPARKFLASH_PROFILES of 100 KB" 2
envrun HOME cloud list
expect_rc "HOME of 100 KB: not logged in" 10
envrun PARTICLE_API_URL cloud list
expect_rc "PARTICLE_API_URL of 100 KB" 2
envrun PARTICLE_ACCESS_TOKEN cloud list --api-url http://127.0.0.1:9
expect_rc "PARTICLE_ACCESS_TOKEN of 100 KB" 10
grep_err "says it is too long" "PARTICLE_ACCESS_TOKEN is too long"
if grep -q aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "$T/err"; then
	not_ok "the token is not echoed"; else ok "the token is not echoed"; fi

no_temps "no temporary file left" "$T/tmp" "$T/w"
done_testing
