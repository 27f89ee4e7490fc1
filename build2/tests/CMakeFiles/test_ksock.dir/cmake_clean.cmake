file(REMOVE_RECURSE
  "CMakeFiles/test_ksock.dir/test_ksock.c.o"
  "CMakeFiles/test_ksock.dir/test_ksock.c.o.d"
  "test_ksock"
  "test_ksock.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_ksock.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
