# Empty compiler generated dependencies file for test_timewait.
# This may be replaced when dependencies are built.
