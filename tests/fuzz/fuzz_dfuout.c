/* dfu-util's output, line by line and as a whole `-l` listing. */
#include <config.h>

#include "dfuout.h"
#include "fuzz.h"
#include "transcript.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sf_transcript t = { 0 };
	sf_dfu_list list = { 0 };
	sf_dfu_line *l = malloc(sizeof *l);
	if (!l)
		abort();
	if (!sf_transcript_add_text(&t, size && (data[0] & 1) ? SF_STREAM_STDERR : SF_STREAM_STDOUT,
				    (const char *)data, size))
		abort();
	for (size_t i = 0; i < t.n; i++) {
		sf_dfu_line_kind k = sf_dfu_classify(t.lines[i].text, l);
		FUZZ_ASSERT(k == l->kind);
		if (k == SF_DLINE_PROGRESS)
			FUZZ_ASSERT(l->percent >= 0 && l->percent <= 100);
		(void)sf_dfu_strip_prefix(t.lines[i].text);
	}
	if (sf_dfu_parse_list(&t, &list)) {
		for (size_t i = 0; i < list.n; i++)
			for (size_t k = 1; k < list.devs[i].nalts; k++)
				FUZZ_ASSERT(list.devs[i].alts[k - 1].alt < list.devs[i].alts[k].alt);
		sf_dfu_list_free(&list);
	}
	sf_transcript_free(&t);
	free(l);
	return 0;
}
