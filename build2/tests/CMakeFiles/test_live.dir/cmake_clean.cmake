file(REMOVE_RECURSE
  "CMakeFiles/test_live.dir/test_live.c.o"
  "CMakeFiles/test_live.dir/test_live.c.o.d"
  "test_live"
  "test_live.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_live.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
