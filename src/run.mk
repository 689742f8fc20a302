# run: sources, commands and tests of this area
