file(REMOVE_RECURSE
  "CMakeFiles/ftpeer.dir/ftpeer.c.o"
  "CMakeFiles/ftpeer.dir/ftpeer.c.o.d"
  "ftpeer"
  "ftpeer.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/ftpeer.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
