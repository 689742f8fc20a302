# Simulated DfuSe device: a libusb-1.0 stand-in loaded into dfu-util.
#
# libsfsim.so is preloaded into programs that may have no sanitizer runtime
# (dfu-util), so it gets its own CFLAGS without $(SAN_CFLAGS). The same model
# and store sources are built a second time, with sanitizers, into the unit
# test and into sparkflash (the `sim` command).
sim_shared_sources = \
	src/sim/model.c src/sim/model.h \
	src/sim/store.c src/sim/store.h

sparkflash_SOURCES += src/cmd_sim.c $(sim_shared_sources)

if BUILD_SIM
pkglib_LTLIBRARIES += libsfsim.la
libsfsim_la_SOURCES = src/sim/libusb_shim.c $(sim_shared_sources) \
	src/layout.c src/jsonpos.c src/profile.c src/dfustate.c src/profile_io.c \
	src/sf_error.c src/numparse.c
libsfsim_la_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(LIBUSB_CFLAGS)
# Per-target CFLAGS replace AM_CFLAGS (which carries SAN_CFLAGS). Only the
# libusb_* entry points are exported, so the library cannot interpose on
# the host program's own symbols.
libsfsim_la_CFLAGS = $(WARN_CFLAGS) -fvisibility=hidden
libsfsim_la_LDFLAGS = -module -avoid-version -shared -no-undefined
libsfsim_la_LIBADD = $(JANSSON_LIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_sim_model
TESTS += tests/unit/test_sim_model
tests_unit_test_sim_model_SOURCES = tests/unit/test_sim_model.c src/sim/model.c src/sim/model.h
tests_unit_test_sim_model_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_sim_model_LDADD = libsfcore.a $(JANSSON_LIBS) $(ZLIB_LIBS) $(LIBCRYPTO_LIBS) $(CMOCKA_LIBS)
check_PROGRAMS += tests/unit/test_sim_store
TESTS += tests/unit/test_sim_store
tests_unit_test_sim_store_SOURCES = tests/unit/test_sim_store.c $(sim_shared_sources) \
	src/profile_io.c src/profile_io.h
tests_unit_test_sim_store_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_sim_store_LDADD = libsfcore.a $(JANSSON_LIBS) $(ZLIB_LIBS) $(LIBCRYPTO_LIBS) $(CMOCKA_LIBS)
endif

EXTRA_DIST += tests/lib-sim.sh tests/fixtures/sim tests/fixtures/transcripts \
	tests/fixtures/record-transcripts.sh
sim_tests = tests/t030-sim-list.sh tests/t031-sim-flash.sh tests/t032-sim-faults.sh tests/t033-sim-multi.sh \
	tests/t034-sim-profiles.sh tests/t035-sim-timing.sh tests/t036-sim-protocol.sh \
	tests/t037-sim-runtime.sh
TESTS += $(sim_tests)
dist_check_SCRIPTS += $(sim_tests)
