#!/bin/sh
# '-' (issue 11 item 8): standard input for flash, keys load and inspect
# (read whole, bounded, through a private copy that is always removed),
# standard output for read and keys save (also /dev/stdout; the data alone
# on stdout, every message on stderr; refused with --json and to a
# terminal). Simulated Core with the real dfu-util.
. "$srcdir/tests/lib.sh"

if [ ! -f "${SPARKFLASH_SIM_LIB:-}" ] || ! command -v dfu-util >/dev/null 2>&1; then
	echo "1..0 # SKIP simulator library or dfu-util missing"
	exit 0
fi
S="$T/sim"
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"
sim() { timeout 60 "$SPARKFLASH" --sim "$S" sim "$@" >"$T/simout" 2>&1; }
# sf ARGS... <stdin: sparkflash with our stdin, output in out/err
sf() { timeout -k 5 60 "$SPARKFLASH" --sim "$S" --timeout 50 "$@" >"$T/out" 2>"$T/err"; rc=$?; echo "$rc" >"$T/rc"; }
# after a pipeline (sf ran in a subshell): its exit code
piped_rc() { rc=$(cat "$T/rc"); }
same() { if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1"; cmp "$2" "$3" 2>&1 | sed 's/^/#   /'; fi; }
tmp_empty() { if [ -z "$(ls -A "$TMPDIR")" ]; then ok "$1"; else not_ok "$1"; ls -A "$TMPDIR" | sed 's/^/#   left: /'; fi; }

sim add core --serial C1
head -c 3001 /dev/urandom >"$T/app.bin"

# --- standard input ---
sf flash --usb - --no-leave <"$T/app.bin"
expect_rc "flash --usb - (a file on stdin)" 0
tmp_empty "the private copy of stdin is gone"
sf read 0x08005000:3001 "$T/back"
same "the bytes from stdin are on the device" "$T/app.bin" "$T/back"
head -c 2000 /dev/urandom >"$T/app2.bin"
cat "$T/app2.bin" | sf flash 0x08005000 - --no-leave
piped_rc
expect_rc "flash ADDRESS - (a pipe)" 0
sf read 0x08005000:2000 "$T/back2"
same "the bytes from the pipe" "$T/app2.bin" "$T/back2"
sf --dry-run flash --usb - <"$T/app.bin"
grep_out "dry run: dfu-util gets a private copy" " -D '\\\$TMPDIR/sparkflash-XXXXXX'"
sf flash --usb - - <"$T/app.bin"
expect_rc "two '-': stdin is read once" 2
: | sf flash --usb -
piped_rc
expect_rc "empty stdin" 3
grep_err "names standard input" "standard input is empty"
head -c $((16 * 1024 * 1024 + 1)) /dev/zero | sf flash --usb -
piped_rc
expect_rc "more than 16 MiB on stdin" 3
grep_err "the bound, clearly" "standard input is too large \(over 16777216 bytes\)"
tmp_empty "nothing left in TMPDIR after the refusals"
# a file named '-' is ./-
cp "$T/app2.bin" "$T/-"
(cd "$T" && timeout 60 "$SPARKFLASH" --sim "$S" --dry-run flash --usb ./- </dev/null >"$T/out" 2>&1)
grep_out "./- is the file" " -D ./-"

sf inspect - <"$T/app.bin"
expect_rc "inspect -" 0
grep_out "its size" "size: +3001 bytes"

# --- standard output ---
sf read 0x08005000:2000 -
expect_rc "read ... -" 0
same "stdout holds exactly the data" "$T/app2.bin" "$T/out"
grep_err "the message went to stderr" "read 2000 bytes from userFirmware at 0x08005000 .* into standard output"
sf read 0x08005000:2000 /dev/stdout
expect_rc "read ... /dev/stdout" 0
same "/dev/stdout holds exactly the data" "$T/app2.bin" "$T/out"
sf -v read 0x08005000:2000 -
same "-v: the command lines are on stderr, not in the data" "$T/app2.bin" "$T/out"
sf --dry-run read 0x08005000:2000 -
expect_rc "dry run to stdout" 0
check "dry run: no data on stdout" test ! -s "$T/out"
grep_err "dry run: the command line on stderr" "dfu-util .* -U "
sf --json read 0x08005000:16 -
expect_rc "--json with '-' refused" 2
grep_err "says why" "'-' is standard output, where --json prints its events"
check "--json: nothing on stdout" test ! -s "$T/out"
sf --json read 0x08005000:16 /dev/stdout
expect_rc "--json with /dev/stdout refused" 2
tmp_empty "no temporary file left by the reads"

# keys: save to stdout, load from stdin (a key made here)
sf keys new "$T/k" --protocol tcp
expect_rc "keys new" 0
(cd "$T" && sf keys load - <"$T/k.der")
piped_rc
expect_rc "keys load -" 0
grep_out "names standard input" "loaded standard input"
check "the backup of the old key is ./stdin.backup-..." sh -c "ls '$T'/stdin.backup-C1-tcpPrivateKey-*.der >/dev/null 2>&1"
sf keys save - >/dev/null
sf keys save -
expect_rc "keys save -" 0
head -c "$(wc -c <"$T/k.der")" "$T/out" >"$T/saved"
same "keys save - gives the key just loaded" "$T/k.der" "$T/saved"
check "the key segment, 1024 bytes" test "$(wc -c <"$T/out")" -eq 1024
grep_err "message on stderr" "saved tcpPrivateKey .* to standard output"
sf --json keys save -
expect_rc "keys save - with --json refused" 2
tmp_empty "no temporary file left by the keys commands"

# a terminal on stdout/stdin (script(1) gives one)
if command -v script >/dev/null 2>&1; then
	script -qec "'$SPARKFLASH' --sim '$S' read 0x08005000:16 -" /dev/null >"$T/tty" 2>&1
	check "read to a terminal refused" grep -q "is standard output, which is a terminal" "$T/tty"
	script -qec "'$SPARKFLASH' --sim '$S' inspect -" /dev/null >"$T/tty" 2>&1 </dev/null
	check "stdin from a terminal refused" grep -q "'-' reads standard input, which is a terminal" "$T/tty"
else
	skip "script(1) missing"; skip "script(1) missing"
fi

plan "$_tap_n"
done_testing
