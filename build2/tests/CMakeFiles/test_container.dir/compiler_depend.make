# Empty compiler generated dependencies file for test_container.
# This may be replaced when dependencies are built.
