#!/bin/sh
# Cloud authentication: token sources and their precedence, API URL
# precedence, missing/expired/invalid tokens, login (mode 0600, atomic),
# logout, and the token never appearing in output or argv.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/cloud/lib-cloud.sh"

start_server S
random_file "$T/app.bin" 1000
P="$HOME/.particle"
SP="$HOME/.spark"
last_auth() { requests "$S_URL" | jq -r '.[-1].authorization'; }

# no token anywhere: exit 10 before any request
run_sf cloud list --api-url "$S_URL"
expect_rc "no token: not authenticated" 10
grep_err "says how to log in" "cloud login"
is "no request without a token" "$(requests "$S_URL" | jq length)" 0

# spark-cli's config alone
mkdir -p "$SP" "$P"
printf '{"access_token":"%s","username":"dev@example.com"}\n' "$TOKEN" >"$SP/spark.config.json"
run_sf cloud list --api-url "$S_URL"
expect_rc "token from ~/.spark/spark.config.json" 0
is "spark config token sent" "$(last_auth)" "Bearer $TOKEN"

# the particle profile file wins over spark's
printf '{"access_token":"%s"}\n' "$OTHER_TOKEN" >"$P/particle.config.json"
run_sf cloud list --api-url "$S_URL"
expect_rc "token from ~/.particle/particle.config.json" 0
is "profile token preferred over spark's" "$(last_auth)" "Bearer $OTHER_TOKEN"
grep_out "other user's device listed" "theirs"

# the environment wins over both
PARTICLE_ACCESS_TOKEN=$TOKEN run_sf cloud list --api-url "$S_URL"
expect_rc "token from PARTICLE_ACCESS_TOKEN" 0
is "environment token preferred" "$(last_auth)" "Bearer $TOKEN"

# profile.json selects another profile file
printf '{"name":"staging"}\n' >"$P/profile.json"
printf '{"access_token":"%s"}\n' "$EXPIRED_TOKEN" >"$P/staging.config.json"
run_sf cloud list --api-url "$S_URL"
expect_rc "expired token from the selected profile: exit 10" 10
is "staging profile's token sent" "$(last_auth)" "Bearer $EXPIRED_TOKEN"
grep_err "says expired" "expired"
rm -f "$P/profile.json" "$P/staging.config.json"

# a saved token past its recorded expiry: refused before any request
reset_server "$S_URL"
printf '{"access_token":"%s","access_token_expires_at":"2001-01-01T00:00:00.000Z"}\n' "$TOKEN" >"$P/particle.config.json"
run_sf cloud list --api-url "$S_URL"
expect_rc "saved token expired locally: exit 10" 10
grep_err "says when it expired" "expired at 2001-01-01"
is "no request with a locally expired token" "$(requests "$S_URL" | jq length)" 0
printf 'correct horse\n' | timeout -k 5 30 "$SPARKFLASH" cloud login --username dev@example.com --api-url "$S_URL" >"$T/out" 2>"$T/err"
rc=$?
expect_rc "login works over an expired saved token" 0
run_sf cloud list --api-url "$S_URL"
expect_rc "the new token is used" 0
printf '{"access_token":"%s","access_token_expires_at":"2099-01-01T00:00:00.000Z"}\n' "$OTHER_TOKEN" >"$P/particle.config.json"
run_sf cloud list --api-url "$S_URL"
expect_rc "saved token not yet expired" 0

# invalid token
PARTICLE_ACCESS_TOKEN=0000000000000000000000000000000000000000 run_sf cloud flash photon1 "$T/app.bin" --api-url "$S_URL"
expect_rc "invalid token: exit 10" 10
grep_err "says invalid" "invalid"

# API URL precedence: --api-url > PARTICLE_API_URL > config apiUrl
printf '{"access_token":"%s","apiUrl":"%s/"}\n' "$TOKEN" "$S_URL" >"$P/particle.config.json"
run_sf cloud list
expect_rc "apiUrl from the profile file (trailing / stripped)" 0
PARTICLE_API_URL=http://127.0.0.1:1 run_sf cloud list
expect_rc "PARTICLE_API_URL beats the config" 12
PARTICLE_API_URL=http://127.0.0.1:1 run_sf cloud list --api-url "$S_URL"
expect_rc "--api-url beats PARTICLE_API_URL" 0
run_sf cloud list --api-url "ftp://example"
expect_rc "bad --api-url is a usage error" 2

# the token never appears in any output, success or failure, text or JSON
: >"$T/all"
for args in "cloud list" "cloud list --json" "cloud flash photon1 $T/app.bin" "--json cloud flash photon1 $T/app.bin" \
	"cloud flash nosuch $T/app.bin" "--json cloud flash nosuch $T/app.bin" "cloud flash offline1 $T/app.bin" \
	"cloud flash $PHOTON1 $T/app.bin --product 4242"; do
	# shellcheck disable=SC2086
	PARTICLE_ACCESS_TOKEN=$TOKEN run_sf $args --api-url "$S_URL"
	cat "$T/out" "$T/err" >>"$T/all"
done
check "outputs were produced" test -s "$T/all"
if grep -q "$TOKEN" "$T/all"; then not_ok "token absent from all output"; else ok "token absent from all output"; fi

# argv of a running client (server hangs on the flash): no token in /proc/PID/cmdline
PARTICLE_ACCESS_TOKEN=$TOKEN timeout -k 5 30 "$SPARKFLASH" cloud flash hang1 "$T/app.bin" --api-url "$S_URL" --max-time 4 \
	>"$T/hang.out" 2>"$T/hang.err" &
pid=$!
for i in $(seq 1 50); do
	[ "$(nreq "$S_URL" '.method=="PUT" and .path=="/v1/devices/4123456789abcdef01234567"')" -ge 1 ] && break
	sleep 0.1
done
tr '\0' ' ' <"/proc/$pid/cmdline" >"$T/cmdline" 2>/dev/null
check "client's argv captured while it waits" grep -q "cloud flash hang1" "$T/cmdline"
if grep -q "$TOKEN" "$T/cmdline"; then not_ok "token absent from argv"; else ok "token absent from argv"; fi
wait $pid
rc=$?
is "hung server: a timeout exits 9" "$rc" 9
check "timeout message" grep -q "timed out" "$T/hang.err"
if grep -q "$TOKEN" "$T/hang.out" "$T/hang.err"; then not_ok "token absent after timeout"; else ok "token absent after timeout"; fi

# login: password from stdin, token saved with mode 0600, other keys kept
rm -rf "$SP"
printf '{"apiUrl":"%s"}\n' "$S_URL" >"$P/particle.config.json"
chmod 644 "$P/particle.config.json"
reset_server "$S_URL"
printf 'correct horse\n' | timeout -k 5 30 "$SPARKFLASH" cloud login --username dev@example.com >"$T/out" 2>"$T/err"
rc=$?
expect_rc "login succeeds" 0
issued=$(requests "$S_URL" | jq -r '.[0].issued_token')
is "config has the issued token" "$(jq -r .access_token "$P/particle.config.json")" "$issued"
is "config keeps apiUrl" "$(jq -r .apiUrl "$P/particle.config.json")" "$S_URL"
is "config has the username" "$(jq -r .username "$P/particle.config.json")" dev@example.com
is "config mode 0600" "$(stat -c %a "$P/particle.config.json")" 600
is "no temporary files left" "$(ls -a "$P" | grep -c tmp)" 0
r=$(requests "$S_URL" | jq -c '.[0]')
is "POST /oauth/token" "$(echo "$r" | jq -r '.method + " " + .path')" "POST /oauth/token"
is "urlencoded body" "$(echo "$r" | jq -r '.headers["Content-Type"]')" application/x-www-form-urlencoded
is "password grant" "$(echo "$r" | jq -r .form.grant_type)" password
check "client credentials as Basic auth" sh -c "echo '$r' | jq -r .authorization | grep -q '^Basic '"
if grep -q "correct horse\|$issued" "$T/out" "$T/err"; then not_ok "password and token not printed"; else ok "password and token not printed"; fi
run_sf cloud list
expect_rc "saved token works" 0
is "saved token sent" "$(last_auth)" "Bearer $issued"

# username and password both from stdin
printf 'dev@example.com\ncorrect horse\n' | timeout -k 5 30 "$SPARKFLASH" cloud login >"$T/out" 2>"$T/err"
rc=$?
expect_rc "login with username on stdin" 0

# on a terminal: prompts, and the password is not echoed (typed after the prompt)
if timeout 10 script -qec true /dev/null >/dev/null 2>&1 </dev/null; then
	# typed once the prompt is there (however slowly sparkflash starts)
	rm -f "$T/tty"
	{ i=0; while [ $i -lt 300 ] && ! grep -q "password:" "$T/tty" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	  printf 'correct horse\n'; } |
		timeout -k 5 30 script -qec "'$SPARKFLASH' cloud login --username dev@example.com" /dev/null >"$T/tty" 2>&1
	check "password prompt on the terminal" grep -q "password:" "$T/tty"
	if grep -q "correct horse" "$T/tty"; then not_ok "password not echoed"; else ok "password not echoed"; fi
	check "terminal login succeeded" grep -q "logged in as dev@example.com" "$T/tty"
else
	skip "script(1) cannot run a terminal session here"
fi

# wrong password: exit 10, one attempt only
reset_server "$S_URL"
printf 'wrong\n' | timeout -k 5 30 "$SPARKFLASH" cloud login --username dev@example.com >"$T/out" 2>"$T/err"
rc=$?
expect_rc "wrong password: exit 10" 10
grep_err "invalid credentials" "invalid credentials"
is "login not retried" "$(requests "$S_URL" | jq length)" 1

# an account with MFA: a clear refusal
printf 'mfa pass\n' | timeout -k 5 30 "$SPARKFLASH" cloud login --username mfa@example.com >"$T/out" 2>"$T/err"
rc=$?
expect_rc "MFA account: exit 10" 10
grep_err "says multi-factor" "multi-factor"

# logout removes the token and keeps the rest
run_sf cloud logout
expect_rc "logout" 0
is "token removed" "$(jq -r '.access_token // "none"' "$P/particle.config.json")" none
is "apiUrl kept" "$(jq -r .apiUrl "$P/particle.config.json")" "$S_URL"
is "still mode 0600" "$(stat -c %a "$P/particle.config.json")" 600
run_sf cloud list
expect_rc "after logout: not authenticated" 10

# logout --revoke also revokes the token on the server
printf 'correct horse\n' | timeout -k 5 30 "$SPARKFLASH" cloud login --username dev@example.com >"$T/out" 2>"$T/err"
rc=$?
expect_rc "login again" 0
issued=$(jq -r .access_token "$P/particle.config.json")
reset_server "$S_URL"
run_sf cloud logout --revoke
expect_rc "logout --revoke" 0
r=$(requests "$S_URL" | jq -c '.[0]')
is "DELETE /v1/access_tokens/current" "$(echo "$r" | jq -r '.method + " " + .path')" "DELETE /v1/access_tokens/current"
is "revoked with the saved token" "$(echo "$r" | jq -r .authorization)" "Bearer $issued"
is "token removed locally too" "$(jq -r '.access_token // "none"' "$P/particle.config.json")" none
PARTICLE_ACCESS_TOKEN=$issued run_sf cloud list
expect_rc "revoked token refused by the server" 10

plan "$_tap_n"
done_testing
