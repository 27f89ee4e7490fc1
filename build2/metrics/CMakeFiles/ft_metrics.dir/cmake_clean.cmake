file(REMOVE_RECURSE
  "CMakeFiles/ft_metrics.dir/http.c.o"
  "CMakeFiles/ft_metrics.dir/http.c.o.d"
  "CMakeFiles/ft_metrics.dir/registry.c.o"
  "CMakeFiles/ft_metrics.dir/registry.c.o.d"
  "CMakeFiles/ft_metrics.dir/snapshot.c.o"
  "CMakeFiles/ft_metrics.dir/snapshot.c.o.d"
  "CMakeFiles/ft_metrics.dir/table.c.o"
  "CMakeFiles/ft_metrics.dir/table.c.o.d"
  "libft_metrics.a"
  "libft_metrics.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/ft_metrics.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
