#!/bin/sh
# README: every diagnosis id the judge can give (the catalogue in
# src/diag.c, and every id src/diag*.c adds) has a row in the "Diagnosis
# IDs" table and an entry in the "Troubleshooting" index, and neither names
# an id the catalogue does not have.
. "$srcdir/tests/lib.sh"

python3 - "$srcdir" <<'PY'
import glob, re, sys

top = sys.argv[1]
n = 0
failed = 0
def check(cond, what):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, what))
    failed += not cond

cat_src = open(top + "/src/diag.c", encoding="utf-8").read()
catalogue = re.findall(r'^\s*\{ "([a-z0-9-]+)", SF_DIAG_(?:ERROR|WARNING|INFO),', cat_src, re.M)
check(len(catalogue) >= 30, "the catalogue in src/diag.c lists %d ids" % len(catalogue))
used = set()
for f in glob.glob(top + "/src/diag*.c"):
    used |= set(re.findall(r'\badd(?:ed)?\(\s*\w+\s*,\s*"([a-z0-9-]+)"', open(f, encoding="utf-8").read()))
check(used and used <= set(catalogue), "every id src/diag*.c adds is in the catalogue (not: %s)"
      % sorted(used - set(catalogue)))

readme = open(top + "/README", encoding="utf-8").read()
def section(title):
    m = re.search(r"^%s\n-+\n(.*?)(?=^[^\n]+\n-{3,}\n|\Z)" % re.escape(title), readme, re.M | re.S)
    return m.group(1) if m else ""
def first_column_ids(text):
    ids = []
    for line in text.split("\n"):
        if line.startswith("| ") and not line.startswith("|---"):
            ids += re.findall(r"`([a-z0-9-]+)`", line.split("|")[1])
    return ids

for title in ("Diagnosis IDs", "Troubleshooting"):
    ids = first_column_ids(section(title))
    check(ids, "README has a %s table" % title)
    missing = [i for i in catalogue if i not in ids]
    check(not missing, "%s: every catalogue id has an entry (missing: %s)" % (title, missing))
    stale = sorted(set(ids) - set(catalogue))
    check(not stale, "%s: no entry for an id the catalogue lacks (%s)" % (title, stale))
    dup = sorted({i for i in ids if ids.count(i) > 1})
    check(not dup, "%s: each id once (twice: %s)" % (title, dup))
print("1..%d" % n)
sys.exit(1 if failed else 0)
PY
