file(REMOVE_RECURSE
  "CMakeFiles/test_manpage.dir/test_manpage.c.o"
  "CMakeFiles/test_manpage.dir/test_manpage.c.o.d"
  "test_manpage"
  "test_manpage.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_manpage.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
