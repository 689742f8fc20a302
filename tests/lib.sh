# Shared helpers for TAP shell tests (tests/t*.sh). Source it, call plan N,
# then ok/not_ok/is/... ; finish with done_testing.
# Every test gets a private scratch dir ($T) removed on exit.
set -u
: "${SPARKFLASH:?run through make check (SPARKFLASH unset)}"
: "${srcdir:=.}"
T=$(mktemp -d "${TMPDIR:-/tmp}/sftest.XXXXXX")
trap 'rm -rf "$T"' EXIT
_tap_n=0
_tap_failed=0

plan() { echo "1..$1"; }
ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
not_ok() { _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1)); echo "not ok $_tap_n - $*"; }
diag() { printf '# %s\n' "$@" | sed 's/^/# /;s/^# # /# /'; }
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $*"; }

# check DESCRIPTION CMD...: passes when CMD exits 0
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

# run_sf ARGS...: runs sparkflash with a 60 s bound, captures out/err/rc
run_sf() {
	timeout -k 5 60 "$SPARKFLASH" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	return 0
}

# expect_rc DESCRIPTION WANT: compares $rc of the last run_sf
expect_rc() {
	if [ "$rc" -eq "$2" ]; then ok "$1 (exit $rc)"; else
		not_ok "$1 (exit $rc, want $2)"; sed 's/^/#   out: /' "$T/out" | head -20; sed 's/^/#   err: /' "$T/err" | head -20; fi
}

# grep_out/grep_err DESCRIPTION PATTERN: extended regex over last output
grep_out() { if grep -Eq -- "$2" "$T/out"; then ok "$1"; else not_ok "$1"; sed 's/^/#   out: /' "$T/out" | head -20; fi; }
grep_err() { if grep -Eq -- "$2" "$T/err"; then ok "$1"; else not_ok "$1"; sed 's/^/#   err: /' "$T/err" | head -20; fi; }

done_testing() { echo "# $_tap_n tests, $_tap_failed failed"; [ "$_tap_failed" -eq 0 ]; }
