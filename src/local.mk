# Shared plumbing. Areas add their own files in src/<area>.mk.
libsfcore_a_SOURCES += \
	src/sf_error.c src/sf_error.h \
	src/numparse.c src/numparse.h \
	src/transcript.c src/transcript.h

sparkflash_SOURCES += \
	src/main.c src/commands.h \
	src/cli.c src/cli.h \
	src/out.c src/out.h \
	src/sim_env.c src/sim_env.h \
	src/fileio.c src/fileio.h
