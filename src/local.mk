# Shared plumbing. Areas add their own files in src/<area>.mk.
libsfcore_a_SOURCES += \
	src/sf_error.c src/sf_error.h \
	src/numparse.c src/numparse.h \
	src/transcript.c src/transcript.h \
	src/rtpath.c src/rtpath.h

sparkflash_SOURCES += \
	src/main.c src/commands.h \
	src/cli.c src/cli.h \
	src/out.c src/out.h \
	src/sim_env.c src/sim_env.h \
	src/selfdirs.c src/selfdirs.h \
	src/fileio.c src/fileio.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_rtpath
TESTS += tests/unit/test_rtpath
endif
tests_unit_test_rtpath_SOURCES = tests/unit/test_rtpath.c
tests_unit_test_rtpath_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rtpath_LDADD = libsfcore.a $(ZLIB_LIBS) $(LIBCRYPTO_LIBS) $(CMOCKA_LIBS)
