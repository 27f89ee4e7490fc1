# CMake generated Testfile for 
# Source directory: /work/main/metrics
# Build directory: /work/main/build2/metrics
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
