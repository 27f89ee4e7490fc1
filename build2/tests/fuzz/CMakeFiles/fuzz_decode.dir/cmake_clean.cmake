file(REMOVE_RECURSE
  "CMakeFiles/fuzz_decode.dir/fuzz_decode.c.o"
  "CMakeFiles/fuzz_decode.dir/fuzz_decode.c.o.d"
  "CMakeFiles/fuzz_decode.dir/replay.c.o"
  "CMakeFiles/fuzz_decode.dir/replay.c.o.d"
  "fuzz_decode"
  "fuzz_decode.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_decode.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
