file(REMOVE_RECURSE
  "CMakeFiles/fuzz_capture.dir/fuzz_capture.c.o"
  "CMakeFiles/fuzz_capture.dir/fuzz_capture.c.o.d"
  "CMakeFiles/fuzz_capture.dir/replay.c.o"
  "CMakeFiles/fuzz_capture.dir/replay.c.o.d"
  "fuzz_capture"
  "fuzz_capture.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_capture.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
