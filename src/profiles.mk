# profiles: sources, commands and tests of this area
libsfcore_a_SOURCES += \
	src/layout.c src/layout.h \
	src/jsonpos.c src/jsonpos.h \
	src/profile.c src/profile.h

sparkflash_SOURCES += \
	src/profile_io.c src/profile_io.h

dist_pkgdata_profiles_DATA += \
	profiles/core.json profiles/photon.json profiles/p1.json \
	profiles/electron.json profiles/duo.json

sparkflash_SOURCES += src/cmd_profiles.c
