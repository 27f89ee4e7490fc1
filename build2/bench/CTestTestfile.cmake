# CMake generated Testfile for 
# Source directory: /work/main/bench
# Build directory: /work/main/build2/bench
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test(bench_smoke "bash" "/work/main/bench/smoke.sh" "--ftgen" "/work/main/build2/bench/ftgen" "--rusage" "/work/main/build2/bench/ftrusage" "--ftload" "/work/main/build2/bench/ftload" "--fintrace" "/work/main/build2/cli/fintrace")
set_tests_properties(bench_smoke PROPERTIES  TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/bench/CMakeLists.txt;16;add_test;/work/main/bench/CMakeLists.txt;0;")
