#!/bin/sh
# Every shipped profile becomes a simulated device that dfu-util lists with
# the profile's IDs and alt strings, and that accepts a download at its
# userFirmware address (read back identical).
. "$srcdir/tests/lib-sim.sh"
profiles="core photon p1 electron duo"
plan 25

for p in $profiles; do
	file=$srcdir/profiles/$p.json
	ids=$(json_get "$file" 'd["usb"]["dfu"]')
	addr=$(json_get "$file" 'd["segments"]["userFirmware"]["address"]')
	nalts=$(json_get "$file" 'len(d["alts"])')
	rm -rf "$SIM"
	sim add "$p" --serial "SN$p"
	expect_rc "$p: sim add" 0
	dfu -l
	is "$p: -l lists $nalts alts of [$ids]" "$(grep -c "^Found DFU: \[$ids\] ver=.*serial=\"SN$p\"" "$T/out")" "$nalts"
	json_get "$file" '"\n".join(a["layout"] for a in d["alts"])' | sort >"$T/want"
	sed -n 's/^Found DFU: .*, name="\(.*\)", serial=.*/\1/p' "$T/out" | sort >"$T/got"
	same "$p: alt names are the profile's layout strings" "$T/got" "$T/want"
	rand_file "$T/fw.bin" 10000 7
	dfu -d ",$ids" -a 0 -s "$addr:leave" -D "$T/fw.bin"
	expect_rc "$p: download at userFirmware $addr with :leave" 0
	sim reset "SN$p"
	rm -f "$T/up.bin"
	dfu -d ",$ids" -a 0 -s "$addr:10000" -U "$T/up.bin"
	same "$p: read back identical" "$T/up.bin" "$T/fw.bin"
done

done_testing
