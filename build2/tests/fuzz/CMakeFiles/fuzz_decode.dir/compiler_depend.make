# Empty compiler generated dependencies file for fuzz_decode.
# This may be replaced when dependencies are built.
