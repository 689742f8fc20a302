# diag: diagnosing dfu-util transcripts (pure matcher), `diagnose`, `doctor`, `udev`.
libsfcore_a_SOURCES += \
	src/diag.c src/diag.h \
	src/diag_scan.c src/diag_scan.h \
	src/tlog.c src/tlog.h \
	src/udev.c src/udev.h

sparkflash_SOURCES += \
	src/diag_host.c src/diag_host.h \
	src/diag_print.c src/diag_print.h \
	src/cmd_diagnose.c \
	src/cmd_udev.c \
	src/cmd_doctor.c

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_diag tests/unit/test_diag_fuzz tests/unit/test_verdict
TESTS += tests/unit/test_diag tests/unit/test_diag_fuzz tests/unit/test_verdict
tests_unit_test_diag_SOURCES = tests/unit/test_diag.c
tests_unit_test_diag_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(CMOCKA_CFLAGS) \
	-DSF_DIAG_FIXTURES='"$(abs_top_srcdir)/tests/fixtures/diag"' \
	-DSF_TRANSCRIPT_FIXTURES='"$(abs_top_srcdir)/tests/fixtures/transcripts"' \
	-DSF_PROFILES_SRC='"$(abs_top_srcdir)/profiles"'
tests_unit_test_diag_LDADD = libsfcore.a $(JANSSON_LIBS) $(ZLIB_LIBS) $(LIBCRYPTO_LIBS) $(CMOCKA_LIBS)
tests_unit_test_diag_fuzz_SOURCES = tests/unit/test_diag_fuzz.c
tests_unit_test_diag_fuzz_CPPFLAGS = $(tests_unit_test_diag_CPPFLAGS)
tests_unit_test_diag_fuzz_LDADD = libsfcore.a $(JANSSON_LIBS) $(ZLIB_LIBS) $(LIBCRYPTO_LIBS) $(CMOCKA_LIBS)
tests_unit_test_verdict_SOURCES = tests/unit/test_verdict.c
tests_unit_test_verdict_CPPFLAGS = $(tests_unit_test_diag_CPPFLAGS)
tests_unit_test_verdict_LDADD = libsfcore.a $(JANSSON_LIBS) $(ZLIB_LIBS) $(LIBCRYPTO_LIBS) $(CMOCKA_LIBS)
endif

TESTS += tests/t500-diagnose.sh tests/t501-udev.sh tests/t502-doctor.sh tests/t503-diag-live.sh \
	tests/t504-field-logs.sh tests/t505-verdict-matrix.sh tests/t506-interrupted.sh
dist_check_SCRIPTS += tests/t500-diagnose.sh tests/t501-udev.sh tests/t502-doctor.sh tests/t503-diag-live.sh \
	tests/t504-field-logs.sh tests/t505-verdict-matrix.sh tests/t506-interrupted.sh
EXTRA_DIST += tests/fixtures/diag tests/fixtures/field tests/fixtures/field2
