/* Text that reaches JSON and terminals: UTF-8 repair and the terminal
 * filter, whole and split at any point. */
#include <config.h>

#include "fuzz.h"
#include "jsontext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	char *out = malloc(size + 8), *out2 = malloc(size + 8);
	sf_term_state a = { 0 }, b = { 0 };
	size_t n, m, cut = size ? data[0] % (size + 1) : 0;
	json_t *j;
	if (!out || !out2)
		abort();
	(void)sf_utf8_sanitize(s, out, size + 1);
	j = sf_json_text(s);
	FUZZ_ASSERT(j != NULL);
	json_decref(j);
	/* whole, and in two pieces: the same bytes come out */
	n = sf_term_filter(&a, (const char *)data, size, out);
	n += sf_term_filter(&a, NULL, 0, out + n);
	m = sf_term_filter(&b, (const char *)data, cut, out2);
	m += sf_term_filter(&b, (const char *)data + cut, size - cut, out2 + m);
	m += sf_term_filter(&b, NULL, 0, out2 + m);
	FUZZ_ASSERT(n == m && !memcmp(out, out2, n));
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];
		FUZZ_ASSERT(c >= 0x20 || c == '\t' || c == '\n' || c == '\r');
		FUZZ_ASSERT(c != 0x7f);
	}
	free(out);
	free(out2);
	free(s);
	return 0;
}
