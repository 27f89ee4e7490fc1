file(REMOVE_RECURSE
  "CMakeFiles/test_tshark.dir/test_tshark.c.o"
  "CMakeFiles/test_tshark.dir/test_tshark.c.o.d"
  "test_tshark"
  "test_tshark.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_tshark.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
