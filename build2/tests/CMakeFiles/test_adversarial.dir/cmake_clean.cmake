file(REMOVE_RECURSE
  "CMakeFiles/test_adversarial.dir/test_adversarial.c.o"
  "CMakeFiles/test_adversarial.dir/test_adversarial.c.o.d"
  "test_adversarial"
  "test_adversarial.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_adversarial.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
