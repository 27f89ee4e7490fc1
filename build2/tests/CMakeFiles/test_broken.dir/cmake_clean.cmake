file(REMOVE_RECURSE
  "CMakeFiles/test_broken.dir/test_broken.c.o"
  "CMakeFiles/test_broken.dir/test_broken.c.o.d"
  "test_broken"
  "test_broken.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_broken.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
