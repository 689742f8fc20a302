#!/bin/sh
# A device whose alt layout string differs from its profile's only in an
# attribute letter (a Photon DCT reported as "...Ke" where the profile says
# "...Kg"): reads (read, keys save, keys address) warn and go on; writes
# (flash, keys load, keys server) are refused unless --force, which warns.
# A layout with another geometry is refused even with --force.
. "$srcdir/tests/lib-sim.sh"
plan 31
VARIANT="$srcdir/tests/fixtures/profiles/variants/photon-dct-ke.json"
sf() { run_sf --sim "$SIM" --timeout 50 "$@"; }
nomsg() { # DESCRIPTION PATTERN: not in stderr
	if grep -Eq -- "$2" "$T/err"; then not_ok "$1"; sed 's/^/#   err: /' "$T/err" | head -5; else ok "$1"; fi
}

sim add "$VARIANT" --serial PK1
expect_rc "simulated Photon whose DCT alt says Ke" 0
dfu -l
grep_out "dfu-util sees the Ke layout" 'alt=1, name="@DCT Flash   /0x00000000/01\*016Ke"'

# --- reads warn and go on ---
sf keys save "$T/k.der"
expect_rc "keys save" 0
grep_err "warns about the attribute letters" 'reports alt 1 as "@DCT Flash   /0x00000000/01\*016Ke" but profile photon expects "@DCT Flash   /0x00000000/01\*016Kg": only the memory attribute letters differ; reading anyway'
check "key saved (612 bytes)" test "$(wc -c <"$T/k.der")" -eq 612
sf keys address
expect_rc "keys address" 0
grep_out "prints the address" '^(tcp|udp)://'
grep_err "keys address warns too" 'only the memory attribute letters differ; reading anyway'
sf read 0x0:64 "$T/dct.bin" --alt 1
expect_rc "read ADDRESS:LENGTH on the DCT alt" 0
check "64 bytes read" test "$(wc -c <"$T/dct.bin")" -eq 64
sf read 0x080A0000:16 "$T/app.bin"
expect_rc "read on alt 0 (same layout)" 0
nomsg "no warning for an alt whose layout agrees" 'attribute letters'
sf --json keys save "$T/k2.der"
expect_rc "keys save --json" 0
python3 - "$T/out" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
w = [e for e in ev if e["event"] == "message" and e["level"] == "warning" and "attribute letters" in e["text"]]
assert len(w) == 1, ev
assert ev[-1]["event"] == "result" and ev[-1]["ok"] is True
PY
check "JSON: one warning message event, then an ok result" test $? -eq 0

# --- writes are refused without --force ---
sim dump PK1 1 "$T/dct.before"
cp "$srcdir/tests/fixtures/keys/rsa1024-pkcs1.der" "$T/key.der"
cp "$srcdir/tests/fixtures/keys/rsa2048.pub.der" "$T/server.der"
sf keys load "$T/key.der"
expect_rc "keys load refused" 3
grep_err "says why and how to override" 'only the memory attribute letters differ, but a write needs .*pass --force'
check "no backup file left behind" sh -c "! ls '$T'/key.der.backup-* >/dev/null 2>&1"
sf keys server "$T/server.der"
expect_rc "keys server refused" 3
printf '\001' >"$T/flag.bin"
sf flash 0x6d9 "$T/flag.bin" --allow-protected otaFlag --alt 1
expect_rc "flash to the DCT alt refused" 3
grep_err "for the same reason" 'only the memory attribute letters differ, but a write needs'
sim dump PK1 1 "$T/dct.after"
check "DCT memory unchanged" cmp -s "$T/dct.before" "$T/dct.after"

# --- --force writes, with a warning ---
sf keys load "$T/key.der" --force
expect_rc "keys load --force" 0
grep_err "warns it writes anyway" 'only the memory attribute letters differ; writing anyway \(--force\)'
check "the backup was saved first" sh -c "ls '$T'/key.der.backup-PK1-tcpPrivateKey-*.der >/dev/null"
sim dump PK1 1 "$T/dct.forced"
python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); k=open(sys.argv[2],"rb").read(); sys.exit(0 if d[34:34+len(k)]==k and d[34+len(k):34+612]==b"\xff"*(612-len(k)) else 1)' "$T/dct.forced" "$T/key.der"
check "the key landed at tcpPrivateKey (34)" test $? -eq 0
sf flash --usb "$T/app.bin" --no-leave
expect_rc "flash to alt 0 (layout agrees) needs no --force" 0
nomsg "and warns about nothing" 'attribute letters'

# --- another geometry is refused even with --force ---
rm -rf "$SIM"
sed 's#01\*016Kg#02\*016Kg#' "$SPARKFLASH_PROFILES/photon.json" | sed 's/"id": "photon"/"id": "photon-two"/' >"$T/photon-two.json"
sim add "$T/photon-two.json" --serial PK2
expect_rc "simulated Photon whose DCT alt has two pages" 0
sf keys save "$T/k3.der"
expect_rc "read refused: another map" 3
grep_err "names both layouts" 'it is not the device the profile describes'
sf keys load "$T/key.der" --force
expect_rc "write refused even with --force" 3

done_testing
