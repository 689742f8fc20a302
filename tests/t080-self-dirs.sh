#!/bin/sh
# The built, uninstalled binary finds its tree's profiles and simulator
# library by itself (from /proc/self/exe), from any working directory and
# without SPARKFLASH_PROFILES / SPARKFLASH_SIM_LIB; those and --profiles-dir
# still come first. A copy outside any tree finds no profiles: every command
# that needs them exits 3 naming every directory it looked in. A copy laid
# out like an install (bin/, share/sparkflash/profiles, lib/sparkflash) that
# was moved finds its data relative to itself.
. "$srcdir/tests/lib.sh"
if [ ! -f "${SPARKFLASH_SIM_LIB:-}" ] || ! command -v dfu-util >/dev/null 2>&1; then
	echo "1..0 # SKIP simulator library or dfu-util missing"
	exit 0
fi
LIB=$SPARKFLASH_SIM_LIB
PROFILES=$SPARKFLASH_PROFILES
unset SPARKFLASH_PROFILES SPARKFLASH_SIM_LIB SPARKFLASH_SIM
mkdir -p "$T/cwd"
cd "$T/cwd" || exit 1
head -c 3000 /dev/urandom >fw.bin
sfx() { bin=$1; shift; timeout -k 5 60 "$bin" "$@" >"$T/out" 2>"$T/err"; rc=$?; }
# the binary itself for the copies below (under valgrind $SPARKFLASH is a
# wrapper script that runs the build tree's binary wherever it is copied)
REAL_SPARKFLASH=${SF_VALGRIND_BIN:-$SPARKFLASH}
is() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; diag "got:  $2" "want: $3"; fi; }
nothing() { # DESCRIPTION PATTERN: in neither stream
	if grep -Eq -- "$2" "$T/out" "$T/err"; then not_ok "$1"; sed 's/^/#   err: /' "$T/err" | head -5; else ok "$1"; fi
}

# --- the build tree's binary, no environment ---
sfx "$SPARKFLASH" profiles list
expect_rc "profiles list from another directory, no SPARKFLASH_PROFILES" 0
grep_out "finds the tree's profiles" "^core +Spark Core +1d50:607f +0 +.*/profiles/core\.json$"
check "from the source tree" sh -c "grep '^photon ' '$T/out' | awk '{print \$NF}' | xargs -I{} cmp -s {} '$PROFILES/photon.json'"
sfx "$SPARKFLASH" --sim "$T/sim" sim add core --serial SD1
expect_rc "sim add core" 0
sfx "$SPARKFLASH" flash --usb --sim "$T/sim" fw.bin
expect_rc "flash --usb --sim DIR (the tree's libsfsim.so, no SPARKFLASH_SIM_LIB)" 0
grep_out "flashed" "flashed fw\.bin \(3000 bytes\) to userFirmware"
sfx "$SPARKFLASH" --sim "$T/sim" sim list --json
check "the device ran the firmware" sh -c "grep -q '\"mode\":\"runtime\"' '$T/out'"

# --- overrides still win ---
mkdir -p "$T/shadow"
sed 's/"name": "Spark Core"/"name": "Shadow Core"/' "$PROFILES/core.json" >"$T/shadow/core.json"
SPARKFLASH_PROFILES="$T/shadow" sfx "$SPARKFLASH" profiles show core
grep_out "SPARKFLASH_PROFILES comes first" '^core: Shadow Core'
sfx "$SPARKFLASH" --profiles-dir "$T/shadow" profiles show core
grep_out "--profiles-dir comes first" '^core: Shadow Core'
SPARKFLASH_SIM_LIB="$T/nowhere/libsfsim.so" sfx "$SPARKFLASH" --sim "$T/sim" sim exec -- true
check "SPARKFLASH_SIM_LIB comes first (a missing one is an error)" sh -c "[ $rc -ne 0 ] && grep -q '$T/nowhere/libsfsim.so' '$T/err'"

# --- a copy outside any tree: no profiles anywhere ---
mkdir -p "$T/loose" "$T/empty"
cp "$REAL_SPARKFLASH" "$T/loose/sparkflash"
sfx "$T/loose/sparkflash" profiles list
if [ "$rc" -eq 0 ]; then
	skip "sparkflash is installed on this host (its profiles are found); no-profiles checks skipped"
else
	expect_rc "profiles list with no profiles" 3
	grep_err "says none were found" 'no device profiles found \(looked in '
	SPARKFLASH_PROFILES="$T/empty:$T/gone" sfx "$T/loose/sparkflash" --profiles-dir "$T/shadow/../empty" profiles list
	grep_err "names every directory tried, with what was wrong" "looked in $T/shadow/../empty \(no profiles\), $T/empty \(no profiles\), $T/gone \(does not exist\), /[^ ]*profiles \(does not exist\)"
	for c in "list" "sim add core" "flash --usb fw.bin" "read userFirmware out.bin" "keys address" "udev print"; do
		# shellcheck disable=SC2086
		sfx "$T/loose/sparkflash" --sim "$T/sim" $c
		expect_rc "$c: no profiles is exit 3" 3
		grep_err "$c: says where it looked" 'no device profiles found \(looked in '
		nothing "$c: not 'put the device in DFU mode'" 'in DFU mode'
	done
	sfx "$T/loose/sparkflash" doctor
	expect_rc "doctor: the profiles check fails with exit 3" 3
	grep_out "doctor: says where it looked" '^error +profiles: no device profiles found \(looked in '
	sfx "$T/loose/sparkflash" --json --sim "$T/sim" list
	is "list --json: the result names the class" "$(tail -n 1 "$T/out" | jq -r '"\(.exit_code) \(.error)"')" "3 refused"
fi

# --- a moved install: bin/ with share/sparkflash/profiles and lib/sparkflash ---
mkdir -p "$T/inst/bin" "$T/inst/share/sparkflash/profiles" "$T/inst/lib/sparkflash"
cp "$REAL_SPARKFLASH" "$T/inst/bin/sparkflash"
cp "$PROFILES/core.json" "$T/inst/share/sparkflash/profiles/"
cp "$LIB" "$T/inst/lib/sparkflash/libsfsim.so"
sfx "$T/inst/bin/sparkflash" profiles list
expect_rc "moved install: profiles list" 0
grep_out "its own share/sparkflash/profiles" "^core .* $T/inst/share/sparkflash/profiles/core\.json$"
rm -rf "$T/sim"
sfx "$T/inst/bin/sparkflash" --sim "$T/sim" sim add core --serial SD2
sfx "$T/inst/bin/sparkflash" --sim "$T/sim" flash --usb fw.bin
expect_rc "moved install: flash with its own libsfsim.so" 0

plan "$_tap_n"
done_testing
