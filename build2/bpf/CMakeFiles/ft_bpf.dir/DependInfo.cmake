
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/bpf/monitor.c" "bpf/CMakeFiles/ft_bpf.dir/monitor.c.o" "gcc" "bpf/CMakeFiles/ft_bpf.dir/monitor.c.o.d"
  "/work/main/bpf/owner.c" "bpf/CMakeFiles/ft_bpf.dir/owner.c.o" "gcc" "bpf/CMakeFiles/ft_bpf.dir/owner.c.o.d"
  "/work/main/bpf/sockdiag.c" "bpf/CMakeFiles/ft_bpf.dir/sockdiag.c.o" "gcc" "bpf/CMakeFiles/ft_bpf.dir/sockdiag.c.o.d"
  "/work/main/bpf/tracer.c" "bpf/CMakeFiles/ft_bpf.dir/tracer.c.o" "gcc" "bpf/CMakeFiles/ft_bpf.dir/tracer.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build2/analysis/CMakeFiles/ft_analysis.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
