#!/bin/sh
# The test server itself: its auth middleware and endpoints behave as
# cloud-api.md §7.2-§7.4 says, so the client tests rest on a faithful fake.
# Driven with the curl tool.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/cloud/lib-cloud.sh"

start_server S
start_server L --legacy
c() { timeout 20 curl -sS --noproxy '*' -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@"; }
desc() { jq -r '.error_description // .error // .info // empty' "$T/body"; }
random_file "$T/app.bin" 100

is "no token: 400" "$(c "$S_URL/v1/devices")" 400
is "no token: text" "$(desc)" "The access token was not found"
check "OAuth errors are not cached" grep -qi '^Cache-Control: no-store' "$T/hdr"
is "two places: 400" "$(c -H "Authorization: Bearer $TOKEN" "$S_URL/v1/devices?access_token=$TOKEN")" 400
check "two places: text" sh -c "jq -r .error_description '$T/body' | grep -q 'Only one method'"
is "malformed header: 400" "$(c -H "Authorization: Token $TOKEN" "$S_URL/v1/devices")" 400
is "malformed header: text" "$(desc)" "Malformed auth header"
is "unknown token: 401" "$(c -H "Authorization: Bearer 1234" "$S_URL/v1/devices")" 401
is "unknown token: text" "$(desc)" "The access token provided is invalid."
is "expired token: 401" "$(c -H "Authorization: Bearer $EXPIRED_TOKEN" "$S_URL/v1/devices")" 401
is "expired token: text" "$(desc)" "The access token provided has expired."
is "query token on GET accepted" "$(c "$S_URL/v1/devices?access_token=$TOKEN")" 200
is "query token on PUT refused (modern)" "$(c -X PUT -F "file=@$T/app.bin" "$S_URL/v1/devices/photon1?access_token=$TOKEN")" 400
is "query token on PUT accepted (legacy)" "$(c -X PUT -F "file=@$T/app.bin" "$L_URL/v1/devices/photon1?access_token=$TOKEN")" 200
is "body token on a urlencoded PUT passes auth (then 400)" "$(c -X PUT --data "access_token=$TOKEN&x=1" "$S_URL/v1/devices/photon1")" 400
is "  ... and reaches the flash rules (Nothing to do?)" "$(desc)" "Nothing to do?"
is "device list: the caller's devices" "$(c -H "Authorization: Bearer $TOKEN" "$S_URL/v1/devices"; jq length "$T/body" >"$T/n")" 200
is "  count" "$(cat "$T/n")" 8
is "lookup by id, case-insensitive" "$(c -H "Authorization: Bearer $TOKEN" "$S_URL/v1/devices/0123456789ABCDEF01234567")" 200
is "another user's device: 403" "$(c -H "Authorization: Bearer $TOKEN" "$S_URL/v1/devices/theirs")" 403
is "  Permission Denied" "$(jq -r .error "$T/body")" "Permission Denied"
is "source file without file_type: compile error" "$(cp "$T/app.bin" "$T/app.ino"; c -X PUT -H "Authorization: Bearer $TOKEN" -F "file=@$T/app.ino" "$S_URL/v1/devices/photon1")" 400
is "empty file: too small" "$(: >"$T/e.bin"; c -X PUT -H "Authorization: Bearer $TOKEN" -F "file=@$T/e.bin" "$S_URL/v1/devices/photon1")" 400
is "unknown route: 404" "$(c -H "Authorization: Bearer $TOKEN" "$S_URL/v1/nothing")" 404
is "token endpoint wants urlencoded POST" "$(c "$S_URL/oauth/token")" 400
is "bad client credentials" "$(c -u nobody:x --data 'grant_type=password&username=dev@example.com&password=correct horse' "$S_URL/oauth/token")" 400
is "  invalid_client" "$(jq -r .error "$T/body")" invalid_client
check "  with WWW-Authenticate" grep -qi '^WWW-Authenticate: Basic' "$T/hdr"
is "client in the body; expires_in=0 never expires" "$(c --data 'grant_type=password&username=dev@example.com&password=correct horse&client_id=particle&client_secret=particle&expires_in=0' "$S_URL/oauth/token")" 200
is "  no expires_in in the reply" "$(jq -r '.expires_in // "none"' "$T/body")" none
new=$(jq -r .access_token "$T/body")
is "new token works" "$(c -H "Authorization: Bearer $new" "$S_URL/v1/user")" 200
is "  as the right user" "$(jq -r .username "$T/body")" dev@example.com
is "product development mark" "$(c -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data '{"development":true}' "$S_URL/v1/products/fleet/devices/6123456789abcdef01234567")" 200
is "  device marked" "$(jq -r .development "$T/body")" true
is "revoke the token in use" "$(c -X DELETE -H "Authorization: Bearer $new" "$S_URL/v1/access_tokens/current")" 200
is "revoked token refused" "$(c -H "Authorization: Bearer $new" "$S_URL/v1/user")" 401
is "control channel not recorded" "$(requests "$S_URL" | jq '[.[] | select(.path | startswith("/__control"))] | length')" 0

plan "$_tap_n"
done_testing
