file(REMOVE_RECURSE
  "CMakeFiles/test_timewait.dir/test_timewait.c.o"
  "CMakeFiles/test_timewait.dir/test_timewait.c.o.d"
  "test_timewait"
  "test_timewait.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_timewait.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
