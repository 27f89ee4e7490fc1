# Empty dependencies file for test_broken.
# This may be replaced when dependencies are built.
