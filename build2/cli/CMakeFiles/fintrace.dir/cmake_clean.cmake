file(REMOVE_RECURSE
  "CMakeFiles/fintrace.dir/main.c.o"
  "CMakeFiles/fintrace.dir/main.c.o.d"
  "fintrace"
  "fintrace.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fintrace.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
