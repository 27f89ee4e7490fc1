# Empty dependencies file for test_live.
# This may be replaced when dependencies are built.
