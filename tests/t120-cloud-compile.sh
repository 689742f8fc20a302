#!/bin/sh
# cloud compile PLATFORM SOURCES... against the local cloud's compile service:
# what goes over the wire (parts file, file1, ... under the files' own names,
# no file_type, the platform, project.properties and its libraries, the
# include/ignore lists), the binary written atomically (and never on failure),
# compile errors shown as the compiler printed them (exit 13), dry runs,
# stdout output, refusals before any request.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/cloud/lib-cloud.sh"

start_server S
sha() { sha256sum "$1" | cut -d' ' -f1; }

# a project: src/, a vendored library with an example, project.properties
P="$T/proj"
mkdir -p "$P/src" "$P/lib/neo/src" "$P/lib/neo/examples/demo" "$P/.git"
printf 'name=blink\n# a comment\ndependencies.neopixel=1.0.3\ndependencies.Adafruit_DHT=0.0.4\n' >"$P/project.properties"
printf '#include "neo.h"\nvoid setup() {}\nvoid loop() {}\n' >"$P/src/blink.ino"
printf 'int helper(void) { return 1; }\n' >"$P/src/helper.cpp"
printf '#pragma once\nint neo(void);\n' >"$P/lib/neo/src/neo.h"
printf 'int neo(void) { return 0; }\n' >"$P/lib/neo/src/neo.cpp"
printf 'void setup() {}\nvoid loop() {}\n' >"$P/lib/neo/examples/demo/demo.ino"
printf 'readme\n' >"$P/README.md"
printf 'not sent\n' >"$P/.git/x.c"
head -c 3000 /dev/urandom >"$P/old.bin"

# not logged in: nothing sent
run_sf cloud compile photon "$P" --output "$T/out.bin" --api-url "$S_URL"
expect_rc "no token: exit 10" 10
is "no request without a token" "$(requests "$S_URL" | jq length)" 0

sf_cloud cloud compile photon "$P" --output "$T/out.bin" --api-url "$S_URL"
expect_rc "compile a project directory" 0
grep_out "says what was written" "compiled 5 source files for platform 6 \(photon\): [0-9]+ bytes written to .*out.bin"
grep_out "shows the compile service's size table" "text.*data.*bss"
grep_out "lists the libraries project.properties asks for" "neopixel@1.0.3, Adafruit_DHT@0.0.4"
r=$(requests "$S_URL")
is "requests: compile, then the binary" "$(echo "$r" | jq -r '[.[] | .method + " " + (.path | sub("/v1/binaries/[0-9a-f]+"; "/v1/binaries/ID"))] | join(",")')" \
	"POST /v1/binaries,GET /v1/binaries/ID"
post=$(echo "$r" | jq -c '.[0]')
is "parts: file, file1, ... then the platform and latest" "$(echo "$post" | jq -c .parts)" \
	'["file","file1","file2","file3","file4","platform_id","latest"]'
is "files under their own names (paths inside the project, sorted; no examples, README, .git, .bin)" \
	"$(echo "$post" | jq -r '[.files[] | .part + "=" + .filename] | join(",")')" \
	"file=lib/neo/src/neo.cpp,file1=lib/neo/src/neo.h,file2=project.properties,file3=src/blink.ino,file4=src/helper.cpp"
is "no file_type" "$(echo "$post" | jq -r '.form | has("file_type")')" false
is "platform_id 6, latest=true" "$(echo "$post" | jq -r '"\(.form.platform_id) \(.form.latest)"')" "6 true"
is "each part's bytes are the file's" "$(echo "$post" | jq -r '[.files[] | .sha256] | join(" ")')" \
	"$(for f in lib/neo/src/neo.cpp lib/neo/src/neo.h project.properties src/blink.ino src/helper.cpp; do sha "$P/$f"; done | tr '\n' ' ' | sed 's/ $//')"
is "project.properties reached the compile service (its libraries)" "$(echo "$post" | jq -c .dependencies)" '["neopixel","Adafruit_DHT"]'
is "token only as a Bearer header" "$(echo "$r" | jq -r '[.[] | .authorization] | unique | join(",")')" "Bearer $TOKEN"
is "no token in a query or a form" "$(echo "$r" | jq '[.[] | select(.query.access_token or .form.access_token)] | length')" 0
is "the written binary is the one the cloud built" "$(sha "$T/out.bin")" "$(echo "$post" | jq -r .binary_sha256)"
run_sf inspect --json "$T/out.bin"
is "a photon user part with a good CRC" "$(jq -r -s '.[0] | "\(.platform_id) \(.function) \(.crc_ok)"' "$T/out" 2>/dev/null)" "6 5 true"
check "nothing else left beside the output (temporary files)" test "$(ls "$T" | grep -c 'out\.bin')" -eq 1

# particle.include adds, particle.ignore removes (each for its own directory)
printf '# extra files\n*.txt\n' >"$P/particle.include"
printf 'notes\n' >"$P/notes.txt"
printf 'helper.cpp\n' >"$P/src/particle.ignore"
reset_server "$S_URL"
sf_cloud cloud compile photon "$P" -o "$T/out2.bin" --api-url "$S_URL"
expect_rc "compile with particle.include / particle.ignore" 0
is "notes.txt included, src/helper.cpp ignored" "$(requests "$S_URL" | jq -r '[.[0].files[] | .filename] | join(",")')" \
	"lib/neo/src/neo.cpp,lib/neo/src/neo.h,notes.txt,project.properties,src/blink.ino"
rm -f "$P/particle.include" "$P/notes.txt" "$P/src/particle.ignore"

# single files: under their base names; --target is sent as build_target_version
reset_server "$S_URL"
sf_cloud cloud compile argon "$P/src/blink.ino" "$P/lib/neo/src/neo.h" --target 5.8.0 -o "$T/argon.bin" --api-url "$S_URL"
expect_rc "compile files for an argon, --target" 0
post=$(requests "$S_URL" | jq -c '.[0]')
is "base names" "$(echo "$post" | jq -r '[.files[] | .part + "=" + .filename] | join(",")')" "file=blink.ino,file1=neo.h"
is "platform 12, build_target_version, no latest" "$(echo "$post" | jq -r '"\(.form.platform_id) \(.form.build_target_version) \(.form | has("latest"))"')" "12 5.8.0 false"
run_sf inspect --json "$T/argon.bin"
is "an argon module" "$(jq -r -s '.[0].platform_id' "$T/out")" 12

# compile errors: shown as printed, exit 13, no binary written, old file kept
printf 'void setup() {}\n  #error this does not build\nvoid loop() {}\n' >"$T/bad.ino"
printf 'keep me\n' >"$T/keep.bin"
keep=$(sha "$T/keep.bin")
reset_server "$S_URL"
sf_cloud cloud compile photon "$T/bad.ino" -o "$T/keep.bin" --api-url "$S_URL"
expect_rc "compile error: exit 13" 13
compiler=$(requests "$S_URL" | jq -r '.[0].compiler_output')
printf '%s\n' "$compiler" >"$T/compiler.txt"
check "the compiler's output appears verbatim on stderr (every line, in order)" \
	sh -c "grep -v '^sparkflash: ' '$T/err' | grep -Fx -f '$T/compiler.txt' | cmp -s - '$T/compiler.txt'"
grep_err "the gcc line with file, line and column" "^bad.ino:2:3: error: #error this does not build$"
grep_err "the cloud's summary" "Compiler timed out or encountered an error"
is "no binary downloaded after a compile error" "$(nreq "$S_URL" '.method=="GET"')" 0
is "the existing output file is untouched" "$(sha "$T/keep.bin")" "$keep"

# the same as JSON: one result with the compiler's text
sf_cloud --json cloud compile photon "$T/bad.ino" -o "$T/keep.bin" --api-url "$S_URL"
expect_rc "json compile error" 13
is "result: cloud-compile class, the operation carries the compiler's text" \
	"$(jq -r -s '[.[] | select(.event=="result")][0] | "\(.exit_code) \(.error) \(.operations[0].operation) \(.operations[0].http_status) \(.output)"' "$T/out")" \
	"13 cloud-compile cloud-compile 400 null"
is "compiler_output is the compiler's text" "$(jq -r -s '[.[] | select(.event=="result")][0].operations[0].compiler_output' "$T/out")" "$compiler"
is "exactly one result" "$(jq -s '[.[] | select(.event=="result")] | length' "$T/out")" 1

# the older answer shape (200, ok:false, "App code was invalid")
start_server O --old-compile-errors
sf_cloud cloud compile photon "$T/bad.ino" -o "$T/keep.bin" --api-url "$O_URL"
expect_rc "old-style compile error (HTTP 200): exit 13" 13
grep_err "the gcc line" "^bad.ino:2:3: error: #error this does not build$"
grep_err "the old summary" "App code was invalid"
is "the existing output file is still untouched" "$(sha "$T/keep.bin")" "$keep"

# bytes that are not text in a .ino are a binary, never sent as source
head -c 100 /dev/urandom >"$T/noise.ino"
printf '\000' >>"$T/noise.ino"
reset_server "$S_URL"
sf_cloud cloud compile photon "$T/noise.ino" -o "$T/x.bin" --api-url "$S_URL"
expect_rc "a .ino that is not text is a binary: nothing to compile" 2
sf_cloud cloud compile photon "$P/old.bin" -o "$T/x.bin" --api-url "$S_URL"
expect_rc "a binary: nothing to compile" 2
grep_err "says so" "is a binary: nothing to compile"
printf 'just words\n' >"$T/notes.txt"
sf_cloud cloud compile photon "$T/notes.txt" -o "$T/x.bin" --api-url "$S_URL"
expect_rc "a lone text file that is no source: refused" 3
sf_cloud cloud compile photon "$T/bad.ino" "$P/old.bin" -o "$T/x.bin" --api-url "$S_URL"
expect_rc "a source and a binary together: usage error" 2
cp "$P/src/blink.ino" "$T/blink.ino"
sf_cloud cloud compile photon "$T/blink.ino" "$P/src/blink.ino" -o "$T/x.bin" --api-url "$S_URL"
expect_rc "two files under one name: usage error" 2
sf_cloud cloud compile photon "$T/empty-dir-does-not-exist" -o "$T/x.bin" --api-url "$S_URL"
expect_rc "a missing path: refused" 3
mkdir -p "$T/nosrc"
printf 'x\n' >"$T/nosrc/readme.txt"
sf_cloud cloud compile photon "$T/nosrc" -o "$T/x.bin" --api-url "$S_URL"
expect_rc "a directory without sources: refused" 3
grep_err "says no source files" "no source files in"
printf 'assetOtaDir=assets\n' >"$T/nosrc/project.properties"
printf 'void setup(){}\n' >"$T/nosrc/a.ino"
sf_cloud cloud compile photon "$T/nosrc" -o "$T/x.bin" --api-url "$S_URL"
expect_rc "asset bundles are refused, not silently dropped" 3
grep_err "names assetOtaDir" "assetOtaDir"
sf_cloud cloud compile nosuchplatform "$P" -o "$T/x.bin" --api-url "$S_URL"
expect_rc "unknown platform: usage error" 2
sf_cloud cloud compile photon "$T/bad.ino" -o "$T/bad.ino" --api-url "$S_URL"
expect_rc "--output may not be a source file" 2
sf_cloud cloud compile photon "$P" --target 'x y' -o "$T/x.bin" --api-url "$S_URL"
expect_rc "bad --target: usage error" 2
printf 'target\n' >"$T/link-target"
ln -s "$T/link-target" "$T/link.bin"
sf_cloud cloud compile photon "$P" -o "$T/link.bin" --api-url "$S_URL"
expect_rc "--output is a symbolic link: refused" 3
grep_err "says it is a link" "link"
is "the link's target is untouched" "$(cat "$T/link-target")" target
check "the link is still a link" test -L "$T/link.bin"
mkdir -p "$T/outdir"
sf_cloud cloud compile photon "$P" -o "$T/outdir" --api-url "$S_URL"
expect_rc "--output is a directory: refused" 3
is "no request for any of these" "$(requests "$S_URL" | jq length)" 0
check "no output file for any of these" test ! -e "$T/x.bin"

# --dry-run: nothing sent, nothing written
sf_cloud cloud compile photon "$P" -o "$T/dry.bin" --dry-run --api-url "$S_URL"
expect_rc "dry run" 0
grep_out "lists what would be sent" "file3 +src/blink.ino"
is "dry run: no request" "$(requests "$S_URL" | jq length)" 0
check "dry run: no file" test ! -e "$T/dry.bin"

# --output -: the binary on stdout
reset_server "$S_URL"
PARTICLE_ACCESS_TOKEN=$TOKEN timeout -k 5 60 "$SPARKFLASH" cloud compile photon "$P" --output - --api-url "$S_URL" >"$T/stdout.bin" 2>"$T/err"
rc=$?
expect_rc "--output -" 0
is "stdout is the binary, nothing else" "$(sha "$T/stdout.bin")" "$(requests "$S_URL" | jq -r '.[0].binary_sha256')"
grep_err "the human text went to stderr" "compiled 5 source files"
sf_cloud --json cloud compile photon "$P" --output - --api-url "$S_URL"
expect_rc "--output - with --json: usage error" 2

# the default name, as particle-cli: PLATFORM_firmware_MS.bin in the current directory
mkdir -p "$T/cwd"
(cd "$T/cwd" && PARTICLE_ACCESS_TOKEN=$TOKEN timeout -k 5 60 "$SPARKFLASH" cloud compile p1 "$P" --api-url "$S_URL" >/dev/null 2>&1)
check "default output name p1_firmware_<ms>.bin" sh -c "ls '$T/cwd' | grep -Eq '^p1_firmware_[0-9]{13}\.bin$'"

# the compile answer's binary_url may not send the token elsewhere
start_server E
fault "$S_URL" "{\"method\":\"POST\",\"path_prefix\":\"/v1/binaries\",\"status\":200,\"body\":{\"ok\":true,\"binary_id\":\"abc\",\"binary_url\":\"$E_URL/v1/binaries/abc\"}}"
sf_cloud cloud compile photon "$P" -o "$T/x.bin" --api-url "$S_URL"
expect_rc "binary_url on another server: refused" 12
grep_err "says why" "outside .*not sending the token there"
is "the other server saw nothing" "$(requests "$E_URL" | jq length)" 0
# a failed download writes nothing
fault "$S_URL" '{"method":"GET","path_prefix":"/v1/binaries/","status":500}'
sf_cloud cloud compile photon "$P" -o "$T/x.bin" --api-url "$S_URL"
expect_rc "download fails: exit 12" 12
check "no output after a failed download" test ! -e "$T/x.bin"
fault "$S_URL" '{"method":"POST","path_prefix":"/v1/binaries","status":500}'
sf_cloud cloud compile photon "$P" -o "$T/x.bin" --api-url "$S_URL"
expect_rc "compile service error: exit 12" 12

plan "$_tap_n"
done_testing
