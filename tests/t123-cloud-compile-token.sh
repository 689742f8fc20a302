#!/bin/sh
# The access token never shows on the compile paths: a distinctive token,
# every new command form (compile, compile errors, source flashing, dry
# runs, JSON, verbose, failures) and a server that echoes the token back in
# compiler output, size table, error bodies and binary_url; stdout, stderr,
# the --log file and the written binary are searched for it.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/cloud/lib-cloud.sh"

TOK=7e57c0de7e57c0de7e57c0de7e57c0de7e57c0de
jq --arg t "$TOK" '.tokens += [{token: $t, user: "dev@example.com", expires_at: null}]' "$FIXTURES" >"$T/fix.json"
SF_FIXTURES="$T/fix.json" start_server S
mkdir -p "$T/p"
printf 'void setup() {}\nvoid loop() {}\n' >"$T/p/app.ino"
printf 'void setup() {}\n#error no\n' >"$T/bad.ino"
: >"$T/all"
leaks=0
# tok ARGS...: runs sparkflash with the token, then searches everything it wrote
tok() {
	rm -f "$T/log"
	PARTICLE_ACCESS_TOKEN=$TOK timeout -k 5 60 "$SPARKFLASH" --log "$T/log" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	cat "$T/out" "$T/err" >>"$T/all"
	[ -f "$T/log" ] && cat "$T/log" >>"$T/all"
	if grep -a -q "$TOK" "$T/out" "$T/err" "$T/log" 2>/dev/null; then
		leaks=$((leaks + 1))
		not_ok "no token in the output of: $*"
	else
		ok "no token in the output of: $*"
	fi
}

tok cloud compile photon "$T/p" -o "$T/a.bin" --api-url "$S_URL"
is "compile ran" "$rc" 0
check "the binary does not carry the token" sh -c "! grep -a -q '$TOK' '$T/a.bin'"
tok -v cloud compile photon "$T/p" -o "$T/a.bin" --api-url "$S_URL"
tok --json cloud compile photon "$T/p" -o "$T/a.bin" --api-url "$S_URL"
tok cloud compile photon "$T/bad.ino" -o "$T/b.bin" --api-url "$S_URL"
is "compile error ran" "$rc" 13
tok --json cloud compile photon "$T/bad.ino" -o "$T/b.bin" --api-url "$S_URL"
tok cloud compile photon "$T/p" -o "$T/a.bin" --dry-run --api-url "$S_URL"
tok cloud flash photon1 "$T/p/app.ino" --api-url "$S_URL"
is "source flash ran" "$rc" 0
tok --json -v cloud flash photon1 "$T/bad.ino" --api-url "$S_URL"
tok flash photon1 "$T/p" --api-url "$S_URL"
tok --json cloud flash "$T/p" --all-online --platform photon --api-url "$S_URL" --max-time 5

# a server that says the token back: every place it can come through
fault "$S_URL" "{\"method\":\"POST\",\"path_prefix\":\"/v1/binaries\",\"status\":400,\"body\":{\"ok\":false,\"output\":\"bad $TOK\",\"errors\":[\"app.ino:1:1: error: $TOK\",{\"error\":\"$TOK\"}]}}"
tok cloud compile photon "$T/p" -o "$T/c.bin" --api-url "$S_URL"
is "echoed compile error: exit 13" "$rc" 13
grep_err "the echo is shown redacted" "app.ino:1:1: error: <redacted>"
fault "$S_URL" "{\"method\":\"POST\",\"path_prefix\":\"/v1/binaries\",\"status\":400,\"body\":{\"ok\":false,\"output\":\"x\",\"errors\":[\"$TOK\"]}}"
tok --json cloud compile photon "$T/p" -o "$T/c.bin" --api-url "$S_URL"
fault "$S_URL" "{\"method\":\"POST\",\"path_prefix\":\"/v1/binaries\",\"status\":200,\"body\":{\"ok\":true,\"binary_id\":\"x\",\"binary_url\":\"/v1/binaries/nothere?t=$TOK\",\"sizeInfo\":\"size $TOK\"}}"
tok cloud compile photon "$T/p" -o "$T/c.bin" --api-url "$S_URL"
is "a binary URL that is not there: exit 12" "$rc" 12
# a good binary with the token in the size table
bid=$(requests "$S_URL" | jq -r '[.[] | select(.compiled == true)][0].binary_id')
fault "$S_URL" "{\"method\":\"POST\",\"path_prefix\":\"/v1/binaries\",\"status\":200,\"body\":{\"ok\":true,\"binary_id\":\"$bid\",\"binary_url\":\"/v1/binaries/$bid\",\"sizeInfo\":\"   text $TOK\\n\"}}"
tok cloud compile photon "$T/p" -o "$T/d.bin" --api-url "$S_URL"
is "compiled (an earlier binary)" "$rc" 0
grep_out "the size table is shown, redacted" "text <redacted>"
fault "$S_URL" "{\"method\":\"POST\",\"path_prefix\":\"/v1/binaries\",\"status\":400,\"body\":{\"ok\":false,\"error\":\"nope $TOK\"}}"
tok cloud flash photon1 "$T/p" --api-url "$S_URL"
fault "$S_URL" "{\"method\":\"GET\",\"path_prefix\":\"/v1/binaries/\",\"status\":404,\"body\":{\"ok\":false,\"error\":\"gone $TOK\"}}"
tok --json cloud compile photon "$T/p" -o "$T/c.bin" --api-url "$S_URL"
fault "$S_URL" "{\"method\":\"POST\",\"path_prefix\":\"/v1/binaries\",\"status\":200,\"body\":{\"ok\":true,\"binary_url\":\"http://elsewhere.invalid/$TOK\"}}"
tok cloud compile photon "$T/p" -o "$T/c.bin" --api-url "$S_URL"
fault "$S_URL" '{"method":"POST","path_prefix":"/v1/binaries","kind":"reset"}'
tok cloud compile photon "$T/p" -o "$T/c.bin" --api-url "$S_URL"
fault "$S_URL" '{"method":"POST","path_prefix":"/v1/binaries","kind":"hang"}'
tok cloud compile photon "$T/p" -o "$T/c.bin" --api-url "$S_URL" --max-time 2
is "a hanging compile times out (exit 9)" "$rc" 9
check "no output file from any failed compile" test ! -e "$T/c.bin"

# the token went as a Bearer header only
is "every request carried it in the header, none elsewhere" \
	"$(requests "$S_URL" | jq -r --arg t "$TOK" '[.[] | select(.query.access_token or .form.access_token or (.authorization != "Bearer " + $t))] | length')" 0
check "something was searched" test -s "$T/all"
diag "token searched in $(wc -c <"$T/all") bytes of output; leaks: $leaks"

plan "$_tap_n"
done_testing
