#include <config.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clidoc.h"
#include "commands.h"
#include "diag.h"
#include "profile_io.h"
#include "sf_error.h"

#ifndef SF_APPSDIR
#define SF_APPSDIR "/usr/local/share/sparkflash/apps"
#endif
#ifndef SF_PROFILEDIR
#define SF_PROFILEDIR "/usr/local/share/sparkflash/profiles"
#endif

/* ---- what the table says about options ----------------------------------- */

/* How a shell completes an option's value. */
enum value_kind { V_NONE, V_PROFILE, V_SEGMENT, V_FILE, V_DIR, V_WORDS };

static const struct {
	const char *name;
	enum value_kind kind;
	const char *words;
} value_kinds[] = {
	{ "profile", V_PROFILE, NULL },
	{ "segment", V_SEGMENT, NULL },
	{ "allow-protected", V_SEGMENT, NULL },
	{ "profiles-dir", V_DIR, NULL },
	{ "sim", V_DIR, NULL },
	{ "backup", V_DIR, NULL },
	{ "apps-dir", V_DIR, NULL },
	{ "rules-dir", V_DIR, NULL },
	{ "log", V_FILE, NULL },
	{ "dfu-util", V_FILE, NULL },
	{ "cacert", V_FILE, NULL },
	{ "protocol", V_WORDS, "tcp udp" },
	{ "mode", V_WORDS, "dfu runtime" },
	{ "timing", V_WORDS, "fast real" },
	{ "refused", V_WORDS, "silent stall status" },
};

static enum value_kind value_kind(const char *name, const char **words)
{
	*words = NULL;
	for (size_t i = 0; i < sizeof value_kinds / sizeof value_kinds[0]; i++)
		if (!strcmp(value_kinds[i].name, name)) {
			*words = value_kinds[i].words;
			return value_kinds[i].kind;
		}
	return V_NONE;
}

/* Every option of a command (its own tables, each name once), in order. */
static size_t command_options(const struct sf_command *c, const struct option **out, size_t max)
{
	size_t n = 0;
	for (size_t t = 0; c->options && c->options[t]; t++)
		for (const struct option *o = c->options[t]; o->name; o++) {
			bool dup = false;
			for (size_t k = 0; k < n; k++)
				if (!strcmp(out[k]->name, o->name))
					dup = true;
			if (!dup && n < max)
				out[n++] = o;
		}
	return n;
}

/* The placeholder the command's text uses after "--NAME " ("FILE",
 * "NAME|PATH", "tcp|udp"), else "VALUE". */
static void arg_hint(const struct sf_command *c, const char *name, char *buf, size_t size)
{
	const char *texts[] = { c->usage, c->help };
	char key[80];
	snprintf(key, sizeof key, "--%s ", name);
	for (size_t t = 0; t < 2; t++) {
		const char *p = texts[t];
		while (p && (p = strstr(p, key))) {
			const char *w = p + strlen(key);
			size_t n = 0;
			bool upper = false, bar = false;
			while (w[n] && (isalnum((unsigned char)w[n]) || strchr("|_.-", w[n]))) {
				upper |= isupper((unsigned char)w[n]) != 0;
				bar |= w[n] == '|';
				n++;
			}
			/* a value the text names: an upper-case word or a choice */
			if (n && (upper || bar) && (isupper((unsigned char)w[0]) || bar)) {
				snprintf(buf, size, "%.*s", (int)n, w);
				return;
			}
			p += strlen(key);
		}
	}
	snprintf(buf, size, "VALUE");
}

/* ---- the man page ---------------------------------------------------------- */

/* Text for roff: backslashes and hyphens escaped, a line starting with a
 * control character protected. */
static void roff(FILE *f, const char *s, size_t n)
{
	bool bol = true;
	for (size_t i = 0; i < n && s[i]; i++) {
		char ch = s[i];
		if (bol && (ch == '.' || ch == '\''))
			fputs("\\&", f);
		bol = ch == '\n';
		if (ch == '\\')
			fputs("\\e", f);
		else if (ch == '-')
			fputs("\\-", f);
		else
			fputc(ch, f);
	}
}

static void roff_s(FILE *f, const char *s)
{
	roff(f, s, strlen(s));
}

/* A path, with a break point after each '/': an install prefix can be
 * longer than a line (roff would warn that it cannot adjust it). */
static void roff_path(FILE *f, const char *s)
{
	const char *slash;
	while ((slash = strchr(s, '/')) != NULL) {
		roff(f, s, (size_t)(slash - s) + 1);
		fputs("\\:", f);
		s = slash + 1;
	}
	roff_s(f, s);
}

/* A preformatted block (the help texts are laid out for a terminal). */
static void roff_block(FILE *f, const char *s)
{
	size_t n = strlen(s);
	if (!n)
		return;
	fputs(".nf\n", f);
	roff(f, s, n);
	if (s[n - 1] != '\n')
		fputc('\n', f);
	fputs(".fi\n", f);
}

static const struct {
	const char *name;
	const char *meaning;
} environment[] = {
	{ "SPARKFLASH_PROFILES", "colon-separated profile directories, searched after --profiles-dir and before the built-in one" },
	{ "SPARKFLASH_APPS", "colon-separated directories of named apps (flash --usb tinker), searched after --apps-dir and before the installed one" },
	{ "SPARKFLASH_SIM", "use the simulated devices in this directory (as --sim)" },
	{ "SPARKFLASH_SIM_LIB", "the simulator library (libsfsim.so) that sim exec and --sim preload into dfu-util" },
	{ "SPARKFLASH_PROGRESS", "1: show waits and progress as on a terminal" },
	{ "DFU_UTIL", "the dfu-util binary (as --dfu-util)" },
	{ "PARTICLE_ACCESS_TOKEN", "the cloud token (never taken from the command line)" },
	{ "PARTICLE_API_URL", "the cloud API base URL (as --api-url)" },
	{ "TMPDIR", "where private copies of images and key files go (always removed)" },
	{ "HOME", "~/.particle/<profile>.config.json and ~/.spark/spark.config.json hold the cloud login" },
};

static void man_page(FILE *f)
{
	const struct sf_command *cmds = sf_command_table();
	const sf_diag_info *cat;
	size_t ncat, nexit;

	fputs(".\\\" Generated by 'sparkflash --dump-cli man' from the command table\n"
	      ".\\\" (src/main.c, src/cli.c, src/sf_error.c, src/diag.c); do not edit.\n", f);
	fprintf(f, ".TH SPARKFLASH 1 \"\" \"sparkflash %s\" \"User Commands\"\n", PACKAGE_VERSION);
	fputs(".SH NAME\nsparkflash \\- flash Spark/Particle and other DfuSe devices through dfu\\-util, "
	      "checked against a device profile\n", f);
	fputs(".SH SYNOPSIS\n.B sparkflash\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]\n", f);
	fputs(".br\n.B sparkflash help\n[\\fICOMMAND\\fR]\n", f);
	fputs(".SH DESCRIPTION\n"
	      "sparkflash flashes Spark and Particle devices (and any DfuSe device it has a profile for) "
	      "over USB by driving the external \\fBdfu\\-util\\fR(1), and over the air through the "
	      "Particle Cloud. Every USB operation is checked against a JSON device profile before any "
	      "USB traffic, turned into an exact dfu\\-util argument vector (never a shell), and "
	      "dfu\\-util's output is judged: the exit status and the diagnosis ids below.\n"
	      ".PP\n"
	      "The README that comes with sparkflash explains every rule at length.\n", f);

	fputs(".SH COMMANDS\n", f);
	for (const struct sf_command *c = cmds; c->name; c++) {
		const struct option *opts[96];
		size_t n;
		if (c->hidden)
			continue;
		fputs(".SS \"", f);
		roff_s(f, c->name);
		fputs("\"\n", f);
		roff_s(f, c->summary);
		fputs(".\n.PP\n", f);
		roff_block(f, c->usage);
		if (c->help) {
			fputs(".PP\n", f);
			roff_block(f, c->help);
		}
		n = command_options(c, opts, sizeof opts / sizeof opts[0]);
		if (n) {
			fputs(".PP\nOptions of ", f);
			roff_s(f, c->name);
			fputs(" besides the common ones:\n", f);
			for (size_t i = 0; i < n; i++) {
				char hint[64];
				fputs(i ? ",\n\\fB\\-\\-" : "\n\\fB\\-\\-", f);
				roff_s(f, opts[i]->name);
				fputs("\\fR", f);
				if (opts[i]->has_arg == required_argument) {
					arg_hint(c, opts[i]->name, hint, sizeof hint);
					fputs(" \\fI", f);
					roff_s(f, hint);
					fputs("\\fR", f);
				}
			}
			fputs("\n", f);
		}
	}

	fputs(".SH COMMON OPTIONS\n"
	      "Every command takes these, before or after the command word (\\-\\-version only before it).\n", f);
	for (const sf_optdoc *d = sf_cli_optdocs(); d->name; d++) {
		fputs(".TP\n", f);
		if (d->short_name)
			fprintf(f, "\\fB\\-%c\\fR, ", d->short_name);
		fputs("\\fB\\-\\-", f);
		roff_s(f, d->name);
		fputs("\\fR", f);
		if (d->arg) {
			fputs(" \\fI", f);
			roff_s(f, d->arg);
			fputs("\\fR", f);
		}
		fputs("\n", f);
		for (const char *h = d->help; *h;) {
			size_t n = strcspn(h, "\n");
			roff(f, h, n);
			h += n;
			if (*h) {
				fputc(' ', f);
				h++;
			}
		}
		fputs("\n", f);
	}

	fputs(".SH OPTION SYNTAX\n"
	      "Long options are spelled out in full: sparkflash never takes an abbreviation, not even "
	      "one that names a single option today (\\fB\\-\\-all\\fR must never turn into "
	      "\\fB\\-\\-allow\\-protected\\fR when an option is added), and a mistyped option or command "
	      "is refused (exit 2) with the names it probably meant. A value goes in the next word or "
	      "after '='; an empty value is a usage error. \\fB\\-\\-\\fR ends the options.\n"
	      ".PP\n"
	      "A file argument '\\-' is standard input for \\fBflash\\fR, \\fBkeys load\\fR and "
	      "\\fBinspect\\fR (read whole into memory, at most 16 MiB) and standard output for "
	      "\\fBread\\fR and \\fBkeys save\\fR (also /dev/stdout; not with \\-\\-json, whose events own "
	      "standard output, and not to a terminal). Write ./\\- for a file named '\\-'.\n", f);

	fputs(".SH EXIT STATUS\n", f);
	nexit = sf_exit_docs(0, &(int){ 0 }, &(const char *){ NULL }, &(const char *){ NULL });
	for (size_t i = 0; i < nexit; i++) {
		int code;
		const char *brief, *meaning;
		sf_exit_docs(i, &code, &brief, &meaning);
		fprintf(f, ".TP\n.B %d\n", code);
		if (code < SF_EXIT_SIGNAL_BASE) {
			fputs("(\\fB", f);
			roff_s(f, sf_exit_name(code));
			fputs("\\fR) ", f);
		}
		roff_s(f, meaning);
		fputs("\n", f);
	}

	fputs(".SH DIAGNOSIS IDS\n"
	      "Every dfu\\-util run is judged once; the verdict names these ids (JSON: \"diagnoses\"), "
	      "and \\fBsparkflash diagnose\\fR finds the same ones in a saved log. The ids never change.\n",
	      f);
	cat = sf_diag_catalogue(&ncat);
	for (size_t i = 0; i < ncat; i++) {
		fputs(".TP\n.B ", f);
		roff_s(f, cat[i].id);
		fprintf(f, "\n(%s", sf_diag_severity_name(cat[i].severity));
		if (cat[i].exit_code)
			fprintf(f, ", exit %d", cat[i].exit_code);
		fputs(") ", f);
		roff_s(f, cat[i].title);
		fputs("\n", f);
	}

	fputs(".SH ENVIRONMENT\n", f);
	for (size_t i = 0; i < sizeof environment / sizeof environment[0]; i++) {
		fputs(".TP\n.B ", f);
		roff_s(f, environment[i].name);
		fputs("\n", f);
		roff_s(f, environment[i].meaning);
		fputs("\n", f);
	}
	/* left-adjusted: a long install prefix breaks at its slashes */
	fputs(".SH FILES\n.ad l\n.TP\n.I ", f);
	roff_path(f, SF_PROFILEDIR);
	fputs("\nthe built\\-in device profiles\n.TP\n.I ", f);
	roff_path(f, SF_APPSDIR);
	fputs("\nnamed apps: \\fIPROFILE\\fR/\\fINAME\\fR.bin (sparkflash ships none; put spark\\-cli's "
	      "binaries there, e.g. photon/tinker.bin)\n"
	      ".TP\n.I ~/.particle/<profile>.config.json\n"
	      "the cloud login (mode 0600), as particle\\-cli keeps it\n", f);
	fputs(".SH SEE ALSO\n.BR dfu\\-util (1)\n", f);
}

/* ---- shell completions ------------------------------------------------------ */

/* "--a --b" of a command (its own options), or of the common ones. */
static void option_words(FILE *f, const struct sf_command *c)
{
	const struct option *opts[96];
	size_t n;
	if (!c) {
		bool first = true;
		for (const sf_optdoc *d = sf_cli_optdocs(); d->name; d++) {
			if (d->global_only)
				continue;
			fprintf(f, "%s--%s", first ? "" : " ", d->name);
			first = false;
		}
		return;
	}
	n = command_options(c, opts, sizeof opts / sizeof opts[0]);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s--%s", i ? " " : "", opts[i]->name);
}

/* Every option that takes a value and whose value is completed as `want`
 * (with these words): "--a|--b", or "--no-such-option-here" when there is
 * none (a case pattern that never matches). Returns whether there was one. */
static bool valued_pattern(FILE *f, enum value_kind want, const char *words_want)
{
	const struct sf_command *cmds = sf_command_table();
	const char *seen[256];
	size_t nseen = 0;
	const struct option *common = sf_cli_common_options();

	for (const struct sf_command *c = NULL;; c = c ? c + 1 : cmds) {
		const struct option *opts[96];
		size_t n = 0;
		if (c && !c->name)
			break;
		if (!c) {
			for (const struct option *o = common; o->name && n < 96; o++)
				opts[n++] = o;
		} else {
			n = command_options(c, opts, sizeof opts / sizeof opts[0]);
		}
		for (size_t i = 0; i < n; i++) {
			const char *w;
			bool dup = false;
			if (opts[i]->has_arg != required_argument || value_kind(opts[i]->name, &w) != want ||
			    (words_want && (!w || strcmp(w, words_want))))
				continue;
			for (size_t k = 0; k < nseen; k++)
				if (!strcmp(seen[k], opts[i]->name))
					dup = true;
			if (dup || nseen >= sizeof seen / sizeof seen[0])
				continue;
			fprintf(f, "%s--%s", nseen ? "|" : "", opts[i]->name);
			seen[nseen++] = opts[i]->name;
		}
	}
	if (!nseen)
		fputs("--no-such-option-here", f);
	return nseen > 0;
}

static void command_words(FILE *f)
{
	bool first = true;
	for (const struct sf_command *c = sf_command_table(); c->name; c++) {
		if (c->hidden)
			continue;
		fprintf(f, "%s%s", first ? "" : " ", c->name);
		first = false;
	}
}

/* The case arms that pick a value's completion (bash and zsh share the
 * pattern syntax); `emit` writes the action for a kind. */
static void value_cases(FILE *f, const char *indent, void (*emit)(FILE *, enum value_kind, const char *))
{
	static const enum value_kind kinds[] = { V_PROFILE, V_SEGMENT, V_DIR, V_FILE };
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		fputs(indent, f);
		valued_pattern(f, kinds[k], NULL);
		fputs(")\n", f);
		emit(f, kinds[k], NULL);
		fprintf(f, "%s\t;;\n", indent);
	}
	for (size_t i = 0; i < sizeof value_kinds / sizeof value_kinds[0]; i++) {
		bool dup = false;
		if (value_kinds[i].kind != V_WORDS)
			continue;
		for (size_t j = 0; j < i; j++)
			if (value_kinds[j].kind == V_WORDS && !strcmp(value_kinds[j].words, value_kinds[i].words))
				dup = true;
		if (dup)
			continue;
		fputs(indent, f);
		valued_pattern(f, V_WORDS, value_kinds[i].words);
		fputs(")\n", f);
		emit(f, V_WORDS, value_kinds[i].words);
		fprintf(f, "%s\t;;\n", indent);
	}
	/* every other option with a value: nothing to offer */
	fputs(indent, f);
	valued_pattern(f, V_NONE, NULL);
	fprintf(f, ")\n%s\treturn 0\n%s\t;;\n", indent, indent);
}

static void bash_emit(FILE *f, enum value_kind k, const char *words)
{
	switch (k) {
	case V_PROFILE:
		fputs("\t\t_sparkflash_reply \"$(_sparkflash_words \"$sf\" profiles)\"; return 0\n", f);
		break;
	case V_SEGMENT:
		fputs("\t\t_sparkflash_reply \"$(_sparkflash_words \"$sf\" segments \"$profile\")\"; return 0\n", f);
		break;
	case V_DIR:
		fputs("\t\tcompopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- \"$cur\")); return 0\n", f);
		break;
	case V_FILE:
		fputs("\t\tcompopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")); return 0\n", f);
		break;
	case V_WORDS:
		fprintf(f, "\t\t_sparkflash_reply \"%s\"; return 0\n", words);
		break;
	default:
		break;
	}
}

static void bash_script(FILE *f)
{
	const struct sf_command *cmds = sf_command_table();

	fputs("# bash completion for sparkflash\n"
	      "# Generated by 'sparkflash --dump-cli bash' from the command table; do not edit.\n"
	      "\n"
	      "# words the installed sparkflash knows at run time (profiles, segments)\n"
	      "_sparkflash_words()\n{\n"
	      "\tcommand \"$1\" __complete \"$2\" ${3:+\"$3\"} 2>/dev/null\n}\n\n"
	      "_sparkflash_reply()\n{\n"
	      "\tlocal IFS=$' \\t\\n'\n"
	      "\tCOMPREPLY=($(compgen -W \"$1\" -- \"$cur\"))\n}\n\n"
	      "_sparkflash()\n{\n"
	      "\tlocal cur prev sf cmd= sub= profile= npos=0 i w\n"
	      "\tcur=${COMP_WORDS[COMP_CWORD]}\n"
	      "\tprev=${COMP_WORDS[COMP_CWORD-1]}\n"
	      "\tsf=${COMP_WORDS[0]}\n"
	      "\t# --opt=VALUE: bash splits it at '='\n"
	      "\tif [[ $cur == = ]]; then\n"
	      "\t\tprev=${COMP_WORDS[COMP_CWORD-1]}; cur=\n"
	      "\telif [[ $prev == = && COMP_CWORD -ge 2 ]]; then\n"
	      "\t\tprev=${COMP_WORDS[COMP_CWORD-2]}\n"
	      "\tfi\n"
	      "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	      "\t\tw=${COMP_WORDS[i]}\n"
	      "\t\tcase $w in\n"
	      "\t\t--profile)\n"
	      "\t\t\tprofile=${COMP_WORDS[i+1]}\n"
	      "\t\t\t[[ $profile == = ]] && { profile=${COMP_WORDS[i+2]}; ((i++)); }\n"
	      "\t\t\t((i++)) ;;\n"
	      "\t\t", f);
	/* every option with a value skips it */
	{
		static const enum value_kind kinds[] = { V_SEGMENT, V_DIR, V_FILE, V_WORDS, V_NONE };
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
			if (k)
				fputs("|", f);
			valued_pattern(f, kinds[k], NULL);
		}
	}
	fputs(")\n"
	      "\t\t\t[[ ${COMP_WORDS[i+1]} == = ]] && ((i++))\n"
	      "\t\t\t((i++)) ;;\n"
	      "\t\t--profile=*) profile=${w#--profile=} ;;\n"
	      "\t\t--) ;;\n"
	      "\t\t-*) ;;\n"
	      "\t\t=) ;;\n"
	      "\t\t*)\n"
	      "\t\t\tif [[ -z $cmd ]]; then cmd=$w\n"
	      "\t\t\telse\n"
	      "\t\t\t\t[[ -z $sub ]] && sub=$w\n"
	      "\t\t\t\t((npos++))\n"
	      "\t\t\tfi ;;\n"
	      "\t\tesac\n"
	      "\tdone\n"
	      "\tcase $prev in\n", f);
	value_cases(f, "\t", bash_emit);
	fputs("\tesac\n"
	      "\tif [[ -z $cmd ]]; then\n"
	      "\t\tif [[ $cur == -* ]]; then\n"
	      "\t\t\t_sparkflash_reply \"", f);
	option_words(f, NULL);
	fputs(" --version\"\n"
	      "\t\telse\n"
	      "\t\t\t_sparkflash_reply \"", f);
	command_words(f);
	fputs("\"\n"
	      "\t\tfi\n"
	      "\t\treturn 0\n"
	      "\tfi\n"
	      "\tlocal opts= subs=\n"
	      "\tcase $cmd in\n", f);
	for (const struct sf_command *c = cmds; c->name; c++) {
		if (c->hidden)
			continue;
		fprintf(f, "\t%s)\n\t\topts=\"", c->name);
		option_words(f, c);
		fprintf(f, "\"\n\t\tsubs=\"%s\" ;;\n", c->subcommands ? c->subcommands : "");
	}
	fputs("\t*) return 0 ;;\n"
	      "\tesac\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\t_sparkflash_reply \"$opts ", f);
	option_words(f, NULL);
	fputs("\"\n"
	      "\t\treturn 0\n"
	      "\tfi\n"
	      "\tif [[ -n $subs && $npos -eq 0 ]]; then\n"
	      "\t\t_sparkflash_reply \"$subs\"\n"
	      "\t\treturn 0\n"
	      "\tfi\n"
	      "\tcase $cmd:$npos:$sub in\n"
	      "\thelp:0:*)\n"
	      "\t\t_sparkflash_reply \"", f);
	command_words(f);
	fputs("\"; return 0 ;;\n"
	      "\tread:0:*)\n"
	      "\t\t_sparkflash_reply \"$(_sparkflash_words \"$sf\" segments \"$profile\")\"; return 0 ;;\n"
	      "\tprofiles:1:show|sim:1:add)\n"
	      "\t\t_sparkflash_reply \"$(_sparkflash_words \"$sf\" profiles)\"; return 0 ;;\n"
	      "\tkeys:1:protocol)\n"
	      "\t\t_sparkflash_reply \"tcp udp\"; return 0 ;;\n"
	      "\tesac\n"
	      "\tcompopt -o filenames 2>/dev/null\n"
	      "\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	      "\treturn 0\n"
	      "}\n"
	      "complete -F _sparkflash sparkflash\n", f);
}

static void zsh_emit(FILE *f, enum value_kind k, const char *words)
{
	switch (k) {
	case V_PROFILE:
		fputs("\t\tcompadd -- ${(f)\"$(_sparkflash_words profiles)\"}; return 0\n", f);
		break;
	case V_SEGMENT:
		fputs("\t\tcompadd -- ${(f)\"$(_sparkflash_words segments $profile)\"}; return 0\n", f);
		break;
	case V_DIR:
		fputs("\t\t_files -/; return 0\n", f);
		break;
	case V_FILE:
		fputs("\t\t_files; return 0\n", f);
		break;
	case V_WORDS:
		fprintf(f, "\t\tcompadd -- %s; return 0\n", words);
		break;
	default:
		break;
	}
}

static void zsh_script(FILE *f)
{
	const struct sf_command *cmds = sf_command_table();

	fputs("#compdef sparkflash\n"
	      "# zsh completion for sparkflash\n"
	      "# Generated by 'sparkflash --dump-cli zsh' from the command table; do not edit.\n"
	      "\n"
	      "_sparkflash_words() {\n"
	      "\tcommand ${words[1]} __complete \"$@\" 2>/dev/null\n"
	      "}\n"
	      "\n"
	      "_sparkflash() {\n"
	      "\tlocal cur=${words[CURRENT]} prev=${words[CURRENT-1]} cmd= sub= profile= i w\n"
	      "\tinteger npos=0\n"
	      "\tif [[ $cur == --*=* ]]; then\n"
	      "\t\tprev=${cur%%=*}; cur=${cur#*=}\n"
	      "\t\tcompset -P '*='\n"
	      "\tfi\n"
	      "\tfor (( i = 2; i < CURRENT; i++ )); do\n"
	      "\t\tw=${words[i]}\n"
	      "\t\tcase $w in\n"
	      "\t\t--profile) profile=${words[i+1]}; (( i++ )) ;;\n"
	      "\t\t--profile=*) profile=${w#--profile=} ;;\n"
	      "\t\t", f);
	{
		static const enum value_kind kinds[] = { V_SEGMENT, V_DIR, V_FILE, V_WORDS, V_NONE };
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
			if (k)
				fputs("|", f);
			valued_pattern(f, kinds[k], NULL);
		}
	}
	fputs(") (( i++ )) ;;\n"
	      "\t\t-*) ;;\n"
	      "\t\t*)\n"
	      "\t\t\tif [[ -z $cmd ]]; then cmd=$w\n"
	      "\t\t\telse\n"
	      "\t\t\t\t[[ -z $sub ]] && sub=$w\n"
	      "\t\t\t\t(( npos++ ))\n"
	      "\t\t\tfi ;;\n"
	      "\t\tesac\n"
	      "\tdone\n"
	      "\tcase $prev in\n", f);
	value_cases(f, "\t", zsh_emit);
	fputs("\tesac\n"
	      "\tif [[ -z $cmd ]]; then\n"
	      "\t\tif [[ $cur == -* ]]; then\n"
	      "\t\t\tcompadd -- ", f);
	option_words(f, NULL);
	fputs(" --version\n"
	      "\t\telse\n"
	      "\t\t\tlocal -a cmds\n"
	      "\t\t\tcmds=(\n", f);
	for (const struct sf_command *c = cmds; c->name; c++) {
		const char *s;
		if (c->hidden)
			continue;
		fprintf(f, "\t\t\t\t'%s:", c->name);
		for (s = c->summary; *s; s++) {
			if (*s == '\'')
				fputs("'\\''", f);
			else if (*s == ':')
				fputs("\\:", f);
			else
				fputc(*s, f);
		}
		fputs("'\n", f);
	}
	fputs("\t\t\t)\n"
	      "\t\t\t_describe -t commands 'sparkflash command' cmds\n"
	      "\t\tfi\n"
	      "\t\treturn 0\n"
	      "\tfi\n"
	      "\tlocal opts= subs=\n"
	      "\tcase $cmd in\n", f);
	for (const struct sf_command *c = cmds; c->name; c++) {
		if (c->hidden)
			continue;
		fprintf(f, "\t%s)\n\t\topts=\"", c->name);
		option_words(f, c);
		fprintf(f, "\"\n\t\tsubs=\"%s\" ;;\n", c->subcommands ? c->subcommands : "");
	}
	fputs("\t*) return 0 ;;\n"
	      "\tesac\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tcompadd -- ${=opts} ", f);
	option_words(f, NULL);
	fputs("\n"
	      "\t\treturn 0\n"
	      "\tfi\n"
	      "\tif [[ -n $subs && $npos -eq 0 ]]; then\n"
	      "\t\tcompadd -- ${=subs}\n"
	      "\t\treturn 0\n"
	      "\tfi\n"
	      "\tcase $cmd:$npos:$sub in\n"
	      "\thelp:0:*)\n"
	      "\t\tcompadd -- ", f);
	command_words(f);
	fputs("; return 0 ;;\n"
	      "\tread:0:*)\n"
	      "\t\tcompadd -- ${(f)\"$(_sparkflash_words segments $profile)\"}; return 0 ;;\n"
	      "\tprofiles:1:show|sim:1:add)\n"
	      "\t\tcompadd -- ${(f)\"$(_sparkflash_words profiles)\"}; return 0 ;;\n"
	      "\tkeys:1:protocol)\n"
	      "\t\tcompadd -- tcp udp; return 0 ;;\n"
	      "\tesac\n"
	      "\t_files\n"
	      "}\n"
	      "\n"
	      "_sparkflash \"$@\"\n", f);
}

int sf_clidoc_print(const char *what, FILE *f)
{
	if (!strcmp(what, "man"))
		man_page(f);
	else if (!strcmp(what, "bash"))
		bash_script(f);
	else if (!strcmp(what, "zsh"))
		zsh_script(f);
	else {
		fprintf(stderr, "sparkflash: --dump-cli takes man, bash or zsh, not '%s'\n", what);
		return SF_EXIT_USAGE;
	}
	fflush(f);
	return ferror(f) ? SF_EXIT_INTERNAL : SF_EXIT_OK;
}

/* ---- words at completion time ---------------------------------------------- */

int cmd_complete(sf_ctx *ctx, int argc, char **argv)
{
	sf_profile_path path;
	sf_profile *all = NULL;
	size_t n = 0;
	sf_err err = { 0 };

	if (argc < 2)
		return SF_EXIT_USAGE;
	sf_profile_path_init(&path, ctx->profiles_dirs, ctx->nprofiles_dirs);
	if (!strcmp(argv[1], "segments") && argc > 2 && argv[2][0]) {
		sf_profile p;
		if (sf_profile_find(&path, argv[2], &p, &err))
			return SF_EXIT_OK;
		for (size_t i = 0; i < p.nsegments; i++)
			printf("%s\n", p.segments[i].name);
		sf_profile_free(&p);
		return SF_EXIT_OK;
	}
	if (sf_profile_load_all(&path, &all, &n, &err))
		return SF_EXIT_OK;
	if (!strcmp(argv[1], "profiles")) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", all[i].id);
	} else if (!strcmp(argv[1], "segments")) {
		/* every profile's, each name once */
		for (size_t i = 0; i < n; i++)
			for (size_t s = 0; s < all[i].nsegments; s++) {
				bool seen = false;
				for (size_t j = 0; j <= i && !seen; j++)
					for (size_t t = 0; t < all[j].nsegments && !seen; t++)
						if ((j < i || t < s) &&
						    !strcmp(all[j].segments[t].name, all[i].segments[s].name))
							seen = true;
				if (!seen)
					printf("%s\n", all[i].segments[s].name);
			}
	}
	sf_profile_free_all(all, n);
	return SF_EXIT_OK;
}
