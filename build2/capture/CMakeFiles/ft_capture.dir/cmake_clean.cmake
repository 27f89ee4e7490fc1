file(REMOVE_RECURSE
  "CMakeFiles/ft_capture.dir/decode.c.o"
  "CMakeFiles/ft_capture.dir/decode.c.o.d"
  "CMakeFiles/ft_capture.dir/evidence.c.o"
  "CMakeFiles/ft_capture.dir/evidence.c.o.d"
  "CMakeFiles/ft_capture.dir/live.c.o"
  "CMakeFiles/ft_capture.dir/live.c.o.d"
  "CMakeFiles/ft_capture.dir/pcapng.c.o"
  "CMakeFiles/ft_capture.dir/pcapng.c.o.d"
  "CMakeFiles/ft_capture.dir/source.c.o"
  "CMakeFiles/ft_capture.dir/source.c.o.d"
  "CMakeFiles/ft_capture.dir/stream.c.o"
  "CMakeFiles/ft_capture.dir/stream.c.o.d"
  "libft_capture.a"
  "libft_capture.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/ft_capture.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
