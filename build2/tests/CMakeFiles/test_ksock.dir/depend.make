# Empty dependencies file for test_ksock.
# This may be replaced when dependencies are built.
