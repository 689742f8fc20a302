# module: sources, commands and tests of this area
libsfcore_a_SOURCES += src/module.c src/module.h

# Module image generator: built by plain `make` (scripts/quickstart uses it).
noinst_PROGRAMS += tests/tools/mkmodule
tests_tools_mkmodule_SOURCES = tests/tools/mkmodule.c
tests_tools_mkmodule_LDADD = libsfcore.a

sparkflash_SOURCES += src/cmd_inspect.c src/image_io.c src/image_io.h
