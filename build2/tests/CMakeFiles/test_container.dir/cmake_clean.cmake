file(REMOVE_RECURSE
  "CMakeFiles/test_container.dir/test_container.c.o"
  "CMakeFiles/test_container.dir/test_container.c.o.d"
  "test_container"
  "test_container.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_container.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
