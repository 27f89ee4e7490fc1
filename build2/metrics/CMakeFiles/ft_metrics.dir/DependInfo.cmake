
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/metrics/http.c" "metrics/CMakeFiles/ft_metrics.dir/http.c.o" "gcc" "metrics/CMakeFiles/ft_metrics.dir/http.c.o.d"
  "/work/main/metrics/registry.c" "metrics/CMakeFiles/ft_metrics.dir/registry.c.o" "gcc" "metrics/CMakeFiles/ft_metrics.dir/registry.c.o.d"
  "/work/main/metrics/snapshot.c" "metrics/CMakeFiles/ft_metrics.dir/snapshot.c.o" "gcc" "metrics/CMakeFiles/ft_metrics.dir/snapshot.c.o.d"
  "/work/main/metrics/table.c" "metrics/CMakeFiles/ft_metrics.dir/table.c.o" "gcc" "metrics/CMakeFiles/ft_metrics.dir/table.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
