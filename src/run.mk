# run: running dfu-util and understanding its output; the `list` command.
libsfcore_a_SOURCES += src/dfuout.c src/dfuout.h

sparkflash_SOURCES += \
	src/sf_spawn.c src/sf_spawn.h \
	src/dfu_runner.c src/dfu_runner.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_spawn
TESTS += tests/unit/test_spawn
tests_unit_test_spawn_SOURCES = tests/unit/test_spawn.c src/sf_spawn.c src/sf_spawn.h
tests_unit_test_spawn_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_spawn_LDADD = libsfcore.a $(JANSSON_LIBS) $(CMOCKA_LIBS)
endif
