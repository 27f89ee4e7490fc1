# Empty compiler generated dependencies file for test_tshark.
# This may be replaced when dependencies are built.
