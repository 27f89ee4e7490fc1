file(REMOVE_RECURSE
  "CMakeFiles/ft_engine.dir/kernel.c.o"
  "CMakeFiles/ft_engine.dir/kernel.c.o.d"
  "CMakeFiles/ft_engine.dir/output.c.o"
  "CMakeFiles/ft_engine.dir/output.c.o.d"
  "CMakeFiles/ft_engine.dir/pipeline.c.o"
  "CMakeFiles/ft_engine.dir/pipeline.c.o.d"
  "libft_engine.a"
  "libft_engine.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/ft_engine.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
