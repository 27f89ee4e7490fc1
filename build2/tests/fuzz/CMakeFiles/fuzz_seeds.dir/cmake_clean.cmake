file(REMOVE_RECURSE
  "CMakeFiles/fuzz_seeds.dir/seeds.c.o"
  "CMakeFiles/fuzz_seeds.dir/seeds.c.o.d"
  "fuzz_seeds"
  "fuzz_seeds.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_seeds.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
