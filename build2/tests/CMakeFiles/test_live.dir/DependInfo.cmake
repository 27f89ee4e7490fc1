
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/tests/test_live.c" "tests/CMakeFiles/test_live.dir/test_live.c.o" "gcc" "tests/CMakeFiles/test_live.dir/test_live.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build2/capture/CMakeFiles/ft_capture.dir/DependInfo.cmake"
  "/work/main/build2/analysis/CMakeFiles/ft_analysis.dir/DependInfo.cmake"
  "/work/main/build2/cli/CMakeFiles/ft_cli.dir/DependInfo.cmake"
  "/work/main/build2/engine/CMakeFiles/ft_engine.dir/DependInfo.cmake"
  "/work/main/build2/bpf/CMakeFiles/ft_bpf.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
