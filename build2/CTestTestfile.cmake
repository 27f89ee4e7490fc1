# CMake generated Testfile for 
# Source directory: /work/main
# Build directory: /work/main/build2
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
subdirs("capture")
subdirs("analysis")
subdirs("metrics")
subdirs("bpf")
subdirs("engine")
subdirs("cli")
subdirs("pcaps")
subdirs("bench")
subdirs("tests")
subdirs("tests/fuzz")
