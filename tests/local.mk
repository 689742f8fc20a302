# Tests live with their area's fragment (src/<area>.mk); shared shell helpers: tests/lib.sh
