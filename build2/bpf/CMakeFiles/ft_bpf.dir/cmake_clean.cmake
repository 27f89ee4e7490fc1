file(REMOVE_RECURSE
  "CMakeFiles/ft_bpf.dir/monitor.c.o"
  "CMakeFiles/ft_bpf.dir/monitor.c.o.d"
  "CMakeFiles/ft_bpf.dir/owner.c.o"
  "CMakeFiles/ft_bpf.dir/owner.c.o.d"
  "CMakeFiles/ft_bpf.dir/sockdiag.c.o"
  "CMakeFiles/ft_bpf.dir/sockdiag.c.o.d"
  "CMakeFiles/ft_bpf.dir/tracer.c.o"
  "CMakeFiles/ft_bpf.dir/tracer.c.o.d"
  "libft_bpf.a"
  "libft_bpf.pdb"
  "tracer.bpf.o"
  "tracer.skel.h"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/ft_bpf.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
