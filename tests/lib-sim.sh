# Helpers for the simulator's shell tests (tests/t030-sim-*.sh): source after
# setting nothing; provides $SIM (a fresh simulation dir), sim (sparkflash
# sim ...), dfu (real dfu-util against the simulated devices) and found.
. "$srcdir/tests/lib.sh"

# skip_all REASON: the whole script is skipped.
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

command -v dfu-util >/dev/null 2>&1 || skip_all "dfu-util not installed"
[ -n "${SPARKFLASH_SIM_LIB:-}" ] && [ -f "$SPARKFLASH_SIM_LIB" ] ||
	skip_all "simulator library not built (libusb-1.0 headers missing)"

SIM=$T/sim

# sim ARGS...: sparkflash --sim $SIM sim ARGS (output in $T/out, $T/err, $rc)
sim() { run_sf --sim "$SIM" sim "$@"; }

# dfu ARGS...: the real dfu-util, bounded, seeing $SIM's devices
dfu() {
	timeout 60 "$SPARKFLASH" --sim "$SIM" sim exec -- timeout 30 dfu-util "$@" >"$T/out" 2>"$T/err"
	rc=$?
	return 0
}

# found: the "Found DFU" lines of the last dfu -l
found() { grep '^Found ' "$T/out"; }

# same DESCRIPTION FILE1 FILE2
same() { if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1"; cmp "$2" "$3" 2>&1 | sed 's/^/#   /'; fi; }

# is DESCRIPTION GOT WANT
is() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; diag "got:  $2" "want: $3"; fi; }

# rand_file FILE BYTES [SEED]: deterministic pseudo-random content
rand_file() {
	python3 -c 'import random,sys; r=random.Random(int(sys.argv[2])); open(sys.argv[1],"wb").write(bytes(r.randrange(256) for _ in range(int(sys.argv[3]))))' \
		"$1" "${3:-1}" "$2"
}

# json_get FILE EXPR: evaluates a Python expression over the JSON document d
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# run_op OP LOG: one operation of the fault matrices (t505, t507) against
# $SIM's device M1, with --json and --log LOG, through run_sess (rc, out,
# err, left). OP: flash, flash-verify, flash-diff, flash-skip, flash-all,
# read, keys-save, keys-load. The image words are $IMAGE (default
# "--usb $T/fw.bin"); read writes $T/read.bin, keys save $T/saved.der, keys
# load takes $T/key.der. flash-all logs into the directory LOG.d and
# copies M1's log to LOG (a line saying so when no worker ran).
run_op() {
	_op=$1 _log=$2
	# shellcheck disable=SC2086
	set -- ${IMAGE:---usb $T/fw.bin}
	case $_op in
	flash) run_sess --sim "$SIM" --json --log "$_log" flash "$@" ;;
	flash-verify) run_sess --sim "$SIM" --json --log "$_log" flash "$@" --verify ;;
	flash-diff) run_sess --sim "$SIM" --json --log "$_log" flash "$@" --diff ;;
	flash-skip) run_sess --sim "$SIM" --json --log "$_log" flash "$@" --skip-unchanged ;;
	flash-all)
		rm -rf "$_log.d"
		run_sess --sim "$SIM" --json --log "$_log.d" flash "$@" --all
		if [ -f "$_log.d/M1.log" ]; then cp "$_log.d/M1.log" "$_log"
		else echo '$ (no device was opened: nothing to log)' >"$_log"; fi ;;
	read) run_sess --sim "$SIM" --json --log "$_log" read userFirmware "$T/read.bin" ;;
	keys-save) run_sess --sim "$SIM" --json --log "$_log" keys save "$T/saved.der" ;;
	keys-load) run_sess --sim "$SIM" --json --log "$_log" keys load --protocol tcp "$T/key.der" ;;
	*) echo "run_op: unknown op $_op" >&2; rc=99 ;;
	esac
}
