#!/bin/sh
# sparkflash profiles list/show/check through the real binary: output,
# JSON, exit codes, search-path precedence, profiles given by path.
. "$srcdir/tests/lib.sh"

plan 67

P="$srcdir/profiles"
F="$srcdir/tests/fixtures/profiles"
export SPARKFLASH_PROFILES="$P"

# --- list ---
run_sf profiles list
expect_rc "list" 0
grep_out "list: core row" '^core +Spark Core +1d50:607f +0 +.*/core\.json$'
grep_out "list: photon row" '^photon +Photon +2b04:d006 +6 '
grep_out "list: electron row" '^electron +Electron +2b04:d00a +10 '
grep_out "list: duo row" '^duo +RedBear Duo +2b04:d058 +88 '
grep_out "list: p1 row" '^p1 +P1 +2b04:d008 +8 '
check "list: sorted by id" test "$(awk 'NR>1{print $1}' "$T/out" | tr '\n' ' ')" = "argon b5som boron bsom core duo electron esomx p1 p2 photon stm32f0 stm32f1 stm32f4 stm32h7 stm32l4 tracker xenon "

run_sf profiles list --json
expect_rc "list --json" 0
grep_out "list --json: one JSON array" '^\[\{"id":"argon","name":"Argon","dfu":"2b04:d00c","runtime":"2b04:c00c","platform_id":12,"source":"[^"]*/argon\.json"\},'
grep_out "list --json: core in it" '\{"id":"core","name":"Spark Core","dfu":"1d50:607f","runtime":"1d50:607d","platform_id":0,"source":"[^"]*/core\.json"\}'
check "list --json: eighteen profiles" test "$(grep -o '"id":' "$T/out" | wc -l)" -eq 18

# --- show ---
run_sf profiles show core
expect_rc "show core" 0
grep_out "show: bootloader region read-only" '^ +0x08000000-0x08004FFF +20 x 1 KiB +r--$'
grep_out "show: application region rew" '^ +0x08005000-0x0801FFFF +108 x 1 KiB +rew$'
grep_out "show: SPI flash sectors" '^ +0x00000000-0x001FFFFF +512 x 4 KiB +rew$'
grep_out "show: userFirmware segment with leave" '^ +userFirmware +alt 0 +0x08005000-0x0801FFFF +size 0x1B000 \(108 KiB\) +leave$'
grep_out "show: server key protected with offsets" 'tcpServerKey +alt 1 +0x00001000-0x000017FF .*protected +key der/rsa address@384 port@450'
grep_out "show: protected range listed" '^ +alt 1 +0x00002000-0x000023FF +tcpPrivateKey$'
grep_out "show: exact layout string (two spaces)" '"@Internal Flash  /0x08000000/20\*001Ka,108\*001Kg"'

run_sf profiles show photon
expect_rc "show photon" 0
grep_out "show photon: DCT is read-modify-write" 'alt 1 "@DCT Flash   /0x00000000/01\*016Kg" +erase none'
grep_out "show photon: transport flag protected" 'transport +alt 1 +0x00000BA1-0x00000BA1 .*protected'

run_sf profiles show electron --json
expect_rc "show --json" 0
grep_out "show --json: userFirmware address as 0x string" '"name":"userFirmware","alt":0,"address":"0x08080000","size":"0x00020000","end":"0x080A0000","leave":true,"protected":false'
grep_out "show --json: regions with flags" '"start":"0x08000000","end":"0x0800C000","page_size":16384,"pages":3,"flags":"r--","readable":true,"erasable":false,"writable":false'
grep_out "show --json: protected list" '"protected":\[\{"segment":"tcpPrivateKey","alt":1,"start":"0x00000022","end":"0x00000286"\}'
grep_out "show --json: erase none on DCT" '"alt":1,"layout":"@DCT Flash   /0x00000000/01\*016Kg","name":"DCT Flash   ","erase":"none"'
check "show --json: a single line" test "$(wc -l <"$T/out")" -eq 1

# a made-up profile given by path (not on the search path)
run_sf profiles show "$F/stm32f4-rom.json"
expect_rc "show by path" 0
grep_out "show by path: Device Feature forced to r-w" '^ +0xFFFF0000-0xFFFF0003 +1 x 4 B +r-w$'
grep_out "show by path: space multiplier means bytes" '^ +0x1FFF7A00-0x1FFF7A0F +1 x 16 B +rew$'
run_sf profiles show stm32f4-rom
expect_rc "fixture is not found by name without --profiles-dir" 3
grep_err "not found names the directories looked in" "profile 'stm32f4-rom' not found \(looked in .*profiles"
run_sf --profiles-dir "$F" profiles show stm32f4-rom
expect_rc "fixture found by name with --profiles-dir" 0

# --- check ---
run_sf profiles check "$P/core.json" "$P/photon.json" "$P/p1.json" "$P/electron.json" "$P/duo.json" "$F/stm32f4-rom.json"
expect_rc "check: every shipped profile and the fixture" 0
check "check: six ok lines" test "$(grep -c '^ok ' "$T/out")" -eq 6

printf '{\n "schema": 1,\n "id": "bad",\n "name": "Bad",\n "usb": { "dfu": "1d50:607f" },\n "alts": [ { "alt": 0, "layout": "@F/0x08000000/4*1Kg" } ],\n "segments": { "s": { "alt": 1, "address": "0x0" } }\n}\n' >"$T/bad.json"
run_sf profiles check "$P/core.json" "$T/bad.json" "$P/photon.json"
expect_rc "check: broken profile" 3
grep_err "check: file:line:col: message" "^$T/bad.json:7:30: segment 's' is on alt 1, which this profile does not declare \(alts: 0\)$"
grep_out "check: files before the broken one are reported ok" "^ok $P/core.json"
check "check: stops at the first broken file" test "$(grep -c '^ok ' "$T/out")" -eq 1

printf '{ "schema": 1, "id": "x", }' >"$T/syntax.json"
run_sf profiles check "$T/syntax.json"
expect_rc "check: JSON syntax error" 3
grep_err "check: syntax error position from jansson" "^$T/syntax.json:1:27: string or '}' expected"

run_sf --json profiles check "$P/core.json"
expect_rc "check --json" 0
grep_out "check --json: NDJSON event" '^\{"event":"profile_check","schema":1,"file":"[^"]*core\.json","ok":true,"id":"core"\}$'

run_sf profiles check "$T/missing.json"
expect_rc "check: missing file" 3
grep_err "check: missing file named" "cannot read profile '$T/missing.json': No such file"

# over 1 MiB is refused before parsing
{ printf '{"schema": 1, "dfu_mode_help": "'; head -c 1100000 /dev/zero | tr '\0' 'a'; printf '"}'; } >"$T/huge.json"
run_sf profiles check "$T/huge.json"
expect_rc "check: oversized profile" 3
grep_err "check: size limit named" 'profiles are at most 1 MiB'

# --- usage errors ---
run_sf profiles
expect_rc "no subcommand" 2
grep_err "no subcommand: usage shown" '^usage: sparkflash profiles'
run_sf profiles frobnicate
expect_rc "unknown subcommand" 2
grep_err "unknown subcommand named" "unknown profiles subcommand 'frobnicate'"
run_sf profiles list --bogus
expect_rc "unknown option" 2
run_sf profiles show
expect_rc "show without a name" 2
run_sf profiles check
expect_rc "check without files" 2
run_sf profiles --help
expect_rc "--help" 0

# --- search path precedence ---
mkdir -p "$T/a" "$T/b" "$T/dup" "$T/broken"
sed 's/"name": "Spark Core"/"name": "Shadow A"/' "$P/core.json" >"$T/a/core.json"
sed 's/"name": "Spark Core"/"name": "Shadow B"/' "$P/core.json" >"$T/b/core.json"
run_sf --profiles-dir "$T/a" profiles list
grep_out "--profiles-dir shadows SPARKFLASH_PROFILES" "^core +Shadow A +1d50:607f +0 +$T/a/core\.json$"
run_sf profiles list --profiles-dir "$T/b" --profiles-dir "$T/a"
grep_out "earlier --profiles-dir wins" "^core +Shadow B "
SPARKFLASH_PROFILES="$T/a:$P" run_sf profiles show core
grep_out "first SPARKFLASH_PROFILES entry wins" '^core: Shadow A'
SPARKFLASH_PROFILES="$P:$T/a" run_sf profiles show core
grep_out "shipped dir first in SPARKFLASH_PROFILES wins" '^core: Spark Core'
SPARKFLASH_PROFILES="$T/a" run_sf --profiles-dir "$T/b" profiles show core
grep_out "--profiles-dir beats SPARKFLASH_PROFILES for show" '^core: Shadow B'
export SPARKFLASH_PROFILES="$P"

cp "$P/core.json" "$T/dup/one.json"
cp "$P/core.json" "$T/dup/two.json"
run_sf --profiles-dir "$T/dup" profiles list
expect_rc "duplicate ids in one dir" 3
grep_err "duplicate ids: both files named" "profiles '$T/dup/one.json' and '$T/dup/two.json' both have id 'core'"

run_sf --profiles-dir "$T/a" --profiles-dir "$T/dup" profiles list
expect_rc "duplicate ids in a later dir are still an error" 3
grep_err "duplicate ids in a shadowed dir named" "'$T/dup/one.json' and '$T/dup/two.json'"

cp "$T/bad.json" "$T/broken/bad.json"
run_sf --profiles-dir "$T/broken" profiles list
expect_rc "broken profile on the search path" 3
grep_err "broken profile on the path: file:line:col" "$T/broken/bad.json:7:30: "

done_testing
