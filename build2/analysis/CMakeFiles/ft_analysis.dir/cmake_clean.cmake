file(REMOVE_RECURSE
  "CMakeFiles/ft_analysis.dir/container.c.o"
  "CMakeFiles/ft_analysis.dir/container.c.o.d"
  "CMakeFiles/ft_analysis.dir/flow.c.o"
  "CMakeFiles/ft_analysis.dir/flow.c.o.d"
  "CMakeFiles/ft_analysis.dir/html.c.o"
  "CMakeFiles/ft_analysis.dir/html.c.o.d"
  "CMakeFiles/ft_analysis.dir/index.c.o"
  "CMakeFiles/ft_analysis.dir/index.c.o.d"
  "CMakeFiles/ft_analysis.dir/ksock.c.o"
  "CMakeFiles/ft_analysis.dir/ksock.c.o.d"
  "CMakeFiles/ft_analysis.dir/report.c.o"
  "CMakeFiles/ft_analysis.dir/report.c.o.d"
  "CMakeFiles/ft_analysis.dir/states.c.o"
  "CMakeFiles/ft_analysis.dir/states.c.o.d"
  "CMakeFiles/ft_analysis.dir/stats.c.o"
  "CMakeFiles/ft_analysis.dir/stats.c.o.d"
  "CMakeFiles/ft_analysis.dir/teardown.c.o"
  "CMakeFiles/ft_analysis.dir/teardown.c.o.d"
  "CMakeFiles/ft_analysis.dir/timewait.c.o"
  "CMakeFiles/ft_analysis.dir/timewait.c.o.d"
  "CMakeFiles/ft_analysis.dir/verdict.c.o"
  "CMakeFiles/ft_analysis.dir/verdict.c.o.d"
  "libft_analysis.a"
  "libft_analysis.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/ft_analysis.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
