#!/bin/sh
# cloud flash DEVICE SOURCES... (and spark-cli's `flash DEVICE app.ino`):
# compiled first for the device's platform (POST /v1/binaries, the files
# under their own names, no file_type), the downloaded binary checked and
# flashed as a binary; a source is never sent to the flash endpoint or
# renamed .bin; compile errors shown as printed (exit 13), nothing flashed;
# one compile per platform for several devices; products.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/cloud/lib-cloud.sh"

start_server S
sha() { sha256sum "$1" | cut -d' ' -f1; }
mkdir -p "$T/p"
printf '#include "app.h"\nvoid setup() {}\nvoid loop() {}\n' >"$T/p/app.ino"
printf '#pragma once\n' >"$T/p/app.h"
printf 'void setup() {}\n#error not today\n' >"$T/bad.ino"
random_file "$T/fw.bin" 3000

sf_cloud cloud flash photon1 "$T/p/app.ino" "$T/p/app.h" --api-url "$S_URL"
expect_rc "cloud flash DEVICE app.ino app.h" 0
grep_out "update started" "photon1 .*Update started"
r=$(requests "$S_URL")
is "lookup, compile, download, flash" \
	"$(echo "$r" | jq -r '[.[] | .method + " " + (.path | sub("/v1/binaries/[0-9a-f]+"; "/v1/binaries/ID"))] | join(",")')" \
	"GET /v1/devices/photon1,POST /v1/binaries,GET /v1/binaries/ID,PUT /v1/devices/$PHOTON1"
post=$(echo "$r" | jq -c '[.[] | select(.method=="POST")][0]')
put=$(echo "$r" | jq -c '[.[] | select(.method=="PUT")][0]')
is "sources under their own names" "$(echo "$post" | jq -r '[.files[] | .part + "=" + .filename] | join(",")')" "file=app.ino,file1=app.h"
is "compiled for the device's platform, no file_type" "$(echo "$post" | jq -r '"\(.form.platform_id) \(.form | has("file_type"))"')" "6 false"
is "source bytes intact" "$(echo "$post" | jq -r '.files[0].sha256')" "$(sha "$T/p/app.ino")"
is "the flash carries the compiled binary" "$(echo "$put" | jq -r .file_sha256)" "$(echo "$post" | jq -r .binary_sha256)"
is "flashed as a binary under the platform's name" "$(echo "$put" | jq -r '"\(.filename) \(.file_type)"')" "photon_firmware.bin binary"
is "no PUT with a source file (none renamed .bin either)" "$(echo "$r" | jq '[.[] | select(.method=="PUT") | .files[] | select(.filename | test("\\.(ino|cpp|c|h|hpp)"))] | length')" 0

# spark-cli's words: flash DEVICE app.ino, flash --cloud DEVICE DIR (through the flash command)
reset_server "$S_URL"
sf_cloud flash photon1 "$T/p/app.ino" --api-url "$S_URL"
expect_rc "flash DEVICE app.ino compiles and flashes" 0
is "the same path" "$(requests "$S_URL" | jq -r '[.[] | .method] | join(",")')" "GET,POST,GET,PUT"
reset_server "$S_URL"
sf_cloud flash --cloud photon1 "$T/p" --api-url "$S_URL"
expect_rc "flash --cloud DEVICE DIR" 0
is "the directory's sources" "$(requests "$S_URL" | jq -r '[.[] | select(.method=="POST")][0] | [.files[] | .filename] | join(",")')" \
	"app.h,app.ino"

# compile errors: shown as printed, exit 13, nothing flashed
reset_server "$S_URL"
sf_cloud cloud flash photon1 "$T/bad.ino" --api-url "$S_URL"
expect_rc "compile error: exit 13" 13
grep_err "the compiler's line, as printed" "^bad.ino:2:1: error: #error not today$"
grep_err "make's trailer, as printed" "^make: \*\*\* \[user\] Error 2$"
is "nothing flashed" "$(nreq "$S_URL" '.method=="PUT"')" 0
sf_cloud --json cloud flash photon1 "$T/bad.ino" --api-url "$S_URL"
expect_rc "json compile error" 13
is "result: the device, cloud-compile class, the compile operation only" \
	"$(jq -r -s '[.[] | select(.event=="result")][0] | "\(.device.id) \(.error) \([.operations[].operation] | join("+")) \(.operations[0].compiler_output | test("#error not today"))"' "$T/out")" \
	"$PHOTON1 cloud-compile cloud-compile true"
is "the plan lists the sources" "$(jq -r -s '.[0].sources | map(.part + "=" + .filename) | join(",")' "$T/out")" "file=bad.ino"

# a binary among sources, or two binaries: usage errors before any request
reset_server "$S_URL"
sf_cloud cloud flash photon1 "$T/p/app.ino" "$T/fw.bin" --api-url "$S_URL"
expect_rc "binary + source: usage error" 2
grep_err "names both" "is a binary and .* is source"
sf_cloud cloud flash photon1 "$T/fw.bin" "$T/fw.bin" --api-url "$S_URL"
expect_rc "two binaries: usage error" 2
sf_cloud cloud flash photon1 "$T/fw.bin" --target 5.8.0 --api-url "$S_URL"
expect_rc "--target with a binary: usage error" 2
printf 'plain words\n' >"$T/notes.txt"
sf_cloud cloud flash photon1 "$T/notes.txt" --api-url "$S_URL"
expect_rc "a text file that is no source and no binary: refused" 3
grep_err "says what it is" "is text: not a binary"
is "no request for any of these" "$(requests "$S_URL" | jq length)" 0

# a binary is still flashed as before (no compile)
sf_cloud cloud flash photon1 "$T/fw.bin" --api-url "$S_URL"
expect_rc "binary flash" 0
is "no compile for a binary" "$(nreq "$S_URL" '.method=="POST"')" 0

# several devices: one compile per platform, each device its platform's binary
reset_server "$S_URL"
sf_cloud --json cloud flash "$T/p" --device photon1 --device argon1 --device weird1 --device electron1 --api-url "$S_URL"
r=$(requests "$S_URL")
is "three platforms: three compiles" "$(echo "$r" | jq -r '[.[] | select(.method=="POST") | .form.platform_id] | sort | join(",")')" "10,12,6"
for dev in photon1:6 argon1:12 electron1:10; do
	name=${dev%%:*} plat=${dev#*:}
	id=$(echo "$r" | jq -r "[.[] | select(.method==\"GET\" and .path==\"/v1/devices/$name\")][0].device_id // empty")
	want=$(echo "$r" | jq -r "[.[] | select(.method==\"POST\" and .form.platform_id==\"$plat\")][0].binary_sha256")
	got=$(echo "$r" | jq -r "[.[] | select(.method==\"PUT\" and (.path | endswith(\"$(jq -r --arg n "$name" '.devices[] | select(.name==$n) | .id' "$FIXTURES")\")))][0].file_sha256")
	check "$name: a compiled binary for platform $plat exists" test "${#want}" -eq 64
	is "$name got the platform $plat binary" "$got" "$want"
done
is "results in order; weird1's odd status is still a failure" \
	"$(jq -r -s '[.[] | select(.event=="result") | "\(.device.given):\(.exit_code)"] | join(",")' "$T/out")" \
	"photon1:0,argon1:0,weird1:11,electron1:0"
is "summary" "$(jq -r -s '[.[] | select(.event=="summary")][0] | "\(.devices) \(.succeeded) \(.failed) \(.skipped)"' "$T/out")" "4 3 1 0"

# a compile error for one platform fails only that platform's devices
printf '#if PLATFORM_ID == 12\n#endif\nvoid setup() {}\nvoid loop() {}\n' >"$T/ok.ino"
reset_server "$S_URL"
fault "$S_URL" '{"method":"POST","path_prefix":"/v1/binaries","status":400,"body":{"ok":false,"output":"Compiler timed out or encountered an error","errors":["ok.ino:1:1: error: only on the first compile"]}}'
sf_cloud --json cloud flash "$T/ok.ino" --device photon1 --device electron1 --jobs 1 --api-url "$S_URL"
expect_rc "one platform's compile failed: exit 13" 13
is "one compile error, the other flashed" "$(jq -r -s '[.[] | select(.event=="result") | .exit_code] | sort | join(",")' "$T/out")" "0,13"
is "one flash" "$(nreq "$S_URL" '.method=="PUT"')" 1

# products: the platform from the product's device record, product_id sent
reset_server "$S_URL"
sf_cloud cloud flash 6123456789abcdef01234567 "$T/p/app.ino" --product 4242 --api-url "$S_URL"
expect_rc "product flash from sources" 0
is "product lookup, compile with product_id, product flash" \
	"$(requests "$S_URL" | jq -r '[.[] | .method + " " + (.path | sub("/v1/binaries/[0-9a-f]+"; "/v1/binaries/ID")) + (if .method=="POST" then " " + .form.product_id + "/" + .form.platform_id else "" end)] | join(",")')" \
	"GET /v1/products/4242/devices/6123456789abcdef01234567,POST /v1/binaries 4242/6,GET /v1/binaries/ID,PUT /v1/products/4242/devices/6123456789abcdef01234567"

# a device whose platform the cloud does not give (spark-server) cannot be compiled for
jq '.devices |= map(del(.platform_id))' "$FIXTURES" >"$T/noplat.json"
SF_FIXTURES="$T/noplat.json" start_server N
sf_cloud cloud flash photon1 "$T/p/app.ino" --api-url "$N_URL"
expect_rc "unknown platform: refused after the lookup" 11
grep_err "says why and what to do" "does not say which platform .*cloud compile PLATFORM"
is "no compile, no flash" "$(nreq "$N_URL" '.method!="GET"')" 0

# --dry-run: nothing sent
reset_server "$S_URL"
sf_cloud cloud flash photon1 "$T/p" --dry-run --api-url "$S_URL"
expect_rc "dry run" 0
grep_out "says what would happen" "would compile for each device's platform and flash"
is "dry run: no request" "$(requests "$S_URL" | jq length)" 0

plan "$_tap_n"
done_testing
