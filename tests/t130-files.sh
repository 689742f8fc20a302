#!/bin/sh
# Files sparkflash writes (README "Files"): a symbolic link at a destination
# is refused, whether it points to a file (left untouched) or nowhere (not
# created): read OUT, keys save, keys new, flash --backup, --log, sim dump,
# udev rules. A replaced file is a new file renamed into place (another
# hard link keeps the old bytes); --log and OUT may not be one file, even
# before either exists; nothing temporary is left in TMPDIR or beside the
# outputs.
. "$srcdir/tests/lib-sim.sh"

plan 48
mkdir -p "$T/tmp" "$T/w"
TMPDIR="$T/tmp"; export TMPDIR
cd "$T/w" || exit 1
usb() { run_sf --sim "$SIM" --timeout 50 "$@"; }
sim add core --serial F1
rand_file fw.bin 3000 7
printf 'precious\n' >target.bin
tsum=$(sha target.bin)
ln -s target.bin link.bin
ln -s nowhere.bin dangling.bin
untouched() { # DESCRIPTION: target.bin as it was, the links still links, nowhere.bin not made
	if [ "$(sha target.bin)" = "$tsum" ] && [ -L link.bin ] && [ -L dangling.bin ] && [ ! -e nowhere.bin ]; then
		ok "$1"
	else
		not_ok "$1"; ls -l | sed 's/^/#   /'
	fi
}

# read OUT
usb read 0x08005000:64 link.bin
expect_rc "read onto a link to a file: refused" 3
grep_err "says it is a link and what to do" "'link.bin' is a symbolic link \(to 'target.bin'\); sparkflash never writes through a link"
usb read 0x08005000:64 link.bin --force
expect_rc "read --force onto a link to a file: refused" 3
usb read 0x08005000:64 dangling.bin --force
expect_rc "read --force onto a dangling link: refused" 3
grep_err "says where it points" "to 'nowhere.bin', which does not exist"
untouched "read: the target is untouched, nothing created"

# keys save and keys new
usb keys save link.bin --force
expect_rc "keys save --force onto a link: refused" 3
usb keys save dangling.bin
expect_rc "keys save onto a dangling link: refused" 3
ln -s target.bin k.pem
run_sf --profile core keys new k --protocol tcp --force
expect_rc "keys new with NAME.pem a link: refused" 3
check "no other key file made" test ! -e k.der -a ! -e k.pub.pem
rm -f k.pem
untouched "keys: the target is untouched, nothing created"

# flash --backup DIR: the backup's name is taken by a link
mkdir bk
ln -s ../target.bin bk/F1-alt0-0x08005000-3072.bin
usb flash --usb fw.bin --backup bk
expect_rc "flash --backup onto a link to a file: refused" 3
grep_err "before anything is read" "backups are never overwritten"
rm bk/F1-alt0-0x08005000-3072.bin
ln -s ../nowhere.bin bk/F1-alt0-0x08005000-3072.bin
usb flash --usb fw.bin --backup bk
expect_rc "flash --backup onto a dangling link: refused" 3
untouched "--backup: the target is untouched, nothing created"
usb read 0x08005000:3000 back.bin
check "nothing was flashed" sh -c '! cmp -s fw.bin back.bin'
rm -f back.bin bk/*

# --log
usb --log link.bin flash --usb fw.bin --no-leave
expect_rc "--log onto a link to a file: refused" 3
grep_err "says it is a link" "log file 'link.bin' is a symbolic link \(to 'target.bin'\)"
usb --log dangling.bin flash --usb fw.bin --no-leave
expect_rc "--log onto a dangling link: refused" 3
untouched "--log: the target is untouched, nothing created"
usb --log /dev/stderr flash --usb fw.bin --no-leave
expect_rc "--log /dev/stderr (one of our own descriptors) works" 0
grep_err "the transcript went to stderr" '^\[stdout\] Download'
mkfifo pipe
start=$(date +%s)
usb --log pipe flash --usb fw.bin --no-leave
expect_rc "--log onto a pipe nobody reads: refused" 3
check "at once" test $(($(date +%s) - start)) -le 10
grep_err "says so" "a named pipe nobody reads"
rm pipe
# with several devices --log is a directory of SERIAL.log files
sim add core --serial F2
mkdir logs
ln -s ../target.bin logs/F2.log
usb --log logs flash --usb fw.bin --all --no-leave
expect_rc "--all: the link device's log is refused, the other device flashed" 3
check "F1's log was written" grep -q '^# result success' logs/F1.log
untouched "--all --log: the target is untouched"
sim remove F2

# sim dump and udev install
timeout 60 "$SPARKFLASH" --sim "$SIM" sim dump F1 0 link.bin --force >"$T/out" 2>"$T/err"; rc=$?
expect_rc "sim dump --force onto a link: refused" 3
mkdir rules
ln -s /dev/null rules/60-sparkflash.rules
run_sf udev install --rules-dir rules
expect_rc "udev install over a masking link to /dev/null: refused" 3
grep_err "names the link" "60-sparkflash.rules' is a symbolic link \(to '/dev/null'\)"
check "the mask stays" test -L rules/60-sparkflash.rules
rm rules/60-sparkflash.rules
ln -s ../nowhere.bin rules/60-sparkflash.rules
run_sf udev install --rules-dir rules
expect_rc "udev install over a dangling link: refused" 3
untouched "sim dump, udev: the target is untouched, nothing created"

# a replaced file is a new file: another hard link keeps the old bytes
usb read 0x08005000:64 out.bin
expect_rc "read" 0
cp out.bin old.bin
ln out.bin hard.bin
usb flash 0x08005000 fw.bin --no-leave
usb read 0x08005000:64 out.bin --force
expect_rc "read --force over it" 0
check "out.bin has the new bytes" sh -c 'head -c 64 fw.bin | cmp -s - out.bin'
check "its other hard link still has the old bytes (renamed, not rewritten)" cmp -s old.bin hard.bin
check "mode 0644 (umask)" test "$(stat -c %a out.bin)" = 644
usb keys save key.der
usb keys save key.der --force
expect_rc "keys save --force" 0
check "a saved key is 0600" test "$(stat -c %a key.der)" = 600

# --log and OUT are one file: refused before anything runs, also when
# neither exists yet and the names are spelled differently
usb --log ./same.bin read 0x08005000:64 same.bin
expect_rc "read OUT with --log OUT (neither exists)" 2
grep_err "names both" "is the same file as"
check "neither was made" test ! -e same.bin
usb --log ../w/key2.der keys save key2.der
expect_rc "keys save OUT with --log OUT" 2
run_sf --profile core --log k2.der keys new k2 --protocol tcp
expect_rc "keys new NAME with --log NAME.der" 2
check "no key file made" test ! -e k2.der -a ! -e k2.pem

no_temps "no temporary file in TMPDIR or beside the outputs" "$T/tmp" "$T/w"

done_testing
