#!/bin/sh
# flash --skip-unchanged, --diff and --backup: the pages a write erases are
# read back first (in DFU mode); an identical image sends no download (and
# still leaves DFU mode when the segment does); --diff erases and writes
# only the runs of changed pages and leaves the memory byte-identical to a
# full flash (the simulator's per-page erase counters show which pages
# were erased); --backup saves those pages before anything is written,
# never over an existing file, and flashing the backup back restores them.
# The real dfu-util against simulated Cores.
. "$srcdir/tests/lib-sim.sh"
sf() { run_sf --sim "$SIM" --timeout 50 "$@"; }
runs() { jq -r 'select(.event=="dfu-util" and .dry_run != true) | .argv[1:] | join(" ")' "$T/out"; }
erases() { # SERIAL: the per-page erase counters of alt 0
	timeout 60 "$SPARKFLASH" --sim "$SIM" sim list --json 2>/dev/null |
		python3 -c 'import json,sys; print(" ".join(str(x) for d in json.load(sys.stdin)["devices"] if d["serial"]==sys.argv[1] for x in d["alts"][0]["page_erases"]))' "$1"
}
programs() { timeout 60 "$SPARKFLASH" --sim "$SIM" sim list --json 2>/dev/null |
	python3 -c 'import json,sys; print(sum(a["programs"] for d in json.load(sys.stdin)["devices"] if d["serial"]==sys.argv[1] for a in d["alts"]))' "$1"; }
mode_of() { timeout 60 "$SPARKFLASH" --sim "$SIM" sim list --json 2>/dev/null |
	python3 -c 'import json,sys; print([d["mode"] for d in json.load(sys.stdin)["devices"] if d["serial"]==sys.argv[1]][0])' "$1"; }
# erased_pages BEFORE AFTER: indices of the pages whose erase counter grew
erased_pages() { python3 -c 'import sys; a=sys.argv[1].split(); b=sys.argv[2].split(); print(" ".join(str(i) for i in range(len(a)) if int(b[i]) > int(a[i])))' "$1" "$2"; }
# mutate IN OUT OFFSET...: flips a byte at each offset
mutate() { python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); [d.__setitem__(int(o), d[int(o)] ^ 0x5a) for o in sys.argv[3:]]; open(sys.argv[2],"wb").write(d)' "$@"; }

sim add core --serial X1
sim add core --serial Y1
rand_file "$T/old.bin" 102400 1
for s in X1 Y1; do sf --serial $s flash --usb "$T/old.bin" --no-leave; done

# --- --skip-unchanged: the same image sends no download ---
p0=$(programs X1)
sf --json --serial X1 flash --usb "$T/old.bin" --skip-unchanged
expect_rc "--skip-unchanged, same image" 0
runs >"$T/runs"
is "listing, read-back, leave: no download" "$(sed 's/-U .*/-U FILE/' "$T/runs" | tr '\n' '|')" \
	"-l|-d 1d50:607f -S X1 -a 0 -s 0x08005000:102400 -U FILE|-d 1d50:607f -S X1 -a 0 -i 0 -s 0x08005000:leave|"
is "nothing programmed" "$(programs X1)" "$p0"
is "result: unchanged, nothing sent" "$(jq -r 'select(.event=="result") | "\(.ok) \(.unchanged) \(.bytes_not_sent)"' "$T/out")" "true true 102400"
is "the read-back operation says so" "$(jq -r 'select(.event=="result") | .operations[0] | "\(.operation) \(.unchanged) \(.pages) \(.changed_pages)"' "$T/out")" \
	"read-back true 100 0"
grep_err "human: unchanged" 'unchanged: .*old\.bin \(102400 bytes\) is already in userFirmware at 0x08005000 .*nothing written; the device leaves DFU mode'
is "it still left DFU mode (userFirmware leaves)" "$(mode_of X1)" runtime
sim reset X1
sf --json --serial X1 flash --usb "$T/old.bin" --skip-unchanged --no-leave
is "--no-leave: listing and read-back only" "$(runs | wc -l)" 2
is "stays in DFU mode" "$(mode_of X1)" dfu
mutate "$T/old.bin" "$T/one.bin" 51207
sf --json --serial X1 flash --usb "$T/one.bin" --skip-unchanged --no-leave
expect_rc "--skip-unchanged, a changed image" 0
is "a changed image is written whole" "$(runs | grep -c -- '-s 0x08005000 -D ')" 1
is "not unchanged" "$(jq -r 'select(.event=="result") | .unchanged' "$T/out")" false

# --- --diff: one changed page ---
sf --serial X1 flash --usb "$T/old.bin" --no-leave
before=$(erases X1)
sf --json --serial X1 flash --usb "$T/one.bin" --diff
expect_rc "--diff, one changed page" 0
after=$(erases X1)
is "only page 70 (0x08005000 + 50 KiB) was erased" "$(erased_pages "$before" "$after")" "70"
runs >"$T/runs"
is "read-back, one download of that page, then the leave" "$(sed 's/-[UD] [^ ]*$/FILE/' "$T/runs" | tr '\n' '|')" \
	"-l|-d 1d50:607f -S X1 -a 0 -s 0x08005000:102400 FILE|-d 1d50:607f -S X1 -a 0 -i 0 -s 0x08011800 FILE|-d 1d50:607f -S X1 -a 0 -i 0 -s 0x08005000:leave|"
python3 - "$T/out" <<'PY'
import json, sys
res = [json.loads(l) for l in open(sys.argv[1])][-1]
rb = res["operations"][0]
assert rb["operation"] == "read-back" and rb["changed_pages"] == 1 and rb["pages"] == 100, rb
assert rb["runs"] == [{"first": "0x08011800", "last": "0x08011bff", "pages": 1, "address": "0x08011800", "length": 1024}], rb
assert rb["bytes_not_sent"] == 102400 - 1024 and res["bytes_not_sent"] == 102400 - 1024, res
w = res["operations"][1]
assert w["address"] == "0x08011800" and w["length"] == 1024 and w["diff_run"] == 1 and w["diff_runs"] == 1, w
assert w["erase"] == {"first": "0x08011800", "last": "0x08011bff"}, w
assert res["operations"][2]["operation"] == "leave" and res["operations"][2]["address"] == "0x08005000", res["operations"][2]
assert "--diff: 1 of 100 pages in 1 run, 101376 bytes not sent" in res["message"], res["message"]
PY
check "JSON: the run, the bytes not sent, the leave at the image's start" test $? -eq 0
is "left DFU mode" "$(mode_of X1)" runtime
sim reset X1
sf --serial Y1 flash --usb "$T/one.bin" --no-leave
sim dump X1 0 "$T/x.bin"
sim dump Y1 0 "$T/y.bin"
same "X1 (--diff) = Y1 (full flash), all of alt 0" "$T/x.bin" "$T/y.bin"

# --- --diff: two runs, a shorter image (the rest of its last page must
#     become 0xFF as a full flash leaves it), with --verify ---
python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[3*1024+1]^=1; d[4*1024]^=1; d[40*1024]^=1; open(sys.argv[2],"wb").write(d[:95*1024+300])' "$T/old.bin" "$T/short.bin"
for s in X1 Y1; do sf --serial $s flash --usb "$T/old.bin" --no-leave; done
before=$(erases X1)
sf --json --serial X1 flash --usb "$T/short.bin" --diff --verify --no-leave
expect_rc "--diff --verify, two runs and a shorter image" 0
is "pages 3-4, 40 and the last one (95) were erased" "$(erased_pages "$before" "$(erases X1)")" "23 24 60 115"
is "three runs: pages 3-4, page 40, the last page" "$(runs | grep -c -- ' -D ')" 3
is "--verify read the range back" "$(jq -r 'select(.event=="result") | [.operations[] | .operation] | join(" ")' "$T/out")" \
	"read-back flash-usb flash-usb flash-usb verify"
sf --serial Y1 flash --usb "$T/short.bin" --no-leave
sim dump X1 0 "$T/x.bin" --force
sim dump Y1 0 "$T/y.bin" --force
same "X1 (--diff) = Y1 (full flash) again" "$T/x.bin" "$T/y.bin"
sf --json --serial X1 flash --usb "$T/short.bin" --diff --no-leave
is "--diff of the same image: nothing written" "$(jq -r 'select(.event=="result") | "\(.unchanged) \(.operations | length)"' "$T/out")" "true 1"

# --- --backup: the erased pages, saved first, never overwritten ---
sim dump X1 0 "$T/pre.bin" --force
sf --serial X1 flash --usb "$T/one.bin" --backup "$T/bk" --no-leave
expect_rc "--backup DIR (created)" 0
bk="$T/bk/X1-alt0-0x08005000-102400.bin"
check "the backup file is named SERIAL-altN-0xADDR-LEN.bin" test -f "$bk"
python3 -c 'import sys; a=open(sys.argv[1],"rb").read(); b=open(sys.argv[2],"rb").read(); sys.exit(0 if a[0x5000:0x5000+102400]==b else 1)' "$T/pre.bin" "$bk"
check "it holds the previous contents of those pages" test $? -eq 0
p0=$(programs X1)
sf --serial X1 flash --usb "$T/old.bin" --backup "$T/bk" --no-leave
expect_rc "the backup exists: refused" 3
grep_err "never overwritten" "the backup '.*X1-alt0-0x08005000-102400\\.bin' exists; backups are never overwritten"
is "nothing was written" "$(programs X1)" "$p0"
sf --serial X1 flash 0x08005000 "$bk" --alt 0 --no-leave
expect_rc "restore: flash the backup to its address" 0
sim dump X1 0 "$T/restored.bin" --force
same "restored: alt 0 as before" "$T/pre.bin" "$T/restored.bin"
sf --json --serial X1 flash --usb "$T/old.bin" --diff --backup "$T/bk2" --no-leave
expect_rc "--diff --backup: one read-back serves both" 0
is "one read-back" "$(runs | grep -c -- ' -U ')" 1
check "the backup is there" test -f "$T/bk2/X1-alt0-0x08005000-102400.bin"

# --- a profile whose pages cannot be read back ---
sed 's/108\*001Kg/108*001Kf/' "$top_srcdir/profiles/core.json" | sed 's/"id": "core"/"id": "wocore"/' >"$T/wocore.json"
sim add "$T/wocore.json" --serial WO
sf --serial WO --profile "$T/wocore.json" flash --usb "$T/one.bin" --skip-unchanged --no-leave
expect_rc "not readable: a normal write" 0
grep_out "says why" 'cannot be read back \(profile\): writing all of it'
sf --serial WO --profile "$T/wocore.json" flash --usb "$T/one.bin" --backup "$T/bk3" --no-leave
expect_rc "not readable: no backup, nothing written" 3
grep_err "says why" 'cannot back up 0x08005000-0x0801dfff on alt 0: the profile'"'"'s map says those pages cannot be read'

# --- dry run ---
sf --serial X1 --dry-run flash --usb "$T/one.bin" --diff
expect_rc "--diff --dry-run" 0
grep_out "the read-back line" '^/.*dfu-util -d 1d50:607f -S X1 -a 0 -s 0x08005000:102400 -U '
grep_out "the note on the download" '^# --diff: only the runs of pages that differ from the read-back'
plan "$_tap_n"
done_testing
