# Empty compiler generated dependencies file for fuzz_read.
# This may be replaced when dependencies are built.
