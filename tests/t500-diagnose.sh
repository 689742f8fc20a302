#!/bin/sh
# sparkflash diagnose: every fixture of tests/fixtures/diag/expected.tsv via
# a file, via stdin and with --json gives the expected IDs (in order) and
# exit code; bad input (huge, binary, missing) is handled.
. "$srcdir/tests/lib.sh"

fx="$srcdir/tests/fixtures/diag"
rows=$(grep -v '^#' "$fx/expected.tsv" | grep -c .)
sim_rows=$(grep -v '^#' "$fx/transcripts.tsv" | grep -c .)
plan $((rows * 3 + sim_rows + 19))

ids_human() { sed -n 's/^\([a-z-]*\) (\(error\|warning\|info\)): .*/\1/p' "$1" | paste -sd, -; }

grep -v '^#' "$fx/expected.tsv" | grep . >"$T/table"
while IFS="$(printf '\t')" read -r name want code; do
	[ "$want" = "-" ] && want=""
	run_sf diagnose --no-host "$fx/$name"
	got=$(ids_human "$T/out")
	if [ "$rc" -eq "$code" ] && [ "$got" = "$want" ]; then ok "file $name: $got exit $rc"; else
		not_ok "file $name: got '$got' exit $rc, want '$want' exit $code"; head -20 "$T/err" | sed 's/^/#   /'; fi

	timeout 60 "$SPARKFLASH" diagnose --no-host - <"$fx/$name" >"$T/out" 2>"$T/err"; rc=$?
	got=$(ids_human "$T/out")
	if [ "$rc" -eq "$code" ] && [ "$got" = "$want" ]; then ok "stdin $name"; else
		not_ok "stdin $name: got '$got' exit $rc, want '$want' exit $code"; fi

	timeout 60 "$SPARKFLASH" --json diagnose --no-host <"$fx/$name" >"$T/out" 2>"$T/err"; rc=$?
	if timeout 20 python3 - "$T/out" "$want" "$code" "$rc" <<'PY'
import json, sys
path, want, code, rc = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ev = [json.loads(l) for l in open(path) if l.strip()]
diag = [e for e in ev if e["event"] == "diagnosis"]
res = [e for e in ev if e["event"] == "result"]
assert len(res) == 1 and ev[-1] is res[0], "one result event, last"
assert all(list(e)[:2] == ["event", "schema"] and e["schema"] == 1 for e in ev), "schema 1 on every line"
ids = ",".join(d["id"] for d in diag)
assert ids == want, (ids, want)
assert res[0]["exit_code"] == code == rc, (res[0]["exit_code"], code, rc)
assert res[0]["diagnoses"] == [d["id"] for d in diag]
assert (res[0]["verdict"] in ("failure", "interrupted")) == (code != 0)
for d in diag:
    for k in ("severity", "summary", "explanation", "fix", "evidence", "exit_code"):
        assert k in d, k
    assert d["severity"] in ("error", "warning", "info")
    for e in d["evidence"]:
        assert e["line"] >= 1 and isinstance(e["text"], str)
PY
	then ok "json $name"; else not_ok "json $name"; fi
done <"$T/table"

# The simulator's recordings of the real dfu-util 0.11, turned into a marked
# transcript (header with the exit status, "O "/"E " stream markers).
rec="$srcdir/tests/fixtures/transcripts"
grep -v '^#' "$fx/transcripts.tsv" | grep . >"$T/simtable"
while IFS="$(printf '\t')" read -r name want code; do
	[ "$want" = "-" ] && want=""
	{ echo "#sparkflash-transcript exit=$(cat "$rec/$name.rc")"
	  sed 's/^/O /' "$rec/$name.stdout"; sed 's/^/E /' "$rec/$name.stderr"; } >"$T/rec.log"
	run_sf diagnose --no-host "$T/rec.log"
	got=$(ids_human "$T/out")
	if [ "$rc" -eq "$code" ] && [ "$got" = "$want" ]; then ok "recorded $name: $got exit $rc"; else
		not_ok "recorded $name: got '$got' exit $rc, want '$want' exit $code"; fi
done <"$T/simtable"

# status-error names the DFU status in JSON
timeout 60 "$SPARKFLASH" --json diagnose --no-host "$fx/target-protected-vendor-erase-0.11.log" >"$T/out" 2>/dev/null
if grep -q '"status_name":"errVENDOR"' "$T/out"; then ok "status_name errVENDOR in json"; else not_ok "status_name errVENDOR in json"; fi

# human output: explanation, fix and quoted evidence
run_sf diagnose --no-host "$fx/permission-denied-0.11.log"
grep_out "fix line" '^  fix: install udev rules'
grep_out "evidence quoted with line number" '^  > [0-9]+\| dfu-util: Cannot open DFU device 2b04:d006'

# a rules dir with a covering rule changes the fix text (host facts)
mkdir -p "$T/rules"
printf 'SUBSYSTEM=="usb", ATTR{idVendor}=="2b04", ATTR{idProduct}=="d006", TAG+="uaccess"\n' >"$T/rules/70-test.rules"
run_sf diagnose --rules-dir "$T/rules" "$fx/permission-denied-0.11.log"
grep_out "fix names the covering rule" "a udev rule for 2b04:d006 is installed \\($T/rules/70-test.rules\\)"

# input cap: more than 16 MiB is refused with a clear error
head -c 17000000 /dev/zero | tr '\0' 'A' >"$T/big"
run_sf diagnose "$T/big"
expect_rc "17 MB input refused" 3
grep_err "says the limit" 'larger than 16 MiB'

# the profile's DFU-mode help in the no-device fix: --profile, or found by the
# VID:PID the log names (a runner log's "-d" argument)
run_sf diagnose --no-host --profile core "$fx/no-device-0.11.log"
grep_out "--profile core: DFU-mode help" 'fix: put Spark Core in DFU mode: hold MODE and RESET'
printf '$ /usr/bin/dfu-util -d 2b04:d006 -a 0 -s 0x080A0000:leave -D fw.bin\n[stderr] dfu-util: No DFU capable USB device available\n# exit 74\n' >"$T/photon.log"
run_sf diagnose --no-host "$T/photon.log"
grep_out "profile found from -d in the log" 'fix: put Photon in DFU mode'
run_sf diagnose --no-host --profile no-such-profile "$fx/no-device-0.11.log"
expect_rc "unknown --profile is an error" 3

# 15 MB of short lines: only the end is examined, quickly
python3 -c 'import sys; sys.stdout.write("a\n" * 7500000 + "dfu-util: No DFU capable USB device available\n")' >"$T/long"
run_sf diagnose --no-host "$T/long"
expect_rc "7.5 million lines: diagnosed from the end" 4
grep_err "says lines were skipped" 'examining only its last 50000 lines'

# a 8 MB line of binary garbage does not crash it
head -c 8000000 /dev/urandom >"$T/garbage"
timeout 60 "$SPARKFLASH" diagnose --no-host - <"$T/garbage" >"$T/out" 2>"$T/err"; rc=$?
if [ "$rc" -eq 6 ] && grep -q '^unknown (error)' "$T/out"; then ok "binary garbage → unknown, exit 6"; else
	not_ok "binary garbage (exit $rc)"; head -5 "$T/err" | sed 's/^/#   /'; fi

# words quoted from the log (an address, a file name) never put control
# characters on the terminal, and JSON keeps its summary (valid UTF-8)
printf 'dfu-util 0.11\ndfu-util: Invalid DfuSe address: 0x0800\007\033]0;pwned\007x\n' >"$T/ctl.log"
run_sf diagnose --no-host "$T/ctl.log"
expect_rc "control characters in the address" 3
if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$T/out"; then not_ok "no raw control characters in human output"
	sed -n l "$T/out" | head -3 | sed 's/^/#   /'; else ok "no raw control characters in human output"; fi
printf 'dfu-util 0.11\ndfu-util: Cannot open file caf\351.bin for writing: File exists\n' >"$T/latin1.log"
run_sf --json diagnose --no-host "$T/latin1.log"
expect_rc "latin-1 file name" 3
if grep -q '"summary":"the upload target' "$T/out"; then ok "json summary kept for a latin-1 file name"; else
	not_ok "json summary kept for a latin-1 file name"; head -3 "$T/out" | sed 's/^/#   /'; fi

run_sf diagnose "$T/does-not-exist"
expect_rc "missing file" 3
run_sf diagnose a b
expect_rc "two files is a usage error" 2
run_sf diagnose --help
expect_rc "--help" 0

done_testing
