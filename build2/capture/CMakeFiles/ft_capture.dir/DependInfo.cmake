
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/capture/decode.c" "capture/CMakeFiles/ft_capture.dir/decode.c.o" "gcc" "capture/CMakeFiles/ft_capture.dir/decode.c.o.d"
  "/work/main/capture/evidence.c" "capture/CMakeFiles/ft_capture.dir/evidence.c.o" "gcc" "capture/CMakeFiles/ft_capture.dir/evidence.c.o.d"
  "/work/main/capture/live.c" "capture/CMakeFiles/ft_capture.dir/live.c.o" "gcc" "capture/CMakeFiles/ft_capture.dir/live.c.o.d"
  "/work/main/capture/pcapng.c" "capture/CMakeFiles/ft_capture.dir/pcapng.c.o" "gcc" "capture/CMakeFiles/ft_capture.dir/pcapng.c.o.d"
  "/work/main/capture/source.c" "capture/CMakeFiles/ft_capture.dir/source.c.o" "gcc" "capture/CMakeFiles/ft_capture.dir/source.c.o.d"
  "/work/main/capture/stream.c" "capture/CMakeFiles/ft_capture.dir/stream.c.o" "gcc" "capture/CMakeFiles/ft_capture.dir/stream.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
