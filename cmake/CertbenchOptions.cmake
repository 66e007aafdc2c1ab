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

# Frame pointers in every build, so that `certbench profile` (perf --call-graph fp) unwinds
# certbench's own stacks cheaply and completely; the leaf functions too, or a sample in one loses its
# caller. What they cost is measured in docs/profiling.md.
option(CERTBENCH_FRAME_POINTERS "Keep frame pointers (perf --call-graph fp)" ON)
if(CERTBENCH_FRAME_POINTERS)
  target_compile_options(certbench_options INTERFACE -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer)
endif()

if(CERTBENCH_SANITIZE)
  target_compile_options(certbench_options INTERFACE
    -fsanitize=${CERTBENCH_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  # Linked as a fixed-address executable: a sanitized program carries about four million relative
  # relocations, and applying them at every start took half of its 0.7 s start-up. The tests start
  # certbench and their own programs some thousand times.
  target_link_options(certbench_options INTERFACE -fsanitize=${CERTBENCH_SANITIZE} -no-pie)
  # clang 14 cannot emit UBSan's function-type check in a coroutine that also has coverage
  # instrumentation ("Cannot represent a difference across sections"): the fuzz preset goes without it.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND CERTBENCH_SANITIZE MATCHES "fuzzer")
    target_compile_options(certbench_options INTERFACE -fno-sanitize=function)
  endif()
endif()

# Boost 1.74 enables co_await under clang only with libc++'s <experimental/coroutine>; clang 14 with
# libstdc++ 12 (Debian's, the fuzz preset) has the standard <coroutine> Asio uses under GCC.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  target_compile_definitions(certbench_options INTERFACE BOOST_ASIO_HAS_CO_AWAIT=1 BOOST_ASIO_HAS_STD_COROUTINE=1)
endif()

# ccache halves rebuild times in CI and locally; used only when installed.
find_program(CERTBENCH_CCACHE ccache)
if(CERTBENCH_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CERTBENCH_CCACHE})
endif()

# certbench::allocator — jemalloc as the process allocator for programs that measure peak heap
# (harness/heap_meter.hpp). Not with sanitizers: they bring their own allocator.
add_library(certbench_allocator INTERFACE)
add_library(certbench::allocator ALIAS certbench_allocator)
if(NOT CERTBENCH_SANITIZE)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
  target_link_libraries(certbench_allocator INTERFACE PkgConfig::JEMALLOC)
endif()
