# Empty compiler generated dependencies file for fuzz_tracker.
# This may be replaced when dependencies are built.
