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

# sha FILE: its SHA-256
sha() { sha256sum <"$1" | cut -d' ' -f1; }

# temps DIR...: sparkflash's temporary files and directories under DIR
# (fileio.h: .sparkflash-XXXXXX beside an output, sparkflash-XXXXXX and
# .sparkflash-XXXXXX in TMPDIR); the tests expect none after any run
temps() { find "$@" \( -name '.sparkflash-*' -o -name 'sparkflash-*' \) -print 2>/dev/null; }

# no_temps DESCRIPTION DIR...: passes when temps finds nothing
no_temps() {
	local d=$1 _left
	shift
	_left=$(temps "$@" | head -5)
	if [ -z "$_left" ]; then ok "$d"; else not_ok "$d"; echo "$_left" | sed 's/^/#   left: /'; fi
}

# run_sess ARGS...: run_sf with sparkflash leading a session of its own;
# $sess is its pid (and session id), and afterwards $left lists what is
# still running in that session (dfu-util, a fleet worker): nothing may be.
# The bound is SESS_LIMIT seconds (default 60).
run_sess() {
	rm -f "$T/sess.pid"
	timeout -k 5 "${SESS_LIMIT:-60}" setsid sh -c 'echo $$ >"$0"; exec "$@"' "$T/sess.pid" "$SPARKFLASH" "$@" \
		>"$T/out" 2>"$T/err" </dev/null
	rc=$?
	sess=$(cat "$T/sess.pid" 2>/dev/null)
	left=""
	[ -n "$sess" ] && left=$(pgrep -l -s "$sess" 2>/dev/null)
	return 0
}

# start_sess ARGS...: the same in the background (sets $sess once it runs);
# end_sess waits for it (sets $rc and $left). Output in $T/out, $T/err.
start_sess() {
	local i=0
	rm -f "$T/sess.pid"
	timeout -k 5 "${SESS_LIMIT:-60}" setsid sh -c 'echo $$ >"$0"; exec "$@"' "$T/sess.pid" "$SPARKFLASH" "$@" \
		>"$T/out" 2>"$T/err" </dev/null &
	_sess_job=$!
	while [ ! -s "$T/sess.pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	sess=$(cat "$T/sess.pid" 2>/dev/null)
}
end_sess() {
	wait "$_sess_job"
	rc=$?
	left=""
	[ -n "$sess" ] && left=$(pgrep -l -s "$sess" 2>/dev/null)
	return 0
}

# wait_for FILE REGEX [SECONDS]: until FILE has a line matching REGEX
# (default bound 30 s); false when it never did
wait_for() {
	local i=0 n=$(( ${3:-30} * 20 ))
	while [ $i -lt $n ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# verdict FILE: "VERDICT EXIT FIRST-ID" of the last JSON result event in FILE
verdict() {
	python3 - "$1" <<'PY'
import json, sys
events = []
for l in open(sys.argv[1], errors="replace"):
    l = l.strip()
    if l.startswith("{"):
        try:
            events.append(json.loads(l))
        except ValueError:
            pass
res = [e for e in events if e.get("event") == "result"]
if not res:
    print("none - -")
else:
    r = res[-1]
    ids = r.get("diagnoses") or []
    print(r.get("verdict"), r.get("exit_code"), ids[0] if ids else "-")
PY
}
