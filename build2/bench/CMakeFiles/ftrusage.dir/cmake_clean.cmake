file(REMOVE_RECURSE
  "CMakeFiles/ftrusage.dir/ftrusage.c.o"
  "CMakeFiles/ftrusage.dir/ftrusage.c.o.d"
  "ftrusage"
  "ftrusage.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/ftrusage.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
