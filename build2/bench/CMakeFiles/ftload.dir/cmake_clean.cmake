file(REMOVE_RECURSE
  "CMakeFiles/ftload.dir/ftload.c.o"
  "CMakeFiles/ftload.dir/ftload.c.o.d"
  "ftload"
  "ftload.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/ftload.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
