# files: how sparkflash writes files (src/fileio.c: atomic writes, links,
# logs, the cloud config's mode, temporaries and signals), limits, and the
# fault matrix over every simulator fault
files_shell_tests = tests/t130-files.sh tests/t131-files-cloud.sh tests/t132-signals.sh tests/t133-limits.sh \
	tests/t507-fault-matrix.sh
TESTS += $(files_shell_tests)
dist_check_SCRIPTS += $(files_shell_tests)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_sf_error
TESTS += tests/unit/test_sf_error
endif
tests_unit_test_sf_error_SOURCES = tests/unit/test_sf_error.c
tests_unit_test_sf_error_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_sf_error_LDADD = libsfcore.a $(CMOCKA_LIBS)

# sf_read_bounded (fileio.c is the tool's I/O edge: linked in directly)
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_fileio
TESTS += tests/unit/test_fileio
endif
tests_unit_test_fileio_SOURCES = tests/unit/test_fileio.c src/fileio.c
tests_unit_test_fileio_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_fileio_LDADD = libsfcore.a $(CMOCKA_LIBS)
