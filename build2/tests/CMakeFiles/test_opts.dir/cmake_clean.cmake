file(REMOVE_RECURSE
  "CMakeFiles/test_opts.dir/test_opts.c.o"
  "CMakeFiles/test_opts.dir/test_opts.c.o.d"
  "test_opts"
  "test_opts.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_opts.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
