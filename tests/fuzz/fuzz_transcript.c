/* Transcripts as `diagnose` reads them (pasted logs, --log files, marked
 * fixtures), through the judge, with and without a device profile: the
 * verdict always agrees with the exit code and every text is clean. */
#include <config.h>

#include "diag.h"
#include "fuzz.h"
#include "tlog.h"

static sf_profile core;
static bool have_core;

/* A Core profile for the judge's context (its maps and protected ranges). */
static void load_core(void)
{
	static const char json[] =
		"{\"schema\":1,\"id\":\"core\",\"name\":\"Spark Core\",\"platform_id\":0,"
		"\"usb\":{\"dfu\":\"1d50:607f\",\"runtime\":\"1d50:607d\"},"
		"\"alts\":[{\"alt\":0,\"layout\":\"@Internal Flash  /0x08000000/20*001Ka,108*001Kg\"},"
		"{\"alt\":1,\"layout\":\"@SPI Flash : SST25x/0x00000000/512*04Kg\"}],"
		"\"segments\":{\"userFirmware\":{\"alt\":0,\"address\":\"0x08005000\",\"size\":\"0x1B000\",\"leave\":true}},"
		"\"bootloader\":{\"protected\":[{\"alt\":0,\"start\":\"0x08000000\",\"end\":\"0x08005000\"}]}}";
	sf_err err;
	if (!have_core && sf_profile_parse(json, sizeof json - 1, "core", &core, &err) == 0)
		have_core = true;
}

static void judge(const sf_transcript *t, const sf_diag_context *ctx)
{
	sf_diag_result r;
	if (sf_diagnose(t, ctx, &r))
		return;
	FUZZ_ASSERT((r.verdict == SF_VERDICT_FAILURE || r.verdict == SF_VERDICT_INTERRUPTED) == (r.exit_code != 0));
	FUZZ_ASSERT(r.decisive_run <= r.runs);
	for (size_t i = 0; i < r.n; i++) {
		const sf_diagnosis *d = &r.items[i];
		FUZZ_ASSERT(sf_diag_lookup(d->id) != NULL);
		FUZZ_ASSERT(d->summary && d->explanation && d->fix);
		if (i)
			FUZZ_ASSERT(r.items[i - 1].severity >= d->severity);
		for (const char *p = d->summary; *p; p++)
			FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
		for (size_t k = 0; k < d->nevidence; k++)
			for (const char *p = d->evidence[k].text; *p; p++)
				FUZZ_ASSERT(((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f) || *p == '\t');
	}
	sf_diag_result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sf_transcript t = { 0 };
	sf_err err;
	sf_diag_context ctx = { 0 };
	uint16_t ids[8][2];
	load_core();
	if (sf_tlog_parse((const char *)data, size, &t, &err) == SF_EXIT_INTERNAL)
		abort();
	FUZZ_ASSERT(sf_diag_transcript_ids(&t, ids, 8) <= 8);
	judge(&t, NULL);
	if (have_core) {
		sf_diag_context_profile(&ctx, &core);
		ctx.os = size & 1 ? "windows" : "linux";
		judge(&t, &ctx);
	}
	sf_transcript_free(&t);
	return 0;
}
