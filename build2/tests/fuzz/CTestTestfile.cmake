# CMake generated Testfile for 
# Source directory: /work/main/tests/fuzz
# Build directory: /work/main/build2/tests/fuzz
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test(fuzz_seeds "/work/main/build2/tests/fuzz/fuzz_seeds" "/work/main/pcaps" "/work/main/build2/tests/fuzz/seeds")
set_tests_properties(fuzz_seeds PROPERTIES  FIXTURES_SETUP "fuzz_seeds" _BACKTRACE_TRIPLES "/work/main/tests/fuzz/CMakeLists.txt;26;add_test;/work/main/tests/fuzz/CMakeLists.txt;0;")
add_test(fuzz_replay_decode "/work/main/build2/tests/fuzz/fuzz_decode" "-runs=0" "/work/main/build2/tests/fuzz/seeds/decode" "/work/main/tests/fuzz/regressions/decode")
set_tests_properties(fuzz_replay_decode PROPERTIES  FIXTURES_REQUIRED "fuzz_seeds" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/fuzz/CMakeLists.txt;35;add_test;/work/main/tests/fuzz/CMakeLists.txt;0;")
add_test(fuzz_replay_capture "/work/main/build2/tests/fuzz/fuzz_capture" "-runs=0" "/work/main/build2/tests/fuzz/seeds/capture" "/work/main/tests/fuzz/regressions/capture")
set_tests_properties(fuzz_replay_capture PROPERTIES  FIXTURES_REQUIRED "fuzz_seeds" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/fuzz/CMakeLists.txt;35;add_test;/work/main/tests/fuzz/CMakeLists.txt;0;")
add_test(fuzz_replay_tracker "/work/main/build2/tests/fuzz/fuzz_tracker" "-runs=0" "/work/main/build2/tests/fuzz/seeds/tracker" "/work/main/tests/fuzz/regressions/tracker")
set_tests_properties(fuzz_replay_tracker PROPERTIES  FIXTURES_REQUIRED "fuzz_seeds" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/fuzz/CMakeLists.txt;35;add_test;/work/main/tests/fuzz/CMakeLists.txt;0;")
add_test(fuzz_replay_read "/work/main/build2/tests/fuzz/fuzz_read" "-runs=0" "/work/main/build2/tests/fuzz/seeds/capture" "/work/main/tests/fuzz/regressions/read")
set_tests_properties(fuzz_replay_read PROPERTIES  FIXTURES_REQUIRED "fuzz_seeds" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/fuzz/CMakeLists.txt;35;add_test;/work/main/tests/fuzz/CMakeLists.txt;0;")
add_test(fuzz_replay_ksock "/work/main/build2/tests/fuzz/fuzz_ksock" "-runs=0" "/work/main/build2/tests/fuzz/seeds/ksock" "/work/main/tests/fuzz/regressions/ksock")
set_tests_properties(fuzz_replay_ksock PROPERTIES  FIXTURES_REQUIRED "fuzz_seeds" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/fuzz/CMakeLists.txt;35;add_test;/work/main/tests/fuzz/CMakeLists.txt;0;")
