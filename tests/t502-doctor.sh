#!/bin/sh
# sparkflash doctor against simulated devices, a temporary udev rules dir,
# fake dfu-util versions and a loopback stand-in for the cloud API.
. "$srcdir/tests/lib-sim.sh"
plan 28

# HOME without cloud config, no token in the environment
mkdir -p "$T/home"
HOME=$T/home; export HOME
unset PARTICLE_ACCESS_TOKEN PARTICLE_API_URL 2>/dev/null || true
mkdir "$T/rules"

sim add photon
expect_rc "sim add photon" 0

run_sf --sim "$SIM" doctor --rules-dir "$T/rules"
expect_rc "healthy setup with a warning exits 0" 0
grep_out "dfu-util runs" '^ok +dfu-util: .*dfu-util runs'
grep_out "version checked" '^ok +dfu-util-version: 0\.'
grep_out "profiles load" '^ok +profiles: [0-9]+ loaded \(.*photon'
grep_out "udev rules missing → warning" '^warning +udev-rules: no rule gives USB access to .*2b04:d006'
grep_out "usb access ok on the simulated device" "^ok +usb-access: 'dfu-util -l' opened [0-9]+ DFU interface"
grep_out "token absent" '^info +cloud-token: absent'

run_sf udev install --rules-dir "$T/rules"
run_sf --sim "$SIM" --json doctor --rules-dir "$T/rules"
expect_rc "after udev install" 0
if python3 - "$T/out" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
checks = {e["name"]: e for e in ev if e["event"] == "check"}
assert set(checks) >= {"dfu-util", "dfu-util-version", "profiles", "udev-rules", "usb-access", "cloud-token", "cloud-api"}, checks.keys()
assert checks["udev-rules"]["status"] == "ok", checks["udev-rules"]
assert ev[-1]["event"] == "result" and ev[-1]["ok"] is True and ev[-1]["exit_code"] == 0
PY
then ok "json: every check, udev ok after install"; else not_ok "json checks"; fi

# USB permission fault on the simulated device → usb-access error, exit 5
rm -rf "$SIM"
sim add core --fault access
run_sf --sim "$SIM" doctor --rules-dir "$T/rules"
expect_rc "access fault → exit 5" 5
grep_out "usb-access error names the diagnosis" '^error +usb-access: permission-denied: .*1d50:607f'
grep_out "with a fix" 'fix: install udev rules'

# dfu-util missing → 8, and the USB check is skipped
run_sf --sim "$SIM" --dfu-util "$T/no-such-dfu-util" doctor --rules-dir "$T/rules"
expect_rc "dfu-util missing → exit 8" 8
grep_out "usb check skipped" '^skipped +usb-access'

# fake dfu-util versions (a script printing the banner)
fake() {
	printf '#!/bin/sh\necho "dfu-util %s"\necho\necho "Copyright 2010-2016 Tormod Volden and Stefan Schmidt"\nexit 0\n' "$1" >"$T/dfu-$1"
	chmod +x "$T/dfu-$1"
}
fake 0.9
run_sf --dfu-util "$T/dfu-0.9" doctor --rules-dir "$T/rules"
expect_rc "0.9 is a warning" 0
grep_out "0.9 address-0 warning" '^warning +dfu-util-version: 0\.9 treats address 0'
fake 0.5
run_sf --dfu-util "$T/dfu-0.5" doctor --rules-dir "$T/rules"
expect_rc "0.5 is unusable → 8" 8
grep_out "0.5 :leave" 'does not know the .:leave. modifier'

# token present: the source is named, the token never shown (healthy device again)
rm -rf "$SIM"
sim add photon
run_sf_env() { timeout 60 env "$@" >"$T/out" 2>"$T/err"; rc=$?; }
run_sf_env PARTICLE_ACCESS_TOKEN=s3cr3t-t0k3n-value "$SPARKFLASH" --sim "$SIM" doctor --rules-dir "$T/rules"
grep_out "token from the environment" '^ok +cloud-token: present \(from PARTICLE_ACCESS_TOKEN'
if grep -q s3cr3t "$T/out" "$T/err"; then not_ok "token not printed"; else ok "token not printed"; fi
mkdir -p "$T/home/.particle"
printf '{"access_token": "f1l3-t0k3n-value", "username": "u@example.com"}\n' >"$T/home/.particle/particle.config.json"
run_sf --sim "$SIM" --json doctor --rules-dir "$T/rules"
grep_out "token from the config file, path named" '"name":"cloud-token","status":"ok","message":"present \(from [^"]*particle.config.json'
if grep -q f1l3 "$T/out" "$T/err"; then not_ok "file token not printed"; else ok "file token not printed"; fi

# API check against a loopback stand-in: 200 for the right token, 401 else
cat >"$T/api.py" <<'PY'
import http.server, sys, threading
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        good = self.headers.get("Authorization") == "Bearer f1l3-t0k3n-value"
        self.send_response(200 if good else 401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"[]" if good else b'{"error":"invalid_token"}')
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.timeout = 1
import time
end = time.time() + 50
while time.time() < end:
    s.handle_request()
PY
timeout 60 python3 "$T/api.py" "$T/port" &
api_pid=$!
i=0; while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$T/port" 2>/dev/null)
run_sf --sim "$SIM" doctor --rules-dir "$T/rules" --api-url "http://127.0.0.1:$port"
grep_out "API answers and accepts the token" '^ok +cloud-api: http://127.0.0.1:[0-9]+ answers and accepts the token'
printf '{"access_token": "wrong-token"}\n' >"$T/home/.particle/particle.config.json"
run_sf --sim "$SIM" doctor --rules-dir "$T/rules" --api-url "http://127.0.0.1:$port"
expect_rc "rejected token → 10" 10
kill "$api_pid" 2>/dev/null; wait "$api_pid" 2>/dev/null
rm -f "$T/home/.particle/particle.config.json"
# nothing listens on the port any more
run_sf --sim "$SIM" doctor --rules-dir "$T/rules" --api-url "http://127.0.0.1:$port"
expect_rc "API unreachable → 12" 12

# every option doctor accepts is in its usage line
run_sf doctor --help
expect_rc "doctor --help" 0
grep_out "usage names --api-url" '^usage: sparkflash doctor .*\[--api-url URL\]'

done_testing
