#!/bin/sh
# cloud flash DEVICE FILE against the local cloud imitation: what goes over
# the wire (Bearer header, multipart parts, bytes), name resolution, device
# errors, file checks before any request, products, --json events.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/cloud/lib-cloud.sh"

start_server S
random_file "$T/app.bin" 5000
sha=$(sha256sum "$T/app.bin" | cut -d' ' -f1)

# §7.6 #3: flash by ID
sf_cloud cloud flash $PHOTON1 "$T/app.bin" --api-url "$S_URL"
expect_rc "flash by id succeeds" 0
grep_out "says the update started" "Update started"
r=$(requests "$S_URL")
is "one PUT to /v1/devices/ID" "$(echo "$r" | jq -r '[.[] | select(.method=="PUT")] | map(.path) | join(",")')" "/v1/devices/$PHOTON1"
put=$(echo "$r" | jq -c '[.[] | select(.method=="PUT")][0]')
is "uploaded bytes' SHA-256 equals the file's" "$(echo "$put" | jq -r .file_sha256)" "$sha"
is "uploaded length equals the file's" "$(echo "$put" | jq -r .file_length)" 5000
is "token sent as a Bearer header" "$(echo "$put" | jq -r .authorization)" "Bearer $TOKEN"
is "no token in the query" "$(echo "$r" | jq '[.[] | select(.query.access_token)] | length')" 0
is "parts are file and file_type" "$(echo "$put" | jq -c .parts)" '["file","file_type"]'
is "file_type=binary" "$(echo "$put" | jq -r .file_type)" binary
is "file part named *.bin" "$(echo "$put" | jq -r .filename)" app.bin
is "file part is application/octet-stream" "$(echo "$put" | jq -r .file_content_type)" application/octet-stream
is "no form field carries a token" "$(echo "$r" | jq '[.[] | select(.form.access_token)] | length')" 0
check "User-Agent names sparkflash" sh -c "echo '$put' | jq -r '.headers[\"User-Agent\"]' | grep -q '^sparkflash/'"

# §7.6 #4: by name; the PUT carries the resolved ID
reset_server "$S_URL"
cp "$T/app.bin" "$T/firmware"
sf_cloud cloud flash photon1 "$T/firmware" --api-url "$S_URL"
expect_rc "flash by name succeeds" 0
r=$(requests "$S_URL")
is "name looked up first" "$(echo "$r" | jq -r '.[0].method + " " + .[0].path')" "GET /v1/devices/photon1"
is "PUT uses the resolved id" "$(echo "$r" | jq -r '.[1].method + " " + .[1].path')" "PUT /v1/devices/$PHOTON1"
is "a file without .bin is sent as NAME.bin" "$(echo "$r" | jq -r '.[1].filename')" firmware.bin

# a name with URL-special characters is escaped, not interpreted
reset_server "$S_URL"
sf_cloud cloud flash 'a b/../c?x' "$T/app.bin" --api-url "$S_URL"
expect_rc "odd unknown name: device error" 11
is "odd name escaped in the path" "$(requests "$S_URL" | jq -r '.[0].path')" "/v1/devices/a%20b%2F..%2Fc%3Fx"

# §7.6 #5: unknown device, and another user's device
for dev in nosuchdevice 9123456789abcdef01234567; do
	reset_server "$S_URL"
	sf_cloud cloud flash "$dev" "$T/app.bin" --api-url "$S_URL"
	expect_rc "unknown/not-owned device '$dev' exits 11" 11
	grep_err "message names the device" "device '$dev' not found"
	is "nothing uploaded for '$dev'" "$(nreq "$S_URL" '.method=="PUT"')" 0
done

# §7.6 #6: offline (modern 404)
sf_cloud cloud flash offline1 "$T/app.bin" --api-url "$S_URL"
expect_rc "offline device exits 11" 11
grep_err "says offline" "offline"

# device rejects the update; unexpected status text is not success (§7.6 #14)
sf_cloud cloud flash failing1 "$T/app.bin" --api-url "$S_URL"
expect_rc "rejected flash exits 11" 11
grep_err "server reason shown" "device refused the image"
sf_cloud cloud flash weird1 "$T/app.bin" --api-url "$S_URL"
expect_rc "unexpected status text is a failure" 11
grep_err "status text shown verbatim" "Flash requires modules not present on device"

# bad files: refused before any request
reset_server "$S_URL"
: >"$T/empty.bin"
sf_cloud cloud flash photon1 "$T/empty.bin" --api-url "$S_URL"
expect_rc "empty file refused" 3
sf_cloud cloud flash photon1 "$T/missing.bin" --api-url "$S_URL"
expect_rc "missing file refused" 3
sf_cloud cloud flash photon1 "$T" --api-url "$S_URL"
expect_rc "directory refused" 3
is "no request for bad files" "$(requests "$S_URL" | jq length)" 0

# module platform check against the device's platform_id
timeout 30 "$MKMODULE" --photon-user "$T/photon-user.bin" >/dev/null 2>&1
sf_cloud cloud flash electron1 "$T/photon-user.bin" --api-url "$S_URL"
expect_rc "photon image to an electron refused" 3
grep_err "names both platforms" "platform 6.*platform 10"
grep_err "suggests --force" "--force"
is "nothing uploaded on platform mismatch" "$(nreq "$S_URL" '.method=="PUT"')" 0
sf_cloud cloud flash electron1 "$T/photon-user.bin" --api-url "$S_URL" --force
expect_rc "--force flashes anyway" 0
sf_cloud cloud flash photon1 "$T/photon-user.bin" --api-url "$S_URL"
expect_rc "photon image to a photon" 0
timeout 30 "$MKMODULE" --photon-user --bad-crc "$T/bad-crc.bin" >/dev/null 2>&1
reset_server "$S_URL"
sf_cloud cloud flash photon1 "$T/bad-crc.bin" --api-url "$S_URL"
expect_rc "module with a bad CRC refused" 3
grep_err "says corrupt" "CRC"
is "nothing sent for a corrupt module" "$(requests "$S_URL" | jq length)" 0

# §7.6 #11: product flash by ID; names refused
reset_server "$S_URL"
sf_cloud cloud flash 6123456789ABCDEF01234567 "$T/app.bin" --product 4242 --api-url "$S_URL"
expect_rc "product flash" 0
is "product endpoint used (id lower-cased)" "$(requests "$S_URL" | jq -r '.[0].method + " " + .[0].path')" \
	"PUT /v1/products/4242/devices/6123456789abcdef01234567"
sf_cloud cloud flash fleet1 "$T/app.bin" --product fleet --api-url "$S_URL"
expect_rc "product flash refuses names" 2
sf_cloud cloud flash $PHOTON1 "$T/app.bin" --product fleet --api-url "$S_URL"
expect_rc "device not in the product" 11

# --json: NDJSON events
sf_cloud --json cloud flash photon1 "$T/app.bin" --api-url "$S_URL"
expect_rc "json flash" 0
check "every stdout line is a JSON object with an event and schema 1" sh -c "jq -e -s 'all(.[]; type==\"object\" and has(\"event\") and .schema==1)' '$T/out' >/dev/null"
is "plan event first" "$(jq -r -s '.[0].event' "$T/out")" plan
is "plan names the device and file size" "$(jq -r -s '.[0] | "\(.devices[0]) \(.size)"' "$T/out")" "photon1 5000"
is "result ok with the id" "$(jq -r -s '[.[] | select(.event=="result")][0] | "\(.ok) \(.exit_code) \(.device.id) \(.device.given) \(.device.platform)"' "$T/out")" "true 0 $PHOTON1 photon1 photon"
is "result: no error class on success, the status in the operation" "$(jq -r -s '[.[] | select(.event=="result")][0] | "\(has("error")) \(.operations[0].operation) \(.operations[0].status) \(.operations[0].http_status)"' "$T/out")" "false cloud-flash Update started 200"
check "upload progress reaches 100%" sh -c "jq -e -s '[.[] | select(.event==\"progress\" and .phase==\"upload\")] | (length > 0) and (.[-1].percent == 100) and (.[-1].bytes >= 5000)' '$T/out' >/dev/null"
sf_cloud --json cloud flash offline1 "$T/app.bin" --api-url "$S_URL"
is "json failure result" "$(jq -r -s '[.[] | select(.event=="result")][0] | "\(.ok) \(.exit_code)"' "$T/out")" "false 11"

# on a terminal: upload progress on stderr
if timeout 10 script -qec true /dev/null >/dev/null 2>&1 </dev/null; then
	timeout -k 5 30 script -qec "PARTICLE_ACCESS_TOKEN=$TOKEN '$SPARKFLASH' cloud flash photon1 '$T/app.bin' --api-url $S_URL" /dev/null >"$T/tty" 2>&1 </dev/null
	check "progress shown on a terminal" grep -q "upload: 100%" "$T/tty"
else
	skip "script(1) cannot run a terminal session here"
fi
sf_cloud cloud flash photon1 "$T/app.bin" --api-url "$S_URL"
if grep -q "upload:" "$T/out" "$T/err"; then not_ok "no progress when not a terminal"; else ok "no progress when not a terminal"; fi

# --dry-run sends nothing
reset_server "$S_URL"
sf_cloud cloud flash photon1 "$T/app.bin" --api-url "$S_URL" --dry-run
expect_rc "dry run" 0
is "dry run made no request" "$(requests "$S_URL" | jq length)" 0

# large upload: libcurl asks for 100-continue and the server honours it
random_file "$T/big.bin" 2000000
sf_cloud cloud flash photon1 "$T/big.bin" --api-url "$S_URL"
expect_rc "2 MB upload" 0
is "Expect: 100-continue was sent and honoured" "$(requests "$S_URL" | jq -r '[.[] | select(.method=="PUT")][-1].expect')" 100-continue
is "2 MB SHA-256 matches" "$(requests "$S_URL" | jq -r '[.[] | select(.method=="PUT")][-1].file_sha256')" "$(sha256sum "$T/big.bin" | cut -d' ' -f1)"

# a server that ignores Expect: 100-continue: the client sends the body anyway
start_server IE --ignore-expect
sf_cloud cloud flash photon1 "$T/big.bin" --api-url "$IE_URL"
expect_rc "2 MB upload to a server ignoring Expect" 0
is "bytes intact when Expect is ignored" "$(requests "$IE_URL" | jq -r '[.[] | select(.method=="PUT")][-1].file_sha256')" "$(sha256sum "$T/big.bin" | cut -d' ' -f1)"

# usage errors
run_sf cloud flash onlyone
expect_rc "one argument is a usage error" 2
run_sf cloud frobnicate
expect_rc "unknown subcommand" 2
run_sf cloud flash photon1 "$T/app.bin" --token abc
expect_rc "--token is not an option" 2

# spark-server flavour: offline answered 200 ok:false "Timed out."
start_server SP --spark-server --offline-timeout-ms 200
sf_cloud cloud flash offline1 "$T/app.bin" --api-url "$SP_URL"
expect_rc "spark-server offline (200 ok:false) exits 11" 11
grep_err "timed out reason" "Timed out"
sf_cloud cloud flash nosuch "$T/app.bin" --api-url "$SP_URL"
expect_rc "spark-server unknown core (404 bare string) exits 11" 11
grep_err "spark-server text shown" "couldn't find that core"
sf_cloud cloud flash failing1 "$T/app.bin" --api-url "$SP_URL"
expect_rc "spark-server rejected flash exits 11" 11

plan "$_tap_n"
done_testing
