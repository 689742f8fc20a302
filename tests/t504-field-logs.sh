#!/bin/sh
# Real dfu-util transcripts (../shared/field-logs beside the checkout, and
# tests/fixtures/field): for every log `sparkflash diagnose` names the
# labelled diagnosis first (for "success": no error at all; for a warning
# such as leave-unconfirmed: present, with no error before it) and gives the
# labelled verdict (exit 0 exactly when the firmware was written). The
# table of results is printed in the test log.
. "$srcdir/tests/lib.sh"

dirs="$srcdir/tests/fixtures/field $srcdir/tests/fixtures/field2"
shared="$srcdir/../shared/field-logs"
if [ -f "$shared/index.tsv" ]; then dirs="$shared $dirs"; else diag "no $shared (a checkout without ../shared): only tests/fixtures/field"; fi

n=0
for d in $dirs; do n=$((n + $(tail -n +2 "$d/index.tsv" | grep -c .) * 2)); done
plan "$n"

for d in $dirs; do
	python3 - "$SPARKFLASH" "$d" >"$T/results" <<'PY'
import csv, json, os, subprocess, sys
sf, d = sys.argv[1], sys.argv[2]
for r in csv.DictReader(open(os.path.join(d, "index.tsv")), delimiter="\t"):
    try:
        p = subprocess.run([sf, "diagnose", "--json", "--no-host", os.path.join(d, r["file"])],
                           capture_output=True, text=True, timeout=30)
        rc, out = p.returncode, p.stdout
    except subprocess.TimeoutExpired:
        rc, out = -1, ""
    diags = []
    for line in out.splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("event") == "diagnosis":
            diags.append((e.get("id"), e.get("severity")))
    cat = r["category"]
    ids = [i for i, _ in diags]
    errors = [i for i, s in diags if s == "error"]
    if cat == "success":
        id_ok = not errors and rc == 0
    elif cat in ids:
        id_ok = not any(s == "error" for _, s in diags[:ids.index(cat)])
    else:
        id_ok = False
    if r["succeeded"] in ("yes", "no"):
        v_ok = (rc == 0) == (r["succeeded"] == "yes")
    else:
        v_ok = None
    first = errors[0] if errors else (ids[0] if ids else "-")
    print("\t".join([r["file"], cat, r["succeeded"], str(rc), first, "ok" if id_ok else "BAD",
                     "-" if v_ok is None else ("ok" if v_ok else "BAD")]))
PY
	while IFS='	' read -r file cat succeeded rc first idok vok; do
		if [ "$idok" = ok ]; then ok "$file: $cat first"; else not_ok "$file: $cat first (got $first, exit $rc)"; fi
		case $vok in
		ok) ok "$file: verdict (succeeded=$succeeded, exit $rc)" ;;
		-) ok "$file: verdict not labelled (exit $rc)" ;;
		*) not_ok "$file: verdict (succeeded=$succeeded, exit $rc)" ;;
		esac
	done <"$T/results"
	diag "$(basename "$d"): $(grep -c '	ok	[o-]' "$T/results")/$(grep -c . "$T/results") right first id and verdict"
done

done_testing
