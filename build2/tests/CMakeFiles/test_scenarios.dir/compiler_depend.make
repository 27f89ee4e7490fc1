# Empty compiler generated dependencies file for test_scenarios.
# This may be replaced when dependencies are built.
