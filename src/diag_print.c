#include <config.h>

#include <stdio.h>
#include <string.h>

#include "diag_host.h"
#include "diag_print.h"
#include "out.h"
#include "sf_error.h"

json_t *sf_diag_json(const sf_diagnosis *d)
{
	json_t *o = json_object();
	json_t *ev = json_array();
	json_object_set_new(o, "id", json_string(d->id));
	json_object_set_new(o, "severity", json_string(sf_diag_severity_name(d->severity)));
	json_object_set_new(o, "exit_code", json_integer(d->exit_code));
	json_object_set_new(o, "summary", json_string(d->summary ? d->summary : ""));
	json_object_set_new(o, "explanation", json_string(d->explanation ? d->explanation : ""));
	json_object_set_new(o, "fix", json_string(d->fix ? d->fix : ""));
	if (d->status >= 0)
		json_object_set_new(o, "status", json_integer(d->status));
	if (d->status_name)
		json_object_set_new(o, "status_name", json_string(d->status_name));
	for (size_t i = 0; i < d->nevidence; i++)
		json_array_append_new(ev, json_pack("{s:I, s:s}", "line", (json_int_t)d->evidence[i].line + 1,
						    "text", d->evidence[i].text ? d->evidence[i].text : ""));
	json_object_set_new(o, "evidence", ev);
	return o;
}

static void wrap(FILE *f, const char *lead, const char *text)
{
	/* keep it simple: one line, terminals wrap */
	fprintf(f, "  %s%s\n", lead, text ? text : "");
}

/* " (run 2 of 3, from line 14)": which run of a multi-run log was judged */
static const char *run_note(const sf_diag_result *r)
{
	static char buf[80];
	snprintf(buf, sizeof buf, "; judged run %zu of %zu, from line %zu", r->decisive_run, r->runs,
		 r->run_first_line);
	return buf;
}

static void print_to(const sf_ctx *ctx, const sf_diag_result *r, bool result, FILE *human)
{
	bool json = ctx && ctx->json;
	bool quiet = ctx && ctx->quiet;

	for (size_t i = 0; i < r->n; i++) {
		const sf_diagnosis *d = &r->items[i];
		if (json)
			sf_out_event(ctx, "diagnosis", sf_diag_json(d));
		if (quiet && d->severity != SF_DIAG_ERROR)
			continue;
		fprintf(human, "%s (%s): %s\n", d->id, sf_diag_severity_name(d->severity), d->summary);
		if (!quiet)
			wrap(human, "", d->explanation);
		wrap(human, "fix: ", d->fix);
		for (size_t k = 0; !quiet && k < d->nevidence; k++)
			fprintf(human, "  > %zu| %s\n", d->evidence[k].line + 1, d->evidence[k].text);
	}
	if (result) {
		if (json) {
			json_t *ids = json_array();
			for (size_t i = 0; i < r->n; i++)
				json_array_append_new(ids, json_string(r->items[i].id));
			sf_out_event(ctx, "result",
				     json_pack("{s:s, s:i, s:o, s:s?, s:I, s:I}", "verdict", sf_diag_verdict_name(r->verdict),
					       "exit_code", r->exit_code, "diagnoses", ids, "dfu_util_version",
					       r->version[0] ? r->version : NULL, "runs", (json_int_t)r->runs,
					       "decisive_run", (json_int_t)r->decisive_run));
		}
		if (r->verdict == SF_VERDICT_FAILURE || r->verdict == SF_VERDICT_INTERRUPTED)
			fprintf(human, "result: %s, exit %d (%s)%s\n", sf_diag_verdict_name(r->verdict), r->exit_code,
				sf_exit_name(r->exit_code), r->runs > 1 ? run_note(r) : "");
		else if (!quiet)
			fprintf(human, "result: %s%s%s%s\n", sf_diag_verdict_name(r->verdict),
				r->version[0] ? " (dfu-util " : "", r->version, r->version[0] ? ")" : "");
	}
	fflush(human);
}

void sf_diag_print(const sf_ctx *ctx, const sf_diag_result *r, bool result)
{
	print_to(ctx, r, result, ctx && ctx->json ? stderr : stdout);
}

int sf_diag_live(const sf_ctx *ctx, const sf_profile *p, const sf_transcript *t, sf_diag_result *out)
{
	sf_diag_context dctx = { 0 };
	sf_diag_result res = { 0 };
	uint16_t ids[SF_DIAG_MAX_RULES][2];
	size_t nids, all, shown = 0;
	int code;

	sf_diag_context_profile(&dctx, p);
	nids = sf_diag_transcript_ids(t, ids, SF_DIAG_MAX_RULES);
	/* Simulated devices are not on this host's bus: its facts would mislead. */
	if (!ctx || !ctx->sim_dir)
		sf_diag_host_facts(&dctx, (const uint16_t (*)[2])ids, nids, NULL);
	if (sf_diagnose(t, &dctx, &res))
		return SF_EXIT_INTERNAL;
	/* Items come errors, warnings, info: show only the first two kinds. */
	all = res.n;
	while (shown < all && res.items[shown].severity != SF_DIAG_INFO)
		shown++;
	res.n = shown;
	/* The command's own output owns stdout; explanations of a failure go
	 * with its error message. */
	if (shown)
		print_to(ctx, &res, false, stderr);
	res.n = all;
	code = res.exit_code;
	if (out)
		*out = res;
	else
		sf_diag_result_free(&res);
	return code;
}
