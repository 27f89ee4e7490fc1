# Empty dependencies file for test_manpage.
# This may be replaced when dependencies are built.
