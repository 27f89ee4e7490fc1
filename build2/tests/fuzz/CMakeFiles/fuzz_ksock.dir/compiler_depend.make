# Empty compiler generated dependencies file for fuzz_ksock.
# This may be replaced when dependencies are built.
