# profiles: sources, commands and tests of this area
libsfcore_a_SOURCES += \
	src/layout.c src/layout.h \
	src/jsonpos.c src/jsonpos.h \
	src/profile.c src/profile.h \
	src/profmatch.c src/profmatch.h \
	src/dfustate.c src/dfustate.h

sparkflash_SOURCES += \
	src/profile_io.c src/profile_io.h

dist_pkgdata_profiles_DATA += \
	profiles/core.json profiles/photon.json profiles/p1.json \
	profiles/electron.json profiles/duo.json \
	profiles/argon.json profiles/boron.json profiles/xenon.json \
	profiles/esomx.json profiles/bsom.json profiles/b5som.json \
	profiles/tracker.json profiles/p2.json \
	profiles/stm32f0.json profiles/stm32f1.json profiles/stm32f4.json \
	profiles/stm32l4.json profiles/stm32h7.json

sparkflash_SOURCES += src/cmd_profiles.c

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_layout tests/unit/test_profile
TESTS += tests/unit/test_layout tests/unit/test_profile
endif
tests_unit_test_layout_SOURCES = tests/unit/test_layout.c
tests_unit_test_layout_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_layout_LDADD = libsfcore.a $(JANSSON_LIBS) $(ZLIB_LIBS) $(LIBCRYPTO_LIBS) $(CMOCKA_LIBS)
tests_unit_test_profile_SOURCES = tests/unit/test_profile.c
tests_unit_test_profile_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_profile_LDADD = libsfcore.a $(JANSSON_LIBS) $(ZLIB_LIBS) $(LIBCRYPTO_LIBS) $(CMOCKA_LIBS)

TESTS += tests/t010-profiles.sh
dist_check_SCRIPTS += tests/t010-profiles.sh
dist_check_DATA += tests/fixtures/profiles/stm32f4-rom.json

TESTS += tests/t038-sim-new-profiles.sh
dist_check_SCRIPTS += tests/t038-sim-new-profiles.sh
EXTRA_DIST += tests/fixtures/profiles/variants/stm32f401-board.json \
	tests/fixtures/profiles/variants/stm32-other-board.json
