/* Shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c, built with
 * `configure --enable-fuzz`, run by scripts/fuzz). Each harness feeds one
 * parser or pure decision function of libsfcore and checks what must
 * always hold of its answer; the sanitizers catch the rest. */
#ifndef SF_FUZZ_H
#define SF_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (malloc'd; embedded NULs end it
 * early, as a C string read from a file would). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Fails loudly: libFuzzer records the input as a crash. */
#define FUZZ_ASSERT(cond) \
	do { \
		if (!(cond)) \
			abort(); \
	} while (0)

#endif
