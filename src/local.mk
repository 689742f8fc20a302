# Shared plumbing. Areas add their own files in src/<area>.mk.
libsfcore_a_SOURCES += \
	src/sf_error.c src/sf_error.h \
	src/numparse.c src/numparse.h \
	src/transcript.c src/transcript.h \
	src/rtpath.c src/rtpath.h \
	src/suggest.c src/suggest.h \
	src/flashword.c src/flashword.h \
	src/apps.c src/apps.h

sparkflash_SOURCES += \
	src/main.c src/commands.h \
	src/cli.c src/cli.h \
	src/clidoc.c src/clidoc.h \
	src/out.c src/out.h \
	src/sim_env.c src/sim_env.h \
	src/selfdirs.c src/selfdirs.h \
	src/fileio.c src/fileio.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_rtpath
TESTS += tests/unit/test_rtpath
endif
tests_unit_test_rtpath_SOURCES = tests/unit/test_rtpath.c
tests_unit_test_rtpath_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rtpath_LDADD = libsfcore.a $(ZLIB_LIBS) $(LIBCRYPTO_LIBS) $(CMOCKA_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_suggest tests/unit/test_flashword
TESTS += tests/unit/test_suggest tests/unit/test_flashword
endif
tests_unit_test_flashword_SOURCES = tests/unit/test_flashword.c
tests_unit_test_flashword_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_flashword_LDADD = libsfcore.a $(CMOCKA_LIBS)
tests_unit_test_suggest_SOURCES = tests/unit/test_suggest.c
tests_unit_test_suggest_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_suggest_LDADD = libsfcore.a $(CMOCKA_LIBS)

# The man page and the shell completions are printed from the command
# table by the binary itself (sparkflash --dump-cli), so they cannot drift
# from --help. Built in the build directory (VPATH), never distributed.
nodist_man1_MANS = sparkflash.1
bashcompletiondir = $(datadir)/bash-completion/completions
nodist_bashcompletion_DATA = completions/sparkflash
zshcompletiondir = $(datadir)/zsh/site-functions
nodist_zshcompletion_DATA = completions/_sparkflash
CLEANFILES += sparkflash.1 completions/sparkflash completions/_sparkflash

sparkflash.1: sparkflash$(EXEEXT)
	$(AM_V_GEN)./sparkflash$(EXEEXT) --dump-cli man >$@.tmp && mv $@.tmp $@
completions/sparkflash: sparkflash$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) completions && ./sparkflash$(EXEEXT) --dump-cli bash >$@.tmp && mv $@.tmp $@
completions/_sparkflash: sparkflash$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) completions && ./sparkflash$(EXEEXT) --dump-cli zsh >$@.tmp && mv $@.tmp $@

# Named apps (flash --usb tinker): an empty directory the user fills;
# removed again on uninstall when it is still empty.
install-data-local:
	$(MKDIR_P) '$(DESTDIR)$(pkgdatadir)/apps'
uninstall-local:
	-rmdir '$(DESTDIR)$(pkgdatadir)/apps' 2>/dev/null

# The command line (issues 11 and 12): spark-cli's words, named apps,
# standard input/output, exact options, messages, man page, completions.
cli_shell_tests = tests/t100-cli-options.sh tests/t101-flash-words.sh tests/t102-named-apps.sh tests/t103-stdio.sh tests/t104-refusal-messages.sh tests/t105-man-completion.sh tests/t106-install.sh tests/t107-spark-cli-parity.sh
TESTS += $(cli_shell_tests)
dist_check_SCRIPTS += $(cli_shell_tests)
