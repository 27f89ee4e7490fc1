# CMake generated Testfile for 
# Source directory: /work/main/capture
# Build directory: /work/main/build2/capture
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
