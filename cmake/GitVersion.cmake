# Run as a script at every build (cmake -P): writes OUT (version.cpp) from IN with the commit the
# sources are at and whether the work tree differed from it, rewriting OUT only when that changed,
# so a build from a modified tree says so even when CMake did not configure again.
#   -DSOURCE_DIR=… -DIN=version.cpp.in -DOUT=version.cpp -DPROJECT_VERSION=…
set(CERTBENCH_GIT_COMMIT "")
set(CERTBENCH_GIT_DIRTY "false")
if(EXISTS ${SOURCE_DIR}/.git)
  execute_process(COMMAND git rev-parse HEAD WORKING_DIRECTORY ${SOURCE_DIR}
                  OUTPUT_VARIABLE CERTBENCH_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  # Tracked files changed against HEAD, staged or not (untracked files are not part of a build
  # unless a tracked CMakeLists.txt names them, which is then a change).
  execute_process(COMMAND git diff --quiet HEAD WORKING_DIRECTORY ${SOURCE_DIR} RESULT_VARIABLE dirty ERROR_QUIET)
  if(CERTBENCH_GIT_COMMIT AND NOT dirty EQUAL 0)
    set(CERTBENCH_GIT_DIRTY "true")
  endif()
endif()
configure_file(${IN} ${OUT} @ONLY)
