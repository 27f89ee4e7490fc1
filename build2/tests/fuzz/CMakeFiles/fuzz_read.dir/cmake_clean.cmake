file(REMOVE_RECURSE
  "CMakeFiles/fuzz_read.dir/fuzz_read.c.o"
  "CMakeFiles/fuzz_read.dir/fuzz_read.c.o.d"
  "CMakeFiles/fuzz_read.dir/replay.c.o"
  "CMakeFiles/fuzz_read.dir/replay.c.o.d"
  "fuzz_read"
  "fuzz_read.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_read.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
