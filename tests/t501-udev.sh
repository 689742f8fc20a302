#!/bin/sh
# sparkflash udev print|install against a temporary rules directory.
. "$srcdir/tests/lib.sh"
plan 18

run_sf udev print
expect_rc "print" 0
# every profile's DFU (and runtime) VID:PID gets a rule
n_missing=0
for p in "$SPARKFLASH_PROFILES"/*.json; do
	for id in $(python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
for k in ("dfu", "runtime"):
    if k in p.get("usb", {}):
        print(p["usb"][k].lower())
' "$p" 2>/dev/null); do
		vid=${id%:*}; pid=${id#*:}
		grep -q "ATTR{idVendor}==\"$vid\", ATTR{idProduct}==\"$pid\", TAG+=\"uaccess\", GROUP=\"plugdev\", MODE=\"0664\"" "$T/out" ||
			{ n_missing=$((n_missing + 1)); diag "no rule for $id"; }
	done
done
[ "$n_missing" -eq 0 ] && ok "a rule for every profile VID:PID" || not_ok "a rule for every profile VID:PID ($n_missing missing)"
grep_out "Spark Core DFU rule" '^SUBSYSTEM=="usb", ATTR\{idVendor\}=="1d50", ATTR\{idProduct\}=="607f"'
grep_out "labelled" '^# .*Spark Core \(core\), DFU mode'
n=$(grep -c '^SUBSYSTEM==' "$T/out"); u=$(grep '^SUBSYSTEM==' "$T/out" | sort -u | wc -l)
[ "$n" -eq "$u" ] && [ "$n" -ge 2 ] && ok "no duplicate rules ($n)" || not_ok "duplicates ($n vs $u)"
cp "$T/out" "$T/printed"

mkdir "$T/rules"
run_sf udev install --rules-dir "$T/rules"
expect_rc "install" 0
grep_out "reports new" 'installed .*60-sparkflash.rules \(new file'
grep_out "prints the reload step" 'udevadm control --reload-rules && sudo udevadm trigger'
if cmp -s "$T/printed" "$T/rules/60-sparkflash.rules"; then ok "installed file = printed text"; else not_ok "installed file differs"; fi
[ "$(stat -c %a "$T/rules/60-sparkflash.rules")" = 644 ] && ok "mode 0644" || not_ok "mode $(stat -c %a "$T/rules/60-sparkflash.rules")"
[ "$(ls -A "$T/rules" | wc -l)" -eq 1 ] && ok "no temporary file left" || not_ok "leftovers: $(ls -A "$T/rules")"

run_sf udev install --rules-dir "$T/rules"
grep_out "second install: unchanged" 'is up to date'

echo '# edited' >>"$T/rules/60-sparkflash.rules"
run_sf --json udev install --rules-dir "$T/rules"
if python3 -c 'import json,sys; e=[json.loads(l) for l in open(sys.argv[1])]; r=e[-1]; assert r["event"]=="result" and r["state"]=="changed" and r["ids"]>=2' "$T/out"; then
	ok "json: changed"; else not_ok "json: changed"; fi
cmp -s "$T/printed" "$T/rules/60-sparkflash.rules" && ok "changed file rewritten" || not_ok "not rewritten"

# dry run writes nothing
mkdir "$T/dry"
run_sf --dry-run udev install --rules-dir "$T/dry"
[ ! -e "$T/dry/60-sparkflash.rules" ] && ok "--dry-run writes nothing" || not_ok "--dry-run wrote"

run_sf udev install --rules-dir "$T/nope"
expect_rc "missing rules dir" 3
if [ "$(id -u)" -ne 0 ]; then
	mkdir "$T/ro"; chmod 555 "$T/ro"
	run_sf udev install --rules-dir "$T/ro"
	expect_rc "unwritable rules dir" 5
else
	skip "running as root: cannot test an unwritable directory"
fi
run_sf udev frobnicate
expect_rc "unknown action" 2

done_testing
