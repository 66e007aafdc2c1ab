# certbench::options — one interface target carrying warnings and sanitizers, linked by every
# certbench target (so third-party code is never built with our warning flags).
add_library(certbench_options INTERFACE)
add_library(certbench::options ALIAS certbench_options)

target_compile_options(certbench_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion -Wnull-dereference
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(CERTBENCH_WERROR)
  target_compile_options(certbench_options INTERFACE -Werror)
endif()

if(CERTBENCH_SANITIZE)
  target_compile_options(certbench_options INTERFACE
    -fsanitize=${CERTBENCH_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(certbench_options INTERFACE -fsanitize=${CERTBENCH_SANITIZE})
endif()

# ccache halves rebuild times in CI and locally; used only when installed.
find_program(CERTBENCH_CCACHE ccache)
if(CERTBENCH_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CERTBENCH_CCACHE})
endif()
