# simtime_test(<name> SOURCES <file>... DEPS <target>...
#              [TEST_FILTER <gtest filter>] [WORKING_DIRECTORY <dir>] [DISCOVER_BEFORE_TEST])
#
# The CMake counterpart of one `cc_test(size = "small")` of the Bazel build: an executable
# named like the Bazel target, whose GoogleTest cases CTest runs one by one, named
# "<name>.<Suite>.<Case>" so that names from different binaries never collide.
#
#   TEST_FILTER           the test's `args = ["--gtest_filter=..."]` in Bazel: only the
#                         matching cases become CTest tests.
#   WORKING_DIRECTORY     where the cases run (and are listed); the test's `data =` files
#                         are found relative to it.
#   DISCOVER_BEFORE_TEST  list the cases when ctest runs instead of after each link: for a
#                         test whose cases come from data files, so that a changed corpus is
#                         seen without a rebuild.
#
# Like Bazel's test rules, every test sees the workspace root as an include directory
# ("tests/timeline.hpp", "examples/asyncio_demo.hpp").
include(GoogleTest)

function(simtime_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "DISCOVER_BEFORE_TEST" "TEST_FILTER;WORKING_DIRECTORY" "SOURCES;DEPS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "simtime_test(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  add_executable(${name} ${arg_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${arg_DEPS})

  # NO_PRETTY_VALUES: a case keeps GoogleTest's own name (Corpus/CorpusReplay.HoldsEveryOracle/
  # seed_yields), the one --gtest_filter takes, without the "# GetParam() = ..." comment.
  set(options TEST_PREFIX "${name}." NO_PRETTY_VALUES)
  if(arg_TEST_FILTER)
    list(APPEND options TEST_FILTER "${arg_TEST_FILTER}")
  endif()
  if(arg_WORKING_DIRECTORY)
    list(APPEND options WORKING_DIRECTORY "${arg_WORKING_DIRECTORY}")
  endif()
  if(arg_DISCOVER_BEFORE_TEST)
    list(APPEND options DISCOVERY_MODE PRE_TEST)
  endif()
  # Bazel's size = "small" gives each test binary 60 s; here each case gets that much.
  gtest_discover_tests(${name} ${options} PROPERTIES TIMEOUT 60)
endfunction()
