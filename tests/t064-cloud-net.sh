#!/bin/sh
# Transport: HTTPS with a throw-away CA (--cacert, CURL_CA_BUNDLE,
# SSL_CERT_FILE; failure without it), proxies from the environment with
# NO_PROXY honoured, and `cloud list` with filters.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/cloud/lib-cloud.sh"

random_file "$T/app.bin" 3000

# ---- cloud list ----
start_server S
sf_cloud cloud list --api-url "$S_URL"
expect_rc "list" 0
grep_out "header" "^NAME +ID +PLATFORM +ONLINE"
grep_out "photon1 row" "^photon1 +$PHOTON1 +photon +yes"
grep_out "offline row" "^offline1 .* no$"
if grep -q theirs "$T/out"; then not_ok "other user's device not listed"; else ok "other user's device not listed"; fi
sf_cloud cloud list offline --api-url "$S_URL"
is "filter offline" "$(tail -n +2 "$T/out" | awk '{print $1}' | paste -sd, -)" offline1
sf_cloud cloud list electron --api-url "$S_URL"
is "filter by platform" "$(tail -n +2 "$T/out" | awk '{print $1}' | paste -sd, -)" electron1
sf_cloud cloud list argon1 --api-url "$S_URL"
is "filter by name" "$(tail -n +2 "$T/out" | awk '{print $2}')" 7123456789abcdef01234567
sf_cloud --json cloud list online --api-url "$S_URL"
expect_rc "list --json" 0
is "json device events, online only" "$(jq -s '[.[] | select(.event=="device")] | length' "$T/out")" 7
is "json device fields" "$(jq -r -s '[.[] | select(.event=="device" and .name=="photon1")][0] | "\(.id) \(.platform_id) \(.platform) \(.online)"' "$T/out")" \
	"$PHOTON1 6 photon true"

# ---- proxies (§7.6 #12) ----
start_server X
reset_server "$S_URL"
http_proxy=$X_URL NO_PROXY=127.0.0.1,localhost PARTICLE_ACCESS_TOKEN=$TOKEN \
	run_sf cloud flash photon1 "$T/app.bin" --api-url "$S_URL"
expect_rc "proxy set, NO_PROXY covers the host" 0
is "request went direct" "$(nreq "$S_URL" '.via_proxy==false')" 2
is "proxy saw nothing" "$(requests "$X_URL" | jq length)" 0
http_proxy=$X_URL no_proxy=127.0.0.1 PARTICLE_ACCESS_TOKEN=$TOKEN \
	run_sf cloud list --api-url "$S_URL"
expect_rc "lower-case no_proxy honoured" 0
is "proxy still saw nothing" "$(requests "$X_URL" | jq length)" 0
reset_server "$S_URL"
http_proxy=$X_URL PARTICLE_ACCESS_TOKEN=$TOKEN run_sf cloud flash photon1 "$T/app.bin" --api-url "$S_URL"
expect_rc "through the proxy" 0
is "proxy got the lookup and the upload" "$(nreq "$X_URL" ".via_proxy==true and .proxy_target==\"127.0.0.1:$S_PORT\"")" 2
is "target not contacted directly" "$(requests "$S_URL" | jq length)" 0
is "upload bytes intact through the proxy" "$(requests "$X_URL" | jq -r '[.[] | select(.method=="PUT")][0].file_sha256')" \
	"$(sha256sum "$T/app.bin" | cut -d' ' -f1)"

# ---- HTTPS (§7.6 #13) ----
if ! command -v openssl >/dev/null 2>&1; then
	skip "openssl not installed: HTTPS cases"
else
	C="$T/ca"
	mkdir -p "$C"
	(
		cd "$C" || exit 1
		timeout 60 openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
			-subj "/CN=sparkflash test CA" &&
		timeout 60 openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=127.0.0.1" &&
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >ext &&
		timeout 60 openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem \
			-days 2 -extfile ext
	) >"$T/openssl.log" 2>&1
	check "throw-away CA and server certificate" test -s "$C/srv.pem"
	start_server H --tls-cert "$C/srv.pem" --tls-key "$C/srv.key"
	H_URL="https://127.0.0.1:$H_PORT"
	sf_cloud cloud flash photon1 "$T/app.bin" --api-url "$H_URL" --cacert "$C/ca.pem"
	expect_rc "HTTPS with --cacert" 0
	is "HTTPS upload recorded" "$(ctl_https() { timeout 20 curl -sS --noproxy '*' --cacert "$C/ca.pem" "$H_URL/__control/requests"; }; ctl_https | jq '[.[] | select(.method=="PUT")] | length')" 1
	CURL_CA_BUNDLE="$C/ca.pem" PARTICLE_ACCESS_TOKEN=$TOKEN run_sf cloud list --api-url "$H_URL"
	expect_rc "HTTPS with CURL_CA_BUNDLE" 0
	SSL_CERT_FILE="$C/ca.pem" PARTICLE_ACCESS_TOKEN=$TOKEN run_sf cloud list --api-url "$H_URL"
	expect_rc "HTTPS with SSL_CERT_FILE" 0
	sf_cloud cloud flash photon1 "$T/app.bin" --api-url "$H_URL"
	expect_rc "HTTPS without the CA: exit 12" 12
	grep_err "says TLS" "TLS"
	sf_cloud cloud flash photon1 "$T/app.bin" --api-url "$H_URL" --cacert "$C/missing.pem"
	expect_rc "unreadable --cacert is a usage error" 2
	sf_cloud cloud list --api-url "http://127.0.0.1:$H_PORT"
	expect_rc "plain HTTP to the TLS port: exit 12" 12
fi

plan "$_tap_n"
done_testing
