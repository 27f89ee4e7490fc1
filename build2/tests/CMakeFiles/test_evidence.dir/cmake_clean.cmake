file(REMOVE_RECURSE
  "CMakeFiles/test_evidence.dir/test_evidence.c.o"
  "CMakeFiles/test_evidence.dir/test_evidence.c.o.d"
  "test_evidence"
  "test_evidence.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_evidence.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
