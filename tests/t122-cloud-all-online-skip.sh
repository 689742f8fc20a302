#!/bin/sh
# cloud flash FILE --all-online with a module image: devices of another
# platform are skipped and reported (human text, `skipped` events, the
# summary's count), not failed; the exit code comes from the devices tried
# (11 when none was left to try). Named devices are still refused (exit 3).
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/cloud/lib-cloud.sh"

jq '{users, tokens, products: [], devices: [
	{id: "a00000000000000000000001", name: "pa", owner: "dev@example.com", online: true, platform_id: 6, product_id: 6},
	{id: "a00000000000000000000002", name: "pb", owner: "dev@example.com", online: true, platform_id: 6, product_id: 6},
	{id: "a00000000000000000000003", name: "arg", owner: "dev@example.com", online: true, platform_id: 12, product_id: 12},
	{id: "a00000000000000000000004", name: "ele", owner: "dev@example.com", online: true, platform_id: 10, product_id: 10},
	{id: "a00000000000000000000005", name: "poff", owner: "dev@example.com", online: false, platform_id: 6, product_id: 6}]}' \
	"$FIXTURES" >"$T/fix.json"
SF_FIXTURES="$T/fix.json" start_server S
timeout 30 "$MKMODULE" --photon-user "$T/photon.bin" >/dev/null 2>&1
random_file "$T/raw.bin" 2000

sf_cloud cloud flash "$T/photon.bin" --all-online --api-url "$S_URL"
expect_rc "photon image to every online device: the photons flashed, the rest skipped" 0
grep_err "the argon is skipped, with both platforms" "skipping 'arg' \[a00000000000000000000003\]: it is platform 12 \(argon\), the image is for platform 6 \(photon\)"
grep_err "the electron is skipped" "skipping 'ele'"
grep_out "summary counts the skipped" "all 2 devices accepted the update; 2 skipped \(another platform\)"
is "only the photons were sent the image" "$(requests "$S_URL" | jq -r '[.[] | select(.method=="PUT") | .path] | sort | join(",")')" \
	"/v1/devices/a00000000000000000000001,/v1/devices/a00000000000000000000002"

reset_server "$S_URL"
sf_cloud --json cloud flash "$T/photon.bin" --all-online --api-url "$S_URL"
expect_rc "json" 0
is "a skipped event per skipped device, with the reason and both platforms" \
	"$(jq -r -s '[.[] | select(.event=="skipped") | "\(.device.name):\(.reason):\(.device.platform_id):\(.image_platform_id)"] | join(",")' "$T/out")" \
	"arg:platform:12:6,ele:platform:10:6"
is "results only for the devices tried" "$(jq -r -s '[.[] | select(.event=="result") | .device.name] | join(",")' "$T/out")" "pa,pb"
is "summary: tried, succeeded, failed, skipped, exit" \
	"$(jq -r -s '[.[] | select(.event=="summary")][0] | "\(.devices) \(.succeeded) \(.failed) \(.skipped) \(.exit_code)"' "$T/out")" "2 2 0 2 0"

# nothing left to try: exit 11, one result and the summary
reset_server "$S_URL"
sf_cloud --json cloud flash "$T/photon.bin" --all-online --platform argon --api-url "$S_URL"
expect_rc "only argons online for a photon image: exit 11" 11
is "one failure result then the summary" "$(jq -r -s '[.[] | select(.event=="result" or .event=="summary") | "\(.event):\(.exit_code)"] | join(",")' "$T/out")" \
	"result:11,summary:11"
is "nothing sent" "$(nreq "$S_URL" '.method=="PUT"')" 0

# a failure among the tried devices decides the exit code; skips do not
jq '.devices[1].fail = "Update failed - device refused the image"' "$T/fix.json" >"$T/fix2.json"
SF_FIXTURES="$T/fix2.json" start_server F
sf_cloud cloud flash "$T/photon.bin" --all-online --api-url "$F_URL"
expect_rc "one photon fails: exit 11" 11
grep_err "summary" "1 of 2 devices failed \(1 flashed\); 2 skipped"

# a raw image has no platform: nothing to skip
reset_server "$S_URL"
sf_cloud cloud flash "$T/raw.bin" --all-online --api-url "$S_URL"
expect_rc "raw image to every online device" 0
is "four uploads" "$(nreq "$S_URL" '.method=="PUT"')" 4

# --force: the user asked for it
reset_server "$S_URL"
sf_cloud cloud flash "$T/photon.bin" --all-online --force --api-url "$S_URL"
expect_rc "--force flashes every platform" 0
grep_err "with a warning" "is for platform 6 .* flashing anyway"
is "four uploads with --force" "$(nreq "$S_URL" '.method=="PUT"')" 4

# a named device of another platform is still refused, not skipped
reset_server "$S_URL"
sf_cloud cloud flash "$T/photon.bin" --device pa --device arg --api-url "$S_URL"
expect_rc "named argon: refused (exit 3)" 3
grep_err "refusal names both platforms" "refusing to flash .* platform 6 \(photon\) but the device is platform 12 \(argon\)"
is "the photon was flashed" "$(nreq "$S_URL" '.method=="PUT"')" 1

plan "$_tap_n"
done_testing
