# run: running dfu-util and understanding its output; the `list` command.
libsfcore_a_SOURCES += src/dfuout.c src/dfuout.h

sparkflash_SOURCES += \
	src/sf_spawn.c src/sf_spawn.h \
	src/dfu_runner.c src/dfu_runner.h \
	src/cmd_list.c

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_dfuout
TESTS += tests/unit/test_dfuout
tests_unit_test_dfuout_SOURCES = tests/unit/test_dfuout.c
tests_unit_test_dfuout_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_dfuout_LDADD = libsfcore.a $(JANSSON_LIBS) $(ZLIB_LIBS) $(LIBCRYPTO_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_spawn
TESTS += tests/unit/test_spawn
tests_unit_test_spawn_SOURCES = tests/unit/test_spawn.c src/sf_spawn.c src/sf_spawn.h
tests_unit_test_spawn_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_spawn_LDADD = libsfcore.a $(JANSSON_LIBS) $(ZLIB_LIBS) $(LIBCRYPTO_LIBS) $(CMOCKA_LIBS)
endif

TESTS += tests/t040-list.sh
dist_check_SCRIPTS += tests/t040-list.sh
EXTRA_DIST += \
	tests/fixtures/run/fake-dfu-util.sh \
	tests/fixtures/run/dfu-l-core-photon.txt \
	tests/fixtures/run/dfu-l-runtime-unknown.txt \
	tests/fixtures/run/dfu-l-core-mismatch.txt \
	tests/fixtures/run/dfu-l-access.err \
	tests/fixtures/run/dfu-l-0.8.txt

# Driver for the runner's shell test (not installed).
check_PROGRAMS += tests/run/dfurun
tests_run_dfurun_SOURCES = tests/run/dfurun.c src/dfu_runner.c src/sf_spawn.c \
	src/out.c src/cli.c src/sim_env.c src/fileio.c
tests_run_dfurun_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)
tests_run_dfurun_LDADD = libsfcore.a $(JANSSON_LIBS) $(ZLIB_LIBS) $(LIBCRYPTO_LIBS)
TESTS += tests/t041-dfu-runner.sh
dist_check_SCRIPTS += tests/t041-dfu-runner.sh
TESTS += tests/t042-list-sim.sh
dist_check_SCRIPTS += tests/t042-list-sim.sh
