#!/bin/sh
# Flashing several devices: --device lists, --all-online [--platform], one
# result per device and a summary, exit code when some fail, and real
# concurrency (20 slow devices finish in about the time of a few, not the
# sum; --jobs bounds the parallelism the server sees).
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/cloud/lib-cloud.sh"

start_server S
random_file "$T/app.bin" 4000
sha=$(sha256sum "$T/app.bin" | cut -d' ' -f1)

sf_cloud cloud flash "$T/app.bin" --device photon1 --device offline1 --device electron1 --api-url "$S_URL"
expect_rc "one offline of three: exit 11" 11
grep_out "photon1 flashed" "photon1 .*Update started"
grep_out "electron1 flashed" "electron1 .*Update started"
grep_err "offline1 reported" "offline1.*offline"
grep_err "summary" "1 of 3 devices failed"
is "two uploads accepted" "$(nreq "$S_URL" '.method=="PUT" and .flashed==true')" 2

sf_cloud --json cloud flash "$T/app.bin" --device photon1 --device nosuch --device electron1 --api-url "$S_URL"
expect_rc "json: one unknown of three" 11
is "one result per device, in order" "$(jq -r -s '[.[] | select(.event=="result") | "\(.device.given):\(.exit_code)"] | join(",")' "$T/out")" \
	"photon1:0,nosuch:11,electron1:0"
is "summary event" "$(jq -r -s '[.[] | select(.event=="summary")][0] | "\(.devices) \(.succeeded) \(.failed) \(.exit_code)"' "$T/out")" "3 2 1 11"

sf_cloud cloud flash "$T/app.bin" --device photon1 --device electron1 --api-url "$S_URL"
expect_rc "all succeed: exit 0" 0
grep_out "summary says all" "all 2 devices"

# --all-online with a platform filter: only the online argons
reset_server "$S_URL"
sf_cloud cloud flash "$T/app.bin" --all-online --platform argon --api-url "$S_URL"
expect_rc "--all-online --platform argon" 0
is "device list fetched, then one PUT" "$(requests "$S_URL" | jq -r '[.[] | .method + " " + .path] | join(",")')" \
	"GET /v1/devices,PUT /v1/devices/7123456789abcdef01234567"
sf_cloud cloud flash "$T/app.bin" --all-online --platform p2 --api-url "$S_URL"
expect_rc "--all-online with no match: exit 11" 11

run_sf cloud flash "$T/app.bin" --device a --all-online
expect_rc "--device with --all-online is a usage error" 2
run_sf cloud flash "$T/app.bin" --device 0123456789abcdef01234567 --device 0123456789ABCDEF01234567
expect_rc "the same device twice is a usage error" 2
run_sf cloud flash "$T/app.bin" --device a --jobs 0
expect_rc "--jobs 0 is a usage error" 2

# 20 devices, each answering after 1.5 s
jq '{users, tokens, products: [], devices: [range(20) as $i |
	{id: ("c0ffee00000000000000" + ($i | tostring | if length == 1 then "000" + . else "00" + . end)),
	 name: ("con" + ($i | tostring)), owner: "dev@example.com", online: true, platform_id: 6,
	 product_id: 6, delay_ms: 1500}]}' "$FIXTURES" >"$T/fix20.json"
SF_FIXTURES="$T/fix20.json" start_server C
set -- ; for i in $(seq 0 19); do set -- "$@" --device "con$i"; done
serial_ms=30000

t0=$(date +%s%3N)
sf_cloud cloud flash "$T/app.bin" "$@" --jobs 20 --api-url "$C_URL"
t1=$(date +%s%3N)
expect_rc "20 devices, --jobs 20" 0
is "20 uploads with the right bytes" "$(nreq "$C_URL" ".method==\"PUT\" and .flashed==true and .file_sha256==\"$sha\"")" 20
diag "20 devices x 1500 ms, --jobs 20: $((t1 - t0)) ms (serial would be ${serial_ms} ms)"
check "--jobs 20 well under half the serial time" test $((t1 - t0)) -lt $((serial_ms / 2))

# default --jobs 4: at most 4 uploads in flight at the server, and more than 1
reset_server "$C_URL"
t0=$(date +%s%3N)
sf_cloud --json cloud flash "$T/app.bin" "$@" --api-url "$C_URL"
t1=$(date +%s%3N)
expect_rc "20 devices, default jobs" 0
diag "20 devices x 1500 ms, default --jobs 4: $((t1 - t0)) ms"
check "default jobs under half the serial time" test $((t1 - t0)) -lt $((serial_ms / 2))
overlap=$(requests "$C_URL" | jq '[.[] | select(.method=="PUT")] as $p |
	[$p[] | .time_ms as $t | [$p[] | select(.time_ms <= $t and .done_ms > $t)] | length] | max')
diag "largest number of uploads in flight at once: $overlap"
check "server saw parallel uploads ($overlap)" test "$overlap" -ge 2
check "never more than --jobs 4 in flight ($overlap)" test "$overlap" -le 4
is "20 result events" "$(jq -s '[.[] | select(.event=="result" and .ok)] | length' "$T/out")" 20

# --all-online over the 20
reset_server "$C_URL"
sf_cloud cloud flash "$T/app.bin" --all-online --jobs 10 --api-url "$C_URL"
expect_rc "--all-online over 20 devices" 0
is "all 20 flashed" "$(nreq "$C_URL" '.method=="PUT" and .flashed==true')" 20

plan "$_tap_n"
done_testing
