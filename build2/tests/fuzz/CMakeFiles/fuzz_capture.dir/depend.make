# Empty dependencies file for fuzz_capture.
# This may be replaced when dependencies are built.
