file(REMOVE_RECURSE
  "CMakeFiles/test_teardown.dir/test_teardown.c.o"
  "CMakeFiles/test_teardown.dir/test_teardown.c.o.d"
  "test_teardown"
  "test_teardown.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_teardown.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
