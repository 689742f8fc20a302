#!/bin/sh
# make install (issue 12 item 7) into a prefix of its own, DESTDIR unset:
# the binary, profiles, simulator library, man page sparkflash(1), bash and
# zsh completions and the empty named-apps directory land under the
# prefix, and nothing is written anywhere else (every file system call of
# make and its children, traced with strace); the installed binary runs
# from there; make uninstall takes it all away again.
. "$srcdir/tests/lib.sh"

command -v make >/dev/null 2>&1 || { echo "1..0 # SKIP make missing"; exit 0; }
B=$(cd "${top_builddir:-.}" && pwd)
P="$T/prefix"
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"
# a make of our own, not the jobserver of the make running this test
submake() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u DESTDIR make -C "$B" "$@" prefix="$P" >>"$T/make.log" 2>&1; }

traced=false
if command -v strace >/dev/null 2>&1 && strace -f -qq -o /dev/null true 2>/dev/null; then
	traced=true
	strace -f -qq -y -o "$T/trace" -e trace=chdir,fchdir,open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,unlink,unlinkat,rmdir,chmod,fchmodat,chown,fchownat,lchown,truncate,utimensat \
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u DESTDIR make -C "$B" install prefix="$P" >"$T/make.log" 2>&1
	rc=$?
else
	submake install
	rc=$?
fi
expect_rc "make install prefix=$P" 0
[ "$rc" -eq 0 ] || tail -n 20 "$T/make.log" | sed 's/^/#   /'

for f in bin/sparkflash share/man/man1/sparkflash.1 share/bash-completion/completions/sparkflash \
	share/zsh/site-functions/_sparkflash share/sparkflash/profiles/core.json share/sparkflash/profiles/photon.json \
	lib/sparkflash/libsfsim.so; do
	check "installed: $f" test -e "$P/$f"
done
check "installed: the empty apps directory" test -d "$P/share/sparkflash/apps"
check "the installed man page is the built one" cmp -s "$P/share/man/man1/sparkflash.1" "$B/sparkflash.1"
check "the installed bash completion is the built one" cmp -s "$P/share/bash-completion/completions/sparkflash" "$B/completions/sparkflash"

if $traced; then
	# the paths that were created, written, renamed, linked, removed or
	# changed; a name relative to a directory descriptor (mkdirat(3</x>,
	# "y")) is joined to it; calls that failed changed nothing (mkdir -p
	# tries every parent)
	python3 - "$T/trace" >"$T/written" <<'PY'
import os, re, sys
calls = ("open", "openat", "creat", "mkdir", "mkdirat", "rename", "renameat", "renameat2", "link", "linkat",
         "symlink", "symlinkat", "unlink", "unlinkat", "rmdir", "chmod", "fchmodat", "chown", "fchownat",
         "lchown", "truncate", "utimensat")
out, cwd = set(), {}
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"\s*(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+)", line)
    if not m or m.group(4).startswith("-"):
        continue
    pid, name, args = m.group(1), m.group(2), m.group(3)
    # mkdir -p and install change directory and go on with relative names
    if name == "chdir":
        d = re.match(r'"([^"]*)"', args).group(1)
        cwd[pid] = d if d.startswith("/") else (os.path.join(cwd[pid], d) if pid in cwd else None)
        continue
    if name == "fchdir":
        d = re.match(r"\d+<([^>]*)>", args)
        cwd[pid] = d.group(1) if d else None
        continue
    if name not in calls:
        continue
    if name in ("open", "openat") and not re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC", args):
        continue
    for dfd, path in re.findall(r'(?:(\d+<[^>]*>|AT_FDCWD),\s*)?"([^"]*)"', args):
        if not path.startswith("/"):
            if dfd.endswith(">"):
                path = dfd[dfd.index("<") + 1:-1] + "/" + path
            elif cwd.get(pid):
                path = os.path.join(cwd[pid], path)
        out.add(os.path.normpath(path) if path.startswith("/") else path)
print("\n".join(sorted(out)))
PY
	check "the trace saw the installation" grep -q "^$P/bin/sparkflash" "$T/written"
	# allowed: the prefix, this test's scratch (TMPDIR), the build tree
	# (relative paths are make's own, in the build tree), /dev
	grep -v -e "^$P/" -e "^$P\$" -e "^$T/" -e "^$B/" -e "^/dev/" -e "^/proc/" -e '^[^/]' "$T/written" >"$T/outside"
	if [ ! -s "$T/outside" ]; then ok "nothing written outside --prefix"; else
		not_ok "nothing written outside --prefix"; sed 's/^/#   outside: /' "$T/outside" | head -20; fi
else
	skip "strace unusable: the trace of make install"; skip "-"
fi

# the installed binary works from there, with its own data
env -u SPARKFLASH_PROFILES -u SPARKFLASH_SIM_LIB "$P/bin/sparkflash" profiles list >"$T/out" 2>"$T/err"
rc=$?
expect_rc "installed sparkflash profiles list" 0
grep_out "the installed profiles" "$P/share/sparkflash/profiles/core.json"
env -u SPARKFLASH_PROFILES "$P/bin/sparkflash" --dry-run --profile photon flash --usb tinker >"$T/out" 2>"$T/err"
grep_err "named apps: the installed directory" "put the photon tinker image .* at $P/share/sparkflash/apps/photon/tinker.bin"

submake uninstall
check "make uninstall" test $? -eq 0
left=$(find "$P" -type f 2>/dev/null | head -5)
if [ -z "$left" ]; then ok "no file left after uninstall"; else not_ok "no file left after uninstall"; echo "$left" | sed 's/^/#   /'; fi
check "the empty apps directory is gone too" test ! -e "$P/share/sparkflash/apps"

plan "$_tap_n"
done_testing
