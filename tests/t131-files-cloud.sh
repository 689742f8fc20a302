#!/bin/sh
# The cloud config, which holds the token (README "Files"): checked on every
# read as ssh checks its files (writable by group or others, or owned by
# another user: refused before any request; readable by them: a warning);
# written by login and logout with mode 0600 as a new file renamed into
# place, never through a symbolic link (refused before the password is
# sent); doctor reports the same. SIGINT/SIGTERM/SIGHUP during a cloud
# upload: 128+N, nothing left running. The token appears in no output.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/cloud/lib-cloud.sh"

plan 45
start_server S
mkdir -p "$T/tmp"
TMPDIR="$T/tmp"; export TMPDIR
random_file "$T/app.bin" 1000
P="$HOME/.particle"
SP="$HOME/.spark"
mkdir -p "$P" "$SP"
cfg="$P/particle.config.json"
: >"$T/all"
keep() { cat "$T/out" "$T/err" >>"$T/all"; }
login() {
	printf 'correct horse\n' | timeout -k 5 30 "$SPARKFLASH" cloud login --username dev@example.com --api-url "$S_URL" \
		>"$T/out" 2>"$T/err"
	rc=$?
	keep
}

# --- reading: modes ---
printf '{"access_token":"%s","apiUrl":"%s"}\n' "$TOKEN" "$S_URL" >"$cfg"
chmod 600 "$cfg"
run_sf cloud list
keep
expect_rc "0600: used" 0
if grep -q "readable by" "$T/err"; then not_ok "0600: no warning"; else ok "0600: no warning"; fi
chmod 644 "$cfg"
run_sf cloud list
keep
expect_rc "0644: still used" 0
grep_err "0644: a warning with the fix" "particle.config.json is readable by every user \(mode 0644\).*chmod 600"
chmod 640 "$cfg"
run_sf cloud list
keep
grep_err "0640: readable by its group" "readable by its group \(mode 0640\)"
reset_server "$S_URL"
chmod 620 "$cfg"
run_sf cloud list
keep
expect_rc "0620 (group-writable): refused" 3
grep_err "says why and the fix" "is writable by its group \(mode 0620\): anyone who can write it can send your token elsewhere; not using it \(fix: chmod 600"
is "no request was made" "$(requests "$S_URL" | jq length)" 0
chmod 602 "$cfg"
PARTICLE_ACCESS_TOKEN=$TOKEN run_sf cloud list --api-url "$S_URL"
keep
expect_rc "other-writable: refused even with the token in the environment (it names the API URL)" 3
grep_err "says every user" "writable by every user"
chmod 600 "$cfg"
if [ "$(id -u)" = 0 ]; then
	chown 65534 "$cfg"
	run_sf cloud list
	keep
	expect_rc "owned by another user: refused" 3
	grep_err "says so" "belongs to another user \(uid 65534\)"
	chown 0 "$cfg"
else
	skip "owned by another user: needs root to chown"
	skip "owned by another user: needs root to chown"
fi
printf '{"access_token":"%s"}\n' "$TOKEN" >"$SP/spark.config.json"
chmod 666 "$SP/spark.config.json"
run_sf cloud list --api-url "$S_URL"
keep
expect_rc "spark-cli's config is checked too" 3
chmod 600 "$SP/spark.config.json"
printf '{"name":"particle"}\n' >"$P/profile.json"
chmod 622 "$P/profile.json"
run_sf cloud list --api-url "$S_URL"
keep
expect_rc "and profile.json (it picks the config)" 3
chmod 644 "$P/profile.json"

# doctor says the same
chmod 664 "$cfg"
run_sf doctor --json
keep
grep_out "doctor: a cloud-config error with the fix" '"name":"cloud-config","status":"error".*"fix":"chmod 600 '
chmod 644 "$cfg"
run_sf doctor --json
keep
grep_out "doctor: a cloud-config warning" '"name":"cloud-config","status":"warning".*readable by every user'

# --- writing: login and logout ---
chmod 644 "$cfg"
printf '{"access_token":"%s","apiUrl":"%s","flashWarningShownOn":1}\n' "$OTHER_TOKEN" "$S_URL" >"$cfg"
cp "$cfg" "$T/old.json"
ln "$cfg" "$T/hard.json"
login
expect_rc "login over a 0644 config" 0
check "the config is 0600 now" test "$(stat -c %a "$cfg")" = 600
check "its other keys are kept" grep -q flashWarningShownOn "$cfg"
check "it is a new file (a hard link keeps the old bytes)" cmp -s "$T/old.json" "$T/hard.json"
no_temps "no temporary file beside it" "$P" "$T/tmp"
rm -f "$T/hard.json"

printf 'precious\n' >"$T/target.json"
tsum=$(sha "$T/target.json")
rm -f "$cfg"
ln -s "$T/target.json" "$cfg"
reset_server "$S_URL"
login
expect_rc "login with the config a link to a file: refused" 3
grep_err "says it is a link" "particle.config.json' is a symbolic link \(to '.*target.json'\)"
is "refused before the password was sent" "$(nreq "$S_URL" '.path == "/oauth/token"')" 0
check "the target is untouched" test "$(sha "$T/target.json")" = "$tsum"
PARTICLE_ACCESS_TOKEN=$TOKEN run_sf cloud logout --api-url "$S_URL"
keep
check "logout leaves the link alone" test -L "$cfg"
rm -f "$cfg"
ln -s "$T/nowhere.json" "$cfg"
login
expect_rc "login with the config a dangling link: refused" 3
check "nothing made where it points" test ! -e "$T/nowhere.json"
rm -f "$cfg"
login
expect_rc "login without a config" 0
is "its request went (the count above counts)" "$(nreq "$S_URL" '.path == "/oauth/token"')" 1
check "made with 0600" test "$(stat -c %a "$cfg")" = 600
chmod 644 "$cfg"
run_sf cloud logout
keep
expect_rc "logout" 0
check "logout writes 0600 too" test "$(stat -c %a "$cfg")" = 600

# --- signals during a cloud upload (the device hangs1 never answers) ---
for sig in INT TERM HUP; do
	reset_server "$S_URL"
	export PARTICLE_ACCESS_TOKEN="$TOKEN"
	start_sess cloud flash hang1 "$T/app.bin" --api-url "$S_URL" --max-time 30
	unset PARTICLE_ACCESS_TOKEN
	i=0
	while [ "$(nreq "$S_URL" '.method == "PUT"' 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -"$sig" "$sess" 2>/dev/null
	end_sess
	keep
	case $sig in INT) want=130 ;; TERM) want=143 ;; HUP) want=129 ;; esac
	expect_rc "upload, SIG$sig: exit $want" "$want"
	grep_err "upload, SIG$sig: says so" "interrupted by SIG$sig"
	if [ -z "$left" ]; then ok "upload, SIG$sig: nothing left running"; else not_ok "upload, SIG$sig: nothing left running"; echo "$left" | sed 's/^/#   /'; fi
done
no_temps "no temporary file after the interrupted uploads" "$T/tmp" "$P"

check "outputs were collected" test -s "$T/all"
if grep -q -e "$TOKEN" -e "$OTHER_TOKEN" "$T/all"; then not_ok "no token in any output"; else ok "no token in any output"; fi

done_testing
