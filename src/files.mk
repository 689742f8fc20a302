# files: how sparkflash writes files (src/fileio.c: atomic writes, links,
# logs, the cloud config's mode, temporaries and signals), limits, and the
# fault matrix over every simulator fault
files_shell_tests = tests/t130-files.sh tests/t131-files-cloud.sh tests/t132-signals.sh
TESTS += $(files_shell_tests)
dist_check_SCRIPTS += $(files_shell_tests)
