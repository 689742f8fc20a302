# qa: shared helpers added in review, and cross-command tests
libsfcore_a_SOURCES += src/jsontext.c src/jsontext.h src/result.c src/result.h

if HAVE_CMOCKA
qa_unit_tests = tests/unit/test_jsontext tests/unit/test_result
check_PROGRAMS += $(qa_unit_tests)
TESTS += $(qa_unit_tests)
tests_unit_test_jsontext_SOURCES = tests/unit/test_jsontext.c
tests_unit_test_jsontext_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_jsontext_LDADD = libsfcore.a $(JANSSON_LIBS) $(ZLIB_LIBS) $(LIBCRYPTO_LIBS) $(CMOCKA_LIBS)
tests_unit_test_result_SOURCES = tests/unit/test_result.c
tests_unit_test_result_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_result_LDADD = libsfcore.a $(JANSSON_LIBS) $(ZLIB_LIBS) $(LIBCRYPTO_LIBS) $(CMOCKA_LIBS)
endif

qa_shell_tests = tests/t070-json-text.sh tests/t071-keys-transport.sh tests/t072-cli-help.sh tests/t073-early-checks.sh tests/t074-odd-files.sh tests/t075-empty-values.sh tests/t076-log-file.sh tests/t077-list-access.sh tests/t078-sim-exec.sh tests/t079-json-shape.sh tests/t080-self-dirs.sh tests/t089-hardening.sh
TESTS += $(qa_shell_tests)
dist_check_SCRIPTS += $(qa_shell_tests)
