#!/bin/sh
# keys send DEVICE FILE against the local cloud imitation (sfcloudd):
# POST /v1/provisioning/ID with the public key of any key form, the token
# only as a Bearer header, never a private key on the wire; the cloud's
# refusals, auth and transport failures map to exit codes; --dry-run sends
# nothing; --json gives one result.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/cloud/lib-cloud.sh"

KEYS="$srcdir/tests/fixtures/keys"
cp "$KEYS"/*.pem "$KEYS"/*.der "$T/"
start_server S
# key_is DESCRIPTION PUBPEM: the key the cloud holds for PHOTON1
key_is() { ctl "$S_URL" GET /__control/keys | jq -j ".[\"$PHOTON1\"].publicKey" >"$T/got.pem"; check "$1" cmp -s "$T/got.pem" "$2"; }

sf_cloud keys send $PHOTON1 "$T/rsa1024-pkcs8.pem" --api-url "$S_URL"
expect_rc "send the public key of an RSA private key (PKCS#8 PEM)" 0
grep_out "says the cloud took it" "the cloud accepted the public key of device $PHOTON1 \(RSA-1024 public key, from "
requests "$S_URL" >"$T/r.json"
post() { jq -r "[.[] | select(.method==\"POST\")][0] | $1" "$T/r.json"; }
is "one POST to /v1/provisioning/ID" "$(jq -r '[.[] | .method + " " + .path] | join(",")' "$T/r.json")" "POST /v1/provisioning/$PHOTON1"
is "token as a Bearer header" "$(post .authorization)" "Bearer $TOKEN"
is "no token in the form or query" "$(post '(.form.access_token // .query.access_token) == null')" true
is "form fields as spark-cli/particle-cli sent them" "$(post '.form | [.deviceID, .filename, .algorithm] | join(" ")')" "$PHOTON1 cli rsa"
check "order is manual_<milliseconds>" sh -c "jq -r '.[0].form.order' '$T/r.json' | grep -Eq '^manual_[0-9]{13}\$'"
is "no product_id without --product" "$(post .form.product_id)" null
is "the cloud holds the public key" "$(post .provisioned)" true
key_is "the publicKey field is the public key, as openssl writes it" "$KEYS/rsa1024.pub.pem"

for f in rsa1024-pkcs1.pem rsa1024-pkcs1.der rsa1024-pkcs8.der rsa1024.pub.pem rsa1024.pub.der rsa1024-pkcs1.pub.pem rsa1024-pkcs1.pub.der; do
	reset_server "$S_URL"
	sf_cloud keys send $PHOTON1 "$T/$f" --api-url "$S_URL"
	expect_rc "send from $f" 0
	key_is "$f: the same public key" "$KEYS/rsa1024.pub.pem"
done
reset_server "$S_URL"
sf_cloud keys send $PHOTON1 "$T/ec-p256-sec1.pem" --api-url "$S_URL"
expect_rc "send an EC key" 0
is "algorithm ecc" "$(requests "$S_URL" | jq -r '.[0].form.algorithm')" ecc
key_is "the EC public key" "$KEYS/ec-p256.pub.pem"
is "no request ever carried a private key" "$(requests "$S_URL" | jq '[.[] | select(.private_key_sent or ((.form.publicKey // "") | test("PRIVATE")))] | length')" 0

# an upper-case ID is lower-cased; a missing FILE is tried as FILE.pub.pem (spark-cli)
reset_server "$S_URL"
cp "$KEYS/rsa1024.pub.pem" "$T/mykey.pub.pem"
sf_cloud keys send 0123456789ABCDEF01234567 "$T/mykey" --api-url "$S_URL"
expect_rc "upper-case ID, FILE.pub.pem" 0
is "path uses the lower-case ID" "$(requests "$S_URL" | jq -r '.[0].path')" "/v1/provisioning/$PHOTON1"

# products
reset_server "$S_URL"
sf_cloud keys send $PHOTON1 "$T/rsa1024.pub.pem" --api-url "$S_URL" --product 4242
expect_rc "--product" 0
is "product_id sent" "$(requests "$S_URL" | jq -r '.[0].form.product_id')" 4242
sf_cloud keys send $PHOTON1 "$T/rsa1024.pub.pem" --api-url "$S_URL" --product_id 99
expect_rc "unknown product (particle-cli's --product_id spelling)" 11
grep_err "the cloud's reason" "Product not found"

# refusals and failures
sf_cloud keys send 9123456789abcdef01234567 "$T/rsa1024.pub.pem" --api-url "$S_URL"
expect_rc "another user's device" 11
grep_err "says so" "HTTP 403.*another account"
reset_server "$S_URL"
sf_cloud keys send photon1 "$T/rsa1024.pub.pem" --api-url "$S_URL"
expect_rc "a name, not an ID: usage" 2
sf_cloud keys send $PHOTON1 "$T/cert.pem" --api-url "$S_URL"
expect_rc "not a key: refused" 3
sf_cloud keys send $PHOTON1 "$T/nosuch.pem" --api-url "$S_URL"
expect_rc "missing file: refused" 3
is "no request for bad input" "$(requests "$S_URL" | jq length)" 0
run_sf keys send $PHOTON1 "$T/rsa1024.pub.pem" --api-url "$S_URL"
expect_rc "not logged in" 10
grep_err "says how to log in" "not logged in.*sparkflash cloud login"
PARTICLE_ACCESS_TOKEN=$EXPIRED_TOKEN run_sf keys send $PHOTON1 "$T/rsa1024.pub.pem" --api-url "$S_URL"
expect_rc "expired token" 10
check "the token is never printed" sh -c "! grep -q '$EXPIRED_TOKEN' '$T/out' '$T/err'"
reset_server "$S_URL"
fault "$S_URL" '{"method":"POST","path_prefix":"/v1/provisioning","status":500}'
sf_cloud keys send $PHOTON1 "$T/rsa1024.pub.pem" --api-url "$S_URL"
expect_rc "server error" 12
is "a 500 is not retried" "$(nreq "$S_URL" '.method=="POST"')" 1
reset_server "$S_URL"
fault "$S_URL" '{"method":"POST","path_prefix":"/v1/provisioning","status":503,"retry_after":"0"}'
sf_cloud keys send $PHOTON1 "$T/rsa1024.pub.pem" --api-url "$S_URL"
expect_rc "503 then accepted" 0
is "a 503 is retried once" "$(nreq "$S_URL" '.method=="POST"')" 2
reset_server "$S_URL"
fault "$S_URL" '{"method":"POST","path_prefix":"/v1/provisioning","kind":"html","status":200}'
sf_cloud keys send $PHOTON1 "$T/rsa1024.pub.pem" --api-url "$S_URL"
expect_rc "a 200 HTML page is no acceptance" 12

# --dry-run sends nothing; --json: one result with the keys-send operation
reset_server "$S_URL"
sf_cloud --dry-run keys send $PHOTON1 "$T/rsa1024-pkcs8.pem" --api-url "$S_URL"
expect_rc "--dry-run" 0
grep_out "shows the request" "^POST $S_URL/v1/provisioning/$PHOTON1 deviceID=$PHOTON1 algorithm=rsa "
is "nothing sent" "$(requests "$S_URL" | jq length)" 0
sf_cloud --json keys send $PHOTON1 "$T/rsa1024-pkcs8.pem" --api-url "$S_URL"
expect_rc "--json" 0
python3 - "$T/out" "$PHOTON1" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert all(e["schema"] == 1 for e in ev), ev
r = ev[-1]
assert r["event"] == "result" and r["ok"] and r["exit_code"] == 0, r
assert r["device"]["id"] == sys.argv[2] and r["device"]["given"] == sys.argv[2], r["device"]
op = r["operations"][0]
assert op["operation"] == "keys-send" and op["http_status"] == 200 and op["algorithm"] == "rsa" and op["ok"], op
assert r["verdict"] == "success", r
PY
check "json result: device id, keys-send operation with the HTTP status" test $? -eq 0

# spark-server answers the bare string "Success!"
start_server SP --spark-server
sf_cloud keys send $PHOTON1 "$T/rsa1024.pub.pem" --api-url "$SP_URL"
expect_rc "spark-server's \"Success!\" is acceptance" 0

plan "$_tap_n"
done_testing
