file(REMOVE_RECURSE
  "CMakeFiles/test_scenarios.dir/test_scenarios.c.o"
  "CMakeFiles/test_scenarios.dir/test_scenarios.c.o.d"
  "test_scenarios"
  "test_scenarios.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_scenarios.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
