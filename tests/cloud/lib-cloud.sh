# Helpers for the cloud tests (tests/t06*-cloud-*.sh): start the local cloud
# imitation (tests/server/sfcloudd) on 127.0.0.1 with an ephemeral port,
# talk to its control channel, run sparkflash with a private HOME.
# Source after tests/lib.sh.

CLOUDD="${top_builddir:-.}/tests/server/sfcloudd"
SFPROXY="${top_builddir:-.}/tests/server/sfproxy"
MKMODULE="${top_builddir:-.}/tests/tools/mkmodule"
FIXTURES="$srcdir/tests/cloud/fixtures.json"
TOKEN=5c1a9e3f0b7d42e8a6f1c3b5d7e9f0a2b4c6d8e1
EXPIRED_TOKEN=e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0
OTHER_TOKEN=a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7
PHOTON1=0123456789abcdef01234567
_servers=""

if [ ! -x "$CLOUDD" ]; then
	echo "1..0 # SKIP sfcloudd not built (libmicrohttpd missing)"
	exit 0
fi
for tool in curl jq; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool not installed (scripts/deps installs it)"
		exit 0
	fi
done

# SIGTERM, then SIGKILL after 5 s: a test never waits on a wedged server.
stop_servers() {
	local pid i
	for pid in $_servers; do
		kill "$pid" 2>/dev/null
	done
	for pid in $_servers; do
		for i in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	_servers=""
}
trap 'stop_servers; rm -rf "$T"' EXIT

# A clean environment: no token, no API URL, no proxies, private HOME.
export HOME="$T/home"
mkdir -p "$HOME"
unset PARTICLE_ACCESS_TOKEN PARTICLE_API_URL CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR \
	http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy NO_PROXY no_proxy

# start_server NAME [sfcloudd options...]: sets NAME_PORT and NAME_URL.
start_server() {
	local name=$1 i port
	shift
	rm -f "$T/$name.port"
	timeout -k 5 600 "$CLOUDD" --fixtures "${SF_FIXTURES:-$FIXTURES}" --port-file "$T/$name.port" \
		--control --idle-timeout 120 --mkmodule "$MKMODULE" "$@" 2>"$T/$name.log" &
	_servers="$_servers $!"
	for i in $(seq 1 100); do
		[ -s "$T/$name.port" ] && break
		sleep 0.1
	done
	port=$(cat "$T/$name.port" 2>/dev/null)
	if [ -z "$port" ]; then
		echo "Bail out! sfcloudd did not start: $(cat "$T/$name.log")"
		exit 1
	fi
	eval "${name}_PORT=$port"
	eval "${name}_URL=http://127.0.0.1:$port"
}

# start_proxy: a forwarding proxy (tests/server/sfproxy); sets PROXY_URL
# and PROXY_LOG ("METHOD TARGET" per request).
start_proxy() {
	local i port
	rm -f "$T/proxy.port"
	PROXY_LOG="$T/proxy.log"
	: >"$PROXY_LOG"
	timeout -k 5 600 "$SFPROXY" --port-file "$T/proxy.port" --log "$PROXY_LOG" --idle-timeout 120 2>"$T/proxy.err" &
	_servers="$_servers $!"
	for i in $(seq 1 100); do
		[ -s "$T/proxy.port" ] && break
		sleep 0.1
	done
	port=$(cat "$T/proxy.port" 2>/dev/null)
	if [ -z "$port" ]; then
		echo "Bail out! sfproxy did not start: $(cat "$T/proxy.err")"
		exit 1
	fi
	PROXY_URL="http://127.0.0.1:$port"
}

# ctl URL METHOD PATH [JSON]: control-channel request (never proxied).
ctl() {
	if [ $# -ge 4 ]; then
		timeout 20 curl -sS --noproxy '*' -X "$2" -H 'Content-Type: application/json' --data "$4" "$1$3"
	else
		timeout 20 curl -sS --noproxy '*' -X "$2" "$1$3"
	fi
}
requests() { ctl "$1" GET /__control/requests; }
reset_server() { ctl "$1" POST /__control/reset >/dev/null; }
# fault URL JSON: queue a fault ({"method","path_prefix","count","kind","status","retry_after"})
fault() { ctl "$1" POST /__control/faults "$2" >/dev/null; }

# nreq URL JQ-FILTER: number of recorded requests matching a jq select()
nreq() { requests "$1" | jq "[.[] | select($2)] | length"; }

# is DESCRIPTION GOT WANT
is() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', want '$3')"; fi; }

# sf_cloud ARGS...: runs sparkflash with the token in the environment.
sf_cloud() { PARTICLE_ACCESS_TOKEN=$TOKEN run_sf "$@"; }

# random FILE SIZE: random bytes (not a module image)
random_file() { head -c "$2" /dev/urandom >"$1"; }

# As tests/lib.sh's run_sf, but SIGKILL 5 s after the SIGTERM: a process
# wedged at exit (LeakSanitizer's stop-the-world has been seen to hang on
# this kernel) must not hold the test forever.
run_sf() {
	timeout -k 5 60 "$SPARKFLASH" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	return 0
}
