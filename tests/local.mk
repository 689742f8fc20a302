# Tests live with their area's fragment (src/<area>.mk); shared shell helpers: tests/lib.sh

# The README's CI jobs (YAML, every sparkflash command run against simulated
# boards) and its diagnosis indexes (every id of the judge's catalogue)
readme_tests = tests/t150-readme-ci.sh tests/t151-readme-diag-index.sh
TESTS += $(readme_tests)
dist_check_SCRIPTS += $(readme_tests)
