#!/bin/sh
# Cloud fault handling: 429 with Retry-After, 5xx, HTML/empty/string
# bodies, resets, hangs and slow drips; which requests are retried (GETs on
# connection errors, 429, 502-504; the PUT only on 429/503) and that every
# wait is bounded.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/cloud/lib-cloud.sh"

start_server S
random_file "$T/app.bin" 1000
ms() { date +%s%3N; }
gets() { nreq "$S_URL" '.method=="GET"'; }
puts() { nreq "$S_URL" '.method=="PUT"'; }

# 429 + Retry-After on the lookup, then success (§7.6 #8)
reset_server "$S_URL"
fault "$S_URL" '{"method":"GET","kind":"status","status":429,"retry_after":"1"}'
sf_cloud cloud flash photon1 "$T/app.bin" --api-url "$S_URL"
expect_rc "GET 429 then success" 0
is "lookup sent twice" "$(gets)" 2
gap=$(requests "$S_URL" | jq '[.[] | select(.method=="GET")] | .[1].time_ms - .[0].time_ms')
check "waited Retry-After (gap ${gap} ms >= 900)" test "$gap" -ge 900
is "one upload" "$(puts)" 1

# Retry-After as an HTTP date in the past: retried at once
reset_server "$S_URL"
fault "$S_URL" '{"method":"GET","kind":"status","status":429,"retry_after":"Sun, 06 Nov 1994 08:49:37 GMT"}'
sf_cloud cloud list --api-url "$S_URL"
expect_rc "GET 429 with a date Retry-After then success" 0
is "list sent twice" "$(gets)" 2

# a Retry-After beyond the cap is reported, not waited for
reset_server "$S_URL"
fault "$S_URL" '{"method":"GET","kind":"status","status":429,"retry_after":"3600"}'
t0=$(ms)
sf_cloud cloud list --api-url "$S_URL"
t1=$(ms)
expect_rc "GET 429 with a long Retry-After: exit 12" 12
grep_err "says rate limited" "rate limited"
grep_err "says how long to wait" "wait 3600 s"
check "did not wait an hour ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 10000

# 502/503/504 on GETs: retried with backoff
for st in 502 503 504; do
	reset_server "$S_URL"
	fault "$S_URL" "{\"method\":\"GET\",\"kind\":\"status\",\"status\":$st}"
	sf_cloud cloud list --api-url "$S_URL"
	expect_rc "GET $st then success" 0
	is "GET retried after $st" "$(gets)" 2
done

# persistent 503: bounded attempts
reset_server "$S_URL"
fault "$S_URL" '{"method":"GET","kind":"status","status":503,"count":50}'
t0=$(ms)
sf_cloud cloud list --api-url "$S_URL"
t1=$(ms)
expect_rc "persistent 503: exit 12" 12
grep_err "server error" "server error.*503"
is "four attempts in all" "$(gets)" 4
check "backoff bounded ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 20000
diag "persistent 503: gave up after $((t1 - t0)) ms"

# 500 on GET: not retried
reset_server "$S_URL"
fault "$S_URL" '{"method":"GET","kind":"status","status":500}'
sf_cloud cloud list --api-url "$S_URL"
expect_rc "GET 500: exit 12" 12
grep_err "message from the body" "internal error"
is "500 not retried" "$(gets)" 1

# the PUT: retried on 429 and 503 only
for st in 429 503; do
	reset_server "$S_URL"
	fault "$S_URL" "{\"method\":\"PUT\",\"kind\":\"status\",\"status\":$st,\"retry_after\":\"1\"}"
	sf_cloud cloud flash photon1 "$T/app.bin" --api-url "$S_URL"
	expect_rc "PUT $st then success" 0
	is "PUT sent again after $st" "$(puts)" 2
done
reset_server "$S_URL"
fault "$S_URL" '{"method":"PUT","kind":"html","status":502}'
sf_cloud cloud flash photon1 "$T/app.bin" --api-url "$S_URL"
expect_rc "PUT 502 with an HTML body: exit 12" 12
grep_err "502 named, HTML excerpt" "502.*non-JSON"
is "PUT 502 not retried" "$(puts)" 1
for st in 500 504; do
	reset_server "$S_URL"
	fault "$S_URL" "{\"method\":\"PUT\",\"kind\":\"status\",\"status\":$st}"
	sf_cloud cloud flash photon1 "$T/app.bin" --api-url "$S_URL"
	expect_rc "PUT $st: exit 12" 12
	is "PUT $st not retried" "$(puts)" 1
done

# odd 200 bodies on the PUT (§7.6 #9)
for k in empty string; do
	reset_server "$S_URL"
	fault "$S_URL" "{\"method\":\"PUT\",\"kind\":\"$k\"}"
	sf_cloud cloud flash photon1 "$T/app.bin" --api-url "$S_URL"
	expect_rc "PUT answered with a $k body: exit 12" 12
done
grep_err "bare string shown" "a bare JSON string"
reset_server "$S_URL"
fault "$S_URL" '{"method":"PUT","kind":"html","status":200}'
sf_cloud cloud flash photon1 "$T/app.bin" --api-url "$S_URL"
expect_rc "PUT answered 200 with HTML: exit 12" 12
grep_err "non-JSON named" "non-JSON"

# connection reset after the headers: GET retried, PUT not
reset_server "$S_URL"
fault "$S_URL" '{"method":"GET","kind":"reset"}'
sf_cloud cloud list --api-url "$S_URL"
expect_rc "GET reset then success" 0
is "GET retried after a reset" "$(gets)" 2
reset_server "$S_URL"
fault "$S_URL" '{"method":"PUT","kind":"reset"}'
sf_cloud cloud flash photon1 "$T/app.bin" --api-url "$S_URL"
expect_rc "PUT reset: exit 12" 12
is "PUT not retried after a reset" "$(puts)" 1

# hang and slow drip: bounded by --max-time, not retried (§7.6 #10)
for k in hang drip; do
	reset_server "$S_URL"
	fault "$S_URL" "{\"method\":\"GET\",\"kind\":\"$k\"}"
	t0=$(ms)
	sf_cloud cloud flash photon1 "$T/app.bin" --api-url "$S_URL" --max-time 2
	t1=$(ms)
	expect_rc "GET $k: a timeout exits 9" 9
	grep_err "$k: says timed out" "timed out"
	check "$k: gave up within the limit ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 8000
	is "$k: not retried" "$(gets)" 1
done
reset_server "$S_URL"
t0=$(ms)
sf_cloud cloud flash hang1 "$T/app.bin" --api-url "$S_URL" --max-time 2
t1=$(ms)
expect_rc "hanging flash: a timeout exits 9" 9
grep_err "says the upload was not retried" "not retried"
is "hanging PUT not retried" "$(puts)" 1
check "hanging flash bounded ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 8000

# nothing listening: connection errors, retried, then exit 12
stop_servers
t0=$(ms)
sf_cloud cloud list --api-url "$S_URL"
t1=$(ms)
expect_rc "connection refused: exit 12" 12
grep_err "says cannot connect" "cannot connect"
check "connection retries bounded ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 15000
sf_cloud cloud list --api-url "http://no-such-host.invalid" --connect-timeout 3
expect_rc "unresolvable host: exit 12" 12

plan "$_tap_n"
done_testing
