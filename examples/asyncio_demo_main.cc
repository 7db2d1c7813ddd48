// asyncio_demo [--clock=real|virtual] [--mode=async|sync] [--trace=FILE]
//
// On the real clock (the default) the program takes 10 s (17 s with --mode=sync); on the
// virtual clock it prints the same lines, with exactly 10.00 (17.00), and returns at once.
// --trace=FILE records the run and writes it as Chrome trace-event JSON, for Perfetto UI or
// chrome://tracing (under `bazel run`, give an absolute path: the program runs elsewhere).
#include <fmt/format.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "examples/asyncio_demo.hpp"
#include "simtime/testing/trace.hpp"

int main(int argc, char** argv) {
  bool virtual_clock = false;
  demo::Mode mode = demo::Mode::async;
  std::string trace_path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--clock=real") {
      virtual_clock = false;
    } else if (arg == "--clock=virtual") {
      virtual_clock = true;
    } else if (arg == "--mode=async") {
      mode = demo::Mode::async;
    } else if (arg == "--mode=sync") {
      mode = demo::Mode::sync;
    } else if (arg.starts_with("--trace=") && arg.size() > 8) {
      trace_path = std::string(arg.substr(8));
    } else {
      fmt::print(stderr,
                 "asyncio_demo: unknown argument '{}'\nusage: asyncio_demo [--clock=real|virtual] [--mode=async|sync] "
                 "[--trace=FILE]\n",
                 arg);
      return 2;
    }
  }
  auto print = [](const std::string& line) {
    fmt::print("{}\n", line);
    std::fflush(stdout);  // show each line when it happens on the real clock, even in a pipe
  };
  std::unique_ptr<simtime::Clock> clock;
  if (virtual_clock) {
    clock = std::make_unique<simtime::VirtualClock>();
  } else {
    clock = std::make_unique<simtime::RealClock>();
  }
  simtime::Loop loop(*clock);
  simtime::testing::Trace trace;
  if (!trace_path.empty()) loop.set_trace(&trace);
  loop.run(demo::tutorial(mode, print));
  if (!trace_path.empty()) {
    try {
      trace.write_chrome_json(trace_path);
    } catch (const std::exception& error) {
      fmt::print(stderr, "asyncio_demo: {}\n", error.what());
      return 1;
    }
  }
  return 0;
}
