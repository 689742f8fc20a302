# cloud: sources, commands and tests of this area

# Pure decisions (no I/O): token/config precedence, response classification,
# retry policy, URLs and device lists.
libsfcore_a_SOURCES += \
	src/cloud_config.c src/cloud_config.h \
	src/cloud_resp.c src/cloud_resp.h \
	src/cloud_retry.c src/cloud_retry.h \
	src/cloud_devices.c src/cloud_devices.h \
	src/cloud_sources.c src/cloud_sources.h

if HAVE_CMOCKA
cloud_unit_tests = tests/unit/test_cloud_config tests/unit/test_cloud_resp \
	tests/unit/test_cloud_retry tests/unit/test_cloud_devices tests/unit/test_cloud_sources
check_PROGRAMS += $(cloud_unit_tests)
TESTS += $(cloud_unit_tests)
cloud_unit_cppflags = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(CMOCKA_CFLAGS)
cloud_unit_ldadd = libsfcore.a $(JANSSON_LIBS) $(ZLIB_LIBS) $(LIBCRYPTO_LIBS) $(CMOCKA_LIBS)
tests_unit_test_cloud_config_CPPFLAGS = $(cloud_unit_cppflags)
tests_unit_test_cloud_config_LDADD = $(cloud_unit_ldadd)
tests_unit_test_cloud_resp_CPPFLAGS = $(cloud_unit_cppflags)
tests_unit_test_cloud_resp_LDADD = $(cloud_unit_ldadd)
tests_unit_test_cloud_retry_CPPFLAGS = $(cloud_unit_cppflags)
tests_unit_test_cloud_retry_LDADD = $(cloud_unit_ldadd)
tests_unit_test_cloud_devices_CPPFLAGS = $(cloud_unit_cppflags)
tests_unit_test_cloud_devices_LDADD = $(cloud_unit_ldadd)
tests_unit_test_cloud_sources_CPPFLAGS = $(cloud_unit_cppflags)
tests_unit_test_cloud_sources_LDADD = $(cloud_unit_ldadd)
endif

# Commands and I/O edges: libcurl transport, config files.
sparkflash_SOURCES += \
	src/cmd_cloud.c src/cloud_cmd.h \
	src/cloud_http.c src/cloud_http.h \
	src/cloud_project.c src/cloud_project.h

# The local Particle Cloud imitation the e2e tests run against.
if HAVE_MHD
check_PROGRAMS += tests/server/sfcloudd
tests_server_sfcloudd_SOURCES = tests/server/sfcloudd.c
tests_server_sfcloudd_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(MHD_CFLAGS) $(LIBCRYPTO_CFLAGS)
tests_server_sfcloudd_LDADD = $(JANSSON_LIBS) $(MHD_LIBS) $(LIBCRYPTO_LIBS) -lpthread
# No sanitizers for the test server: LeakSanitizer's exit-time stop-the-world
# can wedge a process that ran many threads, holding up the whole test.
tests_server_sfcloudd_CFLAGS = $(WARN_CFLAGS)
tests_server_sfcloudd_LDFLAGS =
endif
# A tiny CONNECT / absolute-form forward proxy for the proxy tests.
check_PROGRAMS += tests/server/sfproxy
tests_server_sfproxy_SOURCES = tests/server/sfproxy.c
tests_server_sfproxy_CFLAGS = $(WARN_CFLAGS)
tests_server_sfproxy_LDFLAGS =
tests_server_sfproxy_LDADD = -lpthread

# End-to-end tests against sfcloudd (they skip when it is not built).
cloud_shell_tests = tests/t060-cloud-flash.sh tests/t061-cloud-auth.sh tests/t062-cloud-faults.sh \
	tests/t063-cloud-multi.sh tests/t064-cloud-net.sh tests/t065-cloud-server.sh \
	tests/t120-cloud-compile.sh tests/t121-cloud-flash-sources.sh tests/t122-cloud-all-online-skip.sh \
	tests/t123-cloud-compile-token.sh
TESTS += $(cloud_shell_tests)
dist_check_SCRIPTS += $(cloud_shell_tests)
EXTRA_DIST += tests/cloud/fixtures.json tests/cloud/lib-cloud.sh
