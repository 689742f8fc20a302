# module: sources, commands and tests of this area
libsfcore_a_SOURCES += src/module.c src/module.h
