#!/bin/sh
# spark-cli's flash words (issue 11 item 1) against the local cloud
# imitation: a DEVICE word that is probably a mistake (a segment name, a
# command word, a malformed address, a file, a near miss) is a usage error
# (exit 2) saying what was meant, and no request reaches the server;
# --cloud forces it; 'flash cloud DEVICE FILE' and 'flash DEVICE FILE' go
# to the cloud; 'flash firmware FILE' is 'flash --usb FILE'.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/cloud/lib-cloud.sh"

start_server S
random_file "$T/app.bin" 3000
API="--api-url $S_URL"

# refused: nothing sent, exit 2, one line naming what was meant
refused() { # WANT-IN-MESSAGE ARGS...
	want=$1
	shift
	reset_server "$S_URL"
	sf_cloud "$@" $API
	if [ "$rc" -eq 2 ] && head -n 1 "$T/err" | grep -q -- "$want" && head -n 1 "$T/err" | grep -q "add --cloud" &&
	   [ ! -s "$T/out" ]; then
		ok "refused: $*"
	else
		not_ok "refused: $* (exit $rc)"
		head -n 2 "$T/err" | sed 's/^/#   /'
	fi
	n=$(requests "$S_URL" | jq length)
	if [ "$n" = 0 ]; then ok "no request for: $*"; else not_ok "no request for: $* ($n sent)"; fi
}

refused "did you mean 'sparkflash flash --usb $T/app.bin'" flash usb "$T/app.bin"
refused "did you mean 'sparkflash flash --usb" flash USB "$T/app.bin"
refused "did you mean 'sparkflash flash --factory" flash factory "$T/app.bin"
refused "did you mean 'sparkflash flash --segment NAME" flash segment "$T/app.bin"
refused "did you mean 'sparkflash keys load" flash keys "$T/app.bin"
refused "--segment userFirmware" flash userFirmware "$T/app.bin"
refused "--segment userFirmware" flash userfirmware "$T/app.bin"
refused "--segment factoryReset" flash factoryReset "$T/app.bin"
refused "--segment systemFirmwareTwo" flash systemFirmwareTwo "$T/app.bin"
refused "--segment tcpPrivateKey" flash tcpPrivateKey "$T/app.bin"
refused "--segment optionBytes" flash optionBytes "$T/app.bin"
refused "has no digits after 0x" flash 0x "$T/app.bin"
refused "not hexadecimal after 0x" flash 0xZZ "$T/app.bin"
refused "'1e6' is not an address" flash 1e6 "$T/app.bin"
refused "'sparkflash flash 0x100000 " flash " 0x100000" "$T/app.bin"
refused "'sparkflash flash 0x08005000 " flash 08005000 "$T/app.bin"
refused "looks like an address without 0x" flash 080A0000 "$T/app.bin"
refused "does not fit in 32 bits" flash 0x100000000 "$T/app.bin"
refused "is a file, not a device name" flash "$T/app.bin" "$T/app.bin"
refused "typo of 'usb'" flash usbb "$T/app.bin"
refused "typo of 'firmware'" flash firmwre "$T/app.bin"
refused "typo of 'userFirmware'" flash userFirmwar "$T/app.bin"
# the DEVICE of spark-cli's 'flash cloud DEVICE FILE' too
refused "did you mean 'sparkflash flash --usb" flash cloud usb "$T/app.bin"
refused "did you mean 'sparkflash flash --usb" flash cloud firmware "$T/app.bin"
refused "--segment userFirmware" flash cloud userFirmware "$T/app.bin"

# --cloud sends any word: the name is looked up
reset_server "$S_URL"
sf_cloud flash --cloud usb "$T/app.bin" $API
expect_rc "--cloud usb: sent (no such device)" 11
is "--cloud usb: the name was looked up" "$(requests "$S_URL" | jq -r '.[0].path')" "/v1/devices/usb"
reset_server "$S_URL"
sf_cloud flash cloud --cloud firmware "$T/app.bin" $API
expect_rc "flash cloud --cloud firmware: sent" 11
is "the device named firmware was looked up" "$(requests "$S_URL" | jq -r '.[0].path')" "/v1/devices/firmware"

# the cloud forms
reset_server "$S_URL"
sf_cloud flash cloud photon1 "$T/app.bin" $API
expect_rc "flash cloud photon1 FILE (spark-cli 0.3.0)" 0
is "one PUT to photon1's id" "$(nreq "$S_URL" ".method==\"PUT\" and .path==\"/v1/devices/$PHOTON1\"")" 1
reset_server "$S_URL"
sf_cloud flash photon1 "$T/app.bin" $API
expect_rc "flash photon1 FILE" 0
is "PUT" "$(nreq "$S_URL" '.method=="PUT"')" 1
reset_server "$S_URL"
sf_cloud flash "$PHOTON1" "$T/app.bin" $API
expect_rc "flash DEVICE-ID FILE: a 24-hex-digit id is a device" 0
reset_server "$S_URL"
sf_cloud flash deadbeef "$T/app.bin" $API
expect_rc "a hex word without digits is a name (deadbeef)" 11
is "deadbeef was looked up" "$(requests "$S_URL" | jq -r '.[0].path')" "/v1/devices/deadbeef"

# other mistakes, still without a request
reset_server "$S_URL"
sf_cloud flash "$T/app.bin" $API
expect_rc "flash FILE alone" 2
grep_err "an existing file: USB or a device first" "is a file, not a device name: flash it over USB with 'sparkflash flash --usb"
sf_cloud flash nosuchfile $API
expect_rc "flash WORD alone" 2
grep_err "says where it could go" "where to\? give 'flash --usb nosuchfile'"
sf_cloud flash --serial "$T/app.bin"
expect_rc "particle-cli's flash --serial FILE" 2
grep_err "explains --serial" "--serial takes a USB serial number here, and '.*app.bin' is a file: particle-cli's 'flash --serial FILE' \(YMODEM over the serial port\) is not sparkflash's; put the device in DFU mode and run 'sparkflash flash --usb .*app.bin'"
sf_cloud flash --cloud photon1 "$T/app.bin" --verif $API
expect_rc "an abbreviated option, on the cloud form too" 2
sf_cloud flash cloud photon1 $API
expect_rc "flash cloud DEVICE without FILE" 2
is "none of these sent anything" "$(requests "$S_URL" | jq length)" 0

# flash firmware FILE: spark-cli 0.3.0's USB form (no request; the bytes on a Core)
if [ -f "${SPARKFLASH_SIM_LIB:-}" ] && command -v dfu-util >/dev/null 2>&1; then
	SIM="$T/sim"
	timeout 60 "$SPARKFLASH" --sim "$SIM" sim add core --serial C0 >/dev/null 2>&1
	reset_server "$S_URL"
	sf_cloud --sim "$SIM" flash firmware "$T/app.bin"
	expect_rc "flash firmware FILE on a simulated Core" 0
	grep_out "went to userFirmware" "to userFirmware at 0x08005000"
	timeout 60 "$SPARKFLASH" --sim "$SIM" sim dump C0 0 "$T/dump" >/dev/null 2>&1
	dd if="$T/dump" of="$T/got" bs=1 skip=20480 count=3000 2>/dev/null
	check "the file is at 0x08005000" cmp -s "$T/got" "$T/app.bin"
	is "no cloud request for flash firmware" "$(requests "$S_URL" | jq length)" 0
else
	skip "simulator or dfu-util missing"; skip "-"; skip "-"; skip "-"
fi

plan "$_tap_n"
done_testing
