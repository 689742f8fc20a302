/* sf_read_bounded: whole reads under a cap, from files and pipes, whatever
 * the size hint says. */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fileio.h"

/* A temporary file holding n pseudo-random bytes (kept in *bytes). */
static int temp_file(size_t n, uint8_t **bytes)
{
	char path[] = "/tmp/sf-test-fileio.XXXXXX";
	int fd = mkstemp(path);
	uint8_t *b = malloc(n ? n : 1);
	assert_true(fd >= 0);
	assert_non_null(b);
	unlink(path);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 131u + (i >> 8));
	assert_int_equal(sf_write_all(fd, b, n), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	*bytes = b;
	return fd;
}

static void check_read(size_t n, size_t cap, size_t hint, int want)
{
	uint8_t *bytes, *data = (uint8_t *)"x";
	size_t len = 123;
	int fd = temp_file(n, &bytes);
	int rc = sf_read_bounded(fd, cap, hint, &data, &len);
	assert_int_equal(rc, want);
	if (want == 0) {
		assert_int_equal(len, n);
		assert_memory_equal(data, bytes, n);
		assert_int_equal(data[n], 0);
		free(data);
	} else {
		assert_null(data);
		assert_int_equal(len, 0);
	}
	free(bytes);
	close(fd);
}

static void test_sizes_and_caps(void **state)
{
	(void)state;
	check_read(0, 10, 0, 0);          /* empty: read, length 0 */
	check_read(100000, 100000, 0, 0); /* exactly the cap, no hint: grows past 64 KiB */
	check_read(100000, 99999, 0, 1);  /* one byte over */
	check_read(100000, 1 << 24, 100000, 0);
	check_read(100000, 1 << 24, 10, 0); /* a hint too small (the file grew) */
	check_read(100000, 1 << 24, 5000000, 0); /* a hint too large */
	check_read(1, 0, 0, 1);           /* cap 0 takes nothing */
}

static void test_pipe(void **state)
{
	int p[2];
	uint8_t *data;
	size_t len;
	char text[] = "a line from a pipe\n";
	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(sf_write_all(p[1], text, strlen(text)), 0);
	close(p[1]);
	assert_int_equal(sf_read_bounded(p[0], 100, 0, &data, &len), 0);
	assert_int_equal(len, strlen(text));
	assert_string_equal((char *)data, text);
	free(data);
	close(p[0]);
}

static void test_read_error(void **state)
{
	uint8_t *data;
	size_t len;
	(void)state;
	errno = 0;
	assert_int_equal(sf_read_bounded(-1, 100, 0, &data, &len), -1);
	assert_int_equal(errno, EBADF);
	assert_null(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes_and_caps),
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_read_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
