# Empty compiler generated dependencies file for test_evidence.
# This may be replaced when dependencies are built.
