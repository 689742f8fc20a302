# libFuzzer harnesses (configure --enable-fuzz, clang): one per parser or
# pure decision function of libsfcore. scripts/fuzz builds them in their own
# build directory, seeds them from the fixtures, profiles and field logs,
# and runs each for a bounded time; scripts/test runs each briefly.
EXTRA_DIST += tests/fuzz/fuzz.h tests/fuzz/regress

if FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_layout tests/fuzz/fuzz_numparse tests/fuzz/fuzz_profile \
	tests/fuzz/fuzz_module tests/fuzz/fuzz_dfuout tests/fuzz/fuzz_transcript tests/fuzz/fuzz_cloud \
	tests/fuzz/fuzz_text tests/fuzz/fuzz_plan tests/fuzz/fuzz_verify tests/fuzz/fuzz_keys
endif
fuzz_cppflags = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(LIBCRYPTO_CFLAGS) -DSF_PROFILES_SRC='"$(abs_top_srcdir)/profiles"'
fuzz_ldadd = libsfcore.a $(JANSSON_LIBS) $(ZLIB_LIBS) $(LIBCRYPTO_LIBS)
tests_fuzz_fuzz_layout_SOURCES = tests/fuzz/fuzz_layout.c
tests_fuzz_fuzz_layout_CPPFLAGS = $(fuzz_cppflags)
tests_fuzz_fuzz_layout_LDADD = $(fuzz_ldadd)
tests_fuzz_fuzz_layout_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_numparse_SOURCES = tests/fuzz/fuzz_numparse.c
tests_fuzz_fuzz_numparse_CPPFLAGS = $(fuzz_cppflags)
tests_fuzz_fuzz_numparse_LDADD = $(fuzz_ldadd)
tests_fuzz_fuzz_numparse_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_profile_SOURCES = tests/fuzz/fuzz_profile.c
tests_fuzz_fuzz_profile_CPPFLAGS = $(fuzz_cppflags)
tests_fuzz_fuzz_profile_LDADD = $(fuzz_ldadd)
tests_fuzz_fuzz_profile_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_module_SOURCES = tests/fuzz/fuzz_module.c
tests_fuzz_fuzz_module_CPPFLAGS = $(fuzz_cppflags)
tests_fuzz_fuzz_module_LDADD = $(fuzz_ldadd)
tests_fuzz_fuzz_module_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_dfuout_SOURCES = tests/fuzz/fuzz_dfuout.c
tests_fuzz_fuzz_dfuout_CPPFLAGS = $(fuzz_cppflags)
tests_fuzz_fuzz_dfuout_LDADD = $(fuzz_ldadd)
tests_fuzz_fuzz_dfuout_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_transcript_SOURCES = tests/fuzz/fuzz_transcript.c
tests_fuzz_fuzz_transcript_CPPFLAGS = $(fuzz_cppflags)
tests_fuzz_fuzz_transcript_LDADD = $(fuzz_ldadd)
tests_fuzz_fuzz_transcript_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_cloud_SOURCES = tests/fuzz/fuzz_cloud.c
tests_fuzz_fuzz_cloud_CPPFLAGS = $(fuzz_cppflags)
tests_fuzz_fuzz_cloud_LDADD = $(fuzz_ldadd)
tests_fuzz_fuzz_cloud_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_text_SOURCES = tests/fuzz/fuzz_text.c
tests_fuzz_fuzz_text_CPPFLAGS = $(fuzz_cppflags)
tests_fuzz_fuzz_text_LDADD = $(fuzz_ldadd)
tests_fuzz_fuzz_text_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_plan_SOURCES = tests/fuzz/fuzz_plan.c
tests_fuzz_fuzz_plan_CPPFLAGS = $(fuzz_cppflags)
tests_fuzz_fuzz_plan_LDADD = $(fuzz_ldadd)
tests_fuzz_fuzz_plan_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_verify_SOURCES = tests/fuzz/fuzz_verify.c
tests_fuzz_fuzz_verify_CPPFLAGS = $(fuzz_cppflags)
tests_fuzz_fuzz_verify_LDADD = $(fuzz_ldadd)
tests_fuzz_fuzz_verify_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_keys_SOURCES = tests/fuzz/fuzz_keys.c
tests_fuzz_fuzz_keys_CPPFLAGS = $(fuzz_cppflags)
tests_fuzz_fuzz_keys_LDADD = $(fuzz_ldadd)
tests_fuzz_fuzz_keys_LDFLAGS = $(FUZZ_LDFLAGS)
