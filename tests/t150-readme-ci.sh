#!/bin/sh
# README "CI jobs and bench fleets": the GitHub Actions workflow and the
# .gitlab-ci.yml in it parse as YAML and hang together (needs, extends,
# stages), their flash jobs use what the section promises (--all, --wait,
# --retries, --json, --log, a udev step, the logs kept as artefacts), and
# every sparkflash command in them is accepted by the real binary: each runs
# with --dry-run against four simulated Cores, then the whole job's
# sparkflash commands run for real in a fresh directory (the flash: exit 0,
# the summary, one log per board that diagnose judges a success, every
# artefact path the job keeps is there).
. "$srcdir/tests/lib-sim.sh"
python3 -c 'import yaml' 2>/dev/null || skip_all "python3-yaml not installed (scripts/deps installs it)"

# Writes $T/cmds (FILE, JOB, TOLERATED, STDOUT, then the shell-quoted
# arguments after "sparkflash", tab-separated) and $T/artefacts (FILE, JOB,
# PATH); prints TAP lines for the structure checks.
python3 - "$srcdir/README" "$T" <<'PY'
import re, shlex, sys, yaml

readme, out = sys.argv[1], sys.argv[2]
n = 0
failed = False
def check(cond, what):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, what))
    failed |= not cond

# the code blocks that start with the file's name as a comment
lines = open(readme, encoding="utf-8").read().split("\n")
blocks = {}
i = 0
while i < len(lines):
    m = re.match(r"^    # (\.github/workflows/[\w.-]+\.yml|\.gitlab-ci\.yml)$", lines[i])
    i += 1
    if not m:
        continue
    body = [lines[i - 1][4:]]
    while i < len(lines) and (lines[i].startswith("    ") or lines[i] == ""):
        body.append(lines[i][4:])
        i += 1
    blocks[m.group(1)] = "\n".join(body)
gh = [k for k in blocks if k.startswith(".github/")]
check(len(gh) == 1 and ".gitlab-ci.yml" in blocks, "README has a GitHub workflow and a .gitlab-ci.yml: %s" % sorted(blocks))

docs = {}
for name, text in blocks.items():
    try:
        docs[name] = yaml.safe_load(text)
        check(isinstance(docs[name], dict), "%s parses as a YAML mapping" % name)
    except yaml.YAMLError as e:
        check(False, "%s parses as YAML: %s" % (name, str(e).replace("\n", " ")))

# shell text of every job: (file, job, script, variables)
jobs = []
if gh and gh[0] in docs:
    d = docs[gh[0]]
    ok = isinstance(d.get("jobs"), dict) and d["jobs"]
    check(ok and all("runs-on" in j and j.get("steps") for j in d["jobs"].values()),
          "%s: every job has runs-on and steps" % gh[0])
    for name, j in (d.get("jobs") or {}).items():
        needs = j.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        check(all(x in d["jobs"] for x in needs), "%s: %s needs existing jobs %s" % (gh[0], name, needs))
        env = dict(d.get("env") or {})
        env.update(j.get("env") or {})
        for st in j.get("steps", []):
            if "run" in st:
                e = dict(env); e.update(st.get("env") or {})
                jobs.append((gh[0], name, st["run"], e))
            if str(st.get("uses", "")).startswith("actions/upload-artifact"):
                for p in str(st["with"]["path"]).split("\n"):
                    if p.strip():
                        open(out + "/artefacts", "a").write("%s\t%s\t%s\n" % (gh[0], name, p.strip()))
if ".gitlab-ci.yml" in docs:
    d = docs[".gitlab-ci.yml"]
    reserved = {"stages", "variables", "default", "include", "workflow", "image", "services", "cache",
                "before_script", "after_script"}
    def resolved(name, seen=()):
        j = d[name]
        base = {}
        ext = j.get("extends", [])
        for parent in [ext] if isinstance(ext, str) else ext:
            check(parent in d and parent not in seen, ".gitlab-ci.yml: %s extends existing %s" % (name, parent))
            if parent in d and parent not in seen:
                base.update(resolved(parent, seen + (name,)))
        base.update({k: v for k, v in j.items() if k != "extends"})
        return base
    stages = d.get("stages", ["build", "test", "deploy"])
    for name in d:
        if name in reserved or name.startswith("."):
            continue
        j = resolved(name)
        check("script" in j and j.get("stage", "test") in stages,
              ".gitlab-ci.yml: %s has a script and a declared stage" % name)
        check(all(x in d for x in j.get("needs", [])), ".gitlab-ci.yml: %s needs existing jobs" % name)
        var = dict(d.get("variables") or {})
        var.update(j.get("variables") or {})
        for key in ("before_script", "script", "after_script"):
            for s in j.get(key, []):
                jobs.append((".gitlab-ci.yml", name, s, var))
        for p in (j.get("artifacts") or {}).get("paths", []):
            open(out + "/artefacts", "a").write(".gitlab-ci.yml\t%s\t%s\n" % (name, p))

STOP = {"|", "||", "&&", ";", "&", ")", ">", ">>", "<", "2>", "&>"}
CMDPOS = {None, "sudo", "!", "if", "then", "else", "do", "&&", "||", ";", "|", "(", "time"}
def expand(tok, env):
    def var(m):
        k = m.group(1) or m.group(2)
        if k not in env:
            raise KeyError(k)
        return str(env[k])
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", var, tok)

cmds = []
for f, job, script, env in jobs:
    for line in str(script).replace("\\\n", " ").split("\n"):
        lx = shlex.shlex(line, posix=True, punctuation_chars=True)
        lx.whitespace_split = True
        lx.commenters = "#"
        toks = list(lx)
        for k, t in enumerate(toks):
            if t != "sparkflash" or (toks[k - 1] if k else None) not in CMDPOS:
                continue
            argv, stdout = [], ""
            j = k + 1
            while j < len(toks) and toks[j] not in STOP and not (
                    toks[j].isdigit() and j + 1 < len(toks) and toks[j + 1][0] in "<>"):
                argv.append(toks[j])
                j += 1
            if j < len(toks) and toks[j] == ">" and j + 1 < len(toks):
                stdout = toks[j + 1]
            tolerated = "|| true" in line
            try:
                argv = [expand(a, env) for a in argv]
            except KeyError as e:
                check(False, "%s %s: 'sparkflash %s' uses $%s, which the job does not set" % (f, job, " ".join(argv), e.args[0]))
                continue
            cmds.append((f, job, "1" if tolerated else "0", stdout or "-", shlex.join(argv)))

with open(out + "/cmds", "w") as fh:
    for c in cmds:
        fh.write("\t".join(c) + "\n")

arts = []
try:
    arts = [l.rstrip("\n").split("\t") for l in open(out + "/artefacts")]
except FileNotFoundError:
    open(out + "/artefacts", "w").close()
for f in blocks:
    flashes = [c for c in cmds if c[0] == f and shlex.split(c[4])[:1] == ["flash"]]
    check(flashes, "%s: a sparkflash flash command" % f)
    for c in flashes:
        argv = shlex.split(c[4])
        missing = [o for o in ("--all", "--count", "--wait", "--retries", "--deadline", "--json", "--log")
                   if o not in argv]
        check(not missing and c[3] != "-", "%s %s: the flash has --all --count --wait --retries --deadline "
              "--json (to a file) --log%s" % (f, c[1], " (missing %s)" % missing if missing else ""))
        kept = {a[2].strip().rstrip("/") for a in arts if a[0] == f and a[1] == c[1]}
        check({"logs", "flash.ndjson"} <= kept, "%s %s: the logs and the JSON are kept as artefacts: %s"
              % (f, c[1], sorted(kept)))
check(re.search(r"udevadm control --reload-rules", blocks.get(gh[0], "") if gh else "") is not None and
      any(shlex.split(c[4])[:2] == ["udev", "install"] for c in cmds if gh and c[0] == gh[0]),
      "the GitHub job has a udev step (udev install, udevadm reload)")
print("# %d sparkflash commands" % len(cmds))
with open(out + "/ntap", "w") as fh:
    fh.write("%d %d\n" % (n, 1 if failed else 0))
PY
read -r _tap_n pyfailed <"$T/ntap"
_tap_failed=$pyfailed

for s in B1 B2 B3 B4; do sim add core --serial "$s" --path "1-${s#B}"; done
SPARKFLASH_SIM=$SIM
HOME=$T/home
export SPARKFLASH_SIM HOME
unset PARTICLE_ACCESS_TOKEN PARTICLE_API_URL
mkdir -p "$HOME" "$T/rules"
tab=$(printf '\t')

# make_inputs: the firmware files a command names, made up (3001 bytes)
make_inputs() {
	for a in "$@"; do
		case $a in *.bin) [ -e "$a" ] || { mkdir -p "$(dirname "$a")"; rand_file "$a" 3001 7; } ;; esac
	done
}
# extra ARGS: what a command needs here besides --dry-run (a rules dir we own)
extra() { if [ "$1" = udev ] && [ "$2" = install ]; then echo "--rules-dir $T/rules"; fi; }

# --- every command with --dry-run ---
n=0
while IFS=$tab read -r file job tolerated stdout args; do
	n=$((n + 1))
	w=$T/dry$n
	mkdir -p "$w"
	eval "set -- $args"
	(cd "$w" && make_inputs "$@" && timeout -k 5 60 "$SPARKFLASH" "$@" $(extra "$@") --dry-run >"$T/out" 2>"$T/err")
	rc=$?
	expect_rc "$file $job: sparkflash $args --dry-run" 0
done <"$T/cmds"

# --- each job's commands for real, in order, in a fresh directory ---
for job in $(cut -f1,2 "$T/cmds" | sort -u | tr '\t' '|'); do
	file=${job%%|*}
	name=${job#*|}
	w=$T/job-$(echo "$job" | tr -c 'A-Za-z0-9\n' '_')
	mkdir -p "$w"
	for s in B1 B2 B3 B4; do sim reset "$s"; done
	while IFS=$tab read -r f j tolerated stdout args; do
		[ "$f" = "$file" ] && [ "$j" = "$name" ] || continue
		eval "set -- $args"
		[ "$stdout" != - ] || stdout=$T/out
		(cd "$w" && make_inputs "$@" && timeout -k 5 120 "$SPARKFLASH" "$@" $(extra "$@") >"$stdout" 2>"$T/err")
		rc=$?
		if [ "$tolerated" = 1 ]; then ok "$file $name: sparkflash $args ran (exit $rc; the job goes on)"; else
			expect_rc "$file $name: sparkflash $args" 0; fi
		if [ "$1" = flash ]; then
			log=$(printf '%s\n' "$args" | sed -n 's/.*--log \([^ ]*\).*/\1/p')
			out=$w/$stdout
			python3 - "$out" <<'PY' && ok "$file $name: the summary says 4 boards flashed" || not_ok "$file $name: summary"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
s = [e for e in ev if e["event"] == "summary"]
assert len(s) == 1 and s[0]["succeeded"] == 4 and s[0]["failed"] == 0, s
assert sorted(e["serial"] for e in ev if e["event"] == "result") == ["B1", "B2", "B3", "B4"]
PY
			nlogs=$(ls "$w/$log"/*.log 2>/dev/null | wc -l)
			is "$file $name: one log per board in $log/" "$nlogs" 4
			bad=0
			for l in "$w/$log"/*.log; do "$SPARKFLASH" diagnose "$l" >/dev/null 2>&1 || bad=$((bad + 1)); done
			is "$file $name: diagnose judges every board's log a success" "$bad" 0
		fi
	done <"$T/cmds"
	while IFS=$tab read -r f j path; do
		[ "$f" = "$file" ] || continue
		[ "$j" = "$name" ] || continue
		if [ -e "$w/$path" ]; then ok "$file $name: artefact $path is there"; else not_ok "$file $name: artefact $path is there"; fi
	done <"$T/artefacts"
done

plan "$_tap_n"
done_testing
