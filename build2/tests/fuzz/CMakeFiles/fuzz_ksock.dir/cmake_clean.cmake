file(REMOVE_RECURSE
  "CMakeFiles/fuzz_ksock.dir/fuzz_ksock.c.o"
  "CMakeFiles/fuzz_ksock.dir/fuzz_ksock.c.o.d"
  "CMakeFiles/fuzz_ksock.dir/replay.c.o"
  "CMakeFiles/fuzz_ksock.dir/replay.c.o.d"
  "fuzz_ksock"
  "fuzz_ksock.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_ksock.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
