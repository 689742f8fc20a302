# module: sources, commands and tests of this area
libsfcore_a_SOURCES += src/module.c src/module.h

# Module image generator: built by plain `make` (scripts/quickstart uses it).
noinst_PROGRAMS += tests/tools/mkmodule
tests_tools_mkmodule_SOURCES = tests/tools/mkmodule.c
tests_tools_mkmodule_LDADD = libsfcore.a $(ZLIB_LIBS) $(LIBCRYPTO_LIBS)

sparkflash_SOURCES += src/cmd_inspect.c src/image_io.c src/image_io.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_module
TESTS += tests/unit/test_module
tests_unit_test_module_SOURCES = tests/unit/test_module.c
tests_unit_test_module_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_module_LDADD = libsfcore.a $(JANSSON_LIBS) $(ZLIB_LIBS) $(LIBCRYPTO_LIBS) $(CMOCKA_LIBS)
endif

TESTS += tests/t020-inspect.sh
dist_check_SCRIPTS += tests/t020-inspect.sh
