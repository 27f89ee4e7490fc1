
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/analysis/container.c" "analysis/CMakeFiles/ft_analysis.dir/container.c.o" "gcc" "analysis/CMakeFiles/ft_analysis.dir/container.c.o.d"
  "/work/main/analysis/flow.c" "analysis/CMakeFiles/ft_analysis.dir/flow.c.o" "gcc" "analysis/CMakeFiles/ft_analysis.dir/flow.c.o.d"
  "/work/main/analysis/html.c" "analysis/CMakeFiles/ft_analysis.dir/html.c.o" "gcc" "analysis/CMakeFiles/ft_analysis.dir/html.c.o.d"
  "/work/main/analysis/index.c" "analysis/CMakeFiles/ft_analysis.dir/index.c.o" "gcc" "analysis/CMakeFiles/ft_analysis.dir/index.c.o.d"
  "/work/main/analysis/ksock.c" "analysis/CMakeFiles/ft_analysis.dir/ksock.c.o" "gcc" "analysis/CMakeFiles/ft_analysis.dir/ksock.c.o.d"
  "/work/main/analysis/report.c" "analysis/CMakeFiles/ft_analysis.dir/report.c.o" "gcc" "analysis/CMakeFiles/ft_analysis.dir/report.c.o.d"
  "/work/main/analysis/states.c" "analysis/CMakeFiles/ft_analysis.dir/states.c.o" "gcc" "analysis/CMakeFiles/ft_analysis.dir/states.c.o.d"
  "/work/main/analysis/stats.c" "analysis/CMakeFiles/ft_analysis.dir/stats.c.o" "gcc" "analysis/CMakeFiles/ft_analysis.dir/stats.c.o.d"
  "/work/main/analysis/teardown.c" "analysis/CMakeFiles/ft_analysis.dir/teardown.c.o" "gcc" "analysis/CMakeFiles/ft_analysis.dir/teardown.c.o.d"
  "/work/main/analysis/timewait.c" "analysis/CMakeFiles/ft_analysis.dir/timewait.c.o" "gcc" "analysis/CMakeFiles/ft_analysis.dir/timewait.c.o.d"
  "/work/main/analysis/verdict.c" "analysis/CMakeFiles/ft_analysis.dir/verdict.c.o" "gcc" "analysis/CMakeFiles/ft_analysis.dir/verdict.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
