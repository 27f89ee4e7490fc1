file(REMOVE_RECURSE
  "CMakeFiles/ftgen.dir/ftgen.c.o"
  "CMakeFiles/ftgen.dir/ftgen.c.o.d"
  "ftgen"
  "ftgen.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/ftgen.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
