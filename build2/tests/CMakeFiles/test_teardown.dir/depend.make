# Empty dependencies file for test_teardown.
# This may be replaced when dependencies are built.
