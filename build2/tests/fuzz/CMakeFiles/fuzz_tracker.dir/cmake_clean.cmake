file(REMOVE_RECURSE
  "CMakeFiles/fuzz_tracker.dir/fuzz_tracker.c.o"
  "CMakeFiles/fuzz_tracker.dir/fuzz_tracker.c.o.d"
  "CMakeFiles/fuzz_tracker.dir/replay.c.o"
  "CMakeFiles/fuzz_tracker.dir/replay.c.o.d"
  "fuzz_tracker"
  "fuzz_tracker.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_tracker.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
