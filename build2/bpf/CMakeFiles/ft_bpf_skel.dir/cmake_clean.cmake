file(REMOVE_RECURSE
  "CMakeFiles/ft_bpf_skel"
  "tracer.bpf.o"
  "tracer.skel.h"
)

# Per-language clean rules from dependency scanning.
foreach(lang )
  include(CMakeFiles/ft_bpf_skel.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
