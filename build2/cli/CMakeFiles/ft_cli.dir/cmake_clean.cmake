file(REMOVE_RECURSE
  "CMakeFiles/ft_cli.dir/cmd_kernel.c.o"
  "CMakeFiles/ft_cli.dir/cmd_kernel.c.o.d"
  "CMakeFiles/ft_cli.dir/cmd_live.c.o"
  "CMakeFiles/ft_cli.dir/cmd_live.c.o.d"
  "CMakeFiles/ft_cli.dir/cmd_read.c.o"
  "CMakeFiles/ft_cli.dir/cmd_read.c.o.d"
  "CMakeFiles/ft_cli.dir/cmd_states.c.o"
  "CMakeFiles/ft_cli.dir/cmd_states.c.o.d"
  "CMakeFiles/ft_cli.dir/opts.c.o"
  "CMakeFiles/ft_cli.dir/opts.c.o.d"
  "libft_cli.a"
  "libft_cli.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/ft_cli.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
