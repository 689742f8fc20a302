# diag: sources, commands and tests of this area
